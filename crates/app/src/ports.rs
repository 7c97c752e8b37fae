//! What the application needs from storage. One SQL implementation serves
//! SQLite and PostgreSQL (crate `hotline-store-sql`); the contract tests in
//! that crate run against both.
//!
//! This module names only the domain's types: the stores of the call
//! centre, supervision and emergency linkage sit beside their services
//! (`calls/records.rs`, `supervision/records.rs`, `emergency/records.rs`),
//! and the whole `Store` is assembled in `app.rs`, so every module can
//! depend on these ports and none of them on another service.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use hotline_domain::knowledge::{ArticleContent, ArticleState, ArticleStatus, Visibility};
use hotline_domain::{
    Affiliation, ArticleId, AttachmentId, CalendarDay, CatalogueEntry, Category, CategoryId, Decision, HistoryEntry, IntegrationMode,
    OrderId, OrderType, RoleSet, State, Unit, UnitId, Urgency, UserId, WorkOrder, WorkOrderNo,
};
use serde::Serialize;
use std::sync::Arc;

pub type StoreResult<T> = Result<T, StoreError>;

/// Background work whose time has come and that is not done yet, for
/// operators: a count that stays up means a worker is stuck or a partner is
/// down.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backlog {
    /// Deadline timers due and not fired.
    pub deadline_timers: u64,
    /// Alert deliveries (SMS, e-mail, webhook) due and neither delivered nor given up.
    pub alert_deliveries: u64,
    /// Texts to citizens due and not sent.
    pub texts: u64,
    /// Pushes to units' own systems due and not accepted.
    pub pushes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row changed since it was read: someone else acted first.
    #[error("the record was changed by someone else (now at version {current})")]
    VersionConflict { current: i64 },
    /// A unique key is taken (a unit code, a username, a hotline number…).
    #[error("{0} already exists")]
    Duplicate(String),
    #[error("{0} not found")]
    NotFound(String),
    /// The database failed or is unreachable.
    #[error("database error: {0}")]
    Backend(String),
    /// The database could not fit the transaction beside another
    /// (serialization failure, deadlock, or a lock not had within the
    /// time allowed); the same transaction may well succeed if tried again.
    #[error("the database could not order this write with another ({0}); try again")]
    Contention(String),
}

/// How many attachments an order takes, in all and from one uploader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttachmentCaps {
    pub per_order: usize,
    pub per_uploader: Option<usize>,
}

/// What became of an attachment: stored, or refused by a cap (nothing written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attached {
    Stored,
    OrderFull,
    UploaderFull,
}

/// An order written whole: demo data, benchmarks, legacy imports.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedOrder {
    pub order: WorkOrder,
    pub history: Vec<HistoryEntry>,
    pub timers: Vec<hotline_domain::watch::Timer>,
}

/// Which orders a query may return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreScope {
    All,
    /// Orders any of these units holds or held.
    Units(Arc<[UnitId]>),
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrderFilter {
    pub states: Vec<State>,
    /// Orders this unit is or was involved with.
    pub unit: Option<UnitId>,
    pub order_type: Option<OrderType>,
    pub urgency: Option<Urgency>,
    /// A category and everything below it; empty: any category.
    pub categories: Vec<CategoryId>,
    pub town: Option<UnitId>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    /// Only orders overdue at this instant (not yet answered, past due).
    pub overdue_at: Option<DateTime<Utc>>,
    /// Only orders with a pending extension request.
    pub extension_requested: bool,
    /// Only orders whose public reply a reviewer decided to publish.
    pub published: bool,
    /// Only orders submitted by this partner's system (their external source).
    pub external_source: Option<String>,
    /// Only open orders not yet answered whose completion falls in `[from, to)`.
    pub expiring: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// Only orders whose last follow-up recorded this verdict.
    pub satisfaction: Option<hotline_domain::Satisfaction>,
    /// Leaves out orders waiting for the follow-up whose follow-up text
    /// (not failed) was queued at or after this instant: the citizen may
    /// still answer it, so nobody calls yet.
    pub texting_since: Option<DateTime<Utc>>,
    /// Free text found in the subject, description, address or number, or
    /// the caller's phone (or its last digits).
    pub text: Option<TextFilter>,
}

