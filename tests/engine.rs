//! The engine on small definitions: one line per case.

mod common;

use common::{run, run_with, summary};
use expressway::json::Value;
use expressway::tasks::Tasks;
use expressway::ExecError;
use std::sync::Arc;

/// `case!(definition, input => expected)`: runs the definition and compares
/// the compact output (or `STATUS error: cause`).
macro_rules! case {
    ($name:ident, $def:expr, $input:expr => $expected:expr) => {
        #[tokio::test]
        async fn $name() {
            let got = run($def, $input).await;
            let want: &str = $expected;
            if want.starts_with('{') || want.starts_with('[') {
                let g: serde_json::Value =
                    serde_json::from_str(&got).unwrap_or(serde_json::Value::Null);
                let w: serde_json::Value = serde_json::from_str(want).unwrap();
                assert_eq!(g, w, "got {got}");
            } else {
                assert!(got.starts_with(want), "got {got}, want prefix {want}");
            }
        }
    };
}

fn pass(fields: &str) -> String {
    format!(r#"{{"StartAt":"P","States":{{"P":{{"Type":"Pass",{fields}"End":true}}}}}}"#)
}

case!(pass_identity, &pass(""), r#"{"a":1}"# => r#"{"a":1}"#);
case!(pass_result, &pass(r#""Result":{"x":1},"#), r#"{"a":1}"# => r#"{"x":1}"#);
case!(pass_result_path, &pass(r#""Result":{"x":1},"ResultPath":"$.r","#), r#"{"a":1}"# => r#"{"a":1,"r":{"x":1}}"#);
case!(pass_result_path_null, &pass(r#""Result":{"x":1},"ResultPath":null,"#), r#"{"a":1}"# => r#"{"a":1}"#);
case!(pass_input_path, &pass(r#""InputPath":"$.a","#), r#"{"a":{"b":2}}"# => r#"{"b":2}"#);
case!(pass_output_path, &pass(r#""OutputPath":"$.a.b","#), r#"{"a":{"b":[2]}}"# => "[2]");
case!(pass_input_path_null, &pass(r#""InputPath":null,"#), r#"{"a":1}"# => "{}");
case!(pass_parameters, &pass(r#""Parameters":{"v.$":"$.a","k":"lit"},"#), r#"{"a":5}"# => r#"{"v":5,"k":"lit"}"#);
case!(pass_parameters_context, &pass(r#""Parameters":{"n.$":"$$.State.Name","m.$":"$$.StateMachine.Name"},"#), "{}" => r#"{"n":"P","m":"test"}"#);
case!(pass_missing_input_path, &pass(r#""InputPath":"$.nope","#), "{}" =>
    "FAILED States.Runtime: An error occurred while executing the state 'P' (entered at the event id #2). Invalid path '$.nope'");

case!(choice_default, r#"{"StartAt":"C","States":{
    "C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":10,"Next":"Big"}],"Default":"Small"},
    "Big":{"Type":"Pass","Result":"big","End":true},
    "Small":{"Type":"Pass","Result":"small","End":true}}}"#, r#"{"n":3}"# => r#""small""#);
case!(choice_match, r#"{"StartAt":"C","States":{
    "C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":10,"Next":"Big"}],"Default":"Small"},
    "Big":{"Type":"Pass","Result":"big","End":true},
    "Small":{"Type":"Pass","Result":"small","End":true}}}"#, r#"{"n":30}"# => r#""big""#);
case!(choice_no_match, r#"{"StartAt":"C","States":{
    "C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":10,"Next":"Big"}]},
    "Big":{"Type":"Pass","End":true}}}"#, r#"{"n":3}"# => "FAILED States.NoChoiceMatched");

case!(fail_static, r#"{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E","Cause":"C"}}}"#, "{}" => "FAILED E: C");
case!(fail_paths, r#"{"StartAt":"F","States":{"F":{"Type":"Fail","ErrorPath":"$.e","CausePath":"$.c"}}}"#,
    r#"{"e":"Err","c":"Why"}"# => "FAILED Err: Why");
case!(fail_missing_path, r#"{"StartAt":"F","States":{"F":{"Type":"Fail","ErrorPath":"$.ErrorX"}}}"#, r#"{}"# =>
    "FAILED States.Runtime: An error occurred while executing the state 'F' (entered at the event id #2). The JSONPath '$.ErrorX' specified for the field 'ErrorPath' could not be found in the input '{}'");
case!(succeed_output_path, r#"{"StartAt":"S","States":{"S":{"Type":"Succeed","OutputPath":"$.a"}}}"#, r#"{"a":[1]}"# => "[1]");

case!(wait_zero, r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":0,"End":true}}}"#, r#"{"a":1}"# => r#"{"a":1}"#);
case!(wait_seconds_path_negative, r#"{"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","End":true}}}"#, r#"{"s":-1}"# =>
    "FAILED States.Runtime: An error occurred while executing the state 'W' (entered at the event id #2). The SecondsPath parameter references a negative value: $.s == -1");
case!(wait_timestamp_past, r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Timestamp":"2016-03-14T01:59:00Z","End":true}}}"#, "{}" => "{}");

case!(parallel_results_in_order, r#"{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
    {"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":0,"Next":"A2"},"A2":{"Type":"Pass","Result":1,"End":true}}},
    {"StartAt":"B","States":{"B":{"Type":"Pass","Result":2,"End":true}}}]}}}"#, "{}" => "[1,2]");
case!(parallel_branch_failure, r#"{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
    {"StartAt":"A","States":{"A":{"Type":"Fail","Error":"BranchErr","Cause":"x"}}},
    {"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}}]}}}"#, "{}" => "FAILED BranchErr: x");
case!(parallel_catch, r#"{"StartAt":"P","States":{"P":{"Type":"Parallel","Next":"Done","ResultPath":"$.r",
    "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"Done"}],"Branches":[
    {"StartAt":"A","States":{"A":{"Type":"Fail","Error":"BranchErr","Cause":"x"}}}]},
    "Done":{"Type":"Pass","End":true}}}"#, r#"{"k":1}"# => r#"{"k":1,"err":{"Error":"BranchErr","Cause":"x"}}"#);

case!(map_items, r#"{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.xs","End":true,
    "ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","Parameters":{"v.$":"$"},"End":true}}}}}}"#,
    r#"{"xs":[1,2,3]}"# => r#"[{"v":1},{"v":2},{"v":3}]"#);
case!(map_item_selector_context, r#"{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.xs","MaxConcurrency":1,"End":true,
    "ItemSelector":{"i.$":"$$.Map.Item.Index","v.$":"$$.Map.Item.Value","k.$":"$.k"},
    "ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}}}}}"#,
    r#"{"xs":["a","b"],"k":7}"# => r#"[{"i":0,"v":"a","k":7},{"i":1,"v":"b","k":7}]"#);
case!(map_legacy_iterator, r#"{"StartAt":"M","States":{"M":{"Type":"Map","End":true,
    "Iterator":{"StartAt":"I","States":{"I":{"Type":"Pass","Result":0,"End":true}}}}}}"#,
    "[1,2]" => "[0,0]");
