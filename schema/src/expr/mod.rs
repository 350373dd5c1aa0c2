//! CEL expressions in specs: checked and costed when the spec loads, evaluated by the runtime.
//!
//! CEL (https://cel.dev) is the expression language Kubernetes uses for CRD validation rules:
//! side-effect free, with no loops other than macros over finite lists. As in Kubernetes, every
//! expression's worst-case cost is estimated at load from the sizes the spec declares
//! ([`shape`]: `max_items`, `max_length`, value lists) and refused over [`MAX_EXPR_COST`]; a
//! spec's expressions together may cost at most [`MAX_SPEC_COST`] per submission. At run time a
//! value is handed to an expression only if it [`Shape::fits`] the declared sizes, so the
//! estimate holds for every request.

pub mod cost;
pub mod shape;

pub use cost::{CostError, Estimate, FUNCTIONS, estimate, estimate_with};
pub use shape::Shape;

/// The longest CEL expression a spec may hold, in characters.
pub const MAX_EXPR_CHARS: usize = 1000;

/// The most one expression may cost on one value, in cost units (about 20 ns each here, so
/// at most a few milliseconds).
pub const MAX_EXPR_COST: u64 = 100_000;

/// The most all of a spec's expressions together may cost on one submission (checks inside
/// groups count once per item the group may hold).
pub const MAX_SPEC_COST: u64 = 1_000_000;

/// Why an expression was refused.
#[derive(Debug, Clone, PartialEq)]
pub struct ExprError {
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub help: String,
}

/// A checked expression: the compiled program and its estimate.
#[derive(Debug)]
pub struct Checked {
    /// The program, ready to run.
    pub program: cel::Program,
    /// Its worst-case cost and result shape.
    pub estimate: Estimate,
}

/// Checks that `expr` is a CEL expression of bounded size and cost over the variable `var`
/// bound to values of shape `scope`, that yields a boolean.
pub fn check(expr: &str, var: &str, scope: &Shape) -> Result<Checked, ExprError> {
    check_with(expr, var, scope, &[])
}

/// The name under which CEL expressions read the spec's shared value lists.
pub const LISTS: &str = "lists";

/// [`check`] with more variables in scope: `globals` (the spec's [`LISTS`]).
pub fn check_with(
    expr: &str,
    var: &str,
    scope: &Shape,
    globals: &[(String, Shape)],
) -> Result<Checked, ExprError> {
    check_yielding(expr, var, scope, globals, Yields::Bool)
}

/// What an expression must yield.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Yields {
    /// A boolean: a rule or check.
    Bool,
    /// A text: a message (`message_expression`).
    Text,
}

/// [`check_with`] for an expression that yields `yields`.
pub fn check_yielding(
    expr: &str,
    var: &str,
    scope: &Shape,
    globals: &[(String, Shape)],
    yields: Yields,
) -> Result<Checked, ExprError> {
    let wanted = match yields {
        Yields::Bool => "a bool",
        Yields::Text => "a text (a string)",
    };
    let write =
        || format!("write a CEL expression (https://cel.dev) over `{var}` that yields {wanted}");
    if expr.chars().count() > MAX_EXPR_CHARS {
        return Err(ExprError {
            message: format!("the expression is longer than {MAX_EXPR_CHARS} characters"),
            help: "split it into several rules".to_string(),
        });
    }
    let program = cel::Program::compile(expr).map_err(|e| ExprError {
        message: format!(
            "invalid CEL expression: {}",
            e.to_string().replace('\n', " ")
        ),
        help: write(),
    })?;
    if !program.references().has_variable(var) {
        return Err(ExprError {
            message: format!(
                "the expression never uses `{var}`, so it can only ever be true or false"
            ),
            help: write(),
        });
    }
    let estimate = estimate_with(&program, var, scope, globals).map_err(|e| ExprError {
        message: e.message,
        help: e.help,
    })?;
    let fits = match yields {
        Yields::Bool => matches!(estimate.shape, Shape::Bool | Shape::Dyn(_)),
        Yields::Text => matches!(estimate.shape, Shape::Text(_) | Shape::Dyn(_)),
    };
    if !fits {
        return Err(ExprError {
            message: format!(
                "the expression yields a {}, not {}",
                estimate.shape.describe(),
                match yields {
                    Yields::Bool => "a boolean",
                    Yields::Text => "a text",
                }
            ),
            help: write(),
        });
    }
    if estimate.cost > MAX_EXPR_COST {
        return Err(ExprError {
            message: format!(
                "the expression may cost {} units on the largest value the spec allows, over the budget of {MAX_EXPR_COST}",
                estimate.cost
            ),
            help: "lower `max_items` / `max_length` of what it goes through, or avoid nesting `all`/`exists`/`map` over large lists".to_string(),
        });
    }
    Ok(Checked { program, estimate })
}

/// "did you mean `x`?" for the candidate closest to a misspelt `word`, if one is close enough.
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<String> {
    candidates
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| format!("did you mean `{c}`?"))
}
