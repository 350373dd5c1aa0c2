//! The JSON API for integrations, with the same rules as the pages: only one's own records, the
//! stage's validation (a 422 carries the validation report), record versions as ETags (`If-Match`
//! required to change a record: 428 without it, 409 when stale), the workflow's transitions.
//! Authenticate with `Authorization: Bearer TOKEN` (`formwork tokens create`) or a session.
//!
//! - `GET /api/records?page=N&status=S`: one's records, newest first, 50 a page.
//! - `POST /api/records?stage=S`: create (201, `Location`, `ETag`); the issued values, secrets
//!   included, are in this response only.
//! - `PUT /api/records/{id}?stage=S` with `If-Match: "VERSION"`: replace the data.
//! - `POST /api/records/{id}/transitions/{name}` with `{"comment", "field"}`: a workflow transition
//!   (the reviewer gets the record back as its owner would, without secrets).
//! - `GET /api/records/{id}`, `GET /api/records/{id}/versions`.
//!
//! Bodies are JSON (`Content-Type: application/json`, else 415) of at most [`API_BODY_LIMIT`].
//! Files cannot be uploaded here: file fields keep what was uploaded through the form.

use axum::body::Body;
use axum::extract::{Extension, Path, RawQuery, Request, State};
use axum::http::header::{CONTENT_TYPE, ETAG, IF_MATCH, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use formwork_schema::model::{GeneratorName, Kind};
use serde_json::{Map, Value, json};

use super::auth::Identity;
use super::form;
use super::handlers::{Result, Submitted, db};
use super::store::{Account, Record, Update};
use super::{App, is_hex, random_hex};

/// Largest JSON body the API reads.
pub const API_BODY_LIMIT: usize = 1024 * 1024;
/// Records per page.
const PAGE: u32 = 50;
/// The last page one may ask for.
pub(crate) const MAX_PAGE: u32 = 100_000;

use super::handlers::{json_error as error, json_response as json, query_param};

/// The signed-in account, or 401 naming how to authenticate.
#[allow(clippy::result_large_err)] // The error is the response to send, as in every handler.
pub(crate) fn account(identity: &Identity) -> Result<Account> {
    identity.0.clone().ok_or_else(|| {
        let mut r = error(
            StatusCode::UNAUTHORIZED,
            "authenticate with `Authorization: Bearer TOKEN` (formwork tokens create EMAIL --db DB)",
        );
        r.headers_mut()
            .insert("www-authenticate", HeaderValue::from_static("Bearer"));
        r
    })
}

/// The record as JSON for its owner: data without secrets, files with their URL, issued values
/// (secrets only when `with_secrets`: the response that issued them).
pub(crate) fn record_json(app: &App, record: &Record, with_secrets: bool) -> Value {
    let fields = &app.inner.fields;
    let mut data = form::without_secrets(fields, &record.data);
    form::each_file(fields, &mut data, &mut |m| {
        if let Some(Value::String(token)) = m.remove("token") {
            m.insert("url".into(), Value::String(format!("/files/{token}")));
        }
    });
    let mut issued = Map::new();
    for i in &app.inner.form.issued {
        if (with_secrets || i.generate != GeneratorName::Secret)
            && let Some(v) = record.issued.get(&i.id)
        {
            issued.insert(i.id.clone(), v.clone());
        }
    }
    json!({
        "id": record.id,
        "status": record.status,
        "version": record.version,
        "created": record.created,
        "updated": record.updated,
        "issued": issued,
        "data": data,
    })
}

/// A record response with its version as the ETag.
pub(crate) fn record_response(
    status: StatusCode,
    app: &App,
    record: &Record,
    with_secrets: bool,
) -> Response {
    let mut r = json(status, &record_json(app, record, with_secrets));
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", record.version)) {
        r.headers_mut().insert(ETAG, v);
    }
    r
}

/// Reads a JSON body (415 for another type, 413 past the size limit or
/// [`formwork_runtime::json::MAX_JSON_VALUES`], 400 when not JSON).
pub(crate) async fn json_body(request: Request) -> Result<Value> {
    let bytes = json_bytes(request).await?;
    formwork_runtime::json::from_slice(&bytes).map_err(read_error)
}

