//! Demo work orders: registered over the last few months and walked through
//! the real lifecycle (the domain's own `register` and `decide`), so every
//! history, deadline and counter is what the platform would have produced.

use super::DemoOptions;
use super::requests::{Request, Requests, pick, text};
use super::texts::TEMPLATES;
use super::users::People;
use crate::{SeedError, SeedResult};
use chrono::{DateTime, Datelike, Duration, Timelike, Utc, Weekday};
use hotline_app::App;
use hotline_domain::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;

/// Where a recent order may be left waiting, so the demo shows every state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stall {
    BeforeDispatch,
    BeforeSign,
    AtReturn,
    AtReview,
    AtFollowUp,
}

const BATCH: usize = 500;

const RETURN_REASONS: [&str; 3] = ["该事项不属本单位职责范围", "地址不在本辖区", "诉求内容涉及其他部门审批事项"];

struct Sim<'a> {
    order: WorkOrder,
    history: Vec<HistoryEntry>,
    calendar: &'a WorkCalendar,
    rules: &'a DeadlineRules,
    now: DateTime<Utc>,
}

impl Sim<'_> {
    /// Applies a command at `at`; false when `at` lies in the future.
    fn step(&mut self, actor: &Actor, command: Command, at: DateTime<Utc>) -> SeedResult<bool> {
        if at > self.now {
            return Ok(false);
        }
        let ctx = DecisionContext { now: at, calendar: self.calendar, rules: self.rules };
        let action = command.action();
        let d = decide(&self.order, actor, command, &ctx)
            .map_err(|e| SeedError::Inconsistent(format!("demo step {action} on {}: {e}", self.order.number)))?;
        self.order = d.order;
        self.history.push(d.entry);
        Ok(true)
    }

    fn last(&self) -> DateTime<Utc> {
        self.order.updated_at
    }
}

fn reason(s: &str) -> Reason {
    Reason::parse(s).expect("demo reasons are valid")
}

fn minutes(rng: &mut StdRng, from: i64, to: i64) -> Duration {
    Duration::minutes(rng.random_range(from..to))
}

/// A registration time: weekdays busier than weekends, daytime busier than night.
fn registration_time(rng: &mut StdRng, now: DateTime<Utc>, days: i64, calendar: &WorkCalendar) -> DateTime<Utc> {
    loop {
        let t = now - Duration::seconds(rng.random_range(120..days * 86_400));
        let local = t.with_timezone(&calendar.time_zone());
        let weekend = matches!(local.weekday(), Weekday::Sat | Weekday::Sun);
        let night = !(8..22).contains(&local.hour());
        let keep = match (weekend, night) {
            (false, false) => 1.0,
            (true, false) => 0.55,
            (false, true) => 0.15,
            (true, true) => 0.1,
        };
        if rng.random_bool(keep) {
            return t;
        }
    }
}

