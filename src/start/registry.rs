//! The state machine registry: state machines by ARN, as created (and later
//! updated), read without locks on every start.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use arc_swap::ArcSwap;

use crate::compile::Machine;
use crate::engine::observe::{LogLevel, LogSettings};

/// STANDARD or EXPRESS (`type` on the wire). Fixed at creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MachineType {
    /// Standard workflows: `StartSyncExecution` is refused.
    Standard,
    /// Express workflows: `ListExecutions` is refused.
    Express,
}

impl MachineType {
    /// The wire names, in the model's order.
    pub const WIRE_NAMES: [&'static str; 2] = ["STANDARD", "EXPRESS"];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            MachineType::Standard => "STANDARD",
            MachineType::Express => "EXPRESS",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "STANDARD" => Some(MachineType::Standard),
            "EXPRESS" => Some(MachineType::Express),
            _ => None,
        }
    }
}

/// A state machine as created (and later updated).
#[derive(Debug, Clone)]
pub struct StateMachine {
    /// Its ARN (the registry key).
    pub arn: String,
    /// Its name.
    pub name: String,
    /// STANDARD or EXPRESS.
    pub kind: MachineType,
    /// The compiled definition; `machine.definition` is the text as given.
    pub machine: Arc<Machine>,
    /// The IAM role ARN (recorded, never assumed).
    pub role_arn: String,
    /// `loggingConfiguration`, normalised (`level` and `includeExecutionData` filled in).
    pub logging: serde_json::Value,
    /// `tracingConfiguration`, normalised (`enabled` filled in).
    pub tracing: serde_json::Value,
    /// Tags in insertion order (key, value).
    pub tags: Vec<(String, String)>,
    /// When it was created.
    pub created: SystemTime,
    /// The revision id of the last update, if any.
    pub revision_id: Option<String>,
}

/// The state machines by ARN, read without locks: a start loads the current
/// immutable map (an atomic pointer load, [`arc_swap`]) and takes an `Arc`
/// of its machine. Create, update, delete and tagging copy the map under a
/// writers' mutex and swap the copy in (O(machines) per write; writes are
/// control-plane calls, rare next to starts).
#[derive(Default)]
pub struct Machines {
    current: ArcSwap<MachineMap>,
    writers: Mutex<()>,
}

/// The state machines by ARN, hashed with foldhash (eight bytes at a time;
/// randomly seeded per map, as std's SipHash is) instead of SipHash: every
/// start looks its ARN up here (callgrind: 322 instructions of SipHash
/// for a 55-byte ARN).
pub type MachineMap = HashMap<String, Arc<StateMachine>, foldhash::fast::RandomState>;

impl Machines {
    /// The state machine with this ARN.
    pub fn get(&self, arn: &str) -> Option<Arc<StateMachine>> {
        self.current.load().get(arn).cloned()
    }

    /// Every state machine, as of now.
    pub fn snapshot(&self) -> Arc<MachineMap> {
        self.current.load_full()
    }

