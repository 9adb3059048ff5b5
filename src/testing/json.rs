//! Request bodies decoded as the service's Python decoder does, where `serde_json` alone would
//! refuse valid JSON: nesting deeper than its 128 levels, and numbers beyond `f64`.
//!
//! `serde_json` still judges the syntax. Before it runs, one pass over the bytes measures the
//! nesting and replaces each number too large for `f64` (`1e400`, a 400-digit integer) with
//! the largest finite `f64` of its sign, as Python's `float` would make it infinite: a number
//! of the same JSON type, which is all a schema that accepts any value can ask of it.
//! (`serde_json`'s `arbitrary_precision` feature would keep such numbers, but it changes
//! `serde_json::Value` for the whole build, the client's decoding included.)

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::Value;

/// Deepest nesting decoded. The service's decoder (Python's `json`) gives up somewhere past a
/// thousand levels, by Python version; this bound also keeps `serde_json`'s recursion within a
/// test thread's stack.
pub(super) const MAX_DEPTH: usize = 512;

/// Why a body is not a JSON value.
#[derive(Debug, PartialEq)]
pub(super) enum JsonError {
    /// Nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// Not JSON: where the decoder stopped (characters from the start) and why.
    Syntax { offset: usize, message: String },
}

/// A field of an object, `null` when absent (indexing a `Map` would panic).
pub(super) fn field<'a>(object: &'a serde_json::Map<String, Value>, key: &str) -> &'a Value {
    const NULL: &Value = &Value::Null;
    object.get(key).unwrap_or(NULL)
}

/// Decodes a whole body.
pub(super) fn decode(bytes: &[u8]) -> Result<Value, JsonError> {
    let scan = scan(bytes);
    if scan.depth > MAX_DEPTH {
        return Err(JsonError::TooDeep);
    }
    let text = rewrite(bytes, &scan.out_of_range);
    let mut deserializer = serde_json::Deserializer::from_slice(&text);
    // The depth is bounded above; serde_json's own limit (128) is below what JSON allows.
    deserializer.disable_recursion_limit();
    let value = Value::deserialize(&mut deserializer).and_then(|value| {
        deserializer.end()?;
        Ok(value)
    });
    value.map_err(|error| {
        // Python places a body cut short at its end.
        let at = if error.is_eof() {
            bytes.len()
        } else {
            original_offset(&text, &error, &scan.out_of_range)
        };
        let message = error.to_string();
        // serde_json appends the position, given here as `offset` instead.
        let message = match message.rfind(" at line ") {
            Some(cut) => message[..cut].to_string(),
            None => message,
        };
        JsonError::Syntax {
            offset: char_count(&bytes[..at.min(bytes.len())]),
            message,
        }
    })
}

struct Scan {
    /// Deepest nesting of arrays and objects.
    depth: usize,
    /// Byte ranges of numbers beyond `f64`, with the sign of each.
    out_of_range: Vec<(std::ops::Range<usize>, bool)>,
}

/// One pass outside strings: nesting depth, and the numbers `serde_json` would refuse as out of
/// range. Anything else, valid or not, is left to `serde_json`.
fn scan(bytes: &[u8]) -> Scan {
    let mut scan = Scan {
        depth: 0,
        out_of_range: Vec::new(),
    };
    let (mut depth, mut i) = (0usize, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'[' | b'{' => {
                depth += 1;
                scan.depth = scan.depth.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i + 1 < bytes.len()
                    && matches!(bytes[i + 1], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
                {
                    i += 1;
                }
                let token = &bytes[start..=i];
                if is_json_number(token)
                    && std::str::from_utf8(token)
                        .ok()
                        .and_then(|t| t.parse::<f64>().ok())
                        .is_some_and(f64::is_infinite)
                {
                    scan.out_of_range.push((start..i + 1, token[0] == b'-'));
                }
            }
            _ => {}
        }
        i += 1;
    }
    scan
}

/// RFC 8259's number grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
fn is_json_number(token: &[u8]) -> bool {
    let digits = |t: &[u8]| t.iter().take_while(|b| b.is_ascii_digit()).count();
    let mut rest = token.strip_prefix(b"-").unwrap_or(token);
    let int = digits(rest);
    if int == 0 || (int > 1 && rest[0] == b'0') {
        return false;
    }
    rest = &rest[int..];
    if let Some(fraction) = rest.strip_prefix(b".") {
        let n = digits(fraction);
        if n == 0 {
            return false;
        }
        rest = &fraction[n..];
    }
    if let Some(exponent) = rest.strip_prefix(b"e").or_else(|| rest.strip_prefix(b"E")) {
        let exponent = exponent
            .strip_prefix(b"+")
            .or_else(|| exponent.strip_prefix(b"-"))
            .unwrap_or(exponent);
        let n = digits(exponent);
        return n > 0 && n == exponent.len();
    }
    rest.is_empty()
}

