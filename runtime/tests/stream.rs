//! Validating from bytes (`Validator::validate_json`, one pass, no tree) gives exactly the report
//! of `Validator::validate` on the parsed value: issue for issue, in order, at every stage, and
//! fails to read exactly when `json::from_slice` does.

mod common;
use common::*;
use formwork_runtime::Validator;
use formwork_runtime::json::{ReadError, from_slice};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Asserts that both ways agree on `bytes` at every stage of `v`; returns how many errors the
/// last stage reported (so tests can check they exercised something).
fn same(v: &Validator, bytes: &[u8]) -> usize {
    let mut errors = 0;
    for stage in &v.form().stages {
        let stage = v.stage(&stage.id).expect("stage");
        let streamed = v.validate_json(bytes, stage);
        let tree = from_slice(bytes).map(|value| v.validate(&value, stage));
        match (streamed, tree) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a, b, "{}", String::from_utf8_lossy(bytes));
                errors = a.errors.len();
            }
            (Err(ReadError::TooManyValues), Err(ReadError::TooManyValues)) => {}
            (Err(ReadError::Syntax(_)), Err(ReadError::Syntax(_))) => {}
            (a, b) => panic!(
                "streamed {:?} but tree {:?} for {}",
                a.map(|r| r.errors.len()),
                b.map(|r| r.errors.len()),
                String::from_utf8_lossy(bytes)
            ),
        }
    }
    errors
}

/// `value` as JSON with every `a` and `é` inside strings (keys included) written as a `\u`
/// escape, so that the parser cannot lend them from the input.
fn escaped(value: &Value) -> Vec<u8> {
    let text = serde_json::to_string(value).expect("serialises");
    let mut out = String::with_capacity(text.len() * 2);
    let (mut in_string, mut escape) = (false, false);
    for c in text.chars() {
        match c {
            _ if escape => {
                escape = false;
                out.push(c);
            }
            '\\' if in_string => {
                escape = true;
                out.push(c);
            }
            '"' => {
                in_string = !in_string;
                out.push(c);
            }
            'a' | 'é' if in_string => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            _ => out.push(c),
        }
    }
    out.into_bytes()
}

/// Each way of writing `value`: compact, pretty, escaped.
fn writings(value: &Value) -> [Vec<u8>; 3] {
    [
        serde_json::to_vec(value).expect("serialises"),
        serde_json::to_vec_pretty(value).expect("serialises"),
        escaped(value),
    ]
}

#[test]
fn every_acceptance_case_gets_the_same_report() {
    let v = validator();
    let mut with_errors = 0;
    for entry in std::fs::read_dir(cases_dir()).expect("cases") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let case: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
        for bytes in writings(&case["submission"]) {
            if same(&v, &bytes) > 0 {
                with_errors += 1;
            }
        }
    }
    assert!(with_errors > 30, "the cases exercise errors: {with_errors}");
}

#[test]
fn keys_given_twice_keep_the_last_value_as_the_tree_does() {
    let v = validator();
    for text in [
        r#"{"app_name": "Bad", "app_name": 5}"#,
        r#"{"app_name": 5, "app_name": "Good"}"#,
        r#"{"nope": 1, "nope": 2}"#,
        r#"{"app_actions": [{"name": "A", "name": 3, "locations": ["deals_list"]}]}"#,
        r#"{"app_actions": [{"locations": ["deals_list"], "locations": "x"}]}"#,
        r#"{"app_icon": {"name": "i.png", "name": "j.png", "media_type": "image/png", "size": 1, "width": 256, "height": 256}}"#,
        r#"{"app_icon": {"x": 1, "x": 2}}"#,
    ] {
        same(&v, text.as_bytes());
    }
}

