//! Payload Templates (`Parameters`, `ResultSelector`, `ItemSelector`, JSONPath
//! `Assign`): a JSON value in which a key ending in `.$` takes its value from
//! a path (`$…` input, `$$…` context, `$name…` variable) or an intrinsic
//! call, and loses the `.$` suffix in the output.
//!
//! Compiled once into a tree whose fully static subtrees are kept as ready
//! values; rendering clones those and the selected subvalues only, never the
//! whole input.
//!
//! Sources: AWS developer guide `input-output-inputpath-params.html`,
//! ASL spec "Payload Template"; reference §3, JSONPath pipeline step 2.

use simd_json::prelude::*;

use super::intrinsic::{is_intrinsic, Intrinsic};
use super::path::{Path, Root, Segment, Selected};
use super::size::Bound;
use super::EvalError;
use super::{Object, Scope, Value, VECTOR_MAP_MEMBERS};
use crate::errors::MAX_PAYLOAD_BYTES;

/// How deeply a template may nest objects and arrays.
pub const MAX_DEPTH: usize = 512;

/// A template that could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at '{pointer}')")]
pub struct TemplateError {
    /// Where, as a JSON-pointer suffix relative to the template
    /// (`/Payload/items/0/id.$`); the caller prepends the field's own pointer.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

/// A compiled Payload Template.
#[derive(Debug, Clone)]
pub struct Template {
    root: Node,
    /// How many `.$` fields it has.
    dynamic: usize,
    /// Whether [`Template::render_owned`] may move the selected values out
    /// of an input it owns: an object whose `.$` fields are all Reference
    /// Paths of `.name` steps into the input, none inside another's. Then
    /// holds, for each of the object's fields in order, whether it is named
    /// as the one input member it takes (`"x.$": "$.x"`): found once here,
    /// not compared again at each render.
    takes: Option<Vec<bool>>,
    /// What the template adds around the values it selects, when each of
    /// its `.$` fields is a definite path into the input: then the size of
    /// its output is bounded by the input's ([`Template::bound_from`]).
    skeleton: Option<Skeleton>,
}

/// The parts of a template's output that do not come from its input.
#[derive(Debug, Clone, Copy)]
struct Skeleton {
    /// The most bytes its static parts and punctuation take serialised.
    high: usize,
    /// How many values it copies from the input.
    paths: usize,
    /// The depth of its static parts (as [`Bound`] counts).
    depth: usize,
    /// The most containers above a copied value (when there is one).
    above: Option<usize>,
}

/// Templates with more `.$` fields than this count the bytes they insert
/// while rendering, so that one copying the input many times stops at the
/// payload limit instead of building gigabytes first.
const COUNTED_FIELDS: usize = 16;

#[derive(Debug, Clone)]
enum Node {
    /// A subtree with no `.$` field anywhere: rendered by one clone.
    Static(Value),
    /// An object with at least one dynamic field; keys already stripped.
    Object(Vec<(String, Node)>),
    /// An array with at least one dynamic element.
    Array(Vec<Node>),
    /// `"key.$": "$…"`; `field` is the key as written (with `.$`).
    Path { path: Path, field: String },
    /// `"key.$": "States.…(…)"`.
    Call(Box<Intrinsic>),
}

impl Template {
    /// Compiles a template value.
    ///
    /// # Errors
    /// [`TemplateError`] naming the offending key: a `.$` field whose value is
    /// not a string, not a valid path or intrinsic call; two fields with the
    /// same output name; nesting deeper than [`MAX_DEPTH`].
    pub fn compile(value: &Value) -> Result<Template, TemplateError> {
        let mut pointer = String::new();
        let root = compile_node(value, &mut pointer, 0)?;
        let mut dynamic = 0;
        let mut stack = vec![&root];
        while let Some(n) = stack.pop() {
            match n {
                Node::Static(_) => {}
                Node::Object(fields) => stack.extend(fields.iter().map(|(_, n)| n)),
                Node::Array(items) => stack.extend(items.iter()),
                Node::Path { .. } | Node::Call(_) => dynamic += 1,
            }
        }
        let takes =
            (dynamic <= COUNTED_FIELDS && takes_from_input(&root)).then(|| named_as_members(&root));
        let skeleton = skeleton(&root);
        Ok(Template {
            root,
            dynamic,
            takes,
            skeleton,
        })
    }

