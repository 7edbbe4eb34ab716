//! `dynamodb:getItem`, `putItem`, `updateItem`, `deleteItem`.
//!
//! Request fields, with `Key`, `Item` and `ExpressionAttributeValues` in
//! AttributeValue JSON ([`super::attribute_value`]):
//! - GetItem: `TableName`, `Key`, `AttributesToGet`, `ConsistentRead`,
//!   `ExpressionAttributeNames`, `ProjectionExpression`,
//!   `ReturnConsumedCapacity`;
//! - PutItem: `TableName`, `Item`, `ConditionExpression`,
//!   `ExpressionAttributeNames`, `ExpressionAttributeValues`, `ReturnValues`,
//!   `ReturnConsumedCapacity`, `ReturnItemCollectionMetrics`,
//!   `ReturnValuesOnConditionCheckFailure`;
//! - UpdateItem: PutItem's without `Item`, plus `Key`, `UpdateExpression`;
//! - DeleteItem: PutItem's without `Item`, plus `Key`.
//!
//! The legacy `Expected`, `ConditionalOperator` and `AttributeUpdates`
//! parameters are not supported.
//!
//! Result: `{Item?}` (GetItem) or `{Attributes?}`, with `ConsumedCapacity`
//! (`TableName`, `CapacityUnits`, `ReadCapacityUnits`, `WriteCapacityUnits`)
//! and `ItemCollectionMetrics` when asked for, plus `SdkHttpMetadata` and
//! `SdkResponseMetadata` (AWS guide `connect-ddb.html`; recorded AWS
//! histories). Other request fields are dropped.

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::get_item::GetItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::operation::RequestId;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConsumedCapacity, ItemCollectionMetrics, ReturnConsumedCapacity,
    ReturnItemCollectionMetrics, ReturnValue, ReturnValuesOnConditionCheckFailure,
};

use super::attribute_value::{from_item, to_item};
use super::errors::from_sdk;
use super::metadata::HttpCapture;
use super::params::Params;
use super::resource::{Action, Service};
use crate::errors::ExecError;
use crate::json::{Object, Value};

/// The name Step Functions shows for `action`.
fn api(action: Action) -> &'static str {
    match action {
        Action::GetItem => "dynamodb:getItem",
        Action::PutItem => "dynamodb:putItem",
        Action::DeleteItem => "dynamodb:deleteItem",
        _ => "dynamodb:updateItem",
    }
}

/// Calls the DynamoDB `action` with `input`.
///
/// # Errors
/// As the module [`super`] says.
pub(crate) async fn call(
    client: &aws_sdk_dynamodb::Client,
    action: Action,
    input: &Value,
) -> Result<Value, ExecError> {
    let p = Params::new(input, api(action))?;
    let table = p.str("TableName")?.map(str::to_owned);
    let key = item(&p, "Key")?;
    let names = p.string_map("ExpressionAttributeNames")?;
    let capacity = p
        .str("ReturnConsumedCapacity")?
        .map(ReturnConsumedCapacity::from);
    let capture = HttpCapture::default();
    let mut result = Object::with_capacity(5);
    let request_id;
    if action == Action::GetItem {
        let out = client
            .get_item()
            .set_table_name(table)
            .set_key(key)
            .set_attributes_to_get(p.strings("AttributesToGet")?)
            .set_consistent_read(p.bool("ConsistentRead")?)
            .set_expression_attribute_names(names)
            .set_projection_expression(p.str("ProjectionExpression")?.map(str::to_owned))
            .set_return_consumed_capacity(capacity)
            .customize()
            .interceptor(capture.clone())
            .send()
            .await
            .map_err(|e| from_sdk(Service::DynamoDb, e, modeled_get))?;
        if let Some(i) = out.item() {
            result.insert("Item".into(), from_item(i));
        }
        write_outputs(&mut result, None, out.consumed_capacity(), None);
        request_id = out.request_id().map(str::to_owned);
    } else {
        let condition = p.str("ConditionExpression")?.map(str::to_owned);
        let values = item(&p, "ExpressionAttributeValues")?;
        let return_values = p.str("ReturnValues")?.map(ReturnValue::from);
        let metrics = p
            .str("ReturnItemCollectionMetrics")?
            .map(ReturnItemCollectionMetrics::from);
        let on_failure = p
            .str("ReturnValuesOnConditionCheckFailure")?
            .map(ReturnValuesOnConditionCheckFailure::from);
        match action {
            Action::PutItem => {
                let out = client
                    .put_item()
                    .set_table_name(table)
                    .set_item(item(&p, "Item")?)
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .set_return_values(return_values)
                    .set_return_consumed_capacity(capacity)
                    .set_return_item_collection_metrics(metrics)
                    .set_return_values_on_condition_check_failure(on_failure)
                    .customize()
                    .interceptor(capture.clone())
                    .send()
                    .await
                    .map_err(|e| from_sdk(Service::DynamoDb, e, modeled_put))?;
                write_outputs(
                    &mut result,
                    out.attributes(),
                    out.consumed_capacity(),
                    out.item_collection_metrics(),
                );
                request_id = out.request_id().map(str::to_owned);
            }
            Action::DeleteItem => {
                let out = client
                    .delete_item()
                    .set_table_name(table)
                    .set_key(key)
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .set_return_values(return_values)
                    .set_return_consumed_capacity(capacity)
                    .set_return_item_collection_metrics(metrics)
                    .set_return_values_on_condition_check_failure(on_failure)
                    .customize()
                    .interceptor(capture.clone())
                    .send()
                    .await
                    .map_err(|e| from_sdk(Service::DynamoDb, e, modeled_delete))?;
                write_outputs(
                    &mut result,
                    out.attributes(),
                    out.consumed_capacity(),
                    out.item_collection_metrics(),
                );
                request_id = out.request_id().map(str::to_owned);
            }
            _ => {
                let out = client
                    .update_item()
                    .set_table_name(table)
                    .set_key(key)
                    .set_update_expression(p.str("UpdateExpression")?.map(str::to_owned))
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .set_return_values(return_values)
                    .set_return_consumed_capacity(capacity)
                    .set_return_item_collection_metrics(metrics)
                    .set_return_values_on_condition_check_failure(on_failure)
                    .customize()
                    .interceptor(capture.clone())
                    .send()
                    .await
                    .map_err(|e| from_sdk(Service::DynamoDb, e, modeled_update))?;
                write_outputs(
                    &mut result,
                    out.attributes(),
                    out.consumed_capacity(),
                    out.item_collection_metrics(),
                );
                request_id = out.request_id().map(str::to_owned);
            }
        }
    }
    capture.envelope(&mut result, request_id.as_deref());
    Ok(Value::from(result))
}

