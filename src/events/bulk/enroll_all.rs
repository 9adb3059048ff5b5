//! [`EnrollAll`]: enrolls any number of ids under one key, skipping those already enrolled.

use std::collections::HashMap;
use std::sync::Arc;

use super::{job_setters, watches, Area, Job, Started, Step};
use super::{BulkReport, Outcome, Requests};
use crate::bulk::Progress;
use crate::events::rules::MAX_IDS;

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
        job.settings.progress(&progress);
        job.settings
            .run(deadline, futures, |index, result| {
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
                job.settings.progress(&progress);
            })
            .await;
        BulkReport {
            outcomes,
            removed: Vec::new(),
            requests,
        }
    }
}
