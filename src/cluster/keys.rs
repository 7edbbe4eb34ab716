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

    /// The list a forwarded callback's answers are pushed on.
    pub(crate) fn callback_reply(&self, id: &str) -> String {
        format!("{}callback-reply:{id}", self.prefix)
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
