//! HTML emitter and renderer: a handlebars template of the whole form, its partials, and a [`Renderer`].
//!
//! The emitted `<form id>.hbs` is generated from the spec: one `<fieldset>` + `<legend>` per section,
//! one partial call per field (`{{> text f.app_name}}`), objects as partial blocks and groups as
//! partial blocks with an inline `item_fields` partial that renders one item's sub-fields.
//! Labels, hints, values, errors and ids come from the render context (the *view model*) that
//! [`Renderer`] builds from the [`Form`] and a [`RenderInput`]; see [`Renderer::view_model`].
//!
//! Naming contract (what the web server reads back):
//! - input `name` = JSON path joined with `.` (`app_name`, `app_actions.0.name`,
//!   `installation_scenarios.no_account`); a multiple choice repeats its name once per checkbox;
//! - element `id` = `f-` + path segments joined with `-` (`f-app_actions-0-name`); the first
//!   radio/checkbox of a choice carries the field id, later ones `f-…-2`, `f-…-3`, …; objects,
//!   groups and group items carry their id on their wrapper; hints are `…-hint`, inline errors
//!   `…-error`, inline warnings `…-warning`;
//! - booleans post `value="true"` when checked and nothing when not;
//! - `_stage=<stage id>`: the submit button pressed (one per stage; a hidden copy of the first
//!   stage's button comes first so that pressing Enter saves rather than removes an item);
//! - `_action=add:<group name>` / `_action=remove:<group name>:<index>`: add or remove a group item;
//! - `<file field name>._keep=<token>`: keep a stored file (a hidden input for single files, a checked
//!   checkbox per stored file for multiple files); secrets are never echoed: a stored one is passed
//!   in `values` as `{"keep": REF}` and posted back as `<secret name>._keep=REF`;
//! - `_csrf`, `_version`: hidden tokens copied from [`RenderInput`].

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use formwork_schema::Form;
use formwork_schema::model::{Field, FileRules, Kind, StageSet, TextFormat};
use handlebars::Handlebars;
use serde_json::{Map, Value};

use crate::generate::GeneratedFile;
use crate::view::{V, VMap, vmap};

macro_rules! builtin {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../templates/",
                $name,
                ".hbs"
            )),
        )
    };
}

/// The built-in partials, by name (file `templates/<name>.hbs`).
const BUILTIN_PARTIALS: [(&str, &str); 10] = [
    builtin!("checkbox"),
    builtin!("choice"),
    builtin!("error_summary"),
    builtin!("file"),
    builtin!("group"),
    builtin!("layout"),
    builtin!("long_text"),
    builtin!("messages"),
    builtin!("object"),
    builtin!("text"),
];

/// The built-in stylesheet (`templates/form.css`).
const BUILTIN_CSS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../templates/form.css"
));

/// Partials every generated form uses, whatever its fields.
const ALWAYS_USED: [&str; 3] = ["error_summary", "layout", "messages"];

/// Name of the generated main template inside a [`Renderer`]'s registry (never clashes with a partial).
const MAIN: &str = "formwork:main";

/// Single choices with more values than this render as a `<select>`.
const SELECT_ABOVE: usize = 10;

/// Radios/checkboxes with more options than this render in two columns on wide screens.
const COLUMNS_ABOVE: usize = 6;

/// Handlebars partials (by name) and the stylesheet the generated forms use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partials {
    templates: BTreeMap<String, String>,
    css: String,
}

/// Why [`Partials::from_dir`] failed.
#[derive(Debug, thiserror::Error)]
pub enum PartialsError {
    /// The folder or a file in it cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The folder or file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A `.hbs` file is not a valid handlebars template.
    #[error("{}: {source}", path.display())]
    Template {
        /// The file.
        path: PathBuf,
        /// The parse error.
        source: Box<handlebars::TemplateError>,
    },
}

impl Partials {
    /// The built-in partials and stylesheet (from `templates/`, embedded at compile time).
    pub fn builtin() -> Partials {
        Partials {
            templates: BUILTIN_PARTIALS
                .iter()
                .map(|(n, s)| (n.to_string(), s.to_string()))
                .collect(),
            css: BUILTIN_CSS.to_string(),
        }
    }

    /// The built-ins overridden by the `*.hbs` files (and `form.css`) of `dir`; extra names are kept too.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Partials, PartialsError> {
        let dir = dir.as_ref();
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| PartialsError::Io { path, source }
        };
        let mut partials = Partials::builtin();
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io(dir))? {
            paths.push(entry.map_err(io(dir))?.path());
        }
        paths.sort();
        for path in paths {
            let Some(file_name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if file_name == "form.css" {
                partials.css = std::fs::read_to_string(&path).map_err(io(&path))?;
            } else if let Some(name) = file_name.strip_suffix(".hbs")
                && !name.is_empty()
                && path.is_file()
            {
                let source = std::fs::read_to_string(&path).map_err(io(&path))?;
                handlebars::Template::compile(&source).map_err(|e| PartialsError::Template {
                    path: path.clone(),
                    source: Box::new(e),
                })?;
                partials.templates.insert(name.to_string(), source);
            }
        }
        Ok(partials)
    }

    /// The source of the partial called `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.templates.get(name).map(String::as_str)
    }

    /// Every partial name, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.templates.keys().map(String::as_str)
    }

    /// The stylesheet (`form.css`).
    pub fn css(&self) -> &str {
        &self.css
    }

    /// Adds or replaces the partial called `name`.
    pub fn insert(&mut self, name: impl Into<String>, source: impl Into<String>) {
        self.templates.insert(name.into(), source.into());
    }

    /// Replaces the stylesheet.
    pub fn set_css(&mut self, css: impl Into<String>) {
        self.css = css.into();
    }
}

/// `<form id>.hbs` (the generated main template), `partials/<name>.hbs` for each partial it uses, and `form.css`.
pub fn emit(form: &Form, partials: &Partials) -> Vec<GeneratedFile> {
    let mut used: BTreeSet<&str> = ALWAYS_USED.into_iter().collect();
    let template = main_template_using(form, &mut used);
    // Partials that are not built-in names may be used by overriding partials: ship them too.
    used.extend(
        partials
            .names()
            .filter(|n| !BUILTIN_PARTIALS.iter().any(|(b, _)| b == n)),
    );
    let mut files = vec![GeneratedFile {
        name: format!("{}.hbs", form.id),
        contents: template,
    }];
    for name in used {
        if let Some(source) = partials.get(name) {
            files.push(GeneratedFile {
                name: format!("partials/{name}.hbs"),
                contents: source.to_string(),
            });
        }
    }
    files.push(GeneratedFile {
        name: "form.css".to_string(),
        contents: partials.css().to_string(),
    });
    files
}

