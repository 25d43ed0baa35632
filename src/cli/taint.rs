//! `mlform taint` and `untaint`: mark one resource instance in the state as tainted (the
//! next plan replaces it) or clear the mark, as Terraform's commands of the same names do.
//! `plan -replace=ADDRESS` does the same for one plan without touching the state.

use clap::Args;

use super::{CliError, CliResult, Ctx, StateArgs};
use crate::addr::{parse_target, Target};

#[derive(Args, Debug)]
pub struct TaintArgs {
    /// The resource instance, as in `aws_sagemaker_endpoint.scorer` or `module.a.x.y[0]`.
    address: String,
    /// Succeed even when the instance is not in the state.
    #[arg(long = "allow-missing")]
    allow_missing: bool,
    #[command(flatten)]
    state: StateArgs,
}

pub async fn taint(ctx: &Ctx, args: TaintArgs, taint: bool) -> CliResult {
    let addr = match parse_target(&args.address).map_err(CliError::Message)? {
        Target::Instance(i) => i,
        Target::Resource(module, resource) => crate::addr::InstanceAddr {
            module,
            resource,
            key: None,
        },
        Target::Module(_) => {
            return Err(CliError::Message(format!(
            "Invalid resource instance address\n\n{} is a module; {} marks one resource instance.",
            args.address,
            if taint { "taint" } else { "untaint" }
        )))
        }
    };
    if addr.resource.mode == crate::config::Mode::Data {
        return Err(CliError::Message(format!(
            "Invalid resource instance address\n\n{addr} is a data source, which is read again on every plan and cannot be tainted."
        )));
    }
    let backend = ctx.backend(&args.state).await?;
    let operation = if taint {
        "OperationTypeTaint"
    } else {
        "OperationTypeUntaint"
    };
    let lock = ctx.lock(&backend, &args.state, operation).await?;
    let mut st = super::load_state(&backend).await?;
    let Some(instance) = st.instances.get_mut(&addr) else {
        if args.allow_missing {
            println!("Resource instance {addr} was not found, but this is not an error because -allow-missing was set.");
            return Ok(0);
        }
        return Err(CliError::Message(format!(
            "No such resource instance\n\nThere is no resource instance in the state with the address {addr}. If the resource configuration has just been added, you must run \"mlform apply\" once to create the corresponding instance(s) before they can be tainted."
        )));
    };
    if !taint && !instance.tainted {
        return Err(CliError::Message(format!(
            "Resource instance is not tainted\n\nResource instance {addr} is not currently tainted, and so it cannot be untainted."
        )));
    }
    instance.tainted = taint;
    st.serial += 1;
    backend.write_snapshot(&st).await?;
    if let Some(lock) = lock {
        lock.release().await?;
    }
    if taint {
        println!("Resource instance {addr} has been marked as tainted.");
    } else {
        println!("Resource instance {addr} has been successfully untainted.");
    }
    Ok(0)
}
