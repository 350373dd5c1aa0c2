//! Who is asking: accounts with Argon2id-hashed passwords, server-side sessions, API tokens, or a
//! trusted proxy header; sign-in and sign-out pages; rate-limited sign-in attempts.
//!
//! - Sessions live in the store, keyed by the SHA-256 of a random 256-bit token that only the
//!   browser holds, in a cookie that is `HttpOnly`, `SameSite=Lax`, and `__Host-` + `Secure` when
//!   served over TLS (`--secure-cookies`).
//! - API tokens (`Authorization: Bearer TOKEN`) are stored the same way, hashed.
//! - `--auth-header NAME` trusts a header set by an authenticating proxy (e.g. `X-Forwarded-Email`)
//!   instead: only ever behind such a proxy, which must strip the header from clients.
//! - Failed sign-ins count per account and per address; past the limits the page says to wait.
//!   Every failure gets the same message, whether the account exists or not.

use std::net::SocketAddr;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{AUTHORIZATION, COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use sha2::{Digest, Sha256};

use super::store::{Account, Store, StoreError};
use super::{App, pages, random_hex};

/// Argon2id parameters: 19 MiB, 2 passes, 1 lane (OWASP's recommended minimum).
const ARGON2_MEMORY_KIB: u32 = 19 * 1024;
const ARGON2_PASSES: u32 = 2;
/// Failed sign-ins allowed per account, and per address, in [`FAILURE_WINDOW_MINUTES`].
pub const MAX_FAILURES_PER_ACCOUNT: u32 = 5;
/// Failed sign-ins allowed per client address in the window.
pub const MAX_FAILURES_PER_ADDRESS: u32 = 20;
/// The window over which failures count.
pub const FAILURE_WINDOW_MINUTES: u32 = 15;
/// Longest accepted password (hashing cost is bounded).
const MAX_PASSWORD: usize = 1024;

/// How the server knows who is asking.
#[derive(Debug, Clone, Default)]
pub struct AuthConfig {
    /// Trust this request header (set by an authenticating proxy) for the account's email.
    pub header: Option<String>,
    /// Serve the session cookie as `__Host-…; Secure` (the site is served over TLS).
    pub secure_cookies: bool,
    /// How long a session lasts.
    pub session_hours: u32,
}

impl AuthConfig {
    fn cookie_name(&self) -> &'static str {
        if self.secure_cookies {
            "__Host-fw_session"
        } else {
            "fw_session"
        }
    }
}

/// The account behind a request, if any (put into request extensions by [`identify`]).
#[derive(Debug, Clone, Default)]
pub struct Identity(pub Option<Account>);

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

fn argon2() -> Argon2<'static> {
    let params = Params::new(ARGON2_MEMORY_KIB, ARGON2_PASSES, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// An Argon2id PHC string of `password` with a fresh random salt (from the OS).
pub fn hash_password(password: &str) -> Result<String, HashError> {
    argon2()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Whether `password` matches the PHC string `hash`.
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| argon2().verify_password(password.as_bytes(), &h).is_ok())
}

/// A new random token (256 bits, hex) for a session or the API.
pub fn new_token() -> String {
    random_hex(32)
}

/// The SHA-256 (hex) a token is stored under.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest {
        use std::fmt::Write;
        let _ = write!(out, "{b:02x}");
    }
    out
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, v)| *k == name && super::is_hex(v, 64))
        .map(|(_, v)| v.to_string())
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| super::is_hex(t, 64))
        .map(String::from)
}

/// Middleware: finds the account behind the request (proxy header, bearer token or session
/// cookie) and stores it as the request's [`Identity`].
pub(crate) async fn identify(State(app): State<App>, mut request: Request, next: Next) -> Response {
    let config = &app.inner.auth;
    let headers = request.headers();
    enum Lookup {
        Header(String),
        Token(String),
        Session(String),
        Nobody,
    }
    let lookup = if let Some(name) = &config.header {
        headers
            .get(name.as_str())
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|e| e.contains('@') && e.len() <= 254)
            .map_or(Lookup::Nobody, |e| Lookup::Header(e.to_lowercase()))
    } else if let Some(t) = bearer(headers) {
        Lookup::Token(token_hash(&t))
    } else if let Some(t) = cookie(headers, config.cookie_name()) {
        Lookup::Session(token_hash(&t))
    } else {
        Lookup::Nobody
    };
    let found = match lookup {
        Lookup::Nobody => Ok(None),
        other => {
            let store = std::sync::Arc::clone(&app.inner.store);
            tokio::task::spawn_blocking(move || -> Result<Option<Account>, StoreError> {
                match other {
                    Lookup::Header(email) => match store.account_by_email(&email)? {
                        Some((a, _)) if a.disabled => Ok(None),
                        Some((a, _)) => Ok(Some(a)),
                        None => store.create_account(&email, None, None).map(Some),
                    },
                    Lookup::Token(h) => store.token_account(&h),
                    Lookup::Session(h) => store.session_account(&h),
                    Lookup::Nobody => Ok(None),
                }
            })
            .await
            .unwrap_or(Ok(None))
        }
    };
    match found {
        Ok(account) => {
            request.extensions_mut().insert(Identity(account));
            next.run(request).await
        }
        Err(e) if e.is_unavailable() => super::handlers::unavailable(&e),
        Err(e) => {
            eprintln!("formwork: internal error: {e}");
            pages::message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The server could not check who you are. Try again later.",
            )
        }
    }
}

