//! The checked, resolved form model: the one IR every emitter and the runtime consume.
//!
//! Built only by [`crate::load`] (or [`crate::check::resolve`]) from a [`crate::raw::SpecFile`]
//! that passed every spec check: list references are resolved, stages are bit sets,
//! ratios and sizes are numbers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::raw::{GeneratorName, Severity};

/// A checked form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Form {
    /// Identifier (snake_case).
    pub id: String,
    /// Human title.
    pub title: String,
    /// Description shown above the form.
    pub description: Option<String>,
    /// Spec version.
    pub version: Option<String>,
    /// Ordered stages.
    pub stages: Vec<Stage>,
    /// Ordered sections.
    pub sections: Vec<Section>,
    /// Cross-field rules.
    pub rules: Vec<Rule>,
    /// Server-assigned values.
    pub issued: Vec<Issued>,
    /// Ids of the shared value lists, in the order the spec declares them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lists: Vec<String>,
    /// How stored records of earlier spec versions are brought to this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub migrations: Vec<Migration>,
    /// Roles besides owning records.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<Role>,
    /// Status changes made by roles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transitions: Vec<Transition>,
}

/// A step of `formwork records migrate`. Paths are field ids from the root, `*` for group items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Migration {
    /// Drop the stored values of a removed field.
    DropField {
        /// Where the field was.
        path: Vec<String>,
    },
    /// Replace a removed choice value by another.
    MapValue {
        /// The choice field.
        path: Vec<String>,
        /// The removed value.
        from: String,
        /// Its replacement.
        to: String,
    },
    /// Drop a removed choice value.
    DropValue {
        /// The choice field.
        path: Vec<String>,
        /// The removed value.
        value: String,
    },
}

/// A stage of the form (index = position in [`Form::stages`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stage {
    /// Identifier.
    pub id: String,
    /// Button label.
    pub label: String,
    /// Record status after success at this stage.
    pub status: Option<String>,
    /// Unchanged stored values that fail a since-tightened rule are warnings here, not errors.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ratchet: bool,
    /// Statuses in which the owner may submit at this stage (besides a new record).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub from: Vec<String>,
}

/// A role people can have besides owning their records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Role {
    /// Identifier.
    pub id: String,
    /// Name shown to people.
    pub label: String,
}

pub use crate::raw::CommentDef as Comment;

/// A status change made by people with a role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    /// Identifier.
    pub id: String,
    /// Button label.
    pub label: String,
    /// The role that may make it.
    pub role: String,
    /// The statuses it applies to.
    pub from: Vec<String>,
    /// The status it sets.
    pub to: String,
    /// Whether it asks for a comment.
    #[serde(default, skip_serializing_if = "is_no_comment")]
    pub comment: Comment,
    /// The stage the record must be valid at (index into [`Form::stages`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<usize>,
}

fn is_no_comment(c: &Comment) -> bool {
    *c == Comment::None
}

/// A set of stages, as a bit set over stage indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StageSet(pub u64);

impl StageSet {
    /// No stage.
    pub const NONE: StageSet = StageSet(0);
    /// Every one of `n` stages.
    pub fn all(n: usize) -> StageSet {
        StageSet((0..n.min(64)).fold(0, |b, i| b | 1 << i))
    }
    /// Whether the stage with this index is in the set.
    pub fn contains(self, stage: usize) -> bool {
        stage < 64 && self.0 & (1 << stage) != 0
    }
    /// Whether the set holds every one of `n` stages.
    pub fn is_all(self, n: usize) -> bool {
        (0..n).all(|i| self.contains(i))
    }
    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// A section: fieldset + legend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    /// Identifier.
    pub id: String,
    /// Legend.
    pub title: String,
    /// Text under the legend.
    pub description: Option<String>,
    /// Its required fields are required only when this holds (each field's `required_when`
    /// includes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_when: Option<Condition>,
    /// Asked only when this holds (each field's `shown_when` includes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shown_when: Option<Condition>,
    /// Fields in order.
    pub fields: Vec<Field>,
}

