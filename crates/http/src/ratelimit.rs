//! Per-client limits on the public portal's endpoints, so one client cannot
//! flood the search engine or the work-order queue. Clients are told apart
//! by IP address (behind trusted proxies, the forwarded one). A node alone
//! on its database (SQLite) counts in memory, exactly and for free; nodes
//! sharing PostgreSQL count in the database, so a client's budget is the
//! same whichever node the load balancer sends it to. The limits that
//! protect secrets (logins, tracking) are always counted in the database.

use crate::error::ApiError;
use crate::security::Client;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hotline_app::AppError;
use hotline_app::attempts::{Attempts, Limit};
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
    /// Counted in the database under this name instead.
    shared: Option<(Arc<Attempts>, &'static str)>,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self::per_window(per_minute, 60)
    }

    /// `limit` requests per client in each window of `window_secs` seconds.
    pub fn per_window(limit: u32, window_secs: u64) -> Self {
        Self { limit, window_secs: window_secs.max(1), started: Instant::now(), windows: Mutex::new(HashMap::new()), shared: None }
    }

    /// Counts in the database, under `name` and the client's address, so
    /// every node shares one budget per client.
    pub fn shared(mut self, attempts: Arc<Attempts>, name: &'static str) -> Self {
        self.shared = Some((attempts, name));
        self
    }

    /// Counts a request; `Err(seconds to wait)` when over the limit.
    pub async fn check(&self, client: IpAddr) -> Result<(), u64> {
        let Some((attempts, name)) = &self.shared else { return self.check_here(client) };
        let window = chrono::Duration::seconds(i64::try_from(self.window_secs).unwrap_or(i64::MAX));
        match attempts.spend(&format!("limit:{name}:{client}"), Limit { most: i64::from(self.limit), window }).await {
            Ok(true) => Ok(()),
            // The window's start is the database's; at most a window away.
            Ok(false) => Err(self.window_secs),
            Err(e) => {
                // A citizen is not turned away because the count failed;
                // the request meets the same database next anyway.
                tracing::warn!(error = %e, "a portal limit could not be counted; the request goes through");
                Ok(())
            }
        }
    }

    fn check_here(&self, client: IpAddr) -> Result<(), u64> {
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
    match limiter.check(client).await {
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
        assert!(limiter.check_here(a).is_ok() && limiter.check_here(a).is_ok());
        let wait = limiter.check_here(a).unwrap_err();
        assert!((1..=60).contains(&wait));
        assert!(limiter.check_here(b).is_ok());
    }
}
