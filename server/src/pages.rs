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

/// What the record list shows.
pub(crate) struct Listing<'a> {
    pub form_title: &'a str,
    pub name_field: Option<&'a str>,
    /// The records of this page.
    pub records: &'a [Record],
    /// Whether a record no longer conforms to the form.
    pub attention: &'a dyn Fn(&Record) -> bool,
    /// The signed-in account's email.
    pub account: &'a str,
    /// CSRF token (for the sign-out button).
    pub csrf: &'a str,
    /// 1-based page number.
    pub page: u32,
    /// Whether there is a next page.
    pub more: bool,
    /// The status filter, if any.
    pub status: Option<&'a str>,
    /// The statuses records can have (for the filter).
    pub statuses: &'a [&'a str],
}

/// Previous and next links of page `page` of the list at `path` (`more`: there is a next page);
/// `extra` is appended to each link's query (already escaped). Empty for a single page.
pub(crate) fn pagination(path: &str, page: u32, more: bool, extra: &str) -> String {
    if page <= 1 && !more {
        return String::new();
    }
    let mut b = String::from("<nav class=\"fw-pagination\" aria-label=\"Pages\">");
    if page > 1 {
        let _ = write!(
            b,
            "<a href=\"{path}?page={}{extra}\" rel=\"prev\">Previous page</a>",
            page - 1
        );
    }
    let _ = write!(b, "<span>Page {page}</span>");
    if more {
        let _ = write!(
            b,
            "<a href=\"{path}?page={}{extra}\" rel=\"next\">Next page</a>",
            page + 1
        );
    }
    b.push_str("</nav>\n");
    b
}

/// The account bar: who is signed in, and a sign-out button.
pub(crate) fn account_bar(account: &str, csrf: &str) -> String {
    format!(
        "<div class=\"fw-account\"><a href=\"/\">Your records</a> · Signed in as <strong>{}</strong> \
         <form class=\"fw-account__sign-out\" action=\"/sign-out\" method=\"post\">\
         <input type=\"hidden\" name=\"_csrf\" value=\"{}\">\
         <button class=\"fw-link-button\" type=\"submit\">Sign out</button></form></div>\n",
        escape(account),
        escape(csrf)
    )
}

/// The signed-in account's records, newest first, a page at a time, with a status filter.
pub(crate) fn list(l: &Listing<'_>) -> String {
    let mut b = account_bar(l.account, l.csrf);
    let _ = writeln!(b, "<h1 class=\"fw-heading\">{}</h1>", escape(l.form_title));
    b.push_str("<p><a class=\"fw-button\" href=\"/new\">Start a new form</a></p>\n");
    b.push_str("<form class=\"fw-filter\" action=\"/\" method=\"get\"><label class=\"fw-label\" for=\"status\">Status</label> <select class=\"fw-select\" id=\"status\" name=\"status\"><option value=\"\">Any</option>");
    for s in l.statuses {
        let selected = if l.status == Some(*s) {
            " selected"
        } else {
            ""
        };
        let _ = write!(b, "<option value=\"{0}\"{selected}>{0}</option>", escape(s));
    }
    b.push_str("</select> <button class=\"fw-button fw-button--secondary\" type=\"submit\">Show</button></form>\n");
    if l.records.is_empty() {
        b.push_str("<p class=\"fw-lead\">No records here yet.</p>\n");
    } else {
        b.push_str("<table class=\"fw-table\">\n<thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Status</th><th scope=\"col\">Updated</th></tr></thead>\n<tbody>\n");
        for r in l.records {
            let name = l
                .name_field
                .and_then(|f| r.data.get(f))
                .and_then(|v| v.as_str())
                .filter(|s| !s.trim().is_empty())
                .unwrap_or("(no name)");
            let mark = if (l.attention)(r) {
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
    let filter: String = l
        .status
        .map(|s| {
            let v: String = form_urlencoded::byte_serialize(s.as_bytes()).collect();
            format!("&amp;status={v}")
        })
        .unwrap_or_default();
    b.push_str(&pagination("/", l.page, l.more, &filter));
    layout(l.form_title, &b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagination_links_the_neighbour_pages() {
        assert_eq!(pagination("/", 1, false, ""), "");
        let first = pagination("/", 1, true, "&amp;status=hidden");
        assert!(first.contains("href=\"/?page=2&amp;status=hidden\" rel=\"next\""));
        assert!(!first.contains("rel=\"prev\""));
        let last = pagination("/review", 3, false, "");
        assert!(last.contains("href=\"/review?page=2\" rel=\"prev\""));
        assert!(last.contains("<span>Page 3</span>") && !last.contains("rel=\"next\""));
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
        );
    }
}
