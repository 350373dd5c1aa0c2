//! Each Pipedrive rule at its boundary, at each stage, plus the general behaviours of the validator.

mod common;
use common::*;
use formwork_runtime::Validator;
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

fn with(mut base: Value, key: &str, value: Value) -> Value {
    base[key] = value;
    base
}

fn minimal() -> Value {
    json!({"app_name": "Random", "callback_url": "https://example.com/cb"})
}

fn action(name: &str, locations: &[&str]) -> Value {
    json!({"name": name, "url": "https://example.com/a", "locations": locations})
}

#[test]
fn action_name_30_chars_is_fine_31_is_not_at_every_stage() {
    let v = validator();
    for stage in ["save", "review"] {
        let base = if stage == "save" { minimal() } else { full() };
        let ok = with(
            base.clone(),
            "app_actions",
            json!([action(&"A".repeat(30), &["deals_list"])]),
        );
        assert!(check(&v, &ok, stage).valid, "{stage}: 30 chars");
        let bad = with(
            base,
            "app_actions",
            json!([action(&"A".repeat(31), &["deals_list"])]),
        );
        let r = check(&v, &bad, stage);
        assert_eq!(error_paths(&r), ["/app_actions/0/name"], "{stage}");
        assert_eq!(codes(&r), ["max_length"]);
        assert!(
            r.errors[0]
                .message
                .contains("30 characters or fewer (it has 31)"),
            "{}",
            r.errors[0].message
        );
    }
}

#[test]
fn lengths_count_unicode_scalar_values_not_bytes() {
    let v = validator();
    // 30 × "é" is 60 bytes but 30 characters.
    let ok = with(
        minimal(),
        "app_actions",
        json!([action(&"é".repeat(30), &["deals_list"])]),
    );
    assert!(check(&v, &ok, "save").valid);
    let bad = with(
        minimal(),
        "app_actions",
        json!([action(&"é".repeat(31), &["deals_list"])]),
    );
    assert_eq!(codes(&check(&v, &bad, "save")), ["max_length"]);
    let instructions = with(
        minimal(),
        "installation_instructions",
        json!("ü".repeat(1500)),
    );
    assert!(check(&v, &instructions, "save").valid);
    let instructions = with(
        minimal(),
        "installation_instructions",
        json!("ü".repeat(1501)),
    );
    assert_eq!(
        error_paths(&check(&v, &instructions, "save")),
        ["/installation_instructions"]
    );
}

#[test]
fn three_actions_per_view_pass_four_fail_naming_view_and_count() {
    let v = validator();
    let three: Vec<Value> = (0..3)
        .map(|i| action(&format!("Action {i}"), &["deal_details"]))
        .collect();
    assert!(check(&v, &with(full(), "app_actions", json!(three)), "review").valid);
    let four: Vec<Value> = (0..4)
        .map(|i| action(&format!("Action {i}"), &["deal_details", "deals_list"]))
        .collect();
    for stage in ["save", "review"] {
        let base = if stage == "save" { minimal() } else { full() };
        let r = check(&v, &with(base, "app_actions", json!(four.clone())), stage);
        assert!(!r.valid);
        let msgs: Vec<&str> = r.errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(
            error_paths(&r),
            ["/app_actions", "/app_actions"],
            "{stage}: {msgs:?}"
        );
        assert!(
            msgs.contains(&"view deal_details is used by 4 app actions; at most 3 are allowed"),
            "{msgs:?}"
        );
        assert!(
            msgs.contains(&"view deals_list is used by 4 app actions; at most 3 are allowed"),
            "{msgs:?}"
        );
        assert_eq!(codes(&r), ["actions_per_view", "actions_per_view"]);
    }
}

#[test]
fn a_view_listed_twice_in_one_action_counts_once_but_is_a_duplicate() {
    let v = validator();
    let acts: Vec<Value> = (0..3)
        .map(|i| action(&format!("Action {i}"), &["deal_details", "deal_details"]))
        .collect();
    let r = check(&v, &with(minimal(), "app_actions", json!(acts)), "save");
    assert_eq!(codes(&r), ["distinct", "distinct", "distinct"]);
    assert_eq!(
        error_paths(&r),
        [
            "/app_actions/0/locations/1",
            "/app_actions/1/locations/1",
            "/app_actions/2/locations/1"
        ]
    );
}