/// The free-text part of an order search, parsed at the edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextFilter {
    /// Searched as a substring, case as written.
    pub text: String,
    /// The text when it is 4 to 11 digits: also matched against the end of
    /// the caller's phone number (where the reader may see the caller).
    pub phone_digits: Option<String>,
}

pub const TEXT_FILTER_MAX: usize = 100;

impl TextFilter {
    /// Blank is no filter; the text is trimmed and at most 100 characters.
    pub fn parse(s: &str) -> Result<Option<Self>, hotline_domain::FieldError> {
        let text = s.trim();
        if text.is_empty() {
            return Ok(None);
        }
        if text.chars().count() > TEXT_FILTER_MAX {
            return Err(hotline_domain::FieldError::new("q", format!("at most {TEXT_FILTER_MAX} characters")));
        }
        let digits = text.chars().all(|c| c.is_ascii_digit()) && (4..=11).contains(&text.len());
        Ok(Some(Self { text: text.to_owned(), phone_digits: digits.then(|| text.to_owned()) }))
    }
}

/// Keyset pagination: newest first, after the given id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub before: Option<OrderId>,
    pub limit: u32,
}

/// One row of an order list: no personal data, so lists are never audited.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderSummary {
    pub id: OrderId,
    pub number: WorkOrderNo,
    pub order_type: OrderType,
    pub category: CategoryId,
    pub urgency: Urgency,
    pub state: State,
    pub subject: String,
    pub town: Option<UnitId>,
    pub lead_unit: Option<UnitId>,
    pub assignee_unit: Option<UnitId>,
    pub created_at: DateTime<Utc>,
    pub sign_for_due: Option<DateTime<Utc>>,
    pub completion_due: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub extension_requested: bool,
    pub version: i64,
    /// It matched an emergency linkage rule at registration.
    pub emergency: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub affiliation: Affiliation,
    pub roles: RoleSet,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// The digest secret (HA1) the consultant's SIP phone registers with;
    /// `None`: no phone may register as this user.
    pub phone_secret: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub token_hash: String,
    pub user: UserId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HotlineRecord {
    pub id: i64,
    pub unit: UnitId,
    pub number: String,
    pub name: String,
    pub mode: IntegrationMode,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CatalogueRecord {
    pub id: i64,
    #[serde(flatten)]
    pub entry: CatalogueEntry,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttachmentRecord {
    pub id: AttachmentId,
    pub order: OrderId,
    /// Hex SHA-256 of the content: the blob's address.
    pub sha256: String,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub uploaded_by: UserId,
    pub uploaded_at: DateTime<Utc>,
}

/// One audit event. `detail` is JSON text, hashed exactly as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: Option<UserId>,
    pub action: String,
    pub target: String,
    pub detail: String,
    /// Written by the application's insert path: a MAC of the fields with
    /// the audit key, which the database does not hold. None on records
    /// from before keys.
    #[serde(skip)]
    pub mac: Option<String>,
}

/// An audit record with its place in the chain, once sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    #[serde(flatten)]
    pub record: AuditRecord,
    pub seq: Option<i64>,
    pub hash: Option<String>,
}

/// The end of the sealed chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    pub seq: i64,
    pub hash: String,
    /// Records sealed before audit keys (up to this seq) carry no MAC.
    pub legacy_until: i64,
}

/// A retried create names the same key: the first order is returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyClaim {
    pub user: UserId,
    pub key: String,
    /// Hash of the request body, to refuse the same key for another request.
    pub request_hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InsertOutcome {
    Inserted,
    /// The key was used before; nothing was written.
    Replay {
        order: OrderId,
        request_hash: String,
    },
}

/// An order the suggestions learn from (`suggestions.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingOrder {
    pub id: OrderId,
    pub created_at: DateTime<Utc>,
    pub subject: String,
    pub description: String,
    pub category: CategoryId,
    pub lead_unit: Option<UnitId>,
    /// The official code of the town the matter is in.
    pub town: Option<String>,
}

