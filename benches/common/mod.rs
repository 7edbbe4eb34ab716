//! Shared by the criterion benches: the anchor documents and a scope.

#![allow(dead_code, unreachable_pub)]

use expressway::json::{parse, Scope, Value};

/// The anchor payment input (`shared/anchors/workflows/payment-input.json`).
pub const PAYMENT_INPUT: &str = r#"{"paymentId":"pay-000001","amount":250.0,"currency":"EUR","merchantId":"m-42","card":{"last4":"4242","brand":"visa","threeDS":true},"customer":{"id":"cust-7","email":"alice@example.com"}}"#;

/// A parsed JSON value (the benches' fixed documents are valid).
pub fn json(text: &str) -> Value {
    match parse(text) {
        Ok(v) => v,
        Err(e) => panic!("bench document is not JSON: {e}"),
    }
}

/// An order-like document with a 20-item array, for wildcard/filter paths.
pub fn order_doc() -> Value {
    let items: Vec<String> = (0..20)
        .map(|i| {
            format!(
                r#"{{"sku":"sku-{i}","qty":{},"price":{}.5,"tags":["a","b"]}}"#,
                i % 4,
                i * 3
            )
        })
        .collect();
    json(&format!(
        r#"{{"order":{{"id":"o-1","customer":{{"id":"c-9","email":"bob@example.com"}},"items":[{}]}}}}"#,
        items.join(",")
    ))
}

/// A scope over `input` with an empty context.
pub fn scope<'a>(input: &'a Value, context: &'a Value) -> Scope<'a> {
    Scope {
        input,
        context: expressway::json::Context::of(context),
        variables: None,
    }
}
