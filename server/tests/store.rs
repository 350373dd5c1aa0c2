//! The store, the same tests on both backends: SQLite (a temporary file) and PostgreSQL (a fresh
//! database per test in the cluster at `FORMWORK_TEST_PG`, which `tests/run.sh` starts).
//!
//! Without `FORMWORK_TEST_PG` the PostgreSQL half is skipped with a message, unless
//! `FORMWORK_REQUIRE_PG=1` (set by `tests/run.sh`), which makes its absence a failure
//! (`tests/support/pg.rs`).

use std::sync::{Arc, Barrier};

use formwork_server::store::transfer;
use formwork_server::store::{Location, NewFile, Save, Store, StoreError, StoredSpec, Update};
use serde_json::{Value, json};

const SPEC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../specs/pipedrive-app.yaml");

/// A database for one test, and what keeps it alive.
struct Db {
    location: Location,
    name: &'static str,
    _dir: Option<tempfile::TempDir>,
}

impl Db {
    fn open(&self) -> Store {
        Store::connect(&self.location).unwrap_or_else(|e| panic!("{}: {e}", self.name))
    }
}

#[path = "../../tests/support/pg.rs"]
mod pg;
use pg::{fresh_pg_database, pg_url};

/// Fresh databases of every backend available.
fn backends() -> Vec<Db> {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut out = vec![Db {
        location: Location::Sqlite(dir.path().join("store.db")),
        name: "sqlite",
        _dir: Some(dir),
    }];
    if let Some(admin) = pg_url() {
        out.push(Db {
            location: Location::Postgres(fresh_pg_database(&admin)),
            name: "postgres",
            _dir: None,
        });
    }
    out
}

fn save<'a>(status: &'a str, data: &'a Value) -> Save<'a> {
    Save {
        status,
        data,
        files: &[],
        spec: None,
        actor: None,
        event: "save",
        stage: None,
        note: None,
    }
}

#[test]
fn create_update_conflict_and_history() {
    for db in backends() {
        let store = db.open();
        assert_eq!(store.schema_version().unwrap(), 4, "{}", db.name);
        let r = store
            .create("a", &json!({"id": "1"}), save("hidden", &json!({"x": 1})))
            .unwrap();
        assert_eq!((r.version, r.created.len()), (1, 20), "{}", db.name);
        let Update::Saved(r2) = store
            .update("a", 1, save("in_review", &json!({"x": 2})))
            .unwrap()
        else {
            panic!("{}: not saved", db.name)
        };
        assert_eq!((r2.version, r2.status.as_str()), (2, "in_review"));
        let Update::Conflict(cur) = store
            .update("a", 1, save("hidden", &json!({"x": 3})))
            .unwrap()
        else {
            panic!("{}: no conflict", db.name)
        };
        assert_eq!(cur.data, json!({"x": 2}));
        assert!(matches!(
            store.update("b", 1, save("hidden", &json!({}))).unwrap(),
            Update::NotFound
        ));
        let history = store.versions("a").unwrap();
        let seen: Vec<(i64, &str, &Value)> = history
            .iter()
            .map(|v| (v.version, v.status.as_str(), &v.data))
            .collect();
        assert_eq!(
            seen,
            [
                (1, "hidden", &json!({"x": 1})),
                (2, "in_review", &json!({"x": 2}))
            ],
            "{}",
            db.name
        );
    }
}

