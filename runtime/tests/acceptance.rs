//! Every acceptance case of the Pipedrive form gets the verdict, errors and warnings it demands.

mod common;
use common::*;

fn covers(expected: &str, reported: &str) -> bool {
    expected.is_empty() || reported == expected || reported.starts_with(&format!("{expected}/"))
}

#[test]
fn every_acceptance_case_gets_its_verdict() {
    let v = validator();
    let mut n = 0;
    let mut failures = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(cases_dir())
        .expect("cases dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
    {
        let c: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json");
        let name = c["name"].as_str().unwrap_or("?").to_string();
        let report = check(&v, &c["submission"], c["stage"].as_str().expect("stage"));
        let want = &c["expect"];
        n += 1;
        if report.valid != want["valid"].as_bool().expect("valid") {
            failures.push(format!(
                "{name}: valid={} errors={:?}",
                report.valid, report.errors
            ));
            continue;
        }
        for (kind, got) in [("errors", &report.errors), ("warnings", &report.warnings)] {
            for exp in want[kind]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e.as_str())
            {
                if !got.iter().any(|i| covers(exp, &i.path)) {
                    failures.push(format!("{name}: expected {kind} at {exp}, got {got:?}"));
                }
            }
        }
        if want["exact_warnings"].as_bool() == Some(true) {
            let wanted: Vec<&str> = want["warnings"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e.as_str())
                .collect();
            for w in &report.warnings {
                if !wanted.iter().any(|e| covers(e, &w.path)) {
                    failures.push(format!("{name}: unexpected warning {w:?}"));
                }
            }
        }
    }
    assert!(n >= 40, "only {n} cases found");
    assert!(
        failures.is_empty(),
        "{} of {n} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