#[test]
fn twenty_four_placements_pass_twenty_five_fail() {
    let v = validator();
    // 8 actions × 3 views, each view used exactly 3 times: 24 placements.
    let acts: Vec<Value> = (0..8)
        .map(|i| {
            action(
                &format!("Action {i}"),
                &[VIEWS[i], VIEWS[(i + 1) % 8], VIEWS[(i + 2) % 8]],
            )
        })
        .collect();
    let r = check(
        &v,
        &with(full(), "app_actions", json!(acts.clone())),
        "review",
    );
    assert!(r.valid, "{:?}", r.errors);
    let mut more = acts;
    more.push(action("Action 8", &["deal_details"]));
    let r = check(&v, &with(full(), "app_actions", json!(more)), "review");
    assert!(codes(&r).contains(&"action_placements"), "{:?}", r.errors);
    let total = r
        .errors
        .iter()
        .find(|e| e.code == "action_placements")
        .expect("total error");
    assert_eq!(total.path, "/app_actions");
    assert!(
        total.message.contains("25 times in total; at most 24"),
        "{}",
        total.message
    );
}

#[test]
fn one_panel_per_location() {
    let v = validator();
    let panel = full()["app_panels"][0].clone();
    let mut second = panel.clone();
    second["name"] = json!("Second panel");
    let r = check(
        &v,
        &with(full(), "app_panels", json!([panel.clone(), second.clone()])),
        "review",
    );
    assert_eq!(codes(&r), ["panels_per_location"]);
    assert!(
        r.errors[0]
            .message
            .contains("location deal_details has 2 app panels"),
        "{}",
        r.errors[0].message
    );
    second["location"] = json!("person_details");
    assert!(
        check(
            &v,
            &with(full(), "app_panels", json!([panel, second])),
            "review"
        )
        .valid
    );
}

#[test]
fn presence_depends_on_stage_but_limits_hold_everywhere() {
    let v = validator();
    assert!(check(&v, &minimal(), "save").valid);
    let r = check(&v, &minimal(), "review");
    let paths = error_paths(&r);
    for p in [
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
    ] {
        assert!(
            paths.contains(&p),
            "review without {p} must fail: {paths:?}"
        );
    }
    assert!(
        !paths.contains(&"/company") && !paths.contains(&"/support_url"),
        "{paths:?}"
    );
    // Empty lists are fine in a draft, upper bounds are not.
    let draft = with(
        with(minimal(), "categories", json!([])),
        "listing_images",
        json!([]),
    );
    assert!(check(&v, &draft, "save").valid);
    let three = with(
        minimal(),
        "categories",
        json!(["scheduling", "calling_sms", "lead_generation"]),
    );
    assert_eq!(codes(&check(&v, &three, "save")), ["max_items"]);
}

#[test]
fn required_text_is_non_blank() {
    let v = validator();
    let r = check(&v, &with(minimal(), "app_name", json!("   \t")), "save");
    assert_eq!(
        (error_paths(&r), codes(&r)),
        (vec!["/app_name"], vec!["required"])
    );
    assert_eq!(r.errors[0].message, "Enter App name");
    // Blank optional text is fine.
    assert!(check(&v, &with(minimal(), "company", json!("")), "save").valid);
}

#[test]
fn unknown_fields_and_wrong_types_are_reported_at_their_paths_all_at_once() {
    let v = validator();
    let mut s = minimal();
    s["foo"] = json!(1);
    s["review_notifications"] = json!("yes");
    s["categories"] = json!("scheduling");
    s["app_actions"] =
        json!([{"name": 5, "url": "https://x.io", "locations": ["deals_list"], "extra": true}]);
    s["installation_scenarios"] = json!({"no_account": 1});
    let r = check(&v, &s, "save");
    let mut paths = error_paths(&r);
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            "/app_actions/0/extra",
            "/app_actions/0/name",
            "/categories",
            "/foo",
            "/installation_scenarios/no_account",
            "/review_notifications"
        ]
    );
    let r = check(&v, &json!([1, 2]), "save");
    assert_eq!(error_paths(&r), [""]);
}

#[test]
fn pointer_segments_are_escaped() {
    let v = validator();
    let r = check(&v, &with(minimal(), "a/b~c", json!(1)), "save");
    assert_eq!(error_paths(&r), ["/a~1b~0c"]);
}

#[test]
fn urls_must_be_absolute_http_and_youtube_only_where_asked() {
    let v = validator();
    for bad in [
        "not a url",
        "ftp://example.com",
        "example.com/cb",
        "https://",
    ] {
        let r = check(&v, &with(minimal(), "callback_url", json!(bad)), "save");
        assert_eq!(error_paths(&r), ["/callback_url"], "{bad}");
    }
    for ok in [
        "https://youtu.be/x",
        "https://m.youtube.com/watch?v=1",
        "http://youtube.com/watch?v=1",
    ] {
        assert!(
            check(&v, &with(minimal(), "youtube_video_url", json!(ok)), "save").valid,
            "{ok}"
        );
    }
    let r = check(
        &v,
        &with(minimal(), "youtube_video_url", json!("https://vimeo.com/1")),
        "save",
    );
    assert_eq!(codes(&r), ["host"]);
    assert_eq!(
        r.errors[0].message, "Enter a YouTube link (youtube.com or youtu.be).",
        "the spec's override"
    );
}

