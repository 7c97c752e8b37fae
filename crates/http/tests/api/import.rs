//! A legacy export shaped like a real one is imported through a mapping;
//! its evaluation figures equal an independent count made here from the
//! same rows, and importing again adds nothing.

use crate::support::TestApp;
use chrono::{Duration, NaiveDate, NaiveDateTime};
use hotline_app::legacy::ImportMapping;
use reqwest::StatusCode;
use std::collections::BTreeMap;

const MAPPING: &str = r#"
number_prefix = "GD"
date_formats = ["%Y/%m/%d %H:%M"]

[columns]
number = "工单号"
created_at = "受理时间"
subject = "标题"
description = "诉求内容"
category = "诉求分类"
type = "诉求类型"
state = "工单状态"
town = "所属镇街"
lead_unit = "承办单位"
dispatched_at = "派单时间"
signed_at = "签收时间"
due_at = "办理时限"
resolved_at = "办结时间"
satisfaction = "满意度"
solved = "是否解决"
caller_phone = "联系电话"

[values.state]
"已办结" = "archived"
"处理中" = "in_progress"

[values.unit]
"东城" = "441900003"
"南城" = "441900004"

[values.category]
"路灯" = "城乡建设/城市建设和市政管理/城市公共设施"
"#;

const HEADER: [&str; 16] = [
    "工单号",
    "受理时间",
    "标题",
    "诉求内容",
    "诉求分类",
    "诉求类型",
    "工单状态",
    "所属镇街",
    "承办单位",
    "派单时间",
    "签收时间",
    "办理时限",
    "办结时间",
    "满意度",
    "是否解决",
    "联系电话",
];

/// What one generated row means, for the independent count.
struct Truth {
    unit: &'static str,
    signed_late: bool,
    archived: bool,
    on_time: bool,
    satisfaction: Option<&'static str>,
}

fn fmt(t: NaiveDateTime) -> String {
    t.format("%Y/%m/%d %H:%M").to_string()
}

fn dataset() -> (Vec<(usize, Vec<String>)>, Vec<Truth>) {
    let start = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap().and_hms_opt(9, 0, 0).unwrap();
    let (mut rows, mut truth) = (Vec::new(), Vec::new());
    for i in 0..240usize {
        let created = start + Duration::minutes(i as i64 * 173);
        let unit = if i % 3 == 0 { "南城" } else { "东城" };
        let dispatched = created + Duration::hours(1);
        let signed = dispatched + Duration::hours((i % 4) as i64);
        let due = created + Duration::days(10);
        let archived = i % 6 != 5;
        let resolved = created + Duration::days((i % 15) as i64);
        let satisfaction = archived.then(|| ["满意", "满意", "满意", "基本满意", "不满意"][i % 5]);
        rows.push((
            i + 2,
            vec![
                format!("202610{:02}{:06}", 1 + i / 8, i),
                fmt(created),
                "路灯不亮".into(),
                format!("第{i}号路灯晚上不亮"),
                "路灯".into(),
                "投诉".into(),
                if archived { "已办结" } else { "处理中" }.into(),
                format!("{unit}街道"),
                unit.into(),
                fmt(dispatched),
                fmt(signed),
                fmt(due),
                if archived { fmt(resolved) } else { String::new() },
                satisfaction.unwrap_or("").into(),
                match satisfaction {
                    Some("不满意") => "否",
                    Some(_) => "是",
                    None => "",
                }
                .into(),
                "13800138000".into(),
            ],
        ));
        truth.push(Truth { unit, signed_late: i % 4 == 3, archived, on_time: archived && resolved <= due, satisfaction });
    }
    (rows, truth)
}

