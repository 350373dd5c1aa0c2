//! Stored records against the spec served now: what no longer conforms, why, and which stored
//! values the form has no place for any more.
//!
//! One [`Checker`] serves `formwork records check`, the server's start-up summary, the record list's
//! "needs attention" marks and the record page's explanation, so they always agree.
//!
//! - Every record is validated at every stage; it *needs attention* when it fails at the stage of
//!   its status (a draft at the first stage, a record `in_review` at `review`) or holds values the
//!   form has no field or choice for ([`Orphan`]s).
//! - Each finding says why in spec terms ([`Why`]: removed field, removed value, tightened limit, …)
//!   and, when the spec the record was saved under is known, which `formwork diff` changes caused it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use formwork_schema::diff::{Diff, diff};
use formwork_schema::model::{Field, Kind};
use formwork_schema::{Form, Spec};
use serde::Serialize;
use serde_json::{Value, json};

use super::form::{is_secret, root_fields, without_tokens};
use super::store::{Record, Store, StoreError};
use formwork_runtime::{Issue, Validator};

/// Why a stored value no longer conforms, in terms of spec changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Why {
    /// The form no longer has the field.
    RemovedField,
    /// The field no longer offers the value.
    RemovedValue,
    /// A limit (length, count, size, pattern, per-value rule, …) no longer admits the value.
    TightenedLimit,
    /// A value is now required (or must be checked) at this stage.
    NewlyRequired,
    /// The field now holds another kind of value.
    ChangedKind,
    /// Another rule or check fails.
    Rule,
}

impl Why {
    /// The reason of a validation error, by its code.
    pub fn of(code: &str) -> Why {
        match code {
            "unknown_field" => Why::RemovedField,
            "choice" => Why::RemovedValue,
            "required" | "required_choice" | "required_file" | "must_be_true" | "min_items" => {
                Why::NewlyRequired
            }
            "type" | "integer" => Why::ChangedKind,
            "max_length" | "min_length" | "max_items" | "maximum" | "minimum" | "max_bytes"
            | "min_width" | "min_height" | "max_width" | "max_height" | "pattern" | "scheme"
            | "host" | "media_type" | "aspect_ratio" | "size" | "distinct" | "json_type"
            | "max_per_value" | "max_total" => Why::TightenedLimit,
            _ => Why::Rule,
        }
    }

    /// For people: `removed field`, `tightened limit`, ….
    pub fn text(self) -> &'static str {
        match self {
            Why::RemovedField => "removed field",
            Why::RemovedValue => "removed value",
            Why::TightenedLimit => "tightened limit",
            Why::NewlyRequired => "newly required",
            Why::ChangedKind => "changed kind",
            Why::Rule => "rule",
        }
    }
}

/// A stored value the current form has no field or choice for: kept, shown read-only, removed only
/// when a person confirms it (and even then kept in the record's history).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Orphan {
    /// Where it is in the stored data.
    pub path: String,
    /// Where it is, for people: `App actions › app action 2 › Locations`.
    pub label: String,
    /// The stored value (`"••••••"` for secrets).
    pub value: Value,
    /// A removed field or a removed value.
    pub why: Why,
    /// The explanation for people.
    pub message: String,
}

/// One validation error of a stored record, with its reason and causes.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The error as the validator reports it.
    #[serde(flatten)]
    pub issue: Issue,
    /// Why, in spec terms.
    pub why: Why,
    /// Rule ids of the `formwork diff` changes behind it (when the record's spec is known).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<String>,
}

/// A record at one stage.
#[derive(Debug, Clone, Serialize)]
pub struct StageCheck {
    /// Whether the record is valid at the stage.
    pub valid: bool,
    /// Its errors there.
    pub errors: Vec<Finding>,
}

