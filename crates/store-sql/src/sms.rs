//! Texts to citizens: the outbox and its receipts.

use crate::codec::{Get, micros, opt_micros, word};
use crate::sql::Val;
use crate::{OrBackend, SqlStore};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hotline_app::ports::{IncomingText, SmsMessage, StoreError, StoreResult};
use hotline_app::sms::{SmsOutcome, SmsStore};
use hotline_domain::sms::{IncomingOutcome, SmsEvent, SmsState, UnmatchedReason};
use hotline_domain::{OrderId, PhoneNumber, Satisfaction, WorkOrderNo};
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
    Ok(SmsMessage {
        id: row.int("id")?,
        order: row.opt_int("order_id")?.map(OrderId),
        number: row.opt_text("number")?.map(|n| word("number", &n, WorkOrderNo::parse)).transpose()?,
        phone: word("phone", &row.text("phone")?, PhoneNumber::parse)?,
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

const INCOMING_HEAD: &str = "sms_incoming (id, gateway_id, phone, to_number, text, outcome, order_id, number, rating, reason, received_at)";
const INCOMING_WIDTH: usize = 11;

fn incoming_row(t: &IncomingText) -> Vec<Val> {
    vec![
        Val::from(t.id),
        t.gateway_id.as_str().into(),
        t.phone.as_str().into(),
        t.to.as_str().into(),
        t.text.as_str().into(),
        t.outcome.as_str().into(),
        t.order.map(|o| o.0).into(),
        t.number.as_ref().map(|n| n.as_str().to_owned()).into(),
        t.rating.map(|r| r.as_str().to_owned()).into(),
        t.reason.map(|r| r.as_str().to_owned()).into(),
        micros(t.received_at).into(),
    ]
}

fn parse_incoming(row: &AnyRow) -> StoreResult<IncomingText> {
    Ok(IncomingText {
        id: row.int("id")?,
        gateway_id: row.text("gateway_id")?,
        phone: word("phone", &row.text("phone")?, PhoneNumber::parse)?,
        to: row.text("to_number")?,
        text: row.text("text")?,
        outcome: word("outcome", &row.text("outcome")?, IncomingOutcome::parse)?,
        order: row.opt_int("order_id")?.map(OrderId),
        number: row.opt_text("number")?.map(|n| word("number", &n, WorkOrderNo::parse)).transpose()?,
        rating: row.opt_text("rating")?.map(|r| word("rating", &r, Satisfaction::parse)).transpose()?,
        reason: row.opt_text("reason")?.map(|r| word("reason", &r, UnmatchedReason::parse)).transpose()?,
        received_at: row.at("received_at")?,
    })
}

#[async_trait]
impl SmsStore for SqlStore {
    async fn due_sms(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<SmsMessage>> {
        let query = sqlx::query("SELECT * FROM sms_messages WHERE next_at IS NOT NULL AND next_at <= $1 ORDER BY next_at, id LIMIT $2");
        self.read_all(query.bind(micros(now)).bind(i64::from(limit)), parse_sms).await
    }

    async fn claim_sms(&self, id: i64, due: DateTime<Utc>, until: DateTime<Utc>) -> StoreResult<bool> {
        self.claim_outbox_row(crate::sql::OutboxTable::Texts, id, due, until).await
    }

    async fn record_sms(&self, id: i64, outcome: &SmsOutcome) -> StoreResult<()> {
        let query = match outcome {
            SmsOutcome::Sent { at, reference } => sqlx::query(
                "UPDATE sms_messages SET attempts = attempts + 1, next_at = NULL, state = $2, sent_at = $3, last_error = NULL, \
                 gateway_ref = $4 WHERE id = $1",
            )
            .bind(id)
            .bind(SmsState::Sent.as_str())
            .bind(micros(*at))
            .bind(reference.clone()),
            SmsOutcome::Retry { error, next_at } => {
                sqlx::query("UPDATE sms_messages SET attempts = attempts + 1, next_at = $2, last_error = $3 WHERE id = $1")
                    .bind(id)
                    .bind(micros(*next_at))
                    .bind(error.as_str())
            }
            SmsOutcome::Later { next_at } => {
                sqlx::query("UPDATE sms_messages SET next_at = $2 WHERE id = $1").bind(id).bind(micros(*next_at))
            }
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
        self.read_one(sqlx::query("SELECT * FROM sms_messages WHERE id = $1").bind(id), parse_sms).await
    }

    async fn sms_by_reference(&self, reference: &str) -> StoreResult<Option<SmsMessage>> {
        let query = sqlx::query("SELECT * FROM sms_messages WHERE gateway_ref = $1 ORDER BY id DESC LIMIT 1");
        self.read_one(query.bind(reference), parse_sms).await
    }

    async fn sms_messages(&self, order: Option<OrderId>, limit: u32) -> StoreResult<Vec<SmsMessage>> {
        let rows = match order {
            Some(o) => sqlx::query("SELECT * FROM sms_messages WHERE order_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2").bind(o.0),
            None => sqlx::query("SELECT * FROM sms_messages ORDER BY created_at DESC, id DESC LIMIT $1"),
        };
        self.read_all(rows.bind(i64::from(limit)), parse_sms).await
    }

    async fn insert_texts(&self, texts: &[SmsMessage]) -> StoreResult<()> {
        let mut conn = self.write.acquire().await.or_backend()?;
        crate::sql::insert_rows(&mut conn, self.backend, SMS_HEAD, SMS_WIDTH, texts.iter().map(sms_row).collect(), "").await?;
        Ok(())
    }

    async fn follow_up_text(&self, phone: &PhoneNumber, since: DateTime<Utc>) -> StoreResult<Option<SmsMessage>> {
        let query = sqlx::query(
            "SELECT * FROM sms_messages WHERE phone = $1 AND event = $2 AND created_at >= $3 AND state <> $4 \
             ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .bind(phone.as_str())
        .bind(SmsEvent::FollowUp.as_str())
        .bind(micros(since))
        .bind(SmsState::Failed.as_str());
        self.read_one(query, parse_sms).await
    }

    async fn record_incoming(&self, text: &IncomingText) -> StoreResult<bool> {
        let mut conn = self.write.acquire().await.or_backend()?;
        let tail = " ON CONFLICT (gateway_id) DO NOTHING RETURNING id";
        let inserted =
            crate::sql::insert_rows(&mut conn, self.backend, INCOMING_HEAD, INCOMING_WIDTH, vec![incoming_row(text)], tail).await?;
        Ok(!inserted.is_empty())
    }

    async fn incoming(&self, gateway_id: &str) -> StoreResult<Option<IncomingText>> {
        self.read_one(sqlx::query("SELECT * FROM sms_incoming WHERE gateway_id = $1").bind(gateway_id), parse_incoming).await
    }

    async fn incoming_texts(&self, limit: u32) -> StoreResult<Vec<IncomingText>> {
        let query = sqlx::query("SELECT * FROM sms_incoming ORDER BY received_at DESC, id DESC LIMIT $1");
        self.read_all(query.bind(i64::from(limit)), parse_incoming).await
    }
}
