//! One state: its `Type`, the fields that type allows in each query
//! language, required and mutually exclusive fields, types and ranges, and
//! the transitions it contributes to its scope.

use simd_json::StaticNode;

use super::check::{child, index, is_jsonata_value, num, Ctx, Lang};
use super::machine::{query_language, scope, StateInfo, Transition};
use super::syntax::PathKind;
use crate::json::{Object, Value};

/// Fields every state may carry.
const COMMON: [&str; 3] = ["Type", "Comment", "QueryLanguage"];

/// Fields a state type allows: in both languages, in JSONPath only, in
/// JSONata only.
struct Fields {
    both: &'static [&'static str],
    json_path: &'static [&'static str],
    jsonata: &'static [&'static str],
}

const IO_PATH: [&str; 2] = ["InputPath", "OutputPath"];

fn fields(ty: &str) -> Option<Fields> {
    Some(match ty {
        "Pass" => Fields {
            both: &["Next", "End", "Assign"],
            json_path: &[
                "InputPath",
                "OutputPath",
                "Parameters",
                "Result",
                "ResultPath",
            ],
            jsonata: &["Output"],
        },
        "Task" => Fields {
            both: &[
                "Next",
                "End",
                "Assign",
                "Resource",
                "Retry",
                "Catch",
                "TimeoutSeconds",
                "HeartbeatSeconds",
                "Credentials",
            ],
            json_path: &[
                "InputPath",
                "OutputPath",
                "Parameters",
                "ResultSelector",
                "ResultPath",
                "TimeoutSecondsPath",
                "HeartbeatSecondsPath",
            ],
            jsonata: &["Arguments", "Output"],
        },
        "Choice" => Fields {
            both: &["Choices", "Default", "Assign"],
            json_path: &IO_PATH,
            jsonata: &["Output"],
        },
        "Wait" => Fields {
            both: &["Next", "End", "Assign", "Seconds", "Timestamp"],
            json_path: &["InputPath", "OutputPath", "SecondsPath", "TimestampPath"],
            jsonata: &["Output"],
        },
        "Succeed" => Fields {
            both: &[],
            json_path: &IO_PATH,
            jsonata: &["Output"],
        },
        "Fail" => Fields {
            both: &["Error", "Cause"],
            json_path: &["ErrorPath", "CausePath"],
            jsonata: &[],
        },
        "Parallel" => Fields {
            both: &["Next", "End", "Assign", "Branches", "Retry", "Catch"],
            json_path: &[
                "InputPath",
                "OutputPath",
                "Parameters",
                "ResultSelector",
                "ResultPath",
            ],
            jsonata: &["Arguments", "Output"],
        },
        "Map" => Fields {
            both: &[
                "Next",
                "End",
                "Assign",
                "Retry",
                "Catch",
                "ItemProcessor",
                "Iterator",
                "ItemSelector",
                "MaxConcurrency",
                "ItemReader",
                "ItemBatcher",
                "ResultWriter",
                "ToleratedFailureCount",
                "ToleratedFailurePercentage",
                "Label",
            ],
            json_path: &[
                "InputPath",
                "OutputPath",
                "Parameters",
                "ResultSelector",
                "ResultPath",
                "ItemsPath",
                "MaxConcurrencyPath",
                "ToleratedFailureCountPath",
                "ToleratedFailurePercentagePath",
            ],
            jsonata: &["Items", "Output"],
        },
        _ => return None,
    })
}

const STATE_TYPES: &str = "[Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map]";

/// Largest TimeoutSeconds / HeartbeatSeconds / IntervalSeconds AWS accepts.
pub(super) const MAX_SECONDS: i64 = 99_999_999;

