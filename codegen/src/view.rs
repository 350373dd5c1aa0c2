//! The view model as the renderer builds it: JSON-shaped values whose keys are the templates'
//! own names (`&'static str`, never allocated) and whose texts borrow from the form and the
//! submission where they can. The compiled templates walk it directly; handlebars and
//! [`crate::html::Renderer::view_model`] get it as `serde_json::Value` ([`V::to_json`]).

use std::borrow::Cow;

use serde_json::{Map, Value};

/// A view-model value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum V<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Str(Cow<'a, str>),
    List(Vec<V<'a>>),
    Map(VMap<'a>),
}

/// A view-model object: entries in insertion order, looked up by a scan (views are small).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct VMap<'a> {
    entries: Vec<(Cow<'a, str>, V<'a>)>,
}

impl<'a> VMap<'a> {
    pub(crate) fn with_capacity(n: usize) -> Self {
        VMap {
            entries: Vec::with_capacity(n),
        }
    }

    /// Sets `key` (replacing an earlier value in its place, as a JSON object does).
    pub(crate) fn insert(&mut self, key: impl Into<Cow<'a, str>>, value: V<'a>) {
        let key = key.into();
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.entries.push((key, value)),
        }
    }

    /// Appends `key`, known to be new (a field id of a form, a literal key).
    pub(crate) fn push(&mut self, key: impl Into<Cow<'a, str>>, value: V<'a>) {
        self.entries.push((key.into(), value));
    }

    pub(crate) fn get(&self, key: &str) -> Option<&V<'a>> {
        self.entries
            .iter()
            .find(|(k, _)| k.len() == key.len() && k == key)
            .map(|(_, v)| v)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &V<'a>)> {
        self.entries.iter().map(|(k, v)| (&**k, v))
    }
}

impl V<'_> {
    /// The value as JSON.
    pub(crate) fn to_json(&self) -> Value {
        match self {
            V::Null => Value::Null,
            V::Bool(b) => Value::Bool(*b),
            V::Int(i) => Value::from(*i),
            V::Str(s) => Value::String(s.to_string()),
            V::List(items) => Value::Array(items.iter().map(V::to_json).collect()),
            V::Map(m) => {
                let mut out = Map::with_capacity(m.len());
                for (k, v) in m.iter() {
                    out.insert(k.to_string(), v.to_json());
                }
                Value::Object(out)
            }
        }
    }

    /// The value with every borrowed text copied.
    pub(crate) fn into_owned(self) -> V<'static> {
        match self {
            V::Null => V::Null,
            V::Bool(b) => V::Bool(b),
            V::Int(i) => V::Int(i),
            V::Str(s) => V::Str(Cow::Owned(s.into_owned())),
            V::List(items) => V::List(items.into_iter().map(V::into_owned).collect()),
            V::Map(m) => V::Map(VMap {
                entries: m
                    .entries
                    .into_iter()
                    .map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_owned()))
                    .collect(),
            }),
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Self> {
        match self {
            V::Map(m) => m.get(key),
            _ => None,
        }
    }

    /// Truthiness as handlebars judges it (`#if`): false, null, 0, "" and empty lists and
    /// objects are false.
    pub(crate) fn is_truthy(&self) -> bool {
        match self {
            V::Null => false,
            V::Bool(b) => *b,
            V::Int(i) => *i != 0,
            V::Str(s) => !s.is_empty(),
            V::List(items) => !items.is_empty(),
            V::Map(m) => !m.is_empty(),
        }
    }

    pub(crate) fn is_null(&self) -> bool {
        matches!(self, V::Null)
    }
}

impl<'a> From<&'a str> for V<'a> {
    fn from(s: &'a str) -> Self {
        V::Str(Cow::Borrowed(s))
    }
}

impl From<String> for V<'_> {
    fn from(s: String) -> Self {
        V::Str(Cow::Owned(s))
    }
}

impl<'a> From<Cow<'a, str>> for V<'a> {
    fn from(s: Cow<'a, str>) -> Self {
        V::Str(s)
    }
}

impl From<bool> for V<'_> {
    fn from(b: bool) -> Self {
        V::Bool(b)
    }
}

impl From<usize> for V<'_> {
    fn from(n: usize) -> Self {
        V::Int(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

impl<'a, T: Into<V<'a>>> From<Option<T>> for V<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(V::Null, Into::into)
    }
}

impl<'a> From<Vec<V<'a>>> for V<'a> {
    fn from(items: Vec<V<'a>>) -> Self {
        V::List(items)
    }
}

impl<'a> From<VMap<'a>> for V<'a> {
    fn from(m: VMap<'a>) -> Self {
        V::Map(m)
    }
}

/// A [`V::Map`] from `"key" => value` pairs (values through `V::from`).
macro_rules! vmap {
    ($($k:literal => $v:expr),* $(,)?) => {{
        let mut m = $crate::view::VMap::with_capacity(0 $(+ { let _ = $k; 1 })*);
        $( m.push($k, $crate::view::V::from($v)); )*
        $crate::view::V::Map(m)
    }};
}
pub(crate) use vmap;
