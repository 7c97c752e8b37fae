//! Emergency linkage (应急联动): every registered order is screened against
//! the linkage rules; a match alerts the partner units at once (in the app,
//! by e-mail and webhook through the supervision outbox), and an alert not
//! acknowledged within the rule's minutes escalates through a timer like
//! any deadline. Many related orders in a short time raise an early
//! warning (突发预警) even when each is minor. Authorised users publish
//! warnings to the public portal.

mod dangers;
mod records;
mod screening;
mod topics;

pub use dangers::LexiconView;
pub use records::*;
use screening::Screened;

use crate::access::{AdminDesk, SupervisorDesk};
use crate::audit::Auditor;
use crate::clock::Clock;
use crate::directory::Directory;
use crate::error::{AppError, AppResult};
use crate::ids::IdGenerator;
use crate::ports::{ChangeCursor, KnowledgeStore, OrderStore, SettingStore};
use crate::supervision::{AlertRecord, IncidentMember, Supervision, alert_of};
use chrono::{DateTime, Duration, Utc};
use hotline_domain::danger::DangerLexicon;
use hotline_domain::emergency::{EmergencyMark, EmergencyRule, LinkageRules, RuleSpec};
use hotline_domain::surge::{SurgeRule, SurgeWarning, SurgeWatch};
use hotline_domain::watch::{AlertLevel, Timer, Watched};
use hotline_domain::{CategoryId, OrderId, UnitId, WorkOrder};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::mpsc;

/// What a request's words say of its urgency (`Emergency::hint`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrgencyHint {
    /// The urgency the dangers and rules call for; `None`: nothing alarming.
    pub suggested: Option<hotline_domain::Urgency>,
    /// The dangers heard, gravest first.
    pub signals: Vec<hotline_domain::danger::Danger>,
    /// The linkage rules registering it would set off.
    pub rules: Vec<String>,
}

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
    /// Reports matching one linkage rule in one town within this many
    /// minutes of the first are one incident: one alert per partner, with a
    /// count, instead of one per report.
    pub incident_minutes: u32,
}

impl Default for EmergencyConfig {
    fn default() -> Self {
        Self { surge_orders: 5, surge_minutes: 60, surge_similarity: 0.6, incident_minutes: 120 }
    }
}

impl EmergencyConfig {
    /// What makes a surge, for the town watch and the topics alike.
    pub fn surge_rule(&self) -> SurgeRule {
        SurgeRule {
            orders: self.surge_orders as usize,
            window: Duration::minutes(i64::from(self.surge_minutes)),
            similarity: self.surge_similarity,
        }
    }

    pub fn check(&self) -> Result<(), String> {
        if self.surge_orders < 2 || self.surge_minutes == 0 {
            return Err("surge_orders must be at least 2 and surge_minutes at least 1".into());
        }
        if !(self.surge_similarity > 0.0 && self.surge_similarity <= 1.0) {
            return Err("surge_similarity must be above 0 and at most 1".into());
        }
        if self.incident_minutes == 0 || self.incident_minutes > 24 * 60 {
            return Err("incident_minutes must be between 1 and 1440".into());
        }
        Ok(())
    }
}

/// Orders read at a time by the catch-up pass.
const CATCH_UP_BATCH: u32 = 200;
/// How old an order is before the catch-up pass screens it: its
/// registration's own screening has long finished by then.
pub const CATCH_UP_SETTLE: Duration = Duration::seconds(60);
/// The lease of the node that catches up for all.
pub const CATCH_UP_LEASE: &str = "emergency-catch-up";
/// A town's recent orders read at most when the watch first meets it.
const TOWN_LOAD_LIMIT: u32 = 20_000;
/// How far back a town's lasting surge warnings are read: one still joined
/// by new orders after a day is raised again after a restart.
const SURGE_LOOKBACK: Duration = Duration::hours(24);

