//! Evaluation budgets (expressway fork): a deadline, a cancellation flag and
//! a cap on the bytes of values one evaluation builds, enforced everywhere an
//! evaluation spends time or memory, including inside a single builtin call.
//!
//! The stock evaluator checks `timeout_ms` and `cancel` once per evaluated
//! node and once per element of its higher-order loops. A single builtin call
//! on a large input (`$distinct`, `$string`, `$join`, a deep `=`) or a single
//! allocating call (`$pad('x', 1e9)`, `[1..10000000]`) runs to its end
//! between two such checkpoints. This module closes both gaps:
//!
//! - **Fuel ticks.** Long loops inside builtins and helpers call [`tick`]
//!   once per step. Every [`TICKS_PER_POLL`] ticks it reads the clock and
//!   the cancellation flag; once either limit is hit the budget is *tripped*
//!   and stays so. A loop that cannot return an error stops early; the next
//!   checkpoint turns the trip into an error ([`check`]).
//! - **Bytes built.** The value constructors (`JValue::string`,
//!   `JValue::array`/`sequence`/`cons`, `JValue::object`) [`charge`] the size
//!   of what they wrap; sites whose output can be much larger than their
//!   inputs (`$pad`, `&`, `..`, `$join`, `$append`, `$replace`, `$string`)
//!   check their output size with [`ensure_room`] *before* allocating. The count is the
//!   total built during the evaluation, not what is live at one time, so it
//!   is an upper bound of the memory the evaluation holds (plus its input).
//!
//! The budget lives in a thread-local installed by [`Evaluator::evaluate`]
//! for the duration of one evaluation ([`Scope`]) when the caller set
//! `EvaluatorOptions::deadline` or `EvaluatorOptions::max_bytes_built`;
//! without those, every function here is a no-op apart from a counter
//! update.
//!
//! Errors: U1004 (deadline passed) and U1005 (bytes budget exceeded), next
//! to the fork-local U1001-U1003.
//!
//! [`Evaluator::evaluate`]: crate::evaluator::Evaluator::evaluate

use std::cell::{Cell, RefCell};
use std::time::Instant;

use crate::evaluator::{CancelToken, EvaluatorError};

/// How many [`tick`]s pass between two reads of the clock and the flag:
/// a tick costs a thread-local increment, a poll an `Instant::now()`.
pub const TICKS_PER_POLL: u32 = 1024;

/// Why a budget tripped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Trip {
    Deadline,
    Cancelled,
    Bytes,
}

/// The budget of the evaluation running on this thread (the `Copy` part,
/// read on every charge and tick).
#[derive(Clone, Copy)]
struct Hot {
    /// Whether a budget is installed at all.
    armed: bool,
    /// Bytes charged so far.
    used: usize,
    /// The most bytes that may be charged (`usize::MAX`: no cap).
    limit: usize,
    /// Ticks since the last poll.
    ticks: u32,
    /// Set once a limit is hit; never cleared within the evaluation.
    tripped: Option<Trip>,
    /// Deadline, if any.
    deadline: Option<Instant>,
}

const IDLE: Hot = Hot {
    armed: false,
    used: 0,
    limit: usize::MAX,
    ticks: 0,
    tripped: None,
    deadline: None,
};

thread_local! {
    static HOT: Cell<Hot> = const { Cell::new(IDLE) };
    /// The cancellation flag, read only when polling.
    static CANCEL: RefCell<Option<CancelToken>> = const { RefCell::new(None) };
}

/// Installs a budget on this thread for as long as the guard lives; the
/// previous one (if evaluations nest) is restored on drop.
pub(crate) struct Scope {
    previous: Hot,
    previous_cancel: Option<CancelToken>,
}

impl Scope {
    /// Installs `deadline`, `cancel` and `max_bytes` (bytes built). Returns
    /// `None` (installs nothing) when neither a deadline nor a cap is given
    /// (the stock per-node `cancel` check still applies then).
    pub(crate) fn install(
        deadline: Option<Instant>,
        cancel: Option<&CancelToken>,
        max_bytes: Option<usize>,
    ) -> Option<Scope> {
        if deadline.is_none() && max_bytes.is_none() {
            return None;
        }
        let previous = HOT.with(|h| {
            h.replace(Hot {
                armed: true,
                limit: max_bytes.unwrap_or(usize::MAX),
                deadline,
                ..IDLE
            })
        });
        let previous_cancel = CANCEL.with(|c| c.replace(cancel.cloned()));
        Some(Scope {
            previous,
            previous_cancel,
        })
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        HOT.with(|h| h.set(self.previous));
        CANCEL.with(|c| *c.borrow_mut() = self.previous_cancel.take());
    }
}

