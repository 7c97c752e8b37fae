//! The search vocabulary admins edit: custom dictionary words and synonym
//! sets. A change applies to queries at once; the articles' index is rebuilt
//! in the background so documents are cut the new way too.

use super::articles::KnowledgeBase;
use super::index::IndexKind;
use crate::access::AdminDesk;
use crate::error::{AppError, AppResult};
use crate::ports::{SearchVocabulary, SynonymSet};
use serde_json::json;

const MAX_WORD: usize = 20;

pub(crate) fn word(field: &str, raw: &str) -> AppResult<String> {
    let w = raw.trim();
    if w.is_empty() || w.chars().count() > MAX_WORD || w.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(AppError::invalid(field, format!("{raw:?} is not a word: 1 to {MAX_WORD} characters without spaces")));
    }
    Ok(w.to_owned())
}

impl KnowledgeBase {
    pub async fn vocabulary(&self) -> AppResult<SearchVocabulary> {
        Ok(self.store.search_vocabulary().await?)
    }

    pub async fn add_term(&self, admin: &AdminDesk, raw: &str) -> AppResult<String> {
        let term = word("term", raw)?;
        let audit = self.auditor.record(admin.user(), "search.term.add", format!("term:{term}"), json!({}));
        self.store.insert_search_term(&term, &audit).await?;
        self.vocabulary_changed().await?;
        Ok(term)
    }

    pub async fn remove_term(&self, admin: &AdminDesk, raw: &str) -> AppResult<()> {
        let audit = self.auditor.record(admin.user(), "search.term.remove", format!("term:{}", raw.trim()), json!({}));
        if !self.store.delete_search_term(raw.trim(), &audit).await? {
            return Err(AppError::not_found(format!("no dictionary word {raw:?}")));
        }
        self.vocabulary_changed().await
    }

    pub async fn add_synonyms(&self, admin: &AdminDesk, words: &[String]) -> AppResult<SynonymSet> {
        let set = self.insert_synonyms(admin, words).await?;
        self.vocabulary_changed().await?;
        Ok(set)
    }

    /// Several sets at once (a fresh platform's starting vocabulary), with
    /// one reload of the segmenter.
    pub async fn import_synonyms(&self, admin: &AdminDesk, sets: &[Vec<String>]) -> AppResult<usize> {
        for words in sets {
            self.insert_synonyms(admin, words).await?;
        }
        self.vocabulary_changed().await?;
        Ok(sets.len())
    }

    async fn insert_synonyms(&self, admin: &AdminDesk, words: &[String]) -> AppResult<SynonymSet> {
        let mut set: Vec<String> = Vec::new();
        for (i, w) in words.iter().enumerate() {
            let w = word(&format!("words[{i}]"), w)?;
            if !set.contains(&w) {
                set.push(w);
            }
        }
        if set.len() < 2 {
            return Err(AppError::invalid("words", "a synonym set needs at least two different words"));
        }
        let set = SynonymSet { id: self.ids.next(), words: set };
        let audit = self.auditor.record(admin.user(), "search.synonyms.add", format!("synonyms:{}", set.id), json!({ "words": set.words }));
        self.store.insert_synonyms(&set, &audit).await?;
        Ok(set)
    }

    pub async fn remove_synonyms(&self, admin: &AdminDesk, id: i64) -> AppResult<()> {
        let audit = self.auditor.record(admin.user(), "search.synonyms.remove", format!("synonyms:{id}"), json!({}));
        if !self.store.delete_synonyms(id, &audit).await? {
            return Err(AppError::not_found(format!("no synonym set {id}")));
        }
        self.vocabulary_changed().await
    }

    async fn vocabulary_changed(&self) -> AppResult<()> {
        self.search.load_vocabulary().await?;
        let search = self.search.clone();
        tokio::spawn(async move {
            if let Err(e) = search.rebuild(IndexKind::Articles).await {
                tracing::warn!(error = %e, "rebuilding the article index after a vocabulary change failed");
            }
        });
        Ok(())
    }
}
