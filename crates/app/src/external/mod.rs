//! Units that handle their orders in their own case system (对接系统: tax
//! 12366's, the water company's). Every change to an order such a unit
//! holds is pushed to the system as a signed webhook through an outbox
//! written in the change's own transaction; the system acts back with an
//! API key of the `update` scope, as the unit's service account, through
//! the same lifecycle and checks as the unit's own handlers.

mod config;
pub mod payload;
pub mod records;

pub use config::ExternalConfig;
pub use records::{ExternalStore, ExternalSystem, Push, PushCounts, PushOutcome, PushState};

use crate::access::{Access, AdminDesk, Desk};
use crate::audit::Auditor;
use crate::auth::{SERVICE_ACCOUNT_HASH, principal_of};
use crate::clock::Clock;
use crate::directory::{Directory, OrgSnapshot};
use crate::error::{AppError, AppResult};
use crate::ids::IdGenerator;
use crate::ports::{OrgStore, StoreError, UserRecord};
use async_trait::async_trait;
use chrono::Duration;
use hotline_domain::{Affiliation, Decision, FieldError, Involvement, Role, RoleSet, UnitId, UserId, ValidationErrors, WorkOrder};
use payload::PushBody;
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// How long past its timeout an attempt may take before another node
/// takes the push over.
const CLAIM_MARGIN_SECS: i64 = 30;
/// Pushes attempted per round.
const PUSH_BATCH: u32 = 100;
/// Rounds in one wake-up: each round sends the next change of every order.
const ROUNDS: usize = 20;
pub const SYSTEM_NAME_MAX: usize = 60;
/// Every signing secret starts with this.
pub const SECRET_PREFIX: &str = "whsec_";

/// Sends a push out of the platform; the webhook adapter lives in `hotline-notify`.
#[async_trait]
pub trait Pusher: Send + Sync {
    /// Delivers the push to the system; the error says why not.
    async fn push(&self, system: &ExternalSystem, push: &Push) -> Result<(), String>;
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct PushReport {
    pub delivered: usize,
    pub retried: usize,
    pub dead: usize,
}

/// The connected units, read on every decision: kept in memory, replaced
/// from the store after each change here and every few seconds (another
/// node's change).
#[derive(Default)]
pub struct Registry {
    systems: RwLock<HashMap<UnitId, ExternalSystem>>,
    /// Woken by a decision that queued pushes, so they go at once.
    pub(crate) wake: tokio::sync::Notify,
}

impl Registry {
    fn replace(&self, systems: Vec<ExternalSystem>) {
        *self.systems.write().expect("registry lock") = systems.into_iter().map(|s| (s.unit, s)).collect();
    }

    fn get(&self, unit: UnitId) -> Option<ExternalSystem> {
        self.systems.read().expect("registry lock").get(&unit).cloned()
    }

    /// The pushes a decision owes: one per connected unit that holds or
    /// held the order just before or after it (an order leaving a unit is
    /// news to it too), except the unit whose own system made the change.
    pub(crate) fn pushes_for(&self, org: &OrgSnapshot, before: &WorkOrder, decision: &Decision, ids: &IdGenerator) -> Vec<Push> {
        let systems = self.systems.read().expect("registry lock");
        if systems.is_empty() {
            return Vec::new();
        }
        let mut units: Vec<UnitId> = [before, &decision.order]
            .into_iter()
            .flat_map(|o| o.involvements())
            .filter(|(_, role, _)| *role != Involvement::Returner)
            .map(|(unit, _, _)| unit)
            .filter(|u| systems.get(u).is_some_and(|s| s.active && s.service_user != decision.entry.actor))
            .collect();
        units.sort();
        units.dedup();
        if units.is_empty() {
            return Vec::new();
        }
        let body = serde_json::to_string(&PushBody::of(org, &decision.order, &decision.entry)).expect("a push body serialises");
        let now = decision.entry.at;
        units
            .into_iter()
            .map(|unit| Push {
                id: ids.next(),
                unit,
                order: decision.order.id,
                version: decision.order.version,
                event: decision.entry.action.as_str().to_owned(),
                body: body.clone(),
                attempts: 0,
                next_at: Some(now),
                delivered_at: None,
                dead_at: None,
                last_error: None,
                created_at: now,
            })
            .collect()
    }
}

/// A system as the administration lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SystemRow {
    #[serde(flatten)]
    pub system: ExternalSystem,
    pub unit_code: String,
    pub unit_name: String,
    pub service_username: String,
    pub pushes: PushCounts,
}

