//! Recognising the Resource ARNs of the AWS service integrations this crate
//! implements, in both forms Step Functions offers:
//!
//! - optimized: `arn:PARTITION:states:::SERVICE:ACTION`, e.g.
//!   `arn:aws:states:::sqs:sendMessage`;
//! - AWS SDK: `arn:PARTITION:states:::aws-sdk:SERVICE:ACTION`, e.g.
//!   `arn:aws:states:::aws-sdk:sqs:sendMessage`.
//!
//! The engine strips `.waitForTaskToken` before a Resource reaches
//! [`crate::tasks::Tasks::invoke`], so the callback pattern needs nothing here.
//!
//! Sources: AWS developer guide `integrate-optimized.html`,
//! `supported-services-awssdk.html` ("arn:aws:states:::aws-sdk:serviceName:apiAction.[serviceIntegrationPattern]").

/// Which of the two integration forms a Resource uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// `arn:aws:states:::sqs:sendMessage`: the optimized integration (Step
    /// Functions' own parameter handling, results with `SdkHttpMetadata`,
    /// errors named after the AWS SDK for Java 1.x exceptions).
    Optimized,
    /// `arn:aws:states:::aws-sdk:sqs:sendMessage`: the AWS SDK integration
    /// (the service API as is, errors named after the AWS SDK for Java 2.x).
    Sdk,
}

/// A service with integrations here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// Amazon SQS (`sqs`).
    Sqs,
    /// Amazon SNS (`sns`).
    Sns,
    /// Amazon DynamoDB (`dynamodb`).
    DynamoDb,
    /// Amazon EventBridge (`events` optimized, `eventbridge` AWS SDK).
    EventBridge,
}

/// An API action with an implementation here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// SQS `SendMessage`.
    SendMessage,
    /// SNS `Publish`.
    Publish,
    /// DynamoDB `GetItem`.
    GetItem,
    /// DynamoDB `PutItem`.
    PutItem,
    /// DynamoDB `UpdateItem`.
    UpdateItem,
    /// DynamoDB `DeleteItem`.
    DeleteItem,
    /// EventBridge `PutEvents`.
    PutEvents,
}

/// A recognised integration Resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Integration {
    /// Optimized or AWS SDK.
    pub form: Form,
    /// The service called.
    pub service: Service,
    /// The API action called; `None` for an action of a known service that
    /// this crate does not implement (e.g. `aws-sdk:sqs:deleteQueue`).
    pub action: Option<Action>,
}

/// The integration `resource` names, or `None` when it is not an
/// `arn:PARTITION:states:…` Resource of SQS, SNS, DynamoDB or EventBridge.
///
/// Any partition (`aws`, `aws-cn`, `aws-us-gov`…) is accepted; region and
/// account, which Step Functions leaves empty, are ignored.
pub fn parse(resource: &str) -> Option<Integration> {
    let mut parts = resource.splitn(6, ':');
    if parts.next()? != "arn" {
        return None;
    }
    let _partition = parts.next().filter(|p| !p.is_empty())?;
    if parts.next()? != "states" {
        return None;
    }
    let _region = parts.next()?;
    let _account = parts.next()?;
    let rest = parts.next()?;
    let (form, rest) = match rest.strip_prefix("aws-sdk:") {
        Some(r) => (Form::Sdk, r),
        None => (Form::Optimized, rest),
    };
    let (service, action) = rest.split_once(':')?;
    let service = match (form, service) {
        (_, "sqs") => Service::Sqs,
        (_, "sns") => Service::Sns,
        (_, "dynamodb") => Service::DynamoDb,
        (Form::Optimized, "events") | (Form::Sdk, "eventbridge") => Service::EventBridge,
        _ => return None,
    };
    let action = match (service, action) {
        (Service::Sqs, "sendMessage") => Some(Action::SendMessage),
        (Service::Sns, "publish") => Some(Action::Publish),
        (Service::DynamoDb, "getItem") => Some(Action::GetItem),
        (Service::DynamoDb, "putItem") => Some(Action::PutItem),
        (Service::DynamoDb, "updateItem") => Some(Action::UpdateItem),
        (Service::DynamoDb, "deleteItem") => Some(Action::DeleteItem),
        (Service::EventBridge, "putEvents") => Some(Action::PutEvents),
        _ => None,
    };
    Some(Integration {
        form,
        service,
        action,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_any_partition() {
        let i = parse("arn:aws:states:::sqs:sendMessage").unwrap();
        assert_eq!(
            (i.form, i.service, i.action),
            (Form::Optimized, Service::Sqs, Some(Action::SendMessage))
        );
        let i = parse("arn:aws-cn:states:::aws-sdk:dynamodb:updateItem").unwrap();
        assert_eq!(
            (i.form, i.service, i.action),
            (Form::Sdk, Service::DynamoDb, Some(Action::UpdateItem))
        );
        let i = parse("arn:aws:states:::events:putEvents").unwrap();
        assert_eq!(i.service, Service::EventBridge);
        let i = parse("arn:aws:states:::aws-sdk:eventbridge:putEvents").unwrap();
        assert_eq!(i.action, Some(Action::PutEvents));
    }

    #[test]
    fn unknown_actions_and_other_resources() {
        let i = parse("arn:aws:states:::aws-sdk:sqs:deleteQueue").unwrap();
        assert_eq!(i.action, None);
        assert_eq!(parse("arn:aws:states:::aws-sdk:events:putEvents"), None);
        assert_eq!(parse("arn:aws:states:::eventbridge:putEvents"), None);
        assert_eq!(parse("arn:aws:states:::lambda:invoke"), None);
        assert_eq!(parse("arn:aws:lambda:us-east-1:1:function:f"), None);
        assert_eq!(parse("arn::states:::sqs:sendMessage"), None);
        assert_eq!(parse("sqs:sendMessage"), None);
    }
}
