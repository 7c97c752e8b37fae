//! The audit log and its hash chain.

use crate::codec::Get;
use crate::sql::{Val, dynamic, insert_audit, row_sets};
use crate::{OrBackend, SqlStore};
use async_trait::async_trait;
use hotline_app::audit::chain_hash;
use hotline_app::ports::{AuditEntry, AuditRecord, AuditStore, ChainHead, StoreError, StoreResult};
use hotline_domain::UserId;
use sqlx::any::AnyRow;

fn parse_entry(row: &AnyRow) -> StoreResult<AuditEntry> {
    Ok(AuditEntry {
        record: AuditRecord {
            id: row.int("id")?,
            at: row.at("at")?,
            actor: row.opt_int("actor_id")?.map(UserId),
            action: row.text("action")?,
            target: row.text("target")?,
            detail: row.text("detail")?,
            mac: row.opt_text("mac")?,
        },
        seq: row.opt_int("seq")?,
        hash: row.opt_text("hash")?,
    })
}

#[async_trait]
impl AuditStore for SqlStore {
    async fn append_audit(&self, record: &AuditRecord) -> StoreResult<()> {
        let mut conn = self.write.acquire().await.or_backend()?;
        insert_audit(&mut conn, record).await
    }

    async fn seal_audit(&self, limit: u32) -> StoreResult<u64> {
        let mut tx = self.write.begin().await.or_backend()?;
        // Taking the head's row lock first makes sealers on several nodes
        // take turns; each extends the chain from where the last one stopped.
        sqlx::query("UPDATE audit_chain_head SET seq = seq WHERE id = 1").execute(&mut *tx).await.or_backend()?;
        let head = sqlx::query("SELECT seq, hash FROM audit_chain_head WHERE id = 1").fetch_one(&mut *tx).await.or_backend()?;
        let (mut seq, mut hash) = (head.int("seq")?, head.text("hash")?);
        let pending = sqlx::query("SELECT * FROM audit_log WHERE seq IS NULL ORDER BY id LIMIT $1")
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await
            .or_backend()?;
        if pending.is_empty() {
            tx.rollback().await.or_backend()?;
            return Ok(0);
        }
        let mut rows = Vec::with_capacity(pending.len());
        for row in &pending {
            let entry = parse_entry(row)?;
            seq += 1;
            hash = chain_hash(&hash, seq, &entry.record);
            rows.push(vec![Val::from(entry.record.id), seq.into(), hash.as_str().into()]);
        }
        // A few statements for the batch: a statement each kept the single
        // writer busy for as long as the registrations that made the records.
        let mut sealed = 0;
        for set in row_sets(self.backend(), 3, rows) {
            let sql = format!(
                "WITH v (id, seq, hash) AS ({}) UPDATE audit_log SET seq = v.seq, hash = v.hash FROM v \
                 WHERE audit_log.id = v.id AND audit_log.seq IS NULL",
                set.sql
            );
            sealed += dynamic(&sql, set.values).execute(&mut *tx).await.or_backend()?.rows_affected();
        }
        if sealed != pending.len() as u64 {
            // Another sealer took some of them: the head we extended is stale.
            tx.rollback().await.or_backend()?;
            return Err(StoreError::Backend(format!("sealed {sealed} of {} audit records; another sealer ran", pending.len())));
        }
        sqlx::query("UPDATE audit_chain_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(seq)
            .bind(hash.as_str())
            .execute(&mut *tx)
            .await
            .or_backend()?;
        tx.commit().await.or_backend()?;
        Ok(pending.len() as u64)
    }

    async fn audit_chain(&self, after: i64, limit: u32) -> StoreResult<Vec<AuditEntry>> {
        sqlx::query("SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(&self.read)
            .await
            .or_backend()?
            .iter()
            .map(parse_entry)
            .collect()
    }

    async fn audit_head(&self) -> StoreResult<ChainHead> {
        let row =
            sqlx::query("SELECT seq, hash, legacy_until FROM audit_chain_head WHERE id = 1").fetch_one(&self.read).await.or_backend()?;
        Ok(ChainHead { seq: row.int("seq")?, hash: row.text("hash")?, legacy_until: row.int("legacy_until")? })
    }

    async fn unsealed_audit(&self) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE seq IS NULL").fetch_one(&self.read).await.or_backend()
    }

    async fn audit_log(&self, before: Option<i64>, limit: u32) -> StoreResult<Vec<AuditEntry>> {
        sqlx::query("SELECT * FROM audit_log WHERE id < $1 ORDER BY id DESC LIMIT $2")
            .bind(before.unwrap_or(i64::MAX))
            .bind(i64::from(limit))
            .fetch_all(&self.read)
            .await
            .or_backend()?
            .iter()
            .map(parse_entry)
            .collect()
    }
}
