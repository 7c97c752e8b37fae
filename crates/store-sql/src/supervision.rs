//! Deadline timers, alerts, contacts and the delivery outbox.

use crate::codec::{Get, flag, micros, opt_micros, word};
use crate::sql::{TERMINAL_STATES, VOID_STATES, Val, dynamic, in_list, insert_audit, insert_rows, row_sets};
use crate::{Backend, OrBackend, SqlStore};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hotline_app::ports::{AuditRecord, StoreError, StoreResult, StoreScope};
use hotline_app::supervision::{
    AlertCount, AlertQuery, AlertRecord, Contact, ContactChannel, Delivery, DeliveryOutcome, Firing, IncidentMember, NoticeRow, Repeat,
    RepeatBy, SupervisionStore,
};
use hotline_domain::watch::{AlertLevel, Timer, Watched};
use hotline_domain::{NoticeId, OrderId, UnitId, UserId, WorkOrderNo};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

/// Alerts with their order's number, for a `WHERE` to follow.
const SELECT_ALERTS: &str = concat!(
    "SELECT a.id, a.order_id, o.number, o.subject AS order_subject, a.watched, a.subject, a.level, a.due_at, a.unit_id, a.raised_at, a.read_at, a.read_by, ",
    "(SELECT COUNT(*) FROM alert_orders j WHERE j.alert_id = a.id) AS incident_orders ",
    "FROM alerts a JOIN work_orders o ON o.id = a.order_id"
);

fn parse_alert(row: &AnyRow) -> StoreResult<AlertRecord> {
    Ok(AlertRecord {
        id: row.int("id")?,
        order: OrderId(row.int("order_id")?),
        number: Some(word("number", &row.text("number")?, WorkOrderNo::parse)?),
        order_subject: Some(row.text("order_subject")?),
        watched: word("watched", &row.text("watched")?, Watched::parse)?,
        subject: row.int("subject")?,
        level: word("level", &row.text("level")?, AlertLevel::parse)?,
        due: row.at("due_at")?,
        unit: row.opt_int("unit_id")?.map(UnitId),
        raised_at: row.at("raised_at")?,
        read_at: row.opt_at("read_at")?,
        read_by: row.opt_int("read_by")?.map(UserId),
        orders: u32::try_from(row.int("incident_orders")?.max(1)).unwrap_or(u32::MAX),
    })
}

fn channel(row: &AnyRow) -> StoreResult<ContactChannel> {
    let text = row.text("channel")?;
    ContactChannel::parse(&text).ok_or_else(|| StoreError::Backend(format!("column channel: unknown channel {text:?}")))
}

fn parse_delivery(row: &AnyRow) -> StoreResult<Delivery> {
    Ok(Delivery {
        id: row.int("id")?,
        alert: row.int("alert_id")?,
        channel: channel(row)?,
        address: row.text("address")?,
        attempts: row.int("attempts")?,
        next_at: row.at("next_at")?,
        delivered_at: row.opt_at("delivered_at")?,
        failed_at: row.opt_at("failed_at")?,
        last_error: row.opt_text("last_error")?,
    })
}

/// Inserts the firings' alerts and their deliveries.
async fn insert_alerts(conn: &mut AnyConnection, backend: Backend, firings: &[&Firing]) -> StoreResult<()> {
    let alerts = firings
        .iter()
        .map(|f| {
            let a = &f.alert;
            vec![
                Val::from(a.id),
                a.order.0.into(),
                a.watched.as_str().into(),
                a.subject.into(),
                a.level.as_str().into(),
                micros(a.due).into(),
                a.unit.map(|u| u.0).into(),
                micros(a.raised_at).into(),
            ]
        })
        .collect();
    // The town of the order, for an emergency report to find its incident
    // (migration 34), joined once: a look-up per row made the statement
    // plan (PostgreSQL) or open (SQLite) one subquery per alert, and
    // SQLite's cost of opening each grows with those already open.
    for set in row_sets(backend, 8, alerts) {
        let sql = format!(
            "WITH v (id, order_id, watched, subject, level, due_at, unit_id, raised_at) AS ({}) \
             INSERT INTO alerts (id, order_id, watched, subject, level, due_at, unit_id, raised_at, town_id) \
             SELECT v.id, v.order_id, v.watched, v.subject, v.level, v.due_at, v.unit_id, v.raised_at, o.town_id \
             FROM v LEFT JOIN work_orders o ON o.id = v.order_id",
            set.sql
        );
        dynamic(&sql, set.values).execute(&mut *conn).await.or_backend()?;
    }
    let deliveries = firings
        .iter()
        .flat_map(|f| &f.deliveries)
        .map(|d| {
            vec![
                Val::from(d.id),
                d.alert.into(),
                d.channel.as_str().into(),
                d.address.as_str().into(),
                d.attempts.into(),
                micros(d.next_at).into(),
            ]
        })
        .collect();
    insert_rows(conn, backend, "deliveries (id, alert_id, channel, address, attempts, next_at)", 6, deliveries, "").await?;
    Ok(())
}

