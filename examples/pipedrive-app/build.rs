//! Generates the Rust types of `specs/pipedrive-app.yaml`, `specs/contact.yaml` and
//! `specs/github-marketplace.yaml` (workspace root)
//! and of this crate's `specs/edge-cases.yaml` (used by `tests/edge_cases.rs`) into `OUT_DIR`.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let specs = [
        manifest.join("../../specs/pipedrive-app.yaml"),
        manifest.join("../../specs/contact.yaml"),
        manifest.join("../../specs/github-marketplace.yaml"),
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
