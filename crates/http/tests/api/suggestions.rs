//! Suggestions learned from dispatched orders, on SQLite and PostgreSQL.

use crate::support::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Three kinds of request, each dispatched to its own unit.
const KINDS: [(&str, &str, &str, &str); 3] = [
    ("劳动和社会保障/工资福利/工资发放", "hrss", "工厂拖欠工资两个月未发", "老板拖欠我们工人的工资，一直拖着不发。"),
    ("环境保护/环境污染/噪音污染", "eco", "夜间施工噪音扰民", "工地晚上十一点以后还在打桩，噪音很大，影响休息。"),
    ("城乡建设/城市建设和市政管理/城市公共设施", "441900003", "路灯损坏多日不亮", "路灯坏了一周多，晚上漆黑一片，行人不安全。"),
];

fn body(t: &TestApp, kind: usize, i: usize) -> Value {
    let (category, _, subject, description) = KINDS[kind];
    json!({
        "channel": "phone",
        "type": "complaint",
        "category_id": t.category(category),
        "caller": {"name": "陈先生", "phone": format!("138{:08}", 10_000 + i)},
        "location": {"town_code": "441900003", "address": format!("东城街道东纵路{i}号")},
        "subject": subject,
        "description": format!("{description}（第{i}次来电）"),
    })
}

#[tokio::test]
async fn dispatched_orders_teach_the_category_and_unit_of_a_new_request_with_its_confidence() {
    let t = TestApp::spawn().await;
    let (consultant, dispatcher, town) = (t.login("consultant").await, t.login("dispatcher").await, t.login("dongcheng").await);
    let ask = json!({"subject": "老板拖欠工资", "description": "公司三个月没发工资了，老板一直拖着"});
    let none = t.post("/api/v1/suggestions", &consultant, ask.clone()).await;
    assert_eq!(none.status, StatusCode::OK, "{}", none.body);
    assert!(none.body["model"].is_null() && none.body["categories"] == json!([]), "no model before any training: {}", none.body);
    assert_eq!(none.body["unsure"], true);
    assert_eq!(t.app.suggestions.retrain().await.unwrap(), 0, "too few orders to learn from");

    for i in 0..60 {
        let kind = i % 3;
        let order = t.register(&consultant, body(&t, kind, i)).await;
        let unit = t.unit_id(KINDS[kind].1);
        t.ok(&dispatcher, &order, json!({"action": "dispatch", "lead_unit_id": unit})).await;
    }
    assert_eq!(t.app.suggestions.retrain().await.unwrap(), 60);

    let s = t.post("/api/v1/suggestions", &consultant, ask).await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.body);
    let first = &s.body["categories"][0];
    assert_eq!(first["id"], t.category(KINDS[0].0), "{}", s.body);
    assert_eq!(first["path"], json!(["劳动和社会保障", "工资福利", "工资发放"]));
    let sure = first["confidence"].as_f64().unwrap();
    assert!(sure > 0.5 && sure < 0.95, "confident, not certain after 10 held-out orders: {}", s.body);
    let total: f64 = s.body["categories"].as_array().unwrap().iter().map(|c| c["confidence"].as_f64().unwrap()).sum();
    assert!(total <= 1.0 + 1e-4, "probabilities: {}", s.body);
    assert_eq!(s.body["units"][0]["code"], "hrss", "{}", s.body);
    assert_eq!(s.body["unsure"], false);
    assert!(s.body["model"].as_str().unwrap().ends_with("-60"), "{}", s.body);

    // Dispatchers see the same; a unit's handler does not.
    let noise = json!({"subject": "", "description": "楼下工地半夜打桩，吵得睡不着"});
    let d = t.post("/api/v1/suggestions", &dispatcher, noise.clone()).await;
    assert_eq!(d.body["units"][0]["code"], "eco", "{}", d.body);
    assert_eq!(t.post("/api/v1/suggestions", &town, noise).await.status, StatusCode::FORBIDDEN);

    // A street light is the town's: the town it is in is the unit.
    let light = json!({"subject": "路灯坏了", "description": "路灯晚上不亮", "town": "441900003"});
    let l = t.post("/api/v1/suggestions", &dispatcher, light).await;
    assert_eq!(l.body["units"][0]["code"], "441900003", "{}", l.body);
    let nowhere = t.post("/api/v1/suggestions", &dispatcher, json!({"subject": "路灯坏了", "town": "999"})).await;
    assert_eq!(nowhere.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", nowhere.body);
    assert!(nowhere.body.to_string().contains("town"), "{}", nowhere.body);

    // Bad input is named.
    let empty = t.post("/api/v1/suggestions", &consultant, json!({"subject": " ", "description": ""})).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", empty.body);
    assert!(empty.body.to_string().contains("subject"), "{}", empty.body);
    let long = t.post("/api/v1/suggestions", &consultant, json!({"subject": "长".repeat(201)})).await;
    assert_eq!(long.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", long.body);
    assert!(long.body.to_string().contains("at most 200"), "{}", long.body);
}

#[tokio::test]
async fn a_trained_model_is_kept_by_version_and_another_node_serves_it_without_a_restart() {
    let t = TestApp::spawn().await;
    let (consultant, dispatcher) = (t.login("consultant").await, t.login("dispatcher").await);
    for i in 0..60 {
        let order = t.register(&consultant, body(&t, i % 3, i)).await;
        t.ok(&dispatcher, &order, json!({"action": "dispatch", "lead_unit_id": t.unit_id(KINDS[i % 3].1)})).await;
    }
    let node = t.second_node().await;
    assert_eq!(node.suggestions.pick_up().await.unwrap(), None, "nothing kept yet");
    assert!(node.suggestions.model().is_none());

    assert_eq!(t.app.suggestions.retrain().await.unwrap(), 60);
    let version = t.app.suggestions.model().unwrap().version();
    assert_eq!(t.app.suggestions.pick_up().await.unwrap(), None, "the node that trained serves it already");
    assert_eq!(node.suggestions.pick_up().await.unwrap().as_deref(), Some(version.as_str()));
    let ask = ("老板拖欠工资", "公司三个月没发工资了", None);
    let here = t.app.suggestions.model().unwrap().rank(ask.0, ask.1, ask.2, 3);
    let there = node.suggestions.model().unwrap().rank(ask.0, ask.1, ask.2, 3);
    assert_eq!(here, there, "the kept model answers exactly as the one trained");
    assert_eq!(node.suggestions.pick_up().await.unwrap(), None, "picked up once");

    // A damaged newer version is refused by name; the model served stays.
    let bytes = t.models.get(&version).await.unwrap();
    t.models.put("29991231T000000Z-1", &bytes[..bytes.len() / 2]).await.unwrap();
    let e = node.suggestions.pick_up().await.unwrap_err().to_string();
    assert!(e.contains("29991231T000000Z-1") && e.contains("damaged"), "{e}");
    assert_eq!(node.suggestions.model().unwrap().version(), version);
}
