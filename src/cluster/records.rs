//! Execution records in Redis: one hash per execution
//! (`execution:<arn>`: `arn`, `machine`, `name`, `input`, `start` (ms),
//! `status`, `entry` (its id in the starts stream), `node`, `version` and
//! `alias` (the version run and the alias started through, or ""), and
//! once ended `outcome` as JSON), and the Lua scripts that change a record together
//! with the starts stream, atomically.

use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::SystemTime;

use serde_json::json;

use super::error::ClusterError;
use super::machines::{from_millis, millis};
use crate::engine::{ExecutionOutcome, ExecutionStatus};
use crate::start::{ExecutionRecord, Progress};

/// [`ACCEPT_LUA`], loaded once per process (EVALSHA, then SCRIPT LOAD once
/// per Redis).
pub(crate) static ACCEPT: LazyLock<redis::Script> =
    LazyLock::new(|| redis::Script::new(ACCEPT_LUA));
/// [`FINISH_LUA`].
pub(crate) static FINISH: LazyLock<redis::Script> =
    LazyLock::new(|| redis::Script::new(FINISH_LUA));
/// [`STOP_LUA`].
pub(crate) static STOP: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(STOP_LUA));

/// The `status` of a record whose execution is running.
pub(crate) const RUNNING: &str = "RUNNING";

/// Records a start: adds it to the starts stream, makes it pending for this
/// node in the consumer group (XCLAIM … FORCE: this node runs it, no other
/// until it is reclaimed), writes its record and indexes it in the
/// cluster-wide index, of which only the newest `ARGV[9]` records are kept
/// (the oldest records are deleted, as the in-memory store forgets them;
/// one still running is only unindexed, and expires after its end), and,
/// for a STANDARD machine (`ARGV[13]` = `1`), by machine: ListExecutions
/// answers STANDARD machines only, so an EXPRESS start skips that index
/// (one sorted-set insert less per start).
///
/// KEYS: stream, record, machine index, cluster index. ARGV: group, node,
/// arn, machine, name, input, start (ms), deadline (ms), records kept, key
/// prefix, version ARN, alias ARN, indexed by machine (`1` or `0`).
/// Returns the stream entry id.
const ACCEPT_LUA: &str = r"
local id = redis.call('XADD', KEYS[1], '*', 'arn', ARGV[3], 'deadline', ARGV[8])
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, id, 'FORCE', 'JUSTID')
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'arn', ARGV[3], 'machine', ARGV[4], 'name', ARGV[5],
  'input', ARGV[6], 'start', ARGV[7], 'status', 'RUNNING', 'entry', id, 'node', ARGV[2],
  'version', ARGV[11], 'alias', ARGV[12])
if ARGV[13] == '1' then redis.call('ZADD', KEYS[3], ARGV[7], ARGV[3]) end
redis.call('ZADD', KEYS[4], ARGV[7], ARGV[3])
local excess = redis.call('ZCARD', KEYS[4]) - tonumber(ARGV[9])
if excess > 0 then
  for _, old in ipairs(redis.call('ZRANGE', KEYS[4], 0, excess - 1)) do
    local record = ARGV[10] .. 'execution:' .. old
    local kept = redis.call('HMGET', record, 'machine', 'status')
    if kept[1] then redis.call('ZREM', ARGV[10] .. 'executions:' .. kept[1], old) end
    -- A running execution keeps its record: its end (FINISH_LUA) acknowledges
    -- its stream entry through it and gives it an expiry, and a reclaim
    -- reruns it from it.
    if kept[2] ~= 'RUNNING' then redis.call('DEL', record) end
  end
  redis.call('ZREMRANGEBYRANK', KEYS[4], 0, excess - 1)
end
return id
";

/// Ends a record: acknowledges and deletes its stream entry (never run
/// again), and stores the outcome unless the record already ended (a stop).
///
/// KEYS: record, stream. ARGV: group, status, outcome JSON, retention (s).
/// Returns 1 when the outcome was stored.
const FINISH_LUA: &str = r"
local record = redis.call('HMGET', KEYS[1], 'entry', 'status')
if record[1] then
  redis.call('XACK', KEYS[2], ARGV[1], record[1])
  redis.call('XDEL', KEYS[2], record[1])
end
if record[2] ~= 'RUNNING' then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'outcome', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
";

/// Stops a record (StopExecution): a running one is recorded ABORTED, its
/// entry acknowledged, and the stop announced so that its runner aborts it.
///
/// KEYS: record, stream. ARGV: group, outcome JSON, retention (s), stop
/// channel, arn. Returns `{-1, '0'}` (no record), `{0, start}` (already
/// ended) or `{1, start}` (stopped now).
const STOP_LUA: &str = r"
local start = redis.call('HGET', KEYS[1], 'start')
if not start then return {-1, '0'} end
if redis.call('HGET', KEYS[1], 'status') ~= 'RUNNING' then return {0, start} end
local entry = redis.call('HGET', KEYS[1], 'entry')
if entry then
  redis.call('XACK', KEYS[2], ARGV[1], entry)
  redis.call('XDEL', KEYS[2], entry)
