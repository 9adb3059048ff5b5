#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
mod enrollment;
mod events;
mod fetch;
mod lifecycle;
mod request;
mod transport;
mod validate;

pub mod bulk;
pub mod businesses;
pub mod generated;
pub mod prospects;
pub mod webhook;
pub mod webhooks;

#[cfg(feature = "test-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
pub mod testing;

pub use client::{
    Client, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_DEADLINE,
    DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT,
};
pub use enrollment::{Deleted, Enrollment, ListedEnrollment, RequestStatus, ResponseContext};
pub use events::{BusinessEvent, EventName, IntoEvent, ProspectEvent};
pub use fetch::{FetchedEvent, IntoTimestamp};
pub use transport::{
    Error, ErrorKind, FieldError, RetryPolicy, DEFAULT_INITIAL_BACKOFF, DEFAULT_MAX_ATTEMPTS,
    DEFAULT_MAX_BACKOFF, DEFAULT_MAX_RETRY_AFTER, DEFAULT_RETRY_BUDGET,
};
