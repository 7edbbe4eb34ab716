//! The JSONata pipeline of a state: `$states` = {input, result?,
//! errorOutput?, context}; Arguments → (the work) → Output; Assign
//! evaluated next to Output against the variables as of state entry.
//!
//! Source: AWS developer guide, "Transforming data with JSONata in Step
//! Functions"; reference §3 "JSONata mode".

use std::time::Duration;

use simd_json::prelude::*;
use simd_json::OwnedValue;

use super::run::{display_plain, Entry, Run};
use super::variables::Frame;
use crate::compile::{Condition, JsonataTemplate, Kind, Payload, State, StringSource, Transition};
use crate::errors::{names, ExecError};
use crate::json::jsonata::{Bindings, States};
use crate::json::Value;

/// Builds `$states`: `{input, context}` plus one extra member (`result`
/// or `errorOutput`).
pub(super) fn states_object<'v>(input: &'v Value, frame: &'v Frame) -> States<'v> {
    States {
        input,
        context: frame.ctx(),
        result: None,
        error_output: None,
    }
}

/// The bindings of an expression: `$states` and the frame's variables.
pub(super) fn bindings<'v>(states: &States<'v>, frame: &'v Frame) -> Bindings<'v> {
    Bindings {
        states: *states,
        variables: frame.vars(),
    }
}

/// Whether the value is a JSON integer (or a float with no fraction).
fn integer(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| {
        v.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
            .map(|f| f as i64)
    })
}

impl<'a> Run<'a> {
    /// Evaluates an `Assign` (either language) into the values to commit.
    /// `input` is what `$` means in a JSONPath Assign; `states` is the
    /// JSONata `$states`. Inlined for the states without one.
    #[inline]
    pub(super) fn assign_values(
        &self,
        assign: Option<&Payload>,
        input: &Value,
        states: Option<&States<'_>>,
        frame: &Frame,
        at: &Entry<'_>,
    ) -> Result<Option<Value>, ExecError> {
        match assign {
            None => Ok(None),
            Some(assign) => self.evaluate_assign(assign, input, states, frame, at),
        }
    }

    /// [`Run::assign_values`] of an `Assign`.
    fn evaluate_assign(
        &self,
        assign: &Payload,
        input: &Value,
        states: Option<&States<'_>>,
        frame: &Frame,
        at: &Entry<'_>,
    ) -> Result<Option<Value>, ExecError> {
        match assign {
            Payload::Path(t) => self.render(t, input, frame, at).map(Some),
            Payload::Jsonata(t) => {
                let owned;
                let states = match states {
                    Some(s) => s,
                    None => {
                        owned = states_object(input, frame);
                        &owned
                    }
                };
                t.render(&bindings(states, frame))
                    .map(Some)
                    .map_err(|e| Self::locate(at, e))
            }
        }
    }

    /// Renders a JSONata template against `$states`, with the state prefix
    /// on errors.
    pub(super) fn jrender(
        &self,
        t: &JsonataTemplate,
        states: &States<'_>,
        frame: &Frame,
        at: &Entry<'_>,
    ) -> Result<Value, ExecError> {
        t.render(&bindings(states, frame))
            .map_err(|e| Self::locate(at, e))
    }

    /// A JSONata number field (`MaxConcurrency`, `TimeoutSeconds`, …).
    pub(super) fn jnumber(
        &self,
        t: &JsonataTemplate,
        field: &str,
        input: &Value,
        frame: &Frame,
        at: &Entry<'_>,
    ) -> Result<f64, ExecError> {
        let states = states_object(input, frame);
        t.render_typed(&bindings(&states, frame), field, "number", |v| {
            v.cast_f64().is_some() && !v.is_bool()
        })
        .map(|v| v.cast_f64().unwrap_or(0.0))
        .map_err(|e| Self::locate(at, e))
    }

    /// Pass, Succeed, Fail, Choice and Wait in a JSONata state; Task,
    /// Parallel and Map go through [`Run::handled`].
    pub(super) async fn jsonata_simple(
        &'a self,
        st: &'a State,
        input: Value,
        frame: &mut Frame,
        at: &Entry<'_>,
    ) -> Result<(Value, Transition), ExecError> {
        match &st.kind {
            Kind::Fail { error, cause } => {
                let error = self.jstring(error, "Error", &input, frame, at)?;
                let cause = self.jstring(cause, "Cause", &input, frame, at)?;
                Err(ExecError::new(error, cause))
            }
            Kind::Choice { choices, default } => {
                let states = states_object(&input, frame);
                let b = bindings(&states, frame);
                for branch in choices {
                    let Condition::Jsonata(t) = &branch.condition else {
                        continue;
                    };
                    let v = t
                        .render_typed(&b, "Condition", "boolean", |v| v.is_bool())
                        .map_err(|e| Self::locate(at, e))?;
                    if v.as_bool() == Some(true) {
                        let out = branch.output.as_ref().or(st.output.as_ref());
                        let assign = branch.assign.as_ref().or(st.assign.as_ref());
                        return self
                            .jfinish(out, assign, input, frame, at)
                            .map(|o| (o, Transition::Next(branch.next)));
                    }
                }
                match default {
                    Some(d) => self
                        .jfinish(st.output.as_ref(), st.assign.as_ref(), input, frame, at)
                        .map(|o| (o, Transition::Next(*d))),
                    None => Err(Self::located(
                        at,
                        names::NO_CHOICE_MATCHED,
                        "No Choice Rule matched and there is no Default.",
                    )),
                }
            }
            Kind::Wait(w) => {
                let states = states_object(&input, frame);
                let delay = self.jwait(w, &input, &states, frame, at)?;
                // A state test does not wait.
                if !delay.is_zero() && self.inspector().is_none() {
                    tokio::time::sleep(delay).await;
                }
                let out = self.jfinish(st.output.as_ref(), st.assign.as_ref(), input, frame, at)?;
                Ok((out, st.transition))
            }
            Kind::Succeed | Kind::Pass { .. } => {
                let next = match st.kind {
                    Kind::Succeed => Transition::End,
                    _ => st.transition,
                };
                if st.output.is_none() && st.assign.is_none() {
                    return Ok((input, next));
                }
                let out = self.jfinish(st.output.as_ref(), st.assign.as_ref(), input, frame, at)?;
                Ok((out, next))
            }
            _ => Err(ExecError::runtime("unreachable state kind")),
        }
    }

