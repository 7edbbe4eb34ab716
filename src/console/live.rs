//! The live overlay's numbers for one state machine: per state, entries,
//! failures by error name and the duration histogram with its p50/p99; per
//! machine, executions started/succeeded/failed/timed out/aborted/throttled
//! and the execution-time histogram; the admission buffer depth.
//!
//! All counts are cumulative since the process started: the page turns them
//! into per-second rates, and into p50/p99 over its last refresh interval,
//! from two successive answers (`console.js`, `rates`), so several open pages
//! never disturb each other's windows.
//!
//! Where the numbers come from: the per-state and per-machine counters are
//! `metrics` crate counters held by the Prometheus exporter's registry, which
//! has no read API, so they are read back from its text rendering
//! ([`crate::metrics::render`], the exact `/metrics` text, no network),
//! parsed here; keeping a second set of counters for the console would add
//! work to every state of every execution. The admission buffer is read from
//! [`crate::admission::Admission::state`] directly.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::metrics as m;

/// One sample of the text format: `name{labels} value`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sample {
    /// The series name.
    pub(crate) name: String,
    /// Its labels, unescaped.
    pub(crate) labels: Vec<(String, String)>,
    /// Its value.
    pub(crate) value: f64,
}

impl Sample {
    fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses the Prometheus text format 0.0.4 (comments skipped; a line that
/// does not parse is skipped).
pub(crate) fn parse(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(parse_line)
        .collect()
}

fn parse_line(line: &str) -> Option<Sample> {
    let (name, rest) = match line.find(['{', ' ']) {
        Some(i) => line.split_at(i),
        None => return None,
    };
    let mut labels = Vec::new();
    let rest = if let Some(mut body) = rest.strip_prefix('{') {
        loop {
            body = body.trim_start_matches(',');
            if let Some(after) = body.strip_prefix('}') {
                break after;
            }
            let eq = body.find('=')?;
            let key = body[..eq].trim().to_owned();
            let mut chars = body[eq + 1..].char_indices();
            if chars.next()?.1 != '"' {
                return None;
            }
            let mut value = String::new();
            let end = loop {
                let (i, c) = chars.next()?;
                match c {
                    '\\' => match chars.next()?.1 {
                        'n' => value.push('\n'),
                        other => value.push(other),
                    },
                    '"' => break eq + 1 + i + 1,
                    c => value.push(c),
                }
            };
            labels.push((key, value));
            body = &body[end..];
        }
    } else {
        rest
    };
    let value = rest.split_whitespace().next()?;
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse().ok()?,
    };
    Some(Sample {
        name: name.to_owned(),
        labels,
        value,
    })
}

/// A histogram's cumulative buckets.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub(crate) struct Histogram {
    /// Finite upper bounds, ascending (the last bucket, `+Inf`, has none).
    pub(crate) le: Vec<f64>,
    /// Cumulative counts: one per bound, then the `+Inf` bucket (the total).
    pub(crate) counts: Vec<f64>,
    /// Sum of the observations.
    pub(crate) sum: f64,
    /// The median since the process started (`None` without observations).
    pub(crate) p50: Option<f64>,
    /// The 99th percentile since the process started.
    pub(crate) p99: Option<f64>,
    /// (bound, cumulative count) as read, `+Inf` included.
    #[serde(skip)]
    read: Vec<(f64, f64)>,
}

impl Histogram {
    fn add_bucket(&mut self, le: f64, count: f64) {
        self.read.push((le, count));
    }

    fn finish(&mut self) {
        let mut pairs = std::mem::take(&mut self.read);
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        self.le = pairs
            .iter()
            .map(|p| p.0)
            .filter(|l| l.is_finite())
            .collect();
        self.counts = pairs.iter().map(|p| p.1).collect();
        self.p50 = quantile(0.5, &self.le, &self.counts);
        self.p99 = quantile(0.99, &self.le, &self.counts);
    }
}

