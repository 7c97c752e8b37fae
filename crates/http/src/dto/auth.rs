//! Logging in and out.

use super::UnitRef;
use chrono::{DateTime, FixedOffset};
use hotline_app::access::Principal;
use hotline_app::directory::OrgSnapshot;
use hotline_domain::{Affiliation, Role, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`. Browsers also get it as an HttpOnly cookie.
    pub token: String,
    pub expires_at: DateTime<FixedOffset>,
    pub user: MeDto,
}

/// The logged-in user.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeDto {
    #[schema(value_type = String)]
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    /// `null` for the centre's staff.
    pub unit: Option<UnitRef>,
    pub roles: Vec<Role>,
}

impl MeDto {
    pub fn of(p: &Principal, org: &OrgSnapshot) -> Self {
        Self {
            id: p.user,
            username: p.username.clone(),
            display_name: p.display_name.clone(),
            unit: match p.affiliation {
                Affiliation::Centre => None,
                Affiliation::Unit(u) => Some(UnitRef::of(org, u)),
            },
            roles: p.roles.iter().collect(),
        }
    }
}
