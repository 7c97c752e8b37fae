//! 登记: a new work order enters the lifecycle.

use super::lifecycle::{Action, Decision, DecisionContext, HistoryEntry, LifecycleError};
use super::{Caller, Channel, Counters, Deadlines, Location, OrderType, State, Urgency, WorkOrder};
use crate::CategoryId;
use crate::ids::OrderId;
use crate::order_no::WorkOrderNo;
use crate::org::{Actor, Role};
use crate::text::{Description, Subject};
use crate::validation::{FieldError, ValidationErrors};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// A request as registered, already parsed at the edge.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewWorkOrder {
    pub channel: Channel,
    pub order_type: OrderType,
    pub category: CategoryId,
    pub urgency: Urgency,
    pub caller: Caller,
    pub location: Location,
    pub subject: Subject,
    pub description: Description,
    pub call_id: Option<String>,
    /// Answered on the spot by the consultant (直接办结).
    pub direct_answer: Option<Description>,
    /// What the emergency linkage rules say of it.
    pub emergency: Option<crate::emergency::EmergencyMark>,
    /// Its number in the partner's system that submitted it.
    pub external_ref: Option<crate::external_ref::ExternalRef>,
    /// The citizen's photo or video on the submitting system's side.
    pub media_url: Option<crate::media_url::MediaUrl>,
}

/// What the application assigns to a new order.
#[derive(Debug, Clone)]
pub struct Registration {
    pub id: OrderId,
    pub number: WorkOrderNo,
}

/// Roles that register orders: the consultants on the phone and the
/// dispatchers who enter web, mail and walk-in requests.
pub const REGISTRARS: &[Role] = &[Role::Consultant, Role::Dispatcher];

const CALL_ID_MAX: usize = 128;

pub fn register(
    input: NewWorkOrder,
    actor: &Actor,
    registration: Registration,
    ctx: &DecisionContext<'_>,
) -> Result<Decision, LifecycleError> {
    if !(actor.is_centre() && actor.has_any(REGISTRARS)) {
        return Err(LifecycleError::Forbidden("only the centre's consultants and dispatchers register work orders".into()));
    }
    let mut errors = ValidationErrors::default();
    if input.caller.anonymous && input.caller.name.is_some() {
        errors.push(FieldError::new("caller.name", "an anonymous caller has no name; clear the name or the anonymous flag"));
    }
    if let Some(call_id) = &input.call_id
        && (call_id.is_empty() || call_id.len() > CALL_ID_MAX || !call_id.bytes().all(|b| b.is_ascii_graphic()))
    {
        errors.push(FieldError::new("call_id", format!("must be 1 to {CALL_ID_MAX} printable ASCII characters")));
    }
    errors.into_result()?;

    let now = ctx.now;
    // An emergency is never promised an ordinary order's time; the
    // consultant may lower it afterwards (change_urgency, with a reason).
    let urgency = input.emergency.as_ref().map_or(input.urgency, |m| m.urgency.max(input.urgency));
    let completion = ctx.completion_due(input.order_type, urgency, now)?;
    let answered = input.direct_answer.is_some();
    let state = if answered { State::Archived } else { State::PendingDispatch };
    let done_at: Option<DateTime<Utc>> = answered.then_some(now);
    let order = WorkOrder {
        id: registration.id,
        number: registration.number,
        channel: input.channel,
        order_type: input.order_type,
        category: input.category,
        urgency,
        caller: input.caller,
        location: input.location,
        subject: input.subject,
        description: input.description,
        call_id: input.call_id,
        lead_unit: None,
        co_units: Vec::new(),
        assignee_unit: None,
        state,
        version: 1,
        created_by: actor.user,
        created_at: now,
        updated_at: now,
        deadlines: Deadlines { sign_for: None, completion, completion_from: ctx.now, follow_up: None },
        dispatched_at: None,
        signed_at: None,
        resolved_at: done_at,
        closed_at: done_at,
        direct_answer: input.direct_answer,
        pending_return: None,
        pending_extension: None,
        result: None,
        follow_up: None,
        invalidation: None,
        merged_into: None,
        emergency: input.emergency,
        external_ref: input.external_ref,
        media_url: input.media_url,
        counters: Counters::default(),
        notices: Vec::new(),
    };
    let mut detail = serde_json::json!({ "completion_due": completion });
    if let Some(answer) = &order.direct_answer {
        detail["direct_answer"] = serde_json::json!(answer);
    }
    if let Some(mark) = &order.emergency {
        detail["emergency"] = serde_json::json!(mark.rules);
        if urgency != input.urgency {
            detail["urgency_raised_from"] = serde_json::json!(input.urgency);
        }
    }
    let entry = HistoryEntry {
        order: order.id,
        at: now,
        actor: actor.user,
        actor_unit: None,
        action: if answered { Action::AnswerDirectly } else { Action::Register },
        from_state: None,
        to_state: state,
        detail,
    };
    let timers = crate::watch::timers(&order, ctx.rules, ctx.calendar)?;
    Ok(Decision { order, entry, timers })
}
