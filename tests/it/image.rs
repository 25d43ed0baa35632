//! The serving image, built and pushed by mlform with no container engine: builds are
//! deterministic, the image carries every library it loads (its entrypoint answers /ping in
//! a chroot of its unpacked layers), Debian's docker-registry takes the push and skopeo reads
//! it back, and Docker runs it the way SageMaker does (`docker run IMAGE serve`, port 8080),
//! where Triton's clients reach it over HTTP and gRPC (port 8081).

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value as J};

use crate::serve::{models, ort_library};
use crate::support::{bin, Workdir};

pub(crate) fn server_bin() -> PathBuf {
    bin().with_file_name("mlform-serve")
}

/// Builds an image into `out` and returns the digest printed.
pub(crate) fn build(w: &Workdir, out: &str, model: Option<&Path>) -> String {
    let mut args = vec![
        "image".to_string(),
        "build".into(),
        format!("-output={out}"),
        format!("-server={}", server_bin().display()),
        format!("-ort-library={}", ort_library().display()),
    ];
    if let Some(m) = model {
        args.push(format!("-model={}", m.display()));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = w.run(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let digest = run.stdout.trim().to_string();
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{digest}"
    );
    digest
}

fn read_json(p: &Path) -> J {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn blob(layout: &Path, digest: &str) -> Vec<u8> {
    std::fs::read(
        layout
            .join("blobs/sha256")
            .join(digest.trim_start_matches("sha256:")),
    )
    .unwrap()
}

/// Whether a tool the harness installs (or, for the Docker daemon, checks) answers; outside
/// CI a missing one skips the test.
pub(crate) fn have(tool: &str, check: &[&str]) -> bool {
    let ok = Command::new(tool)
        .args(check)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "{tool} {} does not answer in CI (.ci/run installs or checks it)",
            check.join(" ")
        );
        eprintln!(
            "skipped: {tool} {} does not answer here (.ci/run installs or checks it)",
            check.join(" ")
        );
    }
    ok
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One request on its own connection: status and body, or `None` while nothing answers.
fn request(addr: &str, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    std::io::Write::write_all(
        &mut s,
        format!("{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).as_bytes(),
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    let status = out.split_whitespace().nth(1)?.parse().ok()?;
    Some((
        status,
        out.split_once("\r\n\r\n")
            .map(|x| x.1.to_string())
            .unwrap_or_default(),
    ))
}

fn get(addr: &str, path: &str) -> Option<(u16, String)> {
    request(addr, "GET", path, "")
}

fn post(addr: &str, path: &str, body: &J) -> Option<(u16, String)> {
    request(addr, "POST", path, &body.to_string())
}

fn wait_for_ping(addr: &str, child: &mut Option<&mut Child>) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some((200, _)) = get(addr, "/ping") {
            return;
        }
        if let Some(c) = child.as_mut() {
            if let Ok(Some(status)) = c.try_wait() {
                let mut err = String::new();
                if let Some(e) = c.stderr.as_mut() {
                    let _ = e.read_to_string(&mut err);
                }
                panic!("the server exited with {status}: {err}");
            }
        }
        assert!(Instant::now() < deadline, "no /ping answer at {addr}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn builds_are_deterministic_and_the_layout_is_complete() {
    let w = Workdir::new();
    let a = build(&w, "a", None);
    let b = build(&w, "b", None);
    assert_eq!(a, b, "the same inputs must give the same digest");
    let with_model = build(&w, "m", Some(&models().join("mlp.onnx")));
    assert_ne!(a, with_model);

    let layout = w.path().join("m");
    assert_eq!(
        read_json(&layout.join("oci-layout")),
        json!({"imageLayoutVersion": "1.0.0"})
    );
    let index = read_json(&layout.join("index.json"));
    assert_eq!(index["manifests"][0]["digest"], with_model.as_str());
    let manifest: J = serde_json::from_slice(&blob(&layout, &with_model)).unwrap();
    assert_eq!(
        manifest["mediaType"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    let config: J = serde_json::from_slice(&blob(
        &layout,
        manifest["config"]["digest"].as_str().unwrap(),
    ))
    .unwrap();
    assert_eq!(config["config"]["Cmd"], json!(["serve"]));
    assert_eq!(
        config["config"]["ExposedPorts"],
        json!({"8080/tcp": {}, "8081/tcp": {}})
    );
    assert_eq!(manifest["layers"].as_array().unwrap().len(), 2);

    // The model layer holds the model under /opt/ml/model; the runtime layer every library
    // the server and ONNX Runtime load, and the program interpreter.
    let names = |digest: &str| -> Vec<String> {
        let gz = flate2::read::GzDecoder::new(std::io::Cursor::new(blob(&layout, digest)));
        let mut archive = tar::Archive::new(gz);
        archive
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().to_string_lossy().to_string())
            .collect()
    };
    let model_layer = names(manifest["layers"][1]["digest"].as_str().unwrap());
    assert!(
        model_layer.contains(&"opt/ml/model/mlp.onnx".to_string()),
        "{model_layer:?}"
    );
    let runtime_layer = names(manifest["layers"][0]["digest"].as_str().unwrap());
    for needed in [
        "usr/local/bin/mlform-serve",
        "usr/lib/mlform/libonnxruntime.so.1.32.0",
        "usr/lib/mlform/libc.so.6",
        "usr/lib/mlform/libstdc++.so.6",
        "lib64/ld-linux-x86-64.so.2",
    ] {
        assert!(
            runtime_layer.contains(&needed.to_string()),
            "{needed} missing: {runtime_layer:?}"
        );
    }

    // A tarball holds the same image.
    let t = w.run(&[
        "image",
        "build",
        "-output=image.tar",
        &format!("-server={}", server_bin().display()),
        &format!("-ort-library={}", ort_library().display()),
    ]);
    assert_eq!(t.code, 0, "{}", t.stderr);
    assert_eq!(t.stdout.trim(), a);
}

/// Unpacks the image's layers into a directory, as a container runtime would.
fn unpack(layout: &Path, digest: &str, root: &Path) -> J {
    let manifest: J = serde_json::from_slice(&blob(layout, digest)).unwrap();
    for l in manifest["layers"].as_array().unwrap() {
        let gz = flate2::read::GzDecoder::new(std::io::Cursor::new(blob(
            layout,
            l["digest"].as_str().unwrap(),
        )));
        let mut archive = tar::Archive::new(gz);
        archive.set_preserve_permissions(true);
        archive.unpack(root).unwrap();
    }
    serde_json::from_slice(&blob(
        layout,
        manifest["config"]["digest"].as_str().unwrap(),
    ))
    .unwrap()
}

#[test]
fn the_unpacked_image_answers_ping_in_a_chroot() {
    let uid = Command::new("id").arg("-u").output().unwrap();
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        assert!(
            std::env::var_os("CI").is_none(),
            "the chroot test needs root in CI"
        );
        eprintln!("skipped: chroot needs root");
        return;
    }
    let w = Workdir::new();
    let digest = build(&w, "img", Some(&models().join("mlp.onnx")));
    let root = w.path().join("rootfs");
    std::fs::create_dir_all(&root).unwrap();
    let config = unpack(&w.path().join("img"), &digest, &root);
    let port = free_port();
    // The child's PATH is the image's, so the host's chroot is named by its path.
    let chroot = ["/usr/sbin/chroot", "/usr/bin/chroot"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("chroot");
    let mut cmd = Command::new(chroot);
    cmd.arg(&root);
    for part in config["config"]["Entrypoint"].as_array().unwrap() {
        cmd.arg(part.as_str().unwrap());
    }
    for part in config["config"]["Cmd"].as_array().unwrap() {
        cmd.arg(part.as_str().unwrap());
    }
    cmd.args([
        "--host",
        "127.0.0.1",
        "--port",
        &port.to_string(),
        "--grpc-port",
        "0",
    ]);
    cmd.env_clear();
    for e in config["config"]["Env"].as_array().unwrap() {
        let (k, v) = e.as_str().unwrap().split_once('=').unwrap();
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let addr = format!("127.0.0.1:{port}");
    wait_for_ping(&addr, &mut Some(&mut child));
    let (status, body) = post(
        &addr,
        "/invocations",
        &json!({"instances": [vec![0.25; 64]]}),
    )
    .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("predictions"), "{body}");
}

pub(crate) struct Registry(Child);

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_registry(dir: &Path) -> (Registry, String) {
    start_registry_with(dir, None)
}

/// Debian's docker-registry on a free loopback port; with an htpasswd file, it asks for
/// Basic authentication.
pub(crate) fn start_registry_with(dir: &Path, htpasswd: Option<&Path>) -> (Registry, String) {
    let port = free_port();
    let config = dir.join("registry.yml");
    let auth = htpasswd
        .map(|p| {
            format!(
                "auth:\n  htpasswd:\n    realm: mlform-tests\n    path: {}\n",
                p.display()
            )
        })
        .unwrap_or_default();
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nstorage:\n  delete:\n    enabled: true\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\nlog:\n  level: warn\n{auth}",
            dir.join("storage").display()
        ),
    )
    .unwrap();
    let child = Command::new("docker-registry")
        .arg("serve")
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let addr = format!("127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while get(&addr, "/v2/").is_none() {
        assert!(Instant::now() < deadline, "docker-registry did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    (Registry(child), addr)
}

#[test]
fn push_to_a_registry_and_skopeo_reads_it_back() {
    if !have("docker-registry", &["--version"]) || !have("skopeo", &["--version"]) {
        return;
    }
    let w = Workdir::new();
    let digest = build(&w, "img", Some(&models().join("mlp.onnx")));
    let (_registry, addr) = start_registry(w.path());
    let target = format!("{addr}/models/mlp:v1");
    let push = w.run(&["image", "push", "img", &target]);
    assert_eq!(push.code, 0, "{}", push.stderr);
    assert_eq!(push.stdout.trim(), digest);
    // A second push finds every blob there and stores the same digest.
    let again = w.run(&["image", "push", "img", &target]);
    assert_eq!(again.stdout.trim(), digest, "{}", again.stderr);

    let inspect = Command::new("skopeo")
        .args([
            "inspect",
            "--tls-verify=false",
            &format!("docker://{target}"),
        ])
        .output()
        .unwrap();
    assert!(
        inspect.status.success(),
        "{}",
        String::from_utf8_lossy(&inspect.stderr)
    );
    let info: J = serde_json::from_slice(&inspect.stdout).unwrap();
    assert_eq!(info["Digest"], digest.as_str());
    assert_eq!(info["Layers"].as_array().unwrap().len(), 2);
    assert_eq!(info["Architecture"], "amd64");

    let copied = w.path().join("copied");
    let copy = Command::new("skopeo")
        .args([
            "copy",
            "--src-tls-verify=false",
            &format!("docker://{target}"),
        ])
        .arg(format!("oci:{}:v1", copied.display()))
        .output()
        .unwrap();
    assert!(
        copy.status.success(),
        "{}",
        String::from_utf8_lossy(&copy.stderr)
    );
    let index = read_json(&copied.join("index.json"));
    assert_eq!(index["manifests"][0]["digest"], digest.as_str());

    // A bad reference and an unreachable registry are clear errors.
    let bad = w.run(&["image", "push", "img", "mlp:v1"]);
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.contains("HOST[:PORT]/REPOSITORY[:TAG]"),
        "{}",
        bad.stderr
    );
    let gone = w.run(&[
        "image",
        "push",
        "img",
        &format!("127.0.0.1:{}/x:y", free_port()),
    ]);
    assert_eq!(gone.code, 1);
    assert!(
        gone.stderr.contains("cannot reach the registry"),
        "{}",
        gone.stderr
    );
}

#[test]
fn docker_runs_the_image_as_sagemaker_does() {
    if !have("docker", &["info"]) {
        return;
    }
    let w = Workdir::new();
    let name = format!("mlform-serve-test:{}", std::process::id());
    let t = w.run(&[
        "image",
        "build",
        "-output=image.tar",
        &format!("-name={name}"),
        &format!("-server={}", server_bin().display()),
        &format!("-ort-library={}", ort_library().display()),
        &format!("-model={}", models().join("mlp.onnx").display()),
    ]);
    assert_eq!(t.code, 0, "{}", t.stderr);
    let load = Command::new("docker")
        .args(["load", "-i"])
        .arg(w.path().join("image.tar"))
        .output()
        .unwrap();
    assert!(
        load.status.success(),
        "{}",
        String::from_utf8_lossy(&load.stderr)
    );
    let port = free_port();
    let grpc_port = free_port();
    let container = format!("mlform-serve-test-{}", std::process::id());
    let run = Command::new("docker")
        .args(["run", "-d", "--rm", "--name", &container, "-p"])
        .arg(format!("127.0.0.1:{port}:8080"))
        .arg("-p")
        .arg(format!("127.0.0.1:{grpc_port}:8081"))
        .args([&name, "serve"])
        .output()
        .unwrap();
    struct Cleanup(String, String);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            let _ = Command::new("docker").args(["rm", "-f", &self.0]).output();
            let _ = Command::new("docker").args(["rmi", "-f", &self.1]).output();
        }
    }
    let _cleanup = Cleanup(container.clone(), name.clone());
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let addr = format!("127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !matches!(get(&addr, "/ping"), Some((200, _))) {
        if Instant::now() > deadline {
            let logs = Command::new("docker")
                .args(["logs", &container])
                .output()
                .unwrap();
            panic!("no /ping answer: {}", String::from_utf8_lossy(&logs.stderr));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let (status, body) = post(
        &addr,
        "/invocations",
        &json!({"instances": [vec![0.25; 64]]}),
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("predictions"), "{body}");
    let triton = Command::new(crate::serve_clients::tritonclient_python())
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/serve/triton_clients.py"))
        .arg(&addr)
        .arg(format!("127.0.0.1:{grpc_port}"))
        .arg(models().join("expected.json"))
        .output()
        .unwrap();
    assert!(
        triton.status.success(),
        "{}{}",
        String::from_utf8_lossy(&triton.stdout),
        String::from_utf8_lossy(&triton.stderr)
    );
}

pub(crate) fn skopeo_digest(target: &str) -> Option<String> {
    skopeo_digest_as(target, None)
}

/// The digest `skopeo inspect` reads for `target`, logging in as `USER:PASSWORD` if given.
pub(crate) fn skopeo_digest_as(target: &str, creds: Option<&str>) -> Option<String> {
    let mut cmd = Command::new("skopeo");
    cmd.args(["inspect", "--tls-verify=false"]);
    if let Some(c) = creds {
        cmd.arg(format!("--creds={c}"));
    }
    let out = cmd.arg(format!("docker://{target}")).output().unwrap();
    if !out.status.success() {
        return None;
    }
    let info: J = serde_json::from_slice(&out.stdout).unwrap();
    info["Digest"].as_str().map(str::to_string)
}

#[test]
fn serving_image_resource_pushes_at_apply_and_plans_the_rollout() {
    if !have("docker-registry", &["--version"]) || !have("skopeo", &["--version"]) {
        return;
    }
    let w = Workdir::new();
    let (_registry, addr) = start_registry(w.path());
    std::fs::copy(models().join("mlp.onnx"), w.path().join("model.onnx")).unwrap();
    w.write(
        "main.tf",
        &format!(
            r#"
resource "mlform_serving_image" "scorer" {{
  repository  = "{addr}/models/scorer"
  tag         = "v1"
  model       = "${{path.module}}/model.onnx"
  server      = "{server}"
  ort_library = "{ort}"
}}

resource "terraform_data" "endpoint" {{
  input = mlform_serving_image.scorer.uri
}}

output "uri" {{
  value = mlform_serving_image.scorer.uri
}}
"#,
            server = server_bin().display(),
            ort = ort_library().display()
        ),
    );
    let built = build(&w, "local", Some(&w.path().join("model.onnx")));
    let plan = w.run(&["plan", "-no-color"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(
        plan.stdout
            .lines()
            .any(|l| l.contains("+ digest") && l.contains(&built)),
        "the digest is known at plan:\n{}",
        plan.stdout
    );
    let apply = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    let target = format!("{addr}/models/scorer:v1");
    assert_eq!(skopeo_digest(&target).as_deref(), Some(built.as_str()));
    let out = w.ok(&["output", "-raw", "uri"]);
    assert_eq!(out.stdout, format!("{addr}/models/scorer@{built}"));
    let again = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);

    // A new model: a new digest at plan, the dependents follow, the signature change shows.
    std::fs::copy(models().join("dir/adder.onnx"), w.path().join("model.onnx")).unwrap();
    let rollout = w.run(&["plan", "-no-color"]);
    assert_eq!(rollout.code, 0, "{}", rollout.stderr);
    for needed in [
        "~ digest",
        "terraform_data.endpoint will be updated in-place",
        "mlform_serving_image.scorer (./model.onnx):",
        "- input features FP32 [batch, 64]  breaking",
    ] {
        assert!(
            rollout.stdout.contains(needed),
            "{needed}:\n{}",
            rollout.stdout
        );
    }
    let apply = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    let new_digest = skopeo_digest(&target).unwrap();
    assert_ne!(new_digest, built);

    // Destroy deletes it from the registry (keep_remotely is false).
    let destroy = w.run(&["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(destroy.code, 0, "{}{}", destroy.stdout, destroy.stderr);
    assert_eq!(skopeo_digest(&target), None);
}
