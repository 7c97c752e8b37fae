//! Units, hotlines, categories and the dispatch catalogue.

use super::{Handled, Json, id};
use crate::dto::org::{
    CatalogueDto, CategoryDto, HotlineDto, NewCatalogueBody, NewCategoryBody, NewHotlineBody, NewUnitBody, UnitDto, UnitPatchBody,
};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::Path;
use crate::extract::{AsAdmin, AsUserAdmin};
use crate::extract::{Caller, JsonBody};
use axum::extract::State;
use axum::http::StatusCode;
use hotline_app::App;
use hotline_app::org::{NewUnit, UnitChanges};
use hotline_domain::{CatalogueEntry, CatalogueTarget, FieldError, IntegrationMode, UnitId, UnitKind};

/// Every unit: departments, towns, subdistricts, parks and their sub-units.
#[utoipa::path(get, path = "/api/v1/units", tag = "organisation", security(("bearer" = [])), responses((status = 200, body = Vec<UnitDto>)))]
pub async fn units(State(app): State<App>, Caller(_desk): Caller) -> Handled<Vec<UnitDto>> {
    Ok(Json(app.org.units().into_iter().map(Into::into).collect()))
}

/// Creates a unit. System admins create any; unit admins create sub-units of their unit.
#[utoipa::path(post, path = "/api/v1/units", tag = "organisation", request_body = NewUnitBody, security(("bearer" = [])),
    responses((status = 201, body = UnitDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_unit(
    State(app): State<App>,
    AsUserAdmin(_desk, admin): AsUserAdmin,
    JsonBody(body): JsonBody<NewUnitBody>,
) -> ApiResult<(StatusCode, Json<UnitDto>)> {
    let kind = UnitKind::parse(&body.kind).map_err(|e| FieldError::new("kind", e.message))?;
    let unit = app.org.create_unit(&admin, NewUnit { code: body.code, name: body.name, kind, parent: body.parent_id }).await?;
    Ok((StatusCode::CREATED, Json(unit.into())))
}

/// Renames or (de)activates a unit.
#[utoipa::path(patch, path = "/api/v1/units/{id}", tag = "organisation", request_body = UnitPatchBody, security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = UnitDto), (status = 404, body = ErrorBody)))]
pub async fn update_unit(
    State(app): State<App>,
    AsUserAdmin(_desk, admin): AsUserAdmin,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody<UnitPatchBody>,
) -> Handled<UnitDto> {
    let unit_id = UnitId(id("id", &raw)?);
    let unit = app.org.update_unit(&admin, unit_id, UnitChanges { name: body.name, active: body.active }).await?;
    Ok(Json(unit.into()))
}

/// Department hotlines and how each joined 12345.
#[utoipa::path(get, path = "/api/v1/hotlines", tag = "organisation", security(("bearer" = [])), responses((status = 200, body = Vec<HotlineDto>)))]
pub async fn hotlines(State(app): State<App>, Caller(_desk): Caller) -> Handled<Vec<HotlineDto>> {
    let org = app.directory.snapshot();
    Ok(Json(app.org.hotlines().into_iter().map(|h| HotlineDto::of(h, &org)).collect()))
}

#[utoipa::path(post, path = "/api/v1/hotlines", tag = "organisation", request_body = NewHotlineBody, security(("bearer" = [])),
    responses((status = 201, body = HotlineDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_hotline(
    State(app): State<App>,
    AsAdmin(_desk, admin): AsAdmin,
    JsonBody(body): JsonBody<NewHotlineBody>,
) -> ApiResult<(StatusCode, Json<HotlineDto>)> {
    let mode = IntegrationMode::parse(&body.mode).map_err(|e| FieldError::new("mode", e.message))?;
    let h = app.org.create_hotline(&admin, body.unit_id, &body.number, &body.name, mode).await?;
    Ok((StatusCode::CREATED, Json(HotlineDto::of(h, &app.directory.snapshot()))))
}

/// The three-level taxonomy, flat: rebuild the tree from `parent_id`.
#[utoipa::path(get, path = "/api/v1/categories", tag = "organisation", security(("bearer" = [])), responses((status = 200, body = Vec<CategoryDto>)))]
pub async fn categories(State(app): State<App>, Caller(_desk): Caller) -> Handled<Vec<CategoryDto>> {
    Ok(Json(app.org.categories().into_iter().map(Into::into).collect()))
}

#[utoipa::path(post, path = "/api/v1/categories", tag = "organisation", request_body = NewCategoryBody, security(("bearer" = [])),
    responses((status = 201, body = CategoryDto), (status = 422, body = ErrorBody)))]
pub async fn create_category(
    State(app): State<App>,
    AsAdmin(_desk, admin): AsAdmin,
    JsonBody(body): JsonBody<NewCategoryBody>,
) -> ApiResult<(StatusCode, Json<CategoryDto>)> {
    let c = app.org.create_category(&admin, body.parent_id, &body.name).await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}

/// The dispatch catalogue (派单目录).
#[utoipa::path(get, path = "/api/v1/dispatch-catalogue", tag = "organisation", security(("bearer" = [])), responses((status = 200, body = Vec<CatalogueDto>)))]
pub async fn catalogue(State(app): State<App>, Caller(_desk): Caller) -> Handled<Vec<CatalogueDto>> {
    let org = app.directory.snapshot();
    Ok(Json(app.org.catalogue().into_iter().map(|r| CatalogueDto::of(r, &org)).collect()))
}

#[utoipa::path(post, path = "/api/v1/dispatch-catalogue", tag = "organisation", request_body = NewCatalogueBody, security(("bearer" = [])),
    responses((status = 201, body = CatalogueDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_catalogue(
    State(app): State<App>,
    AsAdmin(_desk, admin): AsAdmin,
    JsonBody(body): JsonBody<NewCatalogueBody>,
) -> ApiResult<(StatusCode, Json<CatalogueDto>)> {
    let target = match (body.unit_id, body.territorial) {
        (Some(u), false) => CatalogueTarget::Unit(u),
        (None, true) => CatalogueTarget::Territorial,
        _ => return Err(FieldError::new("unit_id", "give a unit_id, or territorial: true for the town of the location, not both").into()),
    };
    let r = app.org.add_catalogue_entry(&admin, CatalogueEntry { category: body.category_id, target, co_handler: body.co_handler }).await?;
    Ok((StatusCode::CREATED, Json(CatalogueDto::of(r, &app.directory.snapshot()))))
}

#[utoipa::path(delete, path = "/api/v1/dispatch-catalogue/{id}", tag = "organisation", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_catalogue(State(app): State<App>, Caller(desk): Caller, Path(raw): Path<String>) -> ApiResult<StatusCode> {
    let entry = id("id", &raw)?;
    app.org.delete_catalogue_entry(&desk.admin()?, entry).await?;
    Ok(StatusCode::NO_CONTENT)
}