case!(map_not_array, r#"{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.xs","End":true,
    "ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}}}}}"#,
    r#"{"xs":1}"# => "FAILED States.Runtime");

case!(context_execution, &pass(r#""Parameters":{"id.$":"$$.Execution.Id","in.$":"$$.Execution.Input.a","s.$":"$$.State.Name"},"#),
    r#"{"a":9}"# => r#"{"id":"arn:aws:states:us-east-1:123456789012:express:test:exec:00000000-0000-4000-8000-000000000000","in":9,"s":"P"}"#);
case!(context_pass_has_no_retry_count, &pass(r#""Parameters":{"r.$":"$$.State.RetryCount"},"#), "{}" => "FAILED States.Runtime");
case!(context_task_retry_count, r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:Missing",
    "Parameters":{"r.$":"$$.State.RetryCount"},"Catch":[{"ErrorEquals":["States.ALL"],"Next":"C"}],"End":true},"C":{"Type":"Pass","End":true}}}"#,
    "{}" => r#"{"Error":"States.TaskFailed","Cause":"no handler, mock or Lambda resolves resource 'arn:aws:lambda:us-east-1:1:function:Missing'"}"#);

/// A Task that fails before invoking anything: `fields` sets its timeouts.
fn timed_task(fields: &str) -> String {
    format!(
        r#"{{"StartAt":"T","States":{{"T":{{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:F",{fields}"End":true}}}}}}"#
    )
}

// A TimeoutSecondsPath / HeartbeatSecondsPath selecting nothing fails with
// the path error itself, as AWS words it; other faults name the right field.
case!(task_timeout_path_selects_nothing, &timed_task(r#""TimeoutSecondsPath":"$.t","#), "{}" =>
    "FAILED States.Runtime: An error occurred while executing the state 'T' (entered at the event id #2). Invalid path '$.t' : No results for path: $['t']");
case!(task_heartbeat_path_selects_nothing, &timed_task(r#""TimeoutSeconds":10,"HeartbeatSecondsPath":"$.h","#), r#"{"t":1}"# =>
    "FAILED States.Runtime: An error occurred while executing the state 'T' (entered at the event id #2). Invalid path '$.h' : No results for path: $['h']");
case!(task_heartbeat_path_not_positive, &timed_task(r#""HeartbeatSecondsPath":"$.h","#), r#"{"h":0}"# =>
    "FAILED States.Runtime: An error occurred while executing the state 'T' (entered at the event id #2). The HeartbeatSecondsPath parameter does not reference a positive integer: $.h == 0");
case!(task_timeout_path_not_positive, &timed_task(r#""TimeoutSecondsPath":"$.t","#), r#"{"t":"x"}"# =>
    "FAILED States.Runtime: An error occurred while executing the state 'T' (entered at the event id #2). The TimeoutSecondsPath parameter does not reference a positive integer: $.t == x");

fn tasks_with(
    name: &str,
    f: impl Fn(Value) -> Result<Value, ExecError> + Send + Sync + 'static,
) -> Tasks {
    let f = Arc::new(f);
    let mut t = Tasks::new();
    t.register(
        name,
        Arc::new(move |v| {
            let f = f.clone();
            Box::pin(async move { f(Arc::unwrap_or_clone(v)) })
        }),
    );
    t
}

const TASK: &str = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:F",
    "ResultPath":"$.r","Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":1,"MaxAttempts":2,"BackoffRate":1.0,"MaxDelaySeconds":1}],
    "Catch":[{"ErrorEquals":["Bad"],"ResultPath":"$.err","Next":"Caught"}],"End":true},
    "Caught":{"Type":"Pass","End":true}}}"#;

#[tokio::test(start_paused = true)]
async fn task_result_path() {
    let t = tasks_with("arn:aws:lambda:us-east-1:1:function:F", Ok);
    let out = summary(run_with(t, TASK, r#"{"a":1}"#).await);
    assert_eq!(out, r#"{"a":1,"r":{"a":1}}"#);
}

#[tokio::test(start_paused = true)]
async fn task_retries_then_succeeds() {
    let n = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let m = n.clone();
    let t = tasks_with("arn:aws:lambda:us-east-1:1:function:F", move |_| {
        if m.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < 2 {
            Err(ExecError::new("Flaky", "again"))
        } else {
            Ok(Value::from("ok"))
        }
    });
    let out = summary(run_with(t, TASK, "{}").await);
    assert_eq!(out, r#"{"r":"ok"}"#);
    assert_eq!(n.load(std::sync::atomic::Ordering::SeqCst), 3);
}

#[tokio::test(start_paused = true)]
async fn task_retries_exhausted() {
    let t = tasks_with("arn:aws:lambda:us-east-1:1:function:F", |_| {
        Err(ExecError::new("Flaky", "again"))
    });
    assert_eq!(
        summary(run_with(t, TASK, "{}").await),
        "FAILED Flaky: again"
    );
}

#[tokio::test]
async fn task_caught() {
    let t = tasks_with("arn:aws:lambda:us-east-1:1:function:F", |_| {
        Err(ExecError::new("Bad", "no"))
    });
    assert_eq!(
        summary(run_with(t, TASK, r#"{"a":1}"#).await),
        r#"{"a":1,"err":{"Error":"Bad","Cause":"no"}}"#
    );
}

#[tokio::test]
async fn task_unresolved_resource_fails() {
    let out = run(TASK, "{}").await;
    assert!(out.starts_with("FAILED States.TaskFailed"), "{out}");
    assert!(out.contains("function:F"), "{out}");
}

#[tokio::test(start_paused = true)]
async fn task_timeout_is_caught_as_states_timeout() {
    let def = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:Slow","TimeoutSeconds":1,
        "Catch":[{"ErrorEquals":["States.Timeout"],"Next":"C"}],"End":true},"C":{"Type":"Pass","End":true}}}"#;
    let mut t = Tasks::new();
    t.register(
        "arn:aws:lambda:us-east-1:1:function:Slow",
        Arc::new(|_| {
            Box::pin(async {
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                Ok(Value::from(1))
            })
        }),
    );
    assert_eq!(
        summary(run_with(t, def, "{}").await),
        r#"{"Error":"States.Timeout","Cause":""}"#
    );
}

#[tokio::test(start_paused = true)]
async fn execution_timeout() {
    let def = r#"{"TimeoutSeconds":1,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":5,"End":true}}}"#;
    let out = run(def, "{}").await;
    assert!(out.starts_with("TIMED_OUT States.Timeout"), "{out}");
}

#[tokio::test]
async fn runtime_error_is_not_caught() {
    let def = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:R","OutputPath":"$.no.such",
        "Catch":[{"ErrorEquals":["States.Runtime"],"Next":"C"},{"ErrorEquals":["States.ALL"],"Next":"C"}],"End":true},"C":{"Type":"Pass","End":true}}}"#;
    let t = tasks_with("arn:aws:lambda:us-east-1:1:function:R", |_| {
        Ok(Value::from(1))
    });
    let out = summary(run_with(t, def, "{}").await);
    assert!(out.starts_with("FAILED States.Runtime"), "{out}");
}

#[tokio::test]
async fn oversized_task_result_is_data_limit_exceeded() {
    let def = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:R","End":true}}}"#;
    let t = tasks_with("arn:aws:lambda:us-east-1:1:function:R", |_| {
        Ok(Value::from("x".repeat(300_000)))
    });
    let out = summary(run_with(t, def, "{}").await);
    assert!(out.starts_with("FAILED States.DataLimitExceeded"), "{out}");
}

#[tokio::test]
async fn endless_loop_times_out() {
    let def = r#"{"TimeoutSeconds":1,"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},
        "B":{"Type":"Choice","Choices":[{"Variable":"$.stop","IsPresent":true,"Next":"D"}],"Default":"A"},
        "D":{"Type":"Succeed"}}}"#;
    let out = run(def, "{}").await;
    assert!(out.starts_with("TIMED_OUT States.Timeout"), "{out}");
}

