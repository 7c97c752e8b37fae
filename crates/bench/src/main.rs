//! `hotline-bench`: the work-order API under load.
//!
//! 1. Opens a fresh database (a new SQLite file, or the PostgreSQL database
//!    given) and loads reference data and users.
//! 2. Bulk-loads `--orders` realistic stored orders (most archived, some
//!    waiting on units), as a city accumulates them.
//! 3. Times single-row inserts into a scratch table of the same database:
//!    what the database does on its own, to read the API's rates against.
//! 4. Serves the real HTTP API on a local port and measures, with
//!    `--clients` concurrent keep-alive clients: registrations without a
//!    town and realistic ones (towns, addresses, the demo's texts and
//!    categories), transitions (dispatch then sign-for) and a busy unit's
//!    pending list; then the same again while a surge of reports about one
//!    flooded street arrives alongside; then creates without towns again,
//!    so the surge is compared with runs before and after it on a database
//!    of its size. Resident memory is printed with
//!    every figure; `--soak N` registers N orders in ten rounds instead and
//!    prints memory after each.
//!
//! Client and server share the machine, as they would on a 2-core box.

mod bodies;
mod load;
mod measure;
mod memory;
mod open311;
mod raw;
mod settling;
mod wal;

use anyhow::Context;
use clap::Parser;
use hotline_app::calls::Lines;
use hotline_app::clock::SystemClock;
use hotline_app::{Adapters, App, AppConfig};
use hotline_blob_fs::FsBlobStore;
use hotline_store_sql::{SqlStore, StoreOptions};
use std::sync::Arc;

/// As the server's binary: glibc's allocator fragments under a long load
/// and its resident memory creeps up. Counted, so the soak can tell the
/// memory Rust code holds from what the allocator keeps beside it (and
/// from SQLite's, which comes through mimalloc's `override`, uncounted).
#[global_allocator]
static ALLOCATOR: cap::Cap<mimalloc::MiMalloc> = cap::Cap::new(mimalloc::MiMalloc, usize::MAX);

/// What Rust code holds now, in MiB: every allocation not yet freed, not
/// what the allocator keeps for reuse, nor SQLite's own (C) allocations.
fn heap_mib() -> f64 {
    ALLOCATOR.allocated() as f64 / 1_048_576.0
}

#[derive(Parser)]
#[command(about = "Benchmark the hotline's work-order API")]
pub struct Args {
    /// sqlite://PATH or postgres://…; default: a new SQLite file in a temporary directory.
    /// A PostgreSQL database must be empty (the benchmark migrates and fills it).
    #[arg(long)]
    database_url: Option<String>,
    /// Orders stored before measuring.
    #[arg(long, default_value_t = 1_000_000)]
    orders: usize,
    /// Concurrent HTTP clients.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Registrations to send.
    #[arg(long, default_value_t = 20_000)]
    creates: usize,
    /// Orders to dispatch and sign (two transitions each).
    #[arg(long, default_value_t = 5_000)]
    transitions: usize,
    /// Pending-list requests to send.
    #[arg(long, default_value_t = 5_000)]
    lists: usize,
    /// Database connections (PostgreSQL) or readers (SQLite).
    #[arg(long, default_value_t = 16)]
    connections: u32,
    /// Only time the evaluation figures after loading; skip the HTTP load.
    #[arg(long)]
    evaluation_only: bool,
    /// Share of loaded orders left open, in percent (5–100).
    #[arg(long, default_value_t = 15)]
    open_percent: u32,
    /// Only time the deadline scan after loading; skip everything else.
    #[arg(long)]
    deadline_scan_only: bool,
    /// Reports of one flooded street sent during the surge phase.
    #[arg(long, default_value_t = 1_000)]
    surge_orders: usize,
    /// The pace of the surge's reports.
    #[arg(long, default_value_t = 50.0)]
    surge_per_second: f64,
    /// Single-row inserts timed to measure what the database does on its own.
    #[arg(long, default_value_t = 50_000)]
    raw_rows: usize,
    /// Only measure Open311 reads (`--lists` requests per phase), one loaded
    /// order in ten marked as submitted by a partner's system.
    #[arg(long)]
    open311_only: bool,
    /// Only register this many realistic orders in ten rounds, printing the
    /// rate and resident memory after each (a soak test of memory).
    #[arg(long)]
    soak: Option<usize>,
}

