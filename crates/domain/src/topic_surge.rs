//! Hot topics feed the surge watch (突发预警 from 热点诉求): a topic that
//! gathered K orders within the surge window warns even where no town's
//! watch did, because its reports are worded differently (the watch
//! compares characters, topics compare words weighed by their rarity) or
//! come from several towns, none with K. A topic in one town warns the
//! town; one spanning towns warns the centre, which alone sees them all.
//! A topic already warned about is not warned about again: its new orders
//! are counted in the warning that holds its earlier ones.

use crate::ids::{OrderId, UnitId};
use crate::surge::{SurgeRule, SurgeWarning};
use chrono::{DateTime, Utc};
use std::collections::HashSet;

/// One of a topic's orders: when it came and from which town.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopicReport {
    pub order: OrderId,
    pub at: DateTime<Utc>,
    pub town: Option<UnitId>,
}

/// What a topic calls for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopicSurge {
    /// A new warning to `unit` (none: the centre) standing for `orders`,
    /// oldest first; the first names it.
    Raise { unit: Option<UnitId>, orders: Vec<OrderId> },
    /// Orders to count in a lasting warning.
    Join { alert: i64, orders: Vec<OrderId> },
}

/// What a topic (its orders of the last hours) calls for at `now`, given
/// the surge warnings raised lately with the orders each counts.
///
/// A warning is lasting while an order joined it within the window, as in
/// the town's watch. Only warnings about alike orders (named after one of
/// them) take a topic's orders: a category's warning is about a kind of
/// matter, not one event.
pub fn topic_surge(reports: &[TopicReport], now: DateTime<Utc>, rule: SurgeRule, warnings: &[SurgeWarning]) -> Option<TopicSurge> {
    let since = now - rule.window;
    let mut recent: Vec<&TopicReport> = reports.iter().filter(|r| r.at >= since && r.at <= now).collect();
    if recent.len() < rule.orders {
        return None;
    }
    recent.sort_by_key(|r| (r.at, r.order));
    let towns: HashSet<UnitId> = recent.iter().filter_map(|r| r.town).collect();
    let unit = match towns.len() {
        1 => towns.into_iter().next(),
        _ => None,
    };
    let topic: HashSet<OrderId> = reports.iter().map(|r| r.order).collect();
    let held = warnings
        .iter()
        .filter(|w| w.unit == unit && w.orders.iter().any(|(o, _)| o.0 == w.subject))
        .filter(|w| w.last_joined() >= since)
        .map(|w| (w, w.orders.iter().filter(|(o, _)| topic.contains(o)).count()))
        .filter(|(_, shared)| *shared > 0)
        .max_by_key(|(w, shared)| (*shared, w.raised_at));
    match held {
        Some((w, _)) => {
            let counted: HashSet<OrderId> = w.orders.iter().map(|(o, _)| *o).collect();
            let orders: Vec<OrderId> = recent.iter().map(|r| r.order).filter(|o| !counted.contains(o)).collect();
            (!orders.is_empty()).then_some(TopicSurge::Join { alert: w.alert, orders })
        }
        None => Some(TopicSurge::Raise { unit, orders: recent.iter().map(|r| r.order).collect() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::days(20_000) + Duration::minutes(minute)
    }

    const RULE: SurgeRule = SurgeRule { orders: 3, window: Duration::minutes(60), similarity: 0.6 };
    const EAST: UnitId = UnitId(3);
    const SOUTH: UnitId = UnitId(4);

    fn report(order: i64, minute: i64, town: Option<UnitId>) -> TopicReport {
        TopicReport { order: OrderId(order), at: at(minute), town }
    }

    fn warning(unit: Option<UnitId>, subject: i64, alert: i64, orders: &[(i64, i64)]) -> SurgeWarning {
        let raised_at = at(orders.iter().map(|(_, m)| *m).min().unwrap_or(0));
        SurgeWarning { unit, subject, alert, raised_at, orders: orders.iter().map(|(o, m)| (OrderId(*o), at(*m))).collect() }
    }

    #[test]
    fn a_topic_spanning_towns_warns_the_centre_and_one_in_a_town_warns_the_town() {
        let spread = [report(1, 0, Some(EAST)), report(2, 5, Some(SOUTH)), report(3, 9, Some(EAST)), report(4, 10, None)];
        assert_eq!(
            topic_surge(&spread, at(10), RULE, &[]),
            Some(TopicSurge::Raise { unit: None, orders: vec![OrderId(1), OrderId(2), OrderId(3), OrderId(4)] })
        );
        let town = [report(7, 3, Some(EAST)), report(5, 1, Some(EAST)), report(6, 2, None)];
        assert_eq!(
            topic_surge(&town, at(10), RULE, &[]),
            Some(TopicSurge::Raise { unit: Some(EAST), orders: vec![OrderId(5), OrderId(6), OrderId(7)] }),
            "oldest first; an order without a town does not make the topic span towns"
        );
    }

    #[test]
    fn only_orders_within_the_surge_window_count() {
        let slow = [report(1, 0, Some(EAST)), report(2, 50, Some(SOUTH)), report(3, 100, Some(EAST))];
        assert_eq!(topic_surge(&slow, at(100), RULE, &[]), None, "three in 100 minutes is no surge");
        let later = [report(1, 0, Some(EAST)), report(2, 50, Some(SOUTH)), report(3, 100, Some(EAST)), report(4, 101, Some(SOUTH))];
        assert_eq!(
            topic_surge(&later, at(101), RULE, &[]),
            Some(TopicSurge::Raise { unit: None, orders: vec![OrderId(2), OrderId(3), OrderId(4)] })
        );
    }

    #[test]
    fn a_warned_topic_counts_its_new_orders_in_the_warning_and_is_not_warned_again() {
        let reports = [report(1, 0, Some(EAST)), report(2, 5, Some(SOUTH)), report(3, 9, Some(EAST)), report(4, 20, Some(SOUTH))];
        let centre = warning(None, 1, 900, &[(1, 10), (2, 10), (3, 10)]);
        assert_eq!(
            topic_surge(&reports, at(20), RULE, std::slice::from_ref(&centre)),
            Some(TopicSurge::Join { alert: 900, orders: vec![OrderId(4)] })
        );
        let all = warning(None, 1, 900, &[(1, 10), (2, 10), (3, 10), (4, 20)]);
        assert_eq!(topic_surge(&reports, at(20), RULE, std::slice::from_ref(&all)), None, "nothing new");
        // Once no order joined it for a window, the warning is over: a new surge warns anew.
        let back = [report(11, 200, Some(EAST)), report(12, 201, Some(SOUTH)), report(13, 202, Some(EAST)), report(1, 0, Some(EAST))];
        assert!(matches!(topic_surge(&back, at(202), RULE, &[all]), Some(TopicSurge::Raise { unit: None, .. })));
    }

    #[test]
    fn a_town_topic_joins_the_towns_alike_warning_but_not_a_category_warning_or_another_units() {
        let reports = [report(1, 0, Some(EAST)), report(2, 1, Some(EAST)), report(3, 2, Some(EAST)), report(4, 3, Some(EAST))];
        // The town's watch warned of 1 and 2 (alike, named after 1).
        let alike = warning(Some(EAST), 1, 700, &[(1, 1), (2, 1), (9, 1)]);
        assert_eq!(
            topic_surge(&reports, at(3), RULE, std::slice::from_ref(&alike)),
            Some(TopicSurge::Join { alert: 700, orders: vec![OrderId(3), OrderId(4)] })
        );
        // A category's warning (named after the category, 55) or the
        // centre's do not take a town's topic.
        let category = warning(Some(EAST), 55, 701, &[(1, 1), (2, 1), (3, 1)]);
        let centre = warning(None, 1, 702, &[(1, 1), (2, 1)]);
        assert!(matches!(topic_surge(&reports, at(3), RULE, &[category, centre]), Some(TopicSurge::Raise { unit: Some(EAST), .. })));
    }
}
