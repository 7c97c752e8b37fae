//! Storage for the hotline on SQLite or PostgreSQL.
//!
//! One schema (`migrations/`) and one set of queries serve both databases
//! through sqlx's Any driver, so the contract tests in `tests/` prove the
//! same behaviour on each. The Any driver carries only integers, floats and
//! text: instants are stored as microseconds since the Unix epoch, flags as
//! 0/1, structured values as JSON text.
//!
//! SQLite (the embedded default) runs in WAL mode with one writer connection
//! and several readers: writes never fail on a busy lock, reads never wait
//! for writes, and a committed write is in the WAL file before it is
//! acknowledged, so it survives a crash of the process.

mod attempts;
mod backup;
pub use backup::{RowCounts, inspect_sqlite_copy};
mod audit;
mod batch;
mod calendar;
mod calls;
mod codec;
mod decisions;
mod emergency;
mod evaluation;
mod external;
mod knowledge;
mod leases;
mod models;
mod orders;
mod org;
mod partitions;
pub use partitions::{Partition, PartitionReport, is_partition_of};
mod partners;
mod sms;
mod sql;
mod statistics;
pub use statistics::keep_statistics;
mod supervision;
mod topics;
mod watches;

use async_trait::async_trait;
use hotline_app::Store;
use hotline_app::ports::{StoreError, StoreResult};
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AnyPool, AssertSqlSafe, Connection as _, Executor};
use std::borrow::Cow;
use std::time::Duration;

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Self::Postgres)
        } else {
            Err(StoreError::Backend(format!("unsupported database URL {url:?}: use sqlite://PATH or postgres://…")))
        }
    }
}

/// Pool sizes and timeouts.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Reader connections for SQLite; all connections for PostgreSQL.
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    /// PostgreSQL: every prepared statement keeps one generic plan
    /// (`plan_cache_mode = force_generic_plan`) instead of being planned
    /// again for its parameters, which on partitioned tables PostgreSQL
    /// goes on doing (`docs/benchmarks.md`).
    pub generic_plans: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self { max_connections: 16, acquire_timeout: Duration::from_secs(10), generic_plans: false }
    }
}

/// SQLite's page cache of the one writer connection and of each reader.
/// A reader's cache is emptied whenever another connection wrote, which
/// under load is every transaction: a large one only costs the emptying.
/// The writer's is not larger because, while a database is under 1 GiB,
/// SQLite walks the whole cache at nearly every commit (a page split
/// numbers a page with the lock page's, past the file's end): 16 MiB
/// were as fast as 64 with a million orders stored and faster below
/// (`docs/benchmarks.md`).
const WRITER_CACHE_KIB: i64 = 16 * 1024;
const READER_CACHE_KIB: i64 = 2 * 1024;

/// What is left of SQLite's WAL file on disk when it starts over. The
/// checkpoint keeps it near 4 MiB (1,000 pages), but while readers'
/// snapshots overlap without a gap (a surge, the hot topics reading the
/// fortnight) it cannot start over and grows: 242 MiB in a soak of
/// 300,000 orders. SQLite then keeps the file at its largest for good
/// unless told this (`docs/benchmarks.md`).
const WAL_KEPT_BYTES: i64 = 64 << 20;

/// A connection idle longer than this is tested before it is handed out
/// (HikariCP's default bypass window is the same).
const IDLE_BEFORE_PING: Duration = Duration::from_millis(500);

pub struct SqlStore {
    backend: Backend,
    /// Group commit of registrations and decisions (see `batch.rs`).
    writer: batch::Writer,
    /// For SQLite a single connection: SQLite admits one writer at a time,
    /// and queueing in the pool is cheaper than retrying on SQLITE_BUSY.
    write: AnyPool,
    read: AnyPool,
}