#[test]
fn json_document_errors_carry_line_and_column() {
    let v = validator();
    let mut panel = full()["app_panels"][0].clone();
    panel["json_data_structure"] = json!("{\n  \"a\": 1,\n  oops\n}");
    let r = check(
        &v,
        &with(full(), "app_panels", json!([panel.clone()])),
        "review",
    );
    assert_eq!(codes(&r), ["json"]);
    let params: std::collections::HashMap<&str, String> = r.errors[0]
        .params
        .iter()
        .map(|(k, v)| (*k, v.to_string()))
        .collect();
    assert_eq!(
        (params["line"].as_str(), params["column"].as_str()),
        ("3", "3")
    );
    panel["json_data_structure"] = json!("[1, 2]");
    let r = check(&v, &with(full(), "app_panels", json!([panel])), "review");
    assert_eq!(codes(&r), ["json_type"]);
}

#[test]
fn images_are_checked_on_type_size_dimensions_ratio_and_allowed_sizes() {
    let v = validator();
    let icon = |mt: &str, size: u64, w: u32, h: u32| json!({"name": "i", "media_type": mt, "size": size, "width": w, "height": h});
    let cases = [
        (icon("image/png", 10_485_760, 256, 256), vec![]),
        (icon("image/jpeg", 1, 4096, 4096), vec![]),
        (icon("image/png", 10_485_761, 512, 512), vec!["max_bytes"]),
        (icon("image/gif", 1, 512, 512), vec!["media_type"]),
        (
            icon("image/png", 1, 255, 255),
            vec!["min_width", "min_height"],
        ),
        (icon("image/png", 1, 512, 511), vec!["aspect_ratio"]),
    ];
    for (i, want) in cases {
        let r = check(&v, &with(minimal(), "app_icon", i.clone()), "save");
        assert_eq!(codes(&r), want, "{i}");
    }
    let r = check(
        &v,
        &with(
            minimal(),
            "app_icon",
            json!({"name": "i", "media_type": "image/png", "size": 1}),
        ),
        "save",
    );
    assert_eq!(error_paths(&r), ["/app_icon/width", "/app_icon/height"]);
    let img = |w: u32, h: u32| json!({"name": "l", "media_type": "image/png", "size": 1, "width": w, "height": h});
    let r = check(
        &v,
        &with(
            minimal(),
            "listing_images",
            json!([img(1440, 900), img(1600, 1000)]),
        ),
        "save",
    );
    assert_eq!(
        (error_paths(&r), codes(&r)),
        (vec!["/listing_images/1"], vec!["size"])
    );
    let r = check(
        &v,
        &with(minimal(), "listing_images", json!([img(1000, 800)])),
        "save",
    );
    assert_eq!(codes(&r), ["aspect_ratio", "size"]);
    assert_eq!(
        r.errors[0].message, "Images must have an aspect ratio of 16:10 (it is 1000x800)",
        "the ratio as the spec writes it"
    );
    let six: Vec<Value> = (0..6).map(|_| img(1280, 800)).collect();
    assert_eq!(
        codes(&check(
            &v,
            &with(minimal(), "listing_images", json!(six)),
            "save"
        )),
        ["max_items"]
    );
}

#[test]
fn checkboxes_must_be_checked_only_at_review() {
    let v = validator();
    let unchecked =
        json!({"no_account": false, "account_logged_out": false, "account_logged_in": false});
    let s = with(
        with(minimal(), "installation_scenarios", unchecked.clone()),
        "partner_agreement",
        json!(false),
    );
    assert!(check(&v, &s, "save").valid);
    let r = check(
        &v,
        &with(
            with(full(), "installation_scenarios", unchecked),
            "partner_agreement",
            json!(false),
        ),
        "review",
    );
    assert_eq!(codes(&r), ["must_be_true"; 4]);
    let mut missing = full();
    missing["installation_scenarios"] = json!({"no_account": true});
    let r = check(&v, &missing, "review");
    assert_eq!(
        error_paths(&r),
        [
            "/installation_scenarios/account_logged_out",
            "/installation_scenarios/account_logged_in"
        ]
    );
}

