//! In-process handlers for the bundled card-payment example
//! (`examples/payment/payment.asl.json`), so that `expressway serve` and
//! `expressway run` give a working payment API with no Lambda at all.
//!
//! The example is the PayEasy state machine of the project's seed documents:
//! ValidateRequest → Check3DSRequired → (Request3DS → Challenge3DSRequired →
//! Frictionless3DS or Wait3DSCallback → Validate3DSResult) → AuthorizePayment →
//! CheckAuthResult → CapturePayment → SendNotifications (Parallel: email,
//! webhook) → SaveTransaction → PaymentSuccess, with HandleAuthFailure,
//! HandleCaptureFailure (void the authorization: compensation) and HandleError
//! leading to PaymentFailed.
//!
//! **3-D Secure.** Request3DS answers as an issuer's 3-D Secure server does:
//! either *frictionless* (the authentication result is in its answer, under
//! `authentication`) or *challenge required*, with the URL of the card's
//! Access Control Server (ACS). A challenge is the `Wait3DSCallback` state, an
//! HTTP Task `arn:aws:states:::http:invoke.waitForTaskToken` that POSTs
//! `{"taskToken", "paymentId", "amount", "currency", "challengeId"}` to the ACS
//! and waits for `SendTaskSuccess` (the result, `{"status": "AUTHENTICATED",
//! "eci"}`), `SendTaskFailure` (error [`THREE_DS_FAILED`]) or
//! `SendTaskHeartbeat`s, bounded by `HeartbeatSecondsPath` /
//! `TimeoutSecondsPath` (`threeDSRequest.heartbeatSeconds` /
//! `.timeoutSeconds`, from the card's `acsHeartbeatSeconds` /
//! `acsTimeoutSeconds`, default [`CHALLENGE_HEARTBEAT_SECONDS`] /
//! [`CHALLENGE_TIMEOUT_SECONDS`]). A missed heartbeat, the time limit or
//! `ThreeDSFailed` go to HandleAuthFailure (`AuthenticationFailed`).
//!
//! Every handler is deterministic and **decides by its input**, so every path
//! of the example can be reached from a request. The card's `last4` selects the
//! scenario (the idea of the test card numbers of payment gateways):
//!
//! | input | handler | effect | path |
//! |---|---|---|---|
//! | `amount > 100` and `card.threeDS: true` | Check3DSRequired (Choice) | 3-D Secure | Request3DS → … → Validate3DSResult |
//! | … and `card.acsUrl` (a URL) | Request3DS | challenge at that ACS | Wait3DSCallback (Task Token) → Validate3DSResult |
//! | … without `card.acsUrl` | Request3DS | frictionless | Frictionless3DS → Validate3DSResult |
//! | `card.last4 == "0036"` (frictionless) | Request3DS | `{"status": "FAILED"}` | HandleAuthFailure → PaymentFailed `AuthenticationFailed` |
//! | `card.last4 == "0002"` | AuthorizePayment | error `AuthorizationError` (not retried) | HandleAuthFailure → PaymentFailed `PaymentDeclined` |
//! | `card.last4 == "0119"` | AuthorizePayment | first attempt (`$$.State.RetryCount == 0`) fails with `States.Timeout`, the retry is approved | success after one retry (1 s) |
//! | `amount > 10000` | AuthorizePayment | `{"status": "DECLINED"}` (soft decline) | CheckAuthResult Default → HandleAuthFailure → PaymentFailed `PaymentDeclined` |
//! | `card.last4 == "0341"` | CapturePayment | error `CaptureError` (not retried) | HandleCaptureFailure (void) → PaymentFailed `CaptureFailed` |
//! | `merchantId == "m-flaky"` | SendWebhook | first attempt fails with `WebhookError` | success after one retry (1 s) |
//! | missing `paymentId`, `amount <= 0`, bad `currency` or `card.last4` | ValidateRequest | error `ValidationError` (not retried) | HandleError → PaymentFailed `PaymentError` |
//! | anything else | | approved and captured | … → SaveTransaction → PaymentSuccess |
//!
//! Results (`P` is the `paymentId`): ValidateRequest `{"valid": true,
//! "idempotencyKey": "<merchantId>:P"}`; Request3DS `{"challengeId": "3DS-P",
//! "challengeRequired": false, "authentication": {"status": "AUTHENTICATED",
//! "eci": "05"}}` or `{"challengeId": "3DS-P", "challengeRequired": true,
//! "acsUrl", "heartbeatSeconds", "timeoutSeconds"}`; AuthorizePayment `{"status": "APPROVED", "authCode": "AUTH-P", "amount"}`;
//! CapturePayment `{"status": "CAPTURED", "captureId": "CAP-P"}`; SendEmail
//! `{"channel": "email", "sent": true, "to"}`; SendWebhook `{"channel":
//! "webhook", "delivered": true, "merchantId", "attempts"}`; SaveTransaction
//! `{"saved": true, "transactionId": "TX-P"}`. The three failure handlers
//! return `{"error", "cause", …}`, which the `PaymentFailed` Fail state reads
//! through `ErrorPath` / `CausePath`.
//!
//! The handlers are registered by exact Resource ARN
//! (`arn:aws:lambda:us-east-1:123456789012:function:<Name>`, [`FUNCTION_ARN_PREFIX`]),
//! so they never shadow a real Lambda function of another account or region.

