//! The report `refresh` prints: for people (text) and for machines (`--json`).

use std::fmt::Write as _;

use serde::Serialize;

use crate::diff::{Change, Kind};
use crate::refresh::{Changes, Plan, SchemaFate, Status};
use crate::source::Source;

/// How the run ended, and the exit status it gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Nothing to write: `upstream/` already says what the source says (kept newer documents
    /// aside, if any).
    Unchanged,
    /// Documents were written or deleted.
    Written,
    /// `--check`: a refresh would write or delete documents, or the source lacks operations.
    WouldChange,
    /// `--check`: a refresh would change nothing, but documents kept because they are newer
    /// differ from the source.
    NewerDiffer,
}

impl Outcome {
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Unchanged | Outcome::Written => 0,
            Outcome::WouldChange => 1,
            Outcome::NewerDiffer => 3,
        }
    }

    /// The outcome of a plan, with `--check` or without.
    pub fn of(plan: &Plan, check: bool) -> Outcome {
        match (check, plan.would_change(), plan.newer_differ()) {
            (true, true, _) => Outcome::WouldChange,
            (true, false, true) => Outcome::NewerDiffer,
            (false, true, _) if !plan.writes.is_empty() || !plan.deletes.is_empty() => {
                Outcome::Written
            }
            _ => Outcome::Unchanged,
        }
    }
}

/// The machine-readable report.
#[derive(Debug, Serialize)]
pub struct JsonReport<'a> {
    pub source: SourceSummary<'a>,
    pub check: bool,
    pub prune: bool,
    pub outcome: Outcome,
    pub exit_code: u8,
    pub may_break: bool,
    pub breaking: Vec<String>,
    #[serde(flatten)]
    pub plan: &'a Plan,
    /// The files written (`--check`: that would be written).
    pub writes: Vec<&'a str>,
}

#[derive(Debug, Serialize)]
pub struct SourceSummary<'a> {
    pub name: &'a str,
    pub form: &'a str,
    pub title: &'a str,
    pub version: &'a str,
    pub operations: usize,
}

