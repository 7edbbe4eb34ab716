//! The JSON-lines source (`expressway consume file EVENTS.jsonl`, `-` for
//! standard input): one execution per line, or with a batch size one per
//! batch of lines given as an SQS event ([`batch`](super::batch)); the
//! report, dead-letter and checkpoint files.
//!
//! Line numbers (from 1) are the record ids: the checkpoint file holds the
//! highest line number below which every line finished, and a restart with
//! the same checkpoint skips those lines. Blank lines carry nothing: they are
//! not run nor reported, only checkpointed with the next line.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader, Lines};

use super::batch::{self, EventSource};
use super::{CheckpointFile, Pipeline, Record, Sink, Source, Unit, Work};
use crate::engine::{ExecutionOutcome, ExecutionStatus};
use crate::errors::{ExecError, MAX_PAYLOAD_BYTES};
use crate::start::Starter;

/// `StartExecution`'s error for input that is not JSON (reference §1).
pub const INVALID_EXECUTION_INPUT: &str = "InvalidExecutionInput";
/// `StartExecution`'s error for input over 262,144 bytes.
pub const VALIDATION_EXCEPTION: &str = "ValidationException";
/// The error of a batch record listed in the output's `batchItemFailures`.
pub const BATCH_ITEM_FAILURE: &str = "BatchItemFailure";

/// Reads lines and groups them into [`Work`].
pub struct LineSource<R> {
    lines: Lines<BufReader<R>>,
    line: u64,
    skip_through: u64,
    skipped: u64,
    batch: Option<usize>,
    /// The first blank line not yet settled with a unit.
    gap_from: Option<u64>,
    event_source: EventSource,
}

impl<R: AsyncRead + Unpin + Send> LineSource<R> {
    /// Lines of `reader`; lines up to `skip_through` are skipped (already
    /// checkpointed). `batch`: `None` or `Some(1)`… one execution per line
    /// with the line as input; `Some(n)`, n ≥ 1, one execution per up to `n`
    /// lines with an SQS event as input (`Some(1)` gives one-record events).
    pub fn new(
        reader: R,
        skip_through: u64,
        batch: Option<usize>,
        event_source: EventSource,
    ) -> Self {
        LineSource {
            lines: BufReader::new(reader).lines(),
            line: 0,
            skip_through,
            skipped: 0,
            batch: batch.map(|n| n.max(1)),
            gap_from: None,
            event_source,
        }
    }

    /// Lines skipped because the checkpoint covered them.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// The next non-blank line past the checkpoint.
    async fn next_record(&mut self) -> io::Result<Option<Record>> {
        while let Some(text) = self.lines.next_line().await? {
            self.line += 1;
            if self.line <= self.skip_through {
                self.skipped += 1;
                continue;
            }
            if text.trim().is_empty() {
                self.gap_from.get_or_insert(self.line);
                continue;
            }
            return Ok(Some(Record {
                id: self.line,
                body: text,
            }));
        }
        Ok(None)
    }

    fn unit(&mut self, records: Vec<Record>) -> Unit {
        let first_id = records.first().map_or(self.line, |r| r.id);
        Unit {
            first: self.gap_from.take().unwrap_or(first_id).min(first_id),
            records,
        }
    }
}

/// The input of one line: the line parsed as JSON.
///
/// # Errors
/// `ValidationException` over 262,144 bytes, `InvalidExecutionInput` when
/// the line is not JSON (what `StartExecution` answers).
pub fn line_input(text: &str) -> Result<crate::Value, ExecError> {
    if text.len() > MAX_PAYLOAD_BYTES {
        return Err(too_large(text.len()));
    }
    crate::json::parse(text).map_err(|e| {
        ExecError::new(
            INVALID_EXECUTION_INPUT,
            format!("Invalid State Machine Execution Input: '{e}'"),
        )
    })
}

pub(crate) fn too_large(bytes: usize) -> ExecError {
    ExecError::new(
        VALIDATION_EXCEPTION,
        format!(
            "1 validation error detected: Value at 'input' failed to satisfy constraint: \
             Member must have length less than or equal to {MAX_PAYLOAD_BYTES} (got {bytes} bytes)"
        ),
    )
}

/// The input of a batch: its SQS event.
///
/// # Errors
/// `ValidationException` when the event is over 262,144 bytes.
pub fn batch_input(records: &[Record], source: &EventSource) -> Result<crate::Value, ExecError> {
    let now_ms = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let event = batch::sqs_event(records, source, now_ms);
    // Escaping grows a body at most 6× (`\u00XX`); a record's other fields
    // take well under 1 KiB. Serialise to measure only near the limit.
    let bodies: usize = records.iter().map(|r| r.body.len()).sum();
    if bodies
        .saturating_mul(6)
        .saturating_add(records.len().saturating_mul(1024))
        > MAX_PAYLOAD_BYTES
    {
        let size = crate::json::to_string(&event).len();
        if size > MAX_PAYLOAD_BYTES {
            return Err(too_large(size));
        }
    }
    Ok(event)
}

