//! What changed between two versions of a spec, and what each change breaks.
//!
//! [`diff`] compares two loaded [`Spec`]s field by field (matched by data path, so moving a field to
//! another section or reordering is not a removal; `renamed_from` makes a rename one change) and
//! classifies every change:
//!
//! - [`Class::Breaking`]: some submission or stored record valid under the old spec is invalid under
//!   the new one at some stage, or code and tools built from the old spec stop working on new data;
//! - [`Class::PotentiallyBreaking`]: the effect cannot be decided statically (CEL, a changed regex);
//! - [`Class::Compatible`]: everything valid stays valid; [`Change::old_readers`] names the readers
//!   built from the old spec that still reject the new data (generated types, schemas, validators);
//! - [`Class::Info`]: wording, order, sections, messages, version.
//!
//! Every change carries a stable rule id (`FIELD_REMOVED`, `MAX_LENGTH_TIGHTENED`, …), the spec
//! location (in the new spec, or the old one for removals), the JSON Pointer of the data it
//! affects (`*` for any item), the old and new values and the stages it affects.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use crate::load::Spec;
use crate::located::{Located, Pos};
use crate::model::{
    ChoiceRules, Field, FileRules, Form, Kind, NumberRules, RuleTest, Severity, StageSet,
    TextFormat, TextRules, ValueList,
};
use crate::raw::{ChoiceDef, FieldDef};

/// Every rule id a change can have (stable: tools and `--allow` name them).
pub const RULES: &[&str] = &[
    "FORM_ID_CHANGED",
    "VERSION_CHANGED",
    "FORM_TEXT_CHANGED",
    "STAGE_REMOVED",
    "STAGE_STATUS_CHANGED",
    "STAGE_LABEL_CHANGED",
    "STAGE_RATCHET_ADDED",
    "STAGE_RATCHET_REMOVED",
    "STAGE_ADDED",
    "STAGES_REORDERED",
    "SECTION_REMOVED",
    "SECTION_ADDED",
    "SECTION_TEXT_CHANGED",
    "FIELD_ADDED",
    "FIELD_ADDED_REQUIRED",
    "FIELD_REMOVED",
    "FIELD_RENAMED",
    "FIELD_MOVED",
    "FIELDS_REORDERED",
    "LABEL_CHANGED",
    "HELP_CHANGED",
    "EXAMPLE_CHANGED",
    "DEFAULT_CHANGED",
    "MESSAGES_CHANGED",
    "ITEM_LABEL_CHANGED",
    "REQUIRED_ADDED",
    "REQUIRED_EARLIER",
    "REQUIRED_RELAXED",
    "MUST_BE_TRUE_ADDED",
    "MUST_BE_TRUE_EARLIER",
    "MUST_BE_TRUE_RELAXED",
    "KIND_CHANGED",
    "CARDINALITY_CHANGED",
    "DISTINCT_ADDED",
    "DISTINCT_REMOVED",
    "MAX_LENGTH_TIGHTENED",
    "MAX_LENGTH_LOOSENED",
    "MIN_LENGTH_TIGHTENED",
    "MIN_LENGTH_LOOSENED",
    "PATTERN_ADDED",
    "PATTERN_REMOVED",
    "PATTERN_CHANGED",
    "SCHEMES_NARROWED",
    "SCHEMES_WIDENED",
    "HOSTS_NARROWED",
    "HOSTS_WIDENED",
    "JSON_TYPE_CHANGED",
    "MINIMUM_TIGHTENED",
    "MINIMUM_LOOSENED",
    "MAXIMUM_TIGHTENED",
    "MAXIMUM_LOOSENED",
    "MIN_ITEMS_TIGHTENED",
    "MIN_ITEMS_LOOSENED",
    "MAX_ITEMS_TIGHTENED",
    "MAX_ITEMS_LOOSENED",
    "CHOICE_VALUE_ADDED",
    "CHOICE_VALUE_REMOVED",
    "CHOICE_VALUE_RENAMED",
    "CHOICE_LABEL_CHANGED",
    "CHOICE_VALUES_REORDERED",
    "MEDIA_TYPES_NARROWED",
    "MEDIA_TYPES_WIDENED",
    "MAX_BYTES_TIGHTENED",
    "MAX_BYTES_LOOSENED",
    "MAX_WIDTH_TIGHTENED",
    "MAX_WIDTH_LOOSENED",
    "MAX_HEIGHT_TIGHTENED",
    "MAX_HEIGHT_LOOSENED",
    "MIN_WIDTH_TIGHTENED",
    "MIN_WIDTH_LOOSENED",
    "MIN_HEIGHT_TIGHTENED",
    "MIN_HEIGHT_LOOSENED",
    "ASPECT_RATIO_CHANGED",
    "ASPECT_RATIO_REMOVED",
    "ASPECT_RATIO_REWRITTEN",
    "SIZES_NARROWED",
    "SIZES_WIDENED",
    "CHECK_ADDED",
    "CEL_CHECK_ADDED",
    "CEL_CHECK_CHANGED",
    "WARNING_CHECK_ADDED",
    "CHECK_REMOVED",
    "CHECK_SEVERITY_RAISED",
    "SCHEME_CHECK_NARROWED",
    "SCHEME_CHECK_WIDENED",
    "CHECK_MESSAGE_CHANGED",
    "CHECK_STAGES_WIDENED",
    "REQUIRED_WHEN_ADDED",
    "REQUIRED_WHEN_REMOVED",
    "REQUIRED_WHEN_CHANGED",
    "SHOWN_WHEN_ADDED",
    "SHOWN_WHEN_REMOVED",
    "SHOWN_WHEN_CHANGED",
    "VARIANT_ADDED",
    "VARIANT_REMOVED",
    "VARIANT_CHANGED",
    "KIND_FIELD_ADDED",
    "KIND_FIELD_REMOVED",
    "KIND_FIELD_CHANGED",
    "CHECK_STAGES_NARROWED",
    "RULE_ADDED",
    "CEL_RULE_ADDED",
    "WARNING_RULE_ADDED",
    "RULE_REMOVED",
    "RULE_MAX_TIGHTENED",
    "RULE_MAX_LOOSENED",
    "CEL_RULE_CHANGED",
    "RULE_TEST_CHANGED",
    "RULE_SEVERITY_RAISED",
    "RULE_SEVERITY_LOWERED",
    "RULE_TEXT_CHANGED",
    "RULE_REPORT_PATH_CHANGED",
    "RULE_STAGES_WIDENED",
    "RULE_STAGES_NARROWED",
    "STAGE_FROM_NARROWED",
    "STAGE_FROM_WIDENED",
    "ROLE_ADDED",
    "ROLE_REMOVED",
    "TRANSITION_ADDED",
    "TRANSITION_REMOVED",
    "TRANSITION_CHANGED",
    "TRANSITION_LABEL_CHANGED",
    "ISSUED_ADDED",
    "ISSUED_REMOVED",
    "ISSUED_GENERATOR_CHANGED",
    "ISSUED_LABEL_CHANGED",
];

/// How much a change matters to data and readers built from the old spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// Something valid under the old spec is invalid under the new one, or old readers break.
    Breaking,
    /// Cannot be decided statically (a new or changed CEL expression or regex).
    PotentiallyBreaking,
    /// Everything valid stays valid.
    Compatible,
    /// Wording, order, sections, messages, version.
    Info,
}

impl Class {
    /// Every class, most severe first.
    pub const ALL: [Class; 4] = [
        Class::Breaking,
        Class::PotentiallyBreaking,
        Class::Compatible,
        Class::Info,
    ];

    /// The class's name in reports (`breaking`, `potentially_breaking`, …).
    pub fn name(self) -> &'static str {
        match self {
            Class::Breaking => "breaking",
            Class::PotentiallyBreaking => "potentially_breaking",
            Class::Compatible => "compatible",
            Class::Info => "info",
        }
    }
}

/// A reader built from the old spec that may reject data made under the new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reader {
    /// The generated Rust types (`deny_unknown_fields`, closed enums, non-`Option` required fields).
    RustTypes,
    /// The exported JSON Schemas (`additionalProperties: false`, value lists, limits).
    JsonSchema,
    /// A validator compiled from the old spec (including generated types' `validate`).
    Validator,
}

const ALL_READERS: &[Reader] = &[Reader::RustTypes, Reader::JsonSchema, Reader::Validator];
const CHECKING_READERS: &[Reader] = &[Reader::JsonSchema, Reader::Validator];

/// A spec location: file, 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The spec's file name.
    pub file: String,
    /// Line and column.
    pub pos: Pos,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.pos.line, self.pos.column)
    }
}

impl Serialize for Location {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One change between two specs.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// Stable rule id, e.g. `FIELD_REMOVED`.
    pub rule: String,
    /// How much it matters.
    pub class: Class,
    /// Where in the specs: the new spec, or the old one for removals.
    #[serde(rename = "path")]
    pub location: Location,
    /// JSON Pointer of the affected data (`*` for any item); `""` for the whole submission.
    pub pointer: String,
    /// The old value of what changed, if any.
    pub old: Option<Value>,
    /// The new value of what changed, if any.
    pub new: Option<Value>,
    /// Ids of the stages the change affects (of the new spec, or the old one for removals).
    pub stages: Vec<String>,
    /// What changed, for people.
    pub message: String,
    /// Readers built from the old spec that reject data the new spec accepts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub old_readers: Vec<Reader>,
}

/// Every change between two specs, in the order found (form, stages, fields, rules, issued).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Diff {
    /// The changes.
    pub changes: Vec<Change>,
}

impl Diff {
    /// How many changes each class has, most severe first.
    pub fn counts(&self) -> Vec<(Class, usize)> {
        Class::ALL
            .iter()
            .map(|c| (*c, self.changes.iter().filter(|x| x.class == *c).count()))
            .collect()
    }

