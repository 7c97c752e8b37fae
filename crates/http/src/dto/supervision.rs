//! What the supervision desk and emergency linkage answer, as the API
//! documents it. Field for field the application's records (instants in
//! UTC, ids as strings), converted here so the document cannot drift.

use chrono::{DateTime, Utc};
use hotline_app::emergency::{PublicWarning, WarningLevel};
use hotline_app::supervision::{AlertRecord, Card, CardColour, Contact, ContactChannel, Delivery, NoticeRow, Repeat, ScanReport};
use hotline_domain::emergency::EmergencyRule;
use hotline_domain::watch::{AlertLevel, Watched};
use hotline_domain::{CategoryId, NoticeId, OrderId, UnitId, UserId, WorkOrderNo};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

fn text<S: serde::Serializer>(id: &i64, s: S) -> Result<S::Ok, S::Error> {
    hotline_domain::ids::id_text(id, s)
}

/// A raised alert (预警/超期/催办/升级, emergency linkage, surge).
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertDto {
    #[serde(serialize_with = "text")]
    #[schema(value_type = String)]
    pub id: i64,
    #[schema(value_type = String)]
    pub order: OrderId,
    #[schema(value_type = Option<String>)]
    pub number: Option<WorkOrderNo>,
    /// The order's subject.
    pub order_subject: Option<String>,
    /// What is watched: `completion`, `sign_for`, `notice`, `extension`, `emergency`, `surge` …
    #[schema(value_type = String)]
    pub watched: Watched,
    /// The notice, emergency rule, escalated alert or surging category; 0 for the order's own deadlines.
    #[serde(serialize_with = "text")]
    #[schema(value_type = String)]
    pub subject: i64,
    /// `yellow`, `red`, `reminder` or `escalation`.
    #[schema(value_type = String)]
    pub level: AlertLevel,
    pub due: DateTime<Utc>,
    /// The unit told; none: the centre.
    #[schema(value_type = Option<String>)]
    pub unit: Option<UnitId>,
    pub raised_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
    #[schema(value_type = Option<String>)]
    pub read_by: Option<UserId>,
    /// Orders reported in the incident an emergency alert stands for:
    /// reports of one rule in one town within the incident window are one
    /// alert per partner. 1 for every other alert.
    pub orders: u32,
}

impl From<AlertRecord> for AlertDto {
    fn from(a: AlertRecord) -> Self {
        Self {
            id: a.id,
            order: a.order,
            number: a.number,
            order_subject: a.order_subject,
            watched: a.watched,
            subject: a.subject,
            level: a.level,
            due: a.due,
            unit: a.unit,
            raised_at: a.raised_at,
            read_at: a.read_at,
            read_by: a.read_by,
            orders: a.orders,
        }
    }
}

/// One send of an alert to an address, and how it went.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryDto {
    #[serde(serialize_with = "text")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(serialize_with = "text")]
    #[schema(value_type = String)]
    pub alert: i64,
    /// `email` or `webhook`.
    #[schema(value_type = String)]
    pub channel: ContactChannel,
    pub address: String,
    pub attempts: i64,
    pub next_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// Given up after the last attempt.
    pub failed_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

impl From<Delivery> for DeliveryDto {
    fn from(d: Delivery) -> Self {
        Self {
            id: d.id,
            alert: d.alert,
            channel: d.channel,
            address: d.address,
            attempts: d.attempts,
            next_at: d.next_at,
            delivered_at: d.delivered_at,
            failed_at: d.failed_at,
            last_error: d.last_error,
        }
    }
}

/// An address alerts of a unit (or the centre) are sent to.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactDto {
    #[serde(serialize_with = "text")]
    #[schema(value_type = String)]
    pub id: i64,
    #[schema(value_type = Option<String>)]
    pub unit: Option<UnitId>,
    /// `email` or `webhook`.
    #[schema(value_type = String)]
    pub channel: ContactChannel,
    pub address: String,
    /// Hears only of escalations (升级督办).
    pub leader: bool,
}

