//! The distributed Map against moto's S3: ItemReader (JSON, JSON Lines,
//! CSV with a header row or given headers, ListObjectsV2, an S3 inventory
//! manifest), ItemBatcher, ResultWriter (the files' content), tolerated
//! failures, the child executions' Context Object, ItemReaderFailed /
//! ResultWriterFailed, the Map Run API, and the AWS sample
//! "distributed-map-csv-iterator" end to end.
//!
//! Objects are put and read back with boto3 (an independent client).

mod common;

use std::process::Command;

use common::moto::Moto;
use expressway::json::Value;
use expressway::tasks::{AwsConfig, Credentials, Tasks};
use simd_json::prelude::*;

fn tasks(moto: &Moto) -> Tasks {
    let mut tasks = Tasks::default();
    tasks.set_aws(AwsConfig {
        endpoint_url: Some(moto.endpoint.clone()),
        region: Some("us-east-1".into()),
        credentials: Some(Credentials {
            access_key_id: "testing".into(),
            secret_access_key: "testing".into(),
            session_token: None,
        }),
    });
    tasks
}

/// Runs a Python snippet with boto3 against `moto` (`s3` is a client); its stdout.
fn boto3(moto: &Moto, script: &str) -> String {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let script = format!("import boto3, json, gzip\ns3 = boto3.client('s3')\n{script}");
    let out = Command::new(python)
        .args(["-c", &script])
        .envs(moto.env())
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Puts `body` (Python bytes/str literal) as `bucket/key`.
fn put(moto: &Moto, bucket: &str, key: &str, body: &str) {
    boto3(
        moto,
        &format!("s3.put_object(Bucket='{bucket}', Key='{key}', Body={body})"),
    );
}

/// A distributed Map machine: `map` is the Map state's extra fields (JSON
/// object members), the child executions run `processor` (a States object).
fn machine(map: &str, processor: &str, child_type: &str) -> String {
    format!(
        r#"{{"StartAt":"Map","States":{{"Map":{{"Type":"Map",{map}
        "ItemProcessor":{{"ProcessorConfig":{{"Mode":"DISTRIBUTED","ExecutionType":"{child_type}"}},
          "StartAt":"P","States":{processor}}},"End":true}}}}}}"#
    )
}

const ECHO: &str = r#"{"P":{"Type":"Pass","End":true}}"#;

async fn run(tasks: &Tasks, def: &str, input: &str) -> Result<Value, (String, String)> {
    let o = common::run_with(tasks.clone(), def, input).await;
    match o.output {
        Some(v) => Ok(v),
        None => Err((o.error.unwrap_or_default(), o.cause.unwrap_or_default())),
    }
}

fn text(v: &Value) -> String {
    expressway::json::to_string(v)
}

