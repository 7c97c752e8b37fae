//! Reference figures (issue 4): 100 calls in 1,800 s, AHT 180 s (10 Erlangs),
//! 80% within 20 s.

use super::*;

fn reference() -> Traffic {
    Traffic::new(100.0, 1800.0, 180.0).unwrap()
}

fn close(actual: f64, expected: f64, tolerance: f64) {
    assert!((actual - expected).abs() <= tolerance, "{actual} is not within {tolerance} of {expected}");
}

#[test]
fn erlang_c_meets_the_reference() {
    let target = Target::new(0.8, 20.0).unwrap();
    let e = required_agents(&reference(), &target, None).unwrap();
    assert_eq!(e.agents, 14);
    close(e.p_wait, 0.1741319, 5e-8);
    close(e.service_level, 0.8883500, 5e-8);
    close(e.asa_secs, 7.8359, 5e-5);
    close(e.occupancy, 0.7142857, 5e-8);
    assert_eq!(scheduled_agents(e.agents, 0.3).unwrap(), 20);
    // 13 agents miss the target: 14 is the fewest.
    assert!(erlang_c(&reference(), 13, 20.0).unwrap().service_level < 0.8);
}

#[test]
fn erlang_a_meets_the_reference() {
    let e = evaluate(&reference(), 14, 20.0, Some(Patience::new(300.0).unwrap())).unwrap();
    close(e.p_wait, 0.14526, 5e-6);
    close(e.p_abandon.unwrap(), 0.013984, 5e-7);
    close(e.service_level, 0.916792, 5e-7);
}

#[test]
fn erlang_a_is_consistent_with_littles_law_and_tends_to_erlang_c() {
    // With very patient callers Erlang A becomes Erlang C.
    let c = erlang_c(&reference(), 14, 20.0).unwrap();
    let a = erlang_a(&reference(), 14, 20.0, Patience::new(1e9).unwrap());
    close(a.p_wait, c.p_wait, 1e-5);
    close(a.service_level, c.service_level, 1e-5);
    close(a.asa_secs, c.asa_secs, 1e-3);
    close(a.occupancy, c.occupancy, 1e-6);
    // Abandoned share = θ × mean queue length / λ, and answered load = busy agents.
    let t = reference();
    let e = erlang_a(&t, 12, 20.0, Patience::new(120.0).unwrap());
    close(e.occupancy * 12.0, t.load() * (1.0 - e.p_abandon.unwrap()), 1e-9);
}

#[test]
fn large_centres_are_computed_without_overflow() {
    // 1,000 agents' worth of traffic: 18,000 calls in half an hour, AHT 90 s = 900 Erlangs.
    let t = Traffic::new(18_000.0, 1800.0, 90.0).unwrap();
    let target = Target::new(0.8, 15.0).unwrap();
    let c = required_agents(&t, &target, None).unwrap();
    assert!(c.agents > 900 && c.agents < 960, "{c:?}");
    assert!(c.p_wait.is_finite() && c.service_level >= 0.8);
    let a = required_agents(&t, &target, Some(Patience::new(60.0).unwrap())).unwrap();
    assert!(a.agents <= c.agents, "patience never needs more agents: {a:?} vs {c:?}");
    assert!(a.service_level >= 0.8 && a.p_abandon.unwrap() > 0.0);
    assert!(erlang_a(&t, a.agents - 1, 15.0, Patience::new(60.0).unwrap()).service_level < 0.8);
}

#[test]
fn bad_inputs_name_themselves() {
    let field = |e: StaffingError| match e {
        StaffingError::Invalid { field, .. } => field,
        other => panic!("{other}"),
    };
    assert_eq!(field(Traffic::new(0.0, 1800.0, 180.0).unwrap_err()), "calls");
    assert_eq!(field(Traffic::new(10.0, f64::NAN, 180.0).unwrap_err()), "interval_secs");
    assert_eq!(field(Target::new(80.0, 20.0).unwrap_err()), "target_sl");
    assert_eq!(field(scheduled_agents(10, 1.0).unwrap_err()), "shrinkage");
    assert_eq!(field(evaluate(&reference(), 0, 20.0, None).unwrap_err()), "agents");
    let overloaded = erlang_c(&reference(), 10, 20.0).unwrap_err();
    assert_eq!(overloaded, StaffingError::Overloaded { agents: 10, load: 10.0, min: 11 });
    // With patience the same ten agents are a (poor) answer, not an error.
    assert!(evaluate(&reference(), 10, 20.0, Some(Patience::new(300.0).unwrap())).unwrap().service_level < 0.8);
}
