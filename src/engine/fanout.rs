//! Parallel and Map: running branches and iterations, each in its own
//! [`Frame`] (the Context Object of the instance, and a copy-on-write view
//! of the enclosing variables), and the Map's concurrency and tolerated
//! failure settings.
//!
//! Source: ASL spec "Parallel State", "Map State"; reference §3.

use std::borrow::Cow;

use futures::{StreamExt, TryStreamExt};
use simd_json::prelude::*;
use simd_json::OwnedValue;

use super::budget::Charge;
use super::context;
use super::jsonata::states_object;
use super::observe::Event;
use super::run::{display_plain, Doc, Entry, Run};
use super::size;
use super::variables::Frame;
use crate::compile::{Graph, Items, MapSpec, Number, Payload, State};
use crate::errors::{names, ExecError};
use crate::json::path::Selected;
use crate::json::size::Bound;
use crate::json::{Scope, Value};

impl<'a> Run<'a> {
    pub(super) async fn parallel(
        &'a self,
        st: &'a State,
        branches: &'a [Graph],
        raw: &std::sync::Arc<Value>,
        raw_bound: Option<Bound>,
        frame: &Frame,
        at: &Entry<'_>,
    ) -> Result<(Value, Option<Bound>), ExecError> {
        let input = self.task_input(st, raw, frame, at)?;
        let bound = raw_bound.filter(|_| std::sync::Arc::ptr_eq(&input, raw));
        let id = self.add_events(1); // ParallelStateStarted
        if let Some(o) = self.obs() {
            o.event(id, &Event::ParallelStarted { state: at.state() });
        }
        // Every branch shares the effective input (a branch state that
        // changes it copies it then). Each branch's result, until all are
        // in, is held against the execution's memory budget. The branches'
        // futures go straight into the join (no vector of them to move).
        let joined = futures::future::try_join_all(branches.iter().enumerate().map(|(i, b)| {
            let branch_input = Doc::shared(std::sync::Arc::clone(&input), bound);
            let run = self.graph(b, self.child_base(at, i), branch_input, frame.clone());
            async move {
                let out = run.await?.into_owned();
                let measure = size::measure(&out);
                let charge = self.budget.charge(&measure, at.name)?;
                Ok::<_, ExecError>((out, measure.bound(), charge))
            }
        }));
        drop(input);
        let results = joined.await.map(|all| {
            let bound = Bound::array(all.iter().map(|(_, b, _)| *b));
            // Pushed into a new vector: collecting in place would reuse the
            // larger tuples' buffer and then shrink it (a reallocation).
            let mut values = Vec::with_capacity(all.len());
            values.extend(all.into_iter().map(|(v, _, _)| v));
            (values, bound)
        });
        let id = self.add_events(1); // ParallelStateSucceeded / ParallelStateFailed
        if let Some(o) = self.obs() {
            let state = at.state();
            match &results {
                Ok(_) => o.event(id, &Event::ParallelSucceeded { state }),
                Err(_) => o.event(id, &Event::ParallelFailed { state }),
            }
        }
        let (values, bound) = results?;
        Ok((OwnedValue::Array(Box::new(values)), Some(bound)))
    }

    pub(super) fn number(
        &self,
        n: &Number,
        field: &str,
        eff: &Value,
        integer: bool,
        frame: &Frame,
        at: &Entry<'_>,
    ) -> Result<f64, ExecError> {
        let scope = Scope {
            input: eff,
            context: frame.ctx(),
            variables: frame.vars(),
        };
        match n {
            Number::Fixed(x) => Ok(*x),
            Number::Jsonata(t) => {
                let x = self.jnumber(t, field, eff, frame, at)?;
                if integer && x.fract() != 0.0 {
                    return Err(Self::located(
                        at,
                        names::QUERY_EVALUATION_ERROR,
                        format!("The {field} field must be an integer, but was: {x}"),
                    ));
                }
                Ok(x)
            }
            Number::Path(p) => {
                let v = p
                    .select(&scope)
                    .map(Selected::into_value)
                    .map_err(|e| Self::located(at, names::RUNTIME, e))?;
                // A numeric string counts (AWS parses the text).
                let parsed = match (v.as_str(), integer) {
                    (Some(s), true) => s.trim().parse::<i64>().ok().map(|i| i as f64),
                    (Some(s), false) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
                    (None, true) => v
                        .as_i64()
                        .map(|i| i as f64)
                        .or_else(|| v.as_u64().map(|u| u as f64)),
                    (None, false) => v.cast_f64(),
                };
                parsed.ok_or_else(|| {
                    Self::located(
                        at,
                        names::RUNTIME,
                        format!(
                            "The {field}Path field refers to value \"{}\" which is not a valid {}: {}",
                            display_plain(&v),
                            if integer { "integer" } else { "float" },
                            p.text()
                        ),
                    )
                })
            }
        }
    }

