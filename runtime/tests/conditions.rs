//! Conditions: `required_when` and `shown_when`, one meaning in the validator (from a tree and
//! from bytes), the JSON Schema, the HTML hints and the generated Rust.

mod common;
use common::*;
use formwork_runtime::Validator;
use serde_json::{Value, json};

pub const SPEC: &str = include_str!("../../tests/conditions/spec.yaml");

fn validator() -> Validator {
    let form = formwork_schema::load_str("t.yaml", SPEC).expect("spec loads");
    Validator::compile(&form).expect("compiles")
}

#[test]
fn required_when_requires_only_when_the_condition_holds() {
    let v = validator();
    assert_eq!(issue_pairs(&v, &json!({}), "save").0, []);
    assert_eq!(
        issue_pairs(&v, &json!({}), "review").0,
        [at("/jwt_secret", "required")]
    );
    assert_eq!(
        issue_pairs(&v, &json!({"http_auth_username": "u"}), "review").0,
        []
    );
    assert_eq!(
        issue_pairs(&v, &json!({"http_auth_username": "  "}), "review").0,
        [at("/jwt_secret", "required")],
        "blank counts as empty"
    );
    assert_eq!(issue_pairs(&v, &json!({"jwt_secret": "s"}), "review").0, []);
    // Any of: a value, or a CEL condition on the object.
    assert_eq!(
        issue_pairs(&v, &json!({"http_auth_username": "admin"}), "save").0,
        [at("/notes", "required")]
    );
    let three = json!([{"name": "a"}, {"name": "b"}, {"name": "c"}]);
    assert_eq!(
        issue_pairs(&v, &json!({"jwt_secret": "s", "actions": three}), "save").0,
        [at("/notes", "required")]
    );
}

#[test]
fn shown_when_ignores_a_hidden_value_and_says_so() {
    let v = validator();
    let item = |kind: &str, schema: Option<&str>| {
        let mut i = json!({"name": "A", "type": kind});
        if let Some(s) = schema {
            i["schema"] = json!(s);
        }
        i
    };
    let base = |items: Vec<Value>| json!({"jwt_secret": "s", "actions": items});
    // A link: the schema is not asked for; one given is ignored (even too long) with a warning.
    let (errors, warnings) = issue_pairs(
        &v,
        &base(vec![item("link", Some("far too long a schema"))]),
        "review",
    );
    assert_eq!(errors, []);
    assert_eq!(warnings, [at("/actions/0/schema", "hidden")]);
    // A JSON modal: asked for, required at review, checked.
    let (errors, _) = issue_pairs(
        &v,
        &base(vec![item("link", None), item("json_modal", None)]),
        "review",
    );
    assert_eq!(errors, [at("/actions/1/schema", "required")]);
    assert_eq!(
        issue_pairs(&v, &base(vec![item("json_modal", None)]), "save").0,
        []
    );
    let (errors, _) = issue_pairs(
        &v,
        &base(vec![item("json_modal", Some("far too long a schema"))]),
        "review",
    );
    assert_eq!(errors, [at("/actions/0/schema", "max_length")]);
    // No type yet: the field is hidden.
    let (errors, warnings) = issue_pairs(&v, &base(vec![json!({"name": "A"})]), "review");
    assert_eq!((errors, warnings), (vec![], vec![]));
}

#[test]
fn the_json_schema_says_what_it_can_and_lists_the_rest() {
    let form = formwork_schema::load_str("t.yaml", SPEC).expect("spec loads");
    let review = formwork_codegen::json_schema::emit(&form, 1);
    jsonschema::draft202012::meta::validate(&review).expect("a valid 2020-12 schema");
    let s = jsonschema::validator_for(&review).expect("compiles");
    let modal = |schema: Option<&str>| {
        let mut i = json!({"name": "A", "type": "json_modal"});
        if let Some(x) = schema {
            i["schema"] = json!(x);
        }
        json!({"jwt_secret": "s", "actions": [i]})
    };
    // (submission, the validator's verdict, whether the schema can state it: `notes` is
    // required under a condition with a CEL part, which only `x-formwork-rules` lists).
    for (value, valid, stated) in [
        (json!({}), false, true),
        (json!({"http_auth_username": "u"}), true, true),
        (json!({"http_auth_username": " "}), false, true),
        (json!({"jwt_secret": "s"}), true, true),
        (json!({"http_auth_username": "admin"}), false, false),
        (
            json!({"http_auth_username": "admin", "notes": "n"}),
            true,
            true,
        ),
        (modal(None), false, true),
        (modal(Some("{}")), true, true),
        (
            json!({"jwt_secret": "s", "actions": [{"name": "A", "type": "link"}]}),
            true,
            true,
        ),
    ] {
        assert_eq!(
            check(&validator(), &value, "review").valid,
            valid,
            "validator on {value}"
        );
        // The schema agrees wherever it can state the condition, and is laxer elsewhere.
        let schema = s.is_valid(&value);
        if stated {
            assert_eq!(schema, valid, "schema on {value}");
        } else {
            assert!(schema, "schema on {value}: laxer, never stricter");
        }
    }
    let rules = review["x-formwork-rules"].as_array().expect("listed");
    let listed = |id: &str, path: &str| rules.iter().any(|r| r["id"] == id && r["path"] == path);
    assert!(
        !listed("required_when", "/jwt_secret"),
        "stated by if/then, not listed"
    );
    assert!(listed("shown_when", "/actions/*/schema"));
    assert!(
        listed("required_when", "/notes"),
        "CEL part listed: {rules:#?}"
    );
    // At save nothing is required: the if/then only carry the constraints of `shown_when`
    // fields (the support details' lengths).
    let save = formwork_codegen::json_schema::emit(&form, 0);
    let thens: Vec<&Value> = save["allOf"]
        .as_array()
        .map(|a| a.iter().map(|x| &x["then"]).collect())
        .unwrap_or_default();
    assert!(!thens.is_empty(), "{save:#}");
    assert!(
        thens.iter().all(|t| t.get("required").is_none()),
        "{save:#}"
    );
}

