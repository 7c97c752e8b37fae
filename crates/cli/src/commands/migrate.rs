//! `hotline migrate`.

use crate::config::Config;
use crate::runtime;

pub async fn run(config: Config) -> anyhow::Result<()> {
    let app = runtime::open(&config, runtime::Index::Detached).await?;
    println!("database {} is migrated and holds {} work orders", runtime::redact(&config.database_url()), app.store.count_orders().await?);
    Ok(())
}
