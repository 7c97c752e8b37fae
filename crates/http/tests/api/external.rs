//! A unit with its own case system: its orders pushed there as signed
//! webhooks, in order and once each, through a partner that is down for a
//! while; the system acting back with its key through the same lifecycle;
//! dead letters listed and re-sent; every bad input named.

use crate::support::TestApp;
use axum::body::Bytes;
use axum::http::HeaderMap;
use chrono::{DateTime, Duration, Utc};
use hotline_app::AppConfig;
use hotline_app::clock::ManualClock;
use hotline_app::external::ExternalConfig;
use hotline_notify::PushWebhook;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// The case system's webhook endpoint: records what it accepts, answers
/// 503 (and records nothing) while `down`.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<(HeaderMap, Value)>>>,
    down: Arc<AtomicBool>,
}

impl Receiver {
    async fn start() -> Self {
        let got: Arc<Mutex<Vec<(HeaderMap, Value)>>> = Arc::default();
        let down = Arc::new(AtomicBool::new(false));
        let (store, off) = (got.clone(), down.clone());
        let router = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let (store, off) = (store.clone(), off.clone());
                async move {
                    if off.load(Ordering::SeqCst) {
                        return StatusCode::SERVICE_UNAVAILABLE;
                    }
                    let value: Value = serde_json::from_slice(&body).expect("JSON body");
                    let signature = headers["x-hotline-signature"].to_str().unwrap().to_owned();
                    store.lock().unwrap().push((
                        headers,
                        json!({ "body": value, "raw": String::from_utf8(body.to_vec()).unwrap(), "signature": signature }),
                    ));
                    StatusCode::NO_CONTENT
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Self { url, got, down }
    }

    fn events(&self) -> Vec<(String, i64)> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .map(|(_, v)| (v["body"]["event"].as_str().unwrap().to_owned(), v["body"]["order"]["version"].as_i64().unwrap()))
            .collect()
    }

    fn deliveries(&self) -> Vec<String> {
        self.got.lock().unwrap().iter().map(|(h, _)| h["x-hotline-delivery"].to_str().unwrap().to_owned()).collect()
    }
}

struct Connected {
    secret: String,
    key: String,
}

