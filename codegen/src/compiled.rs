//! The form's templates compiled once into a tree of render steps, for fast pages.
//!
//! handlebars-rust interprets its parsed templates at every render: it copies the context into
//! every partial it enters (a page of ~80 partial calls copies the view model over and over),
//! looks up paths segment by segment through its block stack, and renders partial blocks into
//! temporary strings. [`Compiled`] walks the very templates handlebars parsed (its own
//! `Template` trees, taken from the registry, so whitespace and standalone tags are handled
//! exactly as handlebars handles them) and resolves partials, inline partials and partial blocks
//! at start-up. The static keys of field views outside group items
//! ([`crate::html::STATIC_KEYS`]: labels, hints, ids...) are read once from the blank form's view
//! model, and `#if`s on them are decided then; pages render from the lean view model
//! ([`crate::view`]), borrowing every value.
//!
//! It understands the subset of handlebars the built-in templates use: values (`{{a.b}}`,
//! `{{{raw}}}`, `this`, `@root`, `@index`, `@first`, `@last`, `@key`), `#if` / `#unless` /
//! `#each` / `#with` with `else`, partials with an optional context argument, partial blocks,
//! `@partial-block` and `*inline` partials. A template using anything else (other helpers, hash
//! arguments, `../`, decorators, `#each`/`#with` over a field view outside group items) is not
//! compiled, and a value missing at render time stops the walk: in both cases the renderer lets
//! handlebars render the page, so overridden templates keep all of handlebars, and every error
//! is handlebars' own. Tests render pages both ways and compare them byte for byte.

use handlebars::Handlebars;
use handlebars::template::{
    DecoratorTemplate, HelperTemplate, Parameter, Template, TemplateElement,
};
use serde_json::Value;

use crate::view::V;

/// Why a template is not compiled, or a page not rendered here (handlebars then renders it).
#[derive(Debug)]
pub(crate) struct Unsupported;

type Block = Vec<Node>;

/// One render step.
enum Node {
    Text(Box<str>),
    Value {
        path: Path,
        escape: bool,
    },
    /// `#if` (or `#unless` when `negate`).
    If {
        path: Path,
        negate: bool,
        then: Block,
        otherwise: Block,
    },
    Each {
        path: Path,
        body: Block,
        otherwise: Block,
    },
    With {
        path: Path,
        body: Block,
        otherwise: Block,
    },
    /// A partial: its body rendered with `context` (or the current context), and the block
    /// `{{> @partial-block}}` renders inside it.
    Partial {
        context: Option<Path>,
        body: Block,
        block: Option<Block>,
    },
    /// `{{> @partial-block}}`.
    PartialBlock,
}

/// A value's path.
enum Path {
    /// From the current context (`this` is the empty path).
    Here(Vec<Box<str>>),
    /// From the root context (`@root.a`).
    Root(Vec<Box<str>>),
    /// A local variable of `#each`.
    Local(Local),
}

#[derive(Clone, Copy)]
enum Local {
    Index,
    First,
    Last,
    Key,
}

/// The helpers handlebars knows besides the block helpers compiled here: a bare `{{name}}`
/// with one of these names calls the helper, not a value.
const HELPERS: [&str; 16] = [
    "lookup", "raw", "log", "eq", "ne", "gt", "gte", "lt", "lte", "and", "or", "not", "len", "if",
    "unless", "each",
];

/// Partials nested deeper than this are not compiled (handlebars refuses recursion itself).
const MAX_DEPTH: usize = 24;

/// The compiled main template.
pub(crate) struct Compiled {
    body: Block,
}

/// Inline partials visible where a template is compiled, innermost last.
type Inline<'t> = Vec<(&'t str, &'t Template)>;

struct Compiler<'r> {
    registry: &'r Handlebars<'static>,
    /// The blank form's full view model, for the static keys of field views.
    blank: &'r V<'static>,
}

/// Where a template is compiled: the path of its context from the root when it is known at
/// start-up (not inside `#each` or `#with`), else `None`.
type At<'a> = Option<&'a [Box<str>]>;

impl Compiled {
    /// Compiles template `name` of `registry` and every partial it reaches. The
    /// [`crate::html::STATIC_KEYS`] of field views outside group items are read once, from
    /// `blank` (the blank form's full view model), so pages render from the lean view model.
    pub(crate) fn new(
        registry: &Handlebars<'static>,
        name: &str,
        blank: &V<'static>,
    ) -> Result<Compiled, Unsupported> {
        let main = registry.get_template(name).ok_or(Unsupported)?;
        let body = Compiler { registry, blank }.template(main, &Vec::new(), Some(&[]), 0)?;
        Ok(Compiled { body })
    }

