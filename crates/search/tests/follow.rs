//! The index on disk follows the database: it survives a restart with its
//! watermark, catches up on changes made while it was closed, and is
//! rebuilt when its files are lost. Real SQLite (or PostgreSQL), real
//! tantivy on disk.

use hotline_app::access::AdminDesk;
use hotline_app::calls::Lines;
use hotline_app::clock::SystemClock;
use hotline_app::knowledge::SearchRequest;
use hotline_app::knowledge::index::{Detached, IndexKind, SearchEngine};
use hotline_app::knowledge::transfer::ArticleRow;
use hotline_app::{Adapters, App, AppConfig};
use hotline_blob_fs::FsBlobStore;
use hotline_search::TantivySearch;
use hotline_test_support::TestDb;
use std::sync::Arc;

async fn app(db: &TestDb, blobs: &std::path::Path, engine: Arc<dyn SearchEngine>) -> App {
    let store = Arc::new(db.store().await);
    let adapters = Adapters {
        store,
        blobs: Arc::new(FsBlobStore::new(blobs)),
        search: engine,
        lines: Lines::Simulated,
        audit: hotline_blob_fs::ephemeral_audit_anchor(blobs),
        models: std::sync::Arc::new(hotline_app::suggestions::NoShelf),
    };
    App::new(adapters, AppConfig::default(), Arc::new(SystemClock)).await.unwrap()
}

fn row(line: usize, title: &str, body: &str) -> ArticleRow {
    let cells = [("title", title), ("body", body), ("department", ""), ("category", ""), ("keywords", ""), ("public", "true")];
    ArticleRow { line, cells: cells.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() }
}

fn found(app: &App, text: &str) -> Vec<String> {
    app.search
        .search_public(&SearchRequest { text: text.into(), limit: 5, ..Default::default() })
        .unwrap()
        .into_iter()
        .map(|r| r.hit.title)
        .collect()
}

#[tokio::test]
async fn the_index_survives_restarts_catches_up_and_rebuilds_when_lost() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    let admin = AdminDesk::operator();

    let first = app(&db, dir.path(), Arc::new(TantivySearch::open(&index).unwrap())).await;
    hotline_seed::seed_reference(&first).await.unwrap();
    first.knowledge.import(&admin, &[row(2, "燃气泄漏怎么办", "关闭燃气总阀，开窗通风")], true, |_, _| {}).await.unwrap();
    assert_eq!(found(&first, "煤气泄漏"), ["燃气泄漏怎么办"], "synonyms apply: 煤气 = 燃气");
    drop(first);

    // Written while the server is down (a command-line import).
    let offline = app(&db, dir.path(), Arc::new(Detached)).await;
    offline.knowledge.import(&admin, &[row(2, "家里停电了怎么报修", "拨打95598报修")], true, |_, _| {}).await.unwrap();
    drop(offline);

    // Reopened: the watermark stands; only the missed article is read.
    let second = app(&db, dir.path(), Arc::new(TantivySearch::open(&index).unwrap())).await;
    assert_eq!(second.search.documents(IndexKind::Articles), 1);
    let report = second.search.refresh().await.unwrap();
    assert_eq!(report.articles, 1);
    assert_eq!(found(&second, "停电报修"), ["家里停电了怎么报修"]);
    assert_eq!(second.search.refresh().await.unwrap().articles, 0, "nothing new, nothing rewritten");
    drop(second);

    // Files lost: an empty index is created and rebuilt from the database.
    std::fs::remove_dir_all(&index).unwrap();
    let third = app(&db, dir.path(), Arc::new(TantivySearch::open(&index).unwrap())).await;
    assert_eq!(third.search.documents(IndexKind::Articles), 0);
    assert_eq!(third.search.refresh().await.unwrap().articles, 2);
    assert_eq!(found(&third, "燃气"), ["燃气泄漏怎么办"]);
    drop(third);
    db.drop_database().await;
}
