//! `expressway consume sqs` against moto: at-least-once across a SIGKILL,
//! a poison message reaching the queue's DLQ through its RedrivePolicy, a
//! burst far above the admission rate, Lambda SQS batch events.
#![cfg(feature = "aws")]

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::QueueAttributeName as Attr;
use common::consumer::{consumer, path, report, temp_dir, terminate, wait_until, Aws};
use common::moto::Moto;

/// Waits 1 s (executions stay in flight), then passes its input on.
const SLOW: &str = r#"{"StartAt":"W","States":{
  "W":{"Type":"Wait","Seconds":1,"Next":"P"},"P":{"Type":"Pass","End":true}}}"#;

/// Fails `{"poison": true}`, passes anything else on.
const POISON: &str = r#"{"StartAt":"C","States":{
  "C":{"Type":"Choice","Choices":[{"Variable":"$.poison","IsPresent":true,"Next":"F"}],"Default":"P"},
  "F":{"Type":"Fail","Error":"Poison","Cause":"a poison message"},
  "P":{"Type":"Pass","End":true}}}"#;

fn create_queue(aws: &Aws, name: &str, attributes: &[(Attr, String)]) -> String {
    let mut request = aws.sqs.create_queue().queue_name(name);
    for (k, v) in attributes {
        request = request.attributes(k.clone(), v);
    }
    aws.rt
        .block_on(request.send())
        .expect("CreateQueue")
        .queue_url
        .expect("queue url")
}

fn send(aws: &Aws, url: &str, bodies: impl Iterator<Item = String>) {
    let bodies: Vec<String> = bodies.collect();
    for chunk in bodies.chunks(10) {
        let entries = chunk
            .iter()
            .enumerate()
            .map(|(i, b)| {
                aws_sdk_sqs::types::SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(b)
                    .build()
                    .expect("entry")
            })
            .collect();
        let out = aws
            .rt
            .block_on(
                aws.sqs
                    .send_message_batch()
                    .queue_url(url)
                    .set_entries(Some(entries))
                    .send(),
            )
            .expect("SendMessageBatch");
        assert!(out.failed.is_empty());
    }
}

fn queue_empty(aws: &Aws, url: &str) -> bool {
    aws.queue_count(url, Attr::ApproximateNumberOfMessages) == 0
        && aws.queue_count(url, Attr::ApproximateNumberOfMessagesNotVisible) == 0
}

/// `n` (from the execution output) → report lines, over every report.
fn by_n(lines: &[serde_json::Value]) -> BTreeMap<u64, Vec<&serde_json::Value>> {
    let mut seen: BTreeMap<u64, Vec<&serde_json::Value>> = BTreeMap::new();
    for l in lines {
        if let Some(n) = l["output"]["n"].as_u64() {
            seen.entry(n).or_default().push(l);
        }
    }
    seen
}

