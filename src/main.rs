//! The `expressway` command: `serve` the Step Functions API, `run` one
//! execution of a definition, or `validate` a definition.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::SystemTime;

use clap::{Args, Parser, Subcommand};
use mimalloc::MiMalloc;

use expressway::admission::{AdmissionConfig, PartialLimits};
use expressway::api::{self, arn, Config, MachineType, Service};
use expressway::engine::observe::{LogLevel, LogSettings};
use expressway::engine::shards::Shards;
use expressway::engine::{Engine, ExecutionOptions, ExecutionStatus};
use expressway::sources::EngineSetup;
use expressway::tasks::Tasks;
use expressway::telemetry::{LogWriter, Telemetry, TelemetryConfig};

#[cfg(feature = "aws")]
mod consume_aws;

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

/// The bundled example served when `serve` gets no `--definitions`.
const DEFAULT_DEFINITIONS: &str = "examples/payment";
/// The mock file served with the bundled example.
const BUNDLED_MOCK_FILE: &str = "MockConfigFile.json";
/// Suffix of the definition files `serve --definitions` loads.
const DEFINITION_SUFFIX: &str = ".asl.json";

#[derive(Parser)]
#[command(
    name = "expressway",
    version,
    about = "An in-memory runtime for AWS Step Functions Express workflows"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// A directory of extra AWS service models for `aws-sdk:*` Tasks
    /// (`scripts/aws-models.py --out DIR SERVICE…`); repeatable.
    #[arg(long = "aws-models", global = true, value_name = "DIR")]
    aws_models: Vec<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the AWS Step Functions JSON 1.0 API.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Port to listen on.
        #[arg(long, default_value_t = 8083)]
        port: u16,
        /// Folder whose `*.asl.json` files are created as EXPRESS state
        /// machines named after the file (default: `examples/payment` if it exists).
        #[arg(long)]
        definitions: Option<PathBuf>,
        /// Step Functions Local mock file (MockConfigFile.json; default:
        /// `examples/payment/MockConfigFile.json` with the bundled example).
        #[arg(long, env = "SFN_MOCK_CONFIG")]
        mock_config: Option<PathBuf>,
        /// Verify every request's AWS Signature Version 4 against the
        /// configured credentials (--sigv4-credentials, its environment
        /// variable, or the --config file's `sigv4.credentials`); off by default.
        #[arg(long)]
        verify_sigv4: bool,
        /// Credentials accepted with --verify-sigv4: ACCESS_KEY_ID:SECRET,
        /// repeatable or comma-separated.
        #[arg(long, env = "EXPRESSWAY_SIGV4_CREDENTIALS", value_delimiter = ',')]
        sigv4_credentials: Vec<String>,
        #[command(flatten)]
        runtime: RuntimeFlags,
        #[command(flatten)]
        telemetry: TelemetryFlags,
    },
    /// Run one execution and print `{"status","output","error","cause"}`;
    /// exit 0 when it SUCCEEDED, 1 otherwise, 2 when it cannot start.
    Run {
        /// The ASL definition file.
        definition: PathBuf,
        /// The input file, or `-` for standard input.
        #[arg(long, default_value = "-")]
        input: String,
        /// Step Functions Local mock file (MockConfigFile.json).
        #[arg(long, env = "SFN_MOCK_CONFIG")]
        mock_config: Option<PathBuf>,
        /// Mock-file test case to run with.
        #[arg(long)]
        test_case: Option<String>,
        /// Write the execution's log events (JSON lines, as Step Functions
        /// writes them to CloudWatch Logs) to this file, or `-` for standard error.
        #[arg(long)]
        execution_log: Option<String>,
        /// Which events `--execution-log` writes: ALL, ERROR or FATAL.
        #[arg(long, default_value = "ALL", value_parser = ["ALL", "ERROR", "FATAL"])]
        log_level: String,
        /// Include inputs and outputs in `--execution-log` (includeExecutionData).
        #[arg(long)]
        include_execution_data: bool,
    },
    /// Validate a definition and print its diagnostics; exit 1 on FAIL.
    Validate {
        /// The ASL definition file.
        definition: PathBuf,
    },
    /// Consume events: one execution per record (or batch), at-least-once
    /// with a checkpoint; a summary is printed on standard error.
    Consume {
        #[command(subcommand)]
        source: ConsumeSource,
    },
}

