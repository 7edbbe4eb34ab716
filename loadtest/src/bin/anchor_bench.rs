//! `expressway-anchor-bench`: expressway measured exactly as the anchor
//! protocol says (`shared/anchors/README.md`, "Measuring expressway the same
//! way"), so its figures can be set against the peer runtimes'.
//!
//! `expressway-anchor-bench <definition.json> [--secs 10] [--conc 64]
//! [--warm 2] [--modes seq,conc] [--input FILE] [--state-metrics]`
//! (`--state-metrics`: with the per-state metrics observer on, as `serve`
//! runs by default); `SHOW_OUTPUT=1` prints the
//! first execution's output on stderr. One JSON line per mode on stdout.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use expressway::allocator::Allocator;
use expressway::engine::shards::Shards;
use expressway::engine::ExecutionStatus;
use expressway::json::Value;
use expressway_loadtest::handlers::anchor_tasks;
use expressway_loadtest::workload::{machine_name, Workload};

#[global_allocator]
static GLOBAL: Allocator = Allocator;

/// tokio worker threads (2, to compare with fakecloud's rows).
const THREADS: usize = 2;

/// The output of `payment.asl.json` for `pay-0` (protocol step 4).
const EXPECTED_PAY0: &str = r#"{"paymentId":"pay-0","amount":250.0,"currency":"EUR","card":{"last4":"4242","brand":"visa","threeDS":true},"customer":{"id":"cust-7","email":"alice@example.com"},"merchantId":"m-42","validated":true,"threeDS":{"status":"AUTHENTICATED","eci":"05"},"auth":{"status":"APPROVED","authCode":"AUTH-pay-0","amount":250.0},"capture":{"status":"CAPTURED","captureId":"CAP-pay-0"},"notifications":[{"channel":"email","sent":true,"to":"alice@example.com"},{"channel":"webhook","delivered":true,"merchantId":"m-42"}],"saved":{"saved":true,"transactionId":"TX-pay-0"}}"#;

struct Args {
    definition: PathBuf,
    input: Option<PathBuf>,
    secs: f64,
    conc: usize,
    warm: f64,
    seq: bool,
    conc_mode: bool,
    /// Shard threads (0: executions and workers on the tokio multi-thread
    /// runtime, as before sharding).
    shards: usize,
    state_metrics: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mut a = Args {
        definition: PathBuf::new(),
        input: None,
        secs: 10.0,
        conc: 64,
        warm: 2.0,
        seq: true,
        conc_mode: true,
        shards: THREADS,
        state_metrics: false,
    };
    let mut definition = None;
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--secs" => {
                a.secs = value("--secs")?
                    .parse()
                    .map_err(|e| format!("--secs: {e}"))?
            }
            "--conc" => {
                a.conc = value("--conc")?
                    .parse()
                    .map_err(|e| format!("--conc: {e}"))?
            }
            "--warm" => {
                a.warm = value("--warm")?
                    .parse()
                    .map_err(|e| format!("--warm: {e}"))?
            }
            "--input" => a.input = Some(PathBuf::from(value("--input")?)),
            "--shards" => {
                a.shards = value("--shards")?
                    .parse()
                    .map_err(|e| format!("--shards: {e}"))?
            }
            "--state-metrics" => a.state_metrics = true,
            "--modes" => {
                let modes = value("--modes")?;
                a.seq = false;
                a.conc_mode = false;
                for m in modes.split(',') {
                    match m.trim() {
                        "seq" | "sequential" => a.seq = true,
                        "conc" | "concurrent" => a.conc_mode = true,
                        other => return Err(format!("unknown mode '{other}' (seq, conc)")),
                    }
                }
            }
            other if other.starts_with("--") => return Err(format!("unknown option {other}")),
            other => definition = Some(PathBuf::from(other)),
        }
    }
    a.definition = definition.ok_or(
        "usage: expressway-anchor-bench <definition.json> [--secs 10] [--conc 64] [--warm 2] [--modes seq,conc] [--input FILE] [--shards 2]",
    )?;
    Ok(a)
}

/// Nearest rank: element `ceil(p/100 · n) − 1` of the latencies in
/// ascending order, found by selection (linear; the latencies are
/// reordered, not sorted: a sort of every latency cost the bench loop about
/// 500 instructions per execution, counted in the callgrind figure).
fn nearest_rank(lat: &mut [Duration], p: f64) -> Duration {
    if lat.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * lat.len() as f64).ceil() as usize;
    *lat.select_nth_unstable(rank.clamp(1, lat.len()) - 1).1
}

