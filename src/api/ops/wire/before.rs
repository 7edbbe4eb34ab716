//! The property tests' reference: the typed path's reading of a start body
//! before [`super::request::StartBody::read`] (main 846a5950), kept as it
//! was: serde_json deserialised the body into a struct, then a second pass
//! over the bytes found the input and unescaped it. The one-pass reader
//! must answer what this answers, except for member names written with
//! escapes, which it leaves to the generic path.

use std::borrow::Cow;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde::Deserialize;

use super::request::StartBody;

/// What a reading gives: the five fields' texts, and the input as written
/// with its canonical flag.
#[derive(Debug, PartialEq, Eq)]
struct Read {
    fields: [Option<String>; 5],
    input_escaped: Option<(String, bool)>,
}

/// The one-pass reader's answer.
fn read_now(body: &[u8]) -> Option<Read> {
    let wire = StartBody::read(body)?;
    let f = wire.fields();
    let own = |t: Option<&str>| t.map(str::to_owned);
    Some(Read {
        fields: [
            own(f.state_machine_arn),
            own(f.name),
            own(f.input),
            own(f.trace_header),
            own(f.included_data),
        ],
        input_escaped: wire
            .input
            .as_ref()
            .map(|i| (i.escaped.to_owned(), i.canonical)),
    })
}

/// The former answer: serde_json, then [`member`] for the input.
fn read_before(body: &[u8]) -> Option<Read> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return None;
    }
    let wire: Body<'_> = serde_json::from_slice(body).ok()?;
    let input = match wire.input {
        None => None,
        Some(_) => Some(member(body, b"input")?),
    };
    let own = |t: &Option<Text<'_>>| t.as_ref().map(|t| t.0.clone().into_owned());
    Some(Read {
        fields: [
            own(&wire.state_machine_arn),
            own(&wire.name),
            input.as_ref().map(|i| i.text.clone().into_owned()),
            own(&wire.trace_header),
            own(&wire.included_data),
        ],
        input_escaped: input.map(|i| (i.escaped.to_owned(), i.canonical)),
    })
}

/// A JSON string, borrowed from the body when it has no escape.
#[derive(Deserialize)]
struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

/// The body as serde_json read it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body<'a> {
    #[serde(borrow, default)]
    state_machine_arn: Option<Text<'a>>,
    #[serde(borrow, default)]
    name: Option<Text<'a>>,
    #[serde(default)]
    input: Option<Present>,
    #[serde(borrow, default)]
    trace_header: Option<Text<'a>>,
    #[serde(borrow, default)]
    included_data: Option<Text<'a>>,
}

/// A member that is there (not null), its value skipped.
struct Present;

impl<'de> Deserialize<'de> for Present {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d).map(|_| Present)
    }
}

/// A string member as written and as text.
struct RawText<'a> {
    escaped: &'a str,
    text: Cow<'a, str>,
    canonical: bool,
}

/// The top-level string member `key` of a body serde_json accepted.
fn member<'a>(body: &'a [u8], key: &[u8]) -> Option<RawText<'a>> {
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

fn find<'a>(body: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let mut depth = 0usize;
    let mut i = 0;
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

/// The names of the generated members: the five fields, unknown ones, and
/// (the last two) names written with escapes.
const NAMES: [&str; 12] = [
    r#""stateMachineArn""#,
    r#""name""#,
    r#""input""#,
    r#""traceHeader""#,
    r#""includedData""#,
    r#""x""#,
    r#""Input""#,
    r#""inputs""#,
    r#""é""#,
    r#""""#,
    r#""in\u0070ut""#,
    r#""\u0078""#,
];

/// JSON values other than strings.
const OTHERS: [&str; 9] = [
    "null",
    "true",
    "false",
    "0",
    "-1.5e3",
    "[]",
    "{}",
    r#"[1,{"a":[null,"\/"]}]"#,
    r#"{"a":"b","input":{"c":"d"}}"#,
];

/// Values that are not JSON.
const INVALID: [&str; 9] = [
    "nul",
    "tru",
    "01",
    "1.",
    "[1,]",
    r#"{"a" 1}"#,
    "[",
    r#""\x""#,
    "\"a\u{1}\"",
];

