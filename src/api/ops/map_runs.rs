//! Map Run operations: DescribeMapRun, ListMapRuns, UpdateMapRun, for the
//! Map Runs the engine retains (the newest
//! [`crate::engine::map_run::records::MAX_RETAINED_MAP_RUNS`]).
//!
//! Source: AWS API reference `API_DescribeMapRun.html`,
//! `API_ListMapRuns.html`, `API_UpdateMapRun.html`; the botocore model.

use serde_json::{json, Value as Json};

use super::{Page, Request};
use crate::api::error::{ApiError, Constraints};
use crate::api::{epoch_seconds, Service};
use crate::engine::map_run::records::{Counts, MapRun};
use crate::engine::map_run::MAX_DISTRIBUTED_CONCURRENCY;
use crate::start::arn;

/// The longest Map Run ARN (model constraint `LongArn`).
const MAX_LONG_ARN: usize = 2000;
/// The longest execution ARN (model constraint `Arn`).
const MAX_ARN: usize = 256;

fn counts(c: &Counts) -> Json {
    json!({
        "pending": c.pending,
        "running": c.running,
        "succeeded": c.succeeded,
        "failed": c.failed,
        "timedOut": c.timed_out,
        "aborted": c.aborted,
        "total": c.total,
        "resultsWritten": c.results_written,
        "failuresNotRedrivable": 0,
        "pendingRedrive": 0,
    })
}

/// The Map Run `mapRunArn` names, checked.
fn find(service: &Service, req: &Request<'_>) -> Result<std::sync::Arc<MapRun>, ApiError> {
    let map_run_arn = req.str("mapRunArn")?;
    let mut c = Constraints::default();
    c.required("mapRunArn", map_run_arn);
    c.length("mapRunArn", map_run_arn, 1, MAX_LONG_ARN);
    c.finish()?;
    let map_run_arn = map_run_arn.unwrap_or_default();
    arn::parse_map_run(map_run_arn)?;
    service
        .engine()
        .map_runs()
        .get(map_run_arn)
        .ok_or_else(|| ApiError::ResourceNotFound(map_run_arn.to_owned()))
}

/// DescribeMapRun: status, dates, MaxConcurrency, tolerated failures and
/// the item and child execution counts.
pub(crate) fn describe(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let run = find(service, req)?;
    let p = run.progress();
    let mut out = json!({
        "mapRunArn": run.arn,
        "executionArn": run.execution_arn,
        "status": p.status.as_str(),
        "startDate": epoch_seconds(run.start_date),
        "maxConcurrency": run.max_concurrency(),
        "toleratedFailurePercentage": p.tolerated_failure_percentage.unwrap_or(0.0),
        "toleratedFailureCount": p.tolerated_failure_count.unwrap_or(0),
        "itemCounts": counts(&p.items),
        "executionCounts": counts(&p.executions),
        "redriveCount": 0,
    });
    if let Some(stop) = p.stop_date {
        out["stopDate"] = json!(epoch_seconds(stop));
    }
    Ok(out)
}

/// ListMapRuns: the Map Runs an execution started, newest first.
pub(crate) async fn list(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let execution_arn = req.str("executionArn")?;
    let mut c = Constraints::default();
    c.required("executionArn", execution_arn);
    c.length("executionArn", execution_arn, 1, MAX_ARN);
    c.finish()?;
    let page = Page::read(req)?;
    let execution_arn = execution_arn.unwrap_or_default();
    let runs = service.engine().map_runs().of_execution(execution_arn);
    if runs.is_empty() {
        // No Map Run: the execution must still exist (else its error).
        service.starter().describe(execution_arn).await?;
    }
    let (runs, next) = page.take(runs);
    let items: Vec<Json> = runs
        .iter()
        .map(|r| {
            let p = r.progress();
            let mut item = json!({
                "executionArn": r.execution_arn,
                "mapRunArn": r.arn,
                "stateMachineArn": r.state_machine_arn,
                "startDate": epoch_seconds(r.start_date),
            });
            if let Some(stop) = p.stop_date {
                item["stopDate"] = json!(epoch_seconds(stop));
            }
            item
        })
        .collect();
    let mut out = json!({ "mapRuns": items });
    if let Some(next) = next {
        out["nextToken"] = Json::String(next);
    }
    Ok(out)
}

/// UpdateMapRun: MaxConcurrency (0–10,000), ToleratedFailurePercentage
/// (0–100), ToleratedFailureCount (≥ 0); at least one. A running Map Run
/// applies them from its next child execution on.
pub(crate) fn update(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let max = req.int("maxConcurrency")?;
    let count = req.int("toleratedFailureCount")?;
    let pct = match req.raw("toleratedFailurePercentage") {
        None => None,
        Some(v) => Some(v.as_f64().ok_or_else(|| {
            ApiError::Serialization(
                "Unexpected value type for field 'toleratedFailurePercentage': expected a number"
                    .into(),
            )
        })?),
    };
    let run = find(service, req)?;
    let mut c = Constraints::default();
    c.range("maxConcurrency", max, 0, MAX_DISTRIBUTED_CONCURRENCY as i64);
    c.range("toleratedFailureCount", count, 0, i64::MAX);
    c.finish()?;
    if pct.is_some_and(|p| !(0.0..=100.0).contains(&p)) {
        return Err(ApiError::Validation(
            "1 validation error detected: Value at 'toleratedFailurePercentage' failed to satisfy constraint: Member must have value between 0 and 100".into(),
        ));
    }
    if max.is_none() && count.is_none() && pct.is_none() {
        return Err(ApiError::Validation(
            "At least one of maxConcurrency, toleratedFailurePercentage or toleratedFailureCount must be given".into(),
        ));
    }
    run.update(max.map(|m| m as u64), count.map(|c| c as u64), pct);
    Ok(json!({}))
}
