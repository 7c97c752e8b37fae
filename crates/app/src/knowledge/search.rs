//! Searching articles and work orders, and keeping the index in step with
//! the database.
//!
//! The index follows the database by cursor: every article or order changed
//! after the index's watermark is read back in `(updated_at, id)` order and
//! written to the index with the new watermark in one commit. A crash
//! between the database commit and the index commit only means the rows are
//! read again; a missing or outdated index is rebuilt from the start. Each
//! pass also re-reads the last few seconds before the watermark, because a
//! transaction that took its timestamp earlier can commit later.

use super::index::{ArticleHit, ArticleQuery, IndexKind, OrderDoc, OrderHit, OrderQuery, SearchEngine, split_changes};
use crate::access::Desk;
use crate::clock::Clock;
use crate::directory::Directory;
use crate::error::{AppError, AppResult};
use crate::ports::{Audience, ChangeCursor, KnowledgeEvent, KnowledgeStore, StoreScope};
use chrono::Duration;
use chrono_tz::Tz;
use hotline_domain::knowledge::Visibility;
use hotline_domain::{ArticleId, CategoryId, UnitId};

/// The share of a citizen's words a public article must match to be shown
/// on the portal (staff see every match, ranked).
pub const PUBLIC_MIN_COVERAGE: f32 = 0.5;
use serde::Serialize;
use std::sync::{Arc, Mutex};

/// Rows read from the database per index commit.
const BATCH: u32 = 5_000;
/// How far before the watermark each pass looks again.
const OVERLAP: Duration = Duration::seconds(5);
/// Longest query kept in the topic statistics.
const MAX_LOGGED_QUERY: usize = 100;

/// A staff search request, parsed at the edge.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub text: String,
    pub department: Option<UnitId>,
    pub category: Option<CategoryId>,
    pub town: Option<UnitId>,
    /// Only internal or only public articles (staff); the portal always
    /// searches public ones.
    pub visibility: Option<Visibility>,
    pub limit: usize,
}

/// An article found, with names for display.
#[derive(Debug, Clone, Serialize)]
pub struct ArticleResult {
    #[serde(flatten)]
    pub hit: ArticleHit,
    /// The owner's name; the centre's articles have none.
    pub department: Option<String>,
    /// The category's path, e.g. 劳动和社会保障/城镇职工社会保险.
    pub category_path: Option<String>,
}

/// Documents a pass brought into each index.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RefreshReport {
    pub articles: u64,
    pub orders: u64,
}

pub struct SearchService {
    store: Arc<dyn KnowledgeStore>,
    engine: Arc<dyn SearchEngine>,
    directory: Arc<Directory>,
    clock: Arc<dyn Clock>,
    time_zone: Tz,
    /// Searches and views not yet written; flushed by [`Self::flush_events`].
    events: Mutex<Vec<KnowledgeEvent>>,
    /// Woken by changes to orders and articles.
    pub(crate) changed: Arc<tokio::sync::Notify>,
    /// One pass over the database at a time, per index: an article edit
    /// never waits behind a rebuild of the orders' index.
    following_articles: tokio::sync::Mutex<()>,
    following_orders: tokio::sync::Mutex<()>,
    /// What this node wrote into each index lately.
    written_articles: Mutex<Written>,
    written_orders: Mutex<Written>,
}

