//! The lifecycle: which action is allowed in which state, by whom, with what
//! fields, and what it does to the order and its deadlines.
//!
//! [`decide`] is a pure function: given an order, the person acting and a
//! command, it returns the new order and the history entry to write, or the
//! reason it refuses. Storage then writes both atomically, guarded by the
//! order's version.

use super::{
    Deadlines, ExtensionRequest, FollowUpRecord, HandlingResult, InvalidKind, Invalidation, NoticeAnswer, OrderType, ProgressKind,
    ReturnRequest, Satisfaction, State, SupervisionNotice, Urgency, WorkOrder,
};
use crate::calendar::{CalendarError, WorkCalendar};
use crate::deadline::{DeadlineRules, DeadlineSpan};
use crate::ids::{CategoryId, NoticeId, OrderId, UnitId, UserId};
use crate::order_no::WorkOrderNo;
use crate::org::{Actor, Role};
use crate::text::{Description, Reason};
use crate::validation::{FieldError, ValidationErrors};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

crate::vocabulary::vocabulary!(
    /// Every step an order can take; also the `action` of its history.
    Action, "action" {
        /// 登记
        Register = "register", "登记";
        /// 直接办结
        AnswerDirectly = "answer_directly", "直接办结";
        /// 派单
        Dispatch = "dispatch", "派单";
        /// 签收
        SignFor = "sign_for", "签收";
        /// 退单
        Return = "return", "退单";
        /// 退单审核: 改派 or 驳回
        DecideReturn = "decide_return", "退单审核";
        /// 延期申请
        RequestExtension = "request_extension", "延期申请";
        /// 延期审核
        DecideExtension = "decide_extension", "延期审核";
        /// 办理进展
        AddProgress = "add_progress", "办理进展";
        /// 二级派单
        SubDispatch = "sub_dispatch", "二级派单";
        /// 办结反馈
        SubmitResult = "submit_result", "办结反馈";
        /// 审核
        Review = "review", "审核";
        /// 回访
        FollowUp = "follow_up", "回访";
        /// 督办
        Supervise = "supervise", "督办";
        /// 督办回复
        AnswerSupervision = "answer_supervision", "督办回复";
        /// 并单
        Merge = "merge", "并单";
        /// 并入重复件 (written on the master order)
        AbsorbDuplicate = "absorb_duplicate", "并入重复件";
        /// 无效
        Invalidate = "invalidate", "无效";
        /// 调整紧急程度: e.g. lowering what an emergency rule raised
        ChangeUrgency = "change_urgency", "调整紧急程度";
        /// 重新分类: the centre sets the category a citizen did not choose,
        /// or corrects one, before the order goes to a unit
        Reclassify = "reclassify", "重新分类";
    }
);

impl Action {
    /// Whether a person asks for this step (the actions endpoint); the
    /// others are the platform's own: registering, and noting a merged
    /// duplicate on its master.
    pub fn is_requested(self) -> bool {
        !matches!(self, Self::Register | Self::AbsorbDuplicate)
    }
}

/// What the lifecycle refuses, and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LifecycleError {
    /// The action does not exist in this state. `allowed` lists the actions
    /// the state does allow.
    #[error("{action} is not allowed when the order is {state}; allowed: {}", list(.allowed))]
    NotAllowed { action: Action, state: State, allowed: Vec<Action> },
    /// The action exists in this state, but not for this person.
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error("deadline could not be computed: {0}")]
    Calendar(#[from] CalendarError),
}

fn list(actions: &[Action]) -> String {
    if actions.is_empty() { "none, the order is closed".into() } else { actions.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", ") }
}

impl From<FieldError> for LifecycleError {
    fn from(e: FieldError) -> Self {
        Self::Invalid(e.into())
    }
}

/// Everything a decision depends on besides the order and the command.
#[derive(Debug, Clone, Copy)]
pub struct DecisionContext<'a> {
    pub now: DateTime<Utc>,
    pub calendar: &'a WorkCalendar,
    pub rules: &'a DeadlineRules,
}

impl DecisionContext<'_> {
    pub fn due(&self, span: DeadlineSpan, from: DateTime<Utc>) -> Result<DateTime<Utc>, CalendarError> {
        span.due_from(self.calendar, from)
    }

    pub fn completion_due(&self, order_type: OrderType, urgency: Urgency, from: DateTime<Utc>) -> Result<DateTime<Utc>, CalendarError> {
        self.due(self.rules.completion_span(order_type, urgency), from)
    }
}