/// SQLSTATEs that say the transaction lost a race and may be retried as it
/// is: serialization_failure (what CockroachDB and YugabyteDB raise under
/// their SERIALIZABLE default), deadlock_detected, and lock_not_available
/// (a `lock_timeout` ran out, set where waiting longer would hold writers up).
const RETRYABLE: [&str; 3] = ["40001", "40P01", "55P03"];

fn backend_error(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Duplicate(db.message().to_owned()),
        sqlx::Error::Database(db) if db.code().is_some_and(|code| RETRYABLE.contains(&code.as_ref())) => {
            StoreError::Contention(db.message().to_owned())
        }
        _ => StoreError::Backend(e.to_string()),
    }
}

pub(crate) trait OrBackend<T> {
    fn or_backend(self) -> StoreResult<T>;
}

impl<T> OrBackend<T> for Result<T, sqlx::Error> {
    fn or_backend(self) -> StoreResult<T> {
        self.map_err(backend_error)
    }
}

/// Every migration in order: version, description, SQL.
const MIGRATIONS: [(i64, &str, &str); 35] = [
    (1, "initial", include_str!("../migrations/0001_initial.sql")),
    (2, "knowledge", include_str!("../migrations/0002_knowledge.sql")),
    (3, "callcentre", include_str!("../migrations/0003_callcentre.sql")),
    (4, "supervision", include_str!("../migrations/0004_supervision.sql")),
    (5, "settings", include_str!("../migrations/0005_settings.sql")),
    (6, "alerts by order", include_str!("../migrations/0006_alerts_by_order.sql")),
    (7, "screening indexes", include_str!("../migrations/0007_screening_indexes.sql")),
    (8, "attempts", include_str!("../migrations/0008_attempts.sql")),
    (9, "audit mac", include_str!("../migrations/0009_audit_mac.sql")),
    (10, "phone secret", include_str!("../migrations/0010_phone_secret.sql")),
    (11, "call recordings", include_str!("../migrations/0011_call_recordings.sql")),
    (12, "call satisfaction", include_str!("../migrations/0012_call_satisfaction.sql")),
    (13, "recording purge", include_str!("../migrations/0013_recording_purge.sql")),
    (14, "emergency incidents", include_str!("../migrations/0014_emergency_incidents.sql")),
    (15, "external refs", include_str!("../migrations/0015_external_refs.sql")),
    (16, "returns by unit", include_str!("../migrations/0016_returns_by_unit.sql")),
    (17, "published replies", include_str!("../migrations/0017_published_replies.sql")),
    (18, "calendar alerts", include_str!("../migrations/0018_calendar_alerts.sql")),
    (19, "leaner order indexes", include_str!("../migrations/0019_leaner_order_indexes.sql")),
    (20, "partner channels", include_str!("../migrations/0020_partner_channels.sql")),
    (21, "external systems", include_str!("../migrations/0021_external_systems.sql")),
    (22, "sms", include_str!("../migrations/0022_sms.sql")),
    (23, "sms_replies", include_str!("../migrations/0023_sms_replies.sql")),
    (24, "orders_by_category_recent", include_str!("../migrations/0024_orders_by_category_recent.sql")),
    (25, "calls_by_order", include_str!("../migrations/0025_calls_by_order.sql")),
    (26, "call_quality", include_str!("../migrations/0026_call_quality.sql")),
    (27, "calls_taken_over", include_str!("../migrations/0027_calls_taken_over.sql")),
    (28, "knowledge_evidence", include_str!("../migrations/0028_knowledge_evidence.sql")),
    (29, "leases", include_str!("../migrations/0029_leases.sql")),
    (30, "calls_in_progress", include_str!("../migrations/0030_calls_in_progress.sql")),
    (31, "models", include_str!("../migrations/0031_models.sql")),
    (32, "phone_bindings", include_str!("../migrations/0032_phone_bindings.sql")),
    (33, "one_town_index", include_str!("../migrations/0033_one_town_index.sql")),
    (34, "incidents_by_town", include_str!("../migrations/0034_incidents_by_town.sql")),
    (35, "deadline_watch", include_str!("../migrations/0035_deadline_watch.sql")),
];