#[tokio::test]
async fn a_legacy_export_imports_once_and_counts_in_the_evaluation() {
    let t = TestApp::spawn().await;
    let mapping: ImportMapping = toml::from_str(MAPPING).unwrap();
    let header: Vec<String> = HEADER.iter().map(|h| (*h).to_owned()).collect();
    let (mut rows, truth) = dataset();
    // Three rows a real export would have wrong.
    let mut bad_date = rows[0].1.clone();
    bad_date[0] = "20261031999001".into();
    bad_date[1] = "2026年10月31日".into();
    let mut bad_unit = rows[1].1.clone();
    bad_unit[0] = "20261031999002".into();
    bad_unit[8] = "虎门".into();
    let duplicate = rows[2].1.clone();
    rows.extend([(900, bad_date), (901, bad_unit), (902, duplicate)]);

    let mut calls = 0;
    let dry = t.app.orders.import_legacy(None, &mapping, &header, &rows, true, |_, _| calls += 1).await.unwrap();
    assert_eq!((dry.rows, dry.imported, dry.already_stored), (243, 240, 0));
    assert!(calls > 0, "progress is reported");
    let reasons: Vec<(usize, &str)> = dry.rejected.iter().map(|(l, r)| (*l, r.as_str())).collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(reasons[0].0 == 900 && reasons[0].1.starts_with("created_at"), "{reasons:?}");
    assert!(reasons[1].0 == 901 && reasons[1].1.contains("虎门"), "{reasons:?}");
    assert!(reasons[2].0 == 902 && reasons[2].1.contains("twice"), "{reasons:?}");
    assert_eq!(t.app.store.count_orders().await.unwrap(), 0, "a dry run writes nothing");

    let done = t.app.orders.import_legacy(None, &mapping, &header, &rows, false, |_, _| {}).await.unwrap();
    assert_eq!((done.imported, done.rejected.len()), (240, 3));
    let again = t.app.orders.import_legacy(None, &mapping, &header, &rows, false, |_, _| {}).await.unwrap();
    assert_eq!((again.imported, again.already_stored), (0, 240), "a second run adds nothing");
    assert_eq!(t.app.store.count_orders().await.unwrap(), 240);

    // Original numbers and dates are kept.
    let supervisor = t.login("supervisor").await;
    let first = t.get("/api/v1/work-orders/GD20261001000000", &supervisor).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert!(first.body["created_at"].as_str().unwrap().starts_with("2026-10-01T09:00:00"), "{}", first.body);

    // The independent count, unit by unit.
    let mut expected: BTreeMap<&str, [u64; 9]> = BTreeMap::new();
    for r in &truth {
        let e = expected.entry(r.unit).or_default();
        e[0] += 1; // orders
        e[1] += u64::from(!r.signed_late); // signed on time (all were signed)
        e[2] += u64::from(r.on_time); // answered on time (every due date has passed)
        e[3] += u64::from(!r.on_time); // overdue: late or still open
        e[4] += u64::from(r.archived); // answered
        e[5] += u64::from(r.satisfaction.is_some()); // followed up
        e[6] += u64::from(matches!(r.satisfaction, Some("满意") | Some("基本满意"))); // satisfied or basically
        e[7] += u64::from(matches!(r.satisfaction, Some("满意") | Some("基本满意"))); // solved
        e[8] += u64::from(r.satisfaction == Some("不满意"));
    }
    let figures =
        t.get("/api/v1/evaluation/figures?from=2026-10-01T00:00:00%2B08:00&to=2026-11-01T00:00:00%2B08:00&by=unit", &supervisor).await;
    assert_eq!(figures.status, StatusCode::OK, "{}", figures.body);
    for (unit, code) in [("东城", "441900003"), ("南城", "441900004")] {
        let id = t.unit_id(code);
        let row = figures.body.as_array().unwrap().iter().find(|r| r["key"] == id.as_str()).unwrap_or_else(|| panic!("no row for {unit}"));
        let c = &row["counts"];
        let got = [
            c["orders"].as_u64().unwrap(),
            c["signed_on_time"].as_u64().unwrap(),
            c["completed_on_time"].as_u64().unwrap(),
            c["overdue"].as_u64().unwrap(),
            c["resolved"].as_u64().unwrap(),
            c["followed_up"].as_u64().unwrap(),
            c["satisfied"].as_u64().unwrap() + c["basically_satisfied"].as_u64().unwrap(),
            c["solved"].as_u64().unwrap(),
            c["unsatisfied"].as_u64().unwrap(),
        ];
        assert_eq!(got, expected[unit], "{unit}: {c}");
        assert_eq!((c["sign_for_due"].as_u64(), c["completion_due"].as_u64()), (Some(expected[unit][0]), Some(expected[unit][0])));
    }
}

/// Another city's export: numbers nothing like ours, units and categories
/// this city does not have.
const FOREIGN_MAPPING: &str = r#"
source = "sz-2019"
date_formats = ["%Y-%m-%d %H:%M:%S"]

[columns]
number = "工单编号"
created_at = "登记时间"
subject = "标题"
category = "问题分类"
lead_unit = "处理部门"
town = "所属镇街"

[defaults]
unit = "441900003"
category = "城乡建设/城市建设和市政管理/城市公共设施"
"#;

