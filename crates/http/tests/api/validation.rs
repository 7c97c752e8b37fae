//! Bad input gets a 4xx naming the problem, and nothing is written.

use crate::support::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn field_of(body: &Value) -> String {
    body["fields"][0]["field"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn registration_errors_name_the_field_and_write_nothing() {
    let t = TestApp::spawn().await;
    let consultant = t.login("consultant").await;
    type Mutation = Box<dyn Fn(&mut Value)>;
    // Each with the code a client says in its own language.
    let cases: Vec<(&str, &str, Mutation)> = vec![
        ("caller.phone", "phone", Box::new(|b| b["caller"]["phone"] = json!("12345"))),
        ("subject", "empty", Box::new(|b| b["subject"] = json!("   "))),
        ("subject", "too_long", Box::new(|b| b["subject"] = json!("长".repeat(201)))),
        ("subject", "required", Box::new(|b| b.as_object_mut().unwrap().remove("subject").map(|_| ()).unwrap_or(()))),
        ("type", "unknown_value", Box::new(|b| b["type"] = json!("rumour"))),
        ("channel", "wrong_type", Box::new(|b| b["channel"] = json!(3))),
        ("category_id", "invalid", Box::new(|b| b["category_id"] = json!("999"))),
        ("category_id", "invalid", Box::new(|b| b["category_id"] = json!("abc"))),
        ("location.town_code", "invalid", Box::new(|b| b["location"]["town_code"] = json!("hrss"))),
        ("location.town_code", "invalid", Box::new(|b| b["location"]["town_code"] = json!("000000000"))),
        ("location", "invalid", Box::new(|b| b["location"]["latitude"] = json!(23.0))),
        (
            "location.latitude",
            "invalid",
            Box::new(|b| {
                b["location"]["latitude"] = json!(123.0);
                b["location"]["longitude"] = json!(113.0);
            }),
        ),
        ("caller.name", "invalid", Box::new(|b| b["caller"]["anonymous"] = json!(true))),
        ("call_id", "invalid", Box::new(|b| b["call_id"] = json!("has spaces"))),
        ("description", "control_character", Box::new(|b| b["description"] = json!("bell \u{7}"))),
        ("surprise", "unknown_field", Box::new(|b| b["surprise"] = json!(1))),
    ];
    for (field, code, mutate) in cases {
        let mut body = t.complaint();
        mutate(&mut body);
        let r = t.post("/api/v1/work-orders", &consultant, body.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {}", r.body);
        assert_eq!(r.body["code"], "invalid");
        let got = field_of(&r.body);
        assert!(got == field || r.body["message"].as_str().unwrap().contains(field), "expected {field}, got {}", r.body);
        assert_eq!(r.body["fields"][0]["code"], code, "{field}: {}", r.body);
    }
    let long = t.post("/api/v1/work-orders", &consultant, json!({"subject": "长".repeat(201)})).await;
    let subject = long.body["fields"].as_array().unwrap().iter().find(|f| f["field"] == "subject").cloned().unwrap_or_default();
    assert_eq!((subject["code"].as_str(), subject["limit"].as_u64()), (Some("too_long"), Some(200)), "{}", long.body);
    assert_eq!(t.count_orders().await, 0, "no rejected request wrote anything");
}

#[tokio::test]
async fn malformed_requests_get_400_415_404_405_not_500() {
    let t = TestApp::spawn().await;
    let consultant = t.login("consultant").await;
    let raw = |body: &'static str, content_type: &'static str| {
        t.client
            .post(format!("{}/api/v1/work-orders", t.base))
            .bearer_auth(&consultant)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let r = TestApp::read(raw("{\"channel\": ", "application/json").await.unwrap()).await;
    assert_eq!((r.status, r.body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_request")));
    let r = TestApp::read(raw("channel=phone", "application/x-www-form-urlencoded").await.unwrap()).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = t.get("/api/v1/work-orders/DG2026", &consultant).await;
    assert_eq!((r.status, field_of(&r.body).as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "number"));
    let r = t.get("/api/v1/work-orders/DG20260101999999", &consultant).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = t.get("/api/v1/no-such-thing", &consultant).await;
    assert_eq!((r.status, r.body["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let r = t.call(reqwest::Method::DELETE, "/api/v1/work-orders", Some(&consultant), None).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    let big = "x".repeat(2 * 1024 * 1024);
    let r = t
        .client
        .post(format!("{}/api/v1/work-orders", t.base))
        .bearer_auth(&consultant)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn action_errors_name_the_field() {
    let t = TestApp::spawn().await;
    let consultant = t.login("consultant").await;
    let dispatcher = t.login("dispatcher").await;
    let order = t.register(&consultant, t.complaint()).await;
    for (action, field) in [
        (json!({"action": "dispatch"}), "lead_unit_id"),
        (json!({"action": "dispatch", "lead_unit_id": "12"}), "lead"),
        (json!({"action": "dispatch", "lead_unit_id": t.unit_id("hrss"), "co_unit_ids": [t.unit_id("hrss")]}), "co_handlers"),
        (json!({"action": "fly"}), "action"),
        (json!({"action": "invalidate", "kind": "other"}), "note"),
        (json!({"action": "merge", "master_number": "DG20200101000001"}), "master"),
        (json!({"action": "merge", "master_number": "nonsense"}), "master_number"),
    ] {
        let r = t.act(&dispatcher, &order, action.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{action}: {}", r.body);
        assert_eq!(field_of(&r.body), field, "{action}: {}", r.body);
    }
    let no_action = t.act(&dispatcher, &order, json!({"lead_unit_id": t.unit_id("hrss")})).await;
    assert_eq!(field_of(&no_action.body), "action");
    let no_version = t
        .post(&format!("/api/v1/work-orders/{}/actions", order["number"].as_str().unwrap()), &dispatcher, json!({"action": "sign_for"}))
        .await;
    assert_eq!(field_of(&no_version.body), "version");
    let unchanged = t.get(&format!("/api/v1/work-orders/{}", order["number"].as_str().unwrap()), &dispatcher).await;
    assert_eq!(unchanged.body["version"], 1);
}

#[tokio::test]
async fn unreadable_query_strings_and_paths_get_the_json_error_body() {
    let t = TestApp::spawn().await;
    let token = t.login("dongcheng").await;
    let raw = |path: &'static str| {
        let (t, token) = (&t, token.clone());
        async move { TestApp::read(t.client.get(format!("{}{path}", t.base)).bearer_auth(token).send().await.unwrap()).await }
    };
    let negative = raw("/api/v1/work-orders?limit=-1").await;
    assert_eq!((negative.status, negative.body["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid")), "{}", negative.body);
    assert_eq!(field_of(&negative.body), "limit");
    let words = raw("/api/v1/work-orders/pending?limit=many").await;
    assert_eq!((words.status, field_of(&words.body)), (StatusCode::UNPROCESSABLE_ENTITY, "limit".to_owned()), "{}", words.body);
    let bytes = raw("/api/v1/work-orders/%FF%FE").await;
    assert_eq!((bytes.status, bytes.body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_request")), "{}", bytes.body);
    assert!(bytes.body["message"].as_str().unwrap().contains("UTF-8"), "{}", bytes.body);
}
