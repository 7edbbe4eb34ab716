//! Finding an object's member by name, with the names compared inline.
//!
//! An object of up to 32 members (nearly every object a workflow handles)
//! is a vector of pairs (the vendored halfbrown), searched from the first
//! member. halfbrown compares each name of the same length as the one
//! sought by calling `bcmp`; member names are short, and comparing them
//! here in two loads (at most 16 bytes) costs less than the call.
//! Past 32 members the object is a hash map and the lookup is halfbrown's.

use super::{Object, Value};

/// Whether two member names (or any two strings) are equal: lengths
/// first, then strings of up to 16 bytes by two overlapping loads each,
/// longer ones as slices.
#[inline(always)]
pub(crate) fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let word = |s: &[u8]| match (s.first_chunk::<8>(), s.last_chunk::<8>()) {
        (Some(f), Some(l)) => (u64::from_ne_bytes(*f), u64::from_ne_bytes(*l)),
        _ => (0, 0),
    };
    let half = |s: &[u8]| match (s.first_chunk::<4>(), s.last_chunk::<4>()) {
        (Some(f), Some(l)) => (u32::from_ne_bytes(*f), u32::from_ne_bytes(*l)),
        _ => (0, 0),
    };
    match a.len() {
        0 => true,
        1..=3 => {
            // First, middle and last byte cover up to 3 bytes.
            let n = a.len();
            a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1]
        }
        4..=7 => half(a) == half(b),
        8..=16 => word(a) == word(b),
        _ => a == b,
    }
}

/// The position of the member `name` of `o` in its order, if it has one.
#[inline]
pub(crate) fn index_of(o: &Object, name: &str) -> Option<usize> {
    match o.as_pairs() {
        Some(pairs) => pairs.iter().position(|(k, _)| same_name(k, name)),
        None => o.index_of(name),
    }
}

/// The member `name` of `o`, as `o.get(name)` finds it.
#[inline]
pub fn member<'v>(o: &'v Object, name: &str) -> Option<&'v Value> {
    match o.as_pairs() {
        Some(pairs) => pairs
            .iter()
            .find(|(k, _)| same_name(k, name))
            .map(|(_, v)| v),
        None => o.get(name),
    }
}

/// The member `name` of `o` to change, as `o.get_mut(name)` finds it.
#[inline]
pub fn member_mut<'v>(o: &'v mut Object, name: &str) -> Option<&'v mut Value> {
    let i = index_of(o, name)?;
    o.value_at_mut(i)
}

/// Sets the member `name` of `o` to `value`, as `o.insert(name, value)`
/// does: a member already there keeps its place (and its key), a new one
/// goes last. The key is copied only when the member is new.
#[inline]
pub(crate) fn set(o: &mut Object, name: &str, value: Value) {
    match index_of(o, name).and_then(|i| o.value_at_mut(i)) {
        Some(slot) => *slot = value,
        None => o.insert_distinct(name.to_owned(), value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    /// Names of every length up to 40 bytes, equal or differing in one
    /// byte at every position, compare as `==` compares them.
    #[test]
    fn names_compare_as_slices_do() {
        for n in 0..40usize {
            let a: String = (0..n).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
            assert!(same_name(&a, &a.clone()), "{a}");
            for i in 0..n {
                let mut b = a.clone().into_bytes();
                b[i] = b'Z';
                let b = String::from_utf8(b).expect("ascii");
                assert!(!same_name(&a, &b), "{a} vs {b}");
            }
            assert!(!same_name(&a, &format!("{a}x")));
        }
        assert!(same_name("é", "é") && !same_name("é", "è"));
    }

    fn object(text: &str) -> Object {
        match parse(text).expect("JSON") {
            Value::Object(o) => *o,
            other => panic!("not an object: {other:?}"),
        }
    }

    /// Lookups find what halfbrown's find, in the vector (up to 32
    /// members) and in the map (past 32).
    #[test]
    fn members_are_found_as_get_finds_them() {
        let small = object(r#"{"a":1,"abcd":2,"abcdefgh":3,"abcdefghijklmnopq":4,"":5}"#);
        let members: Vec<String> = (0..40).map(|i| format!(r#""k{i}":{i}"#)).collect();
        let large = object(&format!("{{{}}}", members.join(",")));
        assert!(large.as_pairs().is_none() && small.as_pairs().is_some());
        for o in [&small, &large] {
            for name in [
                "a",
                "abcd",
                "abcdefgh",
                "abcdefghijklmnopq",
                "",
                "k0",
                "k39",
                "k40",
                "abce",
                "b",
            ] {
                assert_eq!(member(o, name), o.get(name), "{name}");
                assert_eq!(index_of(o, name), o.index_of(name), "{name}");
            }
        }
    }

    /// `set` replaces in place or appends, as `insert` does, at any size;
    /// `member_mut` reaches the value `get_mut` reaches.
    #[test]
    fn set_replaces_or_appends_as_insert_does() {
        for n in [3usize, 31, 32, 40] {
            let members: Vec<String> = (0..n).map(|i| format!(r#""k{i}":{i}"#)).collect();
            let text = format!("{{{}}}", members.join(","));
            let (mut ours, mut theirs) = (object(&text), object(&text));
            for (name, v) in [("k1", 10), ("new", 11), ("k0", 12), ("new", 13)] {
                set(&mut ours, name, Value::from(v));
                theirs.insert(name.to_owned(), Value::from(v));
            }
            assert_eq!(ours, theirs);
            assert!(ours
                .iter()
                .map(|(k, _)| k)
                .eq(theirs.iter().map(|(k, _)| k)));
            if let Some(v) = member_mut(&mut ours, "k2") {
                *v = Value::from("x");
            }
            assert_eq!(member(&ours, "k2"), Some(&Value::from("x")));
            assert!(member_mut(&mut ours, "absent").is_none());
        }
    }
}
