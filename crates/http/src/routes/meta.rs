//! Health, and the web interface's files.

use axum::extract::State;
use axum::http::StatusCode;
use axum::http::Uri;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use hotline_app::App;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
    pub database: &'static str,
}

/// Liveness and database reachability.
#[utoipa::path(get, path = "/healthz", tag = "meta",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn healthz(State(app): State<App>) -> impl IntoResponse {
    match app.store.ping().await {
        Ok(()) => (StatusCode::OK, axum::Json(Health { status: "ok", database: "ok" })),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(Health { status: "degraded", database: "unreachable" }))
        }
    }
}

/// The web interface: a built file by its path, and the application's
/// entry page for every other path, where its router takes over.
pub async fn web(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    if path == "api" || path.starts_with("api/") {
        return crate::error::ApiError::App(hotline_app::AppError::NotFound("no such endpoint; see /api/docs".into())).into_response();
    }
    let asset = hotline_web::asset(path).filter(|_| !path.is_empty()).unwrap_or_else(hotline_web::index);
    let cache = if asset.immutable { "public, max-age=31536000, immutable" } else { "no-cache" };
    ([(CONTENT_TYPE, asset.content_type), (CACHE_CONTROL, cache)], asset.bytes).into_response()
}
