//! Evaluation counts, summed by the database: a month of a large city is
//! hundreds of thousands of orders, too many to ship to the application.
//! Each sum is one clause of `KpiCounts::add` in the domain; the contract
//! test checks the two agree on a known history.

use crate::codec::{Get, micros};
use crate::sql::{TERMINAL_STATES, VOID_STATES};
use crate::{OrBackend, SqlStore};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hotline_app::ports::{EvaluationStore, StoreResult};
use hotline_domain::kpi::KpiCounts;
use hotline_domain::kpi::{Breakdown, Dimension};
use sqlx::AssertSqlSafe;

/// `(name, condition)`: each count is the number of orders meeting it;
/// `$3` is the instant the figures are judged at. `rated` and
/// `rated_solved` are the follow-up's verdict, or for an order answered
/// directly the keypad rating of its call (`ORDERS`).
const COUNTS: [(&str, &str); 14] = [
    ("orders", "1 = 1"),
    ("sign_for_due", "dispatched_at IS NOT NULL AND sign_for_due IS NOT NULL AND (signed_at IS NOT NULL OR sign_for_due <= $3)"),
    ("signed_on_time", "dispatched_at IS NOT NULL AND sign_for_due IS NOT NULL AND signed_at <= sign_for_due"),
    ("completion_due", "resolved_at IS NOT NULL OR completion_due <= $3"),
    ("completed_on_time", "resolved_at <= completion_due"),
    ("dispatched", "dispatched_at IS NOT NULL"),
    ("returned", "dispatched_at IS NOT NULL AND returned = 1"),
    ("resolved", "resolved_at IS NOT NULL"),
    ("redone", "resolved_at IS NOT NULL AND redone = 1"),
    ("followed_up", "resolved_at IS NOT NULL AND rated IS NOT NULL"),
    ("satisfied", "resolved_at IS NOT NULL AND rated = 'satisfied'"),
    ("basically_satisfied", "resolved_at IS NOT NULL AND rated = 'basically_satisfied'"),
    ("unsatisfied", "resolved_at IS NOT NULL AND rated = 'unsatisfied'"),
    ("solved", "resolved_at IS NOT NULL AND rated IS NOT NULL AND rated_solved = 1"),
];

/// The orders with their verdict (`OrderFacts::with_keypad_rating`): the
/// follow-up's, or for a directly answered order without one the keypad
/// rating of the last call whose record links it.
const ORDERS: &str = "(SELECT r.*, COALESCE(r.satisfaction, r.keypad) AS rated, \
     CASE WHEN r.satisfaction IS NOT NULL THEN r.solved WHEN r.keypad IS NULL THEN NULL \
          WHEN r.keypad = 'unsatisfied' THEN 0 ELSE 1 END AS rated_solved \
     FROM (SELECT o.*, CASE WHEN o.direct_answer IS NOT NULL AND o.satisfaction IS NULL THEN \
              (SELECT c.satisfaction FROM calls c WHERE c.order_id = o.id AND c.satisfaction IS NOT NULL \
               ORDER BY c.ended_at DESC, c.id DESC LIMIT 1) END AS keypad \
           FROM work_orders o) r) work_orders";

/// By unit, the lead unit counts an order returned only if it returned it
/// itself (`OrderFacts::by_unit`); units that returned it before are counted
/// by `RETURNED_ELSEWHERE`.
const RETURNED_BY_LEAD: &str = "dispatched_at IS NOT NULL AND EXISTS (SELECT 1 FROM order_units r \
     WHERE r.order_id = work_orders.id AND r.unit_id = work_orders.lead_unit_id AND r.role = 'returned')";

/// Per unit: the orders it returned and no longer leads.
fn returned_elsewhere_sql() -> String {
    format!(
        "SELECT r.unit_id AS k, COUNT(*) AS n FROM order_units r JOIN work_orders o ON o.id = r.order_id \
         WHERE r.role = 'returned' AND (o.lead_unit_id IS NULL OR o.lead_unit_id <> r.unit_id) AND o.dispatched_at IS NOT NULL \
         AND o.created_at >= $1 AND o.created_at < $2 AND o.state NOT IN ({}) GROUP BY r.unit_id",
        VOID_STATES.as_str()
    )
}

