//! Fixture directories under `tests/fixtures/`: each holds a configuration, optionally a
//! prior state (`mlform.tfstate`) and an `args` file (one argument per line; default `plan`).
//! The command's exit code, stdout and stderr are snapshot-tested; with a `json` marker file
//! the saved plan's `show -json` is snapshot-tested too, with a `markdown` marker its
//! `show -markdown` (the pull-request comment).

use std::path::Path;

use crate::support::{copy_dir, normalize, Workdir};

fn run_fixture(dir: &Path) {
    let name = dir.file_name().unwrap().to_string_lossy().to_string();
    let w = Workdir::new();
    copy_dir(dir, w.path());
    let args_text = std::fs::read_to_string(dir.join("args")).unwrap_or_else(|_| "plan".into());
    let args: Vec<&str> = args_text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let run = w.run(&args);
    insta::assert_snapshot!(name.clone(), run.snapshot());
    let wants_json = dir.join("json").exists();
    let wants_markdown = dir.join("markdown").exists();
    if wants_json || wants_markdown {
        let mut plan_args = args.clone();
        plan_args.push("-out=fixture.plan");
        w.ok(&plan_args);
    }
    if wants_markdown {
        let show = w.ok(&["show", "-markdown", "fixture.plan"]);
        insta::assert_snapshot!(format!("{name}.md"), normalize(&show.stdout));
    }
    if wants_json {
        let show = w.ok(&["show", "-json", "fixture.plan"]);
        let v: serde_json::Value = serde_json::from_str(&show.stdout).expect("plan json");
        insta::assert_snapshot!(
            format!("{name}.json"),
            normalize(&serde_json::to_string_pretty(&v).unwrap())
        );
    }
}

#[test]
fn fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 10,
        "fixtures missing under {}",
        root.display()
    );
    for d in dirs {
        run_fixture(&d);
    }
}
