//! `formwork_schema::diff`: edits of a base spec (`tests/diff/base.yaml`), each with the exact
//! changes expected (so an edit reports what it changed and nothing else), covering every rule id;
//! renames and moves that are not removals; locations; the Pipedrive v1 → v2 pair.

use formwork_schema::diff::{Class, Diff, RULES, Reader, diff};
use formwork_schema::load_spec_str;

const BASE: &str = include_str!("diff/base.yaml");

use Class::{Breaking as B, Compatible as C, Info as I, PotentiallyBreaking as P};

/// The base spec with each `(from, to)` replacement made once.
fn edited(edits: &[(&str, &str)]) -> String {
    let mut text = BASE.to_string();
    for (from, to) in edits {
        assert_eq!(
            text.matches(from).count(),
            1,
            "`{from}` must occur exactly once in the base spec"
        );
        text = text.replacen(from, to, 1);
    }
    text
}

fn diff_texts(old: &str, new: &str) -> Diff {
    let old = load_spec_str("old.yaml", old).unwrap_or_else(|e| panic!("old spec loads:\n{e}"));
    let new = load_spec_str("new.yaml", new).unwrap_or_else(|e| panic!("new spec loads:\n{e}"));
    diff(&old, &new)
}

/// `(rule, class)` of every change, sorted.
fn found(d: &Diff) -> Vec<(String, Class)> {
    let mut v: Vec<(String, Class)> = d
        .changes
        .iter()
        .map(|c| (c.rule.clone(), c.class))
        .collect();
    v.sort();
    v
}

/// One edit and the changes it must yield, exactly; `reverse` diffs the edited spec against the base.
struct Case {
    edits: &'static [(&'static str, &'static str)],
    reverse: bool,
    want: &'static [(&'static str, Class)],
}

const fn fwd(
    edits: &'static [(&'static str, &'static str)],
    want: &'static [(&'static str, Class)],
) -> Case {
    Case {
        edits,
        reverse: false,
        want,
    }
}

const fn rev(
    edits: &'static [(&'static str, &'static str)],
    want: &'static [(&'static str, Class)],
) -> Case {
    Case {
        edits,
        reverse: true,
        want,
    }
}

const RATCHET: &[(&str, &str)] = &[(
    "    status: draft\n",
    "    status: draft\n    ratchet: true\n",
)];
const ADD_ROLE: &[(&str, &str)] = &[(
    "  - { id: reviewer, label: Reviewer }\n",
    "  - { id: reviewer, label: Reviewer }\n  - { id: auditor, label: Auditor }\n",
)];
const ADD_TRANSITION: &[(&str, &str)] = &[(
    "to: approved }\n",
    "to: approved }\n  - { id: reject, label: Reject, role: reviewer, from: [in_review], to: rejected }\n",
)];
const ADD_PUBLISH: &[(&str, &str)] = &[(
    "    status: in_review\n",
    "    status: in_review\n  - id: publish\n    label: Publish\n",
)];
const ADD_SECTION: &[(&str, &str)] = &[(
    "  - id: extensions\n",
    "  - id: extras\n    title: Extras\n    fields:\n      - id: motto\n        label: Motto\n        kind: text\n  - id: extensions\n",
)];
const ADD_ISSUED: &[(&str, &str)] = &[(
    "    generate: id\n",
    "    generate: id\n  - id: shop_secret\n    label: Shop secret\n    generate: secret\n",
)];
const NOT_DISTINCT: &[(&str, &str)] = &[(
    "        max_items: 2\n",
    "        max_items: 2\n        distinct: false\n",
)];
const CUSTOM_WARNING: &[(&str, &str)] = &[(
    "    cel: \"size(self) > 0\"\n",
    "    cel: \"size(self) > 0\"\n    severity: warning\n",
)];

