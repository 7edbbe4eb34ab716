//! ASL → immutable state graph: states and transitions as indices, paths and
//! Payload Templates pre-parsed, Choice Rules compiled, Retriers and Catchers
//! resolved. The engine sees only this representation, never ASL text.
//!
//! Source: the Amazon States Language specification (states-language.net),
//! summarised in `shared/reference/sfn-reference.md` §3.

mod build;
pub mod choice;
pub mod distributed;
mod error;
pub mod jsonata;
mod resource;
mod retry;
pub mod timestamp;

use std::sync::Arc;
use std::time::Duration;

pub use error::CompileError;
pub use jsonata::JsonataTemplate;
pub use resource::Resource;
pub use retry::{Catcher, ErrorMatcher, Jitter, Retrier};

use crate::asl::LoadError;
use crate::compile::choice::ChoiceRule;
use crate::json::intrinsic::Intrinsic;
use crate::json::path::Path;
use crate::json::size::Measure;
use crate::json::template::Template;
use crate::json::Value;

/// The longest an Express execution may run: 5 minutes (reference §2).
pub const EXPRESS_MAX_DURATION: Duration = Duration::from_secs(300);

/// Index of a state within its [`Graph`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StateId(pub u32);

/// A compiled state machine definition.
#[derive(Debug)]
pub struct Machine {
    /// The definition text as given (DescribeStateMachine returns it).
    pub definition: String,
    /// The top-level states.
    pub graph: Graph,
    /// The machine's TimeoutSeconds, capped at the 5-minute Express limit.
    pub timeout: Duration,
    /// Whether any state reads the Context Object (`$$`, or `$states` in a
    /// JSONata state): when not, the engine does not build one.
    pub uses_context: bool,
}

/// One scope of states: the top level, a Parallel branch, or a Map's
/// ItemProcessor. Transitions never leave their graph.
#[derive(Debug)]
pub struct Graph {
    /// The states, indexed by [`StateId`].
    pub states: Vec<State>,
    /// The StartAt state.
    pub start: StateId,
}

impl Graph {
    /// The state with index `id`.
    pub fn state(&self, id: StateId) -> &State {
        &self.states[id.0 as usize]
    }
}

/// Where a state goes when it completes normally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// `Next`: the named state.
    Next(StateId),
    /// `End: true` (or a Succeed state): the graph ends with this state's output.
    End,
}

/// InputPath or OutputPath.
#[derive(Debug, Clone)]
pub enum IoPath {
    /// `$` (the default): the whole value.
    Identity,
    /// `null`: an empty object `{}`.
    Empty,
    /// A path selecting part of the value.
    Path(Path),
}

/// ResultPath: where a state's result goes in its raw input.
#[derive(Debug, Clone)]
pub enum ResultPath {
    /// `$` (the default): the result replaces the input.
    Replace,
    /// `null`: the result is discarded and the input passes through.
    Discard,
    /// A Reference Path inside the input.
    Path(Path),
}

/// A number of seconds given literally or read from the input by a Reference Path.
#[derive(Debug)]
pub enum Seconds {
    /// A literal number of seconds.
    Fixed(u64),
    /// `…Path`: read from the effective input.
    Path(Path),
    /// A JSONata expression (JSONata states).
    Jsonata(JsonataTemplate),
}

/// A string given literally or computed from the input (Fail's Error/Cause).
#[derive(Debug)]
pub enum StringSource {
    /// Absent.
    None,
    /// A literal.
    Fixed(Arc<str>),
    /// `…Path` with a Reference Path.
    Path(Path),
    /// `…Path` with an Intrinsic Function.
    Intrinsic(Intrinsic),
    /// A JSONata expression (JSONata states).
    Jsonata(JsonataTemplate),
}

/// What a Wait state waits for.
#[derive(Debug)]
pub enum WaitFor {
    /// `Seconds`.
    Seconds(u64),
    /// `Timestamp` (RFC 3339, as written).
    Timestamp(Arc<str>),
    /// `SecondsPath`.
    SecondsPath(Path),
    /// `TimestampPath`.
    TimestampPath(Path),
    /// `Seconds` as a JSONata expression.
    SecondsExpr(JsonataTemplate),
    /// `Timestamp` as a JSONata expression.
    TimestampExpr(JsonataTemplate),
}

/// Where a Map state's items come from.
#[derive(Debug)]
pub enum Items {
    /// `ItemsPath` (default `$`) over the effective input.
    Path(IoPath),
    /// JSONata `Items`: an expression or a literal array (absent: the input).
    Jsonata(Option<JsonataTemplate>),
}

/// A number given literally or read by a Reference Path (MaxConcurrency…).
#[derive(Debug)]
pub enum Number {
    /// A literal.
    Fixed(f64),
    /// `…Path`.
    Path(Path),
    /// A JSONata expression (JSONata states).
    Jsonata(JsonataTemplate),
}

