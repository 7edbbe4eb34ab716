//! Building and checking Step Functions ARNs.
//!
//! - state machine: `arn:<partition>:states:<region>:<account>:stateMachine:<name>[:<version|alias>]`
//! - express execution: `arn:<partition>:states:<region>:<account>:express:<sm>:<exec>:<uuid-v4>`
//! - standard execution: `arn:<partition>:states:<region>:<account>:execution:<sm>:<exec>`
//!
//! A start request may suffix the state machine ARN with `#<TestCase>` to select
//! a mock-file test case. Source: `shared/reference/sfn-reference.md` §1, §5.

use super::error::StartError;

/// The ARN of the state machine `name`.
pub fn state_machine(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:states:{region}:{account}:stateMachine:{name}")
}

/// A random (version 4) UUID drawn from the thread's generator
/// (`rand::thread_rng`: ChaCha, seeded from the OS once per thread), as the
/// API's request ids are, instead of one `getrandom` system call per call
/// (`uuid::Uuid::new_v4`): every express start takes one for its ARN, and
/// one more for its name when the request gives none.
pub(crate) fn random_uuid() -> uuid::Uuid {
    uuid::Builder::from_random_bytes(rand::random::<[u8; 16]>()).into_uuid()
}

/// The ARN of an execution of the EXPRESS machine `state_machine_arn`: a
/// fresh UUID v4 makes every start unique even when the name is reused.
pub fn express_execution(state_machine_arn: &str, name: &str) -> String {
    let mut id = [0u8; uuid::fmt::Hyphenated::LENGTH];
    let id = random_uuid().hyphenated().encode_lower(&mut id);
    let mut arn = execution_base(state_machine_arn, "express", name.len() + 1 + id.len());
    arn.push_str(name);
    arn.push(':');
    arn.push_str(id);
    arn
}

/// The ARN of an execution of the STANDARD machine `state_machine_arn`.
pub fn standard_execution(state_machine_arn: &str, name: &str) -> String {
    let mut arn = execution_base(state_machine_arn, "execution", name.len());
    arn.push_str(name);
    arn
}

/// `state_machine_arn` with its first `:stateMachine:` made `:KIND:`, then
/// `:`, in a string with room for `more` bytes after it (one allocation,
/// no formatting: every start builds an execution ARN).
fn execution_base(state_machine_arn: &str, kind: &str, more: usize) -> String {
    const MACHINE: &str = ":stateMachine:";
    let mut arn = String::with_capacity(state_machine_arn.len() + kind.len() + 1 + more);
    match memchr::memmem::find(state_machine_arn.as_bytes(), MACHINE.as_bytes()) {
        Some(at) => {
            arn.push_str(&state_machine_arn[..at]);
            arn.push(':');
            arn.push_str(kind);
            arn.push(':');
            arn.push_str(&state_machine_arn[at + MACHINE.len()..]);
        }
        None => arn.push_str(state_machine_arn),
    }
    arn.push(':');
    arn
}

/// The ARN of the activity `name`: `arn:aws:states:R:A:activity:NAME`.
pub fn activity(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:states:{region}:{account}:activity:{name}")
}

/// Checks an activity ARN (`…:activity:NAME`).
///
/// # Errors
/// [`StartError::InvalidArn`] as [`parse_state_machine`] does.
pub fn parse_activity(arn: &str) -> Result<(), StartError> {
    let parts = split(arn)?;
    check_common(arn, &parts)?;
    if parts.resource_type != "activity" {
        return Err(not_in_context(parts.resource_type));
    }
    let rest = parts.rest_fields();
    if rest.len() != 1 || rest[0].is_empty() {
        return Err(StartError::InvalidArn(format!("Invalid Arn: {arn}")));
    }
    Ok(())
}

