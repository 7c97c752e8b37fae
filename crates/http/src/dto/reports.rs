//! What reports and the big screen answer, as the API documents them.

use chrono::{DateTime, NaiveDate, Utc};
use hotline_app::dashboard::{Count, Snapshot, TrendPoint};
use hotline_app::reports::{Report, Section};
use serde::Serialize;
use utoipa::ToSchema;

/// One section of a report: a table.
#[derive(Debug, Serialize, ToSchema)]
pub struct SectionDto {
    pub name: String,
    pub header: Vec<String>,
    /// Cells are text, a count, or a fraction from 0 to 1 (null where nothing was measured).
    #[schema(value_type = Vec<Vec<serde_json::Value>>)]
    pub rows: Vec<Vec<hotline_app::reports::Value>>,
}

/// A daily, weekly or monthly report (日报/周报/月报).
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportDto {
    pub title: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub sections: Vec<SectionDto>,
}

impl From<Report> for ReportDto {
    fn from(r: Report) -> Self {
        let section = |s: Section| SectionDto { name: s.name, header: s.header, rows: s.rows };
        Self { title: r.title, from: r.from, to: r.to, sections: r.sections.into_iter().map(section).collect() }
    }
}

/// Orders of one channel, type, category or town.
#[derive(Debug, Serialize, ToSchema)]
pub struct CountDto {
    pub key: String,
    pub name: String,
    pub orders: u64,
}

impl From<Count> for CountDto {
    fn from(c: Count) -> Self {
        Self { key: c.key, name: c.name, orders: c.orders }
    }
}

/// A day of the satisfaction trend.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrendPointDto {
    /// The day the orders were registered.
    pub day: NaiveDate,
    pub followed_up: u64,
    /// (satisfied + basically satisfied) / followed up.
    pub satisfaction: Option<f64>,
}

impl From<TrendPoint> for TrendPointDto {
    fn from(t: TrendPoint) -> Self {
        Self { day: t.day, followed_up: t.followed_up, satisfaction: t.satisfaction }
    }
}

/// The big screen (大屏) now.
#[derive(Debug, Serialize, ToSchema)]
pub struct SnapshotDto {
    pub at: DateTime<Utc>,
    pub orders_today: u64,
    /// Today's call figures; none without telephony.
    pub calls_today: Option<crate::dto::calls::FiguresDto>,
    pub by_channel: Vec<CountDto>,
    pub by_type: Vec<CountDto>,
    pub by_category: Vec<CountDto>,
    pub by_town: Vec<CountDto>,
    /// Open orders past their completion date now.
    pub overdue_now: u64,
    pub unread_alerts: usize,
    pub satisfaction_trend: Vec<TrendPointDto>,
    pub hot_topics: Vec<String>,
    /// What citizens reported most in the last 24 hours, in public wording.
    pub reported: Vec<crate::dto::topics::PublicTopicDto>,
}

impl From<Snapshot> for SnapshotDto {
    fn from(s: Snapshot) -> Self {
        use crate::dto::all;
        Self {
            at: s.at,
            orders_today: s.orders_today,
            calls_today: s.calls_today.map(Into::into),
            by_channel: all(s.by_channel),
            by_type: all(s.by_type),
            by_category: all(s.by_category),
            by_town: all(s.by_town),
            overdue_now: s.overdue_now,
            unread_alerts: s.unread_alerts,
            satisfaction_trend: all(s.satisfaction_trend),
            hot_topics: s.hot_topics,
            reported: all(s.reported),
        }
    }
}
