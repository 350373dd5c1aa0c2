//! The validator: walks a submission once against the compiled plan, then applies cross-field rules.

use std::sync::Arc;

use formwork_schema::SpecError;
use formwork_schema::model::{Form, NumberRules, Severity, StageSet};
use serde_json::{Map, Value};

use crate::compile::*;
use crate::messages::{fill, fill_labelled, human_bytes, template};
use crate::report::{Issue, Param, Report, push_pointer_segment};

mod stream;

/// A spec compiled for validation. Cheap to share (`Clone` is an `Arc` bump), `Send + Sync`.
#[derive(Clone)]
pub struct Validator {
    inner: Arc<Inner>,
}

struct Inner {
    form: Form,
    plan: Plan,
}

/// A stage of the validator's form, looked up once with [`Validator::stage`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageRef {
    index: usize,
}

impl StageRef {
    /// Position of the stage in the spec's order.
    pub fn index(self) -> usize {
        self.index
    }
}

pub use formwork_schema::model::UnknownStage;

impl Validator {
    /// Compiles a checked form: regexes, value indexes, CEL programs and rule plans, once.
    pub fn compile(form: &Form) -> Result<Validator, SpecError> {
        let plan = plan(form)?;
        Ok(Validator {
            inner: Arc::new(Inner {
                form: form.clone(),
                plan,
            }),
        })
    }

    /// Compiles a form from its IR as JSON (what generated code embeds; see `formwork-codegen`).
    pub fn from_ir(ir: &str) -> Result<Validator, SpecError> {
        let form: Form = serde_json::from_str(ir).map_err(|e| SpecError::Invalid {
            file: "<embedded spec>".to_string(),
            source_text: String::new(),
            diagnostics: vec![formwork_schema::Diagnostic::new(
                formwork_schema::Pos::default(),
                e.to_string(),
            )],
        })?;
        Validator::compile(&form)
    }

    /// The form this validator checks.
    pub fn form(&self) -> &Form {
        &self.inner.form
    }

    /// Looks up a stage by id.
    pub fn stage(&self, id: &str) -> Result<StageRef, UnknownStage> {
        self.inner.form.stage(id).map(|index| StageRef { index })
    }

    /// Validates a submission at a stage, reporting every problem.
    pub fn validate(&self, value: &Value, stage: StageRef) -> Report {
        let mut run = Run::new(stage.index);
        match value {
            Value::Object(map) => {
                run.object(&self.inner.plan.root, map, None);
                // Rules read the submission without the values its conditions ignore (a copy,
                // made only when there are some).
                let pruned = run
                    .hidden
                    .then(|| Value::Object(without_hidden(&self.inner.plan.root, map)));
                let (value, map) = match &pruned {
                    Some(v @ Value::Object(m)) => (v, m),
                    _ => (value, map),
                };
                for rule in &self.inner.plan.rules {
                    let tally = rule.aggregate().map(|agg| {
                        let mut t = Tally::new(agg);
                        for (part, (group, _)) in agg.parts.iter().enumerate() {
                            if let Some(Value::Array(items)) = map.get(&**group) {
                                for (i, item) in items.iter().enumerate() {
                                    t.add_item(agg, part as u32, i, item);
                                }
                            }
                        }
                        t
                    });
                    run.rule(rule, tally.as_ref(), value);
                }
            }
            _ => run.not_an_object(),
        }
        run.finish(&self.inner.form, stage.index)
    }
}

impl Validator {
    /// Validates a new version of a stored submission at a stage. At a stage that ratchets
    /// (`ratchet: true` in the spec), an error at a value unchanged from `previous` (the version
    /// saved earlier, under the rules of its day) becomes a warning, so a rule tightened since then
    /// does not block saving other edits; changed values are judged by today's rules, and stages
    /// that do not ratchet judge everything.
    pub fn validate_update(&self, value: &Value, previous: &Value, stage: StageRef) -> Report {
        let mut report = self.validate(value, stage);
        if !self.inner.form.stages[stage.index].ratchet {
            return report;
        }
        let (kept, ratcheted): (Vec<Issue>, Vec<Issue>) = std::mem::take(&mut report.errors)
            .into_iter()
            .partition(|e| value.pointer(&e.path) != previous.pointer(&e.path));
        report.errors = kept;
        report.warnings.extend(ratcheted.into_iter().map(|mut e| {
            e.message.push_str(
                " (allowed for now: this value is unchanged since it was saved, before the form's rules changed)",
            );
            e
        }));
        report.valid = report.errors.is_empty();
        report
    }
}

/// How many items of a list are checked one by one: its `max_items`, else [`MAX_LIST_ITEMS`].
fn checked(max: Option<u32>) -> usize {
    max.map_or(MAX_LIST_ITEMS, |m| m as usize)
}

/// A position in the submission, built as a linked list on the stack; rendered only on error.
#[derive(Clone, Copy)]
pub(crate) struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    seg: Seg<'a>,
}

#[derive(Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

