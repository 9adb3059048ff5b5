//! Bulk jobs over any number of ids: [`EnrollAll`] appends, [`SyncEnrollments`] makes a key's
//! enrollments watch exactly a list. Both validate everything first, chunk by 20 in input
//! order, run a bounded number of requests at once through the client's retry engine and
//! rate-limit state, and never fail as a whole: the [`BulkReport`] says what became of every
//! input id.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::ops::Range;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde::Serialize;
use tokio::time::Instant;

use crate::client::Client;
use crate::events::enrollment::Enrollment;
use crate::events::enrollment::ListedEnrollment;
use crate::events::event_types::{resolve, BusinessEvent, EventKind, IntoEvent, ProspectEvent};
use crate::events::lifecycle::{self, Family, Wanted};
use crate::events::request::EnrollmentBody;
use crate::events::rules::{self, MAX_IDS};
use crate::transport::error::Error;
use crate::validate;

/// Requests a bulk job keeps in flight unless told otherwise.
pub const DEFAULT_CONCURRENCY: usize = 4;

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

/// What became of one input id.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Outcome {
    /// Now watched, in this enrollment, by an add or an update this job sent.
    Added {
        /// The enrollment that holds it.
        enrollment_id: String,
    },
    /// Already watched under the key for these event types; nothing was sent for it (its
    /// enrollment may still have been updated for the sake of other ids).
    Unchanged {
        /// The enrollment that holds it.
        enrollment_id: String,
    },
    /// Watched before for other event types; its enrollment was updated to these.
    Updated {
        /// The enrollment that holds it.
        enrollment_id: String,
    },
    /// The same id stands earlier in the input; that one's outcome is this one's.
    Duplicate {
        /// Index of the first occurrence.
        first_index: usize,
    },
    /// Not an id of this area; never sent.
    Invalid {
        /// What is wrong: `"ABC" is not 40 lowercase hex characters`.
        rule: String,
    },
    /// The request that would have watched it failed; repeating the job completes it.
    Failed {
        /// Why (shared by the ids of one request).
        error: Arc<Error>,
    },
    /// Not attempted: the job's deadline passed first.
    NotAttempted,
}

impl Outcome {
    /// Whether the id is watched as asked now.
    pub fn is_done(&self) -> bool {
        matches!(
            self,
            Self::Added { .. } | Self::Unchanged { .. } | Self::Updated { .. }
        )
    }

    /// The enrollment holding the id, when it is watched.
    pub fn enrollment_id(&self) -> Option<&str> {
        match self {
            Self::Added { enrollment_id }
            | Self::Unchanged { enrollment_id }
            | Self::Updated { enrollment_id } => Some(enrollment_id),
            _ => None,
        }
    }
}

/// One input id, where it stood in the input, and its outcome.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct IdOutcome {
    /// Its index in the caller's input.
    pub index: usize,
    /// The id as given.
    pub id: String,
    /// What became of it.
    pub outcome: Outcome,
}

/// An id that [`SyncEnrollments`] stops watching because the input no longer lists it: one per
/// enrollment that held it. An id the input still lists but that a second enrollment of the key
/// also held is dropped from that second one without a `Removal`: it stays watched.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Removal {
    /// The id.
    pub id: String,
    /// The enrollment it was in.
    pub enrollment_id: String,
    /// Whether the update or delete that removes it was done.
    pub state: RemovalState,
}

impl Removal {
    /// Whether the id is no longer in the enrollment.
    pub fn is_done(&self) -> bool {
        matches!(self.state, RemovalState::Done)
    }
}

/// What became of a [`Removal`]: every one a sync plans is listed, done or not.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum RemovalState {
    /// The update or delete was done.
    Done,
    /// The update or delete failed; the id is still in the enrollment, and running the sync
    /// again removes it.
    Failed {
        /// Why (shared by the removals of one request).
        error: Arc<Error>,
    },
    /// The update or delete was not attempted (the job's deadline passed first, or its future
    /// was dropped); the id is still in the enrollment.
    NotAttempted,
}

/// How many requests a job sent, by operation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Requests {
    /// Listings (one per job, before anything else).
    pub list: usize,
    /// Adds.
    pub add: usize,
    /// Updates.
    pub update: usize,
    /// Deletes.
    pub delete: usize,
}

