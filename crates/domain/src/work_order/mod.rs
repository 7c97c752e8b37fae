//! The work order (工单) and everything recorded on it.

mod enums;
mod lifecycle;
#[cfg(test)]
mod lifecycle_tests;
mod register;
mod view;

pub use enums::{Channel, InvalidKind, OrderType, ProgressKind, Satisfaction, State, Urgency};
pub use lifecycle::{
    Action, Command, Decision, DecisionContext, FollowUpOutcome, HistoryEntry, LifecycleError, MasterOrder, ReturnDecision, ReviewVerdict,
    actions_in, available_actions, decide, permit,
};
pub use register::{NewWorkOrder, Registration, register};
pub use view::{CallerView, Viewer};

use crate::CategoryId;
use crate::geo::Coordinates;
use crate::ids::{NoticeId, OrderId, UnitId, UserId};
use crate::order_no::WorkOrderNo;
use crate::phone::PhoneNumber;
use crate::text::{Description, PersonName, Reason, Subject};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Who called, and how they asked to be treated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    pub name: Option<PersonName>,
    pub phone: Option<PhoneNumber>,
    /// 匿名: gave no name; units never see one.
    pub anonymous: bool,
    /// 保密: asked that units never see who they are (GB/T 33358).
    pub confidential: bool,
    /// Asked for no text messages about this order.
    #[serde(default)]
    pub sms_opt_out: bool,
}

/// Where the matter is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    /// The town, subdistrict or park (a territorial unit).
    pub town: Option<UnitId>,
    pub address: Option<Subject>,
    pub coordinates: Option<Coordinates>,
}

/// The instants by which each step is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadlines {
    /// Sign-for (签收) due, once dispatched.
    pub sign_for: Option<DateTime<Utc>>,
    /// Completion (办结) due: the date promised to the citizen.
    pub completion: DateTime<Utc>,
    /// When the completion allowance began: registration, or the last redo
    /// (重办); yellow warnings are a share of the time from here.
    pub completion_from: DateTime<Utc>,
    /// Follow-up call (回访) due, once the review passed.
    pub follow_up: Option<DateTime<Utc>>,
}

/// A unit's pending return (退单), waiting for the centre.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnRequest {
    pub unit: UnitId,
    pub by: UserId,
    pub at: DateTime<Utc>,
    pub reason: Reason,
    /// Whether the unit had signed for it, so a rejected return goes back to
    /// the right state.
    pub was_signed: bool,
}

/// A pending extension request (延期申请).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionRequest {
    pub by: UserId,
    pub at: DateTime<Utc>,
    pub reason: Reason,
    pub requested_due: DateTime<Utc>,
}

/// The unit's result (办结反馈).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandlingResult {
    pub by: UserId,
    pub unit: UnitId,
    pub at: DateTime<Utc>,
    /// What was done and found (办理结果), for the centre.
    pub result: Description,
    /// Whether the citizen's problem was solved.
    pub solved: bool,
    /// The reply that may be published, without personal data (公开答复).
    pub public_reply: Description,
    /// When the unit contacted the citizen.
    pub contacted_citizen_at: Option<DateTime<Utc>>,
    /// The reviewer decided to publish the public reply on the portal.
    #[serde(default)]
    pub published: bool,
}

/// The last follow-up call (回访).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpRecord {
    pub by: UserId,
    pub at: DateTime<Utc>,
    /// Whether the citizen was reached.
    pub contacted: bool,
    pub satisfaction: Option<Satisfaction>,
    pub solved: Option<bool>,
    pub note: Option<Reason>,
}

/// A supervision notice (督办单) addressed to the responsible unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupervisionNotice {
    pub id: NoticeId,
    pub unit: UnitId,
    pub issued_by: UserId,
    pub issued_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub text: Reason,
    pub answer: Option<NoticeAnswer>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeAnswer {
    pub by: UserId,
    pub at: DateTime<Utc>,
    pub text: Description,
}

/// Why the order was declared invalid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invalidation {
    pub kind: InvalidKind,
    pub note: Option<Reason>,
}

/// How often things went back and forth: the raw material of evaluation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Returns (退单) by units.
    pub returns: u32,
    /// The units that returned it, each once: a return counts against the
    /// unit that made it, not the unit that received the order afterwards.
    #[serde(default)]
    pub returned_by: Vec<UnitId>,
    /// Approved extensions.
    pub extensions: u32,
    /// Results sent back at review (退回重办).
    pub review_failures: u32,
    /// Redos after an unsatisfied follow-up (重办): the redo rate counts these.
    pub redos: u32,
    /// Follow-up calls that did not reach the citizen.
    pub follow_up_attempts: u32,
}