#[test]
fn html_hints_explain_the_conditions_and_rust_makes_them_options() {
    let form = formwork_schema::load_str("t.yaml", SPEC).expect("spec loads");
    let renderer =
        formwork_codegen::html::Renderer::new(&form, &formwork_codegen::html::Partials::builtin())
            .expect("renderer");
    let page = renderer
        .render(&formwork_codegen::html::RenderInput::new(
            &json!({"actions": [{"type": "link"}]}),
        ))
        .expect("renders");
    assert!(
        page.contains("Required when HTTP Auth username is empty."),
        "{page}"
    );
    assert!(
        page.contains("Only when Type is \u{201c}JSON modal\u{201d}. Required then."),
        "{page}"
    );
    assert!(!page.contains("id=\"f-jwt_secret\" aria-required=\"true\""));
    // With JavaScript, the served script shows and hides what `data-fw-shown-when` says.
    assert!(
        page.contains(
            "data-fw-shown-when=\"{&quot;equals&quot;:[&quot;type&quot;,&quot;json_modal&quot;]}\" data-fw-name=\"actions.0.schema\""
        ),
        "{page}"
    );
    assert!(page.contains("<script src=\"/assets/conditions.js\" defer></script>"));
    assert!(!page.contains("<script>"), "no inline script");
    let rust = formwork_codegen::rust::emit(&form);
    assert!(rust.contains("pub jwt_secret: Option<String>"), "{rust}");
}

/// Conditions on a section: `shown_when` asks for the whole section only when it holds (its
/// fields' values ignored otherwise), `required_when` makes its required fields required only
/// when it holds; each field's own condition still applies inside the section.
#[test]
fn section_conditions_apply_to_each_of_its_fields() {
    let spec = r#"
form: {id: t, title: T}
stages: [{id: save, label: Save}, {id: review, label: Review}]
sections:
  - id: a
    title: A
    fields:
      - {id: kind, label: Kind, kind: choice, values: [{id: shop, label: Shop}, {id: blog, label: Blog}]}
      - {id: paid, label: Paid, kind: boolean}
  - id: shop
    title: Shop
    shown_when: {field: kind, equals: shop}
    required_when: {field: paid, equals: true}
    fields:
      - {id: currency, label: Currency, kind: text, required: review, max_length: 3}
      - {id: notes, label: Notes, kind: text}
      - {id: vat, label: VAT number, kind: text, required: review, shown_when: {field: currency, equals: EUR}}
"#;
    let form = formwork_schema::load_str("t.yaml", spec).expect("loads");
    let section = &form.sections[1];
    assert!(section.shown_when.is_some() && section.required_when.is_some());
    assert!(
        form.field("notes")
            .is_some_and(|f| f.required_when.is_none()),
        "a field the section does not require stays optional"
    );
    let v = Validator::compile(&form).expect("compiles");
    // Not a shop: the section is not asked, its values are ignored.
    assert_eq!(
        issue_pairs(&v, &json!({"kind": "blog", "currency": "EURO"}), "review"),
        (vec![], vec![at("/currency", "hidden")])
    );
    // A shop, not paid: asked (limits hold), not required.
    assert_eq!(
        issue_pairs(&v, &json!({"kind": "shop", "currency": "EURO"}), "review").0,
        [at("/currency", "max_length")]
    );
    assert_eq!(issue_pairs(&v, &json!({"kind": "shop"}), "review").0, []);
    // A paid shop: required at review; the VAT number only for euros.
    assert_eq!(
        issue_pairs(&v, &json!({"kind": "shop", "paid": true}), "review").0,
        [at("/currency", "required")]
    );
    assert_eq!(
        issue_pairs(
            &v,
            &json!({"kind": "shop", "paid": true, "currency": "EUR"}),
            "review"
        )
        .0,
        [at("/vat", "required")]
    );
    assert_eq!(
        issue_pairs(&v, &json!({"kind": "shop", "paid": true}), "save").0,
        []
    );
    // The HTML says so once, on the section, and the script can hide it whole.
    let html = formwork_codegen::html::main_template(&form);
    assert!(
        html.contains("This section applies only when Kind is \u{201c}Shop\u{201d}. Its required questions are required only when Paid is true."),
        "{html}"
    );
    // The condition as JSON, its braces escaped for handlebars.
    assert!(html.contains("id=\"section-shop\" data-fw-shown-when=\"&#123;&quot;equals&quot;:[&quot;kind&quot;,&quot;shop&quot;]&#125;\" data-fw-name=\"shop\""), "{html}");
    // A section's condition names top-level fields, like a top-level field's.
    let bad = spec.replace(
        "{field: paid, equals: true}",
        "{field: payed, equals: true}",
    );
    let err = formwork_schema::load_str("t.yaml", &bad).expect_err("invalid");
    let d = &err.diagnostics()[0];
    assert!(
        d.message
            .contains("the condition of section `shop` names `payed`"),
        "{}",
        d.message
    );
    assert_eq!(d.help.as_deref(), Some("did you mean `paid`?"));
    assert_eq!((d.pos.line, d.pos.column), (13, 28));
}
