//! The types generated from `tests/conditions/spec.yaml` (conditions on fields and on a section)
//! against its acceptance cases: conditional fields are `Option`s, so every valid case reads.
#![deny(warnings)]

mod common;

/// The generated types, in a private module.
#[allow(dead_code)]
mod t {
    include!(concat!(env!("OUT_DIR"), "/t.rs"));
}

use common::{cases, valid_cases_round_trip};
use serde_json::{Value, json};

fn round_trip(stage: &str, value: &Value) -> Result<Value, serde_json::Error> {
    match stage {
        "save" => serde_json::to_value(serde_json::from_value::<t::save::T>(value.clone())?),
        "review" => serde_json::to_value(serde_json::from_value::<t::review::T>(value.clone())?),
        other => panic!("unknown stage `{other}`"),
    }
}

#[test]
fn every_valid_case_round_trips_through_its_stage_model() {
    let checked = valid_cases_round_trip(&cases("tests/conditions/cases", 15), round_trip);
    assert!(checked >= 6, "{checked}");
}

#[test]
fn conditional_values_are_options_even_where_the_stage_requires_them() {
    // Review requires the JWT secret and the support email, but only under their conditions.
    let r: t::review::T = serde_json::from_value(json!({})).expect("nothing is always required");
    assert_eq!(r.jwt_secret, None);
    assert_eq!(r.support_email, None);
    let r: t::review::T =
        serde_json::from_value(json!({"offers_support": true, "support_email": "a@b.example"}))
            .expect("reads");
    assert_eq!(r.support_email.as_deref(), Some("a@b.example"));
}
