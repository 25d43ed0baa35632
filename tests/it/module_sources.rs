//! Remote module sources: a module from a tagged bare git repository (made by the test) is
//! installed by `init` at its ref, with a subdirectory and a shallow clone, used by plan and
//! by a saved plan's apply, and moved forward by changing the ref; sources mlform does not
//! install yet are named in the error.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

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
        "module \"s3\" {\n  source  = \"terraform-aws-modules/s3-bucket/aws\"\n  version = \"4.1.0\"\n}\nmodule \"zip\" {\n  source = \"https://example.com/modules/net.zip\"\n}\nmodule \"hg\" {\n  source = \"hg::https://example.com/net\"\n}\nmodule \"pinned\" {\n  source  = \"git::https://example.com/net.git\"\n  version = \"1.0.0\"\n}\n",
    );
    let r = w.run(&["validate"]);
    assert_eq!(r.code, 1);
    insta::assert_snapshot!(r.snapshot());
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

/// A module registry on loopback over HTTPS, with a CA made for the test.
struct Registry {
    child: Child,
    port: u16,
    root: PathBuf,
    ca: PathBuf,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Registry {
    fn start(dir: &Path) -> Registry {
        let certs = dir.join("certs");
        std::fs::create_dir_all(&certs).unwrap();
        openssl(
            &certs,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "2",
                "-subj",
                "/CN=mlform test CA",
            ],
        );
        openssl(
            &certs,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=127.0.0.1",
            ],
        );
        std::fs::write(
            certs.join("ext.cnf"),
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        openssl(
            &certs,
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "server.pem",
                "-days",
                "2",
                "-extfile",
                "ext.cnf",
            ],
        );
        let root = dir.join("registry");
        std::fs::create_dir_all(&root).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/registry/server.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args([
                "--root",
                root.to_str().unwrap(),
                "--port",
                &port.to_string(),
            ])
            .args(["--cert", certs.join("server.pem").to_str().unwrap()])
            .args(["--key", certs.join("server.key").to_str().unwrap()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the registry");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready", "the registry did not start");
        Registry {
            child,
            port,
            root,
            ca: certs.join("ca.pem"),
        }
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn env(&self) -> [(&str, &str); 1] {
        [("SSL_CERT_FILE", self.ca.to_str().unwrap())]
    }

    /// Publishes `ID` (namespace/name/provider) at `version` as a tar.gz archive.
    fn publish(&self, id: &str, version: &str, suffix: &str) {
        let dir = self.root.join(id);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(format!("{version}.tar.gz")),
            tar_gz(&[("main.tf", &bucket_module(suffix))]),
        )
        .unwrap();
    }

    fn requests(&self) -> String {
        std::fs::read_to_string(self.root.join("requests.log")).unwrap_or_default()
    }
}

fn bucket_module(suffix: &str) -> String {
    format!("variable \"team\" {{\n  type = string\n}}\nresource \"terraform_data\" \"bucket\" {{\n  input = \"${{var.team}}-{suffix}\"\n}}\noutput \"bucket\" {{\n  value = terraform_data.bucket.output\n}}\n")
}

fn tar_gz(files: &[(&str, &str)]) -> Vec<u8> {
    let mut raw = Vec::new();
    {
        let gz = flate2::write::GzEncoder::new(&mut raw, flate2::Compression::default());
        let mut b = tar::Builder::new(gz);
        for (name, text) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(text.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, name, text.as_bytes()).unwrap();
        }
        b.into_inner().unwrap().finish().unwrap();
    }
    raw
}

fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut out);
        for (name, text) in files {
            z.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            std::io::Write::write_all(&mut z, text.as_bytes()).unwrap();
        }
        z.finish().unwrap();
    }
    out.into_inner()
}

fn registry_call(host: &str, version: &str) -> String {
    format!("module \"bucket\" {{\n  source  = \"{host}/acme/bucket/aws\"\n  version = \"{version}\"\n  team    = \"vision\"\n}}\noutput \"bucket\" {{\n  value = module.bucket.bucket\n}}\n")
}

