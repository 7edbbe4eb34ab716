use simd_json::prelude::*;

use super::sync::Poll;
use super::*;

fn v(text: &str) -> Value {
    crate::json::parse(text).expect("test JSON")
}

#[test]
fn resources_and_patterns() {
    let o = parse("arn:aws:states:::glue:startJobRun.sync").expect("glue");
    assert_eq!((o.spec.service, o.pattern), ("glue", Pattern::Sync));
    let o = parse("arn:aws-cn:states:eu-west-1::ecs:runTask").expect("ecs");
    assert_eq!(o.pattern, Pattern::RequestResponse);
    assert_eq!(o.region.as_deref(), Some("eu-west-1"));
    let o = parse("arn:aws:states:::batch:submitJob.sync").expect("batch");
    assert_eq!(o.pattern, Pattern::Sync);
    // `.sync:2` is states:startExecution's alone.
    assert!(parse("arn:aws:states:::batch:submitJob.sync:2").is_none());
    assert!(parse("arn:aws:states:::athena:getQueryResults").is_some());
    assert!(parse("arn:aws:states:::bedrock:invokeModel").is_some());
    assert!(parse("arn:aws:states:::sagemaker:createTransformJob.sync").is_some());
    // Not optimized integrations: the SDK form, unknown actions, patterns.
    assert!(parse("arn:aws:states:::aws-sdk:glue:startJobRun").is_none());
    assert!(parse("arn:aws:states:::glue:getJobRun").is_none());
    assert!(parse("arn:aws:states:::glue:startJobRun.waitForTaskToken").is_none());
    assert!(parse("arn:aws:states:::dynamodb:scan").is_none());
    assert!(parse("arn:aws:states:::sqs:receiveMessage").is_none());
    let o = parse("arn:aws:states:::sqs:sendMessage").expect("sqs");
    assert_eq!(o.spec.form, crate::tasks::aws_sdk::Form::Optimized);
    assert!(parse("arn:aws:states:::events:putEvents").is_some());
    assert!(parse("arn:aws-us-gov:states:::dynamodb:updateItem").is_some());
    assert!(parse("arn:aws:lambda:us-east-1:1:function:f").is_none());
}

#[test]
fn every_row_is_unique_and_every_job_has_a_stop_api() {
    let rows = table::all();
    for (i, a) in rows.iter().enumerate() {
        for b in &rows[i + 1..] {
            assert!(
                (a.service, a.action) != (b.service, b.action),
                "{}",
                a.action
            );
        }
        // EMR clusters are the exception: Step Functions does not
        // terminate them (`connect-emr.html`).
        if let Some(job) = a
            .job
            .filter(|_| a.service != "elasticmapreduce" || a.action == "addStep")
        {
            assert!(job.stop.is_some(), "{}:{}", a.service, a.action);
        }
    }
}

#[test]
fn glue_adds_the_job_name_and_reads_the_run_state() {
    let spec = table::find("glue", "startJobRun").unwrap();
    let out = (spec.shape.unwrap())(&v(r#"{"JobName":"etl"}"#), v(r#"{"JobRunId":"jr_1"}"#));
    assert_eq!(
        crate::json::to_string(&out),
        r#"{"JobRunId":"jr_1","JobName":"etl"}"#
    );
    let job = spec.job.unwrap();
    assert_eq!(
        crate::json::to_string(&(job.describe_input)(&out, &v("{}"))),
        r#"{"JobName":"etl","RunId":"jr_1"}"#
    );
    let status = |s: &str| (job.status)(&v(&format!(r#"{{"JobRun":{{"JobRunState":"{s}"}}}}"#)));
    assert!(matches!(status("RUNNING"), Poll::Running));
    assert!(matches!(status("SUCCEEDED"), Poll::Succeeded(_)));
    assert!(matches!(status("FAILED"), Poll::Failed(_)));
    assert!(matches!(status("TIMEOUT"), Poll::Failed(_)));
}

#[test]
fn ecs_fails_on_a_non_zero_exit_code() {
    let job = table::find("ecs", "runTask").unwrap().job.unwrap();
    let status = |t: &str| (job.status)(&v(&format!(r#"{{"Tasks":[{t}]}}"#)));
    assert!(matches!(
        status(r#"{"LastStatus":"RUNNING"}"#),
        Poll::Running
    ));
    assert!(matches!(
        status(r#"{"LastStatus":"STOPPED","Containers":[{"ExitCode":0}]}"#),
        Poll::Succeeded(_)
    ));
    assert!(matches!(
        status(r#"{"LastStatus":"STOPPED","Containers":[{"ExitCode":0},{"ExitCode":2}]}"#),
        Poll::Failed(_)
    ));
    let mut req = v(r#"{"Cluster":"c"}"#);
    (job.prepare.unwrap())(&mut req);
    assert_eq!(req.get_str("StartedBy"), Some("AWS Step Functions"));
}

#[test]
fn batch_sync_marks_the_job_as_started_by_step_functions() {
    let job = table::find("batch", "submitJob").unwrap().job.unwrap();
    let mut req =
        v(r#"{"JobName":"j","ContainerOverrides":{"Environment":[{"Name":"A","Value":"1"}]}}"#);
    (job.prepare.unwrap())(&mut req);
    assert_eq!(
        crate::json::to_string(req.get("ContainerOverrides").unwrap()),
        r#"{"Environment":[{"Name":"A","Value":"1"},{"Name":"MANAGED_BY_AWS","Value":"STARTED_BY_STEP_FUNCTIONS"}]}"#
    );
}

#[test]
fn sagemaker_and_athena_states() {
    let job = table::find("sagemaker", "createTrainingJob")
        .unwrap()
        .job
        .unwrap();
    assert!(matches!(
        (job.status)(&v(r#"{"TrainingJobStatus":"InProgress"}"#)),
        Poll::Running
    ));
    assert!(matches!(
        (job.status)(&v(r#"{"TrainingJobStatus":"Failed"}"#)),
        Poll::Failed(_)
    ));
    assert_eq!(
        crate::json::to_string(&(job.describe_input)(
            &v("{}"),
            &v(r#"{"TrainingJobName":"t"}"#)
        )),
        r#"{"TrainingJobName":"t"}"#
    );
    let job = table::find("athena", "startQueryExecution")
        .unwrap()
        .job
        .unwrap();
    assert!(matches!(
        (job.status)(&v(r#"{"QueryExecution":{"Status":{"State":"CANCELLED"}}}"#)),
        Poll::Failed(_)
    ));
}