#[test]
fn workflow_lists_and_events() {
    for db in backends() {
        let store = db.open();
        let ada = store.create_account("ada@example.com", None, None).unwrap();
        let rev = store
            .create_account("rev@example.com", None, Some("reviewer"))
            .unwrap();
        for (id, status) in [("r1", "draft"), ("r2", "submitted"), ("r3", "submitted")] {
            let data = json!({"n": id});
            let s = Save {
                actor: Some(&ada.id),
                stage: Some("save"),
                ..save(status, &data)
            };
            store.create(id, &json!({}), s).unwrap();
        }
        let mine = store.list_owned(&ada.id, None, 10, 0).unwrap();
        assert_eq!(mine.len(), 3, "{}", db.name);
        let submitted = store.list_owned(&ada.id, Some("submitted"), 10, 0).unwrap();
        assert_eq!(submitted.len(), 2, "{}", db.name);
        assert_eq!(store.list_owned(&ada.id, None, 1, 2).unwrap().len(), 1);
        assert!(store.list_owned(&rev.id, None, 10, 0).unwrap().is_empty());
        let queue = store
            .list_in_statuses(&["submitted".into(), "approved".into()], 10, 0)
            .unwrap();
        let ids: Vec<&str> = queue.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids.len(), 2, "{}", db.name);
        assert!(store.list_in_statuses(&[], 10, 0).unwrap().is_empty());
        let Update::Saved(moved) = store
            .transition(
                "r2",
                1,
                "approved",
                &rev.id,
                "approve",
                Some("fine"),
                Some("/n"),
            )
            .unwrap()
        else {
            panic!("{}: transition", db.name)
        };
        assert_eq!((moved.version, moved.status.as_str()), (2, "approved"));
        assert!(matches!(
            store
                .transition("r2", 1, "rejected", &rev.id, "reject", None, None)
                .unwrap(),
            Update::Conflict(_)
        ));
        let events = store.events("r2").unwrap();
        assert_eq!(
            events[0],
            (
                2,
                "approved".to_string(),
                "approve".to_string(),
                Some("fine".to_string()),
                Some("/n".to_string())
            ),
            "{}",
            db.name
        );
        let versions = store.versions("r2").unwrap();
        assert_eq!(versions[0].stage.as_deref(), Some("save"));
        assert_eq!(
            versions[1].actor_email.as_deref(),
            Some("rev@example.com"),
            "{}",
            db.name
        );
        assert_eq!(store.list().unwrap().len(), 3);
        assert_eq!(store.adopt_unowned(&ada.id).unwrap(), 0);
    }
}

#[test]
fn accounts_sessions_tokens_and_sign_in_limits() {
    for db in backends() {
        let store = db.open();
        let ada = store
            .create_account("Ada@Example.com", Some("$argon2id$x"), None)
            .unwrap();
        assert_eq!(ada.email, "ada@example.com");
        assert!(
            store.create_account("ada@example.com", None, None).is_err(),
            "{}: emails are unique",
            db.name
        );
        store.create_account("-b@example.com", None, None).unwrap();
        store.create_account("a.z@example.com", None, None).unwrap();
        let emails: Vec<String> = store
            .accounts()
            .unwrap()
            .into_iter()
            .map(|a| a.email)
            .collect();
        assert_eq!(
            emails,
            ["-b@example.com", "a.z@example.com", "ada@example.com"],
            "{}: byte order, whatever the locale",
            db.name
        );
        let (found, hash) = store
            .account_by_email(" ADA@example.com ")
            .unwrap()
            .unwrap();
        assert_eq!((found, hash.as_deref()), (ada.clone(), Some("$argon2id$x")));
        store.create_session(&ada.id, "live", 1).unwrap();
        store.create_session(&ada.id, "stale", 0).unwrap();
        assert_eq!(store.session_account("live").unwrap(), Some(ada.clone()));
        assert_eq!(store.session_account("stale").unwrap(), None, "expired");
        store.delete_session("live").unwrap();
        assert_eq!(store.session_account("live").unwrap(), None);
        store.create_session(&ada.id, "again", 1).unwrap();
        store.create_api_token(&ada.id, "tok").unwrap();
        assert_eq!(store.token_account("tok").unwrap(), Some(ada.clone()));
        assert!(store.disable_account("ada@example.com").unwrap());
        assert!(!store.disable_account("nobody@example.com").unwrap());
        assert_eq!(store.session_account("again").unwrap(), None, "{}", db.name);
        assert_eq!(store.token_account("tok").unwrap(), None);
        let keys = vec!["account:x".to_string(), "address:y".to_string()];
        store.record_login_failure(&keys).unwrap();
        store.record_login_failure(&keys).unwrap();
        assert_eq!(
            store.login_failures("account:x", 15).unwrap(),
            2,
            "{}",
            db.name
        );
        store.clear_login_failures("account:x").unwrap();
        assert_eq!(store.login_failures("account:x", 15).unwrap(), 0);
        assert_eq!(store.login_failures("address:y", 15).unwrap(), 2);
    }
}

#[test]
fn specs_are_remembered_once() {
    let form = formwork_schema::load_file(SPEC).unwrap();
    for db in backends() {
        let store = db.open();
        let a = StoredSpec::new(&form, "# one layout");
        let b = StoredSpec::new(&form, "# another layout, same form");
        assert_eq!(a.hash, b.hash, "the hash is of the IR, not the text");
        assert_eq!(a.hash.len(), 64);
        let mut other = form.clone();
        other.version = Some("2".into());
        assert_ne!(StoredSpec::new(&other, "").hash, a.hash);
        store.remember_spec(&a).unwrap();
        store.remember_spec(&b).unwrap();
        let stored = store.spec(&a.hash).unwrap().unwrap();
        assert_eq!(stored.source, "# one layout", "{}", db.name);
        assert_eq!(store.spec("nope").unwrap(), None);
    }
}

