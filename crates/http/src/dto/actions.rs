//! Actions on a work order: one endpoint, one body per action, told apart
//! by `action`. Every body carries the `version` the caller last saw.
//!
//! The tag is read first and the matching body parsed on its own, so an
//! error names its field (`reason: must not be empty`); serde's internally
//! tagged enums would lose the path.

use crate::extract::parse_value;
use chrono::{DateTime, FixedOffset, Utc};
use hotline_app::orders::ActionRequest;
use hotline_domain::{
    Action, CategoryId, Command, Description, FieldError, FollowUpOutcome, InvalidKind, NoticeId, ProgressKind, Reason, ReturnDecision,
    ReviewVerdict, Satisfaction, UnitId, Urgency, WorkOrderNo,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

/// 直接办结: the consultant answered; the order is archived.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerDirectly {
    #[schema(value_type = String)]
    pub answer: Description,
}

/// 派单 to a lead unit with optional co-handlers.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Dispatch {
    #[schema(value_type = String)]
    pub lead_unit_id: UnitId,
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub co_unit_ids: Vec<UnitId>,
    #[schema(value_type = Option<String>)]
    pub note: Option<Reason>,
}

/// 签收 by the unit it was sent to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignFor {}

/// 退单: the lead unit gives it back with a reason.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Return {
    #[schema(value_type = String)]
    pub reason: Reason,
}

/// 改派 (`agree`, with `lead_unit_id`) or 驳回 (not `agree`, with `reason`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecideReturn {
    pub agree: bool,
    #[schema(value_type = Option<String>)]
    pub lead_unit_id: Option<UnitId>,
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub co_unit_ids: Vec<UnitId>,
    #[schema(value_type = Option<String>)]
    pub reason: Option<Reason>,
}

/// 延期申请, before the deadline, for a later date.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestExtension {
    #[schema(value_type = String)]
    pub reason: Reason,
    pub requested_due: DateTime<FixedOffset>,
}

/// 延期审核.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecideExtension {
    pub approve: bool,
    #[schema(value_type = Option<String>)]
    pub note: Option<Reason>,
}

/// A progress note; `centre_note` is the centre's kind.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddProgress {
    pub kind: ProgressKind,
    #[schema(value_type = String)]
    pub text: Description,
}

/// 二级派单 to a sub-unit of the lead unit (or back to the lead unit).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubDispatch {
    #[schema(value_type = String)]
    pub unit_id: UnitId,
    #[schema(value_type = Option<String>)]
    pub note: Option<Reason>,
}

/// 办结反馈.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitResult {
    #[schema(value_type = String)]
    pub result: Description,
    pub solved: bool,
    /// The reply that may be published, without personal data.
    #[schema(value_type = String)]
    pub public_reply: Description,
    pub contacted_citizen_at: Option<DateTime<FixedOffset>>,
}

/// 审核: pass, or fail back to the unit (`reason` required). Passing
/// decides whether the public reply is published on the portal (`publish`,
/// default false: nothing is published without a reviewer's decision).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Review {
    pub pass: bool,
    #[serde(default)]
    pub publish: bool,
    #[schema(value_type = Option<String>)]
    pub reason: Option<Reason>,
}

/// What happens after a follow-up call.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 归档
    Archive,
    /// 重办 (counted against the unit)
    Redo,
    /// Not reached; try again later.
    Retry,
}

/// 回访.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUp {
    pub contacted: bool,
    pub satisfaction: Option<Satisfaction>,
    pub solved: Option<bool>,
    #[schema(value_type = Option<String>)]
    pub note: Option<Reason>,
    pub outcome: Outcome,
}

/// 督办: a notice to the lead unit, with its own deadline.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Supervise {
    #[schema(value_type = String)]
    pub text: Reason,
    pub due: Option<DateTime<FixedOffset>>,
}

/// 督办回复 by the unit addressed.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerSupervision {
    #[schema(value_type = String)]
    pub notice_id: NoticeId,
    #[schema(value_type = String)]
    pub text: Description,
}

/// 并单 into a master order.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Merge {
    #[schema(value_type = String)]
    pub master_number: WorkOrderNo,
}

/// 无效.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Invalidate {
    pub kind: InvalidKind,
    #[schema(value_type = Option<String>)]
    pub note: Option<Reason>,
}

/// 调整紧急程度, e.g. lowering what an emergency rule raised; the completion
/// deadline is counted again from the same start.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeUrgency {
    pub urgency: Urgency,
    #[schema(value_type = String)]
    pub reason: Reason,
}

/// 重新分类: the category a citizen did not choose, or a corrected one,
/// while the order waits for dispatch (or after a return).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reclassify {
    #[schema(value_type = String)]
    pub category_id: CategoryId,
}

