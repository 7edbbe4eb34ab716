//! The operations: one function per `X-Amz-Target`, each taking the parsed
//! request body and returning the response body or an [`ApiError`].

pub(crate) mod activities;
pub(crate) mod callbacks;
pub(crate) mod executions;
pub(crate) mod history;
pub(crate) mod machines;
pub(crate) mod map_runs;
pub(crate) mod nested;
pub(crate) mod tags;
pub(crate) mod test_state;
pub(crate) mod versions;
pub(crate) mod wire;

use base64::Engine as _;

use super::error::ApiError;
use super::Service;

/// An operation's answer: a JSON tree (the generic path) or a body already
/// serialised ([`wire`], the start operations).
pub(crate) enum Reply {
    /// A response tree, serialised by the server.
    Json(serde_json::Value),
    /// The response body, serialised once.
    Body(String),
}

impl Reply {
    /// The response body.
    pub(crate) fn into_body(self) -> String {
        match self {
            Reply::Json(json) => json.to_string(),
            Reply::Body(body) => body,
        }
    }
}

/// Runs operation `op` on `body`. `region` is the region new ARNs use.
///
/// # Errors
/// The operation's error; [`ApiError::UnknownOperation`] for an unknown `op`.
pub(crate) async fn dispatch(
    service: &Service,
    op: &str,
    body: &serde_json::Value,
    region: &str,
) -> Result<serde_json::Value, ApiError> {
    let req = Request::new(body)?;
    match op {
        "CreateStateMachine" => machines::create(service, &req, region).await,
        "DescribeStateMachine" => machines::describe(service, &req),
        "ListStateMachines" => machines::list(service, &req),
        "UpdateStateMachine" => machines::update(service, &req).await,
        "DeleteStateMachine" => machines::delete(service, &req).await,
        "ValidateStateMachineDefinition" => machines::validate(&req),
        "StartSyncExecution" => executions::start_sync(service, &req).await,
        "StartExecution" => executions::start(service, &req).await,
        "DescribeExecution" => executions::describe(service, &req).await,
        "StopExecution" => executions::stop(service, &req).await,
        "ListExecutions" => executions::list(service, &req).await,
        "SendTaskSuccess" => callbacks::success(service, &req).await,
        "SendTaskFailure" => callbacks::failure(service, &req).await,
        "SendTaskHeartbeat" => callbacks::heartbeat(service, &req).await,
        "CreateActivity" => activities::create(service, &req, region),
        "DescribeActivity" => activities::describe(service, &req),
        "ListActivities" => activities::list(service, &req),
        "DeleteActivity" => activities::delete(service, &req),
        "GetActivityTask" => activities::get_task(service, &req).await,
        "TestState" => test_state::test_state(service, &req).await,
        "TagResource" => tags::tag(service, &req).await,
        "UntagResource" => tags::untag(service, &req).await,
        "ListTagsForResource" => tags::list(service, &req),
        "GetExecutionHistory" => history::get_history(service, &req).await,
        "DescribeStateMachineForExecution" => history::describe_machine(service, &req).await,
        "RedriveExecution" => history::redrive(service, &req).await,
        "PublishStateMachineVersion" => versions::publish(service, &req).await,
        "ListStateMachineVersions" => versions::list_versions(service, &req),
        "DeleteStateMachineVersion" => versions::delete_version(service, &req).await,
        "CreateStateMachineAlias" => versions::create_alias(service, &req).await,
        "DescribeStateMachineAlias" => versions::describe_alias(service, &req),
        "UpdateStateMachineAlias" => versions::update_alias(service, &req).await,
        "ListStateMachineAliases" => versions::list_aliases(service, &req),
        "DeleteStateMachineAlias" => versions::delete_alias(service, &req).await,
        "DescribeMapRun" => map_runs::describe(service, &req),
        "ListMapRuns" => map_runs::list(service, &req).await,
        "UpdateMapRun" => map_runs::update(service, &req),
        #[cfg(test)]
        "TestPanic" => panic!("a handler bug"),
        _ => Err(ApiError::UnknownOperation(format!(
            "Operation {op} is not supported."
        ))),
    }
}

/// A request body: a JSON object whose fields are read with type checks.
pub(crate) struct Request<'a> {
    fields: &'a serde_json::Map<String, serde_json::Value>,
}

fn wrong_type(field: &str, expected: &str) -> ApiError {
    ApiError::Serialization(format!(
        "Unexpected value type for field '{field}': expected {expected}"
    ))
}

