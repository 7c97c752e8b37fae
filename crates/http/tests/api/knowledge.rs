//! The knowledge base over HTTP: writing and review, versions and diffs,
//! staff and public search, order search scoped to the unit, hot topics,
//! vocabulary, and bad input.

use crate::support::{TestApp, urlencode};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn article(t: &TestApp, title: &str, public: bool) -> Value {
    json!({
        "title": title,
        "body": "携带本人身份证到社保卡服务网点申请补办，部分网点可即时制卡。\n\n挂失可拨打12333。",
        "script": "社保卡丢失请先挂失，再带身份证到网点补办。",
        "owner_id": t.unit_id("hrss"),
        "category_id": t.category("劳动和社会保障/城镇职工社会保险"),
        "keywords": ["社保卡", "补办", "挂失"],
        "visibility": if public { "public" } else { "internal" },
    })
}

async fn act(t: &TestApp, token: &str, a: &Value, action: Value) -> Value {
    let mut action = action;
    action["revision"] = a["revision"].clone();
    let r = t.post(&format!("/api/v1/kb/articles/{}/actions", a["id"].as_str().unwrap()), token, action.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.body);
    r.body
}

async fn search(t: &TestApp, token: Option<&str>, path: &str) -> Vec<Value> {
    let r = t.call(Method::GET, path, token, None).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
    r.body["results"].as_array().unwrap().clone()
}

