//! Request handlers: pages, form submissions, files and the JSON API.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Extension, FromRequest, Multipart, Path, RawQuery, Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE, COOKIE, HeaderValue,
    SET_COOKIE,
};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use formwork_codegen::html::{IssuedView, RenderInput};
use formwork_schema::model::{GeneratorName, Kind};
use serde_json::{Map, Value, json};

use super::auth::{self, Identity};
use super::evolution::RecordCheck;
use super::form::{self, BodyError, Context, PartValue, Posted};
use super::store::{Account, NewFile, Record, Save, Store, StoreError, StoredFile, Update};
use super::{ACCOUNT_SLOT, App, BODY_LIMIT, TOKEN_SLOT, is_hex, pages, random_hex};
use formwork_runtime::files::sniff_whole;

/// Name of the CSRF cookie (double-submit: its value must come back as `_csrf`).
const CSRF_COOKIE: &str = "fw_csrf";
/// The Content-Security-Policy of every response.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'";
/// Bytes of a file the sniffer looks at.
const SNIFF_BYTES: usize = 64 * 1024;

pub(crate) type Result<T> = std::result::Result<T, Response>;

/// Adds the security headers to every response (and `no-store` unless the handler set caching).
pub(crate) async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert("content-security-policy", HeaderValue::from_static(CSP));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    if !h.contains_key(CACHE_CONTROL) {
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Refuses a state-changing request that a browser says comes from another site: `Sec-Fetch-Site:
/// cross-site`, or an `Origin` whose host is not this one (CSRF defence in depth, beside the
/// token). Requests without these headers (API clients, older browsers) rely on the token.
pub(crate) async fn same_origin(request: Request, next: Next) -> Response {
    let method = request.method();
    if method == axum::http::Method::GET
        || method == axum::http::Method::HEAD
        || method == axum::http::Method::OPTIONS
    {
        return next.run(request).await;
    }
    let headers = request.headers();
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let cross_site = header("sec-fetch-site") == Some("cross-site");
    let foreign_origin = match (header("origin"), header("host")) {
        (Some("null"), _) => true,
        (Some(origin), Some(host)) => {
            let origin_host = origin
                .split_once("://")
                .map_or(origin, |(_, rest)| rest)
                .trim_end_matches('/');
            !origin_host.eq_ignore_ascii_case(host)
        }
        _ => false,
    };
    if cross_site || foreign_origin {
        return pages::message(
            StatusCode::FORBIDDEN,
            "This request came from another site",
            "Forms of this site can only be sent from its own pages. Nothing was changed.",
        );
    }
    next.run(request).await
}

/// 404 for every unknown path.
pub(crate) async fn not_found() -> Response {
    pages::message(
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is no page at this address.",
    )
}

pub(crate) fn record_not_found() -> Response {
    pages::message(
        StatusCode::NOT_FOUND,
        "Record not found",
        "There is no record at this address. It may have been mistyped.",
    )
}

fn server_error(e: impl std::fmt::Display) -> Response {
    eprintln!("formwork: internal error: {e}");
    pages::message(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "The server could not complete this request. Nothing was changed; try again later.",
    )
}

/// The database cannot be reached (PostgreSQL down or restarting): 503, to be retried.
pub(crate) fn unavailable(e: &StoreError) -> Response {
    eprintln!("formwork: database unavailable: {e}");
    let mut r = pages::message(
        StatusCode::SERVICE_UNAVAILABLE,
        "The database cannot be reached",
        "The server could not reach its database. Nothing was changed; try again in a moment.",
    );
    r.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        HeaderValue::from_static("5"),
    );
    r
}

/// Runs a store operation on the blocking pool.
pub(crate) async fn db<T: Send + 'static>(
    app: &App,
    f: impl FnOnce(&Store) -> std::result::Result<T, StoreError> + Send + 'static,
) -> Result<T> {
    let store = Arc::clone(&app.inner.store);
    match tokio::task::spawn_blocking(move || f(&store)).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) if e.is_unavailable() => Err(unavailable(&e)),
        Ok(Err(e)) => Err(server_error(e)),
        Err(e) => Err(server_error(e)),
    }
}

/// The CSRF token of a page, and the cookie to set when the browser has none yet.
pub(crate) struct Csrf {
    pub(crate) token: String,
    set_cookie: Option<String>,
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, v)| *k == CSRF_COOKIE && is_hex(v, 64))
        .map(|(_, v)| v.to_string())
}

pub(crate) fn csrf_for(headers: &HeaderMap) -> Csrf {
    match cookie_token(headers) {
        Some(token) => Csrf {
            token,
            set_cookie: None,
        },
        None => {
            let token = random_hex(32);
            let cookie = format!("{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict");
            Csrf {
                token,
                set_cookie: Some(cookie),
            }
        }
    }
}

/// Compares two strings in time independent of where they differ.
fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

pub(crate) fn with_cookie(mut response: Response, csrf: &Csrf) -> Response {
    if let Some(c) = &csrf.set_cookie
        && let Ok(v) = HeaderValue::from_str(c)
    {
        response.headers_mut().append(SET_COOKIE, v);
    }
    response
}

/// What a form page shows besides the form.
struct View<'a> {
    values: &'a Value,
    errors: &'a [(String, String)],
    warnings: &'a [(String, String)],
    version: Option<i64>,
    action: &'a str,
    record: Option<&'a Record>,
    notice: Option<&'a str>,
    /// How the record fares under the current spec (what changed for it, orphaned values).
    check: Option<&'a RecordCheck>,
    /// The signed-in account.
    account: &'a Account,
    /// Which issued secrets are shown in full.
    reveal: Reveal<'a>,
}

