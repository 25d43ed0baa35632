//! Building the serving image: one layer with the server binary, ONNX Runtime and the
//! shared libraries both load (found with `ldd`, so the image runs on a bare kernel), and an
//! optional second layer with a model under /opt/ml/model. Every tar header has fixed
//! owner, mode and time, entries are sorted and the config has no build time, so the same
//! inputs always give the same digest.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::json;

use crate::{sha256, Blob, Image, ImageError, CONFIG_TYPE, LAYER_TYPE};

/// Where things go inside the image.
pub const SERVER_PATH: &str = "usr/local/bin/mlform-serve";
pub const LIB_DIR: &str = "usr/lib/mlform";
pub const MODEL_DIR: &str = "opt/ml/model";
/// The user the server runs as (no passwd entry needed).
pub const USER: &str = "10001";
pub const HTTP_PORT: u16 = 8080;
pub const GRPC_PORT: u16 = 8081;

/// What goes into an image.
#[derive(Debug, Clone)]
pub struct BuildSpec {
    /// The `mlform-serve` binary.
    pub server: PathBuf,
    /// libonnxruntime.so.
    pub ort_library: PathBuf,
    /// A model baked in under /opt/ml/model.
    pub model: Option<PathBuf>,
}

enum Entry {
    Dir,
    File { bytes: Vec<u8>, mode: u32 },
}

fn read(path: &Path) -> Result<Vec<u8>, ImageError> {
    std::fs::read(path).map_err(|source| ImageError::Read {
        path: path.display().to_string(),
        source,
    })
}

