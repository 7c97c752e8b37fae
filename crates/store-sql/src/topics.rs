//! The orders hot topics are grouped from.

use crate::codec::{Get, micros, word};
use crate::sql::{VOID_STATES, dynamic};
use crate::{OrBackend, SqlStore};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hotline_app::ports::StoreResult;
use hotline_app::topics::{TopicSource, TopicStore};
use hotline_domain::{CategoryId, OrderId, UnitId, WorkOrderNo};

#[async_trait]
impl TopicStore for SqlStore {
    async fn topic_orders(&self, after: (DateTime<Utc>, OrderId), limit: u32) -> StoreResult<Vec<TopicSource>> {
        // Walks work_orders_created_id; the void states are few and filtered on the way.
        let sql = format!(
            "SELECT id, number, created_at, town_id, category_id, subject, description FROM work_orders \
             WHERE (created_at, id) > ($1, $2) AND state NOT IN ({}) ORDER BY created_at, id LIMIT $3",
            VOID_STATES.as_str()
        );
        dynamic(&sql, vec![micros(after.0).into(), after.1.0.into(), i64::from(limit).into()])
            .fetch_all(&self.read)
            .await
            .or_backend()?
            .iter()
            .map(|row| {
                Ok(TopicSource {
                    id: OrderId(row.int("id")?),
                    number: word("number", &row.text("number")?, WorkOrderNo::parse)?,
                    created_at: row.at("created_at")?,
                    town: row.opt_int("town_id")?.map(UnitId),
                    category: CategoryId(row.int("category_id")?),
                    subject: row.text("subject")?,
                    description: row.text("description")?,
                })
            })
            .collect()
    }
}
