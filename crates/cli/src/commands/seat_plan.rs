//! `hotline seat-plan`: agents per skill for every half-hour of the week,
//! from a spreadsheet of calls or the calls stored in the database, the
//! shifts that cover them, and where a roster falls short.

use super::flag;
use crate::config::Config;
use crate::runtime;
use anyhow::{Context, bail};
use clap::Args;
use hotline_callcentre::seatplan::{Demand, PlanSettings, SLOTS, SkillPlan, Slot, plan_skills};
use hotline_callcentre::staffing::{Patience, Target};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct SeatPlanArgs {
    /// .csv or .xlsx with the columns skill, weekday (mon … sun), start
    /// (HH:MM on a half-hour), calls (in that half-hour), aht_secs.
    #[arg(long, required_unless_present = "from_db", conflicts_with = "from_db")]
    calls: Option<PathBuf>,
    /// Read the calls of the last `--weeks` weeks from the database instead.
    #[arg(long)]
    pub from_db: bool,
    /// Weeks of stored calls averaged (1–13).
    #[arg(long, default_value_t = 4)]
    weeks: u32,
    /// Handling time assumed for a half-hour whose calls were all missed.
    #[arg(long, default_value_t = 180.0)]
    default_aht_secs: f64,
    /// Optional .csv or .xlsx roster: skill, weekday, start, agents.
    #[arg(long)]
    roster: Option<PathBuf>,
    #[arg(long, default_value_t = 0.8)]
    target_sl: f64,
    #[arg(long, default_value_t = 15.0)]
    target_secs: f64,
    /// Mean caller patience in seconds: Erlang A instead of Erlang C.
    #[arg(long)]
    patience_secs: Option<f64>,
    #[arg(long, default_value_t = 0.3)]
    shrinkage: f64,
    /// Length of a shift in hours (on half-hours).
    #[arg(long, default_value_t = 8.0)]
    shift_hours: f64,
    #[arg(long)]
    json: bool,
}

/// Rows of a sheet as maps from column to cell, checking the columns.
fn rows(path: &Path, columns: &[&str]) -> anyhow::Result<Vec<(usize, BTreeMap<String, String>)>> {
    let table = hotline_tabular::read(path)?;
    let missing: Vec<&&str> = columns.iter().filter(|c| !table.header.iter().any(|h| h == *c)).collect();
    if !missing.is_empty() {
        bail!("{}: missing column(s) {:?}; the header must name {}", path.display(), missing, columns.join(", "));
    }
    Ok(table.rows.into_iter().map(|(line, cells)| (line, table.header.iter().cloned().zip(cells).collect())).collect())
}

fn number(path: &Path, line: usize, row: &BTreeMap<String, String>, column: &str) -> anyhow::Result<f64> {
    let text = row.get(column).map(|s| s.trim()).unwrap_or("");
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .with_context(|| format!("{} line {line}: {column} {text:?} is not a number of 0 or more", path.display()))
}

fn slot(path: &Path, line: usize, row: &BTreeMap<String, String>) -> anyhow::Result<Slot> {
    let get = |c: &str| row.get(c).map(String::as_str).unwrap_or("");
    Slot::parse(get("weekday"), get("start")).map_err(|e| anyhow::anyhow!("{} line {line}: {e}", path.display()))
}

/// From the calls stored in the database over the last `--weeks` weeks.
pub async fn run_from_db(config: Config, args: SeatPlanArgs) -> anyhow::Result<()> {
    let app = runtime::open(&config, runtime::Index::Detached).await?;
    let demands = app.calls.seat_demand(args.weeks, args.default_aht_secs).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    if demands.is_empty() {
        bail!("no calls were stored in the last {} week(s); use --calls with a spreadsheet instead", args.weeks);
    }
    run(args, Some(demands))
}