/// The bytes of a JSON body, unread (415 for another type, 413 past the size limit).
pub(crate) async fn json_bytes(request: Request) -> Result<axum::body::Bytes> {
    let is_json = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let t = v.split(';').next().unwrap_or("").trim();
            t.eq_ignore_ascii_case("application/json")
        });
    if !is_json {
        return Err(error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the body as Content-Type: application/json",
        ));
    }
    let body: Body = request.into_body();
    axum::body::to_bytes(body, API_BODY_LIMIT)
        .await
        .map_err(|_| {
            error(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("the body is larger than {API_BODY_LIMIT} bytes"),
            )
        })
}

/// The answer to a body that cannot be read: 413 past
/// [`formwork_runtime::json::MAX_JSON_VALUES`], 400 when not JSON.
pub(crate) fn read_error(e: formwork_runtime::json::ReadError) -> Response {
    let status = match e {
        formwork_runtime::json::ReadError::TooManyValues => StatusCode::PAYLOAD_TOO_LARGE,
        formwork_runtime::json::ReadError::Syntax(_) => StatusCode::BAD_REQUEST,
    };
    error(status, &format!("the body: {e}"))
}

/// `GET /api/records?page=N&status=S`.
pub(crate) async fn list(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let account = account(&identity)?;
    // Pages for people forgive a bad number; the API says what is wrong.
    let page = match query_param(query.as_deref(), "page") {
        None => 1,
        Some(p) => p
            .parse::<u32>()
            .ok()
            .filter(|p| (1..=MAX_PAGE).contains(p))
            .ok_or_else(|| {
                error(
                    StatusCode::BAD_REQUEST,
                    &format!("`page` must be a whole number from 1 to {MAX_PAGE}"),
                )
            })?,
    };
    let status = query_param(query.as_deref(), "status").filter(|s| !s.is_empty());
    let owner = account.id.clone();
    let filter = status.clone();
    let records = db(&app, move |s| {
        s.list_owned(&owner, filter.as_deref(), PAGE + 1, (page - 1) * PAGE)
    })
    .await?;
    let more = records.len() > PAGE as usize;
    let list: Vec<Value> = records
        .iter()
        .take(PAGE as usize)
        .map(|r| record_json(&app, r, false))
        .collect();
    Ok(json(
        StatusCode::OK,
        &json!({
            "records": list,
            "page": page,
            "next": more.then(|| format!("/api/records?page={}", page + 1)),
        }),
    ))
}

/// The stage named by `?stage=`, or 400.
#[allow(clippy::result_large_err)] // The error is the response to send, as in every handler.
fn stage(app: &App, query: Option<&str>) -> Result<formwork_runtime::StageRef> {
    let Some(id) = query_param(query, "stage") else {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "give the stage: ?stage=STAGE",
        ));
    };
    app.inner
        .validator
        .stage(&id)
        .map_err(|e| error(StatusCode::BAD_REQUEST, &e.to_string()))
}

/// The files of `stored` put back into `data`: file fields keep what the form uploaded. A body
/// may leave them out or send them back as read; anything else is refused (422), never dropped
/// silently: files cannot be uploaded through the API.
#[allow(clippy::result_large_err)] // The error is the response to send, as in every handler.
fn keep_files(app: &App, data: &mut Value, stored: Option<&Value>) -> Result<()> {
    let Value::Object(map) = data else {
        return Ok(());
    };
    for f in app.inner.form.fields() {
        if !matches!(f.kind, Kind::File(_)) {
            continue;
        }
        let kept = stored.and_then(|s| s.get(&f.id)).filter(|v| !v.is_null());
        if let Some(sent) = map.get(&f.id).filter(|v| !v.is_null())
            && kept.is_none_or(|k| !same_files(sent, k))
        {
            return Err(error(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!(
                    "files cannot be uploaded through the JSON API: `{}` differs from what is stored; upload files with the form, and leave file fields out or send them back as read",
                    f.id
                ),
            ));
        }
        match kept {
            Some(v) => {
                map.insert(f.id.clone(), v.clone());
            }
            None => {
                map.remove(&f.id);
            }
        }
    }
    Ok(())
}

