//! Property tests: the validator never panics on any submission.
//! (Submissions built from valid parts are tested in `examples/pipedrive-app/tests/props.rs`,
//! where they also round-trip through the generated types.)

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
}
