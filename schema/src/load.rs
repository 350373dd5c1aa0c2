//! Loading a spec: YAML text → [`SpecFile`] (located) → checks → [`Form`] IR.
//!
//! Syntax and shape errors stop at the first problem (the YAML cannot be read further);
//! semantic checks run over the whole spec and report every problem at once.

use std::collections::HashMap;
use std::path::Path;

use serde_saphyr::MessageFormatter;

use crate::error::{Diagnostic, SpecError};
use crate::expr::did_you_mean;
use crate::located::{Located, Pos};
use crate::model::*;
use crate::raw::*;

/// Reads and checks the spec at `path`.
pub fn load_file(path: impl AsRef<Path>) -> Result<Form, SpecError> {
    load_spec(path).map(|s| s.form)
}

/// Parses and checks spec text; `file` names it in messages.
pub fn load_str(file: &str, text: &str) -> Result<Form, SpecError> {
    load_spec_str(file, text).map(|s| s.form)
}

/// A checked spec with its source: the file name and the located surface model beside the IR,
/// for tools that point at spec lines after loading (e.g. `formwork diff`).
#[derive(Debug, Clone)]
pub struct Spec {
    /// The file name used in messages.
    pub file: String,
    /// The surface model, with the position of every id and constraint.
    pub raw: SpecFile,
    /// The checked IR.
    pub form: Form,
}

/// The largest spec file read (a spec is text written by people; this bounds a mistake).
pub const MAX_SPEC_BYTES: u64 = 8 * 1024 * 1024;

/// Reads and checks the spec at `path`, keeping its source positions.
pub fn load_spec(path: impl AsRef<Path>) -> Result<Spec, SpecError> {
    let path = path.as_ref();
    let text = read_spec(path)?;
    load_spec_str(&path.display().to_string(), &text)
}

/// The text of the spec at `path`: at most [`MAX_SPEC_BYTES`] of UTF-8, without a byte-order mark.
pub fn read_spec(path: &Path) -> Result<String, SpecError> {
    use std::io::Read;
    let io = |source| SpecError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(io)?
        .take(MAX_SPEC_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_SPEC_BYTES {
        return Err(io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "larger than {} MiB; a spec is a text file people write",
                MAX_SPEC_BYTES / (1024 * 1024)
            ),
        )));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not UTF-8 (byte {})", e.utf8_error().valid_up_to()),
        ))
    })?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

/// Parses and checks spec text, keeping its source positions; `file` names it in messages.
pub fn load_spec_str(file: &str, text: &str) -> Result<Spec, SpecError> {
    let raw = parse_str(file, text)?;
    let form = resolve(&raw).map_err(|diagnostics| SpecError::Invalid {
        file: file.to_string(),
        source_text: text.to_string(),
        diagnostics,
    })?;
    Ok(Spec {
        file: file.to_string(),
        raw,
        form,
    })
}

/// Parses spec text into the surface model, without semantic checks.
pub fn parse_str(file: &str, text: &str) -> Result<SpecFile, SpecError> {
    serde_saphyr::from_str::<SpecFile>(text).map_err(|e| {
        let pos = e
            .location()
            .map(|l| Pos {
                line: u32::try_from(l.line()).unwrap_or(u32::MAX),
                column: u32::try_from(l.column()).unwrap_or(u32::MAX),
            })
            .unwrap_or_default();
        let message = serde_saphyr::DefaultMessageFormatter
            .format_message(&e)
            .into_owned();
        let help = shape_help(&message);
        let mut d = Diagnostic::new(pos, message);
        if let Some(h) = help {
            d = d.help(h);
        }
        SpecError::Invalid {
            file: file.to_string(),
            source_text: text.to_string(),
            diagnostics: vec![d],
        }
    })
}

fn shape_help(message: &str) -> Option<&'static str> {
    if message.contains("unknown field") {
        Some(
            "check the key's spelling; `formwork spec-schema` prints every key the spec language knows",
        )
    } else if message.contains("missing field") {
        Some("add the missing key")
    } else if message.contains("duplicate") {
        Some("remove one of the two entries")
    } else {
        None
    }
}

/// Checks a parsed spec and resolves it into the [`Form`] IR, or returns every problem found.
pub fn resolve(raw: &SpecFile) -> Result<Form, Vec<Diagnostic>> {
    let mut cx = Checker::default();
    let form = cx.form(raw);
    if cx.diags.is_empty() {
        Ok(form)
    } else {
        cx.diags.sort_by_key(|d| d.pos);
        Err(cx.diags)
    }
}

#[derive(Default)]
struct Checker {
    diags: Vec<Diagnostic>,
    stages: Vec<String>,
    lists: HashMap<String, ValueList>,
    /// How many times each enclosing group may repeat the fields being checked.
    repeats: Vec<u64>,
    /// Every CEL expression's worst-case cost per submission, where it is written.
    costs: Vec<(Pos, u64)>,
    /// The variables every CEL expression may read besides its own: `lists`, the shared lists
    /// fields use ([`Form::shared_lists`]).
    globals: Vec<(String, crate::expr::Shape)>,
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}