/// The centre's verdict on a return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum ReturnDecision {
    /// 改派: agreed, sent to another unit.
    Redispatch { lead: UnitId, co_handlers: Vec<UnitId> },
    /// 驳回: the unit keeps it.
    Reject { reason: Reason },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum ReviewVerdict {
    /// 审核通过, with the decision whether the public reply is published on
    /// the portal (公开答复): never automatic.
    Pass {
        #[serde(default)]
        publish: bool,
    },
    /// 退回重办
    Fail { reason: Reason },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpOutcome {
    /// 归档
    Archive,
    /// 重办: back to the unit, counted against it.
    Redo,
    /// The citizen was not reached; try again later.
    Retry,
}

/// The master order of a merge, as looked up by the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MasterOrder {
    pub id: OrderId,
    pub number: WorkOrderNo,
    pub state: State,
}

/// A request to move an order, parsed at the edge. Unit references have been
/// checked to exist (and, for a sub-dispatch, to lie under the lead unit) by
/// the application before the domain sees them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Command {
    AnswerDirectly {
        answer: Description,
    },
    Dispatch {
        lead: UnitId,
        co_handlers: Vec<UnitId>,
        note: Option<Reason>,
    },
    SignFor,
    Return {
        reason: Reason,
    },
    DecideReturn(ReturnDecision),
    RequestExtension {
        reason: Reason,
        requested_due: DateTime<Utc>,
    },
    DecideExtension {
        approve: bool,
        note: Option<Reason>,
    },
    AddProgress {
        kind: ProgressKind,
        text: Description,
    },
    SubDispatch {
        unit: UnitId,
        note: Option<Reason>,
    },
    SubmitResult {
        result: Description,
        solved: bool,
        public_reply: Description,
        contacted_citizen_at: Option<DateTime<Utc>>,
    },
    Review(ReviewVerdict),
    FollowUp {
        contacted: bool,
        satisfaction: Option<Satisfaction>,
        solved: Option<bool>,
        note: Option<Reason>,
        outcome: FollowUpOutcome,
    },
    Supervise {
        notice: NoticeId,
        text: Reason,
        due: Option<DateTime<Utc>>,
    },
    AnswerSupervision {
        notice: NoticeId,
        text: Description,
    },
    Merge {
        master: MasterOrder,
    },
    Invalidate {
        kind: InvalidKind,
        note: Option<Reason>,
    },
    /// The completion deadline is counted again from the same start.
    ChangeUrgency {
        urgency: Urgency,
        reason: Reason,
    },
    /// The category has been checked to exist by the application.
    Reclassify {
        category: CategoryId,
    },
}

impl Command {
    pub fn action(&self) -> Action {
        match self {
            Self::AnswerDirectly { .. } => Action::AnswerDirectly,
            Self::Dispatch { .. } => Action::Dispatch,
            Self::SignFor => Action::SignFor,
            Self::Return { .. } => Action::Return,
            Self::DecideReturn(_) => Action::DecideReturn,
            Self::RequestExtension { .. } => Action::RequestExtension,
            Self::DecideExtension { .. } => Action::DecideExtension,
            Self::AddProgress { .. } => Action::AddProgress,
            Self::SubDispatch { .. } => Action::SubDispatch,
            Self::SubmitResult { .. } => Action::SubmitResult,
            Self::Review(_) => Action::Review,
            Self::FollowUp { .. } => Action::FollowUp,
            Self::Supervise { .. } => Action::Supervise,
            Self::AnswerSupervision { .. } => Action::AnswerSupervision,
            Self::Merge { .. } => Action::Merge,
            Self::Invalidate { .. } => Action::Invalidate,
            Self::ChangeUrgency { .. } => Action::ChangeUrgency,
            Self::Reclassify { .. } => Action::Reclassify,
        }
    }
}

/// One line of an order's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub order: OrderId,
    pub at: DateTime<Utc>,
    pub actor: UserId,
    pub actor_unit: Option<UnitId>,
    pub action: Action,
    pub from_state: Option<State>,
    pub to_state: State,
    /// The command's fields and its effects (new deadlines, units).
    pub detail: serde_json::Value,
}

/// The outcome of an accepted command.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub order: WorkOrder,
    pub entry: HistoryEntry,
    /// The order's deadline timers after the change; storage replaces the
    /// pending ones in the same transaction.
    pub timers: Vec<crate::watch::Timer>,
}

