//! The generated GitHub Marketplace types (pricing plans as an enum of their variants) against
//! the acceptance cases (`tests/cases/github-marketplace`).

use std::path::{Path, PathBuf};

use pipedrive_app::github_marketplace::{MissingFields, PricingModel, draft, publish};
use serde_json::Value;

/// One acceptance case: its name, stage, submission, verdict and whether it expects warnings.
struct Case {
    name: String,
    stage: String,
    submission: Value,
    valid: bool,
    warns: bool,
}

fn cases() -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/cases/github-marketplace");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cases missing at {}: {e}", dir.display()))
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    assert!(
        paths.len() >= 20,
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
                warns: v["expect"]["warnings"]
                    .as_array()
                    .is_some_and(|w| !w.is_empty()),
            }
        })
        .collect()
}

fn case(name: &str) -> Value {
    cases()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case `{name}`"))
        .submission
}

/// `v` with every number as an `f64`: prices are `f64` in Rust, so `20` comes back as `20.0`.
fn numbers_as_floats(v: &Value) -> Value {
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

fn round_trip(stage: &str, value: &Value) -> Result<Value, serde_json::Error> {
    match stage {
        "draft" => serde_json::to_value(serde_json::from_value::<draft::GithubMarketplace>(
            value.clone(),
        )?),
        "publish" => serde_json::to_value(serde_json::from_value::<publish::GithubMarketplace>(
            value.clone(),
        )?),
        other => panic!("unknown stage `{other}`"),
    }
}

#[test]
fn every_valid_case_round_trips_through_its_stage_model() {
    let mut checked = 0;
    for c in cases().into_iter().filter(|c| c.valid) {
        let back = round_trip(&c.stage, &c.submission)
            .unwrap_or_else(|e| panic!("{}: does not deserialize: {e}", c.name));
        // A case with warnings carries values the validator ignores: they are not read back.
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
    assert!(checked >= 10, "{checked}");
}

#[test]
fn plans_are_an_enum_tagged_by_their_pricing_model() {
    let listing: publish::GithubMarketplace =
        serde_json::from_value(case("publish-full-listing")).expect("valid listing");
    let models: Vec<PricingModel> = listing.plans.iter().map(|p| p.pricing_model()).collect();
    assert_eq!(
        models,
        [
            PricingModel::Free,
            PricingModel::FlatRate,
            PricingModel::PerUnit
        ]
    );
    match &listing.plans[1] {
        publish::Plan::FlatRate(p) => {
            assert_eq!((p.monthly_price, p.yearly_price), (20.0, 200.0));
            assert_eq!(p.free_trial, Some(true));
        }
        other => panic!("a flat-rate plan, not {other:?}"),
    }
    match &listing.plans[2] {
        publish::Plan::PerUnit(p) => assert_eq!(p.unit_name, "seat"),
        other => panic!("a per-unit plan, not {other:?}"),
    }
    // The tag comes back as it was written.
    let back = serde_json::to_value(&listing.plans[2]).expect("serializes");
    assert_eq!(back["pricing_model"], "per_unit");
}

#[test]
fn values_of_other_variants_are_not_read() {
    let listing: publish::GithubMarketplace =
        serde_json::from_value(case("publish-other-variants-fields-are-ignored"))
            .expect("the validator ignores them, and so do the types");
    let back = serde_json::to_value(&listing.plans[0]).expect("serializes");
    assert!(back.get("monthly_price").is_none(), "{back}");
    assert!(back.get("unit_name").is_none(), "{back}");
}

#[test]
fn unknown_or_missing_pricing_models_do_not_deserialize() {
    for name in [
        "draft-unknown-pricing-model",
        "draft-plan-must-say-its-model",
    ] {
        assert!(
            serde_json::from_value::<draft::GithubMarketplace>(case(name)).is_err(),
            "{name}"
        );
    }
}

#[test]
fn a_draft_converts_to_publish_variant_by_variant() {
    let full: draft::GithubMarketplace = serde_json::from_value(case("publish-full-listing"))
        .expect("a full listing is a draft too");
    let published = publish::GithubMarketplace::try_from(full).expect("nothing missing");
    assert!(matches!(published.plans[2], publish::Plan::PerUnit(_)));

    let partial: draft::GithubMarketplace =
        serde_json::from_value(case("draft-flat-rate-prices-can-wait")).expect("valid draft");
    let err: MissingFields =
        publish::GithubMarketplace::try_from(partial).expect_err("the yearly price is missing");
    assert_eq!(err.stage, "publish");
    assert_eq!(err.pointers, ["/plans/1/yearly_price"]);
}
