//! Work-order numbers: prefix, local date, daily sequence.
//!
//! Sequences are reserved from the database in blocks, so creating an order
//! does not contend on one counter row; a restart or a second node skips to
//! the next block, leaving gaps, never duplicates.

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
    /// Per day: next free value and last reserved value.
    blocks: Mutex<HashMap<NaiveDate, (u64, u64)>>,
}

impl OrderNumbers {
    pub fn new(store: Arc<dyn OrderStore>, prefix: OrderNoPrefix, block: u64) -> Self {
        Self { store, prefix, block: block.max(1), blocks: Mutex::new(HashMap::new()) }
    }

    pub fn prefix(&self) -> &OrderNoPrefix {
        &self.prefix
    }

    pub async fn next(&self, date: NaiveDate) -> AppResult<WorkOrderNo> {
        let mut blocks = self.blocks.lock().await;
        let (next, last) = blocks.get(&date).copied().unwrap_or((1, 0));
        let (value, last) = if next <= last {
            (next, last)
        } else {
            let key = format!("order_no:{}{}", self.prefix.as_str(), date.format("%Y%m%d"));
            let last = self.store.reserve_sequence(&key, self.block).await?;
            (last - self.block + 1, last)
        };
        // Days long past are dropped so the map does not grow forever.
        if blocks.len() > 8 {
            blocks.retain(|d, _| *d >= date);
        }
        blocks.insert(date, (value + 1, last));
        Ok(WorkOrderNo::new(&self.prefix, date, value))
    }
}
