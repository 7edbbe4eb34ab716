//! State machine operations: Create, Describe, List, Update, Delete, and
//! ValidateStateMachineDefinition.

use std::sync::Arc;
use std::time::SystemTime;

use serde_json::{json, Map, Value as Json};

use super::{Page, Request};
use crate::api::error::{ApiError, Constraints};
use crate::api::{epoch_seconds, Service};
use crate::asl::{Diagnostic, LoadError, Severity};
use crate::start::registry::{log_group_arn, log_settings};
use crate::start::{arn, names, MachineSpec, MachineType};

/// The longest definition, in characters (model constraint).
const MAX_DEFINITION_CHARS: usize = 1_048_576;
/// The longest role ARN (model constraint).
const MAX_ARN_LEN: usize = 256;
/// Logging levels (model enum).
const LOG_LEVELS: [&str; 4] = ["ALL", "ERROR", "FATAL", "OFF"];

/// Compiles a definition, mapping a load error to `InvalidDefinition`.
fn compile(definition: &str) -> Result<Arc<crate::compile::Machine>, ApiError> {
    crate::compile::load(definition)
        .map(Arc::new)
        .map_err(|e| ApiError::InvalidDefinition(e.to_string()))
}

/// Normalises a `loggingConfiguration`: `level` defaults to OFF,
/// `includeExecutionData` to false; a level other than OFF needs exactly one
/// destination.
fn logging(config: Option<&Map<String, Json>>) -> Result<Json, ApiError> {
    let empty = Map::new();
    let config = config.unwrap_or(&empty);
    let req = Request { fields: config };
    let level = req.str("level")?;
    let mut c = Constraints::default();
    c.one_of("loggingConfiguration.level", level, &LOG_LEVELS);
    c.finish()?;
    let level = level.unwrap_or("OFF");
    let include = req.bool("includeExecutionData")?.unwrap_or(false);
    let destinations = req.array("destinations")?;
    let list = destinations.unwrap_or_default();
    if list.len() > 1 || (level != "OFF" && list.is_empty()) {
        return Err(ApiError::InvalidLoggingConfiguration(
            "Must specify exactly one Log Destination.".into(),
        ));
    }
    if level != "OFF" && list.iter().any(|d| log_group_arn(d, MAX_ARN_LEN).is_none()) {
        return Err(ApiError::InvalidLoggingConfiguration(
            "Log Destination not found.".into(),
        ));
    }
    let mut out = json!({"level": level, "includeExecutionData": include});
    // An empty list given is kept (DescribeStateMachine shows it, as on AWS).
    if let Some(list) = destinations {
        out["destinations"] = Json::Array(list.to_vec());
    }
    Ok(out)
}

/// Normalises a `tracingConfiguration` (`enabled` defaults to false).
fn tracing(config: Option<&Map<String, Json>>) -> Result<Json, ApiError> {
    let enabled = match config {
        Some(fields) => Request { fields }.bool("enabled")?.unwrap_or(false),
        None => false,
    };
    Ok(json!({ "enabled": enabled }))
}

/// Reads `tags: [{key, value}]`.
pub(crate) fn read_tags(req: &Request<'_>) -> Result<Vec<(String, String)>, ApiError> {
    let mut tags = Vec::new();
    for tag in req.array("tags")?.unwrap_or_default() {
        let fields = Request::new(tag)?;
        let key = fields.str("key")?.unwrap_or_default();
        let value = fields.str("value")?.unwrap_or_default();
        tags.push((key.to_owned(), value.to_owned()));
    }
    Ok(tags)
}

