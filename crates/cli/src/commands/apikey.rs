//! `hotline apikey add|list|rotate|revoke`: partners' API keys from the
//! command line, as the operator (who holds the data directory already).

use crate::config::Config;
use crate::runtime;
use anyhow::{anyhow, bail};
use clap::Subcommand;
use hotline_app::access::AdminDesk;
use hotline_app::partners::{IssuedKey, NewApiKey};
use hotline_domain::ApiScope;

#[derive(Subcommand)]
pub enum ApiKeyCommand {
    /// Issues a key and prints its secret, the only time it is shown.
    Add {
        /// Who uses it, e.g. "莞家政务 app".
        #[arg(long)]
        name: String,
        /// The partner's name in the references of what it submits: lower-case letters, digits, - or _.
        #[arg(long)]
        source: String,
        /// Comma-separated: submit, read (its own submissions), unit (a unit's orders).
        #[arg(long)]
        scopes: String,
        /// For the unit scope: the unit's code (e.g. tax or 441900003).
        #[arg(long)]
        unit: Option<String>,
        /// Requests a minute (default 120).
        #[arg(long)]
        per_minute: Option<u32>,
    },
    /// Lists every key, revoked ones included (never their secrets).
    List,
    /// Gives a key a new secret; the old one stops working at once.
    Rotate { id: i64 },
    /// Revokes a key for good.
    Revoke { id: i64 },
}

fn print_issued(what: &str, issued: &IssuedKey) {
    println!("{what} API key {} ({}) for {}", issued.key.id, issued.key.source, issued.key.name);
    println!("secret (shown once, only its hash is kept): {}", issued.secret);
}

pub async fn run(config: Config, command: ApiKeyCommand) -> anyhow::Result<()> {
    let app = runtime::open(&config, runtime::Index::Detached).await?;
    let operator = AdminDesk::operator();
    let failed = |e: hotline_app::AppError| anyhow!("{e}");
    match command {
        ApiKeyCommand::Add { name, source, scopes, unit, per_minute } => {
            let scopes = scopes
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| ApiScope::parse(s).map_err(|e| anyhow!("--scopes: {}", e.message)))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let unit = match unit {
                None => None,
                Some(code) => match app.directory.snapshot().unit_by_code(&code) {
                    Some(u) => Some(u.id),
                    None => bail!("--unit: no unit with code {code}"),
                },
            };
            let issued = app.api_keys.create(&operator, NewApiKey { name, source, scopes, unit, per_minute }).await.map_err(failed)?;
            print_issued("issued", &issued);
        }
        ApiKeyCommand::List => {
            let org = app.directory.snapshot();
            for k in app.api_keys.list(&operator).await.map_err(failed)? {
                let scopes: Vec<&str> = k.scopes.iter().map(|s| s.as_str()).collect();
                let unit = k.unit.map(|u| format!(" unit={}", org.unit_name(u))).unwrap_or_default();
                let state = match (k.revoked_at, k.rotated_at) {
                    (Some(at), _) => format!("revoked {}", at.format("%Y-%m-%d %H:%M")),
                    (None, Some(at)) => format!("rotated {}", at.format("%Y-%m-%d %H:%M")),
                    (None, None) => "active".to_owned(),
                };
                println!("{}\t{}\t{}…\t{}\t{}/min{unit}\t{state}\t{}", k.id, k.source, k.hint, scopes.join(","), k.per_minute, k.name);
            }
        }
        ApiKeyCommand::Rotate { id } => print_issued("rotated", &app.api_keys.rotate(&operator, id).await.map_err(failed)?),
        ApiKeyCommand::Revoke { id } => {
            let key = app.api_keys.revoke(&operator, id).await.map_err(failed)?;
            println!("revoked API key {} ({}) for {}", key.id, key.source, key.name);
        }
    }
    app.auditor.seal_all().await?;
    Ok(())
}
