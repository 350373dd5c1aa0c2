//! The JSON Schema emitter: meta-schema validity, the Pipedrive acceptance cases, determinism,
//! stage-dependent presence, the rules left to the runtime, and a snapshot of the contact form.

use std::collections::BTreeMap;
use std::path::PathBuf;

use formwork_codegen::json_schema::{Dialect, emit, emit_dialect, emit_string};
use formwork_schema::Form;
use serde_json::{Value, json};

fn pipedrive() -> Form {
    formwork_schema::load_file(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../specs/pipedrive-app.yaml"
    ))
    .expect("specs/pipedrive-app.yaml loads")
}

fn contact() -> Form {
    formwork_schema::load_file(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../specs/contact.yaml"
    ))
    .expect("specs/contact.yaml loads")
}

fn github() -> Form {
    formwork_schema::load_file(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../specs/github-marketplace.yaml"
    ))
    .expect("specs/github-marketplace.yaml loads")
}

fn stage(form: &Form, id: &str) -> usize {
    form.stage_index(id)
        .unwrap_or_else(|| panic!("form {} has no stage {id}", form.id))
}

/// `urn:formwork:FORM:VERSION:STAGE` of a versioned form.
fn versioned_id(form: &Form, stage: &str) -> String {
    let version = form.version.as_deref().expect("versioned");
    format!("urn:formwork:{}:{version}:{stage}", form.id)
}

/// A validator of the schema, with `format` asserted (as the acceptance script's external check does).
fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(schema)
        .unwrap_or_else(|e| panic!("schema does not compile: {e}"))
}