#[async_trait]
pub trait OrderStore: Send + Sync {
    /// Writes a new order, its first history entry, the audit record, the
    /// idempotency key and the texts it sends in one transaction (a replay
    /// writes none of them).
    async fn insert_order(
        &self,
        decision: &Decision,
        audit: &AuditRecord,
        claim: Option<&IdempotencyClaim>,
        texts: &[SmsMessage],
    ) -> StoreResult<InsertOutcome>;
    /// Writes a decision if the stored version is still `expected_version`;
    /// `also` is a history entry for another order written in the same
    /// transaction (the master of a merge), `outbox` what it sends out.
    async fn save_decision(
        &self,
        expected_version: i64,
        decision: &Decision,
        also: Option<&HistoryEntry>,
        audit: &AuditRecord,
        outbox: &Outbox,
    ) -> StoreResult<()>;
    async fn order(&self, id: OrderId) -> StoreResult<Option<WorkOrder>>;
    async fn order_by_number(&self, number: &WorkOrderNo) -> StoreResult<Option<WorkOrder>>;
    /// The order with its attachments, in one round trip when it has none.
    async fn order_with_attachments(&self, number: &WorkOrderNo) -> StoreResult<Option<(WorkOrder, Vec<AttachmentRecord>)>>;
    async fn order_id(&self, number: &WorkOrderNo) -> StoreResult<Option<OrderId>>;
    /// Orders to learn suggestions from, newest first: those dispatched
    /// (their category and lead unit as finally decided) or answered
    /// directly (their category).
    async fn training_orders(&self, limit: u32) -> StoreResult<Vec<TrainingOrder>>;
    /// The order imported or submitted under this number of another system.
    async fn order_id_by_external(&self, reference: &hotline_domain::ExternalRef) -> StoreResult<Option<OrderId>>;
    async fn list_orders(&self, scope: &StoreScope, filter: &OrderFilter, page: PageRequest) -> StoreResult<Vec<OrderSummary>>;
    /// Whole orders (without their supervision notices) of a filtered list,
    /// newest registered first, a page of `limit` after skipping `offset`:
    /// for partners' systems, which page by number.
    async fn list_order_records(&self, scope: &StoreScope, filter: &OrderFilter, offset: u32, limit: u32) -> StoreResult<Vec<WorkOrder>>;
    /// Orders waiting on one of these units now (their pending list).
    async fn unit_pending(&self, units: &[UnitId], page: PageRequest) -> StoreResult<Vec<OrderSummary>>;
    /// Whether any of these units holds or held the order.
    async fn involved(&self, order: OrderId, units: &[UnitId]) -> StoreResult<bool>;
    async fn history(&self, order: OrderId) -> StoreResult<Vec<HistoryEntry>>;
    /// Reserves `count` values of a named counter; returns the last one.
    async fn reserve_sequence(&self, key: &str, count: u64) -> StoreResult<u64>;
    /// Writes many finished orders at once (demo data, benchmarks, imports).
    /// Writes finished or historical orders with their histories and timers.
    async fn import_orders(&self, orders: &[ImportedOrder], audit: &AuditRecord) -> StoreResult<()>;
    async fn count_orders(&self) -> StoreResult<i64>;
    /// Stores the attachment unless the order already holds `caps.per_order`
    /// (or its uploader `caps.per_uploader`) attachments, counted in the same
    /// transaction, so concurrent uploads cannot overshoot.
    async fn insert_attachment(&self, record: &AttachmentRecord, caps: AttachmentCaps, audit: &AuditRecord) -> StoreResult<Attached>;
    async fn attachments(&self, order: OrderId) -> StoreResult<Vec<AttachmentRecord>>;
    async fn attachment(&self, id: AttachmentId) -> StoreResult<Option<AttachmentRecord>>;
}

