//! The command line: Terraform's verbs and flags (single-dash long flags such as
//! `-auto-approve` are accepted as well as `--auto-approve`), one file per group of commands.
//! Every command returns its exit code; errors are rendered here as diagnostics.

mod apply;
mod backend;
mod check;
mod fetch;
mod generate;
mod get;
mod history;
mod image;
mod misc;
mod plan;
mod progress;
mod progress_json;
mod serve;
mod show;
mod state;
mod taint;
mod test;
mod workspace;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::{ArgAction, Args, Parser, Subcommand};
use mlform_provider::Value;

use crate::diag::{self, Diagnostic, Sources};
use crate::engine::vars::VarArg;
use crate::engine::{Engine, Registry};
use crate::state::backend::Backend;
use crate::state::State;

/// An error that ends a command.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Configuration or input problems, rendered with their sources.
    #[error("{} error(s)", .0.len())]
    Diagnostics(Vec<Diagnostic>, Sources),
    /// A plain failure with a message.
    #[error("{0}")]
    Message(String),
}

impl From<crate::state::StateError> for CliError {
    fn from(e: crate::state::StateError) -> CliError {
        CliError::Message(e.to_string())
    }
}

impl From<crate::plan::file::PlanFileError> for CliError {
    fn from(e: crate::plan::file::PlanFileError) -> CliError {
        CliError::Message(e.to_string())
    }
}

type CliResult = Result<i32, CliError>;

#[derive(Parser, Debug)]
#[command(
    name = "mlform",
    version,
    about = "Plan and apply ML platforms as code",
    disable_help_subcommand = true
)]
pub struct Cli {
    /// Switch to a different working directory before executing the command.
    #[arg(long, global = true, value_name = "DIR")]
    chdir: Option<PathBuf>,
    /// Disable colour in output (every command takes it, as Terraform's do).
    #[arg(long = "no-color", global = true)]
    no_color: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Prepare the working directory: check the configuration and its providers.
    Init(InitArgs),
    /// Install the remote modules the configuration calls.
    Get(get::GetArgs),
    /// Check whether the configuration is valid.
    Validate(ValidateArgs),
    /// Reformat configuration files to the canonical style.
    Fmt(misc::FmtArgs),
    /// Show changes required by the current configuration.
    Plan(plan::PlanArgs),
    /// Create or update infrastructure.
    Apply(apply::ApplyArgs),
    /// Destroy previously-created infrastructure.
    Destroy(apply::ApplyArgs),
    /// Show the current state or a saved plan.
    Show(show::ShowArgs),
    /// Run the built-in policy checks on a plan (text, JSON or SARIF).
    Check(check::CheckArgs),
    /// Show output values from the state.
    Output(show::OutputArgs),
    /// List the applies and destroys recorded in the state, with their results and rollbacks.
    History(history::HistoryArgs),
    /// Mark a resource instance as not fully functional: the next plan replaces it.
    Taint(taint::TaintArgs),
    /// Remove the tainted mark from a resource instance.
    Untaint(taint::TaintArgs),
    /// Advanced state management.
    #[command(subcommand)]
    State(state::StateCommand),
    /// Workspace management.
    #[command(subcommand)]
    Workspace(workspace::WorkspaceCommand),
    /// Run the configuration's *.tftest.hcl files, with mocks and overrides.
    Test(test::TestArgs),
    /// Release a stuck lock on the current workspace's state.
    #[command(name = "force-unlock")]
    ForceUnlock(workspace::ForceUnlockArgs),
    /// Associate existing infrastructure with a resource in the configuration.
    Import(state::ImportArgs),
    /// Print the dependency graph in DOT format.
    Graph(misc::GraphArgs),
    /// Show the mlform version and its providers.
    Version(misc::VersionArgs),
    /// Serve ONNX models over KServe V2 and SageMaker protocols.
    Serve(serve::ServeArgs),
    /// Inspect ONNX models.
    #[command(subcommand)]
    Model(serve::ModelCommand),
    /// Build the serving image as an OCI image and push it, without a container engine.
    #[command(subcommand)]
    Image(image::ImageCommand),
}

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Install every remote module again, moving branches forward (providers are built in).
    #[arg(long, num_args = 0..=1, default_missing_value = "true", action = ArgAction::Set)]
    upgrade: Option<bool>,
    #[arg(long, num_args = 0..=1, default_missing_value = "false", action = ArgAction::Set)]
    input: Option<bool>,
    /// Configure the backend (default true); -backend=false keeps the saved settings.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", action = ArgAction::Set)]
    backend: Option<bool>,
    /// Backend arguments: a KEY=VALUE pair or a file of them (repeatable).
    #[arg(long = "backend-config", value_name = "FILE|KEY=VALUE")]
    backend_config: Vec<String>,
    /// Use the backend configuration as it is now, ignoring the saved one; no state is moved.
    #[arg(long)]
    reconfigure: bool,
    /// Copy the state of every workspace from the previous backend to the new one.
    #[arg(long = "migrate-state")]
    migrate_state: bool,
    /// With -migrate-state: overwrite state the new backend already has.
    #[arg(long = "force-copy")]
    force_copy: bool,
}

