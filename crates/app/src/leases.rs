//! Work one node does for all (the emergency catch-up, the hot topics'
//! surge pass), taken in turns: the node holding a lease in the database
//! does it and renews the lease each round; when that node stops, another
//! takes the lease once it lapses.

use crate::clock::Clock;
use crate::ports::LeaseStore;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

pub struct Leases {
    store: Arc<dyn LeaseStore>,
    clock: Arc<dyn Clock>,
    /// This node (`node_id`, unique among the nodes sharing a database).
    holder: i64,
}

impl Leases {
    pub fn new(store: Arc<dyn LeaseStore>, clock: Arc<dyn Clock>, holder: i64) -> Self {
        Self { store, clock, holder }
    }

    /// Whether this node does `name` now, holding its lease for `ttl` more
    /// (taken when it lapsed). A lease that cannot be read counts as
    /// another's: the work waits a round rather than being done twice.
    pub async fn hold(&self, name: &str, ttl: Duration) -> bool {
        let now = self.clock.now();
        match self.store.hold_lease(name, self.holder, now, now + ttl).await {
            Ok(held) => held,
            Err(e) => {
                tracing::warn!(lease = name, error = %e, "a lease could not be read; skipping this round");
                false
            }
        }
    }

    /// When `name`'s lease lapses, for a standby to try for it then rather
    /// than at its next round; None when it is free or cannot be read.
    pub async fn lapses_at(&self, name: &str) -> Option<DateTime<Utc>> {
        self.store.lease_lapses_at(name).await.unwrap_or_else(|e| {
            // Asked right after `hold`, which has warned already.
            tracing::debug!(lease = name, error = %e, "a lease could not be read");
            None
        })
    }

    /// Gives `name` up (a node stopping on purpose), so another node takes
    /// it at its next round rather than when it lapses.
    pub async fn release(&self, name: &str) {
        if let Err(e) = self.store.release_lease(name, self.holder).await {
            tracing::warn!(lease = name, error = %e, "a lease could not be given up; it lapses instead");
        }
    }
}
