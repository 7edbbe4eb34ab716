//! A state machine's definition as a graph for the console to lay out:
//! states as nodes with their type, transitions, Choice Rules, Catch and
//! Retry as edges, Parallel branches and Map ItemProcessors as nested
//! clusters.
//!
//! Node ids are prefixed so that no state name can collide with a node the
//! drawing adds: `s:NAME` is the state `NAME` (state names are unique over
//! the whole machine, ASL "States"), `x:start` / `x:end` are the Start and
//! End markers, `x:join:NAME` is where the branches or iterations of the
//! Parallel or Map state `NAME` meet. Clusters are `c:NAME` (the Parallel or
//! Map state with everything it runs) and `c:NAME:I` (its branch `I`, or
//! its ItemProcessor as branch 0).
//!
//! The drawing follows the Step Functions console's graph view (AWS guide
//! `workflow-studio.html`): a Parallel or Map state is a box around its
//! branches, entered at its own node at the top and left from its join node
//! at the bottom; edges leaving the state (Next, End, Catch) leave from the
//! join node.

use serde::Serialize;
use serde_json::Value as Json;

/// The longest label drawn on an edge, in characters.
const MAX_LABEL_CHARS: usize = 48;

/// One node of the drawing.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct Node {
    /// Node id (see the module docs).
    pub(crate) id: String,
    /// The state name (empty for the Start, End and join markers).
    pub(crate) state: String,
    /// The ASL `Type` (`Task`, `Choice`, …), or `Start`, `End`, `Join`.
    #[serde(rename = "type")]
    pub(crate) kind: String,
    /// The cluster it is drawn in, if any.
    pub(crate) parent: Option<String>,
    /// A Task's `Resource`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) resource: Option<String>,
}

/// One cluster: a Parallel or Map state, or one of its branches.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct Cluster {
    /// Cluster id (see the module docs).
    pub(crate) id: String,
    /// What the box is labelled with.
    pub(crate) label: String,
    /// `Parallel`, `Map` (the state's box) or `Branch` (a branch or ItemProcessor).
    pub(crate) kind: String,
    /// The state this cluster belongs to.
    pub(crate) state: String,
    /// The enclosing cluster, if any.
    pub(crate) parent: Option<String>,
}

/// One edge.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct Edge {
    /// Node id it leaves.
    pub(crate) source: String,
    /// Node id it enters.
    pub(crate) target: String,
    /// The state it belongs to (empty for the Start marker's edge).
    pub(crate) from: String,
    /// The state it leads to (empty for an edge to End or a join marker).
    pub(crate) to: String,
    /// `start`, `next`, `end`, `choice`, `default`, `catch`, `retry`,
    /// `branch` (into a branch) or `join` (out of a branch).
    pub(crate) kind: &'static str,
    /// The label: a Choice Rule, a Catcher's or Retrier's `ErrorEquals`.
    pub(crate) label: String,
}

/// The whole drawing.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Drawing {
    /// Every node, states and markers.
    pub(crate) nodes: Vec<Node>,
    /// Every cluster, outer ones first.
    pub(crate) clusters: Vec<Cluster>,
    /// Every edge.
    pub(crate) edges: Vec<Edge>,
}

/// The node id of state `name`.
pub(crate) fn state_id(name: &str) -> String {
    format!("s:{name}")
}

/// Why a definition cannot be drawn (never the case for a definition that
/// passed validation); the console answers it as a 400.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DrawError {
    /// The text is not JSON.
    #[error("{0}")]
    Json(#[from] serde_json::Error),
    /// No `StartAt` string.
    #[error("the definition has no StartAt")]
    NoStartAt,
    /// No `States` object.
    #[error("the definition has no States")]
    NoStates,
}

