//! One state's work by its type: Pass, Succeed, Fail, Choice and Wait here,
//! Task, Parallel and Map through [`Run::handled`].
//!
//! Source: ASL spec "Pass State", "Succeed State", "Fail State", "Choice State",
//! "Wait State".

use simd_json::OwnedValue;

use super::dataflow::after_result_path;
use super::inspect::Step;
use super::{oversized_result, size, too_deep, Doc, Entry, Frame, Run};
use crate::compile::{Condition, IoPath, Kind, ResultPath, State, StringSource, Transition};
use crate::errors::{names, ExecError, MAX_PAYLOAD_BYTES};
use crate::json::size::Bound;
use crate::json::{Scope, Value, MAX_DEPTH};

impl<'a> Run<'a> {
    /// The work of a JSONPath Pass, Succeed, Fail or Choice state, between
    /// its entry and exit events: none of them awaits, so it is a plain
    /// call, with no future to build, poll and drop. A Wait or a JSONata
    /// state runs in [`Run::step_awaiting`], a Task, Parallel or Map in
    /// [`Run::handled`] (which take the input as it is, shared or not; these
    /// states change it in place).
    pub(in crate::engine) fn step(
        &self,
        st: &State,
        raw: Doc,
        frame: &mut Frame,
        at: &Entry<'_>,
    ) -> Result<(Doc, Transition), ExecError> {
        let (raw, in_bound, bound) = self.taken(st, raw);
        match &st.kind {
            Kind::Pass { result } => {
                let (out, assigned) = self.pass(st, result.as_ref(), raw, in_bound, frame, at)?;
                frame.commit(assigned).map_err(|e| Self::locate(at, e))?;
                Ok((out, st.transition))
            }
            Kind::Succeed => {
                let eff = self.io(&st.input_path, raw, frame, at)?;
                self.note(at, Step::AfterInputPath, &eff);
                let out = self.io(&st.output_path, eff, frame, at)?;
                Ok((Doc::bounded(out, bound), Transition::End))
            }
            Kind::Fail { error, cause } => {
                // AWS reports a Fail state's input as its afterInputPath.
                self.note(at, Step::AfterInputPath, &raw);
                let error = self.string_source(error, "ErrorPath", &raw, frame, at)?;
                let cause = self.string_source(cause, "CausePath", &raw, frame, at)?;
                Err(ExecError::new(error, cause))
            }
            Kind::Choice { choices, default } => {
                let eff = self.io(&st.input_path, raw, frame, at)?;
                self.note(at, Step::AfterInputPath, &eff);
                let scope = Scope {
                    input: &eff,
                    context: frame.ctx(),
                    variables: frame.vars(),
                };
                let mut next = None;
                let mut assign = st.assign.as_ref();
                for branch in choices {
                    let Condition::Path(rule) = &branch.condition else {
                        continue;
                    };
                    if rule.eval(&scope).map_err(|e| Self::locate(at, e))? {
                        next = Some(branch.next);
                        assign = branch.assign.as_ref().or(assign);
                        break;
                    }
                }
                let next = match next.or(*default) {
                    Some(n) => n,
                    None => {
                        return Err(Self::located(
                            at,
                            names::NO_CHOICE_MATCHED,
                            "No Choice Rule matched and there is no Default.",
                        ))
                    }
                };
                let assigned = self.assign_values(assign, &eff, None, frame, at)?;
                let out = self.io(&st.output_path, eff, frame, at)?;
                frame.commit(assigned).map_err(|e| Self::locate(at, e))?;
                Ok((Doc::bounded(out, bound), Transition::Next(next)))
            }
            Kind::Task { .. } | Kind::Parallel { .. } | Kind::Map(_) | Kind::Wait(_) => {
                // Run by `handled` and `step_awaiting`.
                Err(ExecError::runtime("unreachable state kind"))
            }
        }
    }

    /// The work of a Wait state, or of a JSONata state other than a Task,
    /// Parallel or Map, between its entry and exit events.
    pub(in crate::engine) async fn step_awaiting(
        &'a self,
        st: &'a State,
        raw: Doc,
        frame: &mut Frame,
        at: &Entry<'_>,
    ) -> Result<(Doc, Transition), ExecError> {
        let (raw, _, bound) = self.taken(st, raw);
        if st.jsonata {
            // Boxed, as a Map is (`handled`): the JSONata states' future
            // would otherwise set the size of every state's.
            let (out, next) = Box::pin(self.jsonata_simple(st, raw, frame, at)).await?;
            if size::deeper_than(&out, MAX_DEPTH) {
                return Err(too_deep(at, "output"));
            }
            return Ok((Doc::new(out), next));
        }
        match &st.kind {
            Kind::Wait(wait) => {
                let eff = self.io(&st.input_path, raw, frame, at)?;
                self.note(at, Step::AfterInputPath, &eff);
                let delay = self.wait_duration(wait, &eff, frame, at)?;
                // A state test does not wait.
                if !delay.is_zero() && self.inspect.is_none() {
                    tokio::time::sleep(delay).await;
                }
                let assigned = self.assign_values(st.assign.as_ref(), &eff, None, frame, at)?;
                let out = self.io(&st.output_path, eff, frame, at)?;
                frame.commit(assigned).map_err(|e| Self::locate(at, e))?;
                Ok((Doc::bounded(out, bound), st.transition))
            }
            _ => {
                // Run by `handled` and `step`.
                Err(ExecError::runtime("unreachable state kind"))
            }
        }
    }

