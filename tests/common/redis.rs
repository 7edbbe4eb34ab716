//! A real `redis-server` on a free loopback port for the cluster tests
//! (the harness of `tests/cluster.rs`), killed when dropped.
//!
//! Without `redis-server` on PATH a test skips with a message, unless `CI`
//! is set: then it fails (`.ci/run` installs Debian's `redis-server`).

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Whether `redis-server` can run here; panics under CI when it cannot.
pub fn redis_available() -> bool {
    let found = Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "redis-server is not installed (CI is set): apt-get install redis-server"
        );
        eprintln!("SKIPPED: redis-server is not installed (apt-get install redis-server)");
    }
    found
}

/// A free loopback port, never the same twice in this process.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let base = 20_000 + (std::process::id() % 20_000) as u16;
    loop {
        let port = base.wrapping_add(NEXT.fetch_add(1, Ordering::Relaxed));
        if port > 1024 && TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// A running `redis-server` (no persistence), its files in `dir`.
pub struct Redis {
    /// Its port on 127.0.0.1.
    pub port: u16,
    child: Child,
}

impl Redis {
    /// Starts `redis-server` on a free port and waits (up to 30 s) until it
    /// listens.
    pub fn start(dir: &Path) -> Redis {
        let port = free_port();
        let mut child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(PathBuf::from(dir))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("redis-server exited with {status}");
            }
            assert!(
                Instant::now() < deadline,
                "redis-server did not listen in 30 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Redis { port, child }
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// `redis-cli` against this server: its standard output, trimmed.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = Command::new("redis-cli")
            .args(["-p", &self.port.to_string()])
            .args(args)
            .output()
            .expect("redis-cli runs");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
