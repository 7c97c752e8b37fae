//! Texts citizens send to the hotline (上行短信), as the SMS gateway passes
//! them on: a reply of 1, 2 or 3 to a follow-up text is the citizen's
//! verdict, recorded as the follow-up; any other text becomes an order in
//! the SMS channel, whose registration notice answers the citizen within
//! minutes (GB/T 33358). See `docs/sms.md`.

use crate::clock::Clock;
use crate::error::{AppError, AppResult};
use crate::ids::IdGenerator;
use crate::portal::Portal;
use crate::ports::{IncomingText, OrderStore};
use crate::sms::{SmsStore, Texts};
use chrono::{DateTime, Duration, Utc};
use hotline_domain::sms::{IncomingOutcome, UnmatchedReason, parse_rating};
use hotline_domain::{OrderId, PhoneNumber, Reason, Satisfaction, State, WorkOrderNo};
use std::sync::Arc;

/// A text as the gateway passes it on, parsed at the edge.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// The gateway's id for the text (Kannel's `%I`).
    pub gateway_id: String,
    pub from: PhoneNumber,
    pub to: String,
    pub text: String,
}

/// What became of one text.
struct Handled {
    outcome: IncomingOutcome,
    order: Option<(OrderId, WorkOrderNo)>,
    rating: Option<Satisfaction>,
    reason: Option<UnmatchedReason>,
}

impl Handled {
    fn unmatched(reason: UnmatchedReason, order: Option<(OrderId, WorkOrderNo)>) -> Self {
        Self { outcome: IncomingOutcome::Unmatched, order, rating: None, reason: Some(reason) }
    }
}

pub struct SmsInbox {
    pub(crate) texts: Arc<Texts>,
    pub(crate) store: Arc<dyn SmsStore>,
    pub(crate) orders: Arc<dyn OrderStore>,
    pub(crate) portal: Arc<Portal>,
    pub(crate) ids: Arc<IdGenerator>,
    pub(crate) clock: Arc<dyn Clock>,
}

impl SmsInbox {
    /// Takes a text the gateway passes on, authenticated by its token. The
    /// same text passed on twice (the gateway retries) is handled once.
    pub async fn receive(&self, token: &str, incoming: Incoming) -> AppResult<IncomingText> {
        self.texts.check_gateway(token)?;
        self.take(incoming).await
    }

    /// Takes a text from an in-process gateway (SMPP), which needs no token.
    pub async fn take(&self, incoming: Incoming) -> AppResult<IncomingText> {
        if !self.texts.config().enabled() {
            return Err(AppError::Unavailable("texts are switched off (sms.gateway = \"none\")".into()));
        }
        if let Some(done) = self.store.incoming(&incoming.gateway_id).await? {
            return Ok(done);
        }
        let now = self.clock.now();
        let handled = match parse_rating(&incoming.text) {
            Some(rating) => self.rate(&incoming, rating, now).await?,
            None if incoming.text.trim().is_empty() => Handled::unmatched(UnmatchedReason::Empty, None),
            None => {
                let key = format!("sms:{}", incoming.gateway_id);
                let receipt = self.portal.submit_text(incoming.from.clone(), &incoming.text, &key).await?;
                let id = self.orders.order_id(&receipt.number).await?.ok_or_else(|| AppError::not_found(receipt.number.to_string()))?;
                Handled { outcome: IncomingOutcome::Registered, order: Some((id, receipt.number)), rating: None, reason: None }
            }
        };
        let record = IncomingText {
            id: self.ids.next(),
            gateway_id: incoming.gateway_id,
            phone: incoming.from,
            to: incoming.to,
            text: incoming.text,
            outcome: handled.outcome,
            order: handled.order.as_ref().map(|(id, _)| *id),
            number: handled.order.map(|(_, number)| number),
            rating: handled.rating,
            reason: handled.reason,
            received_at: now,
        };
        if self.store.record_incoming(&record).await? {
            return Ok(record);
        }
        // Another node took the same delivery a moment earlier.
        self.store.incoming(&record.gateway_id).await?.ok_or_else(|| AppError::not_found(record.gateway_id))
    }

    /// A rating answers the newest follow-up text to the phone within the
    /// reply window, if its order still waits for the follow-up.
    async fn rate(&self, incoming: &Incoming, rating: Satisfaction, now: DateTime<Utc>) -> AppResult<Handled> {
        let window = Duration::hours(i64::from(self.texts.config().reply_window_hours));
        let asked = self.store.follow_up_text(&incoming.from, now - window).await?;
        let Some(order_id) = asked.and_then(|t| t.order) else {
            return Ok(Handled::unmatched(UnmatchedReason::NoFollowUp, None));
        };
        let order = self.orders.order(order_id).await?.ok_or_else(|| AppError::not_found(format!("order {order_id}")))?;
        let number = order.number.clone();
        if order.state != State::PendingFollowUp {
            return Ok(Handled::unmatched(UnmatchedReason::AlreadyFollowedUp, Some((order_id, number))));
        }
        let comment = Reason::parse(&format!("短信回复「{}」", incoming.text.trim())).ok();
        self.portal.rate_order(order.clone(), rating, comment).await?;
        if let Some(thanks) = self.texts.rated(&order, rating, now) {
            self.store.insert_texts(std::slice::from_ref(&thanks)).await?;
            self.texts.queued();
        }
        Ok(Handled { outcome: IncomingOutcome::Rated, order: Some((order_id, number)), rating: Some(rating), reason: None })
    }
}