/// Counts `bytes` as built. Trips the budget past its cap (the next
/// [`check`] fails).
#[inline]
pub fn charge(bytes: usize) {
    HOT.with(|h| {
        let mut s = h.get();
        if !s.armed {
            return;
        }
        s.used = s.used.saturating_add(bytes);
        if s.used > s.limit && s.tripped.is_none() {
            s.tripped = Some(Trip::Bytes);
        }
        h.set(s);
    });
}

/// Fails when `bytes` more would pass the bytes cap, charging nothing:
/// call it before an allocation whose size is known in advance (the value
/// constructor that wraps the result charges it).
///
/// # Errors
/// U1005 when the budget cannot take `bytes` more (or U1003-U1005 when it
/// has already tripped).
#[inline]
pub fn ensure_room(bytes: usize) -> Result<(), EvaluatorError> {
    let tripped = HOT.with(|h| {
        let mut s = h.get();
        if !s.armed {
            return false;
        }
        if s.tripped.is_none() && s.used.saturating_add(bytes) > s.limit {
            s.tripped = Some(Trip::Bytes);
            h.set(s);
        }
        s.tripped.is_some()
    });
    if tripped {
        Err(error())
    } else {
        Ok(())
    }
}

/// One step of a long loop. Every [`TICKS_PER_POLL`] steps, reads the clock
/// and the cancellation flag. Returns `false` once the budget has tripped:
/// the loop should stop (its caller's next [`check`] reports why).
#[inline]
pub fn tick() -> bool {
    HOT.with(|h| {
        let mut s = h.get();
        if !s.armed {
            return true;
        }
        if s.tripped.is_some() {
            return false;
        }
        s.ticks += 1;
        if s.ticks >= TICKS_PER_POLL {
            s.ticks = 0;
            poll(&mut s);
        }
        h.set(s);
        s.tripped.is_none()
    })
}

/// Reads the clock and the flag now, tripping the budget when either says
/// stop.
fn poll(s: &mut Hot) {
    if CANCEL.with(|c| c.borrow().as_ref().is_some_and(CancelToken::is_cancelled)) {
        s.tripped = Some(Trip::Cancelled);
    } else if s.deadline.is_some_and(|d| Instant::now() >= d) {
        s.tripped = Some(Trip::Deadline);
    }
}

/// Fails when the budget has tripped (a loop stopped early, the bytes cap
/// was passed) or, once every [`TICKS_PER_POLL`] calls, when the deadline
/// has passed or the evaluation was cancelled.
///
/// # Errors
/// U1003 (cancelled), U1004 (deadline), U1005 (bytes).
#[inline]
pub fn check() -> Result<(), EvaluatorError> {
    if tick() {
        Ok(())
    } else {
        Err(error())
    }
}

/// Like [`check`], but reads the clock and the flag now: for the end of an
/// evaluation, so a result finished past the deadline is not returned.
///
/// # Errors
/// As [`check`].
pub fn check_now() -> Result<(), EvaluatorError> {
    let tripped = HOT.with(|h| {
        let mut s = h.get();
        if !s.armed {
            return false;
        }
        if s.tripped.is_none() {
            poll(&mut s);
            h.set(s);
        }
        s.tripped.is_some()
    });
    if tripped {
        Err(error())
    } else {
        Ok(())
    }
}

/// The bytes charged so far in the current evaluation (0 without a budget).
pub fn used() -> usize {
    HOT.with(|h| h.get().used)
}

/// The error for the current trip (the bytes error when nothing tripped):
/// for a loop that saw [`tick`] or [`fits`] say stop.
pub fn error() -> EvaluatorError {
    let s = HOT.with(Cell::get);
    EvaluatorError::EvaluationError(match s.tripped {
        Some(Trip::Cancelled) => "U1003: Evaluation cancelled".to_string(),
        Some(Trip::Deadline) => "U1004: Evaluation deadline passed".to_string(),
        Some(Trip::Bytes) | None => format!(
            "U1005: Evaluation built more than {} bytes of values (memory budget exceeded)",
            s.limit
        ),
    })
}

/// The approximate heap size of a string of `len` bytes held in a value.
#[inline(always)]
pub(crate) fn string_bytes(len: usize) -> usize {
    len + 16
}

/// The approximate heap size of an array of `len` items.
#[inline(always)]
pub(crate) fn array_bytes(len: usize) -> usize {
    len.saturating_mul(std::mem::size_of::<crate::value::JValue>()) + 32
}