/// One stored record checked against the current spec.
#[derive(Debug, Clone, Serialize)]
pub struct RecordCheck {
    /// The record id.
    pub id: String,
    /// Its status.
    pub status: String,
    /// The stage its status belongs to (where it must be valid).
    pub status_stage: String,
    /// `form.version` of the spec it was saved under (`None`: unknown or unversioned).
    pub spec_version: Option<String>,
    /// Whether it was saved under the spec served now.
    pub current_spec: bool,
    /// Whether someone should look at it: invalid at its status stage, or holding orphans.
    pub needs_attention: bool,
    /// Every stage, in order.
    pub stages: Stages,
    /// Stored values the form has no place for.
    pub orphans: Vec<Orphan>,
}

impl RecordCheck {
    /// The findings at the record's status stage.
    pub fn at_status(&self) -> &StageCheck {
        self.stages.get(&self.status_stage)
    }

    /// What changed for this record, one sentence each, for its page.
    pub fn explanations(&self) -> Vec<String> {
        let mut out: Vec<String> = self.orphans.iter().map(|o| o.message.clone()).collect();
        for f in &self.at_status().errors {
            if matches!(f.why, Why::RemovedField | Why::RemovedValue)
                && self.orphans.iter().any(|o| o.path == f.issue.path)
            {
                continue;
            }
            out.push(format!(
                "{} ({}, at {}).",
                f.issue.message.trim_end_matches('.'),
                f.why.text(),
                if f.issue.path.is_empty() {
                    "the whole form"
                } else {
                    &f.issue.path
                }
            ));
        }
        out
    }
}

/// Stage id → check, in spec order (serialized as a JSON object).
#[derive(Debug, Clone, Default)]
pub struct Stages(pub Vec<(String, StageCheck)>);

impl Stages {
    /// The check at stage `id` (the first stage's when unknown).
    pub fn get(&self, id: &str) -> &StageCheck {
        static EMPTY: StageCheck = StageCheck {
            valid: true,
            errors: Vec::new(),
        };
        self.0
            .iter()
            .find(|(s, _)| s == id)
            .or(self.0.first())
            .map_or(&EMPTY, |(_, c)| c)
    }
}

impl Serialize for Stages {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// A spec records were saved under, and what changed from it to the current one.
type Earlier = (Form, Diff);

/// Checks stored records against the spec served now; cheap to share (diffs to earlier specs are
/// computed once per spec and kept).
pub struct Checker {
    spec: Arc<Spec>,
    validator: Validator,
    current_hash: String,
    fields: Vec<Field>,
    /// Per stored spec hash: that spec's form and its diff to the current one (`None` when the
    /// stored spec cannot be read).
    earlier: Mutex<HashMap<String, Option<Arc<Earlier>>>>,
}

impl Checker {
    /// A checker for `spec` (served as `current_hash`), validating with `validator`.
    pub fn new(spec: Arc<Spec>, validator: Validator, current_hash: &str) -> Checker {
        Checker {
            fields: root_fields(&spec.form),
            spec,
            validator,
            current_hash: current_hash.to_string(),
            earlier: Mutex::new(HashMap::new()),
        }
    }

    /// The form and diff of the spec `hash`, read from `store` once.
    fn earlier(&self, store: &Store, hash: &str) -> Result<Option<Arc<Earlier>>, StoreError> {
        if let Ok(cache) = self.earlier.lock()
            && let Some(found) = cache.get(hash)
        {
            return Ok(found.clone());
        }
        let loaded = store.spec(hash)?.and_then(|s| {
            let name = format!(
                "stored spec {}",
                s.version.as_deref().unwrap_or(&s.hash[..12])
            );
            let old = formwork_schema::load_spec_str(&name, &s.source).ok()?;
            let d = diff(&old, &self.spec);
            Some(Arc::new((old.form, d)))
        });
        if let Ok(mut cache) = self.earlier.lock() {
            cache.insert(hash.to_string(), loaded.clone());
        }
        Ok(loaded)
    }