/// The generated main template of `form` (what [`emit`] writes to `<form id>.hbs`).
pub fn main_template(form: &Form) -> String {
    main_template_using(form, &mut BTreeSet::new())
}

fn main_template_using(form: &Form, used: &mut BTreeSet<&str>) -> String {
    let mut t = String::new();
    let version = form
        .version
        .as_deref()
        .map(|v| format!(" (version {})", comment_text(v)))
        .unwrap_or_default();
    let _ = writeln!(
        t,
        "{{{{!-- Generated by formwork from the spec of form `{}`{version}. Edit the spec, not this file. --}}}}",
        comment_text(&form.id)
    );
    t.push_str("{{#> layout}}\n");
    t.push_str(concat!(
        "{{#if account}}\n",
        "<div class=\"fw-account\"><a href=\"/\">Your records</a> · Signed in as <strong>{{account}}</strong> ",
        "<form class=\"fw-account__sign-out\" action=\"/sign-out\" method=\"post\">",
        "<input type=\"hidden\" name=\"_csrf\" value=\"{{csrf}}\">",
        "<button class=\"fw-link-button\" type=\"submit\">Sign out</button></form></div>\n",
        "{{/if}}\n",
    ));
    t.push_str("{{> error_summary}}\n");
    t.push_str("{{#if notice}}\n<div class=\"fw-notice\" role=\"status\">\n<p>{{notice}}</p>\n</div>\n{{/if}}\n");
    t.push_str("<h1 class=\"fw-heading\">{{heading}}</h1>\n");
    t.push_str("{{#if status}}\n<p class=\"fw-status\">Status: <strong class=\"fw-tag\">{{status}}</strong>{{#if history}} · <a href=\"{{history}}\">History</a>{{/if}}</p>\n{{/if}}\n");
    if let Some(d) = &form.description {
        let _ = writeln!(t, "<p class=\"fw-lead\">{}</p>", text(d));
    }
    t.push_str(concat!(
        "{{#if issued}}\n",
        "<div class=\"fw-issued\" role=\"region\" aria-labelledby=\"fw-issued-title\">\n",
        "<h2 class=\"fw-issued__title\" id=\"fw-issued-title\">Your credentials</h2>\n",
        "<dl class=\"fw-issued__list\">\n",
        "{{#each issued}}\n",
        "<div class=\"fw-issued__row\"><dt>{{label}}</dt><dd><code>{{value}}</code>",
        "{{#if reveal}} <form class=\"fw-inline-form\" action=\"{{reveal}}\" method=\"post\"><input type=\"hidden\" name=\"_csrf\" value=\"{{@root.csrf}}\"><button class=\"fw-link-button\" type=\"submit\">Reveal<span class=\"fw-visually-hidden\"> {{label}}</span></button></form>{{/if}}",
        "{{#if rotate}} <form class=\"fw-inline-form\" action=\"{{rotate}}\" method=\"post\"><input type=\"hidden\" name=\"_csrf\" value=\"{{@root.csrf}}\"><button class=\"fw-link-button\" type=\"submit\">Rotate<span class=\"fw-visually-hidden\"> {{label}}</span></button></form>{{/if}}",
        "</dd></div>\n",
        "{{/each}}\n",
        "</dl>\n",
        "</div>\n",
        "{{/if}}\n",
        "{{#if changes}}\n",
        "<div class=\"fw-changes\" role=\"region\" aria-labelledby=\"fw-changes-title\">\n",
        "<h2 class=\"fw-changes__title\" id=\"fw-changes-title\">The form has changed since this was saved</h2>\n",
        "<ul class=\"fw-changes__list\">\n",
        "{{#each changes}}\n",
        "<li>{{this}}</li>\n",
        "{{/each}}\n",
        "</ul>\n",
        "</div>\n",
        "{{/if}}\n",
    ));
    // A long form gets a section navigation (GOV.UK's task list): each section, its status.
    let navigation = form.sections.len() >= 2;
    if navigation {
        t.push_str(concat!(
            "<nav class=\"fw-task-list\" aria-labelledby=\"fw-task-list-title\">\n",
            "<h2 class=\"fw-task-list__title\" id=\"fw-task-list-title\">Sections</h2>\n",
            "<ol class=\"fw-task-list__items\">\n",
            "{{#each sections}}\n",
            "<li class=\"fw-task-list__item\"><a class=\"fw-task-list__link\" href=\"#section-{{id}}\" aria-describedby=\"section-{{id}}-status\">{{title}}</a>",
            " <strong class=\"fw-tag fw-tag--{{status}}\" id=\"section-{{id}}-status\">{{status_label}}</strong></li>\n",
            "{{/each}}\n",
            "</ol>\n",
            "</nav>\n",
        ));
    }
    let _ = writeln!(
        t,
        "<form class=\"fw-form\" id=\"form-{}\" action=\"{{{{action}}}}\" method=\"post\" enctype=\"multipart/form-data\" novalidate>",
        text(&form.id)
    );
    if let Some(first) = form.stages.first() {
        let _ = writeln!(
            t,
            "<button class=\"fw-default-button\" type=\"submit\" name=\"_stage\" value=\"{}\" tabindex=\"-1\" aria-hidden=\"true\">{}</button>",
            text(&first.id),
            text(&first.label)
        );
    }
    t.push_str("<input type=\"hidden\" name=\"_csrf\" value=\"{{csrf}}\">\n");
    t.push_str("<input type=\"hidden\" name=\"_version\" value=\"{{version}}\">\n");
    t.push_str(concat!(
        "{{#if orphans}}\n",
        "<div class=\"fw-orphans\" role=\"region\" aria-labelledby=\"fw-orphans-title\">\n",
        "<h2 class=\"fw-orphans__title\" id=\"fw-orphans-title\">Stored values this form no longer asks for</h2>\n",
        "<p class=\"fw-hint\">They stay with this record, read-only, until you choose to remove them. Earlier versions of the record keep them in its history.</p>\n",
        "<dl class=\"fw-orphans__list\">\n",
        "{{#each orphans}}\n",
        "<div class=\"fw-orphans__row\"><dt>{{label}}</dt><dd><code>{{value}}</code></dd></div>\n",
        "{{/each}}\n",
        "</dl>\n",
        "<div class=\"fw-option\"><input class=\"fw-option__input\" type=\"checkbox\" id=\"fw-drop-orphans\" name=\"_drop_orphans\" value=\"yes\"><label class=\"fw-option__label\" for=\"fw-drop-orphans\">Remove these stored values when I save</label></div>\n",
        "</div>\n",
        "{{/if}}\n",
    ));
    let top: Vec<&Field> = form.fields().collect();
    for section in &form.sections {
        // A section asked only under a condition is shown and hidden whole by the script.
        let shown_when = section.shown_when.as_ref().map_or_else(String::new, |c| {
            format!(
                " data-fw-shown-when=\"{}\" data-fw-name=\"{}\"",
                text(&serde_json::to_string(c).unwrap_or_default()),
                text(&section.id)
            )
        });
        let _ = writeln!(
            t,
            "<fieldset class=\"fw-section\" id=\"section-{}\"{shown_when}>",
            text(&section.id)
        );
        let _ = writeln!(
            t,
            "<legend class=\"fw-section__legend\"><h2>{}</h2></legend>",
            text(&section.title)
        );
        if let Some(d) = &section.description {
            let _ = writeln!(t, "<p class=\"fw-section__description\">{}</p>", text(d));
        }
        let mut applies = Vec::new();
        if let Some(c) = &section.shown_when {
            applies.push(format!(
                "This section applies only when {}.",
                c.describe(&top)
            ));
        }
        if let Some(c) = &section.required_when {
            applies.push(format!(
                "Its required questions are required only when {}.",
                c.describe(&top)
            ));
        }
        if !applies.is_empty() {
            let _ = writeln!(
                t,
                "<p class=\"fw-section__description fw-hint\">{}</p>",
                text(&applies.join(" "))
            );
        }
        emit_fields(&mut t, &section.fields, used);
        // Each section saves on its own too (when the first stage saves a draft before a later
        // one), and the page comes back to it: the fragment of `formaction` survives the
        // redirect, no JavaScript needed.
        if let (true, true, Some(first)) = (navigation, form.stages.len() >= 2, form.stages.first())
        {
            let _ = writeln!(
                t,
                "<div class=\"fw-section__actions\"><button class=\"fw-button fw-button--secondary\" type=\"submit\" name=\"_stage\" value=\"{}\" formaction=\"{{{{action}}}}#section-{}\">{}<span class=\"fw-visually-hidden\"> {}</span></button></div>",
                text(&first.id),
                text(&section.id),
                text(&first.label),
                text(&section.title)
            );
        }
        t.push_str("</fieldset>\n");
    }
    t.push_str("<div class=\"fw-buttons\">\n");
    let last = form.stages.len().saturating_sub(1);
    for (i, stage) in form.stages.iter().enumerate() {
        let class = if i == last {
            "fw-button"
        } else {
            "fw-button fw-button--secondary"
        };
        let _ = writeln!(
            t,
            "<button class=\"{class}\" type=\"submit\" name=\"_stage\" value=\"{}\">{}</button>",
            text(&stage.id),
            text(&stage.label)
        );
    }
    if form.stages.is_empty() {
        t.push_str("<button class=\"fw-button\" type=\"submit\">Submit</button>\n");
    }
    t.push_str("</div>\n</form>\n");
    // Fields asked only under a condition are shown and hidden as people type, by a script
    // served as a file (the Content-Security-Policy allows no inline script).
    if form.fields().any(has_shown_when) {
        t.push_str("<script src=\"/assets/conditions.js\" defer></script>\n");
    }
    t.push_str("{{/layout}}\n");
    t
}

