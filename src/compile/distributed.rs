//! The compiled form of a distributed Map's own fields: where its items come
//! from (`ItemReader`), how they are grouped (`ItemBatcher`), where the
//! child executions' results go (`ResultWriter`), its `Label` and the child
//! executions' type.
//!
//! Sources: AWS guide `state-map-distributed.html`,
//! `input-output-itemreader.html`, `input-output-itembatcher.html`,
//! `input-output-resultwriter.html`.

use std::sync::Arc;

use simd_json::prelude::*;

use super::build::{invalid, number, payload, Result};
use super::{Number, Payload};
use crate::asl::distributed::service_resource;
use crate::json::Value;

/// The type of a distributed Map's child executions
/// (`ProcessorConfig.ExecutionType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildType {
    /// `STANDARD`.
    Standard,
    /// `EXPRESS`.
    Express,
}

/// A distributed Map's fields besides those it shares with the inline Map.
#[derive(Debug)]
pub struct Distributed {
    /// The child executions' type.
    pub child_type: ChildType,
    /// `Label`, else the state's name: the Map Run ARN and the child state
    /// machine name use it.
    pub label: Arc<str>,
    /// `ItemReader`; `None`: the items come from ItemsPath / Items.
    pub reader: Option<ItemReader>,
    /// `ItemBatcher`.
    pub batcher: Option<ItemBatcher>,
    /// `ResultWriter`.
    pub writer: Option<ResultWriter>,
}

/// The S3 API an ItemReader calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReaderSource {
    /// `s3:getObject`: the items are in one object.
    GetObject,
    /// `s3:listObjectsV2`: the items are the objects under a prefix.
    ListObjectsV2,
}

/// `ReaderConfig.InputType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputType {
    /// A JSON array.
    Json,
    /// JSON Lines: one value per line.
    Jsonl,
    /// Delimited text, one item per row.
    Csv,
    /// An S3 inventory (or Athena) manifest.
    Manifest,
    /// Apache Parquet (accepted; not read, see the README).
    Parquet,
}

/// Where a CSV's column names come from (`CSVHeaderLocation`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CsvHeaders {
    /// `FIRST_ROW`: the first row names the columns.
    FirstRow,
    /// `GIVEN`: `CSVHeaders`.
    Given(Vec<String>),
}

/// A compiled `ItemReader`.
#[derive(Debug)]
pub struct ItemReader {
    /// The S3 API called.
    pub source: ReaderSource,
    /// The Resource as written (its region, if any, is used).
    pub resource: Arc<str>,
    /// `Parameters` (JSONPath) or `Arguments` (JSONata): Bucket, Key,
    /// VersionId / Prefix….
    pub parameters: Option<Payload>,
    /// `InputType` (`None` for listObjectsV2 without a ReaderConfig).
    pub input_type: Option<InputType>,
    /// `CSVHeaderLocation` / `CSVHeaders` (default FIRST_ROW).
    pub csv_headers: CsvHeaders,
    /// `CSVDelimiter` as a byte (default `,`).
    pub csv_delimiter: u8,
    /// `MaxItems(Path)`.
    pub max_items: Option<Number>,
    /// `ManifestType` (`S3_INVENTORY` unless `ATHENA_DATA`).
    pub athena_manifest: bool,
    /// `Transformation: LOAD_AND_FLATTEN` (listObjectsV2 reads each object).
    pub load_and_flatten: bool,
    /// `ItemsPointer`: a JSON pointer to the array inside a JSON object.
    pub items_pointer: Option<String>,
}

/// A compiled `ItemBatcher`.
#[derive(Debug)]
pub struct ItemBatcher {
    /// `MaxItemsPerBatch(Path)`.
    pub max_items: Option<Number>,
    /// `MaxInputBytesPerBatch(Path)`.
    pub max_bytes: Option<Number>,
    /// `BatchInput`: added to every batch as `BatchInput`.
    pub batch_input: Option<Payload>,
}

/// `WriterConfig.Transformation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriterTransformation {
    /// Each child execution's record (ARN, input, output, status, dates).
    None,
    /// The child executions' outputs.
    Compact,
    /// The outputs, arrays flattened one level.
    Flatten,
}

/// A compiled `ResultWriter`.
#[derive(Debug)]
pub struct ResultWriter {
    /// `Parameters` / `Arguments` (Bucket, Prefix); `None` with only a
    /// WriterConfig: nothing is exported, the state output is formatted.
    pub parameters: Option<Payload>,
    /// The Resource as written, when exporting.
    pub resource: Option<Arc<str>>,
    /// `WriterConfig.Transformation` (default NONE when exporting, else COMPACT).
    pub transformation: WriterTransformation,
    /// `WriterConfig.OutputType: JSONL`.
    pub jsonl: bool,
}

fn own_payload(o: &Value, p: &str, jsonata: bool) -> Result<Option<Payload>> {
    let (field, v) = if jsonata {
        ("Arguments", o.get("Arguments"))
    } else {
        ("Parameters", o.get("Parameters"))
    };
    payload(v, field, &format!("{p}/{field}"), jsonata)
}