/// Which issued secrets a page shows in full.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reveal<'a> {
    /// None: secrets are masked, with Reveal and Rotate buttons.
    Masked,
    /// Every one (right after they were issued).
    All,
    /// This one (after Reveal or Rotate).
    One(&'a str),
}

/// A mask in place of a secret.
const MASK: &str = "••••••••••••••••";

/// The record's issued values: ids in full, secrets per `reveal`, with their buttons.
fn issued_views(app: &App, record: Option<&Record>, reveal: Reveal<'_>) -> Vec<IssuedView> {
    let Some(r) = record else { return Vec::new() };
    app.inner
        .form
        .issued
        .iter()
        .filter_map(|i| {
            let value = r.issued.get(&i.id).and_then(Value::as_str)?;
            if i.generate != GeneratorName::Secret {
                return Some(IssuedView::plain(&i.label, value));
            }
            let base = format!("/records/{}/secrets/{}", r.id, i.id);
            let shown = reveal == Reveal::All || reveal == Reveal::One(&i.id);
            Some(IssuedView {
                label: i.label.clone(),
                value: if shown {
                    value.to_string()
                } else {
                    MASK.to_string()
                },
                reveal: (!shown).then(|| format!("{base}/reveal")),
                rotate: Some(format!("{base}/rotate")),
            })
        })
        .collect()
}

fn record_name<'a>(app: &App, data: &'a Value) -> Option<&'a str> {
    app.inner
        .name_field
        .as_deref()
        .and_then(|f| data.get(f))
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

fn render(app: &App, status: StatusCode, csrf: &Csrf, view: View<'_>) -> Response {
    let values = form::with_urls(&app.inner.fields, view.values);
    let issued = issued_views(app, view.record, view.reveal);
    let heading = view.record.and_then(|r| record_name(app, &r.data));
    let changes = view
        .check
        .map(RecordCheck::explanations)
        .unwrap_or_default();
    let history = view.record.map(|r| format!("/records/{}/history", r.id));
    let orphans: Vec<(String, String)> = view
        .check
        .map(|c| {
            c.orphans
                .iter()
                .map(|o| {
                    let value = match &o.value {
                        Value::String(s) => s.clone(),
                        v => v.to_string(),
                    };
                    (o.label.clone(), value)
                })
                .collect()
        })
        .unwrap_or_default();
    let input = RenderInput {
        values: &values,
        errors: view.errors,
        warnings: view.warnings,
        title: heading,
        heading,
        csrf: &csrf.token,
        version: view.version,
        action: view.action,
        status: view.record.map(|r| r.status.as_str()),
        notice: view.notice,
        issued: &issued,
        changes: &changes,
        orphans: &orphans,
        account: Some(&view.account.email),
        history: history.as_deref(),
    };
    match app.inner.renderer.render(&input) {
        Ok(page) => with_cookie(pages::html(status, page), csrf),
        Err(e) => server_error(e),
    }
}

/// The signed-in account of a page request; anonymous visitors go to the sign-in page.
#[allow(clippy::result_large_err)] // The error is the response to send, as in every handler.
pub(crate) fn signed_in(identity: &Identity, path: &str) -> Result<Account> {
    identity.0.clone().ok_or_else(|| auth::to_sign_in(path))
}

/// Records per page of the list.
const PAGE_SIZE: u32 = 50;

/// The value of `name` in a query string.
pub(crate) fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query.and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    })
}

/// The `page` of a query string (1 to 100,000; 1 when absent or out of range).
pub(crate) fn page_param(query: Option<&str>) -> u32 {
    query_param(query, "page")
        .and_then(|p| p.parse().ok())
        .filter(|p| (1..=super::api::MAX_PAGE).contains(p))
        .unwrap_or(1)
}

