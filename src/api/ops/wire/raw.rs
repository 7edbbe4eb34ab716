//! The JSON of a start body read byte by byte, once: its member names, its
//! strings (borrowed when they carry no escape, unescaped once otherwise),
//! and the values the typed path ignores (validated as serde_json validates
//! the values it ignores: the same grammar, strings not checked for UTF-8,
//! no nesting bound).
//!
//! A string keeps what the client wrote: the StartSyncExecution response
//! echoes the execution input as written when serde_json would write it
//! the same way (its escapes are serde_json's own), so that it is neither
//! unescaped by serde_json nor escaped again.
//!
//! serde_json escapes `"` and `\` with a backslash, the control characters
//! U+0008, U+0009, U+000A, U+000C and U+000D as `\b`, `\t`, `\n`, `\f`,
//! `\r`, the other control characters as `\u00xx` (lower-case hex), and
//! nothing else: such a string is *canonical*. Any other escape (`\/`,
//! `\u00e9`, upper-case hex...) makes the text unescaped by serde_json and
//! escaped again on the way out.
//!
//! Every reader answers `None` where serde_json would refuse the body (and
//! for member names written with escapes, left to the generic path).

use std::borrow::Cow;

use crate::json::special::{first_special, SPECIAL};

/// A JSON string of a body, as written and as text.
pub(super) struct RawText<'a> {
    /// The characters between the quotes, escapes as written.
    pub(super) escaped: &'a str,
    /// The string's text (escapes undone).
    pub(super) text: Cow<'a, str>,
    /// Whether `escaped` is what serde_json writes for `text`.
    pub(super) canonical: bool,
}

/// The eight bytes of `chunk` as a little-endian word.
fn word(chunk: &[u8]) -> Option<u64> {
    Some(u64::from_le_bytes(chunk.try_into().ok()?))
}

/// A reader of a JSON text, at a byte offset.
pub(super) struct Scanner<'a> {
    body: &'a [u8],
    at: usize,
}

impl<'a> Scanner<'a> {
    /// A reader at the start of `body`.
    pub(super) fn new(body: &'a [u8]) -> Self {
        Scanner { body, at: 0 }
    }

    /// The next byte after JSON whitespace (space, tab, line feed, carriage
    /// return), not consumed; `None` at the end.
    pub(super) fn peek(&mut self) -> Option<u8> {
        while let Some(&b) = self.body.get(self.at) {
            if !matches!(b, b' ' | b'\n' | b'\t' | b'\r') {
                return Some(b);
            }
            self.at += 1;
        }
        None
    }

    /// The next byte after whitespace, consumed.
    pub(super) fn next_byte(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.at += 1;
        Some(b)
    }

    /// Consumes `expected` after whitespace; `None` when another byte is there.
    pub(super) fn expect(&mut self, expected: u8) -> Option<()> {
        (self.next_byte()? == expected).then_some(())
    }

    /// Whether only whitespace is left.
    pub(super) fn at_end(&mut self) -> bool {
        self.peek().is_none()
    }

    /// The first index from `from` of a [`SPECIAL`] byte (the body's length
    /// when there is none).
    fn plain_run(&self, from: usize) -> usize {
        let mut i = from;
        while let Some(w) = self.body.get(i..i + 8).and_then(word) {
            match first_special(w) {
                Some(k) => return i + k,
                None => i += 8,
            }
        }
        while self.body.get(i).is_some_and(|&b| !SPECIAL[usize::from(b)]) {
            i += 1;
        }
        i
    }

