//! The JSON API keeps to its OpenAPI 3.1 document: schemathesis (tests/requirements.txt) reads
//! `/openapi.json` from a running `formwork serve` and sends generated valid and invalid requests
//! (examples, coverage, fuzzing and stateful phases, signed in with an API token). Every check must
//! pass: no 5xx, every status, content type, header and body as documented, invalid data refused.

mod support;

use std::process::Command;

use support::{account_token, root, serve};

/// The schemathesis of the project's virtual environment (made by tests/run.sh).
fn schemathesis() -> std::path::PathBuf {
    let st = root().join(".venv/bin/schemathesis");
    assert!(
        st.is_file(),
        "{} is missing: run tests/run.sh, which installs tests/requirements.txt into .venv",
        st.display()
    );
    st
}

#[test]
fn the_json_api_keeps_to_its_openapi_document() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("api.db");
    let token = account_token(&db, "dev@example.com");
    let server = serve(&db);
    let report = dir.path().join("report");
    let out = Command::new(schemathesis())
        .arg("--config-file")
        .arg(root().join("tests/api/schemathesis.toml"))
        .arg("run")
        .arg(format!("http://{}/openapi.json", server.1))
        .args([
            "--checks",
            "all",
            "--max-examples",
            "40",
            "--seed",
            "20261129",
        ])
        .args(["--workers", "1", "--request-timeout", "20", "--no-color"])
        .args(["--report", "ndjson", "--report-dir"])
        .arg(&report)
        .arg("-H")
        .arg(format!("Authorization: Bearer {token}"))
        .env("NO_COLOR", "1")
        .output()
        .expect("schemathesis runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.contains("SUMMARY"))
        .collect();
    println!("{}", summary.join("\n"));
    assert!(
        out.status.success(),
        "schemathesis found problems:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("Tested: 7"),
        "every operation of the document is tested:\n{stdout}"
    );
}