/// What screened orders call for, raised together.
#[derive(Default)]
struct Findings {
    alerts: Vec<AlertRecord>,
    timers: Vec<Timer>,
    /// Surge warnings noted in the watch: town and alert.
    warnings: Vec<(UnitId, i64)>,
    /// Orders counted in incidents, their first ones included.
    members: Vec<IncidentMember>,
    /// The incident alerts of this batch by rule, partner and town, so the
    /// next report of the batch joins the alert not stored yet.
    incidents: HashMap<IncidentKey, Incident>,
}

/// A linkage rule, the partner alerted and the town.
type IncidentKey = (i64, UnitId, UnitId);

/// An incident alert and when it was raised.
#[derive(Debug, Clone, Copy)]
struct Incident {
    alert: i64,
    raised_at: DateTime<Utc>,
}

/// The rules as they match: each widened by the synonym sets and the
/// danger lexicon.
async fn matching_rules(
    store: &dyn EmergencyStore,
    vocabulary: &dyn KnowledgeStore,
    lexicon: &DangerLexicon,
) -> AppResult<Arc<LinkageRules>> {
    let sets: Vec<Vec<String>> = vocabulary.search_vocabulary().await?.synonyms.into_iter().map(|s| s.words).collect();
    Ok(Arc::new(LinkageRules::new(store.emergency_rules().await?.into_iter().map(|r| r.widened(&sets, lexicon)).collect())))
}

/// Incidents remembered at most before the expired ones are dropped.
const KNOWN_INCIDENTS: usize = 4_096;

pub struct Emergency {
    pub(crate) store: Arc<dyn EmergencyStore>,
    vocabulary: Arc<dyn KnowledgeStore>,
    /// Where administrators' own danger lexicon is kept.
    settings: Arc<dyn SettingStore>,
    /// Orders the catch-up pass screens.
    pub(crate) orders: Arc<dyn OrderStore>,
    pub(crate) directory: Arc<Directory>,
    pub(crate) ids: Arc<IdGenerator>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) auditor: Arc<Auditor>,
    pub(crate) supervision: Arc<Supervision>,
    pub(crate) config: EmergencyConfig,
    /// The linkage rules as they match (widened by the vocabulary's
    /// synonyms), read once and again after every change of either.
    rules: RwLock<Arc<LinkageRules>>,
    /// The ways callers say a danger to life: the administrators' own, or
    /// the shipped one; read with the rules.
    lexicon: RwLock<Arc<DangerLexicon>>,
    /// Every town's orders of the last window, kept as orders are screened.
    watch: Mutex<SurgeWatch>,
    /// Orders this node screened (or is screening), so none is screened twice.
    screened: Mutex<Screened>,
    /// Incidents this node raised or found, so each later report of one
    /// joins it without asking the database (a report of a flood used to
    /// make one query per partner).
    incidents: Mutex<HashMap<IncidentKey, Incident>>,
    /// Registrations waiting for the screening worker.
    queue: mpsc::Sender<screening::Job>,
    /// Held through a pass over the hot topics, so two passes on this node
    /// never both raise a warning neither has seen.
    topic_pass: tokio::sync::Mutex<()>,
    /// Held through a screening from its findings to their commit: an
    /// incident is remembered only once stored, so the worker and the
    /// catch-up pass screening reports of one incident side by side each
    /// found none and alerted its partners twice.
    screening_turn: tokio::sync::Mutex<()>,
}

/// What the emergency service is built from.
pub(crate) struct EmergencyParts {
    pub store: Arc<dyn EmergencyStore>,
    /// The search vocabulary, whose synonym sets widen the rules' keywords.
    pub vocabulary: Arc<dyn KnowledgeStore>,
    pub settings: Arc<dyn SettingStore>,
    pub orders: Arc<dyn OrderStore>,
    pub directory: Arc<Directory>,
    pub ids: Arc<IdGenerator>,
    pub clock: Arc<dyn Clock>,
    pub auditor: Arc<Auditor>,
    pub supervision: Arc<Supervision>,
    pub config: EmergencyConfig,
}