    /// Checks one record (`store` supplies the spec it was saved under, if known).
    pub fn check(&self, store: &Store, record: &Record) -> Result<RecordCheck, StoreError> {
        let form = &self.spec.form;
        let current_spec = record.spec_hash.as_deref() == Some(self.current_hash.as_str());
        let earlier = match record.spec_hash.as_deref() {
            Some(h) if !current_spec => self.earlier(store, h)?,
            _ => None,
        };
        let (old_form, changes) = match &earlier {
            Some(e) => (Some(&e.0), Some(&e.1)),
            None => (None, None),
        };
        let spec_version = match record.spec_hash.as_deref() {
            Some(_) if current_spec => form.version.clone(),
            Some(_) => old_form.and_then(|f| f.version.clone()),
            None => None,
        };
        let data = without_tokens(&self.fields, &record.data);
        let mut stages = Vec::with_capacity(form.stages.len());
        for s in &form.stages {
            let Ok(stage) = self.validator.stage(&s.id) else {
                continue;
            };
            let report = self.validator.validate(&data, stage);
            let errors = report
                .errors
                .into_iter()
                .map(|issue| Finding {
                    why: why(form, &issue.code),
                    causes: changes.map(|d| causes(d, &issue.path)).unwrap_or_default(),
                    issue,
                })
                .collect();
            stages.push((
                s.id.clone(),
                StageCheck {
                    valid: report.valid,
                    errors,
                },
            ));
        }
        let status_stage = form
            .stages
            .iter()
            .find(|s| s.status.as_deref() == Some(record.status.as_str()))
            .or(form.stages.first())
            .map(|s| s.id.clone())
            .unwrap_or_default();
        let mut orphans = Vec::new();
        let fields: Vec<&Field> = form.fields().collect();
        let old_fields: Option<Vec<&Field>> = old_form.map(|f| f.fields().collect());
        find_orphans(&fields, old_fields, &record.data, "", "", &mut orphans);
        let stages = Stages(stages);
        let needs_attention = !stages.get(&status_stage).valid || !orphans.is_empty();
        Ok(RecordCheck {
            id: record.id.clone(),
            status: record.status.clone(),
            status_stage,
            spec_version,
            current_spec,
            needs_attention,
            stages,
            orphans,
        })
    }
}

/// The reason of a validation error of `form`: aggregate rules (reported under their own id) are
/// limits; everything else by code ([`Why::of`]).
fn why(form: &Form, code: &str) -> Why {
    use formwork_schema::model::RuleTest;
    match form.rules.iter().find(|r| r.id == code).map(|r| &r.test) {
        Some(RuleTest::MaxPerValue { .. } | RuleTest::MaxTotal { .. }) => Why::TightenedLimit,
        Some(RuleTest::Cel { .. } | RuleTest::CelEach { .. }) => Why::Rule,
        None => Why::of(code),
    }
}

/// Rule ids of the changes whose data pointer (with `*` for any item) covers `path`.
fn causes(d: &Diff, path: &str) -> Vec<String> {
    let segs: Vec<&str> = path.split('/').skip(1).collect();
    let mut out: Vec<String> = Vec::new();
    for c in &d.changes {
        if c.pointer.is_empty()
            || !matches!(
                c.class,
                formwork_schema::diff::Class::Breaking
                    | formwork_schema::diff::Class::PotentiallyBreaking
            )
        {
            continue;
        }
        let pattern: Vec<&str> = c.pointer.split('/').skip(1).collect();
        let covers = pattern.len() <= segs.len()
            && pattern.iter().zip(&segs).all(|(p, s)| *p == "*" || p == s);
        if covers && !out.contains(&c.rule) {
            out.push(c.rule.clone());
        }
    }
    out
}

/// The stored values under `value` that `fields` have no place for. `old` are the same level's
/// fields in the spec the record was saved under, when known (for labels and secrets).
fn find_orphans(
    fields: &[&Field],
    old: Option<Vec<&Field>>,
    value: &Value,
    path: &str,
    label: &str,
    out: &mut Vec<Orphan>,
) {
    let Value::Object(map) = value else { return };
    for (key, v) in map {
        let mut here = path.to_string();
        formwork_runtime::report::push_pointer_segment(&mut here, key);
        let old_field = old
            .as_ref()
            .and_then(|o| o.iter().find(|f| &f.id == key).copied());
        let Some(field) = fields.iter().find(|f| &f.id == key) else {
            let name = old_field.map_or(key.as_str(), |f| f.label.as_str());
            let where_ = join(label, name);
            let secret = old_field.map_or_else(|| looks_secret(key), is_secret);
            out.push(Orphan {
                path: here,
                label: where_.clone(),
                value: if secret {
                    json!("••••••")
                } else {
                    v.clone()
                },
                why: Why::RemovedField,
                message: format!(
                    "{where_} is no longer part of the form; the stored value is kept, read-only."
                ),
            });
            continue;
        };
        let here_label = join(label, &field.label);
        match (&field.kind, v) {
            (Kind::Choice(c), _) => {
                let chosen: Vec<(usize, &str)> = match v {
                    Value::String(s) => vec![(0, s.as_str())],
                    Value::Array(a) => a
                        .iter()
                        .enumerate()
                        .filter_map(|(i, x)| x.as_str().map(|s| (i, s)))
                        .collect(),
                    _ => Vec::new(),
                };
                for (i, id) in chosen {
                    if c.list.get(id).is_some() {
                        continue;
                    }
                    let old_label = old_field
                        .and_then(|f| match &f.kind {
                            Kind::Choice(oc) => oc.list.get(id).map(|x| x.label.as_str()),
                            _ => None,
                        })
                        .unwrap_or(id);
                    let mut at = here.clone();
                    if v.is_array() {
                        at.push_str(&format!("/{i}"));
                    }
                    out.push(Orphan {
                        path: at,
                        label: here_label.clone(),
                        value: Value::String(id.to_string()),
                        why: Why::RemovedValue,
                        message: format!(
                            "“{old_label}” is no longer offered for {here_label}; the stored choice is kept, read-only."
                        ),
                    });
                }
            }
            (Kind::Object(o), _) => {
                let subs: Vec<&Field> = o.fields.iter().collect();
                find_orphans(&subs, sub_old(old_field), v, &here, &here_label, out);
            }
            (Kind::Group(g), Value::Array(items)) => {
                let subs: Vec<&Field> = g.fields.iter().collect();
                for (i, item) in items.iter().enumerate() {
                    let item_label = join(&here_label, &format!("{} {}", g.item_label, i + 1));
                    let item_path = format!("{here}/{i}");
                    find_orphans(
                        &subs,
                        sub_old(old_field),
                        item,
                        &item_path,
                        &item_label,
                        out,
                    );
                }
            }
            _ => {}
        }
    }
}

/// The sub-fields of an earlier spec's field, when known.
fn sub_old(f: Option<&Field>) -> Option<Vec<&Field>> {
    f.map(|f| f.sub_fields().iter().collect())
}

fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent} › {name}")
    }
}

