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

/// One test per fixture, so one mismatch hides no other.
macro_rules! fixtures {
    ($($test:ident => $dir:literal,)*) => {
        $(
            #[test]
            fn $test() {
                run_fixture(&fixtures_root().join($dir));
            }
        )*

        /// Every fixture directory has its test above.
        #[test]
        fn every_fixture_has_a_test() {
            let listed = [$($dir),*];
            let mut dirs: Vec<String> = std::fs::read_dir(fixtures_root())
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.is_dir())
                .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
                .collect();
            dirs.sort();
            assert_eq!(dirs, listed, "add the new fixture to the list in tests/it/fixtures.rs");
        }
    };
}

fn fixtures_root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fixtures! {
    apply_outputs => "apply-outputs",
    diag_attribute_typo => "diag-attribute-typo",
    diag_count_and_for_each => "diag-count-and-for-each",
    diag_cycle => "diag-cycle",
    diag_for_each_list => "diag-for-each-list",
    diag_function_error => "diag-function-error",
    diag_k8s_typed_block => "diag-k8s-typed-block",
    diag_missing_module_input => "diag-missing-module-input",
    diag_missing_variable => "diag-missing-variable",
    diag_precondition => "diag-precondition",
    diag_provider_source => "diag-provider-source",
    diag_sensitive_output => "diag-sensitive-output",
    diag_syntax => "diag-syntax",
    diag_tfvars_type => "diag-tfvars-type",
    diag_unclosed_block => "diag-unclosed-block",
    diag_undeclared_resource => "diag-undeclared-resource",
    diag_undeclared_variable => "diag-undeclared-variable",
    diag_unknown_argument => "diag-unknown-argument",
    diag_unknown_function => "diag-unknown-function",
    diag_unknown_resource_type => "diag-unknown-resource-type",
    diag_validate_json => "diag-validate-json",
    diag_variable_type => "diag-variable-type",
    plan_create_kinds => "plan-create-kinds",
    plan_deferred => "plan-deferred",
    plan_destroy => "plan-destroy",
    plan_functions => "plan-functions",
    plan_k8s_batch => "plan-k8s-batch",
    plan_k8s_typed => "plan-k8s-typed",
    plan_no_changes => "plan-no-changes",
    plan_orphans => "plan-orphans",
    plan_reference => "plan-reference",
    plan_refresh_only => "plan-refresh-only",
    plan_update_text => "plan-update-text",
    show_state => "show-state",
}