#[derive(Args, Debug)]
struct ValidateArgs {
    /// Produce output in a machine-readable JSON format.
    #[arg(long)]
    json: bool,
}

/// Flags shared by commands that read state.
#[derive(Args, Debug, Clone)]
pub struct StateArgs {
    /// Path of the state file.
    #[arg(long, value_name = "PATH")]
    state: Option<PathBuf>,
    /// Don't hold a state lock during the operation.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", action = ArgAction::Set, default_value = "true")]
    lock: bool,
    /// Duration to retry a state lock (e.g. 10s, 2m).
    #[arg(long = "lock-timeout", value_name = "DURATION", default_value = "0s")]
    lock_timeout: String,
}

/// Flags shared by plan, apply and destroy.
#[derive(Args, Debug, Clone)]
pub struct PlanFlags {
    /// Select the "destroy" planning mode.
    #[arg(long)]
    destroy: bool,
    /// Select the "refresh only" planning mode.
    #[arg(long = "refresh-only")]
    refresh_only: bool,
    /// Skip checking for changes made outside of mlform.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", action = ArgAction::Set, default_value = "true")]
    refresh: bool,
    /// Refresh only the resources whose configuration changed against the state: the
    /// API calls of a plan scale with the change, not the platform. Drift on unchanged
    /// resources is not looked for.
    #[arg(long = "minimal-refresh")]
    minimal_refresh: bool,
    /// Limit planning to the given resource address (repeatable).
    #[arg(long, value_name = "ADDRESS")]
    target: Vec<String>,
    /// Force replacement of the given resource instance (repeatable).
    #[arg(long, value_name = "ADDRESS")]
    replace: Vec<String>,
    /// Set a value for one of the input variables (repeatable).
    #[arg(long, value_name = "NAME=VALUE")]
    var: Vec<String>,
    /// Load variable values from the given file (repeatable).
    #[arg(long = "var-file", value_name = "FILE")]
    var_file: Vec<PathBuf>,
    /// Limit the number of concurrent operations.
    #[arg(long, default_value_t = 10)]
    parallelism: usize,
    /// Ask for input for variables if not directly set (mlform never prompts for variables).
    #[arg(long, num_args = 0..=1, default_missing_value = "true", action = ArgAction::Set)]
    input: Option<bool>,
    /// Show warnings in a compact form.
    #[arg(long = "compact-warnings")]
    compact_warnings: bool,
    #[command(flatten)]
    state: StateArgs,
}

/// Single-dash long flags (`-auto-approve`) become double-dash ones for clap.
pub fn normalize_args(args: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut after_double_dash = false;
    for (i, a) in args.into_iter().enumerate() {
        if i == 0 || after_double_dash {
            out.push(a);
            continue;
        }
        if a == "--" {
            after_double_dash = true;
            out.push(a);
            continue;
        }
        let b = a.as_bytes();
        if b.len() > 2 && b[0] == b'-' && b[1] != b'-' && b[1].is_ascii_alphabetic() && b[2] != b'='
        {
            out.push(format!("-{a}"));
        } else {
            out.push(a);
        }
    }
    out
}