pub(crate) async fn generate(app: &App, people: &People, options: &DemoOptions) -> SeedResult<Vec<(State, usize)>> {
    let mut rng = StdRng::seed_from_u64(options.seed);
    let now = app.clock.now();
    let calendar = app.calendar.snapshot();
    let rules = app.orders.rules().clone();
    let org = app.directory.snapshot();

    let mut departments: Vec<UnitId> = org.units().filter(|u| u.kind == UnitKind::Department).map(|u| u.id).collect();
    departments.sort();
    let requests = Requests::new(app)?;

    let centre = |user: UserId, role: Role| Actor { user, affiliation: Affiliation::Centre, roles: RoleSet::new([role]) };
    let consultant = centre(people.consultant, Role::Consultant);
    let dispatcher = centre(people.dispatcher, Role::Dispatcher);
    let reviewer = centre(people.reviewer, Role::Reviewer);
    let supervisor = centre(people.supervisor, Role::Supervisor);
    let handler = |unit: UnitId| Actor {
        user: people.handlers.get(&unit).copied().unwrap_or(people.dispatcher),
        affiliation: Affiliation::Unit(unit),
        roles: RoleSet::new([Role::Handler]),
    };

    // Today's events are among the orders asked for: the morning's
    // downpour, reported over the last five hours, and the last hour's
    // water cut across three towns; none dispatched yet.
    let downpour = requests.downpour(app, &mut rng)?;
    let spacing = Duration::minutes(300 / downpour.len().max(1) as i64);
    let mut today: Vec<(DateTime<Utc>, NewWorkOrder)> = Vec::new();
    for (i, input) in downpour.into_iter().enumerate() {
        today.push((now - Duration::hours(5) + spacing * i as i32 + minutes(&mut rng, 1, 20), input));
    }
    for (i, input) in requests.water_cut(app, &mut rng)?.into_iter().enumerate() {
        today.push((now - Duration::minutes(50) + Duration::minutes(8) * i as i32, input));
    }
    today.truncate(options.orders);
    let mut times: Vec<DateTime<Utc>> =
        (0..options.orders - today.len()).map(|_| registration_time(&mut rng, now, options.days, &calendar)).collect();
    times.sort();

    let mut counts: HashMap<State, usize> = HashMap::new();
    let mut open_masters: Vec<MasterOrder> = Vec::new();
    let mut batch = Vec::with_capacity(BATCH);

    for created in times {
        let Request { input, direct, .. } = requests.draw(&mut rng);
        let number = app.orders.next_number(calendar.local_date(created)).await?;
        let registration = Registration { id: OrderId(app.ids.next()), number };
        let ctx = DecisionContext { now: created, calendar: &calendar, rules: &rules };
        let first =
            register(input, &consultant, registration, &ctx).map_err(|e| SeedError::Inconsistent(format!("demo registration: {e}")))?;
        let mut sim = Sim { order: first.order, history: vec![first.entry], calendar: &calendar, rules: &rules, now };

        if !direct {
            let age = now - created;
            let stall = (age < Duration::days(4) && rng.random_bool(0.35))
                .then(|| *pick(&mut rng, &[Stall::BeforeDispatch, Stall::BeforeSign, Stall::AtReturn, Stall::AtReview, Stall::AtFollowUp]));
            let roll = rng.random_range(0..1000);
            if roll < 30 {
                let kind = *pick(&mut rng, &[InvalidKind::Prank, InvalidKind::Silent, InvalidKind::Test]);
                sim.step(&consultant, Command::Invalidate { kind, note: None }, created + minutes(&mut rng, 1, 5))?;
            } else if roll < 45 && !open_masters.is_empty() {
                let master = pick(&mut rng, &open_masters).clone();
                sim.step(&dispatcher, Command::Merge { master }, created + minutes(&mut rng, 5, 30))?;
            } else {
                walk(&mut sim, &mut rng, stall, &org, &departments, &dispatcher, &reviewer, &consultant, &supervisor, &handler)?;
                if sim.order.state.is_open() && sim.order.state != State::PendingDispatch {
                    open_masters.push(MasterOrder { id: sim.order.id, number: sim.order.number.clone(), state: sim.order.state });
                    if open_masters.len() > 200 {
                        open_masters.remove(0);
                    }
                }
            }
        }
        *counts.entry(sim.order.state).or_default() += 1;
        batch.push((sim.order, sim.history));
        if batch.len() == BATCH {
            app.orders.import(None, std::mem::take(&mut batch), "demo").await?;
        }
    }
    for (created, input) in today {
        let number = app.orders.next_number(calendar.local_date(created)).await?;
        let registration = Registration { id: OrderId(app.ids.next()), number };
        let ctx = DecisionContext { now: created, calendar: &calendar, rules: &rules };
        let first =
            register(input, &consultant, registration, &ctx).map_err(|e| SeedError::Inconsistent(format!("demo registration: {e}")))?;
        *counts.entry(first.order.state).or_default() += 1;
        batch.push((first.order, vec![first.entry]));
    }
    if !batch.is_empty() {
        app.orders.import(None, batch, "demo").await?;
    }
    let mut by_state: Vec<(State, usize)> = State::ALL.iter().map(|s| (*s, counts.get(s).copied().unwrap_or(0))).collect();
    by_state.retain(|(_, n)| *n > 0);
    Ok(by_state)
}

