//! The validator: walks a submission once against the compiled plan, then applies cross-field rules.

use std::sync::Arc;

use formwork_schema::SpecError;
use formwork_schema::model::{Form, Severity};
use serde_json::{Map, Value};

use crate::compile::*;
use crate::messages::{fill, human_bytes, template};
use crate::report::{Issue, Param, Report, push_pointer_segment};

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
        let mut run = Run {
            stage: stage.index,
            errors: Vec::new(),
            warnings: Vec::new(),
            omitted: 0,
        };
        match value {
            Value::Object(map) => {
                run.object(&self.inner.plan.root, map, None);
                for rule in &self.inner.plan.rules {
                    run.rule(rule, map, value);
                }
            }
            _ => run.push(
                Severity::Error,
                None,
                "type",
                "The submission must be a JSON object".to_string(),
                Vec::new(),
            ),
        }
        let valid = run.errors.is_empty() && run.omitted == 0;
        let truncated = run.omitted > 0;
        if truncated {
            run.errors.push(Issue {
                path: String::new(),
                code: "truncated".to_string(),
                message: fill(
                    template("truncated"),
                    &[("count", Param::from(run.omitted))],
                ),
                params: vec![("count", Param::from(run.omitted))],
            });
        }
        Report {
            valid,
            stage: self.inner.form.stages[stage.index].id.clone(),
            errors: run.errors,
            warnings: run.warnings,
            truncated,
        }
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
    let mut segs = Vec::new();
    let mut cur = path;
    while let Some(p) = cur {
        segs.push(p.seg);
        cur = p.parent;
    }
    let mut out = String::new();
    for s in segs.iter().rev() {
        match s {
            Seg::Key(k) => push_pointer_segment(&mut out, k),
            Seg::Index(i) => {
                out.push('/');
                out.push_str(&i.to_string());
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
    errors: Vec<Issue>,
    warnings: Vec<Issue>,
    /// Problems found past [`MAX_ISSUES`], not listed.
    omitted: usize,
}

type Params = Vec<(&'static str, Param)>;

impl Run {
    /// Whether the report is full: further problems are only counted.
    fn full(&mut self) -> bool {
        if self.errors.len() + self.warnings.len() >= MAX_ISSUES {
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
        mut params: Params,
    ) {
        if self.errors.len() + self.warnings.len() >= MAX_ISSUES {
            self.omitted += 1;
            return;
        }
        params.insert(0, ("label", Param::from(&*f.label)));
        let tpl = f
            .messages
            .get(code)
            .map(String::as_str)
            .unwrap_or_else(|| template(code));
        let message = fill(tpl, &params);
        params.remove(0);
        self.push(severity, path, code, message, params);
    }

    fn error(&mut self, path: Option<&Path<'_>>, f: &CField, code: &str, params: Params) {
        self.field_issue(Severity::Error, path, f, code, params);
    }

    fn object(&mut self, obj: &CObject, map: &Map<String, Value>, path: Option<&Path<'_>>) {
        let mut seen = BitSet::new(obj.fields.len());
        // Submissions mostly list fields in the spec's order (the generated forms and types do):
        // try the field after the last one found before hashing the key.
        let mut next = 0;
        for (key, value) in map {
            let child = Path {
                parent: path,
                seg: Seg::Key(key),
            };
            let found = match obj.fields.get(next) {
                Some(f) if *f.key == **key => Some(next),
                _ => obj.index.get(key.as_str()).copied(),
            };
            match found {
                Some(i) => {
                    next = i + 1;
                    seen.set(i);
                    self.field(&obj.fields[i], value, &child);
                }
                None => self.push(
                    Severity::Error,
                    Some(&child),
                    "unknown_field",
                    fill(
                        template("unknown_field"),
                        &[("field", Param::from(key.as_str()))],
                    ),
                    Vec::new(),
                ),
            }
        }
        for (i, f) in obj.fields.iter().enumerate() {
            if seen.get(i) {
                continue;
            }
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

    fn field(&mut self, f: &CField, value: &Value, path: &Path<'_>) {
        let required = f.required.contains(self.stage);
        match (&f.kind, value) {
            (CKind::Text(t), Value::String(s)) => {
                if s.trim().is_empty() && required {
                    self.error(Some(path), f, "required", Vec::new());
                    return;
                }
                self.text(f, t, s, path);
            }
            (CKind::Text(_), _) => self.type_error(path, f, "a text"),
            (CKind::Number(n), Value::Number(num)) => {
                let x = num.as_f64().unwrap_or(f64::NAN);
                if n.integer && !(num.is_i64() || num.is_u64() || x.fract() == 0.0) {
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
            (CKind::Number(n), _) => self.type_error(
                path,
                f,
                if n.integer {
                    "a whole number"
                } else {
                    "a number"
                },
            ),
            (CKind::Boolean(must), Value::Bool(b)) => {
                if !b && must.contains(self.stage) {
                    self.error(Some(path), f, "must_be_true", Vec::new());
                }
            }
            (CKind::Boolean(_), _) => self.type_error(path, f, "true or false"),
            (CKind::Choice(c), Value::String(s)) if !c.multiple => {
                if !c.index.contains_key(s.as_str()) {
                    self.error(
                        Some(path),
                        f,
                        "choice",
                        vec![("value", Param::from(s.as_str()))],
                    );
                }
            }
            (CKind::Choice(c), Value::Array(items)) if c.multiple => {
                self.choices(f, c, items, required, path)
            }
            (CKind::Choice(c), _) => self.type_error(
                path,
                f,
                if c.multiple {
                    "a list of values"
                } else {
                    "one of the allowed values"
                },
            ),
            (CKind::File(c), _) if c.rules.multiple => match value {
                Value::Array(items) => {
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
                _ => self.type_error(path, f, "a list of files"),
            },
            (CKind::File(c), _) => self.file(f, c, value, path),
            (CKind::Object(o), Value::Object(map)) => self.object(o, map, Some(path)),
            (CKind::Object(_), _) => self.type_error(path, f, "an object"),
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
            (CKind::Group(_), _) => self.type_error(path, f, "a list"),
        }
        if !f.checks.is_empty() {
            self.checks(f, value, path);
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

    fn choices(
        &mut self,
        f: &CField,
        c: &CChoice,
        items: &[Value],
        required: bool,
        path: &Path<'_>,
    ) {
        self.count(f, items.len(), c.min_items, c.max_items, required, path);
        let mut seen = BitSet::new(c.len);
        for (i, item) in items.iter().enumerate().take(checked(c.max_items)) {
            let child = Path {
                parent: Some(path),
                seg: Seg::Index(i),
            };
            match item {
                Value::String(s) => match c.index.get(s.as_str()) {
                    Some(&idx) => {
                        if seen.get(idx as usize) && c.distinct {
                            self.error(
                                Some(&child),
                                f,
                                "distinct",
                                vec![("value", Param::from(s.as_str()))],
                            );
                        }
                        seen.set(idx as usize);
                    }
                    None => self.error(
                        Some(&child),
                        f,
                        "choice",
                        vec![("value", Param::from(s.as_str()))],
                    ),
                },
                _ => self.type_error(&child, f, "one of the allowed values"),
            }
        }
    }

    fn text(&mut self, f: &CField, t: &CText, s: &str, path: &Path<'_>) {
        // Control characters (NUL included) are never stored or echoed: one-line texts may have
        // none, longer ones only line breaks and tabs.
        if let Some(c) = first_control(s, t.single_line) {
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
            CFormat::Url { schemes, hosts } => self.url(f, s, schemes, hosts, path),
            CFormat::Json { json_type } => self.json(f, s, *json_type, path),
        }
    }

    fn url(
        &mut self,
        f: &CField,
        s: &str,
        schemes: &[Box<str>],
        hosts: &[Box<str>],
        path: &Path<'_>,
    ) {
        let Some((scheme, host)) = crate::url::scheme_and_host(s) else {
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
        let r = &c.rules;
        let mut media_type = None;
        let mut size = None;
        let mut width = None;
        let mut height = None;
        // Which metadata keys are present (bits: name, media_type, size, width, height).
        let mut present = 0u8;
        for (k, v) in map {
            present |= match k.as_str() {
                "name" => 1,
                "media_type" => 2,
                "size" => 4,
                "width" => 8,
                "height" => 16,
                _ => 0,
            };
            let child = Path {
                parent: Some(path),
                seg: Seg::Key(k),
            };
            match (k.as_str(), v) {
                ("name", Value::String(_)) => {}
                ("media_type", Value::String(s)) => media_type = Some(s.as_str()),
                ("size", Value::Number(n)) if n.as_u64().is_some() => size = n.as_u64(),
                ("width", Value::Number(n)) if r.image && n.as_u64().is_some() => {
                    width = n.as_u64()
                }
                ("height", Value::Number(n)) if r.image && n.as_u64().is_some() => {
                    height = n.as_u64()
                }
                ("name" | "media_type", _) => self.type_error(&child, f, "a text"),
                ("size", _) => self.type_error(&child, f, "a whole number of bytes"),
                ("width" | "height", _) if r.image => {
                    self.type_error(&child, f, "a whole number of pixels")
                }
                _ => self.push(
                    Severity::Error,
                    Some(&child),
                    "unknown_field",
                    fill(
                        template("unknown_field"),
                        &[("field", Param::from(k.as_str()))],
                    ),
                    Vec::new(),
                ),
            }
        }
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
        if let (Some(w), Some(min)) = (width, r.min_width)
            && w < u64::from(min)
        {
            self.error(
                Some(path),
                f,
                "min_width",
                vec![("min", Param::from(min)), ("actual", Param::from(w))],
            );
        }
        if let (Some(h), Some(min)) = (height, r.min_height)
            && h < u64::from(min)
        {
            self.error(
                Some(path),
                f,
                "min_height",
                vec![("min", Param::from(min)), ("actual", Param::from(h))],
            );
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
            let (ok, mut params): (bool, Params) = match (&check.test, value) {
                (CCheckTest::SentenceCase, Value::String(s)) => {
                    (crate::text::is_sentence_case(s), Vec::new())
                }
                (CCheckTest::Scheme(schemes), Value::String(s)) => {
                    match crate::url::scheme_and_host(s) {
                        Some((scheme, _)) => {
                            let list: Vec<String> =
                                schemes.iter().map(|x| format!("{x}://")).collect();
                            (
                                schemes.iter().any(|x| x.eq_ignore_ascii_case(scheme)),
                                vec![("schemes", Param::from(list.join(" or ")))],
                            )
                        }
                        None => (true, Vec::new()), // not a URL: already reported by the field itself
                    }
                }
                (CCheckTest::Cel(cel), v) => match crate::cel_eval::eval(cel, "value", v) {
                    Ok(b) => (b, vec![("expr", Param::from(&*cel.expr))]),
                    Err(e) => (
                        false,
                        vec![("expr", Param::from(&*cel.expr)), ("error", Param::from(e))],
                    ),
                },
                _ => (true, Vec::new()),
            };
            if !ok {
                let code = match check.test {
                    CCheckTest::SentenceCase => "sentence_case",
                    CCheckTest::Scheme(_) => "scheme",
                    CCheckTest::Cel(..) => "check",
                };
                match &check.message {
                    Some(m) => {
                        params.insert(0, ("label", Param::from(&*f.label)));
                        let message = fill(m, &params);
                        params.remove(0);
                        self.push(check.severity, Some(path), code, message, params);
                    }
                    None => self.field_issue(check.severity, Some(path), f, code, params),
                }
            }
        }
    }

    /// Applies a cross-field rule; `root` is `submission` as a map (the submission is an object).
    fn rule(&mut self, rule: &CRule, root: &Map<String, Value>, submission: &Value) {
        match &rule.test {
            CRuleTest::MaxPerValue { agg, max } => {
                let Some(Value::Array(items)) = root.get(&*agg.group) else {
                    return;
                };
                let mut counts = vec![0u32; agg.ids.len()];
                let mut last_item = vec![usize::MAX; agg.ids.len()];
                for (i, item) in items.iter().enumerate() {
                    for_each_value(item, &agg.sub, |v| {
                        if let Some(&idx) = agg.index.get(v) {
                            let idx = idx as usize;
                            if last_item[idx] != i {
                                last_item[idx] = i;
                                counts[idx] += 1;
                            }
                        }
                    });
                }
                for (idx, &count) in counts.iter().enumerate() {
                    if count > *max {
                        let params = vec![
                            ("value", Param::from(&*agg.ids[idx])),
                            ("label", Param::from(&*agg.labels[idx])),
                            ("count", Param::from(count)),
                            ("max", Param::from(*max)),
                            ("item", Param::from(&*agg.item_label)),
                            ("items", Param::from(plural(&agg.item_label))),
                        ];
                        self.rule_issue(rule, &agg.group, "max_per_value", params);
                    }
                }
            }
            CRuleTest::MaxTotal { agg, max } => {
                let Some(Value::Array(items)) = root.get(&*agg.group) else {
                    return;
                };
                let mut total = 0usize;
                let mut last_item = vec![usize::MAX; agg.ids.len()];
                for (i, item) in items.iter().enumerate() {
                    for_each_value(item, &agg.sub, |v| {
                        if let Some(&idx) = agg.index.get(v)
                            && last_item[idx as usize] != i
                        {
                            last_item[idx as usize] = i;
                            total += 1;
                        }
                    });
                }
                if total > *max as usize {
                    let params = vec![
                        ("count", Param::from(total)),
                        ("max", Param::from(*max)),
                        ("item", Param::from(&*agg.item_label)),
                        ("items", Param::from(plural(&agg.item_label))),
                    ];
                    self.rule_issue(rule, &agg.group, "max_total", params);
                }
            }
            CRuleTest::Cel { cel, path } => {
                let expr = &cel.expr;
                let result = crate::cel_eval::eval(cel, "self", submission);
                let (code, params) = match result {
                    Ok(true) => return,
                    Ok(false) => (
                        "rule",
                        vec![
                            ("rule", Param::from(&*rule.id)),
                            ("expr", Param::from(&**expr)),
                        ],
                    ),
                    Err(e) => (
                        "rule_error",
                        vec![("rule", Param::from(&*rule.id)), ("error", Param::from(e))],
                    ),
                };
                let message = fill(
                    rule.message.as_deref().unwrap_or_else(|| template(code)),
                    &params,
                );
                self.errors_or_warnings(rule.severity).push(Issue {
                    path: path.to_string(),
                    code: rule.id.to_string(),
                    message,
                    params,
                });
            }
        }
    }

    fn rule_issue(&mut self, rule: &CRule, group: &str, default_code: &str, params: Params) {
        let message = fill(
            rule.message
                .as_deref()
                .unwrap_or_else(|| template(default_code)),
            &params,
        );
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

fn plural(label: &str) -> String {
    if label.ends_with('s') {
        label.to_string()
    } else {
        format!("{label}s")
    }
}

/// Calls `f` with each string value of `item[sub]` (a single choice or a list of choices).
fn for_each_value<'v>(item: &'v Value, sub: &str, mut f: impl FnMut(&'v str)) {
    match item.get(sub) {
        Some(Value::String(s)) => f(s),
        Some(Value::Array(vs)) => vs.iter().filter_map(Value::as_str).for_each(f),
        _ => {}
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
