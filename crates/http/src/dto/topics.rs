//! Hot topics (热点诉求) for the centre and, in public wording, the portal.

use super::UnitRef;
use chrono::{DateTime, FixedOffset};
use hotline_app::topics::{PublicTopic, TopicWindow};
use hotline_domain::CategoryId;
use hotline_domain::topics::Trend;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct KeywordDto {
    pub word: String,
    /// Orders of the topic using it (this window and the one before).
    pub orders: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TownCountDto {
    #[serde(flatten)]
    pub town: UnitRef,
    pub orders: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryCountDto {
    #[schema(value_type = String)]
    pub id: CategoryId,
    /// Names from level 1 down.
    pub path: Vec<String>,
    pub orders: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TopicMemberDto {
    pub number: String,
    pub subject: String,
    pub created_at: DateTime<FixedOffset>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TopicDto {
    /// The topic's first order's id: names the topic while it lasts.
    pub id: String,
    /// Its orders in the window.
    pub orders: usize,
    /// Its orders in the window before, as long.
    pub before: usize,
    /// `new`, `rising`, `steady` or `falling`.
    #[schema(value_type = String)]
    pub trend: Trend,
    pub keywords: Vec<KeywordDto>,
    pub towns: Vec<TownCountDto>,
    pub categories: Vec<CategoryCountDto>,
    /// Orders per twelfth of the window, oldest first.
    pub series: Vec<u32>,
    pub first_at: DateTime<FixedOffset>,
    pub last_at: DateTime<FixedOffset>,
    /// Its newest orders (20 at most).
    pub members: Vec<TopicMemberDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TopicsDto {
    /// `hours`, `day` or `week`.
    #[schema(value_type = String)]
    pub window: TopicWindow,
    pub topics: Vec<TopicDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicTopicDto {
    /// The kind of matter.
    pub title: String,
    /// Words at least three callers used (no numbers).
    pub keywords: Vec<String>,
    pub towns: Vec<String>,
    pub orders: usize,
    /// `new`, `rising`, `steady` or `falling`.
    #[schema(value_type = String)]
    pub trend: Trend,
    pub series: Vec<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicTopicsDto {
    #[schema(value_type = String)]
    pub window: TopicWindow,
    pub topics: Vec<PublicTopicDto>,
}

impl From<PublicTopic> for PublicTopicDto {
    fn from(t: PublicTopic) -> Self {
        Self { title: t.title, keywords: t.keywords, towns: t.towns, orders: t.orders, trend: t.trend, series: t.series }
    }
}
