//! Selecting a parsed path from a document, by borrowing. Follows Jayway
//! JsonPath (default options), which AWS runs: errors are raised only while
//! every step so far was definite, and carry Jayway's wording.
//!
//! No recursion on document depth: descent (`..`) and equality use explicit
//! stacks; recursion follows only filter nesting (bounded by the parser).

use std::cell::Cell;

use simd_json::StaticNode;

use super::filter::test;
use super::{normalize, render_segments, Path, Segment, Selected, MAX_WORK};
use crate::json::Value;

/// The start of the error raised when a selection visits more than `MAX_WORK` nodes.
pub(crate) const WORK_LIMIT_MESSAGE: &str = "Path evaluation exceeded";
/// The JSON provider class name Jayway prints in type-mismatch messages.
const JSON_PROVIDER: &str = "com.jayway.jsonpath.spi.json.JacksonJsonProvider";

/// Why a selection failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Miss {
    /// A definite step found nothing, or found a value of the wrong type;
    /// Jayway's message (`No results for path: $['x']`, …).
    #[error("{0}")]
    NotFound(String),
    /// The selection visited more than [`MAX_WORK`] nodes.
    #[error("{WORK_LIMIT_MESSAGE} {MAX_WORK} nodes")]
    TooMuchWork,
}

/// Selects `path` from `doc`.
pub(super) fn select<'a>(path: &Path, doc: &'a Value) -> Result<Selected<'a>, Miss> {
    select_from(path, 0, doc)
}

/// Selects `path` from `node`, the value its first `skip` segments already
/// reached (a Context Object member); messages name the whole path.
pub(super) fn select_from<'a>(
    path: &Path,
    skip: usize,
    node: &'a Value,
) -> Result<Selected<'a>, Miss> {
    let segs = path.segments();
    if path.is_definite() {
        return walk_definite(segs, skip, node).map(Selected::One);
    }
    let ctx = Ctx {
        root: node,
        work: Cell::new(0),
    };
    run(&ctx, segs.get(skip..).unwrap_or(&[]), node, true).map(Selected::Many)
}

/// The evaluation context: the document root (for `$` inside filters) and
/// the work spent so far.
pub(super) struct Ctx<'a> {
    /// The document `$` refers to inside filters.
    pub(super) root: &'a Value,
    work: Cell<usize>,
}

impl Ctx<'_> {
    /// Counts `n` units of work; fails past [`MAX_WORK`].
    pub(super) fn spend(&self, n: usize) -> Result<(), Miss> {
        let w = self.work.get().saturating_add(n);
        self.work.set(w);
        if w > MAX_WORK {
            Err(Miss::TooMuchWork)
        } else {
            Ok(())
        }
    }
}

/// The fast path for definite paths: one node, no allocation.
fn walk_definite<'a>(segs: &[Segment], skip: usize, doc: &'a Value) -> Result<&'a Value, Miss> {
    let mut node = doc;
    for (i, seg) in segs.iter().enumerate().skip(skip) {
        node = match seg {
            Segment::Child(k) => match node {
                Value::Object(o) => match crate::json::member(o, k) {
                    Some(v) => v,
                    None => return Err(missing(segs, i)),
                },
                _ => return Err(not_object(segs, i, node)),
            },
            Segment::Index(n) => match node {
                Value::Array(a) => match resolve(*n, a.len()).and_then(|j| a.get(j)) {
                    Some(v) => v,
                    None => return Err(no_results(segs)),
                },
                _ => return Err(not_array(segs, i, node)),
            },
            _ => return Err(no_results(segs)),
        };
    }
    Ok(node)
}

/// `No results for path: $['a']['b']`.
fn no_results(segs: &[Segment]) -> Miss {
    Miss::NotFound(format!("No results for path: {}", normalize(segs)))
}

/// A missing property at step `i`: at the leaf, no results; above it,
/// `Missing property in path $['a']`.
fn missing(segs: &[Segment], i: usize) -> Miss {
    if i + 1 >= segs.len() {
        no_results(segs)
    } else {
        Miss::NotFound(format!(
            "Missing property in path {}",
            normalize(segs.get(..=i).unwrap_or(segs))
        ))
    }
}

