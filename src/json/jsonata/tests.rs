use super::*;
use crate::json::parse;

fn states(input: &str) -> Value {
    parse(&format!(
        r#"{{"input": {input}, "context": {{"State": {{"Name": "S"}}}}}}"#
    ))
    .expect("test states")
}

/// Evaluates `text` with `$states.input` = `input` and the variables `vars`.
fn eval_with(text: &str, input: &str, vars: Option<&str>) -> Result<Option<Value>, JsonataError> {
    let states = states(input);
    let vars = vars.map(|v| parse(v).expect("test variables"));
    let expr = Expression::compile(text)?;
    expr.evaluate(&Bindings {
        states: States::from_object(&states),
        variables: vars.as_ref(),
    })
}

/// The result of `text` as compact JSON (`undefined` for none).
fn eval(text: &str, input: &str) -> String {
    match eval_with(text, input, None) {
        Ok(Some(v)) => crate::json::to_string(&v),
        Ok(None) => "undefined".to_owned(),
        Err(e) => format!("error {e}"),
    }
}

fn err(text: &str, input: &str) -> JsonataError {
    match eval_with(text, input, None) {
        Err(e) => e,
        other => panic!("{text}: expected an error, got {other:?}"),
    }
}

#[test]
fn expression_markers() {
    assert!(is_expression("{% 1 %}"));
    assert!(is_expression("{%%}"));
    assert!(!is_expression(" {% 1 %}"));
    assert!(!is_expression("{% 1 %} "));
    assert!(!is_expression("{%}"));
    assert!(!is_expression("plain"));
    assert_eq!(expression_text("{%  $a + 1 \n%}"), Some("$a + 1"));
    assert_eq!(expression_text("{%%}"), Some(""));
    assert_eq!(expression_text("{% 1"), None);
    assert_eq!(expression_text("{%}"), None);
}

#[test]
fn compiled_expressions_are_shareable() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Expression>();
}

