//! Monthly partitions on PostgreSQL for the tables that grow without end
//! (`hotline partitions`, `docs/operations.md`).
//!
//! Ids are time-ordered (`hotline_app::ids`), so a month is a range of
//! ids: partitioning by ranges of the id keeps every primary key and every
//! foreign key as they are. A table is turned into a partitioned one in a
//! single transaction, without copying a row: the table as it stands
//! becomes the first partition (everything before the first month), and
//! each month after gets its own. PostgreSQL keeps no unique index on a
//! partitioned table that leaves the partition key out, so the order
//! numbers', the imported orders' references' and the audit chain's
//! uniqueness is kept per month (each month's partition has its own
//! unique indexes, made like the month before's), and across months rests
//! on what makes them: the numbering's blocks, the import's look-up of
//! numbers and references before it writes, and the one sealer.
//!
//! SQLite has no partitions: there the tables stay as they are.

use crate::codec::Get;
use crate::{Backend, OrBackend, SqlStore};
use chrono::{DateTime, Datelike, Months, TimeZone, Utc};
use hotline_app::ids::{first_id_at, time_of_id};
use hotline_app::ports::{StoreError, StoreResult};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe};

/// Tries of one month's partition that met other transactions' locks.
const PARTITION_TRIES: u64 = 4;

/// A table partitioned by month, by ranges of `key`.
struct Plan {
    table: &'static str,
    /// The column holding the time-ordered id: the row's own, or its
    /// order's, so that an order's history lies in its order's month.
    key: &'static str,
}

const PLANS: [Plan; 4] = [
    Plan { table: "work_orders", key: "id" },
    Plan { table: "order_history", key: "order_id" },
    Plan { table: "audit_log", key: "id" },
    Plan { table: "calls", key: "id" },
];

/// One partition as the catalogue has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partition {
    pub table: String,
    pub name: String,
    /// The first instant its rows were made at; `None`: from the beginning.
    pub from: Option<DateTime<Utc>>,
    /// The instant its rows were made before; `None`: without end.
    pub to: Option<DateTime<Utc>>,
}

/// What [`SqlStore::partition_by_month`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartitionReport {
    /// Tables turned into partitioned ones.
    pub converted: Vec<String>,
    /// Monthly partitions created.
    pub created: Vec<String>,
}

impl SqlStore {
    /// Partitions the growing tables by month, those not yet partitioned,
    /// each in one transaction (its writers wait for it, at most
    /// `lock_timeout` of 10 s to begin), then creates the months up to
    /// `ahead` months after `now`'s. Running it again changes nothing but
    /// the months ahead.
    pub async fn partition_by_month(&self, now: DateTime<Utc>, ahead: u32) -> StoreResult<PartitionReport> {
        self.partitions_need_postgres()?;
        let mut report = PartitionReport::default();
        for plan in &PLANS {
            if self.convert(plan, now).await? {
                report.converted.push(plan.table.to_owned());
            }
        }
        report.created = self.add_partitions(now, ahead).await?;
        Ok(report)
    }

    /// Creates the monthly partitions missing up to `ahead` months after
    /// `now`'s, for the tables already partitioned (nothing on SQLite or
    /// before [`Self::partition_by_month`]). The server runs it at start and
    /// every hour: a row made beyond the last month would have no partition
    /// to go to.
    pub async fn add_partitions(&self, now: DateTime<Utc>, ahead: u32) -> StoreResult<Vec<String>> {
        if self.backend() != Backend::Postgres {
            return Ok(Vec::new());
        }
        let last = month_start(now).checked_add_months(Months::new(ahead)).unwrap_or(now);
        let existing = self.partitions().await?;
        let mut created = Vec::new();
        for plan in &PLANS {
            let mine: Vec<&Partition> = existing.iter().filter(|p| p.table == plan.table).collect();
            let Some(mut month) = mine.iter().map(|p| p.to).max().flatten() else {
                // Not partitioned, or already without end.
                continue;
            };
            let newest = mine.iter().max_by_key(|p| p.to).map(|p| p.name.clone()).unwrap_or_default();
            let mut unique = self.unique_by_month(&newest).await?;
            while month <= last {
                let next = month.checked_add_months(Months::new(1)).unwrap_or(month);
                let name = format!("{}_{}", plan.table, month_label(month));
                let mut tries = 0;
                let made = loop {
                    match self.add_partition(plan.table, &name, (first_id_at(month), first_id_at(next)), &unique).await {
                        Ok(made) => break made,
                        Err(StoreError::Contention(_)) if tries + 1 < PARTITION_TRIES => tries += 1,
                        Err(e) => return Err(e),
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(250 * tries)).await;
                };
                unique = unique.into_iter().map(|(index, rest)| (partition_index_name(&name, &index), rest)).collect();
                if made {
                    created.push(name);
                }
                month = next;
            }
        }
        Ok(created)
    }