/// Changes whenever a migration does: test templates are keyed on it.
pub fn migrations_fingerprint() -> String {
    MIGRATIONS.iter().map(|(_, _, sql)| *sql).collect()
}

fn migrator() -> Migrator {
    let mut migrator = Migrator::with_migrations(
        MIGRATIONS
            .iter()
            .map(|(version, description, sql)| {
                Migration::new(*version, Cow::Borrowed(*description), MigrationType::Simple, sqlx::SqlStr::from_static(sql), false)
            })
            .collect(),
    );
    // A CockroachDB-style database without advisory locks can turn this off.
    migrator.set_locking(true);
    migrator
}

impl SqlStore {
    /// Connects; a SQLite file is created when missing.
    pub async fn connect(url: &str, options: StoreOptions) -> StoreResult<Self> {
        install_default_drivers();
        let backend = Backend::of_url(url)?;
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => format!("{url}{}mode=rwc", if url.contains('?') { "&" } else { "?" }),
            _ => url.to_owned(),
        };
        let generic_plans = options.generic_plans;
        let pool_options = move |max: u32, cache_kib: i64| {
            AnyPoolOptions::new()
                .max_connections(max)
                .acquire_timeout(options.acquire_timeout)
                // sqlx pings every connection it hands out, and again when it
                // takes one back: under load each read waited for a round
                // trip before its own. One back within half a second is live
                // (the ping when it came back said so); one idle longer,
                // which a restart or a firewall may have cut, is still tested.
                .test_before_acquire(false)
                .before_acquire(|conn, meta| {
                    Box::pin(async move {
                        if meta.idle_for > IDLE_BEFORE_PING {
                            conn.ping().await?;
                        }
                        Ok(true)
                    })
                })
                .after_connect(move |conn, _| {
                    Box::pin(async move {
                        if backend == Backend::Sqlite {
                            // WAL: readers do not block the writer; NORMAL sync keeps every
                            // committed transaction across a process crash.
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute("PRAGMA synchronous = NORMAL").await?;
                            conn.execute("PRAGMA foreign_keys = ON").await?;
                            conn.execute("PRAGMA busy_timeout = 10000").await?;
                            // SQLite's default page cache (2 MiB) holds too little of the
                            // indexes every registration writes into once a city has a few
                            // hundred thousand orders; each insert then read its pages back.
                            conn.execute(AssertSqlSafe(format!("PRAGMA cache_size = -{cache_kib}"))).await?;
                            conn.execute(AssertSqlSafe(format!("PRAGMA journal_size_limit = {WAL_KEPT_BYTES}"))).await?;
                        }
                        if backend == Backend::Postgres && generic_plans {
                            conn.execute("SET plan_cache_mode = force_generic_plan").await?;
                        }
                        Ok(())
                    })
                })
        };
        let pool = |max: u32, cache_kib: i64| pool_options(max, cache_kib).connect(&url);
        let (write, read) = match backend {
            Backend::Sqlite => {
                let write = pool(1, WRITER_CACHE_KIB).await.or_backend()?;
                (write, pool(options.max_connections.clamp(1, 8), READER_CACHE_KIB).await.or_backend()?)
            }
            Backend::Postgres => {
                let p = pool(options.max_connections, 0).await.or_backend()?;
                (p.clone(), p)
            }
        };
        let writer = match backend {
            // SQLite's one write connection is shared with the store's other writes.
            Backend::Sqlite => batch::Writer::on_own_thread(batch::Connect::Shared(write.clone()), backend).await?,
            Backend::Postgres => batch::Writer::on_own_thread(batch::Connect::Own(pool_options(1, 0), url.clone()), backend).await?,
        };
        Ok(Self { backend, writer, write, read })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A PostgreSQL setting as a connection of the store has it
    /// (`current_setting`); an error on SQLite.
    pub async fn pg_setting(&self, name: &str) -> StoreResult<String> {
        if self.backend != Backend::Postgres {
            return Err(StoreError::Backend(format!("{name}: SQLite has no such setting")));
        }
        sqlx::query_scalar("SELECT current_setting($1)").bind(name.to_owned()).fetch_one(&self.read).await.or_backend()
    }

