//! The spec file as written: the serde/schemars model of a formwork YAML spec.
//!
//! This is the *surface* language. [`crate::load`] checks it and resolves it into the
//! [`crate::model`] IR that every emitter and the runtime consume.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::located::Located;

/// A formwork spec: one form, its stages, value lists, sections of fields and cross-field rules.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "formwork spec")]
pub struct SpecFile {
    /// Form metadata.
    pub form: FormMeta,
    /// Ordered stages a submission goes through (e.g. `save`, then `review`).
    pub stages: Vec<StageDef>,
    /// Named value lists, reusable by any choice field (`list: NAME`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lists: Vec<ValueListDef>,
    /// Ordered sections of the form, each a fieldset of fields.
    pub sections: Vec<SectionDef>,
    /// Rules that span several fields or items, checked on the whole submission.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RuleDef>,
    /// Values the server assigns (never accepted from a submission), e.g. client credentials.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issued: Vec<IssuedDef>,
    /// Roles people can have besides owning their records (e.g. `reviewer`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<RoleDef>,
    /// What people with a role can do to records in a status (e.g. a reviewer approves a record
    /// `in_review`). The owner moves a record with the stages' buttons; nothing else changes a status.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transitions: Vec<TransitionDef>,
    /// How `formwork records migrate` brings records stored under earlier versions of the spec to
    /// this one (renames declared with `renamed_from` are applied too).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub migrations: Vec<MigrationDef>,
}

/// One migration step. Exactly one key is given. Paths name fields as `FIELD`, `OBJECT.FIELD` or
/// `GROUP[].FIELD`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MigrationDef {
    /// Drop the stored values of a field the spec no longer has (they stay in each record's history).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop_field: Option<Located<String>>,
    /// Replace a value a choice field no longer offers by one it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_value: Option<ValueMapDef>,
    /// Drop a value a choice field no longer offers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop_value: Option<ValueDropDef>,
}

/// `map_value`: in `field`, `from` becomes `to`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ValueMapDef {
    /// The choice field (`FIELD`, `OBJECT.FIELD`, `GROUP[].FIELD`).
    pub field: Located<String>,
    /// The stored value the field no longer offers.
    pub from: Located<String>,
    /// The value it becomes (one the field offers).
    pub to: Located<String>,
}

/// `drop_value`: in `field`, `value` is removed.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ValueDropDef {
    /// The choice field (`FIELD`, `OBJECT.FIELD`, `GROUP[].FIELD`).
    pub field: Located<String>,
    /// The stored value the field no longer offers.
    pub value: Located<String>,
}

/// Form metadata.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FormMeta {
    /// Identifier (snake_case); names generated files and types.
    pub id: Located<String>,
    /// Human title.
    pub title: String,
    /// Longer description shown above the form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Version of this spec (free text, e.g. `1.0.0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// A stage: a named point at which a submission is validated (a button in the UI).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StageDef {
    /// Identifier (snake_case), e.g. `save`, `review`.
    pub id: Located<String>,
    /// Button label, e.g. `Send to review`.
    pub label: String,
    /// Record status after a successful submission at this stage, e.g. `in_review`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Validation ratcheting (as Kubernetes does for CRDs): when a stored record is saved at this
    /// stage, a value unchanged since it was stored that fails a rule the spec has since tightened
    /// is a warning, not an error, so people can save their other edits. Stages without it stay strict.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ratchet: bool,
    /// The statuses in which the owner may submit at this stage (besides a new record); absent:
    /// the statuses the stages set (so a record another role moved on, e.g. `approved`, is final).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Located<Vec<String>>>,
}

/// A role people can have (e.g. `reviewer`); accounts get it with `formwork users add --role`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleDef {
    /// Identifier (snake_case).
    pub id: Located<String>,
    /// Name shown to people.
    pub label: String,
}

/// Whether a transition asks for a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommentDef {
    /// No comment field.
    #[default]
    None,
    /// A comment may be given.
    Optional,
    /// A comment must be given.
    Required,
}

