//! The distributed Map: a Map Run whose iterations are child executions,
//! each with its own Context Object (its own execution ARN, name, input and
//! start time, and the child state machine `SM/Label`), run in memory on
//! the parent's shard, up to MaxConcurrency (at most 10,000) at once.
//!
//! Items come from the input (ItemsPath) or an ItemReader streaming S3
//! ([`items`]); an ItemBatcher groups them (`{"Items": [...],
//! "BatchInput": ...}`); failures are tolerated up to
//! ToleratedFailureCount / ToleratedFailurePercentage (else
//! `States.ExceedToleratedFailureThreshold`); a ResultWriter exports the
//! results to S3 ([`writer`]). Each run is a [`records::MapRun`] the API
//! describes, lists and updates.
//!
//! Differences from AWS, all of them documented in the README: a distributed
//! Map runs inside its parent's time limit (5 minutes for expressway's
//! executions); child executions have no history of their own.
//!
//! Sources: AWS guide `state-map-distributed.html`,
//! `input-output-itemreader.html`, `input-output-itembatcher.html`,
//! `input-output-resultwriter.html`, `concepts-examine-map-run.html`.

mod items;
pub mod records;
mod split;
mod writer;

use std::sync::Arc;
use std::time::SystemTime;

use futures::stream::FuturesUnordered;
use futures::{FutureExt, StreamExt};
use simd_json::prelude::*;
use simd_json::OwnedValue;

use super::budget::Charge;
use super::context::{self, iso_millis, ContextObject};
use super::jsonata::states_object;
use super::observe::Event;
use super::run::{error_output, Doc, Entry, Run};
use super::size;
use super::variables::Frame;
use super::ExecutionOptions;
use crate::compile::distributed::{ChildType, Distributed, WriterTransformation};
use crate::compile::{Graph, MapSpec, Number, Payload};
use crate::errors::{names, ExecError, MAX_PAYLOAD_BYTES};
use crate::json::{Object, Value};
use items::Items;
use records::{MapRun, MapRunStatus};
use writer::{transform, writer_failed, FileStatus, Writer};

/// The most child executions a distributed Map runs at once (AWS guide,
/// "Distributed mode": up to 10,000 parallel child workflow executions);
/// MaxConcurrency 0 (or absent) means this.
pub const MAX_DISTRIBUTED_CONCURRENCY: u64 = 10_000;

/// The most bytes of child execution inputs a Map Run holds at once (its
/// running children's and the items read ahead for them): past it, it waits
/// for children to end before reading more, so a large object is read at
/// the pace the children take it.
const MAX_IN_FLIGHT_BYTES: usize = 64 * 1024 * 1024;

/// What the Map state evaluated before its Map Run starts.
pub(super) struct Settings<'v> {
    /// The effective input.
    pub(super) input: &'v Value,
    /// The items ItemsPath selected (no ItemReader).
    pub(super) items: Option<&'v [Value]>,
    /// MaxConcurrency (0: the maximum).
    pub(super) max_concurrency: f64,
    /// ToleratedFailureCount.
    pub(super) tolerated_count: Option<f64>,
    /// ToleratedFailurePercentage.
    pub(super) tolerated_percentage: Option<f64>,
}

/// Marks the Map Run ABORTED if the Map state is dropped before it ended
/// (the parent execution was stopped or timed out).
struct AbortOnDrop(Arc<MapRun>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.end(MapRunStatus::Aborted);
    }
}

/// One finished child execution.
struct Done {
    /// Its position among the child executions.
    slot: usize,
    /// The in-memory size of its input.
    bytes: usize,
    /// How many items it had.
    items: u64,
    status: FileStatus,
    timed_out: bool,
    /// Its cause, when it failed.
    cause: String,
    /// Its record (when a ResultWriter needs it).
    record: Option<Value>,
    /// Its output, or its Error Output.
    value: Value,
}

/// The ARN of a Map Run of the Map labelled `label` of `state_machine_arn`.
fn map_run_arn(state_machine_arn: &str, label: &str, id: &str) -> String {
    let base = state_machine_arn.replacen(":stateMachine:", ":mapRun:", 1);
    format!("{base}/{label}:{id}")
}