/// Validates one state at `loc`; returns its transitions.
pub(super) fn state<'a>(cx: &mut Ctx<'a>, v: &'a Value, loc: &str, depth: usize) -> StateInfo<'a> {
    let mut info = StateInfo::default();
    let Value::Object(st) = v else {
        cx.schema("The state must be a JSON object", loc);
        return info;
    };
    let ty = match st.get("Type") {
        None => {
            cx.required(loc, "Type");
            return info;
        }
        Some(Value::String(t)) => t.as_str(),
        Some(_) => {
            cx.bad_value(loc, "Type", "a string");
            return info;
        }
    };
    let Some(allowed) = fields(ty) else {
        cx.schema(
            format!("Value should be one of the following: {STATE_TYPES}"),
            &child(loc, "Type"),
        );
        return info;
    };
    let lang = match st.get("QueryLanguage") {
        None => cx.top_lang,
        Some(_) => {
            let own = query_language(cx, st, loc);
            if own == Lang::JsonPath && cx.top_lang == Lang::Jsonata {
                cx.schema(
                    "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
                    loc,
                );
            }
            own
        }
    };
    field_set(cx, st, loc, &allowed, lang);
    if matches!(ty, "Choice" | "Succeed" | "Fail") {
        info.terminal = matches!(ty, "Succeed" | "Fail");
    } else {
        next_or_end(cx, st, loc, &mut info);
    }
    if lang == Lang::JsonPath {
        for f in ["InputPath", "OutputPath"] {
            cx.path_field(st, loc, f, PathKind::Any, true);
        }
        cx.path_field(st, loc, "ResultPath", PathKind::Reference, true);
        for f in ["Parameters", "ResultSelector"] {
            if let Some(t) = st.get(f) {
                template_object(cx, t, loc, f);
            }
        }
    } else {
        for f in ["Arguments", "Output"] {
            if let Some(t) = st.get(f) {
                cx.jsonata_value(t, &child(loc, f), 1);
            }
        }
    }
    cx.assign(st, loc, lang);
    match ty {
        "Task" => task(cx, st, loc, lang),
        "Choice" => super::choice::choice(cx, st, loc, lang, &mut info),
        "Wait" => wait(cx, st, loc, lang),
        "Fail" => fail(cx, st, loc, lang),
        "Parallel" => parallel(cx, st, loc, depth),
        "Map" => map(cx, st, loc, lang, depth),
        _ => {}
    }
    if matches!(ty, "Task" | "Parallel" | "Map") {
        super::retry::retry(cx, st, loc);
        super::retry::catch(cx, st, loc, lang, &mut info);
    }
    info
}

/// Unknown fields, and fields of the other query language.
fn field_set(cx: &mut Ctx<'_>, st: &Object, loc: &str, allowed: &Fields, lang: Lang) {
    let (own, other) = match lang {
        Lang::JsonPath => (allowed.json_path, allowed.jsonata),
        Lang::Jsonata => (allowed.jsonata, allowed.json_path),
    };
    for key in st.keys() {
        let k = key.as_str();
        if COMMON.contains(&k) || allowed.both.contains(&k) || own.contains(&k) {
            continue;
        }
        if other.contains(&k) {
            let other_lang = match lang {
                Lang::JsonPath => Lang::Jsonata,
                Lang::Jsonata => Lang::JsonPath,
            };
            cx.schema(
                format!(
                    "The QueryLanguage is set to '{}', but field '{k}' is only supported for the '{}' QueryLanguage",
                    lang.name(),
                    other_lang.name()
                ),
                loc,
            );
        } else {
            cx.schema(format!("Field '{k}' is not supported"), loc);
        }
    }
}

