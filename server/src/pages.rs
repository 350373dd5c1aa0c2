//! The pages that are not the form: the record list and messages (errors, limits), HTML-escaped.

use std::fmt::Write as _;

use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};

use super::store::Record;

pub(crate) use formwork_codegen::html::escape_html as escape;

/// A whole page around `body` (already HTML), with the form stylesheet.
pub(crate) fn layout(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<link rel=\"stylesheet\" href=\"/assets/form.css\">\n</head>\n\
         <body class=\"fw-body\">\n<main class=\"fw-main\" id=\"main\">\n{body}</main>\n</body>\n</html>\n",
        escape(title)
    )
}

/// An HTML response.
pub(crate) fn html(status: StatusCode, page: String) -> Response {
    (status, [(CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response()
}

/// A page saying what went wrong, with a way back.
pub(crate) fn message(status: StatusCode, title: &str, text: &str) -> Response {
    let body = format!(
        "<h1 class=\"fw-heading\">{}</h1>\n<p class=\"fw-lead\">{}</p>\n<p><a href=\"/\">Back to the list</a></p>\n",
        escape(title),
        escape(text)
    );
    html(status, layout(title, &body))
}

/// The list of records: name, status, last update.
/// The record list; `attention(record)` marks records that no longer conform to the form.
pub(crate) fn list(
    form_title: &str,
    name_field: Option<&str>,
    records: &[Record],
    attention: &dyn Fn(&Record) -> bool,
) -> String {
    let mut b = String::new();
    let _ = writeln!(b, "<h1 class=\"fw-heading\">{}</h1>", escape(form_title));
    b.push_str("<p><a class=\"fw-button\" href=\"/new\">Start a new form</a></p>\n");
    if records.is_empty() {
        b.push_str("<p class=\"fw-lead\">Nothing has been saved yet.</p>\n");
    } else {
        b.push_str("<table class=\"fw-table\">\n<thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Status</th><th scope=\"col\">Updated</th></tr></thead>\n<tbody>\n");
        for r in records {
            let name = name_field
                .and_then(|f| r.data.get(f))
                .and_then(|v| v.as_str())
                .filter(|s| !s.trim().is_empty())
                .unwrap_or("(no name)");
            let mark = if attention(r) {
                " <strong class=\"fw-tag fw-tag--attention\">Needs attention</strong>"
            } else {
                ""
            };
            let _ = writeln!(
                b,
                "<tr><td><a href=\"/records/{}\">{}</a></td><td><strong class=\"fw-tag\">{}</strong>{mark}</td><td><time datetime=\"{}\">{}</time></td></tr>",
                escape(&r.id),
                escape(name),
                escape(&r.status),
                escape(&r.updated),
                escape(&r.updated.replace('T', " ").replace('Z', " UTC")),
            );
        }
        b.push_str("</tbody>\n</table>\n");
    }
    layout(form_title, &b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
        );
    }
}
