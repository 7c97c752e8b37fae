//! The words of an alert, the same in an e-mail and a webhook body.

use hotline_app::supervision::AlertRecord;

/// E.g. `【12345 红色超期】工单 DG20261128000123 办结时限已到`.
pub fn subject(alert: &AlertRecord) -> String {
    let number = alert.number.as_ref().map(|n| n.as_str().to_owned()).unwrap_or_else(|| alert.order.0.to_string());
    format!("【12345 {}】工单 {number} {}时限", alert.level.label_zh(), alert.watched.label_zh())
}

/// The body: what is due, when, and what to do.
pub fn text(alert: &AlertRecord) -> String {
    let due = alert.due.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset"));
    format!(
        "{}\n\n时限：{}（北京时间）\n级别：{}\n请登录 12345 热线平台处理该工单。\n",
        subject(alert),
        due.format("%Y-%m-%d %H:%M"),
        alert.level.label_zh()
    )
}
