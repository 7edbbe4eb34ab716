//! Several instances, one service (issue 13): `serve --cluster` against a
//! real `redis-server` on a free loopback port, with two or three
//! instances.
//!
//! Without `redis-server` on PATH the tests skip with a message, unless
//! `CI` is set: then they fail (`.ci/run` installs Debian's `redis-server`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

mod common;
use common::redis::{free_port, redis_available, wait_for_port, Redis};

const BIN: &str = env!("CARGO_BIN_EXE_expressway");
const ACCOUNT_ARN: &str = "arn:aws:states:us-east-1:123456789012";
const ROLE: &str = "arn:aws:iam::123456789012:role/r";

fn temp_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("expressway-cluster-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// One `expressway serve --cluster` instance; killed when dropped.
struct Node {
    port: u16,
    child: Option<Child>,
    http: reqwest::Client,
}

impl Node {
    fn start(redis: &Redis, id: &str, dir: &Path) -> Node {
        Node::start_with(redis, id, dir, &[])
    }

    /// An instance with `extra` flags.
    fn start_with(redis: &Redis, id: &str, dir: &Path, extra: &[&str]) -> Node {
        let port = free_port();
        let empty = dir.join("definitions");
        std::fs::create_dir_all(&empty).expect("definitions dir");
        let log = std::fs::File::create(dir.join(format!("{id}.log"))).expect("log file");
        let mut child = Command::new(BIN)
            .args(["serve", "--port", &port.to_string(), "--definitions"])
            .arg(&empty)
            .args(["--cluster", &redis.url(), "--node-id", id])
            .args(["--cluster-reclaim-margin-ms", "300"])
            .args(extra)
            .env_remove("SFN_MOCK_CONFIG")
            .env_remove("EXPRESSWAY_CLUSTER_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("expressway serve starts");
        wait_for_port(port, &mut child, "expressway serve");
        // Ours, not another server that had the port.
        let listening = format!("listening on http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !std::fs::read_to_string(dir.join(format!("{id}.log")))
            .is_ok_and(|l| l.contains(&listening))
        {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("expressway serve exited with {status}");
            }
            assert!(Instant::now() < deadline, "expressway serve did not listen");
            std::thread::sleep(Duration::from_millis(10));
        }
        Node {
            port,
            child: Some(child),
            http: reqwest::Client::new(),
        }
    }

    /// kill -9.
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Calls the operation `op`: the HTTP status and the JSON body.
    async fn call(&self, op: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("http://127.0.0.1:{}/", self.port))
            .header("X-Amz-Target", format!("AWSStepFunctions.{op}"))
            .header("Content-Type", "application/x-amz-json-1.0")
            .body(body.to_string())
            .send()
            .await
            .expect("the instance answers");
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body)
    }

    async fn ok(&self, op: &str, body: Value) -> Value {
        let (status, body) = self.call(op, body).await;
        assert_eq!(status, 200, "{op}: {body}");
        body
    }

    /// `GET path`: the HTTP status and the JSON body.
    async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .http
            .get(format!("http://127.0.0.1:{}{path}", self.port))
            .send()
            .await
            .expect("the instance answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn metric(&self, name: &str) -> f64 {
        let text = self
            .http
            .get(format!("http://127.0.0.1:{}/metrics", self.port))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics text");
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or(0.0)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

fn machine_arn(name: &str) -> String {
    format!("{ACCOUNT_ARN}:stateMachine:{name}")
}

fn pass(result: &str) -> String {
    json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": result, "End": true}}})
        .to_string()
}

/// Polls `check` every 10 ms until it holds; how long that took. Panics
/// after `limit`.
async fn within<F, Fut>(limit: Duration, what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let began = Instant::now();
    loop {
        if check().await {
            return began.elapsed();
        }
        assert!(began.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn sync_output(node: &Node, name: &str) -> Option<String> {
    let (status, body) = node
        .call(
            "StartSyncExecution",
            json!({"stateMachineArn": machine_arn(name), "input": "{}"}),
        )
        .await;
    (status == 200 && body["status"] == "SUCCEEDED")
        .then(|| body["output"].as_str().unwrap_or_default().to_owned())
}

/// Guarantee 1: a create, update, tag and delete on any instance is seen by
/// every instance within 1 s, and the machine starts there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_registry_across_three_instances() {
    if !redis_available() {
        return;
    }
    let dir = temp_dir("registry");
    let redis = Redis::start(&dir);
    let nodes = [
        Node::start(&redis, "a", &dir),
        Node::start(&redis, "b", &dir),
        Node::start(&redis, "c", &dir),
    ];
    let [a, b, c] = &nodes;
    let second = Duration::from_secs(1);

    a.ok(
        "CreateStateMachine",
        json!({"name": "reg", "roleArn": ROLE, "type": "EXPRESS", "definition": pass("v1")}),
    )
    .await;
    for n in [b, c] {
        let took = within(second, "created on a, visible", || async {
            sync_output(n, "reg").await.as_deref() == Some("\"v1\"")
        })
        .await;
        eprintln!("create visible on another instance after {took:?}");
    }

    b.ok(
        "UpdateStateMachine",
        json!({"stateMachineArn": machine_arn("reg"), "definition": pass("v2")}),
    )
    .await;
    for n in [a, c] {
        within(second, "updated on b, runs the new version", || async {
            sync_output(n, "reg").await.as_deref() == Some("\"v2\"")
        })
        .await;
    }

    c.ok(
        "TagResource",
        json!({"resourceArn": machine_arn("reg"), "tags": [{"key": "team", "value": "pay"}]}),
    )
    .await;
    within(second, "tagged on c, listed on a", || async {
        let tags = a
            .ok(
                "ListTagsForResource",
                json!({"resourceArn": machine_arn("reg")}),
            )
            .await;
        tags["tags"] == json!([{"key": "team", "value": "pay"}])
    })
    .await;

    a.ok(
        "DeleteStateMachine",
        json!({"stateMachineArn": machine_arn("reg")}),
    )
    .await;
    for n in [b, c] {
        within(second, "deleted on a, gone", || async {
            let (status, body) = n
                .call(
                    "DescribeStateMachine",
                    json!({"stateMachineArn": machine_arn("reg")}),
                )
                .await;
            status == 400
                && body["__type"]
                    .as_str()
                    .is_some_and(|t| t.ends_with("#StateMachineDoesNotExist"))
        })
        .await;
    }
    // Read-your-writes across instances: a machine created on one instance
    // starts at once on another (read from Redis before it is announced).
    a.ok(
        "CreateStateMachine",
        json!({"name": "now", "roleArn": ROLE, "type": "EXPRESS", "definition": pass("n")}),
    )
    .await;
    assert_eq!(sync_output(b, "now").await.as_deref(), Some("\"n\""));

    // Membership: every instance heartbeats, each sees three members.
    within(Duration::from_secs(3), "three members", || async {
        a.metric("expressway_cluster_members").await == 3.0
            && c.metric("expressway_cluster_redis_up").await == 1.0
    })
    .await;
    // An identical create on another instance is a repeat, not a conflict:
    // `serve --definitions` on every instance converges on one registry.
    let spec = json!({"name": "same", "roleArn": ROLE, "type": "EXPRESS", "definition": pass("s")});
    let first = a.ok("CreateStateMachine", spec.clone()).await;
    let again = c.ok("CreateStateMachine", spec).await;
    assert_eq!(first["creationDate"], again["creationDate"]);
    drop(nodes);
    drop(redis);
    std::fs::remove_dir_all(&dir).ok();
}

/// Starts `arn` (a version or alias ARN) synchronously: the output.
async fn sync_output_of(node: &Node, arn: &str) -> Option<String> {
    let (status, body) = node
        .call(
            "StartSyncExecution",
            json!({"stateMachineArn": arn, "input": "{}"}),
        )
        .await;
    (status == 200 && body["status"] == "SUCCEEDED")
        .then(|| body["output"].as_str().unwrap_or_default().to_owned())
}

/// Versions and aliases are in the one registry: published, created,
/// updated or deleted on any instance, visible on every instance within
/// 1 s; a start through a version or alias ARN runs that version on any
/// instance (synchronous and asynchronous); numbers are never reused; an
/// alias's version cannot be deleted from any instance; a deleted machine's
/// versions are gone everywhere. ListExecutions lists the asynchronous
/// starts made on every instance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_and_aliases_across_instances() {
    if !redis_available() {
        return;
    }
    let dir = temp_dir("versions");
    let redis = Redis::start(&dir);
    let nodes = [
        Node::start(&redis, "a", &dir),
        Node::start(&redis, "b", &dir),
        Node::start(&redis, "c", &dir),
    ];
    let [a, b, c] = &nodes;
    let second = Duration::from_secs(1);
    let arn = machine_arn("ver");
    let (v1, v2, v3) = (format!("{arn}:1"), format!("{arn}:2"), format!("{arn}:3"));
    let alias = format!("{arn}:live");

    let created = a
        .ok(
            "CreateStateMachine",
            json!({"name": "ver", "roleArn": ROLE, "type": "STANDARD",
                   "definition": pass("one"), "publish": true}),
        )
        .await;
    assert_eq!(created["stateMachineVersionArn"], v1.as_str());
    b.ok(
        "UpdateStateMachine",
        json!({"stateMachineArn": arn, "definition": pass("two")}),
    )
    .await;
    // Published on c right after b's update: the current revision, v2.
    let published = c
        .ok(
            "PublishStateMachineVersion",
            json!({"stateMachineArn": arn}),
        )
        .await;
    assert_eq!(published["stateMachineVersionArn"], v2.as_str());
    // Published again on a: the same revision, the same version.
    let again = a
        .ok(
            "PublishStateMachineVersion",
            json!({"stateMachineArn": arn}),
        )
        .await;
    assert_eq!(again["stateMachineVersionArn"], v2.as_str());
    for n in [a, b, c] {
        within(second, "both versions listed", || async {
            let listed = n
                .ok("ListStateMachineVersions", json!({"stateMachineArn": arn}))
                .await;
            listed["stateMachineVersions"]
                .as_array()
                .is_some_and(|v| v.len() == 2)
        })
        .await;
    }

    a.ok(
        "CreateStateMachineAlias",
        json!({"name": "live", "routingConfiguration": [{"stateMachineVersionArn": v1, "weight": 100}]}),
    )
    .await;
    for n in [b, c] {
        within(second, "alias created on a, described", || async {
            n.call(
                "DescribeStateMachineAlias",
                json!({"stateMachineAliasArn": alias}),
            )
            .await
            .0 == 200
        })
        .await;
    }
    // A STANDARD machine: asynchronous starts through the alias on b and
    // the version on c run the version's definition, described anywhere.
    let by_alias = b
        .ok("StartExecution", json!({"stateMachineArn": alias}))
        .await;
    let by_version = c.ok("StartExecution", json!({"stateMachineArn": v2})).await;
    for (started, output, version) in [(&by_alias, "\"one\"", &v1), (&by_version, "\"two\"", &v2)] {
        within(Duration::from_secs(5), "it ran that version", || async {
            let d = a
                .ok(
                    "DescribeExecution",
                    json!({"executionArn": started["executionArn"]}),
                )
                .await;
            d["status"] == "SUCCEEDED"
                && d["output"] == output
                && d["stateMachineVersionArn"] == version.as_str()
        })
        .await;
    }
    let described = a
        .ok(
            "DescribeExecution",
            json!({"executionArn": by_alias["executionArn"]}),
        )
        .await;
    assert_eq!(
        described["stateMachineAliasArn"],
        alias.as_str(),
        "{described}"
    );
    let listed = a
        .ok("ListExecutions", json!({"stateMachineArn": arn}))
        .await;
    let listed: Vec<&str> = listed["executions"]
        .as_array()
        .expect("executions")
        .iter()
        .filter_map(|e| e["executionArn"].as_str())
        .collect();
    for started in [&by_alias, &by_version] {
        assert!(
            listed.contains(&started["executionArn"].as_str().expect("arn")),
            "{listed:?}"
        );
    }

    // The alias moves to v2 on c: every instance routes there.
    c.ok(
        "UpdateStateMachineAlias",
        json!({"stateMachineAliasArn": alias,
               "routingConfiguration": [{"stateMachineVersionArn": v2, "weight": 100}]}),
    )
    .await;
    // An EXPRESS machine for synchronous starts through versions and
    // aliases.
    b.ok(
        "CreateStateMachine",
        json!({"name": "fast", "roleArn": ROLE, "type": "EXPRESS",
               "definition": pass("f1"), "publish": true}),
    )
    .await;
    let fast = machine_arn("fast");
    a.ok(
        "CreateStateMachineAlias",
        json!({"name": "now", "routingConfiguration": [{"stateMachineVersionArn": format!("{fast}:1"), "weight": 100}]}),
    )
    .await;
    // Right after (read from Redis before the announcement arrives).
    assert_eq!(
        sync_output_of(c, &format!("{fast}:now")).await.as_deref(),
        Some("\"f1\"")
    );
    for n in [a, b, c] {
        within(second, "the alias moved", || async {
            let d = n
                .ok(
                    "DescribeStateMachineAlias",
                    json!({"stateMachineAliasArn": alias}),
                )
                .await;
            d["routingConfiguration"][0]["stateMachineVersionArn"] == v2.as_str()
        })
        .await;
        assert_eq!(
            sync_output_of(n, &format!("{fast}:1")).await.as_deref(),
            Some("\"f1\"")
        );
    }

    // v2 is routed: no instance deletes it; v1 is not: deleted on b, gone
    // everywhere; the next version is 3 (numbers are never reused).
    let (status, body) = a
        .call(
            "DeleteStateMachineVersion",
            json!({"stateMachineVersionArn": v2}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    b.ok(
        "DeleteStateMachineVersion",
        json!({"stateMachineVersionArn": v1}),
    )
    .await;
    for n in [a, c] {
        within(second, "v1 deleted everywhere", || async {
            n.call("StartExecution", json!({"stateMachineArn": v1}))
                .await
                .0
                == 400
        })
        .await;
    }
    c.ok(
        "UpdateStateMachine",
        json!({"stateMachineArn": arn, "definition": pass("three"), "publish": true}),
    )
    .await;
    let listed = a
        .ok("ListStateMachineVersions", json!({"stateMachineArn": arn}))
        .await;
    assert_eq!(
        listed["stateMachineVersions"][0]["stateMachineVersionArn"],
        v3.as_str(),
        "{listed}"
    );

    // Deleting the machine on a forgets its versions and aliases everywhere.
    a.ok("DeleteStateMachine", json!({"stateMachineArn": arn}))
        .await;
    for n in [b, c] {
        within(second, "versions gone", || async {
            let (_, body) = n
                .call(
                    "DescribeStateMachineAlias",
                    json!({"stateMachineAliasArn": alias}),
                )
                .await;
            body["__type"]
                .as_str()
                .is_some_and(|t| t.ends_with("#ResourceNotFound"))
        })
        .await;
    }
    assert_eq!(redis.cli(&["HEXISTS", "expressway:versioned", &arn]), "0");
    drop(nodes);
    drop(redis);
    std::fs::remove_dir_all(&dir).ok();
}

/// A start made through an alias whose instance dies is run again on
/// another instance with the version it was started with (not the alias's
/// routing of now, nor the machine's current definition), and
/// DescribeExecution there shows that version and the alias.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reclaimed_start_runs_the_version_it_was_started_with() {
    if !redis_available() {
        return;
    }
    let dir = temp_dir("reclaim-version");
    let redis = Redis::start(&dir);
    let mut a = Node::start(&redis, "a", &dir);
    let b = Node::start(&redis, "b", &dir);
    let slow = |result: &str| {
        json!({
            "TimeoutSeconds": 2,
            "StartAt": "W",
            "States": {
                "W": {"Type": "Wait", "Seconds": 1, "Next": "P"},
                "P": {"Type": "Pass", "Result": result, "End": true}
            }
        })
        .to_string()
    };
    let arn = machine_arn("pinned");
    a.ok(
        "CreateStateMachine",
        json!({"name": "pinned", "roleArn": ROLE, "type": "EXPRESS",
               "definition": slow("v1"), "publish": true}),
    )
    .await;
    a.ok(
        "CreateStateMachineAlias",
        json!({"name": "prod", "routingConfiguration": [{"stateMachineVersionArn": format!("{arn}:1"), "weight": 100}]}),
    )
    .await;
    let started = a
        .ok(
            "StartExecution",
            json!({"stateMachineArn": format!("{arn}:prod"), "name": "pinned-run"}),
        )
        .await;
    a.kill();
    // Meanwhile the machine changes and the alias moves to a new version.
    b.ok(
        "UpdateStateMachine",
        json!({"stateMachineArn": arn, "definition": slow("v2"), "publish": true}),
    )
    .await;
    b.ok(
        "UpdateStateMachineAlias",
        json!({"stateMachineAliasArn": format!("{arn}:prod"),
               "routingConfiguration": [{"stateMachineVersionArn": format!("{arn}:2"), "weight": 100}]}),
    )
    .await;
    within(Duration::from_secs(10), "run again on b", || async {
        let d = b
            .ok(
                "DescribeExecution",
                json!({"executionArn": started["executionArn"]}),
            )
            .await;
        d["status"] == "SUCCEEDED"
    })
    .await;
    let d = b
        .ok(
            "DescribeExecution",
            json!({"executionArn": started["executionArn"]}),
        )
        .await;
    assert_eq!(d["output"], "\"v1\"", "{d}");
    assert_eq!(
        d["stateMachineVersionArn"],
        format!("{arn}:1").as_str(),
        "{d}"
    );
    assert_eq!(
        d["stateMachineAliasArn"],
        format!("{arn}:prod").as_str(),
        "{d}"
    );
    assert_eq!(
        b.metric("expressway_cluster_starts_reclaimed_total").await,
        1.0
    );
    drop(b);
    drop(redis);
    std::fs::remove_dir_all(&dir).ok();
}

/// Guarantee 2: StartExecution answers once the start is in the stream;
/// when its instance is killed (-9) while it runs, another instance runs it
/// again after its deadline (TimeoutSeconds 2) plus the margin, with the
/// same ARN, and counts the duplicate; an ended execution is acknowledged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_whose_instance_died_runs_again_elsewhere() {
    if !redis_available() {
        return;
    }
    let dir = temp_dir("reclaim");
    let redis = Redis::start(&dir);
    let mut a = Node::start(&redis, "a", &dir);
    let b = Node::start(&redis, "b", &dir);
    let slow = json!({
        "TimeoutSeconds": 2,
        "StartAt": "W",
        "States": {
            "W": {"Type": "Wait", "Seconds": 1, "Next": "P"},
            "P": {"Type": "Pass", "Parameters": {"done.$": "$.n"}, "End": true}
        }
    });
    a.ok(
        "CreateStateMachine",
        json!({"name": "slow", "roleArn": ROLE, "type": "EXPRESS", "definition": slow.to_string()}),
    )
    .await;

    // An execution that ends is acknowledged: nothing stays pending.
    let done = b
        .ok(
            "StartExecution",
            json!({"stateMachineArn": machine_arn("slow"), "name": "ends", "input": "{\"n\":0}"}),
        )
        .await;
    let done_arn = done["executionArn"].as_str().expect("arn").to_owned();
    within(
        Duration::from_secs(5),
        "the execution on b ends",
        || async {
            let d = a
                .ok("DescribeExecution", json!({"executionArn": done_arn}))
                .await;
            d["status"] == "SUCCEEDED"
        },
    )
    .await;
    assert_eq!(
        redis.cli(&["XLEN", "expressway:starts"]),
        "0",
        "an ended start is deleted"
    );

    // Stopped on a while it runs on b: ABORTED everywhere, acknowledged,
    // and its end on b does not overwrite the stop.
    let running = b
        .ok(
            "StartExecution",
            json!({"stateMachineArn": machine_arn("slow"), "name": "stopped", "input": "{\"n\":1}"}),
        )
        .await;
    let stopped_arn = running["executionArn"].as_str().expect("arn").to_owned();
    a.ok(
        "StopExecution",
        json!({"executionArn": stopped_arn, "error": "Halt"}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    let stopped = b
        .ok("DescribeExecution", json!({"executionArn": stopped_arn}))
        .await;
    assert_eq!(stopped["status"], "ABORTED", "{stopped}");
    assert_eq!(stopped["error"], "Halt", "{stopped}");
    assert_eq!(redis.cli(&["XLEN", "expressway:starts"]), "0");

    // Accepted on a, a dies: b runs it again.
    let started = a
        .ok(
            "StartExecution",
            json!({"stateMachineArn": machine_arn("slow"), "name": "survivor", "input": "{\"n\":7}"}),
        )
        .await;
    let arn = started["executionArn"].as_str().expect("arn").to_owned();
    let pending = redis.cli(&["XPENDING", "expressway:starts", "runners"]);
    assert!(
        pending.starts_with('1') && pending.contains('a'),
        "answered after it was pending for a: {pending}"
    );
    a.kill();
    let before = b
        .ok("DescribeExecution", json!({"executionArn": arn}))
        .await;
    assert_eq!(before["status"], "RUNNING", "{before}");
    within(Duration::from_secs(2), "pending in b's gauge", || async {
        b.metric("expressway_cluster_starts_pending").await == 1.0
    })
    .await;
    let took = within(Duration::from_secs(15), "re-run on b", || async {
        let d = b
            .ok("DescribeExecution", json!({"executionArn": arn}))
            .await;
        d["status"] == "SUCCEEDED"
    })
    .await;
    eprintln!("the killed instance's start ended on another after {took:?}");
    let d = b
        .ok("DescribeExecution", json!({"executionArn": arn}))
        .await;
    assert_eq!(d["name"], "survivor");
    assert_eq!(d["output"], "{\"done\":7}");
    assert_eq!(d["startDate"], started["startDate"], "the same execution");
    assert_eq!(
        b.metric("expressway_cluster_starts_reclaimed_total").await,
        1.0
    );
    assert_eq!(redis.cli(&["XLEN", "expressway:starts"]), "0");
    drop(b);
    drop(redis);
    std::fs::remove_dir_all(&dir).ok();
}

/// Guarantee 7: with Redis gone, StartSyncExecution of a known machine
/// still runs, StartExecution is refused with ServiceUnavailable (never
/// accepted and lost), and the instance reconnects by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_redis_async_starts_are_refused_and_sync_runs() {
    if !redis_available() {
        return;
    }
    let dir = temp_dir("outage");
    let mut redis = Redis::start(&dir);
    let a = Node::start(&redis, "a", &dir);
    a.ok(
        "CreateStateMachine",
        json!({"name": "up", "roleArn": ROLE, "type": "EXPRESS", "definition": pass("ok")}),
    )
    .await;
    let start = json!({"stateMachineArn": machine_arn("up")});

    redis.stop();
    assert_eq!(sync_output(&a, "up").await.as_deref(), Some("\"ok\""));
    for _ in 0..3 {
        let (status, body) = a.call("StartExecution", start.clone()).await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(
            body["__type"], "com.amazon.coral.availability#ServiceUnavailable",
            "{body}"
        );
        assert!(body["message"]
            .as_str()
            .is_some_and(|m| m.contains("Redis")));
    }
    assert_eq!(sync_output(&a, "up").await.as_deref(), Some("\"ok\""));

    within(Duration::from_secs(3), "Redis down in /metrics", || async {
        a.metric("expressway_cluster_redis_up").await == 0.0
    })
    .await;

    redis.restart();
    within(Duration::from_secs(5), "accepted again", || async {
        a.call("StartExecution", start.clone()).await.0 == 200
    })
    .await;
    let started = a.ok("StartExecution", start.clone()).await;
    within(Duration::from_secs(5), "it ran", || async {
        let d = a
            .ok(
                "DescribeExecution",
                json!({"executionArn": started["executionArn"]}),
            )
            .await;
        d["status"] == "SUCCEEDED"
    })
    .await;
    drop(a);
    drop(redis);
    std::fs::remove_dir_all(&dir).ok();
}

/// Guarantee 7 at start-up: an instance started before its Redis accepts
/// connections listens at once, runs its definitions synchronously, refuses
/// asynchronous starts with ServiceUnavailable and says it is not ready;
/// once Redis is up it joins by itself: its definitions are written to the
/// registry, it sees the machines created elsewhere, becomes ready and
/// accepts asynchronous starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_started_before_redis_joins_when_it_is_up() {
    if !redis_available() {
        return;
    }
    let dir = temp_dir("early");
    let mut redis = Redis::reserve(&dir);
    let definitions = dir.join("definitions");
    std::fs::create_dir_all(&definitions).expect("definitions dir");
    std::fs::write(definitions.join("boot.asl.json"), pass("boot")).expect("definition");
    let a = Node::start(&redis, "a", &dir);
    assert_eq!(sync_output(&a, "boot").await.as_deref(), Some("\"boot\""));
    let (status, body) = a.get("/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert!(body["reasons"].to_string().contains("registry"), "{body}");
    let start = json!({"stateMachineArn": machine_arn("boot")});
    let (status, body) = a.call("StartExecution", start.clone()).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        body["__type"], "com.amazon.coral.availability#ServiceUnavailable",
        "{body}"
    );

    tokio::time::sleep(Duration::from_secs(1)).await;
    redis.restart();
    let b = Node::start(&redis, "b", &dir);
    b.ok(
        "CreateStateMachine",
        json!({"name": "later", "roleArn": ROLE, "type": "EXPRESS", "definition": pass("later")}),
    )
    .await;
    let took = within(Duration::from_secs(5), "a ready", || async {
        a.get("/readyz").await.0 == 200
    })
    .await;
    eprintln!("ready {took:?} after Redis started");
    within(Duration::from_secs(1), "a sees b's machine", || async {
        sync_output(&a, "later").await.as_deref() == Some("\"later\"")
    })
    .await;
    assert_eq!(
        redis.cli(&["HEXISTS", "expressway:machines", &machine_arn("boot")]),
        "1",
        "a's definition is in the registry"
    );
    within(Duration::from_secs(5), "async starts accepted", || async {
        a.call("StartExecution", start.clone()).await.0 == 200
    })
    .await;
    let started = a.ok("StartExecution", start.clone()).await;
    within(Duration::from_secs(5), "it ran, seen from b", || async {
        let d = b
            .ok(
                "DescribeExecution",
                json!({"executionArn": started["executionArn"]}),
            )
            .await;
        d["status"] == "SUCCEEDED"
    })
    .await;
    drop((a, b));
    drop(redis);
    std::fs::remove_dir_all(&dir).ok();
}

/// An accepted start survives a restart of every instance: the instance
/// that comes back with the same node id runs again what was pending for
/// it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepted_starts_survive_a_restart_of_every_instance() {
    if !redis_available() {
        return;
    }
    let dir = temp_dir("restart");
    let redis = Redis::start(&dir);
    let mut solo = Node::start(&redis, "solo", &dir);
    let slow = json!({
        "StartAt": "W",
        "States": {
            "W": {"Type": "Wait", "Seconds": 1, "Next": "P"},
            "P": {"Type": "Pass", "Result": "again", "End": true}
        }
    });
    solo.ok(
        "CreateStateMachine",
        json!({"name": "slow", "roleArn": ROLE, "type": "EXPRESS", "definition": slow.to_string()}),
    )
    .await;
    let started = solo
        .ok(
            "StartExecution",
            json!({"stateMachineArn": machine_arn("slow"), "name": "kept"}),
        )
        .await;
    solo.kill();
    let back = Node::start(&redis, "solo", &dir);
    within(
        Duration::from_secs(10),
        "run again after the restart",
        || async {
            let d = back
                .ok(
                    "DescribeExecution",
                    json!({"executionArn": started["executionArn"]}),
                )
                .await;
            d["status"] == "SUCCEEDED" && d["output"] == "\"again\""
        },
    )
    .await;
    assert_eq!(
        back.metric("expressway_cluster_starts_reclaimed_total")
            .await,
        1.0
    );
    drop(back);
    drop(redis);
    std::fs::remove_dir_all(&dir).ok();
}

/// The cluster keeps the newest `execution_retention` records, as the
/// in-memory store does: the oldest are forgotten (library API).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cluster_keeps_the_newest_records() {
    use expressway::cluster::{Cluster, ClusterConfig};
    use expressway::start::{MachineSpec, StartConfig, StartError, StartRequest, Starter};
    if !redis_available() {
        return;
    }
    let dir = temp_dir("retention");
    let redis = Redis::start(&dir);
    let mut config = ClusterConfig::new(&redis.url(), "lib");
    config.execution_retention = 2;
    let cluster = Cluster::connect(config).expect("joins");
    let starter = Starter::with_store(
        expressway::engine::Engine::new(Default::default()),
        StartConfig::default(),
        cluster.store(),
    );
    cluster.run(&starter);
    let created = starter
        .create_machine(MachineSpec::express("kept", &pass("k")))
        .expect("created");
    let mut arns = Vec::new();
    for _ in 0..3 {
        let started = starter
            .start(StartRequest::new(&created.machine.arn))
            .await
            .expect("accepted");
        let arn = started.execution_arn.clone();
        arns.push(arn.clone());
        assert_eq!(started.outcome().await.status.as_str(), "SUCCEEDED");
        // Its end is written off the execution's thread; the next start
        // trims only ended records (a running one keeps its record, else
        // its stream entry would never be acknowledged).
        within(Duration::from_secs(2), "its end recorded", || async {
            matches!(
                starter.describe(&arn).await.map(|r| r.progress),
                Ok(expressway::start::Progress::Done(_))
            )
        })
        .await;
    }
    assert!(matches!(
        starter.describe(&arns[0]).await,
        Err(StartError::ExecutionDoesNotExist(_))
    ));
    // Ends are written off the execution's thread: within milliseconds.
    within(Duration::from_secs(2), "both ends recorded", || async {
        for arn in &arns[1..] {
            let record = starter.describe(arn).await.expect("kept");
            if !matches!(record.progress, expressway::start::Progress::Done(_)) {
                return false;
            }
        }
        true
    })
    .await;
    assert_eq!(redis.cli(&["ZCARD", "expressway:executions"]), "2");
    assert_eq!(redis.cli(&["XLEN", "expressway:starts"]), "0");
    // ListExecutions answers STANDARD machines only: an EXPRESS start is
    // not indexed by machine (one sorted-set insert less per start).
    let by_machine = format!("expressway:executions:{}", created.machine.arn);
    assert_eq!(redis.cli(&["EXISTS", &by_machine]), "0");
    // A record trimmed while its execution runs is kept until its end,
    // which acknowledges its stream entry: nothing stays pending.
    let slow = starter
        .create_machine(MachineSpec::express(
            "slow",
            &json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": true}}})
                .to_string(),
        ))
        .expect("created");
    let running = starter
        .start(StartRequest::new(&slow.machine.arn))
        .await
        .expect("accepted");
    for _ in 0..2 {
        let quick = starter
            .start(StartRequest::new(&created.machine.arn))
            .await
            .expect("accepted");
        assert_eq!(quick.outcome().await.status.as_str(), "SUCCEEDED");
    }
    assert_eq!(running.outcome().await.status.as_str(), "SUCCEEDED");
    within(
        Duration::from_secs(2),
        "the trimmed run's entry acknowledged",
        || async { redis.cli(&["XLEN", "expressway:starts"]) == "0" },
    )
    .await;
    drop(redis);
    std::fs::remove_dir_all(&dir).ok();
}

/// Serves one HTTP request on `listener` with `{}` and answers the
/// `token` field of its JSON body.
async fn receive_token(listener: &tokio::net::TcpListener) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (mut socket, _) = listener.accept().await.expect("the HTTP Task calls");
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = socket.read(&mut buf).await.expect("reads");
        assert!(n > 0, "the request ended early");
        request.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&request).to_string();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if body.len() >= length {
                socket
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}")
                    .await
                    .expect("answers");
                let json: Value = serde_json::from_str(body).expect("a JSON body");
                return json["token"].as_str().expect("a token").to_owned();
            }
        }
    }
}