/// What a condition belongs to: a field or a section, by id.
#[derive(Clone, Copy)]
enum Owner<'a> {
    Field(&'a Located<String>),
    Section(&'a Located<String>),
}

const KINDS: &[&str] = &[
    "text",
    "long_text",
    "email",
    "url",
    "secret",
    "json",
    "number",
    "boolean",
    "choice",
    "file",
    "image",
    "object",
    "group",
];

impl Checker {
    fn err(&mut self, pos: Pos, message: impl Into<String>, help: impl Into<String>) {
        self.diags.push(Diagnostic::new(pos, message).help(help));
    }

    fn ident(&mut self, id: &Located<String>, what: &str) {
        if !is_ident(id) {
            self.err(
                id.pos,
                format!("{what} id `{}` is not a valid identifier", id.value),
                "use snake_case: a lower-case letter, then lower-case letters, digits or `_`",
            );
        }
    }

    fn unique<'a>(
        &mut self,
        seen: &mut HashMap<&'a str, Pos>,
        id: &'a Located<String>,
        what: &str,
    ) {
        if let Some(first) = seen.get(id.as_str()) {
            let first = *first;
            self.err(
                id.pos,
                format!(
                    "duplicate {what} id `{}` (first declared at line {})",
                    id.value, first.line
                ),
                format!("give each {what} a unique id"),
            );
        } else {
            seen.insert(id.as_str(), id.pos);
        }
    }

    fn form(&mut self, raw: &SpecFile) -> Form {
        self.ident(&raw.form.id, "form");
        let mut seen = HashMap::new();
        for s in &raw.stages {
            self.ident(&s.id, "stage");
            self.unique(&mut seen, &s.id, "stage");
        }
        if raw.stages.is_empty() {
            self.err(
                Pos { line: 1, column: 1 },
                "the spec declares no stages",
                "add `stages:` with at least one stage, e.g. `- {id: submit, label: Submit}`",
            );
        }
        if raw.stages.len() > 64 {
            self.err(
                raw.stages[64].id.pos,
                "a spec may declare at most 64 stages",
                "merge stages",
            );
        }
        self.stages = raw.stages.iter().map(|s| s.id.value.clone()).collect();

        let mut seen = HashMap::new();
        for l in &raw.lists {
            self.ident(&l.id, "value list");
            self.unique(&mut seen, &l.id, "value list");
            let values = self.choices(&l.values, l.id.pos, &l.id);
            self.lists.insert(
                l.id.value.clone(),
                ValueList {
                    id: l.id.value.clone(),
                    shared: true,
                    values,
                },
            );
        }

        // CEL reads the shared lists that fields use (as the runtime derives them from the IR).
        fn used<'a>(fields: &'a [FieldDef], out: &mut Vec<&'a str>) {
            for f in fields {
                if let Some(l) = &f.list {
                    out.push(l.as_str());
                }
                used(f.fields.as_deref().unwrap_or_default(), out);
                for variant in f.variants.iter().flat_map(|v| v.value.values()) {
                    used(variant, out);
                }
            }
        }
        let mut used_ids = Vec::new();
        for s in &raw.sections {
            used(&s.fields, &mut used_ids);
        }
        let used_lists: Vec<&ValueList> = raw
            .lists
            .iter()
            .filter(|l| used_ids.contains(&l.id.as_str()))
            .filter_map(|l| self.lists.get(l.id.as_str()))
            .collect();
        self.globals = vec![(
            crate::expr::LISTS.to_string(),
            crate::expr::Shape::of_lists(used_lists.into_iter()),
        )];

        let mut section_ids = HashMap::new();
        let mut field_ids: HashMap<&str, Pos> = HashMap::new();
        let mut sections = Vec::new();
        for s in &raw.sections {
            self.ident(&s.id, "section");
            self.unique(&mut section_ids, &s.id, "section");
            for f in &s.fields {
                self.unique(&mut field_ids, &f.id, "field");
            }
            if s.fields.is_empty() {
                self.err(
                    s.id.pos,
                    format!("section `{}` has no fields", s.id.value),
                    "add fields or remove the section",
                );
            }
            let fields: Vec<Field> = s.fields.iter().map(|f| self.field(f)).collect();
            sections.push(Section {
                id: s.id.value.clone(),
                title: s.title.clone(),
                description: s.description.clone(),
                required_when: None,
                shown_when: None,
                fields,
            });
        }

        // Top-level fields are siblings across sections: conditions name any of them.
        let resolved = {
            let defs: Vec<&FieldDef> = raw.sections.iter().flat_map(|s| &s.fields).collect();
            let built: Vec<&Field> = sections.iter().flat_map(|s| &s.fields).collect();
            self.conditions(&defs, &built)
        };
        let mut top: Vec<&mut Field> = sections.iter_mut().flat_map(|s| &mut s.fields).collect();
        for (i, required_when, shown_when) in resolved {
            if let Some(f) = top.get_mut(i) {
                f.required_when = required_when;
                f.shown_when = shown_when;
            }
        }
        // A section's conditions, on the same top-level fields, come before each field's own.
        // Most specs have none: then no scope is built.
        let any = raw
            .sections
            .iter()
            .any(|s| s.required_when.is_some() || s.shown_when.is_some());
        let section_conditions: Vec<(Option<Condition>, Option<Condition>)> = if !any {
            Vec::new()
        } else {
            let built: Vec<&Field> = sections.iter().flat_map(|s| &s.fields).collect();
            let scope = crate::expr::Shape::of_fields(built.iter().copied());
            raw.sections
                .iter()
                .map(|s| {
                    let mut resolve = |c: &Option<Box<ConditionDef>>| {
                        c.as_deref()
                            .and_then(|c| self.condition(c, Owner::Section(&s.id), &built, &scope))
                    };
                    (resolve(&s.required_when), resolve(&s.shown_when))
                })
                .collect()
        };
        for (section, (required_when, shown_when)) in sections.iter_mut().zip(section_conditions) {
            for f in &mut section.fields {
                if let Some(c) = &shown_when {
                    f.shown_when = Some(both(c.clone(), f.shown_when.take()));
                }
                if let Some(c) = required_when.as_ref().filter(|_| !f.required.is_empty()) {
                    f.required_when = Some(both(c.clone(), f.required_when.take()));
                }
            }
            section.required_when = required_when;
            section.shown_when = shown_when;
        }

        self.renames(
            raw.sections
                .iter()
                .flat_map(|s| &s.fields)
                .map(|f| (&f.id, f.renamed_from.as_ref())),
            "field",
        );

        let mut issued = Vec::new();
        let mut issued_ids = HashMap::new();
        for i in &raw.issued {
            self.ident(&i.id, "issued value");
            self.unique(&mut issued_ids, &i.id, "issued value");
            if field_ids.contains_key(i.id.as_str()) {
                self.err(i.id.pos, format!("issued value `{}` has the id of a field", i.id.value), "issued values are assigned by the server and never submitted: give it an id no field uses");
            }
            issued.push(Issued {
                id: i.id.value.clone(),
                label: i.label.clone(),
                generate: i.generate,
            });
        }

        let mut form = Form {
            id: raw.form.id.value.clone(),
            title: raw.form.title.clone(),
            description: raw.form.description.clone(),
            version: raw.form.version.clone(),
            stages: raw
                .stages
                .iter()
                .map(|s| Stage {
                    id: s.id.value.clone(),
                    label: s.label.clone(),
                    status: s.status.clone(),
                    ratchet: s.ratchet,
                    from: s.from.as_ref().map(|f| f.value.clone()).unwrap_or_default(),
                })
                .collect(),
            sections,
            rules: Vec::new(),
            issued,
            lists: raw.lists.iter().map(|l| l.id.value.clone()).collect(),
            migrations: Vec::new(),
            roles: Vec::new(),
            transitions: Vec::new(),
        };
        let mut rule_ids = HashMap::new();
        // What CEL rules see as `self`, derived once for all of them.
        let submission = crate::expr::Shape::of_form(&form);
        for r in &raw.rules {
            self.ident(&r.id, "rule");
            self.unique(&mut rule_ids, &r.id, "rule");
            if let Some(rule) = self.rule(r, &form, &submission) {
                form.rules.push(rule);
            }
        }
        for m in &raw.migrations {
            if let Some(step) = self.migration(m, &form) {
                form.migrations.push(step);
            }
        }
        self.workflow(raw, &mut form);
        self.total_cost();
        form
    }

    /// Roles, transitions and the stages' `from`: every role and status named is declared,
    /// and every status can be reached from a new record.
    fn workflow(&mut self, raw: &SpecFile, form: &mut Form) {
        let mut seen = HashMap::new();
        for r in &raw.roles {
            self.ident(&r.id, "role");
            self.unique(&mut seen, &r.id, "role");
            form.roles.push(Role {
                id: r.id.value.clone(),
                label: r.label.clone(),
            });
        }
        let stage_statuses: Vec<String> = form
            .stage_statuses()
            .into_iter()
            .map(String::from)
            .collect();
        let mut known: Vec<String> = stage_statuses.clone();
        for t in &raw.transitions {
            if !known.contains(&t.to.value) {
                known.push(t.to.value.clone());
            }
        }
        let role_ids: Vec<&str> = raw.roles.iter().map(|r| r.id.as_str()).collect();
        let check_status = |cx: &mut Checker, status: &str, pos: Pos, what: &str| {
            if !known.iter().any(|k| k == status) {
                let help =
                    did_you_mean(status, known.iter().map(String::as_str)).unwrap_or_else(|| {
                        format!(
                            "statuses are set by stages or transitions: {}",
                            known.join(", ")
                        )
                    });
                cx.err(pos, format!("{what} names unknown status `{status}`"), help);
            }
        };
        for s in &raw.stages {
            if let Some(from) = &s.from {
                for status in &from.value {
                    check_status(self, status, from.pos, &format!("stage `{}`", s.id.value));
                }
            }
        }
        let mut seen = HashMap::new();
        for t in &raw.transitions {
            self.ident(&t.id, "transition");
            self.unique(&mut seen, &t.id, "transition");
            if !role_ids.contains(&t.role.as_str()) {
                let help = did_you_mean(&t.role, role_ids.iter().copied()).unwrap_or_else(|| {
                    "declare it under `roles:` (`- {id: reviewer, label: Reviewer}`)".to_string()
                });
                self.err(
                    t.role.pos,
                    format!(
                        "transition `{}` names unknown role `{}`",
                        t.id.value, t.role.value
                    ),
                    help,
                );
            }
            if t.from.is_empty() {
                self.err(
                    t.from.pos,
                    format!("transition `{}` applies to no status", t.id.value),
                    "list the statuses it applies to, e.g. `from: [in_review]`",
                );
            }
            for status in &t.from.value {
                check_status(
                    self,
                    status,
                    t.from.pos,
                    &format!("transition `{}`", t.id.value),
                );
            }
            let stage = t.stage.as_ref().and_then(|s| {
                let i = form.stage_index(s);
                if i.is_none() {
                    let ids: Vec<&str> = form.stages.iter().map(|x| x.id.as_str()).collect();
                    let help = did_you_mean(s, ids.iter().copied()).unwrap_or_else(|| {
                        format!("use one of the declared stages: {}", ids.join(", "))
                    });
                    self.err(
                        s.pos,
                        format!(
                            "transition `{}` names unknown stage `{}`",
                            t.id.value, s.value
                        ),
                        help,
                    );
                }
                i
            });
            form.transitions.push(Transition {
                id: t.id.value.clone(),
                label: t.label.clone(),
                role: t.role.value.clone(),
                from: t.from.value.clone(),
                to: t.to.value.clone(),
                comment: t.comment,
                stage,
            });
        }
        // Reachability: a new record gets any stage's status; a stage moves a record from its
        // `from` statuses (default: the stages' statuses); a transition from its `from`.
        let mut reached: Vec<String> = stage_statuses.clone();
        loop {
            let before = reached.len();
            for (i, s) in form.stages.iter().enumerate() {
                let status = stage_statuses[i].clone();
                let from_reached = s.from.is_empty() || s.from.iter().any(|f| reached.contains(f));
                if from_reached && !reached.contains(&status) {
                    reached.push(status);
                }
            }
            for t in &form.transitions {
                if t.from.iter().any(|f| reached.contains(f)) && !reached.contains(&t.to) {
                    reached.push(t.to.clone());
                }
            }
            if reached.len() == before {
                break;
            }
        }
        for t in &raw.transitions {
            if !reached.contains(&t.to.value) {
                self.err(
                    t.to.pos,
                    format!("status `{}` can never be reached: transition `{}` starts from statuses no record gets", t.to.value, t.id.value),
                    "start it from a status a stage or another transition sets",
                );
            }
        }
    }

    /// A migration step: exactly one key; drop_field names no current field, map/drop_value name
    /// a current choice field and a value it no longer offers (map: into one it offers).
    fn migration(&mut self, m: &MigrationDef, form: &Form) -> Option<Migration> {
        let given = [
            m.drop_field.is_some(),
            m.map_value.is_some(),
            m.drop_value.is_some(),
        ];
        if given.iter().filter(|g| **g).count() != 1 {
            let pos = m
                .drop_field
                .as_ref()
                .map(|l| l.pos)
                .or(m.map_value.as_ref().map(|v| v.field.pos))
                .or(m.drop_value.as_ref().map(|v| v.field.pos))
                .unwrap_or_default();
            self.err(
                pos,
                "a migration step has exactly one of `drop_field`, `map_value`, `drop_value`",
                "split it into one step per key",
            );
            return None;
        }
        if let Some(path) = &m.drop_field {
            let segs = field_path(path);
            if resolve_path(form, &segs).is_some() {
                self.err(
                    path.pos,
                    format!(
                        "`drop_field: {}` names a field the spec still has",
                        path.value
                    ),
                    "drop_field is for fields the spec no longer has; remove the step",
                );
                return None;
            }
            return Some(Migration::DropField { path: segs });
        }
        let (field, from, to) = match (&m.map_value, &m.drop_value) {
            (Some(v), _) => (&v.field, &v.from, Some(&v.to)),
            (_, Some(v)) => (&v.field, &v.value, None),
            _ => return None,
        };
        let segs = field_path(field);
        let list = match resolve_path(form, &segs).map(|f| &f.kind) {
            Some(Kind::Choice(c)) => &c.list,
            Some(_) => {
                self.err(
                    field.pos,
                    format!("`{}` is not a choice field", field.value),
                    "map_value and drop_value apply to choice fields",
                );
                return None;
            }
            None => {
                self.err(
                    field.pos,
                    format!("the spec has no field `{}`", field.value),
                    "name a choice field as FIELD, OBJECT.FIELD or GROUP[].FIELD",
                );
                return None;
            }
        };
        if list.get(from).is_some() {
            self.err(
                from.pos,
                format!("`{}` still offers `{}`", field.value, from.value),
                "migrations move stored values away from values the field no longer offers",
            );
            return None;
        }
        match to {
            Some(to) if list.get(to).is_none() => {
                let help = did_you_mean(to, list.values.iter().map(|v| v.id.as_str()))
                    .unwrap_or_else(|| format!("use one of: {}", ids(list)));
                self.err(
                    to.pos,
                    format!("`{}` does not offer `{}`", field.value, to.value),
                    help,
                );
                None
            }
            Some(to) => Some(Migration::MapValue {
                path: segs,
                from: from.value.clone(),
                to: to.value.clone(),
            }),
            None => Some(Migration::DropValue {
                path: segs,
                value: from.value.clone(),
            }),
        }
    }

    fn choices(&mut self, values: &[ChoiceDef], pos: Pos, owner: &Located<String>) -> Vec<Choice> {
        if values.is_empty() {
            self.err(
                pos,
                format!("value list `{}` is empty", owner.value),
                "list at least one value (`- {id: ..., label: ...}`)",
            );
        }
        let mut seen = HashMap::new();
        for v in values {
            if v.id.trim().is_empty() {
                self.err(
                    v.id.pos,
                    "a value id is blank",
                    "give the value a non-blank id",
                );
            }
            self.unique(&mut seen, &v.id, "value");
        }
        self.renames(
            values.iter().map(|v| (&v.id, v.renamed_from.as_ref())),
            "value",
        );
        values
            .iter()
            .map(|v| Choice {
                id: v.id.value.clone(),
                label: v.label.clone(),
                renamed_from: v.renamed_from.as_ref().map(|r| r.value.clone()),
            })
            .collect()
    }

    /// `renamed_from` of siblings (fields at one level, or the values of one list): each names
    /// an old id that no sibling still has, and no two name the same one.
    fn renames<'a>(
        &mut self,
        items: impl Iterator<Item = (&'a Located<String>, Option<&'a Located<String>>)> + Clone,
        what: &str,
    ) {
        let mut seen: HashMap<&str, Pos> = HashMap::new();
        for (id, from) in items.clone() {
            let Some(from) = from else { continue };
            if from.value == id.value {
                self.err(
                    from.pos,
                    format!("{what} `{}` is renamed from itself", id.value),
                    "remove `renamed_from`, or name the id it had before",
                );
            } else if items.clone().any(|(other, _)| other.value == from.value) {
                self.err(
                    from.pos,
                    format!(
                        "{what} `{}` is renamed from `{}`, but `{}` is still a {what} here",
                        id.value, from.value, from.value
                    ),
                    "a rename replaces the old id: remove the old one, or drop `renamed_from`",
                );
            } else if let Some(first) = seen.insert(from.value.as_str(), from.pos) {
                self.err(
                    from.pos,
                    format!(
                        "two {what}s are renamed from `{}` (the first at line {})",
                        from.value, first.line
                    ),
                    "only one new id can take over an old one",
                );
            }
        }
    }

    /// The stages a check or rule applies at (`None`: every stage, also when all are listed);
    /// one that applies at no stage is an error.
    fn applies_at(&mut self, def: Option<&Located<StagesDef>>, what: &str) -> Option<StageSet> {
        let def = def?;
        let set = self.stage_set(def);
        if set.is_empty() {
            // Unknown stage ids were reported by `stage_set`.
            if matches!(&def.value, StagesDef::All(false))
                || matches!(&def.value, StagesDef::List(ids) if ids.is_empty())
            {
                self.err(
                    def.pos,
                    format!("this {what} applies at no stage"),
                    format!(
                        "name the stages it applies at (e.g. `stages: {}`), or remove the {what}",
                        self.stages.last().map_or("review", String::as_str)
                    ),
                );
            }
            return None;
        }
        (!set.is_all(self.stages.len())).then_some(set)
    }

    fn stage_set(&mut self, def: &Located<StagesDef>) -> StageSet {
        let mut bits = 0u64;
        let known = |cx: &mut Checker, id: &str| -> Option<usize> {
            let i = cx.stages.iter().position(|s| s == id);
            if i.is_none() {
                let list = cx.stages.join(", ");
                let help = did_you_mean(id, cx.stages.iter().map(String::as_str))
                    .unwrap_or_else(|| format!("use one of the declared stages: {list}"));
                cx.err(def.pos, format!("unknown stage `{id}`"), help);
            }
            i
        };
        match &def.value {
            StagesDef::All(true) => {
                for i in 0..self.stages.len() {
                    bits |= 1 << i;
                }
            }
            StagesDef::All(false) => {}
            StagesDef::From(id) => {
                if let Some(i) = known(self, id) {
                    for j in i..self.stages.len() {
                        bits |= 1 << j;
                    }
                }
            }
            StagesDef::List(ids) => {
                for id in ids {
                    if let Some(i) = known(self, id) {
                        bits |= 1 << i;
                    }
                }
            }
        }
        StageSet(bits)
    }

    /// Reports constraint keys given for a kind they do not apply to.
    fn not_for(&mut self, f: &FieldDef, kind: &str, keys: &[(&str, bool, Pos)]) {
        for (key, given, pos) in keys {
            if *given {
                let pos = if *pos == Pos::default() {
                    f.id.pos
                } else {
                    *pos
                };
                self.err(
                    pos,
                    format!("`{key}` does not apply to `{kind}` field `{}`", f.id.value),
                    format!("remove `{key}`, or change the field's kind"),
                );
            }
        }
    }

    fn min_max<T: PartialOrd + std::fmt::Display + Copy>(
        &mut self,
        min: &Option<Located<T>>,
        max: &Option<Located<T>>,
        what: &str,
        field: &str,
    ) {
        if let (Some(lo), Some(hi)) = (min, max)
            && lo.value > hi.value
        {
            self.err(
                hi.pos,
                format!(
                    "field `{field}`: max {what} {} is less than min {what} {}",
                    hi.value, lo.value
                ),
                format!("make max {what} at least min {what}"),
            );
        }
    }

    fn field(&mut self, f: &FieldDef) -> Field {
        self.ident(&f.id, "field");
        if let Some(from) = &f.renamed_from {
            self.ident(from, "field");
        }
        let kind_name = f.kind.as_str();
        let known_kind = KINDS.contains(&kind_name);
        if !known_kind {
            let help = did_you_mean(kind_name, KINDS.iter().copied())
                .unwrap_or_else(|| format!("use one of: {}", KINDS.join(", ")));
            self.err(
                f.kind.pos,
                format!("unknown field kind `{kind_name}`"),
                help,
            );
        }
        let required = match (&f.required, &f.required_when) {
            (Some(r), _) => self.stage_set(r),
            // `required_when` alone: required at every stage when the condition holds.
            (None, Some(_)) => StageSet::all(self.stages.len()),
            (None, None) => StageSet::NONE,
        };
        let p = |o: &Option<Located<u32>>| o.as_ref().map(|l| l.pos).unwrap_or_default();
        let is_text = matches!(
            kind_name,
            "text" | "long_text" | "email" | "url" | "secret" | "json"
        );
        let text_keys = [
            ("min_length", f.min_length.is_some(), p(&f.min_length)),
            ("max_length", f.max_length.is_some(), p(&f.max_length)),
            (
                "pattern",
                f.pattern.is_some(),
                f.pattern.as_ref().map(|l| l.pos).unwrap_or_default(),
            ),
        ];
        let url_keys = [
            (
                "schemes",
                f.schemes.is_some(),
                f.schemes.as_ref().map(|l| l.pos).unwrap_or_default(),
            ),
            (
                "hosts",
                f.hosts.is_some(),
                f.hosts.as_ref().map(|l| l.pos).unwrap_or_default(),
            ),
        ];
        let json_keys = [(
            "json_type",
            f.json_type.is_some(),
            f.json_type.as_ref().map(|l| l.pos).unwrap_or_default(),
        )];
        let number_keys = [
            (
                "minimum",
                f.minimum.is_some(),
                f.minimum.as_ref().map(|l| l.pos).unwrap_or_default(),
            ),
            (
                "maximum",
                f.maximum.is_some(),
                f.maximum.as_ref().map(|l| l.pos).unwrap_or_default(),
            ),
            ("integer", f.integer.is_some(), Pos::default()),
        ];
        let choice_keys = [
            (
                "list",
                f.list.is_some(),
                f.list.as_ref().map(|l| l.pos).unwrap_or_default(),
            ),
            ("values", f.values.is_some(), Pos::default()),
            ("distinct", f.distinct.is_some(), Pos::default()),
        ];
        let items_keys = [
            ("min_items", f.min_items.is_some(), p(&f.min_items)),
            ("max_items", f.max_items.is_some(), p(&f.max_items)),
        ];
        let multiple_keys = [("multiple", f.multiple.is_some(), Pos::default())];
        let file_keys = [
            (
                "media_types",
                f.media_types.is_some(),
                f.media_types.as_ref().map(|l| l.pos).unwrap_or_default(),
            ),
            (
                "max_bytes",
                f.max_bytes.is_some(),
                f.max_bytes.as_ref().map(|l| l.pos).unwrap_or_default(),
            ),
        ];
        let image_keys = [
            ("min_width", f.min_width.is_some(), p(&f.min_width)),
            ("min_height", f.min_height.is_some(), p(&f.min_height)),
            ("max_width", f.max_width.is_some(), p(&f.max_width)),
            ("max_height", f.max_height.is_some(), p(&f.max_height)),
            (
                "aspect_ratio",
                f.aspect_ratio.is_some(),
                f.aspect_ratio.as_ref().map(|l| l.pos).unwrap_or_default(),
            ),
            ("sizes", f.sizes.is_some(), Pos::default()),
        ];
        let bool_keys = [(
            "must_be_true",
            f.must_be_true.is_some(),
            f.must_be_true.as_ref().map(|l| l.pos).unwrap_or_default(),
        )];
        let sub_keys = [
            ("fields", f.fields.is_some(), Pos::default()),
            (
                "kind_field",
                f.kind_field.is_some(),
                f.kind_field.as_ref().map(|l| l.pos).unwrap_or_default(),
            ),
            (
                "variants",
                f.variants.is_some(),
                f.variants.as_ref().map(|l| l.pos).unwrap_or_default(),
            ),
        ];
        let group_keys = [("item_label", f.item_label.is_some(), Pos::default())];

        if known_kind {
            if !is_text {
                self.not_for(f, kind_name, &text_keys);
            }
            if kind_name != "url" {
                self.not_for(f, kind_name, &url_keys);
            }
            if kind_name != "json" {
                self.not_for(f, kind_name, &json_keys);
            }
            if kind_name != "number" {
                self.not_for(f, kind_name, &number_keys);
            }
            if kind_name != "choice" {
                self.not_for(f, kind_name, &choice_keys);
            }
            let multi = f.multiple.unwrap_or(false);
            if !matches!(kind_name, "choice" | "file" | "image") {
                self.not_for(f, kind_name, &multiple_keys);
            }
            if !(kind_name == "group"
                || (matches!(kind_name, "choice" | "file" | "image") && multi))
            {
                self.not_for(f, kind_name, &items_keys);
            }
            if !matches!(kind_name, "file" | "image") {
                self.not_for(f, kind_name, &file_keys);
            }
            if kind_name != "image" {
                self.not_for(f, kind_name, &image_keys);
            }
            if kind_name != "boolean" {
                self.not_for(f, kind_name, &bool_keys);
            }
            if !matches!(kind_name, "object" | "group") {
                self.not_for(f, kind_name, &sub_keys);
            }
            if kind_name != "group" {
                self.not_for(f, kind_name, &group_keys);
            }
        }
        self.min_max(&f.min_length, &f.max_length, "length", &f.id);
        self.min_max(&f.min_items, &f.max_items, "items", &f.id);
        self.min_max(&f.minimum, &f.maximum, "value", &f.id);

        let kind = match kind_name {
            "number" => Kind::Number(NumberRules {
                integer: f.integer.unwrap_or(false),
                minimum: f.minimum.as_ref().map(|l| l.value),
                maximum: f.maximum.as_ref().map(|l| l.value),
            }),
            "boolean" => Kind::Boolean(BooleanRules {
                must_be_true: f
                    .must_be_true
                    .as_ref()
                    .map(|s| self.stage_set(s))
                    .unwrap_or_default(),
            }),
            "choice" => Kind::Choice(self.choice(f)),
            "file" | "image" => Kind::File(self.file(f, kind_name == "image")),
            "object" | "group" => {
                let subs = match &f.fields {
                    Some(subs) if !subs.is_empty() => subs,
                    _ => {
                        self.err(
                            f.kind.pos,
                            format!("`{kind_name}` field `{}` has no sub-fields", f.id.value),
                            "add `fields:` with at least one field",
                        );
                        &Vec::new()
                    }
                };
                let mut seen = HashMap::new();
                for s in subs {
                    self.unique(&mut seen, &s.id, "field");
                }
                if kind_name == "group" {
                    self.repeats.push(
                        f.max_items
                            .as_ref()
                            .map_or(crate::expr::shape::MAX_LIST_ITEMS, |m| u64::from(m.value)),
                    );
                }
                let mut fields: Vec<Field> = subs.iter().map(|s| self.field(s)).collect();
                // Each variant's fields follow the shared ones, in the order of the kind's values.
                let (kind_field, variant_defs) = self.variants(f, &fields);
                for (_, d) in &variant_defs {
                    self.unique(&mut seen, &d.id, "field");
                }
                let defs: Vec<&FieldDef> = subs
                    .iter()
                    .chain(variant_defs.iter().map(|(_, d)| *d))
                    .collect();
                self.renames(
                    defs.iter().map(|s| (&s.id, s.renamed_from.as_ref())),
                    "field",
                );
                fields.extend(variant_defs.iter().map(|(_, d)| self.field(d)));
                let resolved = {
                    let built: Vec<&Field> = fields.iter().collect();
                    self.conditions(&defs, &built)
                };
                for (i, required_when, shown_when) in resolved {
                    if let Some(f) = fields.get_mut(i) {
                        f.required_when = required_when;
                        f.shown_when = shown_when;
                    }
                }
                if let Some(kind) = &kind_field {
                    for (field, (variant, _)) in fields[subs.len()..].iter_mut().zip(&variant_defs)
                    {
                        let own = field.shown_when.take();
                        field.shown_when = Some(variant_condition(kind, variant, own));
                        field.variant = Some(variant.clone());
                    }
                }
                if kind_name == "group" {
                    self.repeats.pop();
                }
                if kind_name == "object" {
                    Kind::Object(ObjectRules { fields, kind_field })
                } else {
                    Kind::Group(GroupRules {
                        fields,
                        kind_field,
                        item_label: f.item_label.clone().unwrap_or_else(|| "item".to_string()),
                        min_items: f.min_items.as_ref().map(|l| l.value),
                        max_items: f.max_items.as_ref().map(|l| l.value),
                    })
                }
            }
            _ => Kind::Text(self.text(f, kind_name)),
        };

        let checks = f
            .checks
            .iter()
            .filter_map(|c| self.check(c, f, kind_name, &kind))
            .collect();
        let mut field = Field {
            id: f.id.value.clone(),
            label: f.label.clone(),
            help: f.help.clone(),
            example: f.example.clone(),
            required,
            default: None,
            kind,
            checks,
            messages: f.messages.clone(),
            renamed_from: f.renamed_from.as_ref().map(|r| r.value.clone()),
            required_when: None,
            shown_when: None,
            variant: None,
        };
        if let Some(d) = &f.default {
            if let Err(why) = default_fits(&field, &d.value) {
                self.err(
                    d.pos,
                    format!("default of field `{}`: {why}", f.id.value),
                    "change the default to a value the field accepts, or remove it",
                );
            }
            field.default = Some(d.value.clone());
        }
        field
    }

    /// The kind field and the variants' field definitions of object or group `f` (whose shared
    /// fields are built as `shared`), each with its variant, in the order of the kind's values.
    fn variants<'d>(
        &mut self,
        f: &'d FieldDef,
        shared: &[Field],
    ) -> (Option<String>, Vec<(String, &'d FieldDef)>) {
        let (kind, variants) = match (&f.kind_field, &f.variants) {
            (None, None) => return (None, Vec::new()),
            (Some(k), Some(v)) => (k, v),
            (Some(k), None) => {
                self.err(
                    k.pos,
                    format!("field `{}` has a `kind_field` but no `variants`", f.id.value),
                    "add `variants:` with the fields of each value of the kind field, or remove `kind_field`",
                );
                return (None, Vec::new());
            }
            (None, Some(v)) => {
                self.err(
                    v.pos,
                    format!("field `{}` has `variants` but no `kind_field`", f.id.value),
                    "add `kind_field:` naming the choice field (among `fields`) whose value picks the variant",
                );
                return (None, Vec::new());
            }
        };
        let Some(field) = shared.iter().find(|s| s.id == kind.value) else {
            let ids = shared.iter().map(|s| s.id.as_str());
            let help = did_you_mean(kind, ids.clone()).unwrap_or_else(|| {
                format!(
                    "name one of the shared `fields`: {}",
                    ids.collect::<Vec<_>>().join(", ")
                )
            });
            self.err(
                kind.pos,
                format!(
                    "the `kind_field` of `{}` is `{}`, which is not one of its `fields`",
                    f.id.value, kind.value
                ),
                help,
            );
            return (None, Vec::new());
        };
        let list = match &field.kind {
            Kind::Choice(c) if !c.multiple => &c.list,
            _ => {
                self.err(
                    kind.pos,
                    format!(
                        "the kind field `{}` of `{}` is not a single `choice`",
                        kind.value, f.id.value
                    ),
                    "make it a `choice` (without `multiple`) whose values name the variants",
                );
                return (None, Vec::new());
            }
        };
        let def = f.fields.iter().flatten().find(|d| d.id.value == kind.value);
        let conditional = def.is_some_and(|d| d.required_when.is_some() || d.shown_when.is_some());
        if !field.required.is_all(self.stages.len()) || conditional {
            self.err(
                kind.pos,
                format!(
                    "the kind field `{}` of `{}` must be required at every stage, without conditions",
                    kind.value, f.id.value
                ),
                "give it `required: true`: every item must say which variant it is",
            );
        }
        for key in variants.value.keys() {
            if list.get(key).is_none() {
                let help = did_you_mean(key, list.values.iter().map(|c| c.id.as_str()))
                    .unwrap_or_else(|| {
                        format!("use the values of `{}`: {}", kind.value, ids(list))
                    });
                self.err(
                    key.pos,
                    format!(
                        "variant `{}` of `{}` is not a value of its kind field `{}`",
                        key.value, f.id.value, kind.value
                    ),
                    help,
                );
            }
        }
        let mut out = Vec::new();
        for choice in &list.values {
            match variants
                .value
                .get_key_value(&Located::new(choice.id.clone()))
            {
                Some((_, defs)) => out.extend(defs.iter().map(|d| (choice.id.clone(), d))),
                None => self.err(
                    variants.pos,
                    format!(
                        "value `{}` of the kind field `{}` has no entry in the `variants` of `{}`",
                        choice.id, kind.value, f.id.value
                    ),
                    format!("add `{}: []` if it has no fields of its own", choice.id),
                ),
            }
        }
        (Some(kind.value.clone()), out)
    }

    /// The `required_when` / `shown_when` of sibling fields `defs` (built as `fields`, in the
    /// same order), resolved: `(index, required_when, shown_when)` for each field that has one.
    #[allow(clippy::type_complexity)]
    fn conditions(
        &mut self,
        defs: &[&FieldDef],
        fields: &[&Field],
    ) -> Vec<(usize, Option<Condition>, Option<Condition>)> {
        let conditional = |d: &&&FieldDef| d.required_when.is_some() || d.shown_when.is_some();
        if !defs.iter().any(|d| conditional(&d)) {
            return Vec::new();
        }
        let scope = crate::expr::Shape::of_fields(fields.iter().copied());
        let mut out = Vec::new();
        for (i, def) in defs.iter().enumerate().filter(|(_, d)| conditional(d)) {
            let required_when = def
                .required_when
                .as_deref()
                .and_then(|c| self.condition(c, Owner::Field(&def.id), fields, &scope));
            let shown_when = def
                .shown_when
                .as_deref()
                .and_then(|c| self.condition(c, Owner::Field(&def.id), fields, &scope));
            out.push((i, required_when, shown_when));
        }
        out
    }

    /// One condition of `me` (a field or a section) on the fields beside it, `siblings` (whose
    /// CEL shape is `scope`).
    fn condition(
        &mut self,
        c: &ConditionDef,
        me: Owner<'_>,
        siblings: &[&Field],
        scope: &crate::expr::Shape,
    ) -> Option<Condition> {
        let (my_id, owner) = match me {
            Owner::Field(id) => (id, format!("field `{}`", id.value)),
            Owner::Section(id) => (id, format!("section `{}`", id.value)),
        };
        let forms = [
            c.field.is_some(),
            c.all.is_some(),
            c.any.is_some(),
            c.cel.is_some(),
        ];
        let tests = [c.is.is_some(), c.equals.is_some(), c.one_of.is_some()];
        let n_tests = tests.iter().filter(|t| **t).count();
        if forms.iter().filter(|f| **f).count() != 1
            || (c.field.is_some() != (n_tests == 1))
            || (c.field.is_none() && n_tests > 0)
        {
            self.err(
                c.field.as_ref().map_or(my_id.pos, |f| f.pos),
                format!("a condition of {owner} must be one of: `{{field: F, is: empty | not_empty}}`, `{{field: F, equals: V}}`, `{{field: F, one_of: [V, …]}}`, `{{all: […]}}`, `{{any: […]}}`, `{{cel: EXPR}}`"),
                "give exactly one of these forms",
            );
            return None;
        }
        if let Some(cs) = c.all.as_ref().or(c.any.as_ref()) {
            if cs.is_empty() {
                self.err(
                    my_id.pos,
                    format!("a condition of {owner} has an empty `all`/`any`"),
                    "list at least one condition",
                );
                return None;
            }
            let parts: Option<Vec<Condition>> = cs
                .iter()
                .map(|x| self.condition(x, me, siblings, scope))
                .collect();
            let parts = parts?;
            return Some(if c.all.is_some() {
                Condition::All(parts)
            } else {
                Condition::Any(parts)
            });
        }
        if let Some(expr) = &c.cel {
            self.cel(expr, "self", scope);
            return Some(Condition::Cel(expr.value.clone()));
        }
        let f = c.field.as_ref()?;
        if matches!(me, Owner::Field(_)) && f.value == my_id.value {
            self.err(
                f.pos,
                format!("the condition of {owner} is about the field itself"),
                "name another field of the same object",
            );
            return None;
        }
        let Some(other) = siblings.iter().find(|s| s.id == f.value) else {
            let ids: Vec<&str> = siblings
                .iter()
                .map(|s| s.id.as_str())
                .filter(|id| *id != my_id.value)
                .collect();
            let help = did_you_mean(f, ids.iter().copied())
                .unwrap_or_else(|| format!("name a field of the same object: {}", ids.join(", ")));
            self.err(
                f.pos,
                format!(
                    "the condition of {owner} names `{}`, which is not a field beside it",
                    f.value
                ),
                help,
            );
            return None;
        };
        if let Some(is) = &c.is {
            return match is.as_str() {
                "empty" => Some(Condition::Empty(f.value.clone())),
                "not_empty" => Some(Condition::NotEmpty(f.value.clone())),
                other => {
                    let help = did_you_mean(other, ["empty", "not_empty"].into_iter())
                        .unwrap_or_else(|| "use `empty` or `not_empty`".to_string());
                    self.err(is.pos, format!("`is: {other}` is not a test"), help);
                    None
                }
            };
        }
        let values: Vec<(&serde_json::Value, Pos)> = match (&c.equals, &c.one_of) {
            (Some(v), _) => vec![(&v.value, v.pos)],
            (_, Some(vs)) if vs.value.is_empty() => {
                self.err(vs.pos, "`one_of` is empty", "list the values");
                return None;
            }
            (_, Some(vs)) => vs.value.iter().map(|v| (v, vs.pos)).collect(),
            _ => return None,
        };
        for (v, pos) in &values {
            let fits = match (&other.kind, v) {
                (Kind::Choice(ch), serde_json::Value::String(s)) => {
                    if ch.list.get(s).is_none() {
                        let help = did_you_mean(s, ch.list.values.iter().map(|x| x.id.as_str()))
                            .unwrap_or_else(|| format!("use one of the values of `{}`", other.id));
                        self.err(
                            *pos,
                            format!("`{s}` is not a value of `{}`", other.id),
                            help,
                        );
                        return None;
                    }
                    true
                }
                (Kind::Boolean(_), serde_json::Value::Bool(_))
                | (Kind::Number(_), serde_json::Value::Number(_))
                | (Kind::Text(_), serde_json::Value::String(_)) => true,
                _ => false,
            };
            if !fits {
                self.err(
                    *pos,
                    format!("`{v}` is not a value field `{}` can hold", other.id),
                    "compare with a value of the field's kind",
                );
                return None;
            }
        }
        Some(match &c.equals {
            Some(v) => Condition::Equals(f.value.clone(), v.value.clone()),
            None => Condition::OneOf(
                f.value.clone(),
                values.into_iter().map(|(v, _)| v.clone()).collect(),
            ),
        })
    }

    fn text(&mut self, f: &FieldDef, kind_name: &str) -> TextRules {
        let format = match kind_name {
            "long_text" => TextFormat::Long,
            "email" => TextFormat::Email,
            "secret" => TextFormat::Secret,
            "json" => {
                let json_type = f.json_type.as_ref().map(|t| t.value.clone());
                if let Some(t) = &f.json_type
                    && !matches!(
                        t.as_str(),
                        "object" | "array" | "string" | "number" | "boolean"
                    )
                {
                    self.err(
                        t.pos,
                        format!("unknown JSON type `{}`", t.value),
                        "use one of: object, array, string, number, boolean",
                    );
                }
                TextFormat::Json { json_type }
            }
            "url" => {
                let schemes = match &f.schemes {
                    Some(s) => {
                        if s.is_empty() {
                            self.err(
                                s.pos,
                                "`schemes` is empty",
                                "list at least one scheme, e.g. [https]",
                            );
                        }
                        s.iter().map(|x| x.to_ascii_lowercase()).collect()
                    }
                    None => vec!["http".to_string(), "https".to_string()],
                };
                let hosts = f
                    .hosts
                    .as_ref()
                    .map(|h| h.iter().map(|x| x.to_ascii_lowercase()).collect())
                    .unwrap_or_default();
                TextFormat::Url { schemes, hosts }
            }
            _ => TextFormat::Plain,
        };
        if let Some(p) = &f.pattern
            && let Err(e) = regex::Regex::new(p)
        {
            let first = e
                .to_string()
                .lines()
                .last()
                .unwrap_or("")
                .trim()
                .to_string();
            self.err(
                p.pos,
                format!(
                    "pattern of field `{}` is not a valid regular expression: {first}",
                    f.id.value
                ),
                "write the pattern in Rust regex syntax (https://docs.rs/regex)",
            );
        }
        TextRules {
            format,
            min_length: f.min_length.as_ref().map(|l| l.value),
            max_length: f.max_length.as_ref().map(|l| l.value),
            pattern: f.pattern.as_ref().map(|p| p.value.clone()),
        }
    }

    fn choice(&mut self, f: &FieldDef) -> ChoiceRules {
        let list = match (&f.list, &f.values) {
            (Some(id), None) => match self.lists.get(id.as_str()) {
                Some(l) => l.clone(),
                None => {
                    let mut known: Vec<&str> = self.lists.keys().map(String::as_str).collect();
                    known.sort_unstable();
                    let help = if known.is_empty() {
                        "declare the list under `lists:`".to_string()
                    } else {
                        did_you_mean(id, known.iter().copied()).unwrap_or_else(|| {
                            format!("use one of the declared lists: {}", known.join(", "))
                        })
                    };
                    self.err(id.pos, format!("unknown value list `{}`", id.value), help);
                    ValueList {
                        id: id.value.clone(),
                        shared: true,
                        values: Vec::new(),
                    }
                }
            },
            (None, Some(values)) => ValueList {
                id: f.id.value.clone(),
                shared: false,
                values: self.choices(values, f.id.pos, &f.id),
            },
            (Some(id), Some(_)) => {
                self.err(
                    id.pos,
                    format!("choice field `{}` has both `list` and `values`", f.id.value),
                    "keep one: `list: NAME` for a shared list, or inline `values:`",
                );
                ValueList {
                    id: id.value.clone(),
                    shared: true,
                    values: Vec::new(),
                }
            }
            (None, None) => {
                self.err(
                    f.kind.pos,
                    format!("choice field `{}` has no values", f.id.value),
                    "add `list: NAME` (a list under `lists:`) or inline `values:`",
                );
                ValueList {
                    id: f.id.value.clone(),
                    shared: false,
                    values: Vec::new(),
                }
            }
        };
        let multiple = f.multiple.unwrap_or(false);
        ChoiceRules {
            list,
            multiple,
            min_items: f.min_items.as_ref().map(|l| l.value),
            max_items: f.max_items.as_ref().map(|l| l.value),
            distinct: f.distinct.unwrap_or(true),
        }
    }

    fn file(&mut self, f: &FieldDef, image: bool) -> FileRules {
        let media_types: Vec<String> = f
            .media_types
            .as_ref()
            .map(|m| {
                for t in m.iter() {
                    let ok = t
                        .split_once('/')
                        .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty() && !b.contains('/'));
                    if !ok {
                        self.err(
                            m.pos,
                            format!("`{t}` is not a media type"),
                            "write media types as `type/subtype`, e.g. image/png",
                        );
                    }
                }
                m.iter().map(|t| t.to_ascii_lowercase()).collect()
            })
            .unwrap_or_default();
        for max in [&f.max_width, &f.max_height].into_iter().flatten() {
            if max.value == 0 || max.value > MAX_IMAGE_SIDE {
                self.err(
                    max.pos,
                    format!(
                        "an image side of {} pixels is outside 1 to {MAX_IMAGE_SIDE}",
                        max.value
                    ),
                    format!("formwork accepts no image larger than {MAX_IMAGE_SIDE} pixels on a side (the default); give a smaller maximum or none"),
                );
            }
        }
        self.min_max(&f.min_width, &f.max_width, "width", &f.id);
        self.min_max(&f.min_height, &f.max_height, "height", &f.id);
        let aspect_ratio = f.aspect_ratio.as_ref().and_then(|r| {
            let parsed = parse_pair(r, ':');
            if parsed.is_none() {
                self.err(
                    r.pos,
                    format!("aspect ratio `{}` is not `W:H`", r.value),
                    "write it as two positive whole numbers, e.g. 16:10",
                );
            }
            parsed
        });
        let mut sizes = Vec::new();
        for s in f.sizes.iter().flatten() {
            match parse_pair(s, 'x') {
                Some((width, height)) => {
                    if let Some((rw, rh)) = aspect_ratio
                        && u64::from(width) * u64::from(rh) != u64::from(height) * u64::from(rw)
                    {
                        self.err(
                            s.pos,
                            format!(
                                "size {} does not have the field's aspect ratio {rw}:{rh}",
                                s.value
                            ),
                            "fix the size or the aspect ratio",
                        );
                    }
                    if f.min_width.as_ref().is_some_and(|m| width < m.value)
                        || f.min_height.as_ref().is_some_and(|m| height < m.value)
                    {
                        self.err(
                            s.pos,
                            format!("size {} is below the field's minimum width/height", s.value),
                            "fix the size or the minimum",
                        );
                    }
                    let max_w = f.max_width.as_ref().map_or(MAX_IMAGE_SIDE, |m| m.value);
                    let max_h = f.max_height.as_ref().map_or(MAX_IMAGE_SIDE, |m| m.value);
                    if width > max_w || height > max_h {
                        self.err(
                            s.pos,
                            format!("size {} is above the field's maximum width/height ({max_w}x{max_h})", s.value),
                            "fix the size or the maximum",
                        );
                    }
                    sizes.push(Size { width, height })
                }
                None => self.err(
                    s.pos,
                    format!("size `{}` is not `WxH`", s.value),
                    "write sizes as width x height in pixels, e.g. 1280x800",
                ),
            }
        }
        FileRules {
            image,
            multiple: f.multiple.unwrap_or(false),
            media_types,
            max_bytes: f.max_bytes.as_ref().map(|l| l.value),
            min_width: f.min_width.as_ref().map(|l| l.value),
            min_height: f.min_height.as_ref().map(|l| l.value),
            max_width: f.max_width.as_ref().map(|l| l.value),
            max_height: f.max_height.as_ref().map(|l| l.value),
            aspect_ratio,
            sizes,
            min_items: f.min_items.as_ref().map(|l| l.value),
            max_items: f.max_items.as_ref().map(|l| l.value),
        }
    }

    fn check(&mut self, c: &CheckDef, f: &FieldDef, kind_name: &str, kind: &Kind) -> Option<Check> {
        let given = [
            c.sentence_case.is_some(),
            c.scheme.is_some(),
            c.cel.is_some(),
        ];
        if given.iter().filter(|g| **g).count() != 1 {
            self.err(f.id.pos, format!("a check of field `{}` must have exactly one of `sentence_case`, `scheme`, `cel`", f.id.value), "split it into one check per test");
            return None;
        }
        let test = if let Some(sc) = &c.sentence_case {
            if !matches!(kind_name, "text" | "long_text") {
                self.err(
                    sc.pos,
                    format!(
                        "`sentence_case` does not apply to `{kind_name}` field `{}`",
                        f.id.value
                    ),
                    "use it on text fields",
                );
            }
            if !sc.value {
                self.err(
                    sc.pos,
                    "`sentence_case: false` checks nothing",
                    "remove the check",
                );
            }
            CheckTest::SentenceCase
        } else if let Some(s) = &c.scheme {
            if kind_name != "url" {
                self.err(
                    s.pos,
                    format!(
                        "`scheme` does not apply to `{kind_name}` field `{}`",
                        f.id.value
                    ),
                    "use it on url fields",
                );
            }
            CheckTest::Scheme(s.iter().map(|x| x.to_ascii_lowercase()).collect())
        } else {
            let expr = c.cel.as_ref()?;
            self.cel(expr, "value", &crate::expr::Shape::of_kind(kind));
            CheckTest::Cel(expr.value.clone())
        };
        let stages = self.applies_at(c.stages.as_ref(), "check");
        Some(Check {
            test,
            severity: c.severity,
            message: c.message.clone(),
            stages,
        })
    }

    /// Checks a CEL expression over `var` of shape `scope`, and counts its cost toward the
    /// spec's budget (times the items of the groups it sits in).
    fn cel(&mut self, expr: &Located<String>, var: &str, scope: &crate::expr::Shape) {
        self.cel_yielding(expr, var, scope, crate::expr::Yields::Bool);
    }

    /// [`Checker::cel`] for an expression that yields `yields`; the checked expression.
    fn cel_yielding(
        &mut self,
        expr: &Located<String>,
        var: &str,
        scope: &crate::expr::Shape,
        yields: crate::expr::Yields,
    ) -> Option<crate::expr::Checked> {
        match crate::expr::check_yielding(expr, var, scope, &self.globals, yields) {
            Ok(checked) => {
                let times = self.repeats.iter().fold(1u64, |a, r| a.saturating_mul(*r));
                self.costs
                    .push((expr.pos, checked.estimate.cost.saturating_mul(times)));
                Some(checked)
            }
            Err(e) => {
                self.err(expr.pos, e.message, e.help);
                None
            }
        }
    }

    /// Refuses a spec whose expressions together may cost more than the budget per submission.
    fn total_cost(&mut self) {
        let total = self
            .costs
            .iter()
            .fold(0u64, |a, (_, c)| a.saturating_add(*c));
        if total <= crate::expr::MAX_SPEC_COST {
            return;
        }
        let Some((pos, most)) = self.costs.iter().max_by_key(|(_, c)| *c).copied() else {
            return;
        };
        self.err(
            pos,
            format!(
                "the spec's CEL expressions may cost {total} units per submission, over the budget of {}; this one costs the most ({most}, counting the items of its groups)",
                crate::expr::MAX_SPEC_COST
            ),
            "lower `max_items` of the groups these expressions sit in or go through, or simplify the costliest expressions",
        );
    }

    fn item_field(&mut self, of: &Located<String>, form: &Form) -> Option<ItemField> {
        let Some((group, field)) = of.split_once("[].") else {
            self.err(
                of.pos,
                format!("`{}` is not `GROUP[].FIELD`", of.value),
                "name a repeated group and one of its fields, e.g. app_actions[].locations",
            );
            return None;
        };
        let Some(g) = form.field(group) else {
            self.err(
                of.pos,
                format!("rule names field `{group}`, which does not exist"),
                "use the id of a top-level repeated group",
            );
            return None;
        };
        let Kind::Group(rules) = &g.kind else {
            self.err(
                of.pos,
                format!("field `{group}` is not a repeated group"),
                "aggregate rules count over the items of a `group` field",
            );
            return None;
        };
        match rules.fields.iter().find(|s| s.id == field) {
            None => {
                let known: Vec<&str> = rules.fields.iter().map(|s| s.id.as_str()).collect();
                let help = did_you_mean(field, known.iter().copied())
                    .unwrap_or_else(|| format!("use one of: {}", known.join(", ")));
                self.err(
                    of.pos,
                    format!("group `{group}` has no field `{field}`"),
                    help,
                );
                None
            }
            Some(s) if !matches!(s.kind, Kind::Choice(_)) => {
                self.err(
                    of.pos,
                    format!("field `{group}[].{field}` is not a choice"),
                    "aggregate rules count the values of a choice field",
                );
                None
            }
            Some(_) => Some(ItemField {
                group: group.to_string(),
                field: field.to_string(),
            }),
        }
    }

    /// What an aggregate counts: each path a choice of a top-level group's items, all over the
    /// same value list (their counts add up), none twice.
    fn counted(&mut self, of: &Located<crate::raw::PathsDef>, form: &Form) -> Option<Counted> {
        let mut paths = Vec::new();
        for p in of.paths() {
            let located = Located {
                value: p.to_string(),
                pos: of.pos,
            };
            paths.push(self.item_field(&located, form)?);
        }
        let list_of = |p: &ItemField| {
            form.field(&p.group).and_then(|g| match &g.kind {
                Kind::Group(g) => g
                    .fields
                    .iter()
                    .find(|f| f.id == p.field)
                    .and_then(|f| match &f.kind {
                        Kind::Choice(c) => Some(&c.list),
                        _ => None,
                    }),
                _ => None,
            })
        };
        let first = paths.first().and_then(list_of);
        for (i, p) in paths.iter().enumerate().skip(1) {
            if paths[..i].contains(p) {
                self.err(
                    of.pos,
                    format!("`{}[].{}` is counted twice", p.group, p.field),
                    "list each path once",
                );
                return None;
            }
            let list = list_of(p);
            if list.map(|l| (&l.id, &l.values)) != first.map(|l| (&l.id, &l.values)) {
                self.err(
                    of.pos,
                    format!(
                        "`{}[].{}` takes its values from list `{}`, `{}[].{}` from `{}`: counts over different lists cannot add up",
                        paths[0].group,
                        paths[0].field,
                        first.map_or("?", |l| l.id.as_str()),
                        p.group,
                        p.field,
                        list.map_or("?", |l| l.id.as_str())
                    ),
                    "count fields that use the same shared list (`list: ID` under `lists`)",
                );
                return None;
            }
        }
        let counted = Counted::new(paths);
        if counted.is_none() {
            self.err(
                of.pos,
                "the rule counts nothing",
                "name at least one `GROUP[].FIELD`",
            );
        }
        counted
    }

    /// A CEL rule over each item of a top-level group: the expression (and its message
    /// expression) over `item`, costed once per item the group may hold, reporting at the item
    /// or at one of its fields.
    fn cel_each(&mut self, r: &RuleDef, each: &Located<String>, form: &Form) -> Option<RuleTest> {
        let expr = r.cel.as_ref()?;
        let Some(Kind::Group(g)) = form.field(each).map(|f| &f.kind) else {
            let groups: Vec<&str> = form
                .fields()
                .filter(|f| matches!(f.kind, Kind::Group(_)))
                .map(|f| f.id.as_str())
                .collect();
            let help = did_you_mean(each, groups.iter().copied()).unwrap_or_else(|| {
                format!("use a top-level repeated group: {}", groups.join(", "))
            });
            self.err(
                each.pos,
                format!("`each: {}` is not a top-level repeated group", each.value),
                help,
            );
            return None;
        };
        let item = crate::expr::Shape::of_fields(&g.fields);
        let items = g
            .max_items
            .map_or(crate::expr::shape::MAX_LIST_ITEMS, u64::from);
        self.repeats.push(items);
        self.cel(expr, "item", &item);
        let message_expression = r.message_expression.as_ref().map(|m| {
            let fields: Vec<&Field> = g.fields.iter().collect();
            self.cel_message(m, "item", &item, &fields);
            m.value.clone()
        });
        self.repeats.pop();
        let field = match &r.field {
            None => None,
            Some(f) if g.fields.iter().any(|s| s.id == f.value) => Some(f.value.clone()),
            Some(f) => {
                let subs: Vec<&str> = g.fields.iter().map(|s| s.id.as_str()).collect();
                let help = did_you_mean(f, subs.iter().copied())
                    .unwrap_or_else(|| format!("use one of: {}", subs.join(", ")));
                self.err(
                    f.pos,
                    format!("the items of `{}` have no field `{}`", each.value, f.value),
                    help,
                );
                return None;
            }
        };
        Some(RuleTest::CelEach {
            group: each.value.clone(),
            expr: expr.value.clone(),
            field,
            message_expression,
        })
    }

    /// Checks a message expression over `var` (of shape `scope`, whose fields are `fields`): a
    /// text, costed, reading no secret.
    fn cel_message(
        &mut self,
        m: &Located<String>,
        var: &str,
        scope: &crate::expr::Shape,
        fields: &[&Field],
    ) {
        let Some(checked) = self.cel_yielding(m, var, scope, crate::expr::Yields::Text) else {
            return;
        };
        // Messages are shown and logged: no secret may go into one.
        let secret = match &checked.estimate.reads {
            Some(names) => names
                .iter()
                .find(|n| fields.iter().any(|f| f.id == **n && holds_secret(f)))
                .cloned(),
            None => fields
                .iter()
                .find(|f| holds_secret(f))
                .map(|f| f.id.clone()),
        };
        if let Some(name) = secret {
            self.err(
                m.pos,
                format!("`message_expression` may read the secret field `{name}`"),
                format!("messages are shown and logged: read only fields that hold no secret (name them, as `{var}.name`, rather than `{var}` whole)"),
            );
        }
    }

    fn rule(&mut self, r: &RuleDef, form: &Form, submission: &crate::expr::Shape) -> Option<Rule> {
        let given = [
            r.max_per_value.is_some(),
            r.max_total.is_some(),
            r.cel.is_some(),
        ];
        if given.iter().filter(|g| **g).count() != 1 {
            self.err(
                r.id.pos,
                format!(
                    "rule `{}` must have exactly one of `max_per_value`, `max_total`, `cel`",
                    r.id.value
                ),
                "split it into one rule per test",
            );
            return None;
        }
        if let (Some(g), None) = (&r.each, &r.cel) {
            self.err(
                g.pos,
                "`each` only applies to `cel` rules",
                "counting rules already go through their groups' items; remove `each`",
            );
        }
        if r.cel.is_none()
            && let Some(f) = &r.field
        {
            self.err(
                f.pos,
                "`field` only applies to `cel` rules",
                "aggregate rules report at their group; remove `field`",
            );
        }
        let test = if let Some(a) = &r.max_per_value {
            RuleTest::MaxPerValue {
                of: self.counted(&a.of, form)?,
                max: a.max.value,
            }
        } else if let Some(a) = &r.max_total {
            RuleTest::MaxTotal {
                of: self.counted(&a.of, form)?,
                max: a.max.value,
            }
        } else if let Some(each) = &r.each {
            self.cel_each(r, each, form)?
        } else {
            let expr = r.cel.as_ref()?;
            self.cel(expr, "self", submission);
            let path = match &r.field {
                None => String::new(),
                Some(f) => match f.split_once("[].") {
                    Some(_) => format!("/{}", self.item_field(f, form)?.group),
                    None if form.field(f).is_some() => format!("/{}", f.value),
                    None => {
                        self.err(
                            f.pos,
                            format!("rule names field `{}`, which does not exist", f.value),
                            "use the id of a top-level field",
                        );
                        return None;
                    }
                },
            };
            let message_expression = r.message_expression.as_ref().map(|m| {
                let fields: Vec<&Field> = form.fields().collect();
                self.cel_message(m, "self", submission, &fields);
                m.value.clone()
            });
            RuleTest::Cel {
                expr: expr.value.clone(),
                path,
                message_expression,
            }
        };
        if let (Some(m), false) = (&r.message_expression, r.cel.is_some()) {
            self.err(
                m.pos,
                "`message_expression` only applies to `cel` rules",
                "counting rules fill `{value}`, `{count}`, `{max}` in `message`; remove `message_expression`",
            );
        }
        if let Some(message) = &r.message {
            let known: &[&str] = match &test {
                RuleTest::MaxPerValue { .. } => {
                    &["value", "label", "count", "max", "item", "items"]
                }
                RuleTest::MaxTotal { .. } => &["count", "max", "item", "items"],
                RuleTest::Cel { .. } => &["rule", "expr", "error"],
                RuleTest::CelEach { .. } => &["rule", "expr", "error", "index"],
            };
            for name in placeholders(message) {
                if !known.contains(&name) {
                    let list: Vec<String> = known.iter().map(|k| format!("{{{k}}}")).collect();
                    let kind = match &test {
                        RuleTest::MaxPerValue { .. } => "a `max_per_value`",
                        RuleTest::MaxTotal { .. } => "a `max_total`",
                        RuleTest::Cel { .. } => "a `cel`",
                        RuleTest::CelEach { .. } => "a `cel` … `each`",
                    };
                    let mut help = format!("its placeholders are {}", list.join(", "));
                    if matches!(test, RuleTest::Cel { .. } | RuleTest::CelEach { .. }) {
                        help.push_str(
                            "; to put values in the message, compute it with `message_expression`",
                        );
                    }
                    self.err(
                        r.id.pos,
                        format!("the message of rule `{}` uses `{{{name}}}`, which {kind} rule does not set", r.id.value),
                        help,
                    );
                }
            }
        }
        let stages = self.applies_at(r.stages.as_ref(), "rule");
        Some(Rule {
            stages,
            id: r.id.value.clone(),
            description: r.description.clone(),
            test,
            severity: r.severity,
            message: r.message.clone(),
        })
    }
}

