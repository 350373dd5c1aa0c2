//! The other side of the workflow: people with a role (e.g. `reviewer`) see a queue of the records
//! their transitions apply to, a read-only view of each record (every value and file, secrets
//! masked) and a button per transition (with a comment, optionally pinned to a field).
//!
//! Only declared transitions happen, only by their role, only from their statuses, never by the
//! record's owner: anything else is a 403 or 409 page that changes nothing.

use std::fmt::Write as _;

use axum::extract::{Extension, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use formwork_schema::model::{Comment, Field, Kind, Transition};
use formwork_schema::pointer;
use serde_json::Value;

use super::auth::Identity;
use super::handlers::{Result, csrf_for, db, record_not_found, signed_in, small_form, with_cookie};
use super::pages::{self, escape};
use super::store::{Account, Record, Update};
use super::{App, is_hex};

/// Records per page of the queue.
const QUEUE_PAGE: u32 = 50;

/// The transitions `account` may make, and the statuses they apply to.
fn transitions_of<'a>(app: &'a App, account: &Account) -> (Vec<&'a Transition>, Vec<String>) {
    let role = account.role.as_deref();
    let mine: Vec<&Transition> = app
        .inner
        .form
        .transitions
        .iter()
        .filter(|t| Some(t.role.as_str()) == role)
        .collect();
    let mut statuses: Vec<String> = Vec::new();
    for t in &mine {
        for s in &t.from {
            if !statuses.contains(s) {
                statuses.push(s.clone());
            }
        }
    }
    (mine, statuses)
}

/// A page for people without the role.
fn no_role() -> Response {
    pages::message(
        StatusCode::FORBIDDEN,
        "You cannot review records",
        "Your account has no role that reviews records. Ask an administrator if you should.",
    )
}

/// `GET /review`: the records waiting for the signed-in account's role, oldest first.
pub(crate) async fn queue(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response> {
    let account = signed_in(&identity, "/review")?;
    let (mine, statuses) = transitions_of(&app, &account);
    if mine.is_empty() {
        return Err(no_role());
    }
    let page = super::handlers::page_param(query.as_deref());
    let wanted = statuses.clone();
    let records = db(&app, move |s| {
        s.list_in_statuses(&wanted, QUEUE_PAGE + 1, (page - 1) * QUEUE_PAGE)
    })
    .await?;
    let csrf = csrf_for(&headers);
    let mut b = pages::account_bar(&account.email, &csrf.token);
    b.push_str("<h1 class=\"fw-heading\">Waiting for review</h1>\n");
    let _ = writeln!(
        b,
        "<p class=\"fw-lead\">Records in {}, the longest waiting first.</p>",
        escape(&statuses.join(", "))
    );
    let shown = &records[..records.len().min(QUEUE_PAGE as usize)];
    if shown.is_empty() {
        b.push_str("<p>Nothing is waiting.</p>\n");
    } else {
        b.push_str("<table class=\"fw-table\">\n<thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Status</th><th scope=\"col\">Waiting since</th></tr></thead>\n<tbody>\n");
        for r in shown {
            let _ = writeln!(
                b,
                "<tr><td><a href=\"/review/{}\">{}</a></td><td><strong class=\"fw-tag\">{}</strong></td><td><time datetime=\"{}\">{}</time></td></tr>",
                escape(&r.id),
                escape(name(&app, r)),
                escape(&r.status),
                escape(&r.updated),
                escape(&r.updated.replace('T', " ").replace('Z', " UTC")),
            );
        }
        b.push_str("</tbody>\n</table>\n");
    }
    b.push_str(&pages::pagination(
        "/review",
        page,
        records.len() > shown.len(),
        "",
    ));
    Ok(with_cookie(
        pages::html(StatusCode::OK, pages::layout("Waiting for review", &b)),
        &csrf,
    ))
}

/// The record's name (its first text field), for lists.
fn name<'a>(app: &App, r: &'a Record) -> &'a str {
    app.inner
        .name_field
        .as_deref()
        .and_then(|f| r.data.get(f))
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .unwrap_or("(no name)")
}

/// A record the account's role may act on (in one of its statuses, not its own), or 404/403.
async fn reviewable(app: &App, account: &Account, id: &str) -> Result<Record> {
    let (mine, statuses) = transitions_of(app, account);
    if mine.is_empty() {
        return Err(no_role());
    }
    if !is_hex(id, 32) {
        return Err(record_not_found());
    }
    let id = id.to_string();
    let record = db(app, move |s| s.get(&id))
        .await?
        .filter(|r| statuses.contains(&r.status))
        .ok_or_else(record_not_found)?;
    Ok(record)
}

