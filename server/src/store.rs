//! SQLite storage: records (data, status, version, issued values), every saved version of each
//! record, the specs records were saved under, and uploaded files.
//!
//! The database file is created on first start; its schema is migrated with `PRAGMA user_version`
//! (a database of any earlier release opens and is brought up to date). It runs in WAL mode with
//! `synchronous = FULL`: every write is durable when its call returns.
//!
//! History: every create, save and migration of a record writes the whole new state to
//! `record_versions` in the same transaction as the record, with the spec it was saved under, the
//! event and (for people) the actor. Nothing a record ever held is lost: `versions` reads it back.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

use formwork_runtime::files::FileMeta;

/// The schema, one migration per version (index 0 brings `user_version` from 0 to 1).
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE records (
    id         TEXT PRIMARY KEY NOT NULL,
    status     TEXT NOT NULL,
    version    INTEGER NOT NULL,
    data       TEXT NOT NULL,
    issued     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX records_updated ON records (updated_at);
CREATE TABLE files (
    token      TEXT PRIMARY KEY NOT NULL,
    record_id  TEXT REFERENCES records (id) ON DELETE SET NULL,
    field      TEXT NOT NULL,
    name       TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size       INTEGER NOT NULL,
    width      INTEGER,
    height     INTEGER,
    bytes      BLOB NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX files_record ON files (record_id);
"#,
    r#"
CREATE TABLE specs (
    hash            TEXT PRIMARY KEY NOT NULL,
    form_id         TEXT NOT NULL,
    version         TEXT,
    source          TEXT NOT NULL,
    ir              TEXT NOT NULL,
    first_served_at TEXT NOT NULL
);
ALTER TABLE records ADD COLUMN spec_hash TEXT REFERENCES specs (hash);
CREATE TABLE record_versions (
    record_id  TEXT NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    version    INTEGER NOT NULL,
    status     TEXT NOT NULL,
    data       TEXT NOT NULL,
    spec_hash  TEXT REFERENCES specs (hash),
    actor      TEXT,
    event      TEXT NOT NULL,
    note       TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (record_id, version)
) WITHOUT ROWID;
INSERT INTO record_versions (record_id, version, status, data, spec_hash, event, created_at)
    SELECT id, version, status, data, NULL, 'before_history', updated_at FROM records;
"#,
    r#"
CREATE TABLE accounts (
    id            TEXT PRIMARY KEY NOT NULL,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    role          TEXT,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);
CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL
);
CREATE TABLE login_failures (
    key TEXT NOT NULL,
    at  TEXT NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (key, at);
ALTER TABLE records ADD COLUMN owner TEXT REFERENCES accounts (id);
CREATE INDEX records_owner ON records (owner, updated_at);
ALTER TABLE files ADD COLUMN owner TEXT REFERENCES accounts (id);
ALTER TABLE records ADD COLUMN secrets_shown INTEGER NOT NULL DEFAULT 1;
ALTER TABLE record_versions ADD COLUMN comment_path TEXT;
ALTER TABLE record_versions ADD COLUMN stage TEXT;
CREATE INDEX records_status ON records (status, updated_at);
"#,
];

/// `datetime('now')` with a `Z`: UTC timestamps that sort as text.
const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')";

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite reported an error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored JSON column does not parse.
    #[error("stored JSON is damaged: {0}")]
    Json(#[from] serde_json::Error),
    /// The database was written by a newer formwork.
    #[error(
        "the database schema version {found} is newer than this formwork supports ({supported})"
    )]
    TooNew {
        /// `PRAGMA user_version` of the file.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// The key file cannot be used, or a sealed secret cannot be opened with it.
    #[error("{0}")]
    Vault(#[from] crate::vault::VaultError),
    /// The connection lock was poisoned by a panic in another request.
    #[error("the database connection is unusable after an earlier failure")]
    Poisoned,
}

/// A spec the server has served: records and their versions name it by `hash`.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSpec {
    /// SHA-256 (hex) of the checked IR as JSON: comments and layout do not change it.
    pub hash: String,
    /// The form id.
    pub form_id: String,
    /// The spec's `form.version`.
    pub version: Option<String>,
    /// The spec's YAML text as served.
    pub source: String,
    /// The checked IR as JSON.
    pub ir: String,
}

impl StoredSpec {
    /// The stored form of `form`, loaded from `source`.
    pub fn new(form: &formwork_schema::Form, source: &str) -> StoredSpec {
        use sha2::{Digest, Sha256};
        let ir = serde_json::to_string(form).unwrap_or_default();
        let digest = Sha256::digest(ir.as_bytes());
        let mut hash = String::with_capacity(64);
        for b in digest {
            use std::fmt::Write;
            let _ = write!(hash, "{b:02x}");
        }
        StoredSpec {
            hash,
            form_id: form.id.clone(),
            version: form.version.clone(),
            source: source.to_string(),
            ir,
        }
    }
}