/// What a bulk job did: every input id's outcome, in input order, and totals.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BulkReport {
    /// One per input id, in input order.
    pub outcomes: Vec<IdOutcome>,
    /// For [`SyncEnrollments`]: the ids it stopped watching.
    pub removed: Vec<Removal>,
    /// The requests the job sent.
    pub requests: Requests,
}

impl BulkReport {
    /// Whether every valid input id is watched as asked, and every removal was done.
    pub fn is_complete(&self) -> bool {
        self.outcomes.iter().all(|o| {
            o.outcome.is_done()
                || matches!(
                    o.outcome,
                    Outcome::Duplicate { .. } | Outcome::Invalid { .. }
                )
        }) && self.removed.iter().all(Removal::is_done)
    }

    /// The ids whose request failed or was not attempted, in input order: what to run again.
    pub fn failed_ids(&self) -> Vec<&str> {
        self.outcomes
            .iter()
            .filter(|o| matches!(o.outcome, Outcome::Failed { .. } | Outcome::NotAttempted))
            .map(|o| o.id.as_str())
            .collect()
    }

    /// How many input ids ended in each outcome.
    pub fn totals(&self) -> Totals {
        let mut totals = Totals::default();
        for o in &self.outcomes {
            match o.outcome {
                Outcome::Added { .. } => totals.added += 1,
                Outcome::Unchanged { .. } => totals.unchanged += 1,
                Outcome::Updated { .. } => totals.updated += 1,
                Outcome::Duplicate { .. } => totals.duplicates += 1,
                Outcome::Invalid { .. } => totals.invalid += 1,
                Outcome::Failed { .. } => totals.failed += 1,
                Outcome::NotAttempted => totals.not_attempted += 1,
            }
        }
        for removal in &self.removed {
            match removal.state {
                RemovalState::Done => totals.removed += 1,
                RemovalState::Failed { .. } => totals.removals_failed += 1,
                RemovalState::NotAttempted => totals.removals_not_attempted += 1,
            }
        }
        totals
    }
}

/// Counts of [`BulkReport::outcomes`] by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Totals {
    /// [`Outcome::Added`].
    pub added: usize,
    /// [`Outcome::Unchanged`].
    pub unchanged: usize,
    /// [`Outcome::Updated`].
    pub updated: usize,
    /// [`Outcome::Duplicate`].
    pub duplicates: usize,
    /// [`Outcome::Invalid`].
    pub invalid: usize,
    /// [`Outcome::Failed`].
    pub failed: usize,
    /// [`Outcome::NotAttempted`].
    pub not_attempted: usize,
    /// [`BulkReport::removed`] in [`RemovalState::Done`]: ids a sync stopped watching.
    pub removed: usize,
    /// [`BulkReport::removed`] in [`RemovalState::Failed`].
    pub removals_failed: usize,
    /// [`BulkReport::removed`] in [`RemovalState::NotAttempted`].
    pub removals_not_attempted: usize,
}

/// Where a job stands, after each request it completes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// Valid, distinct input ids whose outcome is known.
    pub done_ids: usize,
    /// Valid, distinct input ids in all.
    pub total_ids: usize,
    /// Of `done_ids`, those whose request failed.
    pub failed_ids: usize,
    /// Requests completed (the listing included).
    pub done_requests: usize,
    /// Requests the job plans to send (the listing included).
    pub total_requests: usize,
}

type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// What every bulk builder holds.
struct Job<A: Area> {
    client: Client,
    enrollment_key: String,
    ids: Vec<String>,
    events: Vec<Result<A::Event, String>>,
    concurrency: usize,
    deadline: Option<Duration>,
    on_progress: Option<ProgressFn>,
    _area: PhantomData<A>,
}

