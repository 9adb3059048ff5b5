//! The events family's rules, checked before anything is sent, including those typify does not
//! enforce (list sizes, a non-empty enrollment id): enrollment keys and ids, event types, partner
//! ids, webhook URLs.

use crate::transport::error::Error;
use crate::validate::{is_loopback_host, quoted};

/// Most ids an enrollment request may carry (`maxItems`).
pub(crate) const MAX_IDS: usize = 20;
/// Most ids a fetch-events request may carry (`maxItems`; they must also be unique).
pub(crate) const MAX_FETCH_IDS: usize = 40;
/// Shortest enrollment key (`minLength`).
pub(crate) const MIN_KEY_CHARS: usize = 4;

/// `enrollment_key`: at least 4 characters (Unicode scalar values, as JSON Schema counts).
pub(crate) fn enrollment_key(key: &str) -> Result<(), Error> {
    if key.chars().nth(MIN_KEY_CHARS - 1).is_none() {
        return Err(Error::invalid_request(
            "enrollment_key",
            format!("{} is shorter than {MIN_KEY_CHARS} characters", quoted(key)),
        ));
    }
    Ok(())
}

/// `enrollment_id`: not empty.
pub(crate) fn enrollment_id(id: &str) -> Result<(), Error> {
    if id.trim().is_empty() {
        return Err(Error::invalid_request("enrollment_id", "must not be empty"));
    }
    Ok(())
}

/// At least one event type.
pub(crate) fn not_empty<T>(field: &str, events: &[T]) -> Result<(), Error> {
    if events.is_empty() {
        return Err(Error::invalid_request(
            field,
            "at least one event type is required",
        ));
    }
    Ok(())
}

/// `partner_id`: not empty, no surrounding whitespace, no control characters, and not `.` or
/// `..` (it becomes a path segment, where those would change the path).
pub(crate) fn partner_id(id: &str) -> Result<(), Error> {
    let rule = if id.trim().is_empty() {
        "must not be empty"
    } else if id.trim() != id {
        "has leading or trailing whitespace"
    } else if id.chars().any(char::is_control) {
        "has control characters"
    } else if id == "." || id == ".." {
        "must not be \".\" or \"..\""
    } else {
        return Ok(());
    };
    Err(Error::invalid_request(
        "partner_id",
        format!("{} {rule}", quoted(id)),
    ))
}

/// `webhook_url`: an absolute `https` URL, or `http` on a loopback host (a receiver under
/// test); with a host, and no user name or password.
pub(crate) fn webhook_url(url: &str) -> Result<(), Error> {
    // Quoted with any credentials, query and fragment masked: they may be secrets.
    let refuse = |rule: &str| {
        Err(Error::invalid_request(
            "webhook_url",
            format!("{} {rule}", quoted(&crate::client::redacted(url))),
        ))
    };
    let parsed = match reqwest::Url::parse(url) {
        Ok(parsed) => parsed,
        Err(e) => return refuse(&format!("is not an absolute URL ({e})")),
    };
    let Some(host) = parsed.host_str().filter(|h| !h.is_empty()) else {
        return refuse("has no host");
    };
    let loopback = is_loopback_host(host);
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return refuse("has credentials: they would be stored and sent with every event");
    }
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        "http" => refuse("is plain http: events would travel unencrypted; use https (http is allowed on loopback only)"),
        other => refuse(&format!("has scheme {other:?}, not https")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_enrollment_ids() {
        assert!(enrollment_key("abcd").is_ok());
        assert!(enrollment_key("ééé").is_err());
        assert!(enrollment_key("éééé").is_ok(), "characters, not bytes");
        assert!(enrollment_id("").is_err());
        assert!(enrollment_id("en_1").is_ok());
    }
}
