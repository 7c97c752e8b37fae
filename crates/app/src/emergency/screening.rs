//! The screening worker: registrations are screened right after their
//! commit, one after another, without the registration waiting; and the
//! record of what this node screened, so each order is screened once.

use super::Emergency;
use chrono::{DateTime, Duration, Utc};
use hotline_domain::{OrderId, WorkOrder};
use std::collections::{BTreeSet, HashMap};
use std::sync::Weak;
use tokio::sync::{mpsc, oneshot};

/// Registrations that may wait for the worker; beyond, the catch-up pass
/// takes them.
pub(super) const QUEUE: usize = 16_384;
/// How long a screened order is remembered behind the catch-up cursor,
/// and how many at most: forgetting one too early only means the catch-up
/// screens it again, which alerts nobody twice.
const REMEMBER: Duration = Duration::minutes(2);
const REMEMBER_AT_MOST: usize = 50_000;

pub(super) enum Job {
    Screen(Box<WorkOrder>),
    /// Answered once every job before it is done.
    Barrier(oneshot::Sender<()>),
}

/// Orders screened together at most, their alerts raised in one transaction.
const BATCH: usize = 256;
/// While registrations pour in, the worker screens at most this often and
/// takes what came meanwhile in one batch: nearly every order of a busy
/// day joins a lasting surge warning, and one transaction per order or two
/// held the database's writer against the registrations. A lone order (or
/// one awaited by `settled`) is screened at once.
const GATHER: std::time::Duration = std::time::Duration::from_millis(50);

pub(super) async fn work(emergency: Weak<Emergency>, mut jobs: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(BATCH);
    let mut last_batch = tokio::time::Instant::now() - GATHER;
    while jobs.recv_many(&mut batch, BATCH).await > 0 {
        let awaited = batch.iter().any(|j| matches!(j, Job::Barrier(_)));
        let next = last_batch + GATHER;
        if batch.len() < BATCH && !awaited && next > tokio::time::Instant::now() {
            tokio::time::sleep_until(next).await;
            while batch.len() < BATCH {
                match jobs.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
        }
        last_batch = tokio::time::Instant::now();
        let Some(emergency) = emergency.upgrade() else { return };
        let mut orders = Vec::with_capacity(batch.len());
        let mut barriers = Vec::new();
        for job in batch.drain(..) {
            match job {
                Job::Screen(order) => orders.push(*order),
                Job::Barrier(done) => barriers.push(done),
            }
        }
        // The orders are stored whatever happens here; a failed screening
        // is logged loudly and tried again by the catch-up pass.
        if let Err(e) = emergency.screen_all(&orders).await {
            tracing::error!(orders = orders.len(), error = %e, "emergency screening failed; the catch-up pass will try again");
        }
        for done in barriers {
            let _ = done.send(());
        }
    }
}

/// Orders screened (or being screened) on this node, by registration time.
#[derive(Default)]
pub(super) struct Screened {
    ids: HashMap<OrderId, DateTime<Utc>>,
    by_time: BTreeSet<(DateTime<Utc>, OrderId)>,
}

impl Screened {
    /// Takes the order for screening; false if it was taken already.
    pub(super) fn claim(&mut self, id: OrderId, created_at: DateTime<Utc>) -> bool {
        if self.ids.contains_key(&id) {
            return false;
        }
        self.ids.insert(id, created_at);
        self.by_time.insert((created_at, id));
        while self.ids.len() > REMEMBER_AT_MOST {
            self.forget_oldest();
        }
        true
    }

    fn forget_oldest(&mut self) {
        if let Some((_, id)) = self.by_time.pop_first() {
            self.ids.remove(&id);
        }
    }

    /// Gives a failed screening back, for another try.
    pub(super) fn release(&mut self, id: OrderId) {
        if let Some(at) = self.ids.remove(&id) {
            self.by_time.remove(&(at, id));
        }
    }

    pub(super) fn contains(&self, id: OrderId) -> bool {
        self.ids.contains_key(&id)
    }

    /// Forgets orders registered well before `behind`: the catch-up pass has
    /// gone past them and will not look at them again.
    pub(super) fn prune(&mut self, behind: DateTime<Utc>) {
        let horizon = behind - REMEMBER;
        while self.by_time.first().is_some_and(|(at, _)| *at < horizon) {
            self.forget_oldest();
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.ids.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_is_claimed_once_until_released_and_old_claims_are_forgotten() {
        let t0 = DateTime::<Utc>::UNIX_EPOCH + Duration::days(20_000);
        let mut s = Screened::default();
        assert!(s.claim(OrderId(1), t0));
        assert!(!s.claim(OrderId(1), t0));
        s.release(OrderId(1));
        assert!(s.claim(OrderId(1), t0));
        assert!(s.claim(OrderId(2), t0 + Duration::minutes(30)));
        s.prune(t0 + Duration::minutes(20));
        assert!(!s.contains(OrderId(1)) && s.contains(OrderId(2)));
        assert_eq!(s.len(), 1);
    }
}
