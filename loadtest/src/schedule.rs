//! Open-loop schedule: request `i` is due at `t0 + i / rate`, whatever
//! happened to earlier requests. Latency is measured from that intended start,
//! so a stalled system is charged for the requests it delayed (no coordinated
//! omission, as in wrk2 / HdrHistogram's `recordValueWithExpectedInterval`).

use std::time::Duration;

/// A constant arrival rate.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// Requests per second (> 0).
    pub rate: f64,
    /// How long requests are issued.
    pub duration: Duration,
}

impl Schedule {
    /// Offset from `t0` at which request `i` (from 0) is due: `i / rate`
    /// seconds, rounded to the nanosecond.
    pub fn offset(&self, i: u64) -> Duration {
        Duration::from_nanos(((i as f64) * 1e9 / self.rate).round() as u64)
    }

    /// How many requests the schedule issues: those due strictly before
    /// `duration`, i.e. `ceil(rate · duration)`.
    pub fn count(&self) -> u64 {
        let exact = self.rate * self.duration.as_secs_f64();
        let n = exact.ceil() as u64;
        // Guard against floating error putting the last one at == duration.
        if n > 0 && self.offset(n - 1) >= self.duration {
            n - 1
        } else {
            n
        }
    }

    /// The requests due by `elapsed`, starting from request `next`: the range
    /// `next..end` of those with `offset(i) <= elapsed`, capped at
    /// [`count`](Self::count). The runner issues these in one go when it wakes
    /// up late (timer granularity).
    pub fn due(&self, next: u64, elapsed: Duration) -> std::ops::Range<u64> {
        let total = self.count();
        let by_time = (elapsed.as_secs_f64() * self.rate).floor() as u64 + 1;
        let mut end = by_time.min(total).max(next);
        while end > next && self.offset(end - 1) > elapsed {
            end -= 1;
        }
        while end < total && self.offset(end) <= elapsed {
            end += 1;
        }
        next..end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(rate: f64, secs: f64) -> Schedule {
        Schedule {
            rate,
            duration: Duration::from_secs_f64(secs),
        }
    }

    #[test]
    fn offsets_are_i_over_rate() {
        let sch = s(1000.0, 1.0);
        assert_eq!(sch.offset(0), Duration::ZERO);
        assert_eq!(sch.offset(1), Duration::from_millis(1));
        assert_eq!(sch.offset(1500), Duration::from_millis(1500));
        assert_eq!(s(3.0, 1.0).offset(1), Duration::from_nanos(333_333_333));
    }

    #[test]
    fn count_is_those_due_before_the_end() {
        assert_eq!(s(1000.0, 1.0).count(), 1000);
        assert_eq!(s(3.0, 1.0).count(), 3);
        assert_eq!(s(2.5, 1.0).count(), 3); // 0, 0.4, 0.8
        assert_eq!(s(0.5, 1.0).count(), 1);
    }

    #[test]
    fn due_covers_each_request_once_in_order() {
        let sch = s(1000.0, 0.1);
        assert_eq!(sch.due(0, Duration::ZERO), 0..1);
        assert_eq!(sch.due(1, Duration::from_micros(999)), 1..1);
        assert_eq!(sch.due(1, Duration::from_micros(5500)), 1..6);
        // Late wake-up past the end is capped at count().
        assert_eq!(sch.due(6, Duration::from_secs(5)), 6..100);
        // Walking in random steps issues every request exactly once.
        let mut next = 0;
        let mut seen = 0;
        for ms in [0u64, 3, 3, 17, 40, 41, 99, 100, 200] {
            let r = sch.due(next, Duration::from_millis(ms));
            assert_eq!(r.start, next);
            seen += r.end - r.start;
            next = r.end;
        }
        assert_eq!(seen, 100);
    }
}
