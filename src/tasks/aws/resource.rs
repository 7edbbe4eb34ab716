//! Recognising the Resource ARNs of the optimized SQS, SNS, DynamoDB and
//! EventBridge integrations, `arn:PARTITION:states:::SERVICE:ACTION` (e.g.
//! `arn:aws:states:::sqs:sendMessage`). Their AWS SDK forms
//! (`…:aws-sdk:sqs:sendMessage`) are served by the generic integration
//! ([`crate::tasks::aws_sdk`]) and are not recognised here.
//!
//! The engine strips `.waitForTaskToken` before a Resource reaches
//! [`crate::tasks::Tasks::invoke`], so the callback pattern needs nothing here.
//!
//! Sources: AWS developer guide `integrate-optimized.html`,
//! `supported-services-awssdk.html` ("arn:aws:states:::aws-sdk:serviceName:apiAction.[serviceIntegrationPattern]").

/// A service with integrations here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// Amazon SQS (`sqs`).
    Sqs,
    /// Amazon SNS (`sns`).
    Sns,
    /// Amazon DynamoDB (`dynamodb`).
    DynamoDb,
    /// Amazon EventBridge (`events`).
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
    /// The service called.
    pub service: Service,
    /// The API action called; `None` for an action of a known service that
    /// has no optimized integration (e.g. `sqs:deleteQueue`).
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
    let (service, action) = rest.split_once(':')?;
    let service = match service {
        "sqs" => Service::Sqs,
        "sns" => Service::Sns,
        "dynamodb" => Service::DynamoDb,
        "events" => Service::EventBridge,
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
    Some(Integration { service, action })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optimized_resources_any_partition() {
        let i = parse("arn:aws:states:::sqs:sendMessage").unwrap();
        assert_eq!(
            (i.service, i.action),
            (Service::Sqs, Some(Action::SendMessage))
        );
        let i = parse("arn:aws-cn:states:::dynamodb:updateItem").unwrap();
        assert_eq!(
            (i.service, i.action),
            (Service::DynamoDb, Some(Action::UpdateItem))
        );
        let i = parse("arn:aws:states:::events:putEvents").unwrap();
        assert_eq!(
            (i.service, i.action),
            (Service::EventBridge, Some(Action::PutEvents))
        );
    }

    #[test]
    fn sdk_forms_unknown_actions_and_other_resources() {
        // The AWS SDK forms are the generic integration's.
        assert_eq!(parse("arn:aws:states:::aws-sdk:sqs:sendMessage"), None);
        assert_eq!(
            parse("arn:aws:states:::aws-sdk:eventbridge:putEvents"),
            None
        );
        let i = parse("arn:aws:states:::dynamodb:scan").unwrap();
        assert_eq!(i.action, None);
        assert_eq!(parse("arn:aws:states:::eventbridge:putEvents"), None);
        assert_eq!(parse("arn:aws:states:::lambda:invoke"), None);
        assert_eq!(parse("arn:aws:lambda:us-east-1:1:function:f"), None);
        assert_eq!(parse("arn::states:::sqs:sendMessage"), None);
        assert_eq!(parse("sqs:sendMessage"), None);
    }
}
