//! The console's routes and probes over the real router on 127.0.0.1:0.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value as Json};

use crate::admission::{AdmissionConfig, Limits};
use crate::api::{router, Config, MachineType, Service};
use crate::engine::Engine;
use crate::json::Value;
use crate::tasks::Tasks;
use crate::telemetry::{Telemetry, TelemetryConfig};

const ISSUER: &str = "arn:aws:lambda:us-east-1:123456789012:function:ConsoleIssuer";
const BOOM: &str = "arn:aws:lambda:us-east-1:123456789012:function:ConsoleBoom";

struct Harness {
    base: String,
    client: reqwest::Client,
    service: Service,
}

impl Harness {
    async fn start(config: Config) -> Self {
        let mut tasks = Tasks::new();
        tasks.register_fn(ISSUER, |_input| async { Ok(Value::from("sent")) });
        tasks.register_fn(BOOM, |_input| async {
            Err(crate::ExecError::new("Boom", "the handler broke"))
        });
        let telemetry = Telemetry::new(TelemetryConfig {
            state_metrics: true,
            log: None,
            sample: 1.0,
        });
        let engine = Engine::new(tasks).with_observer(Arc::new(telemetry));
        let service = Service::new(engine, config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let served = service.clone();
        tokio::spawn(async move { axum::serve(listener, router(served)).await });
        Harness {
            base: format!("http://{addr}"),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            service,
        }
    }

    async fn get(&self, path: &str) -> (u16, Json) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("send");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Json::Null))
    }

    async fn call(&self, op: &str, body: Json) -> (u16, Json) {
        let r = self
            .client
            .post(format!("{}/", self.base))
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", format!("AWSStepFunctions.{op}"))
            .body(body.to_string())
            .send()
            .await
            .expect("send");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Json::Null))
    }

    fn create(&self, name: &str, definition: &Json) -> String {
        self.service
            .create_state_machine(name, &definition.to_string(), MachineType::Express)
            .expect("created")
    }

    async fn start_execution(&self, arn: &str, input: Json) -> String {
        let (status, body) = self
            .call(
                "StartExecution",
                json!({"stateMachineArn": arn, "input": input.to_string()}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["executionArn"].as_str().expect("arn").to_owned()
    }

    /// The console's view of `arn` once `done(view)` holds (5 s at most).
    async fn wait_for(&self, arn: &str, done: impl Fn(&Json) -> bool) -> Json {
        let path = format!("/console/api/executions/{}", urlencode(arn));
        for _ in 0..100 {
            let (status, view) = self.get(&path).await;
            assert_eq!(status, 200, "{view}");
            if done(&view) {
                return view;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{arn} never got there: {}", self.get(&path).await.1);
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn caught_failure() -> Json {
    json!({"StartAt": "Try", "States": {
        "Try": {"Type": "Task", "Resource": BOOM,
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Done"}],
                "End": true},
        "Done": {"Type": "Pass", "End": true}}})
}

#[tokio::test]
async fn a_browser_s_get_slash_goes_to_the_console_and_the_api_is_unaffected() {
    let h = Harness::start(Config::default()).await;
    let r = h
        .client
        .get(format!("{}/", h.base))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(
        r.headers().get("location").and_then(|l| l.to_str().ok()),
        Some("/console")
    );
    let (status, body) = h.call("ListStateMachines", json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["stateMachines"].is_array());
    for path in ["/console", "/console/state-machines/anything"] {
        let r = h
            .client
            .get(format!("{}{path}", h.base))
            .send()
            .await
            .expect("send");
        assert_eq!(r.status().as_u16(), 200);
        let text = r.text().await.expect("text");
        assert!(text.contains("/console/assets/dagre.min.js"), "{text}");
        assert!(
            !text.contains("http://") && !text.contains("https://"),
            "no CDN"
        );
    }
    let r = h
        .client
        .get(format!("{}/console/assets/dagre.min.js", h.base))
        .send()
        .await
        .expect("send");
    assert_eq!(
        r.headers()
            .get("content-type")
            .and_then(|c| c.to_str().ok()),
        Some("text/javascript; charset=utf-8")
    );
    assert!(r.text().await.expect("text").contains("var dagre"));
    assert_eq!(h.get("/console/assets/nope.js").await.0, 404);
}

#[tokio::test]
async fn healthz_is_live_and_readyz_needs_definitions_and_admission_room() {
    let config = Config {
        admission: AdmissionConfig {
            global: Limits {
                rate: 0.001,
                burst: 1,
                max_wait_ms: 3_600_000,
                max_queue: 1,
            },
            ..AdmissionConfig::default()
        },
        ..Config::default()
    };
    let h = Harness::start(config).await;
    assert_eq!(h.get("/healthz").await, (200, json!({"status": "ok"})));
    let (status, body) = h.get("/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["reasons"], json!(["no state machine is loaded"]));
    h.create("ConsoleReady", &caught_failure());
    let (status, body) = h.get("/readyz").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["stateMachines"], 1);
    // The only token goes, the next start waits in the global buffer: full.
    let mut waiting = Vec::new();
    for _ in 0..2 {
        let ticket = h
            .service
            .admission()
            .reserve("ConsoleReady")
            .expect("place");
        waiting.push(tokio::spawn(ticket.wait()));
    }
    let mut body = Json::Null;
    for _ in 0..100 {
        let (status, b) = h.get("/readyz").await;
        body = b;
        if status == 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(body["admission"]["saturated"], true, "{body}");
    assert_eq!(body["reasons"], json!(["the admission buffer is full"]));
    for w in waiting {
        w.abort();
    }
}

#[tokio::test]
async fn the_graph_of_the_payment_example_is_served() {
    let h = Harness::start(Config::default()).await;
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/payment/payment.asl.json"
    ))
    .expect("payment");
    h.service
        .create_state_machine("ConsolePayment", &text, MachineType::Express)
        .expect("created");
    let (status, list) = h.get("/console/api/state-machines").await;
    assert_eq!(status, 200);
    let item = &list["stateMachines"][0];
    assert_eq!(item["name"], "ConsolePayment");
    assert_eq!(item["states"], 21);
    let (status, m) = h.get("/console/api/state-machines/ConsolePayment").await;
    assert_eq!(status, 200, "{m}");
    let states = m["graph"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter(|n| n["state"] != "")
        .count();
    assert_eq!(states, 21);
    assert!(m["definition"]
        .as_str()
        .is_some_and(|d| d.contains("SendNotifications")));
    assert_eq!(h.get("/console/api/state-machines/Nope").await.0, 404);
    assert_eq!(h.get("/console/api/state-machines/Nope/live").await.0, 404);
    assert_eq!(h.get("/console/api/executions/nope").await.0, 404);
    let (status, _) = h
        .get("/console/api/state-machines/ConsolePayment/executions?status=BAD")
        .await;
    assert_eq!(status, 400);
    let (status, _) = h
        .get("/console/api/state-machines/ConsolePayment/executions?limit=x")
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn an_execution_shows_its_path_data_and_live_numbers() {
    let h = Harness::start(Config::default()).await;
    let arn = h.create("ConsoleCaught", &caught_failure());
    let execution = h.start_execution(&arn, json!({"n": 1})).await;
    let view = h.wait_for(&execution, |v| v["status"] == "SUCCEEDED").await;
    assert_eq!(view["traced"], true);
    let path = view["path"].as_array().expect("path");
    let names: Vec<&str> = path.iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(names, ["Try", "Done"]);
    assert_eq!(path[0]["outcome"], "caught");
    assert_eq!(path[0]["error"], "Boom");
    assert_eq!(path[0]["cause"], "the handler broke");
    assert_eq!(path[0]["input"], json!({"n": 1}));
    assert_eq!(path[1]["outcome"], "succeeded");
    assert_eq!(path[1]["output"]["error"]["Error"], "Boom");
    assert!(path[1]["durationMs"].is_f64());
    let events = view["events"].as_array().expect("events");
    assert_eq!(events[0]["type"], "ExecutionStarted");
    assert_eq!(events[0]["id"], "1");
    assert_eq!(
        events.last().map(|e| &e["type"]),
        Some(&json!("ExecutionSucceeded"))
    );
    // The list, filtered by status.
    let base = "/console/api/state-machines/ConsoleCaught/executions";
    let (_, all) = h.get(base).await;
    assert_eq!(all["executions"][0]["executionArn"], execution);
    assert_eq!(all["executions"][0]["status"], "SUCCEEDED");
    let (_, failed) = h.get(&format!("{base}?status=FAILED")).await;
    assert_eq!(failed["executions"], json!([]));
    // The live numbers count it.
    let (status, live) = h
        .get("/console/api/state-machines/ConsoleCaught/live")
        .await;
    assert_eq!(status, 200, "{live}");
    assert_eq!(live["machine"]["started"], 1.0);
    assert_eq!(live["machine"]["succeeded"], 1.0);
    assert_eq!(live["states"]["Try"]["entered"], 1.0);
    assert_eq!(live["states"]["Try"]["failed"]["Boom"], 1.0);
    assert!(live["states"]["Done"]["duration"]["p50"].is_f64());
    assert_eq!(live["admission"]["depth"], 0);
    // A synchronous execution is counted but not retained.
    let (status, _) = h
        .call("StartSyncExecution", json!({"stateMachineArn": arn}))
        .await;
    assert_eq!(status, 200);
    let (_, all) = h.get(base).await;
    assert_eq!(all["executions"].as_array().map(Vec::len), Some(1));
    let (_, live) = h
        .get("/console/api/state-machines/ConsoleCaught/live")
        .await;
    assert_eq!(live["machine"]["started"], 2.0);
}

#[tokio::test]
async fn a_task_token_is_shown_and_answers_the_task() {
    let h = Harness::start(Config::default()).await;
    let definition = h.create(
        "ConsoleToken",
        &json!({"StartAt": "Wait", "States": {
            "Wait": {"Type": "Task", "Resource": format!("{ISSUER}.waitForTaskToken"),
                     "Parameters": {"token.$": "$$.Task.Token"}, "End": true}}}),
    );
    let execution = h.start_execution(&definition, json!({})).await;
    let view = h
        .wait_for(&execution, |v| {
            v["taskTokens"].as_array().is_some_and(|t| !t.is_empty())
        })
        .await;
    assert_eq!(view["status"], "RUNNING");
    assert_eq!(view["path"][0]["outcome"], "running");
    let token = view["taskTokens"][0]["taskToken"]
        .as_str()
        .expect("token")
        .to_owned();
    assert_eq!(view["taskTokens"][0]["state"], "Wait");
    let (status, body) = h
        .call(
            "SendTaskSuccess",
            json!({"taskToken": token, "output": "{\"ok\":true}"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let view = h.wait_for(&execution, |v| v["status"] == "SUCCEEDED").await;
    assert_eq!(view["taskTokens"], json!([]));
    assert_eq!(view["path"][0]["outcome"], "succeeded");
    assert_eq!(view["output"], "{\"ok\":true}");
}

#[tokio::test]
async fn with_sigv4_the_console_is_refused_and_the_probes_stay_open() {
    let mut keys = crate::api::auth::SigV4Keys::default();
    keys.insert("AKIDCONSOLE", "secret");
    let config = Config {
        sigv4: Some(crate::api::auth::Verifier::new(keys)),
        ..Config::default()
    };
    let h = Harness::start(config).await;
    h.create("ConsoleSigned", &caught_failure());
    for path in [
        "/console",
        "/console/api/state-machines",
        "/console/assets/console.js",
    ] {
        let (status, body) = h.get(path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(
            body["__type"],
            "com.amazon.coral.service#MissingAuthenticationTokenException"
        );
    }
    assert_eq!(h.get("/healthz").await.0, 200);
    assert_eq!(h.get("/readyz").await.0, 200);
}

#[tokio::test]
async fn a_stopped_execution_is_listed_aborted() {
    let h = Harness::start(Config::default()).await;
    let machine = h.create(
        "ConsoleStopped",
        &json!({"StartAt": "Wait", "States": {
            "Wait": {"Type": "Task", "Resource": format!("{ISSUER}.waitForTaskToken"),
                     "Parameters": {"token.$": "$$.Task.Token"}, "End": true}}}),
    );
    let execution = h.start_execution(&machine, json!({})).await;
    h.wait_for(&execution, |v| {
        v["taskTokens"].as_array().is_some_and(|t| !t.is_empty())
    })
    .await;
    let (status, body) = h
        .call("StopExecution", json!({"executionArn": execution}))
        .await;
    assert_eq!(status, 200, "{body}");
    let view = h.wait_for(&execution, |v| v["status"] == "ABORTED").await;
    assert_eq!(view["taskTokens"], json!([]));
    assert_eq!(view["path"][0]["outcome"], "aborted");
    let base = "/console/api/state-machines/ConsoleStopped/executions";
    let (_, list) = h.get(&format!("{base}?status=ABORTED")).await;
    assert_eq!(list["executions"][0]["executionArn"], execution);
    assert!(list["executions"][0]["stopDate"].is_u64());
    let (_, running) = h.get(&format!("{base}?status=RUNNING")).await;
    assert_eq!(running["executions"], json!([]));
}