/// Guarantee 3 (Task Tokens): SendTaskSuccess / SendTaskHeartbeat sent to
/// another instance reach the Task waiting on the token; a token no
/// instance waits on answers TaskTimedOut.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_tokens_reach_the_instance_that_waits() {
    if !redis_available() {
        return;
    }
    let dir = temp_dir("tokens");
    let redis = Redis::start(&dir);
    let nodes = [
        Node::start(&redis, "a", &dir),
        Node::start(&redis, "b", &dir),
        Node::start(&redis, "c", &dir),
    ];
    let [a, b, c] = &nodes;
    let worker = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("worker port");
    let endpoint = format!("http://{}/token", worker.local_addr().expect("addr"));
    let definition = json!({
        "StartAt": "Call",
        "States": {"Call": {
            "Type": "Task",
            "Resource": "arn:aws:states:::http:invoke.waitForTaskToken",
            "Parameters": {
                "ApiEndpoint": endpoint,
                "Method": "POST",
                "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:123456789012:connection/c/1"},
                "RequestBody": {"token.$": "$$.Task.Token"}
            },
            "TimeoutSeconds": 20,
            "HeartbeatSeconds": 10,
            "End": true
        }}
    });
    a.ok(
        "CreateStateMachine",
        json!({"name": "callback", "roleArn": ROLE, "type": "EXPRESS", "definition": definition.to_string()}),
    )
    .await;
    let started = a
        .ok(
            "StartExecution",
            json!({"stateMachineArn": machine_arn("callback")}),
        )
        .await;
    let token = tokio::time::timeout(Duration::from_secs(10), receive_token(&worker))
        .await
        .expect("the Task sent its token");

    let began = Instant::now();
    c.ok("SendTaskHeartbeat", json!({"taskToken": token})).await;
    b.ok(
        "SendTaskSuccess",
        json!({"taskToken": token, "output": "{\"paid\":true}"}),
    )
    .await;
    eprintln!(
        "heartbeat and success through other instances: {:?}",
        began.elapsed()
    );
    within(
        Duration::from_secs(2),
        "the execution on a ends",
        || async {
            let d = a
                .ok(
                    "DescribeExecution",
                    json!({"executionArn": started["executionArn"]}),
                )
                .await;
            d["status"] == "SUCCEEDED" && d["output"] == "{\"paid\":true}"
        },
    )
    .await;
    // Spent, and a token nobody issued: TaskTimedOut, from any instance.
    for (node, t) in [(c, token.clone()), (b, "0".repeat(64))] {
        let (status, body) = node
            .call("SendTaskSuccess", json!({"taskToken": t, "output": "{}"}))
            .await;
        assert_eq!(status, 400, "{body}");
        assert!(
            body["__type"]
                .as_str()
                .is_some_and(|t| t.ends_with("#TaskTimedOut")),
            "{body}"
        );
    }
    drop(nodes);
    drop(redis);
    std::fs::remove_dir_all(&dir).ok();
}

