//! Versions and aliases: PublishStateMachineVersion,
//! ListStateMachineVersions, DeleteStateMachineVersion,
//! CreateStateMachineAlias, DescribeStateMachineAlias,
//! UpdateStateMachineAlias, ListStateMachineAliases,
//! DeleteStateMachineAlias ([`crate::start::versions`]).
//!
//! Shapes and errors: botocore's `stepfunctions` model; constraints from
//! the API reference (descriptions ≤ 256 characters, alias names 1–80
//! characters matching `^(?=.*[a-zA-Z_\-\.])[a-zA-Z0-9_\-\.]+$`, one or two
//! routes of weight 0–100 summing to 100).

use std::time::SystemTime;

use serde_json::{json, Value as Json};

use super::machines::machine_arn;
use super::{Page, Request};
use crate::api::error::{ApiError, Constraints};
use crate::api::{epoch_seconds, Service};
use crate::start::versions::{is_version_qualifier, split_qualified};
use crate::start::{arn, names, Alias, Route};

/// The longest version or alias description (model constraint).
const MAX_DESCRIPTION: usize = 256;
/// The longest ARN (model constraint).
const MAX_ARN_LEN: usize = 256;
/// The alias name pattern (model constraint).
const ALIAS_PATTERN: &str = r"^(?=.*[a-zA-Z_\-\.])[a-zA-Z0-9_\-\.]+$";

/// A `description` / `versionDescription` field, checked.
pub(crate) fn description<'a>(req: &Request<'a>, field: &str) -> Result<Option<&'a str>, ApiError> {
    let value = req.str(field)?;
    let mut c = Constraints::default();
    c.sensitive_length(field, value, MAX_DESCRIPTION);
    c.finish()?;
    Ok(value)
}

/// Publishes the machine `machine_arn` as `publish: true` on Create /
/// UpdateStateMachine asks; answers the version ARN.
pub(crate) async fn publish_for(
    service: &Service,
    machine_arn: &str,
    description: Option<&str>,
) -> Result<String, ApiError> {
    let (version, _) = service
        .starter()
        .publish_version(machine_arn, None, description)
        .await?;
    Ok(version.arn.clone())
}

/// PublishStateMachineVersion.
pub(crate) async fn publish(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let revision = req.str("revisionId")?;
    let description = description(req, "description")?;
    let machine_arn = machine_arn(req)?;
    if split_qualified(machine_arn).is_some() {
        return Err(ApiError::Validation(format!(
            "Invalid State Machine Arn: '{machine_arn}': a version or alias ARN cannot be published"
        )));
    }
    let (version, _) = service
        .starter()
        .publish_version(machine_arn, revision, description)
        .await?;
    Ok(json!({
        "stateMachineVersionArn": version.arn,
        "creationDate": epoch_seconds(version.created),
    }))
}

/// ListStateMachineVersions: newest first, paginated.
pub(crate) fn list_versions(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let machine_arn = machine_arn(req)?;
    let page = Page::read(req)?;
    let items: Vec<Json> = service
        .starter()
        .versions()
        .versions_of(machine_arn)
        .iter()
        .map(|v| {
            json!({
                "stateMachineVersionArn": v.arn,
                "creationDate": epoch_seconds(v.created),
            })
        })
        .collect();
    let (items, next) = page.take(items);
    let mut out = json!({ "stateMachineVersions": items });
    if let Some(token) = next {
        out["nextToken"] = Json::String(token);
    }
    Ok(out)
}

/// Reads and checks a required qualified ARN field; answers it and its
/// qualifier.
fn qualified<'a>(req: &Request<'a>, field: &str) -> Result<(&'a str, &'a str), ApiError> {
    let value = req.str(field)?;
    let mut c = Constraints::default();
    c.required(field, value);
    c.length(field, value, 1, MAX_ARN_LEN);
    c.finish()?;
    let value = value.unwrap_or_default();
    arn::parse_state_machine(value, false)?;
    let (_, qualifier) = split_qualified(value)
        .ok_or_else(|| ApiError::InvalidArn(format!("Invalid Arn: '{value}'")))?;
    Ok((value, qualifier))
}

