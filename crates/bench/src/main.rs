//! `hotline-bench`: the work-order API under load.
//!
//! 1. Opens a fresh database (a new SQLite file, or the PostgreSQL database
//!    given) and loads reference data and users.
//! 2. Bulk-loads `--orders` stored orders (most archived, some waiting on
//!    units), as a city accumulates them.
//! 3. Serves the real HTTP API on a local port and measures, with
//!    `--clients` concurrent keep-alive clients: registrations (POST
//!    /work-orders), transitions (dispatch then sign-for), and a busy unit's
//!    pending list (GET /work-orders/pending).
//!
//! Client and server share the machine, as they would on a 2-core box.

mod load;
mod measure;

use anyhow::Context;
use clap::Parser;
use hotline_app::clock::SystemClock;
use hotline_app::{App, AppConfig};
use hotline_blob_fs::FsBlobStore;
use hotline_store_sql::{SqlStore, StoreOptions};
use std::sync::Arc;

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
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
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
    let config = AppConfig { number_block: 1_000, ..AppConfig::default() };
    let app = App::new(
        store.clone(),
        Arc::new(FsBlobStore::new(dir.path().join("blobs"))),
        Arc::new(hotline_search::TantivySearch::open(&dir.path().join("index"))?),
        config,
        Arc::new(SystemClock),
    )
    .await?;
    hotline_seed::seed_reference(&app).await?;
    if app.store.count_orders().await? > 0 {
        anyhow::bail!("the database already holds orders; give an empty one");
    }

    println!("# hotline benchmark: {backend}, {} stored orders, {} clients", args.orders, args.clients);
    let people = load::users(&app).await?;
    let loaded = load::orders(&app, &people, args.orders).await?;
    println!(
        "bulk load: {} orders in {:.1} s ({:.0} orders/s)",
        args.orders,
        loaded.as_secs_f64(),
        args.orders as f64 / loaded.as_secs_f64()
    );
    // As autovacuum or an operator would after an import.
    store.analyze().await?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let router = hotline_http::router(app.clone(), hotline_http::HttpConfig::default());
    tokio::spawn(async move { axum::serve(listener, router).await });

    measure::all(&app, &base, &args).await
}
