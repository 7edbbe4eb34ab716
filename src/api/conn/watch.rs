//! What the connection layer watches on each connection: when a byte last
//! moved, when the server began waiting for a request head, and how many
//! requests are being handled ([`Activity`], for the idle and header-read
//! timeouts), and whether a request head carried both `Content-Length` and
//! `Transfer-Encoding` ([`HeadScan`], which hyper does not tell: it drops
//! the `Content-Length` and frames by `Transfer-Encoding`, RFC 9112 §6.3).

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

/// The activity of one connection, shared by its I/O ([`Watched`]), its
/// request handler and its timer (one task: relaxed atomics suffice).
#[derive(Debug)]
pub(super) struct Activity {
    /// When the connection was accepted.
    start: Instant,
    /// When a byte was last read or written, in ms since `start`.
    last_io_ms: AtomicU64,
    /// When the server began waiting for the next request head, in ms
    /// since `start`: the connection's start, then each response's last
    /// byte written (or its handler's end, if later).
    head_from_ms: AtomicU64,
    /// Requests being handled (head read, response not yet produced).
    in_flight: AtomicUsize,
    /// A request head on this connection carried both length headers.
    both_lengths: AtomicBool,
}

impl Activity {
    pub(super) fn new() -> Self {
        Activity {
            start: Instant::now(),
            last_io_ms: AtomicU64::new(0),
            head_from_ms: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            both_lengths: AtomicBool::new(false),
        }
    }

    /// A byte moved now; the time, in ms since `start`.
    fn touch(&self) -> u64 {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_io_ms.store(ms, Ordering::Relaxed);
        ms
    }

    /// A byte was written now (a response's, or `100 Continue`): the next
    /// request head is waited for from now on.
    fn wrote(&self) {
        let ms = self.touch();
        self.head_from_ms.store(ms, Ordering::Relaxed);
    }

    /// A request is being handled until the guard drops.
    pub(super) fn begin(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(Arc::clone(self))
    }

    /// When the connection is to be closed, with no request being handled:
    /// `idle` after the last byte moved, or `header_read` after the server
    /// began waiting for a request head (the connection's start, the last
    /// response), whichever comes first; `None` while a request is being
    /// handled.
    pub(super) fn deadline(&self, idle: Duration, header_read: Duration) -> Option<Instant> {
        if self.in_flight.load(Ordering::Relaxed) > 0 {
            return None;
        }
        let last = Duration::from_millis(self.last_io_ms.load(Ordering::Relaxed));
        let head_from = Duration::from_millis(self.head_from_ms.load(Ordering::Relaxed));
        let after = last
            .saturating_add(idle)
            .min(head_from.saturating_add(header_read));
        Some(later(self.start, after))
    }

    /// Whether a request head read on this connection carried both
    /// `Content-Length` and `Transfer-Encoding`.
    pub(super) fn saw_both_lengths(&self) -> bool {
        self.both_lengths.load(Ordering::Relaxed)
    }
}

/// `d` after `base`; for a `d` past what the clock can hold (a limit set
/// to many years), 30 years after `base`, as tokio takes a far deadline.
pub(super) fn later(base: Instant, d: Duration) -> Instant {
    const FAR: Duration = Duration::from_secs(30 * 365 * 86_400);
    base.checked_add(d).unwrap_or(base + FAR)
}

/// A request being handled ([`Activity::begin`]).
#[derive(Debug)]
pub(super) struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.0.wrote();
    }
}

/// A connection's I/O, reporting to its [`Activity`].
#[derive(Debug)]
pub(super) struct Watched<S> {
    inner: S,
    activity: Arc<Activity>,
    scan: HeadScan,
}