/// The ARN of a child execution `name` of the state machine `child_sm_arn`
/// (`…:stateMachine:SM/LABEL`): `…:execution:SM/LABEL:name` for STANDARD,
/// `…:express:SM/LABEL:name:<uuid>` for EXPRESS children.
fn child_arn(child_sm_arn: &str, ty: ChildType, name: &str) -> String {
    match ty {
        ChildType::Standard => {
            format!(
                "{}:{name}",
                child_sm_arn.replacen(":stateMachine:", ":execution:", 1)
            )
        }
        ChildType::Express => format!(
            "{}:{name}:{}",
            child_sm_arn.replacen(":stateMachine:", ":express:", 1),
            uuid::Uuid::new_v4()
        ),
    }
}

fn integer(x: f64) -> Option<u64> {
    (x.is_finite() && x >= 0.0).then(|| x.min(u64::MAX as f64) as u64)
}

impl<'a> Run<'a> {
    /// A Payload (`Parameters`, `Arguments`, `BatchInput`) over `input`.
    fn payload(
        &self,
        p: &Payload,
        input: &Value,
        frame: &Frame,
        at: &Entry<'_>,
    ) -> Result<Value, ExecError> {
        match p {
            Payload::Path(t) => self.render(t, input, frame, at),
            Payload::Jsonata(t) => {
                let states = states_object(input, frame);
                self.jrender(t, &states, frame, at)
            }
        }
    }

    fn count(
        &self,
        n: Option<&Number>,
        field: &str,
        input: &Value,
        frame: &Frame,
        at: &Entry<'_>,
    ) -> Result<Option<u64>, ExecError> {
        match n {
            None => Ok(None),
            Some(n) => {
                let x = self.number(n, field, input, true, frame, at)?;
                integer(x).map(Some).ok_or_else(|| {
                    Self::located(at, names::RUNTIME, format!("{field} must not be negative."))
                })
            }
        }
    }

    /// Runs the distributed Map `spec` (its distributed fields `d`) as a
    /// Map Run.
    pub(super) async fn distributed(
        &'a self,
        spec: &'a MapSpec,
        d: &'a Distributed,
        set: Settings<'_>,
        frame: &Frame,
        at: &Entry<'_>,
    ) -> Result<Value, ExecError> {
        let parent = self.execution();
        let child_sm_arn = format!("{}/{}", parent.state_machine_arn, d.label);
        let child_sm_name = format!("{}/{}", parent.state_machine_name, d.label);
        let id = uuid::Uuid::new_v4().to_string();
        let arn = map_run_arn(&parent.state_machine_arn, &d.label, &id);
        let run = Arc::new(MapRun::new(
            arn.clone(),
            parent.execution_arn.clone(),
            parent.state_machine_arn.clone(),
            integer(set.max_concurrency).unwrap_or(0),
            set.tolerated_count.and_then(integer),
            set.tolerated_percentage,
        ));
        self.map_runs().add(Arc::clone(&run));
        let guard = AbortOnDrop(Arc::clone(&run));
        let id_ev = self.add_events(2); // MapStateStarted, MapRunStarted
        if let Some(o) = self.obs() {
            o.event(
                id_ev,
                &Event::MapStarted {
                    state: at.state(),
                    length: 0,
                },
            );
        }
        let result = self
            .map_run(
                spec,
                d,
                &run,
                &set,
                frame,
                at,
                &child_sm_arn,
                &child_sm_name,
            )
            .await;
        run.end(if result.is_ok() {
            MapRunStatus::Succeeded
        } else {
            MapRunStatus::Failed
        });
        drop(guard);
        let id_ev = self.add_events(2); // MapRunSucceeded/Failed, MapStateSucceeded/Failed
        if let Some(o) = self.obs() {
            let state = at.state();
            match &result {
                Ok(_) => o.event(id_ev, &Event::MapSucceeded { state }),
                Err(_) => o.event(id_ev, &Event::MapFailed { state }),
            }
        }
        result
    }