/// A system just connected or given a new secret: the secret shown this once.
#[derive(Debug, Clone)]
pub struct Connected {
    pub system: ExternalSystem,
    pub secret: Option<String>,
}

/// What an administrator says of a unit's system.
#[derive(Debug, Clone)]
pub struct Connection {
    pub name: String,
    pub webhook_url: String,
    pub active: bool,
}

pub struct ExternalSystems {
    pub(crate) store: Arc<dyn ExternalStore>,
    pub(crate) users: Arc<dyn OrgStore>,
    pub(crate) registry: Arc<Registry>,
    pub(crate) directory: Arc<Directory>,
    pub(crate) access: Access,
    pub(crate) auditor: Arc<Auditor>,
    pub(crate) ids: Arc<IdGenerator>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) config: ExternalConfig,
}

fn only_system_admin(admin: &AdminDesk) -> AppResult<()> {
    if admin.is_system_admin() {
        Ok(())
    } else {
        Err(AppError::Forbidden("only a system administrator connects units' external systems".into()))
    }
}

fn new_secret() -> AppResult<String> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Unavailable(format!("no randomness for a signing secret: {e}")))?;
    Ok(format!("{SECRET_PREFIX}{}", hex::encode(bytes)))
}

impl ExternalSystems {
    pub fn config(&self) -> &ExternalConfig {
        &self.config
    }

    /// Re-reads the connected units (another node may have changed them).
    pub async fn refresh(&self) -> AppResult<()> {
        self.registry.replace(self.store.external_systems().await?);
        Ok(())
    }

    pub async fn list(&self, admin: &AdminDesk) -> AppResult<Vec<SystemRow>> {
        only_system_admin(admin)?;
        let org = self.directory.snapshot();
        let mut rows = Vec::new();
        for system in self.store.external_systems().await? {
            let service_username = self.users.user(system.service_user).await?.map(|u| u.username).unwrap_or_default();
            rows.push(SystemRow {
                unit_code: org.unit(system.unit).map(|u| u.code.clone()).unwrap_or_default(),
                unit_name: org.unit_name(system.unit),
                service_username,
                pushes: self.store.push_counts(system.unit).await?,
                system,
            });
        }
        rows.sort_by(|a, b| a.unit_code.cmp(&b.unit_code));
        Ok(rows)
    }

    fn check(&self, unit: UnitId, c: &Connection) -> AppResult<(String, String)> {
        let mut errors = ValidationErrors::default();
        match self.directory.snapshot().unit(unit) {
            Some(u) if u.active => {}
            _ => errors.push(FieldError::new("unit_id", format!("no active unit with id {unit}"))),
        }
        let name = c.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > SYSTEM_NAME_MAX || name.chars().any(char::is_control) {
            errors.push(FieldError::new("name", format!("1 to {SYSTEM_NAME_MAX} printable characters, e.g. 税务12366工单系统")));
        }
        let url = c.webhook_url.trim().to_owned();
        if !crate::supervision::is_http_url(&url) {
            errors.push(FieldError::new("webhook_url", format!("{url:?} is not an http:// or https:// address")));
        }
        errors.into_result()?;
        Ok((name, url))
    }

