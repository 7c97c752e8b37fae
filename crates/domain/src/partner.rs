//! Partners' systems that reach the centre with an API key (a city app, a
//! WeChat mini-program, a department's own case system): what a key may do.

impl ApiScope {
    /// Scopes that belong to one unit and name it.
    pub fn names_unit(self) -> bool {
        matches!(self, Self::Unit | Self::Update)
    }
}

use crate::vocabulary::vocabulary;

vocabulary!(
    /// What an API key allows.
    ApiScope, "API key scope" {
        /// Submit requests (Open311 `POST requests`).
        Submit = "submit", "提交诉求";
        /// Read the requests this key's partner submitted.
        Read = "read", "查询本方提交的诉求";
        /// Read the orders of the key's unit (a department that keeps its own case system).
        Unit = "unit", "查询本单位工单";
        /// Read and act on the orders of the key's unit as its external
        /// system's service account (sign for, progress, result, return).
        Update = "update", "办理本单位工单";
    }
);

/// Requests a key may make per minute unless its administrator says otherwise.
pub const DEFAULT_PER_MINUTE: u32 = 120;
/// The most a key may be given (1,000 a second): beyond it a partner is
/// better served by a bulk export.
pub const MAX_PER_MINUTE: u32 = 60_000;
