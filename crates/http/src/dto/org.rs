//! Units, hotlines, categories, the dispatch catalogue, users and the audit log.

use super::{UnitRef, local};
use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;
use hotline_app::directory::OrgSnapshot;
use hotline_app::ports::{AuditEntry, CatalogueRecord, HotlineRecord, UserRecord};
use hotline_domain::{Affiliation, Category, CategoryId, IntegrationMode, Role, Unit, UnitId, UnitKind, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitDto {
    #[schema(value_type = String)]
    pub id: UnitId,
    pub code: String,
    pub name: String,
    #[schema(value_type = String, example = "town")]
    pub kind: UnitKind,
    #[schema(value_type = Option<String>)]
    pub parent_id: Option<UnitId>,
    pub active: bool,
}

impl From<Unit> for UnitDto {
    fn from(u: Unit) -> Self {
        Self { id: u.id, code: u.code, name: u.name, kind: u.kind, parent_id: u.parent, active: u.active }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUnitBody {
    pub code: String,
    pub name: String,
    /// department, subdistrict, town, park, section or community.
    pub kind: String,
    #[schema(value_type = Option<String>)]
    pub parent_id: Option<UnitId>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitPatchBody {
    pub name: Option<String>,
    pub active: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HotlineDto {
    pub id: String,
    pub unit: UnitRef,
    pub number: String,
    pub name: String,
    /// sub_centre (分中心), professional_seat (专业坐席) or merged (整体并入).
    #[schema(value_type = String)]
    pub mode: IntegrationMode,
}

impl HotlineDto {
    pub fn of(h: HotlineRecord, org: &OrgSnapshot) -> Self {
        Self { id: h.id.to_string(), unit: UnitRef::of(org, h.unit), number: h.number, name: h.name, mode: h.mode }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewHotlineBody {
    #[schema(value_type = String)]
    pub unit_id: UnitId,
    pub number: String,
    pub name: String,
    pub mode: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryDto {
    #[schema(value_type = String)]
    pub id: CategoryId,
    #[schema(value_type = Option<String>)]
    pub parent_id: Option<CategoryId>,
    pub level: u8,
    pub name: String,
    pub active: bool,
}

impl From<Category> for CategoryDto {
    fn from(c: Category) -> Self {
        Self { id: c.id, parent_id: c.parent, level: c.level, name: c.name, active: c.active }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCategoryBody {
    #[schema(value_type = Option<String>)]
    pub parent_id: Option<CategoryId>,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogueDto {
    pub id: String,
    #[schema(value_type = String)]
    pub category_id: CategoryId,
    pub category: String,
    /// `null`: the town where the matter is (属地).
    pub unit: Option<UnitRef>,
    pub territorial: bool,
    pub co_handler: bool,
}

impl CatalogueDto {
    pub fn of(r: CatalogueRecord, org: &OrgSnapshot) -> Self {
        let unit = match r.entry.target {
            hotline_domain::CatalogueTarget::Unit(u) => Some(UnitRef::of(org, u)),
            hotline_domain::CatalogueTarget::Territorial => None,
        };
        Self {
            id: r.id.to_string(),
            category_id: r.entry.category,
            category: org.category_path(r.entry.category).display(),
            territorial: unit.is_none(),
            unit,
            co_handler: r.entry.co_handler,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCatalogueBody {
    #[schema(value_type = String)]
    pub category_id: CategoryId,
    /// The responsible unit; omit and set `territorial` for the town of the location.
    #[schema(value_type = Option<String>)]
    pub unit_id: Option<UnitId>,
    #[serde(default)]
    pub territorial: bool,
    #[serde(default)]
    pub co_handler: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    #[schema(value_type = String)]
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    /// `null` for the centre's staff.
    pub unit: Option<UnitRef>,
    pub roles: Vec<Role>,
    pub active: bool,
    /// Whether a SIP phone may register as this user (a phone password is set).
    pub phone: bool,
    pub created_at: DateTime<FixedOffset>,
}

impl UserDto {
    pub fn of(u: UserRecord, org: &OrgSnapshot, tz: Tz) -> Self {
        Self {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            unit: u.affiliation.unit().map(|id| UnitRef::of(org, id)),
            roles: u.roles.iter().collect(),
            active: u.active,
            phone: u.phone_secret.is_some(),
            created_at: local(tz, u.created_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    pub username: String,
    pub display_name: String,
    /// At least 8 characters.
    pub password: String,
    /// The user's unit; omit for the centre's staff.
    #[schema(value_type = Option<String>)]
    pub unit_id: Option<UnitId>,
    pub roles: Vec<Role>,
}

impl NewUserBody {
    pub fn affiliation(&self) -> Affiliation {
        self.unit_id.map(Affiliation::Unit).unwrap_or(Affiliation::Centre)
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatchBody {
    pub display_name: Option<String>,
    pub roles: Option<Vec<Role>>,
    pub active: Option<bool>,
    pub password: Option<String>,
    /// The password a consultant's SIP phone registers with (as strong as a
    /// login password); an empty string removes it, so no phone may register.
    pub phone_password: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryDto {
    pub id: String,
    pub at: DateTime<FixedOffset>,
    #[schema(value_type = Option<String>)]
    pub actor_id: Option<UserId>,
    /// `username (display name)` of the actor; `None` for the operator at
    /// the command line or the platform itself.
    pub actor: Option<String>,
    pub action: String,
    pub target: String,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    /// Position on the hash chain, once sealed.
    pub seq: Option<i64>,
    pub hash: Option<String>,
}

impl AuditEntryDto {
    /// `actor` names the actor, when known.
    pub fn of(e: AuditEntry, tz: Tz, actor: Option<String>) -> Self {
        Self {
            id: e.record.id.to_string(),
            at: local(tz, e.record.at),
            actor_id: e.record.actor,
            actor,
            action: e.record.action,
            target: e.record.target,
            detail: serde_json::from_str(&e.record.detail).unwrap_or(serde_json::Value::String(e.record.detail)),
            seq: e.seq,
            hash: e.hash,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyDto {
    pub ok: bool,
    pub sealed: i64,
    pub pending: i64,
    pub problem: Option<String>,
}