/// Where `consume` reads events from.
// Parsed once per process: the size of the `File` variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum ConsumeSource {
    /// A JSON-lines file (`-`: standard input); exit 0 once every line is
    /// reported (or on SIGTERM/SIGINT after in-flight lines finish), 1 on an
    /// I/O error, 2 when it cannot start.
    File {
        /// The events file, one JSON document per line, or `-`.
        events: String,
        /// The ASL definition file.
        #[arg(long)]
        definition: PathBuf,
        /// The state machine name (default: the definition's file name).
        #[arg(long)]
        state_machine_name: Option<String>,
        /// Lines per execution, given as a Lambda SQS event `{"Records":[…]}`.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        batch: Option<u32>,
        /// Executions in flight at most.
        #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..))]
        concurrency: u32,
        /// Checkpoint file: lines up to the one it names are skipped on restart.
        #[arg(long)]
        checkpoint: Option<PathBuf>,
        /// Shortest time between checkpoint writes, in ms.
        #[arg(long, default_value_t = 100)]
        checkpoint_interval_ms: u64,
        /// Report file, one JSON line per input line (appended; default standard output).
        #[arg(long)]
        report: Option<PathBuf>,
        /// File the text of failed lines is appended to.
        #[arg(long)]
        dead_letter: Option<PathBuf>,
        /// Step Functions Local mock file (MockConfigFile.json).
        #[arg(long, env = "SFN_MOCK_CONFIG")]
        mock_config: Option<PathBuf>,
        #[command(flatten)]
        runtime: RuntimeFlags,
    },
    /// An SQS queue: one execution per message (or received batch); deleted
    /// once it succeeded, left for redelivery (and the queue's DLQ) otherwise.
    #[cfg(feature = "aws")]
    Sqs(Box<consume_aws::SqsArgs>),
    /// A Kinesis stream: one execution per record (or batch), per-shard
    /// checkpoint, poison records to an on-failure destination.
    #[cfg(feature = "aws")]
    Kinesis(Box<consume_aws::KinesisArgs>),
}

/// Flags shared by the commands that start executions (`serve`, `consume`).
#[derive(Args, Debug, Clone)]
struct RuntimeFlags {
    /// Region in ARNs when a request is not signed.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// Account id in ARNs.
    #[arg(long, default_value = "123456789012")]
    account: String,
    /// Configuration file (TOML if it ends in `.toml`, JSON otherwise);
    /// its `admission` section sets `default`, `global` and per-machine
    /// (`machines.<name>`) limits. Flags override the file's `default`/`global`.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Shard threads executions run on, each with its own single-threaded
    /// scheduler (default: one per core); 0 runs executions on the threads
    /// that serve requests.
    #[arg(long)]
    shards: Option<usize>,
    #[command(flatten)]
    admission: AdmissionFlags,
}

impl RuntimeFlags {
    /// An engine over `tasks` that runs executions on the shards these
    /// flags ask for.
    fn engine(&self, tasks: Tasks) -> Result<Engine, String> {
        Ok(self.engine_setup(false)?.engine(tasks))
    }

    /// How a consumer's engine runs: on the shards these flags ask for,
    /// with per-state metrics when `state_metrics`.
    fn engine_setup(&self, state_metrics: bool) -> Result<EngineSetup, String> {
        let shards = match self.shards {
            Some(0) => None,
            Some(n) => Some(Shards::start(n)),
            None => Some(Shards::per_core()),
        }
        .transpose()
        .map_err(|e| format!("cannot start the shard threads: {e}"))?;
        let observer = state_metrics.then(|| {
            Arc::new(Telemetry::new(TelemetryConfig {
                state_metrics: true,
                log: None,
                sample: 1.0,
            })) as Arc<dyn expressway::engine::observe::Observer>
        });
        Ok(EngineSetup {
            shards: shards.map(Arc::new),
            observer,
        })
    }