#[test]
fn warnings_never_invalidate() {
    let v = validator();
    let mut s = with(
        full(),
        "app_actions",
        json!([action("Add To Email List", &["deals_list"])]),
    );
    s["app_panels"][0]["api_endpoint"] = json!("http://example.com/panel");
    let r = check(&v, &s, "review");
    assert!(r.valid && r.errors.is_empty());
    let w: Vec<(&str, &str)> = r
        .warnings
        .iter()
        .map(|w| (w.path.as_str(), w.code.as_str()))
        .collect();
    assert_eq!(
        w,
        [
            ("/app_actions/0/name", "sentence_case"),
            ("/app_panels/0/api_endpoint", "scheme")
        ]
    );
    assert_eq!(
        r.warnings[1].message,
        "We strongly recommend using authenticated HTTPS requests."
    );
}

#[test]
fn unknown_choice_values_are_errors_at_the_item() {
    let v = validator();
    let r = check(
        &v,
        &with(minimal(), "access_scopes", json!(["base", "deals:write"])),
        "save",
    );
    assert_eq!(
        (error_paths(&r), codes(&r)),
        (vec!["/access_scopes/1"], vec!["choice"])
    );
}

/// A spec of one stage `s` and one section, with these fields (and rules) written after
/// `fields:` (six spaces in).
fn one_stage(fields_and_rules: &str) -> String {
    format!(
        "form: {{id: t, title: T}}\nstages: [{{id: s, label: S}}]\nsections:\n  - id: a\n    title: A\n    fields:\n{fields_and_rules}"
    )
}

#[test]
fn cel_rules_and_checks_from_a_spec() {
    let spec = &one_stage(
        r#"      - {id: low, label: Low, kind: number}
      - {id: high, label: High, kind: number}
      - id: code
        label: Code
        kind: text
        checks:
          - cel: "value.startsWith('X-')"
            message: "{label} must start with X-"
rules:
  - id: ordered
    cel: "!has(self.low) || !has(self.high) || self.low <= self.high"
    field: high
    message: High must not be below low
"#,
    );
    let form = formwork_schema::load_str("t.yaml", spec).expect("spec loads");
    let v = Validator::compile(&form).expect("compiles");
    let ok = check(&v, &json!({"low": 1, "high": 2, "code": "X-1"}), "s");
    assert!(ok.valid, "{:?}", ok.errors);
    let r = check(&v, &json!({"low": 3, "high": 2, "code": "Y"}), "s");
    let got: Vec<(&str, &str, &str)> = r
        .errors
        .iter()
        .map(|e| (e.path.as_str(), e.code.as_str(), e.message.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("/code", "check", "Code must start with X-"),
            ("/high", "ordered", "High must not be below low")
        ]
    );
}

#[test]
fn validator_is_shared_across_threads() {
    let v = validator();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let v = v.clone();
            std::thread::spawn(move || check(&v, &full(), "review").valid)
        })
        .collect();
    for h in handles {
        assert!(h.join().expect("thread"));
    }
}

/// A flood of empty items gets a bounded report: at most MAX_ISSUES problems, then one entry
/// counting the rest, and the flag; the response stays far below 1 MB.
#[test]
fn reports_are_bounded_whatever_the_submission() {
    let v = validator();
    let mut flood = full();
    flood["app_actions"] = serde_json::Value::Array(vec![serde_json::json!({}); 100_000]);
    let r = check(&v, &flood, "review");
    assert!(!r.valid);
    assert!(r.truncated);
    assert_eq!(
        r.errors.len() + r.warnings.len(),
        formwork_runtime::MAX_ISSUES + 1
    );
    let last = r.errors.last().expect("last");
    assert_eq!(last.code, "truncated");
    assert!(
        last.message.ends_with("more problems not shown"),
        "{}",
        last.message
    );
    // Items past the checked limit are reported once, as too many.
    assert!(
        r.errors
            .iter()
            .any(|e| e.path == "/app_actions" && e.code == "max_items"),
        "{:?}",
        codes(&r)
    );
    assert!(
        r.to_json().len() < 1024 * 1024,
        "{} bytes",
        r.to_json().len()
    );
    // A small valid submission is not marked.
    let ok = check(&v, &full(), "review");
    assert!(ok.valid && !ok.truncated);
    assert!(!ok.to_json().contains("truncated"));
}

/// Beyond a declared max_items the items are not checked one by one: one max_items error.
#[test]
fn items_past_max_items_are_reported_once_not_checked() {
    let v = validator();
    let mut s = full();
    let good = s["listing_images"][0].clone();
    let mut images = vec![good; 5];
    images.push(serde_json::json!({"name": "x.gif", "media_type": "image/gif", "size": 1}));
    s["listing_images"] = serde_json::Value::Array(images);
    let r = check(&v, &s, "review");
    let paths = error_paths(&r);
    assert_eq!(paths, ["/listing_images"], "{:?}", codes(&r));
    assert_eq!(codes(&r), ["max_items"]);
}

