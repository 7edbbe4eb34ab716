//! The JSON writer: a [`Value`] as compact JSON text, in one of two forms.
//!
//! - [`Text`]: the text itself, exactly what simd-json's generator writes
//!   (`Value::encode`): no whitespace, members in their order, strings
//!   escaped as serde_json escapes them (RFC 8259 §7: `"` and `\` after a
//!   backslash, U+0008, U+0009, U+000A, U+000C and U+000D as `\b`, `\t`,
//!   `\n`, `\f` and `\r`, the other characters below U+0020 as `\u00xx` in
//!   lower-case hex, every other character as itself), integers as `itoa`
//!   writes them, floats as `ryu` writes them (`250.0`, `1.5e300`,
//!   `-2.5e-8`, `-0.0`), and a float that is not finite (no parsed document
//!   holds one) as `null`, as both simd-json and serde_json write it.
//! - [`Quoted`]: that text as the contents of a JSON string, escaped once
//!   more as serde_json escapes a string: what `serde_json::to_string` of
//!   [`Text`]'s result writes between its quotes. The StartSyncExecution
//!   reply carries the execution's output this way; writing it once saves
//!   writing the text and then escaping it again (`"` becomes `\"` for the
//!   text's quotes, `\\\"` for a quote inside one of its strings).
//!
//! The writer appends to a `String`: every piece it writes is a `&str` (a
//! run of a string between two ASCII characters that need an escape, so
//! cut at character boundaries) or ASCII, so the result needs no UTF-8
//! check and no `unsafe`.
//!
//! Strings are scanned sixteen or eight bytes at a time for a byte that
//! needs an escape (one below U+0020, `"` or `\`); the keys and values of
//! most documents have none and are copied whole.
//!
//! Arrays and objects are written by recursion, one call per level, like
//! simd-json's generator: documents are at most [`super::MAX_DEPTH`] levels
//! deep, plus the nesting of a definition's own templates.

use simd_json::StaticNode;

use super::special::{has_special, SPECIAL};
use super::Value;

/// How a value's JSON text is written: as itself, or as a JSON string's
/// contents.
pub(crate) trait Form {
    /// The text's `"`.
    const QUOTE: &'static str;
    /// An object's `{"`, before its first key.
    const FIRST_KEY: &'static str;
    /// `,"`, before each other key.
    const NEXT_KEY: &'static str;
    /// `":`, after each key.
    const KEY_END: &'static str;
    /// Appends a string's contents, escaped for this form.
    fn contents(out: &mut String, text: &str);
}

/// The JSON text itself.
pub(crate) struct Text;

/// The JSON text escaped as a JSON string's contents.
pub(crate) struct Quoted;

impl Form for Text {
    const QUOTE: &'static str = "\"";
    const FIRST_KEY: &'static str = "{\"";
    const NEXT_KEY: &'static str = ",\"";
    const KEY_END: &'static str = "\":";
    fn contents(out: &mut String, text: &str) {
        escape_into(out, text, false);
    }
}

impl Form for Quoted {
    const QUOTE: &'static str = "\\\"";
    const FIRST_KEY: &'static str = "{\\\"";
    const NEXT_KEY: &'static str = ",\\\"";
    const KEY_END: &'static str = "\\\":";
    fn contents(out: &mut String, text: &str) {
        escape_into(out, text, true);
    }
}

/// What follows the leading backslash(es) of each byte's escape (empty for
/// a byte written as itself), in [`Text`] form and in [`Quoted`] form, where
/// the escape's `"` or `\` is itself escaped (`\"` is written `\\\"`).
static TAILS: [[&str; 256]; 2] = [tails(false), tails(true)];

/// One of [`TAILS`]: serde_json's escapes, with `"` and `\` escaped once
/// more when `quoted`.
const fn tails(quoted: bool) -> [&'static str; 256] {
    // `u00xx` (lower-case hex) for the control characters without a short escape.
    const U: [&str; 32] = [
        "u0000", "u0001", "u0002", "u0003", "u0004", "u0005", "u0006", "u0007", "u0008", "u0009",
        "u000a", "u000b", "u000c", "u000d", "u000e", "u000f", "u0010", "u0011", "u0012", "u0013",
        "u0014", "u0015", "u0016", "u0017", "u0018", "u0019", "u001a", "u001b", "u001c", "u001d",
        "u001e", "u001f",
    ];
    let mut t = [""; 256];
    let mut b = 0;
    while b < 32 {
        t[b] = U[b];
        b += 1;
    }
    t[0x08] = "b";
    t[0x09] = "t";
    t[0x0a] = "n";
    t[0x0c] = "f";
    t[0x0d] = "r";
    if quoted {
        t[b'"' as usize] = "\\\"";
        t[b'\\' as usize] = "\\\\";
    } else {
        t[b'"' as usize] = "\"";
        t[b'\\' as usize] = "\\";
    }
    t
}