pub fn json(source: &Source, plan: &Plan, check: bool, prune: bool) -> String {
    let outcome = Outcome::of(plan, check);
    let breaking = plan.breaking();
    let report = JsonReport {
        source: SourceSummary {
            name: &source.name,
            form: source.form.key(),
            title: &source.title,
            version: &source.version,
            operations: source.documents.len(),
        },
        check,
        prune,
        outcome,
        exit_code: outcome.exit_code(),
        may_break: !breaking.is_empty(),
        breaking,
        plan,
        writes: plan.writes.iter().map(|(name, _)| name.as_str()).collect(),
    };
    let mut text =
        serde_json::to_string_pretty(&report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

/// The report for people. `upstream` names the folder as the user should read it.
pub fn text(source: &Source, plan: &Plan, committed: usize, upstream: &str, check: bool) -> String {
    let mut out = String::new();
    let o = &mut out;
    let _ = writeln!(
        o,
        "Source: {}: {} {} ({}, {} operation{})",
        source.name,
        source.title,
        source.version,
        source.form.name(),
        source.documents.len(),
        if source.documents.len() == 1 { "" } else { "s" }
    );
    let _ = writeln!(o, "Committed: {upstream}, {committed} documents");
    let _ = writeln!(o);

    if plan.stale_corrections.is_empty() {
        let _ = writeln!(o, "Every correction in openapi/overlay.yaml still applies.");
    } else {
        let _ = writeln!(
            o,
            "Corrections in openapi/overlay.yaml that would no longer apply (the build fails on them):"
        );
        for s in &plan.stale_corrections {
            let _ = writeln!(o, "  #{} `{}`: {}", s.action, s.target, s.problem);
            wrap(o, "      why: ", &s.description);
        }
    }
    let _ = writeln!(o);

    let _ = writeln!(
        o,
        "Operations: {} added, {} removed, {} changed, {} renamed, {} kept, {} unchanged",
        plan.count(Status::Added),
        plan.count(Status::Removed),
        plan.count(Status::Changed),
        plan.count(Status::Renamed),
        plan.count(Status::Kept),
        plan.count(Status::Unchanged)
    );
    for op in &plan.operations {
        let route = format!("{} {}", op.method, op.path);
        let committed = op.committed_version.as_deref().unwrap_or("");
        let line = match op.status {
            Status::Added => format!(
                "added    {} ({route}): {}",
                op.operation_id,
                op.source_file.as_deref().unwrap_or("")
            ),
            Status::Changed => format!(
                "changed  {} ({route}): {committed} -> {}",
                op.operation_id, source.version
            ),
            Status::Renamed => format!(
                "renamed  {} -> {} ({route})",
                op.renamed_from.as_deref().unwrap_or(""),
                op.operation_id
            ),
            Status::Removed
                if plan
                    .deletes
                    .iter()
                    .any(|d| Some(d) == op.committed_file.as_ref()) =>
            {
                format!("removed  {} ({route}): deleted (--prune)", op.operation_id)
            }
            Status::Removed => format!(
                "removed  {} ({route}): not in the source; {} kept until --prune",
                op.operation_id,
                op.committed_file.as_deref().unwrap_or("")
            ),
            _ => continue,
        };
        let breaking = matches!(op.status, Status::Removed | Status::Renamed);
        let _ = writeln!(o, "  {}{line}", mark(breaking));
    }
    kept_lines(o, plan, &source.version);
    let _ = writeln!(o);

    let breaking = plan.breaking().len();
    let kept_breaking = plan.kept_differences.breaking().len();
    let mut line = match breaking {
        0 => "What a refresh writes may break users' code: no".to_string(),
        n => format!("What a refresh writes may break users' code: yes, {n} change(s), marked !"),
    };
    if kept_breaking > 0 {
        let _ = write!(
            line,
            " (the differences in kept documents, not written, hold {kept_breaking} that would)"
        );
    }
    let _ = writeln!(o, "{line}");
    if !plan.changes.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(o, "What a refresh writes (committed -> source):");
        changes(o, &plan.changes);
    }
    if !plan.kept_differences.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "What separates the source from the documents kept because they are newer (committed -> source; not written):"
        );
        changes(o, &plan.kept_differences);
    }
    if !plan.notes.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(o, "Notes:");
        for note in &plan.notes {
            wrap(o, "  - ", note);
        }
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "{}", result_line(plan, upstream, check));
    out
}

/// How many kept operations are named in a line.
const KEPT_NAMES: usize = 6;

/// The kept operations, grouped by the version of their committed documents.
fn kept_lines(o: &mut String, plan: &Plan, source_version: &str) {
    let mut versions: Vec<&str> = Vec::new();
    for op in plan
        .operations
        .iter()
        .filter(|op| op.status == Status::Kept)
    {
        let version = op.committed_version.as_deref().unwrap_or("");
        if !versions.contains(&version) {
            versions.push(version);
        }
    }
    for version in versions {
        let ops: Vec<String> = plan
            .operations
            .iter()
            .filter(|op| {
                op.status == Status::Kept && op.committed_version.as_deref() == Some(version)
            })
            .map(|op| match (op.source_file.is_some(), op.differs) {
                (false, _) => format!("{} (not in the source)", op.operation_id),
                (true, true) => op.operation_id.clone(),
                (true, false) => format!("{} (same as the source)", op.operation_id),
            })
            .collect();
        let mut names = ops[..ops.len().min(KEPT_NAMES)].join(", ");
        if ops.len() > KEPT_NAMES {
            let _ = write!(
                names,
                " and {} more (--json lists them)",
                ops.len() - KEPT_NAMES
            );
        }
        wrap(
            o,
            "  kept     ",
            &format!(
                "{} operation{}, committed {version}, newer than the source's {source_version}: {names}",
                ops.len(),
                if ops.len() == 1 { "" } else { "s" },
            ),
        );
    }
}

