//! Reference Paths and JSONPath (Jayway syntax): parsed once, selected by
//! borrowing from the document, and assigned into a document (ResultPath).
//!
//! Sources: the ASL specification ("Paths", "Reference Paths"), the AWS
//! developer guide (`amazon-states-language-paths.html`,
//! `input-output-resultpath.html`) and Jayway JsonPath, whose evaluation and
//! error texts AWS exposes in execution causes (reference §3 "Path rules").
//!
//! - `parse` turns text into a [`Path`]: a [`Root`] and a list of segments.
//! - `eval` (and `filter`) select: definite paths give [`Selected::One`], indefinite
//!   paths (wildcards, slices, unions, filters, `..`) give [`Selected::Many`].
//! - `assign` implements ResultPath by moving the document, never cloning.
//!
//! Evaluation is bounded: no recursion on document depth, a work budget
//! ([`MAX_WORK`]) and a nesting limit on filters ([`MAX_NESTING`]), so no
//! input can make it panic or exhaust the stack.
//!
//! Known differences from Jayway: `['a','b']` at the end of a path yields the
//! values (an array once cloned), not Jayway's merged object; path functions
//! (`length()`, `size()`) are accepted only inside filters; type-mismatch
//! messages name the Java classes of Jayway's Jackson provider, which AWS's
//! exact provider may not match.

mod assign;
mod eval;
mod filter;
mod parse;

use std::fmt::Write as _;

use super::{Context, Scope, Value};

/// Maximum nesting of filter expressions (`[?(...)]` inside `[?(...)]`, and
/// parentheses / `!`) accepted by the parser.
pub const MAX_NESTING: usize = 32;

/// Maximum number of nodes one selection may visit or produce before it fails
/// with [`PathError::NotFound`] (a guard against `$..*..*` blow-ups).
pub const MAX_WORK: usize = 4_000_000;

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

/// Why a path could not be parsed, selected or assigned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// The text is not a valid path (or not a valid Reference Path where one
    /// is required).
    #[error("invalid path '{path}': {message}")]
    Syntax {
        /// The path text.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The path selects nothing in the document, or the document cannot take
    /// the path (ResultPath). Displays exactly as AWS prints it in causes:
    /// `Invalid path '$.x' : No results for path: $['x']`.
    #[error("Invalid path '{path}' : {message}")]
    NotFound {
        /// The path text as written.
        path: String,
        /// Jayway's wording, e.g. `No results for path: $['x']` or
        /// `Missing property in path $['no']`.
        message: String,
    },
}

/// The result of selecting a path: one node, or a list for indefinite paths.
#[derive(Debug)]
pub enum Selected<'a> {
    /// A definite path selected one node.
    One(&'a Value),
    /// An indefinite path (wildcard, slice, union, filter, descent) selected
    /// these, in document order; possibly none.
    Many(Vec<&'a Value>),
    /// A value made for this selection: a Context Object path that reads
    /// the object as a whole (`$$`, `$$.*`), whose parts live apart
    /// ([`crate::json::Context`]).
    Owned(Value),
}

impl Selected<'_> {
    /// Clones the selection into an owned value; `Many` becomes an array.
    pub fn into_value(self) -> Value {
        match self {
            Selected::One(v) => v.clone(),
            Selected::Many(vs) => Value::Array(Box::new(vs.into_iter().cloned().collect())),
            Selected::Owned(v) => v,
        }
    }
}

/// One step of a path.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Segment {
    /// `.name` or `['name']`.
    Child(String),
    /// `['a','b']`: several properties (indefinite).
    Children(Vec<String>),
    /// `[n]`, negative counts from the end.
    Index(i64),
    /// `[0,1]` (indefinite).
    Indexes(Vec<i64>),
    /// `[start:end:step]`, Python-style bounds.
    Slice {
        /// First index (negative from the end), default 0.
        start: Option<i64>,
        /// End index, exclusive (negative from the end), default the length.
        end: Option<i64>,
        /// Step, at least 1.
        step: u64,
    },
    /// `.*` or `[*]`.
    Wildcard,
    /// `..`: the current node and all nodes below it; the next segment
    /// applies to each.
    Descent,
    /// `[?(expr)]`.
    Filter(Box<parse::Expr>),
}

