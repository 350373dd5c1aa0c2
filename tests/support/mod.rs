//! What the tests that run `formwork serve` share: the repository root and a server process.

#![allow(dead_code)] // each test binary uses part of it

pub mod pg;

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Lines, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::time::Duration;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A server process killed on drop, with its `host:port`.
pub struct Server(pub Child, pub String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Spawns `formwork serve` for the Pipedrive spec on a free loopback port; returns the process,
/// the `host:port` it printed, and the rest of its log.
pub fn spawn_serve(db: &Path) -> (Child, String, Lines<BufReader<ChildStderr>>) {
    spawn_serve_with(db.as_os_str(), &[])
}

/// [`spawn_serve`] on the database `db` (a path or a URL) with more arguments.
pub fn spawn_serve_with(
    db: &OsStr,
    args: &[&OsStr],
) -> (Child, String, Lines<BufReader<ChildStderr>>) {
    spawn_serve_spec(&root().join("specs/pipedrive-app.yaml"), db, args)
}

/// [`spawn_serve_with`] for the spec at `spec`.
pub fn spawn_serve_spec(
    spec: &Path,
    db: &OsStr,
    args: &[&OsStr],
) -> (Child, String, Lines<BufReader<ChildStderr>>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_formwork"))
        .arg("serve")
        .arg(spec)
        .args(["--addr", "127.0.0.1:0", "--db"])
        .arg(db)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("the server printed its address")
            .expect("utf-8");
        if let Some(rest) = line.split("http://").nth(1) {
            break rest
                .chars()
                .take_while(|c| *c != '/' && !c.is_whitespace())
                .collect();
        }
    };
    (child, addr, lines)
}

/// Starts `formwork serve` (see [`spawn_serve`]), its log drained in the background.
pub fn serve(db: &Path) -> Server {
    serve_with(db.as_os_str(), &[])
}

/// [`serve`] on the database `db` (a path or a URL) with more arguments.
pub fn serve_with(db: &OsStr, args: &[&OsStr]) -> Server {
    let (child, addr, lines) = spawn_serve_with(db, args);
    std::thread::spawn(move || for _ in lines {});
    Server(child, addr)
}

/// Adds an account to `db` (with a generated password) and returns a new API token for it.
pub fn account_token(db: impl AsRef<OsStr>, email: &str) -> String {
    add_account(db.as_ref(), email, None);
    token_for(db.as_ref(), email)
}

/// A new API token for the account `email` of `db`.
pub fn token_for(db: &OsStr, email: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_formwork"))
        .args(["tokens", "create", email, "--db"])
        .arg(db)
        .output()
        .expect("tokens create runs");
    assert!(out.status.success(), "{out:?}");
    let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert_eq!(token.len(), 64, "{token}");
    token
}

/// Adds an account to `db` with `password` (a generated one when `None`).
pub fn add_account(db: &OsStr, email: &str, password: Option<&str>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_formwork"))
        .args(["users", "add", email, "--db"])
        .arg(db)
        .stdin(if password.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("users add runs");
    if let (Some(p), Some(mut stdin)) = (password, child.stdin.take()) {
        stdin.write_all(p.as_bytes()).expect("password written");
    }
    let add = child.wait_with_output().expect("users add ends");
    assert!(add.status.success(), "{add:?}");
}

/// An HTTP response: its status, head (lower-cased header names) and body.
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The headers, names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    /// The body as text.
    pub body: String,
}

impl Response {
    /// The first header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The `name=value` part of every `Set-Cookie`.
    pub fn cookies(&self) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(n, _)| n == "set-cookie")
            .filter_map(|(_, v)| v.split(';').next().map(str::to_string))
            .collect()
    }
}

/// One HTTP/1.1 request to `addr` (`Connection: close`); `None` when the server is gone.
pub fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Option<Response> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    let body = body.unwrap_or_default();
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    s.write_all(head.as_bytes()).ok()?;
    s.write_all(body).ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let raw = String::from_utf8_lossy(&raw);
    let (head, body) = raw.split_once("\r\n\r\n")?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Some(Response {
        status,
        headers,
        body: body.to_string(),
    })
}

/// `POST /api/records?stage=save` with `body` to `addr`; the new record's id on 201, `None`
/// otherwise (or when the server is gone).
pub fn create_record(addr: &str, token: &str, body: &str) -> Option<String> {
    let auth = format!("Bearer {token}");
    let r = request(
        addr,
        "POST",
        "/api/records?stage=save",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        Some(body.as_bytes()),
    )?;
    if r.status != 201 {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(&r.body).ok()?;
    v["id"].as_str().map(String::from)
}

/// Saves from four writers through the JSON API (writer `w` to `addrs[w % addrs.len()]`; each at
/// most `per_writer` saves, for at most 20 s), with `victim` killed by `kill -9` once 40 saves are
/// acknowledged. A writer stops at its first unanswered request. Returns every acknowledged save:
/// the record's id and the body sent.
pub fn saves_until_kill_9(
    addrs: &[String],
    token: &str,
    per_writer: usize,
    victim: &mut Child,
) -> Vec<(String, String)> {
    use std::sync::{Arc, Mutex};
    use std::time::Instant;
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let deadline = Instant::now() + Duration::from_secs(20);
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let addr = addrs[w % addrs.len()].clone();
            let (token, acknowledged) = (token.to_string(), Arc::clone(&acknowledged));
            std::thread::spawn(move || {
                for i in 0..per_writer {
                    if Instant::now() > deadline {
                        break;
                    }
                    let body = format!(
                        r#"{{"app_name": "Writer {w} save {i}", "callback_url": "https://d.example/{w}/{i}"}}"#
                    );
                    match create_record(&addr, &token, &body) {
                        Some(id) => acknowledged.lock().expect("lock").push((id, body)),
                        None => break, // the server is gone
                    }
                }
            })
        })
        .collect();
    // Let the writers get going, then kill without warning.
    let started = Instant::now();
    while acknowledged.lock().expect("lock").len() < 40
        && started.elapsed() < Duration::from_secs(15)
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    let killed = Command::new("kill")
        .args(["-9", &victim.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let _ = victim.wait();
    for w in writers {
        w.join().expect("writer");
    }
    let saved = acknowledged.lock().expect("lock").clone();
    assert!(
        saved.len() >= 40,
        "only {} saves before the kill",
        saved.len()
    );
    saved
}

/// `GET path` from `addr` with the API token `token`; `None` when the server is gone.
pub fn api_get(addr: &str, path: &str, token: &str) -> Option<Response> {
    let auth = format!("Bearer {token}");
    request(addr, "GET", path, &[("Authorization", &auth)], None)
}
