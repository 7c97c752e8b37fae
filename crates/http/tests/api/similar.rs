//! Duplicates, repeats and related orders of a request, on SQLite and
//! PostgreSQL: found from the words, the place and the caller, shown with
//! why, and merged in one step.

use crate::support::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn flood(t: &TestApp, phone: &str, subject: &str, description: &str) -> Value {
    json!({
        "channel": "phone",
        "type": "report",
        "category_id": t.category("城乡建设/城市建设和市政管理/城市公共设施"),
        "caller": {"name": "陈先生", "phone": phone},
        "location": {"town_code": "441900003", "address": "东城街道东纵路88号"},
        "subject": subject,
        "description": description,
    })
}

fn numbers(list: &Value) -> Vec<&str> {
    list.as_array().unwrap().iter().map(|o| o["number"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn a_new_report_finds_its_duplicate_and_repeat_with_reasons_and_merges_in_one_step() {
    let t = TestApp::spawn().await;
    let (consultant, dispatcher, town) = (t.login("consultant").await, t.login("dispatcher").await, t.login("dongcheng").await);
    let first = t
        .register(
            &consultant,
            flood(&t, "13800000001", "东纵路暴雨水浸街", "东纵路88号门口暴雨后水浸街，积水到膝盖，车辆无法通行，下水道堵塞。"),
        )
        .await;
    let other = t.register(&consultant, t.complaint()).await;
    let unrelated = t
        .register(
            &consultant,
            json!({
                "channel": "phone", "type": "consultation",
                "category_id": t.category("劳动和社会保障/工资福利/工资发放"),
                "caller": {"name": "李女士", "phone": "13900000009"},
                "subject": "社保卡丢了怎么补办", "description": "社保卡遗失，想问补办需要带什么材料。"
            }),
        )
        .await;
    t.app.search.refresh().await.unwrap();

    // Another caller, other words, same street and flood: a duplicate, with why.
    let ask = json!({
        "subject": "东纵路水浸",
        "description": "下暴雨东纵路水浸很深，下水道堵了，车过不去",
        "town": "441900003",
        "address": "东纵路88号",
        "caller_phone": "13700000002"
    });
    let s = t.post("/api/v1/suggestions", &consultant, ask).await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.body);
    let similar = &s.body["similar"];
    assert_eq!(numbers(similar), [first["number"].as_str().unwrap()], "{}", s.body);
    let dup = &similar[0];
    assert_eq!(dup["kinship"], "duplicate");
    assert!(dup["likeness"].as_f64().unwrap() >= 0.2, "{dup}");
    let shared: Vec<&str> = dup["shared_words"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    assert!(shared.contains(&"东纵路") && shared.contains(&"水浸"), "{shared:?}");
    assert_eq!(
        (dup["same_town"].as_bool(), dup["same_address"].as_bool(), dup["same_caller"].as_bool()),
        (Some(true), Some(true), Some(false))
    );
    assert_eq!(dup["open"], true);
    assert_eq!(dup["town"]["code"], "441900003");
    assert!(s.body.to_string().find("13800000001").is_none(), "no caller's number in the answer");

    // The first caller again, in words of their own, about the same kind of matter: a repeat.
    let again = json!({
        "subject": "还是没人来处理",
        "description": "上次反映的问题到现在没人管",
        "caller_phone": "13800000001",
        "category_id": t.category("城乡建设/城市建设和市政管理/城市公共设施")
    });
    let r = t.post("/api/v1/suggestions", &consultant, again).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let repeats: Vec<&Value> = r.body["similar"].as_array().unwrap().iter().filter(|o| o["kinship"] == "repeat").collect();
    assert_eq!(repeats.len(), 1, "{}", r.body);
    assert_eq!(repeats[0]["number"], first["number"]);
    assert_eq!(repeats[0]["same_caller"], true);

    // Nothing alike: nothing shown.
    let none = t.post("/api/v1/suggestions", &consultant, json!({"subject": "公积金提取", "description": "想提取住房公积金付首付"})).await;
    assert_eq!(none.body["similar"], json!([]), "{}", none.body);

    // The dispatcher of the second report sees the first, and merges in one step.
    let second = t.register(&consultant, flood(&t, "13700000002", "东纵路水浸", "下暴雨东纵路水浸很深，下水道堵了，车过不去")).await;
    t.app.search.refresh().await.unwrap();
    let number = second["number"].as_str().unwrap();
    let list = t.get(&format!("/api/v1/work-orders/{number}/similar"), &dispatcher).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(numbers(&list.body)[0], first["number"].as_str().unwrap(), "{}", list.body);
    assert!(!numbers(&list.body).contains(&number), "not itself");
    assert!(!numbers(&list.body).contains(&unrelated["number"].as_str().unwrap()), "{}", list.body);
    assert_eq!(list.body[0]["kinship"], "duplicate");
    let merged = t.ok(&dispatcher, &second, json!({"action": "merge", "master_number": first["number"]})).await;
    assert_eq!(merged["state"], "merged");
    t.app.search.refresh().await.unwrap();
    let after = t.get(&format!("/api/v1/work-orders/{}/similar", other["number"].as_str().unwrap()), &dispatcher).await;
    assert!(!numbers(&after.body).contains(&number), "a merged order is no candidate: {}", after.body);

    // Units do not look across the centre's orders; bad input is named.
    assert_eq!(t.get(&format!("/api/v1/work-orders/{number}/similar"), &town).await.status, StatusCode::FORBIDDEN);
    assert_eq!(t.get("/api/v1/work-orders/GD20990101000001/similar", &dispatcher).await.status, StatusCode::NOT_FOUND);
    let bad = t.post("/api/v1/suggestions", &consultant, json!({"subject": "水浸", "caller_phone": "12ab"})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.to_string().contains("caller_phone"), "{}", bad.body);
    let bad = t.post("/api/v1/suggestions", &consultant, json!({"subject": "水浸", "category_id": "x", "address": "长".repeat(201)})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.to_string().contains("category_id") && bad.body.to_string().contains("address"), "{}", bad.body);
}