/// Exactly one of `Next` (a string) or `End: true`.
fn next_or_end<'a>(cx: &mut Ctx<'a>, st: &'a Object, loc: &str, info: &mut StateInfo<'a>) {
    let end = match st.get("End") {
        None => false,
        Some(Value::Static(StaticNode::Bool(b))) => *b,
        Some(_) => {
            cx.bad_value(loc, "End", "a boolean");
            return;
        }
    };
    let next = cx.string(st, loc, "Next");
    match (st.contains_key("Next"), end) {
        (true, true) => cx.schema(
            "There should only be one of the following fields: [Next, End]",
            loc,
        ),
        (false, false) => cx.schema(
            "This object should have only one of the following fields: [Next, End]",
            loc,
        ),
        _ => {}
    }
    info.terminal = end;
    if let Some(target) = next {
        info.transitions.push(Transition {
            target,
            location: child(loc, "Next"),
        });
    }
}

/// A JSONPath Payload Template field must be an object (or array) template.
fn template_object(cx: &mut Ctx<'_>, v: &Value, loc: &str, field: &str) {
    match v {
        Value::Object(_) | Value::Array(_) => cx.template(v, &child(loc, field), 1),
        _ => cx.bad_value(loc, field, "an object"),
    }
}

/// Seconds fields: a positive integer, or (JSONata) an expression.
fn seconds(cx: &mut Ctx<'_>, st: &Object, loc: &str, field: &str, lang: Lang) -> Option<i64> {
    let v = st.get(field)?;
    if lang == Lang::Jsonata && is_jsonata_value(v) {
        return None;
    }
    cx.int_in(st, loc, field, 1, MAX_SECONDS)
}

fn task(cx: &mut Ctx<'_>, st: &Object, loc: &str, lang: Lang) {
    match st.get("Resource") {
        None => cx.required(loc, "Resource"),
        Some(Value::String(r)) => {
            let expr = lang == Lang::Jsonata && super::check::is_jsonata(r);
            if !(r.starts_with("arn:") || expr) {
                cx.schema("Value is not a valid resource ARN", &child(loc, "Resource"));
            }
        }
        Some(_) => cx.bad_value(loc, "Resource", "a string"),
    }
    cx.at_most_one(st, loc, &["TimeoutSeconds", "TimeoutSecondsPath"]);
    cx.at_most_one(st, loc, &["HeartbeatSeconds", "HeartbeatSecondsPath"]);
    let timeout = seconds(cx, st, loc, "TimeoutSeconds", lang);
    let heartbeat = seconds(cx, st, loc, "HeartbeatSeconds", lang);
    if let (Some(t), Some(h)) = (timeout, heartbeat) {
        if h >= t {
            cx.schema(
                "The value of 'HeartbeatSeconds' must be less than the value of 'TimeoutSeconds'",
                &child(loc, "HeartbeatSeconds"),
            );
        }
    }
    if lang == Lang::JsonPath {
        for f in ["TimeoutSecondsPath", "HeartbeatSecondsPath"] {
            cx.path_field(st, loc, f, PathKind::Reference, false);
        }
    }
    if let Some(c) = st.get("Credentials") {
        match (c, lang) {
            (Value::Object(_), Lang::JsonPath) => cx.template(c, &child(loc, "Credentials"), 1),
            (Value::Object(_), Lang::Jsonata) => cx.jsonata_value(c, &child(loc, "Credentials"), 1),
            _ => cx.bad_value(loc, "Credentials", "an object"),
        }
    }
}

fn wait(cx: &mut Ctx<'_>, st: &Object, loc: &str, lang: Lang) {
    const FIELDS: [&str; 4] = ["SecondsPath", "Seconds", "TimestampPath", "Timestamp"];
    if cx.at_most_one(st, loc, &FIELDS) == 0 {
        cx.schema(
            "This object should have only one of the following fields: [SecondsPath, Seconds, TimestampPath, Timestamp]",
            loc,
        );
    }
    if let Some(v) = st.get("Seconds") {
        if !(lang == Lang::Jsonata && is_jsonata_value(v)) {
            cx.int_in(st, loc, "Seconds", 0, MAX_SECONDS);
        }
    }
    match st.get("Timestamp") {
        Some(Value::String(s)) if lang == Lang::Jsonata && super::check::is_jsonata(s) => {}
        Some(Value::String(s)) if is_timestamp(s) => {}
        Some(Value::String(_)) => cx.schema(
            "String does not match RFC3339 timestamp",
            &child(loc, "Timestamp"),
        ),
        Some(_) => cx.bad_value(loc, "Timestamp", "a string"),
        None => {}
    }
    if lang == Lang::JsonPath {
        for f in ["SecondsPath", "TimestampPath"] {
            cx.path_field(st, loc, f, PathKind::Reference, false);
        }
    }
}