/// The shared libraries `path` loads, as `ldd` resolves them: (file name, host path), and
/// the program interpreter (its absolute path) if any.
fn shared_libraries(path: &Path) -> Result<(Vec<(String, PathBuf)>, Option<PathBuf>), ImageError> {
    let out = Command::new("ldd").arg(path).output().map_err(|e| {
        ImageError::Input(format!(
            "cannot run ldd to find the libraries {} loads: {e}",
            path.display()
        ))
    })?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    if !out.status.success() {
        if text.contains("not a dynamic executable") || text.contains("statically linked") {
            return Ok((vec![], None));
        }
        return Err(ImageError::Input(format!(
            "ldd {} failed: {}{}",
            path.display(),
            text,
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    let mut libs = Vec::new();
    let mut interpreter = None;
    for line in text.lines().map(str::trim) {
        let line = line.split(" (0x").next().unwrap_or(line);
        if let Some((name, target)) = line.split_once(" => ") {
            let target = target.trim();
            if target == "not found" {
                return Err(ImageError::Input(format!(
                    "{} needs {name}, which this machine does not have",
                    path.display()
                )));
            }
            if target.starts_with('/') {
                libs.push((name.trim().to_string(), PathBuf::from(target)));
            }
        } else if line.starts_with('/') {
            interpreter = Some(PathBuf::from(line));
        }
        // linux-vdso.so.1 has no file.
    }
    Ok((libs, interpreter))
}

/// A deterministic tar of `entries` (sorted by path), gzip-compressed; and its diff ID.
fn layer(entries: &BTreeMap<String, Entry>) -> Result<(Blob, String), ImageError> {
    let mut tar = tar::Builder::new(Vec::new());
    for (path, entry) in entries {
        let mut h = tar::Header::new_ustar();
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(0);
        let werr = |source| ImageError::Write {
            path: format!("layer entry {path}"),
            source,
        };
        match entry {
            Entry::Dir => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(if path == "tmp/" { 0o1777 } else { 0o755 });
                h.set_size(0);
                tar.append_data(&mut h, path, std::io::empty())
                    .map_err(werr)?;
            }
            Entry::File { bytes, mode } => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(*mode);
                h.set_size(bytes.len() as u64);
                tar.append_data(&mut h, path, bytes.as_slice())
                    .map_err(werr)?;
            }
        }
    }
    let raw = tar.into_inner().map_err(|source| ImageError::Write {
        path: "layer".into(),
        source,
    })?;
    let diff_id = sha256(&raw);
    let mut gz = GzEncoder::new(Vec::with_capacity(raw.len() / 2), Compression::default());
    gz.write_all(&raw)
        .and_then(|_| gz.flush())
        .map_err(|source| ImageError::Write {
            path: "layer".into(),
            source,
        })?;
    let compressed = gz.finish().map_err(|source| ImageError::Write {
        path: "layer".into(),
        source,
    })?;
    Ok((Blob::new(LAYER_TYPE, compressed), diff_id))
}

/// Adds `path` and every parent directory of it.
fn add_dirs(entries: &mut BTreeMap<String, Entry>, path: &str) {
    let mut at = String::new();
    for part in path.trim_end_matches('/').split('/') {
        at.push_str(part);
        at.push('/');
        entries.entry(at.clone()).or_insert(Entry::Dir);
    }
}

fn file_name(path: &Path) -> Result<String, ImageError> {
    path.file_name()
        .map(|n| n.to_string_lossy().to_string())
        .ok_or_else(|| ImageError::Input(format!("{} names no file", path.display())))
}

/// Builds the image.
pub fn build(spec: &BuildSpec) -> Result<Image, ImageError> {
    let ort_name = file_name(&spec.ort_library)?;
    let mut runtime = BTreeMap::new();
    add_dirs(&mut runtime, "usr/local/bin");
    add_dirs(&mut runtime, LIB_DIR);
    add_dirs(&mut runtime, MODEL_DIR);
    add_dirs(&mut runtime, "tmp");
    runtime.insert(
        SERVER_PATH.to_string(),
        Entry::File {
            bytes: read(&spec.server)?,
            mode: 0o755,
        },
    );
    runtime.insert(
        format!("{LIB_DIR}/{ort_name}"),
        Entry::File {
            bytes: read(&spec.ort_library)?,
            mode: 0o755,
        },
    );
    for binary in [&spec.server, &spec.ort_library] {
        let (libs, interpreter) = shared_libraries(binary)?;
        for (name, host) in libs {
            let at = format!("{LIB_DIR}/{name}");
            if !runtime.contains_key(&at) {
                runtime.insert(
                    at,
                    Entry::File {
                        bytes: read(&host)?,
                        mode: 0o755,
                    },
                );
            }
        }
        if let Some(interp) = interpreter {
            let inside = interp.to_string_lossy().trim_start_matches('/').to_string();
            if let Some((dir, _)) = inside.rsplit_once('/') {
                add_dirs(&mut runtime, dir);
            }
            if !runtime.contains_key(&inside) {
                runtime.insert(
                    inside,
                    Entry::File {
                        bytes: read(&interp)?,
                        mode: 0o755,
                    },
                );
            }
        }
    }
    let mut layers = vec![layer(&runtime)?];
    let mut history = vec![
        json!({"created": "1970-01-01T00:00:00Z", "created_by": "mlform image build: mlform-serve, ONNX Runtime and the libraries they load"}),
    ];
    if let Some(model) = &spec.model {
        let name = file_name(model)?;
        if !name.ends_with(".onnx") {
            return Err(ImageError::Input(format!(
                "the model {} must be an .onnx file",
                model.display()
            )));
        }
        let mut entries = BTreeMap::new();
        add_dirs(&mut entries, MODEL_DIR);
        entries.insert(
            format!("{MODEL_DIR}/{name}"),
            Entry::File {
                bytes: read(model)?,
                mode: 0o644,
            },
        );
        layers.push(layer(&entries)?);
        history.push(json!({"created": "1970-01-01T00:00:00Z", "created_by": format!("mlform image build: model {name}")}));
    }
    let config = json!({
        "created": "1970-01-01T00:00:00Z",
        "architecture": "amd64",
        "os": "linux",
        "config": {
            "User": USER,
            "Env": [
                "PATH=/usr/local/bin:/usr/bin:/bin",
                format!("LD_LIBRARY_PATH=/{LIB_DIR}"),
                format!("ORT_DYLIB_PATH=/{LIB_DIR}/{ort_name}"),
                format!("MLFORM_GRPC_PORT={GRPC_PORT}"),
            ],
            "Entrypoint": [format!("/{SERVER_PATH}")],
            "Cmd": ["serve"],
            "ExposedPorts": {format!("{HTTP_PORT}/tcp"): {}, format!("{GRPC_PORT}/tcp"): {}},
            "WorkingDir": "/",
            "Labels": {"org.opencontainers.image.title": "mlform-serve"},
        },
        "rootfs": {
            "type": "layers",
            "diff_ids": layers.iter().map(|(_, d)| d.clone()).collect::<Vec<_>>(),
        },
        "history": history,
    });
    let config = Blob::new(
        CONFIG_TYPE,
        serde_json::to_vec(&config).expect("a config serializes"),
    );
    Ok(Image::assemble(
        config,
        layers.into_iter().map(|(b, _)| b).collect(),
    ))
}