    /// The admission configuration: built-in defaults, then the file, then the flags.
    fn admission(&self) -> Result<AdmissionConfig, String> {
        self.admission.config(self.config.as_deref())
    }
}

/// Metrics and execution-log flags of `serve`.
#[derive(Args, Debug, Clone)]
struct TelemetryFlags {
    /// Do not record per-state and per-Task metrics
    /// (`expressway_state_*`, `expressway_task_*`).
    #[arg(long)]
    no_state_metrics: bool,
    /// Write execution logs (JSON lines, as Step Functions writes them to
    /// CloudWatch Logs) of the state machines whose loggingConfiguration
    /// level is not OFF to this file (appended), or `-` for standard output.
    #[arg(long)]
    execution_log: Option<String>,
    /// Fraction of those executions that are logged, 0 to 1 (decided once
    /// per execution: a sampled execution logs all its events).
    #[arg(long, default_value_t = 1.0, value_parser = sample_rate)]
    execution_log_sample: f64,
}

/// Parses a sampling rate in 0..=1.
fn sample_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
        _ => Err(format!("'{s}' is not a number from 0 to 1")),
    }
}

impl TelemetryFlags {
    /// The observer these flags ask for, if any.
    fn telemetry(&self) -> Result<Option<Arc<Telemetry>>, String> {
        let log = match &self.execution_log {
            Some(target) => Some(
                LogWriter::open(target)
                    .map_err(|e| format!("cannot open execution log {target}: {e}"))?,
            ),
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
struct AdmissionFlags {
    /// Starts per second each state machine's token bucket refills (default 10000).
    #[arg(long)]
    admission_rate: Option<f64>,
    /// Size of each state machine's token bucket (default 10000).
    #[arg(long)]
    admission_burst: Option<u32>,
    /// Longest a start waits for a token before ThrottlingException, in ms (default 1000).
    #[arg(long)]
    admission_max_wait_ms: Option<u64>,
    /// Most starts waiting per state machine before ThrottlingException (default 10000).
    #[arg(long)]
    admission_max_queue: Option<usize>,
    /// Starts per second the global bucket refills (default 50000).
    #[arg(long)]
    admission_global_rate: Option<f64>,
    /// Size of the global bucket (default 50000).
    #[arg(long)]
    admission_global_burst: Option<u32>,
}

impl AdmissionFlags {
    /// The admission configuration: built-in defaults, then the file, then the flags.
    fn config(&self, file: Option<&Path>) -> Result<AdmissionConfig, String> {
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
        .map_err(|e| e.to_string())
    }
}

/// The SigV4 verifier of `serve --verify-sigv4`: the credentials of the
/// flag (or its environment variable) and of the configuration file; none
/// without the flag.
fn sigv4_verifier(
    on: bool,
    credentials: &[String],
    flags: &RuntimeFlags,
) -> Result<Option<expressway::api::auth::Verifier>, String> {
    use expressway::api::auth::{SigV4Keys, Verifier};
    if !on {
        return Ok(None);
    }
    let mut keys = SigV4Keys::default();
    for entry in credentials {
        keys.add_list(entry).map_err(|e| e.to_string())?;
    }
    if let Some(file) = &flags.config {
        keys.add_file(file).map_err(|e| e.to_string())?;
    }
    if keys.is_empty() {
        return Err(
            "--verify-sigv4 needs credentials: --sigv4-credentials AKID:SECRET, \
             EXPRESSWAY_SIGV4_CREDENTIALS, or sigv4.credentials in --config"
                .to_owned(),
        );
    }
    Ok(Some(Verifier::new(keys)))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mock = match &cli.command {
        Command::Serve {
            mock_config,
            definitions,
            ..
        } => mock_config
            .clone()
            .or_else(|| bundled_mock(definitions.as_deref())),
        Command::Run { mock_config, .. }
        | Command::Consume {
            source: ConsumeSource::File { mock_config, .. },
        } => mock_config.clone(),
        #[cfg(feature = "aws")]
        Command::Consume {
            source: ConsumeSource::Sqs(a),
        } => a.mock_config.clone(),
        #[cfg(feature = "aws")]
        Command::Consume {
            source: ConsumeSource::Kinesis(a),
        } => a.mock_config.clone(),
        Command::Validate { .. } => None,
    };
    if let Some(path) = mock {
        // Before any thread starts: the task resolver reads it from the environment.
        std::env::set_var("SFN_MOCK_CONFIG", path);
    }
    if let Some(dir) = cli.aws_models.iter().find(|d| !d.is_dir()) {
        eprintln!(
            "expressway: --aws-models {}: not a directory",
            dir.display()
        );
        return ExitCode::from(2);
    }
    match std::env::join_paths(&cli.aws_models) {
        // Read by the task resolver, as the mock file is.
        Ok(dirs) if !dirs.is_empty() => {
            std::env::set_var(expressway::tasks::aws_sdk::AWS_MODELS_ENV, dirs)
        }
        _ => {}
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("expressway: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match cli.command {
        Command::Serve {
            host,
            port,
            definitions,
            runtime: flags,
            verify_sigv4,
            sigv4_credentials,
            telemetry,
            ..
        } => {
            let admission = match flags.admission() {
                Ok(a) => a,
                Err(e) => {
                    eprintln!("expressway: {e}");
                    return ExitCode::from(2);
                }
            };
            let telemetry = match telemetry.telemetry() {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("expressway: {e}");
                    return ExitCode::from(2);
                }
            };
            let sigv4 = match sigv4_verifier(verify_sigv4, &sigv4_credentials, &flags) {
                Ok(v) => v,
                Err(e) => {
                    eprintln!("expressway: {e}");
                    return ExitCode::from(2);
                }
            };
            let config = Config {
                region: flags.region.clone(),
                account: flags.account.clone(),
                admission,
                sigv4,
                ..Config::default()
            };
            runtime.block_on(serve(&host, port, definitions, config, &flags, telemetry))
        }
        Command::Run {
            definition,
            input,
            test_case,
            execution_log,
            log_level,
            include_execution_data,
            ..
        } => {
            let log = RunLog {
                target: execution_log,
                settings: LogSettings {
                    level: LogLevel::parse(&log_level).unwrap_or(LogLevel::All),
                    include_execution_data,
                    log_group_arn: None,
                },
            };
            runtime.block_on(run(&definition, &input, test_case, log))
        }
        Command::Validate { definition } => validate(&definition),
        Command::Consume { source } => {
            let code = runtime.block_on(consume(source));
            // Standard input may still be blocked in a read: do not wait for it.
            runtime.shutdown_timeout(std::time::Duration::from_millis(100));
            code
        }
    }
}

async fn consume(source: ConsumeSource) -> ExitCode {
    #[cfg(feature = "aws")]
    let source = match source {
        ConsumeSource::Sqs(args) => return consume_aws::sqs(*args).await,
        ConsumeSource::Kinesis(args) => return consume_aws::kinesis(*args).await,
        file => file,
    };
    #[allow(irrefutable_let_patterns)]
    let ConsumeSource::File {
        events,
        definition,
        state_machine_name,
        batch,
        concurrency,
        checkpoint,
        checkpoint_interval_ms,
        report,
        dead_letter,
        runtime: flags,
        ..
    } = source
    else {
        return ExitCode::from(2);
    };
    let admission = match flags.admission() {
        Ok(a) => expressway::admission::Admission::new(a),
        Err(e) => {
            eprintln!("expressway: {e}");
            return ExitCode::from(2);
        }
    };
    let engine = match flags.engine_setup(false) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("expressway: {e}");
            return ExitCode::from(2);
        }
    };
    let consumer = expressway::sources::file::FileConsumer {
        events,
        definition,
        state_machine_name,
        batch: batch.map(|n| n as usize),
        concurrency: concurrency as usize,
        checkpoint,
        report,
        dead_letter,
        region: flags.region,
        account: flags.account,
        checkpoint_every: std::time::Duration::from_millis(checkpoint_interval_ms),
        engine,
    };
    let stop = expressway::sources::shutdown_signal();
    let ended = expressway::sources::file::consume(&consumer, admission, stop).await;
    consumer_exit(ended.map(|s| (s.to_json(), s.error.is_some())))
}

/// How a consumer run ends: its summary (JSON) on standard error; exit 0,
/// 1 when the summary reports an error, 2 when the consumer could not start.
fn consumer_exit<S: std::fmt::Display, E: std::fmt::Display>(
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
        Err(e) => {
            eprintln!("expressway: {e}");
            ExitCode::from(2)
        }
    }
}