#[tokio::test]
async fn panicking_handler_fails_only_its_execution() {
    let def = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:R","End":true}}}"#;
    let t = tasks_with("arn:aws:lambda:us-east-1:1:function:R", |_| panic!("boom"));
    let out = summary(run_with(t, def, "{}").await);
    assert!(out.starts_with("FAILED"), "{out}");
}

// AWS: a `\"` inside a single-quoted bracket key keeps its backslash.
case!(bracket_key_escapes, &pass(r#""Parameters":{"value.$":"$['Test\\\"\"Name\"']"},"#),
    r#"{"Test\\\"\"Name\"": "Value\"\\"}"# => r#"{"value":"Value\"\\"}"#);

// Workflow variables (JSONPath and JSONata).

case!(assign_swap, r#"{"StartAt":"A","States":{
    "A":{"Type":"Pass","Assign":{"a":1,"b":2},"Next":"B"},
    "B":{"Type":"Pass","Assign":{"a.$":"$b","b.$":"$a"},"Next":"C"},
    "C":{"Type":"Pass","Parameters":{"a.$":"$a","b.$":"$b"},"End":true}}}"#, "{}" => r#"{"a":2,"b":1}"#);
case!(assign_from_pass_result, r#"{"StartAt":"A","States":{
    "A":{"Type":"Pass","Result":{"answer":42},"Assign":{"x.$":"$.answer"},"Next":"B"},
    "B":{"Type":"Pass","InputPath":"$x","End":true}}}"#, "{}" => "42");
