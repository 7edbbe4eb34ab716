//! `expressway consume file` and how every consumer's run ends.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::fail;
use super::flags::RuntimeFlags;
use crate::sources::file::{self, FileConsumer};

/// The flags of `expressway consume file`.
#[derive(Args, Debug, Clone)]
pub struct FileArgs {
    /// The events file, one JSON document per line, or `-`.
    pub events: String,
    /// The ASL definition file.
    #[arg(long)]
    pub definition: PathBuf,
    /// The state machine name (default: the definition's file name).
    #[arg(long)]
    pub state_machine_name: Option<String>,
    /// Lines per execution, given as a Lambda SQS event `{"Records":[…]}`.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub batch: Option<u32>,
    /// Executions in flight at most.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..))]
    pub concurrency: u32,
    /// Checkpoint file: lines up to the one it names are skipped on restart.
    #[arg(long)]
    pub checkpoint: Option<PathBuf>,
    /// Shortest time between checkpoint writes, in ms.
    #[arg(long, default_value_t = 100)]
    pub checkpoint_interval_ms: u64,
    /// Report file, one JSON line per input line (appended; default standard output).
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// File the text of failed lines is appended to.
    #[arg(long)]
    pub dead_letter: Option<PathBuf>,
    /// Step Functions Local mock file (MockConfigFile.json).
    #[arg(long, env = "SFN_MOCK_CONFIG")]
    pub mock_config: Option<PathBuf>,
    /// Region, account, admission and shards.
    #[command(flatten)]
    pub runtime: RuntimeFlags,
}

/// Runs `consume file`: 0 once every line is reported (or after a stop), 1
/// on an I/O error, 2 when it cannot start.
pub(super) async fn file(a: FileArgs) -> ExitCode {
    let starter = match a
        .runtime
        .setup(a.mock_config.clone(), None)
        .and_then(|s| s.starter())
    {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    if let Err(e) =
        super::setup::load_consumed(&starter, &a.definition, a.state_machine_name.as_deref())
    {
        return fail(e);
    }
    let consumer = FileConsumer {
        events: a.events,
        definition: a.definition,
        state_machine_name: a.state_machine_name,
        batch: a.batch.map(|n| n as usize),
        concurrency: a.concurrency as usize,
        checkpoint: a.checkpoint,
        report: a.report,
        dead_letter: a.dead_letter,
        checkpoint_every: std::time::Duration::from_millis(a.checkpoint_interval_ms),
    };
    let stop = crate::sources::shutdown_signal();
    let ended = file::consume(&consumer, &starter, stop).await;
    exit(ended.map(|s| (s.to_json(), s.error.is_some())))
}

/// How a consumer run ends: its summary (JSON) on standard error; exit 0,
/// 1 when the summary reports an error, 2 when the consumer could not start.
pub(super) fn exit<S: std::fmt::Display, E: Into<super::CliError>>(
    ended: Result<(S, bool), E>,
) -> ExitCode {
    match ended {
        Ok((summary, failed)) => {
            eprintln!("{summary}");
            if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => fail(e),
    }
}
