//! `consume kinesis|sqs --cluster` (issue 13, item 5) against moto's server
//! and a real `redis-server` on a free loopback port: three Kinesis
//! consumers share a stream's shards through leases in Redis, a killed
//! one's shards are taken over within the lease time and resume from the
//! checkpoint kept in Redis, and every record runs at least once; three
//! SQS consumers join the members set and lose no message across a kill.
#![cfg(feature = "aws")]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use aws_sdk_sqs::types::QueueAttributeName as Attr;
use common::consumer::{consumer, path, report, temp_dir, terminate, wait_until, Aws};
use common::moto::Moto;
use common::redis::{free_port, redis_available, Redis};

/// Waits 1 s (executions stay in flight), then passes its input on.
const SLOW: &str = r#"{"StartAt":"W","States":{
  "W":{"Type":"Wait","Seconds":1,"Next":"P"},"P":{"Type":"Pass","End":true}}}"#;

const STREAM: &str = "events";
const MACHINE: &str = "sharer";
const SHARDS: usize = 6;
const LEASE_MS: u64 = 3_000;

fn shard_id(i: usize) -> String {
    format!("shardId-{i:012}")
}

fn lease_key(shard: &str) -> String {
    format!("expressway:kinesis:{STREAM}:{MACHINE}:lease:{shard}")
}

/// Shard id → lease owner ("" when free).
fn owners(redis: &Redis) -> BTreeMap<String, String> {
    (0..SHARDS)
        .map(|i| {
            let shard = shard_id(i);
            let owner = redis.cli(&["HGET", &lease_key(&shard), "owner"]);
            (shard, owner)
        })
        .collect()
}

fn held_by(owners: &BTreeMap<String, String>, node: &str) -> Vec<String> {
    owners
        .iter()
        .filter(|(_, o)| o.as_str() == node)
        .map(|(s, _)| s.clone())
        .collect()
}

/// Puts `{"n": i}` for `range`; returns n → (shard, sequence number).
fn put(aws: &Aws, range: std::ops::RangeInclusive<u64>) -> BTreeMap<u64, (String, String)> {
    let ns: Vec<u64> = range.collect();
    let mut put = BTreeMap::new();
    for chunk in ns.chunks(100) {
        let entries = chunk
            .iter()
            .map(|n| {
                PutRecordsRequestEntry::builder()
                    .partition_key(format!("key-{n}"))
                    .data(Blob::new(format!("{{\"n\":{n}}}")))
                    .build()
                    .expect("entry")
            })
            .collect();
        let out = aws
            .rt
            .block_on(
                aws.kinesis
                    .put_records()
                    .stream_name(STREAM)
                    .set_records(Some(entries))
                    .send(),
            )
            .expect("PutRecords");
        for (n, r) in chunk.iter().zip(out.records) {
            let (Some(shard), Some(seq)) = (r.shard_id, r.sequence_number) else {
                panic!("record {n} not put: {:?}", r.error_message);
            };
            put.insert(*n, (shard, seq));
        }
    }
    put
}

fn seq_le(a: &str, b: &str) -> bool {
    (a.len(), a) <= (b.len(), b)
}

/// (shard, sequence number) → how many report lines, over `files`.
fn settled(files: &[&Path]) -> BTreeMap<(String, String), Vec<serde_json::Value>> {
    let mut seen: BTreeMap<(String, String), Vec<serde_json::Value>> = BTreeMap::new();
    for f in files {
        for l in report(f) {
            let key = (
                l["shardId"].as_str().unwrap_or_default().to_owned(),
                l["sequenceNumber"].as_str().unwrap_or_default().to_owned(),
            );
            seen.entry(key).or_default().push(l);
        }
    }
    seen
}

fn scrape(port: u16) -> String {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    let _ = s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let mut text = String::new();
    let _ = s.read_to_string(&mut text);
    text
}

/// The value of the series `series` (name and labels, exactly) in `text`.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
}

