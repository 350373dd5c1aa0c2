//! End to end, as a person would, in a real headless Chromium (Debian's `chromium` driven through
//! `chromedriver` with fantoccini): fill the Pipedrive form, upload images, add app actions, save,
//! see the credentials, send to review with a required field empty, follow the error summary's
//! link, fix it, send again and see `in_review`. axe-core checks the blank form and the form with
//! errors. `tests/run.sh` installs chromium, chromium-driver and axe-core (tests/e2e).

mod support;

use support::root;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// A child process killed on drop.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The account the person signs in as.
const EMAIL: &str = "ada@example.com";
/// The Marketplace reviewer's account.
const REVIEWER: &str = "rev@example.com";
const PASSWORD: &str = "correct horse battery";

/// Adds the person's account with `formwork users add` (password on stdin), then starts
/// `formwork serve` on a free loopback port; returns the process, its base URL and its log.
fn start_server(db: &Path) -> (Proc, String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    start_server_for(&root().join("specs/pipedrive-app.yaml"), db)
}

/// [`start_server`] for the spec at `spec`.
fn start_server_for(
    spec: &Path,
    db: &Path,
) -> (Proc, String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::Write;
    for (email, role) in [(EMAIL, None), (REVIEWER, Some("reviewer"))] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_formwork"));
        cmd.args(["users", "add", email, "--db"]).arg(db);
        if let Some(r) = role {
            cmd.args(["--role", r]);
        }
        let mut add = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("formwork users add");
        add.stdin
            .take()
            .expect("stdin")
            .write_all(format!("{PASSWORD}\n").as_bytes())
            .expect("password");
        assert!(add.wait().expect("users add ends").success());
    }
    let (child, addr, lines) = support::spawn_serve_spec(spec, db.as_os_str(), &[]);
    let proc = Proc(child);
    let url = format!("http://{addr}");
    // The rest of the server's log, kept to check that no secret ever reaches it.
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = std::sync::Arc::clone(&log);
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            if let Ok(mut l) = keep.lock() {
                l.push(line);
            }
        }
    });
    (proc, url, log)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// The browser binary: `$FORMWORK_CHROMIUM`, else the first of `chromium`, `chromium-browser`,
/// `google-chrome` found on `PATH`.
fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("FORMWORK_CHROMIUM") {
        return PathBuf::from(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
        .expect("chromium on PATH (apt-get install chromium; tests/run.sh does it), or set FORMWORK_CHROMIUM")
}

/// Starts chromedriver and opens a headless Chromium session.
async fn browser(profile: &Path) -> (Proc, Client) {
    browser_with(profile, true).await
}

/// [`browser`], with JavaScript on or off.
async fn browser_with(profile: &Path, javascript: bool) -> (Proc, Client) {
    let port = free_port();
    let driver = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect(
            "chromedriver is installed (apt-get install chromium-driver; tests/run.sh does it)",
        );
    let driver = Proc(driver);
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_string(),
        json!({
            "binary": chromium(),
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--window-size=1280,1800",
                format!("--user-data-dir={}", profile.display()),
            ],
            // 2: blocked, as for people who turn JavaScript off.
            "prefs": { "profile.managed_default_content_settings.javascript": if javascript { 1 } else { 2 } },
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match ClientBuilder::new(connector.clone())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(client) => return (driver, client),
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("cannot start a Chromium session: {e}"),
        }
    }
}

fn write_png(path: &Path, w: u32, h: u32) {
    image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    })
    .save(path)
    .expect("png");
}

fn write_jpeg(path: &Path, w: u32, h: u32) {
    image::RgbImage::from_fn(w, h, |x, _| image::Rgb([40, (x % 256) as u8, 200]))
        .save(path)
        .expect("jpeg");
}

async fn fill(c: &Client, id: &str, text: &str) {
    let el = c
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("#{id}: {e}"));
    el.clear().await.expect("clear");
    el.send_keys(text).await.expect("type");
}

async fn click_css(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .expect("click");
}

