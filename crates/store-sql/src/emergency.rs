//! Emergency linkage rules, surge counts and public warnings.

use crate::codec::{Get, from_json, json, micros, opt_micros};
use crate::sql::{VOID_STATES, Val, dynamic, insert_audit, push_in};
use crate::{OrBackend, SqlStore};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use hotline_app::emergency::{EmergencyStore, PublicWarning, RecentOrder, SurgeWarningQuery, WarningLevel};
use hotline_app::ports::{AuditRecord, ChangeCursor, StoreError, StoreResult};
use hotline_domain::emergency::{EmergencyRule, RuleSpec};
use hotline_domain::surge::SurgeWarning;
use hotline_domain::{CategoryId, OrderId, UnitId, UserId};
use sqlx::any::AnyRow;

fn parse_warning(row: &AnyRow) -> StoreResult<PublicWarning> {
    let level = row.text("level")?;
    Ok(PublicWarning {
        id: row.int("id")?,
        title: row.text("title")?,
        body: row.text("body")?,
        level: WarningLevel::parse(&level).ok_or_else(|| StoreError::Backend(format!("column level: unknown level {level:?}")))?,
        town: row.opt_int("town_id")?.map(UnitId),
        published_by: UserId(row.int("published_by")?),
        published_at: row.at("published_at")?,
        expires_at: row.at("expires_at")?,
        withdrawn_at: row.opt_at("withdrawn_at")?,
    })
}

#[async_trait]
impl EmergencyStore for SqlStore {
    async fn emergency_rules(&self) -> StoreResult<Vec<EmergencyRule>> {
        sqlx::query("SELECT id, spec FROM emergency_rules ORDER BY id")
            .fetch_all(&self.read)
            .await
            .or_backend()?
            .iter()
            .map(|row| Ok(EmergencyRule { id: row.int("id")?, spec: from_json::<RuleSpec>("spec", &row.text("spec")?)? }))
            .collect()
    }

    async fn save_rule(&self, rule: &EmergencyRule, audit: &AuditRecord) -> StoreResult<()> {
        let mut tx = self.write.begin().await.or_backend()?;
        sqlx::query("INSERT INTO emergency_rules (id, spec) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET spec = excluded.spec")
            .bind(rule.id)
            .bind(json(&rule.spec))
            .execute(&mut *tx)
            .await
            .or_backend()?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.or_backend()
    }

    async fn recent_orders(&self, town: UnitId, since: DateTime<Utc>, floor: i64, limit: u32) -> StoreResult<Vec<RecentOrder>> {
        // By `work_orders_town` (town, id) from the floor: an index by town
        // and time as well cost every registration a write (migration 33).
        let sql = format!(
            "SELECT id, created_at, category_id, subject, description FROM work_orders WHERE town_id = $1 AND id >= $2 \
             AND created_at >= $3 AND state NOT IN ({}) ORDER BY created_at DESC LIMIT $4",
            VOID_STATES.as_str()
        );
        dynamic(&sql, vec![town.0.into(), floor.into(), micros(since).into(), i64::from(limit).into()])
            .fetch_all(&self.read)
            .await
            .or_backend()?
            .iter()
            .map(|row| {
                Ok(RecentOrder {
                    id: OrderId(row.int("id")?),
                    created_at: row.at("created_at")?,
                    category: CategoryId(row.int("category_id")?),
                    text: format!("{}\n{}", row.text("subject")?, row.text("description")?),
                })
            })
            .collect()
    }

    async fn registered_between(&self, after: ChangeCursor, until: DateTime<Utc>, limit: u32) -> StoreResult<Vec<(ChangeCursor, OrderId)>> {
        let (at, id) = if after == ChangeCursor::START { (i64::MIN, i64::MIN) } else { (micros(after.updated_at), after.id) };
        sqlx::query(
            "SELECT id, created_at FROM work_orders WHERE (created_at, id) > ($1, $2) AND created_at <= $3 \
             ORDER BY created_at, id LIMIT $4",
        )
        .bind(at)
        .bind(id)
        .bind(micros(until))
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await
        .or_backend()?
        .iter()
        .map(|row| {
            let id = row.int("id")?;
            Ok((ChangeCursor { updated_at: row.at("created_at")?, id }, OrderId(id)))
        })
        .collect()
    }

    async fn linkage_alerts(&self, order: OrderId) -> StoreResult<Vec<(i64, Option<UnitId>)>> {
        // An incident's later reports are counted in alert_orders, not alerted.
        sqlx::query(
            "SELECT subject, unit_id FROM alerts WHERE order_id = $1 AND watched = 'emergency' \
             UNION SELECT a.subject, a.unit_id FROM alert_orders j JOIN alerts a ON a.id = j.alert_id \
             WHERE j.order_id = $1 AND a.watched = 'emergency'",
        )
        .bind(order.0)
        .fetch_all(&self.read)
        .await
        .or_backend()?
        .iter()
        .map(|row| Ok((row.int("subject")?, row.opt_int("unit_id")?.map(UnitId))))
        .collect()
    }

