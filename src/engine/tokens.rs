//! Task Tokens: the `.waitForTaskToken` callback pattern.
//!
//! A Task whose Resource ends in `.waitForTaskToken` gets a fresh token in
//! `$$.Task.Token`, calls its integration (which hands the token to a worker),
//! then waits until `SendTaskSuccess` or `SendTaskFailure` names the token,
//! bounded by the Task's TimeoutSeconds and, between `SendTaskHeartbeat`s, by
//! its HeartbeatSeconds (a missed heartbeat fails the Task with
//! `States.HeartbeatTimeout`).
//!
//! Source: AWS guide `connect-to-resource.html#connect-wait-token` and the
//! SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat API reference. AWS
//! offers callbacks only in Standard workflows; here they work in Express,
//! bounded by the execution's 5 minutes.

use std::sync::Arc;
use std::time::Duration;

use dashmap::DashMap;
use tokio::sync::{oneshot, Notify};

use crate::errors::{names, ExecError};
use crate::json::Value;

/// Longest token the API accepts (SendTaskSuccess's `taskToken`: 1–1024 characters).
pub const MAX_TOKEN_LENGTH: usize = 1024;

/// Why a token could not be answered (the API's `__type`s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// The token is empty or longer than 1,024 characters.
    #[error("Invalid Token")]
    InvalidToken,
    /// A token of this runtime's shape that no Task waits on any more
    /// (answered, timed out, or its execution ended): AWS's `TaskTimedOut`,
    /// "the task token has either expired or the task associated with the
    /// token has already been closed" (API reference, `SendTaskSuccess`).
    #[error("Provided task does not exist anymore")]
    TaskTimedOut,
}

struct Waiting {
    answer: oneshot::Sender<Result<Value, ExecError>>,
    beat: Arc<Notify>,
}

/// An answer to a Task Token (SendTaskSuccess / SendTaskFailure /
/// SendTaskHeartbeat), as forwarded to the engine that issued the token.
#[derive(Debug, Clone, PartialEq)]
pub enum Callback {
    /// SendTaskSuccess: the Task's result.
    Success(Value),
    /// SendTaskFailure: the error and cause.
    Failure(String, String),
    /// SendTaskHeartbeat.
    Heartbeat,
}

/// Where a token this engine did not issue is looked for (other instances
/// of a cluster, [`crate::cluster`]).
pub trait RemoteTokens: Send + Sync {
    /// Delivers `callback` to the engine that issued `token`; the future
    /// answers once that engine took it (it must not block the caller's
    /// thread meanwhile: it is awaited on a serving shard).
    ///
    /// # Errors
    /// [`TokenError::TaskTimedOut`] when no engine waits on it.
    fn forward(
        &self,
        token: &str,
        callback: Callback,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), TokenError>> + Send>>;
}

/// The Task Tokens outstanding in one engine.
#[derive(Default)]
pub struct TaskTokens {
    waiting: DashMap<String, Waiting>,
    remote: std::sync::OnceLock<Arc<dyn RemoteTokens>>,
}

impl std::fmt::Debug for TaskTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskTokens")
            .field("outstanding", &self.waiting.len())
            .finish()
    }
}

impl TaskTokens {
    /// Issues a token and registers its waiter.
    pub(crate) fn issue(self: &Arc<Self>) -> Waiter {
        let token = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let (answer, receiver) = oneshot::channel();
        let beat = Arc::new(Notify::new());
        self.waiting.insert(
            token.clone(),
            Waiting {
                answer,
                beat: beat.clone(),
            },
        );
        Waiter {
            tokens: self.clone(),
            token,
            receiver,
            beat,
        }
    }

    fn take(&self, token: &str) -> Result<Waiting, TokenError> {
        check(token)?;
        self.waiting
            .remove(token)
            .map(|(_, w)| w)
            .ok_or(TokenError::TaskTimedOut)
    }

    /// Sends the tokens this engine did not issue to `remote` (once; later
    /// calls change nothing).
    pub fn set_remote(&self, remote: Arc<dyn RemoteTokens>) {
        let _ = self.remote.set(remote);
    }

    /// `SendTaskSuccess`: the waiting Task of this engine succeeds with
    /// `output` as its result ([`TaskTokens::deliver`] also tries the other
    /// instances of a cluster).
    ///
    /// # Errors
    /// [`TokenError`] when the token is malformed or no Task waits on it.
    pub fn succeed(&self, token: &str, output: Value) -> Result<(), TokenError> {
        self.answer(token, Callback::Success(output))
    }

    /// `SendTaskFailure`: the waiting Task of this engine fails with `error`
    /// and `cause`.
    ///
    /// # Errors
    /// [`TokenError`] when the token is malformed or no Task waits on it.
    pub fn fail(&self, token: &str, error: String, cause: String) -> Result<(), TokenError> {
        self.answer(token, Callback::Failure(error, cause))
    }

    /// `SendTaskHeartbeat`: restarts the HeartbeatSeconds clock of the
    /// waiting Task of this engine.
    ///
    /// # Errors
    /// [`TokenError`] when the token is malformed or no Task waits on it.
    pub fn heartbeat(&self, token: &str) -> Result<(), TokenError> {
        self.answer(token, Callback::Heartbeat)
    }

    fn answer(&self, token: &str, callback: Callback) -> Result<(), TokenError> {
        self.answer_here(token, callback)
    }

