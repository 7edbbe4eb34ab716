//! The generic AWS SDK integration (`arn:aws:states:::aws-sdk:SERVICE:ACTION`)
//! run through the engine against moto's server, one test per protocol
//! family (json, rest-json, rest-xml, query, ec2) with the services' error
//! names, and the AWS developer guide's "Gather Amazon S3 bucket info using
//! AWS SDK service integrations" tutorial definition end to end.
//!
//! Part of the default build: no cargo feature. Independent checks go
//! through boto3 (installed with moto).

mod common;

use common::moto::Moto;
use common::sorted_keys;
use expressway::json::Value;
use expressway::tasks::{AwsConfig, Credentials, Tasks};
use simd_json::prelude::*;

/// Tasks whose `aws-sdk:*` integrations call `moto`.
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

/// Runs one Task `aws-sdk:{api}` with `parameters` (JSON text); its result,
/// or `Err((Error, Cause))`.
async fn call(tasks: &Tasks, api: &str, parameters: &str) -> Result<Value, (String, String)> {
    let definition = format!(
        r#"{{"StartAt":"Call","States":{{"Call":{{"Type":"Task",
        "Resource":"arn:aws:states:::aws-sdk:{api}","Parameters":{parameters},"End":true}}}}}}"#
    );
    let o = common::run_with(tasks.clone(), &definition, "{}").await;
    match o.output {
        Some(v) => Ok(v),
        None => Err((o.error.unwrap_or_default(), o.cause.unwrap_or_default())),
    }
}

/// `call`, which must succeed.
async fn ok(tasks: &Tasks, api: &str, parameters: &str) -> Value {
    call(tasks, api, parameters)
        .await
        .unwrap_or_else(|e| panic!("{api} failed: {e:?}"))
}

