//! What each kind of reader may see of the caller.
//!
//! Units see a masked number, no name for anonymous callers, and nothing at
//! all of a reporter (举报) or of a caller who asked for confidentiality: a
//! report must never reach the party reported (discipline-inspection rules,
//! art. 47; Guangzhou rules, art. 7).

use super::{Caller, OrderType};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// Centre staff: see everything (reads of personal data are audited).
    Centre,
    /// Staff of a unit handling the order.
    Unit,
}

/// The caller as one viewer may see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallerView {
    pub name: Option<String>,
    pub phone: Option<String>,
    /// The number shown is masked (138****5678); units may reveal it (audited).
    pub phone_masked: bool,
    pub anonymous: bool,
    pub confidential: bool,
    /// Withheld from this viewer altogether: a report (举报) or a caller who
    /// asked for confidentiality, read by a unit.
    pub identity_withheld: bool,
}

impl Caller {
    /// Whether units may see anything identifying the caller.
    pub fn identity_visible_to_units(&self, order_type: OrderType) -> bool {
        order_type != OrderType::Report && !self.confidential
    }

    pub fn view(&self, order_type: OrderType, viewer: Viewer) -> CallerView {
        let base = CallerView {
            name: None,
            phone: None,
            phone_masked: false,
            anonymous: self.anonymous,
            confidential: self.confidential,
            identity_withheld: false,
        };
        match viewer {
            Viewer::Centre => CallerView {
                name: self.name.as_ref().map(ToString::to_string),
                phone: self.phone.as_ref().map(ToString::to_string),
                ..base
            },
            Viewer::Unit if !self.identity_visible_to_units(order_type) => CallerView { identity_withheld: true, ..base },
            Viewer::Unit => CallerView {
                name: if self.anonymous { None } else { self.name.as_ref().map(ToString::to_string) },
                phone: self.phone.as_ref().map(|p| p.masked()),
                phone_masked: self.phone.is_some(),
                ..base
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PersonName, PhoneNumber};

    fn caller(anonymous: bool, confidential: bool) -> Caller {
        Caller {
            name: (!anonymous).then(|| PersonName::parse("陈先生").unwrap()),
            phone: Some(PhoneNumber::parse("13812345678").unwrap()),
            anonymous,
            confidential,
            sms_opt_out: false,
        }
    }

    #[test]
    fn units_see_a_masked_number_and_never_a_reporter() {
        let c = caller(false, false);
        assert_eq!(c.view(OrderType::Complaint, Viewer::Centre).phone.as_deref(), Some("13812345678"));
        let unit = c.view(OrderType::Complaint, Viewer::Unit);
        assert_eq!(unit.phone.as_deref(), Some("138****5678"));
        assert_eq!(unit.name.as_deref(), Some("陈先生"));
        let report = c.view(OrderType::Report, Viewer::Unit);
        assert!(report.identity_withheld && report.name.is_none() && report.phone.is_none());
        let confidential = caller(false, true).view(OrderType::Help, Viewer::Unit);
        assert!(confidential.identity_withheld && confidential.phone.is_none());
        let anonymous = caller(true, false).view(OrderType::Help, Viewer::Unit);
        assert!(anonymous.name.is_none() && anonymous.phone_masked);
    }
}
