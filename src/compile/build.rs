//! Lowering a validated definition into the state graph.

use std::collections::HashMap;
use std::time::Duration;

use simd_json::prelude::*;

use super::{
    Catcher, ChoiceBranch, Condition, ErrorMatcher, Graph, Handling, IoPath, Items, Jitter,
    JsonataTemplate, Kind, Machine, MapSpec, Number, Payload, ResultPath, Retrier, Seconds, State,
    StateId, StringSource, Transition, WaitFor, EXPRESS_MAX_DURATION,
};
use crate::asl::{Diagnostic, LoadError, Severity};
use crate::compile::choice::ChoiceRule;
use crate::errors::names;
use crate::json::intrinsic::Intrinsic;
use crate::json::jsonata::is_expression;
use crate::json::path::Path;
use crate::json::template::Template;
use crate::json::Value;

pub(super) type Result<T> = std::result::Result<T, LoadError>;

pub(super) fn invalid(location: &str, message: impl Into<String>) -> LoadError {
    LoadError::Invalid(vec![Diagnostic {
        severity: Severity::Error,
        code: "SCHEMA_VALIDATION_FAILED",
        message: message.into(),
        location: location.to_owned(),
    }])
}

/// Which query language the states of a definition default to.
#[derive(Clone, Copy)]
struct Lang {
    /// The top-level `QueryLanguage` is JSONata.
    jsonata: bool,
}

pub(super) fn machine(def: &Value, text: &str) -> Result<Machine> {
    let lang = Lang {
        jsonata: def.get_str("QueryLanguage") == Some("JSONata"),
    };
    let graph = graph(def, "", lang)?;
    let timeout = match def.get("TimeoutSeconds").and_then(|v| v.cast_f64()) {
        Some(s) if s > 0.0 => Duration::from_secs_f64(s.min(1e9)).min(EXPRESS_MAX_DURATION),
        _ => EXPRESS_MAX_DURATION,
    };
    Ok(Machine {
        definition: text.to_owned(),
        graph,
        timeout,
        uses_context: text.contains("$$") || text.contains("$states"),
    })
}

/// Compiles one scope (`{StartAt, States}`) found at `pointer`.
fn graph(scope: &Value, pointer: &str, lang: Lang) -> Result<Graph> {
    let states = scope
        .get("States")
        .and_then(|s| s.as_object())
        .ok_or_else(|| invalid(pointer, "These fields are required: [States]"))?;
    let ids: HashMap<&str, StateId> = states
        .keys()
        .enumerate()
        .map(|(i, k)| (k.as_str(), StateId(i as u32)))
        .collect();
    let start_name = scope
        .get_str("StartAt")
        .ok_or_else(|| invalid(pointer, "These fields are required: [StartAt]"))?;
    let start = *ids.get(start_name).ok_or_else(|| {
        invalid(
            &format!("{pointer}/StartAt"),
            format!("Missing 'Next' target: {start_name}"),
        )
    })?;
    let mut compiled = Vec::with_capacity(states.len());
    for (name, def) in states.iter() {
        let p = format!("{pointer}/States/{}", escape_pointer(name));
        compiled.push(state(name, def, &p, &ids, lang)?);
    }
    Ok(Graph {
        states: compiled,
        start,
    })
}

