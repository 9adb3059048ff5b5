//! `cargo xtask refresh` on small hand-made documents (`tests/fixtures/`): a full document in
//! two versions (1.0.0, 1.1.0), its extracts at 1.0.0, a documentation page (2.0.0) and an
//! overlay. Offline; each test works in its own folder under Cargo's target tmp dir.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use xtask::{parse_refresh_args, run_refresh, Outcome};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A fresh `openapi/` folder: `upstream/` holding the 1.0.0 extracts, and the test overlay.
fn openapi_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("refresh")
        .join(test);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("upstream")).unwrap();
    for entry in fs::read_dir(fixture("upstream-1.0.0")).unwrap() {
        let path = entry.unwrap().path();
        fs::copy(&path, dir.join("upstream").join(path.file_name().unwrap())).unwrap();
    }
    fs::copy(fixture("overlay.yaml"), dir.join("overlay.yaml")).unwrap();
    dir
}

/// Every file of `upstream/`, by name, with its bytes.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = fs::read_dir(dir.join("upstream"))
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, fs::read(&path).unwrap())
        })
        .collect();
    files.sort();
    files
}

fn refresh(dir: &Path, source: &Path, flags: &[&str]) -> Result<(String, Outcome), String> {
    let mut args: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
    args.extend([
        "--openapi".into(),
        dir.display().to_string(),
        source.display().to_string(),
    ]);
    run_refresh(&parse_refresh_args(&args)?)
}

fn json_report(dir: &Path, source: &Path, flags: &[&str]) -> Value {
    let mut flags = flags.to_vec();
    flags.push("--json");
    let (report, _) = refresh(dir, source, &flags).unwrap();
    serde_json::from_str(&report).unwrap()
}

fn status_of<'a>(report: &'a Value, operation: &str) -> &'a str {
    report["operations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["operation_id"] == operation)
        .and_then(|o| o["status"].as_str())
        .unwrap_or("(absent)")
}

#[test]
fn extracts_are_byte_for_byte_the_committed_ones() {
    let text = fs::read_to_string(fixture("full-1.0.0.json")).unwrap();
    let source = xtask::source::parse("full-1.0.0.json", &text).unwrap();
    let names: Vec<&str> = source
        .documents
        .iter()
        .map(|d| d.file_name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "healthcheck.json",
            "list_things.json",
            "add_thing.json",
            "delete_thing.json"
        ]
    );
    for document in &source.documents {
        let expected =
            fs::read_to_string(fixture("upstream-1.0.0").join(&document.file_name)).unwrap();
        assert!(
            document.text == expected,
            "{} differs from its committed extract",
            document.file_name
        );
    }
    // The unreferenced schema is in no extract; the escapes of the source are undone.
    assert!(source.documents.iter().all(|d| !d.text.contains("Unused")));
    assert!(source.documents[0]
        .text
        .contains("Caf\u{e9} server \u{2019}s"));
}

#[test]
fn the_same_source_leaves_upstream_unchanged_and_says_so() {
    let dir = openapi_dir("unchanged");
    let before = snapshot(&dir);
    let (report, outcome) = refresh(&dir, &fixture("full-1.0.0.json"), &[]).unwrap();
    assert_eq!(outcome, Outcome::Unchanged);
    assert_eq!(snapshot(&dir), before);
    assert!(
        report.contains("unchanged: 4 document(s) match the source."),
        "{report}"
    );
    assert!(report.contains("Every correction in openapi/overlay.yaml still applies."));
    let (_, outcome) = refresh(&dir, &fixture("full-1.0.0.json"), &["--check"]).unwrap();
    assert_eq!(outcome.exit_code(), 0);
}

