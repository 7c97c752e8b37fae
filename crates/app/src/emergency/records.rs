//! What emergency linkage keeps: the rules and the public warnings; its
//! alerts are ordinary alerts (`supervision::AlertRecord`).

use crate::directory::Directory;
use crate::error::AppError;
use crate::ports::{AuditRecord, ChangeCursor, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hotline_domain::emergency::EmergencyRule;
use hotline_domain::surge::SurgeWarning;
use hotline_domain::{CategoryId, FieldError, OrderId, UnitId, UserId, ValidationErrors};
use serde::{Deserialize, Serialize};

/// The colours of China's public warning signals (预警信号).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningLevel {
    Blue,
    Yellow,
    Orange,
    Red,
}

impl WarningLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Blue => "blue",
            Self::Yellow => "yellow",
            Self::Orange => "orange",
            Self::Red => "red",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Blue, Self::Yellow, Self::Orange, Self::Red].into_iter().find(|l| l.as_str() == s)
    }
}

/// A warning on the public portal (预警发布).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicWarning {
    #[serde(serialize_with = "hotline_domain::ids::id_text")]
    pub id: i64,
    pub title: String,
    pub body: String,
    pub level: WarningLevel,
    /// The town it concerns; none: the whole city.
    pub town: Option<UnitId>,
    pub published_by: UserId,
    pub published_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub withdrawn_at: Option<DateTime<Utc>>,
}

/// A warning as an authorised user writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewWarning {
    pub title: String,
    pub body: String,
    pub level: WarningLevel,
    pub town: Option<UnitId>,
    pub expires_at: DateTime<Utc>,
}

impl NewWarning {
    pub(crate) fn into_warning(self, id: i64, by: UserId, now: DateTime<Utc>, directory: &Directory) -> Result<PublicWarning, AppError> {
        let mut errors = ValidationErrors::default();
        let (title, body) = (self.title.trim().to_owned(), self.body.trim().to_owned());
        if title.is_empty() || title.chars().count() > 100 {
            errors.push(FieldError::new("title", "must be 1 to 100 characters"));
        }
        if body.is_empty() || body.chars().count() > 5000 {
            errors.push(FieldError::new("body", "must be 1 to 5,000 characters"));
        }
        if self.expires_at <= now {
            errors.push(FieldError::new("expires_at", "must be in the future"));
        }
        if let Some(t) = self.town
            && !directory.snapshot().unit(t).is_some_and(|u| u.kind.is_territorial())
        {
            errors.push(FieldError::new("town", format!("{} is not a town, subdistrict or park", t.0)));
        }
        errors.into_result()?;
        Ok(PublicWarning {
            id,
            title,
            body,
            level: self.level,
            town: self.town,
            published_by: by,
            published_at: now,
            expires_at: self.expires_at,
            withdrawn_at: None,
        })
    }
}

/// An order as the surge watch keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentOrder {
    pub id: OrderId,
    pub created_at: DateTime<Utc>,
    pub category: CategoryId,
    /// Subject and description.
    pub text: String,
}

/// Which surge warnings to read, and how much of each.
#[derive(Debug, Clone, Copy)]
pub struct SurgeWarningQuery<'a> {
    /// A town's; without one, every unit's and the centre's.
    pub town: Option<UnitId>,
    pub raised_since: DateTime<Utc>,
    /// The orders that joined before are left out: a warning's whole
    /// history is read only where it matters (the hot topics of the last
    /// hours), not by the surge check, which needs the last window.
    pub joined_since: DateTime<Utc>,
    /// Only the warnings about this subject or counting any of these
    /// orders: what a new warning would repeat.
    pub about: Option<(i64, &'a [OrderId])>,
    /// Only the orders from this id on (ids follow registration) and the
    /// one each warning is named after: the hot topics' pass needs what
    /// its topics' orders joined, not every order a busy day's warnings
    /// counted, which it read every minute. A warning's last join is then
    /// that of the orders read, which misses only an older order screened
    /// late (the catch-up's quarter of an hour) when the topics hold less.
    pub orders_from: Option<OrderId>,
}

#[async_trait]
pub trait EmergencyStore: Send + Sync {
    async fn emergency_rules(&self) -> StoreResult<Vec<EmergencyRule>>;
    /// Inserts or replaces a rule.
    async fn save_rule(&self, rule: &EmergencyRule, audit: &AuditRecord) -> StoreResult<()>;
    /// The town's orders registered since `since` (merged and invalid ones
    /// left out), newest first, at most `limit`: what the surge watch needs
    /// of a town it meets for the first time. None has an id below
    /// `floor` (`ids::floor_since`), which bounds the index's span.
    async fn recent_orders(&self, town: UnitId, since: DateTime<Utc>, floor: i64, limit: u32) -> StoreResult<Vec<RecentOrder>>;
    /// Orders registered after `after` and at or before `until`, oldest
    /// first, at most `limit`, each with its place for the next call.
    async fn registered_between(&self, after: ChangeCursor, until: DateTime<Utc>, limit: u32) -> StoreResult<Vec<(ChangeCursor, OrderId)>>;
    /// The incident alert of `rule` to `unit` about `town` raised since
    /// `since`, the newest, if any, with when it was raised.
    async fn open_incident(&self, rule: i64, unit: UnitId, town: UnitId, since: DateTime<Utc>)
    -> StoreResult<Option<(i64, DateTime<Utc>)>>;
    /// The rule and partner unit of each linkage alert already raised for
    /// the order, or whose incident counts it.
    async fn linkage_alerts(&self, order: OrderId) -> StoreResult<Vec<(i64, Option<UnitId>)>>;
    /// The surge warnings the query asks for, each with the orders it
    /// counts that joined it since the query's `joined_since`.
    async fn surge_warnings(&self, query: &SurgeWarningQuery<'_>) -> StoreResult<Vec<SurgeWarning>>;
    async fn insert_warning(&self, warning: &PublicWarning, audit: &AuditRecord) -> StoreResult<()>;
    /// Newest first; with `in_force_at`, only those neither expired nor withdrawn then.
    async fn warnings(&self, in_force_at: Option<DateTime<Utc>>, limit: u32) -> StoreResult<Vec<PublicWarning>>;
    async fn withdraw_warning(&self, id: i64, at: DateTime<Utc>, audit: &AuditRecord) -> StoreResult<()>;
}
