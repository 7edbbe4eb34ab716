//! The Step Functions Local mock file (`MockConfigFile.json`).
//!
//! ```json
//! {"StateMachines": {"<SM>": {"TestCases": {"<Case>": {"<TaskState>": "<Resp>"}}}},
//!  "MockedResponses": {"<Resp>": {
//!    "0":   {"Return": {"StatusCode": 200, "Payload": {"ok": true}}},
//!    "1-2": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "timed out"}}}}}
//! ```
//!
//! A response's keys count the state's invocations in one execution from 0
//! (retries included): `"N"` or an inclusive range `"A-B"`, contiguous from 0.
//! Each entry holds exactly one of `Return` (the raw service response, used
//! verbatim) and `Throw` (`{Error, Cause}`).
//!
//! **Extension** (not in the AWS format): an entry may carry
//! `"LatencyMs": <non-negative integer>`; the mocked Task then waits that many
//! milliseconds before answering, to simulate service latency.
//!
//! Sources: AWS developer guide `sfn-local-mock-cfg-file.html`,
//! `sfn-local-test-sm-exec.html`; reference §5.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value as JsonValue;

use crate::errors::ExecError;
use crate::json::Value;

/// The environment variable naming the mock file (reference §5).
pub const MOCK_CONFIG_ENV: &str = "SFN_MOCK_CONFIG";

/// The mock file used when [`MOCK_CONFIG_ENV`] is unset, if it exists.
pub const DEFAULT_MOCK_FILE: &str = "MockConfigFile.json";

/// A mock file that could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum MockError {
    /// The file could not be read.
    #[error("cannot read mock config file '{path}': {source}")]
    Io {
        /// The path given.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The text is not JSON.
    #[error("mock config is not valid JSON: {0}")]
    Json(String),
    /// The document does not follow the mock file format; the message says where.
    #[error("invalid mock config: {0}")]
    Invalid(String),
}

/// What a mocked invocation answers.
#[derive(Debug, Clone, PartialEq)]
pub enum MockOutcome {
    /// `Return`: the raw service response, used verbatim as the Task's result.
    Return(Value),
    /// `Throw`: fails the Task with this error (Retry and Catch apply).
    Throw(ExecError),
}

/// One entry of a mocked response: the invocations `first..=last` answer
/// `outcome` after `latency`.
#[derive(Debug, Clone, PartialEq)]
pub struct MockEntry {
    /// First invocation index covered (from 0).
    pub first: u32,
    /// Last invocation index covered (inclusive).
    pub last: u32,
    /// The answer.
    pub outcome: MockOutcome,
    /// The `LatencyMs` extension: how long to wait before answering.
    pub latency: Option<Duration>,
}

/// A named entry of `MockedResponses`: its entries sorted by invocation,
/// contiguous from 0.
#[derive(Debug)]
struct MockedResponse {
    name: String,
    entries: Vec<MockEntry>,
}

/// state name → mocked response.
type TestCase = HashMap<String, Arc<MockedResponse>>;

/// A loaded and validated mock file.
#[derive(Debug, Default)]
pub struct MockConfig {
    /// state machine name → test case name → state name → response.
    machines: HashMap<String, HashMap<String, TestCase>>,
}