/// One partial call (or partial block) per field.
fn emit_fields(t: &mut String, fields: &[Field], used: &mut BTreeSet<&str>) {
    for field in fields {
        let partial = partial_name(field);
        used.insert(partial);
        let path = context_path(&field.id);
        match &field.kind {
            Kind::Object(o) => {
                let _ = writeln!(t, "{{{{#> object {path}}}}}");
                emit_fields(t, &o.fields, used);
                t.push_str("{{/object}}\n");
            }
            Kind::Group(g) => {
                let _ = writeln!(
                    t,
                    "{{{{#> group {path}}}}}\n{{{{#*inline \"item_fields\"}}}}"
                );
                emit_fields(t, &g.fields, used);
                t.push_str("{{/inline}}\n{{/group}}\n");
            }
            _ => {
                let _ = writeln!(t, "{{{{> {partial} {path}}}}}");
            }
        }
    }
}

/// The partial that renders a field.
fn partial_name(field: &Field) -> &'static str {
    match &field.kind {
        Kind::Text(t) => match t.format {
            TextFormat::Long | TextFormat::Json { .. } => "long_text",
            _ => "text",
        },
        Kind::Number(_) => "text",
        Kind::Boolean(_) => "checkbox",
        Kind::Choice(_) => "choice",
        Kind::File(_) => "file",
        Kind::Object(_) => "object",
        Kind::Group(_) => "group",
    }
}

/// The handlebars path of a field's view inside its parent's `f` map.
fn context_path(id: &str) -> String {
    if !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        format!("f.{id}")
    } else {
        format!("f.[{}]", id.replace([']', '}', '{'], "_"))
    }
}

/// Text escaped for HTML element content and quoted attributes.
pub fn escape_html(s: &str) -> String {
    escape_into(s, false)
}

/// Text baked into the template: HTML-escaped, and braces as entities so handlebars leaves them alone.
fn text(s: &str) -> String {
    escape_into(s, true)
}

fn escape_into(s: &str, braces: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '{' if braces => out.push_str("&#123;"),
            '}' if braces => out.push_str("&#125;"),
            c => out.push(c),
        }
    }
    out
}

/// Text inside a handlebars comment: no `--}}`.
fn comment_text(s: &str) -> String {
    s.replace(['{', '}'], "").replace("--", "-")
}

/// Why building or using a [`Renderer`] failed.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A template (the generated one or a partial) does not compile.
    #[error("template `{name}` does not compile: {source}")]
    Template {
        /// The template or partial name.
        name: String,
        /// The parse error.
        source: Box<handlebars::TemplateError>,
    },
    /// Rendering failed (e.g. an overriding partial uses a name the view model lacks: strict mode).
    #[error("rendering failed: {0}")]
    Render(Box<handlebars::RenderError>),
}

/// What to render: the submission so far, its problems, and the page furniture.
#[derive(Debug, Clone, Copy)]
pub struct RenderInput<'a> {
    /// The submission so far (same JSON shape as a submission; files as metadata, optionally with `token`/`url`).
    pub values: &'a Value,
    /// Errors as `(JSON Pointer, message)`.
    pub errors: &'a [(String, String)],
    /// Warnings as `(JSON Pointer, message)`.
    pub warnings: &'a [(String, String)],
    /// Page `<title>` (default: the form title; prefixed with "Error: " when there are errors).
    pub title: Option<&'a str>,
    /// Page `<h1>` (default: the form title).
    pub heading: Option<&'a str>,
    /// CSRF token, posted back as `_csrf`.
    pub csrf: &'a str,
    /// Record version, posted back as `_version` (empty when `None`).
    pub version: Option<i64>,
    /// The form's POST URL.
    pub action: &'a str,
    /// Record status shown under the heading (e.g. `hidden`, `in_review`).
    pub status: Option<&'a str>,
    /// A notice shown at the top (e.g. "Your app was saved").
    pub notice: Option<&'a str>,
    /// Server-assigned values to show.
    pub issued: &'a [IssuedView],
    /// What changed in the form for this record, one sentence each (shown above the form).
    pub changes: &'a [String],
    /// Stored values the form no longer has a place for, as `(where, value)`: shown read-only
    /// inside the form with a checkbox `_drop_orphans` to remove them on save.
    pub orphans: &'a [(String, String)],
    /// The signed-in account (shown with a sign-out button), if any.
    pub account: Option<&'a str>,
    /// The address of the record's history, if it has one.
    pub history: Option<&'a str>,
}