    /// Connects a unit to its system, or changes the connection. The first
    /// time, the unit's service account is created and a signing secret
    /// issued (shown this once).
    pub async fn connect(&self, admin: &AdminDesk, unit: UnitId, connection: Connection) -> AppResult<Connected> {
        only_system_admin(admin)?;
        let (name, webhook_url) = self.check(unit, &connection)?;
        let now = self.clock.now();
        let existing = self.store.external_systems().await?.into_iter().find(|s| s.unit == unit);
        let (system, user, secret) = match existing {
            Some(mut system) => {
                system.name = name;
                system.webhook_url = webhook_url;
                system.active = connection.active;
                system.updated_at = now;
                (system, None, None)
            }
            None => {
                let code = self.directory.snapshot().unit(unit).map(|u| u.code.clone()).unwrap_or_default();
                let user = UserRecord {
                    id: UserId(self.ids.next()),
                    username: format!("ext.{code}"),
                    display_name: format!("{name}（对接系统）"),
                    password_hash: SERVICE_ACCOUNT_HASH.to_owned(),
                    affiliation: Affiliation::Unit(unit),
                    roles: RoleSet::new([Role::Handler]),
                    active: false,
                    created_at: now,
                    phone_secret: None,
                };
                let secret = new_secret()?;
                let system = ExternalSystem {
                    unit,
                    name,
                    webhook_url,
                    secret: secret.clone(),
                    service_user: user.id,
                    active: connection.active,
                    created_at: now,
                    updated_at: now,
                };
                (system, Some(user), Some(secret))
            }
        };
        let audit = self.auditor.record(
            admin.user(),
            if user.is_some() { "external.connect" } else { "external.update" },
            format!("unit:{unit}"),
            json!({ "name": system.name, "webhook_url": system.webhook_url, "active": system.active }),
        );
        match self.store.save_external_system(&system, user.as_ref(), &audit).await {
            Err(StoreError::Duplicate(_)) => {
                return Err(AppError::invalid(
                    "unit_id",
                    format!("the account name ext.{} is taken by another user; rename that user first", unit_code(&self.directory, unit)),
                ));
            }
            other => other?,
        }
        self.refresh().await?;
        Ok(Connected { system, secret })
    }

    /// A new signing secret: the old one stops at once.
    pub async fn rotate_secret(&self, admin: &AdminDesk, unit: UnitId) -> AppResult<Connected> {
        only_system_admin(admin)?;
        let mut system = self.system(unit).await?;
        let secret = new_secret()?;
        system.secret = secret.clone();
        system.updated_at = self.clock.now();
        let audit = self.auditor.record(admin.user(), "external.rotate", format!("unit:{unit}"), json!({}));
        self.store.save_external_system(&system, None, &audit).await?;
        self.refresh().await?;
        Ok(Connected { system, secret: Some(secret) })
    }

    async fn system(&self, unit: UnitId) -> AppResult<ExternalSystem> {
        self.store
            .external_systems()
            .await?
            .into_iter()
            .find(|s| s.unit == unit)
            .ok_or_else(|| AppError::not_found(format!("unit {unit} is not connected to an external system")))
    }

    /// A unit's pushes in one state, newest first (the dead letters, what waits).
    pub async fn pushes(&self, admin: &AdminDesk, unit: UnitId, state: PushState, limit: u32) -> AppResult<Vec<Push>> {
        only_system_admin(admin)?;
        self.system(unit).await?;
        Ok(self.store.pushes(unit, state, limit.clamp(1, 200)).await?)
    }

    /// Sends a dead letter again, from its first attempt.
    pub async fn resend(&self, admin: &AdminDesk, id: i64) -> AppResult<Push> {
        only_system_admin(admin)?;
        let push = self.store.push(id).await?.ok_or_else(|| AppError::not_found(format!("push {id}")))?;
        let audit =
            self.auditor.record(admin.user(), "external.resend", format!("push:{id}"), json!({ "unit": push.unit, "event": push.event }));
        if !self.store.resend_push(id, self.clock.now(), &audit).await? {
            return Err(AppError::Conflict {
                message: format!("push {id} is not a dead letter: it was delivered or is still being tried"),
                current_version: None,
            });
        }
        self.registry.wake.notify_one();
        Ok(self.store.push(id).await?.unwrap_or(push))
    }

