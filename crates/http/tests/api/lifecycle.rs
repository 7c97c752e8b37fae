//! A complaint from registration to archive, each step by the right role.

use crate::support::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn a_complaint_is_registered_dispatched_handled_reviewed_followed_up_redone_and_archived() {
    let t = TestApp::spawn().await;
    let consultant = t.login("consultant").await;
    let dispatcher = t.login("dispatcher").await;
    let reviewer = t.login("reviewer").await;
    let town = t.login("dongcheng").await;
    let urban = t.login("urban").await;

    let order = t.register(&consultant, t.complaint()).await;
    assert_eq!(order["state"], "pending_dispatch");
    assert!(order["number"].as_str().unwrap().starts_with("DG"));
    // The catalogue proposes the town (属地) with city management helping.
    assert_eq!(order["proposal"]["lead_unit"]["code"], "441900003");
    assert_eq!(order["proposal"]["co_units"][0]["code"], "urban");
    assert_eq!(order["caller"]["phone"], "13812345678");

    let order = t
        .ok(&dispatcher, &order, json!({"action": "dispatch", "lead_unit_id": t.unit_id("441900003"), "co_unit_ids": [t.unit_id("urban")]}))
        .await;
    assert_eq!((order["state"].as_str(), order["version"].as_i64()), (Some("dispatched"), Some(2)));
    assert!(order["deadlines"]["sign_for"].is_string());

    // The town sees it pending, with the caller's number masked.
    let pending = t.get("/api/v1/work-orders/pending", &town).await;
    assert_eq!(pending.body["items"][0]["number"], order["number"]);
    let seen = t.get(&format!("/api/v1/work-orders/{}", order["number"].as_str().unwrap()), &town).await;
    assert_eq!(seen.body["caller"]["phone"], "138****5678");
    assert_eq!(seen.body["allowed_actions"], json!(["sign_for", "return", "add_progress"]));

    let order = t.ok(&town, &order, json!({"action": "sign_for"})).await;
    let order = t.ok(&urban, &order, json!({"action": "add_progress", "kind": "co_handling_opinion", "text": "已安排巡查线路"})).await;
    let order = t.ok(&town, &order, json!({"action": "add_progress", "kind": "site_visit", "text": "现场核查属实"})).await;
    let due = order["deadlines"]["completion"].as_str().unwrap().to_owned();
    let later = chrono::DateTime::parse_from_rfc3339(&due).unwrap() + chrono::Duration::days(5);
    let order =
        t.ok(&town, &order, json!({"action": "request_extension", "reason": "需更换电缆", "requested_due": later.to_rfc3339()})).await;
    assert!(order["pending_extension"].is_object());
    let order = t.ok(&reviewer, &order, json!({"action": "decide_extension", "approve": true})).await;
    assert_eq!(chrono::DateTime::parse_from_rfc3339(order["deadlines"]["completion"].as_str().unwrap()).unwrap(), later);

    let result = json!({"action": "submit_result", "result": "已更换电缆和灯具", "solved": true, "public_reply": "路灯已修复"});
    let order = t.ok(&town, &order, result.clone()).await;
    assert_eq!(order["state"], "pending_review");
    let order = t.ok(&reviewer, &order, json!({"action": "review", "pass": false, "reason": "请说明修复时间"})).await;
    assert_eq!(order["state"], "in_progress");
    let order = t.ok(&town, &order, result.clone()).await;
    let order = t.ok(&reviewer, &order, json!({"action": "review", "pass": true})).await;
    assert_eq!(order["state"], "pending_follow_up");

    let unhappy = json!({"action": "follow_up", "contacted": true, "satisfaction": "unsatisfied", "solved": false, "outcome": "redo"});
    let order = t.ok(&consultant, &order, unhappy).await;
    assert_eq!((order["state"].as_str(), order["counters"]["redos"].as_i64()), (Some("in_progress"), Some(1)));
    let order = t.ok(&town, &order, result).await;
    let order = t.ok(&reviewer, &order, json!({"action": "review", "pass": true})).await;
    let happy = json!({"action": "follow_up", "contacted": true, "satisfaction": "satisfied", "solved": true, "outcome": "archive"});
    let order = t.ok(&consultant, &order, happy).await;
    assert_eq!(order["state"], "archived");
    assert_eq!(order["allowed_actions"], json!([]));

    let history = t.get(&format!("/api/v1/work-orders/{}/history", order["number"].as_str().unwrap()), &consultant).await;
    let actions: Vec<&str> = history.body.as_array().unwrap().iter().map(|h| h["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "register",
            "dispatch",
            "sign_for",
            "add_progress",
            "add_progress",
            "request_extension",
            "decide_extension",
            "submit_result",
            "review",
            "submit_result",
            "review",
            "follow_up",
            "submit_result",
            "review",
            "follow_up"
        ]
    );
    assert_eq!(history.body[1]["actor"], "dispatcher user");

    // Every step is on the audit chain, which verifies.
    let auditor = t.login("auditor").await;
    let verify = t.get("/api/v1/audit/verify", &auditor).await;
    assert_eq!(verify.body["ok"], true, "{}", verify.body);
    assert!(verify.body["sealed"].as_i64().unwrap() > 15);
}

