//! Units, users, hotlines, categories and the catalogue, by the right admins.

use crate::support::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn unit_admins_manage_their_own_unit_only() {
    let t = TestApp::spawn().await;
    let unit_admin = t.login("dongcheng_admin").await;
    let own = json!({"username": "dc_new", "display_name": "新承办人", "password": "long enough pw", "unit_id": t.unit_id("441900003"), "roles": ["handler"]});
    let r = t.post("/api/v1/users", &unit_admin, own).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let other = json!({"username": "nc_new", "display_name": "x", "password": "long enough pw", "unit_id": t.unit_id("441900004"), "roles": ["handler"]});
    assert_eq!(t.post("/api/v1/users", &unit_admin, other).await.status, StatusCode::FORBIDDEN);
    let centre = json!({"username": "c_new", "display_name": "x", "password": "long enough pw", "roles": ["consultant"]});
    assert_eq!(t.post("/api/v1/users", &unit_admin, centre).await.status, StatusCode::FORBIDDEN);
    let listed = t.get("/api/v1/users", &unit_admin).await;
    assert!(listed.body.as_array().unwrap().iter().all(|u| u["unit"]["code"].as_str().is_some_and(|c| c.starts_with("441900003"))));
    // A community under the town, by the town's admin.
    let sub = json!({"code": "441900003-test", "name": "东城街道测试社区", "kind": "community", "parent_id": t.unit_id("441900003")});
    assert_eq!(t.post("/api/v1/units", &unit_admin, sub).await.status, StatusCode::CREATED);
    let town = json!({"code": "new-town", "name": "新镇", "kind": "town"});
    assert_eq!(t.post("/api/v1/units", &unit_admin, town).await.status, StatusCode::FORBIDDEN);
    let handler = t.login("dongcheng").await;
    assert_eq!(t.get("/api/v1/users", &handler).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_system_admin_configures_the_organisation() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let consultant = t.login("consultant").await;

    let bad = json!({"username": "x y", "display_name": "", "password": "short", "roles": ["handler"]});
    let r = t.post("/api/v1/users", &admin, bad).await;
    let fields: Vec<&str> = r.body["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["username", "display_name", "password", "roles"]);
    let dup = json!({"username": "consultant", "display_name": "x", "password": "long enough pw", "roles": ["consultant"]});
    assert_eq!(t.post("/api/v1/users", &admin, dup).await.status, StatusCode::CONFLICT);

    let hotlines = t.get("/api/v1/hotlines", &consultant).await;
    let tax = hotlines.body.as_array().unwrap().iter().find(|h| h["number"] == "12366").unwrap().clone();
    assert_eq!((tax["mode"].as_str(), tax["unit"]["code"].as_str()), (Some("sub_centre"), Some("tax")));
    let h = json!({"unit_id": t.unit_id("edu"), "number": "12395", "name": "教育服务热线", "mode": "professional_seat"});
    assert_eq!(t.post("/api/v1/hotlines", &admin, h.clone()).await.status, StatusCode::CREATED);
    assert_eq!(t.post("/api/v1/hotlines", &admin, h).await.status, StatusCode::CONFLICT);
    let h = json!({"unit_id": t.unit_id("edu"), "number": "12", "name": "x", "mode": "telepathy"});
    assert_eq!(t.post("/api/v1/hotlines", &admin, h).await.body["fields"][0]["field"], "mode");

    let categories = t.get("/api/v1/categories", &consultant).await;
    assert_eq!(categories.body.as_array().unwrap().iter().filter(|c| c["level"] == 3).count(), 517);
    let parent = t.category("城乡建设/城市建设和市政管理");
    let c = t.post("/api/v1/categories", &admin, json!({"parent_id": parent, "name": "充电桩"})).await;
    assert_eq!((c.status, c.body["level"].as_i64()), (StatusCode::CREATED, Some(3)));
    let c3 = c.body["id"].as_str().unwrap().to_owned();
    let too_deep = t.post("/api/v1/categories", &admin, json!({"parent_id": c3, "name": "x"})).await;
    assert_eq!(too_deep.body["fields"][0]["field"], "parent_id");

    let entry = t.post("/api/v1/dispatch-catalogue", &admin, json!({"category_id": c3, "unit_id": t.unit_id("power")})).await;
    assert_eq!(entry.status, StatusCode::CREATED, "{}", entry.body);
    let proposal = t.get(&format!("/api/v1/dispatch/proposal?category_id={c3}&town_code=441900004"), &consultant).await;
    assert_eq!(proposal.body["lead_unit"]["code"], "power");
    t.call(Method::DELETE, &format!("/api/v1/dispatch-catalogue/{}", entry.body["id"].as_str().unwrap()), Some(&admin), None).await;
    // Without its own entry the parent's applies: the town, city management co-handling.
    let proposal = t.get(&format!("/api/v1/dispatch/proposal?category_id={c3}&town_code=441900004"), &consultant).await;
    assert_eq!(
        (proposal.body["lead_unit"]["code"].as_str(), proposal.body["co_units"][0]["code"].as_str()),
        (Some("441900004"), Some("urban"))
    );
    assert_eq!(
        t.post("/api/v1/dispatch-catalogue", &consultant, json!({"category_id": c3, "territorial": true})).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn documentation_and_health_are_served() {
    let t = TestApp::spawn().await;
    let doc = t.call(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(doc.status, StatusCode::OK);
    assert_eq!(doc.body["openapi"].as_str().map(|v| v.starts_with('3')), Some(true));
    for path in ["/api/v1/work-orders", "/api/v1/work-orders/{number}/actions", "/api/v1/calendar/due", "/api/v1/auth/login"] {
        assert!(doc.body["paths"][path].is_object(), "{path} documented");
    }
    let ui = t.client.get(format!("{}/api/docs/", t.base)).send().await.unwrap();
    assert_eq!(ui.status(), StatusCode::OK);
    assert!(ui.text().await.unwrap().contains("swagger"), "Swagger UI is served offline");
    assert_eq!(t.call(Method::GET, "/healthz", None, None).await.body["status"], "ok");
}
