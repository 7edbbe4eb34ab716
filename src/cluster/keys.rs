//! The Redis keys and channels of a cluster, all under one prefix
//! (`expressway:` by default) so several clusters can share a database.

/// The key names of one cluster.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    prefix: String,
}

/// The consumer group of the starts stream: every instance is a consumer
/// named after its node id.
pub(crate) const GROUP: &str = "runners";

impl Keys {
    /// The keys under `prefix` (e.g. `expressway:`).
    pub(crate) fn new(prefix: &str) -> Self {
        Keys {
            prefix: prefix.to_owned(),
        }
    }

    /// The hash of state machines: field = ARN, value = JSON.
    pub(crate) fn machines(&self) -> String {
        format!("{}machines", self.prefix)
    }

    /// The pub/sub channel announcing a changed state machine (payload: its ARN).
    pub(crate) fn registry_channel(&self) -> String {
        format!("{}registry", self.prefix)
    }

    /// The pub/sub channel announcing a stopped execution (payload: its ARN).
    pub(crate) fn stop_channel(&self) -> String {
        format!("{}stop", self.prefix)
    }

    /// The pub/sub channel of Task Token callbacks forwarded between nodes.
    pub(crate) fn callbacks_channel(&self) -> String {
        format!("{}callbacks", self.prefix)
    }

    /// The pub/sub channel on which the node `node` receives the answers
    /// to the callbacks it forwarded.
    pub(crate) fn replies_channel(&self, node: &str) -> String {
        format!("{}replies:{node}", self.prefix)
    }

    /// The hash of the versions of the machine `machine_arn`: field = the
    /// version number, value = JSON with the machine snapshot.
    pub(crate) fn versions(&self, machine_arn: &str) -> String {
        format!("{}versions:{machine_arn}", self.prefix)
    }

    /// The hash of the aliases of the machine `machine_arn`: field = the
    /// alias name, value = JSON.
    pub(crate) fn aliases(&self, machine_arn: &str) -> String {
        format!("{}aliases:{machine_arn}", self.prefix)
    }

    /// The hash of the machines that have versions or aliases: field = the
    /// machine ARN, value = the last version number given (never reused).
    pub(crate) fn versioned(&self) -> String {
        format!("{}versioned", self.prefix)
    }

    /// The pub/sub channel announcing a change of a machine's versions or
    /// aliases (payload: the machine ARN).
    pub(crate) fn versions_channel(&self) -> String {
        format!("{}versions-changed", self.prefix)
    }

    /// The lock taken around a read-modify-write of one machine.
    pub(crate) fn registry_lock(&self) -> String {
        format!("{}registry-lock", self.prefix)
    }

    /// The stream of accepted asynchronous starts (consumer group [`GROUP`]).
    pub(crate) fn starts(&self) -> String {
        format!("{}starts", self.prefix)
    }

    /// The sorted set of live nodes (score: last heartbeat, ms).
    pub(crate) fn members(&self) -> String {
        format!("{}members", self.prefix)
    }

    /// The hash recording one execution.
    pub(crate) fn execution(&self, arn: &str) -> String {
        format!("{}execution:{arn}", self.prefix)
    }

    /// The shared admission bucket of the state machine named `name`
    /// (its GCRA theoretical arrival time, µs).
    pub(crate) fn admission_machine(&self, name: &str) -> String {
        format!("{}admission:machine:{name}", self.prefix)
    }

    /// The shared global admission bucket.
    pub(crate) fn admission_global(&self) -> String {
        format!("{}admission:global", self.prefix)
    }

    /// The hash of activities: field = ARN, value = JSON (name, creation
    /// time, tags).
    pub(crate) fn activities(&self) -> String {
        format!("{}activities", self.prefix)
    }

    /// The pub/sub channel announcing a created or deleted activity
    /// (payload: its ARN).
    pub(crate) fn activities_channel(&self) -> String {
        format!("{}activity-changes", self.prefix)
    }

    /// The list of Tasks queued on the activity `arn` (oldest first).
    pub(crate) fn activity_tasks(&self, arn: &str) -> String {
        format!("{}activity-tasks:{arn}", self.prefix)
    }

    /// The pub/sub channel telling the node `node` that a worker took one
    /// of its activity Tasks (payload: the Task Token).
    pub(crate) fn activity_started(&self, node: &str) -> String {
        format!("{}activity-started:{node}", self.prefix)
    }

    /// The key prefix.
    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The sorted set of every retained execution (score: start, ms).
    pub(crate) fn all_executions(&self) -> String {
        format!("{}executions", self.prefix)
    }

    /// The sorted set of one machine's executions (score: start, ms).
    /// (`executions:<arn>`, which the accept script also builds from the
    /// prefix when it forgets a record.)
    pub(crate) fn executions_of(&self, machine_arn: &str) -> String {
        format!("{}executions:{machine_arn}", self.prefix)
    }
}
