//! JSON Schema emitter: one schema per stage of a form, in draft 2020-12 (the default), draft-07
//! or as an OpenAPI 3.0 document ([`Dialect`]).
//!
//! The schema expresses every constraint JSON Schema can: types, lengths (code points, like
//! formwork), anchored patterns, formats, value lists (shared ones under `$defs`), item counts,
//! file metadata, and the "at most N items per value" rules (`contains` + `maxContains`).
//! Presence depends on the stage: `required`, non-blank text (`minLength: 1` plus a `\S` pattern),
//! `minItems` of lists and `const: true` of must-be-checked booleans only appear at the stages
//! that demand them. What the schema cannot express (aspect ratios, JSON documents given as
//! text, field checks, totals over items, CEL) is listed under the root's `x-formwork-rules`,
//! one `{id, path, severity, description}` entry each, with `*` standing for any item in `path`.
//!
//! Older dialects get the same constraints in their own keywords (`definitions`, `enum` for
//! `const`, `example`, `$ref` wrapped in `allOf` so its annotations count). What a dialect cannot
//! express at all (per-value `maxContains` before 2019-09) moves to `x-formwork-rules`, and
//! [`Emitted::moved`] names it so the CLI can say so.
//!
//! Output is deterministic: keys are inserted in a fixed order (serde_json keeps insertion
//! order in this workspace) and fields come in spec order.

use formwork_schema::Form;
use formwork_schema::model::{
    CheckTest, ChoiceRules, Condition, Field, FileRules, Kind, NumberRules, RuleTest, Severity,
    TextFormat, TextRules, ValueList,
};
use serde_json::{Map, Value, json};

/// The `$schema` of every emitted draft 2020-12 schema.
pub const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// The `$schema` of every emitted draft-07 schema.
pub const DRAFT_07: &str = "http://json-schema.org/draft-07/schema#";

/// The `openapi` version of every emitted OpenAPI document.
pub const OPENAPI_VERSION: &str = "3.0.3";

/// The root keyword listing the rules the schema cannot express.
pub const RULES_KEYWORD: &str = "x-formwork-rules";

/// A schema language formwork emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// JSON Schema draft 2020-12: every constraint formwork can put in a schema.
    #[default]
    Draft2020_12,
    /// JSON Schema draft-07, for tools that read nothing newer (rjsf's default validator, quicktype).
    Draft07,
    /// An OpenAPI 3.0 document whose `components.schemas` hold the form (and its shared lists).
    OpenApi30,
}

impl Dialect {
    /// Every dialect, in the order the CLI lists them.
    pub const ALL: [Dialect; 3] = [Dialect::Draft2020_12, Dialect::Draft07, Dialect::OpenApi30];

    /// The dialect's name on the command line: `2020-12`, `draft-07`, `openapi-3.0`.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Draft2020_12 => "2020-12",
            Dialect::Draft07 => "draft-07",
            Dialect::OpenApi30 => "openapi-3.0",
        }
    }

    /// Whether the dialect has `minContains`/`maxContains` (JSON Schema 2019-09 and later).
    fn has_max_contains(self) -> bool {
        self == Dialect::Draft2020_12
    }

    /// Whether `const` exists (draft-06 and later; not in OpenAPI 3.0's schema objects).
    fn has_const(self) -> bool {
        self != Dialect::OpenApi30
    }

    /// Where shared lists live, as a JSON Pointer prefix for `$ref`.
    fn defs_pointer(self) -> &'static str {
        match self {
            Dialect::Draft2020_12 => "#/$defs/",
            Dialect::Draft07 => "#/definitions/",
            Dialect::OpenApi30 => "#/components/schemas/",
        }
    }
}

impl std::fmt::Display for Dialect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Dialect {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Dialect::ALL
            .into_iter()
            .find(|d| d.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Dialect::ALL.iter().map(|d| d.name()).collect();
                format!(
                    "unknown dialect `{s}`; expected one of {}",
                    names.join(", ")
                )
            })
    }
}

/// A rule the dialect cannot express, listed in `x-formwork-rules` instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    /// The spec's rule id.
    pub rule: String,
    /// The JSON Pointer the rule reports at.
    pub path: String,
    /// The keyword the dialect lacks.
    pub keyword: &'static str,
}

/// A schema (or, for OpenAPI, a document) and what its dialect could not express.
#[derive(Debug, Clone)]
pub struct Emitted {
    /// The schema, or the OpenAPI document.
    pub schema: Value,
    /// Rules moved to `x-formwork-rules` because the dialect lacks their keywords.
    pub moved: Vec<Moved>,
}

impl Emitted {
    /// The schema as pretty-printed JSON with a trailing newline (deterministic bytes).
    pub fn to_pretty_string(&self) -> String {
        pretty(&self.schema)
    }
}