/// The `q` quantile of cumulative buckets, interpolated linearly inside its
/// bucket as Prometheus's `histogram_quantile` does; a quantile in the
/// `+Inf` bucket is the largest finite bound. `None` without observations.
pub(crate) fn quantile(q: f64, le: &[f64], counts: &[f64]) -> Option<f64> {
    let total = *counts.last()?;
    if total <= 0.0 {
        return None;
    }
    let rank = q * total;
    let mut previous_count = 0.0;
    let mut previous_bound = 0.0;
    for (i, &count) in counts.iter().enumerate() {
        if count >= rank {
            let Some(&bound) = le.get(i) else {
                return le.last().copied();
            };
            let in_bucket = count - previous_count;
            if in_bucket <= 0.0 {
                return Some(bound);
            }
            return Some(
                previous_bound + (bound - previous_bound) * (rank - previous_count) / in_bucket,
            );
        }
        previous_count = count;
        previous_bound = le.get(i).copied().unwrap_or(previous_bound);
    }
    le.last().copied()
}

/// One state's numbers.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct StateLive {
    /// Times entered.
    pub(crate) entered: f64,
    /// Failures by error name (after retries; caught or not).
    pub(crate) failed: BTreeMap<String, f64>,
    /// Time from entry to exit or failure, in seconds.
    pub(crate) duration: Histogram,
}

/// The machine's execution numbers.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MachineLive {
    /// Executions started.
    pub(crate) started: f64,
    /// Executions that succeeded.
    pub(crate) succeeded: f64,
    /// Executions that failed.
    pub(crate) failed: f64,
    /// Executions that timed out.
    pub(crate) timed_out: f64,
    /// Executions stopped.
    pub(crate) aborted: f64,
    /// Starts refused with ThrottlingException.
    pub(crate) throttled: f64,
    /// Execution time, in milliseconds.
    pub(crate) execution_time_ms: Histogram,
}

/// Everything the overlay shows of one machine, but the admission buffer.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Live {
    /// Per machine.
    pub(crate) machine: MachineLive,
    /// Per state name.
    pub(crate) states: BTreeMap<String, StateLive>,
}

/// Picks the numbers of the state machine named `machine` out of `samples`.
pub(crate) fn of_machine(samples: &[Sample], machine: &str) -> Live {
    let mut live = Live::default();
    let mut exec_time = Histogram::default();
    let mut durations: BTreeMap<String, Histogram> = BTreeMap::new();
    for s in samples {
        if s.label(m::LABEL_STATE_MACHINE) != Some(machine) {
            continue;
        }
        let state = s.label(m::LABEL_STATE);
        let n = s.name.as_str();
        let mm = &mut live.machine;
        match n {
            m::EXECUTIONS_STARTED => mm.started += s.value,
            m::EXECUTIONS_SUCCEEDED => mm.succeeded += s.value,
            m::EXECUTIONS_FAILED => mm.failed += s.value,
            m::EXECUTIONS_TIMED_OUT => mm.timed_out += s.value,
            m::EXECUTIONS_ABORTED => mm.aborted += s.value,
            m::EXECUTIONS_THROTTLED => mm.throttled += s.value,
            _ => {}
        }
        if let Some(rest) = n.strip_prefix(m::EXECUTION_TIME) {
            series(&mut exec_time, rest, s);
        }
        let Some(state) = state else { continue };
        if n == m::STATE_ENTERED {
            live.states.entry(state.to_owned()).or_default().entered += s.value;
        } else if n == m::STATE_FAILED {
            let error = s.label(m::LABEL_ERROR).unwrap_or_default().to_owned();
            *live
                .states
                .entry(state.to_owned())
                .or_default()
                .failed
                .entry(error)
                .or_default() += s.value;
        } else if let Some(rest) = n.strip_prefix(m::STATE_DURATION) {
            series(durations.entry(state.to_owned()).or_default(), rest, s);
        }
    }
    exec_time.finish();
    live.machine.execution_time_ms = exec_time;
    for (state, mut h) in durations {
        h.finish();
        live.states.entry(state).or_default().duration = h;
    }
    live
}

