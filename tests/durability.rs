//! Durability: bounded concurrent saves through the JSON API to a real `formwork serve`, then
//! `kill -9` in the middle of them, then a restart on the same database: every save the server
//! acknowledged is there, and SQLite's `integrity_check` is `ok`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod support;

use support::{account_token, serve};

/// `POST /api/records?stage=save` with `body`; the new record's id when the server says 201.
fn create(addr: &str, token: &str, body: &str) -> Option<String> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(20))).ok()?;
    let request = format!(
        "POST /api/records?stage=save HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    s.read_to_string(&mut response).ok()?;
    if !response.starts_with("HTTP/1.1 201") {
        return None;
    }
    let json = response.split("\r\n\r\n").nth(1)?;
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    v["id"].as_str().map(String::from)
}

#[test]
fn every_acknowledged_save_survives_kill_9() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("durable.db");
    let token = account_token(&db, "ada@example.com");

    let mut server = serve(&db);
    let addr = server.1.clone();
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let deadline = Instant::now() + Duration::from_secs(20);
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (addr, token, acknowledged) =
                (addr.clone(), token.clone(), Arc::clone(&acknowledged));
            std::thread::spawn(move || {
                // Bounded: at most 200 saves per writer, and never past the deadline.
                for i in 0..200 {
                    if Instant::now() > deadline {
                        break;
                    }
                    let body = format!(
                        r#"{{"app_name": "Writer {w} save {i}", "callback_url": "https://d.example/{w}/{i}"}}"#
                    );
                    match create(&addr, &token, &body) {
                        Some(id) => acknowledged.lock().expect("lock").push((id, body)),
                        None => break, // the server is gone
                    }
                }
            })
        })
        .collect();
    // Let the writers get going, then kill the server without warning.
    let started = Instant::now();
    while acknowledged.lock().expect("lock").len() < 40
        && started.elapsed() < Duration::from_secs(15)
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = server.0.id().to_string();
    let killed = Command::new("kill")
        .args(["-9", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let _ = server.0.wait();
    for w in writers {
        w.join().expect("writer");
    }
    let saved = acknowledged.lock().expect("lock").clone();
    assert!(
        saved.len() >= 40,
        "only {} saves before the kill",
        saved.len()
    );

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