/// The JSON Schema (draft 2020-12) of submissions to `form` at the stage with index `stage`.
pub fn emit(form: &Form, stage: usize) -> Value {
    emit_dialect(form, stage, Dialect::Draft2020_12).schema
}

/// The schema of submissions to `form` at the stage with index `stage`, in `dialect`.
pub fn emit_dialect(form: &Form, stage: usize, dialect: Dialect) -> Emitted {
    let stage_id = form
        .stages
        .get(stage)
        .map_or_else(|| stage.to_string(), |s| s.id.clone());
    let mut cx = Cx {
        stage,
        dialect,
        rules: Vec::new(),
        moved: Vec::new(),
    };

    let fields: Vec<&Field> = form.fields().collect();
    let (mut properties, required, conditional) = cx.fields(&fields, &fields, "");
    cx.cross_field_rules(form, &mut properties);

    let mut root = Map::new();
    match dialect {
        Dialect::Draft2020_12 => {
            root.insert("$schema".into(), DIALECT.into());
        }
        Dialect::Draft07 => {
            root.insert("$schema".into(), DRAFT_07.into());
        }
        Dialect::OpenApi30 => {}
    }
    if dialect != Dialect::OpenApi30 {
        root.insert("$id".into(), schema_id(form, &stage_id).into());
    }
    root.insert("title".into(), form.title.clone().into());
    if let Some(d) = &form.description {
        root.insert("description".into(), d.clone().into());
    }
    root.insert("type".into(), "object".into());
    root.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        root.insert("required".into(), required.into());
    }
    if !conditional.is_empty() {
        root.insert("allOf".into(), conditional.into());
    }
    root.insert("additionalProperties".into(), false.into());
    let defs: Map<String, Value> = form
        .shared_lists()
        .iter()
        .map(|l| (l.id.clone(), Value::Object(list_schema(l, dialect))))
        .collect();
    if !cx.rules.is_empty() {
        root.insert(RULES_KEYWORD.into(), Value::Array(cx.rules));
    }
    let schema = match dialect {
        Dialect::Draft2020_12 | Dialect::Draft07 => {
            if !defs.is_empty() {
                let key = if dialect == Dialect::Draft07 {
                    "definitions"
                } else {
                    "$defs"
                };
                root.insert(key.into(), Value::Object(defs));
            }
            Value::Object(root)
        }
        Dialect::OpenApi30 => openapi_document(form, &stage_id, root, defs),
    };
    Emitted {
        schema,
        moved: cx.moved,
    }
}

/// `urn:formwork:FORM:VERSION:STAGE` (`urn:formwork:FORM:STAGE` for an unversioned spec): a new
/// version of the form is a new schema. The version is percent-encoded where it is not a plain
/// URN character.
pub fn schema_id(form: &Form, stage: &str) -> String {
    match &form.version {
        Some(v) => {
            let mut version = String::with_capacity(v.len());
            for b in v.bytes() {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    version.push(char::from(b));
                } else {
                    version.push_str(&format!("%{b:02X}"));
                }
            }
            format!("urn:formwork:{}:{version}:{stage}", form.id)
        }
        None => format!("urn:formwork:{}:{stage}", form.id),
    }
}

/// The name of a stage's schema in OpenAPI documents: `FormIdStage` (`PipedriveAppSave`), like
/// the generated Rust type and its stage.
pub fn schema_name(form: &Form, stage_id: &str) -> String {
    use heck::ToUpperCamelCase;
    format!(
        "{}{}",
        form.id.to_upper_camel_case(),
        stage_id.to_upper_camel_case()
    )
}

/// An OpenAPI 3.0 document with no paths whose components hold the form's schema (named
/// `FormIdStage`, like the generated Rust type and its stage) and its shared lists (by list id).
fn openapi_document(
    form: &Form,
    stage_id: &str,
    root: Map<String, Value>,
    lists: Map<String, Value>,
) -> Value {
    let name = schema_name(form, stage_id);
    let mut schemas = Map::new();
    schemas.insert(name, Value::Object(root));
    schemas.extend(lists);
    let mut info = Map::new();
    info.insert("title".into(), form.title.clone().into());
    if let Some(d) = &form.description {
        info.insert("description".into(), d.clone().into());
    }
    info.insert(
        "version".into(),
        form.version.clone().unwrap_or_else(|| "1".into()).into(),
    );
    json!({
        "openapi": OPENAPI_VERSION,
        "info": info,
        "paths": {},
        "components": { "schemas": schemas },
    })
}

/// [`emit`] as pretty-printed JSON with a trailing newline (deterministic bytes).
pub fn emit_string(form: &Form, stage: usize) -> String {
    pretty(&emit(form, stage))
}