/// Draws a definition (ASL JSON text).
///
/// # Errors
/// [`DrawError`]: the text is not a JSON object with `StartAt` and `States`.
pub(crate) fn draw(definition: &str) -> Result<Drawing, DrawError> {
    let def: Json = serde_json::from_str(definition)?;
    let mut d = Drawing::default();
    d.nodes.push(marker("x:start", "Start", None));
    d.nodes.push(marker("x:end", "End", None));
    let start = def
        .get("StartAt")
        .and_then(Json::as_str)
        .ok_or(DrawError::NoStartAt)?;
    if def.get("States").and_then(Json::as_object).is_none() {
        return Err(DrawError::NoStates);
    }
    d.edges.push(Edge {
        source: "x:start".into(),
        target: state_id(start),
        from: String::new(),
        to: start.into(),
        kind: "start",
        label: String::new(),
    });
    scope(&mut d, &def, None, "x:end");
    Ok(d)
}

fn marker(id: &str, kind: &str, parent: Option<&str>) -> Node {
    Node {
        id: id.into(),
        state: String::new(),
        kind: kind.into(),
        parent: parent.map(str::to_owned),
        resource: None,
    }
}

/// Draws the states of one scope (`{StartAt, States}`) inside `cluster`;
/// states that end the scope lead to `exit`.
fn scope(d: &mut Drawing, graph: &Json, cluster: Option<&str>, exit: &str) {
    let Some(states) = graph.get("States").and_then(Json::as_object) else {
        return;
    };
    for (name, st) in states {
        state(d, name, st, cluster, exit);
    }
}

fn text(v: &Json, key: &str) -> Option<String> {
    v.get(key).and_then(Json::as_str).map(str::to_owned)
}

fn state(d: &mut Drawing, name: &str, st: &Json, cluster: Option<&str>, exit: &str) {
    let kind = text(st, "Type").unwrap_or_default();
    let id = state_id(name);
    let mut node = Node {
        id: id.clone(),
        state: name.into(),
        kind: kind.clone(),
        parent: cluster.map(str::to_owned),
        resource: text(st, "Resource"),
    };
    // Where the edges leaving this state start: the join marker of a
    // Parallel or Map state, else the state itself.
    let mut out = id.clone();
    let nested: Vec<&Json> = match kind.as_str() {
        "Parallel" => st
            .get("Branches")
            .and_then(Json::as_array)
            .map(|b| b.iter().collect())
            .unwrap_or_default(),
        "Map" => st
            .get("ItemProcessor")
            .or_else(|| st.get("Iterator"))
            .into_iter()
            .collect(),
        _ => Vec::new(),
    };
    if matches!(kind.as_str(), "Parallel" | "Map") {
        let group = format!("c:{name}");
        let join = format!("x:join:{name}");
        d.clusters.push(Cluster {
            id: group.clone(),
            label: format!("{name} ({kind})"),
            kind: kind.clone(),
            state: name.into(),
            parent: cluster.map(str::to_owned),
        });
        node.parent = Some(group.clone());
        d.nodes.push(node);
        d.nodes.push(Node {
            id: join.clone(),
            state: String::new(),
            kind: "Join".into(),
            parent: Some(group.clone()),
            resource: None,
        });
        for (i, branch) in nested.iter().enumerate() {
            let branch_id = format!("c:{name}:{i}");
            let label = if kind == "Map" {
                "ItemProcessor".to_owned()
            } else {
                format!("Branch {}", i + 1)
            };
            d.clusters.push(Cluster {
                id: branch_id.clone(),
                label,
                kind: "Branch".into(),
                state: name.into(),
                parent: Some(group.clone()),
            });
            if let Some(start) = branch.get("StartAt").and_then(Json::as_str) {
                d.edges.push(Edge {
                    source: id.clone(),
                    target: state_id(start),
                    from: name.into(),
                    to: start.into(),
                    kind: "branch",
                    label: String::new(),
                });
            }
            scope(d, branch, Some(&branch_id), &join);
        }
        out = join;
    } else {
        d.nodes.push(node);
    }
    let edge = |target: String, to: &str, kind: &'static str, label: String| Edge {
        source: out.clone(),
        target,
        from: name.into(),
        to: to.into(),
        kind,
        label,
    };
    let exit_kind = if exit.starts_with("x:join:") {
        "join"
    } else {
        "end"
    };
    let mut edges = Vec::new();
    if let Some(next) = text(st, "Next") {
        edges.push(edge(state_id(&next), &next, "next", String::new()));
    }
    let ends = st.get("End").and_then(Json::as_bool) == Some(true)
        || matches!(kind.as_str(), "Succeed" | "Fail");
    if ends {
        edges.push(edge(exit.into(), "", exit_kind, String::new()));
    }
    if kind == "Choice" {
        let rules = st.get("Choices").and_then(Json::as_array);
        for rule in rules.into_iter().flatten() {
            if let Some(next) = text(rule, "Next") {
                edges.push(edge(state_id(&next), &next, "choice", rule_label(rule)));
            }
        }
        if let Some(default) = text(st, "Default") {
            edges.push(edge(
                state_id(&default),
                &default,
                "default",
                "Default".into(),
            ));
        }
    }
    let retriers = st.get("Retry").and_then(Json::as_array);
    for retrier in retriers.into_iter().flatten() {
        let attempts = retrier
            .get("MaxAttempts")
            .and_then(Json::as_u64)
            .unwrap_or(3);
        if attempts == 0 {
            continue;
        }
        let label = format!("×{attempts} {}", errors(retrier));
        // A retry runs the state again: drawn on the state's own node.
        edges.push(Edge {
            source: id.clone(),
            target: id.clone(),
            from: name.into(),
            to: name.into(),
            kind: "retry",
            label: cut(&label),
        });
    }
    let catchers = st.get("Catch").and_then(Json::as_array);
    for catcher in catchers.into_iter().flatten() {
        if let Some(next) = text(catcher, "Next") {
            edges.push(edge(state_id(&next), &next, "catch", cut(&errors(catcher))));
        }
    }
    d.edges.extend(edges);
}

