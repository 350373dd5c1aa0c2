//! The `formwork` command: generate artefacts from a spec, check specs, validate submissions.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use formwork_codegen::json_schema::Dialect;
use formwork_runtime::{Report, Validator};
use formwork_schema::Form;
use formwork_server::store::Location;

/// formwork: one YAML form spec → Rust types, JSON Schema, HTML templates and a validator.
#[derive(Parser)]
#[command(name = "formwork", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate every artefact of a spec into a folder: FORM.rs, FORM.STAGE.schema.json, FORM.hbs and partials.
    Generate {
        /// The YAML spec.
        spec: PathBuf,
        /// Output folder (created if missing).
        #[arg(long, default_value = "generated")]
        out: PathBuf,
        /// Write nothing; exit 1 and name the stale files when the folder is out of date.
        #[arg(long)]
        check: bool,
    },
    /// Print one stage's JSON Schema to stdout (draft 2020-12 unless --dialect says otherwise).
    Schema {
        /// The YAML spec.
        spec: PathBuf,
        /// Stage id (e.g. `save`, `review`).
        #[arg(long)]
        stage: String,
        /// Schema language: `2020-12`, `draft-07` (older JSON Schema tools) or `openapi-3.0` (an
        /// OpenAPI document whose components hold the schema). Rules a dialect cannot express are
        /// listed in `x-formwork-rules` and named on stderr.
        #[arg(long, default_value = "2020-12", value_parser = parse_dialect)]
        dialect: Dialect,
    },
    /// The OpenAPI 3.1 document of `formwork serve`'s JSON API for a spec (what the server
    /// serves at /openapi.json).
    Openapi {
        /// The YAML spec.
        spec: PathBuf,
    },
    /// Check a spec and report every problem with its line and column (exit 2 when invalid).
    Check {
        /// The YAML spec(s).
        #[arg(required = true)]
        specs: Vec<PathBuf>,
    },
    /// Print the JSON Schema of the spec language itself (for YAML editors).
    SpecSchema,
    /// Every change between two versions of a spec, classified (exit 1 when something breaks).
    ///
    /// `formwork diff OLD NEW`, or `formwork diff NEW --against REV` to compare with the same file
    /// at a git revision (e.g. in CI: `formwork diff specs/app.yaml --against origin/main`).
    /// Exit 0: nothing breaking; 1: breaking or potentially breaking changes not --allow'ed;
    /// 2: a spec cannot be read.
    Diff {
        /// OLD and NEW specs, or only NEW with --against.
        #[arg(required = true, num_args = 1..=2, value_names = ["OLD", "NEW"])]
        specs: Vec<PathBuf>,
        /// Compare NEW with itself at this git revision (`git show REV:PATH`).
        #[arg(long, value_name = "REV")]
        against: Option<String>,
        /// A rule id whose changes do not fail the diff (repeatable), e.g. `--allow FIELD_REMOVED`.
        #[arg(long, value_name = "RULE")]
        allow: Vec<String>,
        /// Report format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Validate a JSON submission at a stage; prints a report (exit 0 valid, 1 invalid, 2 unreadable input).
    Validate {
        /// The YAML spec.
        spec: PathBuf,
        /// Stage id (e.g. `save`, `review`).
        #[arg(long)]
        stage: String,
        /// The submission (JSON); `-` or nothing reads stdin.
        file: Option<PathBuf>,
        /// Report format.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Stored records under a (changed) spec: check them.
    Records {
        #[command(subcommand)]
        command: RecordsCommand,
    },
    /// Serve the form as a web app: list, fill in, validate and store submissions (SQLite or PostgreSQL).
    Serve {
        /// The YAML spec.
        spec: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// The database: a SQLite file (created on first start; also `sqlite:PATH`) or
        /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DB`, which any number of replicas can share.
        #[arg(long, default_value = "formwork.db")]
        db: Location,
        /// Folder of partials (`*.hbs`, `form.css`) overriding the built-in ones.
        #[arg(long)]
        templates: Option<PathBuf>,
        /// Trust this request header for the signed-in account's email (e.g. X-Forwarded-Email)
        /// instead of formwork's own sign-in. ONLY behind an authenticating proxy that sets it and
        /// strips it from clients' requests: anyone who can send it can be anyone.
        #[arg(long, value_name = "HEADER")]
        auth_header: Option<String>,
        /// The site is served over TLS (e.g. behind a proxy): session cookies are `__Host-…; Secure`.
        #[arg(long)]
        secure_cookies: bool,
        /// How long a sign-in lasts, in hours.
        #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=720))]
        session_hours: u32,
        /// Key file sealing secrets at rest (default: DB.key beside a SQLite database; required
        /// with PostgreSQL, the same file for every replica; created with mode 0600 on first
        /// start). Back it up with the database: without it, secrets are lost.
        #[arg(long, value_name = "FILE")]
        key_file: Option<PathBuf>,
    },
    /// The database of `formwork serve`: migrate it, or move it between SQLite and PostgreSQL.
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
    /// The key that seals secrets at rest.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Accounts that can sign in to `formwork serve`.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// API tokens for the JSON API (`Authorization: Bearer TOKEN`).
    Tokens {
        #[command(subcommand)]
        command: TokensCommand,
    },
}

/// `formwork users …`.
#[derive(Subcommand)]
enum UsersCommand {
    /// Add an account. The password is read from stdin when it is piped, else one is generated
    /// and printed once.
    Add {
        /// The account's email address.
        email: String,
        /// A role the spec declares (e.g. `reviewer`); none for an ordinary account.
        #[arg(long)]
        role: Option<String>,
        /// The database of `formwork serve` (created if missing): a file, sqlite:PATH or postgres://….
        #[arg(long)]
        db: Location,
    },
    /// List the accounts.
    List {
        /// The database of `formwork serve`: a file, sqlite:PATH or postgres://….
        #[arg(long)]
        db: Location,
    },
    /// Disable an account: it can no longer sign in; its sessions and tokens end.
    Disable {
        /// The account's email address.
        email: String,
        /// The database of `formwork serve`: a file, sqlite:PATH or postgres://….
        #[arg(long)]
        db: Location,
    },
}

/// `formwork db …`.
#[derive(Subcommand)]
enum DbCommand {
    /// Bring the database's schema up to this release, as `serve` does at start (on PostgreSQL
    /// under an advisory lock: replicas and this command never migrate twice).
    Migrate {
        /// The database: a file, sqlite:PATH or postgres://….
        #[arg(long)]
        db: Location,
    },
    /// Write every row of the database as JSON Lines, a lossless copy that `db import` reads
    /// into either backend. Secrets stay sealed; keep the key file with it.
    Export {
        /// The database: a file, sqlite:PATH or postgres://….
        #[arg(long)]
        db: Location,
        /// The file to write (mode 0600; default: stdout).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Read an export into an empty database of either kind, all or nothing.
    Import {
        /// The export (`-` reads stdin).
        file: PathBuf,
        /// The database (created and migrated if needed): a file, sqlite:PATH or postgres://….
        #[arg(long)]
        db: Location,
    },
}

/// `formwork keys …`.
#[derive(Subcommand)]
enum KeysCommand {
    /// Seal every stored secret with a new key, then drop the old one from the key file (an
    /// interrupted rotation leaves every secret readable).
    Rotate {
        /// The database of `formwork serve`: a file, sqlite:PATH or postgres://….
        #[arg(long)]
        db: Location,
        /// The key file (default: DB.key).
        #[arg(long, value_name = "FILE")]
        key_file: Option<PathBuf>,
    },
}

/// The key file of `db`: `key_file`, else `DB.key` beside a SQLite file. A PostgreSQL store has
/// no file to put it beside, and its replicas must share one key: it must be named.
fn key_path(db: &Location, key_file: Option<PathBuf>) -> Result<PathBuf, String> {
    if let Some(k) = key_file {
        return Ok(k);
    }
    match db {
        Location::Sqlite(path) => {
            let mut p = path.as_os_str().to_owned();
            p.push(".key");
            Ok(PathBuf::from(p))
        }
        Location::Postgres(_) => Err(
            "with a PostgreSQL database, name the key file sealing secrets with --key-file FILE \
             (every replica must use the same file)"
                .into(),
        ),
    }
}

/// `formwork tokens …`.
#[derive(Subcommand)]
enum TokensCommand {
    /// Create an API token for an account and print it (once; only its hash is stored).
    Create {
        /// The account's email address.
        email: String,
        /// The database of `formwork serve`: a file, sqlite:PATH or postgres://….
        #[arg(long)]
        db: Location,
    },
}

/// `--dialect`: one of [`Dialect::ALL`] by name.
fn parse_dialect(s: &str) -> Result<Dialect, String> {
    s.parse()
}

/// `formwork records …`.
#[derive(Subcommand)]
enum RecordsCommand {
    /// Re-validate every stored record at every stage under SPEC; say per record what no longer
    /// conforms and why (exit 1 when a record fails at the stage of its status).
    Check {
        /// The YAML spec the records are checked against.
        spec: PathBuf,
        /// The database of `formwork serve` (read only; never written): a file, sqlite:PATH or postgres://….
        #[arg(long)]
        db: Location,
        /// The key file sealing secrets (default: DB.key beside a SQLite database).
        #[arg(long, value_name = "FILE")]
        key_file: Option<PathBuf>,
        /// Report format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Give every record without an owner (made before there were accounts) to an account.
    Adopt {
        /// The account's email address.
        email: String,
        /// The database of `formwork serve`: a file, sqlite:PATH or postgres://….
        #[arg(long)]
        db: Location,
    },
    /// Bring stored records to SPEC: renames (`renamed_from`) and the spec's `migrations`
    /// (map or drop removed values, drop removed fields). Every migrated record keeps its
    /// previous version in its history.
    Migrate {
        /// The YAML spec to migrate the records to.
        spec: PathBuf,
        /// The database of `formwork serve`: a file, sqlite:PATH or postgres://….
        #[arg(long)]
        db: Location,
        /// The key file sealing secrets (default: DB.key beside a SQLite database).
        #[arg(long, value_name = "FILE")]
        key_file: Option<PathBuf>,
        /// Report what would change; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Report format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

/// How `validate` prints its report.
#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// The JSON report.
    Json,
    /// `path: message` lines grouped by section, for people.
    Text,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::from(2)
        }
    }
}

fn load(spec: &Path) -> Result<Form, String> {
    formwork_schema::load_file(spec).map_err(|e| e.to_string())
}

fn run(command: Command) -> Result<ExitCode, String> {
    match command {
        Command::Generate { spec, out, check } => generate(&spec, &out, check),
        Command::Schema {
            spec,
            stage,
            dialect,
        } => {
            let form = load(&spec)?;
            let index = form.stage(&stage).map_err(|e| e.to_string())?;
            let emitted = formwork_codegen::json_schema::emit_dialect(&form, index, dialect);
            for m in &emitted.moved {
                eprintln!(
                    "note: {dialect} has no `{}`: rule `{}` (at {}) is listed in x-formwork-rules \
                     and only formwork's validator checks it",
                    m.keyword, m.rule, m.path
                );
            }
            out(&emitted.to_pretty_string());
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { specs } => {
            let mut failed = false;
            for spec in &specs {
                match load(spec) {
                    Ok(form) => {
                        let n: usize = form.sections.iter().map(|s| s.fields.len()).sum();
                        out(&format!(
                            "{}: ok — form `{}`, {}, {}, {}, {}\n",
                            spec.display(),
                            form.id,
                            count(form.stages.len(), "stage"),
                            count(form.sections.len(), "section"),
                            count(n, "field"),
                            count(form.rules.len(), "rule"),
                        ));
                    }
                    Err(e) => {
                        eprintln!("{e}");
                        failed = true;
                    }
                }
            }
            Ok(if failed {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Diff {
            specs,
            against,
            allow,
            format,
        } => diff(&specs, against.as_deref(), &allow, format),
        Command::Openapi { spec } => {
            let form = load(&spec)?;
            let doc = formwork_server::openapi::document(&form);
            out(&format!(
                "{}\n",
                serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?
            ));
            Ok(ExitCode::SUCCESS)
        }
        Command::SpecSchema => {
            let schema = formwork_schema::spec_language_schema();
            out(&format!(
                "{}\n",
                serde_json::to_string_pretty(&schema).map_err(|e| e.to_string())?
            ));
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate {
            spec,
            stage,
            file,
            format,
        } => {
            let form = load(&spec)?;
            let validator = Validator::compile(&form).map_err(|e| e.to_string())?;
            let stage_ref = validator.stage(&stage).map_err(|e| e.to_string())?;
            let (name, text) = read_input(file.as_deref())?;
            let report = validator
                .validate_json(text.as_bytes(), stage_ref)
                .map_err(|e| format!("{name}: {e}"))?;
            let wrapped = || {
                formwork_runtime::json::from_slice(text.as_bytes())
                    .is_ok_and(|value| is_wrapped_case(&value, &form))
            };
            if !report.valid && wrapped() {
                eprintln!(
                    "hint: {name} looks like an acceptance case (`submission` inside `name`, `stage`, \
                     `expect`), not a submission: validate the object under `submission` instead \
                     (examples/submissions/ has submissions to try)"
                );
            }
            match format {
                Format::Json => out(&format!("{}\n", report.to_json())),
                Format::Text => out(&text_report(&form, &report)),
            }
            Ok(if report.valid {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Records {
            command:
                RecordsCommand::Check {
                    spec,
                    db,
                    key_file,
                    format,
                },
        } => records_check(&spec, &db, key_file, format),
        Command::Records {
            command:
                RecordsCommand::Migrate {
                    spec,
                    db,
                    key_file,
                    dry_run,
                    format,
                },
        } => records_migrate(&spec, &db, key_file, dry_run, format),
        Command::Records {
            command: RecordsCommand::Adopt { email, db },
        } => {
            let store = open_store(&db)?;
            let account = find_account(&store, &email)?;
            let n = store
                .adopt_unowned(&account.id)
                .map_err(|e| format!("{db}: {e}"))?;
            out_line(&format!(
                "{n} record(s) without an owner now belong to {}",
                account.email
            ));
            Ok(ExitCode::SUCCESS)
        }
        Command::Users { command } => users(command),
        Command::Db { command } => db_command(command),
        Command::Tokens {
            command: TokensCommand::Create { email, db },
        } => {
            let store = open_store(&db)?;
            let account = find_account(&store, &email)?;
            let token = formwork_server::auth::new_token();
            store
                .create_api_token(&account.id, &formwork_server::auth::token_hash(&token))
                .map_err(|e| format!("{db}: {e}"))?;
            out_line(&token);
            Ok(ExitCode::SUCCESS)
        }
        Command::Keys {
            command: KeysCommand::Rotate { db, key_file },
        } => {
            let path = key_path(&db, key_file)?;
            if !path.is_file() {
                return Err(format!("{}: no key file to rotate", path.display()));
            }
            let store = open_store(&db)?;
            let vault = formwork_server::vault::add_key(&path).map_err(|e| e.to_string())?;
            let n = store.rotate_key(&vault).map_err(|e| format!("{db}: {e}"))?;
            formwork_server::vault::keep_current_key(&path).map_err(|e| e.to_string())?;
            out_line(&format!(
                "rotated: {n} row(s) re-sealed with key {}; {} now holds only that key",
                vault.current_key(),
                path.display()
            ));
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve {
            spec,
            addr,
            db,
            templates,
            auth_header,
            secure_cookies,
            session_hours,
            key_file,
        } => {
            if let Some(h) = &auth_header
                && axum_header_name_invalid(h)
            {
                return Err(format!("--auth-header: `{h}` is not a valid header name"));
            }
            let config = formwork_server::Config {
                addr,
                key_file: key_path(&db, key_file)?,
                db,
                templates,
                auth: formwork_server::auth::AuthConfig {
                    header: auth_header.map(|h| h.to_ascii_lowercase()),
                    secure_cookies,
                    session_hours,
                },
            };
            formwork_server::run_blocking(&spec, config).map_err(|e| e.to_string())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `formwork db …`.
fn db_command(command: DbCommand) -> Result<ExitCode, String> {
    use formwork_server::store::transfer;
    match command {
        DbCommand::Migrate { db } => {
            let store = open_store(&db)?;
            let version = store.schema_version().map_err(|e| format!("{db}: {e}"))?;
            out_line(&format!("{db}: schema version {version}, up to date"));
        }
        DbCommand::Export { db, out } => {
            let store = open_store(&db)?;
            let counts = match &out {
                Some(path) => {
                    let mut options = std::fs::OpenOptions::new();
                    options.write(true).create(true).truncate(true);
                    #[cfg(unix)]
                    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                    let file = options
                        .open(path)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                    transfer::export(&store, &mut std::io::BufWriter::new(file))
                }
                None => transfer::export(&store, &mut std::io::stdout().lock()),
            }
            .map_err(|e| format!("{db}: {e}"))?;
            eprintln!("exported {counts}");
        }
        DbCommand::Import { file, db } => {
            let store = open_store(&db)?;
            let counts = if file.as_os_str() == "-" {
                transfer::import(&store, &mut std::io::stdin().lock())
            } else {
                let f =
                    std::fs::File::open(&file).map_err(|e| format!("{}: {e}", file.display()))?;
                transfer::import(&store, &mut std::io::BufReader::new(f))
            }
            .map_err(|e| format!("{}: {e}", file.display()))?;
            out_line(&format!("imported into {db}: {counts}"));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether `h` cannot be an HTTP header name (token characters only).
fn axum_header_name_invalid(h: &str) -> bool {
    h.is_empty()
        || !h
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Opens the database of `formwork serve` (created and migrated if needed).
fn open_store(db: &Location) -> Result<formwork_server::Store, String> {
    formwork_server::Store::connect(db).map_err(|e| format!("{db}: {e}"))
}

/// The account with this email, or an error naming `formwork users add`.
fn find_account(
    store: &formwork_server::Store,
    email: &str,
) -> Result<formwork_server::store::Account, String> {
    match store.account_by_email(email) {
        Ok(Some((a, _))) => Ok(a),
        Ok(None) => Err(format!(
            "no account {email}: add it with `formwork users add {email} --db DB`"
        )),
        Err(e) => Err(e.to_string()),
    }
}

/// `formwork users add|list|disable`.
fn users(command: UsersCommand) -> Result<ExitCode, String> {
    use std::io::IsTerminal;
    match command {
        UsersCommand::Add { email, role, db } => {
            let email = email.trim().to_lowercase();
            let at = email.find('@');
            if email.len() > 254 || at.is_none_or(|i| i == 0 || i + 1 == email.len()) {
                return Err(format!("`{email}` is not an email address"));
            }
            if let Some(r) = &role
                && (r.is_empty() || !r.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
            {
                return Err(format!(
                    "--role `{r}`: use a role id of the spec, like `reviewer`"
                ));
            }
            let store = open_store(&db)?;
            if store
                .account_by_email(&email)
                .map_err(|e| e.to_string())?
                .is_some()
            {
                return Err(format!("{email} already has an account"));
            }
            let stdin = std::io::stdin();
            let (password, generated) = if stdin.is_terminal() {
                (formwork_server::auth::new_token()[..24].to_string(), true)
            } else {
                let mut line = String::new();
                stdin
                    .read_line(&mut line)
                    .map_err(|e| format!("stdin: cannot read the password: {e}"))?;
                let line = line.trim_end_matches(['\r', '\n']).to_string();
                if line.is_empty() {
                    (formwork_server::auth::new_token()[..24].to_string(), true)
                } else {
                    (line, false)
                }
            };
            if !generated && password.chars().count() < 10 {
                return Err("the password must be at least 10 characters".to_string());
            }
            let hash =
                formwork_server::auth::hash_password(&password).map_err(|e| e.to_string())?;
            let account = store
                .create_account(&email, Some(&hash), role.as_deref())
                .map_err(|e| e.to_string())?;
            if generated {
                out_line(&format!(
                    "added {} with password {password} (shown once: keep it now)",
                    account.email
                ));
            } else {
                out_line(&format!("added {}", account.email));
            }
            Ok(ExitCode::SUCCESS)
        }
        UsersCommand::List { db } => {
            let store = open_store(&db)?;
            for a in store.accounts().map_err(|e| e.to_string())? {
                out_line(&format!(
                    "{}\t{}\t{}",
                    a.email,
                    a.role.as_deref().unwrap_or("-"),
                    if a.disabled { "disabled" } else { "active" }
                ));
            }
            Ok(ExitCode::SUCCESS)
        }
        UsersCommand::Disable { email, db } => {
            let store = open_store(&db)?;
            if store.disable_account(&email).map_err(|e| e.to_string())? {
                out_line(&format!(
                    "disabled {email}; its sessions and tokens have ended"
                ));
                Ok(ExitCode::SUCCESS)
            } else {
                Err(format!("no account {email}"))
            }
        }
    }
}

/// Whether `value` wraps a submission in an acceptance case (`{name, stage, submission, expect}`)
/// rather than being one: it has a `submission` object and the form has no such field.
fn is_wrapped_case(value: &serde_json::Value, form: &Form) -> bool {
    value
        .get("submission")
        .is_some_and(serde_json::Value::is_object)
        && (value.get("expect").is_some() || value.get("stage").is_some())
        && form.field("submission").is_none()
}

/// `1 stage`, `2 stages`, `0 rules`.
fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// Writes to stdout; a closed pipe (e.g. `| head`) is not an error worth a panic.
fn out(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

fn out_line(text: &str) {
    out(&format!("{text}\n"));
}

/// The largest submission `validate` reads.
const MAX_SUBMISSION: u64 = 16 * 1024 * 1024;

/// The submission's name and text, at most [`MAX_SUBMISSION`] bytes of UTF-8 (a byte-order mark
/// is dropped).
fn read_input(file: Option<&Path>) -> Result<(String, String), String> {
    let (name, reader): (String, Box<dyn Read>) = match file {
        None => ("stdin".to_string(), Box::new(std::io::stdin())),
        Some(p) if p == Path::new("-") => ("stdin".to_string(), Box::new(std::io::stdin())),
        Some(p) => (
            p.display().to_string(),
            Box::new(
                std::fs::File::open(p)
                    .map_err(|e| format!("{}: cannot read submission: {e}", p.display()))?,
            ),
        ),
    };
    let mut bytes = Vec::new();
    reader
        .take(MAX_SUBMISSION + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{name}: cannot read submission: {e}"))?;
    if bytes.len() as u64 > MAX_SUBMISSION {
        return Err(format!(
            "{name}: the submission is larger than {} MiB; formwork validates submissions of at most that size",
            MAX_SUBMISSION / (1024 * 1024)
        ));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "{name}: the submission is not UTF-8 (byte {})",
            e.utf8_error().valid_up_to()
        )
    })?;
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    };
    Ok((name, text))
}

/// The report for people: a verdict line, then `path: message` lines grouped by section title.
fn text_report(form: &Form, report: &Report) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let verdict = if report.valid { "valid" } else { "invalid" };
    let _ = writeln!(
        out,
        "{verdict} at stage {}: {} error(s), {} warning(s)",
        report.stage,
        report.errors.len(),
        report.warnings.len()
    );
    for (kind, issues) in [("error", &report.errors), ("warning", &report.warnings)] {
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for issue in issues.iter() {
            let top = issue.path.split('/').nth(1).unwrap_or("");
            let title = form
                .sections
                .iter()
                .find(|s| s.fields.iter().any(|f| f.id == top))
                .map_or_else(|| "Form".to_string(), |s| s.title.clone());
            let line = format!(
                "  {}: {kind}: {}",
                if issue.path.is_empty() {
                    "/"
                } else {
                    &issue.path
                },
                issue.message
            );
            match groups.iter_mut().find(|(t, _)| *t == title) {
                Some((_, lines)) => lines.push(line),
                None => groups.push((title, vec![line])),
            }
        }
        for (title, lines) in groups {
            let _ = writeln!(out, "{title}");
            for l in lines {
                let _ = writeln!(out, "{l}");
            }
        }
    }
    out
}

/// The spec (with its source text) and the store `records` commands work on: the database
/// itself, or (`snapshot`) a migrated in-memory copy, so checks and dry runs never write.
fn records_input(
    spec: &Path,
    db: &Location,
    key_file: Option<PathBuf>,
    snapshot: bool,
) -> Result<(formwork_schema::Spec, String, formwork_server::store::Store), String> {
    let source = formwork_schema::load::read_spec(spec).map_err(|e| e.to_string())?;
    let loaded = formwork_schema::load_spec_str(&spec.display().to_string(), &source)
        .map_err(|e| e.to_string())?;
    if let Some(file) = db.file()
        && !file.is_file()
    {
        return Err(format!("{db}: no such database"));
    }
    let mut store = if snapshot {
        formwork_server::store::Store::open_snapshot(db)
    } else {
        formwork_server::store::Store::connect(db)
    }
    .map_err(|e| format!("{db}: {e}"))?;
    // Without a key file, sealed secrets stay sealed (they are not what checks look at).
    let key = key_path(db, key_file).ok().filter(|k| k.is_file());
    if let Some(key) = key {
        let vault =
            formwork_server::vault::Vault::load_or_create(&key).map_err(|e| e.to_string())?;
        store
            .seal_with(vault, &loaded.form)
            .map_err(|e| format!("{db}: {e}"))?;
    }
    Ok((loaded, source, store))
}

/// `formwork records migrate`: every stored record brought to `spec`, or (dry run) what would be.
fn records_migrate(
    spec: &Path,
    db: &Location,
    key_file: Option<PathBuf>,
    dry_run: bool,
    format: Format,
) -> Result<ExitCode, String> {
    use formwork_server::{form, migrate, store};
    let (loaded, source, store) = records_input(spec, db, key_file, dry_run)?;
    let stored = store::StoredSpec::new(&loaded.form, &source);
    let fields = form::root_fields(&loaded.form);
    let failed = |e: store::StoreError| format!("{db}: {e}");
    let records = store.list().map_err(failed)?;
    let mut report = Vec::new();
    let mut migrated = 0;
    for r in &records {
        let (data, steps) = migrate::migrate(&loaded.form, &r.data);
        if steps.is_empty() {
            continue;
        }
        if !dry_run {
            if migrated == 0 {
                store.remember_spec(&stored).map_err(failed)?;
            }
            let note: Vec<String> = steps
                .iter()
                .map(|s| format!("{}: {}", s.path, s.change))
                .collect();
            let note = format!(
                "migrated to spec version {}: {}",
                loaded.form.version.as_deref().unwrap_or("(unversioned)"),
                note.join("; ")
            );
            let tokens = form::file_tokens(&fields, &data);
            let save = store::Save {
                status: &r.status,
                data: &data,
                files: &tokens,
                spec: Some(&stored.hash),
                actor: None,
                event: "migrate",
                stage: None,
                note: Some(&note),
            };
            match store.update(&r.id, r.version, save).map_err(failed)? {
                store::Update::Saved(_) => {}
                _ => {
                    return Err(format!(
                        "record {} changed while it was migrated; nothing more was written: run the migration again",
                        r.id
                    ));
                }
            }
        }
        migrated += 1;
        report.push((r, steps));
    }
    let verb = if dry_run { "would migrate" } else { "migrated" };
    let summary = format!(
        "{verb} {migrated} of {} record(s){}",
        records.len(),
        if dry_run {
            "; dry run: nothing was written"
        } else {
            ""
        }
    );
    match format {
        Format::Json => {
            let list: Vec<serde_json::Value> = report
                .iter()
                .map(|(r, steps)| serde_json::json!({"id": r.id, "status": r.status, "version": r.version, "steps": steps}))
                .collect();
            out(&format!(
                "{}\n",
                serde_json::json!({"dry_run": dry_run, "records": list, "summary": {"records": records.len(), "migrated": migrated, "text": summary}})
            ));
        }
        Format::Text => {
            let mut text = String::new();
            for (r, steps) in &report {
                text.push_str(&format!(
                    "record {} (status {}): {} change(s)\n",
                    r.id,
                    r.status,
                    steps.len()
                ));
                for s in steps {
                    text.push_str(&format!("  {}: {}\n", s.path, s.change));
                }
            }
            text.push_str(&summary);
            text.push('\n');
            out(&text);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `formwork records check`: every stored record under `spec`.
fn records_check(
    spec: &Path,
    db: &Location,
    key_file: Option<PathBuf>,
    format: Format,
) -> Result<ExitCode, String> {
    use formwork_server::{evolution, store};
    let (loaded, source, store) = records_input(spec, db, key_file, true)?;
    let validator = Validator::compile(&loaded.form).map_err(|e| e.to_string())?;
    let hash = store::StoredSpec::new(&loaded.form, &source).hash;
    let checker = evolution::Checker::new(std::sync::Arc::new(loaded), validator, &hash);
    let (checks, summary) =
        evolution::check_all(&store, &checker).map_err(|e| format!("{db}: {e}"))?;
    match format {
        Format::Json => out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&evolution::json_report(&checks, &summary))
                .map_err(|e| e.to_string())?
        )),
        Format::Text => out(&evolution::text_report(&checks, &summary)),
    }
    Ok(if summary.any_invalid() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `formwork diff`: loads both specs (OLD from git with `--against`) and reports the changes.
fn diff(
    specs: &[PathBuf],
    against: Option<&str>,
    allow: &[String],
    format: Format,
) -> Result<ExitCode, String> {
    let load = |p: &Path| formwork_schema::load_spec(p).map_err(|e| e.to_string());
    let (old, new) = match (specs, against) {
        ([old, new], None) => (load(old)?, load(new)?),
        ([new], Some(rev)) => {
            let text = git_show(rev, new)?;
            let name = format!("{rev}:{}", new.display());
            let old = formwork_schema::load_spec_str(&name, &text).map_err(|e| e.to_string())?;
            (old, load(new)?)
        }
        ([_], None) => {
            return Err("diff: give OLD and NEW, or NEW with --against REV".to_string());
        }
        _ => return Err("diff: with --against REV, give only NEW".to_string()),
    };
    let known = formwork_schema::diff::RULES;
    if let Some(bad) = allow.iter().find(|a| !known.contains(&a.as_str())) {
        return Err(format!(
            "diff: unknown rule `{bad}` in --allow; rules are: {}",
            known.join(", ")
        ));
    }
    let d = formwork_schema::diff::diff(&old, &new);
    match format {
        Format::Json => out(&format!("{}\n", d.to_json(allow))),
        Format::Text => out(&d.to_text(allow)),
    }
    Ok(if d.blocking(allow).next().is_some() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The text of `path` at git revision `rev`, read from the repository that holds `path`.
fn git_show(rev: &str, path: &Path) -> Result<String, String> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| format!("{}: not a file", path.display()))?;
    let o = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .arg("show")
        .arg(format!("{rev}:./{}", name.to_string_lossy()))
        .output()
        .map_err(|e| format!("diff --against: cannot run git: {e}"))?;
    if !o.status.success() {
        return Err(format!(
            "diff --against {rev}: git cannot show {} at {rev}: {}",
            path.display(),
            String::from_utf8_lossy(&o.stderr).trim()
        ));
    }
    String::from_utf8(o.stdout)
        .map_err(|_| format!("{rev}:{}: the spec is not UTF-8", path.display()))
}

/// Writes (or, with `check`, compares) every generated file, and the manifest that lets the next
/// run remove what it no longer emits.
fn generate(spec: &Path, out: &Path, check: bool) -> Result<ExitCode, String> {
    use formwork_codegen::generate::{leftovers, with_manifest, write_if_changed};
    let form = load(spec)?;
    let files = with_manifest(formwork_codegen::generate(&form));
    let extra = leftovers(out, &files);
    if check {
        let stale: Vec<&str> = files
            .iter()
            .filter(|f| {
                std::fs::read_to_string(out.join(&f.name)).ok().as_deref()
                    != Some(f.contents.as_str())
            })
            .map(|f| f.name.as_str())
            .collect();
        if stale.is_empty() && extra.is_empty() {
            out_line(&format!(
                "{}: up to date ({} files)",
                out.display(),
                files.len()
            ));
            return Ok(ExitCode::SUCCESS);
        }
        eprintln!(
            "{}: out of date; regenerate with `formwork generate {} --out {}`:",
            out.display(),
            spec.display(),
            out.display()
        );
        for name in stale {
            eprintln!("  stale: {name}");
        }
        for name in &extra {
            eprintln!("  stale: {name} (no longer generated; regenerating removes it)");
        }
        return Ok(ExitCode::from(1));
    }
    for name in &extra {
        let path = out.join(name);
        std::fs::remove_file(&path)
            .map_err(|e| format!("{}: cannot remove: {e}", path.display()))?;
    }
    for f in &files {
        let path = out.join(&f.name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("{}: cannot create folder: {e}", dir.display()))?;
        }
        write_if_changed(&path, &f.contents)
            .map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
    }
    let removed = if extra.is_empty() {
        String::new()
    } else {
        format!(", removed {} no longer generated", extra.len())
    };
    out_line(&format!(
        "wrote {} files for form `{}` to {}{removed}",
        files.len(),
        form.id,
        out.display()
    ));
    Ok(ExitCode::SUCCESS)
}