/// An AttributeValue map field.
fn item(p: &Params<'_>, key: &str) -> Result<Option<HashMap<String, AttributeValue>>, ExecError> {
    match p.object(key)? {
        None => Ok(None),
        Some(obj) => to_item(key, obj).map(Some),
    }
}

/// Adds `Attributes`, `ConsumedCapacity` and `ItemCollectionMetrics` when
/// present.
fn write_outputs(
    result: &mut Object,
    attributes: Option<&HashMap<String, AttributeValue>>,
    capacity: Option<&ConsumedCapacity>,
    metrics: Option<&ItemCollectionMetrics>,
) {
    if let Some(a) = attributes {
        result.insert("Attributes".into(), from_item(a));
    }
    if let Some(c) = capacity {
        let mut o = Object::with_capacity(4);
        if let Some(t) = c.table_name() {
            o.insert("TableName".into(), Value::from(t));
        }
        for (k, v) in [
            ("CapacityUnits", c.capacity_units()),
            ("ReadCapacityUnits", c.read_capacity_units()),
            ("WriteCapacityUnits", c.write_capacity_units()),
        ] {
            if let Some(v) = v {
                o.insert(k.into(), Value::from(v));
            }
        }
        result.insert("ConsumedCapacity".into(), Value::from(o));
    }
    if let Some(m) = metrics {
        let mut o = Object::with_capacity(2);
        if let Some(k) = m.item_collection_key() {
            o.insert("ItemCollectionKey".into(), from_item(k));
        }
        let range: Vec<Value> = m
            .size_estimate_range_gb()
            .iter()
            .map(|v| Value::from(*v))
            .collect();
        if !range.is_empty() {
            o.insert("SizeEstimateRangeGB".into(), Value::from(range));
        }
        result.insert("ItemCollectionMetrics".into(), Value::from(o));
    }
}

/// Declares `$name(&$err) -> Option<&'static str>`: the declared error shape
/// of a typed variant (DynamoDB's variant names are its shape names).
macro_rules! modeled {
    ($name:ident, $err:ident, [$($variant:ident),* $(,)?]) => {
        /// The declared error shape of a typed variant.
        fn $name(e: &$err) -> Option<&'static str> {
            match e {
                $($err::$variant(_) => Some(stringify!($variant)),)*
                _ => None,
            }
        }
    };
}

modeled!(
    modeled_get,
    GetItemError,
    [
        InternalServerError,
        InvalidEndpointException,
        ProvisionedThroughputExceededException,
        RequestLimitExceeded,
        ResourceNotFoundException,
        ThrottlingException,
    ]
);

modeled!(
    modeled_put,
    PutItemError,
    [
        ConditionalCheckFailedException,
        InternalServerError,
        InvalidEndpointException,
        ItemCollectionSizeLimitExceededException,
        ProvisionedThroughputExceededException,
        ReplicatedWriteConflictException,
        RequestLimitExceeded,
        ResourceNotFoundException,
        ThrottlingException,
        TransactionConflictException,
    ]
);

modeled!(
    modeled_update,
    UpdateItemError,
    [
        ConditionalCheckFailedException,
        InternalServerError,
        InvalidEndpointException,
        ItemCollectionSizeLimitExceededException,
        ProvisionedThroughputExceededException,
        ReplicatedWriteConflictException,
        RequestLimitExceeded,
        ResourceNotFoundException,
        ThrottlingException,
        TransactionConflictException,
    ]
);

modeled!(
    modeled_delete,
    DeleteItemError,
    [
        ConditionalCheckFailedException,
        InternalServerError,
        InvalidEndpointException,
        ItemCollectionSizeLimitExceededException,
        ProvisionedThroughputExceededException,
        ReplicatedWriteConflictException,
        RequestLimitExceeded,
        ResourceNotFoundException,
        ThrottlingException,
        TransactionConflictException,
    ]
);