    /// The input of a state that changes it in place (all but a Task,
    /// Parallel or Map), with the bound known of its size and the bound
    /// that still holds for the output of a state that passes it on whole.
    // Always inlined: called, it returns its three parts through memory.
    #[inline(always)]
    fn taken(&self, st: &State, raw: Doc) -> (Value, Option<Bound>, Option<Bound>) {
        let whole = matches!(
            (&st.input_path, &st.output_path),
            (IoPath::Identity, IoPath::Identity)
        );
        let in_bound = raw.bound;
        let bound = in_bound.filter(|_| whole);
        // A Pass whose Result replaces its input reads nothing of it: the
        // input is dropped, not copied out of a shared document (a Parallel
        // branch's first state).
        let raw = if self.input_unread(st) {
            drop(raw);
            Value::default()
        } else {
            raw.into_owned()
        };
        (raw, in_bound, bound)
    }

    /// Whether state `st` reads nothing of its input: a JSONPath Pass with a
    /// `Result`, no `Parameters`, whose result replaces the input
    /// (`ResultPath` `$`), outside a state test (which reports the input).
    /// Its `InputPath` is not evaluated then either (see [`Run::pass`]).
    fn input_unread(&self, st: &State) -> bool {
        matches!(&st.kind, Kind::Pass { result: Some(_) })
            && !st.jsonata
            && st.parameters.is_none()
            && matches!(st.result_path, ResultPath::Replace)
            && self.inspect.is_none()
    }

    pub(in crate::engine) fn pass(
        &self,
        st: &State,
        result: Option<&Value>,
        raw: Value,
        bound: Option<Bound>,
        frame: &Frame,
        at: &Entry<'_>,
    ) -> Result<(Doc, Option<Value>), ExecError> {
        let fast = matches!(st.input_path, IoPath::Identity)
            && st.parameters.is_none()
            && result.is_none()
            && st.assign.is_none()
            && self.inspect.is_none();
        let mut assigned = None;
        let (out, bound) = match (&st.result_path, fast) {
            (ResultPath::Replace, true) | (ResultPath::Discard, true) => (raw, bound),
            _ => {
                // A result that replaces the input may take its parts from
                // it instead of copying them: nothing reads the input after.
                let consumed = matches!(st.result_path, ResultPath::Replace)
                    && matches!(st.input_path, IoPath::Identity)
                    && self.inspect.is_none();
                let (value, raw) = match (result, &st.parameters) {
                    (Some(r), _) => {
                        // Parameters are still evaluated (their errors still count).
                        if st.parameters.is_some() {
                            self.effective(st, &raw, frame, at)?;
                        }
                        (r.clone(), raw)
                    }
                    (None, Some(t)) if consumed => {
                        (self.render_owned(t, raw, frame, at)?, Value::default())
                    }
                    (None, _) => (self.effective(st, &raw, frame, at)?.into_owned(), raw),
                };
                // As AWS reports a Pass state: `result` only for a Result.
                if result.is_some() {
                    self.note(at, Step::Result, &value);
                }
                self.note(at, Step::AfterResultSelector, &value);
                // A `Result` was measured when the state was compiled.
                let measure = match (result, st.result_measure) {
                    (Some(_), Some(m)) => m,
                    _ => size::measure(&value),
                };
                if measure.exceeds(&value, MAX_PAYLOAD_BYTES) {
                    return Err(oversized_result(&st.name));
                }
                assigned = self.assign_values(st.assign.as_ref(), &value, None, frame, at)?;
                let bound = after_result_path(bound, Some(measure.bound()), &st.result_path);
                let out = self.result_path(&st.result_path, raw, value, Some(measure.depth), at)?;
                (out, bound)
            }
        };
        let out = self.io(&st.output_path, out, frame, at)?;
        let bound = bound.filter(|_| matches!(st.output_path, IoPath::Identity));
        Ok((Doc::bounded(out, bound), assigned))
    }

    pub(in crate::engine) fn string_source(
        &self,
        src: &StringSource,
        field: &str,
        raw: &Value,
        frame: &Frame,
        at: &Entry<'_>,
    ) -> Result<String, ExecError> {
        let scope = Scope {
            input: raw,
            context: frame.ctx(),
            variables: frame.vars(),
        };
        let v = match src {
            // JSONata sources are evaluated by `jsonata_simple`.
            StringSource::None | StringSource::Jsonata(_) => return Ok(String::new()),
            StringSource::Fixed(s) => return Ok(s.to_string()),
            StringSource::Intrinsic(i) => i.eval(&scope).map_err(|e| Self::locate(at, e))?,
            StringSource::Path(p) => match p.select(&scope) {
                Ok(sel) => sel.into_value(),
                Err(_) => {
                    return Err(Self::located(
                        at,
                        names::RUNTIME,
                        format!(
                            "The JSONPath '{}' specified for the field '{}' could not be found in the input '{}'",
                            p.text(),
                            field,
                            crate::json::to_string(raw)
                        ),
                    ))
                }
            },
        };
        match v {
            OwnedValue::String(s) => Ok(s),
            other => Err(Self::located(
                at,
                names::RUNTIME,
                format!(
                    "The JSONPath '{}' specified for the field '{}' did not resolve to a string: {}",
                    match src {
                        StringSource::Path(p) => p.text(),
                        _ => "",
                    },
                    field,
                    crate::json::to_string(&other)
                ),
            )),
        }
    }
}
