//! The names Step Functions gives the AWS SDK integrations' fields and
//! errors: those of the AWS SDK for Java 2.x, which it calls the services
//! with.
//!
//! - A field is the Java getter of the model member with its first letter
//!   upper-cased (the guide: "Parameters in Step Functions are expressed in
//!   PascalCase"): `MD5OfMessageBody` → `md5OfMessageBody()` →
//!   `Md5OfMessageBody`, `SSEKMSKeyId` → `SsekmsKeyId`, `restApiId` →
//!   `RestApiId`; a member whose getter would clash with a Java keyword or an
//!   `Object` method gets `Value` appended (the guide: "Equals" is written
//!   `EqualsValue`).
//! - An error is `ServiceName.ErrorName`, both PascalCase: the service name
//!   is the Java client's (`AcmPca`, `DynamoDb`, `Sfn`, `S3`), from the
//!   model's service id split on word boundaries.
//!
//! Sources: AWS guide `supported-services-awssdk.html` ("API naming
//! conventions", "Handling errors"); the Java SDK 2.x code generator's
//! naming rules (`Utils.unCapitalize`, `CodegenNamingUtils
//! .splitOnWordBoundaries`), whose output the guide's examples match.

use super::model::{MemberRef, ServiceModel};
use crate::json::{Object, Value};

/// Java keywords and `Object` methods a getter may not be named after.
const RESERVED: &[&str] = &[
    "abstract",
    "assert",
    "boolean",
    "break",
    "byte",
    "case",
    "catch",
    "char",
    "class",
    "const",
    "continue",
    "default",
    "do",
    "double",
    "else",
    "enum",
    "extends",
    "final",
    "finally",
    "float",
    "for",
    "goto",
    "if",
    "implements",
    "import",
    "instanceof",
    "int",
    "interface",
    "long",
    "native",
    "new",
    "package",
    "private",
    "protected",
    "public",
    "return",
    "short",
    "static",
    "strictfp",
    "super",
    "switch",
    "synchronized",
    "this",
    "throw",
    "throws",
    "transient",
    "try",
    "void",
    "volatile",
    "while",
    "true",
    "false",
    "null",
    "equals",
    "hashCode",
    "toString",
    "getClass",
    "notify",
    "notifyAll",
    "wait",
    "clone",
    "finalize",
];

/// The Java SDK's `unCapitalize`: lower-cases the leading run of capitals,
/// leaving the last one of a run that starts a word (`SSEKMSKeyId` →
/// `ssekmsKeyId`, `ETag` → `eTag`, `MD5Of` → `md5Of`).
fn uncapitalize(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len());
    let mut i = 0;
    while let Some(c) = chars.get(i) {
        out.extend(c.to_lowercase());
        i += 1;
        let next_upper = chars.get(i).is_some_and(|c| c.is_uppercase());
        let then_lower = chars.get(i + 1).is_some_and(|c| c.is_lowercase());
        if !next_upper || then_lower {
            break;
        }
    }
    out.extend(chars.get(i..).unwrap_or_default());
    out
}

/// The name Step Functions uses for the model member `member`, in
/// parameters and results (see the module docs).
pub(crate) fn field(member: &str) -> String {
    let mut getter = uncapitalize(member);
    if RESERVED.contains(&getter.as_str()) {
        getter.push_str("Value");
    }
    let mut chars = getter.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => getter,
    }
}

/// A key compared loosely: ASCII letters and digits, lower-cased.
pub(crate) fn loose(key: &str) -> String {
    key.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Splits `s` into words as the Java SDK's code generator does
/// (`ACM PCA` → `ACM`, `PCA`; `DynamoDB` → `Dynamo`, `DB`; `SESv2` → `SES`,
/// `v2`).
fn words(s: &str) -> Vec<String> {
    let c: Vec<char> = s
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect();
    let mut out = String::with_capacity(c.len() + 8);
    for i in 0..c.len() {
        let ch = c[i];
        if i > 0 {
            let prev = c[i - 1];
            let next = c.get(i + 1).copied();
            // A version after two or more non-lower-case characters: `SESv2`.
            let version = (ch == 'v' || ch == 'V')
                && next.is_some_and(|n| n.is_ascii_digit())
                && i >= 2
                && c[i - 2..i]
                    .iter()
                    .all(|p| *p != ' ' && !p.is_ascii_lowercase());
            // camelCase: `AcmSuccess` → `Acm Success`.
            let camel = prev.is_ascii_lowercase()
                && ch.is_ascii_uppercase()
                && next.is_some_and(|n| n.is_ascii_alphanumeric());
            // After an acronym: `ACMSuccess` → `ACM Success` (not before a
            // version: `SESv2`).
            let version_next =
                matches!(next, Some('v')) && c.get(i + 2).is_some_and(char::is_ascii_digit);
            let acronym = prev.is_ascii_uppercase()
                && ch.is_ascii_uppercase()
                && next.is_some_and(|n| n.is_ascii_lowercase())
                && !version_next;
            // After a number: `s3ec2` → `s3 ec2`.
            let number = prev.is_ascii_digit() && ch.is_ascii_alphabetic();
            if version || camel || acronym || number {
                out.push(' ');
            }
        }
        out.push(ch);
    }
    out.split_whitespace().map(str::to_owned).collect()
}

/// The Java SDK's service name for `service_id`: its words, each
/// capitalised, without a leading `Amazon`/`AWS` or a trailing `Service`
/// (`SFN` → `Sfn`, `DynamoDB` → `DynamoDb`, `ACM PCA` → `AcmPca`).
pub(crate) fn service(service_id: &str) -> String {
    let mut name: String = words(service_id)
        .iter()
        .map(|w| {
            let lower = w.to_ascii_lowercase();
            let mut cs = lower.chars();
            match cs.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + cs.as_str(),
                None => String::new(),
            }
        })
        .collect();
    for lead in ["Amazon", "Aws"] {
        if name.len() > lead.len() && name.starts_with(lead) {
            name = name[lead.len()..].to_owned();
        }
    }
    if name.len() > "Service".len() && name.ends_with("Service") {
        name.truncate(name.len() - "Service".len());
    }
    name
}