    /// Makes one month's partition apart and attaches it: attaching locks
    /// the table against changes of its schema only, so its readers and
    /// writers go on (those of the tables its foreign keys join wait for
    /// the moment the keys take). A lock not had within 2 s gives up, as
    /// contention, rather than hold writers up longer. The same lock, taken
    /// first, lets two makers of one month (an operator's command beside
    /// the server's round) take turns: the second finds it made (`false`).
    async fn add_partition(&self, table: &str, name: &str, (from, to): (i64, i64), unique: &[(String, String)]) -> StoreResult<bool> {
        let mut tx = self.write.begin().await.or_backend()?;
        run(&mut tx, "SET LOCAL lock_timeout = '2s'".into()).await?;
        run(&mut tx, format!("LOCK TABLE {table} IN SHARE UPDATE EXCLUSIVE MODE")).await?;
        let made = fetch(&mut tx, format!("SELECT 1 AS made FROM pg_class WHERE oid = to_regclass('{name}')")).await?;
        if !made.is_empty() {
            return Ok(false);
        }
        run(
            &mut tx,
            format!("CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS)"),
        )
        .await?;
        for (index, rest) in unique {
            run(&mut tx, format!("CREATE UNIQUE INDEX {} ON {name} {rest}", partition_index_name(name, index))).await?;
        }
        run(&mut tx, format!("ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES FROM ({from}) TO ({to})")).await?;
        tx.commit().await.or_backend()?;
        Ok(true)
    }

