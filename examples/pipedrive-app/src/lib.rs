#![deny(warnings)]
//! Types generated at build time by formwork from `specs/pipedrive-app.yaml`, `specs/contact.yaml`
//! and `specs/github-marketplace.yaml`.

/// The Pipedrive Marketplace app registration form: one module per stage (`save`, `review`).
pub mod pipedrive_app {
    include!(concat!(env!("OUT_DIR"), "/pipedrive_app.rs"));
}

/// The contact form: one stage (`submit`).
pub mod contact {
    include!(concat!(env!("OUT_DIR"), "/contact.rs"));
}

/// The GitHub Marketplace app listing: one module per stage (`draft`, `publish`); pricing plans
/// are an enum of their variants.
pub mod github_marketplace {
    include!(concat!(env!("OUT_DIR"), "/github_marketplace.rs"));
}
