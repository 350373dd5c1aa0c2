//! The HTML emitter and renderer: generated template, partials, view model and rendered pages.

use formwork_codegen::html::{self, IssuedView, Partials, RenderInput, Renderer};
use formwork_schema::Form;
use formwork_schema::model::{Field, Kind};
use scraper::{ElementRef, Html, Selector};
use serde_json::{Value, json};

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn pipedrive() -> Form {
    formwork_schema::load_file(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../specs/pipedrive-app.yaml"
    ))
    .expect("valid spec")
}

fn contact() -> Form {
    formwork_schema::load_file(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../specs/contact.yaml"
    ))
    .expect("valid spec")
}

fn github() -> Form {
    formwork_schema::load_file(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../specs/github-marketplace.yaml"
    ))
    .expect("valid spec")
}

fn render(form: &Form, input: &RenderInput<'_>) -> String {
    Renderer::new(form, &Partials::builtin())
        .expect("templates compile")
        .render(input)
        .expect("renders")
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap_or_else(|e| panic!("bad selector {s}: {e:?}"))
}

/// Elements matching `css`.
fn all<'a>(doc: &'a Html, css: &str) -> Vec<ElementRef<'a>> {
    doc.select(&sel(css)).collect()
}

/// The one element matching `css`.
fn one<'a>(doc: &'a Html, css: &str) -> ElementRef<'a> {
    let found = all(doc, css);
    assert_eq!(
        found.len(),
        1,
        "expected exactly one `{css}`, found {}",
        found.len()
    );
    found[0]
}

fn attr<'a>(e: ElementRef<'a>, name: &str) -> Option<&'a str> {
    e.value().attr(name)
}

fn text_of(e: ElementRef<'_>) -> String {
    e.text().collect::<String>()
}

/// Every field's element id and whether it is a leaf (an input/select/textarea) or a wrapper (object, group).
fn field_ids(form: &Form) -> Vec<(String, bool)> {
    fn walk(fields: &[Field], prefix: &str, out: &mut Vec<(String, bool)>) {
        for f in fields {
            let id = format!("{prefix}-{}", f.id);
            match &f.kind {
                Kind::Object(o) => {
                    out.push((id.clone(), false));
                    walk(&o.fields, &id, out);
                }
                Kind::Group(g) => {
                    out.push((id.clone(), false));
                    out.push((format!("{id}-0"), false));
                    walk(&g.fields, &format!("{id}-0"), out);
                }
                _ => out.push((id, true)),
            }
        }
    }
    let mut out = Vec::new();
    for s in &form.sections {
        walk(&s.fields, "f", &mut out);
    }
    out
}

fn assert_ids_unique(doc: &Html) {
    let mut seen = std::collections::HashSet::new();
    for e in all(doc, "[id]") {
        let id = attr(e, "id").unwrap_or_default();
        assert!(seen.insert(id.to_string()), "duplicate id `{id}`");
    }
}

/// Every `label[for]`, `aria-describedby`, `aria-labelledby` and `href="#…"` points at an existing id.
fn assert_references_resolve(doc: &Html) {
    let exists = |id: &str| !all(doc, &format!("[id=\"{id}\"]")).is_empty();
    for l in all(doc, "label[for]") {
        let id = attr(l, "for").unwrap_or_default();
        assert!(exists(id), "label for `{id}` points nowhere");
    }
    for e in all(doc, "[aria-describedby], [aria-labelledby]") {
        for a in ["aria-describedby", "aria-labelledby"] {
            for id in attr(e, a).unwrap_or_default().split_whitespace() {
                assert!(exists(id), "{a} `{id}` points nowhere");
            }
        }
    }
    for a in all(doc, "a[href^=\"#\"]") {
        let id = &attr(a, "href").unwrap_or_default()[1..];
        assert!(exists(id), "link to `#{id}` points nowhere");
    }
}

fn assert_no_active_content(raw: &str, doc: &Html) {
    assert!(
        all(doc, "script:not([src]), style, [style]").is_empty(),
        "inline script or style"
    );
    // The one script allowed is the show/hide script, as a file (the CSP allows no inline script).
    for s in all(doc, "script") {
        assert_eq!(attr(s, "src"), Some("/assets/conditions.js"));
        assert!(text_of(s).is_empty(), "a script with a body");
    }
    assert_eq!(
        raw.matches("<script").count(),
        all(doc, "script").len(),
        "a <script> tag outside the markup"
    );
    for e in all(doc, "*") {
        for (name, _) in e.value().attrs() {
            assert!(
                !name.starts_with("on"),
                "event handler attribute `{name}` on <{}>",
                e.value().name()
            );
        }
    }
}

