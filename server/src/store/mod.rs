//! Storage: records (data, status, version, issued values), every saved version of each record,
//! the specs records were saved under, accounts and sessions, and uploaded files.
//!
//! Two backends behind one [`Store`]: SQLite by default ([`sqlite`]: one file, WAL,
//! `synchronous = FULL`) and PostgreSQL for several server replicas on one database
//! ([`postgres`]). Every statement is written once ([`sql`]) and run by either; the schema is
//! the same migrations expressed for both ([`migrations`]); a database of any earlier release
//! opens and is brought up to date. Every write is durable when its call returns.
//!
//! History: every create, save and migration of a record writes the whole new state to
//! `record_versions` in the same transaction as the record, with the spec it was saved under, the
//! event and (for people) the actor. Nothing a record ever held is lost: `versions` reads it back.
//! A save names the version it was based on; the `UPDATE` checks it, so a stale save is a
//! conflict (409), never a lost update, on either backend and across replicas.

mod migrations;
mod postgres;
pub mod sql;
mod sqlite;
pub mod transfer;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::Connection;
use serde_json::Value;

use formwork_runtime::files::FileMeta;
use sql::{Conn, P, Row};

/// Where a store lives: `--db` as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite database file (`sqlite:PATH`, or a plain path).
    Sqlite(PathBuf),
    /// A PostgreSQL database (`postgres://USER[:PASSWORD]@HOST[:PORT]/DB`).
    Postgres(String),
}

impl std::str::FromStr for Location {
    type Err = String;

    fn from_str(s: &str) -> Result<Location, String> {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Ok(Location::Postgres(s.to_string()))
        } else if let Some(path) = s.strip_prefix("sqlite:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err("sqlite: needs a file path, e.g. sqlite:formwork.db".into());
            }
            Ok(Location::Sqlite(PathBuf::from(path)))
        } else if s.contains("://") {
            Err(format!(
                "`{}`: not a database formwork knows; use a file path, sqlite:PATH or postgres://USER@HOST/DB",
                Location::redact(s)
            ))
        } else if s.is_empty() {
            Err("the database path is empty".into())
        } else {
            Ok(Location::Sqlite(PathBuf::from(s)))
        }
    }
}

impl Location {
    /// `url` with its password (if any) replaced by `***`: what logs and errors may show.
    pub fn redact(url: &str) -> String {
        let Some((scheme, rest)) = url.split_once("://") else {
            return url.to_string();
        };
        let (auth, host) = match rest.rsplit_once('@') {
            Some((auth, host)) => (auth, host),
            None => return url.to_string(),
        };
        match auth.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_string(),
        }
    }

    /// The SQLite file, if it is one.
    pub fn file(&self) -> Option<&Path> {
        match self {
            Location::Sqlite(p) => Some(p),
            Location::Postgres(_) => None,
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Sqlite(p) => write!(f, "{}", p.display()),
            Location::Postgres(url) => f.write_str(&Location::redact(url)),
        }
    }
}

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite reported an error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL reported an error.
    #[error("database error: {0}")]
    Postgres(#[from] ::postgres::Error),
    /// No PostgreSQL connection could be had in time.
    #[error("the database cannot be reached: {0}")]
    Pool(#[from] r2d2::Error),
    /// The PostgreSQL URL does not parse.
    #[error("the database URL is not valid: {0}")]
    Url(String),
    /// A column did not hold what the statement reads.
    #[error("the database holds an unexpected value in column {index}: expected {expected}")]
    Column {
        /// The column's index in the statement.
        index: usize,
        /// What was expected.
        expected: &'static str,
    },
    /// A stored JSON column does not parse.
    #[error("stored JSON is damaged: {0}")]
    Json(#[from] serde_json::Error),
    /// The database was written by a newer formwork.
    #[error(
        "the database schema version {found} is newer than this formwork supports ({supported})"
    )]
    TooNew {
        /// The schema version of the database.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// An export cannot be written.
    #[error("export: {0}")]
    Export(String),
    /// An export cannot be imported.
    #[error("import: {0}")]
    Import(String),
    /// The database did not hold what a transaction had just written.
    #[error("the database is inconsistent: {0}")]
    Inconsistent(String),
    /// The key file cannot be used, or a sealed secret cannot be opened with it.
    #[error("{0}")]
    Vault(#[from] crate::vault::VaultError),
    /// The key file is not the one the database's secrets are sealed with.
    #[error(
        "the key file does not open this database's secrets: use the key file it was first served with (every replica the same --key-file)"
    )]
    WrongKey,
    /// The connection lock was poisoned by a panic in another request.
    #[error("the database connection is unusable after an earlier failure")]
    Poisoned,
}