    async fn open_incident(
        &self,
        rule: i64,
        unit: UnitId,
        town: UnitId,
        since: DateTime<Utc>,
    ) -> StoreResult<Option<(i64, DateTime<Utc>)>> {
        sqlx::query(
            "SELECT id, raised_at FROM alerts \
             WHERE unit_id = $1 AND watched = 'emergency' AND subject = $2 AND town_id = $4 AND raised_at >= $3 \
             ORDER BY raised_at DESC, id DESC LIMIT 1",
        )
        .bind(unit.0)
        .bind(rule)
        .bind(micros(since))
        .bind(town.0)
        .fetch_optional(&self.write)
        .await
        .or_backend()?
        .map(|row| Ok((row.int("id")?, row.at("raised_at")?)))
        .transpose()
    }

    async fn surge_warnings(&self, query: &SurgeWarningQuery<'_>) -> StoreResult<Vec<SurgeWarning>> {
        let mut values = vec![Val::from(micros(query.joined_since)), Val::from(micros(query.raised_since))];
        // From an order on, the orders are found by the index of orders
        // (a range of the newest) and the order each warning is named
        // after by its own, not by reading every order of each warning.
        let members = match query.orders_from {
            None => "alert_orders",
            Some(from) => {
                values.push(from.0.into());
                "(SELECT alert_id, order_id, joined_at FROM alert_orders WHERE order_id >= $3 \
                 UNION ALL SELECT s.id, s.subject, (SELECT joined_at FROM alert_orders m \
                 WHERE m.alert_id = s.id AND m.order_id = s.subject) FROM alerts s \
                 WHERE s.watched = 'surge' AND s.raised_at >= $2 AND s.subject < $3)"
            }
        };
        let mut sql = format!(
            "SELECT a.id, a.unit_id, a.subject, a.raised_at, j.order_id, j.joined_at FROM alerts a \
             LEFT JOIN {members} j ON j.alert_id = a.id AND j.joined_at >= $1 WHERE a.watched = 'surge' AND a.raised_at >= $2"
        );
        if let Some(town) = query.town {
            values.push(town.0.into());
            sql.push_str(&format!(" AND a.unit_id = ${}", values.len()));
        }
        if let Some((subject, orders)) = query.about {
            values.push(subject.into());
            sql.push_str(&format!(" AND (a.subject = ${} OR a.id IN (SELECT alert_id FROM alert_orders WHERE order_id ", values.len()));
            push_in(&mut sql, &mut values, orders.iter().map(|o| o.0));
            sql.push_str("))");
        }
        sql.push_str(" ORDER BY a.id, j.joined_at");
        // Streamed: only what is kept of each row is held, not every row
        // the driver read at once (a busy day's warnings count hundreds of
        // thousands of orders).
        let mut rows = dynamic(&sql, values).fetch(&self.read);
        let mut warnings: Vec<SurgeWarning> = Vec::new();
        while let Some(row) = rows.try_next().await.or_backend()? {
            let alert = row.int("id")?;
            if warnings.last().is_none_or(|w| w.alert != alert) {
                warnings.push(SurgeWarning {
                    unit: row.opt_int("unit_id")?.map(UnitId),
                    subject: row.int("subject")?,
                    alert,
                    raised_at: row.at("raised_at")?,
                    orders: Vec::new(),
                });
            }
            if let (Some(order), Some(at)) = (row.opt_int("order_id")?, row.opt_at("joined_at")?)
                && let Some(w) = warnings.last_mut()
            {
                w.orders.push((OrderId(order), at));
            }
        }
        Ok(warnings)
    }

    async fn insert_warning(&self, w: &PublicWarning, audit: &AuditRecord) -> StoreResult<()> {
        let mut tx = self.write.begin().await.or_backend()?;
        sqlx::query(
            "INSERT INTO public_warnings (id, title, body, level, town_id, published_by, published_at, expires_at, withdrawn_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(w.id)
        .bind(w.title.as_str())
        .bind(w.body.as_str())
        .bind(w.level.as_str())
        .bind(w.town.map(|t| t.0))
        .bind(w.published_by.0)
        .bind(micros(w.published_at))
        .bind(micros(w.expires_at))
        .bind(opt_micros(w.withdrawn_at))
        .execute(&mut *tx)
        .await
        .or_backend()?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.or_backend()
    }

    async fn warnings(&self, in_force_at: Option<DateTime<Utc>>, limit: u32) -> StoreResult<Vec<PublicWarning>> {
        let rows = match in_force_at {
            Some(at) => sqlx::query(
                "SELECT * FROM public_warnings WHERE withdrawn_at IS NULL AND published_at <= $1 AND expires_at > $1 \
                 ORDER BY published_at DESC, id DESC LIMIT $2",
            )
            .bind(micros(at))
            .bind(i64::from(limit)),
            None => sqlx::query("SELECT * FROM public_warnings ORDER BY published_at DESC, id DESC LIMIT $1").bind(i64::from(limit)),
        }
        .fetch_all(&self.read)
        .await
        .or_backend()?;
        rows.iter().map(parse_warning).collect()
    }

    async fn withdraw_warning(&self, id: i64, at: DateTime<Utc>, audit: &AuditRecord) -> StoreResult<()> {
        let sql = "UPDATE public_warnings SET withdrawn_at = $1 WHERE id = $2 AND withdrawn_at IS NULL";
        if self.audited_update(sql, vec![micros(at).into(), id.into()], audit).await? == 0 {
            return Err(StoreError::NotFound(format!("public warning {id} in force")));
        }
        Ok(())
    }
}
