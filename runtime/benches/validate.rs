//! Validation cost vs. the unavoidable cost of parsing the same submission with serde_json, and
//! vs. jsonschema-rs (all errors, `iter_errors`) on formwork's own exported schema of the stage.
//!
//! `cargo bench -p formwork-runtime` — groups `full` (the valid acceptance submission), `large`
//! (24 app actions, 3 panels, 5 images, 1,500-character texts) and their invalid variants
//! `full_invalid` / `large_invalid` (a wrong value in every field, about 40 / 100 errors), each
//! next to `parse` of the same JSON text (`serde_json::from_str::<Value>`), `validate_json`
//! (bytes in, report out, one pass) and `parse_and_validate` (the bounded parse, then
//! `validate`).

use criterion::{Criterion, criterion_group, criterion_main};
use formwork_runtime::Validator;
use serde_json::{Value, json};
use std::hint::black_box;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn full() -> Value {
    let text = std::fs::read_to_string(root().join("tests/cases/pipedrive/review-full.json"))
        .expect("acceptance case review-full.json");
    serde_json::from_str::<Value>(&text).expect("json")["submission"].clone()
}

fn large() -> Value {
    const VIEWS: [&str; 8] = [
        "activities_list",
        "deal_details",
        "deals_list",
        "person_details",
        "people_list",
        "organization_details",
        "organizations_list",
        "product_details",
    ];
    let mut s = full();
    let text = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(27);
    let text: String = text.chars().take(1500).collect();
    s["description"] = json!(text);
    s["installation_instructions"] = json!(text);
    s["app_actions"] = json!(
        (0..24)
            .map(|i| json!({
                "name": format!("Open record {i}"),
                "url": format!("https://www.randomawesomeapp.com/action/{i}"),
                "locations": [VIEWS[i % 8]],
            }))
            .collect::<Vec<_>>()
    );
    let panel = s["app_panels"][0].clone();
    s["app_panels"] = json!(
        ["deal_details", "person_details", "organization_details"]
            .iter()
            .map(|l| {
                let mut p = panel.clone();
                p["location"] = json!(l);
                p
            })
            .collect::<Vec<_>>()
    );
    let img = s["listing_images"][0].clone();
    s["listing_images"] = json!(vec![img; 5]);
    s
}

/// A wrong value in every field the submission has: texts too long or of the wrong format,
/// values outside their lists, numbers and booleans of the wrong type, files of the wrong size.
fn invalid(mut s: Value) -> Value {
    fn spoil(v: &mut Value) {
        match v {
            Value::String(t) if t.starts_with("http") => *t = "not a url".into(),
            Value::String(t) if t.contains('@') => *t = "not an email".into(),
            Value::String(t) => *t = format!("{}\u{7}", t.repeat(40)),
            Value::Bool(_) => *v = json!("yes"),
            Value::Number(_) => *v = json!(-1),
            Value::Array(items) => items.iter_mut().for_each(spoil),
            Value::Object(m) => m.values_mut().for_each(spoil),
            Value::Null => {}
        }
    }
    spoil(&mut s);
    s
}

fn bench(c: &mut Criterion) {
    let form = formwork_schema::load_file(root().join("specs/pipedrive-app.yaml")).expect("spec");
    let v = Validator::compile(&form).expect("compile");
    let schemas: Vec<jsonschema::Validator> = (0..form.stages.len())
        .map(|i| {
            jsonschema::validator_for(&formwork_codegen::json_schema::emit(&form, i))
                .expect("the exported schema compiles")
        })
        .collect();
    for (name, sub) in [
        ("full", full()),
        ("large", large()),
        ("full_invalid", invalid(full())),
        ("large_invalid", invalid(large())),
    ] {
        let text = serde_json::to_string(&sub).expect("serialize");
        let mut g = c.benchmark_group(name);
        g.bench_function("parse", |b| {
            b.iter(|| serde_json::from_str::<Value>(black_box(&text)).expect("parse"))
        });
        for stage in ["save", "review"] {
            let st = v.stage(stage).expect("stage");
            let report = v.validate(&sub, st);
            let schema = &schemas[st.index()];
            assert_eq!(
                report.valid,
                !name.ends_with("invalid"),
                "{name} at {stage}: {:?}",
                report.errors
            );
            if !report.valid {
                let n = schema.iter_errors(&sub).count();
                eprintln!(
                    "{name} at {stage}: formwork {} errors, jsonschema-rs {n}",
                    report.errors.len()
                );
            }
            g.bench_function(format!("validate_{stage}"), |b| {
                b.iter(|| v.validate(black_box(&sub), st))
            });
            assert_eq!(
                v.validate_json(text.as_bytes(), st).expect("reads"),
                report,
                "{name} at {stage}: validating from bytes gives the same report"
            );
            g.bench_function(format!("validate_json_{stage}"), |b| {
                b.iter(|| v.validate_json(black_box(text.as_bytes()), st))
            });
            g.bench_function(format!("parse_and_validate_{stage}"), |b| {
                b.iter(|| {
                    let value = formwork_runtime::json::from_slice(black_box(text.as_bytes()))
                        .expect("parse");
                    v.validate(&value, st)
                })
            });
            g.bench_function(format!("jsonschema_rs_{stage}"), |b| {
                b.iter(|| schema.iter_errors(black_box(&sub)).count())
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
