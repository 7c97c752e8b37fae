//! Writing decisions on existing orders, many in one transaction.
//!
//! Each decision's order row is updated only if its stored version is still
//! the one the decision was taken on; a decision that lost that race is
//! answered with the current version and writes nothing else, while the
//! others in the batch go on. What the winners write besides the row
//! (history lines, the units involved, notices, timers, audit records) goes
//! in a handful of multi-row statements for the whole batch.

use crate::codec::{Get, micros};
use crate::orders::{COLUMNS, order_values};
use crate::sql::{Inserts, Together, Val, dynamic, in_list, row_sets};
use crate::{Backend, OrBackend};
use hotline_app::ports::{AuditRecord, StoreError, StoreResult};
use hotline_domain::{Decision, HistoryEntry, OrderId, WorkOrder};
use sqlx::AnyConnection;
use std::collections::{HashMap, HashSet};

/// A decision to write, as the caller handed it over.
pub(crate) struct Change<'a> {
    pub expected_version: i64,
    pub decision: &'a Decision,
    /// A history entry for another order (the master of a merge).
    pub also: Option<&'a HistoryEntry>,
    pub audit: &'a AuditRecord,
    /// What the change sends out, written only if the change is.
    pub outbox: &'a hotline_app::ports::Outbox,
}

/// Writes the changes in the open transaction; one outcome per change, in
/// order. An `Err` of the whole call means the transaction failed.
pub(crate) async fn write_changes(conn: &mut AnyConnection, backend: Backend, changes: &[Change<'_>]) -> StoreResult<Vec<StoreResult<()>>> {
    // The first change of each order goes in one statement; a second change
    // of an order in the same batch (taken on the same version, so bound to
    // lose) follows on its own.
    let mut first = HashSet::new();
    let (bulk, rest): (Vec<usize>, Vec<usize>) = (0..changes.len()).partition(|i| first.insert(changes[*i].decision.order.id));
    let mut updated = update_orders(conn, backend, bulk.iter().map(|i| &changes[*i])).await?;
    for i in rest {
        updated.extend(update_orders(conn, backend, std::iter::once(&changes[i])).await?);
    }
    let mut outcomes = Vec::with_capacity(changes.len());
    let mut won: Vec<&Change<'_>> = Vec::with_capacity(changes.len());
    let mut lost = Vec::new();
    for change in changes {
        let order = &change.decision.order;
        if updated.remove(&(order.id, change.expected_version)) {
            outcomes.push(Ok(()));
            won.push(change);
        } else {
            lost.push(outcomes.len());
            outcomes.push(Err(StoreError::NotFound(format!("work order {}", order.number))));
        }
    }
    if !lost.is_empty() {
        let mut values = Vec::new();
        let ids = in_list(backend, &mut values, lost.iter().map(|i| Val::from(changes[*i].decision.order.id.0)));
        let sql = format!("SELECT id, version FROM work_orders WHERE id {ids}");
        let mut current = HashMap::new();
        for row in dynamic(&sql, values).fetch_all(&mut *conn).await.or_backend()? {
            current.insert(OrderId(row.int("id")?), row.int("version")?);
        }
        for i in lost {
            if let Some(version) = current.get(&changes[i].decision.order.id) {
                outcomes[i] = Err(StoreError::VersionConflict { current: *version });
            }
        }
    }
    if won.is_empty() {
        return Ok(outcomes);
    }
    for also in won.iter().filter_map(|c| c.also) {
        // Lock the other order's row so its history numbering stays serial.
        sqlx::query("UPDATE work_orders SET updated_at = updated_at WHERE id = $1")
            .bind(also.order.0)
            .execute(&mut *conn)
            .await
            .or_backend()?;
    }
    // What clears earlier rows goes in one statement, what adds rows in a
    // second ([`Together`], [`Inserts`]): on PostgreSQL two round trips for
    // the writer to wait on, where each table was one or two.
    let mut clear = Together::new(backend);
    let mut inserts = Inserts::default();
    let entries: Vec<&HistoryEntry> = won.iter().flat_map(|c| std::iter::once(&c.decision.entry).chain(c.also)).collect();
    append_history(conn, backend, &entries, &mut inserts).await?;
    let orders: Vec<&WorkOrder> = won.iter().map(|c| &c.decision.order).collect();
    sync_units(&mut clear, &mut inserts, &orders);
    add_notices(&mut inserts, &orders);
    let timers = won.iter().map(|c| (c.decision.order.id, c.decision.timers.as_slice()));
    crate::watches::replace(&mut clear, &mut inserts, backend, timers);
    clear.run(conn).await?;
    inserts.add(crate::sql::AUDIT_HEAD, crate::sql::AUDIT_WIDTH, won.iter().map(|c| crate::sql::audit_row(c.audit)).collect(), "");
    let pushes = won.iter().flat_map(|c| c.outbox.pushes.iter().map(crate::external::push_row)).collect();
    inserts.add(crate::external::PUSH_HEAD, crate::external::PUSH_WIDTH, pushes, "");
    let texts = won.iter().flat_map(|c| c.outbox.texts.iter().map(crate::sms::sms_row)).collect();
    inserts.add(crate::sms::SMS_HEAD, crate::sms::SMS_WIDTH, texts, "");
    inserts.run(conn, backend).await?;
    Ok(outcomes)
}

/// Updates each order's row to its decision's if the stored version is
/// still the one the decision was taken on, in the statements of
/// [`row_sets`]; returns the (order, expected version) pairs that were written.
/// The orders must be distinct.
async fn update_orders<'c>(
    conn: &mut AnyConnection,
    backend: Backend,
    changes: impl Iterator<Item = &'c Change<'c>>,
) -> StoreResult<HashSet<(OrderId, i64)>> {
    let mut expected = HashMap::new();
    let rows: Vec<Vec<Val>> = changes
        .map(|change| {
            let order = &change.decision.order;
            expected.insert(order.id, change.expected_version);
            let mut row: Vec<Val> = order_values(order).into_iter().map(|(_, v)| v).collect();
            row.push(change.expected_version.into());
            row
        })
        .collect();
    let sets: Vec<String> = COLUMNS.iter().skip(1).map(|c| format!("{c} = v.{c}")).collect();
    let mut won = HashSet::new();
    for set in row_sets(backend, COLUMNS.len() + 1, rows) {
        let sql = format!(
            "WITH v ({}, expected_version) AS ({}) UPDATE work_orders SET {} FROM v \
             WHERE work_orders.id = v.id AND work_orders.version = v.expected_version RETURNING work_orders.id",
            COLUMNS.join(", "),
            set.sql,
            sets.join(", ")
        );
        for row in dynamic(&sql, set.values).fetch_all(&mut *conn).await.or_backend()? {
            let id = OrderId(row.int("id")?);
            if let Some(v) = expected.get(&id) {
                won.insert((id, *v));
            }
        }
    }
    Ok(won)
}

