//! `formwork records migrate`: brings stored records to the current spec with the steps it
//! declares — renames (`renamed_from` on fields and choice values), `map_value`, `drop_value`,
//! `drop_field` — and says, per record, what each step changed. Every migrated record keeps its
//! previous version in its history.

use formwork_schema::Form;
use formwork_schema::model::{Field, Kind, Migration};
use serde::Serialize;
use serde_json::Value;

use formwork_runtime::report::push_pointer_segment;

/// One change a migration made to a record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// Where (in the data before the change).
    pub path: String,
    /// What happened, for people.
    pub change: String,
}

/// `data` brought to `form` by its renames and migration steps, and what changed.
pub fn migrate(form: &Form, data: &Value) -> (Value, Vec<Step>) {
    let mut out = data.clone();
    let mut steps = Vec::new();
    let fields: Vec<&Field> = form.fields().collect();
    renames(&fields, &mut out, "", &mut steps);
    for m in &form.migrations {
        match m {
            Migration::DropField { path } => {
                at_path(&mut out, path, "", &mut |parent, key, here| {
                    if let Value::Object(map) = parent
                        && map.remove(key).is_some()
                    {
                        steps.push(Step {
                            path: here.to_string(),
                            change: format!("dropped `{key}`, a field the form no longer has"),
                        });
                    }
                })
            }
            Migration::MapValue { path, from, to } => {
                at_path(&mut out, path, "", &mut |parent, key, here| {
                    let Some(v) = parent.get_mut(key) else { return };
                    map_values(v, from, Some(to), here, &mut steps);
                })
            }
            Migration::DropValue { path, value } => {
                at_path(&mut out, path, "", &mut |parent, key, here| {
                    let remove = match parent.get_mut(key) {
                        Some(v @ Value::Array(_)) => {
                            map_values(v, value, None, here, &mut steps);
                            false
                        }
                        Some(Value::String(s)) if s == value => true,
                        _ => false,
                    };
                    if remove && let Value::Object(map) = parent {
                        map.remove(key);
                        steps.push(Step {
                            path: here.to_string(),
                            change: format!("dropped the value `{value}`"),
                        });
                    }
                })
            }
        }
    }
    (out, steps)
}

/// Calls `f(parent, key, pointer)` for every object holding the last segment of `path` (`*` walks
/// the items of an array).
fn at_path(
    value: &mut Value,
    path: &[String],
    at: &str,
    f: &mut dyn FnMut(&mut Value, &str, &str),
) {
    match path {
        [] => {}
        [key] => {
            let mut here = at.to_string();
            push_pointer_segment(&mut here, key);
            if value.get(key.as_str()).is_some() {
                f(value, key, &here);
            }
        }
        [key, star, rest @ ..] if star == "*" => {
            let mut here = at.to_string();
            push_pointer_segment(&mut here, key);
            if let Some(Value::Array(items)) = value.get_mut(key.as_str()) {
                for (i, item) in items.iter_mut().enumerate() {
                    at_path(item, rest, &format!("{here}/{i}"), f);
                }
            }
        }
        [key, rest @ ..] => {
            let mut here = at.to_string();
            push_pointer_segment(&mut here, key);
            if let Some(child) = value.get_mut(key.as_str()) {
                at_path(child, rest, &here, f);
            }
        }
    }
}

/// In a choice value (a string or an array of them): `from` becomes `to`, or is dropped when `to`
/// is `None`; an array keeps each value once.
fn map_values(v: &mut Value, from: &str, to: Option<&str>, here: &str, steps: &mut Vec<Step>) {
    match v {
        Value::String(s) if s == from => {
            if let Some(to) = to {
                *s = to.to_string();
                steps.push(Step {
                    path: here.to_string(),
                    change: format!("`{from}` became `{to}`"),
                });
            }
        }
        Value::Array(items) => {
            let before = items.clone();
            let mut next: Vec<Value> = Vec::with_capacity(items.len());
            for item in items.drain(..) {
                let item = match (item.as_str(), to) {
                    (Some(s), Some(to)) if s == from => Value::String(to.to_string()),
                    (Some(s), None) if s == from => continue,
                    _ => item,
                };
                if !next.contains(&item) {
                    next.push(item);
                }
            }
            *items = next;
            if *items != before {
                steps.push(Step {
                    path: here.to_string(),
                    change: match to {
                        Some(to) => format!("`{from}` became `{to}`"),
                        None => format!("dropped the value `{from}`"),
                    },
                });
            }
        }
        _ => {}
    }
}