#[test]
fn sigkill_mid_batch_then_restart_processes_every_message() {
    const MESSAGES: u64 = 100;
    let moto = Moto::start();
    let aws = Aws::new(&moto);
    let url = create_queue(&aws, "work", &[]);
    send(&aws, &url, (1..=MESSAGES).map(|n| format!("{{\"n\":{n}}}")));
    let dir = temp_dir("sqs-kill");
    let definition = dir.join("slow.asl.json");
    std::fs::write(&definition, SLOW).expect("definition");
    let (r1, r2) = (dir.join("r1.jsonl"), dir.join("r2.jsonl"));
    let args = |report: &std::path::Path| {
        let mut cmd = consumer(
            &moto,
            &[
                "sqs",
                "--queue-url",
                &url,
                "--definition",
                path(&definition),
                "--concurrency",
                "20",
                "--receivers",
                "3",
                "--wait-time-seconds",
                "1",
                "--visibility-timeout",
                "2",
                "--report",
                path(report),
            ],
        );
        cmd.spawn().expect("spawn")
    };
    let mut first = args(&r1);
    wait_until(&mut first, 60, "30 settled messages", || {
        report(&r1).len() >= 30
    });
    // Mid-batch: 20 executions are waiting in their Wait state.
    first.kill().expect("SIGKILL");
    let _ = first.wait();
    let reported_first = report(&r1).len() as u64;
    assert!(reported_first < MESSAGES, "killed after the end");

    let mut second = args(&r2);
    wait_until(&mut second, 90, "every message settled and deleted", || {
        let lines = [report(&r1), report(&r2)].concat();
        by_n(&lines).len() as u64 == MESSAGES && queue_empty(&aws, &url)
    });
    let (out, summary) = terminate(second);
    assert!(out.status.success(), "graceful stop exits 0: {out:?}");
    assert_eq!(summary["stopped"], true);

    let lines = [report(&r1), report(&r2)].concat();
    let seen = by_n(&lines);
    let missing: Vec<u64> = (1..=MESSAGES).filter(|n| !seen.contains_key(n)).collect();
    assert!(missing.is_empty(), "lost messages: {missing:?}");
    assert!(lines.iter().all(|l| l["status"] == "SUCCEEDED"));
    // A message run twice was received again: its later report says so.
    let duplicates: Vec<u64> = seen
        .iter()
        .filter(|(_, ls)| ls.len() > 1)
        .map(|(n, _)| *n)
        .collect();
    for n in &duplicates {
        let last = seen[n].last().expect("report");
        assert!(last["receiveCount"].as_u64() >= Some(2), "{last}");
    }
    // Those in flight at the kill came back with ApproximateReceiveCount 2.
    let redelivered = summary["duplicates"].as_u64().expect("duplicates");
    assert!(redelivered >= 1, "{summary}");
    assert!(redelivered >= duplicates.len() as u64, "{summary}");
    assert_eq!(
        summary["deleted"], summary["succeeded"],
        "every success deleted: {summary}"
    );
    eprintln!(
        "sqs kill test: {MESSAGES} messages, first run reported {reported_first}, \
         restart redelivered {redelivered}, {} ran twice: {duplicates:?}",
        duplicates.len()
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_poison_message_reaches_the_dlq_while_the_rest_flows() {
    let moto = Moto::start();
    let aws = Aws::new(&moto);
    let dlq = create_queue(&aws, "work-dlq", &[]);
    let dlq_arn = aws
        .rt
        .block_on(
            aws.sqs
                .get_queue_attributes()
                .queue_url(&dlq)
                .attribute_names(Attr::QueueArn)
                .send(),
        )
        .expect("attributes")
        .attributes
        .and_then(|mut a| a.remove(&Attr::QueueArn))
        .expect("arn");
    let url = create_queue(
        &aws,
        "work",
        &[
            (
                Attr::RedrivePolicy,
                format!("{{\"deadLetterTargetArn\":\"{dlq_arn}\",\"maxReceiveCount\":\"2\"}}"),
            ),
            (Attr::VisibilityTimeout, "1".into()),
        ],
    );
    send(
        &aws,
        &url,
        (1..=30u64).map(|n| {
            if n == 7 {
                "{\"poison\":true}".to_owned()
            } else {
                format!("{{\"n\":{n}}}")
            }
        }),
    );
    let dir = temp_dir("sqs-poison");
    let definition = dir.join("poison.asl.json");
    std::fs::write(&definition, POISON).expect("definition");
    let r = dir.join("report.jsonl");
    let mut child = consumer(
        &moto,
        &[
            "sqs",
            "--queue-url",
            &url,
            "--definition",
            path(&definition),
            "--wait-time-seconds",
            "1",
            "--report",
            path(&r),
        ],
    )
    .spawn()
    .expect("spawn");
    wait_until(&mut child, 60, "the poison message in the DLQ", || {
        aws.queue_count(&dlq, Attr::ApproximateNumberOfMessages) == 1 && queue_empty(&aws, &url)
    });
    let (out, summary) = terminate(child);
    assert!(out.status.success(), "{out:?}");
    let lines = report(&r);
    let ok = by_n(&lines);
    // At least once: with a 1 s visibility timeout (so that the poison message
    // comes back quickly) a loaded machine may see a good message again before
    // its batch is deleted; it must then succeed again, never fail.
    assert_eq!(ok.len(), 29, "every other message succeeded: {lines:?}");
    assert!(
        ok.values()
            .all(|ls| ls.iter().all(|l| l["status"] == "SUCCEEDED")),
        "{ok:?}"
    );
    let poison: Vec<&serde_json::Value> =
        lines.iter().filter(|l| l["status"] == "FAILED").collect();
    assert_eq!(
        poison.len(),
        2,
        "run once per receive, maxReceiveCount 2: {poison:?}"
    );
    assert!(poison.iter().all(|l| l["error"] == "Poison"));
    assert_eq!(poison[0]["receiveCount"], 1);
    assert_eq!(poison[1]["receiveCount"], 2);
    let deleted = summary["deleted"].as_u64().expect("deleted");
    assert!(deleted >= 29, "{summary}");
    assert_eq!(summary["deleted"], summary["succeeded"], "{summary}");
    assert_eq!(summary["failed"], 2, "{summary}");
    let moved = aws
        .rt
        .block_on(aws.sqs.receive_message().queue_url(&dlq).send())
        .expect("receive from the DLQ")
        .messages
        .unwrap_or_default();
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0].body(), Some("{\"poison\":true}"));
    let _ = std::fs::remove_dir_all(dir);
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port()
}

