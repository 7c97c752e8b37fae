//! The centre's daily, weekly and monthly reports (日报、周报、月报): one
//! section per table, the same content as JSON for charts on screen and as a
//! formatted .xlsx workbook (written by the HTTP adapter with
//! `hotline-tabular`). Every figure comes from the evaluation (`kpi.rs`
//! formulas), the call centre's figures and the alerts.

use crate::access::ReportReader;
use crate::calls::{CallCentre, GroupBy};
use crate::error::{AppError, AppResult};
use crate::evaluation::{Dimension, Evaluation, KpiRow, Month};
use crate::ports::EvaluationStore;
use crate::supervision::SupervisionStore;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
pub use hotline_domain::kpi::Breakdown;
use hotline_domain::kpi::KpiCounts;
use hotline_domain::watch::AlertLevel;
use serde::Serialize;
use std::sync::Arc;

/// The period a report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Day(NaiveDate),
    /// The week (Monday to Sunday) holding the date.
    Week(NaiveDate),
    /// The month holding the date.
    Month(NaiveDate),
}

impl Period {
    /// `day`, `week` or `month`, and a date within it.
    pub fn parse(kind: &str, date: NaiveDate) -> AppResult<Self> {
        match kind {
            "day" | "daily" => Ok(Self::Day(date)),
            "week" | "weekly" => Ok(Self::Week(date - Duration::days(i64::from(date.weekday().num_days_from_monday())))),
            "month" | "monthly" => Ok(Self::Month(date.with_day(1).expect("every month has a first day"))),
            other => Err(AppError::invalid("period", format!("{other:?} is not day, week or month"))),
        }
    }

    fn days(self) -> (NaiveDate, NaiveDate) {
        match self {
            Self::Day(d) => (d, d + Duration::days(1)),
            Self::Week(monday) => (monday, monday + Duration::days(7)),
            Self::Month(first) => (first, first + chrono::Months::new(1)),
        }
    }

    fn title(self) -> String {
        match self {
            Self::Day(d) => format!("{} 日报", d.format("%Y年%m月%d日")),
            Self::Week(d) => format!("{} 至 {} 周报", d.format("%Y年%m月%d日"), (d + Duration::days(6)).format("%m月%d日")),
            Self::Month(d) => format!("{} 月报", d.format("%Y年%m月")),
        }
    }

    /// The file name stem, e.g. `12345-monthly-2026-11`.
    pub fn file_stem(self) -> String {
        match self {
            Self::Day(d) => format!("12345-daily-{d}"),
            Self::Week(d) => format!("12345-weekly-{d}"),
            Self::Month(d) => format!("12345-monthly-{}", Month::of(d).label()),
        }
    }
}

/// A report cell; JSON carries it untagged (text, count or fraction).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    Text(String),
    Count(u64),
    /// A fraction 0–1, shown as a percentage.
    Rate(Option<f64>),
    Number(Option<f64>),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section {
    pub name: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub title: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub sections: Vec<Section>,
}

pub struct Reports {
    pub(crate) store: Arc<dyn EvaluationStore>,
    pub(crate) alerts: Arc<dyn SupervisionStore>,
    pub(crate) evaluation: Arc<Evaluation>,
    pub(crate) calls: Arc<CallCentre>,
}

fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

