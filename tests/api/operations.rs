//! API tests against the real router on 127.0.0.1:0, one per operation and
//! per error type (`__type`, status, message).

use serde_json::{json, Value as Json};

use crate::harness::{assert_error, Harness, PASS, PREFIX, ROLE};
use expressway::api::{Config, Service};
use expressway::engine::Engine;
use expressway::tasks::Tasks;

#[tokio::test]
async fn create_and_describe_state_machine() {
    let h = Harness::start().await;
    let created = h
        .ok(
            "CreateStateMachine",
            json!({"name": "pay", "definition": PASS, "roleArn": ROLE, "type": "EXPRESS"}),
        )
        .await;
    let arn = format!("{PREFIX}pay");
    assert_eq!(created["stateMachineArn"], arn);
    assert!(created["creationDate"].is_f64());
    let d = h
        .ok("DescribeStateMachine", json!({"stateMachineArn": arn}))
        .await;
    assert_eq!(d["name"], "pay");
    assert_eq!(d["type"], "EXPRESS");
    assert_eq!(d["status"], "ACTIVE");
    assert_eq!(d["definition"], PASS);
    assert_eq!(d["roleArn"], ROLE);
    assert_eq!(
        d["loggingConfiguration"],
        json!({"level": "OFF", "includeExecutionData": false})
    );
    assert_eq!(d["tracingConfiguration"], json!({"enabled": false}));
    assert_eq!(d["creationDate"], created["creationDate"]);
}

#[tokio::test]
async fn create_is_idempotent_but_refuses_a_different_definition() {
    let h = Harness::start().await;
    let first = h
        .ok(
            "CreateStateMachine",
            json!({"name": "pay", "definition": PASS, "roleArn": ROLE}),
        )
        .await;
    let again = h
        .ok(
            "CreateStateMachine",
            json!({"name": "pay", "definition": PASS, "roleArn": "arn:aws:iam::123456789012:role/other", "tags": [{"key": "a", "value": "b"}]}),
        )
        .await;
    assert_eq!(again, first);
    let other = PASS.replace("\"P\"", "\"Q\"");
    let reply = h
        .call(
            "CreateStateMachine",
            json!({"name": "pay", "definition": other, "roleArn": ROLE}),
        )
        .await;
    let arn = format!("{PREFIX}pay");
    assert_error(
        &reply,
        400,
        "StateMachineAlreadyExists",
        Some(&format!("State Machine Already Exists: '{arn}'")),
    );
}

#[tokio::test]
async fn create_errors() {
    let h = Harness::start().await;
    let long = "a".repeat(81);
    let reply = h
        .call(
            "CreateStateMachine",
            json!({"name": long, "definition": PASS, "roleArn": ROLE}),
        )
        .await;
    assert_error(&reply, 400, "ValidationException", Some(&format!("1 validation error detected: Value '{long}' at 'name' failed to satisfy constraint: Member must have length less than or equal to 80")));
    assert_eq!(
        reply.body["__type"],
        "com.amazon.coral.validate#ValidationException"
    );

    let reply = h
        .call(
            "CreateStateMachine",
            json!({"name": "a b", "definition": PASS, "roleArn": ROLE}),
        )
        .await;
    assert_error(&reply, 400, "InvalidName", Some("Invalid Name: 'a b'"));
    assert_eq!(
        reply.body["__type"],
        "com.amazonaws.swf.service.v2.model#InvalidName"
    );

    let reply = h
        .call(
            "CreateStateMachine",
            json!({"name": "x", "definition": PASS}),
        )
        .await;
    assert_error(&reply, 400, "ValidationException", Some("1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null"));

    let reply = h
        .call(
            "CreateStateMachine",
            json!({"name": "x", "definition": PASS, "roleArn": ROLE, "type": "FAST"}),
        )
        .await;
    assert_error(&reply, 400, "ValidationException", Some("1 validation error detected: Value 'FAST' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]"));

    let reply = h
        .call(
            "CreateStateMachine",
            json!({"name": "x", "definition": "{not json", "roleArn": ROLE}),
        )
        .await;
    assert_error(&reply, 400, "InvalidDefinition", None);
    let message = reply.body["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION"),
        "{message}"
    );

    let reply = h
        .call(
            "CreateStateMachine",
            json!({"name": "x", "definition": PASS, "roleArn": ROLE, "loggingConfiguration": {"level": "ALL"}}),
        )
        .await;
    assert_error(
        &reply,
        400,
        "InvalidLoggingConfiguration",
        Some("Invalid Logging Configuration: Must specify exactly one Log Destination."),
    );

    let reply = h
        .call(
            "CreateStateMachine",
            json!({"name": 5, "definition": PASS, "roleArn": ROLE}),
        )
        .await;
    assert_error(&reply, 400, "SerializationException", None);
}

