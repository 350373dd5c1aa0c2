//! `formwork serve` end to end: the app runs in-process on 127.0.0.1:0 with a temporary SQLite
//! database and is driven over real HTTP by a small blocking client.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::Duration;

use formwork_codegen::html::Partials;
use formwork_runtime::Validator;
use formwork_server::{App, Store};
use scraper::{Html, Selector};
use serde_json::{Value, json};

const SPEC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../specs/pipedrive-app.yaml");
const XSS: &str = "<script>alert(1)</script>";
const PASSWORD: &str = "correct horse battery";

// ---------------------------------------------------------------------------------------------
// Server and client

struct Server {
    addr: SocketAddr,
    /// The account sessions sign in as (`ada@example.com`, password [`PASSWORD`]).
    account: formwork_server::store::Account,
    db: PathBuf,
    validator: Validator,
    _dir: tempfile::TempDir,
    _rt: tokio::runtime::Runtime,
}

fn start() -> Server {
    start_with(SPEC, None)
}

/// Serves the spec at `spec` on a copy of the database `db` (a fresh one when `None`).
fn start_with(spec: &str, db_fixture: Option<&str>) -> Server {
    let source = std::fs::read_to_string(spec).expect("spec readable");
    let form = formwork_schema::load_str(spec, &source).expect("spec loads");
    let validator = Validator::compile(&form).expect("spec compiles");
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("forms.db");
    if let Some(fixture) = db_fixture {
        std::fs::copy(fixture, &db).expect("fixture copied");
    }
    let store = Store::open(&db).expect("database opens");
    let hash = formwork_server::auth::hash_password(PASSWORD).expect("hash");
    let account = store
        .create_account("ada@example.com", Some(&hash), None)
        .expect("account");
    store
        .create_account("bob@example.com", Some(&hash), None)
        .expect("second account");
    store
        .create_account("rev@example.com", Some(&hash), Some("reviewer"))
        .expect("reviewer");
    store
        .adopt_unowned(&account.id)
        .expect("records of the fixture are Ada's");
    let app = App::from_source(
        spec,
        &source,
        &Partials::builtin(),
        store,
        formwork_server::auth::AuthConfig {
            session_hours: 1,
            ..Default::default()
        },
        Some(
            formwork_server::vault::Vault::load_or_create(&dir.path().join("forms.key"))
                .expect("key"),
        ),
    )
    .expect("app builds");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    rt.spawn(formwork_server::serve(
        listener,
        app,
        std::future::pending(),
    ));
    Server {
        addr,
        account,
        db,
        validator,
        _dir: dir,
        _rt: rt,
    }
}

#[derive(Debug)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn doc(&self) -> Html {
        Html::parse_document(&self.text())
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = body.windows(2).position(|w| w == b"\r\n") {
        let size_text = std::str::from_utf8(&body[..eol]).unwrap_or("0");
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16)
            .unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = eol + 2;
        out.extend_from_slice(&body[start..start + size]);
        body = &body[start + size + 2..];
    }
    out
}

impl Server {
    fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Resp {
        let mut stream = TcpStream::connect(self.addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .expect("timeout");
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if let Some(b) = body
            && !headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        {
            head.push_str(&format!("Content-Length: {}\r\n", b.len()));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).expect("write head");
        if let Some(b) = body {
            // The server may answer before reading everything (limits): ignore a broken pipe.
            let _ = stream.write_all(b);
        }
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw);
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no response head: {}", String::from_utf8_lossy(&raw)));
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status: u16 = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status");
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        let mut body = raw[split + 4..].to_vec();
        if headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"))
        {
            body = dechunk(&body);
        }
        Resp {
            status,
            headers,
            body,
        }
    }

    fn get(&self, path: &str) -> Resp {
        self.request("GET", path, &[], None)
    }

    /// A browser session signed in as Ada.
    fn session(&self) -> Session<'_> {
        self.session_as("ada@example.com")
    }

    /// A browser session signed in as `email`: the CSRF cookie and token from `GET /sign-in`,
    /// then the session cookie from `POST /sign-in`.
    fn session_as(&self, email: &str) -> Session<'_> {
        let page = self.get("/sign-in");
        assert_eq!(page.status, 200, "{}", page.text());
        let set_cookie = page.header("set-cookie").expect("csrf cookie").to_string();
        assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"));
        let csrf_cookie = set_cookie.split(';').next().unwrap_or_default().to_string();
        let csrf = attr(&page.doc(), "input[name=\"_csrf\"]", "value").expect("csrf field");
        assert_eq!(csrf_cookie, format!("fw_csrf={csrf}"));
        let body = format!(
            "_csrf={csrf}&email={}&password={}&next=%2F",
            email.replace('@', "%40"),
            PASSWORD.replace(' ', "+")
        );
        let r = self.request(
            "POST",
            "/sign-in",
            &[
                ("Cookie", &csrf_cookie),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            Some(body.as_bytes()),
        );
        assert_eq!(r.status, 303, "{}", r.text());
        let session = r
            .headers
            .iter()
            .filter(|(k, _)| k == "set-cookie")
            .map(|(_, v)| v.split(';').next().unwrap_or_default().to_string())
            .find(|c| c.starts_with("fw_session="))
            .expect("session cookie");
        Session {
            server: self,
            cookie: format!("{csrf_cookie}; {session}"),
            csrf,
        }
    }

    /// The stored record, read from the database file directly.
    fn stored(&self, id: &str) -> formwork_server::store::Record {
        self.store().get(id).expect("read").expect("record exists")
    }

    /// The database as the server sees it (secrets opened with its key file).
    fn store(&self) -> Store {
        let mut store = Store::open(&self.db).expect("db");
        let vault =
            formwork_server::vault::Vault::load_or_create(&self.db.with_file_name("forms.key"))
                .expect("key file");
        store
            .seal_with(vault, self.validator.form())
            .expect("sealed");
        store
    }
}

struct Session<'a> {
    server: &'a Server,
    cookie: String,
    csrf: String,
}

impl Session<'_> {
    fn get(&self, path: &str) -> Resp {
        self.server
            .request("GET", path, &[("Cookie", &self.cookie)], None)
    }

    fn post(&self, path: &str, form: Multipart) -> Resp {
        let (content_type, body) = form.body();
        self.server.request(
            "POST",
            path,
            &[("Cookie", &self.cookie), ("Content-Type", &content_type)],
            Some(&body),
        )
    }

    /// Posts an urlencoded body.
    fn post_form(&self, path: &str, body: &str) -> Resp {
        self.server.request(
            "POST",
            path,
            &[
                ("Cookie", &self.cookie),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            Some(body.as_bytes()),
        )
    }

    /// A multipart form carrying this session's CSRF token.
    fn form(&self) -> Multipart {
        Multipart::default().text("_csrf", &self.csrf)
    }

    /// Saves a new record with `extra` inputs; returns its id.
    fn create(&self, extra: Multipart) -> String {
        let r = self.post(
            "/new",
            extra
                .text("_csrf", &self.csrf)
                .text("_stage", "save")
                .text("callback_url", "https://example.com/callback"),
        );
        assert_eq!(r.status, 303, "{}", r.text());
        record_id(&r)
    }
}

fn record_id(r: &Resp) -> String {
    let location = r.header("location").expect("location");
    let id = location
        .strip_prefix("/records/")
        .and_then(|l| l.split('?').next())
        .expect("record location");
    id.to_string()
}

/// One multipart part: name, `(file name, content type)` for files, bytes.
type PartSpec = (String, Option<(String, String)>, Vec<u8>);

#[derive(Default)]
struct Multipart {
    parts: Vec<PartSpec>,
}

impl Multipart {
    fn text(mut self, name: &str, value: &str) -> Self {
        self.parts
            .push((name.into(), None, value.as_bytes().to_vec()));
        self
    }
    /// Replaces the value of the (single) text input `name`.
    fn set(mut self, name: &str, value: &str) -> Self {
        self.parts.retain(|(n, _, _)| n != name);
        self.text(name, value)
    }
    fn file(mut self, name: &str, file_name: &str, content_type: &str, bytes: &[u8]) -> Self {
        self.parts.push((
            name.into(),
            Some((file_name.into(), content_type.into())),
            bytes.to_vec(),
        ));
        self
    }
    fn body(&self) -> (String, Vec<u8>) {
        let boundary = "----formworkTestBoundary7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (name, file, bytes) in &self.parts {
            body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            match file {
                Some((file_name, ct)) => body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: {ct}\r\n\r\n"
                    )
                    .as_bytes(),
                ),
                None => body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
                ),
            }
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        (format!("multipart/form-data; boundary={boundary}"), body)
    }
}

// ---------------------------------------------------------------------------------------------
// HTML helpers

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap_or_else(|e| panic!("selector {s}: {e:?}"))
}

fn attr(doc: &Html, selector: &str, name: &str) -> Option<String> {
    doc.select(&sel(selector))
        .next()
        .and_then(|e| e.value().attr(name))
        .map(str::to_string)
}

fn attrs(doc: &Html, selector: &str, name: &str) -> Vec<String> {
    doc.select(&sel(selector))
        .filter_map(|e| e.value().attr(name))
        .map(str::to_string)
        .collect()
}

fn texts(doc: &Html, selector: &str) -> Vec<String> {
    doc.select(&sel(selector))
        .map(|e| e.text().collect::<String>().trim().to_string())
        .collect()
}

fn input_value(doc: &Html, name: &str) -> Option<String> {
    attr(doc, &format!("input[name=\"{name}\"]"), "value")
}

fn checked(doc: &Html, name: &str) -> Vec<String> {
    attrs(doc, &format!("input[name=\"{name}\"][checked]"), "value")
}

fn textarea(doc: &Html, name: &str) -> String {
    texts(doc, &format!("textarea[name=\"{name}\"]")).join("")
}

fn summary(doc: &Html) -> Vec<String> {
    texts(doc, ".fw-error-summary__list li")
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

// ---------------------------------------------------------------------------------------------
// Images

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    out.into_inner()
}

fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, 64, (y % 256) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("jpeg");
    out.into_inner()
}

