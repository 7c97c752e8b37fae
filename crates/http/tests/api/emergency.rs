//! Emergency linkage end to end: a matching order alerts the partners at
//! once, an unacknowledged alert escalates, a burst of related orders raises
//! one early warning, and a warning reaches the public portal.

use crate::support::TestApp;
use chrono::{DateTime, Duration, Utc};
use hotline_app::AppConfig;
use hotline_app::clock::ManualClock;
use hotline_app::emergency::{CATCH_UP_SETTLE, EmergencyConfig};
use hotline_app::ports::ChangeCursor;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;

fn alerts_of(body: &Value, watched: &str) -> Vec<Value> {
    body.as_array().unwrap().iter().filter(|a| a["watched"] == watched).cloned().collect()
}

/// A report of the downpour on 东城大道, at one of `places` house numbers.
fn flood_report(t: &TestApp, i: usize, places: usize) -> Value {
    let mut body = t.complaint();
    body["subject"] = json!("暴雨水浸街");
    body["description"] = json!(format!("东城大道{}号附近暴雨后水浸街，水深过膝，车辆无法通行。", 100 + i % places));
    body
}

/// A registered order as stored, to screen it again directly.
async fn stored(t: &TestApp, order: &Value) -> hotline_domain::WorkOrder {
    let number = hotline_domain::WorkOrderNo::parse(order["number"].as_str().unwrap()).unwrap();
    let id = t.app.store.order_id(&number).await.unwrap().unwrap();
    t.app.store.order(id).await.unwrap().unwrap()
}

/// The same in one of two categories, neither of which surges on its own:
/// the reports make an alike surge only.
fn alike_flood_report(t: &TestApp, i: usize) -> Value {
    let mut body = flood_report(t, i, 3);
    body["category_id"] = json!(t.category(["城乡建设/城市建设和市政管理/城市公共设施", "城乡建设/城市建设和市政管理/其他"][i % 2]));
    body
}

