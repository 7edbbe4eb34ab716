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
//!
//! In a cluster (`serve --cluster`, [`Activities::share`]) the activities
//! and their queues are shared ([`SharedActivities`]): an activity created
//! on any instance exists on every instance, a Task scheduled on any
//! instance goes to one worker polling any instance (each delivered once),
//! and the worker's SendTaskSuccess reaches the instance whose execution
//! waits (Task Tokens are forwarded, [`crate::engine::tokens::RemoteTokens`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime};

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

/// An activity as another instance created it: its name, creation time
/// and tags.
pub type SharedActivity = (String, SystemTime, Vec<(String, String)>);

/// A future answered by [`SharedActivities`].
pub type SharedFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Why an activity Task could not be queued on the cluster's shared queues
/// ([`SharedActivities::push`]): the store's own error.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct QueueError(#[source] pub Box<dyn std::error::Error + Send + Sync>);

/// Where a cluster keeps its activities and their Task queues
/// ([`crate::cluster`]). A queued Task is an opaque text entry.
pub trait SharedActivities: Send + Sync {
    /// This instance's id (the entries it queues name it).
    fn node(&self) -> &str;
    /// Records a created activity for every instance (the first creation
    /// of an ARN wins).
    fn created(&self, activity: &Activity);
    /// Records the deletion of `arn` for every instance.
    fn deleted(&self, arn: &str);
    /// Appends `entry` to the queue of `arn`.
    ///
    /// # Errors
    /// [`QueueError`]: the store did not take it.
    fn push(&self, arn: &str, entry: String) -> SharedFuture<Result<(), QueueError>>;
    /// Removes `entry` from the queue of `arn` if no worker took it yet.
    fn withdraw(&self, arn: &str, entry: String);
    /// Takes the oldest entry of `arn`'s queue (each entry goes to one
    /// taker), waiting at most `wait`; `None` when none came.
    fn take(&self, arn: &str, wait: Duration) -> SharedFuture<Option<String>>;
    /// Tells the instance `node` that a worker took its Task `token`.
    fn started(&self, node: &str, token: &str);
}

/// The activities of one service, by ARN.
#[derive(Default)]
pub struct Activities {
    by_arn: DashMap<String, Arc<Activity>>,
    next_seq: AtomicU64,
    /// The cluster's activities, when set.
    shared: OnceLock<Arc<dyn SharedActivities>>,
    /// Tasks scheduled here on the shared queues, waiting for a worker on
    /// any instance: told when one takes them, by token.
    awaiting: Arc<DashMap<String, oneshot::Sender<()>>>,
}

/// A queued Task as its shared entry carries it.
#[derive(serde::Serialize, serde::Deserialize)]
struct Entry {
    token: String,
    input: String,
    node: String,
}

/// Withdraws a shared entry that no worker took when its Task ends first
/// (timed out, stopped).
struct Queued {
    shared: Arc<dyn SharedActivities>,
    arn: String,
    entry: String,
    token: String,
    awaiting: Arc<DashMap<String, oneshot::Sender<()>>>,
    taken: bool,
}

impl Drop for Queued {
    fn drop(&mut self) {
        if !self.taken {
            self.awaiting.remove(&self.token);
            self.shared
                .withdraw(&self.arn, std::mem::take(&mut self.entry));
        }
    }
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
        let activity = self.insert(arn, name, SystemTime::now(), tags);
        if let Some(shared) = self.shared.get() {
            shared.created(&activity);
        }
        Ok(activity)
    }

    fn insert(
        &self,
        arn: &str,
        name: &str,
        created: SystemTime,
        tags: Vec<(String, String)>,
    ) -> Arc<Activity> {
        let (queue, workers) = mpsc::unbounded_channel();
        let activity = Arc::new(Activity {
            arn: arn.to_owned(),
            name: name.to_owned(),
            created,
            tags,
            seq: self.next_seq.fetch_add(1, Ordering::Relaxed),
            queue,
            workers: Mutex::new(workers),
        });
        Arc::clone(
            &self
                .by_arn
                .entry(arn.to_owned())
                .or_insert(activity)
                .clone(),
        )
    }

    /// From now on, shares the activities and their Task queues through
    /// `shared` (a cluster's). Set once; later calls change nothing.
    pub fn share(&self, shared: Arc<dyn SharedActivities>) {
        let _ = self.shared.set(shared);
    }

    /// Applies an activity created (`Some`: name, creation time, tags) or
    /// deleted (`None`) on another instance of the cluster.
    pub fn apply_shared(&self, arn: &str, created: Option<SharedActivity>) {
        match created {
            Some((name, at, tags)) => {
                if !self.by_arn.contains_key(arn) {
                    self.insert(arn, &name, at, tags);
                }
            }
            None => {
                self.by_arn.remove(arn);
            }
        }
    }

    /// A worker on another instance took the Task `token` scheduled here.
    pub fn started_elsewhere(&self, token: &str) {
        if let Some((_, started)) = self.awaiting.remove(token) {
            let _ = started.send(());
        }
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
        if let Some(shared) = self.shared.get() {
            shared.deleted(arn);
        }
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
        if let Some(shared) = self.shared.get() {
            drop(activity);
            return Ok(self.poll_shared(shared.as_ref(), arn, wait).await);
        }
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

    /// GetActivityTask in a cluster: the oldest entry of the shared queue;
    /// a Task of this instance that ended meanwhile is skipped, a Task of
    /// another instance is reported started there.
    async fn poll_shared(
        &self,
        shared: &dyn SharedActivities,
        arn: &str,
        wait: Duration,
    ) -> Option<ActivityTask> {
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            let text = shared.take(arn, left).await?;
            let Ok(entry) = serde_json::from_str::<Entry>(&text) else {
                tracing::warn!(activity_arn = %arn, "unreadable activity Task skipped");
                continue;
            };
            if entry.node == shared.node() {
                let Some((_, started)) = self.awaiting.remove(&entry.token) else {
                    continue;
                };
                if started.send(()).is_err() {
                    continue;
                }
            } else {
                shared.started(&entry.node, &entry.token);
            }
            return Some(ActivityTask {
                token: entry.token,
                input: entry.input,
            });
        }
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
        if let Some(shared) = self.shared.get() {
            drop(activity);
            let entry = Entry {
                token: waiter.token().to_owned(),
                input: crate::json::to_string(input),
                node: shared.node().to_owned(),
            };
            let text =
                serde_json::to_string(&entry).map_err(|e| ExecError::runtime(e.to_string()))?;
            self.awaiting.insert(entry.token.clone(), started);
            let awaiting = Arc::clone(&self.awaiting);
            let mut queued = Queued {
                shared: Arc::clone(shared),
                arn: arn.to_owned(),
                entry: text.clone(),
                token: entry.token,
                awaiting,
                taken: false,
            };
            shared.push(arn, text).await.map_err(|e| {
                ExecError::runtime(format!("The activity Task was not queued: {e}"))
            })?;
            on_start.await.map_err(|_| missing())?;
            queued.taken = true;
            return waiter.wait(heartbeat).await;
        }
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
