//! Helpers for the unit tests: the shared material, loopback servers, and
//! Task calls.

use std::path::PathBuf;

/// The shared material (`shared/`): `$SHARED_DIR`, else beside the checkout,
/// where the project always lives (and where `scripts/test.sh` looks).
///
/// Panics when it is missing: a test that reads the AWS-recorded cases must
/// not pass by reading nothing.
pub(crate) fn shared_dir() -> PathBuf {
    let dir = std::env::var_os("SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared")));
    assert!(
        dir.join("conformance/cases").is_dir(),
        "the shared material is not at {} (set SHARED_DIR)",
        dir.display()
    );
    dir
}

/// Serves `app` on a free loopback port in a background task; its address.
pub(crate) async fn serve_router(app: axum::Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

/// A loopback listener that only counts the connections it accepts: for
/// tests that a refused call never reaches the network. Its address and count.
pub(crate) async fn counting_listener() -> (
    std::net::SocketAddr,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let hits = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&hits);
    tokio::spawn(async move {
        while let Ok((_sock, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    (addr, hits)
}

/// A Task call of `resource` from the state `state_name` of the machine `M`,
/// with `input` and no test case, time limits or earlier attempts.
pub(crate) fn task_call(
    resource: &str,
    state_name: &str,
    input: crate::json::Value,
) -> crate::tasks::TaskCall {
    crate::tasks::TaskCall {
        resource: resource.into(),
        input: input.into(),
        state_name: state_name.into(),
        state_machine_name: "M".into(),
        test_case: None,
        invocation: 0,
        timeout: None,
        heartbeat: None,
    }
}