/// CreateStateMachine.
pub(crate) async fn create(
    service: &Service,
    req: &Request<'_>,
    region: &str,
) -> Result<Json, ApiError> {
    let name = req.str("name")?;
    let definition = req.str("definition")?;
    let role_arn = req.str("roleArn")?;
    let kind = req.str("type")?;
    let mut c = Constraints::default();
    c.required("name", name);
    c.length("name", name, 1, names::MAX_NAME_LEN);
    c.required("definition", definition);
    c.sensitive_length("definition", definition, MAX_DEFINITION_CHARS);
    c.required("roleArn", role_arn);
    c.length("roleArn", role_arn, 1, MAX_ARN_LEN);
    c.one_of("type", kind, &MachineType::WIRE_NAMES);
    c.finish()?;
    let (Some(name), Some(definition), Some(role_arn)) = (name, definition, role_arn) else {
        return Err(ApiError::InternalFailure("required fields checked".into()));
    };
    let kind = kind
        .and_then(MachineType::parse)
        .unwrap_or(MachineType::Standard);
    names::check(name)?;
    let logging = logging(req.object("loggingConfiguration")?)?;
    let tracing = tracing(req.object("tracingConfiguration")?)?;
    let tags = read_tags(req)?;
    let publish = req.bool("publish")?.unwrap_or(false);
    let version_description = super::versions::description(req, "versionDescription")?;
    if version_description.is_some() && !publish {
        return Err(ApiError::Validation(
            "Version description can only be set when publish is true".into(),
        ));
    }

    let starter = service.starter();
    let machine_arn = starter.state_machine_arn(Some(region), name);
    if tags.len() > super::tags::MAX_TAGS && starter.state_machine(&machine_arn).is_none() {
        return Err(ApiError::TooManyTags(machine_arn));
    }
    let created = starter
        .create_machine_async(MachineSpec {
            name,
            definition,
            kind,
            region: Some(region),
            role_arn: Some(role_arn),
            logging: Some(logging),
            tracing: Some(tracing),
            tags,
        })
        .await?;
    let mut out = json!({
        "stateMachineArn": created.machine.arn,
        "creationDate": epoch_seconds(created.machine.created),
    });
    if publish {
        let version =
            super::versions::publish_for(service, &created.machine.arn, version_description)
                .await?;
        out["stateMachineVersionArn"] = Json::String(version);
    }
    Ok(out)
}

/// Reads and checks `stateMachineArn` (required; no `#TestCase`).
pub(crate) fn machine_arn<'a>(req: &Request<'a>) -> Result<&'a str, ApiError> {
    let value = req.str("stateMachineArn")?;
    let mut c = Constraints::default();
    c.required("stateMachineArn", value);
    c.length("stateMachineArn", value, 1, MAX_ARN_LEN);
    c.finish()?;
    let value = value.unwrap_or_default();
    arn::parse_state_machine(value, false)?;
    Ok(value)
}

/// DescribeStateMachine.
pub(crate) fn describe(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let machine_arn = machine_arn(req)?;
    if let Some(version) = service.starter().versions().version(machine_arn) {
        return Ok(version_json(&version));
    }
    let sm = service
        .starter()
        .state_machine(machine_arn)
        .ok_or_else(|| ApiError::StateMachineDoesNotExist(machine_arn.to_owned()))?;
    Ok(machine_json(&sm))
}

/// DescribeStateMachine of a version ARN: the machine as published, with
/// the version's ARN, creation date and description.
fn version_json(version: &crate::start::Version) -> Json {
    let mut out = machine_json(&version.machine);
    out["stateMachineArn"] = Json::String(version.arn.clone());
    out["creationDate"] = json!(epoch_seconds(version.created));
    if let Some(d) = &version.description {
        out["description"] = Json::String(d.clone());
    }
    out
}

/// The DescribeStateMachine fields of a state machine (also
/// DescribeStateMachineForExecution's, less `status`, `type` and
/// `creationDate`).
pub(crate) fn machine_json(sm: &crate::start::StateMachine) -> Json {
    let mut out = json!({
        "stateMachineArn": sm.arn,
        "name": sm.name,
        "status": "ACTIVE",
        "definition": sm.machine.definition,
        "roleArn": sm.role_arn,
        "type": sm.kind.as_str(),
        "creationDate": epoch_seconds(sm.created),
        "loggingConfiguration": sm.logging,
        "tracingConfiguration": sm.tracing,
    });
    if let Some(id) = &sm.revision_id {
        out["revisionId"] = Json::String(id.clone());
    }
    out
}

