//! The simulator, with the real engine routing, agrees with the mathematics:
//! over 100,000 calls its measured probability of waiting, service level and
//! ASA match Erlang C (and, with caller patience, Erlang A) within
//! statistical error, estimated by batch means.

use hotline_callcentre::engine::{CallRecord, Outcome};
use hotline_callcentre::simulator::{HandleTime, Scenario, simulate};
use hotline_callcentre::staffing::{Patience, Traffic, erlang_a, erlang_c};
use hotline_callcentre::stats::figures;

const AGENTS: u32 = 14;
const THRESHOLD_SECS: u32 = 20;

/// 10 Erlangs: 200 calls an hour of 180 s, for 520 hours (about 104,000 calls).
fn scenario(seed: u64, patience_secs: Option<f64>) -> Scenario {
    Scenario {
        seed,
        calls_per_hour: vec![200.0; 24],
        agents_per_hour: vec![AGENTS; 24],
        hours: 520,
        handle: HandleTime::Exponential { mean_secs: 180.0 },
        patience_secs,
        threshold_secs: THRESHOLD_SECS,
    }
}

/// Mean and standard error of a measure over consecutive batches of calls.
fn batch_means(records: &[CallRecord], measure: impl Fn(&[CallRecord]) -> f64) -> (f64, f64) {
    const BATCHES: usize = 26;
    let size = records.len() / BATCHES;
    let values: Vec<f64> = records.chunks(size).take(BATCHES).map(&measure).collect();
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (values.len() - 1) as f64;
    (mean, (var / values.len() as f64).sqrt())
}

fn agrees(name: &str, measured: (f64, f64), expected: f64) {
    let (mean, se) = measured;
    println!("{name:<16} simulated {mean:.5} ± {se:.5}   formula {expected:.5}");
    assert!((mean - expected).abs() <= 4.0 * se, "{name}: simulated {mean} ± {se} disagrees with {expected}");
    assert!(se < 0.1 * expected + 0.005, "{name}: the simulation is too noisy to judge ({se})");
}

fn threshold() -> u64 {
    u64::from(THRESHOLD_SECS) * 1000
}

#[test]
fn simulated_service_matches_erlang_c() {
    let report = simulate(&scenario(7, None)).unwrap();
    assert!(report.calls >= 100_000, "{} calls", report.calls);
    let records = &report.records;
    let expected = erlang_c(&Traffic::new(100.0, 1800.0, 180.0).unwrap(), AGENTS, f64::from(THRESHOLD_SECS)).unwrap();
    agrees("P(wait)", batch_means(records, |b| figures(b, threshold(), 0).waited_share), expected.p_wait);
    agrees("service level", batch_means(records, |b| figures(b, threshold(), 0).answered_within_share), expected.service_level);
    agrees("ASA (s)", batch_means(records, |b| figures(b, threshold(), 0).asa_secs), expected.asa_secs);
    assert!(records.iter().all(|r| r.outcome == Outcome::Answered));
}

#[test]
fn simulated_service_with_impatient_callers_matches_erlang_a() {
    let report = simulate(&scenario(11, Some(300.0))).unwrap();
    let records = &report.records;
    let traffic = Traffic::new(100.0, 1800.0, 180.0).unwrap();
    let expected = erlang_a(&traffic, AGENTS, f64::from(THRESHOLD_SECS), Patience::new(300.0).unwrap());
    agrees("P(wait)", batch_means(records, |b| figures(b, threshold(), 0).waited_share), expected.p_wait);
    agrees("P(abandon)", batch_means(records, |b| figures(b, threshold(), 0).abandonment_rate), expected.p_abandon.unwrap());
    agrees("service level", batch_means(records, |b| figures(b, threshold(), 0).answered_within_share), expected.service_level);
    agrees("ASA (s)", batch_means(records, |b| figures(b, threshold(), 0).asa_secs), expected.asa_secs);
}

#[test]
fn the_same_seed_gives_the_same_day() {
    let mut s = scenario(3, Some(120.0));
    s.hours = 24;
    s.handle = HandleTime::LogNormal { mean_secs: 180.0, sd_secs: 120.0 };
    let (a, b) = (simulate(&s).unwrap(), simulate(&s).unwrap());
    assert_eq!(a.records, b.records);
    s.seed = 4;
    assert_ne!(simulate(&s).unwrap().records, a.records);
}
