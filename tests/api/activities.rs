//! Activities on the real router: the five operations and their errors,
//! activity Tasks answered by workers (FIFO, long poll, heartbeats,
//! timeouts, deletion).

use std::time::Duration;

use serde_json::{json, Value as Json};

use crate::harness::{assert_error, Harness, ROLE};
use expressway::api::Config;

const ACTIVITY: &str = "arn:aws:states:us-east-1:123456789012:activity:";

async fn short_poll() -> Harness {
    Harness::start_with(Config {
        activity_poll: Duration::from_millis(300),
        ..Config::default()
    })
    .await
}

/// A machine with one activity Task on `activity`, with extra Task fields.
async fn machine(h: &Harness, name: &str, activity: &str, extra: Json) -> String {
    let mut task =
        json!({"Type": "Task", "Resource": format!("{ACTIVITY}{activity}"), "End": true});
    if let (Some(t), Some(e)) = (task.as_object_mut(), extra.as_object()) {
        t.extend(e.clone());
    }
    let def = json!({"StartAt": "Work", "States": {"Work": task}}).to_string();
    let body = h
        .ok(
            "CreateStateMachine",
            json!({"name": name, "definition": def, "roleArn": ROLE, "type": "EXPRESS"}),
        )
        .await;
    body["stateMachineArn"].as_str().expect("arn").to_owned()
}

/// Runs StartSyncExecution on its own task.
fn run_sync(h: &Harness, arn: &str, input: &str) -> tokio::task::JoinHandle<Json> {
    let h = Harness {
        url: h.url.clone(),
        client: h.client.clone(),
    };
    let body = json!({"stateMachineArn": arn, "input": input});
    tokio::spawn(async move { h.ok("StartSyncExecution", body).await })
}

async fn poll(h: &Harness, activity: &str) -> Json {
    h.ok(
        "GetActivityTask",
        json!({"activityArn": format!("{ACTIVITY}{activity}"), "workerName": "w1"}),
    )
    .await
}

#[tokio::test]
async fn activity_operations_and_errors() {
    let h = short_poll().await;
    let created = h
        .ok(
            "CreateActivity",
            json!({"name": "work", "tags": [{"key": "k", "value": "v"}]}),
        )
        .await;
    assert_eq!(created["activityArn"], format!("{ACTIVITY}work"));
    assert!(created["creationDate"].is_f64());
    // Idempotent by name, other tags ignored.
    let again = h
        .ok("CreateActivity", json!({"name": "work", "tags": []}))
        .await;
    assert_eq!(again, created);
    let described = h
        .ok(
            "DescribeActivity",
            json!({"activityArn": format!("{ACTIVITY}work")}),
        )
        .await;
    assert_eq!(described["name"], "work");
    assert_eq!(described["creationDate"], created["creationDate"]);

    for name in ["b", "c", "d"] {
        h.ok("CreateActivity", json!({"name": name})).await;
    }
    let page = h.ok("ListActivities", json!({"maxResults": 3})).await;
    let names: Vec<&str> = page["activities"]
        .as_array()
        .expect("activities")
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert_eq!(names, ["work", "b", "c"]);
    let rest = h
        .ok(
            "ListActivities",
            json!({"maxResults": 3, "nextToken": page["nextToken"]}),
        )
        .await;
    assert_eq!(rest["activities"][0]["name"], "d");
    assert!(rest.get("nextToken").is_none());
    let reply = h
        .call("ListActivities", json!({"nextToken": "bogus"}))
        .await;
    assert_error(&reply, 400, "InvalidToken", None);

    let reply = h.call("CreateActivity", json!({"name": "a b"})).await;
    assert_error(&reply, 400, "InvalidName", Some("Invalid Name: 'a b'"));
    let reply = h.call("CreateActivity", json!({})).await;
    assert_error(&reply, 400, "ValidationException", None);
    let reply = h
        .call("DescribeActivity", json!({"activityArn": "not-an-arn"}))
        .await;
    assert_error(&reply, 400, "InvalidArn", None);
    let machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:x";
    let reply = h
        .call("GetActivityTask", json!({"activityArn": machine_arn}))
        .await;
    assert_error(&reply, 400, "InvalidArn", None);

    h.ok(
        "DeleteActivity",
        json!({"activityArn": format!("{ACTIVITY}work")}),
    )
    .await;
    let gone = format!("{ACTIVITY}work");
    let reply = h
        .call("DescribeActivity", json!({"activityArn": gone}))
        .await;
    let message = format!("Activity Does Not Exist: '{gone}'");
    assert_error(&reply, 400, "ActivityDoesNotExist", Some(&message));
    let reply = h
        .call("GetActivityTask", json!({"activityArn": gone}))
        .await;
    assert_error(&reply, 400, "ActivityDoesNotExist", None);
    // Deleting again is not an error.
    h.ok("DeleteActivity", json!({"activityArn": gone})).await;
}