#[test]
fn reads_states_and_variables() {
    assert_eq!(eval("$states.input.a + 1", r#"{"a": 41}"#), "42");
    assert_eq!(eval("$states.context.State.Name", "{}"), r#""S""#);
    let out = eval_with(
        "$x & '-' & $y.z",
        "{}",
        Some(r#"{"x": "a", "y": {"z": "b"}, "w": 1}"#),
    );
    assert_eq!(out, Ok(Some(Value::from("a-b"))));
    // A variable that is not in scope is undefined.
    assert_eq!(eval_with("$nope", "{}", Some(r#"{"x": 1}"#)), Ok(None));
    assert_eq!(eval_with("$x", "{}", None), Ok(None));
}

#[test]
fn numbers_convert_like_json_stringify() {
    assert_eq!(eval("1 + 1", "{}"), "2");
    assert_eq!(eval("3 / 2", "{}"), "1.5");
    assert_eq!(eval("4 / 2", "{}"), "2");
    assert_eq!(eval("-0", "{}"), "0");
    assert_eq!(
        eval("$states.input", r#"[1, 2.5, -3, 18446744073709551615]"#),
        "[1,2.5,-3,1.8446744073709552e19]"
    );
    assert_eq!(
        eval("$states.input.big", r#"{"big": 9007199254740993}"#),
        "9007199254740992"
    );
}

#[test]
fn values_round_trip() {
    let doc = r#"{"s":"x","n":null,"t":true,"f":false,"a":[1,[2],{"b":"c"}],"o":{"k":{}},"e":[]}"#;
    assert_eq!(eval("$states.input", doc), doc);
    assert_eq!(
        eval("{'z': 1, 'a': 2, 'm': 3}", "{}"),
        r#"{"z":1,"a":2,"m":3}"#
    );
}

#[test]
fn undefined_results() {
    assert_eq!(eval("$states.input.missing", "{}"), "undefined");
    assert_eq!(eval("$", "{}"), "undefined");
    assert_eq!(eval("[]", "{}"), "[]");
    assert_eq!(
        eval("{'a': $states.input.missing, 'b': 1}", "{}"),
        r#"{"b":1}"#
    );
}

#[test]
fn function_results_are_unsupported() {
    let e = err("$fn := function($x){$x}", "{}");
    assert_eq!(e.kind, JsonataErrorKind::UnsupportedResult);
    assert_eq!(EvalFailure::from(e), EvalFailure::UnsupportedType);
    assert_eq!(
        err("$string", "{}").kind,
        JsonataErrorKind::UnsupportedResult
    );
}

#[test]
fn error_codes_and_messages() {
    let e = err("$randomSeeded($states.input.x)", r#"{"x": 1}"#);
    assert_eq!(e.kind, JsonataErrorKind::Evaluation);
    assert_eq!(e.code.as_deref(), Some("T1006"));
    assert_eq!(e.message, "Attempted to invoke a non-function");
    assert_eq!(e.to_string(), "T1006: Attempted to invoke a non-function");
    let e = err("'a' + 1", "{}");
    assert_eq!(e.code.as_deref(), Some("T2001"));
    let e = Expression::compile("1 +").expect_err("syntax error");
    assert_eq!(e.kind, JsonataErrorKind::Syntax);
    assert!(e.code.is_some(), "{e:?}");
    assert!(Expression::compile("(").is_err());
    assert!(Expression::compile("'open").is_err());
}

#[test]
fn endless_tail_recursion_times_out() {
    let e = err("($f := function($n){ $f($n + 1) }; $f(0))", "{}");
    assert_eq!(e.code.as_deref(), Some("D1012"), "{e:?}");
}

#[test]
fn runaway_recursion_fails() {
    let e = err("($f := function($n){ 1 + $f($n + 1) }; $f(0))", "{}");
    assert!(e.code.is_some(), "{e:?}");
}

#[test]
fn eval_is_not_available() {
    let e = err("$eval('1 + 1')", "{}");
    assert_eq!(e.to_string(), "T1006: Attempted to invoke a non-function");
}

#[test]
fn partition() {
    assert_eq!(
        eval("$partition([1,2,3,4,5], 2)", "{}"),
        "[[1,2],[3,4],[5]]"
    );
    assert_eq!(eval("$partition([1,2,3], 3)", "{}"), "[[1,2,3]]");
    assert_eq!(eval("$partition([0], 4)", "{}"), "[[0]]");
    assert_eq!(eval("$partition([], 4)", "{}"), "[]");
    assert_eq!(
        eval(
            "$partition($states.input.a, $states.input.n)",
            r#"{"a": [0], "n": 1}"#
        ),
        "[[0]]"
    );
    assert!(eval("$partition([1], 0)", "{}").starts_with("error"));
    assert!(eval("$partition([1], 1.5)", "{}").starts_with("error"));
    assert!(eval("$partition([1], 'x')", "{}").starts_with("error"));
}

#[test]
fn range() {
    assert_eq!(eval("$range(0, 10, 2)", "{}"), "[0,2,4,6,8,10]");
    assert_eq!(eval("$range(0, 9, 3)", "{}"), "[0,3,6,9]");
    assert_eq!(eval("$range(0, 10, 3)", "{}"), "[0,3,6,9]");
    assert_eq!(eval("$range(1, 9, 9)", "{}"), "1");
    assert_eq!(eval("$range(5, 1, -2)", "{}"), "[5,3,1]");
    assert_eq!(eval("$range(5, 1, 1)", "{}"), "undefined");
    assert!(eval("$range(0, 1, 0)", "{}").starts_with("error"));
    assert!(eval("$range(0, 5000, 1)", "{}").starts_with("error"));
    assert!(eval("$range(0.5, 2, 1)", "{}").starts_with("error"));
}

#[test]
fn hash() {
    assert_eq!(
        eval("$hash('abc', 'MD5')", "{}"),
        r#""900150983cd24fb0d6963f7d28e17f72""#
    );
    assert_eq!(
        eval("$hash('abc', 'SHA-1')", "{}"),
        r#""a9993e364706816aba3e25717850c26c9cd0d89d""#
    );
    assert_eq!(
        eval("$hash('abc', 'SHA-256')", "{}"),
        r#""ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad""#
    );
    assert!(eval("$hash('abc', 'SHA-384')", "{}").starts_with(r#""cb00753f45a35e8b"#));
    assert!(eval("$hash('abc', 'SHA-512')", "{}").starts_with(r#""ddaf35a193617aba"#));
    assert!(eval("$hash('abc', 'SHA3')", "{}").starts_with("error"));
    assert!(eval("$hash(1, 'MD5')", "{}").starts_with("error"));
}

#[test]
fn random() {
    for _ in 0..20 {
        let n: f64 = eval("$random()", "{}").parse().expect("a number");
        assert!((0.0..1.0).contains(&n), "{n}");
    }
    let a = eval("$random(42)", "{}");
    assert_eq!(a, eval("$random(42)", "{}"));
    assert_ne!(a, eval("$random(43)", "{}"));
    assert!(eval("$random('x')", "{}").starts_with("error"));
}

#[test]
fn uuid() {
    let a = eval("$uuid()", "{}");
    assert_eq!(a.len(), 38, "{a}");
    assert_eq!(a.as_bytes().get(15), Some(&b'4'), "{a}");
    assert_ne!(a, eval("$uuid()", "{}"));
}

#[test]
fn parse_json() {
    let p = |s: &str| {
        eval(
            "$parse($states.input.s)",
            &format!(r#"{{"s": {}}}"#, crate::json::to_string(&Value::from(s))),
        )
    };
    assert_eq!(p("-0"), "0");
    assert_eq!(p("1.1"), "1.1");
    assert_eq!(p("true"), "true");
    assert_eq!(p(r#""HelloWorld""#), r#""HelloWorld""#);
    assert_eq!(p(r#"[1, 2, "HelloWorld"]"#), r#"[1,2,"HelloWorld"]"#);
    assert_eq!(p(r#"{"Arg1": 1, "Arg2": []}"#), r#"{"Arg1":1,"Arg2":[]}"#);
    assert!(p("{nope").starts_with("error"));
}

#[test]
fn builtins_still_work() {
    assert_eq!(eval("$sum($states.input)", "[1,2,3]"), "6");
    assert_eq!(eval("$uppercase('a') & $string(1)", "{}"), r#""A1""#);
    assert_eq!(eval("$count($states.input[$ > 1])", "[1,2,3]"), "2");
    assert_eq!(eval("($x := 2; $x * $x)", "{}"), "4");
}

#[test]
fn causes() {
    let threw = EvalFailure::Error(JsonataError::from_message(
        JsonataErrorKind::Evaluation,
        "T1006: Attempted to invoke a non-function",
    ));
    assert_eq!(
        cause_for("$randomSeeded($states.input.FunctionInput.fst)", "Output/FunctionResult", &threw),
        "The JSONata expression '$randomSeeded($states.input.FunctionInput.fst)' specified for the field 'Output/FunctionResult' threw an error during evaluation. T1006: Attempted to invoke a non-function"
    );
    assert_eq!(
        cause_for("$doesNotExist", "Arguments", &EvalFailure::Undefined),
        "The JSONata expression '$doesNotExist' specified for the field 'Arguments' returned nothing (undefined)."
    );
    assert_eq!(
        cause_for("$fn := function($x){$x}", "Items", &EvalFailure::UnsupportedType),
        "The JSONata expression '$fn := function($x){$x}' specified for the field 'Items' returned an unsupported result type."
    );
    let unexpected = |v: &str| EvalFailure::UnexpectedType {
        expected: "array",
        value: parse(v).expect("test value"),
    };
    assert_eq!(
        cause_for("$ItemsVar", "Items", &unexpected(r#"{"foo": "bar"}"#)),
        r#"The JSONata expression '$ItemsVar' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'object' for value: {"foo":"bar"}"#
    );
    assert!(cause_for("'string'", "Items", &unexpected(r#""string""#))
        .ends_with(r#"Expected 'array', but was 'string' for value: "string""#));
    assert!(
        cause_for("x", "Items", &unexpected("null")).ends_with("but was 'null' for value: null")
    );
    assert!(
        cause_for("x", "Items", &unexpected("true")).ends_with("but was 'boolean' for value: true")
    );
    assert!(cause_for("x", "Items", &unexpected("1")).ends_with("but was 'number' for value: 1"));
}

#[test]
fn evaluate_defined_reports_undefined() {
    let s = states("{}");
    let b = Bindings {
        states: States::from_object(&s),
        variables: None,
    };
    let expr = Expression::compile("$states.input.nope").expect("compiles");
    assert_eq!(expr.evaluate_defined(&b), Err(EvalFailure::Undefined));
    assert_eq!(expr.text(), "$states.input.nope");
}

#[test]
fn dollar_names_scan() {
    let names: Vec<&str> = dollar_names("$a.b + $c_1($states.x) & '$d' $ $é")
        .map(|(_, n)| n)
        .collect();
    assert_eq!(names, ["a", "c_1", "states", "d", "é"]);
    assert_eq!(states_member(".input.a"), 1);
    assert_eq!(states_member(".context"), 2);
    assert_eq!(states_member(".result)"), 4);
    assert_eq!(states_member(".errorOutput.Error"), 8);
    assert_eq!(states_member(".inputs"), ALL_STATES);
    assert_eq!(states_member(""), ALL_STATES);
    assert_eq!(states_member(".*"), ALL_STATES);
    assert_eq!(states_member(" . input"), ALL_STATES);
}

#[test]
fn binds_only_the_states_members_read() {
    let s = parse(r#"{"input": {"a": 1}, "context": {"c": 2}, "result": 3}"#).expect("states");
    let b = Bindings {
        states: States::from_object(&s),
        variables: None,
    };
    let run = |text: &str| {
        let out = Expression::compile(text).expect("compiles").evaluate(&b);
        out.map(|v| v.map(|v| crate::json::to_string(&v)))
    };
    assert_eq!(
        run("$states.input.a + $states.context.c + $states.result"),
        Ok(Some("6".to_owned()))
    );
    assert_eq!(
        run("$keys($states)"),
        Ok(Some(r#"["input","context","result"]"#.to_owned()))
    );
    assert_eq!(run("$states.errorOutput"), Ok(None));
    assert_eq!(run("$count($states.*)"), Ok(Some("3".to_owned())));
}

proptest::proptest! {
    #[test]
    fn compile_never_panics(text in "\\PC{0,40}") {
        let _ = Expression::compile(&text);
    }

    #[test]
    fn compile_never_panics_on_jsonata_alphabet(text in "[$a-c0-9 .,:;()\\[\\]{}'\"`*?&|<>=!~%^#@+-/]{0,30}") {
        if let Ok(expr) = Expression::compile(&text) {
            let s = states(r#"{"a": [1, {"b": 2}]}"#);
            let _ = expr.evaluate(&Bindings { states: States::from_object(&s), variables: None });
        }
    }
}

#[test]
fn deep_nesting_does_not_overflow() {
    for (open, close) in [("(", ")"), ("[", "]"), ("{'a':", "}"), ("-", "")] {
        let text = format!("{}1{}", open.repeat(20_000), close.repeat(20_000));
        if let Ok(expr) = Expression::compile(&text) {
            let s = states("{}");
            let _ = expr.evaluate(&Bindings {
                states: States::from_object(&s),
                variables: None,
            });
        }
    }
    // The deepest input our JSON parser accepts converts both ways
    // (`states` wraps it in one more level).
    for depth in [100, crate::json::MAX_DEPTH - 1, 10_000, 100_000] {
        let deep = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
        if parse(&deep).is_ok() {
            assert_eq!(eval("$states.input", &deep), deep);
        }
    }
}

/// Evaluates `text` under `budget` (see [`crate::json::budget`]).
fn eval_budget(text: &str, budget: &crate::json::budget::Budget) -> Result<String, JsonataError> {
    crate::json::budget::sync_scope(budget.clone(), || {
        eval_with(text, "{}", None).map(|v| match v {
            Some(v) => crate::json::to_string(&v),
            None => "undefined".to_owned(),
        })
    })
}

/// The budget trip an evaluation ended with.
fn limit_of(r: Result<String, JsonataError>) -> Exceeded {
    match r {
        Err(JsonataError {
            kind: JsonataErrorKind::Limit(x),
            ..
        }) => x,
        other => panic!("expected a budget error, got {other:?}"),
    }
}

fn budget_secs(secs: u64, max_bytes: usize) -> crate::json::budget::Budget {
    crate::json::budget::Budget::new(
        Some(std::time::Instant::now() + std::time::Duration::from_secs(secs)),
        max_bytes,
    )
}

use crate::json::budget::Exceeded;

/// `$distinct` is linear (the stock one was quadratic: an hour for a
/// million items) and keeps the first of equal items, in order, with
/// JSONata's deep equality.
#[test]
fn distinct_is_linear_and_keeps_first_occurrences() {
    let started = std::time::Instant::now();
    assert_eq!(
        eval_budget("$count($distinct([1..200000]))", &budget_secs(60, 1 << 30)).unwrap(),
        "200000"
    );
    // Generous: the quadratic version needs minutes here, even in release.
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert_eq!(
        eval(
            r#"$distinct([1, "1", 1, 0, -0, [1,2], [1,2], [2,1], {"a":1,"b":2}, {"b":2,"a":1}, null, null, true])"#,
            "{}"
        ),
        r#"[1,"1",0,[1,2],[2,1],{"a":1,"b":2},null,true]"#
    );
}

/// Past the deadline an evaluation stops, also inside a tail-recursive loop
/// that never returns.
#[test]
fn the_deadline_stops_an_endless_loop() {
    let budget = crate::json::budget::Budget::new(
        Some(std::time::Instant::now() + std::time::Duration::from_millis(200)),
        1 << 30,
    );
    let started = std::time::Instant::now();
    let r = eval_budget("($f := function($i){ $f($i + 1) }; $f(0))", &budget);
    assert_eq!(limit_of(r), Exceeded::Deadline);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

/// A stopped budget stops evaluation from another thread.
#[test]
fn the_stop_flag_stops_an_evaluation_from_another_thread() {
    let budget = budget_secs(600, 1 << 30);
    let stopper = budget.clone();
    let handle = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(100));
        stopper.stop();
    });
    let r = eval_budget("($f := function($i){ $f($i + 1) }; $f(0))", &budget);
    assert_eq!(limit_of(r), Exceeded::Stopped);
    handle.join().expect("stopper");
}

/// The issue's memory reproducers fail with the byte cap, before building
/// what they ask for.
#[test]
fn the_byte_cap_stops_growth() {
    let cap = 8 << 20;
    for text in [
        "$pad('x', 1e9)",
        "$pad('x', -1e9, 'ab')",
        "($f := function($s, $n){ $n = 0 ? $s : $f($s & $s, $n - 1) }; $length($f('x', 40)))",
        "($f := function($a, $n){ $n = 0 ? $a : $f($append($a, $a), $n - 1) }; $count($f([1], 40)))",
        "$count([1..10000000] ~> $map(function($v){ $v * 2 }))",
        "$join($map([1..100000], function($v){ 'abcdefghij' }), $pad('', 1000, '-'))",
        "$length($replace($pad('', 100000, 'a'), 'a', $pad('', 1000, 'b')))",
        // A value sharing its halves prints to 2^30 copies.
        "($f := function($a, $n){ $n = 0 ? $a : $f([$a, $a], $n - 1) }; $length($string($f([1], 30))))",
        "($f := function($a, $n){ $n = 0 ? $a : $f([$a, $a], $n - 1) }; $f(['x'], 30))",
    ] {
        let started = std::time::Instant::now();
        let r = eval_budget(text, &budget_secs(600, cap));
        assert_eq!(limit_of(r), Exceeded::Bytes(cap), "{text}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{text}: {:?}",
            started.elapsed()
        );
    }
    // Within the cap the same functions work.
    assert_eq!(
        eval_budget("$length($pad('x', 1000))", &budget_secs(60, cap)).unwrap(),
        "1000"
    );
}

/// Without an execution (no current budget) the default cap still applies.
#[test]
fn the_default_cap_applies_outside_executions() {
    match err("$pad('x', 1e9)", "{}") {
        JsonataError {
            kind: JsonataErrorKind::Limit(Exceeded::Bytes(n)),
            ..
        } => assert_eq!(n, crate::json::budget::DEFAULT_MAX_BYTES),
        other => panic!("{other:?}"),
    }
}

/// The budgeted copies and sort of the vendored fork (runs of 4,096 items
/// merged bottom-up) give the stock results past one run.
#[test]
fn budgeted_sort_copy_and_append_keep_their_results() {
    let b = || budget_secs(600, 1 << 30);
    // 10,007 is prime, so this visits 1..10006 in a scrambled order.
    let scrambled = "$map([1..10006], function($v){ ($v * 7919) % 10007 })";
    assert_eq!(
        eval_budget(&format!("$sort({scrambled}) = [1..10006]"), &b()).unwrap(),
        "true"
    );
    assert_eq!(
        eval_budget(&format!("$sort($map({scrambled}, $string))[0..2]"), &b()).unwrap(),
        r#"["1","10","100"]"#
    );
    assert_eq!(
        eval_budget("$append([1..5000], [5001..10000]) = [1..10000]", &b()).unwrap(),
        "true"
    );
    assert_eq!(
        eval_budget("$reverse([1..10000])[[0, 9999]]", &b()).unwrap(),
        "[10000,1]"
    );
    assert_eq!(
        eval_budget("$count($shuffle([1..10000]))", &b()).unwrap(),
        "10000"
    );
    // `[...]` around a range takes the range's items over; around a shared
    // array it copies them.
    assert_eq!(
        eval_budget("($a := [1..3]; [[$a], [$a, 4], [1..2]])", &b()).unwrap(),
        "[[1,2,3],[1,2,3,4],[1,2]]"
    );
}

/// A single `$sort` of millions of numbers stops at the deadline: the stock
/// sort ran to its end (seconds in a debug build) before the evaluation
/// could see the deadline. The bound is generous; the figure is measured by
/// `scripts/measure_evaluation_limits.py`.
#[test]
fn the_deadline_stops_a_long_sort() {
    let n = 4_000_000u64;
    let input = format!(
        "[{}]",
        (0..n)
            .map(|i| ((i * 7919) % 4_000_037).to_string())
            .collect::<Vec<_>>()
            .join(",")
    );
    let states = states(&input);
    let expression = Expression::compile("$count($sort($states.input))").expect("compile");
    let budget = crate::json::budget::Budget::new(
        Some(std::time::Instant::now() + std::time::Duration::from_millis(300)),
        1 << 30,
    );
    let started = std::time::Instant::now();
    let r = crate::json::budget::sync_scope(budget, || {
        expression.evaluate(&Bindings {
            states: States::from_object(&states),
            variables: None,
        })
    });
    let took = started.elapsed();
    match r {
        Err(JsonataError {
            kind: JsonataErrorKind::Limit(Exceeded::Deadline),
            ..
        }) => {}
        other => panic!("{other:?} after {took:?}"),
    }
    assert!(took < std::time::Duration::from_secs(3), "{took:?}");
}