/// The sign-in page (GOV.UK style): email, password, one generic error, CSRF-protected.
pub(crate) fn sign_in_page(
    status: StatusCode,
    csrf: &str,
    email: &str,
    error: Option<&str>,
    next: &str,
) -> Response {
    let esc = pages::escape;
    let mut b = String::new();
    if let Some(e) = error {
        b.push_str(&format!(
            "<div class=\"fw-error-summary\" role=\"alert\" tabindex=\"-1\" aria-labelledby=\"fw-error-summary-title\">\n\
             <h2 class=\"fw-error-summary__title\" id=\"fw-error-summary-title\">There is a problem</h2>\n\
             <ul class=\"fw-error-summary__list\"><li><a href=\"#email\">{}</a></li></ul>\n</div>\n",
            esc(e)
        ));
    }
    b.push_str("<h1 class=\"fw-heading\">Sign in</h1>\n");
    b.push_str(&format!(
        "<form class=\"fw-form\" action=\"/sign-in\" method=\"post\" novalidate>\n\
         <input type=\"hidden\" name=\"_csrf\" value=\"{}\">\n\
         <input type=\"hidden\" name=\"next\" value=\"{}\">\n\
         <div class=\"fw-field{err}\">\n<label class=\"fw-label\" for=\"email\">Email address</label>\n\
         <input class=\"fw-input\" id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" spellcheck=\"false\" value=\"{}\">\n</div>\n\
         <div class=\"fw-field{err}\">\n<label class=\"fw-label\" for=\"password\">Password</label>\n\
         <input class=\"fw-input\" id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\">\n</div>\n\
         <div class=\"fw-buttons\"><button class=\"fw-button\" type=\"submit\">Sign in</button></div>\n</form>\n",
        esc(csrf),
        esc(next),
        esc(email),
        err = if error.is_some() { " fw-field--error" } else { "" },
    ));
    let title = if error.is_some() {
        "Error: Sign in"
    } else {
        "Sign in"
    };
    pages::html(status, pages::layout(title, &b))
}

/// A safe place to go after signing in: a local path, else `/`.
fn local_path(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next
    } else {
        "/"
    }
}

/// Checks an email and password, counting failures per account and per address. `Ok(None)` is a
/// wrong email or password; `Err(minutes)` means too many failures: wait.
pub fn check_password(
    store: &Store,
    email: &str,
    password: &str,
    address: &str,
) -> Result<Result<Option<Account>, u32>, StoreError> {
    let email = email.trim().to_lowercase();
    let keys = [format!("account:{email}"), format!("address:{address}")];
    if store.login_failures(&keys[0], FAILURE_WINDOW_MINUTES)? >= MAX_FAILURES_PER_ACCOUNT
        || store.login_failures(&keys[1], FAILURE_WINDOW_MINUTES)? >= MAX_FAILURES_PER_ADDRESS
    {
        return Ok(Err(FAILURE_WINDOW_MINUTES));
    }
    let found = store.account_by_email(&email)?;
    let ok = match &found {
        Some((a, Some(hash))) if !a.disabled && password.len() <= MAX_PASSWORD => {
            verify_password(hash, password)
        }
        _ => {
            // The same work whether or not the account exists.
            let _ = verify_password(DUMMY_HASH, password);
            false
        }
    };
    if ok {
        store.clear_login_failures(&keys[0])?;
        Ok(Ok(found.map(|(a, _)| a)))
    } else {
        store.record_login_failure(&keys)?;
        Ok(Ok(None))
    }
}

/// A hash to verify against when the account does not exist (so timing does not tell).
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2uXfJBvV8Ao1pZ7Ysi4t7o4C9Z5yXbW6U2yX0+hQ6mE";

/// The cookie that holds a new session's token.
pub(crate) fn session_cookie(config: &AuthConfig, token: &str) -> String {
    let secure = if config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        config.cookie_name(),
        u64::from(config.session_hours) * 3600
    )
}

/// The cookie that removes the session cookie.
pub(crate) fn clear_cookie(config: &AuthConfig) -> String {
    let secure = if config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}",
        config.cookie_name()
    )
}