/// Checks a Map Run ARN
/// (`arn:<partition>:states:<region>:<account>:mapRun:<sm>/<label>:<id>`).
///
/// # Errors
/// [`StartError::InvalidArn`] as [`parse_state_machine`] does.
pub fn parse_map_run(arn: &str) -> Result<(), StartError> {
    let parts = split(arn)?;
    check_common(arn, &parts)?;
    if parts.resource_type != "mapRun" {
        return Err(not_in_context(parts.resource_type));
    }
    let rest = parts.rest_fields();
    let ok = rest.len() == 2
        && rest[0]
            .split_once('/')
            .is_some_and(|(sm, label)| !sm.is_empty() && !label.is_empty())
        && !rest[1].is_empty();
    if !ok {
        return Err(StartError::InvalidArn(format!("Invalid Arn: {arn}")));
    }
    Ok(())
}

/// A state machine ARN split from its optional `#TestCase` suffix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineRef<'a> {
    /// The ARN without the suffix (the registry key).
    pub arn: &'a str,
    /// The mock-file test case, if the ARN carried `#Case`.
    pub test_case: Option<&'a str>,
}

/// The parts of an ARN: `arn:partition:service:region:account:type:rest…`.
struct Parts<'a> {
    service: &'a str,
    region: &'a str,
    account: &'a str,
    resource_type: &'a str,
    /// What follows the type's colon (`None`: no colon after the type).
    rest: Option<&'a str>,
}

impl<'a> Parts<'a> {
    /// The colon-separated fields after the type (none without a colon).
    fn rest_fields(&self) -> Vec<&'a str> {
        self.rest
            .map(|r| r.split(':').collect())
            .unwrap_or_default()
    }
}

/// The byte index of the first `byte` in `text`.
fn position(text: &str, byte: u8) -> Option<usize> {
    memchr::memchr(byte, text.as_bytes())
}

/// Splits an ARN at its first five colons after `arn:` (missing fields
/// empty), by bytes: every start checks its state machine ARN.
fn split(arn: &str) -> Result<Parts<'_>, StartError> {
    let Some(tail) = arn.strip_prefix("arn:") else {
        return Err(StartError::InvalidArn(format!("Invalid ARN prefix: {arn}")));
    };
    let mut fields = [""; 5];
    let mut rest = None;
    let (mut n, mut start) = (0, 0);
    for (i, b) in tail.bytes().enumerate() {
        if b == b':' {
            fields[n] = &tail[start..i];
            n += 1;
            start = i + 1;
            if n == fields.len() {
                rest = Some(&tail[start..]);
                break;
            }
        }
    }
    if n < fields.len() {
        fields[n] = &tail[start..];
    }
    let [partition, service, region, account, resource_type] = fields;
    if partition.is_empty() || !partition.starts_with("aws") {
        return Err(StartError::InvalidArn(format!(
            "Invalid ARN partition: {arn}"
        )));
    }
    Ok(Parts {
        service,
        region,
        account,
        resource_type,
        rest,
    })
}

fn check_common(arn: &str, parts: &Parts<'_>) -> Result<(), StartError> {
    if parts.service != "states" {
        return Err(StartError::InvalidArn(format!(
            "Invalid ARN service: {}",
            parts.service
        )));
    }
    let region_ok = !parts.region.is_empty()
        && parts
            .region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let account_ok = parts.account.len() == 12 && parts.account.bytes().all(|b| b.is_ascii_digit());
    if !region_ok || !account_ok {
        return Err(StartError::InvalidArn(format!("Invalid ARN: {arn}")));
    }
    Ok(())
}

fn not_in_context(resource_type: &str) -> StartError {
    StartError::InvalidArn(format!(
        "Resource type not valid in this context: {}",
        resource_type.to_ascii_lowercase()
    ))
}

