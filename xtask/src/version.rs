//! `info.version`, and which of two is newer.

use std::cmp::Ordering;

use serde_json::Value;

/// A document's `info.version` (a number is read as its text).
pub fn version_of(document: &Value) -> Option<String> {
    match document.get("info")?.get("version")? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Dotted numeric comparison (`0.2.349` < `0.2.1000`), text comparison where not numeric: the
/// order the build's merge uses for `info.version` (the same rule as `build/spec.rs`'s).
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let parts = |v: &str| -> Vec<Result<u64, String>> {
        v.split('.')
            .map(|p| p.parse::<u64>().map_err(|_| p.to_string()))
            .collect()
    };
    let (a, b) = (parts(a), parts(b));
    for (x, y) in a.iter().zip(&b) {
        let ordering = match (x, y) {
            (Ok(x), Ok(y)) => x.cmp(y),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            (Err(x), Err(y)) => x.cmp(y),
        };
        if ordering.is_ne() {
            return ordering;
        }
    }
    a.len().cmp(&b.len())
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