impl MockConfig {
    /// Loads and validates the mock file at `path`.
    ///
    /// # Errors
    /// [`MockError::Io`] if it cannot be read, else as [`MockConfig::from_str`].
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, MockError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| MockError::Io {
            path: path.display().to_string(),
            source,
        })?;
        text.parse()
    }

    /// The mock file named by `SFN_MOCK_CONFIG`, else `./MockConfigFile.json`
    /// when that file exists, else `None`.
    ///
    /// # Errors
    /// The file named cannot be loaded (see [`MockConfig::from_file`]).
    pub fn from_env() -> Result<Option<Self>, MockError> {
        match std::env::var_os(MOCK_CONFIG_ENV) {
            Some(path) if !path.is_empty() => Self::from_file(path).map(Some),
            _ if Path::new(DEFAULT_MOCK_FILE).is_file() => {
                Self::from_file(DEFAULT_MOCK_FILE).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// The entry answering invocation `invocation` (from 0) of state `state`
    /// in test case `case` of state machine `machine`, or `None` when the test
    /// case does not mock `state`: as in Step Functions Local, an unmocked
    /// state then resolves normally (AWS guide `sfn-local-test-sm-exec.html`:
    /// "If you don't specify mocked service integration responses in the mock
    /// configuration file, Step Functions Local will invoke the AWS service
    /// integration"; its walkthrough's `HybridPath` mocks only `LambdaState`).
    ///
    /// # Errors
    /// `States.Runtime` (the execution fails, as AWS fails it) when the state
    /// machine or test case is not in the file (a misspelt name would
    /// otherwise silently call real services), or when the state is mocked
    /// but no key covers `invocation`.
    pub fn lookup(
        &self,
        machine: &str,
        case: &str,
        state: &str,
        invocation: u32,
    ) -> Result<Option<&MockEntry>, ExecError> {
        let cases = self.machines.get(machine).ok_or_else(|| {
            ExecError::runtime(format!(
                "mock config: state machine '{machine}' is not in StateMachines \
                 (test case '{case}' was selected)"
            ))
        })?;
        let states = cases.get(case).ok_or_else(|| {
            ExecError::runtime(format!(
                "mock config: test case '{case}' is not in TestCases of state machine '{machine}'"
            ))
        })?;
        let Some(response) = states.get(state) else {
            return Ok(None);
        };
        let idx = response.entries.partition_point(|e| e.last < invocation);
        match response.entries.get(idx) {
            Some(entry) if entry.first <= invocation => Ok(Some(entry)),
            _ => Err(ExecError::runtime(format!(
                "mock config: mocked response '{}' has no entry for invocation {invocation} \
                 of state '{state}' (test case '{case}', state machine '{machine}')",
                response.name
            ))),
        }
    }

    /// Whether test case `case` of state machine `machine` mocks `state`.
    pub fn mocks(&self, machine: &str, case: &str, state: &str) -> bool {
        self.machines
            .get(machine)
            .and_then(|cases| cases.get(case))
            .is_some_and(|states| states.contains_key(state))
    }

    /// Answers an invocation with `entry`: waits its latency, then returns its
    /// outcome.
    ///
    /// # Errors
    /// The entry's `Throw`.
    pub async fn answer(entry: &MockEntry) -> Result<Value, ExecError> {
        if let Some(latency) = entry.latency {
            tokio::time::sleep(latency).await;
        }
        match &entry.outcome {
            MockOutcome::Return(v) => Ok(v.clone()),
            MockOutcome::Throw(e) => Err(e.clone()),
        }
    }
}

impl FromStr for MockConfig {
    type Err = MockError;

    /// Parses and validates mock file text.
    ///
    /// # Errors
    /// [`MockError::Json`] for invalid JSON; [`MockError::Invalid`] naming the
    /// offending place when the format is not followed (keys not `N`/`A-B`,
    /// not contiguous from 0, overlapping, an entry without exactly one of
    /// `Return`/`Throw`, a test case naming an unknown response, …).
    fn from_str(text: &str) -> Result<Self, MockError> {
        let doc: JsonValue =
            serde_json::from_str(text).map_err(|e| MockError::Json(e.to_string()))?;
        let root = as_object(&doc, "the document")?;
        for key in root.keys() {
            if key != "StateMachines" && key != "MockedResponses" {
                return Err(invalid(format!(
                    "unknown top-level field '{key}' (expected StateMachines, MockedResponses)"
                )));
            }
        }
        let mut responses = HashMap::new();
        if let Some(list) = root.get("MockedResponses") {
            for (name, body) in as_object(list, "MockedResponses")? {
                let entries = parse_response(name, body)?;
                let resp = MockedResponse {
                    name: name.clone(),
                    entries,
                };
                responses.insert(name.as_str(), Arc::new(resp));
            }
        }
        let mut machines = HashMap::new();
        if let Some(list) = root.get("StateMachines") {
            for (sm, body) in as_object(list, "StateMachines")? {
                let where_ = format!("StateMachines.{sm}");
                let body = as_object(body, &where_)?;
                let mut cases = HashMap::new();
                for (key, value) in body {
                    if key != "TestCases" {
                        return Err(invalid(format!("{where_}: unknown field '{key}'")));
                    }
                    for (case, states) in as_object(value, &format!("{where_}.TestCases"))? {
                        let where_ = format!("{where_}.TestCases.{case}");
                        let mut map = TestCase::new();
                        for (state, resp) in as_object(states, &where_)? {
                            let name = resp.as_str().ok_or_else(|| {
                                invalid(format!(
                                    "{where_}.{state}: expected the name of a mocked response"
                                ))
                            })?;
                            let resp = responses.get(name).ok_or_else(|| {
                                invalid(format!(
                                    "{where_}.{state}: mocked response '{name}' is not in \
                                     MockedResponses"
                                ))
                            })?;
                            map.insert(state.clone(), Arc::clone(resp));
                        }
                        cases.insert(case.clone(), map);
                    }
                }
                machines.insert(sm.clone(), cases);
            }
        }
        Ok(MockConfig { machines })
    }
}

fn invalid(msg: String) -> MockError {
    MockError::Invalid(msg)
}

fn as_object<'a>(
    v: &'a JsonValue,
    where_: &str,
) -> Result<&'a serde_json::Map<String, JsonValue>, MockError> {
    v.as_object()
        .ok_or_else(|| invalid(format!("{where_}: expected an object")))
}

