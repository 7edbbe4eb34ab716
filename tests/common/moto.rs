//! moto's server (`pip install 'moto[server]'`), started on a free loopback
//! port for one test file and stopped when dropped.
//!
//! The AWS tests fail, rather than skip, when moto is not installed: CI
//! (`.ci/run`) installs it.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running moto server.
pub struct Moto {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    child: Child,
}

impl Moto {
    /// Starts `python3 -m moto.server` on a free port and waits (up to 30 s)
    /// until it answers.
    ///
    /// Panics when moto is not installed or does not come up.
    pub fn start() -> Moto {
        Self::start_with(&[])
    }

    /// [`Moto::start`] with extra environment variables for the server
    /// (e.g. `MOTO_SIMPLE_BATCH_FAIL_AFTER`).
    #[allow(dead_code)]
    pub fn start_with(env: &[(&str, &str)]) -> Moto {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        let child = Command::new(&python)
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file())
            .envs(env.iter().copied())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start `{python} -m moto.server`: {e}"));
        let mut moto = Moto {
            endpoint: format!("http://127.0.0.1:{port}"),
            child,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !moto.answers(port) {
            if let Ok(Some(status)) = moto.child.try_wait() {
                panic!("moto's server exited with {status}: install it with pip install 'moto[server]'");
            }
            assert!(
                Instant::now() < deadline,
                "moto's server did not answer in 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    /// Whether the server answers an HTTP request on `port`.
    fn answers(&self, port: u16) -> bool {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
        if s.write_all(b"GET /moto-api/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .is_err()
        {
            return false;
        }
        let mut buf = [0u8; 12];
        matches!(s.read(&mut buf), Ok(n) if n >= 12 && buf.starts_with(b"HTTP/1."))
    }

    /// Environment for a child process (or an SDK) to reach this server for
    /// every service: endpoint, dummy credentials, region `us-east-1`.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_DEFAULT_REGION", "us-east-1".into()),
        ]
    }

    /// Runs a Python snippet against this server (boto3, json and
    /// urllib.request imported; `$PYTHON` or `python3`); its trimmed
    /// standard output. Panics with Python's standard error if it fails.
    pub fn python(&self, script: &str) -> String {
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        let out = Command::new(python)
            .args([
                "-c",
                &format!("import boto3, json, urllib.request\n{script}"),
            ])
            .envs(self.env())
            .output()
            .expect("python3 runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}

/// moto's log: appended to the file `MOTO_LOG` names, if set (to debug a
/// test), else discarded.
fn log_file() -> Stdio {
    std::env::var_os("MOTO_LOG")
        .and_then(|p| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .ok()
        })
        .map_or_else(Stdio::null, Stdio::from)
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
