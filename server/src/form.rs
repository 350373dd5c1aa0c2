//! Posted HTML forms (urlencoded or multipart) → JSON submissions, driven by the form IR.
//!
//! Input names follow the renderer's contract: the JSON path joined with `.` (`app_name`,
//! `app_actions.0.name`, `installation_scenarios.no_account`), `<file field>._keep=<token>` to keep
//! a stored file, and the controls `_csrf`, `_version`, `_stage`, `_action`. Types come from the
//! field kinds: checkboxes are booleans, numbers are parsed, multiple choices and files are arrays,
//! group items are arrays ordered by index; empty strings are dropped. Names that are not fields of
//! the form (including server-issued values) are ignored.

use std::collections::{BTreeSet, HashMap};

use axum::extract::Multipart;
use formwork_schema::Form;
use formwork_schema::model::{Field, Kind, TextFormat};
use serde_json::{Map, Number, Value};

use super::store::StoredFile;
use formwork_runtime::messages::human_bytes;
use formwork_runtime::report::push_pointer_segment;

/// Largest accepted file when its field sets no `max_bytes` (and the cap on any `max_bytes`).
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;
/// Largest accepted non-file part (a text, or a JSON document uploaded as a file).
pub const MAX_TEXT_BYTES: u64 = 1024 * 1024;
/// Most bytes of text (all non-file parts together) one request may carry: far more than any
/// form needs, and what bounds the memory of reading, validating and re-rendering it.
pub const MAX_FORM_TEXT_BYTES: u64 = 4 * 1024 * 1024;
/// Most parts (inputs) one request may carry.
pub const MAX_PARTS: usize = 5000;
/// Most files one request may carry (checked before anything is stored).
pub const MAX_FILE_PARTS: usize = 64;
/// Most items one group may carry in a request.
pub const MAX_ITEMS: usize = 200;
/// Highest group item index accepted in an input name.
const MAX_INDEX: usize = 100_000;

/// One posted value.
#[derive(Debug, Clone, PartialEq)]
pub enum PartValue {
    /// A text input.
    Text(String),
    /// An uploaded file, read whole.
    File {
        /// The name the browser gave (display only).
        file_name: String,
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// An upload (or text) that went past its limit; its bytes were discarded while streaming.
    TooLarge {
        /// The name the browser gave, if a file.
        file_name: Option<String>,
        /// Bytes received in total.
        size: u64,
        /// The limit that applied.
        limit: u64,
    },
}

/// One posted input: its name and value.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// The input name.
    pub name: String,
    /// The value.
    pub value: PartValue,
}

/// A posted form body, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Posted {
    /// Every input, in posting order.
    pub parts: Vec<Part>,
}

impl Posted {
    /// The first text value of the input called `name`.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.parts.iter().find_map(|p| match &p.value {
            PartValue::Text(t) if p.name == name => Some(t.as_str()),
            _ => None,
        })
    }
}

/// Why a posted body could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BodyError {
    /// The whole request body is over the limit.
    #[error("the request is too large")]
    TooLarge,
    /// More inputs than [`MAX_PARTS`].
    #[error("the form has too many inputs (at most {MAX_PARTS})")]
    TooManyParts,
    /// More text than [`MAX_FORM_TEXT_BYTES`].
    #[error("the form's texts together are longer than {} MiB", MAX_FORM_TEXT_BYTES / (1024 * 1024))]
    TooMuchText,
    /// More files than [`MAX_FILE_PARTS`].
    #[error("the form carries too many files (at most {MAX_FILE_PARTS} at a time)")]
    TooManyFiles,
    /// Not a readable form body.
    #[error("the form data cannot be read: {0}")]
    Malformed(String),
}

