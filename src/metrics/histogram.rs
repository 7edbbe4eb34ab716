//! Fixed-bucket histograms recorded with two atomic adds and rendered into
//! the `/metrics` text by [`super::render`].
//!
//! The per-state and per-Task duration histograms are recorded once per
//! state of every execution (over a million times a second under load): the
//! Prometheus exporter's own histograms queue every sample and take a clock
//! reading per record, so these keep only bucket counts and a sum instead.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// Upper bounds of the duration buckets, in seconds: 250 ns to the 5-minute
/// Express limit. In-process Tasks and Pass/Choice states take 1–10 µs, so
/// the buckets start well below 10 µs (with 10 µs as the first bound every
/// p99 read 9.9 µs).
pub const DURATION_BUCKETS_S: [f64; 27] = [
    0.000_000_25,
    0.000_000_5,
    0.000_001,
    0.000_002_5,
    0.000_005,
    0.000_01,
    0.000_025,
    0.000_05,
    0.000_1,
    0.000_25,
    0.000_5,
    0.001,
    0.002_5,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    300.0,
];

/// One labelled duration histogram: counts per bucket (the last is `+Inf`)
/// and the sum in nanoseconds.
#[derive(Debug)]
pub struct DurationHistogram {
    bounds_ns: [u64; DURATION_BUCKETS_S.len()],
    counts: [AtomicU64; DURATION_BUCKETS_S.len() + 1],
    sum_ns: AtomicU64,
}

impl Default for DurationHistogram {
    fn default() -> Self {
        DurationHistogram {
            bounds_ns: DURATION_BUCKETS_S.map(|s| (s * 1e9).round() as u64),
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
            sum_ns: AtomicU64::new(0),
        }
    }
}

impl DurationHistogram {
    /// Records one duration: no allocation, no lock.
    #[inline]
    pub fn record(&self, d: Duration) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        // The first bound not below `ns` (bounds ascend); past the last: `+Inf`.
        let bucket = self.bounds_ns.partition_point(|&b| b < ns);
        self.counts[bucket].fetch_add(1, Ordering::Relaxed);
        self.sum_ns.fetch_add(ns, Ordering::Relaxed);
    }

    /// How many durations were recorded.
    pub fn count(&self) -> u64 {
        self.counts.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }

    /// Appends the `_bucket`, `_sum` and `_count` series with `labels`
    /// (already rendered, `k="v",…`) to `out`.
    fn render(&self, name: &str, labels: &str, out: &mut String) {
        let mut cumulative = 0u64;
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, bound) in DURATION_BUCKETS_S.iter().enumerate() {
            cumulative += self.counts[i].load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {cumulative}"
            );
        }
        cumulative += self.counts[DURATION_BUCKETS_S.len()].load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {cumulative}"
        );
        let sum = self.sum_ns.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "{name}_sum{{{labels}}} {sum}");
        let _ = writeln!(out, "{name}_count{{{labels}}} {cumulative}");
    }
}

/// Every histogram by (metric name, rendered labels).
type Registry = Mutex<BTreeMap<(&'static str, String), Arc<DurationHistogram>>>;

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::default)
}

/// The histogram `name{labels}`, created on first use (the same one for the
/// same labels).
pub fn histogram(name: &'static str, labels: &[(&str, &str)]) -> Arc<DurationHistogram> {
    let mut text = String::new();
    for (i, (k, v)) in labels.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        let _ = write!(text, "{k}=\"");
        for c in v.chars() {
            match c {
                '\\' => text.push_str("\\\\"),
                '"' => text.push_str("\\\""),
                '\n' => text.push_str("\\n"),
                c => text.push(c),
            }
        }
        text.push('"');
    }
    let mut map = registry().lock().unwrap_or_else(|p| p.into_inner());
    Arc::clone(map.entry((name, text)).or_default())
}

/// Appends every histogram to `out` in the Prometheus text format, with
/// `# HELP` / `# TYPE` lines from `help(name)`.
pub fn render(out: &mut String, help: impl Fn(&str) -> &'static str) {
    let map = registry().lock().unwrap_or_else(|p| p.into_inner());
    let mut current = "";
    for ((name, labels), h) in map.iter() {
        if *name != current {
            current = name;
            let _ = writeln!(out, "# HELP {name} {}", help(name));
            let _ = writeln!(out, "# TYPE {name} histogram");
        }
        h.render(name, labels, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Durations of a few microseconds (in-process Tasks) land in buckets
    /// below 10 µs, so quantiles computed from the buckets resolve them.
    #[test]
    fn microsecond_durations_have_their_own_buckets() {
        let h = DurationHistogram::default();
        h.record(Duration::from_nanos(200));
        h.record(Duration::from_nanos(800));
        h.record(Duration::from_micros(3));
        h.record(Duration::from_micros(3));
        h.record(Duration::from_micros(10));
        let mut out = String::new();
        h.render("t", "", &mut out);
        for (le, n) in [
            ("0.00000025", 1),
            ("0.0000005", 1),
            ("0.000001", 2),
            ("0.0000025", 2),
            ("0.000005", 4),
            ("0.00001", 5),
        ] {
            assert!(
                out.contains(&format!("t_bucket{{le=\"{le}\"}} {n}\n")),
                "{le}: {out}"
            );
        }
        // Exactly on a bound counts in that bucket (Prometheus `le`).
        let edge = DurationHistogram::default();
        edge.record(Duration::from_nanos(250));
        let mut out = String::new();
        edge.render("t", "", &mut out);
        assert!(out.contains("t_bucket{le=\"0.00000025\"} 1\n"), "{out}");
    }

    #[test]
    fn buckets_are_cumulative_and_the_sum_is_in_seconds() {
        let h = histogram("expressway_test_seconds", &[("a", "x\"y")]);
        h.record(Duration::from_micros(5));
        h.record(Duration::from_millis(2));
        h.record(Duration::from_secs(1000));
        assert_eq!(h.count(), 3);
        let mut out = String::new();
        h.render("t", "a=\"1\"", &mut out);
        assert!(
            out.contains("t_bucket{a=\"1\",le=\"0.00001\"} 1\n"),
            "{out}"
        );
        assert!(out.contains("t_bucket{a=\"1\",le=\"0.0025\"} 2\n"), "{out}");
        assert!(out.contains("t_bucket{a=\"1\",le=\"300\"} 2\n"), "{out}");
        assert!(out.contains("t_bucket{a=\"1\",le=\"+Inf\"} 3\n"), "{out}");
        assert!(out.contains("t_sum{a=\"1\"} 1000.002005\n"), "{out}");
        assert!(out.contains("t_count{a=\"1\"} 3\n"), "{out}");
        let mut all = String::new();
        render(&mut all, |_| "help");
        assert!(
            all.contains("expressway_test_seconds_count{a=\"x\\\"y\"} 3"),
            "{all}"
        );
        assert!(all.contains("# TYPE expressway_test_seconds histogram"));
    }
}
