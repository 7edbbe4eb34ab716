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

/// Whether `resource` is `arn:<partition>:states:::<action>` for one of `actions`.
pub(crate) fn service_resource<'r>(resource: &'r str, actions: &[&str]) -> Option<&'r str> {
    let mut parts = resource.splitn(6, ':');
    let ok = parts.next() == Some("arn")
        && parts.next().is_some_and(|p| !p.is_empty())
        && parts.next() == Some("states")
        && parts.next() == Some("")
        && parts.next() == Some("");
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
        Some(Value::Array(h)) if h.iter().all(|v| matches!(v, Value::String(_))) => {
            if location != Some("GIVEN") {
                cx.schema(
                    "CSVHeaders can only be given when CSVHeaderLocation is GIVEN",
                    &child(&cloc, "CSVHeaders"),
                );
            }
        }
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
