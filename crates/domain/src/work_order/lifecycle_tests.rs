//! The lifecycle walked end to end, and every refusal it owes.

use super::*;
use crate::calendar::{CalendarDay, WorkCalendar};
use crate::deadline::DeadlineRules;
use crate::ids::{NoticeId, OrderId, UnitId, UserId};
use crate::org::{Actor, Affiliation, Role, RoleSet};
use crate::{CategoryId, Description, OrderNoPrefix, PersonName, PhoneNumber, Reason, Subject, WorkOrderNo};
use chrono::{DateTime, Duration, NaiveDate, Utc};

const TOWN: UnitId = UnitId(100);
const OTHER_TOWN: UnitId = UnitId(101);
const VILLAGE: UnitId = UnitId(150);
const HOUSING: UnitId = UnitId(200);

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn centre(id: i64, role: Role) -> Actor {
    Actor { user: UserId(id), affiliation: Affiliation::Centre, roles: RoleSet::new([role]) }
}

fn handler(id: i64, unit: UnitId) -> Actor {
    Actor { user: UserId(id), affiliation: Affiliation::Unit(unit), roles: RoleSet::new([Role::Handler]) }
}

struct World {
    calendar: WorkCalendar,
    rules: DeadlineRules,
    now: DateTime<Utc>,
}

impl World {
    fn new() -> Self {
        let mut calendar = WorkCalendar::china_default();
        calendar.set_day(CalendarDay { date: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(), working: false, name: "国庆节".into() });
        Self { calendar, rules: DeadlineRules::default(), now: at("2026-09-28T09:00:00+08:00") }
    }

    fn ctx(&self) -> DecisionContext<'_> {
        DecisionContext { now: self.now, calendar: &self.calendar, rules: &self.rules }
    }

    fn later(&mut self, hours: i64) {
        self.now += Duration::hours(hours);
    }

    fn register(&self, order_type: OrderType, urgency: Urgency) -> WorkOrder {
        self.register_marked(order_type, urgency, None).order
    }

    fn register_marked(&self, order_type: OrderType, urgency: Urgency, emergency: Option<crate::emergency::EmergencyMark>) -> Decision {
        let input = NewWorkOrder {
            channel: Channel::Phone,
            order_type,
            category: CategoryId(7),
            urgency,
            caller: Caller {
                name: Some(PersonName::parse("李女士").unwrap()),
                phone: Some(PhoneNumber::parse("13912345678").unwrap()),
                anonymous: false,
                confidential: false,
                sms_opt_out: false,
            },
            location: Location { town: Some(TOWN), address: Some(Subject::parse("东城街道主山社区").unwrap()), coordinates: None },
            subject: Subject::parse("小区门口路灯不亮").unwrap(),
            description: Description::parse("主山社区东门路灯已经坏了两周，晚上很黑。").unwrap(),
            call_id: Some("call-1".into()),
            direct_answer: None,
            emergency,
            external_ref: None,
            media_url: None,
        };
        let registration =
            Registration { id: OrderId(1), number: WorkOrderNo::new(&OrderNoPrefix::parse("DG").unwrap(), self.now.date_naive(), 1) };
        register(input, &centre(1, Role::Consultant), registration, &self.ctx()).unwrap()
    }

    fn act(&self, order: &WorkOrder, actor: &Actor, command: Command) -> Result<WorkOrder, LifecycleError> {
        decide(order, actor, command, &self.ctx()).map(|d| d.order)
    }
}

fn reason(s: &str) -> Reason {
    Reason::parse(s).unwrap()
}

fn text(s: &str) -> Description {
    Description::parse(s).unwrap()
}

fn submit() -> Command {
    Command::SubmitResult {
        result: text("已更换灯泡"), solved: true, public_reply: text("路灯已修复。"), contacted_citizen_at: None
    }
}

