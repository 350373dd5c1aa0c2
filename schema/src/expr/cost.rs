//! Worst-case cost of a CEL expression, estimated from the shapes of the values it reads.
//!
//! Like Kubernetes' CEL cost estimator: every node evaluated costs one unit, reading text costs
//! one unit per hundred characters, a comprehension (`all`, `exists`, `exists_one`, `map`,
//! `filter`) costs its range's size times the cost of one step, and the lists that `map` and
//! `filter` build grow with it. A list the spec does not bound (`max_items`) cannot be iterated.
//! The walk also knows every name, field and function the evaluator supports, so a typo is a
//! spec error rather than an error on every submission.

use cel::common::ast::{EntryExpr, Expr, IdedExpr, LiteralValue};

use super::shape::Shape;

/// One unit per this many characters read (scanning 100 characters takes about as long as the
/// interpreter takes for one node).
const CHARS_PER_UNIT: u64 = 100;
/// Compiling a regular expression (`matches` compiles its pattern on every call).
const REGEX_COMPILE: u64 = 200;
/// Per character of a pattern compiled.
const REGEX_PER_CHAR: u64 = 20;
/// The largest text `string(x)` of a number can produce.
const NUMBER_TEXT: u64 = 32;

/// The functions formwork's CEL evaluator supports (with the macros `has`, `all`, `exists`,
/// `exists_one`, `map` and `filter`, and the operators).
pub const FUNCTIONS: &[&str] = &[
    "size",
    "contains",
    "startsWith",
    "endsWith",
    "matches",
    "string",
    "bytes",
    "int",
    "uint",
    "double",
    "bool",
    "dyn",
    "type",
];

/// Names of types usable as values (`type(x) == string`).
const TYPE_NAMES: &[&str] = &[
    "int",
    "uint",
    "double",
    "bool",
    "string",
    "bytes",
    "list",
    "map",
    "null_type",
    "type",
];

/// Why an expression was refused.
#[derive(Debug, Clone, PartialEq)]
pub struct CostError {
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub help: String,
}

/// The estimate of an expression: its worst-case cost and the shape of its result.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// Worst-case cost in units (an evaluated node each, a unit per hundred characters read).
    pub cost: u64,
    /// The shape of the result.
    pub shape: Shape,
    /// The fields of the variable the expression reads, when it reads only fields of it (by
    /// name); `None` when it uses the variable as a whole.
    pub reads: Option<Vec<String>>,
}

/// Estimates `program` with the variable `var` bound to a value of shape `scope`.
pub fn estimate(program: &cel::Program, var: &str, scope: &Shape) -> Result<Estimate, CostError> {
    estimate_with(program, var, scope, &[])
}

/// [`estimate`] with more variables in scope (`globals`, e.g. `lists`), whose fields are not
/// counted as reads of `var`.
pub fn estimate_with(
    program: &cel::Program,
    var: &str,
    scope: &Shape,
    globals: &[(String, Shape)],
) -> Result<Estimate, CostError> {
    let mut names = vec![(var.to_string(), scope.clone())];
    names.extend(globals.iter().cloned());
    let mut w = Walker {
        source: &program.source_info().source,
        info: program.source_info(),
        scope: names,
        reads: Vec::new(),
        whole: false,
    };
    let mut e = w.walk(program.expression())?;
    if !w.whole {
        w.reads.sort();
        w.reads.dedup();
        e.reads = Some(w.reads);
    }
    Ok(e)
}

struct Walker<'a> {
    source: &'a str,
    info: &'a cel::common::ast::SourceInfo,
    scope: Vec<(String, Shape)>,
    /// Fields of the root variable read by name.
    reads: Vec<String>,
    /// Whether the root variable is used other than through its fields.
    whole: bool,
}

fn est(cost: u64, shape: Shape) -> Result<Estimate, CostError> {
    Ok(Estimate {
        cost,
        shape,
        reads: None,
    })
}

fn text_cost(chars: u64) -> u64 {
    1 + chars / CHARS_PER_UNIT
}

