//! Typed wire structs of the two start operations, the hot path of the
//! API: the request is read in one pass over the body's bytes, its strings
//! borrowed where they carry no escape (the execution input, which always
//! does, is unescaped once and parsed once), and the response is serialised
//! once into the body (the output's JSON text escaped as it is written),
//! with no intermediate JSON tree.
//!
//! A body this path does not read exactly as serde_json reads it (not an
//! object, a field of the wrong type, a repeated field, a member name
//! written with escapes) is left to the generic path ([`super::dispatch`]),
//! which answers with AWS's exact error messages.

use crate::api::{ApiError, Service};

#[cfg(test)]
mod before;
mod raw;
mod reply;
mod request;

use reply::StartReply;
pub(crate) use reply::SyncReply;
use request::StartBody;

/// Answers `op` through the typed path when it is a start operation and
/// `body` is read ([`StartBody::read`]); `None` leaves it to the generic
/// path.
pub(crate) async fn answer(
    service: &Service,
    op: &str,
    body_bytes: &[u8],
) -> Option<Result<String, ApiError>> {
    let sync = match op {
        "StartSyncExecution" => true,
        "StartExecution" => false,
        _ => return None,
    };
    let wire = StartBody::read(body_bytes)?;
    let fields = wire.fields();
    if let Err(e) = fields.check(sync) {
        return Some(Err(e));
    }
    let starter = service.starter();
    Some(if sync {
        match starter.start_sync(fields.request()).await {
            Ok(done) => {
                let escaped = wire
                    .input
                    .as_ref()
                    .filter(|i| i.canonical)
                    .map(|i| i.escaped);
                Ok(SyncReply::new(&fields, &done).body(escaped))
            }
            Err(e) => Err(e.into()),
        }
    } else {
        match starter.start(fields.request()).await {
            Ok(started) => Ok(StartReply {
                execution_arn: &started.execution_arn,
                start_date: started.start_time,
            }
            .body()),
            Err(e) => Err(e.into()),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The typed path answers like the generic one, input escapes and all
    /// (canonical, and not: `\/` is written back as `/`).
    #[tokio::test]
    async fn the_input_is_echoed_as_serde_json_writes_it() {
        let service = crate::api::Service::new(
            crate::engine::Engine::new(crate::tasks::Tasks::new()),
            crate::api::Config::default(),
        );
        let arn = service
            .create_state_machine(
                "echo",
                r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#,
                crate::api::MachineType::Express,
            )
            .expect("created");
        for input in [
            r#"{\n\"a\":\"x\\\\y\\u0001\\n\"}"#,
            r#"{\"a\":\"x\/y\u00e9\"}"#,
            "{}",
        ] {
            let body = format!(r#"{{"stateMachineArn":"{arn}","input":"{input}"}}"#);
            let answer_text = answer(&service, "StartSyncExecution", body.as_bytes())
                .await
                .expect("typed")
                .expect("answer");
            let typed: serde_json::Value = serde_json::from_str(&answer_text).expect("json");
            let sent: serde_json::Value = serde_json::from_str(&body).expect("json");
            assert_eq!(typed["input"], sent["input"]);
            let written = serde_json::to_string(&typed["input"]).expect("json");
            assert!(
                answer_text.contains(&format!(r#""input":{written},"#)),
                "{answer_text}"
            );
            // The Pass state's output is the input, written as its compact
            // JSON text (json::to_string) inside the output's string.
            let output = crate::json::parse(typed["input"].as_str().expect("text")).expect("json");
            let written = serde_json::to_string(&crate::json::to_string(&output)).expect("json");
            assert!(
                answer_text.contains(&format!(r#""output":{written},"#)),
                "{answer_text}"
            );
        }
    }
}
