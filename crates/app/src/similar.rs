//! Open orders like the one being registered or dispatched (issue 18):
//! duplicates to merge (疑似重复), the same caller on the same matter again
//! (重复诉求), and related cases worth a look, each with why it matches.
//!
//! The words are compared in the search index over the recent window
//! (`SearchEngine::similar_orders`); the place, category and caller come
//! from the database, since the index holds no personal data. The domain
//! judges the evidence (`hotline_domain::duplicate`).

use crate::access::Desk;
use crate::calls::CallStore;
use crate::clock::Clock;
use crate::error::{AppError, AppResult};
use crate::knowledge::index::{SearchEngine, SimilarQuery};
use crate::orders::WorkOrders;
use crate::ports::OrderStore;
use chrono::{DateTime, Duration, Utc};
use hotline_domain::duplicate::{Evidence, Kinship, same_address};
use hotline_domain::{CategoryId, OrderId, PhoneNumber, Role, State, UnitId, WorkOrder, WorkOrderNo};
use std::collections::BTreeMap;
use std::sync::Arc;

/// How far back a request is compared: a month covers a slow repair and
/// the caller who rings again about it.
pub const WINDOW_DAYS: i64 = 30;
/// Orders alike in words fetched from the index.
const BY_WORDS: usize = 12;
/// The caller's own earlier orders looked at.
const BY_CALLER: u32 = 10;
/// Orders shown at most.
pub const SHOWN: usize = 8;

/// What is known of the request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SimilarInput {
    pub subject: String,
    pub description: String,
    pub town: Option<UnitId>,
    pub address: Option<String>,
    pub caller: Option<PhoneNumber>,
    pub category: Option<CategoryId>,
    /// The order itself, when it is already registered.
    pub exclude: Option<OrderId>,
}

impl SimilarInput {
    /// What a registered order says about itself.
    pub fn of(order: &WorkOrder) -> Self {
        Self {
            subject: order.subject.to_string(),
            description: order.description.to_string(),
            town: order.location.town,
            address: order.location.address.as_ref().map(ToString::to_string),
            caller: order.caller.phone.clone(),
            category: Some(order.category),
            exclude: Some(order.id),
        }
    }
}

/// An earlier order and how it relates.
#[derive(Debug, Clone, PartialEq)]
pub struct SimilarOrder {
    pub id: OrderId,
    pub number: WorkOrderNo,
    pub subject: String,
    pub state: State,
    pub category: CategoryId,
    pub town: Option<UnitId>,
    pub created_at: DateTime<Utc>,
    pub kinship: Kinship,
    pub evidence: Evidence,
    /// The rarest words both use.
    pub shared: Vec<String>,
}

impl SimilarOrder {
    /// Still being handled: a duplicate can be merged into it.
    pub fn open(&self) -> bool {
        !self.state.is_terminal()
    }
}

pub struct SimilarOrders {
    pub engine: Arc<dyn SearchEngine>,
    pub store: Arc<dyn OrderStore>,
    pub calls: Arc<dyn CallStore>,
    pub orders: Arc<WorkOrders>,
    pub clock: Arc<dyn Clock>,
}

struct Candidate {
    likeness: f32,
    shared: Vec<String>,
}

impl SimilarOrders {
    /// Orders related to what a consultant or dispatcher has typed, the
    /// strongest first.
    pub async fn find(&self, desk: &Desk, input: &SimilarInput) -> AppResult<Vec<SimilarOrder>> {
        allowed(desk)?;
        let since = self.clock.now() - Duration::days(WINDOW_DAYS);
        let text = format!("{}\n{}", input.subject, input.description);
        let mut candidates: BTreeMap<OrderId, Candidate> = BTreeMap::new();
        if !text.trim().is_empty() {
            let query = SimilarQuery { text, since, exclude: input.exclude, limit: BY_WORDS };
            let hits = self.engine.similar_orders(&query).map_err(|e| AppError::Unavailable(e.to_string()))?;
            for hit in hits {
                candidates.insert(hit.id, Candidate { likeness: hit.likeness, shared: hit.shared });
            }
        }
        if let Some(phone) = &input.caller {
            for o in self.calls.caller_orders(phone, BY_CALLER).await? {
                if o.created_at >= since && Some(o.id) != input.exclude && !o.state.is_void() {
                    candidates.entry(o.id).or_insert(Candidate { likeness: 0.0, shared: Vec::new() });
                }
            }
        }
        let mut found = Vec::new();
        for (id, c) in candidates {
            // The index follows the database by a moment: read the order as it is now.
            let Some(order) = self.store.order(id).await? else { continue };
            if order.state.is_void() {
                continue;
            }
            let evidence = evidence(input, &order, c.likeness);
            let Some(mut kinship) = evidence.kinship() else { continue };
            // A closed order takes no duplicates: the same matter again is a
            // similar past case, its reply worth reading.
            if kinship == Kinship::Duplicate && order.state.is_terminal() {
                kinship = Kinship::Related;
            }
            found.push(SimilarOrder {
                id,
                number: order.number,
                subject: order.subject.to_string(),
                state: order.state,
                category: order.category,
                town: order.location.town,
                created_at: order.created_at,
                kinship,
                evidence,
                shared: c.shared,
            });
        }
        found.sort_by(|a, b| a.kinship.cmp(&b.kinship).then(b.evidence.score().total_cmp(&a.evidence.score())));
        found.truncate(SHOWN);
        Ok(found)
    }

    /// Orders related to a registered one, for its dispatcher.
    pub async fn of_order(&self, desk: &Desk, number: &WorkOrderNo) -> AppResult<Vec<SimilarOrder>> {
        allowed(desk)?;
        let order = self.orders.load(desk, number).await?;
        self.find(desk, &SimilarInput::of(&order)).await
    }
}

/// The centre's staff who register and dispatch, and their supervisors:
/// the list spans every unit's orders.
fn allowed(desk: &Desk) -> AppResult<()> {
    desk.require(&[Role::Consultant, Role::Dispatcher, Role::Supervisor], "similar orders")
}

fn evidence(input: &SimilarInput, order: &WorkOrder, likeness: f32) -> Evidence {
    let both = |a: Option<UnitId>, b: Option<UnitId>| a.is_some() && a == b;
    Evidence {
        likeness,
        same_town: both(input.town, order.location.town),
        same_address: match (&input.address, &order.location.address) {
            (Some(a), Some(b)) => same_address(a, b.as_str()),
            _ => false,
        },
        same_category: input.category == Some(order.category),
        same_caller: input.caller.is_some() && input.caller == order.caller.phone,
    }
}