/// A field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// Identifier: the key in submissions.
    pub id: String,
    /// Label.
    pub label: String,
    /// Hint.
    pub help: Option<String>,
    /// Example value.
    pub example: Option<String>,
    /// Stages at which a value must be present.
    pub required: StageSet,
    /// Default value.
    pub default: Option<serde_json::Value>,
    /// Kind and kind-specific constraints.
    pub kind: Kind,
    /// Extra checks.
    pub checks: Vec<Check>,
    /// Message overrides by error code.
    pub messages: BTreeMap<String, String>,
    /// The field's id in an earlier version of the spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    /// Required (at the stages of `required`) only when this holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_when: Option<Condition>,
    /// Asked only when this holds: otherwise its value is ignored and it is never required.
    /// For a field of a variant, the variant's test comes first: `{kind} equals {variant}`, alone
    /// or as the first part of an `all` whose second part is the field's own condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shown_when: Option<Condition>,
    /// The variant of its object or item the field belongs to (a value of the `kind_field`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl Field {
    /// Whether a value is required at stage `stage` whatever the other fields hold.
    pub fn always_required(&self, stage: usize) -> bool {
        self.required.contains(stage) && self.required_when.is_none() && self.shown_when.is_none()
    }

    /// Whether the field's presence depends on other fields.
    pub fn is_conditional(&self) -> bool {
        self.required_when.is_some() || self.shown_when.is_some()
    }

    /// The field's own `shown_when`, without its variant's test (the same as `shown_when` for a
    /// field outside variants).
    pub fn own_shown_when(&self) -> Option<&Condition> {
        match (&self.variant, &self.shown_when) {
            (None, c) => c.as_ref(),
            (Some(_), Some(Condition::All(parts))) if parts.len() == 2 => parts.get(1),
            (Some(_), _) => None,
        }
    }

    /// Whether the field's presence depends on other fields besides its variant's kind.
    pub fn is_own_conditional(&self) -> bool {
        self.required_when.is_some() || self.own_shown_when().is_some()
    }

    /// Whether a value is required at stage `stage` whatever the other fields hold, once its
    /// variant is chosen.
    pub fn required_in_variant(&self, stage: usize) -> bool {
        self.required.contains(stage) && !self.is_own_conditional()
    }
}

/// `outer` (a section's or a variant's condition) and then a field's own condition, if any.
pub fn both(outer: Condition, own: Option<Condition>) -> Condition {
    match own {
        None => outer,
        Some(own) => Condition::All(vec![outer, own]),
    }
}

/// The variant test a field of variant `variant` gets, combined with its own `shown_when`.
pub fn variant_condition(kind_field: &str, variant: &str, own: Option<Condition>) -> Condition {
    both(
        Condition::Equals(kind_field.to_string(), variant.into()),
        own,
    )
}

/// A condition on the other fields of the object a field sits in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// The sibling is empty: absent, null, blank text, no items, an unchecked box.
    Empty(String),
    /// The sibling is not empty.
    NotEmpty(String),
    /// The sibling has this value.
    Equals(String, serde_json::Value),
    /// The sibling has one of these values.
    OneOf(String, Vec<serde_json::Value>),
    /// Every condition holds.
    All(Vec<Condition>),
    /// Some condition holds.
    Any(Vec<Condition>),
    /// A CEL expression over `self` (the object) holds.
    Cel(String),
}

