//! Shape of the generated types: value lists, stage-dependent presence, JSON Schema, contact form.

use pipedrive_app::contact;
use pipedrive_app::pipedrive_app::{Category, PanelLocation, Scope, View, review, save};
use serde_json::{Value, json};

#[test]
fn value_lists_keep_their_exact_ids() {
    assert_eq!(Scope::DealsRead.as_str(), "deals:read");
    assert_eq!(Scope::DealsRead.label(), "Deals: read only");
    assert_eq!(
        serde_json::to_value(Scope::PhoneIntegration).expect("serializes"),
        json!("phone-integration")
    );
    assert_eq!(
        serde_json::from_value::<Scope>(json!("search:read")).expect("known id"),
        Scope::SearchRead
    );
    assert!(serde_json::from_value::<Scope>(json!("SearchRead")).is_err());
    assert_eq!(Scope::ALL.len(), 26);
    assert_eq!(Category::ALL.len(), 12);
    assert_eq!(View::ALL.len(), 8);
    assert_eq!(
        PanelLocation::ALL.map(|p| p.as_str()),
        ["deal_details", "person_details", "organization_details"]
    );
    for scope in Scope::ALL {
        assert_eq!(
            serde_json::to_value(scope).expect("serializes"),
            json!(scope.as_str())
        );
    }
}

/// The `required` list of a generated schema.
fn required(schema: &Value) -> Vec<&str> {
    let mut r: Vec<&str> = schema["required"]
        .as_array()
        .map_or(Vec::new(), |a| a.iter().filter_map(Value::as_str).collect());
    r.sort_unstable();
    r
}

#[test]
fn schemars_schemas_follow_the_stage_required_sets() {
    let save = schemars::schema_for!(save::PipedriveApp).to_value();
    assert_eq!(required(&save), ["app_name", "callback_url"]);
    assert_eq!(save["additionalProperties"], json!(false));

    let review = schemars::schema_for!(review::PipedriveApp).to_value();
    let mut expected = vec![
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
    ];
    expected.sort_unstable();
    assert_eq!(required(&review), expected);
    assert_eq!(
        review["properties"]["app_name"]["description"],
        json!(
            "App name\n\nInsert your app's name by what it's going to be recognized in the Marketplace."
        )
    );
}

#[test]
fn a_minimal_draft_has_only_its_required_values() {
    let draft = save::PipedriveApp {
        app_name: "Random".into(),
        callback_url: "https://example.com/cb".into(),
        company: None,
        short_summary: None,
        description: None,
        categories: None,
        app_icon: None,
        youtube_video_url: None,
        listing_images: None,
        access_scopes: None,
        app_actions: None,
        app_panels: None,
        installation_instructions: None,
        website_url: None,
        terms_of_service_url: None,
        privacy_policy_url: None,
        support_url: None,
        support_email: None,
        documentation_url: None,
        issue_tracker_url: None,
        main_contact_email: None,
        review_notifications: None,
        installation_scenarios: None,
        partner_agreement: None,
    };
    assert_eq!(
        serde_json::to_value(&draft).expect("serializes"),
        json!({ "app_name": "Random", "callback_url": "https://example.com/cb" })
    );
}

#[test]
fn contact_form_round_trips_and_requires_consent() {
    let submission = json!({
        "full_name": "Ada Lovelace",
        "email": "ada@example.com",
        "age": 36,
        "topic": "press",
        "body": "Hello there, a question.",
        "attachment": { "name": "s.png", "media_type": "image/png", "size": 1200, "width": 10, "height": 20 },
        "links": [{ "url": "https://example.com" }, { "url": "https://example.org", "note": "Docs" }],
        "consent": true
    });
    let record: contact::submit::Contact =
        serde_json::from_value(submission.clone()).expect("valid contact");
    assert_eq!(record.topic, contact::Topic::Press);
    assert_eq!(record.age, Some(36));
    assert_eq!(
        serde_json::to_value(&record).expect("serializes"),
        submission
    );

    let mut no_consent = submission.clone();
    no_consent
        .as_object_mut()
        .expect("object")
        .remove("consent");
    let err = serde_json::from_value::<contact::submit::Contact>(no_consent)
        .expect_err("consent is required");
    assert!(err.to_string().contains("missing field `consent`"), "{err}");

    let mut no_dimensions = submission;
    no_dimensions["attachment"]
        .as_object_mut()
        .expect("object")
        .remove("width");
    assert!(
        serde_json::from_value::<contact::submit::Contact>(no_dimensions).is_err(),
        "images carry their width"
    );
}