impl<'a> Request<'a> {
    /// Wraps a body, which must be an object.
    ///
    /// # Errors
    /// [`ApiError::Serialization`] when it is not an object.
    pub(crate) fn new(body: &'a serde_json::Value) -> Result<Self, ApiError> {
        body.as_object()
            .map(|fields| Request { fields })
            .ok_or_else(|| ApiError::Serialization("Request body must be a JSON object".into()))
    }

    /// The raw field, `None` when absent or null.
    pub(crate) fn raw(&self, field: &str) -> Option<&'a serde_json::Value> {
        self.fields.get(field).filter(|v| !v.is_null())
    }

    /// A string field.
    ///
    /// # Errors
    /// [`ApiError::Serialization`] when present but not a string.
    pub(crate) fn str(&self, field: &str) -> Result<Option<&'a str>, ApiError> {
        match self.raw(field) {
            None => Ok(None),
            Some(v) => v
                .as_str()
                .map(Some)
                .ok_or_else(|| wrong_type(field, "a string")),
        }
    }

    /// An integer field.
    ///
    /// # Errors
    /// [`ApiError::Serialization`] when present but not an integer.
    pub(crate) fn int(&self, field: &str) -> Result<Option<i64>, ApiError> {
        match self.raw(field) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| wrong_type(field, "an integer")),
        }
    }

    /// A boolean field.
    ///
    /// # Errors
    /// [`ApiError::Serialization`] when present but not a boolean.
    pub(crate) fn bool(&self, field: &str) -> Result<Option<bool>, ApiError> {
        match self.raw(field) {
            None => Ok(None),
            Some(v) => v
                .as_bool()
                .map(Some)
                .ok_or_else(|| wrong_type(field, "a boolean")),
        }
    }

    /// An object field.
    ///
    /// # Errors
    /// [`ApiError::Serialization`] when present but not an object.
    pub(crate) fn object(
        &self,
        field: &str,
    ) -> Result<Option<&'a serde_json::Map<String, serde_json::Value>>, ApiError> {
        match self.raw(field) {
            None => Ok(None),
            Some(v) => v
                .as_object()
                .map(Some)
                .ok_or_else(|| wrong_type(field, "an object")),
        }
    }

    /// An array field.
    ///
    /// # Errors
    /// [`ApiError::Serialization`] when present but not an array.
    pub(crate) fn array(&self, field: &str) -> Result<Option<&'a [serde_json::Value]>, ApiError> {
        match self.raw(field) {
            None => Ok(None),
            Some(v) => v
                .as_array()
                .map(|a| Some(a.as_slice()))
                .ok_or_else(|| wrong_type(field, "an array")),
        }
    }
}

/// Pagination shared by the List operations: `maxResults` 0–1000 (0 = 100)
/// and an opaque `nextToken` (base64 of the offset, prefixed so garbage is
/// recognised).
pub(crate) struct Page {
    /// Index of the first item.
    pub(crate) start: usize,
    /// How many items at most.
    pub(crate) size: usize,
}

const TOKEN_TAG: &str = "expressway-page:";

impl Page {
    /// Reads `maxResults` and `nextToken`.
    ///
    /// # Errors
    /// `ValidationException` for `maxResults` outside 0–1000 or a token over
    /// 1024 characters; `InvalidToken` for a token this server did not issue.
    pub(crate) fn read(req: &Request<'_>) -> Result<Self, ApiError> {
        let max = req.int("maxResults")?;
        let token = req.str("nextToken")?;
        let mut c = super::error::Constraints::default();
        c.range("maxResults", max, 0, 1000);
        c.length("nextToken", token, 1, 1024);
        c.finish()?;
        let size = match max {
            None | Some(0) => 100,
            Some(n) => usize::try_from(n).unwrap_or(100),
        };
        let start = match token {
            None => 0,
            Some(t) => decode_token(t).ok_or(ApiError::InvalidToken)?,
        };
        Ok(Page { start, size })
    }

    /// The items of this page and the token of the next, if any.
    pub(crate) fn take<T>(&self, items: Vec<T>) -> (Vec<T>, Option<String>) {
        let total = items.len();
        let end = self.start.saturating_add(self.size).min(total);
        let page: Vec<T> = items
            .into_iter()
            .skip(self.start)
            .take(end.saturating_sub(self.start))
            .collect();
        let next = (end < total).then(|| encode_token(end));
        (page, next)
    }
}

fn encode_token(offset: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{TOKEN_TAG}{offset}"))
}

fn decode_token(token: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.strip_prefix(TOKEN_TAG)?.parse().ok()
}