/// A property step applied to a non-object.
fn not_object(segs: &[Segment], i: usize, node: &Value) -> Miss {
    let mut frag = String::new();
    render_segments(&mut frag, segs.get(i..=i).unwrap_or(&[]));
    Miss::NotFound(format!(
        "Expected to find an object with property {frag} in path {} but found '{}'. \
         This is not a json object according to the JsonProvider: '{JSON_PROVIDER}'.",
        normalize(segs.get(..i).unwrap_or(&[])),
        java_class(node)
    ))
}

/// An array step applied to a non-array.
fn not_array(segs: &[Segment], i: usize, node: &Value) -> Miss {
    if matches!(node, Value::Static(StaticNode::Null)) {
        return Miss::NotFound(format!(
            "The path {} is null",
            normalize(segs.get(..i).unwrap_or(&[]))
        ));
    }
    let mut rest = String::new();
    render_segments(&mut rest, segs.get(i..).unwrap_or(&[]));
    Miss::NotFound(format!(
        "Filter: {rest} can only be applied to arrays. Current context is: {}",
        crate::json::to_string(node)
    ))
}

/// The Java class Jayway's Jackson provider would hold for a value.
fn java_class(v: &Value) -> &'static str {
    match v {
        Value::Static(StaticNode::Null) => "null",
        Value::Static(StaticNode::Bool(_)) => "java.lang.Boolean",
        Value::Static(StaticNode::I64(i)) if i32::try_from(*i).is_ok() => "java.lang.Integer",
        Value::Static(StaticNode::U64(u)) if i32::try_from(*u).is_ok() => "java.lang.Integer",
        Value::Static(StaticNode::I64(_) | StaticNode::U64(_)) => "java.lang.Long",
        Value::Static(StaticNode::F64(_)) => "java.lang.Double",
        Value::String(_) => "java.lang.String",
        Value::Array(_) => "java.util.ArrayList",
        Value::Object(_) => "java.util.LinkedHashMap",
    }
}

/// An index (negative from the end) into a sequence of `len`.
fn resolve(i: i64, len: usize) -> Option<usize> {
    if i >= 0 {
        usize::try_from(i).ok().filter(|j| *j < len)
    } else {
        usize::try_from(i.unsigned_abs())
            .ok()
            .filter(|b| *b <= len)
            .map(|b| len - b)
    }
}

/// Python-style slice bounds, clamped to `0..=len`.
fn slice_bounds(start: Option<i64>, end: Option<i64>, len: usize) -> (usize, usize) {
    let clamp = |x: i64| -> usize {
        if x < 0 {
            usize::try_from(x.unsigned_abs()).map_or(0, |b| len.saturating_sub(b))
        } else {
            usize::try_from(x).map_or(len, |x| x.min(len))
        }
    };
    (start.map_or(0, clamp), end.map_or(len, clamp))
}

/// Evaluates `segs` from `start`. When `strict`, raises Jayway's errors while
/// the steps so far are definite; otherwise only the work limit fails.
pub(super) fn run<'a>(
    ctx: &Ctx<'a>,
    segs: &[Segment],
    start: &'a Value,
    strict: bool,
) -> Result<Vec<&'a Value>, Miss> {
    let mut cur = vec![start];
    let mut upstream_definite = strict;
    let mut after_descent = false;
    for (i, seg) in segs.iter().enumerate() {
        let mut next = Vec::new();
        if upstream_definite {
            if let Some(&node) = cur.first() {
                check_strict(segs, i, node)?;
                step(ctx, seg, false, node, &mut next)?;
            }
            upstream_definite = seg.is_definite();
        } else {
            for &node in &cur {
                step(ctx, seg, after_descent, node, &mut next)?;
            }
        }
        after_descent = matches!(seg, Segment::Descent);
        cur = next;
        if cur.is_empty() {
            break;
        }
    }
    Ok(cur)
}