/// `v` as pretty-printed JSON with a trailing newline.
fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// A property's `title` and `description` without its constraints: what an object lists for a
/// field whose constraints apply only under a condition (or in a variant's branch).
fn annotations_only(schema: &Map<String, Value>) -> Map<String, Value> {
    ["title", "description"]
        .into_iter()
        .filter_map(|key| Some((key.to_string(), schema.get(key)?.clone())))
        .collect()
}

/// Emission state: the stage, the dialect, the rules left to the runtime and those moved there.
struct Cx {
    stage: usize,
    dialect: Dialect,
    rules: Vec<Value>,
    moved: Vec<Moved>,
}

impl Cx {
    /// The properties of `fields` (beside `siblings`) of an object at JSON Pointer `path`, the
    /// ones it requires, and the `if`/`then` of the ones that depend on the others. A variant's
    /// fields are read without their variant's test, which is the object's `oneOf`.
    fn fields(
        &mut self,
        fields: &[&Field],
        siblings: &[&Field],
        path: &str,
    ) -> (Map<String, Value>, Vec<Value>, Vec<Value>) {
        let mut properties = Map::new();
        let mut required = Vec::new();
        let mut conditional = Vec::new();
        for f in fields {
            let here = format!("{path}/{}", formwork_schema::pointer::escape(&f.id));
            let schema = self.field(f, &here);
            match f.own_shown_when() {
                // Asked only under a condition: its value counts only then, so its constraints
                // apply only then; where the schema cannot state the condition it is left open
                // (laxer than the validator, never stricter).
                Some(c) => {
                    let open = annotations_only(&schema);
                    let when = (self.dialect != Dialect::OpenApi30)
                        .then(|| condition_schema(c))
                        .flatten();
                    if let Some(when) = when {
                        conditional.push(json!({
                            "if": when,
                            "then": {"properties": {f.id.clone(): schema}},
                        }));
                    } else if self.dialect == Dialect::OpenApi30 {
                        // Without `if` the constraints are left out: say so, as for `required_when`.
                        self.rules.push(Value::Object(rule_entry(
                            "shown_when_constraints",
                            &here,
                            Severity::Error,
                            format!(
                                "Its constraints apply only when {}; this dialect cannot state that, so the schema leaves its value open.",
                                c.describe(siblings)
                            ),
                        )));
                        self.moved.push(Moved {
                            rule: "shown_when".into(),
                            path: here.clone(),
                            keyword: "if",
                        });
                    }
                    properties.insert(f.id.clone(), Value::Object(open));
                }
                None => {
                    properties.insert(f.id.clone(), Value::Object(schema));
                }
            }
            if self.required(f) {
                required.push(Value::from(f.id.clone()));
            }
            if f.is_own_conditional() {
                conditional.extend(self.condition(f, siblings, &here));
            }
        }
        (properties, required, conditional)
    }

    /// Whether `f` must be present at this stage whatever its siblings hold (required, or a box
    /// that must be checked).
    fn required(&self, f: &Field) -> bool {
        !f.is_own_conditional()
            && (f.required.contains(self.stage)
                || matches!(&f.kind, Kind::Boolean(b) if b.must_be_true.contains(self.stage)))
    }

    /// A conditional field: listed in `x-formwork-rules` (what the condition means), and, when
    /// required at this stage under a condition JSON Schema can state, an `if`/`then` for its
    /// object.
    fn condition(&mut self, f: &Field, siblings: &[&Field], path: &str) -> Option<Value> {
        if let Some(c) = f.own_shown_when() {
            self.rules.push(Value::Object(rule_entry(
                "shown_when",
                path,
                Severity::Warning,
                format!(
                    "Asked only when {}; otherwise its value is ignored (reported as a warning).",
                    c.describe(siblings)
                ),
            )));
        }
        let must = f.required.contains(self.stage)
            || matches!(&f.kind, Kind::Boolean(b) if b.must_be_true.contains(self.stage));
        if !must {
            return None;
        }
        let parts: Vec<&Condition> = f
            .own_shown_when()
            .into_iter()
            .chain(&f.required_when)
            .collect();
        let words: Vec<String> = parts.iter().map(|c| c.describe(siblings)).collect();
        // What the schema cannot state is listed: a CEL part, or a dialect without `if`.
        let mut list = || {
            self.rules.push(Value::Object(rule_entry(
                "required_when",
                path,
                Severity::Error,
                format!("Required when {}.", words.join(" and ")),
            )))
        };
        if self.dialect == Dialect::OpenApi30 {
            list();
            self.moved.push(Moved {
                rule: "required_when".into(),
                path: path.into(),
                keyword: "if",
            });
            return None;
        }
        let conditions: Option<Vec<Value>> = parts.iter().map(|c| condition_schema(c)).collect();
        let Some(mut when) = conditions else {
            list();
            return None;
        };
        let cond = if when.len() == 1 {
            when.remove(0)
        } else {
            json!({ "allOf": when })
        };
        Some(json!({
            "if": cond,
            "then": {
                "required": [f.id],
                "properties": { f.id.clone(): filled_schema() },
            },
        }))
    }

