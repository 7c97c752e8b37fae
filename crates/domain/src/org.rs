//! The organisation behind the number: the centre, the city's departments,
//! towns and their sub-units, the people and their roles.

use crate::ids::{UnitId, UserId};
use crate::validation::FieldError;
use crate::vocabulary::vocabulary;
use serde::{Deserialize, Serialize};

vocabulary!(
    /// What kind of body a unit is. Towns, subdistricts and parks are the
    /// "territorial" units (属地) a request about a place goes to.
    UnitKind, "unit kind" {
        /// 市直部门: a city department, bureau or public-service company.
        Department = "department", "市直部门";
        /// 街道: an urban subdistrict.
        Subdistrict = "subdistrict", "街道";
        /// 镇: a town.
        Town = "town", "镇";
        /// 园区: a park or new district with town-level powers.
        Park = "park", "园区";
        /// 科室: an office inside a department or town.
        Section = "section", "科室";
        /// 村/社区: a village or residents' community under a town.
        Community = "community", "村/社区";
    }
);

impl UnitKind {
    /// Towns, subdistricts and parks: the places a location belongs to.
    pub fn is_territorial(self) -> bool {
        matches!(self, Self::Subdistrict | Self::Town | Self::Park)
    }

    /// Sections and communities only exist under another unit.
    pub fn is_sub_unit(self) -> bool {
        matches!(self, Self::Section | Self::Community)
    }

    /// The kind named in the official division list (`街道`, `镇`, `园区`).
    pub fn from_division_kind(kind: &str) -> Option<Self> {
        match kind {
            "街道" => Some(Self::Subdistrict),
            "镇" => Some(Self::Town),
            "园区" => Some(Self::Park),
            _ => None,
        }
    }
}

/// A department, town or sub-unit that work orders are dispatched to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    pub id: UnitId,
    /// Stable code: the official statistical code for towns (`441900003`),
    /// a short slug for departments (`hrss`).
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    pub parent: Option<UnitId>,
    pub active: bool,
}

vocabulary!(
    /// How a department's own hotline joined 12345 (国办发〔2020〕53号).
    IntegrationMode, "integration mode" {
        /// 分中心: the department keeps its line and staff (e.g. tax 12366);
        /// consultants reach it by transfer or three-way call.
        SubCentre = "sub_centre", "分中心";
        /// 专业坐席: consultants trained for the department answer its calls
        /// in the centre (e.g. social security 12333).
        ProfessionalSeat = "professional_seat", "专业坐席";
        /// 整体并入: the number is gone; general seats (综合坐席) answer.
        Merged = "merged", "整体并入";
    }
);

vocabulary!(
    /// What a user may do. Centre roles and unit roles never mix on one account.
    Role, "role" {
        /// 政府咨询员/话务员: answers calls, registers orders, answers
        /// directly, makes follow-up calls.
        Consultant = "consultant", "话务员";
        /// 派单员: dispatches orders, decides returns, merges duplicates.
        Dispatcher = "dispatcher", "派单员";
        /// 审核员: reviews units' results, decides extensions, follows up.
        Reviewer = "reviewer", "审核员";
        /// 监察员: issues supervision notices (督办) and watches deadlines.
        Supervisor = "supervisor", "监察员";
        /// 承办人: a department's or town's handler of work orders.
        Handler = "handler", "承办人";
        /// 单位管理员: manages its unit's users and acts as a handler.
        UnitAdmin = "unit_admin", "单位管理员";
        /// 审计员: reads everything, including the audit log; changes nothing.
        Auditor = "auditor", "审计员";
        /// 系统管理员: configures units, users, calendar, rules.
        SystemAdmin = "system_admin", "系统管理员";
    }
);

impl Role {
    /// Roles held by staff of a unit rather than of the centre.
    pub fn is_unit_role(self) -> bool {
        matches!(self, Self::Handler | Self::UnitAdmin)
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// A set of roles, stored compactly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RoleSet(u16);

impl RoleSet {
    pub fn new(roles: impl IntoIterator<Item = Role>) -> Self {
        Self(roles.into_iter().fold(0, |acc, r| acc | r.bit()))
    }

    pub fn contains(self, role: Role) -> bool {
        self.0 & role.bit() != 0
    }

    pub fn contains_any(self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.contains(*r))
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Role> {
        Role::ALL.iter().copied().filter(move |r| self.contains(*r))
    }

    /// Parses a comma-separated list (`consultant,reviewer`).
    pub fn parse_list(s: &str) -> Result<Self, FieldError> {
        let roles: Result<Vec<Role>, FieldError> = s.split(',').map(str::trim).filter(|p| !p.is_empty()).map(Role::parse).collect();
        Ok(Self::new(roles?))
    }

    pub fn to_list(self) -> String {
        self.iter().map(Role::as_str).collect::<Vec<_>>().join(",")
    }

    /// A unit's user holds only unit roles, a centre user only centre roles.
    pub fn check_for(self, affiliation: Affiliation) -> Result<(), FieldError> {
        if self.is_empty() {
            return Err(FieldError::new("roles", "a user needs at least one role"));
        }
        for role in self.iter() {
            match affiliation {
                Affiliation::Centre if role.is_unit_role() => {
                    return Err(FieldError::new("roles", format!("role {role} belongs to unit staff; a centre user cannot hold it")));
                }
                Affiliation::Unit(_) if !role.is_unit_role() => {
                    return Err(FieldError::new(
                        "roles",
                        format!("role {role} belongs to centre staff; a unit user can be handler or unit_admin"),
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

impl Serialize for RoleSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for RoleSet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<Role>::deserialize(deserializer).map(Self::new)
    }
}

/// Where a user works: in the 12345 centre, or in one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "unit_id", rename_all = "snake_case")]
pub enum Affiliation {
    Centre,
    Unit(UnitId),
}

impl Affiliation {
    pub fn unit(self) -> Option<UnitId> {
        match self {
            Self::Centre => None,
            Self::Unit(u) => Some(u),
        }
    }
}

/// The person acting, as the domain needs to know them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user: UserId,
    pub affiliation: Affiliation,
    pub roles: RoleSet,
}

impl Actor {
    pub fn is_centre(&self) -> bool {
        self.affiliation == Affiliation::Centre
    }

    pub fn unit(&self) -> Option<UnitId> {
        self.affiliation.unit()
    }

    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(role)
    }

    pub fn has_any(&self, roles: &[Role]) -> bool {
        self.roles.contains_any(roles)
    }

    /// A handler or unit admin of the given unit.
    pub fn acts_for(&self, unit: Option<UnitId>) -> bool {
        unit.is_some() && self.unit() == unit && self.has_any(&[Role::Handler, Role::UnitAdmin])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_sets_round_trip_and_check_affiliation() {
        let set = RoleSet::parse_list("consultant, reviewer").unwrap();
        assert!(set.contains(Role::Consultant) && set.contains(Role::Reviewer) && !set.contains(Role::Handler));
        assert_eq!(RoleSet::parse_list(&set.to_list()).unwrap(), set);
        assert!(set.check_for(Affiliation::Centre).is_ok());
        assert!(set.check_for(Affiliation::Unit(UnitId(1))).is_err());
        assert!(RoleSet::new([Role::Handler]).check_for(Affiliation::Centre).is_err());
        assert!(RoleSet::default().check_for(Affiliation::Centre).is_err());
        assert!(RoleSet::parse_list("root").unwrap_err().message.contains("unknown role"));
    }
}
