//! The Task resources this service serves itself, bound into the engine's
//! [`crate::tasks::Tasks`] by [`super::Service::new`]: activity ARNs
//! ([`super::activities`]) and the Step Functions integrations that start
//! nested executions ([`super::ops::nested`]).

use std::sync::{Arc, Weak};

use futures::future::BoxFuture;

use super::ops::nested;
use super::{Inner, Service};
use crate::engine::tokens::TaskTokens;
use crate::errors::{names, ExecError};
use crate::json::Value;
use crate::tasks::{TaskCall, TaskResolver};

/// Serves activity Tasks and nested executions for one [`Service`]. Holds the
/// service weakly: the engine (inside the service) holds the resolver.
pub(crate) struct ServiceResolver {
    service: Weak<Inner>,
    tokens: Arc<TaskTokens>,
}

impl ServiceResolver {
    /// A resolver for `service`.
    pub(crate) fn new(service: &Service) -> Self {
        ServiceResolver {
            service: Arc::downgrade(&service.inner),
            tokens: service.engine().task_tokens_shared(),
        }
    }
}

/// Whether `resource` is an activity ARN (`arn:P:states:R:A:activity:NAME`).
fn is_activity(resource: &str) -> bool {
    let mut parts = resource.split(':');
    parts.next() == Some("arn")
        && parts.next().is_some()
        && parts.next() == Some("states")
        && parts.nth(2) == Some("activity")
}

impl TaskResolver for ServiceResolver {
    fn serves(&self, resource: &str) -> bool {
        is_activity(resource) || nested::Integration::parse(resource).is_some()
    }

    fn invoke(&self, call: TaskCall) -> BoxFuture<'static, Result<Value, ExecError>> {
        let Some(inner) = self.service.upgrade() else {
            return Box::pin(async {
                Err(ExecError::new(
                    names::TASK_FAILED,
                    "the service that served this resource has shut down",
                ))
            });
        };
        let service = Service { inner };
        if let Some(integration) = nested::Integration::parse(&call.resource) {
            return Box::pin(async move { nested::run(&service, integration, &call.input).await });
        }
        let tokens = Arc::clone(&self.tokens);
        Box::pin(async move {
            service
                .inner
                .activities
                .run_task(&tokens, &call.resource, &call.input, call.heartbeat)
                .await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activity_arns() {
        assert!(is_activity(
            "arn:aws:states:us-east-1:123456789012:activity:w"
        ));
        assert!(!is_activity(
            "arn:aws:states:us-east-1:123456789012:stateMachine:w"
        ));
        assert!(!is_activity("arn:aws:states:::states:startExecution"));
        assert!(!is_activity("arn:aws:lambda:us-east-1:1:activity:x"));
    }
}