#[test]
fn check_reports_added_removed_enum_and_limit_changes_and_writes_nothing() {
    let dir = openapi_dir("check");
    let before = snapshot(&dir);
    let source = fixture("full-1.1.0.json");
    let (text, outcome) = refresh(&dir, &source, &["--check"]).unwrap();
    assert_eq!(outcome, Outcome::WouldChange);
    assert_eq!(outcome.exit_code(), 1);
    assert_eq!(snapshot(&dir), before, "--check wrote something");

    // The stale correction is named first, with its reason.
    let stale = text
        .find("#2 `$.components.schemas.AddThingRequest")
        .unwrap();
    assert!(stale < text.find("Operations:").unwrap(), "{text}");
    assert!(text.contains("why: Fifty ids per request is what the service really takes."));
    for line in [
        "added    rename_thing (PATCH /v1/things/{thing_id}): rename_thing.json",
        "! removed  delete_thing (DELETE /v1/things/{thing_id}): not in the source; delete_thing.json kept until --prune",
        "changed  add_thing (POST /v1/things): 1.0.0 -> 1.1.0",
        "! Colour: enum values removed: \"green\"",
        "! AddThingRequest.ids: `maxItems` 50 -> 20 (tightened)",
        "Thing.name: added (optional)",
        "schema RenameThingRequest: added (in rename_thing)",
        "What a refresh writes may break users' code: yes",
    ] {
        assert!(text.contains(line), "no `{line}` in:\n{text}");
    }

    let report = json_report(&dir, &source, &["--check"]);
    assert_eq!(report["exit_code"], 1);
    assert_eq!(report["may_break"], true);
    assert_eq!(status_of(&report, "rename_thing"), "added");
    assert_eq!(status_of(&report, "delete_thing"), "removed");
    assert_eq!(status_of(&report, "healthcheck"), "changed");
    let colour = report["changes"]["schemas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Colour")
        .unwrap();
    assert_eq!(colour["changes"][0]["kind"], "enum_values_removed");
    assert_eq!(colour["changes"][0]["breaking"], true);
    assert_eq!(
        colour["operations"],
        serde_json::json!(["list_things", "add_thing"])
    );
    let stale = &report["stale_corrections"];
    assert_eq!(stale.as_array().unwrap().len(), 1);
    assert_eq!(stale[0]["action"], 2);
    assert_eq!(stale[0]["problem"], "matches nothing in any document");
    assert_eq!(snapshot(&dir), before);
}

#[test]
fn a_removed_operation_is_deleted_only_with_prune() {
    let dir = openapi_dir("prune");
    let source = fixture("full-1.1.0.json");
    let (text, outcome) = refresh(&dir, &source, &[]).unwrap();
    assert_eq!(outcome, Outcome::Written);
    assert!(text.contains("Wrote 4 document(s) and deleted 0"), "{text}");
    let names: Vec<String> = snapshot(&dir).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "add_thing.json",
            "delete_thing.json",
            "healthcheck.json",
            "list_things.json",
            "rename_thing.json"
        ]
    );
    // Written as extracted from 1.1.0.
    let written = fs::read_to_string(dir.join("upstream/add_thing.json")).unwrap();
    assert!(written.contains("\"version\": \"1.1.0\""));
    assert!(written.contains("\"maxItems\": 20"));

    // The removed operation still makes --check fail until pruned.
    let (_, outcome) = refresh(&dir, &source, &["--check"]).unwrap();
    assert_eq!(outcome.exit_code(), 1);
    let (text, _) = refresh(&dir, &source, &["--prune"]).unwrap();
    assert!(
        text.contains("removed  delete_thing (DELETE /v1/things/{thing_id}): deleted (--prune)"),
        "{text}"
    );
    assert!(!dir.join("upstream/delete_thing.json").exists());
    let (_, outcome) = refresh(&dir, &source, &["--check"]).unwrap();
    assert_eq!(outcome.exit_code(), 0);
}

