//! The distributed Map against moto's S3: ItemReader (JSON, JSON Lines,
//! CSV with a header row or given headers, ListObjectsV2, an S3 inventory
//! manifest), ItemBatcher, ResultWriter (the files' content), tolerated
//! failures, the child executions' Context Object, ItemReaderFailed /
//! ResultWriterFailed, the Map Run API, and the AWS sample
//! "distributed-map-csv-iterator" end to end.
//!
//! Objects are put and read back with boto3 (an independent client).

mod common;

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
    moto.python(&format!("import gzip\ns3 = boto3.client('s3')\n{script}"))
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
    put(
        &moto,
        "data",
        "big.jsonl",
        r#"b'1\n"' + b'x' * 300000 + b'"\n2\n'"#,
    );
    put(
        &moto,
        "data",
        "big.json",
        r#"b'[1,"' + b'x' * 300000 + b'"]'"#,
    );
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
        // An item over 256 KiB is refused before it is held whole.
        (
            r#""ReaderConfig":{"InputType":"JSONL"},"#,
            r#"{"Bucket":"data","Key":"big.jsonl"}"#,
            "An item of the ItemReader's object is larger than the maximum of 262144 bytes.",
        ),
        (
            r#""ReaderConfig":{"InputType":"JSON"},"#,
            r#"{"Bucket":"data","Key":"big.json"}"#,
            "An item of the ItemReader's object is larger than the maximum of 262144 bytes.",
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

/// The API router on 127.0.0.1:0 over an engine with `tasks`.
struct Api {
    url: String,
    client: reqwest::Client,
}

impl Api {
    async fn start(tasks: Tasks) -> Api {
        use expressway::api::{router, Config, Service};
        let service = Service::new(expressway::engine::Engine::new(tasks), Config::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, router(service)).await });
        Api {
            url: format!("http://{addr}/"),
            client: reqwest::Client::new(),
        }
    }

    async fn call(&self, op: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        let r = self
            .client
            .post(&self.url)
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", format!("AWSStepFunctions.{op}"))
            .body(body.to_string())
            .send()
            .await
            .expect("send");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or_default())
    }

    async fn create(&self, name: &str, definition: &str, ty: &str) -> String {
        let (s, b) = self
            .call(
                "CreateStateMachine",
                serde_json::json!({"name": name, "definition": definition,
                    "roleArn": "arn:aws:iam::123456789012:role/x", "type": ty}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        b["stateMachineArn"].as_str().unwrap().to_owned()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn map_run_api() {
    use serde_json::json;
    let api = Api::start(Tasks::default()).await;
    // Children wait 1 s; one at a time until UpdateMapRun raises it.
    let def = machine(
        r#""MaxConcurrency":1,"ToleratedFailurePercentage":10,"#,
        r#"{"P":{"Type":"Wait","Seconds":1,"End":true}}"#,
        "EXPRESS",
    );
    let sm = api.create("dm", &def, "STANDARD").await;
    let (s, b) = api
        .call(
            "StartExecution",
            json!({"stateMachineArn": sm, "input": "[1,2,3,4,5]"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let exec = b["executionArn"].as_str().unwrap().to_owned();
    let map_run = loop {
        let (s, b) = api.call("ListMapRuns", json!({"executionArn": exec})).await;
        assert_eq!(s, 200, "{b}");
        if let Some(r) = b["mapRuns"].get(0) {
            assert_eq!(r["executionArn"], exec.as_str());
            assert_eq!(r["stateMachineArn"], sm.as_str());
            break r["mapRunArn"].as_str().unwrap().to_owned();
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert!(
        map_run.starts_with("arn:aws:states:us-east-1:123456789012:mapRun:dm/Map:"),
        "{map_run}"
    );
    let (s, d) = api
        .call("DescribeMapRun", json!({"mapRunArn": map_run}))
        .await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["status"], "RUNNING");
    assert_eq!(d["maxConcurrency"], 1);
    assert_eq!(d["toleratedFailurePercentage"], 10.0);
    assert_eq!(d["executionCounts"]["running"], 1, "{d}");
    let (s, b) = api
        .call(
            "UpdateMapRun",
            json!({"mapRunArn": map_run, "maxConcurrency": 10, "toleratedFailureCount": 2}),
        )
        .await;
    assert_eq!((s, &b), (200, &json!({})));
    // The other children start without waiting for the first.
    let mut seen = 0;
    for _ in 0..100 {
        let (_, d) = api
            .call("DescribeMapRun", json!({"mapRunArn": map_run}))
            .await;
        seen = seen.max(d["executionCounts"]["running"].as_u64().unwrap_or(0));
        if d["status"] != "RUNNING" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(seen >= 3, "running at once after the update: {seen}");
    let d = loop {
        let (_, d) = api
            .call("DescribeMapRun", json!({"mapRunArn": map_run}))
            .await;
        if d["status"] != "RUNNING" {
            break d;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(d["status"], "SUCCEEDED", "{d}");
    assert_eq!(d["maxConcurrency"], 10);
    assert_eq!(d["toleratedFailureCount"], 2);
    assert_eq!(d["itemCounts"]["succeeded"], 5);
    assert_eq!(d["itemCounts"]["total"], 5);
    assert_eq!(d["executionCounts"]["succeeded"], 5);
    assert!(d["stopDate"].as_f64().is_some());
    let (_, e) = api
        .call("DescribeExecution", json!({"executionArn": exec}))
        .await;
    assert_eq!(e["status"], "SUCCEEDED", "{e}");
    // Errors.
    let missing = format!("{}x", &map_run[..map_run.len() - 1]);
    let cases = [
        (
            "DescribeMapRun",
            json!({"mapRunArn": missing}),
            "ResourceNotFound",
        ),
        ("DescribeMapRun", json!({"mapRunArn": "nope"}), "InvalidArn"),
        ("DescribeMapRun", json!({"mapRunArn": sm}), "InvalidArn"),
        (
            "UpdateMapRun",
            json!({"mapRunArn": map_run}),
            "ValidationException",
        ),
        (
            "UpdateMapRun",
            json!({"mapRunArn": map_run, "maxConcurrency": 10001}),
            "ValidationException",
        ),
        (
            "UpdateMapRun",
            json!({"mapRunArn": map_run, "toleratedFailurePercentage": 101}),
            "ValidationException",
        ),
        ("ListMapRuns", json!({}), "ValidationException"),
        (
            "ListMapRuns",
            json!({"executionArn": format!("{}x", exec)}),
            "ExecutionDoesNotExist",
        ),
    ];
    for (op, body, want) in cases {
        let (s, b) = api.call(op, body.clone()).await;
        // ResourceNotFound is the one 404 of the model.
        let status = if want == "ResourceNotFound" { 404 } else { 400 };
        assert_eq!(s, status, "{op} {body}: {b}");
        assert!(
            b["__type"].as_str().unwrap_or_default().ends_with(want),
            "{op} {body}: {b}"
        );
    }
}

/// The AWS sample `distributed-map-csv-iterator`
/// (aws-samples/step-functions-workflows-collection, read with the search
/// tool): a distributed Map with EXPRESS children reads a CSV with a header
/// row from S3 (`s3:getObject`, `CSVHeaderLocation: FIRST_ROW`,
/// MaxConcurrency 100) and starts a child state machine per row
/// (`states:startExecution` with `StatePayload.$: $` and
/// `AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$: $$.Execution.Id`), which
/// writes the row to DynamoDB (`dynamodb:putItem`, `S.$` / `N.$` fields).
/// The definitions below have the sample's structure and fields, with its
/// SAM substitutions filled in; the CSV is our own data of the same shape.
#[cfg(feature = "aws")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_sample_distributed_map_csv_iterator() {
    use serde_json::json;
    let moto = Moto::start();
    boto3(
        &moto,
        r#"s3.create_bucket(Bucket='csv-bucket')
s3.put_object(Bucket='csv-bucket', Key='metrics.csv', Body='Content,VideoTitle,VideoPublishTime,Views\nvid-001,Getting started with queues,"Jan 5, 2022",1200\nvid-002,"Retries, backoff and jitter","Feb 9, 2022",845\nvid-003,Señales y eventos,"Mar 1, 2022",77\nvid-004,Workflows at scale,"Apr 30, 2022",3\n'.encode())
boto3.client('dynamodb').create_table(TableName='metadata', KeySchema=[{'AttributeName':'id','KeyType':'HASH'}], AttributeDefinitions=[{'AttributeName':'id','AttributeType':'S'}], BillingMode='PAY_PER_REQUEST')"#,
    );
    let api = Api::start(tasks(&moto)).await;
    let child = json!({
        "StartAt": "Add Item",
        "States": {"Add Item": {
            "Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:putItem",
            "Parameters": {
                "TableName": "metadata",
                "Item": {
                    "id": {"S.$": "$.StatePayload.Content"},
                    "VideoPublishTime": {"S.$": "$.StatePayload.VideoPublishTime"},
                    "VideoTitle": {"S.$": "$.StatePayload.VideoTitle"},
                    "Views": {"N.$": "$.StatePayload.Views"}
                }
            },
            "ResultPath": "$.result",
            "End": true
        }}
    });
    let child_arn = api.create("child", &child.to_string(), "STANDARD").await;
    let parent = json!({
        "StartAt": "Map",
        "States": {"Map": {
            "Type": "Map",
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                "StartAt": "Start Child Step Function",
                "States": {"Start Child Step Function": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::states:startExecution",
                    "Parameters": {
                        "StateMachineArn": child_arn,
                        "Input": {
                            "StatePayload.$": "$",
                            "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"
                        }
                    },
                    "End": true
                }}
            },
            "End": true,
            "MaxConcurrency": 100,
            "ItemReader": {
                "Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                "Parameters": {"Bucket": "csv-bucket", "Key": "metrics.csv"}
            }
        }}
    });
    let parent_arn = api
        .create("csv-iterator", &parent.to_string(), "EXPRESS")
        .await;
    let (s, b) = api
        .call(
            "StartSyncExecution",
            json!({"stateMachineArn": parent_arn, "input": "{}"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "SUCCEEDED", "{b}");
    let out: serde_json::Value = serde_json::from_str(b["output"].as_str().unwrap()).unwrap();
    let starts = out.as_array().expect("one startExecution result per row");
    assert_eq!(starts.len(), 4, "{out}");
    assert!(
        starts.iter().all(|s| s["ExecutionArn"]
            .as_str()
            .is_some_and(|a| a.contains(":execution:child:"))),
        "{out}"
    );
    // The child executions write the rows.
    let mut rows = String::new();
    for _ in 0..100 {
        rows = boto3(
            &moto,
            "items = boto3.client('dynamodb').scan(TableName='metadata')['Items']\nprint(json.dumps(sorted([(i['id']['S'], i['Views']['N'], i['VideoPublishTime']['S'], i['VideoTitle']['S']) for i in items]), ensure_ascii=False))",
        );
        if rows.matches('[').count() == 5 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        rows,
        r#"[["vid-001", "1200", "Jan 5, 2022", "Getting started with queues"], ["vid-002", "845", "Feb 9, 2022", "Retries, backoff and jitter"], ["vid-003", "77", "Mar 1, 2022", "Señales y eventos"], ["vid-004", "3", "Apr 30, 2022", "Workflows at scale"]]"#
    );
}
