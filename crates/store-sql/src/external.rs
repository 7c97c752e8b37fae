//! Units' external systems and the outbox of pushes to them.

use crate::codec::{Get, micros, opt_micros};
use crate::sql::{Val, dynamic, insert_audit};
use crate::{OrBackend, SqlStore};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hotline_app::external::{ExternalStore, ExternalSystem, Push, PushCounts, PushOutcome, PushState};
use hotline_app::ports::{AuditRecord, StoreResult, UserRecord};
use hotline_domain::{OrderId, UnitId, UserId};
use sqlx::any::AnyRow;

pub(crate) const PUSH_HEAD: &str =
    "external_pushes (id, unit_id, order_id, seq, event, body, attempts, next_at, delivered_at, dead_at, last_error, created_at)";
pub(crate) const PUSH_WIDTH: usize = 12;

/// A push as the outbox row [`PUSH_HEAD`] names (`seq` holds the order's version).
pub(crate) fn push_row(p: &Push) -> Vec<Val> {
    vec![
        Val::from(p.id),
        p.unit.0.into(),
        p.order.0.into(),
        p.version.into(),
        p.event.as_str().into(),
        p.body.as_str().into(),
        p.attempts.into(),
        opt_micros(p.next_at).into(),
        opt_micros(p.delivered_at).into(),
        opt_micros(p.dead_at).into(),
        p.last_error.clone().into(),
        micros(p.created_at).into(),
    ]
}

fn parse_push(row: &AnyRow) -> StoreResult<Push> {
    Ok(Push {
        id: row.int("id")?,
        unit: UnitId(row.int("unit_id")?),
        order: OrderId(row.int("order_id")?),
        version: row.int("seq")?,
        event: row.text("event")?,
        body: row.text("body")?,
        attempts: row.int("attempts")?,
        next_at: row.opt_at("next_at")?,
        delivered_at: row.opt_at("delivered_at")?,
        dead_at: row.opt_at("dead_at")?,
        last_error: row.opt_text("last_error")?,
        created_at: row.at("created_at")?,
    })
}

fn parse_system(row: &AnyRow) -> StoreResult<ExternalSystem> {
    Ok(ExternalSystem {
        unit: UnitId(row.int("unit_id")?),
        name: row.text("name")?,
        webhook_url: row.text("webhook_url")?,
        secret: row.text("secret")?,
        service_user: UserId(row.int("service_user_id")?),
        active: row.flag("active")?,
        created_at: row.at("created_at")?,
        updated_at: row.at("updated_at")?,
    })
}

#[async_trait]
impl ExternalStore for SqlStore {
    async fn external_systems(&self) -> StoreResult<Vec<ExternalSystem>> {
        self.read_all(sqlx::query("SELECT * FROM external_systems ORDER BY unit_id"), parse_system).await
    }

    async fn save_external_system(
        &self,
        system: &ExternalSystem,
        service_user: Option<&UserRecord>,
        audit: &AuditRecord,
    ) -> StoreResult<()> {
        let mut tx = self.write.begin().await.or_backend()?;
        if let Some(user) = service_user {
            crate::org::insert_user_row(&mut tx, user).await?;
        }
        sqlx::query(
            "INSERT INTO external_systems (unit_id, name, webhook_url, secret, service_user_id, active, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (unit_id) DO UPDATE SET name = excluded.name, webhook_url = excluded.webhook_url, secret = excluded.secret, \
             active = excluded.active, updated_at = excluded.updated_at",
        )
        .bind(system.unit.0)
        .bind(system.name.as_str())
        .bind(system.webhook_url.as_str())
        .bind(system.secret.as_str())
        .bind(system.service_user.0)
        .bind(crate::codec::flag(system.active))
        .bind(micros(system.created_at))
        .bind(micros(system.updated_at))
        .execute(&mut *tx)
        .await
        .or_backend()?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.or_backend()
    }

