//! Property tests: the validator never panics, and submissions built from valid parts stay valid.

mod common;
use common::*;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn arb_json() -> impl Strategy<Value = Value> {
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
fn field_key() -> impl Strategy<Value = String> {
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn random_submissions_never_panic(v in prop::collection::vec((field_key(), arb_json()), 0..20)) {
        let validator = validator();
        let submission = Value::Object(v.into_iter().collect::<Map<String, Value>>());
        for stage in ["save", "review"] {
            let r = check(&validator, &submission, stage);
            prop_assert_eq!(r.valid, r.errors.is_empty());
        }
    }

    #[test]
    fn mutating_a_valid_submission_never_panics(key in field_key(), value in arb_json()) {
        let validator = validator();
        let mut s = full();
        s[key.as_str()] = value;
        let _ = check(&validator, &s, "review");
    }

    #[test]
    fn submissions_built_from_valid_parts_stay_valid(
        keep in prop::collection::vec(any::<bool>(), 32),
        actions in prop::collection::vec((prop::sample::subsequence(VIEWS.to_vec(), 1..4), "[A-Z][a-z]{0,10}( [a-z]{1,8}){0,2}"), 0..8),
        panels in prop::sample::subsequence(vec!["deal_details", "person_details", "organization_details"], 0..=3),
        categories in prop::sample::subsequence(vec!["scheduling", "calling_sms", "lead_generation", "data_enrichment"], 1..=2),
        name in "\\PC{1,40}".prop_filter("non-blank", |s| !s.trim().is_empty()),
    ) {
        let validator = validator();
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
        for stage in ["save", "review"] {
            let r = check(&validator, &s, stage);
            prop_assert!(r.valid, "{} {:?}", stage, r.errors);
        }
    }
}

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
