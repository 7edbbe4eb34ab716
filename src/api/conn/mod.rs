//! The connections of `serve`: the accept loop ([`serve`]) that every shard
//! runs on the shared listening socket, and how each connection is served
//! under the [`HttpLimits`].
//!
//! Each connection is served by hyper's HTTP/1.1 server (what the AWS SDKs
//! and CLI speak to an `http://` endpoint) and has one timer: it closes a
//! connection on which no request is being handled when no byte moved for
//! [`HttpLimits::idle_timeout`] (an idle keep-alive connection), or when
//! the request head the server waits for (since the connection was
//! accepted, or since the last response) has not arrived within
//! [`HttpLimits::header_read_timeout`] (slowloris). hyper's own
//! `header_read_timeout` did the latter with a timer of its own, set up and
//! torn down for every request (callgrind: about 800 instructions of a
//! StartSyncExecution); the connection's timer, already there, is not.
//!
//! A [`Gate`] shared by the shards counts the open connections: past
//! [`HttpLimits::max_connections`], a new connection is answered
//! `503 ServiceUnavailable` with `Connection: close` (AWS's
//! error for a temporary overload, which every SDK retries with back-off and
//! shows by name when it gives up; a bare close would look like a network
//! fault), or closed at once when [`MAX_REFUSING`] refusals are already
//! under way. A request whose head carries both `Content-Length` and
//! `Transfer-Encoding` is answered `400 SerializationException` with
//! `Connection: close` (RFC 9112 §6.1 allows the refusal, and the
//! connection must close after it): hyper accepts such a request and frames
//! it by `Transfer-Encoding`, so [`watch::HeadScan`] looks for it in the
//! bytes read.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderValue, Request, Response};
use axum::response::IntoResponse as _;
use futures::task::AtomicWaker;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch as channel;
use tokio::time::Instant;

use super::error::ApiError;
use super::limits::HttpLimits;
use super::server::Edge;

mod watch;

/// The most refusals (503 answers to connections past the limit) under way
/// at once; a connection past both limits is closed without an answer.
pub const MAX_REFUSING: usize = 64;

/// The longest a refused connection is kept: to read its request (so that
/// closing does not reset the connection before the client reads the 503)
/// and answer.
pub const REFUSAL_TIMEOUT: Duration = Duration::from_secs(1);

/// The most request-body bytes read from a refused connection before it is answered.
const REFUSAL_DRAIN_BYTES: usize = 64 * 1024;

/// How long the accept loop pauses after an accept error that is not the
/// client's (e.g. out of file descriptors), so as not to spin.
const ACCEPT_PAUSE: Duration = Duration::from_millis(50);

/// The open connections of every shard's accept loop, under one
/// [`HttpLimits`]. Share it in an `Arc`.
#[derive(Debug)]
pub struct Gate {
    limits: HttpLimits,
    open: AtomicUsize,
    refusing: AtomicUsize,
}

impl Gate {
    /// A gate admitting up to `limits.max_connections` connections.
    pub fn new(limits: HttpLimits) -> Arc<Gate> {
        Arc::new(Gate {
            limits,
            open: AtomicUsize::new(0),
            refusing: AtomicUsize::new(0),
        })
    }

    /// The limits connections are served under.
    pub fn limits(&self) -> HttpLimits {
        self.limits
    }

    /// How many connections are open (being served, refusals not counted).
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// Takes one of `max` places of `count`, if one is free.
    fn take(self: &Arc<Self>, count: fn(&Gate) -> &AtomicUsize, max: usize) -> Option<Place> {
        let taken = count(self)
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .is_ok();
        taken.then(|| Place {
            gate: Arc::clone(self),
            count,
        })
    }
}

/// A place in a [`Gate`] count, given back on drop.
struct Place {
    gate: Arc<Gate>,
    count: fn(&Gate) -> &AtomicUsize,
}

impl Drop for Place {
    fn drop(&mut self) {
        (self.count)(&self.gate).fetch_sub(1, Ordering::AcqRel);
    }
}

/// Accepts connections on `listener` and serves `edge` on each, in
/// tasks of the current runtime, under `gate`'s limits, until `shutdown`
/// completes; then stops accepting, lets every open connection finish the
/// request it is handling, and returns once all are closed.
///
/// Accept errors are not fatal: a client's (reset, aborted) is skipped,
/// any other (out of file descriptors) pauses the loop for 50 ms.
///
/// # Errors
/// None so far; the signature leaves room for listener errors.
pub async fn serve<F>(
    listener: TcpListener,
    edge: Edge,
    gate: Arc<Gate>,
    shutdown: F,
) -> io::Result<()>
where
    F: Future<Output = ()> + Send,
{
    let edge = Arc::new(edge);
    let (stop, stopped) = channel::channel(false);
    // Every connection holds a receiver; `closed()` resolves once all dropped it.
    let (all_closed, open) = channel::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    if !is_client_error(&e) {
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(ACCEPT_PAUSE).await;
                    }
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        if let Some(place) = gate.take(|g| &g.open, gate.limits.max_connections) {
            let connection =
                serve_connection(stream, Arc::clone(&edge), gate.limits, stopped.clone());
            let open = open.clone();
            tokio::spawn(async move {
                connection.await;
                drop((place, open));
            });
        } else if let Some(place) = gate.take(|g| &g.refusing, MAX_REFUSING) {
            let refusal = refuse(stream, gate.limits.max_connections);
            let open = open.clone();
            tokio::spawn(async move {
                refusal.await;
                drop((place, open));
            });
        } else {
            drop(stream);
        }
        // Let the connections already open run between two accepts: a burst
        // of new connections is then taken in turns with their requests
        // instead of ahead of them (a shard polls its I/O before resuming a
        // yielded task).
        tokio::task::yield_now().await;
    }
    drop(listener);
    let _ = stop.send(true);
    drop(open);
    all_closed.closed().await;
    Ok(())
}