/// Reads a multipart body part by part, each chunk by chunk, stopping at each part's limit.
pub async fn read_multipart(form: &Form, mut multipart: Multipart) -> Result<Posted, BodyError> {
    let mut posted = Posted::default();
    let mut text_bytes: u64 = 0;
    loop {
        let next = multipart.next_field().await.map_err(multipart_error)?;
        let Some(mut field) = next else { break };
        if posted.parts.len() >= MAX_PARTS {
            return Err(BodyError::TooManyParts);
        }
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(str::to_string);
        let limit = match leaf_field(form, &name).map(|f| &f.kind) {
            Some(Kind::File(rules)) => rules
                .max_bytes
                .map_or(MAX_FILE_BYTES, |m| m.min(MAX_FILE_BYTES)),
            _ => MAX_TEXT_BYTES,
        };
        let mut bytes = Vec::new();
        let mut size: u64 = 0;
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            size = size.saturating_add(chunk.len() as u64);
            if size <= limit {
                bytes.extend_from_slice(&chunk);
            } else if !bytes.is_empty() {
                bytes = Vec::new();
            }
        }
        let value = if size > limit {
            PartValue::TooLarge {
                file_name,
                size,
                limit,
            }
        } else if let Some(file_name) = file_name {
            if file_name.is_empty() && bytes.is_empty() {
                // An `<input type=file>` left empty.
                continue;
            }
            if posted
                .parts
                .iter()
                .filter(|p| matches!(p.value, PartValue::File { .. }))
                .count()
                >= MAX_FILE_PARTS
            {
                return Err(BodyError::TooManyFiles);
            }
            PartValue::File { file_name, bytes }
        } else {
            text_bytes += bytes.len() as u64;
            if text_bytes > MAX_FORM_TEXT_BYTES {
                return Err(BodyError::TooMuchText);
            }
            match String::from_utf8(bytes) {
                Ok(t) => PartValue::Text(t),
                Err(_) => {
                    return Err(BodyError::Malformed(format!(
                        "the value of `{}` is not UTF-8 text",
                        truncate(&name, 80)
                    )));
                }
            }
        };
        posted.parts.push(Part { name, value });
    }
    Ok(posted)
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> BodyError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        BodyError::TooLarge
    } else {
        BodyError::Malformed(e.body_text())
    }
}

/// Reads an `application/x-www-form-urlencoded` body (invalid UTF-8 is replaced, not refused).
pub fn read_urlencoded(body: &[u8]) -> Result<Posted, BodyError> {
    let mut posted = Posted::default();
    let mut text_bytes: u64 = 0;
    for (name, text) in form_urlencoded::parse(body) {
        if posted.parts.len() >= MAX_PARTS {
            return Err(BodyError::TooManyParts);
        }
        text_bytes += text.len() as u64;
        if text_bytes > MAX_FORM_TEXT_BYTES {
            return Err(BodyError::TooMuchText);
        }
        let value = if text.len() as u64 > MAX_TEXT_BYTES {
            PartValue::TooLarge {
                file_name: None,
                size: text.len() as u64,
                limit: MAX_TEXT_BYTES,
            }
        } else {
            PartValue::Text(text.into_owned())
        };
        posted.parts.push(Part {
            name: name.into_owned(),
            value,
        });
    }
    Ok(posted)
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// The leaf field an input name designates (`app_actions.3.name` → `name` of `app_actions`).
///
/// A trailing `._keep` designates the file field it keeps. Objects and groups themselves are not leaves.
pub fn leaf_field<'f>(form: &'f Form, name: &str) -> Option<&'f Field> {
    let name = name.strip_suffix("._keep").unwrap_or(name);
    let mut segs = name.split('.');
    let mut fields: Vec<&'f Field> = form.fields().collect();
    loop {
        let seg = segs.next()?;
        let field = *fields.iter().find(|f| f.id == seg)?;
        match &field.kind {
            Kind::Object(o) => fields = o.fields.iter().collect(),
            Kind::Group(g) => {
                let index: usize = segs.next()?.parse().ok()?;
                if index > MAX_INDEX {
                    return None;
                }
                fields = g.fields.iter().collect();
            }
            _ => {
                return if segs.next().is_none() {
                    Some(field)
                } else {
                    None
                };
            }
        }
    }
}

