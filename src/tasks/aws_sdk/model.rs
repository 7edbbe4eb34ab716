//! AWS service models: the subset of botocore's `service-2.json` format the
//! generic integration reads (operations, shapes, serialization traits).
//!
//! Source: botocore's model format (`botocore/model.py`), which the AWS SDKs'
//! JSON models share; the Smithy traits they encode are described in the
//! Smithy 1.0/2.0 AWS protocol specifications (awsJson1_0, awsJson1_1,
//! restJson1, restXml, awsQuery, ec2Query).

use std::collections::HashMap;

use serde::Deserialize;

/// One service's model.
#[derive(Debug, Deserialize)]
pub(crate) struct ServiceModel {
    /// Protocol, naming and endpoint metadata.
    pub(crate) metadata: Metadata,
    /// Operations by name (`GetObject`).
    pub(crate) operations: HashMap<String, Operation>,
    /// Shapes by name.
    pub(crate) shapes: HashMap<String, Shape>,
}

/// A model's `metadata`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Metadata {
    /// `2006-03-01`.
    pub(crate) api_version: String,
    /// The endpoint host's first label (`s3`, `states`, `api.sagemaker`).
    pub(crate) endpoint_prefix: String,
    /// `1.0` or `1.1` for the `json` protocol.
    #[serde(default)]
    pub(crate) json_version: Option<String>,
    /// The protocol (`json`, `rest-json`, `rest-xml`, `query`, `ec2`, …).
    pub(crate) protocol: String,
    /// The protocols the service speaks, preferred first (newer models).
    #[serde(default)]
    pub(crate) protocols: Vec<String>,
    /// The service id (`SFN`, `DynamoDB`, `Secrets Manager`).
    pub(crate) service_id: String,
    /// The SigV4 signing name, when not the endpoint prefix.
    #[serde(default)]
    pub(crate) signing_name: Option<String>,
    /// The `X-Amz-Target` prefix of the `json` protocol.
    #[serde(default)]
    pub(crate) target_prefix: Option<String>,
    /// The service speaks JSON but keeps its query-protocol error codes.
    #[serde(default)]
    pub(crate) aws_query_compatible: Option<serde_json::Value>,
}

/// An operation.
#[derive(Debug, Deserialize)]
pub(crate) struct Operation {
    /// HTTP binding.
    pub(crate) http: Http,
    /// The input shape.
    #[serde(default)]
    pub(crate) input: Option<MemberRef>,
    /// The output shape.
    #[serde(default)]
    pub(crate) output: Option<MemberRef>,
    /// A host prefix (`data.`) the SDKs put before the endpoint host.
    #[serde(default)]
    pub(crate) endpoint: Option<Endpoint>,
    /// The request needs a checksum (`Content-MD5` is sent).
    #[serde(default, rename = "httpChecksumRequired")]
    pub(crate) checksum_required: bool,
    /// The newer form of the same trait.
    #[serde(default, rename = "httpChecksum")]
    pub(crate) checksum: Option<HttpChecksum>,
}

/// An operation's `httpChecksum` trait.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HttpChecksum {
    /// A checksum must be sent.
    #[serde(default)]
    pub(crate) request_checksum_required: bool,
}

impl Operation {
    /// Whether the request must carry a checksum.
    pub(crate) fn needs_checksum(&self) -> bool {
        self.checksum_required
            || self
                .checksum
                .as_ref()
                .is_some_and(|c| c.request_checksum_required)
    }
}

/// An operation's `endpoint` trait.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Endpoint {
    /// `{AccountId}.` or `data.`.
    pub(crate) host_prefix: String,
}

/// An operation's HTTP binding.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Http {
    /// `GET`, `POST`…
    pub(crate) method: String,
    /// `/{Bucket}/{Key+}?x-id=GetObject`.
    pub(crate) request_uri: String,
}

/// A reference from an operation or a member to a shape, with the
/// serialization traits placed on the reference.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MemberRef {
    /// The shape.
    pub(crate) shape: String,
    /// `uri`, `querystring`, `header`, `headers`, `statusCode`.
    #[serde(default)]
    pub(crate) location: Option<String>,
    /// The wire name.
    #[serde(default)]
    pub(crate) location_name: Option<String>,
    /// The `ec2` protocol's request name.
    #[serde(default)]
    pub(crate) query_name: Option<String>,
    /// A flattened XML/query list or map.
    #[serde(default)]
    pub(crate) flattened: bool,
    /// An XML attribute rather than an element.
    #[serde(default)]
    pub(crate) xml_attribute: bool,
    /// The XML namespace of a payload.
    #[serde(default)]
    pub(crate) xml_namespace: Option<serde_json::Value>,
    /// A header carrying base64 JSON.
    #[serde(default)]
    pub(crate) jsonvalue: bool,
    /// `iso8601`, `rfc822`, `unixTimestamp`.
    #[serde(default)]
    pub(crate) timestamp_format: Option<String>,
    /// The SDKs fill it with a UUID when absent.
    #[serde(default)]
    pub(crate) idempotency_token: bool,
    /// The query protocol's `<OpResult>` wrapper.
    #[serde(default)]
    pub(crate) result_wrapper: Option<String>,
}

