//! Emergency linkage: the rules (administrators), and warnings published to
//! the public portal (supervisors). The alerts themselves are under
//! `/alerts`; acknowledging one is reading it (`POST /alerts/{id}/read`).

use super::{Handled, Json, id};
use crate::dto::all;
use crate::dto::supervision::{LexiconDto, RuleDto, WarningDto};
use crate::error::ApiError;
use crate::extract::Path;
use crate::extract::{AsAdmin, AsSupervisor};
use crate::extract::{Caller, JsonBody};
use axum::extract::State;
use axum::http::StatusCode;
use hotline_app::App;

/// The linkage rules.
#[utoipa::path(get, path = "/api/v1/emergency/rules", tag = "emergency", security(("bearer" = [])),
    responses((status = 200, body = Vec<RuleDto>)))]
pub async fn rules(State(app): State<App>, Caller(desk): Caller) -> Handled<Vec<RuleDto>> {
    let admin = desk.admin()?;
    Ok(Json(all(app.emergency.rules(&admin).await?)))
}

/// Adds a rule: `{name, keywords, categories, partners, town, ack_minutes, active}`.
#[utoipa::path(post, path = "/api/v1/emergency/rules", tag = "emergency", security(("bearer" = [])), request_body = crate::dto::inputs::RuleBody,
    responses((status = 201, body = RuleDto), (status = 422, description = "a rule that matches nothing or tells nobody")))]
pub async fn add_rule(
    State(app): State<App>,
    AsAdmin(_desk, admin): AsAdmin,
    JsonBody(spec): JsonBody<crate::dto::inputs::RuleBody>,
) -> Result<(StatusCode, Json<RuleDto>), ApiError> {
    Ok((StatusCode::CREATED, Json(app.emergency.save_rule(&admin, None, spec.into()).await?.into())))
}

/// Replaces a rule (set `active: false` to pause it).
#[utoipa::path(put, path = "/api/v1/emergency/rules/{id}", tag = "emergency", security(("bearer" = [])), request_body = crate::dto::inputs::RuleBody, params(("id" = String, Path)),
    responses((status = 200, body = RuleDto), (status = 404, description = "no such rule"), (status = 422, description = "a bad rule")))]
pub async fn update_rule(
    State(app): State<App>,
    AsAdmin(_desk, admin): AsAdmin,
    Path(raw): Path<String>,
    JsonBody(spec): JsonBody<crate::dto::inputs::RuleBody>,
) -> Handled<RuleDto> {
    Ok(Json(app.emergency.save_rule(&admin, Some(id("id", &raw)?), spec.into()).await?.into()))
}

/// The danger lexicon: the ways callers say a danger to life, which
/// suggest an urgency on the desk and widen the linkage rules.
#[utoipa::path(get, path = "/api/v1/emergency/dangers", tag = "emergency", security(("bearer" = [])),
    responses((status = 200, body = LexiconDto)))]
pub async fn dangers(State(app): State<App>, AsAdmin(_desk, admin): AsAdmin) -> Handled<LexiconDto> {
    Ok(Json(app.emergency.lexicon(&admin).await?.into()))
}

/// Replaces the danger lexicon with the administrators' own.
#[utoipa::path(put, path = "/api/v1/emergency/dangers", tag = "emergency", security(("bearer" = [])), request_body = crate::dto::inputs::LexiconBody,
    responses((status = 200, body = LexiconDto), (status = 422, description = "a lexicon refused, naming each kind's problem")))]
pub async fn save_dangers(
    State(app): State<App>,
    AsAdmin(_desk, admin): AsAdmin,
    JsonBody(body): JsonBody<crate::dto::inputs::LexiconBody>,
) -> Handled<LexiconDto> {
    Ok(Json(app.emergency.save_lexicon(&admin, Some(body.into_kinds())).await?.into()))
}

/// Goes back to the danger lexicon shipped with the platform.
#[utoipa::path(delete, path = "/api/v1/emergency/dangers", tag = "emergency", security(("bearer" = [])),
    responses((status = 200, body = LexiconDto)))]
pub async fn reset_dangers(State(app): State<App>, AsAdmin(_desk, admin): AsAdmin) -> Handled<LexiconDto> {
    Ok(Json(app.emergency.save_lexicon(&admin, None).await?.into()))
}

/// Every published warning, withdrawn and expired ones too.
#[utoipa::path(get, path = "/api/v1/emergency/warnings", tag = "emergency", security(("bearer" = [])),
    responses((status = 200, body = Vec<WarningDto>)))]
pub async fn warnings(State(app): State<App>, Caller(desk): Caller) -> Handled<Vec<WarningDto>> {
    let desk = desk.supervisor()?;
    Ok(Json(all(app.emergency.all_warnings(&desk).await?)))
}

/// Publishes a warning to the portal: `{title, body, level, town, expires_at}`.
#[utoipa::path(post, path = "/api/v1/emergency/warnings", tag = "emergency", security(("bearer" = [])), request_body = crate::dto::inputs::WarningBody,
    responses((status = 201, body = WarningDto), (status = 422, description = "a bad warning")))]
pub async fn publish(
    State(app): State<App>,
    AsSupervisor(_desk, desk): AsSupervisor,
    JsonBody(new): JsonBody<crate::dto::inputs::WarningBody>,
) -> Result<(StatusCode, Json<WarningDto>), ApiError> {
    Ok((StatusCode::CREATED, Json(app.emergency.publish(&desk, new.into()).await?.into())))
}

/// Takes a warning off the portal.
#[utoipa::path(post, path = "/api/v1/emergency/warnings/{id}/withdraw", tag = "emergency", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 204, description = "withdrawn"), (status = 404, description = "no such warning in force")))]
pub async fn withdraw(State(app): State<App>, Caller(desk): Caller, Path(raw): Path<String>) -> Result<StatusCode, ApiError> {
    let desk = desk.supervisor()?;
    app.emergency.withdraw(&desk, id("id", &raw)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The warnings in force, for the public portal.
#[utoipa::path(get, path = "/api/v1/public/warnings", tag = "portal",
    responses((status = 200, body = Vec<WarningDto>)))]
pub async fn public_warnings(State(app): State<App>) -> Handled<Vec<WarningDto>> {
    Ok(Json(all(app.emergency.current_warnings().await?)))
}
