//! CEL expressions in specs: checked when the spec loads, evaluated by the runtime.
//!
//! CEL (https://cel.dev) is the expression language Kubernetes uses for CRD validation rules:
//! side-effect free, no loops other than macros over finite lists, so evaluation cost is
//! bounded by the expression's size times the submission's size. Specs bound the former.

/// The longest CEL expression a spec may hold, in characters.
pub const MAX_EXPR_CHARS: usize = 1000;

/// Checks that `expr` is a CEL expression of bounded size that references `var`'s scope only
/// through known names; `Err` tells what is wrong.
pub fn check(expr: &str, var: &str) -> Result<cel::Program, String> {
    if expr.chars().count() > MAX_EXPR_CHARS {
        return Err(format!("longer than {MAX_EXPR_CHARS} characters"));
    }
    let program = cel::Program::compile(expr).map_err(|e| e.to_string().replace('\n', " "))?;
    let refs = program.references();
    if !refs.has_variable(var) {
        return Err(format!(
            "it never uses `{var}`, so it can only ever be true or false"
        ));
    }
    Ok(program)
}
