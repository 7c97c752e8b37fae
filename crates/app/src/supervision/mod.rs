//! Electronic supervision (电子监察): firing the deadline timers every order
//! carries (`hotline_domain::watch`), the alerts they raise in the app, their
//! delivery by e-mail and webhook through an outbox, and the supervision
//! desk's lists and cards.
//!
//! Timers live in the database and are written with the order in one
//! transaction, so they survive restarts; a scan fires every timer whose
//! instant has passed, including those that fell due while the server was
//! down, and marks each fired in the same transaction as its alert, so no
//! timer fires twice (see `SupervisionStore::fire`).

mod config;
mod desk;
mod records;

pub use config::SupervisionConfig;
pub use desk::{Card, CardColour, NoticeRow, OrderList, Repeat, RepeatBy};
pub use records::*;

use crate::access::{AdminDesk, AlertReader};
use crate::audit::Auditor;
use crate::clock::Clock;
use crate::directory::Directory;
use crate::error::{AppError, AppResult};
use crate::ids::IdGenerator;
use crate::ports::OrderStore;
use async_trait::async_trait;
use chrono::Duration;
use hotline_domain::UnitId;
use hotline_domain::watch::{AlertLevel, Timer, most_serious};
use std::sync::Arc;
use tokio::sync::broadcast;

/// Timers fired per transaction.
const SCAN_BATCH: u32 = 1000;
/// Deliveries attempted per round.
const DELIVERY_BATCH: u32 = 100;
/// How long a node holds a delivery it is sending: far above the
/// notifiers' own timeouts, so a slow send is not sent twice; a node that
/// died holding one leaves it to another after this.
const DELIVERY_LEASE_SECS: i64 = 300;

/// Sends an alert out of the platform: e-mail and webhook adapters live in
/// `hotline-notify`.
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Delivers the alert to the delivery's address; the error says why not.
    async fn send(&self, delivery: &Delivery, alert: &AlertRecord) -> Result<(), String>;
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ScanReport {
    /// Timers found due and marked fired.
    pub fired: usize,
    /// Alerts raised (one per deadline, the most serious level due).
    pub raised: usize,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct DeliveryReport {
    pub delivered: usize,
    pub retried: usize,
    pub gave_up: usize,
}

pub struct Supervision {
    pub(crate) store: Arc<dyn SupervisionStore>,
    /// The supervision desk's lists of orders.
    pub(crate) orders: Arc<dyn OrderStore>,
    pub(crate) ids: Arc<IdGenerator>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) directory: Arc<Directory>,
    pub(crate) auditor: Arc<Auditor>,
    pub(crate) config: SupervisionConfig,
    pub(crate) live: broadcast::Sender<LiveAlert>,
    /// The other nodes' screens, through the relay when there is one.
    pub(crate) relay: crate::live::Relay,
}

/// What the live alert feed carries.
#[derive(Debug, Clone)]
pub enum LiveAlert {
    /// A new alert.
    Raised(AlertRecord),
    /// An incident or surge warning that counted more orders, as it stands
    /// now: the screens' counts grow without a reload.
    Counted(AlertRecord),
}

impl LiveAlert {
    /// The alert, new or grown: who may hear of it is read from it alike.
    pub fn alert(&self) -> &AlertRecord {
        match self {
            Self::Raised(a) | Self::Counted(a) => a,
        }
    }
}

impl Supervision {
    pub fn config(&self) -> &SupervisionConfig {
        &self.config
    }

    /// Raised alerts, and incidents as they grow, for live screens.
    pub fn subscribe(&self) -> broadcast::Receiver<LiveAlert> {
        self.live.subscribe()
    }

    /// Fires every timer due now, in batches, until none is left.
    pub async fn scan(&self) -> AppResult<ScanReport> {
        let mut report = ScanReport::default();
        let contacts = self.store.contacts().await?;
        loop {
            let now = self.clock.now();
            let due = self.store.due_timers(now, SCAN_BATCH).await?;
            if due.is_empty() {
                break;
            }
            let firings: Vec<Firing> = most_serious(&due)
                .into_iter()
                .map(|best| {
                    let alert = alert_of(best, self.ids.next(), now);
                    let deliveries = self.outbox(&contacts, &alert);
                    let timers = due.iter().filter(|t| same_deadline(t, best)).cloned().collect();
                    Firing { timers, alert, deliveries }
                })
                .collect();
            let raised = self.store.fire(&firings, now).await?;
            report.fired += due.len();
            report.raised += raised.len();
            self.broadcast(raised);
            if due.len() < SCAN_BATCH as usize {
                break;
            }
        }
        Ok(report)
    }

