//! `refresh`: what the source means for `openapi/upstream/`, and doing it.
//!
//! Each of the source's operations is matched with its committed document by `operationId`
//! (or, failing that, by method and path: a renamed operation). Then:
//! - the same bytes under the same name: **unchanged**;
//! - the committed document is of a newer `info.version`: **kept**, never replaced;
//! - otherwise: **changed** (or **renamed**), and the source's document replaces it;
//! - no committed document: **added**.
//!
//! A committed operation a full document no longer has is **removed** (deleted with `--prune`),
//! unless its document is newer than the source (kept). A documentation page speaks only for
//! its one operation.

use std::collections::HashSet;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::diff::{self, Change, SchemaStatus};
use crate::overlay::{stale_actions, Stale};
use crate::source::{Form, Source, SourceDocument};
use crate::upstream::Committed;
use crate::version::compare_versions;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Unchanged,
    Added,
    Changed,
    Renamed,
    Kept,
    Removed,
}

/// One operation's fate.
#[derive(Debug, Clone, Serialize)]
pub struct Operation {
    pub operation_id: String,
    pub method: String,
    pub path: String,
    pub status: Status,
    /// Its committed document, if any.
    pub committed_file: Option<String>,
    pub committed_version: Option<String>,
    /// Its document in the source, if the source has it (the name it is written under).
    pub source_file: Option<String>,
    /// `renamed`: the operationId it had; `kept` may have it too.
    pub renamed_from: Option<String>,
    /// The committed document differs from the source's (or the source lacks it).
    pub differs: bool,
}

/// How a component schema fares, as the API sees it (all documents, not only one operation's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SchemaFate {
    /// New to the API.
    Added,
    /// Gone from the API: its generated type goes too.
    Removed,
    Changed,
    /// Newly reached by these operations; other documents already have it.
    NowReached,
    /// No longer reached by these operations; other documents still have it.
    NoLongerReached,
}

/// One change, and the operations whose documents show it.
#[derive(Debug, Clone, Serialize)]
pub struct SharedChange {
    pub change: Change,
    pub operations: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SchemaChanges {
    pub name: String,
    pub fate: SchemaFate,
    pub changes: Vec<Change>,
    /// The operations whose documents show this.
    pub operations: Vec<String>,
}

/// Differences between two sets of documents, grouped so that a change shared by many
/// operations is said once.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Changes {
    /// Document-wide fields (`info.version`, `servers`, ...).
    pub document: Vec<SharedChange>,
    /// The operation objects: parameters, request bodies, responses, ...
    pub operations: Vec<SharedChange>,
    pub schemas: Vec<SchemaChanges>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.document.is_empty() && self.operations.is_empty() && self.schemas.is_empty()
    }

    /// Every change that may break users' code, with where it is.
    pub fn breaking(&self) -> Vec<String> {
        let mut out = Vec::new();
        for shared in self.document.iter().chain(&self.operations) {
            let c = &shared.change;
            if c.breaking {
                let ops = shared.operations.join(", ");
                out.push(format!("{}: {} (in {ops})", c.at, c.detail));
            }
        }
        for s in &self.schemas {
            if s.fate == SchemaFate::Removed {
                out.push(format!("schema {}: removed from the API", s.name));
            }
            for c in s.changes.iter().filter(|c| c.breaking) {
                out.push(format!("{}: {}", c.at, c.detail));
            }
        }
        out
    }
}

/// Everything `refresh` found; writing it is [`apply`].
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// Overlay actions that would no longer apply to the refreshed documents (first: they
    /// fail the build).
    pub stale_corrections: Vec<Stale>,
    pub operations: Vec<Operation>,
    /// `(file name, content)` to write into `upstream/`.
    #[serde(skip)]
    pub writes: Vec<(String, String)>,
    /// File names to delete from `upstream/`.
    pub deletes: Vec<String>,
    /// What a refresh writes: committed -> source, for operations added, changed, renamed or
    /// removed.
    pub changes: Changes,
    /// What separates the source from documents kept because they are newer (committed ->
    /// source; not written).
    pub kept_differences: Changes,
    pub notes: Vec<String>,
}

impl Plan {
    pub fn count(&self, status: Status) -> usize {
        self.operations
            .iter()
            .filter(|o| o.status == status)
            .count()
    }

    /// A refresh would write or delete something, or the source lacks committed operations.
    pub fn would_change(&self) -> bool {
        !self.writes.is_empty() || !self.deletes.is_empty() || self.count(Status::Removed) > 0
    }

    /// Documents kept because they are newer differ from the source.
    pub fn newer_differ(&self) -> bool {
        self.operations
            .iter()
            .any(|o| o.status == Status::Kept && o.differs)
    }

