//! Where a distributed Map's items come from, one at a time: the array its
//! ItemsPath selected, or an ItemReader reading S3 as the Map Run needs
//! items (GetObject of a JSON, JSON Lines or CSV object, an S3 inventory
//! manifest's files, or the objects ListObjectsV2 lists). An object is
//! streamed: only the item being cut is held, at most 256 KiB.
//!
//! Sources: AWS guide `input-output-itemreader.html`.

use std::collections::VecDeque;
use std::io::Write as _;

use simd_json::prelude::*;
use simd_json::OwnedValue;

use super::split::{Csv, JsonArray, Lines, SplitError};
use crate::compile::distributed::{CsvHeaders, InputType, ItemReader, ReaderSource};
use crate::errors::{names, ExecError, MAX_PAYLOAD_BYTES};
use crate::json::{Object, Value};
use crate::tasks::aws_sdk::{AwsSdk, ObjectBody};

/// The largest CSV header row: 10 KiB (AWS guide, "CSVHeaderLocation").
const MAX_CSV_HEADER_BYTES: usize = 10 * 1024;
/// The largest manifest read whole (bytes).
const MAX_MANIFEST_BYTES: usize = 16 * 1024 * 1024;

/// `States.ItemReaderFailed` with `cause`.
pub(super) fn reader_failed(cause: impl Into<String>) -> ExecError {
    ExecError::new(names::ITEM_READER_FAILED, cause)
}

/// The items of one Map Run, pulled one by one.
pub(super) enum Items<'v> {
    /// The array ItemsPath / Items selected.
    Array(std::slice::Iter<'v, Value>),
    /// Items cut from S3 objects.
    S3(Box<S3Items>),
}

impl Items<'_> {
    /// The next item, `None` after the last.
    ///
    /// # Errors
    /// `States.ItemReaderFailed` when reading or cutting fails.
    pub(super) async fn next(&mut self) -> Result<Option<Value>, ExecError> {
        match self {
            Items::Array(it) => Ok(it.next().cloned()),
            Items::S3(s3) => s3.next().await,
        }
    }
}

/// How an object's bytes become items.
enum Framing {
    Json(JsonArray),
    Jsonl(Lines),
    Csv {
        rows: Box<Csv>,
        /// The column names, once known.
        headers: Option<Vec<String>>,
    },
}

/// One object being read.
struct Object1 {
    body: ObjectBody,
    framing: Framing,
    /// Decompresses a gzip object (S3 inventory files).
    gzip: Option<flate2::write::GzDecoder<Vec<u8>>>,
    done: bool,
}

impl Object1 {
    fn new(body: ObjectBody, framing: Framing, gzip: bool) -> Self {
        Object1 {
            body,
            framing,
            gzip: gzip.then(|| flate2::write::GzDecoder::new(Vec::new())),
            done: false,
        }
    }

    /// The next item of this object.
    async fn next(&mut self) -> Result<Option<Value>, ExecError> {
        loop {
            if let Some(item) = self.pop()? {
                return Ok(Some(item));
            }
            if self.done {
                return Ok(None);
            }
            match self
                .body
                .chunk()
                .await
                .map_err(|e| reader_failed(e.cause))?
            {
                Some(chunk) => self.feed(&chunk)?,
                None => {
                    self.feed_end()?;
                    self.done = true;
                }
            }
        }
    }

    fn feed(&mut self, chunk: &[u8]) -> Result<(), ExecError> {
        match &mut self.gzip {
            Some(gz) => {
                gz.write_all(chunk)
                    .map_err(|e| reader_failed(format!("The object is not valid gzip: {e}")))?;
                let plain = std::mem::take(gz.get_mut());
                self.cut(&plain)
            }
            None => self.cut(chunk),
        }
    }

    fn feed_end(&mut self) -> Result<(), ExecError> {
        if let Some(gz) = &mut self.gzip {
            gz.try_finish()
                .map_err(|e| reader_failed(format!("The object is not valid gzip: {e}")))?;
            let plain = std::mem::take(gz.get_mut());
            self.cut(&plain)?;
        }
        let split = |e: SplitError| reader_failed(e.0);
        match &mut self.framing {
            Framing::Json(j) => j.finish().map_err(split),
            Framing::Jsonl(l) => {
                l.finish();
                Ok(())
            }
            Framing::Csv { rows, .. } => rows.feed(&[]).map_err(split),
        }
    }