/// ListStateMachines: sorted by name, paginated.
pub(crate) fn list(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let page = Page::read(req)?;
    let mut items: Vec<(String, Json)> = service
        .starter()
        .store()
        .machines()
        .iter()
        .map(|sm| {
            (
                sm.arn.clone(),
                json!({
                    "stateMachineArn": sm.arn,
                    "name": sm.name,
                    "type": sm.kind.as_str(),
                    "creationDate": epoch_seconds(sm.created),
                }),
            )
        })
        .collect();
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let (items, next) = page.take(items);
    let mut out = json!({
        "stateMachines": items.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
    });
    if let Some(token) = next {
        out["nextToken"] = Json::String(token);
    }
    Ok(out)
}

/// UpdateStateMachine: definition, roleArn, logging and tracing; returns
/// `updateDate` and a fresh `revisionId`.
pub(crate) async fn update(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let definition = req.str("definition")?;
    let role_arn = req.str("roleArn")?;
    let publish = req.bool("publish")?.unwrap_or(false);
    let mut c = Constraints::default();
    c.sensitive_length("definition", definition, MAX_DEFINITION_CHARS);
    c.length("roleArn", role_arn, 1, MAX_ARN_LEN);
    c.finish()?;
    let version_description = super::versions::description(req, "versionDescription")?;
    if version_description.is_some() && !publish {
        return Err(ApiError::Validation(
            "Version description can only be set when publish is true".into(),
        ));
    }
    let machine_arn = machine_arn(req)?;
    if service.starter().state_machine(machine_arn).is_none() {
        return Err(ApiError::StateMachineDoesNotExist(machine_arn.to_owned()));
    }
    let logging_in = req.object("loggingConfiguration")?;
    let tracing_in = req.object("tracingConfiguration")?;
    if definition.is_none()
        && role_arn.is_none()
        && logging_in.is_none()
        && tracing_in.is_none()
        && !publish
    {
        return Err(ApiError::MissingRequiredParameter);
    }
    if definition.is_none() && role_arn.is_none() && logging_in.is_none() && tracing_in.is_none() {
        // `publish` alone: a version of the current revision.
        let version =
            super::versions::publish_for(service, machine_arn, version_description).await?;
        let sm = service.starter().state_machine(machine_arn);
        let mut out = json!({
            "updateDate": epoch_seconds(SystemTime::now()),
            "stateMachineVersionArn": version,
        });
        if let Some(id) = sm.and_then(|sm| sm.revision_id.clone()) {
            out["revisionId"] = Json::String(id);
        }
        return Ok(out);
    }
    let machine = definition.map(compile).transpose()?;
    let logging = logging_in.map(|l| logging(Some(l))).transpose()?;
    let tracing = tracing_in.map(|t| tracing(Some(t))).transpose()?;
    let revision = uuid::Uuid::new_v4().to_string();
    let changed = service
        .starter()
        .update_machine(machine_arn, |sm| {
            if let Some(machine) = machine {
                sm.machine = machine;
            }
            if let Some(role) = role_arn {
                sm.role_arn = role.to_owned();
            }
            if let Some(logging) = logging {
                sm.logging = logging;
            }
            if let Some(tracing) = tracing {
                sm.tracing = tracing;
            }
            sm.revision_id = Some(revision.clone());
            Ok::<(), ApiError>(())
        })
        .await;
    let sm =
        changed.ok_or_else(|| ApiError::StateMachineDoesNotExist(machine_arn.to_owned()))??;
    let (machine, name, settings) = (
        Arc::clone(&sm.machine),
        sm.name.clone(),
        log_settings(&sm.logging),
    );
    service
        .engine()
        .register_machine(&machine, &name, &settings);
    let mut out = json!({
        "updateDate": epoch_seconds(SystemTime::now()),
        "revisionId": revision,
    });
    if publish {
        let version =
            super::versions::publish_for(service, machine_arn, version_description).await?;
        out["stateMachineVersionArn"] = Json::String(version);
    }
    Ok(out)
}

