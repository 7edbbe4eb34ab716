//! Resolution order of [`Tasks::invoke`].

use super::*;

const FN_ARN: &str = "arn:aws:lambda:us-east-1:111111111111:function:greet";

fn v(text: &str) -> Value {
    crate::json::parse(text).expect("test JSON")
}

fn call(resource: &str, input: &str) -> TaskCall {
    TaskCall {
        resource: resource.into(),
        input: v(input).into(),
        state_name: "Greet".into(),
        state_machine_name: "Machine".into(),
        test_case: None,
        invocation: 0,
        timeout: None,
        heartbeat: None,
    }
}

fn tasks() -> Tasks {
    // No Lambda: the tests must not depend on the environment.
    Tasks::default()
}

fn tagged(tag: &'static str) -> Handler {
    handler(move |input: crate::tasks::TaskInput| async move {
        let mut o = crate::json::Object::new();
        o.insert("by".into(), Value::from(tag));
        o.insert("input".into(), std::sync::Arc::unwrap_or_clone(input));
        Ok(Value::from(o))
    })
}

#[tokio::test]
async fn exact_arn_handler() {
    let mut t = tasks();
    t.register_fn("arn:aws:states:::my:thing", |input| async move {
        Ok(std::sync::Arc::unwrap_or_clone(input))
    });
    let out = t
        .invoke(call("arn:aws:states:::my:thing", r#"{"x":1}"#))
        .await;
    assert_eq!(out, Ok(v(r#"{"x":1}"#)));
}

#[tokio::test]
async fn function_name_handler_resolves_any_qualifier() {
    let mut t = tasks();
    t.register_function("greet", tagged("name"));
    let out = t.invoke(call(FN_ARN, "1")).await;
    assert_eq!(out, Ok(v(r#"{"by":"name","input":1}"#)));
    let out = t.invoke(call(&format!("{FN_ARN}:prod"), "2")).await;
    assert_eq!(out, Ok(v(r#"{"by":"name","input":2}"#)));
    // Not for the service integration or another function.
    let err = t
        .invoke(call("arn:aws:states:::lambda:invoke", "{}"))
        .await
        .unwrap_err();
    assert_eq!(err.error, names::TASK_FAILED);
    let other = "arn:aws:lambda:us-east-1:111111111111:function:other";
    assert!(t.invoke(call(other, "{}")).await.is_err());
}

#[tokio::test]
async fn exact_arn_beats_function_name() {
    let mut t = tasks();
    t.register_function("greet", tagged("name"));
    t.register(FN_ARN, tagged("arn"));
    let out = t.invoke(call(FN_ARN, "0")).await;
    assert_eq!(out, Ok(v(r#"{"by":"arn","input":0}"#)));
}

#[tokio::test]
async fn handler_error_and_panic() {
    let mut t = tasks();
    t.register_fn("arn:err", |_| async {
        Err(ExecError::new("CustomError", "bad"))
    });
    t.register_fn("arn:panic", |_| async {
        if true {
            panic!("handler exploded");
        }
        Ok(Value::from(0))
    });
    assert_eq!(
        t.invoke(call("arn:err", "{}")).await,
        Err(ExecError::new("CustomError", "bad"))
    );
    let err = t.invoke(call("arn:panic", "{}")).await.unwrap_err();
    assert_eq!(err.error, names::TASK_FAILED);
    assert!(err.cause.contains("handler exploded"), "{}", err.cause);
    // The resolver still works after a panic.
    assert!(t.invoke(call("arn:err", "{}")).await.is_err());
}

#[tokio::test]
async fn unresolved_resource_names_it() {
    let t = tasks();
    let err = t.invoke(call(FN_ARN, "{}")).await.unwrap_err();
    assert_eq!(err.error, names::TASK_FAILED);
    assert_eq!(
        err.cause,
        format!("no handler, mock or Lambda resolves resource '{FN_ARN}'")
    );
}

const MOCK: &str = r#"{
  "StateMachines": {"Machine": {"TestCases": {"Happy": {"Greet": "R"}}}},
  "MockedResponses": {"R": {
    "0": {"Return": {"StatusCode": 200, "Payload": {"hi": true}}},
    "1": {"Throw": {"Error": "Lambda.TooManyRequestsException", "Cause": "slow down"}}
  }}
}"#;

#[tokio::test]
async fn mock_takes_precedence_under_a_test_case() {
    let mut t = tasks();
    t.register(FN_ARN, tagged("arn"));
    t.set_mock(Some(MOCK.parse().unwrap()));
    let mut c = call(
        "arn:aws:states:::lambda:invoke",
        r#"{"FunctionName":"greet"}"#,
    );
    c.test_case = Some("Happy".into());
    assert_eq!(
        t.invoke(c.clone()).await,
        Ok(v(r#"{"StatusCode":200,"Payload":{"hi":true}}"#))
    );
    c.invocation = 1;
    assert_eq!(
        t.invoke(c.clone()).await,
        Err(ExecError::new(
            "Lambda.TooManyRequestsException",
            "slow down"
        ))
    );
    c.invocation = 2;
    let err = t.invoke(c.clone()).await.unwrap_err();
    assert_eq!(err.error, names::RUNTIME);
    assert!(err.cause.contains("invocation 2"), "{}", err.cause);

    // A state the test case does not mock resolves normally, as in Step
    // Functions Local (the AWS guide's HybridPath test case mocks only its
    // Lambda state; its SQS state calls the service).
    let mut other = call(FN_ARN, "4");
    other.state_name = "Unmocked".into();
    other.test_case = Some("Happy".into());
    assert!(!t.is_mocked(&other));
    assert_eq!(t.invoke(other).await, Ok(v(r#"{"by":"arn","input":4}"#)));
    assert!(t.is_mocked(&c));
    // A test case missing from the file is still refused (a misspelt name
    // must not silently call real services).
    let mut missing = call(FN_ARN, "{}");
    missing.test_case = Some("Nope".into());
    let err = t.invoke(missing).await.unwrap_err();
    assert_eq!(err.error, names::RUNTIME);
    assert!(err.cause.contains("test case 'Nope'"), "{}", err.cause);

    // Without a test case the mock file is not used.
    let out = t.invoke(call(FN_ARN, "3")).await;
    assert_eq!(out, Ok(v(r#"{"by":"arn","input":3}"#)));
}

#[tokio::test]
async fn test_case_without_mock_file_fails_clearly() {
    let t = tasks();
    let mut c = call(FN_ARN, "{}");
    c.test_case = Some("Happy".into());
    let err = t.invoke(c).await.unwrap_err();
    assert_eq!(err.error, names::RUNTIME);
    assert!(err.cause.contains("no mock config"), "{}", err.cause);
}

#[test]
fn lambda_config_setters() {
    let mut t = tasks();
    assert!(t.lambda_config().is_none());
    t.set_lambda(Some(LambdaConfig::local("http://127.0.0.1:9001/")));
    assert_eq!(
        t.lambda_config().map(|c| c.endpoint.as_str()),
        Some("http://127.0.0.1:9001")
    );
    t.set_lambda(None);
    assert!(t.lambda_config().is_none());
}