impl From<Contact> for ContactDto {
    fn from(c: Contact) -> Self {
        Self { id: c.id, unit: c.unit, channel: c.channel, address: c.address, leader: c.leader }
    }
}

/// What a deadline scan did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScanDto {
    /// Timers found due and marked fired.
    pub fired: usize,
    /// Alerts raised (one per deadline, the most serious level due).
    pub raised: usize,
}

impl From<ScanReport> for ScanDto {
    fn from(r: ScanReport) -> Self {
        Self { fired: r.fired, raised: r.raised }
    }
}

/// A supervision notice (督办单) with its answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupervisionNoticeDto {
    #[schema(value_type = String)]
    pub id: NoticeId,
    #[schema(value_type = String)]
    pub order: OrderId,
    #[schema(value_type = String)]
    pub number: WorkOrderNo,
    #[schema(value_type = String)]
    pub unit: UnitId,
    #[schema(value_type = String)]
    pub issued_by: UserId,
    pub issued_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub text: String,
    pub answered_at: Option<DateTime<Utc>>,
    pub answer: Option<String>,
    /// Not answered by its due time, or answered after it.
    pub late: bool,
}

impl From<NoticeRow> for SupervisionNoticeDto {
    fn from(n: NoticeRow) -> Self {
        Self {
            id: n.id,
            order: n.order,
            number: n.number,
            unit: n.unit,
            issued_by: n.issued_by,
            issued_at: n.issued_at,
            due_at: n.due_at,
            text: n.text,
            answered_at: n.answered_at,
            answer: n.answer,
            late: n.late,
        }
    }
}

/// A caller or a problem that came back (重复诉求).
#[derive(Debug, Serialize, ToSchema)]
pub struct RepeatDto {
    /// The phone, or the category and address.
    pub key: String,
    pub orders: u64,
    pub open: u64,
    #[schema(value_type = String)]
    pub latest: OrderId,
    #[schema(value_type = String)]
    pub latest_number: WorkOrderNo,
    pub latest_at: DateTime<Utc>,
}

impl From<Repeat> for RepeatDto {
    fn from(r: Repeat) -> Self {
        Self { key: r.key, orders: r.orders, open: r.open, latest: r.latest, latest_number: r.latest_number, latest_at: r.latest_at }
    }
}

/// A unit's card (黄牌/红牌) for a month.
#[derive(Debug, Serialize, ToSchema)]
pub struct CardDto {
    #[schema(value_type = String)]
    pub unit: UnitId,
    pub unit_name: String,
    /// Orders whose completion date the unit missed.
    pub overdue_orders: u64,
    /// Orders escalated to the supervisors and leaders.
    pub escalated_orders: u64,
    /// `yellow` or `red`.
    #[schema(value_type = String)]
    pub colour: CardColour,
}

impl From<Card> for CardDto {
    fn from(c: Card) -> Self {
        Self {
            unit: c.unit,
            unit_name: c.unit_name,
            overdue_orders: c.overdue_orders,
            escalated_orders: c.escalated_orders,
            colour: c.colour,
        }
    }
}

/// A warning published to the portal.
#[derive(Debug, Serialize, ToSchema)]
pub struct WarningDto {
    #[serde(serialize_with = "text")]
    #[schema(value_type = String)]
    pub id: i64,
    pub title: String,
    pub body: String,
    /// `blue`, `yellow`, `orange` or `red`.
    #[schema(value_type = String)]
    pub level: WarningLevel,
    /// The town it concerns; none: the whole city.
    #[schema(value_type = Option<String>)]
    pub town: Option<UnitId>,
    #[schema(value_type = String)]
    pub published_by: UserId,
    pub published_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub withdrawn_at: Option<DateTime<Utc>>,
}