impl StoreError {
    /// Whether the database could not be reached (down, restarting, every connection busy):
    /// worth retrying, unlike an error in what was asked.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Pool(_) => true,
            StoreError::Postgres(e) => {
                e.is_closed()
                    || std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>())
                    || e.code().is_some_and(|c| {
                        // connection_exception, admin/crash shutdown, cannot_connect_now
                        c.code().starts_with("08")
                            || matches!(c.code(), "57P01" | "57P02" | "57P03")
                    })
            }
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(f, _)) => matches!(
                f.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ),
            _ => false,
        }
    }
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

/// The database of a running server, SQLite or PostgreSQL.
#[derive(Debug)]
pub struct Store {
    backend: Backend,
    /// How secrets are sealed at rest, once [`Store::seal_with`] is called.
    secrets: Option<Secrets>,
}

/// The connection(s) of a store.
enum Backend {
    /// One SQLite connection, shared under a lock.
    Sqlite(Mutex<sqlite::LiteConn>),
    /// A pool of PostgreSQL connections.
    Postgres(postgres::Pool),
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Sqlite(_) => "Sqlite",
            Backend::Postgres(_) => "Postgres",
        })
    }
}

/// What to seal: the key ring, the form's fields (to find `secret` ones) and the ids of issued
/// secrets.
#[derive(Debug)]
struct Secrets {
    vault: crate::vault::Vault,
    fields: Vec<formwork_schema::model::Field>,
    issued: Vec<String>,
}

/// The columns of a record, in the order [`raw_record`] reads them.
const RECORD_COLUMNS: &str =
    "id, status, version, data, issued, created_at, updated_at, spec_hash, owner, secrets_shown";

