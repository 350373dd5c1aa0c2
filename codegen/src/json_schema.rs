//! JSON Schema (draft 2020-12) emitter: one schema per stage of a form.
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
//! Output is deterministic: keys are inserted in a fixed order (serde_json keeps insertion
//! order in this workspace) and fields come in spec order.

use formwork_schema::Form;
use formwork_schema::model::{
    CheckTest, ChoiceRules, Field, FileRules, Kind, NumberRules, RuleTest, Severity, TextFormat,
    TextRules, ValueList,
};
use serde_json::{Map, Value, json};

/// The `$schema` of every emitted schema.
pub const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// The root keyword listing the rules the schema cannot express.
pub const RULES_KEYWORD: &str = "x-formwork-rules";

/// The JSON Schema (draft 2020-12) of submissions to `form` at the stage with index `stage`.
pub fn emit(form: &Form, stage: usize) -> Value {
    let stage_id = form
        .stages
        .get(stage)
        .map_or_else(|| stage.to_string(), |s| s.id.clone());
    let mut cx = Cx {
        stage,
        rules: Vec::new(),
    };

    let fields: Vec<&Field> = form.fields().collect();
    let (mut properties, required) = cx.fields(&fields, "");
    cx.cross_field_rules(form, &mut properties);

    let mut root = Map::new();
    root.insert("$schema".into(), DIALECT.into());
    root.insert(
        "$id".into(),
        format!("urn:formwork:{}:{}", form.id, stage_id).into(),
    );
    root.insert("title".into(), form.title.clone().into());
    if let Some(d) = &form.description {
        root.insert("description".into(), d.clone().into());
    }
    root.insert("type".into(), "object".into());
    root.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        root.insert("required".into(), required.into());
    }
    root.insert("additionalProperties".into(), false.into());
    let lists = form.shared_lists();
    if !lists.is_empty() {
        let defs: Map<String, Value> = lists
            .iter()
            .map(|l| (l.id.clone(), Value::Object(list_schema(l))))
            .collect();
        root.insert("$defs".into(), Value::Object(defs));
    }
    if !cx.rules.is_empty() {
        root.insert(RULES_KEYWORD.into(), Value::Array(cx.rules));
    }
    Value::Object(root)
}

/// [`emit`] as pretty-printed JSON with a trailing newline (deterministic bytes).
pub fn emit_string(form: &Form, stage: usize) -> String {
    let mut s = serde_json::to_string_pretty(&emit(form, stage)).unwrap_or_default();
    s.push('\n');
    s
}

/// Emission state: the stage and the rules left to the runtime.
struct Cx {
    stage: usize,
    rules: Vec<Value>,
}

impl Cx {
    /// `properties` and `required` of an object holding `fields`, at JSON Pointer `path`.
    fn fields(&mut self, fields: &[&Field], path: &str) -> (Map<String, Value>, Vec<Value>) {
        let mut properties = Map::new();
        let mut required = Vec::new();
        for f in fields {
            let here = format!("{path}/{}", formwork_schema::pointer::escape(&f.id));
            properties.insert(f.id.clone(), Value::Object(self.field(f, &here)));
            if self.required(f) {
                required.push(Value::from(f.id.clone()));
            }
        }
        (properties, required)
    }

    /// Whether `f` must be present at this stage (required, or a box that must be checked).
    fn required(&self, f: &Field) -> bool {
        f.required.contains(self.stage)
            || matches!(&f.kind, Kind::Boolean(b) if b.must_be_true.contains(self.stage))
    }

    /// The schema of one field at JSON Pointer `path`.
    fn field(&mut self, f: &Field, path: &str) -> Map<String, Value> {
        let required = f.required.contains(self.stage);
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
                if b.must_be_true.contains(self.stage) {
                    s.insert("const".into(), true.into());
                }
            }
            Kind::Choice(c) => choice(&mut s, c, required),
            Kind::File(r) => self.file(&mut s, r, required, path),
            Kind::Object(o) => {
                let subs: Vec<&Field> = o.fields.iter().collect();
                s.extend(self.object(&subs, path));
            }
            Kind::Group(g) => {
                s.insert("type".into(), "array".into());
                let subs: Vec<&Field> = g.fields.iter().collect();
                let mut item = Map::new();
                item.insert("title".into(), g.item_label.clone().into());
                item.extend(self.object(&subs, &format!("{path}/*")));
                s.insert("items".into(), Value::Object(item));
                counts(&mut s, g.min_items, g.max_items, required);
            }
        }
        for c in &f.checks {
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
            s.insert("examples".into(), json!([v]));
        }
        if let Some(d) = &f.default {
            s.insert("default".into(), d.clone());
        }
        s
    }

    /// `type: object` with the sub-fields' `properties` and `required`; no other keys.
    fn object(&mut self, fields: &[&Field], path: &str) -> Map<String, Value> {
        let (properties, required) = self.fields(fields, path);
        let mut s = Map::new();
        s.insert("type".into(), "object".into());
        s.insert("properties".into(), Value::Object(properties));
        if !required.is_empty() {
            s.insert("required".into(), required.into());
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
                s.insert("$comment".into(), format!("{about} (in any case).").into());
                patterns.push(url_pattern(schemes, hosts));
                for c in &f.checks {
                    if let (CheckTest::Scheme(allowed), Severity::Error) = (&c.test, c.severity) {
                        patterns.push(url_pattern(allowed, &[]));
                    }
                }
            }
            TextFormat::Secret => {
                s.insert("writeOnly".into(), true.into());
            }
            TextFormat::Json { json_type } => {
                s.insert("contentMediaType".into(), "application/json".into());
                let what = match json_type {
                    Some(ty) => {
                        s.insert("contentSchema".into(), json!({ "type": ty }));
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
        let item = file_item(r);
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
        for rule in &form.rules {
            let description = |fallback: String| rule.description.clone().unwrap_or(fallback);
            match &rule.test {
                RuleTest::MaxPerValue { of, max } => {
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
                    &of.group,
                    description(format!(
                        "At most {max} values of {}[].{} over all items.",
                        of.group, of.field
                    )),
                ),
                RuleTest::Cel { expr, path } => {
                    let what =
                        description(format!("The CEL expression `{expr}` holds for `self`."));
                    let mut entry = rule_entry(&rule.id, path, rule.severity, what);
                    entry.insert("cel".into(), expr.clone().into());
                    self.rules.push(Value::Object(entry));
                }
            }
        }
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
fn choice(s: &mut Map<String, Value>, c: &ChoiceRules, required: bool) {
    let one = if c.list.shared {
        let mut r = Map::new();
        r.insert(
            "$ref".into(),
            format!("#/$defs/{}", formwork_schema::pointer::escape(&c.list.id)).into(),
        );
        r
    } else {
        list_schema(&c.list)
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

/// `{type: string, oneOf: [{const, title}]}` of a value list.
fn list_schema(l: &ValueList) -> Map<String, Value> {
    let mut s = Map::new();
    s.insert("type".into(), "string".into());
    let values: Vec<Value> = l
        .values
        .iter()
        .map(|v| json!({ "const": v.id, "title": v.label }))
        .collect();
    s.insert("oneOf".into(), values.into());
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
fn file_item(r: &FileRules) -> Map<String, Value> {
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
        for (key, min) in [("width", r.min_width), ("height", r.min_height)] {
            properties.insert(
                key.into(),
                json!({ "type": "integer", "minimum": min.unwrap_or(0) }),
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
            .map(|z| json!({ "properties": { "width": { "const": z.width }, "height": { "const": z.height } } }))
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
