//! What operators and their load balancer read: liveness, readiness,
//! Prometheus metrics, request ids.

use crate::support::TestApp;
use chrono::{DateTime, Duration, Utc};
use hotline_app::AppConfig;
use hotline_app::clock::ManualClock;
use reqwest::StatusCode;
use serde_json::json;
use std::sync::Arc;

/// A sample's value in Prometheus's text format, by its full name with labels.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')).and_then(|v| v.trim().parse().ok()))
}

async fn scrape(t: &TestApp, base: &str, token: Option<&str>) -> (StatusCode, String) {
    let mut req = t.client.get(format!("{base}/metrics"));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let r = req.send().await.expect("scrape");
    (r.status(), r.text().await.expect("body"))
}

#[tokio::test]
async fn liveness_stays_up_while_readiness_follows_the_stop() {
    let t = TestApp::spawn().await;
    let readiness = hotline_http::routes::meta::Readiness::default();
    let base = t.serve_with(hotline_http::HttpConfig { readiness: readiness.clone(), ..Default::default() }).await;
    let get = |path: &'static str| {
        let client = t.client.clone();
        let url = format!("{base}{path}");
        async move {
            let r = client.get(url).send().await.expect("probe");
            (r.status(), r.json::<serde_json::Value>().await.expect("json"))
        }
    };
    assert_eq!(get("/livez").await, (StatusCode::OK, json!({"status": "ok"})));
    assert_eq!(get("/readyz").await, (StatusCode::OK, json!({"status": "ok"})));
    readiness.stop_taking_work();
    assert_eq!(get("/readyz").await, (StatusCode::SERVICE_UNAVAILABLE, json!({"status": "stopping"})));
    assert_eq!(get("/livez").await, (StatusCode::OK, json!({"status": "ok"})), "a stopping node is alive");
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_show_the_work_that_is_due() {
    let start: DateTime<Utc> = "2026-11-16T01:00:00Z".parse().unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let t = TestApp::spawn_with_clock(AppConfig::default(), clock.clone()).await;
    let (consultant, dispatcher) = (t.login("consultant").await, t.login("dispatcher").await);
    let order = t.register(&consultant, t.complaint()).await;
    let east = t.unit_id("441900003");
    t.ok(&dispatcher, &order, json!({"action": "dispatch", "lead_unit_id": east})).await;

    let (status, text) = scrape(&t, &t.base, None).await;
    assert_eq!(status, StatusCode::OK);
    let created = r#"hotline_http_requests_total{method="POST",route="/api/v1/work-orders",status="201"}"#;
    assert_eq!(sample(&text, created), Some(1.0), "{text}");
    let acted = r#"hotline_http_requests_total{method="POST",route="/api/v1/work-orders/{number}/actions",status="200"}"#;
    assert_eq!(sample(&text, acted), Some(1.0), "one series for every order's actions: {text}");
    assert!(text.contains(r#"hotline_http_request_duration_seconds_bucket{method="POST",route="/api/v1/work-orders",le="0.1"}"#), "{text}");
    assert_eq!(sample(&text, r#"hotline_background_due{work="deadline_timers"}"#), Some(0.0), "nothing due yet: {text}");
    assert_eq!(sample(&text, "hotline_gauges_up"), Some(1.0));
    assert!(sample(&text, "process_resident_memory_bytes").is_some_and(|b| b > 1e6), "{text}");

    // Three hours on, the sign-for deadline and its warning are due and no
    // scan has fired them: that is what an operator's alert looks for.
    clock.set(start + Duration::hours(3));
    t.call(reqwest::Method::GET, "/api/v1/no-such-thing", None, None).await;
    let (_, text) = scrape(&t, &t.base, None).await;
    assert_eq!(sample(&text, r#"hotline_background_due{work="deadline_timers"}"#), Some(2.0), "{text}");
    let unknown = r#"hotline_http_requests_total{method="GET",route="unmatched",status="404"}"#;
    assert_eq!(sample(&text, unknown), Some(1.0), "unknown paths share one series: {text}");
    assert!(!text.contains("no-such-thing"), "paths no route matched never become labels");
}

#[tokio::test]
async fn metrics_ask_for_their_token_when_one_is_set() {
    let t = TestApp::spawn().await;
    let base = t.serve_with(hotline_http::HttpConfig { metrics_token: Some("scrape-me".into()), ..Default::default() }).await;
    let (status, text) = scrape(&t, &base, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{text}");
    assert!(text.contains("metrics_token"), "{text}");
    assert_eq!(scrape(&t, &base, Some("guess")).await.0, StatusCode::UNAUTHORIZED);
    let (status, text) = scrape(&t, &base, Some("scrape-me")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("hotline_background_due"), "{text}");
}

#[tokio::test]
async fn every_answer_carries_a_request_id_and_keeps_the_load_balancers() {
    let t = TestApp::spawn().await;
    let r = t.client.get(format!("{}/livez", t.base)).send().await.unwrap();
    let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let again = t.client.get(format!("{}/livez", t.base)).send().await.unwrap();
    assert_ne!(again.headers()["x-request-id"].to_str().unwrap(), id, "one id per request");
    let relayed = t.client.get(format!("{}/api/v1/me", t.base)).header("x-request-id", "nginx-5f2c").send().await.unwrap();
    assert_eq!(relayed.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(relayed.headers()["x-request-id"], "nginx-5f2c");
}

/// Public searches through one node, then another; the statuses.
async fn search_through(t: &TestApp, nodes: &[&str], times: usize) -> Vec<u16> {
    let mut statuses = Vec::new();
    for node in nodes {
        for _ in 0..times {
            let r = t.client.get(format!("{node}/api/v1/public/kb/search?q=社保")).send().await.unwrap();
            statuses.push(r.status().as_u16());
        }
    }
    statuses
}

#[tokio::test]
async fn nodes_sharing_the_database_share_each_clients_portal_budget() {
    let t = TestApp::spawn().await;
    let shared = hotline_http::HttpConfig { public_search_per_minute: 3, shared_limits: true, ..Default::default() };
    let (a, b) = (t.serve_with(shared.clone()).await, t.serve_with(shared).await);
    assert_eq!(search_through(&t, &[&a, &b], 2).await, vec![200, 200, 200, 429], "three a minute, whichever node");

    // Counted in memory, each node has its own (a single node's case).
    let apart = hotline_http::HttpConfig { public_search_per_minute: 3, ..Default::default() };
    let (c, d) = (t.serve_with(apart.clone()).await, t.serve_with(apart).await);
    assert_eq!(search_through(&t, &[&c, &d], 2).await, vec![200, 200, 200, 200]);
}

/// The next server-sent event on `feed` whose data satisfies `wanted`:
/// its name and data.
async fn next_event(feed: &mut reqwest::Response, wanted: impl Fn(&serde_json::Value) -> bool) -> (String, serde_json::Value) {
    let mut text = String::new();
    loop {
        while let Some(end) = text.find("\n\n") {
            let event: String = text.drain(..end + 2).collect();
            let name = event.lines().find_map(|l| l.strip_prefix("event: ")).unwrap_or_default().to_owned();
            let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: ")) else { continue };
            let data: serde_json::Value = serde_json::from_str(data).unwrap();
            if wanted(&data) {
                return (name, data);
            }
        }
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), feed.chunk()).await.expect("an event in time");
        text.push_str(std::str::from_utf8(&chunk.unwrap().expect("the feed stays open")).unwrap());
    }
}

#[tokio::test]
#[ignore = "needs a NATS server at HOTLINE_TEST_NATS (.ci/run points it at the machine's)"]
async fn live_feeds_reach_the_screens_of_every_node_through_nats() {
    let nats = std::env::var("HOTLINE_TEST_NATS").unwrap_or_else(|_| "nats://127.0.0.1:4222".into());
    let start: DateTime<Utc> = "2026-11-16T01:00:00Z".parse().unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let t = TestApp::spawn_with_clock(AppConfig::default(), clock.clone()).await;
    let other = t.second_node().await;
    // A subject of this run's own, so runs side by side do not hear each other.
    let cluster = hotline_nats::ClusterConfig { nats_url: nats, subject: format!("hotline-test.{}", t.app.ids.next()) };
    let (here, there) = (hotline_nats::join(&cluster, &t.app).await.unwrap(), hotline_nats::join(&cluster, &other).await.unwrap());
    assert!(matches!(hotline_nats::join(&cluster, &other).await, Err(hotline_nats::RelayError::AlreadyJoined)));
    let base = crate::support::serve(other.clone(), Default::default()).await;

    // A dispatcher and a supervisor whose screens the balancer put on the other node.
    let (consultant, dispatcher, supervisor) = (t.login("consultant").await, t.login("dispatcher").await, t.login("supervisor").await);
    let mut orders = t.client.get(format!("{base}/api/v1/work-orders/stream")).bearer_auth(&dispatcher).send().await.unwrap();
    let mut alerts = t.client.get(format!("{base}/api/v1/alerts/stream")).bearer_auth(&supervisor).send().await.unwrap();
    assert_eq!((orders.status(), alerts.status()), (StatusCode::OK, StatusCode::OK));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    let order = t.register(&consultant, t.complaint()).await;
    let number = order["number"].clone();
    let (_, heard) = next_event(&mut orders, |e| e["number"] == number).await;
    assert_eq!((heard["action"].as_str(), heard["state"].as_str()), (Some("register"), Some("pending_dispatch")), "{heard}");
    t.ok(&dispatcher, &order, json!({"action": "dispatch", "lead_unit_id": t.unit_id("441900003")})).await;
    let (_, heard) = next_event(&mut orders, |e| e["number"] == number).await;
    assert_eq!(heard["state"], "dispatched", "{heard}");

    // The deadline scan of the first node raises the alert; the other's
    // supervisor sees it at once, read back whole from the database.
    clock.set(start + Duration::hours(3));
    assert_eq!(t.app.supervision.scan().await.unwrap().raised, 1);
    let (name, alert) = next_event(&mut alerts, |a| a["number"] == number).await;
    assert_eq!((name.as_str(), alert["watched"].as_str(), alert["level"].as_str()), ("alert", Some("sign_for"), Some("red")), "{alert}");
    here.abort();
    there.abort();
}

#[tokio::test]
async fn a_retried_registration_tells_the_live_screens_again() {
    let t = TestApp::spawn().await;
    let (consultant, dispatcher) = (t.login("consultant").await, t.login("dispatcher").await);
    let mut feed = t.client.get(format!("{}/api/v1/work-orders/stream", t.base)).bearer_auth(&dispatcher).send().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let register = || {
        t.client
            .post(format!("{}/api/v1/work-orders", t.base))
            .bearer_auth(&consultant)
            .header("Idempotency-Key", "retry-7")
            .json(&t.complaint())
    };
    let first: serde_json::Value = register().send().await.unwrap().json().await.unwrap();
    let number = first["number"].clone();
    next_event(&mut feed, |e| e["number"] == number).await;
    // The answer was lost on its way (the node died): the client retries.
    let again = register().send().await.unwrap();
    assert_eq!(again.status(), StatusCode::OK, "a replay");
    let (name, heard) = next_event(&mut feed, |e| e["number"] == number).await;
    assert_eq!((name.as_str(), heard["action"].as_str()), ("order", Some("register")), "{heard}");
}

#[tokio::test]
async fn a_burst_across_two_nodes_gets_exactly_the_shared_budget() {
    let t = TestApp::spawn().await;
    let shared = hotline_http::HttpConfig { public_search_per_minute: 5, shared_limits: true, ..Default::default() };
    let (a, b) = (t.serve_with(shared.clone()).await, t.serve_with(shared).await);
    // Thirty searches at once, half through each node: five get through.
    let searches = (0..30).map(|i| {
        let url = format!("{}/api/v1/public/kb/search?q=社保", if i % 2 == 0 { &a } else { &b });
        let client = t.client.clone();
        async move { client.get(url).send().await.unwrap().status().as_u16() }
    });
    let statuses = futures_util::future::join_all(searches).await;
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 5, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 25, "{statuses:?}");
}

async fn callcentre_probe(t: &TestApp, base: &str) -> (StatusCode, String) {
    let r = t.client.get(format!("{base}/readyz/callcentre")).send().await.expect("probe");
    let status = r.status();
    (status, r.json::<serde_json::Value>().await.expect("json")["status"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn one_node_runs_the_call_centre_and_a_standby_takes_it_over_counting_the_calls_lost() {
    let t = TestApp::spawn().await;
    let ttl = Duration::seconds(1);
    let owner = t.app.calls.clone().contend(t.app.leases.clone(), ttl).await;
    let standby = t.node(AppConfig { node_id: 1, ..Default::default() }).await;
    let standing_by = standby.calls.clone().contend(standby.leases.clone(), ttl).await;
    let a = t.serve_with(Default::default()).await;
    let b = crate::support::serve(standby.clone(), Default::default()).await;
    assert_eq!(callcentre_probe(&t, &a).await, (StatusCode::OK, "ok".into()));
    assert_eq!(callcentre_probe(&t, &b).await, (StatusCode::SERVICE_UNAVAILABLE, "standby".into()));
    // Both nodes are ready for everything else.
    assert_eq!(t.client.get(format!("{b}/readyz")).send().await.unwrap().status(), StatusCode::OK);

    // The standby takes no call and no desk, saying why.
    let refused = standby.calls.switchboard.arrive("general", "13800000001").await.expect_err("standby takes no call");
    assert!(matches!(&refused, hotline_app::AppError::Unavailable(m) if m.contains("stands by")), "{refused:?}");
    let desk = standby.calls.switchboard.login(hotline_domain::UserId(42), "李四".into(), Default::default()).await;
    assert!(matches!(desk, Err(hotline_app::AppError::Unavailable(_))));
    let (_, text) = scrape(&t, &b, None).await;
    assert_eq!(sample(&text, "hotline_callcentre_owner"), Some(0.0), "{text}");

    // A consultant's desk is open on the owner.
    let mut desk = t.app.calls.switchboard.login(hotline_domain::UserId(7), "王五".into(), Default::default()).await.expect("desk");

    // Two callers wait on the owner; then it stops renewing (it died).
    t.app.calls.switchboard.arrive("general", "13800000002").await.expect("the owner takes calls");
    t.app.calls.switchboard.arrive("general", "13800000003").await.expect("the owner takes calls");
    let (_, text) = scrape(&t, &a, None).await;
    assert_eq!(sample(&text, "hotline_callcentre_owner"), Some(1.0), "{text}");
    owner.abort();

    let started = std::time::Instant::now();
    while !standby.calls.switchboard.is_owner() {
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "the standby did not take the call centre over");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let took = started.elapsed();
    assert!(took <= std::time::Duration::from_secs(3), "taken over after {took:?}, the lease being 1 s");
    assert_eq!(callcentre_probe(&t, &b).await, (StatusCode::OK, "ok".into()));
    standby.calls.switchboard.arrive("general", "13800000004").await.expect("the new owner takes calls");
    // The two waiting callers were on the node that stopped: counted lost, once.
    let (_, text) = scrape(&t, &b, None).await;
    assert_eq!(sample(&text, "hotline_calls_lost_last_day"), Some(2.0), "{text}");
    assert_eq!(sample(&text, "hotline_callcentre_owner"), Some(1.0), "{text}");
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    let (_, text) = scrape(&t, &b, None).await;
    assert_eq!(sample(&text, "hotline_calls_lost_last_day"), Some(2.0), "the new owner's own call is not lost: {text}");
    // Their callers are owed a call, and the new owner's wallboard counts
    // them apart from the calls offered.
    let consultant = t.login("consultant").await;
    let tasks = t.client.get(format!("{b}/api/v1/callcentre/callbacks")).bearer_auth(&consultant).send().await.expect("callbacks");
    let tasks: serde_json::Value = tasks.json().await.expect("json");
    let owed: Vec<(&str, &str)> =
        tasks.as_array().expect("tasks").iter().map(|c| (c["caller"].as_str().unwrap(), c["outcome"].as_str().unwrap())).collect();
    assert_eq!(owed, [("13800000002", "lost"), ("13800000003", "lost")]);
    let supervisor = t.login("supervisor").await;
    let board = t.client.get(format!("{b}/api/v1/callcentre/wallboard")).bearer_auth(&supervisor).send().await.expect("wallboard");
    let board: serde_json::Value = board.json().await.expect("json");
    assert_eq!((board["today"]["lost"].as_u64(), board["today"]["offered"].as_u64()), (Some(2), Some(0)), "{board}");

    // The former owner comes back (its lease renewals resume): it finds the
    // lease held and stands by instead of running a second call centre.
    let back = t.app.calls.clone().contend(t.app.leases.clone(), ttl).await;
    assert!(!t.app.calls.switchboard.is_owner());
    assert_eq!(callcentre_probe(&t, &a).await, (StatusCode::SERVICE_UNAVAILABLE, "standby".into()));
    // Its desk was closed, to open again on the owner.
    let closed = tokio::time::timeout(std::time::Duration::from_secs(5), async { while desk.events.recv().await.is_some() {} }).await;
    assert!(closed.is_ok(), "the standby closed its desks");

    // The owner stops on purpose: it hands the lease over, and the node
    // standing by takes the call centre at its next round, long before
    // the lease would have lapsed.
    standing_by.abort();
    // Renewed for long: only the hand-over can free it in time.
    assert!(standby.leases.hold(hotline_app::calls::CALL_CENTRE_LEASE, Duration::seconds(60)).await);
    standby.calls.hand_over(&standby.leases).await;
    assert!(!standby.calls.switchboard.is_owner());
    let handed = std::time::Instant::now();
    while !t.app.calls.switchboard.is_owner() {
        assert!(handed.elapsed() < std::time::Duration::from_secs(5), "the call centre was not taken over after the hand-over");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    back.abort();
}

#[tokio::test]
async fn a_standby_takes_the_call_centre_over_when_the_lease_lapses_not_a_round_later() {
    // Rounds every 2 s; the owner's last renewal falls between two of the
    // standby's rounds, so its lease lapses 1 s before the standby's next
    // round would have found it lapsed.
    let t = TestApp::spawn().await;
    let ttl = Duration::seconds(6);
    let lease = hotline_app::calls::CALL_CENTRE_LEASE;
    assert!(t.app.leases.hold(lease, ttl).await, "node 0 owns the call centre");
    let standby = t.node(AppConfig { node_id: 1, ..Default::default() }).await;
    let standing_by = standby.calls.clone().contend(standby.leases.clone(), ttl).await;
    assert!(!standby.calls.switchboard.is_owner());
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    // Node 0's last renewal; then it dies.
    let renewed = std::time::Instant::now();
    assert!(t.app.leases.hold(lease, ttl).await);
    while !standby.calls.switchboard.is_owner() {
        assert!(renewed.elapsed() < std::time::Duration::from_secs(12), "the standby did not take the call centre over");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let took = renewed.elapsed();
    // At its rounds it would take it 7 s after the renewal.
    assert!(took >= std::time::Duration::from_secs(6), "taken over after {took:?}, before the lease lapsed");
    assert!(took < std::time::Duration::from_millis(6_600), "taken over {took:?} after the last renewal, the lease being 6 s");
    standing_by.abort();
}

#[tokio::test]
async fn of_nodes_contending_at_once_exactly_one_runs_the_call_centre() {
    let t = TestApp::spawn().await;
    let ttl = Duration::seconds(30);
    let mut nodes = vec![t.app.clone()];
    for id in 1..5 {
        nodes.push(t.node(AppConfig { node_id: id, ..Default::default() }).await);
    }
    let contending = nodes.iter().map(|n| n.calls.clone().contend(n.leases.clone(), ttl));
    let rounds = futures_util::future::join_all(contending).await;
    let owners: Vec<usize> = nodes.iter().enumerate().filter(|(_, n)| n.calls.switchboard.is_owner()).map(|(i, _)| i).collect();
    assert_eq!(owners.len(), 1, "one owner among five nodes: {owners:?}");
    for round in rounds {
        round.abort();
    }
}