    /// Renders the page for `context` (the view model) into `out`; `Err` when a value the
    /// templates read is missing or of a kind rendered here differently (`out` then holds a
    /// partial page).
    pub(crate) fn render(&self, context: &V<'_>, out: &mut String) -> Result<(), Unsupported> {
        let scope = Scope {
            here: context,
            root: context,
            locals: None,
            block: None,
        };
        render(&self.body, &scope, out)
    }
}

impl<'r> Compiler<'r> {
    fn template<'t>(
        &self,
        t: &'t Template,
        inline: &Inline<'t>,
        at: At<'_>,
        depth: usize,
    ) -> Result<Block, Unsupported>
    where
        'r: 't,
    {
        if depth > MAX_DEPTH {
            return Err(Unsupported);
        }
        // Inline partials defined in a template are visible in all of it.
        let mut inline = inline.clone();
        inline_partials(t, &mut inline)?;
        let mut out = Vec::new();
        for e in &t.elements {
            match e {
                TemplateElement::RawString(s) => {
                    if !s.is_empty() {
                        out.push(Node::Text(s.as_str().into()));
                    }
                }
                TemplateElement::Comment(_) | TemplateElement::DecoratorBlock(_) => {}
                TemplateElement::Expression(h) => out.push(self.value(h, true, at)?),
                TemplateElement::HtmlExpression(h) => out.push(self.value(h, false, at)?),
                TemplateElement::HelperBlock(h) => {
                    self.helper_block(h, &inline, at, depth, &mut out)?
                }
                TemplateElement::PartialExpression(d) | TemplateElement::PartialBlock(d) => {
                    out.push(self.partial(d, &inline, at, depth)?)
                }
                _ => return Err(Unsupported),
            }
        }
        Ok(out)
    }

    fn optional<'t>(
        &self,
        t: &'t Option<Template>,
        inline: &Inline<'t>,
        at: At<'_>,
        depth: usize,
    ) -> Result<Block, Unsupported>
    where
        'r: 't,
    {
        match t {
            Some(t) => self.template(t, inline, at, depth),
            None => Ok(Vec::new()),
        }
    }

    /// Whether the value at `path` from context `at` is or holds a field view outside group
    /// items, as far as the blank form tells (contexts unknown at start-up are inside lists the
    /// lean view model keeps whole).
    fn sees_lean_views(&self, path: &Path, at: At<'_>) -> bool {
        let (start, segs): (&[Box<str>], &[Box<str>]) = match (path, at) {
            (Path::Here(segs), Some(at)) => (at, segs),
            (Path::Root(segs), _) => (&[], segs),
            _ => return false,
        };
        let mut v = self.blank;
        for seg in start.iter().chain(segs) {
            if &**seg == "items" {
                return false;
            }
            let next = match v {
                V::List(items) => seg.parse::<usize>().ok().and_then(|i| items.get(i)),
                other => other.get(seg),
            };
            match next {
                Some(next) => v = next,
                None => return false,
            }
        }
        holds_lean_views(v)
    }

    /// The blank form's value of static key `path` in context `at`, when `at` is a field view.
    fn fixed(&self, path: &Path, at: At<'_>) -> Option<&'r V<'static>> {
        let (Some(at), Path::Here(segs)) = (at, path) else {
            return None;
        };
        let [key] = &segs[..] else {
            return None;
        };
        if !crate::html::STATIC_KEYS.contains(&&**key) {
            return None;
        }
        let mut view = self.blank;
        for seg in at {
            view = view.get(seg)?;
        }
        view.get("kind")?;
        view.get(key)
    }

    /// `{{path}}` (escaped) or `{{{path}}}`; text when it is a static key of a field view.
    fn value(&self, h: &HelperTemplate, escape: bool, at: At<'_>) -> Result<Node, Unsupported> {
        let node = value(h, escape)?;
        if let Node::Value { path, escape } = &node
            && let Some(v) = self.fixed(path, at)
        {
            let Some(text) = text_of(v) else {
                return Ok(node);
            };
            let mut out = String::new();
            if *escape {
                escape_into(&text, &mut out);
            } else {
                out.push_str(&text);
            }
            return Ok(Node::Text(out.into()));
        }
        Ok(node)
    }

    fn helper_block<'t>(
        &self,
        h: &'t HelperTemplate,
        inline: &Inline<'t>,
        at: At<'_>,
        depth: usize,
        out: &mut Block,
    ) -> Result<(), Unsupported>
    where
        'r: 't,
    {
        let ([Parameter::Path(p)], true, None) = (&h.params[..], h.hash.is_empty(), &h.block_param)
        else {
            return Err(Unsupported);
        };
        let path = path(raw_path(p))?;
        let name = name_of(&h.name)?;
        if let ("if" | "unless", Some(v)) = (name, self.fixed(&path, at)) {
            // A static condition: only the branch taken is compiled.
            let branch = if v.is_truthy() == (name == "if") {
                &h.template
            } else {
                &h.inverse
            };
            out.extend(self.optional(branch, inline, at, depth)?);
            return Ok(());
        }
        // `#each` and `#with` change the context to one known only when rendering. Over a field
        // view outside group items they would see the lean view (without its static keys):
        // such templates are left to handlebars.
        let inner = if matches!(name, "each" | "with") {
            if self.sees_lean_views(&path, at) {
                return Err(Unsupported);
            }
            None
        } else {
            at
        };
        let body = self.optional(&h.template, inline, inner, depth)?;
        let otherwise = self.optional(&h.inverse, inline, at, depth)?;
        out.push(match name {
            "if" => Node::If {
                path,
                negate: false,
                then: body,
                otherwise,
            },
            "unless" => Node::If {
                path,
                negate: true,
                then: body,
                otherwise,
            },
            "each" => Node::Each {
                path,
                body,
                otherwise,
            },
            "with" => Node::With {
                path,
                body,
                otherwise,
            },
            _ => return Err(Unsupported),
        });
        Ok(())
    }

    fn partial<'t>(
        &self,
        d: &'t DecoratorTemplate,
        inline: &Inline<'t>,
        at: At<'_>,
        depth: usize,
    ) -> Result<Node, Unsupported>
    where
        'r: 't,
    {
        let name = name_of(&d.name)?;
        if !d.hash.is_empty() || d.params.len() > 1 {
            return Err(Unsupported);
        }
        if name == "@partial-block" {
            return if d.params.is_empty() && d.template.is_none() {
                Ok(Node::PartialBlock)
            } else {
                Err(Unsupported)
            };
        }
        let context = match d.params.first() {
            Some(Parameter::Path(p)) => Some(path(raw_path(p))?),
            Some(_) => return Err(Unsupported),
            None => None,
        };
        // The partial's context, when known at start-up.
        let inner_at: Option<Vec<Box<str>>> = match &context {
            None => at.map(<[Box<str>]>::to_vec),
            Some(Path::Here(segs)) => at.map(|at| [at, &segs[..]].concat()),
            Some(Path::Root(segs)) => Some(segs.clone()),
            Some(Path::Local(_)) => None,
        };
        // The block's inline partials are visible in the partial it is passed to.
        let mut inner = inline.clone();
        if let Some(block) = &d.template {
            inline_partials(block, &mut inner)?;
        }
        let template = match inner.iter().rev().find(|(n, _)| *n == name) {
            Some((_, t)) => *t,
            None => self.registry.get_template(name).ok_or(Unsupported)?,
        };
        // The block renders in the partial's context.
        let block = match &d.template {
            Some(t) => Some(self.template(t, inline, inner_at.as_deref(), depth + 1)?),
            None => None,
        };
        Ok(Node::Partial {
            context,
            body: self.template(template, &inner, inner_at.as_deref(), depth + 1)?,
            block,
        })
    }
}

