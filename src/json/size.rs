//! The serialised size and the nesting depth of a value, for the
//! 262,144-byte payload limit and [`MAX_DEPTH`].
//!
//! Checked on every Task input and result, so the common case (a document
//! far below the limit) is one walk that counts raw bytes. Only a document
//! near the limit takes a second walk that counts its exact size (escapes
//! and float digits). Both walks keep their own stack: a document of any
//! depth is measured without recursion.

use simd_json::{OwnedValue, StaticNode};

use crate::json::path::{Path, Segment};
use crate::json::{Value, MAX_DEPTH};

/// What one walk over a value found.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Measure {
    /// Every byte that is surely there (strings unescaped, floats as 1 byte).
    low: usize,
    /// The most it can be (each string byte escaped as `\u00XX`, floats as 24 bytes).
    high: usize,
    /// Nested arrays and objects: 0 for a scalar, 1 for `[]` or `{"a":1}`.
    pub(crate) depth: usize,
    /// Values (scalars, arrays, objects), keys not counted.
    nodes: usize,
}

fn digits(mut n: u64) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

/// Adds a scalar's size to `(low, high)`; arrays and objects add only their punctuation.
fn node(v: &Value, low: &mut usize, high: &mut usize) {
    let (l, h) = match v {
        OwnedValue::Static(StaticNode::Null) => (4, 4),
        OwnedValue::Static(StaticNode::Bool(t)) => {
            let n = if *t { 4 } else { 5 };
            (n, n)
        }
        OwnedValue::Static(StaticNode::I64(n)) => {
            let n = digits(n.unsigned_abs()) + usize::from(*n < 0);
            (n, n)
        }
        OwnedValue::Static(StaticNode::U64(n)) => {
            let n = digits(*n);
            (n, n)
        }
        OwnedValue::Static(StaticNode::F64(_)) => (1, 24),
        OwnedValue::String(s) => (2 + s.len(), 2 + 6 * s.len()),
        OwnedValue::Array(a) => {
            let n = 2 + a.len().saturating_sub(1);
            (n, n)
        }
        OwnedValue::Object(o) => {
            // Braces, commas, colons; keys are added by the walk.
            let n = 2 + o.len().saturating_sub(1) + o.len();
            (n, n)
        }
    };
    *low += l;
    *high += h;
}

/// The exact compact-JSON size of a string, as simd-json escapes it.
fn escaped_len(s: &str) -> usize {
    2 + s
        .bytes()
        .map(|b| match b {
            b'"' | b'\\' | 0x08 | 0x09 | 0x0a | 0x0c | 0x0d => 2,
            0..=0x1f => 6,
            _ => 1,
        })
        .sum::<usize>()
}

