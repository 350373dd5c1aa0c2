//! What a CEL expression can know about the values it reads: their type and largest size, taken
//! from the spec's declarations (`max_items`, `max_length`, value lists, file metadata).
//!
//! The same shape serves twice: the cost estimator ([`super::cost`]) bounds an expression's work
//! from it when the spec loads, and the runtime checks a submission [`Shape::fits`] before an
//! expression reads it, so the estimate holds for every request.

use serde_json::Value;

use crate::model::{Field, Form, Kind};

/// The longest text the runtime accepts in a field without `max_length`, in characters (the
/// validator reports longer texts as too long, like a declared `max_length`).
pub const MAX_TEXT_CHARS: u64 = 1 << 20;

/// The most items the runtime accepts in a list without `max_items` (reported as too many past
/// it) (the runtime's `MAX_LIST_ITEMS`).
pub const MAX_LIST_ITEMS: u64 = 10_000;

/// The type of a value and a bound on its size.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// A value of unknown type whose cost to traverse is at most this weight.
    Dyn(u64),
    /// `null`.
    Null,
    /// A boolean.
    Bool,
    /// A whole number (an `integer: true` field, a file size) or a computed one: a CEL `int` (a
    /// `uint` past `i64`), a `double` when it has a fraction.
    Number,
    /// A number field that is not `integer: true`: always a CEL `double`, so that
    /// `12.0 * item.price` works whether the submission wrote `10` or `10.5`.
    Double,
    /// Text of at most this many characters.
    Text(u64),
    /// Bytes, at most this many.
    Bytes(u64),
    /// A type value (`int`, `string`, `type(x)`).
    Type,
    /// A list.
    List {
        /// Shape of every item.
        item: Box<Shape>,
        /// Most items; `None` when the spec declares no `max_items`.
        max: Option<u64>,
    },
    /// An object with known fields (a form, an object field, a group item, a file).
    Object(Vec<(String, Shape)>),
    /// A map with keys unknown until run time (a map literal with computed keys).
    Map {
        /// Shape of every value.
        value: Box<Shape>,
        /// Most entries.
        max: u64,
    },
}

impl Shape {
    /// The shape of a submission of `form`: CEL rules see it as `self`.
    pub fn of_form(form: &Form) -> Shape {
        Shape::of_fields(form.fields())
    }

