//! The credits family: the account's active credit balance ([`Credits::summary`]).

use reqwest::Method;

use crate::client::Client;
use crate::data::Typed;
use crate::generated::types::ActiveCreditSummaryResponse;
use crate::transport::call::Operation;
use crate::transport::error::Error;

const SUMMARY: Operation = Operation::new(
    "get_active_credits_summary",
    Method::GET,
    "/v1/credits",
    true,
);

/// The account's credits, from [`Client::credits`].
#[derive(Debug, Clone)]
pub struct Credits {
    client: Client,
}

impl Client {
    /// The account's credits: balance and usage.
    pub fn credits(&self) -> Credits {
        Credits {
            client: self.clone(),
        }
    }
}

impl Credits {
    /// The active credits: allocated and remaining. A read, retried like one; free.
    pub async fn summary(&self) -> Result<ActiveCreditSummaryResponse, Error> {
        let typed: Typed<ActiveCreditSummaryResponse> = self
            .client
            .shared()
            .call(&SUMMARY, SUMMARY.path, None)
            .await?;
        Ok(typed.value)
    }
}
