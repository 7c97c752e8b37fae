//! Texts to citizens (短信) through the operator's SMS gateway: the
//! registration notice with the order's number and promised date, queued in
//! the registration's own transaction, sent within the sending hours,
//! retried, and followed by the operator's receipts. Templates are edited
//! by system administrators; every text is in the delivery log.

mod config;

pub use config::{SmsConfig, SmsGateway as GatewayKind};

use crate::access::AdminDesk;
use crate::audit::Auditor;
use crate::calendar::CalendarService;
use crate::clock::Clock;
use crate::error::{AppError, AppResult};
use crate::ids::IdGenerator;
use crate::ports::{IncomingText, SettingStore, SmsMessage, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use hotline_domain::sms::{REPLY_EXCERPT_CHARS, SmsEvent, SmsState, check_template, default_template, excerpt, render, segments};
use hotline_domain::{Action, Decision, OrderId, PhoneNumber, Satisfaction, State, ValidationErrors, WorkOrder};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

/// Texts attempted per round.
const SEND_BATCH: u32 = 100;
/// How long past its timeout an attempt may take before another node
/// takes the text over.
const CLAIM_MARGIN_SECS: i64 = 30;
/// The longest wait between two attempts at a text.
const MAX_RETRY_DELAY_SECS: u32 = 3600;
/// The settings row of the templates administrators saved.
const TEMPLATES_KEY: &str = "sms_templates";

/// What the gateway did with an attempted text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmsOutcome {
    Sent {
        at: DateTime<Utc>,
        /// The gateway's id for it, which its receipts name (SMPP's message id).
        reference: Option<String>,
    },
    Retry {
        error: String,
        next_at: DateTime<Utc>,
    },
    /// Outside the sending hours: not an attempt.
    Later {
        next_at: DateTime<Utc>,
    },
    Failed {
        error: String,
    },
}

#[async_trait]
pub trait SmsStore: Send + Sync {
    /// Texts due at `now`, oldest first.
    async fn due_sms(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<SmsMessage>>;
    /// Takes the text for one attempt (see `ExternalStore::claim_push`).
    async fn claim_sms(&self, id: i64, due: DateTime<Utc>, until: DateTime<Utc>) -> StoreResult<bool>;
    async fn record_sms(&self, id: i64, outcome: &SmsOutcome) -> StoreResult<()>;
    /// Records the operator's receipt: a final state (delivered, failed) or,
    /// with `None`, news on the way; false when there is no such text.
    async fn sms_receipt(&self, id: i64, state: Option<SmsState>, receipt: &str, at: DateTime<Utc>) -> StoreResult<bool>;
    async fn sms(&self, id: i64) -> StoreResult<Option<SmsMessage>>;
    /// The text the gateway took under this reference.
    async fn sms_by_reference(&self, reference: &str) -> StoreResult<Option<SmsMessage>>;
    /// The newest texts, of one order or of all.
    async fn sms_messages(&self, order: Option<OrderId>, limit: u32) -> StoreResult<Vec<SmsMessage>>;
    /// Queues texts not tied to a change of an order.
    async fn insert_texts(&self, texts: &[SmsMessage]) -> StoreResult<()>;
    /// The newest follow-up text to this phone queued at or after `since`
    /// and not failed: the one a reply answers.
    async fn follow_up_text(&self, phone: &PhoneNumber, since: DateTime<Utc>) -> StoreResult<Option<SmsMessage>>;
    /// Keeps a text a citizen sent; false when one of the same gateway id is kept already.
    async fn record_incoming(&self, text: &IncomingText) -> StoreResult<bool>;
    async fn incoming(&self, gateway_id: &str) -> StoreResult<Option<IncomingText>>;
    /// The newest texts citizens sent.
    async fn incoming_texts(&self, limit: u32) -> StoreResult<Vec<IncomingText>>;
}

/// Hands a text to the operator; the adapter for Kannel lives in `hotline-notify`.
#[async_trait]
pub trait SmsGateway: Send + Sync {
    /// The gateway accepted the text, under the reference its receipts
    /// will name if it gives one; the error says why not.
    async fn send(&self, text: &SmsMessage) -> Result<Option<String>, String>;
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SmsReport {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    pub postponed: usize,
}

/// What an operator's receipt says, in Kannel's `%d` codes.
pub fn receipt_state(code: u32) -> Option<SmsState> {
    match code {
        1 => Some(SmsState::Delivered),
        2 | 16 => Some(SmsState::Failed),
        _ => None,
    }
}

fn receipt_text(code: u32) -> String {
    match code {
        1 => "1 delivered to the phone".into(),
        2 => "2 not delivered".into(),
        4 => "4 buffered by the operator".into(),
        8 => "8 accepted by the operator".into(),
        16 => "16 rejected by the operator".into(),
        other => format!("{other}"),
    }
}

pub struct Texts {
    pub(crate) store: Arc<dyn SmsStore>,
    pub(crate) settings: Arc<dyn SettingStore>,
    pub(crate) ids: Arc<IdGenerator>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) calendar: Arc<CalendarService>,
    pub(crate) auditor: Arc<Auditor>,
    pub(crate) config: SmsConfig,
    /// The configuration's templates overridden by those an administrator saved.
    pub(crate) templates: RwLock<BTreeMap<SmsEvent, String>>,
    /// Woken by a registration that queued a text, so it goes at once.
    pub(crate) wake: tokio::sync::Notify,
}

impl Texts {
    pub fn config(&self) -> &SmsConfig {
        &self.config
    }

