//! The ResultWriter: the child executions' results, as AWS exports them,
//! under `Prefix/<Map Run id>/` in S3: `SUCCEEDED_n.json`, `FAILED_n.json`,
//! `PENDING_n.json` (results of one status each, a JSON array, or JSON
//! Lines with `OutputType: JSONL`) and `manifest.json` listing them. A file
//! is written once it holds [`FILE_BYTES`], so memory stays bounded
//! whatever the number of items (AWS cuts files at 5 GB).
//!
//! Source: AWS guide `input-output-resultwriter.html`.

use simd_json::OwnedValue;

use crate::compile::distributed::WriterTransformation;
use crate::errors::{names, ExecError};
use crate::json::{Object, Value};
use crate::tasks::aws_sdk::AwsSdk;

/// The size past which a result file is written and a new one started.
pub(super) const FILE_BYTES: usize = 16 * 1024 * 1024;

/// A child execution's status, as result files group them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FileStatus {
    Succeeded,
    Failed,
    Pending,
}

impl FileStatus {
    fn name(self) -> &'static str {
        match self {
            FileStatus::Succeeded => "SUCCEEDED",
            FileStatus::Failed => "FAILED",
            FileStatus::Pending => "PENDING",
        }
    }
}

/// `States.ResultWriterFailed` with `cause`.
pub(super) fn writer_failed(cause: impl Into<String>) -> ExecError {
    ExecError::new(names::RESULT_WRITER_FAILED, cause)
}

/// One status's file being filled.
#[derive(Default)]
struct Part {
    body: Vec<u8>,
    entries: usize,
    /// Files written: (key, size).
    written: Vec<(String, usize)>,
}

/// Results on their way to S3.
pub(super) struct Writer {
    sdk: AwsSdk,
    region: Option<String>,
    bucket: String,
    /// `Prefix/<Map Run id>/` (just `<Map Run id>/` with no prefix).
    dir: String,
    jsonl: bool,
    map_run_arn: String,
    parts: [Part; 3],
}

impl Writer {
    /// A writer to `bucket` under `prefix` for the Map Run `map_run_arn`.
    pub(super) fn new(
        sdk: AwsSdk,
        resource: &str,
        bucket: String,
        prefix: &str,
        map_run_arn: &str,
        jsonl: bool,
    ) -> Self {
        let id = map_run_arn.rsplit(':').next().unwrap_or_default();
        let dir = if prefix.is_empty() {
            format!("{id}/")
        } else if prefix.ends_with('/') {
            format!("{prefix}{id}/")
        } else {
            format!("{prefix}/{id}/")
        };
        Writer {
            sdk,
            region: resource
                .split(':')
                .nth(3)
                .filter(|r| !r.is_empty())
                .map(str::to_owned),
            bucket,
            dir,
            jsonl,
            map_run_arn: map_run_arn.to_owned(),
            parts: Default::default(),
        }
    }

    fn index(status: FileStatus) -> usize {
        match status {
            FileStatus::Succeeded => 0,
            FileStatus::Failed => 1,
            FileStatus::Pending => 2,
        }
    }

    /// Adds one result (already transformed) of `status`.
    ///
    /// # Errors
    /// `States.ResultWriterFailed` when a full file cannot be written.
    pub(super) async fn add(
        &mut self,
        status: FileStatus,
        result: &Value,
    ) -> Result<(), ExecError> {
        let jsonl = self.jsonl;
        let part = &mut self.parts[Self::index(status)];
        if jsonl {
            if part.entries > 0 {
                part.body.push(b'\n');
            }
        } else {
            part.body.push(if part.entries == 0 { b'[' } else { b',' });
        }
        part.body
            .extend_from_slice(crate::json::to_string(result).as_bytes());
        part.entries += 1;
        if part.body.len() >= FILE_BYTES {
            self.flush(status).await?;
        }
        Ok(())
    }

