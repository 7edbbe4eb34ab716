//! Requests and results of each protocol, checked against the embedded
//! models without a network (the moto-backed end-to-end tests are in
//! `tests/aws_sdk.rs`).

use simd_json::prelude::*;

use super::models::Models;
use super::wire::{WireRequest, WireResponse};
use super::*;

fn models() -> Models {
    Models::default_set()
}

/// The request `service:action` with `params` (JSON text) becomes.
fn request(
    m: &Models,
    service: &str,
    action: &str,
    params: &str,
) -> Result<WireRequest, ExecError> {
    let svc = m.service(service).expect("a model");
    let model = &svc.model;
    let (name, op) = model.operation(action).expect("an operation");
    let api = format!("{service}:{action}");
    let input = crate::json::parse(params).expect("JSON");
    let req = input::request(model, &api, op.input.as_ref(), &input, Form::Sdk)?;
    Ok(match model.protocol() {
        "json" => json::request(model, name, op, &req),
        "rest-json" => rest::request(model, &api, op, &req, false)?,
        "rest-xml" => rest::request(model, &api, op, &req, true)?,
        "query" => query::request(model, name, op.input.as_ref(), &req, false),
        "ec2" => query::request(model, name, op.input.as_ref(), &req, true),
        p => panic!("{p}"),
    })
}

/// The result of `service:action` for a 200 response.
fn result(m: &Models, service: &str, action: &str, headers: &[(&str, &str)], body: &str) -> Value {
    let svc = m.service(service).expect("a model");
    let (_, op) = svc.model.operation(action).expect("an operation");
    let resp = WireResponse {
        status: 200,
        headers: headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        body: body.as_bytes().to_vec(),
    };
    response::result(&svc.model, svc.model.protocol(), op, &resp).expect("a result")
}

fn header<'a>(r: &'a WireRequest, name: &str) -> Option<&'a str> {
    r.headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn body(r: &WireRequest) -> String {
    String::from_utf8(r.body.clone()).unwrap()
}

#[test]
fn resources() {
    assert_eq!(
        parse("arn:aws:states:::aws-sdk:s3:getObject"),
        Some(SdkResource {
            region: None,
            service: "s3".into(),
            action: "getObject".into()
        })
    );
    let r = parse("arn:aws-cn:states:cn-north-1:123:aws-sdk:ec2:describeInstances").unwrap();
    assert_eq!(r.region.as_deref(), Some("cn-north-1"));
    assert_eq!(parse("arn:aws:states:::sqs:sendMessage"), None);
    assert_eq!(parse("arn:aws:states:::aws-sdk:s3"), None);
    assert_eq!(parse("arn:aws:lambda:us-east-1:1:function:f"), None);
}

