//! [`Resolution`]: which resolver a [`Tasks`] would give a Task's Resource,
//! without calling it. `expressway serve`, `run` and `consume` log it for
//! every Task of every machine they load, so that a Task that would reach a
//! public AWS endpoint says so before the first execution.

use std::fmt;

use super::{apigateway, http, lambda_function_name, Tasks, LAMBDA_INVOKE, SDK_LAMBDA_INVOKE};

/// The suffix the engine strips before resolving (it waits for the token).
const WAIT_FOR_TASK_TOKEN: &str = ".waitForTaskToken";

/// Which resolver serves a Resource (outside a mock-file test case, where
/// the mock file answers every mocked state).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// A handler registered for the exact Resource ARN.
    Handler,
    /// A handler registered for this bare Lambda function name.
    Function(String),
    /// The runtime itself: activities and nested executions (bound by the API service).
    Runtime,
    /// The HTTP Task client (loopback hosts unless allowed).
    Http,
    /// The API Gateway integration (`apigateway:invoke`).
    ApiGateway {
        /// The endpoint that replaces `https://{ApiEndpoint}`, if any
        /// (`None`: the deployed API on AWS).
        endpoint: Option<String>,
    },
    /// An AWS service called through the generic client driven by the
    /// service models: `aws-sdk:SERVICE:ACTION`, and the optimized SQS, SNS,
    /// DynamoDB, EventBridge, Glue, ECS, Batch, Athena, SageMaker and Bedrock
    /// integrations.
    AwsApi {
        /// The service's name in the Resource, e.g. `s3`, `glue`.
        service: String,
        /// The endpoint configured, if any (`None`: the service's regional
        /// AWS endpoint).
        endpoint: Option<String>,
    },
    /// Lambda's Invoke API at this endpoint.
    Lambda {
        /// The base URL called.
        endpoint: String,
    },
    /// Nothing: the Task fails with `States.TaskFailed`.
    Unresolved,
}

impl Resolution {
    /// Whether a call goes to a public AWS endpoint (`*.amazonaws.com`, or
    /// an AWS service integration with no endpoint configured).
    pub fn is_public_aws(&self) -> bool {
        match self {
            Resolution::AwsApi { endpoint, .. } => endpoint
                .as_deref()
                .is_none_or(|e| e.contains(".amazonaws.com")),
            Resolution::Lambda { endpoint } => endpoint.contains(".amazonaws.com"),
            Resolution::ApiGateway { endpoint } => endpoint
                .as_deref()
                .is_none_or(|e| e.contains(".amazonaws.com")),
            _ => false,
        }
    }
}

impl fmt::Display for Resolution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Resolution::Handler => f.write_str("in-process handler"),
            Resolution::Function(name) => write!(f, "in-process handler for function {name}"),
            Resolution::Runtime => f.write_str("this runtime (activity or nested execution)"),
            Resolution::Http => f.write_str("HTTP Task client"),
            Resolution::ApiGateway { endpoint: Some(e) } => {
                write!(f, "API Gateway integration at {e}")
            }
            Resolution::ApiGateway { endpoint: None } => {
                f.write_str("API Gateway integration at https://{ApiEndpoint} (the API on AWS)")
            }
            Resolution::AwsApi {
                service,
                endpoint: Some(e),
            } => write!(f, "AWS {service} API at {e}"),
            Resolution::AwsApi {
                service,
                endpoint: None,
            } => write!(f, "AWS {service} API at its regional AWS endpoint"),
            Resolution::Lambda { endpoint } => write!(f, "Lambda at {endpoint}"),
            Resolution::Unresolved => {
                f.write_str("nothing (the Task fails with States.TaskFailed)")
            }
        }
    }
}

