//! Timestamps between Step Functions, the wire and the result.
//!
//! Parameters take a timestamp as epoch seconds (a number) or ISO-8601 text.
//! On the wire each protocol has its default (`json`/`rest-json` bodies:
//! epoch seconds; XML, query strings and `query`/`ec2`: ISO-8601; headers:
//! RFC 822), overridden by the model's `timestampFormat`. Results carry
//! ISO-8601 text as the Java SDK prints an `Instant` (`2024-05-01T10:00:00Z`,
//! `…T10:00:00.250Z`), as the SDK integrations' recorded results show
//! (`StartDate` of `aws-sdk:sfn:startExecution`).
//!
//! Sources: Smithy `timestampFormat` trait and the AWS protocol
//! specifications; AWS guide `supported-services-awssdk.html`.

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};

/// Parses a timestamp Step Functions was given, or a service returned:
/// epoch seconds as a number or numeric text, RFC 3339 / ISO-8601, or
/// RFC 822 (`Tue, 29 Apr 2014 18:30:38 GMT`).
pub(crate) fn parse_text(s: &str) -> Option<f64> {
    let s = s.trim();
    if let Ok(n) = s.parse::<f64>() {
        return Some(n);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(seconds(&t.with_timezone(&Utc)));
    }
    // ISO-8601 without an offset: UTC.
    for f in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, f) {
            return Some(seconds(&Utc.from_utc_datetime(&t)));
        }
    }
    DateTime::parse_from_rfc2822(s)
        .ok()
        .map(|t| seconds(&t.with_timezone(&Utc)))
}

fn seconds(t: &DateTime<Utc>) -> f64 {
    t.timestamp() as f64 + f64::from(t.timestamp_subsec_micros()) / 1e6
}

fn datetime(secs: f64) -> Option<DateTime<Utc>> {
    let millis = (secs * 1000.0).round();
    if !millis.is_finite() {
        return None;
    }
    DateTime::<Utc>::from_timestamp_millis(millis as i64)
}

/// ISO-8601 as the Java SDK prints an `Instant`: no fraction when whole
/// seconds, else milliseconds.
pub(crate) fn result_text(secs: f64) -> String {
    match datetime(secs) {
        Some(t) if t.timestamp_subsec_millis() == 0 => t.to_rfc3339_opts(SecondsFormat::Secs, true),
        Some(t) => t.to_rfc3339_opts(SecondsFormat::Millis, true),
        None => secs.to_string(),
    }
}

/// A timestamp on the wire in `format` (`iso8601`, `rfc822`).
pub(crate) fn wire_text(secs: f64, format: &str) -> String {
    let Some(t) = datetime(secs) else {
        return secs.to_string();
    };
    match format {
        "rfc822" => t.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
        "unixTimestamp" => epoch_text(secs),
        _ if t.timestamp_subsec_millis() == 0 => t.to_rfc3339_opts(SecondsFormat::Secs, true),
        _ => t.to_rfc3339_opts(SecondsFormat::Millis, true),
    }
}

/// Epoch seconds as text: an integer when whole.
pub(crate) fn epoch_text(secs: f64) -> String {
    if secs.fract() == 0.0 && secs.abs() < 1e15 {
        format!("{}", secs as i64)
    } else {
        format!("{secs:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        assert_eq!(parse_text("2024-05-01T10:00:00Z"), Some(1_714_557_600.0));
        assert_eq!(
            parse_text("2024-05-01T10:00:00.250Z"),
            Some(1_714_557_600.25)
        );
        assert_eq!(
            parse_text("Wed, 01 May 2024 10:00:00 GMT"),
            Some(1_714_557_600.0)
        );
        assert_eq!(parse_text("1714557600"), Some(1_714_557_600.0));
        assert_eq!(parse_text("yesterday"), None);
        assert_eq!(result_text(1_714_557_600.0), "2024-05-01T10:00:00Z");
        assert_eq!(result_text(1_714_557_600.25), "2024-05-01T10:00:00.250Z");
        assert_eq!(
            wire_text(1_714_557_600.0, "rfc822"),
            "Wed, 01 May 2024 10:00:00 GMT"
        );
        assert_eq!(
            wire_text(1_714_557_600.0, "iso8601"),
            "2024-05-01T10:00:00Z"
        );
        assert_eq!(epoch_text(1.5), "1.500");
    }
}
