//! RFC 3339 timestamps (stub until the choice branch lands).
use chrono::{DateTime, FixedOffset};

/// Parses a timestamp.
pub fn parse_timestamp(text: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(text).ok()
}
