//! Reference Path and JSONPath selection (`Path::select`).

#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use expressway::json::path::Path;

#[path = "common/mod.rs"]
mod common;

fn path(text: &str) -> Path {
    match Path::parse(text) {
        Ok(p) => p,
        Err(e) => panic!("{text}: {e}"),
    }
}

fn paths(c: &mut Criterion) {
    let payment = common::json(common::PAYMENT_INPUT);
    let order = common::order_doc();
    let ctx = common::json("{}");
    let cases = [
        ("reference $.amount", path("$.amount"), &payment),
        ("reference $.card.threeDS", path("$.card.threeDS"), &payment),
        (
            "reference $.order.items[7].sku",
            path("$.order.items[7].sku"),
            &order,
        ),
        (
            "wildcard $.order.items[*].sku",
            path("$.order.items[*].sku"),
            &order,
        ),
        (
            "filter $.order.items[?(@.qty > 1)]",
            path("$.order.items[?(@.qty > 1)]"),
            &order,
        ),
        ("descent $..sku", path("$..sku"), &order),
    ];
    let mut g = c.benchmark_group("paths");
    for (name, p, doc) in &cases {
        let scope = common::scope(doc, &ctx);
        if let Err(e) = p.select(&scope) {
            panic!("{name}: {e}");
        }
        g.bench_function(*name, |b| {
            b.iter(|| black_box(p.select(black_box(&scope)).is_ok()))
        });
    }
    g.bench_function("parse $.order.items[?(@.qty > 1)]", |b| {
        b.iter(|| black_box(Path::parse(black_box("$.order.items[?(@.qty > 1)]")).is_ok()))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(std::time::Duration::from_secs(3)).warm_up_time(std::time::Duration::from_secs(1));
    targets = paths
}
criterion_main!(benches);
