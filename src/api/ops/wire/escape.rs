//! A text written as a JSON string, escaped exactly as serde_json escapes it
//! (RFC 8259 §7): `"` and `\` after a backslash, the control characters
//! U+0008, U+0009, U+000A, U+000C and U+000D as `\b`, `\t`, `\n`, `\f` and
//! `\r`, the other control characters below U+0020 as `\u00xx` (lower-case
//! hex), and every other character as itself.
//!
//! The StartSyncExecution reply carries the execution's output as a JSON
//! string holding its JSON text, so every `"` of that text is escaped (92 in
//! the payment example's 515-byte output). Pushing byte by byte took 1,450
//! fewer instructions per StartSyncExecution than serde_json's writer, which
//! copies the run before each escape (`loadtest/http_instructions.sh`:
//! 119,851 → 118,400; 117,878 with the body's buffer sized for its texts); copying runs between escapes, or writing every byte
//! without a branch into room reserved for the longest escape, took more
//! (119,750 and 123,694).

/// What a byte becomes inside a JSON string: `0` itself, `b'u'` a
/// `\u00xx` escape, any other value the letter written after a backslash.
static ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = b'u';
        b += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `text` to `out` as a JSON string, quotes included: the bytes
/// `serde_json::to_writer(out, text)` appends.
pub(super) fn write_str(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    // Room for the text, its quotes and an escape every 4 bytes.
    out.reserve(bytes.len() + bytes.len() / 4 + 2);
    out.push(b'"');
    for &byte in bytes {
        match ESCAPE[usize::from(byte)] {
            0 => out.push(byte),
            b'u' => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0xf)],
            ]),
            escape => {
                out.push(b'\\');
                out.push(escape);
            }
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn written(text: &str) -> String {
        let mut out = Vec::new();
        write_str(&mut out, text);
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn every_escape_is_serde_jsons() {
        let all: String = (0u8..0x80).map(char::from).collect();
        for text in [
            "",
            "plain",
            r#"{"a":"\"q\"","b":"x\\y"}"#,
            &all,
            "é\u{2028}\u{1F600}\u{7f}",
        ] {
            assert_eq!(written(text), serde_json::to_string(text).expect("json"));
        }
    }

    proptest! {
        #[test]
        fn any_text_is_written_as_serde_json_writes_it(text in any::<String>()) {
            prop_assert_eq!(written(&text), serde_json::to_string(&text).expect("json"));
        }
    }
}
