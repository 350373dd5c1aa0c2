//! Shared helpers for runtime tests: the Pipedrive spec, its validator and acceptance cases.
#![allow(dead_code)]

use std::path::PathBuf;

use formwork_runtime::{Report, Validator};
use serde_json::Value;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn validator() -> Validator {
    let form = formwork_schema::load_file(root().join("specs/pipedrive-app.yaml"))
        .expect("Pipedrive spec loads");
    Validator::compile(&form).expect("Pipedrive spec compiles")
}

pub fn cases_dir() -> PathBuf {
    let dir = root().join("tests/cases/pipedrive");
    assert!(
        dir.is_dir(),
        "acceptance cases missing at {}",
        dir.display()
    );
    dir
}

pub fn case(name: &str) -> Value {
    let text =
        std::fs::read_to_string(cases_dir().join(format!("{name}.json"))).expect("case readable");
    serde_json::from_str(&text).expect("case is JSON")
}

/// The full valid review submission.
pub fn full() -> Value {
    case("review-full")["submission"].clone()
}

pub fn check(v: &Validator, submission: &Value, stage: &str) -> Report {
    let stage = v.stage(stage).expect("known stage");
    v.validate(submission, stage)
}

pub fn error_paths(r: &Report) -> Vec<&str> {
    r.errors.iter().map(|e| e.path.as_str()).collect()
}

pub fn codes(r: &Report) -> Vec<&str> {
    r.errors.iter().map(|e| e.code.as_str()).collect()
}