/// DeleteStateMachineVersion: `{}` also when there is no such version.
pub(crate) async fn delete_version(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let (version_arn, qualifier) = qualified(req, "stateMachineVersionArn")?;
    if !is_version_qualifier(qualifier) {
        return Err(ApiError::InvalidArn(format!(
            "Invalid Arn: '{version_arn}'"
        )));
    }
    service
        .starter()
        .versions()
        .delete_version(version_arn)
        .await?;
    Ok(json!({}))
}

/// Reads `routingConfiguration`: one or two routes to existing versions of
/// one state machine, weights 0–100 summing to 100. Answers the routes and
/// the state machine ARN.
fn routing(service: &Service, req: &Request<'_>) -> Result<Option<(Vec<Route>, String)>, ApiError> {
    let Some(items) = req.array("routingConfiguration")? else {
        return Ok(None);
    };
    if items.is_empty() || items.len() > 2 {
        return Err(ApiError::Validation(format!(
            "1 validation error detected: Value at 'routingConfiguration' failed to satisfy constraint: Member must have length {}",
            if items.is_empty() { "greater than or equal to 1" } else { "less than or equal to 2" }
        )));
    }
    let mut routes = Vec::new();
    let mut machine: Option<String> = None;
    for item in items {
        let fields = Request::new(item)?;
        let version_arn = fields.str("stateMachineVersionArn")?;
        let weight = fields.int("weight")?;
        let mut c = Constraints::default();
        c.required(
            "routingConfiguration.member.stateMachineVersionArn",
            version_arn,
        );
        c.length(
            "routingConfiguration.member.stateMachineVersionArn",
            version_arn,
            1,
            MAX_ARN_LEN,
        );
        c.required("routingConfiguration.member.weight", weight);
        c.range("routingConfiguration.member.weight", weight, 0, 100);
        c.finish()?;
        let version_arn = version_arn.unwrap_or_default();
        arn::parse_state_machine(version_arn, false)?;
        let base = match split_qualified(version_arn) {
            Some((base, q)) if is_version_qualifier(q) => base,
            _ => {
                return Err(ApiError::Validation(format!(
                    "Routing configuration must contain state machine version ARNs: '{version_arn}'"
                )))
            }
        };
        if service.starter().versions().version(version_arn).is_none() {
            return Err(ApiError::ResourceNotFound(version_arn.to_owned()));
        }
        match &machine {
            Some(m) if m != base => {
                return Err(ApiError::Validation(
                    "Routing configuration must contain state machine version ARNs of the same state machine"
                        .into(),
                ))
            }
            _ => machine = Some(base.to_owned()),
        }
        if routes.iter().any(|r: &Route| r.version_arn == version_arn) {
            return Err(ApiError::Validation(
                "Routing configuration must contain distinct state machine version ARNs".into(),
            ));
        }
        routes.push(Route {
            version_arn: version_arn.to_owned(),
            weight: u8::try_from(weight.unwrap_or_default()).unwrap_or(0),
        });
    }
    let sum: u32 = routes.iter().map(|r| u32::from(r.weight)).sum();
    if sum != 100 {
        return Err(ApiError::Validation(
            "Sum of routing configuration weights must be equal to 100".into(),
        ));
    }
    Ok(machine.map(|m| (routes, m)))
}

fn alias_json(alias: &Alias) -> Json {
    let mut out = json!({
        "stateMachineAliasArn": alias.arn,
        "name": alias.name,
        "routingConfiguration": alias.routing.iter().map(|r| json!({
            "stateMachineVersionArn": r.version_arn,
            "weight": r.weight,
        })).collect::<Vec<_>>(),
        "creationDate": epoch_seconds(alias.created),
        "updateDate": epoch_seconds(alias.updated),
    });
    if let Some(d) = &alias.description {
        out["description"] = Json::String(d.clone());
    }
    out
}

/// Whether `name` matches the alias name pattern: only letters, digits,
/// `_`, `-`, `.`, and at least one character that is not a digit (an
/// all-digit qualifier names a version).
fn alias_name_ok(name: &str) -> bool {
    name.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        && !is_version_qualifier(name)
}

