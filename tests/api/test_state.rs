//! TestState on the real router: the JSONPath data flow in inspectionData,
//! Choice's nextState, Fail, and Tasks served by a registered handler.

use serde_json::{json, Value as Json};

use crate::harness::{assert_error, Harness};
use expressway::api::{router, Config, Service};
use expressway::engine::Engine;
use expressway::errors::ExecError;
use expressway::tasks::Tasks;

const DOUBLE: &str = "arn:aws:lambda:us-east-1:123456789012:function:double";
const BROKEN: &str = "arn:aws:lambda:us-east-1:123456789012:function:broken";

async fn harness() -> Harness {
    let mut tasks = Tasks::default();
    tasks.register_fn(DOUBLE, |input: expressway::tasks::TaskInput| async move {
        let n = expressway::json::to_string(&input);
        let n: Json = serde_json::from_str(&n).unwrap_or_default();
        let doubled = n["n"].as_i64().unwrap_or_default() * 2;
        expressway::json::parse(&json!({"doubled": doubled, "extra": true}).to_string())
            .map_err(|e| ExecError::new("Parse", e.to_string()))
    });
    tasks.register_fn(BROKEN, |_| async {
        Err(ExecError::new("Broken", "always"))
    });
    let service = Service::new(Engine::new(tasks), Config::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router(service)).await });
    Harness {
        url: format!("http://{addr}/"),
        client: reqwest::Client::new(),
    }
}

async fn test(h: &Harness, state: Json, input: &str, level: &str) -> Json {
    h.ok(
        "TestState",
        json!({"definition": state.to_string(), "input": input, "inspectionLevel": level,
               "roleArn": "arn:aws:iam::123456789012:role/x"}),
    )
    .await
}