/// Every error the validator reports, as `POINTER: message` lines.
fn errors(v: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    v.iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

struct Case {
    name: String,
    stage: String,
    submission: Value,
    valid: bool,
    expressible: bool,
    errors: Vec<String>,
}

/// The Pipedrive acceptance cases; panics when the folder is missing or empty.
fn cases() -> Vec<Case> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/cases/pipedrive");
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("acceptance cases not found at {}: {e}", dir.display()));
    let mut paths: Vec<PathBuf> = entries
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    assert!(
        !paths.is_empty(),
        "no acceptance cases in {}",
        dir.display()
    );
    paths
        .iter()
        .map(|p| {
            let text =
                std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let c: Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            Case {
                name: c["name"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{}: no name", p.display()))
                    .to_string(),
                stage: c["stage"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{}: no stage", p.display()))
                    .to_string(),
                submission: c["submission"].clone(),
                valid: c["expect"]["valid"]
                    .as_bool()
                    .unwrap_or_else(|| panic!("{}: no expect.valid", p.display())),
                expressible: c["schema_expressible"].as_bool().unwrap_or(false),
                errors: c["expect"]["errors"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(String::from)
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// `review-full`'s submission, a valid review submission to mutate.
fn full_submission() -> Value {
    cases()
        .into_iter()
        .find(|c| c.name == "review-full")
        .expect("case review-full exists")
        .submission
}

#[test]
fn schemas_are_valid_draft_2020_12() {
    for form in [pipedrive(), contact(), github()] {
        for (i, s) in form.stages.iter().enumerate() {
            let schema = emit(&form, i);
            assert_eq!(
                schema["$schema"],
                "https://json-schema.org/draft/2020-12/schema"
            );
            assert_eq!(schema["$id"], versioned_id(&form, &s.id));
            if let Err(e) = jsonschema::draft202012::meta::validate(&schema) {
                panic!(
                    "{} stage {}: not a valid 2020-12 schema: {e} at {}",
                    form.id,
                    s.id,
                    e.instance_path()
                );
            }
            validator(&schema);
        }
    }
}

/// A validator of `form`'s schema at `stage` in `dialect`, with formats asserted, and the paths
/// of the rules the dialect moved to `x-formwork-rules`. OpenAPI 3.0's schema objects are a
/// draft-04 dialect: the document is the root resource and the form's component is `$ref`ed.
fn dialect_validator(
    form: &Form,
    stage: usize,
    dialect: Dialect,
) -> (jsonschema::Validator, Vec<String>) {
    let emitted = emit_dialect(form, stage, dialect);
    let moved = emitted.moved.iter().map(|m| m.path.clone()).collect();
    let options = match dialect {
        Dialect::Draft2020_12 => jsonschema::draft202012::options(),
        Dialect::Draft07 => jsonschema::draft7::options(),
        Dialect::OpenApi30 => jsonschema::draft4::options(),
    };
    let mut schema = emitted.schema;
    if dialect == Dialect::OpenApi30 {
        let name = schema["components"]["schemas"]
            .as_object()
            .and_then(|m| m.iter().find(|(_, s)| s["type"] == "object"))
            .map(|(n, _)| n.clone())
            .expect("the form's schema is a component");
        schema["$ref"] = format!("#/components/schemas/{name}").into();
    }
    let v = options
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{dialect} schema does not compile: {e}"));
    (v, moved)
}

/// Every case agrees with the dialect's schema: valid ones pass, invalid ones the schema can
/// express fail, except where the expected error sits at a rule the dialect had to move.
fn cases_agree(dialect: Dialect) {
    let form = pipedrive();
    let mut validators = BTreeMap::new();
    let mut failures = Vec::new();
    let cases = cases();
    for c in &cases {
        let (v, moved) = validators
            .entry(c.stage.clone())
            .or_insert_with(|| dialect_validator(&form, stage(&form, &c.stage), dialect));
        let errs = errors(v, &c.submission);
        let lost = c.errors.iter().any(|e| {
            moved
                .iter()
                .any(|p| p == e || p.starts_with(&format!("{e}/")))
        });
        if c.valid && !errs.is_empty() {
            failures.push(format!(
                "{} [{}]: valid case rejected: {errs:?}",
                c.name, c.stage
            ));
        } else if !c.valid && c.expressible && !lost && errs.is_empty() {
            failures.push(format!(
                "{} [{}]: invalid case (schema_expressible) accepted",
                c.name, c.stage
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{dialect}: {} of {} cases disagree:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert!(
        validators.contains_key("save") && validators.contains_key("review"),
        "cases cover both stages"
    );
}

#[test]
fn acceptance_cases_agree() {
    cases_agree(Dialect::Draft2020_12);
}

#[test]
fn acceptance_cases_agree_with_draft_07() {
    cases_agree(Dialect::Draft07);
}

#[test]
fn acceptance_cases_agree_with_openapi_3_0() {
    cases_agree(Dialect::OpenApi30);
}

#[test]
fn draft_07_schemas_are_valid_draft_07() {
    for form in [pipedrive(), contact(), github()] {
        for (i, s) in form.stages.iter().enumerate() {
            let schema = emit_dialect(&form, i, Dialect::Draft07).schema;
            assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
            assert_eq!(schema["$id"], versioned_id(&form, &s.id));
            if let Err(e) = jsonschema::draft7::meta::validate(&schema) {
                panic!(
                    "{} {}: not valid draft-07: {e} at {}",
                    form.id,
                    s.id,
                    e.instance_path()
                );
            }
        }
    }
}

/// Every key (object member name) anywhere in `v`, each once.
fn keys(v: &Value) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    out.insert(k.clone());
                    stack.push(x);
                }
            }
            Value::Array(a) => stack.extend(a),
            _ => {}
        }
    }
    out
}

/// Every `$ref` anywhere in `v`.
fn refs(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r.clone());
                }
                stack.extend(m.values());
            }
            Value::Array(a) => stack.extend(a),
            _ => {}
        }
    }
    out
}

