//! The one runtime set-up of `serve`, `run` and `consume`: how Tasks are
//! resolved (the bundled example's handlers, the mock file, Lambda, HTTP,
//! the AWS integrations), the engine (shards, observer) and the start path
//! over it; and the start-up log of which resolver serves each Resource.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::CliError;
use crate::compile::Machine;
use crate::engine::observe::Observer;
use crate::engine::shards::Shards;
use crate::engine::Engine;
use crate::start::{StartConfig, Starter};
use crate::tasks::{MockConfig, Tasks, DEFAULT_MOCK_FILE};

/// How Tasks are resolved and where executions run: the same for every
/// command that starts executions.
#[derive(Clone, Default)]
pub struct Setup {
    /// The Step Functions Local mock file (MockConfigFile.json), used by
    /// executions that select a test case. `None`: `./MockConfigFile.json`
    /// when it exists.
    pub mock_file: Option<PathBuf>,
    /// Shard threads (`None`: one per core; `Some(0)`: run executions on the
    /// caller's tasks).
    pub shards: Option<usize>,
    /// Watches every execution (metrics, execution logs).
    pub observer: Option<Arc<dyn Observer>>,
    /// Where machines get their ARNs, the admission limits, the retention.
    pub start: StartConfig,
    /// The memory bounds of every execution.
    pub memory: MemoryLimits,
}

/// The memory bounds of every execution (`--execution-memory-mib`,
/// `--evaluation-memory-mib`; README "Limits").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryLimits {
    /// The bytes of values one execution may hold in flight in its Map
    /// iterations and Parallel branches ([`Engine::with_memory_budget`]);
    /// past it the state fails with `States.DataLimitExceeded`.
    pub execution_bytes: usize,
    /// The bytes one JSONata or Intrinsic Function evaluation may build
    /// ([`Engine::with_max_evaluation_bytes`]); past it the evaluation
    /// fails with `States.DataLimitExceeded`.
    pub evaluation_bytes: usize,
}

impl Default for MemoryLimits {
    /// 256 MiB each ([`crate::engine::DEFAULT_MEMORY_BUDGET_BYTES`],
    /// [`crate::json::budget::DEFAULT_MAX_BYTES`]).
    fn default() -> Self {
        MemoryLimits {
            execution_bytes: crate::engine::DEFAULT_MEMORY_BUDGET_BYTES,
            evaluation_bytes: crate::json::budget::DEFAULT_MAX_BYTES,
        }
    }
}

impl std::fmt::Debug for Setup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Setup")
            .field("mock_file", &self.mock_file)
            .field("shards", &self.shards)
            .field("observer", &self.observer.is_some())
            .field("start", &self.start)
            .field("memory", &self.memory)
            .finish()
    }
}

impl Setup {
    /// The Task resolver: the bundled example's handlers
    /// ([`super::example::register`]), the mock file (this set-up's, or
    /// `./MockConfigFile.json`), Lambda and the HTTP Task's allowed hosts
    /// from the environment ([`Tasks::new`]).
    ///
    /// # Errors
    /// [`CliError::MockFile`]: the mock file cannot be read or is invalid.
    pub fn tasks(&self) -> Result<Tasks, CliError> {
        let mut tasks = Tasks::new();
        let default = Path::new(DEFAULT_MOCK_FILE);
        let file = match &self.mock_file {
            Some(file) => Some(file.as_path()),
            None => default.is_file().then_some(default),
        };
        if let Some(file) = file {
            let mock = MockConfig::from_file(file).map_err(|source| CliError::MockFile {
                path: file.to_owned(),
                source,
            })?;
            tracing::info!("mock file {}", file.display());
            eprintln!("expressway: mock config file {}", file.display());
            tasks.set_mock(Some(mock));
        }
        super::example::register(&mut tasks);
        Ok(tasks)
    }

