//! Per-client limits on the public portal's endpoints, so one client cannot
//! flood the search engine or the work-order queue. Clients are told apart
//! by IP address (behind trusted proxies, the forwarded one); counts are per
//! node and per fixed window: they shape traffic, while the limits that
//! protect secrets (logins, tracking) are counted in the database.

use crate::error::ApiError;
use crate::security::Client;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hotline_app::AppError;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Clients remembered before old windows are swept.
const SWEEP_AT: usize = 10_000;

pub struct RateLimiter {
    limit: u32,
    window_secs: u64,
    started: Instant,
    /// Client → (window number, requests in that window).
    windows: Mutex<HashMap<IpAddr, (u64, u32)>>,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self::per_window(per_minute, 60)
    }

    /// `limit` requests per client in each window of `window_secs` seconds.
    pub fn per_window(limit: u32, window_secs: u64) -> Self {
        Self { limit, window_secs: window_secs.max(1), started: Instant::now(), windows: Mutex::new(HashMap::new()) }
    }

    /// Counts a request; `Err(seconds to wait)` when over the limit.
    pub fn check(&self, client: IpAddr) -> Result<(), u64> {
        let elapsed = self.started.elapsed().as_secs();
        let window = elapsed / self.window_secs;
        let mut windows = self.windows.lock().expect("rate limiter lock");
        if windows.len() >= SWEEP_AT {
            windows.retain(|_, (w, _)| *w == window);
        }
        let entry = windows.entry(client).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        if entry.1 >= self.limit {
            return Err(self.window_secs - elapsed % self.window_secs);
        }
        entry.1 += 1;
        Ok(())
    }
}

pub async fn limit(State(limiter): State<Arc<RateLimiter>>, request: Request, next: Next) -> Response {
    let client = request.extensions().get::<Client>().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.address);
    match limiter.check(client) {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            let mut response = ApiError::App(AppError::TooManyRequests(format!(
                "more than {} requests in {} s from this address; try again in {wait} s",
                limiter.limit, limiter.window_secs
            )))
            .into_response();
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, wait.into());
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_client_has_its_own_budget() {
        let limiter = RateLimiter::new(2);
        let (a, b) = (IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)));
        assert!(limiter.check(a).is_ok() && limiter.check(a).is_ok());
        let wait = limiter.check(a).unwrap_err();
        assert!((1..=60).contains(&wait));
        assert!(limiter.check(b).is_ok());
    }
}
