//! A [`StateMachine`] as stored in the cluster's registry hash: JSON with
//! the definition text, compiled again only when a node has not compiled
//! that text yet (one compile per definition version per node).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use super::error::ClusterError;
use crate::start::{MachineType, StateMachine};

/// Milliseconds since the Unix epoch.
pub(crate) fn millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// The instant `ms` milliseconds after the Unix epoch.
pub(crate) fn from_millis(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

/// The stored JSON of `machine`.
pub(crate) fn encode(machine: &StateMachine) -> String {
    json!({
        "arn": machine.arn,
        "name": machine.name,
        "type": machine.kind.as_str(),
        "definition": machine.machine.definition,
        "roleArn": machine.role_arn,
        "logging": machine.logging,
        "tracing": machine.tracing,
        "tags": machine.tags,
        "created": millis(machine.created),
        "revisionId": machine.revision_id,
    })
    .to_string()
}

/// The machine stored as `text`, reusing the compiled definition of
/// `known` when its text is the same.
///
/// # Errors
/// [`ClusterError::Corrupt`] when `text` is not a stored machine or its
/// definition does not load.
pub(crate) fn decode(
    text: &str,
    known: Option<&Arc<StateMachine>>,
) -> Result<StateMachine, ClusterError> {
    let corrupt = |why: &str| ClusterError::Corrupt(format!("state machine: {why}"));
    let v: Value = serde_json::from_str(text).map_err(|e| corrupt(&e.to_string()))?;
    let s = |k: &str| v[k].as_str().map(str::to_owned).ok_or_else(|| corrupt(k));
    let definition = s("definition")?;
    let machine = match known {
        Some(k) if k.machine.definition == definition => Arc::clone(&k.machine),
        _ => Arc::new(crate::compile::load(&definition).map_err(|e| corrupt(&e.to_string()))?),
    };
    let tags = v["tags"]
        .as_array()
        .map(|pairs| {
            pairs
                .iter()
                .filter_map(|p| Some((p[0].as_str()?.to_owned(), p[1].as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    Ok(StateMachine {
        arn: s("arn")?,
        name: s("name")?,
        kind: MachineType::parse(&s("type")?).ok_or_else(|| corrupt("type"))?,
        machine,
        role_arn: s("roleArn")?,
        logging: v["logging"].clone(),
        tracing: v["tracing"].clone(),
        tags,
        created: from_millis(v["created"].as_u64().unwrap_or(0)),
        revision_id: v["revisionId"].as_str().map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_reuses_the_compiled_definition() {
        let def = r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#;
        let sm = Arc::new(StateMachine {
            arn: "arn:aws:states:us-east-1:123456789012:stateMachine:m".into(),
            name: "m".into(),
            kind: MachineType::Express,
            machine: Arc::new(crate::compile::load(def).expect("loads")),
            role_arn: "role".into(),
            logging: json!({"level": "OFF"}),
            tracing: json!({"enabled": false}),
            tags: vec![("k".into(), "v".into())],
            created: from_millis(1_700_000_000_123),
            revision_id: Some("r1".into()),
        });
        let text = encode(&sm);
        let same = decode(&text, Some(&sm)).expect("decodes");
        assert!(Arc::ptr_eq(&same.machine, &sm.machine));
        assert_eq!(same.tags, sm.tags);
        assert_eq!(same.created, sm.created);
        assert_eq!(same.revision_id.as_deref(), Some("r1"));
        let fresh = decode(&text, None).expect("decodes");
        assert!(!Arc::ptr_eq(&fresh.machine, &sm.machine));
        assert_eq!(fresh.machine.definition, def);
        assert!(decode("{}", None).is_err());
    }
}