/// A tiny file claiming enormous dimensions is refused, whatever the spec says.
#[test]
fn images_larger_than_the_largest_side_are_refused() {
    let v = validator();
    let mut s = full();
    s["app_icon"]["width"] = json!(100_000);
    s["app_icon"]["height"] = json!(100_000);
    let r = check(&v, &s, "save");
    let c = codes(&r);
    assert!(
        c.contains(&"max_width") && c.contains(&"max_height"),
        "{c:?}"
    );
    assert!(
        r.errors
            .iter()
            .any(|e| e.message.contains("at most 20000 pixels wide"))
    );
}

/// A spec may lower the largest side (`max_width`, `max_height`).
#[test]
fn a_spec_lowers_the_largest_image_side() {
    let spec = &one_stage(
        r#"      - {id: banner, label: Banner, kind: image, min_width: 100, max_width: 1920, max_height: 600}
rules: []
"#,
    );
    let form = formwork_schema::load_str("t.yaml", spec).expect("spec loads");
    let v = Validator::compile(&form).expect("compiles");
    let image = |w: u32, h: u32| json!({"banner": {"name": "b.png", "media_type": "image/png", "size": 10, "width": w, "height": h}});
    assert!(check(&v, &image(1920, 600), "s").valid);
    let r = check(&v, &image(1921, 601), "s");
    assert_eq!(codes(&r), vec!["max_width", "max_height"]);
    assert!(
        r.errors[0].message.contains("at most 1920 pixels wide"),
        "{}",
        r.errors[0].message
    );
}

/// Control characters (NUL included) are refused: one-line texts may have none, long texts only
/// line breaks and tabs.
#[test]
fn control_characters_are_refused_in_text() {
    let v = validator();
    for (field, value, ok) in [
        ("app_name", "Random\u{0}", false),
        ("app_name", "Ran\ndom", false),
        ("app_name", "Ran\u{7f}dom", false),
        ("app_name", "Rändom ✓", true),
        ("description", "Two\nlines\twith a tab", true),
        ("description", "A bell\u{7}", false),
    ] {
        let mut s = full();
        s[field] = json!(value);
        let r = check(&v, &s, "save");
        let here = format!("/{field}");
        let flagged = r
            .errors
            .iter()
            .any(|e| e.path == here && e.code.starts_with("control_characters"));
        assert_eq!(!flagged, ok, "{field} = {value:?}: {:?}", codes(&r));
        if !ok {
            let e = r.errors.iter().find(|e| e.path == here).expect("error");
            assert!(e.message.contains("U+"), "{}", e.message);
            assert!(!e.message.contains('\u{0}'), "never echoed raw");
        }
    }
}

#[test]
fn cel_runs_only_on_values_that_fit_the_declared_sizes() {
    let spec = &one_stage(
        r#"      - {id: note, label: Note, kind: long_text}
      - id: items
        label: Items
        kind: group
        max_items: 3
        fields:
          - {id: name, label: Name, kind: text, max_length: 5}
rules:
  - id: distinct_names
    cel: "self.items.all(a, self.items.exists_one(b, a.name == b.name))"
    field: items
"#,
    );
    let form = formwork_schema::load_str("t.yaml", spec).expect("spec loads");
    let v = Validator::compile(&form).expect("compiles");
    let item = |n: &str| json!({"name": n});
    let ok = check(&v, &json!({"items": [item("a"), item("b")]}), "s");
    assert!(ok.valid, "{:?}", ok.errors);
    let dup = check(&v, &json!({"items": [item("a"), item("a")]}), "s");
    assert_eq!(codes(&dup), vec!["distinct_names"]);
    // Past `max_items` the rule is not run (its cost estimate would not hold): the size error
    // says why, and the rule says it was not evaluated.
    let many: Vec<_> = (0..5000).map(|_| item("a")).collect();
    let r = check(&v, &json!({ "items": many }), "s");
    assert_eq!(codes(&r), vec!["max_items", "distinct_names"]);
    assert!(
        r.errors[1].message.contains("not evaluated"),
        "{}",
        r.errors[1].message
    );
    // A text without `max_length` is capped all the same.
    let long = "x".repeat(formwork_schema::expr::shape::MAX_TEXT_CHARS as usize + 1);
    let r = check(&v, &json!({ "note": long, "items": [item("a")] }), "s");
    assert_eq!(codes(&r), vec!["max_length"]);
}

/// Link actions and JSON modals: two groups whose views are counted together.
const ACROSS: &str = r#"
form: {id: t, title: T}
stages: [{id: save, label: Save}]
lists:
  - id: views
    values: [{id: deal_details, label: Deal details}, {id: deals_list, label: Deals list}]
