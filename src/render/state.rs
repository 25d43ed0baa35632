//! State as text: what `mlform show` and `mlform state show` print, and `mlform test
//! -verbose` after each applied run.

use std::fmt::Write as _;

use mlform_provider::Value;

use super::values::{render_outputs, show};
use crate::state::State;

/// Renders one state instance as `terraform state show` does.
pub fn render_instance(addr: &crate::addr::InstanceAddr, v: &Value) -> String {
    let mut out = String::new();
    let keyword = if addr.resource.mode == crate::config::Mode::Data {
        "data"
    } else {
        "resource"
    };
    let _ = writeln!(out, "# {addr}:");
    let _ = writeln!(
        out,
        "{keyword} \"{}\" \"{}\" {{",
        addr.resource.type_name, addr.resource.name
    );
    if let Some(m) = v.as_map() {
        let shown: Vec<(&String, &Value)> = m.iter().filter(|(_, x)| !x.is_null()).collect();
        let width = shown.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        for (k, x) in shown {
            let text = if x.is_sensitive() {
                "(sensitive value)".to_string()
            } else {
                show(x, 4)
            };
            let _ = writeln!(out, "    {k:width$} = {text}");
        }
    }
    out.push_str("}\n");
    out
}

/// Every instance, then the outputs, as `terraform show` prints a state.
pub fn render_state(state: &State) -> String {
    let mut out = String::new();
    for (a, s) in &state.instances {
        out.push_str(&render_instance(a, &s.value));
        out.push('\n');
    }
    if !state.outputs.is_empty() {
        let outs: Vec<(String, Value, bool)> = state
            .outputs
            .iter()
            .map(|(k, o)| (k.clone(), o.value.clone(), o.sensitive))
            .collect();
        let _ = write!(out, "\nOutputs:\n\n{}", render_outputs(&outs, show));
    }
    out
}
