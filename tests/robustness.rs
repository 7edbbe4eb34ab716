//! Issue 11's reproducers, with their exact inputs: deep documents (stack),
//! Map memory, the parser panic, the per-execution memory budget. Each
//! crashed, froze or bloated the process before; each must now fail one
//! execution (or one request) with the error AWS would give.

mod common;

use std::sync::Arc;
use std::time::Duration;

use expressway::api::{router, Config, Service};
use expressway::engine::{Engine, ExecutionStatus};
use expressway::json::MAX_DEPTH;
use expressway::tasks::Tasks;
use serde_json::{json, Value as Json};

const ROLE: &str = "arn:aws:iam::123456789012:role/x";

/// `levels` nested arrays around `1`, as text.
fn nested_text(levels: usize) -> String {
    format!("{}1{}", "[".repeat(levels), "]".repeat(levels))
}

/// A ResultPath of `n` segments: `$.a.a.a…`.
fn deep_result_path(n: usize) -> String {
    format!("${}", ".a".repeat(n))
}

async fn serve() -> String {
    let service = Service::new(Engine::new(Tasks::new()), Config::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router(service)).await });
    format!("http://{addr}/")
}

/// The error type without its namespace (`…#InvalidDefinition`).
fn kind(body: &Json) -> Json {
    let t = body["__type"].as_str().unwrap_or_default();
    json!(t.rsplit('#').next().unwrap_or(t))
}

async fn call(url: &str, op: &str, body: Json) -> (u16, Json) {
    let response = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", format!("AWSStepFunctions.{op}"))
        .body(body.to_string())
        .send()
        .await
        .expect("send");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Json::String(text)),
    )
}

// ---- Reproducer 1: stack overflow ----------------------------------------

/// Pass (ResultPath `$.a`) → Choice → back to the Pass: the document nests
/// one level per turn. It used to grow until a recursive walk overflowed
/// the stack (50,000 levels in `run`); now the Pass fails at the depth
/// limit with a catchable `States.DataLimitExceeded` naming the state.
const LOOP: &str = r#"{"StartAt":"P","States":{
  "P":{"Type":"Pass","ResultPath":"$.a","Next":"C"},
  "C":{"Type":"Choice","Choices":[{"Variable":"$.done","IsPresent":true,"Next":"E"}],"Default":"P"},
  "E":{"Type":"Succeed"}}}"#;

#[tokio::test]
async fn nesting_loop_fails_at_the_depth_limit() {
    let out = common::run(LOOP, "{}").await;
    assert!(
        out.starts_with("FAILED States.DataLimitExceeded: "),
        "{out}"
    );
    assert!(out.contains("'P'"), "{out}");
    assert!(out.contains(&format!("{MAX_DEPTH} levels")), "{out}");
}

#[tokio::test]
async fn nesting_loop_error_can_be_caught() {
    let def = format!(
        r#"{{"StartAt":"Par","States":{{
          "Par":{{"Type":"Parallel","Branches":[{LOOP}],
                 "Catch":[{{"ErrorEquals":["States.DataLimitExceeded"],"ResultPath":"$.error","Next":"Caught"}}],
                 "End":true}},
          "Caught":{{"Type":"Pass","Parameters":{{"caught.$":"$.error.Error"}},"End":true}}}}}}"#
    );
    assert_eq!(
        common::run(&def, "{}").await,
        r#"{"caught":"States.DataLimitExceeded"}"#
    );
}

