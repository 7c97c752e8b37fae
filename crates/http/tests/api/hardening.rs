//! What an attacker tried: limits raced by concurrent requests, uploads by
//! those who may not add to an order, sessions outliving a password, alerts
//! cleared by onlookers, and cross-site writes.

use crate::support::{PASSWORD, TestApp};
use futures_util::future::join_all;
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::net::IpAddr;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR fake image body";

/// A client whose requests come from another loopback address.
fn client_from(address: &str) -> reqwest::Client {
    reqwest::Client::builder().local_address(address.parse::<IpAddr>().unwrap()).build().unwrap()
}

async fn login_status(t: &TestApp, client: &reqwest::Client, username: &str, password: &str) -> StatusCode {
    let body = json!({"username": username, "password": password});
    client.post(format!("{}/api/v1/auth/login", t.base)).json(&body).send().await.unwrap().status()
}

fn tally(statuses: &[StatusCode], wanted: StatusCode) -> usize {
    statuses.iter().filter(|s| **s == wanted).count()
}

#[tokio::test]
async fn a_burst_of_wrong_logins_checks_five_passwords_and_locks_only_that_address() {
    let t = TestApp::spawn().await;
    let guesses = (0..40).map(|i| {
        let t = &t;
        async move { login_status(t, &t.client, "dispatcher", &format!("guess number {i}")).await }
    });
    let statuses = join_all(guesses).await;
    assert_eq!(tally(&statuses, StatusCode::UNAUTHORIZED), 5, "{statuses:?}");
    assert_eq!(tally(&statuses, StatusCode::TOO_MANY_REQUESTS), 35, "{statuses:?}");
    // The right password from the guessing address waits too…
    assert_eq!(login_status(&t, &t.client, "dispatcher", PASSWORD).await, StatusCode::TOO_MANY_REQUESTS);
    // …but the dispatcher at their own desk is not locked out by it.
    assert_eq!(login_status(&t, &client_from("127.0.0.2"), "dispatcher", PASSWORD).await, StatusCode::OK);
}