use simd_json::prelude::*;
use simd_json::{json, OwnedValue};

use expressway::errors::{names, ExecError};
use expressway::json::Value;
use expressway::tasks::{handler, TaskInput, Tasks};

/// The ARN prefix of the example's functions; the function name follows.
pub const FUNCTION_ARN_PREFIX: &str = "arn:aws:lambda:us-east-1:123456789012:function:";

/// The functions of the example, in the order of the happy path, then the
/// failure handlers.
pub const FUNCTIONS: [&str; 10] = [
    "ValidateRequest",
    "Request3DS",
    "AuthorizePayment",
    "CapturePayment",
    "SendEmail",
    "SendWebhook",
    "SaveTransaction",
    "HandleAuthFailure",
    "HandleCaptureFailure",
    "HandleError",
];

/// Error raised by ValidateRequest for an invalid request.
pub const VALIDATION_ERROR: &str = "ValidationError";
/// Error raised by AuthorizePayment when the issuer declines the card.
pub const AUTHORIZATION_ERROR: &str = "AuthorizationError";
/// Error raised by CapturePayment when the capture is rejected.
pub const CAPTURE_ERROR: &str = "CaptureError";
/// The error an Access Control Server sends with `SendTaskFailure` when the
/// cardholder fails or abandons the challenge (caught by Wait3DSCallback).
pub const THREE_DS_FAILED: &str = "ThreeDSFailed";
/// HeartbeatSeconds of a 3-D Secure challenge unless the card's
/// `acsHeartbeatSeconds` says otherwise.
pub const CHALLENGE_HEARTBEAT_SECONDS: u64 = 30;
/// TimeoutSeconds of a 3-D Secure challenge unless the card's
/// `acsTimeoutSeconds` says otherwise (below the execution's 120 s).
pub const CHALLENGE_TIMEOUT_SECONDS: u64 = 90;
/// Error raised by SendWebhook when the merchant's endpoint fails.
pub const WEBHOOK_ERROR: &str = "WebhookError";

/// Registers a handler for every function of the example (see the module
/// table) under its full ARN [`FUNCTION_ARN_PREFIX`]`<Name>`.
pub fn register(tasks: &mut Tasks) {
    for name in FUNCTIONS {
        let f = function(name);
        tasks.register(
            format!("{FUNCTION_ARN_PREFIX}{name}"),
            handler(move |input: TaskInput| async move { f(&input) }),
        );
    }
}

/// A handler function: effective input to result.
type Function = fn(&Value) -> Result<Value, ExecError>;

/// The handler of the function `name` (one of [`FUNCTIONS`]).
fn function(name: &str) -> Function {
    match name {
        "ValidateRequest" => validate_request,
        "Request3DS" => request_3ds,
        "AuthorizePayment" => authorize_payment,
        "CapturePayment" => capture_payment,
        "SendEmail" => send_email,
        "SendWebhook" => send_webhook,
        "SaveTransaction" => save_transaction,
        "HandleAuthFailure" => handle_auth_failure,
        "HandleCaptureFailure" => handle_capture_failure,
        _ => handle_error,
    }
}

