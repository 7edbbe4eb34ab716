//! Map Runs: one per run of a distributed Map state, kept in memory so that
//! DescribeMapRun, ListMapRuns and UpdateMapRun can answer for them; the
//! newest [`MAX_RETAINED_MAP_RUNS`] are retained.
//!
//! Source: AWS API reference `API_DescribeMapRun.html`,
//! `API_ListMapRuns.html`, `API_UpdateMapRun.html`; AWS guide
//! `concepts-examine-map-run.html`.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

/// How many Map Runs an engine keeps (the oldest finished ones go first).
pub const MAX_RETAINED_MAP_RUNS: usize = 1_000;

/// A Map Run's status (`MapRunStatus` on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapRunStatus {
    /// Child executions are still running.
    Running,
    /// Every child execution ended within the tolerated failures.
    Succeeded,
    /// The tolerated failures were exceeded, or reading or writing failed.
    Failed,
    /// The parent execution stopped before the Map Run ended.
    Aborted,
}

impl MapRunStatus {
    /// `RUNNING`, `SUCCEEDED`, `FAILED`, `ABORTED`.
    pub fn as_str(self) -> &'static str {
        match self {
            MapRunStatus::Running => "RUNNING",
            MapRunStatus::Succeeded => "SUCCEEDED",
            MapRunStatus::Failed => "FAILED",
            MapRunStatus::Aborted => "ABORTED",
        }
    }
}

/// Counts of items or of child executions (`MapRunItemCounts`,
/// `MapRunExecutionCounts`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Read, not started yet.
    pub pending: u64,
    /// In a running child execution.
    pub running: u64,
    /// In a child execution that succeeded.
    pub succeeded: u64,
    /// In a child execution that failed.
    pub failed: u64,
    /// In a child execution that timed out.
    pub timed_out: u64,
    /// In a child execution stopped with the Map Run.
    pub aborted: u64,
    /// Read so far (all of them once the Map Run ended).
    pub total: u64,
    /// Whose results were written by the ResultWriter.
    pub results_written: u64,
}

/// What changes while a Map Run runs.
#[derive(Debug, Clone)]
pub struct Progress {
    /// Its status.
    pub status: MapRunStatus,
    /// When it ended.
    pub stop_date: Option<SystemTime>,
    /// Items.
    pub items: Counts,
    /// Child executions (one per batch when an ItemBatcher groups items).
    pub executions: Counts,
    /// ToleratedFailurePercentage, if set.
    pub tolerated_failure_percentage: Option<f64>,
    /// ToleratedFailureCount, if set. With neither set no failure is
    /// tolerated.
    pub tolerated_failure_count: Option<u64>,
}

/// One Map Run.
#[derive(Debug)]
pub struct MapRun {
    /// `arn:aws:states:R:A:mapRun:SM/LABEL:<uuid>`.
    pub arn: String,
    /// The execution whose Map state started it.
    pub execution_arn: String,
    /// That execution's state machine.
    pub state_machine_arn: String,
    /// When it started.
    pub start_date: SystemTime,
    /// MaxConcurrency (0: 10,000), changed by UpdateMapRun.
    max_concurrency: AtomicU64,
    progress: Mutex<Progress>,
    /// Wakes the Map Run when UpdateMapRun raised its concurrency.
    pub(crate) updated: tokio::sync::Notify,
}

impl MapRun {
    /// A running Map Run.
    pub(crate) fn new(
        arn: String,
        execution_arn: String,
        state_machine_arn: String,
        max_concurrency: u64,
        tolerated_count: Option<u64>,
        tolerated_percentage: Option<f64>,
    ) -> Self {
        MapRun {
            arn,
            execution_arn,
            state_machine_arn,
            start_date: SystemTime::now(),
            max_concurrency: AtomicU64::new(max_concurrency),
            progress: Mutex::new(Progress {
                status: MapRunStatus::Running,
                stop_date: None,
                items: Counts::default(),
                executions: Counts::default(),
                tolerated_failure_percentage: tolerated_percentage,
                tolerated_failure_count: tolerated_count,
            }),
            updated: tokio::sync::Notify::new(),
        }
    }

