//! The optimized integrations built on the generic client
//! (`arn:aws:states:::glue:startJobRun`, `ecs:runTask`, `batch:submitJob`,
//! `athena:*`, `sagemaker:*`, `bedrock:*`, `codebuild:*`, `elasticmapreduce:*`)
//! and Run a Job (`.sync`), run
//! through the engine against moto's server: one test per integration, a
//! `.sync` success and failure, a `.sync` Task timing out and an execution
//! stopped (their jobs stopped),
//! HeartbeatSeconds over failing status reads, and the Java 1.x error names.
//!
//! Part of the default build. Jobs are set up and checked with boto3.

mod common;

use std::time::Duration;

use common::moto::Moto;
use common::sorted_keys;
use expressway::engine::{Engine, ExecutionStatus, StopHandle};
use expressway::json::Value;
use expressway::tasks::{AwsConfig, Credentials, Tasks};
use simd_json::prelude::*;

/// Tasks whose AWS integrations call `moto`, polling jobs every 50 ms.
fn tasks(moto: &Moto) -> Tasks {
    let mut tasks = Tasks::default();
    tasks.set_aws(AwsConfig {
        endpoint_url: Some(moto.endpoint.clone()),
        region: Some("us-east-1".into()),
        credentials: Some(Credentials {
            access_key_id: "testing".into(),
            secret_access_key: "testing".into(),
            session_token: None,
        }),
    });
    tasks.set_sync_poll_interval(Some(Duration::from_millis(50)));
    tasks
}

/// Runs one Task on `resource` (after `arn:aws:states:::`) with
/// `parameters` and extra Task fields `extra`; its result or `(Error, Cause)`.
async fn task(
    tasks: &Tasks,
    resource: &str,
    parameters: &str,
    extra: &str,
) -> Result<Value, (String, String)> {
    let definition = format!(
        r#"{{"StartAt":"Call","States":{{"Call":{{"Type":"Task",
        "Resource":"arn:aws:states:::{resource}","Parameters":{parameters}{extra},"End":true}}}}}}"#
    );
    let o = common::run_with(tasks.clone(), &definition, "{}").await;
    match o.output {
        Some(v) => Ok(v),
        None => Err((o.error.unwrap_or_default(), o.cause.unwrap_or_default())),
    }
}

async fn ok(tasks: &Tasks, resource: &str, parameters: &str) -> Value {
    task(tasks, resource, parameters, "")
        .await
        .unwrap_or_else(|e| panic!("{resource} failed: {e:?}"))
}

async fn err(tasks: &Tasks, resource: &str, parameters: &str, extra: &str) -> (String, String) {
    match task(tasks, resource, parameters, extra).await {
        Ok(v) => panic!("{resource} succeeded: {}", expressway::json::to_string(&v)),
        Err(e) => e,
    }
}

/// Sets moto's state transitions of `model` (e.g. `ecs::task`) to advance
/// only after `times` reads: the job stays running.
fn hold(moto: &Moto, model: &str, times: u32) {
    moto.python(&format!(
            r#"
req = urllib.request.Request("{}/moto-api/state-manager/set-transition",
    data=json.dumps({{"model_name": "{model}", "transition": {{"progression": "manual", "times": {times}}}}}).encode(),
    method="POST")
urllib.request.urlopen(req).read()"#,
            moto.endpoint
        ),
    );
}