#[test]
fn blank_pipedrive_form_has_one_input_and_one_label_per_field() {
    let form = pipedrive();
    let raw = render(&form, &RenderInput::new(&Value::Null));
    let doc = Html::parse_document(&raw);
    assert!(doc.errors.is_empty(), "HTML parse errors: {:?}", doc.errors);
    assert_ids_unique(&doc);
    assert_references_resolve(&doc);
    assert_no_active_content(&raw, &doc);

    for (id, leaf) in field_ids(&form) {
        if leaf {
            let controls = all(
                &doc,
                &format!("input[id=\"{id}\"], select[id=\"{id}\"], textarea[id=\"{id}\"]"),
            );
            assert_eq!(controls.len(), 1, "`{id}` has {} controls", controls.len());
            let labels = all(&doc, &format!("label[for=\"{id}\"]"));
            assert_eq!(labels.len(), 1, "`{id}` has {} labels", labels.len());
        } else {
            one(&doc, &format!("[id=\"{id}\"]"));
        }
    }

    // Names are JSON paths with dots.
    one(&doc, "input[name=\"app_name\"][type=\"text\"]");
    one(&doc, "input[name=\"app_actions.0.name\"][maxlength=\"30\"]");
    one(
        &doc,
        "input[name=\"installation_scenarios.no_account\"][type=\"checkbox\"][value=\"true\"]",
    );
    assert_eq!(
        all(&doc, "input[name=\"categories\"][type=\"checkbox\"]").len(),
        12
    );
    assert_eq!(
        all(
            &doc,
            "input[name=\"app_panels.0.location\"][type=\"radio\"]"
        )
        .len(),
        3
    );
    one(&doc, "input[name=\"callback_url\"][type=\"url\"]");
    one(&doc, "input[name=\"main_contact_email\"][type=\"email\"]");
    one(
        &doc,
        "input[name=\"app_panels.0.http_auth_password\"][type=\"password\"]",
    );
    one(&doc, "textarea[name=\"app_panels.0.json_data_structure\"]");
    let instructions = one(
        &doc,
        "textarea[name=\"installation_instructions\"][maxlength=\"1500\"]",
    );
    assert_eq!(
        attr(instructions, "aria-describedby"),
        Some("f-installation_instructions-hint f-installation_instructions-count")
    );
    let icon = one(&doc, "input[name=\"app_icon\"][type=\"file\"]");
    assert_eq!(attr(icon, "accept"), Some("image/png,image/jpeg"));
    assert_eq!(attr(icon, "multiple"), None);
    let images = one(&doc, "input[name=\"listing_images\"][type=\"file\"]");
    assert!(attr(images, "multiple").is_some());

    // The first option of a choice carries the field id.
    assert_eq!(
        attr(one(&doc, "#f-categories"), "value"),
        Some("accounting_invoicing")
    );
    assert_eq!(
        attr(one(&doc, "#f-categories-2"), "value"),
        Some("calling_sms")
    );

    // Hints are linked.
    let name = one(&doc, "#f-app_name");
    assert_eq!(attr(name, "aria-describedby"), Some("f-app_name-hint"));
    assert!(text_of(one(&doc, "#f-app_name-hint")).contains("For example: Random"));

    // No HTML `required` (drafts must save); required-ness is text and aria.
    assert!(all(&doc, "[required]").is_empty());
    assert_eq!(attr(name, "aria-required"), Some("true"));
    assert!(text_of(one(&doc, "label[for=\"f-app_name\"]")).contains("(required)"));
    assert!(
        text_of(one(&doc, "label[for=\"f-short_summary\"]"))
            .contains("(required to send to review)")
    );
    assert_eq!(attr(one(&doc, "#f-short_summary"), "aria-required"), None);
    assert!(!text_of(one(&doc, "label[for=\"f-company\"]")).contains("required"));

    // Form element, tokens, sections in order, one button per stage.
    let f = one(&doc, "form");
    assert_eq!(attr(f, "method"), Some("post"));
    assert_eq!(attr(f, "enctype"), Some("multipart/form-data"));
    assert!(attr(f, "novalidate").is_some());
    one(&doc, "input[type=\"hidden\"][name=\"_csrf\"]");
    one(&doc, "input[type=\"hidden\"][name=\"_version\"]");
    let legends: Vec<String> = all(&doc, "fieldset.fw-section > legend")
        .into_iter()
        .map(text_of)
        .collect();
    let titles: Vec<String> = form.sections.iter().map(|s| s.title.clone()).collect();
    assert_eq!(legends, titles);
    let stages: Vec<(String, String)> = all(&doc, ".fw-buttons button[name=\"_stage\"]")
        .into_iter()
        .map(|b| (attr(b, "value").unwrap_or_default().to_string(), text_of(b)))
        .collect();
    assert_eq!(
        stages,
        vec![
            ("save".into(), "Save".into()),
            ("review".into(), "Send to review".into())
        ]
    );
    // Enter in a text box saves (the first submit button is a hidden Save), it never removes an item.
    let first_submit = all(&doc, "form button[type=\"submit\"]")[0];
    assert_eq!(attr(first_submit, "value"), Some("save"));

    // Groups: one blank item, Remove and Add another buttons.
    assert_eq!(
        text_of(one(&doc, "#f-app_actions-0 > legend")),
        "App action 1"
    );
    let remove = one(&doc, "#f-app_actions-0 button[name=\"_action\"]");
    assert_eq!(attr(remove, "value"), Some("remove:app_actions:0"));
    assert!(text_of(remove).starts_with("Remove"));
    let add = one(&doc, "button[name=\"_action\"][value=\"add:app_actions\"]");
    assert_eq!(text_of(add), "Add another app action");
    assert!(all(&doc, ".fw-error-summary").is_empty());
    assert_eq!(text_of(one(&doc, "title")), form.title);
}

fn full_values() -> Value {
    json!({
        "app_name": "Random",
        "company": "Random Inc",
        "short_summary": "Helps you manage tasks",
        "description": "Line one\nLine two",
        "categories": ["lead_generation", "scheduling"],
        "app_icon": {"name": "icon.png", "media_type": "image/png", "size": 123456, "width": 512, "height": 512,
                     "token": "tok-icon", "url": "/files/tok-icon"},
        "youtube_video_url": "https://youtu.be/dQw4w9WgXcQ",
        "listing_images": [
            {"name": "one.png", "media_type": "image/png", "size": 2000000, "width": 1280, "height": 800, "token": "tok-1"},
            {"name": "two.jpg", "media_type": "image/jpeg", "size": 3000000, "width": 1440, "height": 900, "token": "tok-2",
             "url": "javascript:alert(1)"}
        ],
        "callback_url": "https://example.com/callback",
        "access_scopes": ["base", "deals:read"],
        "app_actions": [
            {"name": "Add to list", "url": "https://example.com/a1", "locations": ["deal_details"]},
            {"name": "Second action", "url": "https://example.com/a2", "locations": ["people_list", "deals_list"]}
        ],
        "app_panels": [
            {"name": "Visits", "api_endpoint": "https://example.com/panel", "http_auth_username": "panel-user",
             "http_auth_password": "hunter2-SECRET", "json_data_structure": "{\"type\": \"object\"}", "location": "person_details"}
        ],
        "installation_instructions": "Install it.",
        "website_url": "https://example.com",
        "support_email": "help@example.com",
        "main_contact_email": "dev@example.com",
        "review_notifications": true,
        "installation_scenarios": {"no_account": true, "account_logged_out": false, "account_logged_in": true},
        "partner_agreement": true
    })
}

