//! Work orders on the wire.

use super::{UnitRef, local, local_opt};
use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;
use hotline_app::directory::OrgSnapshot;
use hotline_app::orders::{HistoryLine, OrderDetails, RegisterRequest};
use hotline_app::ports::{AttachmentRecord, OrderSummary};
use hotline_domain::{
    Action, AttachmentId, CallerView, CategoryId, Channel, Coordinates, Counters, Description, FieldError, InvalidKind, NoticeId, OrderId,
    OrderType, PersonName, PhoneNumber, Satisfaction, State, Subject, Urgency, ValidationErrors, WorkCalendar,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A new work order (登记).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterBody {
    pub channel: Channel,
    #[serde(rename = "type")]
    pub order_type: OrderType,
    /// A category of the taxonomy (level 2 or 3 preferred).
    #[schema(value_type = String)]
    pub category_id: CategoryId,
    #[serde(default = "normal")]
    pub urgency: Urgency,
    pub caller: CallerBody,
    #[serde(default)]
    pub location: LocationBody,
    #[schema(value_type = String, max_length = 200)]
    pub subject: Subject,
    #[schema(value_type = String, max_length = 10000)]
    pub description: Description,
    /// The call this order came from.
    pub call_id: Option<String>,
    /// Answered on the spot (直接办结): the answer given to the citizen.
    #[schema(value_type = Option<String>)]
    pub direct_answer: Option<Description>,
    /// The citizen wants no text about the order (no 受理回执 with its number).
    #[serde(default)]
    pub sms_opt_out: bool,
}

fn normal() -> Urgency {
    Urgency::Normal
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallerBody {
    #[schema(value_type = Option<String>)]
    pub name: Option<PersonName>,
    /// Mobile (13812345678) or landline with area code (0769-22831234).
    #[schema(value_type = Option<String>)]
    pub phone: Option<PhoneNumber>,
    #[serde(default)]
    pub anonymous: bool,
    /// The caller asked that units not learn who they are.
    #[serde(default)]
    pub confidential: bool,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationBody {
    /// Official code of the town, subdistrict or park (e.g. 441900003).
    pub town_code: Option<String>,
    #[schema(value_type = Option<String>)]
    pub address: Option<Subject>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

impl RegisterBody {
    pub fn into_request(self) -> Result<RegisterRequest, ValidationErrors> {
        let coordinates = match (self.location.latitude, self.location.longitude) {
            (None, None) => None,
            (Some(lat), Some(lng)) => Some(Coordinates::new(lat, lng).map_err(|e| e.within("location"))?),
            _ => return Err(FieldError::new("location", "give both latitude and longitude, or neither").into()),
        };
        Ok(RegisterRequest {
            channel: self.channel,
            order_type: self.order_type,
            category: self.category_id,
            urgency: self.urgency,
            caller: hotline_domain::Caller {
                name: self.caller.name,
                phone: self.caller.phone,
                anonymous: self.caller.anonymous,
                confidential: self.caller.confidential,
                sms_opt_out: self.sms_opt_out,
            },
            town_code: self.location.town_code,
            address: self.location.address,
            coordinates,
            subject: self.subject,
            description: self.description,
            call_id: self.call_id,
            direct_answer: self.direct_answer,
            external_ref: None,
            media_url: None,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryRef {
    #[schema(value_type = String)]
    pub id: CategoryId,
    /// Names from level 1 down.
    pub path: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LocationDto {
    pub town: Option<UnitRef>,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeadlinesDto {
    /// Sign-for due (签收时限).
    pub sign_for: Option<DateTime<FixedOffset>>,
    /// Completion due (办结时限): the date promised to the citizen.
    pub completion: DateTime<FixedOffset>,
    /// Follow-up due (回访时限).
    pub follow_up: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReturnDto {
    pub unit: UnitRef,
    pub at: DateTime<FixedOffset>,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExtensionDto {
    pub at: DateTime<FixedOffset>,
    pub reason: String,
    pub requested_due: DateTime<FixedOffset>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResultDto {
    pub unit: UnitRef,
    pub at: DateTime<FixedOffset>,
    pub result: String,
    pub solved: bool,
    pub public_reply: String,
    pub contacted_citizen_at: Option<DateTime<FixedOffset>>,
    /// A reviewer decided to publish the public reply on the portal.
    pub published: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUpDto {
    pub at: DateTime<FixedOffset>,
    pub contacted: bool,
    pub satisfaction: Option<Satisfaction>,
    pub solved: Option<bool>,
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvalidationDto {
    pub kind: InvalidKind,
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeDto {
    #[schema(value_type = String)]
    pub id: NoticeId,
    pub unit: UnitRef,
    pub issued_at: DateTime<FixedOffset>,
    pub due_at: DateTime<FixedOffset>,
    pub text: String,
    pub answered_at: Option<DateTime<FixedOffset>>,
    pub answer: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MasterDto {
    pub number: String,
    pub state: State,
    pub public_reply: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProposalDto {
    pub lead_unit: Option<UnitRef>,
    pub co_units: Vec<UnitRef>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentDto {
    #[schema(value_type = String)]
    pub id: AttachmentId,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_at: DateTime<FixedOffset>,
    /// Where to download it.
    pub href: String,
}

impl AttachmentDto {
    pub fn of(tz: Tz, a: AttachmentRecord) -> Self {
        Self {
            href: format!("/api/v1/attachments/{}", a.id),
            id: a.id,
            file_name: a.file_name,
            content_type: a.content_type,
            size: a.size,
            sha256: a.sha256,
            uploaded_at: local(tz, a.uploaded_at),
        }
    }
}

/// A work order as the reader may see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderDto {
    #[schema(value_type = String)]
    pub id: OrderId,
    /// DG20261128000123
    pub number: String,
    pub channel: Channel,
    #[serde(rename = "type")]
    pub order_type: OrderType,
    pub category: CategoryRef,
    pub urgency: Urgency,
    pub state: State,
    /// The state in Chinese, for display.
    pub state_label: &'static str,
    /// Send it back with the next action (optimistic locking).
    pub version: i64,
    pub caller: CallerView,
    pub location: LocationDto,
    pub subject: String,
    pub description: String,
    pub call_id: Option<String>,
    pub lead_unit: Option<UnitRef>,
    pub co_units: Vec<UnitRef>,
    /// The unit holding it now: the lead unit or its sub-unit.
    pub assignee_unit: Option<UnitRef>,
    pub deadlines: DeadlinesDto,
    /// Past its completion date without an answer.
    pub overdue: bool,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
    pub dispatched_at: Option<DateTime<FixedOffset>>,
    pub signed_at: Option<DateTime<FixedOffset>>,
    pub resolved_at: Option<DateTime<FixedOffset>>,
    pub closed_at: Option<DateTime<FixedOffset>>,
    pub direct_answer: Option<String>,
    pub pending_return: Option<ReturnDto>,
    pub pending_extension: Option<ExtensionDto>,
    pub result: Option<ResultDto>,
    pub follow_up: Option<FollowUpDto>,
    pub invalidation: Option<InvalidationDto>,
    /// For a merged duplicate: its master and the master's outcome.
    pub master: Option<MasterDto>,
    #[schema(value_type = Object)]
    pub counters: Counters,
    pub notices: Vec<NoticeDto>,
    pub attachments: Vec<AttachmentDto>,
    /// What the reader may do now.
    pub allowed_actions: Vec<Action>,
    /// While waiting for dispatch: the catalogue's proposal.
    pub proposal: Option<ProposalDto>,
    /// The emergency linkage rules it matched at registration.
    pub emergency: Option<EmergencyDto>,
    /// The completion deadline falls in a year whose holidays are not
    /// loaded: it counted every weekday as a working day and may move.
    pub deadline_unverified: bool,
    /// Its number in the system it was imported from or submitted by (原系统编号).
    pub external_ref: Option<ExternalRefDto>,
    /// A link to the citizen's photo or video kept by the submitting system.
    pub media_url: Option<String>,
}

/// An order's number in another system.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExternalRefDto {
    /// Which system, as named by the import (`legacy` unless named).
    pub source: String,
    /// Its number there, as written.
    pub number: String,
}

/// An order's emergency mark (应急事件).
#[derive(Debug, Serialize, ToSchema)]
pub struct EmergencyDto {
    /// The names of the rules it matched, e.g. 燃气泄漏.
    pub rules: Vec<String>,
    /// The urgency the rules asked for (the order's own may have been lowered since).
    pub urgency: Urgency,
    /// The partner units alerted, who read it and add their own progress.
    pub partners: Vec<UnitRef>,
}

impl OrderDto {
    pub fn of(d: OrderDetails, org: &OrgSnapshot, tz: Tz, now: chrono::DateTime<chrono::Utc>, calendar: &WorkCalendar) -> Self {
        let o = d.order;
        let deadline_unverified = !calendar.knows_year(chrono::Datelike::year(&calendar.local_date(o.deadlines.completion)));
        let unit = |id| UnitRef::of(org, id);
        Self {
            id: o.id,
            number: o.number.to_string(),
            channel: o.channel,
            order_type: o.order_type,
            category: CategoryRef { id: d.category.id, path: d.category.names },
            urgency: o.urgency,
            state: o.state,
            state_label: o.state.label_zh(),
            version: o.version,
            caller: d.caller,
            location: LocationDto {
                town: o.location.town.map(unit),
                address: o.location.address.as_ref().map(ToString::to_string),
                latitude: o.location.coordinates.map(|c| c.latitude),
                longitude: o.location.coordinates.map(|c| c.longitude),
            },
            overdue: o.is_overdue(now),
            subject: o.subject.to_string(),
            description: o.description.to_string(),
            call_id: o.call_id.clone(),
            lead_unit: o.lead_unit.map(unit),
            co_units: o.co_units.iter().copied().map(unit).collect(),
            assignee_unit: o.assignee_unit.map(unit),
            deadlines: DeadlinesDto {
                sign_for: local_opt(tz, o.deadlines.sign_for),
                completion: local(tz, o.deadlines.completion),
                follow_up: local_opt(tz, o.deadlines.follow_up),
            },
            created_at: local(tz, o.created_at),
            updated_at: local(tz, o.updated_at),
            dispatched_at: local_opt(tz, o.dispatched_at),
            signed_at: local_opt(tz, o.signed_at),
            resolved_at: local_opt(tz, o.resolved_at),
            closed_at: local_opt(tz, o.closed_at),
            direct_answer: o.direct_answer.as_ref().map(ToString::to_string),
            pending_return: o.pending_return.as_ref().map(|r| ReturnDto {
                unit: unit(r.unit),
                at: local(tz, r.at),
                reason: r.reason.to_string(),
            }),
            pending_extension: o.pending_extension.as_ref().map(|e| ExtensionDto {
                at: local(tz, e.at),
                reason: e.reason.to_string(),
                requested_due: local(tz, e.requested_due),
            }),
            result: o.result.as_ref().map(|r| ResultDto {
                unit: unit(r.unit),
                at: local(tz, r.at),
                result: r.result.to_string(),
                solved: r.solved,
                public_reply: r.public_reply.to_string(),
                contacted_citizen_at: local_opt(tz, r.contacted_citizen_at),
                published: r.published,
            }),
            follow_up: o.follow_up.as_ref().map(|f| FollowUpDto {
                at: local(tz, f.at),
                contacted: f.contacted,
                satisfaction: f.satisfaction,
                solved: f.solved,
                note: f.note.as_ref().map(ToString::to_string),
            }),
            invalidation: o.invalidation.as_ref().map(|i| InvalidationDto { kind: i.kind, note: i.note.as_ref().map(ToString::to_string) }),
            master: d.master.map(|m| MasterDto { number: m.number.to_string(), state: m.state, public_reply: m.public_reply }),
            counters: o.counters.clone(),
            notices: o
                .notices
                .iter()
                .map(|n| NoticeDto {
                    id: n.id,
                    unit: unit(n.unit),
                    issued_at: local(tz, n.issued_at),
                    due_at: local(tz, n.due_at),
                    text: n.text.to_string(),
                    answered_at: n.answer.as_ref().map(|a| local(tz, a.at)),
                    answer: n.answer.as_ref().map(|a| a.text.to_string()),
                })
                .collect(),
            attachments: d.attachments.into_iter().map(|a| AttachmentDto::of(tz, a)).collect(),
            allowed_actions: d.actions,
            proposal: d
                .proposal
                .map(|p| ProposalDto { lead_unit: p.lead.map(unit), co_units: p.co_handlers.into_iter().map(unit).collect() }),
            deadline_unverified,
            emergency: o.emergency.as_ref().map(|m| EmergencyDto {
                rules: m.rules.iter().map(|r| r.name.clone()).collect(),
                urgency: m.urgency,
                partners: m.partners.iter().copied().map(unit).collect(),
            }),
            external_ref: o.external_ref.as_ref().map(|r| ExternalRefDto { source: r.source().to_owned(), number: r.number().to_owned() }),
            media_url: o.media_url.as_ref().map(ToString::to_string),
        }
    }
}

/// One row of an order list.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderSummaryDto {
    #[schema(value_type = String)]
    pub id: OrderId,
    pub number: String,
    #[serde(rename = "type")]
    pub order_type: OrderType,
    #[schema(value_type = String)]
    pub category_id: CategoryId,
    pub category: String,
    pub urgency: Urgency,
    pub state: State,
    pub state_label: &'static str,
    pub subject: String,
    pub town: Option<UnitRef>,
    pub lead_unit: Option<UnitRef>,
    pub assignee_unit: Option<UnitRef>,
    pub created_at: DateTime<FixedOffset>,
    pub sign_for_due: Option<DateTime<FixedOffset>>,
    pub completion_due: DateTime<FixedOffset>,
    pub overdue: bool,
    pub extension_requested: bool,
    pub version: i64,
    /// It matched an emergency linkage rule (应急).
    pub emergency: bool,
    /// Time to the deadline that matters now (signing for while it waits
    /// for it, else completion) in working days; none once answered.
    pub time_left: Option<TimeLeftDto>,
}

/// The time to a deadline as units count it: working days while it lies on
/// a later date, hours on its own day; counted the other way once past.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimeLeftDto {
    pub overdue: bool,
    pub working_days: u32,
    pub hours: u32,
}

impl OrderSummaryDto {
    pub fn of(s: OrderSummary, org: &OrgSnapshot, tz: Tz, now: chrono::DateTime<chrono::Utc>, calendar: &WorkCalendar) -> Self {
        let unit = |id| UnitRef::of(org, id);
        let due = match (s.state, s.sign_for_due) {
            (State::Dispatched, Some(sign_for)) => Some(sign_for),
            _ if s.resolved_at.is_none() && s.state.is_open() => Some(s.completion_due),
            _ => None,
        };
        let time_left = due.map(|due| {
            let left = calendar.time_left(now, due);
            TimeLeftDto { overdue: left.overdue, working_days: left.working_days, hours: left.hours }
        });
        Self {
            time_left,
            overdue: s.resolved_at.is_none() && s.state.is_open() && now > s.completion_due,
            id: s.id,
            number: s.number.to_string(),
            order_type: s.order_type,
            category_id: s.category,
            category: org.category_path(s.category).display(),
            urgency: s.urgency,
            state: s.state,
            state_label: s.state.label_zh(),
            subject: s.subject,
            town: s.town.map(unit),
            lead_unit: s.lead_unit.map(unit),
            assignee_unit: s.assignee_unit.map(unit),
            created_at: local(tz, s.created_at),
            sign_for_due: local_opt(tz, s.sign_for_due),
            completion_due: local(tz, s.completion_due),
            extension_requested: s.extension_requested,
            version: s.version,
            emergency: s.emergency,
        }
    }
}

/// Filters of the order list. Lists are newest first.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// One or more states, comma-separated (`dispatched,in_progress`).
    pub state: Option<String>,
    /// Orders this unit (id) is or was involved with.
    pub unit: Option<String>,
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub order_type: Option<String>,
    pub urgency: Option<String>,
    /// A category id: matches it and everything below it.
    pub category: Option<String>,
    /// A town's official code.
    pub town: Option<String>,
    /// Created at or after (RFC 3339).
    pub created_from: Option<String>,
    /// Created before (RFC 3339).
    pub created_to: Option<String>,
    /// `true`: only orders past their completion date without an answer.
    pub overdue: Option<String>,
    /// `true`: only orders with a pending extension request.
    pub extension_requested: Option<String>,
    /// Free text (at most 100 characters) found in the subject, description,
    /// address or number; 4 to 11 digits also match the end of the caller's
    /// phone where the reader may see the caller. Blank: no filter.
    pub q: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryDto {
    pub at: DateTime<FixedOffset>,
    pub action: Action,
    /// The action in Chinese.
    pub action_label: &'static str,
    pub actor: String,
    pub actor_unit: Option<UnitRef>,
    pub from_state: Option<State>,
    pub to_state: State,
    /// The action's fields and its effects (new deadlines, units).
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

impl HistoryDto {
    pub fn of(line: HistoryLine, org: &OrgSnapshot, tz: Tz) -> Self {
        let e = line.entry;
        Self {
            at: local(tz, e.at),
            action: e.action,
            action_label: e.action.label_zh(),
            actor: line.actor_name,
            actor_unit: e.actor_unit.map(|u| UnitRef::of(org, u)),
            from_state: e.from_state,
            to_state: e.to_state,
            detail: e.detail,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevealedPhone {
    pub phone: String,
}
