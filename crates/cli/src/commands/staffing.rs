//! `hotline staffing`: agents needed for a service level (Erlang C, or
//! Erlang A with a caller patience). Needs no database.

use super::flag;
use anyhow::bail;
use clap::Args;
use hotline_callcentre::staffing::{Evaluation, Patience, Target, Traffic, evaluate, required_agents, scheduled_agents};
use serde::Serialize;

#[derive(Args)]
pub struct StaffingArgs {
    /// Calls offered in the interval.
    #[arg(long)]
    calls: f64,
    /// Length of the interval in seconds (1800 for a half-hour).
    #[arg(long)]
    interval_secs: f64,
    /// Average handle time (talk + wrap-up) in seconds.
    #[arg(long)]
    aht_secs: f64,
    /// Target share answered within --target-secs (0.8 for 80%); needed
    /// unless --agents is given.
    #[arg(long)]
    target_sl: Option<f64>,
    /// Seconds within which calls should be answered (the national standard: 15).
    #[arg(long)]
    target_secs: f64,
    /// Mean caller patience in seconds: Erlang A instead of Erlang C.
    #[arg(long)]
    patience_secs: Option<f64>,
    /// Share of rostered time agents are off the phones (breaks, training).
    #[arg(long, default_value_t = 0.0)]
    shrinkage: f64,
    /// Evaluate this many agents instead of finding the number required.
    #[arg(long)]
    agents: Option<u32>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Report {
    #[serde(flatten)]
    evaluation: Evaluation,
    scheduled_agents: u32,
}

pub fn run(args: StaffingArgs) -> anyhow::Result<()> {
    let traffic = Traffic::new(args.calls, args.interval_secs, args.aht_secs).map_err(flag)?;
    let patience = args.patience_secs.map(Patience::new).transpose().map_err(flag)?;
    let evaluation = match (args.agents, args.target_sl) {
        (Some(agents), _) => {
            if !(args.target_secs.is_finite() && args.target_secs >= 0.0) {
                bail!("--target-secs: must be a number of seconds, 0 or more");
            }
            evaluate(&traffic, agents, args.target_secs, patience).map_err(flag)?
        }
        (None, Some(share)) => required_agents(&traffic, &Target::new(share, args.target_secs).map_err(flag)?, patience).map_err(flag)?,
        (None, None) => bail!("--target-sl: needed to find the agents required (or give --agents to evaluate a number)"),
    };
    let report = Report { scheduled_agents: scheduled_agents(evaluation.agents, args.shrinkage).map_err(flag)?, evaluation };
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
        return Ok(());
    }
    let e = &report.evaluation;
    println!(
        "offered load        {:.2} Erlangs ({} calls in {} s, AHT {} s){}",
        traffic.load(),
        args.calls,
        args.interval_secs,
        args.aht_secs,
        patience.map_or(String::from(", Erlang C"), |p| format!(", Erlang A with patience {} s", p.secs()))
    );
    let how = if args.agents.is_some() { "evaluated" } else { "required" };
    println!("agents              {} ({how})", e.agents);
    println!("probability of wait {:.2}%", e.p_wait * 100.0);
    println!("service level       {:.2}% within {} s", e.service_level * 100.0, args.target_secs);
    println!("ASA                 {:.1} s", e.asa_secs);
    println!("occupancy           {:.1}%", e.occupancy * 100.0);
    if let Some(p) = e.p_abandon {
        println!("abandoned           {:.2}%", p * 100.0);
    }
    println!("scheduled agents    {} ({:.0}% shrinkage)", report.scheduled_agents, args.shrinkage * 100.0);
    Ok(())
}
