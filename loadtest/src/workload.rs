//! A compiled state machine plus the anchor input, ready to execute
//! in-process the way the anchor protocol says (steps 1–2): compiled once,
//! `paymentId` replaced by `pay-<n>` per execution.

use std::sync::Arc;
use std::time::SystemTime;

use expressway::engine::{Engine, ExecutionOptions, ExecutionOutcome};
use expressway::json::Value;
use expressway::tasks::Tasks;

/// Account and region used in the ARNs of in-process executions.
const ACCOUNT_REGION: &str = "us-east-1:123456789012";

/// One definition compiled once, an engine and a base input.
#[derive(Clone)]
pub struct Workload {
    /// The engine (with the Task resolver given to [`Workload::new`]).
    pub engine: Engine,
    /// The compiled definition.
    pub machine: Arc<expressway::compile::Machine>,
    /// The state machine's name (the definition file's base name without
    /// `.asl.json` / `.json`), shared with every execution's options.
    pub name: Arc<str>,
    /// The base input, its `paymentId` (if any) held as `null`;
    /// [`Workload::input`] sets it per execution.
    pub input: Value,
    /// What every execution's [`ExecutionOptions`] share, joined once.
    arns: Arns,
}

/// The parts of the executions' ARNs that do not change from one to the
/// next: the options of each execution are their copies plus its number.
#[derive(Clone)]
struct Arns {
    /// `arn:aws:states:<region>:<account>:express:<name>:` (then
    /// `exec-<n>:<n>`).
    execution_prefix: String,
    /// The state machine's ARN.
    state_machine: String,
}

impl Arns {
    fn new(name: &str) -> Self {
        let prefix = "arn:aws:states:";
        Arns {
            execution_prefix: joined(&[prefix, ACCOUNT_REGION, ":express:", name, ":"]),
            state_machine: joined(&[prefix, ACCOUNT_REGION, ":stateMachine:", name]),
        }
    }
}

impl Workload {
    /// Compiles `definition` and parses `input`.
    ///
    /// # Errors
    /// The definition does not load or the input is not JSON (the message
    /// says which).
    pub fn new(name: &str, definition: &str, input: &str, tasks: Tasks) -> Result<Self, String> {
        let machine =
            expressway::compile::load(definition).map_err(|e| format!("definition: {e}"))?;
        let mut input = expressway::json::parse(input).map_err(|e| format!("input: {e}"))?;
        // Every execution gets its own `paymentId` ([`Workload::input`]):
        // the base's own value would only be copied to be dropped.
        if let Value::Object(o) = &mut input {
            if let Some(slot) = o.get_mut("paymentId") {
                *slot = Value::from(());
            }
        }
        Ok(Workload {
            engine: Engine::new(tasks),
            machine: Arc::new(machine),
            name: name.into(),
            input,
            arns: Arns::new(name),
        })
    }

    /// The base input with `paymentId` set to `pay-<n>` (added if missing).
    pub fn input(&self, n: u64) -> Value {
        let mut v = self.input.clone();
        if let Value::Object(o) = &mut v {
            let digits = decimal(n);
            let mut id = String::with_capacity(4 + digits.len());
            id.push_str("pay-");
            digits.push_to(&mut id);
            let id = Value::String(id);
            // Replaced in place when present: no new key to allocate and drop
            // (the base input holds `null` there, so nothing is dropped).
            match o.get_mut("paymentId") {
                Some(slot) => *slot = id,
                None => {
                    o.insert("paymentId".to_owned(), id);
                }
            }
        }
        v
    }

    /// The identity of execution number `n`: an Express execution ARN under
    /// this state machine, named `exec-<n>`, started now.
    pub fn options(&self, n: u64) -> ExecutionOptions {
        // Joined by hand: this runs once per measured execution, and
        // `format!` costs more than the execution's own string work.
        // The ARNs' fixed parts were joined once ([`Arns`]).
        let digits = decimal(n);
        let mut name = String::with_capacity(5 + digits.len());
        name.push_str("exec-");
        digits.push_to(&mut name);
        let prefix = &self.arns.execution_prefix;
        let mut execution_arn = String::with_capacity(prefix.len() + name.len() + 1 + digits.len());
        execution_arn.push_str(prefix);
        execution_arn.push_str(&name);
        execution_arn.push(':');
        digits.push_to(&mut execution_arn);
        ExecutionOptions {
            execution_arn,
            state_machine_arn: self.arns.state_machine.clone(),
            state_machine_name: Arc::clone(&self.name),
            role_arn: "arn:aws:iam::123456789012:role/expressway".to_owned(),
            name,
            start_time: SystemTime::now(),
            test_case: None,
            redrive_count: None,
        }
    }

