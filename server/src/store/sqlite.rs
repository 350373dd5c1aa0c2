//! The SQLite backend: one connection (WAL, `synchronous = FULL`), its schema version in
//! `PRAGMA user_version`.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags};

use super::StoreError;
use super::migrations::SQLITE;
use super::sql::{Cell, Conn, Dialect, P, Row, translate};

/// The connection of a SQLite store, with its statements as SQLite reads them (`?N`
/// placeholders), by their text as written: each is rewritten once.
pub(crate) struct LiteConn {
    /// The connection.
    pub conn: Connection,
    translated: HashMap<String, String>,
}

impl LiteConn {
    /// `conn`, nothing rewritten yet.
    pub(crate) fn new(conn: Connection) -> LiteConn {
        LiteConn {
            conn,
            translated: HashMap::new(),
        }
    }

    /// Runs `f` on the connection, outside a transaction.
    pub(crate) fn with<T>(
        &mut self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        f(&mut Lite {
            conn: &self.conn,
            translated: &mut self.translated,
        })
    }

    /// Runs `f` in a transaction, committed when it succeeds (rolled back when dropped).
    pub(crate) fn tx<T>(
        &mut self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let tx = self.conn.transaction()?;
        let out = f(&mut Lite {
            conn: &tx,
            translated: &mut self.translated,
        })?;
        tx.commit()?;
        Ok(out)
    }
}

/// A statement runner on a SQLite connection (or a transaction on it).
struct Lite<'c> {
    conn: &'c Connection,
    translated: &'c mut HashMap<String, String>,
}

impl Lite<'_> {
    /// A statement prepared (once per connection) from `sql` as written.
    fn statement(&mut self, sql: &str) -> Result<rusqlite::CachedStatement<'_>, StoreError> {
        if !self.translated.contains_key(sql) {
            self.translated
                .insert(sql.to_owned(), translate(sql, Dialect::Sqlite));
        }
        let text = self.translated.get(sql).map_or(sql, String::as_str);
        Ok(self.conn.prepare_cached(text)?)
    }
}

impl rusqlite::ToSql for P<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            P::Null => ValueRef::Null,
            P::Int(n) => ValueRef::Integer(*n),
            P::Text(s) => ValueRef::Text(s.as_bytes()),
            P::Bytes(b) => ValueRef::Blob(b),
        }))
    }
}

fn cell(v: ValueRef<'_>) -> Result<Cell, StoreError> {
    Ok(match v {
        ValueRef::Null => Cell::Null,
        ValueRef::Integer(n) => Cell::Int(n),
        ValueRef::Text(t) => Cell::Text(
            std::str::from_utf8(t)
                .map_err(|_| StoreError::Column {
                    index: 0,
                    expected: "UTF-8 text",
                })?
                .to_owned(),
        ),
        ValueRef::Blob(b) => Cell::Bytes(b.to_vec()),
        ValueRef::Real(_) => {
            return Err(StoreError::Column {
                index: 0,
                expected: "no real numbers",
            });
        }
    })
}

impl Conn for Lite<'_> {
    fn is_postgres(&self) -> bool {
        false
    }

    fn exec(&mut self, sql: &str, params: &[P<'_>]) -> Result<u64, StoreError> {
        let mut stmt = self.statement(sql)?;
        Ok(stmt.execute(rusqlite::params_from_iter(params.iter()))? as u64)
    }

    fn rows(&mut self, sql: &str, params: &[P<'_>]) -> Result<Vec<Row>, StoreError> {
        let mut stmt = self.statement(sql)?;
        let n = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let mut cells = Vec::with_capacity(n);
            for i in 0..n {
                cells.push(cell(r.get_ref(i)?)?);
            }
            out.push(Row(cells));
        }
        Ok(out)
    }
}

/// Opens (creating if needed) the database file at `path`.
pub(crate) fn open(path: &Path) -> Result<Connection, StoreError> {
    init(Connection::open(path)?)
}

/// A private in-memory copy of the database file at `path` (opened read-only, never written).
pub(crate) fn snapshot(path: &Path) -> Result<Connection, StoreError> {
    let file = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let mut copy = Connection::open_in_memory()?;
    {
        let backup = rusqlite::backup::Backup::new(&file, &mut copy)?;
        backup.run_to_completion(256, std::time::Duration::ZERO, None)?;
    }
    init(copy)
}

/// A private in-memory database.
pub(crate) fn in_memory() -> Result<Connection, StoreError> {
    init(Connection::open_in_memory()?)
}

fn init(mut conn: Connection) -> Result<Connection, StoreError> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // `journal_mode` answers with the mode; in-memory databases stay `memory`.
    let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    // secure_delete: freed pages are zeroed, so a secret sealed or removed leaves no copy.
    conn.execute_batch(
        "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;",
    )?;
    migrate(&mut conn)?;
    Ok(conn)
}

/// The schema version (`PRAGMA user_version`).
pub(crate) fn schema_version(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let current = schema_version(conn)?;
    let supported = SQLITE.len() as i64;
    if current > supported {
        return Err(StoreError::TooNew {
            found: current,
            supported,
        });
    }
    for (i, sql) in SQLITE.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
        tx.commit()?;
    }
    Ok(())
}
