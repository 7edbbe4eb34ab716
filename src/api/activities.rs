//! Activities: Tasks served by workers that poll the API.
//!
//! An activity is created with `CreateActivity`; a Task whose Resource is its
//! ARN (`arn:aws:states:REGION:ACCOUNT:activity:NAME`) is scheduled on the
//! activity's queue with a fresh Task Token, handed in FIFO order to the
//! workers calling `GetActivityTask` (a long poll, at most 60 s), and then
//! waits for `SendTaskSuccess` / `SendTaskFailure` with that token (the
//! engine's [`TaskTokens`]). HeartbeatSeconds is enforced from the moment a
//! worker gets the task, as AWS does (the `ActivityStarted` event);
//! TimeoutSeconds bounds the whole Task, time in the queue included.
//!
//! Source: AWS guide `concepts-activities.html`; API reference
//! `API_CreateActivity`, `API_GetActivityTask`, `API_DeleteActivity`.
//! A Task naming an activity that does not exist fails with `States.Runtime`
//! `The activity <arn> does not exist.` (recorded against AWS in LocalStack's
//! `test_activities.snapshot.json`, `test_activity_task_on_deleted`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use dashmap::DashMap;
use tokio::sync::{mpsc, oneshot, Mutex};

use crate::engine::tokens::TaskTokens;
use crate::errors::ExecError;
use crate::json::Value;

/// How many activities one account may have (AWS quota: 10,000).
pub const MAX_ACTIVITIES: usize = 10_000;

/// A scheduled activity task waiting for a worker.
struct Pending {
    token: String,
    input: String,
    /// Told when a worker gets the task (the `ActivityStarted` moment).
    started: oneshot::Sender<()>,
}

/// One activity: identity, tags and its queue of scheduled tasks.
pub struct Activity {
    /// The activity ARN.
    pub arn: String,
    /// Its name.
    pub name: String,
    /// When it was created.
    pub created: SystemTime,
    /// Tags given at creation (key, value).
    pub tags: Vec<(String, String)>,
    /// Creation order, for ListActivities.
    seq: u64,
    queue: mpsc::UnboundedSender<Pending>,
    workers: Mutex<mpsc::UnboundedReceiver<Pending>>,
}

/// A task handed to a worker by [`Activities::poll`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityTask {
    /// The Task Token to answer with.
    pub token: String,
    /// The Task's effective input as JSON text.
    pub input: String,
}

/// Why an activity operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActivityError {
    /// No activity has this ARN.
    #[error("Activity Does Not Exist: '{0}'")]
    DoesNotExist(String),
    /// The account already has [`MAX_ACTIVITIES`] activities.
    #[error("Activity Limit Exceeded: '{0}'")]
    LimitExceeded(String),
}

/// The activities of one service, by ARN.
#[derive(Default)]
pub struct Activities {
    by_arn: DashMap<String, Arc<Activity>>,
    next_seq: AtomicU64,
}

impl Activities {
    /// Creates the activity `arn` named `name`, or returns the existing one
    /// (CreateActivity is idempotent by name; differing tags are ignored).
    ///
    /// # Errors
    /// [`ActivityError::LimitExceeded`] past [`MAX_ACTIVITIES`].
    pub fn create(
        &self,
        arn: &str,
        name: &str,
        tags: Vec<(String, String)>,
    ) -> Result<Arc<Activity>, ActivityError> {
        if let Some(existing) = self.by_arn.get(arn) {
            return Ok(Arc::clone(&existing));
        }
        if self.by_arn.len() >= MAX_ACTIVITIES {
            return Err(ActivityError::LimitExceeded(name.to_owned()));
        }
        let (queue, workers) = mpsc::unbounded_channel();
        let activity = Arc::new(Activity {
            arn: arn.to_owned(),
            name: name.to_owned(),
            created: SystemTime::now(),
            tags,
            seq: self.next_seq.fetch_add(1, Ordering::Relaxed),
            queue,
            workers: Mutex::new(workers),
        });
        Ok(Arc::clone(
            &self
                .by_arn
                .entry(arn.to_owned())
                .or_insert(activity)
                .clone(),
        ))
    }

    /// The activity with this ARN.
    pub fn get(&self, arn: &str) -> Option<Arc<Activity>> {
        self.by_arn.get(arn).map(|a| Arc::clone(&a))
    }

    /// Every activity, in creation order.
    pub fn list(&self) -> Vec<Arc<Activity>> {
        let mut all: Vec<Arc<Activity>> = self.by_arn.iter().map(|a| Arc::clone(&a)).collect();
        all.sort_by_key(|a| a.seq);
        all
    }

    /// Deletes the activity; tasks still queued on it fail as if it never
    /// existed. Deleting an unknown ARN is not an error (as AWS).
    pub fn delete(&self, arn: &str) {
        self.by_arn.remove(arn);
    }

    /// How many activities exist.
    pub fn len(&self) -> usize {
        self.by_arn.len()
    }

    /// Whether no activity exists.
    pub fn is_empty(&self) -> bool {
        self.by_arn.is_empty()
    }

    /// GetActivityTask: the oldest task scheduled on `arn` that is still
    /// waiting, or `None` when none comes within `wait`.
    ///
    /// # Errors
    /// [`ActivityError::DoesNotExist`].
    pub async fn poll(
        &self,
        arn: &str,
        wait: Duration,
    ) -> Result<Option<ActivityTask>, ActivityError> {
        let activity = self
            .get(arn)
            .ok_or_else(|| ActivityError::DoesNotExist(arn.to_owned()))?;
        let take = async {
            // Workers take turns, so tasks go out in the order they came.
            let mut rx = activity.workers.lock().await;
            while let Some(p) = rx.recv().await {
                // A Task that timed out or whose execution ended is skipped.
                if p.started.send(()).is_ok() {
                    return Some(ActivityTask {
                        token: p.token,
                        input: p.input,
                    });
                }
            }
            None
        };
        Ok(tokio::time::timeout(wait, take).await.ok().flatten())
    }

    /// Runs an activity Task: schedules `input` on `arn` with a Task Token
    /// from `tokens`, waits for a worker, then for the worker's answer,
    /// `heartbeat` bounding the time between heartbeats from then on. The
    /// engine bounds the whole Task by its TimeoutSeconds.
    ///
    /// # Errors
    /// `States.Runtime` when the activity does not exist (or is deleted
    /// before a worker gets the task); the worker's `SendTaskFailure`;
    /// `States.HeartbeatTimeout`.
    pub async fn run_task(
        &self,
        tokens: &Arc<TaskTokens>,
        arn: &str,
        input: &Value,
        heartbeat: Option<Duration>,
    ) -> Result<Value, ExecError> {
        let missing = || ExecError::runtime(format!("The activity {arn} does not exist."));
        let activity = self.get(arn).ok_or_else(missing)?;
        let waiter = tokens.issue();
        let (started, on_start) = oneshot::channel();
        let pending = Pending {
            token: waiter.token().to_owned(),
            input: crate::json::to_string(input),
            started,
        };
        activity.queue.send(pending).map_err(|_| missing())?;
        drop(activity);
        on_start.await.map_err(|_| missing())?;
        waiter.wait(heartbeat).await
    }
}
