//! The events family's bulk jobs, over any number of ids: [`EnrollAll`] appends,
//! [`SyncEnrollments`] makes a key's enrollments watch exactly a list. Both check everything
//! first, list the key's enrollments, chunk by 20 in input order, and run their requests on the
//! shared worker pool (`crate::bulk`); the [`BulkReport`] says what became of every input id.
//! This room: the areas, what both jobs hold and do first, and their requests.

use std::collections::HashSet;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use bytes::Bytes;
use serde::Serialize;
use tokio::time::Instant;

use crate::bulk::{self, Screened, Settings};
use crate::client::Client;
use crate::events::enrollment::{Enrollment, ListedEnrollment};
use crate::events::event_types::{resolve, BusinessEvent, EventKind, ProspectEvent};
use crate::events::lifecycle::{self, Family, Wanted};
use crate::events::request::EnrollmentBody;
use crate::events::rules;
use crate::transport::error::Error;

mod enroll_all;
mod report;
mod sync;

pub use enroll_all::EnrollAll;
pub use report::{BulkReport, IdOutcome, Outcome, Removal, RemovalState, Requests, Totals};
pub use sync::SyncEnrollments;

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::prospects::Prospects {}
    impl Sealed for crate::businesses::Businesses {}
}

/// The kind of entity a bulk job enrolls: [`Prospects`](crate::prospects::Prospects) or
/// [`Businesses`](crate::businesses::Businesses). Sealed.
#[allow(private_bounds, private_interfaces)] // the crate's own types; the trait is sealed.
pub trait Area: sealed::Sealed + Send + Sync + 'static {
    /// The event enum of the area.
    #[doc(hidden)]
    type Event: EventKind + Serialize + fmt::Display + Send + Sync + 'static;
    #[doc(hidden)]
    const FAMILY: &'static Family;
}

#[allow(private_interfaces)]
impl Area for crate::prospects::Prospects {
    type Event = ProspectEvent;
    const FAMILY: &'static Family = &lifecycle::PROSPECTS;
}

#[allow(private_interfaces)]
impl Area for crate::businesses::Businesses {
    type Event = BusinessEvent;
    const FAMILY: &'static Family = &lifecycle::BUSINESSES;
}

/// What every bulk builder holds.
struct Job<A: Area> {
    client: Client,
    enrollment_key: String,
    ids: Vec<String>,
    events: Vec<Result<A::Event, String>>,
    settings: Settings,
    _area: PhantomData<A>,
}

impl<A: Area> Clone for Job<A> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            enrollment_key: self.enrollment_key.clone(),
            ids: self.ids.clone(),
            events: self.events.clone(),
            settings: self.settings.clone(),
            _area: PhantomData,
        }
    }
}

impl<A: Area> fmt::Debug for Job<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Job")
            .field("path", &A::FAMILY.add.path)
            .field("enrollment_key", &self.enrollment_key)
            .field("ids", &self.ids.len())
            .field("concurrency", &self.settings.concurrency)
            .field("deadline", &self.settings.deadline)
            .finish_non_exhaustive()
    }
}

impl<A: Area> Job<A> {
    fn new<I>(client: Client, enrollment_key: String, ids: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        Self {
            client,
            enrollment_key,
            ids: ids.into_iter().map(Into::into).collect(),
            events: Vec::new(),
            settings: Settings::default(),
            _area: PhantomData,
        }
    }

    /// Checks everything before anything is sent: the key, the event types, every id. The ids
    /// move into the outcomes.
    fn plan(&mut self) -> Result<Input<A>, Error> {
        rules::enrollment_key(&self.enrollment_key)?;
        let events = resolve(&self.events)?;
        rules::not_empty("event_types", &events)?;
        let ids = std::mem::take(&mut self.ids);
        let verdicts = bulk::screen(A::FAMILY.ids_field, A::FAMILY.hex_len, &ids);
        let outcomes: Vec<IdOutcome> = ids
            .into_iter()
            .zip(verdicts)
            .enumerate()
            .map(|(index, (id, verdict))| IdOutcome {
                index,
                id,
                outcome: match verdict {
                    Screened::Valid => Outcome::NotAttempted,
                    Screened::Invalid(error) => Outcome::Invalid {
                        rule: error.to_string(),
                    },
                    Screened::Duplicate { first_index } => Outcome::Duplicate { first_index },
                },
            })
            .collect();
        let valid = (0..outcomes.len())
            .filter(|&i| matches!(outcomes[i].outcome, Outcome::NotAttempted))
            .collect();
        Ok(Input {
            outcomes,
            valid,
            events,
        })
    }