/// A server-assigned value on the page: its label, the value (or a mask), and the addresses of
/// its Reveal and Rotate buttons (posted with the page's CSRF token) where it is a secret.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IssuedView {
    /// Label, e.g. `Client secret`.
    pub label: String,
    /// The value, or a mask.
    pub value: String,
    /// Where the Reveal button posts (a masked secret).
    pub reveal: Option<String>,
    /// Where the Rotate button posts (a secret).
    pub rotate: Option<String>,
}

impl IssuedView {
    /// A value shown as it is, without buttons.
    pub fn plain(label: &str, value: &str) -> IssuedView {
        IssuedView {
            label: label.to_string(),
            value: value.to_string(),
            reveal: None,
            rotate: None,
        }
    }
}

static NULL: Value = Value::Null;

impl<'a> RenderInput<'a> {
    /// An input with these values, no problems, empty tokens and an empty action.
    pub fn new(values: &'a Value) -> RenderInput<'a> {
        RenderInput {
            values,
            errors: &[],
            warnings: &[],
            title: None,
            heading: None,
            csrf: "",
            version: None,
            action: "",
            status: None,
            notice: None,
            issued: &[],
            changes: &[],
            orphans: &[],
            account: None,
            history: None,
        }
    }
}

impl Default for RenderInput<'_> {
    fn default() -> Self {
        RenderInput::new(&NULL)
    }
}

/// Renders a form to HTML: the generated template and the partials, registered once, and
/// compiled into render steps when they keep to the subset of handlebars that
/// the compiled renderer walks (the built-in templates do); handlebars renders otherwise.
pub struct Renderer {
    form: Form,
    registry: Handlebars<'static>,
    compiled: Option<crate::compiled::Compiled>,
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renderer")
            .field("form", &self.form.id)
            .field("compiled", &self.compiled.is_some())
            .finish_non_exhaustive()
    }
}

impl Renderer {
    /// Registers `form`'s generated template and `partials` (strict mode, HTML escaping).
    pub fn new(form: &Form, partials: &Partials) -> Result<Renderer, RenderError> {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.set_prevent_indent(true);
        for (name, source) in &partials.templates {
            registry
                .register_partial(name, source)
                .map_err(|e| RenderError::Template {
                    name: name.clone(),
                    source: Box::new(e),
                })?;
        }
        registry
            .register_template_string(MAIN, main_template(form))
            .map_err(|e| RenderError::Template {
                name: format!("{}.hbs", form.id),
                source: Box::new(e),
            })?;
        let mut renderer = Renderer {
            form: form.clone(),
            registry,
            compiled: None,
        };
        let blank = renderer
            .build_view_model(&RenderInput::default(), false)
            .into_owned();
        renderer.compiled = crate::compiled::Compiled::new(&renderer.registry, MAIN, &blank).ok();
        Ok(renderer)
    }

    /// The form this renderer renders.
    pub fn form(&self) -> &Form {
        &self.form
    }

    /// Whether pages are rendered by the compiled templates (else by handlebars).
    pub fn is_compiled(&self) -> bool {
        self.compiled.is_some()
    }

    /// The whole HTML page for `input`: by the compiled templates, else by handlebars.
    pub fn render(&self, input: &RenderInput<'_>) -> Result<String, RenderError> {
        match self.render_compiled(input) {
            Some(page) => Ok(page),
            None => self.render_by_handlebars(input),
        }
    }

    /// The page from the compiled templates alone: `None` when the templates are not compiled
    /// or a value they read is missing, where [`Renderer::render`] lets handlebars render it.
    pub fn render_compiled(&self, input: &RenderInput<'_>) -> Option<String> {
        let compiled = self.compiled.as_ref()?;
        let mut page = String::with_capacity(page_capacity(input));
        compiled
            .render(&self.lean_view_model(input), &mut page)
            .ok()
            .map(|()| page)
    }

    /// The page rendered by handlebars itself (what the compiled templates must match).
    pub fn render_by_handlebars(&self, input: &RenderInput<'_>) -> Result<String, RenderError> {
        // Hand the view model over as the context: `render(name, &data)` would clone it whole.
        let context = handlebars::Context::from(self.view_model(input));
        let mut page = Vec::with_capacity(page_capacity(input));
        self.registry
            .render_with_context_to_write(MAIN, &context, &mut page)
            .map_err(|e| RenderError::Render(Box::new(e)))?;
        String::from_utf8(page).map_err(|e| {
            RenderError::Render(Box::new(
                handlebars::RenderErrorReason::Other(e.to_string()).into(),
            ))
        })
    }

    /// The render context the templates see.
    ///
    /// Root: `title`, `heading`, `action`, `csrf`, `version`, `status`, `notice`, `issued` (`[{label, value, reveal, rotate}]`),
    /// `changes` (`[text]`), `orphans` (`[{label, value}]`), `account`, `history`,
    /// `errors`/`warnings` (`[{message, href}]`, `href` null when the pointer matches no field),
    /// `sections` (`[{id, title, status, status_label}]`, see [`section_status`]) and `f`
    /// (field views by id). Every field view has `kind`, `id`, `name`, `label`, `hint`, `example`,
    /// `has_hint`, `hint_id`, `errors`, `has_error`, `error_id`, `warnings`, `has_warning`, `warning_id`,
    /// `required`, `aria_required`, `required_text`, `describedby`, plus kind-specific keys
    /// (`value`, `options`, `checked`, `stored`, `items`, `f`, …).
    pub fn view_model(&self, input: &RenderInput<'_>) -> Value {
        self.build_view_model(input, false).to_json()
    }

    /// The view model without the [`STATIC_KEYS`] of field views outside group items, which
    /// the compiled templates have read from the blank form's view model once.
    pub(crate) fn lean_view_model<'s>(&'s self, input: &RenderInput<'s>) -> V<'s> {
        self.build_view_model(input, true)
    }