/// Adds the `{{#*inline "name"}}` partials defined at the top of `t` to `inline`; other
/// decorators are not compiled.
fn inline_partials<'t>(t: &'t Template, inline: &mut Inline<'t>) -> Result<(), Unsupported> {
    for e in &t.elements {
        if let TemplateElement::DecoratorBlock(d) = e {
            let (Some(template), Some(Parameter::Literal(Value::String(name)))) =
                (&d.template, d.params.first())
            else {
                return Err(Unsupported);
            };
            if name_of(&d.name)? != "inline" || d.params.len() != 1 || !d.hash.is_empty() {
                return Err(Unsupported);
            }
            inline.push((name.as_str(), template));
        }
    }
    Ok(())
}

fn name_of(p: &Parameter) -> Result<&str, Unsupported> {
    match p {
        Parameter::Name(n) => Ok(n),
        Parameter::Path(p) => Ok(raw_path(p)),
        _ => Err(Unsupported),
    }
}

/// The path as written in the template.
fn raw_path(p: &handlebars::Path) -> &str {
    match p {
        handlebars::Path::Relative((_, raw)) | handlebars::Path::Local((_, _, raw)) => raw,
    }
}

/// `{{path}}` (escaped) or `{{{path}}}`.
fn value(h: &HelperTemplate, escape: bool) -> Result<Node, Unsupported> {
    if !h.params.is_empty() || !h.hash.is_empty() || h.block || h.template.is_some() {
        return Err(Unsupported);
    }
    let raw = name_of(&h.name)?;
    if HELPERS.contains(&raw) {
        return Err(Unsupported);
    }
    Ok(Node::Value {
        path: path(raw)?,
        escape,
    })
}