/// `GET /?page=N&status=S`: the signed-in account's records, newest first, a page at a time,
/// those that need attention under the current spec marked.
pub(crate) async fn list(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response> {
    let account = signed_in(&identity, "/")?;
    let page = page_param(query.as_deref());
    let status = query_param(query.as_deref(), "status").filter(|s| !s.is_empty() && s.len() <= 64);
    let checked = app.clone();
    let owner = account.id.clone();
    let filter = status.clone();
    let (records, attention) = db(&app, move |s| {
        // One page more than shown tells whether there is a next page.
        let records = s.list_owned(
            &owner,
            filter.as_deref(),
            PAGE_SIZE + 1,
            (page - 1) * PAGE_SIZE,
        )?;
        let mut marks = Vec::with_capacity(records.len());
        for r in &records {
            marks.push(needs_attention(&checked, s, r)?);
        }
        Ok((records, marks))
    })
    .await?;
    let marked = |r: &Record| {
        records
            .iter()
            .position(|x| x.id == r.id)
            .is_some_and(|i| attention[i])
    };
    let csrf = csrf_for(&headers);
    let more = records.len() > PAGE_SIZE as usize;
    let shown = &records[..records.len().min(PAGE_SIZE as usize)];
    let statuses: Vec<&str> = app
        .inner
        .form
        .stages
        .iter()
        .filter_map(|s| s.status.as_deref())
        .collect();
    let listing = pages::Listing {
        form_title: &app.inner.form.title,
        name_field: app.inner.name_field.as_deref(),
        records: shown,
        attention: &marked,
        account: &account.email,
        csrf: &csrf.token,
        page,
        more,
        status: status.as_deref(),
        statuses: &statuses,
    };
    Ok(with_cookie(
        pages::html(StatusCode::OK, pages::list(&listing)),
        &csrf,
    ))
}

/// Whether `record` needs attention under the current spec (remembered per record version).
fn needs_attention(
    app: &App,
    store: &Store,
    record: &Record,
) -> std::result::Result<bool, StoreError> {
    let cached = app
        .inner
        .attention
        .lock()
        .ok()
        .and_then(|m| m.get(&record.id).copied())
        .filter(|(v, _)| *v == record.version);
    if let Some((_, mark)) = cached {
        return Ok(mark);
    }
    let mark = app.inner.checker.check(store, record)?.needs_attention;
    if let Ok(mut m) = app.inner.attention.lock() {
        m.insert(record.id.clone(), (record.version, mark));
    }
    Ok(mark)
}

/// How `record` fares under the current spec.
async fn check_record(app: &App, record: &Record) -> Result<RecordCheck> {
    let checked = app.clone();
    let record = record.clone();
    db(app, move |s| checked.inner.checker.check(s, &record)).await
}

/// `GET /new`: a blank form (rendered at start-up; only the CSRF token and account are filled in).
pub(crate) async fn new_form(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    headers: HeaderMap,
) -> Result<Response> {
    let account = signed_in(&identity, "/new")?;
    let csrf = csrf_for(&headers);
    // The token is 64 hex digits (checked in `cookie_token`); both are escaped, as the renderer
    // would have.
    let page = app
        .inner
        .blank_page
        .replace(TOKEN_SLOT, &pages::escape(&csrf.token))
        .replace(ACCOUNT_SLOT, &pages::escape(&account.email));
    Ok(with_cookie(pages::html(StatusCode::OK, page), &csrf))
}

/// The record `id` if `account` owns it; 404 for everyone else (as if it did not exist).
pub(crate) async fn load_record(app: &App, id: &str, account: &Account) -> Result<Record> {
    if !is_hex(id, 32) {
        return Err(record_not_found());
    }
    let id = id.to_string();
    db(app, move |s| s.get(&id))
        .await?
        .filter(|r| r.owner.as_deref() == Some(account.id.as_str()))
        .ok_or_else(record_not_found)
}

/// `GET /records/{id}`: the record, its status and issued values, as an editable form.
pub(crate) async fn show(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response> {
    let account = signed_in(&identity, &format!("/records/{id}"))?;
    let record = load_record(&app, &id, &account).await?;
    let csrf = csrf_for(&headers);
    let saved = query
        .as_deref()
        .is_some_and(|q| form_urlencoded::parse(q.as_bytes()).any(|(k, _)| k == "saved"));
    let notice = saved.then(|| format!("Saved. Status: {}.", record.status));
    let reveal = if record.secrets_shown {
        Reveal::Masked
    } else {
        // Issued secrets are shown in full once, right after they are issued.
        let id = record.id.clone();
        db(&app, move |s| s.mark_secrets_shown(&id)).await?;
        Reveal::All
    };
    record_page(&app, &account, &record, &csrf, notice.as_deref(), reveal).await
}

/// The record page: the record as an editable form, with what changed for it under the current
/// spec and its issued values.
async fn record_page(
    app: &App,
    account: &Account,
    record: &Record,
    csrf: &Csrf,
    notice: Option<&str>,
    reveal: Reveal<'_>,
) -> Result<Response> {
    let action = format!("/records/{}", record.id);
    let check = check_record(app, record).await?;
    let comments = review_comments(app, record).await?;
    Ok(render(
        app,
        StatusCode::OK,
        csrf,
        View {
            values: &form::mark_secrets(&app.inner.fields, &record.data, &|p| Some(p.to_string())),
            errors: &[],
            warnings: &comments,
            version: Some(record.version),
            action: &action,
            record: Some(record),
            notice,
            check: Some(&check),
            account,
            reveal,
        },
    ))
}

/// The comment of the latest transition that asked the owner for something, as `(field pointer,
/// text)` shown next to the field (`""`: the whole record), until the owner submits the record
/// back to a status the transition applies to.
async fn review_comments(app: &App, record: &Record) -> Result<Vec<(String, String)>> {
    let transitions = &app.inner.form.transitions;
    if transitions.is_empty() {
        return Ok(Vec::new());
    }
    let id = record.id.clone();
    let events = db(app, move |s| s.events(&id)).await?;
    for (_, status, event, note, comment_path) in &events {
        if let Some(t) = transitions.iter().find(|t| &t.id == event) {
            return Ok(note
                .as_ref()
                .map(|note| {
                    let path = comment_path.clone().unwrap_or_default();
                    let who = app
                        .inner
                        .form
                        .roles
                        .iter()
                        .find(|r| r.id == t.role)
                        .map_or(t.role.as_str(), |r| r.label.as_str());
                    vec![(path, format!("{who} ({}): {note}", t.label))]
                })
                .unwrap_or_default());
        }
        let resent = transitions.iter().any(|t| t.from.contains(status));
        if matches!(event.as_str(), "create" | "save") && resent {
            return Ok(Vec::new());
        }
    }
    Ok(Vec::new())
}

/// The issued secret `name` of the signed-in owner's record `id`, or 404.
async fn owned_secret(
    app: &App,
    identity: &Identity,
    id: &str,
    name: &str,
) -> Result<(Account, Record)> {
    let account = signed_in(identity, &format!("/records/{id}"))?;
    let record = load_record(app, id, &account).await?;
    let is_secret = app
        .inner
        .form
        .issued
        .iter()
        .any(|i| i.id == name && i.generate == GeneratorName::Secret);
    if !is_secret {
        return Err(not_found().await);
    }
    Ok((account, record))
}

/// `POST /records/{id}/secrets/{name}/reveal`: the record page with that secret in full.
pub(crate) async fn reveal_secret(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    Path((id, name)): Path<(String, String)>,
    request: Request,
) -> Result<Response> {
    let (account, record) = owned_secret(&app, &identity, &id, &name).await?;
    let (_, csrf) = small_form(request).await?;
    record_page(&app, &account, &record, &csrf, None, Reveal::One(&name)).await
}

/// `POST /records/{id}/secrets/{name}/rotate`: a new secret replaces the old one (shown in full,
/// once), and the rotation joins the record's history (without either value).
pub(crate) async fn rotate_secret(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    Path((id, name)): Path<(String, String)>,
    request: Request,
) -> Result<Response> {
    let (account, _) = owned_secret(&app, &identity, &id, &name).await?;
    let (_, csrf) = small_form(request).await?;
    let (record_id, secret, actor) = (id.clone(), random_hex(32), account.id.clone());
    let key = name.clone();
    let Some(record) = db(&app, move |s| {
        s.rotate_issued(&record_id, &key, &secret, Some(&actor))
    })
    .await?
    else {
        return Err(record_not_found());
    };
    let label = app
        .inner
        .form
        .issued
        .iter()
        .find(|i| i.id == name)
        .map_or(name.as_str(), |i| i.label.as_str());
    let notice =
        format!("{label} rotated. The old one no longer works: use the new one, shown below once.");
    record_page(
        &app,
        &account,
        &record,
        &csrf,
        Some(&notice),
        Reveal::One(&name),
    )
    .await
}

/// `POST /new`: validate at the pressed stage; create the record on success.
pub(crate) async fn submit_new(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    request: Request,
) -> Result<Response> {
    let account = signed_in(&identity, "/new")?;
    submit(app, account, None, request).await
}

/// `POST /records/{id}`: validate at the pressed stage; update the record if its version still matches.
pub(crate) async fn submit_record(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    Path(id): Path<String>,
    request: Request,
) -> Result<Response> {
    let account = signed_in(&identity, &format!("/records/{id}"))?;
    submit(app, account, Some(id), request).await
}

fn body_error(e: BodyError) -> Response {
    match e {
        BodyError::TooLarge => pages::message(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The form is too large",
            &format!(
                "The files and text sent together must be at most {} MB. Go back, remove or shrink some files, and try again.",
                BODY_LIMIT / (1024 * 1024)
            ),
        ),
        BodyError::TooManyParts => pages::message(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The form has too many inputs",
            &e.to_string(),
        ),
        BodyError::TooMuchText => pages::message(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The form has too much text",
            &e.to_string(),
        ),
        BodyError::TooManyFiles => pages::message(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The form carries too many files",
            &e.to_string(),
        ),
        BodyError::Malformed(_) => pages::message(
            StatusCode::BAD_REQUEST,
            "The form could not be read",
            &e.to_string(),
        ),
    }
}

/// 408: the body did not arrive in time.
pub(crate) fn too_slow() -> Response {
    pages::message(
        StatusCode::REQUEST_TIMEOUT,
        "The form took too long to arrive",
        "The connection was too slow to send the form in time. Nothing was saved: try again.",
    )
}

/// Reads a posted form body (multipart or urlencoded) within the limits.
async fn read_body(app: &App, request: Request) -> Result<Posted> {
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT as u64) {
        return Err(body_error(BodyError::TooLarge));
    }
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let multipart = Multipart::from_request(request, &()).await.map_err(|e| {
            pages::message(
                StatusCode::BAD_REQUEST,
                "The form could not be read",
                &e.body_text(),
            )
        })?;
        tokio::time::timeout(
            super::BODY_TIMEOUT,
            form::read_multipart(&app.inner.form, multipart),
        )
        .await
        .map_err(|_| too_slow())?
        .map_err(body_error)
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        let bytes = tokio::time::timeout(
            super::BODY_TIMEOUT,
            axum::body::to_bytes(request.into_body(), BODY_LIMIT),
        )
        .await
        .map_err(|_| too_slow())?
        .map_err(|_| body_error(BodyError::TooLarge))?;
        form::read_urlencoded(&bytes).map_err(body_error)
    } else {
        Err(pages::message(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "The form could not be read",
            "Send the form as multipart/form-data or application/x-www-form-urlencoded.",
        ))
    }
}