case!(assign_committed_after_output_path, r#"{"StartAt":"A","States":{
    "A":{"Type":"Pass","Assign":{"x":1},"Next":"B"},
    "B":{"Type":"Pass","Assign":{"x":2},"OutputPath":"$x","End":true}}}"#, "{}" => "1");
case!(assign_inner_scope_reads_outer_but_does_not_leak, r#"{"StartAt":"A","States":{
    "A":{"Type":"Pass","Assign":{"x":1},"Next":"P"},
    "P":{"Type":"Parallel","Next":"R","Branches":[
      {"StartAt":"B","States":{"B":{"Type":"Pass","Assign":{"y.$":"$x"},"Next":"B2"},"B2":{"Type":"Pass","Parameters":{"y.$":"$y"},"End":true}}}]},
    "R":{"Type":"Pass","Parameters":{"x.$":"$x","y.$":"States.ArrayLength($..y)"},"End":true}}}"#, "{}" => r#"{"x":1,"y":1}"#);
case!(assign_inner_variable_invisible_outside, r#"{"StartAt":"P","States":{
    "P":{"Type":"Map","ItemsPath":"$.xs","Next":"R","ItemProcessor":{"StartAt":"B","States":{"B":{"Type":"Pass","Assign":{"inner":1},"End":true}}}},
    "R":{"Type":"Pass","InputPath":"$inner","End":true}}}"#, r#"{"xs":[1]}"# => "FAILED States.Runtime");
