//! `expressway-loadtest`: open-loop load generator for expressway.
//!
//! Requests are issued at a constant arrival rate (request `i` due at
//! `t0 + i/rate`) and each latency is measured from its intended start, so a
//! stalled system is charged for the delay it causes (no coordinated
//! omission). Targets: `inproc` (the library engine in this process), `http`
//! (StartSyncExecution, or StartExecution with `--operation start`, to an endpoint), `bare` (a built-in fixed-answer hyper
//! server: the generator + HTTP ceiling).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use expressway::allocator::Allocator;
use expressway_loadtest::handlers::anchor_tasks;
use expressway_loadtest::report::{distribution, percentiles_text, Summary};
use expressway_loadtest::run::{find_max, run, RunConfig};
use expressway_loadtest::svg::latency_plot;
use expressway_loadtest::target::{HttpTarget, StartOp, Target};
use expressway_loadtest::template::InputTemplate;
use expressway_loadtest::workload::{machine_name, Workload};

#[global_allocator]
static GLOBAL: Allocator = Allocator;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Kind {
    /// The library engine in-process.
    Inproc,
    /// StartSyncExecution over HTTP to `--endpoint`.
    Http,
    /// A built-in bare hyper server with a fixed answer (generator ceiling).
    Bare,
}

/// The start operation of `--target http`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Operation {
    /// StartSyncExecution (the latency includes the execution).
    StartSync,
    /// StartExecution (counted succeeded when accepted; the execution runs on).
    Start,
}

#[derive(Parser, Debug)]
#[command(
    name = "expressway-loadtest",
    about = "Open-loop load generator for expressway"
)]
struct Args {
    /// What to drive.
    #[arg(long, value_enum, default_value = "inproc")]
    target: Kind,
    /// The ASL definition (inproc; http with --create).
    #[arg(long)]
    definition: Option<PathBuf>,
    /// The input file; every `{{n}}` is replaced by the request counter.
    /// Default: payment-input.json beside the definition (inproc then sets
    /// `paymentId` to `pay-<n>`).
    #[arg(long)]
    input: Option<PathBuf>,
    /// Requests per second (the start rate with --find-max).
    #[arg(long, default_value_t = 1000.0)]
    rate: f64,
    /// Seconds of measured load (per step with --find-max).
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Seconds of warm-up at the same rate before measuring (each step).
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Most requests in flight; past it the scheduler waits (still charged
    /// from the intended start).
    #[arg(long, default_value_t = 10_000)]
    max_in_flight: usize,
    /// tokio worker threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// inproc: shard threads the executions run on (each start is handed
    /// to one through a lock-free queue); 0 runs them on the tokio workers.
    #[arg(long, default_value_t = 0)]
    shards: usize,
    /// Simulated handler latency in ms per Task, in the order AuthorizePayment,
    /// CapturePayment, SendEmail, SendWebhook, SaveTransaction (the last value
    /// repeats), e.g. `50,30,20,10`.
    #[arg(long, value_delimiter = ',')]
    handler_latency_ms: Vec<u64>,
    /// The StartSyncExecution endpoint (http).
    #[arg(long, default_value = "http://127.0.0.1:8083/")]
    endpoint: String,
    /// The state machine ARN (http; default: created with --create, else
    /// `…:stateMachine:<definition base name>`).
    #[arg(long)]
    state_machine_arn: Option<String>,
    /// The start operation (http).
    #[arg(long, value_enum, default_value = "start-sync")]
    operation: Operation,
    /// CreateStateMachine (EXPRESS) from --definition before the run (http).
    #[arg(long)]
    create: bool,
    /// HTTP request timeout, seconds.
    #[arg(long, default_value_t = 30.0)]
    timeout: f64,
    /// Search the highest rate whose p99 stays under --p99-ms.
    #[arg(long)]
    find_max: bool,
    /// The p99 bound for --find-max, ms.
    #[arg(long, default_value_t = 10.0)]
    p99_ms: f64,
    /// Write percentiles.txt and latency.svg here.
    #[arg(long)]
    out_dir: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads.max(1))
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("expressway-loadtest: cannot start tokio: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(main_async(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("expressway-loadtest: {e}");
            ExitCode::from(2)
        }
    }
}