#[test]
fn rendering_keeps_every_value_and_never_the_secret() {
    let form = pipedrive();
    let values = full_values();
    let mut input = RenderInput::new(&values);
    input.csrf = "csrf-token";
    input.version = Some(7);
    input.action = "/apps/42";
    let raw = render(&form, &input);
    let doc = Html::parse_document(&raw);
    assert!(doc.errors.is_empty(), "HTML parse errors: {:?}", doc.errors);
    assert_ids_unique(&doc);
    assert_references_resolve(&doc);
    assert_no_active_content(&raw, &doc);

    let value_of = |css: &str| attr(one(&doc, css), "value").map(str::to_string);
    assert_eq!(value_of("#f-app_name").as_deref(), Some("Random"));
    assert_eq!(value_of("#f-company").as_deref(), Some("Random Inc"));
    assert_eq!(
        value_of("#f-youtube_video_url").as_deref(),
        Some("https://youtu.be/dQw4w9WgXcQ")
    );
    assert_eq!(text_of(one(&doc, "#f-description")), "Line one\nLine two");
    assert_eq!(
        text_of(one(&doc, "#f-installation_instructions")),
        "Install it."
    );
    assert_eq!(
        value_of("input[name=\"_csrf\"]").as_deref(),
        Some("csrf-token")
    );
    assert_eq!(value_of("input[name=\"_version\"]").as_deref(), Some("7"));
    assert_eq!(attr(one(&doc, "form"), "action"), Some("/apps/42"));

    let checked = |name: &str| -> Vec<String> {
        all(&doc, &format!("input[name=\"{name}\"][checked]"))
            .into_iter()
            .map(|e| attr(e, "value").unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(checked("categories"), vec!["lead_generation", "scheduling"]);
    assert_eq!(checked("access_scopes"), vec!["base", "deals:read"]);
    assert_eq!(
        checked("app_actions.1.locations"),
        vec!["deals_list", "people_list"]
    );
    assert_eq!(checked("app_panels.0.location"), vec!["person_details"]);
    assert_eq!(checked("review_notifications"), vec!["true"]);
    assert_eq!(checked("installation_scenarios.no_account"), vec!["true"]);
    assert!(checked("installation_scenarios.account_logged_out").is_empty());
    assert_eq!(checked("partner_agreement"), vec!["true"]);

    // Group items: exactly the two given, with index-based names and ids.
    assert_eq!(all(&doc, "#f-app_actions > fieldset.fw-item").len(), 2);
    assert_eq!(
        value_of("input[name=\"app_actions.1.name\"]").as_deref(),
        Some("Second action")
    );
    assert_eq!(
        value_of("#f-app_actions-1-url").as_deref(),
        Some("https://example.com/a2")
    );
    one(&doc, "button[value=\"remove:app_actions:1\"]");
    assert_eq!(
        value_of("#f-app_panels-0-http_auth_username").as_deref(),
        Some("panel-user")
    );
    assert_eq!(
        text_of(one(&doc, "#f-app_panels-0-json_data_structure")),
        "{\"type\": \"object\"}"
    );

    // Stored files: shown by name, kept by token, previewed only from a safe URL.
    let icon_block = text_of(one(&doc, "#f-app_icon-stored"));
    assert!(
        icon_block.contains("icon.png") && icon_block.contains("512 × 512 px"),
        "{icon_block}"
    );
    assert_eq!(
        value_of("input[type=\"hidden\"][name=\"app_icon._keep\"]").as_deref(),
        Some("tok-icon")
    );
    assert_eq!(
        attr(one(&doc, "#f-app_icon-stored img"), "src"),
        Some("/files/tok-icon")
    );
    assert!(
        attr(one(&doc, "#f-app_icon"), "aria-describedby")
            .unwrap_or_default()
            .contains("f-app_icon-stored")
    );
    assert_eq!(checked("listing_images._keep"), vec!["tok-1", "tok-2"]);
    let images = text_of(one(&doc, "#f-listing_images-stored"));
    assert!(images.contains("one.png") && images.contains("two.jpg"));
    assert!(
        all(&doc, "#f-listing_images-stored img").is_empty(),
        "unsafe preview URL used"
    );
    assert!(!raw.contains("javascript:"));

    // The secret is never rendered, only the fact that one is stored.
    assert!(!raw.contains("hunter2"), "secret leaked");
    let password = one(&doc, "#f-app_panels-0-http_auth_password");
    assert_eq!(attr(password, "value"), None);
    assert_eq!(
        text_of(one(&doc, "#f-app_panels-0-http_auth_password-stored")),
        "A password is stored. Leave blank to keep it."
    );
}

#[test]
fn empty_group_shows_no_item_and_blank_form_shows_one() {
    let form = pipedrive();
    let values = json!({"app_name": "Random", "app_actions": []});
    let doc = Html::parse_document(&render(&form, &RenderInput::new(&values)));
    assert!(all(&doc, "#f-app_actions fieldset").is_empty());
    assert_eq!(
        text_of(one(&doc, "button[value=\"add:app_actions\"]")),
        "Add an app action"
    );
    // A non-blank submission without `app_panels` still shows one blank panel to fill in.
    one(&doc, "#f-app_panels-0");
}

#[test]
fn markup_in_values_and_messages_is_inert() {
    let form = pipedrive();
    let attack = "<script>alert(1)</script>";
    let quote = "\" onmouseover=\"alert(1)\" x=\"";
    let values = json!({
        "app_name": attack,
        "company": quote,
        "description": format!("</textarea>{attack}"),
        "app_actions": [{"name": quote, "locations": [attack]}],
        "app_icon": {"name": attack, "token": quote, "url": format!("/x\"{quote}")},
    });
    let errors = vec![
        ("/app_name".to_string(), format!("bad {attack}")),
        (format!("/{attack}"), format!("unknown {quote}")),
    ];
    let issued = vec![IssuedView::plain("Client ID", attack)];
    let mut input = RenderInput::new(&values);
    input.errors = &errors;
    input.issued = &issued;
    input.csrf = quote;
    input.notice = Some(attack);
    input.heading = Some(attack);
    let raw = render(&form, &input);
    let doc = Html::parse_document(&raw);
    assert!(doc.errors.is_empty(), "HTML parse errors: {:?}", doc.errors);
    assert_no_active_content(&raw, &doc);
    assert_eq!(attr(one(&doc, "#f-app_name"), "value"), Some(attack));
    assert_eq!(attr(one(&doc, "#f-company"), "value"), Some(quote));
    assert_eq!(
        attr(one(&doc, "#f-app_actions-0-name"), "value"),
        Some(quote)
    );
    assert_eq!(
        text_of(one(&doc, "#f-description")),
        format!("</textarea>{attack}")
    );
    assert_eq!(
        attr(one(&doc, "input[name=\"_csrf\"]"), "value"),
        Some(quote)
    );
    assert_eq!(
        attr(one(&doc, "input[name=\"app_icon._keep\"]"), "value"),
        Some(quote)
    );
    assert!(text_of(one(&doc, "h1")).contains(attack));
    assert!(text_of(one(&doc, ".fw-error-summary")).contains(attack));
}

#[test]
fn errors_produce_a_summary_and_inline_messages() {
    let form = pipedrive();
    let values = json!({
        "app_name": "",
        "app_actions": [{"name": "add To list", "locations": ["deal_details"]}],
        "categories": ["scheduling", "scheduling", "nope"],
    });
    let errors: Vec<(String, String)> = [
        ("/app_name", "Enter an app name"),
        ("/categories/2", "Choose categories from the list"),
        ("/app_actions/0/url", "Enter the URL link of app action 1"),
        (
            "/app_actions",
            "view deal_details is used by 4 app actions; at most 3 are allowed",
        ),
        ("/app_actions/0", "This app action is broken"),
        (
            "/installation_scenarios",
            "Check every installation scenario",
        ),
        ("/installation_scenarios/no_account", "Check this scenario"),
        ("", "The whole submission is wrong"),
        ("/not_a_field", "Unknown field not_a_field"),
    ]
    .into_iter()
    .map(|(p, m)| (p.to_string(), m.to_string()))
    .collect();
    let warnings = vec![(
        "/app_actions/0/name".to_string(),
        "Use sentence case".to_string(),
    )];
    let mut input = RenderInput::new(&values);
    input.errors = &errors;
    input.warnings = &warnings;
    let raw = render(&form, &input);
    let doc = Html::parse_document(&raw);
    assert!(doc.errors.is_empty(), "HTML parse errors: {:?}", doc.errors);
    assert_ids_unique(&doc);
    assert_references_resolve(&doc);

    assert!(text_of(one(&doc, "title")).starts_with("Error: "));
    let summary = one(&doc, ".fw-error-summary");
    assert_eq!(attr(summary, "role"), Some("alert"));
    assert_eq!(attr(summary, "tabindex"), Some("-1"));
    assert!(attr(summary, "autofocus").is_some());
    assert_eq!(
        text_of(one(&doc, ".fw-error-summary h2")),
        "There is a problem"
    );
    // The summary is the first thing in <main>.
    let main = one(&doc, "main");
    let first = main
        .children()
        .filter_map(ElementRef::wrap)
        .next()
        .map(|e| e.value().name().to_string());
    assert_eq!(first.as_deref(), Some("div"));
    let links: Vec<(String, String)> = all(&doc, ".fw-error-summary a")
        .into_iter()
        .map(|a| (attr(a, "href").unwrap_or_default().to_string(), text_of(a)))
        .collect();
    let expected = [
        ("#f-app_name", "Enter an app name"),
        ("#f-categories", "Choose categories from the list"),
        ("#f-app_actions-0-url", "Enter the URL link of app action 1"),
        (
            "#f-app_actions",
            "view deal_details is used by 4 app actions; at most 3 are allowed",
        ),
        ("#f-app_actions-0", "This app action is broken"),
        (
            "#f-installation_scenarios",
            "Check every installation scenario",
        ),
        (
            "#f-installation_scenarios-no_account",
            "Check this scenario",
        ),
    ];
    assert_eq!(
        links,
        expected
            .map(|(h, m)| (h.to_string(), m.to_string()))
            .to_vec()
    );
    let items: Vec<String> = all(&doc, ".fw-error-summary li")
        .into_iter()
        .map(text_of)
        .collect();
    assert_eq!(items.len(), 9);
    assert!(items.contains(&"The whole submission is wrong".to_string()));
    assert!(items.contains(&"Unknown field not_a_field".to_string()));

    // Inline messages, linked by aria-describedby.
    let inline = |target: &str, message: &str| {
        let error_id = format!("{}-error", &target[1..]);
        assert!(
            text_of(one(&doc, &format!("#{error_id}"))).contains(message),
            "{target}: {message}"
        );
        let described = attr(one(&doc, target), "aria-describedby").unwrap_or_default();
        assert!(
            described.split_whitespace().any(|d| d == error_id),
            "{target} not described by {error_id}"
        );
    };
    inline("#f-app_name", "Enter an app name");
    inline("#f-app_actions-0-url", "Enter the URL link of app action 1");
    inline("#f-app_actions", "at most 3 are allowed");
    inline("#f-app_actions-0", "This app action is broken");
    inline(
        "#f-installation_scenarios",
        "Check every installation scenario",
    );
    inline(
        "#f-installation_scenarios-no_account",
        "Check this scenario",
    );
    assert_eq!(attr(one(&doc, "#f-app_name"), "aria-invalid"), Some("true"));
    // Choice errors are on the fieldset that holds the checkboxes.
    let cat_fieldset = one(&doc, "fieldset[aria-describedby~=\"f-categories-error\"]");
    assert!(text_of(cat_fieldset).contains("Choose categories from the list"));
    // Unmatched pointers are in the summary only.
    assert!(!text_of(one(&doc, "form")).contains("Unknown field"));

    // Warnings: inline, linked, and listed apart from errors.
    assert!(text_of(one(&doc, "#f-app_actions-0-name-warning")).contains("Use sentence case"));
    let described =
        attr(one(&doc, "#f-app_actions-0-name"), "aria-describedby").unwrap_or_default();
    assert!(described.contains("f-app_actions-0-name-warning"));
    assert_eq!(
        attr(one(&doc, ".fw-warning-summary a"), "href"),
        Some("#f-app_actions-0-name")
    );
    // Values survive alongside errors.
    assert_eq!(
        attr(one(&doc, "#f-app_actions-0-name"), "value"),
        Some("add To list")
    );
}

#[test]
fn status_notice_and_issued_values_are_shown() {
    let form = pipedrive();
    let values = json!({"app_name": "Random"});
    let issued = vec![
        IssuedView::plain("Client ID", "abc123"),
        IssuedView::plain("Client secret", "s3cr3t"),
    ];
    let mut input = RenderInput::new(&values);
    input.status = Some("hidden");
    input.notice = Some("Your app was saved.");
    input.issued = &issued;
    input.title = Some("Edit Random");
    let doc = Html::parse_document(&render(&form, &input));
    assert_eq!(text_of(one(&doc, "title")), "Edit Random");
    assert_eq!(
        text_of(one(&doc, ".fw-notice")).trim(),
        "Your app was saved."
    );
    assert_eq!(text_of(one(&doc, ".fw-status .fw-tag")), "hidden");
    let rows: Vec<String> = all(&doc, ".fw-issued__row")
        .into_iter()
        .map(text_of)
        .collect();
    assert_eq!(rows, vec!["Client IDabc123", "Client secrets3cr3t"]);
    assert!(
        all(&doc, ".fw-issued form").is_empty(),
        "no buttons for plain values"
    );

    // A masked secret gets Reveal and Rotate buttons posting the page's CSRF token.
    let issued = vec![IssuedView {
        label: "Client secret".into(),
        value: "••••••".into(),
        reveal: Some("/records/abc/secrets/client_secret/reveal".into()),
        rotate: Some("/records/abc/secrets/client_secret/rotate".into()),
    }];
    input.issued = &issued;
    input.csrf = "tok";
    let doc = Html::parse_document(&render(&form, &input));
    let forms = all(&doc, ".fw-issued form");
    let actions: Vec<&str> = forms
        .iter()
        .filter_map(|f| f.value().attr("action"))
        .collect();
    assert_eq!(
        actions,
        [
            "/records/abc/secrets/client_secret/reveal",
            "/records/abc/secrets/client_secret/rotate"
        ]
    );
    let tokens: Vec<&str> = all(&doc, ".fw-issued input[name=_csrf]")
        .iter()
        .filter_map(|i| i.value().attr("value"))
        .collect();
    assert_eq!(tokens, ["tok", "tok"]);
}

#[test]
fn contact_form_mirrors_the_spec_constraints() {
    let form = contact();
    let raw = render(&form, &RenderInput::new(&Value::Null));
    let doc = Html::parse_document(&raw);
    assert!(doc.errors.is_empty(), "HTML parse errors: {:?}", doc.errors);
    assert_ids_unique(&doc);
    assert_references_resolve(&doc);
    for (id, leaf) in field_ids(&form) {
        if leaf {
            one(
                &doc,
                &format!("input[id=\"{id}\"], select[id=\"{id}\"], textarea[id=\"{id}\"]"),
            );
            one(&doc, &format!("label[for=\"{id}\"]"));
        }
    }
    assert_eq!(attr(one(&doc, "#f-full_name"), "maxlength"), Some("80"));
    let age = one(&doc, "#f-age");
    assert_eq!(
        (
            attr(age, "type"),
            attr(age, "min"),
            attr(age, "max"),
            attr(age, "step")
        ),
        (Some("number"), Some("16"), Some("130"), Some("1"))
    );
    // Default applies to the blank form.
    assert_eq!(
        attr(one(&doc, "input[name=\"topic\"][checked]"), "value"),
        Some("support")
    );
    assert_eq!(attr(one(&doc, "#f-links-0-url"), "type"), Some("url"));
    assert_eq!(
        attr(one(&doc, "#f-attachment"), "accept"),
        Some("image/png,image/jpeg")
    );
    assert!(text_of(one(&doc, "label[for=\"f-email\"]")).contains("(required)"));
    let stage = one(&doc, ".fw-buttons button[name=\"_stage\"]");
    assert_eq!(
        (attr(stage, "value"), text_of(stage).as_str()),
        (Some("submit"), "Send message")
    );

    // A full group (max_items: 3) offers no Add button.
    let values = json!({"full_name": "Ada", "links": [{}, {}, {}], "age": 36});
    let doc = Html::parse_document(&render(&form, &RenderInput::new(&values)));
    assert!(all(&doc, "button[value=\"add:links\"]").is_empty());
    assert_eq!(all(&doc, "#f-links > fieldset").len(), 3);
    assert_eq!(attr(one(&doc, "#f-age"), "value"), Some("36"));
    // Not a blank form: no default is forced on the person.
    assert!(all(&doc, "input[name=\"topic\"][checked]").is_empty());
}

#[test]
fn emit_is_deterministic_and_lists_the_partials_it_uses() {
    let form = pipedrive();
    let a = html::emit(&form, &Partials::builtin());
    let b = html::emit(&form, &Partials::builtin());
    assert_eq!(a, b);
    let names: Vec<&str> = a.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "pipedrive_app.hbs",
            "partials/checkbox.hbs",
            "partials/choice.hbs",
            "partials/error_summary.hbs",
            "partials/file.hbs",
            "partials/group.hbs",
            "partials/layout.hbs",
            "partials/long_text.hbs",
            "partials/messages.hbs",
            "partials/object.hbs",
            "partials/text.hbs",
            "form.css",
        ]
    );
    assert_eq!(a[0].contents, html::main_template(&form));
    // Contact has no object: no object partial.
    let c = html::emit(&contact(), &Partials::builtin());
    assert!(!c.iter().any(|f| f.name == "partials/object.hbs"));

    let renderer = Renderer::new(&form, &Partials::builtin()).expect("compiles");
    let values = full_values();
    let errors = vec![("/app_name".to_string(), "Enter an app name".to_string())];
    let mut input = RenderInput::new(&values);
    input.errors = &errors;
    let first = renderer.render(&input).expect("renders");
    let second = renderer.render(&input).expect("renders");
    assert_eq!(first, second);
}