#[test]
fn a_newer_committed_document_is_kept_and_said_to_be() {
    let dir = openapi_dir("newest-wins");
    // add_thing comes from the 2.0.0 documentation page.
    fs::remove_file(dir.join("upstream/add_thing.json")).unwrap();
    let (_, outcome) = refresh(&dir, &fixture("add_thing-page.md"), &[]).unwrap();
    assert_eq!(outcome, Outcome::Written);
    let page = snapshot(&dir);

    // The 1.0.0 full document says otherwise about add_thing: kept, and --check exits 3.
    let (text, outcome) = refresh(&dir, &fixture("full-1.0.0.json"), &["--check"]).unwrap();
    assert_eq!(outcome, Outcome::NewerDiffer);
    assert_eq!(outcome.exit_code(), 3);
    assert!(
        text.contains(
            "kept     1 operation, committed 2.0.0, newer than the source's 1.0.0: add_thing"
        ),
        "{text}"
    );
    assert!(
        text.contains("What separates the source from the documents kept because they are newer")
    );
    assert!(
        text.contains("Colour: enum values removed: \"violet\""),
        "{text}"
    );
    let (text, outcome) = refresh(&dir, &fixture("full-1.1.0.json"), &[]).unwrap();
    assert_eq!(outcome, Outcome::Written);
    assert!(text.contains("add_thing"), "{text}");
    let add_thing =
        |files: &[(String, Vec<u8>)]| files.iter().find(|(n, _)| n == "add_thing.yaml").cloned();
    assert_eq!(add_thing(&snapshot(&dir)), add_thing(&page));
    assert!(!dir.join("upstream/add_thing.json").exists());
}

#[test]
fn a_markdown_page_gives_its_openapi_block_verbatim() {
    let dir = openapi_dir("page");
    let (text, outcome) = refresh(&dir, &fixture("add_thing-page.md"), &[]).unwrap();
    assert_eq!(outcome, Outcome::Written);
    // The 1.0.0 extract is replaced by the page's document (newer), under its own form's name.
    assert!(!dir.join("upstream/add_thing.json").exists());
    let page = fs::read_to_string(fixture("add_thing-page.md")).unwrap();
    let start =
        page.find("````yaml post /v1/things\n").unwrap() + "````yaml post /v1/things\n".len();
    let end = page.rfind("````").unwrap();
    let written = fs::read_to_string(dir.join("upstream/add_thing.yaml")).unwrap();
    assert_eq!(written, page[start..end]);
    assert!(written.ends_with("name: api_key\n\n"));
    // A page speaks for its one operation only: nothing else is removed or changed.
    assert!(
        text.contains("Operations: 0 added, 0 removed, 1 changed"),
        "{text}"
    );
    assert!(text.contains("changed  add_thing (POST /v1/things): 1.0.0 -> 2.0.0"));
    assert!(
        text.contains("Colour: enum values added: \"violet\""),
        "{text}"
    );
    assert!(text.contains("! operation parameter tenant (header): removed (in add_thing)"));
    // Again: unchanged.
    let (text, outcome) = refresh(&dir, &fixture("add_thing-page.md"), &["--check"]).unwrap();
    assert_eq!(outcome, Outcome::Unchanged, "{text}");
}