fn read(path: &std::path::Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

async fn main_async(args: Args) -> Result<(), String> {
    let latency: Vec<Duration> = args
        .handler_latency_ms
        .iter()
        .map(|&ms| Duration::from_millis(ms))
        .collect();
    let definition_text = args.definition.as_deref().map(read).transpose()?;
    let input_path = args.input.clone().or_else(|| {
        args.definition
            .as_ref()
            .map(|d| d.with_file_name("payment-input.json"))
    });
    let input_text = match &input_path {
        Some(p) => read(p)?,
        None => "{}".to_owned(),
    };
    let template = InputTemplate::new(&input_text);
    let name = args
        .definition
        .as_ref()
        .and_then(|d| d.to_str())
        .map(machine_name)
        .unwrap_or_else(|| "bare".to_owned());
    let timeout = Duration::from_secs_f64(args.timeout.max(0.001));
    let (target, label) = match args.target {
        Kind::Inproc => {
            let def = definition_text.ok_or("--definition is required for --target inproc")?;
            let mut workload = Workload::new(&name, &def, &input_text, anchor_tasks(&latency))?;
            if args.shards > 0 {
                let shards = expressway::engine::shards::Shards::start(args.shards)
                    .map_err(|e| format!("shards: {e}"))?;
                workload.engine = workload.engine.with_shards(Arc::new(shards));
            }
            let first = workload.execute(0, workload.input(0)).await;
            if first.output.is_none() {
                return Err(format!(
                    "the first execution did not succeed: {:?} {:?} {:?}",
                    first.status, first.error, first.cause
                ));
            }
            (Target::Inproc { workload, template }, "inproc".to_owned())
        }
        Kind::Http => {
            let arn = args.state_machine_arn.clone().unwrap_or_else(|| {
                format!("arn:aws:states:us-east-1:123456789012:stateMachine:{name}")
            });
            let mut h = HttpTarget::new(&args.endpoint, &arn, template, timeout)?;
            if args.operation == Operation::Start {
                h.op = StartOp::Start;
            }
            if args.create {
                let def = definition_text.ok_or("--create needs --definition")?;
                let arn = h.create(&name, &def).await?;
                eprintln!("created {arn}");
            }
            (Target::Http(h), format!("http {}", args.endpoint))
        }
        Kind::Bare => {
            let addr = expressway_loadtest::bare::start(([127, 0, 0, 1], 0).into())
                .await
                .map_err(|e| format!("bare server: {e}"))?;
            let url = format!("http://{addr}/");
            let h = HttpTarget::new(
                &url,
                "arn:aws:states:us-east-1:123456789012:stateMachine:bare",
                template,
                timeout,
            )?;
            (Target::Http(h), format!("bare {url}"))
        }
    };
    let target = Arc::new(target);
    let cfg = RunConfig {
        rate: args.rate,
        duration: Duration::from_secs_f64(args.duration.max(0.001)),
        max_in_flight: args.max_in_flight,
        warmup: Duration::from_secs_f64(args.warmup.max(0.0)),
        progress: !args.quiet,
        label,
    };
    let summary = if args.find_max {
        let (best, steps) = find_max(Arc::clone(&target), &cfg, args.p99_ms).await;
        for s in &steps {
            println!("{}", s.json());
        }
        match best {
            Some(b) => {
                println!(
                    "highest rate that held (p99 <= {} ms): {:.1}/s",
                    args.p99_ms, b.rate
                );
                b
            }
            None => {
                return Err(format!(
                    "no rate down to {}/s held p99 <= {} ms",
                    expressway_loadtest::search::MIN_RATE,
                    args.p99_ms
                ))
            }
        }
    } else {
        run(Arc::clone(&target), &cfg).await
    };
    print!("{}", summary.text());
    println!("{}", summary.json());
    if let Some(dir) = &args.out_dir {
        write_outputs(dir, &summary)?;
    }
    Ok(())
}

fn write_outputs(dir: &std::path::Path, s: &Summary) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let pct = dir.join("percentiles.txt");
    std::fs::write(&pct, percentiles_text(&s.rec.hist))
        .map_err(|e| format!("{}: {e}", pct.display()))?;
    let title = format!("{} at {:.0}/s: latency by percentile", s.target, s.rate);
    let svg = dir.join("latency.svg");
    std::fs::write(&svg, latency_plot(&title, &distribution(&s.rec.hist)))
        .map_err(|e| format!("{}: {e}", svg.display()))?;
    eprintln!("wrote {} and {}", pct.display(), svg.display());
    Ok(())
}