    /// The schema of one field at JSON Pointer `path`.
    fn field(&mut self, f: &Field, path: &str) -> Map<String, Value> {
        // A field required under a condition is required by its object's `if`/`then`.
        let required = f.required_in_variant(self.stage);
        let mut s = Map::new();
        s.insert("title".into(), f.label.clone().into());
        if let Some(h) = &f.help {
            s.insert("description".into(), h.clone().into());
        }
        match &f.kind {
            Kind::Text(t) => self.text(&mut s, f, t, required, path),
            Kind::Number(n) => number(&mut s, n),
            Kind::Boolean(b) => {
                s.insert("type".into(), "boolean".into());
                if b.must_be_true.contains(self.stage) && !f.is_own_conditional() {
                    s.extend(konst(self.dialect, true.into()));
                }
            }
            Kind::Choice(c) => choice(&mut s, c, required, self.dialect),
            Kind::File(r) => self.file(&mut s, r, required, path),
            Kind::Object(o) => {
                let subs: Vec<&Field> = o.fields.iter().collect();
                s.extend(self.object(&subs, f.variants(), path));
            }
            Kind::Group(g) => {
                s.insert("type".into(), "array".into());
                let subs: Vec<&Field> = g.fields.iter().collect();
                let mut item = Map::new();
                item.insert("title".into(), g.item_label.clone().into());
                item.extend(self.object(&subs, f.variants(), &format!("{path}/*")));
                s.insert("items".into(), Value::Object(item));
                counts(&mut s, g.min_items, g.max_items, required);
            }
        }
        let stage = self.stage;
        for c in f.checks.iter().filter(|c| c.applies_at(stage)) {
            // A scheme check that is an error is a pattern (added by `text`); the rest are runtime rules.
            if let (CheckTest::Scheme(_), Severity::Error, Kind::Text(t)) =
                (&c.test, c.severity, &f.kind)
                && matches!(t.format, TextFormat::Url { .. })
            {
                continue;
            }
            let description = match &c.test {
                CheckTest::SentenceCase => {
                    "The text is in sentence case: a capital first letter, the other words in lower case."
                        .to_string()
                }
                CheckTest::Scheme(schemes) => {
                    format!("The URL's scheme is one of: {}.", schemes.join(", "))
                }
                CheckTest::Cel(expr) => {
                    format!("The CEL expression `{expr}` holds for `value`.")
                }
            };
            let mut entry = rule_entry(c.test.code(), path, c.severity, description);
            if let CheckTest::Cel(expr) = &c.test {
                entry.insert("cel".into(), expr.clone().into());
            }
            if let Some(m) = &c.message {
                entry.insert("message".into(), m.clone().into());
            }
            self.rules.push(Value::Object(entry));
        }
        if let Some(e) = &f.example
            && let Some(v) = example_value(f, e)
        {
            if self.dialect == Dialect::OpenApi30 {
                s.insert("example".into(), v);
            } else {
                s.insert("examples".into(), json!([v]));
            }
        }
        if let Some(d) = &f.default {
            s.insert("default".into(), d.clone());
        }
        s
    }

    /// `type: object` with the sub-fields' `properties` and `required`, and with variants (the
    /// kind field and its values) a `oneOf` with one branch per variant: the kind as `const`,
    /// then the variant's fields. The object lists every variant's properties, unconstrained, so
    /// a value of another variant is let through, as the validator ignores it (with a warning).
    fn object(
        &mut self,
        fields: &[&Field],
        variants: Option<(&Field, &ValueList)>,
        path: &str,
    ) -> Map<String, Value> {
        let shared: Vec<&Field> = fields
            .iter()
            .copied()
            .filter(|f| f.variant.is_none())
            .collect();
        let (mut properties, required, conditional) = self.fields(&shared, fields, path);
        let mut one_of = Vec::new();
        if let Some((kind, list)) = variants {
            for choice in &list.values {
                let own: Vec<&Field> = fields
                    .iter()
                    .copied()
                    .filter(|f| f.variant.as_deref() == Some(choice.id.as_str()))
                    .collect();
                let (props, req, cond) = self.fields(&own, fields, path);
                let mut branch = Map::new();
                branch.insert("title".into(), choice.label.clone().into());
                let mut branch_props = Map::new();
                branch_props.insert(
                    kind.id.clone(),
                    Value::Object(konst(self.dialect, choice.id.clone().into())),
                );
                for (id, schema) in props {
                    let open = match &schema {
                        Value::Object(m) => annotations_only(m),
                        _ => Map::new(),
                    };
                    properties.insert(id.clone(), Value::Object(open));
                    branch_props.insert(id, schema);
                }
                branch.insert("properties".into(), Value::Object(branch_props));
                if !req.is_empty() {
                    branch.insert("required".into(), req.into());
                }
                if !cond.is_empty() {
                    branch.insert("allOf".into(), cond.into());
                }
                one_of.push(Value::Object(branch));
            }
        }
        let mut s = Map::new();
        s.insert("type".into(), "object".into());
        s.insert("properties".into(), Value::Object(properties));
        if !required.is_empty() {
            s.insert("required".into(), required.into());
        }
        if !one_of.is_empty() {
            s.insert("oneOf".into(), one_of.into());
        }
        if !conditional.is_empty() {
            s.insert("allOf".into(), conditional.into());
        }
        s.insert("additionalProperties".into(), false.into());
        s
    }

