//! What a bulk job of the events family reports: every input id's outcome, the removals of a
//! sync, the requests sent, and totals.

use std::sync::Arc;

use crate::transport::error::Error;

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

/// An id that [`SyncEnrollments`](super::SyncEnrollments) stops watching because the input no longer lists it: one per
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
    /// For [`SyncEnrollments`](super::SyncEnrollments): the ids it stopped watching.
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
