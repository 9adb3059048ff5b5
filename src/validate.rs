//! The schema's rules every family's requests share, checked before anything is sent: lists
//! of hex ids (typify does not enforce list sizes), and inputs quoted bounded in errors; and the
//! loopback hosts on which plain `http` is allowed.

use std::collections::HashSet;

use crate::transport::error::Error;

/// Longest input quoted in an error, in characters: errors stay readable whatever the input.
const QUOTE_LIMIT: usize = 48;

/// `value` in quotes, cut to [`QUOTE_LIMIT`] characters.
pub(crate) fn quoted(value: &str) -> String {
    match value.char_indices().nth(QUOTE_LIMIT) {
        None => format!("{value:?}"),
        Some((end, _)) => format!(
            "{:?}… ({} characters)",
            &value[..end],
            value.chars().count()
        ),
    }
}

/// A list of ids: each `hex_len` lowercase hex digits; duplicates dropped (order kept); then
/// 1 to `max` of them. Indexes in errors are those of the caller's list.
pub(crate) fn ids(
    field: &str,
    ids: &[String],
    hex_len: usize,
    max: usize,
) -> Result<Vec<String>, Error> {
    let mut unique: Vec<String> = Vec::with_capacity(ids.len().min(max));
    // A scan of what is kept costs least for request-sized lists; a set keeps a huge input
    // (one that will be refused as too long) from taking quadratic time first.
    let mut seen = (ids.len() > 4 * max).then(|| HashSet::with_capacity(ids.len()));
    let mut distinct = 0;
    for (index, id) in ids.iter().enumerate() {
        self::id(field, index, id, hex_len)?;
        let new = match &mut seen {
            Some(seen) => seen.insert(id.as_str()),
            None => !unique.contains(id),
        };
        if new {
            distinct += 1;
            // With the set, only what may be sent is kept; without it, everything is (the
            // list is short), for the scan.
            if seen.is_none() || unique.len() <= max {
                unique.push(id.clone());
            }
        }
    }
    match distinct {
        0 => Err(Error::invalid_request(field, "at least one id is required")),
        n if n > max => Err(Error::invalid_request(
            field,
            format!("{n} distinct ids, more than the {max} one request may carry"),
        )),
        _ => Ok(unique),
    }
}

/// One id of a list, `field[index]`: `hex_len` lowercase hex digits.
pub(crate) fn id(field: &str, index: usize, id: &str, hex_len: usize) -> Result<(), Error> {
    // Every byte, without an early exit: the compiler turns it into vector code, and ids
    // are checked by the thousand in bulk jobs.
    let is_hex = id.len() == hex_len
        && id.bytes().fold(true, |ok, b| {
            ok & ((b.wrapping_sub(b'0') < 10) | (b.wrapping_sub(b'a') < 6))
        });
    if !is_hex {
        return Err(Error::invalid_request(
            format!("{field}[{index}]"),
            format!("{} is not {hex_len} lowercase hex characters", quoted(id)),
        ));
    }
    Ok(())
}

/// `localhost`, `127.0.0.0/8` or `::1` (bracketed or not), as a URL's host.
pub(crate) fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A list's limit to test with: an enrollment request's.
    const MAX_IDS: usize = 20;

    fn strings(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn ids_must_be_lowercase_hex_of_the_right_length() {
        let good = "20ae6cbf564ee683e66685e429844a5ff8ffc30f";
        assert_eq!(
            ids("prospect_ids", &strings(&[good]), 40, MAX_IDS).unwrap(),
            [good]
        );
        let error = ids(
            "prospect_ids",
            &strings(&[good, good, good, "ABC"]),
            40,
            MAX_IDS,
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            r#"prospect_ids[3]: "ABC" is not 40 lowercase hex characters"#
        );
        let upper = good.to_uppercase();
        assert_eq!(
            ids("prospect_ids", &[upper], 40, MAX_IDS)
                .unwrap_err()
                .field(),
            Some("prospect_ids[0]")
        );
        assert!(
            ids("business_ids", &strings(&[good]), 32, MAX_IDS).is_err(),
            "40 hex is not a business id"
        );
        // Multi-byte text of the right byte length is not hex.
        assert!(ids("business_ids", &["é".repeat(16)], 32, MAX_IDS).is_err());
    }

    #[test]
    fn duplicates_are_dropped_in_order_before_counting() {
        let a = "a".repeat(32);
        let b = "b".repeat(32);
        assert_eq!(
            ids(
                "business_ids",
                &[b.clone(), a.clone(), b.clone()],
                32,
                MAX_IDS
            )
            .unwrap(),
            [b, a]
        );
        let many: Vec<String> = (0..25).map(|n| format!("{:032x}", n % 20)).collect();
        assert_eq!(ids("business_ids", &many, 32, MAX_IDS).unwrap().len(), 20);
    }

    #[test]
    fn counts_are_one_to_twenty() {
        assert_eq!(
            ids("prospect_ids", &[], 40, MAX_IDS)
                .unwrap_err()
                .to_string(),
            "prospect_ids: at least one id is required"
        );
        let many: Vec<String> = (0..21).map(|n| format!("{n:040x}")).collect();
        assert!(ids("prospect_ids", &many, 40, MAX_IDS)
            .unwrap_err()
            .to_string()
            .contains("21 distinct ids"));
    }

    #[test]
    fn long_inputs_are_quoted_cut() {
        let error = ids("prospect_ids", &["x".repeat(1 << 20)], 40, MAX_IDS)
            .unwrap_err()
            .to_string();
        assert!(error.len() < 200, "{error}");
        assert!(error.contains("(1048576 characters)"), "{error}");
        assert_eq!(quoted("abc"), "\"abc\"");
    }
}
