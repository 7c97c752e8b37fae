//! One tantivy index on disk (or in memory for tests): its single writer,
//! its reader, and the watermark committed with its documents.

use crate::analyzer::Analyzer;
use crate::tokenizer::{ChineseTokenizer, NAME};
use hotline_app::knowledge::index::SearchError;
use hotline_app::ports::ChangeCursor;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::{Arc, Mutex};
use tantivy::schema::Schema;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

pub(crate) fn err(e: impl std::fmt::Display) -> SearchError {
    SearchError::Index(e.to_string())
}

/// What an index commit records besides its documents.
#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    /// The layout of the documents; a different one means rebuild.
    layout: u32,
    cursor: Option<ChangeCursor>,
}

pub(crate) struct Handle {
    layout: u32,
    index: Index,
    writer: Mutex<IndexWriter>,
    reader: IndexReader,
}

impl Handle {
    /// Opens the index in `dir`, creating it when missing; an index of
    /// another layout or one that cannot be read is replaced by an empty one
    /// (the follower then rebuilds it from the database).
    pub fn open(dir: Option<&Path>, schema: Schema, layout: u32, analyzer: &Arc<Analyzer>, memory: usize) -> Result<Self, SearchError> {
        let index = match dir {
            None => Index::create_in_ram(schema),
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(err)?;
                match Index::open_in_dir(dir) {
                    Ok(index) if index.schema() == schema && Self::payload(&index).is_some_and(|p| p.layout == layout) => index,
                    _ => {
                        if dir.read_dir().map_err(err)?.next().is_some() {
                            tracing::warn!(dir = %dir.display(), "search index missing, outdated or unreadable: rebuilding it");
                            std::fs::remove_dir_all(dir).map_err(err)?;
                            std::fs::create_dir_all(dir).map_err(err)?;
                        }
                        Index::create_in_dir(dir, schema).map_err(err)?
                    }
                }
            }
        };
        index.tokenizers().register(NAME, ChineseTokenizer(analyzer.clone()));
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(4);
        let writer = index.writer_with_num_threads(threads, memory).map_err(err)?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into().map_err(err)?;
        Ok(Self { layout, index, writer: Mutex::new(writer), reader })
    }

    fn payload(index: &Index) -> Option<Payload> {
        index.load_metas().ok()?.payload.and_then(|p| serde_json::from_str(&p).ok())
    }

    pub fn watermark(&self) -> Option<ChangeCursor> {
        Self::payload(&self.index).filter(|p| p.layout == self.layout).and_then(|p| p.cursor)
    }

    /// Deletes the documents under `deletes`, adds `docs`, and commits with
    /// the cursor; the reader sees the result when this returns.
    pub fn write(&self, deletes: Vec<Term>, docs: Vec<TantivyDocument>, cursor: Option<ChangeCursor>) -> Result<(), SearchError> {
        let mut writer = self.writer.lock().map_err(err)?;
        let result = (|| {
            for term in deletes {
                writer.delete_term(term);
            }
            for doc in docs {
                writer.add_document(doc).map_err(err)?;
            }
            let payload = serde_json::to_string(&Payload { layout: self.layout, cursor }).map_err(err)?;
            let mut commit = writer.prepare_commit().map_err(err)?;
            commit.set_payload(&payload);
            commit.commit().map_err(err)
        })();
        if result.is_err() {
            // Drop whatever was staged, so a retry starts clean.
            let _ = writer.rollback();
        }
        result?;
        self.reader.reload().map_err(err)
    }

    pub fn clear(&self) -> Result<(), SearchError> {
        {
            let writer = self.writer.lock().map_err(err)?;
            writer.delete_all_documents().map_err(err)?;
        }
        self.write(Vec::new(), Vec::new(), None)
    }

    pub fn searcher(&self) -> tantivy::Searcher {
        self.reader.searcher()
    }

    pub fn documents(&self) -> u64 {
        self.reader.searcher().num_docs()
    }
}