#[tokio::test]
async fn get_activity_task_long_poll_ends_empty() {
    let h = short_poll().await;
    h.ok("CreateActivity", json!({"name": "idle"})).await;
    let began = std::time::Instant::now();
    let reply = poll(&h, "idle").await;
    assert_eq!(reply, json!({}));
    assert!(began.elapsed() >= Duration::from_millis(250));
}

#[tokio::test]
async fn workers_answer_activity_tasks_in_fifo_order() {
    let h = short_poll().await;
    h.ok("CreateActivity", json!({"name": "fifo"})).await;
    let arn = machine(&h, "fifo-m", "fifo", json!({"ResultPath": "$.r"})).await;
    let first = run_sync(&h, &arn, r#"{"n":1}"#);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let second = run_sync(&h, &arn, r#"{"n":2}"#);
    tokio::time::sleep(Duration::from_millis(100)).await;

    let t1 = poll(&h, "fifo").await;
    let t2 = poll(&h, "fifo").await;
    assert_eq!(t1["input"], r#"{"n":1}"#);
    assert_eq!(t2["input"], r#"{"n":2}"#);
    assert_ne!(t1["taskToken"], t2["taskToken"]);
    // Answer out of order: each execution gets its own answer.
    h.ok(
        "SendTaskFailure",
        json!({"taskToken": t2["taskToken"], "error": "Declined", "cause": "no"}),
    )
    .await;
    h.ok(
        "SendTaskSuccess",
        json!({"taskToken": t1["taskToken"], "output": "{\"ok\":true}"}),
    )
    .await;
    let out1 = first.await.expect("join");
    assert_eq!(out1["status"], "SUCCEEDED");
    assert_eq!(out1["output"], r#"{"n":1,"r":{"ok":true}}"#);
    let out2 = second.await.expect("join");
    assert_eq!(out2["status"], "FAILED");
    assert_eq!(out2["error"], "Declined");
    assert_eq!(out2["cause"], "no");
    // The tokens are spent.
    let reply = h
        .call(
            "SendTaskSuccess",
            json!({"taskToken": t1["taskToken"], "output": "{}"}),
        )
        .await;
    assert_error(&reply, 400, "TaskTimedOut", None);
}

#[tokio::test]
async fn heartbeat_clock_starts_when_a_worker_gets_the_task() {
    let h = short_poll().await;
    h.ok("CreateActivity", json!({"name": "beat"})).await;
    let extra = json!({"HeartbeatSeconds": 1, "TimeoutSeconds": 20});
    let arn = machine(&h, "beat-m", "beat", extra).await;
    let run = run_sync(&h, &arn, "{}");
    // Longer than HeartbeatSeconds in the queue: not a missed heartbeat.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let task = poll(&h, "beat").await;
    let token = task["taskToken"].as_str().expect("token").to_owned();
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        h.ok("SendTaskHeartbeat", json!({"taskToken": token})).await;
    }
    // Then silence past HeartbeatSeconds.
    let out = run.await.expect("join");
    assert_eq!(out["status"], "FAILED");
    assert_eq!(out["error"], "States.HeartbeatTimeout");
    let reply = h
        .call("SendTaskHeartbeat", json!({"taskToken": token}))
        .await;
    assert_error(&reply, 400, "TaskTimedOut", None);
}

#[tokio::test]
async fn an_activity_task_nobody_takes_times_out() {
    let h = short_poll().await;
    h.ok("CreateActivity", json!({"name": "slow"})).await;
    let arn = machine(&h, "slow-m", "slow", json!({"TimeoutSeconds": 1})).await;
    let out = run_sync(&h, &arn, "{}").await.expect("join");
    assert_eq!(out["status"], "FAILED");
    assert_eq!(out["error"], "States.Timeout");
    // The timed-out task is not handed out afterwards.
    assert_eq!(poll(&h, "slow").await, json!({}));
}

#[tokio::test]
async fn missing_or_deleted_activity_is_a_runtime_error() {
    let h = short_poll().await;
    let arn = machine(&h, "none-m", "none", json!({})).await;
    let out = run_sync(&h, &arn, "{}").await.expect("join");
    assert_eq!(out["status"], "FAILED");
    assert_eq!(out["error"], "States.Runtime");
    assert_eq!(
        out["cause"],
        format!("An error occurred while executing the state 'Work' (entered at the event id #2). The activity {ACTIVITY}none does not exist.")
    );

    h.ok("CreateActivity", json!({"name": "doomed"})).await;
    let arn = machine(&h, "doomed-m", "doomed", json!({"TimeoutSeconds": 20})).await;
    let run = run_sync(&h, &arn, "{}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    h.ok(
        "DeleteActivity",
        json!({"activityArn": format!("{ACTIVITY}doomed")}),
    )
    .await;
    let out = tokio::time::timeout(Duration::from_secs(5), run)
        .await
        .expect("the execution ends when its activity is deleted")
        .expect("join");
    assert_eq!(out["error"], "States.Runtime");
}