/// Jayway's errors for step `i` on `node` when everything before was definite.
fn check_strict(segs: &[Segment], i: usize, node: &Value) -> Result<(), Miss> {
    let Some(seg) = segs.get(i) else {
        return Ok(());
    };
    match (seg, node) {
        (Segment::Child(k), Value::Object(o)) => {
            if o.get(k.as_str()).is_none() && i + 1 < segs.len() {
                return Err(missing(segs, i));
            }
        }
        (Segment::Children(_), Value::Object(_)) => {}
        (Segment::Child(_) | Segment::Children(_), _) => return Err(not_object(segs, i, node)),
        (Segment::Index(_) | Segment::Indexes(_) | Segment::Slice { .. }, Value::Array(_)) => {}
        (Segment::Index(_) | Segment::Indexes(_) | Segment::Slice { .. }, _) => {
            return Err(not_array(segs, i, node))
        }
        (Segment::Filter(_), Value::Array(_) | Value::Object(_)) => {}
        (Segment::Filter(_), _) => return Err(not_array(segs, i, node)),
        (Segment::Wildcard | Segment::Descent, _) => {}
    }
    Ok(())
}

/// Pushes what `seg` selects from `node` onto `out`.
fn step<'a>(
    ctx: &Ctx<'a>,
    seg: &Segment,
    after_descent: bool,
    node: &'a Value,
    out: &mut Vec<&'a Value>,
) -> Result<(), Miss> {
    let before = out.len();
    match (seg, node) {
        (Segment::Child(k), Value::Object(o)) => out.extend(o.get(k.as_str())),
        (Segment::Children(ks), Value::Object(o)) => {
            out.extend(ks.iter().filter_map(|k| o.get(k.as_str())));
        }
        (Segment::Index(i), Value::Array(a)) => {
            out.extend(resolve(*i, a.len()).and_then(|j| a.get(j)));
        }
        (Segment::Indexes(is), Value::Array(a)) => {
            out.extend(
                is.iter()
                    .filter_map(|i| resolve(*i, a.len()).and_then(|j| a.get(j))),
            );
        }
        (Segment::Slice { start, end, step }, Value::Array(a)) => {
            let (s, e) = slice_bounds(*start, *end, a.len());
            let by = usize::try_from(*step).unwrap_or(usize::MAX).max(1);
            if let Some(items) = a.get(s..e.max(s)) {
                out.extend(items.iter().step_by(by));
            }
        }
        (Segment::Wildcard, Value::Array(a)) => out.extend(a.iter()),
        (Segment::Wildcard, Value::Object(o)) => out.extend(o.values()),
        (Segment::Descent, Value::Array(_) | Value::Object(_)) => descend(ctx, node, out)?,
        (Segment::Filter(e), Value::Object(_)) if test(ctx, e, node)? => out.push(node),
        (Segment::Filter(e), Value::Array(a)) if !after_descent => {
            for item in a.iter() {
                if test(ctx, e, item)? {
                    out.push(item);
                }
            }
        }
        _ => {}
    }
    ctx.spend(out.len() - before + 1)
}

/// Children of a container, in document order.
fn children<'a>(v: &'a Value) -> Option<Box<dyn Iterator<Item = &'a Value> + 'a>> {
    match v {
        Value::Array(a) => Some(Box::new(a.iter())),
        Value::Object(o) => Some(Box::new(o.values())),
        Value::Static(_) | Value::String(_) => None,
    }
}

