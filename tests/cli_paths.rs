//! Command-line paths a newcomer takes: `consume file --report -`, the mock
//! file `serve` and `run --test-case` use (and say they use), and the hint
//! for `consume sqs|kinesis` in a binary built without the `aws` feature, and
//! the start-up warnings every command logs.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_expressway");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("expressway-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// `--report -` writes the report to standard output and creates no file
/// named `-`.
#[test]
fn report_dash_is_standard_output() {
    let dir = temp_dir("report");
    let events = dir.join("events.jsonl");
    std::fs::write(&events, "{\"n\":1}\n{\"n\":2}\n").expect("events");
    let definition = dir.join("echo.asl.json");
    std::fs::write(
        &definition,
        r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#,
    )
    .expect("definition");
    let out = Command::new(BIN)
        .current_dir(&dir)
        .args(["consume", "file"])
        .arg(&events)
        .arg("--definition")
        .arg(&definition)
        .args(["--report", "-"])
        .env_remove("SFN_MOCK_CONFIG")
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert!(stdout.contains("SUCCEEDED"), "{stdout}");
    assert!(!dir.join("-").exists(), "a file named '-' was created");
    std::fs::remove_dir_all(&dir).ok();
}

/// `run --test-case` with the example's definition uses the mock file beside
/// it (as `serve` does for the bundled example) and says so on stderr.
#[test]
fn run_test_case_loads_the_examples_mock_file() {
    let example = Path::new(ROOT).join("examples/payment");
    let dir = temp_dir("run");
    let out = Command::new(BIN)
        .current_dir(&dir)
        .arg("run")
        .arg(example.join("payment.asl.json"))
        .arg("--input")
        .arg(example.join("input-happy.json"))
        .args(["--test-case", "HappyPath"])
        .env_remove("SFN_MOCK_CONFIG")
        .stdin(Stdio::null())
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stdout.contains("no mock config"), "{stdout}");
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let mock = example.join("MockConfigFile.json");
    assert!(
        stderr.contains(&format!("mock config file {}", mock.display())),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// `serve` logs which mock file it loaded.
/// Starts `serve` on a free port with `args` in `dir` (environment changes
/// from `env`: `Some` sets, `None` removes), and returns its standard error
/// lines up to "listening on" and for half a second after.
fn serve_stderr(dir: &Path, args: &[&OsStr], env: &[(&str, Option<&str>)]) -> Vec<String> {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .args(["serve", "--port", "0", "--shards", "0"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let mut child = cmd.spawn().expect("serve");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut deadline = Instant::now() + Duration::from_secs(30);
    let mut listening = false;
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(line) => {
                if !listening && line.contains("listening on") {
                    listening = true;
                    deadline = Instant::now() + Duration::from_millis(500);
                }
                seen.push(line);
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(_) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(listening, "serve did not listen: {seen:?}");
    seen
}

#[test]
fn serve_logs_its_mock_file() {
    let dir = temp_dir("serve");
    let mock = dir.join("mock.json");
    std::fs::write(&mock, r#"{"StateMachines":{},"MockedResponses":{}}"#).expect("mock");
    let seen = serve_stderr(
        &dir,
        &[
            OsStr::new("--definitions"),
            dir.as_os_str(),
            OsStr::new("--mock-config"),
            mock.as_os_str(),
        ],
        &[("SFN_MOCK_CONFIG", None)],
    );
    let want = format!("expressway: mock config file {}", mock.display());
    assert!(seen.contains(&want), "{seen:?}");
    std::fs::remove_dir_all(&dir).ok();
}

/// `serve` installs the logger: a Task that would call a public AWS endpoint
/// is a WARN line at start-up (the `tracing` event, not only the resolver
/// line), and `RUST_LOG=error` silences it.
#[test]
fn serve_warns_of_a_task_calling_public_aws() {
    let dir = temp_dir("serve-public");
    let defs = dir.join("defs");
    std::fs::create_dir_all(&defs).expect("defs");
    std::fs::write(
        defs.join("buckets.asl.json"),
        r#"{"StartAt":"ListBuckets","States":{"ListBuckets":{"Type":"Task",
            "Resource":"arn:aws:states:::aws-sdk:s3:listBuckets","End":true}}}"#,
    )
    .expect("definition");
    let args = [OsStr::new("--definitions"), defs.as_os_str()];
    let mut env = vec![
        ("AWS_ENDPOINT_URL", None),
        ("AWS_ENDPOINT_URL_S3", None),
        ("SFN_MOCK_CONFIG", None),
        ("RUST_LOG", None),
    ];
    let warned = |seen: &[String]| {
        seen.iter()
            .any(|l| l.contains("WARN") && l.contains("buckets: ListBuckets"))
    };
    let seen = serve_stderr(&dir, &args, &env);
    assert!(warned(&seen), "{seen:?}");
    env[3] = ("RUST_LOG", Some("error"));
    let seen = serve_stderr(&dir, &args, &env);
    assert!(!warned(&seen), "{seen:?}");
    std::fs::remove_dir_all(&dir).ok();
}

/// Without the `aws` feature, `consume sqs|kinesis` gets a hint naming the
/// feature (clap alone says "unrecognized subcommand").
#[test]
fn consumers_of_the_aws_feature_get_a_hint() {
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let hint = expressway::sources::feature_hint(&args(&["expressway", "consume", "sqs"]), false)
        .expect("hint");
    assert!(hint.contains("--features aws"), "{hint}");
    assert!(hint.contains("consume sqs"), "{hint}");
    assert!(expressway::sources::feature_hint(
        &args(&["expressway", "consume", "kinesis", "--stream-name", "s"]),
        false
    )
    .is_some());
    assert!(
        expressway::sources::feature_hint(&args(&["expressway", "consume", "sqs"]), true).is_none()
    );
    assert!(expressway::sources::feature_hint(
        &args(&["expressway", "consume", "file", "x"]),
        false
    )
    .is_none());
    assert!(expressway::sources::feature_hint(&args(&["expressway", "serve"]), false).is_none());
    // The binary under test: without the feature, the hint follows clap's error.
    if !cfg!(feature = "aws") {
        let out = Command::new(BIN)
            .args(["consume", "sqs", "--queue-url", "x"])
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("--features aws"), "{stderr}");
    }
}