fn scrape(port: u16) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("metrics");
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("request");
    let mut text = String::new();
    s.read_to_string(&mut text).expect("response");
    text
}

#[test]
fn a_burst_above_the_admission_rate_slows_receiving_and_drops_nothing() {
    const MESSAGES: u64 = 300;
    const CONCURRENCY: u64 = 8;
    let moto = Moto::start();
    let aws = Aws::new(&moto);
    let url = create_queue(&aws, "burst", &[]);
    send(&aws, &url, (1..=MESSAGES).map(|n| format!("{{\"n\":{n}}}")));
    let dir = temp_dir("sqs-burst");
    let definition = dir.join("pass.asl.json");
    std::fs::write(&definition, POISON).expect("definition");
    let r = dir.join("report.jsonl");
    let port = free_port();
    let metrics_addr = format!("127.0.0.1:{port}");
    let start = Instant::now();
    let mut child = consumer(
        &moto,
        &[
            "sqs",
            "--queue-url",
            &url,
            "--definition",
            path(&definition),
            "--concurrency",
            &CONCURRENCY.to_string(),
            "--receivers",
            "3",
            "--wait-time-seconds",
            "1",
            "--admission-rate",
            "50",
            "--admission-burst",
            "1",
            "--queue-attributes-interval-ms",
            "200",
            "--metrics-addr",
            &metrics_addr,
            "--report",
            path(&r),
        ],
    )
    .spawn()
    .expect("spawn");
    wait_until(&mut child, 30, "the first executions", || {
        report(&r).len() >= 20
    });
    // Receiving follows the admitted rate: the backlog stays in the queue,
    // at most `concurrency` messages are received and not yet settled
    // (`maxInFlight` below, counted by the consumer).
    let mut samples = Vec::new();
    for _ in 0..5 {
        let visible = aws.queue_count(&url, Attr::ApproximateNumberOfMessages);
        let received = aws.queue_count(&url, Attr::ApproximateNumberOfMessagesNotVisible);
        samples.push((visible, received));
        std::thread::sleep(Duration::from_millis(300));
    }
    // In SQS's view a settled message stays in flight until its batched
    // delete (up to 10) lands.
    assert!(
        samples
            .iter()
            .all(|&(_, received)| received <= CONCURRENCY + 10),
        "received ahead of admission: {samples:?}"
    );
    assert!(
        samples[0].0 >= 100,
        "the backlog was drained early: {samples:?}"
    );
    let metrics = scrape(port);
    for name in [
        "expressway_consumer_received_total{",
        "expressway_consumer_in_flight{",
        "expressway_consumer_deleted_total{",
        "expressway_sqs_approximate_number_of_messages{queue=\"burst\"}",
    ] {
        assert!(
            metrics.contains(name),
            "{name} missing from /metrics:\n{metrics}"
        );
    }
    wait_until(&mut child, 60, "every message settled", || {
        report(&r).len() as u64 >= MESSAGES && queue_empty(&aws, &url)
    });
    let elapsed = start.elapsed();
    let (out, summary) = terminate(child);
    assert!(out.status.success(), "{out:?}");
    // 300 starts at 50/s take about 6 s: nothing was run ahead of admission.
    assert!(elapsed >= Duration::from_secs(5), "{elapsed:?}");
    let lines = report(&r);
    let seen = by_n(&lines);
    assert_eq!(seen.len() as u64, MESSAGES, "no message dropped");
    let failed: Vec<_> = seen
        .values()
        .flatten()
        .filter(|l| l["status"] != "SUCCEEDED")
        .collect();
    assert!(failed.is_empty(), "not succeeded: {failed:?}; {summary}");
    // A standard queue delivers at least once, and moto's ReceiveMessage
    // takes a visible message without a lock, so two concurrent receivers
    // can both get it (seen under load). Such a second delivery carries
    // `ApproximateReceiveCount` > 1 and is counted as a duplicate; an extra
    // run without one would be the consumer's own doing.
    let extra: usize = seen.values().map(|ls| ls.len() - 1).sum();
    let redelivered = seen
        .values()
        .filter(|ls| ls.len() > 1)
        .all(|ls| ls.iter().any(|l| l["receiveCount"].as_u64() > Some(1)));
    assert!(
        redelivered,
        "a message ran twice without a redelivery: {seen:?}"
    );
    assert!(
        summary["duplicates"].as_u64() >= Some(extra as u64),
        "{summary}"
    );
    let received = MESSAGES + extra as u64;
    assert_eq!(summary["received"], received, "{summary}");
    assert_eq!(summary["succeeded"], received, "{summary}");
    // Every deleted message had succeeded (and every success was deleted).
    assert_eq!(summary["deleted"], received, "{summary}");
    assert!(
        summary["maxInFlight"].as_u64() <= Some(CONCURRENCY),
        "{summary}"
    );
    eprintln!("sqs burst: {elapsed:?}, queue samples (visible, received) {samples:?}, {summary}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn batches_are_lambda_sqs_events_and_honour_batch_item_failures() {
    let moto = Moto::start();
    let aws = Aws::new(&moto);
    let url = create_queue(&aws, "batches", &[]);
    send(&aws, &url, (1..=25u64).map(|n| format!("{{\"n\":{n}}}")));
    let dir = temp_dir("sqs-batch");
    // Echoes the event's fields; reports the first record of each batch as failed.
    let definition = dir.join("batch.asl.json");
    std::fs::write(
        &definition,
        r#"{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{
            "bodies.$":"$.Records[*].body","source.$":"$.Records[0].eventSource",
            "arn.$":"$.Records[0].eventSourceARN","region.$":"$.Records[0].awsRegion",
            "md5.$":"$.Records[0].md5OfBody","count.$":"$.Records[0].attributes.ApproximateReceiveCount",
            "batchItemFailures":[{"itemIdentifier.$":"$.Records[0].messageId"}]},"End":true}}}"#,
    )
    .expect("definition");
    let r = dir.join("report.jsonl");
    let mut child = consumer(
        &moto,
        &[
            "sqs",
            "--queue-url",
            &url,
            "--definition",
            path(&definition),
            "--batch",
            "--receivers",
            "1",
            "--wait-time-seconds",
            "1",
            "--visibility-timeout",
            "60",
            "--report",
            path(&r),
        ],
    )
    .spawn()
    .expect("spawn");
    wait_until(&mut child, 60, "25 messages settled", || {
        report(&r).len() >= 25
    });
    let (out, summary) = terminate(child);
    assert!(out.status.success(), "{out:?}");
    let lines = report(&r);
    assert_eq!(lines.len(), 25);
    let failed = lines.iter().filter(|l| l["status"] == "FAILED").count() as u64;
    assert!(failed >= 3, "one per batch of at most 10: {failed}");
    assert!(lines
        .iter()
        .filter(|l| l["status"] == "FAILED")
        .all(|l| l["error"] == "BatchItemFailure"));
    for l in &lines {
        assert_eq!(l["output"]["source"], "aws:sqs");
        assert_eq!(
            l["output"]["arn"],
            "arn:aws:sqs:us-east-1:123456789012:batches"
        );
        assert_eq!(l["output"]["region"], "us-east-1");
        assert_eq!(l["output"]["count"], "1");
        assert_eq!(l["output"]["md5"].as_str().map(str::len), Some(32));
    }
    assert_eq!(summary["deleted"].as_u64(), Some(25 - failed), "{summary}");
    // The failed items are still in the queue (in flight until their timeout).
    assert_eq!(
        aws.queue_count(&url, Attr::ApproximateNumberOfMessagesNotVisible),
        failed
    );
    let _ = std::fs::remove_dir_all(dir);
}
