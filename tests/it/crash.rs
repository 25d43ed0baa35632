//! Crash safety: SIGKILL during a large apply leaves a valid state, and the next plan creates
//! exactly the remainder.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::Workdir;

/// `n_chains` chains of `len` terraform_data, each depending on the one before.
pub fn chains(n_chains: usize, len: usize) -> String {
    let mut s = String::new();
    for c in 0..n_chains {
        for i in 0..len {
            if i == 0 {
                s.push_str(&format!(
                    "resource \"terraform_data\" \"c{c}_{i}\" {{\n  input = \"chain-{c}\"\n}}\n"
                ));
            } else {
                s.push_str(&format!("resource \"terraform_data\" \"c{c}_{i}\" {{\n  input = \"${{terraform_data.c{c}_{}.output}}-{i}\"\n}}\n", i - 1));
            }
        }
    }
    s
}

fn plan_counts(text: &str) -> (usize, usize, usize) {
    let re = regex::Regex::new(r"Plan: (\d+) to add, (\d+) to change, (\d+) to destroy").unwrap();
    let c = re
        .captures(text)
        .unwrap_or_else(|| panic!("no plan summary in:\n{text}"));
    (
        c[1].parse().unwrap(),
        c[2].parse().unwrap(),
        c[3].parse().unwrap(),
    )
}

#[test]
fn sigkill_during_apply_keeps_every_finished_resource() {
    let total = 3000;
    let w = Workdir::new();
    w.write("main.tf", &chains(300, 10));
    let mut child = Command::new(crate::support::bin())
        .args(["apply", "-auto-approve", "-parallelism=4"])
        .current_dir(w.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once the journal holds some records, while it is still applying.
    let journal = w.path().join("mlform.tfstate.journal");
    let started = Instant::now();
    let mut killed = false;
    while started.elapsed() < Duration::from_secs(120) {
        if std::fs::metadata(&journal)
            .map(|m| m.len() > 40_000)
            .unwrap_or(false)
        {
            child.kill().unwrap();
            killed = true;
            break;
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = child.wait();
    assert!(
        killed,
        "the apply finished before it could be killed; make the test configuration larger"
    );

    // The state loads (snapshot + journal) and lists what finished.
    let done = w.addresses().len();
    assert!(done > 0 && done < total, "{done} of {total} recorded");
    let plan = w.ok(&["plan"]);
    assert_eq!(
        plan_counts(&plan.stdout),
        (total - done, 0, 0),
        "the next plan must create exactly the remainder"
    );
    // Finishing the apply converges.
    w.ok(&["apply", "-auto-approve"]);
    assert_eq!(w.addresses().len(), total);
    assert_eq!(w.run(&["plan", "-detailed-exitcode"]).code, 0);
    assert!(
        !journal.exists(),
        "the journal is folded into the snapshot at the end of a run"
    );
}