/// Stores the uploads of file fields and looks up the `._keep` tokens.
async fn prepare_files(
    app: &App,
    posted: Arc<Posted>,
    account: &Account,
) -> Result<(HashMap<usize, StoredFile>, HashMap<String, StoredFile>)> {
    let form_app = app.clone();
    let owner = account.id.clone();
    db(app, move |store| {
        let form = &form_app.inner.form;
        let mut indexes = Vec::new();
        let mut metas = Vec::new();
        let mut keep_tokens = Vec::new();
        for (i, part) in posted.parts.iter().enumerate() {
            let is_file_field = matches!(
                form::leaf_field(form, &part.name).map(|f| &f.kind),
                Some(Kind::File(_))
            );
            if !is_file_field {
                continue;
            }
            match &part.value {
                PartValue::File { file_name, bytes } if !part.name.ends_with("._keep") => {
                    indexes.push(i);
                    metas.push(sniff_whole(file_name, bytes, SNIFF_BYTES));
                }
                PartValue::Text(token) if part.name.ends_with("._keep") && is_hex(token, 32) => {
                    keep_tokens.push(token.clone());
                }
                _ => {}
            }
        }
        let new_files: Vec<NewFile<'_>> = indexes
            .iter()
            .zip(&metas)
            .filter_map(|(&i, meta)| {
                let part = &posted.parts[i];
                match &part.value {
                    PartValue::File { bytes, .. } => Some(NewFile {
                        field: &part.name,
                        meta,
                        bytes,
                    }),
                    _ => None,
                }
            })
            .collect();
        if !new_files.is_empty() {
            let (count, bytes) = store.pending_uploads(&owner)?;
            let adding: u64 = new_files.iter().map(|f| f.bytes.len() as u64).sum();
            if count + new_files.len() as u64 > super::MAX_PENDING_FILES
                || bytes + adding > super::MAX_PENDING_BYTES
            {
                return Ok(Err(()));
            }
        }
        let tokens = store.put_files(&new_files, Some(&owner))?;
        let uploads = indexes
            .into_iter()
            .zip(metas)
            .zip(tokens)
            .map(|((i, meta), token)| (i, StoredFile { token, meta }))
            .collect();
        let kept = store.files_meta(&keep_tokens)?;
        Ok(Ok((uploads, kept)))
    })
    .await?
    .map_err(|()| {
        pages::message(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Too many unsaved uploads",
            &format!(
                "Files you uploaded with forms that were not saved yet are kept for {} minutes, at most {} files or {} MB. Save the form with the files it needs, or wait, then try again.",
                super::PENDING_MINUTES,
                super::MAX_PENDING_FILES,
                super::MAX_PENDING_BYTES / (1024 * 1024)
            ),
        )
    })
}

