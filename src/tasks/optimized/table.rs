//! The optimized integrations: one row each, naming the model's API action,
//! the result shaping, the error names and, for jobs, how `.sync` follows
//! the job.
//!
//! Sources: the AWS guide page of each service (`connect-glue.html`,
//! `connect-ecs.html`, `connect-batch.html`, `connect-athena.html`,
//! `connect-sagemaker.html`, `connect-bedrock.html`: the supported APIs and
//! patterns, the IAM policies naming the polling and stop APIs); the Glue
//! polling schedule from AWS support's answer on re:Post ("once per minute
//! for the first 10 minutes, and every 5 minutes thereafter").

use futures::future::BoxFuture;
use simd_json::prelude::*;

use super::sync::{Interval, Job, Poll};
use super::Api;
use crate::errors::ExecError;

/// The error of an `events:putEvents` call with failed entries
/// (`connect-eventbridge.html`).
pub(crate) const FAILED_ENTRY: &str = "EventBridge.FailedEntry";
use crate::json::Value;
use crate::tasks::aws_sdk::{Form, Java1, Naming};

/// A custom request-response implementation.
pub(crate) type Custom = for<'a> fn(&'a Api<'a>, Value) -> BoxFuture<'a, Result<Value, ExecError>>;

/// Fails a call whose answer reports a failure.
pub(crate) type Check = fn(&Value) -> Result<(), ExecError>;

/// One optimized integration.
#[derive(Debug)]
pub(crate) struct Spec {
    /// The Resource's service (`glue`).
    pub(crate) service: &'static str,
    /// The Resource's action (`startJobRun`).
    pub(crate) action: &'static str,
    /// The model's service (`glue`, `bedrockruntime`).
    pub(crate) sdk_service: &'static str,
    /// The model's API action (`startJobRun`).
    pub(crate) sdk_action: &'static str,
    /// The Java 1.x names of its errors.
    pub(crate) java1: &'static Java1,
    /// Reshapes the API's output (given the request) into the result.
    pub(crate) shape: Option<fn(&Value, Value) -> Value>,
    /// Replaces the plain call (Bedrock InvokeModel's S3 input and output).
    pub(crate) custom: Option<Custom>,
    /// How `.sync` follows the job; `None` when the API has no Run a Job.
    pub(crate) job: Option<&'static Job>,
    /// How parameters are read and the result written; [`Form::Optimized`]
    /// rows add `SdkHttpMetadata` and `SdkResponseMetadata` to the result.
    pub(crate) form: Form,
    /// Fails a call whose answer is a failure (EventBridge's failed
    /// entries), given the result before the metadata is added.
    pub(crate) check: Option<Check>,
}

impl Spec {
    /// How the integration's errors are named.
    pub(crate) fn naming(&self) -> Naming {
        Naming::Java1(self.java1)
    }
}

const GLUE: Java1 = Java1 {
    prefix: "Glue",
    service: "AWSGlue",
    base: None,
};
const ECS: Java1 = Java1 {
    prefix: "ECS",
    service: "AmazonECS",
    base: None,
};
const BATCH: Java1 = Java1 {
    prefix: "Batch",
    service: "AWSBatch",
    base: None,
};
const ATHENA: Java1 = Java1 {
    prefix: "Athena",
    service: "AmazonAthena",
    base: None,
};
const SAGEMAKER: Java1 = Java1 {
    prefix: "SageMaker",
    service: "AmazonSageMaker",
    base: None,
};
const BEDROCK: Java1 = Java1 {
    prefix: "Bedrock",
    service: "AmazonBedrock",
    base: None,
};
const SQS: Java1 = Java1 {
    prefix: "SQS",
    service: "AmazonSQS",
    base: None,
};
const SNS: Java1 = Java1 {
    prefix: "SNS",
    service: "AmazonSNS",
    base: None,
};
const DYNAMODB: Java1 = Java1 {
    prefix: "DynamoDB",
    service: "AmazonDynamoDBv2",
    base: Some("AmazonDynamoDBException"),
};
const EVENTBRIDGE: Java1 = Java1 {
    prefix: "EventBridge",
    service: "AmazonEventBridge",
    base: None,
};
const CODEBUILD: Java1 = Java1 {
    prefix: "CodeBuild",
    service: "AWSCodeBuild",
    base: None,
};
const EMR: Java1 = Java1 {
    prefix: "EMR",
    service: "AmazonElasticMapReduce",
    base: None,
};
const BEDROCK_RUNTIME: Java1 = Java1 {
    prefix: "Bedrock",
    service: "AmazonBedrockRuntime",
    base: None,
};

