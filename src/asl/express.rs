//! WARNING diagnostics for EXPRESS state machines: the integration patterns
//! AWS refuses for them, which expressway runs on purpose.
//!
//! AWS: "Express Workflows do not support Run a Job (.sync) or Wait for
//! Callback (.waitForTaskToken)" (developer guide, `connect-to-resource.html`
//! and `integrate-optimized.html`), so CreateStateMachine refuses such an
//! EXPRESS definition. expressway keeps them runnable (a 3-D Secure callback
//! inside an Express workflow is the use case), and says so in
//! ValidateStateMachineDefinition's diagnostics with severity WARNING.

use super::{Diagnostic, Severity};
use crate::json::Value;
use simd_json::prelude::*;

/// The diagnostic code: a Task state's Resource AWS finds invalid for the
/// machine type (the API reference's `INVALID_RESOURCE`).
pub(super) const CODE: &str = "INVALID_RESOURCE";

/// Most nested state scopes (Parallel branches, Map processors) walked.
const MAX_SCOPE_DEPTH: usize = 64;

/// One WARNING per Task state (at any depth: Parallel branches, Map
/// `ItemProcessor` / `Iterator`) whose Resource uses the Run a Job
/// (`.sync`, `.sync:2`) or Wait for Callback (`.waitForTaskToken`) pattern:
/// a scope's states in order, then its nested scopes; located at its `Resource` as AWS writes locations
/// (`/States/P/Branches[0]/States/T/Resource`). Definitions that are not
/// objects give none (validation reports those).
pub fn express_warnings(definition: &Value) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    // (scope object holding `States`, its location), walked without recursion.
    let mut scopes: Vec<(&Value, String, usize)> = vec![(definition, String::new(), 0)];
    while let Some((scope, at, depth)) = scopes.pop() {
        let Some(states) = scope.get("States").and_then(|s| s.as_object()) else {
            continue;
        };
        let mut nested = Vec::new();
        for (name, state) in states.iter() {
            let here = format!("{at}/States/{name}");
            match state.get("Type").and_then(|t| t.as_str()) {
                Some("Task") => {
                    if let Some(pattern) = state
                        .get("Resource")
                        .and_then(|r| r.as_str())
                        .and_then(pattern)
                    {
                        out.push(Diagnostic {
                            severity: Severity::Warning,
                            code: CODE,
                            message: format!(
                                "Express state machines do not support the {pattern} integration \
                                 pattern: AWS refuses this definition for an EXPRESS state \
                                 machine; expressway runs it"
                            ),
                            location: format!("{here}/Resource"),
                        });
                    }
                }
                Some("Parallel") if depth < MAX_SCOPE_DEPTH => {
                    if let Some(branches) = state.get("Branches").and_then(|b| b.as_array()) {
                        for (i, branch) in branches.iter().enumerate() {
                            nested.push((branch, format!("{here}/Branches[{i}]"), depth + 1));
                        }
                    }
                }
                Some("Map") if depth < MAX_SCOPE_DEPTH => {
                    for field in ["ItemProcessor", "Iterator"] {
                        if let Some(processor) = state.get(field) {
                            nested.push((processor, format!("{here}/{field}"), depth + 1));
                        }
                    }
                }
                _ => {}
            }
        }
        // Depth-first in document order: the stack pops the last pushed first.
        scopes.extend(nested.into_iter().rev());
    }
    out
}

/// The integration pattern a Resource ARN asks for, when Express refuses it.
fn pattern(resource: &str) -> Option<&'static str> {
    if resource.ends_with(".waitForTaskToken") {
        Some("Wait for Callback (.waitForTaskToken)")
    } else if resource.ends_with(".sync") || resource.ends_with(".sync:2") {
        Some("Run a Job (.sync)")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warnings(def: &str) -> Vec<(String, String)> {
        let v = crate::json::parse(def).expect("JSON");
        express_warnings(&v)
            .into_iter()
            .map(|d| {
                assert_eq!(d.severity, Severity::Warning);
                assert_eq!(d.code, CODE);
                (d.location, d.message)
            })
            .collect()
    }

    #[test]
    fn callback_and_sync_tasks_at_any_depth() {
        let def = r#"{"StartAt":"A","States":{
          "A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken","Next":"P"},
          "P":{"Type":"Parallel","Next":"M","Branches":[
            {"StartAt":"B","States":{"B":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2","End":true}}},
            {"StartAt":"C","States":{"C":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}}]},
          "M":{"Type":"Map","End":true,"ItemProcessor":{"StartAt":"D","States":{
            "D":{"Type":"Task","Resource":"arn:aws:states:::ecs:runTask.sync","End":true}}}}}}"#;
        let got = warnings(def);
        let locations: Vec<&str> = got.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(
            locations,
            [
                "/States/A/Resource",
                "/States/P/Branches[0]/States/B/Resource",
                "/States/M/ItemProcessor/States/D/Resource",
            ]
        );
        assert!(got[0].1.contains(".waitForTaskToken"), "{}", got[0].1);
        assert!(got[2].1.contains("(.sync)"), "{}", got[2].1);
        assert!(got[0].1.contains("expressway runs it"), "{}", got[0].1);
    }

    #[test]
    fn request_response_and_non_objects_give_none() {
        assert!(warnings(
            r#"{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","End":true}}}"#
        )
        .is_empty());
        assert!(warnings("[]").is_empty());
        assert!(warnings(r#"{"States":{"A":{"Type":"Pass"}}}"#).is_empty());
        // The legacy Iterator is walked too.
        assert_eq!(
            warnings(
                r#"{"StartAt":"M","States":{"M":{"Type":"Map","End":true,"Iterator":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sns:publish.waitForTaskToken","End":true}}}}}}"#
            )
            .len(),
            1
        );
    }
}
