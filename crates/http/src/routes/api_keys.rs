//! /api/v1/api-keys: partners' API keys, for system administrators. A
//! secret is in the answer once, when it is issued or rotated.

use super::{Handled, Json, id, tz};
use crate::dto::{local, local_opt};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AsAdmin, JsonBody, Path};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;
use hotline_app::App;
use hotline_app::directory::OrgSnapshot;
use hotline_app::partners::{ApiKeyRecord, IssuedKey, NewApiKey};
use hotline_domain::{ApiScope, UnitId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyDto {
    /// The key's id (not its secret).
    pub id: String,
    pub name: String,
    /// The partner's name in the external references of what it submits.
    pub source: String,
    /// The secret's first characters, to recognise it.
    pub hint: String,
    pub scopes: Vec<ApiScope>,
    /// For the unit scope.
    pub unit: Option<crate::dto::UnitRef>,
    pub per_minute: u32,
    pub created_at: DateTime<FixedOffset>,
    pub rotated_at: Option<DateTime<FixedOffset>>,
    pub revoked_at: Option<DateTime<FixedOffset>>,
}

impl ApiKeyDto {
    fn of(k: ApiKeyRecord, org: &OrgSnapshot, tz: Tz) -> Self {
        Self {
            id: k.id.to_string(),
            name: k.name,
            source: k.source,
            hint: k.hint,
            scopes: k.scopes,
            unit: k.unit.map(|u| crate::dto::UnitRef::of(org, u)),
            per_minute: k.per_minute,
            created_at: local(tz, k.created_at),
            rotated_at: local_opt(tz, k.rotated_at),
            revoked_at: local_opt(tz, k.revoked_at),
        }
    }
}

/// A key with its secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedKeyDto {
    pub key: ApiKeyDto,
    /// Give it to the partner now: only its hash is kept.
    pub secret: String,
}

impl IssuedKeyDto {
    fn of(issued: IssuedKey, app: &App) -> Self {
        Self { key: ApiKeyDto::of(issued.key, &app.directory.snapshot(), tz(app)), secret: issued.secret }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKeyBody {
    /// Who uses it, e.g. 莞家政务 app.
    pub name: String,
    /// Lower-case letters, digits, - or _, e.g. `wanjia-app`.
    pub source: String,
    pub scopes: Vec<ApiScope>,
    /// For the unit scope: whose orders the key reads.
    #[schema(value_type = Option<String>)]
    pub unit_id: Option<UnitId>,
    /// Requests a minute; default 120.
    pub per_minute: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/api-keys", tag = "partners", security(("bearer" = [])),
    responses((status = 200, body = Vec<ApiKeyDto>), (status = 403, body = ErrorBody)))]
pub async fn list(State(app): State<App>, AsAdmin(_desk, admin): AsAdmin) -> Handled<Vec<ApiKeyDto>> {
    let keys = app.api_keys.list(&admin).await?;
    let (org, zone) = (app.directory.snapshot(), tz(&app));
    Ok(Json(keys.into_iter().map(|k| ApiKeyDto::of(k, &org, zone)).collect()))
}

/// Issues a key; the answer holds its secret, the only time it is shown.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "partners", request_body = NewApiKeyBody, security(("bearer" = [])),
    responses((status = 201, body = IssuedKeyDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(app): State<App>,
    AsAdmin(_desk, admin): AsAdmin,
    JsonBody(body): JsonBody<NewApiKeyBody>,
) -> ApiResult<(StatusCode, Json<IssuedKeyDto>)> {
    let new = NewApiKey { name: body.name, source: body.source, scopes: body.scopes, unit: body.unit_id, per_minute: body.per_minute };
    let issued = app.api_keys.create(&admin, new).await?;
    Ok((StatusCode::CREATED, Json(IssuedKeyDto::of(issued, &app))))
}

/// A new secret for the key; the old one stops working at once.
#[utoipa::path(post, path = "/api/v1/api-keys/{id}/rotate", tag = "partners", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = IssuedKeyDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn rotate(State(app): State<App>, AsAdmin(_desk, admin): AsAdmin, Path(raw): Path<String>) -> Handled<IssuedKeyDto> {
    let issued = app.api_keys.rotate(&admin, id("id", &raw)?).await?;
    Ok(Json(IssuedKeyDto::of(issued, &app)))
}

/// Revokes the key for good.
#[utoipa::path(post, path = "/api/v1/api-keys/{id}/revoke", tag = "partners", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = ApiKeyDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn revoke(State(app): State<App>, AsAdmin(_desk, admin): AsAdmin, Path(raw): Path<String>) -> Handled<ApiKeyDto> {
    let key = app.api_keys.revoke(&admin, id("id", &raw)?).await?;
    Ok(Json(ApiKeyDto::of(key, &app.directory.snapshot(), tz(&app))))
}