    /// How many state machines exist.
    pub fn len(&self) -> usize {
        self.current.load().len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds `machine` unless one with its ARN exists.
    ///
    /// # Errors
    /// The existing machine, when there is one (the first of two racing
    /// creates wins).
    pub fn insert_new(
        &self,
        machine: StateMachine,
    ) -> Result<Arc<StateMachine>, Arc<StateMachine>> {
        let _w = self.writers.lock().unwrap_or_else(|e| e.into_inner());
        let map = self.current.load();
        if let Some(existing) = map.get(&machine.arn) {
            return Err(Arc::clone(existing));
        }
        let added = Arc::new(machine);
        let mut next = MachineMap::clone(&map);
        next.insert(added.arn.clone(), Arc::clone(&added));
        self.current.store(Arc::new(next));
        Ok(added)
    }

    /// Changes the machine with this ARN by `change` (on a copy, swapped in
    /// when `change` returns `Ok`) and returns `change`'s result and the new
    /// machine; `None` when there is no such machine.
    ///
    /// # Errors
    /// `change`'s error; the machine is then left as it was.
    pub fn update<R, E>(
        &self,
        arn: &str,
        change: impl FnOnce(&mut StateMachine) -> Result<R, E>,
    ) -> Option<Result<(R, Arc<StateMachine>), E>> {
        let _w = self.writers.lock().unwrap_or_else(|e| e.into_inner());
        let map = self.current.load();
        let mut machine = StateMachine::clone(map.get(arn)?);
        let r = match change(&mut machine) {
            Ok(r) => r,
            Err(e) => return Some(Err(e)),
        };
        let changed = Arc::new(machine);
        let mut next = MachineMap::clone(&map);
        next.insert(arn.to_owned(), Arc::clone(&changed));
        self.current.store(Arc::new(next));
        Some(Ok((r, changed)))
    }

    /// Removes the machine with this ARN.
    pub fn remove(&self, arn: &str) -> Option<Arc<StateMachine>> {
        let _w = self.writers.lock().unwrap_or_else(|e| e.into_inner());
        let map = self.current.load();
        let removed = map.get(arn).cloned()?;
        let mut next = MachineMap::clone(&map);
        next.remove(arn);
        self.current.store(Arc::new(next));
        Some(removed)
    }
}

/// The `cloudWatchLogsLogGroup.logGroupArn` of a logging destination, when
/// it names a CloudWatch Logs log group:
/// `arn:<partition>:logs:<region>:<account>:log-group:<name>:*` (the ARN must
/// end with `:*`, AWS guide `cw-logs.html`), at most `max_len` bytes.
pub fn log_group_arn(destination: &serde_json::Value, max_len: usize) -> Option<&str> {
    let arn = destination
        .get("cloudWatchLogsLogGroup")?
        .get("logGroupArn")?
        .as_str()?;
    let parts: Vec<&str> = arn.splitn(7, ':').collect();
    let ok = arn.len() <= max_len
        && parts.len() == 7
        && parts[0] == "arn"
        && !parts[1].is_empty()
        && parts[2] == "logs"
        && !parts[3].is_empty()
        && !parts[4].is_empty()
        && parts[5] == "log-group"
        && parts[6].strip_suffix(":*").is_some_and(|n| !n.is_empty());
    ok.then_some(arn)
}

/// The engine's view of a normalised `loggingConfiguration`
/// (`{"level", "includeExecutionData", "destinations"}`).
pub fn log_settings(logging: &serde_json::Value) -> LogSettings {
    LogSettings {
        level: logging["level"]
            .as_str()
            .and_then(LogLevel::parse)
            .unwrap_or_default(),
        include_execution_data: logging["includeExecutionData"].as_bool().unwrap_or(false),
        log_group_arn: logging["destinations"]
            .as_array()
            .and_then(|d| d.first())
            .and_then(|d| log_group_arn(d, usize::MAX))
            .map(str::to_owned),
    }
}

/// The normalised `loggingConfiguration` of a machine created without one
/// (`level` OFF, no execution data).
pub fn logging_off() -> serde_json::Value {
    serde_json::json!({"level": "OFF", "includeExecutionData": false})
}

/// The normalised `tracingConfiguration` of a machine created without one.
pub fn tracing_off() -> serde_json::Value {
    serde_json::json!({"enabled": false})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine(arn: &str, name: &str) -> StateMachine {
        let graph =
            crate::compile::load(r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#)
                .expect("definition");
        StateMachine {
            arn: arn.into(),
            name: name.into(),
            kind: MachineType::Express,
            machine: Arc::new(graph),
            role_arn: "role".into(),
            logging: serde_json::Value::Null,
            tracing: serde_json::Value::Null,
            tags: Vec::new(),
            created: SystemTime::now(),
            revision_id: None,
        }
    }

    #[test]
    fn machine_types() {
        assert!(matches!(
            MachineType::parse("EXPRESS"),
            Some(MachineType::Express)
        ));
        assert_eq!(MachineType::parse("express"), None);
    }

    #[test]
    fn machines_copy_on_write() {
        let m = Machines::default();
        assert!(m.is_empty());
        let first = m.insert_new(machine("a", "first")).expect("new");
        // The first create wins.
        let again = m.insert_new(machine("a", "second")).expect_err("exists");
        assert!(Arc::ptr_eq(&first, &again));
        let before = m.snapshot();
        let ((), changed) = m
            .update("a", |sm| {
                sm.tags.push(("k".into(), "v".into()));
                Ok::<(), ()>(())
            })
            .expect("exists")
            .expect("changed");
        assert_eq!(changed.tags.len(), 1);
        // A reader's snapshot is not changed under it.
        assert!(before["a"].tags.is_empty());
        assert_eq!(m.get("a").expect("a").tags.len(), 1);
        // A failed change leaves the machine as it was.
        let failed = m.update("a", |sm| {
            sm.tags.clear();
            Err::<(), _>("no")
        });
        assert_eq!(failed.map(|r| r.map(|_| ())), Some(Err("no")));
        assert_eq!(m.get("a").expect("a").tags.len(), 1);
        assert!(m.update("zzz", |_| Ok::<(), ()>(())).is_none());
        assert!(m.remove("a").is_some());
        assert!(m.get("a").is_none() && m.remove("a").is_none());
    }
}