impl Store {
    /// Opens (creating if needed) and migrates the SQLite database file at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Ok(Store::sqlite(sqlite::open(path)?))
    }

    /// Connects to the database at `location` and migrates it (a SQLite file is created if
    /// needed; PostgreSQL migrates under an advisory lock, once, however many replicas start).
    pub fn connect(location: &Location) -> Result<Store, StoreError> {
        match location {
            Location::Sqlite(path) => Store::open(path),
            Location::Postgres(url) => Ok(Store {
                backend: Backend::Postgres(postgres::open(url)?),
                secrets: None,
            }),
        }
    }

    /// A private in-memory copy of the database at `location`, migrated to this release's
    /// schema; the database itself is only read (for checks and dry runs).
    pub fn open_snapshot(location: &Location) -> Result<Store, StoreError> {
        match location {
            Location::Sqlite(path) => Ok(Store::sqlite(sqlite::snapshot(path)?)),
            Location::Postgres(_) => {
                let source = Store::connect(location)?;
                let copy = Store::in_memory()?;
                transfer::copy(&source, &copy)?;
                Ok(copy)
            }
        }
    }

    /// A private in-memory database (for tests).
    pub fn in_memory() -> Result<Store, StoreError> {
        Ok(Store::sqlite(sqlite::in_memory()?))
    }

    fn sqlite(conn: Connection) -> Store {
        Store {
            backend: Backend::Sqlite(Mutex::new(sqlite::LiteConn::new(conn))),
            secrets: None,
        }
    }

    /// Whether this store is on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    fn lock(m: &Mutex<sqlite::LiteConn>) -> Result<MutexGuard<'_, sqlite::LiteConn>, StoreError> {
        m.lock().map_err(|_| StoreError::Poisoned)
    }

    /// Runs `f` on a connection, outside a transaction.
    fn with<T>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        match &self.backend {
            Backend::Sqlite(m) => Store::lock(m)?.with(f),
            Backend::Postgres(pool) => pool.get()?.with(f),
        }
    }

    /// Runs one statement outside a transaction; returns how many rows it changed.
    fn exec(&self, sql: &str, params: &[P<'_>]) -> Result<u64, StoreError> {
        self.with(|c| c.exec(sql, params))
    }

    /// Runs `f` in a transaction, committed when it succeeds and rolled back when it fails.
    fn tx<T>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        match &self.backend {
            Backend::Sqlite(m) => Store::lock(m)?.tx(f),
            Backend::Postgres(pool) => pool.get()?.tx(false, f),
        }
    }

    /// Runs `f` in a read-only transaction that sees one snapshot of the database (exports).
    fn snapshot_tx<T>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        match &self.backend {
            Backend::Sqlite(_) => self.tx(f),
            Backend::Postgres(pool) => pool.get()?.tx(true, f),
        }
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
        self.check_key()?;
        let changed = self.reseal_all()?;
        if changed > 0
            && let Backend::Sqlite(m) = &self.backend
        {
            // The clear copies were in the main file: write the sealed pages over them now.
            Store::lock(m)?
                .conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        }
        Ok(changed)
    }

    /// Checks that the key ring opens this database's secrets: the first key ring to seal the
    /// database leaves a known text sealed in `settings`; every later one must open it. A replica
    /// given another key file stops at start, before it seals anything the others cannot open.
    fn check_key(&self) -> Result<(), StoreError> {
        const CHECK: &str = "formwork key check";
        let Some(secrets) = &self.secrets else {
            return Ok(());
        };
        let sealed = secrets.vault.seal(CHECK)?;
        let stored = self.with(|c| {
            c.exec(
                "INSERT INTO settings (key, value) VALUES ('key_check', $1) ON CONFLICT (key) DO NOTHING",
                &[(&sealed).into()],
            )?;
            c.row("SELECT value FROM settings WHERE key = 'key_check'", &[])?
                .map_or(Ok(sealed.clone()), |mut r| r.text(0))
        })?;
        match secrets.vault.open(&stored) {
            Ok(text) if text == CHECK => Ok(()),
            _ => Err(StoreError::WrongKey),
        }
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
        let changed = self.rewrite_stored(&|data, issued| {
            walk(data, vault)?;
            walk(issued, vault)
        })?;
        // The key check follows the key.
        self.tx(|c| {
            if let Some(mut row) =
                c.row("SELECT value FROM settings WHERE key = 'key_check'", &[])?
            {
                let mut check = Value::String(row.text(0)?);
                walk(&mut check, vault)?;
                if let Value::String(v) = check {
                    c.exec(
                        "UPDATE settings SET value = $1 WHERE key = 'key_check'",
                        &[(&v).into()],
                    )?;
                }
            }
            Ok(())
        })?;
        Ok(changed)
    }

    /// Applies `f` to the data and issued values of every record and the data of every version
    /// in its history (issued: `null` there), in one transaction, writing back the rows it
    /// changed; returns how many. A record saved meanwhile (by another replica) keeps what
    /// that save wrote: the write-back names the version it read.
    fn rewrite_stored(
        &self,
        f: &dyn Fn(&mut Value, &mut Value) -> Result<(), StoreError>,
    ) -> Result<usize, StoreError> {
        self.tx(|c| {
            let mut changed = 0;
            for mut row in c.rows("SELECT id, version, data, issued FROM records", &[])? {
                let (id, version, data, issued) =
                    (row.text(0)?, row.int(1)?, row.text(2)?, row.text(3)?);
                let (mut d, mut i): (Value, Value) =
                    (serde_json::from_str(&data)?, serde_json::from_str(&issued)?);
                f(&mut d, &mut i)?;
                let (d, i) = (serde_json::to_string(&d)?, serde_json::to_string(&i)?);
                if d != data || i != issued {
                    changed += c.exec(
                        "UPDATE records SET data = $1, issued = $2 WHERE id = $3 AND version = $4",
                        &[P::Text(&d), P::Text(&i), P::Text(&id), P::Int(version)],
                    )? as usize;
                }
            }
            for mut row in c.rows("SELECT record_id, version, data FROM record_versions", &[])? {
                let (id, version, data) = (row.text(0)?, row.int(1)?, row.text(2)?);
                let mut d: Value = serde_json::from_str(&data)?;
                f(&mut d, &mut Value::Null)?;
                let d = serde_json::to_string(&d)?;
                if d != data {
                    changed += c.exec(
                        "UPDATE record_versions SET data = $1 WHERE record_id = $2 AND version = $3",
                        &[P::Text(&d), P::Text(&id), P::Int(version)],
                    )? as usize;
                }
            }
            Ok(changed)
        })
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

    /// Records read by `sql` (selecting [`RECORD_COLUMNS`]), opened.
    fn records(&self, sql: &str, params: &[P<'_>]) -> Result<Vec<Record>, StoreError> {
        let raws = self.with(|c| {
            c.rows(sql, params)?
                .into_iter()
                .map(raw_record)
                .collect::<Result<Vec<_>, _>>()
        })?;
        raws.into_iter().map(|r| self.opened(r.parse()?)).collect()
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        match &self.backend {
            Backend::Sqlite(m) => sqlite::schema_version(&Store::lock(m)?.conn),
            Backend::Postgres(pool) => postgres::schema_version(&mut *pool.get()?),
        }
    }

    /// Every record, most recently updated first.
    pub fn list(&self) -> Result<Vec<Record>, StoreError> {
        self.records(
            &format!("SELECT {RECORD_COLUMNS} FROM records ORDER BY updated_at DESC, id"),
            &[],
        )
    }

    /// The records of `owner`, most recently updated first, a page at a time (`status` filters).
    pub fn list_owned(
        &self,
        owner: &str,
        status: Option<&str>,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<Record>, StoreError> {
        self.records(
            &format!(
                "SELECT {RECORD_COLUMNS} FROM records
                 WHERE owner = $1 AND (CAST($2 AS TEXT) IS NULL OR status = CAST($2 AS TEXT))
                 ORDER BY updated_at DESC, id LIMIT $3 OFFSET $4"
            ),
            &[owner.into(), status.into(), limit.into(), offset.into()],
        )
    }

    /// Gives every record without an owner to `owner`; returns how many.
    pub fn adopt_unowned(&self, owner: &str) -> Result<usize, StoreError> {
        self.tx(|c| {
            c.exec(
                "UPDATE files SET owner = $1 WHERE owner IS NULL",
                &[owner.into()],
            )?;
            Ok(c.exec(
                "UPDATE records SET owner = $1 WHERE owner IS NULL",
                &[owner.into()],
            )? as usize)
        })
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
        self.exec(
            "INSERT INTO accounts (id, email, password_hash, role, created_at)
             VALUES ($1, $2, $3, $4, {now})",
            &[
                (&id).into(),
                (&email).into(),
                password_hash.into(),
                role.into(),
            ],
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
        let email = email.trim().to_lowercase();
        self.with(|c| {
            c.row(
                "SELECT id, email, role, disabled, password_hash FROM accounts WHERE email = $1",
                &[(&email).into()],
            )?
            .map(|mut r| Ok((account(&mut r)?, r.opt_text(4)?)))
            .transpose()
        })
    }

    /// Every account, by email.
    pub fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        self.with(|c| {
            c.rows(
                "SELECT id, email, role, disabled FROM accounts ORDER BY email",
                &[],
            )?
            .iter_mut()
            .map(account)
            .collect()
        })
    }

    /// Disables an account and ends its sessions and tokens; false when there is no such account.
    pub fn disable_account(&self, email: &str) -> Result<bool, StoreError> {
        let email = email.trim().to_lowercase();
        self.tx(|c| {
            let Some(mut row) = c.row(
                "SELECT id FROM accounts WHERE email = $1",
                &[(&email).into()],
            )?
            else {
                return Ok(false);
            };
            let id = row.text(0)?;
            c.exec(
                "UPDATE accounts SET disabled = 1 WHERE id = $1",
                &[(&id).into()],
            )?;
            c.exec(
                "DELETE FROM sessions WHERE account_id = $1",
                &[(&id).into()],
            )?;
            c.exec(
                "DELETE FROM api_tokens WHERE account_id = $1",
                &[(&id).into()],
            )?;
            Ok(true)
        })
    }

    /// Starts a session for `account` lasting `hours`, stored by the hash of its token.
    pub fn create_session(
        &self,
        account: &str,
        token_hash: &str,
        hours: u32,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            c.exec("DELETE FROM sessions WHERE expires_at < {now}", &[])?;
            c.exec(
                "INSERT INTO sessions (token_hash, account_id, created_at, expires_at)
                 VALUES ($1, $2, {now}, {now+$3})",
                &[
                    token_hash.into(),
                    account.into(),
                    P::Int(i64::from(hours) * 3600),
                ],
            )?;
            Ok(())
        })
    }

    /// The enabled account of an unexpired session.
    pub fn session_account(&self, token_hash: &str) -> Result<Option<Account>, StoreError> {
        self.account_by(
            "SELECT a.id, a.email, a.role, a.disabled FROM sessions s JOIN accounts a ON a.id = s.account_id
             WHERE s.token_hash = $1 AND a.disabled = 0 AND s.expires_at > {now}",
            token_hash,
        )
    }

    /// The account the one-row query `sql`, given `token_hash` as `$1`, finds, if any.
    fn account_by(&self, sql: &str, token_hash: &str) -> Result<Option<Account>, StoreError> {
        self.with(|c| {
            c.row(sql, &[token_hash.into()])?
                .as_mut()
                .map(account)
                .transpose()
        })
    }

    /// Ends a session.
    pub fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        self.exec(
            "DELETE FROM sessions WHERE token_hash = $1",
            &[token_hash.into()],
        )?;
        Ok(())
    }

    /// Stores an API token of `account` by its hash.
    pub fn create_api_token(&self, account: &str, token_hash: &str) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO api_tokens (token_hash, account_id, created_at) VALUES ($1, $2, {now})",
            &[token_hash.into(), account.into()],
        )?;
        Ok(())
    }

    /// The enabled account of an API token.
    pub fn token_account(&self, token_hash: &str) -> Result<Option<Account>, StoreError> {
        self.account_by(
            "SELECT a.id, a.email, a.role, a.disabled FROM api_tokens t JOIN accounts a ON a.id = t.account_id
             WHERE t.token_hash = $1 AND a.disabled = 0",
            token_hash,
        )
    }

    /// Records a failed sign-in under each key (`account:EMAIL`, `address:IP`).
    pub fn record_login_failure(&self, keys: &[String]) -> Result<(), StoreError> {
        self.with(|c| {
            c.exec(
                "DELETE FROM login_failures WHERE at < {now+$1}",
                &[P::Int(-86_400)],
            )?;
            for key in keys {
                c.exec(
                    "INSERT INTO login_failures (key, at) VALUES ($1, {now})",
                    &[key.into()],
                )?;
            }
            Ok(())
        })
    }

    /// Failed sign-ins under `key` in the last `minutes`.
    pub fn login_failures(&self, key: &str, minutes: u32) -> Result<u32, StoreError> {
        let n = self.with(|c| {
            c.row(
                "SELECT count(*) FROM login_failures WHERE key = $1 AND at >= {now+$2}",
                &[key.into(), P::Int(-i64::from(minutes) * 60)],
            )?
            .map_or(Ok(0), |mut r| r.int(0))
        })?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// Forgets the failed sign-ins under `key` (after a successful one).
    pub fn clear_login_failures(&self, key: &str) -> Result<(), StoreError> {
        self.exec("DELETE FROM login_failures WHERE key = $1", &[key.into()])?;
        Ok(())
    }

    /// The record with this id.
    pub fn get(&self, id: &str) -> Result<Option<Record>, StoreError> {
        let found = self.with(|c| get(c, id))?;
        found.map(|r| self.opened(r)).transpose()
    }

    /// Inserts a new record (version 1), attaches the files it references, and starts its history.
    pub fn create(&self, id: &str, issued: &Value, save: Save<'_>) -> Result<Record, StoreError> {
        let (data, issued) = self.sealed(save.data, issued)?;
        let save = Save {
            data: &data,
            ..save
        };
        let (data_text, issued_text) = (
            serde_json::to_string(save.data)?,
            serde_json::to_string(&issued)?,
        );
        let record = self.tx(|c| {
            c.exec(
                "INSERT INTO records (id, status, version, data, issued, created_at, updated_at, spec_hash, owner, secrets_shown)
                 VALUES ($1, $2, 1, $3, $4, {now}, {now}, $5, $6, 0)",
                &[
                    id.into(),
                    save.status.into(),
                    (&data_text).into(),
                    (&issued_text).into(),
                    save.spec.into(),
                    save.actor.into(),
                ],
            )?;
            attach(c, id, save.files)?;
            let record = get(c, id)?.ok_or_else(|| missing(id))?;
            append_version(c, &record, &save)?;
            Ok(record)
        })?;
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
        let data_text = serde_json::to_string(save.data)?;
        let outcome = self.tx(|c| {
            let changed = c.exec(
                "UPDATE records SET status = $1, data = $2, version = version + 1, updated_at = {now},
                 spec_hash = $5
                 WHERE id = $3 AND version = $4",
                &[
                    save.status.into(),
                    (&data_text).into(),
                    id.into(),
                    P::Int(expected_version),
                    save.spec.into(),
                ],
            )?;
            if changed == 0 {
                return Ok(Err(get(c, id)?));
            }
            attach(c, id, save.files)?;
            let record = get(c, id)?.ok_or_else(|| missing(id))?;
            append_version(c, &record, &save)?;
            Ok(Ok(record))
        })?;
        self.update_outcome(outcome)
    }

    /// What a versioned write ended in: the saved record, or the current one it conflicted with
    /// (`None`: no such record), opened.
    fn update_outcome(
        &self,
        outcome: Result<Record, Option<Record>>,
    ) -> Result<Update, StoreError> {
        Ok(match outcome {
            Ok(saved) => Update::Saved(self.opened(saved)?),
            Err(Some(current)) => Update::Conflict(self.opened(current)?),
            Err(None) => Update::NotFound,
        })
    }

    /// Records in any of `statuses`, oldest update first (a review queue), a page at a time.
    pub fn list_in_statuses(
        &self,
        statuses: &[String],
        limit: u32,
        offset: u32,
    ) -> Result<Vec<Record>, StoreError> {
        if statuses.is_empty() {
            return Ok(Vec::new());
        }
        let mut params: Vec<P<'_>> = statuses.iter().map(P::from).collect();
        params.extend([P::from(limit), P::from(offset)]);
        let n = statuses.len();
        self.records(
            &format!(
                "SELECT {RECORD_COLUMNS} FROM records WHERE status IN ({})
                 ORDER BY updated_at, id LIMIT ${} OFFSET ${}",
                sql::placeholders(1, n),
                n + 1,
                n + 2
            ),
            &params,
        )
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
        let outcome = self.tx(|c| {
            let changed = c.exec(
                "UPDATE records SET status = $1, version = version + 1, updated_at = {now}
                 WHERE id = $2 AND version = $3",
                &[status.into(), id.into(), P::Int(expected_version)],
            )?;
            if changed == 0 {
                return Ok(Err(get(c, id)?));
            }
            let record = get(c, id)?.ok_or_else(|| missing(id))?;
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
            append_version(c, &record, &save)?;
            c.exec(
                "UPDATE record_versions SET comment_path = $1 WHERE record_id = $2 AND version = $3",
                &[comment_path.into(), id.into(), P::Int(record.version)],
            )?;
            Ok(Ok(record))
        })?;
        self.update_outcome(outcome)
    }

    /// A stored file's media type and bytes, if its record is in one of `statuses` (what a
    /// reviewer may see).
    pub fn file_in_statuses(
        &self,
        token: &str,
        statuses: &[String],
    ) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        if statuses.is_empty() {
            return Ok(None);
        }
        let mut params: Vec<P<'_>> = vec![token.into()];
        params.extend(statuses.iter().map(P::from));
        let sql = format!(
            "SELECT f.media_type, f.bytes FROM files f JOIN records r ON r.id = f.record_id
             WHERE f.token = $1 AND r.status IN ({})",
            sql::placeholders(2, statuses.len())
        );
        self.with(|c| {
            c.row(&sql, &params)?
                .map(|mut r| Ok((r.text(0)?, r.bytes(1)?)))
                .transpose()
        })
    }

    /// Notes that a record's issued secrets have been shown in full once.
    pub fn mark_secrets_shown(&self, id: &str) -> Result<(), StoreError> {
        self.exec(
            "UPDATE records SET secrets_shown = 1 WHERE id = $1",
            &[id.into()],
        )?;
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
        let value = match &self.secrets {
            Some(secrets) => secrets.vault.seal(value)?,
            None => value.to_string(),
        };
        let record = self.tx(|c| {
            // Read under a row lock (PostgreSQL): the issued values written back are the current ones.
            let lock = if c.is_postgres() { " FOR UPDATE" } else { "" };
            let Some(row) = c.row(
                &format!("SELECT {RECORD_COLUMNS} FROM records WHERE id = $1{lock}"),
                &[id.into()],
            )?
            else {
                return Ok(None);
            };
            let mut record = raw_record(row)?.parse()?;
            if let Value::Object(m) = &mut record.issued {
                m.insert(name.to_string(), Value::String(value.clone()));
            }
            c.exec(
                "UPDATE records SET issued = $1, version = version + 1, updated_at = {now} WHERE id = $2",
                &[(&serde_json::to_string(&record.issued)?).into(), id.into()],
            )?;
            let record = get(c, id)?.ok_or_else(|| missing(id))?;
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
            append_version(c, &record, &save)?;
            Ok(Some(record))
        })?;
        record.map(|r| self.opened(r)).transpose()
    }

    /// Every saved version of a record, oldest first (empty when there is no such record).
    pub fn versions(&self, id: &str) -> Result<Vec<RecordVersion>, StoreError> {
        let rows = self.with(|c| {
            c.rows(
                "SELECT v.version, v.status, v.data, v.spec_hash, s.version, v.actor, v.event, v.note, v.created_at, v.comment_path, a.email, v.stage
                 FROM record_versions v LEFT JOIN specs s ON s.hash = v.spec_hash
                 LEFT JOIN accounts a ON a.id = v.actor
                 WHERE v.record_id = $1 ORDER BY v.version",
                &[id.into()],
            )
        })?;
        let mut out = Vec::with_capacity(rows.len());
        for mut r in rows {
            let mut data: Value = serde_json::from_str(&r.text(2)?)?;
            if let Some(secrets) = &self.secrets {
                map_secrets(secrets, &mut data, &mut Value::Null, &|v| {
                    Ok(secrets.vault.open(v)?)
                })?;
            }
            out.push(RecordVersion {
                version: r.int(0)?,
                status: r.text(1)?,
                data,
                spec_hash: r.opt_text(3)?,
                spec_version: r.opt_text(4)?,
                actor: r.opt_text(5)?,
                actor_email: r.opt_text(10)?,
                event: r.text(6)?,
                stage: r.opt_text(11)?,
                note: r.opt_text(7)?,
                comment_path: r.opt_text(9)?,
                created: r.text(8)?,
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
        self.with(|c| {
            c.rows(
                "SELECT version, status, event, note, comment_path FROM record_versions
                 WHERE record_id = $1 ORDER BY version DESC",
                &[id.into()],
            )?
            .into_iter()
            .map(|mut r| {
                Ok((
                    r.int(0)?,
                    r.text(1)?,
                    r.text(2)?,
                    r.opt_text(3)?,
                    r.opt_text(4)?,
                ))
            })
            .collect()
        })
    }

    /// Remembers a spec the server serves (once per distinct IR).
    pub fn remember_spec(&self, spec: &StoredSpec) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO specs (hash, form_id, version, source, ir, first_served_at)
             VALUES ($1, $2, $3, $4, $5, {now}) ON CONFLICT (hash) DO NOTHING",
            &[
                (&spec.hash).into(),
                (&spec.form_id).into(),
                spec.version.as_deref().into(),
                (&spec.source).into(),
                (&spec.ir).into(),
            ],
        )?;
        Ok(())
    }

    /// A spec remembered by [`Store::remember_spec`].
    pub fn spec(&self, hash: &str) -> Result<Option<StoredSpec>, StoreError> {
        self.with(|c| {
            c.row(
                "SELECT hash, form_id, version, source, ir FROM specs WHERE hash = $1",
                &[hash.into()],
            )?
            .map(|mut r| {
                Ok(StoredSpec {
                    hash: r.text(0)?,
                    form_id: r.text(1)?,
                    version: r.opt_text(2)?,
                    source: r.text(3)?,
                    ir: r.text(4)?,
                })
            })
            .transpose()
        })
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
        self.tx(|c| {
            let mut tokens = Vec::with_capacity(files.len());
            for f in files {
                let token = super::random_hex(16);
                c.exec(
                    "INSERT INTO files (token, field, name, media_type, size, width, height, bytes, created_at, owner)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, {now}, $9)",
                    &[
                        (&token).into(),
                        f.field.into(),
                        (&f.meta.name).into(),
                        (&f.meta.media_type).into(),
                        P::Int(i64::try_from(f.meta.size).unwrap_or(i64::MAX)),
                        f.meta.width.into(),
                        f.meta.height.into(),
                        f.bytes.into(),
                        owner.into(),
                    ],
                )?;
                tokens.push(token);
            }
            Ok(tokens)
        })
    }

    /// Metadata of the stored files among `tokens` (unknown tokens are left out).
    pub fn files_meta(&self, tokens: &[String]) -> Result<HashMap<String, StoredFile>, StoreError> {
        self.with(|c| {
            let mut out = HashMap::new();
            for token in tokens {
                if out.contains_key(token) {
                    continue;
                }
                let Some(mut r) = c.row(
                    "SELECT token, name, media_type, size, width, height FROM files WHERE token = $1",
                    &[token.into()],
                )?
                else {
                    continue;
                };
                let file = StoredFile {
                    token: r.text(0)?,
                    meta: FileMeta {
                        name: r.text(1)?,
                        media_type: r.text(2)?,
                        size: u64::try_from(r.int(3)?).unwrap_or(0),
                        width: r.opt_u32(4)?,
                        height: r.opt_u32(5)?,
                    },
                };
                out.insert(token.clone(), file);
            }
            Ok(out)
        })
    }

    /// A stored file's media type and bytes, if `owner` uploaded it or owns its record.
    pub fn file(&self, token: &str, owner: &str) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        self.with(|c| {
            c.row(
                "SELECT f.media_type, f.bytes FROM files f LEFT JOIN records r ON r.id = f.record_id
                 WHERE f.token = $1 AND (f.owner = $2 OR r.owner = $2)",
                &[token.into(), owner.into()],
            )?
            .map(|mut r| Ok((r.text(0)?, r.bytes(1)?)))
            .transpose()
        })
    }

    /// Deletes uploads that no record uses and that are older than `minutes`; returns how many.
    pub fn delete_orphan_files(&self, minutes: u32) -> Result<usize, StoreError> {
        Ok(self.exec(
            "DELETE FROM files WHERE record_id IS NULL AND created_at <= {now+$1}",
            &[P::Int(-i64::from(minutes) * 60)],
        )? as usize)
    }

    /// The uploads of `owner` that no record uses yet: how many, and their bytes.
    pub fn pending_uploads(&self, owner: &str) -> Result<(u64, u64), StoreError> {
        let (n, bytes) = self.with(|c| {
            c.row(
                "SELECT count(*), CAST(coalesce(sum(size), 0) AS BIGINT) FROM files
                 WHERE record_id IS NULL AND owner = $1",
                &[owner.into()],
            )?
            .map_or(Ok((0, 0)), |mut r| Ok((r.int(0)?, r.int(1)?)))
        })?;
        Ok((
            u64::try_from(n).unwrap_or(0),
            u64::try_from(bytes).unwrap_or(0),
        ))
    }
}