    /// The shape of an object holding `fields` (a form, an object field, a group item).
    pub fn of_fields<'a>(fields: impl IntoIterator<Item = &'a Field>) -> Shape {
        Shape::Object(
            fields
                .into_iter()
                .map(|f| (f.id.clone(), Shape::of(f)))
                .collect(),
        )
    }

    /// The shape of `lists`, the spec's shared value lists that fields use, by id: each a list
    /// of its value ids.
    pub fn of_lists<'a>(lists: impl Iterator<Item = &'a crate::model::ValueList>) -> Shape {
        Shape::Object(
            lists
                .map(|l| {
                    let longest = l.values.iter().map(|v| v.id.chars().count()).max();
                    (
                        l.id.clone(),
                        Shape::List {
                            item: Box::new(Shape::Text(longest.unwrap_or(0) as u64)),
                            max: Some(l.values.len() as u64),
                        },
                    )
                })
                .collect(),
        )
    }

    /// The shape of `field`'s value: CEL checks see it as `value`.
    pub fn of(field: &Field) -> Shape {
        Shape::of_kind(&field.kind)
    }

    /// The shape of a value of this kind.
    pub fn of_kind(kind: &Kind) -> Shape {
        match kind {
            Kind::Text(t) => Shape::Text(t.max_length.map_or(MAX_TEXT_CHARS, u64::from)),
            Kind::Number(n) if n.integer => Shape::Number,
            Kind::Number(_) => Shape::Double,
            Kind::Boolean(_) => Shape::Bool,
            Kind::Choice(c) => {
                let longest = c.list.values.iter().map(|v| v.id.chars().count());
                let one = Shape::Text(longest.max().unwrap_or(0) as u64);
                if c.multiple {
                    let max = c
                        .max_items
                        .map(u64::from)
                        .or_else(|| c.distinct.then_some(c.list.values.len() as u64));
                    Shape::List {
                        item: Box::new(one),
                        max,
                    }
                } else {
                    one
                }
            }
            Kind::File(f) => {
                let mut meta = vec![
                    ("name".to_string(), Shape::Text(MAX_TEXT_CHARS)),
                    ("media_type".to_string(), Shape::Text(MAX_TEXT_CHARS)),
                    ("size".to_string(), Shape::Number),
                ];
                if f.image {
                    meta.push(("width".to_string(), Shape::Number));
                    meta.push(("height".to_string(), Shape::Number));
                }
                let one = Shape::Object(meta);
                if f.multiple {
                    Shape::List {
                        item: Box::new(one),
                        max: f.max_items.map(u64::from),
                    }
                } else {
                    one
                }
            }
            Kind::Object(o) => Shape::of_fields(&o.fields),
            Kind::Group(g) => Shape::List {
                item: Box::new(Shape::of_fields(&g.fields)),
                max: g.max_items.map(u64::from),
            },
        }
    }

    /// What the shape's values are called in messages.
    pub fn describe(&self) -> &'static str {
        match self {
            Shape::Dyn(_) => "value",
            Shape::Null => "null",
            Shape::Bool => "boolean",
            Shape::Number | Shape::Double => "number",
            Shape::Text(_) => "text",
            Shape::Bytes(_) => "bytes value",
            Shape::Type => "type",
            Shape::List { .. } => "list",
            Shape::Object(_) => "object",
            Shape::Map { .. } => "map",
        }
    }

    /// The most items a list (or entries a map or object) can hold at run time: the declared
    /// bound, or the runtime's cap where the spec declares none.
    pub fn len_bound(&self) -> u64 {
        match self {
            Shape::List { max, .. } => max.unwrap_or(MAX_LIST_ITEMS),
            Shape::Object(fields) => fields.len() as u64,
            Shape::Map { max, .. } => *max,
            Shape::Text(n) | Shape::Bytes(n) | Shape::Dyn(n) => *n,
            _ => 1,
        }
    }

    /// An upper bound on the work of reading the whole value once (comparing it, copying it,
    /// converting it), in cost units: one per scalar or item, one per hundred characters.
    pub fn weight(&self) -> u64 {
        match self {
            Shape::Dyn(w) => *w,
            Shape::Text(n) | Shape::Bytes(n) => 1 + n / 100,
            Shape::List { item, .. } => {
                1u64.saturating_add(self.len_bound().saturating_mul(item.weight()))
            }
            Shape::Object(fields) => fields
                .iter()
                .fold(1u64, |acc, (_, s)| acc.saturating_add(s.weight())),
            Shape::Map { value, max } => {
                1u64.saturating_add(max.saturating_mul(value.weight().saturating_add(1)))
            }
            Shape::Null | Shape::Bool | Shape::Number | Shape::Double | Shape::Type => 1,
        }
    }

    /// The least shape both `a` and `b` fit.
    pub fn join(a: &Shape, b: &Shape) -> Shape {
        match (a, b) {
            _ if a == b => a.clone(),
            (Shape::Text(x), Shape::Text(y)) => Shape::Text(*x.max(y)),
            (Shape::Bytes(x), Shape::Bytes(y)) => Shape::Bytes(*x.max(y)),
            (Shape::List { item: i, max: m }, Shape::List { item: j, max: n }) => Shape::List {
                item: Box::new(Shape::join(i, j)),
                max: match (m, n) {
                    (Some(m), Some(n)) => Some(*m.max(n)),
                    _ => None,
                },
            },
            (Shape::Map { value: v, max: m }, Shape::Map { value: w, max: n }) => Shape::Map {
                value: Box::new(Shape::join(v, w)),
                max: *m.max(n),
            },
            _ => Shape::Dyn(a.weight().max(b.weight())),
        }
    }

    /// Whether `value` fits this shape, so that an expression's estimated cost holds for it.
    /// `null` fits every shape (an absent value); a value that does not fit has already been
    /// reported by the validator (wrong type, too long, too many items, unknown field).
    pub fn fits(&self, value: &Value) -> bool {
        match (self, value) {
            (_, Value::Null) => true,
            (Shape::Dyn(_), _) => true,
            (Shape::Bool, Value::Bool(_)) | (Shape::Number | Shape::Double, Value::Number(_)) => {
                true
            }
            (Shape::Text(max), Value::String(s)) => {
                s.len() as u64 <= *max || s.chars().count() as u64 <= *max
            }
            (Shape::List { item, .. }, Value::Array(items)) => {
                items.len() as u64 <= self.len_bound() && items.iter().all(|v| item.fits(v))
            }
            (Shape::Object(fields), Value::Object(map)) => map.iter().all(|(k, v)| {
                fields
                    .iter()
                    .find(|(name, _)| name == k)
                    .is_some_and(|(_, s)| s.fits(v))
            }),
            _ => false,
        }
    }
}
