//! A record's history for its owner: every saved version, newest first — who, when, what happened,
//! the status before and after, the spec version — and what changed from the version before, field
//! by field, by label. Secrets are never shown: a changed secret says only that it changed.

use std::fmt::Write as _;

use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use formwork_schema::model::{Field, Kind, TextFormat};
use serde_json::Value;

use super::App;
use super::auth::Identity;
use super::handlers::{Result, csrf_for, db, load_record, signed_in, with_cookie};
use super::pages::{self, escape};
use super::store::RecordVersion;

/// One field whose value differs between two versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    /// Where, by label: `App actions › app action 2 › Action name`.
    pub label: String,
    /// The value before (`—` when absent; never a secret).
    pub before: String,
    /// The value after.
    pub after: String,
}

/// What changed from `old` to `new` under `fields` (labels from the form; stored keys the form does
/// not know by their key).
pub fn changes(fields: &[Field], old: &Value, new: &Value) -> Vec<FieldChange> {
    let mut out = Vec::new();
    walk(fields, Some(old), Some(new), "", &mut out);
    out
}

fn walk(
    fields: &[Field],
    old: Option<&Value>,
    new: Option<&Value>,
    at: &str,
    out: &mut Vec<FieldChange>,
) {
    let empty = serde_json::Map::new();
    let o = old.and_then(Value::as_object).unwrap_or(&empty);
    let n = new.and_then(Value::as_object).unwrap_or(&empty);
    for f in fields {
        let label = join(at, &f.label);
        let (a, b) = (o.get(&f.id), n.get(&f.id));
        if a == b {
            continue;
        }
        match &f.kind {
            Kind::Object(obj) => walk(&obj.fields, a, b, &label, out),
            Kind::Group(g) => {
                let (xs, ys) = (items(a), items(b));
                for i in 0..xs.len().max(ys.len()) {
                    let item = join(&label, &format!("{} {}", g.item_label, i + 1));
                    match (xs.get(i), ys.get(i)) {
                        (Some(x), Some(y)) => walk(&g.fields, Some(x), Some(y), &item, out),
                        (Some(_), None) => out.push(FieldChange {
                            label: item,
                            before: "present".into(),
                            after: "removed".into(),
                        }),
                        (None, Some(_)) => out.push(FieldChange {
                            label: item,
                            before: "—".into(),
                            after: "added".into(),
                        }),
                        (None, None) => {}
                    }
                }
            }
            Kind::Text(t) if t.format == TextFormat::Secret => out.push(FieldChange {
                label,
                before: if a.is_some() { "(secret)" } else { "—" }.into(),
                after: if b.is_some() {
                    "(secret, changed)"
                } else {
                    "—"
                }
                .into(),
            }),
            _ => out.push(FieldChange {
                label,
                before: shown(f, a),
                after: shown(f, b),
            }),
        }
    }
    // Stored keys the form does not know (fields removed from the spec).
    for k in o.keys().chain(n.keys()) {
        if fields.iter().any(|f| &f.id == k) || out.iter().any(|c| c.label == join(at, k)) {
            continue;
        }
        let (a, b) = (o.get(k), n.get(k));
        if a != b {
            out.push(FieldChange {
                label: join(at, k),
                before: a.map_or_else(|| "—".into(), plain),
                after: b.map_or_else(|| "—".into(), plain),
            });
        }
    }
}

fn items(v: Option<&Value>) -> Vec<Value> {
    v.and_then(Value::as_array).cloned().unwrap_or_default()
}

fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent} › {name}")
    }
}

/// A value for people: choice labels, file names, texts; `—` when absent.
fn shown(f: &Field, v: Option<&Value>) -> String {
    let Some(v) = v else { return "—".into() };
    match (&f.kind, v) {
        (Kind::Choice(c), _) => choice_text(c, v),
        (Kind::File(_), Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.get("name").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(", "),
        (Kind::File(_), one) => one
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("a file")
            .to_string(),
        (Kind::Boolean(_), Value::Bool(b)) => if *b { "Yes" } else { "No" }.into(),
        _ => plain(v),
    }
}

/// A choice's value(s) by label, for people (`Scheduling, Calling and SMS`); ids the list no
/// longer has stay ids.
pub(crate) fn choice_text(c: &formwork_schema::model::ChoiceRules, v: &Value) -> String {
    let label = |x: &Value| {
        x.as_str().map_or_else(
            || x.to_string(),
            |id| c.list.get(id).map_or(id, |c| c.label.as_str()).to_string(),
        )
    };
    match v {
        Value::Array(a) => a.iter().map(label).collect::<Vec<_>>().join(", "),
        one => label(one),
    }
}

fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".into(),
        other => other.to_string(),
    }
}

