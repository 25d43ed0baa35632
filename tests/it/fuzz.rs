//! A bounded fuzz run over the HCL loader and evaluator: the fixtures' configurations and
//! Terraform's function reference, mutated (bytes cut, repeated, or replaced by characters
//! that matter to HCL), are validated and planned in-process. Any outcome but a panic is
//! fine: a mutated file is usually an error, and the error must be rendered, not crash.

use std::path::{Path, PathBuf};

use proptest::prelude::*;

fn seeds() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("tests/fixtures"))
        .unwrap()
        .map(|e| e.unwrap().path().join("main.tf"))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let mut texts: Vec<String> = files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    // Slices of the function reference: many functions and syntax forms in little text.
    let functions = root.join("../shared/reference/terraform-1.11-functions/main.tf");
    let text = std::fs::read_to_string(&functions)
        .unwrap_or_else(|e| panic!("{}: {e}", functions.display()));
    let blocks: Vec<&str> = text.split("\noutput ").collect();
    for chunk in blocks.chunks(40) {
        texts.push(chunk.join("\noutput "));
    }
    texts
}

#[derive(Debug, Clone)]
enum Mutation {
    Cut(usize, usize),
    Repeat(usize, usize),
    Insert(usize, &'static str),
}

const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "\"",
    "${",
    "%{",
    "<<EOT\n",
    "\nEOT\n",
    "=",
    ".",
    "*",
    ",",
    "\n",
    "#",
    "/*",
    "\\",
    "9223372036854775807",
    "-1",
    "1e308",
    "null",
    "...",
    "=>",
    "?",
    ":",
    "var.x",
    "local.",
    "each.",
    "count.index",
    "self",
    "\u{0301}",
    "\u{10FFFF}",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1usize..64).prop_map(|(a, n)| Mutation::Cut(a, n)),
        (any::<usize>(), 1usize..64).prop_map(|(a, n)| Mutation::Repeat(a, n)),
        (any::<usize>(), proptest::sample::select(TOKENS))
            .prop_map(|(a, t)| Mutation::Insert(a, t)),
    ]
}

fn apply(text: &str, muts: &[Mutation]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for m in muts {
        let len = bytes.len().max(1);
        match *m {
            Mutation::Cut(a, n) => {
                let a = a % len;
                let b = (a + n).min(bytes.len());
                if a < b {
                    bytes.drain(a..b);
                }
            }
            Mutation::Repeat(a, n) => {
                let a = a % len;
                let b = (a + n).min(bytes.len());
                if a < b {
                    let piece = bytes[a..b].to_vec();
                    bytes.splice(b..b, piece);
                }
            }
            Mutation::Insert(a, t) => {
                let a = a % len.min(bytes.len() + 1).max(1);
                let a = a.min(bytes.len());
                bytes.splice(a..a, t.bytes());
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_configurations_never_panic(
        seed in any::<prop::sample::Index>(),
        muts in proptest::collection::vec(mutation(), 1..4),
    ) {
        let seeds = seeds();
        let text = apply(&seeds[seed.index(seeds.len())], &muts);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.tf"), &text).unwrap();
        let chdir = format!("-chdir={}", dir.path().display());
        for command in ["validate", "plan"] {
            let code = mlform::cli::run(vec!["mlform".into(), chdir.clone(), command.into(), "-no-color".into()]);
            prop_assert!(code == 0 || code == 1 || code == 2, "exit {code} for:\n{text}");
        }
    }
}
