//! `hotline staffing`: agents needed for a service level (Erlang C, or
//! Erlang A with a caller patience). Needs no database.

use super::flag;
use clap::Args;
use hotline_callcentre::staffing::Question;

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

pub fn run(args: StaffingArgs) -> anyhow::Result<()> {
    let question = Question {
        calls: args.calls,
        interval_secs: args.interval_secs,
        aht_secs: args.aht_secs,
        target_sl: args.target_sl,
        target_secs: args.target_secs,
        patience_secs: args.patience_secs,
        shrinkage: args.shrinkage,
        agents: args.agents,
    };
    let report = question.answer().map_err(flag)?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
        return Ok(());
    }
    let e = &report.evaluation;
    println!(
        "offered load        {:.2} Erlangs ({} calls in {} s, AHT {} s){}",
        report.load,
        args.calls,
        args.interval_secs,
        args.aht_secs,
        args.patience_secs.map_or(String::from(", Erlang C"), |p| format!(", Erlang A with patience {p} s"))
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