/// Whether file metadata sent back (with `url`, as the API shows it) is what is stored (with
/// its `token`).
fn same_files(sent: &Value, stored: &Value) -> bool {
    match (sent, stored) {
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_files(x, y))
        }
        (Value::Object(a), Value::Object(b)) => {
            let token = b.get("token").and_then(Value::as_str);
            let url_ok = match a.get("url") {
                None => true,
                Some(Value::String(u)) => token.is_some_and(|t| u == &format!("/files/{t}")),
                Some(_) => false,
            };
            url_ok
                && a.iter()
                    .filter(|(k, _)| *k != "url" && *k != "token")
                    .all(|(k, v)| b.get(k) == Some(v))
                && b.iter()
                    .filter(|(k, _)| *k != "url" && *k != "token")
                    .all(|(k, _)| a.contains_key(k))
        }
        _ => false,
    }
}

/// `POST /api/records?stage=S`: create a record from a JSON submission.
pub(crate) async fn create(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    RawQuery(query): RawQuery,
    request: Request,
) -> Result<Response> {
    let account = account(&identity)?;
    let stage = stage(&app, query.as_deref())?;
    let mut data = json_body(request).await?;
    keep_files(&app, &mut data, None)?;
    let report = app.inner.validator.validate(&data, stage);
    if !report.valid {
        return Err(json(
            StatusCode::UNPROCESSABLE_ENTITY,
            &serde_json::to_value(&report).unwrap_or_default(),
        ));
    }
    let submitted = Submitted::new(&app, &account, stage, "create", "draft", data, Vec::new());
    let issued = super::handlers::issue(&app);
    let id = random_hex(16);
    let record = db(&app, move |s| {
        let r = s.create(&id, &issued, submitted.save())?;
        // The secrets are in this response: the page will not show them in full again.
        s.mark_secrets_shown(&r.id)?;
        Ok(r)
    })
    .await?;
    let mut r = record_response(StatusCode::CREATED, &app, &record, true);
    if let Ok(v) = HeaderValue::from_str(&format!("/api/records/{}", record.id)) {
        r.headers_mut().insert(LOCATION, v);
    }
    Ok(r)
}

/// The version an `If-Match` header names (`"3"`, `W/"3"`), 428 without it, 400 when unreadable.
#[allow(clippy::result_large_err)] // The error is the response to send, as in every handler.
fn if_match(headers: &HeaderMap) -> Result<i64> {
    let Some(v) = headers.get(IF_MATCH) else {
        return Err(error(
            StatusCode::PRECONDITION_REQUIRED,
            "send If-Match: \"VERSION\" with the version you read (the record's ETag)",
        ));
    };
    v.to_str()
        .ok()
        .map(|s| s.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            error(
                StatusCode::BAD_REQUEST,
                "If-Match must be a record version, like \"3\"",
            )
        })
}

/// One's own record `id`, or 404.
async fn owned(app: &App, account: &Account, id: &str) -> Result<Record> {
    if !is_hex(id, 32) {
        return Err(error(StatusCode::NOT_FOUND, "no such record"));
    }
    let lookup = id.to_string();
    db(app, move |s| s.get(&lookup))
        .await?
        .filter(|r| r.owner.as_deref() == Some(account.id.as_str()))
        .ok_or_else(|| error(StatusCode::NOT_FOUND, "no such record"))
}

