//! [`SyncEnrollments`]: makes a key's enrollments watch exactly a list of ids, with the fewest
//! requests; adds and updates first, deletes last.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::Arc;

use super::{job_setters, watches, Area, Job, Started, Step, StepFuture};
use super::{BulkReport, Outcome, Removal, RemovalState, Requests};
use crate::bulk::Progress;
use crate::events::rules::MAX_IDS;

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
        job.settings.progress(&progress);
        // Deletes only once every add and update is done.
        let mut early = futures;
        let late = early.split_off(first_delete);
        for batch in [early, late] {
            // Each step's future carries its index among all the steps.
            job.settings
                .run(deadline, batch, |index, result| {
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
                    job.settings.progress(&progress);
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