impl Walker<'_> {
    /// A node written out, for messages: `self.items`, `a.name`, `size(x)`.
    fn text(&self, e: &IdedExpr) -> String {
        format!("`{}`", self.show(e))
    }

    fn show(&self, e: &IdedExpr) -> String {
        match &e.expr {
            Expr::Ident(name) => name.clone(),
            Expr::Select(s) if s.test => format!("has({}.{})", self.show(&s.operand), s.field),
            Expr::Select(s) => format!("{}.{}", self.show(&s.operand), s.field),
            Expr::Literal(LiteralValue::String(s)) => format!("{:?}", s.inner()),
            Expr::Literal(LiteralValue::Int(i)) => format!("{}", i.inner()),
            Expr::Call(c) if c.func_name == "_[_]" && c.args.len() == 2 => {
                format!("{}[{}]", self.show(&c.args[0]), self.show(&c.args[1]))
            }
            Expr::Call(c) if !c.func_name.contains(['_', '@', '!']) => {
                let args: Vec<String> = c.args.iter().map(|a| self.show(a)).collect();
                match &c.target {
                    Some(t) => format!("{}.{}({})", self.show(t), c.func_name, args.join(", ")),
                    None => format!("{}({})", c.func_name, args.join(", ")),
                }
            }
            _ => self.span(e).unwrap_or_else(|| "…".to_string()),
        }
    }

    /// The source text a node spans (token offsets of it and its children; inclusive ends).
    fn span(&self, e: &IdedExpr) -> Option<String> {
        fn walk(info: &cel::common::ast::SourceInfo, e: &IdedExpr, acc: &mut Option<(u32, u32)>) {
            if let Some((a, b)) = info.offset_for(e.id) {
                *acc = Some(acc.map_or((a, b), |(x, y)| (x.min(a), y.max(b))));
            }
            match &e.expr {
                Expr::Call(c) => {
                    c.target.iter().for_each(|t| walk(info, t, acc));
                    c.args.iter().for_each(|a| walk(info, a, acc));
                }
                Expr::Select(s) => walk(info, &s.operand, acc),
                Expr::List(l) => l.elements.iter().for_each(|x| walk(info, x, acc)),
                Expr::Comprehension(c) => {
                    walk(info, &c.iter_range, acc);
                    walk(info, &c.loop_step, acc);
                }
                _ => {}
            }
        }
        let mut acc = None;
        walk(self.info, e, &mut acc);
        let (a, b) = acc?;
        self.source
            .get(a as usize..=(b as usize).min(self.source.len().saturating_sub(1)))
            .map(str::to_string)
    }

    fn fail(&self, message: String, help: impl Into<String>) -> Result<Estimate, CostError> {
        Err(CostError {
            message,
            help: help.into(),
        })
    }

    /// Whether `name` is the root variable here (not shadowed by a macro's variable).
    fn is_root(&self, name: &str) -> bool {
        self.scope.iter().rposition(|(n, _)| n == name) == Some(0)
    }

    fn lookup(&self, name: &str) -> Option<&Shape> {
        self.scope
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, s)| s)
    }

    fn walk(&mut self, e: &IdedExpr) -> Result<Estimate, CostError> {
        match &e.expr {
            Expr::Unspecified => {
                self.fail(format!("{} is incomplete", self.text(e)), "complete it")
            }
            Expr::Literal(l) => est(
                1,
                match l {
                    LiteralValue::Boolean(_) => Shape::Bool,
                    LiteralValue::Bytes(b) => Shape::Bytes(b.inner().len() as u64),
                    LiteralValue::Double(_) | LiteralValue::Int(_) | LiteralValue::UInt(_) => {
                        Shape::Number
                    }
                    LiteralValue::Null => Shape::Null,
                    LiteralValue::String(s) => Shape::Text(s.inner().chars().count() as u64),
                },
            ),
            Expr::Ident(name) => match self.lookup(name).cloned() {
                Some(s) => {
                    if self.is_root(name) {
                        self.whole = true;
                    }
                    est(1, s)
                }
                None if name.starts_with('@') => est(1, Shape::Dyn(1)),
                None if TYPE_NAMES.contains(&name.as_str()) => est(1, Shape::Type),
                None => {
                    let names: Vec<&str> = self
                        .scope
                        .iter()
                        .map(|(n, _)| n.as_str())
                        .filter(|n| !n.starts_with('@'))
                        .collect();
                    let help = super::did_you_mean(name, names.iter().copied())
                        .unwrap_or_else(|| format!("the names in scope are: {}", names.join(", ")));
                    self.fail(format!("unknown name `{name}`"), help)
                }
            },
            Expr::Select(s) => {
                let operand = match &s.operand.expr {
                    Expr::Ident(name) if self.is_root(name) => {
                        self.reads.push(s.field.clone());
                        Estimate {
                            cost: 1,
                            shape: self.scope[0].1.clone(),
                            reads: None,
                        }
                    }
                    _ => self.walk(&s.operand)?,
                };
                let shape = match &operand.shape {
                    Shape::Object(fields) => match fields.iter().find(|(n, _)| *n == s.field) {
                        Some((_, f)) => f.clone(),
                        None => {
                            let names = fields.iter().map(|(n, _)| n.as_str());
                            let help =
                                super::did_you_mean(&s.field, names.clone()).unwrap_or_else(|| {
                                    format!(
                                        "its fields are: {}",
                                        names.collect::<Vec<_>>().join(", ")
                                    )
                                });
                            return self.fail(
                                format!("{} has no field `{}`", self.text(&s.operand), s.field),
                                help,
                            );
                        }
                    },
                    Shape::Map { value, .. } => (**value).clone(),
                    Shape::Dyn(w) => Shape::Dyn(*w),
                    other => {
                        return self.fail(
                            format!(
                                "{} is a {}, which has no field `{}`",
                                self.text(&s.operand),
                                other.describe(),
                                s.field
                            ),
                            "select fields of objects, group items and files only",
                        );
                    }
                };
                let shape = if s.test { Shape::Bool } else { shape };
                est(operand.cost.saturating_add(1), shape)
            }
            Expr::List(l) => {
                let mut cost = 1u64;
                let mut item: Option<Shape> = None;
                for el in &l.elements {
                    let x = self.walk(el)?;
                    cost = cost.saturating_add(x.cost);
                    item = Some(match item {
                        None => x.shape,
                        Some(i) => Shape::join(&i, &x.shape),
                    });
                }
                est(
                    cost,
                    Shape::List {
                        item: Box::new(item.unwrap_or(Shape::Null)),
                        max: Some(l.elements.len() as u64),
                    },
                )
            }
            Expr::Map(m) => {
                let mut cost = 1u64;
                let mut fields = Vec::new();
                let mut literal_keys = true;
                let mut value: Option<Shape> = None;
                for entry in &m.entries {
                    let EntryExpr::MapEntry(me) = &entry.expr else {
                        return self.fail(
                            format!("{} is a message literal", self.text(e)),
                            "use a map literal",
                        );
                    };
                    let k = self.walk(&me.key)?;
                    let v = self.walk(&me.value)?;
                    cost = cost.saturating_add(k.cost).saturating_add(v.cost);
                    match &me.key.expr {
                        Expr::Literal(LiteralValue::String(s)) => {
                            fields.push((s.inner().to_string(), v.shape.clone()))
                        }
                        _ => literal_keys = false,
                    }
                    value = Some(match value {
                        None => v.shape,
                        Some(x) => Shape::join(&x, &v.shape),
                    });
                }
                let shape = if literal_keys {
                    Shape::Object(fields)
                } else {
                    Shape::Map {
                        value: Box::new(value.unwrap_or(Shape::Null)),
                        max: m.entries.len() as u64,
                    }
                };
                est(cost, shape)
            }
            Expr::Struct(_) => self.fail(
                format!("{} is a message literal", self.text(e)),
                "formwork's CEL has no message types: use a map literal",
            ),
            Expr::Comprehension(c) => {
                let range = self.walk(&c.iter_range)?;
                let (n, key, item) = match &range.shape {
                    Shape::List { item, max: Some(n) } => (*n, Shape::Number, (**item).clone()),
                    Shape::List { max: None, .. } => {
                        return self.fail(
                            format!(
                                "{} is a list without `max_items`, so going through its items has no bound",
                                self.text(&c.iter_range)
                            ),
                            "declare `max_items` on the field this list comes from",
                        );
                    }
                    Shape::Object(fields) => {
                        let longest = fields.iter().map(|(k, _)| k.chars().count() as u64);
                        let values = fields
                            .iter()
                            .map(|(_, s)| s.clone())
                            .reduce(|a, b| Shape::join(&a, &b))
                            .unwrap_or(Shape::Null);
                        (
                            fields.len() as u64,
                            Shape::Text(longest.max().unwrap_or(0)),
                            values,
                        )
                    }
                    Shape::Map { value, max } => (*max, Shape::Dyn(1), (**value).clone()),
                    other => {
                        return self.fail(
                            format!(
                                "{} is a {}, which has no items to go through",
                                self.text(&c.iter_range),
                                other.describe()
                            ),
                            "use `all`, `exists`, `exists_one`, `map` and `filter` on lists and objects",
                        );
                    }
                };
                let (first, second) = match &c.iter_var2 {
                    Some(_) => (key.clone(), item),
                    None if matches!(range.shape, Shape::List { .. }) => (item, key),
                    None => (key, item),
                };
                let init = self.walk(&c.accu_init)?;
                let depth = self.scope.len();
                self.scope.push((c.iter_var.clone(), first));
                if let Some(v2) = &c.iter_var2 {
                    self.scope.push((v2.clone(), second));
                }
                // The accumulator: lists grow by what one step adds, at most `n` times.
                self.scope.push((c.accu_var.clone(), init.shape.clone()));
                let once = self.walk(&c.loop_step)?;
                let accu = match (&init.shape, &once.shape) {
                    (
                        Shape::List {
                            item: i0,
                            max: Some(m0),
                        },
                        Shape::List {
                            item: i1,
                            max: Some(m1),
                        },
                    ) => Shape::List {
                        item: Box::new(if **i0 == Shape::Null && *m0 == 0 {
                            (**i1).clone()
                        } else {
                            Shape::join(i0, i1)
                        }),
                        max: Some(m0.saturating_add(n.saturating_mul(m1.saturating_sub(*m0)))),
                    },
                    (a, b) => Shape::join(a, b),
                };
                if let Some(last) = self.scope.last_mut() {
                    last.1 = accu.clone();
                }
                let cond = self.walk(&c.loop_cond)?;
                let step = self.walk(&c.loop_step)?;
                self.scope.truncate(depth);
                self.scope.push((c.accu_var.clone(), accu));
                let result = self.walk(&c.result)?;
                self.scope.truncate(depth);
                let per_item = cond.cost.saturating_add(step.cost).saturating_add(1);
                est(
                    range
                        .cost
                        .saturating_add(init.cost)
                        .saturating_add(n.saturating_mul(per_item))
                        .saturating_add(result.cost),
                    result.shape,
                )
            }
            Expr::Call(call) => self.call(e, call),
        }
    }

    fn call(
        &mut self,
        e: &IdedExpr,
        call: &cel::common::ast::CallExpr,
    ) -> Result<Estimate, CostError> {
        let mut cost = 1u64;
        let target = match &call.target {
            Some(t) => {
                let x = self.walk(t)?;
                cost = cost.saturating_add(x.cost);
                Some(x.shape)
            }
            None => None,
        };
        let mut args = Vec::with_capacity(call.args.len());
        for a in &call.args {
            let x = self.walk(a)?;
            cost = cost.saturating_add(x.cost);
            args.push(x.shape);
        }
        let name = call.func_name.as_str();
        // The operand(s) of a function called as `f(x, ...)` or `x.f(...)`.
        let operands: Vec<&Shape> = target.iter().chain(args.iter()).collect();
        let arity = |n: usize| operands.len() == n;
        let (extra, shape) = match name {
            "_&&_" | "_||_" | "!_" | "@not_strictly_false" => (0, Shape::Bool),
            "_?_:_" if args.len() == 3 => (0, Shape::join(&args[1], &args[2])),
            "_==_" | "_!=_" | "_<_" | "_<=_" | "_>_" | "_>=_" if args.len() == 2 => {
                (args[0].weight().min(args[1].weight()), Shape::Bool)
            }
            "_+_" if args.len() == 2 => match (&args[0], &args[1]) {
                (Shape::Text(a), Shape::Text(b)) => {
                    let n = a.saturating_add(*b);
                    (text_cost(n), Shape::Text(n))
                }
                (Shape::Bytes(a), Shape::Bytes(b)) => {
                    let n = a.saturating_add(*b);
                    (text_cost(n), Shape::Bytes(n))
                }
                (Shape::List { .. }, Shape::List { .. }) => {
                    let (Shape::List { item: i, .. }, Shape::List { item: j, .. }) =
                        (&args[0], &args[1])
                    else {
                        unreachable!("matched above")
                    };
                    let n = args[0].len_bound().saturating_add(args[1].len_bound());
                    let item = match (&args[0], &args[1]) {
                        (Shape::List { max: Some(0), .. }, _) => (**j).clone(),
                        (_, Shape::List { max: Some(0), .. }) => (**i).clone(),
                        _ => Shape::join(i, j),
                    };
                    (
                        n,
                        Shape::List {
                            item: Box::new(item),
                            max: Some(n),
                        },
                    )
                }
                (Shape::Number | Shape::Double, Shape::Number | Shape::Double) => {
                    (0, Shape::Number)
                }
                (a, b) => {
                    let w = a.weight().saturating_add(b.weight());
                    (w, Shape::Dyn(w))
                }
            },
            "_-_" | "_*_" | "_/_" | "_%_" | "-_" => (0, Shape::Number),
            "_[_]" if args.len() == 2 => match (&args[0], &call.args[1].expr) {
                (Shape::List { item, .. }, _) => (0, (**item).clone()),
                (Shape::Object(fields), Expr::Literal(LiteralValue::String(k))) => {
                    match fields.iter().find(|(n, _)| n == k.inner()) {
                        Some((_, s)) => (0, s.clone()),
                        None => {
                            return self.fail(
                                format!(
                                    "{} has no field `{}`",
                                    self.text(&call.args[0]),
                                    k.inner()
                                ),
                                super::did_you_mean(
                                    k.inner(),
                                    fields.iter().map(|(n, _)| n.as_str()),
                                )
                                .unwrap_or_else(|| "name one of its fields".to_string()),
                            );
                        }
                    }
                }
                (Shape::Object(fields), _) => (
                    0,
                    fields
                        .iter()
                        .map(|(_, s)| s.clone())
                        .reduce(|a, b| Shape::join(&a, &b))
                        .unwrap_or(Shape::Null),
                ),
                (Shape::Map { value, .. }, _) => (0, (**value).clone()),
                (Shape::Dyn(w), _) => (0, Shape::Dyn(*w)),
                (other, _) => {
                    return self.fail(
                        format!(
                            "{} is a {}, which cannot be indexed",
                            self.text(&call.args[0]),
                            other.describe()
                        ),
                        "index lists (`x[0]`) and maps (`x['key']`) only",
                    );
                }
            },
            "@in" if args.len() == 2 => match &args[1] {
                Shape::List { item, .. } => (
                    args[1]
                        .len_bound()
                        .saturating_mul(args[0].weight().min(item.weight())),
                    Shape::Bool,
                ),
                _ => (args[0].weight(), Shape::Bool),
            },
            "size" if arity(1) => match operands[0] {
                Shape::Text(n) => (text_cost(*n), Shape::Number),
                _ => (1, Shape::Number),
            },
            "contains" if call.target.is_some() && arity(2) => (
                operands[0].weight().saturating_add(operands[1].weight()),
                Shape::Bool,
            ),
            "startsWith" | "endsWith" if call.target.is_some() && arity(2) => {
                (operands[0].weight().min(operands[1].weight()), Shape::Bool)
            }
            "matches" if arity(2) => {
                let pattern = match operands[1] {
                    Shape::Text(n) => *n,
                    other => other.weight().saturating_mul(CHARS_PER_UNIT),
                };
                (
                    REGEX_COMPILE
                        .saturating_add(pattern.saturating_mul(REGEX_PER_CHAR))
                        .saturating_add(operands[0].weight()),
                    Shape::Bool,
                )
            }
            "string" if arity(1) => {
                let n = match operands[0] {
                    Shape::Text(n) | Shape::Bytes(n) => *n,
                    Shape::Number | Shape::Double | Shape::Bool | Shape::Null | Shape::Type => {
                        NUMBER_TEXT
                    }
                    other => other.weight().saturating_mul(CHARS_PER_UNIT),
                };
                (text_cost(n), Shape::Text(n))
            }
            "bytes" if arity(1) => {
                let n = operands[0].len_bound();
                (text_cost(n), Shape::Bytes(n))
            }
            "int" | "uint" | "double" if arity(1) => (operands[0].weight(), Shape::Number),
            "bool" if arity(1) => (operands[0].weight(), Shape::Bool),
            "dyn" if arity(1) => (0, operands[0].clone()),
            "type" if arity(1) => (0, Shape::Type),
            _ if FUNCTIONS.contains(&name) => {
                return self.fail(
                    format!(
                        "{} calls `{name}` with {} argument(s)",
                        self.text(e),
                        operands.len()
                    ),
                    "see https://cel.dev for how the function is called",
                );
            }
            _ if name.starts_with('_') || name.starts_with('@') || name.starts_with('!') => {
                return self.fail(
                    format!(
                        "{} uses an operator formwork's CEL does not support",
                        self.text(e)
                    ),
                    "write the test with the supported operators",
                );
            }
            _ => {
                let help = super::did_you_mean(name, FUNCTIONS.iter().copied()).unwrap_or_else(|| {
                    format!(
                        "the functions are: {}, and the macros has, all, exists, exists_one, map, filter",
                        FUNCTIONS.join(", ")
                    )
                });
                return self.fail(
                    format!(
                        "{} calls `{name}`, which formwork's CEL does not have",
                        self.text(e)
                    ),
                    help,
                );
            }
        };
        est(cost.saturating_add(extra), shape)
    }
}