impl<A: Area> Clone for Job<A> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            enrollment_key: self.enrollment_key.clone(),
            ids: self.ids.clone(),
            events: self.events.clone(),
            concurrency: self.concurrency,
            deadline: self.deadline,
            on_progress: self.on_progress.clone(),
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
            .field("concurrency", &self.concurrency)
            .field("deadline", &self.deadline)
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
            concurrency: DEFAULT_CONCURRENCY,
            deadline: None,
            on_progress: None,
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
        let mut outcomes: Vec<IdOutcome> = Vec::with_capacity(ids.len());
        for (index, id) in ids.into_iter().enumerate() {
            let outcome = match validate::id(A::FAMILY.ids_field, index, &id, A::FAMILY.hex_len) {
                Err(error) => Outcome::Invalid {
                    rule: error.to_string(),
                },
                Ok(()) => Outcome::NotAttempted,
            };
            outcomes.push(IdOutcome { index, id, outcome });
        }
        // Duplicates by sorting, not hashing: ids are long and many, and a sort of indexes
        // costs less than hashing each of them.
        let mut order: Vec<usize> = (0..outcomes.len())
            .filter(|&i| matches!(outcomes[i].outcome, Outcome::NotAttempted))
            .collect();
        order.sort_unstable_by(|&a, &b| outcomes[a].id.cmp(&outcomes[b].id).then(a.cmp(&b)));
        let mut first_index = usize::MAX;
        for k in 0..order.len() {
            let i = order[k];
            if k > 0 && outcomes[order[k - 1]].id == outcomes[i].id {
                outcomes[i].outcome = Outcome::Duplicate { first_index };
            } else {
                first_index = i;
            }
        }
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

    /// When the job stops starting requests: its `deadline` from now. Taken once, as the job
    /// starts, so that the listing and every batch of steps count against the one deadline.
    fn deadline_from_now(&self) -> Option<Instant> {
        self.deadline.map(|d| Instant::now() + d)
    }

    /// What both jobs do first: the deadline starts, the input is checked, the key's
    /// enrollments are listed. `Err` is the report of a job that ends there.
    async fn start(mut self) -> Result<Started<A>, BulkReport> {
        let deadline = self.deadline_from_now();
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
type StepFuture = Pin<Box<dyn Future<Output = (usize, StepResult)> + Send>>;

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

    /// Runs `steps` with at most `concurrency` in flight, calling `done` as each completes;
    /// steps not started when `deadline` passes are left out (their outcomes stay as they
    /// were).
    async fn run(
        &self,
        deadline: Option<Instant>,
        steps: Vec<StepFuture>,
        mut done: impl FnMut(usize, StepResult),
    ) {
        // `concurrency` long-lived workers take the steps in order: a spawn per worker, not
        // per request. No step starts after the deadline.
        let workers = self.concurrency.max(1).min(steps.len());
        let queue = Arc::new(std::sync::Mutex::new(steps.into_iter()));
        let (results, mut finished) = tokio::sync::mpsc::unbounded_channel();
        // Dropped with the job's future: every request still in flight is cancelled.
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..workers {
            let (queue, results) = (queue.clone(), results.clone());
            tasks.spawn(async move {
                while deadline.is_none_or(|d| Instant::now() < d) {
                    let next = queue
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .next();
                    let Some(step) = next else { break };
                    if results.send(step.await).is_err() {
                        break;
                    }
                }
            });
        }
        drop(results);
        while let Some((index, result)) = finished.recv().await {
            done(index, result);
        }
        while let Some(joined) = tasks.join_next().await {
            if let Err(join_error) = joined {
                if join_error.is_panic() {
                    std::panic::resume_unwind(join_error.into_panic());
                }
            }
        }
    }

    fn progress(&self, progress: &Progress) {
        if let Some(callback) = &self.on_progress {
            callback(progress);
        }
    }
}

