#![deny(warnings)]
//! Types generated at build time by formwork from `specs/pipedrive-app.yaml` and `specs/contact.yaml`.

/// The Pipedrive Marketplace app registration form: one module per stage (`save`, `review`).
pub mod pipedrive_app {
    include!(concat!(env!("OUT_DIR"), "/pipedrive_app.rs"));
}

/// The contact form: one stage (`submit`).
pub mod contact {
    include!(concat!(env!("OUT_DIR"), "/contact.rs"));
}