/// Offers `per_node` StartSyncExecution/s of `name` to each of `nodes` for
/// `seconds`; answers (admitted, throttled).
async fn offer(nodes: &[Node], name: &str, per_node: u64, seconds: u64) -> (u64, u64) {
    let arn = machine_arn(name);
    let mut callers = Vec::new();
    for node in nodes {
        let http = node.http.clone();
        let url = format!("http://127.0.0.1:{}/", node.port);
        let arn = arn.clone();
        callers.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / per_node));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut calls = Vec::new();
            for _ in 0..per_node * seconds {
                tick.tick().await;
                let request = http
                    .post(&url)
                    .header("X-Amz-Target", "AWSStepFunctions.StartSyncExecution")
                    .header("Content-Type", "application/x-amz-json-1.0")
                    .body(json!({"stateMachineArn": arn, "input": "{}"}).to_string())
                    .send();
                calls.push(tokio::spawn(async move {
                    let r = request.await.expect("answers");
                    let status = r.status().as_u16();
                    let body: Value = r.json().await.unwrap_or(Value::Null);
                    (status, body)
                }));
            }
            let (mut admitted, mut throttled) = (0u64, 0u64);
            for call in calls {
                let (status, body) = call.await.expect("joined");
                match status {
                    200 => admitted += 1,
                    400 if body["__type"]
                        .as_str()
                        .is_some_and(|t| t.ends_with("ThrottlingException")) =>
                    {
                        throttled += 1
                    }
                    _ => panic!("unexpected answer {status}: {body}"),
                }
            }
            (admitted, throttled)
        }));
    }
    let mut total = (0, 0);
    for c in callers {
        let (a, t) = c.await.expect("joined");
        total.0 += a;
        total.1 += t;
    }
    total
}