/// The string at `key` of an object, or `""`.
fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(|x| x.as_str()).unwrap_or_default()
}

/// `card.last4` of the input, or `""`.
fn last4(v: &Value) -> &str {
    v.get("card")
        .and_then(|c| c.get("last4"))
        .and_then(|x| x.as_str())
        .unwrap_or_default()
}

/// The number at `key`, integer or float.
fn number(v: &Value, key: &str) -> Option<f64> {
    v.get(key).and_then(|x| x.cast_f64())
}

/// `attempt` (the Task's `$$.State.RetryCount`, passed through Parameters), or 0.
fn attempt(v: &Value) -> u64 {
    v.get("attempt").and_then(|x| x.as_u64()).unwrap_or(0)
}

/// A copy of the value at `key`, or `null`.
fn copy(v: &Value, key: &str) -> Value {
    v.get(key).cloned().unwrap_or(OwnedValue::null())
}

/// ValidateRequest: checks the request's shape.
fn validate_request(i: &Value) -> Result<Value, ExecError> {
    let payment_id = text(i, "paymentId");
    let problem = if payment_id.is_empty() {
        Some("paymentId must be a non-empty string".to_owned())
    } else if !number(i, "amount").is_some_and(|a| a > 0.0) {
        Some("amount must be a number greater than 0".to_owned())
    } else if text(i, "currency").len() != 3 {
        Some("currency must be a 3-letter ISO 4217 code".to_owned())
    } else if last4(i).len() != 4 || !last4(i).bytes().all(|b| b.is_ascii_digit()) {
        Some("card.last4 must be 4 digits".to_owned())
    } else {
        None
    };
    match problem {
        Some(p) => Err(ExecError::new(
            VALIDATION_ERROR,
            format!("invalid payment request: {p}"),
        )),
        None => Ok(json!({
            "valid": true,
            "idempotencyKey": format!("{}:{payment_id}", text(i, "merchantId")),
        })),
    }
}

/// A positive whole number of seconds at `key` of the card, or `default`.
fn card_seconds(i: &Value, key: &str, default: u64) -> u64 {
    i.get("card")
        .and_then(|c| c.get(key))
        .and_then(|x| x.as_u64())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}

/// Request3DS: a challenge at the card's `acsUrl` when it has one, else a
/// frictionless authentication (card `0036` fails it).
fn request_3ds(i: &Value) -> Result<Value, ExecError> {
    let challenge = format!("3DS-{}", text(i, "paymentId"));
    let acs_url = i
        .get("card")
        .and_then(|c| c.get("acsUrl"))
        .and_then(|u| u.as_str());
    if let Some(url) = acs_url {
        let timeout = card_seconds(i, "acsTimeoutSeconds", CHALLENGE_TIMEOUT_SECONDS);
        // HeartbeatSeconds must stay below TimeoutSeconds, as in a definition.
        let heartbeat = card_seconds(i, "acsHeartbeatSeconds", CHALLENGE_HEARTBEAT_SECONDS)
            .min(timeout.saturating_sub(1).max(1));
        return Ok(json!({
            "challengeId": challenge,
            "challengeRequired": true,
            "acsUrl": url,
            "heartbeatSeconds": heartbeat,
            "timeoutSeconds": timeout,
        }));
    }
    let authentication = if last4(i) == "0036" {
        json!({"status": "FAILED", "eci": "07"})
    } else {
        json!({"status": "AUTHENTICATED", "eci": "05"})
    };
    Ok(json!({
        "challengeId": challenge,
        "challengeRequired": false,
        "authentication": authentication,
    }))
}