/// Characters of the generated strings.
const CHARS: [char; 18] = [
    'a', 'Z', '"', '\\', '/', '\n', '\t', '\u{1}', '\u{1f}', '\u{7f}', 'é', '😀', '{', '}', ':',
    ',', ' ', '[',
];

/// `text` as a JSON string in one of five styles: serde_json's (0),
/// every character as `\uXXXX` (1), `/` as `\/` (2), control characters
/// raw (3, not JSON), a bad escape (4, not JSON).
fn encode(text: &str, style: u8) -> String {
    let canonical = serde_json::to_string(text).expect("a string");
    match style {
        0 => canonical,
        1 => {
            let mut out = String::from("\"");
            for unit in text.encode_utf16() {
                out.push_str(&format!("\\u{unit:04X}"));
            }
            out + "\""
        }
        2 => canonical.replace('/', r"\/"),
        3 => format!("\"{}\"", text.replace(['"', '\\'], "")),
        _ => format!("\"{}\\q\"", &canonical[1..canonical.len() - 1]),
    }
}

/// A generated value: a string (text, style) or one of [`OTHERS`].
fn value() -> impl Strategy<Value = String> {
    let text = prop::collection::vec(prop::sample::select(CHARS.to_vec()), 0..10)
        .prop_map(|chars| chars.into_iter().collect::<String>());
    prop_oneof![
        6 => (text, prop::sample::select(vec![0u8, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]))
            .prop_map(|(t, style)| encode(&t, style)),
        2 => prop::sample::select(OTHERS.to_vec()).prop_map(str::to_owned),
        1 => prop::sample::select(INVALID.to_vec()).prop_map(str::to_owned),
    ]
}

/// JSON whitespace (`outside`: or a form feed, which is not).
fn space(outside: bool) -> impl Strategy<Value = &'static str> {
    let mut spaces = vec!["", "", " ", "\n", "\t", "\r\n "];
    if outside {
        spaces.push("\u{c}");
    }
    prop::sample::select(spaces)
}

/// A generated body, and whether it has a member name written with escapes.
fn body() -> impl Strategy<Value = (String, bool)> {
    let member = (
        0..NAMES.len(),
        value(),
        space(false),
        space(false),
        space(false),
    );
    (
        prop::collection::vec(member, 0..5),
        space(true),
        space(true),
        prop::sample::select(vec!["", "", "", "", "", "", "", "", ",", "x", "]"]),
        prop::bool::weighted(0.05),
    )
        .prop_map(|(members, before, after, tail, array)| {
            let mut escaped_name = false;
            let inner: Vec<String> = members
                .iter()
                .map(|(name, value, s1, s2, s3)| {
                    escaped_name |= *name >= NAMES.len() - 2;
                    format!("{s1}{}{s2}:{s3}{value}{s1}", NAMES[*name])
                })
                .collect();
            let (open, close) = if array { ("[", "]") } else { ("{", "}") };
            let body = format!("{before}{open}{}{tail}{close}{after}", inner.join(","));
            (body, escaped_name)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    /// The one-pass reader answers as serde_json and the second pass did,
    /// and leaves only escaped member names to the generic path.
    #[test]
    fn the_one_pass_reader_reads_as_serde_json((body, escaped_name) in body()) {
        let now = read_now(body.as_bytes());
        let before = read_before(body.as_bytes());
        match (&now, &before) {
            (Some(_), _) => prop_assert_eq!(&now, &before, "{}", body),
            (None, Some(_)) => prop_assert!(escaped_name, "{}", body),
            (None, None) => {}
        }
    }
}

/// Enough generated bodies are read (not all refused), with every field.
#[test]
fn the_generated_bodies_reach_every_field() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = body();
    let mut read = [0usize; 5];
    let mut non_canonical = 0;
    for _ in 0..4096 {
        let (body, _) = strategy.new_tree(&mut runner).expect("a body").current();
        if let Some(r) = read_now(body.as_bytes()) {
            for (count, field) in read.iter_mut().zip(&r.fields) {
                *count += usize::from(field.is_some());
            }
            non_canonical += usize::from(r.input_escaped.is_some_and(|(_, c)| !c));
        }
    }
    assert!(read.iter().all(|&n| n >= 40), "{read:?}");
    assert!(non_canonical >= 3, "{non_canonical}");
}
