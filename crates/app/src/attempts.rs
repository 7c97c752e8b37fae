//! Limits on attempts that guess a secret (a password, a phone's last four
//! digits): each attempt is counted before the secret is checked, in the
//! database, so concurrent attempts cannot overshoot the limit and several
//! nodes share the count.

use crate::clock::Clock;
use crate::error::AppResult;
use crate::ports::AttemptStore;
use chrono::Duration;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// At most `most` attempts (or bytes) per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub most: i64,
    pub window: Duration,
}

impl Limit {
    pub fn minutes(&self) -> i64 {
        self.window.num_minutes()
    }
}

/// Windows older than this are deleted now and then.
const KEEP: Duration = Duration::days(1);
/// One attempt in this many also sweeps old windows.
const SWEEP_EVERY: u64 = 1024;

pub struct Attempts {
    store: Arc<dyn AttemptStore>,
    clock: Arc<dyn Clock>,
    counted: AtomicU64,
}

impl Attempts {
    pub fn new(store: Arc<dyn AttemptStore>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock, counted: AtomicU64::new(0) }
    }

    /// Counts an attempt under `key`; false when it is beyond the limit
    /// (the secret must then not be checked at all).
    pub async fn spend(&self, key: &str, limit: Limit) -> AppResult<bool> {
        self.spend_amount(key, 1, limit).await
    }

    /// Counts `amount` (bytes of an upload) under `key`; false when the
    /// window's total goes beyond the limit.
    pub async fn spend_amount(&self, key: &str, amount: i64, limit: Limit) -> AppResult<bool> {
        let now = self.clock.now();
        if self.counted.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.store.sweep_attempts(now - KEEP).await?;
        }
        let total = self.store.count_attempt(key, amount, now, now - limit.window).await?;
        Ok(total <= limit.most)
    }

    /// Takes back an attempt that turned out right.
    pub async fn refund(&self, key: &str) -> AppResult<()> {
        self.refund_amount(key, 1).await
    }

    /// Takes back `amount` that was not used after all.
    pub async fn refund_amount(&self, key: &str, amount: i64) -> AppResult<()> {
        Ok(self.store.refund_attempt(key, amount).await?)
    }

    /// Forgets the attempts under `key` (a successful login ends the run of
    /// failures from that address).
    pub async fn clear(&self, key: &str) -> AppResult<()> {
        Ok(self.store.clear_attempts(key).await?)
    }
}
