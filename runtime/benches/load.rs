//! Spec load (YAML parse + checks → IR) and compile (IR → validator plan), for the Pipedrive spec
//! and for synthetic specs of 500 / 1,000 / 2,000 fields (the cost per field should stay flat).
//!
//! `cargo bench -p formwork-runtime --bench load`

use criterion::{Criterion, criterion_group, criterion_main};
use formwork_runtime::Validator;
use std::hint::black_box;
use std::path::PathBuf;

/// A synthetic spec of `n` fields, like `benches/synthetic_spec.py`: every kind in turn, sections
/// of 50 fields each with a repeated group and an aggregate rule over it.
fn synthetic(n: usize) -> String {
    const KINDS: [&str; 10] = [
        "text",
        "long_text",
        "email",
        "url",
        "number",
        "boolean",
        "choice",
        "image",
        "json",
        "secret",
    ];
    let mut out = String::from(
        "form: {id: synthetic, title: Synthetic form}\nstages: [{id: draft, label: Save draft}, {id: final, label: Submit}]\nlists:\n  - id: colours\n    values: [{id: red, label: Red}, {id: green, label: Green}, {id: blue, label: Blue}]\nsections:\n",
    );
    let mut rules = String::from("rules:\n");
    for s in (0..n).step_by(50) {
        let g = s / 50;
        out.push_str(&format!(
            "  - id: section_{g}\n    title: Section {g}\n    fields:\n"
        ));
        for i in s..n.min(s + 50) {
            let kind = KINDS[i % KINDS.len()];
            let req = if i % 3 == 0 { "final" } else { "false" };
            let extra = match kind {
                "text" | "long_text" => ", max_length: 200",
                "number" => ", minimum: 0, maximum: 1000",
                "choice" => ", list: colours, multiple: true, max_items: 2",
                "image" => {
                    ", media_types: [image/png], max_bytes: 1048576, min_width: 16, min_height: 16"
                }
                "json" => ", json_type: object",
                _ => "",
            };
            out.push_str(&format!(
                "      - {{id: field_{i}, label: Field {i}, help: Help for field {i}, kind: {kind}, required: {req}{extra}}}\n"
            ));
        }
        out.push_str(&format!(
            "      - id: group_{g}\n        label: Group {g}\n        kind: group\n        fields:\n          - {{id: name, label: Name, kind: text, required: final, max_length: 30}}\n          - {{id: colours, label: Colours, kind: choice, list: colours, multiple: true}}\n"
        ));
        rules.push_str(&format!(
            "  - {{id: group_{g}_per_colour, max_per_value: {{of: \"group_{g}[].colours\", max: 3}}}}\n"
        ));
    }
    out + &rules
}

fn bench(c: &mut Criterion) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let pipedrive =
        std::fs::read_to_string(root.join("specs/pipedrive-app.yaml")).expect("the spec");
    let mut g = c.benchmark_group("pipedrive");
    g.bench_function("load", |b| {
        b.iter(|| formwork_schema::load_str("pipedrive-app.yaml", black_box(&pipedrive)))
    });
    let form = formwork_schema::load_str("pipedrive-app.yaml", &pipedrive).expect("loads");
    g.bench_function("compile", |b| {
        b.iter(|| Validator::compile(black_box(&form)))
    });
    g.bench_function("load_and_compile", |b| {
        b.iter(|| {
            let form = formwork_schema::load_str("pipedrive-app.yaml", black_box(&pipedrive))
                .expect("loads");
            Validator::compile(&form)
        })
    });
    g.finish();
    let mut g = c.benchmark_group("synthetic");
    g.sample_size(10);
    for n in [500, 1000, 2000] {
        let text = synthetic(n);
        formwork_schema::load_str("synthetic.yaml", &text).expect("the synthetic spec loads");
        g.bench_function(format!("load_{n}_fields"), |b| {
            b.iter(|| formwork_schema::load_str("synthetic.yaml", black_box(&text)))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
