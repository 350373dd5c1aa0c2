//! Cost of rendering the Pipedrive form page: building the view model, then the compiled
//! templates (what `Renderer::render` does) next to handlebars rendering the same templates.
//!
//! Pages: `blank` (a new form), `full` (the record page: every value of the full acceptance
//! submission) and `errors` (the 422 re-render: the same values with two errors and the report
//! of the review stage).
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
    c.bench_function("renderer_new", |b| {
        b.iter(|| Renderer::new(black_box(&form), &Partials::builtin()).expect("renderer"))
    });
    let renderer = Renderer::new(&form, &Partials::builtin()).expect("renderer");
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/cases/pipedrive/review-full.json"
    ))
    .expect("case");
    let full: serde_json::Value =
        serde_json::from_str::<serde_json::Value>(&text).expect("json")["submission"].clone();
    let mut broken = full.clone();
    broken["app_name"] = serde_json::json!("");
    broken["callback_url"] = serde_json::json!("not a url");
    let validator = formwork_runtime::Validator::compile(&form).expect("validator");
    let report = validator.validate(&broken, validator.stage("review").expect("stage"));
    let errors: Vec<(String, String)> = report
        .errors
        .iter()
        .map(|e| (e.path.clone(), e.message.clone()))
        .collect();
    let blank = serde_json::json!({});
    for (name, values, errors) in [
        ("blank", &blank, &[][..]),
        ("full", &full, &[][..]),
        ("errors", &broken, &errors[..]),
    ] {
        let mut input = RenderInput::new(values);
        input.csrf = "0123456789abcdef";
        input.version = Some(3);
        input.errors = errors;
        assert_eq!(
            renderer.render_compiled(&input).as_deref(),
            Some(
                renderer
                    .render_by_handlebars(&input)
                    .expect("renders")
                    .as_str()
            )
        );
        c.bench_function(&format!("{name}/view_model"), |b| {
            b.iter(|| renderer.view_model(black_box(&input)))
        });
        c.bench_function(&format!("{name}/render"), |b| {
            b.iter(|| renderer.render(black_box(&input)).expect("render"))
        });
        c.bench_function(&format!("{name}/render_by_handlebars"), |b| {
            b.iter(|| {
                renderer
                    .render_by_handlebars(black_box(&input))
                    .expect("render")
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