#[test]
fn a_complaint_goes_from_registration_to_archive_through_every_step() {
    let mut w = World::new();
    let dispatcher = centre(2, Role::Dispatcher);
    let reviewer = centre(3, Role::Reviewer);
    let consultant = centre(1, Role::Consultant);
    let town = handler(10, TOWN);

    let order = w.register(OrderType::Complaint, Urgency::Normal);
    assert_eq!(order.state, State::PendingDispatch);
    // Monday 28 Sep + 15 working days, 1 Oct off: Tuesday 20 Oct.
    assert_eq!(order.deadlines.completion, at("2026-10-20T18:00:00+08:00"));
    assert_eq!(order.version, 1);

    w.later(1);
    let order = w.act(&order, &dispatcher, Command::Dispatch { lead: TOWN, co_handlers: vec![HOUSING, HOUSING], note: None }).unwrap();
    assert_eq!((order.state, order.lead_unit, order.co_units.clone()), (State::Dispatched, Some(TOWN), vec![HOUSING]));
    assert_eq!(order.deadlines.sign_for, Some(w.now + Duration::hours(2)));
    assert_eq!(order.version, 2);

    w.later(1);
    let order = w.act(&order, &town, Command::SignFor).unwrap();
    assert_eq!(order.state, State::InProgress);
    assert_eq!(order.signed_at, Some(w.now));

    let order = w
        .act(&order, &handler(20, HOUSING), Command::AddProgress { kind: ProgressKind::CoHandlingOpinion, text: text("已派人核查线路") })
        .unwrap();

    let requested = at("2026-10-30T18:00:00+08:00");
    let order = w.act(&order, &town, Command::RequestExtension { reason: reason("需更换电缆"), requested_due: requested }).unwrap();
    let order = w.act(&order, &reviewer, Command::DecideExtension { approve: true, note: None }).unwrap();
    assert_eq!(order.deadlines.completion, requested);
    assert_eq!(order.counters.extensions, 1);

    let order = w.act(&order, &town, Command::SubDispatch { unit: VILLAGE, note: None }).unwrap();
    assert_eq!(order.assignee_unit, Some(VILLAGE));
    assert!(order.involvements().contains(&(VILLAGE, Involvement::SubUnit, true)));

    w.later(24);
    let order = w.act(&order, &handler(30, VILLAGE), submit()).unwrap();
    assert_eq!(order.state, State::PendingReview);
    let order = w.act(&order, &reviewer, Command::Review(ReviewVerdict::Fail { reason: reason("未说明更换时间") })).unwrap();
    assert_eq!((order.state, order.counters.review_failures), (State::InProgress, 1));
    let order = w.act(&order, &town, submit()).unwrap();
    let order = w.act(&order, &reviewer, Command::Review(ReviewVerdict::Pass { publish: false })).unwrap();
    assert_eq!(order.state, State::PendingFollowUp);
    assert!(order.deadlines.follow_up.is_some());

    let unsatisfied = Command::FollowUp {
        contacted: true,
        satisfaction: Some(Satisfaction::Unsatisfied),
        solved: Some(false),
        note: Some(reason("灯又坏了")),
        outcome: FollowUpOutcome::Redo,
    };
    w.later(24);
    let order = w.act(&order, &consultant, unsatisfied).unwrap();
    assert_eq!((order.state, order.counters.redos), (State::InProgress, 1));
    assert!(order.deadlines.completion > w.now, "a redo gets a fresh allowance");

    let order = w.act(&order, &town, submit()).unwrap();
    assert!(!order.result.as_ref().unwrap().published, "a new result starts unpublished");
    let order = w.act(&order, &reviewer, Command::Review(ReviewVerdict::Pass { publish: true })).unwrap();
    assert!(order.result.as_ref().unwrap().published, "the reviewer decided to publish it");
    let satisfied = Command::FollowUp {
        contacted: true,
        satisfaction: Some(Satisfaction::Satisfied),
        solved: Some(true),
        note: None,
        outcome: FollowUpOutcome::Archive,
    };
    let order = w.act(&order, &consultant, satisfied).unwrap();
    assert_eq!(order.state, State::Archived);
    assert_eq!(order.closed_at, Some(w.now));
    assert!(order.involvements().iter().all(|(_, _, active)| !active));
    assert!(available_actions(&order, &dispatcher).is_empty());
}

#[test]
fn an_illegal_transition_names_the_allowed_ones() {
    let w = World::new();
    let order = w.register(OrderType::Help, Urgency::Normal);
    let err = w.act(&order, &handler(10, TOWN), Command::SignFor).unwrap_err();
    match err {
        LifecycleError::NotAllowed { action, state, allowed } => {
            assert_eq!((action, state), (Action::SignFor, State::PendingDispatch));
            assert!(allowed.contains(&Action::Dispatch) && !allowed.contains(&Action::SignFor));
        }
        other => panic!("expected NotAllowed, got {other:?}"),
    }
}

