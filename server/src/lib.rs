//! `formwork serve`: the generated HTML form as a small web app (axum, with SQLite or PostgreSQL:
//! [`store`]).
//!
//! - `GET /` lists records; `GET /new` is a blank form; `POST /new` and `POST /records/{id}` validate
//!   at the stage of the pressed button, store on success (303 to `/records/{id}`) or re-render with 422;
//!   `_action=add:…`/`remove:…` re-render with a group item added or removed (200, nothing saved).
//! - `GET /records/{id}` shows a record, its status and issued values; `GET /files/{token}` serves uploads.
//! - `POST /api/validate?stage=S`, the JSON API ([`api`]) described at `GET /openapi.json` ([`openapi`]),
//!   `GET /schema/{stage}.json`, `GET /assets/form.css`, `GET /assets/conditions.js`.
//!
//! Safety: every page is rendered with HTML escaping, every form carries a double-submit CSRF token
//! (cookie + hidden field, compared in constant time; 403 otherwise), responses carry a strict
//! Content-Security-Policy, bodies and input counts are limited, uploads are limited per file while
//! streaming, and concurrent edits are detected with the record version (409).

pub mod api;
pub mod auth;
pub mod evolution;
pub mod form;
mod handlers;
pub mod history;
pub mod migrate;
pub mod openapi;
mod pages;
mod review;
pub mod store;
pub mod vault;

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use formwork_codegen::html::{Partials, PartialsError, RenderError, Renderer};
use formwork_schema::model::{Field, Kind, TextFormat};
use formwork_schema::{Form, Spec, SpecError};

use formwork_runtime::Validator;
pub use store::Store;

