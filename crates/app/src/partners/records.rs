//! What the store keeps of partners' API keys.

use crate::ports::{AuditRecord, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hotline_domain::{ApiScope, UnitId, UserId};
use serde::Serialize;

/// An API key as stored: never the secret, only its SHA-256 and the first
/// characters an administrator recognises it by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKeyRecord {
    pub id: i64,
    /// Who uses it, as people call them (`莞家政务 app`).
    pub name: String,
    /// The partner's name in the external references of what it submits.
    pub source: String,
    #[serde(skip)]
    pub secret_hash: String,
    /// The secret's first characters (`hk_3f9a1c`).
    pub hint: String,
    pub scopes: Vec<ApiScope>,
    /// For the `unit` scope: whose orders it reads.
    pub unit: Option<UnitId>,
    pub per_minute: u32,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<UserId>,
    pub rotated_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiKeyRecord {
    pub fn allows(&self, scope: ApiScope) -> bool {
        self.scopes.contains(&scope)
    }
}

#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    /// Every key, newest first, revoked ones included.
    async fn api_keys(&self) -> StoreResult<Vec<ApiKeyRecord>>;
    async fn api_key(&self, id: i64) -> StoreResult<Option<ApiKeyRecord>>;
    async fn api_key_by_secret(&self, secret_hash: &str) -> StoreResult<Option<ApiKeyRecord>>;
    /// `Duplicate` when another key has the source.
    async fn insert_api_key(&self, key: &ApiKeyRecord, audit: &AuditRecord) -> StoreResult<()>;
    /// Saves a rotated secret, a revocation or a new limit.
    async fn update_api_key(&self, key: &ApiKeyRecord, audit: &AuditRecord) -> StoreResult<()>;
}
