//! The JSONata variant of the payment example
//! (`examples/payment/payment-jsonata.asl.json`) against the JSONPath original
//! (`payment.asl.json`): every path of `tests/payment.rs`, run through both
//! definitions in process with the same Rust handlers of `expressway::cli::example` (`examples/payment/handlers.rs`)
//! (and the same mock-file test cases), must end with the same status, the same
//! output (compared as JSON values, key order free) and the same error/cause.
//!
//! Numbers are compared by value: JSONata numbers are doubles, so a value that
//! goes through a JSONata expression (here every `$merge` standing for a
//! `ResultPath`) comes out in its shortest form (`250.0` → `250`), as on AWS,
//! while the JSONPath pipeline copies the input's text form through. That is
//! the only difference between the two definitions' outputs.

use std::time::Duration;

mod common;

use common::payment::{handlers, machine, mocked, options, request, DIR, JSONATA, JSONPATH};
use expressway::engine::{Engine, ExecutionOutcome, ExecutionStatus};
use expressway::tasks::Tasks;

/// What an execution ended with: status, output as a JSON value, error, cause.
#[derive(Debug, PartialEq)]
struct Ending {
    status: ExecutionStatus,
    output: Option<serde_json::Value>,
    error: Option<String>,
    cause: Option<String>,
}

impl Ending {
    fn of(o: ExecutionOutcome) -> Self {
        let output = o.output.as_ref().map(|v| {
            integral_numbers(
                serde_json::from_str(&expressway::json::to_string(v)).expect("output is JSON"),
            )
        });
        Ending {
            status: o.status,
            output,
            error: o.error,
            cause: o.cause,
        }
    }
}

/// The value with every integral number as an integer, so that `250.0` and
/// `250` compare equal (see the module comment).
fn integral_numbers(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        J::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => J::from(f as i64),
            _ => J::Number(n),
        },
        J::Array(a) => J::Array(a.into_iter().map(integral_numbers).collect()),
        J::Object(o) => J::Object(
            o.into_iter()
                .map(|(k, v)| (k, integral_numbers(v)))
                .collect(),
        ),
        other => other,
    }
}

/// Runs one definition on `input` and returns its ending with the virtual
/// time it took.
async fn run(file: &str, tasks: Tasks, input: &str, test_case: Option<&str>) -> (Ending, Duration) {
    let input = expressway::json::parse(input).expect("input parses");
    let started = tokio::time::Instant::now();
    let o = Engine::new(tasks)
        .execute(machine(file), input, options(test_case))
        .await;
    (Ending::of(o), started.elapsed())
}

/// Runs both definitions on `input` with fresh task sets from `tasks`,
/// asserts that they end identically and returns the common ending and the
/// JSONata run's duration.
async fn both(tasks: fn() -> Tasks, input: &str, test_case: Option<&str>) -> (Ending, Duration) {
    let (path, path_took) = run(JSONPATH, tasks(), input, test_case).await;
    let (ata, ata_took) = run(JSONATA, tasks(), input, test_case).await;
    assert_eq!(path, ata, "JSONPath (left) and JSONata (right) differ");
    // Same retries, hence the same waits (within a tick of virtual time).
    assert_eq!(
        path_took.as_secs(),
        ata_took.as_secs(),
        "JSONPath took {path_took:?}, JSONata {ata_took:?}"
    );
    (ata, ata_took)
}

fn succeeded(e: &Ending) -> &serde_json::Value {
    assert_eq!(e.status, ExecutionStatus::Succeeded, "{e:?}");
    e.output.as_ref().expect("output")
}

fn failed(e: &Ending) -> (&str, &str) {
    assert_eq!(e.status, ExecutionStatus::Failed, "{e:?}");
    (
        e.error.as_deref().unwrap_or_default(),
        e.cause.as_deref().unwrap_or_default(),
    )
}

#[test]
fn variant_is_jsonata_only() {
    let text = std::fs::read_to_string(format!("{DIR}/{JSONATA}")).expect("definition");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(doc["QueryLanguage"], "JSONata");
    for forbidden in [
        "\"InputPath\"",
        "\"Parameters\"",
        "\"ResultSelector\"",
        "\"ResultPath\"",
        "\"OutputPath\"",
        "\"ErrorPath\"",
        "\"CausePath\"",
        "\"Variable\"",
        "$$.",
    ] {
        assert!(
            !text.contains(forbidden),
            "{forbidden} in the JSONata variant"
        );
    }
    // Same state names, in the same order, at every level.
    let original: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{DIR}/{JSONPATH}")).expect("definition"),
    )
    .expect("JSON");
    fn names(states: &serde_json::Value, out: &mut Vec<String>) {
        for (name, state) in states.as_object().into_iter().flatten() {
            out.push(name.clone());
            for b in state["Branches"].as_array().into_iter().flatten() {
                names(&b["States"], out);
            }
        }
    }
    let (mut a, mut b) = (Vec::new(), Vec::new());
    names(&original["States"], &mut a);
    names(&doc["States"], &mut b);
    assert_eq!(a, b);
}