/// AuthorizePayment: `0002` declined, `0119` times out once, > 10,000 soft-declined.
fn authorize_payment(i: &Value) -> Result<Value, ExecError> {
    let payment_id = text(i, "paymentId");
    match last4(i) {
        "0002" => {
            return Err(ExecError::new(
                AUTHORIZATION_ERROR,
                format!("card ending 0002 declined by the issuer for payment {payment_id}"),
            ))
        }
        "0119" if attempt(i) == 0 => {
            return Err(ExecError::new(
                names::TIMEOUT,
                "the authorization gateway did not answer in time",
            ))
        }
        _ => {}
    }
    if number(i, "amount").is_some_and(|a| a > 10_000.0) {
        return Ok(json!({"status": "DECLINED", "reason": "amount above the card's limit"}));
    }
    Ok(json!({
        "status": "APPROVED",
        "authCode": format!("AUTH-{payment_id}"),
        "amount": copy(i, "amount"),
    }))
}

/// CapturePayment: `0341` is rejected.
fn capture_payment(i: &Value) -> Result<Value, ExecError> {
    let payment_id = text(i, "paymentId");
    if last4(i) == "0341" {
        return Err(ExecError::new(
            CAPTURE_ERROR,
            format!(
                "the acquirer rejected the capture of {}",
                text(i, "authCode")
            ),
        ));
    }
    Ok(json!({"status": "CAPTURED", "captureId": format!("CAP-{payment_id}")}))
}

/// SendEmail: always sent.
fn send_email(i: &Value) -> Result<Value, ExecError> {
    Ok(json!({"channel": "email", "sent": true, "to": copy(i, "to")}))
}

/// SendWebhook: merchant `m-flaky` fails the first attempt.
fn send_webhook(i: &Value) -> Result<Value, ExecError> {
    let n = attempt(i);
    if text(i, "merchantId") == "m-flaky" && n == 0 {
        return Err(ExecError::new(
            WEBHOOK_ERROR,
            "the merchant's endpoint answered 503",
        ));
    }
    Ok(json!({
        "channel": "webhook",
        "delivered": true,
        "merchantId": copy(i, "merchantId"),
        "attempts": n + 1,
    }))
}

/// SaveTransaction: the transaction record.
fn save_transaction(i: &Value) -> Result<Value, ExecError> {
    Ok(json!({"saved": true, "transactionId": format!("TX-{}", text(i, "paymentId"))}))
}

/// The caught error's `Cause` (`$.error.Cause`), if any.
fn caught_cause(i: &Value) -> Option<&str> {
    i.get("error")
        .and_then(|e| e.get("Cause"))
        .and_then(|c| c.as_str())
}

/// HandleAuthFailure: the rejection notice for a failed 3-D Secure or a declined authorization.
fn handle_auth_failure(i: &Value) -> Result<Value, ExecError> {
    let three_ds = i
        .get("threeDS")
        .and_then(|t| t.get("status"))
        .and_then(|s| s.as_str());
    let caught = i
        .get("error")
        .and_then(|e| e.get("Error"))
        .and_then(|c| c.as_str());
    let (error, cause) = if let Some(name) = caught.filter(|n| is_challenge_error(n)) {
        let cause = caught_cause(i).unwrap_or_default();
        (
            "AuthenticationFailed",
            if cause.is_empty() {
                format!("3-D Secure challenge not completed: {name}")
            } else {
                format!("3-D Secure challenge not completed: {name}: {cause}")
            },
        )
    } else if let Some(cause) = caught_cause(i) {
        (
            "PaymentDeclined",
            format!("authorization declined: {cause}"),
        )
    } else if three_ds.is_some_and(|s| s != "AUTHENTICATED") {
        (
            "AuthenticationFailed",
            "3-D Secure authentication failed".to_owned(),
        )
    } else {
        let auth = i.get("auth");
        let status = auth
            .and_then(|a| a.get("status"))
            .and_then(|s| s.as_str())
            .unwrap_or("UNKNOWN");
        let reason = auth
            .and_then(|a| a.get("reason"))
            .and_then(|s| s.as_str())
            .unwrap_or("no reason given");
        (
            "PaymentDeclined",
            format!("authorization status {status}: {reason}"),
        )
    };
    Ok(json!({
        "error": error,
        "cause": cause,
        "paymentId": copy(i, "paymentId"),
        "customerNotified": true,
    }))
}

