//! The planner's statistics kept up on PostgreSQL by the server itself.
//!
//! PostgreSQL plans a connection's foreign-key checks once and keeps the
//! plan until the table's statistics change. A database whose tables were
//! never analyzed (autovacuum turned off, or behind on a busy server) keeps
//! the plans made on the empty tables of the first day: a sequential scan
//! of `work_orders` for every order's history row, slower with every order
//! stored (the soak in `docs/benchmarks.md`: 2,005 → 760 creates a second
//! over half a million orders). Autovacuum's own rule is to analyze a table
//! once 50 rows plus a tenth of it changed; the server steps in at twice
//! that, so where autovacuum runs it nearly always comes first.
//!
//! SQLite plans each statement without statistics by rules that take the
//! indexes, and its creates kept their rate over a million orders; there
//! the server leaves the statistics to `hotline import` (`SqlStore::analyze`).

use crate::{Backend, OrBackend, SqlStore};
use hotline_app::leases::Leases;
use hotline_app::ports::StoreResult;
use sqlx::AssertSqlSafe;
use std::sync::Arc;
use std::time::Duration;

/// Tables of the store's schema changed by more than twice autovacuum's
/// analyze threshold since last analyzed, by anyone, as
/// `schema.table` quoted for SQL.
const BEHIND: &str = "SELECT format('%I.%I', s.schemaname, s.relname) \
     FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid \
     WHERE s.schemaname = current_schema() \
       AND s.n_mod_since_analyze > 2 * (50 + 0.1 * GREATEST(c.reltuples, 0)) \
     ORDER BY s.relname";

/// How often the server looks; a look is one read of the catalogue. Often
/// enough that a new database's first minute (a few tens of thousands of
/// orders at a busy centre's rate) does not run on plans made empty: the
/// first soak round on PostgreSQL ran at 721 creates a second with a look
/// a minute, the next ones at 1,600–2,500.
const STATISTICS_EVERY: Duration = Duration::from_secs(10);

impl SqlStore {
    /// Analyzes the tables whose statistics fell behind (see the module),
    /// returning their names; nothing on SQLite.
    pub async fn refresh_statistics(&self) -> StoreResult<Vec<String>> {
        if self.backend() != Backend::Postgres {
            return Ok(Vec::new());
        }
        let behind: Vec<String> = sqlx::query_scalar(BEHIND).fetch_all(&self.read).await.or_backend()?;
        for table in &behind {
            sqlx::query(AssertSqlSafe(format!("ANALYZE {table}"))).execute(&self.write).await.or_backend()?;
        }
        Ok(behind)
    }
}

/// The lease of the node that keeps the statistics for all.
const STATISTICS_LEASE: &str = "statistics";

/// Keeps the statistics up on the node holding the `statistics` lease:
/// every [`STATISTICS_EVERY`], from the start.
pub async fn keep_statistics(store: Arc<SqlStore>, leases: Arc<Leases>) {
    let mut tick = tokio::time::interval(STATISTICS_EVERY);
    loop {
        tick.tick().await;
        if !leases.hold(STATISTICS_LEASE, chrono::Duration::seconds(3 * STATISTICS_EVERY.as_secs() as i64)).await {
            continue;
        }
        match store.refresh_statistics().await {
            Ok(tables) if !tables.is_empty() => tracing::info!(tables = tables.join(","), "planner statistics refreshed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "refreshing the planner statistics failed; will retry"),
        }
    }
}
