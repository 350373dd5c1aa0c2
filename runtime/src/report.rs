//! The validation report: every problem at its JSON Pointer, with a code, a message and parameters.

use serde::Serialize;

/// A parameter value of an issue (numbers and text).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Param {
    /// A whole number.
    Int(i64),
    /// A number.
    Float(f64),
    /// Text.
    Text(String),
}

impl From<u64> for Param {
    fn from(v: u64) -> Self {
        Param::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}
impl From<u32> for Param {
    fn from(v: u32) -> Self {
        Param::Int(i64::from(v))
    }
}
impl From<usize> for Param {
    fn from(v: usize) -> Self {
        Param::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}
impl From<f64> for Param {
    fn from(v: f64) -> Self {
        Param::Float(v)
    }
}
impl From<&str> for Param {
    fn from(v: &str) -> Self {
        Param::Text(v.to_string())
    }
}
impl From<String> for Param {
    fn from(v: String) -> Self {
        Param::Text(v)
    }
}

impl std::fmt::Display for Param {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Param::Int(i) => write!(f, "{i}"),
            Param::Float(x) => write!(f, "{x}"),
            Param::Text(s) => f.write_str(s),
        }
    }
}

/// One problem (error or warning) found in a submission.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Issue {
    /// RFC 6901 JSON Pointer to the value (`""` is the whole submission).
    pub path: String,
    /// Stable machine-readable code (e.g. `max_length`, or a rule id).
    pub code: String,
    /// Human message (from the catalogue, or the spec's override).
    pub message: String,
    /// The message's parameters (e.g. `max`, `actual`, `value`, `count`).
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "params_as_map"
    )]
    pub params: Vec<(&'static str, Param)>,
}

fn params_as_map<S: serde::Serializer>(
    params: &[(&'static str, Param)],
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(params.len()))?;
    for (k, v) in params {
        m.serialize_entry(k, v)?;
    }
    m.end()
}

/// The outcome of validating one submission at one stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// True when there are no errors (warnings allowed).
    pub valid: bool,
    /// The stage validated against.
    pub stage: String,
    /// Problems that make the submission invalid.
    pub errors: Vec<Issue>,
    /// Problems reported for information only.
    pub warnings: Vec<Issue>,
    /// Whether problems were left out (past [`crate::MAX_ISSUES`]); the last error then
    /// says how many.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

impl Report {
    /// The report as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| String::from("{}"))
    }
}

pub use formwork_schema::pointer::push_segment as push_pointer_segment;
