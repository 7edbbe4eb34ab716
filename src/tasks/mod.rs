//! Resolving a Task state's `Resource`: handlers registered by the embedding
//! program, the Step Functions Local mock file, and Lambda over its Invoke
//! REST API.
//!
//! [`Tasks::invoke`] tries, in order:
//!
//! 1. the mock file, when the execution selected a test case
//!    (`…:stateMachine:SM#Case`): the state's mocked response answers, and a
//!    state the test case does not mock fails the execution (reference §5);
//! 2. a handler registered for the exact Resource ARN ([`Tasks::register`]);
//! 3. for a plain Lambda function ARN, a handler registered under its bare
//!    function name ([`Tasks::register_function`]);
//! 4. the HTTP Task, `arn:aws:states:::http:invoke` ([`HttpConfig`]: only
//!    loopback hosts unless allowed), and the API Gateway integration,
//!    `arn:aws:states:::apigateway:invoke` (module `apigateway`: the
//!    deployed API at `https://{ApiEndpoint}/{Stage}/{Path}`, or at
//!    [`EXECUTE_API_ENDPOINT_ENV`] / [`Tasks::set_aws`]'s endpoint);
//! 5. Lambda, for function ARNs, `arn:aws:states:::lambda:invoke` and
//!    `arn:aws:states:::aws-sdk:lambda:invoke`, when an endpoint or
//!    credentials are configured ([`LambdaConfig`]);
//! 6. every other `arn:aws:states:::aws-sdk:SERVICE:ACTION`, through the
//!    generic integration driven by AWS's service models ([`aws_sdk`],
//!    [`Tasks::set_aws`]);
//! 7. the optimized integrations of SQS, SNS, DynamoDB, EventBridge, Glue,
//!    ECS, Batch, Athena, SageMaker and Bedrock, with Run a Job (`.sync`),
//!    on the generic client (module `optimized`, [`Tasks::set_aws`]);
//! 8. otherwise the Task fails with `States.TaskFailed` naming the resource.

mod apigateway;
pub mod aws;
pub mod aws_sdk;
mod explain;
mod http;
mod lambda;
mod mock;
mod optimized;
mod registry;
mod resolver;
pub(crate) mod sigv4;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;

use crate::errors::{names, ExecError};
use crate::json::Value;

pub use apigateway::EXECUTE_API_ENDPOINT_ENV;
pub use aws::AwsConfig;
pub use explain::Resolution;
pub use http::{HttpClient, HttpConfig, HTTP_ALLOWED_HOSTS_ENV, HTTP_SOCKET, HTTP_TIMEOUT};
pub use lambda::{LambdaClient, LambdaConfig};
pub use mock::{MockConfig, MockEntry, MockError, MockOutcome, DEFAULT_MOCK_FILE, MOCK_CONFIG_ENV};
pub use registry::{handler, lambda_function_name};
pub use resolver::TaskResolver;
pub use sigv4::Credentials;

use lambda::Integration;

/// A Task's effective input (after InputPath and Parameters), shared with the
/// engine: when a Task has neither, its input *is* the state's input, handed
/// over without a copy. A handler reads it through `Deref`
/// (`input.get("amount")`); one that wants to own it calls
/// `Arc::unwrap_or_clone`, which copies only if the engine still needs it.
pub type TaskInput = Arc<Value>;

/// A handler for a Task resource: an async function from the Task's
/// effective input to its result, or an [`ExecError`] that fails the Task.
///
/// The handler should drop its input once it no longer needs it: the engine
/// then takes the document back for ResultPath without copying it.
pub type Handler =
    Arc<dyn Fn(TaskInput) -> BoxFuture<'static, Result<Value, ExecError>> + Send + Sync>;

