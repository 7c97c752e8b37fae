//! The engine to the millisecond: routing strategies, priorities and
//! widening, ring-outs and pauses, wrap-up, abandonment and callbacks.

use super::*;

const GENERAL: &str = "general";
const SOCIAL: &str = "social_security";

fn queue(name: &str, skill: &str, priority: u8, strategy: Strategy) -> QueueConfig {
    QueueConfig {
        name: name.into(),
        skill: Skill(skill.into()),
        priority,
        min_level: 1,
        widen: vec![],
        strategy,
        max_waiting: 10,
        max_wait_secs: 300,
    }
}

fn engine(queues: Vec<QueueConfig>) -> Engine {
    Engine::new(EngineConfig { queues, ring_secs: 15, max_no_answer: 2, wrap_up_secs: 30, transfer_timeout_secs: 30 }).unwrap()
}

fn agent(e: &mut Engine, id: u64, skills: &[(&str, u8)], now: Millis) -> AgentId {
    let id = AgentId(id);
    e.add_agent(AgentSpec { id, skills: skills.iter().map(|(s, l)| (Skill(s.to_string()), *l)).collect() }, now);
    e.handle(Event::SetStatus { agent: id, status: AgentStatus::Available }, now).unwrap();
    id
}

fn arrive(e: &mut Engine, call: u64, queue: &str, now: Millis) -> Vec<Command> {
    e.handle(Event::Arrived { call: CallId(call), queue: queue.into(), caller: format!("1380000{call:04}") }, now).unwrap()
}

