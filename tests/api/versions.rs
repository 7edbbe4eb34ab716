//! Versions, aliases, starts through qualified ARNs, GetExecutionHistory,
//! DescribeStateMachineForExecution and RedriveExecution on the real router.

use serde_json::{json, Value as Json};

use crate::harness::{assert_error, Harness, PREFIX, ROLE};
use expressway::api::Config;
use expressway::engine::Engine;
use expressway::tasks::Tasks;

/// A Pass state whose output says which definition ran and the Context
/// Object's `StateMachine.Id`.
fn tagged(tag: &str) -> String {
    json!({"StartAt": "P", "States": {"P": {"Type": "Pass",
        "Parameters": {"tag": tag, "id.$": "$$.StateMachine.Id"}, "End": true}}})
    .to_string()
}

async fn sync_output(h: &Harness, arn: &str) -> Json {
    let out = h
        .ok("StartSyncExecution", json!({"stateMachineArn": arn}))
        .await;
    assert_eq!(out["status"], "SUCCEEDED", "{out}");
    serde_json::from_str(out["output"].as_str().unwrap_or_default()).expect("output")
}

async fn wait_done(h: &Harness, exec: &str) -> Json {
    for _ in 0..200 {
        let d = h
            .ok("DescribeExecution", json!({"executionArn": exec}))
            .await;
        if d["status"] != "RUNNING" {
            return d;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("{exec} still running")
}

#[tokio::test]
async fn versions_are_published_listed_described_and_started() {
    let h = Harness::start().await;
    let created = h
        .ok(
            "CreateStateMachine",
            json!({"name": "ver", "definition": tagged("one"), "roleArn": ROLE,
                   "type": "EXPRESS", "publish": true, "versionDescription": "first"}),
        )
        .await;
    let arn = format!("{PREFIX}ver");
    let v1 = format!("{arn}:1");
    assert_eq!(created["stateMachineVersionArn"], v1.as_str());
    // Publishing the same revision again answers the same version.
    let again = h
        .ok(
            "PublishStateMachineVersion",
            json!({"stateMachineArn": arn}),
        )
        .await;
    assert_eq!(again["stateMachineVersionArn"], v1.as_str());
    assert!(again["creationDate"].is_f64());
    let updated = h
        .ok(
            "UpdateStateMachine",
            json!({"stateMachineArn": arn, "definition": tagged("two"), "publish": true}),
        )
        .await;
    let v2 = format!("{arn}:2");
    assert_eq!(updated["stateMachineVersionArn"], v2.as_str());
    let revision = updated["revisionId"].as_str().expect("revision").to_owned();
    // A stale revision id is a conflict.
    let stale = h
        .call(
            "PublishStateMachineVersion",
            json!({"stateMachineArn": arn, "revisionId": "not-current"}),
        )
        .await;
    assert_error(&stale, 409, "ConflictException", None);
    let same = h
        .ok(
            "PublishStateMachineVersion",
            json!({"stateMachineArn": arn, "revisionId": revision, "description": "d"}),
        )
        .await;
    assert_eq!(same["stateMachineVersionArn"], v2.as_str());

    let listed = h
        .ok("ListStateMachineVersions", json!({"stateMachineArn": arn}))
        .await;
    let arns: Vec<&str> = listed["stateMachineVersions"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|v| v["stateMachineVersionArn"].as_str())
        .collect();
    assert_eq!(arns, [v2.as_str(), v1.as_str()]);
    let page = h
        .ok(
            "ListStateMachineVersions",
            json!({"stateMachineArn": arn, "maxResults": 1}),
        )
        .await;
    assert_eq!(
        page["stateMachineVersions"].as_array().map(Vec::len),
        Some(1)
    );
    assert!(page["nextToken"].is_string());

    // A version is immutable: it keeps the definition it was published with.
    let described = h
        .ok("DescribeStateMachine", json!({"stateMachineArn": v1}))
        .await;
    assert_eq!(described["stateMachineArn"], v1.as_str());
    assert_eq!(described["description"], "first");
    assert_eq!(described["definition"], tagged("one").as_str());
    let out = sync_output(&h, &v1).await;
    assert_eq!(out, json!({"tag": "one", "id": v1}));
    let out = sync_output(&h, &arn).await;
    assert_eq!(out, json!({"tag": "two", "id": arn}));

    // Through StartExecution: the execution is the machine's, associated
    // with the version.
    let started = h
        .ok(
            "StartExecution",
            json!({"stateMachineArn": v1, "name": "via-version"}),
        )
        .await;
    let exec = started["executionArn"].as_str().expect("arn").to_owned();
    assert!(exec.starts_with("arn:aws:states:us-east-1:123456789012:express:ver:via-version:"));
    let d = wait_done(&h, &exec).await;
    assert_eq!(d["stateMachineArn"], arn.as_str());
    assert_eq!(d["stateMachineVersionArn"], v1.as_str());
    assert!(d.get("stateMachineAliasArn").is_none());
    let machine = h
        .ok(
            "DescribeStateMachineForExecution",
            json!({"executionArn": exec}),
        )
        .await;
    assert_eq!(machine["stateMachineArn"], v1.as_str());
    assert_eq!(machine["definition"], tagged("one").as_str());
    assert!(machine["updateDate"].is_f64());

    // Deleting a version: gone, its number never given again.
    h.ok(
        "DeleteStateMachineVersion",
        json!({"stateMachineVersionArn": v1}),
    )
    .await;
    let gone = h
        .call("StartSyncExecution", json!({"stateMachineArn": v1}))
        .await;
    assert_error(
        &gone,
        400,
        "StateMachineDoesNotExist",
        Some(&format!("State Machine Does Not Exist: '{v1}'")),
    );
    let next = h
        .ok(
            "UpdateStateMachine",
            json!({"stateMachineArn": arn, "definition": tagged("three"), "publish": true}),
        )
        .await;
    assert_eq!(next["stateMachineVersionArn"], format!("{arn}:3").as_str());
    // Deleting the machine deletes its versions.
    h.ok("DeleteStateMachine", json!({"stateMachineArn": arn}))
        .await;
    let reply = h
        .call("DescribeStateMachine", json!({"stateMachineArn": v2}))
        .await;
    assert_error(&reply, 400, "StateMachineDoesNotExist", None);
}

#[tokio::test]
async fn version_errors() {
    let h = Harness::start().await;
    let missing = format!("{PREFIX}nope");
    let reply = h
        .call(
            "PublishStateMachineVersion",
            json!({"stateMachineArn": missing}),
        )
        .await;
    assert_error(&reply, 400, "StateMachineDoesNotExist", None);
    let reply = h
        .call(
            "PublishStateMachineVersion",
            json!({"stateMachineArn": "not-an-arn"}),
        )
        .await;
    assert_error(&reply, 400, "InvalidArn", None);
    let reply = h.call("PublishStateMachineVersion", json!({})).await;
    assert_error(&reply, 400, "ValidationException", None);
    let reply = h
        .call(
            "DeleteStateMachineVersion",
            json!({"stateMachineVersionArn": missing}),
        )
        .await;
    assert_error(&reply, 400, "InvalidArn", None);
    // Deleting a version that does not exist is a no-op, as on AWS.
    h.ok(
        "DeleteStateMachineVersion",
        json!({"stateMachineVersionArn": format!("{missing}:7")}),
    )
    .await;
    let reply = h
        .call(
            "CreateStateMachine",
            json!({"name": "nv", "definition": tagged("x"), "roleArn": ROLE,
                   "versionDescription": "without publish"}),
        )
        .await;
    assert_error(&reply, 400, "ValidationException", None);
}

#[tokio::test]
async fn aliases_route_starts_by_weight() {
    let h = Harness::start().await;
    let arn = h.create("ali", "EXPRESS").await;
    for tag in ["one", "two"] {
        h.ok(
            "UpdateStateMachine",
            json!({"stateMachineArn": arn, "definition": tagged(tag), "publish": true}),
        )
        .await;
    }
    let (v1, v2) = (format!("{arn}:1"), format!("{arn}:2"));
    let created = h
        .ok(
            "CreateStateMachineAlias",
            json!({"name": "PROD", "description": "live",
                   "routingConfiguration": [{"stateMachineVersionArn": v1, "weight": 100}]}),
        )
        .await;
    let alias = format!("{arn}:PROD");
    assert_eq!(created["stateMachineAliasArn"], alias.as_str());
    // An identical create is idempotent; another routing is a conflict.
    h.ok(
        "CreateStateMachineAlias",
        json!({"name": "PROD", "description": "live",
               "routingConfiguration": [{"stateMachineVersionArn": v1, "weight": 100}]}),
    )
    .await;
    let reply = h
        .call(
            "CreateStateMachineAlias",
            json!({"name": "PROD",
                   "routingConfiguration": [{"stateMachineVersionArn": v2, "weight": 100}]}),
        )
        .await;
    assert_error(&reply, 409, "ConflictException", None);

    let described = h
        .ok(
            "DescribeStateMachineAlias",
            json!({"stateMachineAliasArn": alias}),
        )
        .await;
    assert_eq!(described["name"], "PROD");
    assert_eq!(described["description"], "live");
    assert_eq!(
        described["routingConfiguration"],
        json!([{"stateMachineVersionArn": v1, "weight": 100}])
    );
    assert!(described["creationDate"].is_f64() && described["updateDate"].is_f64());
    let out = sync_output(&h, &alias).await;
    assert_eq!(out, json!({"tag": "one", "id": v1}));

    // StartExecution through the alias: associated with alias and version.
    let started = h
        .ok("StartExecution", json!({"stateMachineArn": alias}))
        .await;
    let exec = started["executionArn"].as_str().expect("arn").to_owned();
    let d = wait_done(&h, &exec).await;
    assert_eq!(d["stateMachineArn"], arn.as_str());
    assert_eq!(d["stateMachineVersionArn"], v1.as_str());
    assert_eq!(d["stateMachineAliasArn"], alias.as_str());
    let history = h
        .ok("GetExecutionHistory", json!({"executionArn": exec}))
        .await;
    let started_details = &history["events"][0]["executionStartedEventDetails"];
    assert_eq!(started_details["stateMachineAliasArn"], alias.as_str());
    assert_eq!(started_details["stateMachineVersionArn"], v1.as_str());

    // A version an alias routes to cannot be deleted.
    let reply = h
        .call(
            "DeleteStateMachineVersion",
            json!({"stateMachineVersionArn": v1}),
        )
        .await;
    assert_error(&reply, 409, "ConflictException", None);

    // 50/50: both versions run.
    h.ok(
        "UpdateStateMachineAlias",
        json!({"stateMachineAliasArn": alias, "routingConfiguration": [
            {"stateMachineVersionArn": v1, "weight": 50},
            {"stateMachineVersionArn": v2, "weight": 50}]}),
    )
    .await;
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..64 {
        let out = sync_output(&h, &alias).await;
        seen.insert(out["tag"].as_str().unwrap_or_default().to_owned());
        if seen.len() == 2 {
            break;
        }
    }
    assert_eq!(seen.len(), 2, "{seen:?}");
    let updated = h
        .ok(
            "UpdateStateMachineAlias",
            json!({"stateMachineAliasArn": alias, "routingConfiguration": [
                {"stateMachineVersionArn": v2, "weight": 100}]}),
        )
        .await;
    assert!(updated["updateDate"].is_f64());
    let out = sync_output(&h, &alias).await;
    assert_eq!(out["tag"], "two");

    let listed = h
        .ok("ListStateMachineAliases", json!({"stateMachineArn": arn}))
        .await;
    assert_eq!(
        listed["stateMachineAliases"][0]["stateMachineAliasArn"],
        alias.as_str()
    );
    h.ok(
        "DeleteStateMachineAlias",
        json!({"stateMachineAliasArn": alias}),
    )
    .await;
    let reply = h
        .call(
            "DescribeStateMachineAlias",
            json!({"stateMachineAliasArn": alias}),
        )
        .await;
    assert_error(&reply, 404, "ResourceNotFound", None);
    assert_eq!(reply.body["resourceName"], alias.as_str());
    let reply = h
        .call("StartSyncExecution", json!({"stateMachineArn": alias}))
        .await;
    assert_error(&reply, 400, "StateMachineDoesNotExist", None);
    // With the alias gone, v1 can be deleted.
    h.ok(
        "DeleteStateMachineVersion",
        json!({"stateMachineVersionArn": v1}),
    )
    .await;
}

#[tokio::test]
async fn alias_errors() {
    let h = Harness::start().await;
    let arn = h.create("alerr", "EXPRESS").await;
    let published = h
        .ok(
            "PublishStateMachineVersion",
            json!({"stateMachineArn": arn}),
        )
        .await;
    let v1 = published["stateMachineVersionArn"]
        .as_str()
        .expect("v1")
        .to_owned();
    let route = |weight: i64| json!([{"stateMachineVersionArn": v1, "weight": weight}]);
    for (body, status, code) in [
        (
            json!({"name": "A", "routingConfiguration": route(60)}),
            400,
            "ValidationException",
        ),
        (
            json!({"name": "A", "routingConfiguration": route(101)}),
            400,
            "ValidationException",
        ),
        (
            json!({"name": "A", "routingConfiguration": []}),
            400,
            "ValidationException",
        ),
        (
            json!({"name": "12", "routingConfiguration": route(100)}),
            400,
            "ValidationException",
        ),
        (json!({"name": "A"}), 400, "ValidationException"),
        (
            json!({"name": "A", "routingConfiguration":
                [{"stateMachineVersionArn": format!("{arn}:9"), "weight": 100}]}),
            404,
            "ResourceNotFound",
        ),
        (
            json!({"name": "A", "routingConfiguration":
                [{"stateMachineVersionArn": arn, "weight": 100}]}),
            400,
            "ValidationException",
        ),
        (
            json!({"name": "A", "routingConfiguration":
                [{"stateMachineVersionArn": "bad", "weight": 100}]}),
            400,
            "InvalidArn",
        ),
    ] {
        let reply = h.call("CreateStateMachineAlias", body.clone()).await;
        assert_error(&reply, status, code, None);
    }
    let missing_alias = format!("{arn}:nobody");
    for op in ["DescribeStateMachineAlias", "DeleteStateMachineAlias"] {
        let reply = h
            .call(op, json!({"stateMachineAliasArn": missing_alias}))
            .await;
        assert_error(&reply, 404, "ResourceNotFound", None);
        let reply = h.call(op, json!({"stateMachineAliasArn": "x"})).await;
        assert_error(&reply, 400, "InvalidArn", None);
    }
    let reply = h
        .call(
            "UpdateStateMachineAlias",
            json!({"stateMachineAliasArn": missing_alias, "description": "d"}),
        )
        .await;
    assert_error(&reply, 404, "ResourceNotFound", None);
    let reply = h
        .call(
            "ListStateMachineAliases",
            json!({"stateMachineArn": format!("{PREFIX}nope")}),
        )
        .await;
    assert_error(&reply, 400, "StateMachineDoesNotExist", None);
}

/// A Pass, a Task (a registered handler) and a Succeed state.
const WITH_TASK: &str = r#"{"StartAt":"P","States":{
  "P":{"Type":"Pass","Result":{"n":1},"Next":"T"},
  "T":{"Type":"Task","Resource":"arn:aws:states:::my:double","Next":"S"},
  "S":{"Type":"Succeed"}}}"#;

