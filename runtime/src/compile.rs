//! Compiling a [`Form`] into the validator's plan: regexes, value indexes, CEL programs, rule plans.
//!
//! Everything that does not depend on a submission is done here, once.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap as HashMap;

use formwork_schema::expr::Yields;
use formwork_schema::model::*;
use formwork_schema::{Diagnostic, Pos, SpecError};
use regex::Regex;
use serde_json::Value;

/// A compiled field.
pub(crate) struct CField {
    pub key: Box<str>,
    pub label: Box<str>,
    pub required: StageSet,
    pub kind: CKind,
    pub checks: Vec<CCheck>,
    /// Some check is CEL, which reads the value as a tree.
    pub cel_checks: bool,
    pub messages: BTreeMap<String, String>,
    /// `required_when` / `shown_when`, with the field as it is when not required.
    pub conditional: Option<Box<CConditional>>,
}

/// A field whose presence depends on its siblings.
pub(crate) struct CConditional {
    pub required_when: Option<CCond>,
    pub shown_when: Option<CCond>,
    /// The field compiled without its presence rules (`required`, `must_be_true`).
    pub optional: CField,
}

/// A compiled condition on the object a field sits in.
pub(crate) enum CCond {
    Empty(Box<str>),
    NotEmpty(Box<str>),
    Equals(Box<str>, Value),
    OneOf(Box<str>, Vec<Value>),
    All(Vec<CCond>),
    Any(Vec<CCond>),
    Cel(Box<CCel>),
}

impl CCond {
    /// Whether the condition holds for `object` (a CEL condition that cannot be evaluated does
    /// not).
    pub fn holds(&self, object: &serde_json::Map<String, Value>) -> bool {
        let filled = |k: &str| object.get(k).is_some_and(formwork_schema::model::is_filled);
        match self {
            CCond::Empty(k) => !filled(k),
            CCond::NotEmpty(k) => filled(k),
            CCond::Equals(k, v) => object.get(&**k) == Some(v),
            CCond::OneOf(k, vs) => object.get(&**k).is_some_and(|x| vs.contains(x)),
            CCond::All(cs) => cs.iter().all(|c| c.holds(object)),
            CCond::Any(cs) => cs.iter().any(|c| c.holds(object)),
            CCond::Cel(cel) => {
                crate::cel_eval::eval(cel, "self", &Value::Object(object.clone())) == Ok(true)
            }
        }
    }
}

fn condition(
    form: &Form,
    c: &Condition,
    scope: &formwork_schema::expr::Shape,
    owner: &str,
) -> Result<CCond, SpecError> {
    Ok(match c {
        Condition::Empty(k) => CCond::Empty(k.as_str().into()),
        Condition::NotEmpty(k) => CCond::NotEmpty(k.as_str().into()),
        Condition::Equals(k, v) => CCond::Equals(k.as_str().into(), v.clone()),
        Condition::OneOf(k, vs) => CCond::OneOf(k.as_str().into(), vs.clone()),
        Condition::All(cs) => CCond::All(
            cs.iter()
                .map(|c| condition(form, c, scope, owner))
                .collect::<Result<_, _>>()?,
        ),
        Condition::Any(cs) => CCond::Any(
            cs.iter()
                .map(|c| condition(form, c, scope, owner))
                .collect::<Result<_, _>>()?,
        ),
        Condition::Cel(e) => CCond::Cel(CCel::new(form, e, "self", scope.clone(), owner)?),
    })
}

pub(crate) enum CKind {
    Text(CText),
    Number(NumberRules),
    Boolean(StageSet),
    Choice(CChoice),
    File(CFile),
    Object(CObject),
    Group(CGroup),
}

pub(crate) struct CText {
    pub format: CFormat,
    pub min_length: Option<u32>,
    pub max_length: Option<u32>,
    pub pattern: Option<Regex>,
    /// One line: no control characters at all (long text and JSON may hold line breaks and tabs).
    pub single_line: bool,
}

/// JSON types a JSON-document field may be required to have.
#[derive(Clone, Copy)]
pub(crate) enum JsonType {
    Object,
    Array,
    String,
    Number,
    Boolean,
}