/// What one write of a record stores besides its data: status, spec, and why.
#[derive(Debug, Clone, Copy)]
pub struct Save<'a> {
    /// The record's status after the write.
    pub status: &'a str,
    /// The data.
    pub data: &'a Value,
    /// Tokens of the uploads the data references (attached to the record).
    pub files: &'a [String],
    /// Hash of the spec the data was validated under ([`StoredSpec::hash`]).
    pub spec: Option<&'a str>,
    /// Who wrote it (an account id), if known; a new record belongs to it.
    pub actor: Option<&'a str>,
    /// What happened: `create`, `save`, `migrate`, ….
    pub event: &'a str,
    /// The stage the data was submitted at, for `create` and `save`.
    pub stage: Option<&'a str>,
    /// A note for the history, e.g. what a migration changed.
    pub note: Option<&'a str>,
}

/// One saved version of a record, from its history.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordVersion {
    /// The record's version number at this point.
    pub version: i64,
    /// The status at this point.
    pub status: String,
    /// The data as saved.
    pub data: Value,
    /// The spec it was saved under (unknown for versions older than the history).
    pub spec_hash: Option<String>,
    /// That spec's `form.version`.
    pub spec_version: Option<String>,
    /// Who saved it (an account id), if known.
    pub actor: Option<String>,
    /// That account's email.
    pub actor_email: Option<String>,
    /// What happened (`create`, `save`, `migrate`, `before_history`, a transition's id, …).
    pub event: String,
    /// The stage the data was submitted at (`create`, `save`).
    pub stage: Option<String>,
    /// A note, e.g. what a migration changed, or a reviewer's comment.
    pub note: Option<String>,
    /// The field (JSON Pointer) a reviewer's comment is pinned to.
    pub comment_path: Option<String>,
    /// When (UTC, RFC 3339).
    pub created: String,
}

/// An account that can sign in (or be named by a trusted proxy header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Random 128-bit hex id.
    pub id: String,
    /// Lower-cased email address.
    pub email: String,
    /// A role the spec declares (e.g. `reviewer`); `None` for an ordinary account.
    pub role: Option<String>,
    /// Disabled accounts cannot sign in, and their sessions and tokens stop working.
    pub disabled: bool,
}

/// One stored record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Random 128-bit hex id.
    pub id: String,
    /// Status set by the last successful stage.
    pub status: String,
    /// Optimistic-concurrency version, starting at 1.
    pub version: i64,
    /// The submission as stored (files as metadata with their `token`).
    pub data: Value,
    /// Server-assigned values by id.
    pub issued: Value,
    /// Creation time (UTC, RFC 3339).
    pub created: String,
    /// Last update time (UTC, RFC 3339).
    pub updated: String,
    /// The spec the current data was saved under (`None`: saved before records knew their spec).
    pub spec_hash: Option<String>,
    /// The account that created it (`None`: created before there were accounts).
    pub owner: Option<String>,
    /// Whether its issued secrets have been shown in full once (after that they are masked).
    pub secrets_shown: bool,
}

/// Result of [`Store::update`].
#[derive(Debug)]
pub enum Update {
    /// Saved; the new state.
    Saved(Record),
    /// The record changed since `expected_version`; the current state, untouched.
    Conflict(Record),
    /// No record with this id.
    NotFound,
}

/// A stored file's metadata, with its token.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFile {
    /// Random token (the `/files/{token}` URL).
    pub token: String,
    /// Metadata sniffed from the bytes at upload.
    pub meta: FileMeta,
}

/// A file upload to store.
#[derive(Debug, Clone)]
pub struct NewFile<'a> {
    /// The field's path (dotted, as posted).
    pub field: &'a str,
    /// The sniffed metadata.
    pub meta: &'a FileMeta,
    /// The bytes.
    pub bytes: &'a [u8],
}

/// The SQLite database of a running server.
#[derive(Debug)]
pub struct Store {
    conn: Mutex<Connection>,
    /// How secrets are sealed at rest, once [`Store::seal_with`] is called.
    secrets: Option<Secrets>,
}

