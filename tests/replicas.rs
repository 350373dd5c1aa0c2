//! Several `formwork serve` replicas on one PostgreSQL database: a person signs in on one and
//! goes on on another, a save conflict between replicas is a 409 (never a lost update), and
//! `kill -9` of one replica under load loses no acknowledged save. Needs the test cluster
//! (`FORMWORK_TEST_PG`, started by `tests/run.sh`; see `tests/support/pg.rs`).

use std::ffi::OsStr;
use std::process::Command;
use std::sync::{Arc, Barrier};

mod support;

use serde_json::Value;
use support::pg::{fresh_pg_database, pg_url};
use support::{
    Response, Server, account_token, add_account, api_get, request, saves_until_kill_9, serve_with,
    token_for,
};

const PASSWORD: &str = "correct horse battery";

/// Two replicas on a fresh database sharing one key file (the first creates it).
fn replicas(url: &str, key: &std::path::Path) -> (Server, Server) {
    let args = [OsStr::new("--key-file"), key.as_os_str()];
    let a = serve_with(OsStr::new(url), &args);
    let b = serve_with(OsStr::new(url), &args);
    (a, b)
}

/// The value of hidden input `name` in an HTML page.
fn hidden(page: &str, name: &str) -> String {
    let doc = scraper::Html::parse_document(page);
    let sel = scraper::Selector::parse(&format!("input[name=\"{name}\"]")).expect("selector");
    doc.select(&sel)
        .next()
        .and_then(|e| e.value().attr("value"))
        .unwrap_or_else(|| panic!("no {name} field in {page}"))
        .to_string()
}