    /// The breaking and potentially breaking changes whose rule is not in `allow`.
    pub fn blocking<'a>(&'a self, allow: &'a [String]) -> impl Iterator<Item = &'a Change> + 'a {
        self.changes.iter().filter(move |c| {
            matches!(c.class, Class::Breaking | Class::PotentiallyBreaking)
                && !allow.iter().any(|a| a == &c.rule)
        })
    }

    /// The JSON report: `{"changes": [...], "summary": {CLASS: n, ..., "blocking": n}}`.
    pub fn to_json(&self, allow: &[String]) -> Value {
        let mut summary = serde_json::Map::new();
        for (class, n) in self.counts() {
            summary.insert(class.name().into(), n.into());
        }
        summary.insert("blocking".into(), self.blocking(allow).count().into());
        json!({ "changes": self.changes, "summary": summary })
    }

    /// The report for people: changes grouped by class, then a summary line.
    pub fn to_text(&self, allow: &[String]) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        for class in Class::ALL {
            let changes: Vec<&Change> = self.changes.iter().filter(|c| c.class == class).collect();
            if changes.is_empty() {
                continue;
            }
            let _ = writeln!(out, "{} ({})", class.name(), changes.len());
            for c in changes {
                let allowed = allow.contains(&c.rule) && class != Class::Compatible;
                let _ = write!(
                    out,
                    "  {}: {}{}: {}",
                    c.location,
                    c.rule,
                    if allowed { " (allowed)" } else { "" },
                    c.message
                );
                if !c.stages.is_empty() && class != Class::Info {
                    let _ = write!(out, " [stages: {}]", c.stages.join(", "));
                }
                out.push('\n');
                if !c.old_readers.is_empty() {
                    let names: Vec<&str> = c.old_readers.iter().map(|r| reader_name(*r)).collect();
                    let _ = writeln!(
                        out,
                        "      old readers that reject new data: {}",
                        names.join(", ")
                    );
                }
            }
        }
        let counts: Vec<String> = self
            .counts()
            .iter()
            .map(|(c, n)| format!("{n} {}", c.name().replace('_', " ")))
            .collect();
        let blocking = self.blocking(allow).count();
        let _ = writeln!(
            out,
            "{} change(s): {}; {}",
            self.changes.len(),
            counts.join(", "),
            if blocking == 0 {
                "nothing breaking".to_string()
            } else {
                format!("{blocking} not allowed (exit 1)")
            }
        );
        out
    }
}

/// A reader's name for people.
fn reader_name(r: Reader) -> &'static str {
    match r {
        Reader::RustTypes => "generated Rust types (deny_unknown_fields, closed enums)",
        Reader::JsonSchema => "exported JSON Schemas (additionalProperties: false, limits)",
        Reader::Validator => "validators compiled from the old spec",
    }
}

/// Every change from `old` to `new`.
pub fn diff(old: &Spec, new: &Spec) -> Diff {
    let mut cx = Cx {
        old,
        new,
        changes: Vec::new(),
    };
    cx.form();
    cx.stages();
    cx.sections();
    let old_fields: Vec<Pair<'_>> = top_fields(old);
    let new_fields: Vec<Pair<'_>> = top_fields(new);
    cx.fields(&old_fields, &new_fields, "");
    cx.rules();
    cx.workflow();
    cx.issued();
    Diff {
        changes: cx.changes,
    }
}

/// A field of the IR with its surface definition (positions) and its section (top level only).
#[derive(Clone, Copy)]
struct Pair<'a> {
    field: &'a Field,
    def: Option<&'a FieldDef>,
    section: Option<&'a str>,
}

/// The top-level fields of a spec, in order, with their definitions and sections.
fn top_fields(spec: &Spec) -> Vec<Pair<'_>> {
    spec.form
        .sections
        .iter()
        .flat_map(|s| {
            let raw = spec.raw.sections.iter().find(|r| r.id.value == s.id);
            s.fields.iter().map(move |f| Pair {
                field: f,
                def: raw.and_then(|r| r.fields.iter().find(|d| d.id.value == f.id)),
                section: Some(s.id.as_str()),
            })
        })
        .collect()
}

/// The sub-fields of `p` (object or group), its variants' too, with their definitions.
fn sub_fields(p: Pair<'_>) -> Vec<Pair<'_>> {
    let shared = p.def.and_then(|d| d.fields.as_deref()).unwrap_or(&[]);
    let variants = p.def.and_then(|d| d.variants.as_ref());
    let defs = shared.iter().chain(
        variants
            .into_iter()
            .flat_map(|v| v.value.values().flatten()),
    );
    p.field
        .sub_fields()
        .iter()
        .map(|f| Pair {
            field: f,
            def: defs.clone().find(|d| d.id.value == f.id),
            section: None,
        })
        .collect()
}

/// Which side of the diff a location is in.
#[derive(Clone, Copy)]
enum Side {
    Old,
    New,
}

/// A change in the making: the parts every change has.
struct Draft {
    rule: String,
    class: Class,
    at: (Side, Pos),
    pointer: String,
    old: Option<Value>,
    new: Option<Value>,
    stages: Vec<String>,
    message: String,
    readers: &'static [Reader],
}

/// Diff state: both specs and the changes found so far.
struct Cx<'a> {
    old: &'a Spec,
    new: &'a Spec,
    changes: Vec<Change>,
}

/// The position of an optional located value, else `fallback`.
fn pos_or<T>(v: Option<&Located<T>>, fallback: Pos) -> Pos {
    v.map_or(fallback, |l| l.pos)
}

/// Ids of the stages in `set` of `form`, in stage order.
fn stage_ids(form: &Form, set: StageSet) -> Vec<String> {
    form.stages
        .iter()
        .enumerate()
        .filter(|(i, _)| set.contains(*i))
        .map(|(_, s)| s.id.clone())
        .collect()
}

/// What a field holds, by name (`text`, `long_text`, `url`, `image`, …).
fn kind_name(f: &Field) -> &'static str {
    match &f.kind {
        Kind::Text(t) => match t.format {
            TextFormat::Plain => "text",
            TextFormat::Long => "long_text",
            TextFormat::Email => "email",
            TextFormat::Url { .. } => "url",
            TextFormat::Secret => "secret",
            TextFormat::Json { .. } => "json",
        },
        Kind::Number(n) if n.integer => "integer",
        Kind::Number(_) => "number",
        Kind::Boolean(_) => "boolean",
        Kind::Choice(_) => "choice",
        Kind::File(f) if f.image => "image",
        Kind::File(_) => "file",
        Kind::Object(_) => "object",
        Kind::Group(_) => "group",
    }
}

/// Which way a limit points: an upper bound (`max_*`) or a lower one (`min_*`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Bound {
    Upper,
    Lower,
}

impl<'a> Cx<'a> {
    fn all_stages(&self) -> Vec<String> {
        self.new.form.stages.iter().map(|s| s.id.clone()).collect()
    }

    fn push(&mut self, d: Draft) {
        debug_assert!(
            RULES.contains(&d.rule.as_str()),
            "{} is not in RULES",
            d.rule
        );
        let (side, pos) = d.at;
        let file = match side {
            Side::Old => &self.old.file,
            Side::New => &self.new.file,
        };
        self.changes.push(Change {
            rule: d.rule,
            class: d.class,
            location: Location {
                file: file.clone(),
                pos,
            },
            pointer: d.pointer,
            old: d.old,
            new: d.new,
            stages: d.stages,
            message: d.message,
            old_readers: d.readers.to_vec(),
        });
    }

    /// An info change with no stages or readers.
    fn info(
        &mut self,
        rule: &str,
        at: Pos,
        pointer: &str,
        old: Value,
        new: Value,
        message: String,
    ) {
        self.push(Draft {
            rule: rule.into(),
            class: Class::Info,
            at: (Side::New, at),
            pointer: pointer.into(),
            old: Some(old),
            new: Some(new),
            stages: Vec::new(),
            message,
            readers: &[],
        });
    }

    fn form(&mut self) {
        let (o, n) = (&self.old.form, &self.new.form);
        let at = self.new.raw.form.id.pos;
        if o.id != n.id {
            self.push(Draft {
                rule: "FORM_ID_CHANGED".into(),
                class: Class::Breaking,
                at: (Side::New, at),
                pointer: String::new(),
                old: Some(o.id.clone().into()),
                new: Some(n.id.clone().into()),
                stages: self.all_stages(),
                message: format!(
                    "form id `{}` became `{}`: generated file, type and schema names change",
                    o.id, n.id
                ),
                readers: &[],
            });
        }
        if o.version != n.version {
            self.info(
                "VERSION_CHANGED",
                at,
                "",
                json!(o.version),
                json!(n.version),
                format!(
                    "form version {} → {}",
                    o.version.as_deref().unwrap_or("(none)"),
                    n.version.as_deref().unwrap_or("(none)")
                ),
            );
        }
        if o.title != n.title || o.description != n.description {
            self.info(
                "FORM_TEXT_CHANGED",
                at,
                "",
                json!({"title": o.title, "description": o.description}),
                json!({"title": n.title, "description": n.description}),
                "the form's title or description changed".into(),
            );
        }
    }