/// The actions a state allows, whoever asks.
pub fn actions_in(state: State) -> &'static [Action] {
    use Action::*;
    match state {
        State::PendingDispatch => &[AnswerDirectly, Dispatch, Merge, Invalidate, AddProgress, Supervise, ChangeUrgency, Reclassify],
        State::Dispatched => &[SignFor, Return, AddProgress, Supervise, AnswerSupervision, ChangeUrgency],
        State::InProgress => &[
            Return,
            RequestExtension,
            DecideExtension,
            AddProgress,
            SubDispatch,
            SubmitResult,
            Supervise,
            AnswerSupervision,
            ChangeUrgency,
        ],
        State::Returned => &[DecideReturn, Merge, AddProgress, Supervise, AnswerSupervision, ChangeUrgency, Reclassify],
        State::PendingReview => &[Review, AddProgress, Supervise, AnswerSupervision],
        State::PendingFollowUp => &[FollowUp, AddProgress, Supervise, AnswerSupervision],
        State::Archived | State::Invalid | State::Merged => &[AnswerSupervision],
    }
}

/// Checks that `actor` may take `action` on `order` now, before looking at
/// any field of the command.
pub fn permit(order: &WorkOrder, actor: &Actor, action: Action) -> Result<(), LifecycleError> {
    use Action::*;
    if !actions_in(order.state).contains(&action) {
        return Err(LifecycleError::NotAllowed { action, state: order.state, allowed: actions_in(order.state).to_vec() });
    }
    let centre = |roles: &[Role], who: &str| {
        if actor.is_centre() && actor.has_any(roles) {
            Ok(())
        } else {
            Err(LifecycleError::Forbidden(format!("{} is for the centre's {who}", action.as_str())))
        }
    };
    let handles = actor.acts_for(order.lead_unit) || actor.acts_for(order.assignee_unit);
    let unit = |allowed: bool, who: &str| {
        if allowed { Ok(()) } else { Err(LifecycleError::Forbidden(format!("{} is for a handler of {who}", action.as_str()))) }
    };
    match action {
        Register | AnswerDirectly | Invalidate => centre(&[Role::Consultant, Role::Dispatcher], "consultants and dispatchers"),
        Dispatch | DecideReturn | Merge => centre(&[Role::Dispatcher], "dispatchers"),
        Reclassify => centre(&[Role::Consultant, Role::Dispatcher], "consultants and dispatchers"),
        DecideExtension => centre(&[Role::Dispatcher, Role::Reviewer], "dispatchers and reviewers"),
        Review => centre(&[Role::Reviewer], "reviewers"),
        FollowUp => centre(&[Role::Consultant, Role::Reviewer], "consultants and reviewers"),
        Supervise => centre(&[Role::Supervisor], "supervisors"),
        ChangeUrgency => centre(&[Role::Consultant, Role::Dispatcher, Role::Supervisor], "consultants, dispatchers and supervisors"),
        SignFor => unit(actor.acts_for(order.assignee_unit), "the unit the order was sent to"),
        Return | RequestExtension | SubDispatch => unit(actor.acts_for(order.lead_unit), "the lead unit"),
        SubmitResult => unit(handles, "the lead unit or the sub-unit holding the order"),
        AnswerSupervision => {
            unit(order.open_notices().any(|n| actor.acts_for(Some(n.unit))), "the unit an open supervision notice is addressed to")
        }
        AddProgress => {
            let centre_staff = actor.is_centre() && actor.has_any(&[Role::Consultant, Role::Dispatcher, Role::Reviewer, Role::Supervisor]);
            let unit_staff = matches!(order.state, State::Dispatched | State::InProgress)
                && (handles || order.co_units.iter().any(|u| actor.acts_for(Some(*u))));
            // An emergency partner responds from the first minute, before
            // any unit has the order, and for as long as it is open.
            let partner = order.partners().iter().any(|u| actor.acts_for(Some(*u)));
            unit(centre_staff || unit_staff || partner, "a unit handling the order, an alerted partner, or centre staff")
        }
        AbsorbDuplicate => Err(LifecycleError::Forbidden("absorb_duplicate is written by a merge, not requested".into())),
    }
}

