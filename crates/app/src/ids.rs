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

/// The smallest id made at `at` or later: ids made before `at` are below
/// it, so a span of time is a range of ids (monthly partitions use this).
pub fn first_id_at(at: chrono::DateTime<chrono::Utc>) -> i64 {
    let ms = u64::try_from(at.timestamp_millis()).unwrap_or(0).saturating_sub(EPOCH_MS);
    (ms << (NODE_BITS + SEQ_BITS)) as i64
}

/// When an id was made, to the millisecond.
pub fn time_of_id(id: i64) -> chrono::DateTime<chrono::Utc> {
    let ms = (id.max(0) as u64 >> (NODE_BITS + SEQ_BITS)) + EPOCH_MS;
    chrono::DateTime::from_timestamp_millis(ms as i64).unwrap_or_default()
}

/// The smallest id of an order registered at `since` or later, the
/// application's clock reading `now`: an index by id then finds a span of
/// recent orders without an index by time. Ids follow the system clock
/// (and never fall behind it), which a manual clock (tests, the demo's
/// history) need not follow, so the span is also measured back from the
/// system's now and the earlier start is taken; a minute more covers a
/// clock set back. Orders imported late (old times, new ids) are above it
/// and left to the query's own test of the time.
pub fn floor_since(since: chrono::DateTime<chrono::Utc>, now: chrono::DateTime<chrono::Utc>) -> i64 {
    let system_now = chrono::DateTime::<chrono::Utc>::from(SystemTime::now());
    first_id_at(since.min(system_now - (now - since)) - chrono::Duration::minutes(1))
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

    #[test]
    fn a_span_of_time_is_a_range_of_ids() {
        let before = chrono::Utc::now();
        let id = IdGenerator::new(7).next();
        let after = chrono::Utc::now() + chrono::Duration::milliseconds(1);
        assert!(first_id_at(before - chrono::Duration::milliseconds(1)) <= id && id < first_id_at(after), "{id}");
        let made = time_of_id(id);
        assert!(made >= before - chrono::Duration::milliseconds(1) && made <= after, "{made} not within {before}…{after}");
        let month: chrono::DateTime<chrono::Utc> = "2027-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(time_of_id(first_id_at(month)), month);
        assert_eq!(time_of_id(first_id_at(month) - 1), month - chrono::Duration::milliseconds(1));
    }

    #[test]
    fn the_floor_of_a_window_is_below_every_id_made_in_it_whatever_the_applications_clock() {
        let hour = chrono::Duration::hours(1);
        let real = chrono::Utc::now();
        let id = IdGenerator::new(3).next();
        // The system's clock: a minute before the window.
        assert_eq!(floor_since(real - hour, real), first_id_at(real - hour - chrono::Duration::minutes(1)));
        // A manual clock far ahead (a test's): measured back from the system's now.
        let ahead = real + chrono::Duration::days(400);
        assert!(floor_since(ahead - hour, ahead) <= id);
        assert!(floor_since(ahead - hour, ahead) > first_id_at(real - hour - chrono::Duration::minutes(2)));
        // One behind (the demo's history): from its own window.
        let behind = real - chrono::Duration::days(400);
        assert_eq!(floor_since(behind - hour, behind), first_id_at(behind - hour - chrono::Duration::minutes(1)));
        // An id made later than the window's start is never below it.
        assert!(floor_since(real - chrono::Duration::seconds(1), real) <= id);
    }
}
