//! AWS service integrations (SQS, SNS, DynamoDB, EventBridge) run through
//! the engine against moto's server: both Resource forms, results, error
//! names and causes, and `.waitForTaskToken` over SQS. The optimized forms
//! are rows of the optimized table on the generic client; the assertions on
//! them are those the hand-written AWS SDK code (removed) passed, plus the
//! `SdkHttpMetadata` envelope it wrote ([`envelope`]).
#![cfg(feature = "aws")]

mod common;

use std::sync::Arc;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use common::moto::Moto;
use common::sorted_keys;
use expressway::engine::{Engine, ExecutionOutcome};
use expressway::json::Value;
use expressway::tasks::{AwsConfig, Credentials, Tasks};
use simd_json::prelude::*;

/// Tasks whose integrations call `moto`.
fn tasks(moto: &Moto) -> Tasks {
    let mut tasks = Tasks::default();
    tasks.set_aws(AwsConfig {
        endpoint_url: Some(moto.endpoint.clone()),
        region: Some("us-east-1".into()),
        credentials: Some(Credentials {
            access_key_id: "testing".into(),
            secret_access_key: "testing".into(),
            session_token: None,
        }),
    });
    tasks
}

/// The SDK configuration the tests use to set up and inspect `moto`.
async fn sdk(moto: &Moto) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(&moto.endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sqs::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .load()
        .await
}

/// A one-Task definition calling `resource` with `parameters`, catching
/// `catch` (an error name) into `$.err`.
fn task(resource: &str, parameters: &str, catch: &str) -> String {
    format!(
        r#"{{"StartAt":"Call","States":{{
        "Call":{{"Type":"Task","Resource":"{resource}","Parameters":{parameters},
          "Catch":[{{"ErrorEquals":["{catch}"],"ResultPath":"$.err","Next":"Caught"}}],"End":true}},
        "Caught":{{"Type":"Pass","End":true}}}}}}"#
    )
}

/// Runs `definition` on `input`; panics unless it succeeds.
async fn output(tasks: &Tasks, definition: &str, input: &str) -> Value {
    let o = common::run_with(tasks.clone(), definition, input).await;
    let summary = format!("{:?} {:?} {:?}", o.status, o.error, o.cause);
    o.output
        .unwrap_or_else(|| panic!("execution failed: {summary}"))
}

/// Runs `definition` on `input`; returns the error the Task raised, caught
/// into `$.err` (`(Error, Cause)`).
async fn caught(tasks: &Tasks, definition: &str, input: &str) -> (String, String) {
    let out = output(tasks, definition, input).await;
    let err = out
        .get("err")
        .unwrap_or_else(|| panic!("not caught: {}", expressway::json::to_string(&out)));
    (
        err.get_str("Error").unwrap_or_default().to_owned(),
        err.get_str("Cause").unwrap_or_default().to_owned(),
    )
}

/// Runs `definition` on `input`; returns the failed execution's outcome.
async fn failed(tasks: &Tasks, definition: &str, input: &str) -> ExecutionOutcome {
    let o = common::run_with(tasks.clone(), definition, input).await;
    assert!(o.output.is_none(), "expected a failure: {:?}", o.output);
    o
}

/// The `SdkHttpMetadata` / `SdkResponseMetadata` envelope as the
/// hand-written AWS SDK code wrote it (and AWS's recorded histories show):
/// status 200, every header both listed and joined under AWS's
/// capitalisation, the request id. Returns the `Content-Type`.
fn envelope(out: &Value) -> String {
    let http = out.get("SdkHttpMetadata").expect("SdkHttpMetadata");
    assert_eq!(
        sorted_keys(http),
        ["AllHttpHeaders", "HttpHeaders", "HttpStatusCode"]
    );
    assert_eq!(http.get_u64("HttpStatusCode"), Some(200));
    let all = http.get("AllHttpHeaders").unwrap();
    let flat = http.get("HttpHeaders").unwrap();
    assert_eq!(sorted_keys(all), sorted_keys(flat));
    for k in sorted_keys(flat) {
        let joined: Vec<&str> = all
            .get(k.as_str())
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(
            Some(joined.join(",").as_str()),
            flat.get_str(k.as_str()),
            "{k}"
        );
    }
    let request_id = out
        .get("SdkResponseMetadata")
        .and_then(|m| m.get_str("RequestId"))
        .expect("RequestId");
    assert!(!request_id.is_empty());
    if let Some(h) = flat.get_str("x-amzn-RequestId") {
        assert_eq!(h, request_id);
    }
    flat.get_str("Content-Type")
        .expect("Content-Type")
        .to_owned()
}

