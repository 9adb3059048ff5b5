#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
// Built without every API family, the transport and the shared layers have callers for only
// part of what they hold: what only the other families call would be reported unused. With all
// of them (the default, and CI's `--all-features`), nothing unused goes unreported.
#![cfg_attr(
    not(all(
        feature = "events",
        feature = "match",
        feature = "search",
        feature = "enrich",
        feature = "credits",
        feature = "health"
    )),
    allow(dead_code)
)]

mod client;
#[cfg(feature = "credits")]
#[cfg_attr(docsrs, doc(cfg(feature = "credits")))]
pub mod credits;
#[cfg(any(
    feature = "match",
    feature = "search",
    feature = "enrich",
    feature = "credits",
    feature = "health"
))]
mod data;
#[cfg(feature = "enrich")]
#[cfg_attr(docsrs, doc(cfg(feature = "enrich")))]
pub mod enrich;
#[cfg(feature = "events")]
mod events;
#[cfg(feature = "health")]
mod health;
#[cfg(feature = "match")]
#[cfg_attr(docsrs, doc(cfg(feature = "match")))]
pub mod matching;
#[cfg(feature = "search")]
#[cfg_attr(docsrs, doc(cfg(feature = "search")))]
pub mod search;
#[cfg(any(feature = "events", feature = "credits"))]
mod time;
mod transport;
mod validate;

pub mod bulk;
pub mod generated;

#[cfg(feature = "test-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
pub mod testing;

#[cfg(feature = "events")]
#[cfg_attr(docsrs, doc(cfg(feature = "events")))]
pub mod prospects {
    //! Prospect enrollments (add: [`EnrollProspects`], update: [`UpdateProspects`], list, delete)
    //! and prospect events ([`FetchProspectEvents`]), from [`Prospects`].

    pub use crate::client::Prospects;
    pub use crate::events::prospects::{EnrollProspects, FetchProspectEvents, UpdateProspects};
}

#[cfg(feature = "events")]
#[cfg_attr(docsrs, doc(cfg(feature = "events")))]
pub mod businesses {
    //! Business enrollments (add: [`EnrollBusinesses`], update: [`UpdateBusinesses`], list,
    //! delete) and business events ([`FetchBusinessEvents`]), from [`Businesses`].

    pub use crate::client::Businesses;
    pub use crate::events::businesses::{EnrollBusinesses, FetchBusinessEvents, UpdateBusinesses};
}

#[cfg(feature = "events")]
#[cfg_attr(docsrs, doc(cfg(feature = "events")))]
pub use events::{webhook, webhooks};

#[cfg(feature = "enrich")]
#[cfg_attr(docsrs, doc(cfg(feature = "enrich")))]
pub use enrich::enrichments;

#[cfg(any(feature = "match", feature = "search", feature = "enrich"))]
pub use data::Entity;
#[cfg(feature = "match")]
#[cfg_attr(docsrs, doc(cfg(feature = "match")))]
pub use matching::{BusinessMatch, MatchOutcome, ProspectMatch};

pub use client::{
    Client, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_DEADLINE,
    DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT,
};
#[cfg(feature = "events")]
#[cfg_attr(docsrs, doc(cfg(feature = "events")))]
pub use events::{
    BusinessEvent, Deleted, Enrollment, EventName, FetchedEvent, IntoEvent, ListedEnrollment,
    ProspectEvent,
};
#[cfg(any(feature = "events", feature = "credits"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "events", feature = "credits"))))]
pub use time::IntoTimestamp;
pub use transport::{
    Error, ErrorKind, FieldError, RequestStatus, ResponseContext, RetryPolicy,
    DEFAULT_INITIAL_BACKOFF, DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_BACKOFF, DEFAULT_MAX_RETRY_AFTER,
    DEFAULT_RETRY_BUDGET,
};