    /// Text keywords: type, format, lengths, patterns, content annotations.
    fn text(
        &mut self,
        s: &mut Map<String, Value>,
        f: &Field,
        t: &TextRules,
        required: bool,
        path: &str,
    ) {
        s.insert("type".into(), "string".into());
        let mut patterns = Vec::new();
        if let Some(p) = &t.pattern {
            patterns.push(format!("^(?:{p})$"));
        }
        match &t.format {
            TextFormat::Plain | TextFormat::Long => {}
            TextFormat::Email => {
                s.insert("format".into(), "email".into());
            }
            TextFormat::Url { schemes, hosts } => {
                s.insert("format".into(), "uri".into());
                let mut about = format!("An absolute URL; scheme {}", schemes.join(" or "));
                if !hosts.is_empty() {
                    about.push_str(&format!("; host {}", hosts.join(", ")));
                }
                if self.dialect != Dialect::OpenApi30 {
                    s.insert("$comment".into(), format!("{about} (in any case).").into());
                }
                patterns.push(url_pattern(schemes, hosts));
                let stage = self.stage;
                for c in f.checks.iter().filter(|c| c.applies_at(stage)) {
                    if let (CheckTest::Scheme(allowed), Severity::Error) = (&c.test, c.severity) {
                        patterns.push(url_pattern(allowed, &[]));
                    }
                }
            }
            TextFormat::Secret => {
                s.insert("writeOnly".into(), true.into());
            }
            TextFormat::Json { json_type } => {
                // Annotations only: the `json` rule below is what checks the text.
                if self.dialect != Dialect::OpenApi30 {
                    s.insert("contentMediaType".into(), "application/json".into());
                }
                let what = match json_type {
                    Some(ty) => {
                        if self.dialect == Dialect::Draft2020_12 {
                            s.insert("contentSchema".into(), json!({ "type": ty }));
                        }
                        format!("The text is a JSON document whose value is of type {ty}.")
                    }
                    None => "The text is a JSON document.".to_string(),
                };
                self.rules.push(Value::Object(rule_entry(
                    "json",
                    path,
                    Severity::Error,
                    what,
                )));
            }
        }
        let min = t.min_length.unwrap_or(0).max(u32::from(required));
        if min > 0 {
            s.insert("minLength".into(), min.into());
        }
        if let Some(max) = t.max_length {
            s.insert("maxLength".into(), max.into());
        }
        // A URL pattern already demands a non-blank value.
        if required && !matches!(t.format, TextFormat::Url { .. }) {
            patterns.push(r"\S".to_string());
        }
        match patterns.len() {
            0 => {}
            1 => {
                s.insert("pattern".into(), patterns.swap_remove(0).into());
            }
            _ => {
                let all: Vec<Value> = patterns
                    .into_iter()
                    .map(|p| json!({ "pattern": p }))
                    .collect();
                s.insert("allOf".into(), all.into());
            }
        }
    }

    /// One file's metadata object, or an array of them.
    fn file(&mut self, s: &mut Map<String, Value>, r: &FileRules, required: bool, path: &str) {
        let item_path = if r.multiple {
            format!("{path}/*")
        } else {
            path.to_string()
        };
        if let Some((w, h)) = r.aspect_ratio {
            let what = format!("The image's width:height ratio is {w}:{h}.");
            self.rules.push(Value::Object(rule_entry(
                "aspect_ratio",
                &item_path,
                Severity::Error,
                what,
            )));
        }
        let item = file_item(r, self.dialect);
        if r.multiple {
            s.insert("type".into(), "array".into());
            s.insert("items".into(), Value::Object(item));
            counts(s, r.min_items, r.max_items, required);
        } else {
            s.extend(item);
        }
    }

