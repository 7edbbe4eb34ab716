//! Strict RFC 3339 timestamps, as AWS accepts them in Choice `Timestamp…`
//! rules and Wait `Timestamp`/`TimestampPath`:
//! `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` with an uppercase `T` and `Z`.
//!
//! Sources: ASL spec "Timestamps"; AWS guide `state-choice.html` and
//! `state-wait.html`; reference §3 "Choice".

use chrono::{DateTime, FixedOffset};

/// Parses a timestamp strictly: rejects out-of-range fields
/// (`2016-13-05T…`, `…T25:…`), a space or lowercase `t` separator, a
/// lowercase `z`, a missing offset, and other date orders (`05-12-2016…`).
/// Returns `None` when the text is not a valid timestamp.
pub fn parse_timestamp(text: &str) -> Option<DateTime<FixedOffset>> {
    let b = text.as_bytes();
    // Shape of the fixed prefix `YYYY-MM-DDTHH:MM:SS`.
    if b.len() < 20 {
        return None;
    }
    for (i, &c) in b.iter().take(19).enumerate() {
        let ok = match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 => c == b':',
            _ => c.is_ascii_digit(),
        };
        if !ok {
            return None;
        }
    }
    let mut rest = b.get(19..)?;
    if let Some((b'.', tail)) = rest.split_first() {
        let digits = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        rest = tail.get(digits..)?;
    }
    let offset_ok = match rest {
        [b'Z'] => true,
        [sign, h1, h2, b':', m1, m2] => {
            matches!(sign, b'+' | b'-') && [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit())
        }
        _ => false,
    };
    if !offset_ok {
        return None;
    }
    DateTime::parse_from_rfc3339(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! valid {
        ($($text:expr),* $(,)?) => { $( assert!(parse_timestamp($text).is_some(), "{} should parse", $text); )* };
    }
    macro_rules! invalid {
        ($($text:expr),* $(,)?) => { $( assert!(parse_timestamp($text).is_none(), "{} should not parse", $text); )* };
    }

    #[test]
    fn accepts_rfc3339() {
        valid!(
            "2016-03-14T01:59:00Z",
            "2012-10-09T19:00:55+01:00",
            "2012-10-09T19:00:55-07:30",
            "2016-03-14T01:59:00.123Z",
            "2016-03-14T01:59:00.123456789+00:00",
        );
    }

    #[test]
    fn rejects_everything_else() {
        invalid!(
            "2016-13-05T21:29:29Z",
            "2016-12-05T25:29:29Z",
            "2016-12-32T21:29:29Z",
            "05-12-2016T21:29:29Z",
            "2016-12-05 21:29:29Z",
            "2016-12-05t21:29:29Z",
            "2016-12-05T21:29:29z",
            "2012-10-09T19:00:55",
            "2023-02-24",
            "2023-02-24 12:15:56.832957",
            "2016-12-05T21:29:29.Z",
            "2016-12-05T21:29:29+0100",
            "",
            "2016-12-05T21:29:29Z ",
        );
    }

    #[test]
    fn offsets_compare_as_instants() {
        let a = parse_timestamp("2012-10-09T19:00:55+01:00");
        let b = parse_timestamp("2012-10-09T18:00:55Z");
        assert_eq!(a, b);
    }
}
