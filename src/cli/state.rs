//! `mlform state list|show|rm|mv` and `mlform import`: state edits, each written as a new
//! snapshot (with backup) under the state lock.

use clap::{Args, Subcommand};

use super::{CliError, CliResult, Ctx, StateArgs};
use crate::addr::{parse_target, InstanceAddr, Target};

#[derive(Subcommand, Debug)]
pub enum StateCommand {
    /// List resources in the state.
    List {
        /// Only addresses matching these.
        addresses: Vec<String>,
        /// Only instances whose `id` attribute is this.
        #[arg(long, value_name = "ID")]
        id: Option<String>,
        #[command(flatten)]
        state: StateArgs,
    },
    /// Show a resource in the state.
    Show {
        address: String,
        #[command(flatten)]
        state: StateArgs,
    },
    /// Remove instances from the state (the real objects are not destroyed).
    Rm {
        #[arg(required = true)]
        addresses: Vec<String>,
        /// Only print what would be removed.
        #[arg(long = "dry-run")]
        dry_run: bool,
        #[command(flatten)]
        state: StateArgs,
    },
    /// Print the current state (the stored snapshot, journal folded in) to stdout.
    Pull {
        #[command(flatten)]
        state: StateArgs,
    },
    /// Replace the current state with a state file (`-` reads stdin).
    Push {
        path: String,
        /// Write even when lineage differs or the pushed serial is older.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        state: StateArgs,
    },
    /// Move an item in the state to a new address.
    Mv {
        source: String,
        destination: String,
        #[arg(long = "dry-run")]
        dry_run: bool,
        #[command(flatten)]
        state: StateArgs,
    },
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The resource address to import into.
    address: String,
    /// The provider's import ID of the existing object.
    id: String,
    #[command(flatten)]
    state: StateArgs,
    #[arg(long, value_name = "NAME=VALUE")]
    var: Vec<String>,
    #[arg(long = "var-file", value_name = "FILE")]
    var_file: Vec<std::path::PathBuf>,
    #[arg(long, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    input: Option<bool>,
}

fn target(s: &str) -> Result<Target, CliError> {
    parse_target(s).map_err(CliError::Message)
}