fn titles(results: &[Value]) -> Vec<&str> {
    results.iter().map(|r| r["title"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn a_departments_article_is_reviewed_published_found_and_versioned() {
    let t = TestApp::spawn().await;
    let (hrss, reviewer, consultant) = (t.login("hrss").await, t.login("reviewer").await, t.login("consultant").await);

    let created = t.post("/api/v1/kb/articles", &hrss, article(&t, "社会保障卡遗失如何补办", true)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let a = created.body;
    assert_eq!(a["state"]["status"], "draft");
    let q = "/api/v1/kb/search?q=%E7%A4%BE%E4%BF%9D%E5%8D%A1%E4%B8%A2%E4%BA%86%E6%80%8E%E4%B9%88%E8%A1%A5%E5%8A%9E"; // 社保卡丢了怎么补办
    assert!(search(&t, Some(&consultant), q).await.is_empty(), "a draft is not searchable");

    // The department cannot publish its own article; the centre reviews.
    let a = act(&t, &hrss, &a, json!({"action": "submit"})).await;
    let r = t
        .post(
            &format!("/api/v1/kb/articles/{}/actions", a["id"].as_str().unwrap()),
            &hrss,
            json!({"action": "approve", "revision": a["revision"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let a = act(&t, &reviewer, &a, json!({"action": "approve"})).await;
    assert_eq!(a["state"]["live_version"], 1);

    let found = search(&t, Some(&consultant), q).await;
    assert_eq!(titles(&found), ["社会保障卡遗失如何补办"]);
    assert_eq!(found[0]["department"], "市人力资源和社会保障局");
    assert!(found[0]["snippet"].as_str().unwrap().contains("<em>"), "{}", found[0]["snippet"]);
    let public = search(&t, None, q.replace("/kb/", "/public/kb/").as_str()).await;
    assert_eq!(titles(&public), ["社会保障卡遗失如何补办"]);

    // A new version is a draft while version 1 stays live; the diff shows the change.
    let mut edit = article(&t, "社会保障卡遗失如何补办", true);
    edit["body"] = json!("携带本人身份证到社保卡服务网点申请补办，全部网点可即时制卡。\n\n挂失可拨打12333。");
    edit["revision"] = a["revision"].clone();
    let r = t.call(Method::PUT, &format!("/api/v1/kb/articles/{}", a["id"].as_str().unwrap()), Some(&hrss), Some(edit.clone())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!((r.body["state"]["version"].as_i64(), r.body["state"]["live_version"].as_i64()), (Some(2), Some(1)));
    assert_eq!(titles(&search(&t, Some(&consultant), q).await).len(), 1, "version 1 still answers");
    let stale = t.call(Method::PUT, &format!("/api/v1/kb/articles/{}", a["id"].as_str().unwrap()), Some(&hrss), Some(edit.clone())).await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    let diff = t.get(&format!("/api/v1/kb/articles/{}/diff?from=1&to=2", a["id"].as_str().unwrap()), &reviewer).await;
    assert_eq!(diff.status, StatusCode::OK, "{}", diff.body);
    let fields: Vec<&str> = diff.body["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["body"]);
    // Saving the same content again writes no version and keeps the revision.
    let mut same = edit.clone();
    same["revision"] = r.body["revision"].clone();
    let again = t.call(Method::PUT, &format!("/api/v1/kb/articles/{}", a["id"].as_str().unwrap()), Some(&hrss), Some(same)).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!((again.body["state"]["version"].as_i64(), &again.body["revision"]), (Some(2), &r.body["revision"]));
    let versions = t.get(&format!("/api/v1/kb/articles/{}/versions", a["id"].as_str().unwrap()), &hrss).await;
    assert_eq!(versions.body.as_array().unwrap().len(), 2);

    // Retired: gone from search.
    let a = act(&t, &reviewer, &r.body, json!({"action": "retire"})).await;
    assert_eq!(a["state"]["status"], "retired");
    assert!(search(&t, Some(&consultant), q).await.is_empty());
}

#[tokio::test]
async fn internal_articles_stay_off_the_portal_and_units_edit_only_their_own() {
    let t = TestApp::spawn().await;
    let (admin, urban) = (t.login("admin").await, t.login("urban").await);
    let a = t.post("/api/v1/kb/articles", &admin, article(&t, "社保卡补办内部口径", false)).await.body;
    let a = act(&t, &admin, &a, json!({"action": "submit"})).await;
    act(&t, &admin, &a, json!({"action": "approve"})).await;
    let q = "q=%E7%A4%BE%E4%BF%9D%E5%8D%A1%E8%A1%A5%E5%8A%9E"; // 社保卡补办
    assert_eq!(search(&t, Some(&admin), &format!("/api/v1/kb/search?{q}")).await.len(), 1);
    assert!(search(&t, None, &format!("/api/v1/public/kb/search?{q}")).await.is_empty());

    // 城管 cannot write an article owned by 人社.
    let r = t.post("/api/v1/kb/articles", &urban, article(&t, "越权", true)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let consultant = t.login("consultant").await;
    let r = t.post("/api/v1/kb/articles", &consultant, article(&t, "话务员不能写", true)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
}

#[tokio::test]
async fn the_portal_says_when_nothing_relevant_is_found_instead_of_padding() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let a = t.post("/api/v1/kb/articles", &admin, article(&t, "社会保障卡遗失如何补办", true)).await.body;
    let a = act(&t, &admin, &a, json!({"action": "submit"})).await;
    act(&t, &admin, &a, json!({"action": "approve"})).await;
    let public = |q: &str| format!("/api/v1/public/kb/search?q={}", urlencode(q));
    assert_eq!(titles(&search(&t, None, &public("社保卡丢了怎么补办")).await), ["社会保障卡遗失如何补办"]);
    // A passport shares only 补办 with the article: staff see it ranked low,
    // the citizen is told nothing relevant was found.
    let passport = "护照过期了去哪里补办";
    let staff = search(&t, Some(&admin), &format!("/api/v1/kb/search?q={}", urlencode(passport))).await;
    assert_eq!(titles(&staff), ["社会保障卡遗失如何补办"], "one shared word is a match for staff");
    assert!(search(&t, None, &public(passport)).await.is_empty(), "but not relevant to a citizen");
}

#[tokio::test]
async fn bad_input_is_named_field_by_field() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let r = t.get("/api/v1/kb/search?q=", &admin).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["fields"][0]["field"], "q");
    let r = t.get("/api/v1/kb/search?q=abc&limit=500&town=nowhere", &admin).await;
    let fields: Vec<&str> = r.body["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["town", "limit"], "{}", r.body);
    let mut bad = article(&t, "", true);
    bad["expires_on"] = json!("2026-13-01");
    bad["visibility"] = json!("secret");
    let r = t.post("/api/v1/kb/articles", &admin, bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let fields: Vec<&str> = r.body["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["expires_on", "visibility"], "{}", r.body);
    let r = t.post("/api/v1/kb/articles", &admin, article(&t, " ", true)).await;
    assert_eq!(r.body["fields"][0]["field"], "title", "{}", r.body);
    let r = t.post("/api/v1/kb/vocabulary/synonyms", &admin, json!({"words": ["社保"]})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(t.get("/api/v1/kb/articles/12345", &admin).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn similar_orders_are_found_with_their_replies_within_the_callers_unit() {
    let t = TestApp::spawn().await;
    let (consultant, dispatcher) = (t.login("consultant").await, t.login("dispatcher").await);
    let order = t.register(&consultant, t.complaint()).await;
    t.ok(&dispatcher, &order, json!({"action": "dispatch", "lead_unit_id": t.unit_id("441900003")})).await;
    t.app.search.refresh().await.unwrap();

    let q = "/api/v1/work-orders/search?q=%E8%B7%AF%E7%81%AF%E5%9D%8F%E4%BA%86"; // 路灯坏了
    let centre = search(&t, Some(&consultant), q).await;
    assert_eq!(centre.len(), 1);
    assert_eq!(centre[0]["number"], order["number"]);
    assert!(centre[0]["snippet"].as_str().unwrap().contains("<em>"), "{}", centre[0]["snippet"]);
    assert_eq!(search(&t, Some(&t.login("dongcheng").await), q).await.len(), 1, "the lead unit finds it");
    assert!(search(&t, Some(&t.login("nancheng").await), q).await.is_empty(), "another town does not");

    // By number, too.
    let by_number = search(&t, Some(&consultant), &format!("/api/v1/work-orders/search?q={}", order["number"].as_str().unwrap())).await;
    assert_eq!(by_number.len(), 1);
}

#[tokio::test]
async fn searches_and_linked_orders_make_hot_topics_and_the_portal_is_rate_limited() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let a = t.post("/api/v1/kb/articles", &admin, article(&t, "社会保障卡遗失如何补办", true)).await.body;
    let a = act(&t, &admin, &a, json!({"action": "submit"})).await;
    let a = act(&t, &admin, &a, json!({"action": "approve"})).await;
    let consultant = t.login("consultant").await;
    let order = t.register(&consultant, t.complaint()).await;
    let r = t
        .post(&format!("/api/v1/work-orders/{}/articles", order["number"].as_str().unwrap()), &consultant, json!({"article_id": a["id"]}))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    // 60 requests a minute per client by default: the 61st is refused.
    let mut last = StatusCode::OK;
    for _ in 0..61 {
        last = t.call(Method::GET, "/api/v1/public/kb/search?q=%E7%A4%BE%E4%BF%9D%E5%8D%A1", None, None).await.status;
        if last != StatusCode::OK {
            break;
        }
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    t.app.search.flush_events().await.unwrap();
    let hot = t.get("/api/v1/kb/hot", &admin).await;
    assert_eq!(hot.status, StatusCode::OK, "{}", hot.body);
    let topic = &hot.body["topics"][0];
    assert_eq!(topic["title"], "社会保障卡遗失如何补办");
    assert_eq!(topic["orders"], 1);
    assert!(topic["searches"].as_i64().unwrap() >= 59, "{topic}");
    assert_eq!(hot.body["queries"][0]["topic"], "社保卡");
    let feed = t.call(Method::GET, "/api/v1/public/kb/hot", None, None).await;
    // The portal's budget is spent for this client: the feed shares it.
    assert_eq!(feed.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn scheduled_articles_go_live_on_time_expired_ones_are_flagged_and_readers_never_see_drafts() {
    let start = chrono::Utc::now();
    let clock = std::sync::Arc::new(hotline_app::clock::ManualClock::new(start));
    let t = TestApp::spawn_with_clock(hotline_app::AppConfig::default(), clock.clone()).await;
    let (hrss, reviewer, consultant) = (t.login("hrss").await, t.login("reviewer").await, t.login("consultant").await);
    let q = "/api/v1/kb/search?q=%E7%A4%BE%E4%BF%9D%E5%8D%A1%E8%A1%A5%E5%8A%9E"; // 社保卡补办

    // Approved for a moment from now: scheduled, not yet searchable.
    let a = t.post("/api/v1/kb/articles", &hrss, article(&t, "社会保障卡遗失如何补办", true)).await.body;
    let a = act(&t, &hrss, &a, json!({"action": "submit"})).await;
    let at = (start + chrono::Duration::milliseconds(1500)).to_rfc3339();
    let a = act(&t, &reviewer, &a, json!({"action": "approve", "publish_at": at})).await;
    assert_eq!(a["state"]["status"], "scheduled");
    assert_eq!(t.app.knowledge.publish_due().await.unwrap(), 0, "not before its time");
    assert!(search(&t, Some(&consultant), q).await.is_empty());
    clock.set(start + chrono::Duration::milliseconds(1600));
    assert_eq!(t.app.knowledge.publish_due().await.unwrap(), 1);
    assert_eq!(titles(&search(&t, Some(&consultant), q).await), ["社会保障卡遗失如何补办"]);

    // A new draft stays with its editors: a consultant reads the published version.
    let mut edit = article(&t, "社会保障卡遗失如何补办（修订中）", true);
    let id = a["id"].as_str().unwrap();
    edit["revision"] = t.get(&format!("/api/v1/kb/articles/{id}"), &hrss).await.body["revision"].clone();
    let r = t.call(Method::PUT, &format!("/api/v1/kb/articles/{id}"), Some(&hrss), Some(edit)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let read = t.get(&format!("/api/v1/kb/articles/{id}"), &consultant).await.body;
    assert_eq!(read["content"]["title"], "社会保障卡遗失如何补办");
    assert_eq!(read["state"]["status"], "published");
    let own = t.get(&format!("/api/v1/kb/articles/{id}"), &hrss).await.body;
    assert_eq!(own["content"]["title"], "社会保障卡遗失如何补办（修订中）");
    assert_eq!(own["live"]["title"], "社会保障卡遗失如何补办");

    // An article past its expiry date leaves search and is flagged to its owner.
    let mut old = article(&t, "2025年度社保缴费基数调整", false);
    old["expires_on"] = json!("2025-12-31");
    let b = t.post("/api/v1/kb/articles", &hrss, old).await.body;
    let b = act(&t, &hrss, &b, json!({"action": "submit"})).await;
    act(&t, &reviewer, &b, json!({"action": "approve"})).await;
    let flagged = t.get("/api/v1/kb/articles?expired=true", &hrss).await;
    let flagged: Vec<&str> = flagged.body["items"].as_array().unwrap().iter().map(|i| i["title"].as_str().unwrap()).collect();
    assert_eq!(flagged, ["2025年度社保缴费基数调整"]);
    let found = search(&t, Some(&consultant), "/api/v1/kb/search?q=%E7%BC%B4%E8%B4%B9%E5%9F%BA%E6%95%B0").await; // 缴费基数
    assert!(found.is_empty(), "{found:?}");

    // Staff may narrow to internal or public articles.
    let internal = search(&t, Some(&consultant), &format!("{q}&visibility=internal")).await;
    assert!(internal.is_empty(), "{internal:?}");
    assert_eq!(search(&t, Some(&consultant), &format!("{q}&visibility=public")).await.len(), 1);
}

/// An article that never says 路灯, as a city's lighting department writes.
fn lighting_article(t: &TestApp) -> Value {
    json!({
        "title": "道路照明设施报修",
        "body": "城市道路照明设施损坏、熄灭或灯杆倾斜，由属地城市管理部门负责维修，一般三个工作日内修复。",
        "script": "道路照明设施损坏可报属地城管部门维修，三个工作日内修复。",
        "category_id": t.category("城乡建设/城市建设和市政管理/城市公共设施"),
        "keywords": ["照明", "报修"],
        "visibility": "public",
    })
}

async fn answered_with(t: &TestApp, token: &str, article: &Value, phone: &str, subject: &str, description: &str) {
    let mut body = t.complaint();
    body["caller"]["phone"] = json!(phone);
    body["subject"] = json!(subject);
    body["description"] = json!(description);
    let order = t.register(token, body).await;
    let r = t
        .post(&format!("/api/v1/work-orders/{}/articles", order["number"].as_str().unwrap()), token, json!({"article_id": article["id"]}))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
}

#[tokio::test]
async fn the_search_learns_the_words_callers_used_for_an_article_and_proposes_them_as_synonyms() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let a = t.post("/api/v1/kb/articles", &admin, lighting_article(&t)).await.body;
    let a = act(&t, &admin, &a, json!({"action": "submit"})).await;
    let a = act(&t, &admin, &a, json!({"action": "approve"})).await;
    let consultant = t.login("consultant").await;
    let q = format!("/api/v1/kb/search?q={}", urlencode("路灯不亮"));
    assert!(search(&t, Some(&consultant), &q).await.is_empty(), "the article never says 路灯: nothing to find yet");

    // The same caller twice (with their plate number) and two others.
    answered_with(&t, &consultant, &a, "13800000001", "路灯不亮", "粤S8F123 停在东纵路，旁边路灯不亮，张伟反映").await;
    answered_with(&t, &consultant, &a, "13800000001", "路灯还是不亮", "张伟再次反映东纵路路灯不亮").await;
    t.app.search.refresh().await.unwrap();
    assert!(search(&t, Some(&consultant), &q).await.is_empty(), "one caller is not yet evidence");
    answered_with(&t, &consultant, &a, "13800000002", "路灯坏了", "莞城西正路的路灯晚上不亮").await;
    answered_with(&t, &consultant, &a, "13800000003", "小区门口路灯坏了", "南城路灯一直不亮，晚上看不见路").await;
    t.app.search.refresh().await.unwrap();

    let found = search(&t, Some(&consultant), &q).await;
    assert_eq!(titles(&found), ["道路照明设施报修"], "learned from three callers");
    // The portal finds it too: public article, the citizens' own words.
    let public = search(&t, None, &format!("/api/v1/public/kb/search?q={}", urlencode("路灯坏了"))).await;
    assert_eq!(titles(&public), ["道路照明设施报修"]);
    // One caller's name and plate never became words the article is found by.
    for private in ["张伟", "粤S8F123"] {
        let q = format!("/api/v1/kb/search?q={}", urlencode(private));
        assert!(search(&t, Some(&consultant), &q).await.is_empty(), "{private} found");
    }
    // The article itself was not edited: its editors' date and revision stand.
    let read = t.get(&format!("/api/v1/kb/articles/{}", a["id"].as_str().unwrap()), &admin).await.body;
    assert_eq!((read["revision"].clone(), read["updated_at"].clone()), (a["revision"].clone(), a["updated_at"].clone()));

    // 路灯: three callers, an article that never says it; paired with the
    // article's rarest naming word (no naming word ends in 灯).
    let r = t.get("/api/v1/kb/vocabulary/proposals", &admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let proposals = r.body["proposals"].as_array().unwrap().clone();
    let lamp = proposals.iter().find(|p| p["word"] == "路灯").unwrap_or_else(|| panic!("路灯 proposed: {}", r.body));
    assert_eq!(lamp["callers"], 3);
    assert_eq!(lamp["articles"][0]["title"], "道路照明设施报修");
    let partners: Vec<&str> =
        std::iter::once(&lamp["partner"]).chain(lamp["alternatives"].as_array().unwrap()).map(|w| w.as_str().unwrap()).collect();
    assert!(partners.contains(&"照明") && partners.contains(&"报修"), "{lamp}");
    assert!(proposals.iter().all(|p| p["word"] != "张伟" && p["callers"].as_u64().unwrap() >= 3), "{}", r.body);

    // Accepting is adding the synonym set: the word is not proposed again,
    // and now an order search by 照明 finds the orders that said 路灯.
    let by_lighting = format!("/api/v1/work-orders/search?q={}", urlencode("照明"));
    assert!(search(&t, Some(&consultant), &by_lighting).await.is_empty(), "no order says 照明");
    let accepted = t.post("/api/v1/kb/vocabulary/synonyms", &admin, json!({"words": ["路灯", "照明"]})).await;
    assert_eq!(accepted.status, StatusCode::CREATED, "{}", accepted.body);
    let numbers = |hits: Vec<Value>| {
        let mut n: Vec<String> = hits.iter().map(|h| h["number"].as_str().unwrap().to_owned()).collect();
        n.sort();
        n
    };
    let by_lamp = numbers(search(&t, Some(&consultant), &format!("/api/v1/work-orders/search?q={}", urlencode("路灯"))).await);
    assert!(by_lamp.len() >= 3, "{by_lamp:?}");
    assert_eq!(numbers(search(&t, Some(&consultant), &by_lighting).await), by_lamp, "照明 now finds the orders that said 路灯");
    let after = t.get("/api/v1/kb/vocabulary/proposals", &admin).await.body;
    assert!(after["proposals"].as_array().unwrap().iter().all(|p| p["word"] != "路灯"), "decided: {after}");
    // 不亮 (three callers too) is turned down: it is not proposed again.
    let dim = after["proposals"].as_array().unwrap().iter().find(|p| p["word"] == "不亮").cloned().unwrap_or_else(|| panic!("{after}"));
    let r = t.post("/api/v1/kb/vocabulary/proposals/dismissals", &admin, json!({"word": "不亮", "partner": dim["partner"]})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let again = t.get("/api/v1/kb/vocabulary/proposals", &admin).await.body;
    assert!(again["proposals"].as_array().unwrap().iter().all(|p| p["word"] != "不亮"), "{again}");
    // Bad input is named.
    let r = t.post("/api/v1/kb/vocabulary/proposals/dismissals", &admin, json!({"word": "路灯", "partner": "路灯"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.to_string().contains("partner"), "{}", r.body);
    let r = t.post("/api/v1/kb/vocabulary/proposals/dismissals", &admin, json!({"word": " ", "partner": "照明"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // Editors of the vocabulary only.
    assert_eq!(t.get("/api/v1/kb/vocabulary/proposals", &consultant).await.status, StatusCode::FORBIDDEN);
}