/// `GET /review/{id}`: the record read-only, with a form per transition.
pub(crate) async fn view(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    let account = signed_in(&identity, &format!("/review/{id}"))?;
    let record = reviewable(&app, &account, &id).await?;
    let csrf = csrf_for(&headers);
    Ok(with_cookie(
        review_page(&app, &account, &record, &csrf.token, None, StatusCode::OK),
        &csrf,
    ))
}

/// The review page of a record; `error` is shown in an error summary (e.g. a missing comment).
fn review_page(
    app: &App,
    account: &Account,
    record: &Record,
    csrf: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let mut b = pages::account_bar(&account.email, csrf);
    b.push_str("<p><a href=\"/review\">Back to the queue</a></p>\n");
    if let Some(e) = error {
        let _ = write!(
            b,
            "<div class=\"fw-error-summary\" role=\"alert\" tabindex=\"-1\" aria-labelledby=\"fw-error-summary-title\">\n\
             <h2 class=\"fw-error-summary__title\" id=\"fw-error-summary-title\">There is a problem</h2>\n\
             <ul class=\"fw-error-summary__list\"><li><a href=\"#comment\">{}</a></li></ul>\n</div>\n",
            escape(e)
        );
    }
    let _ = writeln!(
        b,
        "<h1 class=\"fw-heading\">{}</h1>",
        escape(name(app, record))
    );
    let _ = writeln!(
        b,
        "<p class=\"fw-status\">Status: <strong class=\"fw-tag\">{}</strong> · version {} · updated <time datetime=\"{2}\">{2}</time></p>",
        escape(&record.status),
        record.version,
        escape(&record.updated)
    );
    for section in &app.inner.form.sections {
        let _ = writeln!(
            b,
            "<h2 class=\"fw-section__legend\">{}</h2>\n<dl class=\"fw-summary\">",
            escape(&section.title)
        );
        for f in &section.fields {
            value_rows(&mut b, f, record.data.get(&f.id), &f.label);
        }
        b.push_str("</dl>\n");
    }
    let (mine, _) = transitions_of(app, account);
    let fields: Vec<&Field> = app.inner.form.fields().collect();
    for t in mine.iter().filter(|t| t.from.contains(&record.status)) {
        let _ = write!(
            b,
            "<form class=\"fw-form fw-transition\" action=\"/records/{}/transitions/{}\" method=\"post\" novalidate>\n\
             <input type=\"hidden\" name=\"_csrf\" value=\"{}\">\n<input type=\"hidden\" name=\"_version\" value=\"{}\">\n",
            escape(&record.id),
            escape(&t.id),
            escape(csrf),
            record.version
        );
        if t.comment != Comment::None {
            let required = if t.comment == Comment::Required {
                ""
            } else {
                " (optional)"
            };
            let _ = write!(
                b,
                "<div class=\"fw-field\"><label class=\"fw-label\" for=\"comment-{0}\">Comment for the owner{1}</label>\n\
                 <textarea class=\"fw-textarea\" id=\"comment-{0}\" name=\"comment\" rows=\"4\"></textarea></div>\n\
                 <div class=\"fw-field\"><label class=\"fw-label\" for=\"field-{0}\">About the field (optional)</label>\n\
                 <select class=\"fw-select\" id=\"field-{0}\" name=\"field\"><option value=\"\">The whole record</option>",
                escape(&t.id),
                required
            );
            for f in &fields {
                let mut p = String::new();
                pointer::push_segment(&mut p, &f.id);
                let _ = write!(
                    b,
                    "<option value=\"{}\">{}</option>",
                    escape(&p),
                    escape(&f.label)
                );
            }
            b.push_str("</select></div>\n");
        }
        let _ = writeln!(
            b,
            "<div class=\"fw-buttons\"><button class=\"fw-button\" type=\"submit\">{}</button></div>\n</form>",
            escape(&t.label)
        );
    }
    if error.is_some() {
        // The comment textarea of the first transition with one is what the summary links to.
        b = b.replacen("id=\"comment-", "id=\"comment\" data-for=\"", 1);
    }
    pages::html(status, pages::layout(name(app, record), &b))
}

