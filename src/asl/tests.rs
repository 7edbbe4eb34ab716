//! Validation tests: one line per case (code + location), plus every
//! definition AWS accepted in the conformance corpus and the anchor
//! workflows.

use super::{load, validate, LoadError, Severity};

/// `(code, location)` of every error diagnostic for a definition.
fn codes(def: &str) -> Vec<(&'static str, String)> {
    let v = crate::json::parse(def).expect("test definition is JSON");
    validate(&v)
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| (d.code, d.location))
        .collect()
}

/// Asserts a definition yields exactly one error with this code and location.
#[track_caller]
fn one(def: &str, code: &str, loc: &str) {
    let got = codes(def);
    assert_eq!(got, vec![(code_static(code), loc.to_owned())], "for {def}");
}

/// Asserts a definition yields (among others) an error with this code and location.
#[track_caller]
fn has(def: &str, code: &str, loc: &str) {
    let got = codes(def);
    assert!(
        got.iter().any(|(c, l)| *c == code && l == loc),
        "expected {code} at {loc} for {def}, got {got:?}"
    );
}

fn code_static(code: &str) -> &'static str {
    match code {
        "SCHEMA_VALIDATION_FAILED" => "SCHEMA_VALIDATION_FAILED",
        "MISSING_TRANSITION_TARGET" => "MISSING_TRANSITION_TARGET",
        "MISSING_END_STATE" => "MISSING_END_STATE",
        "DUPLICATE_STATE_NAME" => "DUPLICATE_STATE_NAME",
        _ => "?",
    }
}

#[track_caller]
fn ok(def: &str) {
    assert_eq!(codes(def), vec![], "for {def}");
}