    pub(super) async fn map(
        &'a self,
        st: &'a State,
        spec: &'a MapSpec,
        raw: &Value,
        frame: &Frame,
        at: &Entry<'_>,
    ) -> Result<Value, ExecError> {
        let eff = self.io_ref(&st.input_path, raw, frame, at)?;
        let reader = spec
            .distributed
            .as_ref()
            .is_some_and(|d| d.reader.is_some());
        let no_items = OwnedValue::Array(Box::default());
        let items = match &spec.items {
            // An ItemReader gives the items; ItemsPath is not read.
            _ if reader => Cow::Borrowed(&no_items),
            Items::Path(items_path) => self.io_ref(items_path, &eff, frame, at)?,
            Items::Jsonata(None) => {
                if !eff.is_array() {
                    return Err(Self::located(
                        at,
                        names::QUERY_EVALUATION_ERROR,
                        format!(
                            "Map state input must be an array but was: {}",
                            crate::json::to_string(&eff)
                        ),
                    ));
                }
                eff.clone()
            }
            Items::Jsonata(Some(t)) => {
                let states = states_object(&eff, frame);
                let v = t
                    .render_typed(
                        &super::jsonata::bindings(&states, frame),
                        "Items",
                        "array",
                        |v| v.is_array(),
                    )
                    .map_err(|e| Self::locate(at, e))?;
                Cow::Owned(v)
            }
        };
        if !st.jsonata {
            self.note(at, super::run::inspect::Step::AfterItemsPath, &items);
        }
        let Some(items) = items.as_array() else {
            return Err(Self::located(
                at,
                names::RUNTIME,
                format!(
                    "Items of the Map state must be an array, but was: {}",
                    crate::json::to_string(&items)
                ),
            ));
        };
        let concurrency = match &spec.max_concurrency {
            Some(n) => self.number(n, "MaxConcurrency", &eff, true, frame, at)?,
            None => 0.0,
        };
        let tolerated_count = match &spec.tolerated_count {
            Some(n) => {
                let c = self.number(n, "ToleratedFailureCount", &eff, true, frame, at)?;
                if c < 0.0 {
                    return Err(Self::located(
                        at,
                        names::RUNTIME,
                        "ToleratedFailureCount cannot be negative.",
                    ));
                }
                Some(c)
            }
            None => None,
        };
        let tolerated_pct = match &spec.tolerated_percentage {
            Some(n) => {
                let p = self.number(n, "ToleratedFailurePercentage", &eff, false, frame, at)?;
                if !(0.0..=100.0).contains(&p) {
                    return Err(Self::located(
                        at,
                        names::RUNTIME,
                        "ToleratedFailurePercentage must be between 0 and 100.",
                    ));
                }
                Some(p)
            }
            None => None,
        };
        if let Some(i) = self.inspector() {
            i.map_settings(at, concurrency, tolerated_count, tolerated_pct);
        }
        if let Some(d) = &spec.distributed {
            let set = super::map_run::Settings {
                input: &eff,
                items: (!reader).then_some(items.as_slice()),
                max_concurrency: concurrency,
                tolerated_count,
                tolerated_percentage: tolerated_pct,
            };
            return self.distributed(spec, d, set, frame, at).await;
        }
        let width = inline_width(concurrency);
        let id = self.add_events(1); // MapStateStarted
        if let Some(o) = self.obs() {
            let (state, length) = (at.state(), items.len());
            o.event(id, &Event::MapStarted { state, length });
        }
        let base = self.child_base(at, 0);
        // Each iteration's frame and input are made when it starts, so at
        // most `width` exist at once; every frame shares the execution's
        // part of the Context Object.
        let runs = futures::stream::iter((0..items.len()).map(|index| {
            let item = &items[index];
            let mut f = frame.clone();
            if let Some(ctx) = f.ctx_mut() {
                context::map_item(ctx, index, item);
            }
            let input = match &spec.item_selector {
                Some(Payload::Path(t)) => self.render(t, &eff, &f, at),
                Some(Payload::Jsonata(t)) => {
                    let states = states_object(&eff, &f);
                    self.jrender(t, &states, &f, at)
                }
                None => Ok(item.clone()),
            };
            async move {
                // An ItemSelector that fails fails the Map, whatever it
                // tolerates; so does running out of memory budget.
                let input = input?;
                let held = self.budget.charge(&size::measure(&input), at.name)?;
                let id = self.add_events(1); // MapIterationStarted
                if let Some(o) = self.obs() {
                    o.event(
                        id,
                        &Event::MapIterationStarted {
                            state: at.state(),
                            index,
                        },
                    );
                }
                let out = self
                    .graph(&spec.processor, base, Doc::new(input), f)
                    .await
                    .map(Doc::into_owned);
                drop(held);
                match out {
                    Ok(v) => {
                        // Held until the Map has all its results.
                        let charge = self.budget.charge(&size::measure(&v), at.name)?;
                        Ok(Ok((v, charge)))
                    }
                    Err(e) => Ok(Err(e)),
                }
            }
        }))
        .buffered(width);
        let results = self.tolerate(runs, tolerated_count, tolerated_pct).await;
        let id = self.add_events(1); // MapStateSucceeded / MapStateFailed
        if let Some(o) = self.obs() {
            let state = at.state();
            match &results {
                Ok(_) => o.event(id, &Event::MapSucceeded { state }),
                Err(_) => o.event(id, &Event::MapFailed { state }),
            }
        }
        Ok(OwnedValue::Array(Box::new(results?)))
    }

