//! Trained suggestion models in the database, for nodes sharing it: a
//! version trained on one node is served by all without a shared volume.

use crate::codec::micros;
use crate::{OrBackend, SqlStore};
use async_trait::async_trait;
use hotline_app::ports::StoreError;
use hotline_app::suggestions::ModelShelf;
use sqlx::Row;
use std::io::{Error, ErrorKind};

fn io(e: StoreError) -> Error {
    Error::other(e.to_string())
}

#[async_trait]
impl ModelShelf for SqlStore {
    async fn put(&self, version: &str, bytes: &[u8]) -> std::io::Result<()> {
        // One statement: the version is there whole or not at all.
        sqlx::query(
            "INSERT INTO models (version, bytes, stored_at) VALUES ($1, $2, $3) \
             ON CONFLICT (version) DO UPDATE SET bytes = excluded.bytes, stored_at = excluded.stored_at",
        )
        .bind(version)
        .bind(bytes.to_vec())
        .bind(micros(chrono::Utc::now()))
        .execute(&self.write)
        .await
        .or_backend()
        .map_err(io)?;
        Ok(())
    }

    async fn latest(&self) -> std::io::Result<Option<String>> {
        let row = sqlx::query("SELECT version FROM models ORDER BY version DESC LIMIT 1")
            .fetch_optional(&self.read)
            .await
            .or_backend()
            .map_err(io)?;
        row.map(|r| r.try_get::<String, _>("version")).transpose().or_backend().map_err(io)
    }

    async fn get(&self, version: &str) -> std::io::Result<Vec<u8>> {
        let row = sqlx::query("SELECT bytes FROM models WHERE version = $1")
            .bind(version)
            .fetch_optional(&self.read)
            .await
            .or_backend()
            .map_err(io)?
            .ok_or_else(|| Error::new(ErrorKind::NotFound, format!("no model {version} is kept")))?;
        row.try_get::<Vec<u8>, _>("bytes").or_backend().map_err(io)
    }

    async fn prune(&self, keep: usize) -> std::io::Result<()> {
        sqlx::query("DELETE FROM models WHERE version NOT IN (SELECT version FROM models ORDER BY version DESC LIMIT $1)")
            .bind(keep as i64)
            .execute(&self.write)
            .await
            .or_backend()
            .map_err(io)?;
        Ok(())
    }
}
