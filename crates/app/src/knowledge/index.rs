//! What the application needs from a full-text index (implemented with
//! jieba and tantivy in `hotline-search`). The database is the source of
//! truth; an index only follows it, and remembers how far it has followed
//! with a [`ChangeCursor`] committed together with its documents.

use crate::ports::{ArticleChange, ChangeCursor, OrderChange, SearchVocabulary};
use chrono::{DateTime, NaiveDate, Utc};
use hotline_domain::knowledge::{ArticleContent, Visibility};
use hotline_domain::{ArticleId, CategoryId, OrderId, State, UnitId, WorkOrderNo};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The index cannot be read or written (disk full, corrupt files…).
    #[error("search index: {0}")]
    Index(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IndexKind {
    Articles,
    Orders,
}

/// A live article with its category and the category's ancestors, so a
/// filter on a first-level category finds articles filed below it.
#[derive(Debug, Clone)]
pub struct ArticleDoc {
    pub id: ArticleId,
    pub content: ArticleContent,
    pub category_path: Vec<CategoryId>,
    /// The words callers used in the orders it answered, with how many
    /// different callers used each (`knowledge::evidence`).
    pub asked: Vec<(String, usize)>,
}

#[derive(Debug, Clone)]
pub struct OrderDoc {
    pub order: OrderChange,
    pub category_path: Vec<CategoryId>,
}

#[derive(Debug, Clone)]
pub struct ArticleQuery {
    pub text: String,
    /// Articles owned by this unit.
    pub department: Option<UnitId>,
    /// Articles filed under this category or below it.
    pub category: Option<CategoryId>,
    /// Articles for the whole city or for this town.
    pub town: Option<UnitId>,
    /// Only articles of this visibility; the portal asks for public ones.
    pub visibility: Option<Visibility>,
    /// Articles in force on this day only.
    pub today: NaiveDate,
    pub limit: usize,
    /// Hits matching a smaller share of the query's words (0 to 1) are
    /// left out. The portal asks for half, so a search that finds nothing
    /// relevant says so instead of listing articles that share one common
    /// word (政策, 办理) with the question.
    pub min_coverage: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArticleHit {
    pub id: ArticleId,
    pub title: String,
    /// Text around the matched words, HTML-escaped, matches in `<em>`.
    pub snippet: String,
    pub score: f32,
    pub owner: Option<UnitId>,
    pub category: Option<CategoryId>,
    /// What the consultant reads out.
    pub answer: String,
    pub visibility: Visibility,
}

#[derive(Debug, Clone)]
pub struct OrderQuery {
    pub text: String,
    /// Orders these units hold or held; `None`: every order (the centre).
    pub units: Option<Vec<UnitId>>,
    pub category: Option<CategoryId>,
    pub town: Option<UnitId>,
    pub limit: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderHit {
    pub id: OrderId,
    pub number: WorkOrderNo,
    pub subject: String,
    pub snippet: String,
    pub public_reply: Option<String>,
    pub score: f32,
    pub state: State,
    pub category: CategoryId,
    pub town: Option<UnitId>,
    pub created_at: DateTime<Utc>,
}

/// Orders to compare a request with: those registered since `since` whose
/// words are most alike, for duplicates and repeats (`suggestions.rs`).
#[derive(Debug, Clone)]
pub struct SimilarQuery {
    pub text: String,
    pub since: DateTime<Utc>,
    /// The order being looked at, left out of its own list.
    pub exclude: Option<OrderId>,
    pub limit: usize,
}

/// An order whose words are alike to a request's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimilarHit {
    pub id: OrderId,
    pub number: WorkOrderNo,
    pub subject: String,
    pub state: State,
    pub category: CategoryId,
    pub town: Option<UnitId>,
    pub created_at: DateTime<Utc>,
    /// How alike the words are, 0 to 1: the cosine of the two texts' word
    /// sets, each word weighed by how rare it is.
    pub likeness: f32,
    /// The rarest words both use, most telling first: why they match.
    pub shared: Vec<String>,
}

/// A full-text index of articles and work orders. Calls block (the index is
/// on local disk or in memory); the application runs writes off the async
/// threads.
pub trait SearchEngine: Send + Sync {
    /// How far the index has followed the database; `None` when empty or
    /// built by an older schema (then it must be rebuilt from the start).
    fn watermark(&self, kind: IndexKind) -> Option<ChangeCursor>;
    /// Adds or replaces the articles, drops `removed`, and commits with the
    /// new watermark, all or nothing.
    fn index_articles(&self, docs: &[ArticleDoc], removed: &[ArticleId], cursor: ChangeCursor) -> Result<(), SearchError>;
    fn index_orders(&self, docs: &[OrderDoc], cursor: ChangeCursor) -> Result<(), SearchError>;
    /// Empties an index, to rebuild it.
    fn clear(&self, kind: IndexKind) -> Result<(), SearchError>;
    fn documents(&self, kind: IndexKind) -> u64;
    fn search_articles(&self, query: &ArticleQuery) -> Result<Vec<ArticleHit>, SearchError>;
    /// Titles for what is being typed.
    fn suggest(&self, query: &ArticleQuery) -> Result<Vec<String>, SearchError>;
    fn search_orders(&self, query: &OrderQuery) -> Result<Vec<OrderHit>, SearchError>;
    /// The orders most alike to a request, most alike first; void ones
    /// (merged, invalid) left out.
    fn similar_orders(&self, query: &SimilarQuery) -> Result<Vec<SimilarHit>, SearchError>;
    /// Replaces the custom dictionary and synonym sets; applies to queries
    /// at once and to documents indexed from now on.
    fn set_vocabulary(&self, vocabulary: &SearchVocabulary);
    /// The words a text is searched by, stop words dropped: how the engine
    /// reads a query (also used to file searches under one topic).
    fn analyze(&self, text: &str) -> Vec<String>;
    /// How common words are in ordinary times (for hot topics): documents
    /// of the engine's background (the indexed orders and whatever corpus
    /// the engine ships) and how many of them use each word.
    fn word_documents(&self, words: &[String]) -> Result<(u64, Vec<u64>), SearchError>;
}

/// Articles changed, split into what to index and what to drop.
pub(crate) fn split_changes(
    changes: Vec<ArticleChange>,
    category_path: impl Fn(CategoryId) -> Vec<CategoryId>,
) -> (Vec<ArticleDoc>, Vec<ArticleId>) {
    let mut docs = Vec::new();
    let mut removed = Vec::new();
    for change in changes {
        match change.live {
            Some(content) => {
                let category_path = content.category.map(&category_path).unwrap_or_default();
                docs.push(ArticleDoc { id: change.id, content, category_path, asked: Vec::new() });
            }
            None => removed.push(change.id),
        }
    }
    (docs, removed)
}

/// The engine of command-line tools that change data while the server may
/// hold the index (`hotline kb import`, `hotline user add` …): it indexes
/// nothing and finds nothing. The server's follower picks their changes up
/// from the database by its watermark.
pub struct Detached;

impl SearchEngine for Detached {
    fn watermark(&self, _: IndexKind) -> Option<ChangeCursor> {
        // Claim to be current, so nothing is read back for indexing.
        Some(ChangeCursor { updated_at: DateTime::<Utc>::MAX_UTC, id: i64::MAX })
    }
    fn index_articles(&self, _: &[ArticleDoc], _: &[ArticleId], _: ChangeCursor) -> Result<(), SearchError> {
        Ok(())
    }
    fn index_orders(&self, _: &[OrderDoc], _: ChangeCursor) -> Result<(), SearchError> {
        Ok(())
    }
    fn clear(&self, _: IndexKind) -> Result<(), SearchError> {
        Err(SearchError::Index("this command does not open the search index".into()))
    }
    fn documents(&self, _: IndexKind) -> u64 {
        0
    }
    fn search_articles(&self, _: &ArticleQuery) -> Result<Vec<ArticleHit>, SearchError> {
        Err(SearchError::Index("this command does not open the search index".into()))
    }
    fn suggest(&self, _: &ArticleQuery) -> Result<Vec<String>, SearchError> {
        Err(SearchError::Index("this command does not open the search index".into()))
    }
    fn search_orders(&self, _: &OrderQuery) -> Result<Vec<OrderHit>, SearchError> {
        Err(SearchError::Index("this command does not open the search index".into()))
    }
    fn similar_orders(&self, _: &SimilarQuery) -> Result<Vec<SimilarHit>, SearchError> {
        Err(SearchError::Index("this command does not open the search index".into()))
    }
    fn set_vocabulary(&self, _: &SearchVocabulary) {}
    fn analyze(&self, text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }
    fn word_documents(&self, _: &[String]) -> Result<(u64, Vec<u64>), SearchError> {
        Err(SearchError::Index("this command does not open the search index".into()))
    }
}
