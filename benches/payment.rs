//! One whole payment execution in-process (the anchor workflow, both
//! variants, with the anchor handlers), against a "floor": parsing the input
//! text and serialising the output document with simd-json, the least any
//! JSON-in/JSON-out runtime must do. Target: payment ≤ 10× floor.

#![allow(missing_docs)]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use expressway::engine::{Engine, ExecutionOptions, ExecutionStatus};
use expressway::json::{parse, to_string, Value};

#[path = "common/mod.rs"]
mod common;
#[allow(dead_code, unreachable_pub)]
#[path = "../loadtest/src/handlers.rs"]
mod handlers;

/// The anchors' workflows folder (`$ANCHORS_WORKFLOWS`, else
/// `shared/anchors/workflows` beside the checkout).
fn anchors_dir() -> Option<std::path::PathBuf> {
    let manifest = env!("CARGO_MANIFEST_DIR");
    [
        std::env::var("ANCHORS_WORKFLOWS").unwrap_or_default(),
        format!("{manifest}/../shared/anchors/workflows"),
        format!("{manifest}/../../shared/anchors/workflows"),
    ]
    .into_iter()
    .filter(|c| !c.is_empty())
    .map(std::path::PathBuf::from)
    .find(|p| p.join("payment.asl.json").is_file())
}

fn options(n: u64) -> ExecutionOptions {
    ExecutionOptions {
        execution_arn: format!("arn:aws:states:us-east-1:123456789012:express:payment:e{n}:{n}"),
        name: format!("e{n}"),
        state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:payment".to_owned(),
        state_machine_name: "payment".into(),
        role_arn: "arn:aws:iam::123456789012:role/r".to_owned(),
        start_time: SystemTime::now(),
        test_case: None,
        redrive_count: None,
    }
}

fn payment(c: &mut Criterion) {
    let Some(dir) = anchors_dir() else {
        eprintln!(
            "payment bench: shared/anchors/workflows not found (set ANCHORS_WORKFLOWS); skipped"
        );
        return;
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => panic!("tokio: {e}"),
    };
    let input = common::json(common::PAYMENT_INPUT);
    let engine = Engine::new(handlers::anchor_tasks(&[]));
    let mut g = c.benchmark_group("payment");
    let mut output_text = String::new();
    for file in ["payment.asl.json", "payment-pass-only.asl.json"] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
        let machine = match expressway::compile::load(&text) {
            Ok(m) => Arc::new(m),
            Err(e) => panic!("{file}: {e}"),
        };
        let first = rt.block_on(engine.execute(Arc::clone(&machine), input.clone(), options(0)));
        assert_eq!(
            first.status,
            ExecutionStatus::Succeeded,
            "{file}: {:?}",
            first.cause
        );
        if file == "payment.asl.json" {
            output_text = first.output.as_ref().map(to_string).unwrap_or_default();
        }
        let mut n = 0u64;
        g.bench_function(format!("execute {file}"), |b| {
            b.to_async(&rt).iter(|| {
                n += 1;
                let (engine, machine, input) = (&engine, Arc::clone(&machine), input.clone());
                async move { black_box(engine.execute(machine, input, options(n)).await.status) }
            })
        });
        g.bench_function(
            format!("execute {file} from input text to output text"),
            |b| {
                b.to_async(&rt).iter(|| {
                    n += 1;
                    let (engine, machine) = (&engine, Arc::clone(&machine));
                    async move {
                        let input = parse(black_box(common::PAYMENT_INPUT))
                            .unwrap_or_else(|_| Value::from(()));
                        let out = engine.execute(machine, input, options(n)).await;
                        black_box(out.output.as_ref().map(to_string))
                    }
                })
            },
        );
    }
    // The JSONata variant of the example (every field an expression): the
    // cost of JSONata evaluation, budget hooks included.
    let jsonata_engine = Engine::new({
        let mut tasks = expressway::tasks::Tasks::default();
        expressway::cli::example::register(&mut tasks);
        tasks
    });
    let jsonata_text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/payment/payment-jsonata.asl.json"
    ))
    .unwrap_or_default();
    let jsonata_machine = match expressway::compile::load(&jsonata_text) {
        Ok(m) => Arc::new(m),
        Err(e) => panic!("payment-jsonata.asl.json: {e}"),
    };
    let jsonata_input = common::json(
        r#"{"paymentId":"pay-4242","amount":50.0,"currency":"EUR","merchantId":"m-42","card":{"last4":"4242","brand":"visa","threeDS":false},"customer":{"id":"cust-7","email":"alice@example.com"}}"#,
    );
    let first = rt.block_on(jsonata_engine.execute(
        Arc::clone(&jsonata_machine),
        jsonata_input.clone(),
        options(0),
    ));
    assert_eq!(
        first.status,
        ExecutionStatus::Succeeded,
        "payment-jsonata: {:?}",
        first.cause
    );
    let mut n = 0u64;
    g.bench_function("execute payment-jsonata.asl.json (examples/payment)", |b| {
        b.to_async(&rt).iter(|| {
            n += 1;
            let (engine, machine, input) = (
                &jsonata_engine,
                Arc::clone(&jsonata_machine),
                jsonata_input.clone(),
            );
            async move { black_box(engine.execute(machine, input, options(n)).await.status) }
        })
    });
    let output = common::json(&output_text);
    g.bench_function("floor: parse input + serialise output (simd-json)", |b| {
        b.iter(|| {
            let v = parse(black_box(common::PAYMENT_INPUT)).is_ok();
            black_box((v, to_string(black_box(&output))))
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = payment
}
criterion_main!(benches);