impl JsonType {
    pub fn name(self) -> &'static str {
        match self {
            JsonType::Object => "object",
            JsonType::Array => "array",
            JsonType::String => "string",
            JsonType::Number => "number",
            JsonType::Boolean => "boolean",
        }
    }
}

pub(crate) enum CFormat {
    Plain,
    Email,
    Url {
        schemes: Vec<Box<str>>,
        hosts: Vec<Box<str>>,
    },
    Json {
        json_type: Option<JsonType>,
    },
}

pub(crate) struct CChoice {
    /// Value id → index in the list.
    pub index: HashMap<Box<str>, u32>,
    pub len: usize,
    pub multiple: bool,
    pub min_items: Option<u32>,
    pub max_items: Option<u32>,
    pub distinct: bool,
}

pub(crate) struct CFile {
    pub rules: FileRules,
    pub allowed_types: String,
    pub allowed_sizes: String,
}

pub(crate) struct CObject {
    pub fields: Vec<CField>,
    pub index: HashMap<Box<str>, usize>,
}

impl CObject {
    /// The field at `key`. Submissions mostly list fields in the spec's order (the generated
    /// forms and types do): the field after the last one found (`next`) is tried before hashing.
    #[inline]
    pub fn find(&self, key: &str, next: &mut usize) -> Option<usize> {
        let found = match self.fields.get(*next) {
            Some(f) if same_key(f.key.as_bytes(), key.as_bytes()) => Some(*next),
            _ => self.index.get(key).copied(),
        };
        if let Some(i) = found {
            *next = i + 1;
        }
        found
    }
}