#[tokio::test]
async fn a_gas_leak_reaches_the_partners_and_escalates_unless_acknowledged() {
    let start: DateTime<Utc> = "2026-11-16T01:00:00Z".parse().unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let config = AppConfig { emergency: EmergencyConfig { surge_orders: 3, ..EmergencyConfig::default() }, ..AppConfig::default() };
    let t = TestApp::spawn_with_clock(config, clock.clone()).await;
    let (admin, consultant, supervisor) = (t.login("admin").await, t.login("consultant").await, t.login("supervisor").await);
    let (office, dongcheng, nancheng) = (t.login("emergency").await, t.login("dongcheng").await, t.login("nancheng").await);
    let (emergency, east) = (t.unit_id("emergency"), t.unit_id("441900003"));

    // A keyword the danger lexicon does not know, so that only this rule matches.
    let rule = json!({"name": "井盖缺失", "keywords": ["井盖不见"], "partners": [emergency], "town": true, "ack_minutes": 15});
    let created = t.post("/api/v1/emergency/rules", &admin, rule.clone()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(t.post("/api/v1/emergency/rules", &consultant, rule.clone()).await.status, StatusCode::FORBIDDEN);
    let empty = t.post("/api/v1/emergency/rules", &admin, json!({"name": "空", "ack_minutes": 0})).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = empty.body["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["keywords", "partners", "ack_minutes"], "{}", empty.body);
    let stranger = t.post("/api/v1/emergency/rules", &admin, json!({"name": "x", "keywords": ["x"], "partners": ["999"]})).await;
    assert_eq!(stranger.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", stranger.body);
    let id = created.body["id"].as_str().unwrap();
    let missing = t.call(Method::PUT, "/api/v1/emergency/rules/123", Some(&admin), Some(rule.clone())).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    // An ordinary order alerts nobody; a missing manhole cover alerts the office and the town at once.
    t.register(&consultant, t.complaint()).await;
    assert!(alerts_of(&t.get("/api/v1/alerts", &office).await.body, "emergency").is_empty());
    let mut gas = t.complaint();
    gas["subject"] = json!("路口井盖不见了");
    gas["description"] = json!("东纵路口的井盖不见了，晚上有人差点掉进去。");
    let order = t.register(&consultant, gas).await;
    let theirs = alerts_of(&t.get("/api/v1/alerts", &office).await.body, "emergency");
    assert_eq!(theirs.len(), 1);
    assert_eq!(
        (&theirs[0]["number"], theirs[0]["level"].as_str(), theirs[0]["subject"].as_str()),
        (&order["number"], Some("red"), Some(id))
    );
    assert_eq!(alerts_of(&t.get("/api/v1/alerts", &dongcheng).await.body, "emergency").len(), 1, "the town's office is told too");
    assert!(alerts_of(&t.get("/api/v1/alerts", &nancheng).await.body, "emergency").is_empty());

    // Dispatching the order rewrites its own timers, not the alerts'.
    t.ok(&t.login("dispatcher").await, &order, json!({"action": "dispatch", "lead_unit_id": east})).await;
    // The office acknowledges in time; the town does not, and escalates.
    let ack = t.post(&format!("/api/v1/alerts/{}/read", theirs[0]["id"].as_str().unwrap()), &office, json!({})).await;
    assert_eq!(ack.status, StatusCode::OK, "{}", ack.body);
    clock.set(start + Duration::minutes(16));
    let scan = t.post("/api/v1/supervision/scan", &supervisor, json!({})).await;
    assert_eq!(scan.body, json!({"fired": 1, "raised": 1}), "{}", scan.body);
    let escalated = alerts_of(&t.get("/api/v1/alerts?level=escalation", &supervisor).await.body, "emergency");
    assert_eq!(escalated.len(), 1);
    assert_eq!(escalated[0]["unit"].as_str(), Some(east.as_str()));
    assert!(alerts_of(&t.get("/api/v1/alerts?level=escalation", &office).await.body, "emergency").is_empty());

    // Paused, the rule links nothing; the third order about street lights in
    // 东城 within the hour is a surge, raised once.
    let mut paused = rule.clone();
    paused["active"] = json!(false);
    let put = t.call(Method::PUT, &format!("/api/v1/emergency/rules/{id}"), Some(&admin), Some(paused)).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    let consultant = t.login("consultant").await;
    let mut gas = t.complaint();
    gas["description"] = json!("井盖不见了，还没人管。");
    t.register(&consultant, gas).await;
    t.register(&consultant, t.complaint()).await;
    let (dongcheng, supervisor) = (t.login("dongcheng").await, t.login("supervisor").await);
    assert_eq!(
        alerts_of(&t.get("/api/v1/alerts", &dongcheng).await.body, "emergency").len(),
        2,
        "the first alert and its escalation, no more"
    );
    let surges = alerts_of(&t.get("/api/v1/alerts", &dongcheng).await.body, "surge");
    assert_eq!(surges.len(), 1, "{surges:?}");
    assert_eq!(surges[0]["level"], "yellow");

    // Three alike complaints about sewage in 东城, each in another category,
    // are a surge by their text; a fourth does not warn again.
    let surges_before = alerts_of(&t.get("/api/v1/alerts", &dongcheng).await.body, "surge").len();
    let texts = [
        ("园林绿化环卫", "东纵路88号小区门口污水横流，臭味很大"),
        ("城管执法", "东纵路88号小区门口污水横流臭气熏天"),
        ("居民服务设施", "东纵路88号小区门口污水横流，无法通行"),
        ("其他", "东纵路88号小区门口污水横流，还没人管"),
    ];
    for (category, text) in texts {
        let mut sewage = t.complaint();
        sewage["category_id"] = json!(t.category(&format!("城乡建设/城市建设和市政管理/{category}")));
        sewage["subject"] = json!("污水横流");
        sewage["description"] = json!(text);
        t.register(&consultant, sewage).await;
    }
    let surges = alerts_of(&t.get("/api/v1/alerts", &dongcheng).await.body, "surge");
    assert_eq!(surges.len(), surges_before + 1, "{surges:?}");

    // A warning published to the portal, then withdrawn.
    let expires = (start + Duration::days(1)).to_rfc3339();
    let warning = json!({"title": "东城街道燃气安全提示", "body": "请勿自行处置燃气泄漏，立即拨打119。", "level": "yellow", "town": east, "expires_at": expires});
    let published = t.post("/api/v1/emergency/warnings", &supervisor, warning.clone()).await;
    assert_eq!(published.status, StatusCode::CREATED, "{}", published.body);
    assert_eq!(t.post("/api/v1/emergency/warnings", &dongcheng, warning.clone()).await.status, StatusCode::FORBIDDEN);
    let mut stale = warning.clone();
    stale["expires_at"] = json!(start.to_rfc3339());
    stale["level"] = json!("purple");
    assert_eq!(t.post("/api/v1/emergency/warnings", &supervisor, stale).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let public = t.call(Method::GET, "/api/v1/public/warnings", None, None).await;
    assert_eq!(public.body.as_array().unwrap().len(), 1, "{}", public.body);
    assert_eq!(public.body[0]["title"], "东城街道燃气安全提示");
    let path = format!("/api/v1/emergency/warnings/{}/withdraw", published.body["id"].as_str().unwrap());
    assert_eq!(t.post(&path, &supervisor, json!({})).await.status, StatusCode::NO_CONTENT);
    assert_eq!(t.call(Method::GET, "/api/v1/public/warnings", None, None).await.body, json!([]));
    assert_eq!(t.post(&path, &supervisor, json!({})).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_order_screened_late_alerts_its_partners_once() {
    let start: DateTime<Utc> = "2026-11-16T01:00:00Z".parse().unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let t = TestApp::spawn_with_clock(AppConfig::default(), clock.clone()).await;
    let (admin, consultant, office) = (t.login("admin").await, t.login("consultant").await, t.login("emergency").await);
    // A second node on the same database that never screened what this one
    // registered: as after a crash between the commit and the screening.
    let other = t.second_node().await;
    let mut cursor = ChangeCursor { updated_at: start - Duration::minutes(15), id: i64::MIN };

    // Registered while no rule knew the words: its own screening found nothing.
    let mut smell = t.complaint();
    smell["subject"] = json!("小区井盖被偷了");
    smell["description"] = json!("二号楼一单元门口的井盖被偷了，请尽快处理。");
    let order = t.register(&consultant, smell.clone()).await;
    // The same words in a call the consultant found to be a prank: never alerted.
    let prank = t.register(&consultant, smell).await;
    t.ok(&consultant, &prank, json!({"action": "invalidate", "kind": "prank"})).await;
    assert!(alerts_of(&t.get("/api/v1/alerts", &office).await.body, "emergency").is_empty());
    let rule =
        json!({"name": "井盖被偷", "keywords": ["井盖被偷"], "partners": [t.unit_id("emergency")], "town": false, "ack_minutes": 10});
    assert_eq!(t.post("/api/v1/emergency/rules", &admin, rule).await.status, StatusCode::CREATED);
    other.emergency.load_rules().await.unwrap();

    // The catch-up pass waits until the registration's own screening is
    // surely over, then screens the order the node has not screened, once.
    assert_eq!(other.emergency.catch_up(&mut cursor, CATCH_UP_SETTLE).await.unwrap(), 0);
    clock.set(start + CATCH_UP_SETTLE + Duration::seconds(1));
    let mut here = cursor;
    assert_eq!(t.app.emergency.catch_up(&mut here, CATCH_UP_SETTLE).await.unwrap(), 0, "this node screened it at registration");
    assert_eq!(other.emergency.catch_up(&mut cursor, CATCH_UP_SETTLE).await.unwrap(), 1);
    let theirs = alerts_of(&t.get("/api/v1/alerts", &office).await.body, "emergency");
    assert_eq!(theirs.len(), 1, "{theirs:?}");
    assert_eq!((&theirs[0]["number"], &theirs[0]["order_subject"]), (&order["number"], &json!("小区井盖被偷了")));
    assert_eq!(other.emergency.catch_up(&mut cursor, CATCH_UP_SETTLE).await.unwrap(), 0, "the cursor moved past it");

    // Screening the same order yet again, on either node or on a third that
    // never saw it, alerts nobody twice.
    let stored = stored(&t, &order).await;
    assert!(other.emergency.screen(&stored).await.unwrap().is_empty());
    let third = t.second_node().await;
    assert!(third.emergency.screen(&stored).await.unwrap().is_empty(), "the database remembers the alert");
    assert_eq!(alerts_of(&t.get("/api/v1/alerts", &office).await.body, "emergency").len(), 1);
}

#[tokio::test]
async fn a_surge_of_alike_orders_warns_the_town_once_and_counts_orders_from_before_a_restart() {
    let start: DateTime<Utc> = "2026-11-16T01:00:00Z".parse().unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let t = TestApp::spawn_with_clock(AppConfig::default(), clock.clone()).await;
    let (consultant, dongcheng) = (t.login("consultant").await, t.login("dongcheng").await);
    let flood = |i: usize| alike_flood_report(&t, i);
    // Three on this node; then it stops, and a new node takes the fourth and fifth.
    for i in 0..3 {
        t.register(&consultant, flood(i)).await;
        clock.set(start + Duration::minutes(i as i64 + 1));
    }
    assert!(alerts_of(&t.get("/api/v1/alerts", &dongcheng).await.body, "surge").is_empty());
    let restarted = t.second_node().await;
    let desk = restarted.access.open(restarted.auth.authenticate(&consultant).await.unwrap());
    let mut surges = Vec::new();
    for i in 3..8 {
        let body: hotline_http::dto::orders::RegisterBody = serde_json::from_value(flood(i)).unwrap();
        restarted.orders.register(&desk, body.into_request().unwrap(), None).await.unwrap();
        restarted.emergency.settled().await;
        surges.push(alerts_of(&t.get("/api/v1/alerts", &dongcheng).await.body, "surge").len());
    }
    assert_eq!(surges, vec![0, 1, 1, 1, 1], "the fifth alike order warns, once");
    // The warning stands for the five alike orders that made it and counts
    // the three that came after, listed in the order they came.
    let warning = alerts_of(&t.get("/api/v1/alerts", &dongcheng).await.body, "surge")[0].clone();
    assert_eq!(warning["orders"], 8, "{warning}");
    let listed = t.get(&format!("/api/v1/alerts/{}/orders", warning["id"].as_str().unwrap()), &dongcheng).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    let listed = listed.body.as_array().unwrap().clone();
    assert_eq!(listed.len(), 8);
    assert!(listed.iter().all(|o| o["subject"] == "暴雨水浸街" && o["town"]["code"] == "441900003"), "{listed:?}");
    assert!(listed.windows(2).all(|w| w[0]["created_at"].as_str() <= w[1]["created_at"].as_str()), "oldest first");
    assert_eq!(listed[4]["number"], warning["number"], "the warning's own order is the fifth");
    // After another restart, 62 minutes on (the first reports are out of the
    // hour's window, the warning was joined 3 minutes after them), the next
    // report joins the warning read back from the database; an unrelated
    // one does not.
    clock.set(start + Duration::minutes(62));
    let third = t.second_node().await;
    let desk = third.access.open(third.auth.authenticate(&consultant).await.unwrap());
    let mut unrelated = t.complaint();
    unrelated["category_id"] = json!(t.category("城乡建设/城市建设和市政管理/园林绿化环卫"));
    for body in [flood(8), unrelated] {
        let body: hotline_http::dto::orders::RegisterBody = serde_json::from_value(body).unwrap();
        third.orders.register(&desk, body.into_request().unwrap(), None).await.unwrap();
    }
    third.emergency.settled().await;
    let surges = alerts_of(&t.get("/api/v1/alerts", &dongcheng).await.body, "surge");
    assert_eq!(surges.len(), 1, "{surges:?}");
    assert_eq!(surges[0]["orders"], 9, "{surges:?}");
    // Someone else's or a missing alert is not found; a bad id is named.
    let none = t.get("/api/v1/alerts/123/orders", &dongcheng).await;
    assert_eq!(none.status, StatusCode::NOT_FOUND, "{}", none.body);
    let bad = t.get("/api/v1/alerts/x/orders", &dongcheng).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
}

#[tokio::test]
async fn a_category_quiet_for_a_window_warns_its_town_anew() {
    let start: DateTime<Utc> = "2026-11-16T01:00:00Z".parse().unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let t = TestApp::spawn_with_clock(AppConfig::default(), clock.clone()).await;
    let (consultant, dongcheng) = (t.login("consultant").await, t.login("dongcheng").await);
    // Ten different matters of one category: a category surge, not an alike one.
    let texts = [
        "路灯一到晚上就不亮，走路看不清",
        "井盖缺了一块，小孩差点踩进去",
        "人行道的地砖松动翘起来了",
        "公交站台顶棚破了在漏雨",
        "桥边护栏被货车撞坏一直没修",
        "隧道里面的照明灯闪个不停",
        "斑马线褪色几乎看不出来",
        "消防栓被撞歪还在漏水",
        "天桥台阶有裂缝很危险",
        "路名牌被风吹倒在地上",
    ];
    let category = t.category("城乡建设/城市建设和市政管理/城市公共设施");
    let report = |i: usize| {
        let mut body = t.complaint();
        body["subject"] = json!(texts[i]);
        body["description"] = json!(texts[i]);
        body["category_id"] = json!(category);
        body
    };
    let surges = || async { alerts_of(&t.get("/api/v1/alerts", &dongcheng).await.body, "surge") };
    for i in 0..5 {
        clock.set(start + Duration::minutes(i as i64));
        t.register(&consultant, report(i)).await;
    }
    let first = surges().await;
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(first[0]["orders"], 5, "{first:?}");
    // Two hours later, quiet since: the same category surges again and is
    // a new warning, not stopped by the old one read back from the store.
    for i in 5..10 {
        clock.set(start + Duration::minutes(120 + i as i64));
        t.register(&consultant, report(i)).await;
    }
    let again = surges().await;
    assert_eq!(again.len(), 2, "{again:?}");
    assert!(again.iter().all(|w| w["orders"] == 5), "each counts its own five: {again:?}");
}

#[tokio::test]
async fn a_surge_warnings_count_grows_live_on_the_towns_alert_screen() {
    let t = TestApp::spawn().await;
    let (consultant, dongcheng) = (t.login("consultant").await, t.login("dongcheng").await);
    let mut live = t.client.get(format!("{}/api/v1/alerts/stream", t.base)).bearer_auth(&dongcheng).send().await.unwrap();
    assert!(live.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    for i in 0..7 {
        t.register(&consultant, alike_flood_report(&t, i)).await;
    }
    // The town's feed: the warning raised by the fifth report, counting
    // five, then its count as the sixth and seventh join.
    let mut surge = Vec::new();
    let mut text = String::new();
    while surge.len() < 3 {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), live.chunk()).await.expect("a live event in time");
        text.push_str(std::str::from_utf8(&chunk.unwrap().expect("the feed stays open")).unwrap());
        while let Some(end) = text.find("\n\n") {
            let event: String = text.drain(..end + 2).collect();
            let name = event.lines().find_map(|l| l.strip_prefix("event: ")).unwrap_or_default().to_owned();
            let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: ")) else { continue };
            let alert: Value = serde_json::from_str(data).unwrap();
            if alert["watched"] == "surge" {
                surge.push((name, alert["id"].clone(), alert["orders"].clone()));
            }
        }
    }
    let id = surge[0].1.clone();
    assert_eq!(
        surge,
        vec![("alert".into(), id.clone(), json!(5)), ("counted".into(), id.clone(), json!(6)), ("counted".into(), id, json!(7))]
    );
}

/// Two screenings on one node at once (the worker and the catch-up pass,
/// when registrations outrun the worker) of reports of one incident: the
/// incident is alerted once, counting both.
#[tokio::test]
async fn screenings_side_by_side_on_one_node_alert_an_incident_once() {
    let start: DateTime<Utc> = "2026-11-16T01:00:00Z".parse().unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let t = TestApp::spawn_with_clock(AppConfig::default(), clock.clone()).await;
    let (admin, consultant, office) = (t.login("admin").await, t.login("consultant").await, t.login("emergency").await);
    // Registered while no rule knew the words, so nothing screened them yet.
    let mut stored = Vec::new();
    for place in ["二号楼", "五号楼"] {
        let mut report = t.complaint();
        report["subject"] = json!("小区井盖被偷了");
        report["description"] = json!(format!("{place}门口的井盖被偷了，请尽快处理。"));
        stored.push(self::stored(&t, &t.register(&consultant, report).await).await);
    }
    let rule =
        json!({"name": "井盖被偷", "keywords": ["井盖被偷"], "partners": [t.unit_id("emergency")], "town": false, "ack_minutes": 10});
    assert_eq!(t.post("/api/v1/emergency/rules", &admin, rule).await.status, StatusCode::CREATED);
    let other = t.second_node().await;
    other.emergency.load_rules().await.unwrap();
    clock.set(start + CATCH_UP_SETTLE + Duration::seconds(1));

    let (first, second) = tokio::join!(other.emergency.screen(&stored[0]), other.emergency.screen(&stored[1]));
    let raised = first.unwrap().len() + second.unwrap().len();
    let alerts = alerts_of(&t.get("/api/v1/alerts", &office).await.body, "emergency");
    assert_eq!((raised, alerts.len()), (1, 1), "{alerts:?}");
    assert_eq!(alerts[0]["orders"], 2, "the later report joined the incident: {alerts:?}");
}

#[tokio::test]
async fn concurrent_reports_of_one_flood_raise_each_alert_exactly_once() {
    let start: DateTime<Utc> = "2026-11-16T01:00:00Z".parse().unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let t = Arc::new(TestApp::spawn_with_clock(AppConfig::default(), clock.clone()).await);
    let consultant = t.login("consultant").await;
    // The reference data's rule 地质灾害与内涝 tells three partners and the town.
    let mut tasks = Vec::new();
    for i in 0..30 {
        let (t, consultant) = (t.clone(), consultant.clone());
        tasks.push(tokio::spawn(async move {
            let r = t.post("/api/v1/work-orders", &consultant, flood_report(&t, i, 4)).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    t.app.emergency.settled().await;
    let supervisor = t.login("supervisor").await;
    let all = t.get("/api/v1/alerts?limit=200", &supervisor).await.body;
    // One flood in one town is one incident: one alert per partner, counting thirty reports.
    let linkage = alerts_of(&all, "emergency");
    let mut units: Vec<&str> = linkage.iter().map(|a| a["unit"].as_str().unwrap()).collect();
    units.sort();
    units.dedup();
    assert_eq!((linkage.len(), units.len()), (4, 4), "{linkage:?}");
    assert!(linkage.iter().all(|a| a["orders"] == 30), "{linkage:?}");
    // Thirty street-light complaints' category and thirty alike texts: one
    // warning for the category, one for the alike reports.
    assert_eq!(alerts_of(&all, "surge").len(), 2, "{:?}", alerts_of(&all, "surge"));
    assert!(alerts_of(&all, "surge").iter().all(|a| a["orders"] == 30), "each counts every report: {:?}", alerts_of(&all, "surge"));

    // Another node catching up a minute later adds nothing.
    let other = t.second_node().await;
    clock.set(start + CATCH_UP_SETTLE + Duration::seconds(1));
    let mut cursor = ChangeCursor { updated_at: start - Duration::minutes(15), id: i64::MIN };
    assert_eq!(other.emergency.catch_up(&mut cursor, CATCH_UP_SETTLE).await.unwrap(), 30);
    let all = t.get("/api/v1/alerts?limit=200", &supervisor).await.body;
    assert_eq!((alerts_of(&all, "emergency").len(), alerts_of(&all, "surge").len()), (4, 2));
    assert!(alerts_of(&all, "emergency").iter().chain(&alerts_of(&all, "surge")).all(|a| a["orders"] == 30), "no report counted twice");
}

#[tokio::test]
async fn an_alerted_partner_reads_and_answers_the_emergency_which_is_promised_its_rules_time_and_grouped_by_place() {
    let start: DateTime<Utc> = "2026-11-16T01:00:00Z".parse().unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let t = TestApp::spawn_with_clock(AppConfig::default(), clock.clone()).await;
    let (consultant, dispatcher, office, urban) =
        (t.login("consultant").await, t.login("dispatcher").await, t.login("emergency").await, t.login("urban").await);
    // The reference data's rule 燃气泄漏 is critical and tells the emergency
    // office, the fire brigade, the gas company and the town.
    let leak = |town: &str, n: usize| {
        let mut body = t.complaint();
        body["type"] = json!("help");
        body["location"]["town_code"] = json!(town);
        body["subject"] = json!("楼道燃气泄漏");
        body["description"] = json!(format!("东纵路{n}号楼道里燃气泄漏，味道很大，请尽快处理。"));
        body
    };
    let order = t.register(&consultant, leak("441900003", 1)).await;
    assert_eq!(order["urgency"], "critical", "raised from the body's normal");
    let promised: DateTime<Utc> = order["deadlines"]["completion"].as_str().unwrap().parse().unwrap();
    assert_eq!(promised, start + Duration::hours(2), "a gas leak is not promised 15 working days");
    assert_eq!(order["emergency"]["rules"], json!(["燃气泄漏"]));
    let partners: Vec<&str> = order["emergency"]["partners"].as_array().unwrap().iter().map(|u| u["name"].as_str().unwrap()).collect();
    assert!(partners.contains(&"东莞新奥燃气有限公司") && partners.contains(&"东城街道"), "{partners:?}");
    let number = order["number"].as_str().unwrap();
    let listed = t.get("/api/v1/work-orders?state=pending_dispatch", &dispatcher).await;
    let row = listed.body["items"].as_array().unwrap().iter().find(|o| o["number"] == number).unwrap().clone();
    assert_eq!(row["emergency"], true);
    assert_eq!(row["time_left"], json!({"overdue": false, "working_days": 0, "hours": 2}), "Monday 09:00, due 11:00");
    let ordinary = t.register(&consultant, t.complaint()).await;
    assert_eq!((ordinary["urgency"].as_str(), &ordinary["emergency"]), (Some("normal"), &Value::Null));
    let listed = t.get("/api/v1/work-orders?state=pending_dispatch", &dispatcher).await;
    let row = listed.body["items"].as_array().unwrap().iter().find(|o| o["number"] == ordinary["number"]).unwrap().clone();
    assert_eq!(
        (row["emergency"].as_bool(), row["time_left"]["working_days"].as_u64()),
        (Some(false), Some(15)),
        "a complaint's 15 working days"
    );

    // The office reads the order it was alerted about, with the caller masked
    // as for any unit, and the read is audited; a unit not alerted does not.
    let path = format!("/api/v1/work-orders/{number}");
    let read = t.get(&path, &office).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    assert_ne!(read.body["caller"]["phone"], "13812345678");
    assert_eq!(read.body["allowed_actions"], json!(["add_progress"]));
    assert_eq!(t.get(&path, &urban).await.status, StatusCode::NOT_FOUND);
    let mine = t.get("/api/v1/work-orders", &office).await;
    assert!(mine.body["items"].as_array().unwrap().iter().any(|o| o["number"] == number), "the partner's own list holds it");
    assert!(
        t.get("/api/v1/work-orders/pending", &office).await.body["items"].as_array().unwrap().is_empty(),
        "but it waits on the lead unit, not on the partner"
    );

    // It adds its own progress before any unit has the order, but cannot sign for it.
    let progress = json!({"action": "add_progress", "kind": "site_visit", "text": "已通知燃气公司关阀"});
    let order = t.ok(&office, &read.body, progress).await;
    let history = t.get(&format!("{path}/history"), &dispatcher).await;
    assert!(history.body.as_array().unwrap().iter().any(|h| h["detail"]["text"] == "已通知燃气公司关阀"), "{}", history.body);
    let order = t.ok(&dispatcher, &order, json!({"action": "dispatch", "lead_unit_id": t.unit_id("441900003")})).await;
    assert_eq!(t.act(&office, &order, json!({"action": "sign_for"})).await.status, StatusCode::FORBIDDEN);

    // The consultant lowers it with a reason; the deadline follows, audited.
    let lowered = t.act(&consultant, &order, json!({"action": "change_urgency", "urgency": "normal"})).await;
    assert_eq!(lowered.status, StatusCode::UNPROCESSABLE_ENTITY, "a reason is required: {}", lowered.body);
    assert_eq!(
        t.act(&office, &order, json!({"action": "change_urgency", "urgency": "normal", "reason": "x"})).await.status,
        StatusCode::FORBIDDEN
    );
    let order = t.ok(&consultant, &order, json!({"action": "change_urgency", "urgency": "urgent", "reason": "燃气公司已关阀"})).await;
    let due: DateTime<Utc> = order["deadlines"]["completion"].as_str().unwrap().parse().unwrap();
    assert_eq!((order["urgency"].as_str(), due), (Some("urgent"), start + Duration::hours(24)));
    assert_eq!(order["emergency"]["urgency"], "critical", "the mark remembers what the rules asked");
    t.app.auditor.seal_all().await.unwrap();
    let log = t.get("/api/v1/audit?limit=100", &t.login("auditor").await).await;
    let actions: Vec<&str> = log.body["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"work_order.read_as_partner") && actions.contains(&"work_order.change_urgency"), "{actions:?}");

    // Five more reports of the leak in 东城 within the window are one
    // incident; one in 南城 is another; after the window, a new one.
    for n in 2..7 {
        clock.set(start + Duration::minutes(n as i64 * 10));
        t.register(&consultant, leak("441900003", n)).await;
    }
    t.register(&consultant, leak("441900004", 1)).await;
    let theirs = alerts_of(&t.get("/api/v1/alerts", &office).await.body, "emergency");
    let counts: Vec<u64> = theirs.iter().map(|a| a["orders"].as_u64().unwrap()).collect();
    assert_eq!(counts, vec![1, 6], "newest first: 南城's own incident, then 东城's six reports");
    let incident = theirs[1]["id"].as_str().unwrap().to_owned();
    clock.set(start + Duration::minutes(121));
    t.register(&consultant, leak("441900003", 9)).await;
    let theirs = alerts_of(&t.get("/api/v1/alerts", &office).await.body, "emergency");
    assert_eq!(theirs.len(), 3, "a report after the window opens a new incident");
    assert_eq!(theirs.iter().find(|a| a["id"] == incident.as_str()).unwrap()["orders"], 6);
    // The incident is one item standing for its six reports, which the office lists.
    let reports = t.get(&format!("/api/v1/alerts/{incident}/orders"), &office).await;
    assert_eq!(reports.status, StatusCode::OK, "{}", reports.body);
    let reports = reports.body.as_array().unwrap();
    assert_eq!(reports.len(), 6, "{reports:?}");
    assert!(reports.iter().all(|o| o["town"]["code"] == "441900003"), "{reports:?}");
    // Every report of the incident is the office's to read.
    let all = t.get("/api/v1/work-orders?limit=50", &office).await;
    assert_eq!(all.body["items"].as_array().unwrap().iter().filter(|o| o["emergency"] == true).count(), 8);
}

#[tokio::test]
async fn a_danger_put_in_other_words_is_suggested_its_urgency_and_sets_off_the_rule_written_for_it() {
    let t = TestApp::spawn().await;
    let consultant = t.login("consultant").await;
    let words = json!({"subject": "厨房有味道", "description": "厨房里一股液化气味，家里老人头有点晕"});
    let s = t.post("/api/v1/suggestions", &consultant, words).await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.body);
    let hint = &s.body["urgency"];
    assert_eq!(hint["suggested"], "critical", "{hint}");
    assert_eq!((hint["signals"][0]["kind"].as_str(), hint["signals"][0]["phrase"].as_str()), (Some("燃气"), Some("液化气味")));
    assert_eq!(hint["rules"], json!(["燃气泄漏"]), "the rule is written 燃气泄漏; the caller said 液化气味");
    let calm = t.post("/api/v1/suggestions", &consultant, json!({"subject": "路灯不亮", "description": "轮胎漏气，烟囱冒烟"})).await;
    assert_eq!(calm.body["urgency"], json!({"suggested": null, "signals": [], "rules": []}), "{}", calm.body);

    // Registered as the caller put it, the rule's partners are told all the same.
    let mut body = t.complaint();
    body["type"] = json!("help");
    body["subject"] = json!("厨房有味道");
    body["description"] = json!("厨房里一股液化气味，家里老人头有点晕");
    let order = t.register(&consultant, body).await;
    assert_eq!(order["emergency"]["rules"], json!(["燃气泄漏"]), "{order}");
    assert_eq!(order["urgency"], "critical");
}

#[tokio::test]
async fn a_synonym_the_editors_add_widens_a_linkage_rule_at_once() {
    let t = TestApp::spawn().await;
    let (admin, consultant) = (t.login("admin").await, t.login("consultant").await);
    let rule = json!({"name": "井盖缺失", "keywords": ["井盖不见"], "partners": [t.unit_id("emergency")], "ack_minutes": 15});
    assert_eq!(t.post("/api/v1/emergency/rules", &admin, rule).await.status, StatusCode::CREATED);
    let words = json!({"subject": "路口井盖", "description": "路口没有井盖，晚上很危险"});
    let before = t.post("/api/v1/suggestions", &consultant, words.clone()).await;
    assert_eq!(before.body["urgency"]["rules"], json!([]), "{}", before.body);

    let set = t.post("/api/v1/kb/vocabulary/synonyms", &admin, json!({"words": ["井盖不见", "没有井盖"]})).await;
    assert_eq!(set.status, StatusCode::CREATED, "{}", set.body);
    let after = t.post("/api/v1/suggestions", &consultant, words.clone()).await;
    assert_eq!(after.body["urgency"]["rules"], json!(["井盖缺失"]), "{}", after.body);
    let mut body = t.complaint();
    body["subject"] = words["subject"].clone();
    body["description"] = words["description"].clone();
    let order = t.register(&consultant, body).await;
    assert_eq!(order["emergency"]["rules"], json!(["井盖缺失"]), "{order}");
    // The rule as its administrators wrote it is unchanged.
    let rules = t.get("/api/v1/emergency/rules", &admin).await.body;
    let written = rules.as_array().unwrap().iter().find(|r| r["name"] == "井盖缺失").unwrap().clone();
    assert_eq!(written["keywords"], json!(["井盖不见"]));

    // Removing the set narrows the rule again.
    let removed =
        t.call(Method::DELETE, &format!("/api/v1/kb/vocabulary/synonyms/{}", set.body["id"].as_str().unwrap()), Some(&admin), None).await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let narrowed = t.post("/api/v1/suggestions", &consultant, words).await;
    assert_eq!(narrowed.body["urgency"]["rules"], json!([]), "{}", narrowed.body);
}

#[tokio::test]
async fn an_administrators_own_danger_lexicon_suggests_urgency_and_widens_the_rules_at_once() {
    let t = TestApp::spawn().await;
    let (admin, consultant) = (t.login("admin").await, t.login("consultant").await);
    let hint = |body: &Value| body["urgency"].clone();
    let local = json!({"subject": "楼下有味", "description": "楼下煤气好臭，怕出事"});
    assert_eq!(hint(&t.post("/api/v1/suggestions", &consultant, local.clone()).await.body)["suggested"], Value::Null, "not shipped");

    // The shipped lexicon, as the administrators find it.
    let shipped = t.get("/api/v1/emergency/dangers", &admin).await;
    assert_eq!(shipped.status, StatusCode::OK, "{}", shipped.body);
    assert_eq!(shipped.body["shipped"], true);
    assert_eq!(shipped.body["kinds"], shipped.body["default"]);
    let mut kinds = shipped.body["kinds"].as_array().unwrap().clone();
    let gas = kinds.iter_mut().find(|k| k["name"] == "燃气").unwrap();
    gas["phrases"].as_array_mut().unwrap().push(json!("煤气好臭"));
    kinds.retain(|k| k["name"] != "内涝");

    // Saved: the desk hears the city's own phrase, the rule written 燃气泄漏
    // matches it at registration, and a dropped kind is no longer heard.
    let saved = t.call(Method::PUT, "/api/v1/emergency/dangers", Some(&admin), Some(json!({"kinds": kinds}))).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert_eq!(saved.body["shipped"], false);
    let heard = hint(&t.post("/api/v1/suggestions", &consultant, local.clone()).await.body);
    assert_eq!((heard["suggested"].as_str(), heard["signals"][0]["phrase"].as_str()), (Some("critical"), Some("煤气好臭")), "{heard}");
    assert_eq!(heard["rules"], json!(["燃气泄漏"]), "{heard}");
    let flood = json!({"subject": "水浸", "description": "小区门口内涝严重"});
    assert_eq!(hint(&t.post("/api/v1/suggestions", &consultant, flood).await.body)["signals"], json!([]));
    let mut body = t.complaint();
    body["type"] = json!("help");
    body["subject"] = local["subject"].clone();
    body["description"] = local["description"].clone();
    let order = t.register(&consultant, body).await;
    assert_eq!((order["emergency"]["rules"].clone(), order["urgency"].clone()), (json!(["燃气泄漏"]), json!("critical")), "{order}");
    let audit = t.get("/api/v1/audit?limit=20", &t.login("auditor").await).await;
    assert!(audit.body.to_string().contains("emergency.dangers.save"), "{}", audit.body);

    // Refused whole, naming each kind's problem; nothing changes.
    let bad = json!({"kinds": [
        {"name": "燃气", "urgency": "normal", "phrases": ["煤气味", "气"]},
        {"name": "燃气", "urgency": "urgent", "phrases": ["煤气味"]},
    ]});
    let refused = t.call(Method::PUT, "/api/v1/emergency/dangers", Some(&admin), Some(bad)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    let text = refused.body.to_string();
    for field in ["kinds[0].urgency", "kinds[0].phrases", "kinds[1].name", "kinds[1].phrases"] {
        assert!(text.contains(field), "{field} in {text}");
    }
    let unknown = t
        .call(
            Method::PUT,
            "/api/v1/emergency/dangers",
            Some(&admin),
            Some(json!({"kinds": [{"name": "燃气", "urgency": "urgent", "phrases": ["煤气味"], "colour": "red"}]})),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", unknown.body);
    assert_eq!(t.get("/api/v1/emergency/dangers", &admin).await.body["kinds"], saved.body["kinds"]);
    // Only administrators.
    assert_eq!(t.get("/api/v1/emergency/dangers", &consultant).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        t.call(Method::DELETE, "/api/v1/emergency/dangers", Some(&t.login("supervisor").await), None).await.status,
        StatusCode::FORBIDDEN
    );

    // Back to the shipped lexicon, here and on a node started afterwards.
    let reset = t.call(Method::DELETE, "/api/v1/emergency/dangers", Some(&admin), None).await;
    assert_eq!((reset.status, reset.body["shipped"].clone()), (StatusCode::OK, json!(true)), "{}", reset.body);
    assert_eq!(hint(&t.post("/api/v1/suggestions", &consultant, local).await.body)["suggested"], Value::Null);
    let other = t.second_node().await;
    assert!(other.emergency.hint("小区门口内涝严重", None, None).suggested.is_some(), "the shipped 内涝 again");
}

#[tokio::test]
async fn a_dispatcher_merges_a_surges_reports_into_one_of_them_in_one_step() {
    let start: DateTime<Utc> = "2026-11-16T01:00:00Z".parse().unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let t = TestApp::spawn_with_clock(AppConfig::default(), clock.clone()).await;
    let (consultant, dispatcher, dongcheng) = (t.login("consultant").await, t.login("dispatcher").await, t.login("dongcheng").await);
    let mut orders = Vec::new();
    for i in 0..6 {
        orders.push(t.register(&consultant, alike_flood_report(&t, i)).await);
        clock.set(start + Duration::minutes(i as i64 + 1));
    }
    // The second report was dispatched before anyone saw the warning.
    t.ok(&dispatcher, &orders[1], json!({"action": "dispatch", "lead_unit_id": t.unit_id("441900003")})).await;
    let warning = alerts_of(&t.get("/api/v1/alerts", &dispatcher).await.body, "surge")[0].clone();
    assert_eq!(warning["orders"], 6, "{warning}");
    let merge = format!("/api/v1/alerts/{}/merge", warning["id"].as_str().unwrap());
    let master = orders[0]["number"].as_str().unwrap();

    // Refused whole: a town's handler may not merge; a master outside the
    // incident, a malformed one or none is named; another alert is not found.
    let refused = t.post(&merge, &dongcheng, json!({"master": master})).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let elsewhere = t.register(&consultant, t.complaint()).await;
    for (body, field) in [
        (json!({"master": elsewhere["number"]}), "master"),
        (json!({"master": "DG2026"}), "master"),
        (json!({}), "master"),
        (json!({"master": master, "also": 1}), "also"),
    ] {
        let r = t.post(&merge, &dispatcher, body.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", r.body);
        assert!(r.body.to_string().contains(field), "{body}: {}", r.body);
    }
    assert_eq!(t.post("/api/v1/alerts/123/merge", &dispatcher, json!({"master": master})).await.status, StatusCode::NOT_FOUND);
    for order in &orders {
        let now = t.get(&format!("/api/v1/work-orders/{}", order["number"].as_str().unwrap()), &dispatcher).await.body;
        assert_ne!(now["state"], "merged", "nothing was merged by a refused request");
    }

    // The dispatcher merges the others into the first: four merged, the
    // dispatched one left and said so.
    let r = t.post(&merge, &dispatcher, json!({"master": master})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let outcomes = r.body.as_array().unwrap().clone();
    assert_eq!(outcomes.len(), 5, "every order but the master: {outcomes:?}");
    let left: Vec<_> = outcomes.iter().filter(|o| o["merged"] == false).collect();
    assert_eq!(left.len(), 1, "{outcomes:?}");
    assert_eq!((&left[0]["number"], left[0]["state"].as_str()), (&orders[1]["number"], Some("dispatched")));
    for o in outcomes.iter().filter(|o| o["merged"] == true) {
        assert_eq!(o["state"], "merged");
        let order = t.get(&format!("/api/v1/work-orders/{}", o["number"].as_str().unwrap()), &dispatcher).await.body;
        assert_eq!((order["state"].as_str(), order["master"]["number"].as_str()), (Some("merged"), Some(master)), "{order}");
    }
    // Each merge is in the master's history, as one merged by hand would be.
    let history = t.get(&format!("/api/v1/work-orders/{master}/history"), &dispatcher).await.body;
    let absorbed = history.as_array().unwrap().iter().filter(|h| h["action"] == "absorb_duplicate").count();
    assert_eq!(absorbed, 4, "{history}");
    // Again: nothing more to merge, nothing merged twice.
    let again = t.post(&merge, &dispatcher, json!({"master": master})).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert!(again.body.as_array().unwrap().iter().all(|o| o["merged"] == false), "{}", again.body);
    let history = t.get(&format!("/api/v1/work-orders/{master}/history"), &dispatcher).await.body;
    assert_eq!(history.as_array().unwrap().iter().filter(|h| h["action"] == "absorb_duplicate").count(), 4);
}

#[tokio::test]
async fn dispatchers_merging_one_incident_at_once_merge_each_report_once() {
    let start: DateTime<Utc> = "2026-11-16T01:00:00Z".parse().unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let t = TestApp::spawn_with_clock(AppConfig::default(), clock.clone()).await;
    let (consultant, dispatcher) = (t.login("consultant").await, t.login("dispatcher").await);
    let mut orders = Vec::new();
    for i in 0..6 {
        orders.push(t.register(&consultant, alike_flood_report(&t, i)).await);
        clock.set(start + Duration::minutes(i as i64 + 1));
    }
    let warning = alerts_of(&t.get("/api/v1/alerts", &dispatcher).await.body, "surge")[0].clone();
    let merge = format!("/api/v1/alerts/{}/merge", warning["id"].as_str().unwrap());
    let master = orders[0]["number"].as_str().unwrap();
    // Four dispatchers' screens click at once: each order is merged by one
    // of them, the others finding it moved on and leaving it.
    let clicks = (0..4).map(|_| t.post(&merge, &dispatcher, json!({"master": master})));
    let answers = futures_util::future::join_all(clicks).await;
    let mut merged = Vec::new();
    for answer in &answers {
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        merged.extend(answer.body.as_array().unwrap().iter().filter(|o| o["merged"] == true).map(|o| o["number"].clone()));
    }
    merged.sort_by_key(|n| n.as_str().unwrap().to_owned());
    let mut expected: Vec<Value> = orders[1..].iter().map(|o| o["number"].clone()).collect();
    expected.sort_by_key(|n| n.as_str().unwrap().to_owned());
    let bodies: Vec<&Value> = answers.iter().map(|a| &a.body).collect();
    assert_eq!(merged, expected, "each of the five merged by exactly one request: {bodies:?}");
    let history = t.get(&format!("/api/v1/work-orders/{master}/history"), &dispatcher).await.body;
    assert_eq!(history.as_array().unwrap().iter().filter(|h| h["action"] == "absorb_duplicate").count(), 5, "{history}");
}
