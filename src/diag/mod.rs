//! Diagnostics: errors and warnings about the user's configuration and inputs, written for
//! people (a fixed summary, a detail in sentences, a source range and a hint), rendered with
//! miette so each one names file:line:column with a snippet.

use std::fmt::Write as _;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

/// Index of a file in the [`Sources`] table.
pub type FileId = u32;

/// A byte range in one source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub file: FileId,
    pub range: Range<usize>,
}

/// Every source file read in this run, so diagnostics can quote them.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    files: Vec<Arc<SourceFile>>,
}

#[derive(Debug)]
pub struct SourceFile {
    /// The path as shown to the user (relative to the working directory when possible).
    pub name: String,
    pub path: PathBuf,
    pub text: String,
}

impl Sources {
    pub fn add(&mut self, name: String, path: PathBuf, text: String) -> FileId {
        self.files.push(Arc::new(SourceFile { name, path, text }));
        (self.files.len() - 1) as FileId
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id as usize]
    }

    pub fn iter(&self) -> impl Iterator<Item = &SourceFile> {
        self.files.iter().map(|f| f.as_ref())
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, span: &Span) -> (usize, usize) {
        let text = &self.get(span.file).text;
        let offset = span.range.start.min(text.len());
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let col = before
            .rsplit('\n')
            .next()
            .map(|l| l.chars().count())
            .unwrap_or(0)
            + 1;
        (line, col)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One diagnostic message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A fixed, short summary: "Unsupported argument".
    pub summary: String,
    /// What happened and why, in full sentences.
    pub detail: String,
    pub span: Option<Span>,
    /// How to fix it.
    pub hint: Option<String>,
    /// The checkable object whose condition failed (`var.name`, `output.url`,
    /// `aws_s3_bucket.b`, `check.health`), for `expect_failures` in `mlform test`.
    pub checkable: Option<String>,
}

impl Diagnostic {
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            summary: summary.into(),
            detail: detail.into(),
            span: None,
            hint: None,
            checkable: None,
        }
    }

    pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(summary, detail)
        }
    }

    pub fn at(mut self, span: Option<Span>) -> Diagnostic {
        if self.span.is_none() {
            self.span = span;
        }
        self
    }

    /// Names the checkable object whose condition failed.
    pub fn checkable(mut self, what: impl Into<String>) -> Diagnostic {
        self.checkable = Some(what.into());
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A list of diagnostics that failed an operation.
#[derive(Debug, Clone, Default, thiserror::Error)]
#[error("{} error(s) in configuration", .0.len())]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Diagnostics {
        Diagnostics(vec![d])
    }
}

impl Diagnostics {
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }
}

/// "Did you mean" suggestion among `candidates`.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| format!("Did you mean \"{c}\"?"))
}

#[derive(Debug, thiserror::Error)]
#[error("{summary}")]
struct MietteDiag {
    summary: String,
    help: Option<String>,
    src: Option<miette::NamedSource<String>>,
    label: Option<miette::LabeledSpan>,
}

impl miette::Diagnostic for MietteDiag {
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.src.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        self.label
            .clone()
            .map(|l| Box::new(std::iter::once(l)) as Box<dyn Iterator<Item = _>>)
    }
}

/// Renders diagnostics for a terminal (or plain text when `color` is false).
pub fn render(diags: &[Diagnostic], sources: &Sources, color: bool) -> String {
    let theme = if color {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false);
    let mut out = String::new();
    for d in diags {
        let kind = if d.is_error() { "Error" } else { "Warning" };
        let (src, label, location) = match &d.span {
            Some(span) if (span.file as usize) < sources.files.len() => {
                let file = sources.get(span.file);
                let (line, col) = sources.line_col(span);
                let len = span
                    .range
                    .len()
                    .min(file.text.len().saturating_sub(span.range.start));
                if !snippet_fits(&file.text, span.range.start, len) {
                    (None, None, format!(" ({}:{line}:{col})", file.name))
                } else {
                    (
                        Some(miette::NamedSource::new(
                            file.name.clone(),
                            file.text.clone(),
                        )),
                        Some(miette::LabeledSpan::new(
                            Some(d.summary.to_lowercase()),
                            span.range.start,
                            len,
                        )),
                        format!(" ({}:{line}:{col})", file.name),
                    )
                }
            }
            _ => (None, None, String::new()),
        };
        let mut help = d.detail.clone();
        if let Some(h) = &d.hint {
            help = if help.is_empty() {
                h.clone()
            } else {
                format!("{help}\n{h}")
            };
        }
        let report = MietteDiag {
            summary: format!("{kind}: {}{location}", d.summary),
            help: Some(help),
            src,
            label,
        };
        let _ = handler.render_report(&mut out, &report);
        let _ = writeln!(out);
    }
    out
}

/// The longest source line a snippet shows: 1,000 bytes. Past that (minified JSON pasted into
/// a heredoc, a generated file) the diagnostic keeps its file:line:column and leaves the
/// snippet out; the renderer cannot lay such lines out.
const MAX_SNIPPET_LINE: usize = 1_000;

/// Whether the lines a snippet would show (the labelled ones and one either side) are short
/// enough to render.
fn snippet_fits(text: &str, start: usize, len: usize) -> bool {
    let bytes = text.as_bytes();
    let start = start.min(bytes.len());
    let end = start.saturating_add(len).min(bytes.len());
    let line_start = |at: usize| {
        bytes[..at]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1)
    };
    let line_end = |at: usize| {
        bytes[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |i| at + i)
    };
    let first = line_start(start);
    let from = if first == 0 { 0 } else { line_start(first - 1) };
    let last = line_end(end);
    let to = if last >= bytes.len() {
        last
    } else {
        line_end(last + 1)
    };
    bytes[from..to]
        .split(|&b| b == b'\n')
        .all(|l| l.len() <= MAX_SNIPPET_LINE)
}

#[cfg(test)]
mod snippet_tests {
    use super::*;

    #[test]
    fn a_very_long_line_renders_without_a_snippet() {
        let mut sources = Sources::default();
        let text = format!("locals {{\n  x = \"{}\" + 1\n}}\n", "a".repeat(70_000));
        let file = sources.add("main.tf".into(), "main.tf".into(), text);
        let d = Diagnostic::error("Invalid operand", "Unsuitable value.").at(Some(Span {
            file,
            range: 15..70_020,
        }));
        let out = render(&[d], &sources, false);
        assert!(
            out.contains("Error: Invalid operand (main.tf:2:7)"),
            "{out}"
        );
        assert!(!out.contains("aaaa"), "{out}");
        assert!(snippet_fits("a\nb\nc", 2, 1));
    }
}