/// One invocation of a Task's resource, as the engine asks for it.
#[derive(Debug, Clone)]
pub struct TaskCall {
    /// The `Resource` ARN, as written in the definition.
    pub resource: Arc<str>,
    /// The effective input (after InputPath and Parameters).
    pub input: TaskInput,
    /// The Task state's name.
    pub state_name: Arc<str>,
    /// The state machine's name (the mock file is keyed by it).
    pub state_machine_name: Arc<str>,
    /// The mock-file test case selected by `…:stateMachine:SM#Case`, if any.
    pub test_case: Option<Arc<str>>,
    /// How many times this state was invoked before in this execution,
    /// retries included (the mock file's response key), from 0.
    pub invocation: u32,
    /// The Task's TimeoutSeconds, if any (the engine enforces it; a resolver
    /// may use it to bound I/O).
    pub timeout: Option<Duration>,
    /// The Task's HeartbeatSeconds, if any (activity Tasks enforce it from
    /// the moment a worker gets the task).
    pub heartbeat: Option<Duration>,
}

/// The `lambda:invoke` optimized integration.
const LAMBDA_INVOKE: &str = "arn:aws:states:::lambda:invoke";
/// The AWS SDK integration for Lambda Invoke.
const SDK_LAMBDA_INVOKE: &str = "arn:aws:states:::aws-sdk:lambda:invoke";

/// Resolves Task resources to results.
///
/// Cloning is cheap for the mock file and the Lambda client (shared); the
/// handler maps are copied.
#[derive(Default, Clone)]
pub struct Tasks {
    /// Handlers by exact Resource ARN.
    handlers: registry::NameMap<Handler>,
    /// Handlers by bare Lambda function name.
    functions: registry::NameMap<Handler>,
    mock: Option<Arc<MockConfig>>,
    lambda: Option<Arc<LambdaClient>>,
    /// The HTTP Task client (loopback only by default).
    http: Arc<HttpClient>,
    /// The generic `aws-sdk:*` integration.
    aws_sdk: aws_sdk::AwsSdk,
    /// The optimized integrations on the generic client (`.sync` polling).
    jobs: optimized::Jobs,
    /// Activities and nested executions, bound by the API service.
    late: Arc<resolver::LateResolver>,
}

impl Tasks {
    /// A resolver with no handlers, no mock file, Lambda from the
    /// environment ([`LambdaConfig::from_env`]; none when neither an endpoint
    /// nor credentials are set) and the HTTP Task's allowed hosts from the
    /// environment ([`HttpConfig::from_env`]). `Tasks::default()` has no
    /// Lambda at all and lets HTTP Tasks call loopback hosts only.
    pub fn new() -> Self {
        Tasks {
            lambda: LambdaConfig::from_env().map(|c| Arc::new(LambdaClient::new(c))),
            http: Arc::new(HttpClient::new(HttpConfig::from_env())),
            aws_sdk: aws_sdk::AwsSdk::from_env(),
            jobs: optimized::Jobs::from_env(),
            ..Self::default()
        }
    }

    /// Lets HTTP Tasks call the hosts of `config` (replacing the allow-list;
    /// loopback is always allowed). A new pooled client is made.
    pub fn set_http(&mut self, config: HttpConfig) {
        self.http = Arc::new(HttpClient::new(config));
    }

    /// Lets HTTP Tasks call `hosts` besides loopback: exact names or IP
    /// literals, `*.example.com` for subdomains, `*` for any host.
    pub fn set_http_allowed_hosts<I, S>(&mut self, hosts: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.set_http(HttpConfig {
            allowed_hosts: hosts.into_iter().map(Into::into).collect(),
        });
    }

    /// The HTTP Task configuration in use.
    pub fn http_config(&self) -> &HttpConfig {
        self.http.config()
    }

    /// [`Tasks::new`] plus the mock file from the environment
    /// ([`MockConfig::from_env`]: `SFN_MOCK_CONFIG`, else
    /// `./MockConfigFile.json` if it exists).
    ///
    /// # Errors
    /// The mock file named cannot be read or is invalid.
    pub fn from_env() -> Result<Self, MockError> {
        let mut tasks = Self::new();
        tasks.mock = MockConfig::from_env()?.map(Arc::new);
        Ok(tasks)
    }

    /// Whether the mock file answers `call` itself: a test case is selected
    /// and mocks the call's state. (Other states of a test case resolve as
    /// without one.)
    pub fn is_mocked(&self, call: &TaskCall) -> bool {
        match (&self.mock, &call.test_case) {
            (Some(mock), Some(case)) => {
                mock.mocks(&call.state_machine_name, case, &call.state_name)
            }
            _ => false,
        }
    }