/// Connects the unit to the receiver and issues its system an update key.
async fn connect(t: &TestApp, unit_code: &str, url: &str) -> Connected {
    let admin = t.login("admin").await;
    let unit = t.unit_id(unit_code);
    let r = t
        .call(
            Method::PUT,
            &format!("/api/v1/external-systems/{unit}"),
            Some(&admin),
            Some(json!({"name": "城管案件系统", "webhook_url": url})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let secret = r.body["secret"].as_str().expect("the first connection shows the secret").to_owned();
    assert!(secret.starts_with("whsec_"));
    let r = t
        .post(
            "/api/v1/api-keys",
            &admin,
            json!({"name": "城管案件系统", "source": format!("case-{unit_code}"), "scopes": ["update"], "unit_id": unit}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    Connected { secret, key: r.body["secret"].as_str().unwrap().to_owned() }
}

/// What the case system sends back, with its key.
async fn system_call(t: &TestApp, key: Option<&str>, method: Method, path: &str, body: Option<Value>) -> crate::support::Response {
    let mut req = t.client.request(method, format!("{}/api/v1/external/work-orders/{path}", t.base));
    if let Some(k) = key {
        req = req.header("X-Api-Key", k);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    TestApp::read(req.send().await.unwrap()).await
}

async fn deliver(t: &TestApp) -> hotline_app::external::PushReport {
    t.app.external.deliver(&PushWebhook::new(5).unwrap()).await.expect("push round")
}

fn number(order: &Value) -> String {
    order["number"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_units_case_system_receives_its_orders_signed_and_moves_them_through_the_lifecycle() {
    let t = TestApp::spawn().await;
    let receiver = Receiver::start().await;
    let system = connect(&t, "urban", &receiver.url).await;
    let (consultant, dispatcher, reviewer) = (t.login("consultant").await, t.login("dispatcher").await, t.login("reviewer").await);

    let order = t.register(&consultant, t.complaint()).await;
    // Nothing is owed before the order reaches the unit.
    assert_eq!(deliver(&t).await.delivered, 0);
    let order = t.ok(&dispatcher, &order, json!({"action": "dispatch", "lead_unit_id": t.unit_id("urban")})).await;
    let report = deliver(&t).await;
    assert_eq!((report.delivered, report.retried, report.dead), (1, 0, 0));
    let (headers, got) = receiver.got.lock().unwrap()[0].clone();
    assert_eq!(headers["x-hotline-event"], "dispatch");
    assert_eq!(got["signature"], hotline_notify::sign(&system.secret, got["raw"].as_str().unwrap().as_bytes()));
    let body = &got["body"];
    assert_eq!((body["order"]["number"].as_str(), body["order"]["state"].as_str()), (Some(number(&order).as_str()), Some("dispatched")));
    assert_eq!(body["order"]["lead_unit"]["code"], "urban");
    assert_eq!(body["change"]["to_state"], "dispatched");
    // The unit's view of the caller: the number masked, as on its own desk.
    assert_eq!(body["order"]["caller"]["phone"], "138****5678");
    assert!(body["order"]["deadlines"]["sign_for"].is_string());

    // The system signs for it and answers, with the version it was pushed.
    let n = number(&order);
    let signed = system_call(
        &t,
        Some(&system.key),
        Method::POST,
        &format!("{n}/actions"),
        Some(json!({"action": "sign_for", "version": body["order"]["version"]})),
    )
    .await;
    assert_eq!((signed.status, signed.body["state"].as_str()), (StatusCode::OK, Some("in_progress")), "{}", signed.body);
    // A photo of the work, as the desk would upload it; an executable is refused.
    let photo = |name: &'static str, bytes: &'static [u8]| {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name).mime_str("application/octet-stream").unwrap();
        t.client
            .post(format!("{}/api/v1/external/work-orders/{n}/attachments", t.base))
            .header("X-Api-Key", &system.key)
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
    };
    let r = TestApp::read(photo("现场.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR fake image body").await.unwrap()).await;
    assert_eq!((r.status, r.body["content_type"].as_str()), (StatusCode::CREATED, Some("image/png")), "{}", r.body);
    let r = TestApp::read(photo("run.exe", b"MZ\x90\x00\x03").await.unwrap()).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.body);
    let result = json!({"action": "submit_result", "version": signed.body["version"], "result": "已清理占道摊档", "solved": true, "public_reply": "已处理"});
    let answered = system_call(&t, Some(&system.key), Method::POST, &format!("{n}/actions"), Some(result)).await;
    assert_eq!(answered.body["state"], "pending_review", "{}", answered.body);
    // Its own changes are not echoed back to it.
    assert_eq!(deliver(&t).await.delivered, 0);
    let history = system_call(&t, Some(&system.key), Method::GET, &format!("{n}/history"), None).await;
    let lines: Vec<(String, String)> = history
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["action"].as_str().unwrap().to_owned(), h["actor"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(lines[2], ("sign_for".to_owned(), "城管案件系统（对接系统）".to_owned()), "{lines:?}");
    assert_eq!(lines[3].0, "submit_result");

    // The centre's review reaches it: the order moved on.
    let reviewed = t.ok(&reviewer, &answered.body, json!({"action": "review", "pass": true})).await;
    assert_eq!(reviewed["state"], "pending_follow_up");
    assert_eq!(deliver(&t).await.delivered, 1);
    assert_eq!(receiver.events(), [("dispatch".to_owned(), 2), ("review".to_owned(), 5)]);
    let r = system_call(&t, Some(&system.key), Method::GET, &n, None).await;
    assert_eq!((r.status, r.body["state"].as_str()), (StatusCode::OK, Some("pending_follow_up")));
}

#[tokio::test]
async fn the_case_systems_key_is_checked_and_its_bad_input_named() {
    let t = TestApp::spawn().await;
    let receiver = Receiver::start().await;
    let system = connect(&t, "urban", &receiver.url).await;
    let (consultant, dispatcher, admin) = (t.login("consultant").await, t.login("dispatcher").await, t.login("admin").await);
    let theirs = t
        .ok(&dispatcher, &t.register(&consultant, t.complaint()).await, json!({"action": "dispatch", "lead_unit_id": t.unit_id("urban")}))
        .await;
    let others = t
        .ok(&dispatcher, &t.register(&consultant, t.complaint()).await, json!({"action": "dispatch", "lead_unit_id": t.unit_id("hrss")}))
        .await;
    let (n, other) = (number(&theirs), number(&others));

    let r = system_call(&t, None, Method::GET, &n, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    assert!(r.body["message"].as_str().unwrap().contains("X-Api-Key"));
    let r = system_call(&t, Some("hk_0000"), Method::GET, &n, None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A key that only reads cannot act.
    let reader = t
        .post("/api/v1/api-keys", &admin, json!({"name": "只读", "source": "reader", "scopes": ["unit"], "unit_id": t.unit_id("urban")}))
        .await;
    let r = system_call(&t, reader.body["secret"].as_str(), Method::GET, &n, None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body["message"].as_str().unwrap().contains("update scope"), "{}", r.body);
    // Another unit's order is as absent as a missing one.
    let r = system_call(&t, Some(&system.key), Method::GET, &other, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = system_call(&t, Some(&system.key), Method::GET, "DG2026", None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // The lifecycle's checks: a stale version, a step the state does not allow, a field missing.
    let r =
        system_call(&t, Some(&system.key), Method::POST, &format!("{n}/actions"), Some(json!({"action": "sign_for", "version": 1}))).await;
    assert_eq!((r.status, r.body["current_version"].as_i64()), (StatusCode::CONFLICT, Some(2)), "{}", r.body);
    let r = system_call(
        &t,
        Some(&system.key),
        Method::POST,
        &format!("{n}/actions"),
        Some(json!({"action": "dispatch", "version": 2, "lead_unit_id": t.unit_id("hrss")})),
    )
    .await;
    assert!(matches!(r.status, StatusCode::FORBIDDEN | StatusCode::CONFLICT), "{} {}", r.status, r.body);
    let r =
        system_call(&t, Some(&system.key), Method::POST, &format!("{n}/actions"), Some(json!({"action": "return", "version": 2}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["fields"][0]["field"], "reason");
    let unchanged = system_call(&t, Some(&system.key), Method::GET, &n, None).await;
    assert_eq!((unchanged.body["state"].as_str(), unchanged.body["version"].as_i64()), (Some("dispatched"), Some(2)));
    // Switched off, its key stops acting at once.
    let unit = t.unit_id("urban");
    let r = t
        .call(
            Method::PUT,
            &format!("/api/v1/external-systems/{unit}"),
            Some(&admin),
            Some(json!({"name": "城管案件系统", "webhook_url": receiver.url, "active": false})),
        )
        .await;
    assert_eq!((r.status, r.body["secret"].is_null()), (StatusCode::OK, true), "{}", r.body);
    let r = system_call(&t, Some(&system.key), Method::GET, &n, None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body["message"].as_str().unwrap().contains("switched off"), "{}", r.body);
    // The service account cannot be given a password.
    let users = t.get("/api/v1/users", &admin).await;
    let account =
        users.body.as_array().unwrap().iter().find(|u| u["username"] == "ext.urban").expect("the service account is listed").clone();
    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", account["id"].as_str().unwrap()),
            Some(&admin),
            Some(json!({"password": "a much longer passphrase 42"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
}

#[tokio::test]
async fn connecting_a_unit_is_for_system_administrators_and_names_what_is_wrong() {
    let t = TestApp::spawn().await;
    let (admin, town) = (t.login("admin").await, t.login("dongcheng_admin").await);
    let unit = t.unit_id("urban");
    let path = format!("/api/v1/external-systems/{unit}");
    let good = json!({"name": "城管案件系统", "webhook_url": "http://10.0.0.9/hook"});
    let r = t.call(Method::PUT, &path, Some(&town), Some(good.clone())).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t.call(Method::PUT, &path, Some(&admin), Some(json!({"name": " ", "webhook_url": "ftp://x"}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = r.body["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["name", "webhook_url"]);
    let r = t.call(Method::PUT, "/api/v1/external-systems/999", Some(&admin), Some(good.clone())).await;
    assert_eq!((r.status, r.body["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unit_id")));
    let r = t.call(Method::PUT, &path, Some(&admin), Some(json!({"name": "x", "webhook_url": "http://a/b", "colour": "red"}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(t.get("/api/v1/external-systems", &admin).await.body.as_array().unwrap().is_empty(), "nothing half-written");

    let first = t.call(Method::PUT, &path, Some(&admin), Some(good.clone())).await;
    let again = t
        .call(Method::PUT, &path, Some(&admin), Some(json!({"name": "城管案件系统二期", "webhook_url": "https://10.0.0.9/v2/hook"})))
        .await;
    assert_eq!((again.status, again.body["secret"].is_null()), (StatusCode::OK, true), "the secret is shown once");
    let rotated = t.post(&format!("{path}/rotate-secret"), &admin, json!({})).await;
    assert_ne!(rotated.body["secret"], first.body["secret"]);
    let list = t.get("/api/v1/external-systems", &admin).await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    let row = &list.body[0];
    assert_eq!(
        (row["name"].as_str(), row["webhook_url"].as_str(), row["service_username"].as_str()),
        (Some("城管案件系统二期"), Some("https://10.0.0.9/v2/hook"), Some("ext.urban"))
    );
    assert!(row.get("secret").is_none(), "{row}");
    let r = t.get(&format!("{path}/pushes?state=lost"), &admin).await;
    assert_eq!((r.status, r.body["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("state")));
    let r = t.get(&format!("/api/v1/external-systems/{}/pushes", t.unit_id("hrss")), &admin).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let audit = t.get("/api/v1/audit?limit=200", &admin).await;
    let actions: Vec<&str> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .filter(|a| a.starts_with("external."))
        .collect();
    assert_eq!(actions, ["external.rotate", "external.update", "external.connect"], "newest first");
}

#[tokio::test]
async fn a_partner_down_for_a_while_gets_every_change_once_and_in_order() {
    let start: DateTime<Utc> = "2026-12-01T02:00:00Z".parse().unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let config = AppConfig { external: ExternalConfig { max_attempts: 4, ..ExternalConfig::default() }, ..AppConfig::default() };
    let t = TestApp::spawn_with_clock(config, clock.clone()).await;
    let receiver = Receiver::start().await;
    connect(&t, "urban", &receiver.url).await;
    let (consultant, dispatcher, supervisor, admin) =
        (t.login("consultant").await, t.login("dispatcher").await, t.login("supervisor").await, t.login("admin").await);

    receiver.down.store(true, Ordering::SeqCst);
    let order = t
        .ok(&dispatcher, &t.register(&consultant, t.complaint()).await, json!({"action": "dispatch", "lead_unit_id": t.unit_id("urban")}))
        .await;
    assert_eq!(deliver(&t).await.retried, 1);
    // A second change waits behind the first, even once it is due itself.
    let order = t.ok(&supervisor, &order, json!({"action": "supervise", "text": "请尽快处理"})).await;
    clock.set(start + Duration::seconds(6));
    let report = deliver(&t).await;
    assert_eq!((report.delivered, report.retried), (0, 1), "only the head of the line is tried");
    let pending = t.get(&format!("/api/v1/external-systems/{}/pushes?state=pending", t.unit_id("urban")), &admin).await;
    let attempts: Vec<i64> = pending.body.as_array().unwrap().iter().map(|p| p["attempts"].as_i64().unwrap()).collect();
    assert_eq!(attempts, [0, 2], "newest first: the notice untried, the dispatch tried twice");
    assert!(pending.body[1]["last_error"].as_str().unwrap().contains("503"), "{}", pending.body);

    // Back up: both arrive, in order, once each.
    receiver.down.store(false, Ordering::SeqCst);
    clock.set(start + Duration::seconds(6 + 10));
    let report = deliver(&t).await;
    assert_eq!((report.delivered, report.retried, report.dead), (2, 0, 0));
    assert_eq!(receiver.events(), [("dispatch".to_owned(), 2), ("supervise".to_owned(), 3)]);
    assert_eq!(deliver(&t).await.delivered, 0);
    clock.set(start + Duration::hours(2));
    assert_eq!(deliver(&t).await.delivered, 0, "a delivered push is never sent again");

    // Down past the last attempt: a dead letter, re-sent by hand.
    receiver.down.store(true, Ordering::SeqCst);
    let order = t.ok(&dispatcher, &order, json!({"action": "change_urgency", "urgency": "urgent", "reason": "涉及学生上学安全"})).await;
    let mut now = start + Duration::hours(2);
    let mut dead = 0;
    for _ in 0..4 {
        dead += deliver(&t).await.dead;
        now += Duration::hours(1);
        clock.set(now);
    }
    assert_eq!(dead, 1);
    let letters = t.get(&format!("/api/v1/external-systems/{}/pushes", t.unit_id("urban")), &admin).await;
    assert_eq!(letters.body.as_array().unwrap().len(), 1, "{}", letters.body);
    let letter = &letters.body[0];
    assert_eq!(
        (letter["event"].as_str(), letter["attempts"].as_i64(), letter["number"].as_str()),
        (Some("change_urgency"), Some(4), Some(number(&order).as_str()))
    );
    let listed = t.get("/api/v1/external-systems", &admin).await;
    assert_eq!(listed.body[0]["pushes"], json!({"pending": 0, "delivered": 2, "dead": 1}));
    let resend = format!("/api/v1/external-pushes/{}/resend", letter["id"].as_str().unwrap());
    receiver.down.store(false, Ordering::SeqCst);
    let r = t.post(&resend, &admin, json!({})).await;
    assert_eq!((r.status, r.body["attempts"].as_i64()), (StatusCode::OK, Some(0)), "{}", r.body);
    assert_eq!(deliver(&t).await.delivered, 1);
    assert_eq!(receiver.events().last().unwrap().0, "change_urgency");
    let r = t.post(&resend, &admin, json!({})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "a delivered push is not re-sent: {}", r.body);
    let ids = receiver.deliveries();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "each delivery id arrived once: {ids:?}");
}

#[tokio::test]
async fn two_nodes_pushing_at_once_send_each_change_once() {
    let t = TestApp::spawn().await;
    let receiver = Receiver::start().await;
    connect(&t, "urban", &receiver.url).await;
    let other = t.second_node().await;
    let (consultant, dispatcher) = (t.login("consultant").await, t.login("dispatcher").await);
    for _ in 0..6 {
        let order = t.register(&consultant, t.complaint()).await;
        t.ok(&dispatcher, &order, json!({"action": "dispatch", "lead_unit_id": t.unit_id("urban")})).await;
    }
    let pusher = PushWebhook::new(5).unwrap();
    let (a, b) = tokio::join!(t.app.external.deliver(&pusher), other.external.deliver(&pusher));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.delivered + b.delivered, 6, "{a:?} {b:?}");
    let mut ids = receiver.deliveries();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 6);
    assert_eq!(receiver.got.lock().unwrap().len(), 6, "no push was sent by both nodes");
}