/// Whether `f` is, or holds, a `secret` field.
fn holds_secret(f: &Field) -> bool {
    match &f.kind {
        Kind::Text(t) => matches!(t.format, TextFormat::Secret),
        Kind::Group(g) => g.fields.iter().any(holds_secret),
        Kind::Object(o) => o.fields.iter().any(holds_secret),
        _ => false,
    }
}

/// The `{name}` placeholders of a message, in order.
fn placeholders(message: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = message;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else { break };
        let name = &after[..end];
        if is_ident(name) {
            out.push(name);
        }
        rest = &after[end + 1..];
    }
    out
}

/// `a.b`, `group[].c` as path segments (`*` for the items of a group).
fn field_path(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in path.split('.') {
        match part.strip_suffix("[]") {
            Some(group) => {
                out.push(group.to_string());
                out.push("*".to_string());
            }
            None => out.push(part.to_string()),
        }
    }
    out
}

/// The field at `segs` (object fields by id, group items as `*`).
fn resolve_path<'f>(form: &'f Form, segs: &[String]) -> Option<&'f Field> {
    let (first, rest) = segs.split_first()?;
    let mut field = form.field(first)?;
    let mut rest = rest;
    while let Some((seg, tail)) = rest.split_first() {
        field = match (&field.kind, seg.as_str()) {
            (Kind::Group(_), "*") => {
                let (sub, tail2) = tail.split_first()?;
                rest = tail2;
                field.sub_fields().iter().find(|f| &f.id == sub)?
            }
            (Kind::Object(_), _) => {
                rest = tail;
                field.sub_fields().iter().find(|f| &f.id == seg)?
            }
            _ => return None,
        };
    }
    Some(field)
}