/// Compiles the distributed fields of the Map state `def` at `p`, or
/// `None` when its processor runs inline.
pub(super) fn compile(
    def: &Value,
    processor: &Value,
    name: &str,
    p: &str,
    jsonata: bool,
) -> Result<Option<Box<Distributed>>> {
    let config = processor.get("ProcessorConfig");
    if config.and_then(|c| c.get_str("Mode")) != Some("DISTRIBUTED") {
        return Ok(None);
    }
    let child_type = match config.and_then(|c| c.get_str("ExecutionType")) {
        Some("EXPRESS") => ChildType::Express,
        _ => ChildType::Standard,
    };
    let label: Arc<str> = def.get_str("Label").unwrap_or(name).into();
    let reader = match def.get("ItemReader") {
        Some(r) => Some(reader(r, &format!("{p}/ItemReader"), jsonata)?),
        None => None,
    };
    let batcher = match def.get("ItemBatcher") {
        Some(b) => {
            let bp = format!("{p}/ItemBatcher");
            Some(ItemBatcher {
                max_items: number(b, "MaxItemsPerBatch", &bp, jsonata)?,
                max_bytes: number(b, "MaxInputBytesPerBatch", &bp, jsonata)?,
                batch_input: payload(
                    b.get("BatchInput"),
                    "BatchInput",
                    &format!("{bp}/BatchInput"),
                    jsonata,
                )?,
            })
        }
        None => None,
    };
    let writer = match def.get("ResultWriter") {
        Some(w) => {
            let wp = format!("{p}/ResultWriter");
            let resource: Option<Arc<str>> = w.get_str("Resource").map(Into::into);
            let cfg = w.get("WriterConfig");
            let transformation = match cfg.and_then(|c| c.get_str("Transformation")) {
                Some("COMPACT") => WriterTransformation::Compact,
                Some("FLATTEN") => WriterTransformation::Flatten,
                Some(_) => WriterTransformation::None,
                None if resource.is_some() => WriterTransformation::None,
                None => WriterTransformation::Compact,
            };
            Some(ResultWriter {
                parameters: own_payload(w, &wp, jsonata)?,
                resource,
                transformation,
                jsonl: cfg.and_then(|c| c.get_str("OutputType")) == Some("JSONL"),
            })
        }
        None => None,
    };
    Ok(Some(Box::new(Distributed {
        child_type,
        label,
        reader,
        batcher,
        writer,
    })))
}

fn reader(r: &Value, p: &str, jsonata: bool) -> Result<ItemReader> {
    let resource = r
        .get_str("Resource")
        .ok_or_else(|| invalid(p, "These fields are required: [Resource]"))?;
    let source = match service_resource(resource, &["s3:getObject", "s3:listObjectsV2"]) {
        Some("s3:getObject") => ReaderSource::GetObject,
        Some(_) => ReaderSource::ListObjectsV2,
        None => {
            return Err(invalid(
                &format!("{p}/Resource"),
                "Value is not a supported ItemReader resource",
            ))
        }
    };
    let cfg = r.get("ReaderConfig");
    let cp = format!("{p}/ReaderConfig");
    let input_type = match cfg.and_then(|c| c.get_str("InputType")) {
        Some("JSON") => Some(InputType::Json),
        Some("JSONL") => Some(InputType::Jsonl),
        Some("CSV") => Some(InputType::Csv),
        Some("MANIFEST") => Some(InputType::Manifest),
        Some("PARQUET") => Some(InputType::Parquet),
        _ => None,
    };
    let csv_headers = match cfg.and_then(|c| c.get_str("CSVHeaderLocation")) {
        Some("GIVEN") => CsvHeaders::Given(
            cfg.and_then(|c| c.get_array("CSVHeaders"))
                .map(|a| {
                    a.iter()
                        .filter_map(|h| h.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        ),
        _ => CsvHeaders::FirstRow,
    };
    let csv_delimiter = match cfg.and_then(|c| c.get_str("CSVDelimiter")) {
        Some("PIPE") => b'|',
        Some("SEMICOLON") => b';',
        Some("SPACE") => b' ',
        Some("TAB") => b'\t',
        _ => b',',
    };
    let max_items = match cfg {
        Some(c) => number(c, "MaxItems", &cp, jsonata)?,
        None => None,
    };
    Ok(ItemReader {
        source,
        resource: resource.into(),
        parameters: own_payload(r, p, jsonata)?,
        input_type,
        csv_headers,
        csv_delimiter,
        max_items,
        athena_manifest: cfg.and_then(|c| c.get_str("ManifestType")) == Some("ATHENA_DATA"),
        load_and_flatten: cfg.and_then(|c| c.get_str("Transformation")) == Some("LOAD_AND_FLATTEN"),
        items_pointer: cfg
            .and_then(|c| c.get_str("ItemsPointer"))
            .map(str::to_owned),
    })
}
