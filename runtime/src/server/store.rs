//! SQLite storage: records (data, status, version, issued values) and uploaded files.
//!
//! The database file is created on first start; its schema is migrated with `PRAGMA user_version`.
//! It runs in WAL mode with `synchronous = FULL`: every write is durable when its call returns.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

use crate::files::FileMeta;

/// The schema, one migration per version (index 0 brings `user_version` from 0 to 1).
const MIGRATIONS: &[&str] = &[r#"
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
"#];

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
    /// The connection lock was poisoned by a panic in another request.
    #[error("the database connection is unusable after an earlier failure")]
    Poisoned,
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
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let conn = Connection::open(path)?;
        Store::init(conn)
    }

    /// A private in-memory database (for tests).
    pub fn in_memory() -> Result<Store, StoreError> {
        Store::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Store, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // `journal_mode` answers with the mode; in-memory databases stay `memory`.
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
        migrate(&mut conn)?;
        Ok(Store {
            conn: Mutex::new(conn),
        })
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
            "SELECT id, status, version, data, issued, created_at, updated_at
             FROM records ORDER BY updated_at DESC, id",
        )?;
        let rows = stmt.query_map([], raw_record)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row?.parse()?);
        }
        Ok(out)
    }

    /// The record with this id.
    pub fn get(&self, id: &str) -> Result<Option<Record>, StoreError> {
        let conn = self.conn()?;
        get(&conn, id)
    }

    /// Inserts a new record (version 1) and attaches the files it references.
    pub fn create(
        &self,
        id: &str,
        status: &str,
        data: &Value,
        issued: &Value,
        file_tokens: &[String],
    ) -> Result<Record, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        tx.execute(
            &format!(
                "INSERT INTO records (id, status, version, data, issued, created_at, updated_at)
                 VALUES (?1, ?2, 1, ?3, ?4, {NOW}, {NOW})"
            ),
            params![
                id,
                status,
                serde_json::to_string(data)?,
                serde_json::to_string(issued)?
            ],
        )?;
        attach(&tx, id, file_tokens)?;
        let record = get(&tx, id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
        tx.commit()?;
        Ok(record)
    }

    /// Replaces a record's data and status if it is still at `expected_version`.
    pub fn update(
        &self,
        id: &str,
        expected_version: i64,
        status: &str,
        data: &Value,
        file_tokens: &[String],
    ) -> Result<Update, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        let changed = tx.execute(
            &format!(
                "UPDATE records SET status = ?1, data = ?2, version = version + 1, updated_at = {NOW}
                 WHERE id = ?3 AND version = ?4"
            ),
            params![status, serde_json::to_string(data)?, id, expected_version],
        )?;
        if changed == 0 {
            let current = get(&tx, id)?;
            tx.commit()?;
            return Ok(match current {
                Some(r) => Update::Conflict(r),
                None => Update::NotFound,
            });
        }
        attach(&tx, id, file_tokens)?;
        let record = get(&tx, id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
        tx.commit()?;
        Ok(Update::Saved(record))
    }

    /// Stores uploads in one transaction; returns a fresh random token per file, in order.
    pub fn put_files(&self, files: &[NewFile<'_>]) -> Result<Vec<String>, StoreError> {
        if files.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        let mut tokens = Vec::with_capacity(files.len());
        {
            let mut stmt = tx.prepare(&format!(
                "INSERT INTO files (token, field, name, media_type, size, width, height, bytes, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, {NOW})"
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

    /// A stored file's media type and bytes.
    pub fn file(&self, token: &str) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        let conn = self.conn()?;
        Ok(conn
            .query_row(
                "SELECT media_type, bytes FROM files WHERE token = ?1",
                [token],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// Deletes uploads that no record uses and that are older than `hours`; returns how many.
    pub fn delete_orphan_files(&self, hours: u32) -> Result<usize, StoreError> {
        let conn = self.conn()?;
        Ok(conn.execute(
            "DELETE FROM files WHERE record_id IS NULL AND created_at < strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?1)",
            [format!("-{hours} hours")],
        )?)
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
    })
}

fn get(conn: &Connection, id: &str) -> Result<Option<Record>, StoreError> {
    let raw = conn
        .query_row(
            "SELECT id, status, version, data, issued, created_at, updated_at FROM records WHERE id = ?1",
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
        let r = store
            .create("a", "hidden", &json!({"x": 1}), &json!({"id": "1"}), &[])
            .unwrap();
        assert_eq!(r.version, 1);
        let Update::Saved(r2) = store
            .update("a", 1, "in_review", &json!({"x": 2}), &[])
            .unwrap()
        else {
            panic!("not saved")
        };
        assert_eq!((r2.version, r2.status.as_str()), (2, "in_review"));
        let Update::Conflict(cur) = store
            .update("a", 1, "hidden", &json!({"x": 3}), &[])
            .unwrap()
        else {
            panic!("no conflict")
        };
        assert_eq!(cur.data, json!({"x": 2}));
        assert!(matches!(
            store.update("b", 1, "hidden", &json!({}), &[]).unwrap(),
            Update::NotFound
        ));
    }

    #[test]
    fn files_round_trip() {
        let store = Store::in_memory().unwrap();
        let meta = crate::files::sniff("a.json", b"{}", 2);
        let tokens = store
            .put_files(&[NewFile {
                field: "f",
                meta: &meta,
                bytes: b"{}",
            }])
            .unwrap();
        let found = store
            .files_meta(&[tokens[0].clone(), "nope".into()])
            .unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[&tokens[0]].meta, meta);
        assert_eq!(
            store.file(&tokens[0]).unwrap(),
            Some(("application/json".to_string(), b"{}".to_vec()))
        );
    }
}
