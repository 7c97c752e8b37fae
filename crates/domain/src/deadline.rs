//! How long each step may take, by order type and urgency.

use crate::calendar::{CalendarError, WorkCalendar};
use crate::validation::FieldError;
use crate::work_order::{OrderType, Urgency};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A time allowance: working days under the calendar, natural hours, or
/// working hours (office time on working days). Written `15wd`, `24h` or
/// `2wh` in configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum DeadlineSpan {
    WorkingDays(u32),
    Hours(u32),
    WorkingHours(u32),
}

impl DeadlineSpan {
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let s = s.trim();
        let err = || {
            FieldError::new(
                "",
                format!("{s:?} is not a deadline; write e.g. 15wd (working days), 24h (natural hours) or 2wh (working hours)"),
            )
        };
        let (number, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).ok_or_else(err)?);
        let n: u32 = number.parse().map_err(|_| err())?;
        match unit.trim() {
            "wd" => Ok(Self::WorkingDays(n)),
            "h" if n > 0 => Ok(Self::Hours(n)),
            "wh" if n > 0 => Ok(Self::WorkingHours(n)),
            _ => Err(err()),
        }
    }

    /// The instant this span ends when started at `from`.
    pub fn due_from(self, calendar: &WorkCalendar, from: DateTime<Utc>) -> Result<DateTime<Utc>, CalendarError> {
        match self {
            Self::WorkingDays(n) => calendar.add_working_days(from, n),
            Self::Hours(h) => Ok(from + Duration::hours(i64::from(h))),
            Self::WorkingHours(h) => calendar.add_working_hours(from, h),
        }
    }
}

impl fmt::Display for DeadlineSpan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WorkingDays(n) => write!(f, "{n}wd"),
            Self::Hours(n) => write!(f, "{n}h"),
            Self::WorkingHours(n) => write!(f, "{n}wh"),
        }
    }
}

impl TryFrom<String> for DeadlineSpan {
    type Error = FieldError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}
impl From<DeadlineSpan> for String {
    fn from(value: DeadlineSpan) -> Self {
        value.to_string()
    }
}

/// The configurable deadline rules. Defaults follow Guangdong's 12345 rules
/// (2022): 咨询 2 working days, 求助 and 建议 10, 投诉 and 举报 15; 紧急 24
/// and 特急 2 natural hours; sign for within 2 hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeadlineRules {
    /// Completion allowance of a normal-urgency order, by type.
    pub completion: BTreeMap<OrderType, DeadlineSpan>,
    /// Completion allowance of an urgent or critical order, whatever its type.
    pub urgency: BTreeMap<Urgency, DeadlineSpan>,
    /// Exceptions for one type at one urgency; they win over both maps.
    pub exceptions: Vec<DeadlineException>,
    /// From dispatch to sign-for (签收).
    pub sign_for: DeadlineSpan,
    /// From passing review to the follow-up call (回访).
    pub follow_up: DeadlineSpan,
    /// Default answer time of a supervision notice (督办) when none is given.
    pub supervision: DeadlineSpan,
    /// The yellow warning (黄色预警) fires when this share of a step's time
    /// is used, in percent (1–99).
    pub warn_at_percent: u8,
    /// The automatic reminder (催办) this long after a missed completion date.
    pub reminder_after: DeadlineSpan,
    /// Escalation (升级督办) to the supervisors and the unit's leaders this long
    /// after a missed completion date.
    pub escalate_after: DeadlineSpan,
    /// The time the centre has to decide an extension request (延期审批).
    pub extension_decision: DeadlineSpan,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlineException {
    #[serde(rename = "type")]
    pub order_type: OrderType,
    pub urgency: Urgency,
    pub span: DeadlineSpan,
}

impl Default for DeadlineRules {
    fn default() -> Self {
        use DeadlineSpan::*;
        Self {
            completion: OrderType::ALL.iter().map(|t| (*t, default_completion(*t))).collect(),
            urgency: BTreeMap::from([(Urgency::Urgent, Hours(24)), (Urgency::Critical, Hours(2))]),
            exceptions: Vec::new(),
            sign_for: Hours(2),
            follow_up: WorkingDays(2),
            supervision: WorkingDays(3),
            warn_at_percent: 75,
            reminder_after: Hours(24),
            escalate_after: WorkingDays(3),
            extension_decision: WorkingDays(1),
        }
    }
}