impl Condition {
    /// The condition in words, naming siblings by their labels (`fields`): `HTTP Auth
    /// username is empty`.
    pub fn describe(&self, fields: &[&Field]) -> String {
        let label = |id: &str| {
            fields
                .iter()
                .find(|f| f.id == id)
                .map_or_else(|| id.to_string(), |f| f.label.clone())
        };
        let value = |id: &str, v: &serde_json::Value| {
            let choice = fields
                .iter()
                .find(|f| f.id == id)
                .and_then(|f| match &f.kind {
                    Kind::Choice(c) => v
                        .as_str()
                        .and_then(|s| c.list.get(s))
                        .map(|c| c.label.clone()),
                    _ => None,
                });
            match (choice, v) {
                (Some(l), _) => format!("\u{201c}{l}\u{201d}"),
                (None, serde_json::Value::String(s)) => format!("\u{201c}{s}\u{201d}"),
                (None, other) => other.to_string(),
            }
        };
        match self {
            Condition::Empty(f) => format!("{} is empty", label(f)),
            Condition::NotEmpty(f) => format!("{} is filled in", label(f)),
            Condition::Equals(f, v) => format!("{} is {}", label(f), value(f, v)),
            Condition::OneOf(f, vs) => {
                let vs: Vec<String> = vs.iter().map(|v| value(f, v)).collect();
                format!("{} is one of {}", label(f), vs.join(", "))
            }
            Condition::All(cs) => {
                let parts: Vec<String> = cs.iter().map(|c| c.describe(fields)).collect();
                parts.join(" and ")
            }
            Condition::Any(cs) => {
                let parts: Vec<String> = cs.iter().map(|c| c.describe(fields)).collect();
                parts.join(" or ")
            }
            Condition::Cel(e) => format!("the rule `{e}` holds"),
        }
    }

    /// The siblings the condition reads (not those a CEL expression reads).
    pub fn fields(&self) -> Vec<&str> {
        match self {
            Condition::Empty(f)
            | Condition::NotEmpty(f)
            | Condition::Equals(f, _)
            | Condition::OneOf(f, _) => vec![f.as_str()],
            Condition::All(cs) | Condition::Any(cs) => cs.iter().flat_map(|c| c.fields()).collect(),
            Condition::Cel(_) => Vec::new(),
        }
    }
}

/// Whether a value counts as given: not null, not blank text, not an empty list or object, not
/// an unchecked box (what `required` and the `empty` condition test).
pub fn is_filled(v: &serde_json::Value) -> bool {
    use serde_json::Value;
    match v {
        Value::Null | Value::Bool(false) => false,
        Value::String(s) => !s.trim().is_empty(),
        Value::Array(a) => a.iter().any(is_filled),
        Value::Object(m) => m.values().any(is_filled),
        Value::Bool(true) | Value::Number(_) => true,
    }
}

/// What a field holds, with the constraints that apply to that kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Kind {
    /// Text of some format.
    Text(TextRules),
    /// A number.
    Number(NumberRules),
    /// A boolean.
    Boolean(BooleanRules),
    /// One or several values from a list.
    Choice(ChoiceRules),
    /// One or several uploaded files.
    File(FileRules),
    /// Fixed sub-fields.
    Object(ObjectRules),
    /// Repeated items of sub-fields.
    Group(GroupRules),
}

/// The format of a text field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "format", rename_all = "snake_case")]
pub enum TextFormat {
    /// One line.
    Plain,
    /// Several lines.
    Long,
    /// An email address.
    Email,
    /// An absolute URL.
    Url {
        /// Allowed schemes (lower case).
        schemes: Vec<String>,
        /// Allowed hosts (lower case); empty = any.
        hosts: Vec<String>,
    },
    /// A secret; never echoed.
    Secret,
    /// A JSON document given as text.
    Json {
        /// The JSON type the document must have (`object`, `array`, `string`, `number`, `boolean`), if any.
        json_type: Option<String>,
    },
}

/// Constraints of text fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextRules {
    /// Format.
    pub format: TextFormat,
    /// Minimum length in characters.
    pub min_length: Option<u32>,
    /// Maximum length in characters.
    pub max_length: Option<u32>,
    /// Regex (as written; the runtime anchors and compiles it once).
    pub pattern: Option<String>,
}

/// Constraints of numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumberRules {
    /// Whole numbers only.
    pub integer: bool,
    /// Minimum.
    pub minimum: Option<f64>,
    /// Maximum.
    pub maximum: Option<f64>,
}

