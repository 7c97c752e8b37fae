//! The facts evaluation figures are computed from.

use crate::SqlStore;
use crate::codec::{Get, from_json, word};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hotline_app::ports::{EvaluationStore, StoreResult};
use hotline_domain::kpi::OrderFacts;
use hotline_domain::{CategoryId, Counters, Satisfaction, UnitId, UserId};

#[async_trait]
impl EvaluationStore for SqlStore {
    async fn order_facts(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> StoreResult<Vec<OrderFacts>> {
        let sql = "SELECT lead_unit_id, town_id, category_id, created_by, dispatched_at, sign_for_due, signed_at, completion_due, \
                   resolved_at, satisfaction, solved, counters FROM work_orders \
                   WHERE created_at >= $1 AND created_at < $2 AND state NOT IN ('merged', 'invalid')";
        self.between(sql, from, to)
            .await?
            .iter()
            .map(|row| {
                let counters: Counters = from_json("counters", &row.text("counters")?)?;
                Ok(OrderFacts {
                    lead_unit: row.opt_int("lead_unit_id")?.map(UnitId),
                    town: row.opt_int("town_id")?.map(UnitId),
                    category: CategoryId(row.int("category_id")?),
                    registered_by: UserId(row.int("created_by")?),
                    dispatched_at: row.opt_at("dispatched_at")?,
                    sign_for_due: row.opt_at("sign_for_due")?,
                    signed_at: row.opt_at("signed_at")?,
                    completion_due: row.at("completion_due")?,
                    resolved_at: row.opt_at("resolved_at")?,
                    satisfaction: row.opt_text("satisfaction")?.map(|s| word("satisfaction", &s, Satisfaction::parse)).transpose()?,
                    solved: row.opt_int("solved")?.map(|v| v != 0),
                    returns: counters.returns,
                    redos: counters.redos,
                })
            })
            .collect()
    }
}
