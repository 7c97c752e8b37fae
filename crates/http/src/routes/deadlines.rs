//! /api/v1/deadline-rules: the rules in force, their editing, and the
//! completion date a caller is promised under them.

use super::{Handled, Json};
use crate::dto::calendar::DueResponse;
use crate::dto::deadlines::DeadlineRulesDto;
use crate::dto::local;
use crate::error::ErrorBody;
use crate::extract::AsAdmin;
use crate::extract::Query;
use crate::extract::{Caller, JsonBody};
use axum::extract::State;
use hotline_app::App;
use hotline_domain::{FieldError, ValidationErrors};

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct PromiseQuery {
    #[serde(rename = "type")]
    pub order_type: String,
    pub urgency: Option<String>,
}

/// The completion date promised to a caller whose order is registered now.
#[utoipa::path(get, path = "/api/v1/deadline-rules/promise", tag = "calendar", params(PromiseQuery), security(("bearer" = [])),
    responses((status = 200, body = DueResponse), (status = 422, body = ErrorBody)))]
pub async fn promise(State(app): State<App>, Caller(_desk): Caller, Query(q): Query<PromiseQuery>) -> Handled<DueResponse> {
    let mut errors = ValidationErrors::default();
    let order_type = errors.collect(hotline_domain::OrderType::parse(&q.order_type).map_err(|e| FieldError::new("type", e.message)));
    let urgency = match q.urgency.as_deref() {
        Some(raw) => errors.collect(hotline_domain::Urgency::parse(raw).map_err(|e| FieldError::new("urgency", e.message))),
        None => Some(hotline_domain::Urgency::Normal),
    };
    errors.into_result()?;
    let (Some(order_type), Some(urgency)) = (order_type, urgency) else { unreachable!("checked above") };
    let due = app.orders.promised_due(order_type, urgency)?;
    Ok(Json(DueResponse { due: local(app.calendar.snapshot().time_zone(), due) }))
}

/// The deadline rules in force: the `[deadlines]` section of the
/// configuration file, or the rules a system administrator saved.
#[utoipa::path(get, path = "/api/v1/deadline-rules", tag = "calendar", security(("bearer" = [])),
    responses((status = 200, body = DeadlineRulesDto)))]
pub async fn rules(State(app): State<App>, Caller(_desk): Caller) -> Handled<DeadlineRulesDto> {
    Ok(Json(app.orders.rules().clone().into()))
}

/// Replaces the deadline rules (system administrators). Orders registered
/// or changed from now on follow them; deadlines already set stay.
#[utoipa::path(put, path = "/api/v1/deadline-rules", tag = "calendar", security(("bearer" = [])), request_body = DeadlineRulesDto,
    responses((status = 200, body = DeadlineRulesDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_rules(
    State(app): State<App>,
    AsAdmin(_desk, admin): AsAdmin,
    JsonBody(rules): JsonBody<DeadlineRulesDto>,
) -> Handled<DeadlineRulesDto> {
    Ok(Json(app.orders.set_rules(&admin, rules.into()).await?.into()))
}
