//! Secrets at rest: issued secrets and `secret` field values are stored sealed with
//! XChaCha20-Poly1305 (RustCrypto) under a key from a key file, never in the clear.
//!
//! - The key file (`--key-file`, default `DB.key` beside the database) is created with mode 0600 on
//!   first start: one key per line, hex; the first seals, all of them open (a key ring, so a
//!   rotation interrupted at any point leaves every value readable). Its contents are never logged.
//! - A sealed value is the string `fwenc1:KEYID:HEX(nonce ‖ ciphertext)`: the key id is the first
//!   8 hex digits of the key's SHA-256, the nonce 24 random bytes.
//! - Sealing is idempotent and opening passes plain values through, so a database written before
//!   encryption is sealed by a sweep at start (`Store::seal_all`).
//! - `formwork keys rotate` adds a new key, re-seals everything with it, then drops the old keys.

use std::io::Write;
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, Key, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

const PREFIX: &str = "fwenc1:";

/// Why the key file or a sealed value cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The key file cannot be read or written.
    #[error("key file {}: {source}", path.display())]
    Io {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The key file holds something else than hex keys of 32 bytes.
    #[error("key file {}: line {line} is not a 64-digit hex key", path.display())]
    BadKey {
        /// The key file.
        path: PathBuf,
        /// The 1-based line.
        line: usize,
    },
    /// A value was sealed with a key the key file does not have, or was tampered with.
    #[error(
        "a stored secret cannot be opened with the key file (sealed with key {key_id}): use the key file this database was written with"
    )]
    CannotOpen {
        /// The key id the value names.
        key_id: String,
    },
    /// The OS random generator failed.
    #[error("the operating system's random number generator failed")]
    Random,
}

/// The keys of a key file: the first seals, all open.
#[derive(Clone)]
pub struct Vault {
    keys: Vec<(String, XChaCha20Poly1305)>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        write!(f, "Vault {{ keys: {ids:?} }}")
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        use std::fmt::Write as _;
        let _ = write!(out, "{b:02x}");
    }
    out
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn key_id(key: &[u8]) -> String {
    hex(&Sha256::digest(key)[..4])
}

fn new_key() -> Result<[u8; 32], VaultError> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|_| VaultError::Random)?;
    Ok(key)
}

impl Vault {
    /// The vault of the key file at `path`, created (mode 0600, one new key) if absent.
    pub fn load_or_create(path: &Path) -> Result<Vault, VaultError> {
        let io = |source| VaultError::Io {
            path: path.to_path_buf(),
            source,
        };
        if !path.exists() {
            write_keys(path, &[new_key()?]).map_err(io)?;
        }
        let text = std::fs::read_to_string(path).map_err(io)?;
        let mut keys = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bytes =
                unhex(line)
                    .filter(|b| b.len() == 32)
                    .ok_or_else(|| VaultError::BadKey {
                        path: path.to_path_buf(),
                        line: i + 1,
                    })?;
            let key = Key::<XChaCha20Poly1305>::try_from(bytes.as_slice()).map_err(|_| {
                VaultError::BadKey {
                    path: path.to_path_buf(),
                    line: i + 1,
                }
            })?;
            keys.push((key_id(&bytes), XChaCha20Poly1305::new(&key)));
        }
        if keys.is_empty() {
            return Err(VaultError::BadKey {
                path: path.to_path_buf(),
                line: 1,
            });
        }
        Ok(Vault { keys })
    }

    /// The id of the key that seals.
    pub fn current_key(&self) -> &str {
        &self.keys[0].0
    }

    /// Whether `s` is a sealed value.
    pub fn is_sealed(s: &str) -> bool {
        s.starts_with(PREFIX)
    }

    /// `plain` sealed with the current key (a sealed value is returned as it is).
    pub fn seal(&self, plain: &str) -> Result<String, VaultError> {
        if Vault::is_sealed(plain) {
            return Ok(plain.to_string());
        }
        let mut nonce = [0u8; 24];
        getrandom::fill(&mut nonce).map_err(|_| VaultError::Random)?;
        let (id, cipher) = &self.keys[0];
        let sealed = cipher
            .encrypt(&XNonce::from(nonce), plain.as_bytes())
            .map_err(|_| VaultError::Random)?;
        let mut body = nonce.to_vec();
        body.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{id}:{}", hex(&body)))
    }

    /// The plain text of `value` (a plain value is returned as it is).
    pub fn open(&self, value: &str) -> Result<String, VaultError> {
        let Some(rest) = value.strip_prefix(PREFIX) else {
            return Ok(value.to_string());
        };
        let (id, body) = rest.split_once(':').unwrap_or((rest, ""));
        let cannot = || VaultError::CannotOpen {
            key_id: id.to_string(),
        };
        let cipher = self
            .keys
            .iter()
            .find(|(k, _)| k == id)
            .map(|(_, c)| c)
            .ok_or_else(cannot)?;
        let bytes = unhex(body).filter(|b| b.len() > 24).ok_or_else(cannot)?;
        let nonce: [u8; 24] = bytes[..24].try_into().map_err(|_| cannot())?;
        let plain = cipher
            .decrypt(&XNonce::from(nonce), &bytes[24..])
            .map_err(|_| cannot())?;
        String::from_utf8(plain).map_err(|_| cannot())
    }

    /// Whether `value` is sealed with a key other than the current one.
    pub fn is_stale(&self, value: &str) -> bool {
        value
            .strip_prefix(PREFIX)
            .and_then(|r| r.split_once(':'))
            .is_some_and(|(id, _)| id != self.current_key())
    }
}

