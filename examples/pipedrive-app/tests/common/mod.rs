//! Acceptance cases read from a folder of the repository, for the tests of the generated types.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::Value;

/// One acceptance case: its name, stage, submission, verdict and whether it expects warnings.
pub struct Case {
    pub name: String,
    pub stage: String,
    pub submission: Value,
    pub valid: bool,
    /// JSON Pointers the errors must be reported at (none when `expect.errors` is absent).
    pub errors: Vec<String>,
    pub warns: bool,
}

/// Every case in `dir` (relative to the repository root), sorted by file name; at least `least`.
pub fn cases(dir: &str, least: usize) -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(dir);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cases missing at {}: {e}", dir.display()))
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    assert!(
        paths.len() >= least,
        "expected the whole suite, found {}",
        paths.len()
    );
    paths
        .iter()
        .map(|p| {
            let text =
                std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let v: Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            Case {
                name: v["name"].as_str().expect("name").to_string(),
                stage: v["stage"].as_str().expect("stage").to_string(),
                submission: v["submission"].clone(),
                valid: v["expect"]["valid"].as_bool().expect("valid"),
                errors: v["expect"]["errors"]
                    .as_array()
                    .map(|es| {
                        es.iter()
                            .map(|e| e.as_str().expect("pointer").to_string())
                            .collect()
                    })
                    .unwrap_or_default(),
                warns: v["expect"]["warnings"]
                    .as_array()
                    .is_some_and(|w| !w.is_empty()),
            }
        })
        .collect()
}

/// `v` with every number as an `f64`: number fields are `f64` in Rust, so `20` comes back as `20.0`.
pub fn numbers_as_floats(v: &Value) -> Value {
    match v {
        Value::Number(n) => n.as_f64().map_or(Value::Null, |f| serde_json::json!(f)),
        Value::Array(a) => Value::Array(a.iter().map(numbers_as_floats).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), numbers_as_floats(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Deserializes every valid case with `round_trip` (by stage) and checks that those without
/// warnings come back unchanged (a case with warnings carries values the validator ignores,
/// which need not come back); the number of cases checked.
pub fn valid_cases_round_trip(
    cases: &[Case],
    round_trip: impl Fn(&str, &Value) -> Result<Value, serde_json::Error>,
) -> usize {
    let mut checked = 0;
    for c in cases.iter().filter(|c| c.valid) {
        let back = round_trip(&c.stage, &c.submission)
            .unwrap_or_else(|e| panic!("{}: does not deserialize: {e}", c.name));
        if !c.warns {
            assert_eq!(
                numbers_as_floats(&back),
                numbers_as_floats(&c.submission),
                "{}",
                c.name
            );
        }
        checked += 1;
    }
    checked
}
