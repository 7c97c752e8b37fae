//! `hotline import orders FILE --mapping MAPPING.toml [--dry-run]`: historical
//! work orders from a legacy system (see `docs/legacy-import.md`).

use crate::config::Config;
use crate::runtime;
use anyhow::Context;
use clap::Subcommand;
use hotline_app::legacy::ImportMapping;
use std::io::Write;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum ImportCommand {
    /// Imports work orders from a .csv or .xlsx file through a column
    /// mapping. Legacy numbers already stored are skipped, so it is safe to run twice.
    Orders {
        file: PathBuf,
        /// The TOML file mapping source columns, values and date formats.
        #[arg(long)]
        mapping: PathBuf,
        /// Validate every row and report, without writing anything.
        #[arg(long)]
        dry_run: bool,
    },
}

pub async fn run(config: Config, command: ImportCommand) -> anyhow::Result<()> {
    let ImportCommand::Orders { file, mapping, dry_run } = command;
    let text = std::fs::read_to_string(&mapping).with_context(|| format!("cannot read {}", mapping.display()))?;
    let mapping: ImportMapping = toml::from_str(&text).with_context(|| format!("{}", mapping.display()))?;
    let table = hotline_tabular::read(&file)?;
    let app = runtime::open(&config, runtime::Index::Detached).await?;
    let report = app
        .orders
        .import_legacy(None, &mapping, &table.header, &table.rows, dry_run, |done, total| {
            eprint!("\r{done}/{total} rows ({}%)", done * 100 / total.max(1));
            let _ = std::io::stderr().flush();
        })
        .await?;
    if report.rows > 0 {
        eprintln!();
    }
    for (line, reason) in &report.rejected {
        println!("line {line}: rejected: {reason}");
    }
    println!(
        "{}: {} rows, {} {}, {} already stored, {} rejected; {} given a number of ours, {} with a default unit or category",
        file.display(),
        report.rows,
        report.imported,
        if dry_run { "would be imported (dry run: nothing written)" } else { "imported" },
        report.already_stored,
        report.rejected.len(),
        report.renumbered,
        report.defaulted
    );
    Ok(())
}