/// Parses the paths the compiled subset reads: `a.b`, `a/b`, `this`, `this.a`, `./a`,
/// `@root.a`, `@index`, `@first`, `@last`, `@key`.
fn path(raw: &str) -> Result<Path, Unsupported> {
    let local = match raw {
        "@index" => Some(Local::Index),
        "@first" => Some(Local::First),
        "@last" => Some(Local::Last),
        "@key" => Some(Local::Key),
        _ => None,
    };
    if let Some(l) = local {
        return Ok(Path::Local(l));
    }
    let (root, rest) = match raw.strip_prefix("@root") {
        Some(rest) => (true, rest.trim_start_matches(['.', '/'])),
        None => (false, raw),
    };
    let mut segs = Vec::new();
    for (i, seg) in rest.split(['.', '/']).enumerate() {
        match seg {
            "this" | "" if i == 0 => {}
            _ if seg.is_empty()
                || seg.starts_with('@')
                || seg.contains(['[', ']', '"', '\'', ' '])
                || seg == ".."
                || seg == "this" =>
            {
                return Err(Unsupported);
            }
            _ => segs.push(seg.into()),
        }
    }
    Ok(if root {
        Path::Root(segs)
    } else {
        Path::Here(segs)
    })
}

/// The local variables of the innermost `#each`.
#[derive(Clone, Copy)]
struct Locals<'v> {
    index: usize,
    last: bool,
    key: Option<&'v str>,
}

/// Where a step renders.
#[derive(Clone, Copy)]
struct Scope<'a, 'v> {
    here: &'v V<'v>,
    root: &'v V<'v>,
    locals: Option<Locals<'v>>,
    /// The block of the innermost partial, with the scope it renders in.
    block: Option<(&'a Block, &'a Scope<'a, 'v>)>,
}