/// The cursors of rows this node wrote into an index within the overlap,
/// so a look behind the watermark writes only what a late commit added:
/// under load the overlap holds thousands of orders, and writing them all
/// again on every pass cost more than the new ones.
#[derive(Default)]
struct Written {
    cursors: std::collections::BTreeSet<ChangeCursor>,
    swept_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl Written {
    fn contains(&self, cursor: &ChangeCursor) -> bool {
        self.cursors.contains(cursor)
    }

    fn record(&mut self, cursors: &[ChangeCursor]) {
        self.cursors.extend(cursors.iter().copied());
    }

    fn forget_before(&mut self, at: chrono::DateTime<chrono::Utc>) {
        self.cursors = self.cursors.split_off(&ChangeCursor { updated_at: at, id: i64::MIN });
    }

    /// Whether this pass should look behind the watermark: the first pass,
    /// and then once per overlap.
    fn sweep_due(&self, now: chrono::DateTime<chrono::Utc>) -> bool {
        self.swept_at.is_none_or(|at| now - at >= OVERLAP || now < at)
    }
}

fn index_error(e: super::index::SearchError) -> AppError {
    AppError::Unavailable(e.to_string())
}

impl SearchService {
    pub fn new(
        store: Arc<dyn KnowledgeStore>,
        engine: Arc<dyn SearchEngine>,
        directory: Arc<Directory>,
        clock: Arc<dyn Clock>,
        time_zone: Tz,
        changed: Arc<tokio::sync::Notify>,
    ) -> Self {
        Self {
            store,
            engine,
            directory,
            clock,
            time_zone,
            events: Mutex::new(Vec::new()),
            changed,
            following_articles: Default::default(),
            following_orders: Default::default(),
            written_articles: Default::default(),
            written_orders: Default::default(),
        }
    }

    pub fn engine(&self) -> &Arc<dyn SearchEngine> {
        &self.engine
    }

    /// Reads the custom dictionary and synonyms into the engine.
    pub async fn load_vocabulary(&self) -> AppResult<()> {
        let vocabulary = self.store.search_vocabulary().await?;
        let org = self.directory.snapshot();
        let mut terms = vocabulary.terms.clone();
        // Unit, town and category names are words citizens say as one.
        terms.extend(org.units().map(|u| u.name.clone()));
        terms.extend(org.categories().map(|c| c.name.clone()));
        let engine = self.engine.clone();
        let full = crate::ports::SearchVocabulary { terms, synonyms: vocabulary.synonyms };
        tokio::task::spawn_blocking(move || engine.set_vocabulary(&full)).await.map_err(|e| AppError::Unavailable(e.to_string()))?;
        Ok(())
    }

    /// An article changed here: index it before answering, so its editor
    /// finds it at once.
    pub(crate) async fn articles_changed(&self) {
        if let Err(e) = self.follow(IndexKind::Articles).await {
            tracing::warn!(error = %e, "the article index could not follow; the next pass will retry");
        }
    }

    /// Brings both indexes up to date with the database.
    pub async fn refresh(&self) -> AppResult<RefreshReport> {
        Ok(RefreshReport { articles: self.follow(IndexKind::Articles).await?, orders: self.follow(IndexKind::Orders).await? })
    }

    /// Empties an index and builds it again from the database.
    pub async fn rebuild(&self, kind: IndexKind) -> AppResult<u64> {
        {
            let _pass = self.lock(kind).await;
            let engine = self.engine.clone();
            blocking(move || engine.clear(kind)).await?;
        }
        self.follow(kind).await
    }

    async fn lock(&self, kind: IndexKind) -> tokio::sync::MutexGuard<'_, ()> {
        match kind {
            IndexKind::Articles => self.following_articles.lock().await,
            IndexKind::Orders => self.following_orders.lock().await,
        }
    }

