//! The events family: prospect and business enrollments (add, update, list, delete, and the add
//! that reconciles before it repeats), bulk enroll and sync over any number of ids, fetched
//! events, the partner's webhook, and the verifier for what the webhook delivers.

pub(crate) mod businesses;
pub(crate) mod enrollment;
pub(crate) mod event_types;
pub(crate) mod fetch;
pub(crate) mod lifecycle;
pub(crate) mod prospects;
pub(crate) mod request;
pub(crate) mod rules;

pub(crate) mod bulk;
pub mod webhook;
pub mod webhooks;

pub use enrollment::{Deleted, Enrollment, ListedEnrollment};
pub use event_types::{BusinessEvent, EventName, IntoEvent, ProspectEvent};
pub use fetch::FetchedEvent;