/// What [`build`] needs besides the posted body.
#[derive(Debug, Default)]
pub struct Context<'a> {
    /// Uploads already stored, by part index.
    pub uploads: HashMap<usize, StoredFile>,
    /// Files kept by `._keep` tokens, by token.
    pub kept: HashMap<String, StoredFile>,
    /// The stored record's data (for secrets left blank), if editing.
    pub stored: Option<&'a Value>,
    /// Keep group items with no value (re-rendering after add/remove) instead of dropping them.
    pub keep_blank_items: bool,
}

/// The JSON submission of a posted form, and problems found while reading it.
#[derive(Debug, Clone, PartialEq)]
pub struct Built {
    /// The submission (files as metadata with their `token`).
    pub value: Value,
    /// Problems the validator cannot see (uploads too large, undecodable JSON files), as `(pointer, message)`.
    pub errors: Vec<(String, String)>,
    /// Secrets left blank and kept from the stored record: `(pointer in value, pointer in stored data)`.
    pub kept_secrets: Vec<(String, String)>,
}

/// Converts a posted form into the JSON submission its fields describe.
pub fn build(form: &Form, posted: &Posted, cx: &Context<'_>) -> Built {
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, p) in posted.parts.iter().enumerate() {
        by_name.entry(p.name.as_str()).or_default().push(i);
    }
    let mut b = Builder {
        posted,
        by_name,
        cx,
        errors: Vec::new(),
        kept_secrets: Vec::new(),
    };
    let fields: Vec<&Field> = form.fields().collect();
    let map = b.fields(&fields, "", "", "");
    Built {
        value: Value::Object(map),
        errors: b.errors,
        kept_secrets: b.kept_secrets,
    }
}

struct Builder<'p, 'c> {
    posted: &'p Posted,
    by_name: HashMap<&'p str, Vec<usize>>,
    cx: &'c Context<'c>,
    errors: Vec<(String, String)>,
    kept_secrets: Vec<(String, String)>,
}

