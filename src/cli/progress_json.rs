//! Apply progress as Terraform's machine-readable UI (`apply -json`): one JSON object per
//! line — `apply_start`, `apply_progress`, `apply_complete`, `apply_errored`,
//! `refresh_start` / `refresh_complete` — each with the resource in its `hook`. A rollback
//! is a second phase: `rollback_start`, then the undo steps' own hooks marked
//! `"phase": "rollback"`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use serde_json::{json, Value as J};

use super::progress::{secs, verb};
use crate::addr::{parse_target, InstanceAddr, Target};
use crate::engine::{Event, Reporter};
use crate::plan::Action;

pub struct JsonProgress {
    started: Mutex<HashMap<String, Instant>>,
    rolling_back: std::sync::atomic::AtomicBool,
}

impl JsonProgress {
    pub fn new() -> JsonProgress {
        JsonProgress {
            started: Mutex::new(HashMap::new()),
            rolling_back: std::sync::atomic::AtomicBool::new(false),
        }
    }

    fn emit(&self, level: &str, message: String, kind: &str, extra: J) {
        let mut line = json!({
            "@level": level,
            "@message": message,
            "@module": "mlform.ui",
            "@timestamp": crate::eval::time::now_rfc3339(),
            "type": kind,
        });
        if let (J::Object(l), J::Object(e)) = (&mut line, extra) {
            l.extend(e);
        }
        println!("{line}");
    }

    fn hook(&self, addr: &str, action: Option<Action>, mut fields: J) -> J {
        let deposed = addr.ends_with(" (deposed object)");
        let bare = addr.trim_end_matches(" (deposed object)");
        if let J::Object(m) = &mut fields {
            m.insert("resource".into(), resource(bare));
            if let Some(a) = action {
                m.insert("action".into(), J::String(action_name(a).into()));
            }
            if deposed {
                m.insert("deposed".into(), J::Bool(true));
            }
            if self.rolling_back.load(std::sync::atomic::Ordering::SeqCst) {
                m.insert("phase".into(), J::String("rollback".into()));
            }
        }
        json!({ "hook": fields })
    }
}

fn action_name(a: Action) -> &'static str {
    match a {
        Action::Create | Action::CreateThenDelete | Action::DeleteThenCreate => "create",
        Action::Update => "update",
        Action::Delete => "delete",
        Action::Read => "read",
        Action::NoOp => "noop",
        Action::Forget => "forget",
    }
}

/// The `resource` object of a hook, from the address text the events carry.
fn resource(addr: &str) -> J {
    let instance = match parse_target(addr) {
        Ok(Target::Instance(i)) => Some(i),
        Ok(Target::Resource(module, resource)) => Some(InstanceAddr {
            module,
            resource,
            key: None,
        }),
        _ => None,
    };
    match instance {
        Some(i) => crate::render::json_stream::resource_event(&i),
        None => json!({ "addr": addr }),
    }
}

/// The text verbs of an action, as the human reporter prints them, and its error form.
fn verbs(a: Action) -> (&'static str, &'static str, &'static str, &'static str) {
    let (start, still, done) = verb(a);
    let errored = match a {
        Action::Update => "Modifications errored",
        Action::Delete => "Destruction errored",
        Action::Read => "Read errored",
        _ => "Creation errored",
    };
    (start, still, done, errored)
}

fn id_fields(id: Option<&str>) -> J {
    match id {
        Some(i) => json!({ "id_key": "id", "id_value": i }),
        None => json!({}),
    }
}

impl Default for JsonProgress {
    fn default() -> Self {
        JsonProgress::new()
    }
}