    /// A template holding a fixed value (no `.$` fields are interpreted).
    pub fn constant(value: Value) -> Template {
        Template {
            root: Node::Static(value),
            dynamic: 0,
            takes: None,
            skeleton: None,
        }
    }

    /// Whether the template has no `.$` field: rendering is a clone.
    pub fn is_static(&self) -> bool {
        matches!(self.root, Node::Static(_))
    }

    /// Renders the template against a scope.
    ///
    /// # Errors
    /// [`EvalError::PathNotFound`] when a path selects nothing (the cause
    /// names the path, the field and the input, as AWS words it; the engine
    /// raises `States.Runtime`, as AWS records, not
    /// `States.ParameterPathFailure`); the intrinsic's error when an
    /// intrinsic call fails ([`Intrinsic::eval`]); [`EvalError::TooLarge`]
    /// as soon as the fields of a template with many `.$` fields insert more
    /// than [`MAX_PAYLOAD_BYTES`] (the output could only fail the payload
    /// limit later, after being built whole).
    pub fn render(&self, scope: &Scope<'_>) -> Result<Value, EvalError> {
        let mut tally = (self.dynamic > COUNTED_FIELDS).then_some(0usize);
        render_node(&self.root, scope, &mut tally)
    }

    /// A bound of the size and depth of what this template renders from an
    /// input within `input`, when each of its `.$` fields is a definite
    /// path into the input (each copies a part of the input, at most as
    /// large and as deep as the input); `None` otherwise.
    pub(crate) fn bound_from(&self, input: Bound) -> Option<Bound> {
        let s = self.skeleton?;
        let high = s.high.saturating_add(s.paths.saturating_mul(input.high()));
        let depth = match s.above {
            Some(above) => s.depth.max(above.saturating_add(input.depth())),
            None => s.depth,
        };
        Some(Bound::new(high, depth))
    }