    #[allow(clippy::too_many_arguments)]
    async fn map_run(
        &'a self,
        spec: &'a MapSpec,
        d: &'a Distributed,
        run: &Arc<MapRun>,
        set: &Settings<'_>,
        frame: &Frame,
        at: &Entry<'_>,
        child_sm_arn: &str,
        child_sm_name: &str,
    ) -> Result<Value, ExecError> {
        let eff = set.input;
        // Where the items come from.
        let mut items = match (&d.reader, set.items) {
            (Some(reader), _) => {
                let params = match &reader.parameters {
                    Some(p) => self.payload(p, eff, frame, at)?,
                    None => OwnedValue::Object(Box::default()),
                };
                let max = self.count(reader.max_items.as_ref(), "MaxItems", eff, frame, at)?;
                Items::S3(Box::new(items::S3Items::new(
                    self.tasks_ref().aws_sdk().clone(),
                    reader,
                    params,
                    max,
                )?))
            }
            (None, Some(list)) => Items::Array(list.iter()),
            (None, None) => Items::Array([].iter()),
        };
        // How they are grouped.
        let (batch_items, batch_bytes, batch_input) = match &d.batcher {
            Some(b) => (
                self.count(b.max_items.as_ref(), "MaxItemsPerBatch", eff, frame, at)?,
                self.count(
                    b.max_bytes.as_ref(),
                    "MaxInputBytesPerBatch",
                    eff,
                    frame,
                    at,
                )?,
                match &b.batch_input {
                    Some(p) => Some(self.payload(p, eff, frame, at)?),
                    None => None,
                },
            ),
            None => (None, None, None),
        };
        let batching = d.batcher.is_some();
        let batch_input_bytes = batch_input
            .as_ref()
            .map_or(0, |b| size::exact(b) + "\"BatchInput\":,".len());
        let batch_items = batch_items.filter(|n| *n > 0).unwrap_or(u64::MAX);
        let batch_bytes = batch_bytes
            .filter(|n| *n > 0)
            .map_or(MAX_PAYLOAD_BYTES, |n| (n as usize).min(MAX_PAYLOAD_BYTES));
        // Where the results go.
        let mut export = None;
        let transformation = d
            .writer
            .as_ref()
            .map_or(WriterTransformation::Compact, |w| w.transformation);
        if let Some(w) = &d.writer {
            if let (Some(resource), Some(p)) = (&w.resource, &w.parameters) {
                let params = self.payload(p, eff, frame, at)?;
                let bucket = params
                    .get_str("Bucket")
                    .filter(|b| !b.is_empty())
                    .ok_or_else(|| writer_failed("The ResultWriter's Bucket is missing."))?
                    .to_owned();
                let prefix = params.get_str("Prefix").unwrap_or_default().to_owned();
                export = Some(Writer::new(
                    self.tasks_ref().aws_sdk().clone(),
                    resource,
                    bucket,
                    &prefix,
                    &run.arn,
                    w.jsonl,
                ));
            }
        }
        let need_records = transformation == WriterTransformation::None || export.is_some();
        let uses_context = frame.context.is_some();
        let base = self.child_base(at, 0);
        let role_arn = self.execution().role_arn.clone();
        let test_case = self.execution().test_case.clone();

        let mut running = FuturesUnordered::new();
        let mut collect = Collect {
            results: Vec::new(),
            held: Vec::new(),
            failed_items: 0,
            export,
            transformation,
        };
        let mut in_flight = 0usize;
        let mut index = 0usize;
        let mut slot = 0usize;
        let mut exhausted = false;
        let mut carry: Option<Value> = None;
        loop {
            let cap = match run.max_concurrency() {
                0 => MAX_DISTRIBUTED_CONCURRENCY,
                n => n.min(MAX_DISTRIBUTED_CONCURRENCY),
            } as usize;
            while !exhausted && running.len() < cap && in_flight < MAX_IN_FLIGHT_BYTES {
                // The next child's input and how many items it holds.
                let mut group: Vec<Value> = Vec::new();
                // `{"Items":[]}` and `"BatchInput":…,`.
                let mut bytes = 12 + batch_input_bytes;
                loop {
                    let item = match carry.take() {
                        Some(v) => v,
                        None => match items.next().await {
                            Ok(Some(raw)) => {
                                run.lock().items.total += 1;
                                let v = self.select_item(spec, eff, frame, at, index, raw)?;
                                index += 1;
                                v
                            }
                            Ok(None) => {
                                exhausted = true;
                                break;
                            }
                            Err(e) => return Err(e),
                        },
                    };
                    if !batching {
                        group.push(item);
                        break;
                    }
                    let n = size::exact(&item) + usize::from(!group.is_empty());
                    if !group.is_empty() && bytes + n > batch_bytes {
                        carry = Some(item);
                        break;
                    }
                    bytes += n;
                    group.push(item);
                    if group.len() as u64 >= batch_items {
                        break;
                    }
                }
                if group.is_empty() {
                    break;
                }
                let n_items = group.len() as u64;
                let input = if batching {
                    let mut o = Object::with_capacity(2);
                    if let Some(bi) = &batch_input {
                        o.insert("BatchInput".into(), bi.clone());
                    }
                    o.insert("Items".into(), OwnedValue::Array(Box::new(group)));
                    OwnedValue::Object(Box::new(o))
                } else {
                    group.pop().unwrap_or_default()
                };
                let measure = size::measure(&input);
                let charge = self.budget.charge(&measure, at.name)?;
                let bytes = measure.memory_bytes();
                in_flight += bytes;
                {
                    let mut p = run.lock();
                    p.items.running += n_items;
                    p.executions.running += 1;
                    p.executions.total += 1;
                }
                let name = uuid::Uuid::new_v4().to_string();
                let options = ExecutionOptions {
                    execution_arn: child_arn(child_sm_arn, d.child_type, &name),
                    name,
                    state_machine_arn: child_sm_arn.to_owned(),
                    state_machine_name: child_sm_name.into(),
                    role_arn: role_arn.clone(),
                    start_time: SystemTime::now(),
                    test_case: test_case.clone(),
                    redrive_count: Some(0),
                };
                let this_slot = slot;
                slot += 1;
                collect.results.push(None);
                let child_type = d.child_type;
                running.push(async move {
                    let input_text = need_records.then(|| crate::json::to_string(&input));
                    let out = self
                        .child_execution(&spec.processor, base, input, &options, uses_context)
                        .await;
                    drop(charge);
                    let stop = SystemTime::now();
                    let (status, timed_out, cause, record, value) = match out {
                        Ok(v) => {
                            let record =
                                input_text.map(|i| record(&options, child_type, i, Ok(&v), stop));
                            (FileStatus::Succeeded, false, String::new(), record, v)
                        }
                        Err(e) => {
                            let timed_out = e.error == names::TIMEOUT;
                            let record =
                                input_text.map(|i| record(&options, child_type, i, Err(&e), stop));
                            let cause = e.cause.clone();
                            (
                                FileStatus::Failed,
                                timed_out,
                                cause,
                                record,
                                error_output(e),
                            )
                        }
                    };
                    Done {
                        slot: this_slot,
                        bytes,
                        items: n_items,
                        status,
                        timed_out,
                        cause,
                        record,
                        value,
                    }
                });
                // Let the children run while items are read.
                while let Some(Some(done)) = running.next().now_or_never() {
                    in_flight -= done.bytes;
                    if collect.take(self, run, done, at, exhausted).await? {
                        return Err(collect.fail().await);
                    }
                }
            }
            if running.is_empty() {
                if exhausted {
                    break;
                }
                continue;
            }
            let done = tokio::select! {
                done = running.next() => done,
                () = run.updated.notified() => None,
            };
            if let Some(done) = done {
                in_flight -= done.bytes;
                if collect.take(self, run, done, at, exhausted).await? {
                    return Err(collect.fail().await);
                }
            }
        }
        if collect.exceeded(run, true) {
            return Err(collect.fail().await);
        }
        collect.finish().await
    }

