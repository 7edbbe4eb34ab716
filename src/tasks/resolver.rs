//! A late-bound [`TaskResolver`]: Task resources served by the runtime that
//! owns the engine (activities, nested `states:startExecution`), bound after
//! the engine is built because the engine owns [`super::Tasks`].
//!
//! The API service binds one ([`super::Tasks::bind_resolver`]); until then,
//! and for resources it does not serve, resolution goes on down the chain.

use std::sync::{Arc, RwLock};

use futures::future::BoxFuture;

use super::TaskCall;
use crate::errors::ExecError;
use crate::json::Value;

/// A resolver for Task resources that only the runtime itself can answer.
///
/// Source: AWS guide `concepts-activities.html` (activity ARNs) and
/// `connect-stepfunctions.html` (`arn:aws:states:::states:startExecution…`).
pub trait TaskResolver: Send + Sync {
    /// Whether this resolver answers `resource` (the Resource ARN without a
    /// `.waitForTaskToken` suffix).
    fn serves(&self, resource: &str) -> bool;

    /// Runs the Task; called only when [`TaskResolver::serves`] said yes.
    ///
    /// # Errors
    /// The Task's error (`States.*` or a service error name).
    fn invoke(&self, call: TaskCall) -> BoxFuture<'static, Result<Value, ExecError>>;
}

/// Whether `resource` can be served by a runtime resolver at all: an
/// activity ARN, or the Step Functions service integrations. Cheap, so the
/// hot path skips the lock for every other resource.
pub(crate) fn may_serve(resource: &str) -> bool {
    resource.starts_with("arn:")
        && (resource.contains(":states:") && resource.contains(":activity:")
            || resource.contains(":states:::states:")
            || resource.contains(":states:::aws-sdk:sfn:"))
}

/// The slot a [`TaskResolver`] is bound into; shared by clones of `Tasks`.
#[derive(Default)]
pub(crate) struct LateResolver {
    slot: RwLock<Option<Arc<dyn TaskResolver>>>,
}

impl LateResolver {
    /// Binds `resolver`, replacing any earlier one.
    pub(crate) fn bind(&self, resolver: Arc<dyn TaskResolver>) {
        let mut slot = self.slot.write().unwrap_or_else(|p| p.into_inner());
        *slot = Some(resolver);
    }

    /// The bound resolver, if it serves `resource`.
    pub(crate) fn get(&self, resource: &str) -> Option<Arc<dyn TaskResolver>> {
        if !may_serve(resource) {
            return None;
        }
        let slot = self.slot.read().unwrap_or_else(|p| p.into_inner());
        slot.as_ref().filter(|r| r.serves(resource)).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_runtime_resources_are_candidates() {
        assert!(may_serve(
            "arn:aws:states:us-east-1:123456789012:activity:work"
        ));
        assert!(may_serve("arn:aws:states:::states:startExecution.sync:2"));
        assert!(may_serve("arn:aws:states:::aws-sdk:sfn:startSyncExecution"));
        assert!(!may_serve("arn:aws:states:::lambda:invoke"));
        assert!(!may_serve("arn:aws:lambda:us-east-1:1:function:activity:x"));
    }
}