    /// [`Template::render`] over an input the caller no longer needs: the
    /// values the template selects are moved out of it instead of copied
    /// when the template allows it (an object of `$.name…` fields, none
    /// inside another); otherwise, and whenever a field's path selects
    /// nothing (so that the error names the input as it was), the input is
    /// read as by `render`. The same result as `render`.
    ///
    /// # Errors
    /// As [`Template::render`].
    pub fn render_owned(
        &self,
        mut input: Value,
        context: super::Context<'_>,
        variables: Option<&Value>,
    ) -> Result<Value, EvalError> {
        let (fields, named) = match (&self.root, &self.takes) {
            (Node::Object(fields), Some(named))
                if fields.iter().all(|(_, n)| match n {
                    Node::Path { path, .. } => lookup(&input, path.segments()).is_some(),
                    _ => true,
                }) =>
            {
                (fields, named)
            }
            _ => {
                return self.render(&Scope {
                    input: &input,
                    context,
                    variables,
                })
            }
        };
        // The rendered object replaces the state's input (its caller no
        // longer needs it), so it is the document later states add their
        // results to by ResultPath: room for as many members again, within
        // the vector map's limit, so those additions do not reallocate it.
        let room = (2 * fields.len()).min(VECTOR_MAP_MEMBERS).max(fields.len());
        let mut object = Object::with_capacity(room);
        for ((key, node), named) in fields.iter().zip(named) {
            // A field named as the input member it takes (`"x.$": "$.x"`, the
            // common case) takes the member's key too: no copy of the name,
            // and nothing left to free with the input. No other field's path
            // goes through that member (`takes`: none inside another).
            if let (true, Value::Object(o)) = (named, &mut input) {
                // The order of what is left does not matter: the input is
                // dropped after.
                if let Some((k, v)) = super::index_of(o, key).and_then(|i| o.swap_remove_at(i)) {
                    object.insert_distinct(k, v);
                    continue;
                }
            }
            let value = match node {
                Node::Path { path, .. } => lookup_mut(&mut input, path.segments())
                    .map_or_else(Value::default, std::mem::take),
                Node::Static(v) => v.clone(),
                // Excluded by `takes`.
                Node::Object(_) | Node::Array(_) | Node::Call(_) => Value::default(),
            };
            // The template's fields are distinct (`compile_node`).
            object.insert_distinct(key.clone(), value);
        }
        Ok(Value::Object(Box::new(object)))
    }
}

/// The [`Skeleton`] of a compiled template, or `None` when one of its
/// `.$` fields is not a definite path into the input (an Intrinsic
/// Function, a Context Object or variable path, an indefinite path).
fn skeleton(node: &Node) -> Option<Skeleton> {
    let container = |n: usize, children: Vec<Skeleton>, key_bytes: usize| {
        let mut k = Skeleton {
            // Brackets and commas.
            high: (2 + n.saturating_sub(1)).saturating_add(key_bytes),
            paths: 0,
            depth: 1,
            above: None,
        };
        for c in children {
            k.high = k.high.saturating_add(c.high);
            k.paths += c.paths;
            k.depth = k.depth.max(c.depth.saturating_add(1));
            k.above = match (k.above, c.above) {
                (a, None) => a,
                (None, Some(b)) => Some(b + 1),
                (Some(a), Some(b)) => Some(a.max(b + 1)),
            };
        }
        k
    };
    match node {
        Node::Static(v) => {
            let m = super::size::measure(v).bound();
            Some(Skeleton {
                high: m.high(),
                paths: 0,
                depth: m.depth(),
                above: None,
            })
        }
        Node::Path { path, .. } if matches!(path.root(), Root::Input) && path.is_definite() => {
            Some(Skeleton {
                high: 0,
                paths: 1,
                depth: 0,
                above: Some(0),
            })
        }
        Node::Path { .. } | Node::Call(_) => None,
        Node::Object(fields) => {
            // Each key escaped (at most 6 bytes a byte), its quotes and colon.
            let key_bytes = fields
                .iter()
                .map(|(k, _)| 3 + 6 * k.len())
                .fold(0usize, usize::saturating_add);
            let children = fields
                .iter()
                .map(|(_, n)| skeleton(n))
                .collect::<Option<Vec<_>>>()?;
            Some(container(fields.len(), children, key_bytes))
        }
        Node::Array(items) => {
            let children = items.iter().map(skeleton).collect::<Option<Vec<_>>>()?;
            Some(container(items.len(), children, 0))
        }
    }
}

/// Whether a compiled template is one [`Template::render_owned`] may take
/// its values for: an object whose fields are static or Reference Paths of
/// `.name` steps from the input (`$.a.b`), no path equal to or inside
/// another (each value is moved out once).
fn takes_from_input(root: &Node) -> bool {
    let Node::Object(fields) = root else {
        return false;
    };
    let mut chains: Vec<&[Segment]> = Vec::new();
    for (_, node) in fields {
        match node {
            Node::Static(_) => {}
            Node::Path { path, .. }
                if matches!(path.root(), Root::Input)
                    && !path.segments().is_empty()
                    && path
                        .segments()
                        .iter()
                        .all(|s| matches!(s, Segment::Child(_))) =>
            {
                chains.push(path.segments());
            }
            _ => return false,
        }
    }
    let disjoint = chains.iter().enumerate().all(|(i, a)| {
        chains[i + 1..].iter().all(|b| {
            let n = a.len().min(b.len());
            a[..n] != b[..n]
        })
    });
    disjoint
}

/// For each field of a template object, whether it is `"x.$": "$.x"`:
/// a path of one `.name` step into the input, named as the field.
fn named_as_members(root: &Node) -> Vec<bool> {
    let Node::Object(fields) = root else {
        return Vec::new();
    };
    fields
        .iter()
        .map(|(key, node)| match node {
            Node::Path { path, .. } => {
                matches!(path.root(), Root::Input)
                    && matches!(path.segments(), [Segment::Child(name)] if name == key)
            }
            _ => false,
        })
        .collect()
}

/// The value at a chain of `.name` steps, if every step finds its key in
/// an object (as [`Path::select`] finds it).
fn lookup<'v>(mut v: &'v Value, chain: &[Segment]) -> Option<&'v Value> {
    // One step (`$.name`, the common case) without the loop.
    if let ([Segment::Child(k)], Value::Object(o)) = (chain, v) {
        return super::member(o, k);
    }
    for seg in chain {
        match (seg, v) {
            (Segment::Child(k), Value::Object(o)) => v = super::member(o, k)?,
            _ => return None,
        }
    }
    Some(v)
}

/// [`lookup`], for moving the value out.
fn lookup_mut<'v>(mut v: &'v mut Value, chain: &[Segment]) -> Option<&'v mut Value> {
    for seg in chain {
        match (seg, v) {
            (Segment::Child(k), Value::Object(o)) => v = super::member_mut(o, k)?,
            _ => return None,
        }
    }
    Some(v)
}

