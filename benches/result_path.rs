//! ResultPath merge (`Path::assign`): moving a Task result into the state.

#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};
use expressway::json::path::Path;

#[path = "common/mod.rs"]
mod common;

fn result_path(c: &mut Criterion) {
    let state = common::json(common::PAYMENT_INPUT);
    let result = common::json(r#"{"status":"APPROVED","authCode":"AUTH-pay-1","amount":250.0}"#);
    let mut g = c.benchmark_group("result_path");
    for text in ["$", "$.auth", "$.a.b.c", "$.card.auth"] {
        let p = match Path::parse_reference(text) {
            Ok(p) => p,
            Err(e) => panic!("{text}: {e}"),
        };
        if let Err(e) = p.assign(state.clone(), result.clone()) {
            panic!("{text}: {e}");
        }
        // The clones are setup (the engine moves its owned state in).
        g.bench_function(format!("assign {text}"), |b| {
            b.iter_batched(
                || (state.clone(), result.clone()),
                |(s, r)| black_box(p.assign(s, r).is_ok()),
                BatchSize::SmallInput,
            )
        });
    }
    g.bench_function("clone state + result (setup cost)", |b| {
        b.iter(|| black_box((state.clone(), result.clone())))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(std::time::Duration::from_secs(3)).warm_up_time(std::time::Duration::from_secs(1));
    targets = result_path
}
criterion_main!(benches);
