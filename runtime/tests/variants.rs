//! Variants: a group item with a kind field and per-variant fields, one meaning in the validator
//! (from a tree and from bytes), the JSON Schema (`oneOf`) and the generated Rust (a tagged enum);
//! rules count a shared field across every variant.

mod common;
use common::*;
use formwork_runtime::Validator;
use serde_json::json;

/// App actions are links or JSON modals; `locations` is shared, so "at most 2 actions per view"
/// counts both variants.
const SPEC: &str = r#"
form: {id: t, title: T}
stages: [{id: save, label: Save}, {id: review, label: Review}]
lists:
  - id: views
    values: [{id: deals, label: Deals}, {id: people, label: People}]
sections:
  - id: s
    title: S
    fields:
      - id: app_actions
        label: App actions
        kind: group
        item_label: app action
        max_items: 6
        kind_field: type
        fields:
          - id: type
            label: Type
            kind: choice
            required: true
            values: [{id: link, label: Link}, {id: json_modal, label: JSON modal}]
          - {id: name, label: Name, kind: text, required: true, max_length: 30}
          - {id: locations, label: Locations, kind: choice, list: views, multiple: true}
        variants:
          link:
            - {id: url, label: URL, kind: url, required: review}
          json_modal:
            - {id: api_url, label: API endpoint, kind: url, required: review}
            - id: schema
              label: JSON schema
              kind: json
              required: review
              shown_when: {field: api_url, is: not_empty}
rules:
  - id: per_view
    max_per_value: {of: "app_actions[].locations", max: 2}
  - id: endpoints_use_https
    cel: "!has(self.app_actions) || self.app_actions.all(a, !has(a.api_url) || a.api_url.startsWith('https://'))"
"#;

fn form() -> formwork_schema::Form {
    formwork_schema::load_str("t.yaml", SPEC).expect("spec loads")
}

#[test]
fn each_variant_asks_for_its_own_fields_only() {
    let v = Validator::compile(&form()).expect("compiles");
    let link = json!({"type": "link", "name": "Open", "url": "https://a.example"});
    let modal = json!({"type": "json_modal", "name": "Edit", "api_url": "https://a.example/m", "schema": "{}"});
    assert_eq!(
        issue_pairs(&v, &json!({"app_actions": [link, modal]}), "review"),
        (vec![], vec![])
    );
    // Review asks a link for its URL, a modal for its endpoint; never the other's.
    let bare = json!({"app_actions": [{"type": "link", "name": "a"}, {"type": "json_modal", "name": "b"}]});
    assert_eq!(
        issue_pairs(&v, &bare, "review").0,
        [
            at("/app_actions/0/url", "required"),
            at("/app_actions/1/api_url", "required")
        ]
    );
    assert_eq!(issue_pairs(&v, &bare, "save").0, []);
    // A variant field's own condition still applies within the variant.
    let endpoint = json!({"app_actions": [{"type": "json_modal", "name": "b", "api_url": "https://a.example/m"}]});
    assert_eq!(
        issue_pairs(&v, &endpoint, "review").0,
        [at("/app_actions/0/schema", "required")]
    );
    // Another variant's value is ignored, with a warning, even when it would be invalid.
    let stray = json!({"app_actions": [{"type": "link", "name": "a", "url": "https://a.example", "schema": "not json"}]});
    assert_eq!(
        issue_pairs(&v, &stray, "review"),
        (vec![], vec![at("/app_actions/0/schema", "hidden")])
    );
    // The kind is required at every stage, and must be one of the variants.
    let kindless = json!({"app_actions": [{"name": "a"}, {"type": "menu", "name": "b"}]});
    let (errors, _) = issue_pairs(&v, &kindless, "save");
    assert_eq!(errors[0], at("/app_actions/0/type", "required_choice"));
    assert_eq!(errors[1].0, "/app_actions/1/type");
}

