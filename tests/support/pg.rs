//! The PostgreSQL cluster of the tests (`FORMWORK_TEST_PG`, started by `tests/run.sh`): whether
//! there is one, and a fresh database in it per test. Shared by the root tests and the server's.

#![allow(dead_code)] // each test binary uses part of it

/// The cluster's admin URL, if there is one to test against. Without `FORMWORK_TEST_PG` the
/// PostgreSQL tests are skipped with a message, unless `FORMWORK_REQUIRE_PG=1` (set by
/// `tests/run.sh`) makes its absence a failure.
pub fn pg_url() -> Option<String> {
    match std::env::var("FORMWORK_TEST_PG") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("FORMWORK_REQUIRE_PG").as_deref() != Ok("1"),
                "FORMWORK_REQUIRE_PG=1 but FORMWORK_TEST_PG is not set: run the tests with tests/run.sh"
            );
            eprintln!(
                "PostgreSQL tests skipped: FORMWORK_TEST_PG is not set (tests/run.sh sets it)"
            );
            None
        }
    }
}

/// A new, empty database in the cluster at `admin`; its URL.
pub fn fresh_pg_database(admin: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let name = format!(
        "fw_{}_{nanos}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let mut client = postgres::Client::connect(admin, postgres::NoTls).expect("test cluster");
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create database");
    let (base, _) = admin.rsplit_once('/').expect("URL with a database");
    format!("{base}/{name}")
}