/// The bundled example's mock file, when `serve` serves the bundled example
/// (no `--definitions`) and no other mock file is configured.
fn bundled_mock(definitions: Option<&Path>) -> Option<PathBuf> {
    let file = Path::new(DEFAULT_DEFINITIONS).join(BUNDLED_MOCK_FILE);
    (definitions.is_none() && file.is_file()).then_some(file)
}

/// The task resolver: the bundled payment example's handlers, the mock file
/// (`--mock-config` / `SFN_MOCK_CONFIG`) and Lambda, from the environment.
fn tasks() -> Result<Tasks, String> {
    let mut tasks = Tasks::from_env().map_err(|e| format!("mock file: {e}"))?;
    expressway::payment::register(&mut tasks);
    Ok(tasks)
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Creates every `*.asl.json` in `dir` as an EXPRESS machine named after the file.
fn preload(service: &Service, dir: &Path) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(DEFINITION_SUFFIX))
        })
        .collect();
    files.sort();
    for file in files {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(DEFINITION_SUFFIX))
            .unwrap_or_default()
            .to_owned();
        let text = read(&file)?;
        let arn = service
            .create_state_machine(&name, &text, MachineType::Express)
            .map_err(|e| format!("{}: {}: {}", file.display(), e.code(), e.message()))?;
        eprintln!("expressway: loaded {arn}");
    }
    Ok(())
}

