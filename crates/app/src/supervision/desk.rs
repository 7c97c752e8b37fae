//! The supervision desk (监察台): what is late or going wrong, the
//! supervision notices (督办单) and their answers, and the month's yellow and
//! red cards per unit.

use super::Supervision;
use crate::access::SupervisorDesk;
use crate::error::{AppError, AppResult};
use crate::evaluation::Month;
use crate::ports::{OrderFilter, OrderSummary, PageRequest, StoreScope};
use chrono::{DateTime, Duration, Utc};
use hotline_domain::watch::AlertLevel;
use hotline_domain::{NoticeId, OrderId, Satisfaction, State, UnitId, UserId, WorkOrderNo};
use serde::Serialize;
use std::collections::BTreeMap;

/// The desk's order lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderList {
    /// Open, not answered, due within `expiring_within_hours` (即将超期).
    Expiring,
    /// Open, not answered, past due (已超期).
    Overdue,
    /// Given back by a unit, waiting for the centre (退单).
    Returned,
    /// With an extension request waiting (延期申请).
    Extensions,
    /// Followed up and found unsatisfied (不满意回访), in the repeat window.
    Unsatisfied,
}

impl OrderList {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "expiring" => Self::Expiring,
            "overdue" => Self::Overdue,
            "returned" => Self::Returned,
            "extensions" => Self::Extensions,
            "unsatisfied" => Self::Unsatisfied,
            _ => return None,
        })
    }
}

/// What makes orders repeats of each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepeatBy {
    /// The same caller's phone (重复来电).
    Caller,
    /// The same category at the same address (重复诉求).
    Problem,
}

impl RepeatBy {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "caller" => Some(Self::Caller),
            "problem" => Some(Self::Problem),
            _ => None,
        }
    }
}

/// A group of repeated orders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Repeat {
    /// The phone, or the category and address.
    pub key: String,
    pub orders: u64,
    pub open: u64,
    pub latest: OrderId,
    pub latest_number: WorkOrderNo,
    pub latest_at: DateTime<Utc>,
}

/// A supervision notice with its order and whether its answer is late.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoticeRow {
    pub id: NoticeId,
    pub order: OrderId,
    pub number: WorkOrderNo,
    pub unit: UnitId,
    pub issued_by: UserId,
    pub issued_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub text: String,
    pub answered_at: Option<DateTime<Utc>>,
    pub answer: Option<String>,
    /// Not answered by its due time (judged now), or answered after it.
    pub late: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CardColour {
    Yellow,
    Red,
}

/// A unit's card (黄牌/红牌) for a month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Card {
    pub unit: UnitId,
    pub unit_name: String,
    /// Orders whose completion date the unit missed (red alerts).
    pub overdue_orders: u64,
    /// Orders escalated to the supervisors and leaders.
    pub escalated_orders: u64,
    pub colour: CardColour,
}

impl Supervision {
    pub async fn orders(&self, _: &SupervisorDesk, list: OrderList, page: PageRequest) -> AppResult<Vec<OrderSummary>> {
        let now = self.clock.now();
        let filter = match list {
            OrderList::Expiring => OrderFilter {
                expiring: Some((now, now + Duration::hours(i64::from(self.config.expiring_within_hours)))),
                ..Default::default()
            },
            OrderList::Overdue => OrderFilter { overdue_at: Some(now), ..Default::default() },
            OrderList::Returned => OrderFilter { states: vec![State::Returned], ..Default::default() },
            OrderList::Extensions => OrderFilter { extension_requested: true, ..Default::default() },
            OrderList::Unsatisfied => OrderFilter {
                satisfaction: Some(Satisfaction::Unsatisfied),
                created_from: Some(self.window_start(now)),
                ..Default::default()
            },
        };
        Ok(self.orders.list_orders(&StoreScope::All, &filter, page).await?)
    }

    pub async fn repeats(&self, _: &SupervisorDesk, by: RepeatBy, limit: u32) -> AppResult<Vec<Repeat>> {
        let since = self.window_start(self.clock.now());
        Ok(self.store.repeats(by, since, self.config.repeat_at, limit.clamp(1, 200)).await?)
    }

    pub async fn notices(&self, _: &SupervisorDesk, open_only: bool, limit: u32) -> AppResult<Vec<NoticeRow>> {
        Ok(self.store.notices(open_only, self.clock.now(), limit.clamp(1, 500)).await?)
    }

    /// The month's cards: yellow from `yellow_card_at` overdue orders, red
    /// from `red_card_at` or from any escalation. Units without a card are
    /// not listed.
    pub async fn cards(&self, _: &SupervisorDesk, month: Month, evaluation: &crate::evaluation::Evaluation) -> AppResult<Vec<Card>> {
        let (from, to) = evaluation.month_span(month);
        if from > self.clock.now() {
            return Err(AppError::invalid("month", "cards are given for months that have begun"));
        }
        let mut per_unit: BTreeMap<UnitId, (u64, u64)> = BTreeMap::new();
        for count in self.store.alert_counts(from, to).await? {
            let entry = per_unit.entry(count.unit).or_default();
            match count.level {
                AlertLevel::Red => entry.0 += count.orders,
                AlertLevel::Escalation => entry.1 += count.orders,
                AlertLevel::Yellow | AlertLevel::Reminder => {}
            }
        }
        let org = self.directory.snapshot();
        let mut cards: Vec<Card> = per_unit
            .into_iter()
            .filter_map(|(unit, (overdue_orders, escalated_orders))| {
                let colour = if escalated_orders > 0 || overdue_orders >= u64::from(self.config.red_card_at) {
                    CardColour::Red
                } else if overdue_orders >= u64::from(self.config.yellow_card_at) {
                    CardColour::Yellow
                } else {
                    return None;
                };
                Some(Card { unit, unit_name: org.unit_name(unit), overdue_orders, escalated_orders, colour })
            })
            .collect();
        cards.sort_by_key(|c| std::cmp::Reverse((c.colour == CardColour::Red, c.overdue_orders)));
        Ok(cards)
    }

    fn window_start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - Duration::days(i64::from(self.config.repeat_window_days))
    }
}
