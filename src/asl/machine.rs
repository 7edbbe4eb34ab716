//! The machine and its scopes: top-level fields, `StartAt`/`States` of the
//! machine, of each Parallel branch and of each Map processor, state names,
//! transition targets, terminal states and reachability.

use std::collections::{HashMap, HashSet, VecDeque};

use super::check::{
    child, Ctx, Lang, DUPLICATE_NAME, MAX_SCOPE_DEPTH, MISSING_END, MISSING_TARGET,
};
use super::Diagnostic;
use crate::json::{Object, Value};

/// Fields allowed at the top level of a definition.
const TOP_FIELDS: [&str; 6] = [
    "StartAt",
    "States",
    "Comment",
    "Version",
    "TimeoutSeconds",
    "QueryLanguage",
];

/// Longest state name AWS accepts, in characters.
const MAX_STATE_NAME: usize = 80;

/// A transition out of a state: the target name and where it is written.
pub(super) struct Transition<'a> {
    pub(super) target: &'a str,
    pub(super) location: String,
}

/// What a state tells its scope.
#[derive(Default)]
pub(super) struct StateInfo<'a> {
    /// Every `Next`, `Default`, `Choices[i].Next` and `Catch[i].Next`.
    pub(super) transitions: Vec<Transition<'a>>,
    /// The state ends its scope (`End: true`, Succeed, Fail).
    pub(super) terminal: bool,
}

/// Entry point of [`super::validate`].
pub(super) fn validate(definition: &Value) -> Vec<Diagnostic> {
    let mut cx = Ctx::new();
    let Value::Object(top) = definition else {
        cx.schema("The state machine definition must be a JSON object", "");
        return cx.diags;
    };
    for key in top.keys() {
        if !TOP_FIELDS.contains(&key.as_str()) {
            cx.schema(format!("Field '{key}' is not supported"), "");
        }
    }
    cx.string(top, "", "Comment");
    cx.string(top, "", "Version");
    cx.int_in(top, "", "TimeoutSeconds", 1, 99_999_999);
    cx.top_lang = query_language(&mut cx, top, "");
    scope(&mut cx, top, "", 0);
    cx.diags
}

/// Reads an optional `QueryLanguage` field: the language is JSONPath only
/// for the exact string `JSONPath` (AWS resolves any other present value to
/// JSONata, after reporting it).
pub(super) fn query_language(cx: &mut Ctx<'_>, obj: &Object, loc: &str) -> Lang {
    match obj.get("QueryLanguage") {
        None => Lang::JsonPath,
        Some(Value::String(s)) if s == "JSONPath" => Lang::JsonPath,
        Some(Value::String(s)) => {
            if s != "JSONata" {
                cx.schema(
                    "Value should be one of the following: [JSONPath, JSONata]",
                    &child(loc, "QueryLanguage"),
                );
            }
            Lang::Jsonata
        }
        Some(_) => {
            cx.bad_value(loc, "QueryLanguage", "a string");
            Lang::Jsonata
        }
    }
}

/// Validates one scope (`StartAt` + `States`) at `loc`: the machine, a
/// Parallel branch or a Map processor. `depth` counts enclosing scopes.
pub(super) fn scope<'a>(cx: &mut Ctx<'a>, obj: &'a Object, loc: &str, depth: usize) {
    if depth > MAX_SCOPE_DEPTH {
        cx.schema(
            format!("Parallel and Map states may be nested at most {MAX_SCOPE_DEPTH} levels deep"),
            loc,
        );
        return;
    }
    let start = match obj.get("StartAt") {
        None => {
            cx.required(loc, "StartAt");
            None
        }
        Some(_) => cx.string(obj, loc, "StartAt"),
    };
    let states = match obj.get("States") {
        None => {
            cx.required(loc, "States");
            return;
        }
        Some(Value::Object(states)) => states,
        Some(_) => {
            cx.bad_value(loc, "States", "an object");
            return;
        }
    };
    let states_loc = child(loc, "States");
    let mut infos: Vec<(&'a str, String, StateInfo<'a>)> = Vec::with_capacity(states.len());
    for (name, state) in states.iter() {
        let state_loc = child(&states_loc, name);
        if name.chars().count() > MAX_STATE_NAME {
            cx.schema(
                format!("State name '{name}' must be at most {MAX_STATE_NAME} characters long"),
                &state_loc,
            );
        }
        if !cx.names.insert(name.as_str()) {
            cx.error(
                DUPLICATE_NAME,
                format!("Duplicate State name: {name}"),
                &state_loc,
            );
        }
        let info = super::states::state(cx, state, &state_loc, depth);
        infos.push((name.as_str(), state_loc, info));
    }
    if let Some(start) = start {
        if !states.contains_key(start) {
            cx.error(
                MISSING_TARGET,
                format!("Missing 'Next' target: {start}"),
                &child(loc, "StartAt"),
            );
        }
    }
    transitions(cx, states, start, &infos, loc);
}

/// Dangling targets, then a missing terminal state, then unreachable states
/// (AWS's order; a missing terminal state suppresses the reachability walk).
fn transitions(
    cx: &mut Ctx<'_>,
    states: &Object,
    start: Option<&str>,
    infos: &[(&str, String, StateInfo<'_>)],
    loc: &str,
) {
    for (_, _, info) in infos {
        for t in &info.transitions {
            if !states.contains_key(t.target) {
                cx.error(
                    MISSING_TARGET,
                    format!("Missing 'Next' target: {}", t.target),
                    &t.location,
                );
            }
        }
    }
    if infos.is_empty() {
        return;
    }
    if !infos.iter().any(|(_, _, i)| i.terminal) {
        cx.error(MISSING_END, "Workflow has no terminal state", loc);
        return;
    }
    let Some(start) = start.filter(|s| states.contains_key(*s)) else {
        return;
    };
    let edges: HashMap<&str, &StateInfo<'_>> = infos.iter().map(|(n, _, i)| (*n, i)).collect();
    let mut seen: HashSet<&str> = HashSet::with_capacity(infos.len());
    let mut queue = VecDeque::from([start]);
    seen.insert(start);
    while let Some(name) = queue.pop_front() {
        if let Some(info) = edges.get(name) {
            for t in &info.transitions {
                if states.contains_key(t.target) && seen.insert(t.target) {
                    queue.push_back(t.target);
                }
            }
        }
    }
    for (name, state_loc, _) in infos {
        if !seen.contains(name) {
            cx.error(
                MISSING_TARGET,
                format!("State \"{name}\" is not reachable."),
                state_loc,
            );
        }
    }
}