    /// Uses `mock` for executions that select a test case (replacing any).
    pub fn set_mock(&mut self, mock: Option<MockConfig>) {
        self.mock = mock.map(Arc::new);
    }

    /// Calls Lambda as `config` says (replacing any), or never with `None`.
    pub fn set_lambda(&mut self, config: Option<LambdaConfig>) {
        self.lambda = config.map(|c| Arc::new(LambdaClient::new(c)));
    }

    /// The Lambda configuration in use, if any.
    pub fn lambda_config(&self) -> Option<&LambdaConfig> {
        self.lambda.as_deref().map(LambdaClient::config)
    }

    /// Sends the AWS service integrations' calls (`aws-sdk:*`, the
    /// optimized ones, and `apigateway:invoke`, whose `https://{ApiEndpoint}`
    /// the endpoint replaces) as `config` says instead of as the environment
    /// does (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_REGION`,
    /// the credentials). Clients are made on first use.
    pub fn set_aws(&mut self, config: AwsConfig) {
        self.aws_sdk = self.aws_sdk.with_config(config);
    }

    /// Polls every Run a Job (`.sync`) job of the optimized integrations
    /// (Glue, ECS, Batch, Athena, SageMaker, Bedrock) every `interval`
    /// instead of on AWS's schedule (Glue every 60 s, then 5 minutes; the
    /// others every 5 s); `None` restores AWS's. The environment variable
    /// `EXPRESSWAY_SYNC_POLL_MS` sets it for [`Tasks::new`].
    pub fn set_sync_poll_interval(&mut self, interval: Option<Duration>) {
        self.jobs.poll = interval;
    }

    /// The explicit AWS configuration set with [`Tasks::set_aws`], if any.
    pub fn aws_config(&self) -> Option<&AwsConfig> {
        self.aws_sdk.config()
    }

    /// The generic AWS client, for the distributed Map's S3 reads and writes.
    pub(crate) fn aws_sdk(&self) -> &aws_sdk::AwsSdk {
        &self.aws_sdk
    }

    /// Registers `handler` for the resource ARN `resource`.
    pub fn register(&mut self, resource: impl Into<String>, handler: Handler) {
        self.handlers.insert(resource.into(), handler);
    }

    /// Registers an async closure for the resource ARN `resource`
    /// (see [`handler`]).
    pub fn register_fn<F, Fut>(&mut self, resource: impl Into<String>, f: F)
    where
        F: Fn(TaskInput) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Value, ExecError>> + Send + 'static,
    {
        self.register(resource, handler(f));
    }

    /// Registers `handler` for the Lambda function `name`: it resolves every
    /// plain function ARN `arn:…:lambda:R:A:function:NAME[:QUAL]` with that
    /// name (any region, account or qualifier) that has no exact-ARN handler.
    /// Like Lambda, it receives the effective input and its result is the
    /// Task's result.
    pub fn register_function(&mut self, name: impl Into<String>, handler: Handler) {
        self.functions.insert(name.into(), handler);
    }

    /// Binds the resolver for resources the runtime itself serves (activity
    /// ARNs, `states:startExecution…`, `aws-sdk:sfn:…`); it is consulted
    /// after registered handlers. Shared by every clone of this `Tasks`.
    pub fn bind_resolver(&self, resolver: Arc<dyn TaskResolver>) {
        self.late.bind(resolver);
    }

