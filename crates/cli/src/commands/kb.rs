//! `hotline kb import|export|reindex`: the knowledge base from the command line.

use crate::config::Config;
use crate::runtime;
use anyhow::{Context, bail};
use clap::Subcommand;
use hotline_app::access::AdminDesk;
use hotline_app::knowledge::index::IndexKind;
use hotline_app::knowledge::transfer::{self, ArticleRow, COLUMNS, OPTIONAL_COLUMNS};
use std::io::Write;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum KbCommand {
    /// Imports articles from a .csv or .xlsx file with the columns title,
    /// body, department, category, keywords, public (and optionally script,
    /// source, towns, effective_from, expires_on). Safe to run twice.
    Import {
        file: PathBuf,
        /// Leave new and changed articles as drafts for review instead of
        /// publishing them.
        #[arg(long)]
        draft: bool,
    },
    /// Writes every article that is not retired to a .csv or .xlsx file, in
    /// the import format.
    Export { file: PathBuf },
    /// Rebuilds the search indexes from the database.
    Reindex {
        /// Only the articles' index.
        #[arg(long, conflicts_with = "orders")]
        articles: bool,
        /// Only the work orders' index.
        #[arg(long)]
        orders: bool,
    },
}

pub async fn run(config: Config, command: KbCommand) -> anyhow::Result<()> {
    match command {
        KbCommand::Import { file, draft } => import(config, file, !draft).await,
        KbCommand::Export { file } => export(config, file).await,
        KbCommand::Reindex { articles, orders } => reindex(config, articles, orders).await,
    }
}

async fn import(config: Config, file: PathBuf, publish: bool) -> anyhow::Result<()> {
    let table = hotline_tabular::read(&file)?;
    if let Err(message) = transfer::check_header(&table.header) {
        bail!("{}: {message}", file.display());
    }
    let rows: Vec<ArticleRow> =
        table.rows.into_iter().map(|(line, cells)| ArticleRow { line, cells: table.header.iter().cloned().zip(cells).collect() }).collect();
    let app = runtime::open(&config, runtime::Index::Detached).await?;
    let total = rows.len();
    let step = (total / 20).max(100);
    let report = app
        .knowledge
        .import(&AdminDesk::operator(), &rows, publish, |done, total| {
            if done % step == 0 || done == total {
                eprint!("\r{done}/{total} rows ({}%)", done * 100 / total.max(1));
                let _ = std::io::stderr().flush();
            }
        })
        .await?;
    if total > 0 {
        eprintln!();
    }
    for rejected in &report.rejected {
        println!("line {}: rejected: {}", rejected.line, rejected.reason);
    }
    println!(
        "{}: {} created, {} updated, {} unchanged, {} rejected{}",
        file.display(),
        report.created,
        report.updated,
        report.unchanged,
        report.rejected.len(),
        if publish { "" } else { " (new versions left as drafts)" }
    );
    app.auditor.seal_all().await?;
    Ok(())
}

async fn export(config: Config, file: PathBuf) -> anyhow::Result<()> {
    let app = runtime::open(&config, runtime::Index::Detached).await?;
    let rows = app.knowledge.export(&AdminDesk::operator()).await?;
    let header: Vec<&str> = COLUMNS.iter().chain(OPTIONAL_COLUMNS.iter()).copied().collect();
    hotline_tabular::write(&file, &header, &rows).with_context(|| format!("cannot write {}", file.display()))?;
    println!("{}: {} articles exported", file.display(), rows.len());
    Ok(())
}

async fn reindex(config: Config, articles_only: bool, orders_only: bool) -> anyhow::Result<()> {
    let app = runtime::open(&config, runtime::Index::Open).await?;
    let kinds: &[IndexKind] = match (articles_only, orders_only) {
        (true, _) => &[IndexKind::Articles],
        (_, true) => &[IndexKind::Orders],
        _ => &[IndexKind::Articles, IndexKind::Orders],
    };
    for kind in kinds {
        let started = std::time::Instant::now();
        let n = app.search.rebuild(*kind).await?;
        println!("{kind:?}: {n} documents indexed in {:.1} s", started.elapsed().as_secs_f64());
    }
    Ok(())
}