    /// Cross-field rules: `max_per_value` as `contains`/`maxContains` on the group, the rest listed.
    fn cross_field_rules(&mut self, form: &Form, properties: &mut Map<String, Value>) {
        let stage = self.stage;
        for rule in form.rules.iter().filter(|r| r.applies_at(stage)) {
            let description = |fallback: String| rule.description.clone().unwrap_or(fallback);
            match &rule.test {
                RuleTest::MaxPerValue { of, max } if of.paths().len() > 1 => self.counted_rule(
                    rule,
                    of,
                    description(format!(
                        "No value is used by more than {max} items of {} counted together.",
                        of.describe()
                    )),
                ),
                RuleTest::MaxTotal { of, max } if of.paths().len() > 1 => self.counted_rule(
                    rule,
                    of,
                    description(format!(
                        "At most {max} values of {} over all their items, counted together.",
                        of.describe()
                    )),
                ),
                RuleTest::MaxPerValue { of, max } => {
                    let of = of.first();
                    let choice = form.field(&of.group).and_then(|g| match &g.kind {
                        Kind::Group(g) => g.fields.iter().find(|f| f.id == of.field),
                        _ => None,
                    });
                    let choice = choice.and_then(|f| match &f.kind {
                        Kind::Choice(c) => Some(c),
                        _ => None,
                    });
                    let group = properties.get_mut(&of.group).and_then(Value::as_object_mut);
                    match (choice, group, rule.severity) {
                        (Some(_), Some(_), Severity::Error) if !self.dialect.has_max_contains() => {
                            let path = format!("/{}", formwork_schema::pointer::escape(&of.group));
                            self.moved.push(Moved {
                                rule: rule.id.clone(),
                                path,
                                keyword: "maxContains",
                            });
                            self.group_rule(
                                rule,
                                &of.group,
                                description(format!(
                                    "No value of {}[].{} is used by more than {max} items.",
                                    of.group, of.field
                                )),
                            );
                        }
                        (Some(c), Some(group), Severity::Error) => {
                            let entries = c.list.values.iter().map(|v| {
                                let matches = if c.multiple {
                                    json!({ "type": "array", "contains": { "const": v.id } })
                                } else {
                                    json!({ "const": v.id })
                                };
                                json!({
                                    "contains": {
                                        "type": "object",
                                        "properties": { of.field.clone(): matches },
                                        "required": [of.field],
                                    },
                                    "minContains": 0,
                                    "maxContains": max,
                                })
                            });
                            let all = group
                                .entry("allOf")
                                .or_insert_with(|| Value::Array(Vec::new()));
                            if let Value::Array(all) = all {
                                all.extend(entries);
                            }
                        }
                        _ => self.group_rule(
                            rule,
                            &of.group,
                            description(format!(
                                "No value of {}[].{} is used by more than {max} items.",
                                of.group, of.field
                            )),
                        ),
                    }
                }
                RuleTest::MaxTotal { of, max } => self.group_rule(
                    rule,
                    &of.first().group,
                    description(format!(
                        "At most {max} values of {}[].{} over all items.",
                        of.first().group,
                        of.first().field
                    )),
                ),
                RuleTest::CelEach {
                    group, expr, field, ..
                } => {
                    let what = description(format!(
                        "The CEL expression `{expr}` holds for `item`, each item of {group}."
                    ));
                    let mut path = format!("/{}/*", formwork_schema::pointer::escape(group));
                    if let Some(f) = field {
                        path.push('/');
                        path.push_str(&formwork_schema::pointer::escape(f));
                    }
                    let mut entry = rule_entry(&rule.id, &path, rule.severity, what);
                    entry.insert("cel".into(), expr.clone().into());
                    entry.insert("each".into(), group.clone().into());
                    self.rules.push(Value::Object(entry));
                }
                RuleTest::Cel { expr, path, .. } => {
                    let what =
                        description(format!("The CEL expression `{expr}` holds for `self`."));
                    let mut entry = rule_entry(&rule.id, path, rule.severity, what);
                    entry.insert("cel".into(), expr.clone().into());
                    self.rules.push(Value::Object(entry));
                }
            }
        }
    }

    /// Lists a rule counting over several groups' items together (no JSON Schema keyword spans
    /// two arrays) in `x-formwork-rules`, reported at the first group, with every path it counts.
    fn counted_rule(
        &mut self,
        rule: &formwork_schema::model::Rule,
        of: &formwork_schema::model::Counted,
        what: String,
    ) {
        let path = format!("/{}", formwork_schema::pointer::escape(&of.first().group));
        let mut entry = rule_entry(&rule.id, &path, rule.severity, what);
        let paths: Vec<Value> = of
            .paths()
            .iter()
            .map(|p| format!("{}[].{}", p.group, p.field).into())
            .collect();
        entry.insert("of".into(), Value::Array(paths));
        self.rules.push(Value::Object(entry));
    }

