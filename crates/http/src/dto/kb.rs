//! Bodies and query strings of the knowledge-base endpoints.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// What the caller said, in their words.
    pub q: Option<String>,
    /// Owner unit id.
    pub department: Option<String>,
    /// Category id; matches it and everything below it.
    pub category: Option<String>,
    /// A town's official code: articles for the whole city or that town.
    pub town: Option<String>,
    /// `internal` or `public` (staff search only; the portal is always public).
    pub visibility: Option<String>,
    /// At most 50; default 10.
    pub limit: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleHitDto {
    pub id: String,
    pub title: String,
    /// HTML-escaped text around the matches, which are wrapped in `<em>`.
    pub snippet: String,
    pub score: f32,
    /// The owner's name; null for the centre's own articles.
    pub department: Option<String>,
    pub department_id: Option<String>,
    /// The category path, e.g. 劳动和社会保障/城镇职工社会保险.
    pub category: Option<String>,
    pub category_id: Option<String>,
    /// The answer script read out on the phone.
    pub answer: String,
    /// `internal` or `public`.
    pub visibility: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResults<T: ToSchema> {
    pub results: Vec<T>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Suggestions {
    pub suggestions: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderHitDto {
    pub id: String,
    pub number: String,
    pub subject: String,
    pub snippet: String,
    /// The reply published for it, without personal data.
    pub public_reply: Option<String>,
    pub score: f32,
    pub state: String,
    pub category_id: String,
    pub category: String,
    pub town: Option<String>,
    pub created_at: String,
}

/// An article as written: the same body creates and edits.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleBodyDto {
    pub title: String,
    /// Markdown.
    pub body: String,
    pub script: Option<String>,
    /// Owner unit id; omitted: the centre (or, for a unit's staff, their unit).
    pub owner_id: Option<String>,
    pub category_id: Option<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Town unit ids; empty: the whole city.
    #[serde(default)]
    pub town_ids: Vec<String>,
    /// Policy document name and number.
    pub source: Option<String>,
    /// YYYY-MM-DD.
    pub effective_from: Option<String>,
    /// YYYY-MM-DD, the last day it applies.
    pub expires_on: Option<String>,
    /// `internal` (default) or `public`.
    pub visibility: Option<String>,
    /// For edits: the revision read, to refuse a lost update.
    pub revision: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleActionDto {
    /// `submit`, `approve`, `reject` or `retire`.
    pub action: String,
    pub revision: i64,
    /// `approve` only: publish at this time (RFC 3339) instead of now.
    pub publish_at: Option<String>,
    /// `reject` only: why.
    pub reason: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArticleListQuery {
    pub status: Option<String>,
    /// `true`: only articles whose live version has expired.
    pub expired: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiffQuery {
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HotQuery {
    /// The window in days (default 7).
    pub days: Option<String>,
    pub limit: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    pub article_id: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TermBody {
    pub term: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SynonymBody {
    pub words: Vec<String>,
}

/// A live article much asked for, with its published answer (热点问题).
#[derive(Debug, Serialize, ToSchema)]
pub struct HotTopicDto {
    #[schema(value_type = String)]
    pub article: hotline_domain::ArticleId,
    /// The question.
    pub title: String,
    /// Its published answer.
    pub answer: String,
    pub department: Option<String>,
    pub category_path: Option<String>,
    pub searches: i64,
    pub orders: i64,
    /// searches plus a weight times the orders it answered.
    pub score: i64,
}

impl From<hotline_app::knowledge::hot::HotTopic> for HotTopicDto {
    fn from(t: hotline_app::knowledge::hot::HotTopic) -> Self {
        Self {
            article: t.article,
            title: t.title,
            answer: t.answer,
            department: t.department,
            category_path: t.category_path,
            searches: t.searches,
            orders: t.orders,
            score: t.score,
        }
    }
}

/// A frequent search and one way it was typed.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueryDemandDto {
    pub topic: String,
    pub query: String,
    pub searches: i64,
}

/// The portal's hot topics of the last `days` days.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicHotDto {
    pub days: u32,
    pub topics: Vec<HotTopicDto>,
}

/// Hot topics with the most frequent searches, for staff.
#[derive(Debug, Serialize, ToSchema)]
pub struct HotDto {
    pub days: u32,
    pub topics: Vec<HotTopicDto>,
    pub queries: Vec<QueryDemandDto>,
}

/// Words that mean the same to the search (同义词).
#[derive(Debug, Serialize, ToSchema)]
pub struct SynonymSetDto {
    pub id: String,
    pub words: Vec<String>,
}

impl From<hotline_app::ports::SynonymSet> for SynonymSetDto {
    fn from(s: hotline_app::ports::SynonymSet) -> Self {
        Self { id: s.id.to_string(), words: s.words }
    }
}

/// The custom dictionary (kept whole by the segmenter) and the synonym sets.
#[derive(Debug, Serialize, ToSchema)]
pub struct VocabularyDto {
    pub terms: Vec<String>,
    pub synonyms: Vec<SynonymSetDto>,
}

/// How many synonym proposals to list.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct ProposalQuery {
    /// 1 to 200; 50 when not given.
    pub limit: Option<String>,
}

/// An article a proposal was learned from.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProposalArticleDto {
    pub id: String,
    pub title: String,
}

/// A word callers used for articles that never use it, and the articles'
/// word it likely means (建议同义词): accepted by adding the two as a
/// synonym set, turned down by dismissing it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SynonymProposalDto {
    /// What callers said.
    pub word: String,
    /// The articles' word proposed as its synonym.
    pub partner: String,
    /// The articles' other naming words, to pair with instead.
    pub alternatives: Vec<String>,
    /// Different callers who said it in orders these articles answered.
    pub callers: usize,
    pub articles: Vec<ProposalArticleDto>,
}

impl From<hotline_domain::knowledge::evidence::SynonymProposal> for SynonymProposalDto {
    fn from(p: hotline_domain::knowledge::evidence::SynonymProposal) -> Self {
        Self {
            word: p.word,
            partner: p.partner,
            alternatives: p.alternatives,
            callers: p.callers,
            articles: p.articles.into_iter().map(|(id, title)| ProposalArticleDto { id: id.to_string(), title }).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProposalsDto {
    pub proposals: Vec<SynonymProposalDto>,
}

/// A proposal turned down.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DismissalBody {
    pub word: String,
    pub partner: String,
}

/// A word added to the dictionary.
#[derive(Debug, Serialize, ToSchema)]
pub struct TermDto {
    pub term: String,
}

/// An article as the portal shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicArticleDto {
    pub id: String,
    pub title: String,
    /// Markdown.
    pub body: String,
    /// The short answer read out on the phone, or the body's opening.
    pub answer: String,
    pub department: Option<String>,
    pub category: Option<String>,
    /// The policy it rests on.
    pub source: Option<String>,
    pub effective_from: Option<chrono::NaiveDate>,
    pub expires_on: Option<chrono::NaiveDate>,
}
