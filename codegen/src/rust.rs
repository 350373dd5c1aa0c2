//! Rust emitter (owned by the Rust-emitter work).
