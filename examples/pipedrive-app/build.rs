//! Generates into `OUT_DIR` the Rust types of `specs/pipedrive-app.yaml`, `specs/contact.yaml`,
//! `specs/github-marketplace.yaml`, the conditions test spec `tests/conditions/spec.yaml` (used by
//! `tests/conditions.rs`) and this crate's `specs/edge-cases.yaml` (used by `tests/edge_cases.rs`).

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let specs = [
        manifest.join("../../specs/pipedrive-app.yaml"),
        manifest.join("../../specs/contact.yaml"),
        manifest.join("../../specs/github-marketplace.yaml"),
        manifest.join("../../tests/conditions/spec.yaml"),
        manifest.join("specs/edge-cases.yaml"),
    ];
    for spec in specs {
        if let Err(e) = formwork_codegen::Builder::new(&spec).compile() {
            eprintln!("error: {}: {e}", spec.display());
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
