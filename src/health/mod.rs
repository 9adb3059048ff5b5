//! The health family: whether the service answers ([`Client::health`]).

use reqwest::Method;

use crate::client::Client;
use crate::data::Typed;
use crate::transport::call::Operation;
use crate::transport::error::Error;

const HEALTHCHECK: Operation =
    Operation::new("healthcheck", Method::GET, "/healthcheck/http", true);

impl Client {
    /// Checks that the service answers: what its healthcheck says (`"OK"` or similar). A read,
    /// retried like one.
    pub async fn health(&self) -> Result<String, Error> {
        let typed: Typed<String> = self
            .shared()
            .call(&HEALTHCHECK, HEALTHCHECK.path, None)
            .await?;
        Ok(typed.value)
    }
}