/// A one-state machine whose state `A` is `state` (a JSON object body).
fn m(state: &str) -> String {
    format!(r#"{{"StartAt":"A","States":{{"A":{state}}}}}"#)
}

/// A machine with `A` = `state` and a terminal `B` that `A` may target.
fn m2(state: &str) -> String {
    format!(r#"{{"StartAt":"A","States":{{"A":{state},"B":{{"Type":"Succeed"}}}}}}"#)
}

/// Same as [`m`] in a JSONata machine.
fn ja(state: &str) -> String {
    format!(r#"{{"QueryLanguage":"JSONata","StartAt":"A","States":{{"A":{state}}}}}"#)
}

const S: &str = "SCHEMA_VALIDATION_FAILED";
const T: &str = "MISSING_TRANSITION_TARGET";

#[test]
fn minimal_valid_machines() {
    ok(&m(r#"{"Type":"Pass","End":true}"#));
    ok(&m(r#"{"Type":"Succeed"}"#));
    ok(&m(r#"{"Type":"Fail","Error":"E","Cause":"c"}"#));
    ok(&m2(r#"{"Type":"Pass","Next":"B"}"#));
    ok(&m(
        r#"{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true,"TimeoutSeconds":10,"HeartbeatSeconds":5}"#,
    ));
    ok(&m(r#"{"Type":"Wait","Seconds":0,"End":true}"#));
    ok(&m(
        r#"{"Type":"Wait","Timestamp":"2024-01-01T00:00:00.5+01:00","End":true}"#,
    ));
    ok(&ja(
        r#"{"Type":"Pass","Output":{"x":"{% $states.input %}"},"Assign":{"v":1},"End":true}"#,
    ));
}

#[test]
fn top_level() {
    one(r#"{"States":{"A":{"Type":"Succeed"}}}"#, S, "");
    one(r#"{"StartAt":"A"}"#, S, "");
    one(
        r#"{"StartAt":"X","States":{"A":{"Type":"Succeed"}}}"#,
        T,
        "/StartAt",
    );
    one(
        r#"{"StartAt":"A","Foo":1,"States":{"A":{"Type":"Succeed"}}}"#,
        S,
        "",
    );
    one(
        r#"{"StartAt":"A","TimeoutSeconds":0,"States":{"A":{"Type":"Succeed"}}}"#,
        S,
        "/TimeoutSeconds",
    );
    one(
        r#"{"StartAt":"A","TimeoutSeconds":"5","States":{"A":{"Type":"Succeed"}}}"#,
        S,
        "/TimeoutSeconds",
    );
    one(
        r#"{"StartAt":"A","Comment":5,"States":{"A":{"Type":"Succeed"}}}"#,
        S,
        "/Comment",
    );
    one(
        r#"{"StartAt":"A","Version":1,"States":{"A":{"Type":"Succeed"}}}"#,
        S,
        "/Version",
    );
    one(
        r#"{"StartAt":"A","QueryLanguage":"XPath","States":{"A":{"Type":"Succeed"}}}"#,
        S,
        "/QueryLanguage",
    );
    one(r#"{"StartAt":"A","States":[]}"#, S, "/States");
    one("[]", S, "");
}

#[test]
fn load_messages() {
    let e = load(&m2(r#"{"Type":"Pass","Next":"NOPE"}"#)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: NOPE at /States/A/Next, MISSING_TRANSITION_TARGET: State \"B\" is not reachable. at /States/B'"
    );
    let e = load(&m(r#"{"Type":"Pass","Next":"A"}"#)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Invalid State Machine Definition: 'MISSING_END_STATE: Workflow has no terminal state'"
    );
    let e = load(&m(r#"{"Type":"Pass"}"#)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: This object should have only one of the following fields: [Next, End] at /States/A'"
    );
    assert!(matches!(load("{"), Err(LoadError::InvalidJson(_))));
    assert!(load(&m(r#"{"Type":"Succeed"}"#)).is_ok());
}

#[test]
fn state_shape() {
    one(&m(r#"{"End":true}"#), S, "/States/A");
    one(&m(r#"{"Type":"Bogus","End":true}"#), S, "/States/A/Type");
    one(&m(r#"{"Type":5}"#), S, "/States/A/Type");
    one(&m("3"), S, "/States/A");
    one(&m(r#"{"Type":"Pass","End":true,"Foo":1}"#), S, "/States/A");
    one(&m(r#"{"Type":"Pass","End":"yes"}"#), S, "/States/A/End");
    one(
        &m2(r#"{"Type":"Pass","End":true,"Next":"B"}"#),
        S,
        "/States/A",
    );
    one(&m(r#"{"Type":"Succeed","End":true}"#), S, "/States/A");
    one(&m(r#"{"Type":"Fail","Next":"A"}"#), S, "/States/A");
    one(
        &m(r#"{"Type":"Task","Resource":"arn:x","Result":1,"End":true}"#),
        S,
        "/States/A",
    );
    one(
        &m(r#"{"Type":"Wait","Seconds":1,"End":true,"Retry":[]}"#),
        S,
        "/States/A",
    );
    one(
        &m(r#"{"Type":"Pass","End":true,"Catch":[]}"#),
        S,
        "/States/A",
    );
    one(&m(r#"{"Type":"Fail","InputPath":"$"}"#), S, "/States/A");
}

#[test]
fn names_and_transitions() {
    let long = "x".repeat(81);
    one(
        &format!(r#"{{"StartAt":"{long}","States":{{"{long}":{{"Type":"Succeed"}}}}}}"#),
        S,
        &format!("/States/{long}"),
    );
    has(&m2(r#"{"Type":"Pass","Next":"C"}"#), T, "/States/A/Next");
    one(
        r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true},"B":{"Type":"Succeed"}}}"#,
        T,
        "/States/B",
    );
    one(&m(r#"{"Type":"Pass","Next":"A"}"#), "MISSING_END_STATE", "");
    let dup = r#"{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"P","States":{"P":{"Type":"Succeed"}}}]}}}"#;
    one(
        dup,
        "DUPLICATE_STATE_NAME",
        "/States/P/Branches[0]/States/P",
    );
    let scope = r#"{"StartAt":"P","States":{"P":{"Type":"Parallel","Next":"Z","Branches":[{"StartAt":"X","States":{"X":{"Type":"Pass","Next":"Z"}}}]},"Z":{"Type":"Succeed"}}}"#;
    has(scope, T, "/States/P/Branches[0]/States/X/Next");
}

#[test]
fn task_fields() {
    one(&m(r#"{"Type":"Task","End":true}"#), S, "/States/A");
    one(
        &m(r#"{"Type":"Task","Resource":"lambda","End":true}"#),
        S,
        "/States/A/Resource",
    );
    one(
        &m(r#"{"Type":"Task","Resource":"arn:x","End":true,"TimeoutSeconds":0}"#),
        S,
        "/States/A/TimeoutSeconds",
    );
    one(
        &m(r#"{"Type":"Task","Resource":"arn:x","End":true,"TimeoutSeconds":1.5}"#),
        S,
        "/States/A/TimeoutSeconds",
    );
    one(
        &m(
            r#"{"Type":"Task","Resource":"arn:x","End":true,"TimeoutSeconds":5,"TimeoutSecondsPath":"$.t"}"#,
        ),
        S,
        "/States/A",
    );
    one(
        &m(
            r#"{"Type":"Task","Resource":"arn:x","End":true,"HeartbeatSeconds":5,"HeartbeatSecondsPath":"$.t"}"#,
        ),
        S,
        "/States/A",
    );
    one(
        &m(
            r#"{"Type":"Task","Resource":"arn:x","End":true,"TimeoutSeconds":5,"HeartbeatSeconds":5}"#,
        ),
        S,
        "/States/A/HeartbeatSeconds",
    );
    one(
        &m(r#"{"Type":"Task","Resource":"arn:x","End":true,"TimeoutSecondsPath":"$.a[*]"}"#),
        S,
        "/States/A/TimeoutSecondsPath",
    );
    one(
        &m(r#"{"Type":"Task","Resource":"arn:x","End":true,"Credentials":"r"}"#),
        S,
        "/States/A/Credentials",
    );
}

/// Jayway (AWS's JSONPath) accepts a dot before a bracket; AWS samples use
/// `$.[0]`, `$.a.[0].b`, `$.[?(@.x > 0)]` and `$.[*].['a','b']`.
#[test]
fn dot_before_bracket_paths() {
    ok(&m(
        r#"{"Type":"Pass","End":true,"InputPath":"$.[0]","OutputPath":"$.a.[0].b","ResultPath":"$.r.['s']"}"#,
    ));
    ok(&m(
        r#"{"Type":"Pass","End":true,"Parameters":{"a.$":"$.[?(@.x > 0)]","b.$":"$.[*].['a','b']","c.$":"States.Format('{}', $.a.[0])","d.$":"$$.Execution.['Id']","e.$":"$..[0]"}}"#,
    ));
    ok(&m2(
        r#"{"Type":"Choice","Choices":[{"Variable":"$.a.[0].b","IsPresent":true,"Next":"B"}],"Default":"B"}"#,
    ));
    one(
        &m(r#"{"Type":"Pass","End":true,"ResultPath":"$.[*]"}"#),
        S,
        "/States/A/ResultPath",
    );
    one(
        &m(r#"{"Type":"Pass","End":true,"InputPath":"$.a.[0]."}"#),
        S,
        "/States/A/InputPath",
    );
}

#[test]
fn paths_and_templates() {
    ok(&m(
        r#"{"Type":"Pass","End":true,"InputPath":null,"OutputPath":null,"ResultPath":null}"#,
    ));
    ok(&m(
        r#"{"Type":"Pass","End":true,"InputPath":"$.a[0]['b c']","ResultPath":"$.r.s"}"#,
    ));
    ok(&m(
        r#"{"Type":"Pass","End":true,"Parameters":{"a.$":"$.x","b.$":"$$.Execution.Id","c.$":"States.Format('{}', $.n)","d":{"e.$":"$.f[*].g"},"v.$":"$var.x"}}"#,
    ));
    one(
        &m(r#"{"Type":"Pass","End":true,"InputPath":"a"}"#),
        S,
        "/States/A/InputPath",
    );
    one(
        &m(r#"{"Type":"Pass","End":true,"OutputPath":5}"#),
        S,
        "/States/A/OutputPath",
    );
    one(
        &m(r#"{"Type":"Pass","End":true,"ResultPath":"$$.x"}"#),
        S,
        "/States/A/ResultPath",
    );
    one(
        &m(r#"{"Type":"Pass","End":true,"ResultPath":"$.a[*]"}"#),
        S,
        "/States/A/ResultPath",
    );
    one(
        &m(r#"{"Type":"Pass","End":true,"ResultPath":"$.a..b"}"#),
        S,
        "/States/A/ResultPath",
    );
    one(
        &m(r#"{"Type":"Pass","End":true,"Parameters":{"a.$":5}}"#),
        S,
        "/States/A/Parameters/a.$",
    );
    one(
        &m(r#"{"Type":"Pass","End":true,"Parameters":{"a.$":"x"}}"#),
        S,
        "/States/A/Parameters/a.$",
    );
    one(
        &m(r#"{"Type":"Pass","End":true,"Parameters":{"l":[{"a.$":"States.Nope()"}]}}"#),
        S,
        "/States/A/Parameters/l[0]/a.$",
    );
    one(
        &m(r#"{"Type":"Pass","End":true,"Parameters":{"a.$":"States.Format('x'"}}"#),
        S,
        "/States/A/Parameters/a.$",
    );
    one(
        &m(r#"{"Type":"Pass","End":true,"Parameters":{"a.$":"States.UUID() x"}}"#),
        S,
        "/States/A/Parameters/a.$",
    );
    one(
        &m(r#"{"Type":"Pass","End":true,"Parameters":"x"}"#),
        S,
        "/States/A/Parameters",
    );
    one(
        &m(r#"{"Type":"Task","Resource":"arn:x","End":true,"ResultSelector":{"a.$":"nope"}}"#),
        S,
        "/States/A/ResultSelector/a.$",
    );
    let deep = format!(
        "States.Array({}1{})",
        "States.Array(".repeat(10),
        ")".repeat(10)
    );
    one(
        &m(&format!(
            r#"{{"Type":"Pass","End":true,"Parameters":{{"a.$":"{deep}"}}}}"#
        )),
        S,
        "/States/A/Parameters/a.$",
    );
}

#[test]
fn wait_fields() {
    one(&m(r#"{"Type":"Wait","End":true}"#), S, "/States/A");
    one(
        &m(r#"{"Type":"Wait","Seconds":1,"Timestamp":"2024-01-01T00:00:00Z","End":true}"#),
        S,
        "/States/A",
    );
    one(
        &m(r#"{"Type":"Wait","Seconds":-1,"End":true}"#),
        S,
        "/States/A/Seconds",
    );
    one(
        &m(r#"{"Type":"Wait","Timestamp":"2024-01-01 00:00:00","End":true}"#),
        S,
        "/States/A/Timestamp",
    );
    one(
        &m(r#"{"Type":"Wait","Timestamp":"2024-01-01t00:00:00Z","End":true}"#),
        S,
        "/States/A/Timestamp",
    );
    one(
        &m(r#"{"Type":"Wait","SecondsPath":"$.a[?(@.x)]","End":true}"#),
        S,
        "/States/A/SecondsPath",
    );
    ok(&m(r#"{"Type":"Wait","TimestampPath":"$.t","End":true}"#));
}

#[test]
fn fail_fields() {
    one(
        &m(r#"{"Type":"Fail","Error":"E","ErrorPath":"$.e"}"#),
        S,
        "/States/A",
    );
    one(
        &m(r#"{"Type":"Fail","Cause":"E","CausePath":"$.e"}"#),
        S,
        "/States/A",
    );
    one(&m(r#"{"Type":"Fail","Error":5}"#), S, "/States/A/Error");
    one(
        &m(r#"{"Type":"Fail","Error":"States.Mine"}"#),
        S,
        "/States/A/Error",
    );
    one(
        &m(r#"{"Type":"Fail","CausePath":"cause"}"#),
        S,
        "/States/A/CausePath",
    );
    ok(&m(
        r#"{"Type":"Fail","Error":"States.Timeout","CausePath":"States.Format('{}', $.c)"}"#,
    ));
}

/// Issue 11, reproducer 4: a non-ASCII character in an intrinsic name
/// panicked the checker (a string sliced inside a character).
#[test]
fn non_ascii_intrinsic_names_are_invalid_not_a_panic() {
    one(
        &m(r#"{"Type":"Pass","Parameters":{"a.$":"States.é()"},"End":true}"#),
        S,
        "/States/A/Parameters/a.$",
    );
    one(
        &m(r#"{"Type":"Fail","ErrorPath":"States.é()"}"#),
        S,
        "/States/A/ErrorPath",
    );
    one(
        &m(r#"{"Type":"Fail","CausePath":"States.Formaté('{}', $.c)"}"#),
        S,
        "/States/A/CausePath",
    );
    for text in [
        "States.é()",
        "States.Arrayé(1)",
        "States.Format('{}', États.é())",
        "States.日本(1)",
    ] {
        assert!(super::syntax::intrinsic_error(text).is_some(), "{text}");
    }
}

#[test]
fn choice_rules() {
    let c = |rules: &str| m2(&format!(r#"{{"Type":"Choice","Choices":{rules}}}"#));
    ok(&c(r#"[{"Variable":"$.x","NumericEquals":1,"Next":"B"}]"#));
    ok(&c(
        r#"[{"And":[{"Variable":"$.x","IsPresent":true},{"Not":{"Variable":"$.y","StringMatches":"a*"}}],"Next":"B"}]"#,
    ));
    ok(&c(
        r#"[{"Variable":"$.t","TimestampLessThanPath":"$$.Execution.StartTime","Next":"B"}]"#,
    ));
    one(&c("[]"), S, "/States/A/Choices");
    one(&m(r#"{"Type":"Choice"}"#), S, "/States/A");
    one(
        &c(r#"[{"Variable":"$.x","NumericEquals":1}]"#),
        S,
        "/States/A/Choices[0]",
    );
    has(
        &c(r#"[{"Variable":"$.x","NumericEquals":1,"Next":"C"}]"#),
        T,
        "/States/A/Choices[0]/Next",
    );
    one(
        &c(r#"[{"Variable":"$.x","Next":"B"}]"#),
        S,
        "/States/A/Choices[0]",
    );
    one(
        &c(r#"[{"Variable":"$.x","NumericEquals":1,"StringEquals":"a","Next":"B"}]"#),
        S,
        "/States/A/Choices[0]",
    );
    one(
        &c(r#"[{"Variable":"$.x","NumericEquals":"1","Next":"B"}]"#),
        S,
        "/States/A/Choices[0]/NumericEquals",
    );
    one(
        &c(r#"[{"Variable":"$.x","StringEquals":1,"Next":"B"}]"#),
        S,
        "/States/A/Choices[0]/StringEquals",
    );
    one(
        &c(r#"[{"Variable":"$.x","BooleanEquals":"true","Next":"B"}]"#),
        S,
        "/States/A/Choices[0]/BooleanEquals",
    );
    one(
        &c(r#"[{"Variable":"$.x","TimestampEquals":"yesterday","Next":"B"}]"#),
        S,
        "/States/A/Choices[0]/TimestampEquals",
    );
    one(
        &c(r#"[{"Variable":"$.x","StringEqualsPath":"x","Next":"B"}]"#),
        S,
        "/States/A/Choices[0]/StringEqualsPath",
    );
    one(
        &c(r#"[{"Variable":"$.x","IsNull":1,"Next":"B"}]"#),
        S,
        "/States/A/Choices[0]/IsNull",
    );
    one(
        &c(r#"[{"Variable":"$.x","StringMatches":"a\\","Next":"B"}]"#),
        S,
        "/States/A/Choices[0]/StringMatches",
    );
    one(
        &c(r#"[{"Variable":"x","IsNull":true,"Next":"B"}]"#),
        S,
        "/States/A/Choices[0]/Variable",
    );
    one(
        &c(r#"[{"NumericEquals":1,"Next":"B"}]"#),
        S,
        "/States/A/Choices[0]",
    );
    one(
        &c(r#"[{"And":[],"Next":"B"}]"#),
        S,
        "/States/A/Choices[0]/And",
    );
    one(
        &c(r#"[{"Or":{},"Next":"B"}]"#),
        S,
        "/States/A/Choices[0]/Or",
    );
    one(
        &c(r#"[{"Not":[],"Next":"B"}]"#),
        S,
        "/States/A/Choices[0]/Not",
    );
    one(
        &c(r#"[{"Not":{"Variable":"$.x","IsNull":true,"Next":"B"},"Next":"B"}]"#),
        S,
        "/States/A/Choices[0]/Not",
    );
    has(
        &c(
            r#"[{"Or":[{"Variable":"$.x","IsNull":true},{"Variable":"$.x","Nope":true}],"Next":"B"}]"#,
        ),
        S,
        "/States/A/Choices[0]/Or[1]",
    );
    one(
        &m2(
            r#"{"Type":"Choice","Choices":[{"Variable":"$.x","IsNull":true,"Next":"B"}],"Default":"Q"}"#,
        ),
        T,
        "/States/A/Default",
    );
    let deep = format!(
        "[{{{}\"Variable\":\"$.x\",\"IsNull\":true{},\"Next\":\"B\"}}]",
        "\"Not\":{".repeat(70),
        "}".repeat(70)
    );
    one(
        &c(&deep),
        S,
        &format!("/States/A/Choices[0]{}", "/Not".repeat(65)),
    );
}

#[test]
fn retry_and_catch() {
    let t = |extra: &str| {
        m2(&format!(
            r#"{{"Type":"Task","Resource":"arn:x","End":true,{extra}}}"#
        ))
    };
    ok(&t(
        r#""Retry":[{"ErrorEquals":["E"],"IntervalSeconds":1,"MaxAttempts":0,"BackoffRate":1.5,"MaxDelaySeconds":10,"JitterStrategy":"FULL"},{"ErrorEquals":["States.ALL"]}],"Catch":[{"ErrorEquals":["States.ALL"],"Next":"B","ResultPath":"$.e"}]"#,
    ));
    one(&t(r#""Retry":[{}]"#), S, "/States/A/Retry[0]");
    one(
        &t(r#""Retry":[{"ErrorEquals":[]}]"#),
        S,
        "/States/A/Retry[0]/ErrorEquals",
    );
    one(
        &t(r#""Retry":[{"ErrorEquals":["States.ALL","E"]}]"#),
        S,
        "/States/A/Retry[0]/ErrorEquals",
    );
    one(
        &t(r#""Retry":[{"ErrorEquals":["States.ALL"]},{"ErrorEquals":["E"]}]"#),
        S,
        "/States/A/Retry[0]/ErrorEquals",
    );
    one(
        &t(r#""Retry":[{"ErrorEquals":["E"],"IntervalSeconds":0}]"#),
        S,
        "/States/A/Retry[0]/IntervalSeconds",
    );
    one(
        &t(r#""Retry":[{"ErrorEquals":["E"],"MaxAttempts":-1}]"#),
        S,
        "/States/A/Retry[0]/MaxAttempts",
    );
    one(
        &t(r#""Retry":[{"ErrorEquals":["E"],"BackoffRate":0.5}]"#),
        S,
        "/States/A/Retry[0]/BackoffRate",
    );
    one(
        &t(r#""Retry":[{"ErrorEquals":["E"],"MaxDelaySeconds":31622402}]"#),
        S,
        "/States/A/Retry[0]/MaxDelaySeconds",
    );
    one(
        &t(r#""Retry":[{"ErrorEquals":["E"],"JitterStrategy":"HALF"}]"#),
        S,
        "/States/A/Retry[0]/JitterStrategy",
    );
    one(
        &t(r#""Retry":[{"ErrorEquals":["E"],"Next":"B"}]"#),
        S,
        "/States/A/Retry[0]",
    );
    one(
        &t(r#""Retry":[{"ErrorEquals":["States.Custom"]}]"#),
        S,
        "/States/A/Retry[0]/ErrorEquals[0]",
    );
    one(&t(r#""Retry":{}"#), S, "/States/A/Retry");
    one(
        &t(r#""Catch":[{"ErrorEquals":["E"]}]"#),
        S,
        "/States/A/Catch[0]",
    );
    has(
        &t(r#""Catch":[{"ErrorEquals":["E"],"Next":"Q"}]"#),
        T,
        "/States/A/Catch[0]/Next",
    );
    one(
        &t(r#""Catch":[{"ErrorEquals":["E"],"Next":"B","ResultPath":"$$.x"}]"#),
        S,
        "/States/A/Catch[0]/ResultPath",
    );
    one(
        &t(r#""Catch":[{"ErrorEquals":["E"],"Next":"B","Output":{}}]"#),
        S,
        "/States/A/Catch[0]",
    );
    ok(&m(
        r#"{"Type":"Task","Resource":"arn:x","End":true,"Retry":[{"ErrorEquals":["States.Http.StatusCode.404","States.TaskFailed"]}]}"#,
    ));
}

#[test]
fn parallel_and_map() {
    let br = r#"{"StartAt":"X","States":{"X":{"Type":"Succeed"}}}"#;
    ok(&m(&format!(
        r#"{{"Type":"Parallel","End":true,"Branches":[{br}]}}"#
    )));
    one(&m(r#"{"Type":"Parallel","End":true}"#), S, "/States/A");
    one(
        &m(r#"{"Type":"Parallel","End":true,"Branches":[]}"#),
        S,
        "/States/A/Branches",
    );
    one(
        &m(r#"{"Type":"Parallel","End":true,"Branches":[{"States":{"X":{"Type":"Succeed"}}}]}"#),
        S,
        "/States/A/Branches[0]",
    );
    one(
        &m(&format!(
            r#"{{"Type":"Parallel","End":true,"TimeoutSeconds":5,"Branches":[{br}]}}"#
        )),
        S,
        "/States/A",
    );
    one(
        &m(
            r#"{"Type":"Parallel","End":true,"Branches":[{"StartAt":"X","States":{"X":{"Type":"Succeed"}},"QueryLanguage":"JSONata"}]}"#,
        ),
        S,
        "/States/A/Branches[0]",
    );
    let p = |extra: &str| {
        m(&format!(
            r#"{{"Type":"Map","End":true,"ItemProcessor":{br}{extra}}}"#
        ))
    };
    ok(&p(
        r#","ItemsPath":"$.items","MaxConcurrency":0,"ItemSelector":{"v.$":"$$.Map.Item.Value"}"#,
    ));
    ok(&m(&format!(
        r#"{{"Type":"Map","End":true,"Iterator":{br},"Parameters":{{"a.$":"$"}}}}"#
    )));
    one(&m(r#"{"Type":"Map","End":true}"#), S, "/States/A");
    has(
        &m(&format!(
            r#"{{"Type":"Map","End":true,"Iterator":{br},"ItemProcessor":{br}}}"#
        )),
        S,
        "/States/A",
    );
    one(&p(r#","TimeoutSeconds":5"#), S, "/States/A");
    one(&p(r#","MaxConcurrency":-1"#), S, "/States/A/MaxConcurrency");
    one(
        &p(r#","ToleratedFailurePercentage":101"#),
        S,
        "/States/A/ToleratedFailurePercentage",
    );
    one(&p(r#","ItemsPath":"items""#), S, "/States/A/ItemsPath");
    one(
        &p(r#","ItemSelector":{"a":1},"Parameters":{"a":1}"#),
        S,
        "/States/A",
    );
    one(
        &m(
            r#"{"Type":"Map","End":true,"ItemProcessor":{"ProcessorConfig":{"Mode":"WEIRD"},"StartAt":"X","States":{"X":{"Type":"Succeed"}}}}"#,
        ),
        S,
        "/States/A/ItemProcessor/ProcessorConfig/Mode",
    );
    one(
        &m(
            r#"{"Type":"Map","End":true,"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"X","States":{"X":{"Type":"Succeed"}}}}"#,
        ),
        S,
        "/States/A/ItemProcessor/ProcessorConfig",
    );
    one(
        &m(
            r#"{"Type":"Map","End":true,"ItemProcessor":{"QueryLanguage":"JSONata","StartAt":"X","States":{"X":{"Type":"Succeed"}}}}"#,
        ),
        S,
        "/States/A/ItemProcessor",
    );
    has(
        &m(
            r#"{"Type":"Map","End":true,"ItemProcessor":{"StartAt":"X","States":{"X":{"Type":"Pass","Next":"A"}}}}"#,
        ),
        T,
        "/States/A/ItemProcessor/States/X/Next",
    );
}

#[test]
fn nesting_is_bounded() {
    let mut def = r#"{"StartAt":"L","States":{"L":{"Type":"Succeed"}}}"#.to_owned();
    for i in 0..70 {
        def = format!(
            r#"{{"StartAt":"P{i}","States":{{"P{i}":{{"Type":"Parallel","End":true,"Branches":[{def}]}}}}}}"#
        );
    }
    let got = codes(&def);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, S);
}

#[test]
fn jsonata_mode() {
    one(
        &ja(r#"{"Type":"Pass","InputPath":"$","End":true}"#),
        S,
        "/States/A",
    );
    one(
        &ja(r#"{"Type":"Pass","Parameters":{},"End":true}"#),
        S,
        "/States/A",
    );
    one(
        &ja(r#"{"Type":"Pass","QueryLanguage":"JSONPath","End":true}"#),
        S,
        "/States/A",
    );
    one(
        &m(r#"{"Type":"Pass","Output":{},"End":true}"#),
        S,
        "/States/A",
    );
    one(
        &m(r#"{"Type":"Task","Resource":"arn:x","Arguments":{},"End":true}"#),
        S,
        "/States/A",
    );
    ok(&m(
        r#"{"Type":"Pass","QueryLanguage":"JSONata","Output":"{% 1 %}","End":true}"#,
    ));
    ok(&ja(
        r#"{"Type":"Task","Resource":"arn:x","Arguments":{"a":"{% $x %}"},"TimeoutSeconds":"{% 5 %}","End":true}"#,
    ));
    ok(&ja(r#"{"Type":"Wait","Seconds":"{% 1 %}","End":true}"#));
    let c = ja(
        r#"{"Type":"Choice","Choices":[{"Condition":"{% true %}","Next":"A","Output":{},"Assign":{"x":1}}],"Default":"A"}"#,
    );
    // A Choice looping to itself has no terminal state.
    one(&c, "MISSING_END_STATE", "");
    has(
        &ja(r#"{"Type":"Choice","Choices":[{"Variable":"$.x","IsNull":true,"Next":"A"}]}"#),
        S,
        "/States/A/Choices[0]",
    );
    one(&ja(r#"{"Type":"Fail","ErrorPath":"$.e"}"#), S, "/States/A");
    one(
        &ja(
            r#"{"Type":"Map","ItemsPath":"$.x","End":true,"ItemProcessor":{"StartAt":"X","States":{"X":{"Type":"Succeed"}}}}"#,
        ),
        S,
        "/States/A",
    );
    ok(&ja(
        r#"{"Type":"Map","Items":"{% [1] %}","End":true,"ItemProcessor":{"StartAt":"X","States":{"X":{"Type":"Succeed"}}}}"#,
    ));
    one(
        &ja(r#"{"Type":"Pass","Output":"{% 1","End":true}"#),
        S,
        "/States/A/Output",
    );
}

#[test]
fn assign_rules() {
    ok(&m(
        r#"{"Type":"Pass","Assign":{"a":1,"b.$":"$.x","c.$":"States.UUID()"},"End":true}"#,
    ));
    one(
        &m(r#"{"Type":"Pass","Assign":{"a.b":1},"End":true}"#),
        S,
        "/States/A/Assign/a.b",
    );
    one(
        &m(r#"{"Type":"Pass","Assign":{"b.$":"x"},"End":true}"#),
        S,
        "/States/A/Assign/b.$",
    );
    one(
        &m(r#"{"Type":"Pass","Assign":[],"End":true}"#),
        S,
        "/States/A/Assign",
    );
    one(
        &ja(r#"{"Type":"Pass","Assign":{"b.$":"{% 1 %}"},"End":true}"#),
        S,
        "/States/A/Assign/b.$",
    );
    one(&m(r#"{"Type":"Succeed","Assign":{"a":1}}"#), S, "/States/A");
}

#[test]
fn conformance_definitions_are_valid() {
    let dir = crate::test_support::shared_dir().join("conformance/cases");
    let entries = std::fs::read_dir(&dir).expect("conformance cases");
    let mut failures = Vec::new();
    let mut checked = 0;
    for e in entries.flatten() {
        let path = e.path().join("definition.json");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        checked += 1;
        let Ok(v) = crate::json::parse(&text) else {
            failures.push(format!("{}: not JSON", path.display()));
            continue;
        };
        for d in validate(&v) {
            failures.push(format!(
                "{}: {} {} at {}",
                path.display(),
                d.code,
                d.message,
                d.location
            ));
        }
    }
    assert!(checked >= 734, "only {checked} definitions read");
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn anchor_workflows_are_valid() {
    let entries = std::fs::read_dir(crate::test_support::shared_dir().join("anchors/workflows"))
        .expect("anchor workflows");
    for e in entries.flatten() {
        let path = e.path();
        if !path.to_string_lossy().ends_with(".asl.json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            load(&text).is_ok(),
            "{}: {:?}",
            path.display(),
            load(&text).err()
        );
    }
}

mod never_panics {
    use proptest::prelude::*;

    fn json() -> impl Strategy<Value = crate::json::Value> {
        use crate::json::Value;
        let names = prop::sample::select(vec![
            "Type",
            "Next",
            "End",
            "States",
            "StartAt",
            "Choices",
            "Branches",
            "ItemProcessor",
            "Retry",
            "Catch",
            "ErrorEquals",
            "Variable",
            "And",
            "Not",
            "Parameters",
            "x.$",
            "Assign",
            "QueryLanguage",
            "Task",
            "Pass",
            "Map",
            "Parallel",
            "Choice",
            "A",
        ]);
        let leaf = prop_oneof![
            Just(Value::from(())),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            prop::sample::select(vec![
                "A",
                "Pass",
                "$.x",
                "States.ALL",
                "arn:x",
                "{% 1 %}",
                "States.Format(",
                "$$"
            ])
            .prop_map(Value::from),
        ];
        leaf.prop_recursive(6, 64, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                prop::collection::vec((names.clone(), inner), 0..6).prop_map(|kv| {
                    let mut o = crate::json::Object::default();
                    for (k, v) in kv {
                        o.insert(k.to_owned(), v);
                    }
                    Value::from(o)
                }),
            ]
        })
    }

    proptest! {
        #[test]
        fn validate_never_panics(v in json()) {
            let _ = super::validate(&v);
        }
    }
}
