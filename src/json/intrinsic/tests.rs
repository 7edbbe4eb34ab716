use super::*;
use crate::json::parse as json;
use simd_json::prelude::*;

use crate::errors::{names, ExecError};

fn eval_with(text: &str, input: &str) -> Result<Value, ExecError> {
    let input = json(input).expect("test input is JSON");
    let context = json(
        r#"{"Execution":{"Name":"exec-1"},"StateMachine":{"Id":"arn:sm","Name":"my-machine"}}"#,
    )
    .expect("context is JSON");
    let variables = json(r#"{"greeting":"hi","n":3}"#).expect("variables are JSON");
    let scope = Scope {
        input: &input,
        context: crate::json::Context::of(&context),
        variables: Some(&variables),
    };
    Intrinsic::parse(text)
        .map_err(|e| ExecError::new("parse", e.to_string()))?
        .eval(&scope)
        .map_err(ExecError::from)
}

/// `yields!(call, input, expected_json)`: evaluates and compares.
macro_rules! yields {
    ($name:ident, $call:expr, $input:expr, $expected:expr) => {
        #[test]
        fn $name() {
            let got = eval_with($call, $input).expect("evaluates");
            assert_eq!(got, json($expected).expect("expected is JSON"), "{}", $call);
        }
    };
}

/// `fails!(call, input)`: evaluation raises States.IntrinsicFailure.
macro_rules! fails {
    ($name:ident, $call:expr, $input:expr) => {
        #[test]
        fn $name() {
            let err = eval_with($call, $input).expect_err("fails");
            assert_eq!(
                err.error,
                names::INTRINSIC_FAILURE,
                "{}: {}",
                $call,
                err.cause
            );
        }
    };
}

/// `rejects!(text)`: parsing fails.
macro_rules! rejects {
    ($name:ident, $call:expr) => {
        #[test]
        fn $name() {
            assert!(Intrinsic::parse($call).is_err(), "{}", $call);
        }
    };
}

yields!(
    format_string,
    "States.Format('Hello {}.', $.a)",
    r#"{"a":"World"}"#,
    r#""Hello World.""#
);
yields!(
    format_int_float_null,
    "States.Format('{} {} {} {}', $.i, $.f, $.n, $.b)",
    r#"{"i":1,"f":1.1,"n":null,"b":true}"#,
    r#""1 1.1 null true""#
);
yields!(
    format_float_whole,
    "States.Format('{}', $.f)",
    r#"{"f":1.0}"#,
    r#""1.0""#
);
yields!(
    format_object_java_style,
    "States.Format('{}', $.o)",
    r#"{"o":{"Arg1":1,"Arg2":[]}}"#,
    r#""{Arg1=1, Arg2=[]}""#
);
yields!(
    format_escapes,
    r"States.Format('it\'s \{\} {} \\', $.a)",
    r#"{"a":"x"}"#,
    r#""it's {} x \\""#
);
yields!(
    format_literal_args,
    "States.Format('{}-{}', 'a', 42)",
    "{}",
    r#""a-42""#
);
yields!(
    format_context,
    "States.Format('{} {}', $$.Execution.Name, $$.StateMachine)",
    "{}",
    r#""exec-1 {Id=arn:sm, Name=my-machine}""#
);
yields!(
    format_variable,
    "States.Format('{} {}', $greeting, $n)",
    "{}",
    r#""hi 3""#
);
yields!(
    format_template_from_path,
    "States.Format($.t, 1)",
    r#"{"t":"n={}"}"#,
    r#""n=1""#
);
fails!(format_too_few_args, "States.Format('{} {}', 1)", "{}");
fails!(format_missing_path, "States.Format('{}', $.missing)", "{}");

yields!(
    string_to_json_object,
    "States.StringToJson($.s)",
    r#"{"s":"{\"a\":[1,2]}"}"#,
    r#"{"a":[1,2]}"#
);
yields!(
    string_to_json_empty_is_null,
    "States.StringToJson($.s)",
    r#"{"s":""}"#,
    "null"
);
yields!(
    string_to_json_minus_zero,
    "States.StringToJson($.s)",
    r#"{"s":"-0"}"#,
    "0"
);
yields!(
    string_to_json_float,
    "States.StringToJson($.s)",
    r#"{"s":"1.1"}"#,
    "1.1"
);
fails!(
    string_to_json_invalid,
    "States.StringToJson($.s)",
    r#"{"s":"{nope"}"#
);
fails!(
    string_to_json_not_string,
    "States.StringToJson($.s)",
    r#"{"s":1}"#
);
yields!(
    json_to_string,
    "States.JsonToString($.o)",
    r#"{"o":{"Arg1":1,"Arg2":[]}}"#,
    r#""{\"Arg1\":1,\"Arg2\":[]}""#
);
yields!(
    json_to_string_float,
    "States.JsonToString($.f)",
    r#"{"f":1.1}"#,
    r#""1.1""#
);

yields!(
    array_mixed,
    "States.Array('a', 1, null, $.x)",
    r#"{"x":{"k":true}}"#,
    r#"["a",1,null,{"k":true}]"#
);
yields!(array_empty, "States.Array()", "{}", "[]");
yields!(
    partition,
    "States.ArrayPartition($.a, 3)",
    r#"{"a":[0,1,2,3]}"#,
    "[[0,1,2],[3]]"
);
yields!(
    partition_empty,
    "States.ArrayPartition($.a, 2)",
    r#"{"a":[]}"#,
    "[]"
);
fails!(
    partition_zero,
    "States.ArrayPartition($.a, 0)",
    r#"{"a":[1]}"#
);
yields!(
    contains_deep,
    "States.ArrayContains($.a, $.v)",
    r#"{"a":[[1,2,3],2],"v":[1,2,3]}"#,
    "true"
);
yields!(
    contains_not,
    "States.ArrayContains($.a, null)",
    r#"{"a":[[1,2,3],2]}"#,
    "false"
);
yields!(range_step, "States.ArrayRange(0, 10, 3)", "{}", "[0,3,6,9]");
yields!(range_down, "States.ArrayRange(5, 1, -2)", "{}", "[5,3,1]");
yields!(range_single, "States.ArrayRange(1, 9, 9)", "{}", "[1]");
fails!(range_step_zero, "States.ArrayRange(1, 9, 0)", "{}");
fails!(range_too_long, "States.ArrayRange(0, 1000, 1)", "{}");
yields!(
    range_max,
    "States.ArrayLength(States.ArrayRange(1, 1000, 1))",
    "{}",
    "1000"
);
yields!(
    get_item,
    "States.ArrayGetItem($.a, 5)",
    r#"{"a":[1,2,3,4,5,6,7]}"#,
    "6"
);
fails!(
    get_item_out_of_bounds,
    "States.ArrayGetItem($.a, 3)",
    r#"{"a":[1,2,3]}"#
);
fails!(
    get_item_negative,
    "States.ArrayGetItem($.a, -1)",
    r#"{"a":[1,2,3]}"#
);
yields!(length, "States.ArrayLength($.a)", r#"{"a":[1,2,3]}"#, "3");
fails!(
    length_not_array,
    "States.ArrayLength($.a)",
    r#"{"a":"abc"}"#
);
yields!(
    unique,
    "States.ArrayUnique($.a)",
    r#"{"a":[1,1,"a","a",{"x":1},{"x":1},null,null,1.5]}"#,
    r#"[1,"a",{"x":1},null,1.5]"#
);

yields!(
    base64_encode,
    "States.Base64Encode('Data to encode')",
    "{}",
    r#""RGF0YSB0byBlbmNvZGU=""#
);
yields!(
    base64_decode,
    "States.Base64Decode('RGF0YSB0byBlbmNvZGU=')",
    "{}",
    r#""Data to encode""#
);
fails!(base64_decode_invalid, "States.Base64Decode('%%%')", "{}");
yields!(
    hash_sha512,
    "States.Hash('input data', 'SHA-512')",
    "{}",
    r#""6ce4adb348546d4f449c4d25aad9a7c9cb711d9e91982d3f0b29ca2f3f47d4ce2deba23bf2954f0f1d593fc50283731a533d30d425402d4f91316d871303aac4""#
);
yields!(
    hash_md5,
    "States.Hash('', 'MD5')",
    "{}",
    r#""d41d8cd98f00b204e9800998ecf8427e""#
);
yields!(
    hash_sha1,
    "States.Hash('abc', 'SHA-1')",
    "{}",
    r#""a9993e364706816aba3e25717850c26c9cd0d89d""#
);
yields!(
    hash_sha256,
    "States.Hash('abc', 'SHA-256')",
    "{}",
    r#""ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad""#
);
fails!(hash_unknown_algorithm, "States.Hash('abc', 'SHA-3')", "{}");

yields!(
    merge_shallow,
    "States.JsonMerge($.a, $.b, false)",
    r#"{"a":{"x":1,"y":{"p":1}},"b":{"y":{"q":2},"z":3}}"#,
    r#"{"x":1,"y":{"q":2},"z":3}"#
);
yields!(
    merge_nested_string_to_json,
    r#"States.JsonMerge(States.StringToJson('{"c": "false"}'), $.b, false)"#,
    r#"{"b":{"d":1}}"#,
    r#"{"c":"false","d":1}"#
);
fails!(
    merge_deep_rejected,
    "States.JsonMerge($.a, $.a, true)",
    r#"{"a":{}}"#
);
yields!(add_rounds_half_up, "States.MathAdd(1.5, -2.5)", "{}", "0");
yields!(
    add_negative,
    "States.MathAdd($.a, $.b)",
    r#"{"a":-1.51,"b":-1.5}"#,
    "-3"
);
fails!(add_out_of_int32, "States.MathAdd(2147483648, 1)", "{}");
yields!(
    split,
    "States.StringSplit($.s, '.+,=')",
    r#"{"s":"This.is+a,test=string"}"#,
    r#"["This","is","a","test","string"]"#
);
yields!(
    split_drops_empty,
    "States.StringSplit(',,a,,', ',')",
    "{}",
    r#"["a"]"#
);
yields!(nested, "States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), States.MathAdd(States.ArrayLength(States.StringSplit($$.StateMachine.Name, '-')), -1))", "{}", r#""machine""#);

rejects!(reject_unknown_function, "States.Nope(1)");
rejects!(reject_not_a_call, "$.a");
rejects!(reject_unterminated_string, "States.Format('abc)");
rejects!(reject_dangling_escape, r"States.Format('abc\");
rejects!(reject_trailing_text, "States.UUID() x");
rejects!(reject_missing_paren, "States.UUID(");
rejects!(reject_bad_separator, "States.Array(1 2)");
rejects!(reject_deep_nesting, "States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array())))))))))))");

#[test]
fn ten_nested_calls_are_allowed() {
    let text = "States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array())))))))))";
    assert!(Intrinsic::parse(text).is_ok());
}

#[test]
fn random_in_range_and_seeded() {
    for _ in 0..50 {
        let v = eval_with("States.MathRandom(1, 5)", "{}").expect("evaluates");
        let n = v.as_i64().expect("an integer");
        assert!((1..5).contains(&n));
    }
    let a = eval_with("States.MathRandom(0, 1000000, 7)", "{}").expect("evaluates");
    let b = eval_with("States.MathRandom(0, 1000000, 7)", "{}").expect("evaluates");
    assert_eq!(a, b);
    assert!(eval_with("States.MathRandom(5, 5)", "{}").is_err());
}

#[test]
fn uuid_is_v4() {
    let v = eval_with("States.UUID()", "{}").expect("evaluates");
    let s = v.as_str().expect("a string");
    let id = uuid::Uuid::parse_str(s).expect("a UUID");
    assert_eq!(id.get_version_num(), 4);
}

#[test]
fn java_double_strings() {
    use super::functions::java_double;
    assert_eq!(java_double(1.0), "1.0");
    assert_eq!(java_double(1.1), "1.1");
    assert_eq!(java_double(-0.5), "-0.5");
    assert_eq!(java_double(1e7), "1.0E7");
    assert_eq!(java_double(1.5e-5), "1.5E-5");
}

proptest::proptest! {
    #[test]
    fn parse_never_panics(text in "\\PC{0,64}") {
        let _ = Intrinsic::parse(&text);
    }

    #[test]
    fn parse_never_panics_on_call_like_text(text in "States\\.[A-Za-z]{0,12}\\([-$.'\\\\{}(), 0-9a-zA-Z\\[\\]]{0,40}\\)?") {
        let _ = Intrinsic::parse(&text);
    }
}

yields!(
    bracket_path_arg,
    "States.Array($['a,b'], $.l[0], $.l[*])",
    r#"{"a,b":1,"l":[5,6]}"#,
    "[1,5,[5,6]]"
);
yields!(
    filter_path_arg,
    "States.ArrayLength($.l[?(@.x > 1)])",
    r#"{"l":[{"x":1},{"x":2},{"x":3}]}"#,
    "2"
);

/// Evaluates `text` on `input` under `budget`.
fn eval_budget(
    text: &str,
    input: &str,
    budget: &crate::json::budget::Budget,
) -> Result<Value, ExecError> {
    crate::json::budget::sync_scope(budget.clone(), || eval_with(text, input))
}

fn budget(max_bytes: usize) -> crate::json::budget::Budget {
    crate::json::budget::Budget::new(
        Some(std::time::Instant::now() + std::time::Duration::from_secs(600)),
        max_bytes,
    )
}

/// Functions that copy or multiply their arguments fail with
/// States.DataLimitExceeded before building a result over the byte cap.
#[test]
fn results_over_the_byte_cap_are_refused_before_they_are_built() {
    // A 100 KB string, copied 50 times by each call: 5 MB.
    let input = format!(r#"{{"s":"{}"}}"#, "x".repeat(100_000));
    let many = vec!["$.s"; 50].join(",");
    let placeholders = vec!["{}"; 50].join("");
    for text in [
        format!("States.Array({many})"),
        format!("States.Format('{placeholders}', {many})"),
        format!("States.JsonToString(States.Array({many}))"),
        "States.StringSplit($.s, 'y')".to_owned(),
    ] {
        let e = eval_budget(&text, &input, &budget(1 << 20)).expect_err(&text);
        assert_eq!(e.error, names::DATA_LIMIT_EXCEEDED, "{text}: {}", e.cause);
        assert!(e.cause.contains("1048576 bytes"), "{}", e.cause);
        // The same call fits a larger cap.
        assert!(
            eval_budget(&text, &input, &budget(64 << 20)).is_ok(),
            "{text}"
        );
    }
}

/// Past the deadline, or once stopped, an intrinsic fails with
/// States.Timeout (a stopped execution ends anyway).
#[test]
fn the_deadline_and_stop_are_seen() {
    let late = crate::json::budget::Budget::new(Some(std::time::Instant::now()), 1 << 20);
    let e = eval_budget("States.ArrayLength($.a)", r#"{"a":[1]}"#, &late).expect_err("late");
    assert_eq!(e.error, names::TIMEOUT);
    let stopped = budget(1 << 20);
    stopped.stop();
    let e = eval_budget("States.ArrayLength($.a)", r#"{"a":[1]}"#, &stopped).expect_err("stop");
    assert_eq!(e.error, names::RUNTIME);
}

/// ArrayUnique is linear and keeps first occurrences in order, with JSON
/// equality (objects whatever their member order).
#[test]
fn array_unique_is_linear() {
    let items: Vec<String> = (0..100_000).map(|i| (i % 50_000).to_string()).collect();
    let input = format!(r#"{{"a":[{}]}}"#, items.join(","));
    let started = std::time::Instant::now();
    let got = eval_with("States.ArrayLength(States.ArrayUnique($.a))", &input).expect("ok");
    assert_eq!(got, json("50000").expect("json"));
    // Quadratic: 2.5e9 comparisons; linear: well under a second.
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    let got = eval_with(
        "States.ArrayUnique($.a)",
        r#"{"a":[{"x":1,"y":2},{"y":2,"x":1},[1],[1],1,"1",1]}"#,
    )
    .expect("ok");
    assert_eq!(got, json(r#"[{"x":1,"y":2},[1],1,"1"]"#).expect("json"));
}