const LARGEST: &[u8] = b"1.7976931348623157e308";

fn rewrite<'a>(bytes: &'a [u8], out_of_range: &[(std::ops::Range<usize>, bool)]) -> Cow<'a, [u8]> {
    if out_of_range.is_empty() {
        return Cow::Borrowed(bytes);
    }
    let mut text = Vec::with_capacity(bytes.len());
    let mut copied = 0;
    for (range, negative) in out_of_range {
        text.extend_from_slice(&bytes[copied..range.start]);
        if *negative {
            text.push(b'-');
        }
        text.extend_from_slice(LARGEST);
        copied = range.end;
    }
    text.extend_from_slice(&bytes[copied..]);
    Cow::Owned(text)
}

/// The byte offset in the original body of the point where `serde_json` stopped in `text`.
fn original_offset(
    text: &[u8],
    error: &serde_json::Error,
    out_of_range: &[(std::ops::Range<usize>, bool)],
) -> usize {
    let line_start: usize = text
        .split_inclusive(|b| *b == b'\n')
        .take(error.line().saturating_sub(1))
        .map(<[u8]>::len)
        .sum();
    let mut at = line_start + error.column().saturating_sub(1);
    // Replacements hold no newline: only the shift of those before the point matters.
    let mut shift = 0isize;
    for (range, negative) in out_of_range {
        let new_start = (range.start as isize + shift) as usize;
        if new_start >= at {
            break;
        }
        let new_len = LARGEST.len() + usize::from(*negative);
        shift += new_len as isize - range.len() as isize;
    }
    at = (at as isize - shift).max(0) as usize;
    at
}

/// Characters in a UTF-8 prefix (bytes that start one), as Python counts a `str`.
fn char_count(bytes: &[u8]) -> usize {
    bytes.iter().filter(|b| (**b as i8) >= -0x40).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_beyond_f64_decode_as_the_largest_finite_of_their_sign() {
        let value = decode(br#"{"a": 1e400, "b": [-2E+999, 1e-400, 5], "c": "1e400"}"#).unwrap();
        assert_eq!(value["a"], serde_json::json!(f64::MAX));
        assert_eq!(value["b"][0], serde_json::json!(-f64::MAX));
        assert_eq!(value["b"][2], 5);
        assert_eq!(value["c"], "1e400", "strings are not numbers");
        let long_integer = format!("[{}]", "9".repeat(400));
        assert_eq!(
            decode(long_integer.as_bytes()).unwrap()[0],
            serde_json::json!(f64::MAX)
        );
    }

    #[test]
    fn only_json_numbers_are_rewritten() {
        for bad in ["[01e400]", "[1.e400]", "[1e400.]", "[+1e400]", "[1e400e4]"] {
            assert!(
                matches!(decode(bad.as_bytes()), Err(JsonError::Syntax { .. })),
                "{bad}"
            );
        }
        assert!(is_json_number(b"-0.5e-3"));
        assert!(!is_json_number(b"-"));
    }

    #[test]
    fn nesting_up_to_the_bound_decodes_and_beyond_it_is_too_deep() {
        let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(decode(nested(MAX_DEPTH).as_bytes()).is_ok());
        assert_eq!(
            decode(nested(MAX_DEPTH + 1).as_bytes()),
            Err(JsonError::TooDeep)
        );
        let in_a_string = format!(r#"["{}"]"#, "[".repeat(MAX_DEPTH * 2));
        assert!(decode(in_a_string.as_bytes()).is_ok());
    }

    #[test]
    fn a_syntax_error_is_placed_in_characters_of_the_original_body() {
        // Python: `Expecting value: line 1 column 7 (char 6)`.
        let Err(JsonError::Syntax { offset, message }) = decode(br#"{"a": }"#) else {
            panic!()
        };
        assert_eq!((offset, message.as_str()), (6, "expected value"));
        // A replaced number before the error does not move it; nor do multi-byte characters.
        let Err(JsonError::Syntax { offset, .. }) = decode("[\"é\", 1e400, ]".as_bytes()) else {
            panic!()
        };
        assert_eq!(offset, "[\"é\", 1e400, ".chars().count());
    }
}
