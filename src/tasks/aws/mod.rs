//! AWS service integrations for Task states, through the AWS SDK for Rust
//! (cargo feature `aws`).
//!
//! | Resource | API | result |
//! |---|---|---|
//! | `arn:aws:states:::sqs:sendMessage` | SQS SendMessage | `{MD5OfMessageBody, MessageId, …}` |
//! | `arn:aws:states:::sns:publish` | SNS Publish | `{MessageId, SequenceNumber?}` |
//! | `arn:aws:states:::dynamodb:getItem` (`putItem`, `updateItem`, `deleteItem`) | DynamoDB | `{Item}` / `{Attributes}` in AttributeValue JSON |
//! | `arn:aws:states:::events:putEvents` | EventBridge PutEvents | `{Entries:[{EventId}], FailedEntryCount}` |
//!
//! The `aws-sdk:` forms of these APIs (`…:aws-sdk:sqs:sendMessage`) are
//! served by the generic integration ([`crate::tasks::aws_sdk`], from the
//! service models; default build); `tests/aws_integrations.rs` runs both
//! forms with the assertions first written for the hand-written AWS SDK
//! form this module had.
//!
//! Any partition is accepted. `.waitForTaskToken` works with all of them:
//! the engine strips the suffix and waits for the Task Token once the call
//! returns.
//!
//! These integrations drop request fields they do not support and serialize
//! a JSON `MessageBody` (SQS), `Message` (SNS) or `Detail` (EventBridge) as
//! JSON text; their results carry `SdkHttpMetadata` and
//! `SdkResponseMetadata`, and their member names are the ones Step Functions
//! documents (`MD5OfMessageBody`). `events:putEvents` fails with
//! `EventBridge.FailedEntry` when `FailedEntryCount` is not 0 (AWS guide
//! `connect-eventbridge.html`).
//!
//! Errors are named as [`errors`] describes (`SQS.QueueDoesNotExistException`,
//! `DynamoDB.ConditionalCheckFailedException`…). A field of the wrong JSON type
//! fails with `States.Runtime`; a missing required field is sent as missing
//! and the service's validation error is the Task's error, as on AWS.
//!
//! Clients come from one [`AwsConfig`]-or-environment SDK configuration per
//! process (or per [`crate::tasks::Tasks::set_aws`]), loaded lazily once.
//!
//! Without the `aws` feature these Resources fail with `States.TaskFailed`
//! saying so.
//!
//! Sources: AWS developer guide `connect-sqs.html`, `connect-sns.html`,
//! `connect-ddb.html`, `connect-eventbridge.html`,
//! `supported-services-awssdk.html`, `connect-to-resource.html`.

mod config;
pub mod errors;
pub mod resource;

#[cfg(feature = "aws")]
mod attribute_value;
#[cfg(feature = "aws")]
mod clients;
#[cfg(feature = "aws")]
mod dynamodb;
#[cfg(feature = "aws")]
mod eventbridge;
#[cfg(feature = "aws")]
mod metadata;
#[cfg(feature = "aws")]
mod params;
#[cfg(feature = "aws")]
mod sns;
#[cfg(feature = "aws")]
mod sqs;

pub use config::AwsConfig;

use futures::future::BoxFuture;

use crate::errors::{names, ExecError};
use crate::json::Value;
use resource::Integration;

/// The integrations' state inside [`crate::tasks::Tasks`]: which clients to
/// use (the process-wide environment ones unless set).
#[derive(Debug, Clone, Default)]
pub(crate) struct AwsState {
    #[cfg(feature = "aws")]
    clients: Option<std::sync::Arc<clients::AwsClients>>,
}

impl AwsState {
    /// Uses `config` instead of the environment.
    #[cfg(feature = "aws")]
    pub(crate) fn set(&mut self, config: AwsConfig) {
        self.clients = Some(std::sync::Arc::new(clients::AwsClients::new(config)));
    }

    /// Calls the integration `integration` (parsed from `resource`) with
    /// `input`.
    ///
    /// # Errors
    /// The service's error named as [`errors`] says; `States.Runtime` for
    /// parameters of the wrong type; `States.TaskFailed` for an action this
    /// crate does not implement, or when built without the `aws` feature.
    pub(crate) fn invoke(
        &self,
        integration: Integration,
        resource: &str,
        input: crate::tasks::TaskInput,
    ) -> BoxFuture<'static, Result<Value, ExecError>> {
        let Some(action) = integration.action else {
            let cause = format!(
                "the service integration '{resource}' is not implemented; supported: \
                 sqs:sendMessage, sns:publish, dynamodb:getItem|putItem|updateItem|deleteItem, \
                 events:putEvents; other APIs are served as aws-sdk:SERVICE:ACTION"
            );
            return Box::pin(async move { Err(ExecError::new(names::TASK_FAILED, cause)) });
        };
        #[cfg(feature = "aws")]
        {
            let clients = self
                .clients
                .clone()
                .unwrap_or_else(clients::AwsClients::from_env);
            Box::pin(async move {
                use resource::Action;
                match action {
                    Action::SendMessage => sqs::send_message(clients.sqs().await, &input).await,
                    Action::Publish => sns::publish(clients.sns().await, &input).await,
                    Action::GetItem | Action::PutItem | Action::UpdateItem | Action::DeleteItem => {
                        dynamodb::call(clients.dynamodb().await, action, &input).await
                    }
                    Action::PutEvents => {
                        eventbridge::put_events(clients.eventbridge().await, &input).await
                    }
                }
            })
        }
        #[cfg(not(feature = "aws"))]
        {
            let _ = (action, input);
            let cause = format!(
                "the resource '{resource}' is an AWS service integration, and this build of \
                 expressway has the `aws` cargo feature off (build with --features aws)"
            );
            Box::pin(async move { Err(ExecError::new(names::TASK_FAILED, cause)) })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invoke(resource: &str) -> Result<Value, ExecError> {
        let integration = resource::parse(resource).expect("an integration");
        let fut = AwsState::default().invoke(integration, resource, Value::from(0).into());
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
            .block_on(fut)
    }

    #[test]
    fn unimplemented_action_is_task_failed() {
        let e = invoke("arn:aws:states:::dynamodb:scan").unwrap_err();
        assert_eq!(e.error, names::TASK_FAILED);
        assert!(e.cause.contains("is not implemented"), "{}", e.cause);
    }

    #[cfg(not(feature = "aws"))]
    #[test]
    fn without_the_feature_the_task_fails_saying_so() {
        let e = invoke("arn:aws:states:::sqs:sendMessage").unwrap_err();
        assert_eq!(e.error, names::TASK_FAILED);
        assert!(e.cause.contains("`aws` cargo feature"), "{}", e.cause);
    }

    #[cfg(feature = "aws")]
    #[test]
    fn parameters_are_checked_before_any_call() {
        // The input is rejected before any request is sent.
        let e = invoke("arn:aws:states:::sqs:sendMessage").unwrap_err();
        assert_eq!(e.error, names::RUNTIME);
        assert!(e.cause.contains("must be a JSON object"), "{}", e.cause);
    }
}