#[test]
fn unreadable_documents_fail_the_same_way() {
    let v = validator();
    let many = format!(
        "[{}]",
        vec!["{}"; formwork_runtime::json::MAX_JSON_VALUES].join(",")
    );
    let many_in_field = format!(
        r#"{{"app_name": [{}]}}"#,
        vec!["1"; formwork_runtime::json::MAX_JSON_VALUES].join(",")
    );
    let many_actions = format!(
        r#"{{"app_actions": [{}]}}"#,
        vec![r#"{"locations": ["deals_list"]}"#; 6000].join(",")
    );
    for text in [
        many.as_str(),
        &many_in_field,
        &many_actions,
        "",
        "{",
        r#"{"app_name": }"#,
        "{} x",
        r#"{"app_name": "unterminated}"#,
        &format!("{}{}", "[".repeat(200), "]".repeat(200)),
        "[]",
        "7",
        "null",
        r#""text""#,
    ] {
        same(&v, text.as_bytes());
    }
}

#[test]
fn reports_past_the_issue_limit_are_the_same() {
    let v = validator();
    let actions: Vec<Value> = (0..2000)
        .map(|i| json!({"name": i, "url": false, "locations": ["nowhere", 1]}))
        .collect();
    let items_past_limit = json!({"app_actions": actions});
    let unknown: serde_json::Map<String, Value> =
        (0..1500).map(|i| (format!("k{i}"), json!(i))).collect();
    for value in [items_past_limit, Value::Object(unknown)] {
        for bytes in writings(&value) {
            assert!(same(&v, &bytes) > 0);
        }
    }
}

#[test]
fn counting_rules_see_the_items_past_the_checked_ones() {
    let v = validator();
    let mut s = full();
    let action = json!({"name": "A", "url": "https://example.com/a", "locations": ["deals_list", "deals_list", 3]});
    s["app_actions"] = Value::Array(vec![action; 30]);
    s["app_panels"] = json!([{"name": "P", "url": "https://example.com/p", "location": "deal_details"}, "x", {"location": ["deal_details"]}]);
    for bytes in writings(&s) {
        assert!(same(&v, &bytes) > 0);
    }
}

/// A spec whose rules read fields (CEL), whose checks are CEL, and whose group is counted.
const CEL_SPEC: &str = r#"
form: {id: t, title: T}
stages: [{id: draft, label: Draft}, {id: final, label: Final}]
lists:
  - id: colours
    values: [{id: red, label: Red}, {id: blue, label: Blue}]
sections:
  - id: a
    title: A
    fields:
      - {id: low, label: Low, kind: number}
      - {id: high, label: High, kind: number, required: [final]}
      - id: code
        label: Code
        kind: text
        max_length: 20
        checks:
          - cel: "value.startsWith('X-')"
            message: "{label} must start with X-"
          - sentence_case: true
            severity: warning
            stages: [draft]
      - id: tags
        label: Tags
        kind: group
        max_items: 5
        item_label: tag
        fields:
          - {id: name, label: Name, kind: text, required: true, max_length: 10}
          - {id: colours, label: Colours, kind: choice, list: colours, multiple: true}
          - {id: note, label: Note, kind: text, max_length: 20, checks: [{cel: "size(value) > 1"}]}
      - id: pins
        label: Pins
        kind: group
        max_items: 3
        item_label: pin
        fields:
          - {id: colour, label: Colour, kind: choice, list: colours}
rules:
  - id: ordered
    cel: "!has(self.low) || !has(self.high) || self.low <= self.high"
    field: high
    message: High must not be below low
  - id: colour_use
    max_per_value: {of: "tags[].colours", max: 2}
  - id: colour_total
    max_total: {of: "tags[].colours", max: 3}
    stages: final
  - id: colour_everywhere
    max_per_value: {of: ["tags[].colours", "pins[].colour"], max: 3}
  - id: noted_tags
    each: tags
    cel: "!has(item.note) || item.note != 'no'"
    field: note
    message_expression: "'tag ' + item.name + ' says no'"
"#;

fn cel_validator(spec: &str) -> Validator {
    let form = formwork_schema::load_str("t.yaml", spec).expect("spec loads");
    Validator::compile(&form).expect("compiles")
}

#[test]
fn rules_that_read_fields_checks_in_cel_and_counted_groups_agree() {
    let whole = CEL_SPEC.replace(
        "!has(self.low) || !has(self.high) || self.low <= self.high",
        "size(self) < 100 && (!has(self.low) || !has(self.high) || self.low <= self.high)",
    );
    for v in [cel_validator(CEL_SPEC), cel_validator(&whole)] {
        let tag = |n: &str, c: Value| json!({"name": n, "colours": c, "note": "ok"});
        for value in [
            json!({"low": 1, "high": 2, "code": "X-1"}),
            json!({"low": 3, "high": 2.5, "code": "Y x", "tags": [tag("a", json!(["red", "red", "blue"])), tag("b", json!(["red"])), tag("c", json!(["red", "blue"]))]}),
            json!({"low": "3", "high": null, "code": 4, "tags": [tag("", json!("red")), 5, tag("d", json!([1, "green"])), {"note": "x"}, tag("e", json!([])), tag("f", json!(["blue"])), tag("g", json!(["blue"]))]}),
            json!({"tags": {"name": "x"}, "extra": [1, {"a": 2}]}),
            json!({"tags": [tag("a", json!(["red"])), tag("b", json!(["red", "blue"]))], "pins": [{"colour": "red"}, {"colour": "red"}, {"colour": ["red"]}, {"colour": "red"}, {"colour": "blue"}]}),
            json!({"pins": [{"colour": "red"}, 3, {"colour": "red", "colour": "blue"}], "tags": [tag("a", json!(["red", "red"]))]}),
            json!({"tags": [{"name": "a", "note": "no"}, {"note": "no"}, {"name": "b", "note": "yes"}, 4]}),
        ] {
            for bytes in writings(&value) {
                same(&v, &bytes);
            }
        }
    }
}

/// Every JSON Pointer into `v`, the root included.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                pointers(
                    x,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                pointers(x, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_submissions_get_the_same_report(v in prop::collection::vec((field_key(), arb_json()), 0..20)) {
        let validator = validator();
        let value = Value::Object(v.into_iter().collect());
        for bytes in writings(&value) {
            same(&validator, &bytes);
        }
    }

    #[test]
    fn a_valid_submission_changed_anywhere_gets_the_same_report(
        at in any::<prop::sample::Index>(),
        value in arb_json(),
    ) {
        let validator = validator();
        let mut s = full();
        let mut all = Vec::new();
        pointers(&s, String::new(), &mut all);
        let target = &all[at.index(all.len())];
        if let Some(slot) = s.pointer_mut(target) {
            *slot = value;
        }
        for bytes in writings(&s) {
            same(&validator, &bytes);
        }
    }

    #[test]
    fn random_submissions_to_a_cel_spec_get_the_same_report(v in prop::collection::vec(
        (prop::sample::select(vec!["low", "high", "code", "tags", "pins", "x"]), arb_json()), 0..6)) {
        let validator = cel_validator(CEL_SPEC);
        let value = Value::Object(v.into_iter().map(|(k, x)| (k.to_string(), x)).collect());
        for bytes in writings(&value) {
            same(&validator, &bytes);
        }
    }

    /// Groups counted together by one rule, and one of them by two: random colours in random items.
    #[test]
    fn groups_counted_together_get_the_same_report(
        tags in prop::collection::vec(prop::collection::vec(prop::sample::select(vec!["red", "blue", "green"]), 0..4), 0..7),
        pins in prop::collection::vec(prop::sample::select(vec!["red", "blue", "green"]), 0..6),
    ) {
        let validator = cel_validator(CEL_SPEC);
        let value = json!({
            "tags": tags.iter().map(|c| json!({"name": "t", "colours": c})).collect::<Vec<_>>(),
            "pins": pins.iter().map(|c| json!({"colour": c})).collect::<Vec<_>>(),
        });
        for bytes in writings(&value) {
            same(&validator, &bytes);
        }
    }
}