/// DeleteStateMachine: `{}` whether or not the machine existed.
pub(crate) async fn delete(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let machine_arn = machine_arn(req)?;
    service.starter().delete_machine(machine_arn).await;
    Ok(json!({}))
}

fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Error => "ERROR",
        Severity::Warning => "WARNING",
    }
}

fn diagnostic_json(d: &Diagnostic) -> Json {
    let mut out = json!({
        "severity": severity_name(d.severity),
        "code": d.code,
        "message": d.message,
    });
    if !d.location.is_empty() {
        out["location"] = Json::String(d.location.clone());
    }
    out
}

/// The diagnostics of a definition text: JSON errors as
/// `INVALID_JSON_DESCRIPTION`, otherwise every validation finding; for an
/// EXPRESS machine, also a WARNING per `.sync` / `.waitForTaskToken` Task
/// (AWS refuses those for EXPRESS; expressway runs them:
/// [`crate::asl::express_warnings`]).
pub(crate) fn diagnose(definition: &str, kind: MachineType) -> Vec<Diagnostic> {
    match crate::json::parse(definition) {
        Err(e) => vec![Diagnostic {
            severity: Severity::Error,
            code: "INVALID_JSON_DESCRIPTION",
            message: e.to_string(),
            location: String::new(),
        }],
        Ok(value) => {
            let mut diags = crate::asl::validate(&value);
            // Whatever validation accepts must still compile.
            if !diags.iter().any(|d| d.severity == Severity::Error) {
                if let Err(LoadError::Invalid(more)) = crate::compile::compile(&value, definition) {
                    diags.extend(more);
                }
            }
            if kind == MachineType::Express {
                diags.extend(crate::asl::express_warnings(&value));
            }
            diags
        }
    }
}

/// Renders diagnostics as ValidateStateMachineDefinition's response.
/// `min_severity` ERROR keeps only errors; `max` bounds the list (`truncated`).
pub(crate) fn validation_result(diags: &[Diagnostic], only_errors: bool, max: usize) -> Json {
    let failed = diags.iter().any(|d| d.severity == Severity::Error);
    let shown: Vec<&Diagnostic> = diags
        .iter()
        .filter(|d| !only_errors || d.severity == Severity::Error)
        .collect();
    let truncated = shown.len() > max;
    json!({
        "result": if failed { "FAIL" } else { "OK" },
        "diagnostics": shown.iter().take(max).map(|d| diagnostic_json(d)).collect::<Vec<_>>(),
        "truncated": truncated,
    })
}

/// ValidateStateMachineDefinition.
pub(crate) fn validate(req: &Request<'_>) -> Result<Json, ApiError> {
    let definition = req.str("definition")?;
    let kind = req.str("type")?;
    let severity = req.str("severity")?;
    let max = req.int("maxResults")?;
    let mut c = Constraints::default();
    c.required("definition", definition);
    c.sensitive_length("definition", definition, MAX_DEFINITION_CHARS);
    c.one_of("type", kind, &MachineType::WIRE_NAMES);
    c.one_of("severity", severity, &["ERROR", "WARNING"]);
    c.range("maxResults", max, 0, 100);
    c.finish()?;
    // AWS validates as STANDARD when `type` is absent.
    let kind = match kind {
        Some("EXPRESS") => MachineType::Express,
        _ => MachineType::Standard,
    };
    let diags = diagnose(definition.unwrap_or_default(), kind);
    let only_errors = severity != Some("WARNING");
    let max = match max {
        None | Some(0) => 100,
        Some(n) => usize::try_from(n).unwrap_or(100),
    };
    Ok(validation_result(&diags, only_errors, max))
}
