//! What electronic supervision keeps in the database: deadline timers, the
//! alerts they raised, where alerts are sent, and the outbox of deliveries.

use crate::ports::{AuditRecord, StoreResult, StoreScope};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hotline_domain::watch::{AlertLevel, Timer, Watched};
use hotline_domain::{OrderId, UnitId, UserId, WorkOrderNo};
use serde::Serialize;

/// A raised alert (预警/超期/催办/升级 notice), shown in the app to the unit,
/// or to the centre when `unit` is empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertRecord {
    #[serde(serialize_with = "hotline_domain::ids::id_text")]
    pub id: i64,
    pub order: OrderId,
    /// Filled when read back; ignored when written.
    pub number: Option<WorkOrderNo>,
    /// The order's subject, so a partner reads what happened without
    /// opening it. Filled when read back; ignored when written.
    pub order_subject: Option<String>,
    pub watched: Watched,
    /// What within the order: the supervision notice, the emergency rule,
    /// the escalated emergency alert, the surging category; 0 for the
    /// order's own deadlines.
    #[serde(serialize_with = "hotline_domain::ids::id_text")]
    pub subject: i64,
    pub level: AlertLevel,
    pub due: DateTime<Utc>,
    pub unit: Option<UnitId>,
    pub raised_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
    pub read_by: Option<UserId>,
    /// Orders reported in the incident an emergency alert stands for (1 for
    /// every other alert). Filled when read back.
    pub orders: u32,
}

/// An order counted in the incident of an emergency alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IncidentMember {
    pub alert: i64,
    pub order: OrderId,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertQuery {
    /// Which alerts: every one, or those addressed to these units.
    pub scope: StoreScope,
    pub unread_only: bool,
    pub level: Option<AlertLevel>,
    /// Keyset pagination: newest first, ids below this one.
    pub before: Option<i64>,
    pub limit: u32,
}

/// How an alert leaves the platform besides the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactChannel {
    Email,
    Webhook,
}

impl ContactChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Webhook => "webhook",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "email" => Some(Self::Email),
            "webhook" => Some(Self::Webhook),
            _ => None,
        }
    }
}

/// An address alerts of a unit (or of the centre, with no unit) go to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contact {
    pub id: i64,
    pub unit: Option<UnitId>,
    pub channel: ContactChannel,
    pub address: String,
    /// A leader's address hears only of escalations (升级督办).
    pub leader: bool,
}

/// One pending send of one alert to one address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    #[serde(serialize_with = "hotline_domain::ids::id_text")]
    pub id: i64,
    #[serde(serialize_with = "hotline_domain::ids::id_text")]
    pub alert: i64,
    pub channel: ContactChannel,
    pub address: String,
    pub attempts: i64,
    pub next_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// Given up after the last attempt.
    pub failed_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// The timers of one deadline found due together, and what they tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Firing {
    /// Marked fired together; the alert is raised only if none had fired.
    pub timers: Vec<Timer>,
    pub alert: AlertRecord,
    pub deliveries: Vec<Delivery>,
}

/// What happened to an attempted delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Delivered { at: DateTime<Utc> },
    Retry { error: String, next_at: DateTime<Utc> },
    GaveUp { at: DateTime<Utc>, error: String },
}

/// Alerts of one unit and level in a span: the raw material of cards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertCount {
    pub unit: UnitId,
    pub level: AlertLevel,
    pub orders: u64,
}

#[async_trait]
pub trait SupervisionStore: Send + Sync {
    /// Unfired timers due at `now`: every one of the orders holding the
    /// `limit` earliest, so a deadline's levels come together.
    async fn due_timers(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<Timer>>;
    /// Marks each firing's timers fired and, where none of them had fired
    /// before, raises its alert and queues its deliveries; one transaction.
    /// Returns the alerts raised.
    async fn fire(&self, firings: &[Firing], now: DateTime<Utc>) -> StoreResult<Vec<AlertRecord>>;
    /// Raises alerts with their deliveries (the firings' timers are ignored),
    /// adds timers that watch them and counts orders in incidents (each
    /// order once per alert); one transaction.
    async fn raise(&self, firings: &[Firing], timers: &[Timer], members: &[IncidentMember]) -> StoreResult<()>;
    async fn alerts(&self, query: &AlertQuery) -> StoreResult<Vec<AlertRecord>>;
    async fn alert(&self, id: i64) -> StoreResult<Option<AlertRecord>>;
    /// The alerts with these ids, as they stand (their counts included).
    async fn alerts_with_ids(&self, ids: &[i64]) -> StoreResult<Vec<AlertRecord>>;
    /// The orders counted in an alert's incident, in the order they joined,
    /// at most `limit`.
    async fn incident_orders(&self, alert: i64, limit: u32) -> StoreResult<Vec<OrderId>>;
    /// Marks an alert read (for an emergency alert: acknowledged, which
    /// cancels its escalation); reading it twice keeps the first reader.
    async fn mark_alert_read(&self, id: i64, by: UserId, at: DateTime<Utc>) -> StoreResult<()>;
    /// Orders with a completion alert of each level per unit, raised in `[from, to)`.
    async fn alert_counts(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> StoreResult<Vec<AlertCount>>;
    async fn contacts(&self) -> StoreResult<Vec<Contact>>;
    /// Replaces the addresses of a unit (or of the centre).
    async fn replace_contacts(&self, unit: Option<UnitId>, contacts: &[Contact], audit: &AuditRecord) -> StoreResult<()>;
    /// Deliveries waiting to be attempted at `now`, with their alerts.
    async fn due_deliveries(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<(Delivery, AlertRecord)>>;
    /// Takes a due delivery for one attempt: moves its `next_at` from `due`
    /// to `until` unless another node took it first (false).
    async fn claim_delivery(&self, id: i64, due: DateTime<Utc>, until: DateTime<Utc>) -> StoreResult<bool>;
    async fn record_delivery(&self, id: i64, outcome: &DeliveryOutcome) -> StoreResult<()>;
    async fn deliveries(&self, alert: i64) -> StoreResult<Vec<Delivery>>;
    /// Groups of at least `min` orders registered since `since` from the same
    /// caller or about the same problem, most orders first.
    async fn repeats(&self, by: super::RepeatBy, since: DateTime<Utc>, min: u32, limit: u32) -> StoreResult<Vec<super::Repeat>>;
    /// Supervision notices, newest first; `late` judged at `now`.
    async fn notices(&self, open_only: bool, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<super::NoticeRow>>;
}

/// The alert an order's timer raises.
pub fn alert_of(timer: &Timer, id: i64, now: DateTime<Utc>) -> AlertRecord {
    AlertRecord {
        id,
        order: timer.order,
        number: None,
        order_subject: None,
        watched: timer.watched,
        subject: timer.subject,
        level: timer.level,
        due: timer.due,
        unit: timer.unit,
        raised_at: now,
        read_at: None,
        read_by: None,
        orders: 1,
    }
}