/// Clicks a submit button and waits until the next page has replaced this one and finished loading.
async fn submit(c: &Client, css: &str) {
    let old = c.find(Locator::Css("html")).await.expect("page");
    click_css(c, css).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while old.tag_name().await.is_ok() {
        assert!(
            Instant::now() < deadline,
            "the page did not change after clicking {css}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    loop {
        let state = c.execute("return document.readyState", vec![]).await.ok();
        if state.as_ref().and_then(|v| v.as_str()) == Some("complete") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the page after {css} did not finish loading"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn upload(c: &Client, id: &str, file: &Path) {
    let el = c
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("#{id}: {e}"));
    el.send_keys(&file.display().to_string())
        .await
        .expect("choose file");
}

async fn body_text(c: &Client) -> String {
    c.find(Locator::Css("body"))
        .await
        .expect("body")
        .text()
        .await
        .expect("text")
}

/// Saves a full-page screenshot to `$FORMWORK_SCREENSHOTS/NAME.png` when that variable is set
/// (`tests/e2e/screenshots.sh` sets it), so people can look at the form.
async fn shot(c: &Client, name: &str) {
    let Some(dir) = std::env::var_os("FORMWORK_SCREENSHOTS") else {
        return;
    };
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    // Grow the window to the page's height so the screenshot shows the whole form.
    let height = c
        .execute("return document.documentElement.scrollHeight", vec![])
        .await
        .ok()
        .and_then(|v| v.as_u64())
        .unwrap_or(1800);
    let _ = c
        .set_window_size(1280, u32::try_from(height.min(16_000)).unwrap_or(1800))
        .await;
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    let _ = c.set_window_size(1280, 1800).await;
}

/// Runs axe-core on the current page; returns the violations (id + nodes) as JSON.
async fn axe(c: &Client) -> Vec<serde_json::Value> {
    let script = std::fs::read_to_string(root().join("tests/e2e/node_modules/axe-core/axe.min.js"))
        .expect("axe-core installed in tests/e2e (npm ci; tests/run.sh does it)");
    c.execute(&script, vec![]).await.expect("inject axe");
    let result = c
        .execute_async(
            "const done = arguments[arguments.length - 1]; axe.run(document).then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.html)})))).catch(e => done([{id: 'axe-error', nodes: [String(e)]}]));",
            vec![],
        )
        .await
        .expect("axe runs");
    result.as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_registers_an_app_in_a_real_browser() {
    let dir = tempfile::tempdir().expect("tmp");
    let (_server, base, log) = start_server(&dir.path().join("records.db"));
    let (_driver, c) = browser(&dir.path().join("profile")).await;
    let icon = dir.path().join("icon.png");
    let listing = dir.path().join("listing.jpg");
    write_png(&icon, 512, 512);
    write_jpeg(&listing, 1280, 800);

    // Asking for the form leads to the sign-in page first (checked by axe-core), then back.
    c.goto(&format!("{base}/new")).await.expect("open /new");
    let url = c.current_url().await.expect("url");
    assert_eq!(url.path(), "/sign-in", "{url}");
    let violations = axe(&c).await;
    assert!(
        violations.is_empty(),
        "axe violations on the sign-in page: {violations:#?}"
    );
    fill(&c, "email", EMAIL).await;
    fill(&c, "password", PASSWORD).await;
    submit(&c, "button[type=submit]").await;
    let url = c.current_url().await.expect("url");
    assert_eq!(url.path(), "/new", "{url}");

    // The blank form, checked by axe-core.
    shot(&c, "1-blank-form").await;
    let violations = axe(&c).await;
    assert!(
        violations.is_empty(),
        "axe violations on the blank form: {violations:#?}"
    );

    // Fill it like a person.
    fill(&c, "f-app_name", "Random").await;
    fill(&c, "f-company", "Random Inc").await;
    fill(
        &c,
        "f-short_summary",
        "Awesome random app that helps you manage tasks",
    )
    .await;
    fill(&c, "f-description", "Discover this awesome app.").await;
    click_css(
        &c,
        "input[name='categories'][value='task_workflow_management']",
    )
    .await;
    upload(&c, "f-app_icon", &icon).await;
    upload(&c, "f-listing_images", &listing).await;
    fill(
        &c,
        "f-callback_url",
        "https://www.randomawesomeapp.com/API/v2/callback",
    )
    .await;
    click_css(&c, "input[name='access_scopes'][value='base']").await;
    click_css(&c, "input[name='access_scopes'][value='deals:read']").await;
    fill(&c, "f-app_actions-0-name", "Add to email list").await;
    fill(
        &c,
        "f-app_actions-0-url",
        "https://www.randomawesomeapp.com/a",
    )
    .await;
    click_css(
        &c,
        "input[name='app_actions.0.locations'][value='deal_details']",
    )
    .await;
    // A second app action: the page re-renders with a new empty item, keeping everything typed.
    submit(&c, "button[name='_action'][value='add:app_actions']").await;
    assert_eq!(
        c.find(Locator::Id("f-app_name"))
            .await
            .expect("app name")
            .prop("value")
            .await
            .expect("value")
            .as_deref(),
        Some("Random")
    );
    fill(&c, "f-app_actions-1-name", "Create deal").await;
    fill(
        &c,
        "f-app_actions-1-url",
        "https://www.randomawesomeapp.com/b",
    )
    .await;
    click_css(
        &c,
        "input[name='app_actions.1.locations'][value='deals_list']",
    )
    .await;
    // No app panel for this app.
    if c.find(Locator::Css(
        "button[name='_action'][value='remove:app_panels:0']",
    ))
    .await
    .is_ok()
    {
        submit(&c, "button[name='_action'][value='remove:app_panels:0']").await;
    }
    fill(&c, "f-website_url", "https://www.randomawesomeapp.com").await;
    fill(
        &c,
        "f-terms_of_service_url",
        "https://www.randomawesomeapp.com/rules",
    )
    .await;
    fill(
        &c,
        "f-privacy_policy_url",
        "https://www.randomawesomeapp.com/privacy",
    )
    .await;
    // main_contact_email is left empty on purpose.
    click_css(&c, "#f-installation_scenarios-no_account").await;
    click_css(&c, "#f-installation_scenarios-account_logged_out").await;
    click_css(&c, "#f-installation_scenarios-account_logged_in").await;
    click_css(&c, "#f-partner_agreement").await;

    // Save: redirected to the record, which shows the issued credentials.
    submit(&c, ".fw-buttons button[name='_stage'][value='save']").await;
    let url = c.current_url().await.expect("url");
    assert!(
        url.path().starts_with("/records/"),
        "saved and redirected, at {url}"
    );
    shot(&c, "2-saved-with-credentials").await;
    let text = body_text(&c).await;
    assert!(
        text.contains("Client ID") && text.contains("Client secret"),
        "credentials shown: {text}"
    );
    // Shown in full this once: remember it, to look for it everywhere else.
    let secret = text
        .lines()
        .skip_while(|l| !l.starts_with("Client secret"))
        .find_map(|l| {
            l.split_whitespace()
                .find(|w| w.len() == 64 && w.bytes().all(|b| b.is_ascii_hexdigit()))
        })
        .expect("the client secret in full")
        .to_string();
    assert!(
        text.to_lowercase().contains("hidden"),
        "status hidden: {text}"
    );

    // The section navigation: each section's status; a section's own Save comes back to it.
    let status = |c: &Client, id: &'static str| {
        let c = c.clone();
        async move {
            c.find(Locator::Id(&format!("section-{id}-status")))
                .await
                .expect("section status")
                .text()
                .await
                .expect("text")
                .to_lowercase() // shown in capitals by the style sheet
        }
    };
    assert_eq!(status(&c, "general").await, "completed");
    assert_eq!(
        status(&c, "contact").await,
        "not yet started",
        "nothing in it: the contact email is left empty"
    );
    submit(&c, "#section-contact .fw-section__actions button").await;
    let url = c.current_url().await.expect("url");
    assert_eq!(
        url.fragment(),
        Some("section-contact"),
        "back at the section: {url}"
    );
    assert!(url.path().starts_with("/records/"), "{url}");

    // Send to review with the contact email empty: the error summary, then its link to the field.
    submit(&c, ".fw-buttons button[name='_stage'][value='review']").await;
    let summary = c
        .find(Locator::Css(".fw-error-summary"))
        .await
        .expect("error summary shown");
    let link = summary
        .find(Locator::Css("a[href='#f-main_contact_email']"))
        .await
        .expect("summary links to the field");
    shot(&c, "3-review-errors").await;
    let violations = axe(&c).await;
    assert!(
        violations.is_empty(),
        "axe violations on the form with errors: {violations:#?}"
    );
    link.click().await.expect("follow the link");
    let active = c.active_element().await.expect("focus");
    assert_eq!(
        active.attr("id").await.expect("id").as_deref(),
        Some("f-main_contact_email"),
        "focus moved to the field"
    );
    // Everything typed is still there, uploads included.
    assert_eq!(
        c.find(Locator::Id("f-app_actions-1-name"))
            .await
            .expect("action 2")
            .prop("value")
            .await
            .expect("v")
            .as_deref(),
        Some("Create deal")
    );
    let text = body_text(&c).await;
    assert!(
        text.contains("icon.png") && text.contains("listing.jpg"),
        "stored files kept: {text}"
    );

    active
        .send_keys("dev@randomawesomeapp.com")
        .await
        .expect("type email");
    submit(&c, ".fw-buttons button[name='_stage'][value='review']").await;
    let text = body_text(&c).await;
    assert!(
        c.find(Locator::Css(".fw-error-summary")).await.is_err(),
        "no errors left: {text}"
    );
    assert!(
        text.contains("in_review") || text.to_lowercase().contains("in review"),
        "status in_review: {text}"
    );
    shot(&c, "4-in-review").await;
    let record = c.current_url().await.expect("url").path().to_string();
    let id = record.trim_start_matches("/records/").to_string();

    // The reviewer signs in, finds it in the queue and asks for a change to the app name.
    sign_out(&c).await;
    sign_in(&c, &base, "/review", REVIEWER).await;
    shot(&c, "5-review-queue").await;
    let violations = axe(&c).await;
    assert!(
        violations.is_empty(),
        "axe violations on the queue: {violations:#?}"
    );
    click_css(&c, &format!("a[href='/review/{id}']")).await;
    wait_for(&c, ".fw-transition").await;
    let violations = axe(&c).await;
    assert!(
        violations.is_empty(),
        "axe violations on the review page: {violations:#?}"
    );
    fill(
        &c,
        "comment-request_changes",
        "Use the name people know your app by",
    )
    .await;
    c.find(Locator::Id("field-request_changes"))
        .await
        .expect("field select")
        .select_by_value("/app_name")
        .await
        .expect("pin to the app name");
    shot(&c, "6-request-changes").await;
    submit(
        &c,
        &format!("form[action='/records/{id}/transitions/request_changes'] button[type=submit]"),
    )
    .await;
    assert_eq!(c.current_url().await.expect("url").path(), "/review");

    // The owner sees the comment next to the field, fixes it and sends the app again.
    sign_out(&c).await;
    sign_in(&c, &base, &record, EMAIL).await;
    let near = c
        .find(Locator::Id("f-app_name-warning"))
        .await
        .expect("the comment next to the app name")
        .text()
        .await
        .expect("text");
    assert!(
        near.contains("Use the name people know your app by"),
        "{near}"
    );
    shot(&c, "7-owner-sees-the-comment").await;
    let name = c.find(Locator::Id("f-app_name")).await.expect("app name");
    name.clear().await.expect("clear");
    name.send_keys("Random CRM").await.expect("type");
    submit(&c, ".fw-buttons button[name='_stage'][value='review']").await;
    let text = body_text(&c).await;
    assert!(
        text.to_lowercase().contains("in_review"),
        "sent again: {text}"
    );

    // The reviewer approves it.
    sign_out(&c).await;
    sign_in(&c, &base, &format!("/review/{id}"), REVIEWER).await;
    submit(
        &c,
        &format!("form[action='/records/{id}/transitions/approve'] button[type=submit]"),
    )
    .await;
    let queue = body_text(&c).await;
    assert!(
        !queue.contains("Random CRM"),
        "approved: off the queue: {queue}"
    );
    sign_out(&c).await;
    sign_in(&c, &base, &record, EMAIL).await;
    let text = body_text(&c).await;
    assert!(
        text.to_lowercase().contains("status: approved"),
        "the owner sees the approval: {text}"
    );
    shot(&c, "8-approved").await;
    click_css(&c, ".fw-status a").await;
    wait_for(&c, ".fw-version").await;
    let text = body_text(&c).await;
    assert!(
        text.contains("Approve") && text.contains("Request changes"),
        "{text}"
    );
    let violations = axe(&c).await;
    assert!(
        violations.is_empty(),
        "axe violations on the history: {violations:#?}"
    );
    shot(&c, "9-history").await;
    assert!(!text.contains(&secret), "not in the history");
    for path in [record.clone(), "/".to_string()] {
        c.goto(&format!("{base}{path}")).await.expect("open");
        assert!(!body_text(&c).await.contains(&secret), "masked on {path}");
    }
    c.close().await.expect("close browser");
    std::thread::sleep(Duration::from_millis(200));
    let log = log.lock().expect("log").join("\n");
    assert!(
        !log.contains(&secret) && !log.contains(PASSWORD),
        "secrets in the log: {log}"
    );
}

/// Signs in on the sign-in page reached by opening `path`, and lands on `path`.
async fn sign_in(c: &Client, base: &str, path: &str, email: &str) {
    c.goto(&format!("{base}{path}")).await.expect("open");
    assert_eq!(c.current_url().await.expect("url").path(), "/sign-in");
    fill(c, "email", email).await;
    fill(c, "password", PASSWORD).await;
    submit(c, "button[type=submit]").await;
    assert_eq!(c.current_url().await.expect("url").path(), path);
}

/// Presses "Sign out".
async fn sign_out(c: &Client) {
    submit(c, ".fw-account__sign-out button").await;
    assert_eq!(c.current_url().await.expect("url").path(), "/sign-in");
}

/// Waits (up to 10 s) for an element to appear.
async fn wait_for(c: &Client, css: &str) {
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} did not appear: {e}"));
}

