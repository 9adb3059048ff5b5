//! Edits of a JSON document by pointer, as OpenAPI Overlay 1.0 defines them, and the order of
//! `info.version` strings. Shared by the build's pipeline (`build/spec.rs`) and the refresh
//! tool (`xtask`), which must apply the overlay exactly as the build does; depends on
//! `serde_json` (with `preserve_order`) only.

use std::cmp::Ordering;

use serde_json::{Map, Value};

/// Overlay 1.0 update of the node at `pointer`: an object merges ([`deep_merge`]), an array
/// gets `update` appended.
pub(crate) fn update_at(document: &mut Value, pointer: &str, update: &Value) -> Result<(), String> {
    let target = document
        .pointer_mut(pointer)
        .ok_or_else(|| format!("`{pointer}` vanished"))?;
    match (target, update) {
        (Value::Object(target), Value::Object(update)) => {
            deep_merge(target, update);
            Ok(())
        }
        (Value::Array(target), update) => {
            target.push(update.clone());
            Ok(())
        }
        (Value::Object(_), _) => Err(format!("`{pointer}` is an object, so `update` must be one")),
        _ => Err(format!(
            "`{pointer}` is neither an object nor an array (Overlay 1.0 updates those only)"
        )),
    }
}

/// Overlay 1.0 update: properties of `update` replace those of `target`, objects merge
/// recursively, arrays are appended to.
pub(crate) fn deep_merge(target: &mut Map<String, Value>, update: &Map<String, Value>) {
    for (key, value) in update {
        match (target.get_mut(key), value) {
            (Some(Value::Object(existing)), Value::Object(value)) => deep_merge(existing, value),
            (Some(Value::Array(existing)), Value::Array(value)) => {
                existing.extend(value.iter().cloned())
            }
            _ => {
                target.insert(key.clone(), value.clone());
            }
        }
    }
}

/// Overlay 1.0 removal of the node at `pointer` (nothing when its parent is already gone).
pub(crate) fn remove_at(document: &mut Value, pointer: &str) -> Result<(), String> {
    let (parent, last) = pointer
        .rsplit_once('/')
        .ok_or("the document root cannot be removed")?;
    let key = last.replace("~1", "/").replace("~0", "~");
    match document.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.shift_remove(&key);
        }
        Some(Value::Array(items)) => {
            let index: usize = key
                .parse()
                .map_err(|_| format!("bad array index in `{pointer}`"))?;
            if index < items.len() {
                items.remove(index);
            }
        }
        // Its parent was removed by this same action already.
        _ => {}
    }
    Ok(())
}

/// Dotted numeric comparison (`0.2.349` < `0.2.1000`), text comparison where not numeric.
pub(crate) fn compare_versions(a: &str, b: &str) -> Ordering {
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