/// Whether an accept error is the client's doing (the connection went away
/// before it was accepted), not the server's.
fn is_client_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Serves one connection until the client closes it, a timeout closes it,
/// or `stopped` turns true (then once its request in flight is answered).
async fn serve_connection(
    stream: TcpStream,
    edge: Arc<Edge>,
    limits: HttpLimits,
    mut stopped: channel::Receiver<bool>,
) {
    let activity = Arc::new(watch::Activity::new());
    let io = TokioIo::new(watch::Watched::new(stream, Arc::clone(&activity)));
    let handler = Arc::clone(&activity);
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let (edge, activity) = (Arc::clone(&edge), Arc::clone(&handler));
        async move { Ok::<_, Infallible>(answer(&edge, &activity, request).await) }
    });
    let mut builder = http1::Builder::new();
    // The header-read timeout is the connection timer's (below). Writes
    // flattened: the response head and body go in one buffer and one
    // `write` (callgrind: about 870 instructions fewer per answer than the
    // queue of buffers hyper keeps for `writev`; the body is copied once).
    builder.header_read_timeout(None).writev(false);
    let mut connection = std::pin::pin!(builder.serve_connection(io, service));
    // Fires no later than the connection's deadline (`Activity::deadline`),
    // which it then reads: closes the connection, or waits on.
    let check = limits.idle_timeout.min(limits.header_read_timeout);
    let mut timer = std::pin::pin!(tokio::time::sleep(check));
    let mut stop = std::pin::pin!(async move {
        // A closed channel (the accept loop gone) stops as well.
        let _ = stopped.wait_for(|stop| *stop).await;
    });
    // The timer and the stop signal wake the task through `side`, and are
    // polled only then: not at every wake of the connection's I/O (a
    // `select!` over the three polled all three each time: callgrind,
    // about 700 instructions a request).
    let side = Arc::new(SideWaker::default());
    let side_waker = Waker::from(Arc::clone(&side));
    let mut stopping = false;
    std::future::poll_fn(|cx| loop {
        side.task.register(cx.waker());
        if let Poll::Ready(served) = connection.as_mut().poll(cx) {
            if let Err(e) = served {
                tracing::debug!("connection closed: {e}");
            }
            return Poll::Ready(());
        }
        if !side.woken.swap(false, Ordering::AcqRel) {
            return Poll::Pending;
        }
        let mut side_cx = Context::from_waker(&side_waker);
        // Also while stopping: a slow request head must not hold the shutdown.
        while timer.as_mut().poll(&mut side_cx).is_ready() {
            match activity.deadline(limits.idle_timeout, limits.header_read_timeout) {
                // Nothing in flight, and idle or no head in time: drop the connection.
                Some(deadline) if deadline <= Instant::now() => return Poll::Ready(()),
                Some(deadline) => timer.as_mut().reset(deadline),
                None => timer.as_mut().reset(watch::later(Instant::now(), check)),
            }
        }
        if stopping || stop.as_mut().poll(&mut side_cx).is_pending() {
            return Poll::Pending;
        }
        stopping = true;
        connection.as_mut().graceful_shutdown();
        // Polled again (the loop) for hyper to act on it.
    })
    .await;
}

/// The waker of a connection's timer and stop signal: notes that one of
/// them woke the connection's task, then wakes it.
#[derive(Debug)]
struct SideWaker {
    /// Set when the timer or the stop signal woke the task (and at first,
    /// so that both are polled once and register).
    woken: AtomicBool,
    /// The connection's task.
    task: AtomicWaker,
}

impl Default for SideWaker {
    fn default() -> Self {
        SideWaker {
            woken: AtomicBool::new(true),
            task: AtomicWaker::new(),
        }
    }
}

impl Wake for SideWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}

/// Answers one request: the edge's answer, or a 400 when its head
/// carried both length headers.
async fn answer(
    edge: &Edge,
    activity: &Arc<watch::Activity>,
    request: Request<Incoming>,
) -> Response<Body> {
    let _in_flight = activity.begin();
    if request.headers().contains_key(header::TRANSFER_ENCODING) && activity.saw_both_lengths() {
        return closing(ApiError::Serialization(
            "A request must not carry both Content-Length and Transfer-Encoding (RFC 9112 §6.1)"
                .to_owned(),
        ));
    }
    edge.answer(request).await
}

/// `error`'s response, with a request id and `Connection: close`.
fn closing(error: ApiError) -> Response<Body> {
    let mut response = error.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    headers.insert(super::request_id::HEADER, super::request_id::new());
    response
}

/// Answers a connection past the limit: reads its request (at most
/// [`REFUSAL_DRAIN_BYTES`] of body, within [`REFUSAL_TIMEOUT`]) and answers
/// `503 ServiceUnavailable` with `Connection: close`.
async fn refuse(stream: TcpStream, max_connections: usize) {
    let service = hyper::service::service_fn(move |request: Request<Incoming>| async move {
        let body = Body::new(request.into_body());
        let _ = axum::body::to_bytes(body, REFUSAL_DRAIN_BYTES).await;
        Ok::<_, Infallible>(closing(ApiError::ServiceUnavailable(format!(
            "Too many open connections (the limit is {max_connections}); retry later"
        ))))
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(REFUSAL_TIMEOUT)
        .keep_alive(false);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    let _ = tokio::time::timeout(REFUSAL_TIMEOUT, connection).await;
}