fn lookup<'v>(scope: &Scope<'_, 'v>, path: &Path) -> Option<Found<'v>> {
    let (start, segs) = match path {
        Path::Here(segs) => (scope.here, segs),
        Path::Root(segs) => (scope.root, segs),
        Path::Local(l) => {
            let locals = scope.locals?;
            return Some(Found::Owned(match l {
                Local::Index => V::from(locals.index),
                Local::First => V::Bool(locals.index == 0),
                Local::Last => V::Bool(locals.last),
                Local::Key => V::from(locals.key?.to_string()),
            }));
        }
    };
    let mut v = start;
    for seg in segs {
        v = match v {
            V::Map(m) => m.get(seg)?,
            V::List(items) => items.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(Found::Borrowed(v))
}

/// A value found for a path: borrowed from the context, or made for a local variable.
enum Found<'v> {
    Borrowed(&'v V<'v>),
    Owned(V<'static>),
}

impl<'v> Found<'v> {
    fn get(&self) -> &V<'v> {
        match self {
            Found::Borrowed(v) => v,
            Found::Owned(v) => v,
        }
    }
}

fn render(block: &Block, scope: &Scope<'_, '_>, out: &mut String) -> Result<(), Unsupported> {
    for node in block {
        match node {
            Node::Text(t) => out.push_str(t),
            Node::Value { path, escape } => {
                let v = lookup(scope, path).ok_or(Unsupported)?;
                let text = text_of(v.get()).ok_or(Unsupported)?;
                if *escape {
                    escape_into(&text, out);
                } else {
                    out.push_str(&text);
                }
            }
            Node::If {
                path,
                negate,
                then,
                otherwise,
            } => {
                let v = lookup(scope, path).ok_or(Unsupported)?;
                let branch = if v.get().is_truthy() != *negate {
                    then
                } else {
                    otherwise
                };
                render(branch, scope, out)?;
            }
            Node::With {
                path,
                body,
                otherwise,
            } => {
                let v = lookup(scope, path).ok_or(Unsupported)?;
                match v {
                    Found::Borrowed(v) if v.is_truthy() => {
                        render(body, &Scope { here: v, ..*scope }, out)?
                    }
                    Found::Borrowed(_) => render(otherwise, scope, out)?,
                    Found::Owned(_) => return Err(Unsupported),
                }
            }
            Node::Each {
                path,
                body,
                otherwise,
            } => {
                let v = lookup(scope, path).ok_or(Unsupported)?;
                let Found::Borrowed(v) = v else {
                    return Err(Unsupported);
                };
                match v {
                    V::List(items) if !items.is_empty() => {
                        for (index, item) in items.iter().enumerate() {
                            let locals = Locals {
                                index,
                                last: index + 1 == items.len(),
                                key: None,
                            };
                            let inner = Scope {
                                here: item,
                                locals: Some(locals),
                                ..*scope
                            };
                            render(body, &inner, out)?;
                        }
                    }
                    V::Map(map) if !map.is_empty() => {
                        for (index, (key, item)) in map.iter().enumerate() {
                            let locals = Locals {
                                index,
                                last: index + 1 == map.len(),
                                key: Some(key),
                            };
                            let inner = Scope {
                                here: item,
                                locals: Some(locals),
                                ..*scope
                            };
                            render(body, &inner, out)?;
                        }
                    }
                    V::List(_) | V::Map(_) | V::Null | V::Bool(false) => {
                        render(otherwise, scope, out)?
                    }
                    _ => return Err(Unsupported),
                }
            }
            Node::Partial {
                context,
                body,
                block,
            } => {
                let here = match context {
                    Some(p) => match lookup(scope, p).ok_or(Unsupported)? {
                        Found::Borrowed(v) => v,
                        Found::Owned(_) => return Err(Unsupported),
                    },
                    None => scope.here,
                };
                // The block renders in the partial's context, with the blocks around the call.
                let outer = Scope { here, ..*scope };
                let inner = Scope {
                    here,
                    block: block.as_ref().map(|b| (b, &outer)),
                    ..*scope
                };
                render(body, &inner, out)?;
            }
            Node::PartialBlock => {
                let (block, at) = scope.block.ok_or(Unsupported)?;
                render(block, at, out)?;
            }
        }
    }
    Ok(())
}

/// Whether `v` is or holds a field view outside group items (views whose static keys the lean
/// view model leaves out); group items hold full views.
fn holds_lean_views(v: &V<'_>) -> bool {
    match v {
        V::Map(m) => {
            m.get("kind").is_some() || m.iter().any(|(k, v)| k != "items" && holds_lean_views(v))
        }
        V::List(items) => items.iter().any(holds_lean_views),
        _ => false,
    }
}

/// A scalar's text as handlebars renders it (`None` for lists and objects, rendered here not).
fn text_of<'x>(v: &'x V<'_>) -> Option<std::borrow::Cow<'x, str>> {
    Some(match v {
        V::Null => "".into(),
        V::Bool(b) => if *b { "true" } else { "false" }.into(),
        V::Int(i) => i.to_string().into(),
        V::Str(s) => (&**s).into(),
        V::List(_) | V::Map(_) => return None,
    })
}

/// HTML-escapes `s` as handlebars does, without the intermediate string.
fn escape_into(s: &str, out: &mut String) {
    let mut last = 0;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        if !SPECIAL[b as usize] {
            continue;
        }
        let rep = match b {
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'&' => "&amp;",
            b'\'' => "&#x27;",
            b'`' => "&#x60;",
            _ => "&#x3D;",
        };
        out.push_str(&s[last..i]);
        out.push_str(rep);
        last = i + 1;
    }
    out.push_str(&s[last..]);
}

/// The bytes [`escape_into`] replaces.
static SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    t[b'<' as usize] = true;
    t[b'>' as usize] = true;
    t[b'"' as usize] = true;
    t[b'&' as usize] = true;
    t[b'\'' as usize] = true;
    t[b'`' as usize] = true;
    t[b'=' as usize] = true;
    t
};

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_as_handlebars_does() {
        for s in ["plain", "<a href=\"x\">'&`=</a>", "é ü ∑", ""] {
            let mut out = String::new();
            super::escape_into(s, &mut out);
            assert_eq!(out, handlebars::html_escape(s), "{s}");
        }
    }
}