/// The schemas of the actions' own fields (the variants of [`ActionKind`]).
pub const ACTION_PARTS: &[&str] = &[
    "AnswerDirectly",
    "Dispatch",
    "SignFor",
    "Return",
    "DecideReturn",
    "RequestExtension",
    "DecideExtension",
    "AddProgress",
    "SubDispatch",
    "SubmitResult",
    "Review",
    "FollowUp",
    "Supervise",
    "AnswerSupervision",
    "Merge",
    "Invalidate",
    "ChangeUrgency",
    "Reclassify",
];

/// The action itself: `action` names it and picks the body's fields.
/// (Serde's derive is here for the schema's shape; reading goes through
/// [`ActionBody::from_value`].)
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ActionKind {
    AnswerDirectly(AnswerDirectly),
    Dispatch(Dispatch),
    SignFor(SignFor),
    Return(Return),
    DecideReturn(DecideReturn),
    RequestExtension(RequestExtension),
    DecideExtension(DecideExtension),
    AddProgress(AddProgress),
    SubDispatch(SubDispatch),
    SubmitResult(SubmitResult),
    Review(Review),
    FollowUp(FollowUp),
    Supervise(Supervise),
    AnswerSupervision(AnswerSupervision),
    Merge(Merge),
    Invalidate(Invalidate),
    ChangeUrgency(ChangeUrgency),
    Reclassify(Reclassify),
}

/// An action on an order, with the order's `version` the caller last saw.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ActionBody {
    pub version: i64,
    #[serde(flatten)]
    pub kind: ActionKind,
}

fn utc(t: DateTime<FixedOffset>) -> DateTime<Utc> {
    t.with_timezone(&Utc)
}

fn body<T: DeserializeOwned>(value: serde_json::Value, wrap: fn(T) -> ActionKind) -> Result<ActionKind, FieldError> {
    parse_value::<T>(value).map(wrap)
}

/// The actions a caller can ask for, as the domain names them.
fn requestable() -> impl Iterator<Item = Action> {
    Action::ALL.iter().copied().filter(|a| a.is_requested())
}

fn expected() -> String {
    requestable().map(Action::as_str).collect::<Vec<_>>().join(", ")
}

#[derive(Deserialize)]
struct Version {
    version: i64,
}

impl ActionBody {
    /// Reads `{"action": …, "version": …, fields…}`.
    pub fn from_value(mut value: serde_json::Value) -> Result<Self, FieldError> {
        let map = value.as_object_mut().ok_or_else(|| FieldError::new("", "the body must be a JSON object"))?;
        let name = match map.remove("action") {
            Some(serde_json::Value::String(a)) => a,
            Some(_) => return Err(FieldError::new("action", "must be the action's name, e.g. \"dispatch\"")),
            None => return Err(FieldError::new("action", format!("is required: one of {}", expected()))),
        };
        let unknown = || FieldError::new("action", format!("unknown action {name:?}; expected one of {}", expected()));
        let action = Action::parse(&name).map_err(|_| unknown())?;
        let version = map.remove("version").map(|v| serde_json::json!({ "version": v })).unwrap_or_else(|| serde_json::json!({}));
        let version = parse_value::<Version>(version)?.version;
        let kind = match action {
            Action::AnswerDirectly => body(value, ActionKind::AnswerDirectly),
            Action::Dispatch => body(value, ActionKind::Dispatch),
            Action::SignFor => body(value, ActionKind::SignFor),
            Action::Return => body(value, ActionKind::Return),
            Action::DecideReturn => body(value, ActionKind::DecideReturn),
            Action::RequestExtension => body(value, ActionKind::RequestExtension),
            Action::DecideExtension => body(value, ActionKind::DecideExtension),
            Action::AddProgress => body(value, ActionKind::AddProgress),
            Action::SubDispatch => body(value, ActionKind::SubDispatch),
            Action::SubmitResult => body(value, ActionKind::SubmitResult),
            Action::Review => body(value, ActionKind::Review),
            Action::FollowUp => body(value, ActionKind::FollowUp),
            Action::Supervise => body(value, ActionKind::Supervise),
            Action::AnswerSupervision => body(value, ActionKind::AnswerSupervision),
            Action::Merge => body(value, ActionKind::Merge),
            Action::Invalidate => body(value, ActionKind::Invalidate),
            Action::ChangeUrgency => body(value, ActionKind::ChangeUrgency),
            Action::Reclassify => body(value, ActionKind::Reclassify),
            // The platform's own steps, never asked for.
            Action::Register | Action::AbsorbDuplicate => Err(unknown()),
        }?;
        Ok(Self { version, kind })
    }