    /// MaxConcurrency as set (0 means the 10,000 maximum).
    pub fn max_concurrency(&self) -> u64 {
        self.max_concurrency.load(Ordering::Relaxed)
    }

    /// A copy of its progress.
    pub fn progress(&self) -> Progress {
        self.lock().clone()
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// UpdateMapRun: new MaxConcurrency and/or tolerated failures, applied
    /// to the running Map Run from its next child execution on.
    pub fn update(
        &self,
        max_concurrency: Option<u64>,
        count: Option<u64>,
        percentage: Option<f64>,
    ) {
        if let Some(m) = max_concurrency {
            self.max_concurrency.store(m, Ordering::Relaxed);
        }
        {
            let mut p = self.lock();
            if count.is_some() {
                p.tolerated_failure_count = count;
            }
            if percentage.is_some() {
                p.tolerated_failure_percentage = percentage;
            }
        }
        self.updated.notify_one();
    }

    /// Ends the Map Run with `status`.
    pub(crate) fn end(&self, status: MapRunStatus) {
        let mut guard = self.lock();
        let p = &mut *guard;
        if p.status == MapRunStatus::Running {
            p.status = status;
            p.stop_date = Some(SystemTime::now());
            if status == MapRunStatus::Aborted {
                for c in [&mut p.items, &mut p.executions] {
                    c.aborted += c.running + c.pending;
                    c.running = 0;
                    c.pending = 0;
                }
            }
        }
    }
}

/// The Map Runs an engine retains, newest last.
#[derive(Debug, Default)]
pub struct MapRuns {
    runs: Mutex<VecDeque<Arc<MapRun>>>,
}

impl MapRuns {
    fn lock(&self) -> MutexGuard<'_, VecDeque<Arc<MapRun>>> {
        self.runs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Retains `run` (dropping the oldest beyond [`MAX_RETAINED_MAP_RUNS`]).
    pub(crate) fn add(&self, run: Arc<MapRun>) {
        let mut runs = self.lock();
        runs.push_back(run);
        while runs.len() > MAX_RETAINED_MAP_RUNS {
            runs.pop_front();
        }
    }

    /// The Map Run `arn`, if retained.
    pub fn get(&self, arn: &str) -> Option<Arc<MapRun>> {
        self.lock().iter().rev().find(|r| r.arn == arn).cloned()
    }

    /// The Map Runs started by the execution `execution_arn`, newest first.
    pub fn of_execution(&self, execution_arn: &str) -> Vec<Arc<MapRun>> {
        self.lock()
            .iter()
            .rev()
            .filter(|r| r.execution_arn == execution_arn)
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retains_the_newest_and_finds_by_execution() {
        let runs = MapRuns::default();
        for i in 0..MAX_RETAINED_MAP_RUNS + 2 {
            runs.add(Arc::new(MapRun::new(
                format!("run{i}"),
                format!("exec{}", i % 2),
                "sm".into(),
                0,
                None,
                None,
            )));
        }
        assert!(runs.get("run0").is_none());
        assert!(runs.get("run2").is_some());
        let of = runs.of_execution("exec1");
        assert_eq!(of.len(), MAX_RETAINED_MAP_RUNS / 2);
        assert_eq!(of[0].arn, format!("run{}", MAX_RETAINED_MAP_RUNS + 1));
    }

    #[test]
    fn update_and_end() {
        let run = MapRun::new("a".into(), "e".into(), "s".into(), 5, None, None);
        assert_eq!(run.progress().tolerated_failure_count, None);
        run.update(Some(7), Some(3), None);
        assert_eq!(run.max_concurrency(), 7);
        let p = run.progress();
        assert_eq!(p.tolerated_failure_count, Some(3));
        assert_eq!(p.tolerated_failure_percentage, None);
        run.lock().items.running = 2;
        run.end(MapRunStatus::Aborted);
        run.end(MapRunStatus::Succeeded);
        let p = run.progress();
        assert_eq!(p.status, MapRunStatus::Aborted);
        assert_eq!(p.items.aborted, 2);
        assert!(p.stop_date.is_some());
    }
}
