//! The bundled payment example (`examples/payment`), every path, in process:
//! through the engine with the Rust handlers of `expressway::cli::example` (`examples/payment/handlers.rs`), and
//! through the mock file's test cases.

use std::time::{Duration, Instant};

mod common;

use common::acs::Acs;
use common::payment::{handlers, machine, mocked, options, request, DIR, JSONATA, JSONPATH};
use expressway::engine::{Engine, ExecutionOutcome, ExecutionStatus};
use expressway::tasks::Tasks;

async fn run(tasks: Tasks, input: &str, test_case: Option<&str>) -> ExecutionOutcome {
    let input = expressway::json::parse(input).expect("input parses");
    Engine::new(tasks)
        .execute(machine(JSONPATH), input, options(test_case))
        .await
}

fn output(o: &ExecutionOutcome) -> serde_json::Value {
    assert_eq!(
        o.status,
        ExecutionStatus::Succeeded,
        "{:?}: {:?}",
        o.error,
        o.cause
    );
    let text = expressway::json::to_string(o.output.as_ref().expect("output"));
    serde_json::from_str(&text).expect("output is JSON")
}

fn failure(o: &ExecutionOutcome) -> (String, String) {
    assert_eq!(o.status, ExecutionStatus::Failed, "{:?}", o.output);
    (
        o.error.clone().unwrap_or_default(),
        o.cause.clone().unwrap_or_default(),
    )
}

#[tokio::test]
async fn sample_inputs_take_their_paths() {
    let sample = |name: &str| std::fs::read_to_string(format!("{DIR}/input-{name}.json")).unwrap();
    let out = output(&run(handlers(), &sample("happy"), None).await);
    assert_eq!(out["transaction"]["transactionId"], "TX-pay-0001");
    let (error, _) = failure(&run(handlers(), &sample("declined"), None).await);
    assert_eq!(error, "PaymentDeclined");
    let (error, _) = failure(&run(handlers(), &sample("capture-failure"), None).await);
    assert_eq!(error, "CaptureFailed");
}

#[tokio::test]
async fn happy_path_with_3ds() {
    let out = output(&run(handlers(), &request("4242", 250.0, true, "m-42"), None).await);
    assert_eq!(out["validation"]["idempotencyKey"], "m-42:pay-4242");
    assert_eq!(out["threeDSRequest"]["challengeId"], "3DS-pay-4242");
    assert_eq!(out["threeDS"]["status"], "AUTHENTICATED");
    assert_eq!(out["auth"]["authCode"], "AUTH-pay-4242");
    assert_eq!(out["capture"]["captureId"], "CAP-pay-4242");
    assert_eq!(out["notifications"][0]["channel"], "email");
    assert_eq!(out["notifications"][1]["delivered"], true);
    assert_eq!(out["transaction"]["saved"], true);
}

#[tokio::test]
async fn small_amount_skips_3ds() {
    let out = output(&run(handlers(), &request("4242", 50.0, true, "m-42"), None).await);
    assert!(out.get("threeDS").is_none(), "{out}");
    assert_eq!(out["capture"]["status"], "CAPTURED");
}

#[tokio::test]
async fn failed_3ds_is_rejected() {
    let o = run(handlers(), &request("0036", 250.0, true, "m-42"), None).await;
    assert_eq!(
        failure(&o),
        (
            "AuthenticationFailed".into(),
            "3-D Secure authentication failed".into()
        )
    );
}

#[tokio::test]
async fn declined_card_is_not_retried() {
    let started = Instant::now();
    let o = run(handlers(), &request("0002", 50.0, false, "m-42"), None).await;
    let (error, cause) = failure(&o);
    assert_eq!(error, "PaymentDeclined");
    assert_eq!(
        cause,
        "authorization declined: card ending 0002 declined by the issuer for payment pay-0002"
    );
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "no retry delay"
    );
}

#[tokio::test]
async fn soft_decline_goes_to_auth_failure() {
    let o = run(handlers(), &request("4242", 20_000.0, false, "m-42"), None).await;
    let (error, cause) = failure(&o);
    assert_eq!(error, "PaymentDeclined");
    assert!(cause.contains("DECLINED"), "{cause}");
}

#[tokio::test]
async fn authorization_timeout_is_retried_once() {
    let started = Instant::now();
    let out = output(&run(handlers(), &request("0119", 50.0, false, "m-42"), None).await);
    assert_eq!(out["auth"]["status"], "APPROVED");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "one 1 s retry"
    );
}

