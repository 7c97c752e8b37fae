//! API keys for partners' systems: issued, scoped, rotated and revoked by a
//! system administrator; each use counted against the key's rate limit and
//! audited. The secret is shown once, at issue or rotation; the database
//! keeps its SHA-256, so a copy of the database opens nothing.

use super::records::{ApiKeyRecord, ApiKeyStore};
use crate::access::AdminDesk;
use crate::attempts::{Attempts, Limit};
use crate::audit::Auditor;
use crate::auth::token_hash;
use crate::clock::Clock;
use crate::directory::Directory;
use crate::error::{AppError, AppResult};
use crate::ids::IdGenerator;
use crate::ports::StoreError;
use hotline_domain::partner::{DEFAULT_PER_MINUTE, MAX_PER_MINUTE};
use hotline_domain::{ApiScope, ExternalRef, FieldError, UnitId, ValidationErrors};
use serde_json::json;
use std::sync::Arc;

/// Every secret starts with this, so a leaked one is recognisable in a
/// log or a repository scan.
pub const SECRET_PREFIX: &str = "hk_";
/// Characters of the secret kept to recognise it by.
const HINT_CHARS: usize = 9;
pub const KEY_NAME_MAX: usize = 60;

/// A key as an administrator asks for it.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub name: String,
    pub source: String,
    pub scopes: Vec<ApiScope>,
    pub unit: Option<UnitId>,
    /// None: [`DEFAULT_PER_MINUTE`].
    pub per_minute: Option<u32>,
}

/// A key just issued or rotated, with the secret shown this once.
#[derive(Debug, Clone)]
pub struct IssuedKey {
    pub key: ApiKeyRecord,
    pub secret: String,
}

/// Proof that a request carries a valid key, already counted and audited:
/// what the Open311 endpoints scope their answers by.
#[derive(Debug, Clone)]
pub struct Partner {
    pub key: ApiKeyRecord,
}

impl Partner {
    /// The unit whose orders the key may act on, as its external system.
    pub fn acting_unit(&self) -> AppResult<UnitId> {
        match self.key.unit {
            Some(unit) if self.key.allows(ApiScope::Update) => Ok(unit),
            _ => Err(AppError::Forbidden("this api_key may not act on orders: it needs the update scope".into())),
        }
    }
}

pub struct ApiKeys {
    store: Arc<dyn ApiKeyStore>,
    auditor: Arc<Auditor>,
    ids: Arc<IdGenerator>,
    clock: Arc<dyn Clock>,
    attempts: Arc<Attempts>,
    directory: Arc<Directory>,
}

/// Gives the key a new secret (its hash and hint) and returns it, the one
/// time it is seen.
fn new_secret(key: &mut ApiKeyRecord) -> AppResult<String> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Unavailable(format!("no randomness for an API key: {e}")))?;
    let secret = format!("{SECRET_PREFIX}{}", hex::encode(bytes));
    key.secret_hash = token_hash(&secret);
    key.hint = secret.chars().take(HINT_CHARS).collect();
    Ok(secret)
}

fn only_system_admin(admin: &AdminDesk) -> AppResult<()> {
    if admin.is_system_admin() { Ok(()) } else { Err(AppError::Forbidden("only a system administrator manages partners' API keys".into())) }
}

impl ApiKeys {
    pub(crate) fn new(
        store: Arc<dyn ApiKeyStore>,
        auditor: Arc<Auditor>,
        ids: Arc<IdGenerator>,
        clock: Arc<dyn Clock>,
        attempts: Arc<Attempts>,
        directory: Arc<Directory>,
    ) -> Self {
        Self { store, auditor, ids, clock, attempts, directory }
    }

    fn check(&self, new: &NewApiKey) -> AppResult<(String, String, u32)> {
        let mut errors = ValidationErrors::default();
        let name = new.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > KEY_NAME_MAX || name.chars().any(char::is_control) {
            errors.push(FieldError::new("name", format!("1 to {KEY_NAME_MAX} printable characters, e.g. 莞家政务 app")));
        }
        let source = ExternalRef::check_source(&new.source).map_err(|e| errors.push(e)).unwrap_or_default();
        if new.scopes.is_empty() {
            errors.push(FieldError::new("scopes", "give at least one of submit, read, unit, update"));
        }
        if let Some(dup) = new.scopes.iter().enumerate().find(|(i, s)| new.scopes[..*i].contains(s)) {
            errors.push(FieldError::new("scopes", format!("{} is given twice", dup.1)));
        }
        let unit_scope = new.scopes.iter().any(|s| s.names_unit());
        if new.scopes.contains(&ApiScope::Unit) && new.scopes.contains(&ApiScope::Read) {
            errors.push(FieldError::new(
                "scopes",
                "read (the partner's own submissions) and unit (a unit's orders) are two different views; give one",
            ));
        }
        match (unit_scope, new.unit) {
            (true, None) => errors.push(FieldError::new("unit_id", "the unit and update scopes need the unit whose orders the key reads")),
            (false, Some(_)) => errors.push(FieldError::new("unit_id", "only a key with the unit or update scope names a unit")),
            (true, Some(unit)) if self.directory.snapshot().unit(unit).is_none_or(|u| !u.active) => {
                errors.push(FieldError::new("unit_id", format!("no active unit with id {unit}")))
            }
            _ => {}
        }
        let per_minute = new.per_minute.unwrap_or(DEFAULT_PER_MINUTE);
        if !(1..=MAX_PER_MINUTE).contains(&per_minute) {
            errors.push(FieldError::new("per_minute", format!("1 to {MAX_PER_MINUTE} requests a minute")));
        }
        errors.into_result()?;
        Ok((name, source, per_minute))
    }

