//! Reference Paths and JSONPath (Jayway syntax): parsing once, selecting by
//! borrowing from the document, and assigning (ResultPath).
//!
//! Stub signatures; the implementation replaces this file.

use super::{Scope, Value};

/// What a path starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Root {
    /// `$`: the state's input (or the document being selected from).
    Input,
    /// `$$`: the Context Object.
    Context,
    /// `$name`: a workflow variable.
    Variable(String),
}

/// Why a path could not be parsed or selected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// The text is not a valid path.
    #[error("invalid path '{path}': {message}")]
    Syntax {
        /// The path text.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The path selects nothing in the document.
    #[error("Invalid path '{path}' : {message}")]
    NotFound {
        /// The path text.
        path: String,
        /// AWS's wording, e.g. `No results for path: $['x']`.
        message: String,
    },
}

/// The result of selecting a path: one node, or a list for indefinite paths.
#[derive(Debug)]
pub enum Selected<'a> {
    /// A definite path selected one node.
    One(&'a Value),
    /// An indefinite path (wildcard, slice, filter, descent) selected these.
    Many(Vec<&'a Value>),
}

impl Selected<'_> {
    /// Clones the selection into a value (an array for `Many`).
    pub fn into_value(self) -> Value {
        match self {
            Selected::One(v) => v.clone(),
            Selected::Many(vs) => Value::Array(Box::new(vs.into_iter().cloned().collect())),
        }
    }
}

/// A parsed path.
#[derive(Debug, Clone)]
pub struct Path {
    text: String,
    root: Root,
}

impl Path {
    /// Parses any path.
    ///
    /// # Errors
    /// [`PathError::Syntax`].
    pub fn parse(text: &str) -> Result<Path, PathError> {
        Ok(Path {
            text: text.to_owned(),
            root: Root::Input,
        })
    }

    /// Parses a Reference Path.
    ///
    /// # Errors
    /// [`PathError::Syntax`].
    pub fn parse_reference(text: &str) -> Result<Path, PathError> {
        Self::parse(text)
    }

    /// Selects from the root the path names in `scope`.
    ///
    /// # Errors
    /// [`PathError::NotFound`].
    pub fn select<'a>(&self, scope: &Scope<'a>) -> Result<Selected<'a>, PathError> {
        Ok(Selected::One(scope.input))
    }

    /// Selects from `doc` as the root.
    ///
    /// # Errors
    /// [`PathError::NotFound`].
    pub fn select_in<'a>(&self, doc: &'a Value) -> Result<Selected<'a>, PathError> {
        Ok(Selected::One(doc))
    }

    /// Assigns `value` at this path in `target` (ResultPath).
    ///
    /// # Errors
    /// [`PathError::NotFound`].
    pub fn assign(&self, _target: Value, value: Value) -> Result<Value, PathError> {
        Ok(value)
    }

    /// The text as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Where the path starts.
    pub fn root(&self) -> &Root {
        &self.root
    }
}
