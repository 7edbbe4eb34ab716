//! `expressway consume file`: at-least-once across a SIGKILL, graceful stop
//! on SIGTERM, dead letters, SQS batches.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_expressway");

/// Choice on `$.bad`: lines with `"bad": true` fail with `Bad`, the others
/// wait 0 s and pass.
const DEFINITION: &str = r#"{
  "StartAt": "Check",
  "States": {
    "Check": {"Type": "Choice",
      "Choices": [{"Variable": "$.bad", "BooleanEquals": true, "Next": "Bad"}],
      "Default": "Wait"},
    "Wait": {"Type": "Wait", "Seconds": 0, "Next": "Done"},
    "Done": {"Type": "Pass", "End": true},
    "Bad": {"Type": "Fail", "Error": "Bad", "Cause": "the line is bad"}
  }
}"#;

fn temp_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("expressway-consume-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn is_bad(n: u64) -> bool {
    n % 7 == 0
}

/// `lines` lines `{"n": i, "bad": i % 7 == 0}` and the definition.
fn setup(dir: &Path, lines: u64) -> (PathBuf, PathBuf) {
    let events = dir.join("events.jsonl");
    let text: String = (1..=lines)
        .map(|n| format!("{{\"n\":{n},\"bad\":{}}}\n", is_bad(n)))
        .collect();
    std::fs::write(&events, text).expect("events");
    let definition = dir.join("check.asl.json");
    std::fs::write(&definition, DEFINITION).expect("definition");
    (events, definition)
}

fn consume(events: &Path, definition: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg("consume")
        .arg("file")
        .arg(events)
        .arg("--definition")
        .arg(definition)
        .args(extra)
        .env_remove("SFN_MOCK_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

/// `line → statuses` over every report file.
fn reports(files: &[&Path]) -> BTreeMap<u64, Vec<String>> {
    let mut seen: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("report line is JSON");
            let n = v["line"].as_u64().expect("line number");
            let status = v["status"].as_str().expect("status").to_owned();
            seen.entry(n).or_default().push(status);
        }
    }
    seen
}

fn checkpoint(file: &Path) -> u64 {
    std::fs::read_to_string(file)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v["through"].as_u64())
        .unwrap_or(0)
}

fn summary(output: &Output) -> serde_json::Value {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|_| panic!("summary on stderr: {stderr}"))
}