/// A row with the API's output as the result.
const fn plain(
    service: &'static str,
    action: &'static str,
    sdk_service: &'static str,
    java1: &'static Java1,
    job: Option<&'static Job>,
) -> Spec {
    Spec {
        service,
        action,
        sdk_service,
        sdk_action: action,
        java1,
        shape: None,
        custom: None,
        job,
        form: Form::Sdk,
        check: None,
    }
}

/// A row of the SQS, SNS, DynamoDB and EventBridge integrations, which
/// Step Functions serves with the AWS SDK for Java 1.x: model member names,
/// unknown fields dropped, the SDK metadata envelope.
const fn envelope(
    service: &'static str,
    action: &'static str,
    sdk_service: &'static str,
    java1: &'static Java1,
) -> Spec {
    Spec {
        form: Form::Optimized,
        ..plain(service, action, sdk_service, java1, None)
    }
}

/// Every optimized integration served here.
static TABLE: &[Spec] = &[
    envelope("sqs", "sendMessage", "sqs", &SQS),
    envelope("sns", "publish", "sns", &SNS),
    envelope("dynamodb", "getItem", "dynamodb", &DYNAMODB),
    envelope("dynamodb", "putItem", "dynamodb", &DYNAMODB),
    envelope("dynamodb", "updateItem", "dynamodb", &DYNAMODB),
    envelope("dynamodb", "deleteItem", "dynamodb", &DYNAMODB),
    Spec {
        check: Some(failed_entries),
        ..envelope("events", "putEvents", "eventbridge", &EVENTBRIDGE)
    },
    Spec {
        shape: Some(glue_job_name),
        ..plain("glue", "startJobRun", "glue", &GLUE, Some(&GLUE_JOB))
    },
    plain("ecs", "runTask", "ecs", &ECS, Some(&ECS_TASK)),
    plain("batch", "submitJob", "batch", &BATCH, Some(&BATCH_JOB)),
    plain(
        "athena",
        "startQueryExecution",
        "athena",
        &ATHENA,
        Some(&ATHENA_QUERY),
    ),
    plain("athena", "stopQueryExecution", "athena", &ATHENA, None),
    plain("athena", "getQueryExecution", "athena", &ATHENA, None),
    plain("athena", "getQueryResults", "athena", &ATHENA, None),
    plain(
        "sagemaker",
        "createTrainingJob",
        "sagemaker",
        &SAGEMAKER,
        Some(&SM_TRAINING),
    ),
    plain(
        "sagemaker",
        "createTransformJob",
        "sagemaker",
        &SAGEMAKER,
        Some(&SM_TRANSFORM),
    ),
    plain(
        "sagemaker",
        "createProcessingJob",
        "sagemaker",
        &SAGEMAKER,
        Some(&SM_PROCESSING),
    ),
    plain(
        "sagemaker",
        "createHyperParameterTuningJob",
        "sagemaker",
        &SAGEMAKER,
        Some(&SM_TUNING),
    ),
    plain(
        "sagemaker",
        "createLabelingJob",
        "sagemaker",
        &SAGEMAKER,
        Some(&SM_LABELING),
    ),
    plain("sagemaker", "createModel", "sagemaker", &SAGEMAKER, None),
    plain("sagemaker", "createEndpoint", "sagemaker", &SAGEMAKER, None),
    plain(
        "sagemaker",
        "createEndpointConfig",
        "sagemaker",
        &SAGEMAKER,
        None,
    ),
    plain("sagemaker", "updateEndpoint", "sagemaker", &SAGEMAKER, None),
    Spec {
        custom: Some(super::bedrock::invoke_model),
        ..plain(
            "bedrock",
            "invokeModel",
            "bedrockruntime",
            &BEDROCK_RUNTIME,
            None,
        )
    },
    Spec {
        custom: Some(super::emr::create_cluster),
        ..plain(
            "elasticmapreduce",
            "createCluster",
            "emr",
            &EMR,
            Some(&EMR_CLUSTER_UP),
        )
    },
    Spec {
        custom: Some(super::emr::terminate_cluster),
        ..plain(
            "elasticmapreduce",
            "terminateCluster",
            "emr",
            &EMR,
            Some(&EMR_CLUSTER_DOWN),
        )
    },
    Spec {
        custom: Some(super::emr::set_termination_protection),
        ..plain(
            "elasticmapreduce",
            "setClusterTerminationProtection",
            "emr",
            &EMR,
            None,
        )
    },
    Spec {
        custom: Some(super::emr::add_step),
        ..plain("elasticmapreduce", "addStep", "emr", &EMR, Some(&EMR_STEP))
    },
    Spec {
        custom: Some(super::emr::cancel_step),
        ..plain("elasticmapreduce", "cancelStep", "emr", &EMR, None)
    },
    Spec {
        custom: Some(super::emr::modify_instance_group_by_name),
        ..plain(
            "elasticmapreduce",
            "modifyInstanceGroupByName",
            "emr",
            &EMR,
            None,
        )
    },
    Spec {
        custom: Some(super::emr::modify_instance_fleet_by_name),
        ..plain(
            "elasticmapreduce",
            "modifyInstanceFleetByName",
            "emr",
            &EMR,
            None,
        )
    },
    plain(
        "codebuild",
        "startBuild",
        "codebuild",
        &CODEBUILD,
        Some(&CODEBUILD_BUILD),
    ),
    plain("codebuild", "stopBuild", "codebuild", &CODEBUILD, None),
    plain(
        "codebuild",
        "batchDeleteBuilds",
        "codebuild",
        &CODEBUILD,
        None,
    ),
    plain(
        "codebuild",
        "batchGetReports",
        "codebuild",
        &CODEBUILD,
        None,
    ),
    plain(
        "codebuild",
        "startBuildBatch",
        "codebuild",
        &CODEBUILD,
        Some(&CODEBUILD_BATCH),
    ),
    plain(
        "codebuild",
        "retryBuildBatch",
        "codebuild",
        &CODEBUILD,
        Some(&CODEBUILD_BATCH),
    ),
    plain("codebuild", "stopBuildBatch", "codebuild", &CODEBUILD, None),
    plain(
        "codebuild",
        "deleteBuildBatch",
        "codebuild",
        &CODEBUILD,
        None,
    ),
    plain(
        "bedrock",
        "createModelCustomizationJob",
        "bedrock",
        &BEDROCK,
        Some(&BEDROCK_CUSTOMIZATION),
    ),
];

