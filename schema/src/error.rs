//! Spec errors: every problem names the file, line and column, shows the source line and says what to do.

use std::fmt;
use std::path::PathBuf;

use crate::located::Pos;

/// One problem found in a spec, at a position of its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where the problem is (1-based; 0/0 when unknown).
    pub pos: Pos,
    /// What is wrong.
    pub message: String,
    /// What to do about it, if there is a clear fix.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic at `pos`.
    pub fn new(pos: Pos, message: impl Into<String>) -> Self {
        Diagnostic {
            pos,
            message: message.into(),
            help: None,
        }
    }

    /// Adds a hint on how to fix the problem.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// Why a spec could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// The file could not be read.
    #[error("{}: cannot read spec: {source}", path.display())]
    Io {
        /// The spec path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid YAML, or does not have the spec's shape, or fails spec checks.
    #[error("{}", render(file, source_text, diagnostics))]
    Invalid {
        /// File name used in messages.
        file: String,
        /// The spec's text (for snippets).
        source_text: String,
        /// Every problem found, in source order.
        diagnostics: Vec<Diagnostic>,
    },
}

impl SpecError {
    /// The diagnostics of an invalid spec (empty for I/O errors).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            SpecError::Io { .. } => &[],
            SpecError::Invalid { diagnostics, .. } => diagnostics,
        }
    }
}

/// Renders diagnostics as `FILE:LINE:COL: message`, the source line with a caret, and a help line.
fn render(file: &str, source: &str, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for (i, d) in diagnostics.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&render_one(file, source, d));
    }
    if diagnostics.len() > 1 {
        out.push_str(&format!("\n{} problems found in {file}", diagnostics.len()));
    }
    out
}

fn render_one(file: &str, source: &str, d: &Diagnostic) -> String {
    use fmt::Write;
    let mut out = String::new();
    let _ = write!(out, "{file}:{}:{}: {}", d.pos.line, d.pos.column, d.message);
    if d.pos.line > 0
        && let Some(text) = source.lines().nth(d.pos.line as usize - 1)
    {
        let num = d.pos.line.to_string();
        let pad = " ".repeat(num.len());
        let caret_at: String = text
            .chars()
            .take(d.pos.column.saturating_sub(1) as usize)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let _ = write!(out, "\n{pad} |\n{num} | {text}\n{pad} | {caret_at}^");
    }
    if let Some(help) = &d.help {
        let _ = write!(out, "\n  = help: {help}");
    }
    out
}
