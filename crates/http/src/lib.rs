//! The hotline's HTTP API: JSON under `/api/v1`, the OpenAPI document at
//! `/api/openapi.json`, an offline Swagger UI at `/api/docs`, `/healthz`.
//!
//! Handlers are thin (see `routes/`): parse the request into domain types,
//! take the caller's scoped [`hotline_app::access::Desk`], call one service,
//! map the result. Errors become responses in one place (`error.rs`).

pub mod dto;
pub mod error;
pub mod extract;
pub mod metrics;
pub mod open311;
pub mod openapi;
pub mod range;
pub mod ratelimit;
pub mod routes;
pub mod security;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use hotline_app::{App, AppError};
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

/// Largest JSON body accepted (a long description fits many times over).
const JSON_LIMIT: usize = 1024 * 1024;

#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Largest attachment upload, in bytes.
    pub max_upload_bytes: usize,
    pub request_timeout: Duration,
    /// Requests one client may make per minute to the public portal's API.
    pub public_search_per_minute: u32,
    /// Requests one client may submit on the portal per hour.
    pub public_submissions_per_hour: u32,
    /// Trusted proxies and other origins allowed to write.
    pub boundary: security::Boundary,
    /// What Open311 discovery says and which jurisdiction it serves.
    pub open311: open311::Open311Config,
    /// The bearer token `/metrics` asks for; `None`: none asked.
    pub metrics_token: Option<String>,
    /// Cleared by the server when it begins to stop; `/readyz` answers by it.
    pub readiness: routes::meta::Readiness,
    /// Count the portal's per-client limits in the database, shared by
    /// every node (the server turns it on with PostgreSQL), rather than in
    /// this node's memory.
    pub shared_limits: bool,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            max_upload_bytes: 20 * 1024 * 1024,
            request_timeout: Duration::from_secs(60),
            public_search_per_minute: 60,
            public_submissions_per_hour: 10,
            boundary: security::Boundary::default(),
            open311: open311::Open311Config::default(),
            metrics_token: None,
            readiness: routes::meta::Readiness::default(),
            shared_limits: false,
        }
    }
}

async fn not_found() -> impl IntoResponse {
    error::ApiError::App(AppError::NotFound("no such endpoint; see /api/docs".into()))
}

async fn method_not_allowed() -> impl IntoResponse {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        axum::Json(error::ErrorBody {
            code: "method_not_allowed",
            message: "this endpoint does not take that method; see /api/docs".into(),
            fields: vec![],
            allowed_actions: None,
            current_version: None,
        }),
    )
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    tracing::error!("a request handler panicked");
    let body = error::ErrorBody {
        code: "internal",
        message: "an internal error occurred; nothing was saved for this request".into(),
        fields: vec![],
        allowed_actions: None,
        current_version: None,
    };
    (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response()
}

/// Logs a response that failed, but a 503: those are told where they arise
/// (an unavailable backend logs itself), or are a probe saying what a load
/// balancer polls for several times a second (stopping, standby).
fn log_failure(class: tower_http::classify::ServerErrorsFailureClass, latency: std::time::Duration, _span: &tracing::Span) {
    if !matches!(class, tower_http::classify::ServerErrorsFailureClass::StatusCode(StatusCode::SERVICE_UNAVAILABLE)) {
        tracing::error!(classification = %class, latency_ms = latency.as_millis() as u64, "response failed");
    }
}

/// Each request's log span: its method, its path (not the query, which may
/// hold a citizen's phone number) and its id.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
    tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
}

