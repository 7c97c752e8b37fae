//! `hotline backup` and `hotline restore`.

use crate::backup;
use crate::config::Config;
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum BackupCommand {
    /// Writes a backup of the database and the files beside it into a new
    /// directory while the server runs, and checks it.
    Create { dir: PathBuf },
    /// Checks a backup: every file's checksum, the database page by page
    /// (SQLite) or its dump read through (PostgreSQL), the rows per table.
    Verify { dir: PathBuf },
}

pub async fn run(config: Config, command: BackupCommand) -> anyhow::Result<()> {
    let (dir, manifest) = match command {
        BackupCommand::Create { dir } => {
            let manifest = backup::create(&config, &dir).await?;
            (dir, manifest)
        }
        BackupCommand::Verify { dir } => {
            let manifest = backup::verify(&dir).await?;
            (dir, manifest)
        }
    };
    println!("{}", summary(&dir, &manifest));
    Ok(())
}

/// `hotline restore DIR`.
pub async fn restore(config: Config, dir: PathBuf, force: bool) -> anyhow::Result<()> {
    let restored = backup::restore(&config, &dir, force).await?;
    println!(
        "restored {} into {} with {} files; the search index is rebuilt when the server starts",
        summary(&dir, &restored.manifest),
        crate::runtime::redact(&config.database_url()),
        restored.files
    );
    Ok(())
}

fn summary(dir: &std::path::Path, manifest: &backup::manifest::Manifest) -> String {
    let rows = |t: &str| manifest.rows.get(t).copied().unwrap_or(0);
    let bytes: u64 = manifest.files.values().map(|f| f.bytes).sum();
    format!(
        "backup {} of {} (hotline {}, {:?}): {} work orders, {} users, {} audit records, {} tables, {} files, {} bytes; checked",
        dir.display(),
        manifest.created_at.to_rfc3339(),
        manifest.hotline_version,
        manifest.engine,
        rows("work_orders"),
        rows("users"),
        rows("audit_log"),
        manifest.rows.len(),
        manifest.files.len(),
        bytes
    )
}