#[test]
fn older_dialects_use_only_their_own_keywords_and_name_what_moved() {
    let form = pipedrive();
    let review = stage(&form, "review");
    let modern = emit_dialect(&form, review, Dialect::Draft2020_12);
    assert!(
        modern.moved.is_empty(),
        "2020-12 expresses every per-value limit"
    );
    assert!(keys(&modern.schema).contains("maxContains"));

    for dialect in [Dialect::Draft07, Dialect::OpenApi30] {
        let e = emit_dialect(&form, review, dialect);
        let moved: Vec<(&str, &str, &str)> = e
            .moved
            .iter()
            .map(|m| (m.rule.as_str(), m.path.as_str(), m.keyword))
            .collect();
        assert_eq!(
            moved,
            [
                ("actions_per_view", "/app_actions", "maxContains"),
                ("panels_per_location", "/app_panels", "maxContains"),
            ],
            "{dialect}"
        );
        let root = if dialect == Dialect::OpenApi30 {
            &e.schema["components"]["schemas"]["PipedriveAppReview"]
        } else {
            &e.schema
        };
        let listed: Vec<(&str, &str)> = root["x-formwork-rules"]
            .as_array()
            .expect("rules listed")
            .iter()
            .map(|r| {
                (
                    r["id"].as_str().unwrap_or(""),
                    r["path"].as_str().unwrap_or(""),
                )
            })
            .collect();
        for (rule, path, _) in &moved {
            assert!(
                listed.contains(&(*rule, *path)),
                "{dialect}: {rule} not listed in {listed:?}"
            );
        }
        let all = keys(&e.schema);
        for newer in [
            "maxContains",
            "minContains",
            "$defs",
            "contentSchema",
            "prefixItems",
        ] {
            assert!(!all.contains(newer), "{dialect} output uses {newer}");
        }
        // A `$ref` hides its siblings before 2019-09: it stands alone.
        let mut stack = vec![&e.schema];
        while let Some(v) = stack.pop() {
            match v {
                Value::Object(m) => {
                    assert!(
                        !m.contains_key("$ref") || m.len() == 1,
                        "{dialect}: $ref with siblings: {m:?}"
                    );
                    stack.extend(m.values());
                }
                Value::Array(a) => stack.extend(a),
                _ => {}
            }
        }
        let prefix = if dialect == Dialect::OpenApi30 {
            "#/components/schemas/"
        } else {
            "#/definitions/"
        };
        let defs = if dialect == Dialect::OpenApi30 {
            &e.schema["components"]["schemas"]
        } else {
            &e.schema["definitions"]
        };
        let found = refs(&e.schema);
        assert!(!found.is_empty());
        for r in found {
            let name = r
                .strip_prefix(prefix)
                .unwrap_or_else(|| panic!("{dialect}: $ref {r}"));
            assert!(defs.get(name).is_some(), "{dialect}: {r} does not resolve");
        }
    }

    let openapi = emit_dialect(&form, review, Dialect::OpenApi30).schema;
    assert_eq!(openapi["openapi"], "3.0.3");
    assert_eq!(openapi["info"]["version"], "1.0.0");
    assert_eq!(openapi["paths"], json!({}));
    let all = keys(&openapi);
    for absent in [
        "$schema",
        "$id",
        "const",
        "$comment",
        "examples",
        "contentMediaType",
    ] {
        assert!(!all.contains(absent), "OpenAPI 3.0 output uses {absent}");
    }
    let views = &openapi["components"]["schemas"]["views"];
    assert_eq!(views["enum"][0], "activities_list");
    assert_eq!(
        views["x-enum-descriptions"].as_array().map(Vec::len),
        views["enum"].as_array().map(Vec::len)
    );
}

#[test]
fn output_is_deterministic() {
    for form in [pipedrive(), contact(), github()] {
        for i in 0..form.stages.len() {
            for d in Dialect::ALL {
                let a = emit_dialect(&form, i, d).to_pretty_string();
                assert_eq!(
                    a,
                    emit_dialect(&form.clone(), i, d).to_pretty_string(),
                    "{d}"
                );
            }
            let a = emit_string(&form, i);
            assert_eq!(a, emit_string(&form, i));
            assert_eq!(a, emit_string(&form.clone(), i));
            assert!(a.ends_with("}\n") && !a.ends_with("\n\n"));
            let parsed: Value = serde_json::from_str(&a).expect("emit_string is JSON");
            assert_eq!(parsed, emit(&form, i));
        }
    }
}

#[test]
fn contact_snapshot() {
    let form = contact();
    let submit = stage(&form, "submit");
    insta::assert_snapshot!("contact_submit", emit_string(&form, submit));
    let draft07 = emit_dialect(&form, submit, Dialect::Draft07);
    insta::assert_snapshot!("contact_submit_draft_07", draft07.to_pretty_string());
    let openapi = emit_dialect(&form, submit, Dialect::OpenApi30);
    insta::assert_snapshot!("contact_submit_openapi_3_0", openapi.to_pretty_string());
}