/// Takes an order from registration as far as its age (or a stall) allows.
#[allow(clippy::too_many_arguments)]
fn walk(
    sim: &mut Sim<'_>,
    rng: &mut StdRng,
    stall: Option<Stall>,
    org: &hotline_app::directory::OrgSnapshot,
    departments: &[UnitId],
    dispatcher: &Actor,
    reviewer: &Actor,
    consultant: &Actor,
    supervisor: &Actor,
    handler: &dyn Fn(UnitId) -> Actor,
) -> SeedResult<()> {
    if stall == Some(Stall::BeforeDispatch) {
        return Ok(());
    }
    let proposal = org.propose(sim.order.category, sim.order.location.town);
    let lead = proposal.lead.unwrap_or_else(|| *pick(rng, departments));
    let at = sim.last() + minutes(rng, 5, 90);
    let dispatch = Command::Dispatch { lead, co_handlers: proposal.co_handlers.clone(), note: None };
    if !sim.step(dispatcher, dispatch, at)? || stall == Some(Stall::BeforeSign) {
        return Ok(());
    }

    let mut lead = lead;
    if stall == Some(Stall::AtReturn) || rng.random_bool(0.08) {
        let at = sim.last() + minutes(rng, 20, 120);
        let why = reason(pick::<&str>(rng, &RETURN_REASONS));
        if !sim.step(&handler(lead), Command::Return { reason: why }, at)? || stall == Some(Stall::AtReturn) {
            return Ok(());
        }
        let at = sim.last() + minutes(rng, 60, 240);
        let decision = if rng.random_bool(0.6) {
            let other = *pick(rng, departments);
            if other != lead {
                lead = other;
                ReturnDecision::Redispatch { lead: other, co_handlers: vec![] }
            } else {
                ReturnDecision::Reject { reason: reason("按属地管理原则由原单位办理") }
            }
        } else {
            ReturnDecision::Reject { reason: reason("按属地管理原则由原单位办理") }
        };
        if !sim.step(dispatcher, Command::DecideReturn(decision), at)? {
            return Ok(());
        }
    }
    if sim.order.state == State::Dispatched {
        let at = sim.last() + minutes(rng, 10, 170);
        if !sim.step(&handler(lead), Command::SignFor, at)? {
            return Ok(());
        }
    }
    let at = sim.last() + minutes(rng, 30, 600);
    let note = Command::AddProgress {
        kind: ProgressKind::Contact, text: text("已电话联系市民了解详细情况，约定现场核查时间。")
    };
    if !sim.step(&handler(lead), note, at)? {
        return Ok(());
    }

    let signed = sim.last();
    let allowance = (sim.order.deadlines.completion - signed).max(Duration::hours(1));
    // Extensions are asked before the deadline, or not at all.
    if rng.random_bool(0.1) && signed + allowance / 2 < sim.order.deadlines.completion {
        let at = signed + allowance / 2;
        let requested_due = sim.order.deadlines.completion + Duration::days(rng.random_range(3..10));
        let ask = Command::RequestExtension { reason: reason("需协调多个部门联合处置，申请延期"), requested_due };
        if sim.step(&handler(lead), ask, at)? {
            let approve = rng.random_bool(0.7);
            if !sim.step(reviewer, Command::DecideExtension { approve, note: None }, at + minutes(rng, 30, 300))? {
                return Ok(());
            }
        }
    }
    let mut holder = lead;
    let children: Vec<UnitId> = org.units().filter(|u| u.parent == Some(lead)).map(|u| u.id).collect();
    if !children.is_empty() && rng.random_bool(0.4) {
        let child = *pick(rng, &children);
        if sim.step(&handler(lead), Command::SubDispatch { unit: child, note: None }, sim.last() + minutes(rng, 10, 120))? {
            holder = child;
        }
    }
    let factor = rng.random_range(0.15..1.2);
    let resolve_at = signed + Duration::seconds((allowance.num_seconds() as f64 * factor) as i64);
    if resolve_at > sim.order.deadlines.completion && rng.random_bool(0.5) {
        let at = sim.order.deadlines.completion + Duration::hours(2);
        let notice = Command::Supervise {
            notice: NoticeId(rng.random_range(1..i64::MAX)),
            text: reason("该工单已超期，请加快办理并反馈"),
            due: None,
        };
        if sim.step(supervisor, notice, at)? {
            let id = sim.order.notices.last().map(|n| n.id).expect("just issued");
            let answer = Command::AnswerSupervision { notice: id, text: text("已安排专人跟进，将尽快办结。") };
            sim.step(&handler(lead), answer, at + minutes(rng, 60, 1440))?;
        }
    }
    let template_reply = TEMPLATES.iter().find(|t| t.subject == sim.order.subject.as_str()).map(|t| t.reply).unwrap_or("已办理。");
    let submit = |rng: &mut StdRng| Command::SubmitResult {
        result: text(&format!("{template_reply}（承办单位已现场核实处理）")),
        solved: rng.random_bool(0.9),
        public_reply: text(template_reply),
        contacted_citizen_at: None,
    };
    if !sim.step(&handler(holder), submit(rng), resolve_at.max(sim.last() + Duration::minutes(5)))? || stall == Some(Stall::AtReview) {
        return Ok(());
    }
    if rng.random_bool(0.07) {
        let fail = Command::Review(ReviewVerdict::Fail { reason: reason("办理结果未说明具体处理措施，请补充") });
        if !sim.step(reviewer, fail, sim.last() + minutes(rng, 60, 600))? {
            return Ok(());
        }
        if !sim.step(&handler(holder), submit(rng), sim.last() + minutes(rng, 600, 4000))? {
            return Ok(());
        }
    }
    if !sim.step(reviewer, pass(sim, rng), sim.last() + minutes(rng, 60, 600))? || stall == Some(Stall::AtFollowUp) {
        return Ok(());
    }
    follow_up(sim, rng, consultant, reviewer, &handler(holder), submit)
}

