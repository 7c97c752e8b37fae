//! The words of an alert, the same in an e-mail and a webhook body.

use chrono::{DateTime, FixedOffset, Utc};
use hotline_app::supervision::AlertRecord;
use hotline_domain::watch::Watched;

fn beijing(at: DateTime<Utc>) -> DateTime<FixedOffset> {
    at.with_timezone(&FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset"))
}

/// E.g. `【12345 红色超期】工单 DG20261128000123 办结时限`; an emergency
/// alert says what happened and by when to acknowledge, since a partner
/// acts on the subject line alone:
/// `【12345 应急联动】工单 DG20261128000124：小区燃气泄漏，请于 10:25 前签收`.
pub fn subject(alert: &AlertRecord) -> String {
    let number = alert.number.as_ref().map(|n| n.as_str().to_owned()).unwrap_or_else(|| alert.order.0.to_string());
    let what = alert.order_subject.as_deref().map(|s| format!("：{s}")).unwrap_or_default();
    match alert.watched {
        Watched::Emergency => {
            format!("【12345 应急联动】工单 {number}{what}，请于 {} 前签收", beijing(alert.due).format("%H:%M"))
        }
        Watched::Surge => format!("【12345 突发预警】工单 {number}{what}"),
        _ => format!("【12345 {}】工单 {number} {}时限{what}", alert.level.label_zh(), alert.watched.label_zh()),
    }
}

/// The body: what it is about, what is due, when, and what to do.
pub fn text(alert: &AlertRecord) -> String {
    let due = beijing(alert.due).format("%Y-%m-%d %H:%M");
    let what = alert.order_subject.as_deref().map(|s| format!("事项：{s}\n")).unwrap_or_default();
    let (due_label, todo) = match alert.watched {
        Watched::Emergency => ("签收时限", "请立即登录 12345 热线平台签收并处置；逾期未签收将升级通报。"),
        Watched::Surge => ("时限", "短时间内同类诉求集中出现，请登录 12345 热线平台研判处置。"),
        _ => ("时限", "请登录 12345 热线平台处理该工单。"),
    };
    format!("{}\n\n{what}{due_label}：{due}（北京时间）\n级别：{}\n{todo}\n", subject(alert), alert.level.label_zh())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use hotline_domain::watch::AlertLevel;
    use hotline_domain::{OrderId, UnitId, WorkOrderNo};

    fn alert(watched: Watched, order_subject: Option<&str>) -> AlertRecord {
        AlertRecord {
            id: 1,
            order: OrderId(9),
            number: Some(WorkOrderNo::parse("DG20261128000124").unwrap()),
            order_subject: order_subject.map(str::to_owned),
            watched,
            subject: 0,
            level: AlertLevel::Red,
            due: Utc.with_ymd_and_hms(2026, 11, 28, 2, 25, 0).unwrap(),
            unit: Some(UnitId(3)),
            raised_at: Utc.with_ymd_and_hms(2026, 11, 28, 2, 15, 0).unwrap(),
            read_at: None,
            read_by: None,
            orders: 1,
        }
    }

    #[test]
    fn an_emergency_alert_says_what_happened_and_by_when_to_acknowledge() {
        let a = alert(Watched::Emergency, Some("小区燃气泄漏"));
        assert_eq!(subject(&a), "【12345 应急联动】工单 DG20261128000124：小区燃气泄漏，请于 10:25 前签收");
        let body = text(&a);
        assert!(body.contains("事项：小区燃气泄漏\n签收时限：2026-11-28 10:25（北京时间）"), "{body}");
        assert!(body.contains("逾期未签收将升级"), "{body}");
    }

    #[test]
    fn a_deadline_alert_names_the_deadline_and_the_matter_when_known() {
        assert_eq!(subject(&alert(Watched::Completion, None)), "【12345 红色超期】工单 DG20261128000124 办结时限");
        assert_eq!(subject(&alert(Watched::Completion, Some("路灯不亮"))), "【12345 红色超期】工单 DG20261128000124 办结时限：路灯不亮");
        assert!(text(&alert(Watched::SignFor, None)).contains("时限：2026-11-28 10:25（北京时间）\n级别：红色超期\n请登录"));
    }
}