/// The values issued on a record's first save.
pub(crate) fn issue(app: &App) -> Value {
    let mut m = Map::new();
    for i in &app.inner.form.issued {
        let v = match i.generate {
            GeneratorName::Id => random_hex(16),
            GeneratorName::Secret => random_hex(32),
        };
        m.insert(i.id.clone(), Value::String(v));
    }
    Value::Object(m)
}

fn pairs(issues: &[formwork_runtime::Issue]) -> impl Iterator<Item = (String, String)> + '_ {
    issues.iter().map(|i| (i.path.clone(), i.message.clone()))
}

async fn submit(
    app: App,
    account: Account,
    id: Option<String>,
    request: Request,
) -> Result<Response> {
    let cookie = cookie_token(request.headers());
    let record = match &id {
        Some(id) => Some(load_record(&app, id, &account).await?),
        None => None,
    };
    let posted = read_body(&app, request).await?;
    let token = match (cookie, posted.text("_csrf")) {
        (Some(c), Some(t)) if constant_time_eq(&c, t) => c,
        _ => {
            return Err(pages::message(
                StatusCode::FORBIDDEN,
                "The form has expired",
                "This form was not sent from this site, or its security token is missing or out of date. Reload the form and try again.",
            ));
        }
    };
    let csrf = Csrf {
        token,
        set_cookie: None,
    };
    let posted_version = posted
        .text("_version")
        .and_then(|v| v.trim().parse::<i64>().ok());
    if record.is_some() && posted_version.is_none() {
        return Err(pages::message(
            StatusCode::BAD_REQUEST,
            "The form could not be read",
            "The form is missing its record version (_version). Reload the record and try again.",
        ));
    }
    let action_url = match &record {
        Some(r) => format!("/records/{}", r.id),
        None => "/new".to_string(),
    };
    let group_action = posted
        .text("_action")
        .filter(|a| !a.is_empty())
        .map(str::to_string);
    let stage_id = posted
        .text("_stage")
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let drop_orphans = posted.text("_drop_orphans") == Some("yes");
    let check = match &record {
        Some(r) => Some(check_record(&app, r).await?),
        None => None,
    };
    let posted = Arc::new(posted);
    let (uploads, kept) = prepare_files(&app, Arc::clone(&posted), &account).await?;
    let stored_data = record.as_ref().map(|r| &r.data);
    let cx = Context {
        uploads,
        kept,
        stored: stored_data,
        keep_blank_items: group_action.is_some(),
    };
    let built = form::build(&app.inner.form, &posted, &cx);
    // The texts now live in `built`: let the posted copy go before validating and rendering.
    drop(posted);
    let fields = &app.inner.fields;

    let kept = |p: &str| {
        built
            .kept_secrets
            .iter()
            .find(|(at, _)| at == p)
            .map(|(_, from)| from.clone())
    };
    if let Some(action) = group_action {
        // Mark kept secrets before items move, so each stays with its own item.
        let mut values = form::mark_secrets(fields, &built.value, &kept);
        form::apply_action(&app.inner.form, &mut values, &action).map_err(|e| {
            pages::message(StatusCode::BAD_REQUEST, "The form could not be read", &e)
        })?;
        return Ok(render(
            &app,
            StatusCode::OK,
            &csrf,
            View {
                values: &values,
                errors: &built.errors,
                warnings: &[],
                version: posted_version,
                action: &action_url,
                record: record.as_ref(),
                notice: None,
                check: check.as_ref(),
                account: &account,
                reveal: Reveal::Masked,
            },
        ));
    }

    let validator = &app.inner.validator;
    let stage_id = stage_id
        .or_else(|| app.inner.form.stages.first().map(|s| s.id.clone()))
        .unwrap_or_default();
    let stage = validator
        .stage(&stage_id)
        .map_err(|e| pages::message(StatusCode::BAD_REQUEST, "Unknown stage", &e.to_string()))?;
    if let Some(r) = &record
        && !app
            .inner
            .form
            .owner_may_submit(stage.index(), Some(&r.status))
    {
        let label = &app.inner.form.stages[stage.index()].label;
        return Err(pages::message(
            StatusCode::CONFLICT,
            "This record cannot be changed now",
            &format!(
                "The record is {}: “{label}” is not possible until it moves on (for example, a review asks for changes). Nothing was changed.",
                r.status
            ),
        ));
    }
    let submitted = form::without_tokens(fields, &built.value);
    let report = match &record {
        // Ratcheting: values unchanged since they were stored are judged by the rules of their day.
        Some(r) => {
            validator.validate_update(&submitted, &form::without_tokens(fields, &r.data), stage)
        }
        None => validator.validate(&submitted, stage),
    };
    let mut errors = built.errors.clone();
    errors.extend(pairs(&report.errors));
    let warnings: Vec<(String, String)> = pairs(&report.warnings).collect();
    // Stored values the form has no place for are never dropped without the person's say-so.
    let orphans = check.as_ref().map_or(&[][..], |c| c.orphans.as_slice());
    if !orphans.is_empty() && !drop_orphans {
        errors.push((
            String::new(),
            format!(
                "This record holds {} stored value(s) the form no longer asks for (listed above the form's first section): \
                 check “Remove these stored values when I save” to save without them, or leave them and save later",
                orphans.len()
            ),
        ));
    }
    let note = (!orphans.is_empty()).then(|| {
        let paths: Vec<&str> = orphans.iter().map(|o| o.path.as_str()).collect();
        format!(
            "removed at the person's request, no longer in the form: {}",
            paths.join(", ")
        )
    });

    if let Some(r) = &record
        && Some(r.version) != posted_version
    {
        let values = form::mark_secrets(fields, &built.value, &kept);
        return Ok(conflict(
            &app, &account, &csrf, r, &values, &errors, &warnings,
        ));
    }
    if !errors.is_empty() {
        let values = form::mark_secrets(fields, &built.value, &kept);
        return Ok(render(
            &app,
            StatusCode::UNPROCESSABLE_ENTITY,
            &csrf,
            View {
                values: &values,
                errors: &errors,
                warnings: &warnings,
                version: posted_version,
                action: &action_url,
                record: record.as_ref(),
                notice: None,
                check: check.as_ref(),
                account: &account,
                reveal: Reveal::Masked,
            },
        ));
    }

    let tokens = form::file_tokens(fields, &built.value);
    match record {
        None => {
            let submitted = Submitted::new(
                &app,
                &account,
                stage,
                "create",
                "draft",
                built.value,
                tokens,
            );
            let issued = issue(&app);
            let id = random_hex(16);
            let saved = db(&app, move |s| s.create(&id, &issued, submitted.save())).await?;
            Ok(Redirect::to(&format!("/records/{}?saved=1", saved.id)).into_response())
        }
        Some(r) => {
            let mut submitted = Submitted::new(
                &app,
                &account,
                stage,
                "save",
                &r.status,
                built.value,
                tokens,
            );
            submitted.note = note;
            let (id, version) = (r.id.clone(), r.version);
            let (outcome, submitted) = db(&app, move |s| {
                let outcome = s.update(&id, version, submitted.save())?;
                Ok((outcome, submitted))
            })
            .await?;
            match outcome {
                Update::Saved(saved) => {
                    Ok(Redirect::to(&format!("/records/{}?saved=1", saved.id)).into_response())
                }
                Update::Conflict(current) => {
                    let values = form::mark_secrets(fields, &submitted.data, &kept);
                    Ok(conflict(
                        &app, &account, &csrf, &current, &values, &errors, &warnings,
                    ))
                }
                Update::NotFound => Err(record_not_found()),
            }
        }
    }
}