    pub(crate) fn build_view_model<'s>(&'s self, input: &RenderInput<'s>, lean: bool) -> V<'s> {
        let form = &self.form;
        let root = input.values.as_object();
        let mut cx = Cx {
            form,
            inline: HashMap::new(),
            lean,
        };
        let errors = cx.place(input.errors, input.values, true);
        let warnings = cx.place(input.warnings, input.values, false);
        let blank = root.is_none_or(|m| m.is_empty());
        let mut f = VMap::with_capacity(form.sections.iter().map(|s| s.fields.len()).sum());
        for field in form.fields() {
            let value = child(root, field, blank);
            let path = vec![field.id.clone()];
            f.push(
                field.id.as_str(),
                cx.field(field, value, &path, StageSet::NONE, false),
            );
        }
        let base_title = input.title.unwrap_or(&form.title);
        let title: V<'s> = if errors.is_empty() {
            V::from(base_title)
        } else {
            V::from(format!("Error: {base_title}"))
        };
        let issued: Vec<V<'s>> = input
            .issued
            .iter()
            .map(|i| {
                vmap! {
                    "label" => i.label.as_str(),
                    "value" => i.value.as_str(),
                    "reveal" => i.reveal.as_deref(),
                    "rotate" => i.rotate.as_deref(),
                }
            })
            .collect();
        let orphans: Vec<V<'s>> = input
            .orphans
            .iter()
            .map(|(l, v)| vmap! {"label" => l.as_str(), "value" => v.as_str()})
            .collect();
        let changes: Vec<V<'s>> = input.changes.iter().map(|c| V::from(c.as_str())).collect();
        let sections: Vec<V<'s>> = form
            .sections
            .iter()
            .map(|section| {
                let status = section_status(form, section, root, input.errors);
                vmap! {
                    "id" => section.id.as_str(),
                    "title" => section.title.as_str(),
                    "status" => status.class(),
                    "status_label" => status.label(),
                }
            })
            .collect();
        vmap! {
            "title" => title,
            "heading" => input.heading.unwrap_or(&form.title),
            "action" => input.action,
            "csrf" => input.csrf,
            "version" => input.version.map(|v| v.to_string()).unwrap_or_default(),
            "status" => input.status,
            "notice" => input.notice,
            "issued" => issued,
            "changes" => changes,
            "account" => input.account,
            "history" => input.history,
            "orphans" => orphans,
            "errors" => errors,
            "warnings" => warnings,
            "sections" => sections,
            "f" => f,
        }
    }
}

/// The show/hide script of fields with `shown_when`, served at `/assets/conditions.js`.
pub const CONDITIONS_JS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../templates/conditions.js"
));

/// Whether `f`, or a field inside it, has `shown_when`.
fn has_shown_when(f: &Field) -> bool {
    f.shown_when.is_some() || f.sub_fields().iter().any(has_shown_when)
}

/// The sentence that explains a conditional field, for its hint (shown with or without
/// JavaScript): "Only when Type is “JSON modal”. Required when HTTP Auth username is empty."
fn condition_hint(form: &Form, path: &[String], field: &Field) -> Option<String> {
    if !field.is_conditional() {
        return None;
    }
    // The siblings: the top-level fields, or the fields of the enclosing object or item.
    let mut siblings: Vec<&Field> = form.fields().collect();
    for seg in path.iter().take(path.len().saturating_sub(1)) {
        if let Some(f) = siblings.iter().find(|f| f.id == *seg) {
            siblings = f.sub_fields().iter().collect();
        }
    }
    let mut parts = Vec::new();
    if let Some(c) = &field.shown_when {
        parts.push(format!("Only when {}.", c.describe(&siblings)));
    }
    if let Some(c) = &field.required_when {
        parts.push(format!("Required when {}.", c.describe(&siblings)));
    } else if field.shown_when.is_some() && !field.required.is_empty() {
        parts.push("Required then.".to_string());
    }
    Some(parts.join(" "))
}

/// Where a section stands, for the section navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionStatus {
    /// None of its fields holds a value.
    NotStarted,
    /// Some values, but a field required at the last stage is still empty.
    Incomplete,
    /// Every field required at the last stage holds a value, and no error points into it.
    Completed,
    /// An error points into it.
    Problem,
}

impl SectionStatus {
    /// The modifier of its tag's class (`fw-tag--…`).
    pub fn class(self) -> &'static str {
        match self {
            SectionStatus::NotStarted => "not-started",
            SectionStatus::Incomplete => "incomplete",
            SectionStatus::Completed => "completed",
            SectionStatus::Problem => "problem",
        }
    }

    /// What people read.
    pub fn label(self) -> &'static str {
        match self {
            SectionStatus::NotStarted => "Not yet started",
            SectionStatus::Incomplete => "Incomplete",
            SectionStatus::Completed => "Completed",
            SectionStatus::Problem => "There is a problem",
        }
    }
}

/// The status of `section` given the submission's top-level `values` and the `errors` (JSON
/// Pointer, message) of the stage last validated; completeness is judged at the form's last
/// stage (what the form is for).
pub fn section_status(
    form: &Form,
    section: &formwork_schema::model::Section,
    values: Option<&Map<String, Value>>,
    errors: &[(String, String)],
) -> SectionStatus {
    let ids = || section.fields.iter().map(|f| f.id.as_str());
    let in_section = |pointer: &str| {
        let first = pointer
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or("");
        let first = first.replace("~1", "/").replace("~0", "~");
        ids().any(|id| id == first)
    };
    if errors.iter().any(|(p, _)| in_section(p)) {
        return SectionStatus::Problem;
    }
    let value = |id: &str| {
        values
            .and_then(|m| m.get(id))
            .filter(|v| formwork_schema::model::is_filled(v))
    };
    if !ids().any(|id| value(id).is_some()) {
        return SectionStatus::NotStarted;
    }
    let goal = form.stages.len().saturating_sub(1);
    let missing = section
        .fields
        .iter()
        .any(|f| f.always_required(goal) && value(&f.id).is_none());
    if missing {
        SectionStatus::Incomplete
    } else {
        SectionStatus::Completed
    }
}

/// The value of `field` inside `parent`, or its default when `parent` is blank.
fn child<'a>(
    parent: Option<&'a Map<String, Value>>,
    field: &'a Field,
    blank: bool,
) -> Option<&'a Value> {
    match parent.and_then(|p| p.get(&field.id)) {
        Some(v) => Some(v),
        None if blank => field.default.as_ref(),
        None => None,
    }
}

/// How many items a group shows: the array's length, or one blank item when there is no array yet.
fn item_count(value: Option<&Value>) -> usize {
    match value {
        Some(Value::Array(items)) => items.len(),
        _ => 1,
    }
}

/// The segments of a JSON Pointer (dotted input names are accepted too).
fn pointer_segments(pointer: &str) -> Vec<String> {
    if pointer.is_empty() {
        Vec::new()
    } else if let Some(rest) = pointer.strip_prefix('/') {
        rest.split('/')
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect()
    } else {
        pointer.split('.').map(str::to_string).collect()
    }
}