#[test]
fn only_the_right_people_act() {
    let w = World::new();
    let order = w.register(OrderType::Help, Urgency::Normal);
    let dispatch = Command::Dispatch { lead: TOWN, co_handlers: vec![], note: None };
    assert!(matches!(w.act(&order, &centre(1, Role::Consultant), dispatch.clone()), Err(LifecycleError::Forbidden(_))));
    assert!(matches!(w.act(&order, &handler(10, TOWN), dispatch.clone()), Err(LifecycleError::Forbidden(_))));
    let order = w.act(&order, &centre(2, Role::Dispatcher), dispatch).unwrap();
    // Another town cannot sign for it, nor can a co-handler.
    assert!(matches!(w.act(&order, &handler(11, OTHER_TOWN), Command::SignFor), Err(LifecycleError::Forbidden(_))));
    assert_eq!(available_actions(&order, &handler(10, TOWN)), vec![Action::SignFor, Action::Return, Action::AddProgress]);
    assert_eq!(available_actions(&order, &handler(11, OTHER_TOWN)), vec![]);
    // A centre user holding a unit role on paper still is not the unit.
    let odd = Actor { user: UserId(9), affiliation: Affiliation::Centre, roles: RoleSet::new([Role::Handler]) };
    assert!(w.act(&order, &odd, Command::SignFor).is_err());
}

#[test]
fn a_reports_reply_is_never_published() {
    let w = World::new();
    let (dispatcher, town, reviewer) = (centre(2, Role::Dispatcher), handler(10, TOWN), centre(3, Role::Reviewer));
    let order = w.register(OrderType::Report, Urgency::Normal);
    let order = w.act(&order, &dispatcher, Command::Dispatch { lead: TOWN, co_handlers: vec![], note: None }).unwrap();
    let order = w.act(&order, &town, Command::SignFor).unwrap();
    let submit =
        Command::SubmitResult {
            result: text("已查处"), solved: true, public_reply: text("已依法查处"), contacted_citizen_at: None
        };
    let order = w.act(&order, &town, submit).unwrap();
    let refused = w.act(&order, &reviewer, Command::Review(ReviewVerdict::Pass { publish: true }));
    assert!(matches!(refused, Err(LifecycleError::Invalid(e)) if e.0[0].field == "publish"));
    let passed = w.act(&order, &reviewer, Command::Review(ReviewVerdict::Pass { publish: false })).unwrap();
    assert_eq!((passed.state, passed.result.unwrap().published), (State::PendingFollowUp, false));
}

#[test]
fn a_return_is_redispatched_or_rejected_back_to_where_it_was() {
    let mut w = World::new();
    let dispatcher = centre(2, Role::Dispatcher);
    let town = handler(10, TOWN);
    let order = w.register(OrderType::Help, Urgency::Normal);
    let order = w.act(&order, &dispatcher, Command::Dispatch { lead: TOWN, co_handlers: vec![], note: None }).unwrap();

    // Returned before signing, rejected: back to waiting for sign-for, with a new window.
    w.later(1);
    let returned = w.act(&order, &town, Command::Return { reason: reason("不属本镇管辖") }).unwrap();
    assert_eq!((returned.state, returned.counters.returns), (State::Returned, 1));
    w.later(1);
    let rejected = w.act(&returned, &dispatcher, Command::DecideReturn(ReturnDecision::Reject { reason: reason("属地管理") })).unwrap();
    assert_eq!(rejected.state, State::Dispatched);
    assert_eq!(rejected.deadlines.sign_for, Some(w.now + Duration::hours(2)));

    // Returned after signing, rejected: back in progress.
    let signed = w.act(&rejected, &town, Command::SignFor).unwrap();
    let returned = w.act(&signed, &town, Command::Return { reason: reason("属住建部门职责") }).unwrap();
    let back = w.act(&returned, &dispatcher, Command::DecideReturn(ReturnDecision::Reject { reason: reason("先行处置") })).unwrap();
    assert_eq!(back.state, State::InProgress);

    // Agreed: re-dispatched to another unit, which must sign again.
    let returned = w.act(&back, &town, Command::Return { reason: reason("属住建部门职责") }).unwrap();
    let same = w.act(&returned, &dispatcher, Command::DecideReturn(ReturnDecision::Redispatch { lead: TOWN, co_handlers: vec![] }));
    assert!(matches!(same, Err(LifecycleError::Invalid(e)) if e.0[0].field == "lead"));
    let moved = w
        .act(&returned, &dispatcher, Command::DecideReturn(ReturnDecision::Redispatch { lead: HOUSING, co_handlers: vec![TOWN] }))
        .unwrap();
    assert_eq!((moved.state, moved.lead_unit, moved.signed_at), (State::Dispatched, Some(HOUSING), None));
    assert_eq!(moved.counters.returns, 3);
    assert_eq!(moved.counters.returned_by, vec![TOWN], "the town returned it, three times");
    assert!(moved.involvements().contains(&(TOWN, Involvement::Returner, false)));
    // The town is now a co-handler: involved, but it cannot sign.
    assert!(w.act(&moved, &town, Command::SignFor).is_err());
}