impl Reporter for JsonProgress {
    fn event(&self, event: Event<'_>) {
        match event {
            Event::Refreshing { addr, id } => self.emit(
                "info",
                format!(
                    "{addr}: Refreshing state...{}",
                    id.map(|i| format!(" [id={i}]")).unwrap_or_default()
                ),
                "refresh_start",
                self.hook(addr, None, id_fields(id)),
            ),
            Event::Refreshed { addr, id } => self.emit(
                "info",
                format!(
                    "{addr}: Refresh complete{}",
                    id.map(|i| format!(" [id={i}]")).unwrap_or_default()
                ),
                "refresh_complete",
                self.hook(addr, None, id_fields(id)),
            ),
            Event::Reading { addr } => {
                self.started
                    .lock()
                    .expect("started")
                    .insert(addr.to_string(), Instant::now());
                self.emit(
                    "info",
                    format!("{addr}: Reading..."),
                    "apply_start",
                    self.hook(addr, Some(Action::Read), json!({})),
                )
            }
            Event::ReadComplete { addr, elapsed, id } => {
                let mut fields = id_fields(id);
                fields["elapsed_seconds"] = json!(elapsed.as_secs());
                self.emit(
                    "info",
                    format!(
                        "{addr}: Read complete after {}{}",
                        secs(elapsed),
                        id.map(|i| format!(" [id={i}]")).unwrap_or_default()
                    ),
                    "apply_complete",
                    self.hook(addr, Some(Action::Read), fields),
                )
            }
            Event::Importing { addr, id } => self.emit(
                "info",
                format!("{addr}: Preparing import... [id={id}]"),
                "import_start",
                self.hook(addr, None, json!({ "importing": { "id": id } })),
            ),
            Event::Imported { addr, id } => self.emit(
                "info",
                format!("{addr}: Import complete [id={id}]"),
                "import_complete",
                self.hook(addr, None, json!({ "importing": { "id": id } })),
            ),
            Event::Started { addr, action, id } => {
                self.started
                    .lock()
                    .expect("started")
                    .insert(addr.to_string(), Instant::now());
                self.emit(
                    "info",
                    format!(
                        "{addr}: {}{}",
                        verbs(action).0,
                        id.filter(|_| action != Action::Create)
                            .map(|i| format!(" [id={i}]"))
                            .unwrap_or_default()
                    ),
                    "apply_start",
                    self.hook(addr, Some(action), id_fields(id)),
                )
            }
            Event::StillRunning {
                addr,
                action,
                elapsed,
            } => self.emit(
                "info",
                format!(
                    "{addr}: {} [{}s elapsed]",
                    verbs(action).1,
                    elapsed.as_secs()
                ),
                "apply_progress",
                self.hook(
                    addr,
                    Some(action),
                    json!({ "elapsed_seconds": elapsed.as_secs() }),
                ),
            ),
            Event::Finished {
                addr,
                action,
                elapsed,
                id,
            } => {
                self.started.lock().expect("started").remove(addr);
                let mut fields = id_fields(id);
                fields["elapsed_seconds"] = json!(elapsed.as_secs());
                self.emit(
                    "info",
                    format!(
                        "{addr}: {} after {}{}",
                        verbs(action).2,
                        secs(elapsed),
                        id.map(|i| format!(" [id={i}]")).unwrap_or_default()
                    ),
                    "apply_complete",
                    self.hook(addr, Some(action), fields),
                )
            }
            Event::Failed { addr, action, .. } => {
                let elapsed = self
                    .started
                    .lock()
                    .expect("started")
                    .remove(addr)
                    .map(|s| s.elapsed())
                    .unwrap_or_default();
                self.emit(
                    "error",
                    format!("{addr}: {} after {}", verbs(action).3, secs(elapsed)),
                    "apply_errored",
                    self.hook(
                        addr,
                        Some(action),
                        json!({ "elapsed_seconds": elapsed.as_secs() }),
                    ),
                )
            }
            Event::RollingBack { changes } => {
                self.rolling_back
                    .store(true, std::sync::atomic::Ordering::SeqCst);
                self.emit(
                    "info",
                    format!(
                        "The apply failed; rolling back the {changes} change(s) it finished, the last first"
                    ),
                    "rollback_start",
                    json!({ "changes": changes }),
                )
            }
            Event::Retrying {
                addr,
                attempt,
                message,
            } => self.emit(
                "warn",
                format!("{addr}: retrying after a transient error (attempt {attempt}): {message}"),
                "apply_retry",
                self.hook(
                    addr,
                    None,
                    json!({ "attempt": attempt, "message": message }),
                ),
            ),
        }
    }
}
