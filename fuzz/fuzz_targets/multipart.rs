//! Arbitrary bytes as a multipart/form-data body posted to the Pipedrive form: the part reader
//! keeps to its limits, and building the submission never panics.
#![no_main]

#[path = "common.rs"]
mod common;

use axum::extract::{FromRequest, Multipart};
use formwork_server::form::read_multipart;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let request = axum::http::Request::builder()
        .method("POST")
        .header("content-type", "multipart/form-data; boundary=XyZ")
        .body(axum::body::Body::from(data.to_vec()))
        .expect("a request");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let posted = runtime.block_on(async {
        let multipart = Multipart::from_request(request, &()).await.ok()?;
        read_multipart(common::form(), multipart).await.ok()
    });
    if let Some(posted) = posted {
        common::build_posted(&posted, false);
    }
});