#[test]
fn files_round_trip_and_expire() {
    for db in backends() {
        let store = db.open();
        let meta = formwork_runtime::files::sniff("a.json", b"{}", 2);
        let ada = store.create_account("ada@example.com", None, None).unwrap();
        let bob = store.create_account("bob@example.com", None, None).unwrap();
        let bytes: Vec<u8> = (0..=255).collect();
        let tokens = store
            .put_files(
                &[
                    NewFile {
                        field: "f",
                        meta: &meta,
                        bytes: b"{}",
                    },
                    NewFile {
                        field: "g",
                        meta: &meta,
                        bytes: &bytes,
                    },
                ],
                Some(&ada.id),
            )
            .unwrap();
        let found = store
            .files_meta(&[tokens[0].clone(), "nope".into()])
            .unwrap();
        assert_eq!(found[&tokens[0]].meta, meta, "{}", db.name);
        assert_eq!(found.len(), 1);
        assert_eq!(
            store.file(&tokens[1], &ada.id).unwrap(),
            Some(("application/json".to_string(), bytes.clone())),
            "{}: bytes kept exactly",
            db.name
        );
        assert_eq!(store.file(&tokens[0], &bob.id).unwrap(), None);
        assert_eq!(store.pending_uploads(&ada.id).unwrap(), (2, 2 + 2));
        let empty = json!({});
        let s = Save {
            files: &tokens[..1],
            actor: Some(&ada.id),
            ..save("submitted", &empty)
        };
        store.create("r", &json!({}), s).unwrap();
        assert_eq!(store.pending_uploads(&ada.id).unwrap(), (1, 2));
        assert_eq!(
            store
                .file_in_statuses(&tokens[0], &["submitted".into()])
                .unwrap()
                .map(|f| f.1),
            Some(b"{}".to_vec()),
            "{}",
            db.name
        );
        assert_eq!(
            store
                .file_in_statuses(&tokens[0], &["draft".into()])
                .unwrap(),
            None
        );
        assert_eq!(store.delete_orphan_files(10).unwrap(), 0, "too young");
        assert_eq!(store.delete_orphan_files(0).unwrap(), 1, "{}", db.name);
        assert_eq!(store.pending_uploads(&ada.id).unwrap(), (0, 0));
    }
}

#[test]
fn secrets_are_sealed_at_rest_and_rotated() {
    let form = formwork_schema::load_file(SPEC).unwrap();
    for db in backends() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("k.key");
        {
            // Stored in the clear first (as before sealing existed), then sealed at start.
            let store = db.open();
            store
                .create(
                    "r",
                    &json!({"client_id": "id-1", "client_secret": "s3cret-value"}),
                    save("hidden", &json!({})),
                )
                .unwrap();
        }
        let mut store = db.open();
        let vault = formwork_server::vault::Vault::load_or_create(&key).unwrap();
        assert!(store.seal_with(vault, &form).unwrap() >= 1, "{}", db.name);
        let mut out = Vec::new();
        transfer::export(&store, &mut out).unwrap();
        let dump = String::from_utf8(out).unwrap();
        assert!(
            !dump.contains("s3cret-value"),
            "{}: sealed at rest",
            db.name
        );
        let r = store
            .rotate_issued("r", "client_secret", "new-secret", None)
            .unwrap()
            .unwrap();
        assert_eq!(r.issued["client_secret"], "new-secret");
        assert_eq!(r.version, 2);
        let again = db.open();
        let raw = again.get("r").unwrap().unwrap();
        assert_ne!(raw.issued["client_secret"], "new-secret", "{}", db.name);
        assert_eq!(
            store.get("r").unwrap().unwrap().issued["client_secret"],
            "new-secret"
        );
        assert_eq!(
            store.versions("r").unwrap()[1].note.as_deref(),
            Some("rotated client_secret")
        );

        // A replica given another key file stops before sealing anything with it.
        let other = dir.path().join("other.key");
        let wrong = formwork_server::vault::Vault::load_or_create(&other).unwrap();
        let err = db.open().seal_with(wrong, &form).unwrap_err();
        assert!(matches!(err, StoreError::WrongKey), "{}: {err}", db.name);
        // After a key rotation the new key ring is the right one, the old one is not.
        let old = std::fs::read(&key).unwrap();
        let rotated = formwork_server::vault::add_key(&key).unwrap();
        again.rotate_key(&rotated).unwrap();
        formwork_server::vault::keep_current_key(&key).unwrap();
        let current = formwork_server::vault::Vault::load_or_create(&key).unwrap();
        let mut reopened = db.open();
        reopened.seal_with(current, &form).unwrap();
        assert_eq!(
            reopened.get("r").unwrap().unwrap().issued["client_secret"],
            "new-secret",
            "{}",
            db.name
        );
        std::fs::write(&other, old).unwrap();
        let stale = formwork_server::vault::Vault::load_or_create(&other).unwrap();
        assert!(matches!(
            db.open().seal_with(stale, &form).unwrap_err(),
            StoreError::WrongKey
        ));
    }
}