fn pointer(path: Option<&Path<'_>>) -> String {
    let mut segs: [Option<Seg<'_>>; 8] = [None; 8];
    let mut deeper = Vec::new();
    let (mut n, mut len) = (0, 0);
    let mut cur = path;
    while let Some(p) = cur {
        len += 1 + match p.seg {
            Seg::Key(k) => k.len(),
            Seg::Index(_) => 4,
        };
        match segs.get_mut(n) {
            Some(slot) => *slot = Some(p.seg),
            None => deeper.push(p.seg),
        }
        n += 1;
        cur = p.parent;
    }
    let mut out = String::with_capacity(len);
    let outer = deeper.iter().rev().copied();
    for s in outer.chain(segs.iter().take(n.min(8)).rev().flatten().copied()) {
        match s {
            Seg::Key(k) => push_pointer_segment(&mut out, k),
            Seg::Index(i) => {
                use std::fmt::Write;
                let _ = write!(out, "/{i}");
            }
        }
    }
    out
}

/// The most problems one report lists; the rest are counted in a last `truncated` entry, so a
/// submission's report stays small whatever the submission.
pub const MAX_ISSUES: usize = 1000;

/// The most items of a list that are checked one by one when the spec declares no `max_items`
/// (beyond a declared `max_items`, items are reported once, as too many, and not checked).
pub const MAX_LIST_ITEMS: usize = formwork_schema::expr::shape::MAX_LIST_ITEMS as usize;

struct Run {
    stage: usize,
    /// Some value was ignored, its field's `shown_when` not holding.
    hidden: bool,
    errors: Vec<Issue>,
    warnings: Vec<Issue>,
    /// Problems found past [`MAX_ISSUES`], not listed.
    omitted: usize,
}

type Params = Vec<(&'static str, Param)>;

impl Run {
    fn new(stage: usize) -> Run {
        Run {
            stage,
            hidden: false,
            errors: Vec::new(),
            warnings: Vec::new(),
            omitted: 0,
        }
    }

    /// The report: the issues found, and a last `truncated` entry counting those past
    /// [`MAX_ISSUES`].
    fn finish(mut self, form: &Form, stage: usize) -> Report {
        let valid = self.errors.is_empty() && self.omitted == 0;
        let truncated = self.omitted > 0;
        if truncated {
            self.errors.push(Issue {
                path: String::new(),
                code: "truncated".to_string(),
                message: fill(
                    template("truncated"),
                    &[("count", Param::from(self.omitted))],
                ),
                params: vec![("count", Param::from(self.omitted))],
            });
        }
        Report {
            valid,
            stage: form.stages[stage].id.clone(),
            errors: self.errors,
            warnings: self.warnings,
            truncated,
        }
    }

    fn not_an_object(&mut self) {
        self.push(
            Severity::Error,
            None,
            "type",
            "The submission must be a JSON object".to_string(),
            Vec::new(),
        );
    }

    /// How many issues are listed so far.
    fn listed(&self) -> usize {
        self.errors.len() + self.warnings.len()
    }

    /// Whether the report is full: further problems are only counted.
    fn full(&mut self) -> bool {
        if self.listed() >= MAX_ISSUES {
            self.omitted += 1;
            true
        } else {
            false
        }
    }

    fn push(
        &mut self,
        severity: Severity,
        path: Option<&Path<'_>>,
        code: &str,
        message: String,
        params: Params,
    ) {
        if self.full() {
            return;
        }
        let issue = Issue {
            path: pointer(path),
            code: code.to_string(),
            message,
            params,
        };
        match severity {
            Severity::Error => self.errors.push(issue),
            Severity::Warning => self.warnings.push(issue),
        }
    }

    /// Reports a problem with field `f`, message from the field's override or the catalogue.
    fn field_issue(
        &mut self,
        severity: Severity,
        path: Option<&Path<'_>>,
        f: &CField,
        code: &str,
        params: Params,
    ) {
        if self.full() {
            return;
        }
        let tpl = f
            .messages
            .get(code)
            .map(String::as_str)
            .unwrap_or_else(|| template(code));
        let message = fill_labelled(tpl, Some(&f.label), &params);
        self.push(severity, path, code, message, params);
    }

    fn error(&mut self, path: Option<&Path<'_>>, f: &CField, code: &str, params: Params) {
        self.field_issue(Severity::Error, path, f, code, params);
    }

    fn object(&mut self, obj: &CObject, map: &Map<String, Value>, path: Option<&Path<'_>>) {
        let mut seen = BitSet::new(obj.fields.len());
        let mut next = 0;
        for (key, value) in map {
            let child = Path {
                parent: path,
                seg: Seg::Key(key),
            };
            match obj.find(key, &mut next) {
                Some(i) => {
                    seen.set(i);
                    match presence(&obj.fields[i], Some(map)) {
                        Some(f) => self.field(f, value, &child),
                        // Hidden: its value is ignored, and said to be.
                        None => {
                            self.hidden = true;
                            if formwork_schema::model::is_filled(value) {
                                self.field_issue(
                                    Severity::Warning,
                                    Some(&child),
                                    &obj.fields[i],
                                    "hidden",
                                    Vec::new(),
                                );
                            }
                        }
                    }
                }
                None => self.unknown_field(key, &child),
            }
        }
        self.missing_fields(obj, &seen, path, Some(map));
    }

    fn unknown_field(&mut self, key: &str, path: &Path<'_>) {
        self.push(
            Severity::Error,
            Some(path),
            "unknown_field",
            fill(template("unknown_field"), &[("field", Param::from(key))]),
            Vec::new(),
        );
    }

    /// Required fields (and booleans that must be true) that the object leaves out.
    fn missing_fields(
        &mut self,
        obj: &CObject,
        seen: &BitSet,
        path: Option<&Path<'_>>,
        map: Option<&Map<String, Value>>,
    ) {
        for (i, f) in obj.fields.iter().enumerate() {
            if seen.get(i) {
                continue;
            }
            let Some(f) = presence(f, map) else {
                continue;
            };
            let child = Path {
                parent: path,
                seg: Seg::Key(&f.key),
            };
            if f.required.contains(self.stage) {
                self.error(Some(&child), f, required_code(&f.kind), Vec::new());
            } else if let CKind::Boolean(must) = &f.kind
                && must.contains(self.stage)
            {
                self.error(Some(&child), f, "must_be_true", Vec::new());
            }
        }
    }

    fn type_error(&mut self, path: &Path<'_>, f: &CField, expected: &'static str) {
        self.error(
            Some(path),
            f,
            "type",
            vec![("expected", Param::from(expected))],
        );
    }

    /// The type error for a value of another JSON type than field `f` takes.
    fn mismatch(&mut self, f: &CField, path: &Path<'_>) {
        let expected = match &f.kind {
            CKind::Text(_) => "a text",
            CKind::Number(n) if n.integer => "a whole number",
            CKind::Number(_) => "a number",
            CKind::Boolean(_) => "true or false",
            CKind::Choice(c) if c.multiple => "a list of values",
            CKind::Choice(_) => "one of the allowed values",
            CKind::File(c) if c.rules.multiple => "a list of files",
            CKind::File(_) => "a file",
            CKind::Object(_) => "an object",
            CKind::Group(_) => "a list",
        };
        self.type_error(path, f, expected);
    }

    fn field(&mut self, f: &CField, value: &Value, path: &Path<'_>) {
        let required = f.required.contains(self.stage);
        match (&f.kind, value) {
            (CKind::Text(t), Value::String(s)) => {
                if !self.text_field(f, t, s, path) {
                    return;
                }
            }
            (CKind::Number(n), Value::Number(num)) => {
                let x = num.as_f64().unwrap_or(f64::NAN);
                self.number(f, n, x, num.is_i64() || num.is_u64(), path);
            }
            (CKind::Boolean(must), Value::Bool(b)) => self.boolean(f, *must, *b, path),
            (CKind::Choice(c), Value::String(s)) if !c.multiple => self.choice(f, c, s, path),
            (CKind::Choice(c), Value::Array(items)) if c.multiple => {
                self.count(f, items.len(), c.min_items, c.max_items, required, path);
                let mut seen = BitSet::new(c.len);
                for (i, item) in items.iter().enumerate().take(checked(c.max_items)) {
                    let child = Path {
                        parent: Some(path),
                        seg: Seg::Index(i),
                    };
                    self.choice_item(f, c, item.as_str(), &mut seen, &child);
                }
            }
            (CKind::File(c), Value::Array(items)) if c.rules.multiple => {
                self.count(
                    f,
                    items.len(),
                    c.rules.min_items,
                    c.rules.max_items,
                    required,
                    path,
                );
                for (i, item) in items.iter().enumerate().take(checked(c.rules.max_items)) {
                    let child = Path {
                        parent: Some(path),
                        seg: Seg::Index(i),
                    };
                    self.file(f, c, item, &child);
                }
            }
            (CKind::File(c), _) if !c.rules.multiple => self.file(f, c, value, path),
            (CKind::Object(o), Value::Object(map)) => self.object(o, map, Some(path)),
            (CKind::Group(g), Value::Array(items)) => {
                self.count(f, items.len(), g.min_items, g.max_items, required, path);
                for (i, item) in items.iter().enumerate().take(checked(g.max_items)) {
                    let child = Path {
                        parent: Some(path),
                        seg: Seg::Index(i),
                    };
                    match item {
                        Value::Object(map) => self.object(&g.object, map, Some(&child)),
                        _ => self.type_error(&child, f, "an object"),
                    }
                }
            }
            _ => self.mismatch(f, path),
        }
        if !f.checks.is_empty() {
            self.checks(f, value, path);
        }
    }

    /// A text value of a text field; `false` when it is missing (blank where required), so
    /// that nothing else is said about it.
    fn text_field(&mut self, f: &CField, t: &CText, s: &str, path: &Path<'_>) -> bool {
        if s.trim().is_empty() && f.required.contains(self.stage) {
            self.error(Some(path), f, "required", Vec::new());
            return false;
        }
        self.text(f, t, s, path);
        true
    }

    /// A number `x`, written without fraction or exponent when `whole`.
    fn number(&mut self, f: &CField, n: &NumberRules, x: f64, whole: bool, path: &Path<'_>) {
        if n.integer && !(whole || x.fract() == 0.0) {
            self.error(Some(path), f, "integer", Vec::new());
        }
        if let Some(min) = n.minimum
            && x < min
        {
            self.error(Some(path), f, "minimum", vec![("min", Param::from(min))]);
        }
        if let Some(max) = n.maximum
            && x > max
        {
            self.error(Some(path), f, "maximum", vec![("max", Param::from(max))]);
        }
    }

    fn boolean(&mut self, f: &CField, must: StageSet, b: bool, path: &Path<'_>) {
        if !b && must.contains(self.stage) {
            self.error(Some(path), f, "must_be_true", Vec::new());
        }
    }

    /// The value of a single choice.
    fn choice(&mut self, f: &CField, c: &CChoice, s: &str, path: &Path<'_>) {
        if !c.index.contains_key(s) {
            self.error(Some(path), f, "choice", vec![("value", Param::from(s))]);
        }
    }

    /// One item of a multiple choice (`None`: not a text); `seen` holds the values before it.
    fn choice_item(
        &mut self,
        f: &CField,
        c: &CChoice,
        item: Option<&str>,
        seen: &mut BitSet,
        path: &Path<'_>,
    ) {
        let Some(s) = item else {
            self.type_error(path, f, "one of the allowed values");
            return;
        };
        match c.index.get(s) {
            Some(&idx) => {
                if seen.get(idx as usize) && c.distinct {
                    self.error(Some(path), f, "distinct", vec![("value", Param::from(s))]);
                }
                seen.set(idx as usize);
            }
            None => self.error(Some(path), f, "choice", vec![("value", Param::from(s))]),
        }
    }

    /// Item counts of lists: `min_items` (or 1) where required, `max_items` always.
    fn count(
        &mut self,
        f: &CField,
        n: usize,
        min: Option<u32>,
        max: Option<u32>,
        required: bool,
        path: &Path<'_>,
    ) {
        if required {
            let min = min.unwrap_or(1).max(1) as usize;
            if n == 0 {
                self.error(Some(path), f, required_code(&f.kind), Vec::new());
            } else if n < min {
                self.error(
                    Some(path),
                    f,
                    "min_items",
                    vec![("min", Param::from(min)), ("actual", Param::from(n))],
                );
            }
        }
        let limit = max.map_or(MAX_LIST_ITEMS, |m| m as usize);
        if n > limit {
            // Reported once; the items past the limit are not checked one by one.
            self.error(
                Some(path),
                f,
                "max_items",
                vec![("max", Param::from(limit)), ("actual", Param::from(n))],
            );
        }
    }

    fn text(&mut self, f: &CField, t: &CText, s: &str, path: &Path<'_>) {
        // A URL of the common shape is printable ASCII throughout: judged first, it spares the
        // control-character scan.
        let plain_url = match t.format {
            CFormat::Url { .. } => crate::url::plain(s),
            _ => None,
        };
        // Control characters (NUL included) are never stored or echoed: one-line texts may have
        // none, longer ones only line breaks and tabs.
        if let Some(c) = plain_url
            .is_none()
            .then(|| first_control(s, t.single_line))
            .flatten()
        {
            let code = if t.single_line {
                "control_characters"
            } else {
                "control_characters_long"
            };
            self.error(
                Some(path),
                f,
                code,
                vec![("character", Param::from(format!("U+{:04X}", u32::from(c))))],
            );
            return;
        }
        // Texts without `max_length` are capped too (CEL cost estimates rely on it).
        let max = t
            .max_length
            .map_or(formwork_schema::expr::shape::MAX_TEXT_CHARS as usize, |m| {
                m as usize
            });
        // Byte length bounds the character count from above: skip counting when it cannot matter.
        if s.len() > max || t.min_length.is_some() {
            let n = s.chars().count();
            if n > max {
                self.error(
                    Some(path),
                    f,
                    "max_length",
                    vec![("max", Param::from(max)), ("actual", Param::from(n))],
                );
            }
            if let Some(min) = t.min_length
                && n < min as usize
            {
                self.error(
                    Some(path),
                    f,
                    "min_length",
                    vec![("min", Param::from(min)), ("actual", Param::from(n))],
                );
            }
        }
        if let Some(re) = &t.pattern
            && !re.is_match(s)
        {
            self.error(Some(path), f, "pattern", Vec::new());
        }
        match &t.format {
            CFormat::Plain => {}
            CFormat::Email => {
                if !crate::text::is_email(s) {
                    self.error(Some(path), f, "email", Vec::new());
                }
            }
            CFormat::Url { schemes, hosts } => {
                let parts = plain_url.or_else(|| crate::url::parsed(s));
                self.url(f, parts, schemes, hosts, path)
            }
            CFormat::Json { json_type } => self.json(f, s, *json_type, path),
        }
    }

    /// A URL's checks, given its scheme and host (`None`: not an absolute URL with a host).
    fn url(
        &mut self,
        f: &CField,
        parts: Option<(&str, &str)>,
        schemes: &[Box<str>],
        hosts: &[Box<str>],
        path: &Path<'_>,
    ) {
        let Some((scheme, host)) = parts else {
            self.error(Some(path), f, "url", Vec::new());
            return;
        };
        if !schemes.iter().any(|x| x.eq_ignore_ascii_case(scheme)) {
            let list: Vec<String> = schemes.iter().map(|x| format!("{x}://")).collect();
            self.error(
                Some(path),
                f,
                "scheme",
                vec![
                    ("schemes", Param::from(list.join(" or "))),
                    ("actual", Param::from(scheme)),
                ],
            );
        }
        if !hosts.is_empty() && !hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
            self.error(
                Some(path),
                f,
                "host",
                vec![
                    ("hosts", Param::from(hosts.join(", "))),
                    ("actual", Param::from(host)),
                ],
            );
        }
    }

    fn json(&mut self, f: &CField, s: &str, json_type: Option<JsonType>, path: &Path<'_>) {
        if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(s) {
            let msg = e.to_string();
            let short = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            self.error(
                Some(path),
                f,
                "json",
                vec![
                    ("error", Param::from(short)),
                    ("line", Param::from(e.line())),
                    ("column", Param::from(e.column())),
                ],
            );
            return;
        }
        if let Some(want) = json_type {
            let first = s.trim_start().as_bytes().first().copied();
            let ok = match want {
                JsonType::Object => first == Some(b'{'),
                JsonType::Array => first == Some(b'['),
                JsonType::String => first == Some(b'"'),
                JsonType::Boolean => matches!(first, Some(b't' | b'f')),
                JsonType::Number => matches!(first, Some(b'-' | b'0'..=b'9')),
            };
            if !ok {
                self.error(
                    Some(path),
                    f,
                    "json_type",
                    vec![("expected", Param::from(want.name()))],
                );
            }
        }
    }

    fn file(&mut self, f: &CField, c: &CFile, value: &Value, path: &Path<'_>) {
        let Value::Object(map) = value else {
            self.type_error(path, f, "a file");
            return;
        };
        let mut meta = FileMeta::default();
        for (k, v) in map {
            let child = Path {
                parent: Some(path),
                seg: Seg::Key(k),
            };
            let v = match v {
                Value::String(s) => Meta::Text(s.as_str().into()),
                Value::Number(n) => n.as_u64().map_or(Meta::Other, Meta::Whole),
                _ => Meta::Other,
            };
            self.file_entry(f, c, k, v, &mut meta, &child);
        }
        self.file_end(f, c, &meta, path);
    }

    /// One metadata entry of a file (`key` at `path`), noted in `meta`.
    fn file_entry<'v>(
        &mut self,
        f: &CField,
        c: &CFile,
        key: &str,
        value: Meta<'v>,
        meta: &mut FileMeta<'v>,
        path: &Path<'_>,
    ) {
        let r = &c.rules;
        // One look at the key (bits as in `FileMeta::bit`), then the value.
        let bit = FileMeta::bit(key);
        meta.present |= bit;
        match (bit, value) {
            (1, Meta::Text(_)) => {}
            (2, Meta::Text(s)) => meta.media_type = Some(s),
            (4, Meta::Whole(n)) => meta.size = Some(n),
            (8, Meta::Whole(n)) if r.image => meta.width = Some(n),
            (16, Meta::Whole(n)) if r.image => meta.height = Some(n),
            (1 | 2, _) => self.type_error(path, f, "a text"),
            (4, _) => self.type_error(path, f, "a whole number of bytes"),
            (8 | 16, _) if r.image => self.type_error(path, f, "a whole number of pixels"),
            _ => self.unknown_field(key, path),
        }
    }

    /// A file's checks once its metadata is read.
    fn file_end(&mut self, f: &CField, c: &CFile, meta: &FileMeta<'_>, path: &Path<'_>) {
        let r = &c.rules;
        let present = meta.present;
        let media_type = meta.media_type.as_deref();
        let (size, width, height) = (meta.size, meta.width, meta.height);
        let must = |run: &mut Run, key: &'static str, present: bool| {
            if !present {
                let child = Path {
                    parent: Some(path),
                    seg: Seg::Key(key),
                };
                run.error(
                    Some(&child),
                    f,
                    "file_metadata",
                    vec![("key", Param::from(key))],
                );
            }
        };
        must(self, "name", present & 1 != 0);
        must(self, "media_type", present & 2 != 0);
        must(self, "size", present & 4 != 0);
        if r.image {
            must(self, "width", present & 8 != 0);
            must(self, "height", present & 16 != 0);
        }
        if let Some(t) = media_type
            && !r.media_types.is_empty()
            && !r.media_types.iter().any(|m| m.eq_ignore_ascii_case(t))
        {
            self.error(
                Some(path),
                f,
                "media_type",
                vec![
                    ("allowed", Param::from(c.allowed_types.as_str())),
                    ("actual", Param::from(t)),
                ],
            );
        }
        if let (Some(n), Some(max)) = (size, r.max_bytes)
            && n > max
        {
            self.error(
                Some(path),
                f,
                "max_bytes",
                vec![
                    ("max", Param::from(max)),
                    ("actual", Param::from(n)),
                    ("max_human", Param::from(human_bytes(max))),
                    ("actual_human", Param::from(human_bytes(n))),
                ],
            );
        }
        for (code, side, min) in [
            ("min_width", width, r.min_width),
            ("min_height", height, r.min_height),
        ] {
            if let (Some(n), Some(min)) = (side, min)
                && n < u64::from(min)
            {
                self.error(
                    Some(path),
                    f,
                    code,
                    vec![("min", Param::from(min)), ("actual", Param::from(n))],
                );
            }
        }
        // No image is larger than the spec's maximum, and never than MAX_IMAGE_SIDE: a tiny file
        // claiming 100000x100000 is a decompression bomb for every browser that shows it.
        let (max_w, max_h) = r.max_side();
        for (code, side, max) in [("max_width", width, max_w), ("max_height", height, max_h)] {
            if let Some(n) = side
                && n > u64::from(max)
            {
                self.error(
                    Some(path),
                    f,
                    code,
                    vec![("max", Param::from(max)), ("actual", Param::from(n))],
                );
            }
        }
        if let (Some(w), Some(h)) = (width, height) {
            let dims = || vec![("width", Param::from(w)), ("height", Param::from(h))];
            if let Some((rw, rh)) = r.aspect_ratio
                && u128::from(w) * u128::from(rh) != u128::from(h) * u128::from(rw)
            {
                let mut p = dims();
                p.push(("ratio", Param::from(format!("{rw}:{rh}"))));
                self.error(Some(path), f, "aspect_ratio", p);
            }
            if !r.sizes.is_empty()
                && !r
                    .sizes
                    .iter()
                    .any(|s| u64::from(s.width) == w && u64::from(s.height) == h)
            {
                let mut p = dims();
                p.push(("allowed", Param::from(c.allowed_sizes.as_str())));
                self.error(Some(path), f, "size", p);
            }
        }
    }

    fn checks(&mut self, f: &CField, value: &Value, path: &Path<'_>) {
        for check in &f.checks {
            if !self.applies(check.stages) {
                continue;
            }
            let verdict = match &check.test {
                CCheckTest::Cel(cel) => match crate::cel_eval::eval(cel, "value", value) {
                    Ok(b) => (b, vec![("expr", Param::from(&*cel.expr))]),
                    Err(e) => (
                        false,
                        vec![("expr", Param::from(&*cel.expr)), ("error", Param::from(e))],
                    ),
                },
                test => text_check(test, value.as_str()),
            };
            self.check_issue(f, check, verdict, path);
        }
    }

    /// The checks of a field without CEL checks, on its value when that is a text (`text`).
    fn text_checks(&mut self, f: &CField, text: Option<&str>, path: &Path<'_>) {
        for check in &f.checks {
            if !self.applies(check.stages) {
                continue;
            }
            let verdict = text_check(&check.test, text);
            self.check_issue(f, check, verdict, path);
        }
    }

    /// Whether a check or rule that applies at `stages` (`None`: every stage) applies now.
    fn applies(&self, stages: Option<StageSet>) -> bool {
        stages.is_none_or(|s| s.contains(self.stage))
    }

    fn check_issue(
        &mut self,
        f: &CField,
        check: &CCheck,
        (ok, params): (bool, Params),
        path: &Path<'_>,
    ) {
        if ok {
            return;
        }
        let code = match check.test {
            CCheckTest::SentenceCase => "sentence_case",
            CCheckTest::Scheme(_) => "scheme",
            CCheckTest::Cel(..) => "check",
        };
        match &check.message {
            Some(m) => {
                let message = fill_labelled(m, Some(&f.label), &params);
                self.push(check.severity, Some(path), code, message, params);
            }
            None => self.field_issue(check.severity, Some(path), f, code, params),
        }
    }

    /// Applies a cross-field rule to the submission; counting rules get the `tally` of their
    /// values over the group's items.
    fn rule(&mut self, rule: &CRule, tally: Option<&Tally>, submission: &Value) {
        if !self.applies(rule.stages) {
            return;
        }
        match (&rule.test, tally) {
            (CRuleTest::MaxPerValue { agg, max }, Some(tally)) => {
                for (idx, count) in tally.counts().enumerate() {
                    if count > *max {
                        let params = vec![
                            ("value", Param::from(&*agg.ids[idx])),
                            ("label", Param::from(&*agg.labels[idx])),
                            ("count", Param::from(count)),
                            ("max", Param::from(*max)),
                            ("item", Param::from(&*agg.item_label)),
                            ("items", Param::from(&*agg.items)),
                        ];
                        self.rule_issue(rule, &agg.parts[0].0, "max_per_value", params);
                    }
                }
            }
            (CRuleTest::MaxTotal { agg, max }, Some(tally)) if tally.total > *max as usize => {
                let params = vec![
                    ("count", Param::from(tally.total)),
                    ("max", Param::from(*max)),
                    ("item", Param::from(&*agg.item_label)),
                    ("items", Param::from(&*agg.items)),
                ];
                self.rule_issue(rule, &agg.parts[0].0, "max_total", params);
            }
            (
                CRuleTest::CelEach {
                    group,
                    sub,
                    cel,
                    message,
                    limit,
                },
                _,
            ) => {
                let Some(Value::Array(items)) = submission.get(&**group) else {
                    return;
                };
                let at_group = Path {
                    parent: None,
                    seg: Seg::Key(group),
                };
                for (i, item) in items.iter().enumerate().take(*limit) {
                    let index = ("index", Param::from(i + 1));
                    let Some((message, params)) =
                        cel_failure(rule, cel, message.as_deref(), "item", item, Some(index))
                    else {
                        continue;
                    };
                    let at_item = Path {
                        parent: Some(&at_group),
                        seg: Seg::Index(i),
                    };
                    match sub {
                        Some(sub) => {
                            let at_field = Path {
                                parent: Some(&at_item),
                                seg: Seg::Key(sub),
                            };
                            self.push(rule.severity, Some(&at_field), &rule.id, message, params);
                        }
                        None => self.push(rule.severity, Some(&at_item), &rule.id, message, params),
                    }
                }
            }
            (CRuleTest::Cel { cel, path, message }, _) => {
                let Some((message, params)) =
                    cel_failure(rule, cel, message.as_deref(), "self", submission, None)
                else {
                    return;
                };
                self.errors_or_warnings(rule.severity).push(Issue {
                    path: path.to_string(),
                    code: rule.id.to_string(),
                    message,
                    params,
                });
            }
            _ => {}
        }
    }

    fn rule_issue(&mut self, rule: &CRule, group: &str, default_code: &str, params: Params) {
        let message = rule_message(rule, default_code, &params);
        let mut path = String::new();
        push_pointer_segment(&mut path, group);
        self.errors_or_warnings(rule.severity).push(Issue {
            path,
            code: rule.id.to_string(),
            message,
            params,
        });
    }

    fn errors_or_warnings(&mut self, severity: Severity) -> &mut Vec<Issue> {
        match severity {
            Severity::Error => &mut self.errors,
            Severity::Warning => &mut self.warnings,
        }
    }
}

