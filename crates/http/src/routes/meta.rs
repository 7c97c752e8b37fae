//! Health, and the web interface's files.

use axum::extract::State;
use axum::http::StatusCode;
use axum::http::Uri;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use hotline_app::App;
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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

/// Whether the node takes new work. Cleared when the node begins to stop,
/// so a load balancer sends new requests elsewhere while those in flight
/// finish.
#[derive(Debug, Clone)]
pub struct Readiness(Arc<AtomicBool>);

impl Default for Readiness {
    fn default() -> Self {
        Self(Arc::new(AtomicBool::new(true)))
    }
}

impl Readiness {
    pub fn stop_taking_work(&self) {
        self.0.store(false, Ordering::SeqCst);
    }

    pub fn is_ready(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

#[derive(Serialize, ToSchema)]
pub struct Probe {
    /// ok, stopping (the node finishes what it has and takes nothing new)
    /// or degraded (the database does not answer).
    pub status: &'static str,
}

/// Liveness: the process answers. Nothing else is checked, so an
/// orchestrator restarts a node only when it hangs, not when its database
/// is away.
#[utoipa::path(get, path = "/livez", tag = "meta", responses((status = 200, body = Probe)))]
pub async fn livez() -> impl IntoResponse {
    axum::Json(Probe { status: "ok" })
}

/// Readiness: the node takes new requests (its database answers and it is
/// not stopping). A load balancer routes by this one.
#[utoipa::path(get, path = "/readyz", tag = "meta",
    responses((status = 200, body = Probe), (status = 503, body = Probe)))]
pub async fn readyz(State((app, ready)): State<(App, Readiness)>) -> impl IntoResponse {
    if !ready.is_ready() {
        return (StatusCode::SERVICE_UNAVAILABLE, axum::Json(Probe { status: "stopping" }));
    }
    match app.store.ping().await {
        Ok(()) => (StatusCode::OK, axum::Json(Probe { status: "ok" })),
        Err(e) => {
            tracing::error!(error = %e, "readiness: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(Probe { status: "degraded" }))
        }
    }
}

/// Whether this node runs the call centre and is ready: the load
/// balancer sends consultants' desks and the call-centre screens here. A
/// node standing by answers 503 `standby` until it takes the call centre
/// over.
#[utoipa::path(get, path = "/readyz/callcentre", tag = "meta",
    responses((status = 200, body = Probe), (status = 503, body = Probe)))]
pub async fn readyz_callcentre(State((app, ready)): State<(App, Readiness)>) -> Response {
    if !app.calls.switchboard.is_owner() {
        return (StatusCode::SERVICE_UNAVAILABLE, axum::Json(Probe { status: "standby" })).into_response();
    }
    readyz(State((app, ready))).await.into_response()
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