#[test]
fn registry_module_installs_the_newest_version_its_constraint_accepts() {
    let tmp = Workdir::new();
    let reg = Registry::start(tmp.path());
    for (v, s) in [
        ("1.0.0", "v100"),
        ("1.2.0", "v120"),
        ("2.0.0", "v200"),
        ("2.1.0-beta", "beta"),
    ] {
        reg.publish("acme/bucket/aws", v, s);
    }
    let w = Workdir::new();
    w.write("main.tf", &registry_call(&reg.host(), "~> 1.0"));
    let r = w.run(&["plan"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("Module not installed"), "{}", r.stderr);
    let r = w.run_env(&["init"], &reg.env());
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains(&format!(
            "Downloading {}/acme/bucket/aws 1.2.0 for bucket...",
            reg.host()
        )),
        "{}",
        r.stdout
    );
    let applied = w.ok(&["apply", "-auto-approve"]);
    assert!(applied.stdout.contains("vision-v120"), "{}", applied.stdout);
    // Discovery, versions, download, then the archive the download named.
    let log = reg.requests();
    for path in [
        "/.well-known/terraform.json",
        "/v1/modules/acme/bucket/aws/versions",
        "/v1/modules/acme/bucket/aws/1.2.0/download",
        "/archives/acme/bucket/aws/1.2.0.tar.gz",
    ] {
        assert!(log.contains(path), "{path} not requested:\n{log}");
    }
    // A constraint the installed version no longer meets needs init; prereleases are
    // taken only when named.
    w.write("main.tf", &registry_call(&reg.host(), ">= 2.0"));
    let r = w.run(&["plan"]);
    assert!(r.stderr.contains("Module not installed"), "{}", r.stderr);
    let r = w.run_env(&["init"], &reg.env());
    assert!(r.stdout.contains("aws 2.0.0 for bucket"), "{}", r.stdout);
    let manifest = std::fs::read_to_string(w.path().join(".mlform/modules/modules.json")).unwrap();
    assert!(manifest.contains("\"version\": \"2.0.0\""), "{manifest}");
    w.write("main.tf", &registry_call(&reg.host(), "= 2.1.0-beta"));
    let r = w.run_env(&["init"], &reg.env());
    assert!(
        r.stdout.contains("aws 2.1.0-beta for bucket"),
        "{}",
        r.stdout
    );
    // -upgrade moves forward within the constraint.
    reg.publish("acme/bucket/aws", "1.3.0", "v130");
    w.write("main.tf", &registry_call(&reg.host(), "~> 1.0"));
    w.ok_env(&["init"], &reg.env());
    let r = w.run_env(&["init", "-upgrade"], &reg.env());
    assert!(r.stdout.contains("aws 1.3.0 for bucket"), "{}", r.stdout);
    // No version matches: the error lists what there is.
    w.write("main.tf", &registry_call(&reg.host(), "~> 9.0"));
    let r = w.run_env(&["init"], &reg.env());
    assert_eq!(r.code, 1);
    let text = r.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.contains("There is no available version of module"),
        "{text}"
    );
    assert!(text.contains("1.3.0, 1.2.0, 1.0.0"), "{text}");
    // Without the test CA the registry's certificate is refused.
    w.write("main.tf", &registry_call(&reg.host(), "~> 1.0"));
    let r = w.run_env(&["init", "-upgrade"], &[("SSL_CERT_FILE", "/dev/null")]);
    assert_eq!(r.code, 1);
    let text = r.stderr.to_lowercase();
    assert!(text.contains("certificate"), "{}", r.stderr);
}