/// `x` rounded to `digits` decimals, written as JSON writes a float
/// (`5000.0`, `0.472`).
fn round(x: f64, digits: i32) -> String {
    let f = 10f64.powi(digits);
    serde_json::Value::from((x * f).round() / f).to_string()
}

/// The shared `pay-<n>` counter (warm-up included).
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Runs executions back to back while less than `secs` have passed since
/// `start`; returns their latencies.
async fn worker(w: Arc<Workload>, start: Instant, secs: Duration) -> Vec<Duration> {
    let mut lat = Vec::with_capacity(1 << 16);
    while start.elapsed() < secs {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let input = w.input(n);
        let t = Instant::now();
        let out = w.execute(n, input).await;
        lat.push(t.elapsed());
        if out.status != ExecutionStatus::Succeeded {
            eprintln!(
                "execution {n} ended {:?}: {:?} {:?}",
                out.status, out.error, out.cause
            );
        }
    }
    lat
}

/// Runs a mode with `conc` workers; returns (wall, latencies).
/// With shards, the workers run on them (round-robin), so each execution
/// runs inline on its worker's shard.
async fn mode(w: &Arc<Workload>, conc: usize, secs: Duration) -> (Duration, Vec<Duration>) {
    let start = Instant::now();
    let handles: Vec<_> = (0..conc)
        .map(|_| {
            let work = worker(Arc::clone(w), start, secs);
            let (tx, rx) = tokio::sync::oneshot::channel();
            let work = async move {
                let _ = tx.send(work.await);
            };
            match w.engine.shards() {
                Some(shards) => shards.spawn(work),
                None => drop(tokio::spawn(work)),
            }
            rx
        })
        .collect();
    let mut all = Vec::new();
    for h in handles {
        if let Ok(v) = h.await {
            all.extend(v);
        }
    }
    (start.elapsed(), all)
}

fn line(
    definition: &str,
    runtime: &str,
    mode: &str,
    conc: usize,
    wall: Duration,
    lat: &mut [Duration],
) -> String {
    let n = lat.len();
    let wall_s = wall.as_secs_f64();
    let ms = |d: Duration| round(d.as_secs_f64() * 1e3, 3);
    format!(
        "{{\"peer\": \"expressway\", \"version\": \"{}\", \"runtime\": \"rust {}, {runtime}\", \"definition\": \"{definition}\", \"mode\": \"{mode}\", \"concurrency\": {conc}, \"n\": {n}, \"wall_s\": {}, \"exec_per_s\": {}, \"p50_ms\": {}, \"p99_ms\": {}}}",
        env!("CARGO_PKG_VERSION"),
        env!("EXPRESSWAY_RUSTC_VERSION"),
        round(wall_s, 3),
        round(if wall_s > 0.0 { n as f64 / wall_s } else { 0.0 }, 1),
        ms(nearest_rank(lat, 50.0)),
        ms(nearest_rank(lat, 99.0)),
    )
}

/// Protocol step 4: the first execution must succeed with `saved`; for
/// `pay-0` the Task variant's output must equal the expected document and
/// the pass-only variant's must carry the fixed results.
fn check(output: &Value, n: u64, definition_name: &str) -> Result<(), String> {
    let text = expressway::json::to_string(output);
    let has_saved = matches!(output, Value::Object(o) if o.contains_key("saved"));
    if !has_saved {
        return Err(format!("first execution's output has no 'saved': {text}"));
    }
    if n != 0 {
        return Ok(());
    }
    if definition_name == "payment.asl.json" {
        let expected = expressway::json::parse(EXPECTED_PAY0).map_err(|e| e.to_string())?;
        if *output != expected {
            return Err(format!(
                "first output differs from the protocol's:\n got {text}\nwant {EXPECTED_PAY0}"
            ));
        }
    } else if definition_name == "payment-pass-only.asl.json" {
        for needle in [
            "AUTH-fixed",
            "CAP-fixed",
            "TX-fixed",
            "\"paymentId\":\"pay-0\"",
        ] {
            if !text.contains(needle) {
                return Err(format!("pass-only output lacks {needle}: {text}"));
            }
        }
    }
    Ok(())
}

fn read(p: &Path) -> Result<String, String> {
    std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
}