#[tokio::test]
async fn pass_shows_each_step() {
    let h = harness().await;
    let state = json!({"Type": "Pass", "InputPath": "$.a", "Parameters": {"v.$": "$.b"},
                       "ResultPath": "$.r", "Next": "After"});
    let out = test(&h, state, r#"{"a":{"b":1},"z":0}"#, "DEBUG").await;
    assert_eq!(out["status"], "SUCCEEDED");
    assert_eq!(out["nextState"], "After");
    assert_eq!(out["output"], r#"{"a":{"b":1},"z":0,"r":{"v":1}}"#);
    let data = &out["inspectionData"];
    assert_eq!(data["input"], r#"{"a":{"b":1},"z":0}"#);
    assert_eq!(data["afterInputPath"], r#"{"b":1}"#);
    assert_eq!(data["afterParameters"], r#"{"v":1}"#);
    // AWS reports no `result` for a Pass state without Result.
    assert!(data.get("result").is_none());
    assert_eq!(data["afterResultSelector"], r#"{"v":1}"#);
    assert_eq!(
        data["afterResultPath"],
        r#"{"a":{"b":1},"z":0,"r":{"v":1}}"#
    );
    // INFO: no inspectionData.
    let state = json!({"Type": "Pass", "End": true});
    let out = test(&h, state, "{}", "INFO").await;
    assert!(out.get("inspectionData").is_none());
    assert!(out.get("nextState").is_none());
}

#[tokio::test]
async fn choice_gives_the_next_state() {
    let h = harness().await;
    let state = json!({"Type": "Choice", "Choices": [
        {"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"},
        {"Variable": "$.n", "NumericLessThan": 0, "Next": "Negative"}], "Default": "Small"});
    for (input, next) in [
        (r#"{"n":11}"#, "Big"),
        (r#"{"n":-1}"#, "Negative"),
        (r#"{"n":5}"#, "Small"),
    ] {
        let out = test(&h, state.clone(), input, "INFO").await;
        assert_eq!(out["nextState"], next, "{input}");
        assert_eq!(out["output"], input);
    }
}

#[tokio::test]
async fn fail_gives_error_and_cause() {
    let h = harness().await;
    let state = json!({"Type": "Fail", "Error": "Bad", "CausePath": "$.why"});
    let out = test(&h, state, r#"{"why":"because"}"#, "INFO").await;
    assert_eq!(out["status"], "FAILED");
    assert_eq!(out["error"], "Bad");
    assert_eq!(out["cause"], "because");
}

#[tokio::test]
async fn task_served_by_a_handler() {
    let h = harness().await;
    let state = json!({"Type": "Task", "Resource": DOUBLE, "Parameters": {"n.$": "$.x"},
                       "ResultSelector": {"d.$": "$.doubled"}, "ResultPath": "$.out", "End": true});
    let out = test(&h, state, r#"{"x":21}"#, "TRACE").await;
    assert_eq!(out["status"], "SUCCEEDED");
    assert_eq!(out["output"], r#"{"x":21,"out":{"d":42}}"#);
    let data = &out["inspectionData"];
    assert_eq!(data["afterParameters"], r#"{"n":21}"#);
    assert_eq!(data["result"], r#"{"doubled":42,"extra":true}"#);
    assert_eq!(data["afterResultSelector"], r#"{"d":42}"#);
    assert_eq!(data["afterResultPath"], r#"{"x":21,"out":{"d":42}}"#);

    let failing = |extra: Json| {
        let mut s = json!({"Type": "Task", "Resource": BROKEN, "End": true});
        if let (Some(s), Some(e)) = (s.as_object_mut(), extra.as_object()) {
            s.extend(e.clone());
        }
        s
    };
    let out = test(&h, failing(json!({})), "{}", "INFO").await;
    assert_eq!(
        (&out["status"], &out["error"], &out["cause"]),
        (&json!("FAILED"), &json!("Broken"), &json!("always"))
    );
    let out = test(
        &h,
        failing(json!({"Retry": [{"ErrorEquals": ["States.ALL"]}]})),
        "{}",
        "INFO",
    )
    .await;
    assert_eq!(out["status"], "RETRIABLE");
    let catch =
        json!({"Catch": [{"ErrorEquals": ["Broken"], "ResultPath": "$.err", "Next": "Recover"}]});
    let out = test(&h, failing(catch), r#"{"k":1}"#, "INFO").await;
    assert_eq!(out["status"], "CAUGHT_ERROR");
    assert_eq!(out["nextState"], "Recover");
    assert_eq!(
        out["output"],
        r#"{"k":1,"err":{"Error":"Broken","Cause":"always"}}"#
    );
}

#[tokio::test]
async fn test_state_errors() {
    let h = harness().await;
    let reply = h
        .call("TestState", json!({"definition": "{\"Type\":\"Nope\"}"}))
        .await;
    assert_error(&reply, 400, "InvalidDefinition", None);
    let reply = h.call("TestState", json!({"definition": "[]"})).await;
    assert_error(&reply, 400, "InvalidDefinition", None);
    let reply = h
        .call(
            "TestState",
            json!({"definition": "{\"Type\":\"Pass\",\"End\":true}", "inspectionLevel": "ALL"}),
        )
        .await;
    assert_error(&reply, 400, "ValidationException", None);
    let reply = h
        .call(
            "TestState",
            json!({"definition": "{\"Type\":\"Pass\",\"End\":true}", "input": "{"}),
        )
        .await;
    assert_error(&reply, 400, "InvalidExecutionInput", None);
}

/// The keys of `inspectionData`, sorted.
fn keys(out: &Json) -> Vec<&str> {
    let mut k: Vec<&str> = out["inspectionData"]
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    k.sort_unstable();
    k
}

/// `inspectionData[key]` parsed back from its JSON text.
fn data(out: &Json, key: &str) -> Json {
    serde_json::from_str(out["inspectionData"][key].as_str().unwrap_or("null")).unwrap_or_default()
}

// The cases below follow TestState answers recorded against AWS in
// November 2025 (the LocalStack suite's `test_test_state_scenarios`
// snapshots): which inspectionData fields each state type reports.

#[tokio::test]
async fn aws_recorded_pass_data_flow() {
    let h = harness().await;
    let input = json!({"initialData": {"fieldFromInput": "value from input", "otherField": "other"},
                       "unrelatedData": {"someOtherField": 1234}});
    let state = json!({"Type": "Pass", "InputPath": "$.initialData",
        "Parameters": {"staticValue": "some value", "inputValue.$": "$.fieldFromInput"},
        "ResultPath": "$.modifiedData", "End": true});
    let out = test(&h, state, &input.to_string(), "DEBUG").await;
    assert_eq!(out["status"], "SUCCEEDED");
    // No Result: no `result`; the effective input is also the selected result.
    assert_eq!(
        keys(&out),
        [
            "afterInputPath",
            "afterParameters",
            "afterResultPath",
            "afterResultSelector",
            "input"
        ]
    );
    let params = json!({"staticValue": "some value", "inputValue": "value from input"});
    assert_eq!(data(&out, "afterInputPath"), input["initialData"]);
    assert_eq!(data(&out, "afterParameters"), params);
    assert_eq!(data(&out, "afterResultSelector"), params);
    let mut merged = input.clone();
    merged["modifiedData"] = params;
    assert_eq!(data(&out, "afterResultPath"), merged);
    assert!(out.get("nextState").is_none());

    // With Result: `result`, and no input processing reported.
    let state = json!({"Type": "Pass", "Result": {"resultKey": "result value"},
                       "ResultPath": "$.modifiedData", "End": true});
    let out = test(&h, state, &input.to_string(), "TRACE").await;
    assert_eq!(
        keys(&out),
        ["afterResultPath", "afterResultSelector", "input", "result"]
    );
    assert_eq!(data(&out, "result"), json!({"resultKey": "result value"}));
    let mut merged = input.clone();
    merged["modifiedData"] = json!({"resultKey": "result value"});
    assert_eq!(
        serde_json::from_str::<Json>(out["output"].as_str().unwrap_or_default()).ok(),
        Some(merged)
    );
}

#[tokio::test]
async fn aws_recorded_succeed_fail_choice_report_input_path_only() {
    let h = harness().await;
    let input = r#"{"Value":"HelloWorld"}"#;
    let out = test(&h, json!({"Type": "Succeed"}), input, "DEBUG").await;
    assert_eq!(keys(&out), ["afterInputPath", "input"]);
    assert_eq!(out["output"], input);
    let fail = json!({"Type": "Fail", "Error": "SomeFailure",
                      "Cause": "This state machines raises a 'SomeFailure' failure."});
    let out = test(&h, fail, input, "DEBUG").await;
    assert_eq!(keys(&out), ["afterInputPath", "input"]);
    assert_eq!(out["status"], "FAILED");
    assert_eq!(out["error"], "SomeFailure");
    assert!(out.get("output").is_none());
    let choice = json!({"Type": "Choice", "Choices": [
        {"Variable": "$.value", "NumericGreaterThanEquals": 20, "Next": "ValueInTwenties"}],
        "Default": "Other"});
    let out = test(&h, choice, r#"{"type":"Private","value":22}"#, "DEBUG").await;
    assert_eq!(keys(&out), ["afterInputPath", "input"]);
    assert_eq!(out["nextState"], "ValueInTwenties");
}

#[tokio::test]
async fn task_reports_every_jsonpath_step() {
    let h = harness().await;
    let state = json!({"Type": "Task", "Resource": DOUBLE, "End": true});
    let out = test(&h, state, r#"{"n":2}"#, "DEBUG").await;
    assert_eq!(
        keys(&out),
        [
            "afterInputPath",
            "afterParameters",
            "afterResultPath",
            "afterResultSelector",
            "input",
            "result"
        ]
    );
}

#[tokio::test]
async fn aws_recorded_jsonata_catch_of_a_mocked_error() {
    let h = harness().await;
    let state = json!({"Type": "Task", "QueryLanguage": "JSONata",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Arguments": {"FunctionName": "foo", "Payload": "bar"},
        "Catch": [
            {"ErrorEquals": ["MockException"], "Next": "HandleMockError",
             "Output": {"input": "{% $states.input %}", "errorOutput": "{% $states.errorOutput %}"}},
            {"ErrorEquals": ["States.TaskFailed"], "Next": "HandleThreshold"}],
        "End": true});
    let out = h
        .ok(
            "TestState",
            json!({"definition": state.to_string(), "input": r#"{"Value":"HelloWorld"}"#,
                   "inspectionLevel": "DEBUG",
                   "mock": {"errorOutput": {"error": "MockException", "cause": "Mock the cause of the error."}}}),
        )
        .await;
    assert_eq!(out["status"], "CAUGHT_ERROR", "{out}");
    assert_eq!(out["error"], "MockException");
    assert_eq!(out["cause"], "Mock the cause of the error.");
    assert_eq!(out["nextState"], "HandleMockError");
    assert_eq!(keys(&out), ["afterArguments", "errorDetails", "input"]);
    assert_eq!(
        out["inspectionData"]["errorDetails"],
        json!({"catchIndex": 0})
    );
    assert_eq!(
        data(&out, "afterArguments"),
        json!({"FunctionName": "foo", "Payload": "bar"})
    );
    assert_eq!(
        serde_json::from_str::<Json>(out["output"].as_str().unwrap_or_default()).ok(),
        Some(json!({"input": {"Value": "HelloWorld"},
                    "errorOutput": {"Error": "MockException", "Cause": "Mock the cause of the error."}}))
    );
}

#[tokio::test]
async fn aws_recorded_jsonata_map_reports_its_settings() {
    let h = harness().await;
    let state = json!({"Type": "Map", "QueryLanguage": "JSONata",
        "Items": "{% $states.input.Values %}",
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "One",
            "States": {"One": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": 1, "End": true}}},
        "ToleratedFailurePercentage": 1,
        "Output": {"result": "{% $states.result %}"}, "End": true});
    let out = test(&h, state, r#"{"Values":[1,2,3]}"#, "DEBUG").await;
    assert_eq!(out["status"], "SUCCEEDED", "{out}");
    assert_eq!(out["output"], r#"{"result":[1,1,1]}"#);
    assert_eq!(
        keys(&out),
        ["input", "maxConcurrency", "toleratedFailurePercentage"]
    );
    assert_eq!(out["inspectionData"]["maxConcurrency"], 0);
    assert_eq!(out["inspectionData"]["toleratedFailurePercentage"], 1.0);
}

#[tokio::test]
async fn parallel_and_map_run_their_branches_on_the_engine() {
    let h = harness().await;
    let state = json!({"Type": "Parallel", "ResultPath": "$.both", "Next": "After", "Branches": [
        {"StartAt": "D", "States": {"D": {"Type": "Task", "Resource": DOUBLE, "End": true}}},
        {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "p", "End": true}}}]});
    let out = test(&h, state, r#"{"n":4}"#, "DEBUG").await;
    assert_eq!(out["status"], "SUCCEEDED", "{out}");
    assert_eq!(out["nextState"], "After");
    assert_eq!(
        out["output"],
        r#"{"n":4,"both":[{"doubled":8,"extra":true},"p"]}"#
    );
    // The inner states' steps are not the tested state's.
    assert_eq!(data(&out, "afterParameters"), json!({"n": 4}));
    let state = json!({"Type": "Map", "ItemsPath": "$.ns", "MaxConcurrency": 2,
        "ItemSelector": {"n.$": "$$.Map.Item.Value"},
        "ItemProcessor": {"StartAt": "D", "States": {
            "D": {"Type": "Task", "Resource": DOUBLE, "OutputPath": "$.doubled", "End": true}}},
        "End": true});
    let out = test(&h, state, r#"{"ns":[1,2,3]}"#, "DEBUG").await;
    assert_eq!(out["status"], "SUCCEEDED", "{out}");
    assert_eq!(out["output"], "[2,4,6]");
    assert_eq!(data(&out, "afterItemsPath"), json!([1, 2, 3]));
    assert_eq!(out["inspectionData"]["maxConcurrency"], 2);
    // A branch that fails fails the Parallel, as in an execution.
    let state = json!({"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": BROKEN, "End": true}}}]});
    let out = test(&h, state, "{}", "INFO").await;
    assert_eq!(
        (&out["status"], &out["error"]),
        (&json!("FAILED"), &json!("Broken"))
    );
}

#[tokio::test]
async fn retriable_reports_the_retrier() {
    let h = harness().await;
    let state = json!({"Type": "Task", "Resource": BROKEN, "End": true, "Retry": [
        {"ErrorEquals": ["Other"]},
        {"ErrorEquals": ["Broken"], "IntervalSeconds": 3, "MaxAttempts": 2}]});
    let started = std::time::Instant::now();
    let out = test(&h, state, "{}", "DEBUG").await;
    assert_eq!(out["status"], "RETRIABLE");
    assert_eq!(out["error"], "Broken");
    assert_eq!(
        out["inspectionData"]["errorDetails"],
        json!({"retryIndex": 1, "retryBackoffIntervalSeconds": 3})
    );
    // It never waited for the retry.
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
}

#[tokio::test]
async fn mocked_result_replaces_the_task() {
    let h = harness().await;
    let state = json!({"Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem",
        "Parameters": {"Key.$": "$.k"}, "ResultSelector": {"item.$": "$.Item"},
        "ResultPath": "$.got", "End": true});
    let out = h
        .ok(
            "TestState",
            json!({"definition": state.to_string(), "input": r#"{"k":7}"#, "inspectionLevel": "DEBUG",
                   "mock": {"result": r#"{"Item":{"id":7}}"#}}),
        )
        .await;
    assert_eq!(out["status"], "SUCCEEDED", "{out}");
    assert_eq!(out["output"], r#"{"k":7,"got":{"item":{"id":7}}}"#);
    assert_eq!(data(&out, "afterParameters"), json!({"Key": 7}));
    assert_eq!(data(&out, "result"), json!({"Item": {"id": 7}}));
    let reply = h
        .call(
            "TestState",
            json!({"definition": state.to_string(), "mock": {"result": "{"}}),
        )
        .await;
    assert_error(&reply, 400, "ValidationException", None);
}

#[tokio::test]
async fn state_name_tests_one_state_of_a_machine() {
    let h = harness().await;
    let machine = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "B"},
        "B": {"Type": "Pass", "Result": {"b": true}, "Next": "C"},
        "C": {"Type": "Succeed"}}});
    let out = h
        .ok(
            "TestState",
            json!({"definition": machine.to_string(), "stateName": "B"}),
        )
        .await;
    assert_eq!(out["output"], r#"{"b":true}"#);
    assert_eq!(out["nextState"], "C");
    let reply = h
        .call(
            "TestState",
            json!({"definition": machine.to_string(), "stateName": "Z"}),
        )
        .await;
    assert_error(&reply, 400, "ValidationException", None);
}

#[tokio::test]
async fn jsonata_state_sees_the_variables() {
    let h = harness().await;
    let state = json!({"Type": "Pass", "QueryLanguage": "JSONata",
        "Output": {"v": "{% $var_input_value %}", "sum": "{% $var_constant_1 + $sum($states.input.input_values) %}"},
        "End": true});
    let out = h
        .ok(
            "TestState",
            json!({"definition": state.to_string(), "input": r#"{"input_values":[1,2,3]}"#,
                   "inspectionLevel": "DEBUG",
                   "variables": r#"{"var_input_value":"test_value","var_constant_1":10}"#}),
        )
        .await;
    assert_eq!(out["output"], r#"{"v":"test_value","sum":16}"#, "{out}");
    assert_eq!(keys(&out), ["input", "variables"]);
    assert_eq!(
        data(&out, "variables"),
        json!({"var_input_value": "test_value", "var_constant_1": 10})
    );
}

#[tokio::test]
async fn wait_does_not_wait() {
    let h = harness().await;
    let started = std::time::Instant::now();
    let state = json!({"Type": "Wait", "Seconds": 120, "Next": "Later"});
    let out = test(&h, state, r#"{"a":1}"#, "DEBUG").await;
    assert_eq!(out["status"], "SUCCEEDED");
    assert_eq!(out["nextState"], "Later");
    assert_eq!(keys(&out), ["afterInputPath", "input"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}

#[tokio::test]
async fn the_steps_of_branch_states_are_not_reported() {
    let h = harness().await;
    // The branch state runs InputPath and ResultPath too; only the tested
    // state's steps are reported.
    let state = json!({"Type": "Parallel", "InputPath": "$.outer", "End": true, "Branches": [
        {"StartAt": "Inner", "States": {"Inner": {"Type": "Pass",
            "InputPath": "$.inner", "End": true}}}]});
    let out = test(&h, state, r#"{"outer":{"inner":5}}"#, "DEBUG").await;
    assert_eq!(out["status"], "SUCCEEDED", "{out}");
    assert_eq!(out["output"], "[5]");
    assert_eq!(data(&out, "afterInputPath"), json!({"inner": 5}));
    assert_eq!(data(&out, "result"), json!([5]));
}
