//! /api/v1/topics and /api/v1/public/topics: what many citizens report in
//! the last hours, day or week, grouped by their words (热点诉求).

use super::{Handled, Json, tz};
use crate::dto::topics::*;
use crate::dto::{UnitRef, local};
use crate::extract::Caller;
use axum::extract::{Query, State};
use hotline_app::App;
use hotline_app::topics::TopicWindow;
use hotline_domain::{FieldError, ValidationErrors};
use serde::Deserialize;
use utoipa::IntoParams;

const DEFAULT_LIMIT: usize = 10;
const MAX_LIMIT: usize = 50;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TopicQuery {
    /// `hours` (the last 6 hours), `day` (24 hours, the default) or `week` (7 days).
    pub window: Option<String>,
    /// Topics at most (1–50, default 10).
    pub limit: Option<String>,
}

fn params(q: &TopicQuery) -> Result<(TopicWindow, usize), ValidationErrors> {
    let mut errors = ValidationErrors::default();
    let window = errors.collect(match q.window.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(TopicWindow::Day),
        Some(s) => TopicWindow::parse(s).ok_or_else(|| FieldError::new("window", format!("{s:?} is not hours, day or week"))),
    });
    let limit = errors.collect(super::limit(q.limit.as_deref(), DEFAULT_LIMIT, MAX_LIMIT));
    errors.into_result()?;
    Ok((window.unwrap_or(TopicWindow::Day), limit.unwrap_or(DEFAULT_LIMIT)))
}

/// Hot topics for the centre's staff: the orders of the window grouped by
/// their words, largest first, with trend, towns, categories and orders.
#[utoipa::path(get, path = "/api/v1/topics", tag = "supervision", params(TopicQuery), security(("bearer" = [])),
    responses((status = 200, body = TopicsDto), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn list(State(app): State<App>, Caller(desk): Caller, Query(q): Query<TopicQuery>) -> Handled<TopicsDto> {
    let reader = desk.topic_reader()?;
    let (window, limit) = params(&q)?;
    let topics = app.topics.for_centre(&reader, window, limit).await?;
    let (org, tz) = (app.directory.snapshot(), tz(&app));
    let topics = topics
        .into_iter()
        .map(|t| TopicDto {
            id: t.id.to_string(),
            orders: t.orders,
            before: t.before,
            trend: t.trend,
            keywords: t.keywords.into_iter().map(|(word, orders)| KeywordDto { word, orders }).collect(),
            towns: t.towns.into_iter().map(|c| TownCountDto { town: UnitRef::of(&org, c.key), orders: c.orders }).collect(),
            categories: t
                .categories
                .into_iter()
                .map(|c| CategoryCountDto { id: c.key, path: org.category_path(c.key).names, orders: c.orders })
                .collect(),
            series: t.series,
            first_at: local(tz, t.first_at),
            last_at: local(tz, t.last_at),
            members: t
                .members
                .into_iter()
                .map(|m| TopicMemberDto { number: m.number.to_string(), subject: m.subject, created_at: local(tz, m.created_at) })
                .collect(),
        })
        .collect();
    Ok(Json(TopicsDto { window, topics }))
}

/// What citizens report most now, in public wording: no order, no
/// caller's text, only the kind of matter, words many callers used and
/// the towns.
#[utoipa::path(get, path = "/api/v1/public/topics", tag = "portal", params(TopicQuery),
    responses((status = 200, body = PublicTopicsDto), (status = 422, body = crate::error::ErrorBody)))]
pub async fn public(State(app): State<App>, Query(q): Query<TopicQuery>) -> Handled<PublicTopicsDto> {
    let (window, limit) = params(&q)?;
    let topics = app.topics.for_public(window, limit).await?.into_iter().map(Into::into).collect();
    Ok(Json(PublicTopicsDto { window, topics }))
}
