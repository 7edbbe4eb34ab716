//! Choice Rule evaluation (`ChoiceRule::eval`).

#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use expressway::compile::choice::ChoiceRule;

#[path = "common/mod.rs"]
mod common;

fn rule(text: &str) -> ChoiceRule {
    match ChoiceRule::compile(&common::json(text)) {
        Ok(r) => r,
        Err(e) => panic!("{text}: {e}"),
    }
}

fn choice(c: &mut Criterion) {
    let payment = common::json(common::PAYMENT_INPUT);
    let ctx = common::json("{}");
    let scope = common::scope(&payment, &ctx);
    let cases = [
        // Check3DSRequired's first rule in payment.asl.json.
        (
            "And(NumericGreaterThan, BooleanEquals)",
            rule(
                r#"{"And":[{"Variable":"$.amount","NumericGreaterThan":100},{"Variable":"$.card.threeDS","BooleanEquals":true}]}"#,
            ),
        ),
        (
            "StringEquals",
            rule(r#"{"Variable":"$.currency","StringEquals":"EUR"}"#),
        ),
        (
            "StringMatches",
            rule(r#"{"Variable":"$.customer.email","StringMatches":"*@example.com"}"#),
        ),
        (
            "NumericLessThanPath",
            rule(r#"{"Variable":"$.amount","NumericLessThanPath":"$.amount"}"#),
        ),
        (
            "IsPresent (missing)",
            rule(r#"{"Variable":"$.nope","IsPresent":false}"#),
        ),
        (
            "Or(Not(StringEquals) x3)",
            rule(
                r#"{"Or":[{"Not":{"Variable":"$.currency","StringEquals":"EUR"}},{"Not":{"Variable":"$.merchantId","StringEquals":"m-42"}},{"Variable":"$.card.brand","StringEquals":"visa"}]}"#,
            ),
        ),
    ];
    let mut g = c.benchmark_group("choice");
    for (name, r) in &cases {
        if let Err(e) = r.eval(&scope) {
            panic!("{name}: {e:?}");
        }
        g.bench_function(*name, |b| {
            b.iter(|| black_box(r.eval(black_box(&scope)).is_ok()))
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(std::time::Duration::from_secs(3)).warm_up_time(std::time::Duration::from_secs(1));
    targets = choice
}
criterion_main!(benches);