/// `ErrorEquals` of a Retrier or Catcher, comma-separated.
fn errors(handler: &Json) -> String {
    handler
        .get("ErrorEquals")
        .and_then(Json::as_array)
        .map(|e| {
            e.iter()
                .filter_map(Json::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// A short text of a Choice Rule: its JSONata `Condition`, `And`/`Or`/`Not`
/// with the number of rules, or `Variable Operator value`.
fn rule_label(rule: &Json) -> String {
    if let Some(c) = rule.get("Condition").and_then(Json::as_str) {
        return cut(c);
    }
    for op in ["And", "Or"] {
        if let Some(rules) = rule.get(op).and_then(Json::as_array) {
            let inner: Vec<String> = rules.iter().map(rule_label).collect();
            return cut(&inner.join(&format!(" {op} ")));
        }
    }
    if let Some(inner) = rule.get("Not") {
        return cut(&format!("Not ({})", rule_label(inner)));
    }
    let variable = text(rule, "Variable").unwrap_or_default();
    let comparison = rule.as_object().and_then(|o| {
        o.iter()
            .find(|(k, _)| !matches!(k.as_str(), "Variable" | "Next" | "Comment" | "Assign"))
    });
    match comparison {
        Some((op, value)) => cut(&format!("{variable} {op} {value}")),
        None => cut(&variable),
    }
}

/// `s` cut to [`MAX_LABEL_CHARS`] characters (with `…`).
fn cut(s: &str) -> String {
    if s.chars().count() <= MAX_LABEL_CHARS {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(MAX_LABEL_CHARS - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payment() -> Drawing {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/payment/payment.asl.json"
        ))
        .expect("the payment example");
        draw(&text).expect("drawn")
    }

    fn has_edge(d: &Drawing, from: &str, to: &str, kind: &str) -> bool {
        d.edges
            .iter()
            .any(|e| e.from == from && e.to == to && e.kind == kind)
    }

    #[test]
    fn the_payment_example_has_every_state_and_edge() {
        let d = payment();
        let states: Vec<&str> = d
            .nodes
            .iter()
            .filter(|n| !n.state.is_empty())
            .map(|n| n.state.as_str())
            .collect();
        for name in [
            "ValidateRequest",
            "Check3DSRequired",
            "Wait3DSCallback",
            "SendNotifications",
            "SendEmail",
            "QueueEmail",
            "SendWebhook",
            "QueueWebhook",
            "PaymentSuccess",
            "PaymentFailed",
        ] {
            assert!(states.contains(&name), "{name} missing");
        }
        assert_eq!(states.len(), 21);
        assert!(has_edge(&d, "", "ValidateRequest", "start"));
        assert!(has_edge(&d, "ValidateRequest", "Check3DSRequired", "next"));
        assert!(has_edge(&d, "ValidateRequest", "HandleError", "catch"));
        assert!(has_edge(&d, "ValidateRequest", "ValidateRequest", "retry"));
        assert!(has_edge(&d, "Check3DSRequired", "Request3DS", "choice"));
        assert!(has_edge(
            &d,
            "Check3DSRequired",
            "AuthorizePayment",
            "default"
        ));
        assert!(has_edge(&d, "SendNotifications", "SendEmail", "branch"));
        assert!(has_edge(&d, "SendNotifications", "SendWebhook", "branch"));
        assert!(has_edge(&d, "SendEmail", "QueueEmail", "catch"));
        assert!(has_edge(&d, "SendEmail", "", "join"));
        assert!(has_edge(&d, "SendNotifications", "SaveTransaction", "next"));
        assert!(has_edge(&d, "PaymentFailed", "", "end"));
        // A Retrier with MaxAttempts 0 never retries: no edge.
        let validate_retries = d
            .edges
            .iter()
            .filter(|e| e.from == "ValidateRequest" && e.kind == "retry")
            .count();
        assert_eq!(validate_retries, 1);
        // The branches are clusters inside the Parallel state's cluster.
        let send_email = d
            .nodes
            .iter()
            .find(|n| n.state == "SendEmail")
            .expect("node");
        assert_eq!(send_email.parent.as_deref(), Some("c:SendNotifications:0"));
        let branch = d
            .clusters
            .iter()
            .find(|c| c.id == "c:SendNotifications:1")
            .expect("branch 2");
        assert_eq!(branch.parent.as_deref(), Some("c:SendNotifications"));
        // Every edge joins two drawn nodes.
        for e in &d.edges {
            for end in [&e.source, &e.target] {
                assert!(d.nodes.iter().any(|n| &n.id == end), "{end} not drawn");
            }
        }
    }

    #[test]
    fn map_iterators_are_clusters_and_labels_are_short() {
        let d = draw(
            r#"{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"I",
              "States":{"I":{"Type":"Choice","Choices":[{"Variable":"$.a","StringEquals":"a very long string value that goes on and on","Next":"J"}],"Default":"J"},
              "J":{"Type":"Succeed"}}},"End":true}}}"#,
        )
        .expect("drawn");
        assert!(d.clusters.iter().any(|c| c.id == "c:M" && c.kind == "Map"));
        assert!(d
            .clusters
            .iter()
            .any(|c| c.id == "c:M:0" && c.label == "ItemProcessor"));
        assert!(has_edge(&d, "M", "I", "branch"));
        assert!(has_edge(&d, "J", "", "join"));
        assert!(has_edge(&d, "M", "", "end"));
        let choice = d.edges.iter().find(|e| e.kind == "choice").expect("rule");
        assert!(choice.label.starts_with("$.a StringEquals"));
        assert_eq!(choice.label.chars().count(), MAX_LABEL_CHARS);
        assert!(matches!(draw("[]"), Err(DrawError::NoStartAt)));
        assert!(matches!(draw("{"), Err(DrawError::Json(_))));
        assert!(matches!(
            draw("{\"StartAt\":\"A\"}"),
            Err(DrawError::NoStates)
        ));
    }
}
