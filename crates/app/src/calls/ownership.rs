//! One node runs the call centre: among several sharing a database, the
//! one holding the `callcentre` lease. The engine lives in that node's
//! memory, so the others stand by, refusing calls (their SIP gateways
//! answer 503, so Kamailio's dispatcher sends the carrier's calls to the
//! owner) and desks (their `/readyz/callcentre` answers 503, so the load
//! balancer sends desks to the owner).
//!
//! A standby takes over once the owner's lease lapses: it reads today's
//! finished calls back from the database for the live figures, and marks
//! the calls the former owner was carrying as lost. Their media and
//! signalling were anchored on the node that stopped; nothing can carry
//! them on, so they are counted instead. Consultants' desks reconnect and
//! phones register again with the new owner.

use super::CallCentre;
use crate::error::AppResult;
use crate::leases::Leases;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

pub const CALL_CENTRE_LEASE: &str = "callcentre";

/// How long past the owner's lapse a standby tries for the lease.
const LAPSE_MARGIN: std::time::Duration = std::time::Duration::from_millis(100);

impl CallCentre {
    /// Contends for the call centre with the other nodes, every third of
    /// `ttl`: first at once (a lone node, or the first to start, runs the
    /// call centre before it answers anything), then in the background. A
    /// standby also tries the moment the owner's lease lapses, so the
    /// call centre fails over within the lease rather than a round later:
    /// every second of it, the carrier's calls find no node to answer.
    pub async fn contend(self: Arc<Self>, leases: Arc<Leases>, ttl: Duration) -> tokio::task::JoinHandle<()> {
        // Standing by until the lease says otherwise; a node restarting
        // takes its own lease back at once, and counts the calls it lost.
        self.switchboard.set_owner(false, Vec::new());
        let mut held_until = None;
        let every = (ttl / 3).to_std().unwrap_or(std::time::Duration::from_secs(1)).max(std::time::Duration::from_millis(100));
        let mut next = self.next_round(&leases, ttl, &mut held_until, every).await;
        tokio::spawn(async move {
            loop {
                tokio::time::sleep_until(next).await;
                next = self.next_round(&leases, ttl, &mut held_until, every).await;
            }
        })
    }

    /// One round, and when the next is due: a round after this one began,
    /// or sooner when a standby sees the owner's lease lapse before then.
    async fn next_round(
        &self,
        leases: &Leases,
        ttl: Duration,
        held_until: &mut Option<DateTime<Utc>>,
        every: std::time::Duration,
    ) -> tokio::time::Instant {
        let began = tokio::time::Instant::now();
        self.round(leases, ttl, held_until).await;
        let next = began + every;
        if self.switchboard.is_owner() {
            return next;
        }
        let Some(lapses) = leases.lapses_at(CALL_CENTRE_LEASE).await else {
            return next;
        };
        // A little past the lapse, so the lease has lapsed by the time the
        // database compares; a lapse already past still waits the margin,
        // so a lease that reads lapsed but cannot be taken is not asked for
        // in a tight loop.
        let wait = (lapses - self.clock.now()).to_std().unwrap_or_default() + LAPSE_MARGIN;
        next.min(tokio::time::Instant::now() + wait)
    }

    /// `held_until`: when the lease this node last renewed lapses.
    async fn round(&self, leases: &Leases, ttl: Duration, held_until: &mut Option<DateTime<Utc>>) {
        let now = self.clock.now();
        let held = leases.hold(CALL_CENTRE_LEASE, ttl).await;
        if held {
            *held_until = Some(now + ttl);
        }
        match (held, self.switchboard.is_owner()) {
            (true, true) | (false, false) => {}
            (true, false) => {
                if let Err(e) = self.run_call_centre().await {
                    // Tried again next round, the lease held meanwhile.
                    tracing::warn!(error = %e, "the call centre could not be taken over yet");
                }
            }
            // No other node can hold a lease this node renewed and that
            // has not lapsed: the lease could not be read (the database
            // is slow or away), and the calls go on until it lapses.
            (false, true) if held_until.is_some_and(|until| now < until) => {}
            (false, true) => {
                tracing::warn!("the call centre's lease lapsed or is another node's: standing by");
                self.switchboard.set_owner(false, Vec::new());
            }
        }
    }

    /// Stands by and gives the lease up, for a node stopping on purpose: a
    /// standby takes the call centre over at its next round. Calls in
    /// progress here may still end during the drain; those that do are
    /// recorded, not lost.
    pub async fn hand_over(&self, leases: &Leases) {
        if self.switchboard.is_owner() {
            self.switchboard.set_owner(false, Vec::new());
            leases.release(CALL_CENTRE_LEASE).await;
            tracing::info!("stopping: the call centre is handed over to a standby");
        }
    }

    /// Marks the calls a former owner carried lost and runs the call centre.
    async fn run_call_centre(&self) -> AppResult<()> {
        let now = self.clock.now();
        let lost = self.store.mark_calls_lost(self.ids.node(), now).await?;
        let days = self.calendar.snapshot();
        let day_start = days.start_of(days.local_date(now));
        let today = self.store.calls(day_start, day_start + Duration::days(1)).await?;
        self.switchboard.set_owner(true, today);
        if lost.is_empty() {
            tracing::info!("this node runs the call centre");
        } else {
            let calls: Vec<String> = lost.iter().map(|c| c.call.to_string()).collect();
            tracing::warn!(
                lost = lost.len(),
                calls = calls.join(","),
                "this node runs the call centre; calls carried by the former owner were lost"
            );
        }
        Ok(())
    }
}
