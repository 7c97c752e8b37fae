//! A seeded discrete-event simulator of the centre: Poisson arrivals
//! following an hourly profile, exponential or log-normal handle times,
//! exponential caller patience, a roster of agents per hour, and the real
//! [`Engine`] doing the routing.
//!
//! Agents pick up an offered call at once (ringing is not simulated), so a
//! handle time covers talk and after-call work, as in the Erlang models the
//! simulator is checked against.

use crate::engine::{
    AgentId, AgentSpec, AgentStatus, CallId, CallRecord, Command, Engine, EngineConfig, EngineError, Event, Millis, QueueConfig, Skill,
    Strategy,
};
use crate::stats::{Figures, figures, grouped};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};

const HOUR: Millis = 3_600_000;
const QUEUE: &str = "general";

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HandleTime {
    Exponential { mean_secs: f64 },
    LogNormal { mean_secs: f64, sd_secs: f64 },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub seed: u64,
    /// Calls offered in each hour of the day (24 values), repeated daily.
    pub calls_per_hour: Vec<f64>,
    /// Agents on the phones in each hour of the day (24 values).
    pub agents_per_hour: Vec<u32>,
    pub hours: u32,
    pub handle: HandleTime,
    /// Mean caller patience; `None`: callers wait as long as it takes.
    pub patience_secs: Option<f64>,
    /// The answer threshold of the figures (the national standard: 15 s).
    pub threshold_secs: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct SimulationReport {
    pub calls: u64,
    pub total: Figures,
    /// Figures for each simulated hour, by the hour calls arrived in.
    pub hours: Vec<Figures>,
    #[serde(skip)]
    pub records: Vec<CallRecord>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    /// A new hour: the roster changes.
    Hour(u32),
    Arrival(CallId),
    GiveUp(CallId),
    Done(CallId),
}

struct Sim {
    engine: Engine,
    rng: StdRng,
    handle: HandleTime,
    heap: BinaryHeap<Reverse<(Millis, u64, Step)>>,
    seq: u64,
    /// Calls not yet answered (their patience still counts).
    waiting: HashSet<CallId>,
}

fn exponential(rng: &mut StdRng, mean: f64) -> f64 {
    -mean * (1.0 - rng.random::<f64>()).ln()
}

impl Sim {
    fn at(&mut self, time: Millis, step: Step) {
        self.seq += 1;
        self.heap.push(Reverse((time, self.seq, step)));
    }

    fn handle_time(&mut self) -> Millis {
        let secs = match self.handle {
            HandleTime::Exponential { mean_secs } => exponential(&mut self.rng, mean_secs),
            HandleTime::LogNormal { mean_secs, sd_secs } => {
                let sigma2 = (1.0 + (sd_secs / mean_secs).powi(2)).ln();
                let mu = mean_secs.ln() - sigma2 / 2.0;
                // Box–Muller.
                let (u1, u2) = (1.0 - self.rng.random::<f64>(), self.rng.random::<f64>());
                let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
                (mu + sigma2.sqrt() * z).exp()
            }
        };
        (secs * 1000.0).round().max(1.0) as Millis
    }

    /// Carries out the engine's commands: agents answer offers at once.
    fn carry_out(&mut self, commands: Vec<Command>, now: Millis) -> Result<(), EngineError> {
        let mut pending = commands;
        while let Some(command) = pending.pop() {
            if let Command::Offer { call, agent } = command {
                self.waiting.remove(&call);
                pending.extend(self.engine.handle(Event::Answered { call, agent }, now)?);
                let end = now + self.handle_time();
                self.at(end, Step::Done(call));
            }
        }
        Ok(())
    }
}

/// Runs the scenario; the same seed gives the same calls and the same figures.
pub fn simulate(scenario: &Scenario) -> Result<SimulationReport, EngineError> {
    if scenario.calls_per_hour.len() != 24 || scenario.agents_per_hour.len() != 24 {
        return Err(EngineError::Config("give 24 hourly values of calls and of agents".into()));
    }
    let most_agents = scenario.agents_per_hour.iter().copied().max().unwrap_or(0);
    let config = EngineConfig {
        queues: vec![QueueConfig {
            name: QUEUE.into(),
            skill: Skill(QUEUE.into()),
            priority: 1,
            min_level: 1,
            widen: vec![],
            strategy: Strategy::LongestIdle,
            max_waiting: usize::MAX,
            max_wait_secs: u32::MAX,
        }],
        ring_secs: 15,
        max_no_answer: 3,
        wrap_up_secs: 0,
        transfer_timeout_secs: 30,
    };
    let mut sim = Sim {
        engine: Engine::new(config)?,
        rng: StdRng::seed_from_u64(scenario.seed),
        handle: scenario.handle,
        heap: BinaryHeap::new(),
        seq: 0,
        waiting: HashSet::new(),
    };
    for id in 0..most_agents {
        sim.engine.add_agent(AgentSpec { id: AgentId(u64::from(id)), skills: [(Skill(QUEUE.into()), 5)].into() }, 0);
    }
    // Arrivals: a Poisson process whose rate changes on the hour.
    let mut next_call = 0u64;
    for hour in 0..scenario.hours {
        sim.at(u64::from(hour) * HOUR, Step::Hour(hour));
        let rate = scenario.calls_per_hour[(hour % 24) as usize] / 3_600_000.0; // per ms
        if rate <= 0.0 {
            continue;
        }
        let mut t = u64::from(hour) * HOUR;
        loop {
            t += (exponential(&mut sim.rng, 1.0 / rate)).round() as Millis;
            if t >= u64::from(hour + 1) * HOUR {
                break;
            }
            sim.at(t, Step::Arrival(CallId(next_call)));
            next_call += 1;
        }
    }
    let mut on_duty = 0u32;
    while let Some(Reverse((now, _, step))) = sim.heap.pop() {
        match step {
            Step::Hour(hour) => {
                let wanted = scenario.agents_per_hour[(hour % 24) as usize];
                for id in wanted.min(on_duty)..wanted.max(on_duty) {
                    let status = if id < wanted { AgentStatus::Available } else { AgentStatus::OnBreak("end of shift".into()) };
                    let out = sim.engine.handle(Event::SetStatus { agent: AgentId(u64::from(id)), status }, now)?;
                    sim.carry_out(out, now)?;
                }
                on_duty = wanted;
            }
            Step::Arrival(call) => {
                sim.waiting.insert(call);
                if let Some(p) = scenario.patience_secs {
                    let give_up = now + (exponential(&mut sim.rng, p) * 1000.0).round() as Millis;
                    sim.at(give_up, Step::GiveUp(call));
                }
                let out = sim.engine.handle(Event::Arrived { call, queue: QUEUE.into(), caller: String::new() }, now)?;
                sim.carry_out(out, now)?;
            }
            Step::GiveUp(call) => {
                if sim.waiting.remove(&call) {
                    let out = sim.engine.handle(Event::CallerHungUp { call }, now)?;
                    sim.carry_out(out, now)?;
                }
            }
            Step::Done(call) => {
                let out = sim.engine.handle(Event::AgentHungUp { call }, now)?;
                sim.carry_out(out, now)?;
            }
        }
    }
    let mut records = sim.engine.take_records();
    records.sort_by_key(|r| (r.arrived, r.call));
    let threshold = u64::from(scenario.threshold_secs) * 1000;
    let by_hour = grouped(&records, |r| Some(r.arrived / HOUR), threshold, 0);
    let hours = (0..u64::from(scenario.hours)).map(|h| by_hour.get(&h).copied().unwrap_or_else(|| figures([], threshold, 0))).collect();
    Ok(SimulationReport { calls: records.len() as u64, total: figures(&records, threshold, 0), hours, records })
}