    /// Applies pending migrations.
    pub async fn migrate(&self) -> StoreResult<()> {
        migrator().run(&self.write).await.map_err(|e| StoreError::Backend(format!("migration failed: {e}")))
    }

    /// Whether the schema is at the version this build expects.
    pub async fn is_migrated(&self) -> StoreResult<bool> {
        let applied: Result<Option<i64>, sqlx::Error> =
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE").fetch_one(&self.read).await;
        let latest = migrator().iter().map(|m| m.version).max();
        Ok(applied.ok().flatten() == latest)
    }

    /// Refreshes the query planner's statistics: after a bulk import the
    /// planner otherwise guesses from empty tables.
    ///
    /// On SQLite only the per-index row counts are kept (`sqlite_stat1`).
    /// The histograms (`sqlite_stat4`) make SQLite plan a statement again
    /// every time a parameter it could use changes, which cost a tenth of
    /// the CPU under load, for no better plan on these indexes.
    pub async fn analyze(&self) -> StoreResult<()> {
        sqlx::query("ANALYZE").execute(&self.write).await.or_backend()?;
        if self.backend == Backend::Sqlite {
            let mut conn = self.write.acquire().await.or_backend()?;
            let has_stat4: Option<i64> = sqlx::query_scalar("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat4'")
                .fetch_optional(&mut *conn)
                .await
                .or_backend()?;
            if has_stat4.is_some() {
                sqlx::query("DELETE FROM sqlite_stat4").execute(&mut *conn).await.or_backend()?;
                // Loads the statistics left into the schema of every connection.
                sqlx::query("ANALYZE sqlite_schema").execute(&mut *conn).await.or_backend()?;
            }
        }
        Ok(())
    }

    /// Rows of a query whose `$1` and `$2` are the span `[from, to)`.
    /// Rows parsed as they arrive, not fetched whole first: a month of a
    /// busy centre's calls (half a million rows) would otherwise sit in
    /// memory twice, as database rows and as records.
    pub(crate) async fn between<T>(
        &self,
        sql: &str,
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
        parse: impl Fn(&sqlx::any::AnyRow) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        use futures_util::TryStreamExt;
        let mut rows = sqlx::query(AssertSqlSafe(sql)).bind(codec::micros(from)).bind(codec::micros(to)).fetch(&self.read);
        let mut out = Vec::new();
        while let Some(row) = rows.try_next().await.or_backend()? {
            out.push(parse(&row)?);
        }
        Ok(out)
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.write.close().await;
        self.read.close().await;
    }
}

#[async_trait]
impl Store for SqlStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.read).await.or_backend()?;
        Ok(())
    }

    async fn backlog(&self, now: chrono::DateTime<chrono::Utc>) -> StoreResult<hotline_app::ports::Backlog> {
        use sqlx::Row;
        // The same conditions the workers pick their work by.
        static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            format!(
                "SELECT ({}), \
                 (SELECT COUNT(*) FROM deliveries WHERE delivered_at IS NULL AND failed_at IS NULL AND next_at <= $1), \
                 (SELECT COUNT(*) FROM sms_messages WHERE next_at IS NOT NULL AND next_at <= $1), \
                 (SELECT COUNT(*) FROM external_pushes p JOIN external_systems s ON s.unit_id = p.unit_id AND s.active = 1 \
                  WHERE p.next_at IS NOT NULL AND p.next_at <= $1)",
                watches::backlog_sql()
            )
        });
        let row = sqlx::query(sqlx::AssertSqlSafe(SQL.as_str())).bind(codec::micros(now)).fetch_one(&self.read).await.or_backend()?;
        let count = |i: usize| -> StoreResult<u64> { Ok(u64::try_from(row.try_get::<i64, _>(i).or_backend()?).unwrap_or(0)) };
        Ok(hotline_app::ports::Backlog { deadline_timers: count(0)?, alert_deliveries: count(1)?, texts: count(2)?, pushes: count(3)? })
    }
}