/// The row for `service:action`.
pub(crate) fn find(service: &str, action: &str) -> Option<&'static Spec> {
    TABLE
        .iter()
        .find(|s| s.service == service && s.action == action)
}

/// Every row (for the tests and the docs).
#[cfg(test)]
pub(crate) fn all() -> &'static [Spec] {
    TABLE
}

/// `connect-glue.html`: "The JobName field is extracted from the request and
/// inserted into the response, which normally only contains JobRunID."
fn glue_job_name(request: &Value, mut out: Value) -> Value {
    if let (Some(name), Some(o)) = (request.get("JobName"), out.as_object_mut()) {
        o.insert("JobName".into(), name.clone());
    }
    out
}

/// `connect-eventbridge.html`: "If the FailedEntryCount … is greater than
/// zero, the Task fails with the error EventBridge.FailedEntry"; the cause
/// is the API's output.
fn failed_entries(out: &Value) -> Result<(), ExecError> {
    if out
        .get("FailedEntryCount")
        .and_then(|n| n.as_u64())
        .unwrap_or(0)
        > 0
    {
        return Err(ExecError::new(FAILED_ENTRY, crate::json::to_string(out)));
    }
    Ok(())
}

/// `out[key]` as text, or "".
fn text<'v>(v: &'v Value, key: &str) -> &'v str {
    v.get_str(key).unwrap_or_default()
}

/// The first element of the array `v[key]`.
fn first<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    v.get(key)
        .and_then(|a| a.as_array())
        .and_then(|a| a.first())
}

