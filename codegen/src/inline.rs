//! Inlining handlebars partials into the generated form template, once, before rendering.
//!
//! handlebars-rust clones the current context every time a partial is entered, so a page of
//! ~80 partial calls (each widget, its messages, the layout around the whole page) copies the
//! view model many times per render. The renderer therefore registers an *expanded* copy of the
//! generated template: partial calls without hash arguments are replaced by the partial's source
//! (`{{#> p path}}…{{/p}}` becomes `{{#with path}}…{{/with}}` around it, with `@partial-block`
//! and inline partials substituted). What cannot be expanded safely is left as a call, so
//! handlebars still resolves it. The emitted `FORM.hbs` keeps its partial calls for people and
//! other tools; `tests/html.rs` checks that both render the same page.

use std::collections::BTreeMap;

/// Deepest partial nesting expanded; deeper (or recursive) partials stay calls.
const MAX_DEPTH: usize = 16;

/// `template` with every expandable partial call replaced by the partial's source.
pub(crate) fn expand(template: &str, partials: &BTreeMap<String, String>) -> String {
    expand_with(template, partials, &BTreeMap::new(), 0)
}

/// One `{{> name arg}}` or `{{#> name arg}}` tag found in a template.
struct Tag<'t> {
    start: usize,
    end: usize,
    block: bool,
    name: &'t str,
    arg: Option<&'t str>,
}

fn find_tag(t: &str, from: usize) -> Option<Tag<'_>> {
    let mut at = from;
    while let Some(rel) = t[at..].find("{{") {
        let start = at + rel;
        let rest = &t[start + 2..];
        let (block, body_at) = if rest.starts_with("#>") {
            (true, start + 4)
        } else if rest.starts_with('>') {
            (false, start + 3)
        } else {
            at = start + 2;
            continue;
        };
        let close = t[body_at..].find("}}")? + body_at;
        let inner = t[body_at..close].trim();
        let mut words = inner.split_whitespace();
        let name = words.next().unwrap_or("");
        let arg = words.next();
        if words.next().is_some() || arg.is_some_and(|a| a.contains('=')) {
            // Hash arguments or several parameters: leave for handlebars.
            at = close + 2;
            continue;
        }
        return Some(Tag {
            start,
            end: close + 2,
            block,
            name,
            arg,
        });
    }
    None
}

/// The end of the block opened at `open_end` for `{{#> name ...}}`: (start of `{{/name}}`, its end).
fn block_end(t: &str, name: &str, open_end: usize) -> Option<(usize, usize)> {
    let open = format!("{{{{#> {name}");
    let close = format!("{{{{/{name}}}}}");
    let mut depth = 1usize;
    let mut at = open_end;
    loop {
        let next_close = t[at..].find(&close)? + at;
        let next_open = t[at..].find(&open).map(|i| i + at);
        match next_open {
            Some(o) if o < next_close => {
                depth += 1;
                at = o + open.len();
            }
            _ => {
                depth -= 1;
                if depth == 0 {
                    return Some((next_close, next_close + close.len()));
                }
                at = next_close + close.len();
            }
        }
    }
}

/// Splits the `{{#*inline "name"}}body{{/inline}}` definitions that open a block's content off
/// it. Only leading definitions belong to this block: later ones sit in nested blocks.
fn inline_defs(content: &str) -> (BTreeMap<String, String>, String) {
    let mut defs = BTreeMap::new();
    let mut rest = String::new();
    let mut at = 0;
    loop {
        let start = at + (content[at..].len() - content[at..].trim_start().len());
        if !content[start..].starts_with("{{#*inline \"") {
            break;
        }
        let name_at = start + "{{#*inline \"".len();
        let Some(name_len) = content[name_at..].find('"') else {
            break;
        };
        let name = &content[name_at..name_at + name_len];
        let Some(open_end) = content[name_at..].find("}}").map(|i| i + name_at + 2) else {
            break;
        };
        // Matching {{/inline}}, counting nested inline definitions.
        let mut depth = 1usize;
        let mut scan = open_end;
        let body_end;
        loop {
            let Some(c) = content[scan..].find("{{/inline}}").map(|i| i + scan) else {
                return (BTreeMap::new(), content.to_string());
            };
            match content[scan..].find("{{#*inline").map(|i| i + scan) {
                Some(o) if o < c => {
                    depth += 1;
                    scan = o + 10;
                }
                _ => {
                    depth -= 1;
                    scan = c + "{{/inline}}".len();
                    if depth == 0 {
                        body_end = c;
                        break;
                    }
                }
            }
        }
        rest.push_str(&content[at..start]);
        defs.insert(
            name.to_string(),
            content[skip_newline(content, open_end)..body_end].to_string(),
        );
        at = skip_newline(content, scan);
    }
    rest.push_str(&content[at..]);
    (defs, rest)
}

/// `at`, moved past one newline if there is one there.
fn skip_newline(t: &str, at: usize) -> usize {
    if t[at..].starts_with('\n') {
        at + 1
    } else {
        at
    }
}

