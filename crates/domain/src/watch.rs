//! Deadline watch (时限监控): the timers an order sets on each of its
//! deadlines, recomputed whenever the order changes.
//!
//! A timer is keyed by the deadline it watches and that deadline's instant,
//! so a timer that has fired never fires again for the same deadline, while
//! a moved deadline (an approved extension, a redo) gets fresh timers.

use crate::calendar::{CalendarError, WorkCalendar};
use crate::deadline::DeadlineRules;
use crate::ids::{OrderId, UnitId};
use crate::vocabulary::vocabulary;
use crate::work_order::{State, WorkOrder};
use chrono::{DateTime, Utc};
use serde::Serialize;

vocabulary!(
    /// Which deadline a timer watches.
    Watched, "watched deadline" {
        /// 签收时限
        SignFor = "sign_for", "签收";
        /// 办结时限
        Completion = "completion", "办结";
        /// 延期审批: the centre's decision on an extension request.
        Extension = "extension", "延期审批";
        /// 督办单答复
        Notice = "notice", "督办";
        /// 回访时限
        FollowUp = "follow_up", "回访";
        /// 应急联动: a partner's acknowledgement of an emergency alert.
        Emergency = "emergency", "应急联动";
        /// 突发预警: many related orders in a short time.
        Surge = "surge", "突发预警";
    }
);

vocabulary!(
    /// How serious an alert is; later levels outrank earlier ones.
    AlertLevel, "alert level" {
        /// 黄色预警: most of the time is used.
        Yellow = "yellow", "黄色预警";
        /// 红色超期: the deadline passed.
        Red = "red", "红色超期";
        /// 催办: the automatic reminder after a missed completion date.
        Reminder = "reminder", "催办";
        /// 升级督办: told to the supervisors and the unit's leaders.
        Escalation = "escalation", "升级督办";
    }
);

impl Watched {
    /// Timers the order's own deadlines define, replaced whenever the order
    /// changes; the others (an emergency alert's acknowledgement) are set
    /// and cancelled by their alert.
    pub fn follows_the_order(self) -> bool {
        !matches!(self, Self::Emergency | Self::Surge)
    }
}

/// One future alert of one order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Timer {
    pub order: OrderId,
    pub watched: Watched,
    /// The supervision notice watched; 0 for the order's own deadlines.
    pub subject: i64,
    pub level: AlertLevel,
    /// The deadline watched.
    pub due: DateTime<Utc>,
    pub fire_at: DateTime<Utc>,
    /// The unit to tell; `None`: the step is the centre's.
    pub unit: Option<UnitId>,
}

/// The timers of an order as it stands: none once it is finished.
pub fn timers(order: &WorkOrder, rules: &DeadlineRules, calendar: &WorkCalendar) -> Result<Vec<Timer>, CalendarError> {
    let mut out = Vec::new();
    if order.state.is_terminal() {
        return Ok(out);
    }
    let holder = matches!(order.state, State::Dispatched | State::InProgress).then_some(order.assignee_unit.or(order.lead_unit)).flatten();
    let step = |watched, subject, unit, due| Timer { order: order.id, watched, subject, level: AlertLevel::Red, due, fire_at: due, unit };
    if order.state == State::Dispatched
        && let (Some(start), Some(due)) = (order.dispatched_at, order.deadlines.sign_for)
    {
        warn_and_red(&mut out, rules, start, step(Watched::SignFor, 0, holder, due));
    }
    if order.resolved_at.is_none() {
        let d = &order.deadlines;
        let red = step(Watched::Completion, 0, holder, d.completion);
        warn_and_red(&mut out, rules, d.completion_from, red.clone());
        let after = |span: crate::DeadlineSpan| span.due_from(calendar, d.completion);
        out.push(Timer { level: AlertLevel::Reminder, fire_at: after(rules.reminder_after)?, ..red.clone() });
        out.push(Timer { level: AlertLevel::Escalation, fire_at: after(rules.escalate_after)?, ..red });
    }
    if let Some(request) = &order.pending_extension {
        let due = rules.extension_decision.due_from(calendar, request.at)?;
        warn_and_red(&mut out, rules, request.at, step(Watched::Extension, 0, None, due));
    }
    for notice in order.open_notices() {
        warn_and_red(&mut out, rules, notice.issued_at, step(Watched::Notice, notice.id.0, Some(notice.unit), notice.due_at));
    }
    if order.state == State::PendingFollowUp
        && let (Some(start), Some(due)) = (order.resolved_at, order.deadlines.follow_up)
    {
        warn_and_red(&mut out, rules, start, step(Watched::FollowUp, 0, None, due));
    }
    Ok(out)
}

