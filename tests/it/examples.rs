//! Examples stay alive: every directory under `examples/` validates and plans (AWS ones
//! against the local emulator), and the
//! quickstart applies and then plans clean.

use std::path::Path;

use crate::support::{copy_dir, Workdir};

#[test]
fn every_example_validates_and_plans() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut seen = 0;
    for entry in std::fs::read_dir(root.join("examples")).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir()
            || !std::fs::read_dir(&dir)
                .unwrap()
                .any(|e| e.unwrap().path().extension().is_some_and(|x| x == "tf"))
        {
            continue;
        }
        // Copy the example and the shared modules side by side, as in the repository.
        let w = Workdir::new();
        let name = dir.file_name().unwrap();
        copy_dir(&dir, &w.path().join("examples").join(name));
        copy_dir(&root.join("modules"), &w.path().join("modules"));
        let chdir = format!("-chdir=examples/{}", name.to_string_lossy());
        w.ok(&[&chdir, "validate"]);
        // AWS examples plan against the local emulator.
        let uses_emulator = std::fs::read_dir(&dir).unwrap().any(|e| {
            std::fs::read_to_string(e.unwrap().path()).is_ok_and(|t| t.contains("var.aws_endpoint"))
        });
        if uses_emulator {
            let moto = crate::aws::Moto::start();
            let var = format!("aws_endpoint={}", moto.url);
            w.ok(&[&chdir, "plan", "-var", &var]);
        } else {
            w.ok(&[&chdir, "plan"]);
        }
        seen += 1;
    }
    assert!(seen >= 1);
}

#[test]
fn quickstart_applies_and_converges() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let w = Workdir::new();
    copy_dir(
        &root.join("examples/quickstart"),
        &w.path().join("examples/quickstart"),
    );
    copy_dir(&root.join("modules"), &w.path().join("modules"));
    let r = w.ok(&["-chdir=examples/quickstart", "apply", "-auto-approve"]);
    assert!(
        r.stdout.contains("Apply complete! Resources: 7 added"),
        "{}",
        r.stdout
    );
    assert_eq!(
        w.run(&["-chdir=examples/quickstart", "plan", "-detailed-exitcode"])
            .code,
        0
    );
    let r = w.ok(&["-chdir=examples/quickstart", "destroy", "-auto-approve"]);
    assert!(r.stdout.contains("7 destroyed"), "{}", r.stdout);
}
