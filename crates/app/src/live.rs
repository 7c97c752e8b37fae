//! Live events beyond this node. What this node's screens hear is also
//! handed to a relay (NATS, between the nodes sharing a database), and what
//! other nodes relay is heard here as if it had happened here; one node
//! alone has no relay and loses nothing.

use crate::ports::StoreScope;
use hotline_domain::{Action, State, UnitId, WorkOrder, WorkOrderNo};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, OnceLock};

/// A change to an order, as live screens hear of it: enough to know whether
/// a queue needs a reload, nothing personal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderChange {
    pub number: WorkOrderNo,
    pub action: Action,
    pub state: State,
    /// The units that hold or held it (lead, co-handlers, assignee), so a
    /// unit hears both of orders arriving and of orders leaving.
    pub units: Vec<UnitId>,
}

impl OrderChange {
    pub(crate) fn of(before: Option<&WorkOrder>, after: &WorkOrder, action: Action) -> Self {
        let mut units: Vec<UnitId> =
            [before, Some(after)].into_iter().flatten().flat_map(|o| o.involvements().into_iter().map(|(unit, _, _)| unit)).collect();
        units.sort_by_key(|u| u.0);
        units.dedup();
        Self { number: after.number.clone(), action, state: after.state, units }
    }

    /// Whether a desk with this scope may hear of the change.
    pub fn visible_in(&self, scope: &StoreScope) -> bool {
        match scope {
            StoreScope::All => true,
            StoreScope::Units(mine) => self.units.iter().any(|u| mine.contains(u)),
        }
    }
}

/// What one node tells the others: enough for each to tell its own
/// screens. Alerts go by id, read back by a node whose screens listen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LiveEvent {
    Order(OrderChange),
    AlertsRaised {
        ids: Vec<i64>,
    },
    /// Incidents and surge warnings that counted more orders.
    AlertsCounted {
        ids: Vec<i64>,
    },
}

/// Carries this node's live events to the other nodes.
pub trait LiveRelay: Send + Sync {
    /// Hands the event over without waiting; a relay that is down loses it
    /// (screens read the database again at their next reload).
    fn publish(&self, event: LiveEvent);
}

/// The relay, attached once the node has one.
#[derive(Clone, Default)]
pub struct Relay(Arc<OnceLock<Arc<dyn LiveRelay>>>);

impl Relay {
    /// False when one is attached already.
    pub fn attach(&self, relay: Arc<dyn LiveRelay>) -> bool {
        self.0.set(relay).is_ok()
    }

    pub(crate) fn publish(&self, event: impl FnOnce() -> LiveEvent) {
        if let Some(relay) = self.0.get() {
            relay.publish(event());
        }
    }
}