/// What a person's submission saves, owned so it can move to the store's thread; [`Submitted::save`]
/// lends it to the store as a [`Save`].
pub(crate) struct Submitted {
    status: String,
    data: Value,
    files: Vec<String>,
    spec: String,
    actor: String,
    event: &'static str,
    stage: String,
    note: Option<String>,
}

impl Submitted {
    /// `data` (with the uploads it references) submitted by `account` at `stage` of the served
    /// spec, as `event`; the status is the stage's, else `status`.
    pub(crate) fn new(
        app: &App,
        account: &Account,
        stage: formwork_runtime::StageRef,
        event: &'static str,
        status: &str,
        data: Value,
        files: Vec<String>,
    ) -> Submitted {
        let stage = &app.inner.form.stages[stage.index()];
        Submitted {
            status: stage.status.clone().unwrap_or_else(|| status.to_string()),
            data,
            files,
            spec: app.inner.spec_hash.clone(),
            actor: account.id.clone(),
            event,
            stage: stage.id.clone(),
            note: None,
        }
    }

    /// The submission as the store writes it.
    pub(crate) fn save(&self) -> Save<'_> {
        Save {
            status: &self.status,
            data: &self.data,
            files: &self.files,
            spec: Some(&self.spec),
            actor: Some(&self.actor),
            event: self.event,
            stage: Some(&self.stage),
            note: self.note.as_deref(),
        }
    }
}

