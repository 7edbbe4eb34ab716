//! The configuration of the AWS service integrations, all served by the
//! generic client ([`crate::tasks::aws_sdk`]).

use crate::tasks::Credentials;

/// Where the AWS service integrations send their calls, overriding the
/// environment.
///
/// Every `None` falls back to the AWS SDK's standard resolution:
/// `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` (`_SQS`, `_SNS`,
/// `_DYNAMODB`, `_S3`…), `AWS_REGION`, the credential chain (environment, profile,
/// web identity, container and instance roles). Tests use it to reach a local
/// emulator without touching the process environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsConfig {
    /// One endpoint for every service, e.g. `http://127.0.0.1:5000`.
    pub endpoint_url: Option<String>,
    /// The signing region, e.g. `us-east-1`.
    pub region: Option<String>,
    /// Static credentials.
    pub credentials: Option<Credentials>,
}
