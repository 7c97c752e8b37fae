//! Hot questions (热点问题): what citizens ask about most, over a sliding
//! window, from two signals: searches that found or opened an article, and
//! work orders a consultant linked to it. An order weighs more than a
//! search: it is a citizen who called about the matter.

use super::articles::KnowledgeBase;
use crate::error::AppResult;
use crate::ports::QueryDemand;
use chrono::Duration;
use hotline_domain::ArticleId;
use hotline_domain::knowledge::Visibility;
use serde::Serialize;

/// What one linked work order counts for, in searches.
pub const ORDER_WEIGHT: i64 = 5;

#[derive(Debug, Clone, Serialize)]
pub struct HotTopic {
    pub article: ArticleId,
    /// The question.
    pub title: String,
    /// Its published answer.
    pub answer: String,
    pub department: Option<String>,
    pub category_path: Option<String>,
    pub searches: i64,
    pub orders: i64,
    /// searches + ORDER_WEIGHT × orders.
    pub score: i64,
}

impl KnowledgeBase {
    /// The most wanted live articles of the last `days` days; with
    /// `public_only`, only public articles in force (the portal's feed).
    pub async fn hot_topics(&self, public_only: bool, days: u32, limit: usize) -> AppResult<Vec<HotTopic>> {
        let since = self.now() - Duration::days(i64::from(days.clamp(1, 366)));
        // Ask for more than needed: some will be internal, retired or expired.
        let demand = self.store.article_demand(since, (limit * 4).clamp(10, 400) as u32).await?;
        let org = self.directory.snapshot();
        let today = self.today();
        let mut topics = Vec::new();
        for d in demand {
            let Some(record) = self.store.article(d.article).await? else { continue };
            let Some(live) = self.live_content(&record).await? else { continue };
            if !live.in_force(today) || (public_only && live.visibility != Visibility::Public) {
                continue;
            }
            topics.push(HotTopic {
                article: d.article,
                title: live.title.to_string(),
                answer: live.answer().to_owned(),
                department: live.owner.map(|u| org.unit_name(u)),
                category_path: live.category.map(|c| org.category_path(c).display()),
                searches: d.searches,
                orders: d.orders,
                score: d.searches + ORDER_WEIGHT * d.orders,
            });
        }
        topics.sort_by(|a, b| b.score.cmp(&a.score).then(a.title.cmp(&b.title)));
        topics.truncate(limit);
        Ok(topics)
    }

    /// The most frequent searches of the last `days` days, grouped by the
    /// words they were read as.
    pub async fn hot_queries(&self, days: u32, limit: usize) -> AppResult<Vec<QueryDemand>> {
        let since = self.now() - Duration::days(i64::from(days.clamp(1, 366)));
        Ok(self.store.query_demand(since, limit.clamp(1, 100) as u32).await?)
    }
}
