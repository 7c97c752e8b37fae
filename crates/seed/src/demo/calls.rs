//! The call centre's demo: consultants' training, a certification and a
//! mentor pair, and a week of finished calls (from the simulator, with the
//! real engine routing) for the figures and the seat plan.

use super::DemoOptions;
use super::users::People;
use crate::SeedResult;
use chrono::{Duration, NaiveDate};
use hotline_app::App;
use hotline_app::access::CallCentreManager;
use hotline_app::calls::{CallRow, CertificationInput, GENERAL_QUEUE, TrainingInput};
use hotline_callcentre::profile::{hourly_calls, roster};
use hotline_callcentre::simulator::{HandleTime, Scenario, simulate};
use hotline_callcentre::staffing::Target;
use hotline_domain::{CourseName, TrainingKind};

/// Calls a demo day brings (a small district's share of a city's 12345).
const CALLS_PER_DAY: f64 = 400.0;
const DAYS: u32 = 7;

fn course(name: &str) -> CourseName {
    CourseName::parse(name).expect("a valid course name")
}

pub(crate) async fn seed(app: &App, people: &People, options: &DemoOptions) -> SeedResult<usize> {
    let manager = CallCentreManager::operator();
    let today = app.clock.now().date_naive();
    let day = |days_ago: i64| -> NaiveDate { today - Duration::days(days_ago) };
    let basic = |on| TrainingInput {
        kind: TrainingKind::Basic,
        skill: None,
        course: course("岗前培训：政策法规与服务规范"),
        completed_on: on,
        passed: true,
    };
    app.calls.record_training(&manager, people.consultant, basic(day(400))).await?;
    let social = TrainingInput {
        kind: TrainingKind::Professional,
        skill: Some("12333".into()),
        course: course("人社专业坐席培训"),
        completed_on: day(200),
        passed: true,
    };
    app.calls.record_training(&manager, people.consultant, social).await?;
    let cert =
        CertificationInput { skill: "12333".into(), level: 7, certified_on: day(190), expires_on: Some(day(190) + Duration::days(730)) };
    app.calls.certify(&manager, people.consultant, cert).await?;
    app.calls.record_training(&manager, people.trainee, basic(day(10))).await?;
    app.calls.set_mentor(&manager, people.trainee, Some(people.consultant)).await?;
    history(app, people, options.seed).await
}

/// A week of calls into the general queue, answered by the demo consultants in turn.
async fn history(app: &App, people: &People, seed: u64) -> SeedResult<usize> {
    let calls = hourly_calls(CALLS_PER_DAY);
    let target = Target::new(0.8, 15.0).expect("a valid target");
    let agents = roster(&calls, 200.0, &target, None, 1, 40).expect("a valid roster");
    let scenario = Scenario {
        seed,
        calls_per_hour: calls,
        agents_per_hour: agents,
        hours: 24 * DAYS,
        handle: HandleTime::LogNormal { mean_secs: 200.0, sd_secs: 120.0 },
        patience_secs: Some(120.0),
        threshold_secs: 15,
    };
    let report = simulate(&scenario).map_err(|e| crate::SeedError::Inconsistent(format!("demo call history: {e}")))?;
    let days = app.calendar.snapshot();
    let start = days.start_of(days.local_date(app.clock.now()) - Duration::days(i64::from(DAYS)));
    let consultants = [people.consultant, people.trainee];
    let at = |ms: u64| start + Duration::milliseconds(ms as i64);
    let last_day = start + Duration::days(i64::from(DAYS) - 1);
    for (i, r) in report.records.iter().enumerate() {
        let row = CallRow {
            agent: r.agent.map(|a| consultants[a.0 as usize % consultants.len()]),
            answered_at: r.answered.map(at),
            // The simulated handle time already holds the after-call work.
            wrap_up_secs: 0,
            ..CallRow::ended(
                app.ids.next(),
                GENERAL_QUEUE,
                format!("13{:09}", (r.call.0.wrapping_mul(2_654_435_761) + i as u64) % 1_000_000_000),
                at(r.arrived),
                at(r.ended),
                r.outcome,
            )
        };
        // Only yesterday's missed calls still wait to be called back.
        let callback = row.answered_at.is_none() && row.arrived_at >= last_day && (row.ended_at - row.arrived_at).num_seconds() >= 5;
        app.store.insert_call(&row, callback).await.map_err(hotline_app::AppError::from)?;
    }
    Ok(report.records.len())
}