/// Builder methods both bulk jobs share.
macro_rules! job_setters {
    ($builder:ident) => {
        impl<A: Area> $builder<A> {
            /// Adds event types: the area's event enum values, or their wire strings. At least
            /// one is required. Default: none.
            pub fn event_types<I>(mut self, events: I) -> Self
            where
                I: IntoIterator,
                I::Item: IntoEvent<A::Event>,
            {
                self.job
                    .events
                    .extend(events.into_iter().map(IntoEvent::into_event));
                self
            }

            /// Requests in flight at once. Default: [`DEFAULT_CONCURRENCY`] (4); 0 counts as 1.
            /// Every request still goes through the client's rate-limit state, so more
            /// concurrency does not mean more 429s.
            pub fn concurrency(mut self, requests: usize) -> Self {
                self.job.concurrency = requests.max(1);
                self
            }

            /// Starts no request after this long, counted from `send()` (the listing
            /// included); the ids of requests not started are reported as
            /// [`Outcome::NotAttempted`], and the removals of a sync not started as
            /// [`RemovalState::NotAttempted`]. Requests in flight finish under the client's own
            /// deadline. Default: none.
            pub fn deadline(mut self, deadline: Duration) -> Self {
                self.job.deadline = Some(deadline);
                self
            }

            /// Called after the listing and after each request completes, with where the job
            /// stands: for a progress bar. Default: none.
            pub fn on_progress(
                mut self,
                callback: impl Fn(&Progress) + Send + Sync + 'static,
            ) -> Self {
                self.job.on_progress = Some(Arc::new(callback));
                self
            }
        }
    };
}

/// Enrolls any number of ids under one key: chunks of up to 20 ids, in input order, each an
/// enrollment carrying the key. From `client.prospects().enroll_all(key, ids)` or
/// `client.businesses().enroll_all(key, ids)`.
///
/// It lists the key's enrollments first and sends nothing for ids already enrolled under the
/// key for the same event types ([`Outcome::Unchanged`]), so running it again after a crash, or
/// with [`BulkReport::failed_ids`], completes the job without enrolling anything twice. Every
/// add is a reconciled add of the client, through its retry engine and rate-limit state.
#[derive(Debug, Clone)]
#[must_use = "a job does nothing until `.send().await`"]
pub struct EnrollAll<A: Area> {
    job: Job<A>,
}

job_setters!(EnrollAll);

impl<A: Area> EnrollAll<A> {
    pub(crate) fn new<I>(client: Client, enrollment_key: String, ids: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        Self {
            job: Job::new(client, enrollment_key, ids),
        }
    }

    /// Runs the job. Never fails as a whole: an invalid key or event type, or a listing that
    /// fails, is every id's [`Outcome::Failed`], with nothing added.
    pub async fn send(self) -> BulkReport {
        let Started {
            job,
            deadline,
            mut outcomes,
            valid,
            events,
            listed,
            wanted,
        } = match self.job.start().await {
            Ok(started) => started,
            Err(report) => return report,
        };
        let mut requests = Requests {
            list: 1,
            ..Requests::default()
        };
        let mut enrolled: HashMap<&str, &str> = HashMap::new();
        for enrollment in &listed {
            if watches(enrollment, &wanted) {
                for id in enrollment.ids() {
                    enrolled.entry(id).or_insert(enrollment.enrollment_id());
                }
            }
        }
        let mut to_add = Vec::new();
        for &i in &valid {
            // Most jobs start from nothing: no look-up then.
            let found = if enrolled.is_empty() {
                None
            } else {
                enrolled.get(outcomes[i].id.as_str())
            };
            match found {
                Some(enrollment_id) => {
                    outcomes[i].outcome = Outcome::Unchanged {
                        enrollment_id: (*enrollment_id).to_string(),
                    }
                }
                None => to_add.push(i),
            }
        }
        let chunks: Vec<Vec<usize>> = to_add.chunks(MAX_IDS).map(<[usize]>::to_vec).collect();
        let steps: Vec<Step> = chunks
            .iter()
            .map(|ids| Step::Add { ids: ids.clone() })
            .collect();
        let futures = steps
            .iter()
            .enumerate()
            .map(|(index, step)| job.step_future(index, step, &outcomes, &events))
            .collect();
        let mut progress = Progress {
            done_ids: valid.len() - to_add.len(),
            total_ids: valid.len(),
            failed_ids: 0,
            done_requests: 1,
            total_requests: 1 + chunks.len(),
        };
        job.progress(&progress);
        job.run(deadline, futures, |index, result| {
            let chunk = &chunks[index];
            requests.add += 1;
            let outcome = match result {
                Ok(enrollment_id) => Outcome::Added { enrollment_id },
                Err(error) => {
                    progress.failed_ids += chunk.len();
                    Outcome::Failed {
                        error: Arc::new(error),
                    }
                }
            };
            for &i in chunk {
                outcomes[i].outcome = outcome.clone();
            }
            progress.done_ids += chunk.len();
            progress.done_requests += 1;
            job.progress(&progress);
        })
        .await;
        BulkReport {
            outcomes,
            removed: Vec::new(),
            requests,
        }
    }
}

