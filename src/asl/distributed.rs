//! The distributed Map's own fields: `ItemReader`, `ItemBatcher`,
//! `ResultWriter` and `Label`, checked as AWS accepts them.
//!
//! Sources: AWS guide `input-output-itemreader.html`,
//! `input-output-itembatcher.html`, `input-output-resultwriter.html`,
//! `state-map-distributed.html` (Label); reference §3 "Map, distributed only".

use super::check::{child, is_jsonata_value, Ctx, Lang};
use super::syntax::PathKind;
use crate::json::{Object, Value};

/// The ItemReader Resources AWS serves (any partition, no region/account).
const READER_ACTIONS: [&str; 2] = ["s3:getObject", "s3:listObjectsV2"];
/// The ResultWriter Resource.
const WRITER_ACTIONS: [&str; 1] = ["s3:putObject"];
/// The longest `Label`: 40 characters (AWS guide, "Label").
const MAX_LABEL_LEN: usize = 40;
/// The most items an ItemReader may be limited to (`MaxItems`).
const MAX_ITEMS: i64 = 100_000_000;
/// The largest `MaxInputBytesPerBatch`: 256 KiB.
const MAX_BATCH_BYTES: i64 = 262_144;

/// The action when `resource` is `arn:<partition>:states:[region]:[account]:<action>`
/// for one of `actions`.
pub(crate) fn service_resource<'r>(resource: &'r str, actions: &[&str]) -> Option<&'r str> {
    let mut parts = resource.splitn(6, ':');
    let ok = parts.next() == Some("arn")
        && parts.next().is_some_and(|p| !p.is_empty())
        && parts.next() == Some("states")
        && parts.next().is_some()
        && parts.next().is_some();
    let action = parts.next()?;
    (ok && actions.contains(&action)).then_some(action)
}

/// Checks the distributed-only fields of the Map state `st` at `loc`;
/// `distributed` says whether its processor runs in DISTRIBUTED mode.
pub(super) fn fields(cx: &mut Ctx<'_>, st: &Object, loc: &str, lang: Lang, distributed: bool) {
    for f in ["ItemReader", "ItemBatcher", "ResultWriter"] {
        let Some(v) = st.get(f) else { continue };
        let Value::Object(o) = v else {
            cx.bad_value(loc, f, "an object");
            continue;
        };
        if !distributed {
            cx.schema(
                format!("The field '{f}' is only supported for a Map state in DISTRIBUTED mode"),
                &child(loc, f),
            );
            continue;
        }
        let here = child(loc, f);
        match f {
            "ItemReader" => reader(cx, o, &here, lang),
            "ItemBatcher" => batcher(cx, o, &here, lang),
            _ => writer(cx, o, &here, lang),
        }
    }
    if let Some(label) = cx.string(st, loc, "Label") {
        let bad = label
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>{}[]?*\"#%\\^|~`$&,;:/".contains(c));
        if label.is_empty() || label.chars().count() > MAX_LABEL_LEN || bad {
            cx.schema(
                format!(
                    "The Label must be 1 to {MAX_LABEL_LEN} characters long, without whitespace, brackets, wildcards or special characters"
                ),
                &child(loc, "Label"),
            );
        }
    }
}

/// Unknown keys of `o` (only `allowed` and, per language, the payload field).
fn known_keys(cx: &mut Ctx<'_>, o: &Object, loc: &str, allowed: &[&str]) {
    for key in o.keys() {
        if !allowed.contains(&key.as_str()) {
            cx.schema(format!("Field '{key}' is not supported"), loc);
        }
    }
}

/// `Parameters` (JSONPath, a Payload Template) or `Arguments` (JSONata).
fn payload(cx: &mut Ctx<'_>, o: &Object, loc: &str, lang: Lang, field_of_other: &str) {
    let (own, other) = match lang {
        Lang::JsonPath => ("Parameters", "Arguments"),
        Lang::Jsonata => ("Arguments", "Parameters"),
    };
    if o.contains_key(other) {
        cx.schema(
            format!(
                "The QueryLanguage is set to '{}', but field '{other}' is not supported for it in {field_of_other}",
                lang.name()
            ),
            loc,
        );
    }
    match (o.get(own), lang) {
        (None, _) => {}
        (Some(v @ Value::Object(_)), Lang::JsonPath) => cx.template(v, &child(loc, own), 1),
        (Some(v), Lang::Jsonata) if matches!(v, Value::Object(_)) || is_jsonata_value(v) => {
            cx.jsonata_value(v, &child(loc, own), 1)
        }
        (Some(_), _) => cx.bad_value(loc, own, "an object"),
    }
}