/// The actions `actor` may take on `order` now: what a screen offers.
pub fn available_actions(order: &WorkOrder, actor: &Actor) -> Vec<Action> {
    actions_in(order.state).iter().copied().filter(|a| permit(order, actor, *a).is_ok()).collect()
}

fn invalid(field: &str, message: impl Into<String>) -> LifecycleError {
    LifecycleError::Invalid(ValidationErrors::single(field, message))
}

/// Applies a command. The returned order has its version incremented.
pub fn decide(order: &WorkOrder, actor: &Actor, command: Command, ctx: &DecisionContext<'_>) -> Result<Decision, LifecycleError> {
    let action = command.action();
    permit(order, actor, action)?;
    let now = ctx.now;
    let mut next = order.clone();
    let mut detail = serde_json::to_value(&command).unwrap_or_default();
    if let Some(map) = detail.as_object_mut() {
        map.remove("action");
    }
    let mut effect = |key: &str, value: serde_json::Value| {
        if let Some(map) = detail.as_object_mut() {
            map.insert(key.to_owned(), value);
        }
    };

    match command {
        Command::AnswerDirectly { answer } => {
            next.direct_answer = Some(answer);
            next.state = State::Archived;
            next.resolved_at = Some(now);
            next.closed_at = Some(now);
        }
        Command::Dispatch { lead, co_handlers, .. } => {
            let sign_due = send_to(&mut next, lead, co_handlers, ctx)?;
            effect("sign_for_due", serde_json::json!(sign_due));
        }
        Command::SignFor => {
            next.state = State::InProgress;
            next.signed_at = Some(now);
        }
        Command::Return { reason } => {
            let unit = order.lead_unit.expect("a dispatched order has a lead unit");
            next.pending_return = Some(ReturnRequest { unit, by: actor.user, at: now, reason, was_signed: order.signed_at.is_some() });
            next.pending_extension = None;
            next.assignee_unit = order.lead_unit;
            next.state = State::Returned;
            next.counters.returns += 1;
            if !next.counters.returned_by.contains(&unit) {
                next.counters.returned_by.push(unit);
            }
        }
        Command::DecideReturn(decision) => {
            let request = order.pending_return.as_ref().expect("a returned order has its return request");
            next.pending_return = None;
            match decision {
                ReturnDecision::Redispatch { lead, co_handlers } => {
                    if lead == request.unit {
                        return Err(invalid("lead", "re-dispatch to another unit; to keep the unit responsible, reject the return"));
                    }
                    let sign_due = send_to(&mut next, lead, co_handlers, ctx)?;
                    effect("sign_for_due", serde_json::json!(sign_due));
                }
                ReturnDecision::Reject { .. } => {
                    if request.was_signed {
                        next.state = State::InProgress;
                    } else {
                        let sign_due = ctx.due(ctx.rules.sign_for, now)?;
                        next.state = State::Dispatched;
                        next.deadlines.sign_for = Some(sign_due);
                        effect("sign_for_due", serde_json::json!(sign_due));
                    }
                }
            }
        }
        Command::RequestExtension { reason, requested_due } => {
            if order.pending_extension.is_some() {
                return Err(LifecycleError::Forbidden("an extension request is already waiting for a decision".into()));
            }
            if now > order.deadlines.completion {
                return Err(invalid("requested_due", "an extension must be asked before the deadline; it has passed"));
            }
            if requested_due <= order.deadlines.completion {
                return Err(invalid(
                    "requested_due",
                    format!("must be later than the current deadline {}", order.deadlines.completion.to_rfc3339()),
                ));
            }
            next.pending_extension = Some(ExtensionRequest { by: actor.user, at: now, reason, requested_due });
        }
        Command::DecideExtension { approve, .. } => {
            let request = order
                .pending_extension
                .as_ref()
                .ok_or_else(|| LifecycleError::Forbidden("there is no extension request to decide".into()))?;
            if approve {
                next.deadlines.completion = request.requested_due;
                next.counters.extensions += 1;
                effect("completion_due", serde_json::json!(request.requested_due));
            }
            next.pending_extension = None;
        }
        Command::AddProgress { kind, .. } => {
            let centre_note = kind == ProgressKind::CentreNote;
            if actor.is_centre() != centre_note {
                let message = if actor.is_centre() {
                    "centre staff add notes of kind centre_note"
                } else {
                    "centre_note is for centre staff; units record contact, site_visit, co_handling_opinion or note"
                };
                return Err(invalid("kind", message));
            }
        }
        Command::SubDispatch { unit, .. } => {
            if Some(unit) == order.assignee_unit {
                return Err(invalid("unit", "the order is already with this unit"));
            }
            // Dispatching to the lead unit itself recalls the order from its sub-unit.
            next.assignee_unit = Some(unit);
        }
        Command::SubmitResult { result, solved, public_reply, contacted_citizen_at } => {
            if contacted_citizen_at.is_some_and(|t| t > now) {
                return Err(invalid("contacted_citizen_at", "lies in the future"));
            }
            let unit = actor.unit().expect("only unit staff submit results");
            next.result = Some(HandlingResult {
                by: actor.user,
                unit,
                at: now,
                result,
                solved,
                public_reply,
                contacted_citizen_at,
                published: false,
            });
            next.pending_extension = None;
            next.state = State::PendingReview;
            next.resolved_at = Some(now);
        }
        Command::Review(verdict) => match verdict {
            ReviewVerdict::Pass { publish } => {
                if publish && (order.order_type == OrderType::Report || order.caller.confidential) {
                    return Err(invalid("publish", "reports and requests whose caller asked for confidentiality are never published"));
                }
                if let Some(result) = next.result.as_mut() {
                    result.published = publish;
                }
                effect("published", serde_json::json!(publish));
                let due = ctx.due(ctx.rules.follow_up, now)?;
                next.deadlines.follow_up = Some(due);
                next.state = State::PendingFollowUp;
                effect("follow_up_due", serde_json::json!(due));
            }
            ReviewVerdict::Fail { .. } => {
                reopen(&mut next, ctx)?;
                next.counters.review_failures += 1;
                effect("completion_due", serde_json::json!(next.deadlines.completion));
            }
        },
        Command::FollowUp { contacted, satisfaction, solved, note, outcome } => {
            let mut errors = ValidationErrors::default();
            if contacted {
                if satisfaction.is_none() {
                    errors.push(FieldError::new(
                        "satisfaction",
                        "the citizen was reached: record satisfied, basically_satisfied or unsatisfied",
                    ));
                }
                if solved.is_none() {
                    errors.push(FieldError::new("solved", "the citizen was reached: record whether the problem was solved"));
                }
                if outcome == FollowUpOutcome::Retry {
                    errors.push(FieldError::new("outcome", "retry is for a citizen who was not reached"));
                }
            } else {
                if satisfaction.is_some() || solved.is_some() {
                    errors.push(FieldError::new("satisfaction", "a citizen who was not reached gives no rating"));
                }
                if outcome == FollowUpOutcome::Redo {
                    errors.push(FieldError::new("outcome", "redo needs the citizen's verdict; retry or archive"));
                }
                if outcome == FollowUpOutcome::Archive && note.is_none() {
                    errors.push(FieldError::new("note", "say why the order is archived without reaching the citizen"));
                }
            }
            let unhappy = satisfaction == Some(Satisfaction::Unsatisfied) || solved == Some(false);
            if outcome == FollowUpOutcome::Redo && contacted && !unhappy {
                errors.push(FieldError::new("outcome", "redo is for an unsatisfied citizen or an unsolved problem"));
            }
            errors.into_result()?;
            next.follow_up = Some(FollowUpRecord { by: actor.user, at: now, contacted, satisfaction, solved, note });
            match outcome {
                FollowUpOutcome::Archive => {
                    next.state = State::Archived;
                    next.closed_at = Some(now);
                }
                FollowUpOutcome::Redo => {
                    reopen(&mut next, ctx)?;
                    next.counters.redos += 1;
                    effect("completion_due", serde_json::json!(next.deadlines.completion));
                }
                FollowUpOutcome::Retry => next.counters.follow_up_attempts += 1,
            }
        }
        Command::Supervise { notice, text, due } => {
            let unit = order
                .lead_unit
                .ok_or_else(|| LifecycleError::Forbidden("the order has no responsible unit yet; dispatch it first".into()))?;
            let due_at = match due {
                Some(d) if d <= now => return Err(invalid("due", "must lie in the future")),
                Some(d) => d,
                None => ctx.due(ctx.rules.supervision, now)?,
            };
            next.notices.push(SupervisionNotice { id: notice, unit, issued_by: actor.user, issued_at: now, due_at, text, answer: None });
            effect("unit", serde_json::json!(unit));
            effect("due", serde_json::json!(due_at));
        }
        Command::AnswerSupervision { notice, text } => {
            let target = next
                .notices
                .iter_mut()
                .find(|n| n.id == notice)
                .ok_or_else(|| invalid("notice", "no supervision notice with this id on the order"))?;
            if target.answer.is_some() {
                return Err(invalid("notice", "this supervision notice has already been answered"));
            }
            if !actor.acts_for(Some(target.unit)) {
                return Err(LifecycleError::Forbidden("the notice is addressed to another unit".into()));
            }
            target.answer = Some(NoticeAnswer { by: actor.user, at: now, text });
        }
        Command::Merge { master } => {
            if master.id == order.id {
                return Err(invalid("master", "an order cannot be merged into itself"));
            }
            if master.state.is_void() {
                return Err(invalid("master", format!("{} is {} and cannot take duplicates", master.number, master.state)));
            }
            next.merged_into = Some(master.id);
            next.pending_return = None;
            next.state = State::Merged;
            next.closed_at = Some(now);
            effect("master_number", serde_json::json!(master.number));
        }
        Command::ChangeUrgency { urgency, .. } => {
            if urgency == order.urgency {
                return Err(invalid("urgency", format!("the order is already {}", urgency.label_zh())));
            }
            let completion = ctx.completion_due(next.order_type, urgency, next.deadlines.completion_from)?;
            next.urgency = urgency;
            next.deadlines.completion = completion;
            effect("from", serde_json::json!(order.urgency));
            effect("completion_due", serde_json::json!(completion));
        }
        Command::Reclassify { category } => {
            if category == order.category {
                return Err(invalid("category_id", "the order already has this category"));
            }
            next.category = category;
            effect("from", serde_json::json!(order.category));
            effect("category", serde_json::json!(category));
        }
        Command::Invalidate { kind, note } => {
            if kind == InvalidKind::Other && note.is_none() {
                return Err(invalid("note", "say why the order is invalid"));
            }
            next.invalidation = Some(Invalidation { kind, note });
            next.state = State::Invalid;
            next.closed_at = Some(now);
        }
    }

    next.version += 1;
    next.updated_at = now;
    let entry = HistoryEntry {
        order: order.id,
        at: now,
        actor: actor.user,
        actor_unit: actor.unit(),
        action,
        from_state: Some(order.state),
        to_state: next.state,
        detail,
    };
    let timers = crate::watch::timers(&next, ctx.rules, ctx.calendar)?;
    Ok(Decision { order: next, entry, timers })
}

