//! Selecting a parsed path from a document, by borrowing. Follows Jayway
//! JsonPath (default options), which AWS runs: errors are raised only while
//! every step so far was definite, and carry Jayway's wording.
//!
//! No recursion on document depth: descent (`..`) and equality use explicit
//! stacks; recursion follows only filter nesting (bounded by the parser).

use std::cell::Cell;
use std::cmp::Ordering;

use simd_json::StaticNode;

use super::parse::{Expr, Func, Op, Operand};
use super::{normalize, render_segments, Path, Segment, Selected, MAX_WORK};
use crate::json::Value;

/// The JSON provider class name Jayway prints in type-mismatch messages.
const JSON_PROVIDER: &str = "com.jayway.jsonpath.spi.json.JacksonJsonProvider";

/// Selects `path` from `doc`; the error is the Jayway message.
pub(super) fn select<'a>(path: &Path, doc: &'a Value) -> Result<Selected<'a>, String> {
    let segs = path.segments();
    if path.is_definite() {
        return walk_definite(segs, doc).map(Selected::One);
    }
    let ctx = Ctx {
        root: doc,
        work: Cell::new(0),
    };
    run(&ctx, segs, doc, true).map(Selected::Many)
}

/// The evaluation context: the document root (for `$` inside filters) and
/// the work spent so far.
struct Ctx<'a> {
    root: &'a Value,
    work: Cell<usize>,
}

impl Ctx<'_> {
    fn spend(&self, n: usize) -> Result<(), String> {
        let w = self.work.get().saturating_add(n);
        self.work.set(w);
        if w > MAX_WORK {
            Err(format!("Path evaluation exceeded {MAX_WORK} nodes"))
        } else {
            Ok(())
        }
    }
}