impl Emergency {
    /// The service with its screening worker running.
    pub(crate) async fn start(parts: EmergencyParts) -> AppResult<Arc<Self>> {
        let EmergencyParts { store, vocabulary, settings, orders, directory, ids, clock, auditor, supervision, config } = parts;
        let lexicon = dangers::read(settings.as_ref()).await?;
        let rules = matching_rules(store.as_ref(), vocabulary.as_ref(), &lexicon).await?;
        let rule = config.surge_rule();
        let (queue, jobs) = mpsc::channel(screening::QUEUE);
        let emergency = Arc::new(Self {
            store,
            vocabulary,
            settings,
            orders,
            directory,
            ids,
            clock,
            auditor,
            supervision,
            config,
            rules: RwLock::new(rules),
            lexicon: RwLock::new(Arc::new(lexicon)),
            watch: Mutex::new(SurgeWatch::new(rule)),
            screened: Mutex::new(Screened::default()),
            incidents: Mutex::new(HashMap::new()),
            queue,
            topic_pass: tokio::sync::Mutex::new(()),
            screening_turn: tokio::sync::Mutex::new(()),
        });
        tokio::spawn(screening::work(Arc::downgrade(&emergency), jobs));
        Ok(emergency)
    }

    /// Hands a newly stored order to the screening worker; the registration
    /// does not wait for it. A full queue (a flood far beyond the worker)
    /// leaves the order to the catch-up pass, a minute later.
    pub fn enqueue(&self, order: &WorkOrder) {
        if self.queue.try_send(screening::Job::Screen(Box::new(order.clone()))).is_err() {
            tracing::warn!(order = %order.number, "the screening queue is full; the catch-up pass will screen the order");
        }
    }

    /// Returns once every order enqueued before the call has been screened.
    pub async fn settled(&self) {
        let (done, wait) = tokio::sync::oneshot::channel();
        if self.queue.send(screening::Job::Barrier(done)).await.is_ok() {
            let _ = wait.await;
        }
    }

    /// What the linkage rules say of an order about to be registered: the
    /// urgency it gets at least and the partners who may read it.
    pub fn mark(&self, category: CategoryId, text: &str, town: Option<UnitId>) -> Option<EmergencyMark> {
        let lineage = self.directory.snapshot().category_lineage(category);
        EmergencyMark::of(&self.rules.read().expect("rules lock"), &lineage, text, town)
    }

    /// What a request's words say of its urgency, before it is registered:
    /// the dangers heard (however put), the linkage rules it would match
    /// (by its words, and by its category when chosen) and the urgency
    /// they call for. A hint for the consultant, who decides.
    pub fn hint(&self, text: &str, category: Option<CategoryId>, town: Option<UnitId>) -> UrgencyHint {
        let lineage = category.map(|c| self.directory.snapshot().category_lineage(c)).unwrap_or_default();
        let mark = EmergencyMark::of(&self.rules.read().expect("rules lock"), &lineage, text, town);
        let signals = self.lexicon.read().expect("lexicon lock").dangers(text);
        let suggested = hotline_domain::danger::suggested_urgency(&signals).max(mark.as_ref().map(|m| m.urgency));
        UrgencyHint { suggested, signals, rules: mark.map(|m| m.rules.into_iter().map(|r| r.name).collect()).unwrap_or_default() }
    }

    /// An order declared invalid or merged no longer counts towards a surge.
    pub fn forget(&self, order: &WorkOrder) {
        if let Some(town) = order.location.town {
            self.watch.lock().expect("surge watch lock").forget(town, order.id);
        }
    }

    /// Screens an order once on this node: linkage alerts to partners, with
    /// their acknowledgement timers, and a surge warning to the town.
    /// Returns the alerts raised (none when another screening has it).
    pub async fn screen(&self, order: &WorkOrder) -> AppResult<Vec<AlertRecord>> {
        self.screen_all(std::slice::from_ref(order)).await
    }