sections:
  - id: a
    title: A
    fields:
      - id: app_actions
        label: App actions
        kind: group
        item_label: app action
        fields:
          - {id: name, label: Name, kind: text}
          - {id: locations, label: Locations, kind: choice, list: views, multiple: true, distinct: false}
      - id: json_modals
        label: JSON modals
        kind: group
        item_label: JSON modal
        fields:
          - {id: name, label: Name, kind: text}
          - {id: location, label: Location, kind: choice, list: views}
rules:
  - id: per_view
    max_per_value:
      of:
        - app_actions[].locations
        - json_modals[].location
      max: 3
  - id: placements
    max_total: {of: ["app_actions[].locations", "json_modals[].location"], max: 5}
"#;

#[test]
fn rules_count_across_groups_together() {
    let form = formwork_schema::load_str("t.yaml", ACROSS).expect("spec loads");
    let v = Validator::compile(&form).expect("compiles");
    let actions = |views: &[&[&str]]| -> Value {
        views
            .iter()
            .map(|l| json!({"name": "A", "locations": l}))
            .collect()
    };
    let modals = |views: &[&str]| -> Value {
        views
            .iter()
            .map(|l| json!({"name": "M", "location": l}))
            .collect()
    };
    // 2 actions + 1 modal on deal details: 3, the most allowed.
    let ok = json!({
        "app_actions": actions(&[&["deal_details"], &["deal_details", "deal_details"]]),
        "json_modals": modals(&["deal_details", "deals_list"]),
    });
    assert!(
        check(&v, &ok, "save").valid,
        "{:?}",
        check(&v, &ok, "save").errors
    );
    // Item 0 of each group on the same view: two items, not one.
    let over = json!({
        "app_actions": actions(&[&["deal_details"], &["deal_details"]]),
        "json_modals": modals(&["deal_details", "deal_details"]),
    });
    let r = check(&v, &over, "save");
    assert_eq!(codes(&r), ["per_view"]);
    assert_eq!(error_paths(&r), ["/app_actions"]);
    let params: std::collections::HashMap<&str, String> = r.errors[0]
        .params
        .iter()
        .map(|(k, p)| (*k, p.to_string()))
        .collect();
    assert_eq!(params["value"], "deal_details");
    assert_eq!(params["count"], "4");
    assert_eq!(params["items"], "app actions or JSON modals");
    // Placements over both groups: 2 + 2 + 2 = 6 > 5.
    let many = json!({
        "app_actions": actions(&[&["deal_details", "deals_list"], &["deals_list", "deal_details"]]),
        "json_modals": modals(&["deals_list", "deal_details"]),
    });
    let r = check(&v, &many, "save");
    assert_eq!(codes(&r), ["placements"], "{:?}", r.errors);
    assert!(r.errors[0].message.contains('6'), "{}", r.errors[0].message);
    // Each group alone stays within both limits.
    let one: &[&str] = &["deal_details"];
    let one_group = json!({"app_actions": actions(&[one, one, one])});
    assert!(check(&v, &one_group, "save").valid);
    // Reading from bytes counts the same.
    for value in [&ok, &over, &many, &one_group] {
        checked_from_bytes(&v, value, "save");
    }
}

/// A check or a rule with `stages:` applies at those stages only, reading from bytes too.
#[test]
fn checks_and_rules_apply_at_their_stages() {
    let spec = r#"
form: {id: t, title: T}
stages: [{id: draft, label: Draft}, {id: submit, label: Submit}, {id: publish, label: Publish}]
sections:
  - id: a
    title: A
    fields:
      - id: title
        label: Title
        kind: text
        checks:
          - sentence_case: true
            stages: [draft]
          - cel: "size(value) > 3"
            stages: publish
            message: "{label} is too short to publish"
      - {id: summary, label: Summary, kind: text}
rules:
  - id: summary_when_submitted
    cel: "has(self.summary)"
    field: summary
    stages: submit
    message: Add a summary before you submit
"#;
    let form = formwork_schema::load_str("t.yaml", spec).expect("spec loads");
    let v = Validator::compile(&form).expect("compiles");
    let value = json!({"title": "An Odd Title"});
    let short = json!({"title": "Abc", "summary": "S"});
    let at = |value: &Value, stage: &str| {
        let r = checked_from_bytes(&v, value, stage);
        let mut all: Vec<String> = r
            .errors
            .iter()
            .chain(&r.warnings)
            .map(|i| i.code.clone())
            .collect();
        all.sort();
        all
    };
    assert_eq!(at(&value, "draft"), ["sentence_case"]);
    assert_eq!(at(&value, "submit"), ["summary_when_submitted"]);
    assert_eq!(at(&value, "publish"), ["summary_when_submitted"]);
    assert_eq!(at(&short, "draft"), Vec::<String>::new());
    assert_eq!(at(&short, "submit"), Vec::<String>::new());
    let r = check(&v, &short, "publish");
    assert_eq!(codes(&r), ["check"]);
    assert_eq!(r.errors[0].message, "Title is too short to publish");
}

