//! `hotline-callcentre-bench`: the distribution engine's routing decisions
//! with 1,000 agents and 50 queues, and the simulator's speed on a day of a
//! 300-seat centre.

use clap::Parser;
use hotline_callcentre::engine::{
    AgentId, AgentSpec, AgentStatus, CallId, Command, Engine, EngineConfig, Event, QueueConfig, Skill, Strategy, Widen,
};
use hotline_callcentre::profile::{hourly_calls, roster};
use hotline_callcentre::simulator::{HandleTime, Scenario, simulate};
use hotline_callcentre::staffing::{Patience, Target};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(about = "Benchmark the call distribution engine and the simulator")]
struct Args {
    #[arg(long, default_value_t = 1_000)]
    agents: u64,
    #[arg(long, default_value_t = 50)]
    queues: usize,
    /// Routing decisions to time.
    #[arg(long, default_value_t = 200_000)]
    decisions: usize,
    /// Simulated days of a 300-seat centre at 40,000 calls a day.
    #[arg(long, default_value_t = 30)]
    days: u32,
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let pct = |p: f64| samples[((samples.len() as f64 * p).ceil() as usize).clamp(1, samples.len()) - 1].as_secs_f64() * 1e6;
    println!("{name:<44} {:>8} samples   p50 {:>6.1} µs   p99 {:>6.1} µs   max {:>7.1} µs", samples.len(), pct(0.5), pct(0.99), pct(1.0));
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut rng = StdRng::seed_from_u64(1);
    let queues: Vec<QueueConfig> = (0..args.queues)
        .map(|i| QueueConfig {
            name: format!("q{i}"),
            skill: Skill(format!("s{i}")),
            priority: (i % 5) as u8,
            min_level: 6,
            widen: vec![Widen { after_secs: 20, min_level: 2 }],
            strategy: [Strategy::LongestIdle, Strategy::RoundRobin, Strategy::FewestCalls][i % 3],
            max_waiting: 10_000,
            max_wait_secs: 3_600,
        })
        .collect();
    let mut engine = Engine::new(EngineConfig { queues, ring_secs: 15, max_no_answer: 3, wrap_up_secs: 0, transfer_timeout_secs: 30 })?;
    // Every agent: the general skill and three others at random levels.
    for a in 0..args.agents {
        let mut skills: std::collections::BTreeMap<Skill, u8> = [(Skill("s0".into()), 5)].into();
        for _ in 0..3 {
            skills.insert(Skill(format!("s{}", rng.random_range(0..args.queues))), rng.random_range(1..=10));
        }
        engine.add_agent(AgentSpec { id: AgentId(a), skills }, 0);
        engine.handle(Event::SetStatus { agent: AgentId(a), status: AgentStatus::Available }, 0)?;
    }
    // A busy centre: every call is offered, answered and ended, so agents
    // cycle; the timed step is the routing decision (arrival → offer, or
    // agent free → next call).
    let mut now = 1_000;
    let (mut arrivals, mut frees) = (Vec::new(), Vec::new());
    let mut talking: std::collections::VecDeque<CallId> = Default::default();
    for n in 0..args.decisions as u64 {
        now += 10;
        let queue = format!("q{}", rng.random_range(0..args.queues));
        let started = Instant::now();
        let out = engine.handle(Event::Arrived { call: CallId(n), queue, caller: String::new() }, now)?;
        arrivals.push(started.elapsed());
        for c in out {
            if let Command::Offer { call, agent } = c {
                engine.handle(Event::Answered { call, agent }, now)?;
                talking.push_back(call);
            }
        }
        // Keep about 700 agents talking: end the oldest conversation.
        while talking.len() > (args.agents as usize) * 7 / 10 {
            let call = talking.pop_front().expect("a call");
            let started = Instant::now();
            let out = engine.handle(Event::AgentHungUp { call }, now)?;
            frees.push(started.elapsed());
            for c in out {
                if let Command::Offer { call, agent } = c {
                    engine.handle(Event::Answered { call, agent }, now)?;
                    talking.push_back(call);
                }
            }
        }
        if n % 1_000 == 0 {
            engine.tick(now);
            engine.take_records();
        }
    }
    println!("engine: {} agents, {} queues", args.agents, args.queues);
    report("routing a new call (arrival → offer)", arrivals);
    report("routing a freed agent (hang-up → next call)", frees);

    let calls = hourly_calls(40_000.0);
    let target = Target::new(0.8, 15.0)?;
    let patience = Some(Patience::new(120.0)?);
    let agents = roster(&calls, 180.0, &target, patience, 10, 300)?;
    let scenario = Scenario {
        seed: 12345,
        calls_per_hour: calls,
        agents_per_hour: agents,
        hours: args.days * 24,
        handle: HandleTime::LogNormal { mean_secs: 180.0, sd_secs: 120.0 },
        patience_secs: Some(120.0),
        threshold_secs: 15,
    };
    let started = Instant::now();
    let r = simulate(&scenario)?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "simulator: {} days of a 300-seat centre, {} calls in {secs:.2} s = {:.0} calls/minute (接通率 {:.1}%, within 15 s {:.1}%)",
        args.days,
        r.calls,
        r.calls as f64 / secs * 60.0,
        r.total.connection_rate * 100.0,
        r.total.answered_within_share * 100.0
    );
    Ok(())
}
