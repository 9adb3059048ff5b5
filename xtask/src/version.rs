//! `info.version`, and which of two is newer.

use serde_json::Value;

/// Dotted numeric comparison (`0.2.349` < `0.2.1000`), text comparison where not numeric: the
/// build's own order for `info.version` (`build/document_ops.rs`).
pub fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    crate::document_ops::compare_versions(a, b)
}

/// A document's `info.version` (a number is read as its text).
pub fn version_of(document: &Value) -> Option<String> {
    match document.get("info")?.get("version")? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_parts_compare_as_numbers() {
        assert!(compare_versions("0.2.349", "0.2.1000").is_lt());
        assert!(compare_versions("0.3.19", "0.2.349").is_gt());
        assert!(compare_versions("0.2.273", "0.2.273").is_eq());
        assert!(compare_versions("0.2", "0.2.1").is_lt());
    }
}