#[test]
fn presence_depends_on_the_stage() {
    let form = pipedrive();
    let save = emit(&form, stage(&form, "save"));
    let review = emit(&form, stage(&form, "review"));
    assert_eq!(save["required"], json!(["app_name", "callback_url"]));
    let required: Vec<&str> = review["required"]
        .as_array()
        .expect("required")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for id in [
        "app_name",
        "short_summary",
        "description",
        "categories",
        "app_icon",
        "listing_images",
        "callback_url",
        "access_scopes",
        "website_url",
        "terms_of_service_url",
        "privacy_policy_url",
        "main_contact_email",
        "installation_scenarios",
        "partner_agreement",
    ] {
        assert!(required.contains(&id), "{id} is required at review");
    }
    for id in [
        "company",
        "youtube_video_url",
        "app_actions",
        "app_panels",
        "support_email",
        "review_notifications",
    ] {
        assert!(!required.contains(&id), "{id} is optional at review");
    }

    // Upper bounds everywhere, lower bounds (presence) only where required.
    let cat = |s: &Value| s["properties"]["categories"].clone();
    assert_eq!(cat(&save)["maxItems"], 2);
    assert_eq!(cat(&save).get("minItems"), None);
    assert_eq!(cat(&review)["minItems"], 1);
    assert_eq!(cat(&review)["uniqueItems"], true);
    assert_eq!(
        cat(&review)["items"],
        json!({ "$ref": "#/$defs/categories" })
    );

    // Must-be-checked boxes.
    assert_eq!(save["properties"]["partner_agreement"].get("const"), None);
    assert_eq!(review["properties"]["partner_agreement"]["const"], true);
    let scenarios = &review["properties"]["installation_scenarios"];
    assert_eq!(
        scenarios["required"],
        json!(["no_account", "account_logged_out", "account_logged_in"])
    );
    assert_eq!(scenarios["properties"]["no_account"]["const"], true);
    assert_eq!(
        save["properties"]["installation_scenarios"].get("required"),
        None
    );

    // Non-blank text where required.
    let summary = &review["properties"]["short_summary"];
    assert_eq!(summary["minLength"], 1);
    assert_eq!(summary["pattern"], r"\S");
    assert_eq!(save["properties"]["short_summary"].get("minLength"), None);

    let s = validator(&review);
    let mut blank = full_submission();
    blank["short_summary"] = json!("   ");
    assert!(
        !errors(&s, &blank).is_empty(),
        "a blank required text is rejected"
    );
    let v = validator(&save);
    assert!(errors(&v, &json!({"app_name": "Random", "callback_url": "https://x.example", "short_summary": "  "})).is_empty());
    assert!(
        !errors(
            &v,
            &json!({"app_name": " \t", "callback_url": "https://x.example"})
        )
        .is_empty()
    );
}

#[test]
fn lengths_count_code_points() {
    let form = pipedrive();
    for st in ["save", "review"] {
        let v = validator(&emit(&form, stage(&form, st)));
        let mut sub = full_submission();
        sub["app_actions"][0]["name"] = json!("é".repeat(30));
        assert!(
            errors(&v, &sub).is_empty(),
            "[{st}] 30 two-byte characters fit max_length 30"
        );
        sub["app_actions"][0]["name"] = json!("🙂".repeat(30));
        assert!(
            errors(&v, &sub).is_empty(),
            "[{st}] 30 astral characters fit max_length 30"
        );
        sub["app_actions"][0]["name"] = json!("🙂".repeat(31));
        assert!(
            !errors(&v, &sub).is_empty(),
            "[{st}] 31 characters exceed max_length 30"
        );
    }
}

#[test]
fn per_value_limits_hold_at_every_stage() {
    let form = pipedrive();
    let action =
        |views: Value| json!({"name": "Open", "url": "https://a.example/x", "locations": views});
    let panel = |location: &str| {
        json!({"name": "P", "api_endpoint": "https://a.example/p", "http_auth_username": "u",
               "http_auth_password": "p", "json_data_structure": "{}", "location": location})
    };
    for st in ["save", "review"] {
        let v = validator(&emit(&form, stage(&form, st)));
        let mut sub = full_submission();
        sub["app_actions"] = json!([
            action(json!(["deal_details", "deals_list"])),
            action(json!(["deal_details"])),
            action(json!(["deal_details", "people_list"])),
        ]);
        assert!(
            errors(&v, &sub).is_empty(),
            "[{st}] 3 actions in one view are fine"
        );
        sub["app_actions"]
            .as_array_mut()
            .expect("array")
            .push(action(json!(["people_list", "deal_details"])));
        assert!(
            !errors(&v, &sub).is_empty(),
            "[{st}] 4 actions in one view are rejected"
        );
        sub["app_actions"][3] = action(json!(["people_list", "deals_list"]));
        assert!(
            errors(&v, &sub).is_empty(),
            "[{st}] 4 actions spread over views are fine"
        );

        sub["app_panels"] = json!([panel("deal_details"), panel("person_details")]);
        assert!(
            errors(&v, &sub).is_empty(),
            "[{st}] panels in distinct locations are fine"
        );
        sub["app_panels"][1] = panel("deal_details");
        assert!(
            !errors(&v, &sub).is_empty(),
            "[{st}] two panels in one location are rejected"
        );
    }
}

