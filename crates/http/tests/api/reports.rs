//! Reports as JSON and .xlsx, and the export of orders masked for units.

use crate::support::TestApp;
use calamine::{Reader, open_workbook_auto_from_rs};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::io::Cursor;

async fn bytes(t: &TestApp, path: &str, token: &str) -> (StatusCode, String, Vec<u8>) {
    let r = t.client.get(format!("{}{path}", t.base)).bearer_auth(token).send().await.unwrap();
    let status = r.status();
    let kind = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, kind, r.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn reports_count_the_day_and_exports_mask_the_caller_for_units() {
    let t = TestApp::spawn().await;
    let (consultant, dispatcher, supervisor) = (t.login("consultant").await, t.login("dispatcher").await, t.login("supervisor").await);
    let dongcheng = t.login("dongcheng").await;
    let east = t.unit_id("441900003");
    for _ in 0..3 {
        let order = t.register(&consultant, t.complaint()).await;
        t.ok(&dispatcher, &order, json!({"action": "dispatch", "lead_unit_id": east})).await;
    }

    let day = t.get("/api/v1/reports/day", &supervisor).await;
    assert_eq!(day.status, StatusCode::OK, "{}", day.body);
    let names: Vec<&str> = day.body["sections"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["概况", "受理渠道", "诉求类型", "诉求分类", "镇街", "承办单位"]);
    assert_eq!(day.body["sections"][0]["rows"][0], json!(["受理工单", 3]));
    assert_eq!(day.body["sections"][1]["rows"], json!([["电话", 3]]));
    assert_eq!(day.body["sections"][5]["rows"][0][0], "东城街道");
    assert_eq!(t.get("/api/v1/reports/year", &supervisor).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(t.get("/api/v1/reports/month?date=2026-13-01", &supervisor).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(t.get("/api/v1/reports/day", &dongcheng).await.status, StatusCode::FORBIDDEN);

    let (status, kind, xlsx) = bytes(&t, "/api/v1/reports/month/xlsx", &supervisor).await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.contains("spreadsheetml"), "{kind}");
    let mut book = open_workbook_auto_from_rs(Cursor::new(xlsx)).unwrap();
    assert_eq!(book.sheet_names().len(), 6);
    let overview = book.worksheet_range("概况").unwrap();
    assert_eq!(overview.get_value((1, 0)).unwrap().to_string(), "指标");
    assert_eq!(
        (overview.get_value((2, 0)).unwrap().to_string(), overview.get_value((2, 1)).unwrap().to_string()),
        ("受理工单".into(), "3".into())
    );

    // The centre's export shows the number; a unit's masks it.
    let (status, _, csv) = bytes(&t, "/api/v1/work-orders/export?format=csv", &supervisor).await;
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with('\u{feff}'), "Excel needs the byte-order mark");
    assert_eq!(csv.lines().count(), 4, "{csv}");
    assert!(csv.contains("13812345678"));
    let (_, _, unit_csv) = bytes(&t, "/api/v1/work-orders/export?format=csv", &dongcheng).await;
    let unit_csv = String::from_utf8(unit_csv).unwrap();
    assert_eq!(unit_csv.lines().count(), 4);
    assert!(!unit_csv.contains("13812345678") && unit_csv.contains("138****5678"), "{unit_csv}");
    let (_, _, none) = bytes(&t, "/api/v1/work-orders/export?format=csv", &t.login("nancheng").await).await;
    assert_eq!(String::from_utf8(none).unwrap().lines().count(), 1, "another unit exports only the header");
    let (status, _, xlsx) = bytes(&t, "/api/v1/work-orders/export?state=dispatched", &supervisor).await;
    assert_eq!(status, StatusCode::OK);
    let mut book = open_workbook_auto_from_rs(Cursor::new(xlsx)).unwrap();
    assert_eq!(book.worksheet_range("工单").unwrap().height(), 5, "title, header and three orders");
    let bad = t.call(Method::GET, "/api/v1/work-orders/export?format=pdf", Some(&supervisor), None).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad = t.call(Method::GET, "/api/v1/work-orders/export?state=lost", Some(&supervisor), None).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The big screen counts today's orders and reads as a live stream too.
    let screen = t.get("/api/v1/dashboard", &supervisor).await;
    assert_eq!(screen.status, StatusCode::OK, "{}", screen.body);
    assert_eq!(screen.body["orders_today"], 3);
    assert_eq!(screen.body["by_channel"], json!([{"key": "phone", "name": "电话", "orders": 3}]));
    assert_eq!(screen.body["by_town"][0]["name"], "东城街道");
    assert_eq!(screen.body["satisfaction_trend"].as_array().unwrap().len(), 14);
    assert_eq!(screen.body["overdue_now"], 0);
    assert_eq!(t.get("/api/v1/dashboard", &dongcheng).await.status, StatusCode::FORBIDDEN);
    let mut live = t.client.get(format!("{}/api/v1/dashboard/stream", t.base)).bearer_auth(&supervisor).send().await.unwrap();
    let first = String::from_utf8(live.chunk().await.unwrap().unwrap().to_vec()).unwrap();
    assert!(first.contains("event: dashboard") && first.contains("\"orders_today\":3"), "{first}");

    let audit = t.get("/api/v1/audit?action=work_order.export", &t.login("auditor").await).await;
    assert!(audit.body.to_string().contains("work_order.export"), "the centre's export is audited: {}", audit.body);
}