    /// Collects a Map's iteration results: the first failure fails the Map
    /// unless ToleratedFailureCount/Percentage allow it, in which case a
    /// failed iteration leaves its Error Output in the results.
    async fn tolerate<'b>(
        &self,
        runs: impl futures::Stream<Item = Result<Result<(Value, Charge<'b>), ExecError>, ExecError>>,
        tolerated_count: Option<f64>,
        tolerated_pct: Option<f64>,
    ) -> Result<Vec<Value>, ExecError> {
        let runs = std::pin::pin!(runs);
        Ok(if tolerated_count.is_none() && tolerated_pct.is_none() {
            let all: Vec<(Value, Charge<'b>)> = runs
                .map(|r| r.and_then(|iteration| iteration))
                .try_collect()
                .await?;
            all.into_iter().map(|(v, _)| v).collect()
        } else {
            let all: Vec<Result<(Value, Charge<'b>), ExecError>> = runs.try_collect().await?;
            let failures = all.iter().filter(|r| r.is_err()).count();
            let n = all.len().max(1) as f64;
            let ok_count = tolerated_count.is_none_or(|c| failures as f64 <= c);
            let ok_pct = tolerated_pct.is_none_or(|p| failures as f64 * 100.0 / n <= p);
            if failures > 0 && !(ok_count && ok_pct) {
                return Err(ExecError::new(
                    names::EXCEED_TOLERATED_FAILURE_THRESHOLD,
                    "The specified tolerated failure threshold was exceeded",
                ));
            }
            all.into_iter()
                .map(|r| r.map_or_else(super::run::error_output, |(v, _)| v))
                .collect()
        })
    }
}

/// The most iterations an inline Map runs at once: 40, as AWS does (AWS
/// guide, "Using Map state in Inline mode": "the Map state supports up to
/// 40 concurrent iterations"). MaxConcurrency 0 (or absent) means up to 40.
pub(crate) const MAX_INLINE_CONCURRENCY: usize = 40;

/// How many iterations run at once for a MaxConcurrency of `concurrency`.
fn inline_width(concurrency: f64) -> usize {
    if concurrency >= 1.0 {
        (concurrency.min(MAX_INLINE_CONCURRENCY as f64) as usize).max(1)
    } else {
        MAX_INLINE_CONCURRENCY
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_concurrency_is_capped_at_40() {
        assert_eq!(inline_width(0.0), 40);
        assert_eq!(inline_width(1.0), 1);
        assert_eq!(inline_width(39.0), 39);
        assert_eq!(inline_width(40.0), 40);
        assert_eq!(inline_width(1000.0), 40);
    }
}