    /// Every change, written or not, that may break users' code; removed and renamed operations
    /// first.
    pub fn breaking(&self) -> Vec<String> {
        let mut out = Vec::new();
        for o in &self.operations {
            match (o.status, &o.renamed_from) {
                (Status::Removed, _) => out.push(format!("operation {} removed", o.operation_id)),
                (Status::Renamed, Some(from)) => out.push(format!(
                    "operation {from} renamed {} (its method's name changes)",
                    o.operation_id
                )),
                _ => {}
            }
        }
        out.extend(self.changes.breaking());
        out
    }
}

/// Works out what `source` means for the `committed` documents. `overlay` is the text of
/// `openapi/overlay.yaml`, if there is one.
pub fn plan(source: &Source, committed: &[Committed], overlay: Option<&str>, prune: bool) -> Plan {
    let mut operations = Vec::new();
    let mut writes = Vec::new();
    let mut deletes = Vec::new();
    let mut matched: HashSet<&str> = HashSet::new();
    let source_ids: HashSet<&str> = source
        .documents
        .iter()
        .map(|d| d.operation_id.as_str())
        .collect();
    // (operation, committed, source) for the change reports.
    let mut pairs: Vec<(String, Option<&Value>, Option<&Value>, bool)> = Vec::new();

    for document in &source.documents {
        let by_id = committed
            .iter()
            .find(|c| c.operation_id == document.operation_id);
        let by_route = || {
            committed.iter().find(|c| {
                !source_ids.contains(c.operation_id.as_str())
                    && c.method == document.method
                    && c.path == document.path
            })
        };
        let found = by_id.or_else(by_route);
        let mut operation = Operation {
            operation_id: document.operation_id.clone(),
            method: document.method.to_uppercase(),
            path: document.path.clone(),
            status: Status::Added,
            committed_file: found.map(|c| c.file_name.clone()),
            committed_version: found.map(|c| c.version.clone()),
            source_file: Some(document.file_name.clone()),
            renamed_from: found
                .filter(|c| c.operation_id != document.operation_id)
                .map(|c| c.operation_id.clone()),
            differs: true,
        };
        match found {
            None => {
                writes.push(write(document));
                pairs.push((
                    document.operation_id.clone(),
                    None,
                    Some(&document.value),
                    true,
                ));
            }
            Some(c) => {
                matched.insert(&c.file_name);
                let same = c.text == document.text && c.file_name == document.file_name;
                operation.differs = !same;
                if same {
                    operation.status = Status::Unchanged;
                } else if compare_versions(&c.version, &source.version).is_gt() {
                    operation.status = Status::Kept;
                    pairs.push((
                        document.operation_id.clone(),
                        Some(&c.value),
                        Some(&document.value),
                        false,
                    ));
                } else {
                    operation.status = if operation.renamed_from.is_some() {
                        Status::Renamed
                    } else {
                        Status::Changed
                    };
                    writes.push(write(document));
                    if c.file_name != document.file_name {
                        deletes.push(c.file_name.clone());
                    }
                    pairs.push((
                        document.operation_id.clone(),
                        Some(&c.value),
                        Some(&document.value),
                        true,
                    ));
                }
            }
        }
        operations.push(operation);
    }

    if source.form == Form::Full {
        for c in committed
            .iter()
            .filter(|c| !matched.contains(c.file_name.as_str()))
        {
            let newer = compare_versions(&c.version, &source.version).is_gt();
            if !newer {
                pairs.push((c.operation_id.clone(), Some(&c.value), None, true));
                if prune {
                    deletes.push(c.file_name.clone());
                }
            }
            operations.push(Operation {
                operation_id: c.operation_id.clone(),
                method: c.method.to_uppercase(),
                path: c.path.clone(),
                status: if newer { Status::Kept } else { Status::Removed },
                committed_file: Some(c.file_name.clone()),
                committed_version: Some(c.version.clone()),
                source_file: None,
                renamed_from: None,
                differs: true,
            });
        }
    }

    // The documents `upstream/` would hold, in file-name order (the build's order).
    let mut would_be: Vec<(String, Value)> = committed
        .iter()
        .filter(|c| !deletes.contains(&c.file_name))
        .filter(|c| !writes.iter().any(|(name, _)| *name == c.file_name))
        .map(|c| (format!("upstream/{}", c.file_name), c.value.clone()))
        .collect();
    for (name, _) in &writes {
        let document = source.documents.iter().find(|d| d.file_name == *name);
        if let Some(document) = document {
            would_be.push((format!("upstream/{name}"), document.value.clone()));
        }
    }
    would_be.sort_by(|a, b| a.0.cmp(&b.0));

    let mut notes = source.notes.clone();
    let stale_corrections = match overlay {
        None => {
            notes.push("no openapi/overlay.yaml: no correction to check".into());
            Vec::new()
        }
        Some(text) => {
            let mut documents = would_be.clone();
            stale_actions(text, &mut documents).unwrap_or_else(|e| {
                notes.push(format!("openapi/overlay.yaml could not be checked: {e}"));
                Vec::new()
            })
        }
    };

    let committed_names = schema_names(committed.iter().map(|c| &c.value));
    let would_be_names = schema_names(would_be.iter().map(|(_, v)| v));
    let source_names = schema_names(source.documents.iter().map(|d| &d.value));
    let (written, kept): (Vec<_>, Vec<_>) = pairs.into_iter().partition(|p| p.3);
    Plan {
        operations,
        writes,
        deletes,
        stale_corrections,
        changes: compare(&written, &committed_names, &would_be_names),
        kept_differences: compare(&kept, &committed_names, &source_names),
        notes,
    }
}

