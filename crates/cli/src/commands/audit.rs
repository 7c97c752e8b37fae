//! `hotline audit verify`.

use crate::config::Config;
use crate::runtime;
use anyhow::bail;
use clap::Subcommand;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Seals pending records and checks the whole hash chain; fails if it is broken.
    Verify,
}

pub async fn run(config: Config, AuditCommand::Verify: AuditCommand) -> anyhow::Result<()> {
    let store = runtime::open_store(&config).await?;
    let app = runtime::open_app(&config, store, runtime::Index::Detached).await?;
    let sealed = app.auditor.seal_all().await?;
    let report = app.auditor.verify().await?;
    match report.problem {
        None => {
            println!("audit chain intact: {} records verified ({sealed} newly sealed)", report.sealed);
            Ok(())
        }
        Some(problem) => bail!("audit chain BROKEN after {} intact records: {problem}", report.sealed),
    }
}