/// Constraints of booleans.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BooleanRules {
    /// Stages at which it must be `true`.
    pub must_be_true: StageSet,
}

/// A resolved list of values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValueList {
    /// List id (the declared list's id, or the field id for inline values).
    pub id: String,
    /// Whether the list was declared under `lists` (shared) rather than inline.
    pub shared: bool,
    /// Values.
    pub values: Vec<Choice>,
}

impl ValueList {
    /// The choice with this id.
    pub fn get(&self, id: &str) -> Option<&Choice> {
        self.values.iter().find(|c| c.id == id)
    }
}

/// One allowed value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    /// Value as submitted.
    pub id: String,
    /// Label.
    pub label: String,
    /// The value's id in an earlier version of the spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
}

/// Constraints of choices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChoiceRules {
    /// The allowed values.
    pub list: ValueList,
    /// Several values (an array) rather than one.
    pub multiple: bool,
    /// Items (presence rule; where required).
    pub min_items: Option<u32>,
    /// Items (every stage).
    pub max_items: Option<u32>,
    /// Items must be distinct.
    pub distinct: bool,
}

/// The largest image side formwork accepts, in pixels, and the default `max_width`/`max_height`
/// (a few bytes can claim any size: past this an image is a decompression bomb for the browsers
/// that show it). Specs may only lower it.
pub const MAX_IMAGE_SIDE: u32 = 20_000;

/// Width and height in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Size {
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

/// Constraints of file uploads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileRules {
    /// Images carry width/height.
    pub image: bool,
    /// Several files (an array).
    pub multiple: bool,
    /// Allowed media types; empty = any.
    pub media_types: Vec<String>,
    /// Maximum bytes per file.
    pub max_bytes: Option<u64>,
    /// Minimum width.
    pub min_width: Option<u32>,
    /// Minimum height.
    pub min_height: Option<u32>,
    /// Maximum width ([`MAX_IMAGE_SIDE`] when not given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_width: Option<u32>,
    /// Maximum height ([`MAX_IMAGE_SIDE`] when not given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_height: Option<u32>,
    /// Required aspect ratio `(w, h)`, as written (`16:10` stays `(16, 10)`; compared by cross-multiplying).
    pub aspect_ratio: Option<(u32, u32)>,
    /// Allowed sizes; empty = any.
    pub sizes: Vec<Size>,
    /// Files (presence rule; where required).
    pub min_items: Option<u32>,
    /// Files (every stage).
    pub max_items: Option<u32>,
}

impl FileRules {
    /// The largest width and height an image may have: the spec's, else [`MAX_IMAGE_SIDE`].
    pub fn max_side(&self) -> (u32, u32) {
        (
            self.max_width.unwrap_or(MAX_IMAGE_SIDE),
            self.max_height.unwrap_or(MAX_IMAGE_SIDE),
        )
    }
}

/// Sub-fields of an object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectRules {
    /// Sub-fields: the shared ones, then each variant's (see [`Field::variant`]).
    pub fields: Vec<Field>,
    /// The sub-field whose value names the variant (a required single choice), if it has variants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind_field: Option<String>,
}

/// A repeated group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupRules {
    /// Sub-fields of each item: the shared ones, then each variant's (see [`Field::variant`]).
    pub fields: Vec<Field>,
    /// The sub-field whose value names the item's variant (a required single choice), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind_field: Option<String>,
    /// What one item is called (e.g. `app action`).
    pub item_label: String,
    /// Items (presence rule; where required).
    pub min_items: Option<u32>,
    /// Items (every stage).
    pub max_items: Option<u32>,
}

/// An extra check on one field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// The test.
    pub test: CheckTest,
    /// Error or warning.
    pub severity: Severity,
    /// Message override.
    pub message: Option<String>,
    /// The stages it applies at (`None`: every stage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stages: Option<StageSet>,
}

