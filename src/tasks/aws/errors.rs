//! The ASL error a failed service call raises: its name and its cause, as
//! Step Functions writes them.
//!
//! **Optimized integrations** (`arn:aws:states:::sqs:sendMessage`) call the
//! services through the AWS SDK for Java 1.x. The error is `PREFIX.CLASS`,
//! with PREFIX `SQS`, `SNS`, `DynamoDB` or `EventBridge`, and CLASS the SDK's
//! exception class: the service's modeled error shape with an `Exception`
//! suffix added when it has none (`SQS.QueueDoesNotExistException`,
//! `SNS.NotFoundException`, `DynamoDB.ConditionalCheckFailedException`), or,
//! for an error the model does not declare, the client's base class
//! (`DynamoDB.AmazonDynamoDBException` for a `ValidationException`,
//! `SQS.AmazonSQSException`, `SNS.AmazonSNSException`,
//! `EventBridge.AmazonEventBridgeException`). The cause is the Java 1.x
//! message: `MESSAGE (Service: AmazonDynamoDBv2; Status Code: 400; Error Code:
//! ConditionalCheckFailedException; Request ID: ID; Proxy: null)`.
//!
//! The AWS SDK forms (`arn:aws:states:::aws-sdk:sqs:sendMessage`) are the
//! generic integration's, named as [`crate::tasks::aws_sdk`] says.
//!
//! A call that gets no service answer (connection refused, timeout, an
//! unsigned request) fails with `PREFIX.SdkClientException`,
//! with the SDK's own description as cause.
//!
//! "Declared" means the AWS SDK for Rust has a typed variant for it on that
//! operation (its model is the one the Java SDKs are generated from).
//!
//! Sources: AWS developer guide `supported-services-awssdk.html`,
//! `concepts-error-handling.html`, `connect-ddb.html`; reference §6 (the same
//! Java 1.x cause format for Lambda); recorded AWS histories in LocalStack's
//! Step Functions snapshots (`DynamoDB.*` causes with `Service:
//! AmazonDynamoDBv2`, `SNS.*` with `Service: AmazonSNS`).

use super::resource::Service;
use crate::errors::ExecError;

/// What a service's error response said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceFailure<'a> {
    /// The modeled error shape (`QueueDoesNotExist`,
    /// `ConditionalCheckFailedException`), `None` for an undeclared error.
    pub modeled: Option<&'a str>,
    /// The error code on the wire (`AWS.SimpleQueueService.NonExistentQueue`,
    /// `ValidationException`).
    pub code: Option<&'a str>,
    /// The service's message.
    pub message: Option<&'a str>,
    /// The HTTP status.
    pub status: u16,
    /// The request id (`x-amzn-RequestId`).
    pub request_id: Option<&'a str>,
}

/// The error-name prefix: `SQS`, `SNS`, `DynamoDB`, `EventBridge`.
pub fn prefix(service: Service) -> &'static str {
    match service {
        Service::Sqs => "SQS",
        Service::Sns => "SNS",
        Service::DynamoDb => "DynamoDB",
        Service::EventBridge => "EventBridge",
    }
}

/// The service name in an AWS SDK for Java 1.x cause.
fn java1_service(service: Service) -> &'static str {
    match service {
        Service::Sqs => "AmazonSQS",
        Service::Sns => "AmazonSNS",
        Service::DynamoDb => "AmazonDynamoDBv2",
        Service::EventBridge => "AmazonEventBridge",
    }
}

/// The base exception class of the Java SDK client for an undeclared error.
fn base_exception(service: Service) -> &'static str {
    match service {
        Service::Sqs => "AmazonSQSException",
        Service::Sns => "AmazonSNSException",
        Service::DynamoDb => "AmazonDynamoDBException",
        Service::EventBridge => "AmazonEventBridgeException",
    }
}

/// The ASL error name for `failure` (see the module docs).
pub fn error_name(service: Service, failure: &ServiceFailure<'_>) -> String {
    let prefix = prefix(service);
    match failure.modeled {
        Some(shape) if shape.ends_with("Exception") => format!("{prefix}.{shape}"),
        Some(shape) => format!("{prefix}.{shape}Exception"),
        None => format!("{prefix}.{}", base_exception(service)),
    }
}

