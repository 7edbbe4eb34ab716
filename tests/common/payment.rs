//! The bundled payment example (`examples/payment`) for the tests that run it.

use std::sync::Arc;
use std::time::SystemTime;

use expressway::compile::Machine;
use expressway::engine::ExecutionOptions;
use expressway::tasks::{MockConfig, Tasks};

/// The example's folder.
pub const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/payment");

/// The JSONPath definition.
pub const JSONPATH: &str = "payment.asl.json";
/// The JSONata variant.
pub const JSONATA: &str = "payment-jsonata.asl.json";

/// Loads and compiles one of the example's definitions.
pub fn machine(file: &str) -> Arc<Machine> {
    let text = std::fs::read_to_string(format!("{DIR}/{file}")).expect("definition");
    Arc::new(expressway::compile::load(&text).expect("the example compiles"))
}

/// Options of an execution of the state machine `payment` (whichever
/// definition runs, so that the mock file's test cases apply).
pub fn options(test_case: Option<&str>) -> ExecutionOptions {
    ExecutionOptions {
        execution_arn: "arn:aws:states:us-east-1:123456789012:express:payment:e:00000000-0000-4000-8000-000000000000".into(),
        name: "e".into(),
        state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:payment".into(),
        state_machine_name: "payment".into(),
        role_arn: "arn:aws:iam::123456789012:role/x".into(),
        start_time: SystemTime::now(),
        test_case: test_case.map(str::to_owned),
        redrive_count: None,
    }
}

/// A request: the happy-path sample with `last4`, `amount`, `threeDS` and `merchantId` replaced.
pub fn request(last4: &str, amount: f64, three_ds: bool, merchant: &str) -> String {
    serde_json::json!({
        "paymentId": format!("pay-{last4}"),
        "amount": amount,
        "currency": "EUR",
        "merchantId": merchant,
        "card": {"last4": last4, "brand": "visa", "threeDS": three_ds},
        "customer": {"id": "cust-7", "email": "alice@example.com"}
    })
    .to_string()
}

/// The example's Rust handlers.
pub fn handlers() -> Tasks {
    let mut tasks = Tasks::default();
    expressway::cli::example::register(&mut tasks);
    tasks
}

/// The example's mock file, no handlers.
pub fn mocked() -> Tasks {
    let mut tasks = Tasks::default();
    tasks.set_mock(Some(
        MockConfig::from_file(format!("{DIR}/MockConfigFile.json")).expect("mock file loads"),
    ));
    tasks
}
