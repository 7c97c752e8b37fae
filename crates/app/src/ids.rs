//! Application-generated 64-bit ids: time-ordered, unique across nodes.
//!
//! Layout: 41 bits of milliseconds since 2025-01-01 UTC, 10 bits of node id,
//! 12 bits of sequence within the millisecond. Ids sort by creation time, so
//! keyset pagination by id is pagination by age, and no database sequence is
//! needed (the roadmap's several nodes and distributed SQL both want this).

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

const EPOCH_MS: u64 = 1_735_689_600_000; // 2025-01-01T00:00:00Z
const NODE_BITS: u32 = 10;
const SEQ_BITS: u32 = 12;
pub const MAX_NODE: u16 = (1 << NODE_BITS) - 1;

pub struct IdGenerator {
    node: u64,
    state: Mutex<(u64, u64)>,
}

impl IdGenerator {
    /// `node` must be unique among the nodes sharing a database (0–1023).
    pub fn new(node: u16) -> Self {
        assert!(node <= MAX_NODE, "node id must be at most {MAX_NODE}");
        Self { node: u64::from(node), state: Mutex::new((0, 0)) }
    }

    /// The node these ids come from.
    pub fn node(&self) -> i64 {
        self.node as i64
    }

    pub fn next(&self) -> i64 {
        let mut state = self.state.lock().expect("id lock");
        let mut ms = now_ms().max(state.0);
        let seq = if ms == state.0 { state.1 + 1 } else { 0 };
        let seq = if seq >= (1 << SEQ_BITS) {
            // 4,096 ids in one millisecond: borrow the next millisecond.
            ms += 1;
            0
        } else {
            seq
        };
        *state = (ms, seq);
        ((ms << (NODE_BITS + SEQ_BITS)) | (self.node << SEQ_BITS) | seq) as i64
    }
}

fn now_ms() -> u64 {
    let ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(EPOCH_MS);
    ms.saturating_sub(EPOCH_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_increase_and_carry_the_node() {
        let ids = IdGenerator::new(5);
        let mut last = 0;
        for _ in 0..20_000 {
            let id = ids.next();
            assert!(id > last);
            assert_eq!((id >> SEQ_BITS) & i64::from(MAX_NODE), 5);
            last = id;
        }
        let other = IdGenerator::new(6);
        assert_ne!(other.next() & !0xfff, ids.next() & !0xfff);
    }
}
