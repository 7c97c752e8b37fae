//! Texts to citizens: the outbox and its receipts.

use crate::codec::{Get, micros, opt_micros, word};
use crate::sql::Val;
use crate::{OrBackend, SqlStore};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hotline_app::ports::{SmsMessage, StoreError, StoreResult};
use hotline_app::sms::{SmsOutcome, SmsStore};
use hotline_domain::sms::{SmsEvent, SmsState};
use hotline_domain::{OrderId, PhoneNumber, WorkOrderNo};
use sqlx::any::AnyRow;

pub(crate) const SMS_HEAD: &str = "sms_messages (id, order_id, number, phone, event, text, segments, state, attempts, next_at, sent_at, \
     delivered_at, receipt, last_error, created_at)";
pub(crate) const SMS_WIDTH: usize = 15;

pub(crate) fn sms_row(m: &SmsMessage) -> Vec<Val> {
    vec![
        Val::from(m.id),
        m.order.map(|o| o.0).into(),
        m.number.as_ref().map(|n| n.as_str().to_owned()).into(),
        m.phone.as_str().into(),
        m.event.as_str().into(),
        m.text.as_str().into(),
        i64::from(m.segments).into(),
        m.state.as_str().into(),
        m.attempts.into(),
        opt_micros(m.next_at).into(),
        opt_micros(m.sent_at).into(),
        opt_micros(m.delivered_at).into(),
        m.receipt.clone().into(),
        m.last_error.clone().into(),
        micros(m.created_at).into(),
    ]
}

fn parse_sms(row: &AnyRow) -> StoreResult<SmsMessage> {
    let bad = |column: &str, e: hotline_domain::FieldError| StoreError::Backend(format!("column {column}: {}", e.message));
    Ok(SmsMessage {
        id: row.int("id")?,
        order: row.opt_int("order_id")?.map(OrderId),
        number: row.opt_text("number")?.map(|n| WorkOrderNo::parse(&n).map_err(|e| bad("number", e))).transpose()?,
        phone: PhoneNumber::parse(&row.text("phone")?).map_err(|e| bad("phone", e))?,
        event: word("event", &row.text("event")?, SmsEvent::parse)?,
        text: row.text("text")?,
        segments: u32::try_from(row.int("segments")?).map_err(|e| StoreError::Backend(format!("column segments: {e}")))?,
        state: word("state", &row.text("state")?, SmsState::parse)?,
        attempts: row.int("attempts")?,
        next_at: row.opt_at("next_at")?,
        sent_at: row.opt_at("sent_at")?,
        delivered_at: row.opt_at("delivered_at")?,
        receipt: row.opt_text("receipt")?,
        last_error: row.opt_text("last_error")?,
        created_at: row.at("created_at")?,
    })
}

#[async_trait]
impl SmsStore for SqlStore {
    async fn due_sms(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<SmsMessage>> {
        sqlx::query("SELECT * FROM sms_messages WHERE next_at IS NOT NULL AND next_at <= $1 ORDER BY next_at, id LIMIT $2")
            .bind(micros(now))
            .bind(i64::from(limit))
            .fetch_all(&self.read)
            .await
            .or_backend()?
            .iter()
            .map(parse_sms)
            .collect()
    }

    async fn claim_sms(&self, id: i64, due: DateTime<Utc>, until: DateTime<Utc>) -> StoreResult<bool> {
        self.claim_outbox_row(crate::sql::OutboxTable::Texts, id, due, until).await
    }

    async fn record_sms(&self, id: i64, outcome: &SmsOutcome) -> StoreResult<()> {
        let query = match outcome {
            SmsOutcome::Sent { at } => {
                sqlx::query("UPDATE sms_messages SET attempts = attempts + 1, next_at = NULL, state = $2, sent_at = $3, last_error = NULL WHERE id = $1")
                    .bind(id)
                    .bind(SmsState::Sent.as_str())
                    .bind(micros(*at))
            }
            SmsOutcome::Retry { error, next_at } => {
                sqlx::query("UPDATE sms_messages SET attempts = attempts + 1, next_at = $2, last_error = $3 WHERE id = $1")
                    .bind(id)
                    .bind(micros(*next_at))
                    .bind(error.as_str())
            }
            SmsOutcome::Later { next_at } => sqlx::query("UPDATE sms_messages SET next_at = $2 WHERE id = $1").bind(id).bind(micros(*next_at)),
            SmsOutcome::Failed { error } => {
                sqlx::query("UPDATE sms_messages SET attempts = attempts + 1, next_at = NULL, state = $2, last_error = $3 WHERE id = $1")
                    .bind(id)
                    .bind(SmsState::Failed.as_str())
                    .bind(error.as_str())
            }
        };
        query.execute(&self.write).await.or_backend()?;
        Ok(())
    }

    async fn sms_receipt(&self, id: i64, state: Option<SmsState>, receipt: &str, at: DateTime<Utc>) -> StoreResult<bool> {
        // A receipt never moves a text back: "delivered" after "failed" is
        // the operator's last word, a late "buffered" after "delivered" is not.
        let updated = match state {
            Some(state) => sqlx::query(
                "UPDATE sms_messages SET state = $2, receipt = $3, delivered_at = CASE WHEN $2 = 'delivered' THEN $4 ELSE delivered_at END \
                 WHERE id = $1 AND state <> 'queued'",
            )
            .bind(id)
            .bind(state.as_str())
            .bind(receipt)
            .bind(micros(at)),
            None => sqlx::query("UPDATE sms_messages SET receipt = $2 WHERE id = $1 AND state = 'sent'").bind(id).bind(receipt),
        };
        Ok(updated.execute(&self.write).await.or_backend()?.rows_affected() == 1 || self.sms(id).await?.is_some())
    }

    async fn sms(&self, id: i64) -> StoreResult<Option<SmsMessage>> {
        sqlx::query("SELECT * FROM sms_messages WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.read)
            .await
            .or_backend()?
            .as_ref()
            .map(parse_sms)
            .transpose()
    }

    async fn sms_messages(&self, order: Option<OrderId>, limit: u32) -> StoreResult<Vec<SmsMessage>> {
        let rows = match order {
            Some(o) => sqlx::query("SELECT * FROM sms_messages WHERE order_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2").bind(o.0),
            None => sqlx::query("SELECT * FROM sms_messages ORDER BY created_at DESC, id DESC LIMIT $1"),
        };
        rows.bind(i64::from(limit)).fetch_all(&self.read).await.or_backend()?.iter().map(parse_sms).collect()
    }
}