/// The reviewer passes the result and publishes most public replies (never
/// a report's or a confidential caller's).
fn pass(sim: &Sim<'_>, rng: &mut StdRng) -> Command {
    let publishable = sim.order.order_type != OrderType::Report && !sim.order.caller.confidential;
    Command::Review(ReviewVerdict::Pass { publish: publishable && rng.random_bool(0.8) })
}

fn follow_up(
    sim: &mut Sim<'_>,
    rng: &mut StdRng,
    consultant: &Actor,
    reviewer: &Actor,
    holder: &Actor,
    submit: impl Fn(&mut StdRng) -> Command,
) -> SeedResult<()> {
    let at = sim.last() + minutes(rng, 600, 2880);
    let rate = |satisfaction, solved, outcome| Command::FollowUp {
        contacted: true,
        satisfaction: Some(satisfaction),
        solved: Some(solved),
        note: None,
        outcome,
    };
    match rng.random_range(0..100) {
        0..78 => {
            let s = if rng.random_bool(0.75) { Satisfaction::Satisfied } else { Satisfaction::BasicallySatisfied };
            sim.step(consultant, rate(s, true, FollowUpOutcome::Archive), at)?;
        }
        78..86 => {
            let retry =
                Command::FollowUp { contacted: false, satisfaction: None, solved: None, note: None, outcome: FollowUpOutcome::Retry };
            if sim.step(consultant, retry, at)? {
                let give_up = Command::FollowUp {
                    contacted: false,
                    satisfaction: None,
                    solved: None,
                    note: Some(reason("三次回访均未接通")),
                    outcome: FollowUpOutcome::Archive,
                };
                sim.step(consultant, give_up, at + minutes(rng, 600, 2880))?;
            }
        }
        86..95 => {
            sim.step(consultant, rate(Satisfaction::Unsatisfied, false, FollowUpOutcome::Archive), at)?;
        }
        _ => {
            if sim.step(consultant, rate(Satisfaction::Unsatisfied, false, FollowUpOutcome::Redo), at)?
                && sim.step(holder, submit(rng), sim.last() + minutes(rng, 1440, 5000))?
                && sim.step(reviewer, pass(sim, rng), sim.last() + minutes(rng, 60, 600))?
            {
                sim.step(
                    consultant,
                    rate(Satisfaction::BasicallySatisfied, true, FollowUpOutcome::Archive),
                    sim.last() + minutes(rng, 600, 2880),
                )?;
            }
        }
    }
    Ok(())
}