/// The deepest rendered element a pointer lands on (field, object, group or group item), as path segments.
fn anchor<'f>(
    mut fields: impl Iterator<Item = &'f Field>,
    value: Option<&Value>,
    segs: &[String],
) -> Option<Vec<String>> {
    let (first, rest) = segs.split_first()?;
    let field = fields.find(|f| &f.id == first)?;
    let mut path = vec![field.id.clone()];
    let value = value.and_then(|v| v.get(first.as_str()));
    match &field.kind {
        Kind::Object(o) => path.extend(anchor(o.fields.iter(), value, rest).unwrap_or_default()),
        Kind::Group(g) => {
            if let Some((index, rest)) = rest.split_first()
                && let Ok(i) = index.parse::<usize>()
                && i < item_count(value)
            {
                path.push(i.to_string());
                let item = value.and_then(|v| v.get(i));
                path.extend(anchor(g.fields.iter(), item, rest).unwrap_or_default());
            }
        }
        _ => {}
    }
    Some(path)
}

/// The element id of a path.
fn dom_id(path: &[String]) -> String {
    format!("f-{}", path.join("-"))
}

/// View-model building state: inline messages by anchor path.
struct Cx<'a> {
    form: &'a Form,
    /// Errors and warnings by the anchor they are shown at.
    inline: HashMap<String, (Vec<&'a str>, Vec<&'a str>)>,
    /// Leave out the [`STATIC_KEYS`] of field views outside group items (see
    /// [`Renderer::lean_view_model`]).
    lean: bool,
}

/// The keys of a field view whose values depend only on the field and where it sits, never on
/// the values, the problems or anything else a render gets. The compiled templates read them
/// once, from the blank form's view model, for every field outside group items.
pub const STATIC_KEYS: [&str; 34] = [
    "kind",
    "id",
    "name",
    "label",
    "hint",
    "example",
    "has_hint",
    "hint_id",
    "error_id",
    "warning_id",
    "required",
    "aria_required",
    "required_text",
    "stored_id",
    "input_type",
    "maxlength",
    "minlength",
    "min",
    "max",
    "step",
    "inputmode",
    "autocomplete",
    "no_spellcheck",
    "code",
    "rows",
    "max_text",
    "select",
    "multiple",
    "columns",
    "accept",
    "keep_name",
    "item_label",
    "add_action",
    "shown_when",
];