/// The fast path for definite paths: one node, no allocation.
fn walk_definite<'a>(segs: &[Segment], doc: &'a Value) -> Result<&'a Value, String> {
    let mut node = doc;
    for (i, seg) in segs.iter().enumerate() {
        node = match seg {
            Segment::Child(k) => match node {
                Value::Object(o) => match o.get(k.as_str()) {
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
fn no_results(segs: &[Segment]) -> String {
    format!("No results for path: {}", normalize(segs))
}

/// A missing property at step `i`: at the leaf, no results; above it,
/// `Missing property in path $['a']`.
fn missing(segs: &[Segment], i: usize) -> String {
    if i + 1 >= segs.len() {
        no_results(segs)
    } else {
        format!(
            "Missing property in path {}",
            normalize(segs.get(..=i).unwrap_or(segs))
        )
    }
}

/// A property step applied to a non-object.
fn not_object(segs: &[Segment], i: usize, node: &Value) -> String {
    let mut frag = String::new();
    render_segments(&mut frag, segs.get(i..=i).unwrap_or(&[]));
    format!(
        "Expected to find an object with property {frag} in path {} but found '{}'. \
         This is not a json object according to the JsonProvider: '{JSON_PROVIDER}'.",
        normalize(segs.get(..i).unwrap_or(&[])),
        java_class(node)
    )
}

/// An array step applied to a non-array.
fn not_array(segs: &[Segment], i: usize, node: &Value) -> String {
    if matches!(node, Value::Static(StaticNode::Null)) {
        return format!(
            "The path {} is null",
            normalize(segs.get(..i).unwrap_or(&[]))
        );
    }
    let mut rest = String::new();
    render_segments(&mut rest, segs.get(i..).unwrap_or(&[]));
    format!(
        "Filter: {rest} can only be applied to arrays. Current context is: {}",
        crate::json::to_string(node)
    )
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
fn run<'a>(
    ctx: &Ctx<'a>,
    segs: &[Segment],
    start: &'a Value,
    strict: bool,
) -> Result<Vec<&'a Value>, String> {
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
fn check_strict(segs: &[Segment], i: usize, node: &Value) -> Result<(), String> {
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
) -> Result<(), String> {
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
        (Segment::Filter(e), Value::Object(_)) => {
            if test(ctx, e, node)? {
                out.push(node);
            }
        }
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
fn descend<'a>(ctx: &Ctx<'a>, node: &'a Value, out: &mut Vec<&'a Value>) -> Result<(), String> {
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

/// A filter operand's value.
enum Val<'x> {
    /// The path selected nothing.
    Missing,
    /// One node (or a literal).
    One(&'x Value),
    /// An indefinite path's nodes.
    Many(Vec<&'x Value>),
    /// A computed number (`length()`).
    Num(f64),
}

/// Whether `node` passes the filter.
fn test<'x>(ctx: &Ctx<'x>, e: &'x Expr, node: &'x Value) -> Result<bool, String> {
    Ok(match e {
        Expr::Or(a, b) => test(ctx, a, node)? || test(ctx, b, node)?,
        Expr::And(a, b) => test(ctx, a, node)? && test(ctx, b, node)?,
        Expr::Not(a) => !test(ctx, a, node)?,
        Expr::Exists(op) => match operand(ctx, op, node)? {
            Val::Missing => false,
            Val::Many(v) => !v.is_empty(),
            Val::One(_) | Val::Num(_) => true,
        },
        Expr::Compare(l, op, r) => {
            let l = operand(ctx, l, node)?;
            let r = operand(ctx, r, node)?;
            match op {
                Op::Eq => val_eq(ctx, &l, &r)?,
                Op::Ne => !val_eq(ctx, &l, &r)?,
                Op::Lt => val_cmp(&l, &r) == Some(Ordering::Less),
                Op::Le => matches!(val_cmp(&l, &r), Some(Ordering::Less | Ordering::Equal)),
                Op::Gt => val_cmp(&l, &r) == Some(Ordering::Greater),
                Op::Ge => matches!(val_cmp(&l, &r), Some(Ordering::Greater | Ordering::Equal)),
                Op::In => contains(ctx, &r, &l)?,
                Op::Nin => !contains(ctx, &r, &l)?,
            }
        }
    })
}

/// Evaluates one operand against the filtered node.
fn operand<'x>(ctx: &Ctx<'x>, op: &'x Operand, node: &'x Value) -> Result<Val<'x>, String> {
    let (segs, func, start) = match op {
        Operand::Literal(v) => return Ok(Val::One(v)),
        Operand::Current(segs, f) => (segs, f, node),
        Operand::Root(segs, f) => (segs, f, ctx.root),
    };
    let mut nodes = run(ctx, segs, start, false)?;
    let val = if segs.iter().all(Segment::is_definite) {
        match nodes.pop() {
            Some(v) => Val::One(v),
            None => Val::Missing,
        }
    } else {
        Val::Many(nodes)
    };
    Ok(match (func, val) {
        (None, v) => v,
        (Some(Func::Length), Val::Many(v)) => Val::Num(v.len() as f64),
        (Some(Func::Length), Val::One(v)) => match v {
            Value::Array(a) => Val::Num(a.len() as f64),
            Value::Object(o) => Val::Num(o.len() as f64),
            Value::String(s) => Val::Num(s.encode_utf16().count() as f64),
            Value::Static(_) => Val::Missing,
        },
        (Some(Func::Length), _) => Val::Missing,
    })
}

/// A value as a number, if it is one.
fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Static(StaticNode::I64(i)) => Some(*i as f64),
        Value::Static(StaticNode::U64(u)) => Some(*u as f64),
        Value::Static(StaticNode::F64(f)) => Some(*f),
        _ => None,
    }
}

/// Jayway equality between operands (numbers and numeric strings compare
/// equal by value at the top level).
fn val_eq(ctx: &Ctx<'_>, a: &Val<'_>, b: &Val<'_>) -> Result<bool, String> {
    Ok(match (a, b) {
        (Val::Missing, Val::Missing) => true,
        (Val::Missing, _) | (_, Val::Missing) => false,
        (Val::Num(x), Val::Num(y)) => x == y,
        (Val::Num(x), Val::One(v)) | (Val::One(v), Val::Num(x)) => num(v) == Some(*x),
        (Val::One(x), Val::One(y)) => match (x, y) {
            (Value::String(s), n) | (n, Value::String(s)) if num(n).is_some() => {
                s.trim().parse::<f64>().ok() == num(n)
            }
            _ => json_eq(ctx, x, y)?,
        },
        (Val::Many(xs), Val::Many(ys)) => seq_eq(ctx, xs.iter().copied(), ys.iter().copied())?,
        (Val::Many(xs), Val::One(Value::Array(ys)))
        | (Val::One(Value::Array(ys)), Val::Many(xs)) => {
            xs.len() == ys.len() && seq_eq(ctx, xs.iter().copied(), ys.iter())?
        }
        _ => false,
    })
}

fn seq_eq<'v>(
    ctx: &Ctx<'_>,
    xs: impl ExactSizeIterator<Item = &'v Value>,
    ys: impl ExactSizeIterator<Item = &'v Value>,
) -> Result<bool, String> {
    if xs.len() != ys.len() {
        return Ok(false);
    }
    for (x, y) in xs.zip(ys) {
        if !json_eq(ctx, x, y)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Deep JSON equality (numbers by value), without recursion.
fn json_eq(ctx: &Ctx<'_>, a: &Value, b: &Value) -> Result<bool, String> {
    let mut stack = vec![(a, b)];
    while let Some((x, y)) = stack.pop() {
        ctx.spend(1)?;
        let same = match (x, y) {
            (Value::Static(StaticNode::Null), Value::Static(StaticNode::Null)) => true,
            (Value::Static(StaticNode::Bool(p)), Value::Static(StaticNode::Bool(q))) => p == q,
            (Value::Static(_), Value::Static(_)) => num(x).is_some() && num(x) == num(y),
            (Value::String(p), Value::String(q)) => p == q,
            (Value::Array(p), Value::Array(q)) => {
                stack.extend(p.iter().zip(q.iter()));
                p.len() == q.len()
            }
            (Value::Object(p), Value::Object(q)) => {
                for (k, v) in p.iter() {
                    match q.get(k.as_str()) {
                        Some(w) => stack.push((v, w)),
                        None => return Ok(false),
                    }
                }
                p.len() == q.len()
            }
            _ => false,
        };
        if !same {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Ordering for `<`, `<=`, `>`, `>=`: numbers by value, strings by UTF-16
/// code unit (Java's `compareTo`); anything else does not compare.
fn val_cmp(a: &Val<'_>, b: &Val<'_>) -> Option<Ordering> {
    let as_num = |v: &Val<'_>| match v {
        Val::Num(n) => Some(*n),
        Val::One(v) => num(v),
        _ => None,
    };
    if let (Some(x), Some(y)) = (as_num(a), as_num(b)) {
        return x.partial_cmp(&y);
    }
    match (a, b) {
        (Val::One(Value::String(x)), Val::One(Value::String(y))) => {
            Some(x.encode_utf16().cmp(y.encode_utf16()))
        }
        _ => None,
    }
}

/// `needle in haystack`: the haystack is an array (literal or node) or an
/// indefinite path's nodes.
fn contains(ctx: &Ctx<'_>, haystack: &Val<'_>, needle: &Val<'_>) -> Result<bool, String> {
    let items: Vec<&Value> = match haystack {
        Val::One(Value::Array(a)) => a.iter().collect(),
        Val::Many(v) => v.clone(),
        _ => return Ok(false),
    };
    for item in items {
        if val_eq(ctx, needle, &Val::One(item))? {
            return Ok(true);
        }
    }
    Ok(false)
}
