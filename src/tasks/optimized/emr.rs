//! The optimized Amazon EMR integration, `arn:aws:states:::elasticmapreduce:*`:
//! Step Functions' own API names over the EMR API (AWS guide
//! `connect-emr.html`, "Optimized Amazon EMR APIs"):
//!
//! | Resource action | EMR API | request differences | result |
//! |---|---|---|---|
//! | `createCluster` | RunJobFlow | — | `{ClusterId, ClusterArn}` (RunJobFlow's `JobFlowId` as `ClusterId`) |
//! | `terminateCluster` | TerminateJobFlows | `ClusterId` for `JobFlowIds` | `{}` |
//! | `setClusterTerminationProtection` | SetTerminationProtection | `ClusterId` for `JobFlowIds` | `{}` |
//! | `addStep` | AddJobFlowSteps | `ClusterId` and one `Step` for `JobFlowId` and `Steps` | `{StepId}` |
//! | `cancelStep` | CancelSteps | `StepId` for `StepIds` | CancelSteps' output |
//! | `modifyInstanceGroupByName` | ModifyInstanceGroups | `InstanceGroupName` and one `InstanceGroup` (the group found by name with ListInstanceGroups) | `{}` |
//! | `modifyInstanceFleetByName` | ModifyInstanceFleet | `InstanceFleetName` and `InstanceFleet` (found by name with ListInstanceFleets) | `{}` |
//!
//! `.sync`: `createCluster` until the cluster is `WAITING` (`TERMINATED…`
//! fails), `terminateCluster` until it is `TERMINATED`, `addStep` until the
//! step is `COMPLETED` (`FAILED`, `CANCELLED`, `INTERRUPTED` fail, and a Task
//! ending first cancels the step); the result is DescribeCluster's or
//! DescribeStep's output. Polled as AWS does: every 60 s for 10 minutes,
//! then every 300 s. Step Functions does not terminate a cluster when the
//! execution stops (the guide says so), nor does this.

use futures::future::BoxFuture;
use simd_json::prelude::*;

use super::Api;
use crate::errors::ExecError;
use crate::json::{Object, Value};

/// The request's fields, checked to be an object.
fn fields<'v>(request: &'v Value, action: &str) -> Result<&'v Object, ExecError> {
    request.as_object().ok_or_else(|| {
        ExecError::runtime(format!(
            "the parameters of elasticmapreduce:{action} must be a JSON object"
        ))
    })
}

/// `fields` without `drop`, plus `extra`.
fn rewrite(fields: &Object, drop: &[&str], extra: Vec<(&str, Value)>) -> Value {
    let mut out = Object::with_capacity(fields.len() + extra.len());
    for (k, v) in fields.iter() {
        if !drop.contains(&k.as_str()) {
            out.insert(k.clone(), v.clone());
        }
    }
    for (k, v) in extra {
        out.insert(k.into(), v);
    }
    Value::from(out)
}

/// A required field.
fn required<'v>(fields: &'v Object, key: &str, action: &str) -> Result<&'v Value, ExecError> {
    fields.get(key).filter(|v| !v.is_null()).ok_or_else(|| {
        ExecError::runtime(format!("elasticmapreduce:{action} needs the field {key}"))
    })
}

/// `createCluster`: RunJobFlow; `JobFlowId` returned as `ClusterId`.
pub(crate) fn create_cluster<'a>(
    api: &'a Api<'a>,
    request: Value,
) -> BoxFuture<'a, Result<Value, ExecError>> {
    Box::pin(async move {
        let out = api.call("emr", "runJobFlow", &request).await?;
        let mut result = Object::with_capacity(2);
        if let Some(id) = out.get("JobFlowId") {
            result.insert("ClusterId".into(), id.clone());
        }
        if let Some(arn) = out.get("ClusterArn") {
            result.insert("ClusterArn".into(), arn.clone());
        }
        Ok(Value::from(result))
    })
}

/// `terminateCluster`: TerminateJobFlows of the one `ClusterId`.
pub(crate) fn terminate_cluster<'a>(
    api: &'a Api<'a>,
    request: Value,
) -> BoxFuture<'a, Result<Value, ExecError>> {
    Box::pin(async move {
        let f = fields(&request, "terminateCluster")?;
        let id = required(f, "ClusterId", "terminateCluster")?.clone();
        let call = rewrite(
            f,
            &["ClusterId"],
            vec![("JobFlowIds", Value::from(vec![id]))],
        );
        api.call("emr", "terminateJobFlows", &call).await
    })
}

/// `setClusterTerminationProtection`: SetTerminationProtection of the one
/// `ClusterId`.
pub(crate) fn set_termination_protection<'a>(
    api: &'a Api<'a>,
    request: Value,
) -> BoxFuture<'a, Result<Value, ExecError>> {
    Box::pin(async move {
        let action = "setClusterTerminationProtection";
        let f = fields(&request, action)?;
        let id = required(f, "ClusterId", action)?.clone();
        let call = rewrite(
            f,
            &["ClusterId"],
            vec![("JobFlowIds", Value::from(vec![id]))],
        );
        api.call("emr", "setTerminationProtection", &call).await
    })
}