    fn cut(&mut self, bytes: &[u8]) -> Result<(), ExecError> {
        let split = |e: SplitError| reader_failed(e.0);
        let pending = match &mut self.framing {
            Framing::Json(j) => {
                j.feed(bytes).map_err(split)?;
                j.pending()
            }
            Framing::Jsonl(l) => {
                l.feed(bytes);
                l.pending()
            }
            Framing::Csv { rows, .. } => {
                rows.feed(bytes).map_err(split)?;
                rows.pending()
            }
        };
        if pending > MAX_PAYLOAD_BYTES {
            return Err(too_big());
        }
        Ok(())
    }

    fn pop(&mut self) -> Result<Option<Value>, ExecError> {
        match &mut self.framing {
            Framing::Json(j) => j.pop().map(|b| parse(&b)).transpose(),
            Framing::Jsonl(l) => l.pop().map(|b| parse(&b)).transpose(),
            Framing::Csv { rows, headers } => loop {
                let Some(row) = rows.pop() else {
                    return Ok(None);
                };
                let Some(h) = headers else {
                    if row.iter().map(String::len).sum::<usize>() > MAX_CSV_HEADER_BYTES {
                        return Err(reader_failed(format!(
                            "The CSV header is longer than {MAX_CSV_HEADER_BYTES} bytes."
                        )));
                    }
                    *headers = Some(check_headers(row)?);
                    continue;
                };
                let mut o = Object::with_capacity(h.len());
                let mut fields = row.into_iter();
                for name in h.iter() {
                    o.insert(
                        name.clone(),
                        OwnedValue::String(fields.next().unwrap_or_default()),
                    );
                }
                return Ok(Some(OwnedValue::Object(Box::new(o))));
            },
        }
    }
}

fn too_big() -> ExecError {
    reader_failed(format!(
        "An item of the ItemReader's object is larger than the maximum of {MAX_PAYLOAD_BYTES} bytes."
    ))
}

fn parse(bytes: &[u8]) -> Result<Value, ExecError> {
    if bytes.len() > MAX_PAYLOAD_BYTES {
        return Err(too_big());
    }
    let text =
        std::str::from_utf8(bytes).map_err(|_| reader_failed("The object is not valid UTF-8."))?;
    crate::json::parse(text).map_err(|e| reader_failed(format!("The item is not valid JSON: {e}")))
}

fn check_headers(h: Vec<String>) -> Result<Vec<String>, ExecError> {
    let mut seen = std::collections::HashSet::new();
    if h.iter().any(|n| !seen.insert(n.as_str())) {
        return Err(reader_failed("CSV headers cannot contain duplicates."));
    }
    Ok(h)
}

/// What an S3 ItemReader is reading now.
enum Current {
    /// Nothing open yet / between manifest files.
    Idle,
    /// One object.
    Object(Box<Object1>),
}

/// The items an ItemReader reads from S3.
pub(super) struct S3Items {
    sdk: AwsSdk,
    region: Option<String>,
    source: ReaderSource,
    input_type: Option<InputType>,
    headers: CsvHeaders,
    delimiter: u8,
    /// The rendered Parameters (Bucket, Key / Prefix…).
    params: Value,
    /// MaxItems left, if limited.
    left: Option<u64>,
    current: Current,
    /// ListObjectsV2: items of the last page not given yet, and the token
    /// of the next page (`Some("")`: the first page is still to read).
    listed: VecDeque<Value>,
    continuation: Option<String>,
    /// S3 inventory: the files still to read (bucket, key) and the columns.
    files: VecDeque<(String, String)>,
    schema: Vec<String>,
    started: bool,
}

impl S3Items {
    /// A reader of `reader` with its rendered `params`, giving at most
    /// `max_items` items.
    ///
    /// # Errors
    /// `States.ItemReaderFailed` for what expressway does not read
    /// (PARQUET, Athena manifests, LOAD_AND_FLATTEN).
    pub(super) fn new(
        sdk: AwsSdk,
        reader: &ItemReader,
        params: Value,
        max_items: Option<u64>,
    ) -> Result<Self, ExecError> {
        if reader.input_type == Some(InputType::Parquet)
            || reader.athena_manifest
            || reader.load_and_flatten
            || reader.items_pointer.is_some()
        {
            return Err(reader_failed(
                "expressway does not read this ItemReader configuration (PARQUET, ATHENA_DATA manifests, LOAD_AND_FLATTEN and ItemsPointer are not supported)",
            ));
        }
        let region = reader
            .resource
            .split(':')
            .nth(3)
            .filter(|r| !r.is_empty())
            .map(str::to_owned);
        Ok(S3Items {
            sdk,
            region,
            source: reader.source,
            input_type: reader.input_type,
            headers: reader.csv_headers.clone(),
            delimiter: reader.csv_delimiter,
            params,
            left: max_items.filter(|m| *m > 0),
            current: Current::Idle,
            listed: VecDeque::new(),
            continuation: Some(String::new()),
            files: VecDeque::new(),
            schema: Vec::new(),
            started: false,
        })
    }