/// With JavaScript, a field asked only under a condition appears and disappears as the condition
/// changes, and is not sent while hidden; the page stays accessible.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fields_show_and_hide_with_their_conditions() {
    let dir = tempfile::tempdir().expect("tmp");
    let spec = root().join("tests/conditions/spec.yaml");
    let (_server, base, _log) = start_server_for(&spec, &dir.path().join("records.db"));
    let (_driver, c) = browser(&dir.path().join("profile")).await;
    sign_in(&c, &base, "/new", EMAIL).await;
    let schema = "[data-fw-name='actions.0.schema']";
    assert_eq!(
        hidden_and_disabled(&c, schema).await,
        (true, true),
        "no type chosen yet: hidden"
    );
    click_css(&c, "input[name='actions.0.type'][value='json_modal']").await;
    assert_eq!(
        hidden_and_disabled(&c, schema).await,
        (false, false),
        "a JSON modal asks for its schema"
    );
    let violations = axe(&c).await;
    assert!(violations.is_empty(), "axe violations: {violations:#?}");
    click_css(&c, "input[name='actions.0.type'][value='link']").await;
    assert_eq!(
        hidden_and_disabled(&c, schema).await,
        (true, true),
        "a link does not"
    );
    // Back to a JSON modal, the schema typed before is still there.
    click_css(&c, "input[name='actions.0.type'][value='json_modal']").await;
    fill(&c, "f-actions-0-schema", "{}").await;
    click_css(&c, "input[name='actions.0.type'][value='link']").await;
    click_css(&c, "input[name='actions.0.type'][value='json_modal']").await;
    let kept = c
        .find(Locator::Id("f-actions-0-schema"))
        .await
        .expect("schema input")
        .prop("value")
        .await
        .expect("value");
    assert_eq!(kept.as_deref(), Some("{}"));
    // A section asked only when a box is ticked: hidden whole, with its inputs, until then.
    let section = "#section-support_details";
    assert_eq!(
        hidden_and_disabled(&c, section).await,
        (true, true),
        "no support offered yet"
    );
    click_css(&c, "#f-offers_support").await;
    assert_eq!(
        hidden_and_disabled(&c, section).await,
        (false, false),
        "support offered"
    );
    click_css(&c, "#f-offers_support").await;
    assert_eq!(
        hidden_and_disabled(&c, section).await,
        (true, true),
        "and withdrawn"
    );
    c.close().await.expect("close browser");
}

