//! Evaluating CEL programs against JSON values.

use std::collections::HashMap;

use cel::common::value::Val;

use formwork_schema::expr::Shape;

use crate::compile::CCel;

/// Evaluates `cel` with `var` bound to `value`; `Ok(b)` for a bool result, `Err` otherwise.
///
/// A value that does not fit the shape the spec declares (more items, longer texts, other
/// types than its cost estimate assumed) is not evaluated: the validator has reported why,
/// and the expression's cost would no longer be bounded.
pub fn eval(cel: &CCel, var: &str, value: &serde_json::Value) -> Result<bool, String> {
    match run(cel, var, value)? {
        cel::Value::Bool(b) => Ok(b),
        other => Err(format!("the expression yields {other:?}, not a bool")),
    }
}

/// Evaluates `cel` (a message expression) with `var` bound to `value`; its text.
pub fn eval_text(cel: &CCel, var: &str, value: &serde_json::Value) -> Result<String, String> {
    match run(cel, var, value)? {
        cel::Value::String(s) => Ok(s.to_string()),
        other => Err(format!("the expression yields {other:?}, not a text")),
    }
}

fn run(cel: &CCel, var: &str, value: &serde_json::Value) -> Result<cel::Value, String> {
    const UNFIT: &str =
        "not evaluated: the value is larger than, or of another type than, the spec declares";
    let v = match (&cel.reads, value) {
        // Only the fields the expression reads are checked and converted.
        (Some(reads), serde_json::Value::Object(map)) => {
            let mut read = HashMap::with_capacity(reads.len());
            for (name, shape) in reads {
                if let Some(v) = map.get(&**name) {
                    if !shape.fits(v) {
                        return Err(UNFIT.to_string());
                    }
                    let v = to_cel(shape, v)?;
                    read.insert(
                        cel::objects::Key::String(std::sync::Arc::new(name.to_string())),
                        v,
                    );
                }
            }
            cel::Value::Map(cel::objects::Map {
                map: std::sync::Arc::new(read),
            })
        }
        _ if !cel.shape.fits(value) => return Err(UNFIT.to_string()),
        _ => to_cel(&cel.shape, value)?,
    };
    let v: Box<dyn Val> = v
        .try_into()
        .map_err(|e: cel::ExecutionError| e.to_string())?;
    let mut ctx = cel::Context::default();
    ctx.add_variable_as_val(var, v);
    if let Some(lists) = &cel.lists {
        let lists: Box<dyn Val> = lists
            .clone()
            .try_into()
            .map_err(|e: cel::ExecutionError| e.to_string())?;
        ctx.add_variable_as_val(formwork_schema::expr::LISTS, lists);
    }
    cel.program.execute(&ctx).map_err(|e| e.to_string())
}

/// `value` as CEL reads it. Numbers are typed by their field, not by how the submission wrote
/// them: a field that is not `integer: true` is a `double` (`10` too, so `12.0 * price` works),
/// any other whole number an `int` (so `seats % 2` works; `cel::to_value` would make a JSON `4`
/// a `uint`, which no `int` literal combines with).
fn to_cel(shape: &Shape, value: &serde_json::Value) -> Result<cel::Value, String> {
    use serde_json::Value;
    use std::sync::Arc;
    /// The shape of what the spec does not describe.
    static ANY: Shape = Shape::Dyn(0);
    Ok(match value {
        Value::Null => cel::Value::Null,
        Value::Bool(b) => cel::Value::Bool(*b),
        Value::String(t) => cel::Value::String(Arc::new(t.clone())),
        Value::Number(n) => match (shape, n.as_i64(), n.as_u64()) {
            (Shape::Double, _, _) => cel::Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            (_, Some(i), _) => cel::Value::Int(i),
            (_, None, Some(u)) => cel::Value::UInt(u),
            _ => cel::Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::Array(items) => {
            let inner = match shape {
                Shape::List { item, .. } => &**item,
                _ => &ANY,
            };
            cel::Value::List(Arc::new(
                items
                    .iter()
                    .map(|v| to_cel(inner, v))
                    .collect::<Result<Vec<_>, _>>()?,
            ))
        }
        Value::Object(map) => {
            let mut out = HashMap::with_capacity(map.len());
            for (k, v) in map {
                let field = match shape {
                    Shape::Object(fields) => {
                        fields.iter().find(|(name, _)| name == k).map(|(_, s)| s)
                    }
                    Shape::Map { value, .. } => Some(&**value),
                    _ => None,
                };
                let v = to_cel(field.unwrap_or(&ANY), v)?;
                out.insert(cel::objects::Key::String(Arc::new(k.clone())), v);
            }
            cel::Value::Map(cel::objects::Map { map: Arc::new(out) })
        }
    })
}
