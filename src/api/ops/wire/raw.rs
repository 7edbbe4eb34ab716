//! The execution input of a start body as the client wrote it: found in the
//! body's bytes, unescaped once, and echoed in the StartSyncExecution
//! response as written when serde_json would write it the same way (its
//! escapes are serde_json's own), so that it is neither unescaped by
//! serde_json nor escaped again.
//!
//! serde_json escapes `"` and `\` with a backslash, the control characters
//! U+0008, U+0009, U+000A, U+000C and U+000D as `\b`, `\t`, `\n`, `\f`,
//! `\r`, the other control characters as `\u00xx` (lower-case hex), and
//! nothing else: such a string is *canonical*. Any other escape (`\/`,
//! `\u00e9`, upper-case hex...) makes the text unescaped by serde_json and
//! escaped again on the way out.

use std::borrow::Cow;

/// A JSON string member of a body, as written and as text.
pub(super) struct RawText<'a> {
    /// The characters between the quotes, escapes as written.
    pub(super) escaped: &'a str,
    /// The string's text (escapes undone).
    pub(super) text: Cow<'a, str>,
    /// Whether `escaped` is what serde_json writes for `text`.
    pub(super) canonical: bool,
}

/// The value of the top-level member `key` (written without escapes) of
/// `body`, a JSON object that serde_json has already accepted: the
/// member's raw bytes when it is a string, `None` when there is no such
/// member or it is not a string.
pub(super) fn member<'a>(body: &'a [u8], key: &[u8]) -> Option<RawText<'a>> {
    let value = find(body, key)?;
    let inner = value.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    let escaped = std::str::from_utf8(inner).ok()?;
    Some(match unescape(escaped) {
        Some(text) => RawText {
            escaped,
            text,
            canonical: true,
        },
        None => RawText {
            escaped,
            text: Cow::Owned(serde_json::from_slice::<String>(value).ok()?),
            canonical: false,
        },
    })
}

/// The raw value of the top-level member `key` of the valid JSON object
/// `body` (a string's bytes include its quotes; other values give their
/// first byte only, enough to tell they are not strings).
fn find<'a>(body: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let mut depth = 0usize;
    let mut i = 0;
    // At depth 1, whether the next string is a member name.
    let mut expect_key = false;
    while i < body.len() {
        match body[i] {
            b'"' => {
                let end = string_end(body, i)?;
                if depth == 1 && expect_key {
                    expect_key = false;
                    let name = &body[i + 1..end];
                    let mut v = end + 1;
                    while v < body.len() && (body[v].is_ascii_whitespace() || body[v] == b':') {
                        v += 1;
                    }
                    if name == key {
                        return match body.get(v)? {
                            b'"' => Some(&body[v..=string_end(body, v)?]),
                            _ => Some(&body[v..=v]),
                        };
                    }
                    i = v;
                    continue;
                }
                i = end + 1;
                continue;
            }
            b'{' | b'[' => {
                depth += 1;
                expect_key = depth == 1 && body[i] == b'{';
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            b',' => expect_key = depth == 1,
            _ => {}
        }
        i += 1;
    }
    None
}

/// The index of the quote closing the string that opens at `start`.
fn string_end(body: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    while i < body.len() {
        match body[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// The text of `escaped` when its escapes are all canonical (see the module
/// doc), else `None`.
fn unescape(escaped: &str) -> Option<Cow<'_, str>> {
    let bytes = escaped.as_bytes();
    let Some(first) = bytes.iter().position(|&b| b == b'\\') else {
        return Some(Cow::Borrowed(escaped));
    };
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..first]);
    let mut i = first;
    while i < bytes.len() {
        let b = bytes[i];
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let c = match *bytes.get(i + 1)? {
            b'"' => b'"',
            b'\\' => b'\\',
            b'b' => 0x08,
            b't' => b'\t',
            b'n' => b'\n',
            b'f' => 0x0c,
            b'r' => b'\r',
            b'u' => {
                let c = match bytes.get(i + 2..i + 6)? {
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
                out.push(c);
                i += 6;
                continue;
            }
            _ => return None,
        };
        out.push(c);
        i += 2;
    }
    String::from_utf8(out).ok().map(Cow::Owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// serde_json's own escape of `text`, without the quotes.
    fn escape(text: &str) -> String {
        let quoted = serde_json::to_string(text).expect("a string");
        quoted[1..quoted.len() - 1].to_owned()
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
            let body = format!(r#"{{"other":{{"input":"no"}},"input":"{}"}}"#, escape(text));
            let raw = member(body.as_bytes(), b"input").expect("found");
            assert!(raw.canonical, "{text:?}");
            assert_eq!(raw.text, text);
            assert_eq!(raw.escaped, escape(text));
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
        ] {
            let body = format!(r#"{{"input":"{written}"}}"#);
            let raw = member(body.as_bytes(), b"input").expect("found");
            assert!(!raw.canonical, "{written}");
            assert_eq!(raw.text, text);
        }
    }

    #[test]
    fn only_a_top_level_string_member_is_found() {
        let nested = br#"{"a":{"input":"x"},"b":["input","y"],"c":"\"input\":\"z\""}"#;
        assert!(member(nested, b"input").is_none());
        assert!(member(br#"{"input":1}"#, b"input").is_none());
        assert!(member(br#"{"input":null}"#, b"input").is_none());
        let spaced = br#" { "name" : "n" , "input" : "v" } "#;
        assert_eq!(member(spaced, b"input").expect("found").text, "v");
    }
}
