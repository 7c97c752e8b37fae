//! Chinese full-text search for the hotline, behind the application's
//! [`SearchEngine`] port: jieba segments the text (`analyzer.rs`), tantivy
//! keeps one index of live articles and one of work orders beside the
//! database (`articles.rs`, `orders.rs`), and queries are built word by
//! word so that the document matching most of the caller's words ranks
//! first (`query.rs`); orders alike to a request are compared word by
//! word, rare words weighing most (`similar.rs`).

mod analyzer;
mod articles;
mod background;
mod fields;
mod handle;
mod orders;
mod query;
mod similar;
mod snippet;
mod stopwords;
mod tokenizer;

pub use analyzer::{Analyzer, fold};

use hotline_app::knowledge::index::{
    ArticleDoc, ArticleHit, ArticleQuery, IndexKind, OrderDoc, OrderHit, OrderQuery, SearchEngine, SearchError, SimilarHit, SimilarQuery,
};
use hotline_app::ports::{ChangeCursor, SearchVocabulary};
use hotline_domain::ArticleId;
use std::path::Path;
use std::sync::Arc;

/// Both indexes, sharing one analyzer.
pub struct TantivySearch {
    analyzer: Arc<Analyzer>,
    articles: articles::ArticleIndex,
    orders: orders::OrderIndex,
    /// Built at the first hot-topic question (a few hundred milliseconds).
    corpus: std::sync::OnceLock<background::Corpus>,
}

impl TantivySearch {
    /// Opens (or creates) the indexes under `dir` (`articles/`, `orders/`).
    pub fn open(dir: &Path) -> Result<Self, SearchError> {
        Self::build(Some(dir))
    }

    /// Indexes held in memory, for tests and benchmarks.
    pub fn in_memory() -> Result<Self, SearchError> {
        Self::build(None)
    }

    fn build(dir: Option<&Path>) -> Result<Self, SearchError> {
        let analyzer = Arc::new(Analyzer::new());
        let articles = articles::ArticleIndex::open(dir.map(|d| d.join("articles")).as_deref(), analyzer.clone())?;
        let orders = orders::OrderIndex::open(dir.map(|d| d.join("orders")).as_deref(), analyzer.clone())?;
        Ok(Self { analyzer, articles, orders, corpus: std::sync::OnceLock::new() })
    }

    fn handle(&self, kind: IndexKind) -> &handle::Handle {
        match kind {
            IndexKind::Articles => self.articles.handle(),
            IndexKind::Orders => self.orders.handle(),
        }
    }
}

impl SearchEngine for TantivySearch {
    fn watermark(&self, kind: IndexKind) -> Option<ChangeCursor> {
        self.handle(kind).watermark()
    }

    fn index_articles(&self, docs: &[ArticleDoc], removed: &[ArticleId], cursor: ChangeCursor) -> Result<(), SearchError> {
        self.articles.index(docs, removed, cursor)
    }

    fn index_orders(&self, docs: &[OrderDoc], cursor: ChangeCursor) -> Result<(), SearchError> {
        self.orders.index(docs, cursor)
    }

    fn clear(&self, kind: IndexKind) -> Result<(), SearchError> {
        self.handle(kind).clear()
    }

    fn documents(&self, kind: IndexKind) -> u64 {
        self.handle(kind).documents()
    }

    fn search_articles(&self, query: &ArticleQuery) -> Result<Vec<ArticleHit>, SearchError> {
        self.articles.search(query)
    }

    fn suggest(&self, query: &ArticleQuery) -> Result<Vec<String>, SearchError> {
        self.articles.suggest(query)
    }

    fn search_orders(&self, query: &OrderQuery) -> Result<Vec<OrderHit>, SearchError> {
        self.orders.search(query)
    }

    fn similar_orders(&self, query: &SimilarQuery) -> Result<Vec<SimilarHit>, SearchError> {
        self.orders.similar(query)
    }

    fn set_vocabulary(&self, vocabulary: &SearchVocabulary) {
        self.analyzer.set_vocabulary(vocabulary);
    }

    fn analyze(&self, text: &str) -> Vec<String> {
        self.analyzer.words(text)
    }

    fn word_documents(&self, words: &[String]) -> Result<(u64, Vec<u64>), SearchError> {
        let corpus = self.corpus.get_or_init(|| background::Corpus::of(&self.analyzer));
        self.orders.word_documents(corpus, words)
    }
}
