//! The max-rate search as a pure state machine over a pass/fail oracle:
//! [`Search::next`] proposes the next rate to try, [`Search::record`] is told
//! whether a run at that rate held. No clock and no I/O, so the search itself
//! is unit-tested with a threshold oracle; [`crate::run::find_max`] drives it
//! with real runs.
//!
//! 1. From the start rate, multiply by [`GROW`] while runs hold.
//! 2. If the *first* rate fails, divide by [`SHRINK`] until one holds (down to
//!    [`MIN_RATE`]) instead of giving up.
//! 3. Bisect between the highest rate that held and the lowest that failed
//!    until they are within 5 % ([`CLOSE`]) or after [`MAX_BISECTIONS`].

/// Factor applied while every run holds.
pub const GROW: f64 = 1.5;
/// Divisor applied while every run fails (the first rate failed).
pub const SHRINK: f64 = 2.0;
/// The lowest rate tried when searching downward, requests per second.
pub const MIN_RATE: f64 = 1.0;
/// At most this many growth (or shrink) steps.
pub const MAX_STEPS: usize = 40;
/// At most this many bisection steps.
pub const MAX_BISECTIONS: usize = 6;
/// Bisection stops when failed / held is below this ratio.
pub const CLOSE: f64 = 1.05;

/// Where the search is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    /// Nothing tried yet, or every try held: growing.
    Grow,
    /// Every try failed: shrinking.
    Shrink,
    /// A held and a failed rate are known: bisecting.
    Bisect,
    /// Finished.
    Done,
}

/// The max-rate search (see the module documentation).
#[derive(Debug, Clone)]
pub struct Search {
    phase: Phase,
    /// The rate to try next.
    rate: f64,
    /// Highest rate that held so far.
    held: Option<f64>,
    /// Lowest rate that failed so far.
    failed: Option<f64>,
    /// Growth or shrink steps taken.
    steps: usize,
    /// Bisection steps taken.
    bisections: usize,
}

impl Search {
    /// A search starting at `rate` requests per second (at least [`MIN_RATE`]).
    pub fn new(rate: f64) -> Self {
        let rate = if rate.is_finite() {
            rate.max(MIN_RATE)
        } else {
            MIN_RATE
        };
        Search {
            phase: Phase::Grow,
            rate,
            held: None,
            failed: None,
            steps: 0,
            bisections: 0,
        }
    }

    /// The next rate to try, or `None` when the search is over.
    pub fn next(&self) -> Option<f64> {
        (self.phase != Phase::Done).then_some(self.rate)
    }

    /// The highest rate that held, once known.
    pub fn best(&self) -> Option<f64> {
        self.held
    }

    /// Records whether the run at the rate [`Search::next`] proposed held.
    pub fn record(&mut self, ok: bool) {
        let rate = self.rate;
        if ok {
            self.held = Some(self.held.map_or(rate, |h| h.max(rate)));
        } else {
            self.failed = Some(self.failed.map_or(rate, |f| f.min(rate)));
        }
        match self.phase {
            Phase::Done => {}
            Phase::Grow if ok => {
                self.steps += 1;
                if self.steps >= MAX_STEPS {
                    self.phase = Phase::Done;
                } else {
                    self.rate = rate * GROW;
                }
            }
            Phase::Grow if self.held.is_none() => {
                // The very first rate failed: search downward.
                self.phase = Phase::Shrink;
                self.steps = 1;
                self.shrink(rate);
            }
            Phase::Shrink if !ok => {
                self.steps += 1;
                self.shrink(rate);
            }
            Phase::Grow | Phase::Shrink | Phase::Bisect => {
                if self.phase == Phase::Bisect {
                    self.bisections += 1;
                }
                self.phase = Phase::Bisect;
                self.bisect();
            }
        }
    }

    /// After a failure at `rate` with nothing held yet: the next lower rate,
    /// or done at the floor.
    fn shrink(&mut self, rate: f64) {
        if rate <= MIN_RATE || self.steps >= MAX_STEPS {
            self.phase = Phase::Done;
        } else {
            self.rate = (rate / SHRINK).max(MIN_RATE);
        }
    }

    /// The midpoint of the held/failed bracket, or done when it is narrow
    /// enough or the bisections are used up.
    fn bisect(&mut self) {
        match (self.held, self.failed) {
            (Some(lo), Some(hi)) if hi / lo >= CLOSE && self.bisections < MAX_BISECTIONS => {
                self.rate = (lo + hi) / 2.0;
            }
            _ => self.phase = Phase::Done,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the search against "holds iff rate <= limit"; returns the best
    /// rate and every rate tried.
    fn search(start: f64, limit: f64) -> (Option<f64>, Vec<f64>) {
        let mut s = Search::new(start);
        let mut tried = Vec::new();
        while let Some(rate) = s.next() {
            tried.push(rate);
            s.record(rate <= limit);
            assert!(tried.len() <= MAX_STEPS + MAX_BISECTIONS + 1, "{tried:?}");
        }
        (s.best(), tried)
    }

    #[test]
    fn grows_then_bisects_to_within_five_percent() {
        let (best, tried) = search(1000.0, 5000.0);
        assert_eq!(&tried[..5], &[1000.0, 1500.0, 2250.0, 3375.0, 5062.5]);
        let best = best.expect("a rate held");
        assert!(
            (5000.0 / CLOSE..=5000.0).contains(&best),
            "{best} {tried:?}"
        );
    }

    #[test]
    fn first_rate_failing_searches_downward() {
        let (best, tried) = search(20_000.0, 3000.0);
        // Halves until a rate holds, then bisects upward from it.
        assert_eq!(&tried[..4], &[20_000.0, 10_000.0, 5000.0, 2500.0]);
        let best = best.expect("a lower rate held");
        assert!(
            (3000.0 / CLOSE..=3000.0).contains(&best),
            "{best} {tried:?}"
        );
        // Every bisection stays inside the bracket (2500, 5000).
        assert!(
            tried[4..].iter().all(|&r| r > 2500.0 && r < 5000.0),
            "{tried:?}"
        );
    }

    #[test]
    fn nothing_holds_ends_at_the_floor() {
        let (best, tried) = search(100.0, 0.5);
        assert_eq!(best, None);
        assert_eq!(tried.last(), Some(&MIN_RATE));
        assert!(tried.windows(2).all(|w| w[1] < w[0]), "{tried:?}");
    }

    #[test]
    fn always_holding_stops_after_the_step_limit() {
        let (best, tried) = search(1.0, f64::INFINITY);
        assert_eq!(tried.len(), MAX_STEPS);
        assert_eq!(best, tried.last().copied());
    }

    #[test]
    fn first_rate_exactly_at_the_limit_holds_and_bisects_above() {
        let (best, tried) = search(1000.0, 1000.0);
        assert_eq!(tried[1], 1500.0);
        assert_eq!(best, Some(1000.0));
        assert!(tried[2..].iter().all(|&r| r > 1000.0 && r < 1500.0));
    }

    #[test]
    fn bad_start_rates_are_clamped() {
        assert_eq!(Search::new(0.0).next(), Some(MIN_RATE));
        assert_eq!(Search::new(f64::NAN).next(), Some(MIN_RATE));
    }
}