/// A status change people with a role make (a button on the record's review page).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionDef {
    /// Identifier (snake_case), e.g. `approve`.
    pub id: Located<String>,
    /// Button label, e.g. `Approve`.
    pub label: String,
    /// The role that may make it.
    pub role: Located<String>,
    /// The statuses it applies to.
    pub from: Located<Vec<String>>,
    /// The status it sets.
    pub to: Located<String>,
    /// A comment for the owner (`optional` or `required`), which may be pinned to a field.
    #[serde(default)]
    pub comment: CommentDef,
    /// A stage the record must be valid at for the transition (e.g. `review` for `approve`: a
    /// record that no longer passes review after a spec change cannot be approved as it is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<Located<String>>,
}

/// A named list of values (id + label), e.g. the 8 views an app action can appear in.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ValueListDef {
    /// List identifier, referenced by `list:` in choice fields.
    pub id: Located<String>,
    /// The values, in display order.
    pub values: Vec<ChoiceDef>,
}

/// One allowed value of a choice.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChoiceDef {
    /// The value as submitted (e.g. `deals:read`).
    pub id: Located<String>,
    /// The label shown to people.
    pub label: String,
    /// The value's id in an earlier version of the spec: `formwork diff` reports a rename instead
    /// of a removal and an addition, and stored records can be migrated to the new id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<Located<String>>,
}

/// A section: a fieldset with a legend and ordered fields.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SectionDef {
    /// Identifier (snake_case).
    pub id: Located<String>,
    /// Legend of the fieldset.
    pub title: String,
    /// Text shown under the legend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The section's required fields are required only when this holds (a condition on the
    /// form's top-level fields); fields it does not require stay optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_when: Option<Box<ConditionDef>>,
    /// The whole section is asked only when this holds (a condition on the form's top-level
    /// fields): otherwise its fields' values are ignored and none is required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shown_when: Option<Box<ConditionDef>>,
    /// Fields, in order.
    pub fields: Vec<FieldDef>,
}

/// Field kinds of the spec language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KindName {
    /// One line of text.
    Text,
    /// Several lines of text.
    LongText,
    /// An email address.
    Email,
    /// An absolute URL.
    Url,
    /// A secret (password, token): never echoed back.
    Secret,
    /// A JSON document given as text; must parse.
    Json,
    /// A number (`integer: true` for whole numbers).
    Number,
    /// A yes/no value (a checkbox or toggle).
    Boolean,
    /// One value (or several with `multiple: true`) from a value list.
    Choice,
    /// An uploaded file, described by its extracted metadata.
    File,
    /// An uploaded image: a file with dimensions.
    Image,
    /// A fixed set of sub-fields.
    Object,
    /// A repeated group: a list of items, each with the same sub-fields.
    Group,
}

/// Stages at which a presence rule applies: `true` (every stage), `false` (none),
/// a stage id (that stage and every later one), or a list of stage ids.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum StagesDef {
    /// Every stage (`true`) or none (`false`).
    All(bool),
    /// From this stage on.
    From(String),
    /// Exactly these stages.
    List(Vec<String>),
}

/// Severity of a check: errors make a submission invalid, warnings never do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The submission is invalid.
    #[default]
    Error,
    /// Reported, but the submission stays valid.
    Warning,
}