/// The ordered `-var` / `-var-file` arguments (clap keeps them apart; their order matters).
fn var_args_in_order(args: &[String]) -> Vec<VarArg> {
    let mut out = Vec::new();
    let mut it = args.iter().peekable();
    while let Some(a) = it.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f == "--var" || f == "--var-file" => {
                (f.to_string(), Some(v.to_string()))
            }
            _ => (a.clone(), None),
        };
        if flag == "--var" || flag == "--var-file" {
            let value = match inline {
                Some(v) => v,
                None => match it.next() {
                    Some(v) => v.clone(),
                    None => break,
                },
            };
            out.push(if flag == "--var" {
                VarArg::Var(value)
            } else {
                VarArg::File(PathBuf::from(value))
            });
        }
    }
    out
}

/// Shared context of one command run.
pub struct Ctx {
    pub dir: PathBuf,
    pub color: bool,
    pub var_args: Vec<VarArg>,
    pub stop: Arc<AtomicBool>,
}

impl Ctx {
    fn load_engine(&self) -> Result<Engine, CliError> {
        let mut sources = Sources::default();
        let config = crate::config::load(&self.dir, &mut sources)
            .map_err(|d| CliError::Diagnostics(d.0, sources.clone()))?;
        let files = crate::config::collect_files(&self.dir)
            .map_err(|e| CliError::Message(format!("reading configuration: {e}")))?;
        if files.is_empty() {
            return Err(CliError::Diagnostics(
                vec![Diagnostic::error(
                    "No configuration files",
                    format!(
                        "The directory {} contains no .tf files.",
                        self.dir.display()
                    ),
                )
                .hint("Run mlform in a directory with configuration, or use -chdir=DIR.")],
                sources,
            ));
        }
        Ok(Engine {
            registry: registry_for(&self.dir, backend::StateConfig::of(&config)),
            config,
            sources,
            root_dir: self.dir.clone(),
            config_files: files,
            workspace: backend::current_workspace(&self.dir),
            overrides: Default::default(),
            values_out: None,
            rollback: false,
        })
    }

    fn engine_from_plan(&self, plan: &crate::plan::Plan) -> Result<Engine, CliError> {
        let mut sources = Sources::default();
        let config = crate::config::load_from_files(&self.dir, &plan.config_files, &mut sources)
            .map_err(|d| CliError::Diagnostics(d.0, sources.clone()))?;
        Ok(Engine {
            registry: registry_for(&self.dir, backend::StateConfig::of(&config)),
            config,
            sources,
            root_dir: self.dir.clone(),
            config_files: plan.config_files.clone(),
            workspace: plan.workspace.clone(),
            overrides: Default::default(),
            values_out: None,
            rollback: false,
        })
    }

    fn variables(&self, engine: &mut Engine) -> Result<BTreeMap<String, Value>, CliError> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        crate::engine::vars::resolve(
            &self.dir,
            &engine.config,
            &self.var_args,
            &env,
            &mut engine.sources,
        )
        .map_err(|d| CliError::Diagnostics(d, engine.sources.clone()))
    }

    fn print_diags(&self, diags: &[Diagnostic], sources: &Sources) {
        if !diags.is_empty() {
            eprint!("{}", diag::render(diags, sources, self.color));
        }
    }
}

/// The providers of this build; `terraform_remote_state` resolves local paths from `dir`.
pub fn registry(dir: &Path) -> Registry {
    registry_for(dir, backend::StateConfig::default())
}

/// The providers, with `terraform_remote_state` opening encrypted state as the
/// configuration's `remote_state_data_sources` says.
pub fn registry_for(dir: &Path, state_config: backend::StateConfig) -> Registry {
    let mut r = Registry::builtin();
    r.add(backend::terraform_provider(dir, state_config));
    r.add(mlform_provider_aws::AwsProvider::new());
    r.add(mlform_provider_kubernetes::KubernetesProvider::new());
    r
}

fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let (num, unit) = s.split_at(
        s.find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(s.len()),
    );
    let n: f64 = num.parse().ok()?;
    let secs = match unit {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return None,
    };
    Some(Duration::from_secs_f64(secs))
}

async fn load_state(backend: &Backend) -> Result<State, CliError> {
    Ok(backend.load().await?)
}

/// Runs the CLI with the process arguments; returns the exit code.
pub fn run(args: Vec<String>) -> i32 {
    let args = normalize_args(args);
    let var_args = var_args_in_order(&args);
    let cli = match Cli::try_parse_from(&args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 1 } else { 0 };
        }
    };
    let dir = match &cli.chdir {
        Some(d) => d.clone(),
        None => PathBuf::from("."),
    };
    let dir = match std::fs::canonicalize(&dir) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("Error: cannot use directory {}: {e}", dir.display());
            return 1;
        }
    };
    let color = !cli.no_color
        && std::env::var_os("NO_COLOR").is_none()
        && is_terminal::is_terminal(std::io::stdout());
    let ctx = Ctx {
        dir,
        color,
        var_args,
        stop: Arc::new(AtomicBool::new(false)),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("Error: cannot start the async runtime: {e}");
            return 1;
        }
    };
    runtime.block_on(async move {
        if !matches!(cli.command, Command::Serve(_)) {
            install_interrupt_handler(ctx.stop.clone());
        }
        let result = match cli.command {
            Command::Init(a) => misc::init(&ctx, a).await,
            Command::Get(a) => get::get(&ctx, a).await,
            Command::Validate(a) => misc::validate(&ctx, a.json).await,
            Command::Fmt(a) => misc::fmt(&ctx, a),
            Command::Plan(a) => plan::plan(&ctx, a).await,
            Command::Apply(a) => apply::apply(&ctx, a, false).await,
            Command::Destroy(a) => apply::apply(&ctx, a, true).await,
            Command::Show(a) => show::show(&ctx, a).await,
            Command::Check(a) => check::check(&ctx, a).await,
            Command::Output(a) => show::output(&ctx, a).await,
            Command::History(a) => history::history(&ctx, a).await,
            Command::Taint(a) => taint::taint(&ctx, a, true).await,
            Command::Untaint(a) => taint::taint(&ctx, a, false).await,
            Command::State(c) => state::run(&ctx, c).await,
            Command::Workspace(c) => workspace::run(&ctx, c).await,
            Command::Test(a) => test::test(&ctx, a).await,
            Command::ForceUnlock(a) => workspace::force_unlock(&ctx, a).await,
            Command::Import(a) => state::import(&ctx, a).await,
            Command::Graph(a) => misc::graph(&ctx, a).await,
            Command::Version(a) => misc::version(a),
            Command::Serve(a) => serve::serve(a).await,
            Command::Model(c) => serve::model(c),
            Command::Image(c) => image::run(c).await,
        };
        match result {
            Ok(code) => code,
            Err(CliError::Diagnostics(d, sources)) => {
                ctx.print_diags(&d, &sources);
                1
            }
            Err(CliError::Message(m)) => {
                eprintln!("\nError: {m}\n");
                1
            }
        }
    })
}

fn install_interrupt_handler(stop: Arc<AtomicBool>) {
    tokio::spawn(async move {
        let mut count = 0;
        while tokio::signal::ctrl_c().await.is_ok() {
            count += 1;
            if count == 1 {
                stop.store(true, Ordering::SeqCst);
                eprintln!("\nInterrupt received.\nPlease wait for mlform to exit or data loss may occur.\nGracefully shutting down...\n");
            } else {
                eprintln!("\nTwo interrupts received. Exiting immediately; resources finished so far are saved in the state journal.");
                std::process::exit(130);
            }
        }
    });
}

/// Relative display of a path under the working directory.
fn display(dir: &Path, p: &Path) -> String {
    p.strip_prefix(dir).unwrap_or(p).display().to_string()
}
