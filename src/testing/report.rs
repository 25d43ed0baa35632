//! How test results are shown: Terraform's progress lines and summary on stdout,
//! diagnostics on stderr, and the JUnit XML of `-junit-xml`.

use std::fmt::Write as _;
use std::io::Write as _;

use super::{FileResult, Outcome, RunResult, Status};
use crate::diag::{Diagnostic, Sources};

/// Writes progress as files and runs finish.
pub struct Printer {
    pub color: bool,
    pub verbose: bool,
}

impl Printer {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn status(&self, s: Status) -> String {
        match s {
            Status::Pass => self.paint("32", "pass"),
            // As in Terraform, a run that ended in error shows as failed.
            Status::Fail | Status::Error => self.paint("31", "fail"),
            Status::Skip => self.paint("90", "skip"),
        }
    }

    fn diags(&self, diags: &[Diagnostic], sources: &Sources) {
        if !diags.is_empty() {
            let _ = std::io::stdout().flush();
            eprint!("{}", crate::diag::render(diags, sources, self.color));
        }
    }

    pub fn warning(&self, text: &str) {
        eprintln!("\nWarning: {text}\n");
    }

    pub fn file_started(&self, name: &str) {
        println!("{}... {}", name, self.paint("37", "in progress"));
    }

    pub fn run_finished(&self, run: &RunResult, verbose: Option<&str>, sources: &Sources) {
        println!("  run \"{}\"... {}", run.name, self.status(run.status));
        if let Some(text) = verbose.filter(|_| self.verbose) {
            println!("\n{}", text.trim_end());
            println!();
        }
        self.diags(&run.diagnostics, sources);
    }

    pub fn tearing_down(&self, name: &str) {
        println!("{}... {}", name, self.paint("37", "tearing down"));
    }

    pub fn file_finished(&self, file: &FileResult, sources: &Sources) {
        self.diags(&file.diagnostics, sources);
        println!("{}... {}", file.name, self.status(file.status));
    }

    pub fn summary(&self, outcome: &Outcome) {
        let (passed, failed, skipped) = outcome.counts();
        let word = if outcome.success() {
            self.paint("32", "Success!")
        } else {
            self.paint("31", "Failure!")
        };
        let skipped = if skipped > 0 {
            format!(", {skipped} skipped")
        } else {
            String::new()
        };
        println!("\n{word} {passed} passed, {failed} failed{skipped}.");
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The results as JUnit XML, in the shape `terraform test -junit-xml` writes: one
/// testsuite per file, one testcase per run, failures with their diagnostics.
pub fn junit(outcome: &Outcome) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?><testsuites>\n");
    for f in &outcome.files {
        let failures = f.runs.iter().filter(|r| r.status == Status::Fail).count();
        let errors = f.runs.iter().filter(|r| r.status == Status::Error).count();
        let skipped = f.runs.iter().filter(|r| r.status == Status::Skip).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" skipped=\"{skipped}\" failures=\"{failures}\" errors=\"{errors}\">",
            escape(&f.name),
            f.runs.len()
        );
        let mut errored: Option<&str> = None;
        for r in &f.runs {
            if r.status == Status::Skip {
                let _ = write!(
                    out,
                    "    <testcase name=\"{}\" classname=\"{}\">",
                    escape(&r.name),
                    escape(&f.name)
                );
                match errored {
                    Some(prev) => {
                        let _ = write!(out, "\n      <skipped message=\"Testcase skipped due to a previous testcase error\"><![CDATA[Previous testcase \"{}\" ended in error, which caused the remaining tests in the file to be skipped]]></skipped>\n    ", escape(prev));
                    }
                    None => {
                        let _ = write!(out, "\n      <skipped></skipped>\n    ");
                    }
                }
                out.push_str("</testcase>\n");
                continue;
            }
            if r.status == Status::Error {
                errored = Some(&r.name);
            }
            let _ = write!(
                out,
                "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.9}\" timestamp=\"{}\">",
                escape(&r.name),
                escape(&f.name),
                r.duration.as_secs_f64(),
                r.timestamp
            );
            let text = crate::diag::render(&r.diagnostics, &outcome.sources, false);
            let errors: Vec<&Diagnostic> = r.diagnostics.iter().filter(|d| d.is_error()).collect();
            match r.status {
                Status::Fail => {
                    let asserts: Vec<&&Diagnostic> = errors
                        .iter()
                        .filter(|d| d.summary == "Test assertion failed")
                        .collect();
                    let message = if asserts.is_empty() {
                        errors
                            .first()
                            .map(|d| d.summary.clone())
                            .unwrap_or_default()
                    } else {
                        format!(
                            "{} of {} assertions failed: {}",
                            asserts.len(),
                            r.asserts,
                            asserts
                                .iter()
                                .map(|d| d.detail.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    };
                    let _ = write!(
                        out,
                        "\n      <failure message=\"{}\"><![CDATA[\n{}]]></failure>\n    ",
                        escape(&message),
                        text.replace("]]>", "]]]]><![CDATA[>")
                    );
                }
                Status::Error => {
                    let _ = write!(
                        out,
                        "\n      <error message=\"Encountered an error\"><![CDATA[\n{}]]></error>\n    ",
                        text.replace("]]>", "]]]]><![CDATA[>")
                    );
                }
                Status::Skip | Status::Pass => {}
            }
            out.push_str("</testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>");
    out
}