    /// The partitions of the partitioned tables, oldest first per table.
    pub async fn partitions(&self) -> StoreResult<Vec<Partition>> {
        self.partitions_need_postgres()?;
        let rows = sqlx::query(
            "SELECT p.relname::TEXT AS parent, c.relname::TEXT AS name, pg_get_expr(c.relpartbound, c.oid) AS bound \
             FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent \
             JOIN pg_namespace n ON n.oid = p.relnamespace \
             WHERE n.nspname = current_schema() AND p.relkind = 'p' ORDER BY p.relname",
        )
        .fetch_all(&self.read)
        .await
        .or_backend()?;
        let mut partitions = rows
            .iter()
            .map(|row| {
                let (from, to) = bounds(&row.text("bound")?)?;
                Ok(Partition { table: row.text("parent")?, name: row.text("name")?, from, to })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        partitions.sort_by(|a, b| (&a.table, a.from).cmp(&(&b.table, b.from)));
        Ok(partitions)
    }

    /// The unique indexes a partition has of its own (not its table's):
    /// each with what follows `ON table` in its definition (`USING btree
    /// (number)`), to be made again on the next month's.
    async fn unique_by_month(&self, partition: &str) -> StoreResult<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT c.relname::TEXT AS name, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i \
             JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid \
             JOIN pg_namespace n ON n.oid = t.relnamespace \
             WHERE n.nspname = current_schema() AND t.relname = $1 AND i.indisunique \
             AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid) ORDER BY c.relname",
        )
        .bind(partition)
        .fetch_all(&self.read)
        .await
        .or_backend()?;
        rows.iter()
            .map(|row| {
                let def = row.text("def")?;
                let rest = def.split_once(" USING ").map(|(_, rest)| format!("USING {rest}"));
                Ok((row.text("name")?, rest.ok_or_else(|| StoreError::Backend(format!("an index definition without USING: {def}")))?))
            })
            .collect()
    }

    fn partitions_need_postgres(&self) -> StoreResult<()> {
        match self.backend() {
            Backend::Postgres => Ok(()),
            Backend::Sqlite => Err(StoreError::Backend("partitions by month need PostgreSQL; SQLite has none".into())),
        }
    }

    /// Turns one table into a partitioned one; `false` if it was already.
    async fn convert(&self, plan: &Plan, now: DateTime<Utc>) -> StoreResult<bool> {
        let table = plan.table;
        let mut tx = self.write.begin().await.or_backend()?;
        run(&mut tx, "SET LOCAL lock_timeout = '10s'".into()).await?;
        run(&mut tx, format!("LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")).await?;
        let kind = fetch(&mut tx, format!("SELECT relkind::TEXT AS kind FROM pg_class WHERE oid = '{table}'::regclass")).await?;
        if kind.first().map(|r| r.text("kind")).transpose()?.as_deref() == Some("p") {
            return Ok(false);
        }
        // Everything made before the month after this one (or after the
        // newest row's, should a clock have run ahead) stays where it is.
        let newest = fetch(&mut tx, format!("SELECT COALESCE(MAX({}), 0) AS newest FROM {table}", plan.key)).await?;
        let newest = time_of_id(newest.first().map(|r| r.int("newest")).transpose()?.unwrap_or(0));
        let until = month_start(now.max(newest)).checked_add_months(Months::new(1)).unwrap_or(now);
        let first = format!("{table}_before_{}", month_label(until));

        // What the table has, read before anything is renamed: definitions
        // that name the table name the partitioned table when replayed.
        // (A foreign key to a partitioned table has a copy per partition,
        // `conparentid` naming the one declared: those go with it.)
        let constraints = fetch(
            &mut tx,
            format!(
                "SELECT conname::TEXT AS name, contype::TEXT AS kind, pg_get_constraintdef(oid) AS def, \
                 conrelid::regclass::TEXT AS owner FROM pg_constraint WHERE conparentid = 0 \
                 AND ((conrelid = '{table}'::regclass AND contype IN ('p', 'u', 'f')) \
                 OR (confrelid = '{table}'::regclass AND contype = 'f' AND conrelid <> '{table}'::regclass)) ORDER BY conname"
            ),
        )
        .await?;
        let indexes = fetch(
            &mut tx,
            format!(
                "SELECT c.relname::TEXT AS name, pg_get_indexdef(i.indexrelid) AS def, \
                 CASE WHEN EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) THEN 1 ELSE 0 END AS owned \
                 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = '{table}'::regclass ORDER BY c.relname"
            ),
        )
        .await?;
        let constraints: Vec<(String, String, String, String)> = constraints
            .iter()
            .map(|r| Ok((r.text("name")?, r.text("kind")?, r.text("def")?, r.text("owner")?)))
            .collect::<StoreResult<_>>()?;
        let foreign: Vec<&(String, String, String, String)> = constraints.iter().filter(|c| c.1 == "f").collect();

        // Foreign keys to and from the table go, and come back on the
        // partitioned table (PostgreSQL checks them again: the rows are read).
        for (name, _, _, owner) in &foreign {
            run(&mut tx, format!("ALTER TABLE {owner} DROP CONSTRAINT {name}")).await?;
        }
        run(&mut tx, format!("ALTER TABLE {table} RENAME TO {first}")).await?;
        for index in &indexes {
            let name = index.text("name")?;
            run(&mut tx, format!("ALTER INDEX {name} RENAME TO {}", partition_index_name(&first, &name))).await?;
        }
        run(
            &mut tx,
            format!(
                "CREATE TABLE {table} (LIKE {first} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS) \
                 PARTITION BY RANGE ({})",
                plan.key
            ),
        )
        .await?;
        for (name, kind, def, _) in constraints.iter().filter(|c| c.1 != "f") {
            // A unique constraint without the key stays on the first
            // partition only; each month's partition gets its own index
            // (`add_partitions`).
            if kind == "p" || key_columns(def).iter().any(|c| c == plan.key) {
                run(&mut tx, format!("ALTER TABLE {table} ADD CONSTRAINT {name} {def}")).await?;
            }
        }
        for index in indexes.iter().filter(|i| i.int("owned").is_ok_and(|owned| owned == 0)) {
            // Same name, now on the partitioned table: the first partition's
            // equal index is attached to it rather than built again. A
            // unique index without the key is kept by month, as above.
            let def = index.text("def")?;
            if !def.starts_with("CREATE UNIQUE") || key_columns(&def).iter().any(|c| c == plan.key) {
                run(&mut tx, def).await?;
            }
        }
        run(&mut tx, format!("ALTER TABLE {table} ATTACH PARTITION {first} FOR VALUES FROM (MINVALUE) TO ({})", first_id_at(until)))
            .await?;
        for (name, _, def, owner) in &foreign {
            run(&mut tx, format!("ALTER TABLE {owner} ADD CONSTRAINT {name} {def}")).await?;
        }
        tx.commit().await.or_backend()?;
        // The planner's figures for the partitioned table as a whole, once
        // its writers go on.
        sqlx::query(AssertSqlSafe(format!("ANALYZE {table}"))).execute(&self.write).await.or_backend()?;
        Ok(true)
    }
}

/// Whether `name` is one of the monthly partitions this module makes of
/// `table` (`work_orders_before_202701`, `work_orders_202701`): a dump
/// holds a partitioned table's rows under its partitions' names.
pub fn is_partition_of(name: &str, table: &str) -> bool {
    let month = |s: &str| s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit());
    name.strip_prefix(table).and_then(|rest| rest.strip_prefix('_')).is_some_and(|rest| month(rest.strip_prefix("before_").unwrap_or(rest)))
}