/// `GET /records/{id}/history`: the owner's view of every version.
pub(crate) async fn page(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    let account = signed_in(&identity, &format!("/records/{id}/history"))?;
    let record = load_record(&app, &id, &account).await?;
    let lookup = record.id.clone();
    let versions: Vec<RecordVersion> = db(&app, move |s| s.versions(&lookup)).await?;
    let csrf = csrf_for(&headers);
    let fields = &app.inner.fields;
    let mut b = pages::account_bar(&account.email, &csrf.token);
    let _ = writeln!(
        b,
        "<p><a href=\"/records/{}\">Back to the record</a></p>\n<h1 class=\"fw-heading\">History</h1>",
        escape(&record.id)
    );
    let _ = writeln!(
        b,
        "<p class=\"fw-lead\">Every saved version of this record, newest first, with what changed.</p>"
    );
    for (i, v) in versions.iter().enumerate().rev() {
        let before = i.checked_sub(1).and_then(|j| versions.get(j));
        let who = v
            .actor_email
            .as_deref()
            .unwrap_or("someone before accounts existed");
        let mut what = event_text(&app, &v.event);
        if let Some(stage) = v
            .stage
            .as_deref()
            .and_then(|s| app.inner.form.stages.iter().find(|x| x.id == s))
        {
            what = format!("{what} (“{}”)", stage.label);
        }
        let _ = writeln!(
            b,
            "<section class=\"fw-version\" aria-labelledby=\"v{0}\">\n<h2 class=\"fw-version__title\" id=\"v{0}\">Version {0}: {1}</h2>",
            v.version,
            escape(&what)
        );
        let status = match before {
            Some(p) if p.status != v.status => format!("{} → {}", p.status, v.status),
            _ => v.status.clone(),
        };
        let spec = v
            .spec_version
            .as_deref()
            .map(|s| format!(" · form version {}", escape(s)))
            .unwrap_or_default();
        let _ = writeln!(
            b,
            "<p class=\"fw-version__meta\">{} · <time datetime=\"{created}\">{created}</time> · status {}{spec}</p>",
            escape(who),
            escape(&status),
            created = escape(&v.created),
        );
        if let Some(note) = &v.note {
            let _ = writeln!(b, "<p class=\"fw-version__note\">{}</p>", escape(note));
        }
        let list = match before {
            Some(p) => changes(fields, &p.data, &v.data),
            None => Vec::new(),
        };
        if !list.is_empty() {
            b.push_str("<table class=\"fw-table\"><thead><tr><th scope=\"col\">Field</th><th scope=\"col\">Before</th><th scope=\"col\">After</th></tr></thead><tbody>\n");
            for c in list {
                let _ = writeln!(
                    b,
                    "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                    escape(&c.label),
                    escape(&c.before),
                    escape(&c.after)
                );
            }
            b.push_str("</tbody></table>\n");
        } else if before.is_some() {
            b.push_str("<p>No field changed.</p>\n");
        }
        b.push_str("</section>\n");
    }
    Ok(with_cookie(
        pages::html(StatusCode::OK, pages::layout("History", &b)),
        &csrf,
    ))
}

/// What an event was, for people.
fn event_text(app: &App, event: &str) -> String {
    if let Some(t) = app.inner.form.transitions.iter().find(|t| t.id == event) {
        return t.label.clone();
    }
    match event {
        "create" => "created".into(),
        "save" => "saved".into(),
        "migrate" => "migrated to a new version of the form".into(),
        "rotate_secret" => "secret rotated".into(),
        "before_history" => "as stored before history was kept".into(),
        other => other.replace('_', " "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changes_are_listed_by_label_and_never_show_secrets() {
        let form = formwork_schema::load_file(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../specs/pipedrive-app.yaml"
        ))
        .expect("spec");
        let fields: Vec<Field> = form.fields().cloned().collect();
        let old = json!({
            "app_name": "Random",
            "categories": ["scheduling"],
            "app_panels": [{"name": "Visits", "http_auth_password": "old-secret"}],
            "retired_field": "https://a.example/help",
        });
        let new = json!({
            "app_name": "Random CRM",
            "categories": ["scheduling", "calling_sms"],
            "app_panels": [{"name": "Visits", "http_auth_password": "new-secret"}],
            "app_actions": [{"name": "Add"}],
        });
        let list = changes(&fields, &old, &new);
        let rows: Vec<String> = list
            .iter()
            .map(|c| format!("{}: {} → {}", c.label, c.before, c.after))
            .collect();
        assert_eq!(
            rows,
            [
                "App name: Random → Random CRM",
                "Categories: Scheduling → Scheduling, Calling and SMS",
                "App actions › app action 1: — → added",
                "App panels › app panel 1 › HTTP Auth password: (secret) → (secret, changed)",
                "retired_field: https://a.example/help → —",
            ]
        );
        let all = format!("{list:?}");
        assert!(!all.contains("old-secret") && !all.contains("new-secret"));
    }
}
