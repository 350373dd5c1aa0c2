//! `specs/edge-cases.yaml` (keywords, prelude names, odd value ids, Markdown in labels, three
//! stages) generates code that compiles under `deny(warnings)` and clippy, and behaves.
#![deny(warnings)]

/// The generated types, in a private module (so clippy lints them as non-exported items).
#[allow(dead_code)]
mod edge {
    include!(concat!(env!("OUT_DIR"), "/string.rs"));
}

use edge::{MissingFields, Options, VecKind, self_, string, r#type};
use serde_json::json;

#[test]
fn odd_ids_keep_their_exact_values() {
    let ids: Vec<&str> = Options::ALL.iter().map(|o| o.as_str()).collect();
    assert_eq!(ids, ["deals:read", "deals-read", "1x", "self"]);
    assert_eq!(
        serde_json::to_value(Options::V1x).expect("serializes"),
        json!("1x")
    );
    assert_eq!(
        serde_json::from_value::<Options>(json!("self")).expect("known"),
        Options::SelfValue
    );
    assert_eq!(
        serde_json::from_value::<Options>(json!("deals-read")).expect("known"),
        Options::DealsRead2
    );
    assert_eq!(VecKind::X.label(), "X");
}

#[test]
fn keyword_fields_use_their_ids_in_json() {
    let value = json!({
        "type": "t",
        "match": "1x",
        "self": 1.5,
        "crate": 3,
        "option": { "strings": [{ "value": "pw", "kind": "b" }] },
        "vec": [{ "attachment": { "name": "a.pdf", "media_type": "application/pdf", "size": 10 }, "kind": "x" }],
        "agree": true
    });
    let record: string::StringForm =
        serde_json::from_value(value.clone()).expect("final stage record");
    assert_eq!(record.r#type, "t");
    assert_eq!(record.crate_, 3);
    assert_eq!(record.self_, Some(1.5));
    assert!(record.agree);
    assert_eq!(serde_json::to_value(&record).expect("serializes"), value);
}

#[test]
fn conversions_chain_through_every_stage() {
    let draft: r#type::StringForm = serde_json::from_value(json!({
        "match": "self",
        "vec": [{ "attachment": { "name": "a.pdf", "media_type": "application/pdf", "size": 10 } }]
    }))
    .expect("draft");
    let err =
        self_::StringForm::try_from(draft.clone()).expect_err("type, crate and option missing");
    assert_eq!(
        err,
        MissingFields {
            stage: "self",
            pointers: vec!["/type".into(), "/crate".into(), "/option".into()]
        }
    );

    let mut value = serde_json::to_value(&draft).expect("serializes");
    value["type"] = json!("t");
    value["crate"] = json!(1);
    value["option"] = json!({ "strings": [{ "value": "pw" }, { "kind": "a" }] });
    let draft: r#type::StringForm = serde_json::from_value(value.clone()).expect("draft");
    let err = self_::StringForm::try_from(draft).expect_err("group items incomplete");
    assert_eq!(
        err.pointers,
        ["/option/strings/0/kind", "/option/strings/1/value"]
    );

    value["option"] = json!({ "strings": [{ "value": "pw", "kind": "a" }] });
    let draft: r#type::StringForm = serde_json::from_value(value).expect("draft");
    let middle = self_::StringForm::try_from(draft).expect("complete for `self`");
    assert_eq!(
        middle.r#match,
        Some(Options::SelfValue),
        "required at `type` only: optional later"
    );
    let err = string::StringForm::try_from(middle.clone())
        .expect_err("agree and the item's kind missing");
    assert_eq!(err.pointers, ["/vec/0/kind", "/agree"]);

    let mut value = serde_json::to_value(&middle).expect("serializes");
    value["agree"] = json!(false);
    value["vec"][0]["kind"] = json!("x");
    let middle: self_::StringForm = serde_json::from_value(value).expect("middle");
    let last = string::StringForm::try_from(middle).expect("complete");
    assert!(
        !last.agree,
        "presence only: the value itself is the validator's business"
    );
    let strings = last.option.strings.as_ref().expect("kept from `self`");
    assert_eq!(format!("{:?}", strings[0].value), r#"Secret("***")"#);
}

/// An object with variants: an enum tagged by `type`, a variant named like `Self`, a kind
/// accessor named like a keyword, and conversions that ask a variant for its own values only.
#[test]
fn object_variants_convert_variant_by_variant() {
    use edge::{Type, string as last};
    let draft: r#type::StringForm = serde_json::from_value(json!({
        "match": "self",
        "vec": [],
        "enum": {"type": "box", "note": "n"}
    }))
    .expect("draft");
    match &draft.r#enum {
        Some(r#type::Enum::Box(b)) => assert_eq!(b.size, None),
        other => panic!("a box, not {other:?}"),
    }
    assert_eq!(draft.r#enum.as_ref().map(|e| e.r#type()), Some(Type::Box));
    let middle = self_::StringForm::try_from(draft).expect_err("self asks for more");
    assert!(
        !middle.pointers.iter().any(|p| p.starts_with("/enum")),
        "{middle}"
    );
    let value = json!({
        "type": "t", "match": "1x", "crate": 3, "agree": true,
        "option": { "strings": [{ "value": "pw", "kind": "b" }] },
        "enum": {"type": "self"}
    });
    let record: last::StringForm = serde_json::from_value(value.clone()).expect("final stage");
    assert!(matches!(record.r#enum, Some(last::Enum::SelfValue(_))));
    assert_eq!(serde_json::to_value(&record).expect("serializes"), value);
    // At the last stage a box needs its size.
    let mut boxed = value;
    boxed["enum"] = json!({"type": "box"});
    assert!(serde_json::from_value::<last::StringForm>(boxed).is_err());
}
