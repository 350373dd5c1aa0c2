//! Arbitrary text as a spec: loading never panics; a spec that loads also compiles, or says why.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(form) = formwork_schema::load_str("fuzz.yaml", text) {
        let _ = formwork_runtime::Validator::compile(&form);
    }
});