fn cases() -> Vec<Case> {
    vec![
        // The form and its stages.
        fwd(
            &[("  id: shop\n", "  id: store\n")],
            &[("FORM_ID_CHANGED", B)],
        ),
        fwd(
            &[("  version: \"1\"", "  version: \"2\"")],
            &[("VERSION_CHANGED", I)],
        ),
        fwd(
            &[("Register a shop.", "Register your shop.")],
            &[("FORM_TEXT_CHANGED", I)],
        ),
        fwd(ADD_PUBLISH, &[("STAGE_ADDED", C)]),
        rev(ADD_PUBLISH, &[("STAGE_REMOVED", B)]),
        fwd(
            &[("    status: draft\n", "    status: hidden\n")],
            &[("STAGE_STATUS_CHANGED", B)],
        ),
        fwd(
            &[("    label: Save\n", "    label: Keep a draft\n")],
            &[("STAGE_LABEL_CHANGED", I)],
        ),
        fwd(RATCHET, &[("STAGE_RATCHET_ADDED", C)]),
        rev(RATCHET, &[("STAGE_RATCHET_REMOVED", B)]),
        // Sections, moves and order: never removals.
        fwd(ADD_SECTION, &[("SECTION_ADDED", I), ("FIELD_ADDED", C)]),
        rev(ADD_SECTION, &[("SECTION_REMOVED", I), ("FIELD_REMOVED", B)]),
        fwd(
            &[("    title: General\n", "    title: About the shop\n")],
            &[("SECTION_TEXT_CHANGED", I)],
        ),
        fwd(
            &[
                (
                    "      - id: agree\n        label: I agree\n        kind: boolean\n        must_be_true: review\n",
                    "",
                ),
                (
                    "  - id: extensions\n",
                    "      - id: agree\n        label: I agree\n        kind: boolean\n        must_be_true: review\n  - id: extensions\n",
                ),
            ],
            &[("FIELD_MOVED", I)],
        ),
        fwd(
            &[
                (
                    "      - id: code\n        label: Code\n        kind: text\n        pattern: \"[A-Z]{3}\"\n",
                    "",
                ),
                (
                    "      - id: name\n",
                    "      - id: code\n        label: Code\n        kind: text\n        pattern: \"[A-Z]{3}\"\n      - id: name\n",
                ),
            ],
            &[("FIELDS_REORDERED", I)],
        ),
        // Fields.
        fwd(
            &[(
                "      - id: code\n        label: Code\n        kind: text\n        pattern: \"[A-Z]{3}\"\n",
                "",
            )],
            &[("FIELD_REMOVED", B)],
        ),
        fwd(
            &[(
                "      - id: agree\n",
                "      - id: phone\n        label: Phone\n        kind: text\n        required: review\n      - id: agree\n",
            )],
            &[("FIELD_ADDED_REQUIRED", B)],
        ),
        fwd(
            &[(
                "      - id: about\n",
                "      - id: summary\n        renamed_from: about\n",
            )],
            &[("FIELD_RENAMED", B)],
        ),
        fwd(
            &[(
                "        label: Shop name\n",
                "        label: Name of the shop\n",
            )],
            &[("LABEL_CHANGED", I)],
        ),
        fwd(
            &[("        help: As shown to buyers.\n", "")],
            &[("HELP_CHANGED", I)],
        ),
        fwd(
            &[(
                "        example: Corner shop\n",
                "        example: Ada's shop\n",
            )],
            &[("EXAMPLE_CHANGED", I)],
        ),
        fwd(
            &[(
                "        pattern: \"[A-Z]{3}\"\n",
                "        pattern: \"[A-Z]{3}\"\n        default: ABC\n",
            )],
            &[("DEFAULT_CHANGED", I)],
        ),
        fwd(
            &[(
                "        min_length: 2\n",
                "        min_length: 2\n        messages: {max_length: Keep it short}\n",
            )],
            &[("MESSAGES_CHANGED", I)],
        ),
        fwd(
            &[(
                "        item_label: widget\n",
                "        item_label: gadget\n",
            )],
            &[("ITEM_LABEL_CHANGED", I)],
        ),
        // Presence.
        fwd(
            &[(
                "        kind: long_text\n        required: review\n",
                "        kind: long_text\n        required: save\n",
            )],
            &[("REQUIRED_EARLIER", B)],
        ),
        fwd(
            &[(
                "        pattern: \"[A-Z]{3}\"\n",
                "        pattern: \"[A-Z]{3}\"\n        required: review\n",
            )],
            &[("REQUIRED_ADDED", B)],
        ),
        fwd(
            &[("        required: save\n", "        required: review\n")],
            &[("REQUIRED_RELAXED", C)],
        ),
        fwd(
            &[(
                "        must_be_true: review\n",
                "        must_be_true: save\n",
            )],
            &[("MUST_BE_TRUE_EARLIER", B)],
        ),
        fwd(
            &[("        must_be_true: review\n", "")],
            &[("MUST_BE_TRUE_RELAXED", C)],
        ),
        rev(
            &[("        must_be_true: review\n", "")],
            &[("MUST_BE_TRUE_ADDED", B)],
        ),
        // Kinds and cardinality.
        fwd(
            &[("        kind: long_text\n", "        kind: text\n")],
            &[("KIND_CHANGED", B)],
        ),
        fwd(&[("        integer: true\n", "")], &[("KIND_CHANGED", C)]),
        fwd(
            &[(
                "            list: views\n            multiple: true\n",
                "            list: views\n",
            )],
            &[("CARDINALITY_CHANGED", B)],
        ),
        fwd(NOT_DISTINCT, &[("DISTINCT_REMOVED", C)]),
        rev(NOT_DISTINCT, &[("DISTINCT_ADDED", B)]),
        // Text limits and formats.
        fwd(
            &[("        max_length: 40\n", "        max_length: 30\n")],
            &[("MAX_LENGTH_TIGHTENED", B)],
        ),
        fwd(
            &[(
                "        kind: long_text\n",
                "        kind: long_text\n        max_length: 500\n",
            )],
            &[("MAX_LENGTH_TIGHTENED", B)],
        ),
        fwd(
            &[("        max_length: 40\n", "        max_length: 50\n")],
            &[("MAX_LENGTH_LOOSENED", C)],
        ),
        fwd(
            &[("        min_length: 2\n", "        min_length: 3\n")],
            &[("MIN_LENGTH_TIGHTENED", B)],
        ),
        fwd(
            &[("        min_length: 2\n", "")],
            &[("MIN_LENGTH_LOOSENED", C)],
        ),
        fwd(
            &[(
                "        kind: long_text\n",
                "        kind: long_text\n        pattern: \"[a-z ]+\"\n",
            )],
            &[("PATTERN_ADDED", B)],
        ),
        fwd(
            &[(
                "        pattern: \"[A-Z]{3}\"\n",
                "        pattern: \"[A-Z]{2,4}\"\n",
            )],
            &[("PATTERN_CHANGED", P)],
        ),
        fwd(
            &[("        pattern: \"[A-Z]{3}\"\n", "")],
            &[("PATTERN_REMOVED", C)],
        ),
        fwd(
            &[(
                "        schemes: [https, http]\n",
                "        schemes: [https]\n",
            )],
            &[("SCHEMES_NARROWED", B)],
        ),
        rev(
            &[(
                "        schemes: [https, http]\n",
                "        schemes: [https]\n",
            )],
            &[("SCHEMES_WIDENED", C)],
        ),
        fwd(
            &[(
                "        hosts: [shop.example, www.shop.example]\n",
                "        hosts: [shop.example]\n",
            )],
            &[("HOSTS_NARROWED", B)],
        ),
        fwd(
            &[("        hosts: [shop.example, www.shop.example]\n", "")],
            &[("HOSTS_WIDENED", C)],
        ),
        fwd(
            &[("        json_type: object\n", "        json_type: array\n")],
            &[("JSON_TYPE_CHANGED", B)],
        ),
        fwd(
            &[("        json_type: object\n", "")],
            &[("JSON_TYPE_CHANGED", C)],
        ),
        // Numbers.
        fwd(
            &[("        minimum: 1\n", "        minimum: 2\n")],
            &[("MINIMUM_TIGHTENED", B)],
        ),
        fwd(&[("        minimum: 1\n", "")], &[("MINIMUM_LOOSENED", C)]),
        fwd(
            &[("        maximum: 100\n", "        maximum: 50\n")],
            &[("MAXIMUM_TIGHTENED", B)],
        ),
        fwd(
            &[("        maximum: 100\n", "        maximum: 200\n")],
            &[("MAXIMUM_LOOSENED", C)],
        ),
        // Items.
        fwd(
            &[("        max_items: 2\n", "        max_items: 1\n")],
            &[("MAX_ITEMS_TIGHTENED", B)],
        ),
        fwd(
            &[("        max_items: 5\n", "        max_items: 8\n")],
            &[("MAX_ITEMS_LOOSENED", C)],
        ),
        fwd(
            &[(
                "        max_items: 2\n",
                "        max_items: 2\n        min_items: 2\n",
            )],
            &[("MIN_ITEMS_TIGHTENED", B)],
        ),
        rev(
            &[(
                "        max_items: 2\n",
                "        max_items: 2\n        min_items: 2\n",
            )],
            &[("MIN_ITEMS_LOOSENED", C)],
        ),
        // Values.
        fwd(
            &[("      - { id: cart, label: Cart }\n", "")],
            &[("CHOICE_VALUE_REMOVED", B)],
        ),
        fwd(
            &[(
                "      - { id: cart, label: Cart }\n",
                "      - { id: cart, label: Cart }\n      - { id: search, label: Search }\n",
            )],
            &[("CHOICE_VALUE_ADDED", C)],
        ),
        fwd(
            &[(
                "      - { id: cart, label: Cart }\n",
                "      - { id: basket, label: Cart, renamed_from: cart }\n",
            )],
            &[("CHOICE_VALUE_RENAMED", B)],
        ),
        fwd(
            &[(
                "{ id: home, label: Home }",
                "{ id: home, label: Start page }",
            )],
            &[("CHOICE_LABEL_CHANGED", I)],
        ),
        fwd(
            &[(
                "          - { id: food, label: Food }\n          - { id: toys, label: Toys }\n",
                "          - { id: toys, label: Toys }\n          - { id: food, label: Food }\n",
            )],
            &[("CHOICE_VALUES_REORDERED", I)],
        ),
        // Files.
        fwd(
            &[(
                "        media_types: [image/png, image/jpeg]\n",
                "        media_types: [image/png]\n",
            )],
            &[("MEDIA_TYPES_NARROWED", B)],
        ),
        fwd(
            &[("        media_types: [image/png, image/jpeg]\n", "")],
            &[("MEDIA_TYPES_WIDENED", C)],
        ),
        fwd(
            &[("        max_bytes: 100000\n", "        max_bytes: 50000\n")],
            &[("MAX_BYTES_TIGHTENED", B)],
        ),
        fwd(
            &[("        max_bytes: 100000\n", "")],
            &[("MAX_BYTES_LOOSENED", C)],
        ),
        fwd(
            &[("        min_width: 64\n", "        min_width: 32\n")],
            &[("MIN_WIDTH_LOOSENED", C)],
        ),
        rev(
            &[("        min_width: 64\n", "        min_width: 32\n")],
            &[("MIN_WIDTH_TIGHTENED", B)],
        ),
        fwd(
            &[("        min_height: 64\n", "")],
            &[("MIN_HEIGHT_LOOSENED", C)],
        ),
        fwd(
            &[(
                "        min_height: 64\n",
                "        min_height: 64\n        max_width: 4000\n",
            )],
            &[("MAX_WIDTH_TIGHTENED", B)],
        ),
        rev(
            &[(
                "        min_height: 64\n",
                "        min_height: 64\n        max_width: 4000\n",
            )],
            &[("MAX_WIDTH_LOOSENED", C)],
        ),
        rev(
            &[(
                "        min_height: 64\n",
                "        min_height: 64\n        max_height: 4000\n",
            )],
            &[("MAX_HEIGHT_LOOSENED", C)],
        ),
        fwd(
            &[(
                "        min_height: 64\n",
                "        min_height: 64\n        max_height: 4000\n",
            )],
            &[("MAX_HEIGHT_TIGHTENED", B)],
        ),
        rev(
            &[("        min_height: 64\n", "")],
            &[("MIN_HEIGHT_TIGHTENED", B)],
        ),
        fwd(
            &[(
                "        aspect_ratio: \"1:1\"\n",
                "        aspect_ratio: \"2:2\"\n",
            )],
            &[("ASPECT_RATIO_REWRITTEN", I)],
        ),
        fwd(
            &[("        aspect_ratio: \"1:1\"\n", "")],
            &[("ASPECT_RATIO_REMOVED", C)],
        ),
        rev(
            &[("        aspect_ratio: \"1:1\"\n", "")],
            &[("ASPECT_RATIO_CHANGED", B)],
        ),
        fwd(
            &[(
                "        sizes: [\"64x64\", \"128x128\"]\n",
                "        sizes: [\"64x64\"]\n",
            )],
            &[("SIZES_NARROWED", B)],
        ),
        fwd(
            &[(
                "        sizes: [\"64x64\", \"128x128\"]\n",
                "        sizes: [\"64x64\", \"128x128\", \"256x256\"]\n",
            )],
            &[("SIZES_WIDENED", C)],
        ),
        // Field checks.
        fwd(
            &[(
                "        pattern: \"[A-Z]{3}\"\n",
                "        pattern: \"[A-Z]{3}\"\n        checks:\n          - sentence_case: true\n",
            )],
            &[("CHECK_ADDED", B)],
        ),
        fwd(
            &[(
                "        kind: json\n",
                "        kind: json\n        checks:\n          - cel: \"size(value) < 100\"\n",
            )],
            &[("CEL_CHECK_ADDED", P)],
        ),
        fwd(
            &[(
                "              - cel: \"value.size() > 1\"\n",
                "              - cel: \"value.size() > 2\"\n",
            )],
            &[("CEL_CHECK_CHANGED", P)],
        ),
        fwd(
            &[(
                "        kind: long_text\n",
                "        kind: long_text\n        checks:\n          - sentence_case: true\n            severity: warning\n",
            )],
            &[("WARNING_CHECK_ADDED", C)],
        ),
        fwd(
            &[(
                "        checks:\n          - sentence_case: true\n            severity: warning\n",
                "",
            )],
            &[("CHECK_REMOVED", C)],
        ),
        fwd(
            &[(
                "            severity: warning\n",
                "            severity: error\n",
            )],
            &[("CHECK_SEVERITY_RAISED", B)],
        ),
        fwd(
            &[(
                "            severity: warning\n",
                "            severity: warning\n            message: Use sentence case\n",
            )],
            &[("CHECK_MESSAGE_CHANGED", I)],
        ),
        fwd(
            &[(
                "          - scheme: [https, http]\n",
                "          - scheme: [https]\n",
            )],
            &[("SCHEME_CHECK_NARROWED", B)],
        ),
        rev(
            &[(
                "          - scheme: [https, http]\n",
                "          - scheme: [https]\n",
            )],
            &[("SCHEME_CHECK_WIDENED", C)],
        ),
        // Rules.
        fwd(&[("max: 2 }", "max: 1 }")], &[("RULE_MAX_TIGHTENED", B)]),
        fwd(&[("max: 6 }", "max: 8 }")], &[("RULE_MAX_LOOSENED", C)]),
        fwd(
            &[(
                "rules:\n",
                "rules:\n  - id: one_title\n    max_per_value: { of: \"widgets[].places\", max: 1 }\n    severity: warning\n",
            )],
            &[("WARNING_RULE_ADDED", C)],
        ),
        fwd(
            &[(
                "rules:\n",
                "rules:\n  - id: few_places\n    max_total: { of: \"widgets[].places\", max: 3 }\n",
            )],
            &[("RULE_ADDED", B)],
        ),
        fwd(
            &[(
                "rules:\n",
                "rules:\n  - id: named\n    cel: \"has(self.name)\"\n",
            )],
            &[("CEL_RULE_ADDED", P)],
        ),
        fwd(
            &[(
                "  - id: widget_places\n    max_total: { of: \"widgets[].places\", max: 6 }\n",
                "",
            )],
            &[("RULE_REMOVED", C)],
        ),
        fwd(
            &[(
                "    cel: \"size(self) > 0\"\n",
                "    cel: \"size(self) > 1\"\n",
            )],
            &[("CEL_RULE_CHANGED", P)],
        ),
        fwd(
            &[(
                "    max_total: { of: \"widgets[].places\", max: 6 }\n",
                "    max_per_value: { of: \"widgets[].places\", max: 6 }\n",
            )],
            &[("RULE_TEST_CHANGED", B)],
        ),
        fwd(CUSTOM_WARNING, &[("RULE_SEVERITY_LOWERED", C)]),
        rev(CUSTOM_WARNING, &[("RULE_SEVERITY_RAISED", B)]),
        fwd(
            &[(
                "  - id: custom\n",
                "  - id: custom\n    message: Fill in something\n",
            )],
            &[("RULE_TEXT_CHANGED", I)],
        ),
        fwd(
            &[(
                "    cel: \"size(self) > 0\"\n",
                "    cel: \"size(self) > 0\"\n    field: name\n",
            )],
            &[("RULE_REPORT_PATH_CHANGED", I)],
        ),
        fwd(
            &[(
                "    cel: \"size(self) > 0\"\n",
                "    cel: \"size(self) > 0\"\n    stages: review\n",
            )],
            &[("RULE_STAGES_NARROWED", C)],
        ),
        rev(
            &[(
                "    cel: \"size(self) > 0\"\n",
                "    cel: \"size(self) > 0\"\n    stages: review\n",
            )],
            &[("RULE_STAGES_WIDENED", B)],
        ),
        fwd(
            &[(
                "          - scheme: [https, http]\n",
                "          - scheme: [https, http]\n            stages: [review]\n",
            )],
            &[("CHECK_STAGES_NARROWED", C)],
        ),
        rev(
            &[(
                "          - scheme: [https, http]\n",
                "          - scheme: [https, http]\n            stages: [review]\n",
            )],
            &[("CHECK_STAGES_WIDENED", B)],
        ),
        fwd(
            &[(
                "        kind: long_text\n        required: review\n",
                "        kind: long_text\n        required: review\n        required_when: {field: code, is: empty}\n",
            )],
            &[("REQUIRED_WHEN_ADDED", C)],
        ),
        rev(
            &[(
                "        kind: long_text\n        required: review\n",
                "        kind: long_text\n        required: review\n        required_when: {field: code, is: empty}\n",
            )],
            &[("REQUIRED_WHEN_REMOVED", B)],
        ),
        fwd(
            &[(
                "        kind: long_text\n        required: review\n",
                "        kind: long_text\n        required: review\n        shown_when: {field: code, is: not_empty}\n",
            )],
            &[("SHOWN_WHEN_ADDED", C)],
        ),
        rev(
            &[(
                "        kind: long_text\n        required: review\n",
                "        kind: long_text\n        required: review\n        shown_when: {field: code, is: not_empty}\n",
            )],
            &[("SHOWN_WHEN_REMOVED", B)],
        ),
        // Workflow.
        fwd(
            &[(
                "    status: in_review\n",
                "    status: in_review\n    from: [draft]\n",
            )],
            &[("STAGE_FROM_NARROWED", B)],
        ),
        rev(
            &[(
                "    status: in_review\n",
                "    status: in_review\n    from: [draft]\n",
            )],
            &[("STAGE_FROM_WIDENED", C)],
        ),
        fwd(ADD_ROLE, &[("ROLE_ADDED", C)]),
        rev(ADD_ROLE, &[("ROLE_REMOVED", B)]),
        fwd(ADD_TRANSITION, &[("TRANSITION_ADDED", C)]),
        rev(ADD_TRANSITION, &[("TRANSITION_REMOVED", B)]),
        fwd(
            &[(
                "from: [in_review], to: approved",
                "from: [in_review, draft], to: approved",
            )],
            &[("TRANSITION_CHANGED", B)],
        ),
        fwd(
            &[("label: Approve,", "label: Accept,")],
            &[("TRANSITION_LABEL_CHANGED", I)],
        ),
        // Issued values.
        fwd(ADD_ISSUED, &[("ISSUED_ADDED", C)]),
        rev(ADD_ISSUED, &[("ISSUED_REMOVED", B)]),
        fwd(
            &[("    generate: id\n", "    generate: secret\n")],
            &[("ISSUED_GENERATOR_CHANGED", B)],
        ),
        fwd(
            &[("    label: Shop key\n", "    label: Shop identifier\n")],
            &[("ISSUED_LABEL_CHANGED", I)],
        ),
    ]
}