// Glue: GetJobRun until SUCCEEDED or STOPPED (FAILED, TIMEOUT, ERROR fail);
// the result is the JobRun with the JobName. Glue sends no EventBridge
// events, so AWS polls on its slow schedule.
static GLUE_JOB: Job = Job {
    describe: ("glue", "getJobRun"),
    describe_input: |started, _| simd_json::json!({"JobName": text(started, "JobName"), "RunId": text(started, "JobRunId")}),
    status: |d| {
        let Some(run) = d.get("JobRun") else {
            return Poll::Running;
        };
        match text(run, "JobRunState") {
            "SUCCEEDED" | "STOPPED" => Poll::Succeeded(run.clone()),
            "FAILED" | "TIMEOUT" | "ERROR" => Poll::Failed(run.clone()),
            _ => Poll::Running,
        }
    },
    finish: Some(|started, mut run| {
        if let (Some(name), Some(o)) = (started.get("JobName"), run.as_object_mut()) {
            o.insert("JobName".into(), name.clone());
        }
        run
    }),
    stop: Some((
        "glue",
        "batchStopJobRun",
        |started, _| simd_json::json!({"JobName": text(started, "JobName"), "JobRunIds": [text(started, "JobRunId")]}),
    )),
    prepare: None,
    interval: Interval::Glue,
};

// ECS: DescribeTasks until the task is STOPPED; it fails when an essential
// container exited with a non-zero code or the task failed to start.
static ECS_TASK: Job = Job {
    describe: ("ecs", "describeTasks"),
    describe_input: |started, _| {
        let task = first(started, "Tasks");
        simd_json::json!({
            "Cluster": task.map(|t| text(t, "ClusterArn")).unwrap_or_default(),
            "Tasks": [task.map(|t| text(t, "TaskArn")).unwrap_or_default()]
        })
    },
    status: |d| {
        let Some(task) = first(d, "Tasks") else {
            return Poll::Running;
        };
        if text(task, "LastStatus") != "STOPPED" {
            return Poll::Running;
        }
        let exited_badly = task
            .get("Containers")
            .and_then(|c| c.as_array())
            .is_some_and(|cs| {
                cs.iter()
                    .any(|c| c.get("ExitCode").and_then(|e| e.as_i64()).unwrap_or(0) != 0)
            });
        if exited_badly || text(task, "StopCode") == "TaskFailedToStart" {
            Poll::Failed(task.clone())
        } else {
            Poll::Succeeded(task.clone())
        }
    },
    finish: None,
    stop: Some(("ecs", "stopTask", |started, _| {
        let task = first(started, "Tasks");
        simd_json::json!({
            "Cluster": task.map(|t| text(t, "ClusterArn")).unwrap_or_default(),
            "Task": task.map(|t| text(t, "TaskArn")).unwrap_or_default(),
            "Reason": "Stopped by AWS Step Functions"
        })
    })),
    // LocalStack's recorded `.sync` calls: StartedBy "AWS Step Functions".
    prepare: Some(|request| {
        if let Some(o) = request.as_object_mut() {
            o.entry("StartedBy".into())
                .or_insert_with(|| Value::from("AWS Step Functions"));
        }
    }),
    interval: Interval::Events,
};

// Batch: DescribeJobs until SUCCEEDED or FAILED.
static BATCH_JOB: Job = Job {
    describe: ("batch", "describeJobs"),
    describe_input: |started, _| simd_json::json!({"Jobs": [text(started, "JobId")]}),
    status: |d| {
        let Some(job) = first(d, "Jobs") else {
            return Poll::Running;
        };
        match text(job, "Status") {
            "SUCCEEDED" => Poll::Succeeded(job.clone()),
            "FAILED" => Poll::Failed(job.clone()),
            _ => Poll::Running,
        }
    },
    finish: None,
    stop: Some((
        "batch",
        "terminateJob",
        |started, _| simd_json::json!({"JobId": text(started, "JobId"), "Reason": "Terminated by AWS Step Functions"}),
    )),
    // LocalStack's recorded `.sync` calls: the environment variable
    // MANAGED_BY_AWS=STARTED_BY_STEP_FUNCTIONS in ContainerOverrides.
    prepare: Some(|request| {
        let Some(o) = request.as_object_mut() else {
            return;
        };
        let overrides = o
            .entry("ContainerOverrides".into())
            .or_insert_with(|| Value::from(crate::json::Object::new()));
        let Some(overrides) = overrides.as_object_mut() else {
            return;
        };
        let env = overrides
            .entry("Environment".into())
            .or_insert_with(|| Value::from(Vec::<Value>::new()));
        if let Some(env) = env.as_array_mut() {
            env.push(
                simd_json::json!({"Name": "MANAGED_BY_AWS", "Value": "STARTED_BY_STEP_FUNCTIONS"}),
            );
        }
    }),
    interval: Interval::Events,
};