end
redis.call('HSET', KEYS[1], 'status', 'ABORTED', 'outcome', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return {1, start}
";

/// The stored JSON of an outcome.
pub(crate) fn encode_outcome(o: &ExecutionOutcome) -> String {
    json!({
        "status": o.status.as_str(),
        "output": o.output.as_ref().map(crate::json::to_string),
        "error": o.error,
        "cause": o.cause,
        "stop": millis(o.stop_time),
    })
    .to_string()
}

fn status(s: &str) -> Option<ExecutionStatus> {
    Some(match s {
        "SUCCEEDED" => ExecutionStatus::Succeeded,
        "FAILED" => ExecutionStatus::Failed,
        "TIMED_OUT" => ExecutionStatus::TimedOut,
        "ABORTED" => ExecutionStatus::Aborted,
        _ => return None,
    })
}

/// The outcome stored as `text`.
fn decode_outcome(text: &str) -> Result<ExecutionOutcome, ClusterError> {
    let corrupt = |why: &str| ClusterError::Corrupt(format!("execution outcome: {why}"));
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| corrupt(&e.to_string()))?;
    let output = match v["output"].as_str() {
        Some(t) => Some(crate::json::parse(t).map_err(|e| corrupt(&e.to_string()))?),
        None => None,
    };
    Ok(ExecutionOutcome {
        status: v["status"]
            .as_str()
            .and_then(status)
            .ok_or_else(|| corrupt("status"))?,
        output,
        error: v["error"].as_str().map(str::to_owned),
        cause: v["cause"].as_str().map(str::to_owned),
        stop_time: from_millis(v["stop"].as_u64().unwrap_or(0)),
    })
}

/// A record as read from its hash (`HGETALL`).
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    /// The fields.
    pub(crate) fields: HashMap<String, String>,
}

impl Stored {
    /// A field, or "".
    pub(crate) fn get(&self, field: &str) -> &str {
        self.fields.get(field).map_or("", String::as_str)
    }

    /// The version run (a start through a version or an alias ARN).
    pub(crate) fn version(&self) -> Option<&str> {
        Some(self.get("version")).filter(|v| !v.is_empty())
    }

    /// The alias started through, if any.
    pub(crate) fn alias(&self) -> Option<&str> {
        Some(self.get("alias")).filter(|a| !a.is_empty())
    }

    /// The [`ExecutionRecord`] with its version and alias, when the
    /// version is still in `versions` (DescribeExecution shows them).
    ///
    /// # Errors
    /// [`ClusterError::Corrupt`] for an unreadable outcome.
    pub(crate) fn record_in(
        &self,
        versions: &crate::start::MemoryVersions,
    ) -> Result<ExecutionRecord, ClusterError> {
        let mut record = self.record()?;
        if let Some(version) = self.version().and_then(|v| versions.version_now(v)) {
            record.origin = Some(std::sync::Arc::new(crate::start::Origin {
                machine: std::sync::Arc::clone(&version.machine),
                version_arn: Some(version.arn.clone()),
                alias_arn: self.alias().map(str::to_owned),
            }));
        }
        Ok(record)
    }

    /// Whether the execution is still running.
    pub(crate) fn running(&self) -> bool {
        self.get("status") == RUNNING
    }

    /// When it started.
    pub(crate) fn start(&self) -> SystemTime {
        from_millis(self.get("start").parse().unwrap_or(0))
    }

    /// The [`ExecutionRecord`] (without an abort handle).
    ///
    /// # Errors
    /// [`ClusterError::Corrupt`] for an unreadable outcome.
    pub(crate) fn record(&self) -> Result<ExecutionRecord, ClusterError> {
        let progress = if self.running() {
            Progress::Running
        } else {
            Progress::Done(decode_outcome(self.get("outcome"))?)
        };
        Ok(ExecutionRecord {
            arn: self.get("arn").to_owned(),
            state_machine_arn: self.get("machine").to_owned(),
            name: self.get("name").to_owned(),
            input: self.get("input").to_owned(),
            start: self.start(),
            progress,
            abort: None,
            origin: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_round_trip() {
        let o = ExecutionOutcome {
            status: ExecutionStatus::Succeeded,
            output: Some(crate::json::parse(r#"{"a":[1,"x"]}"#).expect("json")),
            error: None,
            cause: Some(String::new()),
            stop_time: from_millis(1_700_000_000_456),
        };
        let back = decode_outcome(&encode_outcome(&o)).expect("decodes");
        assert_eq!(back.status, ExecutionStatus::Succeeded);
        assert_eq!(
            back.output.as_ref().map(crate::json::to_string).as_deref(),
            Some(r#"{"a":[1,"x"]}"#)
        );
        assert_eq!(back.error, None);
        assert_eq!(back.cause.as_deref(), Some(""));
        assert_eq!(back.stop_time, o.stop_time);
        assert!(decode_outcome(r#"{"status":"NOPE"}"#).is_err());
    }
}
