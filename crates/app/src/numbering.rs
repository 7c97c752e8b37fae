//! Work-order numbers: prefix, local date, daily sequence.
//!
//! Sequences are reserved from the database in blocks, so creating an order
//! does not contend on one counter row; a restart or a second node skips to
//! the next block, leaving gaps, never duplicates.
//!
//! The next block is reserved in the background once half of the current
//! one is used. A reservation is a write and waits its turn for SQLite's
//! one write connection behind the registrations' batches; taken while the
//! day's numbers were locked, every registration of the node waited with
//! it, once a block.

use crate::error::AppResult;
use crate::ports::OrderStore;
use chrono::NaiveDate;
use hotline_domain::{OrderNoPrefix, WorkOrderNo};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Mutex;

pub struct OrderNumbers {
    store: Arc<dyn OrderStore>,
    prefix: OrderNoPrefix,
    block: u64,
    days: Arc<Mutex<HashMap<NaiveDate, Day>>>,
}

/// One day's numbers on this node.
#[derive(Default)]
struct Day {
    /// The next value to hand out and the last of its block (none left
    /// when `next > last`).
    next: u64,
    last: u64,
    /// The block reserved ahead, as its first and last value.
    ahead: Option<(u64, u64)>,
    /// A reservation ahead is under way.
    reserving: bool,
}

impl OrderNumbers {
    pub fn new(store: Arc<dyn OrderStore>, prefix: OrderNoPrefix, block: u64) -> Self {
        Self { store, prefix, block: block.max(1), days: Arc::new(Mutex::new(HashMap::new())) }
    }

    pub fn prefix(&self) -> &OrderNoPrefix {
        &self.prefix
    }

    pub async fn next(&self, date: NaiveDate) -> AppResult<WorkOrderNo> {
        let mut days = self.days.lock().await;
        // Days long past are dropped so the map does not grow forever.
        if days.len() > 8 {
            days.retain(|d, _| *d >= date);
        }
        let day = days.entry(date).or_insert_with(|| Day { next: 1, ..Day::default() });
        if day.next > day.last {
            let (first, last) = match day.ahead.take() {
                Some(block) => block,
                // The day's first, or the reservation ahead is late or failed.
                None => self.reserve(date).await?,
            };
            (day.next, day.last) = (first, last);
        }
        let value = day.next;
        day.next += 1;
        if !day.reserving && day.ahead.is_none() && day.last - value < self.block / 2 {
            day.reserving = true;
            tokio::spawn(self.reserve_ahead(date));
        }
        Ok(WorkOrderNo::new(&self.prefix, date, value))
    }

    /// Reserves the day's next block: its first and last value.
    async fn reserve(&self, date: NaiveDate) -> AppResult<(u64, u64)> {
        reserve(self.store.as_ref(), &self.prefix, date, self.block).await
    }

    fn reserve_ahead(&self, date: NaiveDate) -> impl Future<Output = ()> + Send + 'static {
        let (store, prefix, block, days) = (self.store.clone(), self.prefix.clone(), self.block, self.days.clone());
        async move {
            let reserved = reserve(store.as_ref(), &prefix, date, block).await;
            let mut days = days.lock().await;
            let Some(day) = days.get_mut(&date) else { return };
            day.reserving = false;
            match reserved {
                Ok(block) => day.ahead = Some(block),
                // The registration that finds the block used up reserves
                // one itself, and reports the error if it persists.
                Err(e) => tracing::warn!(error = %e, "reserving the next block of order numbers failed"),
            }
        }
    }
}

async fn reserve(store: &dyn OrderStore, prefix: &OrderNoPrefix, date: NaiveDate, block: u64) -> AppResult<(u64, u64)> {
    let key = format!("order_no:{}{}", prefix.as_str(), date.format("%Y%m%d"));
    let last = store.reserve_sequence(&key, block).await?;
    Ok((last - block + 1, last))
}
