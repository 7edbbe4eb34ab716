//! CreateActivity, DescribeActivity, ListActivities, DeleteActivity,
//! GetActivityTask (see [`crate::api::activities`]).
//!
//! Source: the Step Functions API reference for the five operations; model
//! constraints from botocore's `stepfunctions` service model (name 1–80,
//! activityArn 1–256, workerName 1–80).

use serde_json::{json, Value as Json};

use super::{Page, Request};
use crate::api::activities::ActivityError;
use crate::api::error::{ApiError, Constraints};
use crate::api::ops::machines::read_tags;
use crate::api::ops::tags::MAX_TAGS;
use crate::api::{epoch_seconds, Service};
use crate::start::{arn, names};

const MAX_ARN_LEN: usize = 256;

impl From<ActivityError> for ApiError {
    fn from(e: ActivityError) -> Self {
        match e {
            ActivityError::DoesNotExist(arn) => ApiError::ActivityDoesNotExist(arn),
            ActivityError::LimitExceeded(name) => ApiError::ActivityLimitExceeded(name),
        }
    }
}

/// Reads and checks `activityArn`.
fn activity_arn<'a>(req: &Request<'a>) -> Result<&'a str, ApiError> {
    let value = req.str("activityArn")?;
    let mut c = Constraints::default();
    c.required("activityArn", value);
    c.length("activityArn", value, 1, MAX_ARN_LEN);
    c.finish()?;
    let value = value.unwrap_or_default();
    arn::parse_activity(value)?;
    Ok(value)
}

/// `CreateActivity {name, tags?, encryptionConfiguration?}` →
/// `{activityArn, creationDate}`; idempotent by name (other tags are ignored).
///
/// # Errors
/// ValidationException, InvalidName, TooManyTags, ActivityLimitExceeded.
pub(crate) fn create(service: &Service, req: &Request<'_>, region: &str) -> Result<Json, ApiError> {
    let name = req.str("name")?;
    let mut c = Constraints::default();
    c.required("name", name);
    c.length("name", name, 1, names::MAX_NAME_LEN);
    c.finish()?;
    let name = name.unwrap_or_default();
    names::check(name)?;
    let arn = arn::activity(region, &service.config().account, name);
    let tags = read_tags(req)?;
    if tags.len() > MAX_TAGS {
        return Err(ApiError::TooManyTags(arn));
    }
    let activity = service.activities().create(&arn, name, tags)?;
    Ok(json!({
        "activityArn": activity.arn,
        "creationDate": epoch_seconds(activity.created),
    }))
}

/// `DescribeActivity {activityArn}` → `{activityArn, name, creationDate}`.
///
/// # Errors
/// ValidationException, InvalidArn, ActivityDoesNotExist.
pub(crate) fn describe(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let arn = activity_arn(req)?;
    let activity = service
        .activities()
        .get(arn)
        .ok_or_else(|| ApiError::ActivityDoesNotExist(arn.to_owned()))?;
    Ok(json!({
        "activityArn": activity.arn,
        "name": activity.name,
        "creationDate": epoch_seconds(activity.created),
    }))
}

/// `ListActivities {maxResults?, nextToken?}` →
/// `{activities: [{activityArn, name, creationDate}], nextToken?}`.
///
/// # Errors
/// ValidationException, InvalidToken.
pub(crate) fn list(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let page = Page::read(req)?;
    let items: Vec<Json> = service
        .activities()
        .list()
        .iter()
        .map(|a| {
            json!({
                "activityArn": a.arn,
                "name": a.name,
                "creationDate": epoch_seconds(a.created),
            })
        })
        .collect();
    let (items, next) = page.take(items);
    let mut out = json!({ "activities": items });
    if let Some(token) = next {
        out["nextToken"] = Json::String(token);
    }
    Ok(out)
}

/// `DeleteActivity {activityArn}` → `{}` (also for an unknown activity).
///
/// # Errors
/// ValidationException, InvalidArn.
pub(crate) fn delete(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let arn = activity_arn(req)?;
    service.activities().delete(arn);
    Ok(json!({}))
}

/// `GetActivityTask {activityArn, workerName?}` → `{taskToken, input}`, or
/// `{}` when no task comes within the long poll ([`crate::api::Config::activity_poll`]).
///
/// # Errors
/// ValidationException, InvalidArn, ActivityDoesNotExist.
pub(crate) async fn get_task(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let arn = activity_arn(req)?;
    let worker = req.str("workerName")?;
    let mut c = Constraints::default();
    c.length("workerName", worker, 1, names::MAX_NAME_LEN);
    c.finish()?;
    let wait = service.config().activity_poll;
    match service.activities().poll(arn, wait).await? {
        Some(task) => Ok(json!({ "taskToken": task.token, "input": task.input })),
        None => Ok(json!({})),
    }
}