/// One field's value(s) as `<dt>`/`<dd>` rows; groups and objects list their sub-fields.
fn value_rows(b: &mut String, f: &Field, v: Option<&Value>, label: &str) {
    let text = match (&f.kind, v) {
        (_, None | Some(Value::Null)) => "—".to_string(),
        (Kind::Text(t), Some(_)) if t.format == formwork_schema::model::TextFormat::Secret => {
            "•••••• (only its owner sees it)".to_string()
        }
        (Kind::Choice(c), Some(v)) => super::history::choice_text(c, v),
        (Kind::Object(o), Some(v)) => {
            for sub in &o.fields {
                value_rows(b, sub, v.get(&sub.id), &format!("{label} › {}", sub.label));
            }
            return;
        }
        (Kind::Group(g), Some(Value::Array(items))) => {
            if items.is_empty() {
                "—".to_string()
            } else {
                for (i, item) in items.iter().enumerate() {
                    for sub in &g.fields {
                        value_rows(
                            b,
                            sub,
                            item.get(&sub.id),
                            &format!("{label} › {} {} › {}", g.item_label, i + 1, sub.label),
                        );
                    }
                }
                return;
            }
        }
        (Kind::File(_), Some(v)) => {
            let files: Vec<&Value> = match v {
                Value::Array(a) => a.iter().collect(),
                one => vec![one],
            };
            let mut links = Vec::new();
            for file in files {
                let file_name = file.get("name").and_then(Value::as_str).unwrap_or("file");
                let size = match (file.get("width"), file.get("height")) {
                    (Some(w), Some(h)) => format!(" ({w}×{h})"),
                    _ => String::new(),
                };
                match file.get("token").and_then(Value::as_str) {
                    Some(t) => links.push(format!(
                        "<a href=\"/files/{}\">{}</a>{}",
                        escape(t),
                        escape(file_name),
                        escape(&size)
                    )),
                    None => links.push(escape(file_name)),
                }
            }
            let _ = writeln!(
                b,
                "<div class=\"fw-summary__row\"><dt>{}</dt><dd>{}</dd></div>",
                escape(label),
                links.join(", ")
            );
            return;
        }
        (_, Some(Value::String(s))) => s.clone(),
        (_, Some(Value::Array(a))) => a
            .iter()
            .map(|x| x.as_str().map_or_else(|| x.to_string(), String::from))
            .collect::<Vec<_>>()
            .join(", "),
        (_, Some(Value::Bool(true))) => "Yes".to_string(),
        (_, Some(Value::Bool(false))) => "No".to_string(),
        (_, Some(other)) => other.to_string(),
    };
    let _ = writeln!(
        b,
        "<div class=\"fw-summary__row\"><dt>{}</dt><dd>{}</dd></div>",
        escape(label),
        escape(&text)
    );
}

/// Whether `account` may make transition `name` on `record`: the transition, or the status, title
/// and explanation of the refusal (404 unknown, 403 wrong role or own record, 409 wrong status).
/// The most characters a transition's comment may have.
pub(crate) const MAX_COMMENT_CHARS: usize = 4000;

/// Why a transition's comment is refused.
pub(crate) enum CommentError {
    /// Longer than [`MAX_COMMENT_CHARS`].
    TooLong,
    /// The transition needs one and none was given.
    Missing,
}

/// The comment of transition `t` (trimmed; none when blank) and the field it is pinned to (a
/// top-level field's pointer such as `/app_name`; none otherwise), or why the comment is refused.
pub(crate) fn comment_and_field(
    app: &App,
    t: &Transition,
    comment: Option<&str>,
    field: Option<&str>,
) -> std::result::Result<(Option<String>, Option<String>), CommentError> {
    let comment = comment.map(str::trim).filter(|c| !c.is_empty());
    if comment.is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS) {
        return Err(CommentError::TooLong);
    }
    if t.comment == Comment::Required && comment.is_none() {
        return Err(CommentError::Missing);
    }
    let field = field.filter(|p| {
        app.inner
            .form
            .fields()
            .any(|f| p.strip_prefix('/') == Some(f.id.as_str()))
    });
    Ok((comment.map(String::from), field.map(String::from)))
}