/// A rule's message: its own, or the catalogue's for `code`, filled with `params`.
fn rule_message(rule: &CRule, code: &str, params: &Params) -> String {
    fill(
        rule.message.as_deref().unwrap_or_else(|| template(code)),
        params,
    )
}

/// The message and parameters of CEL rule `rule` failing on `value` (bound to `var`), `None`
/// when it holds; `extra` follows the rule's own parameters. A message expression makes the
/// message when the rule fails; `message` (or the catalogue's) stands in when it cannot be
/// evaluated.
fn cel_failure(
    rule: &CRule,
    cel: &CCel,
    message: Option<&CCel>,
    var: &str,
    value: &Value,
    extra: Option<(&'static str, Param)>,
) -> Option<(String, Params)> {
    let (code, mut params) = match crate::cel_eval::eval(cel, var, value) {
        Ok(true) => return None,
        Ok(false) => (
            "rule",
            vec![
                ("rule", Param::from(&*rule.id)),
                ("expr", Param::from(&*cel.expr)),
            ],
        ),
        Err(e) => (
            "rule_error",
            vec![("rule", Param::from(&*rule.id)), ("error", Param::from(e))],
        ),
    };
    params.extend(extra);
    let computed = match (code, message) {
        ("rule", Some(m)) => crate::cel_eval::eval_text(m, var, value)
            .ok()
            .map(|text| bounded_message(&text)),
        _ => None,
    };
    let message = computed.unwrap_or_else(|| rule_message(rule, code, &params));
    Some((message, params))
}

/// The longest message a `message_expression` may make, in characters.
const MAX_MESSAGE_CHARS: usize = 1000;

/// `text` cut to [`MAX_MESSAGE_CHARS`] (with `…`).
fn bounded_message(text: &str) -> String {
    match text.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// The verdict of a check that reads a text (`None`: the value is not a text, which the field's
/// own type check reports).
fn text_check(test: &CCheckTest, text: Option<&str>) -> (bool, Params) {
    match (test, text) {
        (CCheckTest::SentenceCase, Some(s)) => (crate::text::is_sentence_case(s), Vec::new()),
        (CCheckTest::Scheme(schemes), Some(s)) => match crate::url::scheme_and_host(s) {
            Some((scheme, _)) => {
                let list: Vec<String> = schemes.iter().map(|x| format!("{x}://")).collect();
                (
                    schemes.iter().any(|x| x.eq_ignore_ascii_case(scheme)),
                    vec![("schemes", Param::from(list.join(" or ")))],
                )
            }
            None => (true, Vec::new()), // not a URL: already reported by the field itself
        },
        _ => (true, Vec::new()),
    }
}

/// The values of a counting rule's sub-fields over its groups' items: how many items hold each
/// value, and how many (item, value) pairs there are in all. A value listed twice in one item
/// counts once.
struct Tally {
    /// By value: (items holding it, the last item that did as [`Tally::mark`], 0 for none).
    /// Lists of up to [`Tally::INLINE`] values are counted without allocating.
    inline: [(u32, u64); Tally::INLINE],
    heap: Vec<(u32, u64)>,
    len: usize,
    total: usize,
}

impl Tally {
    const INLINE: usize = 32;

    fn new(agg: &Aggregate) -> Tally {
        let len = agg.ids.len();
        Tally {
            inline: [(0, 0); Tally::INLINE],
            heap: if len > Tally::INLINE {
                vec![(0, 0); len]
            } else {
                Vec::new()
            },
            len,
            total: 0,
        }
    }

    /// Item `i` of part `part` of the rule, as a non-zero number unique to that item.
    fn mark(part: u32, i: usize) -> u64 {
        let i = u32::try_from(i).map_or(u32::MAX, |i| i.saturating_add(1));
        (u64::from(part) << 32) | u64::from(i)
    }

    fn slots(&self) -> &[(u32, u64)] {
        if self.len > Tally::INLINE {
            &self.heap
        } else {
            &self.inline[..self.len]
        }
    }

    /// How many items hold each value, by value index.
    fn counts(&self) -> impl Iterator<Item = u32> + '_ {
        self.slots().iter().map(|&(count, _)| count)
    }

    /// Counts item `i`'s value (a single choice or a list of choices) of part `part`'s sub-field.
    fn add_item(&mut self, agg: &Aggregate, part: u32, i: usize, item: &Value) {
        let Value::Object(m) = item else {
            return;
        };
        let Some((_, sub)) = agg.parts.get(part as usize) else {
            return;
        };
        // Items hold a few fields: a scan finds the sub-field sooner than hashing its name.
        let v = if m.len() <= 16 {
            m.iter().find(|(k, _)| **k == **sub).map(|(_, v)| v)
        } else {
            m.get(&**sub)
        };
        if let Some(v) = v {
            self.add_value(agg, part, i, v);
        }
    }

    /// Counts `value`, item `i`'s value of part `part`'s sub-field: a text or a list of texts.
    fn add_value(&mut self, agg: &Aggregate, part: u32, i: usize, value: &Value) {
        let mark = Tally::mark(part, i);
        match value {
            Value::String(s) => self.add(agg, mark, s),
            Value::Array(vs) => vs
                .iter()
                .filter_map(Value::as_str)
                .for_each(|s| self.add(agg, mark, s)),
            _ => {}
        }
    }

    fn add(&mut self, agg: &Aggregate, mark: u64, v: &str) {
        let Some(&idx) = agg.index.get(v) else {
            return;
        };
        let slot = if self.len > Tally::INLINE {
            self.heap.get_mut(idx as usize)
        } else {
            self.inline.get_mut(idx as usize)
        };
        if let Some(slot) = slot
            && slot.1 != mark
        {
            slot.1 = mark;
            slot.0 += 1;
            self.total += 1;
        }
    }
}

/// `map` (an object of `obj`'s fields) without the values of fields whose `shown_when` does not
/// hold, at any depth: what rules read.
fn without_hidden(obj: &CObject, map: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, value) in map {
        let Some(f) = obj.index.get(&**key).map(|&i| &obj.fields[i]) else {
            out.insert(key.clone(), value.clone());
            continue;
        };
        if presence(f, Some(map)).is_none() {
            continue;
        }
        let kept = match (&f.kind, value) {
            (CKind::Object(o), Value::Object(m)) => Value::Object(without_hidden(o, m)),
            (CKind::Group(g), Value::Array(items)) => Value::Array(
                items
                    .iter()
                    .map(|item| match item {
                        Value::Object(m) => Value::Object(without_hidden(&g.object, m)),
                        other => other.clone(),
                    })
                    .collect(),
            ),
            _ => value.clone(),
        };
        out.insert(key.clone(), kept);
    }
    out
}

