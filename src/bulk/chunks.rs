//! What the data families' bulk jobs (match, enrich) share: their [`Report`], and the run of
//! their chunks on the worker pool, each chunk one call, with attempts counted, progress
//! reported, and the job stopped by the first 403 (out of credits).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio::time::Instant;

use super::{Progress, Settings};
use crate::transport::error::{Error, ErrorKind};

/// What a match or enrich job did: one outcome per input, in input order, and what was sent.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Report<T> {
    /// One per input, in input order.
    pub outcomes: Vec<T>,
    /// Requests the job completed (each a call, its retries included).
    pub requests: usize,
    /// Attempts those requests made, the first of each included: what was sent, and so what
    /// may have been charged (an enrichment repeated after a lost answer may be charged again).
    pub attempts: u32,
    /// The error that stopped the job, if one did: a 403 (out of credits, or the key may not do
    /// this) stops it at once, and every input not yet sent is left not attempted.
    pub stopped: Option<Arc<Error>>,
}

/// One chunk's call: its result and the attempts it made.
pub(crate) type ChunkFuture<R> = Pin<Box<dyn Future<Output = (Result<R, Error>, u32)> + Send>>;

/// What running the chunks came to.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    requests: usize,
    attempts: u32,
    stopped: Option<Arc<Error>>,
}

impl Tally {
    /// The job's report, with these outcomes.
    pub(crate) fn report<T>(self, outcomes: Vec<T>) -> Report<T> {
        Report {
            outcomes,
            requests: self.requests,
            attempts: self.attempts,
            stopped: self.stopped,
        }
    }
}

impl Settings {
    /// Runs one call per chunk of `valid` (the input indexes to send, in input order, at most
    /// `per_request` to a chunk; `call` makes a chunk's call from its indexes), at most
    /// `concurrency` at once, none started after `deadline` nor after a 403. `apply` records a
    /// chunk's result (with the chunk's index) and says how many of its inputs failed. The job has
    /// `total` inputs; those not valid are settled before any call (invalid, duplicates).
    pub(crate) async fn run_chunks<R: Send + 'static>(
        &self,
        deadline: Option<Instant>,
        (valid, total): (&[usize], usize),
        per_request: usize,
        mut call: impl FnMut(&[usize]) -> ChunkFuture<R>,
        mut apply: impl FnMut(usize, &[usize], Result<R, Arc<Error>>) -> usize,
    ) -> Tally {
        let chunks: Vec<Vec<usize>> = valid.chunks(per_request).map(<[usize]>::to_vec).collect();
        let (done_ids, total_ids) = (total - valid.len(), total);
        let steps = chunks
            .iter()
            .enumerate()
            .map(|(index, chunk)| {
                let future = call(chunk);
                Box::pin(async move { (index, future.await) })
                    as super::StepFuture<(Result<R, Error>, u32)>
            })
            .collect();
        let mut progress = Progress {
            done_ids,
            total_ids,
            failed_ids: 0,
            done_requests: 0,
            total_requests: chunks.len(),
        };
        let mut tally = Tally::default();
        let stops = |(result, _): &(Result<R, Error>, u32)| matches!(result, Err(error) if error.kind() == ErrorKind::OutOfCredits);
        self.run_until(deadline, steps, stops, |index, (result, attempts)| {
            let chunk = &chunks[index][..];
            tally.requests += 1;
            tally.attempts = tally.attempts.saturating_add(attempts);
            let result = result.map_err(Arc::new);
            if let Err(error) = &result {
                if error.kind() == ErrorKind::OutOfCredits {
                    tally.stopped.get_or_insert_with(|| error.clone());
                }
            }
            progress.failed_ids += apply(index, chunk, result);
            progress.done_ids += chunk.len();
            progress.done_requests += 1;
            self.progress(&progress);
        })
        .await;
        tally
    }
}

/// The setters every data job's builder has (`concurrency`, `deadline`, `on_progress`), on a
/// builder with a `settings: Settings` field.
macro_rules! settings_setters {
    ($builder:ident $(<$param:ident: $bound:path>)?) => {
        impl$(<$param: $bound>)? $builder$(<$param>)? {
            /// Requests in flight at once. Default: [`DEFAULT_CONCURRENCY`](crate::bulk::DEFAULT_CONCURRENCY) (4); 0 counts as 1.
            /// Every request still goes through the client's rate-limit state, so more
            /// concurrency does not mean more 429s.
            pub fn concurrency(mut self, requests: usize) -> Self {
                self.settings.concurrency = requests.max(1);
                self
            }

            /// Starts no request after this long, counted from `send()`; the inputs of requests
            /// not started are reported not attempted. Requests in flight finish under the
            /// client's own deadline. Default: none.
            pub fn deadline(mut self, deadline: std::time::Duration) -> Self {
                self.settings.deadline = Some(deadline);
                self
            }

            /// Called after each request completes, with where the job stands: for a progress
            /// bar. Default: none.
            pub fn on_progress(
                mut self,
                callback: impl Fn(&crate::bulk::Progress) + Send + Sync + 'static,
            ) -> Self {
                self.settings.on_progress = Some(std::sync::Arc::new(callback));
                self
            }
        }
    };
}

pub(crate) use settings_setters;