#[test]
fn urls_files_and_types() {
    let form = pipedrive();
    let v = validator(&emit(&form, stage(&form, "review")));
    let check = |edit: &dyn Fn(&mut Value), ok: bool, what: &str| {
        let mut sub = full_submission();
        edit(&mut sub);
        let errs = errors(&v, &sub);
        assert_eq!(errs.is_empty(), ok, "{what}: {errs:?}");
    };
    check(
        &|s| s["youtube_video_url"] = json!("https://m.youtube.com/watch?v=x"),
        true,
        "mobile YouTube",
    );
    check(
        &|s| s["youtube_video_url"] = json!("https://youtube.com"),
        true,
        "bare YouTube host",
    );
    check(
        &|s| s["youtube_video_url"] = json!("https://youtube.com.evil.example/x"),
        false,
        "look-alike host",
    );
    check(
        &|s| s["youtube_video_url"] = json!("HTTPS://WWW.YouTube.com/watch?v=x"),
        true,
        "scheme and host in any case",
    );
    check(
        &|s| s["youtube_video_url"] = json!("https://me@youtu.be:443/x"),
        true,
        "user info and port",
    );
    check(
        &|s| s["website_url"] = json!("https:///path"),
        false,
        "URL without a host",
    );
    check(
        &|s| s["youtube_video_url"] = json!("https://vimeo.com/1"),
        false,
        "other host",
    );
    check(
        &|s| s["website_url"] = json!("ftp://example.com/"),
        false,
        "ftp scheme",
    );
    check(
        &|s| s["website_url"] = json!("example.com"),
        false,
        "relative URL",
    );
    check(
        &|s| s["support_email"] = json!("nobody"),
        false,
        "email without @",
    );
    check(
        &|s| s["app_icon"]["media_type"] = json!("image/gif"),
        false,
        "GIF icon",
    );
    check(
        &|s| s["app_icon"]["size"] = json!(10_485_761),
        false,
        "icon over 10 MiB",
    );
    check(
        &|s| s["app_icon"]["size"] = json!(10_485_760),
        true,
        "icon of exactly 10 MiB",
    );
    check(
        &|s| s["app_icon"]["width"] = json!(255),
        false,
        "icon too narrow",
    );
    check(
        &|s| s["app_icon"]["extra"] = json!(1),
        false,
        "unknown file metadata",
    );
    check(
        &|s| s["listing_images"][0]["height"] = json!(900),
        false,
        "listing image size not allowed",
    );
    check(
        &|s| s["listing_images"][0]["width"] = json!(1440),
        false,
        "1440x800 not allowed",
    );
    check(
        &|s| s["listing_images"][1] = s["listing_images"][0].clone(),
        true,
        "duplicate images are fine",
    );
    check(
        &|s| s["access_scopes"] = json!(["base", "base"]),
        false,
        "duplicate scopes",
    );
    check(
        &|s| s["review_notifications"] = json!("true"),
        false,
        "string for boolean",
    );
    check(
        &|s| s["client_id"] = json!("abc"),
        false,
        "issued values are not accepted",
    );
    check(
        &|s| s["app_panels"][0]["json_data_structure"] = json!({"a": 1}),
        false,
        "JSON object instead of text",
    );
    check(
        &|s| s["app_panels"][0]["api_endpoint"] = json!("http://insecure.example/p"),
        true,
        "http is only a warning",
    );
}

