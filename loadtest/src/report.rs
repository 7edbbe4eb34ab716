//! Counting outcomes and latencies, and writing them out: the summary, the
//! full percentile distribution in HdrHistogram's text format, the SVG plot.

use std::fmt::Write as _;
use std::time::Duration;

use hdrhistogram::Histogram;

/// Highest latency recorded, in nanoseconds (one hour); larger ones saturate.
pub const MAX_LATENCY_NS: u64 = 3_600_000_000_000;

/// How one request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The execution SUCCEEDED.
    Succeeded,
    /// The execution FAILED (or was ABORTED).
    Failed,
    /// The execution TIMED_OUT, or the request exceeded the client timeout.
    TimedOut,
    /// The server answered ThrottlingException / HTTP 429.
    Throttled,
    /// Any other error: connection, HTTP status, unreadable response.
    Error,
}

/// Latencies (from the intended start, nanoseconds) and outcome counts.
#[derive(Debug, Clone)]
pub struct Recorder {
    /// Every completed request's latency, in nanoseconds.
    pub hist: Histogram<u64>,
    /// The latencies of the requests that were not throttled (admitted), ns.
    pub admitted: Histogram<u64>,
    /// How late each request was sent: from its intended start to the moment
    /// the generator dispatched it, ns. The generator's own timer and
    /// scheduling jitter (charged to every latency above, not the server's).
    pub late: Histogram<u64>,
    /// Count of [`Outcome::Succeeded`].
    pub succeeded: u64,
    /// Count of [`Outcome::Failed`].
    pub failed: u64,
    /// Count of [`Outcome::TimedOut`].
    pub timed_out: u64,
    /// Count of [`Outcome::Throttled`].
    pub throttled: u64,
    /// Count of [`Outcome::Error`].
    pub errors: u64,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder {
            // 3 significant digits from 1 ns to one hour: these bounds are valid.
            hist: Histogram::new_with_bounds(1, MAX_LATENCY_NS, 3)
                .unwrap_or_else(|_| Histogram::new(3).unwrap_or_else(|_| unreachable!())),
            admitted: Histogram::new_with_bounds(1, MAX_LATENCY_NS, 3)
                .unwrap_or_else(|_| Histogram::new(3).unwrap_or_else(|_| unreachable!())),
            late: Histogram::new_with_bounds(1, MAX_LATENCY_NS, 3)
                .unwrap_or_else(|_| Histogram::new(3).unwrap_or_else(|_| unreachable!())),
            succeeded: 0,
            failed: 0,
            timed_out: 0,
            throttled: 0,
            errors: 0,
        }
    }
}

impl Recorder {
    /// Records one request's outcome and latency.
    pub fn record(&mut self, outcome: Outcome, latency: Duration) {
        let ns = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX).max(1);
        self.hist.saturating_record(ns.min(MAX_LATENCY_NS));
        if outcome != Outcome::Throttled {
            self.admitted.saturating_record(ns.min(MAX_LATENCY_NS));
        }
        match outcome {
            Outcome::Succeeded => self.succeeded += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::TimedOut => self.timed_out += 1,
            Outcome::Throttled => self.throttled += 1,
            Outcome::Error => self.errors += 1,
        }
    }

    /// Records how late one request was dispatched after its intended start.
    pub fn record_late(&mut self, late: Duration) {
        let ns = u64::try_from(late.as_nanos()).unwrap_or(u64::MAX).max(1);
        self.late.saturating_record(ns.min(MAX_LATENCY_NS));
    }

    /// The dispatch lateness at quantile `q` (0..=1), in milliseconds.
    pub fn late_quantile_ms(&self, q: f64) -> f64 {
        self.late.value_at_quantile(q) as f64 / 1e6
    }

    /// Adds another recorder's counts and latencies.
    pub fn merge(&mut self, other: &Recorder) {
        let _ = self.hist.add(&other.hist);
        let _ = self.admitted.add(&other.admitted);
        let _ = self.late.add(&other.late);
        self.succeeded += other.succeeded;
        self.failed += other.failed;
        self.timed_out += other.timed_out;
        self.throttled += other.throttled;
        self.errors += other.errors;
    }

    /// Requests completed (every outcome).
    pub fn total(&self) -> u64 {
        self.succeeded + self.failed + self.timed_out + self.throttled + self.errors
    }

    /// The latency at quantile `q` (0..=1), in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        self.hist.value_at_quantile(q) as f64 / 1e6
    }

    /// The latency at quantile `q` (0..=1) of the admitted (not throttled)
    /// requests, in milliseconds.
    pub fn admitted_quantile_ms(&self, q: f64) -> f64 {
        self.admitted.value_at_quantile(q) as f64 / 1e6
    }

    /// The highest latency, in milliseconds.
    pub fn max_ms(&self) -> f64 {
        self.hist.max() as f64 / 1e6
    }
}