fn changes(o: &mut String, changes: &Changes) {
    for (what, list) in [
        ("document", &changes.document),
        ("operation", &changes.operations),
    ] {
        for shared in list {
            let c = &shared.change;
            let _ = writeln!(
                o,
                "  {}{what} {}: {} ({})",
                mark(c.breaking),
                c.at,
                c.detail,
                operations(&shared.operations)
            );
        }
    }
    for s in &changes.schemas {
        let fate = match s.fate {
            SchemaFate::Added => "added",
            SchemaFate::Removed => "removed from the API",
            SchemaFate::Changed => "changed",
            SchemaFate::NowReached => "now reached",
            SchemaFate::NoLongerReached => "no longer reached",
        };
        let _ = writeln!(
            o,
            "  {}schema {}: {fate} ({})",
            mark(s.fate == SchemaFate::Removed),
            s.name,
            operations(&s.operations)
        );
        change_lines(o, &s.changes);
    }
}

/// Each change on a line; documentation changes counted on one.
fn change_lines(o: &mut String, list: &[Change]) {
    let mut documentation = 0;
    for c in list {
        if c.kind == Kind::Documentation {
            documentation += 1;
            continue;
        }
        let _ = writeln!(o, "    {}{}: {}", mark(c.breaking), c.at, c.detail);
    }
    if documentation > 0 {
        let _ = writeln!(
            o,
            "      and {documentation} documentation change{} (description, title, examples)",
            if documentation == 1 { "" } else { "s" }
        );
    }
}

fn mark(breaking: bool) -> &'static str {
    if breaking {
        "! "
    } else {
        ""
    }
}

/// `in op` / `in a, b, c` / `in 12 operations: a, b, c, ...`
fn operations(ops: &[String]) -> String {
    match ops.len() {
        0..=3 => format!("in {}", ops.join(", ")),
        n => format!("in {n} operations: {}, ...", ops[..3].join(", ")),
    }
}

fn result_line(plan: &Plan, upstream: &str, check: bool) -> String {
    let removed = plan.count(Status::Removed);
    let kept = plan.count(Status::Kept);
    match Outcome::of(plan, check) {
        Outcome::WouldChange => format!(
            "--check: {upstream} differs from the source: {} document(s) to write, {} to delete, \
             {removed} operation(s) the source no longer has. Nothing written (exit 1).",
            plan.writes.len(),
            plan.deletes.len()
        ),
        Outcome::NewerDiffer => {
            format!(
            "--check: a refresh would change nothing, but {} committed document(s) newer than the \
             source differ from it. Nothing written (exit 3).",
            plan.operations.iter().filter(|o| o.status == Status::Kept && o.differs).count()
        )
        }
        Outcome::Written => format!(
            "Wrote {} document(s) and deleted {} in {upstream}. Next: `cargo build`, then \
             `EXPLORIUM_UPDATE_OPENAPI=1 cargo test --test spec_pipeline`, and record the source \
             in openapi/README.md.",
            plan.writes.len(),
            plan.deletes.len()
        ),
        Outcome::Unchanged => {
            let mut line = format!(
                "{upstream} unchanged: {} document(s) match the source",
                plan.count(Status::Unchanged)
            );
            if kept > 0 {
                let _ = write!(line, ", {kept} kept (newer than the source)");
            }
            if removed > 0 {
                let _ = write!(
                    line,
                    ", {removed} the source no longer has (--prune deletes them)"
                );
            }
            if check {
                line.push_str(" (exit 0)");
            }
            line.push('.');
            line
        }
    }
}

/// `text` after `prefix`, wrapped at 100 columns, continuation lines indented like the prefix.
fn wrap(o: &mut String, prefix: &str, text: &str) {
    let indent = " ".repeat(prefix.chars().count());
    let mut line = prefix.to_string();
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + word.chars().count() > 100 {
            let _ = writeln!(o, "{line}");
            line = indent.clone();
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    let _ = writeln!(o, "{line}");
}
