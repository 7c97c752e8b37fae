//! The promised date and the holiday calendar.

use crate::support::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn the_promised_date_counts_make_up_days_and_skips_the_festival() {
    let t = TestApp::spawn().await;
    let consultant = t.login("consultant").await;
    let r = t.get("/api/v1/calendar/due?from=2026-02-13T10:00:00%2B08:00&working_days=2", &consultant).await;
    assert_eq!(r.body, json!({"due": "2026-02-24T18:00:00+08:00"}));
    // National Day 2025: 1–8 October off, Saturday 11 October worked.
    let r = t.get("/api/v1/calendar/due?from=2025-09-30T09:00:00%2B08:00&working_days=2", &consultant).await;
    assert_eq!(r.body["due"], "2025-10-10T18:00:00+08:00");
    let r = t.get("/api/v1/calendar/due?from=2025-10-10T09:00:00Z&working_days=1", &consultant).await;
    assert_eq!(r.body["due"], "2025-10-11T18:00:00+08:00");

    for (query, field) in [
        ("working_days=2", "from"),
        ("from=yesterday&working_days=2", "from"),
        ("from=2026-02-13T10:00:00%2B08:00&working_days=-1", "working_days"),
        ("from=2026-02-13T10:00:00%2B08:00&working_days=100000", "working_days"),
    ] {
        let r = t.get(&format!("/api/v1/calendar/due?{query}"), &consultant).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(r.body["fields"][0]["field"], field, "{query}: {}", r.body);
    }
}

