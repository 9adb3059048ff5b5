//! What a server says, made fit to quote: every string that leaves a response for an
//! [`Error`](crate::Error), a span, a log line or an [`Enrollment`](crate::Enrollment) goes
//! through [`Scrub`] after it is decoded, so a key the server echoes back in any encoding
//! (`\u0073k-…`, `sk\/…`) is caught in its decoded form, and what is quoted in errors and
//! traces is bounded and on one line.

use serde_json::Value;

/// Longest excerpt of a response body kept in an error, in bytes.
pub(crate) const EXCERPT_LIMIT: usize = 512;
/// Longest correlation id kept, in bytes: real ones are UUID-sized.
pub(crate) const CORRELATION_ID_LIMIT: usize = 128;
/// Longest field, message or type of one validation detail, in bytes.
pub(crate) const DETAIL_LIMIT: usize = 256;

const REDACTED: &str = "[redacted]";

/// Scrubs the API key out of what a server sent.
#[derive(Clone, Copy)]
pub(crate) struct Scrub<'a> {
    key: &'a str,
}

impl<'a> Scrub<'a> {
    pub(crate) fn new(key: &'a str) -> Self {
        Self { key }
    }

    /// `text` with every occurrence of the key replaced.
    pub(crate) fn text(&self, text: &str) -> String {
        // The length test first: most strings are shorter than a key, and a substring
        // search has a set-up cost on every call's path.
        if !self.key.is_empty() && text.len() >= self.key.len() && text.contains(self.key) {
            text.replace(self.key, REDACTED)
        } else {
            text.to_string()
        }
    }

    /// Whether a JSON `body` may hold the key once decoded: it holds it as it is, or it has a
    /// `\u` or `\/` escape that could spell it. One vectorized pass for the key, one for
    /// backslashes: most bodies have neither and can be decoded straight into their types.
    ///
    /// A key with a character JSON must escape (`"`, `\`, a control character) can be spelled
    /// with any escape: for such a key, any backslash is suspect.
    pub(crate) fn may_hide_key(&self, body: &[u8]) -> bool {
        if self.key.is_empty() {
            return false;
        }
        if memchr::memmem::find(body, self.key.as_bytes()).is_some() {
            return true;
        }
        let escaped_in_json = self
            .key
            .bytes()
            .any(|b| b == b'"' || b == b'\\' || b < 0x20);
        if escaped_in_json {
            return memchr::memchr(b'\\', body).is_some();
        }
        memchr::memchr_iter(b'\\', body).any(|at| matches!(body.get(at + 1), Some(b'u' | b'/')))
    }

    /// Every string of a decoded document, object keys included, scrubbed in place.
    pub(crate) fn json(&self, value: &mut Value) {
        match value {
            Value::String(text) => {
                if text.contains(self.key) {
                    *text = self.text(text);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| self.json(item)),
            Value::Object(map) => {
                if map.keys().any(|name| name.contains(self.key)) {
                    *map = std::mem::take(map)
                        .into_iter()
                        .map(|(name, value)| (self.text(&name), value))
                        .collect();
                }
                map.values_mut().for_each(|item| self.json(item));
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }

    /// `text` scrubbed, on one line and at most `limit` bytes (plus an ellipsis): for errors
    /// and traces.
    pub(crate) fn quote(&self, text: &str, limit: usize) -> String {
        if self.key.is_empty() || text.len() < self.key.len() || !text.contains(self.key) {
            return quote(text, limit);
        }
        quote(&self.text(text), limit)
    }
}

/// `text` with control and line- or direction-changing characters escaped (so a server
/// cannot start a new log line or repaint a terminal), cut to at most `limit` bytes on a
/// character boundary, with an ellipsis when cut.
pub(crate) fn quote(text: &str, limit: usize) -> String {
    // Every call's path: a short, printable ASCII string is quoted as it is.
    if text.len() <= limit && text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return text.to_string();
    }
    let mut out = String::new();
    for c in text.chars() {
        let before = out.len();
        if c.is_control() {
            out.extend(c.escape_default());
        } else if matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
        if out.len() > limit {
            out.truncate(before);
            out.push('…');
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_bounded_escaped_and_cut_on_a_character_boundary() {
        let long = "é".repeat(1000);
        let cut = quote(&long, EXCERPT_LIMIT);
        assert!(cut.len() <= EXCERPT_LIMIT + '…'.len_utf8());
        assert!(cut.ends_with('…'));
        assert_eq!(quote("short", EXCERPT_LIMIT), "short");
        assert_eq!(quote("exactly", 7), "exactly");
        assert_eq!(
            quote("ok\n2024 INFO forged\u{1b}[2J\u{202e}", 100),
            "ok\\n2024 INFO forged\\u{1b}[2J\\u{202e}"
        );
    }

    #[test]
    fn the_key_is_scrubbed_from_every_string_of_a_document() {
        let scrub = Scrub::new("sk/live-1");
        let mut doc: Value =
            serde_json::from_str(r#"{"a": ["\u0073k\/live-1", {"sk\/live-1": "x sk/live-1 y"}]}"#)
                .unwrap();
        scrub.json(&mut doc);
        assert!(!doc.to_string().contains("sk/live-1"), "{doc}");
        assert_eq!(scrub.quote("[sk/live-1]\n", 100), "[[redacted]]\\n");
    }
}
