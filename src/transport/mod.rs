//! The transport every API family calls through: one call and its attempts ([`call`]), what a
//! failed attempt means ([`status`]), the generated client's calls through the same engine
//! ([`hooks`]), the retry policy and engine ([`retry`]), what the server's rate-limit headers
//! taught the client ([`rate_limit`]), what a server says made fit to quote ([`server_text`]),
//! the server's account of a call ([`context`]), and the crate's one [`Error`].

pub(crate) mod call;
pub(crate) mod context;
pub(crate) mod error;
mod hooks;
pub(crate) mod rate_limit;
pub(crate) mod retry;
pub(crate) mod server_text;
mod status;

pub use context::{RequestStatus, ResponseContext};
pub use error::{Error, ErrorKind, FieldError};
pub use retry::{
    RetryPolicy, DEFAULT_INITIAL_BACKOFF, DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_BACKOFF,
    DEFAULT_MAX_RETRY_AFTER, DEFAULT_RETRY_BUDGET,
};
