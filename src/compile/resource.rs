//! A Task's `Resource`, resolved once when the definition is compiled: the
//! ARN the integration is called with (without the `.waitForTaskToken`
//! suffix of the callback pattern) and, for a plain Lambda function ARN, its
//! bare function name, so that no Task call parses its ARN again.
//!
//! Source: ASL spec "Task State"; AWS developer guide
//! `connect-to-resource.html` (service integration patterns) and
//! `connect-lambda.html` (the legacy function ARN form).

use std::sync::Arc;

use crate::tasks::lambda_function_name;

/// The Resource suffix of the callback pattern.
const WAIT_FOR_TASK_TOKEN: &str = ".waitForTaskToken";

/// A Task state's `Resource`, resolved at compile time. Dereferences to the
/// ARN as written in the definition.
#[derive(Debug, Clone)]
pub struct Resource {
    /// The ARN as written (with `.waitForTaskToken` if given).
    written: Arc<str>,
    /// The ARN the integration is called with: `written` without the
    /// `.waitForTaskToken` suffix (the same allocation when there is none).
    target: Arc<str>,
    /// Whether the Task waits for a Task Token (`.waitForTaskToken`).
    callback: bool,
    /// The bare function name of `target` when it is a plain Lambda function
    /// ARN (`arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`).
    function: Option<Arc<str>>,
}

impl Resource {
    /// Resolves the Resource ARN `written`.
    pub fn new(written: &str) -> Resource {
        let written: Arc<str> = written.into();
        let (target, callback) = match written.strip_suffix(WAIT_FOR_TASK_TOKEN) {
            Some(base) => (Arc::<str>::from(base), true),
            None => (Arc::clone(&written), false),
        };
        let function = lambda_function_name(&target).map(Arc::<str>::from);
        Resource {
            written,
            target,
            callback,
            function,
        }
    }

    /// The ARN as written in the definition.
    pub fn written(&self) -> &Arc<str> {
        &self.written
    }

    /// The ARN the integration is called with (without `.waitForTaskToken`).
    pub fn target(&self) -> &Arc<str> {
        &self.target
    }

    /// Whether the Task waits for a Task Token (`.waitForTaskToken`).
    pub fn is_callback(&self) -> bool {
        self.callback
    }

    /// The bare Lambda function name of [`Resource::target`], if it is a
    /// plain Lambda function ARN.
    pub fn function(&self) -> Option<&str> {
        self.function.as_deref()
    }
}

impl std::ops::Deref for Resource {
    type Target = str;

    fn deref(&self) -> &str {
        &self.written
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_function_arn_keeps_its_name() {
        let r = Resource::new("arn:aws:lambda:us-east-1:111111111111:function:Pay:prod");
        assert_eq!(r.function(), Some("Pay"));
        assert!(!r.is_callback());
        assert!(Arc::ptr_eq(r.written(), r.target()));
        assert_eq!(
            &*r,
            "arn:aws:lambda:us-east-1:111111111111:function:Pay:prod"
        );
    }

    #[test]
    fn the_callback_suffix_is_resolved_once() {
        let r = Resource::new("arn:aws:states:::sqs:sendMessage.waitForTaskToken");
        assert!(r.is_callback());
        assert_eq!(&**r.target(), "arn:aws:states:::sqs:sendMessage");
        assert_eq!(
            &**r.written(),
            "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
        );
        assert_eq!(r.function(), None);
        let f = Resource::new("arn:aws:lambda:us-east-1:1:function:Cb.waitForTaskToken");
        assert_eq!(f.function(), Some("Cb"));
    }

    #[test]
    fn other_resources_have_no_function_name() {
        assert_eq!(
            Resource::new("arn:aws:states:::lambda:invoke").function(),
            None
        );
        assert_eq!(
            Resource::new("arn:aws:lambda:us-east-1:1:layer:x").function(),
            None
        );
    }
}