    /// The engine over [`Setup::tasks`], on this set-up's shards, watched by
    /// its observer.
    ///
    /// # Errors
    /// The mock file is invalid; the shard threads cannot start.
    pub fn engine(&self) -> Result<Engine, CliError> {
        let mut engine = Engine::new(self.tasks()?)
            .with_memory_budget(self.memory.execution_bytes)
            .with_max_evaluation_bytes(self.memory.evaluation_bytes);
        let shards = match self.shards {
            Some(0) => None,
            Some(n) => Some(Shards::start(n)),
            None => Some(Shards::per_core()),
        }
        .transpose()
        .map_err(CliError::Shards)?;
        if let Some(shards) = shards {
            engine = engine.with_shards(Arc::new(shards));
        }
        if let Some(observer) = &self.observer {
            engine = engine.with_observer(Arc::clone(observer));
        }
        Ok(engine)
    }

    /// The start path over [`Setup::engine`].
    ///
    /// # Errors
    /// As [`Setup::engine`].
    pub fn starter(&self) -> Result<Starter, CliError> {
        Ok(Starter::new(self.engine()?, self.start.clone()))
    }
}

/// One Task Resource of a machine and who serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The state machine's name.
    pub machine: String,
    /// The Task state's name.
    pub state: String,
    /// The Resource as written.
    pub resource: String,
    /// Who serves it.
    pub resolution: crate::tasks::Resolution,
}

impl std::fmt::Display for Resolved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} ({}) -> {}",
            self.machine, self.state, self.resource, self.resolution
        )?;
        if self.resolution.is_public_aws() {
            f.write_str(" [calls a PUBLIC AWS endpoint]")?;
        }
        Ok(())
    }
}

/// Who serves each Task Resource of every machine in `starter`'s registry,
/// sorted by machine and state.
pub fn resolutions(starter: &Starter) -> Vec<Resolved> {
    let tasks = starter.engine().tasks();
    let mut out: Vec<Resolved> = starter
        .store()
        .machines()
        .iter()
        .flat_map(|sm| {
            task_resources(&sm.machine)
                .into_iter()
                .map(|(state, resource)| Resolved {
                    machine: sm.name.clone(),
                    resolution: tasks.resolution(&resource),
                    state,
                    resource,
                })
                .collect::<Vec<_>>()
        })
        .collect();
    out.sort_by(|a, b| (&a.machine, &a.state).cmp(&(&b.machine, &b.state)));
    out
}

/// Logs [`resolutions`] on standard error, one line per Task, and a warning
/// for each Task that would call a public AWS endpoint.
pub fn log_resolutions(starter: &Starter) {
    for r in resolutions(starter) {
        eprintln!("expressway: task {r}");
        if r.resolution.is_public_aws() {
            tracing::warn!("{r}");
        }
    }
}

/// Creates a consumer's machine (as its pipeline will) and logs who serves
/// its Tasks, before the first record is read.
///
/// # Errors
/// [`CliError::Preload`]: the definition cannot be read or is refused.
pub fn load_consumed(
    starter: &Starter,
    definition: &Path,
    name: Option<&str>,
) -> Result<(), CliError> {
    crate::start::create_from_file(starter, definition, name)?;
    log_resolutions(starter);
    Ok(())
}

/// `(state name, Resource)` of every Task state of `machine`, branches and
/// iterators included (read from the definition text).
fn task_resources(machine: &Machine) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Ok(doc) = serde_json::from_str::<serde_json::Value>(&machine.definition) {
        collect(&doc, &mut out);
    }
    out
}

