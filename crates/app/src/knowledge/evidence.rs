//! The knowledge search learning from answered orders: the words callers
//! used for an article go into its index document, and words they use that
//! no article does are proposed to editors as synonyms
//! (`hotline_domain::knowledge::evidence` judges both).

use super::articles::KnowledgeBase;
use super::index::{ArticleDoc, SearchEngine};
use crate::access::AdminDesk;
use crate::error::{AppError, AppResult};
use crate::ports::{AskedOrder, KnowledgeStore};
use hotline_domain::ArticleId;
use hotline_domain::knowledge::evidence::{ArticleEvidence, Asked, SynonymProposal, asked_words, synonym_proposals};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// The newest orders per article that count: an article's vocabulary
/// follows how citizens ask now.
const ORDERS_PER_ARTICLE: u32 = 200;
/// Articles looked at for synonym proposals, most linked first.
const PROPOSAL_ARTICLES: u32 = 300;
/// A word in more than this share of the engine's documents is too common
/// to be anyone's synonym (反映, 小区, 现在).
const COMMON_SHARE: f64 = 0.1;

/// What each order asked, as the engine reads it; the caller's number (or
/// the order, when none was given) tells callers apart.
fn asked(engine: &dyn SearchEngine, orders: &[&AskedOrder]) -> Vec<Asked> {
    orders
        .iter()
        .map(|o| Asked {
            caller: o.caller_phone.clone().unwrap_or_else(|| format!("order {}", o.order)),
            words: engine.analyze(&format!("{}\n{}", o.subject, o.description)),
        })
        .collect()
}

fn by_article(orders: &[AskedOrder]) -> HashMap<ArticleId, Vec<&AskedOrder>> {
    let mut by: HashMap<ArticleId, Vec<&AskedOrder>> = HashMap::new();
    for o in orders {
        by.entry(o.article).or_default().push(o);
    }
    by
}

/// Articles whose answered orders are read and cut at a time: a rebuild
/// of 5,000 articles holds 500 × 200 orders' texts at most, not a million.
const EVIDENCE_CHUNK: usize = 500;

/// Fills each document's words it is asked by: reads the orders each
/// article answered and cuts them off the async threads, a chunk of
/// articles at a time, keeping only the words.
pub(crate) async fn fill_asked_words(
    store: &dyn KnowledgeStore,
    engine: &Arc<dyn SearchEngine>,
    docs: Vec<ArticleDoc>,
) -> AppResult<Vec<ArticleDoc>> {
    let mut filled = Vec::with_capacity(docs.len());
    let mut docs = docs.into_iter().peekable();
    while docs.peek().is_some() {
        let mut chunk: Vec<ArticleDoc> = docs.by_ref().take(EVIDENCE_CHUNK).collect();
        let ids: Vec<ArticleId> = chunk.iter().map(|d| d.id).collect();
        let evidence = store.article_evidence(&ids, ORDERS_PER_ARTICLE).await?;
        if !evidence.is_empty() {
            let engine = engine.clone();
            chunk = tokio::task::spawn_blocking(move || {
                let by = by_article(&evidence);
                for doc in &mut chunk {
                    if let Some(orders) = by.get(&doc.id) {
                        doc.asked = asked_words(&asked(engine.as_ref(), orders));
                    }
                }
                chunk
            })
            .await
            .map_err(|e| AppError::Unavailable(e.to_string()))?;
        }
        filled.extend(chunk);
    }
    Ok(filled)
}

impl KnowledgeBase {
    /// Synonyms the answered orders suggest, most callers first, for the
    /// vocabulary's editors.
    pub async fn synonym_proposals(&self, _admin: &AdminDesk, limit: usize) -> AppResult<Vec<SynonymProposal>> {
        let ids = self.store.most_linked_articles(PROPOSAL_ARTICLES).await?;
        let evidence = self.store.article_evidence(&ids, ORDERS_PER_ARTICLE).await?;
        let mut contents = Vec::new();
        for id in &ids {
            if let Some(record) = self.store.article(*id).await?
                && let Some(live) = self.live_content(&record).await?
            {
                contents.push((*id, live));
            }
        }
        let vocabulary = self.store.search_vocabulary().await?;
        let mut known: HashSet<(String, String)> = self.store.synonym_dismissals().await?.into_iter().collect();
        for set in &vocabulary.synonyms {
            for a in &set.words {
                for b in &set.words {
                    known.insert((a.clone(), b.clone()));
                }
            }
        }
        let engine = self.search.engine().clone();
        let proposals = tokio::task::spawn_blocking(move || -> AppResult<Vec<SynonymProposal>> {
            let by = by_article(&evidence);
            let articles: Vec<ArticleEvidence> = contents
                .iter()
                .map(|(id, c)| {
                    let named = format!("{} {}", c.title.as_str(), c.keywords.as_slice().join(" "));
                    let script = c.script.as_ref().map(|s| s.as_str()).unwrap_or("");
                    ArticleEvidence {
                        article: id.0,
                        title: c.title.to_string(),
                        named_by: engine.analyze(&named),
                        says: engine.analyze(&format!("{named}\n{script}\n{}", c.body.as_str())).into_iter().collect(),
                        asked: by.get(id).map(|orders| asked(engine.as_ref(), orders)).unwrap_or_default(),
                    }
                })
                .collect();
            let mut words: Vec<String> =
                articles.iter().flat_map(|a| a.named_by.iter().chain(a.asked.iter().flat_map(|q| q.words.iter()))).cloned().collect();
            words.sort();
            words.dedup();
            let (documents, counts) = engine.word_documents(&words).map_err(|e| AppError::Unavailable(e.to_string()))?;
            let share: HashMap<&str, f64> =
                words.iter().zip(&counts).map(|(w, n)| (w.as_str(), *n as f64 / documents.max(1) as f64)).collect();
            let rarity = |w: &str| -share.get(w).copied().unwrap_or(0.0);
            let common = |w: &str| share.get(w).is_some_and(|s| *s > COMMON_SHARE);
            Ok(synonym_proposals(&articles, &rarity, &common, &known))
        })
        .await
        .map_err(|e| AppError::Unavailable(e.to_string()))??;
        Ok(proposals.into_iter().take(limit.clamp(1, 200)).collect())
    }

    /// Turns a proposal down: it is not proposed again.
    pub async fn dismiss_synonym(&self, admin: &AdminDesk, word: &str, partner: &str) -> AppResult<()> {
        let (word, partner) = (super::vocabulary::word("word", word)?, super::vocabulary::word("partner", partner)?);
        if word == partner {
            return Err(AppError::invalid("partner", "a word is not its own synonym"));
        }
        let audit = self.auditor.record(
            admin.user(),
            "search.synonyms.dismiss",
            format!("synonyms:{word}"),
            json!({ "word": word, "partner": partner }),
        );
        Ok(self.store.dismiss_synonym(&word, &partner, &audit).await?)
    }
}
