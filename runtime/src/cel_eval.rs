//! Evaluating CEL programs against JSON values.

use cel::common::value::Val;

/// Evaluates `program` with `var` bound to `value`; `Ok(b)` for a bool result, `Err` otherwise.
pub fn eval(program: &cel::Program, var: &str, value: &serde_json::Value) -> Result<bool, String> {
    let v = cel::to_value(value).map_err(|e| e.to_string())?;
    let v: Box<dyn Val> = v
        .try_into()
        .map_err(|e: cel::ExecutionError| e.to_string())?;
    let mut ctx = cel::Context::default();
    ctx.add_variable_as_val(var, v);
    match program.execute(&ctx) {
        Ok(cel::Value::Bool(b)) => Ok(b),
        Ok(other) => Err(format!("the expression yields {other:?}, not a bool")),
        Err(e) => Err(e.to_string()),
    }
}