impl<'p> Builder<'p, '_> {
    fn parts(&self, name: &str) -> impl Iterator<Item = (usize, &'p PartValue)> + '_ {
        let posted = self.posted;
        self.by_name
            .get(name)
            .into_iter()
            .flatten()
            .map(move |&i| (i, &posted.parts[i].value))
    }

    fn texts(&self, name: &str) -> Vec<&'p str> {
        self.parts(name)
            .filter_map(|(_, v)| match v {
                PartValue::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }

    fn first_text(&self, name: &str) -> Option<&'p str> {
        self.texts(name).into_iter().find(|t| !t.is_empty())
    }

    fn too_large(&mut self, field: &Field, pointer: &str, size: u64, limit: u64) {
        self.errors.push((
            pointer.to_string(),
            format!(
                "{} must be at most {} (the file is {})",
                field.label,
                human_bytes(limit),
                human_bytes(size)
            ),
        ));
    }

    /// The fields under `prefix` (input-name prefix), `pointer` (submission) and `stored` (stored data).
    fn fields(
        &mut self,
        fields: &[&Field],
        prefix: &str,
        pointer: &str,
        stored: &str,
    ) -> Map<String, Value> {
        let mut map = Map::new();
        for field in fields {
            let name = format!("{prefix}{}", field.id);
            let mut ptr = pointer.to_string();
            push_pointer_segment(&mut ptr, &field.id);
            let mut sptr = stored.to_string();
            push_pointer_segment(&mut sptr, &field.id);
            if let Some(v) = self.field(field, &name, &ptr, &sptr) {
                map.insert(field.id.clone(), v);
            }
        }
        map
    }

    fn field(&mut self, field: &Field, name: &str, ptr: &str, sptr: &str) -> Option<Value> {
        match &field.kind {
            Kind::Text(t) => match &t.format {
                TextFormat::Secret => match self.first_text(name) {
                    Some(s) => Some(Value::String(s.to_string())),
                    // Left blank: keep the stored secret the page pointed at with `NAME._keep`
                    // (where it was stored, not where the item is now: items move on remove).
                    None => {
                        let from = self.first_text(&format!("{name}._keep"))?;
                        if !same_shape(from, ptr) {
                            return None;
                        }
                        let secret = self
                            .cx
                            .stored
                            .and_then(|s| s.pointer(from))
                            .filter(|v| v.as_str().is_some_and(|s| !s.is_empty()))
                            .cloned()?;
                        self.kept_secrets.push((ptr.to_string(), from.to_string()));
                        Some(secret)
                    }
                },
                TextFormat::Json { .. } => self.json_text(field, name, ptr),
                _ => {
                    self.oversized_texts(field, name, ptr);
                    self.first_text(name).map(|s| Value::String(s.to_string()))
                }
            },
            Kind::Number(_) => {
                self.oversized_texts(field, name, ptr);
                self.first_text(name)
                    .map(|s| parse_number(s.trim()).unwrap_or_else(|| Value::String(s.to_string())))
            }
            Kind::Boolean(_) => {
                let on = self.texts(name).iter().any(|t| {
                    matches!(t.to_ascii_lowercase().as_str(), "true" | "on" | "1" | "yes")
                });
                Some(Value::Bool(on))
            }
            Kind::Choice(c) => {
                self.oversized_texts(field, name, ptr);
                if c.multiple {
                    let items: Vec<Value> = self
                        .texts(name)
                        .into_iter()
                        .filter(|t| !t.is_empty())
                        .map(|t| Value::String(t.to_string()))
                        .collect();
                    (!items.is_empty()).then_some(Value::Array(items))
                } else {
                    self.first_text(name).map(|s| Value::String(s.to_string()))
                }
            }
            Kind::File(rules) => {
                let keep_name = format!("{name}._keep");
                let mut kept: Vec<Value> = Vec::new();
                let mut seen = BTreeSet::new();
                for token in self.texts(&keep_name) {
                    if seen.insert(token)
                        && let Some(f) = self.cx.kept.get(token)
                    {
                        kept.push(file_value(f));
                    }
                }
                let mut uploaded: Vec<Value> = Vec::new();
                let parts: Vec<(usize, &PartValue)> = self.parts(name).collect();
                for (i, v) in parts {
                    match v {
                        PartValue::File { .. } => {
                            if let Some(f) = self.cx.uploads.get(&i) {
                                uploaded.push(file_value(f));
                            }
                        }
                        PartValue::TooLarge { size, limit, .. } => {
                            let p = if rules.multiple {
                                format!("{ptr}/{}", kept.len() + uploaded.len())
                            } else {
                                ptr.to_string()
                            };
                            self.too_large(field, &p, *size, *limit);
                        }
                        PartValue::Text(_) => {}
                    }
                }
                if rules.multiple {
                    kept.extend(uploaded);
                    (!kept.is_empty()).then_some(Value::Array(kept))
                } else {
                    uploaded.pop().or_else(|| kept.into_iter().next())
                }
            }
            Kind::Object(o) => {
                let subs: Vec<&Field> = o.fields.iter().collect();
                let map = self.fields(&subs, &format!("{name}."), ptr, sptr);
                (!map.is_empty()).then_some(Value::Object(map))
            }
            Kind::Group(g) => {
                let prefix = format!("{name}.");
                let mut indexes = BTreeSet::new();
                for key in self.by_name.keys() {
                    if let Some(rest) = key.strip_prefix(&prefix)
                        && let Some(index) = rest.split('.').next()
                        && let Ok(i) = index.parse::<usize>()
                        && i <= MAX_INDEX
                        && index == i.to_string()
                    {
                        indexes.insert(i);
                    }
                }
                let subs: Vec<&Field> = g.fields.iter().collect();
                let mut items = Vec::new();
                for i in indexes {
                    if items.len() >= MAX_ITEMS {
                        break;
                    }
                    let item_prefix = format!("{prefix}{i}.");
                    if !self.cx.keep_blank_items && self.item_is_blank(&item_prefix) {
                        continue;
                    }
                    let item_ptr = format!("{ptr}/{}", items.len());
                    let item_sptr = format!("{sptr}/{i}");
                    let map = self.fields(&subs, &item_prefix, &item_ptr, &item_sptr);
                    items.push(Value::Object(map));
                }
                (!items.is_empty()).then_some(Value::Array(items))
            }
        }
    }

    /// Whether no input under `prefix` carries a value (blank texts, unchecked boxes, no files).
    fn item_is_blank(&self, prefix: &str) -> bool {
        !self.posted.parts.iter().any(|p| {
            p.name.starts_with(prefix)
                && match &p.value {
                    PartValue::Text(t) => !t.trim().is_empty(),
                    PartValue::File { .. } | PartValue::TooLarge { .. } => true,
                }
        })
    }

    fn oversized_texts(&mut self, field: &Field, name: &str, ptr: &str) {
        let over: Vec<(u64, u64)> = self
            .parts(name)
            .filter_map(|(_, v)| match v {
                PartValue::TooLarge { size, limit, .. } => Some((*size, *limit)),
                _ => None,
            })
            .collect();
        for (size, limit) in over {
            self.errors.push((
                ptr.to_string(),
                format!(
                    "{} must be at most {} (it is {})",
                    field.label,
                    human_bytes(limit),
                    human_bytes(size)
                ),
            ));
        }
    }

    /// A JSON document: an uploaded file's text (when one was chosen) or the textarea's text.
    fn json_text(&mut self, field: &Field, name: &str, ptr: &str) -> Option<Value> {
        let mut text: Option<String> = None;
        let mut file_text: Option<String> = None;
        let parts: Vec<&PartValue> = self.parts(name).map(|(_, v)| v).collect();
        for v in parts {
            match v {
                PartValue::Text(t) if !t.is_empty() && text.is_none() => text = Some(t.clone()),
                PartValue::Text(_) => {}
                PartValue::File { bytes, .. } if bytes.is_empty() => {}
                PartValue::File { bytes, .. } => match std::str::from_utf8(bytes) {
                    Ok(t) => file_text = Some(t.trim_start_matches('\u{feff}').to_string()),
                    Err(_) => self.errors.push((
                        ptr.to_string(),
                        format!("{} must be a UTF-8 text file", field.label),
                    )),
                },
                PartValue::TooLarge { size, limit, .. } => {
                    self.too_large(field, ptr, *size, *limit)
                }
            }
        }
        file_text.or(text).map(Value::String)
    }
}