    /// Lists a rule over a top-level group's items, reported at the group, in `x-formwork-rules`.
    fn group_rule(&mut self, rule: &formwork_schema::model::Rule, group: &str, what: String) {
        let path = format!("/{}", formwork_schema::pointer::escape(group));
        self.rules.push(Value::Object(rule_entry(
            &rule.id,
            &path,
            rule.severity,
            what,
        )));
    }
}

/// Number keywords.
fn number(s: &mut Map<String, Value>, n: &NumberRules) {
    s.insert(
        "type".into(),
        if n.integer { "integer" } else { "number" }.into(),
    );
    if let Some(m) = n.minimum {
        s.insert("minimum".into(), num(m));
    }
    if let Some(m) = n.maximum {
        s.insert("maximum".into(), num(m));
    }
}

/// Choice keywords: a `$ref` to a shared list or the list inline; an array of them if multiple.
///
/// Before 2019-09 (and in OpenAPI 3.0) a `$ref` makes its sibling keywords ignored, so a single
/// choice's `$ref` goes in an `allOf` and its title and help still count.
fn choice(s: &mut Map<String, Value>, c: &ChoiceRules, required: bool, dialect: Dialect) {
    let one = if c.list.shared {
        let mut r = Map::new();
        let target = format!(
            "{}{}",
            dialect.defs_pointer(),
            formwork_schema::pointer::escape(&c.list.id)
        );
        r.insert("$ref".into(), target.into());
        if dialect != Dialect::Draft2020_12 && !c.multiple {
            let mut wrapped = Map::new();
            wrapped.insert("allOf".into(), json!([r]));
            wrapped
        } else {
            r
        }
    } else {
        list_schema(&c.list, dialect)
    };
    if c.multiple {
        s.insert("type".into(), "array".into());
        s.insert("items".into(), Value::Object(one));
        if c.distinct {
            s.insert("uniqueItems".into(), true.into());
        }
        counts(s, c.min_items, c.max_items, required);
    } else {
        s.extend(one);
    }
}

/// `{type: string, oneOf: [{const, title}]}` of a value list; in OpenAPI 3.0, which has no
/// `const`, `{type: string, enum: [ids], x-enum-descriptions: [labels]}`.
fn list_schema(l: &ValueList, dialect: Dialect) -> Map<String, Value> {
    let mut s = Map::new();
    s.insert("type".into(), "string".into());
    if dialect.has_const() {
        let values: Vec<Value> = l
            .values
            .iter()
            .map(|v| json!({ "const": v.id, "title": v.label }))
            .collect();
        s.insert("oneOf".into(), values.into());
    } else {
        let ids: Vec<&str> = l.values.iter().map(|v| v.id.as_str()).collect();
        let labels: Vec<&str> = l.values.iter().map(|v| v.label.as_str()).collect();
        s.insert("enum".into(), ids.into());
        s.insert("x-enum-descriptions".into(), labels.into());
    }
    s
}

/// `{const: v}`, or `{enum: [v]}` where the dialect has no `const`.
fn konst(dialect: Dialect, v: Value) -> Map<String, Value> {
    let mut s = Map::new();
    if dialect.has_const() {
        s.insert("const".into(), v);
    } else {
        s.insert("enum".into(), Value::Array(vec![v]));
    }
    s
}

/// `minItems` (only where required; at least 1) and `maxItems` (always).
fn counts(s: &mut Map<String, Value>, min: Option<u32>, max: Option<u32>, required: bool) {
    if required {
        s.insert("minItems".into(), min.unwrap_or(1).max(1).into());
    }
    if let Some(max) = max {
        s.insert("maxItems".into(), max.into());
    }
}

/// The metadata object of one uploaded file.
fn file_item(r: &FileRules, dialect: Dialect) -> Map<String, Value> {
    let mut media_type = Map::new();
    media_type.insert("type".into(), "string".into());
    if !r.media_types.is_empty() {
        media_type.insert("enum".into(), r.media_types.clone().into());
    }
    let mut size = Map::new();
    size.insert("type".into(), "integer".into());
    size.insert("minimum".into(), 0.into());
    if let Some(max) = r.max_bytes {
        size.insert("maximum".into(), max.into());
    }
    let mut properties = Map::new();
    properties.insert("name".into(), json!({ "type": "string" }));
    properties.insert("media_type".into(), Value::Object(media_type));
    properties.insert("size".into(), Value::Object(size));
    let mut required = vec!["name", "media_type", "size"];
    if r.image {
        let (max_w, max_h) = r.max_side();
        for (key, min, max) in [
            ("width", r.min_width, max_w),
            ("height", r.min_height, max_h),
        ] {
            properties.insert(
                key.into(),
                json!({
                    "type": "integer",
                    "minimum": min.unwrap_or(0),
                    "maximum": max,
                }),
            );
        }
        required.extend(["width", "height"]);
    }
    let mut s = Map::new();
    s.insert("type".into(), "object".into());
    s.insert("properties".into(), Value::Object(properties));
    s.insert("required".into(), required.into());
    s.insert("additionalProperties".into(), false.into());
    if r.image && !r.sizes.is_empty() {
        let sizes: Vec<Value> = r
            .sizes
            .iter()
            .map(|z| {
                json!({ "properties": {
                    "width": konst(dialect, z.width.into()),
                    "height": konst(dialect, z.height.into()),
                } })
            })
            .collect();
        s.insert("anyOf".into(), sizes.into());
    }
    s
}

