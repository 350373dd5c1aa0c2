//! The generated GitHub Marketplace types (pricing plans as an enum of their variants) against
//! the acceptance cases (`tests/cases/github-marketplace`).

mod common;

use common::{cases, valid_cases_round_trip};
use pipedrive_app::github_marketplace::{MissingFields, PricingModel, draft, publish};
use serde_json::Value;

const CASES: &str = "tests/cases/github-marketplace";

fn case(name: &str) -> Value {
    cases(CASES, 20)
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case `{name}`"))
        .submission
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
    let checked = valid_cases_round_trip(&cases(CASES, 20), round_trip);
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