/// Whether the element at `css` (a field's or a section's wrapper) is hidden, and its first
/// input disabled.
async fn hidden_and_disabled(c: &Client, css: &str) -> (bool, bool) {
    let wrapper = c
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    let hidden = wrapper.attr("hidden").await.expect("attr").is_some();
    let input = wrapper
        .find(Locator::Css("input, select, textarea"))
        .await
        .expect("an input");
    let disabled = input.attr("disabled").await.expect("attr").is_some();
    (hidden, disabled)
}

/// Variants in the browser, on the GitHub Marketplace listing: with JavaScript, choosing a
/// pricing model shows that model's fields only, and what was typed survives saving; without
/// JavaScript, every variant's fields are shown with a hint saying when they apply, and a value
/// given for another variant is ignored with a warning (shown when the form comes back with its
/// problems; a successful save redirects to the record).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pricing_plan_variants_show_their_own_fields() {
    let dir = tempfile::tempdir().expect("tmp");
    let spec = root().join("specs/github-marketplace.yaml");
    let (_server, base, _log) = start_server_for(&spec, &dir.path().join("records.db"));
    {
        let (_driver, c) = browser(&dir.path().join("profile")).await;
        sign_in(&c, &base, "/new", EMAIL).await;
        let (unit, monthly) = (
            "[data-fw-name='plans.0.unit_name']",
            "[data-fw-name='plans.0.monthly_price']",
        );
        assert_eq!(
            hidden_and_disabled(&c, unit).await,
            (true, true),
            "no model chosen"
        );
        assert_eq!(hidden_and_disabled(&c, monthly).await, (true, true));
        click_css(&c, "input[name='plans.0.pricing_model'][value='per_unit']").await;
        assert_eq!(
            hidden_and_disabled(&c, unit).await,
            (false, false),
            "per unit"
        );
        assert_eq!(hidden_and_disabled(&c, monthly).await, (true, true));
        let violations = axe(&c).await;
        assert!(violations.is_empty(), "axe violations: {violations:#?}");
        click_css(&c, "input[name='plans.0.pricing_model'][value='flat_rate']").await;
        assert_eq!(
            hidden_and_disabled(&c, unit).await,
            (true, true),
            "flat rate"
        );
        assert_eq!(hidden_and_disabled(&c, monthly).await, (false, false));
        click_css(&c, "input[name='plans.0.pricing_model'][value='per_unit']").await;
        fill(&c, "f-listing_name", "Octo CI").await;
        click_css(&c, "input[name='app_type'][value='github_app']").await;
        fill(&c, "f-plans-0-name", "Team").await;
        fill(&c, "f-plans-0-unit_name", "seat").await;
        submit(&c, ".fw-buttons button[name='_stage'][value='draft']").await;
        // Saved: the record's page keeps the model and the unit, still shown.
        let unit_value = c
            .find(Locator::Id("f-plans-0-unit_name"))
            .await
            .expect("unit input")
            .prop("value")
            .await
            .expect("value");
        assert_eq!(unit_value.as_deref(), Some("seat"));
        assert_eq!(hidden_and_disabled(&c, unit).await, (false, false));
        assert_eq!(hidden_and_disabled(&c, monthly).await, (true, true));
        c.close().await.expect("close browser");
    }
    let (_driver, c) = browser_with(&dir.path().join("profile-nojs"), false).await;
    sign_in(&c, &base, "/new", EMAIL).await;
    assert_eq!(
        hidden_and_disabled(&c, "[data-fw-name='plans.0.unit_name']").await,
        (false, false),
        "without JavaScript every variant's fields are shown"
    );
    let hint = c
        .find(Locator::Id("f-plans-0-unit_name-hint"))
        .await
        .expect("hint")
        .text()
        .await
        .expect("text");
    assert!(
        hint.contains("Only when Pricing model is \u{201c}Per unit\u{201d}"),
        "{hint}"
    );
    fill(&c, "f-listing_name", "Octo CI").await;
    click_css(&c, "input[name='app_type'][value='github_app']").await;
    click_css(&c, "input[name='plans.0.pricing_model'][value='free']").await;
    fill(&c, "f-plans-0-name", "Community").await;
    fill(&c, "f-plans-0-unit_name", "seat").await;
    // Sent to publish, the listing comes back with its problems: the unit among them, ignored.
    submit(&c, ".fw-buttons button[name='_stage'][value='publish']").await;
    let page = c.source().await.expect("page");
    assert!(
        page.contains("Unit does not apply here, so its value is ignored"),
        "the other variant's value is ignored with a warning: {}",
        &page[page.find("<main").unwrap_or(0)..]
    );
    assert!(
        !page.contains("Enter Unit"),
        "a free plan is not asked for a unit"
    );
    c.close().await.expect("close browser");
}
