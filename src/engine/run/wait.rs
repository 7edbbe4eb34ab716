//! How long a Wait state waits: Seconds, Timestamp, SecondsPath, TimestampPath,
//! with AWS's error texts for bad values.
//!
//! Source: ASL spec "Wait State"; causes from the AWS-recorded conformance cases.

use std::time::Duration;

use super::{display_plain, Entry, Frame, Run};
use crate::compile::WaitFor;
use crate::errors::{names, ExecError};
use crate::json::path::Selected;
use crate::json::Scope;
use crate::json::Value;
use simd_json::prelude::*;

impl<'a> Run<'a> {
    pub(in crate::engine) fn wait_duration(
        &self,
        wait: &WaitFor,
        eff: &Value,
        frame: &Frame,
        at: &Entry<'_>,
    ) -> Result<Duration, ExecError> {
        let scope = Scope {
            input: eff,
            context: frame.ctx(),
            variables: frame.vars(),
        };
        let until = |ts: chrono::DateTime<chrono::FixedOffset>| {
            let now = chrono::Utc::now();
            (ts.with_timezone(&chrono::Utc) - now)
                .to_std()
                .unwrap_or(Duration::ZERO)
        };
        match wait {
            // JSONata expressions are evaluated by `jsonata_simple`.
            WaitFor::SecondsExpr(_) | WaitFor::TimestampExpr(_) => Ok(Duration::ZERO),
            WaitFor::Seconds(s) => Ok(Duration::from_secs(*s)),
            WaitFor::Timestamp(t) => match crate::compile::timestamp::parse_timestamp(t) {
                Some(ts) => Ok(until(ts)),
                None => Err(Self::located(
                    at,
                    names::RUNTIME,
                    format!("The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {t}"),
                )),
            },
            WaitFor::SecondsPath(p) => {
                let v = p.select(&scope).map(Selected::into_value).map_err(|_| {
                    Self::located(at, names::RUNTIME, format!("The SecondsPath parameter does not reference an input value: {}", p.text()))
                })?;
                if let Some(n) = v.as_i64() {
                    if n < 0 {
                        return Err(Self::located(
                            at,
                            names::RUNTIME,
                            format!("The SecondsPath parameter references a negative value: {} == {}", p.text(), n),
                        ));
                    }
                    return Ok(Duration::from_secs(n as u64));
                }
                if let Some(n) = v.as_u64() {
                    return Ok(Duration::from_secs(n));
                }
                Err(Self::located(
                    at,
                    names::RUNTIME,
                    format!(
                        "The SecondsPath parameter cannot be parsed as a long value: {} == {}",
                        p.text(),
                        display_plain(&v)
                    ),
                ))
            }
            WaitFor::TimestampPath(p) => {
                let v = p.select(&scope).map(Selected::into_value).map_err(|_| {
                    Self::located(at, names::RUNTIME, format!("The TimestampPath parameter does not reference an input value: {}", p.text()))
                })?;
                match v.as_str().and_then(crate::compile::timestamp::parse_timestamp) {
                    Some(ts) => Ok(until(ts)),
                    None => Err(Self::located(
                        at,
                        names::RUNTIME,
                        format!(
                            "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {} == {}",
                            p.text(),
                            display_plain(&v)
                        ),
                    )),
                }
            }
        }
    }
}
