//! The deadline watch as stored: one row per watched deadline (an order's
//! sign-for date, its completion date, a notice's answer date …) holding
//! when each alert level falls due and the most serious level fired.
//!
//! The domain speaks of timers, one per level (`hotline_domain::watch`).
//! They were stored that way, four rows for an order's completion date
//! alone, each inserted, indexed and checked against its order with every
//! registration and most decisions: the most written table on PostgreSQL
//! (issue 22). A row per deadline holds the same facts. A level fires once
//! and never below one already fired. A deadline that is no longer the
//! order's keeps its row disarmed (`next_at` NULL) with what it fired, so
//! the same deadline coming back (a redo that keeps the date) fires only
//! the levels it had not.

use crate::codec::{Get, micros};
use crate::sql::{Inserts, Together, Val, dynamic, in_list, row_sets};
use crate::{Backend, OrBackend};
use chrono::{DateTime, Utc};
use hotline_app::ports::StoreResult;
use hotline_domain::watch::{AlertLevel, Timer, Watched};
use hotline_domain::{OrderId, UnitId};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

const HEAD: &str =
    "deadline_watch (order_id, watched, subject, due_at, unit_id, yellow_at, red_at, reminder_at, escalation_at, fired, next_at)";
const WIDTH: usize = 11;

/// Each level's column, in the levels' order (`AlertLevel::ALL`); a
/// level's rank is its place here counted from 1, 0 meaning none fired.
const LEVEL_COLUMNS: [&str; 4] = ["yellow_at", "red_at", "reminder_at", "escalation_at"];

/// The sentinel SQLite's `min()` is given for a missing time: it returns
/// NULL when any argument is NULL, where PostgreSQL's `LEAST` skips it.
const NEVER: i64 = i64::MAX;

fn rank(level: AlertLevel) -> i64 {
    AlertLevel::ALL.iter().position(|l| *l == level).map_or(0, |i| i as i64 + 1)
}

/// What identifies a watched deadline.
type Key = (OrderId, Watched, i64, DateTime<Utc>);

fn key(t: &Timer) -> Key {
    (t.order, t.watched, t.subject, t.due)
}

/// One deadline's levels, gathered from its timers.
struct Watch {
    first: Timer,
    at: [Option<i64>; 4],
    fired: i64,
}

impl Watch {
    /// The earliest level above the fired one.
    fn next_at(&self) -> Option<i64> {
        self.at.iter().zip(1..).filter(|(_, r)| *r > self.fired).filter_map(|(at, _)| *at).min()
    }

    fn row(&self) -> Vec<Val> {
        let t = &self.first;
        let mut row =
            vec![Val::from(t.order.0), t.watched.as_str().into(), t.subject.into(), micros(t.due).into(), t.unit.map(|u| u.0).into()];
        row.extend(self.at.iter().map(|at| Val::from(*at)));
        row.extend([Val::from(self.fired), Val::from(self.next_at())]);
        row
    }
}

/// Timers grouped by deadline, in the order first met; `fired` tells which
/// timers already fired (only timers read from the old table have).
fn gather<'a>(timers: impl IntoIterator<Item = (&'a Timer, bool)>) -> Vec<Watch> {
    let mut watches: Vec<Watch> = Vec::new();
    let mut index: HashMap<Key, usize> = HashMap::new();
    for (t, fired) in timers {
        let i = *index.entry(key(t)).or_insert_with(|| {
            watches.push(Watch { first: t.clone(), at: [None; 4], fired: 0 });
            watches.len() - 1
        });
        let r = rank(t.level);
        let w = &mut watches[i];
        if let Some(slot) = usize::try_from(r - 1).ok().and_then(|i| w.at.get_mut(i)) {
            *slot = Some(micros(t.fire_at));
        }
        if fired {
            w.fired = w.fired.max(r);
        }
    }
    watches
}

/// `LEAST` of the expressions, NULL ones skipped, NULL when all are.
fn earliest(backend: Backend, exprs: &[String]) -> String {
    match backend {
        Backend::Postgres => format!("LEAST({})", exprs.join(", ")),
        Backend::Sqlite => {
            let args: Vec<String> = exprs.iter().map(|e| format!("COALESCE({e}, {NEVER})")).collect();
            format!("NULLIF(min({}), {NEVER})", args.join(", "))
        }
    }
}

