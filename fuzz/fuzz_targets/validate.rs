//! Arbitrary bytes as a JSON submission to the Pipedrive form, at every stage: the validator never
//! panics, its report stays bounded, and validating from the bytes in one pass
//! (`validate_json`) gives exactly the report of validating the parsed value, or fails to read
//! exactly when parsing does.
#![no_main]

#[path = "common.rs"]
mod common;

use std::sync::OnceLock;

use formwork_runtime::Validator;
use formwork_runtime::json::ReadError;
use libfuzzer_sys::fuzz_target;

fn validator() -> &'static Validator {
    static V: OnceLock<Validator> = OnceLock::new();
    V.get_or_init(|| {
        let form = common::form();
        Validator::compile(form).expect("the Pipedrive spec compiles")
    })
}

fuzz_target!(|data: &[u8]| {
    let v = validator();
    let parsed = formwork_runtime::json::from_slice(data);
    for stage in ["save", "review"] {
        let stage = v.stage(stage).expect("stage");
        let streamed = v.validate_json(data, stage);
        let value = match (&parsed, streamed) {
            (Ok(value), Ok(streamed)) => {
                let report = v.validate(value, stage);
                assert_eq!(streamed, report, "validate_json differs from validate");
                assert!(
                    report.errors.len() + report.warnings.len() <= formwork_runtime::MAX_ISSUES + 1
                );
                value
            }
            (Err(ReadError::Syntax(_)), Err(ReadError::Syntax(_)))
            | (Err(ReadError::TooManyValues), Err(ReadError::TooManyValues)) => continue,
            (a, b) => panic!("parse {:?} but validate_json {:?}", a.is_ok(), b.is_ok()),
        };
        let _ = v.validate_update(value, value, stage);
    }
});