    fn stages(&mut self) {
        let (o, n) = (&self.old.form, &self.new.form);
        for (i, os) in o.stages.iter().enumerate() {
            let Some(ns) = n.stages.iter().find(|s| s.id == os.id) else {
                let at = self
                    .old
                    .raw
                    .stages
                    .get(i)
                    .map_or(Pos::default(), |s| s.id.pos);
                self.push(Draft {
                    rule: "STAGE_REMOVED".into(),
                    class: Class::Breaking,
                    at: (Side::Old, at),
                    pointer: String::new(),
                    old: Some(os.id.clone().into()),
                    new: None,
                    stages: vec![os.id.clone()],
                    message: format!(
                        "stage `{}` removed: records saved at it, and clients that submit at it, are stranded",
                        os.id
                    ),
                    readers: &[],
                });
                continue;
            };
            let at = self
                .new
                .raw
                .stages
                .iter()
                .find(|s| s.id.value == ns.id)
                .map_or(Pos::default(), |s| s.id.pos);
            if os.status != ns.status {
                self.push(Draft {
                    rule: "STAGE_STATUS_CHANGED".into(),
                    class: Class::Breaking,
                    at: (Side::New, at),
                    pointer: String::new(),
                    old: Some(json!(os.status)),
                    new: Some(json!(ns.status)),
                    stages: vec![ns.id.clone()],
                    message: format!(
                        "stage `{}` sets status {} instead of {}: stored records keep the old status",
                        ns.id,
                        ns.status.as_deref().unwrap_or("(none)"),
                        os.status.as_deref().unwrap_or("(none)")
                    ),
                    readers: &[],
                });
            }
            if os.ratchet != ns.ratchet {
                let on = ns.ratchet;
                self.push(Draft {
                    rule: if on { "STAGE_RATCHET_ADDED" } else { "STAGE_RATCHET_REMOVED" }.into(),
                    class: if on { Class::Compatible } else { Class::Breaking },
                    at: (Side::New, at),
                    pointer: String::new(),
                    old: Some(os.ratchet.into()),
                    new: Some(ns.ratchet.into()),
                    stages: vec![ns.id.clone()],
                    message: if on {
                        format!("stage `{}` ratchets: unchanged stored values that fail since-tightened rules are warnings there", ns.id)
                    } else {
                        format!("stage `{}` no longer ratchets: stored values that fail since-tightened rules block saving there", ns.id)
                    },
                    readers: &[],
                });
            }
            if os.label != ns.label {
                self.info(
                    "STAGE_LABEL_CHANGED",
                    at,
                    "",
                    os.label.clone().into(),
                    ns.label.clone().into(),
                    format!("stage `{}` button: “{}” → “{}”", ns.id, os.label, ns.label),
                );
            }
        }
        for (i, ns) in n.stages.iter().enumerate() {
            if o.stage_index(&ns.id).is_none() {
                self.push(Draft {
                    rule: "STAGE_ADDED".into(),
                    class: Class::Compatible,
                    at: (Side::New, self.new.raw.stages[i].id.pos),
                    pointer: String::new(),
                    old: None,
                    new: Some(ns.id.clone().into()),
                    stages: vec![ns.id.clone()],
                    message: format!("stage `{}` added", ns.id),
                    readers: &[Reader::RustTypes],
                });
            }
        }
        let common = |a: &Form, b: &Form| -> Vec<String> {
            a.stages
                .iter()
                .filter(|s| b.stage_index(&s.id).is_some())
                .map(|s| s.id.clone())
                .collect()
        };
        let (before, after) = (common(o, n), common(n, o));
        if before != after {
            self.push(Draft {
                rule: "STAGES_REORDERED".into(),
                class: Class::PotentiallyBreaking,
                at: (Side::New, self.new.raw.stages.first().map_or(Pos::default(), |s| s.id.pos)),
                pointer: String::new(),
                old: Some(before.clone().into()),
                new: Some(after.clone().into()),
                stages: after,
                message: "the stages' order changed: \"required from stage X on\" now covers other stages, and records move through them in another order".into(),
                readers: &[],
            });
        }
    }

    fn sections(&mut self) {
        let (o, n) = (&self.old.form, &self.new.form);
        for os in &o.sections {
            if !n.sections.iter().any(|s| s.id == os.id) {
                let at = self
                    .old
                    .raw
                    .sections
                    .iter()
                    .find(|s| s.id.value == os.id)
                    .map_or(Pos::default(), |s| s.id.pos);
                self.push(Draft {
                    rule: "SECTION_REMOVED".into(),
                    class: Class::Info,
                    at: (Side::Old, at),
                    pointer: String::new(),
                    old: Some(os.id.clone().into()),
                    new: None,
                    stages: Vec::new(),
                    message: format!(
                        "section `{}` removed (its fields are compared on their own)",
                        os.id
                    ),
                    readers: &[],
                });
            }
        }
        for (i, ns) in n.sections.iter().enumerate() {
            let at = self.new.raw.sections[i].id.pos;
            match o.sections.iter().find(|s| s.id == ns.id) {
                None => self.info(
                    "SECTION_ADDED",
                    at,
                    "",
                    Value::Null,
                    ns.id.clone().into(),
                    format!("section `{}` added", ns.id),
                ),
                Some(os) if os.title != ns.title || os.description != ns.description => self.info(
                    "SECTION_TEXT_CHANGED",
                    at,
                    "",
                    json!({"title": os.title, "description": os.description}),
                    json!({"title": ns.title, "description": ns.description}),
                    format!("section `{}`: title or description changed", ns.id),
                ),
                Some(_) => {}
            }
        }
    }

    /// Matches `old` and `new` fields (by id, or by `renamed_from`) at `prefix`, and compares them.
    fn fields(&mut self, old: &[Pair<'a>], new: &[Pair<'a>], prefix: &str) {
        let mut matched: Vec<(Pair<'a>, Pair<'a>)> = Vec::new();
        for n in new {
            let by_id = old.iter().find(|o| o.field.id == n.field.id);
            let by_rename = || {
                n.field
                    .renamed_from
                    .as_ref()
                    .and_then(|from| old.iter().find(|o| &o.field.id == from))
            };
            match by_id.or_else(by_rename) {
                Some(o) => matched.push((*o, *n)),
                None => self.field_added(*n, prefix),
            }
        }
        for o in old {
            if !matched.iter().any(|(m, _)| m.field.id == o.field.id) {
                self.field_removed(*o, prefix);
            }
        }
        // Order: the matched fields that stayed in their section, in new order, against their old
        // order (a field moved to another section is reported as moved, not as reordering).
        let stayed: Vec<&(Pair<'a>, Pair<'a>)> = matched
            .iter()
            .filter(|(o, n)| o.section == n.section)
            .collect();
        let old_order: Vec<&str> = old
            .iter()
            .filter(|o| stayed.iter().any(|(m, _)| m.field.id == o.field.id))
            .map(|o| o.field.id.as_str())
            .collect();
        let new_order: Vec<&str> = stayed.iter().map(|(o, _)| o.field.id.as_str()).collect();
        if old_order != new_order
            && let Some((_, first)) = matched.first()
        {
            let at = first.def.map_or(Pos::default(), |d| d.id.pos);
            self.info(
                "FIELDS_REORDERED",
                at,
                if prefix.is_empty() { "" } else { prefix },
                old_order.into(),
                new_order.into(),
                format!(
                    "fields reordered{}",
                    if prefix.is_empty() {
                        String::new()
                    } else {
                        format!(" in {prefix}")
                    }
                ),
            );
        }
        for (o, n) in matched {
            self.field(o, n, prefix);
        }
    }

    fn field_added(&mut self, n: Pair<'a>, prefix: &str) {
        let pointer = format!("{prefix}/{}", crate::pointer::escape(&n.field.id));
        let at = n.def.map_or(Pos::default(), |d| d.id.pos);
        let required = stage_ids(&self.new.form, n.field.required);
        let must = match &n.field.kind {
            Kind::Boolean(b) => stage_ids(&self.new.form, b.must_be_true),
            _ => Vec::new(),
        };
        let mut stages: Vec<String> = self
            .new
            .form
            .stages
            .iter()
            .filter(|s| required.contains(&s.id) || must.contains(&s.id))
            .filter(|s| self.old.form.stage_index(&s.id).is_some())
            .map(|s| s.id.clone())
            .collect();
        stages.dedup();
        if stages.is_empty() {
            self.push(Draft {
                rule: "FIELD_ADDED".into(),
                class: Class::Compatible,
                at: (Side::New, at),
                pointer: pointer.clone(),
                old: None,
                new: Some(kind_name(n.field).into()),
                stages: Vec::new(),
                message: format!("optional {} field `{pointer}` added", kind_name(n.field)),
                readers: ALL_READERS,
            });
        } else {
            self.push(Draft {
                rule: "FIELD_ADDED_REQUIRED".into(),
                class: Class::Breaking,
                at: (Side::New, at),
                pointer: pointer.clone(),
                old: None,
                new: Some(kind_name(n.field).into()),
                message: format!(
                    "{} field `{pointer}` added, required at {}: stored records and old clients lack it",
                    kind_name(n.field),
                    stages.join(", ")
                ),
                stages,
                readers: ALL_READERS,
            });
        }
    }

    fn field_removed(&mut self, o: Pair<'a>, prefix: &str) {
        let pointer = format!("{prefix}/{}", crate::pointer::escape(&o.field.id));
        let at = o.def.map_or(Pos::default(), |d| d.id.pos);
        self.push(Draft {
            rule: "FIELD_REMOVED".into(),
            class: Class::Breaking,
            at: (Side::Old, at),
            pointer: pointer.clone(),
            old: Some(kind_name(o.field).into()),
            new: None,
            stages: self.old.form.stages.iter().map(|s| s.id.clone()).collect(),
            message: format!(
                "field `{pointer}` removed: stored values of it have no field, and submissions that set it are rejected"
            ),
            readers: &[],
        });
    }