/// A tiny GIF (header + logical screen descriptor + empty image), 16x16.
fn gif() -> Vec<u8> {
    let mut v = b"GIF89a".to_vec();
    v.extend_from_slice(&[16, 0, 16, 0, 0, 0, 0]);
    v.extend_from_slice(&[0x2c, 0, 0, 0, 0, 16, 0, 16, 0, 0, 2, 2, 0x44, 0x01, 0, 0x3b]);
    v
}

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
fn save_with_app_name_and_callback_issues_credentials() {
    let server = start();
    let s = server.session();
    let r = s.post(
        "/new",
        s.form()
            .text("_stage", "save")
            .text("app_name", "Random")
            .text(
                "callback_url",
                "https://www.randomawesomeapp.com/API/v2/callback",
            )
            .text("client_id", "forged-by-the-client"),
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let location = r.header("location").expect("location").to_string();
    assert!(location.starts_with("/records/"), "{location}");
    let id = record_id(&r);
    assert!(is_hex(&id, 32));

    let page = s.get(&location);
    assert_eq!(page.status, 200);
    let doc = page.doc();
    assert_eq!(texts(&doc, ".fw-issued dt"), ["Client ID", "Client secret"]);
    let codes = texts(&doc, ".fw-issued dd code");
    assert!(is_hex(&codes[0], 32), "client id {codes:?}");
    assert!(is_hex(&codes[1], 64), "client secret {codes:?}");
    assert_ne!(codes[0], "forged-by-the-client");
    assert!(texts(&doc, ".fw-status").concat().contains("hidden"));
    assert_eq!(input_value(&doc, "app_name").as_deref(), Some("Random"));
    assert_eq!(input_value(&doc, "_version").as_deref(), Some("1"));
    assert!(texts(&doc, ".fw-notice").concat().contains("Saved"));

    let list = server.session().get("/");
    assert_eq!(list.status, 200);
    let ldoc = list.doc();
    assert_eq!(texts(&ldoc, "tbody td a"), ["Random"]);
    assert!(texts(&ldoc, "tbody td").contains(&"hidden".to_string()));

    let api = server.session().get(&format!("/api/records/{id}"));
    assert_eq!(api.status, 200);
    let j = api.json();
    assert_eq!(j["status"], "hidden");
    assert_eq!(j["version"], 1);
    assert_eq!(j["data"]["app_name"], "Random");
    assert_eq!(j["issued"]["client_id"], codes[0].as_str());
    assert!(j["issued"].get("client_secret").is_none());
    assert!(!api.text().contains(&codes[1]), "the API leaks the secret");

    // A second save keeps the issued values.
    let r = s.post(
        &format!("/records/{id}"),
        s.form()
            .text("_stage", "save")
            .text("_version", "1")
            .text("app_name", "Random 2")
            .text("callback_url", "https://www.randomawesomeapp.com/cb"),
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let stored = server.stored(&id);
    assert_eq!(stored.version, 2);
    assert_eq!(stored.issued["client_id"], codes[0].as_str());
    assert_eq!(stored.issued["client_secret"], codes[1].as_str());
}

#[test]
fn review_with_missing_fields_is_422_with_every_error_and_every_value_kept() {
    let server = start();
    let s = server.session();
    let form = s
        .form()
        .text("_stage", "review")
        .text("app_name", "Random")
        .text("company", "Random Inc")
        .text("short_summary", "")
        .text("categories", "scheduling")
        .text("categories", "calling_sms")
        .text("callback_url", "https://example.com/cb")
        .text("access_scopes", "base")
        .text("access_scopes", "deals:read")
        .text("app_actions.0.name", "add to list")
        .text("app_actions.0.url", "https://example.com/action")
        .text("app_actions.0.locations", "deal_details")
        .text("app_actions.0.locations", "deals_list")
        .text("app_actions.1.name", "Second action")
        .text("app_actions.1.url", "")
        .text("app_panels.0.name", "Visits")
        .text("app_panels.0.api_endpoint", "http://example.com/panel")
        .text("app_panels.0.http_auth_username", "user")
        .text("app_panels.0.http_auth_password", "hunter2")
        .file(
            "app_panels.0.json_data_structure",
            "data.json",
            "application/json",
            br#"{"a": 1}"#,
        )
        .text("app_panels.0.location", "deal_details")
        .text("installation_instructions", "Install it.")
        .text("support_email", "not-an-email")
        .text("review_notifications", "true")
        .text("installation_scenarios.no_account", "true");
    let r = s.post("/new", form);
    assert_eq!(r.status, 422, "{}", r.text());

    // Every error of the runtime's report is in the summary.
    let expected = json!({
        "app_name": "Random",
        "company": "Random Inc",
        "categories": ["scheduling", "calling_sms"],
        "callback_url": "https://example.com/cb",
        "access_scopes": ["base", "deals:read"],
        "app_actions": [
            {"name": "add to list", "url": "https://example.com/action", "locations": ["deal_details", "deals_list"]},
            {"name": "Second action"}
        ],
        "app_panels": [{
            "name": "Visits", "api_endpoint": "http://example.com/panel", "http_auth_username": "user",
            "http_auth_password": "hunter2", "json_data_structure": "{\"a\": 1}", "location": "deal_details"
        }],
        "installation_instructions": "Install it.",
        "support_email": "not-an-email",
        "review_notifications": true,
        "installation_scenarios": {"no_account": true, "account_logged_out": false, "account_logged_in": false},
        "partner_agreement": false
    });
    let report = server
        .validator
        .validate(&expected, server.validator.stage("review").expect("stage"));
    assert!(report.errors.len() >= 10, "{report:?}");
    let doc = r.doc();
    let shown = summary(&doc);
    for e in &report.errors {
        assert!(
            shown.contains(&e.message),
            "missing error {e:?} in {shown:#?}"
        );
    }
    assert_eq!(
        shown.len(),
        report
            .errors
            .iter()
            .map(|e| &e.message)
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    );
    for w in &report.warnings {
        assert!(
            r.text().contains(&w.message.replace('"', "&quot;"))
                || texts(&doc, ".fw-warning-summary li").contains(&w.message)
        );
    }
    // Inline errors too.
    assert!(
        !texts(&doc, "#f-short_summary-error").is_empty()
            || r.text().contains("f-short_summary-error")
    );

    // Every value is kept.
    assert_eq!(input_value(&doc, "app_name").as_deref(), Some("Random"));
    assert_eq!(input_value(&doc, "company").as_deref(), Some("Random Inc"));
    assert_eq!(checked(&doc, "categories"), ["calling_sms", "scheduling"]);
    assert_eq!(checked(&doc, "access_scopes"), ["base", "deals:read"]);
    assert_eq!(
        input_value(&doc, "app_actions.0.name").as_deref(),
        Some("add to list")
    );
    assert_eq!(
        input_value(&doc, "app_actions.0.url").as_deref(),
        Some("https://example.com/action")
    );
    assert_eq!(
        checked(&doc, "app_actions.0.locations"),
        ["deal_details", "deals_list"]
    );
    assert_eq!(
        input_value(&doc, "app_actions.1.name").as_deref(),
        Some("Second action")
    );
    assert_eq!(
        input_value(&doc, "app_panels.0.name").as_deref(),
        Some("Visits")
    );
    assert_eq!(
        input_value(&doc, "app_panels.0.http_auth_username").as_deref(),
        Some("user")
    );
    assert!(textarea(&doc, "app_panels.0.json_data_structure").contains("\"a\": 1"));
    assert_eq!(checked(&doc, "app_panels.0.location"), ["deal_details"]);
    assert_eq!(textarea(&doc, "installation_instructions"), "Install it.");
    assert_eq!(
        input_value(&doc, "support_email").as_deref(),
        Some("not-an-email")
    );
    assert_eq!(checked(&doc, "review_notifications"), ["true"]);
    assert_eq!(checked(&doc, "installation_scenarios.no_account"), ["true"]);
    assert!(checked(&doc, "installation_scenarios.account_logged_in").is_empty());
    // Secrets are never echoed.
    assert!(!r.text().contains("hunter2"));
    // Nothing was saved.
    assert!(
        server
            .session()
            .get("/")
            .text()
            .contains("No records here yet")
    );
}

#[test]
fn uploads_are_sniffed_checked_kept_and_served() {
    let server = start();
    let s = server.session();
    let good_png = png(1280, 800);
    let good_jpeg = jpeg(1440, 900);
    let r = s.post(
        "/new",
        s.form()
            .text("_stage", "save")
            .text("app_name", "Pictures")
            .text("callback_url", "https://example.com/cb")
            .file("app_icon", "icon.jpg", "image/jpeg", &jpeg(300, 200))
            .file("listing_images", "one.png", "image/png", &good_png)
            .file("listing_images", "two.jpg", "image/jpeg", &good_jpeg)
            .file(
                "listing_images",
                "three.jpg",
                "image/jpeg",
                &jpeg(1000, 625),
            )
            .file("listing_images", "four.png", "image/png", &gif()),
    );
    assert_eq!(r.status, 422, "{}", r.text());
    let doc = r.doc();
    let errors = summary(&doc).join("\n");
    assert!(
        errors.contains("App icon must have an aspect ratio of 1:1"),
        "{errors}"
    );
    assert!(
        errors.contains("App icon must be at least 256 pixels high"),
        "{errors}"
    );
    assert!(errors.contains("must be one of these sizes"), "{errors}");
    assert!(errors.contains("the file is image/gif"), "{errors}");
    assert!(
        !errors.contains("Upload"),
        "files must not be asked for again: {errors}"
    );
    // Stored files come back with keepers: one hidden for the icon, a checkbox per image.
    let icon_token = input_value(&doc, "app_icon._keep").expect("icon keeper");
    let image_tokens = checked(&doc, "listing_images._keep");
    assert_eq!(image_tokens.len(), 4);
    assert!(texts(&doc, ".fw-stored__name").contains(&"two.jpg".to_string()));
    assert_eq!(input_value(&doc, "app_name").as_deref(), Some("Pictures"));

    // Keep the two good images, replace the icon by a good one.
    let good_icon = png(256, 256);
    let r = s.post(
        "/new",
        s.form()
            .text("_stage", "save")
            .text("app_name", "Pictures")
            .text("callback_url", "https://example.com/cb")
            .text("app_icon._keep", &icon_token)
            .file("app_icon", "icon.png", "image/png", &good_icon)
            .text("listing_images._keep", &image_tokens[0])
            .text("listing_images._keep", &image_tokens[1])
            .file("listing_images", "", "application/octet-stream", b""),
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let id = record_id(&r);
    let j = server.session().get(&format!("/api/records/{id}")).json();
    let icon = &j["data"]["app_icon"];
    assert_eq!(
        (
            icon["media_type"].as_str(),
            icon["width"].as_u64(),
            icon["height"].as_u64()
        ),
        (Some("image/png"), Some(256), Some(256))
    );
    assert_eq!(icon["size"].as_u64(), Some(good_icon.len() as u64));
    let images = j["data"]["listing_images"].as_array().expect("images");
    assert_eq!(images.len(), 2);
    assert_eq!(images[0]["media_type"], "image/png");
    assert_eq!(images[1]["media_type"], "image/jpeg");
    assert_eq!(
        (images[1]["width"].as_u64(), images[1]["height"].as_u64()),
        (Some(1440), Some(900))
    );

    // The JSON API cannot upload files: a body sends file fields back as read (or leaves them
    // out); a changed or new file is refused with 422, never dropped silently.
    let put = |data: &serde_json::Value, version: &serde_json::Value| {
        server.request(
            "PUT",
            &format!("/api/records/{id}?stage=save"),
            &[
                ("Cookie", &s.cookie),
                ("Content-Type", "application/json"),
                ("If-Match", &format!("\"{version}\"")),
            ],
            Some(data.to_string().as_bytes()),
        )
    };
    let mut changed = j["data"].clone();
    changed["listing_images"][1]["width"] = serde_json::json!(1441);
    let r = put(&changed, &j["version"]);
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(
        r.text().contains("`listing_images` differs"),
        "{}",
        r.text()
    );
    let r = put(&j["data"], &j["version"]);
    assert_eq!(r.status, 200, "{}", r.text());
    let after = r.json();
    assert_eq!(after["data"]["listing_images"], j["data"]["listing_images"]);
    let mut without = j["data"].clone();
    without.as_object_mut().expect("object").remove("app_icon");
    let r = put(&without, &after["version"]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["data"]["app_icon"], j["data"]["app_icon"]);
    let r = server.request(
        "POST",
        "/api/records?stage=save",
        &[("Cookie", &s.cookie), ("Content-Type", "application/json")],
        Some(j["data"].to_string().as_bytes()),
    );
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(
        r.text().contains("files cannot be uploaded"),
        "{}",
        r.text()
    );

    // Files are served with their sniffed type.
    let url = icon["url"].as_str().expect("icon url");
    let f = server.session().get(url);
    assert_eq!(f.status, 200);
    assert_eq!(f.header("content-type"), Some("image/png"));
    assert_eq!(f.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(f.body, good_icon);
    assert_eq!(
        server
            .session()
            .get("/files/00000000000000000000000000000000")
            .status,
        404
    );
    assert_eq!(server.session().get("/files/not-a-token").status, 404);

    // The record page shows the stored files with previews and keepers; saving again keeps them.
    let page = s.get(&format!("/records/{id}"));
    let doc = page.doc();
    assert!(
        attrs(&doc, "img.fw-stored__preview", "src")
            .iter()
            .any(|s| s == url)
    );
    let keep = input_value(&doc, "app_icon._keep").expect("keeper");
    let kept_images = checked(&doc, "listing_images._keep");
    let r = s.post(
        &format!("/records/{id}"),
        s.form()
            .text("_stage", "save")
            .text("_version", "3") // two API saves above
            .text("app_name", "Pictures")
            .text("callback_url", "https://example.com/cb")
            .text("app_icon._keep", &keep)
            .text("listing_images._keep", &kept_images[1]),
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let stored = server.stored(&id);
    assert_eq!(stored.data["app_icon"]["width"], 256);
    assert_eq!(
        stored.data["listing_images"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(stored.data["listing_images"][0]["name"], "two.jpg");
}

#[test]
fn a_png_that_is_really_a_gif_is_rejected() {
    let server = start();
    let s = server.session();
    let r = s.post(
        "/new",
        s.form()
            .text("_stage", "save")
            .text("app_name", "Gif")
            .text("callback_url", "https://example.com/cb")
            .file("app_icon", "icon.png", "image/png", &gif()),
    );
    assert_eq!(r.status, 422, "{}", r.text());
    let errors = summary(&r.doc()).join("\n");
    assert!(
        errors.contains("App icon must be one of: image/png, image/jpeg (the file is image/gif)"),
        "{errors}"
    );
}

#[test]
fn an_oversized_upload_is_a_field_error_and_the_rest_is_read() {
    let server = start();
    let s = server.session();
    let mut big = png(256, 256);
    big.resize(10 * 1024 * 1024 + 1, 0);
    let r = s.post(
        "/new",
        s.form()
            .text("_stage", "save")
            .file("app_icon", "big.png", "image/png", &big)
            .text("app_name", "Big one")
            .text("callback_url", "https://example.com/cb"),
    );
    assert_eq!(r.status, 422, "{}", r.text());
    let doc = r.doc();
    let errors = summary(&doc);
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("App icon must be at most 10 MB")),
        "{errors:?}"
    );
    assert!(r.text().contains("f-app_icon-error"));
    // Inputs after the oversized file were still read.
    assert_eq!(input_value(&doc, "app_name").as_deref(), Some("Big one"));
    // The oversized file was not stored.
    assert!(input_value(&doc, "app_icon._keep").is_none());

    // A body over the total limit is refused with a clear 413 page before it is read.
    let r = server.request(
        "POST",
        "/new",
        &[
            ("Cookie", &s.cookie),
            ("Content-Type", "multipart/form-data; boundary=x"),
            ("Content-Length", "104857600"),
        ],
        Some(b""),
    );
    assert_eq!(r.status, 413);
    assert!(r.text().contains("too large"));
}

#[test]
fn markup_in_every_text_field_is_rendered_inert() {
    let server = start();
    let s = server.session();
    let text_fields = [
        "app_name",
        "company",
        "short_summary",
        "description",
        "youtube_video_url",
        "callback_url",
        "app_actions.0.name",
        "app_actions.0.url",
        "app_panels.0.name",
        "app_panels.0.api_endpoint",
        "app_panels.0.http_auth_username",
        "app_panels.0.json_data_structure",
        "installation_instructions",
        "website_url",
        "terms_of_service_url",
        "privacy_policy_url",
        "support_url",
        "support_email",
        "documentation_url",
        "issue_tracker_url",
        "main_contact_email",
    ];
    let mut form = s.form().text("_stage", "review");
    for name in text_fields {
        form = form.text(name, XSS);
    }
    form = form
        .text("categories", XSS)
        .text("app_actions.0.locations", XSS)
        .file(
            "app_icon",
            "<img src=x onerror=alert(1)>.png",
            "image/png",
            &png(256, 256),
        );
    let r = s.post("/new", form);
    assert_eq!(r.status, 422);
    let body = r.text();
    assert!(!body.contains("<script"), "unescaped markup in the page");
    let doc = r.doc();
    for name in text_fields {
        let value = match input_value(&doc, name) {
            Some(v) => v,
            None => textarea(&doc, name),
        };
        assert_eq!(value, XSS, "value of {name} not kept as text");
    }
    assert!(
        !body.contains("<img src=x"),
        "unescaped file name in the page"
    );
    assert!(
        texts(&doc, ".fw-stored__name").contains(&"<img src=x onerror=alert(1)>.png".to_string()),
        "{:?}",
        texts(&doc, ".fw-stored__name")
    );
    assert!(doc.select(&sel("script")).next().is_none());
    let csp = r.header("content-security-policy").expect("csp");
    assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"));

    // Stored markup stays inert on the record page and the list.
    let id = s.create(Multipart::default().text("app_name", XSS));
    for page in [s.get(&format!("/records/{id}")), server.session().get("/")] {
        assert_eq!(page.status, 200);
        assert!(!page.text().contains("<script"));
        assert!(
            page.text()
                .contains("&lt;script&gt;alert(1)&lt;/script&gt;")
        );
    }
}

#[test]
fn a_stale_version_is_a_409_that_keeps_both_sides() {
    let server = start();
    let alice = server.session();
    let bob = server.session();
    let id = alice.create(Multipart::default().text("app_name", "Original"));
    let path = format!("/records/{id}");
    // Both open the record at version 1.
    assert_eq!(
        input_value(&alice.get(&path).doc(), "_version").as_deref(),
        Some("1")
    );
    assert_eq!(
        input_value(&bob.get(&path).doc(), "_version").as_deref(),
        Some("1")
    );
    let edit = |s: &Session<'_>, name: &str, company: &str| {
        s.post(
            &path,
            s.form()
                .text("_stage", "save")
                .text("_version", "1")
                .text("app_name", name)
                .text("company", company)
                .text("callback_url", "https://example.com/cb"),
        )
    };
    let r = edit(&alice, "Alice's name", "");
    assert_eq!(r.status, 303, "{}", r.text());
    let r = edit(&bob, "Bob's name", "Bob's company");
    assert_eq!(r.status, 409, "{}", r.text());
    let doc = r.doc();
    assert_eq!(input_value(&doc, "app_name").as_deref(), Some("Bob's name"));
    assert_eq!(
        input_value(&doc, "company").as_deref(),
        Some("Bob's company")
    );
    assert!(
        texts(&doc, ".fw-notice")
            .concat()
            .contains("Nothing was saved")
    );
    assert_eq!(input_value(&doc, "_version").as_deref(), Some("2"));
    // The database still has Alice's data.
    let stored = server.stored(&id);
    assert_eq!(stored.version, 2);
    assert_eq!(stored.data["app_name"], "Alice's name");
    assert!(stored.data.get("company").is_none());
    // Submitting the conflict page (now at version 2) is a deliberate overwrite.
    let r = bob.post(
        &path,
        bob.form()
            .text("_stage", "save")
            .text("_version", "2")
            .text("app_name", "Bob's name")
            .text("callback_url", "https://example.com/cb"),
    );
    assert_eq!(r.status, 303);
    assert_eq!(server.stored(&id).data["app_name"], "Bob's name");
}

#[test]
fn csrf_token_is_required() {
    let server = start();
    let s = server.session();
    let fields = |m: Multipart| {
        m.text("_stage", "save")
            .text("app_name", "X")
            .text("callback_url", "https://example.com/cb")
    };
    // No token.
    let r = s.post("/new", fields(Multipart::default()));
    assert_eq!(r.status, 403);
    // A token but no CSRF cookie (signed in all the same).
    let (ct, body) = fields(s.form()).body();
    let only_session = s
        .cookie
        .split("; ")
        .find(|c| c.starts_with("fw_session="))
        .expect("session cookie")
        .to_string();
    let r = server.request(
        "POST",
        "/new",
        &[("Content-Type", &ct), ("Cookie", &only_session)],
        Some(&body),
    );
    assert_eq!(r.status, 403);
    // A token that does not match the cookie.
    let (ct, body) = fields(Multipart::default().text("_csrf", &"a".repeat(64))).body();
    let r = server.request(
        "POST",
        "/new",
        &[("Content-Type", &ct), ("Cookie", &s.cookie)],
        Some(&body),
    );
    assert_eq!(r.status, 403);
    assert!(
        server
            .session()
            .get("/")
            .text()
            .contains("No records here yet")
    );
    // With the token it works (urlencoded too).
    let body = format!(
        "_csrf={}&_stage=save&app_name=Plain&callback_url=https%3A%2F%2Fexample.com%2Fcb&review_notifications=true",
        s.csrf
    );
    let r = server.request(
        "POST",
        "/new",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", &s.cookie),
        ],
        Some(body.as_bytes()),
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let stored = server.stored(&record_id(&r));
    assert_eq!(stored.data["review_notifications"], true);
}

#[test]
fn group_actions_rerender_without_saving() {
    let server = start();
    let s = server.session();
    let r = s.post(
        "/new",
        s.form()
            .text("_action", "add:app_actions")
            .text("app_name", "Groups")
            .text("app_actions.0.name", "First")
            .text("app_actions.0.locations", "deal_details"),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let doc = r.doc();
    assert_eq!(
        input_value(&doc, "app_actions.0.name").as_deref(),
        Some("First")
    );
    assert_eq!(checked(&doc, "app_actions.0.locations"), ["deal_details"]);
    assert!(
        doc.select(&sel("input[name=\"app_actions.1.name\"]"))
            .next()
            .is_some()
    );
    assert!(summary(&doc).is_empty());

    let r = s.post(
        "/new",
        s.form()
            .text("_action", "remove:app_actions:0")
            .text("app_name", "Groups")
            .text("app_actions.0.name", "First")
            .text("app_actions.1.name", "Second"),
    );
    assert_eq!(r.status, 200);
    let doc = r.doc();
    assert_eq!(
        input_value(&doc, "app_actions.0.name").as_deref(),
        Some("Second")
    );
    assert!(
        doc.select(&sel("input[name=\"app_actions.1.name\"]"))
            .next()
            .is_none()
    );
    assert_eq!(input_value(&doc, "app_name").as_deref(), Some("Groups"));

    let r = s.post("/new", s.form().text("_action", "remove:nothing:0"));
    assert_eq!(r.status, 400);
    assert!(
        server
            .session()
            .get("/")
            .text()
            .contains("No records here yet")
    );

    // Blank items are not saved.
    let id = s.create(
        Multipart::default()
            .text("app_name", "Blank items")
            .text("app_actions.0.name", ""),
    );
    assert!(server.stored(&id).data.get("app_actions").is_none());
}

#[test]
fn a_stored_secret_is_kept_when_left_blank_and_never_echoed() {
    let server = start();
    let s = server.session();
    let id = s.create(
        Multipart::default()
            .text("app_name", "Secrets")
            .text("app_panels.0.name", "Panel")
            .text("app_panels.0.http_auth_password", "hunter2"),
    );
    assert_eq!(
        server.stored(&id).data["app_panels"][0]["http_auth_password"],
        "hunter2"
    );
    let page = s.get(&format!("/records/{id}"));
    assert!(!page.text().contains("hunter2"));
    assert!(
        !server
            .get(&format!("/api/records/{id}"))
            .text()
            .contains("hunter2")
    );
    let doc = Html::parse_document(&page.text());
    let keep = input_value(&doc, "app_panels.0.http_auth_password._keep").expect("secret keeper");
    let r = s.post(
        &format!("/records/{id}"),
        s.form()
            .text("_stage", "save")
            .text("_version", "1")
            .text("app_name", "Secrets")
            .text("callback_url", "https://example.com/cb")
            .text("app_panels.0.name", "Panel renamed")
            .text("app_panels.0.http_auth_password", "")
            .text("app_panels.0.http_auth_password._keep", &keep),
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let stored = server.stored(&id);
    assert_eq!(stored.data["app_panels"][0]["name"], "Panel renamed");
    assert_eq!(
        stored.data["app_panels"][0]["http_auth_password"],
        "hunter2"
    );
}

/// Removing an item moves the items after it; each kept secret must stay with its own item.
#[test]
fn a_kept_secret_follows_its_item_when_an_earlier_item_is_removed() {
    let server = start();
    let s = server.session();
    let id = s.create(
        Multipart::default()
            .text("app_name", "Two panels")
            .text("app_panels.0.name", "First")
            .text("app_panels.0.http_auth_password", "first-pass")
            .text("app_panels.1.name", "Second")
            .text("app_panels.1.http_auth_password", "second-pass"),
    );
    let doc = Html::parse_document(&s.get(&format!("/records/{id}")).text());
    let keep0 = input_value(&doc, "app_panels.0.http_auth_password._keep").expect("keeper 0");
    let keep1 = input_value(&doc, "app_panels.1.http_auth_password._keep").expect("keeper 1");
    // Remove the first panel: the page re-renders with the second panel as item 0.
    let r = s.post(
        &format!("/records/{id}"),
        s.form()
            .text("_action", "remove:app_panels:0")
            .text("_version", "1")
            .text("app_name", "Two panels")
            .text("app_panels.0.name", "First")
            .text("app_panels.0.http_auth_password", "")
            .text("app_panels.0.http_auth_password._keep", &keep0)
            .text("app_panels.1.name", "Second")
            .text("app_panels.1.http_auth_password", "")
            .text("app_panels.1.http_auth_password._keep", &keep1),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let page = r.text();
    assert!(
        !page.contains("first-pass") && !page.contains("second-pass"),
        "secrets never echoed"
    );
    let doc = Html::parse_document(&page);
    assert_eq!(
        input_value(&doc, "app_panels.0.name").as_deref(),
        Some("Second")
    );
    let moved = input_value(&doc, "app_panels.0.http_auth_password._keep")
        .expect("keeper moved with its item");
    assert!(input_value(&doc, "app_panels.1.http_auth_password._keep").is_none());
    // Save with the password left blank: the remaining panel keeps its own password.
    let r = s.post(
        &format!("/records/{id}"),
        s.form()
            .text("_stage", "save")
            .text("_version", "1")
            .text("app_name", "Two panels")
            .text("callback_url", "https://example.com/cb")
            .text("app_panels.0.name", "Second")
            .text("app_panels.0.http_auth_password", "")
            .text("app_panels.0.http_auth_password._keep", &moved),
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let stored = server.stored(&id);
    assert_eq!(stored.data["app_panels"].as_array().map(Vec::len), Some(1));
    assert_eq!(stored.data["app_panels"][0]["name"], "Second");
    assert_eq!(
        stored.data["app_panels"][0]["http_auth_password"],
        "second-pass"
    );
}

#[test]
fn json_api_schema_and_assets() {
    let server = start();
    let post = |path: &str, body: &[u8]| {
        server.request(
            "POST",
            path,
            &[("Content-Type", "application/json")],
            Some(body),
        )
    };
    let r = post(
        "/api/validate?stage=save",
        br#"{"app_name": "Random", "callback_url": "https://example.com/cb"}"#,
    );
    assert_eq!(r.status, 200);
    let j = r.json();
    assert_eq!(
        (j["valid"].as_bool(), j["stage"].as_str()),
        (Some(true), Some("save"))
    );

    let r = post(
        "/api/validate?stage=review",
        br#"{"app_name": "Random", "client_id": "x"}"#,
    );
    assert_eq!(r.status, 200);
    let j = r.json();
    assert_eq!(j["valid"], false);
    let paths: Vec<&str> = j["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["path"].as_str())
        .collect();
    assert!(
        paths.contains(&"/callback_url") && paths.contains(&"/client_id"),
        "{paths:?}"
    );

    // Only JSON: another site's page can post text/plain without asking.
    let plain = server.request(
        "POST",
        "/api/validate?stage=save",
        &[("Content-Type", "text/plain")],
        Some(b"{}"),
    );
    assert_eq!(plain.status, 415);

    let r = post("/api/validate?stage=save", b"{not json");
    assert_eq!(r.status, 400);
    assert!(
        r.json()["error"]
            .as_str()
            .is_some_and(|e| e.contains("not valid JSON"))
    );
    let r = post("/api/validate?stage=publish", b"{}");
    assert_eq!(r.status, 400);
    assert!(
        r.json()["error"]
            .as_str()
            .is_some_and(|e| e.contains("unknown stage"))
    );
    assert_eq!(post("/api/validate", b"{}").status, 400);

    let schema = server.get("/schema/review.json");
    assert_eq!(schema.status, 200);
    assert!(
        schema.json()["$schema"]
            .as_str()
            .is_some_and(|s| s.contains("2020-12"))
    );
    assert_eq!(server.get("/schema/publish.json").status, 404);

    let css = server.get("/assets/form.css");
    assert_eq!(css.status, 200);
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    assert!(css.text().contains(".fw-"));

    assert_eq!(server.session().get("/records/nope").status, 404);
    assert_eq!(
        server
            .session()
            .get("/records/0123456789abcdef0123456789abcdef")
            .status,
        404
    );
    assert_eq!(
        server
            .session()
            .get("/api/records/0123456789abcdef0123456789abcdef")
            .status,
        404
    );
    // Anonymous API calls are told to authenticate.
    let anonymous = server.get("/api/records/0123456789abcdef0123456789abcdef");
    assert_eq!(anonymous.status, 401);
    assert_eq!(anonymous.header("www-authenticate"), Some("Bearer"));
    assert_eq!(server.get("/no/such/page").status, 404);
}

#[test]
fn bad_requests_are_4xx_not_5xx() {
    let server = start();
    let s = server.session();
    let post = |ct: &str, body: &[u8]| {
        server.request(
            "POST",
            "/new",
            &[("Content-Type", ct), ("Cookie", &s.cookie)],
            Some(body),
        )
    };
    assert_eq!(
        post("multipart/form-data; boundary=zz", b"garbage").status,
        400
    );
    assert_eq!(post("multipart/form-data", b"garbage").status, 400);
    assert_eq!(post("text/plain", b"hello").status, 415);
    // Unknown stage, non-numeric numbers, unknown names, absurd group indexes: all handled.
    let r = s.post("/new", s.form().text("_stage", "publish"));
    assert_eq!(r.status, 400);
    let r = s.post(
        "/new",
        s.form()
            .text("_stage", "save")
            .text("app_actions.99999999999999999999.name", "x")
            .text("app_actions.-1.name", "x")
            .text("app_actions.1e3.name", "x")
            .text("installation_scenarios", "x")
            .text("app_icon._keep", "../../etc/passwd")
            .text("", "")
            .file("short_summary", "s.txt", "text/plain", &[0xff, 0xfe]),
    );
    assert_eq!(r.status, 422, "{}", r.text());
    // A record form without its version.
    let id = s.create(Multipart::default().text("app_name", "V"));
    let r = s.post(&format!("/records/{id}"), s.form().text("_stage", "save"));
    assert_eq!(r.status, 400);
}

/// The blank form is rendered once at start-up; each visitor still gets their own CSRF token.
#[test]
fn blank_form_carries_each_visitors_own_csrf_token() {
    let server = start();
    let mut tokens = Vec::new();
    for email in ["ada@example.com", "bob@example.com"] {
        let s = server.session_as(email);
        let only_session = s
            .cookie
            .split("; ")
            .find(|c| c.starts_with("fw_session="))
            .expect("session cookie")
            .to_string();
        let r = server.request("GET", "/new", &[("Cookie", &only_session)], None);
        assert_eq!(r.status, 200);
        assert!(
            r.text()
                .contains(&format!("Signed in as <strong>{email}</strong>"))
        );
        assert!(!r.text().contains("fw-account-slot"), "no placeholder left");
        let cookie = r
            .header("set-cookie")
            .expect("a CSRF cookie for a new visitor")
            .to_string();
        let token = cookie
            .split(';')
            .next()
            .and_then(|c| c.split_once('='))
            .map(|(_, v)| v.to_string())
            .expect("cookie value");
        let doc = Html::parse_document(&r.text());
        assert_eq!(input_value(&doc, "_csrf").as_deref(), Some(token.as_str()));
        assert!(!r.text().contains("token-slot"), "no placeholder left");
        tokens.push(token);
    }
    assert_ne!(tokens[0], tokens[1]);
}

// ---------------------------------------------------------------------------------------------
// A changed spec on a database of the previous release (tests/evolution)

const V2: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/evolution/pipedrive-app.v2.yaml"
);
const V1_DB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/evolution/v1.db");

/// The record ids of the fixture: A (in review), B, C, D (drafts); see make-v1-db.sh.
fn fixture_ids() -> Vec<String> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/evolution/v1.records"
    ))
    .expect("v1.records");
    text.lines().map(String::from).collect()
}

/// What a browser would post for the page's form: every named input (checkboxes and radios only
/// when checked), textarea and selected option; file inputs post nothing (stored files are kept
/// through their `._keep` inputs).
fn browser_form(s: &Session<'_>, doc: &Html) -> Multipart {
    let mut m = Multipart::default();
    for input in doc.select(&sel("form.fw-form input[name]")) {
        let e = input.value();
        let name = e.attr("name").unwrap_or_default();
        let value = e.attr("value").unwrap_or_default();
        match e.attr("type").unwrap_or("text") {
            "checkbox" | "radio" if e.attr("checked").is_none() => {}
            "file" => {}
            _ if name == "_csrf" => m = m.text(name, &s.csrf),
            _ => m = m.text(name, value),
        }
    }
    for t in doc.select(&sel("form.fw-form textarea[name]")) {
        let name = t.value().attr("name").unwrap_or_default();
        m = m.text(name, &t.text().collect::<String>());
    }
    for o in doc.select(&sel("form.fw-form select[name] option[selected]")) {
        if let Some(select) = o.parent().and_then(scraper::ElementRef::wrap) {
            let name = select.value().attr("name").unwrap_or_default();
            m = m.text(name, o.value().attr("value").unwrap_or_default());
        }
    }
    m
}

#[test]
fn a_database_of_the_previous_release_opens_and_keeps_every_record() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("v1.db");
    std::fs::copy(V1_DB, &db).expect("copy");
    let store = Store::open(&db).expect("v1 database opens in this release");
    assert_eq!(store.schema_version().expect("version"), 4);
    let records = store.list().expect("records");
    assert_eq!(records.len(), 4);
    for r in &records {
        assert_eq!(r.spec_hash, None, "saved before records knew their spec");
        assert_eq!(r.owner, None, "made before there were accounts");
        let history = store.versions(&r.id).expect("history");
        assert_eq!(history.len(), 1, "the stored state starts the history");
        assert_eq!(history[0].data, r.data);
        assert_eq!(history[0].event, "before_history");
    }
    let a = &fixture_ids()[0];
    let record = store.get(a).expect("read").expect("A");
    assert_eq!(record.status, "in_review");
    assert_eq!(
        record.data["documentation_url"],
        "https://www.randomawesomeapp.com/help"
    );
}

#[test]
fn serving_a_changed_spec_marks_and_explains_records_and_loses_nothing() {
    let server = start_with(V2, Some(V1_DB));
    let ids = fixture_ids();
    let (a, b) = (&ids[0], &ids[1]);

    // The list marks every record that no longer conforms.
    let list = server.session().get("/").text();
    assert_eq!(list.matches("Needs attention").count(), 4, "{list}");

    // Record A's page says what changed for it and shows the orphaned values read-only.
    let s = server.session();
    let page = s.get(&format!("/records/{a}"));
    assert_eq!(page.status, 200);
    let doc = page.doc();
    let changes = texts(&doc, ".fw-changes li");
    assert!(
        changes
            .iter()
            .any(|c| c.contains("“product_details” is no longer offered")
                && c.contains("app action 1")),
        "{changes:?}"
    );
    assert!(
        changes
            .iter()
            .any(|c| c.contains("documentation_url is no longer part of the form")),
        "{changes:?}"
    );
    let orphans = texts(&doc, ".fw-orphans dd");
    assert!(
        orphans.contains(&"https://www.randomawesomeapp.com/help".to_string()),
        "{orphans:?}"
    );
    assert!(
        orphans.contains(&"product_details".to_string()),
        "{orphans:?}"
    );
    assert!(
        !page.text().contains("s3cret-Pa55"),
        "no secret on the page"
    );

    // In review, the owner cannot change it; a reviewer asks for changes first.
    let r = s.post(
        &format!("/records/{a}"),
        browser_form(&s, &doc).text("_stage", "save"),
    );
    assert_eq!(r.status, 409, "{}", r.text());
    let rev = server.session_as("rev@example.com");
    let r = rev.post_form(
        &format!("/records/{a}/transitions/request_changes"),
        &format!(
            "_csrf={}&_version=1&comment=Please+update+the+views",
            rev.csrf
        ),
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let page = s.get(&format!("/records/{a}"));
    let doc = page.doc();

    // Saving as the page stands does not drop them: 422, nothing written.
    let form = browser_form(&s, &doc).text("_stage", "save");
    let r = s.post(&format!("/records/{a}"), form);
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("no longer asks for"), "{}", r.text());
    assert_eq!(
        server.stored(a).version,
        2,
        "only the reviewer's transition"
    );

    // Confirmed on the page: saved (the over-long company name is unchanged, so the ratcheting
    // save stage lets it through as a warning), the old version still readable in the history.
    let form = browser_form(&s, &doc)
        .text("_stage", "save")
        .text("_drop_orphans", "yes");
    let r = s.post(&format!("/records/{a}"), form);
    assert_eq!(r.status, 303, "{}", r.text());
    let saved = server.stored(a);
    assert_eq!(saved.version, 3);
    assert!(saved.data.get("documentation_url").is_none());
    assert_eq!(
        saved.data["app_actions"][0]["locations"],
        json!(["deal_details"])
    );
    assert!(
        saved.spec_hash.is_some(),
        "the save records the spec it was made under"
    );
    let versions = s.get(&format!("/api/records/{a}/versions")).json();
    let list = versions["versions"].as_array().expect("versions");
    assert_eq!(list.len(), 3);
    assert_eq!(list[1]["event"], "request_changes");
    assert_eq!(
        list[0]["data"]["documentation_url"],
        "https://www.randomawesomeapp.com/help"
    );
    assert_eq!(
        list[0]["data"]["app_actions"][0]["locations"],
        json!(["deal_details", "product_details"])
    );
    assert_eq!(list[2]["spec_version"], "2.0.0");
    assert!(
        list[2]["note"]
            .as_str()
            .is_some_and(|n| n.contains("/documentation_url"))
    );
    let raw = s.get(&format!("/api/records/{a}/versions")).text();
    assert!(
        !raw.contains("s3cret-Pa55"),
        "history API never shows secrets"
    );

    // Ratcheting holds only at the ratcheting stage: review still judges the company name.
    let page = s.get(&format!("/records/{a}"));
    let r = s.post(
        &format!("/records/{a}"),
        browser_form(&s, &page.doc()).text("_stage", "review"),
    );
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(
        summary(&r.doc())
            .iter()
            .any(|e| e.contains("60 characters or fewer"))
    );

    // A changed value is judged by today's rules even at a ratcheting stage.
    let page = s.get(&format!("/records/{a}"));
    let r = s.post(
        &format!("/records/{a}"),
        browser_form(&s, &page.doc())
            .text("_stage", "save")
            .set("company", &"x".repeat(61)),
    );
    assert_eq!(r.status, 422, "{}", r.text());

    // Record B: three actions on one view where v2 allows two; unchanged, so saving other
    // edits at the ratcheting stage works once its orphan (issue tracker URL) is confirmed.
    let page = s.get(&format!("/records/{b}"));
    let r = s.post(
        &format!("/records/{b}"),
        browser_form(&s, &page.doc())
            .text("_stage", "save")
            .text("_drop_orphans", "yes"),
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let page = s.get(&format!("/records/{b}?saved=1"));
    assert!(
        page.text().contains("at most 2 are allowed"),
        "shown as a warning"
    );
}

#[test]
fn ratcheting_lets_an_unchanged_over_long_text_through_at_save_but_not_at_review() {
    let server = start_with(V2, Some(V1_DB));
    let d = &fixture_ids()[3];
    let s = server.session();
    let page = s.get(&format!("/records/{d}"));
    let doc = page.doc();
    assert!(
        texts(&doc, ".fw-orphans dd").is_empty(),
        "record D has no orphans"
    );
    let r = s.post(
        &format!("/records/{d}"),
        browser_form(&s, &doc).text("_stage", "save"),
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let r = s.post(
        &format!("/records/{d}"),
        browser_form(&s, &s.get(&format!("/records/{d}")).doc()).text("_stage", "review"),
    );
    assert_eq!(r.status, 422);
    assert!(
        summary(&r.doc())
            .iter()
            .any(|e| e.contains("80 characters or fewer")),
        "{:?}",
        summary(&r.doc())
    );
}

// ---------------------------------------------------------------------------------------------
// People: sign-in, sessions, ownership

#[test]
fn anonymous_visitors_are_sent_to_sign_in_and_come_back() {
    let server = start();
    for path in ["/", "/new", "/records/0123456789abcdef0123456789abcdef"] {
        let r = server.get(path);
        assert_eq!(r.status, 303, "{path}");
        let to = r.header("location").expect("location");
        assert!(to.starts_with("/sign-in?next="), "{path} -> {to}");
    }
    let page = server.get("/sign-in?next=%2Fnew");
    assert_eq!(page.status, 200);
    let doc = page.doc();
    assert_eq!(input_value(&doc, "next").as_deref(), Some("/new"));
    assert!(attr(&doc, "label[for=email]", "for").is_some());
    assert!(attr(&doc, "input#password", "autocomplete").as_deref() == Some("current-password"));
}

#[test]
fn sign_in_fails_with_one_message_is_rate_limited_and_csrf_protected() {
    let server = start();
    let page = server.get("/sign-in");
    let cookie = page
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .expect("csrf cookie")
        .to_string();
    let csrf = input_value(&page.doc(), "_csrf").expect("csrf");
    let post = |body: String| {
        server.request(
            "POST",
            "/sign-in",
            &[
                ("Cookie", &cookie),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            Some(body.as_bytes()),
        )
    };
    let wrong = |email: &str| format!("_csrf={csrf}&email={email}&password=wrong+password");
    let unknown = post(wrong("nobody%40example.com"));
    let bad = post(wrong("ada%40example.com"));
    assert_eq!((unknown.status, bad.status), (401, 401));
    let message = |r: &Resp| summary(&r.doc());
    assert_eq!(
        message(&unknown),
        message(&bad),
        "the same words whether the account exists"
    );
    assert_eq!(
        message(&bad),
        ["Enter a correct email address and password"]
    );
    assert!(bad.header("set-cookie").is_none(), "no session");
    for _ in 1..formwork_server::auth::MAX_FAILURES_PER_ACCOUNT {
        assert_eq!(post(wrong("ada%40example.com")).status, 401);
    }
    // Five failures: even the right password waits now.
    let right = format!(
        "_csrf={csrf}&email=ada%40example.com&password={}",
        PASSWORD.replace(' ', "+")
    );
    let r = post(right.clone());
    assert_eq!(r.status, 429, "{}", r.text());
    assert!(summary(&r.doc())[0].contains("Too many attempts"));
    // Bob, from the same address, is not locked out.
    let bob = right.replace("ada%40", "bob%40");
    assert_eq!(post(bob).status, 303);
    // Without the CSRF token: refused before any password check.
    let r = post(format!(
        "email=bob%40example.com&password={}",
        PASSWORD.replace(' ', "+")
    ));
    assert_eq!(r.status, 403);
}

#[test]
fn sign_out_ends_the_session() {
    let server = start();
    let s = server.session();
    assert_eq!(s.get("/").status, 200);
    let r = s.post_form("/sign-out", &format!("_csrf={}", s.csrf));
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/sign-in"));
    assert!(r.headers.iter().any(|(k, v)| k == "set-cookie"
        && v.starts_with("fw_session=;")
        && v.contains("Max-Age=0")));
    // The old cookie no longer signs anyone in.
    assert_eq!(s.get("/").status, 303);
    // Signing out needs the CSRF token too.
    let t = server.session();
    assert_eq!(t.post_form("/sign-out", "").status, 403);
    assert_eq!(t.get("/").status, 200);
}

#[test]
fn each_account_sees_only_its_own_records_everywhere() {
    let server = start();
    let ada = server.session();
    let bob = server.session_as("bob@example.com");
    let icon = png(512, 512);
    let r = ada.post(
        "/new",
        ada.form()
            .text("_stage", "save")
            .text("app_name", "Ada's app")
            .text("callback_url", "https://ada.example/cb")
            .file("app_icon", "icon.png", "image/png", &icon),
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let id = record_id(&r);
    let bobs = bob.create(Multipart::default().text("app_name", "Bob's app"));

    assert!(
        ada.get("/").text().contains("Ada&#39;s app") || ada.get("/").text().contains("Ada's app")
    );
    let bob_list = bob.get("/").text();
    assert!(!bob_list.contains("Ada"), "{bob_list}");
    assert!(bob_list.contains(&bobs));

    // Bob gets 404 for everything of Ada's, as if it did not exist.
    assert_eq!(bob.get(&format!("/records/{id}")).status, 404);
    assert_eq!(bob.get(&format!("/api/records/{id}")).status, 404);
    assert_eq!(bob.get(&format!("/api/records/{id}/versions")).status, 404);
    let token = server.stored(&id).data["app_icon"]["token"]
        .as_str()
        .expect("file token")
        .to_string();
    assert_eq!(ada.get(&format!("/files/{token}")).status, 200);
    assert_eq!(bob.get(&format!("/files/{token}")).status, 404);
    let r = bob.post(
        &format!("/records/{id}"),
        bob.form()
            .text("_stage", "save")
            .text("_version", "1")
            .text("app_name", "Taken over")
            .text("callback_url", "https://bob.example/cb"),
    );
    assert_eq!(r.status, 404);
    assert_eq!(
        server.stored(&id).data["app_name"],
        "Ada's app",
        "nothing written"
    );
    assert_eq!(
        server.stored(&id).owner.as_deref(),
        Some(server.account.id.as_str())
    );
}

#[test]
fn api_tokens_authenticate_the_json_api() {
    let server = start();
    let s = server.session();
    let id = s.create(Multipart::default().text("app_name", "Tokened"));
    let store = server.store();
    let token = formwork_server::auth::new_token();
    store
        .create_api_token(
            &server.account.id,
            &formwork_server::auth::token_hash(&token),
        )
        .expect("token");
    let auth = format!("Bearer {token}");
    let r = server.request(
        "GET",
        &format!("/api/records/{id}"),
        &[("Authorization", &auth)],
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["data"]["app_name"], "Tokened");
    let wrong = format!("Bearer {}", "0".repeat(64));
    let r = server.request(
        "GET",
        &format!("/api/records/{id}"),
        &[("Authorization", &wrong)],
        None,
    );
    assert_eq!(r.status, 401);
    // A disabled account's tokens and sessions stop working.
    assert!(store.disable_account("ada@example.com").expect("disable"));
    let r = server.request(
        "GET",
        &format!("/api/records/{id}"),
        &[("Authorization", &auth)],
        None,
    );
    assert_eq!(r.status, 401);
    assert_eq!(s.get("/").status, 303);
}

/// Behind an authenticating proxy (`--auth-header`), the header names the account; formwork's own
/// sign-in is off.
#[test]
fn a_trusted_proxy_header_names_the_account() {
    let source = std::fs::read_to_string(SPEC).expect("spec");
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::open(&dir.path().join("proxy.db")).expect("db");
    let app = App::from_source(
        SPEC,
        &source,
        &Partials::builtin(),
        store,
        formwork_server::auth::AuthConfig {
            header: Some("x-forwarded-email".into()),
            session_hours: 1,
            ..Default::default()
        },
        None,
    )
    .expect("app");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    rt.spawn(formwork_server::serve(
        listener,
        app,
        std::future::pending(),
    ));
    let get = |path: &str, header: Option<&str>| {
        let mut s = TcpStream::connect(addr).expect("connect");
        let extra = header.map_or(String::new(), |h| format!("X-Forwarded-Email: {h}\r\n"));
        s.write_all(
            format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{extra}\r\n")
                .as_bytes(),
        )
        .expect("write");
        let mut out = String::new();
        s.read_to_string(&mut out).expect("read");
        out
    };
    let page = get("/", Some("Carol@Example.com"));
    assert!(
        page.starts_with("HTTP/1.1 200"),
        "{}",
        &page[..200.min(page.len())]
    );
    assert!(page.contains("Signed in as <strong>carol@example.com</strong>"));
    assert!(
        get("/", None).starts_with("HTTP/1.1 303"),
        "no header: not signed in"
    );
    assert!(
        get("/sign-in", None).starts_with("HTTP/1.1 404"),
        "own sign-in is off"
    );
}

/// Issued secrets: in full once right after they are issued, then masked with Reveal and Rotate
/// (POST, CSRF); a rotation is in the history without either value; only the owner can do either.
#[test]
fn issued_secrets_are_shown_once_then_masked_revealed_and_rotated_by_the_owner() {
    let server = start();
    let ada = server.session();
    let id = ada.create(Multipart::default().text("app_name", "Secretive"));
    let secret = server.stored(&id).issued["client_secret"]
        .as_str()
        .expect("issued secret")
        .to_string();
    let first = ada.get(&format!("/records/{id}?saved=1")).text();
    assert!(
        first.contains(&secret),
        "shown in full right after it is issued"
    );
    let again = ada.get(&format!("/records/{id}"));
    assert!(!again.text().contains(&secret), "masked afterwards");
    let doc = again.doc();
    let actions = attrs(&doc, ".fw-issued form", "action");
    let reveal = format!("/records/{id}/secrets/client_secret/reveal");
    let rotate = format!("/records/{id}/secrets/client_secret/rotate");
    assert_eq!(actions, [reveal.clone(), rotate.clone()]);

    let shown = ada.post_form(&reveal, &format!("_csrf={}", ada.csrf));
    assert_eq!(shown.status, 200);
    assert!(shown.text().contains(&secret));
    assert_eq!(ada.post_form(&reveal, "").status, 403, "CSRF");
    let bob = server.session_as("bob@example.com");
    assert_eq!(
        bob.post_form(&reveal, &format!("_csrf={}", bob.csrf))
            .status,
        404
    );
    assert_eq!(
        bob.post_form(&rotate, &format!("_csrf={}", bob.csrf))
            .status,
        404
    );
    assert_eq!(
        ada.post_form(
            &format!("/records/{id}/secrets/client_id/reveal"),
            &format!("_csrf={}", ada.csrf)
        )
        .status,
        404,
        "only secrets have these buttons"
    );

    let rotated = ada.post_form(&rotate, &format!("_csrf={}", ada.csrf));
    assert_eq!(rotated.status, 200, "{}", rotated.text());
    let new_secret = server.stored(&id).issued["client_secret"]
        .as_str()
        .expect("rotated")
        .to_string();
    assert_ne!(new_secret, secret);
    assert!(rotated.text().contains(&new_secret) && !rotated.text().contains(&secret));
    assert!(rotated.text().contains("Client secret rotated"));
    let versions = ada.get(&format!("/api/records/{id}/versions"));
    let list = versions.json()["versions"]
        .as_array()
        .cloned()
        .expect("versions");
    assert_eq!(list.last().expect("last")["event"], "rotate_secret");
    assert_eq!(list.last().expect("last")["note"], "rotated client_secret");
    for s in [&secret, &new_secret] {
        assert!(
            !versions.text().contains(s.as_str()),
            "history never holds secrets"
        );
        assert!(
            !ada.get(&format!("/api/records/{id}"))
                .text()
                .contains(s.as_str())
        );
        assert!(!ada.get("/").text().contains(s.as_str()));
    }
}

/// The review workflow the spec declares: a queue for reviewers, transitions only by their role,
/// from their statuses and never on one's own record, comments pinned to a field shown to the
/// owner next to it, and the owner locked out while a record is in review.
#[test]
fn reviewers_work_through_the_declared_workflow() {
    let server = start();
    let ada = server.session();
    let rev = server.session_as("rev@example.com");
    let bob = server.session_as("bob@example.com");
    let id = ada.create(
        Multipart::default()
            .text("app_name", "Reviewed app")
            .text("app_panels.0.name", "Visits")
            .text("app_panels.0.http_auth_password", "panel-pa55word"),
    );
    let store = server.store();
    // As if Ada had sent it to review (a complete review submission is the browser test's job).
    let sent = store
        .transition(&id, 1, "in_review", &server.account.id, "save", None, None)
        .expect("sent");
    assert!(matches!(sent, formwork_server::store::Update::Saved(_)));

    // Only the role has a queue; it lists the record, oldest first.
    assert_eq!(ada.get("/review").status, 403);
    let queue = rev.get("/review");
    assert_eq!(queue.status, 200);
    assert!(queue.text().contains(&format!("/review/{id}")));
    let page = rev.get(&format!("/review/{id}"));
    assert_eq!(page.status, 200);
    let text = page.text();
    assert!(
        text.contains("Reviewed app") && !text.contains("panel-pa55word"),
        "secrets stay masked"
    );
    let actions = attrs(&page.doc(), "form.fw-transition", "action");
    assert_eq!(
        actions,
        [
            format!("/records/{id}/transitions/approve"),
            format!("/records/{id}/transitions/request_changes")
        ]
    );
    assert_eq!(bob.get(&format!("/review/{id}")).status, 403, "no role");

    // The owner cannot change a record in review.
    let r = ada.post(
        &format!("/records/{id}"),
        ada.form()
            .text("_stage", "save")
            .text("_version", "2")
            .text("app_name", "Changed")
            .text("callback_url", "https://example.com/cb"),
    );
    assert_eq!(r.status, 409, "{}", r.text());

    // Transitions: only the role, only with the comment it requires.
    let post = |s: &Session<'_>, t: &str, body: &str| {
        s.post_form(
            &format!("/records/{id}/transitions/{t}"),
            &format!("_csrf={}&_version=2&{body}", s.csrf),
        )
    };
    assert_eq!(post(&bob, "approve", "").status, 403);
    assert_eq!(
        post(&ada, "approve", "").status,
        403,
        "an owner cannot approve their own app"
    );
    // Approval needs a record valid at review: this one (sent without its review fields) is not.
    let r = post(&rev, "approve", "");
    assert_eq!(r.status, 409, "{}", r.text());
    assert!(r.text().contains("needs a record valid at"), "{}", r.text());
    assert_eq!(server.stored(&id).status, "in_review");
    let r = post(&rev, "request_changes", "comment=");
    assert_eq!(r.status, 422);
    assert!(r.text().contains("Enter a comment for the owner"));
    let r = post(
        &rev,
        "request_changes",
        "comment=Use+the+name+people+know&field=%2Fapp_name",
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(server.stored(&id).status, "changes_requested");
    assert_eq!(
        post(&rev, "approve", "").status,
        409,
        "approve applies to in_review only"
    );

    // The owner sees the comment next to the field, fixes it and can save again.
    let page = ada.get(&format!("/records/{id}"));
    let doc = page.doc();
    let near = texts(&doc, "#f-app_name-warning");
    assert!(
        near.iter()
            .any(|t| t.contains("Marketplace reviewer (Request changes): Use the name people know")),
        "{near:?} {}",
        page.text()
    );
    let r = ada.post(
        &format!("/records/{id}"),
        ada.form()
            .text("_stage", "save")
            .text("_version", "3")
            .text("app_name", "Known name")
            .text("callback_url", "https://example.com/cb"),
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let history = store.versions(&id).expect("history");
    let events: Vec<&str> = history.iter().map(|v| v.event.as_str()).collect();
    assert_eq!(events, ["create", "save", "request_changes", "save"]);
    let reviewer = Store::open(&server.db)
        .expect("db")
        .account_by_email("rev@example.com")
        .expect("read")
        .expect("reviewer")
        .0;
    assert_eq!(
        history[2].actor.as_deref(),
        Some(reviewer.id.as_str()),
        "who"
    );
    assert_eq!(history[2].comment_path.as_deref(), Some("/app_name"));

    // The owner's history page: who did what, and what changed, by label; never a secret.
    let page = ada.get(&format!("/records/{id}/history"));
    assert_eq!(page.status, 200);
    let text = page.text();
    for want in [
        "Version 4: saved",
        "Version 3: Request changes",
        "rev@example.com",
        "in_review → changes_requested",
        "Use the name people know",
        "App name",
        "Known name",
    ] {
        assert!(text.contains(want), "{want} missing from the history page");
    }
    assert!(!text.contains("panel-pa55word"));
    assert_eq!(bob.get(&format!("/records/{id}/history")).status, 404);
    let link = attrs(
        &ada.get(&format!("/records/{id}")).doc(),
        ".fw-status a",
        "href",
    );
    assert_eq!(link, [format!("/records/{id}/history")]);
}

/// The JSON API for integrations: tokens, own records only, validation reports, ETag/If-Match,
/// transitions by role.
#[test]
fn the_json_api_creates_updates_and_moves_records_with_versions() {
    let server = start();
    let store = server.store();
    let token_for = |email: &str| {
        let (account, _) = store
            .account_by_email(email)
            .expect("read")
            .expect("account");
        let token = formwork_server::auth::new_token();
        store
            .create_api_token(&account.id, &formwork_server::auth::token_hash(&token))
            .expect("token");
        format!("Bearer {token}")
    };
    let (ada, bob, rev) = (
        token_for("ada@example.com"),
        token_for("bob@example.com"),
        token_for("rev@example.com"),
    );
    let call =
        |method: &str, path: &str, auth: &str, extra: &[(&str, &str)], body: Option<&str>| {
            let mut headers = vec![
                ("Authorization", auth),
                ("Content-Type", "application/json"),
            ];
            headers.extend_from_slice(extra);
            server.request(method, path, &headers, body.map(str::as_bytes))
        };

    // Create: 201, Location, ETag, the issued secret in this response only.
    let body = r#"{"app_name": "Via API", "callback_url": "https://api.example/cb"}"#;
    let r = call("POST", "/api/records?stage=save", &ada, &[], Some(body));
    assert_eq!(r.status, 201, "{}", r.text());
    let created = r.json();
    let id = created["id"].as_str().expect("id").to_string();
    assert_eq!(
        r.header("location"),
        Some(format!("/api/records/{id}").as_str())
    );
    assert_eq!(r.header("etag"), Some("\"1\""));
    let secret = created["issued"]["client_secret"]
        .as_str()
        .expect("secret once")
        .to_string();
    let r = call("GET", &format!("/api/records/{id}"), &ada, &[], None);
    assert_eq!(r.header("etag"), Some("\"1\""));
    assert!(!r.text().contains(&secret), "never again");
    let list = call("GET", "/api/records", &ada, &[], None).json();
    assert_eq!(list["records"][0]["id"], id.as_str());
    assert_eq!(
        call("GET", "/api/records", &bob, &[], None).json()["records"],
        json!([])
    );

    // Validation errors are the report; other types are refused.
    let r = call(
        "POST",
        "/api/records?stage=save",
        &ada,
        &[],
        Some(r#"{"app_name": 3}"#),
    );
    assert_eq!(r.status, 422);
    assert!(r.json()["errors"].as_array().is_some_and(|e| !e.is_empty()));
    let r = server.request(
        "POST",
        "/api/records?stage=save",
        &[("Authorization", &ada), ("Content-Type", "text/plain")],
        Some(body.as_bytes()),
    );
    assert_eq!(r.status, 415);

    // Update: If-Match required, stale is 409, right is 200 with the next ETag.
    let path = format!("/api/records/{id}?stage=save");
    let edit = r#"{"app_name": "Via API, edited", "callback_url": "https://api.example/cb"}"#;
    assert_eq!(call("PUT", &path, &ada, &[], Some(edit)).status, 428);
    assert_eq!(
        call("PUT", &path, &ada, &[("If-Match", "\"7\"")], Some(edit)).status,
        409
    );
    assert_eq!(
        call("PUT", &path, &bob, &[("If-Match", "\"1\"")], Some(edit)).status,
        404
    );
    let r = call("PUT", &path, &ada, &[("If-Match", "\"1\"")], Some(edit));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("etag"), Some("\"2\""));
    assert_eq!(r.json()["data"]["app_name"], "Via API, edited");

    // Transitions by role, through the API too.
    store
        .transition(&id, 2, "in_review", &server.account.id, "save", None, None)
        .expect("sent to review");
    let t = format!("/api/records/{id}/transitions/request_changes");
    assert_eq!(
        call("POST", &t, &ada, &[], Some("{}")).status,
        403,
        "not the owner"
    );
    assert_eq!(
        call("POST", &t, &rev, &[], Some("{}")).status,
        422,
        "comment required"
    );
    let r = call(
        "POST",
        &t,
        &rev,
        &[],
        Some(r#"{"comment": "Add a panel", "field": "/app_panels"}"#),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["status"], "changes_requested");
    assert_eq!(r.header("etag"), Some("\"4\""));
    assert!(!r.text().contains(&secret), "no secrets for the reviewer");
    assert_eq!(
        call(
            "POST",
            &format!("/api/records/{id}/transitions/approve"),
            &rev,
            &[],
            Some("{}")
        )
        .status,
        409
    );
}

/// The bytes of the database file and its WAL.
fn db_bytes(db: &std::path::Path) -> String {
    let mut all = std::fs::read(db).expect("db file");
    if let Ok(wal) = std::fs::read(db.with_extension("db-wal")) {
        all.extend(wal);
    }
    String::from_utf8_lossy(&all).into_owned()
}

/// Secrets at rest: issued secrets and secret fields are sealed in records and history; a
/// database written before sealing is sealed at start, leaving no clear copy in the file.
#[test]
fn secrets_are_sealed_at_rest() {
    let server = start_with(V2, Some(V1_DB));
    let at_rest = db_bytes(&server.db);
    assert!(
        !at_rest.contains("s3cret-Pa55"),
        "the fixture's panel password is sealed at start"
    );
    let ada = server.session();
    let id = ada.create(
        Multipart::default()
            .text("app_name", "Sealed")
            .text("app_panels.0.name", "Visits")
            .text("app_panels.0.http_auth_password", "panel-pa55word"),
    );
    let record = server.stored(&id);
    let secret = record.issued["client_secret"]
        .as_str()
        .expect("secret")
        .to_string();
    assert_eq!(
        record.data["app_panels"][0]["http_auth_password"],
        "panel-pa55word"
    );
    let at_rest = db_bytes(&server.db);
    for s in [secret.as_str(), "panel-pa55word"] {
        assert!(!at_rest.contains(s), "{s} stored in the clear");
    }
    assert!(at_rest.contains("fwenc1:"), "sealed values are there");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let key = server.db.with_file_name("forms.key");
        let mode = std::fs::metadata(key).expect("key").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}

/// A reviewer cannot review their own record; the history names the stage of each save.
#[test]
fn reviewers_cannot_review_their_own_records() {
    let server = start();
    let rev = server.session_as("rev@example.com");
    let id = rev.create(Multipart::default().text("app_name", "Reviewer's own app"));
    let store = server.store();
    let (reviewer, _) = store
        .account_by_email("rev@example.com")
        .expect("read")
        .expect("reviewer");
    store
        .transition(&id, 1, "in_review", &reviewer.id, "save", None, None)
        .expect("sent");
    let r = rev.post_form(
        &format!("/records/{id}/transitions/approve"),
        &format!("_csrf={}&_version=2", rev.csrf),
    );
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("You cannot review your own record"));
    assert_eq!(server.stored(&id).status, "in_review", "nothing changed");
    let versions = rev.get(&format!("/api/records/{id}/versions")).json();
    assert_eq!(versions["versions"][0]["stage"], "save");
    assert_eq!(versions["versions"][0]["event"], "create");
}

/// The JSON API reads at most 1 MiB (the upload form keeps its 64 MiB), and its report is
/// bounded whatever the submission.
#[test]
fn json_routes_have_their_own_small_body_limit_and_bounded_reports() {
    let server = start();
    let big = format!("{{\"app_name\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let r = server.request(
        "POST",
        "/api/validate?stage=save",
        &[("Content-Type", "application/json")],
        Some(big.as_bytes()),
    );
    assert_eq!(r.status, 413);
    // A body under the size limit whose values would take 40 times its size in memory is
    // refused before it grows.
    let flood = format!("{{\"app_actions\": [{}{{}}]}}", "{},".repeat(200_000));
    assert!(flood.len() < 1024 * 1024);
    let r = server.request(
        "POST",
        "/api/validate?stage=review",
        &[("Content-Type", "application/json")],
        Some(flood.as_bytes()),
    );
    assert_eq!(r.status, 413, "{}", r.text());
    assert!(
        r.text().contains("more than 16384 JSON values"),
        "{}",
        r.text()
    );
    // Within the bound, the report is bounded.
    let flood = format!("{{\"app_actions\": [{}{{}}]}}", "{},".repeat(15_000));
    let r = server.request(
        "POST",
        "/api/validate?stage=review",
        &[("Content-Type", "application/json")],
        Some(flood.as_bytes()),
    );
    assert_eq!(r.status, 200);
    assert!(r.body.len() < 1024 * 1024, "{} bytes", r.body.len());
    let j = r.json();
    assert_eq!(j["truncated"], true);
    assert!(
        j["errors"]
            .as_array()
            .and_then(|e| e.last())
            .and_then(|e| e["message"].as_str())
            .is_some_and(|m| m.ends_with("more problems not shown"))
    );
}

/// A form's texts together are bounded (what reading, validating and re-rendering hold in
/// memory), whatever the body limit allows for files.
#[test]
fn a_form_with_too_much_text_is_refused_before_it_is_built() {
    let server = start();
    let s = server.session();
    let mut form = s.form().text("_stage", "save");
    let mega = "a".repeat(1024 * 1024 - 100);
    for i in 0..5 {
        form = form.text(&format!("app_actions.{i}.url"), &mega);
    }
    let r = s.post("/new", form);
    assert_eq!(r.status, 413, "{}", &r.text()[..r.text().len().min(300)]);
    assert!(r.text().contains("longer than 4 MiB"), "{}", r.text());
    let body = format!(
        "_csrf={}&_stage=save&description={}",
        s.csrf,
        "a".repeat(5 * 1024 * 1024)
    );
    assert_eq!(s.post_form("/new", &body).status, 413);
    assert_eq!(rusqlite_count(&server.db), 0);
}

/// CSRF defence in depth: a post that a browser marks as coming from another site is refused,
/// even with a valid token; the site's own pages post as before.
#[test]
fn posts_from_other_sites_are_refused() {
    let server = start();
    let s = server.session();
    let form = || {
        s.form()
            .text("_stage", "save")
            .text("app_name", "Cross")
            .text("callback_url", "https://example.com/cb")
    };
    let post = |extra: &[(&str, &str)]| {
        let (ct, body) = form().body();
        let mut headers = vec![("Cookie", s.cookie.as_str()), ("Content-Type", ct.as_str())];
        headers.extend_from_slice(extra);
        server.request("POST", "/new", &headers, Some(&body))
    };
    let host = server.addr.to_string();
    let evil = post(&[("Origin", "https://evil.example")]);
    assert_eq!(evil.status, 403);
    assert!(evil.text().contains("another site"));
    assert_eq!(post(&[("Sec-Fetch-Site", "cross-site")]).status, 403);
    assert_eq!(post(&[("Origin", "null")]).status, 403);
    let own = format!("http://{host}");
    assert_eq!(
        post(&[("Origin", own.as_str()), ("Sec-Fetch-Site", "same-origin")]).status,
        303
    );
}

/// A truncated image passes a header check but is not a whole image: refused by its media type.
#[test]
fn a_truncated_image_is_refused() {
    let server = start();
    let s = server.session();
    let whole = png(512, 512);
    let cut = &whole[..whole.len() - 100];
    let r = s.post(
        "/new",
        s.form()
            .text("_stage", "save")
            .text("app_name", "Cut")
            .text("callback_url", "https://example.com/cb")
            .file("app_icon", "icon.png", "image/png", cut),
    );
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(
        summary(&r.doc())
            .iter()
            .any(|e| e.contains("App icon") && e.contains("application/octet-stream")),
        "{:?}",
        summary(&r.doc())
    );
    let r = s.post(
        "/new",
        s.form()
            .text("_stage", "save")
            .text("app_name", "Whole")
            .text("callback_url", "https://example.com/cb")
            .file("app_icon", "icon.png", "image/png", &whole),
    );
    assert_eq!(r.status, 303, "{}", r.text());
}

/// Slow clients: connections that never finish their headers are dropped after the header
/// timeout, so they cannot starve the form, and a stop completes within its grace whatever
/// they do.
#[test]
fn slow_clients_cannot_starve_the_server_or_hold_a_stop() {
    use std::time::Instant;
    let source = std::fs::read_to_string(SPEC).expect("spec");
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::open(&dir.path().join("slow.db")).expect("db");
    let app = App::from_source(
        SPEC,
        &source,
        &Partials::builtin(),
        store,
        Default::default(),
        None,
    )
    .expect("app");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let limits = formwork_server::Limits {
        max_connections: 16,
        header_timeout: Duration::from_secs(1),
        shutdown_grace: Duration::from_secs(2),
    };
    let served = rt.spawn(formwork_server::serve_with(
        listener,
        app,
        async {
            let _ = stopped.await;
        },
        limits,
    ));
    // 64 half-open connections: a request line, then nothing.
    let mut idle = Vec::new();
    for _ in 0..64 {
        let mut s = TcpStream::connect(addr).expect("connect");
        s.write_all(b"GET /sign-in HTTP/1.1\r\nHost: x\r\n")
            .expect("partial");
        idle.push(s);
    }
    // A real visitor is still served once the idle ones time out (4 rounds of 16, 1 s each).
    let started = Instant::now();
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    s.write_all(b"GET /sign-in HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("request");
    let mut response = String::new();
    let _ = s.read_to_string(&mut response);
    assert!(
        response.starts_with("HTTP/1.1 200"),
        "{}",
        &response[..response.len().min(120)]
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );

    // A stop with half-open connections still ends within its grace.
    let mut more = Vec::new();
    for _ in 0..8 {
        let mut s = TcpStream::connect(addr).expect("connect");
        s.write_all(b"GET /sign-in HTTP/1.1\r\n").expect("partial");
        more.push(s);
    }
    let started = Instant::now();
    let _ = stop.send(());
    rt.block_on(served).expect("joined").expect("served");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    drop((idle, more));
}

/// Uploads cannot fill the disk: files are counted before anything is stored, and the uploads of
/// forms not saved yet are bounded per account and expire.
#[test]
fn uploads_of_failed_forms_are_bounded_and_expire() {
    let server = start();
    let s = server.session();
    let files_stored = || rusqlite_count(&server.db);
    // 65 files in one post: refused before storing any.
    let tiny = png(2, 2);
    let mut form = s.form().text("_stage", "save").text("app_name", "Many");
    for i in 0..65 {
        form = form.file("listing_images", &format!("{i}.png"), "image/png", &tiny);
    }
    let r = s.post("/new", form);
    assert_eq!(r.status, 413, "{}", r.text());
    assert_eq!(files_stored(), 0);

    // Failing posts keep their uploads (to be kept on the re-rendered page), up to the cap.
    let image = png(1280, 800);
    let mut statuses = Vec::new();
    for _ in 0..9 {
        let mut form = s.form().text("_stage", "save").text("app_name", "");
        for i in 0..6 {
            form = form.file("listing_images", &format!("{i}.png"), "image/png", &image);
        }
        statuses.push(s.post("/new", form).status);
    }
    assert_eq!(&statuses[..8], &[422; 8], "{statuses:?}");
    assert_eq!(statuses[8], 413, "past 50 pending uploads: {statuses:?}");
    assert_eq!(files_stored(), 48);
    // Expired (here: now) pending uploads are deleted; attached ones never are.
    let id = s.create(Multipart::default().text("app_name", "Kept").file(
        "app_icon",
        "icon.png",
        "image/png",
        &png(512, 512),
    ));
    assert_eq!(server.store().delete_orphan_files(0).expect("sweep"), 48);
    assert_eq!(files_stored(), 1);
    assert!(server.stored(&id).data["app_icon"]["token"].is_string());
}

/// How many uploads the database holds.
fn rusqlite_count(db: &std::path::Path) -> i64 {
    let conn = rusqlite::Connection::open(db).expect("db");
    conn.query_row("SELECT count(*) FROM files", [], |r| r.get(0))
        .expect("count")
}