/// `POST /sign-in` handler body: returns the response to send.
pub(crate) async fn sign_in(
    app: &App,
    address: Option<SocketAddr>,
    email: String,
    password: String,
    next: String,
    csrf: String,
) -> Response {
    let store = std::sync::Arc::clone(&app.inner.store);
    let address = address.map_or_else(|| "unknown".to_string(), |a| a.ip().to_string());
    let (e, p) = (email.clone(), password);
    let outcome = tokio::task::spawn_blocking(move || check_password(&store, &e, &p, &address))
        .await
        .unwrap_or_else(|_| Ok(Ok(None)));
    match outcome {
        Err(e) => {
            eprintln!("formwork: internal error: {e}");
            pages::message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The server could not sign you in. Try again later.",
            )
        }
        Ok(Err(minutes)) => sign_in_page(
            StatusCode::TOO_MANY_REQUESTS,
            &csrf,
            &email,
            Some(&format!(
                "Too many attempts to sign in. Wait {minutes} minutes, then try again."
            )),
            &next,
        ),
        Ok(Ok(None)) => sign_in_page(
            StatusCode::UNAUTHORIZED,
            &csrf,
            &email,
            Some("Enter a correct email address and password"),
            &next,
        ),
        Ok(Ok(Some(account))) => {
            let token = new_token();
            let store = std::sync::Arc::clone(&app.inner.store);
            let hours = app.inner.auth.session_hours;
            let hash = token_hash(&token);
            let created = tokio::task::spawn_blocking(move || {
                store.create_session(&account.id, &hash, hours)
            })
            .await;
            if !matches!(created, Ok(Ok(()))) {
                return pages::message(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The server could not sign you in. Try again later.",
                );
            }
            let mut response = Redirect::to(local_path(&next)).into_response();
            if let Ok(v) = HeaderValue::from_str(&session_cookie(&app.inner.auth, &token)) {
                response.headers_mut().append(SET_COOKIE, v);
            }
            response
        }
    }
}

/// Ends the session of the request (its cookie), if any; the response clears the cookie.
pub(crate) async fn sign_out(app: &App, headers: &HeaderMap) -> Response {
    if let Some(t) = cookie(headers, app.inner.auth.cookie_name()) {
        let store = std::sync::Arc::clone(&app.inner.store);
        let hash = token_hash(&t);
        let _ = tokio::task::spawn_blocking(move || store.delete_session(&hash)).await;
    }
    let mut response = Redirect::to("/sign-in").into_response();
    if let Ok(v) = HeaderValue::from_str(&clear_cookie(&app.inner.auth)) {
        response.headers_mut().append(SET_COOKIE, v);
    }
    response
}

/// Where an anonymous visitor of a page goes: the sign-in page, then back.
pub(crate) fn to_sign_in(path: &str) -> Response {
    let next: String = form_urlencoded::byte_serialize(path.as_bytes()).collect();
    Redirect::to(&format!("/sign-in?next={next}")).into_response()
}

/// Client address of a request, when the server was started with connection info.
pub(crate) fn client(request: &Request) -> Option<SocketAddr> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_password(&h, "correct horse"));
        assert!(!verify_password(&h, "wrong horse"));
        assert_ne!(h, hash_password("correct horse").unwrap(), "salted");
        assert!(!verify_password("not a hash", "x"));
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(local_path("/records/abc"), "/records/abc");
        for bad in ["https://evil.example/", "//evil.example", "/\\evil", "evil"] {
            assert_eq!(local_path(bad), "/", "{bad}");
        }
    }

    #[test]
    fn sign_in_is_rate_limited_per_account_with_one_message() {
        let store = Store::in_memory().unwrap();
        let hash = hash_password("pw-right").unwrap();
        store
            .create_account("ada@example.com", Some(&hash), None)
            .unwrap();
        for _ in 0..MAX_FAILURES_PER_ACCOUNT {
            assert_eq!(
                check_password(&store, "ada@example.com", "nope", "1.2.3.4").unwrap(),
                Ok(None)
            );
        }
        // Locked, even with the right password, from any address.
        assert!(
            check_password(&store, "ADA@example.com", "pw-right", "5.6.7.8")
                .unwrap()
                .is_err()
        );
        // Another account is not locked out by Ada's failures.
        store
            .create_account("bob@example.com", Some(&hash), None)
            .unwrap();
        assert!(matches!(
            check_password(&store, "bob@example.com", "pw-right", "5.6.7.8").unwrap(),
            Ok(Some(_))
        ));
        // Unknown accounts fail like wrong passwords.
        assert_eq!(
            check_password(&store, "nobody@example.com", "x", "9.9.9.9").unwrap(),
            Ok(None)
        );
    }
}