/// Field `f` as it applies in the object `map`: itself, itself without its presence rules (a
/// `required_when` that does not hold), or nothing (a `shown_when` that does not hold). Without
/// the object (read as a stream, which reads specs with conditions as a tree) it is itself.
fn presence<'f>(f: &'f CField, map: Option<&Map<String, Value>>) -> Option<&'f CField> {
    let (Some(c), Some(map)) = (&f.conditional, map) else {
        return Some(f);
    };
    if c.shown_when.as_ref().is_some_and(|s| !s.holds(map)) {
        return None;
    }
    if c.required_when.as_ref().is_none_or(|r| r.holds(map)) {
        Some(f)
    } else {
        Some(&c.optional)
    }
}

fn required_code(kind: &CKind) -> &'static str {
    match kind {
        CKind::Choice(_) => "required_choice",
        CKind::File(_) => "required_file",
        _ => "required",
    }
}

/// A small bit set that lives on the stack for up to 128 members.
/// The first control character (Unicode `Cc`: U+0000–U+001F, U+007F–U+009F) of `s`, line
/// breaks and tabs allowed unless `single_line`. Scans bytes: in UTF-8 these characters are the
/// bytes below 0x20, 0x7F, and 0xC2 followed by 0x80–0x9F.
fn first_control(s: &str, single_line: bool) -> Option<char> {
    const CHUNK: usize = 64;
    let b = s.as_bytes();
    let is_control = |i: usize, x: u8| match x {
        b'\n' | b'\r' | b'\t' => single_line,
        0..=0x1F | 0x7F => true,
        0xC2 => b.get(i + 1).is_some_and(|n| (0x80..=0x9F).contains(n)),
        _ => false,
    };
    // Most texts have none: a branch-free test per chunk (vectorised) skips them; only a chunk
    // with a candidate byte is looked at byte by byte.
    for (c, chunk) in b.chunks(CHUNK).enumerate() {
        let candidate = chunk.iter().fold(false, |acc, &x| {
            acc | (x < 0x20) | (x == 0x7F) | (x == 0xC2)
        });
        if !candidate {
            continue;
        }
        let start = c * CHUNK;
        if let Some(at) = (start..start + chunk.len()).find(|&i| is_control(i, b[i])) {
            return s.get(at..).and_then(|rest| rest.chars().next());
        }
    }
    None
}