/// Two handles on one database (two replicas), both saving on the same version at once:
/// exactly one wins, the other gets the winner's state as a conflict, and the history holds
/// exactly the winner.
#[test]
fn concurrent_saves_on_one_version_have_one_winner() {
    for db in backends() {
        let first = db.open();
        first
            .create("r", &json!({}), save("draft", &json!({"by": "nobody"})))
            .unwrap();
        for round in 1..=5_i64 {
            let stores = [Arc::new(db.open()), Arc::new(db.open())];
            let barrier = Arc::new(Barrier::new(2));
            let outcomes: Vec<Update> = std::thread::scope(|s| {
                let handles: Vec<_> = stores
                    .iter()
                    .enumerate()
                    .map(|(i, store)| {
                        let barrier = Arc::clone(&barrier);
                        let store = Arc::clone(store);
                        s.spawn(move || {
                            let data = json!({"by": i, "round": round});
                            barrier.wait();
                            store.update("r", round, save("draft", &data)).unwrap()
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            let winners: Vec<&Update> = outcomes
                .iter()
                .filter(|u| matches!(u, Update::Saved(_)))
                .collect();
            assert_eq!(winners.len(), 1, "{} round {round}: {outcomes:?}", db.name);
            let Update::Saved(won) = winners[0] else {
                unreachable!()
            };
            for u in &outcomes {
                if let Update::Conflict(current) = u {
                    assert_eq!(
                        current.data, won.data,
                        "{}: the loser sees the winner",
                        db.name
                    );
                }
            }
        }
        let versions = first.versions("r").unwrap();
        assert_eq!(versions.len(), 6, "{}: one version per round", db.name);
        assert_eq!(first.get("r").unwrap().unwrap().version, 6);
    }
}

/// Replicas starting together migrate the database once: every one of them starts.
#[test]
fn replicas_starting_together_migrate_once() {
    let Some(admin) = pg_url() else { return };
    let location = Location::Postgres(fresh_pg_database(&admin));
    let barrier = Arc::new(Barrier::new(4));
    std::thread::scope(|s| {
        for _ in 0..4 {
            let barrier = Arc::clone(&barrier);
            let location = location.clone();
            s.spawn(move || {
                barrier.wait();
                let store = Store::connect(&location).expect("every replica starts");
                assert_eq!(store.schema_version().unwrap(), 4);
            });
        }
    });
}

/// Everything a store holds, exported from SQLite, imported into PostgreSQL, exported again
/// and imported back into SQLite: the same bytes at every step.
#[test]
fn export_import_round_trip_between_backends() {
    let form = formwork_schema::load_file(SPEC).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let source = Store::open(&dir.path().join("source.db")).unwrap();
    let stored = StoredSpec::new(&form, "# the spec\n");
    source.remember_spec(&stored).unwrap();
    let ada = source
        .create_account("ada@example.com", Some("$argon2id$hash"), None)
        .unwrap();
    source
        .create_account("rev@example.com", None, Some("reviewer"))
        .unwrap();
    source.create_session(&ada.id, "session-hash", 2).unwrap();
    source.create_api_token(&ada.id, "token-hash").unwrap();
    source
        .record_login_failure(&["account:ada@example.com".into()])
        .unwrap();
    let meta = formwork_runtime::files::sniff("a.json", b"{\"k\": 1}", 8);
    let bytes: Vec<u8> = (0..=255).rev().collect();
    let tokens = source
        .put_files(
            &[
                NewFile {
                    field: "icon",
                    meta: &meta,
                    bytes: b"{\"k\": 1}",
                },
                NewFile {
                    field: "other",
                    meta: &meta,
                    bytes: &bytes,
                },
            ],
            Some(&ada.id),
        )
        .unwrap();
    let data = json!({"app_name": "Ünïcode ✓ \"quoted\"\n", "n": 1.5, "list": [null, true]});
    let s = Save {
        files: &tokens[..1],
        spec: Some(&stored.hash),
        actor: Some(&ada.id),
        stage: Some("save"),
        note: Some("a note"),
        ..save("draft", &data)
    };
    source.create("rec", &json!({"client_id": "c"}), s).unwrap();
    source
        .transition(
            "rec",
            1,
            "submitted",
            &ada.id,
            "submit",
            Some("why"),
            Some("/app_name"),
        )
        .unwrap();
    let export = |store: &Store| {
        let mut out = Vec::new();
        transfer::export(store, &mut out).unwrap();
        out
    };
    let first = export(&source);
    let text = String::from_utf8(first.clone()).unwrap();
    assert_eq!(text.lines().count(), 1 + 1 + 2 + 1 + 2 + 2 + 1 + 1 + 1);
    assert!(text.contains("\"base64\""));

    let mut targets = vec![Location::Sqlite(dir.path().join("copy.db"))];
    if let Some(admin) = pg_url() {
        targets.insert(0, Location::Postgres(fresh_pg_database(&admin)));
    }
    let mut previous = first.clone();
    for location in &targets {
        let target = Store::connect(location).unwrap();
        let counts = transfer::import(&target, &mut previous.as_slice()).unwrap();
        assert_eq!(counts.0.iter().map(|c| c.1).sum::<usize>(), 11);
        let again = export(&target);
        assert_eq!(
            String::from_utf8(again.clone()).unwrap(),
            text,
            "{location}: lossless"
        );
        // The copy works as the original did.
        assert_eq!(target.versions("rec").unwrap().len(), 2);
        assert_eq!(
            target.session_account("session-hash").unwrap(),
            Some(ada.clone())
        );
        assert_eq!(
            target.file(&tokens[1], &ada.id).unwrap().map(|f| f.1),
            Some(bytes.clone())
        );
        let err = transfer::import(&target, &mut previous.as_slice()).unwrap_err();
        assert!(err.to_string().contains("not empty"), "{err}");
        previous = again;
    }
}

#[test]
fn imports_refuse_what_they_cannot_take_whole() {
    let store = Store::in_memory().unwrap();
    let cases: [(&str, &str); 5] = [
        ("", "empty"),
        ("{\"nope\": 1}\n", "not a formwork export"),
        (
            "{\"formwork_export\": 1, \"schema_version\": 99}\n",
            "schema version 99",
        ),
        (
            "{\"formwork_export\": 1, \"schema_version\": 4}\n{\"table\": \"users\", \"row\": {}}\n",
            "line 2: unknown table `users`",
        ),
        (
            "{\"formwork_export\": 1, \"schema_version\": 4}\n{\"table\": \"accounts\", \"row\": {\"id\": \"a\", \"email\": \"e\", \"disabled\": 0, \"created_at\": \"t\"}}\n{\"table\": \"accounts\", \"row\": {\"id\": \"a\"}}\n",
            "database error",
        ),
    ];
    for (input, expected) in cases {
        let err = transfer::import(&store, &mut input.as_bytes()).unwrap_err();
        assert!(err.to_string().contains(expected), "{input:?}: {err}");
        assert!(store.accounts().unwrap().is_empty(), "all or nothing");
    }
}

#[test]
fn locations_parse_and_hide_passwords() {
    let pg: Location = "postgres://fw:hunter2@db.internal:5433/forms"
        .parse()
        .unwrap();
    assert_eq!(pg.to_string(), "postgres://fw:***@db.internal:5433/forms");
    assert_eq!(
        "sqlite:data/forms.db".parse::<Location>().unwrap(),
        Location::Sqlite("data/forms.db".into())
    );
    assert_eq!(
        "forms.db".parse::<Location>().unwrap(),
        Location::Sqlite("forms.db".into())
    );
    let err = "mysql://u:secret@h/db".parse::<Location>().unwrap_err();
    assert!(
        err.contains("postgres://") && !err.contains("secret"),
        "{err}"
    );
    let bad = Store::connect(
        &"postgres://u:pw@127.0.0.1:1/db?connect_timeout=1"
            .parse()
            .unwrap(),
    )
    .unwrap_err();
    assert!(!bad.to_string().contains("pw@"), "{bad}");
}
