//! The JSONPath data flow of a state: InputPath, Parameters (or JSONata
//! Arguments), ResultSelector (or Output), ResultPath, OutputPath.
//!
//! Source: ASL spec "Input and Output Processing"; reference §3.

use std::borrow::Cow;
use std::sync::Arc;

use simd_json::OwnedValue;

use super::inspect::Step;
use super::{size, too_deep, Entry, Frame, Run};
use crate::compile::{IoPath, Kind, ResultPath, State};
use crate::engine::jsonata::states_object;
use crate::errors::{names, ExecError};
use crate::json::path::{Path, Selected};
use crate::json::size::Bound;
use crate::json::template::Template;
use crate::json::{Scope, Value, MAX_DEPTH};

fn empty_object() -> Value {
    OwnedValue::Object(Box::default())
}

/// The bound of a state's document after ResultPath placed a result in it:
/// from the bounds of the input (`raw`) and of the result, when both are
/// known.
#[inline]
pub(super) fn after_result_path(
    raw: Option<Bound>,
    result: Option<Bound>,
    rp: &ResultPath,
) -> Option<Bound> {
    match rp {
        ResultPath::Discard => raw,
        ResultPath::Replace => result,
        ResultPath::Path(p) => raw?.placed(result?, p),
    }
}

impl<'a> Run<'a> {
    /// InputPath or OutputPath over an owned value. Inlined: most states
    /// have neither, and the call would cost more than the check.
    #[inline]
    pub(in crate::engine) fn io(
        &self,
        path: &IoPath,
        v: Value,
        frame: &Frame,
        at: &Entry<'_>,
    ) -> Result<Value, ExecError> {
        match path {
            IoPath::Identity => Ok(v),
            IoPath::Empty => Ok(empty_object()),
            IoPath::Path(p) => self.select_owned(p, v, frame, at),
        }
    }

    /// The value `p` selects in `v`, owned.
    fn select_owned(
        &self,
        p: &Path,
        v: Value,
        frame: &Frame,
        at: &Entry<'_>,
    ) -> Result<Value, ExecError> {
        Ok(self.select(p, &v, frame, at)?.into_owned())
    }

