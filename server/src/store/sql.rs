//! The SQL both backends run, written once: `$1`-style placeholders, and `{now}` / `{now+$N}`
//! (`$N` seconds from now) for UTC timestamps stored as RFC 3339 text that sorts as text. Each
//! backend rewrites a statement for its dialect ([`translate`]) and implements [`Conn`].

use super::StoreError;

/// The SQL dialect a statement is rewritten for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// SQLite: `?N` placeholders, `strftime`.
    Sqlite,
    /// PostgreSQL: `$N` placeholders, `now()` and intervals.
    Postgres,
}

/// `now` as stored text, in PostgreSQL (`{now}`).
const PG_NOW: &str = r#"to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"#;
/// `now` as stored text, in SQLite.
const LITE_NOW: &str = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')";

/// `sql` for `dialect`: placeholders and `{now}` / `{now+$N}` rewritten; quoted text is left as is.
pub(crate) fn translate(sql: &str, dialect: Dialect) -> String {
    let mut out = String::with_capacity(sql.len() + 64);
    let mut rest = sql;
    let mut quoted = false;
    while let Some(c) = rest.chars().next() {
        if c == '\'' {
            quoted = !quoted;
        } else if !quoted {
            if let Some(after) = rest.strip_prefix("{now}") {
                out.push_str(match dialect {
                    Dialect::Sqlite => LITE_NOW,
                    Dialect::Postgres => PG_NOW,
                });
                rest = after;
                continue;
            }
            if let Some(after) = rest.strip_prefix("{now+$")
                && let Some(end) = after.find('}')
                && after[..end].bytes().all(|b| b.is_ascii_digit())
            {
                let n = &after[..end];
                match dialect {
                    Dialect::Sqlite => {
                        out.push_str("strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?");
                        out.push_str(n);
                        out.push_str(" || ' seconds')");
                    }
                    Dialect::Postgres => {
                        out.push_str("to_char((now() + $");
                        out.push_str(n);
                        out.push_str(
                            r#"::bigint * interval '1 second') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"#,
                        );
                    }
                }
                rest = &after[end + 1..];
                continue;
            }
            if c == '$' && dialect == Dialect::Sqlite {
                out.push('?');
                rest = &rest[1..];
                continue;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// A statement parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum P<'a> {
    /// SQL `NULL`.
    Null,
    /// A whole number (`INTEGER` / `BIGINT`).
    Int(i64),
    /// Text.
    Text(&'a str),
    /// Bytes (`BLOB` / `BYTEA`).
    Bytes(&'a [u8]),
}

impl<'a> From<&'a str> for P<'a> {
    fn from(s: &'a str) -> Self {
        P::Text(s)
    }
}
impl<'a> From<&'a String> for P<'a> {
    fn from(s: &'a String) -> Self {
        P::Text(s)
    }
}
impl<'a> From<Option<&'a str>> for P<'a> {
    fn from(s: Option<&'a str>) -> Self {
        s.map_or(P::Null, P::Text)
    }
}
impl From<i64> for P<'_> {
    fn from(n: i64) -> Self {
        P::Int(n)
    }
}
impl From<u32> for P<'_> {
    fn from(n: u32) -> Self {
        P::Int(i64::from(n))
    }
}
impl From<Option<u32>> for P<'_> {
    fn from(n: Option<u32>) -> Self {
        n.map_or(P::Null, |n| P::Int(i64::from(n)))
    }
}
impl<'a> From<&'a [u8]> for P<'a> {
    fn from(b: &'a [u8]) -> Self {
        P::Bytes(b)
    }
}

impl<'a> From<&'a Cell> for P<'a> {
    fn from(c: &'a Cell) -> Self {
        match c {
            Cell::Null => P::Null,
            Cell::Int(n) => P::Int(*n),
            Cell::Text(s) => P::Text(s),
            Cell::Bytes(b) => P::Bytes(b),
        }
    }
}