/// When the next level falls due once `fired` (an SQL expression) has
/// fired, reading the levels' times from the columns of `from` (a table
/// name or `excluded`).
fn next_after(backend: Backend, fired: &str, from: &str) -> String {
    let levels: Vec<String> =
        LEVEL_COLUMNS.iter().zip(1..).map(|(column, r)| format!("CASE WHEN {fired} < {r} THEN {from}.{column} END")).collect();
    earliest(backend, &levels)
}

/// Adds the rows of new orders' timers (nothing stored for them yet).
pub(crate) fn add_new<'a>(inserts: &mut Inserts, timers: impl IntoIterator<Item = &'a Timer>) {
    inserts.add(HEAD, WIDTH, gather(timers.into_iter().map(|t| (t, false))).iter().map(Watch::row).collect(), "");
}

/// Writes the rows of new orders' timers.
pub(crate) async fn insert(conn: &mut AnyConnection, backend: Backend, timers: impl IntoIterator<Item = &Timer>) -> StoreResult<()> {
    let mut inserts = Inserts::default();
    add_new(&mut inserts, timers);
    inserts.run(conn, backend).await
}

/// Adds timers' rows over what is stored: a deadline already watched
/// takes the new levels' times and keeps the most serious level fired,
/// here or there, arming only the levels above it.
fn add_upsert(inserts: &mut Inserts, backend: Backend, watches: &[Watch]) {
    let fired = "CASE WHEN excluded.fired > deadline_watch.fired THEN excluded.fired ELSE deadline_watch.fired END";
    let tail = format!(
        " ON CONFLICT (order_id, watched, subject, due_at) DO UPDATE SET unit_id = excluded.unit_id, {}, fired = {fired}, next_at = {}",
        LEVEL_COLUMNS.map(|c| format!("{c} = excluded.{c}")).join(", "),
        next_after(backend, fired, "excluded")
    );
    inserts.add(HEAD, WIDTH, watches.iter().map(Watch::row).collect(), tail);
}

/// The watched kinds a decision replaces (not those an alert set).
static FOLLOWING: LazyLock<String> = LazyLock::new(|| {
    let kinds: Vec<String> = Watched::ALL.iter().filter(|w| w.follows_the_order()).map(|w| format!("'{}'", w.as_str())).collect();
    kinds.join(", ")
});

/// Makes each order's watched deadlines its current set: `clear` gets
/// the statements that delete the deadlines that never fired and are gone
/// and disarm those that fired, `inserts` the current ones (a fired one
/// keeps what it fired). Run `clear` first.
pub(crate) fn replace<'a>(
    clear: &mut Together,
    inserts: &mut Inserts,
    backend: Backend,
    orders: impl IntoIterator<Item = (OrderId, &'a [Timer])>,
) {
    let (ids, timers): (Vec<OrderId>, Vec<&[Timer]>) = orders.into_iter().unzip();
    if ids.is_empty() {
        return;
    }
    clear_watch(clear, &ids);
    add_upsert(inserts, backend, &gather(timers.into_iter().flatten().map(|t| (t, false))));
}

/// Deletes the orders' deadlines that never fired and disarms those that
/// did (disjoint rows: on PostgreSQL both run in one statement). A node of
/// the previous release may have left these orders' timers in the old
/// table of one row per level (`adopt_legacy`); what this node writes
/// supersedes them, so they go too.
fn clear_watch(clear: &mut Together, ids: &[OrderId]) {
    let orders = |backend: Backend, values: &mut Vec<Val>| in_list(backend, values, ids.iter().map(|o| Val::from(o.0)));
    let following = FOLLOWING.as_str();
    clear.push(|b, v| format!("DELETE FROM deadline_watch WHERE fired = 0 AND watched IN ({following}) AND order_id {}", orders(b, v)));
    clear.push(|b, v| {
        format!(
            "UPDATE deadline_watch SET next_at = NULL WHERE fired > 0 AND next_at IS NOT NULL AND watched IN ({following}) AND order_id {}",
            orders(b, v)
        )
    });
    clear.push(|b, v| format!("DELETE FROM deadline_timers WHERE order_id {}", orders(b, v)));
}

