//! Durability: bounded concurrent saves through the JSON API to a real `formwork serve`, then
//! `kill -9` in the middle of them, then a restart on the same database: every save the server
//! acknowledged is there, and SQLite's `integrity_check` is `ok`.

mod support;

use support::{account_token, saves_until_kill_9, serve};

#[test]
fn every_acknowledged_save_survives_kill_9() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("durable.db");
    let token = account_token(&db, "ada@example.com");

    let mut server = serve(&db);
    let addr = server.1.clone();
    let saved = saves_until_kill_9(&[addr], &token, 200, &mut server.0);

    // Restart on the same database: every acknowledged save is there, as sent.
    let server = serve(&db);
    drop(server);
    let conn = rusqlite::Connection::open(&db).expect("db");
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(check, "ok");
    for (id, body) in &saved {
        let data: String = conn
            .query_row("SELECT data FROM records WHERE id = ?1", [id], |r| r.get(0))
            .unwrap_or_else(|e| panic!("acknowledged record {id} lost: {e}"));
        let sent: serde_json::Value = serde_json::from_str(body).expect("json");
        let stored: serde_json::Value = serde_json::from_str(&data).expect("json");
        assert_eq!(stored["app_name"], sent["app_name"]);
        let versions: i64 = conn
            .query_row(
                "SELECT count(*) FROM record_versions WHERE record_id = ?1",
                [id],
                |r| r.get(0),
            )
            .expect("history");
        assert_eq!(versions, 1, "its history too");
    }
}