    /// The input of the child execution for item `index` (`raw`): the
    /// ItemSelector's rendering, with `$$.Map.Item` set, or the item.
    fn select_item(
        &self,
        spec: &MapSpec,
        eff: &Value,
        frame: &Frame,
        at: &Entry<'_>,
        index: usize,
        raw: Value,
    ) -> Result<Value, ExecError> {
        let Some(sel) = &spec.item_selector else {
            return Ok(raw);
        };
        let mut f = frame.clone();
        if let Some(ctx) = f.ctx_mut() {
            context::map_item(ctx, index, &raw);
        }
        self.payload(sel, eff, &f, at)
    }

    /// Runs one child execution of `graph` on `input`: a run of its own
    /// (own history numbering, own Context Object, no outer variables)
    /// sharing this execution's resolvers, memory budget and time limit.
    async fn child_execution(
        &self,
        graph: &Graph,
        base: u32,
        input: Value,
        options: &ExecutionOptions,
        uses_context: bool,
    ) -> Result<Value, ExecError> {
        let child = self.child(options);
        let frame = Frame::new(uses_context.then(|| ContextObject::new(options, &input)));
        child
            .graph(graph, base, Doc::new(input), frame)
            .await
            .map(Doc::into_owned)
    }
}

/// What a Map Run keeps of its finished children: their results in order
/// (or the ResultWriter they go to), and how many items failed.
struct Collect<'b> {
    results: Vec<Option<Vec<Value>>>,
    held: Vec<Charge<'b>>,
    failed_items: u64,
    export: Option<Writer>,
    transformation: WriterTransformation,
}

