//! POST /api/v1/auth/login, POST /api/v1/auth/logout, GET /api/v1/me.

use super::{Handled, Json, tz};
use crate::dto::auth::{LoginBody, LoginResponse, MeDto};
use crate::dto::local;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Caller, JsonBody, SESSION_COOKIE, session_token};
use crate::security::Client;
use axum::Extension;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{AppendHeaders, IntoResponse};
use hotline_app::App;

/// Logs in; returns a bearer token and sets the session cookie.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginBody,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(app): State<App>,
    Extension(client): Extension<Client>,
    JsonBody(body): JsonBody<LoginBody>,
) -> ApiResult<impl IntoResponse> {
    let session = app.auth.login(body.username.trim(), &body.password, client.address).await?;
    let max_age = (session.expires_at - app.clock.now()).num_seconds().max(0);
    let secure = if client.https { "; Secure" } else { "" };
    let cookie = format!("{SESSION_COOKIE}={}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}", session.token);
    let response = LoginResponse {
        expires_at: local(tz(&app), session.expires_at),
        user: MeDto::of(&session.principal, &app.directory.snapshot()),
        token: session.token,
    };
    Ok((
        AppendHeaders([(SET_COOKIE, HeaderValue::from_str(&cookie).map_err(|_| crate::error::ApiError::BadRequest("bad cookie".into()))?)]),
        Json(response),
    ))
}

/// Ends the session of the token (or cookie) sent.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204)))]
pub async fn logout(State(app): State<App>, parts: Parts) -> ApiResult<impl IntoResponse> {
    if let Some(token) = session_token(&parts) {
        app.auth.logout(&token).await?;
    }
    let clear = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    Ok((StatusCode::NO_CONTENT, AppendHeaders([(SET_COOKIE, clear)])))
}

/// The logged-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = MeDto), (status = 401, body = ErrorBody)))]
pub async fn me(State(app): State<App>, Caller(desk): Caller) -> Handled<MeDto> {
    Ok(Json(MeDto::of(desk.principal(), &app.directory.snapshot())))
}
