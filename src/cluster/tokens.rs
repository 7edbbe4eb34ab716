//! Task Tokens across instances: a SendTaskSuccess / SendTaskFailure /
//! SendTaskHeartbeat that reaches an instance whose engine did not issue the
//! token is published on the callbacks channel; every instance's listener
//! tries it on its own engine ([`TaskTokens::answer_here`]) and publishes
//! its answer (`ok` or `unknown`) on the sender's replies channel
//! (`replies:<node>`), which the sender's listener hands to the waiting
//! call ([`Replies`]). The sender waits for the first `ok` among as many
//! answers as instances received the callback, at most [`WAIT`]; when no
//! instance has the token, it answers as AWS does for a token that is no
//! longer valid (`TaskTimedOut`). Every Redis command of the sender is
//! asynchronous (`io.rs`): the serving shard never blocks on it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use dashmap::DashMap;
use serde_json::{json, Value as Json};
use tokio::sync::mpsc;

use super::store::RedisStore;
use crate::engine::tokens::{Callback, RemoteTokens, TaskTokens, TokenError};

/// How long a forwarded callback waits for the instances' answers.
pub(crate) const WAIT: Duration = Duration::from_millis(500);

/// The forwarded callbacks of this node waiting for answers, by id.
#[derive(Default)]
pub(crate) struct Replies {
    waiting: DashMap<String, mpsc::UnboundedSender<bool>>,
}

impl Replies {
    /// Hands the answer `text` (`<id> ok|unknown`, from this node's replies
    /// channel) to the call waiting on it, if any still waits.
    pub(crate) fn deliver(&self, text: &str) {
        let Some((id, result)) = text.split_once(' ') else {
            return;
        };
        if let Some(waiting) = self.waiting.get(id) {
            let _ = waiting.send(result == "ok");
        }
    }
}

/// The [`RemoteTokens`] of a cluster node.
pub(crate) struct Forwarder {
    store: Arc<RedisStore>,
}

impl Forwarder {
    /// Forwards through `store`'s Redis.
    pub(crate) fn new(store: Arc<RedisStore>) -> Self {
        Forwarder { store }
    }
}

/// The message of `callback` for `token`, answered on the channel `reply`
/// with the id `id`.
fn message(reply: &str, id: &str, token: &str, callback: &Callback) -> String {
    let mut m = json!({"reply": reply, "id": id, "token": token});
    match callback {
        Callback::Success(output) => {
            m["verb"] = "success".into();
            m["output"] = crate::json::to_string(output).into();
        }
        Callback::Failure(error, cause) => {
            m["verb"] = "failure".into();
            m["error"] = error.as_str().into();
            m["cause"] = cause.as_str().into();
        }
        Callback::Heartbeat => m["verb"] = "heartbeat".into(),
    }
    m.to_string()
}

/// A forwarded callback, as read from its message.
struct Forwarded {
    reply: String,
    id: String,
    token: String,
    callback: Callback,
}

/// The forwarded callback of a message; `None` when malformed.
fn parse(text: &str) -> Option<Forwarded> {
    let m: Json = serde_json::from_str(text).ok()?;
    let s = |k: &str| m[k].as_str().map(str::to_owned);
    let callback = match m["verb"].as_str()? {
        "success" => Callback::Success(crate::json::parse(m["output"].as_str()?).ok()?),
        "failure" => Callback::Failure(s("error")?, s("cause")?),
        "heartbeat" => Callback::Heartbeat,
        _ => return None,
    };
    Some(Forwarded {
        reply: s("reply")?,
        id: s("id")?,
        token: s("token")?,
        callback,
    })
}

/// Forgets a waiting call when its future ends or is dropped.
struct Waiting {
    store: Arc<RedisStore>,
    id: String,
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.store.replies().waiting.remove(&self.id);
    }
}

impl RemoteTokens for Forwarder {
    fn forward(
        &self,
        token: &str,
        callback: Callback,
    ) -> Pin<Box<dyn Future<Output = Result<(), TokenError>> + Send>> {
        let store = Arc::clone(&self.store);
        let keys = store.keys();
        let id = uuid::Uuid::new_v4().simple().to_string();
        let text = message(&keys.replies_channel(store.node()), &id, token, &callback);
        let (answers, mut answered) = mpsc::unbounded_channel();
        store.replies().waiting.insert(id.clone(), answers);
        let channel = keys.callbacks_channel();
        let published = store.io().run(move |mut c| async move {
            redis::cmd("PUBLISH")
                .arg(channel)
                .arg(text)
                .query_async::<i64>(&mut c)
                .await
        });
        Box::pin(async move {
            let _waiting = Waiting { store, id };
            let receivers = published.await.map_err(|_| TokenError::TaskTimedOut)?;
            let deadline = tokio::time::Instant::now() + WAIT;
            for _ in 0..receivers {
                match tokio::time::timeout_at(deadline, answered.recv()).await {
                    Ok(Some(true)) => return Ok(()),
                    Ok(Some(false)) => {}
                    _ => break,
                }
            }
            Err(TokenError::TaskTimedOut)
        })
    }
}

/// Tries a forwarded callback (the listener's message `text`) on `tokens`
/// and publishes the answer on the sender's replies channel (from the
/// listener's thread, not a serving one).
pub(crate) fn answer(store: &RedisStore, tokens: &TaskTokens, text: &str) {
    let Some(f) = parse(text) else {
        tracing::warn!("cluster: malformed forwarded callback");
        return;
    };
    let result = match tokens.answer_here(&f.token, f.callback) {
        Ok(()) => "ok",
        Err(_) => "unknown",
    };
    let sent = store.pool().with(|c| {
        redis::cmd("PUBLISH")
            .arg(&f.reply)
            .arg(format!("{} {result}", f.id))
            .query::<()>(c)
    });
    if let Err(e) = sent {
        tracing::warn!(error = %e, "cluster: callback answer not sent");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip() {
        for cb in [
            Callback::Success(crate::json::parse(r#"{"a":[1]}"#).expect("json")),
            Callback::Failure("E".into(), String::new()),
            Callback::Heartbeat,
        ] {
            let f = parse(&message("r", "i", "t", &cb)).expect("parses");
            assert_eq!((f.reply.as_str(), f.id.as_str()), ("r", "i"));
            assert_eq!(f.token, "t");
            assert_eq!(f.callback, cb);
        }
        assert!(parse(r#"{"verb":"nope","reply":"r","id":"i","token":"t"}"#).is_none());
    }
}