#[test]
fn partials_from_a_folder_override_builtins() {
    let dir = std::env::temp_dir().join(format!("formwork-html-partials-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(
        dir.join("checkbox.hbs"),
        "<p class=\"my-checkbox\" id=\"{{id}}\">{{label}}</p>\n",
    )
    .expect("write");
    std::fs::write(dir.join("form.css"), "body { color: red; }\n").expect("write");
    std::fs::write(dir.join("notes.txt"), "ignored").expect("write");
    let partials = Partials::from_dir(&dir).expect("valid partials");
    assert!(
        partials
            .get("checkbox")
            .unwrap_or_default()
            .contains("my-checkbox")
    );
    assert_eq!(partials.get("text"), Partials::builtin().get("text"));
    assert_eq!(partials.css(), "body { color: red; }\n");
    let form = contact();
    let raw = Renderer::new(&form, &partials)
        .expect("compiles")
        .render(&RenderInput::default())
        .expect("renders");
    assert!(raw.contains(
        "<p class=\"my-checkbox\" id=\"f-consent\">I agree that you store my message</p>"
    ));

    std::fs::write(dir.join("text.hbs"), "{{#if}}broken").expect("write");
    let err = Partials::from_dir(&dir).expect_err("invalid template");
    assert!(err.to_string().contains("text.hbs"), "{err}");
    // A partial that uses a name the view model lacks fails loudly (strict mode).
    let mut strict = Partials::builtin();
    strict.insert("checkbox", "{{no_such_key}}");
    let err = Renderer::new(&form, &strict)
        .expect("compiles")
        .render(&RenderInput::default());
    assert!(err.is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn contact_template_snapshot() {
    let files = html::emit(&contact(), &Partials::builtin());
    let main = files
        .iter()
        .find(|f| f.name == "contact.hbs")
        .expect("contact.hbs emitted");
    insta::assert_snapshot!("contact_hbs", main.contents);
}

/// Writes rendered pages for a visual check: `FORMWORK_HTML_DUMP=/tmp/out cargo test -p formwork-codegen --test html -- --ignored`.
#[test]
#[ignore = "writes files; run by hand for screenshots"]
fn dump_pages() {
    let Some(dir) = std::env::var_os("FORMWORK_HTML_DUMP") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).expect("dump dir");
    let form = pipedrive();
    let renderer = Renderer::new(&form, &Partials::builtin()).expect("compiles");
    let css = Partials::builtin().css().to_string();
    let write = |name: &str, html: String| {
        let html = html.replace("href=\"/assets/form.css\"", "href=\"form.css\"");
        std::fs::write(dir.join(name), html).expect("write page");
    };
    std::fs::write(dir.join("form.css"), css).expect("write css");
    for file in html::emit(&form, &Partials::builtin()) {
        if !file.name.contains('/') {
            std::fs::write(dir.join(&file.name), &file.contents).expect("write emitted file");
        }
    }
    write(
        "blank.html",
        renderer
            .render(&RenderInput::new(&Value::Null))
            .expect("renders"),
    );
    let mut values = full_values();
    values["app_icon"]["url"] = json!(
        "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 8 8'%3E%3Crect width='8' height='8' fill='%2300703c'/%3E%3C/svg%3E"
    );
    let errors: Vec<(String, String)> = [
        ("/app_name", "Enter an app name"),
        ("/app_actions/0/url", "Enter the URL link of app action 1"),
        (
            "/app_actions",
            "view deal_details is used by 4 app actions; at most 3 are allowed",
        ),
        ("/categories", "Choose at most 2 categories"),
        (
            "/installation_scenarios/account_logged_out",
            "Check this installation scenario",
        ),
        ("/listing_images/1", "two.jpg must be 16:10"),
        ("", "The app could not be saved"),
    ]
    .into_iter()
    .map(|(p, m)| (p.to_string(), m.to_string()))
    .collect();
    let warnings = vec![(
        "/app_actions/0/name".to_string(),
        "Use sentence case for the action name".to_string(),
    )];
    let issued = vec![
        IssuedView::plain("Client ID", "c1d2e3f4"),
        IssuedView::plain("Client secret", "s-9f8e7d"),
    ];
    let mut input = RenderInput::new(&values);
    input.errors = &errors;
    input.warnings = &warnings;
    input.status = Some("hidden");
    input.issued = &issued;
    write("errors.html", renderer.render(&input).expect("renders"));
    write(
        "contact.html",
        Renderer::new(&contact(), &Partials::builtin())
            .expect("ok")
            .render(&RenderInput::default())
            .expect("renders"),
    );
}

#[test]
fn renderer_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Renderer>();
    assert_send_sync::<Partials>();
}

/// The renderer walks the templates compiled into render steps (for speed); it must render
/// exactly the page handlebars renders from the same templates, byte for byte, for every kind
/// of input: blank and filled forms, every acceptance case with its errors and warnings, group
/// items, stored files and secrets, issued credentials, changes and orphans.
#[test]
fn compiled_templates_render_the_page_handlebars_renders() {
    let cases = std::fs::read_dir(root().join("tests/cases/pipedrive")).expect("cases");
    let mut cases: Vec<Value> = cases
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).expect("read")).expect("json"))
        .collect();
    cases.sort_by_key(|c| c["name"].to_string());
    assert!(cases.len() > 40);
    let issued = vec![IssuedView::plain("Client ID", "abc")];
    let changes = vec!["The field Foo was removed".to_string()];
    let orphans = vec![("Old field".to_string(), "kept <value>".to_string())];
    let mut compared = 0;
    for form in [pipedrive(), contact()] {
        let renderer = Renderer::new(&form, &Partials::builtin()).expect("renderer");
        assert!(renderer.is_compiled(), "the built-in templates compile");
        let validator = formwork_runtime::Validator::compile(&form).expect("validator");
        // (values, errors, warnings)
        type Messages = Vec<(String, String)>;
        let mut inputs: Vec<(Value, Messages, Messages)> = vec![
            (json!({}), Vec::new(), Vec::new()),
            (full_values(), Vec::new(), Vec::new()),
        ];
        for case in &cases {
            let values = case["submission"].clone();
            let Ok(stage) = validator.stage(case["stage"].as_str().unwrap_or("")) else {
                continue;
            };
            let report = validator.validate(&values, stage);
            let pairs = |issues: &[formwork_runtime::Issue]| -> Vec<(String, String)> {
                issues
                    .iter()
                    .map(|i| (i.path.clone(), i.message.clone()))
                    .collect()
            };
            inputs.push((values, pairs(&report.errors), pairs(&report.warnings)));
        }
        for (i, (values, errors, warnings)) in inputs.iter().enumerate() {
            let mut input = RenderInput::new(values);
            input.csrf = "token";
            input.errors = errors;
            input.warnings = warnings;
            if i % 2 == 1 {
                input.version = Some(3);
                input.notice = Some("Saved <now>.");
                input.status = Some("hidden");
                input.issued = &issued;
                input.changes = &changes;
                input.orphans = &orphans;
                input.account = Some("ada@example.com");
                input.history = Some("/records/1/history");
            }
            let compiled = renderer
                .render_compiled(&input)
                .expect("the compiled templates render every page");
            let reference = renderer.render_by_handlebars(&input).expect("renders");
            assert_eq!(compiled, reference, "form {} input {i}", form.id);
            assert_eq!(renderer.render(&input).expect("renders"), reference);
            compared += 1;
        }
    }
    assert!(compared > 48, "{compared}");
}

