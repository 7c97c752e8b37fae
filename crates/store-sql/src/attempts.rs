//! Attempts counted against a limit: one atomic upsert per attempt.

use crate::codec::micros;
use crate::{OrBackend, SqlStore};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hotline_app::ports::{AttemptStore, StoreResult};

#[async_trait]
impl AttemptStore for SqlStore {
    async fn count_attempt(&self, key: &str, amount: i64, now: DateTime<Utc>, expired: DateTime<Utc>) -> StoreResult<i64> {
        // Both assignments read the row as it was; on SQLite the single
        // writer and on PostgreSQL the conflicting row's lock make the
        // increment atomic.
        let (count,): (i64,) = sqlx::query_as(
            "INSERT INTO attempts (key, window_start, count) VALUES ($1, $2, $4) \
             ON CONFLICT (key) DO UPDATE SET \
               count = CASE WHEN attempts.window_start <= $3 THEN $4 ELSE attempts.count + $4 END, \
               window_start = CASE WHEN attempts.window_start <= $3 THEN $2 ELSE attempts.window_start END \
             RETURNING count",
        )
        .bind(key)
        .bind(micros(now))
        .bind(micros(expired))
        .bind(amount)
        .fetch_one(&self.write)
        .await
        .or_backend()?;
        Ok(count)
    }

    async fn refund_attempt(&self, key: &str, amount: i64) -> StoreResult<()> {
        sqlx::query("UPDATE attempts SET count = CASE WHEN count > $2 THEN count - $2 ELSE 0 END WHERE key = $1")
            .bind(key)
            .bind(amount)
            .execute(&self.write)
            .await
            .or_backend()?;
        Ok(())
    }

    async fn clear_attempts(&self, key: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM attempts WHERE key = $1").bind(key).execute(&self.write).await.or_backend()?;
        Ok(())
    }

    async fn sweep_attempts(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let done =
            sqlx::query("DELETE FROM attempts WHERE window_start < $1").bind(micros(before)).execute(&self.write).await.or_backend()?;
        Ok(done.rows_affected())
    }
}