    /// Raises alerts that no timer set (emergency linkage, surges) with
    /// their deliveries, and the timers that watch them, in one transaction.
    /// The alerts come complete (with their order's number and subject), so
    /// they are not read back.
    pub async fn raise(&self, alerts: Vec<AlertRecord>, timers: Vec<Timer>, members: Vec<IncidentMember>) -> AppResult<Vec<AlertRecord>> {
        if alerts.is_empty() && timers.is_empty() {
            return self.join(members).await.map(|()| Vec::new());
        }
        let contacts = self.store.contacts().await?;
        let firings: Vec<Firing> =
            alerts.into_iter().map(|alert| Firing { deliveries: self.outbox(&contacts, &alert), timers: Vec::new(), alert }).collect();
        self.store.raise(&firings, &timers, &members).await?;
        let mut raised: Vec<AlertRecord> = firings.into_iter().map(|f| f.alert).collect();
        // A surge warning stands for the orders that made it from the start.
        for alert in &mut raised {
            let counted = members.iter().filter(|m| m.alert == alert.id).count();
            alert.orders = alert.orders.max(u32::try_from(counted).unwrap_or(u32::MAX));
        }
        self.broadcast(raised.clone());
        self.recount(&members, &raised).await;
        Ok(raised)
    }

    /// Counts further reports in incidents already alerted: nobody is told
    /// again, the alert's count grows.
    pub async fn join(&self, members: Vec<IncidentMember>) -> AppResult<()> {
        if !members.is_empty() {
            self.store.raise(&[], &[], &members).await?;
            self.recount(&members, &[]).await;
        }
        Ok(())
    }

    /// Tells live screens the new counts of the alerts `members` joined
    /// (those just raised are told whole). Read only while someone listens;
    /// a failed read is logged, as the counts are stored and a screen shows
    /// them at its next reading.
    async fn recount(&self, members: &[IncidentMember], raised: &[AlertRecord]) {
        let mut grown: Vec<i64> = members.iter().map(|m| m.alert).filter(|id| raised.iter().all(|a| a.id != *id)).collect();
        grown.sort_unstable();
        grown.dedup();
        if grown.is_empty() {
            return;
        }
        self.relay.publish(|| crate::live::LiveEvent::AlertsCounted { ids: grown.clone() });
        self.tell(&grown, LiveAlert::Counted).await;
    }

    /// Alerts another node raised or counted more orders in, for this
    /// node's screens.
    pub async fn hear(&self, ids: &[i64], raised: bool) {
        self.tell(ids, if raised { LiveAlert::Raised } else { LiveAlert::Counted }).await;
    }

    /// Reads the alerts as they stand and tells this node's screens, if
    /// any listen.
    async fn tell(&self, ids: &[i64], news: fn(AlertRecord) -> LiveAlert) {
        if self.live.receiver_count() == 0 {
            return;
        }
        match self.store.alerts_with_ids(ids).await {
            Ok(alerts) => alerts.into_iter().for_each(|a| {
                let _ = self.live.send(news(a));
            }),
            Err(e) => tracing::warn!(alerts = ids.len(), error = %e, "alerts could not be read for live screens"),
        }
    }

    /// One delivery per address that should hear of the alert.
    fn outbox(&self, contacts: &[Contact], alert: &AlertRecord) -> Vec<Delivery> {
        recipients(contacts, alert.unit, alert.level)
            .map(|c| Delivery {
                id: self.ids.next(),
                alert: alert.id,
                channel: c.channel,
                address: c.address.clone(),
                attempts: 0,
                next_at: alert.raised_at,
                delivered_at: None,
                failed_at: None,
                last_error: None,
            })
            .collect()
    }

    fn broadcast(&self, raised: Vec<AlertRecord>) {
        if !raised.is_empty() {
            self.relay.publish(|| crate::live::LiveEvent::AlertsRaised { ids: raised.iter().map(|a| a.id).collect() });
        }
        for alert in raised {
            // Nobody listening is fine: the alert is stored.
            let _ = self.live.send(LiveAlert::Raised(alert));
        }
    }

