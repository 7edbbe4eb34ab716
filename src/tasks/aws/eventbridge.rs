//! `events:putEvents`: EventBridge PutEvents.
//!
//! Request: `Entries` (`[{Source, DetailType, Detail, EventBusName,
//! Resources, Time, TraceHeader}]`; a JSON `Detail` is sent as its JSON
//! text). `Time` is an ISO-8601 string or epoch seconds.
//!
//! Result: `{Entries: [{EventId} | {ErrorCode, ErrorMessage}],
//! FailedEntryCount, SdkHttpMetadata, SdkResponseMetadata}`; a
//! `FailedEntryCount` above 0 fails the Task with
//! `EventBridge.FailedEntry` and the result as cause (AWS guide
//! `connect-eventbridge.html`).
//!
//! Not done: the optimized integration also appends the execution and state
//! machine ARNs to each entry's `Resources`; a Task call here does not carry
//! them.

use aws_sdk_eventbridge::operation::put_events::PutEventsError;
use aws_sdk_eventbridge::operation::RequestId;
use aws_sdk_eventbridge::primitives::{DateTime, DateTimeFormat};
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use simd_json::prelude::*;

use super::errors::from_sdk;
use super::metadata::HttpCapture;
use super::params::{invalid, json_text, strings, Params};
use super::resource::Service;
use super::sqs::put;
use crate::errors::ExecError;
use crate::json::{Object, Value};

/// The error of an optimized PutEvents with failed entries.
pub(crate) const FAILED_ENTRY: &str = "EventBridge.FailedEntry";

/// Puts the events `input` describes.
///
/// # Errors
/// As the module [`super`] says; `EventBridge.FailedEntry` when an entry
/// failed.
pub(crate) async fn put_events(
    client: &aws_sdk_eventbridge::Client,
    input: &Value,
) -> Result<Value, ExecError> {
    let p = Params::new(input, "events:putEvents")?;
    let mut entries = Vec::new();
    for (i, e) in p.array("Entries")?.unwrap_or_default().iter().enumerate() {
        entries.push(entry(&format!("Entries[{i}]"), e)?);
    }
    let req = client.put_events().set_entries(Some(entries));
    let capture = HttpCapture::default();
    let out = req
        .customize()
        .interceptor(capture.clone())
        .send()
        .await
        .map_err(|e| from_sdk(Service::EventBridge, e, modeled))?;
    let results: Vec<Value> = out
        .entries()
        .iter()
        .map(|r| {
            let mut o = Object::with_capacity(2);
            put(&mut o, "EventId", r.event_id());
            put(&mut o, "ErrorCode", r.error_code());
            put(&mut o, "ErrorMessage", r.error_message());
            Value::from(o)
        })
        .collect();
    let mut result = Object::with_capacity(4);
    result.insert("Entries".into(), Value::from(results));
    result.insert(
        "FailedEntryCount".into(),
        Value::from(out.failed_entry_count()),
    );
    if out.failed_entry_count() > 0 {
        let cause = crate::json::to_string(&Value::from(result));
        return Err(ExecError::new(FAILED_ENTRY, cause));
    }
    capture.envelope(&mut result, out.request_id());
    Ok(Value::from(result))
}

/// One `PutEventsRequestEntry`.
fn entry(field: &str, v: &Value) -> Result<PutEventsRequestEntry, ExecError> {
    let Some(obj) = v.as_object() else {
        return Err(invalid(field, "an object", v));
    };
    let get = |k: &str| obj.get(k).filter(|v| !v.is_null());
    let string = |k: &str| -> Result<Option<String>, ExecError> {
        match get(k) {
            None => Ok(None),
            Some(v) => v
                .as_str()
                .map(|s| Some(s.to_owned()))
                .ok_or_else(|| invalid(&format!("{field}.{k}"), "a string", v)),
        }
    };
    let resources = match get("Resources") {
        None => None,
        Some(Value::Array(items)) => Some(strings(&format!("{field}.Resources"), items)?),
        Some(other) => return Err(invalid(&format!("{field}.Resources"), "an array", other)),
    };
    let time = match get("Time") {
        None => None,
        Some(t) => Some(timestamp(t).ok_or_else(|| {
            invalid(
                &format!("{field}.Time"),
                "an ISO-8601 timestamp or epoch seconds",
                t,
            )
        })?),
    };
    Ok(PutEventsRequestEntry::builder()
        .set_source(string("Source")?)
        .set_detail_type(string("DetailType")?)
        .set_detail(get("Detail").map(|d| json_text(d).into_owned()))
        .set_event_bus_name(string("EventBusName")?)
        .set_resources(resources)
        .set_time(time)
        .set_trace_header(string("TraceHeader")?)
        .build())
}

/// A timestamp from ISO-8601 text or epoch seconds.
fn timestamp(v: &Value) -> Option<DateTime> {
    match v.as_str() {
        Some(s) => DateTime::from_str(s, DateTimeFormat::DateTimeWithOffset).ok(),
        None => v.as_f64().map(DateTime::from_secs_f64),
    }
}

/// The declared error shape of a PutEvents error.
fn modeled(e: &PutEventsError) -> Option<&'static str> {
    match e {
        PutEventsError::InternalException(_) => Some("InternalException"),
        _ => None,
    }
}
