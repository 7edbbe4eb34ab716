//! Admission tests on tokio's paused clock: sleeps advance time instantly
//! and exactly, so waits are checked to the millisecond.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use super::*;

fn admission(rate: f64, burst: u32, max_wait_ms: u64, max_queue: usize) -> Admission {
    Admission::new(AdmissionConfig {
        default: Limits {
            rate,
            burst,
            max_wait_ms,
            max_queue,
        },
        ..AdmissionConfig::default()
    })
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[tokio::test(start_paused = true)]
async fn the_burst_is_admitted_at_once_and_the_next_waits_one_interval() {
    let a = admission(10.0, 5, 1_000, 100);
    let t0 = Instant::now();
    for _ in 0..5 {
        let p = a.admit("m").await.expect("admitted");
        assert_eq!(p.waited(), Duration::ZERO);
    }
    assert_eq!(Instant::now(), t0);
    assert_eq!(a.state(Some("m")).tokens, 0.0);
    let p = a.admit("m").await.expect("admitted after waiting");
    assert_eq!(p.waited(), ms(100));
    assert_eq!(Instant::now() - t0, ms(100));
    // Refills continuously up to the burst, not beyond.
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(a.state(Some("m")).tokens, 5.0);
}

#[tokio::test(start_paused = true)]
async fn waiting_starts_are_admitted_in_fifo_order() {
    let a = admission(100.0, 1, 1_000, 100);
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for i in 0..20u32 {
        // Reserved in order 0..20, admitted whatever the tasks' scheduling.
        let ticket = a.reserve("m").expect("accepted");
        assert_eq!(ticket.is_buffered(), i > 0);
        let order = Arc::clone(&order);
        tasks.push(tokio::spawn(async move {
            let p = ticket.wait().await;
            order.lock().expect("lock").push((i, p.waited()));
        }));
    }
    assert_eq!(a.state(Some("m")).depth, 19);
    for t in tasks.into_iter().rev() {
        t.await.expect("task");
    }
    let order = order.lock().expect("lock").clone();
    let expected: Vec<(u32, Duration)> = (0..20u32).map(|i| (i, ms(10 * u64::from(i)))).collect();
    assert_eq!(order, expected);
    assert_eq!(a.state(Some("m")).depth, 0);
}

#[tokio::test(start_paused = true)]
async fn a_full_buffer_throttles() {
    let a = admission(1.0, 1, 60_000, 3);
    let _now = a.reserve("m").expect("token");
    let waiting: Vec<Ticket> = (0..3).map(|_| a.reserve("m").expect("buffered")).collect();
    assert_eq!(a.state(Some("m")).depth, 3);
    assert_eq!(
        a.admit("m").await,
        Err(Throttled {
            scope: Scope::Machine,
            reason: Refusal::MaxQueue
        })
    );
    // Giving up a place frees it.
    drop(waiting);
    assert_eq!(a.state(Some("m")).depth, 0);
    assert!(a.reserve("m").is_ok());
}

#[tokio::test(start_paused = true)]
async fn a_start_that_would_wait_too_long_throttles_at_once() {
    let a = admission(10.0, 2, 250, 1_000);
    let t0 = Instant::now();
    let mut ok = 0;
    let mut throttled = 0;
    for _ in 0..10 {
        match a.reserve("m") {
            Ok(t) => {
                ok += 1;
                drop(t);
            }
            Err(e) => {
                assert_eq!(e.reason, Refusal::MaxWait);
                throttled += 1;
            }
        }
    }
    // 2 at once + waits of 100 and 200 ms; 300 ms is over 250.
    assert_eq!((ok, throttled), (4, 6));
    assert_eq!(Instant::now(), t0, "refused without waiting");
}

#[tokio::test(start_paused = true)]
async fn machines_have_their_own_buckets_and_overrides() {
    let mut config = AdmissionConfig {
        default: Limits {
            rate: 1.0,
            burst: 1,
            max_wait_ms: 0,
            max_queue: 10,
        },
        ..AdmissionConfig::default()
    };
    config.machines.insert(
        "big".into(),
        Limits {
            burst: 3,
            ..config.default
        },
    );
    let a = Admission::new(config);
    assert!(a.admit("a").await.is_ok());
    assert!(a.admit("a").await.is_err());
    // A throttled machine does not hold back another.
    assert!(a.admit("b").await.is_ok());
    for _ in 0..3 {
        assert!(a.admit("big").await.is_ok());
    }
    assert!(a.admit("big").await.is_err());
}

#[tokio::test(start_paused = true)]
async fn the_global_bucket_limits_all_machines_together() {
    let a = Admission::new(AdmissionConfig {
        global: Limits {
            rate: 10.0,
            burst: 2,
            max_wait_ms: 150,
            max_queue: 10,
        },
        ..AdmissionConfig::default()
    });
    let t0 = Instant::now();
    assert_eq!(a.admit("a").await.map(|p| p.waited()), Ok(Duration::ZERO));
    assert_eq!(a.admit("b").await.map(|p| p.waited()), Ok(Duration::ZERO));
    assert_eq!(a.admit("c").await.map(|p| p.waited()), Ok(ms(100)));
    assert_eq!(Instant::now() - t0, ms(100));
    // Reserve two more at once: the second would wait 200 ms > 150.
    let first = a.reserve("d").expect("ok");
    let second = a.reserve("e").expect("peek sees the bucket free");
    let (p1, p2) = tokio::join!(first.wait_within(true), second.wait_within(true));
    assert_eq!(p1.map(|p| p.waited()), Ok(ms(100)));
    assert_eq!(
        p2,
        Err(Throttled {
            scope: Scope::Global,
            reason: Refusal::MaxWait
        })
    );
    // Two accepted async starts push the global wait to 300 ms: past its
    // 150 ms max, the next start is refused up front.
    let tasks: Vec<_> = (0..2)
        .map(|_| tokio::spawn(a.reserve("f").expect("ok").wait()))
        .collect();
    for _ in 0..4 {
        tokio::task::yield_now().await;
    }
    assert_eq!(a.state(None).depth, 2);
    assert_eq!(
        a.reserve("g").map(|_| ()),
        Err(Throttled {
            scope: Scope::Global,
            reason: Refusal::MaxWait
        })
    );
    for t in tasks {
        t.await.expect("ran");
    }
    assert_eq!(Instant::now() - t0, ms(400));
    assert_eq!(a.state(None).depth, 0);
}

#[tokio::test(start_paused = true)]
async fn accepted_async_starts_are_never_lost() {
    let a = Admission::new(AdmissionConfig {
        default: Limits {
            rate: 1_000.0,
            burst: 10,
            max_wait_ms: 1_000,
            max_queue: 10_000,
        },
        global: Limits {
            rate: 100.0,
            burst: 10,
            max_wait_ms: 1_000,
            max_queue: 10_000,
        },
        ..AdmissionConfig::default()
    });
    let mut accepted = Vec::new();
    let mut refused = 0;
    for _ in 0..500 {
        match a.reserve("m") {
            Ok(t) => accepted.push(tokio::spawn(t.wait())),
            Err(_) => refused += 1,
        }
    }
    // The machine bucket accepts 10 + 1,000 ms of refill; every accepted
    // start then runs, even past the global bucket's max wait.
    assert_eq!(accepted.len(), 500 - refused);
    assert!(accepted.len() >= 500 - 1);
    let n = accepted.len();
    let mut done = 0;
    for t in accepted {
        t.await.expect("ran");
        done += 1;
    }
    assert_eq!(done, n);
    assert_eq!(a.state(None).depth, 0);
    assert_eq!(a.state(Some("m")).depth, 0);
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_sync_start_leaves_the_queue() {
    let a = admission(1.0, 1, 5_000, 10);
    a.admit("m").await.expect("token");
    let waiting = a.admit("m");
    assert!(tokio::time::timeout(ms(10), waiting).await.is_err());
    assert_eq!(a.state(Some("m")).depth, 0);
}
