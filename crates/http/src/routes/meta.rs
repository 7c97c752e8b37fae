//! Health and the landing page.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
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

pub async fn index() -> Html<&'static str> {
    Html(include_str!("../../assets/index.html"))
}