#[test]
fn a_rule_on_a_shared_field_counts_every_variant() {
    let v = Validator::compile(&form()).expect("compiles");
    let item = |t: &str, n: &str| json!({"type": t, "name": n, "locations": ["deals"]});
    let two = json!({"app_actions": [item("link", "a"), item("json_modal", "b")]});
    assert_eq!(issue_pairs(&v, &two, "save").0, []);
    let three =
        json!({"app_actions": [item("link", "a"), item("json_modal", "b"), item("link", "c")]});
    let (errors, _) = issue_pairs(&v, &three, "save");
    assert_eq!(
        errors,
        [at("/app_actions", "per_view")],
        "links and modals together"
    );
}

#[test]
fn the_json_schema_has_one_branch_per_variant() {
    let form = form();
    let review = formwork_codegen::json_schema::emit(&form, 1);
    let item = &review["properties"]["app_actions"]["items"];
    let branches = item["oneOf"].as_array().expect("oneOf");
    assert_eq!(branches.len(), 2);
    assert_eq!(branches[0]["properties"]["type"]["const"], "link");
    assert_eq!(branches[0]["required"], json!(["url"]));
    assert_eq!(branches[1]["properties"]["type"]["const"], "json_modal");
    assert_eq!(branches[1]["required"], json!(["api_url"]));
    // The modal's own condition is inside its branch.
    assert!(branches[1]["allOf"][0]["if"].is_object(), "{}", branches[1]);
    // Every variant's property is listed on the item, so no value is refused as unknown.
    for p in ["type", "name", "locations", "url", "api_url", "schema"] {
        assert!(item["properties"].get(p).is_some(), "{p}");
    }
    assert_eq!(item["required"], json!(["type", "name"]));
    // The schema agrees with the validator on each case.
    let schema = jsonschema::draft202012::new(&review).expect("a valid schema");
    let v = Validator::compile(&form).expect("compiles");
    for (case, valid) in [
        (
            json!({"app_actions": [{"type": "link", "name": "a", "url": "https://x.example"}]}),
            true,
        ),
        (
            json!({"app_actions": [{"type": "link", "name": "a"}]}),
            false,
        ),
        (
            json!({"app_actions": [{"type": "link", "name": "a", "url": "https://x.example", "api_url": 3}]}),
            true,
        ),
        (
            json!({"app_actions": [{"type": "json_modal", "name": "a", "api_url": "https://x.example"}]}),
            false,
        ),
        (
            json!({"app_actions": [{"type": "menu", "name": "a"}]}),
            false,
        ),
    ] {
        assert_eq!(schema.is_valid(&case), valid, "schema on {case}");
        assert_eq!(
            checked_from_bytes(&v, &case, "review").valid,
            valid,
            "validator on {case}"
        );
    }
}

#[test]
fn rust_types_are_a_tagged_enum_of_the_variants() {
    let code = formwork_codegen::rust::emit(&form());
    assert!(code.contains("#[serde(tag = \"type\")]"), "{code}");
    assert!(code.contains("Link(AppActionLink)"), "{code}");
    assert!(code.contains("JsonModal(AppActionJsonModal)"), "{code}");
    // In its variant, a field the stage requires is plain; its own condition makes it optional.
    let review = &code[code.find("pub mod review").expect("review module")..];
    assert!(review.contains("pub url: String"), "{review}");
    assert!(review.contains("pub api_url: String"), "{review}");
    assert!(review.contains("pub schema: Option<String>"), "{review}");
}

/// Rules read the submission without the values its conditions ignore: another variant's value,
/// even of the wrong type or one that would break the rule, neither stops nor fails them.
#[test]
fn rules_do_not_read_ignored_values() {
    let v = Validator::compile(&form()).expect("compiles");
    for stray in [json!(3), json!("http://plain.example")] {
        let link = json!({"app_actions": [{"type": "link", "name": "a", "api_url": stray}]});
        assert_eq!(
            issue_pairs(&v, &link, "save"),
            (vec![], vec![at("/app_actions/0/api_url", "hidden")]),
            "{link}"
        );
    }
    // Where the value counts, the rule reads it.
    let modal = json!({"app_actions": [{"type": "json_modal", "name": "a", "api_url": "http://plain.example"}]});
    assert_eq!(
        issue_pairs(&v, &modal, "save").0,
        [at("", "endpoints_use_https")]
    );
}