#[cfg(test)]
mod wal_file {
    use super::*;

    /// A reader's snapshot held while the writer goes on keeps the WAL from
    /// starting over, and it grows past the limit; once the reader is
    /// done and a checkpoint has copied the WAL back, the next commit
    /// starts it over and cuts the file down to the limit.
    #[tokio::test]
    async fn the_wal_file_is_cut_back_to_its_limit_once_it_starts_over() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("wal.db");
        let store = SqlStore::connect(&format!("sqlite://{}", file.display()), StoreOptions::default()).await.unwrap();
        sqlx::query("CREATE TABLE probe (b BLOB)").execute(&store.write).await.unwrap();
        let mut reader = store.read.acquire().await.unwrap();
        sqlx::query("BEGIN").execute(&mut *reader).await.unwrap();
        sqlx::query("SELECT count(*) FROM probe").fetch_one(&mut *reader).await.unwrap();
        for _ in 0..(WAL_KEPT_BYTES >> 20) + 16 {
            sqlx::query("INSERT INTO probe SELECT randomblob(1048576)").execute(&store.write).await.unwrap();
        }
        let wal = dir.path().join("wal.db-wal");
        let grown = std::fs::metadata(&wal).unwrap().len();
        assert!(grown > WAL_KEPT_BYTES as u64, "the reader kept the WAL from starting over: {grown} bytes");
        sqlx::query("COMMIT").execute(&mut *reader).await.unwrap();
        drop(reader);
        sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&store.write).await.unwrap();
        sqlx::query("INSERT INTO probe VALUES (x'00')").execute(&store.write).await.unwrap();
        let kept = std::fs::metadata(&wal).unwrap().len();
        assert!(kept <= WAL_KEPT_BYTES as u64, "the WAL grew to {grown} bytes and kept {kept}");
        store.close().await;
    }
}

#[cfg(test)]
mod rolling_upgrade {
    use super::MIGRATIONS;

    /// What a node of the previous version, still serving while the new
    /// one migrates, would trip on: a table or column it reads gone or
    /// renamed, a column it writes newly refused.
    const BREAKING: [&str; 6] = ["DROP TABLE", "DROP COLUMN", "RENAME", "ALTER COLUMN", "SET NOT NULL", "ADD CONSTRAINT"];

    /// Migrations only expand the schema (tables, nullable or defaulted
    /// columns, indexes), so nodes are upgraded one at a time. A migration
    /// that contracts says so on its first line (`-- contract: …`, naming
    /// the release whose nodes no longer use what it removes) and is run
    /// only once every node runs that release (docs/operations.md).
    #[test]
    fn migrations_only_expand_unless_they_say_they_contract() {
        for (version, description, sql) in MIGRATIONS {
            if sql.lines().next().is_some_and(|l| l.starts_with("-- contract:")) {
                continue;
            }
            let code: String = sql.lines().map(|l| l.split("--").next().unwrap_or_default()).collect::<Vec<_>>().join(" ").to_uppercase();
            let code = code.split_whitespace().collect::<Vec<_>>().join(" ");
            for words in BREAKING {
                assert!(
                    !code.contains(words),
                    "migration {version} ({description}) has {words}: mark it `-- contract: …` or expand instead"
                );
            }
            for added in code.split("ADD COLUMN").skip(1) {
                let column = added.split(',').next().unwrap_or_default().split(';').next().unwrap_or_default();
                assert!(
                    !column.contains("NOT NULL") || column.contains("DEFAULT"),
                    "migration {version} ({description}) adds a NOT NULL column without a default: older nodes' inserts would fail"
                );
            }
        }
    }
}