    /// The bytes of a member name written without escapes (after
    /// whitespace, from its opening quote), not checked for UTF-8 (a name
    /// that is none of the known ones must be: serde_json checks names);
    /// `None` for an escaped name, or one that is no JSON string.
    pub(super) fn name(&mut self) -> Option<&'a [u8]> {
        self.expect(b'"')?;
        let start = self.at;
        let end = self.plain_run(start);
        if self.body.get(end) != Some(&b'"') {
            return None;
        }
        self.at = end + 1;
        Some(&self.body[start..end])
    }

    /// A string value (after whitespace, from its opening quote): borrowed
    /// when it has no escape, unescaped in the same pass when its escapes
    /// are canonical, by serde_json otherwise.
    pub(super) fn string(&mut self) -> Option<RawText<'a>> {
        self.expect(b'"')?;
        let body = self.body;
        let start = self.at;
        let mut i = self.plain_run(start);
        if *body.get(i)? == b'"' {
            let escaped = std::str::from_utf8(&body[start..i]).ok()?;
            self.at = i + 1;
            return Some(RawText {
                escaped,
                text: Cow::Borrowed(escaped),
                canonical: true,
            });
        }
        // The text is at most what is left of the body; eight bytes more
        // for a word copied whole.
        let mut out = vec![0u8; body.len() - start + 8];
        out[..i - start].copy_from_slice(&body[start..i]);
        let mut o = i - start;
        loop {
            // Eight bytes at a time up to the next special byte: copied
            // whole, kept up to it.
            while let Some(chunk) = body.get(i..i + 8) {
                out[o..o + 8].copy_from_slice(chunk);
                match word(chunk).and_then(first_special) {
                    None => {
                        i += 8;
                        o += 8;
                    }
                    Some(k) => {
                        i += k;
                        o += k;
                        break;
                    }
                }
            }
            let b = *body.get(i)?;
            if !SPECIAL[usize::from(b)] {
                out[o] = b;
                o += 1;
                i += 1;
                continue;
            }
            match b {
                b'"' => break,
                b'\\' => match canonical_escape(&body[i..]) {
                    Some((c, len)) => {
                        out[o] = c;
                        o += 1;
                        i += len;
                    }
                    None => return self.string_by_serde(start),
                },
                // A raw control character: not JSON.
                _ => return None,
            }
        }
        out.truncate(o);
        let escaped = std::str::from_utf8(&body[start..i]).ok()?;
        self.at = i + 1;
        Some(RawText {
            escaped,
            text: Cow::Owned(String::from_utf8(out).ok()?),
            canonical: true,
        })
    }

    /// The string opening before `start`, with an escape serde_json does
    /// not write: unescaped by serde_json.
    fn string_by_serde(&mut self, start: usize) -> Option<RawText<'a>> {
        let body = self.body;
        let mut i = start;
        loop {
            i = self.plain_run(i);
            match *body.get(i)? {
                b'"' => break,
                b'\\' => i += 2,
                _ => return None,
            }
        }
        let escaped = std::str::from_utf8(&body[start..i]).ok()?;
        let text = serde_json::from_slice::<String>(&body[start - 1..=i]).ok()?;
        self.at = i + 1;
        Some(RawText {
            escaped,
            text: Cow::Owned(text),
            canonical: false,
        })
    }

    /// Consumes `rest` as written (the rest of a literal).
    fn literal(&mut self, rest: &[u8]) -> Option<()> {
        let end = self.at + rest.len();
        (self.body.get(self.at..end)? == rest).then(|| self.at = end)
    }

    /// Consumes the digits at the reader; whether there was one.
    fn digits(&mut self) -> bool {
        let start = self.at;
        while self.body.get(self.at).is_some_and(u8::is_ascii_digit) {
            self.at += 1;
        }
        self.at > start
    }

    /// Skips a number whose sign, if any, is consumed: an integer part
    /// without a leading zero, then an optional fraction and exponent.
    fn number(&mut self) -> Option<()> {
        match *self.body.get(self.at)? {
            b'0' => {
                self.at += 1;
                if self.body.get(self.at).is_some_and(u8::is_ascii_digit) {
                    return None;
                }
            }
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        if self.body.get(self.at) == Some(&b'.') {
            self.at += 1;
            if !self.digits() {
                return None;
            }
        }
        if matches!(self.body.get(self.at), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.body.get(self.at), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if !self.digits() {
                return None;
            }
        }
        Some(())
    }

    /// Skips a string whose opening quote is consumed; its escapes are
    /// checked, its bytes are not (as serde_json's `ignore_str`).
    fn skip_string(&mut self) -> Option<()> {
        loop {
            let i = self.plain_run(self.at);
            match *self.body.get(i)? {
                b'"' => {
                    self.at = i + 1;
                    return Some(());
                }
                b'\\' => {
                    self.at = i + match *self.body.get(i + 1)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => 2,
                        b'u' => {
                            let hex = self.body.get(i + 2..i + 6)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return None;
                            }
                            6
                        }
                        _ => return None,
                    };
                }
                _ => return None,
            }
        }
    }

    /// Skips an object member's name and colon (after whitespace).
    fn skip_name(&mut self) -> Option<()> {
        self.expect(b'"')?;
        self.skip_string()?;
        self.expect(b':')
    }

    /// Skips a value of any kind and depth (after whitespace), checking it
    /// is JSON.
    pub(super) fn skip(&mut self) -> Option<()> {
        // The containers around the value being read: `true` for an object.
        let mut open: Vec<bool> = Vec::new();
        loop {
            match self.next_byte()? {
                b'"' => self.skip_string()?,
                b'n' => self.literal(b"ull")?,
                b't' => self.literal(b"rue")?,
                b'f' => self.literal(b"alse")?,
                b'-' => self.number()?,
                b'0'..=b'9' => {
                    self.at -= 1;
                    self.number()?;
                }
                b'[' => {
                    if self.peek()? == b']' {
                        self.at += 1;
                    } else {
                        open.push(false);
                        continue;
                    }
                }
                b'{' => {
                    if self.peek()? == b'}' {
                        self.at += 1;
                    } else {
                        open.push(true);
                        self.skip_name()?;
                        continue;
                    }
                }
                _ => return None,
            }
            // A value ended: close what it ends, or read the next one.
            loop {
                let Some(&object) = open.last() else {
                    return Some(());
                };
                match self.next_byte()? {
                    b',' => {
                        if object {
                            self.skip_name()?;
                        }
                        break;
                    }
                    b']' if !object => drop(open.pop()),
                    b'}' if object => drop(open.pop()),
                    _ => return None,
                }
            }
        }
    }
}