impl<'a> Cx<'a> {
    /// Files problems under their anchors; returns the summary entries (`{message, href}`).
    fn place(
        &mut self,
        problems: &'a [(String, String)],
        values: &Value,
        errors: bool,
    ) -> Vec<V<'a>> {
        let mut summary: Vec<V<'a>> = Vec::new();
        for (pointer, message) in problems {
            let segs = pointer_segments(pointer);
            let anchor = anchor(self.form.fields(), Some(values), &segs);
            let href = anchor.as_ref().map(|a| format!("#{}", dom_id(a)));
            if let Some(a) = &anchor {
                let slot = self.inline.entry(a.join("/")).or_default();
                let list = if errors { &mut slot.0 } else { &mut slot.1 };
                if !list.contains(&message.as_str()) {
                    list.push(message.as_str());
                }
            }
            let entry = vmap! {"message" => message.as_str(), "href" => href};
            if !summary.contains(&entry) {
                summary.push(entry);
            }
        }
        summary
    }

    /// The view of one field at `path` holding `value`.
    fn field(
        &mut self,
        field: &'a Field,
        value: Option<&'a Value>,
        path: &[String],
        inherited: StageSet,
        in_item: bool,
    ) -> V<'a> {
        let id = dom_id(path);
        let name = path.join(".");
        let (errors, warnings) = self.inline.remove(&path.join("/")).unwrap_or_default();
        // A field required under a condition is marked optional; its hint says when it is not.
        let must = match &field.kind {
            _ if field.is_conditional() => StageSet::NONE,
            Kind::Boolean(b) => StageSet(field.required.0 | b.must_be_true.0),
            _ => field.required,
        };
        let n = self.form.stages.len();
        let required = !must.is_empty() && must.is_all(n);
        let required_text = if must == inherited {
            None
        } else {
            required_text(self.form, must)
        };
        // Static keys are left out of lean views (see `Renderer::lean_view_model`), unbuilt.
        let lean = self.lean && !in_item;
        // Part of the hint, a static key: not worked out for lean views.
        let condition = if lean {
            None
        } else {
            condition_hint(self.form, path, field)
        };
        let has_hint = field.help.is_some() || field.example.is_some() || condition.is_some();
        let mut v = VMap::with_capacity(if lean { 16 } else { 40 });
        let put = |v: &mut VMap<'a>, key: &'static str, value: &dyn Fn() -> V<'a>| {
            if !lean {
                v.push(key, value());
            }
        };
        put(&mut v, "kind", &|| V::from(partial_name(field)));
        put(&mut v, "id", &|| V::from(id.clone()));
        put(&mut v, "name", &|| V::from(name.clone()));
        put(&mut v, "label", &|| V::from(field.label.as_str()));
        // For the show/hide script (`CONDITIONS_JS`): the condition as JSON.
        put(&mut v, "shown_when", &|| {
            V::from(
                field
                    .shown_when
                    .as_ref()
                    .map(|c| serde_json::to_string(c).unwrap_or_default()),
            )
        });
        put(&mut v, "hint", &|| match (&field.help, &condition) {
            (Some(h), Some(c)) => V::from(format!("{h} {c}")),
            (None, Some(c)) => V::from(c.clone()),
            (h, None) => V::from(h.as_deref()),
        });
        put(&mut v, "example", &|| V::from(field.example.as_deref()));
        put(&mut v, "has_hint", &|| V::from(has_hint));
        put(&mut v, "hint_id", &|| V::from(format!("{id}-hint")));
        let (has_error, has_warning) = (!errors.is_empty(), !warnings.is_empty());
        v.push("has_error", V::from(has_error));
        v.push("errors", messages(errors));
        put(&mut v, "error_id", &|| V::from(format!("{id}-error")));
        v.push("has_warning", V::from(has_warning));
        v.push("warnings", messages(warnings));
        put(&mut v, "warning_id", &|| V::from(format!("{id}-warning")));
        put(&mut v, "required", &|| V::from(required));
        put(&mut v, "aria_required", &|| V::from(required));
        put(&mut v, "required_text", &|| V::from(required_text.clone()));
        v.push("stored", V::Null);
        put(&mut v, "stored_id", &|| V::from(format!("{id}-stored")));
        let mut stored = false;
        // A long text with a maximum shows a character count.
        let mut counted = false;
        match &field.kind {
            Kind::Text(t) => {
                let (input_type, no_spellcheck, autocomplete) = match &t.format {
                    TextFormat::Email => ("email", true, None),
                    TextFormat::Url { .. } => ("url", true, None),
                    TextFormat::Secret => ("password", true, Some("new-password")),
                    _ => ("text", false, None),
                };
                put(&mut v, "input_type", &|| V::from(input_type));
                put(&mut v, "maxlength", &|| {
                    V::from(t.max_length.map(|m| m.to_string()))
                });
                put(&mut v, "minlength", &|| {
                    V::from(t.min_length.map(|m| m.to_string()))
                });
                match &t.format {
                    TextFormat::Secret => {
                        // Never echo a secret: only say whether one is stored. A stored one comes
                        // as `{"keep": REF}`; REF is posted back as `NAME._keep` to keep it.
                        stored = value.is_some_and(is_present);
                        v.push("value", V::Null);
                        v.insert("stored", V::from(stored));
                        let keep = value.and_then(|x| x.get("keep")).and_then(Value::as_str);
                        v.push("keep", V::from(keep));
                        put(&mut v, "keep_name", &|| V::from(format!("{name}._keep")));
                    }
                    TextFormat::Long | TextFormat::Json { .. } => {
                        let code = matches!(t.format, TextFormat::Json { .. });
                        v.push("value", V::from(value.and_then(|x| value_text(x, code))));
                        put(&mut v, "code", &|| V::from(code));
                        put(&mut v, "rows", &|| V::from(if code { "10" } else { "5" }));
                        let max_text = match (&t.format, t.max_length) {
                            (TextFormat::Long, Some(m)) => {
                                Some(format!("You can enter up to {m} characters."))
                            }
                            _ => None,
                        };
                        counted = max_text.is_some();
                        put(&mut v, "max_text", &|| V::from(max_text.clone()));
                    }
                    _ => {
                        v.push("value", V::from(value.and_then(|x| value_text(x, false))));
                    }
                }
                put(&mut v, "min", &|| V::Null);
                put(&mut v, "max", &|| V::Null);
                put(&mut v, "step", &|| V::Null);
                put(&mut v, "inputmode", &|| V::Null);
                put(&mut v, "autocomplete", &|| V::from(autocomplete));
                put(&mut v, "no_spellcheck", &|| V::from(no_spellcheck));
            }
            Kind::Number(num) => {
                put(&mut v, "input_type", &|| V::from("number"));
                v.push("value", V::from(value.and_then(|x| value_text(x, false))));
                put(&mut v, "maxlength", &|| V::Null);
                put(&mut v, "minlength", &|| V::Null);
                put(&mut v, "min", &|| V::from(num.minimum.map(number_text)));
                put(&mut v, "max", &|| V::from(num.maximum.map(number_text)));
                put(&mut v, "step", &|| {
                    V::from(if num.integer { "1" } else { "any" })
                });
                put(&mut v, "inputmode", &|| {
                    V::from(if num.integer { "numeric" } else { "decimal" })
                });
                put(&mut v, "autocomplete", &|| V::Null);
                put(&mut v, "no_spellcheck", &|| V::from(false));
            }
            Kind::Boolean(_) => {
                let checked = matches!(value, Some(Value::Bool(true)))
                    || matches!(value, Some(Value::String(s)) if s == "true" || s == "on");
                v.push("checked", V::from(checked));
            }
            Kind::Choice(c) => {
                let selected = |id: &str| match value {
                    Some(Value::String(s)) => s == id,
                    Some(Value::Array(items)) => items.iter().any(|x| x.as_str() == Some(id)),
                    _ => false,
                };
                let select = !c.multiple && c.list.values.len() > SELECT_ABOVE;
                let input_type = if c.multiple { "checkbox" } else { "radio" };
                let options: Vec<V<'a>> = c
                    .list
                    .values
                    .iter()
                    .enumerate()
                    .map(|(i, choice)| {
                        let option_id = if i == 0 {
                            id.clone()
                        } else {
                            format!("{id}-{}", i + 1)
                        };
                        vmap! {
                            "id" => option_id,
                            "name" => name.clone(),
                            "input_type" => input_type,
                            "value" => choice.id.as_str(),
                            "label" => choice.label.as_str(),
                            "checked" => selected(&choice.id),
                        }
                    })
                    .collect();
                put(&mut v, "select", &|| V::from(select));
                put(&mut v, "multiple", &|| V::from(c.multiple));
                put(&mut v, "columns", &|| {
                    V::from(!select && options.len() > COLUMNS_ABOVE)
                });
                v.push("options", V::from(options));
            }
            Kind::File(rules) => {
                let files = stored_files(rules, value, &id, &name);
                stored = !files.is_empty();
                let any_token = files
                    .iter()
                    .any(|f| f.get("token").is_some_and(|t| !t.is_null()));
                let keep_note = match (any_token, rules.multiple) {
                    (false, _) => None,
                    (true, false) => {
                        Some("Choose a new file only if you want to replace this one.")
                    }
                    (true, true) => {
                        Some("Untick “Keep” to remove a file. Choose more files to add them.")
                    }
                };
                let accept = if !rules.media_types.is_empty() {
                    Some(rules.media_types.join(","))
                } else if rules.image {
                    Some("image/*".to_string())
                } else {
                    None
                };
                put(&mut v, "accept", &|| V::from(accept.clone()));
                put(&mut v, "multiple", &|| V::from(rules.multiple));
                v.push("has_stored", V::from(stored));
                v.insert("stored", V::from(files));
                v.push("keep_note", V::from(keep_note));
            }
            Kind::Object(o) => {
                let obj = value.and_then(Value::as_object);
                let blank = obj.is_none_or(|m| m.is_empty());
                let mut f = VMap::with_capacity(o.fields.len());
                for sub in &o.fields {
                    let mut sub_path = path.to_vec();
                    sub_path.push(sub.id.clone());
                    let sub_value = child(obj, sub, blank);
                    f.push(
                        sub.id.as_str(),
                        self.field(sub, sub_value, &sub_path, must, in_item),
                    );
                }
                v.push("f", V::Map(f));
            }
            Kind::Group(g) => {
                let count = item_count(value);
                let mut items = Vec::with_capacity(count);
                for i in 0..count {
                    let item_value = value.and_then(|x| x.get(i)).and_then(Value::as_object);
                    let blank = item_value.is_none_or(|m| m.is_empty());
                    let mut item_path = path.to_vec();
                    item_path.push(i.to_string());
                    let item_id = dom_id(&item_path);
                    let (item_errors, item_warnings) =
                        self.inline.remove(&item_path.join("/")).unwrap_or_default();
                    let mut f = VMap::with_capacity(g.fields.len());
                    for sub in &g.fields {
                        let mut sub_path = item_path.clone();
                        sub_path.push(sub.id.clone());
                        let sub_value = child(item_value, sub, blank);
                        f.push(
                            sub.id.as_str(),
                            self.field(sub, sub_value, &sub_path, StageSet::NONE, true),
                        );
                    }
                    let legend = format!("{} {}", capitalise(&g.item_label), i + 1);
                    let describedby = describedby(&[
                        (!item_errors.is_empty(), format!("{item_id}-error")),
                        (!item_warnings.is_empty(), format!("{item_id}-warning")),
                    ]);
                    let item = vmap! {
                        "id" => item_id.clone(),
                        "index" => i,
                        "number" => i + 1,
                        "legend" => legend.clone(),
                        "remove_action" => format!("remove:{name}:{i}"),
                        "remove_label" => legend,
                        "has_error" => !item_errors.is_empty(),
                        "errors" => messages(item_errors),
                        "error_id" => format!("{item_id}-error"),
                        "has_warning" => !item_warnings.is_empty(),
                        "warnings" => messages(item_warnings),
                        "warning_id" => format!("{item_id}-warning"),
                        "describedby" => describedby,
                        "f" => f,
                    };
                    items.push(item);
                }
                let add_label = if count == 0 {
                    format!("Add {} {}", article(&g.item_label), g.item_label)
                } else {
                    format!("Add another {}", g.item_label)
                };
                put(&mut v, "item_label", &|| V::from(g.item_label.as_str()));
                v.push("count", V::from(count));
                v.push(
                    "can_add",
                    V::from(g.max_items.is_none_or(|m| count < m as usize)),
                );
                put(&mut v, "add_action", &|| V::from(format!("add:{name}")));
                v.push("add_label", V::from(add_label));
                v.push("items", V::from(items));
            }
        }
        let d = describedby(&[
            (has_hint, format!("{id}-hint")),
            (stored, format!("{id}-stored")),
            (has_error, format!("{id}-error")),
            (has_warning, format!("{id}-warning")),
            (counted, format!("{id}-count")),
        ]);
        v.push("describedby", V::from(d));
        V::Map(v)
    }
}

