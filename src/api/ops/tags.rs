//! TagResource, UntagResource, ListTagsForResource (state machines only).

use serde_json::{json, Value as Json};

use super::machines::read_tags;
use super::Request;
use crate::api::error::{ApiError, Constraints};
use crate::api::Service;
use crate::start::arn;

/// At most this many tags per resource (reference §2).
pub(crate) const MAX_TAGS: usize = 50;

/// Reads and checks `resourceArn`.
fn resource_arn<'a>(req: &Request<'a>) -> Result<&'a str, ApiError> {
    let value = req.str("resourceArn")?;
    let mut c = Constraints::default();
    c.required("resourceArn", value);
    c.length("resourceArn", value, 1, 256);
    c.finish()?;
    let value = value.unwrap_or_default();
    arn::parse_state_machine(value, false)?;
    Ok(value)
}

/// TagResource: adds tags, replacing the value of an existing key.
pub(crate) async fn tag(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let resource = resource_arn(req)?;
    let mut c = Constraints::default();
    c.required("tags", req.array("tags")?);
    c.finish()?;
    let tags = read_tags(req)?;
    service
        .starter()
        .update_machine(resource, |sm| {
            let mut merged = sm.tags.clone();
            for (key, value) in tags {
                match merged.iter_mut().find(|(k, _)| *k == key) {
                    Some(slot) => slot.1 = value,
                    None => merged.push((key, value)),
                }
            }
            if merged.len() > MAX_TAGS {
                return Err(ApiError::TooManyTags(resource.to_owned()));
            }
            sm.tags = merged;
            Ok(())
        })
        .await
        .ok_or_else(|| ApiError::ResourceNotFound(resource.to_owned()))??;
    Ok(json!({}))
}

/// UntagResource: removes the keys `tagKeys`.
pub(crate) async fn untag(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let resource = resource_arn(req)?;
    let keys = req.array("tagKeys")?;
    let mut c = Constraints::default();
    c.required("tagKeys", keys);
    c.finish()?;
    let keys: Vec<&str> = keys
        .unwrap_or_default()
        .iter()
        .filter_map(Json::as_str)
        .collect();
    service
        .starter()
        .update_machine(resource, |sm| {
            sm.tags.retain(|(k, _)| !keys.contains(&k.as_str()));
            Ok::<(), ApiError>(())
        })
        .await
        .ok_or_else(|| ApiError::ResourceNotFound(resource.to_owned()))??;
    Ok(json!({}))
}

/// ListTagsForResource.
pub(crate) fn list(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let resource = resource_arn(req)?;
    let sm = service
        .starter()
        .state_machine(resource)
        .ok_or_else(|| ApiError::ResourceNotFound(resource.to_owned()))?;
    let tags: Vec<Json> = sm
        .tags
        .iter()
        .map(|(k, v)| json!({"key": k, "value": v}))
        .collect();
    Ok(json!({ "tags": tags }))
}