/// Every case yields exactly its changes, and together the cases cover every rule id but
/// `STAGES_REORDERED` (tested on its own below, since reordering stages also moves presence)
/// and the changed conditions (below too).
#[test]
fn every_rule_has_a_case_with_the_exact_classification() {
    let mut failures = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (i, case) in cases().iter().enumerate() {
        let text = edited(case.edits);
        let d = if case.reverse {
            diff_texts(&text, BASE)
        } else {
            diff_texts(BASE, &text)
        };
        let mut want: Vec<(String, Class)> =
            case.want.iter().map(|(r, c)| (r.to_string(), *c)).collect();
        want.sort();
        let got = found(&d);
        if got != want {
            failures.push(format!(
                "case {i} ({:?}): want {want:?}, got {got:?}\n{}",
                case.want.first().map(|w| w.0),
                d.to_text(&[])
            ));
        }
        for c in &d.changes {
            assert!(RULES.contains(&c.rule.as_str()), "{} not in RULES", c.rule);
            assert!(c.location.pos.line > 0, "{}: no location", c.rule);
            seen.insert(c.rule.clone());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Tested on their own below: a changed condition needs one on both sides.
    let alone = [
        "STAGES_REORDERED",
        "REQUIRED_WHEN_CHANGED",
        "SHOWN_WHEN_CHANGED",
        "VARIANT_ADDED",
        "VARIANT_REMOVED",
        "VARIANT_CHANGED",
        "KIND_FIELD_ADDED",
        "KIND_FIELD_REMOVED",
        "KIND_FIELD_CHANGED",
    ];
    let missing: Vec<&&str> = RULES
        .iter()
        .filter(|r| !seen.contains(**r) && !alone.contains(r))
        .collect();
    assert!(missing.is_empty(), "rules without a case: {missing:?}");
}

#[test]
fn identical_specs_have_no_changes() {
    let d = diff_texts(BASE, BASE);
    assert!(d.changes.is_empty(), "{}", d.to_text(&[]));
    assert_eq!(d.blocking(&[]).count(), 0);
}

#[test]
fn reordering_stages_is_flagged() {
    let text = edited(&[(
        "  - id: save\n    label: Save\n    status: draft\n  - id: review\n    label: Send to review\n    status: in_review\n",
        "  - id: review\n    label: Send to review\n    status: in_review\n  - id: save\n    label: Save\n    status: draft\n",
    )]);
    let d = diff_texts(BASE, &text);
    let c = d
        .changes
        .iter()
        .find(|c| c.rule == "STAGES_REORDERED")
        .expect("reordering reported");
    assert_eq!(c.class, P);
    assert_eq!(c.new, Some(serde_json::json!(["review", "save"])));
}

#[test]
fn changes_carry_locations_pointers_stages_and_old_readers() {
    let text = edited(&[
        (
            "            max_length: 30\n",
            "            max_length: 20\n",
        ),
        ("      - { id: cart, label: Cart }\n", ""),
        (
            "          - id: rule\n",
            "          - id: note\n            label: Note\n            kind: text\n          - id: rule\n",
        ),
    ]);
    let d = diff_texts(BASE, &text);
    let by_rule = |r: &str| {
        d.changes
            .iter()
            .find(|c| c.rule == r)
            .unwrap_or_else(|| panic!("{r} in {}", d.to_text(&[])))
    };

    let tightened = by_rule("MAX_LENGTH_TIGHTENED");
    assert_eq!(tightened.pointer, "/widgets/*/title");
    assert_eq!(tightened.location.file, "new.yaml");
    let line = text
        .lines()
        .position(|l| l.contains("max_length: 20"))
        .expect("line")
        + 1;
    assert_eq!(
        tightened.location.pos.line as usize, line,
        "points at the new `max_length`"
    );
    assert_eq!(
        (tightened.old.clone(), tightened.new.clone()),
        (Some(30.into()), Some(20.into()))
    );
    assert_eq!(tightened.stages, ["save", "review"]);

    // A removal points into the old spec, at the removed value.
    let removed = by_rule("CHOICE_VALUE_REMOVED");
    assert_eq!(removed.location.file, "old.yaml");
    let line = BASE
        .lines()
        .position(|l| l.contains("id: cart"))
        .expect("line")
        + 1;
    assert_eq!(removed.location.pos.line as usize, line);
    assert_eq!(removed.pointer, "/widgets/*/places");
    assert_eq!(removed.old, Some("cart".into()));

    let added = by_rule("FIELD_ADDED");
    assert_eq!(added.pointer, "/widgets/*/note");
    assert_eq!(
        added.old_readers,
        [Reader::RustTypes, Reader::JsonSchema, Reader::Validator]
    );

    // JSON: the documented shape.
    let json = d.to_json(&[]);
    assert_eq!(json["summary"]["breaking"], 2);
    assert_eq!(json["summary"]["compatible"], 1);
    assert_eq!(json["summary"]["blocking"], 2);
    let first = &json["changes"][0];
    for key in [
        "rule", "class", "path", "pointer", "old", "new", "stages", "message",
    ] {
        assert!(first.get(key).is_some(), "{key} missing from {first}");
    }
    assert!(
        first["path"]
            .as_str()
            .is_some_and(|p| p.starts_with("new.yaml:") || p.starts_with("old.yaml:"))
    );

    // --allow: allowed rules stop blocking.
    let allow = vec![
        "MAX_LENGTH_TIGHTENED".to_string(),
        "CHOICE_VALUE_REMOVED".to_string(),
    ];
    assert_eq!(d.blocking(&allow).count(), 0);
    assert!(d.to_text(&allow).contains("(allowed)"));
}

#[test]
fn renamed_from_is_checked() {
    for (edit, message) in [
        (
            (
                "      - id: about\n",
                "      - id: about\n        renamed_from: about\n",
            ),
            "renamed from itself",
        ),
        (
            (
                "      - id: about\n",
                "      - id: summary\n        renamed_from: code\n",
            ),
            "`code` is still a field here",
        ),
        (
            (
                "{ id: cart, label: Cart }",
                "{ id: basket, label: Cart, renamed_from: home }",
            ),
            "`home` is still a value here",
        ),
    ] {
        let text = edited(&[edit]);
        let err = load_spec_str("x.yaml", &text)
            .expect_err("rejected")
            .to_string();
        assert!(err.contains(message), "{err}");
        assert!(err.contains("x.yaml:"), "{err}");
    }
}

/// The spec-evolution fixture: Pipedrive v1 (specs/) → v2 (tests/evolution/).
#[test]
fn pipedrive_v1_to_v2() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let old = formwork_schema::load_spec(format!("{root}/specs/pipedrive-app.yaml")).expect("v1");
    let new = formwork_schema::load_spec(format!("{root}/tests/evolution/pipedrive-app.v2.yaml"))
        .expect("v2");
    let d = diff(&old, &new);
    let mut got: Vec<(String, String)> = d
        .changes
        .iter()
        .map(|c| (c.rule.clone(), c.pointer.clone()))
        .collect();
    got.sort();
    let want = [
        ("CHOICE_VALUE_REMOVED", "/app_actions/*/locations"),
        ("FIELD_ADDED", "/pricing_url"),
        ("FIELD_ADDED", "/webhooks"),
        ("FIELD_MOVED", "/support_email"),
        ("FIELD_REMOVED", "/documentation_url"),
        ("FIELD_REMOVED", "/issue_tracker_url"),
        ("MAX_LENGTH_TIGHTENED", "/company"),
        ("MAX_LENGTH_TIGHTENED", "/short_summary"),
        ("RULE_MAX_TIGHTENED", "/app_actions"),
        ("SECTION_ADDED", ""),
        ("VERSION_CHANGED", ""),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(got, want, "{}", d.to_text(&[]));
    // The reverse direction: what v2 → v1 would break.
    let back = diff(&new, &old);
    assert!(
        back.changes
            .iter()
            .any(|c| c.rule == "FIELD_REMOVED" && c.pointer == "/webhooks")
    );
    assert!(back.changes.iter().any(|c| c.rule == "CHOICE_VALUE_ADDED"));
    assert!(back.changes.iter().any(|c| c.rule == "RULE_MAX_LOOSENED"));
}

/// The workflow's names are checked: roles, statuses, and that every status can be reached.
#[test]
fn workflow_is_checked() {
    for (edit, message) in [
        (
            (
                "role: reviewer, from: [in_review]",
                "role: reviwer, from: [in_review]",
            ),
            "unknown role `reviwer`",
        ),
        (
            (
                "from: [in_review], to: approved",
                "from: [in_reveiw], to: approved",
            ),
            "unknown status `in_reveiw`",
        ),
        (
            (
                "    status: in_review\n",
                "    status: in_review\n    from: [nowhere]\n",
            ),
            "unknown status `nowhere`",
        ),
        (
            (
                "to: approved }\n",
                "to: approved }\n  - { id: publish, label: Publish, role: reviewer, from: [published], to: published }\n",
            ),
            "status `published` can never be reached",
        ),
    ] {
        let text = edited(&[edit]);
        let err = load_spec_str("x.yaml", &text)
            .expect_err("rejected")
            .to_string();
        assert!(err.contains(message), "{err}");
        assert!(err.contains("x.yaml:"), "{err}");
    }
}

/// A condition that changes may ask where it did not: potentially breaking.
#[test]
fn changed_conditions_may_break() {
    let with = |required: &str, shown: &str| {
        edited(&[(
            "        kind: long_text\n        required: review\n",
            &format!(
                "        kind: long_text\n        required: review\n        required_when: {{field: code, is: {required}}}\n        shown_when: {{field: code, is: {shown}}}\n"
            ),
        )])
    };
    let d = diff_texts(&with("empty", "not_empty"), &with("not_empty", "empty"));
    assert_eq!(
        found(&d),
        [
            (
                "REQUIRED_WHEN_CHANGED".to_string(),
                Class::PotentiallyBreaking
            ),
            ("SHOWN_WHEN_CHANGED".to_string(), Class::PotentiallyBreaking),
        ]
    );
}

/// A group of actions: `url` and `api_url` shared (`variants` empty) or each in its variant,
/// told apart by `kind` (one of `type`, `type2`).
fn actions(kind: Option<&str>, url_in: &str, api_in: &str) -> String {
    let field = |id: &str| format!("{{id: {id}, label: {id}, kind: url, required: true}}");
    let shared: String = [("url", url_in), ("api_url", api_in)]
        .iter()
        .filter(|(_, v)| v.is_empty())
        .map(|(id, _)| format!("          - {}\n", field(id)))
        .collect();
    let variants = kind.map_or(String::new(), |k| {
        let list = |v: &str| {
            [("url", url_in), ("api_url", api_in)]
                .iter()
                .filter(|(_, w)| *w == v)
                .map(|(id, _)| field(id))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "        kind_field: {k}\n        variants:\n          link: [{}]\n          modal: [{}]\n",
            list("link"),
            list("modal")
        )
    });
    format!(
        "form: {{id: t, title: T}}\nstages: [{{id: save, label: Save}}]\nsections:\n  - id: s\n    title: S\n    fields:\n      - id: actions\n        label: Actions\n        kind: group\n{variants}        fields:\n          - {{id: type, label: Type, kind: choice, required: true, values: [{{id: link, label: Link}}, {{id: modal, label: Modal}}]}}\n          - {{id: type2, label: Type 2, kind: choice, required: true, values: [{{id: link, label: Link}}, {{id: modal, label: Modal}}]}}\n{shared}"
    )
}

/// Variants: a field joining one is asked for less (compatible); leaving one or moving to
/// another, it is asked where it was not (breaking). The kind field coming, going or changing
/// changes the generated Rust type (compatible for submissions, with that reader named).
#[test]
fn variant_changes_are_classified() {
    let plain = actions(None, "", "");
    let split = actions(Some("type"), "link", "modal");
    let d = diff_texts(&plain, &split);
    assert_eq!(
        found(&d),
        [
            ("KIND_FIELD_ADDED".to_string(), Class::Compatible),
            ("VARIANT_ADDED".to_string(), Class::Compatible),
            ("VARIANT_ADDED".to_string(), Class::Compatible),
        ],
        "{}",
        d.to_text(&[])
    );
    assert!(
        d.changes.iter().all(|c| c.location.pos.line > 0),
        "{}",
        d.to_text(&[])
    );
    let d = diff_texts(&split, &plain);
    assert_eq!(
        found(&d),
        [
            ("KIND_FIELD_REMOVED".to_string(), Class::Compatible),
            ("VARIANT_REMOVED".to_string(), Class::Breaking),
            ("VARIANT_REMOVED".to_string(), Class::Breaking),
        ]
    );
    let d = diff_texts(&split, &actions(Some("type2"), "modal", "modal"));
    assert_eq!(
        found(&d),
        [
            ("KIND_FIELD_CHANGED".to_string(), Class::Compatible),
            ("VARIANT_CHANGED".to_string(), Class::Breaking),
        ]
    );
}
