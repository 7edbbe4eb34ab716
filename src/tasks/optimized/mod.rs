//! The optimized service integrations whose parameters or results differ
//! from the AWS SDK form (`arn:aws:states:::glue:startJobRun`,
//! `ecs:runTask`, `batch:submitJob`, `athena:*`, `sagemaker:*`,
//! `bedrock:*`), built on the generic client ([`crate::tasks::aws_sdk`]):
//! each is a row of [`table`] naming the model's API action, the request and
//! result shaping Step Functions applies, its error names (the AWS SDK for
//! Java 1.x's, [`crate::tasks::aws_sdk::Naming`]) and, for jobs, how Run a
//! Job (`.sync`) polls the job ([`sync`]).
//!
//! | Resource | API | Request Response result | `.sync` polls / result / stop |
//! |---|---|---|---|
//! | `glue:startJobRun` | Glue StartJobRun | `{JobRunId, JobName}` | GetJobRun / `JobRun` + `JobName` / BatchStopJobRun |
//! | `ecs:runTask` | ECS RunTask | `{Tasks, Failures}` | DescribeTasks / the task / StopTask |
//! | `batch:submitJob` | Batch SubmitJob | `{JobArn, JobId, JobName}` | DescribeJobs / the job / TerminateJob |
//! | `athena:startQueryExecution` | Athena | `{QueryExecutionId}` | GetQueryExecution / its output / StopQueryExecution |
//! | `athena:getQueryExecution`, `getQueryResults`, `stopQueryExecution` | Athena | the API's output | — |
//! | `sagemaker:createTrainingJob` (`TransformJob`, `ProcessingJob`, `HyperParameterTuningJob`, `LabelingJob`) | SageMaker | `{…Arn}` | Describe…Job / its output / Stop…Job |
//! | `sagemaker:createModel`, `createEndpoint`, `createEndpointConfig`, `updateEndpoint` | SageMaker | the API's output | — |
//! | `bedrock:invokeModel` | Bedrock Runtime InvokeModel | `{Body, ContentType}`, `Body` parsed when JSON | — |
//! | `codebuild:startBuild` | CodeBuild StartBuild | `{Build}` | BatchGetBuilds / `{Build}` / StopBuild |
//! | `codebuild:startBuildBatch`, `retryBuildBatch` | CodeBuild | `{BuildBatch}` | BatchGetBuildBatches / `{BuildBatch}` / StopBuildBatch |
//! | `codebuild:stopBuild`, `batchDeleteBuilds`, `batchGetReports`, `stopBuildBatch`, `deleteBuildBatch` | CodeBuild | the API's output | — |
//! | `sqs:sendMessage`, `sns:publish`, `dynamodb:getItem` (`putItem`, `updateItem`, `deleteItem`), `events:putEvents` | the API | the API's output with the model's member names (`MD5OfMessageBody`) plus `SdkHttpMetadata` (`HttpStatusCode`, `HttpHeaders`, `AllHttpHeaders`) and `SdkResponseMetadata` (`RequestId`); `events:putEvents` with failed entries fails with `EventBridge.FailedEntry` | — |
//! | `elasticmapreduce:createCluster`, `terminateCluster`, `addStep` (`.sync`), `setClusterTerminationProtection`, `cancelStep`, `modifyInstanceGroupByName`, `modifyInstanceFleetByName` | EMR, reshaped ([`emr`]) | see [`emr`] | DescribeCluster / DescribeStep; no stop but CancelSteps |
//! | `bedrock:createModelCustomizationJob` | Bedrock | `{JobArn}` | GetModelCustomizationJob / its output / StopModelCustomizationJob |
//!
//! A `.sync` job that ends in failure fails the Task with `States.TaskFailed`
//! and, as cause, the JSON of the job's last description (as AWS does). The
//! Task's TimeoutSeconds bounds the whole wait (the engine's); when the Task
//! ends before the job does (timeout, StopExecution, a failed poll), the job
//! is stopped, best effort, with the service's stop API. HeartbeatSeconds
//! bounds the time without a successful status read: polls that fail are
//! retried until then, then the Task fails with `States.HeartbeatTimeout`
//! (without HeartbeatSeconds, a failed poll fails the Task).
//!
//! Both patterns work for STANDARD and EXPRESS machines here; for EXPRESS,
//! which AWS does not allow `.sync` in, ValidateStateMachineDefinition gives
//! a WARNING ([`crate::asl::express`]).
//!
//! DynamoDB has no optimized form beyond GetItem, PutItem, UpdateItem and
//! DeleteItem (AWS guide `connect-ddb.html`), EventBridge none beyond
//! PutEvents (`connect-eventbridge.html`): Query, Scan, PutRule… are
//! `aws-sdk:*` calls.
//!
//! Sources: AWS guide `connect-codebuild.html`, `connect-sqs.html`,
//! `connect-sns.html`, `connect-ddb.html`, `connect-eventbridge.html`,
//! `connect-glue.html`, `connect-ecs.html`,
//! `connect-batch.html`, `connect-athena.html`, `connect-sagemaker.html`,
//! `connect-bedrock.html`, `connect-to-resource.html` (Run a Job);
//! LocalStack's Step Functions services (their AWS-recorded snapshots) for
//! the shapes the guide leaves out.

mod bedrock;
mod emr;
mod metadata;
mod sync;
mod table;

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;

use crate::errors::{names, ExecError};
use crate::json::Value;
use crate::tasks::aws_sdk::{AwsSdk, Form, SdkResource};
use crate::tasks::TaskCall;
pub(crate) use sync::POLL_INTERVAL_ENV;
use table::Spec;

/// The integration pattern a Resource asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pattern {
    /// No suffix: the API's answer is the result.
    RequestResponse,
    /// `.sync`: the job's end is the result.
    Sync,
}

