//! What the database itself does: single-row inserts, one transaction each,
//! from as many concurrent clients as the API benchmark uses, through a
//! pool set up like the store's (one writer for SQLite, WAL, the same
//! synchronous setting). The API's rates are read against this.

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

pub(crate) async fn pool(url: &str, connections: u32) -> anyhow::Result<AnyPool> {
    install_default_drivers();
    let sqlite = url.starts_with("sqlite:");
    Ok(AnyPoolOptions::new()
        .max_connections(if sqlite { 1 } else { connections })
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if sqlite {
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                }
                Ok(())
            })
        })
        .connect(url)
        .await?)
}

/// Rows per second for `total` single-row inserts of about the size of an
/// order row (1 KiB of text), from `clients` concurrent tasks.
pub async fn insert_rate(url: &str, connections: u32, clients: usize, total: usize) -> anyhow::Result<f64> {
    let pool = pool(url, connections).await?;
    pool.execute("DROP TABLE IF EXISTS bench_raw").await?;
    pool.execute("CREATE TABLE bench_raw (id BIGINT PRIMARY KEY, at BIGINT NOT NULL, body TEXT NOT NULL)").await?;
    let body: Arc<str> = "市民来电反映路灯损坏多日不亮，晚上漆黑一片，请尽快维修。".repeat(12).into();
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (pool, next, body) = (pool.clone(), next.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    return Ok::<(), sqlx::Error>(());
                }
                sqlx::query("INSERT INTO bench_raw (id, at, body) VALUES ($1, $2, $3)")
                    .bind(i as i64)
                    .bind(i as i64 * 1_000)
                    .bind(&*body)
                    .execute(&pool)
                    .await?;
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    let rate = total as f64 / started.elapsed().as_secs_f64();
    pool.execute("DROP TABLE bench_raw").await?;
    pool.close().await;
    Ok(rate)
}

/// How to measure the raw rate again: before the API's runs and after them,
/// as the machine's speed can move between the two.
pub struct Probe {
    pub url: String,
    pub connections: u32,
    pub clients: usize,
    /// Rows per run.
    pub rows: usize,
}

impl Probe {
    /// Three runs, sorted: a run that meets a WAL checkpoint is slower.
    pub async fn rates(&self) -> anyhow::Result<Vec<f64>> {
        let mut rates = Vec::new();
        for _ in 0..3 {
            rates.push(insert_rate(&self.url, self.connections, self.clients, self.rows).await?);
        }
        rates.sort_by(f64::total_cmp);
        Ok(rates)
    }
}

/// The median of sorted rates (of an even count, the mean of the middle two).
pub fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

pub fn describe(sorted: &[f64]) -> String {
    let runs: Vec<String> = sorted.iter().map(|r| format!("{r:.0}")).collect();
    format!("{:.0} rows/s (median of {})", median(sorted), runs.join(" / "))
}