    /// Attempts the deliveries due now; failures are retried with a growing
    /// delay until the configured number of attempts is spent.
    pub async fn deliver(&self, notifier: &dyn Notifier) -> AppResult<DeliveryReport> {
        let mut report = DeliveryReport::default();
        let now = self.clock.now();
        for (delivery, alert) in self.store.due_deliveries(now, DELIVERY_BATCH).await? {
            // Nodes deliver side by side; each delivery is taken by one.
            let lease = self.clock.now() + Duration::seconds(DELIVERY_LEASE_SECS);
            if !self.store.claim_delivery(delivery.id, delivery.next_at, lease).await? {
                continue;
            }
            let outcome = match notifier.send(&delivery, &alert).await {
                Ok(()) => {
                    report.delivered += 1;
                    DeliveryOutcome::Delivered { at: self.clock.now() }
                }
                Err(error) if delivery.attempts + 1 >= i64::from(self.config.delivery_attempts) => {
                    report.gave_up += 1;
                    tracing::warn!(delivery = delivery.id, address = %delivery.address, %error, "alert delivery given up");
                    DeliveryOutcome::GaveUp { at: self.clock.now(), error }
                }
                Err(error) => {
                    report.retried += 1;
                    let delay = self.config.retry_after_secs.saturating_mul(1 << delivery.attempts.clamp(0, 10));
                    DeliveryOutcome::Retry { error, next_at: self.clock.now() + Duration::seconds(i64::from(delay)) }
                }
            };
            self.store.record_delivery(delivery.id, &outcome).await?;
        }
        Ok(report)
    }

    /// Scans and delivers every `scan_every_secs` until the process ends.
    pub fn spawn(self: Arc<Self>, notifier: Arc<dyn Notifier>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(u64::from(self.config.scan_every_secs.max(1))));
            loop {
                tick.tick().await;
                if let Err(e) = self.scan().await {
                    tracing::error!(error = %e, "deadline scan failed; retrying at the next tick");
                }
                if let Err(e) = self.deliver(notifier.as_ref()).await {
                    tracing::error!(error = %e, "alert delivery failed; retrying at the next tick");
                }
            }
        })
    }

    /// The reader's alerts, newest first.
    pub async fn alerts(
        &self,
        reader: &AlertReader,
        unread_only: bool,
        level: Option<AlertLevel>,
        before: Option<i64>,
        limit: u32,
    ) -> AppResult<Vec<AlertRecord>> {
        let query = AlertQuery { scope: reader.scope().clone(), unread_only, level, before, limit: limit.clamp(1, 200) };
        Ok(self.store.alerts(&query).await?)
    }

    /// Marks one of the reader's alerts read (已阅).
    pub async fn mark_read(&self, reader: &AlertReader, id: i64) -> AppResult<AlertRecord> {
        let alert = self.visible_alert(reader, id).await?;
        if !reader.marks(alert.unit) {
            return Err(AppError::Forbidden(format!(
                "alert {id} is addressed to {}; only its addressees mark it read",
                alert.unit.map_or_else(|| "the centre".to_owned(), |u| format!("unit {u}"))
            )));
        }
        self.store.mark_alert_read(id, reader.user(), self.clock.now()).await?;
        Ok(self.store.alert(alert.id).await?.unwrap_or(alert))
    }

    /// Where an alert was sent and how that went.
    pub async fn deliveries(&self, reader: &AlertReader, id: i64) -> AppResult<Vec<Delivery>> {
        self.visible_alert(reader, id).await?;
        Ok(self.store.deliveries(id).await?)
    }

    /// The orders an alert stands for: the reports of an emergency incident
    /// or the alike orders of a surge warning (the alert's own order for
    /// any other alert), in the order they came, at most 200.
    pub async fn incident_orders(&self, reader: &AlertReader, id: i64) -> AppResult<Vec<hotline_domain::WorkOrder>> {
        let alert = self.visible_alert(reader, id).await?;
        let mut ids = self.store.incident_orders(id, INCIDENT_ORDERS_SHOWN).await?;
        if !ids.contains(&alert.order) {
            ids.insert(0, alert.order);
        }
        let mut orders = Vec::with_capacity(ids.len());
        for order in ids {
            if let Some(o) = self.orders.order(order).await? {
                orders.push(o);
            }
        }
        Ok(orders)
    }

    async fn visible_alert(&self, reader: &AlertReader, id: i64) -> AppResult<AlertRecord> {
        match self.store.alert(id).await? {
            // Another unit's alert is as absent as a missing one.
            Some(alert) if reader.sees(alert.unit) => Ok(alert),
            _ => Err(AppError::not_found(format!("alert {id}"))),
        }
    }
}

