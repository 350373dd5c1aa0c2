//! Cost of rendering the Pipedrive form page: building the view model, then handlebars.
//!
//! `cargo bench -p formwork-codegen --bench render`

use criterion::{Criterion, criterion_group, criterion_main};
use formwork_codegen::html::{Partials, RenderInput, Renderer};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let form = formwork_schema::load_file(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../specs/pipedrive-app.yaml"
    ))
    .expect("spec");
    let renderer = Renderer::new(&form, &Partials::builtin()).expect("renderer");
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/cases/pipedrive/review-full.json"
    ))
    .expect("case");
    let full: serde_json::Value =
        serde_json::from_str::<serde_json::Value>(&text).expect("json")["submission"].clone();
    let blank = serde_json::json!({});
    for (name, values) in [("blank", &blank), ("full", &full)] {
        let mut input = RenderInput::new(values);
        input.csrf = "0123456789abcdef";
        c.bench_function(&format!("{name}/view_model"), |b| {
            b.iter(|| renderer.view_model(black_box(&input)))
        });
        c.bench_function(&format!("{name}/render"), |b| {
            b.iter(|| renderer.render(black_box(&input)).expect("render"))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