/// Largest accepted request body (all uploads of one form together).
pub const BODY_LIMIT: usize = 64 * 1024 * 1024;

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The spec does not load.
    #[error("{0}")]
    Spec(#[from] SpecError),
    /// The templates folder cannot be used.
    #[error("templates: {0}")]
    Partials(#[from] PartialsError),
    /// The generated template or a partial does not compile.
    #[error("templates: {0}")]
    Render(#[from] RenderError),
    /// The database cannot be opened or migrated.
    #[error("{0}")]
    Store(#[from] store::StoreError),
    /// Binding or serving failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Where and how to serve a spec.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on.
    pub addr: SocketAddr,
    /// The database: a SQLite file (created on first start) or PostgreSQL.
    pub db: store::Location,
    /// Folder of partials (`*.hbs`, `form.css`) overriding the built-ins.
    pub templates: Option<PathBuf>,
    /// How people are recognised.
    pub auth: auth::AuthConfig,
    /// The key file sealing secrets at rest (created with mode 0600 if absent).
    pub key_file: PathBuf,
}

/// The web app: form, validator, renderer and store, shared by every request.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    form: Form,
    /// Checks stored records against this spec (what changed for them, what they hold that the
    /// form no longer has).
    checker: evolution::Checker,
    /// The hash of the spec served, written with every saved version.
    spec_hash: String,
    /// Whether a record (by id and version) needs attention, for the list.
    attention: std::sync::Mutex<std::collections::HashMap<String, (i64, bool)>>,
    fields: Vec<Field>,
    validator: Validator,
    renderer: Renderer,
    css: String,
    store: Arc<Store>,
    name_field: Option<String>,
    /// The blank form page, rendered once, with slots for the CSRF token and the account.
    blank_page: String,
    /// How people are recognised.
    auth: auth::AuthConfig,
    /// The OpenAPI document of the JSON API, built once.
    openapi: String,
}

/// Stands in for the CSRF token when the blank page is rendered once at start-up.
const TOKEN_SLOT: &str = "fw-csrf-token-slot-7c1e";
/// Stands in for the signed-in account's email in that page.
const ACCOUNT_SLOT: &str = "fw-account-slot-3b9d@invalid";

impl App {
    /// Builds the app for the spec `source` (named `file` in messages), rendering with `partials`
    /// and storing in `store`, which remembers the spec so records can say what they were saved under.
    pub fn from_source(
        file: &str,
        source: &str,
        partials: &Partials,
        mut store: Store,
        auth: auth::AuthConfig,
        vault: Option<vault::Vault>,
    ) -> Result<App, ServerError> {
        let spec = formwork_schema::load_spec_str(file, source)?;
        if let Some(v) = vault {
            store.seal_with(v, &spec.form)?;
        }
        let stored = store::StoredSpec::new(&spec.form, source);
        store.remember_spec(&stored)?;
        App::new(spec, stored.hash, partials, store, auth)
    }

    /// Builds the app for a loaded `spec` whose stored hash is `spec_hash`.
    fn new(
        spec: Spec,
        spec_hash: String,
        partials: &Partials,
        store: Store,
        auth: auth::AuthConfig,
    ) -> Result<App, ServerError> {
        let form = spec.form.clone();
        let validator = Validator::compile(&form)?;
        let checker = evolution::Checker::new(Arc::new(spec), validator.clone(), &spec_hash);
        let renderer = Renderer::new(&form, partials)?;
        let name_field = form
            .fields()
            .find(|f| matches!(&f.kind, Kind::Text(t) if t.format == TextFormat::Plain))
            .or_else(|| form.fields().find(|f| matches!(f.kind, Kind::Text(_))))
            .map(|f| f.id.clone());
        // The blank form differs between requests only by its CSRF token: render it once.
        let blank = serde_json::Value::Object(serde_json::Map::new());
        let mut input = formwork_codegen::html::RenderInput::new(&blank);
        input.csrf = TOKEN_SLOT;
        input.account = Some(ACCOUNT_SLOT);
        input.action = "/new";
        let blank_page = renderer.render(&input)?;
        let form_for_api = form.clone();
        Ok(App {
            inner: Arc::new(Inner {
                fields: form::root_fields(&form),
                form,
                checker,
                spec_hash,
                attention: std::sync::Mutex::new(std::collections::HashMap::new()),
                validator,
                renderer,
                css: partials.css().to_string(),
                store: Arc::new(store),
                name_field,
                blank_page,
                auth,
                openapi: serde_json::to_string_pretty(&openapi::document(&form_for_api))
                    .unwrap_or_default(),
            }),
        })
    }

    /// The routes of the app, with body limits and security headers.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/", get(handlers::list))
            .route("/new", get(handlers::new_form).post(handlers::submit_new))
            .route(
                "/records/{id}",
                get(handlers::show).post(handlers::submit_record),
            )
            .route("/files/{token}", get(handlers::file))
            .route(
                "/sign-in",
                get(handlers::sign_in_form).post(handlers::sign_in),
            )
            .route("/sign-out", post(handlers::sign_out))
            .route("/records/{id}/history", get(history::page))
            .route("/review", get(review::queue))
            .route("/review/{id}", get(review::view))
            .route("/records/{id}/transitions/{name}", post(review::transition))
            .route(
                "/records/{id}/secrets/{name}/reveal",
                post(handlers::reveal_secret),
            )
            .route(
                "/records/{id}/secrets/{name}/rotate",
                post(handlers::rotate_secret),
            )
            .route("/assets/form.css", get(handlers::css))
            .route("/assets/conditions.js", get(handlers::conditions_js))
            .route(
                "/api/validate",
                post(handlers::api_validate).layer(DefaultBodyLimit::max(api::API_BODY_LIMIT)),
            )
            .route("/api/records", get(api::list).post(api::create))
            .route(
                "/api/records/{id}",
                get(handlers::api_record).put(api::update),
            )
            .route(
                "/api/records/{id}/transitions/{name}",
                post(api::transition),
            )
            .route("/api/records/{id}/versions", get(handlers::api_versions))
            .route("/schema/{file}", get(handlers::schema))
            .route("/openapi.json", get(handlers::openapi))
            .fallback(handlers::not_found)
            .layer(DefaultBodyLimit::max(BODY_LIMIT))
            .layer(axum::middleware::from_fn_with_state(
                self.clone(),
                auth::identify,
            ))
            .layer(axum::middleware::from_fn(handlers::same_origin))
            .layer(axum::middleware::from_fn(handlers::security_headers))
            .with_state(self.clone())
    }

    /// The form served.
    pub fn form(&self) -> &Form {
        &self.inner.form
    }
}

/// Connections served at once; more wait in the kernel's accept queue.
pub const MAX_CONNECTIONS: usize = 512;
/// Minutes an upload of a form not saved yet is kept (for the person to fix the form).
pub const PENDING_MINUTES: u32 = 30;
/// Most uploads of unsaved forms one account may have at once.
pub const MAX_PENDING_FILES: u64 = 50;
/// Most bytes of uploads of unsaved forms one account may have at once.
pub const MAX_PENDING_BYTES: u64 = 128 * 1024 * 1024;
/// Time a client has to send a request's headers (slow or half-open clients are dropped).
pub const HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// Time a client has to send a request's body.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);
/// How long a graceful stop waits for requests in flight, whatever clients do.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// How many connections are served at once and how long slow clients and a stop may take.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections served at once; more wait in the kernel's accept queue.
    pub max_connections: usize,
    /// Time a client has to send a request's headers.
    pub header_timeout: std::time::Duration,
    /// How long a graceful stop waits for requests in flight.
    pub shutdown_grace: std::time::Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: MAX_CONNECTIONS,
            header_timeout: HEADER_TIMEOUT,
            shutdown_grace: SHUTDOWN_GRACE,
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then lets requests in flight finish
/// (at most [`SHUTDOWN_GRACE`]). At most [`MAX_CONNECTIONS`] connections are served at once, and a
/// client that does not send its headers within [`HEADER_TIMEOUT`] is disconnected.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, app, shutdown, Limits::default()).await
}