fn form_post(addr: &str, path: &str, cookie: &str, body: &str) -> Response {
    request(
        addr,
        "POST",
        path,
        &[
            ("Cookie", cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        Some(body.as_bytes()),
    )
    .expect("the replica answers")
}

#[test]
fn a_person_moves_between_replicas_and_conflicts_are_409() {
    let Some(admin) = pg_url() else { return };
    let url = fresh_pg_database(&admin);
    let dir = tempfile::tempdir().expect("tmp");
    add_account(OsStr::new(&url), "ada@example.com", Some(PASSWORD));
    let token = token_for(OsStr::new(&url), "ada@example.com");
    let (a, b) = replicas(&url, &dir.path().join("replicas.key"));
    let (a, b) = (a.1.as_str(), b.1.as_str());

    // Sign in on A: the CSRF cookie and token of A's page, the session A stores.
    let page = request(a, "GET", "/sign-in", &[], None).expect("A answers");
    let csrf = hidden(&page.body, "_csrf");
    let csrf_cookie = page.cookies().join("; ");
    let signed = form_post(
        a,
        "/sign-in",
        &csrf_cookie,
        &format!("_csrf={csrf}&email=ada%40example.com&password=correct+horse+battery&next=%2F"),
    );
    assert_eq!(signed.status, 303, "{}", signed.body);
    let cookie = [csrf_cookie, signed.cookies().join("; ")].join("; ");

    // B knows the session and takes A's CSRF token: the blank form, then a new record.
    let blank = request(b, "GET", "/new", &[("Cookie", &cookie)], None).expect("B answers");
    assert_eq!(blank.status, 200, "signed in on B too: {}", blank.body);
    let created = form_post(
        b,
        "/new",
        &cookie,
        &format!(
            "_csrf={csrf}&_stage=save&app_name=Across+replicas&callback_url=https%3A%2F%2Fexample.com%2Fcb&review_notifications=true"
        ),
    );
    assert_eq!(created.status, 303, "{}", created.body);
    let location = created.header("location").expect("location").to_string();
    let id: String = location
        .trim_start_matches("/records/")
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert_eq!(id.len(), 32, "{location}");

    // A shows what B saved.
    let shown = request(a, "GET", &location, &[("Cookie", &cookie)], None).expect("A");
    assert_eq!(shown.status, 200);
    assert!(shown.body.contains("Across replicas"), "{}", shown.body);
    assert_eq!(hidden(&shown.body, "_version"), "1");

    // The same version edited on both at once: exactly one wins, the other is told (409).
    let barrier = Arc::new(Barrier::new(2));
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let edits: Vec<_> = [(a, "Edited on A"), (b, "Edited on B")]
            .into_iter()
            .map(|(addr, name)| {
                let (barrier, cookie, location, csrf) = (
                    Arc::clone(&barrier),
                    cookie.clone(),
                    location.clone(),
                    csrf.clone(),
                );
                s.spawn(move || {
                    let body = format!(
                        "_csrf={csrf}&_version=1&_stage=save&app_name={}&callback_url=https%3A%2F%2Fexample.com%2Fcb&review_notifications=true",
                        name.replace(' ', "+")
                    );
                    barrier.wait();
                    form_post(addr, &location, &cookie, &body).status
                })
            })
            .collect();
        edits.into_iter().map(|h| h.join().expect("edit")).collect()
    });
    let mut sorted = statuses.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, [303, 409], "{statuses:?}");
    let winner = if statuses[0] == 303 {
        "Edited on A"
    } else {
        "Edited on B"
    };

    // Either replica tells the same history: the create and the winning edit.
    for addr in [a, b] {
        let r = api_get(addr, &format!("/api/records/{id}/versions"), &token).expect("history");
        assert_eq!(r.status, 200, "{}", r.body);
        let v: Value = serde_json::from_str(&r.body).expect("json");
        let versions = v
            .as_array()
            .or_else(|| v["versions"].as_array())
            .unwrap_or_else(|| panic!("versions: {}", r.body));
        let names: Vec<&str> = versions
            .iter()
            .map(|x| x["data"]["app_name"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(names, ["Across replicas", winner], "{addr}");
    }

    // A third replica given another key file refuses to start: it could not open the secrets
    // the others sealed, and they could not open its.
    let spec = support::root().join("specs/pipedrive-app.yaml");
    let other = dir.path().join("other.key");
    let o = formwork(&[
        OsStr::new("serve"),
        spec.as_os_str(),
        OsStr::new("--addr"),
        OsStr::new("127.0.0.1:0"),
        OsStr::new("--db"),
        OsStr::new(&url),
        OsStr::new("--key-file"),
        other.as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("the key file does not open"),
        "{o:?}"
    );
}

#[test]
fn kill_9_of_one_replica_loses_no_acknowledged_save() {
    let Some(admin) = pg_url() else { return };
    let url = fresh_pg_database(&admin);
    let dir = tempfile::tempdir().expect("tmp");
    let token = account_token(&url, "ada@example.com");
    let (a, mut b) = replicas(&url, &dir.path().join("replicas.key"));
    // Four writers, two per replica; bounded: 150 saves each, for at most 20 s.
    let saved = saves_until_kill_9(&[a.1.clone(), b.1.clone()], &token, 150, &mut b.0);

    // The surviving replica has every acknowledged save, as sent, each with its history.
    for (id, body) in &saved {
        let r = api_get(&a.1, &format!("/api/records/{id}"), &token).expect("A answers");
        assert_eq!(r.status, 200, "acknowledged record {id} lost: {}", r.body);
        let stored: Value = serde_json::from_str(&r.body).expect("json");
        let sent: Value = serde_json::from_str(body).expect("json");
        assert_eq!(stored["data"]["app_name"], sent["app_name"], "{}", r.body);
        assert_eq!(stored["version"], 1);
    }
}

fn formwork(args: &[&OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_formwork"))
        .args(args)
        .output()
        .expect("formwork runs")
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `formwork db export/import` move a previous release's SQLite store to PostgreSQL losslessly,
/// and the `records` commands tell the same on both.
#[test]
fn db_commands_move_a_store_to_postgres_and_records_commands_agree() {
    let Some(admin) = pg_url() else { return };
    let url = fresh_pg_database(&admin);
    let pg = OsStr::new(&url);
    let dir = tempfile::tempdir().expect("tmp");
    let lite = dir.path().join("v1.db");
    std::fs::copy(support::root().join("tests/evolution/v1.db"), &lite).expect("copy");
    let (first, second) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
    let db = OsStr::new("--db");

    let o = formwork(&["db", "migrate", "--db", &url].map(OsStr::new));
    assert!(o.status.success(), "{o:?}");
    assert!(
        stdout(&o).ends_with("schema version 4, up to date\n"),
        "{o:?}"
    );
    assert!(
        !stdout(&o).contains("://postgres:"),
        "no password to hide here"
    );

    let o = formwork(&[
        OsStr::new("db"),
        OsStr::new("export"),
        db,
        lite.as_os_str(),
        OsStr::new("--out"),
        first.as_os_str(),
    ]);
    assert!(o.status.success(), "{o:?}");
    let import = || {
        formwork(&[
            OsStr::new("db"),
            OsStr::new("import"),
            first.as_os_str(),
            db,
            pg,
        ])
    };
    let o = import();
    assert!(o.status.success(), "{o:?}");
    assert!(stdout(&o).contains("4 records"), "{o:?}");
    let o = formwork(&[
        OsStr::new("db"),
        OsStr::new("export"),
        db,
        pg,
        OsStr::new("--out"),
        second.as_os_str(),
    ]);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(
        std::fs::read_to_string(&first).expect("export"),
        std::fs::read_to_string(&second).expect("export"),
        "lossless"
    );
    let o = import();
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("not empty"),
        "{o:?}"
    );

    let v2 = support::root().join("tests/evolution/pipedrive-app.v2.yaml");
    for command in ["check", "migrate"] {
        let on = |store: &OsStr| {
            formwork(&[
                OsStr::new("records"),
                OsStr::new(command),
                v2.as_os_str(),
                db,
                store,
            ])
        };
        let (a, b) = (on(lite.as_os_str()), on(pg));
        assert_eq!(a.status.code(), b.status.code(), "{command}: {a:?} {b:?}");
        assert_eq!(
            stdout(&a),
            stdout(&b),
            "records {command}: the same on both"
        );
        assert!(!stdout(&a).is_empty());
    }

    let o = formwork(&[OsStr::new("serve"), OsStr::new("spec.yaml"), db, pg]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--key-file"),
        "{o:?}"
    );
}

/// The database going away answers 503 with `Retry-After` (nothing half done), and the replica
/// carries on by itself when it is back: connections idle for a second are tested before use,
/// broken ones replaced.
#[test]
fn a_replica_answers_503_while_its_database_is_gone_and_recovers() {
    let Some(admin) = pg_url() else { return };
    let url = fresh_pg_database(&admin);
    let name = url.rsplit('/').next().expect("database name").to_string();
    let dir = tempfile::tempdir().expect("tmp");
    let token = account_token(&url, "ada@example.com");
    let key = dir.path().join("k.key");
    let replica = serve_with(
        OsStr::new(&url),
        &[OsStr::new("--key-file"), key.as_os_str()],
    );
    let body = r#"{"app_name": "Before", "callback_url": "https://d.example/cb"}"#;
    let id = support::create_record(&replica.1, &token, body).expect("saved");
    let mut pg = postgres::Client::connect(&admin, postgres::NoTls).expect("cluster");
    let cut = |pg: &mut postgres::Client, allow: bool| {
        pg.batch_execute(&format!(
            "ALTER DATABASE {name} ALLOW_CONNECTIONS {allow};
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}';"
        ))
        .expect("admin");
    };
    cut(&mut pg, false);
    let r = api_get(&replica.1, &format!("/api/records/{id}"), &token).expect("answers");
    assert_eq!(r.status, 503, "{}", r.body);
    assert_eq!(r.header("retry-after"), Some("5"));
    cut(&mut pg, true);
    // Connections idle for a second are tested before use: the dead ones are replaced.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let r = api_get(&replica.1, &format!("/api/records/{id}"), &token).expect("answers");
    assert_eq!(r.status, 200, "back by itself: {}", r.body);
    assert!(r.body.contains("Before"));
}
