//! `expressway consume kinesis` against moto: at-least-once across a
//! SIGKILL with the per-shard checkpoint, a poison record isolated by
//! bisection and sent to the on-failure destination while the rest flows.
#![cfg(feature = "aws")]

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use aws_sdk_kinesis::primitives::Blob;
use common::consumer::{consumer, path, report, temp_dir, terminate, wait_until, Aws};
use common::moto::Moto;

/// Waits 1 s (executions stay in flight), then passes its input on.
const SLOW: &str = r#"{"StartAt":"W","States":{
  "W":{"Type":"Wait","Seconds":1,"Next":"P"},"P":{"Type":"Pass","End":true}}}"#;

/// A Lambda Kinesis event: decodes every record; any `{"poison": true}`
/// fails the whole execution.
const BATCH: &str = r#"{"StartAt":"Each","States":{
  "Each":{"Type":"Map","ItemsPath":"$.Records","End":true,
    "ItemProcessor":{"StartAt":"Decode","States":{
      "Decode":{"Type":"Pass","Parameters":{"v.$":"States.StringToJson(States.Base64Decode($.kinesis.data))"},"Next":"C"},
      "C":{"Type":"Choice","Choices":[{"Variable":"$.v.poison","IsPresent":true,"Next":"F"}],"Default":"P"},
      "F":{"Type":"Fail","Error":"Poison","Cause":"a poison record"},
      "P":{"Type":"Pass","End":true}}}}}}"#;

fn create_stream(aws: &Aws, name: &str, shards: i32) {
    aws.rt
        .block_on(
            aws.kinesis
                .create_stream()
                .stream_name(name)
                .shard_count(shards)
                .send(),
        )
        .expect("CreateStream");
}

/// Puts `{"n": i}` (or the poison record at `poison`); returns n → (shard, sequence number).
fn put(
    aws: &Aws,
    stream: &str,
    count: u64,
    poison: Option<u64>,
) -> BTreeMap<u64, (String, String)> {
    let mut put = BTreeMap::new();
    for n in 1..=count {
        let data = if Some(n) == poison {
            "{\"poison\":true}".to_owned()
        } else {
            format!("{{\"n\":{n}}}")
        };
        let out = aws
            .rt
            .block_on(
                aws.kinesis
                    .put_record()
                    .stream_name(stream)
                    .partition_key(format!("key-{n}"))
                    .data(Blob::new(data))
                    .send(),
            )
            .expect("PutRecord");
        put.insert(n, (out.shard_id, out.sequence_number));
    }
    put
}

