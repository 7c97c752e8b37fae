//! The centre's big screen (大屏): today's calls and orders by channel,
//! type, category and town, what is overdue now, the satisfaction trend,
//! hot questions, what citizens report most and unread alerts, in one snapshot the HTTP adapter streams.

use crate::access::{EvaluationView, ReportReader};
use crate::calls::{CallCentre, GroupBy};
use crate::error::AppResult;
use crate::evaluation::{Dimension, Evaluation};
use crate::knowledge::KnowledgeBase;
use crate::ports::{EvaluationStore, StoreScope};
use crate::supervision::{AlertQuery, SupervisionStore};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use hotline_callcentre::stats::Figures;
use hotline_domain::kpi::Breakdown;
use serde::Serialize;
use std::sync::Arc;

/// Days of the satisfaction trend.
const TREND_DAYS: i64 = 14;
/// Topics of the last 24 hours on the screen.
const REPORTED_TOPICS: usize = 8;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Count {
    pub key: String,
    pub name: String,
    pub orders: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendPoint {
    /// The day the orders were registered.
    pub day: NaiveDate,
    pub followed_up: u64,
    /// (satisfied + basically satisfied) / followed up.
    pub satisfaction: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snapshot {
    pub at: DateTime<Utc>,
    pub orders_today: u64,
    pub calls_today: Option<Figures>,
    pub by_channel: Vec<Count>,
    pub by_type: Vec<Count>,
    pub by_category: Vec<Count>,
    pub by_town: Vec<Count>,
    /// Open orders past their completion date now.
    pub overdue_now: u64,
    pub unread_alerts: usize,
    pub satisfaction_trend: Vec<TrendPoint>,
    pub hot_topics: Vec<String>,
    /// What citizens reported most in the last 24 hours, in public wording
    /// (the big screen may hang in a hall).
    pub reported: Vec<crate::topics::PublicTopic>,
}

pub struct Dashboard {
    pub(crate) store: Arc<dyn EvaluationStore>,
    pub(crate) alerts: Arc<dyn SupervisionStore>,
    pub(crate) evaluation: Arc<Evaluation>,
    pub(crate) calls: Arc<CallCentre>,
    pub(crate) knowledge: Arc<KnowledgeBase>,
    pub(crate) topics: Arc<crate::topics::HotTopics>,
}

impl Dashboard {
    async fn breakdown(&self, from: DateTime<Utc>, to: DateTime<Utc>, by: Breakdown) -> AppResult<Vec<Count>> {
        let rows = self.store.order_counts(from, to, by).await?;
        Ok(rows.into_iter().map(|(key, orders)| Count { name: by.label(&key), key, orders }).collect())
    }

    async fn counts(&self, view: &EvaluationView, from: DateTime<Utc>, to: DateTime<Utc>, by: Dimension) -> AppResult<Vec<Count>> {
        let mut rows: Vec<Count> = self
            .evaluation
            .figures(view, from, to, by)
            .await?
            .into_iter()
            .map(|r| Count { key: r.key, name: r.name, orders: r.counts.orders })
            .collect();
        rows.sort_by_key(|r| std::cmp::Reverse(r.orders));
        Ok(rows)
    }

    pub async fn snapshot(&self, reader: &ReportReader) -> AppResult<Snapshot> {
        let now = self.evaluation.clock.now();
        let days = self.evaluation.calendar.snapshot();
        let today = days.local_date(now);
        let start = days.start_of(today);
        let end = days.start_of(today + Duration::days(1));
        let view = reader.evaluation();
        let by_category = self.counts(&view, start, end, Dimension::Category).await?;
        let by_town = self.counts(&view, start, end, Dimension::Town).await?;
        let by_channel = self.breakdown(start, end, Breakdown::Channel).await?;
        let by_type = self.breakdown(start, end, Breakdown::Type).await?;
        let mut satisfaction_trend = Vec::with_capacity(TREND_DAYS as usize);
        for back in (0..TREND_DAYS).rev() {
            let day = today - Duration::days(back);
            let mut followed_up = 0;
            let mut satisfied = 0;
            for row in
                self.evaluation.figures(&view, days.start_of(day), days.start_of(day + Duration::days(1)), Dimension::Consultant).await?
            {
                followed_up += row.counts.followed_up;
                satisfied += row.counts.satisfied + row.counts.basically_satisfied;
            }
            let satisfaction = (followed_up > 0).then(|| satisfied as f64 / followed_up as f64);
            satisfaction_trend.push(TrendPoint { day, followed_up, satisfaction });
        }
        let calls = self.calls.figures(&reader.call_records(), start, end, GroupBy::Total).await?;
        let alerts = AlertQuery { scope: StoreScope::All, unread_only: true, level: None, before: None, limit: 200 };
        Ok(Snapshot {
            at: now,
            orders_today: by_channel.iter().map(|c| c.orders).sum(),
            calls_today: calls.into_iter().next().map(|r| r.figures),
            by_channel,
            by_type,
            by_category,
            by_town,
            overdue_now: self.store.overdue_open(now).await?,
            unread_alerts: self.alerts.alerts(&alerts).await?.len(),
            satisfaction_trend,
            hot_topics: self.knowledge.hot_topics(true, 7, 10).await?.into_iter().map(|t| t.title).collect(),
            reported: self.topics.for_public(crate::topics::TopicWindow::Day, REPORTED_TOPICS).await?,
        })
    }
}
