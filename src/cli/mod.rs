//! The `expressway` command: flags and wiring, nothing else. `serve` the
//! Step Functions API, `run` one execution of a definition, `validate` a
//! definition, `consume` events from a file, SQS or Kinesis.
//!
//! Every command that starts executions builds its runtime with the same
//! [`setup::Setup`] (Task resolution, engine, start path) and logs at
//! start-up which resolver serves each Task Resource of each loaded machine
//! ([`setup::log_resolutions`]).

mod consume;
#[cfg(feature = "aws")]
mod consume_aws;
mod error;
pub mod flags;
pub mod logging;
mod run;
mod serve;
pub mod setup;

/// The bundled card-payment example's in-process Task handlers. Their code
/// is the example's (`examples/payment/handlers.rs`); every command
/// registers them ([`setup::Setup::tasks`]), so `serve` with no arguments
/// runs the example with no Lambda at all.
#[path = "../../examples/payment/handlers.rs"]
pub mod example;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use consume::FileArgs;
pub use error::{CliError, SampleRateError};
pub use run::RunArgs;
pub use serve::{ServeArgs, BUNDLED_MOCK_FILE, DEFAULT_DEFINITIONS};

/// The command line.
#[derive(Parser, Debug)]
#[command(
    name = "expressway",
    version,
    about = "An in-memory runtime for AWS Step Functions Express workflows"
)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
    /// A directory of extra AWS service models for `aws-sdk:*` Tasks
    /// (`scripts/aws-models.py --out DIR SERVICE…`); repeatable.
    #[arg(long = "aws-models", global = true, value_name = "DIR")]
    pub aws_models: Vec<std::path::PathBuf>,
}

/// The commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the AWS Step Functions JSON 1.0 API.
    Serve(Box<ServeArgs>),
    /// Run one execution and print `{"status","output","error","cause"}`;
    /// exit 0 when it SUCCEEDED, 1 otherwise, 2 when it cannot start.
    Run(RunArgs),
    /// Validate a definition and print its diagnostics; exit 1 on FAIL.
    Validate {
        /// The ASL definition file.
        definition: std::path::PathBuf,
    },
    /// Consume events: one execution per record (or batch), at-least-once
    /// with a checkpoint; a summary is printed on standard error.
    Consume {
        /// Where events come from.
        #[command(subcommand)]
        source: ConsumeSource,
    },
}

/// Where `consume` reads events from.
#[derive(Subcommand, Debug)]
pub enum ConsumeSource {
    /// A JSON-lines file (`-`: standard input); exit 0 once every line is
    /// reported (or on SIGTERM/SIGINT after in-flight lines finish), 1 on an
    /// I/O error, 2 when it cannot start.
    File(Box<FileArgs>),
    /// An SQS queue: one execution per message (or received batch); deleted
    /// once it succeeded, left for redelivery (and the queue's DLQ) otherwise.
    #[cfg(feature = "aws")]
    Sqs(Box<consume_aws::SqsArgs>),
    /// A Kinesis stream: one execution per record (or batch), per-shard
    /// checkpoint, poison records to an on-failure destination.
    #[cfg(feature = "aws")]
    Kinesis(Box<consume_aws::KinesisArgs>),
}

/// Prints `expressway: <error>` on standard error; exit status 2 (the
/// command could not start). The one place a [`CliError`] meets the user.
fn fail(error: impl Into<CliError>) -> ExitCode {
    eprintln!("expressway: {}", error.into());
    ExitCode::from(2)
}

/// Parses the command line and runs the command; the process's exit status.
pub fn main() -> ExitCode {
    let cli = Cli::try_parse().unwrap_or_else(|e| {
        let _ = e.print();
        let args: Vec<String> = std::env::args().collect();
        if let Some(hint) = crate::sources::feature_hint(&args, cfg!(feature = "aws")) {
            eprintln!("{hint}");
        }
        std::process::exit(e.exit_code())
    });
    run_command(cli)
}

/// Runs a parsed command on a new multi-threaded tokio runtime.
pub fn run_command(cli: Cli) -> ExitCode {
    logging::init();
    if let Some(dir) = cli.aws_models.iter().find(|d| !d.is_dir()) {
        return fail(CliError::ModelsDir(dir.clone()));
    }
    match std::env::join_paths(&cli.aws_models) {
        // Read by the task resolver, before any thread starts.
        Ok(dirs) if !dirs.is_empty() => {
            std::env::set_var(crate::tasks::aws_sdk::AWS_MODELS_ENV, dirs)
        }
        _ => {}
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(CliError::Runtime(e)),
    };
    match cli.command {
        Command::Serve(args) => runtime.block_on(serve::serve(*args)),
        Command::Run(args) => runtime.block_on(run::run(args)),
        Command::Validate { definition } => run::validate(&definition),
        Command::Consume { source } => {
            let code = runtime.block_on(async move {
                match source {
                    ConsumeSource::File(args) => consume::file(*args).await,
                    #[cfg(feature = "aws")]
                    ConsumeSource::Sqs(args) => consume_aws::sqs(*args).await,
                    #[cfg(feature = "aws")]
                    ConsumeSource::Kinesis(args) => consume_aws::kinesis(*args).await,
                }
            });
            // Standard input may still be blocked in a read: do not wait for it.
            runtime.shutdown_timeout(std::time::Duration::from_millis(100));
            code
        }
    }
}