/// `call`, which must fail; its error name and cause.
async fn err(tasks: &Tasks, api: &str, parameters: &str) -> (String, String) {
    match call(tasks, api, parameters).await {
        Ok(v) => panic!("{api} succeeded: {}", expressway::json::to_string(&v)),
        Err(e) => e,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_protocol_dynamodb_sqs_secrets_manager_step_functions() {
    let moto = Moto::start();
    let t = tasks(&moto);

    // DynamoDB (JSON 1.0): a table, an item, Scan and Query.
    let table = ok(
        &t,
        "dynamodb:createTable",
        r#"{"TableName":"orders","BillingMode":"PAY_PER_REQUEST",
            "AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],
            "KeySchema":[{"AttributeName":"id","KeyType":"HASH"}]}"#,
    )
    .await;
    let desc = table.get("TableDescription").expect("TableDescription");
    assert_eq!(desc.get_str("TableName"), Some("orders"));
    assert!(
        desc.get_str("CreationDateTime")
            .is_some_and(|d| d.ends_with('Z')),
        "{desc}"
    );
    let put = ok(
        &t,
        "dynamodb:putItem",
        r#"{"TableName":"orders","Item":{"id":{"S":"o-1"},"n":{"N":"3"}}}"#,
    )
    .await;
    assert_eq!(expressway::json::to_string(&put), "{}");
    let item = ok(
        &t,
        "dynamodb:getItem",
        r#"{"TableName":"orders","Key":{"id":{"S":"o-1"}}}"#,
    )
    .await;
    assert_eq!(
        expressway::json::to_string(item.get("Item").unwrap()),
        r#"{"id":{"S":"o-1"},"n":{"N":"3"}}"#
    );
    let scan = ok(&t, "dynamodb:scan", r#"{"TableName":"orders"}"#).await;
    assert_eq!(scan.get("Count").and_then(|c| c.as_i64()), Some(1));
    assert_eq!(scan.get("ScannedCount").and_then(|c| c.as_i64()), Some(1));
    let query = ok(
        &t,
        "dynamodb:query",
        r#"{"TableName":"orders","KeyConditionExpression":"id = :id",
            "ExpressionAttributeValues":{":id":{"S":"o-1"}}}"#,
    )
    .await;
    assert_eq!(
        query
            .get("Items")
            .and_then(|i| i.as_array())
            .map(|a| a.len()),
        Some(1)
    );
    let (error, cause) = err(
        &t,
        "dynamodb:getItem",
        r#"{"TableName":"nope","Key":{"id":{"S":"x"}}}"#,
    )
    .await;
    assert_eq!(error, "DynamoDb.ResourceNotFoundException");
    assert!(
        cause.contains("(Service: DynamoDb, Status Code: 400, Request ID: "),
        "{cause}"
    );

    // SQS (JSON 1.0, query-compatible): result names as the Java SDK spells them.
    let q = ok(&t, "sqs:createQueue", r#"{"QueueName":"jobs"}"#).await;
    let url = q.get_str("QueueUrl").expect("QueueUrl").to_owned();
    let sent = ok(
        &t,
        "sqs:sendMessage",
        &format!(r#"{{"QueueUrl":"{url}","MessageBody":{{"job":1}}}}"#),
    )
    .await;
    assert_eq!(sorted_keys(&sent), ["Md5OfMessageBody", "MessageId"]);
    let got = ok(
        &t,
        "sqs:receiveMessage",
        &format!(r#"{{"QueueUrl":"{url}","MaxNumberOfMessages":1}}"#),
    )
    .await;
    let body = got
        .get("Messages")
        .and_then(|m| m.get_idx(0))
        .and_then(|m| m.get_str("Body"));
    assert_eq!(body, Some(r#"{"job":1}"#));
    let (error, _) = err(&t, "sqs:getQueueUrl", r#"{"QueueName":"missing"}"#).await;
    assert_eq!(error, "Sqs.QueueDoesNotExistException");

    // Secrets Manager (JSON 1.1).
    ok(
        &t,
        "secretsmanager:createSecret",
        r#"{"Name":"db","SecretString":"s3cr3t"}"#,
    )
    .await;
    let secret = ok(&t, "secretsmanager:getSecretValue", r#"{"SecretId":"db"}"#).await;
    assert_eq!(secret.get_str("SecretString"), Some("s3cr3t"));
    assert!(secret
        .get_str("CreatedDate")
        .is_some_and(|d| d.ends_with('Z')));
    let (error, _) = err(
        &t,
        "secretsmanager:getSecretValue",
        r#"{"SecretId":"none"}"#,
    )
    .await;
    assert_eq!(error, "SecretsManager.ResourceNotFoundException");

    // Step Functions (JSON 1.0; the Resource says `sfn`).
    let list = ok(&t, "sfn:listStateMachines", "{}").await;
    assert_eq!(
        list.get("StateMachines")
            .and_then(|s| s.as_array())
            .map(|a| a.len()),
        Some(0)
    );
    let (error, cause) = err(
        &t,
        "sfn:describeExecution",
        r#"{"ExecutionArn":"arn:aws:states:us-east-1:123456789012:execution:none:x"}"#,
    )
    .await;
    assert_eq!(error, "Sfn.ExecutionDoesNotExistException", "{cause}");

    // Athena (JSON 1.1; the idempotency token is filled in) and Glue, the
    // two most used services in published definitions after S3.
    let started = ok(
        &t,
        "athena:startQueryExecution",
        r#"{"QueryString":"SELECT 1","ResultConfiguration":{"OutputLocation":"s3://results/"}}"#,
    )
    .await;
    let id = started
        .get_str("QueryExecutionId")
        .expect("QueryExecutionId")
        .to_owned();
    let q = ok(
        &t,
        "athena:getQueryExecution",
        &format!(r#"{{"QueryExecutionId":"{id}"}}"#),
    )
    .await;
    let status = q
        .get("QueryExecution")
        .and_then(|e| e.get("Status"))
        .expect("Status");
    assert!(status.get_str("State").is_some(), "{q}");
    ok(
        &t,
        "glue:createJob",
        r#"{"Name":"etl","Role":"arn:aws:iam::123456789012:role/glue","Command":{"Name":"glueetl","ScriptLocation":"s3://scripts/etl.py"}}"#,
    )
    .await;
    let run = ok(
        &t,
        "glue:startJobRun",
        r#"{"JobName":"etl","Arguments":{"--day":"1"}}"#,
    )
    .await;
    assert!(run.get_str("JobRunId").is_some(), "{run}");
    let (error, _) = err(&t, "glue:getJob", r#"{"JobName":"missing"}"#).await;
    assert_eq!(error, "Glue.EntityNotFoundException");

    // Parameters the model does not have fail before any call.
    let (error, cause) = err(&t, "dynamodb:getItem", r#"{"Table":"orders"}"#).await;
    assert_eq!(error, "States.Runtime");
    assert!(cause.contains("\"Table\""), "{cause}");
    let (error, cause) = err(&t, "dynamodb:noSuchAction", "{}").await;
    assert_eq!(error, "States.TaskFailed");
    assert!(cause.contains("noSuchAction"), "{cause}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_json_protocol_lambda_and_batch() {
    let moto = Moto::start();
    let t = tasks(&moto);
    let list = ok(&t, "lambda:listFunctions", "{}").await;
    assert_eq!(
        list.get("Functions")
            .and_then(|f| f.as_array())
            .map(|a| a.len()),
        Some(0)
    );
    let (error, cause) = err(&t, "lambda:getFunction", r#"{"FunctionName":"missing"}"#).await;
    assert_eq!(error, "Lambda.ResourceNotFoundException");
    assert!(
        cause.contains("Service: Lambda, Status Code: 404"),
        "{cause}"
    );
    let queues = ok(&t, "batch:describeJobQueues", "{}").await;
    assert_eq!(
        queues
            .get("JobQueues")
            .and_then(|q| q.as_array())
            .map(|a| a.len()),
        Some(0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_xml_protocol_s3() {
    let moto = Moto::start();
    let t = tasks(&moto);
    ok(&t, "s3:createBucket", r#"{"Bucket":"docs"}"#).await;
    let put = ok(
        &t,
        "s3:putObject",
        r#"{"Bucket":"docs","Key":"notes/a b.txt","Body":"text data","ContentType":"text/plain","Metadata":{"owner":"me"}}"#,
    )
    .await;
    assert!(
        put.get_str("ETag").is_some_and(|e| e.starts_with('"')),
        "{put}"
    );
    // AWS stores the JSON text of the Body, quotes included.
    let stored = moto.python("import boto3; print(boto3.client('s3').get_object(Bucket='docs', Key='notes/a b.txt')['Body'].read().decode())",
    );
    assert_eq!(stored, "\"text data\"");
    let got = ok(
        &t,
        "s3:getObject",
        r#"{"Bucket":"docs","Key":"notes/a b.txt"}"#,
    )
    .await;
    assert_eq!(got.get_str("Body"), Some("\"text data\""));
    assert_eq!(got.get_str("ContentType"), Some("text/plain"));
    assert_eq!(got.get("ContentLength").and_then(|l| l.as_i64()), Some(11));
    assert_eq!(
        got.get("Metadata").and_then(|m| m.get_str("owner")),
        Some("me")
    );
    assert!(
        got.get_str("LastModified")
            .is_some_and(|d| d.ends_with('Z')),
        "{got}"
    );
    let list = ok(
        &t,
        "s3:listObjectsV2",
        r#"{"Bucket":"docs","Prefix":"notes/"}"#,
    )
    .await;
    assert_eq!(list.get("KeyCount").and_then(|k| k.as_i64()), Some(1));
    let first = list
        .get("Contents")
        .and_then(|c| c.get_idx(0))
        .expect("Contents");
    assert_eq!(first.get_str("Key"), Some("notes/a b.txt"));
    assert_eq!(first.get("Size").and_then(|s| s.as_i64()), Some(11));
    let (error, cause) = err(&t, "s3:getObject", r#"{"Bucket":"docs","Key":"missing"}"#).await;
    assert_eq!(error, "S3.NoSuchKeyException");
    assert!(
        cause.starts_with("The specified key does not exist. (Service: S3, Status Code: 404"),
        "{cause}"
    );
    let (error, _) = err(
        &t,
        "s3:getObject",
        r#"{"Bucket":"no-such-bucket","Key":"k"}"#,
    )
    .await;
    assert_eq!(error, "S3.NoSuchBucketException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_protocol_sns_sts_cloudwatch() {
    let moto = Moto::start();
    let t = tasks(&moto);
    let me = ok(&t, "sts:getCallerIdentity", "{}").await;
    assert_eq!(me.get_str("Account"), Some("123456789012"));
    assert_eq!(sorted_keys(&me), ["Account", "Arn", "UserId"]);
    let topic = ok(&t, "sns:createTopic", r#"{"Name":"alerts"}"#).await;
    let arn = topic.get_str("TopicArn").expect("TopicArn").to_owned();
    let published = ok(
        &t,
        "sns:publish",
        &format!(
            r#"{{"TopicArn":"{arn}","Message":{{"alert":true}},
               "MessageAttributes":{{"kind":{{"DataType":"String","StringValue":"x"}}}}}}"#
        ),
    )
    .await;
    assert!(published.get_str("MessageId").is_some(), "{published}");
    let (error, _) = err(
        &t,
        "sns:getTopicAttributes",
        r#"{"TopicArn":"arn:aws:sns:us-east-1:123456789012:missing"}"#,
    )
    .await;
    assert_eq!(error, "Sns.NotFoundException");
    ok(
        &t,
        "cloudwatch:putMetricData",
        r#"{"Namespace":"App","MetricData":[{"MetricName":"Orders","Value":3,"Unit":"Count",
            "Dimensions":[{"Name":"Shop","Value":"eu"}]}]}"#,
    )
    .await;
    let metrics = ok(&t, "cloudwatch:listMetrics", r#"{"Namespace":"App"}"#).await;
    let m = metrics
        .get("Metrics")
        .and_then(|m| m.get_idx(0))
        .expect("a metric");
    assert_eq!(m.get_str("MetricName"), Some("Orders"));
    assert_eq!(
        m.get("Dimensions")
            .and_then(|d| d.get_idx(0))
            .and_then(|d| d.get_str("Value")),
        Some("eu")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ec2_protocol_describe_instances() {
    let moto = Moto::start();
    let t = tasks(&moto);
    // moto's bundled image list, narrowed to one image.
    let images = ok(
        &t,
        "ec2:describeImages",
        r#"{"Owners":["amazon"],"Filters":[{"Name":"name","Values":["Windows_Server-2016-English-Nano-Base-2017.10.13"]}]}"#,
    )
    .await;
    let image = images
        .get("Images")
        .and_then(|i| i.get_idx(0))
        .and_then(|i| i.get_str("ImageId"))
        .expect("an image")
        .to_owned();
    let run = ok(
        &t,
        "ec2:runInstances",
        &format!(r#"{{"ImageId":"{image}","MinCount":1,"MaxCount":1,"InstanceType":"t3.micro"}}"#),
    )
    .await;
    let id = run
        .get("Instances")
        .and_then(|i| i.get_idx(0))
        .and_then(|i| i.get_str("InstanceId"))
        .expect("an instance")
        .to_owned();
    // `Filters` (the guide's plural form) is sent as `Filter.N`.
    let described = ok(
        &t,
        "ec2:describeInstances",
        &format!(r#"{{"Filters":[{{"Name":"instance-id","Values":["{id}"]}}]}}"#),
    )
    .await;
    let reservations = described
        .get("Reservations")
        .and_then(|r| r.as_array())
        .expect("Reservations");
    assert_eq!(reservations.len(), 1);
    let instance = reservations[0]
        .get("Instances")
        .and_then(|i| i.get_idx(0))
        .expect("Instances");
    assert_eq!(instance.get_str("InstanceId"), Some(id.as_str()));
    assert_eq!(instance.get_str("InstanceType"), Some("t3.micro"));
    assert!(instance
        .get("State")
        .and_then(|s| s.get("Code"))
        .and_then(|c| c.as_i64())
        .is_some());
    let none = ok(
        &t,
        "ec2:describeInstances",
        r#"{"Filters":[{"Name":"instance-id","Values":["i-00000000000000000"]}]}"#,
    )
    .await;
    assert_eq!(
        none.get("Reservations")
            .and_then(|r| r.as_array())
            .map(|a| a.len()),
        Some(0)
    );
    // EC2 declares no error shapes: the client's base exception.
    let (error, cause) = err(&t, "ec2:describeInstances", r#"{"InstanceIds":["i-1"]}"#).await;
    assert_eq!(error, "Ec2.Ec2Exception");
    assert!(cause.contains("Service: Ec2, Status Code: 400"), "{cause}");
}

/// The AWS developer guide's tutorial "Gather Amazon S3 bucket info using
/// AWS SDK service integrations" (`tutorial-gather-s3-info.html`), its
/// definition as published: ListBuckets, then per bucket HeadBucket and
/// GetBucketVersioning.
const GATHER_S3_BUCKET_INFO: &str = r#"{
  "Comment": "A description of my state machine",
  "StartAt": "ListBuckets",
  "States": {
    "ListBuckets": {
      "Type": "Task",
      "Parameters": {},
      "Resource": "arn:aws:states:::aws-sdk:s3:listBuckets",
      "Next": "Map"
    },
    "Map": {
      "Type": "Map",
      "ItemsPath": "$.Buckets",
      "ItemProcessor": {
        "ProcessorConfig": {"Mode": "INLINE"},
        "StartAt": "HeadBucket",
        "States": {
          "HeadBucket": {
            "Type": "Task",
            "ResultPath": null,
            "Parameters": {"Bucket.$": "$.Name"},
            "Resource": "arn:aws:states:::aws-sdk:s3:headBucket",
            "Catch": [{"ErrorEquals": ["S3.S3Exception"], "ResultPath": null, "Next": "Pass"}],
            "Next": "GetBucketVersioning"
          },
          "GetBucketVersioning": {
            "Type": "Task",
            "End": true,
            "Parameters": {"Bucket.$": "$.Name"},
            "ResultPath": "$.BucketVersioningInfo",
            "Resource": "arn:aws:states:::aws-sdk:s3:getBucketVersioning"
          },
          "Pass": {
            "Type": "Pass",
            "End": true,
            "Result": {"Status": "Unknown"},
            "ResultPath": "$.BucketVersioningInfo"
          }
        }
      },
      "End": true
    }
  }
}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_guide_gather_s3_bucket_info() {
    let moto = Moto::start();
    let t = tasks(&moto);
    ok(&t, "s3:createBucket", r#"{"Bucket":"plain"}"#).await;
    ok(&t, "s3:createBucket", r#"{"Bucket":"versioned"}"#).await;
    ok(
        &t,
        "s3:putBucketVersioning",
        r#"{"Bucket":"versioned","VersioningConfiguration":{"Status":"Enabled"}}"#,
    )
    .await;
    let o = common::run_with(t.clone(), GATHER_S3_BUCKET_INFO, "{}").await;
    let out = o
        .output
        .unwrap_or_else(|| panic!("{:?} {:?}", o.error, o.cause));
    let buckets = out.as_array().expect("the Map's results");
    assert_eq!(buckets.len(), 2);
    let by_name = |n: &str| {
        buckets
            .iter()
            .find(|b| b.get_str("Name") == Some(n))
            .unwrap_or_else(|| panic!("{n} in {out}"))
    };
    assert!(by_name("plain")
        .get_str("CreationDate")
        .is_some_and(|d| d.ends_with('Z')));
    assert_eq!(
        by_name("versioned")
            .get("BucketVersioningInfo")
            .and_then(|v| v.get_str("Status")),
        Some("Enabled")
    );
    assert!(by_name("plain")
        .get("BucketVersioningInfo")
        .is_some_and(|v| v.as_object().is_some_and(|o| o.get("Status").is_none())));
}
