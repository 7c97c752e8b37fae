//! What an operator's monitoring reads of a running node: background work
//! that is due and not done, and the call centre as it stands. Counters of
//! requests are the HTTP layer's; these are read when asked.

use crate::app::App;
use crate::error::AppResult;
use crate::ports::Backlog;
use std::collections::BTreeMap;

/// A node's state now, for `/metrics`.
#[derive(Debug, Clone, PartialEq)]
pub struct Gauges {
    pub backlog: Backlog,
    /// Calls waiting per queue.
    pub waiting: BTreeMap<String, u64>,
    /// Consultants per state (idle, ringing, talking, wrap_up), logged in
    /// or not: the engine knows only those who opened a desk.
    pub agents: BTreeMap<&'static str, u64>,
    /// Calls a supervisor took over and still talks on.
    pub taken_over: u64,
    /// Trunks to the carriers answering their probes, and not answering;
    /// trunks not probed count in neither.
    pub trunks_reachable: u64,
    pub trunks_unreachable: u64,
    /// Phones registered; `None` on lines without phones.
    pub phones_registered: Option<u64>,
    /// Whether this node runs the call centre (else it stands by).
    pub callcentre_owner: bool,
    /// Calls lost in the last 24 hours because the node carrying them
    /// stopped (marked by the node that took the call centre over).
    pub calls_lost_last_day: u64,
}

impl Gauges {
    pub async fn read(app: &App) -> AppResult<Gauges> {
        let now = app.clock.now();
        let backlog = app.store.backlog(now).await?;
        let calls_lost_last_day = app.store.calls_lost_since(now - chrono::Duration::days(1)).await?;
        let board = app.calls.switchboard.wallboard().await?;
        let waiting = board.queues.iter().map(|q| (q.name.clone(), q.waiting as u64)).collect();
        let mut agents: BTreeMap<&'static str, u64> = ["idle", "ringing", "talking", "wrap_up"].into_iter().map(|s| (s, 0)).collect();
        for agent in &board.agents {
            *agents.entry(agent.state).or_default() += 1;
        }
        let probed = |up: bool| board.lines.trunks.iter().filter(|t| t.reachable == Some(up)).count() as u64;
        Ok(Gauges {
            backlog,
            waiting,
            agents,
            taken_over: board.taken_over.len() as u64,
            trunks_reachable: probed(true),
            trunks_unreachable: probed(false),
            phones_registered: board.lines.phones_registered.map(|n| n as u64),
            callcentre_owner: app.calls.switchboard.is_owner(),
            calls_lost_last_day,
        })
    }

    /// Calls connected to a consultant or a supervisor now.
    pub fn calls_in_progress(&self) -> u64 {
        self.agents.get("talking").copied().unwrap_or(0) + self.taken_over
    }
}
