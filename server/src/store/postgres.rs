//! The PostgreSQL backend: a pool of connections (r2d2) of the synchronous `postgres` client,
//! each keeping its prepared statements; the schema version in `formwork_meta`, migrated once
//! under an advisory lock so replicas starting together do not race.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{GenericClient, NoTls, Statement};

use super::StoreError;
use super::migrations::POSTGRES;
use super::sql::{Cell, Conn, Dialect, P, Row, translate};

/// Connections the pool keeps at most (each request holds one only for its statements).
const POOL_SIZE: u32 = 16;
/// How long a request waits for a connection (the database down, or every connection busy).
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(3);
/// The advisory lock taken while migrating ("formwork" in ASCII).
const MIGRATION_LOCK: i64 = 0x666f_726d_776f_726b;

/// A connection with its prepared statements, by their text.
pub(crate) struct PgConn {
    client: postgres::Client,
    statements: HashMap<String, Statement>,
    /// When a statement last succeeded on it.
    last_ok: Instant,
}

/// A connection used successfully this recently is handed out without a test round trip: under
/// load the test would double the round trips; after a quiet second a database restart is noticed
/// before a request is.
const FRESH: Duration = Duration::from_secs(1);

/// Opens connections for the pool.
#[derive(Debug)]
pub(crate) struct Manager {
    config: postgres::Config,
}

impl r2d2::ManageConnection for Manager {
    type Connection = PgConn;
    type Error = postgres::Error;

    fn connect(&self) -> Result<PgConn, postgres::Error> {
        Ok(PgConn {
            client: self.config.connect(NoTls)?,
            statements: HashMap::new(),
            last_ok: Instant::now(),
        })
    }

    fn is_valid(&self, conn: &mut PgConn) -> Result<(), postgres::Error> {
        if conn.last_ok.elapsed() < FRESH {
            return Ok(());
        }
        conn.client.simple_query("")?;
        conn.last_ok = Instant::now();
        Ok(())
    }

    fn has_broken(&self, conn: &mut PgConn) -> bool {
        conn.client.is_closed()
    }
}

/// The pool of a PostgreSQL database.
pub(crate) type Pool = r2d2::Pool<Manager>;

/// Connects to the database at `url` (`postgres://USER[:PASSWORD]@HOST[:PORT]/DB`) and
/// migrates it.
pub(crate) fn open(url: &str) -> Result<Pool, StoreError> {
    let mut config: postgres::Config = url
        .parse()
        .map_err(|e: postgres::Error| StoreError::Url(e.to_string()))?;
    // A password kept out of the command line (and so out of process lists), as psql reads it.
    if config.get_password().is_none()
        && let Ok(password) = std::env::var("PGPASSWORD")
    {
        config.password(password);
    }
    // The first connection is made directly: a refusal or a bad password is reported as such,
    // not as a pool timeout.
    let mut first = config.connect(NoTls)?;
    migrate(&mut first)?;
    drop(first);
    Ok(r2d2::Pool::builder()
        .max_size(POOL_SIZE)
        .min_idle(Some(0))
        // A request waits this long for a connection before it is answered 503.
        .connection_timeout(CONNECTION_TIMEOUT)
        .error_handler(Box::new(r2d2::NopErrorHandler))
        .build_unchecked(Manager { config }))
}

/// The schema version (0 before the first migration).
pub(crate) fn schema_version(conn: &mut PgConn) -> Result<i64, StoreError> {
    version(&mut conn.client)
}

fn version(c: &mut impl GenericClient) -> Result<i64, StoreError> {
    c.batch_execute(
        "CREATE TABLE IF NOT EXISTS formwork_meta (key TEXT PRIMARY KEY NOT NULL, value BIGINT NOT NULL)",
    )?;
    let row = c.query_opt(
        "SELECT value FROM formwork_meta WHERE key = 'schema_version'",
        &[],
    )?;
    Ok(row.map_or(0, |r| r.get(0)))
}

/// Brings the schema up to date in one transaction holding the migration lock: a replica that
/// starts meanwhile waits, then finds nothing to do.
fn migrate(client: &mut postgres::Client) -> Result<(), StoreError> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    let current = version(&mut tx)?;
    let supported = POSTGRES.len() as i64;
    if current > supported {
        return Err(StoreError::TooNew {
            found: current,
            supported,
        });
    }
    for sql in POSTGRES.iter().skip(current as usize) {
        tx.batch_execute(sql)?;
    }
    if current < supported {
        tx.execute(
            "INSERT INTO formwork_meta (key, value) VALUES ('schema_version', $1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&supported],
        )?;
    }
    tx.commit()?;
    Ok(())
}