/// The yellow warning when the configured share of `[start, due)` is used,
/// then the red one at the deadline.
fn warn_and_red(out: &mut Vec<Timer>, rules: &DeadlineRules, start: DateTime<Utc>, red: Timer) {
    if start < red.due {
        let used = (red.due - start) * i32::from(rules.warn_at_percent) / 100;
        out.push(Timer { level: AlertLevel::Yellow, fire_at: start + used, ..red.clone() });
    }
    out.push(red);
}

/// Of timers found due together, the ones worth telling: per deadline only
/// the most serious level, so an order overdue for weeks while the server
/// was down raises one escalation, not a yellow, a red, a reminder and an
/// escalation at once. The others are fired silently.
pub fn most_serious(due: &[Timer]) -> Vec<&Timer> {
    let mut best: Vec<&Timer> = Vec::new();
    for t in due {
        match best.iter_mut().find(|b| (b.order, b.watched, b.subject, b.due) == (t.order, t.watched, t.subject, t.due)) {
            Some(b) if b.level < t.level => *b = t,
            Some(_) => {}
            None => best.push(t),
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{NoticeId, UserId};
    use crate::org::{Actor, Affiliation, Role, RoleSet};
    use crate::work_order::*;
    use crate::{CategoryId, Description, OrderNoPrefix, Reason, Subject, WorkOrderNo};
    use chrono::Duration;

    const TOWN: UnitId = UnitId(100);

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn centre(role: Role) -> Actor {
        Actor { user: UserId(1), affiliation: Affiliation::Centre, roles: RoleSet::new([role]) }
    }

    fn handler() -> Actor {
        Actor { user: UserId(2), affiliation: Affiliation::Unit(TOWN), roles: RoleSet::new([Role::Handler]) }
    }

    struct World {
        calendar: WorkCalendar,
        rules: DeadlineRules,
    }

    impl World {
        fn ctx(&self, now: DateTime<Utc>) -> DecisionContext<'_> {
            DecisionContext { now, calendar: &self.calendar, rules: &self.rules }
        }

        fn act(&self, order: &WorkOrder, actor: &Actor, command: Command, now: DateTime<Utc>) -> Decision {
            decide(order, actor, command, &self.ctx(now)).unwrap()
        }
    }

    fn pick(timers: &[Timer], watched: Watched) -> Vec<(AlertLevel, DateTime<Utc>, Option<UnitId>)> {
        timers.iter().filter(|t| t.watched == watched).map(|t| (t.level, t.fire_at, t.unit)).collect()
    }

    #[test]
    fn each_step_sets_its_timers_and_drops_them_once_done() {
        let w = World { calendar: WorkCalendar::china_default(), rules: DeadlineRules::default() };
        // Monday 2026-11-16 09:00 in Dongguan: a complaint, 15 working days.
        let now = at("2026-11-16T09:00:00+08:00");
        let input = NewWorkOrder {
            channel: Channel::Phone,
            order_type: OrderType::Complaint,
            category: CategoryId(7),
            urgency: Urgency::Normal,
            caller: Caller { name: None, phone: None, anonymous: true, confidential: false, sms_opt_out: false },
            location: Location { town: Some(TOWN), address: None, coordinates: None },
            subject: Subject::parse("噪音扰民").unwrap(),
            description: Description::parse("工地夜间施工").unwrap(),
            call_id: None,
            direct_answer: None,
            emergency: None,
            external_ref: None,
            media_url: None,
        };
        let registration =
            Registration { id: OrderId(1), number: WorkOrderNo::new(&OrderNoPrefix::parse("DG").unwrap(), now.date_naive(), 1) };
        let d = register(input, &centre(Role::Consultant), registration, &w.ctx(now)).unwrap();
        let due = d.order.deadlines.completion;
        assert_eq!(due, at("2026-12-07T18:00:00+08:00"), "15 working days to the close of day, weekends skipped");
        let used = (due - now) * 3 / 4;
        assert_eq!(
            pick(&d.timers, Watched::Completion),
            vec![
                (AlertLevel::Yellow, now + used, None),
                (AlertLevel::Red, due, None),
                (AlertLevel::Reminder, due + Duration::hours(24), None),
                (AlertLevel::Escalation, at("2026-12-10T18:00:00+08:00"), None),
            ],
            "waiting for dispatch, the centre is told"
        );

        let d = w.act(&d.order, &centre(Role::Dispatcher), Command::Dispatch { lead: TOWN, co_handlers: vec![], note: None }, now);
        assert_eq!(
            pick(&d.timers, Watched::SignFor),
            vec![(AlertLevel::Yellow, now + Duration::minutes(90), Some(TOWN)), (AlertLevel::Red, now + Duration::hours(2), Some(TOWN))]
        );
        assert!(pick(&d.timers, Watched::Completion).iter().all(|(_, _, unit)| *unit == Some(TOWN)), "the unit holding it is told");

        let later = now + Duration::hours(1);
        let d = w.act(&d.order, &handler(), Command::SignFor, later);
        assert!(pick(&d.timers, Watched::SignFor).is_empty());
        let d = w.act(
            &d.order,
            &centre(Role::Supervisor),
            Command::Supervise { notice: NoticeId(9), text: Reason::parse("加快").unwrap(), due: Some(later + Duration::hours(8)) },
            later,
        );
        assert_eq!(
            d.timers.iter().filter(|t| t.watched == Watched::Notice).map(|t| (t.subject, t.level, t.fire_at)).collect::<Vec<_>>(),
            vec![(9, AlertLevel::Yellow, later + Duration::hours(6)), (9, AlertLevel::Red, later + Duration::hours(8))]
        );
        let d = w.act(
            &d.order,
            &handler(),
            Command::AnswerSupervision { notice: NoticeId(9), text: Description::parse("已处理").unwrap() },
            later,
        );
        assert!(pick(&d.timers, Watched::Notice).is_empty());
        let d = w.act(
            &d.order,
            &handler(),
            Command::RequestExtension { reason: Reason::parse("需协调").unwrap(), requested_due: due + Duration::days(7) },
            later,
        );
        let decision_due = at("2026-11-17T18:00:00+08:00");
        assert_eq!(
            pick(&d.timers, Watched::Extension),
            vec![(AlertLevel::Yellow, later + (decision_due - later) * 3 / 4, None), (AlertLevel::Red, decision_due, None)]
        );
        let d = w.act(&d.order, &centre(Role::Dispatcher), Command::DecideExtension { approve: true, note: None }, later);
        assert!(pick(&d.timers, Watched::Extension).is_empty());
        assert_eq!(
            pick(&d.timers, Watched::Completion)[1],
            (AlertLevel::Red, due + Duration::days(7), Some(TOWN)),
            "the new date is watched"
        );

        let d = w.act(
            &d.order,
            &handler(),
            Command::SubmitResult {
                result: Description::parse("已停工").unwrap(),
                solved: true,
                public_reply: Description::parse("已处理").unwrap(),
                contacted_citizen_at: None,
            },
            later,
        );
        assert!(d.timers.is_empty(), "review has no deadline: {:?}", d.timers);
        let d = w.act(&d.order, &centre(Role::Reviewer), Command::Review(ReviewVerdict::Pass { publish: false }), later);
        let follow_up_due = d.order.deadlines.follow_up.unwrap();
        assert_eq!(pick(&d.timers, Watched::FollowUp).last(), Some(&(AlertLevel::Red, follow_up_due, None)));
        let d = w.act(
            &d.order,
            &centre(Role::Consultant),
            Command::FollowUp {
                contacted: true,
                satisfaction: Some(Satisfaction::Unsatisfied),
                solved: Some(false),
                note: None,
                outcome: FollowUpOutcome::Redo,
            },
            later,
        );
        let redo = pick(&d.timers, Watched::Completion);
        assert_eq!(redo[0].1, later + (d.order.deadlines.completion - later) * 3 / 4, "a redo's warning counts from the redo");
        let result = Command::SubmitResult {
            result: Description::parse("已停工").unwrap(),
            solved: true,
            public_reply: Description::parse("已处理").unwrap(),
            contacted_citizen_at: None,
        };
        let d = w.act(&d.order, &handler(), result, later);
        let d = w.act(&d.order, &centre(Role::Reviewer), Command::Review(ReviewVerdict::Pass { publish: false }), later);
        let satisfied = Command::FollowUp {
            contacted: true,
            satisfaction: Some(Satisfaction::Satisfied),
            solved: Some(true),
            note: None,
            outcome: FollowUpOutcome::Archive,
        };
        let d = w.act(&d.order, &centre(Role::Consultant), satisfied, later);
        assert!(d.timers.is_empty(), "a finished order has no timers");
    }

    #[test]
    fn of_timers_due_together_only_the_most_serious_is_told() {
        let t = |order: i64, level, due: &str| Timer {
            order: OrderId(order),
            watched: Watched::Completion,
            subject: 0,
            level,
            due: at(due),
            fire_at: at(due),
            unit: None,
        };
        let due = [
            t(1, AlertLevel::Yellow, "2026-11-01T00:00:00Z"),
            t(1, AlertLevel::Escalation, "2026-11-01T00:00:00Z"),
            t(1, AlertLevel::Red, "2026-11-01T00:00:00Z"),
            t(2, AlertLevel::Yellow, "2026-11-01T00:00:00Z"),
            t(1, AlertLevel::Yellow, "2026-11-09T00:00:00Z"),
        ];
        let told: Vec<(i64, AlertLevel)> = most_serious(&due).iter().map(|t| (t.order.0, t.level)).collect();
        assert_eq!(told, vec![(1, AlertLevel::Escalation), (2, AlertLevel::Yellow), (1, AlertLevel::Yellow)]);
    }
}
