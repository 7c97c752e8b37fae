//! Export of work orders with filters (工单导出): the rows the caller may
//! see, with the caller's identity as that caller may see it (masked or
//! withheld outside the centre). A centre export with personal data is
//! audited like a read of one order.

use crate::access::Desk;
use crate::error::{AppError, AppResult};
use crate::orders::WorkOrders;
use crate::ports::{OrderFilter, PageRequest};
use hotline_domain::Viewer;
use serde_json::json;

/// Orders one export holds at most.
pub const MAX_EXPORT: usize = 20_000;

pub const EXPORT_HEADER: [&str; 17] = [
    "工单编号",
    "登记时间",
    "渠道",
    "类型",
    "诉求分类",
    "紧急程度",
    "状态",
    "镇街",
    "地址",
    "标题",
    "内容",
    "来电人",
    "联系电话",
    "主办单位",
    "办结时限",
    "办结时间",
    "满意度",
];

impl WorkOrders {
    /// The export's rows, newest first, in the order of [`EXPORT_HEADER`].
    pub async fn export(&self, desk: &Desk, filter: &OrderFilter) -> AppResult<Vec<Vec<String>>> {
        let org = self.directory.snapshot();
        let zone = self.calendar.snapshot().time_zone();
        let time = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string();
        let mut rows = Vec::new();
        let mut page = PageRequest { before: None, limit: crate::orders::MAX_PAGE };
        loop {
            let summaries = self.store.list_orders(desk.scope(), filter, page).await?;
            for s in &summaries {
                if rows.len() == MAX_EXPORT {
                    return Err(AppError::invalid(
                        "filter",
                        format!("more than {MAX_EXPORT} orders match: narrow the filter, e.g. by date"),
                    ));
                }
                let Some(o) = self.store.order(s.id).await? else { continue };
                let caller = o.caller.view(o.order_type, desk.viewer());
                let withheld = if caller.identity_withheld { "（保密）".to_owned() } else { String::new() };
                rows.push(vec![
                    o.number.to_string(),
                    time(o.created_at),
                    o.channel.label_zh().to_owned(),
                    o.order_type.label_zh().to_owned(),
                    org.category_path(o.category).names.join("/"),
                    o.urgency.label_zh().to_owned(),
                    o.state.label_zh().to_owned(),
                    o.location.town.map(|t| org.unit_name(t)).unwrap_or_default(),
                    o.location.address.as_ref().map(ToString::to_string).unwrap_or_default(),
                    o.subject.to_string(),
                    o.description.to_string(),
                    caller.name.unwrap_or_else(|| withheld.clone()),
                    caller.phone.unwrap_or(withheld),
                    o.lead_unit.map(|u| org.unit_name(u)).unwrap_or_default(),
                    time(o.deadlines.completion),
                    o.resolved_at.map(time).unwrap_or_default(),
                    o.follow_up.as_ref().and_then(|f| f.satisfaction).map(|s| s.label_zh().to_owned()).unwrap_or_default(),
                ]);
            }
            match summaries.last() {
                Some(last) if summaries.len() == page.limit as usize => page.before = Some(last.id),
                _ => break,
            }
        }
        if desk.viewer() == Viewer::Centre {
            self.auditor.append(Some(desk.user()), "work_order.export", "work_orders", json!({ "orders": rows.len() })).await?;
        }
        Ok(rows)
    }
}