case!(assign_in_catcher, r#"{"StartAt":"P","States":{
    "P":{"Type":"Parallel","Next":"R","Catch":[{"ErrorEquals":["States.ALL"],"Assign":{"err.$":"$.Error"},"Next":"R"}],
      "Branches":[{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Boom","Cause":"c"}}}]},
    "R":{"Type":"Pass","InputPath":"$err","End":true}}}"#, "{}" => r#""Boom""#);
case!(jsonata_output_and_assign, r#"{"QueryLanguage":"JSONata","StartAt":"A","States":{
    "A":{"Type":"Pass","Assign":{"x":"{% $states.input.n * 2 %}"},"Output":{"n":"{% $states.input.n %}","lit":"$.n"},"Next":"B"},
    "B":{"Type":"Pass","Output":"{% [$x, $states.input] %}","End":true}}}"#, r#"{"n":3}"# => r#"[6,{"n":3,"lit":"$.n"}]"#);
case!(jsonata_swap, r#"{"QueryLanguage":"JSONata","StartAt":"A","States":{
    "A":{"Type":"Pass","Assign":{"a":1,"b":2},"Next":"B"},
    "B":{"Type":"Pass","Assign":{"a":"{% $b %}","b":"{% $a %}"},"Output":"{% [$a, $b] %}","Next":"C"},
    "C":{"Type":"Pass","Output":{"before":"{% $states.input %}","after":"{% [$a, $b] %}"},"End":true}}}"#, "{}" => r#"{"before":[1,2],"after":[2,1]}"#);
case!(jsonata_condition, r#"{"QueryLanguage":"JSONata","StartAt":"C","States":{
    "C":{"Type":"Choice","Choices":[{"Condition":"{% $states.input.n > 10 %}","Output":"big","Next":"D"}],"Default":"D"},
    "D":{"Type":"Succeed"}}}"#, r#"{"n":30}"# => r#""big""#);
case!(jsonata_condition_not_boolean, r#"{"QueryLanguage":"JSONata","StartAt":"C","States":{
    "C":{"Type":"Choice","Choices":[{"Condition":"{% 1 %}","Next":"D"}],"Default":"D"},
    "D":{"Type":"Succeed"}}}"#, "{}" => "FAILED States.QueryEvaluationError");
case!(jsonata_undefined_output, r#"{"QueryLanguage":"JSONata","StartAt":"A","States":{
    "A":{"Type":"Pass","Output":{"r":"{% $states.input.missing %}"},"End":true}}}"#, "{}" =>
    "FAILED States.QueryEvaluationError: An error occurred while executing the state 'A' (entered at the event id #2). The JSONata expression '$states.input.missing' specified for the field 'Output/r' returned nothing (undefined).");
