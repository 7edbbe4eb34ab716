//! TestState on the real router: the JSONPath data flow in inspectionData,
//! Choice's nextState, Fail, and Tasks served by a registered handler.

use serde_json::{json, Value as Json};

use super::{assert_error, Harness};
use crate::api::{router, Config, Service};
use crate::engine::Engine;
use crate::errors::ExecError;
use crate::tasks::Tasks;

const DOUBLE: &str = "arn:aws:lambda:us-east-1:123456789012:function:double";
const BROKEN: &str = "arn:aws:lambda:us-east-1:123456789012:function:broken";

async fn harness() -> Harness {
    let mut tasks = Tasks::default();
    tasks.register_fn(DOUBLE, |input: crate::tasks::TaskInput| async move {
        let n = crate::json::to_string(&input);
        let n: Json = serde_json::from_str(&n).unwrap_or_default();
        let doubled = n["n"].as_i64().unwrap_or_default() * 2;
        crate::json::parse(&json!({"doubled": doubled, "extra": true}).to_string())
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
    assert_eq!(data["result"], r#"{"v":1}"#);
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
