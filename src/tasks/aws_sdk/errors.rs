//! A failed call as the Task's error.
//!
//! - A service error response is `<Service>.<Error>`: the Java SDK's service
//!   name (`S3`, `Sfn`, `DynamoDb`) and the modeled error shape the wire code
//!   names, with `Exception` appended when it lacks it
//!   (`S3.NoSuchKeyException`, `S3.BucketAlreadyExistsException`,
//!   `Sfn.InvalidTokenException`); a code the model does not declare gives
//!   the service's base exception (`Sfn.SfnException`). The cause is the
//!   service's message followed by `(Service: <Service>, Status Code: <n>,
//!   Request ID: <id>)`, plus `, Extended Request ID: <id>` when S3 sends one.
//! - A call that gets no answer (connection refused, timeout, TLS) is
//!   `<Service>.SdkClientException`, cause `Unable to execute HTTP request:
//!   …`.
//!
//! The wire code is read as each protocol sends it: `x-amzn-ErrorType` or
//! the JSON `__type`/`code` (namespace before `#` and anything after `:`
//! dropped), or the XML `<Code>` of `<Error>` (`rest-xml`, `query`) and
//! `<Errors><Error>` (`ec2`); a body-less error (S3 `HEAD`) is named by its
//! status (`NotFound` for 404).
//!
//! Sources: AWS guide `supported-services-awssdk.html` ("Handling errors");
//! the AWS-recorded `aws-sdk:sfn` failure in LocalStack's
//! `test_aws_sdk_task_service.snapshot.json` (error
//! `Sfn.InvalidTokenException`, cause `Invalid Token: 'Invalid token'
//! (Service: Sfn, Status Code: 400, Request ID: …)`); Smithy protocol
//! specifications (error serialization).

use simd_json::prelude::*;

use super::models::Service;
use super::names;
use super::wire::WireResponse;
use super::xml;
use crate::errors::ExecError;

