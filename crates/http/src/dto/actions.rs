//! Actions on a work order: one endpoint, one body per action, told apart
//! by `action`. Every body carries the `version` the caller last saw.

use chrono::{DateTime, FixedOffset, Utc};
use hotline_app::orders::ActionRequest;
use hotline_domain::{
    Command, Description, FieldError, FollowUpOutcome, InvalidKind, NoticeId, ProgressKind, Reason, ReturnDecision, ReviewVerdict,
    Satisfaction, UnitId, WorkOrderNo,
};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum ActionBody {
    /// 直接办结: the consultant answered; the order is archived.
    AnswerDirectly {
        version: i64,
        #[schema(value_type = String)]
        answer: Description,
    },
    /// 派单 to a lead unit with optional co-handlers.
    Dispatch {
        version: i64,
        #[schema(value_type = String)]
        lead_unit_id: UnitId,
        #[serde(default)]
        #[schema(value_type = Vec<String>)]
        co_unit_ids: Vec<UnitId>,
        #[schema(value_type = Option<String>)]
        note: Option<Reason>,
    },
    /// 签收 by the unit it was sent to.
    SignFor { version: i64 },
    /// 退单: the lead unit gives it back with a reason.
    Return {
        version: i64,
        #[schema(value_type = String)]
        reason: Reason,
    },
    /// 改派 (agree: `lead_unit_id` required) or 驳回 (reject: `reason` required).
    DecideReturn {
        version: i64,
        agree: bool,
        #[schema(value_type = Option<String>)]
        lead_unit_id: Option<UnitId>,
        #[serde(default)]
        #[schema(value_type = Vec<String>)]
        co_unit_ids: Vec<UnitId>,
        #[schema(value_type = Option<String>)]
        reason: Option<Reason>,
    },
    /// 延期申请, before the deadline, for a later date.
    RequestExtension {
        version: i64,
        #[schema(value_type = String)]
        reason: Reason,
        requested_due: DateTime<FixedOffset>,
    },
    /// 延期审核.
    DecideExtension {
        version: i64,
        approve: bool,
        #[schema(value_type = Option<String>)]
        note: Option<Reason>,
    },
    /// A progress note: contact, site visit, co-handling opinion; `centre_note` from the centre.
    AddProgress {
        version: i64,
        kind: ProgressKind,
        #[schema(value_type = String)]
        text: Description,
    },
    /// 二级派单 to a sub-unit of the lead unit (or back to the lead unit).
    SubDispatch {
        version: i64,
        #[schema(value_type = String)]
        unit_id: UnitId,
        #[schema(value_type = Option<String>)]
        note: Option<Reason>,
    },
    /// 办结反馈.
    SubmitResult {
        version: i64,
        #[schema(value_type = String)]
        result: Description,
        solved: bool,
        /// The reply that may be published, without personal data.
        #[schema(value_type = String)]
        public_reply: Description,
        contacted_citizen_at: Option<DateTime<FixedOffset>>,
    },
    /// 审核: pass, or fail back to the unit (`reason` required).
    Review {
        version: i64,
        pass: bool,
        #[schema(value_type = Option<String>)]
        reason: Option<Reason>,
    },
    /// 回访.
    FollowUp {
        version: i64,
        contacted: bool,
        satisfaction: Option<Satisfaction>,
        solved: Option<bool>,
        #[schema(value_type = Option<String>)]
        note: Option<Reason>,
        #[schema(value_type = String)]
        outcome: Outcome,
    },
    /// 督办: a notice to the lead unit, with its own deadline.
    Supervise {
        version: i64,
        #[schema(value_type = String)]
        text: Reason,
        due: Option<DateTime<FixedOffset>>,
    },
    /// 督办回复 by the unit addressed.
    AnswerSupervision {
        version: i64,
        #[schema(value_type = String)]
        notice_id: NoticeId,
        #[schema(value_type = String)]
        text: Description,
    },
    /// 并单 into a master order.
    Merge {
        version: i64,
        #[schema(value_type = String)]
        master_number: WorkOrderNo,
    },
    /// 无效.
    Invalidate {
        version: i64,
        kind: InvalidKind,
        #[schema(value_type = Option<String>)]
        note: Option<Reason>,
    },
}

