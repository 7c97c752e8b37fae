//! The closed vocabularies of a work order, each with its wire name (English,
//! snake_case) and its Chinese label for screens and exports.

use crate::vocabulary::vocabulary;

vocabulary!(
    /// How the request reached the centre.
    Channel, "channel" {
        Phone = "phone", "电话";
        Web = "web", "网站";
        Api = "api", "接口";
        WeChat = "wechat", "微信";
        Sms = "sms", "短信";
        Email = "email", "邮件";
        WalkIn = "walk_in", "来访";
    }
);

vocabulary!(
    /// What the citizen asks for (诉求类型), after GB/T 39666-2020.
    OrderType, "order type" {
        /// 咨询
        Consultation = "consultation", "咨询";
        /// 求助
        Help = "help", "求助";
        /// 投诉
        Complaint = "complaint", "投诉";
        /// 举报: the reporter's identity is never shown to any unit.
        Report = "report", "举报";
        /// 建议
        Suggestion = "suggestion", "建议";
        /// 表扬
        Praise = "praise", "表扬";
        /// 其他
        Other = "other", "其他";
    }
);

vocabulary!(
    /// How fast the matter must be handled.
    Urgency, "urgency" {
        /// 一般
        Normal = "normal", "一般";
        /// 紧急
        Urgent = "urgent", "紧急";
        /// 特急
        Critical = "critical", "特急";
    }
);

vocabulary!(
    /// Where a work order stands in its lifecycle.
    State, "state" {
        /// 待派单: registered, waiting for the dispatcher.
        PendingDispatch = "pending_dispatch", "待派单";
        /// 已派单: sent to the lead unit, waiting to be signed for.
        Dispatched = "dispatched", "待签收";
        /// 办理中: signed for and being handled.
        InProgress = "in_progress", "办理中";
        /// 退单待审: the unit gave it back; the centre decides.
        Returned = "returned", "退单待审";
        /// 待审核: the unit reported its result; the centre reviews it.
        PendingReview = "pending_review", "待审核";
        /// 待回访: review passed; the citizen is to be called back.
        PendingFollowUp = "pending_follow_up", "待回访";
        /// 已归档: finished.
        Archived = "archived", "已归档";
        /// 无效: prank, silent or test call.
        Invalid = "invalid", "无效";
        /// 已并单: a duplicate, following its master order.
        Merged = "merged", "已并单";
    }
);

impl State {
    /// Finished for good: nothing but reading happens any more.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Archived | Self::Invalid | Self::Merged)
    }

    pub fn is_open(self) -> bool {
        !self.is_terminal()
    }

    /// An order that does not count: a prank or silent call, or a duplicate
    /// merged into its master. Left out of figures, surges and reports.
    pub fn is_void(self) -> bool {
        matches!(self, Self::Invalid | Self::Merged)
    }
}

vocabulary!(
    /// The citizen's verdict at the follow-up call (回访).
    Satisfaction, "satisfaction" {
        Satisfied = "satisfied", "满意";
        BasicallySatisfied = "basically_satisfied", "基本满意";
        Unsatisfied = "unsatisfied", "不满意";
    }
);

vocabulary!(
    /// Why an order was declared invalid (无效).
    InvalidKind, "invalid reason" {
        Prank = "prank", "骚扰电话";
        Silent = "silent", "无声电话";
        Test = "test", "测试";
        OutOfScope = "out_of_scope", "不属受理范围";
        Other = "other", "其他";
    }
);

vocabulary!(
    /// What a progress note records.
    ProgressKind, "progress kind" {
        /// Contact with the citizen (联系市民).
        Contact = "contact", "联系市民";
        /// A site visit (现场处理).
        SiteVisit = "site_visit", "现场处理";
        /// A co-handling unit's contribution (协办意见).
        CoHandlingOpinion = "co_handling_opinion", "协办意见";
        /// Information added by the centre, e.g. the citizen called again (补充说明).
        CentreNote = "centre_note", "补充说明";
        /// Anything else.
        Note = "note", "办理进展";
    }
);