/// Adds history lines after each order's last; the order rows are locked
/// by the transaction, so two writers never pick the same number.
async fn append_history(conn: &mut AnyConnection, backend: Backend, entries: &[&HistoryEntry], inserts: &mut Inserts) -> StoreResult<()> {
    let mut values = Vec::new();
    let ids = in_list(backend, &mut values, distinct(entries.iter().map(|e| e.order)).into_iter().map(|o| Val::from(o.0)));
    let sql = format!("SELECT order_id, MAX(seq) AS seq FROM order_history WHERE order_id {ids} GROUP BY order_id");
    let mut last: HashMap<OrderId, i64> = HashMap::new();
    for row in dynamic(&sql, values).fetch_all(&mut *conn).await.or_backend()? {
        last.insert(OrderId(row.int("order_id")?), row.opt_int("seq")?.unwrap_or(0));
    }
    let rows = entries
        .iter()
        .map(|e| {
            let seq = last.entry(e.order).or_insert(0);
            *seq += 1;
            crate::orders::history_row(*seq, e)
        })
        .collect();
    inserts.add(crate::orders::HISTORY_HEAD, crate::orders::HISTORY_WIDTH, rows, "");
    Ok(())
}

/// Records which units hold each order now; earlier holders stay,
/// inactive (`clear` marks them, `inserts` gets the current ones).
fn sync_units(clear: &mut Together, inserts: &mut Inserts, orders: &[&WorkOrder]) {
    clear.push(|backend, values| {
        let ids = in_list(backend, values, orders.iter().map(|o| Val::from(o.id.0)));
        format!("UPDATE order_units SET active = 0 WHERE active = 1 AND order_id {ids}")
    });
    // One row per key: PostgreSQL refuses to update a row twice in one statement.
    let mut seen = HashSet::new();
    let rows: Vec<Vec<Val>> = orders
        .iter()
        .flat_map(|o| o.involvements().into_iter().map(move |(u, r, a)| (o.id, u, r, a)))
        .filter(|(o, u, r, _)| seen.insert((*o, *u, r.as_str())))
        .map(|(o, u, r, a)| crate::orders::unit_row(o, u, r, a))
        .collect();
    let tail = " ON CONFLICT (order_id, unit_id, role) DO UPDATE SET active = excluded.active";
    inserts.add(crate::orders::UNITS_HEAD, crate::orders::UNITS_WIDTH, rows, tail);
}

/// Adds the orders' supervision notices: new ones whole, answers to
/// earlier ones.
pub(crate) fn add_notices(inserts: &mut Inserts, orders: &[&WorkOrder]) {
    let rows: Vec<Vec<Val>> = orders
        .iter()
        .flat_map(|o| {
            o.notices.iter().map(|n| {
                vec![
                    Val::from(n.id.0),
                    o.id.0.into(),
                    n.unit.0.into(),
                    n.issued_by.0.into(),
                    micros(n.issued_at).into(),
                    micros(n.due_at).into(),
                    n.text.as_str().into(),
                    n.answer.as_ref().map(|a| a.by.0).into(),
                    n.answer.as_ref().map(|a| micros(a.at)).into(),
                    n.answer.as_ref().map(|a| a.text.to_string()).into(),
                ]
            })
        })
        .collect();
    let head = "supervision_notices (id, order_id, unit_id, issued_by, issued_at, due_at, text, answered_by, answered_at, answer)";
    let tail =
        " ON CONFLICT (id) DO UPDATE SET answered_by = excluded.answered_by, answered_at = excluded.answered_at, answer = excluded.answer";
    inserts.add(head, 10, rows, tail);
}

fn distinct(ids: impl Iterator<Item = OrderId>) -> Vec<OrderId> {
    let mut ids: Vec<OrderId> = ids.collect();
    ids.sort();
    ids.dedup();
    ids
}