/// The service name a Resource uses for `service_id`
/// (`aws-sdk:SERVICE:…`): lower case, letters and digits only (`sfn`,
/// `secretsmanager`, `cloudwatchlogs`, `bedrockruntime`).
pub(crate) fn resource_service(service_id: &str) -> String {
    loose(service_id)
}

/// The error name for the modeled error shape `shape` (`None`: an error the
/// model does not declare) of the service named `service` (see
/// [`service`]): `S3.NoSuchKeyException`, `Sfn.SfnException`.
pub(crate) fn error(service: &str, shape: Option<&str>) -> String {
    match shape {
        Some(s) if s.ends_with("Exception") => format!("{service}.{s}"),
        Some(s) => format!("{service}.{s}Exception"),
        None => format!("{service}.{service}Exception"),
    }
}

/// A result tree read with the Java 2.x field names ([`field`]) given the
/// model's member names instead (`Md5OfMessageBody` → `MD5OfMessageBody`),
/// as the optimized integrations, which Step Functions serves with the AWS
/// SDK for Java 1.x, return them (`connect-sqs.html`).
pub(crate) fn to_model(model: &ServiceModel, r: &MemberRef, v: Value) -> Value {
    let Some(shape) = model.shape(&r.shape) else {
        return v;
    };
    if shape.document {
        return v;
    }
    match (shape.kind.as_str(), v) {
        ("structure", Value::Object(mut o)) => {
            let mut out = Object::with_capacity(o.len());
            for (m, mr) in &shape.members {
                if let Some(x) = o.remove(field(m).as_str()) {
                    out.insert(m.clone(), to_model(model, mr, x));
                }
            }
            // Anything not from the shape (none expected) is kept as is.
            for (k, x) in o.drain() {
                out.insert(k, x);
            }
            Value::from(out)
        }
        ("list", Value::Array(items)) => match &shape.member {
            Some(item) => Value::Array(Box::new(
                items
                    .into_iter()
                    .map(|x| to_model(model, item, x))
                    .collect(),
            )),
            None => Value::Array(items),
        },
        // Keys sorted: a map has no order (DynamoDB returns an item's
        // attributes in none), and a sorted one is the same on every call.
        ("map", Value::Object(o)) => match &shape.value {
            Some(val) => {
                let mut entries: Vec<(String, Value)> = (*o).into_iter().collect();
                entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
                let mut out = Object::with_capacity(entries.len());
                for (k, x) in entries {
                    out.insert(k, to_model(model, val, x));
                }
                Value::from(out)
            }
            None => Value::Object(o),
        },
        (_, v) => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_follow_the_java_getters() {
        assert_eq!(field("MD5OfMessageBody"), "Md5OfMessageBody");
        assert_eq!(field("SSEKMSKeyId"), "SsekmsKeyId");
        assert_eq!(field("ETag"), "ETag");
        assert_eq!(field("QueueUrl"), "QueueUrl");
        assert_eq!(field("restApiId"), "RestApiId");
        assert_eq!(field("stateMachineArn"), "StateMachineArn");
        assert_eq!(field("Equals"), "EqualsValue");
        assert_eq!(field("KMSKeyId"), "KmsKeyId");
        assert_eq!(field("ARN"), "Arn");
        assert_eq!(field("A"), "A");
    }

    #[test]
    fn service_names_follow_the_java_clients() {
        assert_eq!(service("SFN"), "Sfn");
        assert_eq!(service("DynamoDB"), "DynamoDb");
        assert_eq!(service("ACM PCA"), "AcmPca");
        assert_eq!(service("S3"), "S3");
        assert_eq!(service("EventBridge"), "EventBridge");
        assert_eq!(service("SQS"), "Sqs");
        assert_eq!(service("Secrets Manager"), "SecretsManager");
        assert_eq!(service("SESv2"), "SesV2");
        assert_eq!(service("EC2"), "Ec2");
        assert_eq!(service("API Gateway"), "ApiGateway");
        assert_eq!(service("CloudWatch Logs"), "CloudWatchLogs");
        assert_eq!(service("SageMaker"), "SageMaker");
        assert_eq!(service("Database Migration Service"), "DatabaseMigration");
    }

    #[test]
    fn resource_names_and_errors() {
        assert_eq!(resource_service("Secrets Manager"), "secretsmanager");
        assert_eq!(resource_service("Bedrock Runtime"), "bedrockruntime");
        assert_eq!(error("S3", Some("NoSuchKey")), "S3.NoSuchKeyException");
        assert_eq!(
            error("AcmPca", Some("ResourceNotFoundException")),
            "AcmPca.ResourceNotFoundException"
        );
        assert_eq!(error("Sfn", None), "Sfn.SfnException");
    }
}