/// Item 4: with a machine limit of R/s on each of three instances, offered
/// 3R/s in total, the cluster admits about R/s (the precise figure comes
/// from `loadtest/cluster_admission.sh`; here a tolerant bound that three
/// separate per-instance buckets, admitting 3R/s, cannot meet).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admission_limits_the_cluster_as_a_whole() {
    if !redis_available() {
        return;
    }
    let dir = temp_dir("admission");
    let redis = Redis::start(&dir);
    const RATE: u64 = 20;
    const SECONDS: u64 = 5;
    let rate = RATE.to_string();
    let flags = [
        "--admission-rate",
        rate.as_str(),
        "--admission-burst",
        "5",
        "--admission-max-wait-ms",
        "0",
    ];
    let nodes = [
        Node::start_with(&redis, "a", &dir, &flags),
        Node::start_with(&redis, "b", &dir, &flags),
        Node::start_with(&redis, "c", &dir, &flags),
    ];
    nodes[0]
        .ok(
            "CreateStateMachine",
            json!({"name": "limited", "roleArn": ROLE, "type": "EXPRESS", "definition": pass("ok")}),
        )
        .await;
    for n in &nodes {
        within(
            Duration::from_secs(2),
            "the machine is everywhere",
            || async { sync_output(n, "limited").await.is_some() },
        )
        .await;
    }
    // Let the buckets refill after the probes above.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (admitted, throttled) = offer(&nodes, "limited", RATE, SECONDS).await;
    // A burst of 5 absorbs the generators' jitter (with a burst of 1 a
    // start arriving a hair early is refused and its slot is lost).
    let expected = (RATE * SECONDS + 5) as f64;
    eprintln!("offered {} in {SECONDS} s to 3 instances limited to {RATE}/s: admitted {admitted}, throttled {throttled} (expected ~{expected})", 3 * RATE * SECONDS);
    assert_eq!(admitted + throttled, 3 * RATE * SECONDS);
    assert!(
        (admitted as f64) >= 0.75 * expected && (admitted as f64) <= 1.3 * expected + 3.0,
        "admitted {admitted}, expected about {expected}"
    );
    drop(nodes);
    drop(redis);
    std::fs::remove_dir_all(&dir).ok();
}