/// A shape.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Shape {
    /// `structure`, `list`, `map`, `string`, `integer`, `long`, `float`,
    /// `double`, `boolean`, `timestamp`, `blob`.
    #[serde(rename = "type")]
    pub(crate) kind: String,
    /// A structure's members, in model order.
    #[serde(default, deserialize_with = "ordered_members")]
    pub(crate) members: Vec<(String, MemberRef)>,
    /// A list's member.
    #[serde(default)]
    pub(crate) member: Option<MemberRef>,
    /// A map's key.
    #[serde(default)]
    pub(crate) key: Option<MemberRef>,
    /// A map's value.
    #[serde(default)]
    pub(crate) value: Option<MemberRef>,
    /// The member sent as the whole HTTP body (REST protocols).
    #[serde(default)]
    pub(crate) payload: Option<String>,
    /// A flattened XML/query list or map.
    #[serde(default)]
    pub(crate) flattened: bool,
    /// The XML element name.
    #[serde(default)]
    pub(crate) location_name: Option<String>,
    /// `iso8601`, `rfc822`, `unixTimestamp`.
    #[serde(default)]
    pub(crate) timestamp_format: Option<String>,
    /// An error shape.
    #[serde(default)]
    pub(crate) exception: bool,
    /// An error shape's wire code and status.
    #[serde(default)]
    pub(crate) error: Option<ErrorTrait>,
    /// A free-form JSON document.
    #[serde(default)]
    pub(crate) document: bool,
    /// An event stream (not served).
    #[serde(default)]
    pub(crate) eventstream: bool,
    /// The XML namespace of the shape.
    #[serde(default)]
    pub(crate) xml_namespace: Option<serde_json::Value>,
}

/// An error shape's `error` trait.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ErrorTrait {
    /// The code on the wire, when not the shape name
    /// (`AWS.SimpleQueueService.NonExistentQueue`).
    #[serde(default)]
    pub(crate) code: Option<String>,
}

fn ordered_members<'de, D>(d: D) -> Result<Vec<(String, MemberRef)>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    // serde_json's `preserve_order` keeps the model's order.
    let map = serde_json::Map::<String, serde_json::Value>::deserialize(d)?;
    map.into_iter()
        .map(|(k, v)| {
            serde_json::from_value(v)
                .map(|r| (k, r))
                .map_err(serde::de::Error::custom)
        })
        .collect()
}

impl ServiceModel {
    /// Parses a model (stripped or full).
    ///
    /// # Errors
    /// The text is not a service model.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, super::errors::ModelError> {
        Ok(serde_json::from_slice(bytes)?)
    }

    /// The shape `name`.
    pub(crate) fn shape(&self, name: &str) -> Option<&Shape> {
        self.shapes.get(name)
    }

    /// The protocol used: the first of `protocols` this crate speaks, else
    /// `protocol`.
    pub(crate) fn protocol(&self) -> &str {
        const SPOKEN: [&str; 5] = ["json", "rest-json", "rest-xml", "query", "ec2"];
        self.metadata
            .protocols
            .iter()
            .map(String::as_str)
            .find(|p| SPOKEN.contains(p))
            .unwrap_or(&self.metadata.protocol)
    }

    /// The SigV4 signing name.
    pub(crate) fn signing_name(&self) -> &str {
        self.metadata
            .signing_name
            .as_deref()
            .unwrap_or(&self.metadata.endpoint_prefix)
    }

    /// The operation named `action` as a Resource writes it (`getObject`,
    /// `GetObject`): the API name with its first letter in either case.
    pub(crate) fn operation(&self, action: &str) -> Option<(&str, &Operation)> {
        if let Some((k, v)) = self.operations.get_key_value(action) {
            return Some((k, v));
        }
        let mut chars = action.chars();
        let first = chars.next()?;
        let upper: String = first.to_uppercase().chain(chars).collect();
        self.operations
            .get_key_value(upper.as_str())
            .map(|(k, v)| (k.as_str(), v))
            .or_else(|| {
                self.operations
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(action))
                    .map(|(k, v)| (k.as_str(), v))
            })
    }

    /// The error shape whose name or wire code is `code`.
    pub(crate) fn error_shape(&self, code: &str) -> Option<&str> {
        if let Some((name, s)) = self.shapes.get_key_value(code) {
            if s.exception {
                return Some(name);
            }
        }
        self.shapes
            .iter()
            .find(|(_, s)| {
                s.exception && s.error.as_ref().and_then(|e| e.code.as_deref()) == Some(code)
            })
            .map(|(n, _)| n.as_str())
    }
}

impl MemberRef {
    /// The wire name of the member `name`.
    pub(crate) fn wire_name<'a>(&'a self, name: &'a str) -> &'a str {
        self.location_name.as_deref().unwrap_or(name)
    }
}