#[test]
fn bad_input_is_an_error_naming_what_and_why() {
    let dir = openapi_dir("errors");
    let scratch = dir.join("scratch");
    fs::create_dir_all(&scratch).unwrap();
    let write = |name: &str, text: &str| {
        let path = scratch.join(name);
        fs::write(&path, text).unwrap();
        path
    };
    let cases: Vec<(PathBuf, &str)> = vec![
        (scratch.join("absent.json"), "cannot read"),
        (
            write("broken.json", "{\"openapi\": \"3.1.0\",\n  \"paths\": {"),
            "not JSON",
        ),
        (
            write("page.md", "# A page\n\nNo OpenAPI here.\n"),
            "no OpenAPI block",
        ),
        (
            write(
                "no-id.json",
                r#"{"openapi": "3.1.0", "info": {"version": "1"}, "paths": {"/x": {"get": {"responses": {}}}}}"#,
            ),
            "GET /x has no `operationId`",
        ),
        (
            write("not-openapi.json", r#"{"swagger": "2.0"}"#),
            "not an OpenAPI document",
        ),
    ];
    for (source, expected) in cases {
        let error = refresh(&dir, &source, &[]).unwrap_err();
        assert!(error.contains(expected), "{}: {error}", source.display());
    }
    // A committed document that cannot be read is named.
    fs::write(dir.join("upstream/bad.yaml"), "openapi: [").unwrap();
    let error = refresh(&dir, &fixture("full-1.0.0.json"), &[]).unwrap_err();
    assert!(error.contains("bad.yaml: not YAML"), "{error}");
    // Arguments.
    assert!(parse_refresh_args(&[])
        .unwrap_err()
        .contains("which source"));
    let two = ["a".to_string(), "b".to_string()];
    assert!(parse_refresh_args(&two).unwrap_err().contains("one source"));
    let flag = ["--force".to_string(), "a".to_string()];
    assert!(parse_refresh_args(&flag).unwrap_err().contains("--force"));
}

#[test]
fn the_command_line_exits_by_outcome_and_writes_nothing_on_check() {
    let dir = openapi_dir("binary");
    let before = snapshot(&dir);
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(args)
            .output()
            .unwrap()
    };
    let openapi = dir.display().to_string();
    let newer = fixture("full-1.1.0.json").display().to_string();
    let output = run(&["refresh", "--check", "--openapi", &openapi, &newer]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).contains("Nothing written (exit 1)."));
    assert_eq!(snapshot(&dir), before);

    let output = run(&["refresh", "--openapi", &openapi, "no-such-file.json"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("error: no-such-file.json: cannot read"),
        "{stderr}"
    );

    let output = run(&[
        "refresh",
        "--openapi",
        &openapi,
        "http://127.0.0.1:9/x.json",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("only https:// URLs"));

    let output = run(&["frobnicate"]);
    assert_eq!(output.status.code(), Some(2));
    let output = run(&["--help"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).contains("cargo xtask refresh"));
}

/// The published document itself, when given: `EXPLORIUM_FULL_DOCUMENT=<path to Partner
/// Service's openapi.yaml>` (the version openapi/README.md names). Every committed `.json`
/// extract of that version must be reproduced byte for byte. Skipped without the variable.
#[test]
fn the_published_document_reproduces_the_committed_extracts() {
    let Some(path) = std::env::var_os("EXPLORIUM_FULL_DOCUMENT") else {
        eprintln!("skipped: EXPLORIUM_FULL_DOCUMENT is not set");
        return;
    };
    let text = fs::read_to_string(&path).unwrap();
    let source = xtask::source::parse("published", &text).unwrap();
    let upstream = Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/upstream");
    let committed = xtask::upstream::read(&upstream).unwrap();
    let mut compared = 0;
    for c in committed.iter().filter(|c| c.version == source.version) {
        let document = source
            .documents
            .iter()
            .find(|d| d.file_name == c.file_name)
            .unwrap_or_else(|| panic!("{} is not in the source", c.file_name));
        assert!(document.text == c.text, "{} differs", c.file_name);
        compared += 1;
    }
    assert!(
        compared > 0,
        "no committed document of version {}",
        source.version
    );
}

#[test]
fn an_operation_renamed_on_the_same_route_replaces_its_document() {
    let dir = openapi_dir("renamed");
    let text = fs::read_to_string(fixture("full-1.0.0.json"))
        .unwrap()
        .replace(
            "\"operationId\": \"list_things\"",
            "\"operationId\": \"get_things\"",
        )
        .replace("\"version\": \"1.0.0\"", "\"version\": \"1.0.1\"");
    let source = dir.join("full-1.0.1.json");
    fs::write(&source, text).unwrap();
    let report = json_report(&dir, &source, &["--check"]);
    assert_eq!(status_of(&report, "get_things"), "renamed");
    assert_eq!(status_of(&report, "list_things"), "(absent)");
    assert_eq!(report["deletes"], serde_json::json!(["list_things.json"]));
    assert!(report["breaking"][0]
        .as_str()
        .unwrap()
        .starts_with("operation list_things renamed get_things"));
    let (text, outcome) = refresh(&dir, &source, &[]).unwrap();
    assert_eq!(outcome, Outcome::Written);
    assert!(
        text.contains("! renamed  list_things -> get_things (GET /v1/things)"),
        "{text}"
    );
    assert!(!dir.join("upstream/list_things.json").exists());
    assert!(dir.join("upstream/get_things.json").exists());
}