    /// Compares a matched pair of fields.
    fn field(&mut self, o: Pair<'a>, n: Pair<'a>, prefix: &str) {
        let pointer = format!("{prefix}/{}", crate::pointer::escape(&n.field.id));
        let id_pos = n.def.map_or(Pos::default(), |d| d.id.pos);
        let (of, nf) = (o.field, n.field);
        if of.id != nf.id {
            self.push(Draft {
                rule: "FIELD_RENAMED".into(),
                class: Class::Breaking,
                at: (Side::New, pos_or(n.def.and_then(|d| d.renamed_from.as_ref()), id_pos)),
                pointer: pointer.clone(),
                old: Some(of.id.clone().into()),
                new: Some(nf.id.clone().into()),
                stages: self.all_stages(),
                message: format!(
                    "field `{}` renamed to `{}`: stored records keep the old key until `formwork records migrate`",
                    of.id, nf.id
                ),
                readers: &[],
            });
        }
        if let (Some(os), Some(ns)) = (o.section, n.section)
            && os != ns
        {
            self.info(
                "FIELD_MOVED",
                id_pos,
                &pointer,
                os.into(),
                ns.into(),
                format!("field `{pointer}` moved from section `{os}` to `{ns}`"),
            );
        }
        self.texts(o, n, &pointer, id_pos);
        self.presence(
            "REQUIRED",
            "required",
            of.required,
            nf.required,
            &pointer,
            pos_or(n.def.and_then(|d| d.required.as_ref()), id_pos),
        );
        let (ok, nk) = (kind_name(of), kind_name(nf));
        let widening = matches!((ok, nk), ("text", "long_text") | ("integer", "number"));
        if ok != nk {
            self.push(Draft {
                rule: "KIND_CHANGED".into(),
                class: if widening {
                    Class::Compatible
                } else {
                    Class::Breaking
                },
                at: (Side::New, n.def.map_or(id_pos, |d| d.kind.pos)),
                pointer: pointer.clone(),
                old: Some(ok.into()),
                new: Some(nk.into()),
                stages: self.all_stages(),
                message: format!("field `{pointer}` is now {nk}, was {ok}"),
                readers: if widening { ALL_READERS } else { &[] },
            });
        }
        let d = n.def;
        match (&of.kind, &nf.kind) {
            (Kind::Text(a), Kind::Text(b)) => self.text(a, b, d, &pointer, id_pos),
            (Kind::Number(a), Kind::Number(b)) => self.number(a, b, d, &pointer, id_pos),
            (Kind::Boolean(a), Kind::Boolean(b)) => self.presence(
                "MUST_BE_TRUE",
                "must be checked",
                a.must_be_true,
                b.must_be_true,
                &pointer,
                pos_or(d.and_then(|d| d.must_be_true.as_ref()), id_pos),
            ),
            (Kind::Choice(a), Kind::Choice(b)) => self.choice(a, b, o, n, &pointer, id_pos),
            (Kind::File(a), Kind::File(b)) => self.file(a, b, nf, d, &pointer, id_pos),
            (Kind::Object(_), Kind::Object(_)) => {
                let (os, ns) = (sub_fields(o), sub_fields(n));
                self.fields(&os, &ns, &pointer);
            }
            (Kind::Group(a), Kind::Group(b)) => {
                let (mi, ma) = (
                    d.and_then(|d| d.min_items.as_ref()),
                    d.and_then(|d| d.max_items.as_ref()),
                );
                self.items(
                    a.min_items,
                    b.min_items,
                    a.max_items,
                    b.max_items,
                    nf,
                    &pointer,
                    pos_or(mi, id_pos),
                    pos_or(ma, id_pos),
                );
                if a.item_label != b.item_label {
                    self.info(
                        "ITEM_LABEL_CHANGED",
                        id_pos,
                        &pointer,
                        a.item_label.clone().into(),
                        b.item_label.clone().into(),
                        format!("group `{pointer}` items are now called “{}”", b.item_label),
                    );
                }
                let (os, ns) = (sub_fields(o), sub_fields(n));
                self.fields(&os, &ns, &format!("{pointer}/*"));
            }
            _ => {}
        }
        self.kind_field(of, nf, &pointer, id_pos);
        self.checks(of, nf, &pointer, id_pos);
        self.condition(
            "REQUIRED_WHEN",
            &of.required_when,
            &nf.required_when,
            &pointer,
            id_pos,
        );
        // A variant's test is the variant's own change, below.
        self.condition(
            "SHOWN_WHEN",
            &of.own_shown_when().cloned(),
            &nf.own_shown_when().cloned(),
            &pointer,
            id_pos,
        );
        self.variant(of, nf, &pointer, id_pos);
    }

    /// An object or group's `kind_field`: its items become, stop being or change which field
    /// tags the variants. The generated Rust type changes shape (an enum of the variants); what
    /// submissions may hold is reported field by field (`VARIANT_*`).
    fn kind_field(&mut self, of: &Field, nf: &Field, pointer: &str, at: Pos) {
        let (old, new) = (
            of.variants().map(|(k, _)| k.id.as_str()),
            nf.variants().map(|(k, _)| k.id.as_str()),
        );
        let (rule, message) = match (old, new) {
            (None, Some(k)) => (
                "KIND_FIELD_ADDED",
                format!("`{pointer}` now has variants, told apart by `{k}`"),
            ),
            (Some(k), None) => (
                "KIND_FIELD_REMOVED",
                format!("`{pointer}` no longer has variants (told apart by `{k}`)"),
            ),
            (Some(a), Some(b)) if a != b => (
                "KIND_FIELD_CHANGED",
                format!("the variants of `{pointer}` are now told apart by `{b}`, not `{a}`"),
            ),
            _ => return,
        };
        self.push(Draft {
            rule: rule.into(),
            class: Class::Compatible,
            at: (Side::New, at),
            pointer: pointer.into(),
            old: old.map(Into::into),
            new: new.map(Into::into),
            stages: Vec::new(),
            message,
            readers: &[Reader::RustTypes],
        });
    }

    /// The variant a field belongs to: joining one, it is asked for that variant only (and a
    /// value given for another is ignored: compatible); leaving one or moving to another, it is
    /// asked where it was not (breaking, as for a removed `shown_when`).
    fn variant(&mut self, of: &Field, nf: &Field, pointer: &str, at: Pos) {
        let (old, new) = (of.variant.as_deref(), nf.variant.as_deref());
        let (rule, class, message) = match (old, new) {
            (None, Some(v)) => (
                "VARIANT_ADDED",
                Class::Compatible,
                format!("`{pointer}` is now asked only for variant `{v}`"),
            ),
            (Some(v), None) => (
                "VARIANT_REMOVED",
                Class::Breaking,
                format!("`{pointer}` was asked only for variant `{v}`; now for every variant"),
            ),
            (Some(a), Some(b)) if a != b => (
                "VARIANT_CHANGED",
                Class::Breaking,
                format!("`{pointer}` is now asked for variant `{b}`, not `{a}`"),
            ),
            _ => return,
        };
        let values = (old.map(Into::into), new.map(Into::into));
        self.asked(rule.into(), class, at, pointer, values, message);
    }

    /// A field's `required_when` / `shown_when` (`kind`): added, it asks for less or ignores a
    /// value (compatible); removed, it asks always (breaking); changed, it may ask where it did
    /// not (potentially breaking).
    fn condition(
        &mut self,
        kind: &str,
        old: &Option<crate::model::Condition>,
        new: &Option<crate::model::Condition>,
        pointer: &str,
        at: Pos,
    ) {
        let word = kind.to_lowercase();
        let (rule, class, message) = match (old, new) {
            (None, Some(_)) => (
                "ADDED",
                Class::Compatible,
                format!("`{pointer}` now has `{word}`"),
            ),
            (Some(_), None) => (
                "REMOVED",
                Class::Breaking,
                format!(
                    "`{pointer}` no longer has `{word}`: it applies whatever the other fields hold"
                ),
            ),
            (Some(a), Some(b)) if a != b => (
                "CHANGED",
                Class::PotentiallyBreaking,
                format!("`{word}` of `{pointer}` changed"),
            ),
            _ => return,
        };
        let (old, new) = (
            old.as_ref().map(|c| json!(c)),
            new.as_ref().map(|c| json!(c)),
        );
        self.asked(
            format!("{kind}_{rule}"),
            class,
            at,
            pointer,
            (old, new),
            message,
        );
    }

    /// A change to where a field is asked: at every stage unless it is compatible.
    fn asked(
        &mut self,
        rule: String,
        class: Class,
        at: Pos,
        pointer: &str,
        (old, new): (Option<Value>, Option<Value>),
        message: String,
    ) {
        self.push(Draft {
            rule,
            class,
            at: (Side::New, at),
            pointer: pointer.into(),
            old,
            new,
            stages: if class == Class::Compatible {
                Vec::new()
            } else {
                self.all_stages()
            },
            message,
            readers: &[],
        });
    }

    /// Label, help, example, default and message overrides: info.
    fn texts(&mut self, o: Pair<'a>, n: Pair<'a>, pointer: &str, at: Pos) {
        let (of, nf) = (o.field, n.field);
        let pairs: [(&str, Value, Value); 5] = [
            ("LABEL_CHANGED", json!(of.label), json!(nf.label)),
            ("HELP_CHANGED", json!(of.help), json!(nf.help)),
            ("EXAMPLE_CHANGED", json!(of.example), json!(nf.example)),
            ("DEFAULT_CHANGED", json!(of.default), json!(nf.default)),
            ("MESSAGES_CHANGED", json!(of.messages), json!(nf.messages)),
        ];
        for (rule, a, b) in pairs {
            if a != b {
                let what = rule.trim_end_matches("_CHANGED").to_lowercase();
                self.info(
                    rule,
                    at,
                    pointer,
                    a,
                    b,
                    format!("field `{pointer}`: {what} changed"),
                );
            }
        }
    }

    /// The stages in `new` but not `old` (of those the old spec has), and in `old` but not
    /// `new` (of those the new spec has): stages added or removed with the spec are reported on
    /// their own.
    fn stages_moved(&self, old: &[String], new: &[String]) -> (Vec<String>, Vec<String>) {
        let added = new
            .iter()
            .filter(|s| !old.contains(s) && self.old.form.stage_index(s).is_some())
            .cloned()
            .collect();
        let dropped = old
            .iter()
            .filter(|s| !new.contains(s) && self.new.form.stage_index(s).is_some())
            .cloned()
            .collect();
        (added, dropped)
    }

    /// A stage set that demands something (`required`, `must_be_true`): newly demanded stages
    /// break, stages no longer demanded are compatible.
    fn presence(
        &mut self,
        rule: &str,
        what: &str,
        old: StageSet,
        new: StageSet,
        pointer: &str,
        at: Pos,
    ) {
        let (o, n) = (
            stage_ids(&self.old.form, old),
            stage_ids(&self.new.form, new),
        );
        let (added, dropped) = self.stages_moved(&o, &n);
        if !added.is_empty() {
            let earlier = !o.is_empty();
            self.push(Draft {
                rule: if earlier {
                    format!("{rule}_EARLIER")
                } else {
                    format!("{rule}_ADDED")
                },
                class: Class::Breaking,
                at: (Side::New, at),
                pointer: pointer.into(),
                old: Some(o.clone().into()),
                new: Some(n.clone().into()),
                message: format!("field `{pointer}` is now {what} at {}", added.join(", ")),
                stages: added,
                readers: &[],
            });
        }
        if !dropped.is_empty() {
            self.push(Draft {
                rule: format!("{rule}_RELAXED"),
                class: Class::Compatible,
                at: (Side::New, at),
                pointer: pointer.into(),
                old: Some(o.into()),
                new: Some(n.into()),
                message: format!(
                    "field `{pointer}` is no longer {what} at {}",
                    dropped.join(", ")
                ),
                stages: dropped,
                readers: ALL_READERS,
            });
        }
    }