/// The compiled templates read the static keys of field views once, from the blank form: they
/// must be the same in every view model, whatever the values, problems and page.
#[test]
fn static_keys_of_field_views_never_change() {
    fn views<'v>(f: &'v Value, out: &mut Vec<(String, &'v Value)>, at: String) {
        for (id, view) in f.as_object().into_iter().flatten() {
            out.push((format!("{at}/{id}"), view));
            if let Some(sub) = view.get("f") {
                views(sub, out, format!("{at}/{id}"));
            }
        }
    }
    let form = pipedrive();
    let renderer = Renderer::new(&form, &Partials::builtin()).expect("renderer");
    let blank = renderer.view_model(&RenderInput::default());
    let mut blank_views = Vec::new();
    views(&blank["f"], &mut blank_views, String::new());
    assert!(blank_views.len() > 20, "{}", blank_views.len());
    let validator = formwork_runtime::Validator::compile(&form).expect("validator");
    let mut checked = 0;
    for name in [
        "review-full",
        "review-missing-app_icon",
        "save-minimal",
        "save-wrong-type",
    ] {
        let text =
            std::fs::read_to_string(root().join(format!("tests/cases/pipedrive/{name}.json")))
                .expect("case");
        let case: Value = serde_json::from_str(&text).expect("json");
        let values = case["submission"].clone();
        let report = validator.validate(&values, validator.stage("review").expect("stage"));
        let errors: Vec<(String, String)> = report
            .errors
            .iter()
            .map(|e| (e.path.clone(), e.message.clone()))
            .collect();
        let mut input = RenderInput::new(&values);
        input.errors = &errors;
        let model = renderer.view_model(&input);
        let mut model_views = Vec::new();
        views(&model["f"], &mut model_views, String::new());
        for (at, view) in &blank_views {
            let other = model_views
                .iter()
                .find(|(p, _)| p == at)
                .map(|(_, v)| *v)
                .expect("the same field views");
            for key in html::STATIC_KEYS {
                assert_eq!(view.get(key), other.get(key), "{name}: {at} {key}");
                checked += 1;
            }
        }
    }
    assert!(checked > 1000, "{checked}");
}

