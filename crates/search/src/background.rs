//! How common words are in ordinary times, for hot topics: the order index
//! (the city's orders so far) plus the citizens' messages shipped with the
//! platform (`data/messages/train.csv`), so a new installation, or a quiet
//! one, still knows that 反映 and 小区 say little and 东纵路 much.

use crate::analyzer::Analyzer;
use crate::handle::err;
use crate::orders::OrderIndex;
use hotline_app::knowledge::index::SearchError;
use std::collections::HashMap;
use tantivy::Term;

/// The shipped messages' words: how many messages use each.
pub(crate) struct Corpus {
    documents: u64,
    counts: HashMap<String, u64>,
}

impl Corpus {
    pub(crate) fn of(analyzer: &Analyzer) -> Self {
        let mut reader = csv::ReaderBuilder::new().from_reader(hotline_reference_data::MESSAGES.as_bytes());
        let columns = reader.headers().ok().map(|h| {
            let at = |name: &str| h.iter().position(|c| c.trim() == name);
            (at("subject"), at("detail"))
        });
        let mut corpus = Self { documents: 0, counts: HashMap::new() };
        let Some((Some(subject), Some(detail))) = columns else {
            tracing::error!("the shipped messages lack a subject or detail column; hot topics weigh words by the order index alone");
            return corpus;
        };
        for record in reader.records().flatten() {
            let text = format!("{}\n{}", record.get(subject).unwrap_or(""), record.get(detail).unwrap_or(""));
            corpus.documents += 1;
            for word in analyzer.words(&text) {
                *corpus.counts.entry(word).or_default() += 1;
            }
        }
        corpus
    }
}

impl OrderIndex {
    /// Orders indexed and, for each word, how many use it (in the subject or
    /// the description), plus the same of the shipped messages.
    pub(crate) fn word_documents(&self, corpus: &Corpus, words: &[String]) -> Result<(u64, Vec<u64>), SearchError> {
        let searcher = self.handle.searcher();
        let f = self.f;
        let counts = words
            .iter()
            .map(|w| {
                let mut n = 0u64;
                for field in [f.subject, f.description] {
                    n = n.max(searcher.doc_freq(&Term::from_field_text(field, w)).map_err(err)?);
                }
                Ok(n + corpus.counts.get(w).copied().unwrap_or(0))
            })
            .collect::<Result<Vec<u64>, SearchError>>()?;
        Ok((searcher.num_docs() + corpus.documents, counts))
    }
}
