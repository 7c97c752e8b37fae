//! `hotline simulate`: a day (or more) of the centre in seconds, with the
//! real distribution engine, printing the service levels hour by hour.

use super::flag;
use clap::Args;
use hotline_callcentre::profile::{hourly_calls, roster};
use hotline_callcentre::simulator::{HandleTime, Scenario, simulate};
use hotline_callcentre::staffing::{Patience, Target};

#[derive(Args)]
pub struct SimulateArgs {
    /// Calls offered in a day, spread over the hours like a city hotline's.
    #[arg(long, default_value_t = 40_000.0)]
    calls_per_day: f64,
    /// Seats in the centre: the most agents on the phones in any hour.
    #[arg(long, default_value_t = 300)]
    seats: u32,
    /// Fewest agents on duty in any hour.
    #[arg(long, default_value_t = 10)]
    min_agents: u32,
    /// Average handle time in seconds.
    #[arg(long, default_value_t = 180.0)]
    aht_secs: f64,
    /// Spread of handle times: log-normal with this standard deviation; none: exponential.
    #[arg(long)]
    aht_sd_secs: Option<f64>,
    /// Mean caller patience in seconds; 0: callers never hang up.
    #[arg(long, default_value_t = 120.0)]
    patience_secs: f64,
    /// Roster target: this share answered within --target-secs.
    #[arg(long, default_value_t = 0.8)]
    target_sl: f64,
    #[arg(long, default_value_t = 15)]
    target_secs: u32,
    #[arg(long, default_value_t = 1)]
    days: u32,
    #[arg(long, default_value_t = 12345)]
    seed: u64,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: SimulateArgs) -> anyhow::Result<()> {
    if !(args.calls_per_day.is_finite() && args.calls_per_day > 0.0) {
        anyhow::bail!("--calls-per-day: must be a number of calls above 0");
    }
    if args.seats == 0 || args.days == 0 || args.days > 366 {
        anyhow::bail!("--seats must be 1 or more and --days between 1 and 366");
    }
    if !(args.patience_secs.is_finite() && args.patience_secs >= 0.0) {
        anyhow::bail!("--patience-secs: must be a number of seconds, 0 for callers who never hang up");
    }
    let patience = if args.patience_secs > 0.0 { Some(Patience::new(args.patience_secs).map_err(flag)?) } else { None };
    let target = Target::new(args.target_sl, f64::from(args.target_secs)).map_err(flag)?;
    let calls = hourly_calls(args.calls_per_day);
    let agents = roster(&calls, args.aht_secs, &target, patience, args.min_agents, args.seats).map_err(flag)?;
    let handle = match args.aht_sd_secs {
        Some(sd) if sd > 0.0 => HandleTime::LogNormal { mean_secs: args.aht_secs, sd_secs: sd },
        _ => HandleTime::Exponential { mean_secs: args.aht_secs },
    };
    let scenario = Scenario {
        seed: args.seed,
        calls_per_hour: calls,
        agents_per_hour: agents.clone(),
        hours: args.days * 24,
        handle,
        patience_secs: patience.map(|p| p.secs()),
        threshold_secs: args.target_secs,
    };
    let started = std::time::Instant::now();
    let report = simulate(&scenario)?;
    let elapsed = started.elapsed().as_secs_f64();
    if args.json {
        println!("{}", serde_json::json!({ "agents_per_hour": agents, "report": report, "seconds": elapsed }));
        return Ok(());
    }
    println!("hour  agents   offered  answered  abandoned  接通率   within {}s   SL2     ASA", args.target_secs);
    for (h, f) in report.hours.iter().enumerate() {
        println!(
            "{:>4}  {:>6}  {:>8}  {:>8}  {:>9}  {:>6.1}%  {:>9.1}%  {:>5.1}%  {:>5.1} s",
            h,
            agents[h % 24],
            f.offered,
            f.answered,
            f.abandoned,
            f.connection_rate * 100.0,
            f.answered_within_share * 100.0,
            f.sl2 * 100.0,
            f.asa_secs
        );
    }
    let t = &report.total;
    println!(
        "total       {:>8}  {:>8}  {:>9}  {:>6.1}%  {:>9.1}%  {:>5.1}%  {:>5.1} s",
        t.offered,
        t.answered,
        t.abandoned,
        t.connection_rate * 100.0,
        t.answered_within_share * 100.0,
        t.sl2 * 100.0,
        t.asa_secs
    );
    println!("{} calls simulated in {elapsed:.2} s ({:.0} calls/minute)", report.calls, report.calls as f64 / elapsed * 60.0);
    Ok(())
}