    pub fn into_request(self) -> Result<ActionRequest, FieldError> {
        let command = match self.kind {
            ActionKind::AnswerDirectly(b) => Command::AnswerDirectly { answer: b.answer },
            ActionKind::Dispatch(b) => Command::Dispatch { lead: b.lead_unit_id, co_handlers: b.co_unit_ids, note: b.note },
            ActionKind::SignFor(_) => Command::SignFor,
            ActionKind::Return(b) => Command::Return { reason: b.reason },
            ActionKind::DecideReturn(b) if b.agree => {
                let lead = b
                    .lead_unit_id
                    .ok_or_else(|| FieldError::new("lead_unit_id", "agreeing to a return re-dispatches: name the new lead unit"))?;
                Command::DecideReturn(ReturnDecision::Redispatch { lead, co_handlers: b.co_unit_ids })
            }
            ActionKind::DecideReturn(b) => {
                let reason = b.reason.ok_or_else(|| FieldError::new("reason", "say why the return is rejected"))?;
                Command::DecideReturn(ReturnDecision::Reject { reason })
            }
            ActionKind::RequestExtension(b) => Command::RequestExtension { reason: b.reason, requested_due: utc(b.requested_due) },
            ActionKind::DecideExtension(b) => Command::DecideExtension { approve: b.approve, note: b.note },
            ActionKind::AddProgress(b) => Command::AddProgress { kind: b.kind, text: b.text },
            ActionKind::SubDispatch(b) => Command::SubDispatch { unit: b.unit_id, note: b.note },
            ActionKind::SubmitResult(b) => Command::SubmitResult {
                result: b.result,
                solved: b.solved,
                public_reply: b.public_reply,
                contacted_citizen_at: b.contacted_citizen_at.map(utc),
            },
            ActionKind::Review(b) if b.pass => Command::Review(ReviewVerdict::Pass { publish: b.publish }),
            ActionKind::Review(b) => {
                let reason = b.reason.ok_or_else(|| FieldError::new("reason", "say what the unit must redo"))?;
                Command::Review(ReviewVerdict::Fail { reason })
            }
            ActionKind::FollowUp(b) => Command::FollowUp {
                contacted: b.contacted,
                satisfaction: b.satisfaction,
                solved: b.solved,
                note: b.note,
                outcome: match b.outcome {
                    Outcome::Archive => FollowUpOutcome::Archive,
                    Outcome::Redo => FollowUpOutcome::Redo,
                    Outcome::Retry => FollowUpOutcome::Retry,
                },
            },
            ActionKind::Supervise(b) => return Ok(ActionRequest::Supervise { text: b.text, due: b.due.map(utc) }),
            ActionKind::AnswerSupervision(b) => Command::AnswerSupervision { notice: b.notice_id, text: b.text },
            ActionKind::Merge(b) => return Ok(ActionRequest::Merge { master: b.master_number }),
            ActionKind::Invalidate(b) => Command::Invalidate { kind: b.kind, note: b.note },
            ActionKind::ChangeUrgency(b) => Command::ChangeUrgency { urgency: b.urgency, reason: b.reason },
            ActionKind::Reclassify(b) => Command::Reclassify { category: b.category_id },
        };
        Ok(ActionRequest::Command(command))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn errors_keep_the_field_path_inside_the_chosen_body() {
        let e = ActionBody::from_value(json!({"action": "return", "version": 3, "reason": " "})).unwrap_err();
        assert_eq!((e.field.as_str(), e.message.as_str()), ("reason", "must not be empty"));
        let e = ActionBody::from_value(json!({"action": "merge", "version": 3, "master_number": "x"})).unwrap_err();
        assert_eq!(e.field, "master_number");
        let e = ActionBody::from_value(json!({"action": "fly", "version": 3})).unwrap_err();
        assert!(e.field == "action" && e.message.contains("dispatch"));
        let e = ActionBody::from_value(json!({"action": "sign_for"})).unwrap_err();
        assert_eq!((e.field.as_str(), e.message.as_str()), ("version", "is required"));
        let ok = ActionBody::from_value(json!({"action": "sign_for", "version": 2})).unwrap();
        assert_eq!(ok.version, 2);
        let e = ActionBody::from_value(json!({"action": "absorb_duplicate", "version": 2})).unwrap_err();
        assert!(e.field == "action" && e.message.starts_with("unknown action"), "the platform's own steps are not requested: {e:?}");
        let e = ActionBody::from_value(json!({"action": "sign_for", "version": "2"})).unwrap_err();
        assert_eq!(e.field, "version");
    }
}