#[tokio::test]
async fn one_address_spraying_many_accounts_is_stopped_at_thirty_failures() {
    let t = TestApp::spawn().await;
    let sprayer = client_from("127.0.0.3");
    let attempts = (0..36).map(|i| {
        let (t, sprayer) = (&t, &sprayer);
        async move { login_status(t, sprayer, &format!("user{i}"), "password").await }
    });
    let statuses = join_all(attempts).await;
    assert_eq!(tally(&statuses, StatusCode::UNAUTHORIZED), 30, "{statuses:?}");
    assert_eq!(login_status(&t, &sprayer, "reviewer", PASSWORD).await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(login_status(&t, &t.client, "reviewer", PASSWORD).await, StatusCode::OK, "other addresses are unaffected");
    // Failed logins are audited; refused ones are not, so a flood cannot fill the log.
    let audit = t.get("/api/v1/audit?limit=500", &t.login("auditor").await).await;
    let failed = audit.body["items"].as_array().unwrap().iter().filter(|r| r["action"] == "auth.login_failed").count();
    assert_eq!(failed, 30);
}

#[tokio::test]
async fn concurrent_guesses_of_a_phone_tail_check_at_most_five() {
    let t = TestApp::spawn().await;
    let request = json!({
        "type": "complaint",
        "category_id": t.category("城乡建设/城市建设和市政管理/城市公共设施"),
        "phone": "13923456789",
        "town_code": "441900003",
        "subject": "路灯不亮",
        "description": "东纵路路灯坏了一周，晚上很黑。"
    });
    let submitted = t.call(Method::POST, "/api/v1/public/requests", None, Some(request)).await;
    assert_eq!(submitted.status, StatusCode::CREATED, "{}", submitted.body);
    let number = submitted.body["number"].as_str().unwrap().to_owned();
    // 45 guesses from three addresses, the right one among them.
    let clients = [client_from("127.0.0.4"), client_from("127.0.0.5"), client_from("127.0.0.6")];
    let guesses = (0..45).map(|i| {
        let (t, client, number) = (&t, &clients[i % 3], &number);
        let tail = if i == 30 { "6789".to_owned() } else { format!("{:04}", i * 7) };
        async move {
            let path = format!("{}/api/v1/public/requests/{number}?phone_last4={tail}", t.base);
            client.get(path).send().await.unwrap().status()
        }
    });
    let statuses = join_all(guesses).await;
    let checked = tally(&statuses, StatusCode::NOT_FOUND) + tally(&statuses, StatusCode::OK);
    assert!(tally(&statuses, StatusCode::NOT_FOUND) <= 5, "{statuses:?}");
    assert!(checked <= 6, "a right guess is given back, nothing more: {statuses:?}");
    assert!(tally(&statuses, StatusCode::TOO_MANY_REQUESTS) >= 39, "{statuses:?}");
}

fn upload(t: &TestApp, number: &str, token: &str, name: String, bytes: Vec<u8>) -> reqwest::RequestBuilder {
    let form = Form::new().part("file", Part::bytes(bytes).file_name(name).mime_str("application/octet-stream").unwrap());
    t.client.post(format!("{}/api/v1/work-orders/{number}/attachments", t.base)).bearer_auth(token).multipart(form)
}

#[tokio::test]
async fn concurrent_uploads_stop_at_the_cap_and_the_same_new_file_is_stored_for_all() {
    let t = TestApp::spawn().await;
    let consultant = t.login("consultant").await;
    let order = t.register(&consultant, t.complaint()).await;
    let number = order["number"].as_str().unwrap();
    // The same new file, twelve times at once: every upload succeeds.
    let same = (0..12).map(|i| upload(&t, number, &consultant, format!("同一张{i}.png"), [PNG, b"same"].concat()).send());
    let statuses: Vec<StatusCode> = join_all(same).await.into_iter().map(|r| r.unwrap().status()).collect();
    assert_eq!(tally(&statuses, StatusCode::CREATED), 12, "{statuses:?}");
    // Thirty more at once against the cap of twenty: eight fit.
    let more = (0..30).map(|i| upload(&t, number, &consultant, format!("照片{i}.png"), [PNG, &[i as u8]].concat()).send());
    let statuses: Vec<StatusCode> = join_all(more).await.into_iter().map(|r| r.unwrap().status()).collect();
    assert_eq!(tally(&statuses, StatusCode::CREATED), 8, "{statuses:?}");
    assert_eq!(tally(&statuses, StatusCode::UNPROCESSABLE_ENTITY), 22, "{statuses:?}");
    let stored = t.get(&format!("/api/v1/work-orders/{number}"), &consultant).await;
    assert_eq!(stored.body["attachments"].as_array().map(Vec::len), Some(20));
}

#[tokio::test]
async fn only_those_who_may_add_progress_may_attach_or_link() {
    let t = TestApp::spawn().await;
    let (consultant, dispatcher, auditor, town) =
        (t.login("consultant").await, t.login("dispatcher").await, t.login("auditor").await, t.login("dongcheng").await);
    let order = t.register(&consultant, t.complaint()).await;
    let number = order["number"].as_str().unwrap().to_owned();
    let refused = TestApp::read(upload(&t, &number, &auditor, "a.png".into(), PNG.to_vec()).send().await.unwrap()).await;
    assert_eq!((refused.status, refused.body["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{}", refused.body);

    let order = t.ok(&dispatcher, &order, json!({"action": "dispatch", "lead_unit_id": t.unit_id("441900003")})).await;
    let sent = TestApp::read(upload(&t, &number, &town, "现场.png".into(), PNG.to_vec()).send().await.unwrap()).await;
    assert_eq!(sent.status, StatusCode::CREATED, "the unit holding the order attaches: {}", sent.body);
    t.ok(&town, &order, json!({"action": "return", "reason": "属城管执法职责"})).await;
    let returned = TestApp::read(upload(&t, &number, &town, "迟到.png".into(), PNG.to_vec()).send().await.unwrap()).await;
    assert_eq!(returned.status, StatusCode::FORBIDDEN, "a unit that returned the order: {}", returned.body);
    let link = t.post(&format!("/api/v1/work-orders/{number}/articles"), &town, json!({"article_id": "1"})).await;
    assert_eq!(link.status, StatusCode::FORBIDDEN, "{}", link.body);
    let stored = t.get(&format!("/api/v1/work-orders/{number}"), &consultant).await;
    assert_eq!(stored.body["attachments"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn a_new_password_or_new_roles_end_the_sessions_from_before() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let users = t.get("/api/v1/users", &admin).await.body;
    let id_of = |name: &str| users.as_array().unwrap().iter().find(|u| u["username"] == name).unwrap()["id"].as_str().unwrap().to_owned();
    let before = t.login("reviewer").await;
    assert_eq!(t.get("/api/v1/me", &before).await.status, StatusCode::OK);
    let changed = t
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", id_of("reviewer")),
            Some(&admin),
            Some(json!({"password": "a new long passphrase 7"})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(t.get("/api/v1/me", &before).await.status, StatusCode::UNAUTHORIZED, "the old session ended");
    assert_eq!(login_status(&t, &t.client, "reviewer", "a new long passphrase 7").await, StatusCode::OK);

    let before = t.login("dispatcher").await;
    let roles = json!({"roles": ["dispatcher", "reviewer"]});
    let changed = t.call(Method::PATCH, &format!("/api/v1/users/{}", id_of("dispatcher")), Some(&admin), Some(roles)).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(t.get("/api/v1/me", &before).await.status, StatusCode::UNAUTHORIZED);
    // A change of display name alone leaves sessions alone.
    let consultant = t.login("consultant").await;
    let renamed = json!({"display_name": "咨询员甲"});
    t.call(Method::PATCH, &format!("/api/v1/users/{}", id_of("consultant")), Some(&admin), Some(renamed)).await;
    assert_eq!(t.get("/api/v1/me", &consultant).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_units_alert_is_marked_read_by_that_unit_only() {
    let t = TestApp::spawn().await;
    let (admin, consultant, supervisor, auditor, office) = (
        t.login("admin").await,
        t.login("consultant").await,
        t.login("supervisor").await,
        t.login("auditor").await,
        t.login("emergency").await,
    );
    let rule = json!({"name": "煤气味", "keywords": ["煤气味"], "partners": [t.unit_id("emergency")], "town": false, "ack_minutes": 15});
    assert_eq!(t.post("/api/v1/emergency/rules", &admin, rule).await.status, StatusCode::CREATED);
    let mut gas = t.complaint();
    gas["subject"] = json!("楼道有煤气味");
    t.register(&consultant, gas).await;
    let alerts = t.get("/api/v1/alerts", &office).await.body;
    let alert: &Value = alerts.as_array().unwrap().iter().find(|a| a["watched"] == "emergency").expect("the office's alert");
    let path = format!("/api/v1/alerts/{}/read", alert["id"].as_str().unwrap());
    for onlooker in [&supervisor, &auditor] {
        let r = t.post(&path, onlooker, json!({})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    }
    let read = t.post(&path, &office, json!({})).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
}

#[tokio::test]
async fn every_answer_carries_the_browser_protections_and_other_sites_cannot_write() {
    let t = TestApp::spawn().await;
    for path in ["/", "/api/v1/public/form", "/api/nothing-here"] {
        let r = t.client.get(format!("{}{path}", t.base)).send().await.unwrap();
        let h = r.headers();
        assert!(h["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"), "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        assert!(h.get("strict-transport-security").is_none(), "no HSTS over plain HTTP");
    }
    let login = t.call(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": "consultant", "password": PASSWORD}))).await;
    let cookie = login.headers["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let own = t.base.clone();
    let write = |origin: &str| {
        t.client
            .post(format!("{}/api/v1/work-orders", t.base))
            .header("cookie", &cookie)
            .header("origin", origin)
            .json(&t.complaint())
            .send()
    };
    let foreign = TestApp::read(write("http://evil.example").await.unwrap()).await;
    assert_eq!((foreign.status, foreign.body["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{}", foreign.body);
    assert_eq!(write(&own).await.unwrap().status(), StatusCode::CREATED);
    let before = t.count_orders().await;
    assert_eq!(write("null").await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(t.count_orders().await, before, "nothing written for the refused request");

    // The desk's WebSocket: another site's page cannot open it with the cookie.
    let upgrade = |origin: &str| {
        t.client
            .get(format!("{}/api/v1/desk", t.base))
            .header("cookie", &cookie)
            .header("origin", origin)
            .header("connection", "upgrade")
            .header("upgrade", "websocket")
            .header("sec-websocket-version", "13")
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
            .send()
    };
    let cross_site = |r: &crate::support::Response| r.body["message"].as_str().unwrap_or_default().contains("may not change anything here");
    let refused = TestApp::read(upgrade("http://evil.example").await.unwrap()).await;
    assert!(refused.status == StatusCode::FORBIDDEN && cross_site(&refused), "{}", refused.body);
    // From the own pages the request reaches the desk (which then wants the
    // consultant's training on record: a different refusal).
    let opened = TestApp::read(upgrade(&own).await.unwrap()).await;
    assert!(!cross_site(&opened), "{}", opened.body);
    assert!(opened.body["message"].as_str().unwrap_or_default().contains("training"), "{}", opened.body);
}

#[tokio::test]
async fn anonymous_photos_have_a_byte_budget_per_address_and_for_the_city() {
    let photo_len = 3 * 1024;
    let config = hotline_app::AppConfig {
        portal_photos: hotline_app::portal::PhotoBudget { per_address_per_hour: 5 * photo_len, per_day: 8 * photo_len },
        ..hotline_app::AppConfig::default()
    };
    let t = TestApp::spawn_with(config).await;
    let request = json!({
        "type": "complaint",
        "category_id": t.category("城乡建设/城市建设和市政管理/城市公共设施"),
        "phone": "13923456789",
        "subject": "路面塌陷",
        "description": "东纵路有个大坑。"
    });
    let mut numbers = Vec::new();
    for _ in 0..4 {
        let r = t.call(Method::POST, "/api/v1/public/requests", None, Some(request.clone())).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        numbers.push(r.body["number"].as_str().unwrap().to_owned());
    }
    let jpeg = |i: usize| {
        let mut bytes = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00".to_vec();
        bytes.resize(photo_len as usize, i as u8);
        bytes
    };
    let send = |client: &reqwest::Client, number: &str, i: usize| {
        let form = Form::new().part("file", Part::bytes(jpeg(i)).file_name(format!("坑{i}.jpg")).mime_str("image/jpeg").unwrap());
        client.post(format!("{}/api/v1/public/requests/{number}/photos?phone_last4=6789", t.base)).multipart(form).send()
    };
    // Ten photos at once to one request from one address: three fit the
    // request's cap, the rest are refused, and only those three count.
    let one = client_from("127.0.0.7");
    let statuses: Vec<StatusCode> =
        join_all((0..10).map(|i| send(&one, &numbers[0], i))).await.into_iter().map(|r| r.unwrap().status()).collect();
    assert_eq!(tally(&statuses, StatusCode::CREATED), 3, "{statuses:?}");
    // Two more fit this address's hour; the sixth photo does not.
    assert_eq!(send(&one, &numbers[1], 20).await.unwrap().status(), StatusCode::CREATED);
    assert_eq!(send(&one, &numbers[1], 21).await.unwrap().status(), StatusCode::CREATED);
    let over = TestApp::read(send(&one, &numbers[1], 22).await.unwrap()).await;
    assert_eq!(over.status, StatusCode::TOO_MANY_REQUESTS, "{}", over.body);
    // Other addresses go on until the city's daily budget (eight) is spent.
    let (two, three) = (client_from("127.0.0.8"), client_from("127.0.0.9"));
    assert_eq!(send(&two, &numbers[2], 30).await.unwrap().status(), StatusCode::CREATED);
    assert_eq!(send(&two, &numbers[2], 31).await.unwrap().status(), StatusCode::CREATED);
    assert_eq!(send(&two, &numbers[2], 32).await.unwrap().status(), StatusCode::CREATED);
    let full = TestApp::read(send(&three, &numbers[3], 40).await.unwrap()).await;
    assert_eq!(full.status, StatusCode::TOO_MANY_REQUESTS, "{}", full.body);
    assert!(full.body["message"].as_str().unwrap().contains("12345"), "{}", full.body);
}

#[tokio::test]
async fn the_role_is_checked_before_the_body_is_read() {
    let t = TestApp::spawn().await;
    let (town, admin) = (t.login("dongcheng").await, t.login("admin").await);
    let malformed = json!({"no such field": true});
    for path in
        ["/api/v1/emergency/rules", "/api/v1/categories", "/api/v1/hotlines", "/api/v1/emergency/warnings", "/api/v1/kb/vocabulary/terms"]
    {
        let r = t.post(path, &town, malformed.clone()).await;
        assert_eq!((r.status, r.body["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{path}: {}", r.body);
        // Those allowed in are told what was wrong with the body.
        let r = t.post(path, &admin, malformed.clone()).await;
        assert!(matches!(r.status, StatusCode::UNPROCESSABLE_ENTITY | StatusCode::FORBIDDEN), "{path}: {}", r.body);
    }
    let r = t.call(Method::PUT, "/api/v1/deadline-rules", Some(&town), Some(malformed.clone())).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = t.call(Method::PUT, "/api/v1/deadline-rules", Some(&admin), Some(malformed)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
}