#[test]
fn unexpressible_rules_are_listed() {
    let form = pipedrive();
    for st in ["save", "review"] {
        let schema = emit(&form, stage(&form, st));
        let rules = schema["x-formwork-rules"]
            .as_array()
            .expect("x-formwork-rules is an array");
        let has = |id: &str, path: &str, severity: &str| {
            rules.iter().any(|r| {
                r["id"] == id
                    && r["path"] == path
                    && r["severity"] == severity
                    && r["description"].is_string()
            })
        };
        assert!(has("aspect_ratio", "/app_icon", "error"), "{rules:#?}");
        assert!(has("aspect_ratio", "/listing_images/*", "error"));
        assert!(has("json", "/app_panels/*/json_data_structure", "error"));
        assert!(has("sentence_case", "/app_actions/*/name", "warning"));
        assert!(has("scheme", "/app_panels/*/api_endpoint", "warning"));
        assert!(has("action_placements", "/app_actions", "error"));
        assert!(
            !rules
                .iter()
                .any(|r| r["id"] == "actions_per_view" || r["id"] == "panels_per_location")
        );
    }
}

#[test]
fn contact_form_at_its_stage() {
    let form = contact();
    let v = validator(&emit(&form, 0));
    let ok = json!({
        "full_name": "Ada Lovelace", "email": "ada@example.com", "topic": "support",
        "body": "Hello there, a question.", "consent": true,
        "links": [{"url": "https://example.com/a", "note": "First"}],
    });
    assert!(errors(&v, &ok).is_empty(), "{:?}", errors(&v, &ok));
    let bad = |edit: &dyn Fn(&mut Value), what: &str| {
        let mut sub = ok.clone();
        edit(&mut sub);
        assert!(!errors(&v, &sub).is_empty(), "{what} is rejected");
    };
    bad(&|s| s["consent"] = json!(false), "unchecked consent");
    bad(&|s| s["topic"] = json!("jobs"), "unknown topic");
    bad(&|s| s["age"] = json!(15), "age below minimum");
    bad(&|s| s["age"] = json!(20.5), "fractional age");
    bad(
        &|s| s["body"] = json!("too short"),
        "body under 10 characters",
    );
    bad(
        &|s| s["links"][0]["url"] = json!("http://example.com/a"),
        "http link when only https is allowed",
    );
    bad(
        &|s| s["links"] = json!([{"note": "x"}, {"url": "https://a.example"}]),
        "link without url",
    );
    bad(
        &|s| s["links"] = Value::Array(vec![json!({"url": "https://a.example"}); 4]),
        "4 links",
    );
    bad(
        &|s| {
            s.as_object_mut().expect("object").remove("full_name");
        },
        "missing name",
    );
}

#[test]
fn schema_ids_carry_the_form_version() {
    let mut form = contact();
    form.version = Some("2.1 beta/3".into());
    assert_eq!(
        formwork_codegen::json_schema::schema_id(&form, "submit"),
        "urn:formwork:contact:2.1%20beta%2F3:submit"
    );
    form.version = None;
    assert_eq!(
        formwork_codegen::json_schema::schema_id(&form, "submit"),
        "urn:formwork:contact:submit"
    );
}

/// An image's `max_width`/`max_height` (else the hard limit) bound `width`/`height` in the schema.
#[test]
fn image_sides_are_bounded_by_the_spec_or_the_hard_limit() {
    let spec = r#"
form: {id: t, title: T}
stages: [{id: s, label: S}]
sections:
  - id: a
    title: A
    fields:
      - {id: banner, label: Banner, kind: image, min_width: 100, max_width: 1920}
rules: []
"#;
    let form = formwork_schema::load_str("t.yaml", spec).expect("spec loads");
    let schema = formwork_codegen::json_schema::emit(&form, 0);
    let side = |k: &str| {
        let s = &schema["properties"]["banner"]["properties"][k];
        (s["minimum"].as_u64(), s["maximum"].as_u64())
    };
    assert_eq!(side("width"), (Some(100), Some(1920)));
    assert_eq!(
        side("height"),
        (
            Some(0),
            Some(u64::from(formwork_schema::model::MAX_IMAGE_SIDE))
        )
    );
    let v = validator(&schema);
    let image = |w: u32| json!({"banner": {"name": "b.png", "media_type": "image/png", "size": 1, "width": w, "height": 10}});
    assert!(v.is_valid(&image(1920)));
    assert!(!v.is_valid(&image(1921)));
}