    async fn next(&mut self) -> Result<Option<Value>, ExecError> {
        if self.left == Some(0) {
            return Ok(None);
        }
        let item = match self.source {
            ReaderSource::ListObjectsV2 => self.next_listed().await?,
            ReaderSource::GetObject if self.input_type == Some(InputType::Manifest) => {
                self.next_inventory().await?
            }
            ReaderSource::GetObject => self.next_in_object().await?,
        };
        if item.is_some() {
            if let Some(l) = &mut self.left {
                *l -= 1;
            }
        }
        Ok(item)
    }

    fn framing(&self) -> Framing {
        match self.input_type {
            Some(InputType::Jsonl) => Framing::Jsonl(Lines::default()),
            Some(InputType::Csv) => Framing::Csv {
                rows: Box::new(Csv::new(self.delimiter)),
                headers: match &self.headers {
                    CsvHeaders::FirstRow => None,
                    CsvHeaders::Given(h) => Some(h.clone()),
                },
            },
            _ => Framing::Json(JsonArray::default()),
        }
    }

    async fn open(&self, params: &Value) -> Result<ObjectBody, ExecError> {
        self.sdk
            .s3_get_stream(self.region.as_deref(), params, None)
            .await
            .map_err(|e| reader_failed(e.cause))
    }

    async fn next_in_object(&mut self) -> Result<Option<Value>, ExecError> {
        if !self.started {
            self.started = true;
            if let Some(h) = match &self.headers {
                CsvHeaders::Given(h) => Some(h.clone()),
                CsvHeaders::FirstRow => None,
            } {
                check_headers(h)?;
            }
            let body = self.open(&self.params).await?;
            self.current = Current::Object(Box::new(Object1::new(body, self.framing(), false)));
        }
        match &mut self.current {
            Current::Object(o) => o.next().await,
            Current::Idle => Ok(None),
        }
    }

    async fn next_listed(&mut self) -> Result<Option<Value>, ExecError> {
        loop {
            if let Some(item) = self.listed.pop_front() {
                return Ok(Some(item));
            }
            let Some(token) = self.continuation.take() else {
                return Ok(None);
            };
            let mut params = self.params.clone();
            if !token.is_empty() {
                if let Some(o) = params.as_object_mut() {
                    o.insert("ContinuationToken".into(), OwnedValue::String(token));
                }
            }
            let page = self
                .sdk
                .s3_call(self.region.as_deref(), "listObjectsV2", &params)
                .await
                .map_err(|e| reader_failed(e.cause))?;
            if let Some(contents) = page.get_array("Contents") {
                self.listed.extend(contents.iter().map(listed_item));
            }
            if page.get_bool("IsTruncated") == Some(true) {
                self.continuation = page.get_str("NextContinuationToken").map(str::to_owned);
            }
        }
    }

    async fn next_inventory(&mut self) -> Result<Option<Value>, ExecError> {
        if !self.started {
            self.started = true;
            self.read_manifest().await?;
        }
        loop {
            if let Current::Object(o) = &mut self.current {
                if let Some(item) = o.next().await? {
                    return Ok(Some(item));
                }
            }
            let Some((bucket, key)) = self.files.pop_front() else {
                self.current = Current::Idle;
                return Ok(None);
            };
            let mut p = Object::with_capacity(2);
            p.insert("Bucket".into(), OwnedValue::String(bucket));
            p.insert("Key".into(), OwnedValue::String(key.clone()));
            let body = self.open(&OwnedValue::Object(Box::new(p))).await?;
            let framing = Framing::Csv {
                rows: Box::new(Csv::new(b',')),
                headers: Some(self.schema.clone()),
            };
            self.current =
                Current::Object(Box::new(Object1::new(body, framing, key.ends_with(".gz"))));
        }
    }