// Athena: GetQueryExecution until SUCCEEDED (FAILED, CANCELLED fail); the
// result is GetQueryExecution's output.
static ATHENA_QUERY: Job = Job {
    describe: ("athena", "getQueryExecution"),
    describe_input: |started, _| simd_json::json!({"QueryExecutionId": text(started, "QueryExecutionId")}),
    status: |d| {
        let state = d
            .get("QueryExecution")
            .and_then(|q| q.get("Status"))
            .map(|s| text(s, "State"))
            .unwrap_or_default();
        match state {
            "SUCCEEDED" => Poll::Succeeded(d.clone()),
            "FAILED" | "CANCELLED" => Poll::Failed(d.clone()),
            _ => Poll::Running,
        }
    },
    finish: None,
    stop: Some((
        "athena",
        "stopQueryExecution",
        |started, _| simd_json::json!({"QueryExecutionId": text(started, "QueryExecutionId")}),
    )),
    prepare: None,
    interval: Interval::Events,
};

/// A SageMaker job: Describe…Job by name until Completed (Failed, Stopped
/// fail); the result is the description.
macro_rules! sagemaker_job {
    ($name:ident, $describe:literal, $stop:literal, $key:literal, $status:literal, $done:literal) => {
        static $name: Job = Job {
            describe: ("sagemaker", $describe),
    describe_input: |_, request| simd_json::json!({$key: text(request, $key)}),
            status: |d| match text(d, $status) {
                $done => Poll::Succeeded(d.clone()),
                "Failed" | "Stopped" => Poll::Failed(d.clone()),
                _ => Poll::Running,
            },
            finish: None,
            stop: Some((
                "sagemaker",
                $stop,
        |_, request| simd_json::json!({$key: text(request, $key)}),
            )),
            prepare: None,
            interval: Interval::Events,
        };
    };
}

sagemaker_job!(
    SM_TRAINING,
    "describeTrainingJob",
    "stopTrainingJob",
    "TrainingJobName",
    "TrainingJobStatus",
    "Completed"
);
sagemaker_job!(
    SM_TRANSFORM,
    "describeTransformJob",
    "stopTransformJob",
    "TransformJobName",
    "TransformJobStatus",
    "Completed"
);
sagemaker_job!(
    SM_PROCESSING,
    "describeProcessingJob",
    "stopProcessingJob",
    "ProcessingJobName",
    "ProcessingJobStatus",
    "Completed"
);
sagemaker_job!(
    SM_TUNING,
    "describeHyperParameterTuningJob",
    "stopHyperParameterTuningJob",
    "HyperParameterTuningJobName",
    "HyperParameterTuningJobStatus",
    "Completed"
);
sagemaker_job!(
    SM_LABELING,
    "describeLabelingJob",
    "stopLabelingJob",
    "LabelingJobName",
    "LabelingJobStatus",
    "Completed"
);

// Bedrock: GetModelCustomizationJob until Completed (Failed, Stopped fail).
static BEDROCK_CUSTOMIZATION: Job = Job {
    describe: ("bedrock", "getModelCustomizationJob"),
    describe_input: |started, _| simd_json::json!({"JobIdentifier": text(started, "JobArn")}),
    status: |d| match text(d, "Status") {
        "Completed" => Poll::Succeeded(d.clone()),
        "Failed" | "Stopped" => Poll::Failed(d.clone()),
        _ => Poll::Running,
    },
    finish: None,
    stop: Some((
        "bedrock",
        "stopModelCustomizationJob",
        |started, _| simd_json::json!({"JobIdentifier": text(started, "JobArn")}),
    )),
    prepare: None,
    interval: Interval::Events,
};

/// A CodeBuild build or build batch status: `SUCCEEDED` ends well, `FAILED`,
/// `FAULT`, `STOPPED`, `TIMED_OUT` badly, anything else (`IN_PROGRESS`) runs.
fn codebuild_status(item: &Value, status_key: &str, result_key: &str) -> Poll {
    let wrap = || {
        let mut o = crate::json::Object::with_capacity(1);
        o.insert(result_key.into(), item.clone());
        Value::from(o)
    };
    match text(item, status_key) {
        "SUCCEEDED" => Poll::Succeeded(wrap()),
        "FAILED" | "FAULT" | "STOPPED" | "TIMED_OUT" => Poll::Failed(wrap()),
        _ => Poll::Running,
    }
}