#[tokio::test]
async fn describe_errors() {
    let h = Harness::start().await;
    let reply = h
        .call(
            "DescribeStateMachine",
            json!({"stateMachineArn": "not-an-arn"}),
        )
        .await;
    assert_error(
        &reply,
        400,
        "InvalidArn",
        Some("Invalid Arn: 'Invalid ARN prefix: not-an-arn'"),
    );
    let exec = "arn:aws:states:us-east-1:123456789012:execution:pay:x";
    let reply = h
        .call("DescribeStateMachine", json!({"stateMachineArn": exec}))
        .await;
    assert_error(
        &reply,
        400,
        "InvalidArn",
        Some("Invalid Arn: 'Resource type not valid in this context: execution'"),
    );
    let missing = format!("{PREFIX}missing");
    let reply = h
        .call("DescribeStateMachine", json!({"stateMachineArn": missing}))
        .await;
    assert_error(
        &reply,
        400,
        "StateMachineDoesNotExist",
        Some(&format!("State Machine Does Not Exist: '{missing}'")),
    );
}

#[tokio::test]
async fn list_state_machines_paginates() {
    let h = Harness::start().await;
    for name in ["c", "a", "b"] {
        h.create(name, "EXPRESS").await;
    }
    let all = h.ok("ListStateMachines", json!({})).await;
    let names: Vec<&str> = all["stateMachines"]
        .as_array()
        .map(|a| a.iter().filter_map(|m| m["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["a", "b", "c"]);
    assert!(all.get("nextToken").is_none());
    assert_eq!(all["stateMachines"][0]["type"], "EXPRESS");

    let first = h.ok("ListStateMachines", json!({"maxResults": 2})).await;
    assert_eq!(first["stateMachines"].as_array().map(Vec::len), Some(2));
    let token = first["nextToken"].clone();
    let second = h
        .ok(
            "ListStateMachines",
            json!({"maxResults": 2, "nextToken": token}),
        )
        .await;
    assert_eq!(second["stateMachines"][0]["name"], "c");
    assert!(second.get("nextToken").is_none());

    let reply = h
        .call("ListStateMachines", json!({"nextToken": "garbage"}))
        .await;
    assert_error(&reply, 400, "InvalidToken", None);
    let reply = h
        .call("ListStateMachines", json!({"maxResults": 1001}))
        .await;
    assert_error(&reply, 400, "ValidationException", Some("1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000"));
}

#[tokio::test]
async fn update_state_machine() {
    let h = Harness::start().await;
    let arn = h.create("pay", "EXPRESS").await;
    let other = PASS.replace("\"P\"", "\"Q\"");
    let updated = h
        .ok(
            "UpdateStateMachine",
            json!({"stateMachineArn": arn, "definition": other, "roleArn": "arn:aws:iam::123456789012:role/y"}),
        )
        .await;
    assert!(updated["updateDate"].is_f64());
    let revision = updated["revisionId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(revision.len(), 36);
    let d = h
        .ok("DescribeStateMachine", json!({"stateMachineArn": arn}))
        .await;
    assert_eq!(d["definition"], other);
    assert_eq!(d["roleArn"], "arn:aws:iam::123456789012:role/y");
    assert_eq!(d["revisionId"], revision.as_str());

    let reply = h
        .call("UpdateStateMachine", json!({"stateMachineArn": arn}))
        .await;
    assert_error(&reply, 400, "MissingRequiredParameter", None);
    let reply = h
        .call(
            "UpdateStateMachine",
            json!({"stateMachineArn": arn, "definition": "[]x"}),
        )
        .await;
    assert_error(&reply, 400, "InvalidDefinition", None);
    let missing = format!("{PREFIX}missing");
    let reply = h
        .call(
            "UpdateStateMachine",
            json!({"stateMachineArn": missing, "definition": PASS}),
        )
        .await;
    assert_error(&reply, 400, "StateMachineDoesNotExist", None);
}

#[tokio::test]
async fn delete_state_machine() {
    let h = Harness::start().await;
    let arn = h.create("pay", "EXPRESS").await;
    let reply = h
        .ok("DeleteStateMachine", json!({"stateMachineArn": arn}))
        .await;
    assert_eq!(reply, json!({}));
    let reply = h
        .call("DescribeStateMachine", json!({"stateMachineArn": arn}))
        .await;
    assert_error(&reply, 400, "StateMachineDoesNotExist", None);
    // Deleting again is not an error.
    h.ok("DeleteStateMachine", json!({"stateMachineArn": arn}))
        .await;
    let reply = h
        .call("DeleteStateMachine", json!({"stateMachineArn": "x"}))
        .await;
    assert_error(&reply, 400, "InvalidArn", None);
}

#[tokio::test]
async fn validate_state_machine_definition() {
    let h = Harness::start().await;
    let ok = h
        .ok(
            "ValidateStateMachineDefinition",
            json!({"definition": PASS}),
        )
        .await;
    assert_eq!(
        ok,
        json!({"result": "OK", "diagnostics": [], "truncated": false})
    );
    let fail = h
        .ok("ValidateStateMachineDefinition", json!({"definition": "{"}))
        .await;
    assert_eq!(fail["result"], "FAIL");
    assert_eq!(fail["diagnostics"][0]["severity"], "ERROR");
    assert_eq!(fail["diagnostics"][0]["code"], "INVALID_JSON_DESCRIPTION");
    let reply = h.call("ValidateStateMachineDefinition", json!({})).await;
    assert_error(&reply, 400, "ValidationException", None);
}

#[tokio::test]
async fn start_sync_execution_errors_before_running() {
    let h = Harness::start().await;
    let arn = h.create("pay", "EXPRESS").await;
    let missing = format!("{PREFIX}missing");
    let long = "a".repeat(81);
    let large = format!("\"{}\"", "a".repeat(300 * 1024));
    let cases: Vec<(Json, &str, Option<String>)> = vec![
        (
            json!({"stateMachineArn": missing, "input": "{}"}),
            "StateMachineDoesNotExist",
            Some(format!("State Machine Does Not Exist: '{missing}'")),
        ),
        (
            json!({"stateMachineArn": "not-an-arn"}),
            "InvalidArn",
            Some("Invalid Arn: 'Invalid ARN prefix: not-an-arn'".into()),
        ),
        (
            json!({"stateMachineArn": arn, "input": "{"}),
            "InvalidExecutionInput",
            None,
        ),
        (
            json!({"stateMachineArn": arn, "input": large}),
            "ValidationException",
            Some("1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have size less than or equal to 262144 bytes in UTF-8 encoding".into()),
        ),
        (
            json!({"stateMachineArn": arn, "name": long}),
            "ValidationException",
            Some(format!("1 validation error detected: Value '{long}' at 'name' failed to satisfy constraint: Member must have length less than or equal to 80")),
        ),
        // Model constraints come before existence; existence before name characters.
        (
            json!({"stateMachineArn": missing, "name": long}),
            "ValidationException",
            None,
        ),
        (
            json!({"stateMachineArn": missing, "name": "a b", "input": "{"}),
            "StateMachineDoesNotExist",
            None,
        ),
        (
            json!({"stateMachineArn": arn, "name": "a:b"}),
            "InvalidName",
            Some("Invalid Name: 'a:b'".into()),
        ),
        (
            json!({"name": "n"}),
            "ValidationException",
            Some("1 validation error detected: Value null at 'stateMachineArn' failed to satisfy constraint: Member must not be null".into()),
        ),
    ];
    for (request, code, message) in cases {
        let reply = h.call("StartSyncExecution", request.clone()).await;
        assert_error(&reply, 400, code, message.as_deref());
    }
    let reply = h
        .call(
            "StartSyncExecution",
            json!({"stateMachineArn": arn, "input": "{"}),
        )
        .await;
    let message = reply.body["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("Invalid State Machine Execution Input: '"),
        "{message}"
    );

    let standard = h.create("std", "STANDARD").await;
    let reply = h
        .call("StartSyncExecution", json!({"stateMachineArn": standard}))
        .await;
    assert_error(
        &reply,
        400,
        "StateMachineTypeNotSupported",
        Some("This operation is not supported by this type of state machine"),
    );
}

#[tokio::test]
async fn start_execution_errors_before_running() {
    let h = Harness::start().await;
    let arn = h.create("pay", "EXPRESS").await;
    let missing = format!("{PREFIX}missing");
    let reply = h
        .call("StartExecution", json!({"stateMachineArn": missing}))
        .await;
    assert_error(&reply, 400, "StateMachineDoesNotExist", None);
    let reply = h
        .call(
            "StartExecution",
            json!({"stateMachineArn": arn, "input": "nope"}),
        )
        .await;
    assert_error(&reply, 400, "InvalidExecutionInput", None);
    let reply = h
        .call(
            "StartExecution",
            json!({"stateMachineArn": arn, "name": "x".repeat(81)}),
        )
        .await;
    assert_error(&reply, 400, "ValidationException", None);
    let reply = h
        .call(
            "StartExecution",
            json!({"stateMachineArn": "arn:aws:states:us-east-1:123456789012:activity:a"}),
        )
        .await;
    assert_error(
        &reply,
        400,
        "InvalidArn",
        Some("Invalid Arn: 'Resource type not valid in this context: activity'"),
    );
}

#[tokio::test]
async fn describe_execution_errors() {
    let h = Harness::start().await;
    let arn = "arn:aws:states:us-east-1:123456789012:execution:pay:missing";
    let reply = h
        .call("DescribeExecution", json!({"executionArn": arn}))
        .await;
    assert_error(
        &reply,
        400,
        "ExecutionDoesNotExist",
        Some(&format!("Execution Does Not Exist: '{arn}'")),
    );
    let reply = h
        .call(
            "DescribeExecution",
            json!({"executionArn": format!("{PREFIX}pay")}),
        )
        .await;
    assert_error(
        &reply,
        400,
        "InvalidArn",
        Some("Invalid Arn: 'Resource type not valid in this context: statemachine'"),
    );
}

#[tokio::test]
async fn list_executions() {
    let h = Harness::start().await;
    let express = h.create("pay", "EXPRESS").await;
    let reply = h
        .call("ListExecutions", json!({"stateMachineArn": express}))
        .await;
    assert_error(&reply, 400, "StateMachineTypeNotSupported", None);
    let standard = h.create("std", "STANDARD").await;
    let list = h
        .ok("ListExecutions", json!({"stateMachineArn": standard}))
        .await;
    assert_eq!(list, json!({"executions": []}));
    let reply = h
        .call(
            "ListExecutions",
            json!({"stateMachineArn": standard, "statusFilter": "DONE"}),
        )
        .await;
    assert_error(&reply, 400, "ValidationException", None);
    let reply = h
        .call(
            "ListExecutions",
            json!({"stateMachineArn": format!("{PREFIX}missing")}),
        )
        .await;
    assert_error(&reply, 400, "StateMachineDoesNotExist", None);
}

#[tokio::test]
async fn tags() {
    let h = Harness::start().await;
    let arn = h.create("pay", "EXPRESS").await;
    h.ok(
        "TagResource",
        json!({"resourceArn": arn, "tags": [{"key": "team", "value": "a"}, {"key": "env", "value": "dev"}]}),
    )
    .await;
    h.ok(
        "TagResource",
        json!({"resourceArn": arn, "tags": [{"key": "team", "value": "b"}]}),
    )
    .await;
    let listed = h
        .ok("ListTagsForResource", json!({"resourceArn": arn}))
        .await;
    assert_eq!(
        listed,
        json!({"tags": [{"key": "team", "value": "b"}, {"key": "env", "value": "dev"}]})
    );
    h.ok(
        "UntagResource",
        json!({"resourceArn": arn, "tagKeys": ["team"]}),
    )
    .await;
    let listed = h
        .ok("ListTagsForResource", json!({"resourceArn": arn}))
        .await;
    assert_eq!(listed, json!({"tags": [{"key": "env", "value": "dev"}]}));

    let missing = format!("{PREFIX}missing");
    let reply = h
        .call("ListTagsForResource", json!({"resourceArn": missing}))
        .await;
    assert_error(
        &reply,
        404,
        "ResourceNotFound",
        Some(&format!("Resource not found: '{missing}'")),
    );
    assert_eq!(reply.body["resourceName"], missing.as_str());

    let many: Vec<Json> = (0..51)
        .map(|i| json!({"key": format!("k{i}"), "value": "v"}))
        .collect();
    let reply = h
        .call("TagResource", json!({"resourceArn": arn, "tags": many}))
        .await;
    assert_error(&reply, 400, "TooManyTags", None);
}

#[tokio::test]
async fn protocol_errors() {
    let h = Harness::start().await;
    let reply = h.call("FlyToTheMoon", json!({})).await;
    assert_error(&reply, 400, "UnknownOperationException", None);
    let reply = h.raw(None, "{}").await;
    assert_error(&reply, 400, "UnknownOperationException", None);
    let reply = h
        .raw(Some("AWSStepFunctions.ListStateMachines"), "{not json")
        .await;
    assert_error(&reply, 400, "SerializationException", None);
    // An empty body is an empty request.
    let reply = h.raw(Some("AWSStepFunctions.ListStateMachines"), "").await;
    assert_eq!(reply.status, 200);
    let big = format!(
        "{{\"definition\":\"{}\"}}",
        "a".repeat(expressway::api::MAX_BODY_BYTES)
    );
    let reply = h
        .raw(Some("AWSStepFunctions.ValidateStateMachineDefinition"), big)
        .await;
    assert_error(&reply, 413, "RequestEntityTooLargeException", None);
}

#[tokio::test]
async fn preloaded_machines_are_express() {
    let service = Service::new(Engine::new(Tasks::new()), Config::default());
    let arn = service
        .create_state_machine("payment", PASS, expressway::api::MachineType::Express)
        .expect("create");
    assert_eq!(arn, format!("{PREFIX}payment"));
    assert_eq!(service.state_machine_count(), 1);
    assert!(service
        .create_state_machine("bad name", PASS, expressway::api::MachineType::Express)
        .is_err());
}

// ---- Execution paths ----

#[tokio::test]
async fn start_sync_execution_runs_to_the_end() {
    let h = Harness::start().await;
    let arn = h.create("pay", "EXPRESS").await;
    let out = h
        .ok(
            "StartSyncExecution",
            json!({"stateMachineArn": arn, "name": "run-1", "input": "{\"a\": 1}"}),
        )
        .await;
    assert_eq!(out["status"], "SUCCEEDED");
    assert_eq!(out["output"], "{\"a\":1}");
    assert_eq!(out["input"], "{\"a\": 1}");
    assert_eq!(out["name"], "run-1");
    assert_eq!(out["stateMachineArn"], arn.as_str());
    let exec = out["executionArn"].as_str().unwrap_or_default();
    assert!(exec.starts_with("arn:aws:states:us-east-1:123456789012:express:pay:run-1:"));
    assert_eq!(out["inputDetails"], json!({"included": true}));
    assert_eq!(out["outputDetails"], json!({"included": true}));
    assert_eq!(out["billingDetails"]["billedMemoryUsedInMB"], 64);
    assert_eq!(
        out["billingDetails"]["billedDurationInMilliseconds"]
            .as_u64()
            .map(|ms| ms % 100),
        Some(0)
    );
    assert!(out["stopDate"].as_f64() >= out["startDate"].as_f64());

    let fail = r#"{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E","Cause":"C"}}}"#;
    h.ok(
        "CreateStateMachine",
        json!({"name": "fails", "definition": fail, "roleArn": ROLE, "type": "EXPRESS"}),
    )
    .await;
    let out = h
        .ok(
            "StartSyncExecution",
            json!({"stateMachineArn": format!("{PREFIX}fails")}),
        )
        .await;
    assert_eq!(out["status"], "FAILED");
    assert_eq!(out["error"], "E");
    assert_eq!(out["cause"], "C");
    assert!(out.get("output").is_none());
}

#[tokio::test]
async fn start_execution_then_describe_execution() {
    let h = Harness::start().await;
    for (kind, form) in [("EXPRESS", ":express:"), ("STANDARD", ":execution:")] {
        let name = format!("m{}", kind.to_lowercase());
        let arn = h.create(&name, kind).await;
        let started = h
            .ok(
                "StartExecution",
                json!({"stateMachineArn": arn, "name": "r", "input": "{\"a\":1}"}),
            )
            .await;
        let exec = started["executionArn"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(exec.contains(form), "{exec}");
        assert!(started["startDate"].is_f64());
        let mut described = Json::Null;
        for _ in 0..100 {
            described = h
                .ok("DescribeExecution", json!({"executionArn": exec}))
                .await;
            if described["status"] != "RUNNING" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(described["status"], "SUCCEEDED");
        assert_eq!(described["output"], "{\"a\":1}");
        assert_eq!(described["input"], "{\"a\":1}");
        assert_eq!(described["name"], "r");
        assert_eq!(described["stateMachineArn"], arn.as_str());
    }
    let standard = format!("{PREFIX}mstandard");
    let listed = h
        .ok("ListExecutions", json!({"stateMachineArn": standard}))
        .await;
    assert_eq!(listed["executions"][0]["status"], "SUCCEEDED");
    let reply = h
        .call(
            "StartExecution",
            json!({"stateMachineArn": standard, "name": "r"}),
        )
        .await;
    assert_error(&reply, 400, "ExecutionAlreadyExists", None);
}
