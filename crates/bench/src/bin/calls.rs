//! `hotline-calls-bench`: reading a month of a busy centre's stored calls,
//! as the seat plan (`GET /api/v1/callcentre/seat-plan`) and the
//! service-level figures over a span do: time and peak memory.

use anyhow::Context;
use chrono::{Duration, Utc};
use clap::Parser;
use hotline_app::calls::CallRow;
use hotline_app::calls::Lines;
use hotline_app::clock::SystemClock;
use hotline_app::{Adapters, App, AppConfig};
use hotline_blob_fs::FsBlobStore;
use hotline_callcentre::engine::Outcome;
use hotline_callcentre::seatplan::{PlanSettings, plan_skills};
use hotline_callcentre::staffing::Target;
use hotline_domain::UserId;
use hotline_store_sql::{SqlStore, StoreOptions};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use std::time::Instant;

#[derive(Parser)]
#[command(about = "Benchmark reading stored calls for the seat plan and the figures")]
struct Args {
    /// Calls stored over the last four weeks (a 300-seat centre answering
    /// about 69 calls per consultant a day takes about 580,000).
    #[arg(long, default_value_t = 580_000)]
    calls: usize,
    /// Times each reading is repeated.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// A PostgreSQL database to use instead of a temporary SQLite file (it must hold no calls).
    #[arg(long)]
    database_url: Option<String>,
}

fn peak_memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| status.lines().find(|l| l.starts_with(name)).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok());
    let mib = |kib: Option<f64>| kib.map_or("?".into(), |k| format!("{:.0} MiB", k / 1024.0));
    format!("peak RSS {}, current RSS {}", mib(field("VmHWM:")), mib(field("VmRSS:")))
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = args.database_url.clone().unwrap_or_else(|| format!("sqlite://{}/calls.db", dir.path().display()));
    let store = SqlStore::connect(&url, StoreOptions::default()).await.context("connect")?;
    store.migrate().await.context("migrate")?;
    let backend = format!("{:?}", store.backend());
    let adapters = Adapters {
        store: Arc::new(store),
        blobs: Arc::new(FsBlobStore::new(dir.path().join("blobs"))),
        search: Arc::new(hotline_search::TantivySearch::open(&dir.path().join("index"))?),
        lines: Lines::Simulated,
        audit: hotline_blob_fs::ephemeral_audit_anchor(dir.path()),
        models: std::sync::Arc::new(hotline_app::suggestions::NoShelf),
    };
    let app = App::new(adapters, AppConfig::default(), Arc::new(SystemClock)).await?;
    let now = Utc::now();
    let month = now - Duration::weeks(4);
    if !app.store.calls(month, now).await?.is_empty() {
        anyhow::bail!("the database already holds calls; give an empty one");
    }

    // The general queue takes two calls in three; answered ones talk 1–7 minutes.
    println!("# hotline calls benchmark: {backend}, {} calls over four weeks", args.calls);
    let queues = ["general", "general", "general", "general", "12333", "12358"];
    let mut rng = StdRng::seed_from_u64(7);
    let started = Instant::now();
    for i in 0..args.calls {
        let arrived_at = month + Duration::milliseconds(rng.random_range(0..Duration::weeks(4).num_milliseconds()));
        let answered = rng.random_bool(0.95);
        let answered_at = answered.then(|| arrived_at + Duration::seconds(rng.random_range(1..30)));
        let call = CallRow {
            agent: answered.then_some(UserId(1 + (i % 300) as i64)),
            answered_at,
            wrap_up_secs: 20,
            ..CallRow::ended(
                i as i64 + 1,
                queues[i % queues.len()],
                format!("1380013{:04}", i % 10_000),
                arrived_at,
                answered_at.unwrap_or(arrived_at) + Duration::seconds(rng.random_range(20..420)),
                if answered { Outcome::Answered } else { Outcome::Abandoned },
            )
        };
        app.store.insert_call(&call, false).await?;
    }
    let secs = started.elapsed().as_secs_f64();
    println!("stored {} calls in {secs:.1} s ({:.0} calls/s); {}", args.calls, args.calls as f64 / secs, peak_memory());

    let time = |mut samples: Vec<f64>| {
        samples.sort_by(f64::total_cmp);
        format!("best {:.0} ms, median {:.0} ms", samples[0], samples[samples.len() / 2])
    };
    let mut read = Vec::new();
    for _ in 0..args.runs {
        let t = Instant::now();
        let calls = app.store.calls(month, now).await?;
        read.push(t.elapsed().as_secs_f64() * 1e3);
        anyhow::ensure!(calls.len() == args.calls, "read {} calls of {}", calls.len(), args.calls);
    }
    println!("four weeks of calls read (the figures' input): {}; {}", time(read), peak_memory());

    let settings = PlanSettings { target: Target::new(0.8, 15.0)?, patience: None, shrinkage: 0.3, shift_slots: 16 };
    let mut planned = Vec::new();
    let mut shifts = 0;
    for _ in 0..args.runs {
        let t = Instant::now();
        let plans = plan_skills(&app.calls.seat_demand(4, 180.0).await?, &settings)?;
        planned.push(t.elapsed().as_secs_f64() * 1e3);
        shifts = plans.iter().map(|p| p.shifts).sum::<u32>();
    }
    println!("seat plan from four weeks of calls ({shifts} shifts a week): {}; {}", time(planned), peak_memory());
    Ok(())
}