/// Item 3: an activity created on one instance exists on every instance;
/// its Tasks, scheduled by executions on every instance, each go to one
/// worker polling any instance, and the worker's answer, sent to yet
/// another instance, reaches the execution.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activity_tasks_go_to_workers_on_any_instance_once() {
    if !redis_available() {
        return;
    }
    let dir = temp_dir("activities");
    let redis = Redis::start(&dir);
    let nodes = [
        Node::start(&redis, "a", &dir),
        Node::start(&redis, "b", &dir),
        Node::start(&redis, "c", &dir),
    ];
    let created = nodes[0]
        .ok("CreateActivity", json!({"name": "charge"}))
        .await;
    let activity = created["activityArn"].as_str().expect("arn").to_owned();
    for n in &nodes[1..] {
        within(
            Duration::from_secs(1),
            "the activity is everywhere",
            || async {
                n.call("DescribeActivity", json!({"activityArn": activity}))
                    .await
                    .0
                    == 200
            },
        )
        .await;
    }
    let definition = json!({
        "StartAt": "Charge",
        "States": {"Charge": {
            "Type": "Task", "Resource": activity,
            "TimeoutSeconds": 30, "HeartbeatSeconds": 20, "End": true
        }}
    });
    nodes[1]
        .ok(
            "CreateStateMachine",
            json!({"name": "worked", "roleArn": ROLE, "type": "EXPRESS", "definition": definition.to_string()}),
        )
        .await;
    const N: usize = 6;
    let mut executions = Vec::new();
    for i in 0..N {
        let started = nodes[i % 3]
            .ok(
                "StartExecution",
                json!({"stateMachineArn": machine_arn("worked"), "input": json!({"i": i}).to_string()}),
            )
            .await;
        executions.push(started["executionArn"].as_str().expect("arn").to_owned());
    }
    // Workers poll b, c, a in turn; each answers through the next instance.
    let mut seen = std::collections::BTreeSet::new();
    let mut tokens = std::collections::BTreeSet::new();
    for i in 0..N {
        let task = tokio::time::timeout(
            Duration::from_secs(20),
            nodes[(i + 1) % 3].ok("GetActivityTask", json!({"activityArn": activity})),
        )
        .await
        .expect("a Task comes");
        let token = task["taskToken"]
            .as_str()
            .expect("a Task, not an empty poll");
        let input: Value =
            serde_json::from_str(task["input"].as_str().expect("input")).expect("json");
        assert!(
            seen.insert(input["i"].as_u64().expect("i")),
            "delivered twice: {input}"
        );
        assert!(tokens.insert(token.to_owned()));
        nodes[(i + 2) % 3]
            .ok(
                "SendTaskSuccess",
                json!({"taskToken": token, "output": json!({"charged": input["i"]}).to_string()}),
            )
            .await;
    }
    assert_eq!(seen.len(), N);
    let key = format!("expressway:activity-tasks:{activity}");
    assert_eq!(redis.cli(&["LLEN", &key]), "0", "nothing left queued");
    for (i, arn) in executions.iter().enumerate() {
        within(Duration::from_secs(5), "the execution succeeds", || async {
            let d = nodes[(i + 1) % 3]
                .ok("DescribeExecution", json!({"executionArn": arn}))
                .await;
            let expected = json!({"charged": i}).to_string();
            d["status"] == "SUCCEEDED" && d["output"] == expected.as_str()
        })
        .await;
    }
    // Deleted on one instance: gone everywhere.
    nodes[2]
        .ok("DeleteActivity", json!({"activityArn": activity}))
        .await;
    for n in &nodes {
        within(Duration::from_secs(1), "the activity is gone", || async {
            n.call("DescribeActivity", json!({"activityArn": activity}))
                .await
                .0
                == 400
        })
        .await;
    }
    drop(nodes);
    drop(redis);
    std::fs::remove_dir_all(&dir).ok();
}

