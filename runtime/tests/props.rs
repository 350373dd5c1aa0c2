//! Property tests: the validator never panics on any submission.
//! (Submissions built from valid parts are tested in `examples/pipedrive-app/tests/props.rs`,
//! where they also round-trip through the generated types.)

mod common;
use common::*;
use proptest::prelude::*;
use serde_json::{Map, Value};

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