/// CEL reads the spec's shared lists as `lists`: a rule over every value of a list does not
/// drift when the list changes.
#[test]
fn cel_reads_the_specs_lists() {
    let spec = |values: &str| {
        format!(
            r#"
form: {{id: t, title: T}}
stages: [{{id: save, label: Save}}]
lists:
  - id: views
    values: [{values}]
  - id: unused
    values: [{{id: x, label: X}}]
sections:
  - id: a
    title: A
    fields:
      - id: actions
        label: Actions
        kind: group
        max_items: 10
        fields: [{{id: views, label: Views, kind: choice, list: views, multiple: true}}]
rules:
  - id: every_view_once_at_most
    cel: "lists.views.all(v, self.actions.filter(a, v in a.views).size() <= 1)"
    field: actions
"#
        )
    };
    let two = "{id: a, label: A}, {id: b, label: B}";
    let form = formwork_schema::load_str("t.yaml", &spec(two)).expect("spec loads");
    let v = Validator::compile(&form).expect("compiles");
    let ok = json!({"actions": [{"views": ["a"]}, {"views": ["b"]}]});
    let twice = json!({"actions": [{"views": ["a", "b"]}, {"views": ["b"]}]});
    assert!(
        check(&v, &ok, "save").valid,
        "{:?}",
        check(&v, &ok, "save").errors
    );
    let r = check(&v, &twice, "save");
    assert_eq!(codes(&r), ["every_view_once_at_most"]);
    assert_eq!(error_paths(&r), ["/actions"]);
    for value in [&ok, &twice] {
        checked_from_bytes(&v, value, "save");
    }
    // A list that grows is read as it is now: `c` is counted too.
    let three = format!("{two}, {{id: c, label: C}}");
    let form = formwork_schema::load_str("t.yaml", &spec(&three)).expect("spec loads");
    let v = Validator::compile(&form).expect("compiles");
    let c_twice = json!({"actions": [{"views": ["c"]}, {"views": ["c"]}]});
    assert_eq!(
        codes(&check(&v, &c_twice, "save")),
        ["every_view_once_at_most"]
    );
    // Lists no field uses, and misspelt ones, are spec errors.
    for (wrong, want) in [
        ("lists.view", "did you mean `views`?"),
        ("lists.unused", "its fields are: views"),
    ] {
        let text = spec(two).replace("lists.views", wrong);
        let err = formwork_schema::load_str("t.yaml", &text).expect_err("invalid");
        let d = &err.diagnostics()[0];
        assert_eq!(d.pos.line, 20, "{wrong}: {d:?}");
        assert!(
            d.help.as_deref().is_some_and(|h| h.contains(want)),
            "{wrong}: {d:?}"
        );
    }
}

/// A CEL rule's message computed by `message_expression` when it fails; its `message` when the
/// expression cannot be evaluated.
#[test]
fn cel_rules_compute_their_messages() {
    let spec = r#"
form: {id: t, title: T}
stages: [{id: save, label: Save}]
sections:
  - id: a
    title: A
    fields:
      - {id: name, label: Name, kind: text, max_length: 40}
      - id: actions
        label: Actions
        kind: group
        max_items: 30
        fields: [{id: name, label: Name, kind: text, max_length: 40}]
rules:
  - id: few_actions
    cel: "!has(self.actions) || size(self.actions) <= 2"
    field: actions
    message: "Rule {rule}: too many actions"
    message_expression: "'At most 2 actions for ' + self.name + ', not ' + string(size(self.actions))"
"#;
    let form = formwork_schema::load_str("t.yaml", spec).expect("spec loads");
    let v = Validator::compile(&form).expect("compiles");
    let three = json!([{"name": "a"}, {"name": "b"}, {"name": "c"}]);
    let named = json!({"name": "Shop", "actions": three});
    let unnamed = json!({"actions": three});
    let r = check(&v, &named, "save");
    assert_eq!(codes(&r), ["few_actions"]);
    assert_eq!(r.errors[0].message, "At most 2 actions for Shop, not 3");
    // `self.name` is absent: the expression fails and `message` stands in.
    let r = check(&v, &unnamed, "save");
    assert_eq!(r.errors[0].message, "Rule few_actions: too many actions");
    for value in [&named, &unnamed] {
        checked_from_bytes(&v, value, "save");
    }
}

