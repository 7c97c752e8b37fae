//! `hotline calendar import FILE…`.

use crate::config::Config;
use crate::runtime;
use anyhow::Context;
use clap::Subcommand;
use hotline_app::access::AdminDesk;
use hotline_domain::holiday_cn;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum CalendarCommand {
    /// Loads holiday-cn year files (holidays and make-up working days).
    Import {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

pub async fn run(config: Config, command: CalendarCommand) -> anyhow::Result<()> {
    let CalendarCommand::Import { files } = command;
    // Every file is checked before anything is written.
    let mut years = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
        let year = holiday_cn::parse(&text).with_context(|| format!("{} is not a valid holiday file", file.display()))?;
        years.push((file, year));
    }
    let app = runtime::open(&config, runtime::Index::Detached).await?;
    for (file, year) in years {
        let n = app.calendar.import(&AdminDesk::operator(), year.days).await?;
        println!("{}: {n} days of {} imported", file.display(), year.year);
    }
    Ok(())
}