/// CreateStateMachineAlias: idempotent for an identical alias.
pub(crate) async fn create_alias(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let name = req.str("name")?;
    let description = description(req, "description")?;
    let mut c = Constraints::default();
    c.required("name", name);
    c.length("name", name, 1, names::MAX_NAME_LEN);
    c.required("routingConfiguration", req.raw("routingConfiguration"));
    c.finish()?;
    let name = name.unwrap_or_default();
    if !alias_name_ok(name) {
        return Err(ApiError::Validation(format!(
            "1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: {ALIAS_PATTERN}"
        )));
    }
    let Some((routes, machine_arn)) = routing(service, req)? else {
        return Err(ApiError::InternalFailure("routing checked".into()));
    };
    if service.starter().state_machine(&machine_arn).is_none() {
        return Err(ApiError::ResourceNotFound(machine_arn));
    }
    let now = SystemTime::now();
    let alias = service
        .starter()
        .versions()
        .create_alias(Alias {
            arn: format!("{machine_arn}:{name}"),
            name: name.to_owned(),
            machine_arn,
            description: description.map(str::to_owned),
            routing: routes,
            created: now,
            updated: now,
        })
        .await?;
    Ok(json!({
        "stateMachineAliasArn": alias.arn,
        "creationDate": epoch_seconds(alias.created),
    }))
}

/// Reads `stateMachineAliasArn` (required; an alias qualifier).
fn alias_arn<'a>(req: &Request<'a>) -> Result<&'a str, ApiError> {
    let (value, qualifier) = qualified(req, "stateMachineAliasArn")?;
    if is_version_qualifier(qualifier) {
        return Err(ApiError::InvalidArn(format!("Invalid Arn: '{value}'")));
    }
    Ok(value)
}

/// DescribeStateMachineAlias.
pub(crate) fn describe_alias(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let arn = alias_arn(req)?;
    let alias = service
        .starter()
        .versions()
        .alias(arn)
        .ok_or_else(|| ApiError::ResourceNotFound(arn.to_owned()))?;
    Ok(alias_json(&alias))
}

/// UpdateStateMachineAlias: `description` and/or `routingConfiguration`.
pub(crate) async fn update_alias(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let description = description(req, "description")?;
    let arn = alias_arn(req)?;
    let versions = service.starter().versions();
    let current = versions
        .alias(arn)
        .ok_or_else(|| ApiError::ResourceNotFound(arn.to_owned()))?;
    let routes = routing(service, req)?;
    if description.is_none() && routes.is_none() {
        return Err(ApiError::Validation(
            "Either the description or the RoutingConfiguration must be specified".into(),
        ));
    }
    let routes = match routes {
        Some((_, machine)) if machine != current.machine_arn => {
            return Err(ApiError::Validation(
                "Routing configuration must contain state machine version ARNs of the alias's state machine"
                    .into(),
            ))
        }
        Some((routes, _)) => Some(routes),
        None => None,
    };
    let now = SystemTime::now();
    let alias = versions
        .update_alias(arn, description.map(str::to_owned), routes, now)
        .await?;
    Ok(json!({ "updateDate": epoch_seconds(alias.updated) }))
}

/// ListStateMachineAliases: by name, paginated.
pub(crate) fn list_aliases(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let machine_arn = machine_arn(req)?;
    let page = Page::read(req)?;
    if service.starter().state_machine(machine_arn).is_none() {
        return Err(ApiError::StateMachineDoesNotExist(machine_arn.to_owned()));
    }
    let items: Vec<Json> = service
        .starter()
        .versions()
        .aliases_of(machine_arn)
        .iter()
        .map(|a| {
            json!({
                "stateMachineAliasArn": a.arn,
                "creationDate": epoch_seconds(a.created),
            })
        })
        .collect();
    let (items, next) = page.take(items);
    let mut out = json!({ "stateMachineAliases": items });
    if let Some(token) = next {
        out["nextToken"] = Json::String(token);
    }
    Ok(out)
}

/// DeleteStateMachineAlias.
pub(crate) async fn delete_alias(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let arn = alias_arn(req)?;
    if !service.starter().versions().delete_alias(arn).await? {
        return Err(ApiError::ResourceNotFound(arn.to_owned()));
    }
    Ok(json!({}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_names() {
        assert!(alias_name_ok("PROD"));
        assert!(alias_name_ok("v1.2-beta_3"));
        assert!(!alias_name_ok("12"));
        assert!(!alias_name_ok("a b"));
        assert!(!alias_name_ok("a:b"));
    }
}