/// A file's metadata value, as far as the checks care.
enum Meta<'v> {
    Text(std::borrow::Cow<'v, str>),
    /// A whole number that fits `u64`.
    Whole(u64),
    Other,
}

/// The metadata of one file, read entry by entry.
#[derive(Default)]
struct FileMeta<'v> {
    /// Which keys are present (bits: name, media_type, size, width, height).
    present: u8,
    media_type: Option<std::borrow::Cow<'v, str>>,
    size: Option<u64>,
    width: Option<u64>,
    height: Option<u64>,
}

impl FileMeta<'_> {
    fn bit(key: &str) -> u8 {
        match key {
            "name" => 1,
            "media_type" => 2,
            "size" => 4,
            "width" => 8,
            "height" => 16,
            _ => 0,
        }
    }
}

struct BitSet {
    small: [u64; 2],
    large: Vec<u64>,
}

impl BitSet {
    fn new(n: usize) -> Self {
        BitSet {
            small: [0; 2],
            large: if n > 128 {
                vec![0; n.div_ceil(64)]
            } else {
                Vec::new()
            },
        }
    }
    fn words(&mut self) -> &mut [u64] {
        if self.large.is_empty() {
            &mut self.small
        } else {
            &mut self.large
        }
    }
    fn set(&mut self, i: usize) {
        self.words()[i / 64] |= 1 << (i % 64);
    }
    fn get(&self, i: usize) -> bool {
        let w = if self.large.is_empty() {
            &self.small[..]
        } else {
            &self.large[..]
        };
        w[i / 64] & (1 << (i % 64)) != 0
    }
}