impl<R: AsyncRead + Unpin + Send> Source for LineSource<R> {
    async fn next(&mut self) -> io::Result<Option<Work>> {
        let Some(size) = self.batch else {
            let Some(record) = self.next_record().await? else {
                return Ok(None);
            };
            let input = line_input(&record.body);
            let unit = self.unit(vec![record]);
            return Ok(Some(Work { unit, input }));
        };
        let mut records = Vec::with_capacity(size.min(1024));
        while records.len() < size {
            match self.next_record().await? {
                Some(record) => records.push(record),
                None => break,
            }
        }
        if records.is_empty() {
            return Ok(None);
        }
        let input = batch_input(&records, &self.event_source);
        let unit = self.unit(records);
        Ok(Some(Work { unit, input }))
    }
}

/// Per-line counts of what a [`FileSink`] reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Lines reported.
    pub processed: u64,
    /// Lines whose execution SUCCEEDED (and not listed in `batchItemFailures`).
    pub succeeded: u64,
    /// Lines FAILED (including refused input and batch item failures).
    pub failed: u64,
    /// Lines whose execution TIMED_OUT.
    pub timed_out: u64,
}

/// Writes one JSON report line per input line, failed lines to the
/// dead-letter file, and the checkpoint file. Both files are flushed after
/// every unit and synced before every checkpoint write.
pub struct FileSink {
    report: Box<dyn Write + Send>,
    /// Synced before each checkpoint (absent for standard output).
    report_file: Option<File>,
    dead_letter: Option<BufWriter<File>>,
    checkpoint: Option<CheckpointFile>,
    batch: bool,
    counts: Counts,
}

/// The report path that means standard output (`--report -`).
pub const STDOUT: &str = "-";

fn append(path: &Path) -> io::Result<File> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}

impl FileSink {
    /// Reports to `report` (appended to; standard output when `None` or
    /// `-`), dead letters to `dead_letter` (appended to), the checkpoint to
    /// `checkpoint`.
    /// `batch`: the units are batches (each report line names its batch).
    ///
    /// # Errors
    /// A file cannot be opened.
    pub fn new(
        report: Option<&Path>,
        dead_letter: Option<&Path>,
        checkpoint: Option<CheckpointFile>,
        batch: bool,
    ) -> io::Result<Self> {
        let (report, report_file): (Box<dyn Write + Send>, _) = match report {
            Some(path) if path != Path::new(STDOUT) => {
                let file = append(path)?;
                let sync = file.try_clone()?;
                (Box::new(BufWriter::new(file)), Some(sync))
            }
            _ => (Box::new(BufWriter::new(io::stdout())), None),
        };
        Ok(FileSink {
            report,
            report_file,
            dead_letter: dead_letter.map(append).transpose()?.map(BufWriter::new),
            checkpoint,
            batch,
            counts: Counts::default(),
        })
    }

    /// What was reported so far.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// Flushes the report and the dead letters.
    ///
    /// # Errors
    /// A write fails.
    pub fn flush(&mut self) -> io::Result<()> {
        self.report.flush()?;
        if let Some(d) = &mut self.dead_letter {
            d.flush()?;
        }
        Ok(())
    }

    fn write_line(
        &mut self,
        unit: &Unit,
        record: &Record,
        outcome: &ExecutionOutcome,
        item_failed: bool,
    ) -> io::Result<()> {
        let (status, error, cause) = if item_failed {
            (
                ExecutionStatus::Failed.as_str(),
                Some(BATCH_ITEM_FAILURE),
                Some("listed in the execution output's batchItemFailures"),
            )
        } else {
            (
                outcome.status.as_str(),
                outcome.error.as_deref(),
                outcome.cause.as_deref(),
            )
        };
        let mut line = format!("{{\"line\":{},\"status\":\"{status}\"", record.id);
        if self.batch {
            line.push_str(&format!(",\"batch\":[{},{}]", unit.first, unit.last()));
        }
        for (key, value) in [("error", error), ("cause", cause)] {
            if let Some(v) = value {
                line.push_str(&format!(",\"{key}\":{}", serde_json::Value::from(v)));
            }
        }
        if let Some(output) = &outcome.output {
            line.push_str(",\"output\":");
            line.push_str(&crate::json::to_string(output));
        }
        line.push_str("}\n");
        self.report.write_all(line.as_bytes())?;
        self.counts.processed += 1;
        match (item_failed, outcome.status) {
            (false, ExecutionStatus::Succeeded) => self.counts.succeeded += 1,
            (false, ExecutionStatus::TimedOut) => self.counts.timed_out += 1,
            _ => self.counts.failed += 1,
        }
        if item_failed || outcome.status != ExecutionStatus::Succeeded {
            if let Some(d) = &mut self.dead_letter {
                d.write_all(record.body.as_bytes())?;
                d.write_all(b"\n")?;
            }
        }
        Ok(())
    }
}