async fn bench(a: Args) -> Result<(), String> {
    let def_name = a
        .definition
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("definition.json")
        .to_owned();
    let input_path = a
        .input
        .clone()
        .unwrap_or_else(|| a.definition.with_file_name("payment-input.json"));
    let text = read(&a.definition)?;
    let input = read(&input_path)?;
    let mut w = Workload::new(&machine_name(&def_name), &text, &input, anchor_tasks(&[]))?;
    let runtime = if a.shards > 0 {
        let shards = Shards::start(a.shards).map_err(|e| format!("shards: {e}"))?;
        w.engine = w.engine.with_shards(Arc::new(shards));
        format!("{} shards (tokio current-thread each)", a.shards)
    } else {
        format!("tokio {THREADS} worker threads")
    };
    if a.state_metrics {
        let telemetry =
            expressway::telemetry::Telemetry::new(expressway::telemetry::TelemetryConfig {
                state_metrics: true,
                log: None,
                sample: 1.0,
            });
        w.engine = w.engine.with_observer(Arc::new(telemetry));
    }
    let w = Arc::new(w);

    // Check the first execution.
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let out = w.execute(n, w.input(n)).await;
    let Some(output) = out
        .output
        .as_ref()
        .filter(|_| out.status == ExecutionStatus::Succeeded)
    else {
        return Err(format!(
            "first execution {:?}: {:?} {:?}",
            out.status, out.error, out.cause
        ));
    };
    if std::env::var("SHOW_OUTPUT").is_ok_and(|v| v == "1") {
        eprintln!("{}", expressway::json::to_string(output));
    }
    check(output, n, &def_name)?;

    let secs = Duration::from_secs_f64(a.secs.max(0.0));
    if a.warm > 0.0 {
        let _ = mode(&w, 1, Duration::from_secs_f64(a.warm)).await;
    }
    if a.seq {
        let (wall, mut lat) = mode(&w, 1, secs).await;
        println!(
            "{}",
            line(&def_name, &runtime, "sequential", 1, wall, &mut lat)
        );
    }
    if a.conc_mode {
        let (wall, mut lat) = mode(&w, a.conc.max(1), secs).await;
        println!(
            "{}",
            line(
                &def_name,
                &runtime,
                "concurrent",
                a.conc.max(1),
                wall,
                &mut lat
            )
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("expressway-anchor-bench: {e}");
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(THREADS)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("expressway-anchor-bench: {e}");
            return ExitCode::from(2);
        }
    };
    // Run the driver on a worker thread, like the executions it starts.
    let result = rt.block_on(async { tokio::spawn(bench(args)).await });
    match result {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("expressway-anchor-bench: {e}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("expressway-anchor-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_is_ceil_minus_one() {
        // Reversed: selection needs no sorted input.
        let mut v: Vec<Duration> = (1..=100).rev().map(Duration::from_millis).collect();
        assert_eq!(nearest_rank(&mut v, 50.0), Duration::from_millis(50));
        assert_eq!(nearest_rank(&mut v, 99.0), Duration::from_millis(99));
        let mut three: Vec<Duration> = [3, 1, 2].map(Duration::from_millis).to_vec();
        assert_eq!(nearest_rank(&mut three, 50.0), Duration::from_millis(2));
        assert_eq!(nearest_rank(&mut three, 99.0), Duration::from_millis(3));
        assert_eq!(nearest_rank(&mut [], 50.0), Duration::ZERO);
    }

    #[test]
    fn line_has_the_protocol_keys_in_order() {
        let mut lat: Vec<Duration> = (1..=10).map(Duration::from_micros).collect();
        let l = line(
            "payment.asl.json",
            "2 shards",
            "sequential",
            1,
            Duration::from_millis(2),
            &mut lat,
        );
        let keys = [
            "peer",
            "version",
            "runtime",
            "definition",
            "mode",
            "concurrency",
            "n",
            "wall_s",
            "exec_per_s",
            "p50_ms",
            "p99_ms",
        ];
        let mut pos = 0;
        for k in keys {
            let at = l[pos..].find(&format!("\"{k}\": ")).map(|i| i + pos);
            assert!(at.is_some(), "{k} in {l}");
            pos = at.unwrap_or(pos);
        }
        assert!(l.contains("\"exec_per_s\": 5000.0"), "{l}");
        assert!(l.contains("\"p50_ms\": 0.005"), "{l}");
        let v: serde_json::Value = serde_json::from_str(&l).expect("valid JSON");
        assert_eq!(v["n"], 10);
    }
}
