//! `plan -generate-config-out=FILE`: for each root `import` block whose target has no
//! resource block, read the object and write a resource block for it, every argument the
//! schema accepts set from the object (null ones included), into a new file the plan then
//! loads.

use std::fmt::Write as _;
use std::path::Path;

use mlform_provider::{Schema, Value};

use super::{CliError, Ctx};
use crate::addr::InstanceAddr;
use crate::config::{Mode, ProviderRef};
use crate::diag::Diagnostic;

/// The resource block for an imported object: every argument the schema accepts.
fn block(addr: &InstanceAddr, id: &str, schema: &Schema, value: &Value) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# __generated__ by mlform from {}",
        serde_json::Value::String(id.to_string())
    );
    let _ = writeln!(
        out,
        "resource \"{}\" \"{}\" {{",
        addr.resource.type_name, addr.resource.name
    );
    let args: Vec<(&String, &mlform_provider::Attribute)> = schema
        .attributes
        .iter()
        .filter(|(_, a)| a.required || a.optional)
        .collect();
    let width = args.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    for (name, attr) in args {
        let v = value.get_attr(name);
        let text = if attr.sensitive || v.is_sensitive() {
            "null # sensitive".to_string()
        } else {
            crate::eval::hclwrite::expr(&v, 2)
        };
        let _ = writeln!(out, "  {name:<width$} = {text}");
    }
    out.push_str("}\n");
    out
}

/// Writes the generated blocks to `out` (which must not exist yet) and returns the
/// addresses they were written for.
pub(super) async fn generate(ctx: &Ctx, out: &Path) -> Result<Vec<String>, CliError> {
    let path = if out.is_absolute() {
        out.to_path_buf()
    } else {
        ctx.dir.join(out)
    };
    if path.exists() {
        return Err(CliError::Message(format!("Target generated file already exists\n\nmlform can only write generated configuration into a new file: {} exists. Delete or rename it, or choose another -generate-config-out path.", out.display())));
    }
    let mut engine = ctx.load_engine()?;
    let variables = ctx.variables(&mut engine)?;
    let mut text = String::from(
        "# __generated__ by mlform\n# Please review these resources and move them into your main configuration files.\n",
    );
    let mut written = Vec::new();
    let mut diags = Vec::new();
    for im in &engine.config.imports {
        let addr = im.to.clone();
        let declared = engine
            .config
            .descendant(&crate::addr::config_path(&addr.module))
            .is_some_and(|m| m.resources.contains_key(&addr.resource));
        if declared {
            continue;
        }
        if im.for_each.is_some() || !addr.module.is_empty() || addr.key.is_some() {
            diags.push(
                Diagnostic::error(
                    "Cannot generate configuration",
                    format!("Configuration can be generated only for a single, unkeyed resource of the root module; {} is not one.", im.to),
                )
                .at(im.span.clone())
                .hint("Write the resource block by hand for this import."),
            );
            continue;
        }
        let id = match crate::eval::expr::eval_constant(&im.id.expr)
            .ok()
            .and_then(|v| crate::eval::types::to_string(&v))
        {
            Some(id) => id,
            None => {
                diags.push(
                    Diagnostic::error(
                        "Cannot generate configuration",
                        "The import id must be a literal string to generate configuration for it.",
                    )
                    .at(im.id.span()),
                );
                continue;
            }
        };
        let provider = im.provider.clone().unwrap_or_else(|| ProviderRef {
            name: addr
                .resource
                .type_name
                .split('_')
                .next()
                .unwrap_or("")
                .to_string(),
            alias: None,
        });
        let Some(schema) = engine
            .registry
            .schema(&provider.name, &addr.resource)
            .filter(|_| addr.resource.mode == Mode::Managed)
            .cloned()
        else {
            diags.push(
                Diagnostic::error(
                    "Invalid resource type",
                    format!(
                        "The provider \"{}\" does not support resource type \"{}\".",
                        provider.name, addr.resource.type_name
                    ),
                )
                .at(im.span.clone()),
            );
            continue;
        };
        match engine
            .read_for_import(&addr, &provider, &id, &variables)
            .await
        {
            Ok(value) => {
                text.push('\n');
                text.push_str(&block(&addr, &id, &schema, &value));
                written.push(addr.to_string());
            }
            Err(d) => diags.extend(d),
        }
    }
    if !diags.is_empty() {
        return Err(CliError::Diagnostics(diags, engine.sources.clone()));
    }
    if !written.is_empty() {
        std::fs::write(&path, text).map_err(|e| {
            CliError::Message(format!(
                "Failed to write generated configuration to {}: {e}",
                out.display()
            ))
        })?;
    }
    Ok(written)
}