/// Makes a key's enrollments watch exactly the given ids, for exactly the given event types:
/// from `client.prospects().sync(key, ids)` or `client.businesses().sync(key, ids)`.
///
/// It lists the key's enrollments, then does the least work: an enrollment that loses ids, or
/// whose event types change, is updated (a `PATCH`, which replaces its lists and can be
/// repeated safely), with new ids filling its free places; the other new ids go into new
/// enrollments of up to 20, in input order; an enrollment left with no ids is deleted. Adds and
/// updates go first and deletes last, so no id that stays is unwatched in between. Running it
/// again with the same input sends nothing but the listing; running it again after a failure
/// completes the job.
#[derive(Debug, Clone)]
#[must_use = "a job does nothing until `.send().await`"]
pub struct SyncEnrollments<A: Area> {
    job: Job<A>,
}

job_setters!(SyncEnrollments);

/// What a sync will do to one listed enrollment.
struct Kept {
    enrollment_id: String,
    /// Ids it keeps, then new ones it takes, in order.
    ids: Vec<String>,
    /// Ids the input no longer lists: each a [`Removal`].
    removed: Vec<String>,
    /// Ids the input lists but an earlier enrollment (or an earlier place in this one) holds:
    /// dropped from this one, still watched, so no [`Removal`].
    dropped: usize,
    events_change: bool,
}

impl Kept {
    /// Whether it must be updated (or deleted, if it keeps no id).
    fn changes(&self) -> bool {
        !self.removed.is_empty() || self.dropped > 0 || self.events_change
    }
}

/// A step of a sync, with what its completion settles.
struct Planned {
    step: Step,
    /// The input ids (indexes) whose outcome it decides.
    ids: Vec<usize>,
    /// Its entries in the report's `removed`.
    removals: Range<usize>,
    /// An update to new event types.
    events_change: bool,
}

impl<A: Area> SyncEnrollments<A> {
    pub(crate) fn new<I>(client: Client, enrollment_key: String, ids: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        Self {
            job: Job::new(client, enrollment_key, ids),
        }
    }

