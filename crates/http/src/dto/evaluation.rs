//! What the evaluation (绩效考核) answers, as the API documents it.

use hotline_app::evaluation::{KpiRow, RankedRow, Ranking};
use hotline_domain::kpi::{KpiCounts, Rates, Weights};
use serde::Serialize;
use utoipa::ToSchema;

/// The counts behind one group's rates.
#[derive(Debug, Serialize, ToSchema)]
pub struct CountsDto {
    pub orders: u64,
    /// Dispatched orders whose sign-for fell due, or were signed.
    pub sign_for_due: u64,
    pub signed_on_time: u64,
    /// Orders whose completion fell due, or were answered.
    pub completion_due: u64,
    pub completed_on_time: u64,
    /// Answered late, or still open past the due time.
    pub overdue: u64,
    pub dispatched: u64,
    /// Dispatched orders returned (退单) at least once.
    pub returned: u64,
    pub resolved: u64,
    /// Answered orders whose follow-up reached the citizen.
    pub followed_up: u64,
    pub satisfied: u64,
    pub basically_satisfied: u64,
    pub unsatisfied: u64,
    /// Followed-up orders whose citizen said the problem was solved.
    pub solved: u64,
    /// Answered orders redone (重办) at least once.
    pub redone: u64,
}

impl From<KpiCounts> for CountsDto {
    fn from(c: KpiCounts) -> Self {
        Self {
            orders: c.orders,
            sign_for_due: c.sign_for_due,
            signed_on_time: c.signed_on_time,
            completion_due: c.completion_due,
            completed_on_time: c.completed_on_time,
            overdue: c.overdue,
            dispatched: c.dispatched,
            returned: c.returned,
            resolved: c.resolved,
            followed_up: c.followed_up,
            satisfied: c.satisfied,
            basically_satisfied: c.basically_satisfied,
            unsatisfied: c.unsatisfied,
            solved: c.solved,
            redone: c.redone,
        }
    }
}

/// The published rates (`null` where there was nothing to measure); see `docs/kpi.md`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RatesDto {
    /// 按时签收率
    pub on_time_sign_for: Option<f64>,
    /// 按时办结率
    pub on_time_completion: Option<f64>,
    /// 超期率
    pub overdue: Option<f64>,
    /// 退单率
    pub returns: Option<f64>,
    /// 回访率
    pub follow_up: Option<f64>,
    /// 满意率
    pub satisfaction: Option<f64>,
    /// 解决率
    pub solved: Option<f64>,
    /// 重办率
    pub redo: Option<f64>,
}

impl From<Rates> for RatesDto {
    fn from(r: Rates) -> Self {
        Self {
            on_time_sign_for: r.on_time_sign_for,
            on_time_completion: r.on_time_completion,
            overdue: r.overdue,
            returns: r.returns,
            follow_up: r.follow_up,
            satisfaction: r.satisfaction,
            solved: r.solved,
            redo: r.redo,
        }
    }
}

/// One group's figures (a unit, town, category or consultant).
#[derive(Debug, Serialize, ToSchema)]
pub struct KpiRowDto {
    /// The unit, category or user id.
    pub key: String,
    pub name: String,
    pub counts: CountsDto,
    pub rates: RatesDto,
    /// The weighted score out of 100.
    pub score: Option<f64>,
}

impl From<KpiRow> for KpiRowDto {
    fn from(r: KpiRow) -> Self {
        Self { key: r.key, name: r.name, counts: r.counts.into(), rates: r.rates.into(), score: r.score }
    }
}

/// A ranked group with last month beside it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RankedRowDto {
    #[serde(flatten)]
    pub row: KpiRowDto,
    pub rank: Option<u32>,
    pub previous_score: Option<f64>,
    pub previous_rank: Option<u32>,
    /// Score now minus score the month before.
    pub score_change: Option<f64>,
}

impl From<RankedRow> for RankedRowDto {
    fn from(r: RankedRow) -> Self {
        Self {
            row: r.row.into(),
            rank: r.rank,
            previous_score: r.previous_score,
            previous_rank: r.previous_rank,
            score_change: r.score_change,
        }
    }
}

/// The score's weights (考核权重).
#[derive(Debug, Serialize, ToSchema)]
pub struct WeightsDto {
    pub on_time_sign_for: f64,
    pub on_time_completion: f64,
    pub follow_up: f64,
    pub satisfaction: f64,
    pub solved: f64,
    pub returns: f64,
    pub redo: f64,
}

impl From<Weights> for WeightsDto {
    fn from(w: Weights) -> Self {
        Self {
            on_time_sign_for: w.on_time_sign_for,
            on_time_completion: w.on_time_completion,
            follow_up: w.follow_up,
            satisfaction: w.satisfaction,
            solved: w.solved,
            returns: w.returns,
            redo: w.redo,
        }
    }
}

/// A month's ranking (排名通报).
#[derive(Debug, Serialize, ToSchema)]
pub struct RankingDto {
    /// `2026-11`.
    pub month: String,
    pub previous_month: String,
    pub weights: WeightsDto,
    pub rows: Vec<RankedRowDto>,
}

impl From<Ranking> for RankingDto {
    fn from(r: Ranking) -> Self {
        Self { month: r.month, previous_month: r.previous_month, weights: r.weights.into(), rows: crate::dto::all(r.rows) }
    }
}
