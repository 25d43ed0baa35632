//! The summary of a rollback (`apply -rollback=auto` after a failure): what was undone,
//! counted by kind, and each change left in place with the reason, so nobody has to guess
//! what the platform looks like now.

use crate::engine::RollbackReport;

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
