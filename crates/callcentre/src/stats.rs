//! Service-level figures from finished calls, as a call-centre manager
//! reads them (Asterisk's definitions for SL and SL2).
//!
//! - offered: calls that reached the queue, short abandons excluded
//! - connection rate (接通率) = answered / offered
//! - SL = answered within T / answered;
//!   SL2 = (answered within T + abandoned within T) / (answered + abandoned)
//! - answered within T of offered: the share the national standard asks for
//!   (15 s)
//! - ASA: mean wait of answered calls; abandonment rate = abandoned / offered
//! - lost: calls the node carrying them died with, counted apart and not
//!   offered: whether they were answered died with the node

use crate::engine::{CallRecord, Millis, Outcome};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Figures {
    pub offered: u64,
    pub answered: u64,
    pub abandoned: u64,
    /// Calls hung up before `short_abandon` ms: not counted as offered.
    pub short_abandons: u64,
    pub callbacks: u64,
    /// Calls lost with the node that carried them: not counted as offered.
    pub lost: u64,
    pub connection_rate: f64,
    /// Answered within the threshold, of offered.
    pub answered_within_share: f64,
    pub sl: f64,
    pub sl2: f64,
    pub asa_secs: f64,
    pub mean_talk_secs: f64,
    pub abandonment_rate: f64,
    /// Offered calls that waited at all (answered after a wait, abandoned,
    /// or given a callback), of offered.
    pub waited_share: f64,
}

/// Figures over the records, with the answer threshold and the short-abandon
/// limit in milliseconds.
pub fn figures<'a>(records: impl IntoIterator<Item = &'a CallRecord>, threshold: Millis, short_abandon: Millis) -> Figures {
    let (mut offered, mut answered, mut abandoned, mut short, mut callbacks, mut lost) = (0u64, 0u64, 0u64, 0u64, 0u64, 0u64);
    let (mut answered_within, mut abandoned_within, mut waited) = (0u64, 0u64, 0u64);
    let (mut wait_sum, mut talk_sum) = (0u128, 0u128);
    for r in records {
        match r.outcome {
            Outcome::Abandoned if r.ended - r.arrived < short_abandon => {
                short += 1;
                continue;
            }
            Outcome::Abandoned => {
                abandoned += 1;
                waited += 1;
                if r.ended - r.arrived <= threshold {
                    abandoned_within += 1;
                }
            }
            Outcome::Callback => {
                callbacks += 1;
                waited += 1;
            }
            Outcome::Lost => {
                lost += 1;
                continue;
            }
            Outcome::Answered | Outcome::Transferred => {
                answered += 1;
                let at = r.answered.unwrap_or(r.arrived);
                let wait = at - r.arrived;
                wait_sum += u128::from(wait);
                talk_sum += u128::from(r.ended - at);
                if wait > 0 {
                    waited += 1;
                }
                if wait <= threshold {
                    answered_within += 1;
                }
            }
        }
        offered += 1;
    }
    let share = |n: u64, d: u64| if d == 0 { 0.0 } else { n as f64 / d as f64 };
    Figures {
        offered,
        answered,
        abandoned,
        short_abandons: short,
        callbacks,
        lost,
        connection_rate: share(answered, offered),
        answered_within_share: share(answered_within, offered),
        sl: share(answered_within, answered),
        sl2: share(answered_within + abandoned_within, answered + abandoned),
        asa_secs: if answered == 0 { 0.0 } else { wait_sum as f64 / answered as f64 / 1000.0 },
        mean_talk_secs: if answered == 0 { 0.0 } else { talk_sum as f64 / answered as f64 / 1000.0 },
        abandonment_rate: share(abandoned, offered),
        waited_share: share(waited, offered),
    }
}

/// Figures for each group of records, e.g. per queue, per agent or per
/// half-hour (see [`half_hour`]).
pub fn grouped<'a, K: Ord>(
    records: impl IntoIterator<Item = &'a CallRecord>,
    key: impl Fn(&CallRecord) -> Option<K>,
    threshold: Millis,
    short_abandon: Millis,
) -> std::collections::BTreeMap<K, Figures> {
    let mut groups: std::collections::BTreeMap<K, Vec<&CallRecord>> = std::collections::BTreeMap::new();
    for r in records {
        if let Some(k) = key(r) {
            groups.entry(k).or_default().push(r);
        }
    }
    groups.into_iter().map(|(k, rs)| (k, figures(rs, threshold, short_abandon))).collect()
}

/// The half-hour a call arrived in, counted from the start of the clock.
pub fn half_hour(record: &CallRecord) -> u64 {
    record.arrived / 1_800_000
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{AgentId, CallId};

    fn record(arrived: Millis, answered: Option<Millis>, ended: Millis, outcome: Outcome) -> CallRecord {
        CallRecord {
            call: CallId(arrived),
            queue: "q".into(),
            caller: String::new(),
            arrived,
            answered,
            agent: answered.map(|_| AgentId(1)),
            ended,
            outcome,
            transferred_to: None,
            taken_over_by: None,
        }
    }

    #[test]
    fn the_figures_follow_their_definitions() {
        let records = [
            record(0, Some(0), 100_000, Outcome::Answered),      // no wait
            record(0, Some(10_000), 100_000, Outcome::Answered), // within 15 s
            record(0, Some(30_000), 130_000, Outcome::Answered), // late
            record(0, None, 3_000, Outcome::Abandoned),          // short abandon
            record(0, None, 12_000, Outcome::Abandoned),         // abandoned within 15 s
            record(0, None, 60_000, Outcome::Callback),
            record(0, None, 70_000, Outcome::Lost), // counted apart
        ];
        let f = figures(&records, 15_000, 5_000);
        assert_eq!((f.offered, f.answered, f.abandoned, f.short_abandons, f.callbacks, f.lost), (5, 3, 1, 1, 1, 1));
        assert_eq!(f.connection_rate, 3.0 / 5.0);
        assert_eq!(f.answered_within_share, 2.0 / 5.0);
        assert_eq!(f.sl, 2.0 / 3.0);
        assert_eq!(f.sl2, 3.0 / 4.0);
        assert_eq!(f.asa_secs, 40.0 / 3.0);
        assert_eq!(f.mean_talk_secs, 290.0 / 3.0);
        assert_eq!(f.waited_share, 4.0 / 5.0);
    }

    #[test]
    fn figures_group_by_queue_agent_or_half_hour() {
        let mut late = record(1_900_000, Some(1_900_000), 2_000_000, Outcome::Answered);
        late.queue = "social".into();
        late.agent = Some(AgentId(2));
        let records = [record(0, Some(0), 60_000, Outcome::Answered), record(10_000, None, 40_000, Outcome::Abandoned), late];
        let by_queue = grouped(&records, |r| Some(r.queue.clone()), 15_000, 0);
        assert_eq!(by_queue.keys().map(String::as_str).collect::<Vec<_>>(), ["q", "social"]);
        assert_eq!((by_queue["q"].offered, by_queue["q"].abandoned), (2, 1));
        let by_agent = grouped(&records, |r| r.agent, 15_000, 0);
        assert_eq!(by_agent.len(), 2, "abandoned calls have no agent");
        let by_half_hour = grouped(&records, |r| Some(half_hour(r)), 15_000, 0);
        assert_eq!(by_half_hour.keys().copied().collect::<Vec<_>>(), [0, 1]);
    }
}