/// `aria-describedby` from the ids whose flag is set (None when empty).
fn describedby(ids: &[(bool, String)]) -> Option<String> {
    let ids: Vec<&str> = ids
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, id)| id.as_str())
        .collect();
    if ids.is_empty() {
        None
    } else {
        Some(ids.join(" "))
    }
}

/// Whether a stored secret is present (a non-empty string, `true`, or any object/array/number).
fn is_present(v: &Value) -> bool {
    match v {
        Value::Null | Value::Bool(false) => false,
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

/// The text of a value in an input (`None` for null); JSON documents are pretty-printed when `pretty`.
fn value_text(v: &Value, pretty: bool) -> Option<std::borrow::Cow<'_, str>> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.as_str().into()),
        Value::Number(n) => Some(n.to_string().into()),
        Value::Bool(b) => Some(b.to_string().into()),
        other if pretty => serde_json::to_string_pretty(other).ok().map(Into::into),
        other => serde_json::to_string(other).ok().map(Into::into),
    }
}

/// Messages as a list of texts.
fn messages(list: Vec<&str>) -> V<'_> {
    V::List(list.into_iter().map(V::from).collect())
}

/// A spec number as an attribute value (`16`, not `16.0`).
fn number_text(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        x.to_string()
    }
}

/// "(required)" or "(required to send to review)" for the stages in `set`.
fn required_text(form: &Form, set: StageSet) -> Option<String> {
    if set.is_empty() {
        return None;
    }
    if set.is_all(form.stages.len()) {
        return Some("(required)".to_string());
    }
    let labels: Vec<String> = form
        .stages
        .iter()
        .enumerate()
        .filter(|(i, _)| set.contains(*i))
        .map(|(_, s)| lower_first(&s.label))
        .collect();
    if labels.is_empty() {
        None
    } else {
        Some(format!("(required to {})", labels.join(" and ")))
    }
}

/// `Send to review` → `send to review` (acronyms such as `OK` are kept).
fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if a.is_uppercase() && b.is_uppercase() => s.to_string(),
        (Some(a), _) => a.to_lowercase().chain(s.chars().skip(1)).collect(),
        _ => String::new(),
    }
}

/// `app action` → `App action`.
fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(a) => a.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `a` or `an`.
fn article(s: &str) -> &'static str {
    if s.chars().next().is_some_and(|c| "aeiouAEIOU".contains(c)) {
        "an"
    } else {
        "a"
    }
}

/// Views of the stored files of a file field (`[{name, detail, url, token, keep_id, keep_name, keep_checkbox}]`).
fn stored_files<'a>(
    rules: &FileRules,
    value: Option<&'a Value>,
    id: &str,
    name: &str,
) -> Vec<V<'a>> {
    let files: Vec<&Map<String, Value>> = match value {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_object).collect(),
        Some(Value::Object(o)) => vec![o],
        _ => Vec::new(),
    };
    files
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            let str_of = |k: &str| f.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
            let mut detail = Vec::new();
            if let (Some(w), Some(h)) = (
                f.get("width").and_then(Value::as_u64),
                f.get("height").and_then(Value::as_u64),
            ) {
                detail.push(format!("{w} × {h} px"));
            }
            if let Some(size) = f.get("size").and_then(Value::as_u64) {
                detail.push(size_text(size));
            }
            vmap! {
                "name" => str_of("name").unwrap_or("file"),
                "detail" => if detail.is_empty() { None } else { Some(detail.join(", ")) },
                "url" => str_of("url").filter(|u| safe_url(u)),
                "token" => str_of("token"),
                "keep_id" => format!("{id}-keep-{i}"),
                "keep_name" => format!("{name}._keep"),
                "keep_checkbox" => rules.multiple,
            }
        })
        .collect()
}

/// Whether a preview URL is safe to put in `src` (same-origin path, http(s), or an inline image).
fn safe_url(u: &str) -> bool {
    let lower = u.to_ascii_lowercase();
    (u.starts_with('/') && !u.starts_with("//"))
        || lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with("data:image/")
}

/// `123456` → `121 KB`.
fn size_text(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    if bytes < KIB {
        format!("{bytes} bytes")
    } else if bytes < MIB {
        format!("{} KB", bytes.div_ceil(KIB))
    } else {
        format!("{:.1} MB", bytes as f64 / MIB as f64)
    }
}

/// The page is about the blank form plus the texts shown (escaped): sized once, it is not
/// copied as it grows.
fn page_capacity(input: &RenderInput<'_>) -> usize {
    PAGE_BYTES + text_bytes(input.values) * 11 / 10
}

/// About the size of a rendered page without values.
const PAGE_BYTES: usize = 64 * 1024;

/// The bytes of the texts in `v`.
fn text_bytes(v: &Value) -> usize {
    match v {
        Value::String(s) => s.len(),
        Value::Array(a) => a.iter().map(text_bytes).sum(),
        Value::Object(m) => m.values().map(text_bytes).sum(),
        _ => 0,
    }
}
