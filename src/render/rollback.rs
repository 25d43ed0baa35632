//! The summary of a rollback (`apply -rollback=auto` after a failure): what was undone,
//! counted by kind, and each change left in place with the reason, so nobody has to guess
//! what the platform looks like now.

use crate::engine::RollbackReport;
use crate::plan::Plan;

/// Before an apply with rollback on: the changes it could not undo, and when they run.
/// Empty when there are none.
pub fn render_irreversible(plan: &Plan) -> String {
    let changes = plan.irreversible();
    if changes.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "\nWith -rollback=auto, a failed apply undoes every change but these, which destroy data:\n",
    );
    for (c, note) in changes {
        let addr = if c.deposed {
            format!("{} (deposed object)", c.addr)
        } else {
            c.addr.to_string()
        };
        out.push_str(&format!("  - {addr}: {note}\n"));
    }
    out
}

pub fn render_rollback(report: &RollbackReport) -> String {
    let mut out = String::new();
    let totals = report.record().totals();
    if report.complete() {
        out.push_str(&format!(
            "\nRollback complete! Resources: {totals}. The platform is as it was before this apply.\n"
        ));
        return out;
    }
    out.push_str(&format!(
        "\nRollback incomplete! Resources: {totals}; {} change(s) left in place:\n",
        report.left.len()
    ));
    for (addr, why) in &report.left {
        out.push_str(&format!("  - {addr}: {why}\n"));
    }
    out.push_str("Run plan to see what differs from the configuration.\n");
    out
}