async fn run(conn: &mut AnyConnection, sql: String) -> StoreResult<()> {
    sqlx::query(AssertSqlSafe(sql)).execute(&mut *conn).await.or_backend().map(|_| ())
}

async fn fetch(conn: &mut AnyConnection, sql: String) -> StoreResult<Vec<AnyRow>> {
    sqlx::query(AssertSqlSafe(sql)).fetch_all(&mut *conn).await.or_backend()
}

fn month_start(at: DateTime<Utc>) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(at.year(), at.month(), 1, 0, 0, 0).single().unwrap_or(at)
}

/// `202612` for December 2026.
fn month_label(month: DateTime<Utc>) -> String {
    format!("{:04}{:02}", month.year(), month.month())
}

/// The first partition's name for an index of the table it was: within
/// PostgreSQL's 63 bytes, and unlike the partitioned table's (which keeps
/// the index's own name).
fn partition_index_name(partition: &str, index: &str) -> String {
    let mut name = format!("{partition}_{}", index.rsplit_once('_').map_or(index, |(_, last)| last));
    name.truncate(57);
    // Two indexes ending alike (`…_key`) must not meet.
    format!("{name}_{:04x}", index.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b))) & 0xffff)
}

/// The columns a `PRIMARY KEY (a, b)` or `UNIQUE (a)` definition names.
fn key_columns(def: &str) -> Vec<String> {
    def.split_once('(')
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(columns, _)| columns.split(',').map(|c| c.trim().trim_matches('"').to_owned()).collect())
        .unwrap_or_default()
}

/// Where a partition starts and ends; `None`: without a bound.
type Span = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// `FOR VALUES FROM (MINVALUE) TO ('123')` as the instants its ids were made at.
fn bounds(expr: &str) -> StoreResult<Span> {
    let unparsed = || StoreError::Backend(format!("a partition bound not by ranges of ids: {expr}"));
    let value = |part: &str| -> StoreResult<Option<DateTime<Utc>>> {
        let inner =
            part.split_once('(').and_then(|(_, r)| r.split_once(')')).map(|(v, _)| v.trim().trim_matches('\'')).ok_or_else(unparsed)?;
        match inner {
            "MINVALUE" | "MAXVALUE" => Ok(None),
            id => id.parse::<i64>().map(|id| Some(time_of_id(id))).map_err(|_| unparsed()),
        }
    };
    let (from, to) = expr.split_once(" TO ").ok_or_else(unparsed)?;
    Ok((value(from)?, value(to)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_read_as_the_instants_of_their_ids() {
        let month: DateTime<Utc> = "2027-01-01T00:00:00Z".parse().unwrap();
        let expr = format!("FOR VALUES FROM (MINVALUE) TO ('{}')", first_id_at(month));
        assert_eq!(bounds(&expr).unwrap(), (None, Some(month)));
        let next = first_id_at(month.checked_add_months(Months::new(1)).unwrap());
        let expr = format!("FOR VALUES FROM ('{}') TO ('{next}')", first_id_at(month));
        assert_eq!(bounds(&expr).unwrap().0, Some(month));
        assert!(bounds("FOR VALUES IN ('a')").is_err());
        assert!(bounds("FOR VALUES FROM ('x') TO ('1')").is_err());
    }

    #[test]
    fn partitions_are_known_by_their_names() {
        assert!(is_partition_of("work_orders_202701", "work_orders"));
        assert!(is_partition_of("calls_before_202701", "calls"));
        assert!(!is_partition_of("calls_in_progress", "calls"));
        assert!(!is_partition_of("calls_2027010", "calls"));
        assert!(!is_partition_of("work_orders", "work_orders"));
    }

    #[test]
    fn key_columns_and_index_names() {
        assert_eq!(key_columns("PRIMARY KEY (order_id, seq)"), ["order_id", "seq"]);
        assert_eq!(key_columns("UNIQUE (number)"), ["number"]);
        let a = partition_index_name("work_orders_before_202701", "work_orders_number_key");
        let b = partition_index_name("work_orders_before_202701", "work_orders_external_key");
        assert_ne!(a, b);
        assert!(a.starts_with("work_orders_before_202701_key_"), "{a}");
        let long = partition_index_name(&"t".repeat(60), "an_index_with_a_long_name");
        assert_eq!(long.len(), 62, "within PostgreSQL's 63 bytes: {long}");
    }
}