fn write(document: &SourceDocument) -> (String, String) {
    (document.file_name.clone(), document.text.clone())
}

fn schema_names<'a>(documents: impl Iterator<Item = &'a Value>) -> HashSet<String> {
    documents
        .filter_map(|d| d.get("components")?.get("schemas")?.as_object())
        .flat_map(|s| s.keys().cloned())
        .collect()
}

type Pair<'a> = (String, Option<&'a Value>, Option<&'a Value>, bool);

/// Groups the per-operation differences of `pairs` (committed, source).
fn compare(
    pairs: &[Pair<'_>],
    old_names: &HashSet<String>,
    new_names: &HashSet<String>,
) -> Changes {
    let mut changes = Changes::default();
    for (id, old, new, _) in pairs {
        let (Some(old), Some(new)) = (old, new) else {
            // An added operation brings the schemas new to the API; a removed one is said as such.
            if let Some(new) = new {
                let schemas = new["components"]["schemas"].as_object();
                for name in schemas.into_iter().flat_map(|s| s.keys()) {
                    if !old_names.contains(name) {
                        add_schema(&mut changes, name, SchemaFate::Added, Vec::new(), id);
                    }
                }
            }
            continue;
        };
        let diff = diff::documents(old, new);
        share(&mut changes.document, diff.document, id);
        share(&mut changes.operations, diff.operation, id);
        for (name, status, list) in diff.schemas {
            let fate = match status {
                SchemaStatus::Changed => SchemaFate::Changed,
                SchemaStatus::Added if old_names.contains(&name) => SchemaFate::NowReached,
                SchemaStatus::Added => SchemaFate::Added,
                SchemaStatus::Removed if new_names.contains(&name) => SchemaFate::NoLongerReached,
                SchemaStatus::Removed => SchemaFate::Removed,
            };
            add_schema(&mut changes, &name, fate, list, id);
        }
    }
    changes
}

fn share(shared: &mut Vec<SharedChange>, changes: Vec<Change>, id: &str) {
    for change in changes {
        match shared.iter_mut().find(|s| s.change == change) {
            Some(s) => s.operations.push(id.to_string()),
            None => shared.push(SharedChange {
                change,
                operations: vec![id.to_string()],
            }),
        }
    }
}

fn add_schema(changes: &mut Changes, name: &str, fate: SchemaFate, list: Vec<Change>, id: &str) {
    let same = changes
        .schemas
        .iter_mut()
        .find(|s| s.name == name && s.fate == fate && s.changes == list);
    match same {
        Some(s) => s.operations.push(id.to_string()),
        None => changes.schemas.push(SchemaChanges {
            name: name.to_string(),
            fate,
            changes: list,
            operations: vec![id.to_string()],
        }),
    }
}

/// Writes and deletes what `plan` says, in `upstream`. Each file is written beside its final
/// name and renamed into place, so an interrupted refresh leaves no half-written document.
pub fn apply(plan: &Plan, upstream: &Path) -> Result<(), String> {
    for (name, text) in &plan.writes {
        let path = upstream.join(name);
        let partial = upstream.join(format!(".{name}.partial"));
        std::fs::write(&partial, text)
            .and_then(|()| std::fs::rename(&partial, &path))
            .map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
    }
    for name in &plan.deletes {
        let path = upstream.join(name);
        std::fs::remove_file(&path)
            .map_err(|e| format!("{}: cannot delete: {e}", path.display()))?;
    }
    Ok(())
}