/// 409: the record changed since the form was loaded; show the submitted values (secrets
/// already marked), save nothing.
fn conflict(
    app: &App,
    account: &Account,
    csrf: &Csrf,
    current: &Record,
    values: &Value,
    errors: &[(String, String)],
    warnings: &[(String, String)],
) -> Response {
    let notice = format!(
        "Nothing was saved: this record was changed by someone else (it is now at version {}, status {}) after you opened it. \
         Your values are shown below. To see the saved record, open /records/{} in a new tab; \
         to replace it with your values, submit this form again.",
        current.version, current.status, current.id
    );
    let action = format!("/records/{}", current.id);
    render(
        app,
        StatusCode::CONFLICT,
        csrf,
        View {
            values,
            errors,
            warnings,
            version: Some(current.version),
            action: &action,
            record: Some(current),
            notice: Some(&notice),
            check: None,
            account,
            reveal: Reveal::Masked,
        },
    )
}

/// `GET /files/{token}`: a stored upload with its sniffed type.
pub(crate) async fn file(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    Path(token): Path<String>,
) -> Result<Response> {
    let account = signed_in(&identity, &format!("/files/{token}"))?;
    if !is_hex(&token, 32) {
        return Err(not_found().await);
    }
    let reviewable: Vec<String> = app
        .inner
        .form
        .transitions
        .iter()
        .filter(|t| account.role.as_deref() == Some(t.role.as_str()))
        .flat_map(|t| t.from.iter().cloned())
        .collect();
    let found = db(&app, move |s| match s.file(&token, &account.id)? {
        Some(f) => Ok(Some(f)),
        None if !reviewable.is_empty() => s.file_in_statuses(&token, &reviewable),
        None => Ok(None),
    })
    .await?;
    let Some((media_type, bytes)) = found else {
        return Err(not_found().await);
    };
    let inline = matches!(
        media_type.as_str(),
        "image/png" | "image/jpeg" | "image/gif" | "image/webp"
    );
    let content_type =
        if inline || media_type == "application/json" || media_type == "application/pdf" {
            media_type
        } else {
            "application/octet-stream".to_string()
        };
    let disposition = if inline { "inline" } else { "attachment" };
    Ok((
        StatusCode::OK,
        [
            (CONTENT_TYPE, content_type),
            (CONTENT_DISPOSITION, disposition.to_string()),
            (CACHE_CONTROL, "private, max-age=3600".to_string()),
        ],
        bytes,
    )
        .into_response())
}

/// `GET /assets/form.css`: the stylesheet of the partials.
pub(crate) async fn css(State(app): State<App>) -> Response {
    (
        StatusCode::OK,
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=300"),
        ],
        app.inner.css.clone(),
    )
        .into_response()
}

/// `GET /assets/conditions.js`: the script that shows and hides fields with `shown_when`.
pub(crate) async fn conditions_js() -> Response {
    (
        StatusCode::OK,
        [
            (CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=300"),
        ],
        formwork_codegen::html::CONDITIONS_JS,
    )
        .into_response()
}

/// A JSON response (pretty-printed).
pub(crate) fn json_response(status: StatusCode, value: &Value) -> Response {
    (
        status,
        [(CONTENT_TYPE, "application/json")],
        serde_json::to_string_pretty(value).unwrap_or_else(|_| "{}".to_string()),
    )
        .into_response()
}

/// `{"error": message}` with `status`.
pub(crate) fn json_error(status: StatusCode, message: &str) -> Response {
    json_response(status, &json!({ "error": message }))
}

/// `POST /api/validate?stage=S`: the runtime's report for a JSON submission.
pub(crate) async fn api_validate(
    State(app): State<App>,
    RawQuery(query): RawQuery,
    request: axum::extract::Request,
) -> Result<Response> {
    let stage = query_param(query.as_deref(), "stage");
    let Some(stage) = stage else {
        return Err(json_error(
            StatusCode::BAD_REQUEST,
            "give the stage to validate at: /api/validate?stage=STAGE",
        ));
    };
    let validator = &app.inner.validator;
    let stage = validator
        .stage(&stage)
        .map_err(|e| json_error(StatusCode::BAD_REQUEST, &e.to_string()))?;
    // Only JSON (415 otherwise): a page on another site can post text/plain or a form here
    // without asking.
    // Validated while read, in one pass: no tree of the submission is built.
    let bytes = super::api::json_bytes(request).await?;
    let report = validator
        .validate_json(&bytes, stage)
        .map_err(super::api::read_error)?;
    Ok((
        StatusCode::OK,
        [(CONTENT_TYPE, "application/json")],
        report.to_json(),
    )
        .into_response())
}

/// `GET /openapi.json`: the OpenAPI 3.1 description of the JSON API.
pub(crate) async fn openapi(State(app): State<App>) -> Response {
    (
        StatusCode::OK,
        [(CONTENT_TYPE, "application/json")],
        app.inner.openapi.clone(),
    )
        .into_response()
}

/// `GET /api/records/{id}`: the record as JSON, without secrets.
pub(crate) async fn api_record(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    Path(id): Path<String>,
) -> Result<Response> {
    let account = super::api::account(&identity)?;
    if !is_hex(&id, 32) {
        return Err(json_error(StatusCode::NOT_FOUND, "no such record"));
    }
    let Some(record) = db(&app, move |s| s.get(&id))
        .await?
        .filter(|r| r.owner.as_deref() == Some(account.id.as_str()))
    else {
        return Err(json_error(StatusCode::NOT_FOUND, "no such record"));
    };
    Ok(super::api::record_response(
        StatusCode::OK,
        &app,
        &record,
        false,
    ))
}

/// `GET /api/records/{id}/versions`: every saved version of the record, oldest first, without
/// secrets (of the current form, and of the spec each version was saved under).
pub(crate) async fn api_versions(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    Path(id): Path<String>,
) -> Result<Response> {
    let account = super::api::account(&identity)?;
    if !is_hex(&id, 32) {
        return Err(json_error(StatusCode::NOT_FOUND, "no such record"));
    }
    let lookup = id.clone();
    let (versions, specs) = db(&app, move |s| {
        let owned = s
            .get(&lookup)?
            .is_some_and(|r| r.owner.as_deref() == Some(account.id.as_str()));
        if !owned {
            return Ok((Vec::new(), HashMap::new()));
        }
        let versions = s.versions(&lookup)?;
        let mut specs: HashMap<String, formwork_schema::Form> = HashMap::new();
        for v in &versions {
            if let Some(h) = &v.spec_hash
                && !specs.contains_key(h)
                && let Some(stored) = s.spec(h)?
                && let Ok(form) = serde_json::from_str(&stored.ir)
            {
                specs.insert(h.clone(), form);
            }
        }
        Ok((versions, specs))
    })
    .await?;
    if versions.is_empty() {
        return Err(json_error(StatusCode::NOT_FOUND, "no such record"));
    }
    let fields = &app.inner.fields;
    let list: Vec<Value> = versions
        .into_iter()
        .map(|v| {
            let mut data = form::without_secrets(fields, &v.data);
            if let Some(old) = v.spec_hash.as_ref().and_then(|h| specs.get(h)) {
                data = form::without_secrets(&form::root_fields(old), &data);
            }
            json!({
                "version": v.version,
                "status": v.status,
                "spec_version": v.spec_version,
                "spec_hash": v.spec_hash,
                "event": v.event,
                "stage": v.stage,
                "note": v.note,
                "created": v.created,
                "data": data,
            })
        })
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({ "id": id, "versions": list }),
    ))
}

