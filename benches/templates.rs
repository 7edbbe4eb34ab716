//! Payload Template rendering (`Template::render`).

#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use expressway::json::template::Template;

#[path = "common/mod.rs"]
mod common;

fn template(text: &str) -> Template {
    match Template::compile(&common::json(text)) {
        Ok(t) => t,
        Err(e) => panic!("{text}: {e}"),
    }
}

fn templates(c: &mut Criterion) {
    let payment = common::json(common::PAYMENT_INPUT);
    let ctx = common::json(r#"{"Execution":{"Id":"arn:x","Name":"n"},"State":{"Name":"S"}}"#);
    let scope = common::scope(&payment, &ctx);
    // ValidateRequest's Parameters in payment.asl.json.
    let validate = template(
        r#"{"paymentId.$":"$.paymentId","amount.$":"$.amount","currency.$":"$.currency","card.$":"$.card","customer.$":"$.customer","merchantId.$":"$.merchantId","validated":true}"#,
    );
    // SendEmail's Parameters.
    let email = template(
        r#"{"to.$":"$.customer.email","paymentId.$":"$.paymentId","amount.$":"$.amount"}"#,
    );
    let stat = template(r#"{"status":"AUTHENTICATED","eci":"05"}"#);
    let with_ctx =
        template(r#"{"exec.$":"$$.Execution.Id","state.$":"$$.State.Name","id.$":"$.paymentId"}"#);
    let intrinsic = template(r#"{"msg.$":"States.Format('pay {} of {}', $.paymentId, $.amount)"}"#);
    let mut g = c.benchmark_group("templates");
    for (name, t) in [
        ("ValidateRequest (6 paths + static)", &validate),
        ("SendEmail (3 paths)", &email),
        ("static object", &stat),
        ("context paths", &with_ctx),
        ("States.Format", &intrinsic),
    ] {
        if let Err(e) = t.render(&scope) {
            panic!("{name}: {e:?}");
        }
        g.bench_function(name, |b| {
            b.iter(|| black_box(t.render(black_box(&scope)).is_ok()))
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(std::time::Duration::from_secs(3)).warm_up_time(std::time::Duration::from_secs(1));
    targets = templates
}
criterion_main!(benches);