async fn serve(
    host: &str,
    port: u16,
    definitions: Option<PathBuf>,
    config: Config,
    flags: &RuntimeFlags,
    telemetry: Option<Arc<Telemetry>>,
) -> ExitCode {
    let mut engine = match tasks().and_then(|t| flags.engine(t)) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("expressway: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(t) = &telemetry {
        engine = engine.with_observer(t.clone());
    }
    let shards = engine.shards().cloned();
    let service = Service::new(engine, config);
    let definitions = definitions.or_else(|| {
        let bundled = PathBuf::from(DEFAULT_DEFINITIONS);
        bundled.is_dir().then_some(bundled)
    });
    if let Some(dir) = definitions {
        if let Err(e) = preload(&service, &dir) {
            eprintln!("expressway: {e}");
            return ExitCode::from(2);
        }
    }
    let listener = match tokio::net::TcpListener::bind((host, port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("expressway: cannot listen on {host}:{port}: {e}");
            return ExitCode::from(2);
        }
    };
    match listener.local_addr() {
        Ok(addr) => eprintln!("expressway: listening on http://{addr} (metrics at /metrics)"),
        Err(_) => eprintln!("expressway: listening on http://{host}:{port}"),
    }
    let router = api::router(service);
    let served = match shards {
        Some(shards) => serve_on_shards(listener, router, &shards).await,
        None => {
            let shutdown = async {
                let _ = tokio::signal::ctrl_c().await;
            };
            axum::serve(listener, router)
                .with_graceful_shutdown(shutdown)
                .await
                .map_err(|e| e.to_string())
        }
    };
    if let Some(t) = &telemetry {
        t.flush(std::time::Duration::from_secs(5));
    }
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("expressway: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Serves `router` from every shard: each accepts connections on the same
/// listening socket and serves them on its own thread, so a
/// StartSyncExecution runs inline on the shard that read the request (no
/// handoff between threads). Stops on Ctrl-C once every shard has finished
/// its open requests.
async fn serve_on_shards(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    shards: &Shards,
) -> Result<(), String> {
    let listener = listener.into_std().map_err(|e| e.to_string())?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut done = Vec::with_capacity(shards.len());
    for index in 0..shards.len() {
        let socket = listener.try_clone().map_err(|e| e.to_string())?;
        let router = router.clone();
        let mut stopped = stopped.clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<Result<(), String>>();
        shards.spawn_on(index, async move {
            let served = async {
                // Registered with this shard's own reactor.
                let l = tokio::net::TcpListener::from_std(socket).map_err(|e| e.to_string())?;
                let shutdown = async move {
                    let _ = stopped.wait_for(|s| *s).await;
                };
                axum::serve(l, router)
                    .with_graceful_shutdown(shutdown)
                    .await
                    .map_err(|e| e.to_string())
            };
            let _ = tx.send(served.await);
        });
        done.push(rx);
    }
    let _ = tokio::signal::ctrl_c().await;
    let _ = stop.send(true);
    for rx in done {
        rx.await.map_err(|_| "a shard stopped".to_owned())??;
    }
    Ok(())
}

fn read_input(input: &str) -> Result<String, String> {
    if input == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        Ok(text)
    } else {
        read(Path::new(input))
    }
}

/// Converts our value to serde_json for printing.
fn to_json(value: &expressway::Value) -> serde_json::Value {
    serde_json::from_str(&expressway::json::to_string(value)).unwrap_or(serde_json::Value::Null)
}

/// `run --execution-log`: where the execution's log goes, and what it holds.
struct RunLog {
    target: Option<String>,
    settings: LogSettings,
}

async fn run(definition: &Path, input: &str, test_case: Option<String>, log: RunLog) -> ExitCode {
    let prepared = (|| {
        let text = read(definition)?;
        let machine = expressway::compile::load(&text).map_err(|e| e.to_string())?;
        let input_text = read_input(input)?;
        let input = expressway::json::parse(&input_text)
            .map_err(|e| format!("Invalid State Machine Execution Input: '{e}'"))?;
        Ok::<_, String>((machine, input, tasks()?))
    })();
    let (machine, input, tasks) = match prepared {
        Ok(p) => p,
        Err(e) => {
            eprintln!("expressway: {e}");
            return ExitCode::from(2);
        }
    };
    let config = Config::default();
    let name = definition
        .file_name()
        .and_then(|n| n.to_str())
        .map(|n| n.strip_suffix(DEFINITION_SUFFIX).unwrap_or(n))
        .map(|n| n.strip_suffix(".json").unwrap_or(n))
        .unwrap_or("machine")
        .to_owned();
    let state_machine_arn = arn::state_machine(&config.region, &config.account, &name);
    let execution_name = uuid::Uuid::new_v4().to_string();
    let options = ExecutionOptions {
        execution_arn: arn::express_execution(&state_machine_arn, &execution_name),
        name: execution_name,
        state_machine_arn,
        state_machine_name: name,
        role_arn: format!("arn:aws:iam::{}:role/expressway", config.account),
        start_time: SystemTime::now(),
        test_case,
    };
    let machine = Arc::new(machine);
    let mut engine = Engine::new(tasks);
    let mut telemetry = None;
    if let Some(target) = &log.target {
        // Standard output carries the result: the log goes to standard error.
        let writer = if target == "-" {
            LogWriter::new(Box::new(std::io::stderr()))
        } else {
            LogWriter::open(target)
        };
        let writer = match writer {
            Ok(w) => w,
            Err(e) => {
                eprintln!("expressway: cannot open execution log {target}: {e}");
                return ExitCode::from(2);
            }
        };
        let t = Arc::new(Telemetry::new(TelemetryConfig {
            state_metrics: false,
            log: Some(writer),
            sample: 1.0,
        }));
        engine = engine.with_observer(t.clone());
        engine.register_machine(&machine, &options.state_machine_name, &log.settings);
        telemetry = Some(t);
    }
    let outcome = engine.execute(machine, input, options).await;
    if let Some(t) = &telemetry {
        t.flush(std::time::Duration::from_secs(5));
    }
    let report = serde_json::json!({
        "status": outcome.status.as_str(),
        "output": outcome.output.as_ref().map(to_json),
        "error": outcome.error,
        "cause": outcome.cause,
    });
    println!("{report}");
    if outcome.status == ExecutionStatus::Succeeded {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn validate(definition: &Path) -> ExitCode {
    let text = match read(definition) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("expressway: {e}");
            return ExitCode::from(2);
        }
    };
    let report = api::validate_definition(&text);
    println!("{report}");
    if report["result"] == "OK" {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