case!(jsonata_map_items, r#"{"QueryLanguage":"JSONata","StartAt":"M","States":{
    "M":{"Type":"Map","Items":"{% $states.input.xs %}","ItemSelector":{"v":"{% $states.context.Map.Item.Value * 10 %}"},"End":true,
      "ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}}}}}"#, r#"{"xs":[1,2]}"# => r#"[{"v":10},{"v":20}]"#);
case!(jsonata_map_items_not_array, r#"{"QueryLanguage":"JSONata","StartAt":"M","States":{
    "M":{"Type":"Map","Items":"{% $states.input.n %}","End":true,
      "ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}}}}}"#, r#"{"n":1}"# =>
    "FAILED States.QueryEvaluationError: An error occurred while executing the state 'M' (entered at the event id #2). The JSONata expression '$states.input.n' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'number' for value: 1");
case!(jsonata_catch_output, r#"{"QueryLanguage":"JSONata","StartAt":"P","States":{
    "P":{"Type":"Parallel","End":true,"Catch":[{"ErrorEquals":["States.ALL"],"Output":"{% $states.errorOutput.Error %}","Next":"D"}],
      "Branches":[{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Boom","Cause":"c"}}}]},
    "D":{"Type":"Succeed"}}}"#, "{}" => r#""Boom""#);
case!(mixed_jsonata_state_in_jsonpath_machine, r#"{"StartAt":"A","States":{
    "A":{"Type":"Pass","Assign":{"v.$":"$.k"},"Next":"B"},
    "B":{"Type":"Pass","QueryLanguage":"JSONata","Output":{"v":"{% $v %}"},"End":true}}}"#, r#"{"k":"x"}"# => r#"{"v":"x"}"#);

#[tokio::test]
async fn jsonata_arguments() {
    let def = r#"{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:F",
        "Arguments":{"twice":"{% $states.input.n * 2 %}"},"Output":"{% $states.result.twice + 1 %}","End":true}}}"#;
    let t = tasks_with("arn:aws:lambda:us-east-1:1:function:F", Ok);
    assert_eq!(summary(run_with(t, def, r#"{"n":4}"#).await), "9");
}

fn payment_tasks() -> Tasks {
    fn f(
        g: impl Fn(&Value) -> serde_json::Value + Send + Sync + 'static,
    ) -> expressway::tasks::Handler {
        let g = Arc::new(g);
        Arc::new(move |v: expressway::tasks::TaskInput| {
            let out = expressway::json::parse(&g(&v).to_string());
            Box::pin(async move { out.map_err(|e| ExecError::new("Bad", e.to_string())) })
        })
    }
    fn s(v: &Value, k: &str) -> String {
        let j: serde_json::Value =
            serde_json::from_str(&expressway::json::to_string(v)).unwrap_or_default();
        match &j[k] {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }
    fn raw(v: &Value, k: &str) -> serde_json::Value {
        let j: serde_json::Value =
            serde_json::from_str(&expressway::json::to_string(v)).unwrap_or_default();
        j[k].clone()
    }
    let mut t = Tasks::new();
    t.register_function("AuthorizePayment", f(|v| serde_json::json!({"status":"APPROVED","authCode":format!("AUTH-{}", s(v, "paymentId")),"amount":raw(v, "amount")})));
    t.register_function("CapturePayment", f(|v| serde_json::json!({"status":"CAPTURED","captureId":format!("CAP-{}", s(v, "paymentId"))})));
    t.register_function(
        "SendEmail",
        f(|v| serde_json::json!({"channel":"email","sent":true,"to":raw(v, "to")})),
    );
    t.register_function("SendWebhook", f(|v| serde_json::json!({"channel":"webhook","delivered":true,"merchantId":raw(v, "merchantId")})));
    t.register_function("SaveTransaction", f(|v| serde_json::json!({"saved":true,"transactionId":format!("TX-{}", s(v, "paymentId"))})));
    t
}

#[tokio::test]
async fn payment_jsonata_matches_jsonpath() {
    let jsonpath = include_str!("../benches/workflows/payment.asl.json");
    let jsonata = include_str!("../benches/workflows/payment-jsonata.asl.json");
    for input in [
        r#"{"paymentId":"p1","amount":250.5,"currency":"EUR","card":{"threeDS":true,"last4":"4242"},"customer":{"email":"a@b.c"},"merchantId":"m1"}"#,
        r#"{"paymentId":"p2","amount":20,"currency":"EUR","card":{"threeDS":false},"customer":{"email":"x@y.z"},"merchantId":"m2"}"#,
        r#"{"paymentId":"p3","amount":20000,"currency":"EUR","card":{"threeDS":false},"customer":{"email":"x@y.z"},"merchantId":"m3"}"#,
    ] {
        let a = summary(run_with(payment_tasks(), jsonpath, input).await);
        let b = summary(run_with(payment_tasks(), jsonata, input).await);
        let ja: serde_json::Value =
            serde_json::from_str(&a).unwrap_or(serde_json::Value::String(a.clone()));
        let jb: serde_json::Value =
            serde_json::from_str(&b).unwrap_or(serde_json::Value::String(b.clone()));
        assert_eq!(ja, jb, "jsonpath {a}\njsonata {b}");
    }
}

/// A Task that selects its whole input hands the handler the execution's
/// document itself (shared with the engine, so 2 owners), not a copy; one
/// with Parameters hands it a value of its own (1 owner). The result is then
/// merged by ResultPath into the document the handler let go of.
#[tokio::test]
async fn task_input_is_shared_not_copied() {
    let mut t = Tasks::new();
    t.register(
        "arn:count",
        Arc::new(|v: expressway::tasks::TaskInput| {
            let owners = Arc::strong_count(&v) as u64;
            Box::pin(async move { Ok(Value::from(owners)) })
        }),
    );
    let def = r#"{"StartAt":"Whole","States":{
        "Whole":{"Type":"Task","Resource":"arn:count","ResultPath":"$.whole","Next":"Params"},
        "Params":{"Type":"Task","Resource":"arn:count","Parameters":{"a.$":"$.a"},"ResultPath":"$.params","End":true}}}"#;
    let out = summary(run_with(t, def, r#"{"a":1}"#).await);
    assert_eq!(out, r#"{"a":1,"whole":2,"params":1}"#);
}

/// A document grown by ResultPath, one Task result at a time, is checked as
/// the next Task's input and as the execution's output: the size known from
/// the parts already measured spares a walk only while it proves the
/// document within 256 KiB; past that the document is measured as before.
#[tokio::test]
async fn a_document_grown_past_the_limit_fails_the_next_task_input() {
    let task = |name: &str, path: &str, next: &str| {
        format!(
            r#""{name}":{{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:R","ResultPath":"$.{path}",{next}}}"#
        )
    };
    let grow = |_: Value| Ok(Value::from("x".repeat(90_000)));
    // 90 KB per result: the fourth Task's input holds 270 KB.
    let def = format!(
        r#"{{"StartAt":"T1","States":{{{},{},{},{}}}}}"#,
        task("T1", "a", r#""Next":"T2""#),
        task("T2", "b", r#""Next":"T3""#),
        task("T3", "c", r#""Next":"T4""#),
        task("T4", "d", r#""End":true"#),
    );
    let t = tasks_with("arn:aws:lambda:us-east-1:1:function:R", grow);
    let out = summary(run_with(t, &def, "{}").await);
    assert!(
        out.starts_with(
            "FAILED States.DataLimitExceeded: The state/task 'T4' has an input with a size exceeding"
        ),
        "{out}"
    );
    // Three results: every input is within, the 270 KB output is not.
    let def = format!(
        r#"{{"StartAt":"T1","States":{{{},{},{}}}}}"#,
        task("T1", "a", r#""Next":"T2""#),
        task("T2", "b", r#""Next":"T3""#),
        task("T3", "c", r#""End":true"#),
    );
    let t = tasks_with("arn:aws:lambda:us-east-1:1:function:R", grow);
    let out = summary(run_with(t, &def, "{}").await);
    assert!(
        out.starts_with(
            "FAILED States.DataLimitExceeded: The execution output exceeds the maximum number of bytes service limit."
        ),
        "{out}"
    );
    // Small results: the output is returned whole.
    let t = tasks_with("arn:aws:lambda:us-east-1:1:function:R", |_| {
        Ok(Value::from("y"))
    });
    let out = run_with(t, &def, r#"{"k":1}"#).await;
    assert_eq!(summary(out), r#"{"k":1,"a":"y","b":"y","c":"y"}"#);
}

/// Parallel branches share the Parallel's input: a branch that changes it
/// changes its own copy, never a sibling's or the state's.
#[tokio::test]
async fn parallel_branches_that_change_a_shared_input_stay_isolated() {
    let def = r#"{"StartAt":"P","States":{"P":{"Type":"Parallel","ResultPath":"$.r","End":true,"Branches":[
        {"StartAt":"A","States":{"A":{"Type":"Pass","Result":1,"ResultPath":"$.x","End":true}}},
        {"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}},
        {"StartAt":"C","States":{"C":{"Type":"Pass","Result":2,"ResultPath":"$.x","End":true}}}]}}}"#;
    let got = run(def, r#"{"x":0,"k":"v"}"#).await;
    let g: serde_json::Value = serde_json::from_str(&got).unwrap_or_default();
    let w: serde_json::Value = serde_json::from_str(
        r#"{"x":0,"k":"v","r":[{"x":1,"k":"v"},{"x":0,"k":"v"},{"x":2,"k":"v"}]}"#,
    )
    .unwrap();
    assert_eq!(g, w, "got {got}");
}