    /// One pass: reads what changed after the watermark, batch by batch,
    /// and writes each batch with its last cursor as the new watermark.
    /// Every few seconds the pass also looks behind the watermark, for rows
    /// a transaction stamped earlier but committed later; of those it writes
    /// only what this node has not written already.
    async fn follow(&self, kind: IndexKind) -> AppResult<u64> {
        let _pass = self.lock(kind).await;
        let mark = self.engine.watermark(kind);
        let now = self.clock.now();
        let sweep = self.written(kind).sweep_due(now);
        let mut cursor = match mark {
            None => ChangeCursor::START,
            Some(m) if sweep => ChangeCursor { updated_at: m.updated_at.checked_sub_signed(OVERLAP).unwrap_or(m.updated_at), id: i64::MIN },
            Some(m) => m,
        };
        let mut total = 0;
        loop {
            let mut batch = match kind {
                IndexKind::Articles => Batch::Articles(self.store.articles_changed(cursor, BATCH).await?),
                IndexKind::Orders => Batch::Orders(self.store.orders_changed(cursor, BATCH).await?),
            };
            let read = batch.len();
            let Some(last) = batch.last() else { break };
            {
                let written = self.written(kind);
                batch.retain(|c| mark.is_none_or(|m| *c > m) || !written.contains(c));
            }
            let cursors = batch.cursors();
            if !cursors.is_empty() {
                total += fresh(cursors.iter().copied(), mark);
                self.write(batch, mark.map_or(last, |m| m.max(last))).await?;
                self.written(kind).record(&cursors);
            }
            cursor = last;
            if read < BATCH as usize {
                break;
            }
        }
        let mut written = self.written(kind);
        if let Some(at) = cursor.updated_at.checked_sub_signed(OVERLAP) {
            written.forget_before(at);
        }
        if sweep {
            written.swept_at = Some(now);
        }
        Ok(total)
    }

    fn written(&self, kind: IndexKind) -> std::sync::MutexGuard<'_, Written> {
        match kind {
            IndexKind::Articles => self.written_articles.lock().expect("written lock"),
            IndexKind::Orders => self.written_orders.lock().expect("written lock"),
        }
    }

    async fn write(&self, batch: Batch, last: ChangeCursor) -> AppResult<()> {
        let org = self.directory.snapshot();
        let engine = self.engine.clone();
        match batch {
            Batch::Articles(changes) => {
                let (docs, removed) = split_changes(changes, |c| org.category_lineage(c));
                let docs = super::evidence::fill_asked_words(self.store.as_ref(), &engine, docs).await?;
                blocking(move || engine.index_articles(&docs, &removed, last)).await
            }
            Batch::Orders(changes) => {
                let docs: Vec<OrderDoc> =
                    changes.into_iter().map(|order| OrderDoc { category_path: org.category_lineage(order.category), order }).collect();
                blocking(move || engine.index_orders(&docs, last)).await
            }
        }
    }

    /// The centre's local date: articles are in force by it.
    pub fn today(&self) -> chrono::NaiveDate {
        self.clock.now().with_timezone(&self.time_zone).date_naive()
    }

    fn article_query(&self, request: &SearchRequest, public_only: bool) -> ArticleQuery {
        let visibility = if public_only { Some(Visibility::Public) } else { request.visibility };
        ArticleQuery {
            text: request.text.clone(),
            department: request.department,
            category: request.category,
            town: request.town,
            visibility,
            today: self.today(),
            limit: request.limit.clamp(1, 50),
            min_coverage: if public_only { PUBLIC_MIN_COVERAGE } else { 0.0 },
        }
    }

    fn named(&self, hits: Vec<ArticleHit>) -> Vec<ArticleResult> {
        let org = self.directory.snapshot();
        hits.into_iter()
            .map(|hit| ArticleResult {
                department: hit.owner.map(|u| org.unit_name(u)),
                category_path: hit.category.map(|c| org.category_path(c).display()),
                hit,
            })
            .collect()
    }

    /// Staff search over live articles, internal and public.
    pub fn search_articles(&self, _desk: &Desk, request: &SearchRequest) -> AppResult<Vec<ArticleResult>> {
        self.search(request, false, Audience::Staff)
    }

    /// The portal's search: public articles in force only.
    pub fn search_public(&self, request: &SearchRequest) -> AppResult<Vec<ArticleResult>> {
        self.search(request, true, Audience::Public)
    }

    fn search(&self, request: &SearchRequest, public_only: bool, audience: Audience) -> AppResult<Vec<ArticleResult>> {
        let hits = self.engine.search_articles(&self.article_query(request, public_only)).map_err(index_error)?;
        self.record_search(audience, &request.text, hits.first().map(|h| h.id), hits.len());
        Ok(self.named(hits))
    }

    pub fn suggest(&self, request: &SearchRequest, public_only: bool) -> AppResult<Vec<String>> {
        self.engine.suggest(&self.article_query(request, public_only)).map_err(index_error)
    }

    /// Similar past cases: orders the caller may see, with their replies.
    pub fn search_orders(&self, desk: &Desk, request: &SearchRequest) -> AppResult<Vec<OrderHit>> {
        let units = match desk.scope() {
            StoreScope::All => None,
            StoreScope::Units(units) => Some(units.to_vec()),
        };
        let query = OrderQuery {
            text: request.text.clone(),
            units,
            category: request.category,
            town: request.town,
            limit: request.limit.clamp(1, 50),
        };
        self.engine.search_orders(&query).map_err(index_error)
    }

    fn record_search(&self, audience: Audience, text: &str, top: Option<ArticleId>, results: usize) {
        let topic = self.engine.analyze(text).join(" ");
        if topic.is_empty() {
            return;
        }
        let query: String = text.trim().chars().take(MAX_LOGGED_QUERY).collect();
        self.push_event(KnowledgeEvent { at: self.clock.now(), audience, query, topic, article: top, results: results as i32 });
    }

    pub(crate) fn record_view(&self, audience: Audience, article: ArticleId) {
        self.push_event(KnowledgeEvent {
            at: self.clock.now(),
            audience,
            query: String::new(),
            topic: String::new(),
            article: Some(article),
            results: 1,
        });
    }

    fn push_event(&self, event: KnowledgeEvent) {
        self.events.lock().expect("event buffer").push(event);
    }

    /// Writes the buffered searches and views.
    pub async fn flush_events(&self) -> AppResult<usize> {
        let events = std::mem::take(&mut *self.events.lock().expect("event buffer"));
        if events.is_empty() {
            return Ok(0);
        }
        if let Err(e) = self.store.record_knowledge_events(&events).await {
            // Keep them for the next flush rather than lose the statistics.
            self.events.lock().expect("event buffer").extend(events);
            return Err(e.into());
        }
        Ok(events.len())
    }

    pub fn documents(&self, kind: IndexKind) -> u64 {
        self.engine.documents(kind)
    }
}