impl Segment {
    /// Whether the segment selects at most one node (Jayway's "definite").
    fn is_definite(&self) -> bool {
        matches!(self, Segment::Child(_) | Segment::Index(_))
    }
}

/// A parsed path.
#[derive(Debug, Clone)]
pub struct Path {
    text: String,
    root: Root,
    segments: Vec<Segment>,
    definite: bool,
    /// `$` followed by `.name` steps only (`$.a.b`, `$['a']`): what nearly
    /// every path a workflow reads is, selected by [`Path::select`] without
    /// the general walk when each step finds its member.
    names: bool,
}

impl Path {
    /// Parses any path in Jayway syntax: `$`, `$$` or `$name` followed by
    /// `.name`, `['name']`, `[n]`, `[*]`, `.*`, `..`, `[a:b:s]`, `[0,1]`,
    /// `['a','b']` and `[?(filter)]`.
    ///
    /// # Errors
    /// [`PathError::Syntax`] when the text is not a path, or filters nest
    /// deeper than [`MAX_NESTING`].
    pub fn parse(text: &str) -> Result<Path, PathError> {
        let (root, segments) = parse::parse_path(text).map_err(|e| PathError::Syntax {
            path: text.to_owned(),
            message: e.to_string(),
        })?;
        let definite = segments.iter().all(Segment::is_definite);
        let names =
            matches!(root, Root::Input) && segments.iter().all(|s| matches!(s, Segment::Child(_)));
        Ok(Path {
            text: text.to_owned(),
            root,
            segments,
            definite,
            names,
        })
    }

    /// Parses a Reference Path (ASL spec, "Reference Paths"): only `.name`,
    /// `['name']` and `[n]` segments, so it identifies exactly one node.
    ///
    /// # Errors
    /// [`PathError::Syntax`] when the text is not a path or uses `*`, `..`,
    /// slices, unions or filters.
    pub fn parse_reference(text: &str) -> Result<Path, PathError> {
        let path = Path::parse(text)?;
        if !path.is_reference() {
            return Err(PathError::Syntax {
                path: text.to_owned(),
                message: "a reference path may only use '.name', ['name'] and [n], \
                          and must select exactly one node"
                    .to_owned(),
            });
        }
        Ok(path)
    }

    /// The text as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Where the path starts.
    pub fn root(&self) -> &Root {
        &self.root
    }

    /// Whether this is a Reference Path: only `.name`, `['name']` and `[n]`
    /// segments, selecting exactly one node.
    pub fn is_reference(&self) -> bool {
        self.definite
    }

    /// Whether the path is definite (Jayway): it selects one node and
    /// [`select`](Self::select) returns [`Selected::One`].
    pub fn is_definite(&self) -> bool {
        self.definite
    }

    /// The path in Jayway's normalised bracket form, as AWS prints it in
    /// causes: `$['a']['b'][0]`, `$..['name']`, `$[*]`, `$[1:2]`, `$[?]`.
    /// The root is always written `$` (Jayway evaluates `$$` and variable
    /// paths as `$` paths over the chosen document).
    pub fn normalized(&self) -> String {
        normalize(&self.segments)
    }

