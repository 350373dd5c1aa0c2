//! Every kind of spec error is reported at its exact line and column, all in one run.

use formwork_schema::{Pos, SpecError, load_str};

const HEAD: &str = "form: {id: t, title: T}\nstages: [{id: draft, label: Draft}, {id: final, label: Final}]\nlists:\n  - id: colours\n    values: [{id: red, label: Red}, {id: blue, label: Blue}]\nsections:\n  - id: s\n    title: S\n    fields:\n";
// HEAD is 9 lines; the first field line below is line 10.

fn errors(body: &str) -> Vec<(u32, u32, String)> {
    let text = format!("{HEAD}{body}");
    match load_str("t.yaml", &text) {
        Ok(_) => panic!("spec should be invalid:\n{text}"),
        Err(e) => {
            let rendered = e.to_string();
            assert!(rendered.starts_with("t.yaml:"), "{rendered}");
            e.diagnostics()
                .iter()
                .map(|d| (d.pos.line, d.pos.column, d.message.clone()))
                .collect()
        }
    }
}

fn one(body: &str) -> (u32, u32, String) {
    let mut all = errors(body);
    assert_eq!(all.len(), 1, "{all:?}");
    all.remove(0)
}

#[test]
fn unknown_kind() {
    let (l, c, m) = one("      - {id: a, label: A, kind: txt}\n");
    assert_eq!((l, c), (10, 33));
    assert!(m.contains("unknown field kind `txt`"), "{m}");
}

#[test]
fn unknown_names_get_a_suggestion_when_one_is_close_and_the_list_otherwise() {
    let (_, _, close) = one("      - {id: a, label: A, kind: choice, list: colour}\n");
    assert!(close.contains("unknown value list `colour`"));
    let text = format!("{HEAD}      - {{id: a, label: A, kind: choice, list: colour}}\n");
    let err = load_str("t.yaml", &text).expect_err("invalid");
    assert_eq!(
        err.diagnostics()[0].help.as_deref(),
        Some("did you mean `colours`?")
    );
    let text = format!("{HEAD}      - {{id: a, label: A, kind: widget}}\n");
    let err = load_str("t.yaml", &text).expect_err("invalid");
    assert!(
        err.diagnostics()[0]
            .help
            .as_deref()
            .is_some_and(|h| h.starts_with("use one of: text, long_text"))
    );
    let text = format!("{HEAD}      - {{id: a, label: A, kind: text, required: fianl}}\n");
    let err = load_str("t.yaml", &text).expect_err("invalid");
    assert_eq!(
        err.diagnostics()[0].help.as_deref(),
        Some("did you mean `final`?")
    );
}

#[test]
fn duplicate_id() {
    let (l, c, m) =
        one("      - {id: a, label: A, kind: text}\n      - {id: a, label: B, kind: text}\n");
    assert_eq!((l, c), (11, 14));
    assert!(
        m.contains("duplicate field id `a` (first declared at line 10)"),
        "{m}"
    );
}

#[test]
fn rule_naming_a_missing_field() {
    let body = "      - {id: a, label: A, kind: text}\nrules:\n  - id: r\n    max_total: {of: \"nope[].x\", max: 3}\n";
    let (l, c, m) = one(body);
    assert_eq!((l, c), (13, 21));
    assert!(
        m.contains("rule names field `nope`, which does not exist"),
        "{m}"
    );
}

#[test]
fn min_greater_than_max() {
    let (l, c, m) = one(
        "      - id: a\n        label: A\n        kind: text\n        min_length: 10\n        max_length: 5\n",
    );
    assert_eq!((l, c), (14, 21));
    assert!(m.contains("max length 5 is less than min length 10"), "{m}");
}

#[test]
fn unknown_value_list() {
    let (l, c, m) = one("      - {id: a, label: A, kind: choice, list: colors}\n");
    assert_eq!((l, c), (10, 47));
    assert!(m.contains("unknown value list `colors`"), "{m}");
}

#[test]
fn default_outside_its_choices() {
    let (l, c, m) = one("      - {id: a, label: A, kind: choice, list: colours, default: green}\n");
    assert_eq!((l, c), (10, 65));
    assert!(
        m.contains("`green` is not one of the field's choices (red, blue)"),
        "{m}"
    );
}

#[test]
fn unknown_stage() {
    let (l, c, m) = one("      - {id: a, label: A, kind: text, required: later}\n");
    assert_eq!((l, c), (10, 49));
    assert!(m.contains("unknown stage `later`"), "{m}");
}