/// The `N` bytes of `bytes` from `at`.
fn take<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    let mut taken = [0; N];
    taken.copy_from_slice(&bytes[at..at + N]);
    taken
}

/// The eight bytes of `bytes` from `at` as one word.
fn word(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(take(bytes, at))
}

/// Whether one of the sixteen bytes from `at` needs an escape, written
/// as a fold over the block so the compiler vectorises it (SSE2: about
/// seventeen instructions a block, against some forty for two words).
#[inline(always)]
fn block_has_special(bytes: &[u8], at: usize) -> bool {
    let block: [u8; 16] = take(bytes, at);
    let mut any = 0u8;
    for b in block {
        any |= u8::from(b < 0x20) | u8::from(b == b'"') | u8::from(b == b'\\');
    }
    any != 0
}

/// Whether no byte of `bytes` needs an escape: sixteen bytes at a time,
/// the last block overlapping the one before; a shorter string as two
/// overlapping words, or halves of one (four bytes or two) filled out with
/// spaces.
fn clean(bytes: &[u8]) -> bool {
    let n = bytes.len();
    let four = |at| u64::from(u32::from_le_bytes(take(bytes, at)));
    let two = |at| u64::from(u16::from_le_bytes(take(bytes, at)));
    match n {
        16.. => {
            let mut at = 0;
            while at + 16 < n {
                if block_has_special(bytes, at) {
                    return false;
                }
                at += 16;
            }
            !block_has_special(bytes, n - 16)
        }
        8..=15 => !(has_special(word(bytes, 0)) || has_special(word(bytes, n - 8))),
        4..=7 => !has_special(four(0) | four(n - 4) << 32),
        2..=3 => !has_special(two(0) | two(n - 2) << 16 | SPACES << 32),
        1 => !SPECIAL[usize::from(bytes[0])],
        _ => true,
    }
}

/// Four spaces, the bytes a short string's word is filled out with.
const SPACES: u64 = 0x2020_2020;

/// Appends `text` escaped: each escape led by `\` (JSON text), or by `\\`
/// when `quoted` (a JSON string's contents, [`TAILS`]).
///
/// The check and the copy of a clean string are inlined into the writer;
/// the escaping is not ([`escape_slowly`]).
#[inline(always)]
fn escape_into(out: &mut String, text: &str, quoted: bool) {
    if clean(text.as_bytes()) {
        out.push_str(text);
    } else {
        escape_slowly(out, text, quoted);
    }
}

/// [`escape_into`] for a text with an escape.
#[inline(never)]
fn escape_slowly(out: &mut String, text: &str, quoted: bool) {
    let bytes = text.as_bytes();
    let backslash = if quoted { "\\\\" } else { "\\" };
    // `bytes[copied..at]` is clean and not written yet.
    let (mut copied, mut at) = (0, 0);
    loop {
        while at + 16 <= bytes.len() && !block_has_special(bytes, at) {
            at += 16;
        }
        while at + 8 <= bytes.len() && !has_special(word(bytes, at)) {
            at += 8;
        }
        // The escape is in the next eight bytes, if anywhere.
        let end = bytes.len().min(at + 8);
        while at < end && !SPECIAL[usize::from(bytes[at])] {
            at += 1;
        }
        if at == bytes.len() {
            break;
        }
        if at < end {
            // Both ends sit next to ASCII bytes: character boundaries.
            out.push_str(&text[copied..at]);
            out.push_str(backslash);
            out.push_str(TAILS[usize::from(quoted)][usize::from(bytes[at])]);
            at += 1;
            copied = at;
        }
    }
    out.push_str(&text[copied..]);
}