/// Waits up to `secs` for `done`, failing if any consumer exits first.
fn wait_all(children: &mut [&mut Child], secs: u64, what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        for c in children.iter_mut() {
            if let Ok(Some(status)) = c.try_wait() {
                panic!("a consumer exited early ({status}) waiting for {what}");
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn three_kinesis_consumers_share_the_shards_and_take_over_a_killed_one() {
    const BEFORE: u64 = 240;
    const AFTER: u64 = 60;
    if !redis_available() {
        return;
    }
    let dir = temp_dir("cluster-kinesis");
    let redis = Redis::start(&dir);
    let moto = Moto::start();
    let aws = Aws::new(&moto);
    aws.rt
        .block_on(
            aws.kinesis
                .create_stream()
                .stream_name(STREAM)
                .shard_count(SHARDS as i32)
                .send(),
        )
        .expect("CreateStream");
    let mut put_records = put(&aws, 1..=BEFORE);
    let definition = dir.join("slow.asl.json");
    std::fs::write(&definition, SLOW).expect("definition");
    let nodes = ["a", "b", "c"];
    let reports: Vec<_> = nodes
        .iter()
        .map(|n| dir.join(format!("{n}.jsonl")))
        .collect();
    let metrics_port = free_port();
    let start = |i: usize| {
        let port = if i == 0 { metrics_port } else { free_port() };
        consumer(
            &moto,
            &[
                "kinesis",
                "--stream-name",
                STREAM,
                "--definition",
                path(&definition),
                "--state-machine-name",
                MACHINE,
                "--cluster",
                &redis.url(),
                "--node-id",
                nodes[i],
                "--lease-duration-ms",
                &LEASE_MS.to_string(),
                "--concurrency",
                "10",
                "--batch-size",
                "10",
                "--poll-interval-ms",
                "100",
                "--checkpoint-interval-ms",
                "200",
                "--report",
                path(&reports[i]),
                "--metrics-addr",
                &format!("127.0.0.1:{port}"),
            ],
        )
        .spawn()
        .expect("spawn")
    };
    let (mut a, mut b, mut c) = (start(0), start(1), start(2));

    // Balanced: two shards each (stealing from whoever took more first).
    let began = Instant::now();
    wait_all(&mut [&mut a, &mut b, &mut c], 60, "two leases each", || {
        let o = owners(&redis);
        nodes.iter().all(|n| held_by(&o, n).len() == 2)
    });
    eprintln!("3 consumers balanced 6 shards in {:?}", began.elapsed());
    wait_all(
        &mut [&mut a, &mut b, &mut c],
        30,
        "the lease gauges",
        || {
            let text = scrape(metrics_port);
            value(&text, "expressway_cluster_leases_held{stream=\"events\"}") == Some(2.0)
                && value(&text, "expressway_cluster_lease_shards{stream=\"events\"}") == Some(6.0)
                && value(&text, "expressway_cluster_members") == Some(3.0)
        },
    );
    let files: Vec<&Path> = reports.iter().map(|p| p.as_path()).collect();
    wait_all(
        &mut [&mut a, &mut b, &mut c],
        60,
        "40 settled records",
        || settled(&files).len() >= 40,
    );

    // kill -9 c: its shards go to a and b once its leases expire.
    let orphans = held_by(&owners(&redis), "c");
    assert_eq!(orphans.len(), 2);
    c.kill().expect("SIGKILL");
    let _ = c.wait();
    let killed = Instant::now();
    let reported_by_c = report(&reports[2]).len();
    wait_all(
        &mut [&mut a, &mut b],
        30,
        "the killed consumer's shards taken over",
        || {
            let o = owners(&redis);
            orphans
                .iter()
                .all(|s| matches!(o.get(s).map(String::as_str), Some("a" | "b")))
        },
    );
    let takeover = killed.elapsed();
    eprintln!(
        "kill -9 of c ({reported_by_c} records reported): its shards {orphans:?} taken over \
         after {takeover:?} (lease {LEASE_MS} ms)"
    );
    // Within the lease time (counted from c's last renewal, before the
    // kill), plus scheduling slack on a loaded machine.
    assert!(
        takeover <= Duration::from_millis(LEASE_MS + 1_000),
        "takeover took {takeover:?}"
    );
    let o = owners(&redis);
    assert_eq!(
        held_by(&o, "a").len() + held_by(&o, "b").len(),
        SHARDS,
        "{o:?}"
    );
    // Every lease series the dashboard's cluster row queries is exported
    // (a took leases: the counter exists too).
    let dashboard: serde_json::Value =
        serde_json::from_str(include_str!("../dashboards/expressway.json")).expect("dashboard");
    let text = scrape(metrics_port);
    let lease_names: Vec<String> = expressway::metrics::names_in_dashboard(&dashboard)
        .into_iter()
        .filter(|n| {
            n.starts_with("expressway_cluster_lease")
                || n.starts_with("expressway_cluster_stream_lag")
        })
        .collect();
    assert_eq!(lease_names.len(), 4, "{lease_names:?}");
    for name in &lease_names {
        assert!(
            text.contains(&format!("\n{name}{{")),
            "{name} missing:\n{text}"
        );
    }
    assert!(
        value(&text, "expressway_cluster_leases_held{stream=\"events\"}") >= Some(2.0),
        "{text}"
    );

    put_records.extend(put(&aws, BEFORE + 1..=BEFORE + AFTER));
    wait_all(&mut [&mut a, &mut b], 120, "every record settled", || {
        let seen = settled(&files);
        put_records
            .values()
            .all(|(shard, seq)| seen.contains_key(&(shard.clone(), seq.clone())))
    });
    // Balanced again: three each.
    wait_all(&mut [&mut a, &mut b], 30, "three leases each", || {
        let o = owners(&redis);
        held_by(&o, "a").len() == 3 && held_by(&o, "b").len() == 3
    });
    // The checkpoints in Redis reach every shard's last record.
    let mut last: BTreeMap<String, String> = BTreeMap::new();
    for (shard, seq) in put_records.values() {
        let e = last.entry(shard.clone()).or_default();
        if seq_le(e, seq) {
            *e = seq.clone();
        }
    }
    wait_all(
        &mut [&mut a, &mut b],
        30,
        "checkpoints at each shard's end",
        || {
            last.iter().all(|(shard, seq)| {
                let ck = redis.cli(&["HGET", &lease_key(shard), "checkpoint"]);
                let ck: serde_json::Value = serde_json::from_str(&ck).unwrap_or_default();
                ck["sequenceNumber"]
                    .as_str()
                    .is_some_and(|through| seq_le(seq, through))
            })
        },
    );
    let (out_a, summary_a) = terminate(a);
    let (out_b, summary_b) = terminate(b);
    assert!(out_a.status.success(), "{out_a:?}");
    assert!(out_b.status.success(), "{out_b:?}");
    assert_eq!(summary_a["stopped"], true);
    assert_eq!(summary_a["error"], serde_json::Value::Null, "{summary_a}");
    assert_eq!(summary_b["error"], serde_json::Value::Null, "{summary_b}");
    // A clean stop releases the leases.
    let o = owners(&redis);
    assert!(o.values().all(String::is_empty), "{o:?}");

    let seen = settled(&files);
    let missing: Vec<u64> = put_records
        .iter()
        .filter(|(_, key)| !seen.contains_key(*key))
        .map(|(n, _)| *n)
        .collect();
    assert!(missing.is_empty(), "lost records: {missing:?}");
    assert!(seen.values().flatten().all(|l| l["status"] == "SUCCEEDED"));
    let twice = seen.values().filter(|ls| ls.len() > 1).count();
    let shards_read: BTreeSet<&str> = seen.keys().map(|(s, _)| s.as_str()).collect();
    assert_eq!(shards_read.len(), SHARDS);
    eprintln!(
        "{} records over {SHARDS} shards, every one settled; {twice} ran more than once \
         (in flight or past the checkpoint at a steal or the kill)",
        put_records.len()
    );
    let _ = std::fs::remove_dir_all(dir);
}

fn send(aws: &Aws, url: &str, count: u64) {
    let bodies: Vec<String> = (1..=count).map(|n| format!("{{\"n\":{n}}}")).collect();
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
        aws.rt
            .block_on(
                aws.sqs
                    .send_message_batch()
                    .queue_url(url)
                    .set_entries(Some(entries))
                    .send(),
            )
            .expect("SendMessageBatch");
    }
}

#[test]
fn three_sqs_consumers_join_the_cluster_and_lose_nothing_across_a_kill() {
    const MESSAGES: u64 = 150;
    if !redis_available() {
        return;
    }
    let dir = temp_dir("cluster-sqs");
    let redis = Redis::start(&dir);
    let moto = Moto::start();
    let aws = Aws::new(&moto);
    let url = aws
        .rt
        .block_on(aws.sqs.create_queue().queue_name("shared").send())
        .expect("CreateQueue")
        .queue_url
        .expect("url");
    send(&aws, &url, MESSAGES);
    let definition = dir.join("slow.asl.json");
    std::fs::write(&definition, SLOW).expect("definition");
    let nodes = ["a", "b", "c"];
    let reports: Vec<_> = nodes
        .iter()
        .map(|n| dir.join(format!("{n}.jsonl")))
        .collect();
    let metrics_port = free_port();
    let start = |i: usize| {
        let port = if i == 0 { metrics_port } else { free_port() };
        // c joins through EXPRESSWAY_CLUSTER_URL rather than the flag.
        let (flag, url_arg) = if i == 2 {
            ("--region", "us-east-1".to_owned())
        } else {
            ("--cluster", redis.url())
        };
        let mut cmd = consumer(
            &moto,
            &[
                "sqs",
                "--queue-url",
                &url,
                "--definition",
                path(&definition),
                flag,
                &url_arg,
                "--node-id",
                nodes[i],
                "--concurrency",
                "10",
                "--receivers",
                "2",
                "--wait-time-seconds",
                "1",
                "--visibility-timeout",
                "2",
                "--report",
                path(&reports[i]),
                "--metrics-addr",
                &format!("127.0.0.1:{port}"),
            ],
        );
        if i == 2 {
            cmd.env("EXPRESSWAY_CLUSTER_URL", redis.url());
        }
        cmd.spawn().expect("spawn")
    };
    let (mut a, mut b, mut c) = (start(0), start(1), start(2));
    wait_all(&mut [&mut a, &mut b, &mut c], 30, "three members", || {
        redis.cli(&["ZCARD", "expressway:members"]) == "3"
            && value(&scrape(metrics_port), "expressway_cluster_members") == Some(3.0)
    });
    assert_eq!(
        value(&scrape(metrics_port), "expressway_cluster_redis_up"),
        Some(1.0)
    );
    let files: Vec<&Path> = reports.iter().map(|p| p.as_path()).collect();
    let by_n = |files: &[&Path]| {
        let mut seen: BTreeMap<u64, usize> = BTreeMap::new();
        for f in files {
            for l in report(f) {
                assert_eq!(l["status"], "SUCCEEDED", "{l}");
                if let Some(n) = l["output"]["n"].as_u64() {
                    *seen.entry(n).or_default() += 1;
                }
            }
        }
        seen
    };
    wait_until(&mut c, 60, "c settled 10 messages", || {
        report(&reports[2]).len() >= 10
    });
    // kill -9 c with executions in flight: their messages come back after
    // the visibility timeout and run on a or b.
    c.kill().expect("SIGKILL");
    let _ = c.wait();
    let queue_empty = || {
        let count = |a| aws.queue_count(&url, a);
        count(Attr::ApproximateNumberOfMessages) == 0
            && count(Attr::ApproximateNumberOfMessagesNotVisible) == 0
    };
    wait_all(&mut [&mut a, &mut b], 120, "every message settled", || {
        by_n(&files).len() as u64 == MESSAGES && queue_empty()
    });
    let (out_a, summary_a) = terminate(a);
    let (out_b, summary_b) = terminate(b);
    assert!(out_a.status.success() && out_b.status.success());
    let seen = by_n(&files);
    let missing: Vec<u64> = (1..=MESSAGES).filter(|n| !seen.contains_key(n)).collect();
    assert!(missing.is_empty(), "lost messages: {missing:?}");
    let twice = seen.values().filter(|n| **n > 1).count();
    eprintln!(
        "sqs: {MESSAGES} messages over 3 consumers, c killed after {} reports; {twice} ran twice; \
         a {summary_a}, b {summary_b}",
        report(&reports[2]).len()
    );
    // The survivors left the members set on their clean stop; c's entry
    // expires by itself.
    let members = redis.cli(&["ZRANGE", "expressway:members", "0", "-1"]);
    assert!(
        !members.contains('a') && !members.contains('b'),
        "{members}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_local_checkpoint_file_is_refused_in_a_cluster() {
    let out = std::process::Command::new(common::consumer::BIN)
        .args([
            "consume",
            "kinesis",
            "--stream-name",
            "s",
            "--definition",
            "d.json",
        ])
        .args([
            "--cluster",
            "redis://127.0.0.1:1",
            "--checkpoint",
            "ck.json",
        ])
        .env_remove("EXPRESSWAY_CLUSTER_URL")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--checkpoint"), "{stderr}");
}

/// The lease scripts on a real Redis: a take returns the stored
/// checkpoint, a steal makes the old holder's checkpoints and renewals
/// fail, an ended shard frees its lease and lets its children be taken.
#[test]
fn lease_scripts_take_steal_refuse_and_end() {
    use expressway::cluster::leases::{eligible, Claim, LeaseScope};
    use expressway::cluster::{ClusterConfig, ConsumerNode, Stored};
    if !redis_available() {
        return;
    }
    let dir = temp_dir("cluster-lease-scripts");
    let redis = Redis::start(&dir);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let scope = LeaseScope {
            stream: "s".into(),
            machine: "m".into(),
        };
        let node = |id: &str| {
            ConsumerNode::connect(&ClusterConfig::new(&redis.url(), id))
                .expect("url")
                .leases(&scope, Duration::from_secs(30))
        };
        let (a, b) = (node("a"), node("b"));
        let shards = vec![
            ("p".to_owned(), vec![]),
            ("c1".to_owned(), vec!["p".to_owned()]),
        ];
        assert_eq!(a.register(&shards).await.expect("register"), 2);
        assert_eq!(b.register(&shards).await.expect("again"), 0);
        let scan = a.scan().await.expect("scan");
        let ids: Vec<&str> = eligible(&scan)
            .iter()
            .map(|l| l.shard_id.as_str())
            .collect();
        assert_eq!(ids, ["p"], "the child waits for its parent");
        let free = Claim {
            shard_id: "p".into(),
            counter: 0,
            victim: None,
        };
        let taken = a.take(&free).await.expect("take").expect("taken");
        assert_eq!((taken.checkpoint, taken.previous), (None, None));
        // The same claim again: the counter moved on.
        assert!(b.take(&free).await.expect("take").is_none());
        assert_eq!(
            a.checkpoint("p", "{\"sequenceNumber\":\"7\"}", false)
                .await
                .expect("store"),
            Stored::Stored
        );
        // b is not the holder: refused.
        assert_eq!(
            b.checkpoint("p", "{}", false).await.expect("store"),
            Stored::LeaseLost
        );
        // b steals it from a: gets a's checkpoint.
        let steal = Claim {
            shard_id: "p".into(),
            counter: 1,
            victim: Some("a".into()),
        };
        let stolen = b.take(&steal).await.expect("steal").expect("stolen");
        assert_eq!(
            stolen.checkpoint.as_deref(),
            Some("{\"sequenceNumber\":\"7\"}")
        );
        assert_eq!(stolen.previous.as_deref(), Some("a"));
        assert_eq!(
            a.checkpoint("p", "{\"sequenceNumber\":\"9\"}", false)
                .await
                .expect("store"),
            Stored::LeaseLost
        );
        let lost = a.renew(&[("p".into(), Some(5))]).await.expect("renew");
        assert_eq!(lost, ["p"]);
        assert!(b
            .renew(&[("p".into(), Some(12))])
            .await
            .expect("renew")
            .is_empty());
        let scan = b.scan().await.expect("scan");
        assert_eq!(scan.workers, ["a", "b"]);
        assert_eq!(scan.leases[1].owner.as_deref(), Some("b"));
        assert_eq!(scan.leases[1].lag_ms, Some(12));
        // Read to its end: ended, freed, and the child may be taken.
        assert_eq!(
            b.checkpoint("p", "{\"sequenceNumber\":\"10\"}", true)
                .await
                .expect("end"),
            Stored::Stored
        );
        let scan = b.scan().await.expect("scan");
        let parent = &scan.leases[1];
        assert!(parent.ended && parent.owner.is_none(), "{parent:?}");
        let ids: Vec<&str> = eligible(&scan)
            .iter()
            .map(|l| l.shard_id.as_str())
            .collect();
        assert_eq!(ids, ["c1"]);
        assert_eq!(
            b.stored_checkpoint("p").await.expect("read").as_deref(),
            Some("{\"sequenceNumber\":\"10\"}")
        );
        // An ended lease is never taken again; a release frees only one's own.
        let again = Claim {
            shard_id: "p".into(),
            counter: 2,
            victim: None,
        };
        assert!(a.take(&again).await.expect("take").is_none());
        let child = Claim {
            shard_id: "c1".into(),
            counter: 0,
            victim: None,
        };
        assert!(a.take(&child).await.expect("take").is_some());
        assert!(!b.release("c1").await.expect("release"));
        assert!(a.release("c1").await.expect("release"));
        a.leave().await.expect("leave");
        assert_eq!(b.scan().await.expect("scan").workers, ["b"]);
    });
    let _ = std::fs::remove_dir_all(dir);
}