impl Check {
    /// Whether the check applies at the stage with this index.
    pub fn applies_at(&self, stage: usize) -> bool {
        self.stages.is_none_or(|s| s.contains(stage))
    }
}

/// The test of a field check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckTest {
    /// Sentence case text.
    SentenceCase,
    /// URL scheme in this list.
    Scheme(Vec<String>),
    /// CEL expression over `value`.
    Cel(String),
}

impl CheckTest {
    /// The error code this test reports.
    pub fn code(&self) -> &'static str {
        match self {
            CheckTest::SentenceCase => "sentence_case",
            CheckTest::Scheme(_) => "scheme",
            CheckTest::Cel(_) => "check",
        }
    }
}

/// A cross-field rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// Identifier (the error code reported).
    pub id: String,
    /// Meaning.
    pub description: Option<String>,
    /// The test.
    pub test: RuleTest,
    /// Error or warning.
    pub severity: Severity,
    /// Message template.
    pub message: Option<String>,
    /// The stages it applies at (`None`: every stage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stages: Option<StageSet>,
}

impl Rule {
    /// Whether the rule applies at the stage with this index.
    pub fn applies_at(&self, stage: usize) -> bool {
        self.stages.is_none_or(|s| s.contains(stage))
    }
}

/// A field of the items of a top-level repeated group: `GROUP[].FIELD`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemField {
    /// The group's field id.
    pub group: String,
    /// The sub-field id.
    pub field: String,
}

/// What a counting rule counts: one or more `GROUP[].FIELD` choices over the same value list,
/// counted together (e.g. the views of link actions and of JSON modals). Never empty. Written as
/// one `ItemField` when there is one, so that the IR of single-path rules keeps its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted(Vec<ItemField>);

impl Counted {
    /// The paths counted; `None` when `paths` is empty.
    pub fn new(paths: Vec<ItemField>) -> Option<Counted> {
        (!paths.is_empty()).then_some(Counted(paths))
    }

    /// The first path (where the rule reports).
    pub fn first(&self) -> &ItemField {
        &self.0[0]
    }

    /// Every path counted, in the spec's order.
    pub fn paths(&self) -> &[ItemField] {
        &self.0
    }

    /// The paths as written in the spec: `a[].x`, `b[].y`.
    pub fn describe(&self) -> String {
        self.0
            .iter()
            .map(|p| format!("{}[].{}", p.group, p.field))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Serialize for Counted {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [one] => one.serialize(s),
            many => many.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Counted {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            One(ItemField),
            Many(Vec<ItemField>),
        }
        let paths = match Written::deserialize(d)? {
            Written::One(one) => vec![one],
            Written::Many(many) => many,
        };
        Counted::new(paths)
            .ok_or_else(|| serde::de::Error::custom("a rule counts at least one path"))
    }
}

/// The test of a cross-field rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "test", rename_all = "snake_case")]
pub enum RuleTest {
    /// No value is used by more than `max` items.
    MaxPerValue {
        /// Counted fields.
        of: Counted,
        /// Max items per value.
        max: u32,
    },
    /// At most `max` values over all items.
    MaxTotal {
        /// Counted fields.
        of: Counted,
        /// Max total.
        max: u32,
    },
    /// CEL expression over `item`, each item of a top-level group, reported at the item.
    CelEach {
        /// The group's field id.
        group: String,
        /// Expression.
        expr: String,
        /// The item's sub-field the error is reported at (the item when `None`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        field: Option<String>,
        /// A CEL expression over `item` yielding the message when an item fails.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message_expression: Option<String>,
    },
    /// CEL expression over `self`.
    Cel {
        /// Expression.
        expr: String,
        /// JSON Pointer the error is reported at (`""` = root).
        path: String,
        /// A CEL expression over `self` yielding the message when the rule fails.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message_expression: Option<String>,
    },
}

/// A server-assigned value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Issued {
    /// Identifier.
    pub id: String,
    /// Label.
    pub label: String,
    /// Generator.
    pub generate: GeneratorName,
}