/// What to seal: the key ring, the form's fields (to find `secret` ones) and the ids of issued
/// secrets.
#[derive(Debug)]
struct Secrets {
    vault: crate::vault::Vault,
    fields: Vec<formwork_schema::model::Field>,
    issued: Vec<String>,
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let conn = Connection::open(path)?;
        Store::init(conn)
    }

    /// A private in-memory copy of the database at `path`, migrated to this release's schema; the
    /// file is opened read-only and never written (for checks and dry runs).
    pub fn open_snapshot(path: &Path) -> Result<Store, StoreError> {
        use rusqlite::OpenFlags;
        let file = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        let mut copy = Connection::open_in_memory()?;
        {
            let backup = rusqlite::backup::Backup::new(&file, &mut copy)?;
            backup.run_to_completion(256, std::time::Duration::ZERO, None)?;
        }
        Store::init(copy)
    }

    /// A private in-memory database (for tests).
    pub fn in_memory() -> Result<Store, StoreError> {
        Store::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Store, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // `journal_mode` answers with the mode; in-memory databases stay `memory`.
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        // secure_delete: freed pages are zeroed, so a secret sealed or removed leaves no copy.
        conn.execute_batch(
            "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;",
        )?;
        migrate(&mut conn)?;
        Ok(Store {
            secrets: None,
            conn: Mutex::new(conn),
        })
    }

    /// Seals `form`'s secrets (issued secrets, `secret` fields, in records and their history)
    /// with `vault` from now on, and seals every secret stored in the clear so far.
    pub fn seal_with(
        &mut self,
        vault: crate::vault::Vault,
        form: &formwork_schema::Form,
    ) -> Result<usize, StoreError> {
        self.secrets = Some(Secrets {
            vault,
            fields: form.fields().cloned().collect(),
            issued: form
                .issued
                .iter()
                .filter(|i| i.generate == formwork_schema::model::GeneratorName::Secret)
                .map(|i| i.id.clone())
                .collect(),
        });
        let changed = self.reseal_all()?;
        if changed > 0 {
            // The clear copies were in the main file: write the sealed pages over them now.
            self.conn()?
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        }
        Ok(changed)
    }

    /// Seals every stored secret with the current key (plain ones, and those sealed with an older
    /// key); returns how many rows changed. Used at start ([`Store::seal_with`]).
    pub fn reseal_all(&self) -> Result<usize, StoreError> {
        let Some(secrets) = &self.secrets else {
            return Ok(0);
        };
        let reseal = |v: &str| -> Result<String, StoreError> {
            Ok(secrets.vault.seal(&secrets.vault.open(v)?)?)
        };
        self.rewrite_stored(&|data, issued| map_secrets(secrets, data, issued, &reseal))
    }

    /// Re-seals with `vault`'s current key every value sealed with another of its keys, anywhere
    /// in records and their history (no spec needed); returns how many rows changed.
    pub fn rotate_key(&self, vault: &crate::vault::Vault) -> Result<usize, StoreError> {
        fn walk(v: &mut Value, vault: &crate::vault::Vault) -> Result<(), StoreError> {
            match v {
                Value::String(s) if vault.is_stale(s) => {
                    *s = vault.seal(&vault.open(s)?)?;
                }
                Value::Array(a) => {
                    for x in a {
                        walk(x, vault)?;
                    }
                }
                Value::Object(m) => {
                    for x in m.values_mut() {
                        walk(x, vault)?;
                    }
                }
                _ => {}
            }
            Ok(())
        }
        self.rewrite_stored(&|data, issued| {
            walk(data, vault)?;
            walk(issued, vault)
        })
    }

    /// Applies `f` to the data and issued values of every record and the data of every version
    /// in its history (issued: `null` there), in one transaction, writing back the rows it
    /// changed; returns how many.
    fn rewrite_stored(
        &self,
        f: &dyn Fn(&mut Value, &mut Value) -> Result<(), StoreError>,
    ) -> Result<usize, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        let mut changed = 0;
        let rows: Vec<(String, String, String)> = {
            let mut stmt = tx.prepare("SELECT id, data, issued FROM records")?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<_, _>>()?
        };
        for (id, data, issued) in rows {
            let (mut d, mut i): (Value, Value) =
                (serde_json::from_str(&data)?, serde_json::from_str(&issued)?);
            f(&mut d, &mut i)?;
            let (d, i) = (serde_json::to_string(&d)?, serde_json::to_string(&i)?);
            if d != data || i != issued {
                tx.execute(
                    "UPDATE records SET data = ?1, issued = ?2 WHERE id = ?3",
                    params![d, i, id],
                )?;
                changed += 1;
            }
        }
        let rows: Vec<(String, i64, String)> = {
            let mut stmt = tx.prepare("SELECT record_id, version, data FROM record_versions")?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<_, _>>()?
        };
        for (id, version, data) in rows {
            let mut d: Value = serde_json::from_str(&data)?;
            f(&mut d, &mut Value::Null)?;
            let d = serde_json::to_string(&d)?;
            if d != data {
                tx.execute(
                    "UPDATE record_versions SET data = ?1 WHERE record_id = ?2 AND version = ?3",
                    params![d, id, version],
                )?;
                changed += 1;
            }
        }
        tx.commit()?;
        Ok(changed)
    }

    /// `data` and `issued` with their secrets sealed (as stored).
    fn sealed(&self, data: &Value, issued: &Value) -> Result<(Value, Value), StoreError> {
        let (mut d, mut i) = (data.clone(), issued.clone());
        if let Some(secrets) = &self.secrets {
            map_secrets(secrets, &mut d, &mut i, &|v| Ok(secrets.vault.seal(v)?))?;
        }
        Ok((d, i))
    }

    /// `record` with its secrets opened (as people and the validator see it).
    fn opened(&self, mut record: Record) -> Result<Record, StoreError> {
        if let Some(secrets) = &self.secrets {
            map_secrets(secrets, &mut record.data, &mut record.issued, &|v| {
                Ok(secrets.vault.open(v)?)
            })?;
        }
        Ok(record)
    }

    fn conn(&self) -> Result<MutexGuard<'_, Connection>, StoreError> {
        self.conn.lock().map_err(|_| StoreError::Poisoned)
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn()?
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// Every record, most recently updated first.
    pub fn list(&self) -> Result<Vec<Record>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(
            "SELECT id, status, version, data, issued, created_at, updated_at, spec_hash, owner, secrets_shown
             FROM records ORDER BY updated_at DESC, id",
        )?;
        let rows = stmt.query_map([], raw_record)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(self.opened(row?.parse()?)?);
        }
        Ok(out)
    }

    /// The records of `owner`, most recently updated first, a page at a time (`status` filters).
    pub fn list_owned(
        &self,
        owner: &str,
        status: Option<&str>,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<Record>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT id, status, version, data, issued, created_at, updated_at, spec_hash, owner, secrets_shown
             FROM records WHERE owner = ?1 AND (?2 IS NULL OR status = ?2)
             ORDER BY updated_at DESC, id LIMIT ?3 OFFSET ?4",
        )?;
        let rows = stmt.query_map(params![owner, status, limit, offset], raw_record)?;
        let raws: Vec<RawRecord> = rows.collect::<Result<_, _>>()?;
        drop(stmt);
        drop(conn);
        raws.into_iter().map(|r| self.opened(r.parse()?)).collect()
    }

    /// Gives every record without an owner to `owner`; returns how many.
    pub fn adopt_unowned(&self, owner: &str) -> Result<usize, StoreError> {
        let conn = self.conn()?;
        conn.execute("UPDATE files SET owner = ?1 WHERE owner IS NULL", [owner])?;
        Ok(conn.execute("UPDATE records SET owner = ?1 WHERE owner IS NULL", [owner])?)
    }

    /// Creates an account (`password_hash`: an Argon2id PHC string, or `None` for accounts named
    /// by a trusted proxy header).
    pub fn create_account(
        &self,
        email: &str,
        password_hash: Option<&str>,
        role: Option<&str>,
    ) -> Result<Account, StoreError> {
        let id = crate::random_hex(16);
        let email = email.trim().to_lowercase();
        self.conn()?.execute(
            &format!(
                "INSERT INTO accounts (id, email, password_hash, role, created_at) VALUES (?1, ?2, ?3, ?4, {NOW})"
            ),
            params![id, email, password_hash, role],
        )?;
        Ok(Account {
            id,
            email,
            role: role.map(String::from),
            disabled: false,
        })
    }

    /// The account with this email (any case), and its password hash.
    pub fn account_by_email(
        &self,
        email: &str,
    ) -> Result<Option<(Account, Option<String>)>, StoreError> {
        Ok(self
            .conn()?
            .query_row(
                "SELECT id, email, role, disabled, password_hash FROM accounts WHERE email = ?1",
                [email.trim().to_lowercase()],
                |r| Ok((account(r)?, r.get(4)?)),
            )
            .optional()?)
    }

    /// Every account, by email.
    pub fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        let conn = self.conn()?;
        let mut stmt =
            conn.prepare("SELECT id, email, role, disabled FROM accounts ORDER BY email")?;
        let rows = stmt.query_map([], account)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Disables an account and ends its sessions and tokens; false when there is no such account.
    pub fn disable_account(&self, email: &str) -> Result<bool, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        let id: Option<String> = tx
            .query_row(
                "SELECT id FROM accounts WHERE email = ?1",
                [email.trim().to_lowercase()],
                |r| r.get(0),
            )
            .optional()?;
        let Some(id) = id else { return Ok(false) };
        tx.execute("UPDATE accounts SET disabled = 1 WHERE id = ?1", [&id])?;
        tx.execute("DELETE FROM sessions WHERE account_id = ?1", [&id])?;
        tx.execute("DELETE FROM api_tokens WHERE account_id = ?1", [&id])?;
        tx.commit()?;
        Ok(true)
    }

    /// Starts a session for `account` lasting `hours`, stored by the hash of its token.
    pub fn create_session(
        &self,
        account: &str,
        token_hash: &str,
        hours: u32,
    ) -> Result<(), StoreError> {
        let conn = self.conn()?;
        conn.execute(
            "DELETE FROM sessions WHERE expires_at < strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
            [],
        )?;
        conn.execute(
            &format!(
                "INSERT INTO sessions (token_hash, account_id, created_at, expires_at)
                 VALUES (?1, ?2, {NOW}, strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?3))"
            ),
            params![token_hash, account, format!("+{hours} hours")],
        )?;
        Ok(())
    }

    /// The enabled account of an unexpired session.
    pub fn session_account(&self, token_hash: &str) -> Result<Option<Account>, StoreError> {
        Ok(self
            .conn()?
            .query_row(
                "SELECT a.id, a.email, a.role, a.disabled FROM sessions s JOIN accounts a ON a.id = s.account_id
                 WHERE s.token_hash = ?1 AND a.disabled = 0
                   AND s.expires_at > strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
                [token_hash],
                account,
            )
            .optional()?)
    }

    /// Ends a session.
    pub fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        self.conn()?
            .execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
        Ok(())
    }

    /// Stores an API token of `account` by its hash.
    pub fn create_api_token(&self, account: &str, token_hash: &str) -> Result<(), StoreError> {
        self.conn()?.execute(
            &format!(
                "INSERT INTO api_tokens (token_hash, account_id, created_at) VALUES (?1, ?2, {NOW})"
            ),
            params![token_hash, account],
        )?;
        Ok(())
    }

    /// The enabled account of an API token.
    pub fn token_account(&self, token_hash: &str) -> Result<Option<Account>, StoreError> {
        Ok(self
            .conn()?
            .query_row(
                "SELECT a.id, a.email, a.role, a.disabled FROM api_tokens t JOIN accounts a ON a.id = t.account_id
                 WHERE t.token_hash = ?1 AND a.disabled = 0",
                [token_hash],
                account,
            )
            .optional()?)
    }

    /// Records a failed sign-in under each key (`account:EMAIL`, `address:IP`).
    pub fn record_login_failure(&self, keys: &[String]) -> Result<(), StoreError> {
        let conn = self.conn()?;
        conn.execute(
            "DELETE FROM login_failures WHERE at < strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-1 day')",
            [],
        )?;
        for key in keys {
            conn.execute(
                &format!("INSERT INTO login_failures (key, at) VALUES (?1, {NOW})"),
                [key],
            )?;
        }
        Ok(())
    }

    /// Failed sign-ins under `key` in the last `minutes`.
    pub fn login_failures(&self, key: &str, minutes: u32) -> Result<u32, StoreError> {
        Ok(self.conn()?.query_row(
            "SELECT count(*) FROM login_failures WHERE key = ?1
             AND at >= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?2)",
            params![key, format!("-{minutes} minutes")],
            |r| r.get(0),
        )?)
    }

    /// Forgets the failed sign-ins under `key` (after a successful one).
    pub fn clear_login_failures(&self, key: &str) -> Result<(), StoreError> {
        self.conn()?
            .execute("DELETE FROM login_failures WHERE key = ?1", [key])?;
        Ok(())
    }

    /// The record with this id.
    pub fn get(&self, id: &str) -> Result<Option<Record>, StoreError> {
        let found = {
            let conn = self.conn()?;
            get(&conn, id)?
        };
        found.map(|r| self.opened(r)).transpose()
    }

    /// Inserts a new record (version 1), attaches the files it references, and starts its history.
    pub fn create(&self, id: &str, issued: &Value, save: Save<'_>) -> Result<Record, StoreError> {
        let (data, issued) = self.sealed(save.data, issued)?;
        let issued = &issued;
        let save = Save {
            data: &data,
            ..save
        };
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        tx.execute(
            &format!(
                "INSERT INTO records (id, status, version, data, issued, created_at, updated_at, spec_hash, owner, secrets_shown)
                 VALUES (?1, ?2, 1, ?3, ?4, {NOW}, {NOW}, ?5, ?6, 0)"
            ),
            params![
                id,
                save.status,
                serde_json::to_string(save.data)?,
                serde_json::to_string(issued)?,
                save.spec,
                save.actor,
            ],
        )?;
        attach(&tx, id, save.files)?;
        let record = get(&tx, id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
        append_version(&tx, &record, &save)?;
        tx.commit()?;
        self.opened(record)
    }

    /// Replaces a record's data and status if it is still at `expected_version`; the new state
    /// joins its history in the same transaction (the previous one is there already).
    pub fn update(
        &self,
        id: &str,
        expected_version: i64,
        save: Save<'_>,
    ) -> Result<Update, StoreError> {
        let (data, _) = self.sealed(save.data, &Value::Null)?;
        let save = Save {
            data: &data,
            ..save
        };
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        let changed = tx.execute(
            &format!(
                "UPDATE records SET status = ?1, data = ?2, version = version + 1, updated_at = {NOW},
                 spec_hash = ?5
                 WHERE id = ?3 AND version = ?4"
            ),
            params![
                save.status,
                serde_json::to_string(save.data)?,
                id,
                expected_version,
                save.spec
            ],
        )?;
        if changed == 0 {
            let current = get(&tx, id)?;
            tx.commit()?;
            return Ok(match current {
                Some(r) => Update::Conflict(self.opened(r)?),
                None => Update::NotFound,
            });
        }
        attach(&tx, id, save.files)?;
        let record = get(&tx, id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
        append_version(&tx, &record, &save)?;
        tx.commit()?;
        Ok(Update::Saved(self.opened(record)?))
    }

    /// Records in any of `statuses`, oldest update first (a review queue), a page at a time.
    pub fn list_in_statuses(
        &self,
        statuses: &[String],
        limit: u32,
        offset: u32,
    ) -> Result<Vec<Record>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT id, status, version, data, issued, created_at, updated_at, spec_hash, owner, secrets_shown
             FROM records WHERE status IN (SELECT value FROM json_each(?1))
             ORDER BY updated_at, id LIMIT ?2 OFFSET ?3",
        )?;
        let rows = stmt.query_map(
            params![serde_json::to_string(statuses)?, limit, offset],
            raw_record,
        )?;
        let raws: Vec<RawRecord> = rows.collect::<Result<_, _>>()?;
        drop(stmt);
        drop(conn);
        raws.into_iter().map(|r| self.opened(r.parse()?)).collect()
    }

    /// Moves record `id` to `status` if it is still at `expected_version` (a workflow transition
    /// named `event`, by `actor`, with an optional comment pinned to a field): a new version.
    #[allow(clippy::too_many_arguments)]
    pub fn transition(
        &self,
        id: &str,
        expected_version: i64,
        status: &str,
        actor: &str,
        event: &str,
        comment: Option<&str>,
        comment_path: Option<&str>,
    ) -> Result<Update, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        let changed = tx.execute(
            &format!(
                "UPDATE records SET status = ?1, version = version + 1, updated_at = {NOW}
                 WHERE id = ?2 AND version = ?3"
            ),
            params![status, id, expected_version],
        )?;
        if changed == 0 {
            let current = get(&tx, id)?;
            tx.commit()?;
            return Ok(match current {
                Some(r) => Update::Conflict(self.opened(r)?),
                None => Update::NotFound,
            });
        }
        let record = get(&tx, id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
        let save = Save {
            status: &record.status,
            data: &record.data,
            files: &[],
            spec: record.spec_hash.as_deref(),
            actor: Some(actor),
            event,
            stage: None,
            note: comment,
        };
        append_version(&tx, &record, &save)?;
        tx.execute(
            "UPDATE record_versions SET comment_path = ?1 WHERE record_id = ?2 AND version = ?3",
            params![comment_path, id, record.version],
        )?;
        tx.commit()?;
        Ok(Update::Saved(self.opened(record)?))
    }

    /// A stored file's media type and bytes, if its record is in one of `statuses` (what a
    /// reviewer may see).
    pub fn file_in_statuses(
        &self,
        token: &str,
        statuses: &[String],
    ) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        let conn = self.conn()?;
        Ok(conn
            .query_row(
                "SELECT f.media_type, f.bytes FROM files f JOIN records r ON r.id = f.record_id
                 WHERE f.token = ?1 AND r.status IN (SELECT value FROM json_each(?2))",
                params![token, serde_json::to_string(statuses)?],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// Notes that a record's issued secrets have been shown in full once.
    pub fn mark_secrets_shown(&self, id: &str) -> Result<(), StoreError> {
        self.conn()?
            .execute("UPDATE records SET secrets_shown = 1 WHERE id = ?1", [id])?;
        Ok(())
    }

    /// Replaces issued value `name` of record `id` by `value` (a rotated secret): a new version
    /// whose history entry names what was rotated, never the value.
    pub fn rotate_issued(
        &self,
        id: &str,
        name: &str,
        value: &str,
        actor: Option<&str>,
    ) -> Result<Option<Record>, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        let Some(mut record) = get(&tx, id)? else {
            return Ok(None);
        };
        let value = match &self.secrets {
            Some(secrets) => secrets.vault.seal(value)?,
            None => value.to_string(),
        };
        if let Value::Object(m) = &mut record.issued {
            m.insert(name.to_string(), Value::String(value));
        }
        tx.execute(
            &format!(
                "UPDATE records SET issued = ?1, version = version + 1, updated_at = {NOW} WHERE id = ?2"
            ),
            params![serde_json::to_string(&record.issued)?, id],
        )?;
        let record = get(&tx, id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
        let note = format!("rotated {name}");
        let save = Save {
            status: &record.status,
            data: &record.data,
            files: &[],
            spec: record.spec_hash.as_deref(),
            actor,
            event: "rotate_secret",
            stage: None,
            note: Some(&note),
        };
        append_version(&tx, &record, &save)?;
        tx.commit()?;
        Ok(Some(self.opened(record)?))
    }

    /// Every saved version of a record, oldest first (empty when there is no such record).
    pub fn versions(&self, id: &str) -> Result<Vec<RecordVersion>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(
            "SELECT v.version, v.status, v.data, v.spec_hash, s.version, v.actor, v.event, v.note, v.created_at, v.comment_path, a.email, v.stage
             FROM record_versions v LEFT JOIN specs s ON s.hash = v.spec_hash
             LEFT JOIN accounts a ON a.id = v.actor
             WHERE v.record_id = ?1 ORDER BY v.version",
        )?;
        let rows = stmt.query_map([id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, String>(8)?,
                r.get::<_, Option<String>>(9)?,
                r.get::<_, Option<String>>(10)?,
                r.get::<_, Option<String>>(11)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (
                version,
                status,
                data,
                spec_hash,
                spec_version,
                actor,
                event,
                note,
                created,
                comment_path,
                actor_email,
                stage,
            ) = row?;
            let mut data: Value = serde_json::from_str(&data)?;
            if let Some(secrets) = &self.secrets {
                map_secrets(secrets, &mut data, &mut Value::Null, &|v| {
                    Ok(secrets.vault.open(v)?)
                })?;
            }
            out.push(RecordVersion {
                version,
                status,
                data,
                spec_hash,
                spec_version,
                actor,
                actor_email,
                event,
                stage,
                note,
                comment_path,
                created,
            });
        }
        Ok(out)
    }

    /// The history of a record without the data, newest first: `(version, status, event, note,
    /// comment_path)` (cheap: for what the record page needs to know about its workflow).
    #[allow(clippy::type_complexity)]
    pub fn events(
        &self,
        id: &str,
    ) -> Result<Vec<(i64, String, String, Option<String>, Option<String>)>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT version, status, event, note, comment_path FROM record_versions
             WHERE record_id = ?1 ORDER BY version DESC",
        )?;
        let rows = stmt.query_map([id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Remembers a spec the server serves (once per distinct IR).
    pub fn remember_spec(&self, spec: &StoredSpec) -> Result<(), StoreError> {
        self.conn()?.execute(
            &format!(
                "INSERT OR IGNORE INTO specs (hash, form_id, version, source, ir, first_served_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, {NOW})"
            ),
            params![spec.hash, spec.form_id, spec.version, spec.source, spec.ir],
        )?;
        Ok(())
    }

    /// A spec remembered by [`Store::remember_spec`].
    pub fn spec(&self, hash: &str) -> Result<Option<StoredSpec>, StoreError> {
        Ok(self
            .conn()?
            .query_row(
                "SELECT hash, form_id, version, source, ir FROM specs WHERE hash = ?1",
                [hash],
                |r| {
                    Ok(StoredSpec {
                        hash: r.get(0)?,
                        form_id: r.get(1)?,
                        version: r.get(2)?,
                        source: r.get(3)?,
                        ir: r.get(4)?,
                    })
                },
            )
            .optional()?)
    }

    /// Stores uploads of `owner` in one transaction; returns a fresh random token per file, in order.
    pub fn put_files(
        &self,
        files: &[NewFile<'_>],
        owner: Option<&str>,
    ) -> Result<Vec<String>, StoreError> {
        if files.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        let mut tokens = Vec::with_capacity(files.len());
        {
            let mut stmt = tx.prepare(&format!(
                "INSERT INTO files (token, field, name, media_type, size, width, height, bytes, created_at, owner)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, {NOW}, ?9)"
            ))?;
            for f in files {
                let token = super::random_hex(16);
                stmt.execute(params![
                    token,
                    f.field,
                    f.meta.name,
                    f.meta.media_type,
                    i64::try_from(f.meta.size).unwrap_or(i64::MAX),
                    f.meta.width,
                    f.meta.height,
                    f.bytes,
                    owner,
                ])?;
                tokens.push(token);
            }
        }
        tx.commit()?;
        Ok(tokens)
    }

    /// Metadata of the stored files among `tokens` (unknown tokens are left out).
    pub fn files_meta(&self, tokens: &[String]) -> Result<HashMap<String, StoredFile>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT token, name, media_type, size, width, height FROM files WHERE token = ?1",
        )?;
        let mut out = HashMap::new();
        for token in tokens {
            if out.contains_key(token) {
                continue;
            }
            let found = stmt
                .query_row([token], |r| {
                    Ok(StoredFile {
                        token: r.get(0)?,
                        meta: FileMeta {
                            name: r.get(1)?,
                            media_type: r.get(2)?,
                            size: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
                            width: r.get(4)?,
                            height: r.get(5)?,
                        },
                    })
                })
                .optional()?;
            if let Some(f) = found {
                out.insert(token.clone(), f);
            }
        }
        Ok(out)
    }

    /// A stored file's media type and bytes, if `owner` uploaded it or owns its record.
    pub fn file(&self, token: &str, owner: &str) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        let conn = self.conn()?;
        Ok(conn
            .query_row(
                "SELECT f.media_type, f.bytes FROM files f LEFT JOIN records r ON r.id = f.record_id
                 WHERE f.token = ?1 AND (f.owner = ?2 OR r.owner = ?2)",
                params![token, owner],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// Deletes uploads that no record uses and that are older than `minutes`; returns how many.
    pub fn delete_orphan_files(&self, minutes: u32) -> Result<usize, StoreError> {
        let conn = self.conn()?;
        Ok(conn.execute(
            "DELETE FROM files WHERE record_id IS NULL AND created_at <= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?1)",
            [format!("-{minutes} minutes")],
        )?)
    }

    /// The uploads of `owner` that no record uses yet: how many, and their bytes.
    pub fn pending_uploads(&self, owner: &str) -> Result<(u64, u64), StoreError> {
        let (n, bytes): (i64, i64) = self.conn()?.query_row(
            "SELECT count(*), coalesce(sum(size), 0) FROM files WHERE record_id IS NULL AND owner = ?1",
            [owner],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((
            u64::try_from(n).unwrap_or(0),
            u64::try_from(bytes).unwrap_or(0),
        ))
    }
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let supported = MIGRATIONS.len() as i64;
    if current > supported {
        return Err(StoreError::TooNew {
            found: current,
            supported,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
        tx.commit()?;
    }
    Ok(())
}

/// Applies `f` to every secret string: `secret` fields of `data` (at any depth) and the issued
/// secrets in `issued`.
fn map_secrets(
    secrets: &Secrets,
    data: &mut Value,
    issued: &mut Value,
    f: &dyn Fn(&str) -> Result<String, StoreError>,
) -> Result<(), StoreError> {
    let mut failed = None;
    crate::form::visit(&secrets.fields, data, &mut |field, v| {
        if crate::form::is_secret(field)
            && let Value::String(s) = v
        {
            match f(s) {
                Ok(x) => *s = x,
                Err(e) => failed = Some(e),
            }
        }
        true
    });
    if let Some(e) = failed {
        return Err(e);
    }
    if let Value::Object(m) = issued {
        for id in &secrets.issued {
            if let Some(Value::String(s)) = m.get_mut(id) {
                *s = f(s)?;
            }
        }
    }
    Ok(())
}

fn account(r: &rusqlite::Row<'_>) -> rusqlite::Result<Account> {
    Ok(Account {
        id: r.get(0)?,
        email: r.get(1)?,
        role: r.get(2)?,
        disabled: r.get::<_, i64>(3)? != 0,
    })
}

/// Writes `record`'s current state to its history.
fn append_version(conn: &Connection, record: &Record, save: &Save<'_>) -> Result<(), StoreError> {
    conn.execute(
        &format!(
            "INSERT INTO record_versions (record_id, version, status, data, spec_hash, actor, event, note, created_at, stage)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, {NOW}, ?9)"
        ),
        params![
            record.id,
            record.version,
            record.status,
            serde_json::to_string(&record.data)?,
            save.spec,
            save.actor,
            save.event,
            save.note,
            save.stage,
        ],
    )?;
    Ok(())
}

fn attach(conn: &Connection, id: &str, tokens: &[String]) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached("UPDATE files SET record_id = ?1 WHERE token = ?2")?;
    for token in tokens {
        stmt.execute(params![id, token])?;
    }
    Ok(())
}

/// A row before its JSON columns are parsed.
struct RawRecord {
    id: String,
    status: String,
    version: i64,
    data: String,
    issued: String,
    created: String,
    updated: String,
    spec_hash: Option<String>,
    owner: Option<String>,
    secrets_shown: bool,
}

impl RawRecord {
    fn parse(self) -> Result<Record, serde_json::Error> {
        Ok(Record {
            id: self.id,
            status: self.status,
            version: self.version,
            data: serde_json::from_str(&self.data)?,
            issued: serde_json::from_str(&self.issued)?,
            created: self.created,
            updated: self.updated,
            spec_hash: self.spec_hash,
            owner: self.owner,
            secrets_shown: self.secrets_shown,
        })
    }
}

fn raw_record(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawRecord> {
    Ok(RawRecord {
        id: r.get(0)?,
        status: r.get(1)?,
        version: r.get(2)?,
        data: r.get(3)?,
        issued: r.get(4)?,
        created: r.get(5)?,
        updated: r.get(6)?,
        spec_hash: r.get(7)?,
        owner: r.get(8)?,
        secrets_shown: r.get::<_, i64>(9)? != 0,
    })
}

fn get(conn: &Connection, id: &str) -> Result<Option<Record>, StoreError> {
    let raw = conn
        .query_row(
            "SELECT id, status, version, data, issued, created_at, updated_at, spec_hash, owner, secrets_shown
             FROM records WHERE id = ?1",
            [id],
            raw_record,
        )
        .optional()?;
    Ok(match raw {
        Some(r) => Some(r.parse()?),
        None => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn create_update_conflict() {
        let store = Store::in_memory().unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
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
        let r = store
            .create("a", &json!({"id": "1"}), save("hidden", &json!({"x": 1})))
            .unwrap();
        assert_eq!(r.version, 1);
        let Update::Saved(r2) = store
            .update("a", 1, save("in_review", &json!({"x": 2})))
            .unwrap()
        else {
            panic!("not saved")
        };
        assert_eq!((r2.version, r2.status.as_str()), (2, "in_review"));
        let Update::Conflict(cur) = store
            .update("a", 1, save("hidden", &json!({"x": 3})))
            .unwrap()
        else {
            panic!("no conflict")
        };
        assert_eq!(cur.data, json!({"x": 2}));
        assert!(matches!(
            store.update("b", 1, save("hidden", &json!({}))).unwrap(),
            Update::NotFound
        ));
        // Every saved state is in the history, the conflicting write is not.
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
            ]
        );
    }

    #[test]
    fn sessions_expire_and_end() {
        let store = Store::in_memory().unwrap();
        let ada = store.create_account("ada@example.com", None, None).unwrap();
        store.create_session(&ada.id, "live", 1).unwrap();
        store.create_session(&ada.id, "stale", 0).unwrap();
        assert_eq!(store.session_account("live").unwrap(), Some(ada.clone()));
        assert_eq!(store.session_account("stale").unwrap(), None, "expired");
        assert_eq!(store.session_account("unknown").unwrap(), None);
        store.delete_session("live").unwrap();
        assert_eq!(store.session_account("live").unwrap(), None, "signed out");
    }

    #[test]
    fn specs_are_remembered_once_by_content() {
        let store = Store::in_memory().unwrap();
        let form = formwork_schema::load_file(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../specs/contact.yaml"
        ))
        .unwrap();
        let a = StoredSpec::new(&form, "# one layout");
        let b = StoredSpec::new(&form, "# another layout, same form");
        assert_eq!(a.hash, b.hash, "the hash is of the IR, not the text");
        assert_eq!(a.hash.len(), 64);
        store.remember_spec(&a).unwrap();
        store.remember_spec(&b).unwrap();
        let stored = store.spec(&a.hash).unwrap().unwrap();
        assert_eq!(stored.source, "# one layout");
        assert_eq!(stored.version.as_deref(), Some("1"));
        let mut other = form.clone();
        other.version = Some("2".into());
        assert_ne!(StoredSpec::new(&other, "").hash, a.hash);
    }

    #[test]
    fn files_round_trip() {
        let store = Store::in_memory().unwrap();
        let meta = formwork_runtime::files::sniff("a.json", b"{}", 2);
        let ada = store.create_account("Ada@example.com", None, None).unwrap();
        let bob = store.create_account("bob@example.com", None, None).unwrap();
        assert_eq!(ada.email, "ada@example.com");
        let tokens = store
            .put_files(
                &[NewFile {
                    field: "f",
                    meta: &meta,
                    bytes: b"{}",
                }],
                Some(&ada.id),
            )
            .unwrap();
        let found = store
            .files_meta(&[tokens[0].clone(), "nope".into()])
            .unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[&tokens[0]].meta, meta);
        assert_eq!(
            store.file(&tokens[0], &ada.id).unwrap(),
            Some(("application/json".to_string(), b"{}".to_vec()))
        );
        assert_eq!(
            store.file(&tokens[0], &bob.id).unwrap(),
            None,
            "only its owner's"
        );
    }
}
