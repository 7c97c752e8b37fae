//! `hotline user add`.

use crate::config::Config;
use crate::runtime;
use anyhow::bail;
use clap::Subcommand;
use hotline_app::access::AdminDesk;
use hotline_app::org::NewUser;
use hotline_domain::{Affiliation, RoleSet};

#[derive(Subcommand)]
pub enum UserCommand {
    /// Creates an account.
    Add {
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
        /// At least 8 characters (or set HOTLINE_NEW_PASSWORD).
        #[arg(long, env = "HOTLINE_NEW_PASSWORD", hide_env_values = true)]
        password: String,
        /// Comma-separated: consultant, dispatcher, reviewer, supervisor, auditor, system_admin (centre);
        /// handler, unit_admin (unit).
        #[arg(long)]
        roles: String,
        /// The unit's code (e.g. 441900003 or hrss); omit for the centre.
        #[arg(long)]
        unit: Option<String>,
    },
}

pub async fn run(config: Config, command: UserCommand) -> anyhow::Result<()> {
    let UserCommand::Add { username, display_name, password, roles, unit } = command;
    let roles = RoleSet::parse_list(&roles).map_err(|e| anyhow::anyhow!("--roles: {}", e.message))?;
    let app = runtime::open(&config, runtime::Index::Detached).await?;
    let affiliation = match unit {
        None => Affiliation::Centre,
        Some(code) => match app.directory.snapshot().unit_by_code(&code) {
            Some(u) => Affiliation::Unit(u.id),
            None => bail!("--unit: no unit with code {code}"),
        },
    };
    let user = app
        .org
        .create_user(&AdminDesk::operator(), NewUser { username, display_name, password, affiliation, roles })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    app.auditor.seal_all().await?;
    println!("created user {} ({}) with roles {}", user.username, user.id, user.roles.to_list());
    Ok(())
}