/// A CEL rule with `each:` judges every item on its own and reports each failing item at its
/// path (or at one of its fields), with a message of its own.
#[test]
fn cel_rules_over_each_item_report_at_the_item() {
    let spec = r#"
form: {id: t, title: T}
stages: [{id: save, label: Save}]
lists:
  - id: kinds
    values: [{id: link, label: Link}, {id: json_modal, label: JSON modal}]
sections:
  - id: a
    title: A
    fields:
      - id: actions
        label: Actions
        kind: group
        max_items: 4
        fields:
          - {id: name, label: Name, kind: text, max_length: 30}
          - {id: kind, label: Kind, kind: choice, list: kinds}
          - {id: schema, label: Schema, kind: text, max_length: 200}
rules:
  - id: modal_schema
    each: actions
    cel: "!has(item.kind) || item.kind != 'json_modal' || has(item.schema)"
    field: schema
    message_expression: "'Add the JSON schema of ' + item.name"
    message: "Item {index}: add its JSON schema"
  - id: kind_is_listed
    each: actions
    cel: "!has(item.kind) || item.kind in lists.kinds"
"#;
    let form = formwork_schema::load_str("t.yaml", spec).expect("spec loads");
    let v = Validator::compile(&form).expect("compiles");
    let value = json!({"actions": [
        {"name": "Open", "kind": "link"},
        {"name": "Edit", "kind": "json_modal"},
        {"name": "View", "kind": "json_modal", "schema": "{}"},
        {"kind": "json_modal"},
        {"name": "Past the limit", "kind": "json_modal"},
    ]});
    let r = checked_from_bytes(&v, &value, "save");
    let got: Vec<(&str, &str, &str)> = r
        .errors
        .iter()
        .map(|e| (e.path.as_str(), e.code.as_str(), e.message.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("/actions", "max_items", got[0].2),
            (
                "/actions/1/schema",
                "modal_schema",
                "Add the JSON schema of Edit"
            ),
            // No name to put in the message: `message` stands in, with the item's number.
            (
                "/actions/3/schema",
                "modal_schema",
                "Item 4: add its JSON schema"
            ),
        ]
    );
    // Another kind slips past the choice check only if the list allowed it: both agree here.
    let odd = json!({"actions": [{"name": "X", "kind": "other"}]});
    let r = checked_from_bytes(&v, &odd, "save");
    assert_eq!(codes(&r), ["choice", "kind_is_listed"]);
    assert_eq!(error_paths(&r), ["/actions/0/kind", "/actions/0"]);
}

/// A number field that is not `integer: true` is a CEL `double` however the submission writes
/// it, so arithmetic with double literals works on `10` as on `10.5` (a JSON `10` is otherwise a
/// `uint`, with no `12.0 * uint` overload); an integer field stays an integer.
#[test]
fn number_fields_are_doubles_in_cel_unless_integer() {
    let spec = r#"
form: {id: t, title: T}
stages: [{id: save, label: Save}]
sections:
  - id: s
    title: S
    fields:
      - {id: monthly, label: Monthly, kind: number}
      - {id: yearly, label: Yearly, kind: number, checks: [{cel: "value >= 1.0"}]}
      - {id: seats, label: Seats, kind: number, integer: true}
      - id: plans
        label: Plans
        kind: group
        max_items: 3
        fields: [{id: price, label: Price, kind: number}]
rules:
  - id: yearly_at_most_twelve_months
    cel: "!has(self.monthly) || !has(self.yearly) || self.yearly <= 12.0 * self.monthly"
  - id: seats_are_whole
    cel: "!has(self.seats) || self.seats % 2 == 0"
  - id: plan_prices
    each: plans
    cel: "item.price * 2.0 < 100.0"
"#;
    let form = formwork_schema::load_str("t.yaml", spec).expect("loads");
    let v = Validator::compile(&form).expect("compiles");
    let run = |value: Value| {
        let r = checked_from_bytes(&v, &value, "save");
        (
            r.errors.iter().map(|e| e.code.clone()).collect::<Vec<_>>(),
            r.errors.iter().map(|e| e.params.len()).sum::<usize>() + r.warnings.len(),
        )
    };
    let ok = json!({"monthly": 10, "yearly": 100, "seats": 4, "plans": [{"price": 10}]});
    assert_eq!(run(ok).0, Vec::<String>::new());
    assert_eq!(
        run(json!({"monthly": 10, "yearly": 121})).0,
        ["yearly_at_most_twelve_months"]
    );
    assert_eq!(
        run(json!({"monthly": 10.5, "yearly": 126})).0,
        Vec::<String>::new()
    );
    assert_eq!(run(json!({"yearly": 0})).0, ["check"]);
    assert_eq!(run(json!({"seats": 3})).0, ["seats_are_whole"]);
    assert_eq!(run(json!({"plans": [{"price": 60}]})).0, ["plan_prices"]);
}