/// `nginx` from Debian, or `None` (with a message) when it is not
/// installed: `.ci/run` installs it (`apt-get install -y nginx`).
fn nginx_binary() -> Option<PathBuf> {
    let found = ["/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file());
    if found.is_none() {
        eprintln!("SKIPPED: nginx is not installed (apt-get install -y nginx)");
    }
    found
}

/// nginx with `loadtest/nginx.conf` (the README's) in front of `nodes`;
/// killed when dropped.
struct Nginx {
    port: u16,
    child: Child,
}

impl Nginx {
    fn start(binary: &Path, nodes: &[Node], dir: &Path) -> Nginx {
        let port = free_port();
        let prefix = dir.join("nginx");
        std::fs::create_dir_all(&prefix).expect("nginx prefix");
        let template = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("loadtest/nginx.conf"),
        )
        .expect("loadtest/nginx.conf");
        let conf = template
            .replace("LISTEN_PORT", &port.to_string())
            .replace("NODE_A_PORT", &nodes[0].port.to_string())
            .replace("NODE_B_PORT", &nodes[1].port.to_string())
            .replace("NODE_C_PORT", &nodes[2].port.to_string())
            .replace("PREFIX", &prefix.display().to_string());
        let path = prefix.join("nginx.conf");
        std::fs::write(&path, conf).expect("nginx.conf written");
        let mut child = Command::new(binary)
            .arg("-p")
            .arg(&prefix)
            .arg("-c")
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx starts");
        wait_for_port(port, &mut child, "nginx");
        Nginx { port, child }
    }

    /// A client of the API through nginx (the [`Node`] helpers, on nginx's port).
    fn as_node(&self) -> Node {
        Node {
            port: self.port,
            child: None,
            http: reqwest::Client::new(),
        }
    }
}