#[test]
fn constraint_that_does_not_apply_to_the_kind() {
    let (l, c, m) = one("      - {id: a, label: A, kind: boolean, max_length: 3}\n");
    assert_eq!((l, c), (10, 54));
    assert!(
        m.contains("`max_length` does not apply to `boolean` field `a`"),
        "{m}"
    );
}

#[test]
fn invalid_pattern_and_cel() {
    let all = errors(
        "      - {id: a, label: A, kind: text, pattern: \"(\"}\n      - id: b\n        label: B\n        kind: text\n        checks:\n          - cel: \"value.size( > 1\"\n",
    );
    let at: Vec<(u32, u32)> = all.iter().map(|(l, c, _)| (*l, *c)).collect();
    assert_eq!(at, [(10, 48), (15, 18)], "{all:?}");
    assert!(all[0].2.contains("not a valid regular expression"));
    assert!(all[1].2.contains("invalid CEL expression"));
}

#[test]
fn unknown_key_is_a_located_shape_error() {
    let (l, c, m) =
        one("      - id: a\n        label: A\n        kind: text\n        maxlength: 3\n");
    assert_eq!((l, c), (13, 9));
    assert!(m.contains("unknown field `maxlength`"), "{m}");
}

#[test]
fn yaml_syntax_error_is_located() {
    let text = "form: {id: t\n  : [";
    let err = load_str("bad.yaml", text).expect_err("invalid YAML");
    let d = &err.diagnostics()[0];
    assert_eq!(d.pos, Pos { line: 2, column: 3 });
    assert!(err.to_string().starts_with("bad.yaml:2:3: "), "{err}");
}

#[test]
fn every_semantic_error_is_reported_in_one_run_in_source_order() {
    let body = "      - {id: a, label: A, kind: txt}\n      - {id: a, label: A, kind: choice, list: nope}\n      - {id: Bad, label: B, kind: text, min_length: 3, max_length: 1}\n";
    let all = errors(body);
    let lines: Vec<u32> = all.iter().map(|(l, _, _)| *l).collect();
    assert_eq!(lines, [10, 11, 11, 12, 12], "{all:?}");
}

#[test]
fn rendered_error_has_snippet_and_help() {
    let text = format!("{HEAD}      - {{id: a, label: A, kind: txt}}\n");
    let err = load_str("t.yaml", &text).expect_err("invalid");
    let s = err.to_string();
    assert!(s.contains("t.yaml:10:33: unknown field kind `txt`"), "{s}");
    assert!(
        s.contains("10 |       - {id: a, label: A, kind: txt}"),
        "{s}"
    );
    assert!(s.contains("= help: did you mean `text`?"), "{s}");
    assert!(matches!(err, SpecError::Invalid { .. }));
}

#[test]
fn bundled_specs_are_valid() {
    for spec in ["pipedrive-app.yaml", "contact.yaml"] {
        let path = format!("{}/../specs/{spec}", env!("CARGO_MANIFEST_DIR"));
        if let Err(e) = formwork_schema::load_file(&path) {
            panic!("{e}");
        }
    }
}

#[test]
fn image_maximum_sides_are_within_the_hard_limit_and_above_the_minimums() {
    let all = errors(
        "      - {id: a, label: A, kind: image, max_width: 30000}\n      - {id: b, label: B, kind: image, min_height: 500, max_height: 400}\n      - {id: c, label: C, kind: image, max_height: 100, sizes: [\"50x200\"]}\n      - {id: d, label: D, kind: file, max_width: 10}\n",
    );
    let got: Vec<(u32, &str)> = all.iter().map(|(l, _, m)| (*l, m.as_str())).collect();
    assert_eq!(got.len(), 4, "{all:?}");
    assert_eq!(got[0].0, 10);
    assert!(got[0].1.contains("outside 1 to 20000"), "{}", got[0].1);
    assert_eq!(got[1].0, 11);
    assert!(got[1].1.contains("height"), "{}", got[1].1);
    assert_eq!(got[2].0, 12);
    assert!(
        got[2].1.contains("above the field's maximum"),
        "{}",
        got[2].1
    );
    assert_eq!(got[3].0, 13);
    assert!(got[3].1.contains("max_width"), "{}", got[3].1);
}

