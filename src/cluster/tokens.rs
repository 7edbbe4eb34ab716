//! Task Tokens across instances: a SendTaskSuccess / SendTaskFailure /
//! SendTaskHeartbeat that reaches an instance whose engine did not issue the
//! token is published on the callbacks channel; every instance's listener
//! tries it on its own engine ([`TaskTokens::answer_here`]) and answers on a
//! reply list (`ok` or `unknown`). The sender waits for the first `ok`, at
//! most [`WAIT`]; when no instance has the token, it answers as AWS does for
//! a token that is no longer valid (`TaskTimedOut`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value as Json};

use super::store::RedisStore;
use crate::engine::tokens::{Callback, RemoteTokens, TaskTokens, TokenError};

/// How long a forwarded callback waits for the instances' answers.
pub(crate) const WAIT: Duration = Duration::from_millis(500);

/// How long a reply list lives.
const REPLY_TTL_S: u64 = 5;

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

/// The message of `callback` for `token`, answered on `reply`.
fn message(reply: &str, token: &str, callback: &Callback) -> String {
    let mut m = json!({"reply": reply, "token": token});
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

/// The reply list and the callback of a message; `None` when malformed.
fn parse(text: &str) -> Option<(String, String, Callback)> {
    let m: Json = serde_json::from_str(text).ok()?;
    let s = |k: &str| m[k].as_str().map(str::to_owned);
    let callback = match m["verb"].as_str()? {
        "success" => Callback::Success(crate::json::parse(m["output"].as_str()?).ok()?),
        "failure" => Callback::Failure(s("error")?, s("cause")?),
        "heartbeat" => Callback::Heartbeat,
        _ => return None,
    };
    Some((s("reply")?, s("token")?, callback))
}

impl RemoteTokens for Forwarder {
    fn forward(&self, token: &str, callback: Callback) -> Result<(), TokenError> {
        let keys = self.store.keys();
        let reply = keys.callback_reply(&uuid::Uuid::new_v4().simple().to_string());
        let text = message(&reply, token, &callback);
        let receivers: i64 = self
            .store
            .pool()
            .with(|c| {
                redis::cmd("PUBLISH")
                    .arg(keys.callbacks_channel())
                    .arg(&text)
                    .query(c)
            })
            .map_err(|_| TokenError::TaskTimedOut)?;
        let deadline = Instant::now() + WAIT;
        for _ in 0..receivers {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            let answer: Option<(String, String)> = self
                .store
                .pool()
                .with(|c| {
                    redis::cmd("BLPOP")
                        .arg(&reply)
                        .arg(left.as_secs_f64().max(0.001))
                        .query(c)
                })
                .map_err(|_| TokenError::TaskTimedOut)?;
            match answer {
                Some((_, ok)) if ok == "ok" => return Ok(()),
                Some(_) => {}
                None => break,
            }
        }
        Err(TokenError::TaskTimedOut)
    }
}

/// Tries a forwarded callback (the listener's message `text`) on `tokens`
/// and answers on its reply list.
pub(crate) fn answer(store: &RedisStore, tokens: &TaskTokens, text: &str) {
    let Some((reply, token, callback)) = parse(text) else {
        tracing::warn!("cluster: malformed forwarded callback");
        return;
    };
    let result = match tokens.answer_here(&token, callback) {
        Ok(()) => "ok",
        Err(_) => "unknown",
    };
    let sent = store.pool().with(|c| {
        redis::pipe()
            .cmd("RPUSH")
            .arg(&reply)
            .arg(result)
            .ignore()
            .cmd("EXPIRE")
            .arg(&reply)
            .arg(REPLY_TTL_S)
            .ignore()
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
            let (reply, token, back) = parse(&message("r", "t", &cb)).expect("parses");
            assert_eq!((reply.as_str(), token.as_str()), ("r", "t"));
            assert_eq!(back, cb);
        }
        assert!(parse(r#"{"verb":"nope","reply":"r","token":"t"}"#).is_none());
    }
}
