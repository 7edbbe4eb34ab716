//! AWS SDK clients: one [`SdkConfig`] loaded lazily, once, from the
//! standard AWS environment (or an explicit [`AwsConfig`]), and one client
//! per service built from it on first use.

use std::sync::{Arc, OnceLock};

use aws_config::meta::region::RegionProviderChain;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use tokio::sync::OnceCell;

use super::config::AwsConfig;

/// The region used when neither the configuration nor the environment
/// (`AWS_REGION`, profile) names one.
const FALLBACK_REGION: &str = "us-east-1";

/// The SDK configuration and clients for one [`AwsConfig`] (or the
/// environment).
#[derive(Debug, Default)]
pub(crate) struct AwsClients {
    config: Option<AwsConfig>,
    sdk: OnceCell<SdkConfig>,
    sqs: OnceLock<aws_sdk_sqs::Client>,
    sns: OnceLock<aws_sdk_sns::Client>,
    dynamodb: OnceLock<aws_sdk_dynamodb::Client>,
    eventbridge: OnceLock<aws_sdk_eventbridge::Client>,
}

impl AwsClients {
    /// Clients for `config`.
    pub(crate) fn new(config: AwsConfig) -> Self {
        AwsClients {
            config: Some(config),
            ..Self::default()
        }
    }

    /// The process-wide clients configured from the environment.
    pub(crate) fn from_env() -> Arc<AwsClients> {
        static ENV: OnceLock<Arc<AwsClients>> = OnceLock::new();
        Arc::clone(ENV.get_or_init(Default::default))
    }

    /// The SDK configuration, loaded on first use.
    async fn sdk(&self) -> &SdkConfig {
        self.sdk.get_or_init(|| load(self.config.as_ref())).await
    }

    /// The SQS client.
    pub(crate) async fn sqs(&self) -> &aws_sdk_sqs::Client {
        let sdk = self.sdk().await;
        self.sqs.get_or_init(|| aws_sdk_sqs::Client::new(sdk))
    }

    /// The SNS client.
    pub(crate) async fn sns(&self) -> &aws_sdk_sns::Client {
        let sdk = self.sdk().await;
        self.sns.get_or_init(|| aws_sdk_sns::Client::new(sdk))
    }

    /// The DynamoDB client.
    pub(crate) async fn dynamodb(&self) -> &aws_sdk_dynamodb::Client {
        let sdk = self.sdk().await;
        self.dynamodb
            .get_or_init(|| aws_sdk_dynamodb::Client::new(sdk))
    }

    /// The EventBridge client.
    pub(crate) async fn eventbridge(&self) -> &aws_sdk_eventbridge::Client {
        let sdk = self.sdk().await;
        self.eventbridge
            .get_or_init(|| aws_sdk_eventbridge::Client::new(sdk))
    }
}

/// Loads the SDK configuration: the environment, with `config`'s fields on
/// top, and `us-east-1` when no region is found at all.
async fn load(config: Option<&AwsConfig>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    let region = config.and_then(|c| c.region.clone());
    loader = match region {
        Some(r) => loader.region(Region::new(r)),
        None => loader.region(RegionProviderChain::default_provider().or_else(FALLBACK_REGION)),
    };
    if let Some(c) = config {
        if let Some(url) = &c.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        if let Some(cr) = &c.credentials {
            loader = loader.credentials_provider(aws_sdk_sqs::config::Credentials::new(
                cr.access_key_id.clone(),
                cr.secret_access_key.clone(),
                cr.session_token.clone(),
                None,
                "expressway",
            ));
        }
    }
    loader.load().await
}