fn md5_hex(s: &str) -> String {
    use md5::Digest;
    hex::encode(md5::Md5::digest(s.as_bytes()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqs_send_message_both_forms_errors_and_callback() {
    let moto = Moto::start();
    let sdk = sdk(&moto).await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let url = sqs
        .create_queue()
        .queue_name("orders")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let tasks = tasks(&moto);
    let input = format!(r#"{{"url":"{url}","id":"o-1"}}"#);
    let params = r#"{"QueueUrl.$":"$.url","MessageBody":{"order.$":"$.id"},
        "MessageAttributes":{"kind":{"DataType":"String","StringValue":"order"}}}"#;

    // Optimized: a JSON MessageBody is sent as JSON text; the result carries
    // MD5OfMessageBody and the SDK metadata envelope.
    let out = output(
        &tasks,
        &task("arn:aws:states:::sqs:sendMessage", params, "X"),
        &input,
    )
    .await;
    assert_eq!(
        sorted_keys(&out),
        [
            "MD5OfMessageAttributes",
            "MD5OfMessageBody",
            "MessageId",
            "SdkHttpMetadata",
            "SdkResponseMetadata"
        ]
    );
    assert_eq!(
        out.get_str("MD5OfMessageBody"),
        Some(md5_hex(r#"{"order":"o-1"}"#).as_str())
    );
    assert!(envelope(&out).starts_with("application/x-amz-json-1.0"));
    let received = sqs
        .receive_message()
        .queue_url(&url)
        .message_attribute_names("All")
        .send()
        .await
        .unwrap();
    let msg = &received.messages()[0];
    assert_eq!(msg.body(), Some(r#"{"order":"o-1"}"#));
    assert_eq!(msg.message_id(), out.get_str("MessageId"));
    let kind = msg.message_attributes().unwrap().get("kind").unwrap();
    assert_eq!(kind.string_value(), Some("order"));

    // AWS SDK form: the API's output only, Java 2.x member names; a string
    // body is sent as is.
    let out = output(
        &tasks,
        &task(
            "arn:aws:states:::aws-sdk:sqs:sendMessage",
            r#"{"QueueUrl.$":"$.url","MessageBody":"plain","DelaySeconds":0}"#,
            "X",
        ),
        &input,
    )
    .await;
    assert_eq!(sorted_keys(&out), ["Md5OfMessageBody", "MessageId"]);
    assert_eq!(
        out.get_str("Md5OfMessageBody"),
        Some(md5_hex("plain").as_str())
    );

    // A missing queue, caught by the name each form gives it.
    let gone = format!(
        r#"{{"url":"{}/123456789012/missing","id":"o-1"}}"#,
        moto.endpoint
    );
    let (error, cause) = caught(
        &tasks,
        &task(
            "arn:aws:states:::sqs:sendMessage",
            params,
            "SQS.QueueDoesNotExistException",
        ),
        &gone,
    )
    .await;
    assert_eq!(error, "SQS.QueueDoesNotExistException");
    assert!(
        cause.contains("(Service: AmazonSQS; Status Code: 400; Error Code: "),
        "{cause}"
    );
    assert!(cause.ends_with("; Proxy: null)"), "{cause}");
    let (error, cause) = caught(
        &tasks,
        &task(
            "arn:aws:states:::aws-sdk:sqs:sendMessage",
            params,
            "Sqs.QueueDoesNotExistException",
        ),
        &gone,
    )
    .await;
    assert_eq!(error, "Sqs.QueueDoesNotExistException");
    assert!(
        cause.contains("(Service: Sqs, Status Code: 400, Request ID: "),
        "{cause}"
    );

    // Parameters of the wrong type, and fields the API does not have.
    let o = failed(
        &tasks,
        &task(
            "arn:aws:states:::sqs:sendMessage",
            r#"{"QueueUrl.$":"$.url","MessageBody":"x","DelaySeconds":"soon"}"#,
            "States.ALL",
        ),
        &input,
    )
    .await;
    assert_eq!(o.error.as_deref(), Some("States.Runtime"));
    assert!(o
        .cause
        .unwrap()
        .contains("parameter DelaySeconds of sqs:sendMessage: expected an integer"));
    let o = failed(
        &tasks,
        &task(
            "arn:aws:states:::aws-sdk:sqs:sendMessage",
            r#"{"QueueUrl.$":"$.url","MessageBody":"x","Bogus":1}"#,
            "States.ALL",
        ),
        &input,
    )
    .await;
    assert_eq!(o.error.as_deref(), Some("States.Runtime"));
    assert!(o.cause.unwrap().contains("\"Bogus\" is not supported"));
    // The optimized form drops fields it does not support, as AWS does.
    let out = output(
        &tasks,
        &task("arn:aws:states:::sqs:sendMessage", r#"{"QueueUrl.$":"$.url","MessageBody":"x","MessageSystemAttribute":{"AWSTraceHeader":"t"}}"#, "X"),
        &input,
    )
    .await;
    assert!(out.get_str("MessageId").is_some());

    // .waitForTaskToken: the message carries the Task Token; the consumer
    // answers through the engine's Task Tokens.
    sqs.purge_queue().queue_url(&url).send().await.unwrap();
    let engine = Engine::new(tasks.clone());
    let def = r#"{"StartAt":"Ask","States":{"Ask":{"Type":"Task",
        "Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters":{"QueueUrl.$":"$.url","MessageBody":{"token.$":"$$.Task.Token","id.$":"$.id"}},
        "ResultPath":"$.answer","TimeoutSeconds":30,"End":true}}}"#;
    let machine = Arc::new(expressway::compile::load(def).unwrap());
    let run = {
        let engine = engine.clone();
        let input = expressway::json::parse(&input).unwrap();
        tokio::spawn(async move {
            common::summary(engine.execute(machine, input, common::options()).await)
        })
    };
    let body = loop {
        let r = sqs
            .receive_message()
            .queue_url(&url)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        if let Some(m) = r.messages().first() {
            break m.body().unwrap().to_owned();
        }
    };
    let body = expressway::json::parse(&body).unwrap();
    assert_eq!(body.get_str("id"), Some("o-1"));
    let token = body.get_str("token").unwrap();
    assert_eq!(engine.task_tokens().outstanding(), 1);
    engine
        .task_tokens()
        .succeed(
            token,
            expressway::json::parse(r#"{"approved":true}"#).unwrap(),
        )
        .unwrap();
    let done = tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        done,
        format!(r#"{{"url":"{url}","id":"o-1","answer":{{"approved":true}}}}"#)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sns_publish_both_forms_and_missing_topic() {
    let moto = Moto::start();
    let sdk = sdk(&moto).await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let tasks = tasks(&moto);
    // Set up through the generic client (no per-service SDK crate).
    let created = output(
        &tasks,
        &task(
            "arn:aws:states:::aws-sdk:sns:createTopic",
            r#"{"Name":"alerts"}"#,
            "X",
        ),
        "{}",
    )
    .await;
    let topic = created.get_str("TopicArn").unwrap().to_owned();
    let url = sqs
        .create_queue()
        .queue_name("alerts-q")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    output(
        &tasks,
        &task(
            "arn:aws:states:::aws-sdk:sns:subscribe",
            &format!(
                r#"{{"TopicArn":"{topic}","Protocol":"sqs","Endpoint":"arn:aws:sqs:us-east-1:123456789012:alerts-q",
                "Attributes":{{"RawMessageDelivery":"true"}}}}"#
            ),
            "X",
        ),
        "{}",
    )
    .await;
    let input = format!(r#"{{"topic":"{topic}","level":"high"}}"#);
    let params = r#"{"TopicArn.$":"$.topic","Message":{"level.$":"$.level"},"Subject":"alert"}"#;

    let out = output(
        &tasks,
        &task("arn:aws:states:::sns:publish", params, "X"),
        &input,
    )
    .await;
    assert_eq!(
        sorted_keys(&out),
        ["MessageId", "SdkHttpMetadata", "SdkResponseMetadata"]
    );
    // SNS speaks `query`: the request id comes from the XML ResponseMetadata.
    assert!(envelope(&out).starts_with("text/xml"));
    let got = sqs
        .receive_message()
        .queue_url(&url)
        .wait_time_seconds(2)
        .send()
        .await
        .unwrap();
    assert_eq!(got.messages()[0].body(), Some(r#"{"level":"high"}"#));

    let out = output(
        &tasks,
        &task("arn:aws:states:::aws-sdk:sns:publish", params, "X"),
        &input,
    )
    .await;
    assert_eq!(sorted_keys(&out), ["MessageId"]);

    let missing = r#"{"topic":"arn:aws:sns:us-east-1:123456789012:nope","level":"x"}"#;
    let (error, cause) = caught(
        &tasks,
        &task(
            "arn:aws:states:::sns:publish",
            params,
            "SNS.NotFoundException",
        ),
        missing,
    )
    .await;
    assert_eq!(error, "SNS.NotFoundException");
    assert!(
        cause.contains("(Service: AmazonSNS; Status Code: 404; Error Code: NotFound;"),
        "{cause}"
    );
    let (error, cause) = caught(
        &tasks,
        &task(
            "arn:aws:states:::aws-sdk:sns:publish",
            params,
            "Sns.NotFoundException",
        ),
        missing,
    )
    .await;
    assert_eq!(error, "Sns.NotFoundException");
    assert!(
        cause.contains("(Service: Sns, Status Code: 404, Request ID: "),
        "{cause}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_items_both_forms_and_errors() {
    let moto = Moto::start();
    let tasks = tasks(&moto);
    output(
        &tasks,
        &task(
            "arn:aws:states:::aws-sdk:dynamodb:createTable",
            r#"{"TableName":"accounts","AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],
            "KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"}"#,
            "X",
        ),
        "{}",
    )
    .await;
    let item = r#"{"id":{"S.$":"$.id"},"balance":{"N":"10"},"tags":{"SS":["a","b"]},"blob":{"B":"AQID"},
        "profile":{"M":{"name":{"S":"Ana"},"vip":{"BOOL":true},"note":{"NULL":true},"scores":{"L":[{"N":"1"},{"N":"2.5"}]}}}}"#;
    let input = r#"{"id":"acc-1"}"#;

    let put = format!(r#"{{"TableName":"accounts","Item":{item}}}"#);
    let out = output(
        &tasks,
        &task("arn:aws:states:::dynamodb:putItem", &put, "X"),
        input,
    )
    .await;
    assert_eq!(
        sorted_keys(&out),
        ["SdkHttpMetadata", "SdkResponseMetadata"]
    );
    assert!(envelope(&out).starts_with("application/x-amz-json-1.0"));

    let get = r#"{"TableName":"accounts","Key":{"id":{"S.$":"$.id"}}}"#;
    let out = output(
        &tasks,
        &task("arn:aws:states:::dynamodb:getItem", get, "X"),
        input,
    )
    .await;
    assert_eq!(
        expressway::json::to_string(out.get("Item").unwrap()),
        r#"{"balance":{"N":"10"},"blob":{"B":"AQID"},"id":{"S":"acc-1"},"profile":{"M":{"name":{"S":"Ana"},"note":{"NULL":true},"scores":{"L":[{"N":"1"},{"N":"2.5"}]},"vip":{"BOOL":true}}},"tags":{"SS":["a","b"]}}"#
    );
    let out = output(
        &tasks,
        &task("arn:aws:states:::aws-sdk:dynamodb:getItem", get, "X"),
        input,
    )
    .await;
    assert_eq!(sorted_keys(&out), ["Item"]);

    let update = r#"{"TableName":"accounts","Key":{"id":{"S.$":"$.id"}},
        "UpdateExpression":"SET balance = balance + :d","ConditionExpression":"balance >= :min",
        "ExpressionAttributeValues":{":d":{"N":"5"},":min":{"N":"0"}},"ReturnValues":"UPDATED_NEW"}"#;
    let out = output(
        &tasks,
        &task("arn:aws:states:::dynamodb:updateItem", update, "X"),
        input,
    )
    .await;
    assert_eq!(
        expressway::json::to_string(out.get("Attributes").unwrap()),
        r#"{"balance":{"N":"15"}}"#
    );
    let out = output(
        &tasks,
        &task("arn:aws:states:::aws-sdk:dynamodb:updateItem", update, "X"),
        input,
    )
    .await;
    // (moto adds ConsumedCapacity unasked; AWS only when ReturnConsumedCapacity says so.)
    assert!(out.get("SdkHttpMetadata").is_none());
    assert_eq!(
        expressway::json::to_string(out.get("Attributes").unwrap()),
        r#"{"balance":{"N":"20"}}"#
    );

    // A failed condition, caught by the name each form gives it.
    let guarded = r#"{"TableName":"accounts","Key":{"id":{"S.$":"$.id"}},
        "UpdateExpression":"SET balance = :z","ConditionExpression":"balance > :big",
        "ExpressionAttributeValues":{":z":{"N":"0"},":big":{"N":"1000"}}}"#;
    let (error, cause) = caught(
        &tasks,
        &task(
            "arn:aws:states:::dynamodb:updateItem",
            guarded,
            "DynamoDB.ConditionalCheckFailedException",
        ),
        input,
    )
    .await;
    assert_eq!(error, "DynamoDB.ConditionalCheckFailedException");
    assert!(cause.contains("(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ConditionalCheckFailedException; Request ID: "), "{cause}");
    let (error, _) = caught(
        &tasks,
        &task(
            "arn:aws:states:::aws-sdk:dynamodb:updateItem",
            guarded,
            "DynamoDb.ConditionalCheckFailedException",
        ),
        input,
    )
    .await;
    assert_eq!(error, "DynamoDb.ConditionalCheckFailedException");

    // A missing table.
    let nowhere = r#"{"TableName":"nowhere","Key":{"id":{"S":"x"}}}"#;
    let (error, cause) = caught(
        &tasks,
        &task(
            "arn:aws:states:::dynamodb:getItem",
            nowhere,
            "DynamoDB.ResourceNotFoundException",
        ),
        input,
    )
    .await;
    assert_eq!(error, "DynamoDB.ResourceNotFoundException");
    assert!(
        cause.contains("Error Code: ResourceNotFoundException"),
        "{cause}"
    );
    let (error, cause) = caught(
        &tasks,
        &task(
            "arn:aws:states:::aws-sdk:dynamodb:getItem",
            nowhere,
            "DynamoDb.ResourceNotFoundException",
        ),
        input,
    )
    .await;
    assert_eq!(error, "DynamoDb.ResourceNotFoundException");
    assert!(
        cause.contains("(Service: DynamoDb, Status Code: 400, Request ID: "),
        "{cause}"
    );

    // A request DynamoDB rejects (the key lacks its attribute): an error the
    // model does not declare gets the client's base exception.
    let bad_key = r#"{"TableName":"accounts","Key":{"other":{"S":"x"}}}"#;
    let (error, cause) = caught(
        &tasks,
        &task(
            "arn:aws:states:::dynamodb:getItem",
            bad_key,
            "States.TaskFailed",
        ),
        input,
    )
    .await;
    assert_eq!(error, "DynamoDB.AmazonDynamoDBException");
    assert!(cause.contains("Error Code: ValidationException"), "{cause}");
    let (error, _) = caught(
        &tasks,
        &task(
            "arn:aws:states:::aws-sdk:dynamodb:getItem",
            bad_key,
            "States.TaskFailed",
        ),
        input,
    )
    .await;
    assert_eq!(error, "DynamoDb.DynamoDbException");

    // AttributeValue JSON of the wrong shape never reaches DynamoDB.
    let o = failed(
        &tasks,
        &task(
            "arn:aws:states:::dynamodb:getItem",
            r#"{"TableName":"accounts","Key":{"id":"acc-1"}}"#,
            "States.ALL",
        ),
        input,
    )
    .await;
    assert_eq!(o.error.as_deref(), Some("States.Runtime"));
    assert!(o
        .cause
        .unwrap()
        .contains("parameter Key.id of dynamodb:getItem"));

    let delete = r#"{"TableName":"accounts","Key":{"id":{"S.$":"$.id"}},"ReturnValues":"ALL_OLD"}"#;
    let out = output(
        &tasks,
        &task("arn:aws:states:::dynamodb:deleteItem", delete, "X"),
        input,
    )
    .await;
    assert_eq!(
        out.get("Attributes")
            .unwrap()
            .get("balance")
            .unwrap()
            .get_str("N"),
        Some("20")
    );
    let out = output(
        &tasks,
        &task("arn:aws:states:::aws-sdk:dynamodb:deleteItem", delete, "X"),
        input,
    )
    .await;
    assert!(out.get("Attributes").is_none(), "already deleted");
    assert!(out.get("SdkHttpMetadata").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eventbridge_put_events_both_forms_and_failed_entries() {
    let moto = Moto::start();
    let tasks = tasks(&moto);
    let entries = r#"{"Entries":[{"Source":"shop.orders","DetailType":"OrderPlaced","Detail":{"id.$":"$.id"}}]}"#;
    let input = r#"{"id":"o-9"}"#;

    let out = output(
        &tasks,
        &task("arn:aws:states:::events:putEvents", entries, "X"),
        input,
    )
    .await;
    assert_eq!(
        sorted_keys(&out),
        [
            "Entries",
            "FailedEntryCount",
            "SdkHttpMetadata",
            "SdkResponseMetadata"
        ]
    );
    assert_eq!(out.get_u64("FailedEntryCount"), Some(0));
    // (moto labels its EventBridge answers with its own Content-Type.)
    assert!(!envelope(&out).is_empty());
    assert!(out.get("Entries").unwrap().as_array().unwrap()[0]
        .get_str("EventId")
        .is_some());

    let out = output(
        &tasks,
        &task(
            "arn:aws:states:::aws-sdk:eventbridge:putEvents",
            entries,
            "X",
        ),
        input,
    )
    .await;
    assert_eq!(sorted_keys(&out), ["Entries", "FailedEntryCount"]);

    // An entry EventBridge rejects: the optimized form fails the Task.
    let bad =
        r#"{"Entries":[{"Source":"shop.orders","DetailType":"OrderPlaced","Detail":"not json"}]}"#;
    let (error, cause) = caught(
        &tasks,
        &task(
            "arn:aws:states:::events:putEvents",
            bad,
            "EventBridge.FailedEntry",
        ),
        input,
    )
    .await;
    assert_eq!(error, "EventBridge.FailedEntry");
    let cause = expressway::json::parse(&cause).unwrap();
    assert_eq!(cause.get_u64("FailedEntryCount"), Some(1));
    let out = output(
        &tasks,
        &task("arn:aws:states:::aws-sdk:eventbridge:putEvents", bad, "X"),
        input,
    )
    .await;
    assert_eq!(out.get_u64("FailedEntryCount"), Some(1));
}

/// The AWS SDK forms of every action, the hand-written four included, are
/// served by the generic integration (`tests/aws_sdk.rs`); the assertions
/// above on the `aws-sdk:` forms are the ones the hand-written code passed,
/// so they hold the two paths identical.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_sdk_actions_are_served_generically() {
    let moto = Moto::start();
    let sdk = sdk(&moto).await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let url = sqs
        .create_queue()
        .queue_name("doomed")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let tasks = tasks(&moto);
    let out = output(
        &tasks,
        &task(
            "arn:aws:states:::aws-sdk:sqs:deleteQueue",
            &format!(r#"{{"QueueUrl":"{url}"}}"#),
            "X",
        ),
        "{}",
    )
    .await;
    assert_eq!(expressway::json::to_string(&out), "{}");
    let left = sqs.list_queues().send().await.unwrap();
    assert!(left.queue_urls().is_empty(), "{left:?}");
}
