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