/// `PUT /api/records/{id}?stage=S` with `If-Match`: replace the record's data.
pub(crate) async fn update(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    request: Request,
) -> Result<Response> {
    let account = account(&identity)?;
    let record = owned(&app, &account, &id).await?;
    let expected = if_match(request.headers())?;
    let stage = stage(&app, query.as_deref())?;
    if !app
        .inner
        .form
        .owner_may_submit(stage.index(), Some(&record.status))
    {
        return Err(error(
            StatusCode::CONFLICT,
            &format!(
                "the record is {}: it cannot be submitted at stage {} now",
                record.status,
                app.inner.form.stages[stage.index()].id
            ),
        ));
    }
    let mut data = json_body(request).await?;
    keep_files(&app, &mut data, Some(&record.data))?;
    let fields = &app.inner.fields;
    let report = app.inner.validator.validate_update(
        &form::without_tokens(fields, &data),
        &form::without_tokens(fields, &record.data),
        stage,
    );
    if !report.valid {
        return Err(json(
            StatusCode::UNPROCESSABLE_ENTITY,
            &serde_json::to_value(&report).unwrap_or_default(),
        ));
    }
    // Stored values the form no longer has are dropped only when the client says so.
    let check = {
        let checked = app.clone();
        let r = record.clone();
        db(&app, move |s| checked.inner.checker.check(s, &r)).await?
    };
    let drop = query_param(query.as_deref(), "drop_orphans").as_deref() == Some("true");
    if !check.orphans.is_empty() && !drop {
        return Err(json(
            StatusCode::CONFLICT,
            &json!({
                "error": "the record holds stored values the form no longer asks for; repeat with ?drop_orphans=true to drop them (they stay in the history)",
                "orphans": check.orphans,
            }),
        ));
    }
    let tokens = form::file_tokens(fields, &data);
    let submitted = Submitted::new(&app, &account, stage, "save", &record.status, data, tokens);
    let outcome = db(&app, move |s| s.update(&id, expected, submitted.save())).await?;
    match outcome {
        Update::Saved(r) => Ok(record_response(StatusCode::OK, &app, &r, false)),
        Update::Conflict(current) => Err(error(
            StatusCode::CONFLICT,
            &format!(
                "the record is at version {}, not {expected}: read it again, then retry",
                current.version
            ),
        )),
        Update::NotFound => Err(error(StatusCode::NOT_FOUND, "no such record")),
    }
}

/// `POST /api/records/{id}/transitions/{name}` with `{"comment", "field"}` (and optionally
/// `If-Match`): a workflow transition by its role.
pub(crate) async fn transition(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    Path((id, name)): Path<(String, String)>,
    request: Request,
) -> Result<Response> {
    let account = account(&identity)?;
    if !is_hex(&id, 32) {
        return Err(error(StatusCode::NOT_FOUND, "no such record"));
    }
    let expected = match request.headers().get(IF_MATCH) {
        Some(_) => Some(if_match(request.headers())?),
        None => None,
    };
    let body = json_body(request).await?;
    let lookup = id.clone();
    let record = db(&app, move |s| s.get(&lookup))
        .await?
        .ok_or_else(|| error(StatusCode::NOT_FOUND, "no such record"))?;
    let t = super::review::allowed(&app, &account, &name, &record)
        .map_err(|(status, title, text)| error(status, &format!("{title}: {text}")))?;
    let (comment, field) = super::review::comment_and_field(
        &app,
        t,
        body.get("comment").and_then(Value::as_str),
        body.get("field").and_then(Value::as_str),
    )
    .map_err(|why| match why {
        super::review::CommentError::TooLong => error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the comment is longer than 4,000 characters",
        ),
        super::review::CommentError::Missing => error(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!(
                "`{}` needs a comment for the owner: {{\"comment\": \"...\"}}",
                t.id
            ),
        ),
    })?;
    let version = expected.unwrap_or(record.version);
    let (to, event, actor) = (t.to.clone(), t.id.clone(), account.id.clone());
    let outcome = db(&app, move |s| {
        s.transition(
            &id,
            version,
            &to,
            &actor,
            &event,
            comment.as_deref(),
            field.as_deref(),
        )
    })
    .await?;
    match outcome {
        Update::Saved(r) => Ok(record_response(StatusCode::OK, &app, &r, false)),
        Update::Conflict(current) => Err(error(
            StatusCode::CONFLICT,
            &format!(
                "the record is at version {}, not {version}",
                current.version
            ),
        )),
        Update::NotFound => Err(error(StatusCode::NOT_FOUND, "no such record")),
    }
}
