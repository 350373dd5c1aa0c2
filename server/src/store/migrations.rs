//! The schema of both backends, one migration per version, the same steps in each dialect:
//! SQLite's `INTEGER`/`BLOB` are PostgreSQL's `BIGINT`/`BYTEA`, and PostgreSQL's sorted text
//! columns use the `C` collation so that rows sort as in SQLite (byte order), whatever the
//! database's locale. A database at version N has had steps 1..=N applied.

/// The SQLite schema, one migration per version (index 0 brings `user_version` from 0 to 1).
pub(crate) const SQLITE: &[&str] = &[
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
    r#"
CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
"#,
];

/// The PostgreSQL schema: [`SQLITE`] step by step. Its version is kept in `formwork_meta`.
pub(crate) const POSTGRES: &[&str] = &[
    r#"
CREATE TABLE records (
    id         TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    status     TEXT NOT NULL,
    version    BIGINT NOT NULL,
    data       TEXT NOT NULL,
    issued     TEXT NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX records_updated ON records (updated_at);
CREATE TABLE files (
    token      TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    record_id  TEXT COLLATE "C" REFERENCES records (id) ON DELETE SET NULL,
    field      TEXT NOT NULL,
    name       TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size       BIGINT NOT NULL,
    width      BIGINT,
    height     BIGINT,
    bytes      BYTEA NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX files_record ON files (record_id);
"#,
    r#"
CREATE TABLE specs (
    hash            TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    form_id         TEXT NOT NULL,
    version         TEXT,
    source          TEXT NOT NULL,
    ir              TEXT NOT NULL,
    first_served_at TEXT COLLATE "C" NOT NULL
);
ALTER TABLE records ADD COLUMN spec_hash TEXT COLLATE "C" REFERENCES specs (hash);
CREATE TABLE record_versions (
    record_id  TEXT COLLATE "C" NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    version    BIGINT NOT NULL,
    status     TEXT NOT NULL,
    data       TEXT NOT NULL,
    spec_hash  TEXT COLLATE "C" REFERENCES specs (hash),
    actor      TEXT,
    event      TEXT NOT NULL,
    note       TEXT,
    created_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (record_id, version)
);
INSERT INTO record_versions (record_id, version, status, data, spec_hash, event, created_at)
    SELECT id, version, status, data, NULL, 'before_history', updated_at FROM records;
"#,
    r#"
CREATE TABLE accounts (
    id            TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    email         TEXT COLLATE "C" NOT NULL UNIQUE,
    password_hash TEXT,
    role          TEXT,
    disabled      BIGINT NOT NULL DEFAULT 0,
    created_at    TEXT COLLATE "C" NOT NULL
);
CREATE TABLE sessions (
    token_hash TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at TEXT COLLATE "C" NOT NULL,
    expires_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);
CREATE TABLE api_tokens (
    token_hash TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at TEXT COLLATE "C" NOT NULL
);
CREATE TABLE login_failures (
    key TEXT COLLATE "C" NOT NULL,
    at  TEXT COLLATE "C" NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (key, at);
ALTER TABLE records ADD COLUMN owner TEXT COLLATE "C" REFERENCES accounts (id);
CREATE INDEX records_owner ON records (owner, updated_at);
ALTER TABLE files ADD COLUMN owner TEXT COLLATE "C" REFERENCES accounts (id);
ALTER TABLE records ADD COLUMN secrets_shown BIGINT NOT NULL DEFAULT 1;
ALTER TABLE record_versions ADD COLUMN comment_path TEXT;
ALTER TABLE record_versions ADD COLUMN stage TEXT;
CREATE INDEX records_status ON records (status, updated_at);
"#,
    r#"
CREATE TABLE settings (
    key   TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
"#,
];

/// Every table of the current schema with its columns, parents before children (the order an
/// export is written and an import is read in).
pub(crate) const TABLES: &[(&str, &[&str])] = &[
    (
        "specs",
        &[
            "hash",
            "form_id",
            "version",
            "source",
            "ir",
            "first_served_at",
        ],
    ),
    (
        "accounts",
        &[
            "id",
            "email",
            "password_hash",
            "role",
            "disabled",
            "created_at",
        ],
    ),
    (
        "records",
        &[
            "id",
            "status",
            "version",
            "data",
            "issued",
            "created_at",
            "updated_at",
            "spec_hash",
            "owner",
            "secrets_shown",
        ],
    ),
    (
        "record_versions",
        &[
            "record_id",
            "version",
            "status",
            "data",
            "spec_hash",
            "actor",
            "event",
            "note",
            "created_at",
            "comment_path",
            "stage",
        ],
    ),
    (
        "files",
        &[
            "token",
            "record_id",
            "field",
            "name",
            "media_type",
            "size",
            "width",
            "height",
            "bytes",
            "created_at",
            "owner",
        ],
    ),
    (
        "sessions",
        &["token_hash", "account_id", "created_at", "expires_at"],
    ),
    ("api_tokens", &["token_hash", "account_id", "created_at"]),
    ("login_failures", &["key", "at"]),
    ("settings", &["key", "value"]),
];

#[cfg(test)]
mod tests {
    #[test]
    fn both_backends_have_every_step() {
        assert_eq!(super::SQLITE.len(), super::POSTGRES.len());
    }
}