fn offered(commands: &[Command]) -> Vec<(u64, u64)> {
    commands
        .iter()
        .filter_map(|c| match c {
            Command::Offer { call, agent } => Some((call.0, agent.0)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_call_goes_to_the_agent_idle_longest_and_waits_when_none_is_free() {
    let mut e = engine(vec![queue(GENERAL, GENERAL, 1, Strategy::LongestIdle)]);
    agent(&mut e, 2, &[(GENERAL, 5)], 500);
    agent(&mut e, 1, &[(GENERAL, 5)], 1_000);
    let out = arrive(&mut e, 10, GENERAL, 2_000);
    assert_eq!(out[0], Command::Hold { call: CallId(10) });
    assert_eq!(offered(&out), [(10, 2)], "agent 2 has been idle since 500");
    assert_eq!(offered(&arrive(&mut e, 11, GENERAL, 2_100)), [(11, 1)]);
    assert!(offered(&arrive(&mut e, 12, GENERAL, 2_200)).is_empty());
    assert_eq!(e.waiting(GENERAL), 1);
    assert_eq!(e.next_deadline(2_200), Some(2_000 + 15_000), "agent 2's phone stops ringing first");
    // Both answer; agent 2 hangs up, wraps up for 30 s, then takes call 12.
    let bridged = e.handle(Event::Answered { call: CallId(10), agent: AgentId(2) }, 3_000).unwrap();
    assert_eq!(bridged, [Command::Bridge { call: CallId(10), agent: AgentId(2) }]);
    e.handle(Event::Answered { call: CallId(11), agent: AgentId(1) }, 3_100).unwrap();
    assert_eq!(e.handle(Event::AgentHungUp { call: CallId(10) }, 60_000).unwrap(), vec![Command::HangUp { call: CallId(10) }]);
    assert_eq!(e.next_deadline(60_000), Some(90_000), "the wrap-up");
    assert!(offered(&e.tick(89_999)).is_empty());
    assert_eq!(offered(&e.tick(90_000)), [(12, 2)]);
    let late = e.handle(Event::CallerHungUp { call: CallId(11) }, 80_000).unwrap_err();
    assert!(matches!(late, EngineError::OutOfStep(_)), "time cannot go backwards: {late}");
    let records = e.take_records();
    assert_eq!(records.len(), 1);
    assert_eq!((records[0].outcome, records[0].answered, records[0].ended), (Outcome::Answered, Some(3_000), 60_000));
}

#[test]
fn round_robin_and_fewest_calls_spread_the_work() {
    let mut e = engine(vec![queue("rr", GENERAL, 1, Strategy::RoundRobin), queue("fc", "fc", 1, Strategy::FewestCalls)]);
    for id in 1..=3 {
        agent(&mut e, id, &[(GENERAL, 5)], 0);
    }
    let mut order = Vec::new();
    for call in 0..6u64 {
        let base = call * 200_000;
        let out = arrive(&mut e, call, "rr", base + 1_000);
        let (c, a) = offered(&out)[0];
        order.push(a);
        e.handle(Event::Answered { call: CallId(c), agent: AgentId(a) }, base + 1_100).unwrap();
        e.handle(Event::AgentHungUp { call: CallId(c) }, base + 1_200).unwrap();
        e.tick(base + 100_000);
    }
    assert_eq!(order, [1, 2, 3, 1, 2, 3]);

    let mut e = engine(vec![queue("fc", "fc", 1, Strategy::FewestCalls)]);
    let busy = agent(&mut e, 1, &[("fc", 5)], 0);
    agent(&mut e, 2, &[("fc", 5)], 10);
    let (c, a) = offered(&arrive(&mut e, 1, "fc", 20))[0];
    assert_eq!(a, busy.0, "equal counts: the longest idle");
    e.handle(Event::Answered { call: CallId(c), agent: busy }, 30).unwrap();
    e.handle(Event::AgentHungUp { call: CallId(c) }, 40).unwrap();
    e.tick(40_000);
    assert_eq!(offered(&arrive(&mut e, 2, "fc", 50_000))[0].1, 2, "agent 2 has answered fewer");
}

#[test]
fn a_free_agent_takes_the_higher_priority_queue_first_then_the_oldest_call() {
    let mut e = engine(vec![queue(GENERAL, GENERAL, 1, Strategy::LongestIdle), queue(SOCIAL, SOCIAL, 5, Strategy::LongestIdle)]);
    arrive(&mut e, 1, GENERAL, 0);
    arrive(&mut e, 2, SOCIAL, 10);
    arrive(&mut e, 3, SOCIAL, 20);
    let out = agent(&mut e, 7, &[(GENERAL, 5), (SOCIAL, 5)], 100);
    assert_eq!(out, AgentId(7));
    let (_, state) = e.agent_status(AgentId(7)).unwrap();
    assert_eq!(state, AgentState::Ringing(CallId(2)), "the social-security queue outranks the general one");
}

#[test]
fn a_professional_queue_spills_to_lower_levels_after_its_delay() {
    let mut q = queue(SOCIAL, SOCIAL, 5, Strategy::LongestIdle);
    q.min_level = 8;
    q.widen = vec![Widen { after_secs: 20, min_level: 3 }];
    let mut e = engine(vec![q]);
    agent(&mut e, 1, &[(SOCIAL, 3)], 0);
    assert!(offered(&arrive(&mut e, 1, SOCIAL, 1_000)).is_empty(), "a level-3 general seat waits out the delay");
    assert_eq!(e.next_deadline(1_000), Some(21_000));
    assert!(offered(&e.tick(20_999)).is_empty());
    assert_eq!(offered(&e.tick(21_000)), [(1, 1)]);
}

#[test]
fn unanswered_offers_go_to_the_next_agent_and_pause_the_agent_after_n() {
    let mut e = engine(vec![queue(GENERAL, GENERAL, 1, Strategy::LongestIdle)]);
    agent(&mut e, 1, &[(GENERAL, 5)], 0);
    agent(&mut e, 2, &[(GENERAL, 5)], 5);
    assert_eq!(offered(&arrive(&mut e, 1, GENERAL, 100)), [(1, 1)]);
    // Agent 1 lets it ring out; it goes to agent 2.
    let out = e.tick(15_100);
    assert!(out.contains(&Command::Withdraw { call: CallId(1), agent: AgentId(1) }));
    assert_eq!(offered(&out), [(1, 2)]);
    // Agent 1 gets the next call and declines it: two in a row, a break.
    assert_eq!(offered(&arrive(&mut e, 2, GENERAL, 16_000)), [(2, 1)]);
    let out = e.handle(Event::Rejected { call: CallId(2), agent: AgentId(1) }, 17_000).unwrap();
    assert!(out.contains(&Command::AgentPaused { agent: AgentId(1), reason: "2 offers unanswered".into() }), "{out:?}");
    assert_eq!(e.agent_status(AgentId(1)).unwrap().0, &AgentStatus::OnBreak("2 offers unanswered".into()));
    assert_eq!(e.waiting(GENERAL), 1, "call 2 waits for someone else");
    // Back from the break, agent 1 is not offered the call it declined.
    let out = e.handle(Event::SetStatus { agent: AgentId(1), status: AgentStatus::Available }, 18_000).unwrap();
    assert!(offered(&out).is_empty());
}

#[test]
fn callers_abandon_and_full_or_slow_queues_offer_callbacks() {
    let mut q = queue(GENERAL, GENERAL, 1, Strategy::LongestIdle);
    q.max_waiting = 2;
    q.max_wait_secs = 60;
    let mut e = engine(vec![q]);
    arrive(&mut e, 1, GENERAL, 0);
    arrive(&mut e, 2, GENERAL, 1_000);
    let full = arrive(&mut e, 3, GENERAL, 2_000);
    assert_eq!(full, [Command::OfferCallback { call: CallId(3), caller: "13800000003".into(), queue: GENERAL.into() }]);
    e.handle(Event::CallerHungUp { call: CallId(2) }, 5_000).unwrap();
    assert_eq!(e.next_deadline(5_000), Some(60_000));
    let out = e.tick(60_000);
    assert_eq!(out, [Command::OfferCallback { call: CallId(1), caller: "13800000001".into(), queue: GENERAL.into() }]);
    let outcomes: Vec<(u64, Outcome)> = e.take_records().iter().map(|r| (r.call.0, r.outcome)).collect();
    assert_eq!(outcomes, [(3, Outcome::Callback), (2, Outcome::Abandoned), (1, Outcome::Callback)]);
    assert_eq!(e.next_deadline(60_000), None);
}

#[test]
fn events_out_of_step_are_refused_with_the_reason() {
    let mut e = engine(vec![queue(GENERAL, GENERAL, 1, Strategy::LongestIdle)]);
    agent(&mut e, 1, &[(GENERAL, 5)], 0);
    agent(&mut e, 2, &[(GENERAL, 5)], 0);
    arrive(&mut e, 1, GENERAL, 10);
    let wrong = e.handle(Event::Answered { call: CallId(1), agent: AgentId(2) }, 20).unwrap_err();
    assert!(matches!(wrong, EngineError::OutOfStep(_)), "{wrong}");
    let unknown = e.handle(Event::Arrived { call: CallId(5), queue: "nowhere".into(), caller: String::new() }, 30).unwrap_err();
    assert_eq!(unknown, EngineError::UnknownQueue("nowhere".into()));
    assert_eq!(
        e.handle(Event::Arrived { call: CallId(1), queue: GENERAL.into(), caller: String::new() }, 40).unwrap_err(),
        EngineError::DuplicateCall(CallId(1))
    );
    assert!(
        Engine::new(EngineConfig {
            queues: vec![queue("a", "a", 1, Strategy::LongestIdle); 2],
            ring_secs: 15,
            max_no_answer: 2,
            wrap_up_secs: 0,
            transfer_timeout_secs: 30
        })
        .is_err()
    );
}

/// A call answered by agent 1 at 1 s.
fn in_conversation() -> Engine {
    let mut e = engine(vec![queue(GENERAL, GENERAL, 1, Strategy::LongestIdle)]);
    agent(&mut e, 1, &[(GENERAL, 5)], 0);
    arrive(&mut e, 1, GENERAL, 500);
    e.handle(Event::Answered { call: CallId(1), agent: AgentId(1) }, 1_000).unwrap();
    e
}

fn transfer(e: &mut Engine, mode: TransferMode, now: Millis) -> Vec<Command> {
    e.handle(Event::Transfer { call: CallId(1), agent: AgentId(1), to: "12366".into(), mode }, now).unwrap()
}

#[test]
fn a_transfer_to_a_sub_centre_hands_the_call_over_and_frees_the_consultant() {
    let mut e = in_conversation();
    assert_eq!(
        transfer(&mut e, TransferMode::Blind, 60_000),
        [Command::Transfer { call: CallId(1), to: "12366".into(), mode: TransferMode::Blind }]
    );
    e.handle(Event::TransferResult { call: CallId(1), result: TransferResult::Connected }, 65_000).unwrap();
    let r = &e.take_records()[0];
    assert_eq!((r.outcome, r.transferred_to.as_deref(), r.answered, r.ended), (Outcome::Transferred, Some("12366"), Some(1_000), 65_000));
    assert_eq!(e.agent_status(AgentId(1)).unwrap().1, AgentState::WrapUp(95_000));
}

#[test]
fn a_busy_or_silent_sub_centre_leaves_the_caller_with_the_consultant_and_advice() {
    let mut e = in_conversation();
    transfer(&mut e, TransferMode::Attended, 60_000);
    let out = e.handle(Event::TransferResult { call: CallId(1), result: TransferResult::Busy }, 62_000).unwrap();
    let Command::TransferFailed { result, advice, .. } = &out[0] else { panic!("{out:?}") };
    assert_eq!(*result, TransferResult::Busy);
    assert!(advice.contains("直接拨打 12366"), "{advice}");
    assert_eq!(e.agent_status(AgentId(1)).unwrap().1, AgentState::Talking(CallId(1)));
    // No answer within 30 s: cancelled, and the same advice.
    transfer(&mut e, TransferMode::Blind, 70_000);
    assert_eq!(e.next_deadline(70_000), Some(100_000));
    let out = e.tick(100_000);
    assert_eq!(out[0], Command::CancelTransfer { call: CallId(1) });
    assert!(matches!(&out[1], Command::TransferFailed { result: TransferResult::NoAnswer, .. }), "{out:?}");
    // A three-way call keeps the consultant on the line until someone hangs up.
    transfer(&mut e, TransferMode::Conference, 110_000);
    e.handle(Event::TransferResult { call: CallId(1), result: TransferResult::Connected }, 112_000).unwrap();
    assert_eq!(e.agent_status(AgentId(1)).unwrap().1, AgentState::Talking(CallId(1)));
    e.handle(Event::AgentHungUp { call: CallId(1) }, 300_000).unwrap();
    let r = &e.take_records()[0];
    assert_eq!((r.outcome, r.transferred_to.as_deref()), (Outcome::Answered, Some("12366")));
    let wrong = e.handle(Event::TransferResult { call: CallId(1), result: TransferResult::Connected }, 300_001).unwrap_err();
    assert_eq!(wrong, EngineError::UnknownCall(CallId(1)));
}

#[test]
fn a_supervisor_takes_a_call_over_the_consultant_wraps_up_and_the_record_runs_to_the_end() {
    let (call, consultant, supervisor) = (CallId(1), AgentId(1), AgentId(9));
    let mut e = in_conversation();
    assert_eq!(e.talking(call), Some(consultant));
    assert!(e.handle(Event::TakenOver { call, supervisor }, 20_000).unwrap().is_empty());
    assert_eq!(e.agent_status(consultant).unwrap().1, AgentState::WrapUp(50_000), "the consultant leaves for after-call work");
    let taken = TakenOverView { call, supervisor, consultant, answered: 1_000 };
    assert_eq!((e.talking(call), e.taken_over().collect::<Vec<_>>()), (None, vec![taken]));
    // The consultant's next call reaches them after their wrap-up, while the supervisor still talks.
    arrive(&mut e, 2, GENERAL, 30_000);
    assert_eq!(offered(&e.tick(50_000)), [(2, 1)]);
    // Twice, or once a transfer rings, is out of step; the consultant hangs up nothing.
    assert!(matches!(e.handle(Event::TakenOver { call, supervisor }, 51_000), Err(EngineError::OutOfStep(_))));
    assert!(matches!(
        e.handle(Event::Transfer { call, agent: consultant, to: "12366".into(), mode: TransferMode::Blind }, 51_000),
        Err(EngineError::OutOfStep(_))
    ));
    // The supervisor hangs up: the caller's line is released, the record keeps both.
    assert_eq!(e.handle(Event::AgentHungUp { call }, 90_000).unwrap(), [Command::HangUp { call }]);
    let r = &e.take_records()[0];
    assert_eq!(
        (r.agent, r.taken_over_by, r.answered, r.ended, r.outcome),
        (Some(consultant), Some(supervisor), Some(1_000), 90_000, Outcome::Answered)
    );
    assert_eq!(e.taken_over().count(), 0);

    // The caller hanging up ends a taken-over call too; a transfer ringing cannot be taken over.
    let mut e = in_conversation();
    e.handle(Event::TakenOver { call, supervisor }, 20_000).unwrap();
    assert!(e.handle(Event::CallerHungUp { call }, 25_000).unwrap().is_empty());
    assert_eq!(e.take_records()[0].taken_over_by, Some(supervisor));
    let mut e = in_conversation();
    transfer(&mut e, TransferMode::Attended, 5_000);
    assert_eq!(e.talking(call), None);
    assert!(matches!(e.handle(Event::TakenOver { call, supervisor }, 6_000), Err(EngineError::OutOfStep(_))));
}

#[test]
fn an_attended_transfer_answered_waits_for_the_consultant_to_finish_speaking() {
    let mut e = in_conversation();
    transfer(&mut e, TransferMode::Attended, 60_000);
    e.handle(Event::TransferAnswered { call: CallId(1) }, 65_000).unwrap();
    assert_eq!(e.next_deadline(65_000), None, "no ring timeout while the consultant speaks to the sub-centre");
    assert!(e.tick(200_000).is_empty());
    e.handle(Event::TransferResult { call: CallId(1), result: TransferResult::Connected }, 200_000).unwrap();
    let r = &e.take_records()[0];
    assert_eq!((r.outcome, r.ended), (Outcome::Transferred, 200_000));
    let wrong = e.handle(Event::TransferAnswered { call: CallId(1) }, 200_001).unwrap_err();
    assert_eq!(wrong, EngineError::UnknownCall(CallId(1)));
}

#[test]
fn wire_names_match_serde() {
    for o in [Outcome::Answered, Outcome::Transferred, Outcome::Abandoned, Outcome::Callback, Outcome::Lost] {
        assert_eq!(serde_json::to_value(o).unwrap(), o.as_str());
        assert_eq!(Outcome::parse(o.as_str()), Some(o));
    }
    for r in [TransferResult::Connected, TransferResult::Busy, TransferResult::NoAnswer, TransferResult::Failed] {
        assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        assert_eq!(TransferResult::parse(r.as_str()), Some(r));
    }
    for s in [AgentStatus::LoggedOut, AgentStatus::Available, AgentStatus::OnBreak("午餐".into()), AgentStatus::InTraining] {
        assert_eq!(serde_json::to_value(&s).unwrap()["status"], s.kind());
        assert_eq!(AgentStatus::from_parts(s.kind(), s.reason()), Some(s));
    }
    assert_eq!(Outcome::parse("gone"), None);
}

#[test]
fn each_waiting_caller_knows_how_many_are_ahead_in_its_own_queue() {
    let mut e = engine(vec![queue(GENERAL, GENERAL, 1, Strategy::LongestIdle), queue(SOCIAL, SOCIAL, 2, Strategy::LongestIdle)]);
    for (call, queue, at) in [(1, GENERAL, 0), (2, SOCIAL, 10), (3, GENERAL, 20), (4, GENERAL, 30)] {
        arrive(&mut e, call, queue, at);
    }
    let places = |e: &Engine| {
        let mut p: Vec<(u64, usize)> = e.places().map(|(c, n)| (c.0, n)).collect();
        p.sort();
        p
    };
    assert_eq!(places(&e), [(1, 0), (2, 0), (3, 1), (4, 2)]);
    // The first general caller is offered to an agent: the others move up.
    agent(&mut e, 7, &[(GENERAL, 5)], 40);
    assert_eq!(places(&e), [(2, 0), (3, 0), (4, 1)]);
    e.handle(Event::CallerHungUp { call: CallId(3) }, 50).unwrap();
    assert_eq!(places(&e), [(2, 0), (4, 0)]);
}