fn parse_pair(s: &str, sep: char) -> Option<(u32, u32)> {
    let (a, b) = s.split_once(sep)?;
    let a: u32 = a.trim().parse().ok()?;
    let b: u32 = b.trim().parse().ok()?;
    (a > 0 && b > 0).then_some((a, b))
}

/// Whether a default value fits its field (type, choices, lengths); `Err` says why not.
fn default_fits(field: &Field, v: &serde_json::Value) -> Result<(), String> {
    use serde_json::Value;
    match (&field.kind, v) {
        (Kind::Text(t), Value::String(s)) => {
            let n = s.chars().count() as u64;
            if t.max_length.is_some_and(|m| n > u64::from(m)) {
                return Err(format!(
                    "it is longer than max_length {}",
                    t.max_length.unwrap_or(0)
                ));
            }
            if matches!(t.format, TextFormat::Secret) {
                return Err("secrets cannot have defaults".into());
            }
            Ok(())
        }
        (Kind::Number(_), Value::Number(_)) | (Kind::Boolean(_), Value::Bool(_)) => Ok(()),
        (Kind::Choice(c), Value::String(s)) if !c.multiple => {
            if c.list.values.is_empty() || c.list.get(s).is_some() {
                Ok(())
            } else {
                Err(format!(
                    "`{s}` is not one of the field's choices ({})",
                    ids(&c.list)
                ))
            }
        }
        (Kind::Choice(c), Value::Array(items)) if c.multiple => {
            for item in items {
                match item {
                    Value::String(s) if c.list.values.is_empty() || c.list.get(s).is_some() => {}
                    Value::String(s) => {
                        return Err(format!(
                            "`{s}` is not one of the field's choices ({})",
                            ids(&c.list)
                        ));
                    }
                    _ => return Err("it holds a non-string item".into()),
                }
            }
            if c.max_items.is_some_and(|m| items.len() > m as usize) {
                return Err("it has more items than max_items".into());
            }
            Ok(())
        }
        (Kind::File(_), _) | (Kind::Object(_), _) | (Kind::Group(_), _) => {
            Err("files, objects and groups cannot have defaults".into())
        }
        _ => Err(format!(
            "it has the wrong type for a {} field",
            kind_label(&field.kind)
        )),
    }
}

fn ids(list: &ValueList) -> String {
    let v: Vec<&str> = list.values.iter().map(|c| c.id.as_str()).collect();
    v.join(", ")
}

fn kind_label(k: &Kind) -> &'static str {
    match k {
        Kind::Text(_) => "text",
        Kind::Number(_) => "number",
        Kind::Boolean(_) => "boolean",
        Kind::Choice(_) => "choice",
        Kind::File(_) => "file",
        Kind::Object(_) => "object",
        Kind::Group(_) => "group",
    }
}