    /// Output and Assign evaluated against `states`: the output (`None`
    /// when there is no Output) and the values to assign.
    fn jeval(
        &self,
        output: Option<&JsonataTemplate>,
        assign: Option<&Payload>,
        states: &States<'_>,
        frame: &Frame,
        at: &Entry<'_>,
    ) -> Result<(Option<Value>, Option<Value>), ExecError> {
        let out = match output {
            Some(t) => Some(self.jrender(t, states, frame, at)?),
            None => None,
        };
        let assigned = self.assign_values(assign, &OwnedValue::null(), Some(states), frame, at)?;
        Ok((out, assigned))
    }

    /// Output (default: the input) and Assign against `$states` of `input`;
    /// the variables are committed after both are evaluated.
    pub(super) fn jfinish(
        &self,
        output: Option<&JsonataTemplate>,
        assign: Option<&Payload>,
        input: Value,
        frame: &mut Frame,
        at: &Entry<'_>,
    ) -> Result<Value, ExecError> {
        let (out, assigned) =
            self.jeval(output, assign, &states_object(&input, frame), frame, at)?;
        frame.commit(assigned).map_err(|e| Self::locate(at, e))?;
        Ok(out.unwrap_or(input))
    }

    fn jstring(
        &self,
        src: &StringSource,
        field: &str,
        input: &Value,
        frame: &Frame,
        at: &Entry<'_>,
    ) -> Result<String, ExecError> {
        match src {
            StringSource::None => Ok(String::new()),
            StringSource::Fixed(s) => Ok(s.to_string()),
            StringSource::Jsonata(t) => {
                let states = states_object(input, frame);
                let v = t
                    .render_typed(&bindings(&states, frame), field, "string", |v| v.is_str())
                    .map_err(|e| Self::locate(at, e))?;
                Ok(display_plain(&v))
            }
            // JSONPath sources never occur in a JSONata state.
            StringSource::Path(_) | StringSource::Intrinsic(_) => Ok(String::new()),
        }
    }

    fn jwait(
        &self,
        w: &crate::compile::WaitFor,
        input: &Value,
        states: &States<'_>,
        frame: &Frame,
        at: &Entry<'_>,
    ) -> Result<Duration, ExecError> {
        use crate::compile::WaitFor;
        match w {
            WaitFor::SecondsExpr(t) => {
                let v = t
                    .render_typed(&bindings(states, frame), "Seconds", "integer", |v| {
                        integer(v).is_some_and(|n| n >= 0)
                    })
                    .map_err(|e| Self::locate(at, e))?;
                Ok(Duration::from_secs(integer(&v).unwrap_or(0).max(0) as u64))
            }
            WaitFor::TimestampExpr(t) => {
                let v = self.jrender(t, states, frame, at)?;
                match v
                    .as_str()
                    .and_then(crate::compile::timestamp::parse_timestamp)
                {
                    Some(ts) => Ok((ts.with_timezone(&chrono::Utc) - chrono::Utc::now())
                        .to_std()
                        .unwrap_or(Duration::ZERO)),
                    None => Err(Self::located(
                        at,
                        names::QUERY_EVALUATION_ERROR,
                        format!(
                            "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {}",
                            display_plain(&v)
                        ),
                    )),
                }
            }
            other => self.wait_duration(other, input, frame, at),
        }
    }

    /// The output and variables of a JSONata catcher: `$states.errorOutput`
    /// is `{Error, Cause}`, the default output.
    pub(super) fn jcatch(
        &self,
        c: &crate::compile::Catcher,
        input: &Value,
        error_output: Value,
        frame: &mut Frame,
        at: &Entry<'_>,
    ) -> Result<Value, ExecError> {
        if c.output.is_none() && c.assign.is_none() {
            return Ok(error_output);
        }
        let states = States {
            error_output: Some(&error_output),
            ..states_object(input, frame)
        };
        let (out, assigned) =
            self.jeval(c.output.as_ref(), c.assign.as_ref(), &states, frame, at)?;
        frame.commit(assigned).map_err(|e| Self::locate(at, e))?;
        Ok(out.unwrap_or(error_output))
    }
}