impl<'b> Collect<'b> {
    /// Counts and keeps one finished child; whether the failures now
    /// exceed what the Map Run tolerates.
    async fn take(
        &mut self,
        r: &'b Run<'_>,
        run: &MapRun,
        done: Done,
        at: &Entry<'_>,
        all_read: bool,
    ) -> Result<bool, ExecError> {
        // The parent's own deadline passed in a child: the execution times
        // out, as it would have outside the Map.
        if done.timed_out
            && crate::json::budget::current().is_some_and(|b| b.deadline_passed() || b.is_stopped())
        {
            return Err(ExecError::new(names::TIMEOUT, done.cause.clone()));
        }
        let ok = done.status == FileStatus::Succeeded;
        {
            let mut guard = run.lock();
            let p = &mut *guard;
            p.items.running -= done.items;
            p.executions.running -= 1;
            let (i, e) = (&mut p.items, &mut p.executions);
            match (ok, done.timed_out) {
                (true, _) => {
                    i.succeeded += done.items;
                    e.succeeded += 1;
                }
                (false, true) => {
                    i.timed_out += done.items;
                    e.timed_out += 1;
                }
                (false, false) => {
                    i.failed += done.items;
                    e.failed += 1;
                }
            }
        }
        if !ok {
            self.failed_items += done.items;
        }
        let mut kept = Vec::new();
        let output = ok.then_some(&done.value);
        let full = done
            .record
            .unwrap_or(OwnedValue::Static(simd_json::StaticNode::Null));
        if self.export.is_some() || self.transformation != WriterTransformation::Compact {
            transform(self.transformation, full, output, &mut kept);
        } else {
            kept.push(done.value);
        }
        if let Some(w) = &mut self.export {
            for v in &kept {
                w.add(done.status, v).await?;
            }
            run.lock().items.results_written += done.items;
        } else {
            for v in &kept {
                self.held.push(r.budget.charge(&size::measure(v), at.name)?);
            }
            self.results[done.slot] = Some(kept);
        }
        Ok(self.exceeded(run, all_read))
    }

    /// Whether the failed items exceed what the Map Run tolerates now
    /// (either threshold exceeded; with none set, any failure); the
    /// percentage is judged once every item is known (`all_read`).
    fn exceeded(&self, run: &MapRun, all_read: bool) -> bool {
        let failed = self.failed_items;
        if failed == 0 {
            return false;
        }
        let p = run.progress();
        let (count, pct) = (p.tolerated_failure_count, p.tolerated_failure_percentage);
        if count.is_none() && pct.is_none() {
            return true;
        }
        let over_count = count.is_some_and(|c| failed > c);
        let over_pct = all_read
            && pct.is_some_and(|x| (failed as f64) * 100.0 / (p.items.total.max(1) as f64) > x);
        over_count || over_pct
    }

