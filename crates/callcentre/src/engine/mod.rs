//! The call distribution engine (话务分配): queues per skill, agents with
//! skill levels, routing strategies, priorities and widening delays,
//! ring timeouts, wrap-up, abandonment and callbacks.
//!
//! It is a state machine without I/O and without a clock: feed it
//! [`Event`]s with the time they happened, call [`Engine::tick`] at
//! [`Engine::next_deadline`], and carry out the [`Command`]s it returns.
//! Telephony (the simulator today, a SIP gateway later) and the consultants'
//! desks sit on the other side of those two enums.
//!
//! One invariant keeps routing cheap: after every step, no idle available
//! agent is eligible for any waiting call. So an arriving call only looks
//! for an agent, an agent becoming idle only looks at the head of each
//! queue (the head has waited longest, so if it is not eligible for the
//! agent, no call behind it is), and a widening delay only re-examines
//! heads.

mod model;
#[cfg(test)]
mod tests;

pub use model::*;

use std::collections::{BTreeMap, HashMap, VecDeque};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error("configuration: {0}")]
    Config(String),
    #[error("no queue named {0:?}")]
    UnknownQueue(String),
    #[error("no agent {0:?}")]
    UnknownAgent(AgentId),
    #[error("no call {0:?} in progress")]
    UnknownCall(CallId),
    #[error("call {0:?} already exists")]
    DuplicateCall(CallId),
    /// The event does not fit the call's state (answered by an agent it
    /// was not offered to, …): telephony and engine disagree.
    #[error("{0}")]
    OutOfStep(String),
}

pub type EngineResult<T> = Result<T, EngineError>;

struct Queue {
    config: QueueConfig,
    /// Waiting calls, oldest first.
    waiting: VecDeque<CallId>,
    /// Round-robin position.
    last_offered: Option<AgentId>,
}

impl Queue {
    /// The skill level a call needs after waiting `waited` ms.
    fn level_needed(&self, waited: Millis) -> u8 {
        self.config
            .widen
            .iter()
            .filter(|w| u64::from(w.after_secs) * 1000 <= waited)
            .map(|w| w.min_level)
            .fold(self.config.min_level, u8::min)
    }

    /// When the call that arrived at `arrived` next becomes eligible for more agents.
    fn next_widening(&self, arrived: Millis, now: Millis) -> Option<Millis> {
        self.config.widen.iter().map(|w| arrived + u64::from(w.after_secs) * 1000).filter(|at| *at > now).min()
    }
}

struct Agent {
    spec: AgentSpec,
    status: AgentStatus,
    state: AgentState,
    idle_since: Millis,
    answered: u32,
    missed_in_row: u32,
}

impl Agent {
    fn free(&self) -> bool {
        self.status == AgentStatus::Available && self.state == AgentState::Idle
    }

    fn level(&self, skill: &Skill) -> u8 {
        self.spec.skills.get(skill).copied().unwrap_or(0)
    }
}

enum Phase {
    Waiting,
    Ringing {
        agent: AgentId,
        until: Millis,
    },
    Talking {
        agent: AgentId,
        since: Millis,
    },
    /// Talking while a sub-centre is dialled, until `until`.
    Transferring {
        agent: AgentId,
        since: Millis,
        to: String,
        mode: TransferMode,
        until: Millis,
    },
    /// A supervisor took it over from `agent`, who has left.
    TakenOver {
        agent: AgentId,
        since: Millis,
    },
}

struct Call {
    queue: usize,
    caller: String,
    arrived: Millis,
    phase: Phase,
    /// Agents who let it ring out or declined it: not offered it again.
    declined_by: Vec<AgentId>,
    /// The sub-centre it was transferred or conferenced to.
    transferred_to: Option<String>,
    /// The supervisor who took it over.
    taken_over_by: Option<AgentId>,
}

pub struct Engine {
    config: EngineConfig,
    queues: Vec<Queue>,
    by_name: HashMap<String, usize>,
    agents: BTreeMap<AgentId, Agent>,
    calls: HashMap<CallId, Call>,
    records: Vec<CallRecord>,
    /// The latest time seen: events must not go back before it.
    clock: Millis,
}

