//! Holidays and make-up working days, and the settings saved beside them.

use crate::codec::{Get, flag, micros};
use crate::sql::insert_audit;
use crate::{OrBackend, SqlStore};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use hotline_app::ports::{AuditRecord, CalendarAlert, CalendarStore, SettingStore, StoreError, StoreResult};
use hotline_domain::{CalendarDay, UserId};

#[async_trait]
impl CalendarStore for SqlStore {
    async fn calendar_days(&self) -> StoreResult<Vec<CalendarDay>> {
        sqlx::query("SELECT day, working, name FROM calendar_days ORDER BY day")
            .fetch_all(&self.read)
            .await
            .or_backend()?
            .iter()
            .map(|row| {
                let day = row.text("day")?;
                Ok(CalendarDay {
                    date: NaiveDate::parse_from_str(&day, "%Y-%m-%d")
                        .map_err(|e| StoreError::Backend(format!("calendar day {day:?}: {e}")))?,
                    working: row.flag("working")?,
                    name: row.text("name")?,
                })
            })
            .collect()
    }

    async fn upsert_calendar_days(&self, days: &[CalendarDay], audit: &AuditRecord) -> StoreResult<()> {
        let mut tx = self.write.begin().await.or_backend()?;
        for day in days {
            sqlx::query(
                "INSERT INTO calendar_days (day, working, name) VALUES ($1, $2, $3) \
                 ON CONFLICT (day) DO UPDATE SET working = excluded.working, name = excluded.name",
            )
            .bind(day.date.format("%Y-%m-%d").to_string())
            .bind(flag(day.working))
            .bind(day.name.as_str())
            .execute(&mut *tx)
            .await
            .or_backend()?;
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.or_backend()
    }

    async fn delete_calendar_day(&self, date: NaiveDate, audit: &AuditRecord) -> StoreResult<bool> {
        let mut tx = self.write.begin().await.or_backend()?;
        let rows = sqlx::query("DELETE FROM calendar_days WHERE day = $1")
            .bind(date.format("%Y-%m-%d").to_string())
            .execute(&mut *tx)
            .await
            .or_backend()?
            .rows_affected();
        if rows == 0 {
            tx.rollback().await.or_backend()?;
            return Ok(false);
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.or_backend()?;
        Ok(true)
    }

    async fn raise_calendar_alert(&self, year: i32, at: DateTime<Utc>) -> StoreResult<bool> {
        let rows = sqlx::query("INSERT INTO calendar_alerts (year, raised_at) VALUES ($1, $2) ON CONFLICT (year) DO NOTHING")
            .bind(i64::from(year))
            .bind(micros(at))
            .execute(&self.write)
            .await
            .or_backend()?
            .rows_affected();
        Ok(rows == 1)
    }

    async fn calendar_alerts(&self) -> StoreResult<Vec<CalendarAlert>> {
        sqlx::query("SELECT year, raised_at, read_at, read_by FROM calendar_alerts ORDER BY year")
            .fetch_all(&self.read)
            .await
            .or_backend()?
            .iter()
            .map(|row| {
                Ok(CalendarAlert {
                    year: i32::try_from(row.int("year")?).map_err(|_| StoreError::Backend("calendar alert year out of range".into()))?,
                    raised_at: row.at("raised_at")?,
                    read_at: row.opt_at("read_at")?,
                    read_by: row.opt_int("read_by")?.map(UserId),
                })
            })
            .collect()
    }

    async fn acknowledge_calendar_alert(&self, year: i32, by: UserId, at: DateTime<Utc>, audit: &AuditRecord) -> StoreResult<bool> {
        let mut tx = self.write.begin().await.or_backend()?;
        let rows = sqlx::query("UPDATE calendar_alerts SET read_at = $1, read_by = $2 WHERE year = $3 AND read_at IS NULL")
            .bind(micros(at))
            .bind(by.0)
            .bind(i64::from(year))
            .execute(&mut *tx)
            .await
            .or_backend()?
            .rows_affected();
        if rows == 0 {
            // Acknowledged before (true, nothing to write) or never raised.
            let exists: Option<i64> = sqlx::query_scalar("SELECT year FROM calendar_alerts WHERE year = $1")
                .bind(i64::from(year))
                .fetch_optional(&mut *tx)
                .await
                .or_backend()?;
            tx.rollback().await.or_backend()?;
            return Ok(exists.is_some());
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.or_backend()?;
        Ok(true)
    }
}

#[async_trait]
impl SettingStore for SqlStore {
    async fn setting(&self, key: &str) -> StoreResult<Option<String>> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1").bind(key).fetch_optional(&self.read).await.or_backend()?;
        row.map(|r| r.text("value")).transpose()
    }

    async fn put_setting(&self, key: &str, value: &str, at: DateTime<Utc>, audit: &AuditRecord) -> StoreResult<()> {
        let mut tx = self.write.begin().await.or_backend()?;
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(value)
        .bind(micros(at))
        .execute(&mut *tx)
        .await
        .or_backend()?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.or_backend()
    }
}