impl<S> Watched<S> {
    pub(super) fn new(inner: S, activity: Arc<Activity>) -> Self {
        activity.touch();
        Watched {
            inner,
            activity,
            scan: HeadScan::default(),
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        let read = &buf.filled()[before..];
        if matches!(polled, Poll::Ready(Ok(()))) && !read.is_empty() {
            this.activity.touch();
            if this.scan.feed(read) {
                this.activity.both_lengths.store(true, Ordering::Relaxed);
            }
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.wrote();
        }
        polled
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.wrote();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// The header names looked for, lower case.
const CONTENT_LENGTH: &[u8] = b"content-length";
const TRANSFER_ENCODING: &[u8] = b"transfer-encoding";

/// The most bytes of a line's start a [`HeadScan`] looks at: the longer
/// name (`transfer-encoding`) and its colon.
const PREFIX: usize = TRANSFER_ENCODING.len() + 1;

/// Finds header blocks (lines up to an empty line) that name both
/// `Content-Length` and `Transfer-Encoding`, over the bytes of a connection
/// as they are read, whatever the read boundaries.
///
/// It goes from line end to line end (`memchr`) and looks only at the
/// start of each line: a header line names `Content-Length` or
/// `Transfer-Encoding` when it starts with the name (any case) and a
/// colon. It reads every byte, bodies included: a body line can look like
/// a `Content-Length:` or `Transfer-Encoding:` line only if the body is no
/// JSON (a JSON line starts with a letter only in `true`, `false`, `null`)
/// or names them in a chunked body's trailer section; a request carrying
/// such a body is refused all the same.
#[derive(Debug, Default, Clone)]
pub(super) struct HeadScan {
    /// The start of a line begun in an earlier read (at most [`PREFIX`]
    /// bytes of it) …
    start: [u8; PREFIX],
    start_len: usize,
    /// … whether there is one …
    partial: bool,
    /// … and whether it held nothing but `\r` so far (an empty line).
    partial_blank: bool,
    content_length: bool,
    transfer_encoding: bool,
}

impl HeadScan {
    /// Reads `bytes`; true when a block that ended in them named both headers.
    pub(super) fn feed(&mut self, bytes: &[u8]) -> bool {
        let mut both = false;
        let mut from = 0;
        for end in memchr::memchr_iter(b'\n', bytes) {
            let line = &bytes[from..end];
            from = end + 1;
            if self.partial {
                self.partial = false;
                let mut start = self.start;
                let take = line.len().min(PREFIX - self.start_len);
                start[self.start_len..self.start_len + take].copy_from_slice(&line[..take]);
                let blank = self.partial_blank && is_blank(line);
                both |= self.line(&start[..self.start_len + take], blank);
            } else {
                both |= self.line(line, is_blank(line));
            }
        }
        if from < bytes.len() {
            let rest = &bytes[from..];
            if !self.partial {
                self.partial = true;
                self.partial_blank = true;
                self.start_len = 0;
            }
            let take = rest.len().min(PREFIX - self.start_len);
            self.start[self.start_len..self.start_len + take].copy_from_slice(&rest[..take]);
            self.start_len += take;
            self.partial_blank &= is_blank(rest);
        }
        both
    }

    /// One line (without its `\n`), given its start (at least [`PREFIX`]
    /// bytes of it when it has them) and whether it is empty (nothing but
    /// `\r`); true when it ends a block that named both headers.
    #[inline]
    fn line(&mut self, start: &[u8], blank: bool) -> bool {
        if blank {
            let both = self.content_length && self.transfer_encoding;
            self.content_length = false;
            self.transfer_encoding = false;
            return both;
        }
        match start.first() {
            Some(b'c' | b'C') => self.content_length |= names(start, CONTENT_LENGTH),
            Some(b't' | b'T') => self.transfer_encoding |= names(start, TRANSFER_ENCODING),
            _ => {}
        }
        false
    }
}

/// Whether `line` holds nothing but `\r` (stops at the first other byte).
#[inline]
fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|&b| b == b'\r')
}

/// Whether a line starting with `start` is a header line named `name`
/// (lower case): the name in any case, then a colon.
#[inline]
fn names(start: &[u8], name: &[u8]) -> bool {
    start.get(name.len()) == Some(&b':') && start[..name.len()].eq_ignore_ascii_case(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The byte-at-a-time scan [`HeadScan`] replaced (session 11), kept as
    /// the property test's reference.
    /// The longest header name looked for (`transfer-encoding`).
    const NAME_MAX: usize = TRANSFER_ENCODING.len();

    /// Where a [`HeadScan`] is in the current line.
    #[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
    enum Line {
        /// Nothing read on this line yet.
        #[default]
        Start,
        /// Reading what may be a header name.
        Name,
        /// Past the name (or not a header line): skipping to the end of the line.
        Rest,
    }

    /// Finds header blocks (lines up to an empty line) that name both
    /// `Content-Length` and `Transfer-Encoding`, over the bytes of a connection
    /// as they are read, whatever the read boundaries.
    ///
    /// It scans every byte, bodies included: a body line can look like a
    /// `Content-Length:` or `Transfer-Encoding:` line only if the body is no
    /// JSON (a JSON line starts with a letter only in `true`, `false`, `null`)
    /// or names them in a chunked body's trailer section; a request carrying
    /// such a body is refused all the same.
    #[derive(Debug, Default, Clone)]
    struct Reference {
        name: [u8; NAME_MAX],
        len: usize,
        line: Line,
        content_length: bool,
        transfer_encoding: bool,
    }

    impl Reference {
        /// Reads `bytes`; true when a block that ended in them named both headers.
        fn feed(&mut self, bytes: &[u8]) -> bool {
            let mut both = false;
            let mut i = 0;
            while i < bytes.len() {
                if self.line == Line::Rest {
                    // Nothing but a line end matters past a name: jump to it (a
                    // JSON body is one long line).
                    match memchr::memchr(b'\n', &bytes[i..]) {
                        Some(k) => i += k,
                        None => break,
                    }
                }
                let b = bytes[i];
                i += 1;
                match b {
                    b'\r' => {}
                    b'\n' => {
                        if self.line == Line::Start {
                            both |= self.content_length && self.transfer_encoding;
                            self.content_length = false;
                            self.transfer_encoding = false;
                        }
                        self.line = Line::Start;
                        self.len = 0;
                    }
                    b':' if self.line == Line::Name => {
                        match &self.name[..self.len] {
                            CONTENT_LENGTH => self.content_length = true,
                            TRANSFER_ENCODING => self.transfer_encoding = true,
                            _ => {}
                        }
                        self.line = Line::Rest;
                    }
                    // A name that can no longer be either is skipped at once
                    // (most lines of a head: `host`, `x-amz-target`…).
                    _ if self.line != Line::Rest
                        && [CONTENT_LENGTH, TRANSFER_ENCODING]
                            .iter()
                            .any(|n| n.get(self.len) == Some(&b.to_ascii_lowercase())) =>
                    {
                        self.name[self.len] = b.to_ascii_lowercase();
                        self.len += 1;
                        self.line = Line::Name;
                    }
                    _ => self.line = Line::Rest,
                }
            }
            both
        }
    }

    /// Lines of heads and bodies, some naming the headers, some nearly.
    const LINES: [&str; 16] = [
        "POST / HTTP/1.1",
        "Host: x",
        "Content-Length: 4",
        "content-LENGTH:4",
        "TRANSFER-ENCODING: chunked",
        "transfer-encoding: chunked",
        "Content-Type: application/x-amz-json-1.0",
        "Transfer-Encodings: x",
        "X-Content-Length: 1",
        "Content-Lengt: 1",
        "transfer-encoding chunked",
        "",
        "\r",
        "{\"a\":1}",
        "0",
        "content-length",
    ];

    proptest! {
        /// Over any lines, line ends and read boundaries, the scan flags
        /// the same reads as the byte-at-a-time one.
        #[test]
        fn the_scan_flags_what_the_byte_scan_flags(
            lines in prop::collection::vec((0..LINES.len(), any::<bool>()), 0..24),
            cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
        ) {
            let mut text = Vec::new();
            for (i, crlf) in lines {
                text.extend_from_slice(LINES[i].as_bytes());
                text.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
            }
            let mut cuts: Vec<usize> = cuts.iter().map(|c| c.index(text.len() + 1)).collect();
            cuts.sort_unstable();
            let (mut new, mut old) = (HeadScan::default(), Reference::default());
            let mut from = 0;
            for c in cuts.into_iter().chain([text.len()]) {
                let read = &text[from..c];
                from = c;
                prop_assert_eq!(new.feed(read), old.feed(read), "{:?}", String::from_utf8_lossy(&text));
            }
        }
    }

    fn scan(parts: &[&str]) -> bool {
        let mut s = HeadScan::default();
        let mut seen = false;
        for p in parts {
            seen |= s.feed(p.as_bytes());
        }
        seen
    }

    #[test]
    fn both_length_headers_in_one_head_are_found_across_reads() {
        let head = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
        assert!(scan(&[head]));
        for cut in 0..head.len() {
            assert!(scan(&[&head[..cut], &head[cut..]]), "cut at {cut}");
        }
        let te_first = "POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\nCONTENT-LENGTH: 4\r\n\r\n";
        assert!(scan(&[te_first]));
        // Names sharing a prefix with the two are read past it.
        let with_type = "POST / HTTP/1.1\r\nContent-Type: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n";
        assert!(scan(&[with_type]));
        let longer = "POST / HTTP/1.1\r\nContent-Lengths: 4\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert!(!scan(&[longer]));
    }

    #[tokio::test]
    async fn huge_limits_give_a_far_deadline_not_a_panic() {
        let activity = Activity::new();
        let deadline = activity.deadline(Duration::MAX, Duration::MAX);
        assert!(deadline.is_some_and(|d| d > Instant::now() + Duration::from_secs(86_400)));
        let _ = later(Instant::now(), Duration::MAX);
    }

    #[test]
    fn one_length_header_per_head_is_not_flagged() {
        let cl = "POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}";
        let te = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n";
        // Pipelined: a chunked request, then one with a length.
        assert!(!scan(&[cl, te, cl, te]));
        assert!(!scan(&[
            "GET /content-length:x HTTP/1.1\r\nX-Transfer-Encoding: y\r\nContent-Length: 0\r\n\r\n"
        ]));
    }
}