/// Parses one `MockedResponses` entry into entries sorted and checked
/// contiguous from 0.
fn parse_response(name: &str, body: &JsonValue) -> Result<Vec<MockEntry>, MockError> {
    let where_ = format!("MockedResponses.{name}");
    let body = as_object(body, &where_)?;
    let mut entries = Vec::with_capacity(body.len());
    for (key, entry) in body {
        let (first, last) = parse_key(key)
            .ok_or_else(|| invalid(format!("{where_}: key '{key}' is not \"N\" or \"A-B\"")))?;
        let where_ = format!("{where_}.\"{key}\"");
        let (outcome, latency) = parse_entry(entry, &where_)?;
        entries.push(MockEntry {
            first,
            last,
            outcome,
            latency,
        });
    }
    if entries.is_empty() {
        return Err(invalid(format!("{where_}: no entries")));
    }
    entries.sort_by_key(|e| e.first);
    let mut next = 0u32;
    for e in &entries {
        if e.first != next {
            return Err(invalid(format!(
                "{where_}: keys must run contiguously from 0, but invocation {next} is {}",
                if e.first < next {
                    "covered twice"
                } else {
                    "not covered"
                }
            )));
        }
        next = match e.last.checked_add(1) {
            Some(n) => n,
            None => break,
        };
    }
    Ok(entries)
}

/// `"N"` → (N, N); `"A-B"` with A ≤ B → (A, B).
fn parse_key(key: &str) -> Option<(u32, u32)> {
    let num = |s: &str| -> Option<u32> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    match key.split_once('-') {
        None => num(key).map(|n| (n, n)),
        Some((a, b)) => {
            let (a, b) = (num(a)?, num(b)?);
            (a <= b).then_some((a, b))
        }
    }
}

fn parse_entry(
    entry: &JsonValue,
    where_: &str,
) -> Result<(MockOutcome, Option<Duration>), MockError> {
    let obj = as_object(entry, where_)?;
    let mut outcome = None;
    let mut latency = None;
    for (key, value) in obj {
        match key.as_str() {
            "Return" | "Throw" if outcome.is_some() => {
                return Err(invalid(format!(
                    "{where_}: has both Return and Throw; exactly one is allowed"
                )));
            }
            "Return" => {
                let text =
                    serde_json::to_string(value).map_err(|e| MockError::Json(e.to_string()))?;
                let v = crate::json::parse(&text).map_err(|e| MockError::Json(e.to_string()))?;
                outcome = Some(MockOutcome::Return(v));
            }
            "Throw" => outcome = Some(MockOutcome::Throw(parse_throw(value, where_)?)),
            "LatencyMs" => {
                let ms = value.as_u64().ok_or_else(|| {
                    invalid(format!(
                        "{where_}.LatencyMs: expected a non-negative integer (milliseconds)"
                    ))
                })?;
                latency = Some(Duration::from_millis(ms));
            }
            other => {
                return Err(invalid(format!(
                    "{where_}: unknown field '{other}' (expected Return or Throw, and optionally \
                     the LatencyMs extension)"
                )))
            }
        }
    }
    let outcome = outcome
        .ok_or_else(|| invalid(format!("{where_}: needs exactly one of Return or Throw")))?;
    Ok((outcome, latency))
}

