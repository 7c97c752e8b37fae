//! The citizens' portal: submit, track by number and phone tail, rate,
//! published replies; bad input named, numbers not probeable, limits kept.

use crate::support::TestApp;
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn request(t: &TestApp) -> Value {
    json!({
        "type": "complaint",
        "category_id": t.category("城乡建设/城市建设和市政管理/城市公共设施"),
        "name": "李先生",
        "phone": "13923456789",
        "town_code": "441900003",
        "address": "东城街道东纵路88号",
        "subject": "路灯不亮，请致电13923456789",
        "description": "东纵路路灯坏了一周，晚上很黑。"
    })
}

async fn submit(t: &TestApp, body: Value) -> crate::support::Response {
    t.call(Method::POST, "/api/v1/public/requests", None, Some(body)).await
}

async fn track(t: &TestApp, number: &str, last4: &str) -> crate::support::Response {
    t.call(Method::GET, &format!("/api/v1/public/requests/{number}?phone_last4={last4}"), None, None).await
}

#[tokio::test]
async fn a_citizen_submits_tracks_and_rates_and_an_unsatisfied_rating_sends_it_back() {
    let t = TestApp::spawn().await;
    let r = submit(&t, request(&t)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let number = r.body["number"].as_str().unwrap().to_owned();
    assert!(r.body["completion_due"].is_string());

    // The centre sees a web order waiting for dispatch, with the caller.
    let dispatcher = t.login("dispatcher").await;
    let order = t.get(&format!("/api/v1/work-orders/{number}"), &dispatcher).await.body;
    assert_eq!((order["channel"].as_str(), order["state"].as_str()), (Some("web"), Some("pending_dispatch")));
    assert_eq!(order["caller"]["phone"], "13923456789");

    let tracked = track(&t, &number, "6789").await;
    assert_eq!(tracked.status, StatusCode::OK, "{}", tracked.body);
    assert_eq!((tracked.body["state"].as_str(), tracked.body["can_rate"].as_bool()), (Some("pending_dispatch"), Some(false)));
    // What the citizen wrote comes back without the phone number in it.
    assert_eq!(tracked.body["subject"], "路灯不亮，请致电139******89");
    assert!(!tracked.body.to_string().contains("13923456789"));
    assert_eq!(tracked.body["steps"][0]["action"], "register");

    // Rating before the answer is reviewed is refused, and says why.
    let early = t
        .call(
            Method::POST,
            &format!("/api/v1/public/requests/{number}/rating"),
            None,
            Some(json!({"phone_last4": "6789", "satisfaction": "satisfied"})),
        )
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.body);
    assert!(early.body["message"].as_str().unwrap().contains("cannot be rated now"));

    let town = t.login("dongcheng").await;
    let reviewer = t.login("reviewer").await;
    let order = t.ok(&dispatcher, &order, json!({"action": "dispatch", "lead_unit_id": t.unit_id("441900003")})).await;
    let order = t.ok(&town, &order, json!({"action": "sign_for"})).await;
    let result = json!({"action": "submit_result", "result": "已更换灯具", "solved": true, "public_reply": "路灯已修复，如有问题请拨打0769-22123456，或致电１３９２３４５６７８、写信li.xiansheng@qq.com；李先生已确认"});
    let order = t.ok(&town, &order, result.clone()).await;
    let order = t.ok(&reviewer, &order, json!({"action": "review", "pass": true})).await;
    assert_eq!(order["state"], "pending_follow_up");

    let tracked = track(&t, &number, "6789").await.body;
    assert_eq!(tracked["can_rate"], true);
    assert_eq!(tracked["reply"], "路灯已修复，如有问题请拨打076*-******56，或致电１３９*****７８、写信l***@**.com；李**已确认");

    let rate = |satisfaction: &str| json!({"phone_last4": "6789", "satisfaction": satisfaction, "comment": "晚上还是不亮"});
    let r = t.call(Method::POST, &format!("/api/v1/public/requests/{number}/rating"), None, Some(rate("unsatisfied"))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!((r.body["state"].as_str(), r.body["satisfaction"].as_str()), (Some("in_progress"), Some("unsatisfied")));
    let order = t.get(&format!("/api/v1/work-orders/{number}"), &town).await.body;
    assert_eq!(order["counters"]["redos"], 1);

    // The second answer satisfies: the order is archived and published,
    // because the reviewer decided so.
    let order = t.ok(&town, &order, result).await;
    let order = t.ok(&reviewer, &order, json!({"action": "review", "pass": true, "publish": true})).await;
    assert_eq!(order["result"]["published"], true, "{}", order["result"]);
    let r = t.call(Method::POST, &format!("/api/v1/public/requests/{number}/rating"), None, Some(rate("satisfied"))).await;
    assert_eq!((r.status, r.body["state"].as_str()), (StatusCode::OK, Some("archived")));
    let replies = t.call(Method::GET, "/api/v1/public/replies", None, None).await.body;
    let published = replies.as_array().unwrap().iter().find(|p| p["number"] == number.as_str()).expect("published");
    assert_eq!(published["unit"], "东城街道");
    assert!(!replies.to_string().contains("13923456789") && !replies.to_string().contains("22123456"));
    let reply = published["reply"].as_str().unwrap();
    for private in ["２３４５６７", "li.xiansheng", "qq.com", "李先生"] {
        assert!(!reply.contains(private), "{private} in {reply}");
    }
    assert!(reply.contains("１３９*****７８") && reply.contains("l***@**.com") && reply.contains("李**已确认"), "{reply}");
}

#[tokio::test]
async fn only_replies_a_reviewer_decided_to_publish_reach_the_portal() {
    let t = TestApp::spawn().await;
    let (dispatcher, town, reviewer) = (t.login("dispatcher").await, t.login("dongcheng").await, t.login("reviewer").await);
    let answered = |body: Value| {
        let (t, dispatcher, town) = (&t, dispatcher.clone(), town.clone());
        async move {
            let number = submit(t, body).await.body["number"].as_str().unwrap().to_owned();
            let order = t.get(&format!("/api/v1/work-orders/{number}"), &dispatcher).await.body;
            let order = t.ok(&dispatcher, &order, json!({"action": "dispatch", "lead_unit_id": t.unit_id("441900003")})).await;
            let order = t.ok(&town, &order, json!({"action": "sign_for"})).await;
            t.ok(&town, &order, json!({"action": "submit_result", "result": "已处理", "solved": true, "public_reply": "已修复"})).await
        }
    };
    let kept = answered(request(&t)).await;
    let mut secret = request(&t);
    secret["confidential"] = json!(true);
    let secret = answered(secret).await;

    // Passing without a decision publishes nothing.
    let kept = t.ok(&reviewer, &kept, json!({"action": "review", "pass": true})).await;
    assert_eq!(kept["result"]["published"], false);
    let rate = json!({"phone_last4": "6789", "satisfaction": "satisfied"});
    let number = kept["number"].as_str().unwrap();
    let r = t.call(Method::POST, &format!("/api/v1/public/requests/{number}/rating"), None, Some(rate)).await;
    assert_eq!((r.status, r.body["state"].as_str()), (StatusCode::OK, Some("archived")), "{}", r.body);
    // The citizen still reads the reply to their own request.
    assert_eq!(track(&t, number, "6789").await.body["reply"], "已修复");
    let replies = t.call(Method::GET, "/api/v1/public/replies", None, None).await.body;
    assert!(replies.as_array().unwrap().iter().all(|p| p["number"] != number), "{replies}");

    // A confidential caller's reply cannot be published; the order stays for review.
    let refused = t.act(&reviewer, &secret, json!({"action": "review", "pass": true, "publish": true})).await;
    assert_eq!(
        (refused.status, refused.body["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("publish")),
        "{}",
        refused.body
    );
    let number = secret["number"].as_str().unwrap();
    assert_eq!(t.get(&format!("/api/v1/work-orders/{number}"), &reviewer).await.body["state"], "pending_review");
}

#[tokio::test]
async fn a_citizen_submits_without_a_category_and_the_centre_classifies_it_before_dispatch() {
    let t = TestApp::spawn().await;
    let mut body = request(&t);
    body.as_object_mut().unwrap().remove("category_id");
    let r = submit(&t, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let number = r.body["number"].as_str().unwrap().to_owned();
    assert_eq!(track(&t, &number, "6789").await.body["category"], "待分类");

    let dispatcher = t.login("dispatcher").await;
    let order = t.get(&format!("/api/v1/work-orders/{number}"), &dispatcher).await.body;
    assert_eq!(order["category"]["path"], json!(["待分类"]));
    assert!(order["allowed_actions"].as_array().unwrap().iter().any(|a| a == "reclassify"), "{}", order["allowed_actions"]);
    // Not to a unit while nobody has classified it.
    let east = t.unit_id("441900003");
    let early = t.act(&dispatcher, &order, json!({"action": "dispatch", "lead_unit_id": east})).await;
    assert_eq!(
        (early.status, early.body["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("category_id")),
        "{}",
        early.body
    );
    // Nor back into the waiting category, nor into one that does not exist.
    let waiting = t.app.directory.snapshot().unclassified().unwrap().to_string();
    for bad in [waiting, "999999999".to_owned()] {
        let r = t.act(&dispatcher, &order, json!({"action": "reclassify", "category_id": bad})).await;
        assert_eq!(
            (r.status, r.body["fields"][0]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("category_id")),
            "{}",
            r.body
        );
    }
    // A unit cannot classify it.
    let town = t.login("dongcheng").await;
    let light = t.category("城乡建设/城市建设和市政管理/城市公共设施");
    assert_eq!(t.act(&town, &order, json!({"action": "reclassify", "category_id": light})).await.status, StatusCode::NOT_FOUND);

    let order = t.ok(&dispatcher, &order, json!({"action": "reclassify", "category_id": light})).await;
    assert_eq!(order["category"]["path"][2], "城市公共设施");
    assert!(order["proposal"].is_object(), "the catalogue proposes units once it has a category: {}", order["proposal"]);
    let history = t.get(&format!("/api/v1/work-orders/{number}/history"), &dispatcher).await.body;
    assert!(history.to_string().contains("reclassify"), "{history}");
    let order = t.ok(&dispatcher, &order, json!({"action": "dispatch", "lead_unit_id": east})).await;
    assert_eq!(order["state"], "dispatched");

    // A report from the portal is confidential whatever the form said.
    let mut report = request(&t);
    report["type"] = json!("report");
    report["confidential"] = json!(false);
    let number = submit(&t, report).await.body["number"].as_str().unwrap().to_owned();
    let order = t.get(&format!("/api/v1/work-orders/{number}"), &dispatcher).await.body;
    assert_eq!((order["type"].as_str(), order["caller"]["confidential"].as_bool()), (Some("report"), Some(true)), "{}", order["caller"]);
}

#[tokio::test]
async fn tracking_needs_the_right_phone_tail_and_does_not_reveal_other_numbers() {
    let t = TestApp::spawn().await;
    let number = submit(&t, request(&t)).await.body["number"].as_str().unwrap().to_owned();
    let wrong = track(&t, &number, "0000").await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);
    let missing = track(&t, "DG20200101999999", "6789").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    // Both say the same thing, so a number cannot be probed.
    assert_eq!(wrong.body["code"], missing.body["code"]);
    let bad = track(&t, &number, "67a9").await;
    assert_eq!((bad.status, bad.body["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("phone_last4")));
    let bare = t.call(Method::GET, &format!("/api/v1/public/requests/{number}"), None, None).await;
    assert_eq!((bare.status, bare.body["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("phone_last4")));
    let bad = track(&t, "not-a-number", "6789").await;
    assert_eq!((bad.status, bad.body["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("number")));
}

#[tokio::test]
async fn bad_submissions_name_the_field_and_create_nothing() {
    let t = TestApp::spawn().await;
    let before = t.count_orders().await;
    let cases = [
        ("phone", json!("12345")),
        ("subject", json!("")),
        ("category_id", json!("999999999")),
        ("town_code", json!("000000000")),
        ("type", json!("other")),
        ("type", json!("rumour")),
    ];
    for (field, value) in cases {
        let mut body = request(&t);
        body[field] = value.clone();
        let r = submit(&t, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}={value}: {}", r.body);
        let named = r.body["fields"].as_array().unwrap().iter().any(|f| f["field"].as_str().unwrap_or("").contains(field));
        assert!(named || r.body["message"].as_str().unwrap_or("").contains(field), "{field}={value}: {}", r.body);
    }
    let mut body = request(&t);
    body["sneaky"] = json!(true);
    assert_eq!(submit(&t, body).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(t.count_orders().await, before);
}

#[tokio::test]
async fn submissions_are_limited_per_client_and_the_form_lists_its_choices() {
    let t = TestApp::spawn().await;
    let form = t.call(Method::GET, "/api/v1/public/form", None, None).await.body;
    assert_eq!(form["towns"].as_array().unwrap().len(), 36);
    let types: Vec<&str> = form["types"].as_array().unwrap().iter().map(|c| c["value"].as_str().unwrap()).collect();
    assert_eq!(types, ["consultation", "help", "complaint", "report", "suggestion", "praise"]);
    let categories = form["categories"].as_array().unwrap();
    assert!(categories.len() > 100);
    assert!(categories.iter().all(|c| c["name"] != "待分类"), "the waiting category is not a choice");

    let mut statuses = Vec::new();
    for _ in 0..11 {
        statuses.push(submit(&t, request(&t)).await.status);
    }
    assert_eq!(statuses[..10], [StatusCode::CREATED; 10]);
    assert_eq!(statuses[10], StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(t.count_orders().await, 10);
}

#[tokio::test]
async fn the_interface_is_served_for_client_routes_but_unknown_api_paths_stay_json() {
    let t = TestApp::spawn().await;
    for path in ["/", "/portal", "/orders/DG20261128000001"] {
        let r = t.client.get(format!("{}{path}", t.base)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        assert!(r.text().await.unwrap().contains("<div id=\"app\">"));
    }
    let r = t.call(Method::GET, "/api/nothing-here", None, None).await;
    assert_eq!((r.status, r.body["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));

    // Browsers asking for gzip get the interface's files compressed, the
    // API as it is (and its live feeds unbuffered).
    let gzip = |path: &str| t.client.get(format!("{}{path}", t.base)).header("Accept-Encoding", "gzip");
    let page = gzip("/portal").send().await.unwrap();
    assert_eq!(page.headers().get("content-encoding").map(|v| v.to_str().unwrap()), Some("gzip"));
    let form = gzip("/api/v1/public/form").send().await.unwrap();
    assert_eq!((form.status(), form.headers().get("content-encoding")), (StatusCode::OK, None));
    let token = t.login("dispatcher").await;
    let live = gzip("/api/v1/work-orders/stream").bearer_auth(token).send().await.unwrap();
    assert!(live.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    assert!(live.headers().get("content-encoding").is_none());
}

#[tokio::test]
async fn guessing_the_phone_tail_of_one_order_is_stopped_after_five_tries() {
    let t = TestApp::spawn().await;
    let number = submit(&t, request(&t)).await.body["number"].as_str().unwrap().to_owned();
    let other = submit(&t, request(&t)).await.body["number"].as_str().unwrap().to_owned();
    for guess in ["0000", "1111", "2222", "3333", "4444"] {
        assert_eq!(track(&t, &number, guess).await.status, StatusCode::NOT_FOUND);
    }
    // Now even the right tail is refused for this number, and says why…
    let locked = track(&t, &number, "6789").await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS, "{}", locked.body);
    assert!(locked.body["message"].as_str().unwrap().contains("12345"));
    // …while other orders are tracked as before.
    assert_eq!(track(&t, &other, "6789").await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_portals_service_account_cannot_be_logged_in_to_or_changed() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let users = t.get("/api/v1/users", &admin).await.body;
    let portal = users.as_array().unwrap().iter().find(|u| u["username"] == "portal").expect("the service account is listed");
    assert_eq!(portal["active"], false);
    let id = portal["id"].as_str().unwrap();
    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            Some(&admin),
            Some(json!({"active": true, "password": "a long enough password"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let login = t.call(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": "portal", "password": "!service-account"}))).await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_citizen_adds_a_few_photos_to_a_request_just_submitted() {
    let start: chrono::DateTime<chrono::Utc> = "2026-11-16T02:00:00Z".parse().unwrap();
    let clock = std::sync::Arc::new(hotline_app::clock::ManualClock::new(start));
    let t = TestApp::spawn_with_clock(hotline_app::AppConfig::default(), clock.clone()).await;
    let number = submit(&t, request(&t)).await.body["number"].as_str().unwrap().to_owned();
    const JPEG: &[u8] = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00 a photo of a dark street";
    const PDF: &[u8] = b"%PDF-1.7 not a photo";
    let photo = |last4: &str, name: &str, bytes: &'static [u8]| {
        let form = Form::new().part("file", Part::bytes(bytes).file_name(name.to_owned()).mime_str("image/jpeg").unwrap());
        t.client.post(format!("{}/api/v1/public/requests/{number}/photos?phone_last4={last4}", t.base)).multipart(form).send()
    };

    // Only with the phone's last four digits, only photos.
    assert_eq!(photo("0000", "路灯.jpg", JPEG).await.unwrap().status(), StatusCode::NOT_FOUND);
    let pdf = TestApp::read(photo("6789", "材料.pdf", PDF).await.unwrap()).await;
    assert_eq!(pdf.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", pdf.body);
    for i in 0..3 {
        let r = TestApp::read(photo("6789", &format!("路灯{i}.jpg"), JPEG).await.unwrap()).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let fourth = TestApp::read(photo("6789", "路灯3.jpg", JPEG).await.unwrap()).await;
    assert_eq!((fourth.status, &fourth.body["fields"][0]["field"]), (StatusCode::UNPROCESSABLE_ENTITY, &json!("file")), "{}", fourth.body);

    // The centre sees them on the order.
    let consultant = t.login("consultant").await;
    let order = t.get(&format!("/api/v1/work-orders/{number}"), &consultant).await;
    let names: Vec<&str> = order.body["attachments"].as_array().unwrap().iter().map(|a| a["file_name"].as_str().unwrap()).collect();
    assert_eq!(names, ["路灯0.jpg", "路灯1.jpg", "路灯2.jpg"], "{}", order.body);

    // An hour later, or for an order taken by phone, photos go through 12345.
    let second = submit(&t, request(&t)).await.body["number"].as_str().unwrap().to_owned();
    clock.set(start + chrono::Duration::minutes(61));
    let form = Form::new().part("file", Part::bytes(JPEG).file_name("晚了.jpg").mime_str("image/jpeg").unwrap());
    let late = t.client.post(format!("{}/api/v1/public/requests/{second}/photos?phone_last4=6789", t.base)).multipart(form).send();
    let late = TestApp::read(late.await.unwrap()).await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", late.body);
    assert!(
        late.body["message"].as_str().unwrap_or_default().contains("12345") || late.body.to_string().contains("12345"),
        "{}",
        late.body
    );
    let by_phone = t.register(&consultant, t.complaint()).await;
    let form = Form::new().part("file", Part::bytes(JPEG).file_name("x.jpg").mime_str("image/jpeg").unwrap());
    let tail = "5678"; // the test complaint's phone is 13812345678
    let r = t.client.post(format!("{}/api/v1/public/requests/{}/photos?phone_last4={tail}", t.base, by_phone["number"].as_str().unwrap()));
    let r = TestApp::read(r.multipart(form).send().await.unwrap()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
}