/// Sends the order back to the unit holding it, with a fresh completion
/// allowance from now (a redo gets the same time as a new order of its kind).
fn reopen(next: &mut WorkOrder, ctx: &DecisionContext<'_>) -> Result<(), LifecycleError> {
    let completion = ctx.completion_due(next.order_type, next.urgency, ctx.now)?;
    next.deadlines = Deadlines { completion, completion_from: ctx.now, follow_up: None, ..next.deadlines };
    next.state = State::InProgress;
    next.resolved_at = None;
    Ok(())
}

/// Dispatch and re-dispatch alike: the order goes to `lead` (with its
/// co-handlers) to be signed for within the rules' time, counted from now.
/// Returns the sign-for deadline.
fn send_to(
    next: &mut WorkOrder,
    lead: UnitId,
    co_handlers: Vec<UnitId>,
    ctx: &DecisionContext<'_>,
) -> Result<DateTime<Utc>, LifecycleError> {
    let co = clean_co_handlers(lead, co_handlers)?;
    let sign_due = ctx.due(ctx.rules.sign_for, ctx.now)?;
    next.lead_unit = Some(lead);
    next.assignee_unit = Some(lead);
    next.co_units = co;
    next.state = State::Dispatched;
    next.dispatched_at = Some(ctx.now);
    next.signed_at = None;
    next.deadlines.sign_for = Some(sign_due);
    Ok(sign_due)
}

fn clean_co_handlers(lead: UnitId, co_handlers: Vec<UnitId>) -> Result<Vec<UnitId>, LifecycleError> {
    if co_handlers.contains(&lead) {
        return Err(invalid("co_handlers", "the lead unit cannot also be a co-handler"));
    }
    let mut co = Vec::with_capacity(co_handlers.len());
    for unit in co_handlers {
        if !co.contains(&unit) {
            co.push(unit);
        }
    }
    Ok(co)
}