/// Rows read back for one index.
enum Batch {
    Articles(Vec<crate::ports::ArticleChange>),
    Orders(Vec<crate::ports::OrderChange>),
}

impl Batch {
    fn cursors(&self) -> Vec<ChangeCursor> {
        match self {
            Self::Articles(changes) => changes.iter().map(|c| c.cursor).collect(),
            Self::Orders(changes) => changes.iter().map(|c| c.cursor).collect(),
        }
    }

    fn len(&self) -> usize {
        match self {
            Self::Articles(changes) => changes.len(),
            Self::Orders(changes) => changes.len(),
        }
    }

    fn last(&self) -> Option<ChangeCursor> {
        match self {
            Self::Articles(changes) => changes.last().map(|c| c.cursor),
            Self::Orders(changes) => changes.last().map(|c| c.cursor),
        }
    }

    fn retain(&mut self, keep: impl Fn(&ChangeCursor) -> bool) {
        match self {
            Self::Articles(changes) => changes.retain(|c| keep(&c.cursor)),
            Self::Orders(changes) => changes.retain(|c| keep(&c.cursor)),
        }
    }
}

/// Changes past the watermark: what a pass newly brings in (late rows
/// behind it are written but not counted).
fn fresh(cursors: impl Iterator<Item = ChangeCursor>, mark: Option<ChangeCursor>) -> u64 {
    cursors.filter(|c| mark.is_none_or(|m| *c > m)).count() as u64
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, super::index::SearchError> + Send + 'static) -> AppResult<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| AppError::Unavailable(e.to_string()))?.map_err(index_error)
}
