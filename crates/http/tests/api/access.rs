//! Units see their own orders only, with the caller's identity protected.

use crate::support::{TestApp, urlencode};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn a_unit_cannot_see_another_units_order() {
    let t = TestApp::spawn().await;
    let consultant = t.login("consultant").await;
    let dispatcher = t.login("dispatcher").await;
    let order = t.register(&consultant, t.complaint()).await;
    let order = t.ok(&dispatcher, &order, json!({"action": "dispatch", "lead_unit_id": t.unit_id("441900003")})).await;
    let number = order["number"].as_str().unwrap();

    let nancheng = t.login("nancheng").await;
    let r = t.get(&format!("/api/v1/work-orders/{number}"), &nancheng).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert_eq!(t.get(&format!("/api/v1/work-orders/{number}/history"), &nancheng).await.status, StatusCode::NOT_FOUND);
    let r = t.act(&nancheng, &order, json!({"action": "sign_for"})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let list = t.get("/api/v1/work-orders", &nancheng).await;
    assert_eq!(list.body["items"], json!([]));
    assert_eq!(t.get("/api/v1/work-orders/pending", &nancheng).await.body["items"], json!([]));

    // The town's admin sees it; after a second-level dispatch the community does too.
    let admin = t.login("dongcheng_admin").await;
    assert_eq!(t.get("/api/v1/work-orders", &admin).await.body["items"][0]["number"], number);
    let town = t.login("dongcheng").await;
    let order = t.ok(&town, &order, json!({"action": "sign_for"})).await;
    let not_below = t.act(&town, &order, json!({"action": "sub_dispatch", "unit_id": t.unit_id("441900004-shigu")})).await;
    assert_eq!(not_below.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", not_below.body);
    let order = t.ok(&town, &order, json!({"action": "sub_dispatch", "unit_id": t.unit_id("441900003-zhushan")})).await;
    let zhushan = t.login("zhushan").await;
    let pending = t.get("/api/v1/work-orders/pending", &zhushan).await;
    assert_eq!(pending.body["items"][0]["number"], number);
    let order =
        t.ok(&zhushan, &order, json!({"action": "submit_result", "result": "已修复", "solved": true, "public_reply": "已修复"})).await;
    assert_eq!(order["state"], "pending_review");
}

#[tokio::test]
async fn reporters_and_confidential_callers_are_never_shown_to_units() {
    let t = TestApp::spawn().await;
    let consultant = t.login("consultant").await;
    let dispatcher = t.login("dispatcher").await;
    let town = t.login("dongcheng").await;

    let mut report = t.complaint();
    report["type"] = json!("report");
    let report = t.register(&consultant, report).await;
    assert_eq!(report["caller"]["name"], "陈先生", "the centre sees the reporter");
    let report = t.ok(&dispatcher, &report, json!({"action": "dispatch", "lead_unit_id": t.unit_id("441900003")})).await;
    let number = report["number"].as_str().unwrap();
    let seen = t.get(&format!("/api/v1/work-orders/{number}"), &town).await;
    assert_eq!(
        seen.body["caller"],
        json!({"name": null, "phone": null, "phone_masked": false, "anonymous": false, "confidential": false, "identity_withheld": true})
    );
    let reveal = t.post(&format!("/api/v1/work-orders/{number}/reveal-phone"), &town, json!({})).await;
    assert_eq!(reveal.status, StatusCode::FORBIDDEN);

    // An ordinary complaint: masked, and revealing is allowed and audited.
    let order = t.register(&consultant, t.complaint()).await;
    let order = t.ok(&dispatcher, &order, json!({"action": "dispatch", "lead_unit_id": t.unit_id("441900003")})).await;
    let number = order["number"].as_str().unwrap();
    let reveal = t.post(&format!("/api/v1/work-orders/{number}/reveal-phone"), &town, json!({})).await;
    assert_eq!(reveal.body["phone"], "13812345678");
    assert_eq!(t.get(&format!("/api/v1/work-orders/{number}"), &consultant).await.body["caller"]["phone"], "13812345678");
    let auditor = t.login("auditor").await;
    t.app.auditor.seal_all().await.unwrap();
    let log = t.get("/api/v1/audit?limit=100", &auditor).await;
    let actions: Vec<&str> = log.body["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"work_order.reveal_phone"), "{actions:?}");
    // The auditor reads who did it by name.
    let reveal = log.body["items"].as_array().unwrap().iter().find(|e| e["action"] == "work_order.reveal_phone").unwrap();
    assert!(reveal["actor"].as_str().unwrap().starts_with("dongcheng ("), "{reveal}");
    assert!(actions.contains(&"work_order.read_personal"), "centre reads of the caller are audited");
    // The audit log is not for handlers.
    assert_eq!(t.get("/api/v1/audit", &town).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn lists_filter_and_page_with_a_cursor() {
    let t = TestApp::spawn().await;
    let consultant = t.login("consultant").await;
    let mut numbers = Vec::new();
    for _ in 0..5 {
        numbers.push(t.register(&consultant, t.complaint()).await["number"].as_str().unwrap().to_owned());
    }
    let first = t.get("/api/v1/work-orders?limit=2", &consultant).await;
    assert_eq!(first.body["items"][0]["number"], numbers[4]);
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = t.get(&format!("/api/v1/work-orders?limit=2&cursor={cursor}"), &consultant).await;
    assert_eq!(second.body["items"][0]["number"], numbers[2]);
    let town = t.get("/api/v1/work-orders?town=441900003&state=pending_dispatch&type=complaint", &consultant).await;
    assert_eq!(town.body["items"].as_array().unwrap().len(), 5);
    let other = t.get("/api/v1/work-orders?town=441900004", &consultant).await;
    assert_eq!(other.body["items"], json!([]));
    let cat = t.category("城乡建设");
    assert_eq!(t.get(&format!("/api/v1/work-orders?category={cat}"), &consultant).await.body["items"].as_array().unwrap().len(), 5);
    let bad = t.get("/api/v1/work-orders?state=lost&overdue=maybe&limit=0", &consultant).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["fields"][0]["field"], "limit");
    let bad = t.get("/api/v1/work-orders?state=lost&overdue=maybe", &consultant).await;
    let fields: Vec<&str> = bad.body["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["state", "overdue"]);
}

#[tokio::test]
async fn the_list_searches_free_text_and_phone_tails_within_the_readers_scope() {
    let t = TestApp::spawn().await;
    let (consultant, dispatcher, town, other) =
        (t.login("consultant").await, t.login("dispatcher").await, t.login("dongcheng").await, t.login("nancheng").await);
    let east = t.unit_id("441900003");
    let mut noise = t.complaint();
    noise["subject"] = json!("工地夜间施工噪音");
    noise["description"] = json!("主山社区旁工地每晚施工到凌晨，100%影响休息。");
    noise["caller"]["phone"] = json!("13900001111");
    let noise = t.register(&consultant, noise).await;
    let mut report = t.complaint();
    report["type"] = json!("report");
    report["caller"]["phone"] = json!("13700002222");
    let report = t.register(&consultant, report).await;
    let light = t.register(&consultant, t.complaint()).await;
    for order in [&noise, &report, &light] {
        t.ok(&dispatcher, order, json!({"action": "dispatch", "lead_unit_id": east})).await;
    }
    let numbers = |token: &str, q: &str| {
        let (t, token, q) = (&t, token.to_owned(), q.to_owned());
        async move {
            let r = t.get(&format!("/api/v1/work-orders?q={}&limit=50", urlencode(&q)), &token).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            let mut found: Vec<String> =
                r.body["items"].as_array().unwrap().iter().map(|o| o["number"].as_str().unwrap().to_owned()).collect();
            found.sort();
            found
        }
    };
    let number = |o: &Value| o["number"].as_str().unwrap().to_owned();
    assert_eq!(numbers(&consultant, "噪音").await, vec![number(&noise)], "by subject");
    assert_eq!(numbers(&consultant, "凌晨").await, vec![number(&noise)], "by description");
    assert_eq!(numbers(&consultant, "100%").await, vec![number(&noise)], "a % is a character, not a wildcard");
    assert_eq!(numbers(&consultant, &number(&light)).await, vec![number(&light)], "by number");
    assert_eq!(numbers(&consultant, "1111").await, vec![number(&noise)], "by the phone's last digits");
    assert_eq!(numbers(&consultant, "2222").await, vec![number(&report)], "the centre finds a reporter");
    assert_eq!(numbers(&town, "1111").await, vec![number(&noise)], "the unit holding it finds it");
    assert!(numbers(&town, "2222").await.is_empty(), "a unit never finds a report by its reporter's phone");
    assert!(numbers(&other, "噪音").await.is_empty(), "another unit finds nothing");
    let both = t.get(&format!("/api/v1/work-orders?q={}&type=complaint&limit=50", urlencode("东纵路")), &consultant).await;
    assert_eq!(both.body["items"].as_array().unwrap().len(), 2, "with the other filters");
    assert_eq!(numbers(&consultant, "  ").await.len(), 3, "blank is no filter");
    let long = t.get(&format!("/api/v1/work-orders?q={}", urlencode(&"长".repeat(101))), &consultant).await;
    assert_eq!((long.status, long.body["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("q")));
}

/// Reads server-sent events until one names `number`; None after a quiet second.
async fn next_event_about<B: AsRef<[u8]>>(
    stream: &mut (impl futures_util::Stream<Item = reqwest::Result<B>> + Unpin),
    number: &str,
) -> Option<String> {
    use futures_util::StreamExt;
    let mut seen = String::new();
    while let Ok(Some(chunk)) = tokio::time::timeout(std::time::Duration::from_secs(1), stream.next()).await {
        seen.push_str(&String::from_utf8_lossy(chunk.expect("chunk").as_ref()));
        if let Some(event) = seen.split("\n\n").find(|e| e.contains("event: order") && e.contains(number)) {
            return Some(event.to_owned());
        }
    }
    None
}

#[tokio::test]
async fn the_live_order_feed_tells_each_unit_only_of_its_own_orders() {
    let t = TestApp::spawn().await;
    let consultant = t.login("consultant").await;
    let dispatcher = t.login("dispatcher").await;
    let open = |token: String| {
        let request = t.client.get(format!("{}/api/v1/work-orders/stream", t.base)).bearer_auth(token);
        async move { request.send().await.expect("stream").bytes_stream() }
    };
    let mut centre = Box::pin(open(dispatcher.clone()).await);
    let mut town = Box::pin(open(t.login("dongcheng").await).await);
    let mut other = Box::pin(open(t.login("hrss").await).await);

    let order = t.register(&consultant, t.complaint()).await;
    let number = order["number"].as_str().unwrap().to_owned();
    let registered = next_event_about(&mut centre, &number).await.expect("the centre hears of the registration");
    assert!(registered.contains("\"action\":\"register\"") && registered.contains("pending_dispatch"), "{registered}");

    t.ok(&dispatcher, &order, json!({"action": "dispatch", "lead_unit_id": t.unit_id("441900003")})).await;
    let dispatched = next_event_about(&mut town, &number).await.expect("the town hears of the dispatch");
    assert!(dispatched.contains("\"state\":\"dispatched\""), "{dispatched}");
    assert!(!dispatched.contains("13812345678"), "no personal data in the feed: {dispatched}");
    assert_eq!(next_event_about(&mut other, &number).await, None, "another unit hears nothing of it");
}