fn reader(resource: &str, config: &str, params: &str) -> String {
    format!(
        r#""ItemReader":{{"Resource":"arn:aws:states:::s3:{resource}",{config}"Parameters":{params}}},"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item_readers_json_jsonl_csv() {
    let moto = Moto::start();
    let t = tasks(&moto);
    boto3(&moto, "s3.create_bucket(Bucket='data')");
    put(
        &moto,
        "data",
        "a.json",
        r#"b'[{"id": 1}, {"id": 2, "tags": ["x", "]"]}, 3]'"#,
    );
    put(
        &moto,
        "data",
        "a.jsonl",
        r#"b'{"id": 1}\n\n{"id": 2}\r\n"three"'"#,
    );
    put(
        &moto,
        "data",
        "a.csv",
        r#"b'name,qty\nwidget,"1,5"\n"say ""hi""",2\nshort\n'"#,
    );
    put(&moto, "data", "b.tsv", r#"b'p\t7\nq\t8\n'"#);
    put(&moto, "data", "obj.json", r#"b'{"not": "an array"}'"#);
    let cases = [
        (
            r#""ReaderConfig":{"InputType":"JSON"},"#,
            r#"{"Bucket":"data","Key":"a.json"}"#,
            r#"[{"id":1},{"id":2,"tags":["x","]"]},3]"#,
        ),
        (
            r#""ReaderConfig":{"InputType":"JSONL","MaxItems":2},"#,
            r#"{"Bucket":"data","Key":"a.jsonl"}"#,
            r#"[{"id":1},{"id":2}]"#,
        ),
        (
            r#""ReaderConfig":{"InputType":"JSONL"},"#,
            r#"{"Bucket":"data","Key.$":"$.key"}"#,
            r#"[{"id":1},{"id":2},"three"]"#,
        ),
        (
            r#""ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW"},"#,
            r#"{"Bucket":"data","Key":"a.csv"}"#,
            r#"[{"name":"widget","qty":"1,5"},{"name":"say \"hi\"","qty":"2"},{"name":"short","qty":""}]"#,
        ),
        (
            r#""ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"GIVEN","CSVHeaders":["k","v"],"CSVDelimiter":"TAB"},"#,
            r#"{"Bucket":"data","Key":"b.tsv"}"#,
            r#"[{"k":"p","v":"7"},{"k":"q","v":"8"}]"#,
        ),
    ];
    for (config, params, want) in cases {
        let def = machine(&reader("getObject", config, params), ECHO, "STANDARD");
        let got = run(&t, &def, r#"{"key":"a.jsonl"}"#).await;
        assert_eq!(got.map(|v| text(&v)), Ok(want.to_owned()), "{config}");
    }
    // Not an array; a missing object; duplicate CSV headers.
    let failures = [
        (
            r#""ReaderConfig":{"InputType":"JSON"},"#,
            r#"{"Bucket":"data","Key":"obj.json"}"#,
            "Attempting to map over non-iterable node.",
        ),
        (
            r#""ReaderConfig":{"InputType":"JSON"},"#,
            r#"{"Bucket":"data","Key":"missing.json"}"#,
            "The specified key does not exist.",
        ),
        (
            r#""ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"GIVEN","CSVHeaders":["a","a"]},"#,
            r#"{"Bucket":"data","Key":"a.csv"}"#,
            "CSV headers cannot contain duplicates.",
        ),
    ];
    for (config, params, cause) in failures {
        let def = machine(&reader("getObject", config, params), ECHO, "EXPRESS");
        let (error, got) = run(&t, &def, "{}").await.unwrap_err();
        assert_eq!(error, "States.ItemReaderFailed", "{got}");
        assert!(got.starts_with(cause), "{got}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_objects_v2_and_inventory_manifest() {
    let moto = Moto::start();
    let t = tasks(&moto);
    boto3(&moto, "s3.create_bucket(Bucket='imgs')");
    for k in ["in/a.jpg", "in/b.jpg", "in/c.jpg", "other/d.jpg"] {
        put(&moto, "imgs", k, "b'12345'");
    }
    let def = machine(
        r#""ItemReader":{"Resource":"arn:aws:states:::s3:listObjectsV2","Parameters":{"Bucket":"imgs","Prefix":"in/","MaxKeys":2}},"#,
        ECHO,
        "EXPRESS",
    );
    let got = run(&t, &def, "{}").await.expect("runs");
    let items = got.as_array().expect("array");
    // Three objects over two pages (MaxKeys 2).
    assert_eq!(items.len(), 3, "{}", text(&got));
    let keys: Vec<_> = items.iter().filter_map(|i| i.get_str("Key")).collect();
    assert_eq!(keys, ["in/a.jpg", "in/b.jpg", "in/c.jpg"]);
    let first = &items[0];
    let mut fields: Vec<_> = first.as_object().unwrap().keys().cloned().collect();
    fields.sort();
    assert_eq!(
        fields,
        ["Etag", "Key", "LastModified", "Size", "StorageClass"]
    );
    assert_eq!(first.get("Size").and_then(|s| s.as_u64()), Some(5));
    assert!(first
        .get("LastModified")
        .is_some_and(|t| t.as_i64().is_some()));

    // An S3 inventory: manifest.json naming gzip CSV files.
    boto3(
        &moto,
        r#"s3.create_bucket(Bucket='inv')
s3.put_object(Bucket='inv', Key='data/1.csv.gz', Body=gzip.compress(b'"imgs","in/a.jpg","5"\n"imgs","in/b.jpg","5"\n'))
s3.put_object(Bucket='inv', Key='data/2.csv.gz', Body=gzip.compress(b'"imgs","in/c.jpg","5"\n'))
s3.put_object(Bucket='inv', Key='manifest.json', Body=json.dumps({"sourceBucket":"imgs","destinationBucket":"arn:aws:s3:::inv","fileFormat":"CSV","fileSchema":"Bucket, Key, Size","files":[{"key":"data/1.csv.gz"},{"key":"data/2.csv.gz"}]}))"#,
    );
    let def = machine(
        &reader(
            "getObject",
            r#""ReaderConfig":{"InputType":"MANIFEST"},"#,
            r#"{"Bucket":"inv","Key":"manifest.json"}"#,
        ),
        ECHO,
        "EXPRESS",
    );
    let got = run(&t, &def, "{}").await.expect("runs");
    assert_eq!(
        text(&got),
        r#"[{"Bucket":"imgs","Key":"in/a.jpg","Size":"5"},{"Bucket":"imgs","Key":"in/b.jpg","Size":"5"},{"Bucket":"imgs","Key":"in/c.jpg","Size":"5"}]"#
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_selectors_and_child_context() {
    let t = Tasks::default();
    // ItemSelector per item, then batches of 2 with BatchInput.
    let def = machine(
        r#""ItemsPath":"$.items","ItemSelector":{"v.$":"$$.Map.Item.Value","i.$":"$$.Map.Item.Index"},
        "ItemBatcher":{"MaxItemsPerBatch":2,"BatchInput":{"run.$":"$.run"}},"#,
        ECHO,
        "STANDARD",
    );
    let got = run(&t, &def, r#"{"run":"r1","items":["a","b","c"]}"#).await;
    assert_eq!(
        got.map(|v| text(&v)),
        Ok(r#"[{"BatchInput":{"run":"r1"},"Items":[{"v":"a","i":0},{"v":"b","i":1}]},{"BatchInput":{"run":"r1"},"Items":[{"v":"c","i":2}]}]"#.into())
    );
    // MaxInputBytesPerBatch: `{"Items":[...]}` stays within 33 bytes.
    let def = machine(
        r#""ItemBatcher":{"MaxInputBytesPerBatch":33},"#,
        ECHO,
        "STANDARD",
    );
    let got = run(&t, &def, r#"["aaaaaaaa","bbbbbbbb","cccccccc"]"#)
        .await
        .unwrap();
    assert_eq!(
        text(&got),
        r#"[{"Items":["aaaaaaaa","bbbbbbbb"]},{"Items":["cccccccc"]}]"#
    );
    // Each child execution has its own Context Object; outer variables are
    // not visible.
    let def = r#"{"StartAt":"Set","States":{
        "Set":{"Type":"Pass","Assign":{"outer":1},"Next":"Map"},
        "Map":{"Type":"Map","Label":"Lbl","ItemsPath":"$.items",
        "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
          "StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{
            "id.$":"$$.Execution.Id","name.$":"$$.Execution.Name","input.$":"$$.Execution.Input",
            "sm.$":"$$.StateMachine.Id","smName.$":"$$.StateMachine.Name","redrive.$":"$$.Execution.RedriveCount"},"End":true}}},
        "End":true}}}"#;
    let got = run(&t, def, r#"{"items":[{"x":1}]}"#).await.unwrap();
    let c = &got.as_array().unwrap()[0];
    let name = c.get_str("name").unwrap();
    assert_eq!(
        c.get_str("id").unwrap(),
        format!("arn:aws:states:us-east-1:123456789012:execution:test/Lbl:{name}")
    );
    assert_eq!(text(c.get("input").unwrap()), r#"{"x":1}"#);
    assert_eq!(
        c.get_str("sm"),
        Some("arn:aws:states:us-east-1:123456789012:stateMachine:test/Lbl")
    );
    assert_eq!(c.get_str("smName"), Some("test/Lbl"));
    assert_eq!(c.get("redrive").and_then(|r| r.as_u64()), Some(0));
    let def = r#"{"StartAt":"Set","States":{
        "Set":{"Type":"Pass","Assign":{"outer":1},"Next":"Map"},
        "Map":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},
          "StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"o.$":"$outer"},"End":true}}},
        "End":true}}}"#;
    let (error, _) = run(&t, def, "[1]").await.unwrap_err();
    // The child's failure (no outer variable) is not tolerated.
    assert_eq!(error, "States.ExceedToleratedFailureThreshold");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tolerated_failures() {
    let t = Tasks::default();
    let fail_odd = r#"{"P":{"Type":"Choice","Choices":[{"Variable":"$","NumericEquals":1,"Next":"F"},{"Variable":"$","NumericEquals":3,"Next":"F"}],"Default":"OK"},
        "F":{"Type":"Fail","Error":"Odd","Cause":"odd item"},"OK":{"Type":"Pass","End":true}}"#;
    let input = "[0,1,2,3]";
    let cases = [
        ("", Err("States.ExceedToleratedFailureThreshold")),
        (
            r#""ToleratedFailureCount":1,"#,
            Err("States.ExceedToleratedFailureThreshold"),
        ),
        (r#""ToleratedFailureCount":2,"#, Ok(())),
        (
            r#""ToleratedFailurePercentage":49,"#,
            Err("States.ExceedToleratedFailureThreshold"),
        ),
        (r#""ToleratedFailurePercentage":50,"#, Ok(())),
        (
            r#""ToleratedFailureCountPath":"$$.Execution.Input[2]","#,
            Ok(()),
        ),
    ];
    for (fields, want) in cases {
        let def = machine(fields, fail_odd, "STANDARD");
        match (run(&t, &def, input).await, want) {
            (Ok(v), Ok(())) => assert_eq!(
                text(&v),
                r#"[0,{"Error":"Odd","Cause":"odd item"},2,{"Error":"Odd","Cause":"odd item"}]"#,
                "{fields}"
            ),
            (Err((e, c)), Err(want)) => {
                assert_eq!(e, want, "{fields}");
                assert_eq!(c, "The specified tolerated failure threshold was exceeded");
            }
            (got, _) => panic!("{fields}: {got:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn result_writer_files() {
    let moto = Moto::start();
    let t = tasks(&moto);
    boto3(&moto, "s3.create_bucket(Bucket='out')");
    let fail_one = r#"{"P":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericEquals":1,"Next":"F"}],"Default":"OK"},
        "F":{"Type":"Fail","Error":"One","Cause":"item one"},"OK":{"Type":"Pass","Result":{"ok":true},"End":true}}"#;
    let def = machine(
        r#""ToleratedFailureCount":1,"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"out","Prefix":"runs"}},"#,
        fail_one,
        "STANDARD",
    );
    let got = run(&t, &def, r#"[{"n":0},{"n":1},{"n":2}]"#)
        .await
        .expect("runs");
    let arn = got.get_str("MapRunArn").expect("MapRunArn").to_owned();
    assert!(
        arn.starts_with("arn:aws:states:us-east-1:123456789012:mapRun:test/Map:"),
        "{arn}"
    );
    let id = arn.rsplit(':').next().unwrap();
    let details = got.get("ResultWriterDetails").expect("details");
    assert_eq!(details.get_str("Bucket"), Some("out"));
    let key = format!("runs/{id}/manifest.json");
    assert_eq!(details.get_str("Key"), Some(key.as_str()));
    let read = |k: &str| {
        boto3(
            &moto,
            &format!("print(s3.get_object(Bucket='out', Key='{k}')['Body'].read().decode())"),
        )
    };
    let manifest = expressway::json::parse(&read(&key)).unwrap();
    assert_eq!(manifest.get_str("DestinationBucket"), Some("out"));
    assert_eq!(manifest.get_str("MapRunArn"), Some(arn.as_str()));
    let files = manifest.get("ResultFiles").unwrap();
    let succeeded = files.get_array("SUCCEEDED").unwrap();
    assert_eq!(files.get_array("PENDING").map(Vec::len), Some(0));
    assert_eq!(succeeded.len(), 1);
    let skey = succeeded[0].get_str("Key").unwrap();
    assert_eq!(skey, format!("runs/{id}/SUCCEEDED_0.json"));
    let body = read(skey);
    assert_eq!(
        succeeded[0].get("Size").and_then(|s| s.as_u64()),
        Some(body.len() as u64)
    );
    let ok = expressway::json::parse(&body).unwrap();
    let ok = ok.as_array().unwrap();
    assert_eq!(ok.len(), 2);
    let mut inputs: Vec<_> = ok.iter().filter_map(|r| r.get_str("Input")).collect();
    inputs.sort();
    assert_eq!(inputs, [r#"{"n":0}"#, r#"{"n":2}"#]);
    let r = &ok[0];
    assert_eq!(r.get_str("Status"), Some("SUCCEEDED"));
    assert_eq!(r.get_str("Output"), Some(r#"{"ok":true}"#));
    assert_eq!(
        r.get_str("StateMachineArn"),
        Some("arn:aws:states:us-east-1:123456789012:stateMachine:test/Map")
    );
    assert!(r.get_str("ExecutionArn").is_some_and(
        |a| a.starts_with("arn:aws:states:us-east-1:123456789012:execution:test/Map:")
    ));
    let failed = files.get_array("FAILED").unwrap();
    let bad = expressway::json::parse(&read(failed[0].get_str("Key").unwrap())).unwrap();
    let bad = &bad.as_array().unwrap()[0];
    assert_eq!(bad.get_str("Status"), Some("FAILED"));
    assert_eq!(bad.get_str("Error"), Some("One"));
    assert_eq!(bad.get_str("Cause"), Some("item one"));
    assert!(bad.get("Output").is_none());

    // WriterConfig: COMPACT outputs as JSON Lines.
    let def = machine(
        r#""ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"out","Prefix":"c/"},
           "WriterConfig":{"Transformation":"COMPACT","OutputType":"JSONL"}},"#,
        ECHO,
        "EXPRESS",
    );
    let got = run(&t, &def, "[1,2]").await.expect("runs");
    let key = got
        .get("ResultWriterDetails")
        .unwrap()
        .get_str("Key")
        .unwrap();
    assert!(key.starts_with("c/") && !key.starts_with("c//"), "{key}");
    let manifest = expressway::json::parse(&read(key)).unwrap();
    let skey = manifest
        .get("ResultFiles")
        .unwrap()
        .get_array("SUCCEEDED")
        .unwrap()[0]
        .get_str("Key")
        .unwrap()
        .to_owned();
    assert!(skey.ends_with("SUCCEEDED_0.jsonl"), "{skey}");
    let mut lines: Vec<String> = read(&skey).lines().map(str::to_owned).collect();
    lines.sort();
    assert_eq!(lines, ["1", "2"]);
    // WriterConfig only: the formatted results are the state output.
    let def = machine(
        r#""ResultWriter":{"WriterConfig":{"Transformation":"FLATTEN","OutputType":"JSON"}},"#,
        ECHO,
        "EXPRESS",
    );
    assert_eq!(
        run(&t, &def, "[[1,2],[3],4]").await.map(|v| text(&v)),
        Ok("[1,2,3,4]".into())
    );
    // A bucket that does not exist.
    let def = machine(
        r#""ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"nope","Prefix":"p"}},"#,
        ECHO,
        "EXPRESS",
    );
    let (error, cause) = run(&t, &def, "[1]").await.unwrap_err();
    assert_eq!(error, "States.ResultWriterFailed", "{cause}");
}