/// Orders of an incident listed at most.
const INCIDENT_ORDERS_SHOWN: u32 = 200;

impl Supervision {
    /// The addresses of a unit, or of the centre with no unit.
    pub async fn contacts(&self, admin: &AdminDesk, unit: Option<UnitId>) -> AppResult<Vec<Contact>> {
        admin.check_unit(unit)?;
        Ok(self.store.contacts().await?.into_iter().filter(|c| c.unit == unit).collect())
    }

    /// Replaces the addresses of a unit (or of the centre) alerts are sent to.
    pub async fn set_contacts(&self, admin: &AdminDesk, unit: Option<UnitId>, new: Vec<NewContact>) -> AppResult<Vec<Contact>> {
        admin.check_unit(unit)?;
        if let Some(u) = unit
            && self.directory.snapshot().unit(u).is_none()
        {
            return Err(AppError::invalid("unit", format!("there is no unit {}", u.0)));
        }
        if new.len() > MAX_CONTACTS {
            return Err(AppError::invalid("contacts", format!("at most {MAX_CONTACTS} addresses per unit")));
        }
        let mut contacts: Vec<Contact> = Vec::with_capacity(new.len());
        for (i, c) in new.into_iter().enumerate() {
            let address = c.checked_address().map_err(|m| AppError::invalid(&format!("contacts[{i}].address"), m))?;
            if contacts.iter().any(|x| x.channel == c.channel && x.address == address) {
                return Err(AppError::invalid(&format!("contacts[{i}].address"), format!("{address} is listed twice")));
            }
            contacts.push(Contact { id: self.ids.next(), unit, channel: c.channel, address, leader: c.leader });
        }
        let audit = self.auditor.record(
            admin.user(),
            "contacts.replace",
            format!("unit:{}", unit.map_or(0, |u| u.0)),
            serde_json::json!({ "contacts": contacts }),
        );
        self.store.replace_contacts(unit, &contacts, &audit).await?;
        Ok(contacts)
    }
}

/// Addresses a unit may list.
const MAX_CONTACTS: usize = 20;

/// An address as an administrator enters it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewContact {
    pub channel: ContactChannel,
    pub address: String,
    #[serde(default)]
    pub leader: bool,
}

impl NewContact {
    fn checked_address(&self) -> Result<String, String> {
        let a = self.address.trim();
        match self.channel {
            ContactChannel::Email => {
                let ok = a.len() <= 254
                    && !a.contains(char::is_whitespace)
                    && a.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.') && !domain.contains('@'));
                if ok { Ok(a.to_owned()) } else { Err(format!("{a:?} is not an e-mail address like ban@example.gov.cn")) }
            }
            ContactChannel::Webhook => match is_http_url(a) {
                true => Ok(a.to_owned()),
                false => Err(format!("{a:?} is not an http:// or https:// address")),
            },
        }
    }
}

pub(crate) fn is_http_url(a: &str) -> bool {
    let rest = a.strip_prefix("https://").or_else(|| a.strip_prefix("http://"));
    rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/') && !a.contains(char::is_whitespace) && a.len() <= 2000)
}

fn same_deadline(a: &Timer, b: &Timer) -> bool {
    (a.order, a.watched, a.subject, a.due) == (b.order, b.watched, b.subject, b.due)
}

/// Who hears of a timer besides the app: the addressed unit's (or, for the
/// centre's steps, the centre's) ordinary addresses; an escalation also
/// reaches the unit's leaders and the centre's addresses.
fn recipients(contacts: &[Contact], unit: Option<UnitId>, level: AlertLevel) -> impl Iterator<Item = &Contact> {
    let escalation = level == AlertLevel::Escalation;
    contacts.iter().filter(move |c| if c.unit == unit { escalation || !c.leader } else { escalation && c.unit.is_none() })
}