/// A stage id that the spec does not declare.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown stage `{given}`; this form's stages are: {known}")]
pub struct UnknownStage {
    /// The id asked for.
    pub given: String,
    /// The declared stage ids, comma-separated.
    pub known: String,
}

impl Form {
    /// Index of the stage with this id.
    pub fn stage_index(&self, id: &str) -> Option<usize> {
        self.stages.iter().position(|s| s.id == id)
    }

    /// Index of the stage with this id, or an error naming the declared stages.
    pub fn stage(&self, id: &str) -> Result<usize, UnknownStage> {
        self.stage_index(id).ok_or_else(|| UnknownStage {
            given: id.to_string(),
            known: self
                .stages
                .iter()
                .map(|s| s.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
    }

    /// The statuses the stages set, in stage order (a new record gets the first stage's, or
    /// `draft` when the stage sets none).
    pub fn stage_statuses(&self) -> Vec<&str> {
        self.stages
            .iter()
            .map(|s| s.status.as_deref().unwrap_or("draft"))
            .collect()
    }

    /// Whether the owner may submit at stage `index` while the record is in `status`
    /// (`None`: a new record, always).
    pub fn owner_may_submit(&self, index: usize, status: Option<&str>) -> bool {
        let Some(status) = status else { return true };
        let Some(stage) = self.stages.get(index) else {
            return false;
        };
        if stage.from.is_empty() {
            self.stage_statuses().contains(&status)
        } else {
            stage.from.iter().any(|s| s == status)
        }
    }

    /// Every top-level field, in section order.
    pub fn fields(&self) -> impl Iterator<Item = &Field> {
        self.sections.iter().flat_map(|s| s.fields.iter())
    }

    /// The top-level field with this id.
    pub fn field(&self, id: &str) -> Option<&Field> {
        self.fields().find(|f| f.id == id)
    }

    /// Every shared value list used by some field, deduplicated, in the order the spec declares
    /// them (so a field that starts using a list does not reorder generated files). CEL
    /// expressions read them as `lists`.
    pub fn shared_lists(&self) -> Vec<&ValueList> {
        let mut out: Vec<&ValueList> = Vec::new();
        fn walk<'a>(fields: &'a [Field], out: &mut Vec<&'a ValueList>) {
            for f in fields {
                match &f.kind {
                    Kind::Choice(c) if c.list.shared && !out.iter().any(|l| l.id == c.list.id) => {
                        out.push(&c.list)
                    }
                    Kind::Object(o) => walk(&o.fields, out),
                    Kind::Group(g) => walk(&g.fields, out),
                    _ => {}
                }
            }
        }
        for s in &self.sections {
            walk(&s.fields, &mut out);
        }
        out.sort_by_key(|l| self.lists.iter().position(|id| *id == l.id));
        out
    }
}

impl Field {
    /// Sub-fields of an object or group item (empty for other kinds).
    pub fn sub_fields(&self) -> &[Field] {
        match &self.kind {
            Kind::Object(o) => &o.fields,
            Kind::Group(g) => &g.fields,
            _ => &[],
        }
    }

    /// The variants of an object or group item: its kind field and that field's values, in the
    /// spec's order (`None` without variants).
    pub fn variants(&self) -> Option<(&Field, &ValueList)> {
        let kind = match &self.kind {
            Kind::Object(o) => o.kind_field.as_deref(),
            Kind::Group(g) => g.kind_field.as_deref(),
            _ => None,
        }?;
        let field = self.sub_fields().iter().find(|f| f.id == kind)?;
        match &field.kind {
            Kind::Choice(c) => Some((field, &c.list)),
            _ => None,
        }
    }

    /// Whether the value is an array (multiple choices/files, groups).
    pub fn is_list(&self) -> bool {
        match &self.kind {
            Kind::Choice(c) => c.multiple,
            Kind::File(f) => f.multiple,
            Kind::Group(_) => true,
            _ => false,
        }
    }
}
