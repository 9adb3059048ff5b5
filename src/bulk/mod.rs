//! Bulk jobs over any number of inputs. Every job checks all its input before sending anything,
//! sends it in chunks in input order, keeps a bounded number of requests in flight through the
//! client's retry engine and rate-limit state, reports its [`Progress`] as it goes, and never
//! fails as a whole: its report says what became of every input.
//!
//! The jobs come from the API families:
#![cfg_attr(
    feature = "events",
    doc = "- events: [`EnrollAll`] appends, [`SyncEnrollments`] makes a key's enrollments watch \
           exactly a list; both chunk by 20, and their [`BulkReport`] says what became of every \
           input id."
)]

// This room holds what every bulk job shares, below the families: its settings (concurrency,
// deadline, progress callback), the worker pool that runs its requests, and the screening of its
// input (invalid inputs are never sent; a later duplicate points at the first). Each family's
// jobs, and their report types, live in its own folder and are re-exported here.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::transport::error::Error;

#[cfg(any(feature = "match", feature = "enrich"))]
mod chunks;
#[cfg(any(feature = "match", feature = "enrich"))]
pub(crate) use chunks::settings_setters;
#[cfg(any(feature = "match", feature = "enrich"))]
pub use chunks::Report;

#[cfg(feature = "events")]
pub use crate::events::bulk::{
    Area, BulkReport, EnrollAll, IdOutcome, Outcome, Removal, RemovalState, Requests,
    SyncEnrollments, Totals,
};

/// Requests a bulk job keeps in flight unless told otherwise.
pub const DEFAULT_CONCURRENCY: usize = 4;

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

/// How a job runs, as its builder set it: what every bulk builder holds besides its input.
#[derive(Clone)]
pub(crate) struct Settings {
    /// Requests in flight at once; 0 counts as 1.
    pub(crate) concurrency: usize,
    /// How long after the job starts requests may still be started.
    pub(crate) deadline: Option<Duration>,
    /// Called after each request the job completes.
    pub(crate) on_progress: Option<ProgressFn>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            concurrency: DEFAULT_CONCURRENCY,
            deadline: None,
            on_progress: None,
        }
    }
}

/// One request of a job (or several, in order), as the worker pool runs it: it ends with its
/// index among the job's steps and its result.
pub(crate) type StepFuture<R> = Pin<Box<dyn Future<Output = (usize, R)> + Send>>;

impl Settings {
    /// When the job stops starting requests: its `deadline` from now. Taken once, as the job
    /// starts, so that everything it sends counts against the one deadline.
    pub(crate) fn deadline_from_now(&self) -> Option<Instant> {
        self.deadline.map(|d| Instant::now() + d)
    }

    /// Runs `steps` with at most `concurrency` in flight, calling `done` as each completes;
    /// steps not started when `deadline` passes are left out (their outcomes stay as they
    /// were).
    pub(crate) async fn run<R: Send + 'static>(
        &self,
        deadline: Option<Instant>,
        steps: Vec<StepFuture<R>>,
        done: impl FnMut(usize, R),
    ) {
        self.run_until(deadline, steps, |_| false, done).await;
    }

    /// [`Settings::run`], stopped by the first result `stops` holds for: the worker that
    /// finished that step empties the queue before it takes another, so no step starts after
    /// it (those in flight finish, and `done` hears of them); steps never started keep their
    /// outcomes.
    pub(crate) async fn run_until<R: Send + 'static>(
        &self,
        deadline: Option<Instant>,
        steps: Vec<StepFuture<R>>,
        stops: impl Fn(&R) -> bool + Send + Sync + 'static,
        mut done: impl FnMut(usize, R),
    ) {
        // `concurrency` long-lived workers take the steps in order: a spawn per worker, not
        // per request. No step starts after the deadline.
        let workers = self.concurrency.max(1).min(steps.len());
        let queue = Arc::new(std::sync::Mutex::new(steps.into_iter()));
        let stops = Arc::new(stops);
        let (results, mut finished) = tokio::sync::mpsc::unbounded_channel();
        // Dropped with the job's future: every request still in flight is cancelled.
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..workers {
            let (queue, results, stops) = (queue.clone(), results.clone(), stops.clone());
            tasks.spawn(async move {
                let take = || {
                    queue
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .next()
                };
                while deadline.is_none_or(|d| Instant::now() < d) {
                    let Some(step) = take() else { break };
                    let (index, result) = step.await;
                    if stops(&result) {
                        // The steps not taken yet are dropped: every worker finds the queue
                        // empty.
                        let rest: Vec<StepFuture<R>> = queue
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .by_ref()
                            .collect();
                        drop(rest);
                    }
                    if results.send((index, result)).is_err() {
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

    /// Tells the callback, if there is one, where the job stands.
    pub(crate) fn progress(&self, progress: &Progress) {
        if let Some(callback) = &self.on_progress {
            callback(progress);
        }
    }
}

/// What screening found of one input.
#[derive(Debug)]
pub(crate) enum Screened {
    /// Valid, and the first of its value: to be sent.
    Valid,
    /// Breaks a rule; never sent.
    Invalid(Error),
    /// Valid, but the same value stands earlier in the input, at `first_index`.
    Duplicate { first_index: usize },
}

/// Screens a job's input, in input order: `check` judges each input (with its index); of equal
/// valid inputs the first is kept and each later one is its duplicate. One verdict per input.
pub(crate) fn screen<T: Ord>(
    inputs: &[T],
    mut check: impl FnMut(usize, &T) -> Result<(), Error>,
) -> Vec<Screened> {
    let mut verdicts: Vec<Screened> = inputs
        .iter()
        .enumerate()
        .map(|(index, input)| match check(index, input) {
            Err(error) => Screened::Invalid(error),
            Ok(()) => Screened::Valid,
        })
        .collect();
    // Duplicates by sorting, not hashing: ids are long and many, and a sort of indexes
    // costs less than hashing each of them.
    let mut order: Vec<usize> = (0..inputs.len())
        .filter(|&i| matches!(verdicts[i], Screened::Valid))
        .collect();
    order.sort_unstable_by(|&a, &b| inputs[a].cmp(&inputs[b]).then(a.cmp(&b)));
    let mut first_index = usize::MAX;
    for k in 0..order.len() {
        let i = order[k];
        if k > 0 && inputs[order[k - 1]] == inputs[i] {
            verdicts[i] = Screened::Duplicate { first_index };
        } else {
            first_index = i;
        }
    }
    verdicts
}