/// Values still to visit with their depth: the first [`INLINE`] on the
/// stack frame, the rest in a vector allocated only for a document that has
/// more pending at once (every Task result is measured: most are small).
struct Pending<'v> {
    inline: [(&'v Value, usize); INLINE],
    len: usize,
    spill: Vec<(&'v Value, usize)>,
}

/// How many pending values [`Pending`] holds without allocating.
const INLINE: usize = 32;

impl<'v> Pending<'v> {
    fn new(filler: &'v Value) -> Self {
        Pending {
            inline: [(filler, 0); INLINE],
            len: 0,
            spill: Vec::new(),
        }
    }

    #[inline]
    fn push(&mut self, item: (&'v Value, usize)) {
        if self.len < INLINE {
            self.inline[self.len] = item;
            self.len += 1;
        } else {
            self.spill.push(item);
        }
    }

    #[inline]
    fn pop(&mut self) -> Option<(&'v Value, usize)> {
        // The order of the visit does not change the measure.
        if let Some(item) = self.spill.pop() {
            return Some(item);
        }
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        Some(self.inline[self.len])
    }
}

/// How deep [`measure`] recurses before it walks the value again with its
/// own stack: every frame of [`walk_shallow`] is small, so this bounds the
/// thread stack it takes to a few KiB.
const RECURSION: usize = 32;

/// One walk: the size bounds and the depth of `value`.
///
/// A value at most [`RECURSION`] levels deep (every payload of the bench
/// workflows, most real ones) is walked recursively, which needs no stack
/// of pending values to set up; a deeper one is walked again by
/// [`measure_deep`], which keeps its own stack. Both give the same measure.
pub(crate) fn measure(value: &Value) -> Measure {
    let mut t = Tally::default();
    if walk_shallow(value, 0, &mut t) {
        t.measure()
    } else {
        measure_deep(value)
    }
}

/// What [`walk_shallow`] adds up, from which the [`Measure`] follows:
/// the bytes every serialisation takes (punctuation, quotes, integers,
/// literals), the bytes of text (keys and strings, each byte 1 to 6
/// bytes once escaped) and the floats (1 to 24 bytes each).
#[derive(Default)]
struct Tally {
    exact: usize,
    text: usize,
    floats: usize,
    depth: usize,
    nodes: usize,
}

impl Tally {
    fn measure(&self) -> Measure {
        Measure {
            low: self.exact + self.text + self.floats,
            high: self.exact + 6 * self.text + 24 * self.floats,
            depth: self.depth,
            nodes: self.nodes,
        }
    }
}

/// The bytes of a literal or an integer ([`node`]'s sizes).
#[inline]
fn literal_len(v: &StaticNode) -> usize {
    match v {
        StaticNode::Null => 4,
        StaticNode::Bool(true) => 4,
        StaticNode::Bool(false) => 5,
        StaticNode::I64(n) => digits(n.unsigned_abs()) + usize::from(*n < 0),
        StaticNode::U64(n) => digits(*n),
        // Floats are counted apart (`Tally::floats`).
        StaticNode::F64(_) => 0,
    }
}

/// Adds `v` (at `depth`: 0 for the root) and its descendants to `t`;
/// `false`, with `t` partly added, when a container lies deeper than
/// [`RECURSION`]. Adds what [`node`] and the loop of [`measure_deep`] add.
///
/// The members of a container are added up in locals (registers), with a
/// call only for a nested container: most values of a document are
/// scalars (this walk measures every Task result).
fn walk_shallow(v: &Value, depth: usize, t: &mut Tally) -> bool {
    let mut sum = Sum {
        exact: 0,
        text: 0,
        floats: 0,
        nodes: 1,
    };
    let within = match v {
        OwnedValue::Object(o) => {
            if depth >= RECURSION {
                return false;
            }
            t.depth = t.depth.max(depth + 1);
            // Braces, commas, colons, and the quotes of each key.
            let n = o.len();
            sum.exact += 2 + n.saturating_sub(1) + n + 2 * n;
            let mut all = true;
            for (k, x) in o.iter() {
                sum.text += k.len();
                if !sum.member(x, depth, t) {
                    all = false;
                    break;
                }
            }
            all
        }
        OwnedValue::Array(a) => {
            if depth >= RECURSION {
                return false;
            }
            t.depth = t.depth.max(depth + 1);
            sum.exact += 2 + a.len().saturating_sub(1);
            a.iter().all(|x| sum.member(x, depth, t))
        }
        // The root itself is a scalar: added as a member, less the node
        // the member adds (the root counted it already).
        scalar => {
            sum.nodes = 0;
            sum.member(scalar, depth, t)
        }
    };
    t.exact += sum.exact;
    t.text += sum.text;
    t.floats += sum.floats;
    t.nodes += sum.nodes;
    within
}

/// A container's members added up by [`walk_shallow`], in locals.
struct Sum {
    exact: usize,
    text: usize,
    floats: usize,
    nodes: usize,
}

impl Sum {
    /// Adds a member `x` of a container at `depth`: a scalar here, a
    /// nested container by a call into `t`; `false` when one lies too
    /// deep.
    #[inline(always)]
    fn member(&mut self, x: &Value, depth: usize, t: &mut Tally) -> bool {
        match x {
            OwnedValue::String(s) => {
                self.exact += 2;
                self.text += s.len();
                self.nodes += 1;
            }
            OwnedValue::Static(StaticNode::F64(_)) => {
                self.floats += 1;
                self.nodes += 1;
            }
            OwnedValue::Static(lit) => {
                self.exact += literal_len(lit);
                self.nodes += 1;
            }
            OwnedValue::Object(_) | OwnedValue::Array(_) => {
                return walk_shallow(x, depth + 1, t);
            }
        }
        true
    }
}

/// [`measure`] of a value of any depth, without recursion.
fn measure_deep(value: &Value) -> Measure {
    let mut m = Measure::default();
    // Containers still to visit, with their depth (the root's children are at 1).
    let mut stack = Pending::new(value);
    let mut next = Some((value, 0usize));
    while let Some((v, depth)) = next.take().or_else(|| stack.pop()) {
        m.nodes += 1;
        node(v, &mut m.low, &mut m.high);
        match v {
            OwnedValue::Array(a) => {
                m.depth = m.depth.max(depth + 1);
                for x in a.iter() {
                    stack.push((x, depth + 1));
                }
            }
            OwnedValue::Object(o) => {
                m.depth = m.depth.max(depth + 1);
                for (k, x) in o.iter() {
                    m.low += 2 + k.len();
                    m.high += 2 + 6 * k.len();
                    stack.push((x, depth + 1));
                }
            }
            _ => {}
        }
    }
    m
}

/// The exact compact-JSON size of `value` in bytes, without serialising it
/// and without recursion.
pub(crate) fn exact(value: &Value) -> usize {
    let mut n = 0usize;
    let mut stack: Vec<&Value> = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            OwnedValue::String(s) => n += escaped_len(s),
            // The float's digits as the serialiser writes them (a leaf: no recursion).
            OwnedValue::Static(StaticNode::F64(_)) => n += crate::json::to_string(v).len(),
            OwnedValue::Array(a) => {
                n += 2 + a.len().saturating_sub(1);
                stack.extend(a.iter());
            }
            OwnedValue::Object(o) => {
                n += 2 + o.len().saturating_sub(1) + o.len();
                for (k, x) in o.iter() {
                    n += escaped_len(k);
                    stack.push(x);
                }
            }
            other => {
                let (mut low, mut high) = (0, 0);
                node(other, &mut low, &mut high);
                n += low;
            }
        }
    }
    n
}

impl Measure {
    /// An estimate of the bytes the value takes in memory: its text, plus
    /// 64 bytes per value (its slot, its share of the vector or map that
    /// holds it, allocator rounding), calibrated on `run` of a 1,000-item
    /// Map whose peak RSS was about 1.5 times a 32-byte-per-value estimate.
    pub(crate) fn memory_bytes(&self) -> usize {
        const PER_VALUE: usize = 64;
        self.low
            .saturating_add(self.nodes.saturating_mul(PER_VALUE))
    }

    /// Bytes the value surely takes serialised (a lower bound).
    pub(crate) fn sure_bytes(&self) -> usize {
        self.low
    }

    /// Whether the value serialised as compact JSON is larger than `limit`
    /// bytes (`value` is the value this measure was taken of).
    pub(crate) fn exceeds(&self, value: &Value, limit: usize) -> bool {
        if self.high <= limit {
            return false;
        }
        if self.low > limit {
            return true;
        }
        exact(value) > limit
    }

    /// Whether the value nests deeper than [`MAX_DEPTH`] once placed `below`
    /// levels down in a document.
    pub(crate) fn too_deep(&self, below: usize) -> bool {
        self.depth.saturating_add(below) > MAX_DEPTH
    }
}

impl Measure {
    /// What this walk tells of the value's size and depth, kept with the
    /// value as it is built on (a [`Bound`]).
    pub(crate) fn bound(&self) -> Bound {
        Bound {
            high: self.high,
            depth: self.depth,
        }
    }
}

/// An upper bound of a value's compact-JSON size (bytes) and nesting depth,
/// kept as a document is built from parts already measured (a state's
/// input, a Task's result placed by ResultPath), so that the payload and
/// depth checks of the document need no new walk while it stays within
/// them. Past a limit, the value is walked as before: the bound decides
/// only when it proves the value within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bound {
    /// At most this many bytes serialised.
    high: usize,
    /// At most this deep (as [`Measure::depth`]).
    depth: usize,
}