#[test]
fn extensions_are_asked_in_time_for_a_later_date_and_once_at_a_time() {
    let mut w = World::new();
    let town = handler(10, TOWN);
    let order = w.register(OrderType::Consultation, Urgency::Normal);
    let order = w.act(&order, &centre(2, Role::Dispatcher), Command::Dispatch { lead: TOWN, co_handlers: vec![], note: None }).unwrap();
    let order = w.act(&order, &town, Command::SignFor).unwrap();
    let due = order.deadlines.completion;

    let earlier = w.act(&order, &town, Command::RequestExtension { reason: reason("需协调"), requested_due: due - Duration::hours(1) });
    assert!(matches!(earlier, Err(LifecycleError::Invalid(e)) if e.0[0].field == "requested_due"));
    let asked =
        w.act(&order, &town, Command::RequestExtension { reason: reason("需协调"), requested_due: due + Duration::days(5) }).unwrap();
    let twice = w.act(&asked, &town, Command::RequestExtension { reason: reason("再延"), requested_due: due + Duration::days(9) });
    assert!(matches!(twice, Err(LifecycleError::Forbidden(_))));
    let refused =
        w.act(&asked, &centre(3, Role::Reviewer), Command::DecideExtension { approve: false, note: Some(reason("理由不足")) }).unwrap();
    assert_eq!((refused.deadlines.completion, refused.pending_extension.clone()), (due, None));
    let nothing = w.act(&refused, &centre(3, Role::Reviewer), Command::DecideExtension { approve: true, note: None });
    assert!(matches!(nothing, Err(LifecycleError::Forbidden(_))));

    w.now = due + Duration::minutes(1);
    let late = w.act(&refused, &town, Command::RequestExtension { reason: reason("晚了"), requested_due: due + Duration::days(5) });
    assert!(matches!(late, Err(LifecycleError::Invalid(_))));
    assert!(refused.is_overdue(w.now));
}

#[test]
fn follow_up_fields_must_fit_the_outcome() {
    let w = World::new();
    let order = w.register(OrderType::Help, Urgency::Normal);
    let mut order = order;
    order.state = State::PendingFollowUp;
    order.lead_unit = Some(TOWN);
    let consultant = centre(1, Role::Consultant);
    let follow = |contacted, satisfaction, solved, note: Option<&str>, outcome| Command::FollowUp {
        contacted,
        satisfaction,
        solved,
        note: note.map(reason),
        outcome,
    };
    let fields = |r: Result<WorkOrder, LifecycleError>| match r {
        Err(LifecycleError::Invalid(e)) => e.0.into_iter().map(|f| f.field).collect::<Vec<_>>(),
        other => panic!("expected field errors, got {other:?}"),
    };
    assert_eq!(
        fields(w.act(&order, &consultant, follow(true, None, None, None, FollowUpOutcome::Archive))),
        vec!["satisfaction", "solved"]
    );
    assert_eq!(
        fields(w.act(&order, &consultant, follow(true, Some(Satisfaction::Satisfied), Some(true), None, FollowUpOutcome::Redo))),
        vec!["outcome"]
    );
    assert_eq!(fields(w.act(&order, &consultant, follow(false, None, None, None, FollowUpOutcome::Archive))), vec!["note"]);
    let retried = w.act(&order, &consultant, follow(false, None, None, None, FollowUpOutcome::Retry)).unwrap();
    assert_eq!((retried.state, retried.counters.follow_up_attempts), (State::PendingFollowUp, 1));
    let archived = w.act(&retried, &consultant, follow(false, None, None, Some("三次未接通"), FollowUpOutcome::Archive)).unwrap();
    assert_eq!(archived.state, State::Archived);
}

