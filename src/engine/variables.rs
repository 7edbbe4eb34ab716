//! Workflow variables and the per-scope state of a graph instance.
//!
//! A [`Frame`] belongs to one graph instance (the top level, a Parallel
//! branch, a Map iteration). Its variables start as a copy of the enclosing
//! scope's (shared until the first write), so an inner scope reads the outer
//! variables but its assignments never leave it, and sibling scopes are
//! isolated. A state's `Assign` is evaluated against the values as of state
//! entry and committed after the state ([`Frame::commit`]), so
//! `{"a": "{% $b %}", "b": "{% $a %}"}` swaps.
//!
//! Source: AWS developer guide, "Passing data between states with
//! variables"; reference §2 (limits) and §3 "Variables".

use std::sync::Arc;

use simd_json::OwnedValue;

use super::context::ContextObject;
use super::size;
use crate::errors::{names, ExecError, MAX_PAYLOAD_BYTES};
use crate::json::{Context, Value, MAX_DEPTH};

/// The most bytes all the variables of one execution scope may hold: 10 MiB.
pub(super) const MAX_VARIABLES_BYTES: usize = 10 * 1024 * 1024;

/// The Context Object and the workflow variables of one graph instance.
#[derive(Clone, Default)]
pub(super) struct Frame {
    /// The Context Object, when the machine reads it.
    pub(super) context: Option<ContextObject>,
    /// The variables in scope (an object), once any was assigned.
    pub(super) vars: Option<Arc<Value>>,
}

impl Frame {
    /// A frame with this Context Object and no variables.
    pub(super) fn new(context: Option<ContextObject>) -> Self {
        Frame {
            context,
            vars: None,
        }
    }

    /// The Context Object (`null` when the machine never reads it).
    pub(super) fn ctx(&self) -> Context<'_> {
        match &self.context {
            Some(c) => c.view(),
            None => Context::of(&crate::json::NULL),
        }
    }

    /// The Context Object to change.
    pub(super) fn ctx_mut(&mut self) -> Option<&mut ContextObject> {
        self.context.as_mut()
    }

    /// The variables in scope, an object from name to value.
    pub(super) fn vars(&self) -> Option<&Value> {
        self.vars.as_deref()
    }

    /// Commits the values an `Assign` produced (an object from name to
    /// value), replacing earlier values of the same names.
    ///
    /// # Errors
    /// `States.DataLimitExceeded` when the assigned values exceed 256 KiB, or
    /// all the variables together exceed 10 MiB.
    #[inline]
    pub(super) fn commit(&mut self, assigned: Option<Value>) -> Result<(), ExecError> {
        // Inlined for the states without an Assign (nothing to commit).
        match assigned {
            None => Ok(()),
            Some(values) => self.commit_values(values),
        }
    }

    /// [`Frame::commit`] of an Assign's values.
    fn commit_values(&mut self, assigned: Value) -> Result<(), ExecError> {
        let OwnedValue::Object(new) = assigned else {
            return Ok(());
        };
        if new.is_empty() {
            return Ok(());
        }
        let whole = OwnedValue::Object(new);
        let measure = size::measure(&whole);
        // The object of the assigned names is one level above their values.
        if measure.depth > MAX_DEPTH + 1 {
            return Err(ExecError::new(
                names::DATA_LIMIT_EXCEEDED,
                format!("The variables assigned by the state nest deeper than the maximum depth of {MAX_DEPTH} levels."),
            ));
        }
        if measure.exceeds(&whole, MAX_PAYLOAD_BYTES) {
            return Err(ExecError::new(
                names::DATA_LIMIT_EXCEEDED,
                "The variables assigned by the state exceed the maximum number of bytes service limit.",
            ));
        }
        let OwnedValue::Object(new) = whole else {
            return Ok(());
        };
        let vars = self
            .vars
            .get_or_insert_with(|| Arc::new(OwnedValue::Object(Box::default())));
        if let OwnedValue::Object(o) = Arc::make_mut(vars) {
            for (k, v) in new.into_iter() {
                o.insert(k, v);
            }
        }
        if size::exceeds(vars, MAX_VARIABLES_BYTES) {
            return Err(ExecError::new(
                names::DATA_LIMIT_EXCEEDED,
                "The workflow variables exceed the maximum number of bytes service limit.",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    #[test]
    fn commit_merges_and_inner_copies_are_isolated() {
        let mut outer = Frame::default();
        outer
            .commit(Some(parse(r#"{"a":1,"b":2}"#).unwrap()))
            .unwrap();
        let mut inner = outer.clone();
        inner.commit(Some(parse(r#"{"c":3}"#).unwrap())).unwrap();
        assert_eq!(outer.vars().unwrap(), &parse(r#"{"a":1,"b":2}"#).unwrap());
        assert_eq!(
            inner.vars().unwrap(),
            &parse(r#"{"a":1,"b":2,"c":3}"#).unwrap()
        );
    }

    #[test]
    fn oversized_assign_is_a_data_limit_error() {
        let mut f = Frame::default();
        let big = format!(r#"{{"x":"{}"}}"#, "a".repeat(MAX_PAYLOAD_BYTES));
        let e = f.commit(Some(parse(&big).unwrap())).unwrap_err();
        assert_eq!(e.error, names::DATA_LIMIT_EXCEEDED);
    }
}