impl Bound {
    /// A bound of at most `high` bytes serialised and `depth` levels deep
    /// (as [`Measure::depth`]).
    pub(crate) fn new(high: usize, depth: usize) -> Bound {
        Bound { high, depth }
    }

    /// At most this many bytes serialised.
    pub(crate) fn high(&self) -> usize {
        self.high
    }

    /// Whether every value under this bound is at most `limit` bytes and
    /// [`MAX_DEPTH`] levels deep.
    pub(crate) fn within(&self, limit: usize) -> bool {
        self.high <= limit && self.depth <= MAX_DEPTH
    }

    /// The bound of an array of values within `items`.
    pub(crate) fn array(items: impl IntoIterator<Item = Bound>) -> Bound {
        let (mut high, mut depth) = (2usize, 0usize);
        for b in items {
            // The item and a comma.
            high = high.saturating_add(b.high).saturating_add(1);
            depth = depth.max(b.depth);
        }
        Bound {
            high,
            depth: depth.saturating_add(1),
        }
    }

    /// At most this deep (as [`Measure::depth`]).
    pub(crate) fn depth(&self) -> usize {
        self.depth
    }

    /// The bound of a document after `value` was set at `path` of it
    /// (ResultPath), creating the objects on the way: each field name adds
    /// at most its escaped text, a colon, a comma and the braces of a new
    /// object; a replaced value is still counted. `None` when `path` is not
    /// made of field names only.
    pub(crate) fn placed(self, value: Bound, path: &Path) -> Option<Bound> {
        let mut key_bytes = 0usize;
        for segment in path.segments() {
            match segment {
                Segment::Child(k) => key_bytes = key_bytes.saturating_add(6 * k.len() + 6),
                _ => return None,
            }
        }
        Some(Bound {
            high: self
                .high
                .saturating_add(key_bytes)
                .saturating_add(value.high),
            depth: self
                .depth
                .max(value.depth.saturating_add(path.segments().len())),
        })
    }
}