impl Tasks {
    /// Which resolver [`Tasks::invoke`] would use for `resource` (in the
    /// same order), without calling anything.
    pub fn resolution(&self, resource: &str) -> Resolution {
        let resource = resource
            .strip_suffix(WAIT_FOR_TASK_TOKEN)
            .unwrap_or(resource);
        if self.handlers.contains_key(resource) {
            return Resolution::Handler;
        }
        let function = lambda_function_name(resource);
        if let Some(name) = function.filter(|n| self.functions.contains_key(*n)) {
            return Resolution::Function(name.to_owned());
        }
        if self.late.get(resource).is_some() {
            return Resolution::Runtime;
        }
        if http::is_http_invoke(resource) {
            return Resolution::Http;
        }
        if apigateway::is_apigateway_invoke(resource) {
            return Resolution::ApiGateway {
                endpoint: apigateway::configured_endpoint(&self.aws_sdk),
            };
        }
        let generic = super::aws_sdk::parse(resource)
            .filter(|_| !(self.lambda.is_some() && resource == SDK_LAMBDA_INVOKE))
            .map(|r| r.service)
            .or_else(|| super::optimized::parse(resource).map(|o| o.service().to_owned()));
        if let Some(service) = generic {
            let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
            let env = self.aws_sdk.endpoint_var(&service).unwrap_or_else(|| {
                format!(
                    "AWS_ENDPOINT_URL_{}",
                    service.to_ascii_uppercase().replace('-', "_")
                )
            });
            let endpoint = self
                .aws_config()
                .and_then(|c| c.endpoint_url.clone())
                .or_else(|| var(&env))
                .or_else(|| var("AWS_ENDPOINT_URL"));
            return Resolution::AwsApi { service, endpoint };
        }
        if let Some(config) = self.lambda_config() {
            if function.is_some() || resource == LAMBDA_INVOKE || resource == SDK_LAMBDA_INVOKE {
                return Resolution::Lambda {
                    endpoint: config.endpoint.clone(),
                };
            }
        }
        Resolution::Unresolved
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tasks::LambdaConfig;

    const FN: &str = "arn:aws:lambda:us-east-1:123456789012:function:pay";

    #[test]
    fn resolutions_follow_invoke_order() {
        let mut tasks = Tasks::default();
        assert_eq!(tasks.resolution(FN), Resolution::Unresolved);
        tasks.set_lambda(Some(LambdaConfig {
            endpoint: "https://lambda.us-east-1.amazonaws.com".into(),
            region: "us-east-1".into(),
            credentials: None,
        }));
        let public = tasks.resolution(FN);
        assert!(public.is_public_aws(), "{public}");
        assert_eq!(
            public.to_string(),
            "Lambda at https://lambda.us-east-1.amazonaws.com"
        );
        tasks.set_lambda(Some(LambdaConfig::local("http://127.0.0.1:9001")));
        assert!(!tasks.resolution(FN).is_public_aws());
        tasks.register_function("pay", crate::tasks::handler(|_| async { Ok(true.into()) }));
        assert_eq!(tasks.resolution(FN), Resolution::Function("pay".into()));
        tasks.register_fn(FN, |_| async { Ok(true.into()) });
        assert_eq!(
            tasks.resolution(&format!("{FN}.waitForTaskToken")),
            Resolution::Handler
        );
        assert_eq!(
            tasks.resolution("arn:aws:states:::http:invoke"),
            Resolution::Http
        );
        let glue = tasks.resolution("arn:aws:states:::glue:startJobRun.sync");
        assert!(
            matches!(&glue, Resolution::AwsApi { service, .. } if service == "glue"),
            "{glue}"
        );
        let s3 = tasks.resolution("arn:aws:states:::aws-sdk:s3:getObject");
        assert!(
            matches!(&s3, Resolution::AwsApi { service, .. } if service == "s3"),
            "{s3}"
        );
        let apigw = tasks.resolution("arn:aws:states:::apigateway:invoke.waitForTaskToken");
        assert!(matches!(apigw, Resolution::ApiGateway { .. }), "{apigw}");
        tasks.set_aws(crate::tasks::AwsConfig {
            endpoint_url: Some("http://127.0.0.1:4566".into()),
            ..Default::default()
        });
        let local = tasks.resolution("arn:aws:states:::apigateway:invoke");
        assert_eq!(
            local,
            Resolution::ApiGateway {
                endpoint: Some("http://127.0.0.1:4566".into())
            }
        );
        assert!(!local.is_public_aws());
        assert_eq!(
            local.to_string(),
            "API Gateway integration at http://127.0.0.1:4566"
        );
        assert!(Resolution::ApiGateway { endpoint: None }.is_public_aws());
        let sqs = tasks.resolution("arn:aws:states:::sqs:sendMessage");
        assert!(
            matches!(&sqs, Resolution::AwsApi { service, .. } if service == "sqs"),
            "{sqs}"
        );
    }
}
