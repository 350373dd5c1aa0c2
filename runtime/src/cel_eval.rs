//! Evaluating CEL programs against JSON values.

use std::collections::HashMap;

use cel::common::value::Val;

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
                    let v = cel::to_value(v).map_err(|e| e.to_string())?;
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
        _ => cel::to_value(value).map_err(|e| e.to_string())?,
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