    async fn flush(&mut self, status: FileStatus) -> Result<(), ExecError> {
        let i = Self::index(status);
        if self.parts[i].entries == 0 {
            return Ok(());
        }
        let mut body = std::mem::take(&mut self.parts[i].body);
        if !self.jsonl {
            body.push(b']');
        }
        self.parts[i].entries = 0;
        let n = self.parts[i].written.len();
        let ext = if self.jsonl { "jsonl" } else { "json" };
        let key = format!("{}{}_{n}.{ext}", self.dir, status.name());
        let size = body.len();
        self.put(&key, body).await?;
        self.parts[i].written.push((key, size));
        Ok(())
    }

    async fn put(&self, key: &str, body: Vec<u8>) -> Result<(), ExecError> {
        self.sdk
            .s3_put(
                self.region.as_deref(),
                &self.bucket,
                key,
                body,
                "application/json",
            )
            .await
            .map_err(|e| writer_failed(e.cause))
    }

    /// Writes what is left and `manifest.json`; the Map state's output
    /// `{MapRunArn, ResultWriterDetails: {Bucket, Key}}`.
    ///
    /// # Errors
    /// `States.ResultWriterFailed` when a file cannot be written.
    pub(super) async fn finish(mut self) -> Result<Value, ExecError> {
        for s in [
            FileStatus::Succeeded,
            FileStatus::Failed,
            FileStatus::Pending,
        ] {
            self.flush(s).await?;
        }
        let mut files = Object::with_capacity(3);
        for s in [
            FileStatus::Failed,
            FileStatus::Pending,
            FileStatus::Succeeded,
        ] {
            let list = self.parts[Self::index(s)]
                .written
                .iter()
                .map(|(key, size)| {
                    let mut f = Object::with_capacity(2);
                    f.insert("Key".into(), OwnedValue::String(key.clone()));
                    f.insert("Size".into(), OwnedValue::from(*size as u64));
                    OwnedValue::Object(Box::new(f))
                })
                .collect();
            files.insert(s.name().into(), OwnedValue::Array(Box::new(list)));
        }
        let mut manifest = Object::with_capacity(3);
        manifest.insert(
            "DestinationBucket".into(),
            OwnedValue::String(self.bucket.clone()),
        );
        manifest.insert(
            "MapRunArn".into(),
            OwnedValue::String(self.map_run_arn.clone()),
        );
        manifest.insert("ResultFiles".into(), OwnedValue::Object(Box::new(files)));
        let key = format!("{}manifest.json", self.dir);
        let text = crate::json::to_string(&OwnedValue::Object(Box::new(manifest)));
        self.put(&key, text.into_bytes()).await?;
        let mut details = Object::with_capacity(2);
        details.insert("Bucket".into(), OwnedValue::String(self.bucket.clone()));
        details.insert("Key".into(), OwnedValue::String(key));
        let mut out = Object::with_capacity(2);
        out.insert("MapRunArn".into(), OwnedValue::String(self.map_run_arn));
        out.insert(
            "ResultWriterDetails".into(),
            OwnedValue::Object(Box::new(details)),
        );
        Ok(OwnedValue::Object(Box::new(out)))
    }
}

/// A child execution's result as the ResultWriter keeps it:
/// `record` is its full record (ARN, input, output or error, status,
/// dates); `output` its output when it succeeded.
pub(super) fn transform(
    how: WriterTransformation,
    record: Value,
    output: Option<&Value>,
    out: &mut Vec<Value>,
) {
    match (how, output) {
        (WriterTransformation::None, _) | (_, None) => out.push(record),
        (WriterTransformation::Compact, Some(o)) => out.push(o.clone()),
        (WriterTransformation::Flatten, Some(OwnedValue::Array(a))) => {
            out.extend(a.iter().cloned())
        }
        (WriterTransformation::Flatten, Some(o)) => out.push(o.clone()),
    }
}