/// A service's successful response that could not be read as its
/// operation's output (the Task fails with `<Service>.SdkClientException`).
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReadError {
    /// The body is not UTF-8.
    #[error("the response is not UTF-8: {0}")]
    NotUtf8(#[from] std::str::Utf8Error),
    /// The body is not the JSON the protocol uses.
    #[error("the response is not JSON: {0}")]
    NotJson(#[from] simd_json::Error),
    /// The body is not the XML the protocol uses.
    #[error("the response is not XML: {0}")]
    NotXml(#[from] roxmltree::Error),
    /// The model's protocol is not one this client reads.
    #[error("the protocol {0} is not supported")]
    Protocol(String),
}

/// A service model that could not be found or loaded (the Task fails with
/// `States.TaskFailed`; at start-up the directory is logged and skipped).
#[derive(Debug, thiserror::Error)]
pub(crate) enum ModelError {
    /// A model file or directory cannot be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A gzip-compressed model cannot be decompressed.
    #[error("cannot decompress the model: {0}")]
    Decompress(std::io::Error),
    /// The text is not a service model.
    #[error("not an AWS service model: {0}")]
    Parse(#[from] serde_json::Error),
    /// No model names the service.
    #[error(
        "no AWS service model for '{service}' (models available: {available}; add more with \
         --aws-models DIR, see scripts/aws-models.py)"
    )]
    Unknown {
        /// The service the Resource names.
        service: String,
        /// The services with a model, comma-separated.
        available: String,
    },
}

/// What an error response said.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Failure {
    /// The wire error code.
    pub(crate) code: Option<String>,
    /// The message.
    pub(crate) message: Option<String>,
    /// The request id.
    pub(crate) request_id: Option<String>,
    /// S3's extended request id (`x-amz-id-2`).
    pub(crate) host_id: Option<String>,
}

/// Reads the code, message and request ids of an error response.
pub(crate) fn read(protocol: &str, resp: &WireResponse) -> Failure {
    let mut f = Failure {
        request_id: resp
            .header("x-amzn-requestid")
            .or_else(|| resp.header("x-amz-request-id"))
            .map(str::to_owned),
        host_id: resp.header("x-amz-id-2").map(str::to_owned),
        ..Failure::default()
    };
    let text = String::from_utf8_lossy(&resp.body);
    if matches!(protocol, "json" | "rest-json") {
        if let Some(h) = resp.header("x-amzn-errortype") {
            f.code = Some(clean(h));
        }
        if let Ok(v) = crate::json::parse(&text) {
            if f.code.is_none() {
                f.code = ["__type", "code", "Code"]
                    .iter()
                    .find_map(|k| v.get_str(*k))
                    .map(clean);
            }
            f.message = ["message", "Message", "errorMessage"]
                .iter()
                .find_map(|k| v.get_str(*k))
                .map(str::to_owned);
        }
    } else if let Ok(doc) = roxmltree::Document::parse(&text) {
        let root = doc.root_element();
        let get = |name: &str| {
            xml::find(root, name)
                .map(xml::text)
                .filter(|s| !s.is_empty())
        };
        f.code = get("Code");
        f.message = get("Message");
        if f.request_id.is_none() {
            f.request_id = get("RequestId").or_else(|| get("RequestID"));
        }
        if f.host_id.is_none() {
            f.host_id = get("HostId");
        }
    }
    if f.code.is_none() && text.trim().is_empty() {
        f.code = Some(
            match resp.status {
                400 => "BadRequest",
                403 => "Forbidden",
                404 => "NotFound",
                _ => "",
            }
            .to_owned(),
        )
        .filter(|c| !c.is_empty());
    }
    f
}

/// `aws.protocoltests#FooError:http://…` → `FooError`.
fn clean(code: &str) -> String {
    let code = code.split(':').next().unwrap_or(code);
    code.rsplit('#').next().unwrap_or(code).trim().to_owned()
}

/// The Task's error for an error response of `service`.
pub(crate) fn service_error(service: &Service, status: u16, f: &Failure) -> ExecError {
    let shape = f.code.as_deref().and_then(|c| service.model.error_shape(c));
    let name = names::error(&service.error_prefix, shape);
    let mut cause = format!(
        "{} (Service: {}, Status Code: {status}, Request ID: {}",
        f.message.as_deref().unwrap_or("null"),
        service.error_prefix,
        f.request_id.as_deref().unwrap_or("null"),
    );
    if let Some(h) = &f.host_id {
        cause.push_str(", Extended Request ID: ");
        cause.push_str(h);
    }
    cause.push(')');
    ExecError::new(name, cause)
}

/// How a call's errors are named: as the AWS SDK integrations name them
/// (the Java 2.x SDK, [`service_error`]), or as an optimized integration
/// does (the Java 1.x SDK, [`java1_error`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Naming {
    /// `<Service>.<Error>Exception` (`Glue.EntityNotFoundException`).
    Sdk,
    /// `<PREFIX>.<Class>` with the Java 1.x client's names.
    Java1(&'static Java1),
}

/// An AWS SDK for Java 1.x client's names, which the optimized
/// integrations' errors carry (`DynamoDB.ConditionalCheckFailedException`,
/// cause `… (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: …;
/// Request ID: …; Proxy: null)`).
///
/// Source: AWS guide `concepts-error-handling.html`; the AWS-recorded
/// optimized-integration failures in LocalStack's Step Functions snapshots
/// (`Batch.*` with `Service: AWSBatch`, `DynamoDB.*` with `Service:
/// AmazonDynamoDBv2`).
#[derive(Debug)]
pub(crate) struct Java1 {
    /// The error-name prefix (`Glue`, `ECS`, `Batch`).
    pub(crate) prefix: &'static str,
    /// The service name in the cause (`AWSGlue`, `AmazonECS`, `AWSBatch`).
    pub(crate) service: &'static str,
    /// The client's base exception class when it is not `<service>Exception`
    /// (`AmazonDynamoDBException` for `AmazonDynamoDBv2`).
    pub(crate) base: Option<&'static str>,
}

impl Naming {
    /// `err` (an `<SdkService>.SdkClientException` or another error of the
    /// call) with this naming's prefix.
    pub(crate) fn client(self, service: &Service, err: ExecError) -> ExecError {
        match self {
            Naming::Sdk => err,
            Naming::Java1(j) => match err
                .error
                .strip_prefix(service.error_prefix.as_str())
                .and_then(|rest| rest.strip_prefix('.'))
            {
                Some(rest) => ExecError::new(format!("{}.{rest}", j.prefix), err.cause),
                None => err,
            },
        }
    }
}

/// The Task's error for an error response of `service` in an optimized
/// integration: `<PREFIX>.<Shape>Exception` for an error the model declares,
/// else `<PREFIX>.<Service>Exception` (the Java 1.x client's base class,
/// `AWSGlueException`); the cause is the Java 1.x message.
pub(crate) fn java1_error(service: &Service, j: &Java1, status: u16, f: &Failure) -> ExecError {
    let shape = f.code.as_deref().and_then(|c| service.model.error_shape(c));
    let class = match shape {
        Some(s) if s.ends_with("Exception") => s.to_owned(),
        Some(s) => format!("{s}Exception"),
        None => match j.base {
            Some(base) => base.to_owned(),
            None => format!("{}Exception", j.service),
        },
    };
    let cause = format!(
        "{} (Service: {}; Status Code: {status}; Error Code: {}; Request ID: {}; Proxy: null)",
        f.message.as_deref().unwrap_or("null"),
        j.service,
        f.code.as_deref().unwrap_or("null"),
        f.request_id.as_deref().unwrap_or("null"),
    );
    ExecError::new(format!("{}.{class}", j.prefix), cause)
}

/// The Task's error for a call of `service` that got no answer.
pub(crate) fn client_error(service: &Service, description: impl std::fmt::Display) -> ExecError {
    ExecError::new(
        format!("{}.SdkClientException", service.error_prefix),
        format!("Unable to execute HTTP request: {description}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> WireResponse {
        WireResponse {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn codes_per_protocol() {
        let f = read(
            "json",
            &resp(
                400,
                &[("x-amzn-requestid", "r1")],
                r#"{"__type":"com.amazonaws.sfn#InvalidToken","message":"Invalid Token: 'Invalid token'"}"#,
            ),
        );
        assert_eq!(f.code.as_deref(), Some("InvalidToken"));
        assert_eq!(f.message.as_deref(), Some("Invalid Token: 'Invalid token'"));
        assert_eq!(f.request_id.as_deref(), Some("r1"));
        let f = read(
            "rest-json",
            &resp(
                404,
                &[(
                    "x-amzn-errortype",
                    "ResourceNotFoundException:http://internal.amazon.com/",
                )],
                r#"{"Message":"nope"}"#,
            ),
        );
        assert_eq!(f.code.as_deref(), Some("ResourceNotFoundException"));
        assert_eq!(f.message.as_deref(), Some("nope"));
        let f = read(
            "rest-xml",
            &resp(404, &[], "<Error><Code>NoSuchKey</Code><Message>gone</Message><RequestId>r2</RequestId><HostId>h2</HostId></Error>"),
        );
        assert_eq!(
            (
                f.code.as_deref(),
                f.request_id.as_deref(),
                f.host_id.as_deref()
            ),
            (Some("NoSuchKey"), Some("r2"), Some("h2"))
        );
        let f = read(
            "query",
            &resp(
                400,
                &[],
                r#"<ErrorResponse xmlns="x"><Error><Type>Sender</Type><Code>NotFound</Code><Message>m</Message></Error><RequestId>r3</RequestId></ErrorResponse>"#,
            ),
        );
        assert_eq!(
            (f.code.as_deref(), f.request_id.as_deref()),
            (Some("NotFound"), Some("r3"))
        );
        let f = read(
            "ec2",
            &resp(400, &[], "<Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code><Message>m</Message></Error></Errors><RequestID>r4</RequestID></Response>"),
        );
        assert_eq!(
            (f.code.as_deref(), f.request_id.as_deref()),
            (Some("InvalidInstanceID.NotFound"), Some("r4"))
        );
        assert_eq!(
            read("rest-xml", &resp(404, &[], "")).code.as_deref(),
            Some("NotFound")
        );
    }
}
