//! What the store keeps of external systems and of the pushes to them.

pub use crate::ports::Push;
use crate::ports::{AuditRecord, StoreResult, UserRecord};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hotline_domain::{UnitId, UserId};
use serde::Serialize;

/// A unit's own case system, which the centre pushes the unit's orders to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExternalSystem {
    pub unit: UnitId,
    /// What people call it (`税务12366工单系统`).
    pub name: String,
    /// Where changes are POSTed.
    pub webhook_url: String,
    /// The HMAC-SHA256 key of `X-Hotline-Signature`: kept as it is, since
    /// the server signs with it; never shown after it was issued.
    #[serde(skip)]
    pub secret: String,
    /// The account its API key acts as, in the unit's history lines.
    pub service_user: UserId,
    /// Switched off: nothing is pushed (what is waiting stays waiting) and
    /// its key cannot act.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What happened to an attempted push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    Delivered { at: DateTime<Utc> },
    Retry { error: String, next_at: DateTime<Utc> },
    Dead { at: DateTime<Utc>, error: String },
}

/// Which pushes of a unit to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushState {
    /// Waiting for their next attempt.
    Pending,
    Delivered,
    /// Given up: the dead-letter list.
    Dead,
}

/// A system's pushes by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PushCounts {
    pub pending: i64,
    pub delivered: i64,
    pub dead: i64,
}

#[async_trait]
pub trait ExternalStore: Send + Sync {
    async fn external_systems(&self) -> StoreResult<Vec<ExternalSystem>>;
    /// Inserts or updates the system; `service_user`, when given, is created
    /// in the same transaction.
    async fn save_external_system(
        &self,
        system: &ExternalSystem,
        service_user: Option<&UserRecord>,
        audit: &AuditRecord,
    ) -> StoreResult<()>;
    /// Pushes due at `now` to active systems, oldest first, each the
    /// earliest still waiting of its order and system: a partner never
    /// hears of a change before the one it follows.
    async fn due_pushes(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<Push>>;
    /// Takes the push for one attempt: moves its `next_at` from `due` to
    /// `until`, false when another node (or round) took it first. A node
    /// that dies mid-attempt leaves it due again at `until`.
    async fn claim_push(&self, id: i64, due: DateTime<Utc>, until: DateTime<Utc>) -> StoreResult<bool>;
    async fn record_push(&self, id: i64, outcome: &PushOutcome) -> StoreResult<()>;
    /// A unit's pushes in one state, newest first.
    async fn pushes(&self, unit: UnitId, state: PushState, limit: u32) -> StoreResult<Vec<Push>>;
    async fn push(&self, id: i64) -> StoreResult<Option<Push>>;
    async fn push_counts(&self, unit: UnitId) -> StoreResult<PushCounts>;
    /// Puts a dead letter back in the queue, due at `now`; false when it
    /// was not dead.
    async fn resend_push(&self, id: i64, now: DateTime<Utc>, audit: &AuditRecord) -> StoreResult<bool>;
}