/// `addStep`: AddJobFlowSteps with the one `Step`; `{StepId}`.
pub(crate) fn add_step<'a>(
    api: &'a Api<'a>,
    request: Value,
) -> BoxFuture<'a, Result<Value, ExecError>> {
    Box::pin(async move {
        let f = fields(&request, "addStep")?;
        let id = required(f, "ClusterId", "addStep")?.clone();
        let step = required(f, "Step", "addStep")?.clone();
        let call = rewrite(
            f,
            &["ClusterId", "Step"],
            vec![("JobFlowId", id), ("Steps", Value::from(vec![step]))],
        );
        let out = api.call("emr", "addJobFlowSteps", &call).await?;
        let step_id = out
            .get("StepIds")
            .and_then(|s| s.as_array())
            .and_then(|s| s.first())
            .cloned()
            .unwrap_or_else(|| Value::from(""));
        let mut result = Object::with_capacity(1);
        result.insert("StepId".into(), step_id);
        Ok(Value::from(result))
    })
}

/// `cancelStep`: CancelSteps of the one `StepId`.
pub(crate) fn cancel_step<'a>(
    api: &'a Api<'a>,
    request: Value,
) -> BoxFuture<'a, Result<Value, ExecError>> {
    Box::pin(async move {
        let f = fields(&request, "cancelStep")?;
        let step = required(f, "StepId", "cancelStep")?.clone();
        let call = rewrite(f, &["StepId"], vec![("StepIds", Value::from(vec![step]))]);
        api.call("emr", "cancelSteps", &call).await
    })
}

/// The id of the instance group or fleet named `name` in the `list` output
/// (`InstanceGroups` / `InstanceFleets`).
fn id_by_name(out: &Value, list: &str, name: &str) -> Option<Value> {
    out.get(list)?
        .as_array()?
        .iter()
        .find(|g| g.get_str("Name") == Some(name))
        .and_then(|g| g.get("Id"))
        .cloned()
}

/// `modifyInstanceGroupByName`: the group named `InstanceGroupName` (read
/// with ListInstanceGroups) modified as `InstanceGroup` says.
pub(crate) fn modify_instance_group_by_name<'a>(
    api: &'a Api<'a>,
    request: Value,
) -> BoxFuture<'a, Result<Value, ExecError>> {
    Box::pin(async move {
        let action = "modifyInstanceGroupByName";
        let f = fields(&request, action)?;
        let cluster = required(f, "ClusterId", action)?.clone();
        let name = required(f, "InstanceGroupName", action)?;
        let name = name.as_str().unwrap_or_default().to_owned();
        let mut group = required(f, "InstanceGroup", action)?.clone();
        let list = simd_json::json!({"ClusterId": cluster.clone()});
        let groups = api.call("emr", "listInstanceGroups", &list).await?;
        let id = id_by_name(&groups, "InstanceGroups", &name).ok_or_else(|| {
            ExecError::runtime(format!(
                "elasticmapreduce:{action}: the cluster has no instance group named '{name}'"
            ))
        })?;
        if let Some(g) = group.as_object_mut() {
            g.insert("InstanceGroupId".into(), id);
        }
        let call = simd_json::json!({"ClusterId": cluster, "InstanceGroups": [group]});
        api.call("emr", "modifyInstanceGroups", &call).await
    })
}

/// `modifyInstanceFleetByName`: the fleet named `InstanceFleetName` (read
/// with ListInstanceFleets) modified as `InstanceFleet` says.
pub(crate) fn modify_instance_fleet_by_name<'a>(
    api: &'a Api<'a>,
    request: Value,
) -> BoxFuture<'a, Result<Value, ExecError>> {
    Box::pin(async move {
        let action = "modifyInstanceFleetByName";
        let f = fields(&request, action)?;
        let cluster = required(f, "ClusterId", action)?.clone();
        let name = required(f, "InstanceFleetName", action)?;
        let name = name.as_str().unwrap_or_default().to_owned();
        let mut fleet = required(f, "InstanceFleet", action)?.clone();
        let list = simd_json::json!({"ClusterId": cluster.clone()});
        let fleets = api.call("emr", "listInstanceFleets", &list).await?;
        let id = id_by_name(&fleets, "InstanceFleets", &name).ok_or_else(|| {
            ExecError::runtime(format!(
                "elasticmapreduce:{action}: the cluster has no instance fleet named '{name}'"
            ))
        })?;
        if let Some(g) = fleet.as_object_mut() {
            g.insert("InstanceFleetId".into(), id);
        }
        let call = simd_json::json!({"ClusterId": cluster, "InstanceFleet": fleet});
        api.call("emr", "modifyInstanceFleet", &call).await
    })
}