impl Drop for Nginx {
    /// Stops nginx as its service manager does: SIGTERM to the master,
    /// which stops its worker before it exits (a SIGKILL would leave the
    /// worker running, orphaned, after the test); SIGKILL only if it has
    /// not exited within 5 s.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Item 4: the README's nginx configuration balances three instances: a
/// client that only knows nginx creates, starts (sync and async) and
/// describes; every instance serves some of it; with one instance killed,
/// nginx sends the requests to the other two and nothing fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_balances_three_instances() {
    if !redis_available() {
        return;
    }
    let Some(nginx) = nginx_binary() else {
        return;
    };
    let dir = temp_dir("nginx");
    let redis = Redis::start(&dir);
    let mut nodes = [
        Node::start(&redis, "a", &dir),
        Node::start(&redis, "b", &dir),
        Node::start(&redis, "c", &dir),
    ];
    let lb = Nginx::start(&nginx, &nodes, &dir);
    let client = lb.as_node();
    client
        .ok(
            "CreateStateMachine",
            json!({"name": "balanced", "roleArn": ROLE, "type": "EXPRESS", "definition": pass("ok")}),
        )
        .await;
    // The machine reaches every instance within 1 s.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut started = Vec::new();
    for _ in 0..12 {
        let done = client
            .ok(
                "StartSyncExecution",
                json!({"stateMachineArn": machine_arn("balanced"), "input": "{}"}),
            )
            .await;
        assert_eq!(done["status"], "SUCCEEDED", "{done}");
        let s = client
            .ok(
                "StartExecution",
                json!({"stateMachineArn": machine_arn("balanced")}),
            )
            .await;
        started.push(s["executionArn"].as_str().expect("arn").to_owned());
    }
    let line = "expressway_executions_started_total{state_machine=\"balanced\"}";
    for n in &nodes {
        assert!(n.metric(line).await >= 1.0, "an instance nginx never used");
    }
    for arn in &started {
        within(
            Duration::from_secs(3),
            "described through nginx",
            || async {
                client
                    .ok("DescribeExecution", json!({"executionArn": arn}))
                    .await["status"]
                    == "SUCCEEDED"
            },
        )
        .await;
    }
    // One instance dies: nginx skips it, no request fails.
    nodes[1].kill();
    for _ in 0..9 {
        let done = client
            .ok(
                "StartSyncExecution",
                json!({"stateMachineArn": machine_arn("balanced"), "input": "{}"}),
            )
            .await;
        assert_eq!(done["status"], "SUCCEEDED", "{done}");
    }
    drop(lb);
    drop(nodes);
    drop(redis);
    std::fs::remove_dir_all(&dir).ok();
}
