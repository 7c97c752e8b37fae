//! What a backup needs of the database: a consistent copy taken while the
//! server writes on, and the rows of every table counted in that same
//! state, so a restore can be checked against them.

use crate::{Backend, OrBackend, SqlStore};
use hotline_app::ports::{StoreError, StoreResult};
use sqlx::{AssertSqlSafe, Connection, Row};
use std::collections::BTreeMap;
use std::future::Future;
use std::path::Path;

/// Rows per table, by name.
pub type RowCounts = BTreeMap<String, u64>;

impl SqlStore {
    /// SQLite: writes a consistent, compacted copy of the database to `to`
    /// (`VACUUM INTO` reads in one transaction, so writers go on meanwhile)
    /// and counts the copy's rows.
    pub async fn copy_sqlite(&self, to: &Path) -> StoreResult<RowCounts> {
        if self.backend() != Backend::Sqlite {
            return Err(StoreError::Backend("copy_sqlite is for SQLite databases".into()));
        }
        let target = to.to_str().ok_or_else(|| StoreError::Backend(format!("{} is not a UTF-8 path", to.display())))?;
        sqlx::query("VACUUM INTO $1").bind(target.to_owned()).execute(&self.read).await.or_backend()?;
        inspect_sqlite_copy(to).await
    }

    /// PostgreSQL: opens a read-only snapshot, counts every table in it,
    /// and runs `dump` with the snapshot's id (for `pg_dump --snapshot`)
    /// while holding it, so the dump and the counts see the same rows.
    pub async fn with_exported_snapshot<F, Fut, T>(&self, dump: F) -> StoreResult<(T, RowCounts)>
    where
        F: FnOnce(String) -> Fut,
        Fut: Future<Output = T>,
    {
        if self.backend() != Backend::Postgres {
            return Err(StoreError::Backend("exported snapshots are for PostgreSQL databases".into()));
        }
        let mut conn = self.read.acquire().await.or_backend()?;
        // Rolled back if anything below fails, so the pooled connection is
        // not left inside it.
        let mut tx = conn.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await.or_backend()?;
        let snapshot: String =
            sqlx::query("SELECT pg_export_snapshot()").fetch_one(&mut *tx).await.or_backend()?.try_get(0).or_backend()?;
        let counts = count_all(&mut tx, Backend::Postgres).await?;
        let out = dump(snapshot).await;
        tx.commit().await.or_backend()?;
        Ok((out, counts))
    }

    /// Rows of every table of the schema (the migrations' own included).
    pub async fn row_counts(&self) -> StoreResult<RowCounts> {
        let mut conn = self.read.acquire().await.or_backend()?;
        count_all(&mut conn, self.backend()).await
    }
}

/// Checks a copied SQLite database page by page (`PRAGMA integrity_check`)
/// and counts its rows, without changing a byte of it.
pub async fn inspect_sqlite_copy(path: &Path) -> StoreResult<RowCounts> {
    sqlx::any::install_default_drivers();
    let target = path.to_str().ok_or_else(|| StoreError::Backend(format!("{} is not a UTF-8 path", path.display())))?;
    // A bare read-only connection: the store's own would turn the copy
    // into a WAL database with files beside it.
    let mut copy = sqlx::AnyConnection::connect(&format!("sqlite://{target}?mode=ro")).await.or_backend()?;
    let verdict: String = sqlx::query("PRAGMA integrity_check").fetch_one(&mut copy).await.or_backend()?.try_get(0).or_backend()?;
    if verdict != "ok" {
        return Err(StoreError::Backend(format!("{} is damaged: {verdict}", path.display())));
    }
    let counts = count_all(&mut copy, Backend::Sqlite).await?;
    copy.close().await.or_backend()?;
    Ok(counts)
}

async fn count_all(conn: &mut sqlx::AnyConnection, backend: Backend) -> StoreResult<RowCounts> {
    let mut counts = RowCounts::new();
    for table in tables(conn, backend).await? {
        let n = count(conn, &table).await?;
        counts.insert(table, n);
    }
    Ok(counts)
}

async fn tables(conn: &mut sqlx::AnyConnection, backend: Backend) -> StoreResult<Vec<String>> {
    let sql = match backend {
        Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        // A partitioned table's rows are counted once, through it.
        Backend::Postgres => {
            "SELECT c.relname::TEXT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY c.relname"
        }
    };
    let rows = sqlx::query(sql).fetch_all(&mut *conn).await.or_backend()?;
    rows.iter().map(|r| r.try_get::<String, _>(0).or_backend()).collect()
}

async fn count(conn: &mut sqlx::AnyConnection, table: &str) -> StoreResult<u64> {
    // The name comes from the catalogue, quoted for the odd one.
    let sql = format!("SELECT COUNT(*) FROM \"{}\"", table.replace('"', "\"\""));
    let n: i64 = sqlx::query(AssertSqlSafe(sql)).fetch_one(&mut *conn).await.or_backend()?.try_get(0).or_backend()?;
    Ok(u64::try_from(n).unwrap_or(0))
}
