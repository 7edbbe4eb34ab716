//! The start operations' request body: its fields deserialised once, strings
//! borrowed where they carry no escape (the input is read from the body's
//! bytes by [`super::raw`]).

use std::borrow::Cow;

use serde::Deserialize;

use crate::api::ops::executions::StartFields;

/// A JSON string, borrowed from the body when it has no escape.
#[derive(Deserialize)]
struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

/// The body of StartExecution / StartSyncExecution (unknown fields ignored).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct StartBody<'a> {
    #[serde(borrow, default)]
    state_machine_arn: Option<Text<'a>>,
    #[serde(borrow, default)]
    name: Option<Text<'a>>,
    /// Read from the body's bytes ([`raw::member`]); here only seen.
    #[serde(default)]
    pub(super) input: Option<Present>,
    #[serde(borrow, default)]
    trace_header: Option<Text<'a>>,
    #[serde(borrow, default)]
    included_data: Option<Text<'a>>,
}

/// A member that is there (not null), its value skipped.
pub(super) struct Present;

impl<'de> Deserialize<'de> for Present {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d).map(|_| Present)
    }
}

/// The text of an optional string field.
fn text<'b>(t: &'b Option<Text<'_>>) -> Option<&'b str> {
    t.as_ref().map(|t| &*t.0)
}

impl StartBody<'_> {
    /// The fields, with the input's text `input`.
    pub(super) fn fields<'b>(&'b self, input: Option<&'b str>) -> StartFields<'b> {
        StartFields {
            state_machine_arn: text(&self.state_machine_arn),
            name: text(&self.name),
            input,
            trace_header: text(&self.trace_header),
            included_data: text(&self.included_data),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ops::wire::raw;

    #[test]
    fn strings_are_borrowed_unless_escaped() {
        let raw = br#"{"stateMachineArn":"arn:a","input":"{\"a\":1}","other":[1,{}]}"#;
        let wire: StartBody<'_> = serde_json::from_slice(raw).expect("typed");
        let arn = &wire.state_machine_arn.as_ref().expect("arn").0;
        assert!(matches!(arn, Cow::Borrowed("arn:a")));
        assert!(wire.input.is_some());
        assert_eq!(
            raw::member(raw, b"input").expect("input").text,
            r#"{"a":1}"#
        );
        assert!(wire.name.is_none());
        let wrong = br#"{"stateMachineArn":1}"#;
        assert!(serde_json::from_slice::<StartBody<'_>>(wrong).is_err());
    }
}