    /// The Map Run failed on its tolerance: the ResultWriter still writes
    /// what it has; the error.
    async fn fail(&mut self) -> ExecError {
        if let Some(w) = self.export.take() {
            if let Err(e) = w.finish().await {
                return e;
            }
        }
        exceeded()
    }

    /// The Map state's result: the ResultWriter's details, or the results
    /// in item order.
    async fn finish(mut self) -> Result<Value, ExecError> {
        match self.export.take() {
            Some(w) => w.finish().await,
            None => {
                let all: Vec<Value> = std::mem::take(&mut self.results)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .collect();
                Ok(OwnedValue::Array(Box::new(all)))
            }
        }
    }
}

fn exceeded() -> ExecError {
    ExecError::new(
        names::EXCEED_TOLERATED_FAILURE_THRESHOLD,
        "The specified tolerated failure threshold was exceeded",
    )
}

/// A child execution's record, as the ResultWriter exports it with
/// Transformation NONE.
fn record(
    o: &ExecutionOptions,
    ty: ChildType,
    input: String,
    out: Result<&Value, &ExecError>,
    stop: SystemTime,
) -> Value {
    let s = |v: &str| OwnedValue::String(v.to_owned());
    let included = || {
        let mut d = Object::with_capacity(1);
        d.insert("Included".into(), OwnedValue::from(true));
        OwnedValue::Object(Box::new(d))
    };
    let mut r = Object::with_capacity(14);
    if let Err(e) = out {
        r.insert("Cause".into(), s(&e.cause));
        r.insert("Error".into(), s(&e.error));
    }
    r.insert("ExecutionArn".into(), s(&o.execution_arn));
    r.insert("Input".into(), OwnedValue::String(input));
    r.insert("InputDetails".into(), included());
    r.insert("Name".into(), s(&o.name));
    if let Ok(v) = out {
        r.insert(
            "Output".into(),
            OwnedValue::String(crate::json::to_string(v)),
        );
        r.insert("OutputDetails".into(), included());
    }
    let status = match out {
        Ok(_) => "SUCCEEDED",
        Err(e) if e.error == names::TIMEOUT => "TIMED_OUT",
        Err(_) => "FAILED",
    };
    if ty == ChildType::Standard {
        r.insert("RedriveCount".into(), OwnedValue::from(0u64));
        match out {
            Ok(_) => {
                r.insert("RedriveStatus".into(), s("NOT_REDRIVABLE"));
                r.insert(
                    "RedriveStatusReason".into(),
                    s("Execution is SUCCEEDED and cannot be redriven"),
                );
            }
            Err(_) => {
                r.insert("RedriveStatus".into(), s("REDRIVABLE_BY_MAP_RUN"));
            }
        }
    }
    r.insert("StartDate".into(), s(&iso_millis(o.start_time)));
    r.insert("StateMachineArn".into(), s(&o.state_machine_arn));
    r.insert("Status".into(), s(status));
    r.insert("StopDate".into(), s(&iso_millis(stop)));
    OwnedValue::Object(Box::new(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_follow_aws() {
        let sm = "arn:aws:states:us-east-1:123456789012:stateMachine:csv";
        assert_eq!(
            map_run_arn(sm, "Map", "id"),
            "arn:aws:states:us-east-1:123456789012:mapRun:csv/Map:id"
        );
        let child = format!("{sm}/Map");
        assert_eq!(
            child_arn(&child, ChildType::Standard, "n"),
            "arn:aws:states:us-east-1:123456789012:execution:csv/Map:n"
        );
        assert!(child_arn(&child, ChildType::Express, "n")
            .starts_with("arn:aws:states:us-east-1:123456789012:express:csv/Map:n:"));
    }
}
