//! Emergency linkage (应急联动): every registered order is screened against
//! the linkage rules; a match alerts the partner units at once (in the app,
//! by e-mail and webhook through the supervision outbox), and an alert not
//! acknowledged within the rule's minutes escalates through a timer like
//! any deadline. Many related orders in a short time raise an early
//! warning (突发预警) even when each is minor. Authorised users publish
//! warnings to the public portal.

mod records;

pub use records::*;

use crate::access::{AdminDesk, SupervisorDesk};
use crate::audit::Auditor;
use crate::clock::Clock;
use crate::directory::Directory;
use crate::error::{AppError, AppResult};
use crate::ids::IdGenerator;
use crate::ports::{ChangeCursor, Store};
use crate::supervision::{AlertRecord, Supervision, alert_of};
use chrono::{DateTime, Duration, Utc};
use hotline_domain::emergency::{EmergencyRule, RuleSpec, similarity};
use hotline_domain::watch::{AlertLevel, Timer, Watched};
use hotline_domain::{OrderId, State, UnitId, WorkOrder};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Section `[emergency]` (documented in `docs/configuration.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmergencyConfig {
    /// K: related orders (same category and town) that make a surge…
    pub surge_orders: u32,
    /// …within T minutes; orders whose texts are this alike (0–1, character
    /// bigrams) count as related too, whatever their category.
    pub surge_minutes: u32,
    pub surge_similarity: f64,
}

impl Default for EmergencyConfig {
    fn default() -> Self {
        Self { surge_orders: 5, surge_minutes: 60, surge_similarity: 0.6 }
    }
}

impl EmergencyConfig {
    pub fn check(&self) -> Result<(), String> {
        if self.surge_orders < 2 || self.surge_minutes == 0 {
            return Err("surge_orders must be at least 2 and surge_minutes at least 1".into());
        }
        if !(self.surge_similarity > 0.0 && self.surge_similarity <= 1.0) {
            return Err("surge_similarity must be above 0 and at most 1".into());
        }
        Ok(())
    }
}

/// Orders read at a time by the catch-up pass.
const CATCH_UP_BATCH: u32 = 200;
/// How old an order is before the catch-up pass screens it again: its
/// registration's own screening has long finished by then.
pub const CATCH_UP_SETTLE: Duration = Duration::seconds(60);

pub struct Emergency {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) directory: Arc<Directory>,
    pub(crate) ids: Arc<IdGenerator>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) auditor: Arc<Auditor>,
    pub(crate) supervision: Arc<Supervision>,
    pub(crate) config: EmergencyConfig,
}

impl Emergency {
    /// Screens a newly registered order: linkage alerts to partners, with
    /// their acknowledgement timers, and a surge warning to the town.
    pub async fn screen(&self, order: &WorkOrder) -> AppResult<Vec<AlertRecord>> {
        let now = self.clock.now();
        let lineage = self.directory.snapshot().category_lineage(order.category);
        let text = format!("{}\n{}", order.subject.as_str(), order.description.as_str());
        let mut alerts = Vec::new();
        let mut timers = Vec::new();
        let matching: Vec<EmergencyRule> = self.store.emergency_rules().await?.into_iter().filter(|r| r.matches(&lineage, &text)).collect();
        // Screening twice (the catch-up pass after the registration's own)
        // alerts nobody twice.
        let raised = if matching.is_empty() { Vec::new() } else { self.store.linkage_alerts(order.id).await? };
        for rule in &matching {
            let ack_due = now + Duration::minutes(i64::from(rule.spec.ack_minutes));
            for unit in rule.recipients(order.location.town).into_iter().filter(|u| !raised.contains(&(rule.id, Some(*u)))) {
                let alert = self.alert(order, Watched::Emergency, rule.id, AlertLevel::Red, ack_due, unit);
                timers.push(Timer {
                    order: order.id,
                    watched: Watched::Emergency,
                    subject: alert.id,
                    level: AlertLevel::Escalation,
                    due: ack_due,
                    fire_at: ack_due,
                    unit: Some(unit),
                });
                alerts.push(alert);
            }
        }
        if let Some(town) = order.location.town {
            if self.is_surge(order, town, now).await? {
                alerts.push(self.alert(order, Watched::Surge, order.category.0, AlertLevel::Yellow, now, town));
            } else if let Some(first) = self.similar_surge(order, town, &text, now).await? {
                alerts.push(self.alert(order, Watched::Surge, first.0, AlertLevel::Yellow, now, town));
            }
        }
        if alerts.is_empty() {
            return Ok(alerts);
        }
        self.supervision.raise(alerts, timers).await
    }

    /// Screens again the orders registered after `cursor` up to `settle`
    /// ago, and moves the cursor past them: an order whose screening at
    /// registration failed (the database busy, the process stopped between
    /// the two) still alerts its partners, a pass later. Returns how many
    /// orders were screened.
    pub async fn catch_up(&self, cursor: &mut ChangeCursor, settle: Duration) -> AppResult<usize> {
        let until = self.clock.now() - settle;
        let mut screened = 0;
        loop {
            let batch = self.store.registered_between(*cursor, until, CATCH_UP_BATCH).await?;
            for (place, id) in &batch {
                // Declared a prank or a duplicate meanwhile: nobody to alert now.
                if let Some(order) = self.store.order(*id).await?.filter(|o| !matches!(o.state, State::Invalid | State::Merged)) {
                    self.screen(&order).await?;
                    screened += 1;
                }
                *cursor = *place;
            }
            if batch.len() < CATCH_UP_BATCH as usize {
                return Ok(screened);
            }
        }
    }

    /// Runs [`Self::catch_up`] every `every` until the process ends, from
    /// `lookback` before the start: a restart screens again what was
    /// registered just before the process stopped.
    pub fn spawn_catch_up(self: Arc<Self>, every: std::time::Duration, lookback: Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let start = self.clock.now() - lookback;
            let mut cursor = ChangeCursor { updated_at: start, id: i64::MIN };
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                match self.catch_up(&mut cursor, CATCH_UP_SETTLE).await {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(orders = n, "emergency catch-up screened"),
                    Err(e) => tracing::error!(error = %e, "emergency catch-up failed; retrying at the next tick"),
                }
            }
        })
    }

    /// K related orders within T minutes, and no surge warning for them yet
    /// in that window.
    async fn is_surge(&self, order: &WorkOrder, town: UnitId, now: DateTime<Utc>) -> AppResult<bool> {
        let since = now - Duration::minutes(i64::from(self.config.surge_minutes));
        let related = self.store.related_orders(order.category, town, since).await?;
        Ok(related >= u64::from(self.config.surge_orders) && !self.store.surge_raised(order.category, town, since).await?)
    }

    /// K orders in the town within T minutes whose texts are alike, none of
    /// them in a surge warning yet: the first of them names the cluster.
    async fn similar_surge(&self, order: &WorkOrder, town: UnitId, text: &str, now: DateTime<Utc>) -> AppResult<Option<OrderId>> {
        let since = now - Duration::minutes(i64::from(self.config.surge_minutes));
        let cluster: Vec<OrderId> = self
            .store
            .recent_texts(town, since)
            .await?
            .into_iter()
            .filter(|(id, other)| *id == order.id || similarity(text, other) >= self.config.surge_similarity)
            .map(|(id, _)| id)
            .collect();
        if cluster.len() < self.config.surge_orders as usize {
            return Ok(None);
        }
        let warned = self.store.surge_subjects(town, since).await?;
        if cluster.iter().any(|id| warned.contains(&id.0)) {
            return Ok(None);
        }
        Ok(cluster.into_iter().min())
    }

    /// An alert about `order` raised now, shaped like the timer that would
    /// have raised it.
    fn alert(&self, order: &WorkOrder, watched: Watched, subject: i64, level: AlertLevel, due: DateTime<Utc>, unit: UnitId) -> AlertRecord {
        let now = self.clock.now();
        let timer = Timer { order: order.id, watched, subject, level, due, fire_at: now, unit: Some(unit) };
        AlertRecord {
            number: Some(order.number.clone()),
            order_subject: Some(order.subject.to_string()),
            ..alert_of(&timer, self.ids.next(), now)
        }
    }

    pub async fn rules(&self, _: &AdminDesk) -> AppResult<Vec<EmergencyRule>> {
        Ok(self.store.emergency_rules().await?)
    }

    /// Adds a rule (`id` None) or replaces one.
    pub async fn save_rule(&self, admin: &AdminDesk, id: Option<i64>, spec: RuleSpec) -> AppResult<EmergencyRule> {
        let spec = spec.parse()?;
        let org = self.directory.snapshot();
        if let Some(p) = spec.partners.iter().find(|p| org.unit(**p).is_none()) {
            return Err(AppError::invalid("partners", format!("there is no unit {}", p.0)));
        }
        if let Some(c) = spec.categories.iter().find(|c| org.category(**c).is_none()) {
            return Err(AppError::invalid("categories", format!("there is no category {}", c.0)));
        }
        if let Some(id) = id
            && !self.store.emergency_rules().await?.iter().any(|r| r.id == id)
        {
            return Err(AppError::not_found(format!("emergency rule {id}")));
        }
        let rule = EmergencyRule { id: id.unwrap_or_else(|| self.ids.next()), spec };
        let audit =
            self.auditor.record(admin.user(), "emergency_rule.save", format!("emergency_rule:{}", rule.id), serde_json::json!(rule));
        self.store.save_rule(&rule, &audit).await?;
        Ok(rule)
    }

    /// Publishes a warning to the public portal.
    pub async fn publish(&self, desk: &SupervisorDesk, new: NewWarning) -> AppResult<PublicWarning> {
        let now = self.clock.now();
        let warning = new.into_warning(self.ids.next(), desk.user(), now, &self.directory)?;
        let audit = self.auditor.record(
            Some(desk.user()),
            "public_warning.publish",
            format!("public_warning:{}", warning.id),
            serde_json::json!(warning),
        );
        self.store.insert_warning(&warning, &audit).await?;
        Ok(warning)
    }

    pub async fn withdraw(&self, desk: &SupervisorDesk, id: i64) -> AppResult<()> {
        let audit =
            self.auditor.record(Some(desk.user()), "public_warning.withdraw", format!("public_warning:{id}"), serde_json::json!({}));
        Ok(self.store.withdraw_warning(id, self.clock.now(), &audit).await?)
    }

    /// Warnings in force now, newest first: what the portal shows.
    pub async fn current_warnings(&self) -> AppResult<Vec<PublicWarning>> {
        Ok(self.store.warnings(Some(self.clock.now()), 50).await?)
    }

    /// Every warning, withdrawn and expired ones too, for the centre.
    pub async fn all_warnings(&self, _: &SupervisorDesk) -> AppResult<Vec<PublicWarning>> {
        Ok(self.store.warnings(None, 200).await?)
    }
}