/// RFC 3339 date-time with an uppercase `T` and `Z` or a numeric offset
/// (reference §3, Choice / Wait timestamps).
pub(super) fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    if b.len() < 20
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
        || b[10] != b'T'
        || !digits(11..13)
        || b[13] != b':'
        || !digits(14..16)
        || b[16] != b':'
        || !digits(17..19)
    {
        return false;
    }
    let mut i = 19;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match &b[i..] {
        [b'Z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|d| d.is_ascii_digit()),
        _ => false,
    }
}

fn fail(cx: &mut Ctx<'_>, st: &Object, loc: &str, lang: Lang) {
    cx.at_most_one(st, loc, &["Error", "ErrorPath"]);
    cx.at_most_one(st, loc, &["Cause", "CausePath"]);
    let error = cx.string(st, loc, "Error");
    if let Some(e) = error {
        let expr = lang == Lang::Jsonata && super::check::is_jsonata(e);
        if !expr && !super::retry::is_error_name(e) {
            cx.schema(
                format!(
                    "Error name '{e}' is not valid: names starting with 'States.' are reserved"
                ),
                &child(loc, "Error"),
            );
        }
    }
    cx.string(st, loc, "Cause");
    if lang == Lang::JsonPath {
        for f in ["ErrorPath", "CausePath"] {
            cx.path_or_intrinsic_field(st, loc, f);
        }
    }
}

fn parallel<'a>(cx: &mut Ctx<'a>, st: &'a Object, loc: &str, depth: usize) {
    let branches = match st.get("Branches") {
        None => {
            cx.required(loc, "Branches");
            return;
        }
        Some(Value::Array(a)) => a,
        Some(_) => {
            cx.bad_value(loc, "Branches", "an array");
            return;
        }
    };
    let here = child(loc, "Branches");
    if branches.is_empty() {
        cx.schema("Value cannot be empty", &here);
    }
    for (i, b) in branches.iter().enumerate() {
        let bloc = index(&here, i);
        sub_scope(cx, b, &bloc, &["StartAt", "States", "Comment"], depth);
    }
}

/// A Parallel branch or a Map processor: an object with its own scope.
fn sub_scope<'a>(cx: &mut Ctx<'a>, v: &'a Value, loc: &str, allowed: &[&str], depth: usize) {
    let Value::Object(o) = v else {
        cx.schema("The value must be an object", loc);
        return;
    };
    for key in o.keys() {
        if !allowed.contains(&key.as_str()) {
            cx.schema(format!("Field '{key}' is not supported"), loc);
        }
    }
    cx.string(o, loc, "Comment");
    scope(cx, o, loc, depth + 1);
}