/// `a == b` for field keys, which are short: compared with overlapping word loads, not through
/// a `memcmp` call (a tenth of the validator's time went to those calls).
#[inline]
fn same_key(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[at..at + 8]);
        u64::from_ne_bytes(w)
    };
    let half = |s: &[u8], at: usize| {
        let mut w = [0u8; 4];
        w.copy_from_slice(&s[at..at + 4]);
        u32::from_ne_bytes(w)
    };
    match n {
        0..=3 => a.iter().zip(b).all(|(x, y)| x == y),
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

pub(crate) struct CGroup {
    pub object: CObject,
    pub min_items: Option<u32>,
    pub max_items: Option<u32>,
}

pub(crate) struct CCheck {
    pub test: CCheckTest,
    pub severity: Severity,
    pub message: Option<String>,
    /// The stages it applies at (`None`: every stage).
    pub stages: Option<StageSet>,
}

pub(crate) enum CCheckTest {
    SentenceCase,
    Scheme(Vec<Box<str>>),
    Cel(Box<CCel>),
}

/// A CEL expression, compiled, with the shape its input must fit for its cost estimate to hold.
pub(crate) struct CCel {
    pub program: cel::Program,
    pub shape: formwork_schema::expr::Shape,
    /// The fields the expression reads, with their shapes, when it reads only some fields of
    /// its variable: only those are checked and handed to it.
    pub reads: Option<Vec<(Box<str>, formwork_schema::expr::Shape)>>,
    pub expr: Box<str>,
    /// The spec's shared lists as CEL reads them (`lists`), when the expression reads them.
    pub lists: Option<cel::Value>,
}

impl CCel {
    fn new(
        form: &Form,
        expr: &str,
        var: &str,
        shape: formwork_schema::expr::Shape,
        owner: &str,
    ) -> Result<Box<CCel>, SpecError> {
        CCel::yielding(form, expr, var, shape, owner, Yields::Bool)
    }

    fn yielding(
        form: &Form,
        expr: &str,
        var: &str,
        shape: formwork_schema::expr::Shape,
        owner: &str,
        yields: Yields,
    ) -> Result<Box<CCel>, SpecError> {
        use formwork_schema::expr::{LISTS, Shape};
        let shared = form.shared_lists();
        let globals = [(LISTS.to_string(), Shape::of_lists(shared.iter().copied()))];
        let checked = formwork_schema::expr::check_yielding(expr, var, &shape, &globals, yields)
            .map_err(|e| fail(form, format!("{owner}: {}", e.message)))?;
        // `lists`, built once, for the expressions that read it.
        let lists = checked.program.references().has_variable(LISTS).then(|| {
            let map = shared
                .iter()
                .map(|l| {
                    let ids: Vec<cel::Value> = l
                        .values
                        .iter()
                        .map(|v| cel::Value::String(std::sync::Arc::new(v.id.clone())))
                        .collect();
                    (
                        cel::objects::Key::String(std::sync::Arc::new(l.id.clone())),
                        cel::Value::List(std::sync::Arc::new(ids)),
                    )
                })
                .collect();
            cel::Value::Map(cel::objects::Map {
                map: std::sync::Arc::new(map),
            })
        });
        let reads = match (&checked.estimate.reads, &shape) {
            (Some(names), formwork_schema::expr::Shape::Object(fields)) => Some(
                fields
                    .iter()
                    .filter(|(n, _)| names.contains(n))
                    .map(|(n, s)| (n.as_str().into(), s.clone()))
                    .collect(),
            ),
            _ => None,
        };
        Ok(Box::new(CCel {
            program: checked.program,
            shape,
            reads,
            expr: expr.into(),
            lists,
        }))
    }
}

pub(crate) struct CRule {
    pub id: Box<str>,
    pub severity: Severity,
    pub message: Option<String>,
    pub test: CRuleTest,
    /// The stages it applies at (`None`: every stage).
    pub stages: Option<StageSet>,
}

impl CRule {
    /// What a counting rule counts; `None` for other rules.
    pub fn aggregate(&self) -> Option<&Aggregate> {
        match &self.test {
            CRuleTest::MaxPerValue { agg, .. } | CRuleTest::MaxTotal { agg, .. } => Some(agg),
            CRuleTest::Cel { .. } | CRuleTest::CelEach { .. } => None,
        }
    }
}

pub(crate) enum CRuleTest {
    /// Count per value of `sub` over the items of top-level group `group`.
    MaxPerValue { agg: Aggregate, max: u32 },
    /// Count all values of `sub` over the items.
    MaxTotal { agg: Aggregate, max: u32 },
    Cel {
        cel: Box<CCel>,
        path: Box<str>,
        /// Yields the message when the rule fails.
        message: Option<Box<CCel>>,
    },
    /// A CEL expression over `item`, each of the first `limit` items of top-level group `group`.
    CelEach {
        group: Box<str>,
        /// The item's sub-field reported at (the item when `None`).
        sub: Option<Box<str>>,
        cel: Box<CCel>,
        message: Option<Box<CCel>>,
        limit: usize,
    },
}

pub(crate) struct Aggregate {
    /// The (top-level group, sub-field) pairs counted together; the first is where it reports.
    pub parts: Vec<(Box<str>, Box<str>)>,
    /// Value id → index, and ids by index.
    pub index: HashMap<Box<str>, u32>,
    pub ids: Vec<Box<str>>,
    pub labels: Vec<Box<str>>,
    /// What one counted item is called (`app action`, or `app action or JSON modal`).
    pub item_label: Box<str>,
    /// The same, plural.
    pub items: Box<str>,
}

pub(crate) struct Plan {
    pub root: CObject,
    pub rules: Vec<CRule>,
    pub stream: StreamPlan,
}

/// What validating while reading keeps of a submission for its cross-field rules.
pub(crate) struct StreamPlan {
    /// Some CEL rule reads the whole submission: it is read as a tree.
    pub whole: bool,
    /// By top-level field: read by a CEL rule, so kept as a value.
    pub capture: Vec<bool>,
    /// By top-level field (a group): the sub-fields that counting rules count.
    pub taps: Vec<Vec<Tap>>,
}

/// Whether some field of `obj`, at any depth, depends on its siblings.
fn has_conditions(obj: &CObject) -> bool {
    obj.fields.iter().any(|f| {
        f.conditional.is_some()
            || match &f.kind {
                CKind::Object(o) => has_conditions(o),
                CKind::Group(g) => has_conditions(&g.object),
                _ => false,
            }
    })
}

/// A sub-field of a group's items that a counting rule counts.
#[derive(Clone)]
pub(crate) struct Tap {
    /// The sub-field.
    pub sub: Box<str>,
    /// The rule (index in [`Plan::rules`]).
    pub rule: usize,
    /// Which of the rule's [`Aggregate::parts`] this is.
    pub part: u32,
}

impl StreamPlan {
    fn new(root: &CObject, rules: &[CRule]) -> StreamPlan {
        let mut plan = StreamPlan {
            // A field's presence may depend on a field after it: read as a tree.
            whole: has_conditions(root),
            capture: vec![false; root.fields.len()],
            taps: vec![Vec::new(); root.fields.len()],
        };
        for (r, rule) in rules.iter().enumerate() {
            match &rule.test {
                CRuleTest::Cel { cel, message, .. } => {
                    for cel in std::iter::once(cel).chain(message) {
                        match &cel.reads {
                            Some(reads) => {
                                for (name, _) in reads {
                                    if let Some(&i) = root.index.get(name) {
                                        plan.capture[i] = true;
                                    }
                                }
                            }
                            None => plan.whole = true,
                        }
                    }
                }
                CRuleTest::CelEach { group, .. } => {
                    if let Some(&i) = root.index.get(group) {
                        plan.capture[i] = true;
                    }
                }
                CRuleTest::MaxPerValue { agg, .. } | CRuleTest::MaxTotal { agg, .. } => {
                    for (part, (group, sub)) in agg.parts.iter().enumerate() {
                        if let Some(&i) = root.index.get(group) {
                            plan.taps[i].push(Tap {
                                sub: sub.clone(),
                                rule: r,
                                part: part as u32,
                            });
                        }
                    }
                }
            }
        }
        plan
    }
}

fn fail(form: &Form, message: String) -> SpecError {
    SpecError::Invalid {
        file: form.id.clone(),
        source_text: String::new(),
        diagnostics: vec![Diagnostic::new(Pos::default(), message)],
    }
}

pub(crate) fn plan(form: &Form) -> Result<Plan, SpecError> {
    let fields: Vec<&Field> = form.fields().collect();
    let root = object(form, fields.into_iter())?;
    // What CEL rules see as `self`, derived once for all of them.
    let submission = formwork_schema::expr::Shape::of_form(form);
    let mut rules = Vec::new();
    for r in &form.rules {
        let test = match &r.test {
            RuleTest::MaxPerValue { of, max } => CRuleTest::MaxPerValue {
                agg: aggregate(form, of)?,
                max: *max,
            },
            RuleTest::MaxTotal { of, max } => CRuleTest::MaxTotal {
                agg: aggregate(form, of)?,
                max: *max,
            },
            RuleTest::CelEach {
                group,
                expr,
                field,
                message_expression,
            } => {
                let Some(Kind::Group(g)) = form.field(group).map(|f| &f.kind) else {
                    return Err(fail(
                        form,
                        format!(
                            "rule `{}` goes through `{group}`, which is not a group",
                            r.id
                        ),
                    ));
                };
                let item = formwork_schema::expr::Shape::of_fields(&g.fields);
                let (cel, message) = rule_cel(
                    form,
                    &r.id,
                    expr,
                    message_expression.as_deref(),
                    "item",
                    item,
                )?;
                CRuleTest::CelEach {
                    group: group.as_str().into(),
                    sub: field.as_deref().map(Into::into),
                    cel,
                    message,
                    limit: g.max_items.map_or(crate::MAX_LIST_ITEMS, |m| m as usize),
                }
            }
            RuleTest::Cel {
                expr,
                path,
                message_expression,
            } => {
                let (cel, message) = rule_cel(
                    form,
                    &r.id,
                    expr,
                    message_expression.as_deref(),
                    "self",
                    submission.clone(),
                )?;
                CRuleTest::Cel {
                    cel,
                    path: path.as_str().into(),
                    message,
                }
            }
        };
        rules.push(CRule {
            stages: r.stages,
            id: r.id.as_str().into(),
            severity: r.severity,
            message: r.message.clone(),
            test,
        });
    }
    let stream = StreamPlan::new(&root, &rules);
    Ok(Plan {
        root,
        rules,
        stream,
    })
}

/// A CEL rule's expression and its message expression, over `var` of shape `shape`.
fn rule_cel(
    form: &Form,
    id: &str,
    expr: &str,
    message: Option<&str>,
    var: &str,
    shape: formwork_schema::expr::Shape,
) -> Result<(Box<CCel>, Option<Box<CCel>>), SpecError> {
    let owner = format!("rule `{id}`");
    let cel = CCel::new(form, expr, var, shape.clone(), &owner)?;
    let message = message
        .map(|m| {
            let owner = format!("{owner}, message_expression");
            CCel::yielding(form, m, var, shape, &owner, Yields::Text)
        })
        .transpose()?;
    Ok((cel, message))
}

fn aggregate(form: &Form, of: &Counted) -> Result<Aggregate, SpecError> {
    let missing = || {
        fail(
            form,
            format!(
                "rule counts `{}`, which is not a choice of a group",
                of.describe()
            ),
        )
    };
    let mut parts = Vec::new();
    let mut labels: Vec<&str> = Vec::new();
    let mut list = None;
    for p in of.paths() {
        let group = form.field(&p.group).ok_or_else(missing)?;
        let Kind::Group(g) = &group.kind else {
            return Err(missing());
        };
        let sub = g
            .fields
            .iter()
            .find(|f| f.id == p.field)
            .ok_or_else(missing)?;
        let Kind::Choice(c) = &sub.kind else {
            return Err(missing());
        };
        list.get_or_insert(&c.list);
        parts.push((p.group.as_str().into(), p.field.as_str().into()));
        if !labels.contains(&g.item_label.as_str()) {
            labels.push(&g.item_label);
        }
    }
    let list = list.ok_or_else(missing)?;
    let plurals: Vec<String> = labels.iter().map(|l| plural(l)).collect();
    Ok(Aggregate {
        parts,
        index: value_index(list),
        ids: list.values.iter().map(|v| v.id.as_str().into()).collect(),
        labels: list
            .values
            .iter()
            .map(|v| v.label.as_str().into())
            .collect(),
        item_label: labels.join(" or ").into(),
        items: plurals.join(" or ").into(),
    })
}

/// The plural of an item label (`app action` → `app actions`).
pub(crate) fn plural(label: &str) -> String {
    if label.ends_with('s') {
        label.to_string()
    } else {
        format!("{label}s")
    }
}

fn value_index(list: &ValueList) -> HashMap<Box<str>, u32> {
    list.values
        .iter()
        .enumerate()
        .map(|(i, v)| (v.id.as_str().into(), i as u32))
        .collect()
}

fn object<'a>(form: &Form, fields: impl Iterator<Item = &'a Field>) -> Result<CObject, SpecError> {
    let fields: Vec<&Field> = fields.collect();
    // What CEL conditions see as `self`, for objects that have conditional fields only.
    let scope = fields
        .iter()
        .any(|f| f.is_conditional())
        .then(|| formwork_schema::expr::Shape::of_fields(fields.iter().copied()));
    let mut out = Vec::new();
    for f in &fields {
        let mut c = field(form, f)?;
        if let (true, Some(scope)) = (f.is_conditional(), &scope) {
            let owner = format!("field `{}`", f.id);
            let mut plain = (*f).clone();
            plain.required = StageSet::NONE;
            plain.required_when = None;
            plain.shown_when = None;
            if let Kind::Boolean(b) = &mut plain.kind {
                b.must_be_true = StageSet::NONE;
            }
            c.conditional = Some(Box::new(CConditional {
                required_when: f
                    .required_when
                    .as_ref()
                    .map(|x| condition(form, x, scope, &owner))
                    .transpose()?,
                shown_when: f
                    .shown_when
                    .as_ref()
                    .map(|x| condition(form, x, scope, &owner))
                    .transpose()?,
                optional: field(form, &plain)?,
            }));
        }
        out.push(c);
    }
    let index = out
        .iter()
        .enumerate()
        .map(|(i, f)| (f.key.clone(), i))
        .collect();
    Ok(CObject { fields: out, index })
}

