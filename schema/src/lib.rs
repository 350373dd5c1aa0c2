//! formwork's spec language.
//!
//! - [`raw`]: the YAML surface model (serde + schemars; `formwork spec-schema` prints its schema).
//! - [`load`]: YAML → located model → spec checks → [`model::Form`], with every error located.
//! - [`model`]: the checked IR that the emitters and the runtime consume.
//! - [`diff`]: what changed between two versions of a spec, and what each change breaks.
//! - [`error`]: located diagnostics, rendered as `FILE:LINE:COL: message` with a snippet.
//! - [`expr`]: CEL expressions embedded in specs.
//! - [`pointer`]: RFC 6901 JSON Pointer segments.

#![deny(missing_docs)]

pub mod diff;
pub mod error;
pub mod expr;
pub mod load;
pub mod located;
pub mod model;
pub mod pointer;
pub mod raw;

pub use error::{Diagnostic, SpecError};
pub use load::{Spec, load_file, load_spec, load_spec_str, load_str};
pub use located::{Located, Pos};
pub use model::Form;

/// The JSON Schema (draft 2020-12) of the spec language itself, for YAML editors.
pub fn spec_language_schema() -> serde_json::Value {
    let schema = schemars::schema_for!(raw::SpecFile);
    schema.to_value()
}