impl DeadlineRules {
    /// Refuses rules no deadline watch can follow.
    /// What the types cannot say: the warning share's range, and one
    /// exception at most per type and urgency (a second would never apply).
    pub fn check(&self) -> Result<(), crate::FieldError> {
        if !(1..=99).contains(&self.warn_at_percent) {
            return Err(crate::FieldError::new("warn_at_percent", format!("must be between 1 and 99, not {}", self.warn_at_percent)));
        }
        for (i, e) in self.exceptions.iter().enumerate() {
            if let Some(first) = self.exceptions[..i].iter().position(|f| f.order_type == e.order_type && f.urgency == e.urgency) {
                return Err(crate::FieldError::coded(
                    format!("exceptions[{i}]"),
                    "duplicate",
                    format!("repeats exception {} ({} at {}); keep one", first + 1, e.order_type.label_zh(), e.urgency.label_zh()),
                )
                .with_other(first + 1));
            }
        }
        Ok(())
    }

    /// The completion allowance for an order of this type and urgency.
    pub fn completion_span(&self, order_type: OrderType, urgency: Urgency) -> DeadlineSpan {
        if let Some(e) = self.exceptions.iter().find(|e| e.order_type == order_type && e.urgency == urgency) {
            return e.span;
        }
        if urgency != Urgency::Normal
            && let Some(span) = self.urgency.get(&urgency)
        {
            return *span;
        }
        // A configuration that lists only some types keeps the defaults for the others.
        self.completion.get(&order_type).copied().unwrap_or_else(|| default_completion(order_type))
    }
}

fn default_completion(order_type: OrderType) -> DeadlineSpan {
    match order_type {
        OrderType::Consultation => DeadlineSpan::WorkingDays(2),
        OrderType::Complaint | OrderType::Report => DeadlineSpan::WorkingDays(15),
        OrderType::Help | OrderType::Suggestion | OrderType::Praise | OrderType::Other => DeadlineSpan::WorkingDays(10),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_spans() {
        assert_eq!(DeadlineSpan::parse("15wd").unwrap(), DeadlineSpan::WorkingDays(15));
        assert_eq!(DeadlineSpan::parse("24h").unwrap(), DeadlineSpan::Hours(24));
        assert_eq!(DeadlineSpan::parse("2wh").unwrap(), DeadlineSpan::WorkingHours(2));
        assert_eq!(DeadlineSpan::WorkingHours(2).to_string(), "2wh");
        for bad in ["", "15", "wd", "0h", "0wh", "3 days", "-1wd", "2hw"] {
            assert!(DeadlineSpan::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn defaults_and_exceptions() {
        let mut rules = DeadlineRules::default();
        assert_eq!(rules.completion_span(OrderType::Consultation, Urgency::Normal), DeadlineSpan::WorkingDays(2));
        assert_eq!(rules.completion_span(OrderType::Complaint, Urgency::Normal), DeadlineSpan::WorkingDays(15));
        assert_eq!(rules.completion_span(OrderType::Complaint, Urgency::Critical), DeadlineSpan::Hours(2));
        rules.exceptions.push(DeadlineException { order_type: OrderType::Report, urgency: Urgency::Urgent, span: DeadlineSpan::Hours(12) });
        assert_eq!(rules.completion_span(OrderType::Report, Urgency::Urgent), DeadlineSpan::Hours(12));
        assert_eq!(rules.completion_span(OrderType::Help, Urgency::Urgent), DeadlineSpan::Hours(24));
        assert_eq!(rules.check(), Ok(()));
        // A second exception for the same pair would never apply: refused by position.
        rules.exceptions.push(DeadlineException { order_type: OrderType::Help, urgency: Urgency::Urgent, span: DeadlineSpan::Hours(8) });
        rules.exceptions.push(DeadlineException { order_type: OrderType::Report, urgency: Urgency::Urgent, span: DeadlineSpan::Hours(6) });
        let error = rules.check().unwrap_err();
        assert_eq!(error.field, "exceptions[2]");
        assert!(error.message.contains("repeats exception 1"), "{}", error.message);
        assert_eq!((error.code, error.other), ("duplicate", Some(1)));
        rules.exceptions.pop();
        rules.warn_at_percent = 100;
        assert_eq!(rules.check().unwrap_err().field, "warn_at_percent");
    }

    #[test]
    fn reads_from_configuration_text() {
        let rules: DeadlineRules = serde_json::from_str(r#"{"completion":{"consultation":"3wd"},"sign_for":"1h"}"#).unwrap();
        assert_eq!(rules.completion_span(OrderType::Consultation, Urgency::Normal), DeadlineSpan::WorkingDays(3));
        assert_eq!(rules.sign_for, DeadlineSpan::Hours(1));
        assert_eq!(rules.completion_span(OrderType::Complaint, Urgency::Normal), DeadlineSpan::WorkingDays(15));
        assert!(serde_json::from_str::<DeadlineRules>(r#"{"sign_for":"soon"}"#).is_err());
    }
}