/// The monthly ranking (this month and last, as published) and a year's
/// figures per unit over every stored order; the best and median of 5 runs.
async fn evaluation(app: &App) -> anyhow::Result<()> {
    use hotline_app::access::EvaluationView;
    use hotline_app::evaluation::Dimension;
    let view = EvaluationView::operator();
    let month = app.evaluation.this_month().previous();
    let (from, to) = app.evaluation.month_span(month);
    let now = app.clock.now();
    let in_month: u64 = app.store.kpi_counts(from, to, now, Dimension::Unit).await?.iter().map(|(_, c)| c.orders).sum();
    let report = |what: String, mut times: Vec<f64>| {
        times.sort_by(f64::total_cmp);
        println!("{what}: best {:.0} ms, median {:.0} ms", times[0] * 1e3, times[times.len() / 2] * 1e3);
    };
    let mut times = Vec::new();
    for _ in 0..5 {
        let started = std::time::Instant::now();
        app.evaluation.ranking(&view, month, Dimension::Unit).await?;
        times.push(started.elapsed().as_secs_f64());
    }
    report(format!("monthly ranking of units ({} with {in_month} orders, and the month before)", month.label()), times);
    let mut times = Vec::new();
    let mut rows = 0;
    for _ in 0..5 {
        let started = std::time::Instant::now();
        rows = app.evaluation.figures(&view, now - chrono::Duration::days(366), now, Dimension::Unit).await?.len();
        times.push(started.elapsed().as_secs_f64());
    }
    report(format!("a year's figures per unit (every stored order, {rows} units)"), times);
    Ok(())
}

/// The deadline scan over every stored order's timers: the first scan
/// catches up on everything that fell due over the year (as after a long
/// outage), then the steady-state scan the server runs every 30 seconds
/// finds nothing new; best and median of 5 runs.
async fn deadline_scan(app: &App) -> anyhow::Result<()> {
    anyhow::ensure!(app.store.count_orders().await? > 0, "no orders loaded");
    let started = std::time::Instant::now();
    let caught_up = app.supervision.scan().await?;
    println!(
        "catch-up scan: {} timers fired, {} alerts raised in {:.1} s ({:.0} timers/s)",
        caught_up.fired,
        caught_up.raised,
        started.elapsed().as_secs_f64(),
        caught_up.fired as f64 / started.elapsed().as_secs_f64()
    );
    let mut times = Vec::new();
    for _ in 0..5 {
        let started = std::time::Instant::now();
        let report = app.supervision.scan().await?;
        times.push(started.elapsed().as_secs_f64());
        anyhow::ensure!(report.fired == 0, "a second scan found {} more timers", report.fired);
    }
    times.sort_by(f64::total_cmp);
    println!("steady-state scan (nothing due): best {:.1} ms, median {:.1} ms", times[0] * 1e3, times[2] * 1e3);
    Ok(())
}

async fn seal(app: App) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        tick.tick().await;
        if let Err(e) = app.auditor.seal_all().await {
            eprintln!("sealing the audit log failed: {e}");
        }
    }
}