/// Writes `keys` (hex, one per line) to `path` with mode 0600, atomically (temporary file, then
/// rename), so a crash leaves the old file or the new one, never half of one.
fn write_keys(path: &Path, keys: &[[u8; 32]]) -> std::io::Result<()> {
    let tmp = path.with_extension("key-new");
    {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut f = options.open(&tmp)?;
        writeln!(
            f,
            "# formwork key file: keys that seal the secrets in the database (the first seals). Keep it secret; back it up with the database."
        )?;
        for k in keys {
            writeln!(f, "{}", hex(k))?;
        }
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

/// Starts a key rotation: a new key becomes the first of the key file (the old ones still open
/// what they sealed). Returns the vault with the new key.
pub fn add_key(path: &Path) -> Result<Vault, VaultError> {
    let io = |source| VaultError::Io {
        path: path.to_path_buf(),
        source,
    };
    let text = std::fs::read_to_string(path).map_err(io)?;
    let mut keys = vec![new_key()?];
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(k) = unhex(line).and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok()) {
            keys.push(k);
        }
    }
    write_keys(path, &keys).map_err(io)?;
    Vault::load_or_create(path)
}

/// Ends a key rotation: only the first key stays in the key file.
pub fn keep_current_key(path: &Path) -> Result<(), VaultError> {
    let io = |source| VaultError::Io {
        path: path.to_path_buf(),
        source,
    };
    let text = std::fs::read_to_string(path).map_err(io)?;
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .and_then(unhex)
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
        .ok_or_else(|| VaultError::BadKey {
            path: path.to_path_buf(),
            line: 1,
        })?;
    write_keys(path, &[first]).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_opens_and_rotates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.key");
        let vault = Vault::load_or_create(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let sealed = vault.seal("s3cret").unwrap();
        assert!(sealed.starts_with("fwenc1:") && !sealed.contains("s3cret"));
        assert_ne!(
            sealed,
            vault.seal("s3cret").unwrap(),
            "a fresh nonce each time"
        );
        assert_eq!(vault.seal(&sealed).unwrap(), sealed, "idempotent");
        assert_eq!(vault.open(&sealed).unwrap(), "s3cret");
        assert_eq!(vault.open("plain").unwrap(), "plain");
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push('0');
        assert!(vault.open(&tampered).is_err() || tampered == sealed);

        let rotated = add_key(&path).unwrap();
        assert_ne!(rotated.current_key(), vault.current_key());
        assert!(rotated.is_stale(&sealed));
        assert_eq!(
            rotated.open(&sealed).unwrap(),
            "s3cret",
            "old keys still open"
        );
        let resealed = rotated.seal(&rotated.open(&sealed).unwrap()).unwrap();
        keep_current_key(&path).unwrap();
        let after = Vault::load_or_create(&path).unwrap();
        assert_eq!(after.open(&resealed).unwrap(), "s3cret");
        assert!(matches!(
            after.open(&sealed),
            Err(VaultError::CannotOpen { .. })
        ));
        let other = Vault::load_or_create(&dir.path().join("other.key")).unwrap();
        assert!(
            other.open(&resealed).is_err(),
            "another key file cannot open it"
        );
    }
}