// CodeBuild (`connect-codebuild.html`): BatchGetBuilds until the build
// ends; the result is `{"Build": …}` as StartBuild returns it; StopBuild.
static CODEBUILD_BUILD: Job = Job {
    describe: ("codebuild", "batchGetBuilds"),
    describe_input: |started, _| {
        let id = started
            .get("Build")
            .map(|b| text(b, "Id"))
            .unwrap_or_default();
        simd_json::json!({"Ids": [id]})
    },
    status: |d| match first(d, "Builds") {
        Some(build) => codebuild_status(build, "BuildStatus", "Build"),
        None => Poll::Running,
    },
    finish: None,
    stop: Some(("codebuild", "stopBuild", |started, _| {
        let id = started
            .get("Build")
            .map(|b| text(b, "Id"))
            .unwrap_or_default();
        simd_json::json!({"Id": id})
    })),
    prepare: None,
    interval: Interval::Events,
};

// CodeBuild build batches: BatchGetBuildBatches until the batch ends; the
// result is `{"BuildBatch": …}`; StopBuildBatch.
static CODEBUILD_BATCH: Job = Job {
    describe: ("codebuild", "batchGetBuildBatches"),
    describe_input: |started, _| {
        let id = started
            .get("BuildBatch")
            .map(|b| text(b, "Id"))
            .unwrap_or_default();
        simd_json::json!({"Ids": [id]})
    },
    status: |d| match first(d, "BuildBatches") {
        Some(batch) => codebuild_status(batch, "BuildBatchStatus", "BuildBatch"),
        None => Poll::Running,
    },
    finish: None,
    stop: Some(("codebuild", "stopBuildBatch", |started, _| {
        let id = started
            .get("BuildBatch")
            .map(|b| text(b, "Id"))
            .unwrap_or_default();
        simd_json::json!({"Id": id})
    })),
    prepare: None,
    interval: Interval::Events,
};

/// An EMR cluster's state in a DescribeCluster output.
fn emr_cluster_state(d: &Value) -> &str {
    d.get("Cluster")
        .and_then(|c| c.get("Status"))
        .map(|s| text(s, "State"))
        .unwrap_or_default()
}

// EMR (`connect-emr.html`): polled every 60 s for 10 minutes, then 300 s.
// No stop API: Step Functions does not terminate a cluster it created.
static EMR_CLUSTER_UP: Job = Job {
    describe: ("emr", "describeCluster"),
    describe_input: |started, _| simd_json::json!({"ClusterId": text(started, "ClusterId")}),
    status: |d| match emr_cluster_state(d) {
        "WAITING" => Poll::Succeeded(d.clone()),
        "TERMINATING" | "TERMINATED" | "TERMINATED_WITH_ERRORS" => Poll::Failed(d.clone()),
        _ => Poll::Running,
    },
    finish: None,
    stop: None,
    prepare: None,
    interval: Interval::Glue,
};

static EMR_CLUSTER_DOWN: Job = Job {
    describe: ("emr", "describeCluster"),
    describe_input: |_, request| simd_json::json!({"ClusterId": text(request, "ClusterId")}),
    status: |d| match emr_cluster_state(d) {
        "TERMINATED" => Poll::Succeeded(d.clone()),
        "TERMINATED_WITH_ERRORS" => Poll::Failed(d.clone()),
        _ => Poll::Running,
    },
    finish: None,
    stop: None,
    prepare: None,
    interval: Interval::Glue,
};

// addStep.sync: DescribeStep until COMPLETED; a Task ending first cancels
// the step (CancelSteps, in the guide's IAM policy for addStep.sync).
static EMR_STEP: Job = Job {
    describe: ("emr", "describeStep"),
    describe_input: |started, request| simd_json::json!({"ClusterId": text(request, "ClusterId"), "StepId": text(started, "StepId")}),
    status: |d| {
        let state = d
            .get("Step")
            .and_then(|s| s.get("Status"))
            .map(|s| text(s, "State"))
            .unwrap_or_default();
        match state {
            "COMPLETED" => Poll::Succeeded(d.clone()),
            "FAILED" | "CANCELLED" | "INTERRUPTED" => Poll::Failed(d.clone()),
            _ => Poll::Running,
        }
    },
    finish: None,
    stop: Some((
        "emr",
        "cancelSteps",
        |started, request| simd_json::json!({"ClusterId": text(request, "ClusterId"), "StepIds": [text(started, "StepId")]}),
    )),
    prepare: None,
    interval: Interval::Glue,
};
