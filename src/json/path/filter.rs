//! Filter expressions (`[?( … )]`): operands, Jayway comparisons and
//! equality. Recursion follows only the expression's nesting (bounded by the
//! parser); deep equality uses an explicit stack.

use std::cmp::Ordering;

use simd_json::StaticNode;

use super::eval::{run, Ctx, Miss};
use super::parse::{Expr, Func, Op, Operand};
use super::Segment;
use crate::json::Value;

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
pub(super) fn test<'x>(ctx: &Ctx<'x>, e: &'x Expr, node: &'x Value) -> Result<bool, Miss> {
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
fn operand<'x>(ctx: &Ctx<'x>, op: &'x Operand, node: &'x Value) -> Result<Val<'x>, Miss> {
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
fn val_eq(ctx: &Ctx<'_>, a: &Val<'_>, b: &Val<'_>) -> Result<bool, Miss> {
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
) -> Result<bool, Miss> {
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
fn json_eq(ctx: &Ctx<'_>, a: &Value, b: &Value) -> Result<bool, Miss> {
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
            Some(crate::json::compare_strings(x, y))
        }
        _ => None,
    }
}

/// `needle in haystack`: the haystack is an array (literal or node) or an
/// indefinite path's nodes.
fn contains(ctx: &Ctx<'_>, haystack: &Val<'_>, needle: &Val<'_>) -> Result<bool, Miss> {
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