/// A removed field of an unknown spec that may have held a secret: its value is never shown.
fn looks_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "password", "secret", "token", "api_key", "apikey", "private",
    ]
    .iter()
    .any(|w| k.contains(w))
}

/// The result of checking every record: per record, and the counts people read first.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Records checked.
    pub records: usize,
    /// Records that need attention.
    pub need_attention: usize,
    /// Records invalid at the stage of their status, by status.
    pub invalid_at_status: Vec<(String, String, usize)>,
}

impl Summary {
    /// Counts over `checks`.
    pub fn of(checks: &[RecordCheck]) -> Summary {
        let mut invalid: Vec<(String, String, usize)> = Vec::new();
        for c in checks.iter().filter(|c| !c.at_status().valid) {
            match invalid
                .iter_mut()
                .find(|(s, st, _)| *s == c.status && *st == c.status_stage)
            {
                Some((_, _, n)) => *n += 1,
                None => invalid.push((c.status.clone(), c.status_stage.clone(), 1)),
            }
        }
        Summary {
            records: checks.len(),
            need_attention: checks.iter().filter(|c| c.needs_attention).count(),
            invalid_at_status: invalid,
        }
    }

    /// `4 of 4 records need attention; 1 record in status in_review is no longer valid at review`.
    pub fn text(&self) -> String {
        let plural = |n: usize| if n == 1 { "record" } else { "records" };
        let verb = if self.need_attention == 1 {
            "needs"
        } else {
            "need"
        };
        let mut out = format!(
            "{} of {} {} {verb} attention",
            self.need_attention,
            self.records,
            plural(self.records)
        );
        for (status, stage, n) in &self.invalid_at_status {
            out.push_str(&format!(
                "; {n} {} in status {status} {} no longer valid at {stage}",
                plural(*n),
                if *n == 1 { "is" } else { "are" }
            ));
        }
        out
    }