/// Checks a state machine ARN; with `allow_test_case`, splits off `#Case`.
///
/// # Errors
/// [`StartError::InvalidArn`]: not an ARN (`Invalid ARN prefix: …`), another
/// service or resource type (`Resource type not valid in this context: …`),
/// or a missing name.
pub fn parse_state_machine(arn: &str, allow_test_case: bool) -> Result<MachineRef<'_>, StartError> {
    let hash = position(arn, b'#');
    let (base, test_case) = match hash {
        Some(at) if allow_test_case => (&arn[..at], Some(&arn[at + 1..])),
        _ => (arn, None),
    };
    let parts = split(base)?;
    check_common(base, &parts)?;
    if parts.resource_type != "stateMachine" {
        return Err(not_in_context(parts.resource_type));
    }
    // `NAME` or `NAME:QUALIFIER`.
    let name_ok = parts.rest.is_some_and(|rest| match position(rest, b':') {
        None => !rest.is_empty(),
        Some(at) => at > 0 && position(&rest[at + 1..], b':').is_none(),
    });
    let case_ok = test_case.is_none_or(|c| !c.is_empty());
    // With `allow_test_case`, `base` ends before the first `#`.
    let hash_in_base = hash.is_some() && !allow_test_case;
    if !name_ok || !case_ok || hash_in_base {
        return Err(StartError::InvalidArn(format!("Invalid Arn: {arn}")));
    }
    Ok(MachineRef {
        arn: base,
        test_case,
    })
}

/// Checks an execution ARN (`…:execution:SM:EXEC` or `…:express:SM:EXEC:ID`).
///
/// # Errors
/// [`StartError::InvalidArn`] as [`parse_state_machine`] does.
pub fn parse_execution(arn: &str) -> Result<(), StartError> {
    let parts = split(arn)?;
    check_common(arn, &parts)?;
    let expected = match parts.resource_type {
        "execution" => 2,
        "express" => 3,
        other => return Err(not_in_context(other)),
    };
    let rest = parts.rest_fields();
    if rest.len() != expected || rest.iter().any(|p| p.is_empty()) {
        return Err(StartError::InvalidArn(format!("Invalid Arn: {arn}")));
    }
    Ok(())
}

