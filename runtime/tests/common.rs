//! Shared helpers for runtime tests: the Pipedrive spec, its validator and acceptance cases.
#![allow(dead_code)]

use std::path::PathBuf;

use formwork_runtime::{Report, Validator};
use proptest::prelude::*;
use serde_json::{Value, json};

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

/// Any JSON value, biased towards the Pipedrive spec's keys and values.
pub fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
        Just(json!("https://www.youtube.com/watch?v=1")),
        Just(json!("deal_details")),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((field_key(), inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Keys that are mostly real field names (so the walk goes deep), sometimes not.
pub fn field_key() -> impl Strategy<Value = String> {
    let full = full();
    let mut keys: Vec<String> = full
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    keys.extend(
        [
            "name",
            "url",
            "locations",
            "location",
            "media_type",
            "size",
            "width",
            "height",
            "no_account",
        ]
        .map(String::from),
    );
    prop_oneof![4 => prop::sample::select(keys), 1 => "[a-z/~]{1,8}"]
}

/// The report on `value` at `stage`, which reading its bytes gives too.
pub fn checked_from_bytes(v: &Validator, value: &Value, stage: &str) -> Report {
    let r = check(v, value, stage);
    let bytes = serde_json::to_vec(value).expect("json");
    let streamed = v
        .validate_json(&bytes, v.stage(stage).expect("stage"))
        .expect("readable");
    assert_eq!(streamed, r, "{stage}: {value}");
    r
}

/// (JSON Pointer, code) of each issue.
pub type Found = Vec<(String, String)>;

/// Errors and warnings as (path, code), reading the tree and the bytes alike.
pub fn issue_pairs(v: &Validator, value: &Value, stage: &str) -> (Found, Found) {
    let r = checked_from_bytes(v, value, stage);
    let pairs = |is: &[formwork_runtime::Issue]| -> Found {
        is.iter()
            .map(|i| (i.path.clone(), i.code.clone()))
            .collect()
    };
    (pairs(&r.errors), pairs(&r.warnings))
}

/// One (path, code) pair.
pub fn at(path: &str, code: &str) -> (String, String) {
    (path.to_string(), code.to_string())
}
