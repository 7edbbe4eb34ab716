//! The open-loop runner: issues requests at their intended start times
//! ([`Schedule`]), measures each latency from its intended start, and the
//! stepwise search for the highest rate whose p99 stays under a bound.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::{mpsc, Semaphore};

use crate::report::{Outcome, Recorder, Summary};
use crate::rss::vm_rss_kib;
use crate::schedule::Schedule;
use crate::search::Search;
use crate::target::Target;

/// How to run.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Requests per second.
    pub rate: f64,
    /// How long requests are issued (after the warm-up).
    pub duration: Duration,
    /// At most this many requests in flight; when reached the scheduler waits
    /// for one to finish (the delay still counts in latency, measured from the
    /// intended start).
    pub max_in_flight: usize,
    /// A warm-up at the same rate, results discarded.
    pub warmup: Duration,
    /// Whether to draw a progress bar on stderr.
    pub progress: bool,
    /// The target's name in the summary.
    pub label: String,
}

/// Shared request counter, so that request numbers (`{{n}}`, `pay-<n>`)
/// never repeat across warm-up, steps and runs.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Runs the warm-up (if any) then the measured run.
pub async fn run(target: Arc<Target>, cfg: &RunConfig) -> Summary {
    if !cfg.warmup.is_zero() {
        let warm = Schedule {
            rate: cfg.rate,
            duration: cfg.warmup,
        };
        let _ = run_once(Arc::clone(&target), warm, cfg, false).await;
    }
    let sch = Schedule {
        rate: cfg.rate,
        duration: cfg.duration,
    };
    run_once(target, sch, cfg, cfg.progress).await
}

/// One open-loop run of `sch`.
async fn run_once(target: Arc<Target>, sch: Schedule, cfg: &RunConfig, progress: bool) -> Summary {
    let total = sch.count();
    let base = COUNTER.fetch_add(total, Ordering::Relaxed);
    let sem = Arc::new(Semaphore::new(cfg.max_in_flight.max(1)));
    let in_flight = Arc::new(AtomicU64::new(0));
    let (tx, mut rx) = mpsc::unbounded_channel::<(Outcome, Duration, Duration, Instant)>();
    let bar = if progress {
        let b = ProgressBar::new(total);
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} {per_sec} {msg}",
        ) {
            b.set_style(style);
        }
        b
    } else {
        ProgressBar::hidden()
    };

    // RSS sampler: VmRSS at the sample with the most requests in flight.
    let peak = Arc::new(AtomicU64::new(0));
    let peak_rss = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (in_flight, peak, peak_rss) = (in_flight.clone(), peak.clone(), peak_rss.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(20));
            loop {
                tick.tick().await;
                let now = in_flight.load(Ordering::Relaxed);
                if now >= peak.load(Ordering::Relaxed) {
                    peak.store(now, Ordering::Relaxed);
                    if let Some(k) = vm_rss_kib() {
                        peak_rss.store(k, Ordering::Relaxed);
                    }
                }
            }
        })
    };

    let t0 = Instant::now();
    let scheduler = {
        let (sem, in_flight, target) = (sem.clone(), in_flight.clone(), target.clone());
        tokio::spawn(async move {
            let mut next = 0;
            while next < total {
                tokio::time::sleep_until((t0 + sch.offset(next)).into()).await;
                let due = sch.due(next, t0.elapsed());
                next = due.end.max(next + 1).min(total);
                for i in due.start..next {
                    let intended = t0 + sch.offset(i);
                    let Ok(permit) = sem.clone().acquire_owned().await else {
                        return;
                    };
                    let (tx, in_flight, target) = (tx.clone(), in_flight.clone(), target.clone());
                    in_flight.fetch_add(1, Ordering::Relaxed);
                    tokio::spawn(async move {
                        let late = Instant::now().saturating_duration_since(intended);
                        let outcome = target.call(base + i).await;
                        let done = Instant::now();
                        in_flight.fetch_sub(1, Ordering::Relaxed);
                        drop(permit);
                        let _ = tx.send((
                            outcome,
                            done.saturating_duration_since(intended),
                            late,
                            done,
                        ));
                    });
                }
            }
        })
    };

    let mut rec = Recorder::default();
    let mut last = t0;
    let mut received = 0u64;
    while received < total {
        let Some((outcome, latency, late, done)) = rx.recv().await else {
            break;
        };
        rec.record(outcome, latency);
        rec.record_late(late);
        last = last.max(done);
        received += 1;
        if received % 256 == 0 || received == total {
            bar.set_position(received);
            bar.set_message(format!("in flight {}", in_flight.load(Ordering::Relaxed)));
        }
    }
    bar.finish_and_clear();
    let _ = scheduler.await;
    sampler.abort();
    let peak_in_flight = peak.load(Ordering::Relaxed);
    let rss = peak_rss.load(Ordering::Relaxed);
    Summary {
        target: cfg.label.clone(),
        rate: sch.rate,
        duration: sch.duration,
        sent: total,
        wall: last.saturating_duration_since(t0),
        peak_in_flight,
        peak_rss_kib: (rss > 0).then_some(rss),
        rec,
    }
}