#[async_trait]
pub trait OrgStore: Send + Sync {
    async fn units(&self) -> StoreResult<Vec<Unit>>;
    async fn insert_unit(&self, unit: &Unit, audit: &AuditRecord) -> StoreResult<()>;
    async fn update_unit(&self, unit: &Unit, audit: &AuditRecord) -> StoreResult<()>;
    async fn hotlines(&self) -> StoreResult<Vec<HotlineRecord>>;
    async fn insert_hotline(&self, hotline: &HotlineRecord, audit: &AuditRecord) -> StoreResult<()>;
    async fn categories(&self) -> StoreResult<Vec<Category>>;
    async fn insert_categories(&self, categories: &[Category], audit: &AuditRecord) -> StoreResult<()>;
    async fn catalogue(&self) -> StoreResult<Vec<CatalogueRecord>>;
    async fn insert_catalogue(&self, entries: &[CatalogueRecord], audit: &AuditRecord) -> StoreResult<()>;
    async fn delete_catalogue(&self, id: i64, audit: &AuditRecord) -> StoreResult<()>;
    async fn users(&self) -> StoreResult<Vec<UserRecord>>;
    async fn user(&self, id: UserId) -> StoreResult<Option<UserRecord>>;
    async fn user_by_name(&self, username: &str) -> StoreResult<Option<UserRecord>>;
    async fn insert_user(&self, user: &UserRecord, audit: &AuditRecord) -> StoreResult<()>;
    /// Saves the user; `end_sessions` (and a disabled account) deletes every
    /// session of theirs in the same transaction.
    async fn update_user(&self, user: &UserRecord, end_sessions: bool, audit: &AuditRecord) -> StoreResult<()>;
    async fn insert_session(&self, session: &SessionRecord) -> StoreResult<()>;
    /// The active user behind an unexpired session.
    async fn session_user(&self, token_hash: &str, now: DateTime<Utc>) -> StoreResult<Option<UserRecord>>;
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
}

#[async_trait]
pub trait CalendarStore: Send + Sync {
    async fn calendar_days(&self) -> StoreResult<Vec<CalendarDay>>;
    async fn upsert_calendar_days(&self, days: &[CalendarDay], audit: &AuditRecord) -> StoreResult<()>;
    async fn delete_calendar_day(&self, date: NaiveDate, audit: &AuditRecord) -> StoreResult<bool>;
    /// Raises the alert that `year`'s holidays are missing; false when it
    /// was raised before (by this node or another).
    async fn raise_calendar_alert(&self, year: i32, at: DateTime<Utc>) -> StoreResult<bool>;
    async fn calendar_alerts(&self) -> StoreResult<Vec<CalendarAlert>>;
    /// False when there is no alert for `year`.
    async fn acknowledge_calendar_alert(&self, year: i32, by: UserId, at: DateTime<Utc>, audit: &AuditRecord) -> StoreResult<bool>;
}

/// The administrators' alert that a year's holidays are missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarAlert {
    pub year: i32,
    pub raised_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
    pub read_by: Option<UserId>,
}

/// Counts of attempts against a limit, shared by every node.
#[async_trait]
pub trait AttemptStore: Send + Sync {
    /// Adds `amount` (one attempt, or bytes) under `key` and returns the
    /// total in its window, this one included; a window that started at or
    /// before `expired` starts again at `now`. Atomic: of concurrent
    /// attempts each sees its own total.
    async fn count_attempt(&self, key: &str, amount: i64, now: DateTime<Utc>, expired: DateTime<Utc>) -> StoreResult<i64>;
    /// Takes `amount` back (the attempt turned out legitimate, or failed).
    async fn refund_attempt(&self, key: &str, amount: i64) -> StoreResult<()>;
    /// Forgets every attempt under `key`.
    async fn clear_attempts(&self, key: &str) -> StoreResult<()>;
    /// Deletes windows that started before `before`.
    async fn sweep_attempts(&self, before: DateTime<Utc>) -> StoreResult<u64>;
}

/// Leases on work one node does for all, shared by every node.
#[async_trait]
pub trait LeaseStore: Send + Sync {
    /// Takes the lease `name` for `holder` until `until` if it is free (it
    /// lapsed at or before `now`, or was never taken) or already
    /// `holder`'s (then renewed); true when `holder` holds it. Atomic:
    /// of nodes asking at once, one gets it.
    async fn hold_lease(&self, name: &str, holder: i64, now: DateTime<Utc>, until: DateTime<Utc>) -> StoreResult<bool>;
    /// When the lease `name` lapses as its holder last took or renewed it;
    /// None when nobody has taken it (or it was given up).
    async fn lease_lapses_at(&self, name: &str) -> StoreResult<Option<DateTime<Utc>>>;
    /// Gives the lease `name` up if `holder` holds it, so another takes it
    /// at once.
    async fn release_lease(&self, name: &str, holder: i64) -> StoreResult<()>;
}