impl Sink for FileSink {
    fn finished(&mut self, unit: &Unit, outcome: &ExecutionOutcome) -> io::Result<()> {
        let failures = match (&outcome.output, self.batch) {
            (Some(output), true) if outcome.status == ExecutionStatus::Succeeded => {
                batch::batch_item_failures(output)
            }
            _ => None,
        };
        let mut id = String::new();
        for record in &unit.records {
            let item_failed = failures.as_ref().is_some_and(|f| {
                id.clear();
                id.push_str(&record.id.to_string());
                f.contains(id.as_str())
            });
            self.write_line(unit, record, outcome, item_failed)?;
        }
        // One write per execution: a report line reaches the OS as soon as
        // its unit finished, so it survives the process being killed.
        self.flush()
    }

    fn checkpoint(&mut self, through: u64) -> io::Result<()> {
        self.flush()?;
        let Some(checkpoint) = &self.checkpoint else {
            return Ok(());
        };
        if let Some(f) = &self.report_file {
            f.sync_data()?;
        }
        if let Some(d) = &self.dead_letter {
            d.get_ref().sync_data()?;
        }
        checkpoint.store(through)
    }
}

/// Everything `expressway consume file` needs.
#[derive(Debug, Clone)]
pub struct FileConsumer {
    /// The events file, or `-` for standard input.
    pub events: String,
    /// The ASL definition file.
    pub definition: PathBuf,
    /// The state machine name (default: the definition's file name without `.asl.json`/`.json`).
    pub state_machine_name: Option<String>,
    /// Lines per execution, as an SQS event (`None`: one line per execution, the line as input).
    pub batch: Option<usize>,
    /// Executions in flight at most.
    pub concurrency: usize,
    /// The checkpoint file.
    pub checkpoint: Option<PathBuf>,
    /// The report file (standard output when `None` or `-`).
    pub report: Option<PathBuf>,
    /// The dead-letter file.
    pub dead_letter: Option<PathBuf>,
    /// Shortest time between checkpoint writes.
    pub checkpoint_every: Duration,
}

/// What a `consume file` run did.
#[derive(Debug)]
pub struct Summary {
    /// Per-line counts.
    pub counts: Counts,
    /// Lines skipped because the checkpoint covered them.
    pub skipped: u64,
    /// The checkpoint stored at the end.
    pub checkpoint: u64,
    /// Times admission refused a start (each retried after a pause).
    pub throttled: u64,
    /// Whether a signal stopped the reading.
    pub stopped: bool,
    /// The source or sink error that ended the run early.
    pub error: Option<io::Error>,
}

impl Summary {
    /// The summary as one JSON object (`processed`, `succeeded`, `failed`,
    /// `timedOut`, `skipped`, `checkpoint`, `throttled`, `stopped`, `error`).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "processed": self.counts.processed,
            "succeeded": self.counts.succeeded,
            "failed": self.counts.failed,
            "timedOut": self.counts.timed_out,
            "skipped": self.skipped,
            "checkpoint": self.checkpoint,
            "throttled": self.throttled,
            "stopped": self.stopped,
            "error": self.error.as_ref().map(ToString::to_string),
        })
    }
}

/// Runs `expressway consume file` until the end of the events, an I/O
/// error, or `stop` resolves (then in-flight executions finish and the
/// checkpoint is written).
///
/// # Errors
/// [`SourceError`]: a setup failure (a file cannot be read or opened, the
/// definition does not load).
pub async fn consume(
    config: &FileConsumer,
    starter: &Starter,
    stop: impl std::future::Future<Output = ()> + Send,
) -> Result<Summary, super::SourceError> {
    let pipeline = Pipeline::for_definition(
        starter,
        &config.definition,
        config.state_machine_name.as_deref(),
        config.concurrency,
        config.checkpoint_every,
    )?;
    let checkpoint = config.checkpoint.as_ref().map(CheckpointFile::new);
    let through = match &checkpoint {
        Some(c) => c.load()?,
        None => 0,
    };
    let reader: Box<dyn AsyncRead + Unpin + Send> = if config.events == "-" {
        Box::new(tokio::io::stdin())
    } else {
        Box::new(
            tokio::fs::File::open(&config.events)
                .await
                .map_err(|source| super::SourceError::Events {
                    events: config.events.clone(),
                    source,
                })?,
        )
    };
    let queue = if config.events == "-" {
        "stdin".to_owned()
    } else {
        crate::start::machine_name(Path::new(&config.events))
    };
    let event_source = EventSource {
        region: starter.region().to_owned(),
        account: starter.account().to_owned(),
        queue,
    };
    let mut source = LineSource::new(reader, through, config.batch, event_source);
    let sink = FileSink::new(
        config.report.as_deref(),
        config.dead_letter.as_deref(),
        checkpoint,
        config.batch.is_some(),
    )?;
    let settled = pipeline.run(&mut source, sink, through, stop).await;
    let mut sink = settled.sink;
    let flushed = sink.flush();
    Ok(Summary {
        counts: sink.counts(),
        skipped: source.skipped(),
        checkpoint: settled.through,
        throttled: settled.throttled,
        stopped: settled.stopped,
        error: settled.error.or(flushed.err()),
    })
}