/// Overridden templates that keep to the compiled subset but use more of it than the built-ins
/// (`#with`, `#each` over objects with `@key`, `else if` chains, `@first`, `this.x`, `{{{raw}}}`,
/// `@root`) render exactly as handlebars renders them. A template that walks a field view itself
/// (which the compiled templates hold without its static keys) is left to handlebars.
#[test]
fn the_compiled_subset_matches_handlebars_beyond_the_builtins() {
    let dir = tempfile::tempdir().expect("tempdir");
    let values = json!({"full_name": "Ada <Lovelace> & \"co\"", "email": "nope"});
    let errors = [
        ("/email".to_string(), "Enter an <email>".to_string()),
        ("/nowhere".to_string(), "Unplaced".to_string()),
    ];
    for (template, compiled) in [
        (
            concat!(
                "<p>{{#each @root.errors}}{{#if @first}}[{{/if}}{{#with this}}{{this.message}}",
                "{{/with}}{{#each this}}{{@key}}={{#if this}}y{{else if @last}}last{{else}}n{{/if}};",
                "{{/each}}{{else}}none{{/each}}|{{#unless has_error}}ok{{else}}bad{{/unless}}",
                "|{{{label}}}|{{@root.csrf}}|{{#each errors}}{{@index}}:{{this}}{{/each}}</p>\n"
            ),
            true,
        ),
        (
            "<p>{{#each this}}{{@key}};{{/each}}{{#with this}}{{label}}{{/with}}</p>\n",
            false,
        ),
    ] {
        std::fs::write(dir.path().join("text.hbs"), template).expect("write");
        let partials = Partials::from_dir(dir.path()).expect("partials");
        let renderer = Renderer::new(&contact(), &partials).expect("renderer");
        assert_eq!(renderer.is_compiled(), compiled, "{template}");
        for errors in [&errors[..], &[][..]] {
            let mut input = RenderInput::new(&values);
            input.csrf = "tok'en";
            input.errors = errors;
            let reference = renderer.render_by_handlebars(&input).expect("renders");
            if compiled {
                let page = renderer.render_compiled(&input).expect("compiled renders");
                assert_eq!(page, reference);
                assert!(page.contains("|ok|") || page.contains("|bad|"), "{page}");
            }
            assert_eq!(renderer.render(&input).expect("renders"), reference);
        }
    }
}

