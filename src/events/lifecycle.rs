//! What prospect and business enrollments share past their builders: the operations of each
//! family, listing, deleting, and the add that reconciles before it repeats.
//!
//! # Reconciliation
//!
//! An add whose outcome is unknown (a timeout or a broken connection after the request was
//! sent, a 500/502/503/504, a 408) may or may not have created the enrollment. Sending it again
//! could enroll twice; giving up leaves the caller guessing. So the add is reconciled instead:
//! after the policy's wait, the next attempt lists the family's enrollments, and
//!
//! - if one has the same key, ids and event types (compared as sets), it is returned: the add
//!   had been processed (or an identical enrollment already existed, which is returned too);
//! - if none does, the add is sent again, in the same attempt.
//!
//! Everything stays under the retry policy: the list counts as the attempt it is made in, and
//! attempts, the retry budget and the deadline bound the whole. A failed list is retried like
//! any idempotent call; the error a call ends with after an unknown outcome always says that
//! the enrollment may exist.
//!
//! The race left: a server still processing the first add when the list is taken shows
//! nothing, and the add is sent again. The wait before the list makes this unlikely, not
//! impossible.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use reqwest::Method;
use serde::Serialize;
use serde_json::Value;
use tokio::time::Instant;

use crate::client::{json_body, Client};
use crate::events::enrollment::{Deleted, Enrollment, Listed, ListedEnrollment};
use crate::events::event_types::EventKind;
use crate::events::request::{EnrollmentBody, Lists};
use crate::events::rules::{self, MAX_IDS};
use crate::transport::call::{unsent_rate_limited, Operation, ENROLLMENT_CONSEQUENCE};
use crate::transport::context::Acknowledged;
use crate::transport::error::{Error, ErrorKind};
use crate::transport::retry::{self, Verdict};

/// The operations and id rules of prospects or businesses.
#[derive(Debug)]
pub(crate) struct Family {
    pub(crate) add: Operation,
    pub(crate) update: Operation,
    pub(crate) list: Operation,
    pub(crate) delete: Operation,
    pub(crate) fetch: Operation,
    /// `prospect_ids`, `business_ids`.
    pub(crate) ids_field: &'static str,
    /// Lowercase hex digits in an id.
    pub(crate) hex_len: usize,
}

const PROSPECT_ENROLLMENTS: &str = "/v1/prospects/events/enrollments";
const BUSINESS_ENROLLMENTS: &str = "/v1/businesses/events/enrollments";

pub(crate) const PROSPECTS: Family = Family {
    add: Operation::new(
        "add_prospects_enrollments",
        Method::POST,
        PROSPECT_ENROLLMENTS,
        false,
    ),
    // `PATCH` replaces the enrollment's lists.
    update: Operation::new(
        "update_prospects_enrollments",
        Method::PATCH,
        PROSPECT_ENROLLMENTS,
        true,
    ),
    list: Operation::new(
        "get_prospects_enrollments",
        Method::GET,
        PROSPECT_ENROLLMENTS,
        true,
    ),
    delete: Operation::new(
        "delete_prospects_enrollments",
        Method::DELETE,
        PROSPECT_ENROLLMENTS,
        true,
    ),
    // A `POST` that only reads.
    fetch: Operation::new(
        "fetch_prospects_events",
        Method::POST,
        "/v1/prospects/events",
        true,
    ),
    ids_field: "prospect_ids",
    hex_len: 40,
};

pub(crate) const BUSINESSES: Family = Family {
    add: Operation::new(
        "add_businesses_enrollments",
        Method::POST,
        BUSINESS_ENROLLMENTS,
        false,
    ),
    update: Operation::new(
        "update_businesses_enrollments",
        Method::PATCH,
        BUSINESS_ENROLLMENTS,
        true,
    ),
    list: Operation::new(
        "get_businesses_enrollments",
        Method::GET,
        BUSINESS_ENROLLMENTS,
        true,
    ),
    delete: Operation::new(
        "delete_businesses_enrollments",
        Method::DELETE,
        BUSINESS_ENROLLMENTS,
        true,
    ),
    fetch: Operation::new(
        "fetch_businesses_events",
        Method::POST,
        "/v1/businesses/events",
        true,
    ),
    ids_field: "business_ids",
    hex_len: 32,
};

