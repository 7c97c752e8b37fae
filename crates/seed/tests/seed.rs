//! Seeding on a real database (SQLite, or PostgreSQL with HOTLINE_TEST_POSTGRES).

use hotline_app::calls::Lines;
use hotline_app::clock::SystemClock;
use hotline_app::ports::{OrderFilter, PageRequest, StoreScope};
use hotline_app::{Adapters, App, AppConfig};
use hotline_blob_fs::FsBlobStore;
use hotline_domain::{Action, State};
use hotline_seed::demo::{DemoOptions, seed_demo};
use hotline_seed::seed_reference;
use hotline_test_support::TestDb;
use std::sync::Arc;

#[tokio::test]
async fn reference_data_once_then_demo_orders_in_every_state() {
    let db = TestDb::new().await;
    let blobs = tempfile::tempdir().unwrap();
    let adapters = Adapters {
        store: Arc::new(db.store().await),
        blobs: Arc::new(FsBlobStore::new(blobs.path())),
        search: Arc::new(hotline_search::TantivySearch::in_memory().unwrap()),
        lines: Lines::Simulated,
        audit: hotline_blob_fs::ephemeral_audit_anchor(blobs.path()),
        models: std::sync::Arc::new(hotline_app::suggestions::NoShelf),
    };
    let app = App::new(adapters, AppConfig::default(), Arc::new(SystemClock)).await.unwrap();

    let first = seed_reference(&app).await.unwrap();
    assert_eq!(first.units, 36 + 34 + 5);
    assert_eq!(first.categories, 650, "15 + 118 + 517 names in the taxonomy's tree");
    assert!(first.calendar_days > 600);
    assert!(seed_reference(&app).await.unwrap().is_empty(), "a second run adds nothing");

    let options = DemoOptions { orders: 3_000, ..DemoOptions::default() };
    let report = seed_demo(&app, &options).await.unwrap();
    let states: Vec<State> = report.by_state.iter().map(|(s, _)| *s).collect();
    assert_eq!(states, State::ALL.to_vec(), "every state is represented: {:?}", report.by_state);
    assert_eq!(app.store.count_orders().await.unwrap(), 3_000);

    // Orders read back whole, with histories that start at registration.
    let recent = app.store.list_orders(&StoreScope::All, &OrderFilter::default(), PageRequest { before: None, limit: 200 }).await.unwrap();
    for summary in recent.iter().take(50) {
        let order = app.store.order(summary.id).await.unwrap().expect("order");
        let history = app.store.history(order.id).await.unwrap();
        assert!(matches!(history[0].action, Action::Register | Action::AnswerDirectly), "{:?}", history[0].action);
        assert_eq!(history.last().unwrap().to_state, order.state);
        assert!(order.created_at <= order.updated_at);
    }
    // The demo's pending lists have work in them.
    let town = app.directory.snapshot().unit_by_code("441900003").unwrap().id;
    let filter = OrderFilter { states: vec![State::Archived], ..OrderFilter::default() };
    assert!(
        !app.store
            .list_orders(&StoreScope::Units(vec![town].into()), &filter, PageRequest { before: None, limit: 5 })
            .await
            .unwrap()
            .is_empty()
    );
    db.drop_database().await;
}
