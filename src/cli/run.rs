//! `expressway run` (one execution of a definition) and `expressway
//! validate`.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;

use super::{error::CliError, fail, setup::Setup};
use crate::engine::observe::{LogLevel, LogSettings, Observer};
use crate::engine::ExecutionStatus;
use crate::start::{MachineSpec, StartConfig, StartInput, StartRequest};
use crate::telemetry::{LogWriter, Telemetry, TelemetryConfig};

/// The flags of `expressway run`.
#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// The ASL definition file.
    pub definition: PathBuf,
    /// The input file, or `-` for standard input.
    #[arg(long, default_value = "-")]
    pub input: String,
    /// Step Functions Local mock file (MockConfigFile.json).
    #[arg(long, env = "SFN_MOCK_CONFIG")]
    pub mock_config: Option<PathBuf>,
    /// Mock-file test case to run with.
    #[arg(long)]
    pub test_case: Option<String>,
    /// Write the execution's log events (JSON lines, as Step Functions
    /// writes them to CloudWatch Logs) to this file, or `-` for standard error.
    #[arg(long)]
    pub execution_log: Option<String>,
    /// Which events `--execution-log` writes: ALL, ERROR or FATAL.
    #[arg(long, default_value = "ALL", value_parser = ["ALL", "ERROR", "FATAL"])]
    pub log_level: String,
    /// Include inputs and outputs in `--execution-log` (includeExecutionData).
    #[arg(long)]
    pub include_execution_data: bool,
}

fn read(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|source| CliError::Read {
        path: path.to_owned(),
        source,
    })
}

fn read_input(input: &str) -> Result<String, CliError> {
    if input == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(CliError::Stdin)?;
        Ok(text)
    } else {
        read(Path::new(input))
    }
}

/// `run`'s report, one line: `{"status","output","error","cause"}`. The
/// output is written by our serialiser (no re-parse through serde_json,
/// whose 128-level recursion limit turned deep outputs into `null`).
fn run_report(outcome: &crate::engine::ExecutionOutcome) -> String {
    let text = |s: &Option<String>| serde_json::to_string(s).unwrap_or_else(|_| "null".into());
    format!(
        r#"{{"status":"{}","output":{},"error":{},"cause":{}}}"#,
        outcome.status.as_str(),
        outcome
            .output
            .as_ref()
            .map_or_else(|| "null".to_owned(), crate::json::to_string),
        text(&outcome.error),
        text(&outcome.cause),
    )
}

/// `run --execution-log`: the observer writing the execution's log.
fn execution_log(args: &RunArgs) -> Result<Option<Arc<Telemetry>>, CliError> {
    let Some(target) = &args.execution_log else {
        return Ok(None);
    };
    // Standard output carries the result: the log goes to standard error.
    let writer = if target == "-" {
        LogWriter::new(Box::new(std::io::stderr()))
    } else {
        LogWriter::open(target)
    }
    .map_err(|source| CliError::ExecutionLog {
        target: target.clone(),
        source,
    })?;
    Ok(Some(Arc::new(Telemetry::new(TelemetryConfig {
        state_metrics: false,
        log: Some(writer),
        sample: 1.0,
    }))))
}

/// Runs one execution through the start path and prints
/// `{"status","output","error","cause"}`: 0 when it SUCCEEDED, 1 otherwise,
/// 2 when it cannot start.
pub(super) async fn run(args: RunArgs) -> ExitCode {
    let log = match execution_log(&args) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    // `run --test-case` uses the MockConfigFile.json beside the definition
    // (the example's), as `serve` does for the bundled example.
    let mock_file = args.mock_config.clone().or_else(|| {
        let file = args.definition.with_file_name(super::BUNDLED_MOCK_FILE);
        (args.test_case.is_some() && file.is_file()).then_some(file)
    });
    let setup = Setup {
        mock_file,
        shards: Some(0),
        observer: log.clone().map(|t| t as Arc<dyn Observer>),
        start: StartConfig::default(),
        ..Setup::default()
    };
    let prepared = (|| {
        let text = read(&args.definition)?;
        let starter = setup.starter()?;
        let name = crate::start::machine_name(&args.definition);
        let created = starter.create_machine(MachineSpec::express(&name, &text))?;
        let input = read_input(&args.input)?;
        Ok::<_, CliError>((starter, created.machine, input))
    })();
    let (starter, machine, input) = match prepared {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    if log.is_some() {
        let settings = LogSettings {
            level: LogLevel::parse(&args.log_level).unwrap_or(LogLevel::All),
            include_execution_data: args.include_execution_data,
            log_group_arn: None,
        };
        starter
            .engine()
            .register_machine(&machine.machine, &machine.name, &settings);
    }
    super::setup::log_resolutions(&starter);
    let arn = match &args.test_case {
        Some(case) => format!("{}#{case}", machine.arn),
        None => machine.arn.clone(),
    };
    let request = StartRequest {
        input: StartInput::Text(&input),
        ..StartRequest::new(&arn)
    };
    let done = match starter.start_sync(request).await {
        Ok(done) => done,
        Err(e) => return fail(e),
    };
    if let Some(t) = &log {
        t.flush(std::time::Duration::from_secs(5));
    }
    let outcome = done.outcome;
    println!("{}", run_report(&outcome));
    if outcome.status == ExecutionStatus::Succeeded {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Validates a definition and prints its diagnostics: 0 on OK, 1 on FAIL,
/// 2 when the file cannot be read.
pub(super) fn validate(definition: &Path) -> ExitCode {
    let text = match read(definition) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let report = crate::api::validate_definition(&text);
    println!("{report}");
    if report["result"] == "OK" {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