/// A field of a section, an object or a group item.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldDef {
    /// Identifier (snake_case): the key in submissions.
    pub id: Located<String>,
    /// The question/label shown to people.
    pub label: String,
    /// Hint text shown under the label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// An example value, shown as a hint/placeholder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<String>,
    /// What kind of value this field holds.
    #[schemars(with = "KindName")]
    pub kind: Located<String>,
    /// The field's id in an earlier version of the spec (at the same place): `formwork diff`
    /// reports a rename instead of a removal and an addition, and stored records can be migrated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<Located<String>>,
    /// Stages at which a value must be present (non-blank text, non-empty list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<Located<StagesDef>>,
    /// Required (at the stages of `required`, every stage when absent) only when this holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_when: Option<Box<ConditionDef>>,
    /// Asked only when this holds: otherwise its value is ignored (a warning when given) and it
    /// is never required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shown_when: Option<Box<ConditionDef>>,
    /// Default value (must satisfy the field's own constraints).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Located<serde_json::Value>>,

    /// Minimum length of a text, in characters (Unicode scalar values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<Located<u32>>,
    /// Maximum length of a text, in characters (Unicode scalar values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<Located<u32>>,
    /// Regular expression (Rust `regex` syntax) a text must match, anchored unless you anchor it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<Located<String>>,
    /// URL schemes allowed (default `http`, `https`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schemes: Option<Located<Vec<String>>>,
    /// URL hosts allowed (exact host names); any host when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hosts: Option<Located<Vec<String>>>,
    /// For `json`: the JSON type the document must have (`object`, `array`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_type: Option<Located<String>>,

    /// Minimum of a number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum: Option<Located<f64>>,
    /// Maximum of a number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum: Option<Located<f64>>,
    /// Whole numbers only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integer: Option<bool>,

    /// For `choice`: the id of a value list declared under `lists`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list: Option<Located<String>>,
    /// For `choice`: values declared inline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<ChoiceDef>>,
    /// For `choice`, `file`, `image`: the value is a list of several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multiple: Option<bool>,
    /// Minimum number of items (a presence rule: enforced where the field is required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_items: Option<Located<u32>>,
    /// Maximum number of items (enforced at every stage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_items: Option<Located<u32>>,
    /// Items must be distinct (default true for multiple choices).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distinct: Option<bool>,

    /// For `file`/`image`: allowed media types, read from the file's bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_types: Option<Located<Vec<String>>>,
    /// For `file`/`image`: maximum size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_bytes: Option<Located<u64>>,
    /// For `image`: minimum width in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_width: Option<Located<u32>>,
    /// For `image`: minimum height in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_height: Option<Located<u32>>,
    /// For `image`: maximum width in pixels (at most 20000, the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_width: Option<Located<u32>>,
    /// For `image`: maximum height in pixels (at most 20000, the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_height: Option<Located<u32>>,
    /// For `image`: required aspect ratio, `W:H` (e.g. `16:10`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aspect_ratio: Option<Located<String>>,
    /// For `image`: the only allowed sizes, `WxH` (e.g. `1280x800`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sizes: Option<Vec<Located<String>>>,

    /// For `boolean`: stages at which the box must be checked (e.g. agreeing to terms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub must_be_true: Option<Located<StagesDef>>,

    /// For `object` and `group`: the sub-fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<FieldDef>>,
    /// For `object` and `group`: the sub-field (among `fields`) whose value says which variant
    /// the object or item is: a single `choice`, required at every stage, whose values are the
    /// keys of `variants`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind_field: Option<Located<String>>,
    /// For `object` and `group` with `kind_field`: the fields of each variant, by value of the
    /// kind field (`[]` for a variant without fields of its own). A variant's fields are asked only
    /// when the kind field has its value; `fields` are shared by every variant. A field id is
    /// used once across `fields` and every variant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variants: Option<Located<BTreeMap<Located<String>, Vec<FieldDef>>>>,
    /// For `group`: what one item is called (e.g. `app action`), for "Add another app action".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_label: Option<String>,

    /// Extra checks on this field's value, e.g. soft (warning) rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckDef>,
    /// Message overrides for this field, keyed by error code (e.g. `max_length`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub messages: BTreeMap<String, String>,
}

/// A condition on the other fields of the same object (the submission for top-level fields, the
/// item for a group's fields). Exactly one form is given: `field` with one of `is`, `equals`,
/// `one_of`; or `all`, `any`, `cel`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConditionDef {
    /// The sibling field the condition is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<Located<String>>,
    /// `empty` or `not_empty` (empty: absent, null, blank text, no items, an unchecked box).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is: Option<Located<String>>,
    /// The field has this value (a text, number or boolean).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<Located<serde_json::Value>>,
    /// The field has one of these values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub one_of: Option<Located<Vec<serde_json::Value>>>,
    /// Every one of these conditions holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all: Option<Vec<ConditionDef>>,
    /// At least one of these conditions holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any: Option<Vec<ConditionDef>>,
    /// A CEL expression over `self`, the object the field sits in, that yields a bool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cel: Option<Located<String>>,
}