#[tokio::test]
async fn an_illegal_transition_is_refused_with_the_allowed_ones() {
    let t = TestApp::spawn().await;
    let consultant = t.login("consultant").await;
    let order = t.register(&consultant, t.complaint()).await;
    let r = t.act(&consultant, &order, json!({"action": "review", "pass": true})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.body["code"], "transition_not_allowed");
    let allowed: Vec<&str> = r.body["allowed_actions"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    assert!(allowed.contains(&"dispatch") && allowed.contains(&"answer_directly"), "{allowed:?}");
    // The right state but the wrong role: 403.
    let r = t.act(&consultant, &order, json!({"action": "dispatch", "lead_unit_id": t.unit_id("hrss")})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
}

#[tokio::test]
async fn of_two_people_acting_at_once_exactly_one_wins() {
    let t = TestApp::spawn().await;
    let consultant = t.login("consultant").await;
    let dispatcher = t.login("dispatcher").await;
    let order = t.register(&consultant, t.complaint()).await;
    let a = json!({"action": "dispatch", "lead_unit_id": t.unit_id("441900003")});
    let b = json!({"action": "dispatch", "lead_unit_id": t.unit_id("hrss")});
    let (ra, rb) = tokio::join!(t.act(&dispatcher, &order, a), t.act(&dispatcher, &order, b));
    let statuses = [ra.status, rb.status];
    assert!(statuses.contains(&StatusCode::OK) && statuses.contains(&StatusCode::CONFLICT), "{statuses:?}");
    let loser = if ra.status == StatusCode::CONFLICT { ra } else { rb };
    assert_eq!(loser.body["code"], "conflict");
    assert_eq!(loser.body["current_version"], 2);
    // A stale version is refused too, without touching the order.
    let stale = t.act(&dispatcher, &order, json!({"action": "invalidate", "kind": "test"})).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    let now = t.get(&format!("/api/v1/work-orders/{}", order["number"].as_str().unwrap()), &dispatcher).await;
    assert_eq!(now.body["state"], "dispatched");
}

#[tokio::test]
async fn a_retried_create_with_an_idempotency_key_returns_the_first_order() {
    let t = TestApp::spawn().await;
    let consultant = t.login("consultant").await;
    let send = |body: Value| {
        t.client
            .post(format!("{}/api/v1/work-orders", t.base))
            .bearer_auth(&consultant)
            .header("Idempotency-Key", "desk-7-call-1234")
            .json(&body)
            .send()
    };
    let first = TestApp::read(send(t.complaint()).await.unwrap()).await;
    let retry = TestApp::read(send(t.complaint()).await.unwrap()).await;
    assert_eq!((first.status, retry.status), (StatusCode::CREATED, StatusCode::OK));
    assert_eq!(first.body["number"], retry.body["number"]);
    assert_eq!(t.count_orders().await, 1);
    let mut other = t.complaint();
    other["subject"] = json!("另一件事");
    let misuse = TestApp::read(send(other).await.unwrap()).await;
    assert_eq!(misuse.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(misuse.body["fields"][0]["field"], "Idempotency-Key");
    assert_eq!(t.count_orders().await, 1);
}

#[tokio::test]
async fn returns_merges_direct_answers_invalid_calls_and_supervision() {
    let t = TestApp::spawn().await;
    let consultant = t.login("consultant").await;
    let dispatcher = t.login("dispatcher").await;
    let supervisor = t.login("supervisor").await;
    let town = t.login("dongcheng").await;

    // 退单 → 改派 to another unit.
    let order = t.register(&consultant, t.complaint()).await;
    let order = t.ok(&dispatcher, &order, json!({"action": "dispatch", "lead_unit_id": t.unit_id("441900003")})).await;
    let order = t.ok(&town, &order, json!({"action": "return", "reason": "属城管执法职责"})).await;
    assert_eq!(order["state"], "returned");
    let missing = t.act(&dispatcher, &order, json!({"action": "decide_return", "agree": true})).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(missing.body["fields"][0]["field"], "lead_unit_id");
    let order = t.ok(&dispatcher, &order, json!({"action": "decide_return", "agree": true, "lead_unit_id": t.unit_id("urban")})).await;
    assert_eq!((order["state"].as_str(), order["lead_unit"]["code"].as_str()), (Some("dispatched"), Some("urban")));

    // 督办 to the lead unit.
    let order = t.ok(&supervisor, &order, json!({"action": "supervise", "text": "请加快办理"})).await;
    assert_eq!(order["notices"][0]["unit"]["code"], "urban");
    let urban = t.login("urban").await;
    let notice = order["notices"][0]["id"].clone();
    let order = t.ok(&urban, &order, json!({"action": "answer_supervision", "notice_id": notice, "text": "已安排处理"})).await;
    assert!(order["notices"][0]["answered_at"].is_string());

    // 并单: a duplicate follows its master.
    let duplicate = t.register(&consultant, t.complaint()).await;
    let merged = t.ok(&dispatcher, &duplicate, json!({"action": "merge", "master_number": order["number"]})).await;
    assert_eq!((merged["state"].as_str(), merged["master"]["number"].clone()), (Some("merged"), order["number"].clone()));
    let master_history = t.get(&format!("/api/v1/work-orders/{}/history", order["number"].as_str().unwrap()), &dispatcher).await;
    assert_eq!(master_history.body.as_array().unwrap().last().unwrap()["action"], "absorb_duplicate");

    // 直接办结 at registration and 无效.
    let mut consultation = t.complaint();
    consultation["type"] = json!("consultation");
    consultation["direct_answer"] = json!("已告知市民办理流程。");
    let answered = t.register(&consultant, consultation).await;
    assert_eq!((answered["state"].as_str(), answered["direct_answer"].as_str()), (Some("archived"), Some("已告知市民办理流程。")));
    let silent = t.register(&consultant, t.complaint()).await;
    let silent = t.ok(&consultant, &silent, json!({"action": "invalidate", "kind": "silent"})).await;
    assert_eq!(silent["state"], "invalid");
}