/// The error for a record that vanished inside its own transaction (cannot happen).
fn missing(id: &str) -> StoreError {
    StoreError::Inconsistent(format!("record {id} vanished inside its own transaction"))
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

fn account(r: &mut Row) -> Result<Account, StoreError> {
    Ok(Account {
        id: r.text(0)?,
        email: r.text(1)?,
        role: r.opt_text(2)?,
        disabled: r.int(3)? != 0,
    })
}

/// Writes `record`'s current state to its history.
fn append_version(c: &mut dyn Conn, record: &Record, save: &Save<'_>) -> Result<(), StoreError> {
    c.exec(
        "INSERT INTO record_versions (record_id, version, status, data, spec_hash, actor, event, note, created_at, stage)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, {now}, $9)",
        &[
            (&record.id).into(),
            P::Int(record.version),
            (&record.status).into(),
            (&serde_json::to_string(&record.data)?).into(),
            save.spec.into(),
            save.actor.into(),
            save.event.into(),
            save.note.into(),
            save.stage.into(),
        ],
    )?;
    Ok(())
}

fn attach(c: &mut dyn Conn, id: &str, tokens: &[String]) -> Result<(), StoreError> {
    for token in tokens {
        c.exec(
            "UPDATE files SET record_id = $1 WHERE token = $2",
            &[id.into(), token.into()],
        )?;
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

/// A row of [`RECORD_COLUMNS`].
fn raw_record(mut r: Row) -> Result<RawRecord, StoreError> {
    Ok(RawRecord {
        id: r.text(0)?,
        status: r.text(1)?,
        version: r.int(2)?,
        data: r.text(3)?,
        issued: r.text(4)?,
        created: r.text(5)?,
        updated: r.text(6)?,
        spec_hash: r.opt_text(7)?,
        owner: r.opt_text(8)?,
        secrets_shown: r.int(9)? != 0,
    })
}

fn get(c: &mut dyn Conn, id: &str) -> Result<Option<Record>, StoreError> {
    match c.row(
        &format!("SELECT {RECORD_COLUMNS} FROM records WHERE id = $1"),
        &[id.into()],
    )? {
        Some(r) => Ok(Some(raw_record(r)?.parse()?)),
        None => Ok(None),
    }
}
