//! The SQL both databases share: bound values, statements built at run
//! time from fixed text and placeholders, multi-row inserts, `IN` lists,
//! the audit record every change writes, and the state lists the domain
//! defines (so SQL and Rust cannot disagree about which states are
//! finished).

use crate::codec::micros;
use crate::{Backend, OrBackend, SqlStore};
use chrono::{DateTime, Utc};
use hotline_app::ports::{AuditRecord, StoreError, StoreResult};
use hotline_domain::State;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AnyConnection, AssertSqlSafe};
use std::sync::LazyLock;

/// A value bound to a statement.
#[derive(Debug, Clone)]
pub(crate) enum Val {
    Int(Option<i64>),
    Float(Option<f64>),
    Text(Option<String>),
}

impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Self::Int(Some(v))
    }
}
impl From<Option<i64>> for Val {
    fn from(v: Option<i64>) -> Self {
        Self::Int(v)
    }
}
impl From<Option<f64>> for Val {
    fn from(v: Option<f64>) -> Self {
        Self::Float(v)
    }
}
impl From<String> for Val {
    fn from(v: String) -> Self {
        Self::Text(Some(v))
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Self {
        Self::Text(Some(v.to_owned()))
    }
}
impl From<Option<String>> for Val {
    fn from(v: Option<String>) -> Self {
        Self::Text(v)
    }
}

pub(crate) fn bind(q: Query<'_, Any, AnyArguments>, v: Val) -> Query<'_, Any, AnyArguments> {
    match v {
        Val::Int(x) => q.bind(x),
        Val::Float(x) => q.bind(x),
        Val::Text(x) => q.bind(x),
    }
}

/// Runs a statement built at run time from fixed column names and `$n`
/// placeholders only: values always travel as bound parameters.
pub(crate) fn dynamic(sql: &str, values: Vec<Val>) -> Query<'_, Any, AnyArguments> {
    values.into_iter().fold(sqlx::query(AssertSqlSafe(sql)), bind)
}

/// Placeholders for statements with thousands of parameters. SQLite finds a
/// named parameter (`$7`) by scanning all names, so binding n of them costs
/// O(n²); anonymous `?` parameters bind by position. PostgreSQL needs `$n`.
pub(crate) fn bulk_placeholders(backend: Backend, from: usize, n: usize) -> String {
    match backend {
        Backend::Sqlite => vec!["?"; n].join(", "),
        Backend::Postgres => (from..from + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", "),
    }
}

pub(crate) async fn insert_audit(conn: &mut AnyConnection, record: &AuditRecord) -> StoreResult<()> {
    sqlx::query("INSERT INTO audit_log (id, at, actor_id, action, target, detail, mac) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(record.id)
        .bind(micros(record.at))
        .bind(record.actor.map(|a| a.0))
        .bind(record.action.as_str())
        .bind(record.target.as_str())
        .bind(record.detail.as_str())
        .bind(record.mac.as_deref())
        .execute(conn)
        .await
        .or_backend()?;
    Ok(())
}

// Every distinct statement text is parsed, planned and cached on each
// connection on its own. A list whose length follows the load (the rows of
// a group commit, the ids of an `IN`) made a new text for nearly every
// batch and pushed the others out of the cache (100 statements): measured
// under load, PostgreSQL spent more CPU preparing statements than running
// them. Lengths are therefore taken from the powers of two, a handful of
// texts per statement.

/// `IN (…)` for `items`, their values appended to `values`. The list is
/// padded to a power of two by repeating its last value, which changes
/// nothing an `IN` means. No items is `IN (NULL)`, which matches nothing
/// (never negate it: `NOT IN (NULL)` matches nothing either).
pub(crate) fn in_list(backend: Backend, values: &mut Vec<Val>, items: impl IntoIterator<Item = Val>) -> String {
    let from = values.len() + 1;
    let mut items: Vec<Val> = items.into_iter().collect();
    let Some(last) = items.last().cloned() else { return "IN (NULL)".into() };
    items.resize(items.len().next_power_of_two(), last);
    let n = items.len();
    values.extend(items);
    format!("IN ({})", bulk_placeholders(backend, from, n))
}

/// How many rows each statement of a multi-row write of `n` rows takes:
/// powers of two, largest first, none above `max` (at least 1).
pub(crate) fn pieces(n: usize, max: usize) -> impl Iterator<Item = usize> {
    let cap = 1usize << (usize::BITS - 1 - max.max(1).leading_zeros());
    let mut left = n;
    std::iter::from_fn(move || {
        (left > 0).then(|| {
            let take = cap.min(1usize << (usize::BITS - 1 - left.leading_zeros()));
            left -= take;
            take
        })
    })
}

/// Appends `IN ($a, $b, …)` for the ids and their values (read queries,
/// `$n` on both databases).
pub(crate) fn push_in(sql: &mut String, values: &mut Vec<Val>, ids: impl IntoIterator<Item = i64>) {
    sql.push_str(&in_list(Backend::Postgres, values, ids.into_iter().map(Val::from)));
}

pub(crate) fn push_in_text(sql: &mut String, values: &mut Vec<Val>, words: &[&str]) {
    sql.push_str(&in_list(Backend::Postgres, values, words.iter().map(|w| Val::from(*w))));
}

/// Bound parameters per statement, under SQLite's limit of 32,766.
pub(crate) const MAX_PARAMETERS: usize = 30_000;

/// `INSERT INTO <head> VALUES (…), (…) <tail>` for many rows of `width`
/// values, in statements of [`pieces`] of the rows.
pub(crate) async fn insert_rows(
    conn: &mut AnyConnection,
    backend: Backend,
    head: &str,
    width: usize,
    rows: Vec<Vec<Val>>,
    tail: &str,
) -> StoreResult<Vec<AnyRow>> {
    insert_shaped(conn, head, width, &|from| bulk_placeholders(backend, from, width), rows, tail).await
}

/// Writes one row's expressions, its values bound from placeholder `from` on.
pub(crate) type RowShape<'a> = &'a (dyn Fn(usize) -> String + Sync);

/// [`insert_rows`] where a row's values are not all stored as they are:
/// `shape` writes one row's expressions for its `width` values.
pub(crate) async fn insert_shaped(
    conn: &mut AnyConnection,
    head: &str,
    width: usize,
    shape: RowShape<'_>,
    rows: Vec<Vec<Val>>,
    tail: &str,
) -> StoreResult<Vec<AnyRow>> {
    let mut returned = Vec::new();
    let sizes: Vec<usize> = pieces(rows.len(), MAX_PARAMETERS / width).collect();
    let mut rows = rows.into_iter();
    for size in sizes {
        let mut sql = format!("INSERT INTO {head} VALUES ");
        let mut values = Vec::new();
        for (i, row) in rows.by_ref().take(size).enumerate() {
            debug_assert_eq!(row.len(), width);
            sql.push_str(if i == 0 { "(" } else { ", (" });
            sql.push_str(&shape(values.len() + 1));
            sql.push(')');
            values.extend(row);
        }
        sql.push_str(tail);
        if tail.is_empty() {
            dynamic(&sql, values).execute(&mut *conn).await.or_backend()?;
        } else {
            returned.extend(dynamic(&sql, values).fetch_all(&mut *conn).await.or_backend()?);
        }
    }
    Ok(returned)
}

pub(crate) const AUDIT_HEAD: &str = "audit_log (id, at, actor_id, action, target, detail, mac)";
pub(crate) const AUDIT_WIDTH: usize = 7;

pub(crate) fn audit_row(r: &AuditRecord) -> Vec<Val> {
    vec![
        Val::from(r.id),
        micros(r.at).into(),
        r.actor.map(|a| a.0).into(),
        r.action.as_str().into(),
        r.target.as_str().into(),
        r.detail.as_str().into(),
        r.mac.clone().into(),
    ]
}

/// `'a', 'b'` for the states that satisfy `keep`, for `state IN (…)`.
fn state_list(keep: impl Fn(State) -> bool) -> String {
    State::ALL.iter().filter(|s| keep(**s)).map(|s| format!("'{}'", s.as_str())).collect::<Vec<_>>().join(", ")
}

/// The finished states (`State::is_terminal`): archived, invalid, merged.
pub(crate) static TERMINAL_STATES: LazyLock<String> = LazyLock::new(|| state_list(State::is_terminal));
/// The states of orders that do not count (`State::is_void`): invalid calls
/// and merged duplicates.
pub(crate) static VOID_STATES: LazyLock<String> = LazyLock::new(|| state_list(State::is_void));

impl SqlStore {
    /// The row a read query finds, parsed; `None` when it finds none.
    pub(crate) async fn read_one<T>(
        &self,
        query: Query<'_, Any, AnyArguments>,
        parse: impl Fn(&AnyRow) -> StoreResult<T>,
    ) -> StoreResult<Option<T>> {
        query.fetch_optional(&self.read).await.or_backend()?.as_ref().map(parse).transpose()
    }

    /// The rows a read query finds, parsed.
    pub(crate) async fn read_all<T>(
        &self,
        query: Query<'_, Any, AnyArguments>,
        parse: impl Fn(&AnyRow) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        query.fetch_all(&self.read).await.or_backend()?.iter().map(parse).collect()
    }

    /// Inserts rows and the audit record describing them, in one transaction.
    pub(crate) async fn audited_insert(&self, head: &str, width: usize, rows: Vec<Vec<Val>>, audit: &AuditRecord) -> StoreResult<()> {
        let mut tx = self.write.begin().await.or_backend()?;
        insert_rows(&mut tx, self.backend, head, width, rows, "").await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.or_backend()
    }

    /// Runs one statement and, if it changed anything, the audit record
    /// describing it, in one transaction; returns how many rows changed
    /// (none changed: nothing is written, not even the audit record).
    pub(crate) async fn audited_update(&self, sql: &str, values: Vec<Val>, audit: &AuditRecord) -> StoreResult<u64> {
        let mut tx = self.write.begin().await.or_backend()?;
        let changed = dynamic(sql, values).execute(&mut *tx).await.or_backend()?.rows_affected();
        if changed == 0 {
            tx.rollback().await.or_backend()?;
            return Ok(0);
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.or_backend()?;
        Ok(changed)
    }
}

/// Fails with "not found" when an update or delete touched no row.
pub(crate) fn touched(rows: u64, what: String) -> StoreResult<()> {
    if rows == 0 { Err(StoreError::NotFound(what)) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_lists_follow_the_domain() {
        assert_eq!(TERMINAL_STATES.as_str(), "'archived', 'invalid', 'merged'");
        assert_eq!(VOID_STATES.as_str(), "'invalid', 'merged'");
    }

    #[test]
    fn multi_row_writes_are_cut_in_powers_of_two_below_the_limit() {
        let cut = |n, max| pieces(n, max).collect::<Vec<_>>();
        assert_eq!(cut(0, 128), Vec::<usize>::new());
        assert_eq!(cut(1, 128), [1]);
        assert_eq!(cut(14, 128), [8, 4, 2]);
        assert_eq!(cut(128, 128), [128]);
        // A limit that is no power of two is rounded down to one.
        assert_eq!(cut(300, 100), [64, 64, 64, 64, 32, 8, 4]);
        assert_eq!(cut(3, 0), [1, 1, 1]);
        for n in 0..600 {
            let sizes = cut(n, 100);
            assert_eq!(sizes.iter().sum::<usize>(), n);
            assert!(sizes.iter().all(|s| s.is_power_of_two() && *s <= 64));
        }
    }

    #[test]
    fn in_lists_are_padded_with_their_last_value_to_a_power_of_two() {
        let mut values = vec![Val::from(7)];
        let sql = in_list(Backend::Postgres, &mut values, [1, 2, 3].map(Val::from));
        assert_eq!(sql, "IN ($2, $3, $4, $5)");
        let ints: Vec<Option<i64>> = values.iter().map(|v| if let Val::Int(i) = v { *i } else { None }).collect();
        assert_eq!(ints, [Some(7), Some(1), Some(2), Some(3), Some(3)]);
        assert_eq!(in_list(Backend::Sqlite, &mut Vec::new(), [5, 6].map(Val::from)), "IN (?, ?)");
        assert_eq!(in_list(Backend::Sqlite, &mut Vec::new(), []), "IN (NULL)");
    }
}

impl SqlStore {
    /// Takes an outbox row (`external_pushes`, `sms_messages`, `deliveries`) for one
    /// attempt: moves its `next_at` from `due` to `until` unless another
    /// node moved it first.
    pub(crate) async fn claim_outbox_row(
        &self,
        table: OutboxTable,
        id: i64,
        due: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let sql = match table {
            OutboxTable::Pushes => "UPDATE external_pushes SET next_at = $3 WHERE id = $1 AND next_at = $2",
            OutboxTable::Texts => "UPDATE sms_messages SET next_at = $3 WHERE id = $1 AND next_at = $2",
            OutboxTable::Deliveries => {
                "UPDATE deliveries SET next_at = $3 WHERE id = $1 AND next_at = $2 AND delivered_at IS NULL AND failed_at IS NULL"
            }
        };
        let taken =
            sqlx::query(sql).bind(id).bind(micros(due)).bind(micros(until)).execute(&self.write).await.or_backend()?.rows_affected();
        Ok(taken == 1)
    }
}

/// The outboxes whose rows are claimed before each attempt.
#[derive(Debug, Clone, Copy)]
pub(crate) enum OutboxTable {
    Pushes,
    Texts,
    /// Alerts' e-mails and webhooks.
    Deliveries,
}