    fn failed_whole(&self, error: Error) -> BulkReport {
        let error = Arc::new(error);
        BulkReport {
            outcomes: self
                .ids
                .iter()
                .enumerate()
                .map(|(index, id)| IdOutcome {
                    index,
                    id: id.clone(),
                    outcome: Outcome::Failed {
                        error: error.clone(),
                    },
                })
                .collect(),
            removed: Vec::new(),
            requests: Requests::default(),
        }
    }

    /// What both jobs do first: the deadline starts, the input is checked, the key's
    /// enrollments are listed. `Err` is the report of a job that ends there.
    async fn start(mut self) -> Result<Started<A>, BulkReport> {
        let deadline = self.settings.deadline_from_now();
        let Input {
            mut outcomes,
            valid,
            events,
        } = match self.plan() {
            Ok(input) => input,
            Err(error) => return Err(self.failed_whole(error)),
        };
        let listed = self.list(&mut outcomes, &valid).await?;
        let wanted = wire_set(&events);
        Ok(Started {
            job: self,
            deadline,
            outcomes,
            valid,
            events,
            listed,
            wanted,
        })
    }

    /// The key's enrollments. If the listing fails, the report to return instead: every valid
    /// id failed with its error, nothing else sent.
    async fn list(
        &self,
        outcomes: &mut Vec<IdOutcome>,
        valid: &[usize],
    ) -> Result<Vec<ListedEnrollment>, BulkReport> {
        match lifecycle::list(&self.client, A::FAMILY).await {
            Ok(mut listed) => {
                listed.retain(|e| e.enrollment_key() == self.enrollment_key);
                Ok(listed)
            }
            Err(error) => {
                let error = Arc::new(error);
                for &i in valid {
                    outcomes[i].outcome = Outcome::Failed {
                        error: error.clone(),
                    };
                }
                Err(BulkReport {
                    outcomes: std::mem::take(outcomes),
                    removed: Vec::new(),
                    requests: Requests {
                        list: 1,
                        ..Requests::default()
                    },
                })
            }
        }
    }
}

/// A job past its checks and its listing.
struct Started<A: Area> {
    job: Job<A>,
    deadline: Option<Instant>,
    outcomes: Vec<IdOutcome>,
    valid: Vec<usize>,
    events: Vec<A::Event>,
    listed: Vec<ListedEnrollment>,
    wanted: HashSet<String>,
}

struct Input<A: Area> {
    /// One per input id; `NotAttempted` for the valid ones until the job decides.
    outcomes: Vec<IdOutcome>,
    /// Indexes of the valid, distinct ids, in input order.
    valid: Vec<usize>,
    events: Vec<A::Event>,
}

/// Whether `enrollment` watches exactly these event types (as a set).
fn watches(enrollment: &ListedEnrollment, wanted: &HashSet<String>) -> bool {
    let listed: HashSet<String> = enrollment
        .event_types()
        .iter()
        .map(ToString::to_string)
        .collect();
    listed == *wanted
}

/// The wire names of `events`, as a set.
fn wire_set<E: fmt::Display>(events: &[E]) -> HashSet<String> {
    events.iter().map(ToString::to_string).collect()
}

/// One request of a job.
#[derive(Clone)]
enum Step {
    Add {
        ids: Vec<usize>,
    },
    Update {
        enrollment_id: String,
        ids: Vec<String>,
    },
    Delete {
        enrollment_id: String,
    },
}

/// A step's outcome: the enrollment it added, updated or deleted.
type StepResult = Result<String, Error>;
type StepFuture = bulk::StepFuture<StepResult>;