/// The cause for `failure`, in the Java 1.x SDK's format.
pub fn cause(service: Service, failure: &ServiceFailure<'_>) -> String {
    format!(
        "{} (Service: {}; Status Code: {}; Error Code: {}; Request ID: {}; Proxy: null)",
        failure.message.unwrap_or("null"),
        java1_service(service),
        failure.status,
        failure.code.or(failure.modeled).unwrap_or("null"),
        failure.request_id.unwrap_or("null"),
    )
}

/// The Task's error for a service error response.
pub fn service_error(service: Service, failure: &ServiceFailure<'_>) -> ExecError {
    ExecError::new(error_name(service, failure), cause(service, failure))
}

/// The Task's error for a call that got no service answer:
/// `PREFIX.SdkClientException`.
pub fn client_error(service: Service, description: String) -> ExecError {
    ExecError::new(
        format!("{}.SdkClientException", prefix(service)),
        description,
    )
}

#[cfg(feature = "aws")]
pub(crate) use sdk::from_sdk;

#[cfg(feature = "aws")]
mod sdk {
    use aws_sdk_sqs::config::http::HttpResponse;
    use aws_sdk_sqs::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
    use aws_sdk_sqs::operation::RequestId;

    use super::{client_error, service_error, ServiceFailure};
    use crate::errors::ExecError;
    use crate::tasks::aws::resource::Service;

    /// Maps an AWS SDK for Rust error of one operation to the Task's error;
    /// `modeled` names the declared error shape of a typed variant.
    pub(crate) fn from_sdk<E>(
        service: Service,
        err: SdkError<E, HttpResponse>,
        modeled: fn(&E) -> Option<&'static str>,
    ) -> ExecError
    where
        E: ProvideErrorMetadata + RequestId + std::error::Error + Send + Sync + 'static,
    {
        match &err {
            SdkError::ServiceError(ctx) => {
                let e = ctx.err();
                let failure = ServiceFailure {
                    modeled: modeled(e),
                    code: e.code(),
                    message: e.message(),
                    status: ctx.raw().status().as_u16(),
                    request_id: e.request_id(),
                };
                service_error(service, &failure)
            }
            _ => client_error(
                service,
                format!(
                    "Unable to execute HTTP request: {}",
                    DisplayErrorContext(&err)
                ),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure<'a>(modeled: Option<&'a str>, code: &'a str) -> ServiceFailure<'a> {
        ServiceFailure {
            modeled,
            code: Some(code),
            message: Some("boom"),
            status: 400,
            request_id: Some("rid"),
        }
    }

    #[test]
    fn optimized_names_follow_java_1() {
        let sqs = failure(
            Some("QueueDoesNotExist"),
            "AWS.SimpleQueueService.NonExistentQueue",
        );
        assert_eq!(
            error_name(Service::Sqs, &sqs),
            "SQS.QueueDoesNotExistException"
        );
        assert_eq!(
            cause(Service::Sqs, &sqs),
            "boom (Service: AmazonSQS; Status Code: 400; Error Code: \
             AWS.SimpleQueueService.NonExistentQueue; Request ID: rid; Proxy: null)"
        );
        let ddb = failure(
            Some("ConditionalCheckFailedException"),
            "ConditionalCheckFailedException",
        );
        assert_eq!(
            error_name(Service::DynamoDb, &ddb),
            "DynamoDB.ConditionalCheckFailedException"
        );
        assert!(cause(Service::DynamoDb, &ddb)
            .contains("(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ConditionalCheckFailedException;"));
        let validation = failure(None, "ValidationException");
        assert_eq!(
            error_name(Service::DynamoDb, &validation),
            "DynamoDB.AmazonDynamoDBException"
        );
        assert_eq!(
            error_name(
                Service::Sns,
                &failure(Some("NotFoundException"), "NotFound")
            ),
            "SNS.NotFoundException"
        );
    }

    #[test]
    fn client_errors_carry_the_prefix() {
        assert_eq!(
            client_error(Service::Sns, "down".into()).error,
            "SNS.SdkClientException"
        );
    }
}