/// `archive`, `redo` or `retry`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Archive,
    Redo,
    Retry,
}

fn utc(t: DateTime<FixedOffset>) -> DateTime<Utc> {
    t.with_timezone(&Utc)
}

impl ActionBody {
    pub fn version(&self) -> i64 {
        match self {
            Self::AnswerDirectly { version, .. }
            | Self::Dispatch { version, .. }
            | Self::SignFor { version }
            | Self::Return { version, .. }
            | Self::DecideReturn { version, .. }
            | Self::RequestExtension { version, .. }
            | Self::DecideExtension { version, .. }
            | Self::AddProgress { version, .. }
            | Self::SubDispatch { version, .. }
            | Self::SubmitResult { version, .. }
            | Self::Review { version, .. }
            | Self::FollowUp { version, .. }
            | Self::Supervise { version, .. }
            | Self::AnswerSupervision { version, .. }
            | Self::Merge { version, .. }
            | Self::Invalidate { version, .. } => *version,
        }
    }

    pub fn into_request(self) -> Result<ActionRequest, FieldError> {
        let command = match self {
            Self::AnswerDirectly { answer, .. } => Command::AnswerDirectly { answer },
            Self::Dispatch { lead_unit_id, co_unit_ids, note, .. } => Command::Dispatch { lead: lead_unit_id, co_handlers: co_unit_ids, note },
            Self::SignFor { .. } => Command::SignFor,
            Self::Return { reason, .. } => Command::Return { reason },
            Self::DecideReturn { agree: true, lead_unit_id, co_unit_ids, .. } => {
                let lead = lead_unit_id.ok_or_else(|| FieldError::new("lead_unit_id", "agreeing to a return re-dispatches: name the new lead unit"))?;
                Command::DecideReturn(ReturnDecision::Redispatch { lead, co_handlers: co_unit_ids })
            }
            Self::DecideReturn { agree: false, reason, .. } => {
                let reason = reason.ok_or_else(|| FieldError::new("reason", "say why the return is rejected"))?;
                Command::DecideReturn(ReturnDecision::Reject { reason })
            }
            Self::RequestExtension { reason, requested_due, .. } => Command::RequestExtension { reason, requested_due: utc(requested_due) },
            Self::DecideExtension { approve, note, .. } => Command::DecideExtension { approve, note },
            Self::AddProgress { kind, text, .. } => Command::AddProgress { kind, text },
            Self::SubDispatch { unit_id, note, .. } => Command::SubDispatch { unit: unit_id, note },
            Self::SubmitResult { result, solved, public_reply, contacted_citizen_at, .. } => {
                Command::SubmitResult { result, solved, public_reply, contacted_citizen_at: contacted_citizen_at.map(utc) }
            }
            Self::Review { pass: true, .. } => Command::Review(ReviewVerdict::Pass),
            Self::Review { pass: false, reason, .. } => {
                let reason = reason.ok_or_else(|| FieldError::new("reason", "say what the unit must redo"))?;
                Command::Review(ReviewVerdict::Fail { reason })
            }
            Self::FollowUp { contacted, satisfaction, solved, note, outcome, .. } => Command::FollowUp {
                contacted,
                satisfaction,
                solved,
                note,
                outcome: match outcome {
                    Outcome::Archive => FollowUpOutcome::Archive,
                    Outcome::Redo => FollowUpOutcome::Redo,
                    Outcome::Retry => FollowUpOutcome::Retry,
                },
            },
            Self::Supervise { text, due, .. } => return Ok(ActionRequest::Supervise { text, due: due.map(utc) }),
            Self::AnswerSupervision { notice_id, text, .. } => Command::AnswerSupervision { notice: notice_id, text },
            Self::Merge { master_number, .. } => return Ok(ActionRequest::Merge { master: master_number }),
            Self::Invalidate { kind, note, .. } => Command::Invalidate { kind, note },
        };
        Ok(ActionRequest::Command(command))
    }
}