impl<A: Area> Job<A> {
    fn step_future(
        &self,
        index: usize,
        step: &Step,
        outcomes: &[IdOutcome],
        events: &[A::Event],
    ) -> StepFuture {
        let client = self.client.clone();
        let key = self.enrollment_key.clone();
        let events = events.to_vec();
        let ids: Vec<String> = match step {
            Step::Add { ids } => ids.iter().map(|&i| outcomes[i].id.clone()).collect(),
            Step::Update { ids, .. } => ids.clone(),
            Step::Delete { .. } => Vec::new(),
        };
        let step = step.clone();
        Box::pin(async move {
            let family = A::FAMILY;
            let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
            let (enrollment_id, enrollment_key) = match &step {
                Step::Add { .. } => (None, Some(key.as_str())),
                Step::Update { enrollment_id, .. } => {
                    (Some(enrollment_id.as_str()), Some(key.as_str()))
                }
                Step::Delete { enrollment_id } => (Some(enrollment_id.as_str()), None),
            };
            let body = EnrollmentBody {
                enrollment_id,
                enrollment_key,
                ids_field: family.ids_field,
                ids: &refs,
                events: &events,
            };
            let result = match &step {
                Step::Delete { enrollment_id } => {
                    let body = serde_json::to_vec(&body).map(Bytes::from).map_err(|e| {
                        Error::invalid_request("body", e).with_operation(family.delete.id)
                    });
                    match body {
                        // Removed, or already gone: what the job wanted either way.
                        Ok(body) => lifecycle::delete(
                            &client,
                            &family.delete,
                            family.delete.path,
                            Some(body),
                        )
                        .await
                        .map(|_| enrollment_id.clone()),
                        Err(error) => Err(error),
                    }
                }
                Step::Update { .. } => client
                    .execute::<Enrollment>(&family.update, &body)
                    .await
                    .map(|enrollment| enrollment.enrollment_id().to_string()),
                Step::Add { .. } => {
                    // The client's reconciled add: an unknown outcome is checked, not repeated.
                    let wanted = Wanted::new(&key, &refs, &events);
                    lifecycle::add(&client, family, &body, Some(wanted))
                        .await
                        .map(|enrollment| enrollment.enrollment_id().to_string())
                }
            };
            (index, result)
        })
    }
}

/// The constructor and the builder methods both bulk jobs share.
macro_rules! job_setters {
    ($builder:ident) => {
        impl<A: Area> $builder<A> {
            pub(crate) fn new<I>(
                client: crate::client::Client,
                enrollment_key: String,
                ids: I,
            ) -> Self
            where
                I: IntoIterator,
                I::Item: Into<String>,
            {
                Self {
                    job: Job::new(client, enrollment_key, ids),
                }
            }

            /// Adds event types: the area's event enum values, or their wire strings. At least
            /// one is required. Default: none.
            pub fn event_types<I>(mut self, events: I) -> Self
            where
                I: IntoIterator,
                I::Item: crate::events::event_types::IntoEvent<A::Event>,
            {
                self.job.events.extend(
                    events
                        .into_iter()
                        .map(crate::events::event_types::IntoEvent::into_event),
                );
                self
            }

            /// Requests in flight at once. Default: [`DEFAULT_CONCURRENCY`](crate::bulk::DEFAULT_CONCURRENCY) (4); 0 counts as 1.
            /// Every request still goes through the client's rate-limit state, so more
            /// concurrency does not mean more 429s.
            pub fn concurrency(mut self, requests: usize) -> Self {
                self.job.settings.concurrency = requests.max(1);
                self
            }

            /// Starts no request after this long, counted from `send()` (the listing
            /// included); the ids of requests not started are reported as
            /// [`Outcome::NotAttempted`](crate::bulk::Outcome::NotAttempted), and the removals of a sync not started as
            /// [`RemovalState::NotAttempted`](crate::bulk::RemovalState::NotAttempted). Requests in flight finish under the client's own
            /// deadline. Default: none.
            pub fn deadline(mut self, deadline: std::time::Duration) -> Self {
                self.job.settings.deadline = Some(deadline);
                self
            }

            /// Called after the listing and after each request completes, with where the job
            /// stands: for a progress bar. Default: none.
            pub fn on_progress(
                mut self,
                callback: impl Fn(&crate::bulk::Progress) + Send + Sync + 'static,
            ) -> Self {
                self.job.settings.on_progress = Some(std::sync::Arc::new(callback));
                self
            }
        }
    };
}

pub(crate) use job_setters;
