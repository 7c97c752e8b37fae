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
// texts per statement; PostgreSQL's multi-row writes take one text whatever
// their length ([`row_sets`]).

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

/// `INSERT INTO <head> <rows> <tail>` for many rows of `width` values,
/// in the statements of [`row_sets`].
pub(crate) async fn insert_rows(
    conn: &mut AnyConnection,
    backend: Backend,
    head: &str,
    width: usize,
    rows: Vec<Vec<Val>>,
    tail: &str,
) -> StoreResult<Vec<AnyRow>> {
    let mut returned = Vec::new();
    for set in row_sets(backend, width, rows) {
        let sql = format!("INSERT INTO {head} {}{tail}", set.sql);
        if tail.is_empty() {
            dynamic(&sql, set.values).execute(&mut *conn).await.or_backend()?;
        } else {
            returned.extend(dynamic(&sql, set.values).fetch_all(&mut *conn).await.or_backend()?);
        }
    }
    Ok(returned)
}

/// Multi-row inserts into several tables, written together. On PostgreSQL
/// they go as one statement of data-modifying `WITH` queries, one JSON
/// parameter each: a registration's order, history, units, deadlines and
/// audit record cost the group-commit writer one round trip instead of one
/// per table, and it waits for each (constraints are checked at the end of
/// the statement, so a row may refer to one inserted beside it). On SQLite
/// each is [`insert_rows`], in the order added.
#[derive(Default)]
pub(crate) struct Inserts {
    parts: Vec<Insert>,
}

struct Insert {
    head: String,
    width: usize,
    rows: Vec<Vec<Val>>,
    tail: String,
}

impl Inserts {
    /// Adds `INSERT INTO <head> <rows> <tail>`; no rows, no statement. The
    /// tail may resolve conflicts; what it returns is not read.
    pub(crate) fn add(&mut self, head: impl Into<String>, width: usize, rows: Vec<Vec<Val>>, tail: impl Into<String>) {
        if !rows.is_empty() {
            self.parts.push(Insert { head: head.into(), width, rows, tail: tail.into() });
        }
    }

    /// Adds `other`'s inserts after these.
    pub(crate) fn extend(&mut self, other: Inserts) {
        self.parts.extend(other.parts);
    }

    pub(crate) async fn run(self, conn: &mut AnyConnection, backend: Backend) -> StoreResult<()> {
        let together = backend == Backend::Postgres && self.parts.len() > 1 && self.parts.iter().all(|p| p.rows.len() <= JSON_ROWS);
        if !together {
            for part in self.parts {
                insert_rows(conn, backend, &part.head, part.width, part.rows, &part.tail).await?;
            }
            return Ok(());
        }
        let mut sql = String::from("WITH ");
        let mut values = Vec::with_capacity(self.parts.len());
        for (i, part) in self.parts.iter().enumerate() {
            let comma = if i == 0 { "" } else { ", " };
            let rows = json_record_set(i + 1, &part.rows[0]);
            sql.push_str(&format!("{comma}w{i} AS (INSERT INTO {} {rows}{})", part.head, part.tail));
            values.push(Val::from(json_rows(&part.rows)));
        }
        sql.push_str(" SELECT 1");
        dynamic(&sql, values).execute(&mut *conn).await.or_backend().map(drop)
    }
}

/// Updates and deletes without results, written together: on PostgreSQL
/// as one statement of data-modifying `WITH` queries (one round trip), on
/// SQLite one after another. They see the same rows on PostgreSQL, so none
/// may touch a row another of them touches.
pub(crate) struct Together {
    backend: Backend,
    statements: Vec<(String, Vec<Val>)>,
    /// PostgreSQL's values, numbered across the statements.
    shared: Vec<Val>,
}

impl Together {
    pub(crate) fn new(backend: Backend) -> Self {
        Self { backend, statements: Vec::new(), shared: Vec::new() }
    }