/// Applies `renamed_from` of fields (a stored key moves to its new id) and of choice values.
fn renames(fields: &[&Field], value: &mut Value, at: &str, steps: &mut Vec<Step>) {
    let Value::Object(map) = value else { return };
    for f in fields {
        if let Some(from) = &f.renamed_from
            && !map.contains_key(&f.id)
            && let Some(v) = map.remove(from)
        {
            let mut here = at.to_string();
            push_pointer_segment(&mut here, from);
            steps.push(Step {
                path: here,
                change: format!("`{from}` renamed to `{}`", f.id),
            });
            map.insert(f.id.clone(), v);
        }
    }
    for f in fields {
        let mut here = at.to_string();
        push_pointer_segment(&mut here, &f.id);
        let Some(v) = map.get_mut(&f.id) else {
            continue;
        };
        match &f.kind {
            Kind::Choice(c) => {
                for choice in &c.list.values {
                    if let Some(from) = &choice.renamed_from {
                        map_values(v, from, Some(&choice.id), &here, steps);
                    }
                }
            }
            Kind::Object(o) => {
                let subs: Vec<&Field> = o.fields.iter().collect();
                renames(&subs, v, &here, steps);
            }
            Kind::Group(g) => {
                let subs: Vec<&Field> = g.fields.iter().collect();
                if let Value::Array(items) = v {
                    for (i, item) in items.iter_mut().enumerate() {
                        renames(&subs, item, &format!("{here}/{i}"), steps);
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form(extra: &str) -> Form {
        let base = include_str!("../../specs/contact.yaml");
        let text = base
            .replace(
                "      - id: full_name\n",
                "      - id: name\n        renamed_from: full_name\n",
            )
            .replace(
                "      - { id: press, label: Press }\n",
                "      - { id: media, label: Press, renamed_from: press }\n      - { id: other, label: Other }\n",
            )
            + extra;
        formwork_schema::load_str("contact.yaml", &text).expect("spec loads")
    }

    #[test]
    fn renames_maps_and_drops_and_says_so() {
        let f = form(
            "migrations:\n  - drop_field: nickname\n  - drop_field: \"links[].title\"\n  - map_value: {field: topic, from: jobs, to: other}\n",
        );
        let data = json!({
            "full_name": "Ada",
            "nickname": "A",
            "topic": "press",
            "links": [{"url": "https://a.example", "title": "old"}, {"url": "https://b.example"}],
        });
        let (out, steps) = migrate(&f, &data);
        assert_eq!(
            out,
            json!({
                "name": "Ada",
                "topic": "media",
                "links": [{"url": "https://a.example"}, {"url": "https://b.example"}],
            })
        );
        let paths: Vec<&str> = steps.iter().map(|s| s.path.as_str()).collect();
        assert_eq!(
            paths,
            ["/full_name", "/topic", "/nickname", "/links/0/title"]
        );

        let (out, steps) = migrate(&f, &json!({"topic": "jobs"}));
        assert_eq!(out, json!({"topic": "other"}));
        assert_eq!(steps.len(), 1);
        // Already migrated: nothing to do.
        let (again, none) = migrate(&f, &out);
        assert_eq!(again, out);
        assert!(none.is_empty());
    }

    #[test]
    fn dropping_a_value_from_a_list_keeps_the_rest_once() {
        let mut v = json!(["a", "x", "b", "x"]);
        let mut steps = Vec::new();
        map_values(&mut v, "x", Some("a"), "/f", &mut steps);
        assert_eq!(v, json!(["a", "b"]));
        map_values(&mut v, "b", None, "/f", &mut steps);
        assert_eq!(v, json!(["a"]));
        assert_eq!(steps.len(), 2);
    }

    #[test]
    fn steps_are_checked_against_the_spec() {
        for (step, message) in [
            ("  - drop_field: email\n", "still has"),
            (
                "  - map_value: {field: topic, from: sales, to: other}\n",
                "still offers `sales`",
            ),
            (
                "  - map_value: {field: topic, from: jobs, to: nope}\n",
                "does not offer `nope`",
            ),
            (
                "  - drop_value: {field: body, value: x}\n",
                "not a choice field",
            ),
            (
                "  - drop_value: {field: nope, value: x}\n",
                "no field `nope`",
            ),
        ] {
            let base = include_str!("../../specs/contact.yaml");
            let text = format!("{base}migrations:\n{step}");
            let err = formwork_schema::load_str("c.yaml", &text)
                .expect_err("rejected")
                .to_string();
            assert!(err.contains(message), "{step}: {err}");
            assert!(err.contains("c.yaml:"), "{err}");
        }
    }
}