/// Adds an inserted value's sure size to the tally, if one is kept.
fn count(value: &Value, tally: &mut Option<usize>) -> Result<(), EvalError> {
    if let Some(t) = tally {
        *t = t.saturating_add(super::size::measure(value).sure_bytes());
        if *t > MAX_PAYLOAD_BYTES {
            return Err(EvalError::TooLarge(
                "The Payload Template's output exceeds the maximum number of bytes service limit."
                    .to_owned(),
            ));
        }
    }
    Ok(())
}

fn error(pointer: &str, message: String) -> TemplateError {
    TemplateError {
        pointer: pointer.to_owned(),
        message,
    }
}

/// Appends a key to a JSON pointer, escaping `~` and `/` (RFC 6901).
fn push_key(pointer: &mut String, key: &str) {
    pointer.push('/');
    for c in key.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

fn compile_node(value: &Value, pointer: &mut String, depth: usize) -> Result<Node, TemplateError> {
    if depth > MAX_DEPTH {
        return Err(error(
            pointer,
            format!("the template nests deeper than {MAX_DEPTH} levels"),
        ));
    }
    match value {
        Value::Object(map) => {
            let mut fields = Vec::with_capacity(map.len());
            let mut dynamic = false;
            for (key, child) in map.iter() {
                let len = pointer.len();
                push_key(pointer, key);
                let (name, node) = if let Some(name) = key.strip_suffix(".$") {
                    (name, compile_dynamic(key, child, pointer)?)
                } else {
                    (key.as_str(), compile_node(child, pointer, depth + 1)?)
                };
                if fields.iter().any(|(k, _): &(String, Node)| k == name) {
                    return Err(error(
                        pointer,
                        format!("the field '{name}' is given more than once"),
                    ));
                }
                pointer.truncate(len);
                dynamic |= !matches!(node, Node::Static(_));
                fields.push((name.to_owned(), node));
            }
            if dynamic {
                Ok(Node::Object(fields))
            } else {
                let mut object = Object::with_capacity(fields.len());
                for (k, node) in fields {
                    if let Node::Static(v) = node {
                        object.insert(k, v);
                    }
                }
                Ok(Node::Static(Value::Object(Box::new(object))))
            }
        }
        Value::Array(items) => {
            let mut nodes = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&i.to_string());
                nodes.push(compile_node(item, pointer, depth + 1)?);
                pointer.truncate(len);
            }
            if nodes.iter().all(|n| matches!(n, Node::Static(_))) {
                Ok(Node::Static(value.clone()))
            } else {
                Ok(Node::Array(nodes))
            }
        }
        other => Ok(Node::Static(other.clone())),
    }
}

fn compile_dynamic(key: &str, value: &Value, pointer: &str) -> Result<Node, TemplateError> {
    let Some(text) = value.as_str() else {
        return Err(error(
            pointer,
            format!("the value of the field '{key}' must be a string holding a path or an intrinsic function call"),
        ));
    };
    if is_intrinsic(text) {
        let call = Intrinsic::parse(text).map_err(|e| error(pointer, e.to_string()))?;
        Ok(Node::Call(Box::new(call)))
    } else if text.starts_with('$') {
        let path = Path::parse(text).map_err(|e| error(pointer, e.to_string()))?;
        Ok(Node::Path {
            path,
            field: key.to_owned(),
        })
    } else {
        Err(error(
            pointer,
            format!("the value of the field '{key}' must be a valid JSONPath or a valid intrinsic function call, got '{text}'"),
        ))
    }
}