    /// Adds the statement `build` writes, binding its values by appending
    /// them to the vector it is given ([`in_list`]).
    pub(crate) fn push(&mut self, build: impl FnOnce(Backend, &mut Vec<Val>) -> String) {
        match self.backend {
            Backend::Postgres => {
                let sql = build(self.backend, &mut self.shared);
                self.statements.push((sql, Vec::new()));
            }
            Backend::Sqlite => {
                let mut values = Vec::new();
                let sql = build(self.backend, &mut values);
                self.statements.push((sql, values));
            }
        }
    }

    pub(crate) async fn run(mut self, conn: &mut AnyConnection) -> StoreResult<()> {
        match self.backend {
            Backend::Postgres => {
                let sql = match self.statements.len() {
                    0 => return Ok(()),
                    1 => self.statements.remove(0).0,
                    _ => {
                        let parts: Vec<String> =
                            self.statements.iter().enumerate().map(|(i, (sql, _))| format!("s{i} AS ({sql})")).collect();
                        format!("WITH {} SELECT 1", parts.join(", "))
                    }
                };
                dynamic(&sql, self.shared).execute(&mut *conn).await.or_backend().map(drop)
            }
            Backend::Sqlite => {
                for (sql, values) in self.statements {
                    dynamic(&sql, values).execute(&mut *conn).await.or_backend()?;
                }
                Ok(())
            }
        }
    }
}

/// Rows of `width` values as a table expression, its values bound from
/// `$1`: what follows `INSERT INTO t (…)` or goes in `WITH v (…) AS (…)`.
pub(crate) struct RowSet {
    pub sql: String,
    pub values: Vec<Val>,
}

/// Most rows in one PostgreSQL statement: a bound on its one parameter's size.
const JSON_ROWS: usize = 4096;

/// The statements a multi-row write of `rows` takes. On SQLite, `VALUES`
/// lists cut in [`pieces`]. On PostgreSQL, one parameter holding the rows as
/// JSON, unpacked by `json_to_recordset`: the statement's text is the same
/// for any number of rows, so it is parsed and planned once per
/// connection, and a batch of 13 rows is one statement instead of three
/// (8 + 4 + 1), each a round trip that the group-commit writer waits for.
/// A column's type is its values' kind; the table's column types apply on
/// insert as they do to bound parameters.
pub(crate) fn row_sets(backend: Backend, width: usize, rows: Vec<Vec<Val>>) -> Vec<RowSet> {
    match backend {
        Backend::Sqlite => {
            let mut rows = rows.into_iter();
            pieces(rows.len(), MAX_PARAMETERS / width)
                .map(|size| {
                    let tuples = vec![format!("({})", bulk_placeholders(Backend::Sqlite, 1, width)); size];
                    RowSet { sql: format!("VALUES {}", tuples.join(", ")), values: rows.by_ref().take(size).flatten().collect() }
                })
                .collect()
        }
        Backend::Postgres => rows
            .chunks(JSON_ROWS)
            .map(|chunk| {
                debug_assert_eq!(chunk[0].len(), width);
                RowSet { sql: json_record_set(1, &chunk[0]), values: vec![Val::from(json_rows(chunk))] }
            })
            .collect(),
    }
}

/// Unpacks the rows [`json_rows`] wrote into parameter `$n`, each column
/// typed as `first`'s value.
fn json_record_set(n: usize, first: &[Val]) -> String {
    let types: Vec<String> = first.iter().enumerate().map(|(i, v)| format!("c{i} {}", v.pg_type())).collect();
    format!("SELECT * FROM json_to_recordset(${n}::json) AS r({})", types.join(", "))
}

impl Val {
    fn pg_type(&self) -> &'static str {
        match self {
            Val::Int(_) => "bigint",
            Val::Float(_) => "double precision",
            Val::Text(_) => "text",
        }
    }
}