async fn with_task() -> Harness {
    let mut tasks = Tasks::new();
    // The handler answers `{"n": 2}` whatever its input.
    tasks.register_fn("arn:aws:states:::my:double", |_| async move {
        Ok(expressway::json::parse(r#"{"n":2}"#).expect("json"))
    });
    Harness::start_engine(Engine::new(tasks), Config::default()).await
}

#[tokio::test]
async fn execution_history_is_numbered_as_aws_numbers_it() {
    let h = with_task().await;
    for kind in ["EXPRESS", "STANDARD"] {
        let name = format!("hist{kind}");
        h.ok(
            "CreateStateMachine",
            json!({"name": name, "definition": WITH_TASK, "roleArn": ROLE, "type": kind}),
        )
        .await;
        let started = h
            .ok(
                "StartExecution",
                json!({"stateMachineArn": format!("{PREFIX}{name}"), "input": "{\"a\":1}"}),
            )
            .await;
        let exec = started["executionArn"].as_str().expect("arn").to_owned();
        let d = wait_done(&h, &exec).await;
        assert_eq!(d["status"], "SUCCEEDED", "{d}");
        let history = h
            .ok("GetExecutionHistory", json!({"executionArn": exec}))
            .await;
        let events = history["events"].as_array().expect("events");
        let kinds: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
        assert_eq!(
            kinds,
            [
                "ExecutionStarted",
                "PassStateEntered",
                "PassStateExited",
                "TaskStateEntered",
                "TaskScheduled",
                "TaskStarted",
                "TaskSucceeded",
                "TaskStateExited",
                "SucceedStateEntered",
                "SucceedStateExited",
                "ExecutionSucceeded"
            ],
            "{history}"
        );
        let ids: Vec<u64> = events.iter().filter_map(|e| e["id"].as_u64()).collect();
        assert_eq!(ids, (1..=11).collect::<Vec<_>>());
        let previous: Vec<u64> = events
            .iter()
            .filter_map(|e| e["previousEventId"].as_u64())
            .collect();
        assert_eq!(previous, [0, 0, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        assert!(events.iter().all(|e| e["timestamp"].is_f64()));
        assert_eq!(
            events[0]["executionStartedEventDetails"]["input"],
            "{\"a\":1}"
        );
        assert_eq!(events[0]["executionStartedEventDetails"]["roleArn"], ROLE);
        assert_eq!(events[1]["stateEnteredEventDetails"]["name"], "P");
        assert_eq!(events[2]["stateExitedEventDetails"]["output"], "{\"n\":1}");
        assert_eq!(events[4]["taskScheduledEventDetails"]["resource"], "double");
        assert_eq!(
            events[6]["taskSucceededEventDetails"]["output"],
            "{\"n\":2}"
        );
        assert_eq!(
            events[10]["executionSucceededEventDetails"]["output"],
            "{\"n\":2}"
        );
        // reverseOrder, maxResults and nextToken.
        let first = h
            .ok(
                "GetExecutionHistory",
                json!({"executionArn": exec, "reverseOrder": true, "maxResults": 4}),
            )
            .await;
        assert_eq!(first["events"][0]["type"], "ExecutionSucceeded");
        assert_eq!(first["events"].as_array().map(Vec::len), Some(4));
        let token = first["nextToken"].as_str().expect("token");
        let second = h
            .ok(
                "GetExecutionHistory",
                json!({"executionArn": exec, "reverseOrder": true, "maxResults": 4, "nextToken": token}),
            )
            .await;
        assert_eq!(second["events"][0]["id"], 7);
        // includeExecutionData: false leaves the data out.
        let bare = h
            .ok(
                "GetExecutionHistory",
                json!({"executionArn": exec, "includeExecutionData": false}),
            )
            .await;
        assert!(bare["events"][0]["executionStartedEventDetails"]
            .get("input")
            .is_none());
        assert_eq!(
            bare["events"][0]["executionStartedEventDetails"]["roleArn"],
            ROLE
        );
        assert!(bare["events"][2]["stateExitedEventDetails"]
            .get("output")
            .is_none());
        assert_eq!(bare["events"][2]["stateExitedEventDetails"]["name"], "P");
    }
}

#[tokio::test]
async fn failed_execution_history_and_redrive() {
    let h = Harness::start().await;
    let fail = r#"{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Boom","Cause":"because"}}}"#;
    for kind in ["EXPRESS", "STANDARD"] {
        let name = format!("fail{kind}");
        h.ok(
            "CreateStateMachine",
            json!({"name": name, "definition": fail, "roleArn": ROLE, "type": kind}),
        )
        .await;
        let started = h
            .ok(
                "StartExecution",
                json!({"stateMachineArn": format!("{PREFIX}{name}")}),
            )
            .await;
        let exec = started["executionArn"].as_str().expect("arn").to_owned();
        assert_eq!(wait_done(&h, &exec).await["status"], "FAILED");
        let history = h
            .ok(
                "GetExecutionHistory",
                json!({"executionArn": exec, "reverseOrder": true}),
            )
            .await;
        let last = &history["events"][0];
        assert_eq!(last["type"], "ExecutionFailed");
        assert_eq!(last["executionFailedEventDetails"]["error"], "Boom");
        assert_eq!(last["executionFailedEventDetails"]["cause"], "because");
        let reply = h
            .call("RedriveExecution", json!({"executionArn": exec}))
            .await;
        if kind == "EXPRESS" {
            assert_error(
                &reply,
                400,
                "InvalidArn",
                Some("Invalid Arn: 'Resource type not valid in this context: express'"),
            );
        } else {
            assert_error(&reply, 400, "ExecutionNotRedrivable", None);
        }
    }
}

#[tokio::test]
async fn execution_operations_on_unknown_or_bad_arns() {
    let h = Harness::start().await;
    let unknown = "arn:aws:states:us-east-1:123456789012:execution:m:nope";
    for op in [
        "GetExecutionHistory",
        "DescribeStateMachineForExecution",
        "RedriveExecution",
    ] {
        let reply = h.call(op, json!({"executionArn": unknown})).await;
        assert_error(
            &reply,
            400,
            "ExecutionDoesNotExist",
            Some(&format!("Execution Does Not Exist: '{unknown}'")),
        );
        let reply = h.call(op, json!({"executionArn": "nope"})).await;
        assert_error(&reply, 400, "InvalidArn", None);
        let reply = h.call(op, json!({})).await;
        assert_error(&reply, 400, "ValidationException", None);
    }
    // A synchronous execution is not retained: no history.
    let arn = h.create("sync", "EXPRESS").await;
    let out = h
        .ok("StartSyncExecution", json!({"stateMachineArn": arn}))
        .await;
    let reply = h
        .call(
            "GetExecutionHistory",
            json!({"executionArn": out["executionArn"]}),
        )
        .await;
    assert_error(&reply, 400, "ExecutionDoesNotExist", None);
    let reply = h
        .call(
            "GetExecutionHistory",
            json!({"executionArn": unknown, "maxResults": 1001}),
        )
        .await;
    assert_error(&reply, 400, "ValidationException", None);
}

#[tokio::test]
async fn map_and_parallel_history_events_carry_their_details() {
    let h = Harness::start().await;
    let definition = r#"{"StartAt":"M","States":{
      "M":{"Type":"Map","ItemsPath":"$.items","Iterator":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"Next":"Par"},
      "Par":{"Type":"Parallel","Branches":[{"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}}],"End":true}}}"#;
    h.ok(
        "CreateStateMachine",
        json!({"name": "mp", "definition": definition, "roleArn": ROLE, "type": "EXPRESS"}),
    )
    .await;
    let started = h
        .ok(
            "StartExecution",
            json!({"stateMachineArn": format!("{PREFIX}mp"), "input": "{\"items\":[1,2]}"}),
        )
        .await;
    let exec = started["executionArn"].as_str().expect("arn").to_owned();
    assert_eq!(wait_done(&h, &exec).await["status"], "SUCCEEDED");
    let history = h
        .ok("GetExecutionHistory", json!({"executionArn": exec}))
        .await;
    let events = history["events"].as_array().expect("events");
    let of = |kind: &str| -> Vec<&Json> { events.iter().filter(|e| e["type"] == kind).collect() };
    assert_eq!(
        of("MapStateStarted")[0]["mapStateStartedEventDetails"],
        json!({"length": 2})
    );
    let iterations = of("MapIterationStarted");
    assert_eq!(iterations.len(), 2, "{history}");
    assert_eq!(
        iterations[1]["mapIterationStartedEventDetails"],
        json!({"name": "M", "index": 1})
    );
    assert_eq!(of("MapStateSucceeded").len(), 1);
    let parallel = of("ParallelStateStarted");
    assert_eq!(parallel.len(), 1);
    // No details member for these types (botocore has none).
    assert_eq!(parallel[0].as_object().map(|o| o.len()), Some(4));
    assert_eq!(of("ParallelStateSucceeded").len(), 1);
    // Ids are consecutive and each event follows an earlier one.
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["id"].as_u64(), Some(i as u64 + 1));
        assert!(e["previousEventId"].as_u64() < e["id"].as_u64());
    }
}