    /// Screens orders once each on this node and raises what they call for
    /// in one transaction. If that fails, none of them counts as screened,
    /// so the catch-up pass tries them again.
    pub async fn screen_all(&self, orders: &[WorkOrder]) -> AppResult<Vec<AlertRecord>> {
        let _turn = self.screening_turn.lock().await;
        let claimed: Vec<&WorkOrder> = {
            let mut screened = self.screened.lock().expect("screened lock");
            orders.iter().filter(|o| screened.claim(o.id, o.created_at)).collect()
        };
        let mut findings = Findings::default();
        let mut outcome = Ok(());
        for order in &claimed {
            outcome = self.find(order, &mut findings).await;
            if outcome.is_err() {
                break;
            }
        }
        let outcome = match outcome {
            Ok(()) => {
                let (alerts, timers, members) =
                    (std::mem::take(&mut findings.alerts), std::mem::take(&mut findings.timers), std::mem::take(&mut findings.members));
                self.supervision.raise(alerts, timers, members).await
            }
            Err(e) => Err(e),
        };
        if outcome.is_err() {
            let mut screened = self.screened.lock().expect("screened lock");
            claimed.iter().for_each(|o| screened.release(o.id));
            let mut watch = self.watch.lock().expect("surge watch lock");
            for (town, alert) in &findings.warnings {
                watch.unwarn(*town, *alert);
            }
        } else {
            // Remembered only once stored: the incident of a failed batch does not exist.
            self.remember_incidents(findings.incidents);
        }
        outcome
    }

    fn remember_incidents(&self, found: HashMap<IncidentKey, Incident>) {
        let mut known = self.incidents.lock().expect("incidents lock");
        known.extend(found);
        if known.len() > KNOWN_INCIDENTS {
            let since = self.clock.now() - Duration::minutes(i64::from(self.config.incident_minutes));
            known.retain(|_, i| i.raised_at >= since);
        }
    }

    /// What one order calls for, added to `findings`. A surge warning is
    /// noted in the watch at once, so the next order of the same batch does
    /// not call for it again.
    async fn find(&self, order: &WorkOrder, findings: &mut Findings) -> AppResult<()> {
        let now = self.clock.now();
        let lineage = self.directory.snapshot().category_lineage(order.category);
        let text = format!("{}\n{}", order.subject.as_str(), order.description.as_str());
        let rules = self.rules.read().expect("rules lock").clone();
        let matching = rules.matching(&lineage, &text);
        // Screening on another node, or before a restart, alerts nobody twice.
        // Nobody else screens an order before the catch-up's settling time:
        // a fresh one (this node's own registration) needs no look.
        let fresh = now - order.created_at < CATCH_UP_SETTLE / 2;
        let raised = if matching.is_empty() || fresh { Vec::new() } else { self.store.linkage_alerts(order.id).await? };
        for rule in matching {
            let ack_due = now + Duration::minutes(i64::from(rule.spec.ack_minutes));
            for unit in rule.recipients(order.location.town).into_iter().filter(|u| !raised.contains(&(rule.id, Some(*u)))) {
                if let Some(town) = order.location.town
                    && let Some(incident) = self.incident(findings, (rule.id, unit, town), now).await?
                {
                    findings.incidents.insert((rule.id, unit, town), incident);
                    findings.members.push(IncidentMember { alert: incident.alert, order: order.id, at: now });
                    continue;
                }
                let alert = self.alert(order, Watched::Emergency, rule.id, AlertLevel::Red, ack_due, Some(unit));
                if let Some(town) = order.location.town {
                    findings.incidents.insert((rule.id, unit, town), Incident { alert: alert.id, raised_at: alert.raised_at });
                }
                findings.members.push(IncidentMember { alert: alert.id, order: order.id, at: now });
                findings.timers.push(Timer {
                    order: order.id,
                    watched: Watched::Emergency,
                    subject: alert.id,
                    level: AlertLevel::Escalation,
                    due: ack_due,
                    fire_at: ack_due,
                    unit: Some(unit),
                });
                findings.alerts.push(alert);
            }
        }
        if let Some(town) = order.location.town {
            let (new, joins) = self.surge(order, town, &text, now).await?;
            // A later report of a surge is counted in its warning: nobody is
            // told again, the count grows.
            findings.members.extend(joins.into_iter().map(|alert| IncidentMember { alert, order: order.id, at: now }));
            if let Some((subject, orders)) = new {
                let alert = self.alert(order, Watched::Surge, subject, AlertLevel::Yellow, now, Some(town));
                let warning = SurgeWarning {
                    unit: Some(town),
                    subject,
                    alert: alert.id,
                    raised_at: now,
                    orders: orders.iter().map(|o| (*o, now)).collect(),
                };
                self.watch.lock().expect("surge watch lock").warned(town, &[warning]);
                findings.warnings.push((town, alert.id));
                // The warning stands for the orders that made it, listed and counted with it.
                findings.members.extend(orders.into_iter().map(|o| IncidentMember { alert: alert.id, order: o, at: now }));
                findings.alerts.push(alert);
            }
        }
        Ok(())
    }

