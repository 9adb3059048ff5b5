//! The committed documents of `openapi/upstream/`: the files the build reads (`*.yaml`,
//! `*.yml`, `*.json`), one operation each.

use std::path::Path;

use serde_json::Value;

use crate::source::one_operation;
use crate::version::version_of;

/// One committed document.
#[derive(Debug, Clone)]
pub struct Committed {
    pub file_name: String,
    pub text: String,
    pub value: Value,
    pub operation_id: String,
    pub method: String,
    pub path: String,
    /// `info.version`; empty when the document has none (older than any).
    pub version: String,
}

/// Reads every document of `dir`, sorted by file name. Each must hold one operation, and no two
/// the same `operationId`.
pub fn read(dir: &Path) -> Result<Vec<Committed>, String> {
    let shown = dir.display();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{shown}: cannot read: {e}"))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("{shown}: cannot read: {e}"))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_document = [".yaml", ".yml", ".json"].iter().any(|e| name.ends_with(e));
        if is_document && entry.path().is_file() {
            names.push(name);
        }
    }
    names.sort();
    let mut out: Vec<Committed> = Vec::new();
    for file_name in names {
        let path = dir.join(&file_name);
        let fail = |message: String| format!("{}: {message}", path.display());
        let text = std::fs::read_to_string(&path).map_err(|e| fail(format!("cannot read: {e}")))?;
        let value: Value = if file_name.ends_with(".json") {
            serde_json::from_str(&text).map_err(|e| fail(format!("not JSON: {e}")))?
        } else {
            serde_saphyr::from_str(&text).map_err(|e| fail(format!("not YAML: {e}")))?
        };
        let (operation_id, method, op_path) = one_operation(&value).map_err(fail)?;
        if let Some(other) = out.iter().find(|c| c.operation_id == operation_id) {
            return Err(fail(format!(
                "operationId `{operation_id}` is also {}'s; one document per operation",
                other.file_name
            )));
        }
        out.push(Committed {
            version: version_of(&value).unwrap_or_default(),
            file_name,
            text,
            value,
            operation_id,
            method,
            path: op_path,
        });
    }
    Ok(out)
}