/// Settings administrators save in the interface (JSON under a key), which
/// override the configuration file.
#[async_trait]
pub trait SettingStore: Send + Sync {
    async fn setting(&self, key: &str) -> StoreResult<Option<String>>;
    async fn put_setting(&self, key: &str, value: &str, at: DateTime<Utc>, audit: &AuditRecord) -> StoreResult<()>;
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends a record on its own (reads of personal data, logins).
    async fn append_audit(&self, record: &AuditRecord) -> StoreResult<()>;
    /// Seals up to `limit` pending records onto the chain, in id order;
    /// returns how many were sealed.
    async fn seal_audit(&self, limit: u32) -> StoreResult<u64>;
    /// Sealed entries with `seq > after`, in chain order.
    async fn audit_chain(&self, after: i64, limit: u32) -> StoreResult<Vec<AuditEntry>>;
    async fn audit_head(&self) -> StoreResult<ChainHead>;
    async fn unsealed_audit(&self) -> StoreResult<i64>;
    /// Newest first, before the given id.
    async fn audit_log(&self, before: Option<i64>, limit: u32) -> StoreResult<Vec<AuditEntry>>;
}

/// Where an index stands in the stream of changes: everything changed up to
/// this `(updated_at, id)` is in it. Rows are read back in that order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct ChangeCursor {
    pub updated_at: DateTime<Utc>,
    pub id: i64,
}

impl ChangeCursor {
    pub const START: Self = Self { updated_at: DateTime::<Utc>::MIN_UTC, id: i64::MIN };
}

/// The stored form of an article: its workflow state and newest content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArticleRecord {
    pub id: ArticleId,
    pub state: ArticleState,
    /// The newest version's content.
    pub content: ArticleContent,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Bumped by every change, for optimistic concurrency.
    pub revision: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArticleVersionRecord {
    pub article: ArticleId,
    pub version: i32,
    pub content: ArticleContent,
    /// `None`: the operator (an import at the command line).
    pub edited_by: Option<UserId>,
    pub edited_at: DateTime<Utc>,
}

/// One row of an article list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArticleSummary {
    pub id: ArticleId,
    pub title: String,
    pub owner: Option<UnitId>,
    pub category: Option<CategoryId>,
    pub visibility: Visibility,
    pub status: ArticleStatus,
    pub version: i32,
    pub live_version: Option<i32>,
    pub publish_at: Option<DateTime<Utc>>,
    /// The live version's last day, if it has one.
    pub live_expires_on: Option<NaiveDate>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArticleFilter {
    /// Articles these units own; `None`: any owner (the centre's view).
    pub owners: Option<Vec<UnitId>>,
    pub status: Option<ArticleStatus>,
    /// Only articles whose live version expired before this day.
    pub expired_before: Option<NaiveDate>,
    /// Newest first, before this id.
    pub before: Option<ArticleId>,
    pub limit: u32,
}

/// An article as the index needs it: its live version, or nothing when no
/// version is live (the index then drops it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleChange {
    pub id: ArticleId,
    pub cursor: ChangeCursor,
    pub live: Option<ArticleContent>,
}

/// An order an article answered, as what citizens asked it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AskedOrder {
    pub article: ArticleId,
    pub order: OrderId,
    pub caller_phone: Option<String>,
    pub subject: String,
    pub description: String,
}

/// A work order as the index needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderChange {
    pub id: OrderId,
    pub cursor: ChangeCursor,
    pub number: WorkOrderNo,
    pub subject: String,
    pub description: String,
    /// The answers it got: the consultant's direct answer, the unit's result
    /// and public reply.
    pub reply: String,
    /// The public reply alone, shown with similar cases.
    pub public_reply: Option<String>,
    pub category: CategoryId,
    pub town: Option<UnitId>,
    pub state: State,
    /// Every unit that holds or held it.
    pub units: Vec<UnitId>,
    pub created_at: DateTime<Utc>,
}