#[test]
fn registry_download_can_name_a_git_repository_and_a_subdirectory() {
    let tmp = Workdir::new();
    let reg = Registry::start(tmp.path());
    let bare = module_repo(tmp.path());
    let dir = reg.root.join("acme/bucket/aws");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("1.0.0.location"),
        format!("git::file://{}?ref=v1.0.0", bare.display()),
    )
    .unwrap();
    let w = Workdir::new();
    w.write(
        "main.tf",
        &format!("module \"bucket\" {{\n  source  = \"{}/acme/bucket/aws//modules/bucket\"\n  version = \"1.0.0\"\n  team    = \"nlp\"\n}}\noutput \"bucket\" {{\n  value = module.bucket.bucket\n}}\n", reg.host()),
    );
    let r = w.run_env(&["init"], &reg.env());
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("- bucket in .mlform/modules/bucket/modules/bucket"),
        "{}",
        r.stdout
    );
    let applied = w.ok(&["apply", "-auto-approve"]);
    assert!(applied.stdout.contains("ml-nlp-data"), "{}", applied.stdout);
}

#[test]
fn archive_sources_over_https_unpack_tar_gz_and_zip() {
    let tmp = Workdir::new();
    let reg = Registry::start(tmp.path());
    let files = reg.root.join("files");
    std::fs::create_dir_all(&files).unwrap();
    std::fs::write(
        files.join("bucket.tgz"),
        tar_gz(&[("modules/bucket/main.tf", &bucket_module("tgz"))]),
    )
    .unwrap();
    std::fs::write(
        files.join("bucket.zip"),
        zip_of(&[("main.tf", &bucket_module("zip"))]),
    )
    .unwrap();
    std::fs::write(files.join("evil.zip"), zip_of(&[("../../escape.tf", "x")])).unwrap();
    let w = Workdir::new();
    w.write(
        "main.tf",
        &format!("module \"a\" {{\n  source = \"https://{0}/archives/files/bucket.tgz//modules/bucket\"\n  team   = \"t\"\n}}\nmodule \"b\" {{\n  source = \"https://{0}/archives/files/bucket.zip\"\n  team   = \"t\"\n}}\noutput \"a\" {{\n  value = module.a.bucket\n}}\noutput \"b\" {{\n  value = module.b.bucket\n}}\n", reg.host()),
    );
    let r = w.run_env(&["init"], &reg.env());
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let applied = w.ok(&["apply", "-auto-approve"]);
    assert!(
        applied.stdout.contains("t-tgz") && applied.stdout.contains("t-zip"),
        "{}",
        applied.stdout
    );
    // An archive whose entries climb out of the module directory is refused.
    let evil = Workdir::new();
    evil.write(
        "main.tf",
        &format!(
            "module \"e\" {{\n  source = \"https://{}/archives/files/evil.zip\"\n}}\n",
            reg.host()
        ),
    );
    let r = evil.run_env(&["init"], &reg.env());
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("outside the module directory"),
        "{}",
        r.stderr
    );
    assert!(!evil.path().join(".mlform/escape.tf").exists());
}

#[test]
fn s3_archive_source_from_the_emulator() {
    let moto = crate::aws::Moto::start();
    let s3 = moto.s3();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(s3.create_bucket().bucket("ml-modules").send())
        .unwrap();
    rt.block_on(
        s3.put_object()
            .bucket("ml-modules")
            .key("bucket/v1.tar.gz")
            .body(tar_gz(&[("main.tf", &bucket_module("s3"))]).into())
            .send(),
    )
    .unwrap();
    let w = Workdir::new();
    w.write(
        "main.tf",
        &format!("module \"m\" {{\n  source = \"s3::{}/ml-modules/bucket/v1.tar.gz?region=us-east-1\"\n  team   = \"cv\"\n}}\noutput \"b\" {{\n  value = module.m.bucket\n}}\n", moto.url),
    );
    let env = [
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
    ];
    let r = w.run_env(&["init"], &env);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let applied = w.ok(&["apply", "-auto-approve"]);
    assert!(applied.stdout.contains("cv-s3"), "{}", applied.stdout);
}