    /// InputPath or ItemsPath over a borrowed value (inlined as
    /// [`Run::io`]).
    #[inline]
    pub(in crate::engine) fn io_ref<'v>(
        &self,
        path: &IoPath,
        v: &'v Value,
        frame: &'v Frame,
        at: &Entry<'_>,
    ) -> Result<Cow<'v, Value>, ExecError> {
        match path {
            IoPath::Identity => Ok(Cow::Borrowed(v)),
            IoPath::Empty => Ok(Cow::Owned(empty_object())),
            IoPath::Path(p) => self.select(p, v, frame, at),
        }
    }

    pub(in crate::engine) fn select<'v>(
        &self,
        p: &Path,
        v: &'v Value,
        frame: &'v Frame,
        at: &Entry<'_>,
    ) -> Result<Cow<'v, Value>, ExecError> {
        let scope = Scope {
            input: v,
            context: frame.ctx(),
            variables: frame.vars(),
        };
        match p.select(&scope) {
            Ok(Selected::One(r)) => Ok(Cow::Borrowed(r)),
            Ok(other) => Ok(Cow::Owned(other.into_value())),
            Err(e) => Err(Self::located(at, names::RUNTIME, e)),
        }
    }

    /// InputPath then Parameters: the effective input. Always inlined: a
    /// call returns the `Cow` through memory, taken apart by the caller.
    #[inline(always)]
    pub(in crate::engine) fn effective<'v>(
        &self,
        st: &State,
        raw: &'v Value,
        frame: &'v Frame,
        at: &Entry<'_>,
    ) -> Result<Cow<'v, Value>, ExecError> {
        let selected = self.io_ref(&st.input_path, raw, frame, at)?;
        self.note(at, Step::AfterInputPath, &selected);
        let effective = match &st.parameters {
            None => selected,
            Some(t) => Cow::Owned(self.render(t, &selected, frame, at)?),
        };
        self.note(at, Step::AfterParameters, &effective);
        Ok(effective)
    }

    pub(in crate::engine) fn render(
        &self,
        t: &Template,
        input: &Value,
        frame: &Frame,
        at: &Entry<'_>,
    ) -> Result<Value, ExecError> {
        t.render(&Scope {
            input,
            context: frame.ctx(),
            variables: frame.vars(),
        })
        .map_err(|e| Self::locate(at, e))
    }

    /// [`Run::render`] over an input nothing reads after: the template may
    /// move its values out of it ([`Template::render_owned`]).
    pub(in crate::engine) fn render_owned(
        &self,
        t: &Template,
        input: Value,
        frame: &Frame,
        at: &Entry<'_>,
    ) -> Result<Value, ExecError> {
        t.render_owned(input, frame.ctx(), frame.vars())
            .map_err(|e| Self::locate(at, e))
    }

    /// ResultPath: merges `result` into `raw`. `depth`: the result's depth
    /// when the caller measured it, else it is walked here, so that the
    /// merged document stays within [`MAX_DEPTH`]. Always inlined: a call
    /// takes and returns the documents through memory.
    #[inline(always)]
    pub(in crate::engine) fn result_path(
        &self,
        rp: &ResultPath,
        raw: Value,
        result: Value,
        depth: Option<usize>,
        at: &Entry<'_>,
    ) -> Result<Value, ExecError> {
        let below = match rp {
            ResultPath::Discard => {
                self.note(at, Step::AfterResultPath, &raw);
                return Ok(raw);
            }
            ResultPath::Replace => 0,
            ResultPath::Path(p) => p.segments().len(),
        };
        let deep = match depth {
            Some(d) => d.saturating_add(below) > MAX_DEPTH,
            None => size::deeper_than(&result, MAX_DEPTH.saturating_sub(below)),
        };
        if deep || below > MAX_DEPTH {
            return Err(too_deep(at, "ResultPath"));
        }
        let merged = match rp {
            ResultPath::Path(p) => p
                .assign(raw, result)
                .map_err(|e| Self::located(at, names::RESULT_PATH_MATCH_FAILURE, e))?,
            _ => result,
        };
        self.note(at, Step::AfterResultPath, &merged);
        Ok(merged)
    }

    /// After a successful attempt: Assign (against the raw result in
    /// JSONPath, `$states.result` in JSONata) and ResultSelector (JSONPath)
    /// or Output (JSONata). Returns the value ResultPath takes (JSONPath)
    /// or the state output (JSONata), and the variables to commit. Inlined
    /// in [`Run::handled`], its one caller: its result is large to return.
    #[inline]
    pub(in crate::engine) fn finish_attempt(
        &self,
        st: &State,
        raw: &Value,
        result: Value,
        frame: &Frame,
        at: &Entry<'_>,
    ) -> Result<(Value, Option<Value>), ExecError> {
        // AWS reports no raw result for a Map state.
        let reported = !matches!(st.kind, Kind::Map(_));
        if st.jsonata {
            if reported {
                self.note(at, Step::Result, &result);
            }
            if st.output.is_none() && st.assign.is_none() {
                return Ok((result, None));
            }
            let states = crate::json::jsonata::States {
                result: Some(&result),
                ..states_object(raw, frame)
            };
            let assigned = self.assign_values(st.assign.as_ref(), raw, Some(&states), frame, at)?;
            let out = match &st.output {
                Some(t) => self.jrender(t, &states, frame, at)?,
                None => result,
            };
            return Ok((out, assigned));
        }
        if reported {
            self.note(at, Step::Result, &result);
        }
        let assigned = self.assign_values(st.assign.as_ref(), &result, None, frame, at)?;
        let result = match &st.result_selector {
            Some(t) => self.render(t, &result, frame, at)?,
            None => result,
        };
        self.note(at, Step::AfterResultSelector, &result);
        Ok((result, assigned))
    }

    /// The effective input of a Task or Parallel: InputPath + Parameters
    /// (JSONPath) or Arguments (JSONata; default the input).
    pub(in crate::engine) fn arguments(
        &self,
        st: &State,
        raw: &Value,
        frame: &Frame,
        at: &Entry<'_>,
    ) -> Result<Value, ExecError> {
        if st.jsonata {
            let args = match &st.arguments {
                None => raw.clone(),
                Some(t) => {
                    let states = states_object(raw, frame);
                    self.jrender(t, &states, frame, at)?
                }
            };
            self.note(at, Step::AfterArguments, &args);
            return Ok(args);
        }
        Ok(self.effective(st, raw, frame, at)?.into_owned())
    }

    /// A Task's effective input, as [`Run::arguments`] builds it, but shared:
    /// the state's input itself when the Task selects all of it. Always
    /// inlined into its callers (a Task, a Parallel): a call returns the
    /// result through memory.
    #[inline(always)]
    pub(in crate::engine) fn task_input(
        &self,
        st: &State,
        raw: &Arc<Value>,
        frame: &Frame,
        at: &Entry<'_>,
    ) -> Result<Arc<Value>, ExecError> {
        if st.jsonata {
            return match &st.arguments {
                None => {
                    self.note(at, Step::AfterArguments, raw);
                    Ok(Arc::clone(raw))
                }
                Some(_) => Ok(Arc::new(self.arguments(st, raw, frame, at)?)),
            };
        }
        match self.effective(st, raw, frame, at)? {
            Cow::Borrowed(v) if std::ptr::eq(v, &**raw) => Ok(Arc::clone(raw)),
            other => Ok(Arc::new(other.into_owned())),
        }
    }
}