fn map<'a>(cx: &mut Ctx<'a>, st: &'a Object, loc: &str, lang: Lang, depth: usize) {
    let processors = ["ItemProcessor", "Iterator"];
    if cx.at_most_one(st, loc, &processors) == 0 {
        cx.schema(
            "This object should have only one of the following fields: [ItemProcessor, Iterator]",
            loc,
        );
    }
    for f in processors {
        let Some(p) = st.get(f) else { continue };
        let ploc = child(loc, f);
        if let Value::Object(po) = p {
            processor_config(cx, po, &ploc);
        }
        sub_scope(
            cx,
            p,
            &ploc,
            &["StartAt", "States", "Comment", "ProcessorConfig"],
            depth,
        );
    }
    cx.at_most_one(st, loc, &["ItemSelector", "Parameters"]);
    cx.at_most_one(st, loc, &["MaxConcurrency", "MaxConcurrencyPath"]);
    cx.at_most_one(
        st,
        loc,
        &["ToleratedFailureCount", "ToleratedFailureCountPath"],
    );
    cx.at_most_one(
        st,
        loc,
        &[
            "ToleratedFailurePercentage",
            "ToleratedFailurePercentagePath",
        ],
    );
    let expr = |f: &str| lang == Lang::Jsonata && st.get(f).is_some_and(is_jsonata_value);
    if !expr("MaxConcurrency") {
        cx.int_in(st, loc, "MaxConcurrency", 0, i64::MAX);
    }
    if !expr("ToleratedFailureCount") {
        cx.int_in(st, loc, "ToleratedFailureCount", 0, i64::MAX);
    }
    if !expr("ToleratedFailurePercentage") {
        if let Some(v) = st.get("ToleratedFailurePercentage") {
            if !num(v).is_some_and(|p| (0.0..=100.0).contains(&p)) {
                cx.bad_value(
                    loc,
                    "ToleratedFailurePercentage",
                    "a number between 0 and 100",
                );
            }
        }
    }
    if let Some(sel) = st.get("ItemSelector") {
        match lang {
            Lang::JsonPath => template_object(cx, sel, loc, "ItemSelector"),
            Lang::Jsonata => cx.jsonata_value(sel, &child(loc, "ItemSelector"), 1),
        }
    }
    if lang == Lang::JsonPath {
        cx.path_field(st, loc, "ItemsPath", PathKind::Any, false);
        for f in [
            "MaxConcurrencyPath",
            "ToleratedFailureCountPath",
            "ToleratedFailurePercentagePath",
        ] {
            cx.path_field(st, loc, f, PathKind::Reference, false);
        }
    } else if let Some(items) = st.get("Items") {
        cx.jsonata_value(items, &child(loc, "Items"), 1);
    }
    let distributed = processors.iter().any(|f| match st.get(*f) {
        Some(Value::Object(p)) => match p.get("ProcessorConfig") {
            Some(Value::Object(c)) => {
                matches!(c.get("Mode"), Some(Value::String(m)) if m == "DISTRIBUTED")
            }
            _ => false,
        },
        _ => false,
    });
    super::distributed::fields(cx, st, loc, lang, distributed);
}

/// `ProcessorConfig{Mode INLINE|DISTRIBUTED, ExecutionType STANDARD|EXPRESS}`.
fn processor_config(cx: &mut Ctx<'_>, processor: &Object, ploc: &str) {
    let Some(cfg) = processor.get("ProcessorConfig") else {
        return;
    };
    let cloc = child(ploc, "ProcessorConfig");
    let Value::Object(cfg) = cfg else {
        cx.bad_value(ploc, "ProcessorConfig", "an object");
        return;
    };
    for key in cfg.keys() {
        if !matches!(key.as_str(), "Mode" | "ExecutionType") {
            cx.schema(format!("Field '{key}' is not supported"), &cloc);
        }
    }
    let mode = cx.string(cfg, &cloc, "Mode");
    if mode.is_some_and(|m| !matches!(m, "INLINE" | "DISTRIBUTED")) {
        cx.schema(
            "Value should be one of the following: [INLINE, DISTRIBUTED]",
            &child(&cloc, "Mode"),
        );
    }
    let et = cx.string(cfg, &cloc, "ExecutionType");
    if et.is_some_and(|m| !matches!(m, "STANDARD" | "EXPRESS")) {
        cx.schema(
            "Value should be one of the following: [STANDARD, EXPRESS]",
            &child(&cloc, "ExecutionType"),
        );
    }
    if mode == Some("DISTRIBUTED") && et.is_none() {
        cx.required(&cloc, "ExecutionType");
    }
}
