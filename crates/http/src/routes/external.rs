//! Units' own case systems. System administrators connect a unit
//! (/api/v1/external-systems) and watch its pushes, re-sending dead
//! letters; the system itself reads and acts on its unit's orders under
//! /api/v1/external/work-orders with an API key of the `update` scope
//! (`X-Api-Key`), through the same lifecycle as the unit's handlers. See
//! `docs/external-systems.md`.

use super::orders::{act_with, dto};
use super::{Handled, Json, id, tz};
use crate::dto::orders::{HistoryDto, OrderDto};
use crate::dto::{UnitRef, local, local_opt};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AsAdmin, JsonBody, Path, order_number};
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;
use hotline_app::access::Desk;
use hotline_app::external::{Connected, Connection, Push, PushCounts, PushState, SystemRow};
use hotline_app::{App, AppError};
use hotline_domain::UnitId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct PushCountsDto {
    pub pending: i64,
    pub delivered: i64,
    /// Given up: the dead letters.
    pub dead: i64,
}

impl From<PushCounts> for PushCountsDto {
    fn from(c: PushCounts) -> Self {
        Self { pending: c.pending, delivered: c.delivered, dead: c.dead }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExternalSystemDto {
    pub unit: UnitRef,
    pub name: String,
    pub webhook_url: String,
    pub active: bool,
    /// The account the system's API key acts as (`ext.<unit code>`).
    pub service_username: String,
    pub pushes: PushCountsDto,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
}

impl ExternalSystemDto {
    fn of(row: SystemRow, app: &App) -> Self {
        let s = row.system;
        Self {
            unit: UnitRef::of(&app.directory.snapshot(), s.unit),
            name: s.name,
            webhook_url: s.webhook_url,
            active: s.active,
            service_username: row.service_username,
            pushes: row.pushes.into(),
            created_at: local(tz(app), s.created_at),
            updated_at: local(tz(app), s.updated_at),
        }
    }
}

/// A connection just made or a secret just rotated.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectedDto {
    pub unit: UnitRef,
    pub name: String,
    pub webhook_url: String,
    pub active: bool,
    /// The key of `X-Hotline-Signature` (HMAC-SHA256 of the body): shown
    /// when the unit is first connected and when it is rotated, never again.
    pub secret: Option<String>,
}

impl ConnectedDto {
    fn of(c: Connected, app: &App) -> Self {
        Self {
            unit: UnitRef::of(&app.directory.snapshot(), c.system.unit),
            name: c.system.name,
            webhook_url: c.system.webhook_url,
            active: c.system.active,
            secret: c.secret,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionBody {
    /// What people call the system, e.g. 税务12366工单系统.
    pub name: String,
    /// Where changes are POSTed (http:// or https://).
    pub webhook_url: String,
    /// Off: nothing is pushed (what waits keeps waiting) and its key cannot act.
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PushDto {
    pub id: String,
    pub unit: UnitRef,
    /// The order's number.
    pub number: Option<String>,
    /// The order's version after the change.
    pub version: i64,
    pub event: String,
    pub attempts: i64,
    pub next_at: Option<DateTime<FixedOffset>>,
    pub delivered_at: Option<DateTime<FixedOffset>>,
    pub dead_at: Option<DateTime<FixedOffset>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<FixedOffset>,
}

impl PushDto {
    fn of(p: Push, app: &App, zone: Tz) -> Self {
        let number = serde_json::from_str::<serde_json::Value>(&p.body)
            .ok()
            .and_then(|b| b.pointer("/order/number").and_then(|n| n.as_str()).map(str::to_owned));
        Self {
            id: p.id.to_string(),
            unit: UnitRef::of(&app.directory.snapshot(), p.unit),
            number,
            version: p.version,
            event: p.event,
            attempts: p.attempts,
            next_at: local_opt(zone, p.next_at),
            delivered_at: local_opt(zone, p.delivered_at),
            dead_at: local_opt(zone, p.dead_at),
            last_error: p.last_error,
            created_at: local(zone, p.created_at),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PushQuery {
    /// pending, delivered or dead (default: dead, the dead letters).
    pub state: Option<String>,
    /// At most this many, newest first (1–200, default 50).
    pub limit: Option<u32>,
}

fn unit_id(raw: &str) -> Result<UnitId, hotline_domain::FieldError> {
    id("unit_id", raw).map(UnitId)
}

#[utoipa::path(get, path = "/api/v1/external-systems", tag = "partners", security(("bearer" = [])),
    responses((status = 200, body = Vec<ExternalSystemDto>), (status = 403, body = ErrorBody)))]
pub async fn list(State(app): State<App>, AsAdmin(_desk, admin): AsAdmin) -> Handled<Vec<ExternalSystemDto>> {
    let rows = app.external.list(&admin).await?;
    Ok(Json(rows.into_iter().map(|r| ExternalSystemDto::of(r, &app)).collect()))
}

/// Connects a unit to its own case system, or changes the connection; the
/// first time, the answer holds the signing secret.
#[utoipa::path(put, path = "/api/v1/external-systems/{unit_id}", tag = "partners", request_body = ConnectionBody,
    params(("unit_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = ConnectedDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn connect(
    State(app): State<App>,
    AsAdmin(_desk, admin): AsAdmin,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody<ConnectionBody>,
) -> Handled<ConnectedDto> {
    let connection = Connection { name: body.name, webhook_url: body.webhook_url, active: body.active };
    let connected = app.external.connect(&admin, unit_id(&raw)?, connection).await?;
    Ok(Json(ConnectedDto::of(connected, &app)))
}

/// A new signing secret; the old one stops at once.
#[utoipa::path(post, path = "/api/v1/external-systems/{unit_id}/rotate-secret", tag = "partners",
    params(("unit_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = ConnectedDto), (status = 404, body = ErrorBody)))]
pub async fn rotate(State(app): State<App>, AsAdmin(_desk, admin): AsAdmin, Path(raw): Path<String>) -> Handled<ConnectedDto> {
    let connected = app.external.rotate_secret(&admin, unit_id(&raw)?).await?;
    Ok(Json(ConnectedDto::of(connected, &app)))
}

/// A unit's pushes in one state: by default the dead letters.
#[utoipa::path(get, path = "/api/v1/external-systems/{unit_id}/pushes", tag = "partners",
    params(("unit_id" = String, Path), PushQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<PushDto>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn pushes(
    State(app): State<App>,
    AsAdmin(_desk, admin): AsAdmin,
    Path(raw): Path<String>,
    Query(q): Query<PushQuery>,
) -> Handled<Vec<PushDto>> {
    let state = match q.state.as_deref() {
        None | Some("") | Some("dead") => PushState::Dead,
        Some("pending") => PushState::Pending,
        Some("delivered") => PushState::Delivered,
        Some(other) => {
            return Err(AppError::invalid("state", format!("{other:?} is not one of pending, delivered, dead")).into());
        }
    };
    let pushes = app.external.pushes(&admin, unit_id(&raw)?, state, q.limit.unwrap_or(50)).await?;
    let zone = tz(&app);
    Ok(Json(pushes.into_iter().map(|p| PushDto::of(p, &app, zone)).collect()))
}

/// Sends a dead letter again, from its first attempt.
#[utoipa::path(post, path = "/api/v1/external-pushes/{id}/resend", tag = "partners", params(("id" = String, Path)),
    security(("bearer" = [])), responses((status = 200, body = PushDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn resend(State(app): State<App>, AsAdmin(_desk, admin): AsAdmin, Path(raw): Path<String>) -> Handled<PushDto> {
    let push = app.external.resend(&admin, id("id", &raw)?).await?;
    Ok(Json(PushDto::of(push, &app, tz(&app))))
}

/// An external system, by its `update` key (`X-Api-Key`): the desk of its
/// unit's service account.
pub struct SystemDesk(pub Desk);

impl FromRequestParts<App> for SystemDesk {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let secret = parts.headers.get("x-api-key").and_then(|v| v.to_str().ok()).map(str::trim).filter(|k| !k.is_empty());
        let secret = secret.ok_or_else(|| AppError::Unauthenticated("send the system's API key in the X-Api-Key header".into()))?;
        let what = format!("{} {}", parts.method, parts.uri.path());
        let partner = app.api_keys.authenticate(secret, &what).await?;
        Ok(Self(app.external.desk(partner.acting_unit()?).await?))
    }
}

/// One of the unit's orders, as its handlers see it.
#[utoipa::path(get, path = "/api/v1/external/work-orders/{number}", tag = "partners", params(("number" = String, Path)),
    security(("api_key" = [])), responses((status = 200, body = OrderDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn order(State(app): State<App>, SystemDesk(desk): SystemDesk, Path(number): Path<String>) -> Handled<OrderDto> {
    let details = app.orders.get(&desk, &order_number(&number)?).await?;
    Ok(Json(dto(&app, details)))
}

/// The order's history.
#[utoipa::path(get, path = "/api/v1/external/work-orders/{number}/history", tag = "partners", params(("number" = String, Path)),
    security(("api_key" = [])), responses((status = 200, body = Vec<HistoryDto>), (status = 404, body = ErrorBody)))]
pub async fn history(State(app): State<App>, SystemDesk(desk): SystemDesk, Path(number): Path<String>) -> Handled<Vec<HistoryDto>> {
    let lines = app.orders.history(&desk, &order_number(&number)?).await?;
    let (org, zone) = (app.directory.snapshot(), tz(&app));
    Ok(Json(lines.into_iter().map(|l| HistoryDto::of(l, &org, zone)).collect()))
}

/// Acts on the order as the unit's handlers do (`sign_for`, `add_progress`,
/// `request_extension`, `return`, `sub_dispatch`, `submit_result`,
/// `answer_supervision`), with the same body and the same checks.
#[utoipa::path(post, path = "/api/v1/external/work-orders/{number}/actions", tag = "partners",
    request_body = crate::dto::actions::ActionBody, params(("number" = String, Path)), security(("api_key" = [])),
    responses((status = 200, body = OrderDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn act(
    State(app): State<App>,
    SystemDesk(desk): SystemDesk,
    Path(number): Path<String>,
    JsonBody(raw): JsonBody<serde_json::Value>,
) -> ApiResult<Json<OrderDto>> {
    act_with(&app, &desk, &number, raw).await
}

/// Attaches a file (multipart field `file`), e.g. a photo of the result,
/// with the same types and limits as the desk's uploads.
#[utoipa::path(post, path = "/api/v1/external/work-orders/{number}/attachments", tag = "partners", params(("number" = String, Path)),
    request_body(content_type = "multipart/form-data", content = String), security(("api_key" = [])),
    responses((status = 201, body = crate::dto::orders::AttachmentDto), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody)))]
pub async fn attach(
    State(app): State<App>,
    SystemDesk(desk): SystemDesk,
    Path(number): Path<String>,
    mut form: axum::extract::Multipart,
) -> ApiResult<(axum::http::StatusCode, Json<crate::dto::orders::AttachmentDto>)> {
    let number = order_number(&number)?;
    let (file_name, bytes) = super::attachments::read_file(&mut form).await?;
    let record = app.orders.attach(&desk, &number, &file_name, bytes).await?;
    Ok((axum::http::StatusCode::CREATED, Json(crate::dto::orders::AttachmentDto::of(tz(&app), record))))
}