#[tokio::test]
async fn capture_failure_voids_the_authorization() {
    let o = run(handlers(), &request("0341", 50.0, false, "m-42"), None).await;
    assert_eq!(
        failure(&o),
        (
            "CaptureFailed".into(),
            "the acquirer rejected the capture of AUTH-pay-0341; authorization AUTH-pay-0341 voided"
                .into()
        )
    );
}

#[tokio::test]
async fn flaky_webhook_is_retried() {
    let out = output(&run(handlers(), &request("4242", 50.0, false, "m-flaky"), None).await);
    assert_eq!(out["notifications"][1]["attempts"], 2);
}

#[tokio::test]
async fn invalid_request_goes_to_handle_error() {
    let o = run(handlers(), r#"{"paymentId":"x","amount":-1}"#, None).await;
    let (error, cause) = failure(&o);
    assert_eq!(error, "PaymentError");
    assert_eq!(
        cause,
        "ValidationError: invalid payment request: amount must be a number greater than 0"
    );
}

#[tokio::test]
async fn mock_happy_path() {
    let input = request("4242", 250.0, true, "m-42");
    let out = output(&run(mocked(), &input, Some("HappyPath")).await);
    assert_eq!(out["transaction"]["transactionId"], "TX-pay-0001");
    assert_eq!(out["threeDS"]["status"], "AUTHENTICATED");
}

#[tokio::test]
async fn mock_declined() {
    let input = request("4242", 250.0, true, "m-42");
    let (error, cause) = failure(&run(mocked(), &input, Some("Declined")).await);
    assert_eq!(error, "PaymentDeclined");
    assert_eq!(cause, "authorization declined: card declined by the issuer");
}

#[tokio::test]
async fn mock_auth_timeout_then_success() {
    let input = request("4242", 250.0, true, "m-42");
    let started = Instant::now();
    let out = output(&run(mocked(), &input, Some("AuthTimeoutThenSuccess")).await);
    assert_eq!(out["auth"]["status"], "APPROVED");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "one 1 s retry"
    );
}

#[tokio::test]
async fn mock_capture_failure() {
    let input = request("4242", 250.0, true, "m-42");
    let (error, cause) = failure(&run(mocked(), &input, Some("CaptureFailure")).await);
    assert_eq!(error, "CaptureFailed");
    assert!(
        cause.ends_with("authorization AUTH-pay-0001 voided"),
        "{cause}"
    );
}

#[tokio::test]
async fn mock_unknown_case_is_a_runtime_error() {
    let input = request("4242", 250.0, true, "m-42");
    let o = run(mocked(), &input, Some("NoSuchCase")).await;
    assert_eq!(o.error.as_deref(), Some("States.Runtime"), "{:?}", o.cause);
}

/// A 3-D Secure request whose card's ACS is `acs` (a challenge), with the
/// challenge's HeartbeatSeconds and TimeoutSeconds.
fn challenge_request(acs: &Acs, heartbeat: u64, timeout: u64) -> String {
    let mut r: serde_json::Value =
        serde_json::from_str(&request("4242", 250.0, true, "m-42")).unwrap();
    r["card"]["acsUrl"] = acs.url.clone().into();
    r["card"]["acsHeartbeatSeconds"] = heartbeat.into();
    r["card"]["acsTimeoutSeconds"] = timeout.into();
    r.to_string()
}

/// Starts the example (`file`) on `engine` in the background.
fn start(engine: &Engine, file: &str, input: &str) -> tokio::task::JoinHandle<ExecutionOutcome> {
    let engine = engine.clone();
    let machine = machine(file);
    let input = expressway::json::parse(input).expect("input parses");
    tokio::spawn(async move { engine.execute(machine, input, options(None)).await })
}

fn json(text: &str) -> expressway::json::Value {
    expressway::json::parse(text).unwrap()
}