    /// Answers `token` here if a Task of this engine waits on it, else
    /// where it was issued ([`RemoteTokens`], set by a cluster): what the
    /// API's SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat do. The
    /// forwarding is awaited, never blocking the caller's thread.
    ///
    /// # Errors
    /// [`TokenError`] when the token is malformed or no Task waits on it.
    pub async fn deliver(&self, token: &str, callback: Callback) -> Result<(), TokenError> {
        check(token)?;
        if !self.waiting.contains_key(token) {
            if let Some(remote) = self.remote.get() {
                return remote.forward(token, callback).await;
            }
        }
        self.answer_here(token, callback)
    }

    /// Answers `token` if a Task of this engine waits on it, never
    /// forwarding it (what a forwarded callback runs).
    ///
    /// # Errors
    /// [`TokenError`] when the token is malformed or no Task here waits on it.
    pub fn answer_here(&self, token: &str, callback: Callback) -> Result<(), TokenError> {
        match callback {
            Callback::Success(output) => {
                let w = self.take(token)?;
                w.answer
                    .send(Ok(output))
                    .map_err(|_| TokenError::TaskTimedOut)
            }
            Callback::Failure(error, cause) => {
                let w = self.take(token)?;
                w.answer
                    .send(Err(ExecError::new(error, cause)))
                    .map_err(|_| TokenError::TaskTimedOut)
            }
            Callback::Heartbeat => {
                check(token)?;
                match self.waiting.get(token) {
                    Some(w) => {
                        w.beat.notify_one();
                        Ok(())
                    }
                    None => Err(TokenError::TaskTimedOut),
                }
            }
        }
    }

    /// How many Tasks wait on a token now.
    pub fn outstanding(&self) -> usize {
        self.waiting.len()
    }
}

/// Characters in a token this runtime issues (two simple UUIDs: lowercase hex).
const TOKEN_CHARS: usize = 64;

/// `InvalidToken` unless `token` has the shape of the tokens [`TaskTokens::issue`]
/// hands out (AWS refuses a token it cannot decode the same way).
fn check(token: &str) -> Result<(), TokenError> {
    if token.len() != TOKEN_CHARS
        || !token
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(TokenError::InvalidToken);
    }
    Ok(())
}

/// One Task waiting on its token; unregisters the token when dropped.
pub(crate) struct Waiter {
    tokens: Arc<TaskTokens>,
    token: String,
    receiver: oneshot::Receiver<Result<Value, ExecError>>,
    beat: Arc<Notify>,
}

impl Waiter {
    /// The token, for `$$.Task.Token`.
    pub(crate) fn token(&self) -> &str {
        &self.token
    }

    /// Waits for the answer; `heartbeat` bounds the time between heartbeats.
    ///
    /// # Errors
    /// The error of `SendTaskFailure`, or `States.HeartbeatTimeout`.
    pub(crate) async fn wait(mut self, heartbeat: Option<Duration>) -> Result<Value, ExecError> {
        loop {
            let missed = async {
                match heartbeat {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                answer = &mut self.receiver => {
                    return answer.unwrap_or_else(|_| Err(ExecError::new(names::TASK_FAILED, "the Task Token was dropped")));
                }
                _ = self.beat.notified() => continue,
                _ = missed => return Err(ExecError::new(names::HEARTBEAT_TIMEOUT, "")),
            }
        }
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        self.tokens.waiting.remove(&self.token);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn success_reaches_the_waiter_and_unregisters() {
        let tokens = Arc::new(TaskTokens::default());
        let w = tokens.issue();
        let t = w.token().to_owned();
        tokens.succeed(&t, Value::from(7)).unwrap();
        assert_eq!(w.wait(None).await, Ok(Value::from(7)));
        assert_eq!(tokens.outstanding(), 0);
        assert_eq!(
            tokens.succeed(&t, Value::from(1)),
            Err(TokenError::TaskTimedOut)
        );
    }

    #[tokio::test]
    async fn failure_carries_error_and_cause() {
        let tokens = Arc::new(TaskTokens::default());
        let w = tokens.issue();
        tokens
            .fail(w.token(), "Declined".into(), "no".into())
            .unwrap();
        assert_eq!(w.wait(None).await, Err(ExecError::new("Declined", "no")));
    }

    #[tokio::test(start_paused = true)]
    async fn heartbeats_keep_it_alive_until_they_stop() {
        let tokens = Arc::new(TaskTokens::default());
        let w = tokens.issue();
        let t = w.token().to_owned();
        let waiting = tokio::spawn(w.wait(Some(Duration::from_secs(2))));
        for _ in 0..3 {
            tokio::time::sleep(Duration::from_secs(1)).await;
            tokens.heartbeat(&t).unwrap();
        }
        let r = waiting.await.unwrap();
        assert_eq!(r.unwrap_err().error, names::HEARTBEAT_TIMEOUT);
        assert_eq!(tokens.outstanding(), 0);
    }

    #[test]
    fn malformed_tokens() {
        let tokens = TaskTokens::default();
        assert_eq!(tokens.heartbeat(""), Err(TokenError::InvalidToken));
        assert_eq!(
            tokens.heartbeat(&"x".repeat(1025)),
            Err(TokenError::InvalidToken)
        );
        assert_eq!(tokens.heartbeat("nope"), Err(TokenError::InvalidToken));
        assert_eq!(
            tokens.heartbeat(&"A".repeat(64)),
            Err(TokenError::InvalidToken)
        );
        // Our shape, but no Task waits on it.
        assert_eq!(
            tokens.heartbeat(&"0".repeat(64)),
            Err(TokenError::TaskTimedOut)
        );
    }

    #[test]
    fn dropped_waiter_unregisters() {
        let tokens = Arc::new(TaskTokens::default());
        let t = {
            let w = tokens.issue();
            w.token().to_owned()
        };
        assert_eq!(
            tokens.succeed(&t, Value::from(1)),
            Err(TokenError::TaskTimedOut)
        );
    }
}