    /// The incident a report of a rule in a town joins for a partner: one
    /// raised in this batch, or known to this node, or stored, within the
    /// incident window. Another node's newer incident for the same key is
    /// not looked for while this node knows one: the report joins an
    /// incident of the same event either way.
    async fn incident(&self, findings: &Findings, key: IncidentKey, now: DateTime<Utc>) -> AppResult<Option<Incident>> {
        if let Some(incident) = findings.incidents.get(&key) {
            return Ok(Some(*incident));
        }
        let since = now - Duration::minutes(i64::from(self.config.incident_minutes));
        let known = self.incidents.lock().expect("incidents lock").get(&key).copied();
        if let Some(incident) = known.filter(|i| i.raised_at >= since) {
            return Ok(Some(incident));
        }
        let (rule, unit, town) = key;
        Ok(self.store.open_incident(rule, unit, town, since).await?.map(|(alert, raised_at)| Incident { alert, raised_at }))
    }

    /// The surge warning the order calls for, if any (its subject and the
    /// orders it stands for: its category when K orders of it came from the
    /// town within T minutes, else the first of K alike orders), and the
    /// alerts of the lasting warnings it joins. Checked against the
    /// warnings in the database before one is raised, as another node may
    /// have raised it: then the order joins that one.
    async fn surge(
        &self,
        order: &WorkOrder,
        town: UnitId,
        text: &str,
        now: DateTime<Utc>,
    ) -> AppResult<(Option<(i64, Vec<OrderId>)>, Vec<i64>)> {
        let since = now - Duration::minutes(i64::from(self.config.surge_minutes));
        if !self.watch.lock().expect("surge watch lock").knows(town) {
            let floor = crate::ids::floor_since(since, now);
            let recent = self.store.recent_orders(town, since, floor, TOWN_LOAD_LIMIT).await?;
            let warnings = self.store.surge_warnings(&self.town_warnings(town, now, None)).await?;
            let mut watch = self.watch.lock().expect("surge watch lock");
            if !watch.knows(town) {
                watch.load(town, recent.iter().map(|r| (r.id, r.created_at, r.category, r.text.as_str())), &warnings);
            }
        }
        let observe = || self.watch.lock().expect("surge watch lock").observe(town, order.id, order.created_at, order.category, text, now);
        let check = observe();
        let wanted = match (check.category, check.alike) {
            (Some(orders), _) => Some((order.category.0, orders)),
            (None, Some(cluster)) => Some((cluster[0].0, cluster)),
            (None, None) => None,
        };
        let Some((subject, orders)) = wanted else { return Ok((None, check.joins)) };
        // Only the warnings this one would repeat: the town's whole day of
        // warnings with their orders grew with every report and was read
        // for every new warning.
        let stored = self.store.surge_warnings(&self.town_warnings(town, now, Some((subject, &orders)))).await?;
        let covered = {
            let mut watch = self.watch.lock().expect("surge watch lock");
            watch.warned(town, &stored);
            watch.covers(town, subject, &orders, now)
        };
        // Observed again, the order finds the other node's warning to join.
        Ok(if covered { (None, observe().joins) } else { (Some((subject, orders)), check.joins) })
    }

