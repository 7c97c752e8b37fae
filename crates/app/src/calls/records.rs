//! What the call centre keeps in the database: finished calls, agents'
//! status changes, callback tasks and consultants' records.

use crate::ports::{AuditRecord, OrderSummary, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hotline_callcentre::engine::{AgentStatus, Outcome, TransferResult};
use hotline_callcentre::quality::CallQuality;
use hotline_domain::{Certification, ConsultantProfile, OrderId, PhoneNumber, Satisfaction, Training, UserId};
use serde::Serialize;

/// One finished call (话单).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallRow {
    /// The engine's call id.
    #[serde(serialize_with = "hotline_domain::ids::id_text")]
    pub id: i64,
    pub queue: String,
    /// The number as telephony gave it (may be withheld or a landline).
    pub caller: String,
    pub agent: Option<UserId>,
    pub arrived_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: DateTime<Utc>,
    pub outcome: Outcome,
    /// The sub-centre the last transfer or three-way call was tried with,
    /// and how it went.
    pub transfer_to: Option<String>,
    pub transfer_result: Option<TransferResult>,
    /// Every transfer tried, in order: a busy 12366 before the one that
    /// connected stays on the record.
    pub transfers: Vec<TransferTry>,
    /// After-call work that followed, in seconds.
    pub wrap_up_secs: i64,
    /// The work order registered for it or linked to it afterwards.
    pub order: Option<OrderId>,
    /// Its recording, once stored (`None` again after the purge).
    pub recording: Option<RecordingRef>,
    /// When the retention purge deleted its recording.
    pub recording_purged_at: Option<DateTime<Utc>>,
    /// The supervisor who took the call over from `agent` (接管).
    pub taken_over_by: Option<UserId>,
    /// The caller's rating by keypad after the consultant hung up.
    pub satisfaction: Option<Satisfaction>,
    /// Loss, jitter and score of its audio, where the lines measured them
    /// (SIP calls; not the simulator's).
    pub quality: Option<CallQuality>,
}

impl CallRow {
    /// A call as it ended, with nothing more known of it: no consultant or
    /// answer, no transfer, after-call work, order or recording, no
    /// take-over, rating or measured audio. The demo, the benchmarks and the
    /// tests set what else they need on it.
    pub fn ended(
        id: i64,
        queue: impl Into<String>,
        caller: impl Into<String>,
        arrived_at: DateTime<Utc>,
        ended_at: DateTime<Utc>,
        outcome: Outcome,
    ) -> Self {
        Self {
            id,
            queue: queue.into(),
            caller: caller.into(),
            agent: None,
            arrived_at,
            answered_at: None,
            ended_at,
            outcome,
            transfer_to: None,
            transfer_result: None,
            transfers: Vec::new(),
            wrap_up_secs: 0,
            order: None,
            recording: None,
            recording_purged_at: None,
            taken_over_by: None,
            satisfaction: None,
            quality: None,
        }
    }
}

/// One transfer tried during a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct TransferTry {
    pub to: String,
    /// `None`: still ringing when the call ended.
    pub result: Option<TransferResult>,
}

/// Where a call's recording is kept (the attachment store's content key)
/// and how long it lasts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordingRef {
    pub sha256: String,
    pub millis: i64,
}

/// An agent's status from `at` on (状态记录).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusChange {
    pub agent: UserId,
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub status: AgentStatus,
}

/// A caller to ring back (回拨任务): the queue was full, the wait too long,
/// the caller hung up waiting, or the call was lost with the node carrying
/// it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallbackTask {
    #[serde(serialize_with = "hotline_domain::ids::id_text")]
    pub call: i64,
    pub caller: String,
    pub queue: String,
    pub outcome: Outcome,
    pub created_at: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
    pub done_by: Option<UserId>,
    pub note: Option<String>,
}

/// A call the call centre's owner is carrying, written when it arrives so
/// that a node taking over after a crash can count it as lost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallInProgress {
    #[serde(serialize_with = "hotline_domain::ids::id_text")]
    pub call: i64,
    /// The node that carried it (`node_id`).
    pub node: i64,
    pub queue: String,
    pub caller: String,
    pub arrived_at: DateTime<Utc>,
}

