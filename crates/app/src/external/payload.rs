//! The body of a push: the change and the order after it, as the unit's own
//! desk would see it (the caller masked or withheld by the same rule).

use crate::directory::OrgSnapshot;
use chrono::{DateTime, Utc};
use hotline_domain::{
    CallerView, CategoryPath, Channel, Coordinates, Deadlines, HistoryEntry, OrderType, State, UnitId, Urgency, Viewer, WorkOrder,
    WorkOrderNo,
};
use serde::Serialize;

/// A unit as a partner names it.
#[derive(Debug, Clone, Serialize)]
pub struct UnitRef {
    pub id: UnitId,
    pub code: String,
    pub name: String,
}

impl UnitRef {
    fn of(org: &OrgSnapshot, id: UnitId) -> Self {
        let unit = org.unit(id);
        Self { id, code: unit.map(|u| u.code.clone()).unwrap_or_default(), name: org.unit_name(id) }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PushedOrder {
    pub number: WorkOrderNo,
    /// What the update endpoint expects back as `version`.
    pub version: i64,
    pub state: State,
    pub order_type: OrderType,
    pub urgency: Urgency,
    pub channel: Channel,
    pub category: CategoryPath,
    pub subject: String,
    pub description: String,
    pub town: Option<UnitRef>,
    pub address: Option<String>,
    pub coordinates: Option<Coordinates>,
    pub media_url: Option<String>,
    pub caller: CallerView,
    pub lead_unit: Option<UnitRef>,
    pub co_units: Vec<UnitRef>,
    pub assignee_unit: Option<UnitRef>,
    pub deadlines: Deadlines,
    pub created_at: DateTime<Utc>,
    pub dispatched_at: Option<DateTime<Utc>>,
}

/// The change, as the order's history line records it.
#[derive(Debug, Clone, Serialize)]
pub struct PushedChange {
    pub action: &'static str,
    pub at: DateTime<Utc>,
    pub from_state: Option<State>,
    pub to_state: State,
    pub actor_unit: Option<UnitRef>,
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct PushBody {
    pub event: &'static str,
    pub change: PushedChange,
    pub order: PushedOrder,
}

impl PushBody {
    pub fn of(org: &OrgSnapshot, order: &WorkOrder, entry: &HistoryEntry) -> Self {
        let unit = |id: UnitId| UnitRef::of(org, id);
        Self {
            event: entry.action.as_str(),
            change: PushedChange {
                action: entry.action.as_str(),
                at: entry.at,
                from_state: entry.from_state,
                to_state: entry.to_state,
                actor_unit: entry.actor_unit.map(unit),
                detail: entry.detail.clone(),
            },
            order: PushedOrder {
                number: order.number.clone(),
                version: order.version,
                state: order.state,
                order_type: order.order_type,
                urgency: order.urgency,
                channel: order.channel,
                category: org.category_path(order.category),
                subject: order.subject.as_str().to_owned(),
                description: order.description.as_str().to_owned(),
                town: order.location.town.map(unit),
                address: order.location.address.as_ref().map(|a| a.as_str().to_owned()),
                coordinates: order.location.coordinates,
                media_url: order.media_url.as_ref().map(|m| m.to_string()),
                caller: order.caller.view(order.order_type, Viewer::Unit),
                lead_unit: order.lead_unit.map(unit),
                co_units: order.co_units.iter().copied().map(unit).collect(),
                assignee_unit: order.assignee_unit.map(unit),
                deadlines: order.deadlines,
                created_at: order.created_at,
                dispatched_at: order.dispatched_at,
            },
        }
    }
}