#[test]
fn supervision_notices_go_to_the_lead_unit_which_answers_them() {
    let w = World::new();
    let supervisor = centre(4, Role::Supervisor);
    let order = w.register(OrderType::Complaint, Urgency::Urgent);
    assert_eq!(order.deadlines.completion, w.now + Duration::hours(24));
    let notice = Command::Supervise { notice: NoticeId(5), text: reason("请加快办理"), due: None };
    assert!(matches!(w.act(&order, &supervisor, notice.clone()), Err(LifecycleError::Forbidden(_))), "no unit yet");
    let order = w.act(&order, &centre(2, Role::Dispatcher), Command::Dispatch { lead: TOWN, co_handlers: vec![], note: None }).unwrap();
    let order = w.act(&order, &supervisor, notice).unwrap();
    assert_eq!(order.open_notices().count(), 1);
    assert!(order.notices[0].due_at > w.now);
    let answer = Command::AnswerSupervision { notice: NoticeId(5), text: text("已安排专人处理") };
    assert!(w.act(&order, &handler(11, OTHER_TOWN), answer.clone()).is_err());
    let order = w.act(&order, &handler(10, TOWN), answer.clone()).unwrap();
    assert_eq!(order.open_notices().count(), 0);
    assert!(w.act(&order, &handler(10, TOWN), answer).is_err(), "answered once");
    let past = Command::Supervise { notice: NoticeId(6), text: reason("x"), due: Some(w.now - Duration::hours(1)) };
    assert!(matches!(w.act(&order, &supervisor, past), Err(LifecycleError::Invalid(_))));
}

#[test]
fn direct_answers_merges_and_invalid_calls_close_the_order() {
    let w = World::new();
    let consultant = centre(1, Role::Consultant);
    let dispatcher = centre(2, Role::Dispatcher);
    let order = w.register(OrderType::Consultation, Urgency::Normal);

    let answered = w.act(&order, &consultant, Command::AnswerDirectly { answer: text("社保卡补办请携带身份证到任一网点。") }).unwrap();
    assert_eq!((answered.state, answered.resolved_at), (State::Archived, Some(w.now)));

    let master = MasterOrder { id: OrderId(99), number: WorkOrderNo::parse("DG20260928000099").unwrap(), state: State::InProgress };
    let merged = w.act(&order, &dispatcher, Command::Merge { master: master.clone() }).unwrap();
    assert_eq!((merged.state, merged.merged_into), (State::Merged, Some(OrderId(99))));
    let into_self = MasterOrder { id: order.id, ..master.clone() };
    assert!(w.act(&order, &dispatcher, Command::Merge { master: into_self }).is_err());
    let into_merged = MasterOrder { state: State::Merged, ..master };
    assert!(w.act(&order, &dispatcher, Command::Merge { master: into_merged }).is_err());

    let other_without_note = w.act(&order, &consultant, Command::Invalidate { kind: InvalidKind::Other, note: None });
    assert!(matches!(other_without_note, Err(LifecycleError::Invalid(_))));
    let invalid = w.act(&order, &consultant, Command::Invalidate { kind: InvalidKind::Silent, note: None }).unwrap();
    assert_eq!(invalid.state, State::Invalid);
}