    /// Runs one execution of `input` as execution number `n`.
    pub async fn execute(&self, n: u64, input: Value) -> ExecutionOutcome {
        self.engine
            .execute(Arc::clone(&self.machine), input, self.options(n))
            .await
    }
}

/// `parts` concatenated into one allocation (`format!` costs several times
/// as much, and the bench loop runs this per execution).
fn joined(parts: &[&str]) -> String {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        s.push_str(p);
    }
    s
}

/// The decimal digits of `n`, written without `fmt`: at most 20, held inline.
fn decimal(mut n: u64) -> Digits {
    let mut d = Digits {
        buf: [b'0'; 20],
        start: 20,
    };
    loop {
        d.start -= 1;
        // `n % 10` is below 10: the cast keeps it exactly.
        d.buf[d.start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return d;
        }
    }
}

/// The digits [`decimal`] wrote: `buf[start..]`.
struct Digits {
    buf: [u8; 20],
    start: usize,
}

impl Digits {
    /// How many digits.
    fn len(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Appends the digits to `s`.
    fn push_to(&self, s: &mut String) {
        for &b in &self.buf[self.start..] {
            s.push(char::from(b));
        }
    }
}

/// The state machine name for a definition file name: the base name without
/// `.asl.json` or `.json`.
pub fn machine_name(file_name: &str) -> String {
    let base = file_name.rsplit('/').next().unwrap_or(file_name);
    base.strip_suffix(".asl.json")
        .or_else(|| base.strip_suffix(".json"))
        .unwrap_or(base)
        .to_owned()
}

/// The shared anchors' `workflows/` folder, if it can be found: `$ANCHORS_WORKFLOWS`,
/// else `shared/anchors/workflows` beside the checkout (or one or two levels
/// up).
pub fn anchors_dir() -> Option<std::path::PathBuf> {
    let manifest = env!("CARGO_MANIFEST_DIR");
    let candidates = [
        std::env::var("ANCHORS_WORKFLOWS").unwrap_or_default(),
        format!("{manifest}/../shared/anchors/workflows"),
        format!("{manifest}/../../shared/anchors/workflows"),
        format!("{manifest}/../../../shared/anchors/workflows"),
    ];
    candidates
        .into_iter()
        .filter(|c| !c.is_empty())
        .map(std::path::PathBuf::from)
        .find(|p| p.join("payment.asl.json").is_file())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handlers::anchor_tasks;

    #[test]
    fn inputs_get_their_payment_id_added_or_replaced() {
        let w = Workload::new(
            "pass",
            r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#,
            r#"{"amount":1,"paymentId":"old"}"#,
            anchor_tasks(&[]),
        )
        .expect("loads");
        let text = expressway::json::to_string(&w.input(7));
        assert_eq!(text, r#"{"amount":1,"paymentId":"pay-7"}"#);
        let o = w.options(12);
        assert_eq!(
            o.execution_arn,
            "arn:aws:states:us-east-1:123456789012:express:pass:exec-12:12"
        );
        assert_eq!(o.name, "exec-12");
        assert_eq!(
            o.state_machine_arn,
            "arn:aws:states:us-east-1:123456789012:stateMachine:pass"
        );
        let w = Workload {
            input: expressway::json::parse(r#"{"amount":1}"#).expect("json"),
            ..w
        };
        let text = expressway::json::to_string(&w.input(8));
        assert_eq!(text, r#"{"amount":1,"paymentId":"pay-8"}"#);
    }

    #[test]
    fn decimals_are_the_digits_fmt_writes() {
        for n in [0, 7, 10, 99, 1_000_001, u64::MAX] {
            let mut s = String::from("x");
            decimal(n).push_to(&mut s);
            assert_eq!(s, format!("x{n}"));
            assert_eq!(decimal(n).len(), n.to_string().len());
        }
    }

    #[test]
    fn names_strip_suffixes() {
        assert_eq!(machine_name("/a/b/payment.asl.json"), "payment");
        assert_eq!(machine_name("x.json"), "x");
        assert_eq!(machine_name("y"), "y");
    }

    #[tokio::test]
    async fn payment_happy_path_matches_protocol() {
        let dir = anchors_dir()
            .expect("shared/anchors/workflows beside the checkout (or ANCHORS_WORKFLOWS)");
        let def = std::fs::read_to_string(dir.join("payment.asl.json")).expect("definition");
        let inp = std::fs::read_to_string(dir.join("payment-input.json")).expect("input");
        let w = Workload::new("payment", &def, &inp, anchor_tasks(&[])).expect("loads");
        let out = w.execute(0, w.input(0)).await;
        let text = expressway::json::to_string(&out.output.expect("succeeds"));
        assert!(text.contains(r#""authCode":"AUTH-pay-0""#), "{text}");
        assert!(
            text.contains(r#""saved":{"saved":true,"transactionId":"TX-pay-0"}"#),
            "{text}"
        );
    }
}