/// A 10,000-segment ResultPath (a 20 KB definition) killed the server on
/// StartExecution; the definition is now refused, naming the field.
#[tokio::test]
async fn ten_thousand_segment_result_path_is_an_invalid_definition() {
    let def = json!({"StartAt": "P", "States": {"P": {
        "Type": "Pass", "ResultPath": deep_result_path(10_000), "End": true}}})
    .to_string();
    assert!(def.len() > 20_000);
    let url = serve().await;
    let (status, body) = call(
        &url,
        "CreateStateMachine",
        json!({"name": "deep", "definition": def, "roleArn": ROLE, "type": "EXPRESS"}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(kind(&body), "InvalidDefinition", "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains("/States/P/ResultPath"), "{message}");
    // At the limit it is valid and runs.
    let ok = json!({"StartAt": "P", "States": {"P": {
        "Type": "Pass", "Result": 1, "ResultPath": deep_result_path(MAX_DEPTH - 1), "End": true}}})
    .to_string();
    let out = common::run(&ok, "{}").await;
    assert!(
        out.starts_with(r#"{"a":{"a":"#),
        "{}",
        &out[..out.len().min(80)]
    );
}

/// Input deeper than the limit is invalid input, as unparseable JSON is.
#[tokio::test]
async fn too_deep_input_is_invalid_execution_input() {
    let url = serve().await;
    let def = r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#;
    let (status, body) = call(
        &url,
        "CreateStateMachine",
        json!({"name": "p", "definition": def, "roleArn": ROLE, "type": "EXPRESS"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let arn = body["stateMachineArn"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    for levels in [MAX_DEPTH + 1, 50_000] {
        let (status, body) = call(
            &url,
            "StartSyncExecution",
            json!({"stateMachineArn": arn, "input": nested_text(levels)}),
        )
        .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(kind(&body), "InvalidExecutionInput", "{body}");
    }
    // At the limit, the output comes back whole (serve never printed null).
    let (status, body) = call(
        &url,
        "StartSyncExecution",
        json!({"stateMachineArn": arn, "input": nested_text(MAX_DEPTH)}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "SUCCEEDED", "{body}");
    assert_eq!(
        body["output"].as_str(),
        Some(nested_text(MAX_DEPTH).as_str())
    );
}

/// The deepest value an execution can make: an input at the limit, read
/// whole through the Context Object into a 250-level Payload Template
/// (validation allows 256).
/// It is copied, measured and dropped on a test thread's 2 MiB stack, and
/// fails the state cleanly.
#[tokio::test]
async fn deepest_template_output_fails_cleanly() {
    let mut template = json!({"ctx.$": "$$"});
    for _ in 0..250 {
        template = json!({ "a": template });
    }
    let def = json!({"StartAt": "P", "States": {"P": {
        "Type": "Pass", "Parameters": template, "End": true}}})
    .to_string();
    let out = common::run(&def, &nested_text(MAX_DEPTH)).await;
    assert!(
        out.starts_with("FAILED States.DataLimitExceeded: "),
        "{out}"
    );
    assert!(out.contains("'P'"), "{out}");
}

/// `run` printed `"output": null` for outputs 127+ levels deep.
#[test]
fn run_prints_deep_outputs() {
    let dir = std::env::temp_dir().join(format!("expressway-depth-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let def = dir.join("echo.asl.json");
    std::fs::write(
        &def,
        r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#,
    )
    .expect("write");
    let input = dir.join("input.json");
    for levels in [200, MAX_DEPTH] {
        std::fs::write(&input, nested_text(levels)).expect("write");
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_expressway"))
            .arg("run")
            .arg(&def)
            .arg("--input")
            .arg(&input)
            .output()
            .expect("run");
        assert!(out.status.success(), "{out:?}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains(&format!(r#""output":{}"#, nested_text(levels))),
            "{}",
            &stdout[..stdout.len().min(200)]
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

// ---- Reproducer 3: Map memory ---------------------------------------------

/// 1,000 items in a 220 KB input, an ItemSelector reading `$$`: every item
/// used to get its own deep copy of the Context Object (execution input
/// included), all built before the first iteration (2.4 GB). Runs now, and
/// each iteration sees the real Context Object.
fn map_reproducer() -> (String, String) {
    let def = r#"{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items",
      "ItemSelector":{"index.$":"$$.Map.Item.Index","value.$":"$$.Map.Item.Value.id",
                      "name.$":"$$.Execution.Name","size.$":"States.ArrayLength($$.Execution.Input.items)"},
      "ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},
      "ResultSelector":{"count.$":"States.ArrayLength($)","last.$":"$[999]"},
      "End":true}}}"#;
    let items: Vec<Json> = (0..1000)
        .map(|i| json!({"id": i, "pad": "x".repeat(200)}))
        .collect();
    let input = json!({ "items": items }).to_string();
    assert!(
        input.len() > 215_000 && input.len() < 262_144,
        "{}",
        input.len()
    );
    (def.to_owned(), input)
}

#[tokio::test]
async fn map_with_context_selector_over_a_220_kb_input() {
    let (def, input) = map_reproducer();
    assert_eq!(
        common::run(&def, &input).await,
        r#"{"count":1000,"last":{"index":999,"value":999,"name":"exec","size":1000}}"#
    );
}

/// A JSONata Map reads the shared Context Object per item without a copy
/// per iteration; `$states.context` still shows every member.
#[tokio::test]
async fn jsonata_map_reads_the_context_object() {
    let def = r#"{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map",
      "Items":"{% $states.input.items %}",
      "ItemSelector":{"i":"{% $states.context.Map.Item.Index %}",
                      "n":"{% $count($states.context.Execution.Input.items) %}",
                      "s":"{% $states.context.State.Name %}",
                      "k":"{% $keys($states.context) %}"},
      "ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},
      "End":true}}}"#;
    let keys = r#"["Execution","StateMachine","State","Map"]"#;
    assert_eq!(
        common::run(def, r#"{"items":[5,6]}"#).await,
        format!(r#"[{{"i":0,"n":2,"s":"M","k":{keys}}},{{"i":1,"n":2,"s":"M","k":{keys}}}]"#)
    );
}

/// AWS runs at most 40 inline iterations at once; MaxConcurrency 0 meant
/// unlimited here. 100 one-second iterations take 3 s of (paused) time.
#[tokio::test(start_paused = true)]
async fn inline_map_runs_at_most_40_iterations_at_once() {
    for (max, seconds) in [(0, 3), (1000, 3), (50, 3), (34, 3), (33, 4), (10, 10)] {
        let def = format!(
            r#"{{"StartAt":"M","States":{{"M":{{"Type":"Map","MaxConcurrency":{max},
              "ItemProcessor":{{"StartAt":"W","States":{{"W":{{"Type":"Wait","Seconds":1,"End":true}}}}}},
              "End":true}}}}}}"#
        );
        let input = json!((0..100).collect::<Vec<_>>()).to_string();
        let start = tokio::time::Instant::now();
        let out = common::run(&def, &input).await;
        assert!(out.starts_with("[0,1,2"), "{out}");
        let took = start.elapsed();
        assert!(
            took >= Duration::from_secs(seconds) && took < Duration::from_secs(seconds + 1),
            "MaxConcurrency {max}: {took:?}"
        );
    }
}

// ---- Reproducer 4: parser panic -------------------------------------------

fn non_ascii_definitions() -> Vec<String> {
    vec![
        r#"{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"a.$":"States.é()"},"End":true}}}"#.to_owned(),
        r#"{"StartAt":"F","States":{"F":{"Type":"Fail","ErrorPath":"States.é()"}}}"#.to_owned(),
        r#"{"StartAt":"F","States":{"F":{"Type":"Fail","CausePath":"States.Format('{}', States.日本())"}}}"#.to_owned(),
    ]
}

/// `"a.$": "States.é()"` panicked the definition checker: HTTP 500 from
/// every operation that takes a definition. Now a 400 InvalidDefinition
/// (ValidateStateMachineDefinition answers FAIL with the diagnostic).
#[tokio::test]
async fn non_ascii_intrinsic_names_are_invalid_definitions() {
    let url = serve().await;
    let good = r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#;
    let (_, created) = call(
        &url,
        "CreateStateMachine",
        json!({"name": "ok", "definition": good, "roleArn": ROLE, "type": "EXPRESS"}),
    )
    .await;
    let arn = created["stateMachineArn"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    for def in non_ascii_definitions() {
        let (status, body) = call(
            &url,
            "CreateStateMachine",
            json!({"name": "bad", "definition": def, "roleArn": ROLE, "type": "EXPRESS"}),
        )
        .await;
        assert_eq!(
            (status, kind(&body)),
            (400, json!("InvalidDefinition")),
            "{def}: {body}"
        );
        let (status, body) = call(
            &url,
            "UpdateStateMachine",
            json!({"stateMachineArn": arn, "definition": def}),
        )
        .await;
        assert_eq!(
            (status, kind(&body)),
            (400, json!("InvalidDefinition")),
            "{def}: {body}"
        );
        let (status, body) = call(
            &url,
            "ValidateStateMachineDefinition",
            json!({"definition": def, "type": "EXPRESS"}),
        )
        .await;
        assert_eq!(status, 200, "{def}: {body}");
        assert_eq!(body["result"], "FAIL", "{def}: {body}");
        assert_eq!(
            body["diagnostics"][0]["code"], "SCHEMA_VALIDATION_FAILED",
            "{body}"
        );
        let state: Json = serde_json::from_str::<Json>(&def).expect("json")["States"]
            .as_object()
            .and_then(|o| o.values().next().cloned())
            .expect("state");
        let (status, body) = call(
            &url,
            "TestState",
            json!({"definition": state.to_string(), "roleArn": ROLE, "input": "{}"}),
        )
        .await;
        assert_eq!(
            (status, kind(&body)),
            (400, json!("InvalidDefinition")),
            "{def}: {body}"
        );
    }
}

/// `serve --definitions DIR` with such a file panicked at start-up; it now
/// refuses the file by name and exits with status 2.
#[test]
fn serve_refuses_a_non_ascii_intrinsic_definition_file() {
    let dir = std::env::temp_dir().join(format!("expressway-defs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("bad.asl.json"), &non_ascii_definitions()[0]).expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_expressway"))
        .args(["serve", "--port", "0", "--definitions"])
        .arg(&dir)
        .output()
        .expect("serve");
    std::fs::remove_dir_all(&dir).ok();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("bad.asl.json") && stderr.contains("InvalidDefinition"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

// ---- The per-execution memory budget ----------------------------------------

/// A Map whose iterations each return ~100 KB: 1,000 of them held 100 MB
/// of results before the payload check. With a 4 MiB budget the Map fails
/// with `States.DataLimitExceeded` naming the state and the budget, and
/// the engine goes on running the next execution.
#[tokio::test]
async fn map_results_past_the_budget_fail_the_execution() {
    let def = r#"{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items",
      "ItemSelector":{"pad.$":"$$.Execution.Input.pad"},
      "ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},
      "ResultPath":null,"End":true}}}"#;
    let input = json!({"items": vec![0; 1000], "pad": "x".repeat(100_000)}).to_string();
    let engine = Engine::new(Tasks::new()).with_memory_budget(4 << 20);
    let machine = Arc::new(expressway::compile::load(def).expect("loads"));
    let parsed = expressway::json::parse(&input).expect("input");
    let o = engine
        .execute(Arc::clone(&machine), parsed, common::options())
        .await;
    assert_eq!(o.status, ExecutionStatus::Failed);
    assert_eq!(o.error.as_deref(), Some("States.DataLimitExceeded"));
    let cause = o.cause.unwrap_or_default();
    assert!(
        cause.contains("'M'") && cause.contains(&(4u64 << 20).to_string()),
        "{cause}"
    );
    // The same engine runs the next execution; a default budget runs this one.
    let small = json!({"items": [1, 2], "pad": "x"}).to_string();
    let o = engine
        .execute(
            Arc::clone(&machine),
            expressway::json::parse(&small).expect("input"),
            common::options(),
        )
        .await;
    assert_eq!(o.status, ExecutionStatus::Succeeded, "{:?}", o.cause);
    let o = Engine::new(Tasks::new())
        .execute(
            machine,
            expressway::json::parse(&input).expect("input"),
            common::options(),
        )
        .await;
    assert_eq!(o.status, ExecutionStatus::Succeeded, "{:?}", o.cause);
}

/// A Payload Template that copies the input many times stops at the
/// payload limit while rendering, instead of building it whole first.
#[tokio::test]
async fn fan_out_template_stops_at_the_payload_limit() {
    let mut fields = serde_json::Map::new();
    for i in 0..5_000 {
        fields.insert(format!("k{i}.$"), json!("$"));
    }
    let def = json!({"StartAt": "P", "States": {"P": {
        "Type": "Pass", "Parameters": fields, "End": true}}})
    .to_string();
    // 5,000 × 200 KB would be 1 GB; the render stops after two copies.
    let input = json!({"pad": "x".repeat(200_000)}).to_string();
    let out = common::run(&def, &input).await;
    assert!(
        out.starts_with("FAILED States.DataLimitExceeded: "),
        "{out}"
    );
    assert!(out.contains("'P'"), "{out}");
}

// ---- Property tests of the limits ---------------------------------------------

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// `d` nested objects `{"b":…}` around `1`.
    fn objects(d: usize) -> String {
        format!("{}1{}", r#"{"b":"#.repeat(d), "}".repeat(d))
    }

    fn run(def: &str, input: &str) -> String {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(common::run(def, input))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// A Pass placing its `d`-deep input `k` levels down succeeds
        /// exactly when the result is at most MAX_DEPTH deep, and otherwise
        /// fails the execution with `States.DataLimitExceeded`.
        #[test]
        fn result_path_depth_limit_is_exact(d in 1usize..=MAX_DEPTH, k in 1usize..=MAX_DEPTH) {
            let def = json!({"StartAt": "P", "States": {"P": {
                "Type": "Pass", "ResultPath": deep_result_path(k), "End": true}}})
            .to_string();
            let out = run(&def, &objects(d));
            if k + d <= MAX_DEPTH {
                prop_assert!(out.starts_with(r#"{"b":"#), "{}", &out[..out.len().min(120)]);
            } else {
                prop_assert!(out.starts_with("FAILED States.DataLimitExceeded: "), "{}", &out[..out.len().min(200)]);
            }
        }

        /// Input is accepted exactly up to MAX_DEPTH levels, arrays or objects.
        #[test]
        fn input_depth_limit_is_exact(d in (MAX_DEPTH - 20)..=(MAX_DEPTH + 20), arrays in any::<bool>()) {
            let text = if arrays { nested_text(d) } else { objects(d) };
            prop_assert_eq!(expressway::json::parse(&text).is_ok(), d <= MAX_DEPTH);
        }

        /// A Payload Template inserting `n` copies of a `size`-byte string
        /// fails with `States.DataLimitExceeded` when, and only when, its
        /// output would exceed the 262,144-byte payload limit.
        #[test]
        fn template_size_limit(n in 17usize..40, size in 1_000usize..20_000) {
            let mut fields = serde_json::Map::new();
            for i in 0..n {
                fields.insert(format!("k{i}.$"), json!("$.s"));
            }
            let def = json!({"StartAt": "P", "States": {"P": {
                "Type": "Pass", "Parameters": fields, "End": true}}})
            .to_string();
            let out = run(&def, &json!({"s": "x".repeat(size)}).to_string());
            if out.starts_with("FAILED") {
                prop_assert!(out.starts_with("FAILED States.DataLimitExceeded: "), "{}", &out[..200]);
                prop_assert!(n * (size + 2) > 262_144);
            } else {
                prop_assert!(out.len() <= 262_144, "{}", out.len());
            }
        }
    }
}