#[tokio::test(start_paused = true)]
async fn sample_inputs_take_their_paths() {
    let sample = |name: &str| std::fs::read_to_string(format!("{DIR}/input-{name}.json")).unwrap();
    let (e, _) = both(handlers, &sample("happy"), None).await;
    assert_eq!(succeeded(&e)["transaction"]["transactionId"], "TX-pay-0001");
    let (e, _) = both(handlers, &sample("declined"), None).await;
    assert_eq!(failed(&e).0, "PaymentDeclined");
    let (e, _) = both(handlers, &sample("capture-failure"), None).await;
    assert_eq!(failed(&e).0, "CaptureFailed");
}

#[tokio::test(start_paused = true)]
async fn happy_path_with_3ds() {
    let (e, _) = both(handlers, &request("4242", 250.0, true, "m-42"), None).await;
    let out = succeeded(&e);
    assert_eq!(out["validation"]["idempotencyKey"], "m-42:pay-4242");
    assert_eq!(out["threeDSRequest"]["challengeId"], "3DS-pay-4242");
    assert_eq!(out["threeDS"]["status"], "AUTHENTICATED");
    assert_eq!(out["auth"]["authCode"], "AUTH-pay-4242");
    assert_eq!(out["capture"]["captureId"], "CAP-pay-4242");
    assert_eq!(out["notifications"][0]["channel"], "email");
    assert_eq!(out["notifications"][1]["delivered"], true);
    assert_eq!(out["transaction"]["saved"], true);
}

#[tokio::test(start_paused = true)]
async fn small_amount_skips_3ds() {
    let (e, _) = both(handlers, &request("4242", 50.0, true, "m-42"), None).await;
    let out = succeeded(&e);
    assert!(out.get("threeDS").is_none(), "{out}");
    assert_eq!(out["capture"]["status"], "CAPTURED");
}

#[tokio::test(start_paused = true)]
async fn failed_3ds_is_rejected() {
    let (e, _) = both(handlers, &request("0036", 250.0, true, "m-42"), None).await;
    assert_eq!(
        failed(&e),
        ("AuthenticationFailed", "3-D Secure authentication failed")
    );
}

#[tokio::test(start_paused = true)]
async fn declined_card_is_not_retried() {
    let (e, took) = both(handlers, &request("0002", 50.0, false, "m-42"), None).await;
    assert_eq!(
        failed(&e),
        (
            "PaymentDeclined",
            "authorization declined: card ending 0002 declined by the issuer for payment pay-0002"
        )
    );
    assert!(
        took < Duration::from_millis(900),
        "no retry delay: {took:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn soft_decline_goes_to_auth_failure() {
    let (e, _) = both(handlers, &request("4242", 20_000.0, false, "m-42"), None).await;
    let (error, cause) = failed(&e);
    assert_eq!(error, "PaymentDeclined");
    assert!(cause.contains("DECLINED"), "{cause}");
}

#[tokio::test(start_paused = true)]
async fn authorization_timeout_is_retried_once() {
    let (e, took) = both(handlers, &request("0119", 50.0, false, "m-42"), None).await;
    assert_eq!(succeeded(&e)["auth"]["status"], "APPROVED");
    assert!(
        took >= Duration::from_millis(900),
        "one 1 s retry: {took:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn capture_failure_voids_the_authorization() {
    let (e, _) = both(handlers, &request("0341", 50.0, false, "m-42"), None).await;
    assert_eq!(
        failed(&e),
        (
            "CaptureFailed",
            "the acquirer rejected the capture of AUTH-pay-0341; authorization AUTH-pay-0341 voided"
        )
    );
}

#[tokio::test(start_paused = true)]
async fn flaky_webhook_is_retried() {
    let (e, took) = both(handlers, &request("4242", 50.0, false, "m-flaky"), None).await;
    assert_eq!(succeeded(&e)["notifications"][1]["attempts"], 2);
    assert!(
        took >= Duration::from_millis(900),
        "one 1 s retry: {took:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn invalid_request_goes_to_handle_error() {
    let (e, _) = both(handlers, r#"{"paymentId":"x","amount":-1}"#, None).await;
    assert_eq!(
        failed(&e),
        (
            "PaymentError",
            "ValidationError: invalid payment request: amount must be a number greater than 0"
        )
    );
}

#[tokio::test(start_paused = true)]
async fn mock_test_cases_end_identically() {
    let input = request("4242", 250.0, true, "m-42");
    let (e, _) = both(mocked, &input, Some("HappyPath")).await;
    assert_eq!(succeeded(&e)["transaction"]["transactionId"], "TX-pay-0001");
    let (e, _) = both(mocked, &input, Some("Declined")).await;
    assert_eq!(
        failed(&e),
        (
            "PaymentDeclined",
            "authorization declined: card declined by the issuer"
        )
    );
    let (e, took) = both(mocked, &input, Some("AuthTimeoutThenSuccess")).await;
    assert_eq!(succeeded(&e)["auth"]["status"], "APPROVED");
    assert!(
        took >= Duration::from_millis(900),
        "one 1 s retry: {took:?}"
    );
    let (e, _) = both(mocked, &input, Some("CaptureFailure")).await;
    assert_eq!(failed(&e).0, "CaptureFailed");
}
