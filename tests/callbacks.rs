//! `.waitForTaskToken` Tasks answered through the engine's Task Tokens.

mod common;

use std::sync::Arc;
use std::time::Duration;

use expressway::engine::Engine;
use expressway::json::Value;
use expressway::tasks::Tasks;
use simd_json::prelude::*;
use tokio::sync::mpsc;

const CALLBACK: &str = "arn:aws:lambda:us-east-1:1:function:Issuer";

/// An engine whose `Issuer` handler passes each token it is given to the test.
fn engine() -> (Engine, mpsc::UnboundedReceiver<String>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut tasks = Tasks::new();
    tasks.register(
        CALLBACK,
        Arc::new(move |input: expressway::tasks::TaskInput| {
            let tx = tx.clone();
            Box::pin(async move {
                let token = input.get_str("token").unwrap_or_default().to_owned();
                let _ = tx.send(token);
                Ok(Value::from("handed over"))
            })
        }),
    );
    (Engine::new(tasks), rx)
}

fn definition(extra: &str) -> String {
    format!(
        r#"{{"StartAt":"Wait3DS","States":{{
        "Wait3DS":{{"Type":"Task","Resource":"{CALLBACK}.waitForTaskToken",
          "Parameters":{{"token.$":"$$.Task.Token"}},"ResultPath":"$.threeDS",{extra}
          "Catch":[{{"ErrorEquals":["States.HeartbeatTimeout"],"ResultPath":"$.err","Next":"NoHeartbeat"}},
                   {{"ErrorEquals":["States.Timeout"],"ResultPath":"$.err","Next":"TimedOut"}}],
          "End":true}},
        "NoHeartbeat":{{"Type":"Pass","Result":"heartbeat","ResultPath":"$.path","End":true}},
        "TimedOut":{{"Type":"Pass","Result":"timeout","ResultPath":"$.path","End":true}}}}}}"#
    )
}

async fn start(engine: &Engine, def: &str) -> tokio::task::JoinHandle<String> {
    let machine = Arc::new(expressway::compile::load(def).expect("definition loads"));
    let engine = engine.clone();
    tokio::spawn(async move {
        let input = expressway::json::parse(r#"{"paymentId":"p-1"}"#).unwrap();
        common::summary(engine.execute(machine, input, common::options()).await)
    })
}

#[tokio::test]
async fn send_task_success_completes_the_task() {
    let (engine, mut tokens) = engine();
    let run = start(&engine, &definition("")).await;
    let token = tokens.recv().await.unwrap();
    assert_eq!(engine.task_tokens().outstanding(), 1);
    let output = expressway::json::parse(r#"{"status":"AUTHENTICATED"}"#).unwrap();
    engine.task_tokens().succeed(&token, output).unwrap();
    assert_eq!(
        run.await.unwrap(),
        r#"{"paymentId":"p-1","threeDS":{"status":"AUTHENTICATED"}}"#
    );
    assert_eq!(engine.task_tokens().outstanding(), 0);
    assert!(engine
        .task_tokens()
        .succeed(&token, Value::from(1))
        .is_err());
}

#[tokio::test]
async fn send_task_failure_fails_the_task() {
    let (engine, mut tokens) = engine();
    let run = start(&engine, &definition("")).await;
    let token = tokens.recv().await.unwrap();
    engine
        .task_tokens()
        .fail(&token, "CardAuthFailed".into(), "issuer said no".into())
        .unwrap();
    assert_eq!(run.await.unwrap(), "FAILED CardAuthFailed: issuer said no");
}

#[tokio::test(start_paused = true)]
async fn missed_heartbeat_takes_its_catch() {
    let (engine, mut tokens) = engine();
    let run = start(
        &engine,
        &definition(r#""TimeoutSeconds":60,"HeartbeatSeconds":5,"#),
    )
    .await;
    let token = tokens.recv().await.unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    engine.task_tokens().heartbeat(&token).unwrap();
    let out = run.await.unwrap();
    assert!(out.contains(r#""path":"heartbeat""#), "{out}");
    assert!(out.contains("States.HeartbeatTimeout"), "{out}");
}

#[tokio::test(start_paused = true)]
async fn timeout_takes_its_catch() {
    let (engine, mut tokens) = engine();
    let run = start(&engine, &definition(r#""TimeoutSeconds":10,"#)).await;
    let _token = tokens.recv().await.unwrap();
    let out = run.await.unwrap();
    assert!(out.contains(r#""path":"timeout""#), "{out}");
}