/// A column value as read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cell {
    /// SQL `NULL`.
    Null,
    /// A whole number.
    Int(i64),
    /// Text.
    Text(String),
    /// Bytes.
    Bytes(Vec<u8>),
}

/// One row of a result, its columns taken by index.
#[derive(Debug, Clone, PartialEq)]
pub struct Row(pub Vec<Cell>);

impl Row {
    fn take(&mut self, i: usize) -> Cell {
        self.0
            .get_mut(i)
            .map_or(Cell::Null, |c| std::mem::replace(c, Cell::Null))
    }

    fn wrong(i: usize, expected: &'static str) -> StoreError {
        StoreError::Column { index: i, expected }
    }

    /// Column `i` as text.
    pub fn text(&mut self, i: usize) -> Result<String, StoreError> {
        self.opt_text(i)?.ok_or_else(|| Row::wrong(i, "text"))
    }

    /// Column `i` as text or `NULL`.
    pub fn opt_text(&mut self, i: usize) -> Result<Option<String>, StoreError> {
        match self.take(i) {
            Cell::Null => Ok(None),
            Cell::Text(s) => Ok(Some(s)),
            _ => Err(Row::wrong(i, "text")),
        }
    }

    /// Column `i` as a whole number.
    pub fn int(&mut self, i: usize) -> Result<i64, StoreError> {
        self.opt_int(i)?
            .ok_or_else(|| Row::wrong(i, "a whole number"))
    }

    /// Column `i` as a whole number or `NULL`.
    pub fn opt_int(&mut self, i: usize) -> Result<Option<i64>, StoreError> {
        match self.take(i) {
            Cell::Null => Ok(None),
            Cell::Int(n) => Ok(Some(n)),
            _ => Err(Row::wrong(i, "a whole number")),
        }
    }

    /// Column `i` as a `u32` or `NULL` (image sides).
    pub fn opt_u32(&mut self, i: usize) -> Result<Option<u32>, StoreError> {
        self.opt_int(i)?
            .map(|n| u32::try_from(n).map_err(|_| Row::wrong(i, "a 32-bit count")))
            .transpose()
    }

    /// Column `i` as bytes.
    pub fn bytes(&mut self, i: usize) -> Result<Vec<u8>, StoreError> {
        match self.take(i) {
            Cell::Bytes(b) => Ok(b),
            _ => Err(Row::wrong(i, "bytes")),
        }
    }
}

/// A connection, or a transaction on one, of either backend.
pub(crate) trait Conn {
    /// Whether this is a PostgreSQL connection (for the few statements that differ).
    fn is_postgres(&self) -> bool;
    /// Runs a statement; returns how many rows it changed.
    fn exec(&mut self, sql: &str, params: &[P<'_>]) -> Result<u64, StoreError>;
    /// Runs a query; returns its rows.
    fn rows(&mut self, sql: &str, params: &[P<'_>]) -> Result<Vec<Row>, StoreError>;
    /// Runs a query; returns its first row, if any.
    fn row(&mut self, sql: &str, params: &[P<'_>]) -> Result<Option<Row>, StoreError> {
        Ok(self.rows(sql, params)?.into_iter().next())
    }
}

/// `$from, $from+1, …` for `n` values (an `IN (…)` list).
pub(crate) fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_rewritten_outside_quotes_only() {
        let sql = "SELECT '$1 {now}' FROM t WHERE a = $1 AND b < {now} AND c > {now+$2}";
        assert_eq!(
            translate(sql, Dialect::Sqlite),
            "SELECT '$1 {now}' FROM t WHERE a = ?1 AND b < strftime('%Y-%m-%dT%H:%M:%SZ', 'now') \
             AND c > strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?2 || ' seconds')"
        );
        let pg = translate(sql, Dialect::Postgres);
        assert!(pg.starts_with("SELECT '$1 {now}' FROM t WHERE a = $1 AND b < to_char(now()"));
        assert!(pg.ends_with(
            r#"c > to_char((now() + $2::bigint * interval '1 second') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"#
        ));
        assert_eq!(placeholders(3, 2), "$3, $4");
    }
}