#[allow(dead_code)]
fn _assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<Validator>();
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_are_found_at_every_offset() {
        for c in [
            '\u{0}', '\u{1f}', '\u{7f}', '\u{80}', '\u{85}', '\u{9f}', '\n', '\t',
        ] {
            for at in 0..20 {
                for pad in ["a", "é", " "] {
                    let text = format!("{}{c}{}", pad.repeat(at), pad.repeat(20 - at));
                    for single in [true, false] {
                        let want = text.chars().find(|c| {
                            c.is_control() && (single || !matches!(c, '\n' | '\r' | '\t'))
                        });
                        assert_eq!(super::first_control(&text, single), want, "{text:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn control_characters_are_found_by_bytes_as_by_chars() {
        for text in [
            "plain",
            "tab\there",
            "line\nbreak",
            "nul\0",
            "del\u{7f}",
            "c1 \u{85} next",
            "é\u{9f}",
            "\u{a0} nbsp",
            "ok é ü ∑ 🎉",
            "",
            &format!("{}\u{1}", "a".repeat(200)),
            &format!("{}é\n{}\u{9c}", "a".repeat(63), "b".repeat(70)),
        ] {
            for single in [true, false] {
                let want = text
                    .chars()
                    .find(|c| c.is_control() && (single || !matches!(c, '\n' | '\r' | '\t')));
                assert_eq!(
                    super::first_control(text, single),
                    want,
                    "{text:?} {single}"
                );
            }
        }
    }
}