/// Whether `value` nests more than `max` levels deep; stops at the first
/// container past `max`.
pub(crate) fn deeper_than(value: &Value, max: usize) -> bool {
    let mut stack: Vec<(&Value, usize)> = vec![(value, 1)];
    while let Some((v, depth)) = stack.pop() {
        match v {
            OwnedValue::Array(a) => {
                if depth > max {
                    return true;
                }
                stack.extend(a.iter().map(|x| (x, depth + 1)));
            }
            OwnedValue::Object(o) => {
                if depth > max {
                    return true;
                }
                stack.extend(o.values().map(|x| (x, depth + 1)));
            }
            _ => {}
        }
    }
    false
}

/// Whether `value` serialised as compact JSON is larger than `limit` bytes.
pub(crate) fn exceeds(value: &Value, limit: usize) -> bool {
    measure(value).exceeds(value, limit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(text: &str) {
        let v = crate::json::parse(text).unwrap();
        let n = crate::json::to_string(&v).len();
        assert_eq!(exact(&v), n, "{text}");
        assert!(!exceeds(&v, n), "{text}");
        assert!(exceeds(&v, n - 1), "{text}");
    }

    #[test]
    fn exact_at_the_limit() {
        check(r#"{"a":[1,2,"x\"y"],"b":null,"c":true}"#);
        check(r#"[-12345,18446744073709551615,1.5e300,"\u0001\\"]"#);
        check(r#"{"k":{"l":[[[[{}]]]]}}"#);
        check(r#"{"\n\t\u001f\b\f\r/é":"\u007f日本"}"#);
    }

    /// The recursive walk and the walk with its own stack agree, below and
    /// past the recursion limit (where `measure` falls back to the latter).
    #[test]
    fn shallow_and_deep_walks_agree() {
        let nested = |depth: usize| {
            let mut text = String::new();
            for i in 0..depth {
                text.push_str(if i % 2 == 0 { r#"{"k\n":["# } else { "[" });
            }
            text.push_str(r#""leaf",1.5,-3,true,null"#);
            for i in (0..depth).rev() {
                text.push_str(if i % 2 == 0 { "]}" } else { "]" });
            }
            text
        };
        let mut texts = vec![
            r#"{"a":[1,2,"x\"y"],"b":null,"c":{"d":{}}}"#.to_owned(),
            "[]".to_owned(),
            r#""s""#.to_owned(),
        ];
        for depth in [
            RECURSION / 2 - 1,
            RECURSION / 2,
            RECURSION / 2 + 1,
            RECURSION,
            200,
        ] {
            texts.push(nested(depth));
        }
        for text in texts {
            let v = crate::json::parse(&text).unwrap();
            let (a, b) = (measure(&v), measure_deep(&v));
            assert_eq!(
                (a.low, a.high, a.depth, a.nodes),
                (b.low, b.high, b.depth, b.nodes),
                "{text}"
            );
        }
    }

    #[test]
    fn fast_answers_far_from_the_limit() {
        let v = crate::json::parse(r#"{"a":"small"}"#).unwrap();
        assert!(!exceeds(&v, 262_144));
        let big = Value::from("x".repeat(300_000));
        assert!(exceeds(&big, 262_144));
    }

    #[test]
    fn a_placed_bound_holds_the_merged_document() {
        let cases = [
            (r#"{"a":1}"#, "$.b", r#"{"x":[1,2]}"#),
            (r#"{}"#, "$.b.c.d", r#"["\u0001"]"#),
            (r#"{"b":{"c":"long value replaced"}}"#, "$.b.c", "[1]"),
            (r#"{"b":"scalar"}"#, "$.b", r#"[[[]]]"#),
            (r#"{"é\n":{}}"#, "$['é'].k", r#"{"q":"\\"}"#),
        ];
        for (doc, path, value) in cases {
            let (doc, value) = (
                crate::json::parse(doc).unwrap(),
                crate::json::parse(value).unwrap(),
            );
            let path = crate::json::path::Path::parse(path).unwrap();
            let bound = measure(&doc)
                .bound()
                .placed(measure(&value).bound(), &path)
                .unwrap();
            let merged = path.assign(doc, value).unwrap();
            let m = measure(&merged);
            assert!(bound.high >= exact(&merged), "{path:?}: {bound:?}");
            assert!(bound.depth >= m.depth, "{path:?}: {bound:?}");
            assert!(bound.within(262_144));
        }
        let items = [r#"{"a":"\n"}"#, "[[1,2],3]", r#""x""#]
            .map(|t| crate::json::parse(t).unwrap_or_else(|_| Value::from("x")));
        let array = Bound::array(items.iter().map(|v| measure(v).bound()));
        let whole = Value::Array(Box::new(items.to_vec()));
        assert!(array.high >= exact(&whole), "{array:?}");
        assert!(array.depth >= measure(&whole).depth, "{array:?}");
        let deep = Bound {
            high: 10,
            depth: MAX_DEPTH,
        };
        assert!(deep.within(10));
        assert!(!deep.within(9));
        let field = crate::json::path::Path::parse("$.a").unwrap();
        let placed = deep.placed(deep, &field).unwrap();
        assert!(!placed.within(usize::MAX));
        let index = crate::json::path::Path::parse("$.a[0]").unwrap();
        assert_eq!(deep.placed(deep, &index), None);
    }

    #[test]
    fn depth_counts_containers() {
        for (text, depth) in [
            ("1", 0),
            ("[]", 1),
            ("{}", 1),
            (r#"{"a":[1,{"b":[]}],"c":2}"#, 4),
            ("[[[[[]]]],[]]", 5),
        ] {
            let v = crate::json::parse(text).unwrap();
            assert_eq!(measure(&v).depth, depth, "{text}");
        }
    }

    /// A value `levels` arrays deep, built and measured without recursion;
    /// the caller takes it apart with [`crate::json::dismantle`].
    fn nested(levels: usize) -> Value {
        let mut v = Value::from(1);
        for _ in 0..levels {
            v = OwnedValue::Array(Box::new(vec![v]));
        }
        v
    }

    #[test]
    fn deep_documents_are_measured_without_recursion() {
        // Far deeper than any stack could recurse.
        let v = nested(200_000);
        let m = measure(&v);
        assert_eq!(m.depth, 200_000);
        assert_eq!(exact(&v), 2 * 200_000 + 1);
        assert!(!m.exceeds(&v, 2 * 200_000 + 1));
        assert!(m.exceeds(&v, 2 * 200_000));
        assert!(m.too_deep(0));
        crate::json::dismantle(v);
    }

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::from(())),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            any::<String>().prop_map(Value::from),
        ];
        leaf.prop_recursive(6, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6)
                    .prop_map(|v| OwnedValue::Array(Box::new(v))),
                prop::collection::vec((any::<String>(), inner), 0..6).prop_map(|kv| {
                    let mut o = crate::json::Object::with_capacity(kv.len());
                    for (k, v) in kv {
                        o.insert(k, v);
                    }
                    OwnedValue::Object(Box::new(o))
                }),
            ]
        })
    }

    /// The depth the way a recursive definition states it.
    fn depth_of(v: &Value) -> usize {
        match v {
            OwnedValue::Array(a) => 1 + a.iter().map(depth_of).max().unwrap_or(0),
            OwnedValue::Object(o) => 1 + o.values().map(depth_of).max().unwrap_or(0),
            _ => 0,
        }
    }

    proptest! {
        /// The size limit answers exactly as serialising would, at every
        /// limit around the real size, and the depth is the recursive one.
        #[test]
        fn size_and_depth_match_their_definitions(v in json(), slack in 0usize..64) {
            let n = crate::json::to_string(&v).len();
            prop_assert_eq!(exact(&v), n);
            let m = measure(&v);
            prop_assert_eq!(m.depth, depth_of(&v));
            prop_assert!(!deeper_than(&v, m.depth));
            prop_assert_eq!(deeper_than(&v, m.depth.saturating_sub(1)), m.depth > 0);
            prop_assert!(!m.exceeds(&v, n + slack));
            prop_assert!(m.exceeds(&v, n.saturating_sub(slack + 1)));
        }
    }
}
