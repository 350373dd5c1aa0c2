//! Arbitrary bytes as a JSON submission to the Pipedrive form, at every stage: the validator never
//! panics, and its report stays bounded.
#![no_main]

#[path = "common.rs"]
mod common;

use std::sync::OnceLock;

use formwork_runtime::Validator;
use libfuzzer_sys::fuzz_target;

fn validator() -> &'static Validator {
    static V: OnceLock<Validator> = OnceLock::new();
    V.get_or_init(|| {
        let form = common::form();
        Validator::compile(form).expect("the Pipedrive spec compiles")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let v = validator();
    for stage in ["save", "review"] {
        let stage = v.stage(stage).expect("stage");
        let report = v.validate(&value, stage);
        assert!(report.errors.len() + report.warnings.len() <= formwork_runtime::MAX_ISSUES + 1);
        let _ = v.validate_update(&value, &value, stage);
    }
});