#[test]
fn json_protocol() {
    let m = models();
    let r = request(
        &m,
        "dynamodb",
        "getItem",
        r#"{"TableName":"t","Key":{"id":{"S":"1"}},"ConsistentRead":true}"#,
    )
    .unwrap();
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/"));
    assert_eq!(
        header(&r, "x-amz-target"),
        Some("DynamoDB_20120810.GetItem")
    );
    assert_eq!(
        header(&r, "content-type"),
        Some("application/x-amz-json-1.0")
    );
    let sent = crate::json::parse(&body(&r)).unwrap();
    assert_eq!(sent.get_str("TableName"), Some("t"));
    assert_eq!(
        sent.get("ConsistentRead").and_then(|v| v.as_bool()),
        Some(true)
    );
    // 1.1, a string member given an object (implicit JSON text), a
    // timestamp result.
    let r = request(
        &m,
        "sfn",
        "startExecution",
        r#"{"StateMachineArn":"arn","Input":{"a":1}}"#,
    )
    .unwrap();
    assert_eq!(
        header(&r, "x-amz-target"),
        Some("AWSStepFunctions.StartExecution")
    );
    assert_eq!(
        header(&r, "content-type"),
        Some("application/x-amz-json-1.0")
    );
    let sent = crate::json::parse(&body(&r)).unwrap();
    assert_eq!(sent.get_str("input"), Some(r#"{"a":1}"#));
    let out = result(
        &m,
        "sfn",
        "startExecution",
        &[],
        r#"{"executionArn":"x","startDate":1714557600.25}"#,
    );
    assert_eq!(
        crate::json::to_string(&out),
        r#"{"ExecutionArn":"x","StartDate":"2024-05-01T10:00:00.250Z"}"#
    );
    let r = request(
        &m,
        "secretsmanager",
        "getSecretValue",
        r#"{"SecretId":"s"}"#,
    )
    .unwrap();
    assert_eq!(
        header(&r, "content-type"),
        Some("application/x-amz-json-1.1")
    );
    assert_eq!(
        header(&r, "x-amz-target"),
        Some("secretsmanager.GetSecretValue")
    );
}

#[test]
fn sqs_result_names_follow_the_java_sdk() {
    let m = models();
    let out = result(
        &m,
        "sqs",
        "sendMessage",
        &[],
        r#"{"MD5OfMessageBody":"abc","MessageId":"id-1"}"#,
    );
    assert_eq!(
        crate::json::to_string(&out),
        r#"{"Md5OfMessageBody":"abc","MessageId":"id-1"}"#
    );
    // The model's own name is accepted in parameters too.
    assert!(request(
        &m,
        "sqs",
        "sendMessage",
        r#"{"QueueUrl":"q","MessageBody":"b","DelaySeconds":1}"#
    )
    .is_ok());
}

#[test]
fn unknown_fields_and_wrong_types_are_runtime_errors() {
    let m = models();
    let e = request(&m, "dynamodb", "getItem", r#"{"TableName":"t","Nope":1}"#).unwrap_err();
    assert_eq!(e.error, "States.Runtime");
    assert!(
        e.cause.contains("\"Nope\"") && e.cause.contains("TableName"),
        "{}",
        e.cause
    );
    let e = request(
        &m,
        "dynamodb",
        "getItem",
        r#"{"TableName":"t","ConsistentRead":"yes"}"#,
    )
    .unwrap_err();
    assert_eq!(e.error, "States.Runtime");
    assert!(e.cause.contains("ConsistentRead"), "{}", e.cause);
    let e = request(&m, "s3", "getObject", r#"{"Key":"k"}"#).unwrap_err();
    assert!(e.cause.contains("Bucket"), "{}", e.cause);
    let e = request(&m, "dynamodb", "getItem", "[1]").unwrap_err();
    assert_eq!(e.error, "States.Runtime");
}

#[test]
fn rest_json_protocol() {
    let m = models();
    let r = request(&m, "lambda", "listFunctions", r#"{"MaxItems":5}"#).unwrap();
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("GET", "/2015-03-31/functions")
    );
    assert_eq!(r.query, vec![("MaxItems".to_owned(), "5".to_owned())]);
    assert!(r.body.is_empty());
    let r = request(
        &m,
        "lambda",
        "invoke",
        r#"{"FunctionName":"arn:aws:lambda:us-east-1:1:function:f","Payload":{"a":1},"InvocationType":"Event"}"#,
    )
    .unwrap();
    assert_eq!(
        r.path,
        "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Af/invocations"
    );
    assert_eq!(header(&r, "x-amz-invocation-type"), Some("Event"));
    assert_eq!(body(&r), r#"{"a":1}"#);
    let out = result(
        &m,
        "lambda",
        "invoke",
        &[("x-amz-executed-version", "$LATEST")],
        r#"{"ok":true}"#,
    );
    assert_eq!(out.get_str("Payload"), Some(r#"{"ok":true}"#));
    assert_eq!(out.get_str("ExecutedVersion"), Some("$LATEST"));
    assert_eq!(out.get("StatusCode").and_then(|v| v.as_i64()), Some(200));
    // A JSON body with a nested structure.
    let r = request(&m, "batch", "submitJob", r#"{"JobName":"j","JobQueue":"q","JobDefinition":"d","ContainerOverrides":{"Command":["a"]}}"#).unwrap();
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/v1/submitjob")
    );
    let sent = crate::json::parse(&body(&r)).unwrap();
    assert_eq!(sent.get_str("jobName"), Some("j"));
    assert!(
        sent.get("containerOverrides")
            .and_then(|c| c.get("command"))
            .is_some(),
        "{sent}"
    );
}

#[test]
fn rest_xml_protocol() {
    let m = models();
    let r = request(
        &m,
        "s3",
        "putObject",
        r#"{"Bucket":"b","Key":"dir/a b.txt","Body":"text data","ContentType":"text/plain","Metadata":{"k":"v"}}"#,
    )
    .unwrap();
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("PUT", "/b/dir/a%20b.txt")
    );
    assert_eq!(r.bucket.as_deref(), Some("b"));
    assert_eq!(header(&r, "content-type"), Some("text/plain"));
    assert_eq!(header(&r, "x-amz-meta-k"), Some("v"));
    // The body is the JSON text of the value, as AWS stores it.
    assert_eq!(body(&r), "\"text data\"");
    let r = request(
        &m,
        "s3",
        "putObject",
        r#"{"Bucket":"b","Key":"k","Body":{"Dict":"Value"}}"#,
    )
    .unwrap();
    assert_eq!(body(&r), r#"{"Dict":"Value"}"#);
    let out = result(
        &m,
        "s3",
        "getObject",
        &[
            ("content-length", "11"),
            ("content-type", "binary/octet-stream"),
            ("etag", "\"e1\""),
            ("last-modified", "Wed, 01 May 2024 10:00:00 GMT"),
            ("x-amz-meta-k", "v"),
            ("accept-ranges", "bytes"),
        ],
        "binary data",
    );
    assert_eq!(
        crate::json::to_string(&out),
        r#"{"AcceptRanges":"bytes","ContentLength":11,"ContentType":"binary/octet-stream","ETag":"\"e1\"","LastModified":"2024-05-01T10:00:00Z","Metadata":{"k":"v"},"Body":"binary data"}"#
    );
    let r = request(
        &m,
        "s3",
        "listObjectsV2",
        r#"{"Bucket":"b","Prefix":"p/","MaxKeys":2}"#,
    )
    .unwrap();
    assert_eq!((r.method.as_str(), r.path.as_str()), ("GET", "/b"));
    assert!(
        r.query.contains(&("list-type".to_owned(), "2".to_owned())),
        "{:?}",
        r.query
    );
    assert!(r.query.contains(&("prefix".to_owned(), "p/".to_owned())));
    let out = result(
        &m,
        "s3",
        "listObjectsV2",
        &[],
        r#"<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>false</IsTruncated><Contents><Key>p/1</Key><LastModified>2024-05-01T10:00:00.000Z</LastModified><ETag>"x"</ETag><Size>3</Size><StorageClass>STANDARD</StorageClass></Contents><Contents><Key>p/2</Key><Size>4</Size></Contents></ListBucketResult>"#,
    );
    let contents = out
        .get("Contents")
        .and_then(|c| c.as_array())
        .expect("Contents");
    assert_eq!(contents.len(), 2);
    assert_eq!(contents[0].get_str("Key"), Some("p/1"));
    assert_eq!(
        contents[0].get_str("LastModified"),
        Some("2024-05-01T10:00:00Z")
    );
    assert_eq!(contents[1].get("Size").and_then(|v| v.as_i64()), Some(4));
    assert_eq!(
        out.get("IsTruncated").and_then(|v| v.as_bool()),
        Some(false)
    );
    assert_eq!(out.get("KeyCount").and_then(|v| v.as_i64()), Some(2));
    // A structure payload written as XML, with Content-MD5.
    let r = request(
        &m,
        "s3",
        "deleteObjects",
        r#"{"Bucket":"b","Delete":{"Objects":[{"Key":"a"},{"Key":"b"}],"Quiet":true}}"#,
    )
    .unwrap();
    assert_eq!(
        body(&r),
        r#"<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a</Key></Object><Object><Key>b</Key></Object><Quiet>true</Quiet></Delete>"#
    );
    assert!(header(&r, "content-md5").is_some());
}

#[test]
fn query_protocol() {
    let m = models();
    let r = request(
        &m,
        "sns",
        "publish",
        r#"{"TopicArn":"arn:t","Message":"hi there","MessageAttributes":{"k":{"DataType":"String","StringValue":"v"}}}"#,
    )
    .unwrap();
    let b = body(&r);
    assert!(b.starts_with("Action=Publish&Version=2010-03-31&"), "{b}");
    assert!(b.contains("TopicArn=arn%3At"), "{b}");
    assert!(b.contains("Message=hi%20there"), "{b}");
    assert!(b.contains("MessageAttributes.entry.1.Name=k"), "{b}");
    assert!(
        b.contains("MessageAttributes.entry.1.Value.DataType=String"),
        "{b}"
    );
    let r = request(
        &m,
        "cloudwatch",
        "putMetricData",
        r#"{"Namespace":"n","MetricData":[{"MetricName":"m","Value":1.5,"Dimensions":[{"Name":"d","Value":"v"}]}]}"#,
    );
    assert!(r.is_ok());
    let r = request(
        &m,
        "sns",
        "createTopic",
        r#"{"Name":"t","Tags":[{"Key":"a","Value":"b"}]}"#,
    )
    .unwrap();
    assert!(body(&r).contains("Tags.member.1.Key=a"), "{}", body(&r));
    let out = result(
        &m,
        "sts",
        "getCallerIdentity",
        &[],
        r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/u</Arn><UserId>AID</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>"#,
    );
    assert_eq!(
        crate::json::to_string(&out),
        r#"{"Account":"123456789012","Arn":"arn:aws:iam::123456789012:user/u","UserId":"AID"}"#
    );
}

#[test]
fn ec2_protocol() {
    let m = models();
    let r = request(
        &m,
        "ec2",
        "describeInstances",
        r#"{"Filters":[{"Name":"instance-state-name","Values":["running","stopped"]}],"InstanceIds":["i-1"],"DryRun":false}"#,
    )
    .unwrap();
    let b = body(&r);
    assert!(
        b.starts_with("Action=DescribeInstances&Version=2016-11-15"),
        "{b}"
    );
    assert!(b.contains("Filter.1.Name=instance-state-name"), "{b}");
    assert!(
        b.contains("Filter.1.Value.1=running&Filter.1.Value.2=stopped"),
        "{b}"
    );
    assert!(b.contains("InstanceId.1=i-1"), "{b}");
    assert!(b.contains("DryRun=false"), "{b}");
    let out = result(
        &m,
        "ec2",
        "describeInstances",
        &[],
        r#"<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><reservationSet><item><reservationId>r-1</reservationId><ownerId>1</ownerId><instancesSet><item><instanceId>i-1</instanceId><instanceState><code>16</code><name>running</name></instanceState><launchTime>2024-05-01T10:00:00.000Z</launchTime></item></instancesSet></item></reservationSet></DescribeInstancesResponse>"#,
    );
    assert_eq!(
        crate::json::to_string(&out),
        r#"{"Reservations":[{"Instances":[{"InstanceId":"i-1","LaunchTime":"2024-05-01T10:00:00Z","State":{"Code":16,"Name":"running"}}],"OwnerId":"1","ReservationId":"r-1"}]}"#
    );
}

#[test]
fn blobs_and_timestamps() {
    let m = models();
    // A JSON-protocol blob: base64 of the value's JSON text.
    let r = request(
        &m,
        "kinesis",
        "putRecord",
        r#"{"StreamName":"s","PartitionKey":"p","Data":{"a":1}}"#,
    )
    .unwrap();
    let sent = crate::json::parse(&body(&r)).unwrap();
    assert_eq!(sent.get_str("Data"), Some("eyJhIjoxfQ=="));
    // A timestamp parameter from ISO-8601 text, sent as epoch seconds.
    let r = request(
        &m,
        "cloudwatch",
        "getMetricStatistics",
        r#"{"Namespace":"n","MetricName":"m","StartTime":"2024-05-01T10:00:00Z","EndTime":1714557660,"Period":60,"Statistics":["Sum"]}"#,
    )
    .unwrap();
    let b = body(&r);
    assert!(
        b.contains("1714557600") || b.contains("2024-05-01T10%3A00%3A00Z"),
        "{b}"
    );
    let e = request(
        &m,
        "cloudwatch",
        "getMetricStatistics",
        r#"{"StartTime":"soon"}"#,
    )
    .unwrap_err();
    assert_eq!(e.error, "States.Runtime");
}

#[test]
fn error_names_use_the_model() {
    let m = models();
    let s3 = m.service("s3").unwrap();
    let f = errors::Failure {
        code: Some("NoSuchKey".into()),
        message: Some("The specified key does not exist.".into()),
        request_id: Some("r".into()),
        host_id: Some("h".into()),
    };
    let e = errors::service_error(&s3, 404, &f);
    assert_eq!(e.error, "S3.NoSuchKeyException");
    assert_eq!(
        e.cause,
        "The specified key does not exist. (Service: S3, Status Code: 404, Request ID: r, Extended Request ID: h)"
    );
    let sqs = m.service("sqs").unwrap();
    let by_code = errors::Failure {
        code: Some("QueueDoesNotExist".into()),
        ..errors::Failure::default()
    };
    assert_eq!(
        errors::service_error(&sqs, 400, &by_code).error,
        "Sqs.QueueDoesNotExistException"
    );
    let sfn = m.service("sfn").unwrap();
    let undeclared = errors::Failure {
        code: Some("Throttling".into()),
        ..errors::Failure::default()
    };
    assert_eq!(
        errors::service_error(&sfn, 400, &undeclared).error,
        "Sfn.SfnException"
    );
    assert_eq!(
        errors::client_error(&sfn, "refused").error,
        "Sfn.SdkClientException"
    );
}

/// The endpoint variable a start-up log names is the one a call reads: built
/// from the model's service id, not from the Resource's service name.
#[test]
fn the_endpoint_variable_comes_from_the_service_id() {
    let sdk = AwsSdk::from_env();
    let var = |s: &str| sdk.endpoint_var(s);
    assert_eq!(
        var("events").as_deref(),
        Some("AWS_ENDPOINT_URL_EVENTBRIDGE")
    );
    assert_eq!(
        var("secretsmanager").as_deref(),
        Some("AWS_ENDPOINT_URL_SECRETS_MANAGER")
    );
    assert_eq!(var("sfn").as_deref(), Some("AWS_ENDPOINT_URL_SFN"));
    assert_eq!(var("no-such-service"), None);
}
