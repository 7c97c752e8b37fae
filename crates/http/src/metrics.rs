//! `/metrics` for Prometheus: every request counted by method, route and
//! status with its duration as it passes; the node's backlog, calls and
//! memory read at each scrape. Each router has its own recorder, so two
//! servers in one process (tests, the benchmark) do not mix their counts.

use ::metrics::{counter, gauge, histogram};
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hotline_app::operations::Gauges;
use hotline_app::{App, AppError};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Request durations' bucket bounds, in seconds: a list answers in
/// milliseconds, an export or a report in seconds.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// The route label of requests no route matched (the interface's files,
/// unknown paths, requests refused before routing).
const UNMATCHED: &str = "unmatched";

/// Requests between two foldings of the duration histograms' samples into
/// their buckets. A histogram keeps every sample until then; a scrape
/// folds them, but where nothing scrapes, each request's sample was kept
/// for good (1.6 MiB more per 100,000 requests in the soak's heap profile).
const UPKEEP_EVERY: u64 = 4_096;

pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    /// Requests counted since the start, for [`UPKEEP_EVERY`].
    requests: AtomicU64,
    /// A bearer token the scraper must send; `None`: open to whoever
    /// reaches the port.
    token: Option<String>,
    started: std::time::SystemTime,
}

impl Metrics {
    pub fn new(token: Option<String>) -> Arc<Self> {
        let recorder = PrometheusBuilder::new().set_buckets(&BUCKETS).expect("bucket bounds are not empty").build_recorder();
        let handle = recorder.handle();
        Arc::new(Self {
            recorder,
            handle,
            requests: AtomicU64::new(0),
            token: token.filter(|t| !t.is_empty()),
            started: std::time::SystemTime::now(),
        })
    }

    fn with<T>(&self, f: impl FnOnce() -> T) -> T {
        ::metrics::with_local_recorder(&self.recorder, f)
    }

    /// The exposition text with the gauges read now; `None` when they could
    /// not be read (then `hotline_gauges_up` says so and the counters still
    /// go out).
    fn render(&self, gauges: Option<&Gauges>) -> String {
        self.with(|| {
            gauge!("hotline_gauges_up").set(if gauges.is_some() { 1.0 } else { 0.0 });
            gauge!("hotline_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
            let started = self.started.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0);
            gauge!("process_start_time_seconds").set(started);
            if let Some(bytes) = resident_bytes() {
                gauge!("process_resident_memory_bytes").set(bytes as f64);
            }
            if let Some(g) = gauges {
                let due = [
                    ("deadline_timers", g.backlog.deadline_timers),
                    ("alert_deliveries", g.backlog.alert_deliveries),
                    ("texts", g.backlog.texts),
                    ("pushes", g.backlog.pushes),
                ];
                for (work, n) in due {
                    gauge!("hotline_background_due", "work" => work).set(n as f64);
                }
                for (queue, n) in &g.waiting {
                    gauge!("hotline_calls_waiting", "queue" => queue.clone()).set(*n as f64);
                }
                gauge!("hotline_calls_in_progress").set(g.calls_in_progress() as f64);
                gauge!("hotline_callcentre_owner").set(if g.callcentre_owner { 1.0 } else { 0.0 });
                gauge!("hotline_calls_lost_last_day").set(g.calls_lost_last_day as f64);
                for (state, n) in &g.agents {
                    gauge!("hotline_agents", "state" => *state).set(*n as f64);
                }
                gauge!("hotline_trunks", "reachable" => "true").set(g.trunks_reachable as f64);
                gauge!("hotline_trunks", "reachable" => "false").set(g.trunks_unreachable as f64);
                if let Some(n) = g.phones_registered {
                    gauge!("hotline_phones_registered").set(n as f64);
                }
            }
        });
        self.handle.render()
    }

    fn allows(&self, headers: &HeaderMap) -> bool {
        let Some(token) = &self.token else { return true };
        let sent = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        sent.is_some_and(|s| constant_time_eq(s.as_bytes(), token.as_bytes()))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Resident memory from `/proc` (Linux); `None` elsewhere.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// The route a request matched, carried out on its response for [`count`].
#[derive(Clone)]
struct Route(MatchedPath);

/// Runs inside routing, where the matched route is known.
pub(crate) async fn mark_route(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(Route(route));
    }
    response
}

/// Runs outside everything, so refused and timed-out requests count too.
pub(crate) async fn count(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_owned();
    let start = Instant::now();
    metrics.with(|| gauge!("hotline_http_requests_in_flight").increment(1.0));
    let response = next.run(request).await;
    let elapsed = start.elapsed().as_secs_f64();
    let route = response.extensions().get::<Route>().map_or(UNMATCHED.to_owned(), |r| r.0.as_str().to_owned());
    let status = response.status().as_u16().to_string();
    metrics.with(|| {
        gauge!("hotline_http_requests_in_flight").decrement(1.0);
        counter!("hotline_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status).increment(1);
        histogram!("hotline_http_request_duration_seconds", "method" => method, "route" => route).record(elapsed);
    });
    if metrics.requests.fetch_add(1, Ordering::Relaxed) % UPKEEP_EVERY == UPKEEP_EVERY - 1 {
        metrics.handle.run_upkeep();
    }
    response
}

/// Prometheus's text format: requests by route and status with durations,
/// background work due, calls waiting and in progress, consultants by
/// state, trunks, memory. Asks for `[http] metrics_token` as a bearer token
/// when one is set.
#[utoipa::path(get, path = "/metrics", tag = "meta",
    responses((status = 200, description = "Prometheus text exposition format 0.0.4", content_type = "text/plain", body = String),
        (status = 401, body = crate::error::ErrorBody)))]
pub async fn scrape(State((app, metrics)): State<(App, Arc<Metrics>)>, headers: HeaderMap) -> Response {
    if !metrics.allows(&headers) {
        let error = AppError::Unauthenticated("/metrics needs the bearer token of [http] metrics_token".into());
        return crate::error::ApiError::App(error).into_response();
    }
    let gauges = match Gauges::read(&app).await {
        Ok(g) => Some(g),
        Err(e) => {
            tracing::warn!(error = %e, "metrics: the node's gauges could not be read");
            None
        }
    };
    (StatusCode::OK, [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], metrics.render(gauges.as_ref())).into_response()
}