    /// The town's surge warnings of the last day as the watch needs them,
    /// with only the orders of the last window; with `about`, only those a
    /// new warning about that subject or those orders would repeat.
    fn town_warnings<'a>(&self, town: UnitId, now: DateTime<Utc>, about: Option<(i64, &'a [OrderId])>) -> SurgeWarningQuery<'a> {
        SurgeWarningQuery {
            town: Some(town),
            raised_since: now - SURGE_LOOKBACK,
            joined_since: now - Duration::minutes(i64::from(self.config.surge_minutes)),
            about,
            orders_from: None,
        }
    }

    /// Screens the orders registered after `cursor` up to `settle` ago that
    /// this node has not screened (their screening failed, the process
    /// stopped before it, or another node registered them), and moves the
    /// cursor past them. Returns how many orders were screened.
    pub async fn catch_up(&self, cursor: &mut ChangeCursor, settle: Duration) -> AppResult<usize> {
        let until = self.clock.now() - settle;
        let mut screened = 0;
        loop {
            let batch = self.store.registered_between(*cursor, until, CATCH_UP_BATCH).await?;
            for (place, id) in &batch {
                if !self.screened.lock().expect("screened lock").contains(*id) {
                    // Declared a prank or a duplicate meanwhile: nobody to alert now.
                    if let Some(order) = self.orders.order(*id).await?.filter(|o| !o.state.is_void()) {
                        self.screen(&order).await?;
                        screened += 1;
                    }
                }
                *cursor = *place;
            }
            if batch.len() < CATCH_UP_BATCH as usize {
                self.screened.lock().expect("screened lock").prune(cursor.updated_at - settle);
                return Ok(screened);
            }
        }
    }

    /// Runs [`Self::catch_up`] every `every` until the process ends, from
    /// `lookback` before the start: a restart screens again what was
    /// registered just before the process stopped.
    pub fn spawn_catch_up(
        self: Arc<Self>,
        every: std::time::Duration,
        lookback: Duration,
        leases: Arc<crate::leases::Leases>,
    ) -> tokio::task::JoinHandle<()> {
        // Three rounds: a holder that stopped is replaced within them.
        let ttl = Duration::from_std(every * 3).unwrap_or(Duration::minutes(3));
        tokio::spawn(async move {
            let start = self.clock.now() - lookback;
            let mut cursor = ChangeCursor { updated_at: start, id: i64::MIN };
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                // One node catches up for all, so two never screen one
                // order at once. The others keep their place `lookback`
                // behind, as after a restart, to take over from there.
                if !leases.hold(CATCH_UP_LEASE, ttl).await {
                    cursor = ChangeCursor { updated_at: self.clock.now() - lookback, id: i64::MIN };
                    continue;
                }
                match self.catch_up(&mut cursor, CATCH_UP_SETTLE).await {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(orders = n, "emergency catch-up screened"),
                    Err(e) => tracing::error!(error = %e, "emergency catch-up failed; retrying at the next tick"),
                }
            }
        })
    }

    /// Reads the linkage rules and the vocabulary's synonym sets again
    /// (after a change of either, here or on another node).
    pub async fn load_rules(&self) -> AppResult<()> {
        let lexicon = dangers::read(self.settings.as_ref()).await?;
        let rules = matching_rules(self.store.as_ref(), self.vocabulary.as_ref(), &lexicon).await?;
        *self.rules.write().expect("rules lock") = rules;
        *self.lexicon.write().expect("lexicon lock") = Arc::new(lexicon);
        Ok(())
    }

    /// An alert about `order` raised now, shaped like the timer that would
    /// have raised it.
    fn alert(
        &self,
        order: &WorkOrder,
        watched: Watched,
        subject: i64,
        level: AlertLevel,
        due: DateTime<Utc>,
        unit: Option<UnitId>,
    ) -> AlertRecord {
        let now = self.clock.now();
        let timer = Timer { order: order.id, watched, subject, level, due, fire_at: now, unit };
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
        self.load_rules().await?;
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
