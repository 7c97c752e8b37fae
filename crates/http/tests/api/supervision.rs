//! Deadline alerts from timers, scoped to units, delivered by webhook, and
//! the supervision desk's lists and cards, on a clock the test moves.

use crate::support::TestApp;
use axum::body::Bytes;
use axum::http::HeaderMap;
use chrono::{DateTime, Duration, Utc};
use hotline_app::AppConfig;
use hotline_app::clock::ManualClock;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

type Received = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

/// A partner system's webhook endpoint on a random port.
async fn webhook_receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let store = received.clone();
    let router = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let store = store.clone();
            async move {
                store.lock().unwrap().push((headers, body));
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, received)
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn levels(alerts: &Value) -> Vec<(String, String)> {
    alerts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["watched"].as_str().unwrap().to_owned(), a["level"].as_str().unwrap().to_owned()))
        .collect()
}

#[tokio::test]
async fn late_orders_raise_alerts_that_reach_the_unit_and_the_supervision_desk() {
    let start = at("2026-11-16T09:00:00+08:00");
    let clock = Arc::new(ManualClock::new(start));
    let t = TestApp::spawn_with_clock(AppConfig::default(), clock.clone()).await;
    let (consultant, dispatcher, supervisor, admin) =
        (t.login("consultant").await, t.login("dispatcher").await, t.login("supervisor").await, t.login("admin").await);
    let (dongcheng, nancheng) = (t.login("dongcheng").await, t.login("nancheng").await);
    let east = t.unit_id("441900003");
    let (hook, received) = webhook_receiver().await;

    // 东城 wants its alerts by webhook; addresses are checked.
    let path = format!("/api/v1/contacts?unit={east}");
    let bad = t.call(Method::PUT, &path, Some(&admin), Some(json!([{"channel": "webhook", "address": "ftp://x"}]))).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.to_string().contains("contacts[0].address"), "{}", bad.body);
    let bad = t.call(Method::PUT, &path, Some(&admin), Some(json!([{"channel": "email", "address": "not an address"}]))).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    let ok = t.call(Method::PUT, &path, Some(&admin), Some(json!([{"channel": "webhook", "address": hook}]))).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let other = format!("/api/v1/contacts?unit={}", t.unit_id("441900004"));
    let forbidden = t.call(Method::PUT, &other, Some(&t.login("dongcheng_admin").await), Some(json!([]))).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN, "a unit admin sets only their own unit's addresses");

    let order = t.register(&consultant, t.complaint()).await;
    let order = t.ok(&dispatcher, &order, json!({"action": "dispatch", "lead_unit_id": east})).await;
    let scan = t.post("/api/v1/supervision/scan", &supervisor, json!({})).await;
    assert_eq!(scan.body, json!({"fired": 0, "raised": 0}), "nothing is due yet");

    // Three hours later the 2-hour sign-for is missed: one red alert, the
    // yellow that fell due with it is fired silently.
    clock.set(start + Duration::hours(3));
    let scan = t.post("/api/v1/supervision/scan", &supervisor, json!({})).await;
    assert_eq!(scan.body, json!({"fired": 2, "raised": 1}), "{}", scan.body);
    let again = t.post("/api/v1/supervision/scan", &supervisor, json!({})).await;
    assert_eq!(again.body, json!({"fired": 0, "raised": 0}), "a timer fires once");
    let mine = t.get("/api/v1/alerts?unread=true", &dongcheng).await;
    assert_eq!(levels(&mine.body), vec![("sign_for".to_owned(), "red".to_owned())]);
    assert_eq!(mine.body[0]["number"], order["number"]);
    assert_eq!(t.get("/api/v1/alerts", &nancheng).await.body, json!([]), "another unit sees none");
    let id = mine.body[0]["id"].as_str().unwrap().to_owned();
    let theirs = t.post(&format!("/api/v1/alerts/{id}/read"), &nancheng, json!({})).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let read = t.post(&format!("/api/v1/alerts/{id}/read"), &dongcheng, json!({})).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    assert!(read.body["read_at"].is_string());
    assert_eq!(t.get("/api/v1/alerts?unread=true", &dongcheng).await.body, json!([]));
    let bad = t.get("/api/v1/alerts?level=purple", &dongcheng).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The outbox sends the alert to 东城's webhook, signed.
    let config = hotline_notify::NotifyConfig { webhook_secret: "s3cret".into(), ..Default::default() };
    let notifier = hotline_notify::Outbound::new(&config).unwrap();
    let report = t.app.supervision.deliver(&notifier).await.unwrap();
    assert_eq!((report.delivered, report.retried, report.gave_up), (1, 0, 0));
    let (headers, body) = received.lock().unwrap()[0].clone();
    assert_eq!(headers[hotline_notify::SIGNATURE_HEADER].to_str().unwrap(), hotline_notify::sign("s3cret", &body));
    let sent: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!((sent["event"].as_str(), sent["alert"]["id"].as_str()), (Some("alert"), Some(id.as_str())));
    assert!(sent["text"].as_str().unwrap().contains("红色超期"), "{sent}");
    let deliveries = t.get(&format!("/api/v1/alerts/{id}/deliveries"), &supervisor).await;
    assert!(deliveries.body[0]["delivered_at"].is_string(), "{}", deliveries.body);
    assert_eq!(t.app.supervision.deliver(&notifier).await.unwrap().delivered, 0, "delivered once");

    // Signed late, then never answered: a month later the order is overdue
    // and escalated, which earns 东城 a red card.
    let order = t.ok(&dongcheng, &order, json!({"action": "sign_for"})).await;
    let due: DateTime<Utc> = order["deadlines"]["completion"].as_str().unwrap().parse().unwrap();
    clock.set(due + Duration::days(10));
    let (supervisor, dongcheng, consultant) = (t.login("supervisor").await, t.login("dongcheng").await, t.login("consultant").await);
    let scan = t.post("/api/v1/supervision/scan", &supervisor, json!({})).await;
    assert_eq!(scan.body["raised"], 1, "yellow, red, reminder and escalation fell due together: {}", scan.body);
    let mine = t.get("/api/v1/alerts?unread=true", &dongcheng).await;
    assert_eq!(levels(&mine.body), vec![("completion".to_owned(), "escalation".to_owned())]);
    let overdue = t.get("/api/v1/supervision/orders?list=overdue", &supervisor).await;
    assert_eq!(overdue.status, StatusCode::OK, "{}", overdue.body);
    assert_eq!(overdue.body["items"][0]["number"], order["number"]);
    assert_eq!(t.get("/api/v1/supervision/orders?list=expiring", &supervisor).await.body["items"], json!([]));
    let unknown = t.get("/api/v1/supervision/orders?list=late", &supervisor).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(t.get("/api/v1/supervision/orders?list=overdue", &dongcheng).await.status, StatusCode::FORBIDDEN);
    let month = (due + Duration::days(10)).format("%Y-%m").to_string();
    let cards = t.get(&format!("/api/v1/supervision/cards?month={month}"), &supervisor).await;
    assert_eq!(cards.status, StatusCode::OK, "{}", cards.body);
    assert_eq!((cards.body[0]["unit"].as_str(), cards.body[0]["colour"].as_str()), (Some(east.as_str()), Some("red")), "{}", cards.body);

    // The same caller three times in the 30-day window is a repeat (重复来电);
    // the first order, 31 days old, is outside it.
    for _ in 0..3 {
        t.register(&consultant, t.complaint()).await;
    }
    let repeats = t.get("/api/v1/supervision/repeats?by=caller", &supervisor).await;
    assert_eq!(repeats.status, StatusCode::OK, "{}", repeats.body);
    assert_eq!((repeats.body[0]["orders"].as_u64(), repeats.body[0]["open"].as_u64()), (Some(3), Some(3)), "{}", repeats.body);
    assert_eq!(t.get("/api/v1/supervision/repeats?by=colour", &supervisor).await.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn two_nodes_delivering_at_once_send_each_alert_once() {
    let start = at("2026-11-16T09:00:00+08:00");
    let clock = Arc::new(ManualClock::new(start));
    let t = TestApp::spawn_with_clock(AppConfig::default(), clock.clone()).await;
    let (consultant, dispatcher, admin) = (t.login("consultant").await, t.login("dispatcher").await, t.login("admin").await);
    let east = t.unit_id("441900003");
    let (hook, received) = webhook_receiver().await;
    let set = t
        .call(Method::PUT, &format!("/api/v1/contacts?unit={east}"), Some(&admin), Some(json!([{"channel": "webhook", "address": hook}])))
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    let order = t.register(&consultant, t.complaint()).await;
    t.ok(&dispatcher, &order, json!({"action": "dispatch", "lead_unit_id": east})).await;
    clock.set(start + Duration::hours(3));
    assert_eq!(t.app.supervision.scan().await.unwrap().raised, 1);

    let other = t.second_node().await;
    let notifier = hotline_notify::Outbound::new(&hotline_notify::NotifyConfig::default()).unwrap();
    let (here, there) = tokio::join!(t.app.supervision.deliver(&notifier), other.supervision.deliver(&notifier));
    let (here, there) = (here.unwrap(), there.unwrap());
    assert_eq!(here.delivered + there.delivered, 1, "one node took it: {here:?} {there:?}");
    assert_eq!(received.lock().unwrap().len(), 1, "the partner heard it once");
    assert_eq!(t.app.supervision.deliver(&notifier).await.unwrap().delivered, 0);
}
