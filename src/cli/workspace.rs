//! `mlform workspace new|select|list|show|delete` and `mlform force-unlock`, with
//! Terraform's messages and exit codes.

use clap::{Args, Subcommand};

use super::{CliError, CliResult, Ctx, StateArgs};
use crate::state::backend::{check_workspace_name, DEFAULT_WORKSPACE};

#[derive(Subcommand, Debug)]
pub enum WorkspaceCommand {
    /// Create a new workspace and select it.
    New {
        name: String,
        /// Populate the new workspace with a copy of this state file.
        #[arg(long, value_name = "PATH")]
        state: Option<std::path::PathBuf>,
    },
    /// Select a workspace.
    Select {
        name: String,
        /// Create the workspace if it does not exist.
        #[arg(long = "or-create")]
        or_create: bool,
    },
    /// List workspaces; the selected one is marked with `*`.
    List,
    /// Show the name of the selected workspace.
    Show,
    /// Delete a workspace.
    Delete {
        name: String,
        /// Delete even if the workspace still tracks resources.
        #[arg(long)]
        force: bool,
        #[arg(long, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set, default_value = "true")]
        lock: bool,
        #[arg(long = "lock-timeout", default_value = "0s")]
        lock_timeout: String,
    },
}

#[derive(Args, Debug)]
pub struct ForceUnlockArgs {
    /// The lock ID the lock error printed.
    id: String,
    /// Don't ask for confirmation.
    #[arg(long)]
    force: bool,
}

const NEW_WORKSPACE: &str = "You're now on a new, empty workspace. Workspaces isolate their state,\nso if you run \"mlform plan\" mlform will not see any existing state\nfor this configuration.";

async fn create(ctx: &Ctx, name: &str, from: Option<&std::path::Path>) -> CliResult {
    let workspaces = ctx.workspaces().await?;
    if workspaces.list().await?.iter().any(|w| w == name) {
        return Err(CliError::Message(format!(
            "Workspace \"{name}\" already exists"
        )));
    }
    workspaces.create(name).await?;
    if let Some(path) = from {
        let state = crate::state::local::LocalBackend::new(ctx.dir.join(path))
            .load()?
            .0;
        workspaces.backend(name).write_snapshot(&state).await?;
    }
    super::backend::select_workspace(&ctx.dir, name)?;
    println!("Created and switched to workspace \"{name}\"!\n\n{NEW_WORKSPACE}");
    Ok(0)
}

pub async fn run(ctx: &Ctx, cmd: WorkspaceCommand) -> CliResult {
    let current = super::backend::current_workspace(&ctx.dir);
    match cmd {
        WorkspaceCommand::New { name, state } => {
            check_workspace_name(&name)?;
            create(ctx, &name, state.as_deref()).await
        }
        WorkspaceCommand::Select { name, or_create } => {
            check_workspace_name(&name)?;
            if name == current {
                println!("You're already on workspace \"{name}\".");
                return Ok(0);
            }
            let workspaces = ctx.workspaces().await?;
            if !workspaces.list().await?.contains(&name) {
                if or_create {
                    return create(ctx, &name, None).await;
                }
                return Err(CliError::Message(format!("Workspace \"{name}\" doesn't exist.\n\nYou can create this workspace with the \"new\" subcommand \nor include the \"-or-create\" flag with the \"select\" subcommand.")));
            }
            super::backend::select_workspace(&ctx.dir, &name)?;
            println!("Switched to workspace \"{name}\".");
            Ok(0)
        }
        WorkspaceCommand::List => {
            let workspaces = ctx.workspaces().await?;
            let mut names = workspaces.list().await?;
            if !names.contains(&current) {
                names.push(current.clone());
            }
            for n in names {
                println!("{} {n}", if n == current { "*" } else { " " });
            }
            println!();
            Ok(0)
        }
        WorkspaceCommand::Show => {
            println!("{current}");
            Ok(0)
        }
        WorkspaceCommand::Delete {
            name,
            force,
            lock,
            lock_timeout,
        } => {
            check_workspace_name(&name)?;
            if name == current {
                return Err(CliError::Message(format!("Workspace \"{name}\" is your active workspace.\n\nYou cannot delete the currently active workspace. Please switch\nto another workspace and try again.")));
            }
            if name == DEFAULT_WORKSPACE {
                return Err(CliError::Message(
                    "Can't delete default state: the default workspace always exists.".into(),
                ));
            }
            let workspaces = ctx.workspaces().await?;
            if !workspaces.list().await?.contains(&name) {
                return Err(CliError::Message(format!("Workspace \"{name}\" doesn't exist.\n\nYou can create this workspace with the \"new\" subcommand \nor include the \"-or-create\" flag with the \"select\" subcommand.")));
            }
            let backend = workspaces.backend(&name);
            let args = StateArgs {
                state: None,
                lock,
                lock_timeout,
            };
            let held = ctx
                .lock(&backend, &args, "OperationTypeWorkspaceDelete")
                .await?;
            let state = backend.load().await?;
            if !state.instances.is_empty() && !force {
                let list: Vec<String> =
                    state.instances.keys().map(|a| format!("  - {a}")).collect();
                return Err(CliError::Message(format!("Workspace is not empty\n\nWorkspace \"{name}\" is currently tracking the following resource instances:\n{}\n\nDeleting this workspace would cause mlform to lose track of any associated\nremote objects, which would then require you to delete them manually outside\nof mlform. You should destroy these objects with mlform before deleting the\nworkspace.\n\nIf you want to delete this workspace anyway, and have mlform forget about\nthese managed objects, use the -force option to disable this safety check.", list.join("\n"))));
            }
            // The lock object goes with the workspace; ours must not outlive it.
            drop(held);
            workspaces.delete(&name).await?;
            println!("Deleted workspace \"{name}\"!");
            Ok(0)
        }
    }
}

pub async fn force_unlock(ctx: &Ctx, args: ForceUnlockArgs) -> CliResult {
    let backend = ctx
        .backend(&StateArgs {
            state: None,
            lock: false,
            lock_timeout: "0s".into(),
        })
        .await?;
    if !args.force {
        if !is_terminal::is_terminal(std::io::stdin()) {
            return Err(CliError::Message("force-unlock needs confirmation, and there is no terminal to ask on. Run with -force to unlock without confirmation.".into()));
        }
        print!("Do you really want to force-unlock?\n  mlform will remove the lock on the remote state.\n  This will allow local mlform commands to modify this state, even though it\n  may still be in use. Only 'yes' will be accepted to confirm.\n\n  Enter a value: ");
        let _ = std::io::Write::flush(&mut std::io::stdout());
        let mut line = String::new();
        let _ = std::io::BufRead::read_line(&mut std::io::stdin().lock(), &mut line);
        if line.trim() != "yes" {
            println!("force-unlock cancelled.");
            return Ok(1);
        }
    }
    backend.force_unlock(&args.id).await?;
    println!("mlform state has been successfully unlocked!\n\nThe state has been unlocked, and mlform commands should now be able to\nobtain a new lock on the remote state.");
    Ok(0)
}