pub fn router(app: App, config: HttpConfig) -> Router {
    use routes::*;
    let share_limit =
        |limiter: ratelimit::RateLimiter, name| if config.shared_limits { limiter.shared(app.attempts.clone(), name) } else { limiter };
    let share = |limiter, name| std::sync::Arc::new(share_limit(limiter, name));
    let limiter = share(ratelimit::RateLimiter::new(config.public_search_per_minute), "portal");
    // Submitting creates work for people: a much smaller budget per client.
    let submissions = Router::new().route("/public/requests", post(portal::submit)).layer(axum::middleware::from_fn_with_state(
        share(ratelimit::RateLimiter::per_window(config.public_submissions_per_hour, 3600), "portal-submissions"),
        ratelimit::limit,
    ));
    // The citizens' portal: no login, a request budget per client.
    let public = Router::new()
        .route("/public/kb/search", get(kb::public_search))
        .route("/public/kb/suggest", get(kb::public_suggest))
        .route("/public/kb/articles/{id}", get(kb::public_article))
        .route("/public/kb/hot", get(kb::public_hot))
        .route("/public/topics", get(topics::public))
        .route("/public/warnings", get(emergency::public_warnings))
        .route("/public/form", get(portal::form))
        .route("/public/replies", get(portal::replies))
        .route("/public/requests/{number}", get(portal::track))
        .route("/public/requests/{number}/rating", post(portal::rate))
        .route(
            "/public/requests/{number}/photos",
            post(portal::add_photo).layer(DefaultBodyLimit::max(config.max_upload_bytes + 64 * 1024)),
        )
        .merge(submissions)
        .layer(axum::middleware::from_fn_with_state(limiter, ratelimit::limit));
    let api = Router::new()
        .route("/auth/login", post(auth::login))
        .route("/auth/logout", post(auth::logout))
        .route("/me", get(auth::me))
        .route("/work-orders", post(orders::create).get(orders::list))
        .route("/work-orders/pending", get(orders::pending))
        .route("/work-orders/stream", get(orders::stream))
        .route("/work-orders/export", get(reports::export))
        .route("/reports/{period}", get(reports::report))
        .route("/dashboard", get(reports::dashboard))
        .route("/dashboard/stream", get(reports::dashboard_stream))
        .route("/reports/{period}/xlsx", get(reports::report_xlsx))
        .route("/work-orders/search", get(kb::search_orders))
        .route("/work-orders/{number}/articles", post(kb::link))
        .route("/kb/search", get(kb::search))
        .route("/kb/suggest", get(kb::suggest))
        .route("/kb/hot", get(kb::hot))
        .route("/topics", get(topics::list))
        .route("/kb/articles", get(kb::list).post(kb::create))
        .route("/kb/articles/{id}", get(kb::get).put(kb::edit))
        .route("/kb/articles/{id}/actions", post(kb::act))
        .route("/kb/articles/{id}/versions", get(kb::versions))
        .route("/kb/articles/{id}/diff", get(kb::diff))
        .route("/kb/vocabulary", get(kb::vocabulary))
        .route("/kb/vocabulary/terms", post(kb::add_term))
        .route("/kb/vocabulary/terms/{term}", axum::routing::delete(kb::remove_term))
        .route("/kb/vocabulary/synonyms", post(kb::add_synonyms))
        .route("/kb/vocabulary/synonyms/{id}", axum::routing::delete(kb::remove_synonyms))
        .route("/kb/vocabulary/proposals", get(kb::proposals))
        .route("/kb/vocabulary/proposals/dismissals", post(kb::dismiss_proposal))
        .route("/work-orders/{number}", get(orders::get))
        .route("/work-orders/{number}/history", get(orders::history))
        .route("/work-orders/{number}/similar", get(routes::suggestions::similar_to_order))
        .route("/work-orders/{number}/actions", post(orders::act))
        .route("/work-orders/{number}/reveal-phone", post(orders::reveal_phone))
        .route(
            "/work-orders/{number}/attachments",
            post(attachments::upload).layer(DefaultBodyLimit::max(config.max_upload_bytes + 64 * 1024)),
        )
        .route("/attachments/{id}", get(attachments::download))
        .route("/dispatch/proposal", get(orders::proposal))
        .route("/suggestions", post(routes::suggestions::suggest))
        .route("/calendar/due", get(calendar::due))
        .route("/calendar/coverage", get(calendar::coverage))
        .route("/calendar/alerts", get(calendar::alerts))
        .route("/calendar/alerts/{year}/read", post(calendar::read_alert))
        .route("/deadline-rules", get(deadlines::rules).put(deadlines::set_rules))
        .route("/deadline-rules/promise", get(deadlines::promise))
        .route("/calendar/days", get(calendar::days))
        .route("/calendar/days/{date}", put(calendar::set_day).delete(calendar::clear_day))
        .route("/calendar/import", post(calendar::import))
        .route("/units", get(org::units).post(org::create_unit))
        .route("/units/{id}", axum::routing::patch(org::update_unit))
        .route("/hotlines", get(org::hotlines).post(org::create_hotline))
        .route("/categories", get(org::categories).post(org::create_category))
        .route("/dispatch-catalogue", get(org::catalogue).post(org::add_catalogue))
        .route("/dispatch-catalogue/{id}", axum::routing::delete(org::delete_catalogue))
        .route("/users", get(users::list).post(users::create))
        .route("/users/{id}", axum::routing::patch(users::update))
        .route("/api-keys", get(api_keys::list).post(api_keys::create))
        .route("/api-keys/{id}/rotate", post(api_keys::rotate))
        .route("/api-keys/{id}/revoke", post(api_keys::revoke))
        .route("/sms/messages", get(sms::log))
        .route("/sms/templates", get(sms::get_templates).put(sms::set_templates))
        .route("/sms/receipts", get(sms::receipt))
        .route("/sms/incoming", get(sms::incoming))
        .route("/sms/received", get(sms::received))
        .route("/external-systems", get(external::list))
        .route("/external-systems/{unit_id}", put(external::connect))
        .route("/external-systems/{unit_id}/rotate-secret", post(external::rotate))
        .route("/external-systems/{unit_id}/pushes", get(external::pushes))
        .route("/external-pushes/{id}/resend", post(external::resend))
        .route("/external/work-orders/{number}", get(external::order))
        .route("/external/work-orders/{number}/history", get(external::history))
        .route("/external/work-orders/{number}/actions", post(external::act))
        .route(
            "/external/work-orders/{number}/attachments",
            post(external::attach).layer(DefaultBodyLimit::max(config.max_upload_bytes + 64 * 1024)),
        )
        .route("/callcentre/wallboard", get(calls::wallboard))
        .route("/callcentre/wallboard/stream", get(calls::wallboard_stream))
        .route("/callcentre/calls", get(calls::calls))
        .route("/callcentre/calls/{id}", get(calls::call))
        .route("/callcentre/calls/{id}/order", post(calls::link_order))
        .route("/callcentre/calls/{id}/recording", get(calls::recording))
        .route("/callcentre/calls/{id}/monitor", put(calls::monitor).delete(calls::stop_monitor))
        .route("/callcentre/softphone", post(softphone::connect).delete(softphone::close))
        .route("/callcentre/softphone/hold", put(softphone::hold))
        .route("/callcentre/figures", get(calls::figures))
        .route("/callcentre/status-changes", get(calls::status_changes))
        .route("/callcentre/callbacks", get(calls::callbacks))
        .route("/callcentre/callbacks/{call}/done", post(calls::callback_done))
        .route("/callcentre/callbacks/{call}/dial", post(calls::callback_dial))
        .route("/callcentre/sub-centres", get(calls::sub_centres))
        .route("/callcentre/staffing", get(staffing::staffing))
        .route("/callcentre/agents/{user}/status", put(calls::set_agent_status))
        .route("/callcentre/seat-plan", get(staffing::seat_plan))
        .route("/callcentre/screen-pop", get(calls::screen_pop))
        .route("/callcentre/simulator/calls", post(calls::simulate_call))
        .route("/callcentre/simulator/calls/{id}/hang-up", post(calls::simulate_hang_up))
        .route("/callcentre/simulator/lines/{number}", put(calls::simulate_line))
        .route("/consultants", get(calls::consultants))
        .route("/consultants/{user}", get(calls::consultant))
        .route("/consultants/{user}/trainings", post(calls::add_training))
        .route("/consultants/{user}/certifications", post(calls::certify))
        .route("/consultants/{user}/mentor", put(calls::set_mentor))
        .route("/desk", get(desk::open))
        .route("/evaluation/figures", get(evaluation::figures))
        .route("/evaluation/ranking", get(evaluation::ranking))
        .route("/alerts", get(supervision::alerts))
        .route("/alerts/stream", get(supervision::stream))
        .route("/alerts/{id}/read", post(supervision::read))
        .route("/alerts/{id}/deliveries", get(supervision::deliveries))
        .route("/alerts/{id}/orders", get(supervision::incident_orders))
        .route("/alerts/{id}/merge", post(supervision::merge_incident))
        .route("/supervision/orders", get(supervision::orders))
        .route("/supervision/repeats", get(supervision::repeats))
        .route("/supervision/notices", get(supervision::notices))
        .route("/supervision/cards", get(supervision::cards))
        .route("/supervision/scan", post(supervision::scan))
        .route("/contacts", get(supervision::contacts).put(supervision::set_contacts))
        .route("/emergency/rules", get(emergency::rules).post(emergency::add_rule))
        .route("/emergency/rules/{id}", put(emergency::update_rule))
        .route("/emergency/dangers", get(emergency::dangers).put(emergency::save_dangers).delete(emergency::reset_dangers))
        .route("/emergency/warnings", get(emergency::warnings).post(emergency::publish))
        .route("/emergency/warnings/{id}/withdraw", post(emergency::withdraw))
        .route("/audit", get(audit::log))
        .route("/audit/verify", get(audit::verify))
        .merge(public)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(JSON_LIMIT));

    let open311_anonymous = share_limit(ratelimit::RateLimiter::new(open311::ANONYMOUS_PER_MINUTE), "open311");
    let metrics = metrics::Metrics::new(config.metrics_token.clone());
    let probes = Router::new()
        .route("/livez", get(meta::livez))
        .route("/readyz", get(meta::readyz))
        .route("/readyz/callcentre", get(meta::readyz_callcentre))
        .with_state((app.clone(), config.readiness.clone()))
        .merge(Router::new().route("/metrics", get(metrics::scrape)).with_state((app.clone(), metrics.clone())));
    Router::new()
        .route("/healthz", get(meta::healthz))
        .nest("/api/v1", api)
        .merge(open311::router(config.open311.clone(), open311_anonymous))
        .merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", openapi::ApiDoc::openapi()))
        // The interface's files, gzipped for browsers that ask: its script
        // shrinks to a quarter, which a citizen on a phone notices. The API
        // is not: on the centre's network compressing costs more than it saves.
        .fallback_service(get(meta::web).layer(CompressionLayer::new()))
        .with_state(app)
        .merge(probes)
        .route_layer(axum::middleware::from_fn(metrics::mark_route))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, config.request_timeout))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(axum::middleware::from_fn_with_state(std::sync::Arc::new(config.boundary), security::guard))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(request_span).on_failure(log_failure))
        // A load balancer's id (nginx's $request_id) is kept, so one request
        // reads the same in its logs and in this node's.
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(axum::middleware::from_fn_with_state(metrics, metrics::count))
}
