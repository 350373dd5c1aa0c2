//! Arbitrary bytes as a posted form (urlencoded), decoded and built into a submission of the
//! Pipedrive form, then validated: nothing panics.
#![no_main]

use std::sync::OnceLock;

use formwork_schema::Form;
use formwork_server::form::{Context, build, read_urlencoded};
use libfuzzer_sys::fuzz_target;

fn form() -> &'static Form {
    static F: OnceLock<Form> = OnceLock::new();
    F.get_or_init(|| {
        formwork_schema::load_str(
            "pipedrive-app.yaml",
            include_str!("../../specs/pipedrive-app.yaml"),
        )
        .expect("the Pipedrive spec loads")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(posted) = read_urlencoded(data) else {
        return;
    };
    let cx = Context {
        uploads: Default::default(),
        kept: Default::default(),
        stored: None,
        keep_blank_items: data.first().is_some_and(|b| b & 1 == 1),
    };
    let built = build(form(), &posted, &cx);
    let _ = formwork_server::form::without_secrets(
        &formwork_server::form::root_fields(form()),
        &built.value,
    );
});
