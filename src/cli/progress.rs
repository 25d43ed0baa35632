//! Progress of refresh and apply, as Terraform prints it (`X: Creating...`,
//! `X: Creation complete after 2s [id=...]`); on a terminal, a spinner with the elapsed time
//! for each resource still in flight (indicatif).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::engine::{Event, Reporter};
use crate::plan::Action;

pub struct Progress {
    bars: Option<(MultiProgress, Mutex<HashMap<String, ProgressBar>>)>,
    quiet_refresh: bool,
}

impl Progress {
    pub fn new(quiet_refresh: bool) -> Progress {
        let bars = is_terminal::is_terminal(std::io::stdout())
            .then(|| (MultiProgress::new(), Mutex::new(HashMap::new())));
        Progress {
            bars,
            quiet_refresh,
        }
    }

    fn line(&self, text: String) {
        match &self.bars {
            Some((multi, _)) => {
                let _ = multi.println(text);
            }
            None => println!("{text}"),
        }
    }
}

pub(super) fn verb(action: Action) -> (&'static str, &'static str, &'static str) {
    match action {
        Action::Update => (
            "Modifying...",
            "Still modifying...",
            "Modifications complete",
        ),
        Action::Delete => (
            "Destroying...",
            "Still destroying...",
            "Destruction complete",
        ),
        Action::Read => ("Reading...", "Still reading...", "Read complete"),
        _ => ("Creating...", "Still creating...", "Creation complete"),
    }
}

pub(super) fn secs(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 60 {
        format!("{}m{}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

impl Reporter for Progress {
    fn event(&self, event: Event<'_>) {
        match event {
            Event::Refreshing { addr, id } => {
                if !self.quiet_refresh {
                    self.line(format!(
                        "{addr}: Refreshing state...{}",
                        id.map(|i| format!(" [id={i}]")).unwrap_or_default()
                    ));
                }
            }
            // Terraform's text prints nothing when a refresh completes.
            Event::Refreshed { .. } => {}
            Event::Importing { addr, id } => {
                self.line(format!("{addr}: Preparing import... [id={id}]"));
            }
            Event::Imported { addr, id } => {
                self.line(format!("{addr}: Importing... [id={id}]"));
                self.line(format!("{addr}: Import complete [id={id}]"));
            }
            Event::Reading { addr } => {
                if !self.quiet_refresh {
                    self.line(format!("{addr}: Reading..."));
                }
            }
            Event::ReadComplete { addr, elapsed, id } => {
                if !self.quiet_refresh {
                    self.line(format!(
                        "{addr}: Read complete after {}{}",
                        secs(elapsed),
                        id.map(|i| format!(" [id={i}]")).unwrap_or_default()
                    ));
                }
            }
            Event::Started { addr, action, id } => {
                let text = format!(
                    "{addr}: {}{}",
                    verb(action).0,
                    id.filter(|_| action != Action::Create)
                        .map(|i| format!(" [id={i}]"))
                        .unwrap_or_default()
                );
                self.line(text.clone());
                if let Some((multi, bars)) = &self.bars {
                    let bar = multi.add(ProgressBar::new_spinner());
                    bar.set_style(
                        ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                    bar.set_message(format!("{addr}: {}", verb(action).1));
                    bar.enable_steady_tick(Duration::from_millis(200));
                    bars.lock().expect("bars").insert(addr.to_string(), bar);
                }
            }
            Event::StillRunning {
                addr,
                action,
                elapsed,
            } => {
                if self.bars.is_none() {
                    self.line(format!(
                        "{addr}: {} [{} elapsed]",
                        verb(action).1,
                        secs(elapsed)
                    ));
                }
            }
            Event::Finished {
                addr,
                action,
                elapsed,
                id,
            } => {
                if let Some((_, bars)) = &self.bars {
                    if let Some(bar) = bars.lock().expect("bars").remove(addr) {
                        bar.finish_and_clear();
                    }
                }
                self.line(format!(
                    "{addr}: {} after {}{}",
                    verb(action).2,
                    secs(elapsed),
                    id.map(|i| format!(" [id={i}]")).unwrap_or_default()
                ));
            }
            Event::Failed { addr, .. } => {
                if let Some((_, bars)) = &self.bars {
                    if let Some(bar) = bars.lock().expect("bars").remove(addr) {
                        bar.finish_and_clear();
                    }
                }
            }
            Event::RollingBack { changes } => self.line(format!(
                "\nThe apply failed; rolling back the {changes} change(s) it finished, the last first:"
            )),
            Event::Retrying {
                addr,
                attempt,
                message,
            } => self.line(format!(
                "{addr}: retrying after a transient error (attempt {attempt}): {message}"
            )),
        }
    }
}