/// `42` → integer, `4.5` → float; `None` when not a finite number.
fn parse_number(s: &str) -> Option<Value> {
    if let Ok(i) = s.parse::<i64>() {
        return Some(Value::Number(i.into()));
    }
    let x: f64 = s.parse().ok()?;
    Number::from_f64(x).map(Value::Number)
}

/// A stored file as a submission value: its metadata plus `token`.
pub fn file_value(f: &StoredFile) -> Value {
    let mut v = f.meta.to_json();
    if let Value::Object(m) = &mut v {
        m.insert("token".into(), Value::String(f.token.clone()));
    }
    v
}

/// Applies `add:<group>` or `remove:<group>:<index>` to a submission; `Err` names the problem.
pub fn apply_action(form: &Form, value: &mut Value, action: &str) -> Result<(), String> {
    let (op, rest) = action
        .split_once(':')
        .ok_or_else(|| format!("unknown action `{}`", truncate(action, 80)))?;
    let (path, index) = match op {
        "add" => (rest, None),
        "remove" => {
            let (path, index) = rest
                .rsplit_once(':')
                .ok_or_else(|| "a remove action needs an item index".to_string())?;
            let index: usize = index
                .parse()
                .map_err(|_| format!("`{}` is not an item index", truncate(index, 20)))?;
            (path, Some(index))
        }
        _ => return Err(format!("unknown action `{}`", truncate(op, 80))),
    };
    let mut fields: Vec<&Field> = form.fields().collect();
    let mut cur = value;
    let mut segs = path.split('.').peekable();
    while let Some(seg) = segs.next() {
        let field = *fields
            .iter()
            .find(|f| f.id == seg)
            .ok_or_else(|| format!("`{}` is not a group of this form", truncate(path, 80)))?;
        if !cur.is_object() {
            *cur = Value::Object(Map::new());
        }
        let Value::Object(map) = cur else {
            return Err("internal: not an object".into());
        };
        match &field.kind {
            Kind::Object(o) => {
                fields = o.fields.iter().collect();
                cur = map
                    .entry(field.id.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
            }
            Kind::Group(g) if segs.peek().is_none() => {
                let slot = map
                    .entry(field.id.clone())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if !slot.is_array() {
                    *slot = Value::Array(Vec::new());
                }
                let Value::Array(items) = slot else {
                    return Err("internal: not an array".into());
                };
                match index {
                    None => {
                        let max = g
                            .max_items
                            .map_or(MAX_ITEMS, |m| (m as usize).min(MAX_ITEMS));
                        if items.len() < max {
                            items.push(Value::Object(Map::new()));
                        }
                    }
                    Some(i) if i < items.len() => {
                        items.remove(i);
                    }
                    Some(_) => {}
                }
                return Ok(());
            }
            Kind::Group(g) => {
                let i: usize = segs.next().and_then(|s| s.parse().ok()).ok_or_else(|| {
                    format!("`{}` is not a group of this form", truncate(path, 80))
                })?;
                fields = g.fields.iter().collect();
                cur = map
                    .get_mut(&field.id)
                    .and_then(|v| v.get_mut(i))
                    .ok_or_else(|| format!("`{}` has no such item", truncate(path, 80)))?;
            }
            _ => {
                return Err(format!(
                    "`{}` is not a group of this form",
                    truncate(path, 80)
                ));
            }
        }
    }
    Err(format!(
        "`{}` is not a group of this form",
        truncate(path, 80)
    ))
}

/// Calls `f` on every leaf value of `value` (files, texts, …) with its field; `f` returns false to remove it.
pub fn visit(fields: &[Field], value: &mut Value, f: &mut dyn FnMut(&Field, &mut Value) -> bool) {
    let Value::Object(map) = value else { return };
    for field in fields {
        let Some(v) = map.get_mut(&field.id) else {
            continue;
        };
        let keep = match &field.kind {
            Kind::Object(o) => {
                visit(&o.fields, v, f);
                true
            }
            Kind::Group(g) => {
                if let Value::Array(items) = v {
                    for item in items {
                        visit(&g.fields, item, f);
                    }
                }
                true
            }
            _ => f(field, v),
        };
        if !keep {
            map.remove(&field.id);
        }
    }
}

/// Every top-level field of `form`, cloned (the root of [`visit`]).
pub fn root_fields(form: &Form) -> Vec<Field> {
    form.fields().cloned().collect()
}

/// Applies `f` to every file object (single or in a list) of `value`.
pub fn each_file(fields: &[Field], value: &mut Value, f: &mut dyn FnMut(&mut Map<String, Value>)) {
    visit(fields, value, &mut |field, v| {
        if matches!(field.kind, Kind::File(_)) {
            match v {
                Value::Object(m) => f(m),
                Value::Array(items) => {
                    for item in items {
                        if let Value::Object(m) = item {
                            f(m);
                        }
                    }
                }
                _ => {}
            }
        }
        true
    });
}

/// The submission the validator sees: files without `token`/`url`.
pub fn without_tokens(fields: &[Field], value: &Value) -> Value {
    let mut v = value.clone();
    each_file(fields, &mut v, &mut |m| {
        m.remove("token");
        m.remove("url");
    });
    v
}

/// Adds `url` (`/files/{token}`) to stored image files, for previews.
pub fn with_urls(fields: &[Field], value: &Value) -> Value {
    let mut v = value.clone();
    each_file(fields, &mut v, &mut |m| {
        let is_image = m
            .get("media_type")
            .and_then(Value::as_str)
            .is_some_and(|t| matches!(t, "image/png" | "image/jpeg" | "image/gif" | "image/webp"));
        if is_image && let Some(token) = m.get("token").and_then(Value::as_str) {
            let url = format!("/files/{token}");
            m.insert("url".into(), Value::String(url));
        }
    });
    v
}

/// The tokens of every file in `value`.
pub fn file_tokens(fields: &[Field], value: &Value) -> Vec<String> {
    let mut v = value.clone();
    let mut out = Vec::new();
    each_file(fields, &mut v, &mut |m| {
        if let Some(t) = m.get("token").and_then(Value::as_str) {
            out.push(t.to_string());
        }
    });
    out
}

/// Removes every secret text (for JSON output).
pub fn without_secrets(fields: &[Field], value: &Value) -> Value {
    let mut v = value.clone();
    visit(fields, &mut v, &mut |field, _| !is_secret(field));
    v
}

/// Prepares `value` for rendering: every secret is removed, except those the page should keep,
/// which become `{"keep": POINTER}` (the renderer says "stored" and posts the pointer back as
/// `NAME._keep`). `keep(pointer)` gives the stored-data pointer of the secret at `pointer`.
pub fn mark_secrets(
    fields: &[Field],
    value: &Value,
    keep: &dyn Fn(&str) -> Option<String>,
) -> Value {
    let mut v = value.clone();
    mark(fields, &mut v, "", keep);
    v
}

fn mark(fields: &[Field], value: &mut Value, at: &str, keep: &dyn Fn(&str) -> Option<String>) {
    let Value::Object(map) = value else { return };
    for field in fields {
        let mut ptr = at.to_string();
        push_pointer_segment(&mut ptr, &field.id);
        match (&field.kind, map.get_mut(&field.id)) {
            (Kind::Object(o), Some(v)) => mark(&o.fields, v, &ptr, keep),
            (Kind::Group(g), Some(Value::Array(items))) => {
                for (i, item) in items.iter_mut().enumerate() {
                    mark(&g.fields, item, &format!("{ptr}/{i}"), keep);
                }
            }
            (_, Some(_)) if is_secret(field) => match keep(&ptr) {
                Some(from) => {
                    map.insert(field.id.clone(), serde_json::json!({ "keep": from }));
                }
                None => {
                    map.remove(&field.id);
                }
            },
            _ => {}
        }
    }
}

/// Whether two pointers name the same field of possibly different group items
/// (`/app_panels/1/x` and `/app_panels/0/x`): a kept secret may only come from its own field.
fn same_shape(a: &str, b: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    let (a, b): (Vec<&str>, Vec<&str>) = (a.split('/').collect(), b.split('/').collect());
    a.len() == b.len()
        && a.iter()
            .zip(&b)
            .all(|(x, y)| x == y || (digits(x) && digits(y)))
}

/// Whether a field holds a secret.
pub fn is_secret(field: &Field) -> bool {
    matches!(&field.kind, Kind::Text(t) if t.format == TextFormat::Secret)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form() -> Form {
        formwork_schema::load_file(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../specs/pipedrive-app.yaml"
        ))
        .expect("spec loads")
    }

    fn text(name: &str, v: &str) -> Part {
        Part {
            name: name.into(),
            value: PartValue::Text(v.into()),
        }
    }

    #[test]
    fn types_come_from_the_field_kinds() {
        let form = form();
        let posted = Posted {
            parts: vec![
                text("_csrf", "x"),
                text("app_name", "My app"),
                text("company", ""),
                text("categories", "scheduling"),
                text("categories", "calling_sms"),
                text("review_notifications", "true"),
                text("installation_scenarios.no_account", "true"),
                text("app_actions.1.name", "Second"),
                text("app_actions.0.name", "First"),
                text("app_actions.0.locations", "deal_details"),
                text("app_actions.2.name", ""),
                text("app_panels.0.json_data_structure", "{}"),
                text("client_id", "forged"),
                text("unknown.field", "x"),
            ],
        };
        let built = build(&form, &posted, &Context::default());
        assert_eq!(
            built.value,
            json!({
                "app_name": "My app",
                "categories": ["scheduling", "calling_sms"],
                "app_actions": [{"name": "First", "locations": ["deal_details"]}, {"name": "Second"}],
                "app_panels": [{"json_data_structure": "{}"}],
                "review_notifications": true,
                "installation_scenarios": {"no_account": true, "account_logged_out": false, "account_logged_in": false},
                "partner_agreement": false,
            })
        );
    }

    #[test]
    fn blank_secret_keeps_the_stored_one() {
        let form = form();
        let stored = json!({"app_panels": [{"name": "P", "http_auth_password": "s3cret"}]});
        let cx = Context {
            stored: Some(&stored),
            ..Context::default()
        };
        let post = |keep: Option<&str>| {
            let mut parts = vec![
                text("app_panels.0.name", "P"),
                text("app_panels.0.http_auth_password", ""),
            ];
            if let Some(k) = keep {
                parts.push(text("app_panels.0.http_auth_password._keep", k));
            }
            build(&form, &Posted { parts }, &cx)
        };
        let built = post(Some("/app_panels/0/http_auth_password"));
        assert_eq!(built.value["app_panels"][0]["http_auth_password"], "s3cret");
        assert_eq!(
            built.kept_secrets,
            [(
                "/app_panels/0/http_auth_password".to_string(),
                "/app_panels/0/http_auth_password".to_string()
            )]
        );
        // No keeper, or one naming another field: nothing is taken from the stored record.
        for keep in [
            None,
            Some("/app_panels/0/name"),
            Some("/app_name"),
            Some("/app_panels/x/http_auth_password"),
        ] {
            let built = post(keep);
            assert!(
                built.value["app_panels"][0]
                    .get("http_auth_password")
                    .is_none(),
                "{keep:?}"
            );
        }
    }

    #[test]
    fn marked_secrets_are_keepers_and_other_secrets_vanish() {
        let form = form();
        let fields = root_fields(&form);
        let v = json!({"app_panels": [{"name": "A", "http_auth_password": "a"}, {"name": "B", "http_auth_password": "b"}]});
        let marked = mark_secrets(&fields, &v, &|p| {
            (p == "/app_panels/1/http_auth_password")
                .then(|| "/app_panels/7/http_auth_password".to_string())
        });
        assert_eq!(
            marked,
            json!({"app_panels": [{"name": "A"}, {"name": "B", "http_auth_password": {"keep": "/app_panels/7/http_auth_password"}}]})
        );
    }

    #[test]
    fn actions_add_and_remove_items() {
        let form = form();
        let mut v = json!({"app_actions": [{"name": "a"}, {"name": "b"}]});
        apply_action(&form, &mut v, "add:app_actions").unwrap();
        assert_eq!(v["app_actions"].as_array().unwrap().len(), 3);
        apply_action(&form, &mut v, "remove:app_actions:0").unwrap();
        assert_eq!(v["app_actions"][0]["name"], "b");
        assert!(apply_action(&form, &mut v, "add:app_name").is_err());
        assert!(apply_action(&form, &mut v, "remove:app_actions:x").is_err());
        assert!(apply_action(&form, &mut v, "explode").is_err());
    }

    #[test]
    fn leaf_fields_resolve_through_groups_and_objects() {
        let form = form();
        assert_eq!(
            leaf_field(&form, "app_actions.3.name").map(|f| f.id.as_str()),
            Some("name")
        );
        assert_eq!(
            leaf_field(&form, "app_icon._keep").map(|f| f.id.as_str()),
            Some("app_icon")
        );
        assert_eq!(
            leaf_field(&form, "installation_scenarios.no_account").map(|f| f.id.as_str()),
            Some("no_account")
        );
        assert!(leaf_field(&form, "app_actions.x.name").is_none());
        assert!(leaf_field(&form, "app_actions").is_none());
        assert!(leaf_field(&form, "app_name.x").is_none());
    }
}