    /// A numeric limit: tightened (added, or moved inwards) breaks; loosened is compatible.
    #[allow(clippy::too_many_arguments)]
    fn limit<T: PartialOrd + Serialize + Copy + std::fmt::Display>(
        &mut self,
        name: &str,
        bound: Bound,
        old: Option<T>,
        new: Option<T>,
        pointer: &str,
        at: Pos,
        stages: Vec<String>,
    ) {
        let inward = |a: T, b: T| match bound {
            Bound::Upper => b < a,
            Bound::Lower => b > a,
        };
        let shown = |v: Option<T>| v.map_or_else(|| "none".to_string(), |v| v.to_string());
        let (class, verb, readers) = match (old, new) {
            (None, Some(_)) => (Class::Breaking, "TIGHTENED", &[][..]),
            (Some(a), Some(b)) if inward(a, b) => (Class::Breaking, "TIGHTENED", &[][..]),
            (Some(_), None) => (Class::Compatible, "LOOSENED", CHECKING_READERS),
            (Some(a), Some(b)) if inward(b, a) => (Class::Compatible, "LOOSENED", CHECKING_READERS),
            _ => return,
        };
        self.push(Draft {
            rule: format!("{}_{verb}", name.to_uppercase()),
            class,
            at: (Side::New, at),
            pointer: pointer.into(),
            old: old.map(|v| json!(v)),
            new: new.map(|v| json!(v)),
            stages,
            message: format!("`{name}` of `{pointer}`: {} → {}", shown(old), shown(new)),
            readers,
        });
    }

    /// A set that restricts values (`schemes`, `hosts`, `media_types`, `sizes`; empty = any):
    /// narrowed breaks, widened is compatible.
    #[allow(clippy::too_many_arguments)]
    fn allowed(
        &mut self,
        name: &str,
        old: &[String],
        new: &[String],
        empty_is_any: bool,
        pointer: &str,
        at: Pos,
    ) {
        let any = |s: &[String]| empty_is_any && s.is_empty();
        let narrowed = !any(new) && (any(old) || old.iter().any(|x| !new.contains(x)));
        let widened = !any(old) && (any(new) || new.iter().any(|x| !old.contains(x)));
        let shown = |s: &[String]| {
            if any(s) {
                "any".to_string()
            } else {
                s.join(", ")
            }
        };
        if narrowed {
            self.push(Draft {
                rule: format!("{}_NARROWED", name.to_uppercase()),
                class: Class::Breaking,
                at: (Side::New, at),
                pointer: pointer.into(),
                old: Some(json!(old)),
                new: Some(json!(new)),
                stages: self.all_stages(),
                message: format!("`{name}` of `{pointer}`: {} → {}", shown(old), shown(new)),
                readers: &[],
            });
        } else if widened {
            self.push(Draft {
                rule: format!("{}_WIDENED", name.to_uppercase()),
                class: Class::Compatible,
                at: (Side::New, at),
                pointer: pointer.into(),
                old: Some(json!(old)),
                new: Some(json!(new)),
                stages: Vec::new(),
                message: format!("`{name}` of `{pointer}`: {} → {}", shown(old), shown(new)),
                readers: CHECKING_READERS,
            });
        }
    }

    fn text(&mut self, a: &TextRules, b: &TextRules, d: Option<&FieldDef>, pointer: &str, at: Pos) {
        let all = self.all_stages();
        let key = |f: fn(&FieldDef) -> Pos| d.map_or(at, f);
        self.limit(
            "max_length",
            Bound::Upper,
            a.max_length,
            b.max_length,
            pointer,
            key(|d| pos_or(d.max_length.as_ref(), d.id.pos)),
            all.clone(),
        );
        self.limit(
            "min_length",
            Bound::Lower,
            a.min_length,
            b.min_length,
            pointer,
            key(|d| pos_or(d.min_length.as_ref(), d.id.pos)),
            all.clone(),
        );
        let pattern_at = key(|d| pos_or(d.pattern.as_ref(), d.id.pos));
        let (rule, class, readers) = match (&a.pattern, &b.pattern) {
            (None, Some(_)) => ("PATTERN_ADDED", Class::Breaking, &[][..]),
            (Some(_), None) => ("PATTERN_REMOVED", Class::Compatible, CHECKING_READERS),
            (Some(x), Some(y)) if x != y => (
                "PATTERN_CHANGED",
                Class::PotentiallyBreaking,
                CHECKING_READERS,
            ),
            _ => ("", Class::Info, &[][..]),
        };
        if !rule.is_empty() {
            self.push(Draft {
                rule: rule.into(),
                class,
                at: (Side::New, pattern_at),
                pointer: pointer.into(),
                old: a.pattern.clone().map(Value::from),
                new: b.pattern.clone().map(Value::from),
                stages: all.clone(),
                message: format!(
                    "pattern of `{pointer}`: {} → {}",
                    a.pattern.as_deref().unwrap_or("none"),
                    b.pattern.as_deref().unwrap_or("none")
                ),
                readers,
            });
        }
        match (&a.format, &b.format) {
            (
                TextFormat::Url {
                    schemes: sa,
                    hosts: ha,
                },
                TextFormat::Url {
                    schemes: sb,
                    hosts: hb,
                },
            ) => {
                self.allowed(
                    "schemes",
                    sa,
                    sb,
                    false,
                    pointer,
                    key(|d| pos_or(d.schemes.as_ref(), d.id.pos)),
                );
                self.allowed(
                    "hosts",
                    ha,
                    hb,
                    true,
                    pointer,
                    key(|d| pos_or(d.hosts.as_ref(), d.id.pos)),
                );
            }
            (TextFormat::Json { json_type: ta }, TextFormat::Json { json_type: tb })
                if ta != tb =>
            {
                let (class, readers) = if tb.is_none() {
                    (Class::Compatible, CHECKING_READERS)
                } else {
                    (Class::Breaking, &[][..])
                };
                self.push(Draft {
                    rule: "JSON_TYPE_CHANGED".into(),
                    class,
                    at: (Side::New, key(|d| pos_or(d.json_type.as_ref(), d.id.pos))),
                    pointer: pointer.into(),
                    old: Some(json!(ta)),
                    new: Some(json!(tb)),
                    stages: all,
                    message: format!(
                        "JSON type of `{pointer}`: {} → {}",
                        ta.as_deref().unwrap_or("any"),
                        tb.as_deref().unwrap_or("any")
                    ),
                    readers,
                });
            }
            _ => {}
        }
    }

    fn number(
        &mut self,
        a: &NumberRules,
        b: &NumberRules,
        d: Option<&FieldDef>,
        pointer: &str,
        at: Pos,
    ) {
        let all = self.all_stages();
        let min_at = d.map_or(at, |d| pos_or(d.minimum.as_ref(), d.id.pos));
        let max_at = d.map_or(at, |d| pos_or(d.maximum.as_ref(), d.id.pos));
        self.limit(
            "minimum",
            Bound::Lower,
            a.minimum,
            b.minimum,
            pointer,
            min_at,
            all.clone(),
        );
        self.limit(
            "maximum",
            Bound::Upper,
            a.maximum,
            b.maximum,
            pointer,
            max_at,
            all,
        );
    }

    /// `min_items` (a presence rule: the stages where the field is required) and `max_items`.
    #[allow(clippy::too_many_arguments)]
    fn items(
        &mut self,
        old_min: Option<u32>,
        new_min: Option<u32>,
        old_max: Option<u32>,
        new_max: Option<u32>,
        field: &Field,
        pointer: &str,
        min_at: Pos,
        max_at: Pos,
    ) {
        let required = stage_ids(&self.new.form, field.required);
        self.limit(
            "min_items",
            Bound::Lower,
            old_min,
            new_min,
            pointer,
            min_at,
            required,
        );
        let all = self.all_stages();
        self.limit(
            "max_items",
            Bound::Upper,
            old_max,
            new_max,
            pointer,
            max_at,
            all,
        );
    }

    fn choice(
        &mut self,
        a: &ChoiceRules,
        b: &ChoiceRules,
        o: Pair<'a>,
        n: Pair<'a>,
        pointer: &str,
        at: Pos,
    ) {
        let d = n.def;
        self.cardinality(a.multiple, b.multiple, "values", pointer, at);
        let (mi, ma) = (
            d.and_then(|d| d.min_items.as_ref()),
            d.and_then(|d| d.max_items.as_ref()),
        );
        self.items(
            a.min_items,
            b.min_items,
            a.max_items,
            b.max_items,
            n.field,
            pointer,
            pos_or(mi, at),
            pos_or(ma, at),
        );
        if !a.distinct && b.distinct && b.multiple {
            self.push(Draft {
                rule: "DISTINCT_ADDED".into(),
                class: Class::Breaking,
                at: (Side::New, at),
                pointer: pointer.into(),
                old: Some(false.into()),
                new: Some(true.into()),
                stages: self.all_stages(),
                message: format!("`{pointer}` values must now be distinct"),
                readers: &[],
            });
        }
        if a.distinct && !b.distinct && a.multiple && b.multiple {
            self.push(Draft {
                rule: "DISTINCT_REMOVED".into(),
                class: Class::Compatible,
                at: (Side::New, at),
                pointer: pointer.into(),
                old: Some(true.into()),
                new: Some(false.into()),
                stages: Vec::new(),
                message: format!("`{pointer}` values may now repeat"),
                readers: CHECKING_READERS,
            });
        }
        self.values(&a.list, &b.list, o, n, pointer, at);
    }