fn s(v: &Value, path: &[&str]) -> String {
    let mut cur = v;
    for p in path {
        cur = cur
            .get(*p)
            .unwrap_or_else(|| panic!("no {p} in {}", expressway::json::to_string(v)));
    }
    cur.as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| expressway::json::to_string(cur))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn glue_start_job_run_request_response_sync_and_errors() {
    let moto = Moto::start();
    let t = tasks(&moto);
    moto.python(
        r#"boto3.client("glue").create_job(Name="etl", Role="arn:aws:iam::123456789012:role/r",
    Command={"Name": "glueetl", "ScriptLocation": "s3://b/etl.py"})"#,
    );
    // Request Response: JobRunId plus the JobName from the request.
    let out = ok(&t, "glue:startJobRun", r#"{"JobName":"etl"}"#).await;
    assert_eq!(s(&out, &["JobName"]), "etl");
    assert!(s(&out, &["JobRunId"]).starts_with("jr_"), "{out}");
    // .sync: the finished JobRun, with the JobName.
    let out = ok(
        &t,
        "glue:startJobRun.sync",
        r#"{"JobName":"etl","Arguments":{"--day":"1"}}"#,
    )
    .await;
    assert_eq!(s(&out, &["JobRunState"]), "SUCCEEDED", "{out}");
    assert_eq!(s(&out, &["JobName"]), "etl");
    assert_eq!(s(&out, &["Arguments", "--day"]), "1");
    // An unknown job: the Java 1.x error name and cause.
    let (error, cause) = err(&t, "glue:startJobRun", r#"{"JobName":"nope"}"#, "").await;
    assert_eq!(error, "Glue.EntityNotFoundException");
    assert!(
        cause.contains("(Service: AWSGlue; Status Code: 400; Error Code: EntityNotFoundException;"),
        "{cause}"
    );
    // .sync on an API without Run a Job.
    let (error, _) = err(
        &t,
        "athena:getQueryResults.sync",
        r#"{"QueryExecutionId":"x"}"#,
        "",
    )
    .await;
    assert_eq!(error, "States.TaskFailed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn glue_sync_heartbeat_over_failing_status_reads() {
    let moto = Moto::start();
    let t = tasks(&moto);
    moto.python(
        r#"boto3.client("glue").create_job(Name="gone", Role="arn:aws:iam::123456789012:role/r",
    Command={"Name": "glueetl", "ScriptLocation": "s3://b/etl.py"})"#,
    );
    hold(&moto, "glue::job_run", 1_000_000);
    let run = {
        let t = t.clone();
        tokio::spawn(async move {
            task(
                &t,
                "glue:startJobRun.sync",
                r#"{"JobName":"gone"}"#,
                r#","HeartbeatSeconds":1,"TimeoutSeconds":30"#,
            )
            .await
        })
    };
    // The job (and its runs) disappear while the Task polls: every status
    // read fails from then on.
    tokio::time::sleep(Duration::from_millis(700)).await;
    moto.python(r#"boto3.client("glue").delete_job(JobName="gone")"#);
    let (error, cause) = run.await.unwrap().expect_err("the Task fails");
    assert_eq!(error, "States.HeartbeatTimeout", "{cause}");
    assert!(cause.contains("Glue.EntityNotFoundException"), "{cause}");
}

/// An ECS cluster and a task definition in moto.
fn ecs_setup(moto: &Moto) {
    moto.python(r#"ecs = boto3.client("ecs")
ecs.create_cluster(clusterName="c1")
ecs.register_task_definition(family="work", containerDefinitions=[{"name": "app", "image": "busybox", "memory": 128}])"#,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecs_run_task_sync_and_timeout_stops_the_task() {
    let moto = Moto::start();
    let t = tasks(&moto);
    ecs_setup(&moto);
    // Request Response: RunTask's output.
    let out = ok(
        &t,
        "ecs:runTask",
        r#"{"Cluster":"c1","TaskDefinition":"work","LaunchType":"FARGATE"}"#,
    )
    .await;
    assert!(s(&out, &["Tasks"]).contains("TaskArn"), "{out}");
    // .sync: the stopped task, started by Step Functions.
    let out = ok(
        &t,
        "ecs:runTask.sync",
        r#"{"Cluster":"c1","TaskDefinition":"work","LaunchType":"FARGATE"}"#,
    )
    .await;
    assert_eq!(s(&out, &["LastStatus"]), "STOPPED", "{out}");
    assert_eq!(s(&out, &["StartedBy"]), "AWS Step Functions", "{out}");
    // A task that keeps running: TimeoutSeconds ends the Task and the task is
    // stopped with StopTask.
    hold(&moto, "ecs::task", 1_000_000);
    let (error, _) = err(
        &t,
        "ecs:runTask.sync",
        r#"{"Cluster":"c1","TaskDefinition":"work","LaunchType":"FARGATE","Group":"held"}"#,
        r#","TimeoutSeconds":1"#,
    )
    .await;
    assert_eq!(error, "States.Timeout");
    let mut statuses = String::new();
    for _ in 0..50 {
        statuses = moto.python(r#"ecs = boto3.client("ecs")
arns = ecs.list_tasks(cluster="c1")["taskArns"]
ts = ecs.describe_tasks(cluster="c1", tasks=arns)["tasks"]
print(json.dumps(sorted((t.get("group", ""), t["desiredStatus"]) for t in ts if t.get("group") == "held")))"#,
        );
        if statuses.contains("STOPPED") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(statuses, r#"[["held", "STOPPED"]]"#);
    // An unknown cluster: the ECS error name.
    let (error, cause) = err(
        &t,
        "ecs:runTask",
        r#"{"Cluster":"nope","TaskDefinition":"work"}"#,
        "",
    )
    .await;
    assert!(error.starts_with("ECS."), "{error}: {cause}");
    assert!(cause.contains("Service: AmazonECS;"), "{cause}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_execution_stops_the_ecs_task() {
    let moto = Moto::start();
    let t = tasks(&moto);
    ecs_setup(&moto);
    hold(&moto, "ecs::task", 1_000_000);
    let definition = r#"{"StartAt":"Run","States":{"Run":{"Type":"Task",
        "Resource":"arn:aws:states:::ecs:runTask.sync",
        "Parameters":{"Cluster":"c1","TaskDefinition":"work","LaunchType":"FARGATE","Group":"stopped"},
        "End":true}}}"#;
    let machine = std::sync::Arc::new(expressway::compile::load(definition).expect("loads"));
    let engine = Engine::new(t);
    let stop = StopHandle::new();
    let run = {
        let stop = stop.clone();
        tokio::spawn(async move {
            engine
                .execute_stoppable(
                    machine,
                    expressway::json::parse("{}").unwrap(),
                    common::options(),
                    stop,
                )
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(800)).await;
    stop.stop();
    let o = tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .expect("the stopped execution ends")
        .expect("joined");
    assert_eq!(o.status, ExecutionStatus::Aborted);
    let mut statuses = String::new();
    for _ in 0..50 {
        statuses = moto.python(
            r#"ecs = boto3.client("ecs")
arns = ecs.list_tasks(cluster="c1")["taskArns"]
ts = ecs.describe_tasks(cluster="c1", tasks=arns)["tasks"]
print(json.dumps([t["desiredStatus"] for t in ts if t.get("group") == "stopped"]))"#,
        );
        if statuses.contains("STOPPED") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(statuses, r#"["STOPPED"]"#);
}

/// A Batch queue and job definition in moto (no Docker).
fn batch_setup(moto: &Moto) {
    moto.python(&format!(
            r#"
req = urllib.request.Request("{}/moto-api/config", data=json.dumps({{"batch": {{"use_docker": False}}}}).encode(), method="POST")
urllib.request.urlopen(req).read()
iam = boto3.client("iam")
role = iam.create_role(RoleName="batch", AssumeRolePolicyDocument="{{}}")["Role"]["Arn"]
b = boto3.client("batch")
env = b.create_compute_environment(computeEnvironmentName="ce1", type="UNMANAGED", state="ENABLED", serviceRole=role)["computeEnvironmentArn"]
b.create_job_queue(jobQueueName="q", state="ENABLED", priority=1, computeEnvironmentOrder=[{{"order": 1, "computeEnvironment": env}}])
b.register_job_definition(jobDefinitionName="jd", type="container", containerProperties={{"image": "busybox", "vcpus": 1, "memory": 128, "command": ["true"]}})"#,
            moto.endpoint
        ),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_submit_job_sync_success() {
    let moto = Moto::start();
    let t = tasks(&moto);
    batch_setup(&moto);
    let out = ok(
        &t,
        "batch:submitJob",
        r#"{"JobName":"rr","JobQueue":"q","JobDefinition":"jd"}"#,
    )
    .await;
    assert_eq!(s(&out, &["JobName"]), "rr");
    assert!(out.get("JobId").is_some(), "{out}");
    let out = ok(
        &t,
        "batch:submitJob.sync",
        r#"{"JobName":"ok","JobQueue":"q","JobDefinition":"jd"}"#,
    )
    .await;
    assert_eq!(s(&out, &["Status"]), "SUCCEEDED", "{out}");
    assert_eq!(s(&out, &["JobName"]), "ok");
    // Step Functions' mark on a .sync job.
    assert!(
        s(&out, &["Container"]).contains("STARTED_BY_STEP_FUNCTIONS")
            || moto.python(&format!(
                    r#"print(json.dumps(boto3.client("batch").describe_jobs(jobs=["{}"])["jobs"][0]))"#,
                    s(&out, &["JobId"])
                )
            )
            .contains("STARTED_BY_STEP_FUNCTIONS"),
        "{out}"
    );
    let (error, cause) = err(
        &t,
        "batch:submitJob",
        r#"{"JobName":"x","JobQueue":"nope","JobDefinition":"jd"}"#,
        "",
    )
    .await;
    assert!(error.starts_with("Batch."), "{error}: {cause}");
    assert!(cause.contains("Service: AWSBatch;"), "{cause}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_submit_job_sync_failure_is_task_failed_with_the_job() {
    let moto = Moto::start_with(&[("MOTO_SIMPLE_BATCH_FAIL_AFTER", "0")]);
    let t = tasks(&moto);
    batch_setup(&moto);
    let (error, cause) = err(
        &t,
        "batch:submitJob.sync",
        r#"{"JobName":"bad","JobQueue":"q","JobDefinition":"jd"}"#,
        "",
    )
    .await;
    assert_eq!(error, "States.TaskFailed");
    let job = expressway::json::parse(&cause).expect("the cause is the job's JSON");
    assert_eq!(s(&job, &["Status"]), "FAILED");
    assert_eq!(s(&job, &["JobName"]), "bad");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn athena_query_sync_results_and_stop() {
    let moto = Moto::start();
    let t = tasks(&moto);
    let params = r#"{"QueryString":"SELECT 1","WorkGroup":"primary",
        "ResultConfiguration":{"OutputLocation":"s3://results/"}}"#;
    let started = ok(&t, "athena:startQueryExecution", params).await;
    let id = s(&started, &["QueryExecutionId"]);
    let out = ok(&t, "athena:startQueryExecution.sync", params).await;
    assert_eq!(
        s(&out, &["QueryExecution", "Status", "State"]),
        "SUCCEEDED",
        "{out}"
    );
    assert_eq!(s(&out, &["QueryExecution", "Query"]), "SELECT 1");
    let got = ok(
        &t,
        "athena:getQueryExecution",
        &format!(r#"{{"QueryExecutionId":"{id}"}}"#),
    )
    .await;
    assert_eq!(s(&got, &["QueryExecution", "QueryExecutionId"]), id);
    let results = ok(
        &t,
        "athena:getQueryResults",
        &format!(r#"{{"QueryExecutionId":"{id}"}}"#),
    )
    .await;
    assert!(results.get("ResultSet").is_some(), "{results}");
    let stopped = ok(
        &t,
        "athena:stopQueryExecution",
        &format!(r#"{{"QueryExecutionId":"{id}"}}"#),
    )
    .await;
    assert_eq!(expressway::json::to_string(&stopped), "{}");
}

/// The shape of deployed Athena workflows found in public repositories (a
/// Terraform project's and AWS's "Execute multiple queries" sample):
/// `startQueryExecution.sync` with Retry and Catch on `States.TaskFailed`,
/// then `getQueryExecution` on `$.QueryExecution.QueryExecutionId` of the
/// `.sync` result, a notification on failure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployed_athena_workflow_runs_end_to_end() {
    let moto = Moto::start();
    let t = tasks(&moto);
    let retry_catch = r#""Retry":[{"ErrorEquals":["States.TaskFailed"],"IntervalSeconds":1,"MaxAttempts":2,"BackoffRate":1}],
        "Catch":[{"ErrorEquals":["States.TaskFailed"],"Next":"Notify"}]"#;
    let definition = format!(
        r#"{{"Comment":"Athena query, then its execution","StartAt":"Query","States":{{
        "Query":{{"Type":"Task","Resource":"arn:aws:states:::athena:startQueryExecution.sync",
          "Parameters":{{"QueryExecutionContext":{{"Catalog":"AwsDataCatalog","Database":"sales"}},
            "QueryString.$":"$.query","ResultConfiguration":{{"OutputLocation":"s3://athena-out/"}},
            "WorkGroup":"primary"}},
          "Next":"Inspect",{retry_catch}}},
        "Inspect":{{"Type":"Task","Resource":"arn:aws:states:::athena:getQueryExecution",
          "Parameters":{{"QueryExecutionId.$":"$.QueryExecution.QueryExecutionId"}},
          "Next":"Done",{retry_catch}}},
        "Notify":{{"Type":"Fail","Error":"QueryFailed"}},
        "Done":{{"Type":"Pass","End":true}}}}}}"#
    );
    let o = common::run_with(
        t.clone(),
        &definition,
        r#"{"query":"SELECT SUM(total) FROM orders"}"#,
    )
    .await;
    let out = o
        .output
        .unwrap_or_else(|| panic!("{:?}: {:?}", o.error, o.cause));
    assert_eq!(s(&out, &["QueryExecution", "Status", "State"]), "SUCCEEDED");
    assert_eq!(
        s(&out, &["QueryExecution", "Query"]),
        "SELECT SUM(total) FROM orders"
    );
    assert_eq!(
        s(
            &out,
            &["QueryExecution", "QueryExecutionContext", "Database"]
        ),
        "sales"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sagemaker_training_and_transform_jobs_sync() {
    let moto = Moto::start();
    let t = tasks(&moto);
    let training = r#"{"TrainingJobName":"train-1",
        "AlgorithmSpecification":{"TrainingImage":"img","TrainingInputMode":"File"},
        "RoleArn":"arn:aws:iam::123456789012:role/sm",
        "OutputDataConfig":{"S3OutputPath":"s3://out/"},
        "ResourceConfig":{"InstanceType":"ml.m5.large","InstanceCount":1,"VolumeSizeInGB":10},
        "StoppingCondition":{"MaxRuntimeInSeconds":60}}"#;
    let out = ok(&t, "sagemaker:createTrainingJob.sync", training).await;
    assert_eq!(s(&out, &["TrainingJobStatus"]), "Completed", "{out}");
    assert_eq!(s(&out, &["TrainingJobName"]), "train-1");
    let model = ok(
        &t,
        "sagemaker:createModel",
        r#"{"ModelName":"m1","ExecutionRoleArn":"arn:aws:iam::123456789012:role/sm",
            "PrimaryContainer":{"Image":"img"}}"#,
    )
    .await;
    assert!(s(&model, &["ModelArn"]).contains(":model/m1"), "{model}");
    let out = ok(
        &t,
        "sagemaker:createTransformJob",
        r#"{"TransformJobName":"tr-1","ModelName":"m1",
            "TransformInput":{"DataSource":{"S3DataSource":{"S3DataType":"S3Prefix","S3Uri":"s3://in/"}}},
            "TransformOutput":{"S3OutputPath":"s3://out/"},
            "TransformResources":{"InstanceType":"ml.m5.large","InstanceCount":1}}"#,
    )
    .await;
    assert!(
        s(&out, &["TransformJobArn"]).contains("transform-job/tr-1"),
        "{out}"
    );
    let out = ok(
        &t,
        "sagemaker:createTransformJob.sync",
        r#"{"TransformJobName":"tr-2","ModelName":"m1",
            "TransformInput":{"DataSource":{"S3DataSource":{"S3DataType":"S3Prefix","S3Uri":"s3://in/"}}},
            "TransformOutput":{"S3OutputPath":"s3://out/"},
            "TransformResources":{"InstanceType":"ml.m5.large","InstanceCount":1}}"#,
    )
    .await;
    assert_eq!(s(&out, &["TransformJobStatus"]), "Completed", "{out}");
    let (error, cause) = err(
        &t,
        "sagemaker:createTrainingJob",
        r#"{"TrainingJobName":"bad"}"#,
        "",
    )
    .await;
    assert!(error.starts_with("SageMaker."), "{error}: {cause}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bedrock_invoke_model_body_and_s3_input_and_customization_stop() {
    let moto = Moto::start();
    let t = tasks(&moto);
    let out = ok(
        &t,
        "bedrock:invokeModel",
        r#"{"ModelId":"amazon.titan-text-express-v1",
            "Body":{"inputText":"Five names","textGenerationConfig":{"maxTokenCount":10}}}"#,
    )
    .await;
    // moto answers `{}`: the Body arrives parsed, with its content type.
    assert_eq!(
        expressway::json::to_string(&out),
        r#"{"Body":{},"ContentType":"application/json"}"#
    );
    moto.python(r#"s3 = boto3.client("s3")
s3.create_bucket(Bucket="prompts")
s3.put_object(Bucket="prompts", Key="p.json", Body=b'{"inputText":"hi"}', ContentType="application/json")
s3.put_object(Bucket="prompts", Key="p.txt", Body=b'hi there')"#,
    );
    let out = ok(
        &t,
        "bedrock:invokeModel",
        r#"{"ModelId":"m","Input":{"S3Uri":"s3://prompts/p.json"}}"#,
    )
    .await;
    assert_eq!(s(&out, &["ContentType"]), "application/json");
    let (error, cause) = err(
        &t,
        "bedrock:invokeModel",
        r#"{"ModelId":"m","Input":{"S3Uri":"s3://prompts/p.txt"}}"#,
        "",
    )
    .await;
    assert_eq!(error, "States.Runtime");
    assert!(cause.contains("not JSON"), "{cause}");
    let (error, _) = err(
        &t,
        "bedrock:invokeModel",
        r#"{"ModelId":"m","Input":{"S3Uri":"s3://prompts/missing.json"}}"#,
        "",
    )
    .await;
    assert_eq!(error, "Bedrock.NoSuchKeyException");
    // A customization job stays InProgress in moto: TimeoutSeconds ends the
    // Task and StopModelCustomizationJob stops the job.
    let (error, _) = err(
        &t,
        "bedrock:createModelCustomizationJob.sync",
        r#"{"JobName":"ft-1","CustomModelName":"cm-1",
            "RoleArn":"arn:aws:iam::123456789012:role/br","BaseModelIdentifier":"amazon.titan-text-express-v1",
            "TrainingDataConfig":{"S3Uri":"s3://prompts/train.jsonl"},
            "OutputDataConfig":{"S3Uri":"s3://prompts/out/"},
            "HyperParameters":{"epochCount":"1"}}"#,
        r#","TimeoutSeconds":1"#,
    )
    .await;
    assert_eq!(error, "States.Timeout");
    let mut status = String::new();
    for _ in 0..50 {
        status = moto.python(r#"print(boto3.client("bedrock").get_model_customization_job(jobIdentifier="ft-1")["status"])"#,
        );
        if status == "Stopped" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, "Stopped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codebuild_start_build_sync_stop_and_errors() {
    let moto = Moto::start();
    moto.python(r#"boto3.client("codebuild").create_project(name="app",
    source={"type":"S3","location":"bucket/src.zip"},artifacts={"type":"NO_ARTIFACTS"},
    environment={"type":"LINUX_CONTAINER","image":"aws/codebuild/standard:7.0","computeType":"BUILD_GENERAL1_SMALL"},
    serviceRole="arn:aws:iam::123456789012:role/build")"#,
    );
    let tasks = tasks(&moto);

    // Request Response: StartBuild's output, `{Build}`.
    let out = ok(&tasks, "codebuild:startBuild", r#"{"ProjectName":"app"}"#).await;
    assert_eq!(s(&out, &["Build", "BuildStatus"]), "IN_PROGRESS");
    let id = s(&out, &["Build", "Id"]);
    assert!(id.starts_with("app:"), "{id}");

    // StopBuild on it.
    let out = ok(
        &tasks,
        "codebuild:stopBuild",
        &format!(r#"{{"Id":"{id}"}}"#),
    )
    .await;
    assert_eq!(s(&out, &["Build", "BuildStatus"]), "STOPPED");

    // .sync: BatchGetBuilds until the build ends; the result is `{Build}`.
    let out = ok(
        &tasks,
        "codebuild:startBuild.sync",
        r#"{"ProjectName":"app"}"#,
    )
    .await;
    assert_eq!(s(&out, &["Build", "BuildStatus"]), "SUCCEEDED");
    assert!(s(&out, &["Build", "Id"]).starts_with("app:"));

    // A missing project: the Java 1.x name.
    let (error, cause) = err(
        &tasks,
        "codebuild:startBuild",
        r#"{"ProjectName":"nowhere"}"#,
        "",
    )
    .await;
    assert_eq!(error, "CodeBuild.ResourceNotFoundException", "{cause}");
    assert!(
        cause.contains("(Service: AWSCodeBuild; Status Code: 400;"),
        "{cause}"
    );

    // `.sync` on an API without Run a Job.
    let (error, _) = err(&tasks, "codebuild:stopBuild.sync", r#"{"Id":"x"}"#, "").await;
    assert_eq!(error, "States.TaskFailed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emr_cluster_steps_protection_groups_and_sync() {
    let moto = Moto::start();
    let tasks = tasks(&moto);
    let cluster = r#"{"Name":"etl","ReleaseLabel":"emr-6.15.0",
        "Instances":{"KeepJobFlowAliveWhenNoSteps":true,"InstanceGroups":[
          {"Name":"Master","InstanceRole":"MASTER","InstanceType":"m5.xlarge","InstanceCount":1},
          {"Name":"Core","InstanceRole":"CORE","InstanceType":"m5.xlarge","InstanceCount":1}]},
        "JobFlowRole":"EMR_EC2_DefaultRole","ServiceRole":"EMR_DefaultRole"}"#;

    // createCluster: RunJobFlow's JobFlowId as ClusterId.
    let out = ok(&tasks, "elasticmapreduce:createCluster", cluster).await;
    assert_eq!(sorted_keys(&out), ["ClusterArn", "ClusterId"]);
    let id = s(&out, &["ClusterId"]);
    assert!(id.starts_with("j-"), "{id}");

    // createCluster.sync: DescribeCluster until WAITING.
    let out = ok(&tasks, "elasticmapreduce:createCluster.sync", cluster).await;
    assert_eq!(s(&out, &["Cluster", "Status", "State"]), "WAITING");

    // setClusterTerminationProtection: ClusterId for JobFlowIds.
    ok(
        &tasks,
        "elasticmapreduce:setClusterTerminationProtection",
        &format!(r#"{{"ClusterId":"{id}","TerminationProtected":true}}"#),
    )
    .await;
    let protected = moto.python(&format!(
            r#"print(boto3.client("emr").describe_cluster(ClusterId="{id}")["Cluster"]["TerminationProtected"])"#
        ),
    );
    assert_eq!(protected, "True");
    ok(
        &tasks,
        "elasticmapreduce:setClusterTerminationProtection",
        &format!(r#"{{"ClusterId":"{id}","TerminationProtected":false}}"#),
    )
    .await;

    // modifyInstanceGroupByName: the group found by its name.
    ok(
        &tasks,
        "elasticmapreduce:modifyInstanceGroupByName",
        &format!(r#"{{"ClusterId":"{id}","InstanceGroupName":"Core","InstanceGroup":{{"InstanceCount":3}}}}"#),
    )
    .await;
    let count = moto.python(&format!(
        r#"gs = boto3.client("emr").list_instance_groups(ClusterId="{id}")["InstanceGroups"]
print([g["RequestedInstanceCount"] for g in gs if g["Name"] == "Core"][0])"#
    ));
    assert_eq!(count, "3");
    let (error, cause) = err(
        &tasks,
        "elasticmapreduce:modifyInstanceGroupByName",
        &format!(r#"{{"ClusterId":"{id}","InstanceGroupName":"Task","InstanceGroup":{{"InstanceCount":3}}}}"#),
        "",
    )
    .await;
    assert_eq!(error, "States.Runtime");
    assert!(cause.contains("no instance group named 'Task'"), "{cause}");

    // addStep: one Step; {StepId}.
    let step = format!(
        r#"{{"ClusterId":"{id}","Step":{{"Name":"count","ActionOnFailure":"CONTINUE",
        "HadoopJarStep":{{"Jar":"command-runner.jar","Args":["spark-submit","job.py"]}}}}}}"#
    );
    let out = ok(&tasks, "elasticmapreduce:addStep", &step).await;
    let step_id = s(&out, &["StepId"]);
    assert!(step_id.starts_with("s-"), "{step_id}");

    // addStep.sync: moto's steps stay RUNNING; the Task's timeout ends the
    // wait and cancels the step.
    let (error, _) = err(
        &tasks,
        "elasticmapreduce:addStep.sync",
        &step,
        r#","TimeoutSeconds":1"#,
    )
    .await;
    assert_eq!(error, "States.Timeout");

    // terminateCluster.sync: DescribeCluster until TERMINATED.
    let out = ok(
        &tasks,
        "elasticmapreduce:terminateCluster.sync",
        &format!(r#"{{"ClusterId":"{id}"}}"#),
    )
    .await;
    assert_eq!(s(&out, &["Cluster", "Status", "State"]), "TERMINATED");

    // An EMR error: the Java 1.x names (moto answers an unknown cluster
    // with a bare 500, an undeclared error: the client's base class).
    let (error, cause) = err(
        &tasks,
        "elasticmapreduce:addStep",
        &step.replace(&id, "j-NOPE"),
        "",
    )
    .await;
    assert_eq!(error, "EMR.AmazonElasticMapReduceException", "{cause}");
    assert!(
        cause.contains("(Service: AmazonElasticMapReduce; Status Code: 500;"),
        "{cause}"
    );
}