    /// Runs the job. Never fails as a whole: an invalid key or event type, or a listing that
    /// fails, is every id's [`Outcome::Failed`], with nothing changed.
    pub async fn send(self) -> BulkReport {
        let Started {
            job,
            deadline,
            mut outcomes,
            valid,
            events,
            listed,
            wanted,
        } = match self.job.start().await {
            Ok(started) => started,
            Err(report) => return report,
        };
        let mut requests = Requests {
            list: 1,
            ..Requests::default()
        };
        let ids_of: Vec<String> = outcomes.iter().map(|o| o.id.clone()).collect();
        let desired: HashMap<&str, usize> =
            valid.iter().map(|&i| (ids_of[i].as_str(), i)).collect();

        // What each listed enrollment keeps; an id listed twice stays in the first.
        let mut placed: HashSet<&str> = HashSet::new();
        let mut kept: Vec<Kept> = Vec::with_capacity(listed.len());
        for enrollment in &listed {
            let mut plan = Kept {
                enrollment_id: enrollment.enrollment_id().to_string(),
                ids: Vec::new(),
                removed: Vec::new(),
                dropped: 0,
                events_change: !watches(enrollment, &wanted),
            };
            for id in enrollment.ids() {
                if !desired.contains_key(id.as_str()) {
                    plan.removed.push(id.clone());
                } else if placed.insert(id.as_str()) {
                    plan.ids.push(id.clone());
                } else {
                    plan.dropped += 1;
                }
            }
            kept.push(plan);
        }
        // Ids no enrollment holds: first into the free places of enrollments being updated
        // anyway, then into new enrollments.
        let mut new_ids: Vec<usize> = valid
            .iter()
            .copied()
            .filter(|&i| !placed.contains(ids_of[i].as_str()))
            .collect();
        new_ids.reverse();
        let mut added_to: HashSet<usize> = HashSet::new();
        for plan in &mut kept {
            let changing = plan.changes();
            while changing && !plan.ids.is_empty() && plan.ids.len() < MAX_IDS {
                let Some(i) = new_ids.pop() else { break };
                added_to.insert(i);
                plan.ids.push(ids_of[i].clone());
            }
        }
        new_ids.reverse();

        // The steps, adds and updates first; every removal listed up front, not attempted.
        let mut planned: Vec<Planned> = new_ids
            .chunks(MAX_IDS)
            .map(|chunk| Planned {
                step: Step::Add {
                    ids: chunk.to_vec(),
                },
                ids: chunk.to_vec(),
                removals: 0..0,
                events_change: false,
            })
            .collect();
        let mut deletes = Vec::new();
        let mut removed: Vec<Removal> = Vec::new();
        for plan in kept {
            let ids_here: Vec<usize> = plan
                .ids
                .iter()
                .filter_map(|id| desired.get(id.as_str()).copied())
                .collect();
            if !plan.ids.is_empty() && !plan.changes() {
                for i in ids_here {
                    outcomes[i].outcome = Outcome::Unchanged {
                        enrollment_id: plan.enrollment_id.clone(),
                    };
                }
                continue;
            }
            let first = removed.len();
            removed.extend(plan.removed.into_iter().map(|id| Removal {
                id,
                enrollment_id: plan.enrollment_id.clone(),
                state: RemovalState::NotAttempted,
            }));
            let removals = first..removed.len();
            if plan.ids.is_empty() {
                deletes.push(Planned {
                    step: Step::Delete {
                        enrollment_id: plan.enrollment_id,
                    },
                    ids: Vec::new(),
                    removals,
                    events_change: false,
                });
            } else {
                planned.push(Planned {
                    step: Step::Update {
                        enrollment_id: plan.enrollment_id,
                        ids: plan.ids,
                    },
                    ids: ids_here,
                    removals,
                    events_change: plan.events_change,
                });
            }
        }
        let first_delete = planned.len();
        planned.extend(deletes);

        let futures: Vec<StepFuture> = planned
            .iter()
            .enumerate()
            .map(|(index, p)| job.step_future(index, &p.step, &outcomes, &events))
            .collect();
        let unchanged = valid.len() - planned.iter().map(|p| p.ids.len()).sum::<usize>();
        let mut progress = Progress {
            done_ids: unchanged,
            total_ids: valid.len(),
            failed_ids: 0,
            done_requests: 1,
            total_requests: 1 + planned.len(),
        };
        job.progress(&progress);
        // Deletes only once every add and update is done.
        let mut early = futures;
        let late = early.split_off(first_delete);
        for batch in [early, late] {
            // Each step's future carries its index among all the steps.
            job.run(deadline, batch, |index, result| {
                let p = &planned[index];
                match p.step {
                    Step::Add { .. } => requests.add += 1,
                    Step::Update { .. } => requests.update += 1,
                    Step::Delete { .. } => requests.delete += 1,
                }
                let (enrollment_id, error) = match result {
                    Ok(enrollment_id) => (enrollment_id, None),
                    Err(error) => (String::new(), Some(Arc::new(error))),
                };
                for &i in &p.ids {
                    let enrollment_id = enrollment_id.clone();
                    outcomes[i].outcome = match &error {
                        Some(error) => Outcome::Failed {
                            error: error.clone(),
                        },
                        None if matches!(p.step, Step::Add { .. }) || added_to.contains(&i) => {
                            Outcome::Added { enrollment_id }
                        }
                        None if p.events_change => Outcome::Updated { enrollment_id },
                        None => Outcome::Unchanged { enrollment_id },
                    };
                }
                let state = match &error {
                    Some(error) => RemovalState::Failed {
                        error: error.clone(),
                    },
                    None => RemovalState::Done,
                };
                for removal in &mut removed[p.removals.clone()] {
                    removal.state = state.clone();
                }
                if error.is_some() {
                    progress.failed_ids += p.ids.len();
                }
                progress.done_ids += p.ids.len();
                progress.done_requests += 1;
                job.progress(&progress);
            })
            .await;
        }
        BulkReport {
            outcomes,
            removed,
            requests,
        }
    }
}