/// [`serve`] with other [`Limits`].
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: Limits,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt;
    let router = app.router();
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // Wait for a free slot first: past the limit, connections queue in the kernel.
        let permit = tokio::select! {
            p = Arc::clone(&permits).acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // Out of file descriptors and the like: wait a little, do not spin.
                Err(_) => {
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = router.clone().map_request(
            move |mut request: hyper::Request<hyper::body::Incoming>| {
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(addr));
                request
            },
        );
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout);
            let connection = builder.serve_connection(
                TokioIo::new(stream),
                hyper_util::service::TowerToHyperService::new(service),
            );
            let _ = watcher.watch(connection).await;
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {},
        () = tokio::time::sleep(limits.shutdown_grace) => {},
    }
    Ok(())
}

/// Loads `spec`, opens the database and serves until Ctrl-C or SIGTERM. At start it logs how the
/// stored records fare under this spec (`formwork records check`'s summary).
pub async fn run(spec: &Path, config: Config) -> Result<(), ServerError> {
    // Opening the store talks to the database synchronously (as every store call does, on the
    // blocking pool).
    let (spec_path, setup) = (spec.to_path_buf(), config.clone());
    let (app, summary) = tokio::task::spawn_blocking(move || prepare(&spec_path, &setup))
        .await
        .map_err(|e| ServerError::Io(std::io::Error::other(e)))??;
    // Uploads of forms never saved expire in the background, not only at start.
    let sweeper = Arc::clone(&app.inner.store);
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            let store = Arc::clone(&sweeper);
            let _ = tokio::task::spawn_blocking(move || store.delete_orphan_files(PENDING_MINUTES))
                .await;
        }
    });
    let stop = shutdown_signal();
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    let addr = listener.local_addr()?;
    eprintln!(
        "formwork: serving form `{}` on http://{addr}/ (database {}); Ctrl-C to stop",
        app.form().id,
        config.db
    );
    eprintln!("formwork: stored records: {summary}");
    serve(listener, app, stop).await?;
    eprintln!("formwork: stopped");
    Ok(())
}

/// Opens the store, seals its secrets, builds the app and checks the stored records (the
/// summary, as text): what [`run`] does before it listens.
fn prepare(spec: &Path, config: &Config) -> Result<(App, String), ServerError> {
    let source = formwork_schema::load::read_spec(spec)?;
    let partials = match &config.templates {
        Some(dir) => Partials::from_dir(dir)?,
        None => Partials::builtin(),
    };
    let store = Store::connect(&config.db)?;
    let _ = store.delete_orphan_files(PENDING_MINUTES)?;
    let vault =
        vault::Vault::load_or_create(&config.key_file).map_err(|e| ServerError::Store(e.into()))?;
    let app = App::from_source(
        &spec.display().to_string(),
        &source,
        &partials,
        store,
        config.auth.clone(),
        Some(vault),
    )?;
    let (_, summary) = evolution::check_all(&app.inner.store, &app.inner.checker)?;
    Ok((app, summary.text()))
}

/// Builds a multi-threaded tokio runtime and runs [`run`] on it (for the synchronous CLI).
pub fn run_blocking(spec: &Path, config: Config) -> Result<(), ServerError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(spec, config))
}

/// Completes on Ctrl-C (SIGINT), or on SIGTERM on Unix.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    // The handlers are installed now, not when the future is first polled: a signal that arrives
    // as soon as the server has printed its address is a graceful stop, never a kill.
    #[cfg(unix)]
    let (mut term, mut int) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::terminate()).ok(),
            signal(SignalKind::interrupt()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let term = async {
                match term.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let int = async {
                match int.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = term => {},
                _ = int => {},
            }
        }
        #[cfg(not(unix))]
        {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

/// `bytes` random bytes from the OS CSPRNG, as lower-case hex.
pub(crate) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    // The OS generator failing is not recoverable: no token may be weak.
    getrandom::fill(&mut buf).expect("the operating system's random number generator failed");
    let mut out = String::with_capacity(bytes * 2);
    for b in buf {
        use std::fmt::Write;
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Whether `s` is `len` lower-case hex digits (ids and tokens).
pub(crate) fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