    /// Reads an S3 inventory `manifest.json`: its files and their columns.
    async fn read_manifest(&mut self) -> Result<(), ExecError> {
        let mut body = self.open(&self.params).await?;
        let mut bytes = Vec::new();
        while let Some(chunk) = body.chunk().await.map_err(|e| reader_failed(e.cause))? {
            bytes.extend_from_slice(&chunk);
            if bytes.len() > MAX_MANIFEST_BYTES {
                return Err(reader_failed("The manifest is too large."));
            }
        }
        let manifest = parse_manifest(&bytes)?;
        self.schema = manifest.0;
        self.files = manifest.1;
        Ok(())
    }
}

/// The columns of an S3 inventory and its files (bucket, key).
type Inventory = (Vec<String>, VecDeque<(String, String)>);

/// The columns and files (bucket, key) of an S3 inventory manifest.
fn parse_manifest(bytes: &[u8]) -> Result<Inventory, ExecError> {
    let bad = |what: &str| reader_failed(format!("The S3 inventory manifest is not valid: {what}"));
    let text = std::str::from_utf8(bytes).map_err(|_| bad("not UTF-8"))?;
    let m = crate::json::parse(text).map_err(|_| bad("not JSON"))?;
    if m.get_str("fileFormat")
        .is_some_and(|f| !f.eq_ignore_ascii_case("CSV"))
    {
        return Err(reader_failed("Only CSV S3 inventory files are supported."));
    }
    let schema: Vec<String> = m
        .get_str("fileSchema")
        .ok_or_else(|| bad("no fileSchema"))?
        .split(',')
        .map(|c| c.trim().to_owned())
        .collect();
    let bucket = m
        .get_str("destinationBucket")
        .map(|b| b.rsplit(':').next().unwrap_or(b).to_owned())
        .ok_or_else(|| bad("no destinationBucket"))?;
    let files = m
        .get_array("files")
        .ok_or_else(|| bad("no files"))?
        .iter()
        .filter_map(|f| f.get_str("key"))
        .map(|k| (bucket.clone(), k.to_owned()))
        .collect();
    Ok((schema, files))
}

/// One object of a ListObjectsV2 page as the ItemReader gives it:
/// `{Etag, Key, LastModified (epoch seconds), Size, StorageClass}`.
fn listed_item(o: &Value) -> Value {
    let mut item = Object::with_capacity(5);
    if let Some(e) = o.get("ETag") {
        item.insert("Etag".into(), e.clone());
    }
    if let Some(k) = o.get("Key") {
        item.insert("Key".into(), k.clone());
    }
    if let Some(t) = o.get("LastModified") {
        let secs = t
            .as_str()
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .map(|d| OwnedValue::from(d.timestamp()))
            .unwrap_or_else(|| t.clone());
        item.insert("LastModified".into(), secs);
    }
    if let Some(s) = o.get("Size") {
        item.insert("Size".into(), s.clone());
    }
    if let Some(c) = o.get("StorageClass") {
        item.insert("StorageClass".into(), c.clone());
    }
    OwnedValue::Object(Box::new(item))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_files_and_columns() {
        let (schema, files) = parse_manifest(
            br#"{"sourceBucket":"src","destinationBucket":"arn:aws:s3:::inv","fileFormat":"CSV",
            "fileSchema":"Bucket, Key, Size","files":[{"key":"a/1.csv.gz","size":1},{"key":"a/2.csv.gz"}]}"#,
        )
        .unwrap();
        assert_eq!(schema, ["Bucket", "Key", "Size"]);
        assert_eq!(
            Vec::from(files),
            vec![
                ("inv".to_owned(), "a/1.csv.gz".to_owned()),
                ("inv".to_owned(), "a/2.csv.gz".to_owned())
            ]
        );
        assert_eq!(
            parse_manifest(br#"{"fileFormat":"ORC","fileSchema":"a","files":[]}"#)
                .unwrap_err()
                .error,
            names::ITEM_READER_FAILED
        );
    }

    #[test]
    fn listed_items_have_aws_shape() {
        let o = crate::json::parse(
            r#"{"Key":"k","LastModified":"2022-11-17T15:44:41.000Z","ETag":"\"e\"","Size":3,"StorageClass":"STANDARD"}"#,
        )
        .unwrap();
        assert_eq!(
            crate::json::to_string(&listed_item(&o)),
            r#"{"Etag":"\"e\"","Key":"k","LastModified":1668699881,"Size":3,"StorageClass":"STANDARD"}"#
        );
    }
}
