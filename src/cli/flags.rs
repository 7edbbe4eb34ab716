//! Flags shared by the commands that start executions.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;

use super::error::{CliError, SampleRateError};
use super::setup::{MemoryLimits, Setup};
use crate::admission::{AdmissionConfig, PartialLimits};
use crate::engine::observe::Observer;
use crate::start::StartConfig;
use crate::telemetry::{LogWriter, Telemetry, TelemetryConfig};

/// Flags shared by the commands that start executions (`serve`, `consume`).
#[derive(Args, Debug, Clone)]
pub struct RuntimeFlags {
    /// Region in ARNs when a request is not signed.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    /// Account id in ARNs.
    #[arg(long, default_value = "123456789012")]
    pub account: String,
    /// Configuration file (TOML if it ends in `.toml`, JSON otherwise);
    /// its `admission` section sets `default`, `global` and per-machine
    /// (`machines.<name>`) limits. Flags override the file's `default`/`global`.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Shard threads executions run on, each with its own single-threaded
    /// scheduler (default: one per core); 0 runs executions on the threads
    /// that serve requests.
    #[arg(long)]
    pub shards: Option<usize>,
    /// The admission limits.
    #[command(flatten)]
    pub admission: AdmissionFlags,
    /// MiB of values one execution may hold in flight in its Map
    /// iterations and Parallel branches; past it the state fails with
    /// States.DataLimitExceeded (default 256).
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
    pub execution_memory_mib: Option<u64>,
    /// MiB one JSONata or Intrinsic Function evaluation may build; past it
    /// the evaluation fails with States.DataLimitExceeded (default 256).
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
    pub evaluation_memory_mib: Option<u64>,
}

impl RuntimeFlags {
    /// The admission configuration: built-in defaults, then the file, then the flags.
    ///
    /// # Errors
    /// The configuration file cannot be read or is invalid.
    pub fn admission(&self) -> Result<AdmissionConfig, CliError> {
        self.admission.config(self.config.as_deref())
    }

    /// The runtime set-up these flags ask for, with the mock file `mock_file`
    /// and the observer `observer`.
    ///
    /// # Errors
    /// As [`RuntimeFlags::admission`].
    pub fn setup(
        &self,
        mock_file: Option<PathBuf>,
        observer: Option<Arc<dyn Observer>>,
    ) -> Result<Setup, CliError> {
        let mib = |m: Option<u64>, default: usize| {
            m.and_then(|m| usize::try_from(m << 20).ok())
                .unwrap_or(default)
        };
        let defaults = MemoryLimits::default();
        Ok(Setup {
            mock_file,
            shards: self.shards,
            observer,
            start: StartConfig {
                region: self.region.clone(),
                account: self.account.clone(),
                admission: self.admission()?,
                ..StartConfig::default()
            },
            memory: MemoryLimits {
                execution_bytes: mib(self.execution_memory_mib, defaults.execution_bytes),
                evaluation_bytes: mib(self.evaluation_memory_mib, defaults.evaluation_bytes),
            },
        })
    }
}

/// Metrics and execution-log flags of `serve`.
#[derive(Args, Debug, Clone)]
pub struct TelemetryFlags {
    /// Do not record per-state and per-Task metrics
    /// (`expressway_state_*`, `expressway_task_*`).
    #[arg(long)]
    pub no_state_metrics: bool,
    /// Write execution logs (JSON lines, as Step Functions writes them to
    /// CloudWatch Logs) of the state machines whose loggingConfiguration
    /// level is not OFF to this file (appended), or `-` for standard output.
    #[arg(long)]
    pub execution_log: Option<String>,
    /// Fraction of those executions that are logged, 0 to 1 (decided once
    /// per execution: a sampled execution logs all its events).
    #[arg(long, default_value_t = 1.0, value_parser = sample_rate)]
    pub execution_log_sample: f64,
}

/// Parses a sampling rate in 0..=1.
fn sample_rate(s: &str) -> Result<f64, SampleRateError> {
    match s.parse::<f64>() {
        Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
        _ => Err(SampleRateError(s.to_owned())),
    }
}

impl TelemetryFlags {
    /// The observer these flags ask for, if any.
    ///
    /// # Errors
    /// The execution log cannot be opened.
    pub fn telemetry(&self) -> Result<Option<Arc<Telemetry>>, CliError> {
        let log = match &self.execution_log {
            Some(target) => {
                Some(
                    LogWriter::open(target).map_err(|source| CliError::ExecutionLog {
                        target: target.clone(),
                        source,
                    })?,
                )
            }
            None => None,
        };
        let telemetry = Telemetry::new(TelemetryConfig {
            state_metrics: !self.no_state_metrics,
            log,
            sample: self.execution_log_sample,
        });
        Ok(telemetry.is_active().then(|| Arc::new(telemetry)))
    }
}

/// Admission-control flags: each state machine's bucket and the global one.
#[derive(Args, Debug, Clone, Copy)]
pub struct AdmissionFlags {
    /// Starts per second each state machine's token bucket refills (default 10000).
    #[arg(long)]
    pub admission_rate: Option<f64>,
    /// Size of each state machine's token bucket (default 10000).
    #[arg(long)]
    pub admission_burst: Option<u32>,
    /// Longest a start waits for a token before ThrottlingException, in ms (default 1000).
    #[arg(long)]
    pub admission_max_wait_ms: Option<u64>,
    /// Most starts waiting per state machine before ThrottlingException (default 10000).
    #[arg(long)]
    pub admission_max_queue: Option<usize>,
    /// Starts per second the global bucket refills (default 50000).
    #[arg(long)]
    pub admission_global_rate: Option<f64>,
    /// Size of the global bucket (default 50000).
    #[arg(long)]
    pub admission_global_burst: Option<u32>,
}

impl AdmissionFlags {
    /// The admission configuration: built-in defaults, then the file, then the flags.
    ///
    /// # Errors
    /// The file cannot be read or is invalid.
    pub fn config(&self, file: Option<&Path>) -> Result<AdmissionConfig, CliError> {
        let default = PartialLimits {
            rate: self.admission_rate,
            burst: self.admission_burst,
            max_wait_ms: self.admission_max_wait_ms,
            max_queue: self.admission_max_queue,
        };
        let global = PartialLimits {
            rate: self.admission_global_rate,
            burst: self.admission_global_burst,
            ..PartialLimits::default()
        };
        match file {
            Some(path) => AdmissionConfig::load(path, &default, &global),
            None => AdmissionConfig::from_flags(&default, &global),
        }
        .map_err(CliError::from)
    }
}