/// Every unfired level due at `now` of the orders holding the `limit`
/// deadlines due first, ordered by order and time.
pub(crate) async fn due(pool: &sqlx::AnyPool, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<Timer>> {
    let rows = sqlx::query(
        "SELECT * FROM deadline_watch WHERE next_at <= $1 AND order_id IN \
         (SELECT order_id FROM deadline_watch WHERE next_at <= $1 ORDER BY next_at LIMIT $2)",
    )
    .bind(micros(now))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .or_backend()?;
    let mut due = Vec::new();
    for row in &rows {
        levels_due(row, micros(now), &mut due)?;
    }
    due.sort_by_key(|t| (t.order, t.fire_at, t.level));
    Ok(due)
}

fn levels_due(row: &AnyRow, now: i64, out: &mut Vec<Timer>) -> StoreResult<()> {
    let fired = row.int("fired")?;
    let first = Timer {
        order: OrderId(row.int("order_id")?),
        watched: crate::codec::word("watched", &row.text("watched")?, Watched::parse)?,
        subject: row.int("subject")?,
        level: AlertLevel::Red,
        due: row.at("due_at")?,
        fire_at: row.at("due_at")?,
        unit: row.opt_int("unit_id")?.map(UnitId),
    };
    for (&level, (column, r)) in AlertLevel::ALL.iter().zip(LEVEL_COLUMNS.iter().zip(1..)) {
        if let Some(at) = row.opt_int(column)?
            && r > fired
            && at <= now
        {
            out.push(Timer { level, fire_at: crate::codec::instant(at)?, ..first.clone() });
        }
    }
    Ok(())
}

/// Marks each deadline fired up to its level (the timers of one deadline
/// found due together, the most serious of them told), unless it already
/// fired that far or was disarmed meanwhile; returns the deadlines this
/// call moved on, the others having lost to another scanner or a change.
pub(crate) async fn fire<'a>(
    conn: &mut AnyConnection,
    backend: Backend,
    firings: impl IntoIterator<Item = &'a [Timer]>,
) -> StoreResult<HashSet<(i64, String, i64, i64)>> {
    let rows: Vec<Vec<Val>> = firings
        .into_iter()
        .filter_map(|timers| timers.iter().max_by_key(|t| rank(t.level)))
        .map(|best| {
            vec![
                Val::from(best.order.0),
                best.watched.as_str().into(),
                best.subject.into(),
                micros(best.due).into(),
                rank(best.level).into(),
            ]
        })
        .collect();
    let mut moved = HashSet::new();
    for set in row_sets(backend, 5, rows) {
        let sql = format!(
            "WITH v (order_id, watched, subject, due_at, fired) AS ({}) \
             UPDATE deadline_watch SET fired = v.fired, next_at = {} FROM v \
             WHERE deadline_watch.order_id = v.order_id AND deadline_watch.watched = v.watched \
             AND deadline_watch.subject = v.subject AND deadline_watch.due_at = v.due_at \
             AND deadline_watch.fired < v.fired AND deadline_watch.next_at IS NOT NULL \
             RETURNING deadline_watch.order_id AS order_id, deadline_watch.watched AS watched, \
             deadline_watch.subject AS subject, deadline_watch.due_at AS due_at",
            set.sql,
            next_after(backend, "v.fired", "deadline_watch"),
        );
        for row in dynamic(&sql, set.values).fetch_all(&mut *conn).await.or_backend()? {
            moved.insert((row.int("order_id")?, row.text("watched")?, row.int("subject")?, row.int("due_at")?));
        }
    }
    Ok(moved)
}

/// The key [`fire`] returns for a timer's deadline.
pub(crate) fn fired_key(t: &Timer) -> (i64, String, i64, i64) {
    (t.order.0, t.watched.as_str().to_owned(), t.subject, micros(t.due))
}

/// Levels due and not fired at `now`, summed over deadlines: the backlog
/// an operator's alert watches.
pub(crate) fn backlog_sql() -> String {
    let levels: Vec<String> =
        LEVEL_COLUMNS.iter().zip(1..).map(|(c, r)| format!("CASE WHEN fired < {r} AND {c} <= $1 THEN 1 ELSE 0 END")).collect();
    format!("SELECT COALESCE(SUM({}), 0) FROM deadline_watch WHERE next_at <= $1", levels.join(" + "))
}