fn parse_throw(value: &JsonValue, where_: &str) -> Result<ExecError, MockError> {
    let where_ = format!("{where_}.Throw");
    let obj = as_object(value, &where_)?;
    let mut error = None;
    let mut cause = String::new();
    for (key, v) in obj {
        let s = v
            .as_str()
            .ok_or_else(|| invalid(format!("{where_}.{key}: expected a string")))?;
        match key.as_str() {
            "Error" => error = Some(s.to_owned()),
            "Cause" => cause = s.to_owned(),
            other => {
                return Err(invalid(format!(
                    "{where_}: unknown field '{other}' (expected Error, Cause)"
                )))
            }
        }
    }
    let error = error.ok_or_else(|| invalid(format!("{where_}: Error is required")))?;
    Ok(ExecError::new(error, cause))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::names;

    const FILE: &str = r#"{
      "StateMachines": {
        "Orders": {"TestCases": {
          "HappyPath": {"Charge": "ChargeOk", "Ship": "Flaky"},
          "Other": {"Charge": "ChargeOk"}
        }}
      },
      "MockedResponses": {
        "ChargeOk": {"0": {"Return": {"StatusCode": 200, "Payload": {"ok": true}}}},
        "Flaky": {
          "1-2": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "timed out"}},
          "0": {"Throw": {"Error": "Boom", "Cause": "first"}, "LatencyMs": 5},
          "3": {"Return": "done"}
        }
      }
    }"#;

    fn cfg() -> MockConfig {
        FILE.parse().expect("valid mock file")
    }

    fn err_of(text: &str) -> String {
        match text.parse::<MockConfig>() {
            Ok(_) => panic!("expected an error for {text}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn keys() {
        assert_eq!(parse_key("0"), Some((0, 0)));
        assert_eq!(parse_key("12"), Some((12, 12)));
        assert_eq!(parse_key("1-3"), Some((1, 3)));
        assert_eq!(parse_key("3-1"), None);
        assert_eq!(parse_key("-1"), None);
        assert_eq!(parse_key("+1"), None);
        assert_eq!(parse_key("a"), None);
        assert_eq!(parse_key("1-"), None);
        assert_eq!(parse_key("99999999999"), None);
    }

    #[test]
    fn lookup_return_and_ranges() {
        let c = cfg();
        let e = c
            .lookup("Orders", "HappyPath", "Charge", 0)
            .unwrap()
            .unwrap();
        let want = crate::json::parse(r#"{"StatusCode":200,"Payload":{"ok":true}}"#).unwrap();
        assert_eq!(e.outcome, MockOutcome::Return(want));
        assert_eq!(e.latency, None);
        let first = c.lookup("Orders", "HappyPath", "Ship", 0).unwrap().unwrap();
        assert_eq!(
            first.outcome,
            MockOutcome::Throw(ExecError::new("Boom", "first"))
        );
        assert_eq!(first.latency, Some(Duration::from_millis(5)));
        for i in 1..=2 {
            let e = c.lookup("Orders", "HappyPath", "Ship", i).unwrap().unwrap();
            assert_eq!(
                e.outcome,
                MockOutcome::Throw(ExecError::new("Lambda.TimeoutException", "timed out"))
            );
        }
        let last = c.lookup("Orders", "HappyPath", "Ship", 3).unwrap().unwrap();
        assert_eq!(last.outcome, MockOutcome::Return(Value::from("done")));
    }

    #[test]
    fn lookup_failures_are_clear() {
        let c = cfg();
        let e = c.lookup("Orders", "HappyPath", "Ship", 4).unwrap_err();
        assert_eq!(e.error, names::RUNTIME);
        assert!(e.cause.contains("invocation 4"), "{}", e.cause);
        assert!(e.cause.contains("'Flaky'"), "{}", e.cause);
        // A state the test case does not mock is not an error: it resolves
        // normally (Step Functions Local's HybridPath).
        assert_eq!(c.lookup("Orders", "Other", "Ship", 0), Ok(None));
        assert!(!c.mocks("Orders", "Other", "Ship"));
        assert!(c.mocks("Orders", "Other", "Charge"));
        assert!(!c.mocks("Orders", "Nope", "Charge"));
        let e = c.lookup("Orders", "Nope", "Ship", 0).unwrap_err();
        assert!(e.cause.contains("test case 'Nope'"), "{}", e.cause);
        let e = c.lookup("Other", "HappyPath", "Ship", 0).unwrap_err();
        assert!(e.cause.contains("state machine 'Other'"), "{}", e.cause);
    }

    #[tokio::test]
    async fn answer_waits_latency() {
        let c = cfg();
        let e = c.lookup("Orders", "HappyPath", "Ship", 0).unwrap().unwrap();
        let t0 = std::time::Instant::now();
        assert_eq!(
            MockConfig::answer(e).await,
            Err(ExecError::new("Boom", "first"))
        );
        assert!(t0.elapsed() >= Duration::from_millis(5));
    }

    #[test]
    fn validation_errors() {
        let wrap = |resp: &str| {
            format!(
                r#"{{"StateMachines":{{"S":{{"TestCases":{{"C":{{"T":"R"}}}}}}}},
                    "MockedResponses":{{"R":{resp}}}}}"#
            )
        };
        let e = err_of(&wrap(r#"{"1": {"Return": 1}}"#));
        assert!(e.contains("invocation 0 is not covered"), "{e}");
        let e = err_of(&wrap(r#"{"0": {"Return": 1}, "2": {"Return": 1}}"#));
        assert!(e.contains("invocation 1 is not covered"), "{e}");
        let e = err_of(&wrap(r#"{"0-1": {"Return": 1}, "1": {"Return": 1}}"#));
        assert!(e.contains("covered twice"), "{e}");
        let e = err_of(&wrap(r#"{"0": {"Return": 1, "Throw": {"Error": "x"}}}"#));
        assert!(e.contains("both Return and Throw"), "{e}");
        let e = err_of(&wrap(r#"{"0": {}}"#));
        assert!(e.contains("exactly one of Return or Throw"), "{e}");
        let e = err_of(&wrap(r#"{"0": {"Throw": {"Cause": "x"}}}"#));
        assert!(e.contains("Error is required"), "{e}");
        let e = err_of(&wrap(r#"{"0": {"Throw": {"Error": 1}}}"#));
        assert!(e.contains("expected a string"), "{e}");
        let e = err_of(&wrap(r#"{"x": {"Return": 1}}"#));
        assert!(e.contains("key 'x'"), "{e}");
        let e = err_of(&wrap(r#"{"0": {"Return": 1, "Delay": 3}}"#));
        assert!(e.contains("unknown field 'Delay'"), "{e}");
        let e = err_of(&wrap(r#"{"0": {"Return": 1, "LatencyMs": -3}}"#));
        assert!(e.contains("LatencyMs"), "{e}");
        let e = err_of(&wrap(r#"{}"#));
        assert!(e.contains("no entries"), "{e}");
        let e = err_of(r#"{"StateMachines":{"S":{"TestCases":{"C":{"T":"Missing"}}}}}"#);
        assert!(e.contains("'Missing' is not in MockedResponses"), "{e}");
        let e = err_of("{not json");
        assert!(e.contains("not valid JSON"), "{e}");
        let e = err_of("[]");
        assert!(e.contains("expected an object"), "{e}");
    }

    #[test]
    fn from_file_reports_path() {
        let err = MockConfig::from_file("/nonexistent/mock.json").unwrap_err();
        assert!(err.to_string().contains("/nonexistent/mock.json"));
        let dir = std::env::temp_dir().join(format!("expressway-mock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("MockConfigFile.json");
        std::fs::write(&path, FILE).unwrap();
        let c = MockConfig::from_file(&path).unwrap();
        assert!(matches!(
            c.lookup("Orders", "HappyPath", "Charge", 0),
            Ok(Some(_))
        ));
        std::fs::remove_dir_all(&dir).ok();
    }
}