/// The result of one run.
#[derive(Debug, Clone)]
pub struct Summary {
    /// What was driven (`inproc`, `http`, `bare`).
    pub target: String,
    /// The intended arrival rate, requests per second.
    pub rate: f64,
    /// How long requests were issued.
    pub duration: Duration,
    /// Requests issued.
    pub sent: u64,
    /// From the first intended start to the last completion.
    pub wall: Duration,
    /// The most requests in flight at once.
    pub peak_in_flight: u64,
    /// VmRSS sampled when in-flight peaked, KiB.
    pub peak_rss_kib: Option<u64>,
    /// Outcomes and latencies.
    pub rec: Recorder,
}

impl Summary {
    /// Completed requests per second of wall time.
    pub fn throughput(&self) -> f64 {
        let secs = self.wall.as_secs_f64();
        if secs > 0.0 {
            self.rec.total() as f64 / secs
        } else {
            0.0
        }
    }

    /// The human-readable report (several lines).
    pub fn text(&self) -> String {
        let r = &self.rec;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "target {}: rate {:.1}/s for {:.1} s, sent {}, completed {} in {:.3} s = {:.1}/s",
            self.target,
            self.rate,
            self.duration.as_secs_f64(),
            self.sent,
            r.total(),
            self.wall.as_secs_f64(),
            self.throughput()
        );
        let _ = writeln!(
            s,
            "succeeded {}, failed {}, timed out {}, throttled {}, errors {}",
            r.succeeded, r.failed, r.timed_out, r.throttled, r.errors
        );
        let _ = writeln!(
            s,
            "latency ms (from intended start): p50 {:.3}  p90 {:.3}  p99 {:.3}  p99.9 {:.3}  max {:.3}",
            r.quantile_ms(0.5),
            r.quantile_ms(0.9),
            r.quantile_ms(0.99),
            r.quantile_ms(0.999),
            r.max_ms()
        );
        if r.throttled > 0 {
            let _ = writeln!(
                s,
                "admitted (not throttled) latency ms: p50 {:.3}  p99 {:.3}  max {:.3}",
                r.admitted_quantile_ms(0.5),
                r.admitted_quantile_ms(0.99),
                r.admitted.max() as f64 / 1e6
            );
        }
        let rss = self.peak_rss_kib.map_or_else(
            || "n/a".to_owned(),
            |k| format!("{:.1} MiB", k as f64 / 1024.0),
        );
        let _ = writeln!(
            s,
            "peak in flight {}, RSS at peak {rss}",
            self.peak_in_flight
        );
        s
    }

    /// One JSON line with the figures.
    pub fn json(&self) -> String {
        let r = &self.rec;
        serde_json::json!({
            "target": self.target,
            "rate": round(self.rate, 1),
            "duration_s": round(self.duration.as_secs_f64(), 3),
            "sent": self.sent,
            "completed": r.total(),
            "wall_s": round(self.wall.as_secs_f64(), 3),
            "throughput": round(self.throughput(), 1),
            "succeeded": r.succeeded,
            "failed": r.failed,
            "timed_out": r.timed_out,
            "throttled": r.throttled,
            "errors": r.errors,
            "p50_ms": round(r.quantile_ms(0.5), 3),
            "p90_ms": round(r.quantile_ms(0.9), 3),
            "p99_ms": round(r.quantile_ms(0.99), 3),
            "p999_ms": round(r.quantile_ms(0.999), 3),
            "max_ms": round(r.max_ms(), 3),
            "admitted_p50_ms": round(r.admitted_quantile_ms(0.5), 3),
            "admitted_p99_ms": round(r.admitted_quantile_ms(0.99), 3),
            "admitted_max_ms": round(r.admitted.max() as f64 / 1e6, 3),
            "send_late_p99_ms": round(r.late_quantile_ms(0.99), 3),
            "send_late_max_ms": round(r.late.max() as f64 / 1e6, 3),
            "peak_in_flight": self.peak_in_flight,
            "peak_rss_kib": self.peak_rss_kib,
        })
        .to_string()
    }
}

/// `x` rounded to `digits` decimals.
pub fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// The distribution as `(quantile, latency ms)` points, HdrHistogram's
/// percentile iteration with 5 ticks per half distance.
pub fn distribution(hist: &Histogram<u64>) -> Vec<(f64, f64)> {
    if hist.is_empty() {
        return Vec::new();
    }
    hist.iter_quantiles(5)
        .map(|v| (v.quantile_iterated_to(), v.value_iterated_to() as f64 / 1e6))
        .collect()
}