fn collect(machine: &serde_json::Value, out: &mut Vec<(String, String)>) {
    let Some(states) = machine.get("States").and_then(|s| s.as_object()) else {
        return;
    };
    for (name, state) in states {
        if state.get("Type").and_then(|t| t.as_str()) == Some("Task") {
            if let Some(resource) = state.get("Resource").and_then(|r| r.as_str()) {
                out.push((name.clone(), resource.to_owned()));
            }
        }
        for branch in state
            .get("Branches")
            .and_then(|b| b.as_array())
            .into_iter()
            .flatten()
        {
            collect(branch, out);
        }
        for key in ["Iterator", "ItemProcessor"] {
            if let Some(inner) = state.get(key) {
                collect(inner, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::start::MachineSpec;
    use crate::tasks::Resolution;

    /// `--execution-memory-mib` reaches the engine: a Map over 1,000 items
    /// reading a 100 KB `$$` member fails with `States.DataLimitExceeded`
    /// under 1 MiB and succeeds under the default.
    #[tokio::test]
    async fn the_memory_limits_reach_the_engine() {
        let def = r#"{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items",
          "ItemSelector":{"pad.$":"$$.Execution.Input.pad"},
          "ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},
          "ResultPath":null,"End":true}}}"#;
        let items = vec!["0"; 1000].join(",");
        let input = format!(r#"{{"items":[{items}],"pad":"{}"}}"#, "x".repeat(100_000));
        let run = |memory: MemoryLimits| {
            let input = input.clone();
            async move {
                let setup = Setup {
                    shards: Some(0),
                    memory,
                    ..Setup::default()
                };
                let starter = setup.starter().expect("set-up");
                let m = starter
                    .create_machine(MachineSpec::express("big", def))
                    .expect("machine")
                    .machine;
                let request = crate::start::StartRequest {
                    input: crate::start::StartInput::Text(&input),
                    ..crate::start::StartRequest::new(&m.arn)
                };
                starter.start_sync(request).await.expect("started").outcome
            }
        };
        let small = run(MemoryLimits {
            execution_bytes: 1 << 20,
            ..MemoryLimits::default()
        })
        .await;
        assert_eq!(small.error.as_deref(), Some("States.DataLimitExceeded"));
        let default = run(MemoryLimits::default()).await;
        assert_eq!(default.error, None, "{:?}", default.cause);
    }

    #[test]
    fn every_task_of_the_payment_example_is_served_in_process() {
        let setup = Setup {
            shards: Some(0),
            mock_file: Some(PathBuf::from("examples/payment/MockConfigFile.json")),
            ..Setup::default()
        };
        let starter = setup.starter().expect("set-up");
        let dir = Path::new("examples/payment");
        crate::start::preload(&starter, dir).expect("the example loads");
        let all = resolutions(&starter);
        assert!(all.len() >= 10, "{all:?}");
        for r in &all {
            assert!(
                matches!(
                    r.resolution,
                    Resolution::Handler | Resolution::Function(_) | Resolution::Http
                ),
                "not served in process: {r}"
            );
            assert!(!r.resolution.is_public_aws(), "{r}");
        }
        // Branch states are listed too.
        assert!(all.iter().any(|r| r.state == "SendEmail"), "{all:?}");
    }

    #[test]
    fn a_task_for_public_aws_says_so() {
        let setup = Setup {
            shards: Some(0),
            mock_file: Some(PathBuf::from("examples/payment/MockConfigFile.json")),
            ..Setup::default()
        };
        let starter = setup.starter().expect("set-up");
        let def = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","End":true}}}"#;
        starter
            .create_machine(MachineSpec::express("q", def))
            .expect("machine");
        let all = resolutions(&starter);
        assert_eq!(all.len(), 1);
        let line = all[0].to_string();
        assert!(
            line.starts_with("q: T (arn:aws:states:::sqs:sendMessage) -> AWS sqs API at "),
            "{line}"
        );
        // With no endpoint in the environment, the SDK's default is AWS itself.
        if std::env::var("AWS_ENDPOINT_URL").is_err()
            && std::env::var("AWS_ENDPOINT_URL_SQS").is_err()
        {
            assert!(line.ends_with("[calls a PUBLIC AWS endpoint]"), "{line}");
        }
    }
}