/// Appends `value`'s JSON text in form `F`.
pub(crate) fn write<F: Form>(out: &mut String, value: &Value) {
    match value {
        Value::Static(node) => scalar(out, *node),
        Value::String(s) => {
            out.push_str(F::QUOTE);
            F::contents(out, s);
            out.push_str(F::QUOTE);
        }
        Value::Array(items) => {
            let mut items = items.iter();
            let Some(first) = items.next() else {
                out.push_str("[]");
                return;
            };
            out.push('[');
            write::<F>(out, first);
            for item in items {
                out.push(',');
                write::<F>(out, item);
            }
            out.push(']');
        }
        Value::Object(members) => {
            let mut members = members.iter();
            let Some((key, value)) = members.next() else {
                out.push_str("{}");
                return;
            };
            out.push_str(F::FIRST_KEY);
            member::<F>(out, key, value);
            for (key, value) in members {
                out.push_str(F::NEXT_KEY);
                member::<F>(out, key, value);
            }
            out.push('}');
        }
    }
}

/// Appends `key":value` in form `F` (the key's opening quote is written
/// with the `{` or `,` before it).
fn member<F: Form>(out: &mut String, key: &str, value: &Value) {
    F::contents(out, key);
    out.push_str(F::KEY_END);
    write::<F>(out, value);
}

/// Appends a scalar: the same text in both forms (no quote, no backslash).
fn scalar(out: &mut String, node: StaticNode) {
    match node {
        StaticNode::Null => out.push_str("null"),
        StaticNode::Bool(true) => out.push_str("true"),
        StaticNode::Bool(false) => out.push_str("false"),
        StaticNode::I64(n) => out.push_str(itoa::Buffer::new().format(n)),
        StaticNode::U64(n) => out.push_str(itoa::Buffer::new().format(n)),
        StaticNode::F64(f) => float(out, f),
    }
}

/// Appends a float as `ryu` writes it (serde_json's and simd-json's form);
/// `null` when it is not finite.
///
/// A whole number below 10^15 (`250.0`, `-0.0`) is written from the
/// integer: ryu writes every number below 10^16 without an exponent, and a
/// whole one's shortest digits are its integer's (with their trailing
/// zeros, as ryu pads them), then `.0`.
pub(crate) fn float(out: &mut String, f: f64) {
    if f.abs() < 1e15 {
        // Both conversions are exact below 10^15.
        let whole = f as i64;
        if whole as f64 == f {
            if f.is_sign_negative() && whole == 0 {
                out.push('-');
            }
            out.push_str(itoa::Buffer::new().format(whole));
            out.push_str(".0");
            return;
        }
    }
    if f.is_finite() {
        out.push_str(ryu::Buffer::new().format_finite(f));
    } else {
        out.push_str("null");
    }
}

/// Appends `text` as a JSON string, quotes included: what
/// `serde_json::to_writer` appends for it.
pub(crate) fn string(out: &mut String, text: &str) {
    out.push('"');
    Text::contents(out, text);
    out.push('"');
}

/// Appends `value`'s JSON text as a JSON string, quotes included: what
/// `serde_json::to_writer` appends for the string `to_string(value)`.
pub(crate) fn text_as_string(out: &mut String, value: &Value) {
    out.push('"');
    write::<Quoted>(out, value);
    out.push('"');
}