fn main() -> anyhow::Result<()> {
    // As the server: without these its memory figures would not be the
    // server's (`hotline_process`).
    if let Err(e) = hotline_process::with_prompt_purge() {
        eprintln!("warning: cannot start over with {}=0 ({e}); memory figures will differ from the server's", hotline_process::PURGE_DELAY);
    }
    let args = Args::parse();
    // Off unless RUST_LOG asks (e.g. RUST_LOG=sqlx::query=debug to see every statement).
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    if let Err(e) = hotline_process::without_huge_pages() {
        eprintln!("warning: cannot turn transparent huge pages off ({e}); memory figures will differ from the server's");
    }
    let rt = hotline_process::runtime()?;
    rt.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = args.database_url.clone().unwrap_or_else(|| format!("sqlite://{}/bench.db", dir.path().display()));
    let store =
        SqlStore::connect(&url, StoreOptions { max_connections: args.connections, ..Default::default() }).await.context("connect")?;
    store.migrate().await.context("migrate")?;
    let backend = format!("{:?}", store.backend());
    let store = Arc::new(store);
    // Order numbers reserved in the server's blocks of 50, not larger ones:
    // a reservation is a write beside the registrations.
    let mut config = AppConfig::default();
    if args.soak.is_some() {
        // The soak reads memory once the topics hold each round's orders
        // and their surge pass has run over them (`measure::soak`); with
        // the usual minute they could still be those computed before a
        // round of half a minute.
        config.topics.refresh_seconds = 5;
    }
    let adapters = Adapters {
        store: store.clone(),
        blobs: Arc::new(FsBlobStore::new(dir.path().join("blobs"))),
        search: Arc::new(hotline_search::TantivySearch::open(&dir.path().join("index"))?),
        lines: Lines::Simulated,
        audit: hotline_blob_fs::ephemeral_audit_anchor(dir.path()),
        models: std::sync::Arc::new(hotline_app::suggestions::NoShelf),
    };
    let app = App::new(adapters, config, Arc::new(SystemClock)).await?;
    hotline_seed::seed_reference(&app).await?;
    if app.store.count_orders().await? > 0 {
        anyhow::bail!("the database already holds orders; give an empty one");
    }

    println!("# hotline benchmark: {backend}, {} stored orders, {} clients", args.orders, args.clients);
    let people = load::users(&app).await?;
    let partner = args.open311_only.then_some(open311::SOURCE);
    let loaded = load::orders(&app, &people, args.orders, args.open_percent, partner).await?;
    println!(
        "bulk load: {} orders in {:.1} s ({:.0} orders/s)",
        args.orders,
        loaded.as_secs_f64(),
        args.orders as f64 / loaded.as_secs_f64()
    );
    // As autovacuum or an operator would after an import.
    store.analyze().await?;
    // As `hotline reindex` would after an import: a server that starts on a
    // year of orders builds its index once, before the measured runs.
    let started = std::time::Instant::now();
    let indexed = app.search.refresh().await?;
    println!("search index: {} orders in {:.1} s", indexed.orders, started.elapsed().as_secs_f64());
    if args.deadline_scan_only {
        return deadline_scan(&app).await;
    }
    if args.evaluation_only {
        return evaluation(&app).await;
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let router = hotline_http::router(app.clone(), hotline_http::HttpConfig::default());
    tokio::spawn(async move { axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await });
    // As the server does: the search index follows every new order, the
    // emergency catch-up runs, hot topics feed the surge warning every
    // minute, the audit chain is sealed.
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    let refresh = std::time::Duration::from_secs(2);
    tokio::spawn(hotline_app::knowledge::maintain(app.knowledge.clone(), app.search.clone(), refresh, stopped));
    app.emergency.clone().spawn_catch_up(std::time::Duration::from_secs(30), chrono::Duration::minutes(15), app.leases.clone());
    // As the server: the pass runs at each refresh of the topics.
    let every = std::time::Duration::from_secs(u64::from(app.topics.config.refresh_seconds));
    app.topics.clone().spawn_surge_watch(app.emergency.clone(), every, app.leases.clone());
    tokio::spawn(seal(app.clone()));
    if store.backend() == hotline_store_sql::Backend::Postgres {
        // As the server on PostgreSQL: the tables growing under the runs are analyzed.
        tokio::spawn(hotline_store_sql::keep_statistics(store.clone(), app.leases.clone()));
    }
    if args.open311_only {
        return open311::measure(&app, &base, &args).await;
    }
    if let Some(total) = args.soak {
        let sqlite_file = args.database_url.is_none().then(|| dir.path().join("bench.db"));
        return measure::soak(&app, &base, &args, total, sqlite_file).await;
    }

    // The bulk load's WAL is folded into the tables before measuring, so
    // the checkpoint it would call for does not fall inside the runs.
    let wal = wal::Mark::after_checkpoint(&url).await?;
    let raw = raw::Probe { url: url.clone(), connections: args.connections, clients: args.clients, rows: args.raw_rows / 3 };
    let before = raw.rates().await?;
    println!("raw single-row inserts, {} clients: {}", args.clients, raw::describe(&before));
    measure::all(&app, &base, &args, &raw, before, wal, &store).await
}
