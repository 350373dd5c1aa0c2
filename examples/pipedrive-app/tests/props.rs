//! Property tests: submissions built from valid parts stay valid (runtime) and round-trip through
//! the generated Rust types of their stage.

use pipedrive_app::pipedrive_app::{Stage, review, save};
use proptest::prelude::*;
use serde_json::{Value, json};

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

fn full() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/cases/pipedrive/review-full.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str::<Value>(&text).expect("json")["submission"].clone()
}

fn round_trips<T: serde::de::DeserializeOwned + serde::Serialize>(
    v: &Value,
) -> Result<Value, String> {
    let typed: T = serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
    serde_json::to_value(&typed).map_err(|e| e.to_string())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn submissions_built_from_valid_parts_stay_valid(
        keep in prop::collection::vec(any::<bool>(), 32),
        actions in prop::collection::vec((prop::sample::subsequence(VIEWS.to_vec(), 1..4), "[A-Z][a-z]{0,10}( [a-z]{1,8}){0,2}"), 0..8),
        panels in prop::sample::subsequence(vec!["deal_details", "person_details", "organization_details"], 0..=3),
        categories in prop::sample::subsequence(vec!["scheduling", "calling_sms", "lead_generation", "data_enrichment"], 1..=2),
        name in "\\PC{1,40}".prop_filter("non-blank", |s| !s.trim().is_empty()),
    ) {
        let full = full();
        let mut s = full.clone();
        // Drop optional fields at random.
        for (i, k) in ["company", "youtube_video_url", "installation_instructions", "support_url", "support_email",
                        "documentation_url", "issue_tracker_url", "review_notifications", "app_actions", "app_panels"]
            .iter().enumerate() {
            if !keep[i] { s.as_object_mut().map(|m| m.remove(*k)); }
        }
        s["app_name"] = json!(name);
        s["categories"] = json!(categories);
        // At most 3 actions per view: keep an action only while all its views have room.
        let mut per_view = std::collections::HashMap::new();
        let mut acts = Vec::new();
        for (views, name) in actions {
            if views.iter().all(|v| per_view.get(v).copied().unwrap_or(0) < 3) {
                for v in &views { *per_view.entry(*v).or_insert(0) += 1; }
                acts.push(json!({"name": name, "url": "https://example.com/a", "locations": views}));
            }
        }
        s["app_actions"] = json!(acts);
        let panel = full["app_panels"][0].clone();
        s["app_panels"] = json!(panels.iter().map(|l| { let mut p = panel.clone(); p["location"] = json!(l); p }).collect::<Vec<_>>());
        let as_save: save::PipedriveApp = serde_json::from_value(s.clone()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let as_review: review::PipedriveApp = serde_json::from_value(s.clone()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        for (stage, report) in [("save", as_save.validate(Stage::Save)), ("review", as_review.validate(Stage::Review))] {
            prop_assert!(report.valid, "{} {:?}", stage, report.errors);
        }
        prop_assert_eq!(round_trips::<save::PipedriveApp>(&s), Ok(s.clone()));
        prop_assert_eq!(round_trips::<review::PipedriveApp>(&s), Ok(s.clone()));
    }
}