#[tokio::test]
async fn an_admin_edits_a_day_and_deadlines_follow() {
    let t = TestApp::spawn().await;
    let consultant = t.login("consultant").await;
    let admin = t.login("admin").await;
    let days = t.get("/api/v1/calendar/days?year=2026", &consultant).await;
    assert!(days.body.as_array().unwrap().iter().any(|d| d["date"] == "2026-02-14" && d["working"] == true));

    // Friday 2027-01-08 + 1 working day is Monday; make Saturday a make-up day.
    let before = t.get("/api/v1/calendar/due?from=2027-01-08T10:00:00%2B08:00&working_days=1", &consultant).await;
    assert_eq!(before.body["due"], "2027-01-11T18:00:00+08:00");
    let day = json!({"working": true, "name": "调休"});
    let r = t.call(Method::PUT, "/api/v1/calendar/days/2027-01-09", Some(&consultant), Some(day.clone())).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t.call(Method::PUT, "/api/v1/calendar/days/2027-01-09", Some(&admin), Some(day)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let after = t.get("/api/v1/calendar/due?from=2027-01-08T10:00:00%2B08:00&working_days=1", &consultant).await;
    assert_eq!(after.body["due"], "2027-01-09T18:00:00+08:00");
    assert_eq!(t.call(Method::DELETE, "/api/v1/calendar/days/2027-01-09", Some(&admin), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(t.call(Method::DELETE, "/api/v1/calendar/days/2027-01-09", Some(&admin), None).await.status, StatusCode::NOT_FOUND);
    let bad = t.call(Method::PUT, "/api/v1/calendar/days/2027-02-30", Some(&admin), Some(json!({"working": true, "name": "x"}))).await;
    assert_eq!(bad.body["fields"][0]["field"], "date");

    // A new year's file through the API.
    let file = r#"{"year":2027,"days":[{"name":"元旦","date":"2027-01-01","isOffDay":true},{"name":"春节","date":"2027-02-20","isOffDay":false}]}"#;
    let r = t.client.post(format!("{}/api/v1/calendar/import", t.base)).bearer_auth(&admin).body(file).send().await.unwrap();
    assert_eq!(TestApp::read(r).await.body["imported"], 2);
    let r = t.client.post(format!("{}/api/v1/calendar/import", t.base)).bearer_auth(&admin).body("{\"year\":2027}").send().await.unwrap();
    let r = TestApp::read(r).await;
    assert_eq!((r.status, r.body["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("file")));
}

#[tokio::test]
async fn the_desk_is_told_the_date_it_may_promise_and_the_rules_behind_it() {
    let t = TestApp::spawn().await;
    let consultant = t.login("consultant").await;
    let consultation = t.get("/api/v1/deadline-rules/promise?type=consultation", &consultant).await;
    let complaint = t.get("/api/v1/deadline-rules/promise?type=complaint&urgency=normal", &consultant).await;
    let critical = t.get("/api/v1/deadline-rules/promise?type=complaint&urgency=critical", &consultant).await;
    let due = |r: &crate::support::Response| chrono::DateTime::parse_from_rfc3339(r.body["due"].as_str().expect("due")).unwrap();
    // 2 working days for a consultation, 15 for a complaint, 2 natural hours when critical.
    assert!(due(&consultation) < due(&complaint));
    assert!(due(&critical) < due(&consultation));
    assert!(due(&critical) - chrono::Utc::now().fixed_offset() <= chrono::Duration::hours(2));

    let bad = t.get("/api/v1/deadline-rules/promise?type=rumour&urgency=soon", &consultant).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = bad.body["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["type", "urgency"]);

    let rules = t.get("/api/v1/deadline-rules", &consultant).await;
    assert_eq!((rules.status, rules.body["completion"]["complaint"].as_str()), (StatusCode::OK, Some("15wd")));
}

#[tokio::test]
async fn a_system_administrator_changes_the_deadline_rules_and_new_orders_follow_them() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let consultant = t.login("consultant").await;
    let mut rules = t.get("/api/v1/deadline-rules", &admin).await.body;
    let before = t.get("/api/v1/deadline-rules/promise?type=complaint", &consultant).await.body["due"].clone();

    rules["completion"]["complaint"] = json!("5wd");
    let saved = t.call(Method::PUT, "/api/v1/deadline-rules", Some(&admin), Some(rules.clone())).await;
    assert_eq!((saved.status, saved.body["completion"]["complaint"].as_str()), (StatusCode::OK, Some("5wd")), "{}", saved.body);
    let after = t.get("/api/v1/deadline-rules/promise?type=complaint", &consultant).await.body["due"].clone();
    let parse = |v: &serde_json::Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    assert!(parse(&after) < parse(&before), "{after} should come before {before}");
    let order = t.register(&consultant, t.complaint()).await;
    assert_eq!(order["deadlines"]["completion"], after);

    // Only a system administrator, and only valid rules; nothing changes otherwise.
    let dispatcher = t.login("dispatcher").await;
    assert_eq!(t.call(Method::PUT, "/api/v1/deadline-rules", Some(&dispatcher), Some(rules.clone())).await.status, StatusCode::FORBIDDEN);
    let unit_admin = t.login("dongcheng_admin").await;
    assert_eq!(t.call(Method::PUT, "/api/v1/deadline-rules", Some(&unit_admin), Some(rules.clone())).await.status, StatusCode::FORBIDDEN);
    let mut bad = rules.clone();
    bad["completion"]["complaint"] = json!("fifteen days");
    let r = t.call(Method::PUT, "/api/v1/deadline-rules", Some(&admin), Some(bad)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body["fields"][0]["field"].as_str().unwrap().starts_with("completion"), "{}", r.body);
    let mut bad = rules.clone();
    bad["warn_at_percent"] = json!(100);
    let r = t.call(Method::PUT, "/api/v1/deadline-rules", Some(&admin), Some(bad)).await;
    assert_eq!((r.status, r.body["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("warn_at_percent")));
    assert_eq!(t.get("/api/v1/deadline-rules", &admin).await.body["completion"]["complaint"], "5wd");
}

#[tokio::test]
async fn administrators_are_warned_from_november_until_next_years_holidays_are_loaded_and_orders_say_when_a_deadline_may_move() {
    use chrono::{DateTime, Utc};
    use hotline_app::AppConfig;
    use hotline_app::clock::{Clock, ManualClock};
    use std::sync::Arc;
    let october: DateTime<Utc> = "2026-10-15T02:00:00Z".parse().unwrap();
    let clock = Arc::new(ManualClock::new(october));
    let t = TestApp::spawn_with_clock(AppConfig::default(), clock.clone()).await;
    let consultant = t.login("consultant").await;
    // The repository's holiday files end with 2026.
    let coverage = t.get("/api/v1/calendar/coverage", &consultant).await;
    assert_eq!(coverage.body, json!({"next_year": 2027, "next_year_loaded": false, "warn": false}), "not yet in October");
    let in_2026 = t.register(&consultant, t.complaint()).await;
    assert_eq!(in_2026["deadline_unverified"], false, "{}", in_2026["deadlines"]);

    clock.set("2026-12-20T02:00:00Z".parse().unwrap());
    // Two months on, yesterday's sessions have expired.
    let (admin, consultant) = (t.login("admin").await, t.login("consultant").await);
    assert_eq!(t.get("/api/v1/calendar/coverage", &admin).await.body["warn"], true, "from 1 November");
    let into_2027 = t.register(&consultant, t.complaint()).await;
    assert!(into_2027["deadlines"]["completion"].as_str().unwrap().starts_with("2027-"), "{}", into_2027["deadlines"]);
    assert_eq!(into_2027["deadline_unverified"], true, "15 working days from 20 December run into an unloaded 2027");

    // And alerted, once, however many nodes check at the same moment.
    let other = t.second_node().await;
    let checks = (0..8).map(|i| {
        let calendar = if i % 2 == 0 { t.app.calendar.clone() } else { other.calendar.clone() };
        let now = clock.now();
        async move { calendar.watch_coverage(now).await.unwrap() }
    });
    let raised: Vec<Option<i32>> = futures_util::future::join_all(checks).await;
    assert_eq!(raised.iter().flatten().collect::<Vec<_>>(), [&2027], "raised once: {raised:?}");
    assert_eq!(t.app.calendar.watch_coverage(clock.now()).await.unwrap(), None, "and not again");
    let alerts = t.get("/api/v1/calendar/alerts", &admin).await;
    assert_eq!(alerts.status, StatusCode::OK, "{}", alerts.body);
    assert_eq!((alerts.body[0]["year"].as_i64(), alerts.body[0]["read_at"].is_null()), (Some(2027), true), "{}", alerts.body);
    assert_eq!(t.get("/api/v1/calendar/alerts", &consultant).await.status, StatusCode::FORBIDDEN);
    assert_eq!(t.call(Method::POST, "/api/v1/calendar/alerts/2030/read", Some(&admin), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        t.call(Method::POST, "/api/v1/calendar/alerts/soon/read", Some(&admin), None).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(t.call(Method::POST, "/api/v1/calendar/alerts/2027/read", Some(&admin), None).await.status, StatusCode::NO_CONTENT);
    assert!(t.get("/api/v1/calendar/alerts", &admin).await.body[0]["read_at"].is_string(), "acknowledged, still open");

    let day = json!({"working": false, "name": "元旦"});
    assert_eq!(t.call(Method::PUT, "/api/v1/calendar/days/2027-01-01", Some(&admin), Some(day)).await.status, StatusCode::OK);
    assert_eq!(t.get("/api/v1/calendar/alerts", &admin).await.body, json!([]), "over once the year is loaded");
    let coverage = t.get("/api/v1/calendar/coverage", &admin).await;
    assert_eq!(coverage.body, json!({"next_year": 2027, "next_year_loaded": true, "warn": false}));
    let number = into_2027["number"].as_str().unwrap();
    assert_eq!(t.get(&format!("/api/v1/work-orders/{number}"), &consultant).await.body["deadline_unverified"], false);
}

#[tokio::test]
async fn sign_for_in_working_hours_does_not_turn_red_in_the_night() {
    use chrono::{DateTime, Utc};
    use hotline_app::AppConfig;
    use hotline_app::clock::ManualClock;
    use std::sync::Arc;
    // Tuesday 3 March 2026, 02:00 in Dongguan.
    let night: DateTime<Utc> = "2026-03-02T18:00:00Z".parse().unwrap();
    let clock = Arc::new(ManualClock::new(night));
    let t = TestApp::spawn_with_clock(AppConfig::default(), clock.clone()).await;
    let (admin, consultant, dispatcher) = (t.login("admin").await, t.login("consultant").await, t.login("dispatcher").await);
    let dispatch = json!({"action": "dispatch", "lead_unit_id": t.unit_id("441900003")});

    // The default counts natural hours: due at 04:00.
    let natural = t.register(&consultant, t.complaint()).await;
    let natural = t.ok(&dispatcher, &natural, dispatch.clone()).await;
    assert!(natural["deadlines"]["sign_for"].as_str().unwrap().starts_with("2026-03-03T04:00:00"), "{}", natural["deadlines"]);

    let mut rules = t.get("/api/v1/deadline-rules", &admin).await.body;
    rules["sign_for"] = json!("2wh");
    let saved = t.call(Method::PUT, "/api/v1/deadline-rules", Some(&admin), Some(rules)).await;
    assert_eq!((saved.status, saved.body["sign_for"].as_str()), (StatusCode::OK, Some("2wh")), "{}", saved.body);
    let office = t.register(&consultant, t.complaint()).await;
    let office = t.ok(&dispatcher, &office, dispatch).await;
    assert!(office["deadlines"]["sign_for"].as_str().unwrap().starts_with("2026-03-03T11:00:00"), "{}", office["deadlines"]);

    // At 04:30 the first is overdue for sign-for, the second is not.
    clock.set("2026-03-02T20:30:00Z".parse().unwrap());
    let list = t.get("/api/v1/work-orders?state=dispatched", &t.login("supervisor").await).await;
    let left = |number: &serde_json::Value| {
        list.body["items"].as_array().unwrap().iter().find(|o| o["number"] == *number).unwrap()["time_left"].clone()
    };
    assert_eq!(left(&natural["number"]), json!({"overdue": true, "working_days": 0, "hours": 0}), "{}", list.body);
    assert_eq!(left(&office["number"]), json!({"overdue": false, "working_days": 0, "hours": 6}), "{}", list.body);

    let mut bad = t.get("/api/v1/deadline-rules", &admin).await.body;
    bad["sign_for"] = json!("0wh");
    let r = t.call(Method::PUT, "/api/v1/deadline-rules", Some(&admin), Some(bad)).await;
    assert_eq!((r.status, r.body["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("sign_for")), "{}", r.body);
}