fn checkpoint(file: &Path) -> serde_json::Value {
    std::fs::read_to_string(file)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

/// (shard, sequence number) → report lines (moto numbers each shard's
/// records from 1).
fn by_sequence(lines: &[serde_json::Value]) -> BTreeMap<(String, String), Vec<&serde_json::Value>> {
    let mut seen: BTreeMap<(String, String), Vec<&serde_json::Value>> = BTreeMap::new();
    for l in lines {
        let shard = l["shardId"].as_str().expect("shard").to_owned();
        let seq = l["sequenceNumber"]
            .as_str()
            .expect("sequence number")
            .to_owned();
        seen.entry((shard, seq)).or_default().push(l);
    }
    seen
}

fn seq_le(a: &str, b: &str) -> bool {
    (a.len(), a) <= (b.len(), b)
}

#[test]
fn sigkill_then_restart_resumes_from_the_checkpoint() {
    const RECORDS: u64 = 200;
    let moto = Moto::start();
    let aws = Aws::new(&moto);
    create_stream(&aws, "events", 2);
    let put = put(&aws, "events", RECORDS, None);
    let dir = temp_dir("kinesis-kill");
    let definition = dir.join("slow.asl.json");
    std::fs::write(&definition, SLOW).expect("definition");
    let (ck, r1, r2) = (
        dir.join("ck.json"),
        dir.join("r1.jsonl"),
        dir.join("r2.jsonl"),
    );
    let run = |report: &Path| {
        consumer(
            &moto,
            &[
                "kinesis",
                "--stream-name",
                "events",
                "--definition",
                path(&definition),
                "--concurrency",
                "20",
                "--batch-size",
                "25",
                "--poll-interval-ms",
                "100",
                "--checkpoint",
                path(&ck),
                "--checkpoint-interval-ms",
                "200",
                "--report",
                path(report),
            ],
        )
        .spawn()
        .expect("spawn")
    };
    let mut first = run(&r1);
    wait_until(
        &mut first,
        60,
        "a checkpoint and 40 settled records",
        || report(&r1).len() >= 40 && checkpoint(&ck)["shards"].is_object(),
    );
    first.kill().expect("SIGKILL");
    let _ = first.wait();
    let at_kill = checkpoint(&ck);
    let first_lines = report(&r1);
    assert!((first_lines.len() as u64) < RECORDS, "killed after the end");
    // Everything up to a shard's checkpoint was reported before it was stored.
    let reported_first = by_sequence(&first_lines);
    for (shard, seq) in put.values() {
        if let Some(through) = at_kill["shards"][shard]["sequenceNumber"].as_str() {
            if seq_le(seq, through) {
                assert!(
                    reported_first.contains_key(&(shard.clone(), seq.clone())),
                    "{shard} {seq} checkpointed unreported"
                );
            }
        }
    }

    let mut second = run(&r2);
    wait_until(&mut second, 90, "every record settled", || {
        let lines = [report(&r1), report(&r2)].concat();
        by_sequence(&lines).len() as u64 == RECORDS
    });
    let (out, summary) = terminate(second);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(summary["stopped"], true);
    let lines = [report(&r1), report(&r2)].concat();
    let seen = by_sequence(&lines);
    let missing: Vec<u64> = put
        .iter()
        .filter(|(_, key)| !seen.contains_key(*key))
        .map(|(n, _)| *n)
        .collect();
    assert!(missing.is_empty(), "lost records: {missing:?}");
    assert!(lines.iter().all(|l| l["status"] == "SUCCEEDED"));
    // Only records past the checkpoint at the kill ran twice.
    let mut duplicates = 0;
    for ((shard, seq), ls) in &seen {
        if ls.len() > 1 {
            duplicates += ls.len() - 1;
            let through = at_kill["shards"][shard]["sequenceNumber"].as_str();
            assert!(
                through.is_none_or(|t| !seq_le(seq, t)),
                "{shard} {seq} ran again though checkpointed"
            );
        }
    }
    // The final checkpoint is each shard's last record.
    let end = checkpoint(&ck);
    for (shard, seq) in put.values() {
        let through = end["shards"][shard]["sequenceNumber"]
            .as_str()
            .expect("checkpointed");
        assert!(
            seq_le(seq, through),
            "{shard}: {seq} after the checkpoint {through}"
        );
    }
    assert_eq!(summary["checkpoint"], end["shards"], "{summary}");
    eprintln!(
        "kinesis kill test: {RECORDS} records, first run reported {}, restart skipped {} \
         already finished, {duplicates} ran twice",
        first_lines.len(),
        summary["duplicates"]
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_poison_record_is_bisected_out_to_the_on_failure_queue() {
    let moto = Moto::start();
    let aws = Aws::new(&moto);
    create_stream(&aws, "orders", 1);
    let put = put(&aws, "orders", 20, Some(7));
    let failures = aws
        .rt
        .block_on(aws.sqs.create_queue().queue_name("orders-failures").send())
        .expect("CreateQueue")
        .queue_url
        .expect("url");
    let dir = temp_dir("kinesis-poison");
    let definition = dir.join("batch.asl.json");
    std::fs::write(&definition, BATCH).expect("definition");
    let (ck, r) = (dir.join("ck.json"), dir.join("report.jsonl"));
    let mut child = consumer(
        &moto,
        &[
            "kinesis",
            "--stream-name",
            "orders",
            "--definition",
            path(&definition),
            "--batch",
            "--batch-size",
            "10",
            "--retries",
            "1",
            "--poll-interval-ms",
            "100",
            "--on-failure",
            &format!("sqs://{failures}"),
            "--checkpoint",
            path(&ck),
            "--report",
            path(&r),
        ],
    )
    .spawn()
    .expect("spawn");
    let (_, last) = put[&20].clone();
    wait_until(
        &mut child,
        60,
        "the checkpoint past the last record",
        || {
            checkpoint(&ck)["shards"]["shardId-000000000000"]["sequenceNumber"].as_str()
                == Some(last.as_str())
        },
    );
    let (out, summary) = terminate(child);
    assert!(out.status.success(), "{out:?}");
    let lines = report(&r);
    let seen = by_sequence(&lines);
    assert_eq!(seen.len(), 20);
    let (_, poison_seq) = &put[&7];
    for (n, key) in &put {
        let ls = &seen[key];
        assert_eq!(ls.len(), 1, "record {n} settled once");
        if *n == 7 {
            assert_eq!(ls[0]["status"], "FAILED");
            assert_eq!(ls[0]["error"], "Poison", "{}", ls[0]);
            assert_eq!(ls[0]["sentToDestination"], true);
            assert_eq!(ls[0]["attempts"], 2, "1 + 1 retry");
        } else {
            assert_eq!(ls[0]["status"], "SUCCEEDED", "record {n}: {}", ls[0]);
        }
    }
    assert_eq!(summary["failed"], 1, "{summary}");
    assert_eq!(summary["succeeded"], 19, "{summary}");
    assert_eq!(summary["sentToDestination"], 1, "{summary}");
    let sent = aws
        .rt
        .block_on(
            aws.sqs
                .receive_message()
                .queue_url(&failures)
                .max_number_of_messages(10)
                .send(),
        )
        .expect("receive")
        .messages
        .unwrap_or_default();
    assert_eq!(sent.len(), 1, "only the poison record");
    let doc: serde_json::Value =
        serde_json::from_str(sent[0].body().unwrap_or_default()).expect("json");
    assert_eq!(
        doc["KinesisBatchInfo"]["startSequenceNumber"],
        poison_seq.as_str()
    );
    assert_eq!(doc["KinesisBatchInfo"]["shardId"], "shardId-000000000000");
    assert_eq!(doc["requestContext"]["condition"], "RetryAttemptsExhausted");
    assert_eq!(
        doc["record"]["kinesis"]["sequenceNumber"],
        poison_seq.as_str()
    );
    assert_eq!(doc["record"]["eventSource"], "aws:kinesis");
    use base64::Engine as _;
    let data = base64::engine::general_purpose::STANDARD
        .decode(
            doc["record"]["kinesis"]["data"]
                .as_str()
                .unwrap_or_default(),
        )
        .expect("base64");
    assert_eq!(data, b"{\"poison\":true}");
    assert_eq!(doc["error"], "Poison", "{doc}");
    let _ = std::fs::remove_dir_all(dir);
}
