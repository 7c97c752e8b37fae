//! Evaluation figures and the ranking from a history with known answers.

use crate::support::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn row<'a>(rows: &'a Value, key: &str) -> &'a Value {
    rows.as_array().unwrap().iter().find(|r| r["key"] == key).unwrap_or_else(|| panic!("no row {key} in {rows}"))
}

#[tokio::test]
async fn figures_and_ranking_from_a_known_history() {
    let t = TestApp::spawn().await;
    let (consultant, dispatcher, reviewer) = (t.login("consultant").await, t.login("dispatcher").await, t.login("reviewer").await);
    let (dongcheng, nancheng, supervisor) = (t.login("dongcheng").await, t.login("nancheng").await, t.login("supervisor").await);
    let (east, south) = (t.unit_id("441900003"), t.unit_id("441900004"));
    let dispatch = |unit: &str| json!({"action": "dispatch", "lead_unit_id": unit});
    let result = |solved: bool| json!({"action": "submit_result", "result": "已处理", "solved": solved, "public_reply": "已处理"});
    let follow_up = |satisfaction: &str, solved: bool, outcome: &str| json!({"action": "follow_up", "contacted": true, "satisfaction": satisfaction, "solved": solved, "outcome": outcome});

    // A: 东城 signs, solves, the citizen is satisfied.
    let a = t.register(&consultant, t.complaint()).await;
    let a = t.ok(&dispatcher, &a, dispatch(&east)).await;
    let a = t.ok(&dongcheng, &a, json!({"action": "sign_for"})).await;
    let a = t.ok(&dongcheng, &a, result(true)).await;
    let a = t.ok(&reviewer, &a, json!({"action": "review", "pass": true})).await;
    t.ok(&consultant, &a, follow_up("satisfied", true, "archive")).await;

    // B: 东城 returns it, 南城 takes it, is redone once, the citizen is basically satisfied.
    let b = t.register(&consultant, t.complaint()).await;
    let b = t.ok(&dispatcher, &b, dispatch(&east)).await;
    let b = t.ok(&dongcheng, &b, json!({"action": "return", "reason": "属南城辖区"})).await;
    let b = t.ok(&dispatcher, &b, json!({"action": "decide_return", "agree": true, "lead_unit_id": south})).await;
    let b = t.ok(&nancheng, &b, json!({"action": "sign_for"})).await;
    let b = t.ok(&nancheng, &b, result(false)).await;
    let b = t.ok(&reviewer, &b, json!({"action": "review", "pass": true})).await;
    let b = t.ok(&consultant, &b, follow_up("unsatisfied", false, "redo")).await;
    let b = t.ok(&nancheng, &b, result(true)).await;
    let b = t.ok(&reviewer, &b, json!({"action": "review", "pass": true})).await;
    t.ok(&consultant, &b, follow_up("basically_satisfied", true, "archive")).await;

    // C: dispatched to 东城, nothing due yet.
    let c = t.register(&consultant, t.complaint()).await;
    t.ok(&dispatcher, &c, dispatch(&east)).await;

    let figures = t.get("/api/v1/evaluation/figures?by=unit", &supervisor).await;
    assert_eq!(figures.status, StatusCode::OK, "{}", figures.body);
    let e = row(&figures.body, &east);
    assert_eq!(e["name"], "东城街道");
    // B's return is 东城's, which returned it, not 南城's, which received it:
    // dispatched to 东城 three times (A, B, C), returned once.
    assert_eq!(
        e["counts"],
        json!({"orders": 2, "sign_for_due": 1, "signed_on_time": 1, "completion_due": 1, "completed_on_time": 1, "overdue": 0,
               "dispatched": 3, "returned": 1, "resolved": 1, "followed_up": 1, "satisfied": 1, "basically_satisfied": 0,
               "unsatisfied": 0, "solved": 1, "redone": 0})
    );
    assert_eq!(e["rates"]["satisfaction"], 1.0);
    assert!((e["rates"]["returns"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-9, "{e}");
    // Default weights: a third of the returns weight (5 of 100) is lost.
    assert!((e["score"].as_f64().unwrap() - (95.0 + 5.0 * 2.0 / 3.0)).abs() < 1e-9, "{e}");
    let s = row(&figures.body, &south);
    assert_eq!((s["counts"]["dispatched"].as_u64(), s["counts"]["returned"].as_u64()), (Some(1), Some(0)), "{s}");
    assert_eq!(s["counts"]["redone"].as_u64(), Some(1));
    assert_eq!((s["counts"]["basically_satisfied"].as_u64(), s["counts"]["solved"].as_u64()), (Some(1), Some(1)));
    assert_eq!(s["rates"]["redo"], 1.0);
    // Default weights: the redo weight (5 of 100) is lost entirely.
    assert_eq!(s["score"], 95.0);

    let by_consultant = t.get("/api/v1/evaluation/figures?by=consultant", &supervisor).await;
    assert_eq!(by_consultant.body[0]["counts"]["orders"], 3);
    assert_eq!(by_consultant.body[0]["name"], "consultant user");
    let by_town = t.get("/api/v1/evaluation/figures?by=town", &supervisor).await;
    assert_eq!(row(&by_town.body, &east)["counts"]["orders"], 3, "all three happened in 东城");
    let by_category = t.get("/api/v1/evaluation/figures?by=category", &supervisor).await;
    assert_eq!(by_category.body[0]["name"], "城乡建设");

    let ranking = t.get("/api/v1/evaluation/ranking", &supervisor).await;
    assert_eq!(ranking.status, StatusCode::OK, "{}", ranking.body);
    let ranked: Vec<(&str, u64)> =
        ranking.body["rows"].as_array().unwrap().iter().map(|r| (r["key"].as_str().unwrap(), r["rank"].as_u64().unwrap())).collect();
    assert_eq!(ranked, [(east.as_str(), 1), (south.as_str(), 2)]);
    assert_eq!(ranking.body["rows"][0]["previous_score"], Value::Null, "nothing last month");
    assert_eq!(ranking.body["rows"][0]["counts"]["returned"], 1, "the figures under each score");

    // A unit reads its own rows only, and not per consultant.
    let own = t.get("/api/v1/evaluation/figures", &dongcheng).await;
    assert_eq!(own.body.as_array().unwrap().iter().map(|r| r["key"].as_str().unwrap()).collect::<Vec<_>>(), [east.as_str()]);
    assert_eq!(t.get("/api/v1/evaluation/figures?by=consultant", &dongcheng).await.status, StatusCode::FORBIDDEN);
    assert_eq!(t.get("/api/v1/evaluation/ranking", &dongcheng).await.status, StatusCode::OK, "rankings are published");
    assert_eq!(t.get("/api/v1/evaluation/figures", &consultant).await.status, StatusCode::FORBIDDEN);

    let bad = t.get("/api/v1/evaluation/figures?by=week", &supervisor).await;
    assert_eq!((bad.status, bad.body["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("by")));
    let bad = t.get("/api/v1/evaluation/ranking?month=2026-13", &supervisor).await;
    assert_eq!(bad.body["fields"][0]["field"], "month");
    let bad = t.get("/api/v1/evaluation/ranking?by=category", &supervisor).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad = t.get("/api/v1/evaluation/figures?from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z", &supervisor).await;
    assert_eq!(bad.body["fields"][0]["field"], "to");
}