/// Every enrollment of the family, in the server's order.
pub(crate) async fn list(client: &Client, family: &Family) -> Result<Vec<ListedEnrollment>, Error> {
    let listed: Listed = client
        .shared()
        .call(&family.list, family.list.path, None)
        .await?;
    Ok(listed.enrollments)
}

/// A delete (`DELETE`, idempotent): a 404 from the operation itself is
/// [`Deleted::AlreadyGone`]. FastAPI's `{"detail": "Not Found"}` is not: it answers a path
/// that does not exist (a wrong base URL), which says nothing of the thing to delete.
pub(crate) async fn delete(
    client: &Client,
    operation: &Operation,
    path: &str,
    body: Option<Bytes>,
) -> Result<Deleted, Error> {
    match client
        .shared()
        .call::<Acknowledged>(operation, path, body)
        .await
    {
        Ok(_) => Ok(Deleted::Removed),
        Err(error) if is_gone(&error) => Ok(Deleted::AlreadyGone),
        Err(error) => Err(error),
    }
}

/// A 404 about the thing asked for, not about the path.
pub(crate) fn is_gone(error: &Error) -> bool {
    let route_miss = || {
        error
            .body_excerpt()
            .and_then(|body| serde_json::from_str::<Value>(body).ok())
            .is_some_and(|body| body == serde_json::json!({"detail": "Not Found"}))
    };
    error.kind() == ErrorKind::NotFound && !route_miss()
}

/// What an add asks for, to recognise it in a list. Borrowed, and compared only when a list
/// is taken: every add carries one, few are ever reconciled.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Wanted<'a, E> {
    key: &'a str,
    ids: &'a [&'a str],
    events: &'a [E],
}