    /// Selects from the scope: `$` reads `scope.input`, `$$` `scope.context`
    /// and `$name` the variable `name` of `scope.variables`. Never clones.
    ///
    /// # Errors
    /// [`PathError::NotFound`] when a definite path selects nothing (or a
    /// step hits a value of the wrong type, with Jayway's wording), when the
    /// variable is not defined, or when the work budget [`MAX_WORK`] is spent.
    #[inline]
    pub fn select<'a>(&self, scope: &Scope<'a>) -> Result<Selected<'a>, PathError> {
        if self.names {
            if let Some(v) = self.names_in(scope.input) {
                return Ok(Selected::One(v));
            }
        }
        self.select_walked(scope)
    }

    /// The value a path of `.name` steps ([`Path::names`]) reaches in
    /// `doc`, if each step finds its member (otherwise the general walk
    /// says why not).
    fn names_in<'a>(&self, doc: &'a Value) -> Option<&'a Value> {
        let mut v = doc;
        for seg in &self.segments {
            match (seg, v) {
                (Segment::Child(k), Value::Object(o)) => v = super::member(o, k)?,
                _ => return None,
            }
        }
        Some(v)
    }

    /// [`Path::select`] by the general walk.
    fn select_walked<'a>(&self, scope: &Scope<'a>) -> Result<Selected<'a>, PathError> {
        let doc = match &self.root {
            Root::Input => scope.input,
            Root::Context => return self.select_context(scope.context),
            Root::Variable(name) => match scope.variables.and_then(|vars| variable(vars, name)) {
                Some(v) => v,
                None => {
                    return Err(PathError::NotFound {
                        path: self.text.clone(),
                        message: format!("The variable '{name}' is not defined"),
                    })
                }
            },
        };
        self.select_in(doc)
    }

    /// Selects from the Context Object: a path starting with a member name
    /// (`$$.Execution.Input.a`) reads that member where it lives, without
    /// copying; a path over the whole object (`$$`, `$$.*`, `$$..a`) reads
    /// a copy made of its parts.
    fn select_context<'a>(&self, ctx: Context<'a>) -> Result<Selected<'a>, PathError> {
        if let Some(Segment::Child(k)) = self.segments.first() {
            if let Some(member) = ctx.member(k) {
                return self.finish(eval::select_from(self, 1, member));
            }
        }
        match ctx.as_one() {
            Some(doc) => self.select_in(doc),
            None => {
                let whole = ctx.to_value();
                let selected = self.select_in(&whole)?;
                Ok(Selected::Owned(selected.into_value()))
            }
        }
    }

    /// Selects from `doc`, whatever the root is (`$`, `$$` and `$name` all
    /// mean `doc`). Never clones.
    ///
    /// # Errors
    /// As [`select`](Self::select), except for undefined variables.
    pub fn select_in<'a>(&self, doc: &'a Value) -> Result<Selected<'a>, PathError> {
        // Jayway (which AWS uses) raises "not found" only for definite paths;
        // an indefinite path over a missing branch selects nothing.
        self.finish(eval::select(self, doc))
    }

    /// Jayway's handling of a selection's error (see [`Path::select_in`]).
    fn finish<'a>(
        &self,
        result: Result<Selected<'a>, eval::Miss>,
    ) -> Result<Selected<'a>, PathError> {
        if !self.is_definite() && matches!(result, Err(eval::Miss::NotFound(_))) {
            return Ok(Selected::Many(Vec::new()));
        }
        result.map_err(|miss| PathError::NotFound {
            path: self.text.clone(),
            message: miss.to_string(),
        })
    }

    /// Applies this path as a ResultPath (ASL spec, "ResultPath"; reference
    /// §3 step 5): places `value` into `target` and returns the target. `$`
    /// replaces the whole target; `$.a.b` sets key `b`, creating missing
    /// parent objects. Moves, never clones the document.
    ///
    /// # Errors
    /// [`PathError::Syntax`] when the path is not a Reference Path rooted at
    /// `$` (`$$` and variables cannot be assigned); [`PathError::NotFound`]
    /// when a parent exists but is not an object (or an array index is out of
    /// range): the engine reports it as `States.ResultPathMatchFailure`.
    pub fn assign(&self, target: Value, value: Value) -> Result<Value, PathError> {
        assign::assign(self, target, value)
    }

    pub(crate) fn segments(&self) -> &[Segment] {
        &self.segments
    }
}

/// Looks up a variable in the variables object.
fn variable<'a>(vars: &'a Value, name: &str) -> Option<&'a Value> {
    match vars {
        Value::Object(o) => o.get(name),
        _ => None,
    }
}

/// Renders segments in Jayway's normalised bracket form, prefixed by `$`.
pub(crate) fn normalize(segments: &[Segment]) -> String {
    let mut out = String::from("$");
    render_segments(&mut out, segments);
    out
}