/// A value's compact JSON text ([`Text`] form).
pub(crate) fn to_string(value: &Value) -> String {
    let mut out = String::with_capacity(1024);
    write::<Text>(&mut out, value);
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;
    use simd_json::prelude::*;

    /// Strings with every kind of character that matters: escapes, quotes,
    /// backslashes, multi-byte characters, runs longer than a chunk.
    pub(crate) fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[a-z\"\\\\\u{0}-\u{1f}\u{7f}é😀\u{2028}]{0,40}",
            "[a-zA-Z0-9_-]{0,24}",
        ]
    }

    fn float() -> impl Strategy<Value = f64> {
        prop_oneof![
            any::<f64>().prop_filter("finite", |f| f.is_finite()),
            Just(-0.0),
            Just(0.0),
            Just(1e-7),
            Just(1.5e300),
            Just(-2.5e-8),
            Just(f64::MAX),
            Just(f64::MIN_POSITIVE),
            Just(5e-324),
            Just(1e16),
            Just(123_456_789_012_345_680.0),
            Just(1e15),
            Just(1e15 - 1.0),
            Just(-1e15 + 1.0),
            Just(9_007_199_254_740_993.0),
            any::<i64>().prop_map(|n| (n % 1_000_000_000_000_000) as f64),
            any::<i32>().prop_map(f64::from),
            (-1_000_000i64..1_000_000).prop_map(|n| n as f64 / 1000.0),
        ]
    }

    fn scalar_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Static(StaticNode::Null)),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(|n| Value::Static(StaticNode::I64(n))),
            any::<u64>().prop_map(|n| Value::Static(StaticNode::U64(n))),
            float().prop_map(|f| Value::Static(StaticNode::F64(f))),
            text().prop_map(Value::from),
        ]
    }

    /// Values of every kind, nested arrays and objects included.
    pub(crate) fn value() -> impl Strategy<Value = Value> {
        scalar_value().prop_recursive(5, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8)
                    .prop_map(|items| Value::Array(Box::new(items))),
                prop::collection::vec((text(), inner), 0..8).prop_map(|members| {
                    let mut o = super::super::Object::new();
                    for (k, v) in members {
                        o.insert(k, v);
                    }
                    Value::Object(Box::new(o))
                }),
            ]
        })
    }

    fn quoted(value: &Value) -> String {
        let mut out = String::new();
        text_as_string(&mut out, value);
        out
    }

    #[test]
    fn every_escape_is_serde_jsons() {
        let all: String = (0u8..0x80).map(char::from).collect();
        for text in [
            "",
            "plain",
            "exactly8",
            "sixteen bytes ok",
            r#"{"a":"\"q\"","b":"x\\y"}"#,
            &all,
            "é\u{2028}\u{1F600}\u{7f}",
            "aaaaaaa\"",
            "aaaaaaaa\u{1}bbbbbbb\\",
        ] {
            let mut out = String::new();
            string(&mut out, text);
            assert_eq!(out, serde_json::to_string(text).expect("json"));
            let value = Value::from(text);
            assert_eq!(to_string(&value), value.encode());
            assert_eq!(
                quoted(&value),
                serde_json::to_string(&value.encode()).expect("json")
            );
        }
    }

    /// Every byte that needs an escape, at every place of strings of every
    /// length the block- and word-wise checks read differently (1 to 40
    /// bytes).
    #[test]
    fn an_escape_anywhere_is_found() {
        for len in 1..=40 {
            for at in 0..len {
                for byte in (0u8..0x20).chain([b'"', b'\\']) {
                    let mut text = "a".repeat(len);
                    text.replace_range(at..=at, &char::from(byte).to_string());
                    let mut out = String::new();
                    string(&mut out, &text);
                    assert_eq!(out, serde_json::to_string(&text).expect("json"));
                    assert_eq!(
                        quoted(&Value::from(text.as_str())),
                        serde_json::to_string(&Value::from(text.as_str()).encode()).expect("json")
                    );
                }
            }
        }
    }

    /// Not finite floats (made by no parser) are `null` in both forms, as
    /// simd-json's generator and serde_json write them.
    #[test]
    fn floats_that_are_not_finite_are_null() {
        for f in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let v = Value::Array(Box::new(vec![Value::Static(StaticNode::F64(f))]));
            assert_eq!(to_string(&v), "[null]");
            assert_eq!(v.encode(), "[null]");
            assert_eq!(quoted(&v), r#""[null]""#);
        }
    }

    #[test]
    fn numbers_are_written_as_the_generators_write_them() {
        let text = r#"[0,-1,18446744073709551615,-9223372036854775808,250.0,1.5e300,-2.5e-8,0.1,-0.0,123456789012345678901234567890]"#;
        let value = crate::json::parse(text).expect("valid");
        assert_eq!(to_string(&value), value.encode());
        assert_eq!(
            to_string(&value),
            "[0,-1,18446744073709551615,-9223372036854775808,250.0,1.5e300,-2.5e-8,0.1,-0.0,1.2345678901234568e29]"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn text_is_simd_jsons_encoding(value in value()) {
            prop_assert_eq!(to_string(&value), value.encode());
        }

        #[test]
        fn quoted_is_the_encoding_escaped_by_serde_json(value in value()) {
            let composed = serde_json::to_string(&value.encode()).expect("json");
            prop_assert_eq!(quoted(&value), composed);
        }

        #[test]
        fn any_string_is_written_as_serde_json_writes_it(s in text()) {
            let mut out = String::new();
            string(&mut out, &s);
            prop_assert_eq!(out, serde_json::to_string(&s).expect("json"));
        }
    }
}