/// Orders whose timers the old table holds, taken in turns of this many.
const ADOPT_ORDERS: i64 = 2_000;

/// Moves timers from the table of one row per level (`deadline_timers`),
/// which nodes of the previous release write, into the watch: everything
/// stored before the upgrade, and what such a node still serving during a
/// rolling upgrade writes. An order's rows there are its current set (a
/// node of this release deletes them when it decides on the order), so
/// they replace what the watch holds for it, keeping what either fired.
/// Returns the orders moved; costs one look-up of an empty index otherwise.
pub(crate) async fn adopt_legacy(pool: &sqlx::AnyPool, backend: Backend) -> StoreResult<u64> {
    let mut moved = 0;
    loop {
        let mut tx = pool.begin().await.or_backend()?;
        let rows = sqlx::query(
            "SELECT * FROM deadline_timers WHERE order_id IN \
             (SELECT DISTINCT order_id FROM deadline_timers ORDER BY order_id LIMIT $1) ORDER BY order_id",
        )
        .bind(ADOPT_ORDERS)
        .fetch_all(&mut *tx)
        .await
        .or_backend()?;
        if rows.is_empty() {
            tx.rollback().await.or_backend()?;
            return Ok(moved);
        }
        let mut timers = Vec::with_capacity(rows.len());
        for row in &rows {
            let timer = Timer {
                order: OrderId(row.int("order_id")?),
                watched: crate::codec::word("watched", &row.text("watched")?, Watched::parse)?,
                subject: row.int("subject")?,
                level: crate::codec::word("level", &row.text("level")?, AlertLevel::parse)?,
                due: row.at("due_at")?,
                fire_at: row.at("fire_at")?,
                unit: row.opt_int("unit_id")?.map(UnitId),
            };
            timers.push((timer, row.opt_int("fired_at")?.is_some()));
        }
        let mut ids: Vec<OrderId> = timers.iter().map(|(t, _)| t.order).collect();
        ids.dedup();
        let mut clear = Together::new(backend);
        clear_watch(&mut clear, &ids);
        clear.run(&mut tx).await?;
        let mut inserts = Inserts::default();
        add_upsert(&mut inserts, backend, &gather(timers.iter().map(|(t, f)| (t, *f))));
        inserts.run(&mut tx, backend).await?;
        tx.commit().await.or_backend()?;
        moved += ids.len() as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timer(level: AlertLevel, fire_at: i64) -> Timer {
        let at = |s: i64| DateTime::from_timestamp(s, 0).expect("in range");
        Timer {
            order: OrderId(1),
            watched: Watched::Completion,
            subject: 0,
            level,
            due: at(100),
            fire_at: at(fire_at),
            unit: Some(UnitId(3)),
        }
    }

    #[test]
    fn a_deadlines_timers_make_one_row_armed_at_the_earliest_level_above_the_fired_one() {
        let timers = [
            timer(AlertLevel::Yellow, 75),
            timer(AlertLevel::Red, 100),
            // Reminders and escalations count in different units, so an
            // escalation may fall before a reminder.
            timer(AlertLevel::Reminder, 300),
            timer(AlertLevel::Escalation, 200),
        ];
        let fresh = gather(timers.iter().map(|t| (t, false)));
        assert_eq!(fresh.len(), 1);
        assert_eq!(fresh[0].at, [Some(75_000_000), Some(100_000_000), Some(300_000_000), Some(200_000_000)]);
        assert_eq!(fresh[0].next_at(), Some(75_000_000));
        let fired = gather(timers.iter().enumerate().map(|(i, t)| (t, i < 2)));
        assert_eq!((fired[0].fired, fired[0].next_at()), (2, Some(200_000_000)));
        let all = gather(timers.iter().map(|t| (t, t.level == AlertLevel::Escalation)));
        assert_eq!((all[0].fired, all[0].next_at()), (4, None), "nothing ranks above an escalation");
        let other = Timer { due: DateTime::from_timestamp(500, 0).expect("in range"), ..timer(AlertLevel::Red, 500) };
        assert_eq!(gather([(&timers[0], false), (&other, false), (&timers[1], false)]).len(), 2, "one row per deadline");
    }
}
