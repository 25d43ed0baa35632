//! The run history kept in the state: one record per apply or destroy that reached its
//! final snapshot (what it did, how it ended, what a rollback undid), newest last, at most
//! [`HISTORY_LIMIT`]. It travels inside the snapshot, so every backend keeps it with no
//! extra object, and `mlform history` reads it like the rest of the state. A run killed
//! before its final snapshot leaves no record; its journal shows in the next run's state.

use serde::{Deserialize, Serialize};

/// Records kept; older ones are dropped first.
pub const HISTORY_LIMIT: usize = 200;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunResult {
    Applied,
    Failed,
    /// Failed, and every change it finished was undone.
    RolledBack,
    /// Failed, and some changes could not be undone.
    RollbackIncomplete,
    Interrupted,
}

impl RunResult {
    pub fn as_str(self) -> &'static str {
        match self {
            RunResult::Applied => "applied",
            RunResult::Failed => "failed",
            RunResult::RolledBack => "rolled back",
            RunResult::RollbackIncomplete => "rollback incomplete",
            RunResult::Interrupted => "interrupted",
        }
    }
}

/// What a rollback undid, and what it left.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RollbackRecord {
    pub deleted: usize,
    pub restored: usize,
    pub reinstated: usize,
    /// Changes left in place, by address.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub left: Vec<String>,
}

impl RollbackRecord {
    /// `N deleted, N restored, N reinstated`.
    pub fn totals(&self) -> String {
        format!(
            "{} deleted, {} restored, {} reinstated",
            self.deleted, self.restored, self.reinstated
        )
    }
}

/// One apply or destroy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The serial of the snapshot the run wrote.
    pub serial: u64,
    /// When it ended (RFC 3339, UTC).
    pub time: String,
    /// `apply` or `destroy`.
    pub operation: String,
    pub result: RunResult,
    pub added: usize,
    pub changed: usize,
    pub destroyed: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback: Option<RollbackRecord>,
}

/// Appends `record`, dropping the oldest past the limit.
pub fn push(history: &mut Vec<RunRecord>, record: RunRecord) {
    history.push(record);
    if history.len() > HISTORY_LIMIT {
        let excess = history.len() - HISTORY_LIMIT;
        history.drain(..excess);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_records() {
        let mut h = Vec::new();
        for serial in 0..(HISTORY_LIMIT as u64 + 5) {
            push(
                &mut h,
                RunRecord {
                    serial,
                    time: String::new(),
                    operation: "apply".into(),
                    result: RunResult::Applied,
                    added: 0,
                    changed: 0,
                    destroyed: 0,
                    rollback: None,
                },
            );
        }
        assert_eq!(h.len(), HISTORY_LIMIT);
        assert_eq!(h[0].serial, 5);
    }
}
