#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
mod events;
mod transport;
mod validate;

pub mod generated;

#[cfg(feature = "test-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
pub mod testing;

pub use client::{
    Client, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_DEADLINE,
    DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT,
};
pub use events::{bulk, businesses, prospects, webhook, webhooks};
pub use events::{
    BusinessEvent, Deleted, Enrollment, EventName, FetchedEvent, IntoEvent, IntoTimestamp,
    ListedEnrollment, ProspectEvent,
};
pub use transport::{
    Error, ErrorKind, FieldError, RequestStatus, ResponseContext, RetryPolicy,
    DEFAULT_INITIAL_BACKOFF, DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_BACKOFF, DEFAULT_MAX_RETRY_AFTER,
    DEFAULT_RETRY_BUDGET,
};
