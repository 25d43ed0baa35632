//! Running the mlform binary in a working directory, and normalizing its output for snapshots.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mlform"))
}

/// A temporary working directory with files.
pub struct Workdir {
    pub dir: tempfile::TempDir,
}

impl Workdir {
    pub fn new() -> Workdir {
        Workdir {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, name: &str, text: &str) -> &Self {
        let p = self.path().join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, text).expect("write");
        self
    }

    /// Runs mlform with `args` (no terminal, no colour) and returns its output.
    pub fn run(&self, args: &[&str]) -> Run {
        let out = Command::new(bin())
            .args(args)
            .current_dir(self.path())
            .env("NO_COLOR", "1")
            .env_remove("TF_LOG")
            .stdin(Stdio::null())
            .output()
            .expect("run mlform");
        Run::from(out)
    }

    /// Runs mlform with extra environment variables.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = Command::new(bin());
        cmd.args(args)
            .current_dir(self.path())
            .env("NO_COLOR", "1")
            .env_remove("TF_LOG")
            .stdin(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        Run::from(cmd.output().expect("run mlform"))
    }

    /// A root output's value as `output -raw` prints it.
    pub fn output(&self, name: &str) -> String {
        self.ok(&["output", "-raw", name]).stdout
    }

    /// Asserts that a plan finds nothing to change (`-detailed-exitcode` 0).
    pub fn plan_is_clean(&self) {
        let r = self.run(&["plan", "-detailed-exitcode", "-no-color"]);
        assert_eq!(
            r.code, 0,
            "the plan is not clean:\n{}\n{}",
            r.stdout, r.stderr
        );
    }

    /// Runs `plan -no-color`, asserts that its output says `expected`, and returns it.
    pub fn plan_says(&self, expected: &str) -> Run {
        let r = self.run(&["plan", "-no-color"]);
        assert!(
            r.stdout.contains(expected),
            "the plan does not say {expected:?}:\n{}\n{}",
            r.stdout,
            r.stderr
        );
        r
    }

    /// Runs and asserts success.
    pub fn ok(&self, args: &[&str]) -> Run {
        let r = self.run(args);
        assert_eq!(
            r.code, 0,
            "mlform {args:?} failed:\n{}\n{}",
            r.stdout, r.stderr
        );
        r
    }

    /// Runs with extra environment variables and asserts success.
    pub fn ok_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let r = self.run_env(args, env);
        assert_eq!(
            r.code, 0,
            "mlform {args:?} failed:\n{}\n{}",
            r.stdout, r.stderr
        );
        r
    }

    pub fn state(&self) -> serde_json::Value {
        serde_json::from_str(
            &std::fs::read_to_string(self.path().join("mlform.tfstate")).expect("state file"),
        )
        .expect("state json")
    }

    /// Addresses of every instance in the state file.
    pub fn addresses(&self) -> Vec<String> {
        let r = self.ok(&["state", "list"]);
        r.stdout.lines().map(str::to_string).collect()
    }
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Exit code, stdout and stderr in one text, with run-specific values replaced.
    pub fn snapshot(&self) -> String {
        normalize(&format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        ))
    }
}

/// Text with line wrapping undone, so messages can be matched whatever the terminal width.
pub fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub fn normalize(s: &str) -> String {
    let uuid = regex::Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
        .expect("regex");
    let ts = regex::Regex::new(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z").expect("regex");
    let s = uuid.replace_all(s, "<uuid>");
    ts.replace_all(&s, "<timestamp>").into_owned()
}

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read fixture") {
        let e = e.expect("entry");
        let p = e.path();
        let dest = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).expect("copy");
        }
    }
}

/// The rule IDs of `check -format=json` output, in order.
pub fn rule_ids(json: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(json).expect("check JSON");
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule_id"].as_str().map(str::to_string))
        .collect()
}