    /// Invokes the resource of `call`.
    ///
    /// # Errors
    /// The Task's error: the handler's own, `States.TaskFailed` for a panic, or
    /// a Lambda error mapped as the reference §6 says; the mock's `Throw`, or
    /// `States.Runtime` for a test case missing from the mock file or a mocked
    /// state with no entry for this invocation (a state the test case does not
    /// mock resolves as without a test case);
    /// HTTP Task errors as [`HttpClient::invoke`] says; API Gateway errors
    /// (`ApiGateway.<status>`, `ApiGateway.SdkClientException`) as module
    /// `apigateway` says; AWS service integration errors as [`aws`] says;
    /// `States.TaskFailed` when nothing resolves the resource.
    pub fn invoke(&self, call: TaskCall) -> BoxFuture<'static, Result<Value, ExecError>> {
        let resource = Arc::clone(&call.resource);
        self.invoke_resolved(call, lambda_function_name(&resource))
            .boxed()
    }

    /// [`Tasks::invoke`] with the bare Lambda function name of
    /// `call.resource` already found (`None` when it is not a plain function
    /// ARN): the engine resolves it when it compiles the definition
    /// ([`crate::compile::Resource`]).
    ///
    /// # Errors
    /// As [`Tasks::invoke`].
    pub(crate) fn invoke_resolved(
        &self,
        call: TaskCall,
        function: Option<&str>,
    ) -> registry::Invocation {
        if let Some(case) = &call.test_case {
            let Some(mock) = self.mock.clone() else {
                let cause = format!(
                    "test case '{case}' was selected but no mock config is loaded \
                     (set {MOCK_CONFIG_ENV})"
                );
                return registry::Invocation::Boxed(Box::pin(async move {
                    Err(ExecError::runtime(cause))
                }));
            };
            let entry = mock.lookup(
                &call.state_machine_name,
                case_name(&call),
                &call.state_name,
                call.invocation,
            );
            match entry {
                Ok(Some(entry)) => {
                    let entry = entry.clone();
                    return registry::Invocation::Boxed(Box::pin(async move {
                        MockConfig::answer(&entry).await
                    }));
                }
                Err(e) => return registry::Invocation::Boxed(Box::pin(async move { Err(e) })),
                // Not mocked in this test case: resolved as without one
                // (Step Functions Local's behaviour).
                Ok(None) => {}
            }
        }
        if let Some(h) = self.handlers.get(&*call.resource) {
            return registry::call_guarded(h, call.resource, call.input);
        }
        if let Some(h) = function.and_then(|name| self.functions.get(name)) {
            return registry::call_guarded(h, call.resource, call.input);
        }
        if let Some(r) = self.late.get(&call.resource) {
            return r.invoke(call).into();
        }
        if http::is_http_invoke(&call.resource) {
            let client = Arc::clone(&self.http);
            return registry::Invocation::Boxed(Box::pin(async move {
                client.invoke(&call.input).await
            }));
        }
        if apigateway::is_apigateway_invoke(&call.resource) {
            let client = Arc::clone(&self.http);
            let aws = self.aws_sdk.clone();
            return registry::Invocation::Boxed(Box::pin(async move {
                apigateway::invoke(&client, &aws, &call.input, call.timeout).await
            }));
        }
        if let Some(sdk) = aws_sdk::parse(&call.resource) {
            // Lambda Invoke keeps its own client when one is configured.
            if !(self.lambda.is_some() && &*call.resource == SDK_LAMBDA_INVOKE) {
                return self.aws_sdk.invoke(sdk, call.input, call.timeout).into();
            }
        }
        if let Some(integration) = optimized::parse(&call.resource) {
            return self.jobs.invoke(&self.aws_sdk, integration, call).into();
        }
        if let Some(client) = &self.lambda {
            let integration = match &*call.resource {
                LAMBDA_INVOKE => Some(Integration::LambdaInvoke),
                SDK_LAMBDA_INVOKE => Some(Integration::SdkInvoke),
                _ => None,
            };
            if function.is_some() || integration.is_some() {
                let client = Arc::clone(client);
                return registry::Invocation::Boxed(Box::pin(async move {
                    match integration {
                        Some(i) => client.invoke_service(i, &call.input, call.timeout).await,
                        None => {
                            client
                                .invoke_function_arn(&call.resource, &call.input, call.timeout)
                                .await
                        }
                    }
                }));
            }
        }
        let cause = format!(
            "no handler, mock or Lambda resolves resource '{}'",
            call.resource
        );
        registry::Invocation::Boxed(Box::pin(async move {
            Err(ExecError::new(names::TASK_FAILED, cause))
        }))
    }
}

/// The selected test case's name (empty when none, which `invoke` excludes).
fn case_name(call: &TaskCall) -> &str {
    call.test_case.as_deref().unwrap_or_default()
}

#[cfg(test)]
mod tests;
