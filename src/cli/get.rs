//! Installing remote modules (`init`, `get`): each remote source the configuration calls
//! is fetched into `.mlform/modules/KEY` (git sources cloned at their `ref`, registry
//! modules at the newest version their constraint accepts, archives unpacked), nested calls
//! of installed modules next, and `modules.json` records the source, directory, commit and
//! version. `-upgrade` / `get -update` installs everything again so branches and versions
//! move forward. git runs without prompts and gives up on a stalled transfer.

use std::path::Path;
use std::process::Command;

use clap::Args;

use super::fetch::{Fetched, Fetcher};
use super::{CliError, CliResult, Ctx};
use crate::config::sources::{self, GitSource, Installed, Manifest, Source, MODULES_DIR};
use crate::config::versions::Constraint;
use crate::diag::Sources;

#[derive(Args, Debug)]
pub struct GetArgs {
    /// Install every module again, moving branches forward.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    update: Option<bool>,
}

/// Nesting bound: a module tree deeper than this is reported, not followed.
const MAX_ROUNDS: usize = 32;

fn git(args: &[&str], cwd: Option<&Path>) -> Result<String, String> {
    let mut cmd = Command::new("git");
    cmd.args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_HTTP_LOW_SPEED_LIMIT", "1000")
        .env("GIT_HTTP_LOW_SPEED_TIME", "30")
        .stdin(std::process::Stdio::null());
    if let Some(d) = cwd {
        cmd.current_dir(d);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("running git: {e} (is git installed?)"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// Clones one git source into `dest`; returns the commit checked out.
fn clone(g: &GitSource, dest: &Path) -> Result<String, String> {
    if dest.exists() {
        std::fs::remove_dir_all(dest).map_err(|e| format!("removing {}: {e}", dest.display()))?;
    }
    let dest_s = dest.to_string_lossy().to_string();
    let depth = g.depth.map(|d| d.to_string());
    let mut args = vec!["clone", "--quiet"];
    if let Some(d) = &depth {
        args.extend(["--depth", d.as_str()]);
    }
    if let Some(r) = &g.reference {
        args.extend(["--branch", r.as_str()]);
    }
    args.extend([g.url.as_str(), dest_s.as_str()]);
    if let Err(first) = git(&args, None) {
        // A commit is not a branch or tag: clone everything, then check it out.
        let Some(r) = &g.reference else {
            return Err(first);
        };
        if dest.exists() {
            let _ = std::fs::remove_dir_all(dest);
        }
        git(&["clone", "--quiet", &g.url, &dest_s], None)?;
        git(&["checkout", "--quiet", r], Some(dest))
            .map_err(|e| format!("{first}\n(and no commit {r}: {e})"))?;
    }
    git(&["rev-parse", "HEAD"], Some(dest))
}

/// How many `X-Terraform-Get` redirections one module may take.
const MAX_REDIRECTS: usize = 8;

/// Fetches what a source address names into `dest`; returns the commit (git) and the
/// directory inside `dest` the module is in (the address's `//subdir`).
async fn fetch_into(
    fetcher: &Fetcher,
    address: &str,
    dest: &Path,
) -> Result<(String, Option<String>), String> {
    let mut address = address.to_string();
    for _ in 0..MAX_REDIRECTS {
        match sources::parse(&address) {
            Source::Git(g) => return Ok((clone(&g, dest)?, g.subdir)),
            Source::Archive(a) => match fetcher.download(&a).await? {
                Fetched::Archive(bytes, format) => {
                    if dest.exists() {
                        std::fs::remove_dir_all(dest)
                            .map_err(|e| format!("removing {}: {e}", dest.display()))?;
                    }
                    super::fetch::unpack(&bytes, format, dest)?;
                    return Ok((String::new(), a.subdir));
                }
                Fetched::Elsewhere(next) => address = next,
            },
            Source::Registry(_) | Source::Local(_) => {
                return Err(format!(
                    "\"{address}\" is not a download address (a git repository or an archive)"
                ))
            }
            Source::Unsupported(why) => return Err(why),
        }
    }
    Err(format!(
        "more than {MAX_REDIRECTS} X-Terraform-Get redirections"
    ))
}

/// Installs every remote module the configuration calls that is not installed from the
/// same source yet (all of them with `upgrade`). Prints Terraform's lines.
pub async fn install_modules(dir: &Path, upgrade: bool) -> Result<(), CliError> {
    let fetcher = Fetcher::new().map_err(CliError::Message)?;
    let mut manifest = Manifest::read(dir);
    if upgrade {
        manifest.modules.clear();
    }
    let mut announced = false;
    for _ in 0..MAX_ROUNDS {
        if upgrade {
            // Loading reads the manifest from disk; write the cleared one first.
            write_manifest(dir, &manifest)?;
        }
        let mut sources = Sources::default();
        let (module, _) = crate::config::load_lenient(dir, &mut sources);
        if module.uninstalled.is_empty() {
            return Ok(());
        }
        if !announced {
            println!("\nInitializing modules...");
            announced = true;
        }
        for (key, source, version) in module.uninstalled {
            let dest = dir.join(MODULES_DIR).join(&key);
            let failed = |e: String| {
                CliError::Message(format!(
                    "Failed to download module\n\nCould not download module \"{key}\" source code from \"{source}\": {e}"
                ))
            };
            let (commit, installed_version, subdirs) = match sources::parse(&source) {
                Source::Registry(r) => {
                    let constraint = match &version {
                        Some(v) => Constraint::parse(v).map_err(|e| {
                            CliError::Message(format!("Invalid version constraint\n\nThe version of module \"{key}\" is not a valid constraint: {e}."))
                        })?,
                        None => Constraint::default(),
                    };
                    let (v, location) = fetcher
                        .resolve_registry(&r, &constraint, version.as_deref())
                        .await
                        .map_err(|e| {
                            CliError::Message(format!("Failed to resolve module version\n\nModule \"{key}\" ({source}): {e}"))
                        })?;
                    println!("Downloading {}/{} {v} for {key}...", r.host, r.id());
                    let (commit, inner) = fetch_into(&fetcher, &location, &dest)
                        .await
                        .map_err(failed)?;
                    (commit, v.to_string(), [inner, r.subdir.clone()])
                }
                Source::Git(_) | Source::Archive(_) => {
                    println!("Downloading {source} for {key}...");
                    let (commit, inner) =
                        fetch_into(&fetcher, &source, &dest).await.map_err(failed)?;
                    (commit, String::new(), [inner, None])
                }
                _ => continue,
            };
            let mut rel = format!("{MODULES_DIR}/{key}");
            for sub in subdirs.iter().flatten() {
                rel = format!("{rel}/{sub}");
            }
            if !dir.join(&rel).is_dir() {
                return Err(CliError::Message(format!(
                    "Failed to download module\n\nThe module \"{key}\" from \"{source}\" has no directory \"{}\".",
                    rel.trim_start_matches(&format!("{MODULES_DIR}/{key}/"))
                )));
            }
            println!("- {key} in {rel}");
            manifest.modules.retain(|m| m.key != key);
            manifest.modules.push(Installed {
                key,
                source,
                dir: rel,
                commit,
                version: installed_version,
            });
        }
        manifest.modules.sort_by(|a, b| a.key.cmp(&b.key));
        write_manifest(dir, &manifest)?;
    }
    Err(CliError::Message(format!(
        "Modules nest more than {MAX_ROUNDS} levels of remote sources; is a module calling itself?"
    )))
}

fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<(), CliError> {
    let path = Manifest::path(dir);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| CliError::Message(format!("creating {}: {e}", parent.display())))?;
    }
    std::fs::write(
        &path,
        serde_json::to_vec_pretty(manifest).expect("manifest serializes"),
    )
    .map_err(|e| CliError::Message(format!("writing {}: {e}", path.display())))
}

/// `mlform get`: install the modules only.
pub async fn get(ctx: &Ctx, args: GetArgs) -> CliResult {
    install_modules(&ctx.dir, args.update == Some(true)).await?;
    Ok(0)
}