impl SqlStore {
    async fn alerts_by_id(&self, ids: impl IntoIterator<Item = i64>) -> StoreResult<Vec<AlertRecord>> {
        let ids: Vec<Val> = ids.into_iter().map(Val::from).collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // Read back after their commit; the writer stays free for registrations.
        let mut values = Vec::new();
        let sql = format!("{SELECT_ALERTS} WHERE a.id {} ORDER BY a.id", in_list(self.backend, &mut values, ids));
        dynamic(&sql, values).fetch_all(&self.read).await.or_backend()?.iter().map(parse_alert).collect()
    }
}

#[async_trait]
impl SupervisionStore for SqlStore {
    async fn due_timers(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<Timer>> {
        let adopted = crate::watches::adopt_legacy(&self.write, self.backend).await?;
        if adopted > 0 {
            tracing::info!(orders = adopted, "deadline timers moved from the table of the previous release");
        }
        crate::watches::due(&self.read, now, limit).await
    }

    async fn fire(&self, firings: &[Firing], _now: DateTime<Utc>) -> StoreResult<Vec<AlertRecord>> {
        let mut tx = self.write.begin().await.or_backend()?;
        let moved = crate::watches::fire(&mut tx, self.backend, firings.iter().map(|f| f.timers.as_slice())).await?;
        // A firing whose deadline did not move on lost to another scanner
        // (whose alert stands) or to a change of the order: not raised.
        let raised: Vec<&Firing> =
            firings.iter().filter(|f| f.timers.first().is_some_and(|t| moved.contains(&crate::watches::fired_key(t)))).collect();
        insert_alerts(&mut tx, self.backend, &raised).await?;
        tx.commit().await.or_backend()?;
        self.alerts_by_id(raised.iter().map(|f| f.alert.id)).await
    }

    async fn raise(&self, firings: &[Firing], timers: &[Timer], members: &[IncidentMember]) -> StoreResult<()> {
        let mut tx = self.write.begin().await.or_backend()?;
        insert_alerts(&mut tx, self.backend, &firings.iter().collect::<Vec<_>>()).await?;
        crate::watches::insert(&mut tx, self.backend, timers).await?;
        let members = members.iter().map(|m| vec![Val::from(m.alert), m.order.0.into(), micros(m.at).into()]).collect();
        let tail = " ON CONFLICT (alert_id, order_id) DO NOTHING";
        insert_rows(&mut tx, self.backend, "alert_orders (alert_id, order_id, joined_at)", 3, members, tail).await?;
        tx.commit().await.or_backend()
    }

    async fn alerts(&self, query: &AlertQuery) -> StoreResult<Vec<AlertRecord>> {
        let mut sql = format!("{SELECT_ALERTS} WHERE 1 = 1");
        let mut values: Vec<Val> = Vec::new();
        if let StoreScope::Units(units) = &query.scope {
            if units.is_empty() {
                return Ok(Vec::new());
            }
            sql.push_str(" AND a.unit_id ");
            crate::sql::push_in(&mut sql, &mut values, units.iter().map(|u| u.0));
        }
        if query.unread_only {
            sql.push_str(" AND a.read_at IS NULL");
        }
        if let Some(level) = query.level {
            values.push(level.as_str().into());
            sql.push_str(&format!(" AND a.level = ${}", values.len()));
        }
        if let Some(before) = query.before {
            values.push(before.into());
            sql.push_str(&format!(" AND a.id < ${}", values.len()));
        }
        values.push(i64::from(query.limit).into());
        sql.push_str(&format!(" ORDER BY a.id DESC LIMIT ${}", values.len()));
        dynamic(&sql, values).fetch_all(&self.read).await.or_backend()?.iter().map(parse_alert).collect()
    }

    async fn alert(&self, id: i64) -> StoreResult<Option<AlertRecord>> {
        let sql = format!("{SELECT_ALERTS} WHERE a.id = $1");
        dynamic(&sql, vec![id.into()]).fetch_optional(&self.write).await.or_backend()?.as_ref().map(parse_alert).transpose()
    }

    async fn alerts_with_ids(&self, ids: &[i64]) -> StoreResult<Vec<AlertRecord>> {
        self.alerts_by_id(ids.iter().copied()).await
    }

    async fn mark_alert_read(&self, id: i64, by: UserId, at: DateTime<Utc>) -> StoreResult<()> {
        let mut tx = self.write.begin().await.or_backend()?;
        let updated = sqlx::query("UPDATE alerts SET read_at = $1, read_by = $2 WHERE id = $3 AND read_at IS NULL")
            .bind(micros(at))
            .bind(by.0)
            .bind(id)
            .execute(&mut *tx)
            .await
            .or_backend()?
            .rows_affected();
        // An acknowledged emergency alert no longer escalates.
        sqlx::query("DELETE FROM deadline_watch WHERE watched = 'emergency' AND subject = $1 AND next_at IS NOT NULL")
            .bind(id)
            .execute(&mut *tx)
            .await
            .or_backend()?;
        tx.commit().await.or_backend()?;
        if updated == 0 && self.alert(id).await?.is_none() {
            return Err(StoreError::NotFound(format!("alert {id}")));
        }
        Ok(())
    }

    async fn alert_counts(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> StoreResult<Vec<AlertCount>> {
        let sql = "SELECT unit_id, level, COUNT(DISTINCT order_id) AS orders FROM alerts \
                   WHERE raised_at >= $1 AND raised_at < $2 AND watched = 'completion' AND unit_id IS NOT NULL GROUP BY unit_id, level";
        self.between(sql, from, to, |row| {
            Ok(AlertCount {
                unit: UnitId(row.int("unit_id")?),
                level: word("level", &row.text("level")?, AlertLevel::parse)?,
                orders: row.int("orders")? as u64,
            })
        })
        .await
    }

    async fn contacts(&self) -> StoreResult<Vec<Contact>> {
        sqlx::query("SELECT * FROM contacts ORDER BY id")
            .fetch_all(&self.read)
            .await
            .or_backend()?
            .iter()
            .map(|row| {
                Ok(Contact {
                    id: row.int("id")?,
                    unit: row.opt_int("unit_id")?.map(UnitId),
                    channel: channel(row)?,
                    address: row.text("address")?,
                    leader: row.flag("leader")?,
                })
            })
            .collect()
    }

    async fn replace_contacts(&self, unit: Option<UnitId>, contacts: &[Contact], audit: &AuditRecord) -> StoreResult<()> {
        let mut tx = self.write.begin().await.or_backend()?;
        match unit {
            Some(u) => sqlx::query("DELETE FROM contacts WHERE unit_id = $1").bind(u.0).execute(&mut *tx).await,
            None => sqlx::query("DELETE FROM contacts WHERE unit_id IS NULL").execute(&mut *tx).await,
        }
        .or_backend()?;
        let rows = contacts
            .iter()
            .map(|c| {
                vec![
                    Val::from(c.id),
                    c.unit.map(|u| u.0).into(),
                    c.channel.as_str().into(),
                    c.address.as_str().into(),
                    flag(c.leader).into(),
                ]
            })
            .collect();
        insert_rows(&mut tx, self.backend, "contacts (id, unit_id, channel, address, leader)", 5, rows, "").await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.or_backend()
    }

    async fn due_deliveries(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<(Delivery, AlertRecord)>> {
        let rows = sqlx::query(
            "SELECT * FROM deliveries WHERE delivered_at IS NULL AND failed_at IS NULL AND next_at <= $1 ORDER BY next_at LIMIT $2",
        )
        .bind(micros(now))
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await
        .or_backend()?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let delivery = parse_delivery(row)?;
            if let Some(alert) = self.alert(delivery.alert).await? {
                out.push((delivery, alert));
            }
        }
        Ok(out)
    }

    async fn claim_delivery(&self, id: i64, due: DateTime<Utc>, until: DateTime<Utc>) -> StoreResult<bool> {
        self.claim_outbox_row(crate::sql::OutboxTable::Deliveries, id, due, until).await
    }

    async fn record_delivery(&self, id: i64, outcome: &DeliveryOutcome) -> StoreResult<()> {
        let (delivered, failed, next, error) = match outcome {
            DeliveryOutcome::Delivered { at } => (Some(*at), None, None, None),
            DeliveryOutcome::Retry { error, next_at } => (None, None, Some(*next_at), Some(error.as_str())),
            DeliveryOutcome::GaveUp { at, error } => (None, Some(*at), None, Some(error.as_str())),
        };
        sqlx::query(
            "UPDATE deliveries SET attempts = attempts + 1, delivered_at = $1, failed_at = $2, next_at = COALESCE($3, next_at), \
             last_error = COALESCE($4, last_error) WHERE id = $5",
        )
        .bind(opt_micros(delivered))
        .bind(opt_micros(failed))
        .bind(opt_micros(next))
        .bind(error)
        .bind(id)
        .execute(&self.write)
        .await
        .or_backend()?;
        Ok(())
    }

    async fn incident_orders(&self, alert: i64, limit: u32) -> StoreResult<Vec<OrderId>> {
        sqlx::query("SELECT order_id FROM alert_orders WHERE alert_id = $1 ORDER BY joined_at, order_id LIMIT $2")
            .bind(alert)
            .bind(i64::from(limit))
            .fetch_all(&self.read)
            .await
            .or_backend()?
            .iter()
            .map(|row| Ok(OrderId(row.int("order_id")?)))
            .collect()
    }

    async fn deliveries(&self, alert: i64) -> StoreResult<Vec<Delivery>> {
        sqlx::query("SELECT * FROM deliveries WHERE alert_id = $1 ORDER BY id")
            .bind(alert)
            .fetch_all(&self.read)
            .await
            .or_backend()?
            .iter()
            .map(parse_delivery)
            .collect()
    }

    async fn repeats(&self, by: RepeatBy, since: DateTime<Utc>, min: u32, limit: u32) -> StoreResult<Vec<Repeat>> {
        // Anonymous orders cannot repeat by caller, nor orders without an address by problem.
        let (key, label, present) = match by {
            RepeatBy::Caller => ("caller_phone", "caller_phone", "caller_phone IS NOT NULL"),
            RepeatBy::Problem => ("category_id, address", "CAST(category_id AS TEXT) || ' ' || address", "address IS NOT NULL"),
        };
        let sql = format!(
            "SELECT {label} AS k, COUNT(*) AS n, \
             CAST(SUM(CASE WHEN resolved_at IS NULL AND state NOT IN ({terminal}) THEN 1 ELSE 0 END) AS BIGINT) AS open, \
             MAX(id) AS latest FROM work_orders \
             WHERE created_at >= $1 AND state NOT IN ({void}) AND {present} \
             GROUP BY {key} HAVING COUNT(*) >= $2 ORDER BY n DESC, latest DESC LIMIT $3",
            terminal = TERMINAL_STATES.as_str(),
            void = VOID_STATES.as_str()
        );
        let rows = dynamic(&sql, vec![micros(since).into(), i64::from(min).into(), i64::from(limit).into()])
            .fetch_all(&self.read)
            .await
            .or_backend()?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let latest = OrderId(row.int("latest")?);
            let head = sqlx::query("SELECT number, created_at FROM work_orders WHERE id = $1")
                .bind(latest.0)
                .fetch_one(&self.read)
                .await
                .or_backend()?;
            out.push(Repeat {
                key: row.text("k")?,
                orders: row.int("n")? as u64,
                open: row.int("open")? as u64,
                latest,
                latest_number: word("number", &head.text("number")?, WorkOrderNo::parse)?,
                latest_at: head.at("created_at")?,
            });
        }
        Ok(out)
    }

    async fn notices(&self, open_only: bool, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<NoticeRow>> {
        let filter = if open_only { " WHERE n.answered_at IS NULL" } else { "" };
        let sql = format!(
            "SELECT n.*, o.number FROM supervision_notices n JOIN work_orders o ON o.id = n.order_id{filter} ORDER BY n.issued_at DESC, n.id DESC LIMIT $1"
        );
        dynamic(&sql, vec![i64::from(limit).into()])
            .fetch_all(&self.read)
            .await
            .or_backend()?
            .iter()
            .map(|row| {
                let due_at = row.at("due_at")?;
                let answered_at = row.opt_at("answered_at")?;
                Ok(NoticeRow {
                    id: NoticeId(row.int("id")?),
                    order: OrderId(row.int("order_id")?),
                    number: word("number", &row.text("number")?, WorkOrderNo::parse)?,
                    unit: UnitId(row.int("unit_id")?),
                    issued_by: UserId(row.int("issued_by")?),
                    issued_at: row.at("issued_at")?,
                    due_at,
                    text: row.text("text")?,
                    answered_at,
                    answer: row.opt_text("answer")?,
                    late: answered_at.unwrap_or(now) > due_at,
                })
            })
            .collect()
    }
}
