//! Time limits armed only when they can matter: an execution or a Task
//! whose work finishes on its first poll (handlers that answer at once, the
//! Pass and Choice states) never registers a timer with the runtime.
//!
//! Registering a `tokio::time::Timeout` costs more than a bench Task's whole
//! handler; its semantics are kept: the deadline counts from the call, and a
//! future that is ready when polled wins over an elapsed deadline.

use std::future::Future;
use std::task::Poll;
use std::time::Duration;

use tokio::time::error::Elapsed;
use tokio::time::Instant;

/// `tokio::time::timeout(limit, fut)`, with the timer set up only when `fut`
/// is still pending after its first poll.
///
/// # Errors
/// [`Elapsed`] when `limit` (counted from this call) passes before `fut`
/// finishes.
pub(in crate::engine) async fn timeout<F: Future>(
    limit: Duration,
    fut: F,
) -> Result<F::Output, Elapsed> {
    let start = Instant::now();
    let mut fut = std::pin::pin!(fut);
    if let Poll::Ready(out) = futures::poll!(fut.as_mut()) {
        return Ok(out);
    }
    match start.checked_add(limit) {
        Some(deadline) => tokio::time::timeout_at(deadline, fut).await,
        // Past what the clock can hold: no limit in practice.
        None => Ok(fut.await),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_ready_future_needs_no_timer() {
        assert_eq!(timeout(Duration::ZERO, async { 7 }).await, Ok(7));
    }

    #[tokio::test(start_paused = true)]
    async fn a_pending_future_times_out_from_the_call() {
        let start = Instant::now();
        let slow = tokio::time::sleep(Duration::from_secs(5));
        assert!(timeout(Duration::from_secs(2), slow).await.is_err());
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        let quick = async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            3
        };
        assert_eq!(timeout(Duration::from_secs(2), quick).await, Ok(3));
    }

    #[tokio::test(start_paused = true)]
    async fn a_huge_limit_is_no_limit() {
        let later = async {
            tokio::time::sleep(Duration::from_secs(10)).await;
            1
        };
        assert_eq!(timeout(Duration::MAX, later).await, Ok(1));
    }
}
