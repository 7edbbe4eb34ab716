//! The start operations' request body, read in one pass over its bytes
//! ([`raw::Scanner`]): every member once, strings borrowed where they carry
//! no escape, the execution input unescaped once and kept as written for
//! the StartSyncExecution response.
//!
//! [`StartBody::read`] accepts exactly the bodies serde_json accepted for
//! these fields (a JSON object, each known field a string or `null` at most
//! once, unknown members ignored but JSON) except those with a member name
//! written with escapes; everything it refuses is the generic path's
//! ([`crate::api::ops::dispatch`]), which answers with AWS's messages.

use std::borrow::Cow;

use super::raw::{self, RawText};
use crate::api::ops::executions::StartFields;

/// The body of StartExecution / StartSyncExecution (unknown members skipped).
#[derive(Default)]
pub(super) struct StartBody<'a> {
    state_machine_arn: Option<Cow<'a, str>>,
    name: Option<Cow<'a, str>>,
    /// The input as written and as text.
    pub(super) input: Option<RawText<'a>>,
    trace_header: Option<Cow<'a, str>>,
    included_data: Option<Cow<'a, str>>,
}

/// The known members, by name: their bit in the set of members seen.
const MEMBERS: [&str; 5] = [
    "stateMachineArn",
    "name",
    "input",
    "traceHeader",
    "includedData",
];

impl<'a> StartBody<'a> {
    /// Reads `body`; `None` when it is not a JSON object whose known members
    /// are strings or `null` (each at most once), or when a member name is
    /// written with escapes.
    pub(super) fn read(body: &'a [u8]) -> Option<Self> {
        let mut s = raw::Scanner::new(body);
        s.expect(b'{')?;
        let mut wire = StartBody::default();
        let mut seen = 0u8;
        if s.peek()? == b'}' {
            s.next_byte();
        } else {
            loop {
                let name = s.name()?;
                s.expect(b':')?;
                match MEMBERS.iter().position(|m| m.as_bytes() == name) {
                    Some(index) => {
                        let bit = 1 << index;
                        if seen & bit != 0 {
                            return None;
                        }
                        seen |= bit;
                        wire.set(index, &mut s)?;
                    }
                    None => {
                        std::str::from_utf8(name).ok()?;
                        s.skip()?;
                    }
                }
                match s.next_byte()? {
                    b',' => {}
                    b'}' => break,
                    _ => return None,
                }
            }
        }
        s.at_end().then_some(wire)
    }

    /// Reads the value of the known member `MEMBERS[index]`: a string, or
    /// `null` (left unset).
    fn set(&mut self, index: usize, s: &mut raw::Scanner<'a>) -> Option<()> {
        if s.peek()? == b'n' {
            return s.skip();
        }
        let value = s.string()?;
        match index {
            0 => self.state_machine_arn = Some(value.text),
            1 => self.name = Some(value.text),
            2 => self.input = Some(value),
            3 => self.trace_header = Some(value.text),
            _ => self.included_data = Some(value.text),
        }
        Some(())
    }

    /// The fields.
    pub(super) fn fields(&self) -> StartFields<'_> {
        StartFields {
            state_machine_arn: self.state_machine_arn.as_deref(),
            name: self.name.as_deref(),
            input: self.input.as_ref().map(|i| &*i.text),
            trace_header: self.trace_header.as_deref(),
            included_data: self.included_data.as_deref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_borrowed_unless_escaped() {
        let raw = br#"{"stateMachineArn":"arn:a","input":"{\"a\":1}","other":[1,{}]}"#;
        let wire = StartBody::read(raw).expect("typed");
        assert!(matches!(
            wire.state_machine_arn,
            Some(Cow::Borrowed("arn:a"))
        ));
        let input = wire.input.as_ref().expect("input");
        assert_eq!(input.text, r#"{"a":1}"#);
        assert_eq!(input.escaped, r#"{\"a\":1}"#);
        assert!(wire.name.is_none());
        for refused in [
            &br#"{"stateMachineArn":1}"#[..],
            br#"{"input":{}}"#,
            br#"{"name":"a","name":null}"#,
            br#"{"n\u0061me":"a"}"#,
            br#"{"x":tru}"#,
            br#"{"a":1,}"#,
            b"{\"\xff\":1}",
            br#"["a"]"#,
            br#"{} x"#,
            b"",
        ] {
            assert!(
                StartBody::read(refused).is_none(),
                "{}",
                String::from_utf8_lossy(refused)
            );
        }
        let spaced = b" \r\n{ \"name\" : null ,\t\"x\" : [ ] } \n";
        let wire = StartBody::read(spaced).expect("typed");
        assert!(wire.name.is_none() && wire.input.is_none());
        assert!(StartBody::read(b"{}").is_some());
    }
}
