//! Evaluation figures (考核指标) and the monthly ranking (排名通报).

use super::{Handled, Json, instant};
use crate::dto::evaluation::{KpiRowDto, RankingDto};
use crate::extract::Caller;
use crate::extract::Query;
use axum::extract::State;
use chrono::{DateTime, Utc};
use hotline_app::App;
use hotline_app::evaluation::{Dimension, Month};
use hotline_domain::{FieldError, ValidationErrors};
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct FiguresQuery {
    /// RFC 3339; default: the start of this month (local).
    pub from: Option<String>,
    /// RFC 3339; default: the start of next month.
    pub to: Option<String>,
    /// unit (default), town, category or consultant.
    pub by: Option<String>,
}

fn dimension(raw: Option<&str>) -> Result<Dimension, FieldError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(Dimension::Unit),
        Some(s) => Dimension::parse(s).ok_or_else(|| FieldError::new("by", "must be unit, town, category or consultant")),
    }
}

fn span(app: &App, q: &FiguresQuery) -> Result<(DateTime<Utc>, DateTime<Utc>, Dimension), ValidationErrors> {
    let mut errors = ValidationErrors::default();
    let (month_from, month_to) = app.evaluation.month_span(app.evaluation.this_month());
    let from = q.from.as_deref().map_or(Some(month_from), |raw| errors.collect(instant("from", raw)));
    let to = q.to.as_deref().map_or(Some(month_to), |raw| errors.collect(instant("to", raw)));
    let by = errors.collect(dimension(q.by.as_deref()));
    errors.into_result()?;
    Ok((from.unwrap_or(month_from), to.unwrap_or(month_to), by.unwrap_or(Dimension::Unit)))
}

/// Figures of the orders registered in a span, per unit, town, category or
/// consultant; unit staff see their own unit's rows.
#[utoipa::path(get, path = "/api/v1/evaluation/figures", tag = "evaluation", params(FiguresQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<KpiRowDto>), (status = 422, description = "a bad span or grouping")))]
pub async fn figures(State(app): State<App>, Caller(desk): Caller, Query(q): Query<FiguresQuery>) -> Handled<Vec<KpiRowDto>> {
    let view = desk.evaluation()?;
    let (from, to, by) = span(&app, &q)?;
    Ok(Json(crate::dto::all(app.evaluation.figures(&view, from, to, by).await?)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RankingQuery {
    /// YYYY-MM; default: this month.
    pub month: Option<String>,
    /// unit (default) or town.
    pub by: Option<String>,
}

/// The month's ranking by score with the previous month beside it, and the
/// figures under every score.
#[utoipa::path(get, path = "/api/v1/evaluation/ranking", tag = "evaluation", params(RankingQuery), security(("bearer" = [])),
    responses((status = 200, body = RankingDto), (status = 422, description = "a bad month or grouping")))]
pub async fn ranking(State(app): State<App>, Caller(desk): Caller, Query(q): Query<RankingQuery>) -> Handled<RankingDto> {
    let view = desk.evaluation()?;
    let month = match q.month.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => app.evaluation.this_month(),
        Some(raw) => Month::parse(raw)?,
    };
    let by = dimension(q.by.as_deref())?;
    Ok(Json(app.evaluation.ranking(&view, month, by).await?.into()))
}