/// `[{"c0": …, "c1": …}, …]`: keys by position, as [`row_sets`] declares them.
/// Texts are escaped by `serde_json` straight into the buffer, without a
/// `serde_json::Value` (a string allocated) per text in the writer.
fn json_rows(rows: &[Vec<Val>]) -> String {
    use std::io::Write;
    let mut out: Vec<u8> = Vec::with_capacity(rows.len() * rows.first().map_or(0, |r| r.len() * 24));
    // Writing into memory cannot fail.
    let put = |out: &mut Vec<u8>, args: std::fmt::Arguments<'_>| out.write_fmt(args).expect("writing into memory");
    out.push(b'[');
    for (r, row) in rows.iter().enumerate() {
        out.extend_from_slice(if r == 0 { b"{" } else { b",{" });
        for (i, v) in row.iter().enumerate() {
            put(&mut out, format_args!("{}\"c{i}\":", if i == 0 { "" } else { "," }));
            match v {
                Val::Int(Some(x)) => put(&mut out, format_args!("{x}")),
                // float8's input reads these words; JSON has no numbers for them.
                Val::Float(Some(x)) if x.is_nan() => out.extend_from_slice(b"\"NaN\""),
                Val::Float(Some(x)) if x.is_infinite() => out.extend_from_slice(if *x > 0.0 { b"\"Infinity\"" } else { b"\"-Infinity\"" }),
                Val::Float(Some(x)) => put(&mut out, format_args!("{x:?}")),
                Val::Text(Some(s)) => serde_json::to_writer(&mut out, s).expect("writing into memory"),
                Val::Int(None) | Val::Float(None) | Val::Text(None) => out.extend_from_slice(b"null"),
            }
        }
        out.push(b'}');
    }
    out.push(b']');
    String::from_utf8(out).expect("JSON written from UTF-8 texts")
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
    fn postgres_takes_any_number_of_rows_in_one_statement_of_one_text() {
        let rows = |n: i64| (0..n).map(|i| vec![Val::from(i), Val::from(Some(0.5)), Val::from(None::<String>)]).collect::<Vec<_>>();
        let (three, thirteen) = (row_sets(Backend::Postgres, 3, rows(3)), row_sets(Backend::Postgres, 3, rows(13)));
        assert_eq!((three.len(), thirteen.len()), (1, 1));
        assert_eq!(three[0].sql, thirteen[0].sql);
        assert_eq!(three[0].sql, "SELECT * FROM json_to_recordset($1::json) AS r(c0 bigint, c1 double precision, c2 text)");
        assert_eq!(thirteen[0].values.len(), 1);
        assert_eq!(row_sets(Backend::Postgres, 3, rows(JSON_ROWS as i64 + 1)).len(), 2);
        assert!(row_sets(Backend::Postgres, 3, Vec::new()).is_empty());
        // SQLite binds each value, in statements of power-of-two rows.
        let sqlite = row_sets(Backend::Sqlite, 3, rows(13));
        assert_eq!(sqlite.iter().map(|s| s.values.len()).collect::<Vec<_>>(), [24, 12, 3]);
        assert_eq!(sqlite[2].sql, "VALUES (?, ?, ?)");
    }

    #[test]
    fn rows_become_json_that_keeps_every_character_and_float() {
        let row = vec![
            Val::from(-9_007_199_254_740_993),
            Val::from("\"引号\" \\ \n\t\u{1} 😀"),
            Val::from(Some(0.1)),
            Val::from(Some(f64::NAN)),
            Val::from(Some(f64::NEG_INFINITY)),
            Val::from(None::<i64>),
        ];
        let json = json_rows(&[row.clone(), row]);
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed.as_array().map(Vec::len), Some(2));
        let first = &parsed[0];
        assert_eq!(first["c0"], serde_json::json!(-9_007_199_254_740_993_i64));
        assert_eq!(first["c1"], serde_json::json!("\"引号\" \\ \n\t\u{1} 😀"));
        assert_eq!(first["c2"].as_f64(), Some(0.1));
        assert_eq!((first["c3"].as_str(), first["c4"].as_str()), (Some("NaN"), Some("-Infinity")));
        assert!(first["c5"].is_null());
        // Every ASCII character, controls included, and text either side of them.
        let every: String = (1u8..0x80).map(char::from).chain("末尾".chars()).collect();
        let parsed: serde_json::Value = serde_json::from_str(&json_rows(&[vec![Val::from(every.as_str())]])).unwrap();
        assert_eq!(parsed[0]["c0"].as_str(), Some(every.as_str()));
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
