//! `Retry` and `Catch` on Task, Parallel and Map states: Retriers,
//! Catchers, `ErrorEquals` lists and error names.

use super::check::{child, index, num, Ctx, Lang};
use super::machine::{StateInfo, Transition};
use super::states::MAX_SECONDS;
use super::syntax::PathKind;
use crate::errors::names;
use crate::json::{Object, Value};

/// Longest MaxDelaySeconds AWS accepts.
const MAX_DELAY_SECONDS: i64 = 31_622_401;

/// Whether an error name may be used: any name not starting with `States.`,
/// or a predefined one ([`names::is_predefined`]).
pub(super) fn is_error_name(name: &str) -> bool {
    !name.starts_with(names::PREFIX) || names::is_predefined(name)
}

/// Validates `Retry` at `loc/Retry`.
pub(super) fn retry(cx: &mut Ctx<'_>, st: &Object, loc: &str) {
    let Some(list) = list(cx, st, loc, "Retry") else {
        return;
    };
    let here = child(loc, "Retry");
    let last = list.len().saturating_sub(1);
    for (i, r) in list.iter().enumerate() {
        let rloc = index(&here, i);
        let Value::Object(r) = r else {
            cx.schema("The Retrier must be an object", &rloc);
            continue;
        };
        for key in r.keys() {
            if !matches!(
                key.as_str(),
                "ErrorEquals"
                    | "IntervalSeconds"
                    | "MaxAttempts"
                    | "BackoffRate"
                    | "MaxDelaySeconds"
                    | "JitterStrategy"
                    | "Comment"
            ) {
                cx.schema(format!("Field '{key}' is not supported"), &rloc);
            }
        }
        error_equals(cx, r, &rloc, i == last);
        cx.int_in(r, &rloc, "IntervalSeconds", 1, MAX_SECONDS);
        cx.int_in(r, &rloc, "MaxAttempts", 0, MAX_SECONDS);
        cx.int_in(r, &rloc, "MaxDelaySeconds", 1, MAX_DELAY_SECONDS);
        if let Some(b) = r.get("BackoffRate") {
            if !num(b).is_some_and(|b| b >= 1.0) {
                cx.bad_value(
                    &rloc,
                    "BackoffRate",
                    "a number greater than or equal to 1.0",
                );
            }
        }
        if let Some(j) = cx.string(r, &rloc, "JitterStrategy") {
            if !matches!(j, "FULL" | "NONE") {
                cx.schema(
                    "Value should be one of the following: [NONE, FULL]",
                    &child(&rloc, "JitterStrategy"),
                );
            }
        }
        cx.string(r, &rloc, "Comment");
    }
}

/// Validates `Catch` at `loc/Catch`, adding each catcher's `Next`.
pub(super) fn catch<'a>(
    cx: &mut Ctx<'a>,
    st: &'a Object,
    loc: &str,
    lang: Lang,
    info: &mut StateInfo<'a>,
) {
    let Some(list) = list(cx, st, loc, "Catch") else {
        return;
    };
    let here = child(loc, "Catch");
    let last = list.len().saturating_sub(1);
    for (i, c) in list.iter().enumerate() {
        let cloc = index(&here, i);
        let Value::Object(c) = c else {
            cx.schema("The Catcher must be an object", &cloc);
            continue;
        };
        for key in c.keys() {
            let k = key.as_str();
            let ok = matches!(k, "ErrorEquals" | "Next" | "Assign" | "Comment")
                || (lang == Lang::JsonPath && k == "ResultPath")
                || (lang == Lang::Jsonata && k == "Output");
            if !ok {
                cx.schema(format!("Field '{k}' is not supported"), &cloc);
            }
        }
        error_equals(cx, c, &cloc, i == last);
        match c.get("Next") {
            None => cx.required(&cloc, "Next"),
            Some(Value::String(n)) => info.transitions.push(Transition {
                target: n.as_str(),
                location: child(&cloc, "Next"),
            }),
            Some(_) => cx.bad_value(&cloc, "Next", "a string"),
        }
        match lang {
            Lang::JsonPath => cx.path_field(c, &cloc, "ResultPath", PathKind::Reference, true),
            Lang::Jsonata => {
                if let Some(o) = c.get("Output") {
                    cx.jsonata_value(o, &child(&cloc, "Output"), 1);
                }
            }
        }
        cx.assign(c, &cloc, lang);
    }
}

/// The array at `field`, or `None` (after a diagnostic when not an array).
fn list<'a>(cx: &mut Ctx<'_>, st: &'a Object, loc: &str, field: &str) -> Option<&'a [Value]> {
    match st.get(field)? {
        Value::Array(a) => Some(a.as_slice()),
        _ => {
            cx.bad_value(loc, field, "an array");
            None
        }
    }
}

/// `ErrorEquals`: required, a non-empty array of error names; `States.ALL`
/// alone in its list and only in the last Retrier / Catcher.
fn error_equals(cx: &mut Ctx<'_>, r: &Object, loc: &str, is_last: bool) {
    let list = match r.get("ErrorEquals") {
        None => {
            cx.required(loc, "ErrorEquals");
            return;
        }
        Some(Value::Array(a)) => a,
        Some(_) => {
            cx.bad_value(loc, "ErrorEquals", "an array");
            return;
        }
    };
    let here = child(loc, "ErrorEquals");
    if list.is_empty() {
        cx.schema("Value cannot be empty", &here);
        return;
    }
    let mut has_all = false;
    for (i, e) in list.iter().enumerate() {
        match e {
            Value::String(s) => {
                has_all |= s == names::ALL;
                if !is_error_name(s) {
                    cx.schema(
                        format!("Error name '{s}' is not valid: names starting with 'States.' are reserved"),
                        &index(&here, i),
                    );
                }
            }
            _ => cx.schema("The value must be a string", &index(&here, i)),
        }
    }
    if has_all && (list.len() > 1 || !is_last) {
        cx.schema(
            format!("{} must appear alone and at end of list", names::ALL),
            &here,
        );
    }
}