fn expand_with(
    t: &str,
    partials: &BTreeMap<String, String>,
    locals: &BTreeMap<String, String>,
    depth: usize,
) -> String {
    let mut out = String::with_capacity(t.len() * 2);
    let mut at = 0;
    while let Some(tag) = find_tag(t, at) {
        out.push_str(&t[at..tag.start]);
        let source = locals.get(tag.name).or_else(|| partials.get(tag.name));
        let expandable = depth < MAX_DEPTH && source.is_some() && !tag.name.starts_with('@');
        if !tag.block {
            match (expandable, source) {
                (true, Some(src)) => {
                    wrap(
                        &mut out,
                        tag.arg,
                        &expand_with(src, partials, locals, depth + 1),
                    );
                    at = skip_newline(t, tag.end);
                }
                _ => {
                    out.push_str(&t[tag.start..tag.end]);
                    at = tag.end;
                }
            }
            continue;
        }
        let Some((close_start, close_end)) = block_end(t, tag.name, tag.end) else {
            out.push_str(&t[tag.start..]);
            return out;
        };
        match (expandable, source) {
            (true, Some(src)) => {
                let content = &t[skip_newline(t, tag.end)..close_start];
                let (defs, block) = inline_defs(content);
                let mut inner_locals = locals.clone();
                for (name, body) in defs {
                    inner_locals.insert(name, body);
                }
                let block = expand_with(&block, partials, &inner_locals, depth + 1);
                inner_locals.insert("@partial-block".to_string(), block);
                let body = expand_partial_block(src, partials, &inner_locals, depth + 1);
                wrap(&mut out, tag.arg, &body);
            }
            _ => out.push_str(&t[tag.start..close_end]),
        }
        at = skip_newline(t, close_end);
    }
    out.push_str(&t[at..]);
    out
}

/// Expands a block partial's source, with `{{> @partial-block}}` replaced by the block.
fn expand_partial_block(
    src: &str,
    partials: &BTreeMap<String, String>,
    locals: &BTreeMap<String, String>,
    depth: usize,
) -> String {
    let block = locals.get("@partial-block").cloned().unwrap_or_default();
    let marker = "{{> @partial-block}}";
    let mut out = String::new();
    let mut at = 0;
    while let Some(rel) = src[at..].find(marker) {
        let start = at + rel;
        out.push_str(&expand_with(&src[at..start], partials, locals, depth));
        out.push_str(&block);
        at = skip_newline(src, start + marker.len());
    }
    out.push_str(&expand_with(&src[at..], partials, locals, depth));
    out
}

/// Appends `body`, inside `{{#with arg}}` when the call moved the context.
fn wrap(out: &mut String, arg: Option<&str>, body: &str) {
    match arg {
        Some(path) => {
            out.push_str("{{#with ");
            out.push_str(path);
            out.push_str("}}");
            out.push_str(body);
            out.push_str("{{/with}}");
        }
        None => out.push_str(body),
    }
}

#[cfg(test)]
mod tests {
    use super::expand;
    use std::collections::BTreeMap;

    fn partials(list: &[(&str, &str)]) -> BTreeMap<String, String> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn expands_calls_blocks_and_inline_partials() {
        let p = partials(&[
            ("layout", "<main>\n{{> @partial-block}}\n</main>\n"),
            ("msg", "<p>{{m}}</p>\n"),
            ("text", "<input>\n{{> msg}}\n"),
            (
                "group",
                "<div>{{#each items}}{{> item_fields}}{{/each}}</div>\n",
            ),
        ]);
        let t = "{{#> layout}}\n{{#with f.a}}{{> text}}{{/with}}\n{{#> group f.g}}\n{{#*inline \"item_fields\"}}\n{{> text f.x}}\n{{/inline}}\n{{/group}}\n{{/layout}}\n";
        assert_eq!(
            expand(t, &p),
            "<main>\n{{#with f.a}}<input>\n<p>{{m}}</p>\n{{/with}}\n{{#with f.g}}<div>{{#each items}}{{#with f.x}}<input>\n<p>{{m}}</p>\n{{/with}}{{/each}}</div>\n{{/with}}</main>\n"
        );
    }

    #[test]
    fn inline_partials_belong_to_their_own_block() {
        let p = partials(&[
            ("layout", "{{> @partial-block}}"),
            ("group", "[{{> item_fields}}]"),
        ]);
        let t = "{{#> layout}}{{#> group a}}{{#*inline \"item_fields\"}}A{{/inline}}{{/group}}{{#> group b}}{{#*inline \"item_fields\"}}B{{/inline}}{{/group}}{{/layout}}";
        assert_eq!(
            expand(t, &p),
            "{{#with a}}[A]{{/with}}{{#with b}}[B]{{/with}}"
        );
    }

    #[test]
    fn leaves_unknown_hashed_and_recursive_partials_as_calls() {
        let p = partials(&[("loop", "x{{> loop}}")]);
        assert_eq!(
            expand("{{> missing}}{{> x a=1}}", &p),
            "{{> missing}}{{> x a=1}}"
        );
        let out = expand("{{> loop}}", &p);
        assert!(
            out.starts_with("xxxx") && out.ends_with("{{> loop}}"),
            "{out}"
        );
    }
}