/// The percentile distribution in HdrHistogram's
/// `outputPercentileDistribution` text format, values in milliseconds.
pub fn percentiles_text(hist: &Histogram<u64>) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:>12} {:>14} {:>10} {:>14}\n",
        "Value", "Percentile", "TotalCount", "1/(1-Percentile)"
    );
    if !hist.is_empty() {
        for v in hist.iter_quantiles(5) {
            let q = v.quantile_iterated_to();
            let value = v.value_iterated_to() as f64 / 1e6;
            let count = hist.count_between(0, v.value_iterated_to());
            if q < 1.0 {
                let _ = writeln!(
                    s,
                    "{value:>12.3} {q:>14.12} {count:>10} {:>14.2}",
                    1.0 / (1.0 - q)
                );
            } else {
                let _ = writeln!(s, "{value:>12.3} {q:>14.12} {count:>10}",);
            }
        }
    }
    let _ = writeln!(
        s,
        "#[Mean    = {:>12.3}, StdDeviation   = {:>12.3}]",
        hist.mean() / 1e6,
        hist.stdev() / 1e6
    );
    let _ = writeln!(
        s,
        "#[Max     = {:>12.3}, Total count    = {:>12}]",
        hist.max() as f64 / 1e6,
        hist.len()
    );
    let _ = writeln!(
        s,
        "#[Buckets = {:>12}, SubBuckets     = {:>12}]",
        hist.buckets(),
        hist.distinct_values()
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec_1_to_1000_ms() -> Recorder {
        let mut r = Recorder::default();
        for ms in 1..=1000u64 {
            r.record(Outcome::Succeeded, Duration::from_millis(ms));
        }
        r
    }

    #[test]
    fn quantiles_and_counts() {
        let mut r = rec_1_to_1000_ms();
        r.record(Outcome::Throttled, Duration::from_millis(1));
        r.record(Outcome::Error, Duration::from_millis(1));
        assert_eq!(r.total(), 1002);
        assert_eq!((r.succeeded, r.throttled, r.errors), (1000, 1, 1));
        let p50 = r.quantile_ms(0.5);
        assert!((499.0..=501.0).contains(&p50), "{p50}");
        let p99 = r.quantile_ms(0.99);
        assert!((989.0..=991.5).contains(&p99), "{p99}");
        assert!((999.0..=1001.0).contains(&r.max_ms()));
        let mut other = Recorder::default();
        other.merge(&r);
        assert_eq!(other.total(), 1002);
    }

    #[test]
    fn percentiles_text_has_hdr_layout() {
        let r = rec_1_to_1000_ms();
        let text = percentiles_text(&r.hist);
        let mut lines = text.lines();
        let header = lines.next().unwrap_or_default();
        assert!(header.contains("Value") && header.contains("1/(1-Percentile)"));
        let rows: Vec<&str> = text
            .lines()
            .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
            .collect();
        assert!(rows.len() > 20, "{text}");
        // Quantiles ascend, the last row reaches 1.0 and counts every value.
        let first: Vec<&str> = rows[0].split_whitespace().collect();
        assert_eq!(first[1].parse::<f64>().ok(), Some(0.0));
        let last: Vec<&str> = rows[rows.len() - 1].split_whitespace().collect();
        assert_eq!(last[1].parse::<f64>().ok(), Some(1.0));
        assert_eq!(last[2], "1000");
        assert!(text.contains("Total count    =         1000"));
        let points = distribution(&r.hist);
        assert!(points
            .windows(2)
            .all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1));
    }

    #[test]
    fn summary_json_has_all_figures() {
        let s = Summary {
            target: "inproc".into(),
            rate: 100.0,
            duration: Duration::from_secs(10),
            sent: 1000,
            wall: Duration::from_secs(10),
            peak_in_flight: 3,
            peak_rss_kib: Some(2048),
            rec: rec_1_to_1000_ms(),
        };
        assert!((s.throughput() - 100.0).abs() < 1e-9);
        let v: serde_json::Value = serde_json::from_str(&s.json()).expect("json");
        for key in [
            "throughput",
            "p50_ms",
            "p90_ms",
            "p99_ms",
            "p999_ms",
            "max_ms",
            "throttled",
            "send_late_p99_ms",
            "send_late_max_ms",
        ] {
            assert!(v.get(key).is_some(), "{key}");
        }
        assert!(s.text().contains("RSS at peak 2.0 MiB"));
    }
}
