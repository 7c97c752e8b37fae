//! Opening the platform from a configuration: database, migrations, services.

use crate::config::Config;
use anyhow::Context;
use hotline_app::calls::{Lines, TelephonyKind};
use hotline_app::clock::SystemClock;
use hotline_app::knowledge::index::{Detached, SearchEngine};
use hotline_app::{Adapters, App};
use hotline_blob_fs::FsBlobStore;
use hotline_search::TantivySearch;
use hotline_store_sql::{SqlStore, StoreOptions};
use std::sync::Arc;

pub fn init_logging(filter: &str, format: crate::config::LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter));
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    match format {
        crate::config::LogFormat::Text => logs.init(),
        // The request's span (method, path, request id) rides on every line.
        crate::config::LogFormat::Json => logs.json().with_current_span(true).with_span_list(false).init(),
    }
}

/// Connects and migrates; creates the data directory for SQLite.
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<SqlStore>> {
    std::fs::create_dir_all(&config.data_dir).with_context(|| format!("cannot create data directory {}", config.data_dir.display()))?;
    let url = config.database_url();
    let options = StoreOptions {
        max_connections: config.database.max_connections,
        generic_plans: config.database.generic_plans,
        ..Default::default()
    };
    let store = SqlStore::connect(&url, options).await.with_context(|| format!("cannot open the database {}", redact(&url)))?;
    store.migrate().await.context("cannot migrate the database")?;
    Ok(Arc::new(store))
}

/// Whether a command works with the search index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Index {
    /// The server and `kb reindex`: open (and lock) the index.
    Open,
    /// Other commands: leave the index to the server, which picks their
    /// changes up from the database.
    Detached,
}

/// The assembled application on an open store.
pub async fn open_app(config: &Config, store: Arc<SqlStore>, index: Index) -> anyhow::Result<App> {
    let blobs = Arc::new(FsBlobStore::new(config.attachments_dir()));
    let engine: Arc<dyn SearchEngine> = match index {
        Index::Detached => Arc::new(Detached),
        Index::Open => {
            let dir = config.index_dir();
            Arc::new(
                TantivySearch::open(&dir)
                    .with_context(|| format!("cannot open the search index in {} (is another hotline server using it?)", dir.display()))?,
            )
        }
    };
    let lines = match config.callcentre.telephony {
        // Only the server takes calls; other commands leave the port alone.
        kind if config.sip.listen.is_some() && index == Index::Open => {
            let gateway = hotline_sip::SipGateway::bind(config.sip.clone()).await?;
            tracing::info!(listen = %gateway.local_addr(), "SIP gateway listening (UDP and TCP)");
            // Simulated calls asked for as well (the demo's): the simulator
            // places them beside the real ones.
            if kind == TelephonyKind::Simulated && config.callcentre.simulated_calls_per_hour > 0.0 {
                Lines::NetworkAndSimulator(gateway)
            } else {
                Lines::Network(gateway)
            }
        }
        TelephonyKind::Simulated => Lines::Simulated,
        TelephonyKind::None => Lines::None,
    };
    let audit = hotline_blob_fs::audit_anchor(&config.audit_key_file(), &config.audit_checkpoint_file()).map_err(anyhow::Error::msg)?;
    let models: Arc<dyn hotline_app::suggestions::ModelShelf> = match shared_database(config)? {
        true => store.clone(),
        false => Arc::new(hotline_blob_fs::FsModelShelf::new(config.models_dir())),
    };
    let adapters = Adapters { store, blobs, search: engine, lines, audit, models };
    let app = App::new(adapters, config.app_config()?, Arc::new(SystemClock)).await.context("cannot start the application")?;
    Ok(app)
}

/// Whether the database is PostgreSQL, which several nodes may share (on
/// SQLite one node is alone): then the portal's limits are counted in it,
/// and trained models are kept in it, so that each node serves what any
/// trained, instead of in the data directory's `models/`.
pub fn shared_database(config: &Config) -> anyhow::Result<bool> {
    Ok(hotline_store_sql::Backend::of_url(&config.database_url())? == hotline_store_sql::Backend::Postgres)
}

/// Opens everything and seeds reference data into a fresh database.
pub async fn open(config: &Config, index: Index) -> anyhow::Result<App> {
    open_seeded(config, open_store(config).await?, index).await
}

/// [`open`] on a store already open.
pub async fn open_seeded(config: &Config, store: Arc<SqlStore>, index: Index) -> anyhow::Result<App> {
    let app = open_app(config, store, index).await?;
    let report = hotline_seed::seed_reference(&app).await.context("cannot seed reference data")?;
    if !report.is_empty() {
        tracing::info!(
            units = report.units,
            hotlines = report.hotlines,
            categories = report.categories,
            catalogue = report.catalogue_entries,
            calendar_days = report.calendar_days,
            "fresh database: reference data loaded"
        );
    }
    Ok(app)
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}
