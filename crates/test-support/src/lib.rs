//! A fresh, migrated database for each test.
//!
//! SQLite (default): a new file in a temporary directory.
//! PostgreSQL (when `HOTLINE_TEST_POSTGRES` holds a server URL such as
//! `postgres://postgres@127.0.0.1:5432/test`): a new database cloned from a
//! migrated template, so each test starts clean in milliseconds. The
//! template is rebuilt when the migrations change. With
//! `HOTLINE_TEST_PARTITIONED=1` as well, the template's growing tables are
//! partitioned by month (`SqlStore::partition_by_month`), so the same tests
//! run against partitioned tables.

use hotline_store_sql::{SqlStore, StoreOptions};
use sha2::{Digest, Sha256};
use sqlx::any::install_default_drivers;
use sqlx::{AnyConnection, AssertSqlSafe, Connection, Executor};
use std::sync::atomic::{AtomicU32, Ordering};

pub const POSTGRES_ENV: &str = "HOTLINE_TEST_POSTGRES";
pub const PARTITIONED_ENV: &str = "HOTLINE_TEST_PARTITIONED";

fn partitioned() -> bool {
    std::env::var(PARTITIONED_ENV).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// A database for one test. Keep it alive for the duration of the test.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDb {
    pub async fn new() -> Self {
        install_default_drivers();
        match std::env::var(POSTGRES_ENV) {
            Ok(server) if !server.is_empty() => Self::postgres(server).await,
            _ => Self::sqlite().await,
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }

    async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}/hotline.db", dir.path().display());
        let store = SqlStore::connect(&url, StoreOptions::default()).await.expect("open SQLite");
        store.migrate().await.expect("migrate SQLite");
        store.close().await;
        Self { url, _dir: Some(dir), postgres: None }
    }

    async fn postgres(server: String) -> Self {
        let template = template_name();
        let mut admin = AnyConnection::connect(&server).await.unwrap_or_else(|e| panic!("{POSTGRES_ENV}={server}: {e}"));
        // One test process builds the template; the others wait for it.
        admin.execute("SELECT pg_advisory_lock(12345)").await.expect("advisory lock");
        let exists: Option<i64> = sqlx::query_scalar("SELECT 1::BIGINT FROM pg_database WHERE datname = $1")
            .bind(&template)
            .fetch_optional(&mut admin)
            .await
            .expect("look up template");
        if exists.is_none() {
            admin.execute(AssertSqlSafe(format!("CREATE DATABASE {template}"))).await.expect("create template");
            let store = SqlStore::connect(&with_database(&server, &template), StoreOptions { max_connections: 1, ..Default::default() })
                .await
                .expect("connect template");
            store.migrate().await.expect("migrate template");
            if partitioned() {
                store.partition_by_month(chrono::Utc::now(), 3).await.expect("partition the template by month");
            }
            store.close().await;
        }
        let name = format!(
            "hotline_t_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0)
        );
        admin.execute(AssertSqlSafe(format!("CREATE DATABASE {name} TEMPLATE {template}"))).await.expect("clone template");
        admin.execute("SELECT pg_advisory_unlock(12345)").await.expect("advisory unlock");
        admin.close().await.ok();
        Self { url: with_database(&server, &name), _dir: None, postgres: Some((server, name)) }
    }

    /// A connected store on this database.
    pub async fn store(&self) -> SqlStore {
        SqlStore::connect(&self.url, StoreOptions { max_connections: 8, ..Default::default() }).await.expect("connect test database")
    }

    /// Drops a PostgreSQL test database (best effort; CI also sweeps them).
    pub async fn drop_database(self) {
        if let Some((server, name)) = &self.postgres
            && let Ok(mut admin) = AnyConnection::connect(server).await
        {
            let _ = admin.execute(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).await;
        }
    }
}

fn template_name() -> String {
    let digest = Sha256::digest(hotline_store_sql::migrations_fingerprint().as_bytes());
    let hash = &hex::encode(digest)[..12];
    match partitioned() {
        // Its months ahead run out: a template per month.
        true => format!("hotline_template_{hash}_p{}", chrono::Utc::now().format("%Y%m")),
        false => format!("hotline_template_{hash}"),
    }
}

fn with_database(server: &str, database: &str) -> String {
    let (base, query) = match server.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (server, String::new()),
    };
    let root = match base.rfind('/') {
        Some(i) if i > "postgres://".len() => &base[..i],
        _ => base,
    };
    format!("{root}/{database}{query}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn replaces_the_database_in_a_url() {
        assert_eq!(super::with_database("postgres://postgres@127.0.0.1:5432/test", "x"), "postgres://postgres@127.0.0.1:5432/x");
        assert_eq!(super::with_database("postgres://h/test?sslmode=disable", "x"), "postgres://h/x?sslmode=disable");
        assert_eq!(super::with_database("postgres://h", "x"), "postgres://h/x");
    }
}