fn read_demands(path: &Path) -> anyhow::Result<Vec<Demand>> {
    let mut demands = Vec::new();
    for (line, row) in rows(path, &["skill", "weekday", "start", "calls", "aht_secs"])? {
        let skill = row.get("skill").map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let skill = skill.with_context(|| format!("{} line {line}: skill is empty", path.display()))?;
        let aht_secs = number(path, line, &row, "aht_secs")?;
        if aht_secs <= 0.0 {
            bail!("{} line {line}: aht_secs must be above 0", path.display());
        }
        demands.push(Demand { skill, slot: slot(path, line, &row)?, calls: number(path, line, &row, "calls")?, aht_secs });
    }
    Ok(demands)
}

/// Plans from the given demands, or from the `--calls` spreadsheet.
pub fn run(args: SeatPlanArgs, demands: Option<Vec<Demand>>) -> anyhow::Result<()> {
    let target = Target::new(args.target_sl, args.target_secs).map_err(flag)?;
    let patience = args.patience_secs.map(Patience::new).transpose().map_err(flag)?;
    // Out of range (negative and NaN become 0) is refused by the planner.
    let shift_slots = (args.shift_hours * 2.0).round();
    let demands = match (demands, &args.calls) {
        (Some(d), _) => d,
        (None, Some(path)) => read_demands(path)?,
        (None, None) => bail!("give --calls FILE or --from-db"),
    };
    let mut roster: BTreeMap<(String, Slot), u32> = BTreeMap::new();
    if let Some(path) = &args.roster {
        for (line, row) in rows(path, &["skill", "weekday", "start", "agents"])? {
            let skill = row.get("skill").map(|s| s.trim().to_owned()).unwrap_or_default();
            *roster.entry((skill, slot(path, line, &row)?)).or_default() += number(path, line, &row, "agents")? as u32;
        }
    }
    let settings = PlanSettings { target, patience, shrinkage: args.shrinkage, shift_slots: shift_slots as usize };
    let plans: Vec<SkillPlan> = plan_skills(&demands, &settings).map_err(flag)?;
    let shortfalls: Vec<(String, Slot, u32, u32)> = plans
        .iter()
        .flat_map(|p| p.needs.iter().map(move |n| (p.skill.clone(), n.slot, n.scheduled)))
        .filter_map(|(skill, slot, needed)| {
            let have = roster.get(&(skill.clone(), slot)).copied().unwrap_or(0);
            (args.roster.is_some() && have < needed).then_some((skill, slot, have, needed))
        })
        .collect();
    if args.json {
        let short: Vec<_> = shortfalls
            .iter()
            .map(
                |(skill, slot, have, needed)| serde_json::json!({"skill": skill, "slot": slot.label(), "rostered": have, "needed": needed}),
            )
            .collect();
        println!("{}", serde_json::json!({ "plans": plans, "shortfalls": short }));
        return Ok(());
    }
    for p in &plans {
        let peak = p.needs.iter().max_by(|a, b| a.scheduled.cmp(&b.scheduled).then(b.slot.cmp(&a.slot))).expect("a week of slots");
        println!(
            "skill {}: {} shifts of {} h a week; peak {} rostered ({} on the phones) at {}",
            p.skill,
            p.shifts,
            args.shift_hours,
            peak.scheduled,
            peak.agents,
            peak.slot.label()
        );
        for day in 0..7 {
            let needs = &p.needs[day * 48..(day + 1) * 48];
            let row: Vec<String> = needs.iter().step_by(2).map(|n| format!("{:>3}", n.scheduled)).collect();
            println!("  {} (hourly rostered) {}", Slot(day * 48).label().split(' ').next().unwrap_or(""), row.join(""));
        }
        let starts: Vec<String> = p.shift_starts.iter().map(|(s, n)| format!("{} ×{n}", s.label())).collect();
        println!("  shift starts: {}", starts.join(", "));
    }
    if args.roster.is_some() {
        if shortfalls.is_empty() {
            println!("the roster covers every half-hour");
        }
        for (skill, slot, have, needed) in &shortfalls {
            println!("short: {skill} {}: rostered {have}, needed {needed} ({} short)", slot.label(), needed - have);
        }
    }
    debug_assert_eq!(plans.first().map_or(SLOTS, |p| p.needs.len()), SLOTS);
    Ok(())
}