fn render_node(
    node: &Node,
    scope: &Scope<'_>,
    tally: &mut Option<usize>,
) -> Result<Value, EvalError> {
    match node {
        Node::Static(value) => Ok(value.clone()),
        Node::Object(fields) => {
            let mut object = Object::with_capacity(fields.len());
            for (key, child) in fields {
                let value = match child {
                    // A field that selects one value (most fields), copied
                    // here without a call; anything else (a list, a miss
                    // and its error, a counted template) as `render_node`
                    // renders it.
                    Node::Path { path, .. } if tally.is_none() => match path.select(scope) {
                        Ok(Selected::One(v)) => v.clone(),
                        _ => render_node(child, scope, tally)?,
                    },
                    _ => render_node(child, scope, tally)?,
                };
                // The template's fields are distinct (`compile_node`).
                object.insert_distinct(key.clone(), value);
            }
            Ok(Value::Object(Box::new(object)))
        }
        Node::Array(items) => Ok(Value::Array(Box::new(
            items
                .iter()
                .map(|n| render_node(n, scope, tally))
                .collect::<Result<Vec<_>, _>>()?,
        ))),
        Node::Path { path, field } => match path.select(scope) {
            Ok(Selected::One(value)) => {
                count(value, tally)?;
                Ok(value.clone())
            }
            Ok(many) => {
                let value = many.into_value();
                count(&value, tally)?;
                Ok(value)
            }
            Err(_) => Err(EvalError::PathNotFound(format!(
                    "The JSONPath '{}' specified for the field '{}' could not be found in the input '{}'",
                    path.text(),
                    field,
                    crate::json::to_string(scope.input)
                ))),
        },
        Node::Call(call) => {
            let value = call.eval(scope)?;
            count(&value, tally)?;
            Ok(value)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::{names, ExecError};
    use crate::json::parse as json;

    fn render(template: &str, input: &str) -> Result<Value, ExecError> {
        let template = Template::compile(&json(template).expect("JSON")).expect("compiles");
        let input = json(input).expect("JSON");
        let context = json(r#"{"Execution":{"Name":"e1"}}"#).expect("JSON");
        let vars = json(r#"{"v":{"w":5}}"#).expect("JSON");
        template
            .render(&Scope {
                input: &input,
                context: crate::json::Context::of(&context),
                variables: Some(&vars),
            })
            .map_err(ExecError::from)
    }

    macro_rules! renders {
        ($name:ident, $template:expr, $input:expr, $expected:expr) => {
            #[test]
            fn $name() {
                let got = render($template, $input).expect("renders");
                assert_eq!(got, json($expected).expect("JSON"));
            }
        };
    }

    macro_rules! rejects {
        ($name:ident, $template:expr, $pointer:expr) => {
            #[test]
            fn $name() {
                let err = Template::compile(&json($template).expect("JSON")).expect_err("rejected");
                assert_eq!(err.pointer, $pointer, "{}", err.message);
            }
        };
    }

    renders!(
        static_object,
        r#"{"a":1,"b":[1,{"c":"$.x"}]}"#,
        "{}",
        r#"{"a":1,"b":[1,{"c":"$.x"}]}"#
    );
    renders!(
        input_path,
        r#"{"a.$":"$.x","b":2}"#,
        r#"{"x":{"y":1}}"#,
        r#"{"a":{"y":1},"b":2}"#
    );
    renders!(
        whole_input,
        r#"{"all.$":"$"}"#,
        r#"{"x":1}"#,
        r#"{"all":{"x":1}}"#
    );
    renders!(
        context_path,
        r#"{"n.$":"$$.Execution.Name"}"#,
        "{}",
        r#"{"n":"e1"}"#
    );
    renders!(variable_path, r#"{"n.$":"$v.w"}"#, "{}", r#"{"n":5}"#);
    renders!(
        intrinsic,
        r#"{"s.$":"States.Format('x{}', $.a)"}"#,
        r#"{"a":1}"#,
        r#"{"s":"x1"}"#
    );
    renders!(
        nested_object,
        r#"{"o":{"p":{"q.$":"$.a"}},"k":true}"#,
        r#"{"a":"z"}"#,
        r#"{"o":{"p":{"q":"z"}},"k":true}"#
    );
    renders!(
        array_of_objects,
        r#"{"l":[{"i.$":"$.a"},3,{"j":4}]}"#,
        r#"{"a":7}"#,
        r#"{"l":[{"i":7},3,{"j":4}]}"#
    );
    renders!(
        top_level_array,
        r#"[{"i.$":"$.a"}]"#,
        r#"{"a":7}"#,
        r#"[{"i":7}]"#
    );
    renders!(scalar_template, "42", "{}", "42");

    rejects!(reject_non_string, r#"{"a":{"b.$":1}}"#, "/a/b.$");
    rejects!(reject_not_a_path, r#"{"a.$":"hello"}"#, "/a.$");
    rejects!(
        reject_bad_intrinsic,
        r#"{"l":[{"a.$":"States.Nope()"}]}"#,
        "/l/0/a.$"
    );
    rejects!(reject_duplicate, r#"{"a":1,"a.$":"$.x"}"#, "/a.$");
    rejects!(pointer_escapes, r#"{"x/y":{"a~.$":2}}"#, "/x~1y/a~0.$");

    #[test]
    fn static_detection() {
        assert!(
            Template::compile(&json(r#"{"a":[1,{"b":2}]}"#).expect("JSON"))
                .expect("ok")
                .is_static()
        );
        assert!(
            !Template::compile(&json(r#"{"a":[1,{"b.$":"$"}]}"#).expect("JSON"))
                .expect("ok")
                .is_static()
        );
    }

    /// AWS records `States.Runtime` (not `States.ParameterPathFailure`) when
    /// a Payload Template path selects nothing: an execution history of a
    /// Glue Task with `"JobName.$": "$.JobName"` on `{}` ends in
    /// `States.Runtime` with this cause.
    #[test]
    fn missing_path_is_states_runtime() {
        let err = render(r#"{"foo.$":"$.x"}"#, r#"{"a":1}"#).expect_err("fails");
        assert_eq!(err.error, names::RUNTIME);
        assert_eq!(
            err.cause,
            r#"The JSONPath '$.x' specified for the field 'foo.$' could not be found in the input '{"a":1}'"#
        );
    }

    #[test]
    fn failing_intrinsic_is_intrinsic_failure() {
        let err =
            render(r#"{"a.$":"States.ArrayGetItem($.l, 9)"}"#, r#"{"l":[]}"#).expect_err("fails");
        assert_eq!(err.error, names::INTRINSIC_FAILURE);
    }

    fn render_owned(template: &str, input: &str) -> Result<Value, ExecError> {
        let template = Template::compile(&json(template).expect("JSON")).expect("compiles");
        let context = json(r#"{"Execution":{"Name":"e1"}}"#).expect("JSON");
        let vars = json(r#"{"v":{"w":5}}"#).expect("JSON");
        template
            .render_owned(
                json(input).expect("JSON"),
                crate::json::Context::of(&context),
                Some(&vars),
            )
            .map_err(ExecError::from)
    }

    /// `render_owned` gives what `render` gives, whether it may take the
    /// values (`$.name…` fields, none inside another) or not.
    #[test]
    fn render_owned_renders_as_render() {
        let cases = [
            // Takes: disjoint field chains and static fields.
            (
                r#"{"a.$":"$.x","b.$":"$.y.z","c":[1,2],"d.$":"$.y.w"}"#,
                r#"{"x":{"k":[1,"s"]},"y":{"z":"zz","w":null}}"#,
            ),
            // Takes fields named as their members (key and value), in the
            // template's order, beside renamed and deeper ones; the empty name.
            (
                r#"{"y.$":"$.y","x.$":"$.x","k":true,"r.$":"$.z","":1,"w.$":"$.o.w"}"#,
                r#"{"x":1,"y":[2],"z":"3","o":{"w":4,"y":5},"":6}"#,
            ),
            (r#"{".$":"$['']","y.$":"$.y"}"#, r#"{"y":1,"":{"a":2}}"#),
            // Does not take: one path inside another, the whole input, an
            // index, the context, a variable, an intrinsic, nesting.
            (r#"{"a.$":"$.x","b.$":"$.x.k"}"#, r#"{"x":{"k":1}}"#),
            (r#"{"a.$":"$.x","b.$":"$.x"}"#, r#"{"x":{"k":1}}"#),
            (r#"{"a.$":"$","b.$":"$.x"}"#, r#"{"x":1}"#),
            (r#"{"a.$":"$.l[0]"}"#, r#"{"l":[7]}"#),
            (r#"{"a.$":"$$.Execution.Name","b.$":"$.x"}"#, r#"{"x":1}"#),
            (r#"{"a.$":"$v.w","b.$":"$.x"}"#, r#"{"x":1}"#),
            (r#"{"a.$":"States.Format('{}', $.x)"}"#, r#"{"x":1}"#),
            (r#"{"o":{"a.$":"$.x"}}"#, r#"{"x":1}"#),
        ];
        for (t, input) in cases {
            assert_eq!(render_owned(t, input), render(t, input), "{t} over {input}");
        }
        // An input past 32 members (the map backend), members taken in an
        // order other than the input's.
        let members: Vec<String> = (0..40).map(|i| format!(r#""k{i}":{i}"#)).collect();
        let input = format!("{{{}}}", members.join(","));
        let t = r#"{"k39.$":"$.k39","k0.$":"$.k0","x.$":"$.k20","k7.$":"$.k7"}"#;
        assert_eq!(render_owned(t, &input), render(t, &input));
    }

    /// The object `render_owned` builds has room for as many members
    /// again (ResultPath adds to it later) within the vector map's 32; a
    /// template of more fields gets exactly its own.
    #[test]
    fn render_owned_leaves_room_for_result_paths() {
        let capacity = |t: &str, input: &str| match render_owned(t, input).expect("renders") {
            Value::Object(o) => o.capacity(),
            other => panic!("not an object: {other:?}"),
        };
        let input = r#"{"x":1,"y":2,"z":3}"#;
        assert!(capacity(r#"{"x.$":"$.x","y.$":"$.y","k":true}"#, input) >= 6);
        let fields: Vec<String> = (0..20).map(|i| format!(r#""f{i}":{i}"#)).collect();
        let t = format!(r#"{{"x.$":"$.x",{}}}"#, fields.join(","));
        assert!((21..=32).contains(&capacity(&t, input)));
    }

    /// A missing path fails as `render` words it, naming the input whole
    /// (nothing was taken out of it first).
    #[test]
    fn render_owned_names_the_whole_input_when_a_path_is_missing() {
        let t = r#"{"a.$":"$.x","b.$":"$.missing"}"#;
        let input = r#"{"x":{"k":1}}"#;
        let err = render_owned(t, input).expect_err("fails");
        assert_eq!(Err(err.clone()), render(t, input));
        assert!(
            err.cause.ends_with(r#"in the input '{"x":{"k":1}}'"#),
            "{}",
            err.cause
        );
    }

    /// The bound a template derives from its input's bound holds what it
    /// renders; templates reading more than the input have none.
    #[test]
    fn bound_from_holds_the_rendered_value() {
        use crate::json::size::measure;
        let input = json(r#"{"x":{"k":[1,"s\n"]},"y":"\"q\"","n":-12.5}"#).expect("JSON");
        let bound = measure(&input).bound();
        for t in [
            r#"{"a.$":"$.x","b.$":"$","c":{"d.$":"$.x.k","e":"static"},"f":[1,{"g.$":"$.y"}]}"#,
            r#"{"a.$":"$.n","b":"\u0001\u0002"}"#,
            r#"[{"a.$":"$.x.k[1]"}]"#,
        ] {
            let template = Template::compile(&json(t).expect("JSON")).expect("compiles");
            let out = render(t, &crate::json::to_string(&input)).expect("renders");
            let derived = template.bound_from(bound).expect("a bound");
            let m = measure(&out);
            assert!(derived.high() >= crate::json::size::exact(&out), "{t}");
            assert!(derived.depth() >= m.depth, "{t}");
        }
        for t in [
            r#"{"a.$":"$$.Execution.Name"}"#,
            r#"{"a.$":"States.Format('{}', $.x)"}"#,
            r#"{"a.$":"$..k"}"#,
        ] {
            let template = Template::compile(&json(t).expect("JSON")).expect("compiles");
            assert!(template.bound_from(bound).is_none(), "{t}");
        }
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Strings that look like the slots of a template: paths, intrinsic
    /// calls, and fragments of both.
    fn slot_text() -> impl Strategy<Value = String> {
        prop_oneof![
            "\\$[.a-z\\[\\]0-9*'?@()<>=!$]{0,12}",
            "\\$\\$\\.[A-Za-z.]{0,12}",
            "States\\.[A-Za-z]{0,12}\\([^)]{0,12}\\)?",
            ".{0,16}",
        ]
    }

    fn template_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            slot_text().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            Just(Value::from(true)),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(|v| Value::Array(Box::new(v))),
                prop::collection::vec(("[a-c]{1,2}(\\.\\$)?", inner), 0..4).prop_map(|kv| {
                    let mut o = crate::json::Object::new();
                    for (k, v) in kv {
                        o.insert(k, v);
                    }
                    Value::Object(Box::new(o))
                }),
            ]
        })
    }

    proptest! {
        /// No template, however malformed, makes compile or render panic.
        #[test]
        fn compile_and_render_never_panic(t in template_value(), input in template_value()) {
            if let Ok(template) = Template::compile(&t) {
                let context = Value::Object(Box::default());
                let _ = template.render(&Scope { input: &input, context: crate::json::Context::of(&context), variables: None });
            }
        }
    }
}