/// Overridden templates may use all of handlebars: what the compiled subset does not cover is
/// rendered by handlebars, with its own errors.
#[test]
fn templates_beyond_the_compiled_subset_render_through_handlebars() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("text.hbs"),
        "<p>{{label}} {{len name}} {{#if (eq kind \"text\")}}t{{/if}}</p>",
    )
    .expect("write");
    let partials = Partials::from_dir(dir.path()).expect("partials");
    let renderer = Renderer::new(&contact(), &partials).expect("renderer");
    assert!(!renderer.is_compiled());
    let page = renderer.render(&RenderInput::default()).expect("renders");
    assert!(page.contains("<p>Full name 9 t</p>"), "{page}");
    // A value missing at render time: handlebars (strict) reports it.
    std::fs::write(dir.path().join("text.hbs"), "<p>{{no_such_key}}</p>").expect("write");
    let partials = Partials::from_dir(dir.path()).expect("partials");
    let renderer = Renderer::new(&contact(), &partials).expect("renderer");
    assert!(renderer.is_compiled());
    assert!(renderer.render_compiled(&RenderInput::default()).is_none());
    let err = renderer
        .render(&RenderInput::default())
        .expect_err("strict");
    assert!(err.to_string().contains("no_such_key"), "{err}");
}

/// A long form opens with a section navigation: each section linked, with its status at the
/// form's last stage; each section has a Save that comes back to it.
#[test]
fn sections_are_listed_with_their_status_and_saved_on_their_own() {
    let form = pipedrive();
    let statuses = |values: &Value, errors: &[(String, String)]| -> Vec<(String, String, String)> {
        let mut input = RenderInput::new(values);
        input.errors = errors;
        input.action = "/records/abc";
        let doc = Html::parse_document(&render(&form, &input));
        all(&doc, ".fw-task-list__item")
            .into_iter()
            .map(|li| {
                let link = li.select(&sel(".fw-task-list__link")).next().expect("link");
                let tag = li.select(&sel(".fw-tag")).next().expect("status");
                (
                    attr(link, "href").unwrap_or_default().to_string(),
                    text_of(tag),
                    attr(tag, "class").unwrap_or_default().to_string(),
                )
            })
            .collect()
    };
    let blank = statuses(&json!({}), &[]);
    assert_eq!(blank.len(), form.sections.len());
    assert_eq!(blank[0].0, "#section-general");
    assert!(
        blank
            .iter()
            .all(|(_, s, c)| s == "Not yet started" && c.ends_with("--not-started"))
    );
    // General has values but misses what review requires; OAuth has an error; Support is done.
    let values = json!({
        "app_name": "Random",
        "callback_url": "not a url",
        "website_url": "https://example.com",
        "terms_of_service_url": "https://example.com/terms",
        "privacy_policy_url": "https://example.com/privacy",
        "support_email": "help@example.com",
    });
    let errors = vec![("/callback_url".to_string(), "Enter a URL".to_string())];
    let got = statuses(&values, &errors);
    let of = |id: &str| {
        got.iter()
            .find(|(href, _, _)| href == &format!("#section-{id}"))
            .map(|(_, s, _)| s.as_str())
            .expect("listed")
    };
    assert_eq!(of("general"), "Incomplete");
    assert_eq!(of("oauth"), "There is a problem");
    assert_eq!(of("setup"), "Not yet started");
    assert_eq!(of("support"), "Completed");
    // Contact has a value, but not `main_contact_email`, which review requires.
    let mut contact_started = values.clone();
    contact_started["review_notifications"] = json!(true);
    let status_of = |values: &Value, id: &str| {
        statuses(values, &errors)
            .into_iter()
            .find(|(href, _, _)| href == &format!("#section-{id}"))
            .map(|(_, s, c)| (s, c))
            .expect("listed")
    };
    assert_eq!(status_of(&contact_started, "contact").0, "Incomplete");
    contact_started["main_contact_email"] = json!("ada@example.com");
    assert_eq!(
        status_of(&contact_started, "contact"),
        (
            "Completed".to_string(),
            "fw-tag fw-tag--completed".to_string()
        )
    );
    // Every section's own Save posts the first stage and comes back to the section.
    let input = RenderInput {
        action: "/records/abc",
        ..RenderInput::new(&values)
    };
    let doc = Html::parse_document(&render(&form, &input));
    let buttons = all(&doc, ".fw-section__actions button");
    assert_eq!(buttons.len(), form.sections.len());
    for (b, s) in buttons.iter().zip(&form.sections) {
        assert_eq!(attr(*b, "name"), Some("_stage"));
        assert_eq!(attr(*b, "value"), Some(form.stages[0].id.as_str()));
        assert_eq!(
            attr(*b, "formaction"),
            Some(format!("/records/abc#section-{}", s.id).as_str())
        );
        assert!(text_of(*b).contains(&s.title));
    }
    // A form of one stage has no per-section buttons (its only button sends it).
    let doc = Html::parse_document(&render(&contact(), &RenderInput::new(&json!({}))));
    assert!(all(&doc, ".fw-section__actions").is_empty());
    assert_eq!(
        all(&doc, ".fw-task-list__item").len(),
        contact().sections.len()
    );
}