impl ToSql for P<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            P::Null => Ok(IsNull::Yes),
            P::Int(n) => match *ty {
                Type::INT4 => i32::try_from(*n)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*n)?.to_sql(ty, out),
                _ => n.to_sql(ty, out),
            },
            P::Text(s) => s.to_sql(ty, out),
            P::Bytes(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        matches!(
            *ty,
            Type::INT8
                | Type::INT4
                | Type::INT2
                | Type::TEXT
                | Type::VARCHAR
                | Type::BPCHAR
                | Type::NAME
                | Type::BYTEA
        )
    }

    to_sql_checked!();
}

fn cell(row: &postgres::Row, i: usize) -> Result<Cell, StoreError> {
    let ty = row.columns()[i].type_();
    Ok(match *ty {
        Type::INT8 => row
            .try_get::<_, Option<i64>>(i)?
            .map_or(Cell::Null, Cell::Int),
        Type::INT4 => row
            .try_get::<_, Option<i32>>(i)?
            .map_or(Cell::Null, |n| Cell::Int(i64::from(n))),
        Type::INT2 => row
            .try_get::<_, Option<i16>>(i)?
            .map_or(Cell::Null, |n| Cell::Int(i64::from(n))),
        Type::BOOL => row
            .try_get::<_, Option<bool>>(i)?
            .map_or(Cell::Null, |b| Cell::Int(i64::from(b))),
        Type::BYTEA => row
            .try_get::<_, Option<Vec<u8>>>(i)?
            .map_or(Cell::Null, Cell::Bytes),
        _ => row
            .try_get::<_, Option<String>>(i)?
            .map_or(Cell::Null, Cell::Text),
    })
}

/// A statement runner on a pooled connection, or on a transaction of it.
pub(crate) struct Run<'a, C: GenericClient> {
    /// The connection or transaction.
    pub client: &'a mut C,
    /// The connection's prepared statements.
    pub statements: &'a mut HashMap<String, Statement>,
}

impl<C: GenericClient> Run<'_, C> {
    fn statement(&mut self, sql: &str) -> Result<Statement, StoreError> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(&translate(sql, Dialect::Postgres))?;
        self.statements.insert(sql.to_owned(), s.clone());
        Ok(s)
    }
}

fn params<'p>(params: &'p [P<'_>]) -> Vec<&'p (dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

impl<C: GenericClient> Conn for Run<'_, C> {
    fn is_postgres(&self) -> bool {
        true
    }

    fn exec(&mut self, sql: &str, p: &[P<'_>]) -> Result<u64, StoreError> {
        let s = self.statement(sql)?;
        Ok(self.client.execute(&s, &params(p))?)
    }

    fn rows(&mut self, sql: &str, p: &[P<'_>]) -> Result<Vec<Row>, StoreError> {
        let s = self.statement(sql)?;
        let rows = self.client.query(&s, &params(p))?;
        rows.iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| cell(r, i))
                    .collect::<Result<_, _>>()
                    .map(Row)
            })
            .collect()
    }
}

impl PgConn {
    /// Runs `f` on this connection, outside a transaction.
    pub(crate) fn with<T>(
        &mut self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let out = f(&mut Run {
            client: &mut self.client,
            statements: &mut self.statements,
        })?;
        self.last_ok = Instant::now();
        Ok(out)
    }

    /// Runs `f` in a transaction, committed when it succeeds (`repeatable`: one snapshot for
    /// every statement, for exports).
    pub(crate) fn tx<T>(
        &mut self,
        repeatable: bool,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut builder = self.client.build_transaction();
        if repeatable {
            builder = builder
                .isolation_level(postgres::IsolationLevel::RepeatableRead)
                .read_only(true);
        }
        let mut tx = builder.start()?;
        let out = f(&mut Run {
            client: &mut tx,
            statements: &mut self.statements,
        })?;
        tx.commit()?;
        self.last_ok = Instant::now();
        Ok(out)
    }
}