    async fn due_pushes(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<Push>> {
        // The head of each (unit, order) line only: a later change waits for
        // an earlier one still being tried, through the unique index.
        let query = sqlx::query(
            "SELECT p.* FROM external_pushes p JOIN external_systems s ON s.unit_id = p.unit_id AND s.active = 1 \
             WHERE p.next_at IS NOT NULL AND p.next_at <= $1 \
             AND NOT EXISTS (SELECT 1 FROM external_pushes e WHERE e.unit_id = p.unit_id AND e.order_id = p.order_id \
                             AND e.seq < p.seq AND e.next_at IS NOT NULL) \
             ORDER BY p.next_at, p.id LIMIT $2",
        );
        self.read_all(query.bind(micros(now)).bind(i64::from(limit)), parse_push).await
    }

    async fn claim_push(&self, id: i64, due: DateTime<Utc>, until: DateTime<Utc>) -> StoreResult<bool> {
        self.claim_outbox_row(crate::sql::OutboxTable::Pushes, id, due, until).await
    }

    async fn record_push(&self, id: i64, outcome: &PushOutcome) -> StoreResult<()> {
        let query = match outcome {
            PushOutcome::Delivered { at } => sqlx::query(
                "UPDATE external_pushes SET attempts = attempts + 1, next_at = NULL, delivered_at = $2, last_error = NULL WHERE id = $1",
            )
            .bind(id)
            .bind(micros(*at)),
            PushOutcome::Retry { error, next_at } => {
                sqlx::query("UPDATE external_pushes SET attempts = attempts + 1, next_at = $2, last_error = $3 WHERE id = $1")
                    .bind(id)
                    .bind(micros(*next_at))
                    .bind(error.as_str())
            }
            PushOutcome::Dead { at, error } => sqlx::query(
                "UPDATE external_pushes SET attempts = attempts + 1, next_at = NULL, dead_at = $2, last_error = $3 WHERE id = $1",
            )
            .bind(id)
            .bind(micros(*at))
            .bind(error.as_str()),
        };
        query.execute(&self.write).await.or_backend()?;
        Ok(())
    }

    async fn pushes(&self, unit: UnitId, state: PushState, limit: u32) -> StoreResult<Vec<Push>> {
        let filter = match state {
            PushState::Pending => "next_at IS NOT NULL",
            PushState::Delivered => "delivered_at IS NOT NULL",
            PushState::Dead => "dead_at IS NOT NULL",
        };
        let sql = format!("SELECT * FROM external_pushes WHERE unit_id = $1 AND {filter} ORDER BY created_at DESC, id DESC LIMIT $2");
        self.read_all(dynamic(&sql, vec![Val::from(unit.0), i64::from(limit).into()]), parse_push).await
    }

    async fn push(&self, id: i64) -> StoreResult<Option<Push>> {
        self.read_one(sqlx::query("SELECT * FROM external_pushes WHERE id = $1").bind(id), parse_push).await
    }

    async fn push_counts(&self, unit: UnitId) -> StoreResult<PushCounts> {
        let row = sqlx::query(
            "SELECT COUNT(next_at) AS pending, COUNT(delivered_at) AS delivered, COUNT(dead_at) AS dead \
             FROM external_pushes WHERE unit_id = $1",
        )
        .bind(unit.0)
        .fetch_one(&self.read)
        .await
        .or_backend()?;
        Ok(PushCounts { pending: row.int("pending")?, delivered: row.int("delivered")?, dead: row.int("dead")? })
    }

    async fn resend_push(&self, id: i64, now: DateTime<Utc>, audit: &AuditRecord) -> StoreResult<bool> {
        let mut tx = self.write.begin().await.or_backend()?;
        let updated =
            sqlx::query("UPDATE external_pushes SET attempts = 0, next_at = $2, dead_at = NULL WHERE id = $1 AND dead_at IS NOT NULL")
                .bind(id)
                .bind(micros(now))
                .execute(&mut *tx)
                .await
                .or_backend()?
                .rows_affected();
        if updated == 0 {
            return Ok(false);
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.or_backend()?;
        Ok(true)
    }
}