pub async fn run(ctx: &Ctx, cmd: StateCommand) -> CliResult {
    match cmd {
        StateCommand::List {
            addresses,
            id,
            state,
        } => {
            let st = super::load_state(&ctx.backend(&state).await?).await?;
            let filters = addresses
                .iter()
                .map(|a| target(a))
                .collect::<Result<Vec<_>, _>>()?;
            for (addr, instance) in &st.instances {
                let id_matches = id.as_deref().is_none_or(|id| {
                    instance.value.get_attr("id").strip_marks().as_str() == Some(id)
                });
                if id_matches && (filters.is_empty() || filters.iter().any(|t| t.matches(addr))) {
                    println!("{addr}");
                }
            }
            Ok(0)
        }
        StateCommand::Show { address, state } => {
            let st = super::load_state(&ctx.backend(&state).await?).await?;
            let t = target(&address)?;
            let matches: Vec<_> = st.instances.iter().filter(|(a, _)| t.matches(a)).collect();
            match matches.as_slice() {
                [] => Err(CliError::Message(format!("No instance found for the given address!\n\nThis command requires that the address references one specific instance.\nTo view the available instances, use \"mlform state list\". Please modify\nthe address to reference a specific instance. ({address})"))),
                [(a, s)] => {
                    print!("{}", crate::render::state::render_instance(a, &s.value));
                    Ok(0)
                }
                _ => Err(CliError::Message(format!("Multiple instances found for the given pattern!\n\nThis command requires that the address references one specific instance.\nMatching: {}", matches.iter().map(|(a, _)| a.to_string()).collect::<Vec<_>>().join(", ")))),
            }
        }
        StateCommand::Pull { state } => {
            let st = super::load_state(&ctx.backend(&state).await?).await?;
            if st.lineage.is_empty() && st.instances.is_empty() && st.outputs.is_empty() {
                return Ok(0);
            }
            print!("{}", String::from_utf8_lossy(&crate::state::encode(&st)));
            Ok(0)
        }
        StateCommand::Push { path, force, state } => {
            let bytes = if path == "-" {
                let mut buf = Vec::new();
                std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)
                    .map_err(|e| CliError::Message(format!("reading stdin: {e}")))?;
                buf
            } else {
                std::fs::read(ctx.dir.join(&path))
                    .map_err(|e| CliError::Message(format!("reading {path}: {e}")))?
            };
            let sealer = ctx.state_config()?.encryption()?.state;
            let bytes = sealer
                .open(&bytes, &path)
                .map_err(crate::state::StateError::from)?;
            let mut pushed = crate::state::decode(&bytes, &path)?;
            let backend = ctx.backend(&state).await?;
            let lock = ctx.lock(&backend, &state, "OperationTypeStatePush").await?;
            let current = super::load_state(&backend).await?;
            if !force && !current.lineage.is_empty() {
                if pushed.lineage != current.lineage {
                    return Err(CliError::Message(format!("Failed to write state: cannot import state with lineage \"{}\" over unrelated state with lineage \"{}\"", pushed.lineage, current.lineage)));
                }
                if pushed.serial < current.serial {
                    return Err(CliError::Message(format!("Failed to write state: cannot import state with serial {} over newer state with serial {}", pushed.serial, current.serial)));
                }
            }
            if pushed.lineage == current.lineage {
                pushed.serial = pushed.serial.max(current.serial + 1);
            }
            backend.write_snapshot(&pushed).await?;
            if let Some(lock) = lock {
                lock.release().await?;
            }
            Ok(0)
        }
        StateCommand::Rm {
            addresses,
            dry_run,
            state,
        } => {
            let backend = ctx.backend(&state).await?;
            let lock = ctx.lock(&backend, &state, "OperationTypeStateRm").await?;
            let mut st = super::load_state(&backend).await?;
            let targets = addresses
                .iter()
                .map(|a| target(a))
                .collect::<Result<Vec<_>, _>>()?;
            let remove: Vec<InstanceAddr> = st
                .instances
                .keys()
                .filter(|a| targets.iter().any(|t| t.matches(a)))
                .cloned()
                .collect();
            if remove.is_empty() {
                return Err(CliError::Message(format!("Invalid target address: no matching objects found for {}. To view the available instances, use \"mlform state list\".", addresses.join(", "))));
            }
            for a in &remove {
                if dry_run {
                    println!("Would remove {a}");
                } else {
                    println!("Removed {a}");
                }
                if !dry_run {
                    st.instances.remove(a);
                }
            }
            if dry_run {
                return Ok(0);
            }
            st.serial += 1;
            backend.write_snapshot(&st).await?;
            if let Some(lock) = lock {
                lock.release().await?;
            }
            println!(
                "Successfully removed {} resource instance(s).",
                remove.len()
            );
            Ok(0)
        }
        StateCommand::Mv {
            source,
            destination,
            dry_run,
            state,
        } => {
            let backend = ctx.backend(&state).await?;
            let lock = ctx.lock(&backend, &state, "OperationTypeStateMv").await?;
            let mut st = super::load_state(&backend).await?;
            let (src, dst) = (target(&source)?, target(&destination)?);
            let moves: Vec<(InstanceAddr, InstanceAddr)> = match (&src, &dst) {
                (Target::Instance(a), Target::Instance(b)) => vec![(a.clone(), b.clone())],
                (Target::Instance(a), Target::Resource(m, r)) => vec![(a.clone(), InstanceAddr { module: m.clone(), resource: r.clone(), key: None })],
                (Target::Resource(m, r), Target::Instance(b)) => vec![(InstanceAddr { module: m.clone(), resource: r.clone(), key: None }, b.clone())],
                (Target::Resource(..), Target::Resource(m, r)) => st.instances.keys().filter(|a| src.matches(a)).map(|a| (a.clone(), InstanceAddr { module: m.clone(), resource: r.clone(), key: a.key.clone() })).collect(),
                (Target::Module(from), Target::Module(to)) => st
                    .instances
                    .keys()
                    .filter(|a| a.module.len() >= from.len() && a.module[..from.len()] == from[..])
                    .map(|a| {
                        let mut module = to.clone();
                        module.extend(a.module[from.len()..].iter().cloned());
                        (a.clone(), InstanceAddr { module, ..a.clone() })
                    })
                    .collect(),
                _ => return Err(CliError::Message(format!("Invalid state move: cannot move {source} to {destination}; both must be resources, instances or modules."))),
            };
            let moves: Vec<_> = moves
                .into_iter()
                .filter(|(a, _)| st.instances.contains_key(a))
                .collect();
            if moves.is_empty() {
                return Err(CliError::Message(format!(
                    "Invalid source address: cannot move {source}: it does not exist in the state."
                )));
            }
            for (_, b) in &moves {
                if st.instances.contains_key(b) {
                    return Err(CliError::Message(format!("Invalid target address: cannot move to {b}: there is already a resource instance at that address in the state.")));
                }
            }
            for (a, b) in &moves {
                println!(
                    "{}Move \"{a}\" to \"{b}\"",
                    if dry_run { "Would " } else { "" }
                );
                if !dry_run {
                    let inst = st.instances.remove(a).expect("checked");
                    st.instances.insert(b.clone(), inst);
                }
            }
            if dry_run {
                return Ok(0);
            }
            st.serial += 1;
            backend.write_snapshot(&st).await?;
            if let Some(lock) = lock {
                lock.release().await?;
            }
            println!("Successfully moved {} object(s).", moves.len());
            Ok(0)
        }
    }
}

pub async fn import(ctx: &Ctx, args: ImportArgs) -> CliResult {
    let addr = match target(&args.address)? {
        Target::Instance(a) => a,
        Target::Resource(module, resource) => InstanceAddr {
            module,
            resource,
            key: None,
        },
        Target::Module(_) => {
            return Err(CliError::Message(
                "Invalid address: import needs a resource address, not a module.".into(),
            ))
        }
    };
    let mut engine = ctx.load_engine()?;
    let variables = ctx.variables(&mut engine)?;
    let backend = ctx.backend(&args.state).await?;
    let lock = ctx
        .lock(&backend, &args.state, "OperationTypeImport")
        .await?;
    let mut st = super::load_state(&backend).await?;
    if st.instances.contains_key(&addr) {
        return Err(CliError::Message(format!("Resource already managed by mlform\n\nmlform is already managing a remote object for {addr}. To import to this address you must first remove the existing object from the state.")));
    }
    println!("{addr}: Importing from ID \"{}\"...", args.id);
    let inst = engine
        .import(&addr, &args.id, &variables)
        .await
        .map_err(|d| CliError::Diagnostics(d, engine.sources.clone()))?;
    println!("{addr}: Import prepared!");
    st.instances.insert(addr.clone(), inst);
    if st.lineage.is_empty() {
        st.lineage = uuid::Uuid::new_v4().to_string();
    }
    st.serial += 1;
    backend.write_snapshot(&st).await?;
    if let Some(lock) = lock {
        lock.release().await?;
    }
    println!("{addr}: Refreshing state...\n\nImport successful!\n\nThe resources that were imported are shown above. These resources are now in\nyour mlform state and will henceforth be managed by mlform.");
    Ok(0)
}