    /// The desk an external system's key acts at (see
    /// `Partner::acting_unit`): its unit's service account, while the
    /// system is switched on.
    pub async fn desk(&self, unit: UnitId) -> AppResult<Desk> {
        let system = match self.registry.get(unit) {
            Some(s) if s.active => s,
            Some(_) => return Err(AppError::Forbidden(format!("the external system of unit {unit} is switched off"))),
            None => return Err(AppError::Forbidden(format!("unit {unit} is not connected to an external system"))),
        };
        let user = self
            .users
            .user(system.service_user)
            .await?
            .ok_or_else(|| AppError::Unavailable(format!("the service account of unit {unit} is missing")))?;
        Ok(self.access.open(principal_of(&user)))
    }

    /// Attempts the pushes due now, round after round while changes wait
    /// behind the ones just delivered; failures wait longer each time until
    /// the configured attempts are spent.
    pub async fn deliver(&self, pusher: &dyn Pusher) -> AppResult<PushReport> {
        let mut report = PushReport::default();
        for _ in 0..ROUNDS {
            let due = self.store.due_pushes(self.clock.now(), PUSH_BATCH).await?;
            let mut delivered_any = false;
            for push in &due {
                let Some(system) = self.registry.get(push.unit) else { continue };
                let Some(due_at) = push.next_at else { continue };
                let lease = self.clock.now() + Duration::seconds(i64::from(self.config.timeout_secs) + CLAIM_MARGIN_SECS);
                if !self.store.claim_push(push.id, due_at, lease).await? {
                    continue;
                }
                let outcome = match pusher.push(&system, push).await {
                    Ok(()) => {
                        report.delivered += 1;
                        delivered_any = true;
                        PushOutcome::Delivered { at: self.clock.now() }
                    }
                    Err(error) if push.attempts + 1 >= i64::from(self.config.max_attempts) => {
                        report.dead += 1;
                        tracing::warn!(push = push.id, unit = %push.unit, %error, "push given up; listed as a dead letter");
                        PushOutcome::Dead { at: self.clock.now(), error }
                    }
                    Err(error) => {
                        report.retried += 1;
                        let delay = self.config.delay_after(push.attempts);
                        PushOutcome::Retry { error, next_at: self.clock.now() + Duration::seconds(i64::from(delay)) }
                    }
                };
                self.store.record_push(push.id, &outcome).await?;
            }
            if !delivered_any {
                break;
            }
        }
        Ok(report)
    }

    /// Pushes at every change and every `push_every_secs`, re-reading the
    /// connected units every few rounds, until the process ends.
    pub fn spawn(self: Arc<Self>, pusher: Arc<dyn Pusher>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let every = std::time::Duration::from_secs(u64::from(self.config.push_every_secs.max(1)));
            let mut round: u64 = 0;
            loop {
                tokio::select! {
                    _ = self.registry.wake.notified() => {}
                    _ = tokio::time::sleep(every) => {}
                }
                round += 1;
                if round.is_multiple_of(10)
                    && let Err(e) = self.refresh().await
                {
                    tracing::error!(error = %e, "reading the external systems failed; retrying later");
                }
                if let Err(e) = self.deliver(pusher.as_ref()).await {
                    tracing::error!(error = %e, "pushing to external systems failed; retrying at the next round");
                }
            }
        })
    }
}

fn unit_code(directory: &Directory, unit: UnitId) -> String {
    directory.snapshot().unit(unit).map(|u| u.code.clone()).unwrap_or_default()
}