/// An extra check on one field's value. Exactly one test key is given.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckDef {
    /// Text must be in sentence case: only the first letter of the first word is upper case
    /// (words written entirely in capitals, like `API`, are allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentence_case: Option<Located<bool>>,
    /// URL must use one of these schemes (e.g. `[https]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<Located<Vec<String>>>,
    /// A CEL expression over `value` (this field's value) that must be true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cel: Option<Located<String>>,
    /// `error` (default) or `warning`.
    #[serde(default)]
    pub severity: Severity,
    /// Message shown when the check fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The stages the check applies at, as for `required` (a stage: it and every later one; a
    /// list: exactly those); every stage when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stages: Option<Located<StagesDef>>,
}

/// What an aggregate counts: one `GROUP[].FIELD`, or several counted together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum PathsDef {
    /// One path.
    One(String),
    /// Several paths over the same value list, counted together.
    Many(Vec<String>),
}

impl PathsDef {
    /// The paths, in order.
    pub fn paths(&self) -> Vec<&str> {
        match self {
            PathsDef::One(p) => vec![p.as_str()],
            PathsDef::Many(ps) => ps.iter().map(String::as_str).collect(),
        }
    }
}

/// An aggregate over repeated groups' items: `of: GROUP[].FIELD`, or a list of them counted
/// together (`of: ["app_actions[].locations", "json_modals[].locations"]`: in flow style the
/// paths are quoted, as YAML reads `[` and `]` as the list's own brackets).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AggregateDef {
    /// `GROUP[].FIELD`: a choice field (one or multiple) of the items of a top-level group; or a
    /// list of such fields over the same value list, counted together.
    pub of: Located<PathsDef>,
    /// The largest allowed count.
    pub max: Located<u32>,
}

/// A cross-field rule. Exactly one test key (`max_per_value`, `max_total`, `cel`) is given.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    /// Identifier (snake_case), also the error code reported.
    pub id: Located<String>,
    /// What the rule means, for people reading the spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// No value appears in the field of more than `max` items
    /// (e.g. at most 3 app actions per view).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_per_value: Option<AggregateDef>,
    /// The field's values, counted over all items, total at most `max`
    /// (e.g. at most 24 action placements).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_total: Option<AggregateDef>,
    /// A CEL expression over `self` (the whole submission) that must be true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cel: Option<Located<String>>,
    /// For `cel`: evaluate the expression once per item of this top-level group, with `item`
    /// bound to the item (and `lists`), and report each failing item at its own path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub each: Option<Located<String>>,
    /// For `cel`: the field the error is reported at (a field id or `GROUP[].FIELD`); the root when
    /// absent. With `each`: a field of the item (the item itself when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<Located<String>>,
    /// `error` (default) or `warning`.
    #[serde(default)]
    pub severity: Severity,
    /// Message. Counting rules may use `{value}`, `{label}`, `{count}`, `{max}`, `{item}` and
    /// `{items}` (`max_total`: `{count}`, `{max}`, `{item}`, `{items}`); `cel` rules `{rule}`,
    /// `{expr}` and `{error}`. Any other placeholder is a spec error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// For `cel`: a CEL expression over `self` (and `lists`) that yields the message when the
    /// rule fails, as Kubernetes' `messageExpression` (e.g. `'at most 3 actions, not ' +
    /// string(size(self.app_actions))`). `message` is used if it cannot be evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_expression: Option<Located<String>>,
    /// The stages the rule applies at, as for `required` (a stage: it and every later one; a
    /// list: exactly those); every stage when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stages: Option<Located<StagesDef>>,
}

/// How an issued value is generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GeneratorName {
    /// A random identifier (128 bits, hex).
    Id,
    /// A random secret (256 bits from a CSPRNG, hex).
    Secret,
}

/// A value the server assigns on the first successful submission.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IssuedDef {
    /// Identifier, e.g. `client_id`.
    pub id: Located<String>,
    /// Label shown with the value.
    pub label: String,
    /// How the value is generated.
    pub generate: GeneratorName,
}