/// `GET /schema/{stage}.json`: the stage's JSON Schema.
pub(crate) async fn schema(State(app): State<App>, Path(file): Path<String>) -> Result<Response> {
    let index = file
        .strip_suffix(".json")
        .and_then(|stage| app.inner.form.stage_index(stage))
        .ok_or_else(|| json_error(StatusCode::NOT_FOUND, "no such stage"))?;
    Ok((
        StatusCode::OK,
        [(CONTENT_TYPE, "application/schema+json")],
        formwork_codegen::json_schema::emit_string(&app.inner.form, index),
    )
        .into_response())
}

/// `GET /sign-in?next=PATH`: the sign-in page.
pub(crate) async fn sign_in_form(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    if app.inner.auth.header.is_some() {
        return pages::message(
            StatusCode::NOT_FOUND,
            "Sign in through your organisation",
            "This site signs people in through your organisation's sign-in service.",
        );
    }
    if identity.0.is_some() {
        return Redirect::to("/").into_response();
    }
    let next = query_param(query.as_deref(), "next").unwrap_or_else(|| "/".to_string());
    let csrf = csrf_for(&headers);
    with_cookie(
        auth::sign_in_page(StatusCode::OK, &csrf.token, "", None, &next),
        &csrf,
    )
}

/// Largest sign-in or sign-out body.
const SMALL_FORM_LIMIT: usize = 16 * 1024;

/// Reads a small urlencoded form and checks its CSRF token against the cookie; returns the fields
/// and the page's CSRF token (for a page rendered in answer).
pub(crate) async fn small_form(request: Request) -> Result<(HashMap<String, String>, Csrf)> {
    let cookie = cookie_token(request.headers());
    let bytes = tokio::time::timeout(
        super::BODY_TIMEOUT,
        axum::body::to_bytes(request.into_body(), SMALL_FORM_LIMIT),
    )
    .await
    .map_err(|_| too_slow())?
    .map_err(|_| body_error(BodyError::TooLarge))?;
    let fields: HashMap<String, String> = form_urlencoded::parse(&bytes)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    match (cookie, fields.get("_csrf")) {
        (Some(c), Some(t)) if constant_time_eq(&c, t) => Ok((
            fields,
            Csrf {
                token: c,
                set_cookie: None,
            },
        )),
        _ => Err(pages::message(
            StatusCode::FORBIDDEN,
            "The form has expired",
            "This form was not sent from this site, or its security token is missing or out of date. Reload the page and try again.",
        )),
    }
}

/// `POST /sign-in`: email and password (rate-limited, one generic error), then a new session.
pub(crate) async fn sign_in(State(app): State<App>, request: Request) -> Result<Response> {
    if app.inner.auth.header.is_some() {
        return Err(not_found().await);
    }
    let address = auth::client(&request);
    let (fields, csrf) = small_form(request).await?;
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    Ok(auth::sign_in(
        &app,
        address,
        get("email"),
        get("password"),
        get("next"),
        csrf.token,
    )
    .await)
}

/// `POST /sign-out`: ends the session.
pub(crate) async fn sign_out(State(app): State<App>, request: Request) -> Result<Response> {
    let headers = request.headers().clone();
    small_form(request).await?;
    Ok(auth::sign_out(&app, &headers).await)
}
