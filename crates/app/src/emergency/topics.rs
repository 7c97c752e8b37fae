//! Hot topics feed the surge watch (`hotline_domain::topic_surge`): every
//! refresh of the topics, each topic of the last hours that gathered K
//! orders within the surge window warns its town, or the centre when it
//! spans towns, unless a warning already holds it; its new orders are then
//! counted in that warning. Slower than the town's watch (up to a refresh
//! of the topics, `topics.refresh_seconds`), it catches what the watch
//! cannot: reports worded differently, and a matter spread over towns.

use super::{Emergency, SURGE_LOOKBACK, SurgeWarningQuery};
use crate::error::AppResult;
use crate::supervision::{AlertRecord, IncidentMember};
use hotline_domain::topic_surge::{TopicReport, TopicSurge, topic_surge};
use hotline_domain::watch::{AlertLevel, Watched};

impl Emergency {
    /// Raises or grows the surge warnings the topics of the last hours
    /// (each its orders, `HotTopics::recent_reports`) call for. Returns the
    /// warnings raised.
    pub async fn screen_topics(&self, reports: &[Vec<TopicReport>]) -> AppResult<Vec<AlertRecord>> {
        let _turn = self.topic_pass.lock().await;
        let now = self.clock.now();
        let rule = self.config.surge_rule();
        if reports.iter().all(|r| r.len() < rule.orders) {
            return Ok(Vec::new());
        }
        // Read once per pass, and kept up to date with what the pass raises,
        // so two topics never take the same orders into two new warnings.
        let since = now - SURGE_LOOKBACK;
        // What a warning shares with a topic, and which of the topic's
        // orders it already counts, is about the topics' orders alone,
        // none older than their oldest (ids follow registration).
        let orders_from = reports.iter().flatten().map(|r| r.order).min();
        let query = SurgeWarningQuery { town: None, raised_since: since, joined_since: since, about: None, orders_from };
        let mut warnings = self.store.surge_warnings(&query).await?;
        let (mut alerts, mut members) = (Vec::new(), Vec::new());
        for topic in reports {
            match topic_surge(topic, now, rule, &warnings) {
                None => {}
                Some(TopicSurge::Join { alert, orders }) => {
                    if let Some(w) = warnings.iter_mut().find(|w| w.alert == alert) {
                        w.orders.extend(orders.iter().map(|o| (*o, now)));
                    }
                    members.extend(orders.into_iter().map(|order| IncidentMember { alert, order, at: now }));
                }
                Some(TopicSurge::Raise { unit, orders }) => {
                    let Some(first) = self.orders.order(orders[0]).await? else { continue };
                    let alert = self.alert(&first, Watched::Surge, first.id.0, AlertLevel::Yellow, now, unit);
                    warnings.push(hotline_domain::surge::SurgeWarning {
                        unit,
                        subject: first.id.0,
                        alert: alert.id,
                        raised_at: now,
                        orders: orders.iter().map(|o| (*o, now)).collect(),
                    });
                    members.extend(orders.into_iter().map(|order| IncidentMember { alert: alert.id, order, at: now }));
                    alerts.push(alert);
                }
            }
        }
        self.supervision.raise(alerts, Vec::new(), members).await
    }
}