/// `^(?:SCHEMES)://` then a host: one of `hosts` (followed by a port, path, query, fragment or the
/// end), or any non-empty host when `hosts` is empty. Schemes and hosts match in any ASCII case,
/// as the runtime compares them (ECMA-262 patterns have no case-insensitive flag).
fn url_pattern(schemes: &[String], hosts: &[String]) -> String {
    let alt = |xs: &[String]| xs.iter().map(|x| any_case(x)).collect::<Vec<_>>().join("|");
    let mut p = format!("^(?:{})://(?:[^/?#@]*@)?", alt(schemes));
    if hosts.is_empty() {
        p.push_str("[^/?#@:]");
    } else {
        p.push_str(&format!("(?:{})(?:[:/?#]|$)", alt(hosts)));
    }
    p
}

/// `s` as a regex matching it in any ASCII case: letters become `[xX]`, the rest is escaped.
fn any_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 4);
    for ch in s.chars() {
        if ch.is_ascii_alphabetic() {
            out.extend(['[', ch.to_ascii_lowercase(), ch.to_ascii_uppercase(), ']']);
        } else {
            out.push_str(&regex_escape(ch.encode_utf8(&mut [0; 4])));
        }
    }
    out
}

/// `s` with ECMA-262 (and Rust regex) syntax characters escaped; safe in `u` mode.
fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if "\\^$.|?*+()[]{}/".contains(ch) {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// One `x-formwork-rules` entry.
/// A condition as a schema of the object its field sits in (`None`: a CEL condition, which JSON
/// Schema cannot state).
fn condition_schema(c: &Condition) -> Option<Value> {
    Some(match c {
        Condition::Equals(k, v) => {
            json!({"properties": {k.clone(): {"const": v}}, "required": [k]})
        }
        Condition::OneOf(k, vs) => {
            json!({"properties": {k.clone(): {"enum": vs}}, "required": [k]})
        }
        Condition::NotEmpty(k) => {
            json!({"properties": {k.clone(): filled_schema()}, "required": [k]})
        }
        Condition::Empty(k) => {
            json!({"not": {"properties": {k.clone(): filled_schema()}, "required": [k]}})
        }
        Condition::All(cs) => {
            json!({"allOf": cs.iter().map(condition_schema).collect::<Option<Vec<_>>>()?})
        }
        Condition::Any(cs) => {
            json!({"anyOf": cs.iter().map(condition_schema).collect::<Option<Vec<_>>>()?})
        }
        Condition::Cel(_) => return None,
    })
}

/// A value that counts as given: not null, not blank text, not an unchecked box, not an empty
/// list or object.
fn filled_schema() -> Value {
    json!({"not": {"anyOf": [
        {"type": "null"},
        {"const": false},
        {"type": "string", "pattern": "^\\s*$"},
        {"type": "array", "maxItems": 0},
        {"type": "object", "maxProperties": 0},
    ]}})
}

fn rule_entry(id: &str, path: &str, severity: Severity, description: String) -> Map<String, Value> {
    let mut e = Map::new();
    e.insert("id".into(), id.into());
    e.insert("path".into(), path.into());
    let severity = match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    e.insert("severity".into(), severity.into());
    e.insert("description".into(), description.into());
    e
}

/// A number as JSON: whole numbers without a fraction (`16`, not `16.0`).
fn num(x: f64) -> Value {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if x.fract() == 0.0 && x.abs() < EXACT {
        // Exact: a whole number below 2^53 converts without loss.
        Value::from(x as i64)
    } else {
        serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}

/// The spec's example as a JSON value of the field's type, when it has one.
fn example_value(f: &Field, example: &str) -> Option<Value> {
    match &f.kind {
        Kind::Text(_) => Some(example.into()),
        Kind::Number(n) => {
            let x: f64 = example.trim().parse().ok()?;
            (x.is_finite() && (!n.integer || x.fract() == 0.0)).then(|| num(x))
        }
        Kind::Choice(c) if !c.multiple && c.list.get(example).is_some() => Some(example.into()),
        _ => None,
    }
}