/// Appends the normalised form of `segments` (without a root) to `out`.
pub(crate) fn render_segments(out: &mut String, segments: &[Segment]) {
    for seg in segments {
        // Writing into a String cannot fail.
        let _ = match seg {
            Segment::Child(k) => write!(out, "['{k}']"),
            Segment::Children(ks) => {
                out.push('[');
                for (i, k) in ks.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "'{k}'");
                }
                out.push(']');
                Ok(())
            }
            Segment::Index(i) => write!(out, "[{i}]"),
            Segment::Indexes(is) => {
                out.push('[');
                for (n, i) in is.iter().enumerate() {
                    if n > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "{i}");
                }
                out.push(']');
                Ok(())
            }
            Segment::Slice { start, end, step } => {
                out.push('[');
                if let Some(s) = start {
                    let _ = write!(out, "{s}");
                }
                out.push(':');
                if let Some(e) = end {
                    let _ = write!(out, "{e}");
                }
                if *step != 1 {
                    let _ = write!(out, ":{step}");
                }
                out.push(']');
                Ok(())
            }
            Segment::Wildcard => write!(out, "[*]"),
            Segment::Descent => write!(out, ".."),
            Segment::Filter(_) => write!(out, "[?]"),
        };
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use simd_json::json;

    use super::{Path, PathError, Selected};
    use crate::json::{Scope, Value};

    fn scope_select(path: &str, scope: &Scope<'_>) -> Result<Value, PathError> {
        Path::parse(path)?.select(scope).map(Selected::into_value)
    }

    #[test]
    fn select_picks_the_root_from_the_scope() {
        let input = json!({"a": 1});
        let context = json!({"Execution": {"Id": "arn:x"}});
        let vars = json!({"v": {"x": [10, 20]}});
        let scope = Scope {
            input: &input,
            context: crate::json::Context::of(&context),
            variables: Some(&vars),
        };
        assert_eq!(scope_select("$.a", &scope), Ok(json!(1)));
        assert_eq!(scope_select("$$.Execution.Id", &scope), Ok(json!("arn:x")));
        assert_eq!(scope_select("$v.x[1]", &scope), Ok(json!(20)));
        assert_eq!(scope_select("$v", &scope), Ok(json!({"x": [10, 20]})));
        let missing = scope_select("$nope.x", &scope);
        assert!(
            matches!(missing, Err(PathError::NotFound { .. })),
            "{missing:?}"
        );
        let no_vars = Scope {
            variables: None,
            ..scope
        };
        assert!(scope_select("$v", &no_vars).is_err());
    }

    /// Paths of `.name` steps from `$` select what the general walk
    /// selects, found or not (the walk then words the error), over objects
    /// of up to 32 members and past them.
    #[test]
    fn name_paths_select_as_the_walk_does() {
        let members: Vec<String> = (0..40).map(|i| format!(r#""k{i}":{{"v":{i}}}"#)).collect();
        let large = crate::json::parse(&format!("{{{}}}", members.join(","))).unwrap();
        let small = json!({"a": {"b": [1], "c": null}, "": 2, "k39": {"v": "s"}});
        for doc in [&small, &large] {
            for text in [
                "$",
                "$.a",
                "$.a.b",
                "$.a.c",
                "$['']",
                "$.k39.v",
                "$.k0.v",
                "$.x",
                "$.a.x",
                "$.a.b.c",
                "$.k39.v.w",
                "$.a.c.d",
            ] {
                let p = Path::parse(text).unwrap();
                assert!(p.names, "{text}");
                let scope = Scope {
                    input: doc,
                    context: crate::json::Context::of(&crate::json::NULL),
                    variables: None,
                };
                let fast = p.select(&scope).map(Selected::into_value);
                let walked = p.select_walked(&scope).map(Selected::into_value);
                assert_eq!(fast, walked, "{text}");
            }
        }
        for text in ["$.a[0]", "$$.a", "$v.a", "$.a.*", "$..a"] {
            assert!(!Path::parse(text).unwrap().names, "{text}");
        }
    }

    #[test]
    fn into_value_turns_many_into_an_array() {
        let doc = json!({"a": [1, 2]});
        let p = Path::parse("$.a[*]").unwrap();
        assert_eq!(
            p.select_in(&doc).map(Selected::into_value),
            Ok(json!([1, 2]))
        );
    }

    /// Conformance case `pass` with InputPath `$.NoSuchInputPath` (cause text
    /// recorded against AWS).
    #[test]
    fn conformance_missing_input_path() {
        let input = json!({"int-literal": 0});
        let e = Path::parse_reference("$.NoSuchInputPath")
            .and_then(|p| p.select_in(&input).map(Selected::into_value));
        assert_eq!(
            e.map_err(|e| e.to_string()),
            Err(
                "Invalid path '$.NoSuchInputPath' : No results for path: $['NoSuchInputPath']"
                    .into()
            )
        );
    }

    /// Conformance case CATCH_STATE_RUNTIME: OutputPath `$.no.such.result.path`
    /// over an object without `no`.
    #[test]
    fn conformance_missing_output_path_parent() {
        let result = json!({"statusCode": 200});
        let e = Path::parse("$.no.such.result.path")
            .and_then(|p| p.select_in(&result).map(Selected::into_value));
        assert_eq!(
            e.map_err(|e| e.to_string()),
            Err("Invalid path '$.no.such.result.path' : Missing property in path $['no']".into())
        );
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(json!(null)),
            any::<bool>().prop_map(|b| json!(b)),
            any::<i64>().prop_map(|i| json!(i)),
            (-1e6f64..1e6).prop_map(|f| json!(f)),
            "[a-c]{0,3}".prop_map(|s| json!(s)),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(|v| Value::Array(Box::new(v))),
                prop::collection::vec(("[a-c]{1,2}", inner), 0..4).prop_map(|kv| {
                    let mut o = crate::json::Object::default();
                    for (k, v) in kv {
                        o.insert(k, v);
                    }
                    Value::Object(Box::new(o))
                }),
            ]
        })
    }

    /// Path-like strings built from the syntax's own pieces.
    fn arb_path() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just(".a".to_owned()),
            Just(".b".to_owned()),
            Just("..".to_owned()),
            Just("*".to_owned()),
            Just("[0]".to_owned()),
            Just("[-1]".to_owned()),
            Just("[1:]".to_owned()),
            Just("[::2]".to_owned()),
            Just("[0,1]".to_owned()),
            Just("['a','c']".to_owned()),
            Just("[?(@.a".to_owned()),
            Just(" < 1)]".to_owned()),
            Just(" == 'b')]".to_owned()),
            Just(")]".to_owned()),
            Just(" && !@".to_owned()),
            Just(".length()".to_owned()),
            Just("$".to_owned()),
            "[\\[\\]()'.@?*:,=<>!&|$a-c0-9 -]{1,3}",
        ];
        prop::collection::vec(piece, 0..8).prop_map(|v| format!("${}", v.concat()))
    }

    proptest! {
        #[test]
        fn parse_never_panics_on_any_string(s in ".{0,40}") {
            let _ = Path::parse(&s);
            let _ = Path::parse_reference(&s);
        }

        #[test]
        fn select_and_assign_never_panic(path in arb_path(), doc in arb_json()) {
            if let Ok(p) = Path::parse(&path) {
                let selected = p.select_in(&doc);
                if p.is_definite() {
                    prop_assert!(!matches!(selected, Ok(Selected::Many(_))));
                } else {
                    prop_assert!(!matches!(selected, Ok(Selected::One(_))));
                }
                let _ = p.assign(doc.clone(), json!(1));
                let _ = p.normalized();
            }
        }

        #[test]
        fn assigned_value_is_selected_back(keys in prop::collection::vec("[a-c]{1,2}", 1..4), doc in arb_json()) {
            let text = format!("$.{}", keys.join("."));
            let p = Path::parse_reference(&text).unwrap();
            if let Ok(out) = p.assign(doc, json!("X")) {
                prop_assert_eq!(p.select_in(&out).map(Selected::into_value), Ok(json!("X")));
            }
        }
    }
}
