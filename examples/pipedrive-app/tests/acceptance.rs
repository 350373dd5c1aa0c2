//! The generated Pipedrive types against the acceptance cases (`tests/cases/pipedrive`).

mod common;

use common::Case;
use pipedrive_app::pipedrive_app::{MissingFields, review, save};
use serde_json::Value;

/// Every Pipedrive acceptance case (`tests/cases/pipedrive`), sorted by name.
fn cases() -> Vec<Case> {
    common::cases("tests/cases/pipedrive", 40)
}

fn case(name: &str) -> Case {
    cases()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no acceptance case `{name}`"))
}

/// Deserializes `value` into the model of `stage` and serializes it back.
fn round_trip(stage: &str, value: &Value) -> Result<Value, serde_json::Error> {
    match stage {
        "save" => {
            serde_json::to_value(serde_json::from_value::<save::PipedriveApp>(value.clone())?)
        }
        "review" => serde_json::to_value(serde_json::from_value::<review::PipedriveApp>(
            value.clone(),
        )?),
        other => panic!("unknown stage `{other}`"),
    }
}

#[test]
fn every_valid_case_round_trips_through_its_stage_model() {
    let cases = cases();
    let valid: Vec<&Case> = cases.iter().filter(|c| c.valid).collect();
    assert!(valid.len() >= 8, "too few valid cases: {}", valid.len());
    let mut failures = Vec::new();
    for c in &valid {
        match round_trip(&c.stage, &c.submission) {
            Ok(back) if back == c.submission => {}
            Ok(back) => failures.push(format!(
                "{}: round trip changed the value:\n{back:#}",
                c.name
            )),
            Err(e) => failures.push(format!("{}: does not deserialize: {e}", c.name)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn unknown_fields_and_wrong_types_do_not_deserialize() {
    let err = round_trip("save", &case("save-unknown-field").submission)
        .expect_err("unknown field accepted");
    assert!(err.to_string().contains("unknown field `foo`"), "{err}");
    let err = round_trip("save", &case("save-wrong-type").submission)
        .expect_err("number accepted as text");
    assert!(
        err.to_string()
            .contains("invalid type: integer `123`, expected a string"),
        "{err}"
    );
}

#[test]
fn values_required_at_save_are_plain_fields() {
    for (name, field) in [
        ("save-missing-app-name", "app_name"),
        ("save-missing-callback", "callback_url"),
    ] {
        let err = round_trip("save", &case(name).submission).expect_err(name);
        assert!(
            err.to_string()
                .contains(&format!("missing field `{field}`")),
            "{name}: {err}"
        );
    }
}

#[test]
fn values_outside_the_lists_do_not_deserialize() {
    for name in [
        "review-unknown-category",
        "review-unknown-scope",
        "review-action-bad-location",
        "review-panel-bad-location",
    ] {
        let c = case(name);
        let err = round_trip("review", &c.submission).expect_err(name);
        assert!(err.to_string().contains("unknown variant"), "{name}: {err}");
        round_trip("save", &c.submission).expect_err(name);
    }
}

/// Parses a submission as a draft and converts it to the review model.
fn draft_to_review(value: &Value) -> Result<review::PipedriveApp, MissingFields> {
    let draft: save::PipedriveApp =
        serde_json::from_value(value.clone()).expect("parses as a draft");
    review::PipedriveApp::try_from(draft)
}

#[test]
fn review_full_converts_from_a_draft_to_the_same_record() {
    let c = case("review-full");
    let direct: review::PipedriveApp =
        serde_json::from_value(c.submission.clone()).expect("review model");
    let converted = draft_to_review(&c.submission).expect("complete draft converts");
    assert_eq!(converted, direct);
    assert_eq!(
        serde_json::to_value(&converted).expect("serializes"),
        c.submission
    );
}

#[test]
fn conversion_reports_every_missing_value_with_its_pointer() {
    let minimal = case("save-minimal");
    let err = draft_to_review(&minimal.submission).expect_err("a minimal draft is not reviewable");
    assert_eq!(err.stage, "review");
    assert_eq!(
        err.pointers,
        [
            "/short_summary",
            "/description",
            "/categories",
            "/app_icon",
            "/listing_images",
            "/access_scopes",
            "/website_url",
            "/terms_of_service_url",
            "/privacy_policy_url",
            "/main_contact_email",
            "/installation_scenarios",
            "/partner_agreement",
        ]
    );
    assert!(
        err.to_string()
            .starts_with("missing values required at stage `review`: /short_summary, /description"),
        "{err}"
    );

    // Nested: group items and object members report their own pointers, in field order.
    let mut draft = case("review-full").submission;
    draft["app_actions"]
        .as_array_mut()
        .expect("actions")
        .push(serde_json::json!({ "name": "Send invoice" }));
    draft["app_panels"][0]
        .as_object_mut()
        .expect("panel")
        .remove("location");
    draft["installation_scenarios"]
        .as_object_mut()
        .expect("scenarios")
        .remove("account_logged_out");
    draft.as_object_mut().expect("root").remove("website_url");
    let err = draft_to_review(&draft).expect_err("incomplete draft");
    assert_eq!(
        err.pointers,
        [
            "/app_actions/1/url",
            "/app_actions/1/locations",
            "/app_panels/0/location",
            "/website_url",
            "/installation_scenarios/account_logged_out",
        ]
    );
}

#[test]
fn presence_errors_of_the_acceptance_suite_match_the_conversion_pointers() {
    let mut checked = 0;
    for c in cases().iter().filter(|c| c.stage == "review") {
        let Ok(draft) = serde_json::from_value::<save::PipedriveApp>(c.submission.clone()) else {
            continue; // not a draft either (e.g. an unknown list value)
        };
        let direct = serde_json::from_value::<review::PipedriveApp>(c.submission.clone());
        match review::PipedriveApp::try_from(draft) {
            Ok(converted) => {
                let direct = direct
                    .unwrap_or_else(|e| panic!("{}: converts but does not parse: {e}", c.name));
                assert_eq!(converted, direct, "{}", c.name);
            }
            Err(missing) => {
                assert!(direct.is_err(), "{}: parses but does not convert", c.name);
                assert!(!c.valid, "{}: valid, yet {missing}", c.name);
                assert_eq!(missing.pointers, c.errors, "{}", c.name);
                checked += 1;
            }
        }
    }
    // review-missing-* (7), review-action-missing-url, review-panel-missing-password.
    assert_eq!(checked, 9, "presence cases checked");
}

#[test]
fn secrets_are_serialized_but_never_debug_printed() {
    let record: review::PipedriveApp =
        serde_json::from_value(case("review-full").submission).expect("review model");
    let panel = &record.app_panels.as_ref().expect("panels")[0];
    assert_eq!(panel.http_auth_password.expose(), "s3cret-Pa55");
    let debug = format!("{record:?}");
    assert!(!debug.contains("s3cret-Pa55"), "{debug}");
    assert!(
        debug.contains(r#"http_auth_password: Secret("***")"#),
        "{debug}"
    );
    let json = serde_json::to_value(panel).expect("serializes");
    assert_eq!(json["http_auth_password"], "s3cret-Pa55");
}

/// The generated `validate(&self, stage)` runs the spec's compiled validator, rules included.
#[test]
fn generated_types_validate_with_the_runtime() {
    use pipedrive_app::pipedrive_app::Stage;
    let full = case("review-full").submission;
    let record: review::PipedriveApp = serde_json::from_value(full).expect("review-full parses");
    let report = record.validate(Stage::Review);
    assert!(report.valid, "{:?}", report.errors);
    let four = case("review-four-actions-one-view").submission;
    let draft: save::PipedriveApp = serde_json::from_value(four).expect("parses as a draft");
    let report = draft.validate(Stage::Save);
    assert!(!report.valid);
    assert_eq!(report.errors[0].path, "/app_actions");
    assert_eq!(report.errors[0].code, "actions_per_view");
    assert_eq!(Stage::Review.id(), "review");
}