/// Words the segmenter must keep whole, and words that mean the same.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SearchVocabulary {
    pub terms: Vec<String>,
    pub synonyms: Vec<SynonymSet>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SynonymSet {
    /// As text: a generated id is beyond what JavaScript numbers hold.
    #[serde(serialize_with = "hotline_domain::ids::id_text")]
    pub id: i64,
    pub words: Vec<String>,
}

/// Who searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    Staff,
    Public,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Staff => "staff",
            Self::Public => "public",
        }
    }
}

/// A search made or an article opened, for the hot-topics ranking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnowledgeEvent {
    pub at: DateTime<Utc>,
    pub audience: Audience,
    /// The query as typed (trimmed, at most 100 characters); empty when an
    /// article was opened directly.
    pub query: String,
    /// The query's words as the engine reads them, so that 社保卡补办 and
    /// 补办 社保卡 count as one topic.
    pub topic: String,
    /// The best answer found, or the article opened.
    pub article: Option<ArticleId>,
    pub results: i32,
}

/// An article and how often it was wanted in a window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArticleDemand {
    pub article: ArticleId,
    pub searches: i64,
    pub orders: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueryDemand {
    pub topic: String,
    /// One way it was typed.
    pub query: String,
    pub searches: i64,
}

#[async_trait]
pub trait KnowledgeStore: Send + Sync {
    /// Writes the article and its first version.
    async fn insert_article(&self, article: &ArticleRecord, audit: &AuditRecord) -> StoreResult<()>;
    /// Updates the article if its revision is still `expected_revision`;
    /// with `new_version` also writes `article.content` as version
    /// `article.state.version`.
    async fn save_article(
        &self,
        expected_revision: i64,
        article: &ArticleRecord,
        new_version: Option<&ArticleVersionRecord>,
        audit: &AuditRecord,
    ) -> StoreResult<()>;
    async fn article(&self, id: ArticleId) -> StoreResult<Option<ArticleRecord>>;
    async fn article_by_title(&self, owner: Option<UnitId>, title: &str) -> StoreResult<Option<ArticleId>>;
    async fn article_versions(&self, id: ArticleId) -> StoreResult<Vec<ArticleVersionRecord>>;
    async fn list_articles(&self, filter: &ArticleFilter) -> StoreResult<Vec<ArticleSummary>>;
    /// Scheduled articles whose time has come.
    async fn scheduled_due(&self, now: DateTime<Utc>) -> StoreResult<Vec<ArticleId>>;
    /// Articles changed after the cursor, oldest change first.
    async fn articles_changed(&self, after: ChangeCursor, limit: u32) -> StoreResult<Vec<ArticleChange>>;
    /// Work orders changed after the cursor, oldest change first.
    async fn orders_changed(&self, after: ChangeCursor, limit: u32) -> StoreResult<Vec<OrderChange>>;
    async fn search_vocabulary(&self) -> StoreResult<SearchVocabulary>;
    async fn insert_search_term(&self, term: &str, audit: &AuditRecord) -> StoreResult<()>;
    async fn delete_search_term(&self, term: &str, audit: &AuditRecord) -> StoreResult<bool>;
    async fn insert_synonyms(&self, set: &SynonymSet, audit: &AuditRecord) -> StoreResult<()>;
    async fn delete_synonyms(&self, id: i64, audit: &AuditRecord) -> StoreResult<bool>;
    async fn record_knowledge_events(&self, events: &[KnowledgeEvent]) -> StoreResult<()>;
    /// Links an article to the order it answered; linking twice is a no-op.
    async fn link_article(&self, order: OrderId, article: ArticleId, by: UserId, at: DateTime<Utc>) -> StoreResult<()>;
    async fn linked_articles(&self, order: OrderId) -> StoreResult<Vec<ArticleId>>;
    /// The newest `per_article` orders each of these articles answered.
    async fn article_evidence(&self, articles: &[ArticleId], per_article: u32) -> StoreResult<Vec<AskedOrder>>;
    /// The articles that answered the most orders.
    async fn most_linked_articles(&self, limit: u32) -> StoreResult<Vec<ArticleId>>;
    /// Remembers that an editor turned a synonym proposal down.
    async fn dismiss_synonym(&self, word: &str, partner: &str, audit: &AuditRecord) -> StoreResult<()>;
    async fn synonym_dismissals(&self) -> StoreResult<Vec<(String, String)>>;
    /// Articles by searches that found or opened them and by orders linked
    /// to them since `since`.
    async fn article_demand(&self, since: DateTime<Utc>, limit: u32) -> StoreResult<Vec<ArticleDemand>>;
    async fn query_demand(&self, since: DateTime<Utc>, limit: u32) -> StoreResult<Vec<QueryDemand>>;
}

