//! Evaluation (绩效考核): the published figures of units, towns, categories
//! and consultants over a period, the monthly score with configurable
//! weights, and the ranking (排名通报) with the previous month beside it.
//! Formulas live in the domain (`hotline_domain::kpi`) and in `docs/kpi.md`.

use crate::access::EvaluationView;
use crate::calendar::CalendarService;
use crate::clock::Clock;
use crate::directory::Directory;
use crate::error::{AppError, AppResult};
use crate::ports::{EvaluationStore, OrgStore};
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use hotline_domain::kpi::{KpiCounts, Rates, Weights, rank};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

pub use hotline_domain::kpi::Dimension;

/// A month of the centre's calendar, e.g. 2026-11.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Month(NaiveDate);

impl Month {
    pub fn parse(s: &str) -> Result<Self, AppError> {
        NaiveDate::parse_from_str(&format!("{}-01", s.trim()), "%Y-%m-%d")
            .map(Self)
            .map_err(|_| AppError::invalid("month", format!("{s:?} is not a month like 2026-11")))
    }

    pub fn of(day: NaiveDate) -> Self {
        Self(day.with_day(1).expect("every month has a first day"))
    }

    pub fn previous(self) -> Self {
        Self(self.0 - Months::new(1))
    }

    pub fn label(self) -> String {
        self.0.format("%Y-%m").to_string()
    }

    fn first_day(self) -> NaiveDate {
        self.0
    }

    fn next(self) -> Self {
        Self(self.0 + Months::new(1))
    }
}

/// One group's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiRow {
    /// The unit, category or user id.
    pub key: String,
    pub name: String,
    pub counts: KpiCounts,
    pub rates: Rates,
    /// The weighted score out of 100.
    pub score: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankedRow {
    #[serde(flatten)]
    pub row: KpiRow,
    pub rank: Option<u32>,
    pub previous_score: Option<f64>,
    pub previous_rank: Option<u32>,
    /// Score now minus score the month before.
    pub score_change: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranking {
    pub month: String,
    pub previous_month: String,
    pub weights: Weights,
    pub rows: Vec<RankedRow>,
}

pub struct Evaluation {
    pub(crate) store: Arc<dyn EvaluationStore>,
    /// The consultants' names.
    pub(crate) users: Arc<dyn OrgStore>,
    pub(crate) directory: Arc<Directory>,
    pub(crate) calendar: Arc<CalendarService>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) weights: Weights,
}

/// The longest span figures cover at once.
pub const MAX_DAYS: i64 = 400;

impl Evaluation {
    /// The month's span, from its first local midnight to the next month's.
    pub fn month_span(&self, month: Month) -> (DateTime<Utc>, DateTime<Utc>) {
        let days = self.calendar.snapshot();
        (days.start_of(month.first_day()), days.start_of(month.next().first_day()))
    }

    pub fn this_month(&self) -> Month {
        Month::of(self.calendar.snapshot().local_date(self.clock.now()))
    }

    /// Figures of the orders registered in `[from, to)`, judged now.
    pub async fn figures(&self, view: &EvaluationView, from: DateTime<Utc>, to: DateTime<Utc>, by: Dimension) -> AppResult<Vec<KpiRow>> {
        if to <= from {
            return Err(AppError::invalid("to", "must be after from"));
        }
        if (to - from).num_days() > MAX_DAYS {
            return Err(AppError::invalid("to", format!("figures cover at most {MAX_DAYS} days")));
        }
        view.check_dimension(by)?;
        let rows = self.group(from, to, by).await?;
        Ok(rows.into_iter().filter(|r| view.sees(&r.key)).collect())
    }

    /// The figures of orders registered in `[from, to)` per group, judged now.
    async fn group(&self, from: DateTime<Utc>, to: DateTime<Utc>, by: Dimension) -> AppResult<Vec<KpiRow>> {
        let org = self.directory.snapshot();
        let mut groups: BTreeMap<i64, KpiCounts> = BTreeMap::new();
        for (key, counts) in self.store.kpi_counts(from, to, self.clock.now(), by).await? {
            // Storage groups by the order's own category; figures are per root.
            let key = match by {
                Dimension::Category => org.category_lineage(hotline_domain::CategoryId(key)).last().map_or(key, |c| c.0),
                _ => key,
            };
            groups.entry(key).or_default().merge(&counts);
        }
        let users: HashMap<i64, String> = match by {
            Dimension::Consultant => self.users.users().await?.into_iter().map(|u| (u.id.0, u.display_name)).collect(),
            _ => HashMap::new(),
        };
        Ok(groups
            .into_iter()
            .map(|(key, counts)| {
                let name = match by {
                    Dimension::Unit | Dimension::Town => org.unit_name(hotline_domain::UnitId(key)),
                    Dimension::Category => org.category(hotline_domain::CategoryId(key)).map(|c| c.name.clone()).unwrap_or_default(),
                    Dimension::Consultant => users.get(&key).cloned().unwrap_or_default(),
                };
                let rates = counts.rates();
                KpiRow { key: key.to_string(), name, counts, score: self.weights.score(&rates), rates }
            })
            .collect())
    }

    /// The month's ranking of units or towns, with last month's beside it.
    /// Rankings are published (排名通报): every evaluation reader sees them whole.
    pub async fn ranking(&self, _: &EvaluationView, month: Month, by: Dimension) -> AppResult<Ranking> {
        if !matches!(by, Dimension::Unit | Dimension::Town) {
            return Err(AppError::invalid("by", "rankings are of units or towns"));
        }
        let (from, to) = self.month_span(month);
        let (prev_from, prev_to) = self.month_span(month.previous());
        let now = self.group(from, to, by).await?;
        let before = self.group(prev_from, prev_to, by).await?;
        let ranks = rank(&now.iter().map(|r| r.score).collect::<Vec<_>>());
        let before_ranks = rank(&before.iter().map(|r| r.score).collect::<Vec<_>>());
        let before: HashMap<&str, (Option<f64>, Option<u32>)> =
            before.iter().zip(before_ranks).map(|(r, rank)| (r.key.as_str(), (r.score, rank))).collect();
        let mut rows: Vec<RankedRow> = now
            .iter()
            .zip(ranks)
            .map(|(row, rank)| {
                let (previous_score, previous_rank) = before.get(row.key.as_str()).copied().unwrap_or((None, None));
                let score_change = row.score.zip(previous_score).map(|(a, b)| a - b);
                RankedRow { row: row.clone(), rank, previous_score, previous_rank, score_change }
            })
            .collect();
        rows.sort_by(|a, b| a.rank.unwrap_or(u32::MAX).cmp(&b.rank.unwrap_or(u32::MAX)).then_with(|| a.row.key.cmp(&b.row.key)));
        Ok(Ranking { month: month.label(), previous_month: month.previous().label(), weights: self.weights, rows })
    }
}