    /// One value or several (`what`: `values`, `files`): a change either way breaks.
    fn cardinality(&mut self, old: bool, new: bool, what: &str, pointer: &str, at: Pos) {
        if old == new {
            return;
        }
        let now = if new {
            format!("several {what} (an array)")
        } else {
            format!("one of its {what}")
        };
        self.push(Draft {
            rule: "CARDINALITY_CHANGED".into(),
            class: Class::Breaking,
            at: (Side::New, at),
            pointer: pointer.into(),
            old: Some(old.into()),
            new: Some(new.into()),
            stages: self.all_stages(),
            message: format!("`{pointer}` now takes {now}"),
            readers: &[],
        });
    }

    /// The positions of a list's values in a spec: the shared list's, or the field's inline ones.
    fn value_defs<'s>(
        spec: &'s Spec,
        list: &ValueList,
        def: Option<&'s FieldDef>,
    ) -> &'s [ChoiceDef] {
        if list.shared {
            spec.raw
                .lists
                .iter()
                .find(|l| l.id.value == list.id)
                .map_or(&[], |l| l.values.as_slice())
        } else {
            def.and_then(|d| d.values.as_deref()).unwrap_or(&[])
        }
    }

    /// Values removed (breaking), renamed (breaking), added (compatible), relabelled (info).
    fn values(
        &mut self,
        a: &ValueList,
        b: &ValueList,
        o: Pair<'a>,
        n: Pair<'a>,
        pointer: &str,
        at: Pos,
    ) {
        let old_defs = Self::value_defs(self.old, a, o.def);
        let new_defs = Self::value_defs(self.new, b, n.def);
        let value_pos = |defs: &[ChoiceDef], id: &str| {
            defs.iter()
                .find(|v| v.id.value == id)
                .map_or(at, |v| v.id.pos)
        };
        let list = if b.shared {
            format!(" (list `{}`)", b.id)
        } else {
            String::new()
        };
        let mut kept: Vec<&str> = Vec::new();
        for nv in &b.values {
            let old = a
                .get(&nv.id)
                .or_else(|| nv.renamed_from.as_deref().and_then(|from| a.get(from)));
            let at_new = value_pos(new_defs, &nv.id);
            match old {
                None => self.push(Draft {
                    rule: "CHOICE_VALUE_ADDED".into(),
                    class: Class::Compatible,
                    at: (Side::New, at_new),
                    pointer: pointer.into(),
                    old: None,
                    new: Some(nv.id.clone().into()),
                    stages: Vec::new(),
                    message: format!("value `{}` added to `{pointer}`{list}", nv.id),
                    readers: ALL_READERS,
                }),
                Some(ov) => {
                    kept.push(ov.id.as_str());
                    if ov.id != nv.id {
                        self.push(Draft {
                            rule: "CHOICE_VALUE_RENAMED".into(),
                            class: Class::Breaking,
                            at: (Side::New, at_new),
                            pointer: pointer.into(),
                            old: Some(ov.id.clone().into()),
                            new: Some(nv.id.clone().into()),
                            stages: self.all_stages(),
                            message: format!(
                                "value `{}` of `{pointer}`{list} renamed to `{}`: stored records keep `{}` until `formwork records migrate`",
                                ov.id, nv.id, ov.id
                            ),
                            readers: &[],
                        });
                    }
                    if ov.label != nv.label {
                        self.info(
                            "CHOICE_LABEL_CHANGED",
                            at_new,
                            pointer,
                            ov.label.clone().into(),
                            nv.label.clone().into(),
                            format!(
                                "value `{}` of `{pointer}`: “{}” → “{}”",
                                nv.id, ov.label, nv.label
                            ),
                        );
                    }
                }
            }
        }
        for ov in &a.values {
            if !kept.contains(&ov.id.as_str()) {
                self.push(Draft {
                    rule: "CHOICE_VALUE_REMOVED".into(),
                    class: Class::Breaking,
                    at: (Side::Old, value_pos(old_defs, &ov.id)),
                    pointer: pointer.into(),
                    old: Some(ov.id.clone().into()),
                    new: None,
                    stages: self.all_stages(),
                    message: format!(
                        "value `{}` ({}) removed from `{pointer}`{list}: stored records that chose it no longer conform",
                        ov.id, ov.label
                    ),
                    readers: &[],
                });
            }
        }
        let old_order: Vec<&str> = a
            .values
            .iter()
            .map(|v| v.id.as_str())
            .filter(|id| kept.contains(id))
            .collect();
        let new_order: Vec<&str> = b
            .values
            .iter()
            .filter_map(|v| {
                a.get(&v.id)
                    .or_else(|| v.renamed_from.as_deref().and_then(|f| a.get(f)))
                    .map(|ov| ov.id.as_str())
            })
            .collect();
        if old_order != new_order {
            self.info(
                "CHOICE_VALUES_REORDERED",
                at,
                pointer,
                old_order.into(),
                new_order.into(),
                format!("values of `{pointer}` reordered"),
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn file(
        &mut self,
        a: &FileRules,
        b: &FileRules,
        field: &Field,
        d: Option<&FieldDef>,
        pointer: &str,
        at: Pos,
    ) {
        let all = self.all_stages();
        self.cardinality(a.multiple, b.multiple, "files", pointer, at);
        let key = |f: fn(&FieldDef) -> Pos| d.map_or(at, f);
        self.allowed(
            "media_types",
            &a.media_types,
            &b.media_types,
            true,
            pointer,
            key(|d| pos_or(d.media_types.as_ref(), d.id.pos)),
        );
        self.limit(
            "max_bytes",
            Bound::Upper,
            a.max_bytes,
            b.max_bytes,
            pointer,
            key(|d| pos_or(d.max_bytes.as_ref(), d.id.pos)),
            all.clone(),
        );
        self.limit(
            "min_width",
            Bound::Lower,
            a.min_width,
            b.min_width,
            pointer,
            key(|d| pos_or(d.min_width.as_ref(), d.id.pos)),
            all.clone(),
        );
        self.limit(
            "min_height",
            Bound::Lower,
            a.min_height,
            b.min_height,
            pointer,
            key(|d| pos_or(d.min_height.as_ref(), d.id.pos)),
            all.clone(),
        );
        let (old_w, old_h) = a.max_side();
        let (new_w, new_h) = b.max_side();
        self.limit(
            "max_width",
            Bound::Upper,
            Some(old_w),
            Some(new_w),
            pointer,
            key(|d| pos_or(d.max_width.as_ref(), d.id.pos)),
            all.clone(),
        );
        self.limit(
            "max_height",
            Bound::Upper,
            Some(old_h),
            Some(new_h),
            pointer,
            key(|d| pos_or(d.max_height.as_ref(), d.id.pos)),
            all.clone(),
        );
        if a.aspect_ratio != b.aspect_ratio {
            let shown = |r: Option<(u32, u32)>| {
                r.map_or_else(|| "any".to_string(), |(w, h)| format!("{w}:{h}"))
            };
            let same_ratio = matches!((a.aspect_ratio, b.aspect_ratio), (Some((w1, h1)), Some((w2, h2))) if u64::from(w1) * u64::from(h2) == u64::from(w2) * u64::from(h1));
            let (rule, class, readers) = match b.aspect_ratio {
                None => ("ASPECT_RATIO_REMOVED", Class::Compatible, CHECKING_READERS),
                Some(_) if same_ratio => ("ASPECT_RATIO_REWRITTEN", Class::Info, &[][..]),
                Some(_) => ("ASPECT_RATIO_CHANGED", Class::Breaking, &[][..]),
            };
            self.push(Draft {
                rule: rule.into(),
                class,
                at: (
                    Side::New,
                    key(|d| pos_or(d.aspect_ratio.as_ref(), d.id.pos)),
                ),
                pointer: pointer.into(),
                old: Some(shown(a.aspect_ratio).into()),
                new: Some(shown(b.aspect_ratio).into()),
                stages: all.clone(),
                message: format!(
                    "aspect ratio of `{pointer}`: {} → {}",
                    shown(a.aspect_ratio),
                    shown(b.aspect_ratio)
                ),
                readers,
            });
        }
        let sizes = |r: &FileRules| -> Vec<String> {
            r.sizes
                .iter()
                .map(|s| format!("{}x{}", s.width, s.height))
                .collect()
        };
        let sizes_at = d
            .and_then(|d| d.sizes.as_ref())
            .and_then(|s| s.first())
            .map_or(at, |s| s.pos);
        self.allowed("sizes", &sizes(a), &sizes(b), true, pointer, sizes_at);
        let (mi, ma) = (
            d.and_then(|d| d.min_items.as_ref()),
            d.and_then(|d| d.max_items.as_ref()),
        );
        self.items(
            a.min_items,
            b.min_items,
            a.max_items,
            b.max_items,
            field,
            pointer,
            pos_or(mi, at),
            pos_or(ma, at),
        );
    }

    /// Field checks: a new error check breaks (CEL: potentially), a removed one is compatible.
    /// An error check or rule (`kind`: `CHECK`, `RULE`) that applies at other stages now
    /// (`None`: every stage): at a stage it did not apply at before it may refuse what was
    /// accepted (breaking); dropping stages only accepts more.
    fn applies_at(
        &mut self,
        kind: &str,
        old: Option<StageSet>,
        new: Option<StageSet>,
        pointer: &str,
        at: Pos,
        what: &str,
    ) {
        // Each stage set read by its own spec, as `presence` reads them.
        let before = stage_ids(
            &self.old.form,
            old.unwrap_or_else(|| StageSet::all(self.old.form.stages.len())),
        );
        let after = stage_ids(
            &self.new.form,
            new.unwrap_or_else(|| StageSet::all(self.new.form.stages.len())),
        );
        let (added, dropped) = self.stages_moved(&before, &after);
        if !added.is_empty() {
            self.push(Draft {
                rule: format!("{kind}_STAGES_WIDENED"),
                class: Class::Breaking,
                at: (Side::New, at),
                pointer: pointer.into(),
                old: Some(json!(before)),
                new: Some(json!(after)),
                message: format!("{what} now also applies at {}", added.join(", ")),
                stages: added,
                readers: &[],
            });
        }
        if !dropped.is_empty() {
            self.push(Draft {
                rule: format!("{kind}_STAGES_NARROWED"),
                class: Class::Compatible,
                at: (Side::New, at),
                pointer: pointer.into(),
                old: Some(json!(before)),
                new: Some(json!(after)),
                message: format!("{what} no longer applies at {}", dropped.join(", ")),
                stages: Vec::new(),
                readers: &[],
            });
        }
    }

    fn checks(&mut self, of: &Field, nf: &Field, pointer: &str, at: Pos) {
        use crate::model::CheckTest;
        let key = |t: &CheckTest| match t {
            CheckTest::SentenceCase => "sentence_case".to_string(),
            CheckTest::Scheme(_) => "scheme".to_string(),
            CheckTest::Cel(e) => format!("cel:{e}"),
        };
        let all = self.all_stages();
        // An edited CEL expression is one change: unmatched old and new CEL checks pair up in order.
        let unmatched =
            |from: &[crate::model::Check], other: &[crate::model::Check]| -> Vec<String> {
                from.iter()
                    .filter(|c| matches!(c.test, CheckTest::Cel(_)))
                    .filter(|c| !other.iter().any(|o| key(&o.test) == key(&c.test)))
                    .map(|c| key(&c.test))
                    .collect()
            };
        let (gone, came) = (
            unmatched(&of.checks, &nf.checks),
            unmatched(&nf.checks, &of.checks),
        );
        let edited: Vec<(&String, &String)> = gone.iter().zip(&came).collect();
        for (a, b) in &edited {
            self.push(Draft {
                rule: "CEL_CHECK_CHANGED".into(),
                class: Class::PotentiallyBreaking,
                at: (Side::New, at),
                pointer: pointer.into(),
                old: Some(a.trim_start_matches("cel:").into()),
                new: Some(b.trim_start_matches("cel:").into()),
                stages: all.clone(),
                message: format!("CEL check on `{pointer}` changed"),
                readers: &[],
            });
        }
        let paired = |k: &String| edited.iter().any(|(a, b)| *a == k || *b == k);
        for nc in &nf.checks {
            let old = of.checks.iter().find(|c| key(&c.test) == key(&nc.test));
            let is_cel = matches!(nc.test, CheckTest::Cel(_));
            let error = nc.severity == Severity::Error;
            match old {
                None if paired(&key(&nc.test)) => {}
                None => {
                    let (rule, class) = match (is_cel, error) {
                        (true, true) => ("CEL_CHECK_ADDED", Class::PotentiallyBreaking),
                        (false, true) => ("CHECK_ADDED", Class::Breaking),
                        (_, false) => ("WARNING_CHECK_ADDED", Class::Compatible),
                    };
                    self.push(Draft {
                        rule: rule.into(),
                        class,
                        at: (Side::New, at),
                        pointer: pointer.into(),
                        old: None,
                        new: Some(json!(nc.test)),
                        stages: all.clone(),
                        message: format!(
                            "new {} check `{}` on `{pointer}`",
                            if error { "error" } else { "warning" },
                            key(&nc.test)
                        ),
                        readers: &[],
                    });
                }
                Some(oc) => {
                    if oc.severity == Severity::Warning && error {
                        self.push(Draft {
                            rule: "CHECK_SEVERITY_RAISED".into(),
                            class: Class::Breaking,
                            at: (Side::New, at),
                            pointer: pointer.into(),
                            old: Some("warning".into()),
                            new: Some("error".into()),
                            stages: all.clone(),
                            message: format!(
                                "check `{}` on `{pointer}` is now an error, was a warning",
                                key(&nc.test)
                            ),
                            readers: &[],
                        });
                    }
                    if let (CheckTest::Scheme(a), CheckTest::Scheme(b)) = (&oc.test, &nc.test)
                        && error
                    {
                        self.allowed("scheme_check", a, b, false, pointer, at);
                    }
                    if error {
                        let what = format!("check `{}` on `{pointer}`", key(&nc.test));
                        self.applies_at("CHECK", oc.stages, nc.stages, pointer, at, &what);
                    }
                    if oc.message != nc.message {
                        self.info(
                            "CHECK_MESSAGE_CHANGED",
                            at,
                            pointer,
                            json!(oc.message),
                            json!(nc.message),
                            format!(
                                "message of check `{}` on `{pointer}` changed",
                                key(&nc.test)
                            ),
                        );
                    }
                }
            }
        }
        for oc in &of.checks {
            if !nf.checks.iter().any(|c| key(&c.test) == key(&oc.test)) && !paired(&key(&oc.test)) {
                self.push(Draft {
                    rule: "CHECK_REMOVED".into(),
                    class: Class::Compatible,
                    at: (Side::New, at),
                    pointer: pointer.into(),
                    old: Some(json!(oc.test)),
                    new: None,
                    stages: Vec::new(),
                    message: format!("check `{}` on `{pointer}` removed", key(&oc.test)),
                    readers: if oc.severity == Severity::Error {
                        CHECKING_READERS
                    } else {
                        &[]
                    },
                });
            }
        }
    }

    fn rules(&mut self) {
        let (o, n) = (&self.old.form, &self.new.form);
        let rule_pos = |spec: &Spec, id: &str| {
            spec.raw
                .rules
                .iter()
                .find(|r| r.id.value == id)
                .map_or(Pos::default(), |r| r.id.pos)
        };
        let pointer_of = |t: &RuleTest| match t {
            RuleTest::MaxPerValue { of, .. } | RuleTest::MaxTotal { of, .. } => {
                format!("/{}", crate::pointer::escape(&of.first().group))
            }
            RuleTest::Cel { path, .. } => path.clone(),
            RuleTest::CelEach { group, field, .. } => {
                let mut p = format!("/{}/*", crate::pointer::escape(group));
                if let Some(f) = field {
                    p.push('/');
                    p.push_str(&crate::pointer::escape(f));
                }
                p
            }
        };
        let all = self.all_stages();
        for nr in &n.rules {
            let at = rule_pos(self.new, &nr.id);
            let pointer = pointer_of(&nr.test);
            let error = nr.severity == Severity::Error;
            let Some(or) = o.rules.iter().find(|r| r.id == nr.id) else {
                let cel = matches!(nr.test, RuleTest::Cel { .. } | RuleTest::CelEach { .. });
                let (rule, class) = match (cel, error) {
                    (_, false) => ("WARNING_RULE_ADDED", Class::Compatible),
                    (true, true) => ("CEL_RULE_ADDED", Class::PotentiallyBreaking),
                    (false, true) => ("RULE_ADDED", Class::Breaking),
                };
                self.push(Draft {
                    rule: rule.into(),
                    class,
                    at: (Side::New, at),
                    pointer,
                    old: None,
                    new: Some(json!(nr.test)),
                    stages: all.clone(),
                    message: format!("new rule `{}`", nr.id),
                    readers: &[],
                });
                continue;
            };
            match (&or.test, &nr.test) {
                (
                    RuleTest::MaxPerValue { of: a, max: x },
                    RuleTest::MaxPerValue { of: b, max: y },
                )
                | (RuleTest::MaxTotal { of: a, max: x }, RuleTest::MaxTotal { of: b, max: y })
                    if a == b =>
                {
                    let max_at = self
                        .new
                        .raw
                        .rules
                        .iter()
                        .find(|r| r.id.value == nr.id)
                        .and_then(|r| r.max_per_value.as_ref().or(r.max_total.as_ref()))
                        .map_or(at, |a| a.max.pos);
                    if error {
                        self.limit(
                            "rule_max",
                            Bound::Upper,
                            Some(*x),
                            Some(*y),
                            &pointer,
                            max_at,
                            all.clone(),
                        );
                        if let Some(last) = self.changes.last_mut()
                            && last.rule.starts_with("RULE_MAX")
                            && last.old == Some(json!(x))
                        {
                            last.message = format!("rule `{}`: max {x} → {y}", nr.id);
                        }
                    }
                }
                (
                    RuleTest::Cel {
                        expr: a, path: pa, ..
                    },
                    RuleTest::Cel {
                        expr: b, path: pb, ..
                    },
                ) => {
                    if a != b && error {
                        self.push(Draft {
                            rule: "CEL_RULE_CHANGED".into(),
                            class: Class::PotentiallyBreaking,
                            at: (Side::New, at),
                            pointer: pointer.clone(),
                            old: Some(a.clone().into()),
                            new: Some(b.clone().into()),
                            stages: all.clone(),
                            message: format!("rule `{}`: CEL expression changed", nr.id),
                            readers: &[],
                        });
                    }
                    if pa != pb {
                        self.info(
                            "RULE_REPORT_PATH_CHANGED",
                            at,
                            &pointer,
                            pa.clone().into(),
                            pb.clone().into(),
                            format!("rule `{}` now reports at {pb}", nr.id),
                        );
                    }
                }
                (
                    RuleTest::CelEach {
                        group: ga, expr: a, ..
                    },
                    RuleTest::CelEach {
                        group: gb, expr: b, ..
                    },
                ) if ga == gb => {
                    // The same items, judged by another expression: it may refuse what passed.
                    let changed = a != b && error;
                    if changed {
                        self.push(Draft {
                            rule: "CEL_RULE_CHANGED".into(),
                            class: Class::PotentiallyBreaking,
                            at: (Side::New, at),
                            pointer: pointer.clone(),
                            old: Some(a.clone().into()),
                            new: Some(b.clone().into()),
                            stages: all.clone(),
                            message: format!("rule `{}`: CEL expression changed", nr.id),
                            readers: &[],
                        });
                    }
                }
                _ if error => self.push(Draft {
                    rule: "RULE_TEST_CHANGED".into(),
                    class: Class::Breaking,
                    at: (Side::New, at),
                    pointer: pointer.clone(),
                    old: Some(json!(or.test)),
                    new: Some(json!(nr.test)),
                    stages: all.clone(),
                    message: format!("rule `{}` tests something else now", nr.id),
                    readers: &[],
                }),
                _ => {}
            }
            if error && or.severity == nr.severity {
                let what = format!("rule `{}`", nr.id);
                self.applies_at("RULE", or.stages, nr.stages, &pointer, at, &what);
            }
            if or.severity != nr.severity {
                let raised = error;
                self.push(Draft {
                    rule: if raised {
                        "RULE_SEVERITY_RAISED"
                    } else {
                        "RULE_SEVERITY_LOWERED"
                    }
                    .into(),
                    class: if raised {
                        Class::Breaking
                    } else {
                        Class::Compatible
                    },
                    at: (Side::New, at),
                    pointer: pointer.clone(),
                    old: Some(json!(or.severity)),
                    new: Some(json!(nr.severity)),
                    stages: all.clone(),
                    message: format!(
                        "rule `{}` is now {}",
                        nr.id,
                        if raised { "an error" } else { "a warning" }
                    ),
                    readers: if raised { &[] } else { CHECKING_READERS },
                });
            }
            if or.message != nr.message || or.description != nr.description {
                self.info(
                    "RULE_TEXT_CHANGED",
                    at,
                    &pointer,
                    json!({"message": or.message, "description": or.description}),
                    json!({"message": nr.message, "description": nr.description}),
                    format!("rule `{}`: message or description changed", nr.id),
                );
            }
        }
        for or in &o.rules {
            if !n.rules.iter().any(|r| r.id == or.id) {
                let error = or.severity == Severity::Error;
                self.push(Draft {
                    rule: "RULE_REMOVED".into(),
                    class: Class::Compatible,
                    at: (Side::Old, rule_pos(self.old, &or.id)),
                    pointer: pointer_of(&or.test),
                    old: Some(json!(or.test)),
                    new: None,
                    stages: Vec::new(),
                    message: format!("rule `{}` removed", or.id),
                    readers: if error { CHECKING_READERS } else { &[] },
                });
            }
        }
    }

    /// Stages' `from`, roles and transitions.
    fn workflow(&mut self) {
        let (o, n) = (&self.old.form, &self.new.form);
        let effective = |f: &Form, s: &crate::model::Stage| -> Vec<String> {
            if s.from.is_empty() {
                f.stage_statuses().into_iter().map(String::from).collect()
            } else {
                s.from.clone()
            }
        };
        for ns in &n.stages {
            let Some(os) = o.stages.iter().find(|s| s.id == ns.id) else {
                continue;
            };
            if os.from.is_empty() && ns.from.is_empty() {
                // Both follow the stages' statuses: a changed status is reported on its own.
                continue;
            }
            let (a, b) = (effective(o, os), effective(n, ns));
            let at = self
                .new
                .raw
                .stages
                .iter()
                .find(|s| s.id.value == ns.id)
                .map_or(Pos::default(), |s| {
                    s.from.as_ref().map_or(s.id.pos, |f| f.pos)
                });
            let (rule, class) = if a.iter().any(|x| !b.contains(x)) {
                ("STAGE_FROM_NARROWED", Class::Breaking)
            } else if b.iter().any(|x| !a.contains(x)) {
                ("STAGE_FROM_WIDENED", Class::Compatible)
            } else {
                continue;
            };
            self.push(Draft {
                rule: rule.into(),
                class,
                at: (Side::New, at),
                pointer: String::new(),
                old: Some(a.clone().into()),
                new: Some(b.clone().into()),
                stages: vec![ns.id.clone()],
                message: format!(
                    "owners may submit at `{}` from statuses {} (was {})",
                    ns.id,
                    b.join(", "),
                    a.join(", ")
                ),
                readers: &[],
            });
        }
        let role_pos = |spec: &Spec, id: &str| {
            spec.raw
                .roles
                .iter()
                .find(|r| r.id.value == id)
                .map_or(Pos::default(), |r| r.id.pos)
        };
        for r in &o.roles {
            if !n.roles.iter().any(|x| x.id == r.id) {
                self.push(Draft {
                    rule: "ROLE_REMOVED".into(),
                    class: Class::Breaking,
                    at: (Side::Old, role_pos(self.old, &r.id)),
                    pointer: String::new(),
                    old: Some(r.id.clone().into()),
                    new: None,
                    stages: Vec::new(),
                    message: format!(
                        "role `{}` removed: accounts with it lose what it allowed",
                        r.id
                    ),
                    readers: &[],
                });
            }
        }
        for r in &n.roles {
            if !o.roles.iter().any(|x| x.id == r.id) {
                self.push(Draft {
                    rule: "ROLE_ADDED".into(),
                    class: Class::Compatible,
                    at: (Side::New, role_pos(self.new, &r.id)),
                    pointer: String::new(),
                    old: None,
                    new: Some(r.id.clone().into()),
                    stages: Vec::new(),
                    message: format!("role `{}` added", r.id),
                    readers: &[],
                });
            }
        }
        let t_pos = |spec: &Spec, id: &str| {
            spec.raw
                .transitions
                .iter()
                .find(|t| t.id.value == id)
                .map_or(Pos::default(), |t| t.id.pos)
        };
        for t in &o.transitions {
            match n.transitions.iter().find(|x| x.id == t.id) {
                None => self.push(Draft {
                    rule: "TRANSITION_REMOVED".into(),
                    class: Class::Breaking,
                    at: (Side::Old, t_pos(self.old, &t.id)),
                    pointer: String::new(),
                    old: Some(json!(t)),
                    new: None,
                    stages: Vec::new(),
                    message: format!(
                        "transition `{}` removed: records in {} can no longer move to {} that way",
                        t.id,
                        t.from.join(", "),
                        t.to
                    ),
                    readers: &[],
                }),
                Some(x)
                    if (&x.role, &x.from, &x.to, x.comment)
                        != (&t.role, &t.from, &t.to, t.comment) =>
                {
                    self.push(Draft {
                        rule: "TRANSITION_CHANGED".into(),
                        class: Class::Breaking,
                        at: (Side::New, t_pos(self.new, &x.id)),
                        pointer: String::new(),
                        old: Some(json!(t)),
                        new: Some(json!(x)),
                        stages: Vec::new(),
                        message: format!(
                            "transition `{}` now: {} from {} to {}",
                            x.id,
                            x.role,
                            x.from.join(", "),
                            x.to
                        ),
                        readers: &[],
                    })
                }
                Some(x) if x.label != t.label => {
                    let at = t_pos(self.new, &x.id);
                    self.info(
                        "TRANSITION_LABEL_CHANGED",
                        at,
                        "",
                        t.label.clone().into(),
                        x.label.clone().into(),
                        format!(
                            "transition `{}`: button “{}” → “{}”",
                            x.id, t.label, x.label
                        ),
                    );
                }
                Some(_) => {}
            }
        }
        for x in &n.transitions {
            if !o.transitions.iter().any(|t| t.id == x.id) {
                self.push(Draft {
                    rule: "TRANSITION_ADDED".into(),
                    class: Class::Compatible,
                    at: (Side::New, t_pos(self.new, &x.id)),
                    pointer: String::new(),
                    old: None,
                    new: Some(json!(x)),
                    stages: Vec::new(),
                    message: format!(
                        "transition `{}` added: {} may move records from {} to {}",
                        x.id,
                        x.role,
                        x.from.join(", "),
                        x.to
                    ),
                    readers: &[],
                });
            }
        }
    }

    fn issued(&mut self) {
        let (o, n) = (&self.old.form, &self.new.form);
        let pos = |spec: &Spec, id: &str| {
            spec.raw
                .issued
                .iter()
                .find(|i| i.id.value == id)
                .map_or(Pos::default(), |i| i.id.pos)
        };
        for oi in &o.issued {
            match n.issued.iter().find(|i| i.id == oi.id) {
                None => self.push(Draft {
                    rule: "ISSUED_REMOVED".into(),
                    class: Class::Breaking,
                    at: (Side::Old, pos(self.old, &oi.id)),
                    pointer: String::new(),
                    old: Some(oi.id.clone().into()),
                    new: None,
                    stages: Vec::new(),
                    message: format!(
                        "issued value `{}` removed: stored ones are no longer shown",
                        oi.id
                    ),
                    readers: &[],
                }),
                Some(ni) if ni.generate != oi.generate => self.push(Draft {
                    rule: "ISSUED_GENERATOR_CHANGED".into(),
                    class: Class::Breaking,
                    at: (Side::New, pos(self.new, &ni.id)),
                    pointer: String::new(),
                    old: Some(json!(oi.generate)),
                    new: Some(json!(ni.generate)),
                    stages: Vec::new(),
                    message: format!("issued value `{}` is generated differently", ni.id),
                    readers: &[],
                }),
                Some(ni) if ni.label != oi.label => {
                    let at = pos(self.new, &ni.id);
                    self.info(
                        "ISSUED_LABEL_CHANGED",
                        at,
                        "",
                        oi.label.clone().into(),
                        ni.label.clone().into(),
                        format!("issued value `{}`: label changed", ni.id),
                    );
                }
                Some(_) => {}
            }
        }
        for ni in &n.issued {
            if !o.issued.iter().any(|i| i.id == ni.id) {
                self.push(Draft {
                    rule: "ISSUED_ADDED".into(),
                    class: Class::Compatible,
                    at: (Side::New, pos(self.new, &ni.id)),
                    pointer: String::new(),
                    old: None,
                    new: Some(ni.id.clone().into()),
                    stages: Vec::new(),
                    message: format!(
                        "issued value `{}` added (stored records get it on their next save)",
                        ni.id
                    ),
                    readers: &[],
                });
            }
        }
    }
}

/// Counts of changes by rule id (handy for tests and summaries).
pub fn rule_counts(d: &Diff) -> BTreeMap<&str, usize> {
    let mut m = BTreeMap::new();
    for c in &d.changes {
        *m.entry(c.rule.as_str()).or_insert(0) += 1;
    }
    m
}