/// Pushes `node` and every container below it, in pre-order, without recursion.
fn descend<'a>(ctx: &Ctx<'a>, node: &'a Value, out: &mut Vec<&'a Value>) -> Result<(), Miss> {
    out.push(node);
    let mut stack: Vec<Box<dyn Iterator<Item = &'a Value> + 'a>> = Vec::new();
    stack.extend(children(node));
    while let Some(top) = stack.last_mut() {
        match top.next() {
            Some(child) => {
                ctx.spend(1)?;
                if let Some(it) = children(child) {
                    out.push(child);
                    stack.push(it);
                }
            }
            None => {
                stack.pop();
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use simd_json::json;

    use crate::json::path::{Path, Selected};
    use crate::json::Value;

    fn store() -> Value {
        json!({
            "store": {
                "book": [
                    {"category": "reference", "author": "Nigel Rees", "title": "Sayings", "price": 8.95},
                    {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword", "price": 12.99},
                    {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick", "isbn": "0-553", "price": 8.99},
                    {"category": "fiction", "author": "J. R. R. Tolkien", "title": "LOTR", "isbn": "0-395", "price": 22.99}
                ],
                "bicycle": {"color": "red", "price": 19.95}
            },
            "expensive": 10
        })
    }

    /// Selects and returns (definite?, value).
    fn sel(path: &str, doc: &Value) -> (bool, Value) {
        let p = Path::parse(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        match p.select_in(doc) {
            Ok(s @ Selected::One(_)) => (true, s.into_value()),
            Ok(s) => (false, s.into_value()),
            Err(e) => panic!("{path}: {e}"),
        }
    }

    fn err(path: &str, doc: &Value) -> String {
        match Path::parse(path).map(|p| p.select_in(doc).map(Selected::into_value)) {
            Ok(Ok(v)) => panic!("{path}: expected an error, got {v:?}"),
            Ok(Err(e)) | Err(e) => e.to_string(),
        }
    }

    /// `one!(name, path, doc, expected)`: a definite selection.
    /// `many!(name, path, doc, expected_array)`: an indefinite selection.
    macro_rules! one {
        ($name:ident, $path:expr, $doc:expr, $exp:tt) => {
            #[test]
            fn $name() {
                assert_eq!(sel($path, &$doc), (true, json!($exp)), "{}", $path);
            }
        };
    }
    macro_rules! many {
        ($name:ident, $path:expr, $doc:expr, $exp:tt) => {
            #[test]
            fn $name() {
                assert_eq!(sel($path, &$doc), (false, json!($exp)), "{}", $path);
            }
        };
    }
    macro_rules! fails {
        ($name:ident, $path:expr, $doc:expr, $msg:expr) => {
            #[test]
            fn $name() {
                assert_eq!(err($path, &$doc), $msg, "{}", $path);
            }
        };
    }

    one!(root, "$", json!({"a": 1}), {"a": 1});
    one!(dot_child, "$.store.bicycle.color", store(), "red");
    one!(
        bracket_child,
        "$['store']['bicycle']['price']",
        store(),
        19.95
    );
    one!(double_quoted, "$[\"expensive\"]", store(), 10);
    one!(spaced_key, "$['a b']", json!({"a b": 1}), 1);
    one!(escaped_quote, r"$['it\'s']", json!({"it's": 2}), 2);
    one!(index, "$.store.book[1].author", store(), "Evelyn Waugh");
    one!(negative_index, "$.store.book[-1].title", store(), "LOTR");
    one!(null_leaf, "$.a", json!({"a": null}), null);
    one!(root_array_index, "$[0]", json!([7, 8]), 7);
    one!(unicode_key, "$.héllo", json!({"héllo": true}), true);
    many!(
        wildcard_array,
        "$.store.book[*].author",
        store(),
        [
            "Nigel Rees",
            "Evelyn Waugh",
            "Herman Melville",
            "J. R. R. Tolkien"
        ]
    );
    many!(wildcard_dot, "$.store.bicycle.*", store(), ["red", 19.95]);
    many!(wildcard_scalar_is_empty, "$.expensive[*]", store(), []);
    many!(
        descent_name,
        "$..author",
        store(),
        [
            "Nigel Rees",
            "Evelyn Waugh",
            "Herman Melville",
            "J. R. R. Tolkien"
        ]
    );
    many!(
        descent_price,
        "$.store..price",
        store(),
        [8.95, 12.99, 8.99, 22.99, 19.95]
    );
    many!(descent_wildcard, "$..*", json!({"a": {"b": 1}, "c": [2]}), [{"b": 1}, [2], 1, 2]);
    many!(
        descent_index,
        "$..[0]",
        json!({"a": [1, 2], "b": {"c": [3]}}),
        [1, 3]
    );
    many!(
        descent_bracket,
        "$..['b']",
        json!({"a": {"b": 1}, "b": 2}),
        [2, 1]
    );
    many!(slice, "$.a[1:3]", json!({"a": [0, 1, 2, 3, 4]}), [1, 2]);
    many!(slice_to, "$.a[:2]", json!({"a": [0, 1, 2, 3, 4]}), [0, 1]);
    many!(
        slice_from_negative,
        "$.a[-2:]",
        json!({"a": [0, 1, 2, 3, 4]}),
        [3, 4]
    );
    many!(slice_last, "$.a[-1:]", json!({"a": [0, 1, 2]}), [2]);
    many!(
        slice_step,
        "$.a[0:5:2]",
        json!({"a": [0, 1, 2, 3, 4]}),
        [0, 2, 4]
    );
    many!(slice_out_of_range, "$.a[7:9]", json!({"a": [0, 1]}), []);
    many!(
        slice_reversed_is_empty,
        "$.a[3:1]",
        json!({"a": [0, 1, 2, 3]}),
        []
    );
    many!(
        union_index,
        "$.a[0,2,-1]",
        json!({"a": [0, 1, 2, 3]}),
        [0, 2, 3]
    );
    many!(
        union_keys,
        "$['a','c']",
        json!({"a": 1, "b": 2, "c": 3}),
        [1, 3]
    );
    many!(
        filter_lt,
        "$.store.book[?(@.price < 10)].title",
        store(),
        ["Sayings", "Moby Dick"]
    );
    many!(
        filter_eq_string,
        "$.store.book[?(@.category == 'reference')].author",
        store(),
        ["Nigel Rees"]
    );
    many!(
        filter_eq_double_quoted,
        "$.store.book[?(@.category == \"reference\")].price",
        store(),
        [8.95]
    );
    many!(
        filter_exists,
        "$.store.book[?(@.isbn)].title",
        store(),
        ["Moby Dick", "LOTR"]
    );
    many!(
        filter_not_exists,
        "$.store.book[?(!@.isbn)].title",
        store(),
        ["Sayings", "Sword"]
    );
    many!(
        filter_and,
        "$.store.book[?(@.category == 'fiction' && @.price < 20)].title",
        store(),
        ["Sword", "Moby Dick"]
    );
    many!(
        filter_or,
        "$.store.book[?(@.price < 9 || @.price > 20)].title",
        store(),
        ["Sayings", "Moby Dick", "LOTR"]
    );
    many!(
        filter_paren_not,
        "$.store.book[?(!(@.price < 10))].title",
        store(),
        ["Sword", "LOTR"]
    );
    many!(
        filter_root_ref,
        "$.store.book[?(@.price > $.expensive)].title",
        store(),
        ["Sword", "LOTR"]
    );
    many!(filter_ne, "$.a[?(@.x != 1)]", json!({"a": [{"x": 1}, {"x": 2}, {}]}), [{"x": 2}, {}]);
    many!(
        filter_ge_le,
        "$.a[?(@ >= 2 && @ <= 3)]",
        json!({"a": [1, 2, 3, 4]}),
        [2, 3]
    );
    many!(
        filter_bool,
        "$.a[?(@.ok == true)].n",
        json!({"a": [{"ok": true, "n": 1}, {"ok": false, "n": 2}]}),
        [1]
    );
    many!(
        filter_exists_false_value,
        "$.a[?(@.ok)].n",
        json!({"a": [{"ok": false, "n": 1}, {"n": 2}]}),
        [1]
    );
    many!(
        filter_null,
        "$.a[?(@.v == null)].n",
        json!({"a": [{"v": null, "n": 1}, {"v": 0, "n": 2}]}),
        [1]
    );
    many!(
        filter_string_order,
        "$.a[?(@ > 'b')]",
        json!({"a": ["a", "b", "c"]}),
        ["c"]
    );
    many!(
        filter_mixed_types_false,
        "$.a[?(@ < 5)]",
        json!({"a": ["1", 1, true, null]}),
        [1]
    );
    many!(
        filter_int_float_eq,
        "$.a[?(@ == 1.0)]",
        json!({"a": [1, 2]}),
        [1]
    );
    many!(
        filter_in,
        "$.a[?(@.c in ['x', 'z'])].c",
        json!({"a": [{"c": "x"}, {"c": "y"}, {"c": "z"}]}),
        ["x", "z"]
    );
    many!(
        filter_nin,
        "$.a[?(@.c nin ['x'])].c",
        json!({"a": [{"c": "x"}, {"c": "y"}]}),
        ["y"]
    );
    many!(
        filter_length,
        "$.a[?(@.t.length() > 1)].t",
        json!({"a": [{"t": [1]}, {"t": [1, 2]}]}),
        [[1, 2]]
    );
    many!(
        filter_object_eq,
        "$.a[?(@.o == $.want)].n",
        json!({"want": {"k": [1]}, "a": [{"o": {"k": [1]}, "n": 1}, {"o": {"k": [2]}, "n": 2}]}),
        [1]
    );
    many!(
        filter_nested,
        "$.a[?(@.b[?(@ > 2)])].n",
        json!({"a": [{"b": [1, 3], "n": 1}, {"b": [1], "n": 2}]}),
        [1]
    );
    many!(filter_on_object_tests_itself, "$.o[?(@.k == 1)]", json!({"o": {"k": 1}}), [{"k": 1}]);
    many!(
        descent_filter,
        "$..[?(@.price > 20)].title",
        store(),
        ["LOTR"]
    );
    many!(
        descent_then_filter_array,
        "$..book[?(@.price > 20)].title",
        store(),
        ["LOTR"]
    );
    many!(
        indefinite_no_match,
        "$.a[*].missing",
        json!({"a": [{}, {}]}),
        []
    );

    fails!(
        missing_leaf,
        "$.NoSuchInputPath",
        json!({"int-literal": 0}),
        "Invalid path '$.NoSuchInputPath' : No results for path: $['NoSuchInputPath']"
    );
    fails!(
        missing_parent,
        "$.no.such.result.path",
        json!({}),
        "Invalid path '$.no.such.result.path' : Missing property in path $['no']"
    );
    fails!(
        missing_deep_leaf,
        "$.a.b",
        json!({"a": {}}),
        "Invalid path '$.a.b' : No results for path: $['a']['b']"
    );
    fails!(
        index_out_of_range,
        "$.a[5]",
        json!({"a": [1]}),
        "Invalid path '$.a[5]' : No results for path: $['a'][5]"
    );
    fails!(
        property_of_string,
        "$.a.b",
        json!({"a": "x"}),
        "Invalid path '$.a.b' : Expected to find an object with property ['b'] in path $['a'] \
         but found 'java.lang.String'. This is not a json object according to the JsonProvider: \
         'com.jayway.jsonpath.spi.json.JacksonJsonProvider'."
    );
    fails!(
        index_of_null,
        "$.a[0]",
        json!({"a": null}),
        "Invalid path '$.a[0]' : The path $['a'] is null"
    );
    fails!(index_of_object, "$.a[0]", json!({"a": {"k": 1}}),
        "Invalid path '$.a[0]' : Filter: [0] can only be applied to arrays. Current context is: {\"k\":1}");
    #[test]
    fn indefinite_path_below_missing_selects_nothing() {
        // AWS: `"item.$": "$.items[1:]"` on `{}` gives `"item": []`.
        assert_eq!(sel("$.a.b[*]", &json!({})), (false, json!([])));
        assert_eq!(sel("$.items[1:]", &json!({})), (false, json!([])));
    }

    #[test]
    fn selection_borrows_from_the_document() {
        let doc = store();
        let p = Path::parse("$.store.bicycle").unwrap();
        match p.select_in(&doc) {
            Ok(Selected::One(v)) => {
                let expected = match &doc {
                    Value::Object(o) => o.get("store").and_then(|s| match s {
                        Value::Object(s) => s.get("bicycle"),
                        _ => None,
                    }),
                    _ => None,
                };
                assert!(expected.is_some_and(|e| std::ptr::eq(e, v)));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn deep_documents_do_not_overflow() {
        let mut doc = json!(1);
        for _ in 0..10_000 {
            doc = Value::Array(Box::new(vec![doc]));
        }
        let all = Path::parse("$..*").unwrap().select_in(&doc);
        assert!(matches!(all, Ok(Selected::Many(ref v)) if v.len() == 10_000));
        let filtered = Path::parse("$..[?(@ == $)]").unwrap().select_in(&doc);
        assert!(filtered.is_ok());
        let eq = Path::parse("$[?(@ == @)]").unwrap().select_in(&doc);
        assert!(eq.is_ok());
        // Avoid a recursive drop of the deep document on the test's stack.
        let mut stack = vec![doc];
        while let Some(v) = stack.pop() {
            if let Value::Array(mut a) = v {
                stack.extend(a.drain(..));
            }
        }
    }

    #[test]
    fn blow_ups_hit_the_work_limit() {
        let mut doc = json!(1);
        for _ in 0..3_000 {
            doc = Value::Array(Box::new(vec![doc, json!(0)]));
        }
        let r = Path::parse("$..*..*..*").unwrap().select_in(&doc);
        assert!(
            matches!(r, Err(ref e) if e.to_string().contains("exceeded")),
            "{r:?}"
        );
        let mut stack = vec![doc];
        while let Some(v) = stack.pop() {
            if let Value::Array(mut a) = v {
                stack.extend(a.drain(..));
            }
        }
    }
}