/// Whether a run at `rate` held: p99 within `p99_ms`, throughput at least
/// 90 % of the rate, and no request failed in transport, was throttled or
/// timed out.
pub fn held(s: &Summary, p99_ms: f64) -> bool {
    let r = &s.rec;
    r.quantile_ms(0.99) <= p99_ms
        && s.throughput() >= 0.9 * s.rate
        && r.errors + r.throttled + r.timed_out == 0
        && r.total() == s.sent
}

/// The max-rate search ([`Search`]): from `cfg.rate`, multiply by 1.5 while
/// runs of `cfg.duration` hold ([`held`]); if the first rate fails, halve it
/// until one holds; then bisect between the highest rate that held and the
/// lowest that did not, until they are within 5 % (at most 6 bisections).
/// Returns the highest rate that held (with its summary) and every step's
/// summary.
pub async fn find_max(
    target: Arc<Target>,
    cfg: &RunConfig,
    p99_ms: f64,
) -> (Option<Summary>, Vec<Summary>) {
    let mut steps = Vec::new();
    let mut best: Option<Summary> = None;
    let mut search = Search::new(cfg.rate);
    while let Some(rate) = search.next() {
        let mut c = cfg.clone();
        c.rate = rate;
        let s = run(Arc::clone(&target), &c).await;
        eprintln!(
            "step {:>10.1}/s: {}",
            rate,
            s.text().lines().nth(2).unwrap_or_default()
        );
        let ok = held(&s, p99_ms);
        if ok && best.as_ref().is_none_or(|b| b.rate < rate) {
            best = Some(s.clone());
        }
        search.record(ok);
        steps.push(s);
    }
    (best, steps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handlers::anchor_tasks;
    use crate::template::InputTemplate;
    use crate::workload::{anchors_dir, Workload};

    fn payment_target() -> Option<Arc<Target>> {
        let dir = anchors_dir()?;
        let def = std::fs::read_to_string(dir.join("payment.asl.json")).ok()?;
        let inp = std::fs::read_to_string(dir.join("payment-input.json")).ok()?;
        let workload = Workload::new("payment", &def, &inp, anchor_tasks(&[])).ok()?;
        Some(Arc::new(Target::Inproc {
            workload,
            template: InputTemplate::new(&inp),
        }))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn tiny_inproc_run_at_low_rate() {
        let Some(target) = payment_target() else {
            eprintln!("anchors not found; skipped");
            return;
        };
        let cfg = RunConfig {
            rate: 50.0,
            duration: Duration::from_secs(1),
            max_in_flight: 16,
            warmup: Duration::ZERO,
            progress: false,
            label: "inproc".into(),
        };
        let started = Instant::now();
        let s = run(target, &cfg).await;
        let took = started.elapsed();
        assert_eq!(s.sent, 50);
        assert_eq!(s.rec.succeeded, 50, "{}", s.text());
        // Open loop: the last request is due at 0.98 s, so the run takes ~1 s.
        assert!(took >= Duration::from_millis(970), "{took:?}");
        assert!(s.wall >= Duration::from_millis(970));
        assert!(s.rec.quantile_ms(0.5) < 50.0);
        assert!(held(&s, 100.0), "{}", s.text());
        assert!(s.peak_in_flight <= 16);
        // Every request's dispatch lateness is recorded (the generator's own jitter).
        assert_eq!(s.rec.late.len(), 50);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn latency_counts_from_intended_start_when_capped() {
        // One in flight at a time and 20 ms per execution at 200/s: requests
        // queue behind the cap, and their latency includes the queueing.
        let dir = anchors_dir()
            .expect("shared/anchors/workflows beside the checkout (or ANCHORS_WORKFLOWS)");
        let def = std::fs::read_to_string(dir.join("payment.asl.json")).expect("def");
        let inp = std::fs::read_to_string(dir.join("payment-input.json")).expect("inp");
        let workload = Workload::new(
            "payment",
            &def,
            &inp,
            anchor_tasks(&[Duration::from_millis(4)]),
        )
        .expect("loads");
        let target = Arc::new(Target::Inproc {
            workload,
            template: InputTemplate::new(&inp),
        });
        let cfg = RunConfig {
            rate: 200.0,
            duration: Duration::from_millis(100),
            max_in_flight: 1,
            warmup: Duration::ZERO,
            progress: false,
            label: "inproc".into(),
        };
        let s = run(target, &cfg).await;
        assert_eq!(s.rec.succeeded, 20);
        // Each takes >= 16 ms (4 sequential sleeps); the last of 20 waited for
        // 19 before it, so max latency is far above one execution's time.
        assert!(s.rec.max_ms() > 200.0, "{}", s.text());
        assert!(!held(&s, 50.0));
    }
}
