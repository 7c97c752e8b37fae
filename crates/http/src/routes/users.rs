//! /api/v1/users: accounts, for system admins and (within their unit) unit admins.

use super::{Handled, Json, id, tz};
use crate::dto::org::{NewUserBody, UserDto, UserPatchBody};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::AsUserAdmin;
use crate::extract::Path;
use crate::extract::{Caller, JsonBody};
use axum::extract::State;
use axum::http::StatusCode;
use hotline_app::App;
use hotline_app::org::{NewUser, UserChanges};
use hotline_domain::{RoleSet, UserId};

#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = Vec<UserDto>), (status = 403, body = ErrorBody)))]
pub async fn list(State(app): State<App>, Caller(desk): Caller) -> Handled<Vec<UserDto>> {
    let users = app.org.users(&desk.user_admin()?).await?;
    let (org, zone) = (app.directory.snapshot(), tz(&app));
    Ok(Json(users.into_iter().map(|u| UserDto::of(u, &org, zone)).collect()))
}

#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUserBody, security(("bearer" = [])),
    responses((status = 201, body = UserDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(app): State<App>,
    AsUserAdmin(_desk, admin): AsUserAdmin,
    JsonBody(body): JsonBody<NewUserBody>,
) -> ApiResult<(StatusCode, Json<UserDto>)> {
    let affiliation = body.affiliation();
    let user = app
        .org
        .create_user(
            &admin,
            NewUser {
                username: body.username,
                display_name: body.display_name,
                password: body.password,
                affiliation,
                roles: RoleSet::new(body.roles),
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(UserDto::of(user, &app.directory.snapshot(), tz(&app)))))
}

/// Changes a user's name, roles, password or active flag; disabling ends their sessions.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", request_body = UserPatchBody, security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = UserDto), (status = 404, body = ErrorBody)))]
pub async fn update(
    State(app): State<App>,
    AsUserAdmin(_desk, admin): AsUserAdmin,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody<UserPatchBody>,
) -> Handled<UserDto> {
    let user_id = UserId(id("id", &raw)?);
    let changes = UserChanges {
        display_name: body.display_name,
        roles: body.roles.map(RoleSet::new),
        active: body.active,
        password: body.password,
        phone_password: body.phone_password,
    };
    let user = app.org.update_user(&admin, user_id, changes).await?;
    Ok(Json(UserDto::of(user, &app.directory.snapshot(), tz(&app))))
}
