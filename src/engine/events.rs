//! Progress events of a run (refreshing, creating, still creating, complete, failed), sent to
//! a [`Reporter`] that the CLI renders as lines or progress bars.

use std::time::Duration;

use crate::plan::Action;

#[derive(Debug, Clone)]
pub enum Event<'a> {
    Refreshing {
        addr: &'a str,
        id: Option<&'a str>,
    },
    /// A prior object was read back (refresh).
    Refreshed {
        addr: &'a str,
        id: Option<&'a str>,
    },
    Reading {
        addr: &'a str,
    },
    /// A data source was read (`id` unless sensitive).
    ReadComplete {
        addr: &'a str,
        elapsed: Duration,
        id: Option<&'a str>,
    },
    /// Plan: an `import` block's object is being read.
    Importing {
        addr: &'a str,
        id: &'a str,
    },
    /// Apply: an imported object is now in state.
    Imported {
        addr: &'a str,
        id: &'a str,
    },
    Started {
        addr: &'a str,
        action: Action,
        id: Option<&'a str>,
    },
    StillRunning {
        addr: &'a str,
        action: Action,
        elapsed: Duration,
    },
    Finished {
        addr: &'a str,
        action: Action,
        elapsed: Duration,
        id: Option<&'a str>,
    },
    Failed {
        addr: &'a str,
        action: Action,
        message: &'a str,
    },
    /// Apply failed and its finished changes are being undone, the last first.
    RollingBack {
        changes: usize,
    },
    Retrying {
        addr: &'a str,
        attempt: u32,
        message: &'a str,
    },
}

pub trait Reporter: Send + Sync {
    fn event(&self, event: Event<'_>);
}

/// Reports nothing.
pub struct Silent;

impl Reporter for Silent {
    fn event(&self, _event: Event<'_>) {}
}
