//! Helpers for the SQS and Kinesis consumer tests: SDK clients on moto, the
//! consumer binary, its report and summary.
#![cfg(feature = "aws")]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::moto::Moto;

/// The consumer binary.
pub const BIN: &str = env!("CARGO_BIN_EXE_expressway");

/// A runtime and SDK clients on a moto server.
pub struct Aws {
    /// Runs the SDK calls.
    pub rt: tokio::runtime::Runtime,
    /// SQS.
    pub sqs: aws_sdk_sqs::Client,
    /// Kinesis.
    pub kinesis: aws_sdk_kinesis::Client,
}

impl Aws {
    /// Clients for `moto`.
    pub fn new(moto: &Moto) -> Aws {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let config = rt.block_on(
            aws_config::defaults(aws_config::BehaviorVersion::latest())
                .endpoint_url(&moto.endpoint)
                .region(aws_config::Region::new("us-east-1"))
                .credentials_provider(aws_sdk_sqs::config::Credentials::new(
                    "testing", "testing", None, None, "test",
                ))
                .load(),
        );
        Aws {
            sqs: aws_sdk_sqs::Client::new(&config),
            kinesis: aws_sdk_kinesis::Client::new(&config),
            rt,
        }
    }

    /// An SQS queue's numeric attribute (e.g. `ApproximateNumberOfMessages`).
    pub fn queue_count(&self, url: &str, name: aws_sdk_sqs::types::QueueAttributeName) -> u64 {
        let out = self
            .rt
            .block_on(
                self.sqs
                    .get_queue_attributes()
                    .queue_url(url)
                    .attribute_names(name.clone())
                    .send(),
            )
            .expect("GetQueueAttributes");
        out.attributes
            .and_then(|a| a.get(&name).and_then(|v| v.parse().ok()))
            .expect("attribute")
    }
}

/// A fresh temporary folder.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("expressway-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// `expressway consume <args>` with moto's environment.
pub fn consumer(moto: &Moto, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg("consume")
        .args(args)
        .envs(moto.env())
        .env_remove("SFN_MOCK_CONFIG")
        .env_remove("EXPRESSWAY_CLUSTER_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// A path as a flag value.
pub fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

/// The JSON lines of a report file (none when it does not exist).
pub fn report(file: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("report line is JSON"))
        .collect()
}

/// Waits up to `secs` for `done`, failing if `child` exits first.
pub fn wait_until(child: &mut Child, secs: u64, what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    let stderr = |child: &mut Child| {
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut err);
        }
        err
    };
    while !done() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "consumer exited early ({status}) waiting for {what}: {}",
                stderr(child)
            );
        }
        if start.elapsed() > Duration::from_secs(secs) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("timed out waiting for {what}: {}", stderr(child));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// SIGTERM, then the exit status and the summary (the last line on stderr).
pub fn terminate(child: Child) -> (Output, serde_json::Value) {
    let term = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .expect("kill -TERM");
    assert!(term.success());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let last = stderr.lines().last().unwrap_or_default();
    let summary =
        serde_json::from_str(last).unwrap_or_else(|_| panic!("summary on stderr: {stderr}"));
    (out, summary)
}