    /// Whether any record fails at the stage of its status.
    pub fn any_invalid(&self) -> bool {
        !self.invalid_at_status.is_empty()
    }
}

/// Checks every stored record; returns the checks (most recently updated first) and the summary.
pub fn check_all(
    store: &Store,
    checker: &Checker,
) -> Result<(Vec<RecordCheck>, Summary), StoreError> {
    let records = store.list()?;
    let mut checks = Vec::with_capacity(records.len());
    for r in &records {
        checks.push(checker.check(store, r)?);
    }
    let summary = Summary::of(&checks);
    Ok((checks, summary))
}

/// The report of `formwork records check` for people.
pub fn text_report(checks: &[RecordCheck], summary: &Summary) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for c in checks.iter().filter(|c| c.needs_attention) {
        let saved_under = match (&c.spec_version, c.current_spec) {
            (_, true) => "the current spec".to_string(),
            (Some(v), false) => format!("spec version {v}"),
            (None, false) => "an earlier spec (not recorded)".to_string(),
        };
        let _ = writeln!(
            out,
            "record {} (status {}, saved under {saved_under})",
            c.id, c.status
        );
        for (stage, s) in &c.stages.0 {
            if *stage != c.status_stage {
                if !s.valid {
                    let _ = writeln!(out, "  at {stage}: {} error(s)", s.errors.len());
                }
                continue;
            }
            if s.valid {
                let _ = writeln!(out, "  at {stage}: valid");
                continue;
            }
            let _ = writeln!(out, "  at {stage} (its status' stage): not valid");
            for f in &s.errors {
                let causes = if f.causes.is_empty() {
                    String::new()
                } else {
                    format!("; {}", f.causes.join(", "))
                };
                let _ = writeln!(
                    out,
                    "    {}: {} [{}{causes}]",
                    if f.issue.path.is_empty() {
                        "/"
                    } else {
                        &f.issue.path
                    },
                    f.issue.message,
                    f.why.text()
                );
            }
        }
        for o in &c.orphans {
            let _ = writeln!(
                out,
                "  kept, no longer in the form: {}: {}",
                o.path, o.message
            );
        }
    }
    let _ = writeln!(out, "{}", summary.text());
    out
}

/// The report of `formwork records check --format json`.
pub fn json_report(checks: &[RecordCheck], summary: &Summary) -> Value {
    let invalid: Vec<Value> = summary
        .invalid_at_status
        .iter()
        .map(|(status, stage, n)| json!({"status": status, "stage": stage, "records": n}))
        .collect();
    json!({
        "records": checks,
        "summary": {
            "records": summary.records,
            "need_attention": summary.need_attention,
            "invalid_at_status": invalid,
            "text": summary.text(),
        }
    })
}