impl From<PublicWarning> for WarningDto {
    fn from(w: PublicWarning) -> Self {
        Self {
            id: w.id,
            title: w.title,
            body: w.body,
            level: w.level,
            town: w.town,
            published_by: w.published_by,
            published_at: w.published_at,
            expires_at: w.expires_at,
            withdrawn_at: w.withdrawn_at,
        }
    }
}

/// One kind of danger and the ways callers say it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DangerKindDto {
    pub name: String,
    pub urgency: hotline_domain::Urgency,
    pub phrases: Vec<String>,
}

impl From<hotline_domain::danger::DangerKind> for DangerKindDto {
    fn from(k: hotline_domain::danger::DangerKind) -> Self {
        Self { name: k.name, urgency: k.urgency, phrases: k.phrases }
    }
}

/// The danger lexicon in force, with the shipped one beside it.
#[derive(Debug, Serialize, ToSchema)]
pub struct LexiconDto {
    pub kinds: Vec<DangerKindDto>,
    /// Whether the lexicon in force is the shipped one.
    pub shipped: bool,
    /// The lexicon shipped with the platform.
    pub default: Vec<DangerKindDto>,
}

impl From<hotline_app::emergency::LexiconView> for LexiconDto {
    fn from(v: hotline_app::emergency::LexiconView) -> Self {
        Self { kinds: crate::dto::all(v.kinds), shipped: v.shipped, default: crate::dto::all(v.default) }
    }
}

/// An emergency linkage rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleDto {
    #[serde(serialize_with = "text")]
    #[schema(value_type = String)]
    pub id: i64,
    pub name: String,
    pub keywords: Vec<String>,
    #[schema(value_type = Vec<String>)]
    pub categories: Vec<CategoryId>,
    #[schema(value_type = Vec<String>)]
    pub partners: Vec<UnitId>,
    /// Also tells the town where the matter is.
    pub town: bool,
    pub ack_minutes: u32,
    /// The urgency a matching order gets at least.
    pub urgency: hotline_domain::Urgency,
    pub active: bool,
}

impl From<EmergencyRule> for RuleDto {
    fn from(r: EmergencyRule) -> Self {
        let s = r.spec;
        Self {
            id: r.id,
            name: s.name,
            keywords: s.keywords,
            categories: s.categories,
            partners: s.partners,
            town: s.town,
            ack_minutes: s.ack_minutes,
            urgency: s.urgency,
            active: s.active,
        }
    }
}

/// One of the orders an alert stands for (an incident's report, a surge's
/// alike order).
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentOrderDto {
    pub number: String,
    pub subject: String,
    pub state: String,
    pub town: Option<crate::dto::UnitRef>,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
}

impl IncidentOrderDto {
    pub fn of(o: &hotline_domain::WorkOrder, org: &hotline_app::directory::OrgSnapshot, tz: chrono_tz::Tz) -> Self {
        Self {
            number: o.number.to_string(),
            subject: o.subject.to_string(),
            state: o.state.as_str().to_owned(),
            town: o.location.town.map(|t| crate::dto::UnitRef::of(org, t)),
            created_at: crate::dto::local(tz, o.created_at),
        }
    }
}

/// The order the others of an incident are merged into.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeIncidentBody {
    /// One of the alert's orders (its number).
    pub master: String,
}

/// What became of one of an incident's orders asked to be merged.
#[derive(Debug, Serialize, ToSchema)]
pub struct MergeOutcomeDto {
    pub number: String,
    /// Merged now; otherwise left as it was.
    pub merged: bool,
    /// Its state afterwards: `merged`, or the one that kept it out.
    pub state: String,
    /// Why it was left, when its state does not say.
    pub reason: Option<String>,
}

impl From<hotline_app::orders_merge::MergeOutcome> for MergeOutcomeDto {
    fn from(o: hotline_app::orders_merge::MergeOutcome) -> Self {
        Self { number: o.number.to_string(), merged: o.merged, state: o.state.as_str().to_owned(), reason: o.reason }
    }
}