pub(crate) fn allowed<'a>(
    app: &'a App,
    account: &Account,
    name: &str,
    record: &Record,
) -> std::result::Result<&'a Transition, (StatusCode, String, String)> {
    let Some(t) = app.inner.form.transitions.iter().find(|t| t.id == name) else {
        return Err((
            StatusCode::NOT_FOUND,
            "No such action".into(),
            "This form has no such action.".into(),
        ));
    };
    if account.role.as_deref() != Some(t.role.as_str()) {
        let role = app
            .inner
            .form
            .roles
            .iter()
            .find(|r| r.id == t.role)
            .map_or(t.role.as_str(), |r| r.label.as_str());
        return Err((
            StatusCode::FORBIDDEN,
            format!("You cannot {}", t.label.to_lowercase()),
            format!("Only a {role} can do this. Nothing was changed."),
        ));
    }
    if record.owner.as_deref() == Some(account.id.as_str()) {
        return Err((
            StatusCode::FORBIDDEN,
            "You cannot review your own record".into(),
            "Someone else with the same role has to do it. Nothing was changed.".into(),
        ));
    }
    if !t.from.contains(&record.status) {
        return Err((
            StatusCode::CONFLICT,
            format!("“{}” does not apply to this record now", t.label),
            format!(
                "The record is {}; “{}” applies to records in {}. Nothing was changed.",
                record.status,
                t.label,
                t.from.join(", ")
            ),
        ));
    }
    if let Some(i) = t.stage {
        let fields = &app.inner.fields;
        let data = super::form::without_tokens(fields, &record.data);
        let stage = &app.inner.form.stages[i];
        let report = app
            .inner
            .validator
            .stage(&stage.id)
            .map(|s| app.inner.validator.validate(&data, s));
        if let Ok(r) = report
            && !r.valid
        {
            return Err((
                StatusCode::CONFLICT,
                format!("“{}” needs a record valid at “{}”", t.label, stage.label),
                format!(
                    "The record has {} problem(s) at “{}” under the current form (first: {}). Ask the owner for changes instead. Nothing was changed.",
                    r.errors.len(),
                    stage.label,
                    r.errors.first().map_or("", |e| e.message.as_str())
                ),
            ));
        }
    }
    Ok(t)
}

/// `POST /records/{id}/transitions/{name}`: a declared transition by its role, from its statuses,
/// never by the record's owner; a required comment must be given.
pub(crate) async fn transition(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    Path((id, name)): Path<(String, String)>,
    request: Request,
) -> Result<Response> {
    let account = signed_in(&identity, &format!("/review/{id}"))?;
    let (fields, csrf) = small_form(request).await?;
    let csrf = csrf.token;
    if !is_hex(&id, 32) {
        return Err(record_not_found());
    }
    let lookup = id.clone();
    let record = db(&app, move |s| s.get(&lookup))
        .await?
        .ok_or_else(record_not_found)?;
    let t = match allowed(&app, &account, &name, &record) {
        Ok(t) => t,
        Err((status, title, text)) => return Err(pages::message(status, &title, &text)),
    };
    let checked = comment_and_field(
        &app,
        t,
        fields.get("comment").map(String::as_str),
        fields.get("field").map(String::as_str),
    );
    let (comment, pinned) = match checked {
        Ok(c) => c,
        Err(why) => {
            let message = match why {
                CommentError::TooLong => {
                    "Keep the comment to 4,000 characters or fewer".to_string()
                }
                CommentError::Missing => format!(
                    "Enter a comment for the owner to {}",
                    t.label.to_lowercase()
                ),
            };
            return Ok(review_page(
                &app,
                &account,
                &record,
                &csrf,
                Some(&message),
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    let version: i64 = fields
        .get("_version")
        .and_then(|v| v.parse().ok())
        .unwrap_or(record.version);
    let (to, event, actor) = (t.to.clone(), t.id.clone(), account.id.clone());
    let outcome = db(&app, move |s| {
        s.transition(
            &id,
            version,
            &to,
            &actor,
            &event,
            comment.as_deref(),
            pinned.as_deref(),
        )
    })
    .await?;
    match outcome {
        Update::Saved(_) => Ok(Redirect::to("/review").into_response()),
        Update::Conflict(current) => Err(pages::message(
            StatusCode::CONFLICT,
            "The record changed",
            &format!(
                "Someone changed this record (it is now {} at version {}) after you opened it. Nothing was changed: open it again.",
                current.status, current.version
            ),
        )),
        Update::NotFound => Err(record_not_found()),
    }
}