/// A resource field that must be one of `actions`.
fn resource(cx: &mut Ctx<'_>, o: &Object, loc: &str, actions: &[&str], required: bool) {
    match o.get("Resource") {
        None if required => cx.required(loc, "Resource"),
        None => {}
        Some(Value::String(r)) if service_resource(r, actions).is_some() => {}
        Some(Value::String(_)) => cx.schema(
            format!(
                "Value is not a supported resource: expected one of [{}]",
                actions
                    .iter()
                    .map(|a| format!("arn:aws:states:::{a}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            &child(loc, "Resource"),
        ),
        Some(_) => cx.bad_value(loc, "Resource", "a string"),
    }
}

/// A `<field>` integer in `min..=max` (or a JSONata expression), or a
/// `<field>Path` Reference Path (JSONPath), at most one of them.
fn count(cx: &mut Ctx<'_>, o: &Object, loc: &str, lang: Lang, field: &str, min: i64, max: i64) {
    let path = format!("{field}Path");
    cx.at_most_one(o, loc, &[field, &path]);
    if let Some(v) = o.get(field) {
        if !(lang == Lang::Jsonata && is_jsonata_value(v)) {
            cx.int_in(o, loc, field, min, max);
        }
    }
    if lang == Lang::JsonPath {
        cx.path_field(o, loc, &path, PathKind::Reference, false);
    } else if o.contains_key(&path) {
        cx.schema(
            format!("The QueryLanguage is set to 'JSONata', but field '{path}' is only supported for the 'JSONPath' QueryLanguage"),
            loc,
        );
    }
}

/// One string field whose value must be one of `values`.
fn one_of<'b>(
    cx: &mut Ctx<'_>,
    o: &'b Object,
    loc: &str,
    field: &str,
    values: &[&str],
) -> Option<&'b str> {
    let v = cx.string(o, loc, field)?;
    if !values.contains(&v) {
        cx.schema(
            format!(
                "Value should be one of the following: [{}]",
                values.join(", ")
            ),
            &child(loc, field),
        );
    }
    Some(v)
}

fn reader(cx: &mut Ctx<'_>, o: &Object, loc: &str, lang: Lang) {
    known_keys(
        cx,
        o,
        loc,
        &["Resource", "Parameters", "Arguments", "ReaderConfig"],
    );
    resource(cx, o, loc, &READER_ACTIONS, true);
    payload(cx, o, loc, lang, "ItemReader");
    let list = matches!(o.get("Resource"), Some(Value::String(r)) if r.ends_with(":listObjectsV2"));
    let Some(cfg) = o.get("ReaderConfig") else {
        if !list {
            cx.required(loc, "ReaderConfig");
        }
        return;
    };
    let cloc = child(loc, "ReaderConfig");
    let Value::Object(cfg) = cfg else {
        cx.bad_value(loc, "ReaderConfig", "an object");
        return;
    };
    known_keys(
        cx,
        cfg,
        &cloc,
        &[
            "InputType",
            "CSVHeaderLocation",
            "CSVHeaders",
            "CSVDelimiter",
            "MaxItems",
            "MaxItemsPath",
            "ManifestType",
            "Transformation",
            "ItemsPointer",
        ],
    );
    let input = one_of(
        cx,
        cfg,
        &cloc,
        "InputType",
        &["CSV", "JSON", "JSONL", "PARQUET", "MANIFEST"],
    );
    if input.is_none() && !list {
        cx.required(&cloc, "InputType");
    }
    let location = one_of(cx, cfg, &cloc, "CSVHeaderLocation", &["FIRST_ROW", "GIVEN"]);
    one_of(
        cx,
        cfg,
        &cloc,
        "CSVDelimiter",
        &["COMMA", "PIPE", "SEMICOLON", "SPACE", "TAB"],
    );
    one_of(
        cx,
        cfg,
        &cloc,
        "ManifestType",
        &["ATHENA_DATA", "S3_INVENTORY"],
    );
    one_of(
        cx,
        cfg,
        &cloc,
        "Transformation",
        &["NONE", "LOAD_AND_FLATTEN"],
    );
    cx.string(cfg, &cloc, "ItemsPointer");
    match cfg.get("CSVHeaders") {
        None if location == Some("GIVEN") => cx.required(&cloc, "CSVHeaders"),
        None => {}
        Some(Value::Array(h))
            if h.iter().all(|v| matches!(v, Value::String(_))) && location != Some("GIVEN") =>
        {
            cx.schema(
                "CSVHeaders can only be given when CSVHeaderLocation is GIVEN",
                &child(&cloc, "CSVHeaders"),
            );
        }
        Some(Value::Array(h)) if h.iter().all(|v| matches!(v, Value::String(_))) => {}
        Some(_) => cx.bad_value(&cloc, "CSVHeaders", "an array of strings"),
    }
    if location.is_some() && input.is_some_and(|t| t != "CSV") {
        cx.schema(
            "CSVHeaderLocation can only be given when InputType is CSV",
            &child(&cloc, "CSVHeaderLocation"),
        );
    }
    count(cx, cfg, &cloc, lang, "MaxItems", 0, MAX_ITEMS);
}

fn batcher(cx: &mut Ctx<'_>, o: &Object, loc: &str, lang: Lang) {
    known_keys(
        cx,
        o,
        loc,
        &[
            "MaxItemsPerBatch",
            "MaxItemsPerBatchPath",
            "MaxInputBytesPerBatch",
            "MaxInputBytesPerBatchPath",
            "BatchInput",
        ],
    );
    let limits = [
        "MaxItemsPerBatch",
        "MaxItemsPerBatchPath",
        "MaxInputBytesPerBatch",
        "MaxInputBytesPerBatchPath",
    ];
    if !limits.iter().any(|f| o.contains_key(*f)) {
        cx.schema(
            format!(
                "At least one of the following fields is required: [{}]",
                limits.join(", ")
            ),
            loc,
        );
    }
    count(cx, o, loc, lang, "MaxItemsPerBatch", 1, i64::from(i32::MAX));
    count(
        cx,
        o,
        loc,
        lang,
        "MaxInputBytesPerBatch",
        1,
        MAX_BATCH_BYTES,
    );
    match (o.get("BatchInput"), lang) {
        (None, _) => {}
        (Some(v @ Value::Object(_)), Lang::JsonPath) => {
            cx.template(v, &child(loc, "BatchInput"), 1)
        }
        (Some(v), Lang::Jsonata) if matches!(v, Value::Object(_)) || is_jsonata_value(v) => {
            cx.jsonata_value(v, &child(loc, "BatchInput"), 1)
        }
        (Some(_), _) => cx.bad_value(loc, "BatchInput", "an object"),
    }
}

fn writer(cx: &mut Ctx<'_>, o: &Object, loc: &str, lang: Lang) {
    known_keys(
        cx,
        o,
        loc,
        &["Resource", "Parameters", "Arguments", "WriterConfig"],
    );
    let has_config = o.contains_key("WriterConfig");
    resource(cx, o, loc, &WRITER_ACTIONS, !has_config);
    payload(cx, o, loc, lang, "ResultWriter");
    let own = match lang {
        Lang::JsonPath => "Parameters",
        Lang::Jsonata => "Arguments",
    };
    if o.contains_key("Resource") != o.contains_key(own) {
        cx.schema(
            format!("The fields Resource and {own} of ResultWriter must be given together"),
            loc,
        );
    }
    if let Some(cfg) = o.get("WriterConfig") {
        let cloc = child(loc, "WriterConfig");
        let Value::Object(cfg) = cfg else {
            cx.bad_value(loc, "WriterConfig", "an object");
            return;
        };
        known_keys(cx, cfg, &cloc, &["OutputType", "Transformation"]);
        one_of(cx, cfg, &cloc, "OutputType", &["JSON", "JSONL"]);
        one_of(
            cx,
            cfg,
            &cloc,
            "Transformation",
            &["NONE", "COMPACT", "FLATTEN"],
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::asl::{validate, Severity};

    /// `location` of every error for a Map state `A` with the distributed
    /// fields `fields` (members of its object), in `mode`.
    fn errors_in(fields: &str, mode: &str, jsonata: bool) -> Vec<String> {
        let lang = if jsonata {
            r#""QueryLanguage":"JSONata","#
        } else {
            ""
        };
        let def = format!(
            r#"{{{lang}"StartAt":"A","States":{{"A":{{"Type":"Map",{fields}
            "ItemProcessor":{{"ProcessorConfig":{{"Mode":"{mode}","ExecutionType":"STANDARD"}},
            "StartAt":"X","States":{{"X":{{"Type":"Succeed"}}}}}},"End":true}}}}}}"#
        );
        let v = crate::json::parse(&def).expect("test definition is JSON");
        validate(&v)
            .into_iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| d.location)
            .collect()
    }

    fn errors(fields: &str) -> Vec<String> {
        errors_in(fields, "DISTRIBUTED", false)
    }

    #[test]
    fn accepts_what_aws_documents() {
        let ok = [
            r#""ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW","MaxItems":10},"Parameters":{"Bucket":"b","Key":"k","VersionId":"v"}},"#,
            r#""ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"GIVEN","CSVHeaders":["a","b"],"CSVDelimiter":"PIPE"},"Parameters":{"Bucket.$":"$.b","Key":"k"}},"#,
            r#""ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSONL","MaxItemsPath":"$.max"},"Parameters":{"Bucket":"b","Key":"k"}},"#,
            r#""ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"MANIFEST","ManifestType":"S3_INVENTORY"},"Parameters":{"Bucket":"b","Key":"manifest.json"}},"#,
            r#""ItemReader":{"Resource":"arn:aws:states:us-east-1::s3:listObjectsV2","Parameters":{"Bucket":"b","Prefix":"p/"}},"#,
            r#""ItemBatcher":{"MaxItemsPerBatch":100,"MaxInputBytesPerBatch":262144,"BatchInput":{"k.$":"$.k"}},"#,
            r#""ItemBatcher":{"MaxItemsPerBatchPath":"$.n"},"#,
            r#""ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"b","Prefix":"p"}},"#,
            r#""ResultWriter":{"WriterConfig":{"Transformation":"FLATTEN","OutputType":"JSON"}},"#,
            r#""ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"b","Prefix":"p"},"WriterConfig":{"Transformation":"COMPACT","OutputType":"JSONL"}},"#,
            r#""Label":"csv-run_1","MaxConcurrency":10000,"ToleratedFailurePercentage":5.5,"ToleratedFailureCount":3,"#,
        ];
        for f in ok {
            assert_eq!(errors(f), Vec::<String>::new(), "{f}");
        }
        let jsonata = r#""ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON","MaxItems":"{% $states.input.n %}"},"Arguments":{"Bucket":"{% $states.input.b %}","Key":"k"}},
            "ItemBatcher":{"MaxItemsPerBatch":"{% 2 %}","BatchInput":{"a":"{% 1 %}"}},
            "ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Arguments":{"Bucket":"b","Prefix":"p"}},"#;
        assert_eq!(
            errors_in(jsonata, "DISTRIBUTED", true),
            Vec::<String>::new()
        );
    }

    #[test]
    fn refuses_with_the_pointer() {
        let cases = [
            (
                r#""ItemReader":{"Resource":"arn:aws:states:::s3:deleteObject","ReaderConfig":{"InputType":"JSON"},"Parameters":{}},"#,
                "/States/A/ItemReader/Resource",
            ),
            (
                r#""ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"XML"},"Parameters":{}},"#,
                "/States/A/ItemReader/ReaderConfig/InputType",
            ),
            (
                r#""ItemReader":{"Resource":"arn:aws:states:::s3:getObject","Parameters":{}},"#,
                "/States/A/ItemReader",
            ),
            (
                r#""ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"GIVEN"},"Parameters":{}},"#,
                "/States/A/ItemReader/ReaderConfig",
            ),
            (
                r#""ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW","CSVHeaders":["a"]},"Parameters":{}},"#,
                "/States/A/ItemReader/ReaderConfig/CSVHeaders",
            ),
            (
                r#""ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON","MaxItems":-1},"Parameters":{}},"#,
                "/States/A/ItemReader/ReaderConfig/MaxItems",
            ),
            (
                r#""ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON","MaxItems":1,"MaxItemsPath":"$.n"},"Parameters":{}},"#,
                "/States/A/ItemReader/ReaderConfig",
            ),
            (
                r#""ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON","Extra":1},"Parameters":{}},"#,
                "/States/A/ItemReader/ReaderConfig",
            ),
            (
                r#""ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON"},"Parameters":{"a.$":"nope"}},"#,
                "/States/A/ItemReader/Parameters/a.$",
            ),
            (r#""ItemBatcher":{},"#, "/States/A/ItemBatcher"),
            (
                r#""ItemBatcher":{"MaxInputBytesPerBatch":262145},"#,
                "/States/A/ItemBatcher/MaxInputBytesPerBatch",
            ),
            (
                r#""ItemBatcher":{"MaxItemsPerBatch":0},"#,
                "/States/A/ItemBatcher/MaxItemsPerBatch",
            ),
            (r#""ResultWriter":{},"#, "/States/A/ResultWriter"),
            (
                r#""ResultWriter":{"Resource":"arn:aws:states:::s3:putObject"},"#,
                "/States/A/ResultWriter",
            ),
            (
                r#""ResultWriter":{"WriterConfig":{"Transformation":"SQUASH"}},"#,
                "/States/A/ResultWriter/WriterConfig/Transformation",
            ),
            (
                r#""ResultWriter":{"WriterConfig":{"OutputType":"CSV"}},"#,
                "/States/A/ResultWriter/WriterConfig/OutputType",
            ),
            (r#""Label":"has space","#, "/States/A/Label"),
            (
                r#""Label":"abcdefghijabcdefghijabcdefghijabcdefghijX","#,
                "/States/A/Label",
            ),
        ];
        for (f, loc) in cases {
            let got = errors(f);
            assert!(
                got.iter().any(|l| l == loc),
                "{f}: expected {loc}, got {got:?}"
            );
        }
        let inline = errors_in(
            r#""ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON"},"Parameters":{}},"#,
            "INLINE",
            false,
        );
        assert_eq!(inline, ["/States/A/ItemReader"]);
        let jsonata = errors_in(
            r#""ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON"},"Parameters":{}},"#,
            "DISTRIBUTED",
            true,
        );
        assert_eq!(jsonata, ["/States/A/ItemReader"]);
    }

    #[test]
    fn a_distributed_map_with_an_item_reader_compiles() {
        let def = r#"{"StartAt":"A","States":{"A":{"Type":"Map","Label":"L",
            "ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"GIVEN","CSVHeaders":["x"],"CSVDelimiter":"SEMICOLON"},"Parameters":{"Bucket":"b","Key":"k"}},
            "ItemBatcher":{"MaxItemsPerBatch":5},
            "ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"b","Prefix":"p"}},
            "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"X","States":{"X":{"Type":"Succeed"}}},"End":true}}}"#;
        let m = crate::compile::load(def).expect("compiles");
        let crate::compile::Kind::Map(spec) = &m.graph.states[0].kind else {
            panic!("a Map")
        };
        let d = spec.distributed.as_ref().expect("distributed");
        assert_eq!(&*d.label, "L");
        assert_eq!(
            d.child_type,
            crate::compile::distributed::ChildType::Express
        );
        let r = d.reader.as_ref().expect("reader");
        assert_eq!(r.csv_delimiter, b';');
        assert_eq!(
            r.csv_headers,
            crate::compile::distributed::CsvHeaders::Given(vec!["x".into()])
        );
        assert!(d.batcher.is_some());
        assert_eq!(
            d.writer.as_ref().map(|w| w.transformation),
            Some(crate::compile::distributed::WriterTransformation::None)
        );
    }
}