    pub async fn load_templates(&self) -> AppResult<()> {
        if let Some(saved) = self.settings.setting(TEMPLATES_KEY).await? {
            let saved: BTreeMap<SmsEvent, String> =
                serde_json::from_str(&saved).map_err(|e| AppError::Unavailable(format!("the saved text templates cannot be read: {e}")))?;
            self.templates.write().expect("templates lock").extend(saved);
        }
        Ok(())
    }

    pub fn templates(&self) -> BTreeMap<SmsEvent, String> {
        let saved = self.templates.read().expect("templates lock");
        SmsEvent::ALL.iter().map(|e| (*e, saved.get(e).cloned().unwrap_or_else(|| default_template(*e).to_owned()))).collect()
    }

    /// Saves templates an administrator edited, each checked for its
    /// placeholders and length.
    pub async fn set_templates(&self, admin: &AdminDesk, new: BTreeMap<SmsEvent, String>) -> AppResult<BTreeMap<SmsEvent, String>> {
        if !admin.is_system_admin() {
            return Err(AppError::Forbidden("only a system administrator edits the text templates".into()));
        }
        let mut errors = ValidationErrors::default();
        let mut checked = BTreeMap::new();
        for (event, text) in new {
            match check_template(event, &text) {
                Ok(t) => {
                    checked.insert(event, t);
                }
                Err(e) => errors.push(e),
            }
        }
        errors.into_result()?;
        let mut all = self.templates();
        all.extend(checked);
        let audit = self.auditor.record(admin.user(), "sms.templates", "sms_templates", json!({ "templates": all }));
        let value = serde_json::to_string(&all).expect("templates serialise");
        self.settings.put_setting(TEMPLATES_KEY, &value, self.clock.now(), &audit).await?;
        *self.templates.write().expect("templates lock") = all.clone();
        Ok(all)
    }

    /// The registration notice an order sends, if it sends one.
    pub fn registered_notice(&self, order: &WorkOrder) -> Option<SmsMessage> {
        let calendar = self.calendar.snapshot();
        let due = order.deadlines.completion.with_timezone(&calendar.time_zone()).format("%Y年%-m月%-d日").to_string();
        self.compose(order, SmsEvent::Registered, &[("number", order.number.as_str()), ("due", &due)], order.created_at)
    }

