//! Which `openapi/overlay.yaml` corrections would no longer apply to the refreshed documents.
//!
//! The actions are applied as the build applies them (in order, each to every document, so a
//! later action sees what earlier ones did); where the build stops at the first action that
//! matches nothing, this names every such action, with its description.
//!
//! The update and removal are the build's own (`build/document_ops.rs`, which `build/spec.rs`
//! includes too); `build/spec.rs` itself is not included here: it brings the generator.

use serde::Serialize;
use serde_json::Value;

use crate::document_ops::{remove_at, update_at};
use serde_json_path::JsonPath;

/// A correction that would fail the build.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stale {
    /// 1-based, as the build's messages number them.
    pub action: usize,
    pub target: String,
    pub description: String,
    pub problem: String,
}

/// Applies `overlay` (YAML text) to `documents` (named, in file-name order) and returns the
/// actions that match nothing or cannot apply. An overlay that cannot be read at all is an
/// error.
pub fn stale_actions(
    overlay: &str,
    documents: &mut [(String, Value)],
) -> Result<Vec<Stale>, String> {
    let overlay: Value = serde_saphyr::from_str(overlay).map_err(|e| format!("not YAML: {e}"))?;
    let actions = overlay
        .get("actions")
        .and_then(Value::as_array)
        .ok_or("no `actions` list: not an Overlay document")?;
    let mut stale = Vec::new();
    for (index, action) in actions.iter().enumerate() {
        let target = action
            .get("target")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let description = action
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .trim()
            .to_string();
        let mut report = |problem: String| {
            stale.push(Stale {
                action: index + 1,
                target: target.clone(),
                description: description.clone(),
                problem,
            })
        };
        let path = match JsonPath::parse(&target) {
            Ok(path) => path,
            Err(e) => {
                report(format!("invalid JSONPath: {e}"));
                continue;
            }
        };
        let update = action.get("update");
        let remove = action.get("remove").and_then(Value::as_bool) == Some(true);
        if update.is_some() == remove {
            report("needs exactly one of `update` or `remove: true`".into());
            continue;
        }
        let mut matched = 0;
        let mut failure = None;
        for (name, document) in documents.iter_mut() {
            let pointers: Vec<String> = path
                .query_located(document)
                .into_iter()
                .map(|node| node.location().to_json_pointer())
                .collect();
            matched += pointers.len();
            for pointer in pointers.iter().rev() {
                let result = match update {
                    Some(update) => update_at(document, pointer, update),
                    None => remove_at(document, pointer),
                };
                if let Err(message) = result {
                    failure.get_or_insert(format!("in {name}: {message}"));
                }
            }
        }
        if let Some(failure) = failure {
            report(failure);
        } else if matched == 0 {
            report("matches nothing in any document".into());
        }
    }
    Ok(stale)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn later_actions_see_earlier_ones_and_every_stale_one_is_named() {
        let overlay = r#"
overlay: 1.0.0
actions:
  - target: $.components.schemas.A
    description: Drop A.
    remove: true
  - target: $.components.schemas.A.properties
    description: >-
      Correct A (stale once A is gone).
    update: {x: {type: string}}
  - target: $.paths[?
    description: Broken.
    remove: true
  - target: $.info
    description: Both.
    remove: true
    update: {}
  - target: $.info.title
    description: A string cannot be updated.
    update: {a: 1}
"#;
        let mut documents = vec![(
            "upstream/a.json".to_string(),
            json!({"info": {"title": "T"}, "components": {"schemas": {"A": {"properties": {}}}}}),
        )];
        let stale = stale_actions(overlay, &mut documents).unwrap();
        let found: Vec<(usize, &str)> = stale
            .iter()
            .map(|s| (s.action, s.description.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                (2, "Correct A (stale once A is gone)."),
                (3, "Broken."),
                (4, "Both."),
                (5, "A string cannot be updated.")
            ]
        );
        assert_eq!(stale[0].problem, "matches nothing in any document");
        assert!(stale[1].problem.starts_with("invalid JSONPath"));
        assert!(stale[3].problem.contains("in upstream/a.json"));
        assert!(documents[0].1["components"]["schemas"].get("A").is_none());
    }

    #[test]
    fn an_unreadable_overlay_is_an_error() {
        assert!(stale_actions("overlay: [", &mut []).is_err());
        assert!(stale_actions("overlay: 1.0.0", &mut [])
            .unwrap_err()
            .contains("no `actions`"));
    }
}
