//! Leases on work one node does for all.

use crate::codec::{instant, micros};
use crate::{OrBackend, SqlStore};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hotline_app::ports::{LeaseStore, StoreResult};

#[async_trait]
impl LeaseStore for SqlStore {
    async fn hold_lease(&self, name: &str, holder: i64, now: DateTime<Utc>, until: DateTime<Utc>) -> StoreResult<bool> {
        // One statement: the row's lock (PostgreSQL) or the single writer
        // (SQLite) lets one of two nodes asking at once through.
        let taken = sqlx::query(
            "INSERT INTO leases (name, holder, until) VALUES ($1, $2, $4) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until \
             WHERE leases.until <= $3 OR leases.holder = excluded.holder",
        )
        .bind(name)
        .bind(holder)
        .bind(micros(now))
        .bind(micros(until))
        .execute(&self.write)
        .await
        .or_backend()?
        .rows_affected();
        Ok(taken == 1)
    }

    async fn lease_lapses_at(&self, name: &str) -> StoreResult<Option<DateTime<Utc>>> {
        let until: Option<i64> =
            sqlx::query_scalar("SELECT until FROM leases WHERE name = $1").bind(name).fetch_optional(&self.read).await.or_backend()?;
        until.map(instant).transpose()
    }

    async fn release_lease(&self, name: &str, holder: i64) -> StoreResult<()> {
        sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(&self.write)
            .await
            .or_backend()?;
        Ok(())
    }
}