/// A rule counting several groups together: each path a choice of a group, over one list, once.
#[test]
fn rules_across_groups_count_paths_over_one_list_once() {
    let groups = "      - id: tags\n        label: Tags\n        kind: group\n        fields:\n          - {id: c, label: C, kind: choice, list: colours, multiple: true}\n          - {id: size, label: Size, kind: choice, values: [{id: s, label: S}]}\n      - id: pins\n        label: Pins\n        kind: group\n        fields:\n          - {id: c, label: C, kind: choice, list: colours}\n";
    // Line 10 + 11 lines of groups: `rules:` is on line 21, the rule on line 22.
    let rule =
        |of: &str| format!("{groups}rules:\n  - id: r\n    max_per_value: {{of: {of}, max: 2}}\n");
    let (l, c, m) = one(&rule(r#"["tags[].c", "pins[].size"]"#));
    assert_eq!((l, c), (23, 25), "{m}");
    assert!(
        m.contains("`pins[].size`") || m.contains("no field `size`"),
        "{m}"
    );
    let (l, c, m) = one(&rule(r#"["tags[].c", "tags[].size"]"#));
    assert_eq!((l, c), (23, 25));
    assert!(
        m.contains("takes its values from list `colours`") && m.contains("from `size`"),
        "{m}"
    );
    let (_, _, m) = one(&rule(r#"["tags[].c", "pins[].c", "tags[].c"]"#));
    assert!(m.contains("`tags[].c` is counted twice"), "{m}");
    let (_, _, m) = one(&rule(r#"["tags[].c", "nope[].c"]"#));
    assert!(m.contains("field `nope`, which does not exist"), "{m}");
    let (_, _, m) = one(&rule("[]"));
    assert!(m.contains("counts nothing"), "{m}");
    let ok = format!("{HEAD}{}", rule(r#"["tags[].c", "pins[].c"]"#));
    assert!(load_str("t.yaml", &ok).is_ok());
}

/// `stages:` on a check or a rule names declared stages, and at least one.
#[test]
fn checks_and_rules_apply_at_declared_stages() {
    let (l, c, m) = one(
        "      - id: a\n        label: A\n        kind: text\n        checks:\n          - sentence_case: true\n            stages: fianl\n",
    );
    assert_eq!((l, c), (15, 21), "{m}");
    assert!(m.contains("unknown stage `fianl`"), "{m}");
    let (l, c, m) = one(
        "      - {id: a, label: A, kind: text}\nrules:\n  - id: r\n    cel: \"has(self.a)\"\n    stages: false\n",
    );
    assert_eq!((l, c), (14, 13), "{m}");
    assert!(m.contains("this rule applies at no stage"), "{m}");
    let (_, _, m) = one(
        "      - {id: a, label: A, kind: text}\nrules:\n  - id: r\n    cel: \"has(self.a)\"\n    stages: []\n",
    );
    assert!(m.contains("applies at no stage"), "{m}");
    let ok = format!(
        "{HEAD}      - {{id: a, label: A, kind: text}}\nrules:\n  - id: r\n    cel: \"has(self.a)\"\n    stages: [final]\n"
    );
    assert!(load_str("t.yaml", &ok).is_ok());
}

/// Rule messages use only the placeholders their rule sets; a CEL rule computes its message
/// with `message_expression`, a text that reads no secret.
#[test]
fn rule_messages_use_what_their_rule_sets() {
    let fields = "      - {id: a, label: A, kind: text}\n      - {id: key, label: Key, kind: secret}\n      - id: tags\n        label: Tags\n        kind: group\n        fields: [{id: c, label: C, kind: choice, list: colours}]\nrules:\n  - id: r\n";
    let (l, _, m) = one(&format!(
        "{fields}    cel: \"has(self.a)\"\n    message: \"{{count}} is too many\"\n"
    ));
    assert_eq!(l, 17);
    assert!(
        m.contains("uses `{count}`, which a `cel` rule does not set"),
        "{m}"
    );
    let text =
        format!("{HEAD}{fields}    cel: \"has(self.a)\"\n    message: \"{{count}} is too many\"\n");
    let help = load_str("t.yaml", &text)
        .expect_err("invalid")
        .diagnostics()[0]
        .help
        .clone()
        .unwrap_or_default();
    assert!(help.contains("message_expression"), "{help}");
    let (_, _, m) = one(&format!(
        "{fields}    max_total: {{of: \"tags[].c\", max: 2}}\n    message: \"{{value}} again\"\n"
    ));
    assert!(m.contains("which a `max_total` rule does not set"), "{m}");
    let (l, c, m) = one(&format!(
        "{fields}    max_total: {{of: \"tags[].c\", max: 2}}\n    message_expression: \"'x'\"\n"
    ));
    assert_eq!((l, c), (19, 25), "{m}");
    assert!(m.contains("only applies to `cel` rules"), "{m}");
    let (_, _, m) = one(&format!(
        "{fields}    cel: \"has(self.a)\"\n    message_expression: \"has(self.a)\"\n"
    ));
    assert!(m.contains("yields a boolean, not a text"), "{m}");
    let (_, _, m) = one(&format!(
        "{fields}    cel: \"has(self.a)\"\n    message_expression: \"'key ' + self.key\"\n"
    ));
    assert!(m.contains("may read the secret field `key`"), "{m}");
    let ok = format!(
        "{HEAD}{fields}    cel: \"has(self.a)\"\n    message: \"Rule {{rule}} failed\"\n    message_expression: \"'A is missing, tags: ' + string(size(self.tags))\"\n"
    );
    assert!(
        load_str("t.yaml", &ok).is_ok(),
        "{:?}",
        load_str("t.yaml", &ok).err()
    );
}

/// `each:` names a top-level group, with `cel`; `field:` then names a field of its items.
#[test]
fn cel_rules_over_each_item_name_a_group_and_its_fields() {
    let fields = "      - {id: a, label: A, kind: text}\n      - id: tags\n        label: Tags\n        kind: group\n        max_items: 3\n        fields: [{id: c, label: C, kind: choice, list: colours}]\nrules:\n  - id: r\n";
    let (l, c, m) = one(&format!(
        "{fields}    each: tag\n    cel: \"has(item.c)\"\n"
    ));
    assert_eq!((l, c), (18, 11), "{m}");
    assert!(
        m.contains("`each: tag` is not a top-level repeated group"),
        "{m}"
    );
    let (_, _, m) = one(&format!("{fields}    each: a\n    cel: \"has(item.c)\"\n"));
    assert!(m.contains("not a top-level repeated group"), "{m}");
    let (l, _, m) = one(&format!(
        "{fields}    each: tags\n    cel: \"has(item.c)\"\n    field: d\n"
    ));
    assert_eq!(l, 20);
    assert!(m.contains("the items of `tags` have no field `d`"), "{m}");
    let (_, _, m) = one(&format!(
        "{fields}    each: tags\n    cel: \"has(item.d)\"\n"
    ));
    assert!(m.contains("has no field `d`"), "{m}");
    let (_, _, m) = one(&format!(
        "{fields}    each: tags\n    max_total: {{of: \"tags[].c\", max: 2}}\n"
    ));
    assert!(m.contains("`each` only applies to `cel` rules"), "{m}");
    let ok = format!("{HEAD}{fields}    each: tags\n    cel: \"has(item.c)\"\n    field: c\n");
    assert!(load_str("t.yaml", &ok).is_ok());
}

/// Conditions name a field beside theirs, one form each, with values the field can hold.
#[test]
fn conditions_name_fields_beside_them_and_values_they_hold() {
    let base = "      - {id: user, label: User, kind: text}\n      - {id: colour, label: Colour, kind: choice, list: colours}\n";
    let cond = |c: &str| {
        format!(
            "{base}      - id: x\n        label: X\n        kind: text\n        required_when: {c}\n"
        )
    };
    // Line 10, 11: base; `x` on 12; its condition on line 15.
    let (l, c, m) = one(&cond("{field: usr, is: empty}"));
    assert_eq!((l, c), (15, 32), "{m}");
    assert!(
        m.contains("names `usr`, which is not a field beside it"),
        "{m}"
    );
    let text = format!("{HEAD}{}", cond("{field: usr, is: empty}"));
    let help = load_str("t.yaml", &text)
        .expect_err("invalid")
        .diagnostics()[0]
        .help
        .clone()
        .unwrap_or_default();
    assert_eq!(help, "did you mean `user`?");
    let (_, _, m) = one(&cond("{field: user, is: emtpy}"));
    assert!(m.contains("`is: emtpy` is not a test"), "{m}");
    let (_, _, m) = one(&cond("{field: colour, equals: green}"));
    assert!(m.contains("`green` is not a value of `colour`"), "{m}");
    let (_, _, m) = one(&cond("{field: user, equals: 3}"));
    assert!(m.contains("not a value field `user` can hold"), "{m}");
    let (_, _, m) = one(&cond("{field: x, is: empty}"));
    assert!(m.contains("is about the field itself"), "{m}");
    let (_, _, m) = one(&cond("{field: user}"));
    assert!(m.contains("must be one of"), "{m}");
    let (_, _, m) = one(&cond("{all: []}"));
    assert!(m.contains("empty `all`/`any`"), "{m}");
    let (_, _, m) = one(&cond("{cel: \"self.nope == 1\"}"));
    assert!(m.contains("has no field `nope`"), "{m}");
    let ok = format!(
        "{HEAD}{}",
        cond(
            "{any: [{field: user, is: not_empty}, {field: colour, one_of: [red, blue]}, {cel: \"has(self.user)\"}]}"
        )
    );
    assert!(
        load_str("t.yaml", &ok).is_ok(),
        "{:?}",
        load_str("t.yaml", &ok).err()
    );
}

/// A group with variants: the kind field is a required single choice among the shared fields,
/// whose values are exactly the keys of `variants`; field ids are unique across all of them.
#[test]
fn variants_name_their_kind_field_and_its_values() {
    // `g` on line 10; the variants start on line 17.
    let group = |kind_field: &str, kind: &str, variants: &str| {
        format!(
            "      - id: g\n        label: G\n        kind: group\n        kind_field: {kind_field}\n        fields:\n          - {kind}\n          - {{id: name, label: Name, kind: text}}\n        variants:\n{variants}"
        )
    };
    let kind = "{id: type, label: Type, kind: choice, list: colours, required: true}";
    let both = "          red: [{id: shade, label: Shade, kind: text}]\n          blue: []\n";
    let ok = format!("{HEAD}{}", group("type", kind, both));
    let form = load_str("t.yaml", &ok).unwrap_or_else(|e| panic!("{e}"));
    let g = form.field("g").expect("g");
    let shade = g
        .sub_fields()
        .iter()
        .find(|f| f.id == "shade")
        .expect("shade");
    assert_eq!(shade.variant.as_deref(), Some("red"));
    assert!(shade.own_shown_when().is_none());
    assert!(
        g.variants()
            .is_some_and(|(k, l)| k.id == "type" && l.values.len() == 2)
    );

    let (l, c, m) = one(&group("typ", kind, both));
    assert_eq!((l, c), (13, 21), "{m}");
    assert!(m.contains("`typ`, which is not one of its `fields`"), "{m}");
    let text = format!("{HEAD}{}", group("typ", kind, both));
    let help = load_str("t.yaml", &text)
        .expect_err("invalid")
        .diagnostics()[0]
        .help
        .clone()
        .unwrap_or_default();
    assert_eq!(help, "did you mean `type`?");
    let (_, _, m) = one(&group("name", kind, both));
    assert!(m.contains("is not a single `choice`"), "{m}");
    let (_, _, m) = one(&group(
        "type",
        "{id: type, label: Type, kind: choice, list: colours, required: final}",
        both,
    ));
    assert!(m.contains("must be required at every stage"), "{m}");
    let (l, c, m) = one(&group(
        "type",
        kind,
        "          red: []\n          bleu: []\n          blue: []\n",
    ));
    assert_eq!((l, c), (19, 11), "{m}");
    assert!(m.contains("variant `bleu` of `g` is not a value"), "{m}");
    let (l, _, m) = one(&group("type", kind, "          red: []\n"));
    assert_eq!(l, 18, "{m}");
    assert!(
        m.contains("value `blue` of the kind field `type` has no entry"),
        "{m}"
    );
    let (_, _, m) = one(&group(
        "type",
        kind,
        "          red: [{id: name, label: N, kind: text}]\n          blue: []\n",
    ));
    assert!(m.contains("`name`"), "{m}");
    let (_, _, m) = one(
        "      - id: g\n        label: G\n        kind: group\n        kind_field: type\n        fields: [{id: type, label: Type, kind: choice, list: colours, required: true}]\n",
    );
    assert!(m.contains("has a `kind_field` but no `variants`"), "{m}");
    let (_, _, m) = one("      - {id: t, label: T, kind: text, variants: {red: []}}\n");
    assert!(m.contains("variants"), "{m}");
    // A variant field's own condition comes after its variant's test.
    let own = format!(
        "{HEAD}{}",
        group(
            "type",
            kind,
            "          red: [{id: shade, label: Shade, kind: text, shown_when: {field: name, is: not_empty}}]\n          blue: []\n"
        )
    );
    let form = load_str("t.yaml", &own).unwrap_or_else(|e| panic!("{e}"));
    let shade = &form.field("g").expect("g").sub_fields()[2];
    assert!(matches!(
        shade.own_shown_when(),
        Some(formwork_schema::model::Condition::NotEmpty(f)) if f == "name"
    ));
}
