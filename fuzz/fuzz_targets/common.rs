//! What the fuzz targets share: the Pipedrive form, loaded once, and the posted-form pipeline.

use std::sync::OnceLock;

use formwork_schema::Form;
use formwork_server::form::{Context, Posted, build, root_fields, without_secrets};

/// The bundled Pipedrive form.
pub fn form() -> &'static Form {
    static F: OnceLock<Form> = OnceLock::new();
    F.get_or_init(|| {
        formwork_schema::load_str(
            "pipedrive-app.yaml",
            include_str!("../../specs/pipedrive-app.yaml"),
        )
        .expect("the Pipedrive spec loads")
    })
}

/// Builds the submission of a posted form, as the server does, and strips its secrets.
#[allow(dead_code)] // not every target posts forms
pub fn build_posted(posted: &Posted, keep_blank_items: bool) {
    let cx = Context {
        uploads: Default::default(),
        kept: Default::default(),
        stored: None,
        keep_blank_items,
    };
    let built = build(form(), posted, &cx);
    let _ = without_secrets(&root_fields(form()), &built.value);
}
