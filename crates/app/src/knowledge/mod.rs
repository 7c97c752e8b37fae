//! The knowledge base and the search engine behind it.
//!
//! - [`articles`]: writing, reviewing, versions, reading.
//! - [`search`]: staff and public search, similar work orders, and the
//!   index following the database.
//! - [`hot`]: hot questions from searches and linked orders.
//! - [`evidence`]: what the orders an article answered teach the search.
//! - [`transfer`]: spreadsheet import and export.
//! - [`index`]: the port a full-text engine implements.

pub mod articles;
pub mod evidence;
pub mod hot;
pub mod index;
pub mod search;
pub mod transfer;
pub mod vocabulary;

pub use articles::{ArticleDetails, ArticleListRequest, KnowledgeBase};
pub use search::{ArticleResult, RefreshReport, SearchRequest, SearchService};

use std::sync::Arc;
use std::time::Duration;

/// How long to gather changes after a wake-up before indexing them.
const BATCH_PAUSE: Duration = Duration::from_millis(250);
/// The shortest time between two passes woken by changes. Each pass ends
/// in an index commit, which finalizes a segment that merges read and
/// write again later: under a steady load the pause alone made three or
/// four commits a second, and their finalizing and merging were more than
/// half the indexing thread's time (`docs/benchmarks.md`).
const LEAST_BETWEEN_PASSES: Duration = Duration::from_secs(1);

/// The knowledge base's housekeeping, run by the server until `stop`:
/// publish scheduled articles, bring the indexes up to date (at once after a
/// change here, every `interval` for changes made by other nodes), write
/// search statistics.
pub async fn maintain(
    knowledge: Arc<KnowledgeBase>,
    search: Arc<SearchService>,
    interval: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let pass_began = tokio::time::Instant::now();
        if let Err(e) = knowledge.publish_due().await {
            tracing::warn!(error = %e, "scheduled publication failed; retrying");
        }
        if let Err(e) = search.refresh().await {
            tracing::warn!(error = %e, "the search index could not follow the database; retrying");
        }
        if let Err(e) = search.flush_events().await {
            tracing::warn!(error = %e, "search statistics could not be written; keeping them");
        }
        let stopping = tokio::select! {
            // Changes come in bursts: gather them into one index commit.
            _ = search.changed.notified() => {
                stopped_before((tokio::time::Instant::now() + BATCH_PAUSE).max(pass_began + LEAST_BETWEEN_PASSES), &mut stop).await
            }
            _ = tokio::time::sleep(interval) => false,
            _ = stop.changed() => true,
        };
        if stopping {
            let _ = search.flush_events().await;
            return;
        }
    }
}

/// Waits until `at`; true when told to stop first.
async fn stopped_before(at: tokio::time::Instant, stop: &mut tokio::sync::watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = tokio::time::sleep_until(at) => false,
        _ = stop.changed() => true,
    }
}