    /// What a decision tells the citizen: a reviewed answer is the closure
    /// text (办结告知) and the follow-up question (短信回访), in that order.
    pub fn for_decision(&self, decision: &Decision) -> Vec<SmsMessage> {
        let order = &decision.order;
        if decision.entry.action != Action::Review || order.state != State::PendingFollowUp {
            return Vec::new();
        }
        let reply = order.result.as_ref().map(|r| excerpt(r.public_reply.as_str(), REPLY_EXCERPT_CHARS)).unwrap_or_default();
        let hours = self.config.reply_window_hours.to_string();
        let number = order.number.as_str();
        let now = decision.entry.at;
        [
            self.compose(order, SmsEvent::Closed, &[("number", number), ("reply", &reply)], now),
            self.compose(order, SmsEvent::FollowUp, &[("number", number), ("hours", &hours)], now),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// The thanks for a rating received by text.
    pub fn rated(&self, order: &WorkOrder, rating: Satisfaction, at: DateTime<Utc>) -> Option<SmsMessage> {
        self.compose(order, SmsEvent::Rated, &[("number", order.number.as_str()), ("rating", rating.label_zh())], at)
    }

    /// A text about an order, if it sends one: texts are on, the caller
    /// left a mobile number and did not opt out. `{hotline}` is filled here.
    fn compose(&self, order: &WorkOrder, event: SmsEvent, values: &[(&str, &str)], at: DateTime<Utc>) -> Option<SmsMessage> {
        let phone = order.caller.phone.as_ref().filter(|p| p.is_mobile())?;
        if !self.config.enabled() || order.caller.sms_opt_out {
            return None;
        }
        let template = self.templates().remove(&event).unwrap_or_default();
        let mut values = values.to_vec();
        values.push(("hotline", &self.config.hotline));
        let text = render(&template, &values);
        Some(SmsMessage {
            id: self.ids.next(),
            order: Some(order.id),
            number: Some(order.number.clone()),
            phone: phone.clone(),
            event,
            segments: segments(&text).count,
            text,
            state: SmsState::Queued,
            attempts: 0,
            next_at: Some(self.allowed_from(at)),
            sent_at: None,
            delivered_at: None,
            receipt: None,
            last_error: None,
            created_at: at,
        })
    }

    /// The first moment at or after `at` within the sending hours.
    fn allowed_from(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        let zone = self.calendar.snapshot().time_zone();
        let local = at.with_timezone(&zone).naive_local();
        let allowed = self.config.hours().next_allowed(local);
        if allowed == local {
            return at;
        }
        allowed.and_local_timezone(zone).earliest().map_or(at, |t| t.with_timezone(&Utc))
    }

    pub fn queued(&self) {
        self.wake.notify_one();
    }

    /// Sends the texts due now; a gateway that refuses is retried with a
    /// growing delay until the configured attempts are spent.
    pub async fn deliver(&self, gateway: &dyn SmsGateway) -> AppResult<SmsReport> {
        let mut report = SmsReport::default();
        let now = self.clock.now();
        for text in self.store.due_sms(now, SEND_BATCH).await? {
            let Some(due) = text.next_at else { continue };
            let allowed = self.allowed_from(self.clock.now());
            let outcome = if allowed > self.clock.now() {
                report.postponed += 1;
                SmsOutcome::Later { next_at: allowed }
            } else {
                let lease = self.clock.now() + Duration::seconds(i64::from(self.config.timeout_secs) + CLAIM_MARGIN_SECS);
                if !self.store.claim_sms(text.id, due, lease).await? {
                    continue;
                }
                match gateway.send(&text).await {
                    Ok(reference) => {
                        report.sent += 1;
                        SmsOutcome::Sent { at: self.clock.now(), reference }
                    }
                    Err(error) if text.attempts + 1 >= i64::from(self.config.max_attempts) => {
                        report.failed += 1;
                        tracing::warn!(sms = text.id, %error, "text given up");
                        SmsOutcome::Failed { error }
                    }
                    Err(error) => {
                        report.retried += 1;
                        let delay = crate::clock::backoff_secs(self.config.retry_after_secs, text.attempts, MAX_RETRY_DELAY_SECS);
                        SmsOutcome::Retry { error, next_at: self.clock.now() + Duration::seconds(i64::from(delay)) }
                    }
                }
            };
            self.store.record_sms(text.id, &outcome).await?;
        }
        Ok(report)
    }

    /// Whether a call comes from the gateway: it carries `sms.receipt_token`.
    pub fn check_gateway(&self, token: &str) -> AppResult<()> {
        let expected = self.config.receipt_token.expose();
        if expected.is_empty() || !crate::auth::same_secret(token, expected) {
            return Err(AppError::Forbidden("the token is not the SMS gateway's (sms.receipt_token)".into()));
        }
        Ok(())
    }

    /// The operator's receipt for a text, as the gateway reports it
    /// (Kannel's `%d`), authenticated by the gateway's token.
    pub async fn receipt(&self, token: &str, id: i64, code: u32) -> AppResult<()> {
        self.check_gateway(token)?;
        if !self.store.sms_receipt(id, receipt_state(code), &receipt_text(code), self.clock.now()).await? {
            return Err(AppError::not_found(format!("text {id}")));
        }
        Ok(())
    }

    /// A receipt an in-process gateway (SMPP) took from the operator, for
    /// the text it accepted under `reference`; false when no text has it.
    pub async fn receipt_for(&self, reference: &str, state: Option<SmsState>, receipt: &str) -> AppResult<bool> {
        let Some(text) = self.store.sms_by_reference(reference).await? else {
            return Ok(false);
        };
        Ok(self.store.sms_receipt(text.id, state, receipt, self.clock.now()).await?)
    }

    /// The delivery log, newest first, for system administrators and supervisors.
    pub async fn log(&self, reader: &crate::access::Desk, order: Option<OrderId>, limit: u32) -> AppResult<Vec<SmsMessage>> {
        Self::may_read(reader)?;
        Ok(self.store.sms_messages(order, limit.clamp(1, 500)).await?)
    }

    /// The texts citizens sent, newest first, with what became of each.
    pub async fn incoming_log(&self, reader: &crate::access::Desk, limit: u32) -> AppResult<Vec<IncomingText>> {
        Self::may_read(reader)?;
        Ok(self.store.incoming_texts(limit.clamp(1, 500)).await?)
    }

    fn may_read(reader: &crate::access::Desk) -> AppResult<()> {
        reader.require(&[hotline_domain::Role::SystemAdmin, hotline_domain::Role::Supervisor], "reading the text message log")?;
        if !reader.is_centre() {
            return Err(AppError::Forbidden("the text message log is the centre's".into()));
        }
        Ok(())
    }

    /// Sends every `send_every_secs` and whenever a text is queued.
    pub fn spawn(self: Arc<Self>, gateway: Arc<dyn SmsGateway>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let every = std::time::Duration::from_secs(u64::from(self.config.send_every_secs.max(1)));
            loop {
                tokio::select! {
                    _ = self.wake.notified() => {}
                    _ = tokio::time::sleep(every) => {}
                }
                if let Err(e) = self.deliver(gateway.as_ref()).await {
                    tracing::error!(error = %e, "sending texts failed; retrying at the next round");
                }
            }
        })
    }
}
