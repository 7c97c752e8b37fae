//! Work-order numbers: prefix, local date, daily sequence.
//!
//! Sequences are reserved from the database in blocks, so creating an order
//! does not contend on one counter row; a restart or a second node skips to
//! the next block, leaving gaps, never duplicates.
//!
//! The next block is reserved in the background once half of the current
//! one is used. A reservation is a write and waits its turn for SQLite's
//! one write connection behind the registrations' batches; taken when the
//! block ran out, with the day's numbers locked, every registration of the
//! node waited with it, once a block.

use crate::error::AppResult;
use crate::ports::OrderStore;
use chrono::NaiveDate;
use hotline_domain::{OrderNoPrefix, WorkOrderNo};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{Mutex, oneshot};

pub struct OrderNumbers {
    store: Arc<dyn OrderStore>,
    prefix: OrderNoPrefix,
    block: u64,
    days: Mutex<HashMap<NaiveDate, Day>>,
}

/// A block as its first and last value.
type Block = (u64, u64);

/// One day's numbers on this node.
struct Day {
    /// The next value to hand out and the last of its block (none left
    /// when `next > last`).
    next: u64,
    last: u64,
    /// The next block, reserved in the background. Awaited rather than
    /// reserved again when the block runs out first, so the day's numbers
    /// still rise and no block is taken for nothing.
    ahead: Option<oneshot::Receiver<AppResult<Block>>>,
}

impl OrderNumbers {
    pub fn new(store: Arc<dyn OrderStore>, prefix: OrderNoPrefix, block: u64) -> Self {
        Self { store, prefix, block: block.max(1), days: Mutex::new(HashMap::new()) }
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
        let day = days.entry(date).or_insert_with(|| Day { next: 1, last: 0, ahead: None });
        if day.next > day.last {
            let (first, last) = match day.ahead.take() {
                Some(ahead) => match ahead.await {
                    Ok(Ok(block)) => block,
                    // Failed in the background: once more here, and the
                    // registration fails if that fails too.
                    failed => {
                        if let Ok(Err(e)) = failed {
                            tracing::warn!(error = %e, "reserving the next block of order numbers failed; trying again");
                        }
                        reserve(self.store.as_ref(), &self.prefix, date, self.block).await?
                    }
                },
                None => reserve(self.store.as_ref(), &self.prefix, date, self.block).await?,
            };
            (day.next, day.last) = (first, last);
        }
        let value = day.next;
        day.next += 1;
        if day.ahead.is_none() && day.last - value < self.block / 2 {
            let (reserved, ahead) = oneshot::channel();
            let (store, prefix, block) = (self.store.clone(), self.prefix.clone(), self.block);
            tokio::spawn(async move {
                // Nobody waiting (the node stopping) is not an error.
                let _ = reserved.send(reserve(store.as_ref(), &prefix, date, block).await);
            });
            day.ahead = Some(ahead);
        }
        Ok(WorkOrderNo::new(&self.prefix, date, value))
    }
}

/// Reserves the day's next block.
async fn reserve(store: &dyn OrderStore, prefix: &OrderNoPrefix, date: NaiveDate, block: u64) -> AppResult<Block> {
    let key = format!("order_no:{}{}", prefix.as_str(), date.format("%Y%m%d"));
    let last = store.reserve_sequence(&key, block).await?;
    Ok((last - block + 1, last))
}
