//! Moving a store between backends, losslessly: `formwork db export` writes every row of every
//! table as JSON Lines, `formwork db import` reads them into an empty database of either kind.
//!
//! The format: a first line `{"formwork_export": 1, "schema_version": N}`, then one line per row,
//! `{"table": "records", "row": {"id": "…", "version": 3, …}}`, tables parents first
//! ([`super::migrations::TABLES`]), rows sorted by their values so that the same data gives the
//! same bytes whichever backend it was read from. Text and whole numbers are JSON strings and
//! numbers, `NULL` is `null`, bytes are `{"base64": "…"}`. Timestamps are copied as stored.

use std::io::{BufRead, Write};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use super::migrations::TABLES;
use super::sql::{Cell, Conn, P, Row};
use super::{Store, StoreError};

/// The version of the export format.
const FORMAT: i64 = 1;

/// Rows per table, in [`TABLES`] order.
type Tables = Vec<(&'static str, Vec<Row>)>;

/// How many rows were moved, by table (in [`TABLES`] order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counts(pub Vec<(&'static str, usize)>);

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(t, n)| format!("{n} {t}")).collect();
        f.write_str(&parts.join(", "))
    }
}

fn counts(tables: &Tables) -> Counts {
    Counts(tables.iter().map(|(t, rows)| (*t, rows.len())).collect())
}

/// Every row of every table, read in one snapshot, sorted.
fn read_all(store: &Store) -> Result<Tables, StoreError> {
    store.snapshot_tx(|c| {
        TABLES
            .iter()
            .map(|(table, columns)| {
                let mut rows =
                    c.rows(&format!("SELECT {} FROM {table}", columns.join(", ")), &[])?;
                rows.sort_by(|a, b| a.0.cmp(&b.0));
                Ok((*table, rows))
            })
            .collect()
    })
}

/// Writes `tables` into `store`, which must be empty, in one transaction.
fn write_all(store: &Store, tables: &Tables) -> Result<(), StoreError> {
    store.tx(|c| {
        ensure_empty(c)?;
        for ((table, columns), (_, rows)) in TABLES.iter().zip(tables) {
            let sql = format!(
                "INSERT INTO {table} ({}) VALUES ({})",
                columns.join(", "),
                super::sql::placeholders(1, columns.len())
            );
            for row in rows {
                let params: Vec<P<'_>> = row.0.iter().map(P::from).collect();
                c.exec(&sql, &params)?;
            }
        }
        Ok(())
    })
}

fn ensure_empty(c: &mut dyn Conn) -> Result<(), StoreError> {
    for (table, _) in TABLES {
        let n = c
            .row(&format!("SELECT count(*) FROM {table}"), &[])?
            .map_or(Ok(0), |mut r| r.int(0))?;
        if n > 0 {
            return Err(StoreError::Import(format!(
                "the target database is not empty ({table} has {n} row(s)): import into a new database"
            )));
        }
    }
    Ok(())
}

/// Copies every row of `from` into `to`, which must be empty (both at this release's schema).
pub fn copy(from: &Store, to: &Store) -> Result<Counts, StoreError> {
    let tables = read_all(from)?;
    write_all(to, &tables)?;
    Ok(counts(&tables))
}

/// Writes every row of `store` to `out` as JSON Lines (see the module's documentation).
pub fn export(store: &Store, out: &mut dyn Write) -> Result<Counts, StoreError> {
    let tables = read_all(store)?;
    let io = |e: std::io::Error| StoreError::Export(e.to_string());
    let header = json!({"formwork_export": FORMAT, "schema_version": store.schema_version()?});
    writeln!(out, "{header}").map_err(io)?;
    for ((table, columns), (_, rows)) in TABLES.iter().zip(&tables) {
        for row in rows {
            let mut m = Map::new();
            for (name, cell) in columns.iter().zip(&row.0) {
                m.insert((*name).to_string(), to_json(cell));
            }
            let line = json!({"table": table, "row": m});
            writeln!(out, "{line}").map_err(io)?;
        }
    }
    out.flush().map_err(io)?;
    Ok(counts(&tables))
}

/// Reads an export (from [`export`]) into `store`, which must be empty and at the export's
/// schema version, in one transaction: all of it or nothing.
pub fn import(store: &Store, input: &mut dyn BufRead) -> Result<Counts, StoreError> {
    let mut lines = input.lines().enumerate();
    let bad = |n: usize, why: String| StoreError::Import(format!("line {}: {why}", n + 1));
    let (n, first) = lines
        .next()
        .ok_or_else(|| StoreError::Import("the export is empty".into()))?;
    let first = first.map_err(|e| bad(n, e.to_string()))?;
    let header: Value = serde_json::from_str(&first).map_err(|e| bad(n, e.to_string()))?;
    if header.get("formwork_export").and_then(Value::as_i64) != Some(FORMAT) {
        return Err(bad(
            n,
            format!(
                "not a formwork export (format {FORMAT}): it must start with {{\"formwork_export\": {FORMAT}, …}}"
            ),
        ));
    }
    let ours = store.schema_version()?;
    let theirs = header.get("schema_version").and_then(Value::as_i64);
    if theirs != Some(ours) {
        return Err(bad(
            n,
            format!(
                "the export is at schema version {}, this database at {ours}: export with the same formwork release",
                theirs.map_or("unknown".into(), |v| v.to_string())
            ),
        ));
    }
    let mut tables: Tables = TABLES.iter().map(|(t, _)| (*t, Vec::new())).collect();
    for (n, line) in lines {
        let line = line.map_err(|e| bad(n, e.to_string()))?;
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(&line).map_err(|e| bad(n, e.to_string()))?;
        let table = v.get("table").and_then(Value::as_str).unwrap_or_default();
        let Some(at) = TABLES.iter().position(|(t, _)| *t == table) else {
            return Err(bad(n, format!("unknown table `{table}`")));
        };
        let Some(Value::Object(row)) = v.get("row") else {
            return Err(bad(n, "no `row` object".into()));
        };
        let columns = TABLES[at].1;
        if let Some(extra) = row.keys().find(|k| !columns.contains(&k.as_str())) {
            return Err(bad(n, format!("`{table}` has no column `{extra}`")));
        }
        let cells = columns
            .iter()
            .map(|c| from_json(row.get(*c).unwrap_or(&Value::Null)))
            .collect::<Result<Vec<_>, String>>()
            .map_err(|why| bad(n, format!("{table}: {why}")))?;
        tables[at].1.push(Row(cells));
    }
    write_all(store, &tables)?;
    Ok(counts(&tables))
}

fn to_json(c: &Cell) -> Value {
    match c {
        Cell::Null => Value::Null,
        Cell::Int(n) => json!(n),
        Cell::Text(s) => json!(s),
        Cell::Bytes(b) => json!({"base64": STANDARD.encode(b)}),
    }
}

fn from_json(v: &Value) -> Result<Cell, String> {
    Ok(match v {
        Value::Null => Cell::Null,
        Value::String(s) => Cell::Text(s.clone()),
        Value::Number(n) => Cell::Int(
            n.as_i64()
                .ok_or_else(|| format!("{n} is not a whole number"))?,
        ),
        Value::Object(m) if m.len() == 1 && m.contains_key("base64") => {
            let text = m.get("base64").and_then(Value::as_str).unwrap_or_default();
            Cell::Bytes(
                STANDARD
                    .decode(text)
                    .map_err(|e| format!("bad base64: {e}"))?,
            )
        }
        other => return Err(format!("unexpected value {other}")),
    })
}
