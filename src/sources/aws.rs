//! What the SQS and Kinesis consumers share: the AWS SDK configuration, the
//! stop signal fanned out to every task, and small helpers.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::watch;

/// The SDK configuration from the environment (credentials, `AWS_REGION`,
/// `AWS_ENDPOINT_URL`), with `endpoint_url` overriding the endpoint of
/// every service when given.
pub async fn sdk_config(endpoint_url: Option<&str>) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(url) = endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

/// A stop signal many tasks can wait for; fired once.
#[derive(Clone)]
pub struct Stop {
    tx: Arc<watch::Sender<bool>>,
    rx: watch::Receiver<bool>,
}

impl Stop {
    /// A signal fired by [`Stop::fire`] or when `signal` resolves.
    pub fn new(signal: impl Future<Output = ()> + Send + 'static) -> Self {
        let (tx, rx) = watch::channel(false);
        let stop = Stop {
            tx: Arc::new(tx),
            rx,
        };
        let fired = stop.clone();
        tokio::spawn(async move {
            signal.await;
            fired.fire();
        });
        stop
    }

    /// Fires the signal.
    pub fn fire(&self) {
        self.tx.send_replace(true);
    }

    /// Whether it fired.
    pub fn fired(&self) -> bool {
        *self.rx.borrow()
    }

    /// Resolves once it fired.
    pub fn wait(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.rx.clone();
        async move {
            // The sender lives as long as any clone of `self`: an error
            // means every clone is gone, so nobody can fire it any more.
            if rx.wait_for(|fired| *fired).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }

    /// Sleeps `d`; `false` when the signal fired first.
    pub async fn sleep(&self, d: std::time::Duration) -> bool {
        tokio::select! {
            () = self.wait() => false,
            () = tokio::time::sleep(d) => true,
        }
    }
}

/// The region of an ARN (`arn:aws:<service>:<region>:…`).
pub fn arn_region(arn: &str) -> Option<&str> {
    arn.split(':').nth(3).filter(|r| !r.is_empty())
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Serves `GET /metrics` (Prometheus text, [`crate::metrics::render`]) on
/// `addr` until `stop` fires; returns the bound address.
///
/// # Errors
/// The address cannot be bound.
pub async fn serve_metrics(addr: &str, stop: Stop) -> std::io::Result<std::net::SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    crate::metrics::install();
    let router = axum::Router::new().route(
        "/metrics",
        axum::routing::get(|| async { crate::metrics::render() }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, router)
            .with_graceful_shutdown(stop.wait())
            .await;
    });
    Ok(bound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_come_from_arns() {
        assert_eq!(
            arn_region("arn:aws:sqs:eu-west-1:123456789012:q"),
            Some("eu-west-1")
        );
        assert_eq!(arn_region("nonsense"), None);
    }

    #[tokio::test]
    async fn a_stop_reaches_every_waiter() {
        let stop = Stop::new(std::future::pending());
        assert!(!stop.fired());
        let waiter = tokio::spawn(stop.wait());
        assert!(stop.sleep(std::time::Duration::from_millis(1)).await);
        stop.fire();
        waiter.await.expect("woken");
        assert!(stop.fired());
        assert!(!stop.sleep(std::time::Duration::from_secs(60)).await);
    }
}
