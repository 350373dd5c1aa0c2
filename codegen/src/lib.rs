//! formwork's emitters: one checked [`Form`] in, deterministic artefacts out.
//!
//! - [`rust`]: Rust types, one module per stage (proc-macro2/quote → syn → prettyplease).
//! - [`json_schema`]: one JSON Schema (draft 2020-12) per stage.
//! - [`html`]: a handlebars template of the whole form plus the partials it uses.
//! - [`generate`]: all artefacts of a form as files; [`Builder`] for `build.rs`.

#![deny(missing_docs)]

mod compiled;
pub mod generate;
pub mod html;
pub mod json_schema;
pub mod rust;
mod view;

pub use formwork_schema::Form;
pub use generate::{Builder, GeneratedFile, generate};