/// Whether `error` ends a 3-D Secure challenge (Wait3DSCallback's Catch).
fn is_challenge_error(error: &str) -> bool {
    matches!(
        error,
        THREE_DS_FAILED | names::HEARTBEAT_TIMEOUT | names::TIMEOUT
    )
}

/// HandleCaptureFailure: voids the authorization (compensation).
fn handle_capture_failure(i: &Value) -> Result<Value, ExecError> {
    let auth_code = i
        .get("auth")
        .and_then(|a| a.get("authCode"))
        .and_then(|c| c.as_str())
        .unwrap_or("(none)");
    let why = caught_cause(i).unwrap_or("capture failed");
    Ok(json!({
        "error": "CaptureFailed",
        "cause": format!("{why}; authorization {auth_code} voided"),
        "voided": true,
        "voidedAuthCode": auth_code,
        "customerNotified": true,
    }))
}

/// HandleError: raises an alert for manual handling.
fn handle_error(i: &Value) -> Result<Value, ExecError> {
    let error = i.get("error");
    let name = error
        .and_then(|e| e.get("Error"))
        .and_then(|c| c.as_str())
        .unwrap_or("UnknownError");
    let cause = caught_cause(i).unwrap_or_default();
    Ok(json!({
        "error": "PaymentError",
        "cause": format!("{name}: {cause}"),
        "alerted": true,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Value {
        expressway::json::parse(text).expect("test JSON")
    }

    fn call(name: &str, input: &str) -> Result<String, ExecError> {
        function(name)(&v(input)).map(|out| expressway::json::to_string(&out))
    }

    #[test]
    fn every_function_has_its_own_handler() {
        // Each name maps to a distinct function (the fallback is only HandleError).
        let fs: Vec<usize> = FUNCTIONS.iter().map(|n| function(n) as usize).collect();
        for (i, a) in fs.iter().enumerate() {
            for b in &fs[i + 1..] {
                assert_ne!(a, b);
            }
        }
        let mut tasks = Tasks::default();
        register(&mut tasks);
    }

    #[test]
    fn validation_rules() {
        let ok = r#"{"paymentId":"p","amount":5,"currency":"EUR","merchantId":"m","card":{"last4":"4242"}}"#;
        assert_eq!(
            call("ValidateRequest", ok).unwrap(),
            r#"{"valid":true,"idempotencyKey":"m:p"}"#
        );
        for bad in [
            r#"{"amount":5,"currency":"EUR","card":{"last4":"4242"}}"#,
            r#"{"paymentId":"p","amount":0,"currency":"EUR","card":{"last4":"4242"}}"#,
            r#"{"paymentId":"p","amount":"5","currency":"EUR","card":{"last4":"4242"}}"#,
            r#"{"paymentId":"p","amount":5,"currency":"EURO","card":{"last4":"4242"}}"#,
            r#"{"paymentId":"p","amount":5,"currency":"EUR","card":{"last4":"42a2"}}"#,
            r#"{"paymentId":"p","amount":5,"currency":"EUR"}"#,
            "[]",
        ] {
            let err = call("ValidateRequest", bad).unwrap_err();
            assert_eq!(err.error, VALIDATION_ERROR, "{bad}");
        }
    }

    #[test]
    fn authorization_rules() {
        let auth = |last4: &str, amount: &str, attempt: u32| {
            call(
                "AuthorizePayment",
                &format!(
                    r#"{{"paymentId":"p","amount":{amount},"card":{{"last4":"{last4}"}},"attempt":{attempt}}}"#
                ),
            )
        };
        assert_eq!(
            auth("4242", "250.0", 0).unwrap(),
            r#"{"status":"APPROVED","authCode":"AUTH-p","amount":250.0}"#
        );
        assert_eq!(auth("0002", "5", 0).unwrap_err().error, AUTHORIZATION_ERROR);
        assert_eq!(auth("0119", "5", 0).unwrap_err().error, names::TIMEOUT);
        assert!(auth("0119", "5", 1).unwrap().contains("APPROVED"));
        assert!(auth("4242", "10001", 0).unwrap().contains("DECLINED"));
    }

    #[test]
    fn capture_and_notification_rules() {
        assert_eq!(
            call(
                "CapturePayment",
                r#"{"paymentId":"p","card":{"last4":"0341"},"authCode":"AUTH-p"}"#
            )
            .unwrap_err(),
            ExecError::new(CAPTURE_ERROR, "the acquirer rejected the capture of AUTH-p")
        );
        assert_eq!(
            call(
                "CapturePayment",
                r#"{"paymentId":"p","card":{"last4":"4242"}}"#
            )
            .unwrap(),
            r#"{"status":"CAPTURED","captureId":"CAP-p"}"#
        );
        assert_eq!(
            call("SendWebhook", r#"{"merchantId":"m-flaky","attempt":0}"#)
                .unwrap_err()
                .error,
            WEBHOOK_ERROR
        );
        assert!(
            call("SendWebhook", r#"{"merchantId":"m-flaky","attempt":1}"#)
                .unwrap()
                .contains(r#""attempts":2"#)
        );
        assert_eq!(
            call("Request3DS", r#"{"paymentId":"p","card":{"last4":"0036"}}"#).unwrap(),
            r#"{"challengeId":"3DS-p","challengeRequired":false,"authentication":{"status":"FAILED","eci":"07"}}"#
        );
        assert_eq!(
            call(
                "Request3DS",
                r#"{"paymentId":"p","card":{"acsUrl":"http://127.0.0.1:1/acs","acsHeartbeatSeconds":9,"acsTimeoutSeconds":3}}"#
            )
            .unwrap(),
            r#"{"challengeId":"3DS-p","challengeRequired":true,"acsUrl":"http://127.0.0.1:1/acs","heartbeatSeconds":2,"timeoutSeconds":3}"#
        );
        assert!(call("Request3DS", r#"{"card":{"acsUrl":"u"}}"#)
            .unwrap()
            .contains(r#""heartbeatSeconds":30,"timeoutSeconds":90"#));
    }

    #[test]
    fn failure_handlers_name_the_fail_error() {
        let declined = call(
            "HandleAuthFailure",
            r#"{"paymentId":"p","error":{"Error":"AuthorizationError","Cause":"no"}}"#,
        )
        .unwrap();
        assert!(
            declined.contains(r#""error":"PaymentDeclined""#),
            "{declined}"
        );
        assert!(
            declined.contains("authorization declined: no"),
            "{declined}"
        );
        let three_ds = call(
            "HandleAuthFailure",
            r#"{"paymentId":"p","threeDS":{"status":"FAILED"}}"#,
        )
        .unwrap();
        assert!(three_ds.contains("AuthenticationFailed"), "{three_ds}");
        let missed = call(
            "HandleAuthFailure",
            r#"{"error":{"Error":"States.HeartbeatTimeout","Cause":""}}"#,
        )
        .unwrap();
        assert!(
            missed.contains(
                r#""error":"AuthenticationFailed","cause":"3-D Secure challenge not completed: States.HeartbeatTimeout""#
            ),
            "{missed}"
        );
        let soft = call(
            "HandleAuthFailure",
            r#"{"auth":{"status":"DECLINED","reason":"r"}}"#,
        )
        .unwrap();
        assert!(soft.contains("authorization status DECLINED: r"), "{soft}");
        let void = call(
            "HandleCaptureFailure",
            r#"{"auth":{"authCode":"AUTH-p"},"error":{"Error":"CaptureError","Cause":"c"}}"#,
        )
        .unwrap();
        assert!(
            void.contains(r#""cause":"c; authorization AUTH-p voided""#),
            "{void}"
        );
        let alert = call("HandleError", r#"{"error":{"Error":"E","Cause":"C"}}"#).unwrap();
        assert!(alert.contains(r#""cause":"E: C""#), "{alert}");
        // Garbage input never panics.
        for name in FUNCTIONS {
            for input in ["null", "[]", "1", r#"{"card":5,"error":[]}"#] {
                let _ = call(name, input);
            }
        }
    }
}
