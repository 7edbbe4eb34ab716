//! The connection limits of `serve` over real sockets on 127.0.0.1 (issue 11,
//! reproducer 5): a slowloris request head is cut off after the header-read
//! timeout, an idle keep-alive connection after the idle timeout (but not a
//! connection whose request is still running), connections past the limit
//! are answered 503 `ServiceUnavailable` with `Connection: close` while the
//! open ones keep working, a request with both `Content-Length` and
//! `Transfer-Encoding` gets 400, and a 413 says `Connection: close`.
//! Timeouts are short (hundreds of ms) and the assertions generous.

use std::time::{Duration, Instant};

use expressway::api::conn::{self, Gate};
use expressway::api::{edge, Config, HttpLimits, MachineType, Service};
use expressway::engine::Engine;
use expressway::tasks::Tasks;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

const PASS: &str = r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#;
const WAIT: &str = r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"End":true}}}"#;

/// Serves a fresh service (machines `pass` and `wait`) under `limits`; the address.
async fn start(limits: HttpLimits) -> String {
    start_stoppable(limits, std::future::pending::<()>())
        .await
        .0
}

/// As [`start`], served until `shutdown` completes; the address and the
/// accept loop's task.
async fn start_stoppable(
    limits: HttpLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> (String, tokio::task::JoinHandle<std::io::Result<()>>) {
    let service = Service::new(Engine::new(Tasks::default()), Config::default());
    for (name, definition) in [("pass", PASS), ("wait", WAIT)] {
        service
            .create_state_machine(name, definition, MachineType::Express)
            .expect("creates");
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let served = tokio::spawn(conn::serve(
        listener,
        edge(service),
        Gate::new(limits),
        shutdown,
    ));
    (addr, served)
}

fn limits(header_ms: u64, idle_ms: u64, max: usize) -> HttpLimits {
    HttpLimits {
        header_read_timeout: Duration::from_millis(header_ms),
        idle_timeout: Duration::from_millis(idle_ms),
        max_connections: max,
    }
}

/// A POST of `body` to operation `op`, keep-alive.
fn request(op: &str, body: &str) -> String {
    format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: AWSStepFunctions.{op}\r\n\
         Content-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// One response read off `stream`: status, lower-cased headers, body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

async fn read_answer(stream: &mut TcpStream) -> Answer {
    let mut data = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .expect("an answer within 10 s")
            .expect("reads");
        assert!(
            n > 0,
            "closed before an answer: {:?}",
            String::from_utf8_lossy(&data)
        );
        data.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = data[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.expect("reads the body");
        assert!(n > 0, "closed inside the body");
        body.extend_from_slice(&chunk[..n]);
    }
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// Waits (at most `within`) until the server closes `stream`; how long it took.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> Option<Duration> {
    let start = Instant::now();
    let mut chunk = [0u8; 1024];
    loop {
        let left = within.checked_sub(start.elapsed())?;
        match tokio::time::timeout(left, stream.read(&mut chunk)).await {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some(start.elapsed()),
            Ok(Ok(_)) => {}
        }
    }
}

async fn call(addr: &str, op: &str, body: &str) -> Answer {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(request(op, body).as_bytes()).await.unwrap();
    read_answer(&mut s).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slowloris_request_head_is_cut_off_after_the_header_timeout() {
    // Idle timeout far above: only the header timer can close it.
    let addr = start(limits(400, 60_000, 100)).await;
    let mut slow = TcpStream::connect(&addr).await.unwrap();
    let head = request("ListStateMachines", "{}");
    let start = Instant::now();
    let mut closed = None;
    // One byte every 50 ms, for at most 5 s.
    for byte in head.as_bytes().iter().cycle().take(100) {
        if slow.write_all(&[*byte]).await.is_err() {
            closed = Some(start.elapsed());
            break;
        }
        if let Some(after) = closed_within(&mut slow, Duration::from_millis(50)).await {
            closed = Some(start.elapsed().max(after));
            break;
        }
    }
    let closed = closed.expect("the slow connection was closed within 5 s");
    assert!(
        closed >= Duration::from_millis(300),
        "closed too early: {closed:?}"
    );
    // Everyone else is still answered.
    assert_eq!(call(&addr, "ListStateMachines", "{}").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_header_timeout_counts_again_from_each_response() {
    // Idle timeout far above: only the header timer can close it.
    let addr = start(limits(400, 60_000, 100)).await;
    let mut s = TcpStream::connect(&addr).await.unwrap();
    // Two requests, each within the header timeout of the previous answer,
    // over more than the header timeout in all: both answered.
    for _ in 0..2 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        s.write_all(request("ListStateMachines", "{}").as_bytes())
            .await
            .unwrap();
        assert_eq!(read_answer(&mut s).await.status, 200);
    }
    // Then a head that never ends, one byte every 50 ms: cut off about
    // 400 ms after the last answer.
    let answered = Instant::now();
    let mut closed = None;
    for byte in b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: y"
        .iter()
        .cycle()
        .take(100)
    {
        if s.write_all(&[*byte]).await.is_err() {
            closed = Some(answered.elapsed());
            break;
        }
        if closed_within(&mut s, Duration::from_millis(50))
            .await
            .is_some()
        {
            closed = Some(answered.elapsed());
            break;
        }
    }
    let closed = closed.expect("the slow head was cut off within 5 s");
    assert!(
        closed >= Duration::from_millis(300),
        "closed too early: {closed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    // Header timeout far above: only the idle timer can close it within 5 s.
    let addr = start(limits(60_000, 300, 100)).await;
    let mut s = TcpStream::connect(&addr).await.unwrap();
    s.write_all(request("ListStateMachines", "{}").as_bytes())
        .await
        .unwrap();
    let a = read_answer(&mut s).await;
    assert_eq!(a.status, 200);
    assert_ne!(a.header("connection"), Some("close"));
    let after = closed_within(&mut s, Duration::from_secs(5)).await;
    let after = after.expect("the idle connection was closed within 5 s");
    assert!(
        after >= Duration::from_millis(200),
        "closed too early: {after:?}"
    );

    // A connection that never sends anything is idle too.
    let mut silent = TcpStream::connect(&addr).await.unwrap();
    assert!(closed_within(&mut silent, Duration::from_secs(5))
        .await
        .is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_whose_request_runs_is_not_idle() {
    let addr = start(limits(60_000, 200, 100)).await;
    let arn = "arn:aws:states:us-east-1:123456789012:stateMachine:wait";
    // The execution waits 1 s, five idle timeouts.
    let a = call(
        &addr,
        "StartSyncExecution",
        &format!(r#"{{"stateMachineArn":"{arn}"}}"#),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body.contains("SUCCEEDED"), "{}", a.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_connection_limit_new_connections_get_503_and_open_ones_work() {
    let addr = start(limits(60_000, 60_000, 3)).await;
    let mut open = Vec::new();
    for _ in 0..3 {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        s.write_all(request("ListStateMachines", "{}").as_bytes())
            .await
            .unwrap();
        assert_eq!(read_answer(&mut s).await.status, 200);
        open.push(s);
    }
    for _ in 0..2 {
        let mut extra = TcpStream::connect(&addr).await.unwrap();
        extra
            .write_all(request("ListStateMachines", "{}").as_bytes())
            .await
            .unwrap();
        let refused = read_answer(&mut extra).await;
        assert_eq!(refused.status, 503, "{}", refused.body);
        assert_eq!(refused.header("connection"), Some("close"));
        let body: serde_json::Value = serde_json::from_str(&refused.body).unwrap();
        assert!(
            body["__type"]
                .as_str()
                .unwrap()
                .ends_with("#ServiceUnavailable"),
            "{body}"
        );
        assert!(
            body["message"].as_str().unwrap().contains("limit is 3"),
            "{body}"
        );
        assert!(closed_within(&mut extra, Duration::from_secs(5))
            .await
            .is_some());
    }
    // The open connections still work.
    for s in &mut open {
        s.write_all(request("ListStateMachines", "{}").as_bytes())
            .await
            .unwrap();
        assert_eq!(read_answer(s).await.status, 200);
    }
    // Once one closes, a new connection is served again.
    drop(open.pop());
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let a = call(&addr, "ListStateMachines", "{}").await;
        if a.status == 200 {
            break;
        }
        assert_eq!(a.status, 503);
        assert!(Instant::now() < deadline, "no place freed within 5 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_length_headers_are_refused_with_400() {
    let addr = start(HttpLimits::default()).await;
    let chunked = "2\r\n{}\r\n0\r\n\r\n";
    let common = "POST / HTTP/1.1\r\nHost: localhost\r\n\
                  X-Amz-Target: AWSStepFunctions.ListStateMachines\r\n\
                  Content-Type: application/x-amz-json-1.0\r\n";
    for lengths in [
        "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n",
        "Transfer-Encoding: chunked\r\nContent-Length: 2\r\n",
    ] {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        s.write_all(format!("{common}{lengths}\r\n{chunked}").as_bytes())
            .await
            .unwrap();
        let a = read_answer(&mut s).await;
        assert_eq!(a.status, 400, "{lengths}: {}", a.body);
        assert_eq!(a.header("connection"), Some("close"));
        assert!(a.body.contains("SerializationException"), "{}", a.body);
        assert!(a.body.contains("Transfer-Encoding"), "{}", a.body);
        assert!(closed_within(&mut s, Duration::from_secs(5))
            .await
            .is_some());
    }
    // Either header alone is fine, on one keep-alive connection.
    let mut s = TcpStream::connect(&addr).await.unwrap();
    for framing in [
        format!("Transfer-Encoding: chunked\r\n\r\n{chunked}"),
        "Content-Length: 2\r\n\r\n{}".to_owned(),
    ] {
        s.write_all(format!("{common}{framing}").as_bytes())
            .await
            .unwrap();
        let a = read_answer(&mut s).await;
        assert_eq!(a.status, 200, "{framing}: {}", a.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_body_gets_413_with_connection_close() {
    let addr = start(HttpLimits::default()).await;
    let mut s = TcpStream::connect(&addr).await.unwrap();
    let length = expressway::api::MAX_BODY_BYTES + 1;
    let head = format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: AWSStepFunctions.ListStateMachines\r\n\
         Content-Type: application/x-amz-json-1.0\r\nContent-Length: {length}\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    // The server reads up to the limit, answers and closes.
    let _ = s.write_all(&vec![b' '; length]).await;
    let a = read_answer(&mut s).await;
    assert_eq!(a.status, 413, "{}", a.body);
    assert_eq!(a.header("connection"), Some("close"));
    assert!(
        a.body.contains("RequestEntityTooLargeException"),
        "{}",
        a.body
    );
    assert!(closed_within(&mut s, Duration::from_secs(5))
        .await
        .is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shutdown_answers_the_request_in_flight_and_closes_the_others() {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    // Header timeout 2 s: only the shutdown can close the idle connection
    // within 500 ms.
    let (addr, served) = start_stoppable(limits(2_000, 60_000, 100), async {
        let _ = stopped.await;
    })
    .await;
    // An idle keep-alive connection, one whose execution runs (1 s), one
    // whose request head never ends.
    let mut idle = TcpStream::connect(&addr).await.unwrap();
    idle.write_all(request("ListStateMachines", "{}").as_bytes())
        .await
        .unwrap();
    assert_eq!(read_answer(&mut idle).await.status, 200);
    let mut busy = TcpStream::connect(&addr).await.unwrap();
    let arn = "arn:aws:states:us-east-1:123456789012:stateMachine:wait";
    busy.write_all(
        request(
            "StartSyncExecution",
            &format!(r#"{{"stateMachineArn":"{arn}"}}"#),
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let mut slow = TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"POST / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let stopping = Instant::now();
    stop.send(()).unwrap();
    // The idle one closes at once, the slow head by its header timeout.
    assert!(closed_within(&mut idle, Duration::from_millis(500))
        .await
        .is_some());
    assert!(closed_within(&mut slow, Duration::from_secs(3))
        .await
        .is_some());
    // The running one is answered, then the accept loop returns.
    let a = read_answer(&mut busy).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body.contains("SUCCEEDED"), "{}", a.body);
    tokio::time::timeout(Duration::from_secs(5), served)
        .await
        .expect("the accept loop returns once every connection closed")
        .unwrap()
        .unwrap();
    assert!(stopping.elapsed() < Duration::from_secs(5));
}
