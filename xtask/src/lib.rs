//! The explorium crate's maintainer tools, run as `cargo xtask <command>`. Never published.
//!
//! `refresh <source>`: Explorium's published OpenAPI document (the full document, or one
//! documentation page exported as markdown) -> one document per operation in
//! `openapi/upstream/`, with a report of what changed.

pub mod diff;
// The overlay's edits and the version order, exactly as the build applies them.
#[path = "../../build/document_ops.rs"]
#[allow(dead_code, unreachable_pub)]
mod document_ops;
pub mod extract;
pub mod json;
pub mod overlay;
pub mod refresh;
pub mod report;
pub mod source;
pub mod upstream;
pub mod version;

use std::path::{Path, PathBuf};

pub use report::Outcome;

/// `cargo xtask refresh`'s options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshArgs {
    pub source: String,
    pub check: bool,
    pub prune: bool,
    pub json: bool,
    /// The `openapi/` folder; the workspace's own when `None`.
    pub openapi: Option<PathBuf>,
}

/// The workspace's `openapi/` folder.
pub fn default_openapi_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("openapi")
}

/// Runs `refresh`: returns the report to print and the outcome (whose exit code to give).
pub fn run_refresh(args: &RefreshArgs) -> Result<(String, Outcome), String> {
    let (openapi, shown) = match &args.openapi {
        Some(dir) => (dir.clone(), format!("{}/", dir.join("upstream").display())),
        None => (default_openapi_dir(), "openapi/upstream/".to_string()),
    };
    let upstream_dir = openapi.join("upstream");
    let source = source::load(&args.source)?;
    let committed = upstream::read(&upstream_dir)?;
    let overlay_path = openapi.join("overlay.yaml");
    let overlay = match std::fs::read_to_string(&overlay_path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(format!("{}: cannot read: {e}", overlay_path.display())),
    };
    let plan = refresh::plan(&source, &committed, overlay.as_deref(), args.prune);
    let outcome = Outcome::of(&plan, args.check);
    if !args.check {
        refresh::apply(&plan, &upstream_dir)?;
    }
    let report = if args.json {
        report::json(&source, &plan, args.check, args.prune)
    } else {
        report::text(&source, &plan, committed.len(), &shown, args.check)
    };
    Ok((report, outcome))
}

pub const USAGE: &str = "\
cargo xtask refresh [--check] [--prune] [--json] [--openapi DIR] <source>

  <source>       Explorium's full published OpenAPI document (JSON), or a documentation page
                 exported as markdown whose OpenAPI block (```yaml) is one operation's
                 document: a file path, or an https:// URL.
  --check        Write nothing; exit 1 if a refresh would write or delete documents (or the
                 source lacks committed operations), 3 if only documents kept because they are
                 newer than the source differ from it, 0 if nothing differs.
  --prune        Delete the documents of operations the (full) source no longer has.
  --json         The report as JSON.
  --openapi DIR  The openapi/ folder to refresh (default: the workspace's).

Writes one document per operation into openapi/upstream/ as openapi/README.md says, keeps
committed documents of a newer info.version, and reports operations added, removed and changed,
schema changes, what may break users' code, and openapi/overlay.yaml corrections that would no
longer apply. Exit status 2: an error (the message says which file and why).";

/// Parses `refresh`'s arguments (after the word `refresh`).
pub fn parse_refresh_args(args: &[String]) -> Result<RefreshArgs, String> {
    let mut parsed = RefreshArgs {
        source: String::new(),
        check: false,
        prune: false,
        json: false,
        openapi: None,
    };
    let mut sources = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--check" => parsed.check = true,
            "--prune" => parsed.prune = true,
            "--json" => parsed.json = true,
            "--openapi" => {
                let dir = args.next().ok_or("--openapi needs a folder")?;
                parsed.openapi = Some(PathBuf::from(dir));
            }
            flag if flag.starts_with("--") => return Err(format!("unknown option `{flag}`")),
            source => sources.push(source.to_string()),
        }
    }
    match <[String; 1]>::try_from(sources) {
        Ok([source]) => parsed.source = source,
        Err(sources) if sources.is_empty() => return Err("which source? none given".into()),
        Err(sources) => return Err(format!("one source at a time; {} given", sources.len())),
    }
    Ok(parsed)
}