fn header(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

const KPI_HEADER: [&str; 10] = ["名称", "工单数", "按时签收率", "按时办结率", "超期数", "退单率", "回访率", "满意率", "解决率", "考核得分"];

fn kpi_row(r: &KpiRow) -> Vec<Value> {
    vec![
        text(r.name.clone()),
        Value::Count(r.counts.orders),
        Value::Rate(r.rates.on_time_sign_for),
        Value::Rate(r.rates.on_time_completion),
        Value::Count(r.counts.overdue),
        Value::Rate(r.rates.returns),
        Value::Rate(r.rates.follow_up),
        Value::Rate(r.rates.satisfaction),
        Value::Rate(r.rates.solved),
        Value::Number(r.score),
    ]
}

impl Reports {
    pub async fn report(&self, reader: &ReportReader, period: Period) -> AppResult<Report> {
        let (first, next) = period.days();
        let days = self.evaluation.calendar.snapshot();
        let (from, to) = (days.start_of(first), days.start_of(next));
        let view = reader.evaluation();
        let busiest_first = |mut rows: Vec<KpiRow>| {
            rows.sort_by(|a, b| b.counts.orders.cmp(&a.counts.orders).then_with(|| a.name.cmp(&b.name)));
            rows
        };
        let by_unit = busiest_first(self.evaluation.figures(&view, from, to, Dimension::Unit).await?);
        let by_town = busiest_first(self.evaluation.figures(&view, from, to, Dimension::Town).await?);
        let by_category = busiest_first(self.evaluation.figures(&view, from, to, Dimension::Category).await?);
        let mut total = KpiCounts::default();
        for row in self.evaluation.figures(&view, from, to, Dimension::Consultant).await? {
            total.merge(&row.counts);
        }
        let rates = total.rates();
        let calls = self.calls.figures(&reader.call_records(), from, to, GroupBy::Total).await?;
        let call = calls.first().map(|r| &r.figures);
        let mut alerts = [0u64; 4];
        for c in self.alerts.alert_counts(from, to).await? {
            alerts[c.level as usize] += c.orders;
        }
        let mut overview = vec![
            vec![text("受理工单"), Value::Count(total.orders)],
            vec![text("派单"), Value::Count(total.dispatched)],
            vec![text("办结"), Value::Count(total.resolved)],
            vec![text("按时办结率"), Value::Rate(rates.on_time_completion)],
            vec![text("超期"), Value::Count(total.overdue)],
            vec![text("回访"), Value::Count(total.followed_up)],
            vec![text("满意率"), Value::Rate(rates.satisfaction)],
            vec![text("解决率"), Value::Rate(rates.solved)],
            vec![text("来电（呼入）"), Value::Count(call.map_or(0, |f| f.offered))],
            vec![text("接听"), Value::Count(call.map_or(0, |f| f.answered))],
            vec![text("接通率"), Value::Rate(call.map(|f| f.connection_rate))],
            vec![text("15秒接通率"), Value::Rate(call.map(|f| f.answered_within_share))],
            vec![text("平均应答时长（秒）"), Value::Number(call.map(|f| f.asa_secs))],
            vec![text("放弃率"), Value::Rate(call.map(|f| f.abandonment_rate))],
        ];
        for level in [AlertLevel::Yellow, AlertLevel::Red, AlertLevel::Reminder, AlertLevel::Escalation] {
            overview.push(vec![text(format!("办结{}（工单）", level.label_zh())), Value::Count(alerts[level as usize])]);
        }
        let channels = self.store.order_counts(from, to, Breakdown::Channel).await?;
        let types = self.store.order_counts(from, to, Breakdown::Type).await?;
        let sections = vec![
            Section { name: "概况".into(), header: header(&["指标", "数值"]), rows: overview },
            Section {
                name: "受理渠道".into(),
                header: header(&["渠道", "工单数"]),
                rows: channels.iter().map(|(k, n)| vec![text(Breakdown::Channel.label(k)), Value::Count(*n)]).collect(),
            },
            Section {
                name: "诉求类型".into(),
                header: header(&["类型", "工单数"]),
                rows: types.iter().map(|(k, n)| vec![text(Breakdown::Type.label(k)), Value::Count(*n)]).collect(),
            },
            Section { name: "诉求分类".into(), header: header(&KPI_HEADER), rows: by_category.iter().map(kpi_row).collect() },
            Section { name: "镇街".into(), header: header(&KPI_HEADER), rows: by_town.iter().map(kpi_row).collect() },
            Section { name: "承办单位".into(), header: header(&KPI_HEADER), rows: by_unit.iter().map(kpi_row).collect() },
        ];
        Ok(Report { title: format!("12345政务服务便民热线 {}", period.title()), from, to, sections })
    }
}
