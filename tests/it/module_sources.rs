//! Remote module sources: a module from a tagged bare git repository (made by the test) is
//! installed by `init` at its ref, with a subdirectory and a shallow clone, used by plan and
//! by a saved plan's apply, and moved forward by changing the ref; sources mlform does not
//! install yet are named in the error.

use std::path::Path;
use std::process::Command;

use crate::support::Workdir;

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=test",
            "-c",
            "user.email=test@example.com",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A bare repository with `modules/bucket` (calling `../naming`) tagged v1.0.0 and v2.0.0.
fn module_repo(root: &Path) -> std::path::PathBuf {
    let work = root.join("work");
    std::fs::create_dir_all(work.join("modules/bucket")).unwrap();
    std::fs::create_dir_all(work.join("modules/naming")).unwrap();
    git(&work, &["init", "--quiet"]);
    std::fs::write(
        work.join("modules/naming/main.tf"),
        "variable \"team\" {\n  type = string\n}\noutput \"prefix\" {\n  value = \"ml-${var.team}\"\n}\n",
    )
    .unwrap();
    let bucket = |suffix: &str| {
        format!("variable \"team\" {{\n  type = string\n}}\nmodule \"naming\" {{\n  source = \"../naming\"\n  team   = var.team\n}}\nresource \"terraform_data\" \"bucket\" {{\n  input = \"${{module.naming.prefix}}-{suffix}\"\n}}\noutput \"bucket\" {{\n  value = terraform_data.bucket.output\n}}\n")
    };
    std::fs::write(work.join("modules/bucket/main.tf"), bucket("data")).unwrap();
    git(&work, &["add", "."]);
    git(&work, &["commit", "--quiet", "-m", "v1"]);
    git(&work, &["tag", "v1.0.0"]);
    std::fs::write(work.join("modules/bucket/main.tf"), bucket("datasets")).unwrap();
    git(&work, &["commit", "--quiet", "-am", "v2"]);
    git(&work, &["tag", "v2.0.0"]);
    let bare = root.join("ml-modules.git");
    git(
        root,
        &[
            "clone",
            "--quiet",
            "--bare",
            work.to_str().unwrap(),
            bare.to_str().unwrap(),
        ],
    );
    bare
}

fn config(repo: &Path, reference: &str) -> String {
    format!(
        "module \"bucket\" {{\n  source = \"git::file://{}//modules/bucket?ref={reference}&depth=1\"\n  team   = \"vision\"\n}}\n\noutput \"bucket\" {{\n  value = module.bucket.bucket\n}}\n",
        repo.display()
    )
}

#[test]
fn git_module_installs_at_its_tag_and_moves_with_the_ref() {
    let repos = tempfile::tempdir().unwrap();
    let repo = module_repo(repos.path());
    let w = Workdir::new();
    w.write("main.tf", &config(&repo, "v1.0.0"));

    let r = w.run(&["plan"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("Module not installed") && r.stderr.contains("mlform init"),
        "{}",
        r.stderr
    );

    let init = w.ok(&["init"]);
    assert!(
        init.stdout.contains("Initializing modules..."),
        "{}",
        init.stdout
    );
    assert!(
        init.stdout
            .contains("- bucket in .mlform/modules/bucket/modules/bucket"),
        "{}",
        init.stdout
    );
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(w.path().join(".mlform/modules/modules.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["modules"][0]["key"], "bucket");
    assert_eq!(manifest["modules"][0]["commit"].as_str().unwrap().len(), 40);

    let applied = w.ok(&["apply", "-auto-approve"]);
    assert!(
        applied.stdout.contains("bucket = \"ml-vision-data\""),
        "{}",
        applied.stdout
    );

    // A new ref is a new source: plan asks for init, init installs it, plan shows the change.
    w.write("main.tf", &config(&repo, "v2.0.0"));
    assert_eq!(w.run(&["plan"]).code, 1);
    w.ok(&["init"]);
    let plan = w.ok(&["plan", "-out=p.plan"]);
    assert!(
        plan.stdout
            .contains("\"ml-vision-data\" -> \"ml-vision-datasets\""),
        "{}",
        plan.stdout
    );
    // The saved plan carries the installed module's files.
    let applied = w.ok(&["apply", "p.plan"]);
    assert!(applied.stdout.contains("1 changed"), "{}", applied.stdout);
}

#[test]
fn module_sources_not_installed_yet_are_named() {
    let w = Workdir::new();
    w.write(
        "main.tf",
        "module \"s3\" {\n  source  = \"terraform-aws-modules/s3-bucket/aws\"\n  version = \"4.1.0\"\n}\nmodule \"zip\" {\n  source = \"https://example.com/modules/net.zip\"\n}\n",
    );
    let r = w.run(&["validate"]);
    assert_eq!(r.code, 1);
    let text = r.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.contains("registry sources are not supported yet"),
        "{text}"
    );
    assert!(
        text.contains("HTTPS archive module sources are not supported yet"),
        "{text}"
    );
    let bad_ref = Workdir::new();
    bad_ref.write(
        "main.tf",
        "module \"m\" {\n  source = \"git::file:///nonexistent/repo.git?ref=v9\"\n}\n",
    );
    let r = bad_ref.run(&["init"]);
    assert_eq!(r.code, 1);
    let text = r.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains("Could not download module \"m\""), "{text}");
}
