//! Time is injected so every rule can be tested at any instant.

use chrono::{DateTime, Utc};
use std::sync::Mutex;

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock, to the microsecond: the precision storage keeps, so a
/// value reads back exactly as it was written.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        let now = Utc::now();
        DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
    }
}

/// A clock that stands still until moved: for tests and for generating demo
/// history at past instants.
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().expect("clock lock") = at;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock lock")
    }
}

/// Seconds to wait after the attempt numbered `attempts` (0 for the first)
/// failed: `first`, doubling each time, never more than `cap`.
pub fn backoff_secs(first: u32, attempts: i64, cap: u32) -> u32 {
    let doubled = u64::from(first) << attempts.clamp(0, 20);
    doubled.min(u64::from(cap)) as u32
}