impl<'a, E: ToString> Wanted<'a, E> {
    pub(crate) fn new(key: &'a str, ids: &'a [&'a str], events: &'a [E]) -> Self {
        Self { key, ids, events }
    }

    fn matches(&self, listed: &ListedEnrollment) -> bool {
        let wanted_ids: BTreeSet<&str> = self.ids.iter().copied().collect();
        let wanted_events: BTreeSet<String> = self.events.iter().map(ToString::to_string).collect();
        listed.enrollment_key() == self.key
            && listed
                .ids()
                .iter()
                .map(String::as_str)
                .collect::<BTreeSet<_>>()
                == wanted_ids
            && listed
                .event_types()
                .iter()
                .map(ToString::to_string)
                .collect::<BTreeSet<_>>()
                == wanted_events
    }
}

/// Whether a failed add may have been processed: the one predicate would repeat it if it were
/// idempotent, and does not because it is not.
fn outcome_unknown(error: &Error) -> bool {
    !error.is_retryable() && retry::is_retryable(error.kind(), error.status(), true)
}

/// An enrollment builder's add: the key and lists checked, then sent from the checked lists
/// (no generated type built: see [`EnrollmentBody`]), reconciled if asked.
pub(crate) async fn send_add<E: EventKind + Serialize + ToString + Sync>(
    client: &Client,
    family: &Family,
    enrollment_key: &str,
    lists: &Lists<E>,
    reconcile: bool,
) -> Result<Enrollment, Error> {
    let (ids, events) = rules::enrollment_key(enrollment_key)
        .and_then(|()| lists.checked(family.ids_field, family.hex_len, MAX_IDS))
        .map_err(|e| e.with_operation(family.add.id))?;
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let body = EnrollmentBody {
        enrollment_id: None,
        enrollment_key: Some(enrollment_key),
        ids_field: family.ids_field,
        ids: &ids,
        events: &events,
    };
    let wanted = reconcile.then(|| Wanted::new(enrollment_key, &ids, &events));
    add(client, family, &body, wanted).await
}

/// An enrollment builder's update: the id, key and lists checked, then sent from the checked
/// lists.
pub(crate) async fn send_update<E: EventKind + Serialize>(
    client: &Client,
    family: &Family,
    enrollment_id: &str,
    enrollment_key: &str,
    lists: &Lists<E>,
) -> Result<Enrollment, Error> {
    let (ids, events) = rules::enrollment_id(enrollment_id)
        .and_then(|()| rules::enrollment_key(enrollment_key))
        .and_then(|()| lists.checked(family.ids_field, family.hex_len, MAX_IDS))
        .map_err(|e| e.with_operation(family.update.id))?;
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let body = EnrollmentBody {
        enrollment_id: Some(enrollment_id),
        enrollment_key: Some(enrollment_key),
        ids_field: family.ids_field,
        ids: &ids,
        events: &events,
    };
    client.execute(&family.update, &body).await
}

/// Sends an add; with `wanted`, reconciles an unknown outcome (see the module's docs) instead
/// of ending the call.
pub(crate) async fn add(
    client: &Client,
    family: &Family,
    body: &impl Serialize,
    wanted: Option<Wanted<'_, impl ToString + Sync>>,
) -> Result<Enrollment, Error> {
    let body = json_body(&family.add, body)?;
    let shared = client.shared();
    let Some(wanted) = wanted else {
        return shared.call(&family.add, family.add.path, Some(body)).await;
    };
    // Set while the last attempt left the outcome unknown: the next one lists first.
    let unknown = AtomicBool::new(false);
    let add_url = &shared.url(family.add.path);
    let (unknown_ref, wanted) = (&unknown, &wanted);
    let result = shared
        .run_call(
            &family.add,
            |timeout, permit, span| {
                let body = body.clone();
                async move {
                    let started = Instant::now();
                    let mut permit = permit;
                    if unknown_ref.load(Ordering::Acquire) {
                        let listed: Listed = shared
                            .attempt(
                                &family.list,
                                &shared.url(family.list.path),
                                None,
                                timeout,
                                permit,
                                &span,
                            )
                            .await
                            .map_err(|error| {
                                error.reworded(|said| {
                                    format!(
                                        "listing the enrollments, to learn whether an add whose \
                                         outcome is unknown was processed, failed: {said}; \
                                         {ENROLLMENT_CONSEQUENCE}"
                                    )
                                })
                            })?;
                        if let Some(found) = listed.enrollments.iter().find(|e| wanted.matches(e)) {
                            tracing::info!(
                                parent: &span,
                                enrollment_id = found.enrollment_id(),
                                "reconciled: the enrollment exists"
                            );
                            return Ok(Enrollment::found(found, listed.context.clone()));
                        }
                        tracing::info!(parent: &span, "reconciled: no such enrollment; adding again");
                        unknown_ref.store(false, Ordering::Release);
                        let left = timeout.saturating_sub(started.elapsed());
                        permit = shared
                            .engine
                            .rate
                            .acquire(Instant::now() + left)
                            .await
                            .map_err(unsent_rate_limited)?;
                    }
                    let left = timeout.saturating_sub(started.elapsed());
                    if left.is_zero() {
                        // Nothing sent: the next attempt adds at once.
                        return Err(Error::new(
                            ErrorKind::Timeout,
                            "the list took the attempt's whole time; the add was not sent again",
                        )
                        .with_safe_to_repeat(true));
                    }
                    let result = shared
                        .attempt(&family.add, add_url, Some(body), left, permit, &span)
                        .await;
                    if result.as_ref().is_err_and(outcome_unknown) {
                        unknown_ref.store(true, Ordering::Release);
                    }
                    result
                }
            },
            |result| match result {
                Ok(_) => Verdict::Success,
                // While the outcome is unknown, what a repeat would do is reconcile: repeat what
                // would be repeated if the add were idempotent.
                Err(error) if unknown.load(Ordering::Acquire) => Verdict::of_error(error)
                    .retryable(retry::is_retryable(error.kind(), error.status(), true)),
                Err(error) => Verdict::of_error(error),
            },
        )
        .await;
    match result {
        // Still unknown when the call ended (the last list failed, or the engine stopped
        // before sending more): it may exist, and repeating the call could enroll twice.
        Err(error) if unknown.load(Ordering::Acquire) => {
            let error = if error.to_string().contains(ENROLLMENT_CONSEQUENCE) {
                error
            } else {
                error.reworded(|said| format!("{said}; {ENROLLMENT_CONSEQUENCE}"))
            };
            Err(error.with_outcome_unknown())
        }
        other => other,
    }
}
