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
        if steps.len() == 1 {
            // One step (a job that fits one request): awaited here, with no worker to spawn.
            if deadline.is_none_or(|d| Instant::now() < d) {
                if let Some(step) = steps.into_iter().next() {
                    let (index, result) = step.await;
                    done(index, result);
                }
            }
            return;
        }
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

/// Screens a job's ids, in input order: each is checked to be `hex_len` lowercase hex
/// characters (an error names `field[index]`); of equal valid ids the first is kept and each
/// later one is its duplicate. One verdict per id.
pub(crate) fn screen(field: &str, hex_len: usize, ids: &[String]) -> Vec<Screened> {
    screen_by(field, hex_len, ids, digest)
}

/// [`screen`], by the digest `digest`.
fn screen_by(
    field: &str,
    hex_len: usize,
    ids: &[String],
    digest: impl Fn(&str) -> u64,
) -> Vec<Screened> {
    let mut verdicts = Vec::with_capacity(ids.len());
    // Duplicates by sorting, not hashing into a table: the valid ids' digests with their
    // indexes, sorted, then each run of one digest sorted by id (nearly always a run is one
    // id given several times, already in order; ids that share a digest only cost a sort).
    let mut digests = Vec::with_capacity(ids.len());
    for (index, id) in ids.iter().enumerate() {
        verdicts.push(match crate::validate::id(field, index, id, hex_len) {
            Err(error) => Screened::Invalid(error),
            Ok(()) => {
                digests.push((digest(id), index));
                Screened::Valid
            }
        });
    }
    digests.sort_unstable();
    for run in digests.chunk_by_mut(|a, b| a.0 == b.0) {
        if run.len() == 1 {
            continue;
        }
        run.sort_unstable_by(|a, b| ids[a.1].cmp(&ids[b.1]).then(a.1.cmp(&b.1)));
        for pair in run.windows(2) {
            let ((_, earlier), (_, index)) = (pair[0], pair[1]);
            if ids[earlier] == ids[index] {
                // Equal ids sort by index, so a run of them points at its first through the
                // one before.
                let first_index = match verdicts[earlier] {
                    Screened::Duplicate { first_index } => first_index,
                    _ => earlier,
                };
                verdicts[index] = Screened::Duplicate { first_index };
            }
        }
    }
    verdicts
}

/// A digest of `id`, from its key: equal ids have equal digests, and distinct ids almost
/// never do (an id too long to have a key has digest 0; the runs' own sort still tells it
/// apart).
fn digest(id: &str) -> u64 {
    IdKey::new(id).map_or(0, |key| {
        key.words.iter().fold(u64::from(key.len), |digest, &word| {
            (digest.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95)
        })
    })
}

/// An id of at most [`IdKey::MAX`] bytes, held inline: its length and its bytes packed into
/// zero-padded words. Equal keys are equal ids. What a bulk answer's rows are matched by, with
/// no allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct IdKey {
    len: u8,
    words: [u64; 5],
}

impl IdKey {
    /// The longest id that packs: 40 bytes, a prospect id's.
    pub(crate) const MAX: usize = 40;

    /// `id`'s key; `None` when it is longer than [`IdKey::MAX`].
    pub(crate) fn new(id: &str) -> Option<Self> {
        let mut bytes = [0u8; Self::MAX];
        bytes.get_mut(..id.len())?.copy_from_slice(id.as_bytes());
        let mut words = [0u64; 5];
        for (word, chunk) in words.iter_mut().zip(bytes.chunks_exact(8)) {
            let mut eight = [0u8; 8];
            eight.copy_from_slice(chunk);
            *word = u64::from_ne_bytes(eight);
        }
        Some(Self {
            len: id.len() as u8,
            words,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdicts(ids: &[&str]) -> Vec<String> {
        verdicts_by(ids, digest)
    }

    fn verdicts_by(ids: &[&str], digest: fn(&str) -> u64) -> Vec<String> {
        let ids: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
        screen_by("ids", 4, &ids, digest)
            .into_iter()
            .map(|verdict| match verdict {
                Screened::Valid => "valid".to_string(),
                Screened::Invalid(error) => error.to_string(),
                Screened::Duplicate { first_index } => format!("duplicate of {first_index}"),
            })
            .collect()
    }

    #[test]
    fn a_run_of_equal_ids_points_at_the_first() {
        assert_eq!(
            verdicts(&["bbbb", "aaaa", "bbbb", "zz", "aaaa", "bbbb", "abcd"]),
            [
                "valid",
                "valid",
                "duplicate of 0",
                "ids[3]: \"zz\" is not 4 lowercase hex characters",
                "duplicate of 1",
                "duplicate of 0",
                "valid",
            ]
        );
    }

    #[test]
    fn ids_that_share_a_digest_are_told_apart() {
        // Every digest equal: the runs' own sort finds the duplicates.
        assert_eq!(
            verdicts_by(&["cccc", "aaaa", "cccc", "bbbb", "aaaa", "cccc"], |_| 7),
            [
                "valid",
                "valid",
                "duplicate of 0",
                "valid",
                "duplicate of 1",
                "duplicate of 0",
            ]
        );
        assert_eq!(digest("abcd"), digest("abcd"));
        assert_ne!(digest("abcd"), digest("abce"));
    }

    #[test]
    fn keys_are_equal_only_for_equal_ids() {
        let key = |id: &str| IdKey::new(id).unwrap();
        assert_eq!(key("0123456789abcdef"), key("0123456789abcdef"));
        // Padding does not make a shorter id, nor one with a NUL, equal to another.
        assert_ne!(key("abc"), key("abc\0"));
        assert_ne!(key("abcd"), key("abce"));
        assert!(IdKey::new(&"a".repeat(IdKey::MAX)).is_some());
        assert!(IdKey::new(&"a".repeat(IdKey::MAX + 1)).is_none());
    }
}