/// A work order with everything the lifecycle needs to decide the next step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkOrder {
    pub id: OrderId,
    pub number: WorkOrderNo,
    pub channel: Channel,
    pub order_type: OrderType,
    pub category: CategoryId,
    pub urgency: Urgency,
    pub caller: Caller,
    pub location: Location,
    pub subject: Subject,
    pub description: Description,
    /// The call this order came from, when it came by phone.
    pub call_id: Option<String>,
    /// 主办单位: the unit responsible.
    pub lead_unit: Option<UnitId>,
    /// 协办单位: units helping the lead unit.
    pub co_units: Vec<UnitId>,
    /// The unit holding the order now: the lead unit, or its sub-unit after a
    /// second-level dispatch (二级派单).
    pub assignee_unit: Option<UnitId>,
    pub state: State,
    /// Incremented by every change; a change based on an older version loses.
    pub version: i64,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deadlines: Deadlines,
    pub dispatched_at: Option<DateTime<Utc>>,
    pub signed_at: Option<DateTime<Utc>>,
    /// When it was answered: directly by the consultant, or by the unit's result.
    pub resolved_at: Option<DateTime<Utc>>,
    /// When it reached a terminal state.
    pub closed_at: Option<DateTime<Utc>>,
    /// The consultant's answer (直接办结).
    pub direct_answer: Option<Description>,
    pub pending_return: Option<ReturnRequest>,
    pub pending_extension: Option<ExtensionRequest>,
    pub result: Option<HandlingResult>,
    pub follow_up: Option<FollowUpRecord>,
    pub invalidation: Option<Invalidation>,
    /// The master order this duplicate was merged into (并单).
    pub merged_into: Option<OrderId>,
    /// The emergency linkage rules it matched at registration (应急事件).
    pub emergency: Option<crate::emergency::EmergencyMark>,
    /// Its number in the system it was imported from.
    pub external_ref: Option<crate::external_ref::ExternalRef>,
    /// A link to the citizen's photo or video kept by the submitting system.
    pub media_url: Option<crate::media_url::MediaUrl>,
    pub counters: Counters,
    pub notices: Vec<SupervisionNotice>,
}

/// How a unit is involved with an order: the basis of unit-scoped access and
/// of each unit's pending list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Involvement {
    Lead,
    CoHandler,
    SubUnit,
    /// A partner alerted by an emergency linkage rule: reads the order and
    /// adds its own progress, never has it on its pending list.
    Partner,
    /// A unit that returned it (退单): the return counts against it.
    Returner,
}

impl Involvement {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lead => "lead",
            Self::CoHandler => "co",
            Self::SubUnit => "sub",
            Self::Partner => "partner",
            Self::Returner => "returned",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "lead" => Some(Self::Lead),
            "co" => Some(Self::CoHandler),
            "sub" => Some(Self::SubUnit),
            "partner" => Some(Self::Partner),
            "returned" => Some(Self::Returner),
            _ => None,
        }
    }
}

impl WorkOrder {
    /// Units involved now, and whether the order waits on them (it is on
    /// their pending list).
    pub fn involvements(&self) -> Vec<(UnitId, Involvement, bool)> {
        let at_unit = matches!(self.state, State::Dispatched | State::InProgress);
        let mut out = Vec::new();
        if let Some(lead) = self.lead_unit {
            out.push((lead, Involvement::Lead, at_unit));
            if let Some(assignee) = self.assignee_unit.filter(|a| *a != lead) {
                out.push((assignee, Involvement::SubUnit, at_unit));
            }
        }
        for co in &self.co_units {
            out.push((*co, Involvement::CoHandler, at_unit));
        }
        for partner in self.partners() {
            out.push((*partner, Involvement::Partner, false));
        }
        for returner in &self.counters.returned_by {
            out.push((*returner, Involvement::Returner, false));
        }
        out
    }

    /// The partner units its emergency linkage rules alerted.
    pub fn partners(&self) -> &[UnitId] {
        self.emergency.as_ref().map_or(&[], |m| m.partners.as_slice())
    }

    /// Open supervision notices, not yet answered.
    pub fn open_notices(&self) -> impl Iterator<Item = &SupervisionNotice> {
        self.notices.iter().filter(|n| n.answer.is_none())
    }

    /// Past its completion date and not yet answered.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.resolved_at.is_none() && self.state.is_open() && now > self.deadlines.completion
    }
}
