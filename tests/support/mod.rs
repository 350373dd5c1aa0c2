//! What the tests that run `formwork serve` share: the repository root and a server process.

#![allow(dead_code)] // each test binary uses part of it

use std::io::{BufRead, BufReader, Lines};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Stdio};

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
    let mut child = Command::new(env!("CARGO_BIN_EXE_formwork"))
        .arg("serve")
        .arg(root().join("specs/pipedrive-app.yaml"))
        .args(["--addr", "127.0.0.1:0", "--db"])
        .arg(db)
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
    let (child, addr, lines) = spawn_serve(db);
    std::thread::spawn(move || for _ in lines {});
    Server(child, addr)
}

/// Adds an account to `db` (with a generated password) and returns a new API token for it.
pub fn account_token(db: &Path, email: &str) -> String {
    let add = Command::new(env!("CARGO_BIN_EXE_formwork"))
        .args(["users", "add", email, "--db"])
        .arg(db)
        .stdin(Stdio::null())
        .output()
        .expect("users add runs");
    assert!(add.status.success(), "{add:?}");
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