/// Adds one `_bucket` / `_sum` series of a histogram.
fn series(h: &mut Histogram, suffix: &str, s: &Sample) {
    match suffix {
        "_bucket" => {
            let le = match s.label("le") {
                Some("+Inf") => f64::INFINITY,
                Some(v) => v.parse().unwrap_or(f64::INFINITY),
                None => return,
            };
            h.add_bucket(le, s.value);
        }
        "_sum" => h.sum = s.value,
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_format_parses_with_escaped_labels() {
        let text = "# HELP x y\n# TYPE x counter\nx{a=\"1\",b=\"q\\\"u\\\\o\\nte\"} 3\nplain 4.5\ninf{le=\"+Inf\"} +Inf\nbroken{a=1} 2\n";
        let s = parse(text);
        assert_eq!(s.len(), 3, "{s:?}");
        assert_eq!(s[0].name, "x");
        assert_eq!(s[0].label("b"), Some("q\"u\\o\nte"));
        assert_eq!(s[0].value, 3.0);
        assert_eq!(s[1].labels, vec![]);
        assert_eq!(s[1].value, 4.5);
        assert!(s[2].value.is_infinite());
    }

    #[test]
    fn quantiles_interpolate_inside_buckets() {
        let le = [1.0, 2.0, 4.0];
        // 10 in (0,1], 10 in (1,2], none in (2,4], 0 beyond.
        let counts = [10.0, 20.0, 20.0, 20.0];
        assert_eq!(quantile(0.5, &le, &counts), Some(1.0));
        assert_eq!(quantile(0.75, &le, &counts), Some(1.5));
        assert_eq!(quantile(0.25, &le, &counts), Some(0.5));
        // Beyond the last finite bound: that bound.
        assert_eq!(quantile(0.99, &le, &[0.0, 0.0, 0.0, 5.0]), Some(4.0));
        assert_eq!(quantile(0.5, &le, &[0.0, 0.0, 0.0, 0.0]), None);
        assert_eq!(quantile(0.5, &[], &[]), None);
    }

    #[test]
    fn a_machine_s_series_are_gathered() {
        let text = r#"expressway_executions_started_total{state_machine="pay"} 7
expressway_executions_started_total{state_machine="other"} 100
expressway_executions_succeeded_total{state_machine="pay"} 5
expressway_executions_throttled_total{state_machine="pay"} 2
expressway_execution_time_milliseconds_bucket{state_machine="pay",le="1"} 4
expressway_execution_time_milliseconds_bucket{state_machine="pay",le="10"} 5
expressway_execution_time_milliseconds_bucket{state_machine="pay",le="+Inf"} 5
expressway_execution_time_milliseconds_sum{state_machine="pay"} 12
expressway_state_entered_total{state_machine="pay",state="A"} 7
expressway_state_failed_total{state_machine="pay",state="A",error="E1"} 2
expressway_state_failed_total{state_machine="pay",state="A",error="E2"} 1
expressway_state_duration_seconds_bucket{state_machine="pay",state="A",le="0.001"} 6
expressway_state_duration_seconds_bucket{state_machine="pay",state="A",le="+Inf"} 7
expressway_state_duration_seconds_sum{state_machine="pay",state="A"} 0.5
"#;
        let live = of_machine(&parse(text), "pay");
        assert_eq!(live.machine.started, 7.0);
        assert_eq!(live.machine.succeeded, 5.0);
        assert_eq!(live.machine.throttled, 2.0);
        let t = &live.machine.execution_time_ms;
        assert_eq!(t.le, vec![1.0, 10.0]);
        assert_eq!(t.counts, vec![4.0, 5.0, 5.0]);
        assert_eq!(t.sum, 12.0);
        assert_eq!(t.p50, Some(0.625));
        let a = &live.states["A"];
        assert_eq!(a.entered, 7.0);
        assert_eq!(a.failed["E1"], 2.0);
        assert_eq!(a.failed["E2"], 1.0);
        assert_eq!(a.duration.counts, vec![6.0, 7.0]);
        assert_eq!(a.duration.p99, Some(0.001));
    }
}