#[async_trait]
pub trait EvaluationStore: Send + Sync {
    /// The evaluation counts of orders registered in `[from, to)`, judged at
    /// `as_of`, merged duplicates and invalid calls left out, per group key:
    /// the lead unit, the town, the registering user, or the order's own
    /// category (the caller folds categories into their roots). Orders
    /// without a key (not dispatched, no town) are in no group.
    /// Orders registered in `[from, to)` per channel or type (wire names),
    /// merged duplicates and invalid calls left out, most first.
    async fn order_counts(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        by: hotline_domain::kpi::Breakdown,
    ) -> StoreResult<Vec<(String, u64)>>;
    /// Open orders not answered and past their completion date at `now`.
    async fn overdue_open(&self, now: DateTime<Utc>) -> StoreResult<u64>;
    async fn kpi_counts(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        as_of: DateTime<Utc>,
        by: hotline_domain::kpi::Dimension,
    ) -> StoreResult<Vec<(i64, hotline_domain::kpi::KpiCounts)>>;
}

/// A text a citizen sent to the hotline and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncomingText {
    #[serde(serialize_with = "hotline_domain::ids::id_text")]
    pub id: i64,
    /// The gateway's id for it: a delivery the gateway retries is recognised.
    pub gateway_id: String,
    #[serde(skip)]
    pub phone: hotline_domain::PhoneNumber,
    /// The number it was sent to (12345, or a long number of the centre's).
    pub to: String,
    pub text: String,
    pub outcome: hotline_domain::sms::IncomingOutcome,
    /// The order it rated or became.
    pub order: Option<OrderId>,
    pub number: Option<WorkOrderNo>,
    /// The rating it recorded.
    pub rating: Option<hotline_domain::Satisfaction>,
    /// Why it did nothing.
    pub reason: Option<hotline_domain::sms::UnmatchedReason>,
    pub received_at: DateTime<Utc>,
}

/// What a change sends out: written in the change's own transaction, so
/// nothing goes out for a change that was not made and nothing made is
/// left unsent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outbox {
    /// To units' own case systems (`external`).
    pub pushes: Vec<Push>,
    /// To the citizen (`sms`).
    pub texts: Vec<SmsMessage>,
}

/// One change of one order, on its way to one external system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Push {
    #[serde(serialize_with = "hotline_domain::ids::id_text")]
    pub id: i64,
    pub unit: UnitId,
    pub order: OrderId,
    /// The order's version after the change: with the order, it names the
    /// change, so the store writes it once and the partner can put changes
    /// in order.
    pub version: i64,
    /// The action (`dispatch`, `supervise` …).
    pub event: String,
    /// The JSON sent, frozen when the change was made.
    #[serde(skip)]
    pub body: String,
    pub attempts: i64,
    /// When it is tried next; `None` once delivered or given up.
    pub next_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// Given up after the last attempt: a dead letter, re-sent by hand.
    pub dead_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A text to a citizen, from queueing to the operator's receipt; queued in
/// the transaction of what it tells (a registration, a review).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SmsMessage {
    #[serde(serialize_with = "hotline_domain::ids::id_text")]
    pub id: i64,
    pub order: Option<OrderId>,
    pub number: Option<WorkOrderNo>,
    /// The full number: the gateway needs it; screens mask it.
    #[serde(skip)]
    pub phone: hotline_domain::PhoneNumber,
    pub event: hotline_domain::sms::SmsEvent,
    pub text: String,
    pub segments: u32,
    pub state: hotline_domain::sms::SmsState,
    pub attempts: i64,
    /// When it is tried next; `None` once the gateway took it or gave up.
    pub next_at: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// The operator's last receipt, as the gateway reported it.
    pub receipt: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}
