//! Command-line paths a newcomer takes: `consume file --report -`, the mock
//! file `serve` and `run --test-case` use (and say they use), and the hint
//! for `consume sqs|kinesis` in a binary built without the `aws` feature.

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
#[test]
fn serve_logs_its_mock_file() {
    let dir = temp_dir("serve");
    let mock = dir.join("mock.json");
    std::fs::write(&mock, r#"{"StateMachines":{},"MockedResponses":{}}"#).expect("mock");
    let mut child = Command::new(BIN)
        .current_dir(&dir)
        .args(["serve", "--port", "0", "--shards", "0", "--definitions"])
        .arg(&dir)
        .arg("--mock-config")
        .arg(&mock)
        .env_remove("SFN_MOCK_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => {
                let listening = line.contains("listening on");
                seen.push(line);
                if listening {
                    break;
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(_) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let want = format!("expressway: mock config file {}", mock.display());
    assert!(seen.contains(&want), "{seen:?}");
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