#[async_trait]
pub trait CallStore: Send + Sync {
    /// Notes a call that arrived; [`Self::insert_call`] removes the note.
    async fn call_began(&self, call: &CallInProgress) -> StoreResult<()>;
    /// Marks every call still noted as in progress lost, by `node` at `at`,
    /// writes each its record (outcome `lost`, ended at `at`) and a
    /// callback task, in one transaction, and answers them: the node took
    /// the call centre over, so no other node carries a call any more.
    async fn mark_calls_lost(&self, node: i64, at: DateTime<Utc>) -> StoreResult<Vec<CallInProgress>>;
    /// Keeps where a consultant's phone registered, replacing what was kept.
    async fn save_phone_binding(&self, binding: &super::PhoneBinding) -> StoreResult<()>;
    /// Forgets a consultant's phone (no error when none was kept).
    async fn remove_phone_binding(&self, user: UserId) -> StoreResult<()>;
    /// The phones whose registration lasts after `now`; the lapsed ones go.
    async fn phone_bindings(&self, now: DateTime<Utc>) -> StoreResult<Vec<super::PhoneBinding>>;
    /// How many calls were marked lost since `since`.
    async fn calls_lost_since(&self, since: DateTime<Utc>) -> StoreResult<u64>;
    /// Writes a finished call and, with `callback`, its callback task, and
    /// removes its note of being in progress. A call marked lost that ended
    /// after all (its node was cut off from the database, not stopped) is
    /// not lost: its record replaces the lost one, and the lost call's
    /// callback task goes unless it was done. Writing the same call twice
    /// is a no-op.
    async fn insert_call(&self, call: &CallRow, callback: bool) -> StoreResult<()>;
    async fn call(&self, id: i64) -> StoreResult<Option<CallRow>>;
    /// Calls that arrived in `[from, to)`, oldest first.
    async fn calls(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> StoreResult<Vec<CallRow>>;
    /// The calls that arrived in the span counted per queue and half-hour
    /// of the week at `utc_offset_secs`, short abandons left out; as
    /// [`super::demand_cells`] counts them, ordered by queue and slot.
    async fn call_demand(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        utc_offset_secs: i32,
        short_abandon_secs: u32,
    ) -> StoreResult<Vec<super::DemandCell>>;
    async fn link_call(&self, id: i64, order: OrderId, audit: &AuditRecord) -> StoreResult<()>;
    /// Records where a finished call's recording is; `NotFound` before the
    /// call's row is written.
    async fn set_recording(&self, id: i64, recording: &RecordingRef) -> StoreResult<()>;
    /// Records how a finished call sounded; `NotFound` before the call's
    /// record is stored.
    async fn set_quality(&self, id: i64, quality: &CallQuality) -> StoreResult<()>;
    /// Calls whose recordings ended before `before`, oldest first.
    async fn recordings_ended_before(&self, before: DateTime<Utc>, limit: u32) -> StoreResult<Vec<(i64, RecordingRef)>>;
    /// Forgets a call's recording (its content is deleted) and notes when.
    async fn mark_recording_purged(&self, id: i64, at: DateTime<Utc>) -> StoreResult<()>;
    /// Records the caller's keypad rating of a finished call.
    async fn rate_call(&self, id: i64, satisfaction: Satisfaction) -> StoreResult<()>;
    async fn insert_status_changes(&self, changes: &[StatusChange]) -> StoreResult<()>;
    /// Status changes in `[from, to)`, oldest first.
    async fn status_changes(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> StoreResult<Vec<StatusChange>>;
    /// Who completed the callback task of a call, if one did.
    async fn callback_done_by(&self, call: i64) -> StoreResult<Option<UserId>>;
    /// Callback tasks not yet done, oldest first.
    async fn open_callbacks(&self, limit: u32) -> StoreResult<Vec<CallbackTask>>;
    /// Marks a task done; `NotFound` if there is none, `VersionConflict` if
    /// someone did it already.
    async fn complete_callback(&self, call: i64, by: UserId, at: DateTime<Utc>, note: &str, audit: &AuditRecord) -> StoreResult<()>;
    /// The newest orders the number called about, for the screen pop (来电弹屏).
    async fn caller_orders(&self, phone: &PhoneNumber, limit: u32) -> StoreResult<Vec<OrderSummary>>;
    /// A consultant's record (empty lists when nothing was recorded yet).
    async fn consultant(&self, user: UserId) -> StoreResult<ConsultantProfile>;
    /// Every consultant with a record.
    async fn consultants(&self) -> StoreResult<Vec<ConsultantProfile>>;
    async fn insert_training(&self, user: UserId, training: &Training, audit: &AuditRecord) -> StoreResult<()>;
    async fn insert_certification(&self, user: UserId, certification: &Certification, audit: &AuditRecord) -> StoreResult<()>;
    async fn set_mentor(&self, user: UserId, mentor: Option<UserId>, audit: &AuditRecord) -> StoreResult<()>;
}
