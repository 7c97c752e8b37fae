//! Hot topics from the orders' words, on SQLite and PostgreSQL: a matter
//! many callers report is one topic with its trend, towns and orders for
//! the centre, in public wording for the portal and the big screen, and it
//! follows new, merged and older orders.

use crate::support::TestApp;
use chrono::{DateTime, Duration, Utc};
use hotline_app::AppConfig;
use hotline_app::clock::{Clock, ManualClock};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;

fn report(t: &TestApp, town: &str, subject: &str, description: &str, category: &str) -> Value {
    json!({
        "channel": "phone",
        "type": "report",
        "category_id": t.category(category),
        "caller": {"name": "陈先生", "phone": "13800000001"},
        "location": {"town_code": town, "address": "东纵路88号"},
        "subject": subject,
        "description": description,
    })
}

const FACILITIES: &str = "城乡建设/城市建设和市政管理/城市公共设施";
const WAGES: &str = "劳动和社会保障/工资福利/工资发放";

fn topics(body: &Value) -> &Vec<Value> {
    body["topics"].as_array().unwrap_or_else(|| panic!("{body}"))
}

fn words(topic: &Value) -> Vec<&str> {
    topic["keywords"].as_array().unwrap().iter().map(|k| k["word"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn a_matter_many_callers_report_is_one_hot_topic_for_the_centre_and_in_public_wording_for_the_portal() {
    let start: DateTime<Utc> = "2026-12-03T02:00:00Z".parse().unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let t = TestApp::spawn_with_clock(AppConfig::default(), clock.clone()).await;
    let (consultant, dispatcher, supervisor, town) =
        (t.login("consultant").await, t.login("dispatcher").await, t.login("supervisor").await, t.login("dongcheng").await);

    // Seven hours before: two reports of the flood (the window before the last six hours).
    for (subject, description) in [("东纵路水浸", "东纵路暴雨后水浸，下水道堵塞"), ("东纵路又水浸了", "暴雨东纵路水浸严重，下水道排不出去")]
    {
        t.register(&consultant, report(&t, "441900003", subject, description, FACILITIES)).await;
    }
    clock.set(start + Duration::hours(7));
    let consultant = t.login("consultant").await;
    let mut flood = Vec::new();
    for (town_code, subject, description) in [
        ("441900003", "东纵路暴雨水浸街", "东纵路88号门口暴雨后水浸街，积水到膝盖，车辆无法通行，下水道堵塞。"),
        ("441900003", "东纵路水浸车辆熄火", "下暴雨东纵路水浸很深，下水道堵了，车过不去，有车熄火。"),
        ("441900004", "暴雨后东纵路水浸", "暴雨过后东纵路一带水浸，商铺进水，下水道堵塞没人疏通。"),
        ("441900003", "东纵路水浸无法出行", "东纵路暴雨水浸，小区门口下水道冒水，老人出不了门。"),
    ] {
        flood.push(t.register(&consultant, report(&t, town_code, subject, description, FACILITIES)).await);
        clock.set(clock.now() + Duration::minutes(5));
    }
    let unrelated = t
        .register(&consultant, report(&t, "441900003", "工厂拖欠工资", "在厂里做了三个月，老板一直拖欠工资不发，请求帮助追讨。", WAGES))
        .await;
    let consultant = t.login("consultant").await;

    // The centre: one topic, four orders now, two before, rising.
    let r = t.get("/api/v1/topics?window=hours", &supervisor).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["window"], "hours");
    let found = topics(&r.body);
    assert_eq!(found.len(), 1, "{}", r.body);
    let topic = &found[0];
    assert_eq!((topic["orders"].as_u64(), topic["before"].as_u64()), (Some(4), Some(2)), "{topic}");
    assert_eq!(topic["trend"], "rising");
    let keywords = words(topic);
    assert!(keywords.contains(&"东纵路") && keywords.contains(&"水浸") && keywords.contains(&"暴雨"), "{keywords:?}");
    assert_eq!(topic["towns"][0]["code"], "441900003");
    assert_eq!(topic["towns"][0]["orders"], 3);
    assert_eq!(topic["towns"][1]["code"], "441900004");
    assert_eq!(topic["categories"][0]["path"][2], "城市公共设施");
    let members: Vec<&str> = topic["members"].as_array().unwrap().iter().map(|m| m["number"].as_str().unwrap()).collect();
    let newest_first: Vec<&str> = flood.iter().rev().map(|o| o["number"].as_str().unwrap()).collect();
    assert_eq!(members, newest_first);
    assert!(!members.contains(&unrelated["number"].as_str().unwrap()));
    assert_eq!(topic["series"].as_array().unwrap().iter().map(|n| n.as_u64().unwrap()).sum::<u64>(), 4);
    // Over the last day the earlier reports are in the window: six orders, new.
    let day = t.get("/api/v1/topics?window=day", &dispatcher).await;
    assert_eq!((topics(&day.body)[0]["orders"].as_u64(), topics(&day.body)[0]["trend"].as_str()), (Some(6), Some("new")), "{}", day.body);

    // The portal: the kind of matter, words many callers used, the towns; no order, no caller's words.
    let public = t.call(reqwest::Method::GET, "/api/v1/public/topics?window=hours", None, None).await;
    assert_eq!(public.status, StatusCode::OK, "{}", public.body);
    let shown = &topics(&public.body)[0];
    assert_eq!(shown["title"], "城市公共设施");
    assert_eq!(shown["orders"], 4);
    assert_eq!(shown["towns"][0], "东城街道");
    let text = public.body.to_string();
    for secret in [flood[0]["number"].as_str().unwrap(), "13800000001", "88", "膝盖", "熄火"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    // The big screen carries the last day's topics in the same wording.
    let screen = t.get("/api/v1/dashboard", &supervisor).await;
    assert_eq!(screen.body["reported"][0]["orders"], 6, "{}", screen.body["reported"]);

    // Served for a minute; then a new report is counted, and a merged one no longer.
    t.register(&consultant, report(&t, "441900003", "东纵路水浸", "东纵路暴雨水浸，下水道又堵了", FACILITIES)).await;
    assert_eq!(topics(&t.get("/api/v1/topics?window=hours", &supervisor).await.body)[0]["orders"], 4, "still the minute's figures");
    clock.set(clock.now() + Duration::seconds(61));
    assert_eq!(topics(&t.get("/api/v1/topics?window=hours", &supervisor).await.body)[0]["orders"], 5);
    let dispatcher = t.login("dispatcher").await;
    t.ok(&dispatcher, &flood[1], json!({"action": "merge", "master_number": flood[0]["number"]})).await;
    clock.set(clock.now() + Duration::minutes(11));
    let after = t.get("/api/v1/topics?window=hours", &supervisor).await;
    assert_eq!(topics(&after.body)[0]["orders"], 4, "{}", after.body);

    // Units do not see the centre's topics; bad input is named.
    let town = {
        let _ = town;
        t.login("dongcheng").await
    };
    assert_eq!(t.get("/api/v1/topics", &town).await.status, StatusCode::FORBIDDEN);
    let bad = t.get("/api/v1/topics?window=month&limit=0", &supervisor).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.to_string().contains("window") && bad.body.to_string().contains("limit"), "{}", bad.body);
    let bad = t.call(reqwest::Method::GET, "/api/v1/public/topics?limit=51", None, None).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
}

#[tokio::test]
async fn a_hot_topic_spanning_towns_warns_the_centre_once_and_counts_its_later_reports() {
    let start: DateTime<Utc> = "2026-12-03T02:00:00Z".parse().unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let t = TestApp::spawn_with_clock(AppConfig::default(), clock.clone()).await;
    let (consultant, supervisor, dongcheng) = (t.login("consultant").await, t.login("supervisor").await, t.login("dongcheng").await);
    let surges = |body: &Value| -> Vec<Value> { body.as_array().unwrap().iter().filter(|a| a["watched"] == "surge").cloned().collect() };

    // A water cut told in six ways from three towns, two each: no town has
    // the five orders its own watch needs, and the words differ too much
    // for it anyway.
    let reports = [
        ("441900003", "家里突然停水", "从早上开始停水，自来水一滴都没有，也没有提前通知。"),
        ("441900004", "小区停水了", "我们小区自来水停水三个小时了，做饭洗澡都没水，什么时候恢复供水。"),
        ("441900005", "停水没有通知", "突然停水，自来水公司电话打不通，附近几个小区都没水。"),
        ("441900003", "自来水停了", "停水一上午了，家里老人小孩没水用，自来水什么时候来。"),
        ("441900004", "整条街停水", "整条街都停水了，自来水一点都没有，商铺没法营业。"),
        ("441900005", "停水问题", "停水到现在还没恢复供水，自来水公司也没有说明原因。"),
    ];
    let mut numbers = Vec::new();
    for (town, subject, description) in reports {
        numbers.push(t.register(&consultant, report(&t, town, subject, description, FACILITIES)).await["number"].clone());
        clock.set(clock.now() + Duration::minutes(4));
    }
    assert!(surges(&t.get("/api/v1/alerts", &supervisor).await.body).is_empty(), "no town's watch warned");

    // The topics' refresh warns the centre once, standing for the six, even
    // when passes run at once on one node (a slow one overtaken by the
    // next): they take turns.
    let passes: Vec<_> = (0..8)
        .map(|_| {
            let app = t.app.clone();
            tokio::spawn(async move { app.emergency.screen_topics(&app.topics.recent_reports().await.unwrap()).await.unwrap().len() })
        })
        .collect();
    let mut raised = 0;
    for pass in passes {
        raised += pass.await.unwrap();
    }
    assert_eq!(raised, 1);
    let all = surges(&t.get("/api/v1/alerts", &supervisor).await.body);
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(
        (all[0]["unit"].clone(), all[0]["orders"].clone(), all[0]["level"].clone()),
        (Value::Null, json!(6), json!("yellow")),
        "{all:?}"
    );
    assert_eq!(all[0]["number"], numbers[0], "named after the first report");
    let listed = t.get(&format!("/api/v1/alerts/{}/orders", all[0]["id"].as_str().unwrap()), &supervisor).await;
    let listed: Vec<&Value> = listed.body.as_array().unwrap().iter().map(|o| &o["number"]).collect();
    assert_eq!(listed, numbers.iter().collect::<Vec<_>>());
    // A town's staff do not see the centre's warning.
    assert!(surges(&t.get("/api/v1/alerts", &dongcheng).await.body).is_empty());

    // The next refresh, here or on another node, warns nobody again; a new
    // report is counted in the warning once the topics see it.
    assert!(t.app.emergency.screen_topics(&t.app.topics.recent_reports().await.unwrap()).await.unwrap().is_empty());
    t.register(&consultant, report(&t, "441900006", "莞城也停水", "莞城这边也停水了，自来水没有，问了物业也不知道原因。", FACILITIES))
        .await;
    clock.set(clock.now() + Duration::seconds(61));
    let other = t.second_node().await;
    assert!(other.emergency.screen_topics(&other.topics.recent_reports().await.unwrap()).await.unwrap().is_empty());
    assert!(t.app.emergency.screen_topics(&t.app.topics.recent_reports().await.unwrap()).await.unwrap().is_empty());
    let all = surges(&t.get("/api/v1/alerts", &supervisor).await.body);
    assert_eq!((all.len(), all[0]["orders"].clone()), (1, json!(7)), "{all:?}");

    // Two hours on, the same matter again is a new surge: the warning ended
    // when no report joined it for the window.
    clock.set(clock.now() + Duration::hours(2));
    for (town, subject, description) in reports.iter().take(5) {
        t.register(&consultant, report(&t, town, subject, description, FACILITIES)).await;
    }
    clock.set(clock.now() + Duration::seconds(61));
    assert_eq!(t.app.emergency.screen_topics(&t.app.topics.recent_reports().await.unwrap()).await.unwrap().len(), 1);
}

/// Memory holds the newest `topics.max_orders`: an older matter let go is
/// no topic even over the week, before and after the full read again ten
/// minutes on.
#[tokio::test]
async fn the_topics_keep_only_the_newest_orders_their_memory_holds() {
    let start: DateTime<Utc> = "2026-12-03T02:00:00Z".parse().unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let config = AppConfig { topics: hotline_app::topics::TopicsConfig { max_orders: 4, ..Default::default() }, ..AppConfig::default() };
    let t = TestApp::spawn_with_clock(config, clock.clone()).await;
    let (consultant, supervisor) = (t.login("consultant").await, t.login("supervisor").await);
    for (subject, description) in [
        ("工厂拖欠工资", "在厂里做了三个月，老板一直拖欠工资不发，请求帮助追讨。"),
        ("老板拖欠工资不发", "工厂老板拖欠三个月工资，工人讨薪无果，请求帮助追讨。"),
        ("拖欠工资三个月", "厂里拖欠我们工资三个月了，老板不发工资，请求追讨。"),
    ] {
        t.register(&consultant, report(&t, "441900003", subject, description, WAGES)).await;
    }
    clock.set(start + Duration::hours(1));
    let consultant = t.login("consultant").await;
    let flood = [
        ("东纵路暴雨水浸街", "东纵路暴雨后水浸街，积水到膝盖，下水道堵塞。"),
        ("东纵路水浸车辆熄火", "下暴雨东纵路水浸很深，下水道堵了，车过不去。"),
        ("暴雨后东纵路水浸", "暴雨过后东纵路一带水浸，下水道堵塞没人疏通。"),
        ("东纵路水浸无法出行", "东纵路暴雨水浸，小区门口下水道冒水。"),
    ];
    for (subject, description) in flood {
        t.register(&consultant, report(&t, "441900003", subject, description, FACILITIES)).await;
    }
    let week = t.get("/api/v1/topics?window=week", &supervisor).await;
    let found = topics(&week.body);
    assert_eq!(found.len(), 1, "the wage reports were let go: {}", week.body);
    assert!(words(&found[0]).contains(&"水浸"), "{}", week.body);
    assert_eq!(found[0]["orders"], 4);

    // A fifth report, read with the next full read: still the newest four.
    t.register(&consultant, report(&t, "441900003", "东纵路又水浸了", "暴雨东纵路水浸严重，下水道排不出去。", FACILITIES)).await;
    clock.set(clock.now() + Duration::minutes(11));
    let supervisor = t.login("supervisor").await;
    let week = t.get("/api/v1/topics?window=week", &supervisor).await;
    let found = topics(&week.body);
    assert_eq!((found.len(), found[0]["orders"].as_u64()), (1, Some(4)), "{}", week.body);
}