    pub async fn create(&self, admin: &AdminDesk, new: NewApiKey) -> AppResult<IssuedKey> {
        only_system_admin(admin)?;
        let (name, source, per_minute) = self.check(&new)?;
        let mut scopes = new.scopes;
        scopes.sort();
        let mut key = ApiKeyRecord {
            id: self.ids.next(),
            name,
            source,
            secret_hash: String::new(),
            hint: String::new(),
            scopes,
            unit: new.unit,
            per_minute,
            created_at: self.clock.now(),
            created_by: admin.user(),
            rotated_at: None,
            revoked_at: None,
        };
        let secret = new_secret(&mut key)?;
        let audit = self.auditor.record(
            admin.user(),
            "apikey.create",
            format!("apikey:{}", key.id),
            json!({ "name": key.name, "source": key.source, "scopes": key.scopes, "unit": key.unit, "per_minute": key.per_minute }),
        );
        match self.store.insert_api_key(&key, &audit).await {
            Err(StoreError::Duplicate(_)) => {
                return Err(AppError::invalid("source", format!("another key already submits as {:?}; choose another source", key.source)));
            }
            other => other?,
        }
        Ok(IssuedKey { key, secret })
    }

    pub async fn list(&self, admin: &AdminDesk) -> AppResult<Vec<ApiKeyRecord>> {
        only_system_admin(admin)?;
        Ok(self.store.api_keys().await?)
    }

    async fn live(&self, id: i64) -> AppResult<ApiKeyRecord> {
        let key = self.store.api_key(id).await?.ok_or_else(|| AppError::not_found(format!("no API key {id}")))?;
        if key.revoked_at.is_some() {
            return Err(AppError::Conflict { message: format!("API key {id} ({}) is revoked", key.name), current_version: None });
        }
        Ok(key)
    }

    /// A new secret for the same key: the old one stops working at once.
    pub async fn rotate(&self, admin: &AdminDesk, id: i64) -> AppResult<IssuedKey> {
        only_system_admin(admin)?;
        let mut key = self.live(id).await?;
        let secret = new_secret(&mut key)?;
        key.rotated_at = Some(self.clock.now());
        let audit = self.auditor.record(admin.user(), "apikey.rotate", format!("apikey:{id}"), json!({ "hint": key.hint }));
        self.store.update_api_key(&key, &audit).await?;
        Ok(IssuedKey { key, secret })
    }

    pub async fn revoke(&self, admin: &AdminDesk, id: i64) -> AppResult<ApiKeyRecord> {
        only_system_admin(admin)?;
        let mut key = self.live(id).await?;
        key.revoked_at = Some(self.clock.now());
        let audit = self.auditor.record(admin.user(), "apikey.revoke", format!("apikey:{id}"), json!({ "name": key.name }));
        self.store.update_api_key(&key, &audit).await?;
        Ok(key)
    }

    /// The partner a secret belongs to, for one use (`what`: the request,
    /// e.g. `GET /open311/v2/requests.json`): counted against the key's
    /// limit, then audited. An unknown or revoked secret is refused the same way.
    pub async fn authenticate(&self, secret: &str, what: &str) -> AppResult<Partner> {
        let refused = || AppError::Forbidden("the api_key is not valid: it is unknown, rotated or revoked".into());
        if !secret.starts_with(SECRET_PREFIX) || secret.len() > 100 {
            return Err(refused());
        }
        let key = self.store.api_key_by_secret(&token_hash(secret)).await?.ok_or_else(refused)?;
        if key.revoked_at.is_some() {
            return Err(refused());
        }
        let limit = Limit { most: i64::from(key.per_minute), window: chrono::Duration::minutes(1) };
        if !self.attempts.spend(&format!("apikey:{}", key.id), limit).await? {
            return Err(AppError::TooManyRequests(format!(
                "this api_key may make {} requests a minute; wait a moment and try again",
                key.per_minute
            )));
        }
        self.auditor.append(None, "apikey.use", format!("apikey:{}", key.id), json!({ "source": key.source, "request": what })).await?;
        Ok(Partner { key })
    }
}
