//! Terraform 1.11's function and language reference
//! (`../shared/reference/terraform-1.11-functions/`): every output expression is evaluated
//! by mlform on its own (so one unsupported function does not hide the others) and its value
//! compared with what Terraform computed. Number outputs are compared digit for digit, as
//! Terraform prints them; other values as JSON.
//!
//! `tests/functions-known-differences.txt` lists the cases mlform does not match yet. The
//! test fails when a case outside the list differs, and when a listed case starts to match
//! (take it off the list), so the list only shrinks.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::support::{copy_dir, Workdir};

fn reference() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/terraform-1.11-functions")
}

/// The shared head of main.tf (terraform block and locals) and each output block by name.
fn cases() -> (String, Vec<(String, String)>) {
    let text = std::fs::read_to_string(reference().join("main.tf")).expect("reference main.tf");
    let mut parts = text.split("\noutput \"");
    let head = parts.next().unwrap().to_string();
    let blocks = parts
        .map(|p| {
            let name = p.split('"').next().unwrap().to_string();
            (name, format!("output \"{p}"))
        })
        .collect();
    (head, blocks)
}

/// The number as Terraform printed it in outputs.json, for number-typed outputs.
fn terraform_number_tokens(raw: &str) -> BTreeMap<String, String> {
    let re = regex::Regex::new(
        r#""([a-z0-9_]+)": \{\s*"sensitive": (?:true|false),\s*"type": "number",\s*"value": (-?[0-9][0-9.eE+-]*)"#,
    )
    .unwrap();
    re.captures_iter(raw)
        .map(|c| (c[1].to_string(), c[2].to_string()))
        .collect()
}

fn evaluate(head: &str, block: &str) -> Result<Option<serde_json::Value>, String> {
    let w = Workdir::new();
    copy_dir(&reference(), w.path());
    std::fs::remove_file(w.path().join("main.tf")).unwrap();
    for f in ["README.md", "outputs.json", "errors.tf.txt"] {
        let _ = std::fs::remove_file(w.path().join(f));
    }
    w.write("main.tf", &format!("{head}\n{block}\n"));
    let r = w.run(&["apply", "-auto-approve"]);
    if r.code != 0 {
        return Err(r.stderr.lines().take(3).collect::<Vec<_>>().join(" / "));
    }
    let state = w.state();
    Ok(state["outputs"]
        .as_object()
        .and_then(|o| o.values().next())
        .map(|o| o["value"]["value"].clone()))
}

#[test]
fn every_function_matches_terraform() {
    let (head, blocks) = cases();
    let raw = std::fs::read_to_string(reference().join("outputs.json")).unwrap();
    let expected: serde_json::Value = serde_json::from_str(&raw).unwrap();
    let numbers = terraform_number_tokens(&raw);
    let known: BTreeSet<String> = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/functions-known-differences.txt"),
    )
    .unwrap()
    .lines()
    .map(|l| l.split('#').next().unwrap().trim().to_string())
    .filter(|l| !l.is_empty())
    .collect();
    let results: Vec<(String, Result<(), String>)> = std::thread::scope(|s| {
        let chunks: Vec<&[(String, String)]> = blocks.chunks(blocks.len().div_ceil(4)).collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                let (head, expected, numbers) = (&head, &expected, &numbers);
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|(name, block)| {
                            let want = expected.get(name).map(|o| &o["value"]);
                            let outcome = match (evaluate(head, block), want) {
                                (Err(e), _) => Err(format!("error: {e}")),
                                (Ok(got), None) if got.as_ref().is_none_or(|v| v.is_null()) => {
                                    Ok(())
                                }
                                (Ok(got), None) => {
                                    Err(format!("Terraform: no output (null); mlform: {got:?}"))
                                }
                                (Ok(None), Some(w)) => {
                                    Err(format!("Terraform: {w}; mlform: no output"))
                                }
                                (Ok(Some(got)), Some(w)) => match numbers.get(name) {
                                    Some(token) if got.to_string() != *token => {
                                        Err(format!("Terraform: {token}; mlform: {got}"))
                                    }
                                    _ if got != *w => Err(format!("Terraform: {w}; mlform: {got}")),
                                    _ => Ok(()),
                                },
                            };
                            (name.clone(), outcome)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let mut unexpected = Vec::new();
    let mut now_matching = Vec::new();
    for (name, outcome) in &results {
        match (outcome, known.contains(name)) {
            (Err(e), false) => unexpected.push(format!("{name}: {e}")),
            (Ok(()), true) => now_matching.push(name.clone()),
            _ => {}
        }
    }
    let differing = results.iter().filter(|(_, o)| o.is_err()).count();
    eprintln!(
        "{} of {} reference cases match Terraform",
        results.len() - differing,
        results.len()
    );
    assert!(
        unexpected.is_empty() && now_matching.is_empty(),
        "Cases that differ from Terraform and are not listed as known:\n{}\n\nListed cases that now match (remove them from tests/functions-known-differences.txt):\n{}",
        unexpected.join("\n"),
        now_matching.join("\n")
    );
}
