use simd_json::prelude::*;

use super::*;
use crate::errors::names;
use crate::json::parse as json;

fn eval(rule: &str, input: &str) -> Result<bool, ExecError> {
    let rule = ChoiceRule::compile(&json(rule).expect("rule is JSON")).expect("compiles");
    let input = json(input).expect("input is JSON");
    let context = json(r#"{"State":{"Name":"S"}}"#).expect("JSON");
    let vars = json(r#"{"limit":10,"name":"bob"}"#).expect("JSON");
    rule.eval(&Scope {
        input: &input,
        context: crate::json::Context::of(&context),
        variables: Some(&vars),
    })
}

/// `matches!(rule, input, expected_bool)`.
macro_rules! case {
    ($name:ident, $rule:expr, $input:expr, $expected:expr) => {
        #[test]
        fn $name() {
            assert_eq!(
                eval($rule, $input).expect("evaluates"),
                $expected,
                "{} on {}",
                $rule,
                $input
            );
        }
    };
}

macro_rules! invalid {
    ($name:ident, $rule:expr) => {
        #[test]
        fn $name() {
            assert!(
                ChoiceRule::compile(&json($rule).expect("JSON")).is_err(),
                "{}",
                $rule
            );
        }
    };
}

case!(
    string_equals,
    r#"{"Variable":"$.v","StringEquals":"a"}"#,
    r#"{"v":"a"}"#,
    true
);
case!(
    string_equals_type_mismatch,
    r#"{"Variable":"$.v","StringEquals":"1"}"#,
    r#"{"v":1}"#,
    false
);
case!(
    string_less_than_prefix,
    r#"{"Variable":"$.v","StringLessThan":"AB"}"#,
    r#"{"v":"A"}"#,
    true
);
case!(
    string_utf16_order,
    r#"{"Variable":"$.v","StringGreaterThan":"\uffff"}"#,
    r#"{"v":"😀"}"#,
    false
);
case!(
    string_gte_path,
    r#"{"Variable":"$.v","StringGreaterThanEqualsPath":"$.w"}"#,
    r#"{"v":"AB","w":"A"}"#,
    true
);
case!(
    string_path_type_mismatch,
    r#"{"Variable":"$.v","StringEqualsPath":"$.w"}"#,
    r#"{"v":"1","w":1}"#,
    false
);
case!(
    numeric_int_float_equal,
    r#"{"Variable":"$.v","NumericEquals":0}"#,
    r#"{"v":0.0}"#,
    true
);
case!(
    numeric_exact_big_ints,
    r#"{"Variable":"$.v","NumericLessThan":9007199254740993}"#,
    r#"{"v":9007199254740992}"#,
    true
);
case!(
    numeric_gt,
    r#"{"Variable":"$.v","NumericGreaterThan":1.5}"#,
    r#"{"v":2}"#,
    true
);
case!(
    numeric_string_is_not_number,
    r#"{"Variable":"$.v","NumericEquals":1}"#,
    r#"{"v":"1"}"#,
    false
);
case!(
    numeric_lte_path,
    r#"{"Variable":"$.v","NumericLessThanEqualsPath":"$limit"}"#,
    r#"{"v":10}"#,
    true
);
case!(
    timestamp_equals_offsets,
    r#"{"Variable":"$.v","TimestampEquals":"2012-10-09T19:00:55Z"}"#,
    r#"{"v":"2012-10-09T20:00:55+01:00"}"#,
    true
);
case!(
    timestamp_invalid_value,
    r#"{"Variable":"$.v","TimestampEquals":"2012-10-09T19:00:55Z"}"#,
    r#"{"v":"2012-10-09T19:00:55"}"#,
    false
);
case!(
    timestamp_lt_path,
    r#"{"Variable":"$.v","TimestampLessThanPath":"$.w"}"#,
    r#"{"v":"2012-10-09T19:00:55Z","w":"2012-10-09T19:00:56Z"}"#,
    true
);
case!(
    matches_star,
    r#"{"Variable":"$.v","StringMatches":"log-*.txt"}"#,
    r#"{"v":"log-2024-01.txt"}"#,
    true
);
case!(
    matches_star_no,
    r#"{"Variable":"$.v","StringMatches":"log-*.txt"}"#,
    r#"{"v":"log-1.csv"}"#,
    false
);
case!(
    matches_escaped_star,
    r#"{"Variable":"$.v","StringMatches":"a\\*b"}"#,
    r#"{"v":"a*b"}"#,
    true
);
case!(
    matches_escaped_star_literal_only,
    r#"{"Variable":"$.v","StringMatches":"a\\*b"}"#,
    r#"{"v":"axb"}"#,
    false
);
case!(
    matches_escaped_backslash,
    r#"{"Variable":"$.v","StringMatches":"a\\\\*"}"#,
    r#"{"v":"a\\zz"}"#,
    true
);
case!(
    boolean_equals,
    r#"{"Variable":"$.v","BooleanEquals":false}"#,
    r#"{"v":false}"#,
    true
);
case!(
    boolean_equals_not_zero,
    r#"{"Variable":"$.v","BooleanEquals":false}"#,
    r#"{"v":0}"#,
    false
);
case!(
    boolean_equals_path,
    r#"{"Variable":"$.v","BooleanEqualsPath":"$.w"}"#,
    r#"{"v":true,"w":true}"#,
    true
);
case!(
    is_null,
    r#"{"Variable":"$.v","IsNull":true}"#,
    r#"{"v":null}"#,
    true
);
case!(
    is_null_false,
    r#"{"Variable":"$.v","IsNull":false}"#,
    r#"{"v":""}"#,
    true
);
case!(
    is_present_missing,
    r#"{"Variable":"$.nope","IsPresent":true}"#,
    "{}",
    false
);
case!(
    is_present_false_missing,
    r#"{"Variable":"$.nope","IsPresent":false}"#,
    "{}",
    true
);
case!(
    is_present,
    r#"{"Variable":"$.v","IsPresent":true}"#,
    r#"{"v":null}"#,
    true
);
case!(
    is_numeric,
    r#"{"Variable":"$.v","IsNumeric":true}"#,
    r#"{"v":1.5}"#,
    true
);
case!(
    is_string,
    r#"{"Variable":"$.v","IsString":true}"#,
    r#"{"v":"x"}"#,
    true
);
case!(
    is_boolean,
    r#"{"Variable":"$.v","IsBoolean":false}"#,
    r#"{"v":"true"}"#,
    true
);
case!(
    is_timestamp,
    r#"{"Variable":"$.v","IsTimestamp":true}"#,
    r#"{"v":"2016-03-14T01:59:00Z"}"#,
    true
);
case!(
    is_timestamp_no,
    r#"{"Variable":"$.v","IsTimestamp":true}"#,
    r#"{"v":"2016-03-14 01:59:00Z"}"#,
    false
);
case!(
    context_variable,
    r#"{"Variable":"$$.State.Name","StringEquals":"S"}"#,
    "{}",
    true
);
case!(
    workflow_variable,
    r#"{"Variable":"$name","StringEquals":"bob"}"#,
    "{}",
    true
);
case!(
    and_rule,
    r#"{"And":[{"Variable":"$.a","NumericGreaterThan":1},{"Variable":"$.a","NumericLessThan":3}],"Next":"X"}"#,
    r#"{"a":2}"#,
    true
);
case!(
    and_short_circuits,
    r#"{"And":[{"Variable":"$.a","IsPresent":true},{"Variable":"$.a","NumericEquals":1}]}"#,
    "{}",
    false
);
case!(
    or_rule,
    r#"{"Or":[{"Variable":"$.a","StringEquals":"x"},{"Variable":"$.a","StringEquals":"y"}]}"#,
    r#"{"a":"y"}"#,
    true
);
case!(
    not_rule,
    r#"{"Not":{"Variable":"$.a","StringEquals":"x"}}"#,
    r#"{"a":"y"}"#,
    true
);

#[test]
fn missing_variable_is_runtime_error() {
    let err = eval(r#"{"Variable":"$.nope","StringEquals":"x"}"#, "{}").expect_err("fails");
    assert_eq!(err.error, names::RUNTIME);
    assert_eq!(
        err.cause,
        "Invalid path '$.nope' : No results for path: $['nope']"
    );
}

invalid!(no_operator, r#"{"Variable":"$.a","Next":"X"}"#);
invalid!(
    two_operators,
    r#"{"Variable":"$.a","StringEquals":"x","IsNull":true}"#
);
invalid!(
    unknown_operator,
    r#"{"Variable":"$.a","StringContains":"x"}"#
);
invalid!(missing_variable_field, r#"{"StringEquals":"x"}"#);
invalid!(
    wrong_operand_type,
    r#"{"Variable":"$.a","NumericEquals":"1"}"#
);
invalid!(
    bad_timestamp_operand,
    r#"{"Variable":"$.a","TimestampEquals":"2016-13-05T21:29:29Z"}"#
);
invalid!(bad_is_flag, r#"{"Variable":"$.a","IsNull":"yes"}"#);
invalid!(empty_and, r#"{"And":[]}"#);
invalid!(
    dangling_escape,
    r#"{"Variable":"$.a","StringMatches":"abc\\"}"#
);
invalid!(not_an_object, r#"[1]"#);

#[test]
fn all_42_operators_compile() {
    let mut count = 3; // And, Or, Not
    for family in ["String", "Numeric", "Timestamp"] {
        let literal = match family {
            "String" => r#""x""#,
            "Numeric" => "1",
            _ => r#""2016-03-14T01:59:00Z""#,
        };
        for cmp in [
            "Equals",
            "LessThan",
            "GreaterThan",
            "LessThanEquals",
            "GreaterThanEquals",
        ] {
            for (suffix, operand) in [("", literal), ("Path", r#""$.b""#)] {
                let rule = format!(r#"{{"Variable":"$.a","{family}{cmp}{suffix}":{operand}}}"#);
                ChoiceRule::compile(&json(&rule).expect("JSON")).expect(&rule);
                count += 1;
            }
        }
    }
    for (op, operand) in [
        ("StringMatches", r#""*""#),
        ("BooleanEquals", "true"),
        ("BooleanEqualsPath", r#""$.b""#),
        ("IsNull", "true"),
        ("IsPresent", "true"),
        ("IsNumeric", "true"),
        ("IsString", "true"),
        ("IsBoolean", "true"),
        ("IsTimestamp", "true"),
    ] {
        let rule = format!(r#"{{"Variable":"$.a","{op}":{operand}}}"#);
        ChoiceRule::compile(&json(&rule).expect("JSON")).expect(&rule);
        count += 1;
    }
    assert_eq!(count, 42);
}

#[test]
fn deep_nesting_is_rejected_not_overflowed() {
    let mut rule = r#"{"Variable":"$.a","IsNull":true}"#.to_owned();
    for _ in 0..(MAX_DEPTH + 5) {
        rule = format!(r#"{{"Not":{rule}}}"#);
    }
    assert!(ChoiceRule::compile(&json(&rule).expect("JSON")).is_err());
}

mod patterns {
    use super::super::Pattern;

    macro_rules! glob {
        ($pattern:expr, $text:expr, $expected:expr) => {
            assert_eq!(
                Pattern::parse($pattern).expect("pattern").matches($text),
                $expected,
                "{} vs {}",
                $pattern,
                $text
            );
        };
    }

    #[test]
    fn glob_semantics() {
        glob!("", "", true);
        glob!("", "a", false);
        glob!("*", "", true);
        glob!("*", "anything", true);
        glob!("abc", "abc", true);
        glob!("abc", "abcd", false);
        glob!("a*", "abc", true);
        glob!("*c", "abc", true);
        glob!("a*c", "ac", true);
        glob!("a*a", "a", false);
        glob!("a*b*c", "aXbYc", true);
        glob!("a*b*c", "acb", false);
        glob!("*a*b*", "xxaxxbxx", true);
        glob!("**", "x", true);
        glob!(r"\*", "*", true);
        glob!(r"\*", "x", false);
        glob!(r"\\", r"\", true);
        glob!(r"\\*", r"\abc", true);
        glob!(r"a\b", r"a\b", true);
        glob!("é*ü", "éaü", true);
    }

    #[test]
    fn no_exponential_backtracking() {
        let text = "a".repeat(100_000);
        let pattern = format!("{}b", "*a".repeat(200));
        let start = std::time::Instant::now();
        assert!(!Pattern::parse(&pattern).expect("pattern").matches(&text));
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(pattern in "[a*\\\\é]{0,24}", text in "[ab*\\\\é]{0,40}") {
            if let Ok(p) = Pattern::parse(&pattern) {
                let _ = p.matches(&text);
            }
        }

        #[test]
        fn star_matches_everything(text in "\\PC{0,40}") {
            proptest::prop_assert!(Pattern::parse("*").expect("pattern").matches(&text));
        }
    }
}

/// Every recorded `v2.choice_operators.*` case: its rules compile, and
/// evaluating them on the case's input picks the branch AWS took.
#[test]
fn conformance_choice_operators() {
    let dir = crate::test_support::shared_dir().join("conformance/cases");
    let entries = std::fs::read_dir(&dir).expect("conformance cases");
    let mut checked = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with("v2.choice_operators.") {
            continue;
        }
        let read = |file: &str| {
            let text = std::fs::read_to_string(entry.path().join(file)).expect("fixture");
            json(&text).expect("fixture JSON")
        };
        let definition = read("definition.json");
        let input = read("input.json");
        let expected = read("expected.json");
        let states = definition
            .get("States")
            .and_then(|s| s.as_object())
            .expect("States");
        let context = json("{}").expect("JSON");
        let scope = Scope {
            input: &input,
            context: crate::json::Context::of(&context),
            variables: None,
        };
        for state in states.values() {
            if state.get_str("Type") != Some("Choice") {
                continue;
            }
            let mut next = state.get_str("Default");
            for rule in state.get_array("Choices").expect("Choices") {
                let compiled = ChoiceRule::compile(rule).unwrap_or_else(|e| panic!("{name}: {e}"));
                if compiled
                    .eval(&scope)
                    .unwrap_or_else(|e| panic!("{name}: {e}"))
                {
                    next = rule.get_str("Next");
                    break;
                }
            }
            let target = next.and_then(|n| states.get(n)).expect("a next state");
            assert_eq!(target.get("Result"), expected.get("output"), "{name}");
            checked += 1;
        }
    }
    assert!(checked >= 353, "checked {checked} cases");
}