#[tokio::test]
async fn challenge_hands_the_task_token_to_the_acs_and_takes_its_answer() {
    for file in [JSONPATH, JSONATA] {
        let mut acs = Acs::start().await;
        let engine = Engine::new(handlers());
        let run = start(&engine, file, &challenge_request(&acs, 30, 90));
        let (token, body) = acs.next().await;
        assert_eq!(body["paymentId"], "pay-4242", "{file}");
        assert_eq!(body["amount"], 250.0, "{file}");
        assert_eq!(body["currency"], "EUR", "{file}");
        assert_eq!(body["challengeId"], "3DS-pay-4242", "{file}");
        assert_eq!(engine.task_tokens().outstanding(), 1);
        engine
            .task_tokens()
            .succeed(&token, json(r#"{"status":"AUTHENTICATED","eci":"02"}"#))
            .unwrap();
        let out = output(&run.await.unwrap());
        assert_eq!(
            out["threeDS"],
            serde_json::json!({"status": "AUTHENTICATED", "eci": "02"}),
            "{file}"
        );
        assert_eq!(out["threeDSRequest"]["challengeRequired"], true);
        assert_eq!(out["transaction"]["transactionId"], "TX-pay-4242");
        assert_eq!(engine.task_tokens().outstanding(), 0);
    }
}

#[tokio::test]
async fn challenge_failed_by_the_acs_declines() {
    let mut acs = Acs::start().await;
    let engine = Engine::new(handlers());
    let run = start(&engine, JSONPATH, &challenge_request(&acs, 30, 90));
    let (token, _) = acs.next().await;
    engine
        .task_tokens()
        .fail(
            &token,
            expressway::cli::example::THREE_DS_FAILED.into(),
            "cardholder cancelled the challenge".into(),
        )
        .unwrap();
    assert_eq!(
        failure(&run.await.unwrap()),
        (
            "AuthenticationFailed".into(),
            "3-D Secure challenge not completed: ThreeDSFailed: cardholder cancelled the challenge"
                .into()
        )
    );
}

#[tokio::test]
async fn challenge_answered_not_authenticated_declines() {
    let mut acs = Acs::start().await;
    let engine = Engine::new(handlers());
    let run = start(&engine, JSONPATH, &challenge_request(&acs, 30, 90));
    let (token, _) = acs.next().await;
    engine
        .task_tokens()
        .succeed(&token, json(r#"{"status":"FAILED","eci":"07"}"#))
        .unwrap();
    assert_eq!(
        failure(&run.await.unwrap()),
        (
            "AuthenticationFailed".into(),
            "3-D Secure authentication failed".into()
        )
    );
}

#[tokio::test]
async fn challenge_without_heartbeat_declines_with_heartbeat_timeout() {
    for file in [JSONPATH, JSONATA] {
        let mut acs = Acs::start().await;
        let engine = Engine::new(handlers());
        let started = Instant::now();
        let run = start(&engine, file, &challenge_request(&acs, 1, 30));
        let _ = acs.next().await; // the ACS never answers
        let (error, cause) = failure(&run.await.unwrap());
        assert_eq!(error, "AuthenticationFailed", "{file}");
        assert_eq!(
            cause,
            "3-D Secure challenge not completed: States.HeartbeatTimeout"
        );
        let took = started.elapsed();
        assert!(
            took >= Duration::from_secs(1) && took < Duration::from_secs(10),
            "{took:?}"
        );
        assert_eq!(engine.task_tokens().outstanding(), 0);
    }
}

#[tokio::test]
async fn heartbeats_keep_the_challenge_alive_until_its_timeout() {
    let mut acs = Acs::start().await;
    let engine = Engine::new(handlers());
    let started = Instant::now();
    let run = start(&engine, JSONPATH, &challenge_request(&acs, 1, 3));
    let (token, _) = acs.next().await;
    // A heartbeat every 400 ms: never 1 s without one, so only the 3 s
    // TimeoutSeconds can end the challenge.
    let outcome = loop {
        tokio::time::sleep(Duration::from_millis(400)).await;
        if run.is_finished() {
            break run.await.unwrap();
        }
        let _ = engine.task_tokens().heartbeat(&token);
    };
    let (error, cause) = failure(&outcome);
    assert_eq!(error, "AuthenticationFailed");
    assert_eq!(cause, "3-D Secure challenge not completed: States.Timeout");
    assert!(started.elapsed() >= Duration::from_secs(3));
}

#[tokio::test]
async fn heartbeats_then_success() {
    let mut acs = Acs::start().await;
    let engine = Engine::new(handlers());
    let run = start(&engine, JSONPATH, &challenge_request(&acs, 1, 30));
    let (token, _) = acs.next().await;
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        engine.task_tokens().heartbeat(&token).unwrap();
    }
    engine
        .task_tokens()
        .succeed(&token, json(r#"{"status":"AUTHENTICATED","eci":"05"}"#))
        .unwrap();
    let out = output(&run.await.unwrap());
    assert_eq!(out["threeDS"]["status"], "AUTHENTICATED");
}
