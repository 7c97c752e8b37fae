//! The deadline rules (办理时限) as the API reads and answers them: the
//! domain's own field types, so parsing is the domain's, documented here.

use hotline_domain::{DeadlineException, DeadlineRules, DeadlineSpan, OrderType, Urgency};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// One type at one urgency with its own allowance.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExceptionDto {
    /// `consultation`, `help`, `complaint`, `report`, `suggestion`, `praise` or `other`.
    #[serde(rename = "type")]
    #[schema(value_type = String, example = "complaint")]
    pub order_type: OrderType,
    /// `normal`, `urgent` or `critical`.
    #[schema(value_type = String, example = "urgent")]
    pub urgency: Urgency,
    /// Working days (`15wd`) or natural hours (`24h`).
    #[schema(value_type = String, example = "12h")]
    pub span: DeadlineSpan,
}

/// Every deadline rule; spans are working days (`15wd`) or natural hours (`24h`).
/// Fields left out keep their defaults.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DeadlineRulesDto {
    /// Completion allowance of a normal-urgency order, by type.
    #[schema(value_type = BTreeMap<String, String>)]
    pub completion: BTreeMap<OrderType, DeadlineSpan>,
    /// Completion allowance of an urgent or critical order, whatever its type.
    #[schema(value_type = BTreeMap<String, String>)]
    pub urgency: BTreeMap<Urgency, DeadlineSpan>,
    /// They win over both maps.
    pub exceptions: Vec<ExceptionDto>,
    /// From dispatch to sign-for (签收).
    #[schema(value_type = String, example = "2h")]
    pub sign_for: DeadlineSpan,
    /// From passing review to the follow-up call (回访).
    #[schema(value_type = String, example = "2wd")]
    pub follow_up: DeadlineSpan,
    /// Answer time of a supervision notice that gives none.
    #[schema(value_type = String, example = "3wd")]
    pub supervision: DeadlineSpan,
    /// The yellow warning fires at this share of a step's time, in percent (1–99).
    pub warn_at_percent: u8,
    /// The automatic reminder (催办) after a missed completion date.
    #[schema(value_type = String, example = "24h")]
    pub reminder_after: DeadlineSpan,
    /// Escalation (升级督办) after a missed completion date.
    #[schema(value_type = String, example = "3wd")]
    pub escalate_after: DeadlineSpan,
    /// Time the centre has to decide an extension request.
    #[schema(value_type = String, example = "1wd")]
    pub extension_decision: DeadlineSpan,
}

impl Default for DeadlineRulesDto {
    fn default() -> Self {
        DeadlineRules::default().into()
    }
}

impl From<DeadlineRules> for DeadlineRulesDto {
    fn from(r: DeadlineRules) -> Self {
        Self {
            completion: r.completion,
            urgency: r.urgency,
            exceptions: r
                .exceptions
                .into_iter()
                .map(|e| ExceptionDto { order_type: e.order_type, urgency: e.urgency, span: e.span })
                .collect(),
            sign_for: r.sign_for,
            follow_up: r.follow_up,
            supervision: r.supervision,
            warn_at_percent: r.warn_at_percent,
            reminder_after: r.reminder_after,
            escalate_after: r.escalate_after,
            extension_decision: r.extension_decision,
        }
    }
}

impl From<DeadlineRulesDto> for DeadlineRules {
    fn from(d: DeadlineRulesDto) -> Self {
        Self {
            completion: d.completion,
            urgency: d.urgency,
            exceptions: d
                .exceptions
                .into_iter()
                .map(|e| DeadlineException { order_type: e.order_type, urgency: e.urgency, span: e.span })
                .collect(),
            sign_for: d.sign_for,
            follow_up: d.follow_up,
            supervision: d.supervision,
            warn_at_percent: d.warn_at_percent,
            reminder_after: d.reminder_after,
            escalate_after: d.escalate_after,
            extension_decision: d.extension_decision,
        }
    }
}
