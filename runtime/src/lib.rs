//! formwork's runtime: compile a spec once, validate every submission.
//!
//! - [`Validator`]: compiled from a checked [`formwork_schema::Form`]; `validate` returns a [`Report`],
//!   `validate_json` the same report straight from the bytes, in one pass without a tree.
//! - [`report`]: issues at JSON Pointers with codes, messages and parameters.
//! - [`messages`]: the message catalogue (one place, ready for translation).
//! - [`json`]: reading a submission with bounded memory (at most [`json::MAX_JSON_VALUES`] values).
//! - [`files`]: real media type and dimensions of uploads, from their bytes.
//! - [`url`], [`text`]: format checks shared with other tools.

#![deny(missing_docs)]

mod cel_eval;
mod compile;
pub mod files;
pub mod json;
pub mod messages;
pub mod report;
pub mod text;
pub mod url;
mod validate;

pub use formwork_schema::Form;
pub use report::{Issue, Param, Report};
/// Re-exported for generated code, which converts its values to JSON to validate them.
pub use serde_json;
pub use validate::{MAX_ISSUES, MAX_LIST_ITEMS, StageRef, UnknownStage, Validator};
