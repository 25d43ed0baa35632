//! `mlform image build` and `mlform image push`: the serving image as an OCI image, built
//! and pushed without a container engine. Each prints the manifest digest (`sha256:…`) on
//! stdout, and nothing else, so scripts can capture it.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use mlform_image::{layout, push, BuildSpec, Reference};

use super::{CliError, CliResult};

#[derive(Subcommand, Debug)]
pub enum ImageCommand {
    /// Build the serving image as an OCI image layout (a directory, or a tarball for a path
    /// ending in .tar) and print its digest.
    Build(BuildArgs),
    /// Push an image layout to a registry over the distribution API and print its digest.
    Push(PushArgs),
}

#[derive(Args, Debug)]
pub struct BuildArgs {
    /// Where to write the image: a layout directory, or a tarball if it ends in .tar.
    #[arg(long, value_name = "DIR")]
    output: PathBuf,
    /// An ONNX model to bake in under /opt/ml/model.
    #[arg(long, value_name = "FILE")]
    model: Option<PathBuf>,
    /// The mlform-serve binary (default: the one beside this mlform).
    #[arg(long, value_name = "PATH")]
    server: Option<PathBuf>,
    /// The ONNX Runtime library (default: $ORT_DYLIB_PATH).
    #[arg(long = "ort-library", value_name = "PATH")]
    ort_library: Option<PathBuf>,
    /// The name `docker load` gives the image.
    #[arg(long, default_value = "mlform-serve:latest")]
    name: String,
}

#[derive(Args, Debug)]
pub struct PushArgs {
    /// The image layout directory or tarball `mlform image build` wrote.
    layout: PathBuf,
    /// Where to push: HOST[:PORT]/REPOSITORY[:TAG].
    reference: String,
    /// Speak plain HTTP to the registry (loopback registries always are).
    #[arg(long)]
    insecure: bool,
    /// Log in with ECR's GetAuthorizationToken (the AWS configuration's region and account).
    /// Registries named ACCOUNT.dkr.ecr.REGION.amazonaws.com always are.
    #[arg(long)]
    ecr: bool,
}

pub async fn run(cmd: ImageCommand) -> CliResult {
    match cmd {
        ImageCommand::Build(a) => build(a),
        ImageCommand::Push(a) => push_image(a).await,
    }
}

fn default_server() -> Result<PathBuf, CliError> {
    let here = std::env::current_exe()
        .map_err(|e| CliError::Message(format!("cannot find this program's path: {e}")))?;
    let beside = here.with_file_name("mlform-serve");
    if beside.is_file() {
        return Ok(beside);
    }
    Err(CliError::Message(format!(
        "no mlform-serve binary beside {}; build it with `cargo build --release -p mlform-serve` or pass -server=PATH",
        here.display()
    )))
}

fn build(a: BuildArgs) -> CliResult {
    let server = match a.server {
        Some(s) => s,
        None => default_server()?,
    };
    let ort_library = a
        .ort_library
        .or_else(|| std::env::var_os("ORT_DYLIB_PATH").map(PathBuf::from))
        .ok_or_else(|| {
            CliError::Message(
                "no ONNX Runtime library: set ORT_DYLIB_PATH or pass -ort-library=PATH (docs/serving.md says how to get it)".into(),
            )
        })?;
    let spec = BuildSpec {
        server,
        ort_library,
        model: a.model,
    };
    let image = mlform_image::build(&spec).map_err(|e| CliError::Message(e.to_string()))?;
    layout::write(&image, &a.output, &a.name).map_err(|e| CliError::Message(e.to_string()))?;
    println!("{}", image.digest());
    Ok(0)
}

/// ECR registries log in with a fresh authorization token (as docker-credential-ecr-login
/// does); other registries use the Docker config file and its credential helpers.
async fn registry_credentials(
    reference: &Reference,
    force_ecr: bool,
) -> Result<Option<push::Credentials>, CliError> {
    let ecr_host = mlform_provider_aws::ecr_registry(&reference.registry).is_some();
    if !(ecr_host || force_ecr) {
        return push::docker_credentials(&reference.registry)
            .map_err(|e| CliError::Message(e.to_string()));
    }
    let login = if ecr_host {
        mlform_provider_aws::ecr_login(&reference.registry).await
    } else {
        mlform_provider_aws::ecr_login_with(None, None).await
    }
    .map_err(|e| CliError::Message(format!("ECR login for {}: {e}", reference.registry)))?;
    Ok(Some(push::Credentials {
        username: login.user_name,
        password: login.password,
    }))
}

async fn push_image(a: PushArgs) -> CliResult {
    let reference = Reference::parse(&a.reference).map_err(|e| CliError::Message(e.to_string()))?;
    let image = layout::read(&a.layout).map_err(|e| CliError::Message(e.to_string()))?;
    let credentials = registry_credentials(&reference, a.ecr).await?;
    let digest = push::push(&image, &reference, credentials, a.insecure)
        .await
        .map_err(|e| CliError::Message(e.to_string()))?;
    eprintln!("pushed {}", reference.with_digest(&digest));
    println!("{digest}");
    Ok(0)
}
