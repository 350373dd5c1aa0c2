//! All artefacts of a form as files, and the `build.rs` builder.

use std::path::{Path, PathBuf};

use formwork_schema::Form;

/// One generated file: its name (relative to the output folder) and contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// File name, relative to the output folder (may contain `/`).
    pub name: String,
    /// Full contents.
    pub contents: String,
}

/// Every artefact of `form`: `F.rs`, `F.STAGE.schema.json` per stage, `F.hbs` and its partials.
///
/// The Rust source (about half the work) is emitted on a second thread while the schemas and
/// templates are emitted on this one; the output does not depend on it.
pub fn generate(form: &Form) -> Vec<GeneratedFile> {
    let (rust, rest) = std::thread::scope(|scope| {
        let rust = scope.spawn(|| crate::rust::emit(form));
        let mut rest = Vec::new();
        for (i, stage) in form.stages.iter().enumerate() {
            rest.push(GeneratedFile {
                name: format!("{}.{}.schema.json", form.id, stage.id),
                contents: crate::json_schema::emit_string(form, i),
            });
        }
        rest.extend(crate::html::emit(form, &crate::html::Partials::builtin()));
        // A panic in the emitter is a bug: raise it here, as if it had run on this thread.
        let rust = rust
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (rust, rest)
    });
    let mut files = vec![GeneratedFile {
        name: format!("{}.rs", form.id),
        contents: rust,
    }];
    files.extend(rest);
    files
}

/// The file `formwork generate` keeps in its output folder: the names of the files it wrote, one
/// per line, so the next run removes those it no longer emits and `--check` reports them.
pub const MANIFEST: &str = ".formwork-generated";

/// `files` plus the manifest listing them.
pub fn with_manifest(mut files: Vec<GeneratedFile>) -> Vec<GeneratedFile> {
    let mut contents = String::from(
        "# Files written by `formwork generate`; it removes those it no longer emits. Do not edit.\n",
    );
    for f in &files {
        contents.push_str(&f.name);
        contents.push('\n');
    }
    files.push(GeneratedFile {
        name: MANIFEST.to_string(),
        contents,
    });
    files
}

/// The files a previous run listed in `out`'s manifest that `files` no longer has and that still
/// exist. Only plain relative names count: a manifest cannot point outside `out`.
pub fn leftovers(out: &Path, files: &[GeneratedFile]) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(out.join(MANIFEST)) else {
        return Vec::new();
    };
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter(|l| {
            Path::new(l)
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_)))
        })
        .filter(|l| *l != MANIFEST && !files.iter().any(|f| f.name == *l))
        .filter(|l| out.join(l).is_file())
        .map(String::from)
        .collect()
}

/// Writes `contents` to `path` unless the file already holds exactly that (keeps mtimes, so
/// cargo and make do not rebuild for nothing).
pub fn write_if_changed(path: &Path, contents: &str) -> std::io::Result<()> {
    if std::fs::read_to_string(path).ok().as_deref() == Some(contents) {
        return Ok(());
    }
    std::fs::write(path, contents)
}

/// Generates a form's Rust types from `build.rs`, the way prost-build does.
///
/// ```no_run
/// formwork_codegen::Builder::new("specs/contact.yaml").compile().expect("spec is valid");
/// ```
/// writes `$OUT_DIR/contact.rs`, to be included with
/// `include!(concat!(env!("OUT_DIR"), "/contact.rs"));`.
#[derive(Debug, Clone)]
pub struct Builder {
    spec: PathBuf,
    out_dir: Option<PathBuf>,
    options: crate::rust::RustOptions,
}

/// Why [`Builder::compile`] failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The spec is invalid or unreadable.
    #[error(transparent)]
    Spec(#[from] formwork_schema::SpecError),
    /// `OUT_DIR` is not set and no output folder was given.
    #[error("OUT_DIR is not set: call Builder::out_dir or run from build.rs")]
    NoOutDir,
    /// Writing the generated file failed.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl Builder {
    /// A builder for the spec at `spec`.
    pub fn new(spec: impl AsRef<Path>) -> Self {
        Builder {
            spec: spec.as_ref().to_path_buf(),
            out_dir: None,
            options: Default::default(),
        }
    }

    /// Whether to emit `validate(&self, stage)` backed by `formwork-runtime` (default: yes).
    /// Without it, the generated code needs only `serde` and `schemars`.
    pub fn validation(mut self, on: bool) -> Self {
        self.options.validation = on;
        self
    }

    /// Writes into `dir` instead of `$OUT_DIR`.
    pub fn out_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.out_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Loads the spec, emits `FORM_ID.rs` and returns its path. Prints `cargo:rerun-if-changed`.
    pub fn compile(self) -> Result<PathBuf, BuildError> {
        println!("cargo:rerun-if-changed={}", self.spec.display());
        let form = formwork_schema::load_file(&self.spec)?;
        let dir = match self.out_dir {
            Some(d) => d,
            None => std::env::var_os("OUT_DIR")
                .map(PathBuf::from)
                .ok_or(BuildError::NoOutDir)?,
        };
        let path = dir.join(format!("{}.rs", form.id));
        let contents = crate::rust::emit_with(&form, &self.options);
        write_if_changed(&path, &contents).map_err(|source| BuildError::Write {
            path: path.clone(),
            source,
        })?;
        Ok(path)
    }
}