/// The GitHub Marketplace listing with one plan: the pricing model's radios come first, then the
/// shared fields, then each variant's fields, each wrapped with the condition the show/hide
/// script reads and a hint that says which model it belongs to; the page parses cleanly.
#[test]
fn variant_fields_follow_their_chooser_with_their_condition() {
    let form = github();
    let values = serde_json::json!({"plans": [{"pricing_model": "per_unit", "unit_name": "seat"}]});
    let raw = render(&form, &RenderInput::new(&values));
    let doc = Html::parse_document(&raw);
    assert!(doc.errors.is_empty(), "HTML parse errors: {:?}", doc.errors);
    assert_ids_unique(&doc);
    assert_references_resolve(&doc);
    assert_no_active_content(&raw, &doc);
    let radios = all(&doc, "input[name='plans.0.pricing_model'][type=radio]");
    assert_eq!(radios.len(), 3);
    assert!(
        attr(
            one(
                &doc,
                "input[name='plans.0.pricing_model'][value='per_unit']"
            ),
            "checked"
        )
        .is_some()
    );
    let order: Vec<&str> = all(&doc, "[data-fw-name^='plans.0.']")
        .into_iter()
        .filter_map(|e| attr(e, "data-fw-name"))
        .collect();
    assert_eq!(
        order,
        [
            "plans.0.free_trial",
            "plans.0.monthly_price",
            "plans.0.yearly_price",
            "plans.0.unit_name",
            "plans.0.unit_monthly_price",
            "plans.0.unit_yearly_price"
        ],
        "the conditional fields of the plan, shared first, then by variant"
    );
    let unit = one(&doc, "[data-fw-name='plans.0.unit_name']");
    let condition: Value =
        serde_json::from_str(attr(unit, "data-fw-shown-when").expect("condition")).expect("JSON");
    assert_eq!(
        condition,
        serde_json::json!({"equals": ["pricing_model", "per_unit"]})
    );
    assert_eq!(
        attr(one(&doc, "#f-plans-0-unit_name"), "value"),
        Some("seat")
    );
    let hint = text_of(one(&doc, "#f-plans-0-unit_name-hint"));
    assert!(
        hint.contains("Only when Pricing model is \u{201c}Per unit\u{201d}. Required then."),
        "{hint}"
    );
}