/// A parsed optimized Resource.
#[derive(Debug, Clone)]
pub(crate) struct Optimized {
    spec: &'static Spec,
    region: Option<String>,
    pattern: Pattern,
}

impl Optimized {
    /// The Resource's service name (`glue`).
    pub(crate) fn service(&self) -> &'static str {
        self.spec.service
    }
}

/// The optimized integration `resource` names
/// (`arn:PARTITION:states:[REGION]:[ACCOUNT]:SERVICE:ACTION[.sync]`), if
/// it is one of [`table`]'s.
pub(crate) fn parse(resource: &str) -> Option<Optimized> {
    let mut parts = resource.splitn(7, ':');
    if parts.next()? != "arn" || parts.next()?.is_empty() || parts.next()? != "states" {
        return None;
    }
    let region = parts.next()?;
    let _account = parts.next()?;
    let service = parts.next()?;
    let rest = parts.next()?;
    let (action, pattern) = match rest.split_once('.') {
        None => (rest, Pattern::RequestResponse),
        // `.sync:2` exists for `states:startExecution` only.
        Some((a, "sync")) => (a, Pattern::Sync),
        Some(_) => return None,
    };
    let spec = table::find(service, action)?;
    Some(Optimized {
        spec,
        region: (!region.is_empty()).then(|| region.to_owned()),
        pattern,
    })
}

/// The optimized integrations' state in [`crate::tasks::Tasks`]: how often
/// `.sync` polls.
#[derive(Debug, Clone, Default)]
pub(crate) struct Jobs {
    /// One polling interval for every job, replacing AWS's schedule
    /// ([`Tasks::set_sync_poll_interval`](crate::tasks::Tasks::set_sync_poll_interval),
    /// [`POLL_INTERVAL_ENV`]).
    pub(crate) poll: Option<Duration>,
}

impl Jobs {
    /// The polling interval from [`POLL_INTERVAL_ENV`] (milliseconds), if set.
    pub(crate) fn from_env() -> Self {
        Jobs {
            poll: std::env::var(POLL_INTERVAL_ENV)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_millis),
        }
    }

    /// Runs the optimized integration `integration` for `call` through `sdk`.
    ///
    /// # Errors
    /// The service's error with the integration's names; `States.TaskFailed`
    /// for `.sync` on an API without Run a Job, or a job that failed;
    /// `States.HeartbeatTimeout` when no status was read for
    /// HeartbeatSeconds; `States.Runtime` for parameters of the wrong shape.
    pub(crate) fn invoke(
        &self,
        sdk: &AwsSdk,
        integration: Optimized,
        call: TaskCall,
    ) -> BoxFuture<'static, Result<Value, ExecError>> {
        let sdk = sdk.clone();
        let poll = self.poll;
        Box::pin(async move {
            let spec = integration.spec;
            let mut request = Arc::unwrap_or_clone(call.input);
            match (integration.pattern, spec.job) {
                (Pattern::RequestResponse, _) => {
                    let api = Api::new(&sdk, spec, integration.region.clone(), call.timeout);
                    api.request_response(request).await
                }
                (Pattern::Sync, None) => Err(ExecError::new(
                    names::TASK_FAILED,
                    format!(
                        "the integration {}:{} does not support the Run a Job (.sync) pattern",
                        spec.service, spec.action
                    ),
                )),
                (Pattern::Sync, Some(job)) => {
                    if let Some(prepare) = job.prepare {
                        prepare(&mut request);
                    }
                    let api = Api::new(&sdk, spec, integration.region.clone(), call.timeout);
                    sync::run(&api, job, request, call.heartbeat, poll).await
                }
            }
        })
    }
}

/// One integration's calls through the generic client.
pub(crate) struct Api<'a> {
    sdk: &'a AwsSdk,
    spec: &'static Spec,
    region: Option<String>,
    timeout: Option<Duration>,
}

impl<'a> Api<'a> {
    fn new(
        sdk: &'a AwsSdk,
        spec: &'static Spec,
        region: Option<String>,
        timeout: Option<Duration>,
    ) -> Self {
        Api {
            sdk,
            spec,
            region,
            timeout,
        }
    }

    /// Calls `action` of `service` (a model's names) with `input`.
    async fn call(&self, service: &str, action: &str, input: &Value) -> Result<Value, ExecError> {
        let res = SdkResource {
            region: self.region.clone(),
            service: service.to_owned(),
            action: action.to_owned(),
        };
        self.sdk
            .call(&res, input, self.timeout, self.spec.naming())
            .await
    }

    /// The integration's own API call, its result shaped.
    async fn request_response(&self, request: Value) -> Result<Value, ExecError> {
        if let Some(custom) = self.spec.custom {
            return custom(self, request).await;
        }
        if self.spec.form == Form::Optimized {
            let res = SdkResource {
                region: self.region.clone(),
                service: self.spec.sdk_service.to_owned(),
                action: self.spec.sdk_action.to_owned(),
            };
            let reply = self
                .sdk
                .call_as(
                    &res,
                    &request,
                    self.timeout,
                    self.spec.naming(),
                    Form::Optimized,
                )
                .await?;
            if let Some(check) = self.spec.check {
                check(&reply.result)?;
            }
            let mut result = match &reply.result {
                Value::Object(o) => (**o).clone(),
                _ => crate::json::Object::new(),
            };
            metadata::envelope(&mut result, &reply);
            return Ok(Value::from(result));
        }
        let out = self
            .call(self.spec.sdk_service, self.spec.sdk_action, &request)
            .await?;
        Ok(match self.spec.shape {
            Some(shape) => shape(&request, out),
            None => out,
        })
    }
}

#[cfg(test)]
mod tests;