/// The state machine name inside an execution ARN (its 7th field:
/// `…:execution:SM:EXEC`, `…:express:SM:EXEC:ID`).
pub fn execution_machine_name(execution_arn: &str) -> Option<&str> {
    execution_arn.split(':').nth(6)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SM: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:pay";

    #[test]
    fn express_arns_end_in_distinct_version_4_uuids() {
        let (a, b) = (express_execution(SM, "n"), express_execution(SM, "n"));
        assert_ne!(a, b);
        for arn in [a, b] {
            let prefix = "arn:aws:states:us-east-1:123456789012:express:pay:n:";
            let id = arn.strip_prefix(prefix).expect(&arn);
            let id = uuid::Uuid::parse_str(id).expect("a UUID");
            assert_eq!(id.get_version_num(), 4);
            assert_eq!(id.get_variant(), uuid::Variant::RFC4122);
        }
    }

    #[test]
    fn state_machine_arns_and_test_cases() {
        assert_eq!(state_machine("us-east-1", "123456789012", "pay"), SM);
        let with_case = format!("{SM}#Happy");
        let r = parse_state_machine(&with_case, true).unwrap();
        assert_eq!((r.arn, r.test_case), (SM, Some("Happy")));
        assert!(parse_state_machine(&format!("{SM}#Happy"), false).is_err());
        assert_eq!(
            parse_state_machine("not-an-arn", false),
            Err(StartError::InvalidArn(
                "Invalid ARN prefix: not-an-arn".into()
            ))
        );
        assert_eq!(
            parse_state_machine(
                "arn:aws:states:us-east-1:123456789012:execution:pay:x",
                false
            ),
            Err(StartError::InvalidArn(
                "Resource type not valid in this context: execution".into()
            ))
        );
        assert!(
            parse_state_machine("arn:aws:states:us-east-1:1234:stateMachine:x", false).is_err()
        );
        assert!(
            parse_state_machine("arn:aws:states:us-east-1:123456789012:stateMachine:", false)
                .is_err()
        );
        assert!(parse_state_machine("arn:", false).is_err());
    }

    /// The byte scans answer as the former `split(':')` checks did, for
    /// every ARN made of these pieces.
    #[test]
    fn state_machine_arns_are_checked_as_split_checked_them() {
        fn before(arn: &str, allow_test_case: bool) -> Result<(&str, Option<&str>), String> {
            let (base, test_case) = match arn.split_once('#') {
                Some((base, case)) if allow_test_case => (base, Some(case)),
                _ => (arn, None),
            };
            let Some(tail) = base.strip_prefix("arn:") else {
                return Err(format!("Invalid ARN prefix: {base}"));
            };
            let mut fields = tail.split(':');
            let mut next = || fields.next().unwrap_or_default();
            let (partition, service, region, account, kind) =
                (next(), next(), next(), next(), next());
            let rest: Vec<&str> = fields.collect();
            if partition.is_empty() || !partition.starts_with("aws") {
                return Err(format!("Invalid ARN partition: {base}"));
            }
            if service != "states" {
                return Err(format!("Invalid ARN service: {service}"));
            }
            let region_ok = !region.is_empty()
                && region
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !region_ok || account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("Invalid ARN: {base}"));
            }
            if kind != "stateMachine" {
                return Err(format!(
                    "Resource type not valid in this context: {}",
                    kind.to_ascii_lowercase()
                ));
            }
            let name_ok = rest.first().is_some_and(|n| !n.is_empty()) && rest.len() <= 2;
            let case_ok = test_case.is_none_or(|c| !c.is_empty());
            if !name_ok || !case_ok || base.contains('#') {
                return Err(format!("Invalid Arn: {arn}"));
            }
            Ok((base, test_case))
        }
        let pieces = [
            "arn",
            "aws",
            "aws-cn",
            "",
            "states",
            "lambda",
            "us-east-1",
            "US",
            "123456789012",
            "12345",
            "stateMachine",
            "execution",
            "pay",
            "2",
            "#",
            "#Case",
            "a#b",
            ":",
        ];
        let mut checked = 0;
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    for tail in ["", ":", ":x", "::", "#", "#T", ":1:2", ":v#C"] {
                        let arn = format!("arn:{a}:states:us-east-1:{b}:{c}{tail}");
                        let full = format!(
                            "arn:aws:states:us-east-1:123456789012:stateMachine:{a}{b}{c}{tail}"
                        );
                        let short = format!("{a}:{b}{tail}");
                        for arn in [&arn, &full, &short] {
                            for allow in [false, true] {
                                let now = parse_state_machine(arn, allow)
                                    .map(|r| (r.arn, r.test_case))
                                    .map_err(|e| match e {
                                        StartError::InvalidArn(m) => m,
                                        other => other.to_string(),
                                    });
                                assert_eq!(now, before(arn, allow), "{arn} {allow}");
                                checked += 1;
                            }
                        }
                    }
                }
            }
        }
        assert!(checked > 100_000);
    }

    #[test]
    fn execution_arns() {
        let e = express_execution(SM, "run");
        assert!(e.starts_with("arn:aws:states:us-east-1:123456789012:express:pay:run:"));
        assert_eq!(e.rsplit(':').next().map(str::len), Some(36));
        assert!(parse_execution(&e).is_ok());
        let s = standard_execution(SM, "run");
        assert_eq!(s, "arn:aws:states:us-east-1:123456789012:execution:pay:run");
        assert!(parse_execution(&s).is_ok());
        assert_eq!(execution_machine_name(&s), Some("pay"));
        assert_eq!(
            parse_execution(SM),
            Err(StartError::InvalidArn(
                "Resource type not valid in this context: statemachine".into()
            ))
        );
    }
}