/// A rule counting two groups together has no JSON Schema keyword: it is listed with every path
/// it counts, in every dialect, and the schema stays valid.
#[test]
fn rules_across_groups_are_listed_with_their_paths() {
    let spec = r#"
form: {id: t, title: T}
stages: [{id: save, label: Save}]
lists:
  - id: views
    values: [{id: a, label: A}, {id: b, label: B}]
sections:
  - id: s
    title: S
    fields:
      - id: actions
        label: Actions
        kind: group
        fields: [{id: views, label: Views, kind: choice, list: views, multiple: true}]
      - id: modals
        label: Modals
        kind: group
        fields: [{id: view, label: View, kind: choice, list: views}]
rules:
  - id: per_view
    max_per_value: {of: ["actions[].views", "modals[].view"], max: 3}
  - id: alone
    max_per_value: {of: "actions[].views", max: 2}
  - id: each_action
    each: actions
    cel: "has(item.views)"
    field: views
"#;
    let form = formwork_schema::load_str("t.yaml", spec).expect("spec loads");
    for dialect in Dialect::ALL {
        let schema = emit_dialect(&form, 0, dialect).schema;
        let root = schema
            .get("components")
            .and_then(|c| c["schemas"].as_object())
            .and_then(|m| m.values().find(|v| v.get("x-formwork-rules").is_some()))
            .unwrap_or(&schema);
        let rules = root["x-formwork-rules"].as_array().expect("rules listed");
        let across = rules
            .iter()
            .find(|r| r["id"] == "per_view")
            .expect("per_view listed");
        assert_eq!(across["path"], "/actions", "{dialect:?}");
        let each = rules
            .iter()
            .find(|r| r["id"] == "each_action")
            .expect("each_action listed");
        assert_eq!(each["path"], "/actions/*/views");
        assert_eq!(
            (&each["each"], &each["cel"]),
            (&json!("actions"), &json!("has(item.views)"))
        );
        assert_eq!(across["of"], json!(["actions[].views", "modals[].view"]));
        assert!(
            across["description"]
                .as_str()
                .is_some_and(|d| d.contains("counted together")),
            "{across}"
        );
    }
    let schema = emit(&form, 0);
    jsonschema::draft202012::meta::validate(&schema).expect("valid 2020-12");
    // The single-path rule is still a keyword of the 2020-12 schema.
    assert!(
        !schema["x-formwork-rules"]
            .as_array()
            .expect("listed")
            .iter()
            .any(|r| r["id"] == "alone")
    );
}

/// A check or rule with `stages:` is in the schemas of those stages only: as a keyword
/// (`maxContains`, a URL scheme pattern) or listed in `x-formwork-rules`.
#[test]
fn staged_checks_and_rules_are_in_their_stages_schemas_only() {
    let spec = r#"
form: {id: t, title: T}
stages: [{id: save, label: Save}, {id: review, label: Review}]
lists:
  - id: views
    values: [{id: a, label: A}, {id: b, label: B}]
sections:
  - id: s
    title: S
    fields:
      - id: site
        label: Site
        kind: url
        checks:
          - {scheme: [https], stages: review}
      - id: name
        label: Name
        kind: text
        checks: [{sentence_case: true, severity: warning, stages: [save]}]
      - id: actions
        label: Actions
        kind: group
        fields: [{id: views, label: Views, kind: choice, list: views, multiple: true}]
rules:
  - id: per_view
    max_per_value: {of: "actions[].views", max: 1}
    stages: review
  - id: named
    cel: "has(self.site)"
    stages: [review]
"#;
    let form = formwork_schema::load_str("t.yaml", spec).expect("spec loads");
    let listed = |schema: &Value| -> Vec<String> {
        schema["x-formwork-rules"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|r| r["id"].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    let (save, review) = (emit(&form, 0), emit(&form, 1));
    assert_eq!(listed(&save), ["sentence_case"]);
    assert_eq!(listed(&review), ["named"]);
    let (vs, vr) = (validator(&save), validator(&review));
    let two_on_a = json!({"actions": [{"views": ["a"]}, {"views": ["a"]}]});
    assert!(vs.is_valid(&two_on_a), "per_view does not apply at save");
    assert!(!vr.is_valid(&two_on_a), "per_view applies at review");
    let http = json!({"site": "http://example.com"});
    assert!(vs.is_valid(&http), "https only from review");
    assert!(!vr.is_valid(&http));
}