impl Engine {
    pub fn new(config: EngineConfig) -> EngineResult<Self> {
        if config.max_no_answer == 0 {
            return Err(EngineError::Config("max_no_answer must be 1 or more".into()));
        }
        let mut engine = Self {
            config: EngineConfig { queues: Vec::new(), ..config.clone() },
            queues: Vec::new(),
            by_name: HashMap::new(),
            agents: BTreeMap::new(),
            calls: HashMap::new(),
            records: Vec::new(),
            clock: 0,
        };
        for q in config.queues {
            engine.add_queue(q)?;
        }
        Ok(engine)
    }

    /// Opens a queue (a hotline that became professional seats while the
    /// centre runs). Queues are never removed: calls may wait in them.
    pub fn add_queue(&mut self, q: QueueConfig) -> EngineResult<()> {
        if self.by_name.contains_key(&q.name) {
            return Err(EngineError::Config(format!("queue {:?} is defined twice", q.name)));
        }
        if !(1..=10).contains(&q.min_level) || q.widen.iter().any(|w| !(1..=10).contains(&w.min_level)) {
            return Err(EngineError::Config(format!("queue {:?}: skill levels run from 1 to 10", q.name)));
        }
        self.by_name.insert(q.name.clone(), self.queues.len());
        self.config.queues.push(q.clone());
        self.queues.push(Queue { config: q, waiting: VecDeque::new(), last_offered: None });
        Ok(())
    }

    pub fn has_queue(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }

    /// Adds (or replaces the skills of) an agent; a new agent is logged out.
    pub fn add_agent(&mut self, spec: AgentSpec, now: Millis) {
        match self.agents.get_mut(&spec.id) {
            Some(agent) => agent.spec = spec,
            None => {
                let agent =
                    Agent { spec, status: AgentStatus::LoggedOut, state: AgentState::Idle, idle_since: now, answered: 0, missed_in_row: 0 };
                self.agents.insert(agent.spec.id, agent);
            }
        }
    }

    pub fn agent_status(&self, agent: AgentId) -> Option<(&AgentStatus, AgentState)> {
        self.agents.get(&agent).map(|a| (&a.status, a.state))
    }

    /// Calls waiting in a queue now.
    pub fn waiting(&self, queue: &str) -> usize {
        self.by_name.get(queue).map_or(0, |&i| self.queues[i].waiting.len())
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Every queue with its waiting calls, for a wallboard.
    pub fn queues(&self) -> impl Iterator<Item = QueueView<'_>> {
        self.queues.iter().map(|q| QueueView {
            name: &q.config.name,
            waiting: q.waiting.len(),
            oldest_arrival: q.waiting.iter().map(|c| self.calls[c].arrived).min(),
        })
    }