/// A field written in either query language: `Assign`, `ItemSelector`.
#[derive(Debug)]
pub enum Payload {
    /// A Payload Template (`.$` keys; JSONPath states).
    Path(Template),
    /// A JSONata template (JSONata states).
    Jsonata(JsonataTemplate),
}

/// A Choice state's rule test.
#[derive(Debug)]
pub enum Condition {
    /// A JSONPath Choice Rule.
    Path(ChoiceRule),
    /// A JSONata `Condition` (an expression or a boolean literal).
    Jsonata(JsonataTemplate),
}

/// One top-level Choice rule with what happens when it matches.
#[derive(Debug)]
pub struct ChoiceBranch {
    /// The test.
    pub condition: Condition,
    /// `Next`.
    pub next: StateId,
    /// The rule's `Assign`, replacing the state's.
    pub assign: Option<Payload>,
    /// The rule's JSONata `Output`, replacing the state's.
    pub output: Option<JsonataTemplate>,
}

/// The error-handling fields shared by Task, Parallel and Map.
#[derive(Debug, Default)]
pub struct Handling {
    /// Retriers, in order.
    pub retry: Vec<Retrier>,
    /// Catchers, in order.
    pub catch: Vec<Catcher>,
}

/// A state's type-specific part.
#[derive(Debug)]
pub enum Kind {
    /// Pass: `Result`, or the effective input, becomes the result.
    Pass {
        /// `Result`, if any.
        result: Option<Value>,
    },
    /// Task: invoke `resource` with the effective input.
    Task {
        /// The Resource ARN, resolved at compile time.
        resource: Resource,
        /// TimeoutSeconds(Path).
        timeout: Option<Seconds>,
        /// HeartbeatSeconds(Path).
        heartbeat: Option<Seconds>,
    },
    /// Choice: the first matching rule's Next, else Default.
    Choice {
        /// Rules in order, each with its Next.
        choices: Vec<ChoiceBranch>,
        /// Default.
        default: Option<StateId>,
    },
    /// Wait.
    Wait(WaitFor),
    /// Succeed.
    Succeed,
    /// Fail.
    Fail {
        /// Error / ErrorPath.
        error: StringSource,
        /// Cause / CausePath.
        cause: StringSource,
    },
    /// Parallel: run every branch on the effective input.
    Parallel {
        /// The branches.
        branches: Vec<Graph>,
    },
    /// Map: run the item processor on every item.
    Map(Box<MapSpec>),
}

/// A Map state's fields.
#[derive(Debug)]
pub struct MapSpec {
    /// ItemsPath.
    pub items: Items,
    /// ItemSelector (or the deprecated Parameters).
    pub item_selector: Option<Payload>,
    /// ItemProcessor (or the deprecated Iterator).
    pub processor: Graph,
    /// MaxConcurrency(Path); 0 = unbounded.
    pub max_concurrency: Option<Number>,
    /// ToleratedFailureCount(Path).
    pub tolerated_count: Option<Number>,
    /// ToleratedFailurePercentage(Path).
    pub tolerated_percentage: Option<Number>,
    /// The distributed mode's fields, when the processor runs DISTRIBUTED.
    pub distributed: Option<Box<distributed::Distributed>>,
}

/// One compiled state.
#[derive(Debug)]
pub struct State {
    /// The state's name.
    pub name: Arc<str>,
    /// The AWS type name ("Pass", "Task", …) used in history and messages.
    pub type_name: &'static str,
    /// The type-specific part.
    pub kind: Kind,
    /// InputPath.
    pub input_path: IoPath,
    /// Parameters (Pass, Task, Parallel).
    pub parameters: Option<Template>,
    /// ResultSelector (Task, Parallel, Map).
    pub result_selector: Option<Template>,
    /// ResultPath (Pass, Task, Parallel, Map).
    pub result_path: ResultPath,
    /// OutputPath.
    pub output_path: IoPath,
    /// Retry and Catch (Task, Parallel, Map).
    pub handling: Handling,
    /// Where to go next.
    pub transition: Transition,
    /// Whether the state uses JSONata (its own or the machine's QueryLanguage).
    pub jsonata: bool,
    /// JSONata `Arguments` (Task, Parallel).
    pub arguments: Option<JsonataTemplate>,
    /// JSONata `Output`.
    pub output: Option<JsonataTemplate>,
    /// `Assign`: the workflow variables this state sets.
    pub assign: Option<Payload>,
    /// A Pass state's `Result`, measured once here: every run of the state
    /// checks the same value against the payload and depth limits.
    pub(crate) result_measure: Option<Measure>,
}

/// Compiles a validated definition.
///
/// # Errors
/// [`LoadError::Invalid`] for anything validation let through that cannot be compiled.
pub fn compile(definition: &Value, text: &str) -> Result<Machine, LoadError> {
    build::machine(definition, text)
}

/// Loads, validates and compiles a definition from its text.
///
/// # Errors
/// [`LoadError`] naming what is wrong and where (a JSON pointer).
pub fn load(text: &str) -> Result<Machine, LoadError> {
    let value = crate::asl::load(text)?;
    compile(&value, text)
}
