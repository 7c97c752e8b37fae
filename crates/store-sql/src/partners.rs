//! Partners' API keys.

use crate::codec::{Get, micros, opt_micros, word};
use crate::sql::{Val, dynamic, insert_audit};
use crate::{OrBackend, SqlStore};
use async_trait::async_trait;
use hotline_app::partners::{ApiKeyRecord, ApiKeyStore};
use hotline_app::ports::{AuditRecord, StoreError, StoreResult};
use hotline_domain::{ApiScope, UnitId, UserId};
use sqlx::any::AnyRow;

fn parse_key(row: &AnyRow) -> StoreResult<ApiKeyRecord> {
    let scopes = row.text("scopes")?;
    Ok(ApiKeyRecord {
        id: row.int("id")?,
        name: row.text("name")?,
        source: row.text("source")?,
        secret_hash: row.text("secret_hash")?,
        hint: row.text("hint")?,
        scopes: scopes.split(',').filter(|s| !s.is_empty()).map(|s| word("scopes", s, ApiScope::parse)).collect::<StoreResult<_>>()?,
        unit: row.opt_int("unit_id")?.map(UnitId),
        per_minute: u32::try_from(row.int("per_minute")?).map_err(|e| StoreError::Backend(format!("column per_minute: {e}")))?,
        created_at: row.at("created_at")?,
        created_by: row.opt_int("created_by")?.map(UserId),
        rotated_at: row.opt_at("rotated_at")?,
        revoked_at: row.opt_at("revoked_at")?,
    })
}

fn scope_list(key: &ApiKeyRecord) -> String {
    key.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")
}

impl SqlStore {
    /// The key whose `column` (a unique one) holds `value`.
    async fn api_key_where(&self, column: &'static str, value: Val) -> StoreResult<Option<ApiKeyRecord>> {
        let sql = format!("SELECT * FROM api_keys WHERE {column} = $1");
        dynamic(&sql, vec![value]).fetch_optional(&self.read).await.or_backend()?.as_ref().map(parse_key).transpose()
    }
}

#[async_trait]
impl ApiKeyStore for SqlStore {
    async fn api_keys(&self) -> StoreResult<Vec<ApiKeyRecord>> {
        sqlx::query("SELECT * FROM api_keys ORDER BY id DESC").fetch_all(&self.read).await.or_backend()?.iter().map(parse_key).collect()
    }

    async fn api_key(&self, id: i64) -> StoreResult<Option<ApiKeyRecord>> {
        self.api_key_where("id", id.into()).await
    }

    async fn api_key_by_secret(&self, secret_hash: &str) -> StoreResult<Option<ApiKeyRecord>> {
        self.api_key_where("secret_hash", secret_hash.into()).await
    }

    async fn insert_api_key(&self, key: &ApiKeyRecord, audit: &AuditRecord) -> StoreResult<()> {
        let mut tx = self.write.begin().await.or_backend()?;
        sqlx::query(
            "INSERT INTO api_keys (id, name, source, secret_hash, hint, scopes, unit_id, per_minute, created_at, created_by, rotated_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(key.id)
        .bind(key.name.as_str())
        .bind(key.source.as_str())
        .bind(key.secret_hash.as_str())
        .bind(key.hint.as_str())
        .bind(scope_list(key))
        .bind(key.unit.map(|u| u.0))
        .bind(i64::from(key.per_minute))
        .bind(micros(key.created_at))
        .bind(key.created_by.map(|u| u.0))
        .bind(opt_micros(key.rotated_at))
        .bind(opt_micros(key.revoked_at))
        .execute(&mut *tx)
        .await
        .or_backend()?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.or_backend()
    }

    async fn update_api_key(&self, key: &ApiKeyRecord, audit: &AuditRecord) -> StoreResult<()> {
        let mut tx = self.write.begin().await.or_backend()?;
        let updated = sqlx::query(
            "UPDATE api_keys SET name = $2, secret_hash = $3, hint = $4, scopes = $5, unit_id = $6, per_minute = $7, rotated_at = $8, \
             revoked_at = $9 WHERE id = $1",
        )
        .bind(key.id)
        .bind(key.name.as_str())
        .bind(key.secret_hash.as_str())
        .bind(key.hint.as_str())
        .bind(scope_list(key))
        .bind(key.unit.map(|u| u.0))
        .bind(i64::from(key.per_minute))
        .bind(opt_micros(key.rotated_at))
        .bind(opt_micros(key.revoked_at))
        .execute(&mut *tx)
        .await
        .or_backend()?
        .rows_affected();
        if updated == 0 {
            return Err(StoreError::NotFound(format!("API key {}", key.id)));
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.or_backend()
    }
}