fn escape_pointer(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

fn target(ids: &HashMap<&str, StateId>, v: Option<&Value>, p: &str) -> Result<StateId> {
    let name = v
        .and_then(|v| v.as_str())
        .ok_or_else(|| invalid(p, "Next must be a string"))?;
    ids.get(name)
        .copied()
        .ok_or_else(|| invalid(p, format!("Missing 'Next' target: {name}")))
}

fn state(
    name: &str,
    def: &Value,
    p: &str,
    ids: &HashMap<&str, StateId>,
    lang: Lang,
) -> Result<State> {
    let jsonata = match def.get_str("QueryLanguage") {
        Some(l) => l == "JSONata",
        None => lang.jsonata,
    };
    let ty = def
        .get_str("Type")
        .ok_or_else(|| invalid(p, "These fields are required: [Type]"))?;
    let transition = if def.get_bool("End") == Some(true) {
        Transition::End
    } else if def.get("Next").is_some() {
        Transition::Next(target(ids, def.get("Next"), &format!("{p}/Next"))?)
    } else {
        Transition::End
    };
    let (type_name, kind): (&'static str, Kind) = match ty {
        "Pass" => (
            "Pass",
            Kind::Pass {
                result: def.get("Result").cloned(),
            },
        ),
        "Task" => (
            "Task",
            Kind::Task {
                resource: super::Resource::new(
                    def.get_str("Resource")
                        .ok_or_else(|| invalid(p, "These fields are required: [Resource]"))?,
                ),
                timeout: seconds(def, "TimeoutSeconds", p, jsonata)?,
                heartbeat: seconds(def, "HeartbeatSeconds", p, jsonata)?,
            },
        ),
        "Choice" => ("Choice", choice(def, p, ids, jsonata)?),
        "Wait" => ("Wait", Kind::Wait(wait(def, p, jsonata)?)),
        "Succeed" => ("Succeed", Kind::Succeed),
        "Fail" => (
            "Fail",
            Kind::Fail {
                error: string_source(def, "Error", p, jsonata)?,
                cause: string_source(def, "Cause", p, jsonata)?,
            },
        ),
        "Parallel" => {
            let branches = def
                .get_array("Branches")
                .ok_or_else(|| invalid(p, "These fields are required: [Branches]"))?
                .iter()
                .enumerate()
                .map(|(i, b)| graph(b, &format!("{p}/Branches/{i}"), lang))
                .collect::<Result<Vec<_>>>()?;
            ("Parallel", Kind::Parallel { branches })
        }
        "Map" => (
            "Map",
            Kind::Map(Box::new(map(def, name, p, lang, jsonata)?)),
        ),
        other => {
            return Err(invalid(
                &format!("{p}/Type"),
                format!("unknown state type {other}"),
            ))
        }
    };
    // The deprecated Map `Parameters` is the ItemSelector, not a Parameters template.
    let parameters = if ty == "Map" {
        None
    } else {
        template(def.get("Parameters"), &format!("{p}/Parameters"))?
    };
    let result_measure = match &kind {
        Kind::Pass { result: Some(r) } => Some(crate::json::size::measure(r)),
        _ => None,
    };
    Ok(State {
        name: name.into(),
        type_name,
        kind,
        input_path: io_path(def, "InputPath", p)?,
        parameters,
        result_selector: template(def.get("ResultSelector"), &format!("{p}/ResultSelector"))?,
        result_path: result_path(def, p)?,
        output_path: io_path(def, "OutputPath", p)?,
        handling: handling(def, p, ids, jsonata)?,
        transition,
        jsonata,
        arguments: match jsonata {
            true => jsonata_field(def, "Arguments", p)?,
            false => None,
        },
        output: match jsonata {
            true => jsonata_field(def, "Output", p)?,
            false => None,
        },
        assign: assign(def, p, jsonata)?,
        result_measure,
    })
}

/// A JSONata field of `def`, when present.
fn jsonata_field(def: &Value, field: &str, p: &str) -> Result<Option<JsonataTemplate>> {
    match def.get(field) {
        None => Ok(None),
        Some(v) => JsonataTemplate::compile(v, field)
            .map(Some)
            .map_err(|e| invalid(&format!("{p}/{field}"), e.to_string())),
    }
}

/// `Assign` in the state's language: a Payload Template whose keys may end
/// in `.$` (JSONPath), or a JSONata template.
fn assign(def: &Value, p: &str, jsonata: bool) -> Result<Option<Payload>> {
    payload(def.get("Assign"), "Assign", &format!("{p}/Assign"), jsonata)
}

pub(super) fn payload(
    v: Option<&Value>,
    field: &str,
    p: &str,
    jsonata: bool,
) -> Result<Option<Payload>> {
    match v {
        None => Ok(None),
        Some(v) if jsonata => JsonataTemplate::compile(v, field)
            .map(|t| Some(Payload::Jsonata(t)))
            .map_err(|e| invalid(p, e.to_string())),
        Some(v) => Ok(template(Some(v), p)?.map(Payload::Path)),
    }
}

/// A JSONata expression string given for a field that otherwise takes a
/// literal (`Seconds`, `MaxConcurrency`, …).
fn expression(v: &Value, field: &str, p: &str) -> Result<Option<JsonataTemplate>> {
    match v.as_str() {
        Some(s) if is_expression(s) => JsonataTemplate::compile(v, field)
            .map(Some)
            .map_err(|e| invalid(&format!("{p}/{field}"), e.to_string())),
        _ => Ok(None),
    }
}

fn path(text: &str, p: &str) -> Result<Path> {
    Path::parse(text).map_err(|e| invalid(p, e.to_string()))
}

fn reference_path(text: &str, p: &str) -> Result<Path> {
    Path::parse_reference(text).map_err(|e| invalid(p, e.to_string()))
}

fn io_path(def: &Value, field: &str, p: &str) -> Result<IoPath> {
    match def.get(field) {
        None => Ok(IoPath::Identity),
        Some(v) if v.is_null() => Ok(IoPath::Empty),
        Some(v) => match v.as_str() {
            Some("$") => Ok(IoPath::Identity),
            Some(s) => Ok(IoPath::Path(path(s, &format!("{p}/{field}"))?)),
            None => Err(invalid(
                &format!("{p}/{field}"),
                format!("{field} must be a string"),
            )),
        },
    }
}

fn result_path(def: &Value, p: &str) -> Result<ResultPath> {
    match def.get("ResultPath") {
        None => Ok(ResultPath::Replace),
        Some(v) if v.is_null() => Ok(ResultPath::Discard),
        Some(v) => match v.as_str() {
            Some("$") => Ok(ResultPath::Replace),
            Some(s) => Ok(ResultPath::Path(reference_path(
                s,
                &format!("{p}/ResultPath"),
            )?)),
            None => Err(invalid(
                &format!("{p}/ResultPath"),
                "ResultPath must be a string",
            )),
        },
    }
}

fn template(v: Option<&Value>, p: &str) -> Result<Option<Template>> {
    match v {
        None => Ok(None),
        Some(v) => Template::compile(v)
            .map(Some)
            .map_err(|e| invalid(p, e.to_string())),
    }
}

fn seconds(def: &Value, field: &str, p: &str, jsonata: bool) -> Result<Option<Seconds>> {
    if let Some(v) = def.get(field) {
        if jsonata {
            if let Some(t) = expression(v, field, p)? {
                return Ok(Some(Seconds::Jsonata(t)));
            }
        }
        let s = v.as_u64().ok_or_else(|| {
            invalid(
                &format!("{p}/{field}"),
                format!("{field} must be a positive integer"),
            )
        })?;
        return Ok(Some(Seconds::Fixed(s)));
    }
    let pf = format!("{field}Path");
    match def.get_str(&pf) {
        Some(s) => Ok(Some(Seconds::Path(reference_path(
            s,
            &format!("{p}/{pf}"),
        )?))),
        None => Ok(None),
    }
}

pub(super) fn number(def: &Value, field: &str, p: &str, jsonata: bool) -> Result<Option<Number>> {
    if let Some(v) = def.get(field) {
        if jsonata {
            if let Some(t) = expression(v, field, p)? {
                return Ok(Some(Number::Jsonata(t)));
            }
        }
        let n = v
            .cast_f64()
            .ok_or_else(|| invalid(&format!("{p}/{field}"), format!("{field} must be a number")))?;
        return Ok(Some(Number::Fixed(n)));
    }
    let pf = format!("{field}Path");
    match def.get_str(&pf) {
        Some(s) => Ok(Some(Number::Path(reference_path(s, &format!("{p}/{pf}"))?))),
        None => Ok(None),
    }
}

fn string_source(def: &Value, field: &str, p: &str, jsonata: bool) -> Result<StringSource> {
    if jsonata {
        if let Some(v) = def.get(field) {
            if let Some(t) = expression(v, field, p)? {
                return Ok(StringSource::Jsonata(t));
            }
        }
    }
    if let Some(s) = def.get_str(field) {
        return Ok(StringSource::Fixed(s.into()));
    }
    let pf = format!("{field}Path");
    match def.get_str(&pf) {
        None => Ok(StringSource::None),
        Some(s) if s.starts_with(names::PREFIX) => Intrinsic::parse(s)
            .map(StringSource::Intrinsic)
            .map_err(|e| invalid(&format!("{p}/{pf}"), e.to_string())),
        Some(s) => Ok(StringSource::Path(path(s, &format!("{p}/{pf}"))?)),
    }
}

fn wait(def: &Value, p: &str, jsonata: bool) -> Result<WaitFor> {
    if jsonata {
        if let Some(v) = def.get("Seconds") {
            if let Some(t) = expression(v, "Seconds", p)? {
                return Ok(WaitFor::SecondsExpr(t));
            }
        }
        if let Some(v) = def.get("Timestamp") {
            if let Some(t) = expression(v, "Timestamp", p)? {
                return Ok(WaitFor::TimestampExpr(t));
            }
        }
    }
    if let Some(v) = def.get("Seconds") {
        let s = v.as_u64().ok_or_else(|| {
            invalid(
                &format!("{p}/Seconds"),
                "Seconds must be a non-negative integer",
            )
        })?;
        return Ok(WaitFor::Seconds(s));
    }
    if let Some(s) = def.get_str("Timestamp") {
        return Ok(WaitFor::Timestamp(s.into()));
    }
    if let Some(s) = def.get_str("SecondsPath") {
        return Ok(WaitFor::SecondsPath(reference_path(
            s,
            &format!("{p}/SecondsPath"),
        )?));
    }
    if let Some(s) = def.get_str("TimestampPath") {
        return Ok(WaitFor::TimestampPath(reference_path(
            s,
            &format!("{p}/TimestampPath"),
        )?));
    }
    Err(invalid(
        p,
        "A Wait state needs one of Seconds, Timestamp, SecondsPath, TimestampPath",
    ))
}

fn choice(def: &Value, p: &str, ids: &HashMap<&str, StateId>, jsonata: bool) -> Result<Kind> {
    let rules = def
        .get_array("Choices")
        .ok_or_else(|| invalid(p, "These fields are required: [Choices]"))?;
    let mut choices = Vec::with_capacity(rules.len());
    for (i, rule) in rules.iter().enumerate() {
        let rp = format!("{p}/Choices/{i}");
        let next = target(ids, rule.get("Next"), &format!("{rp}/Next"))?;
        let condition = if jsonata {
            let c = rule
                .get("Condition")
                .ok_or_else(|| invalid(&rp, "These fields are required: [Condition]"))?;
            Condition::Jsonata(
                JsonataTemplate::compile(c, "Condition")
                    .map_err(|e| invalid(&format!("{rp}/Condition"), e.to_string()))?,
            )
        } else {
            Condition::Path(ChoiceRule::compile(rule).map_err(|e| invalid(&rp, e.to_string()))?)
        };
        choices.push(ChoiceBranch {
            condition,
            next,
            assign: assign(rule, &rp, jsonata)?,
            output: match jsonata {
                true => jsonata_field(rule, "Output", &rp)?,
                false => None,
            },
        });
    }
    let default = match def.get("Default") {
        Some(v) => Some(target(ids, Some(v), &format!("{p}/Default"))?),
        None => None,
    };
    Ok(Kind::Choice { choices, default })
}

fn map(def: &Value, name: &str, p: &str, lang: Lang, jsonata: bool) -> Result<MapSpec> {
    let (processor, pp) = match def.get("ItemProcessor") {
        Some(v) => (v, format!("{p}/ItemProcessor")),
        None => (
            def.get("Iterator")
                .ok_or_else(|| invalid(p, "These fields are required: [ItemProcessor]"))?,
            format!("{p}/Iterator"),
        ),
    };
    let (selector, sp) = match def.get("ItemSelector") {
        Some(v) => (Some(v), format!("{p}/ItemSelector")),
        None => (def.get("Parameters"), format!("{p}/Parameters")),
    };
    let items = if jsonata {
        Items::Jsonata(jsonata_field(def, "Items", p)?)
    } else {
        Items::Path(io_path(def, "ItemsPath", p)?)
    };
    Ok(MapSpec {
        items,
        item_selector: payload(selector, "ItemSelector", &sp, jsonata)?,
        processor: graph(processor, &pp, lang)?,
        max_concurrency: number(def, "MaxConcurrency", p, jsonata)?,
        tolerated_count: number(def, "ToleratedFailureCount", p, jsonata)?,
        tolerated_percentage: number(def, "ToleratedFailurePercentage", p, jsonata)?,
        distributed: super::distributed::compile(def, processor, name, p, jsonata)?,
    })
}

fn matcher(v: &Value, p: &str) -> Result<ErrorMatcher> {
    let names = v
        .get_array("ErrorEquals")
        .ok_or_else(|| invalid(p, "These fields are required: [ErrorEquals]"))?
        .iter()
        .map(|n| n.as_str().map(Into::into))
        .collect::<Option<Vec<Box<str>>>>()
        .ok_or_else(|| invalid(&format!("{p}/ErrorEquals"), "error names must be strings"))?;
    Ok(ErrorMatcher::new(names))
}

fn handling(def: &Value, p: &str, ids: &HashMap<&str, StateId>, jsonata: bool) -> Result<Handling> {
    let mut h = Handling::default();
    for (i, r) in def
        .get_array("Retry")
        .map(|a| a.as_slice())
        .unwrap_or(&[])
        .iter()
        .enumerate()
    {
        let rp = format!("{p}/Retry/{i}");
        h.retry.push(Retrier {
            matcher: matcher(r, &rp)?,
            interval_seconds: r
                .get("IntervalSeconds")
                .and_then(|v| v.cast_f64())
                .unwrap_or(1.0),
            max_attempts: r
                .get("MaxAttempts")
                .and_then(|v| v.cast_f64())
                .map(|n| n.clamp(0.0, u32::MAX as f64) as u32)
                .unwrap_or(3),
            backoff_rate: r
                .get("BackoffRate")
                .and_then(|v| v.cast_f64())
                .unwrap_or(2.0),
            max_delay_seconds: r.get("MaxDelaySeconds").and_then(|v| v.cast_f64()),
            jitter: if r.get_str("JitterStrategy") == Some("FULL") {
                Jitter::Full
            } else {
                Jitter::None
            },
        });
    }
    for (i, c) in def
        .get_array("Catch")
        .map(|a| a.as_slice())
        .unwrap_or(&[])
        .iter()
        .enumerate()
    {
        let cp = format!("{p}/Catch/{i}");
        h.catch.push(Catcher {
            matcher: matcher(c, &cp)?,
            next: target(ids, c.get("Next"), &format!("{cp}/Next"))?,
            result_path: result_path(c, &cp)?,
            output: match jsonata {
                true => jsonata_field(c, "Output", &cp)?,
                false => None,
            },
            assign: assign(c, &cp, jsonata)?,
        });
    }
    Ok(h)
}