/// Waits until the checkpoint passes `at_least`, or panics after 60 s.
fn wait_for_checkpoint(child: &mut Child, file: &Path, at_least: u64) -> u64 {
    let start = Instant::now();
    loop {
        let through = checkpoint(file);
        if through >= at_least {
            return through;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("consumer exited early: {status}");
        }
        assert!(start.elapsed() < Duration::from_secs(60), "no progress");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn check_statuses(seen: &BTreeMap<u64, Vec<String>>) {
    for (n, statuses) in seen {
        let want = if is_bad(*n) { "FAILED" } else { "SUCCEEDED" };
        assert!(statuses.iter().all(|s| s == want), "line {n}: {statuses:?}");
    }
}

#[test]
fn sigkill_then_restart_loses_no_line() {
    const LINES: u64 = 2_000;
    let dir = temp_dir("kill");
    let (events, definition) = setup(&dir, LINES);
    let (ck, r1, r2) = (
        dir.join("ck.json"),
        dir.join("r1.jsonl"),
        dir.join("r2.jsonl"),
    );
    // 400 starts/s: the first run would take ~5 s; it is killed well before.
    let mut first = consume(
        &events,
        &definition,
        &[
            "--concurrency",
            "16",
            "--checkpoint",
            path(&ck),
            "--checkpoint-interval-ms",
            "250",
            "--report",
            path(&r1),
            "--admission-rate",
            "400",
            "--admission-burst",
            "10",
        ],
    )
    .spawn()
    .expect("spawn");
    wait_for_checkpoint(&mut first, &ck, 300);
    // Between two checkpoint writes: lines finished since the last one
    // (some already in the report) run again after the restart.
    std::thread::sleep(Duration::from_millis(150));
    first.kill().expect("SIGKILL");
    let _ = first.wait();
    let at_kill = checkpoint(&ck);
    assert!(
        at_kill < LINES,
        "killed after the end: checkpoint {at_kill}"
    );
    let first_lines = reports(&[&r1]);
    // Everything up to the checkpoint was reported before it was written.
    assert!((1..=at_kill).all(|n| first_lines.contains_key(&n)));

    let second = consume(
        &events,
        &definition,
        &[
            "--concurrency",
            "16",
            "--checkpoint",
            path(&ck),
            "--report",
            path(&r2),
        ],
    )
    .output()
    .expect("restart");
    assert!(second.status.success(), "{second:?}");
    let s = summary(&second);
    assert_eq!(s["skipped"], at_kill);
    assert_eq!(s["checkpoint"], LINES);
    assert_eq!(checkpoint(&ck), LINES);

    let seen = reports(&[&r1, &r2]);
    let missing: Vec<u64> = (1..=LINES).filter(|n| !seen.contains_key(n)).collect();
    assert!(missing.is_empty(), "lost lines: {missing:?}");
    assert_eq!(seen.len() as u64, LINES);
    check_statuses(&seen);
    let total: usize = seen.values().map(Vec::len).sum();
    let duplicates = total as u64 - LINES;
    // Only lines after the checkpoint can run twice: those in flight or
    // finished after the last checkpoint write.
    let reported_first = first_lines.len() as u64;
    assert!(
        duplicates <= reported_first - at_kill,
        "{duplicates} duplicates"
    );
    assert!(seen
        .iter()
        .filter(|(_, s)| s.len() > 1)
        .all(|(n, _)| *n > at_kill));
    eprintln!(
        "kill test: {LINES} lines, checkpoint at kill {at_kill}, first run reported \
         {reported_first}, restart skipped {}, union {} distinct lines, {duplicates} duplicates",
        s["skipped"],
        seen.len()
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn sigterm_finishes_in_flight_and_checkpoints_exactly() {
    const LINES: u64 = 2_000;
    let dir = temp_dir("term");
    let (events, definition) = setup(&dir, LINES);
    let (ck, r1, r2) = (
        dir.join("ck.json"),
        dir.join("r1.jsonl"),
        dir.join("r2.jsonl"),
    );
    let mut first = consume(
        &events,
        &definition,
        &[
            "--checkpoint",
            path(&ck),
            "--report",
            path(&r1),
            "--admission-rate",
            "400",
            "--admission-burst",
            "10",
        ],
    )
    .spawn()
    .expect("spawn");
    wait_for_checkpoint(&mut first, &ck, 200);
    let term = Command::new("kill")
        .arg("-TERM")
        .arg(first.id().to_string())
        .status()
        .expect("kill -TERM");
    assert!(term.success());
    let out = first.wait_with_output().expect("wait");
    assert!(out.status.success(), "graceful stop exits 0: {out:?}");
    let s = summary(&out);
    assert_eq!(s["stopped"], true);
    let at_stop = checkpoint(&ck);
    assert!(at_stop < LINES);
    let first_lines = reports(&[&r1]);
    // Nothing in flight was abandoned: the report is exactly 1..=checkpoint.
    assert_eq!(first_lines.len() as u64, at_stop);
    assert_eq!(first_lines.keys().last().copied(), Some(at_stop));

    let second = consume(
        &events,
        &definition,
        &["--checkpoint", path(&ck), "--report", path(&r2)],
    )
    .output()
    .expect("restart");
    assert!(second.status.success());
    let seen = reports(&[&r1, &r2]);
    assert_eq!(seen.len() as u64, LINES);
    assert!(
        seen.values().all(|s| s.len() == 1),
        "no duplicates after a graceful stop"
    );
    check_statuses(&seen);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn failed_lines_go_to_the_dead_letter_file() {
    let dir = temp_dir("dead");
    let (events, definition) = setup(&dir, 30);
    let mut text = std::fs::read_to_string(&events).expect("events");
    text.push_str("\nnot json\n");
    std::fs::write(&events, &text).expect("events");
    let (dl, report) = (dir.join("dead.jsonl"), dir.join("report.jsonl"));
    let out = consume(
        &events,
        &definition,
        &[
            "--dead-letter",
            path(&dl),
            "--report",
            path(&report),
            "--concurrency",
            "4",
        ],
    )
    .output()
    .expect("run");
    assert!(out.status.success());
    let s = summary(&out);
    assert_eq!(s["processed"], 31);
    assert_eq!(s["failed"], 5); // 7, 14, 21, 28 and the line that is not JSON
    assert_eq!(s["succeeded"], 26);
    let mut dead: Vec<String> = std::fs::read_to_string(&dl)
        .expect("dead letters")
        .lines()
        .map(str::to_owned)
        .collect();
    dead.sort();
    let mut want: Vec<String> = (1..=30u64)
        .filter(|n| is_bad(*n))
        .map(|n| format!("{{\"n\":{n},\"bad\":true}}"))
        .collect();
    want.push("not json".into());
    want.sort();
    assert_eq!(dead, want);
    let seen = reports(&[&report]);
    // Line 31 is blank: not reported; line 32 is refused as input.
    assert!(!seen.contains_key(&31));
    assert_eq!(
        seen.get(&32).map(Vec::as_slice),
        Some(&["FAILED".to_owned()][..])
    );
    let line32 = std::fs::read_to_string(&report)
        .expect("report")
        .lines()
        .find(|l| l.starts_with("{\"line\":32,"))
        .map(str::to_owned)
        .expect("line 32");
    assert!(
        line32.contains("\"error\":\"InvalidExecutionInput\""),
        "{line32}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn batches_are_sqs_events_and_honour_batch_item_failures() {
    let dir = temp_dir("batch");
    let (events, _) = setup(&dir, 25);
    // Fails message "2" of whatever batch it gets, echoes the bodies.
    let definition = dir.join("batch.asl.json");
    std::fs::write(
        &definition,
        r#"{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{
            "bodies.$":"$.Records[*].body","ids.$":"$.Records[*].messageId",
            "source.$":"$.Records[0].eventSource",
            "batchItemFailures":[{"itemIdentifier":"2"}]},"End":true}}}"#,
    )
    .expect("definition");
    let report = dir.join("report.jsonl");
    let dl = dir.join("dead.jsonl");
    let out = consume(
        &events,
        &definition,
        &[
            "--batch",
            "10",
            "--report",
            path(&report),
            "--dead-letter",
            path(&dl),
        ],
    )
    .output()
    .expect("run");
    assert!(out.status.success(), "{out:?}");
    let text = std::fs::read_to_string(&report).expect("report");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(lines.len(), 25);
    for l in &lines {
        let n = l["line"].as_u64().expect("line");
        let batch_first = (n - 1) / 10 * 10 + 1;
        assert_eq!(l["batch"][0], batch_first);
        assert_eq!(l["batch"][1], (batch_first + 9).min(25));
        let want = if n == 2 { "FAILED" } else { "SUCCEEDED" };
        assert_eq!(l["status"], want, "{l}");
        assert_eq!(l["output"]["source"], "aws:sqs");
        let ids = l["output"]["ids"].as_array().expect("ids");
        assert!(ids.contains(&serde_json::Value::from(n.to_string())));
        let bodies = l["output"]["bodies"].as_array().expect("bodies");
        assert!(bodies.contains(&serde_json::Value::from(format!(
            "{{\"n\":{n},\"bad\":{}}}",
            is_bad(n)
        ))));
    }
    assert_eq!(
        std::fs::read_to_string(&dl).expect("dead letters"),
        "{\"n\":2,\"bad\":false}\n"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// `consume` resolves Tasks as `serve` and `run` do: the bundled payment
/// example's lines run on its in-process handlers (they all failed before:
/// consume skipped them), with no credentials and no Lambda endpoint, and
/// the start-up log names the resolver of every Task.
#[test]
fn consume_runs_the_payment_example_on_its_handlers() {
    let dir = temp_dir("payment");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let happy = std::fs::read_to_string(root.join("examples/payment/input-happy.json"))
        .expect("example input");
    let line: serde_json::Value = serde_json::from_str(&happy).expect("input is JSON");
    let events = dir.join("payments.jsonl");
    std::fs::write(&events, format!("{line}\n{line}\n")).expect("events");
    let report = dir.join("report.jsonl");
    let output = consume(
        &events,
        &root.join("examples/payment/payment.asl.json"),
        &["--report", path(&report), "--shards", "0"],
    )
    .env_remove("AWS_ACCESS_KEY_ID")
    .env_remove("AWS_SECRET_ACCESS_KEY")
    .env_remove("AWS_ENDPOINT_URL")
    .env_remove("AWS_ENDPOINT_URL_LAMBDA")
    .output()
    .expect("consume ran");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let summary = summary(&output);
    assert_eq!(summary["succeeded"], 2, "{summary} {stderr}");
    assert!(
        stderr.contains(
            "expressway: task payment: AuthorizePayment \
             (arn:aws:lambda:us-east-1:123456789012:function:AuthorizePayment) -> in-process handler"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("PUBLIC AWS endpoint"), "{stderr}");
}