fn counts_sql(key: &str) -> String {
    // PostgreSQL sums BIGINT into NUMERIC, which the Any driver cannot read.
    let sums: Vec<String> = COUNTS
        .iter()
        .map(|(name, cond)| {
            let cond = if *name == "returned" && key == "lead_unit_id" { RETURNED_BY_LEAD } else { cond };
            format!("CAST(SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS BIGINT) AS {name}")
        })
        .collect();
    format!(
        "SELECT {key} AS k, {} FROM {ORDERS} \
         WHERE created_at >= $1 AND created_at < $2 AND state NOT IN ({}) AND {key} IS NOT NULL GROUP BY {key}",
        sums.join(", "),
        VOID_STATES.as_str()
    )
}

#[async_trait]
impl EvaluationStore for SqlStore {
    async fn overdue_open(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        let sql = format!(
            "SELECT COUNT(*) FROM work_orders WHERE resolved_at IS NULL AND completion_due < $1 AND state NOT IN ({})",
            TERMINAL_STATES.as_str()
        );
        let n: i64 = sqlx::query_scalar(AssertSqlSafe(sql)).bind(micros(now)).fetch_one(&self.read).await.or_backend()?;
        Ok(n as u64)
    }

    async fn order_counts(&self, from: DateTime<Utc>, to: DateTime<Utc>, by: Breakdown) -> StoreResult<Vec<(String, u64)>> {
        let column = match by {
            Breakdown::Channel => "channel",
            Breakdown::Type => "order_type",
        };
        let sql = format!(
            "SELECT {column} AS k, COUNT(*) AS n FROM work_orders WHERE created_at >= $1 AND created_at < $2 \
             AND state NOT IN ({}) GROUP BY {column} ORDER BY n DESC, k",
            VOID_STATES.as_str()
        );
        self.between(&sql, from, to, |row| Ok((row.text("k")?, row.int("n")? as u64))).await
    }

    async fn kpi_counts(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        as_of: DateTime<Utc>,
        by: Dimension,
    ) -> StoreResult<Vec<(i64, KpiCounts)>> {
        let key = match by {
            Dimension::Unit => "lead_unit_id",
            Dimension::Town => "town_id",
            Dimension::Category => "category_id",
            Dimension::Consultant => "created_by",
        };
        let rows = sqlx::query(AssertSqlSafe(counts_sql(key)))
            .bind(micros(from))
            .bind(micros(to))
            .bind(micros(as_of))
            .fetch_all(&self.read)
            .await
            .or_backend()?;
        let mut counts: Vec<(i64, KpiCounts)> = rows
            .iter()
            .map(|row| {
                let n = |name: &str| row.int(name).map(|v| v as u64);
                let completion_due = n("completion_due")?;
                let completed_on_time = n("completed_on_time")?;
                let counts = KpiCounts {
                    orders: n("orders")?,
                    sign_for_due: n("sign_for_due")?,
                    signed_on_time: n("signed_on_time")?,
                    completion_due,
                    completed_on_time,
                    overdue: completion_due - completed_on_time,
                    dispatched: n("dispatched")?,
                    returned: n("returned")?,
                    resolved: n("resolved")?,
                    followed_up: n("followed_up")?,
                    satisfied: n("satisfied")?,
                    basically_satisfied: n("basically_satisfied")?,
                    unsatisfied: n("unsatisfied")?,
                    solved: n("solved")?,
                    redone: n("redone")?,
                };
                Ok((row.int("k")?, counts))
            })
            .collect::<StoreResult<_>>()?;
        if by == Dimension::Unit {
            let elsewhere = sqlx::query(AssertSqlSafe(returned_elsewhere_sql()))
                .bind(micros(from))
                .bind(micros(to))
                .fetch_all(&self.read)
                .await
                .or_backend()?;
            for row in elsewhere {
                let (unit, n) = (row.int("k")?, row.int("n")? as u64);
                match counts.iter_mut().find(|(k, _)| *k == unit) {
                    Some((_, c)) => {
                        c.dispatched += n;
                        c.returned += n;
                    }
                    None => counts.push((unit, KpiCounts { dispatched: n, returned: n, ..KpiCounts::default() })),
                }
            }
        }
        Ok(counts)
    }
}
