//! `hotline partitions`.

use crate::config::Config;
use crate::runtime;
use anyhow::Context;
use chrono::Utc;

#[derive(clap::Args)]
pub struct PartitionsArgs {
    /// Months to make ahead of the current one (default:
    /// `database.partition_months_ahead`).
    #[arg(long)]
    ahead: Option<u32>,
    /// Only list the partitions, changing nothing.
    #[arg(long)]
    list: bool,
}

pub async fn run(config: Config, args: PartitionsArgs) -> anyhow::Result<()> {
    let store = runtime::open_store(&config).await?;
    if !args.list {
        let ahead = args.ahead.unwrap_or(config.database.partition_months_ahead);
        anyhow::ensure!(ahead >= 1, "--ahead: must be at least 1");
        let report = store.partition_by_month(Utc::now(), ahead).await.context("cannot partition the tables")?;
        for table in &report.converted {
            println!("partitioned {table} by month");
        }
        if !report.converted.is_empty() && !config.database.generic_plans {
            println!("advised: database.generic_plans = true, or registrations slow by about a third (docs/operations.md)");
        }
        println!("{} monthly partitions made", report.created.len());
    }
    for p in store.partitions().await.context("cannot list the partitions")? {
        let day = |at: Option<chrono::DateTime<Utc>>| at.map_or("…".to_owned(), |at| at.format("%Y-%m-%d").to_string());
        println!("{:<16} {:<40} {} – {}", p.table, p.name, day(p.from), day(p.to));
    }
    Ok(())
}