    /// Every waiting call with the number of calls ahead of it in its
    /// queue (what the caller's position notice says).
    pub fn places(&self) -> impl Iterator<Item = (CallId, usize)> + '_ {
        self.queues.iter().flat_map(|q| q.waiting.iter().enumerate().map(|(ahead, call)| (*call, ahead)))
    }

    /// Every agent with status and state, in id order.
    pub fn agents(&self) -> impl Iterator<Item = (AgentId, &AgentStatus, AgentState)> {
        self.agents.values().map(|a| (a.spec.id, &a.status, a.state))
    }

    /// The agent in conversation on the call, while nothing else happens
    /// to it (no transfer ringing, not taken over): who a supervisor
    /// would take it over from.
    pub fn talking(&self, call: CallId) -> Option<AgentId> {
        match self.calls.get(&call)?.phase {
            Phase::Talking { agent, .. } => Some(agent),
            _ => None,
        }
    }

    /// Calls supervisors took over and talk on.
    pub fn taken_over(&self) -> impl Iterator<Item = TakenOverView> + '_ {
        self.calls.iter().filter_map(|(id, c)| match (&c.phase, c.taken_over_by) {
            (Phase::TakenOver { agent, since }, Some(supervisor)) => {
                Some(TakenOverView { call: *id, supervisor, consultant: *agent, answered: *since })
            }
            _ => None,
        })
    }

    /// Finished calls since the last call of this method.
    pub fn take_records(&mut self) -> Vec<CallRecord> {
        std::mem::take(&mut self.records)
    }

    pub fn handle(&mut self, event: Event, now: Millis) -> EngineResult<Vec<Command>> {
        if now < self.clock {
            return Err(EngineError::OutOfStep(format!("an event at {now} ms arrived after one at {} ms", self.clock)));
        }
        self.clock = now;
        let mut out = Vec::new();
        match event {
            Event::Arrived { call, queue, caller } => self.arrived(call, &queue, caller, now, &mut out)?,
            Event::Answered { call, agent } => {
                let c = self.calls.get_mut(&call).ok_or(EngineError::UnknownCall(call))?;
                match c.phase {
                    Phase::Ringing { agent: offered, .. } if offered == agent => {
                        c.phase = Phase::Talking { agent, since: now };
                        let a = self.agents.get_mut(&agent).ok_or(EngineError::UnknownAgent(agent))?;
                        a.state = AgentState::Talking(call);
                        a.answered += 1;
                        a.missed_in_row = 0;
                        out.push(Command::Bridge { call, agent });
                    }
                    _ => return Err(EngineError::OutOfStep(format!("{call:?} was not ringing at {agent:?}"))),
                }
            }
            Event::Rejected { call, agent } => {
                let c = self.calls.get(&call).ok_or(EngineError::UnknownCall(call))?;
                if !matches!(c.phase, Phase::Ringing { agent: offered, .. } if offered == agent) {
                    return Err(EngineError::OutOfStep(format!("{call:?} was not ringing at {agent:?}")));
                }
                self.unanswered(call, agent, now, &mut out);
            }
            Event::CallerHungUp { call } => {
                let c = self.calls.get(&call).ok_or(EngineError::UnknownCall(call))?;
                match c.phase {
                    Phase::Waiting => {
                        let q = c.queue;
                        self.queues[q].waiting.retain(|w| *w != call);
                        self.finish(call, None, None, Outcome::Abandoned, now);
                    }
                    Phase::Ringing { agent, .. } => {
                        out.push(Command::Withdraw { call, agent });
                        self.finish(call, None, None, Outcome::Abandoned, now);
                        self.agent_idle(agent, now, &mut out);
                    }
                    Phase::Talking { agent, since } | Phase::Transferring { agent, since, .. } => {
                        if matches!(c.phase, Phase::Transferring { .. }) {
                            out.push(Command::CancelTransfer { call });
                        }
                        self.talk_ended(call, agent, since, Outcome::Answered, now, &mut out)
                    }
                    // The consultant is already wrapping up: only the record is left.
                    Phase::TakenOver { agent, since } => self.finish(call, Some(agent), Some(since), Outcome::Answered, now),
                }
            }
            Event::AgentHungUp { call } => {
                let c = self.calls.get(&call).ok_or(EngineError::UnknownCall(call))?;
                match c.phase {
                    Phase::Talking { agent, since } => {
                        out.push(Command::HangUp { call });
                        self.talk_ended(call, agent, since, Outcome::Answered, now, &mut out)
                    }
                    Phase::TakenOver { agent, since } => {
                        out.push(Command::HangUp { call });
                        self.finish(call, Some(agent), Some(since), Outcome::Answered, now);
                    }
                    _ => return Err(EngineError::OutOfStep(format!("{call:?} is not in conversation"))),
                }
            }
            Event::TakenOver { call, supervisor } => {
                let c = self.calls.get_mut(&call).ok_or(EngineError::UnknownCall(call))?;
                let Phase::Talking { agent, since } = c.phase else {
                    return Err(EngineError::OutOfStep(format!("{call:?} is not in conversation (a transfer may be ringing)")));
                };
                c.phase = Phase::TakenOver { agent, since };
                c.taken_over_by = Some(supervisor);
                self.wrap_up(agent, now, &mut out);
            }
            Event::Transfer { call, agent, to, mode } => {
                let until = now + u64::from(self.config.transfer_timeout_secs) * 1000;
                let c = self.calls.get_mut(&call).ok_or(EngineError::UnknownCall(call))?;
                match c.phase {
                    Phase::Talking { agent: talking, since } if talking == agent => {
                        c.phase = Phase::Transferring { agent, since, to: to.clone(), mode, until };
                        out.push(Command::Transfer { call, to, mode });
                    }
                    _ => return Err(EngineError::OutOfStep(format!("{call:?} is not in conversation with {agent:?}"))),
                }
            }
            Event::TransferAnswered { call } => {
                let c = self.calls.get_mut(&call).ok_or(EngineError::UnknownCall(call))?;
                match &mut c.phase {
                    Phase::Transferring { until, .. } => *until = Millis::MAX,
                    _ => return Err(EngineError::OutOfStep(format!("{call:?} is not being transferred"))),
                }
            }
            Event::TransferResult { call, result } => {
                let c = self.calls.get(&call).ok_or(EngineError::UnknownCall(call))?;
                let Phase::Transferring { agent, since, ref to, mode, .. } = c.phase else {
                    return Err(EngineError::OutOfStep(format!("{call:?} is not being transferred")));
                };
                let to = to.clone();
                self.transfer_done(call, agent, since, to, mode, result, now, &mut out);
            }
            Event::SetStatus { agent, status } => {
                let a = self.agents.get_mut(&agent).ok_or(EngineError::UnknownAgent(agent))?;
                let was_free = a.free();
                a.status = status;
                if a.status == AgentStatus::Available {
                    a.missed_in_row = 0;
                }
                if let AgentState::Ringing(call) = a.state
                    && a.status != AgentStatus::Available
                {
                    // Leaving while the phone rings: the call goes back to its place.
                    out.push(Command::Withdraw { call, agent });
                    a.state = AgentState::Idle;
                    self.requeue(call, now, &mut out);
                }
                let a = &self.agents[&agent];
                if a.free() && !was_free {
                    self.agent_idle(agent, now, &mut out);
                }
            }
        }
        Ok(out)
    }

    /// Handles every timer due at `now`: rings that ran out, wrap-ups that
    /// ended, waits that grew too long, widening delays that passed.
    pub fn tick(&mut self, now: Millis) -> Vec<Command> {
        let now = now.max(self.clock);
        self.clock = now;
        let mut out = Vec::new();
        let rang_out: Vec<(CallId, AgentId)> = self
            .calls
            .iter()
            .filter_map(|(id, c)| match c.phase {
                Phase::Ringing { agent, until } if until <= now => Some((*id, agent)),
                _ => None,
            })
            .collect();
        for (call, agent) in rang_out {
            out.push(Command::Withdraw { call, agent });
            self.unanswered(call, agent, now, &mut out);
        }
        let stuck: Vec<(CallId, AgentId, Millis, String, TransferMode)> = self
            .calls
            .iter()
            .filter_map(|(id, c)| match &c.phase {
                Phase::Transferring { agent, since, to, mode, until } if *until <= now => Some((*id, *agent, *since, to.clone(), *mode)),
                _ => None,
            })
            .collect();
        for (call, agent, since, to, mode) in stuck {
            out.push(Command::CancelTransfer { call });
            self.transfer_done(call, agent, since, to, mode, TransferResult::NoAnswer, now, &mut out);
        }
        let wrapped: Vec<AgentId> =
            self.agents.iter().filter(|(_, a)| matches!(a.state, AgentState::WrapUp(until) if until <= now)).map(|(id, _)| *id).collect();
        for agent in wrapped {
            self.agent_idle(agent, now, &mut out);
        }
        for q in 0..self.queues.len() {
            let limit = u64::from(self.queues[q].config.max_wait_secs) * 1000;
            while let Some(&head) = self.queues[q].waiting.front() {
                if self.calls[&head].arrived + limit > now {
                    break;
                }
                self.queues[q].waiting.pop_front();
                self.callback(head, now, &mut out);
            }
            self.route_queue(q, now, &mut out);
        }
        out
    }

    /// When [`Self::tick`] has something to do next, after `now`.
    pub fn next_deadline(&self, now: Millis) -> Option<Millis> {
        let rings = self.calls.values().filter_map(|c| match c.phase {
            // An answered attended transfer has no deadline (`Millis::MAX`).
            Phase::Ringing { until, .. } | Phase::Transferring { until, .. } => Some(until).filter(|u| *u != Millis::MAX),
            _ => None,
        });
        let wrap_ups = self.agents.values().filter_map(|a| match a.state {
            AgentState::WrapUp(until) => Some(until),
            _ => None,
        });
        let heads = self.queues.iter().filter_map(|q| {
            let head = &self.calls[q.waiting.front()?];
            let give_up = head.arrived + u64::from(q.config.max_wait_secs) * 1000;
            Some(q.next_widening(head.arrived, now).map_or(give_up, |w| w.min(give_up)))
        });
        rings.chain(wrap_ups).chain(heads).min()
    }

    fn arrived(&mut self, call: CallId, queue: &str, caller: String, now: Millis, out: &mut Vec<Command>) -> EngineResult<()> {
        let q = *self.by_name.get(queue).ok_or_else(|| EngineError::UnknownQueue(queue.to_owned()))?;
        if self.calls.contains_key(&call) {
            return Err(EngineError::DuplicateCall(call));
        }
        self.calls.insert(
            call,
            Call {
                queue: q,
                caller,
                arrived: now,
                phase: Phase::Waiting,
                declined_by: Vec::new(),
                transferred_to: None,
                taken_over_by: None,
            },
        );
        if self.queues[q].waiting.len() >= self.queues[q].config.max_waiting {
            self.callback(call, now, out);
            return Ok(());
        }
        out.push(Command::Hold { call });
        self.queues[q].waiting.push_back(call);
        self.route_queue(q, now, out);
        Ok(())
    }

    /// Offers waiting calls of a queue, oldest first, while agents are found.
    fn route_queue(&mut self, q: usize, now: Millis, out: &mut Vec<Command>) {
        while let Some(&head) = self.queues[q].waiting.front() {
            match self.pick_agent(head, now) {
                Some(agent) => {
                    self.queues[q].waiting.pop_front();
                    self.offer(head, agent, now, out);
                }
                None => return,
            }
        }
    }

    fn eligible(&self, call: CallId, agent: &Agent, now: Millis) -> bool {
        let c = &self.calls[&call];
        let queue = &self.queues[c.queue];
        agent.free() && agent.level(&queue.config.skill) >= queue.level_needed(now - c.arrived) && !c.declined_by.contains(&agent.spec.id)
    }

    fn pick_agent(&self, call: CallId, now: Millis) -> Option<AgentId> {
        let queue = &self.queues[self.calls[&call].queue];
        let eligible = self.agents.values().filter(|a| self.eligible(call, a, now));
        match queue.config.strategy {
            Strategy::LongestIdle => eligible.min_by_key(|a| (a.idle_since, a.spec.id)).map(|a| a.spec.id),
            Strategy::FewestCalls => eligible.min_by_key(|a| (a.answered, a.idle_since, a.spec.id)).map(|a| a.spec.id),
            Strategy::RoundRobin => {
                let ids: Vec<AgentId> = eligible.map(|a| a.spec.id).collect();
                let after = queue.last_offered;
                ids.iter().find(|id| after.is_none_or(|last| **id > last)).or(ids.first()).copied()
            }
        }
    }

    fn offer(&mut self, call: CallId, agent: AgentId, now: Millis, out: &mut Vec<Command>) {
        let until = now + u64::from(self.config.ring_secs) * 1000;
        let c = self.calls.get_mut(&call).expect("call offered exists");
        c.phase = Phase::Ringing { agent, until };
        self.queues[c.queue].last_offered = Some(agent);
        self.agents.get_mut(&agent).expect("agent offered exists").state = AgentState::Ringing(call);
        out.push(Command::Offer { call, agent });
    }

    /// The agent declined or let it ring out: the call returns to its place,
    /// the agent may be paused.
    fn unanswered(&mut self, call: CallId, agent: AgentId, now: Millis, out: &mut Vec<Command>) {
        let max = self.config.max_no_answer;
        let a = self.agents.get_mut(&agent).expect("ringing agent exists");
        a.state = AgentState::Idle;
        a.missed_in_row += 1;
        if a.missed_in_row >= max && a.status == AgentStatus::Available {
            let reason = format!("{max} offers unanswered");
            a.status = AgentStatus::OnBreak(reason.clone());
            out.push(Command::AgentPaused { agent, reason });
        }
        self.calls.get_mut(&call).expect("call exists").declined_by.push(agent);
        self.requeue(call, now, out);
        self.agent_idle(agent, now, out);
    }

    /// Puts a call back in its queue at the place its arrival gives it.
    fn requeue(&mut self, call: CallId, now: Millis, out: &mut Vec<Command>) {
        let c = self.calls.get_mut(&call).expect("call exists");
        c.phase = Phase::Waiting;
        let (q, arrived) = (c.queue, c.arrived);
        let position = self.queues[q].waiting.iter().position(|w| self.calls[w].arrived > arrived).unwrap_or(self.queues[q].waiting.len());
        self.queues[q].waiting.insert(position, call);
        self.route_queue(q, now, out);
    }

    fn talk_ended(&mut self, call: CallId, agent: AgentId, since: Millis, outcome: Outcome, now: Millis, out: &mut Vec<Command>) {
        self.finish(call, Some(agent), Some(since), outcome, now);
        self.wrap_up(agent, now, out);
    }

    /// The agent left a conversation: after-call work, then the next call.
    fn wrap_up(&mut self, agent: AgentId, now: Millis, out: &mut Vec<Command>) {
        let wrap = u64::from(self.config.wrap_up_secs) * 1000;
        let a = self.agents.get_mut(&agent).expect("talking agent exists");
        if wrap > 0 {
            a.state = AgentState::WrapUp(now + wrap);
        } else {
            self.agent_idle(agent, now, out);
        }
    }

    /// A transfer ended: connected (the call leaves with the sub-centre, or
    /// stays as a three-way call), or failed (the caller stays with the
    /// consultant, who is told what to advise).
    #[allow(clippy::too_many_arguments)]
    fn transfer_done(
        &mut self,
        call: CallId,
        agent: AgentId,
        since: Millis,
        to: String,
        mode: TransferMode,
        result: TransferResult,
        now: Millis,
        out: &mut Vec<Command>,
    ) {
        let c = self.calls.get_mut(&call).expect("call being transferred");
        match (result, mode) {
            (TransferResult::Connected, TransferMode::Conference) => {
                c.transferred_to = Some(to);
                c.phase = Phase::Talking { agent, since };
            }
            (TransferResult::Connected, _) => {
                c.transferred_to = Some(to);
                self.talk_ended(call, agent, since, Outcome::Transferred, now, out);
            }
            (failed, _) => {
                c.phase = Phase::Talking { agent, since };
                let advice = format!("{to} 暂时无法接通，请告知来电人直接拨打 {to}");
                out.push(Command::TransferFailed { call, agent, to, result: failed, advice });
            }
        }
    }

    /// The agent is idle from now; offers them the most urgent call they may take.
    fn agent_idle(&mut self, agent: AgentId, now: Millis, out: &mut Vec<Command>) {
        let a = self.agents.get_mut(&agent).expect("agent exists");
        // Idle from now: after a call, an offer, or a break, the agent goes
        // to the back of the longest-idle order.
        a.idle_since = now;
        a.state = AgentState::Idle;
        if !a.free() {
            return;
        }
        let best = (0..self.queues.len())
            .filter_map(|q| {
                let head = *self.queues[q].waiting.front()?;
                let a = &self.agents[&agent];
                self.eligible(head, a, now).then(|| (std::cmp::Reverse(self.queues[q].config.priority), self.calls[&head].arrived, q, head))
            })
            .min();
        if let Some((_, _, q, head)) = best {
            self.queues[q].waiting.pop_front();
            self.offer(head, agent, now, out);
        }
    }

    fn callback(&mut self, call: CallId, now: Millis, out: &mut Vec<Command>) {
        let c = &self.calls[&call];
        out.push(Command::OfferCallback { call, caller: c.caller.clone(), queue: self.queues[c.queue].config.name.clone() });
        self.finish(call, None, None, Outcome::Callback, now);
    }

    fn finish(&mut self, call: CallId, agent: Option<AgentId>, answered: Option<Millis>, outcome: Outcome, now: Millis) {
        let c = self.calls.remove(&call).expect("finished call exists");
        self.records.push(CallRecord {
            call,
            queue: self.queues[c.queue].config.name.clone(),
            caller: c.caller,
            arrived: c.arrived,
            answered,
            agent,
            ended: now,
            outcome,
            transferred_to: c.transferred_to,
            taken_over_by: c.taken_over_by,
        });
    }
}
