//! Arbitrary bytes as a posted form (urlencoded), decoded and built into a submission of the
//! Pipedrive form: nothing panics.
#![no_main]

#[path = "common.rs"]
mod common;

use formwork_server::form::read_urlencoded;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(posted) = read_urlencoded(data) else {
        return;
    };
    common::build_posted(&posted, data.first().is_some_and(|b| b & 1 == 1));
});