#[tokio::test]
async fn another_systems_numbers_are_kept_as_references_and_ours_are_given() {
    let t = TestApp::spawn().await;
    let consultant = t.login("consultant").await;
    let ours = t.register(&consultant, t.complaint()).await;
    let ours_number = ours["number"].as_str().unwrap().to_owned();

    let mapping: ImportMapping = toml::from_str(FOREIGN_MAPPING).unwrap();
    let header: Vec<String> = ["工单编号", "登记时间", "标题", "问题分类", "处理部门", "所属镇街"].map(String::from).to_vec();
    let row = |number: &str, category: &str, unit: &str, town: &str| -> Vec<String> {
        vec![number.into(), "2019-05-23 10:15:00".into(), "小区门口占道经营".into(), category.into(), unit.into(), town.into()]
    };
    let rows = vec![
        // Digits only, as many systems number: not ours, so renumbered.
        (2, row("440300201905230001", "城乡建设/城市建设和市政管理/城市公共设施", "东城街道", "东城街道")),
        // Letters and dashes, a unit and a category unknown here: defaults.
        (3, row("SZ-2019-0001234", "市容环境/乱摆卖", "深圳市城管局", "东城街道")),
        // Fits our format but is one of our numbers already: renumbered; no
        // category: the default.
        (4, row(&ours_number, "", "", "")),
        // An unknown town is refused: towns are not defaulted.
        (5, row("SZ-2019-0009999", "城乡建设/城市建设和市政管理/城市公共设施", "东城街道", "罗湖区")),
    ];
    let dry = t.app.orders.import_legacy(None, &mapping, &header, &rows, true, |_, _| {}).await.unwrap();
    assert_eq!((dry.imported, dry.renumbered, dry.defaulted), (3, 3, 2), "{dry:?}");
    assert_eq!(dry.rejected.len(), 1, "{dry:?}");
    assert!(dry.rejected[0].0 == 5 && dry.rejected[0].1.contains("罗湖区"), "{dry:?}");
    assert_eq!(t.count_orders().await, 1, "a dry run writes nothing");

    let done = t.app.orders.import_legacy(None, &mapping, &header, &rows, false, |_, _| {}).await.unwrap();
    assert_eq!((done.imported, done.renumbered, done.already_stored), (3, 3, 0), "{done:?}");
    let again = t.app.orders.import_legacy(None, &mapping, &header, &rows, false, |_, _| {}).await.unwrap();
    assert_eq!((again.imported, again.already_stored), (0, 3), "the legacy numbers are unique per source: {again:?}");
    assert_eq!(t.count_orders().await, 4);

    // Found by its legacy number, shown with it, numbered as ours on its own day.
    let supervisor = t.login("supervisor").await;
    let found = t.get("/api/v1/work-orders?q=SZ-2019-0001234", &supervisor).await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    let items = found.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", found.body);
    let number = items[0]["number"].as_str().unwrap();
    assert!(number.starts_with("DG20190523"), "{number}");
    let detail = t.get(&format!("/api/v1/work-orders/{number}"), &supervisor).await;
    assert_eq!(detail.body["external_ref"], serde_json::json!({"source": "sz-2019", "number": "SZ-2019-0001234"}), "{}", detail.body);
    assert_eq!(detail.body["lead_unit"]["code"], "441900003", "the mapping's default unit: {}", detail.body);
    assert_eq!(detail.body["category"]["path"][2], "城市公共设施", "the mapping's default category: {}", detail.body);

    // The default unit finds it by part of the legacy number; another unit does not.
    let dongcheng = t.login("dongcheng").await;
    let theirs = t.get("/api/v1/work-orders?q=SZ-2019", &dongcheng).await;
    assert_eq!(theirs.body["items"].as_array().unwrap().len(), 1, "{}", theirs.body);
    assert_eq!(theirs.body["items"][0]["number"], number);
    let nancheng = t.login("nancheng").await;
    let other = t.get("/api/v1/work-orders?q=SZ-2019", &nancheng).await;
    assert_eq!(other.body["items"].as_array().unwrap().len(), 0, "{}", other.body);

    // Our own order keeps its number; the row that claimed it got another.
    let kept = t.get(&format!("/api/v1/work-orders/{ours_number}"), &supervisor).await;
    assert_eq!(kept.body["subject"], ours["subject"], "{}", kept.body);
    assert_eq!(kept.body["external_ref"], serde_json::Value::Null);
}

#[tokio::test]
async fn a_mapping_with_an_unknown_default_is_refused_before_any_row() {
    let t = TestApp::spawn().await;
    let text = FOREIGN_MAPPING.replace("unit = \"441900003\"", "unit = \"999999999\"");
    let mapping: ImportMapping = toml::from_str(&text).unwrap();
    let header: Vec<String> = ["工单编号", "登记时间", "标题", "问题分类"].map(String::from).to_vec();
    let err = t.app.orders.import_legacy(None, &mapping, &header, &[], true, |_, _| {}).await.unwrap_err();
    assert!(err.to_string().contains("defaults.unit") && err.to_string().contains("999999999"), "{err}");
    let bad_source: ImportMapping = toml::from_str(&FOREIGN_MAPPING.replace("sz-2019", "Shenzhen 2019")).unwrap();
    let err = t.app.orders.import_legacy(None, &bad_source, &header, &[], true, |_, _| {}).await.unwrap_err();
    assert!(err.to_string().contains("source"), "{err}");
}