/// The approximate heap size of an object of `len` members (keys counted
/// as a typical short key).
#[inline(always)]
pub(crate) fn object_bytes(len: usize) -> usize {
    len.saturating_mul(std::mem::size_of::<crate::value::JValue>() + 56) + 64
}

/// Whether `bytes` more would still fit the bytes budget (always true
/// without one); charges nothing.
#[inline]
pub fn fits(bytes: usize) -> bool {
    let s = HOT.with(Cell::get);
    !s.armed || (s.tripped.is_none() && s.used.saturating_add(bytes) <= s.limit)
}

/// A budget error as a [`crate::functions::FunctionError`], for builtins
/// that return those.
pub(crate) fn function_error(e: EvaluatorError) -> crate::functions::FunctionError {
    crate::functions::FunctionError::RuntimeError(e.message().to_string())
}

/// How many items [`extend_cloned`] and [`sort_by`] handle between two
/// [`check`]s: a few hundred microseconds of copying or comparing.
const ITEMS_PER_CHECK: usize = 4096;

/// Appends clones of `src` to `dst`, checking the bytes budget before it
/// allocates and the deadline and stop flag as it copies (expressway fork: a
/// copy of a multi-million-item array, with its page faults, took longer
/// than the 100 ms an evaluation may run past its deadline).
///
/// # Errors
/// U1003-U1005 as [`check`]; `dst` then holds a partial copy.
pub(crate) fn extend_cloned(
    dst: &mut Vec<crate::value::JValue>,
    src: &[crate::value::JValue],
) -> Result<(), EvaluatorError> {
    ensure_room(array_bytes(src.len()))?;
    dst.reserve(src.len());
    for chunk in src.chunks(ITEMS_PER_CHECK) {
        check_now_if_large(src.len())?;
        dst.extend_from_slice(chunk);
    }
    Ok(())
}

/// A copy of `src` made by [`extend_cloned`].
///
/// # Errors
/// As [`extend_cloned`].
pub(crate) fn to_vec(src: &[crate::value::JValue]) -> Result<Vec<crate::value::JValue>, EvaluatorError> {
    let mut v = Vec::new();
    extend_cloned(&mut v, src)?;
    Ok(v)
}

/// A stable sort of `v` by `compare` that checks the budget every
/// [`ITEMS_PER_CHECK`] items (expressway fork: the standard library's sort
/// of millions of items runs to its end, unstoppable). Runs of
/// `ITEMS_PER_CHECK` items are sorted by the standard library, then merged
/// pairwise, bottom-up, into a buffer as large as `v` (checked against the
/// bytes budget first).
///
/// # Errors
/// U1003-U1005 as [`check`]; `v` is then left in an unspecified order, with
/// items possibly replaced by `Undefined`.
pub(crate) fn sort_by(
    v: &mut Vec<crate::value::JValue>,
    compare: impl Fn(&crate::value::JValue, &crate::value::JValue) -> std::cmp::Ordering,
) -> Result<(), EvaluatorError> {
    use crate::value::JValue;
    let len = v.len();
    if len <= ITEMS_PER_CHECK {
        v.sort_by(&compare);
        return Ok(());
    }
    for run in v.chunks_mut(ITEMS_PER_CHECK) {
        check_now_if_large(len)?;
        run.sort_by(&compare);
    }
    ensure_room(array_bytes(len))?;
    let mut buf: Vec<JValue> = Vec::with_capacity(len);
    let mut width = ITEMS_PER_CHECK;
    while width < len {
        for start in (0..len).step_by(2 * width) {
            let mid = (start + width).min(len);
            let end = (start + 2 * width).min(len);
            let (mut i, mut j) = (start, mid);
            while i < mid || j < end {
                if buf.len() % ITEMS_PER_CHECK == 0 {
                    check_now_if_large(len)?;
                }
                // Stable: on a tie the left run's item comes first.
                let take_left =
                    j >= end || (i < mid && compare(&v[i], &v[j]) != std::cmp::Ordering::Greater);
                let at = if take_left { &mut i } else { &mut j };
                buf.push(std::mem::replace(&mut v[*at], JValue::Undefined));
                *at += 1;
            }
        }
        std::mem::swap(v, &mut buf);
        buf.clear();
        width *= 2;
    }
    Ok(())
}

/// [`check`], but reading the clock at once when the work is large (more
/// than 16 chunks), where a chunk costs far more than a tick.
#[inline]
fn check_now_if_large(len: usize) -> Result<(), EvaluatorError> {
    if len > 16 * ITEMS_PER_CHECK {
        check_now()
    } else {
        check()
    }
}