/// The character of the escape `written` opens with (`\` first) and its
/// length, when serde_json writes that character so; `None` for any other
/// escape (see the module doc).
fn canonical_escape(written: &[u8]) -> Option<(u8, usize)> {
    let c = match *written.get(1)? {
        b'"' => b'"',
        b'\\' => b'\\',
        b'b' => 0x08,
        b't' => b'\t',
        b'n' => b'\n',
        b'f' => 0x0c,
        b'r' => b'\r',
        b'u' => {
            let c = match written.get(2..6)? {
                [b'0', b'0', h @ (b'0' | b'1'), l @ (b'0'..=b'9' | b'a'..=b'f')] => {
                    let low = if l.is_ascii_digit() {
                        l - b'0'
                    } else {
                        l - b'a' + 10
                    };
                    (h - b'0') * 16 + low
                }
                _ => return None,
            };
            // serde_json writes these five short.
            if matches!(c, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d) {
                return None;
            }
            return Some((c, 6));
        }
        _ => return None,
    };
    Some((c, 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// serde_json's own escape of `text`, without the quotes.
    fn escape(text: &str) -> String {
        let quoted = serde_json::to_string(text).expect("a string");
        quoted[1..quoted.len() - 1].to_owned()
    }

    fn string(written: &str) -> Option<RawText<'_>> {
        Scanner::new(written.as_bytes()).string()
    }

    #[test]
    fn canonical_strings_are_taken_as_written() {
        let mut every = String::from("a\"b\\c/d\u{7f}é😀");
        every.extend((0u8..0x20).map(char::from));
        for text in [
            "",
            "plain",
            "{\n  \"a\": [1, \"x\\\"y\"]\n}",
            every.as_str(),
        ] {
            let written = format!(r#" "{}" "#, escape(text));
            let raw = string(&written).expect("a string");
            assert!(raw.canonical, "{text:?}");
            assert_eq!(raw.text, text);
            assert_eq!(raw.escaped, escape(text));
            assert_eq!(
                matches!(raw.text, Cow::Borrowed(_)),
                !raw.escaped.contains('\\')
            );
        }
    }

    #[test]
    fn other_escapes_are_unescaped_by_serde_json() {
        for (written, text) in [
            (r"a\/b", "a/b"),
            (r"\u00e9\u0041", "éA"),
            (r"\u000a", "\n"),
            (r"\u001F", "\u{1f}"),
            (r"\ud83d\ude00", "😀"),
            (r#"\"\/"#, "\"/"),
        ] {
            let written = format!(r#""{written}""#);
            let raw = string(&written).expect("a string");
            assert!(!raw.canonical, "{written}");
            assert_eq!(raw.text, text);
        }
    }

    #[test]
    fn strings_serde_json_refuses_are_none() {
        for written in [
            "\"a\u{1}\"",
            r#""a\x""#,
            r#""\ud83d""#,
            r#""\u00""#,
            r#""open"#,
            r#""\"#,
            "nope",
        ] {
            assert!(string(written).is_none(), "{written}");
        }
        assert!(Scanner::new(b"\"\xff\"").string().is_none());
    }

    #[test]
    fn names_with_escapes_are_left_alone() {
        let mut s = Scanner::new(br#" "input" : 1"#);
        assert_eq!(s.name(), Some(&b"input"[..]));
        assert!(Scanner::new(br#""in\u0070ut""#).name().is_none());
        assert!(Scanner::new(br#"input"#).name().is_none());
    }

    #[test]
    fn skip_accepts_what_serde_json_ignores() {
        let accepted = [
            "null",
            "true",
            " false ",
            "0",
            "-0.5e+10",
            "12E3",
            r#""a\/\u00E9\n""#,
            "[]",
            "{}",
            r#"[1, [2, {"a": [{}], "b": null}], "x"]"#,
            r#"{"a":{"b":{"c":[[[]]]}}}"#,
        ];
        let refused = [
            "",
            "nul",
            "tru",
            "-",
            "01",
            "1.",
            "1e",
            "1e+",
            ".5",
            "+1",
            "[1,]",
            "[1 2]",
            "{,}",
            r#"{"a"}"#,
            r#"{"a":1,}"#,
            r#"{1:2}"#,
            "[",
            r#"{"a":"#,
            r#""\x""#,
            r#""\u12""#,
            "]",
        ];
        for text in accepted {
            let mut s = Scanner::new(text.as_bytes());
            assert!(s.skip().is_some() && s.at_end(), "{text}");
            assert!(serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok());
        }
        for text in refused {
            let mut s = Scanner::new(text.as_bytes());
            assert!(s.skip().is_none() || !s.at_end(), "{text}");
            assert!(serde_json::from_str::<serde::de::IgnoredAny>(text).is_err());
        }
        // No nesting bound, as serde_json's own skip.
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(Scanner::new(deep.as_bytes()).skip().is_some());
    }

    proptest::proptest! {
        /// Any text, long enough to cross words at every offset: written
        /// as serde_json writes it, it is read back as written
        /// (canonical); with every character as `\uXXXX`, it is unescaped
        /// by serde_json (not canonical unless that is how serde_json
        /// writes it: nothing to escape, or only control characters whose
        /// `\u00XX` has no letter, as `\u0000`).
        #[test]
        fn any_text_is_read_back(
            text in "(\\PC|[\"\\\\/\u{0}-\u{1f}\u{7f}])*",
            before in "[ \n]{0,9}",
        ) {
            let canonical = serde_json::to_string(&text).expect("a string");
            let written = format!("{before}{canonical},");
            let mut s = Scanner::new(written.as_bytes());
            let raw = s.string().expect("a string");
            proptest::prop_assert_eq!(&raw.text, &text);
            proptest::prop_assert_eq!(raw.escaped, &canonical[1..canonical.len() - 1]);
            proptest::prop_assert!(raw.canonical);
            proptest::prop_assert_eq!(s.next_byte(), Some(b','));
            let mut units = String::from("\"");
            for unit in text.encode_utf16() {
                units.push_str(&format!("\\u{unit:04X}"));
            }
            units.push('"');
            let raw = Scanner::new(units.as_bytes()).string().expect("a string");
            proptest::prop_assert_eq!(&raw.text, &text);
            proptest::prop_assert_eq!(raw.canonical, units == canonical);
        }
    }
}