#[test]
fn registration_checks_the_caller_and_the_registrar() {
    let w = World::new();
    let mut order = w.register(OrderType::Help, Urgency::Critical);
    assert_eq!(order.deadlines.completion, w.now + Duration::hours(2));
    order.caller.anonymous = true;
    let input = NewWorkOrder {
        channel: order.channel,
        order_type: order.order_type,
        category: order.category,
        urgency: order.urgency,
        caller: order.caller.clone(),
        location: order.location.clone(),
        subject: order.subject.clone(),
        description: order.description.clone(),
        call_id: Some("bad id with spaces".into()),
        direct_answer: None,
        emergency: None,
        external_ref: None,
        media_url: None,
    };
    let registration = Registration { id: OrderId(2), number: order.number.clone() };
    match register(input.clone(), &centre(1, Role::Consultant), registration.clone(), &w.ctx()) {
        Err(LifecycleError::Invalid(e)) => {
            let fields: Vec<_> = e.0.iter().map(|f| f.field.as_str()).collect();
            assert_eq!(fields, vec!["caller.name", "call_id"]);
        }
        other => panic!("expected field errors, got {other:?}"),
    }
    assert!(matches!(register(input, &handler(10, TOWN), registration, &w.ctx()), Err(LifecycleError::Forbidden(_))));
}

#[test]
fn every_state_has_a_way_forward_or_is_terminal() {
    for state in State::ALL {
        let actions = actions_in(*state);
        if state.is_terminal() {
            assert_eq!(actions, &[Action::AnswerSupervision], "{state}");
        } else {
            assert!(actions.contains(&Action::Supervise), "{state} can be supervised");
        }
    }
}

#[test]
fn an_emergency_is_raised_to_its_rules_urgency_read_by_its_partners_and_lowered_only_by_the_centre_with_a_reason() {
    use crate::emergency::{EmergencyMark, MatchedRule};
    const EMERGENCY_OFFICE: UnitId = UnitId(300);
    let mut w = World::new();
    let mark = EmergencyMark {
        rules: vec![MatchedRule { id: 9, name: "燃气泄漏".into() }],
        urgency: Urgency::Critical,
        partners: vec![EMERGENCY_OFFICE],
    };
    let registered = w.register_marked(OrderType::Help, Urgency::Normal, Some(mark));
    let order = registered.order;
    assert_eq!(order.urgency, Urgency::Critical);
    assert_eq!(order.deadlines.completion, w.now + Duration::hours(2), "a critical order's two hours, not ten working days");
    assert_eq!(registered.entry.detail["urgency_raised_from"], "normal");
    assert_eq!(registered.entry.detail["emergency"][0]["name"], "燃气泄漏");
    assert!(order.involvements().contains(&(EMERGENCY_OFFICE, Involvement::Partner, false)), "never on its pending list");

    // The partner responds before any unit has the order, but does not handle it.
    let office = handler(30, EMERGENCY_OFFICE);
    let order = w.act(&order, &office, Command::AddProgress { kind: ProgressKind::SiteVisit, text: text("已通知燃气公司关阀") }).unwrap();
    assert_eq!(available_actions(&order, &office), vec![Action::AddProgress]);
    assert!(matches!(
        w.act(&order, &handler(31, OTHER_TOWN), Command::AddProgress { kind: ProgressKind::Note, text: text("x") }),
        Err(LifecycleError::Forbidden(_))
    ));

    w.later(1);
    let lower = |urgency| Command::ChangeUrgency { urgency, reason: reason("市民确认只是下水道异味") };
    assert!(matches!(w.act(&order, &office, lower(Urgency::Normal)), Err(LifecycleError::Forbidden(_))));
    let decision = decide(&order, &centre(1, Role::Consultant), lower(Urgency::Normal), &w.ctx()).unwrap();
    // Counted again from the registration, not from the change.
    assert_eq!(decision.order.urgency, Urgency::Normal);
    assert_eq!(decision.order.deadlines.completion, w.ctx().completion_due(OrderType::Help, Urgency::Normal, order.created_at).unwrap());
    assert!(decision.order.deadlines.completion > order.deadlines.completion + Duration::days(2));
    assert_eq!(
        (decision.entry.detail["from"].as_str(), decision.entry.detail["reason"].as_str()),
        (Some("critical"), Some("市民确认只是下水道异味"))
    );
    assert!(decision.timers.iter().any(|t| t.due == decision.order.deadlines.completion), "the timers follow the new deadline");
    let again = decide(&decision.order, &centre(1, Role::Consultant), lower(Urgency::Normal), &w.ctx());
    assert!(matches!(again, Err(LifecycleError::Invalid(_))), "no change is refused");
}