fn field(form: &Form, f: &Field) -> Result<CField, SpecError> {
    let kind = match &f.kind {
        Kind::Text(t) => {
            let pattern =
                match &t.pattern {
                    Some(p) => Some(Regex::new(&format!("^(?:{p})$")).map_err(|e| {
                        fail(form, format!("field `{}`: invalid pattern: {e}", f.id))
                    })?),
                    None => None,
                };
            let format = match &t.format {
                TextFormat::Plain | TextFormat::Long | TextFormat::Secret => CFormat::Plain,
                TextFormat::Email => CFormat::Email,
                TextFormat::Url { schemes, hosts } => CFormat::Url {
                    schemes: schemes.iter().map(|s| s.as_str().into()).collect(),
                    hosts: hosts.iter().map(|s| s.as_str().into()).collect(),
                },
                TextFormat::Json { json_type } => CFormat::Json {
                    json_type: match json_type.as_deref() {
                        Some("object") => Some(JsonType::Object),
                        Some("array") => Some(JsonType::Array),
                        Some("string") => Some(JsonType::String),
                        Some("number") => Some(JsonType::Number),
                        Some("boolean") => Some(JsonType::Boolean),
                        _ => None,
                    },
                },
            };
            CKind::Text(CText {
                format,
                min_length: t.min_length,
                max_length: t.max_length,
                pattern,
                single_line: !matches!(
                    t.format,
                    formwork_schema::model::TextFormat::Long
                        | formwork_schema::model::TextFormat::Json { .. }
                ),
            })
        }
        Kind::Number(n) => CKind::Number(n.clone()),
        Kind::Boolean(b) => CKind::Boolean(b.must_be_true),
        Kind::Choice(c) => CKind::Choice(CChoice {
            index: value_index(&c.list),
            len: c.list.values.len(),
            multiple: c.multiple,
            min_items: c.min_items,
            max_items: c.max_items,
            distinct: c.distinct,
        }),
        Kind::File(r) => CKind::File(CFile {
            allowed_types: r.media_types.join(", "),
            allowed_sizes: r
                .sizes
                .iter()
                .map(|s| format!("{}x{}", s.width, s.height))
                .collect::<Vec<_>>()
                .join(", "),
            rules: r.clone(),
        }),
        Kind::Object(o) => CKind::Object(object(form, o.fields.iter())?),
        Kind::Group(g) => CKind::Group(CGroup {
            object: object(form, g.fields.iter())?,
            min_items: g.min_items,
            max_items: g.max_items,
        }),
    };
    let mut checks = Vec::new();
    for c in &f.checks {
        let test = match &c.test {
            CheckTest::SentenceCase => CCheckTest::SentenceCase,
            CheckTest::Scheme(s) => {
                CCheckTest::Scheme(s.iter().map(|x| x.as_str().into()).collect())
            }
            CheckTest::Cel(expr) => CCheckTest::Cel(CCel::new(
                form,
                expr,
                "value",
                formwork_schema::expr::Shape::of(f),
                &format!("field `{}`", f.id),
            )?),
        };
        checks.push(CCheck {
            test,
            severity: c.severity,
            message: c.message.clone(),
            stages: c.stages,
        });
    }
    Ok(CField {
        key: f.id.as_str().into(),
        label: f.label.as_str().into(),
        required: f.required,
        kind,
        cel_checks: checks.iter().any(|c| matches!(c.test, CCheckTest::Cel(_))),
        checks,
        messages: f.messages.clone(),
        conditional: None,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_compare_as_bytes_do() {
        let keys = [
            "",
            "a",
            "ab",
            "abc",
            "abcd",
            "abcde",
            "abcdefg",
            "abcdefgh",
            "abcdefghi",
            "abcdefghijklmnop",
            "abcdefghijklmnopq",
            "app_name",
            "app_icon",
            "callback_url",
            "callback_urx",
            "xallback_url",
            "é",
            "éé",
        ];
        for a in keys {
            for b in keys {
                assert_eq!(
                    super::same_key(a.as_bytes(), b.as_bytes()),
                    a == b,
                    "{a} {b}"
                );
            }
        }
    }
}
