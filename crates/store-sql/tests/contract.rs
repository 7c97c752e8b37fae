//! The storage contract, run against SQLite by default and against
//! PostgreSQL when HOTLINE_TEST_POSTGRES is set (as `.ci/run` does).

use chrono::{DateTime, Duration, TimeZone, Utc};
use hotline_app::Store;
use hotline_app::audit::{Auditor, GENESIS};
use hotline_app::clock::ManualClock;
use hotline_app::ids::IdGenerator;
use hotline_app::ports::*;
use hotline_app::supervision::SupervisionStore;
use hotline_domain::*;
use hotline_store_sql::SqlStore;
use hotline_test_support::TestDb;
use sqlx::{AnyConnection, Connection, Executor};
use std::sync::Arc;

const TOWN: UnitId = UnitId(100);
const OTHER_TOWN: UnitId = UnitId(101);
const VILLAGE: UnitId = UnitId(150);
const HOUSING: UnitId = UnitId(200);
const CAT: CategoryId = CategoryId(7);

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 9, 28, 1, 0, 0).unwrap()
}

fn centre(role: Role) -> Actor {
    Actor { user: UserId(1), affiliation: Affiliation::Centre, roles: RoleSet::new([role]) }
}

fn handler(unit: UnitId) -> Actor {
    Actor { user: UserId(10), affiliation: Affiliation::Unit(unit), roles: RoleSet::new([Role::Handler]) }
}

struct Fixture {
    db: TestDb,
    store: SqlStore,
    ids: IdGenerator,
    calendar: WorkCalendar,
    rules: DeadlineRules,
}

impl Fixture {
    async fn new() -> Self {
        let db = TestDb::new().await;
        let store = db.store().await;
        Self { db, store, ids: IdGenerator::new(1), calendar: WorkCalendar::china_default(), rules: DeadlineRules::default() }
    }

    fn ctx(&self, now: DateTime<Utc>) -> DecisionContext<'_> {
        DecisionContext { now, calendar: &self.calendar, rules: &self.rules }
    }

    fn audit(&self, action: &str) -> AuditRecord {
        AuditRecord {
            id: self.ids.next(),
            at: t0(),
            actor: Some(UserId(1)),
            action: action.into(),
            target: "test".into(),
            detail: "{}".into(),
            mac: None,
        }
    }

    fn new_order(&self, seq: u64, order_type: OrderType, now: DateTime<Utc>) -> Decision {
        let input = NewWorkOrder {
            channel: Channel::Phone,
            order_type,
            category: CAT,
            urgency: Urgency::Normal,
            caller: Caller {
                name: Some(PersonName::parse("王先生").unwrap()),
                phone: Some(PhoneNumber::parse("13800138000").unwrap()),
                anonymous: false,
                confidential: true,
                sms_opt_out: false,
            },
            location: Location {
                town: Some(TOWN),
                address: Some(Subject::parse("东城街道主山社区").unwrap()),
                coordinates: Some(Coordinates::new(23.02, 113.75).unwrap()),
            },
            subject: Subject::parse("噪音扰民").unwrap(),
            description: Description::parse("晚上十点后工地仍在施工。\n影响休息。").unwrap(),
            call_id: Some(format!("call-{seq}")),
            direct_answer: None,
            emergency: None,
            external_ref: None,
            media_url: None,
        };
        let number = WorkOrderNo::new(&OrderNoPrefix::parse("DG").unwrap(), now.date_naive(), seq);
        register(input, &centre(Role::Consultant), Registration { id: OrderId(self.ids.next()), number }, &self.ctx(now)).unwrap()
    }

    async fn insert(&self, seq: u64, order_type: OrderType, now: DateTime<Utc>) -> WorkOrder {
        let d = self.new_order(seq, order_type, now);
        assert_eq!(self.store.insert_order(&d, &self.audit("create"), None, &[]).await.unwrap(), InsertOutcome::Inserted);
        d.order
    }

    async fn act(&self, order: &WorkOrder, actor: &Actor, command: Command, now: DateTime<Utc>) -> WorkOrder {
        let d = decide(order, actor, command, &self.ctx(now)).unwrap();
        self.store.save_decision(order.version, &d, None, &self.audit("act"), &Default::default()).await.unwrap();
        d.order
    }

    /// A new draft article, written as its first version at t0.
    async fn new_article(&self, title: &str) -> ArticleRecord {
        let record = ArticleRecord {
            id: ArticleId(self.ids.next()),
            state: hotline_domain::knowledge::ArticleState::new(),
            content: article(title),
            created_by: Some(UserId(1)),
            created_at: t0(),
            updated_at: t0(),
            revision: 1,
        };
        self.store.insert_article(&record, &self.audit("article.create")).await.unwrap();
        record
    }

    async fn raw(&self) -> AnyConnection {
        AnyConnection::connect(&self.db.url).await.unwrap()
    }

    async fn finish(self) {
        self.store.close().await;
        self.db.drop_database().await;
    }
}

fn page(limit: u32) -> PageRequest {
    PageRequest { before: None, limit }
}

#[tokio::test]
async fn an_order_reads_back_exactly_as_written_through_its_lifecycle() {
    let f = Fixture::new().await;
    let order = f.insert(1, OrderType::Complaint, t0()).await;
    assert_eq!(f.store.order(order.id).await.unwrap().as_ref(), Some(&order));
    assert_eq!(f.store.order_id(&order.number).await.unwrap(), Some(order.id));

    let now = t0() + Duration::hours(1);
    let order =
        f.act(&order, &centre(Role::Dispatcher), Command::Dispatch { lead: TOWN, co_handlers: vec![HOUSING], note: None }, now).await;
    let order = f.act(&order, &handler(TOWN), Command::SignFor, now).await;
    let order = f
        .act(
            &order,
            &centre(Role::Supervisor),
            Command::Supervise { notice: NoticeId(f.ids.next()), text: Reason::parse("加快").unwrap(), due: None },
            now,
        )
        .await;
    let notice = order.notices[0].id;
    let order =
        f.act(&order, &handler(TOWN), Command::AnswerSupervision { notice, text: Description::parse("已处理").unwrap() }, now).await;
    let order = f
        .act(
            &order,
            &handler(TOWN),
            Command::RequestExtension {
                reason: Reason::parse("需协调").unwrap(),
                requested_due: order.deadlines.completion + Duration::days(3),
            },
            now,
        )
        .await;
    let order = f
        .act(
            &order,
            &handler(TOWN),
            Command::SubmitResult {
                result: Description::parse("已责令停工").unwrap(),
                solved: true,
                public_reply: Description::parse("已处理").unwrap(),
                contacted_citizen_at: Some(now),
            },
            now,
        )
        .await;
    let order = f.act(&order, &centre(Role::Reviewer), Command::Review(ReviewVerdict::Pass { publish: false }), now).await;
    let order = f
        .act(
            &order,
            &centre(Role::Consultant),
            Command::FollowUp {
                contacted: true,
                satisfaction: Some(Satisfaction::BasicallySatisfied),
                solved: Some(true),
                note: None,
                outcome: FollowUpOutcome::Archive,
            },
            now,
        )
        .await;
    let stored = f.store.order(order.id).await.unwrap().unwrap();
    assert_eq!(stored, order);
    assert_eq!(stored.state, State::Archived);
    assert!(stored.notices[0].answer.is_some());

    let history = f.store.history(order.id).await.unwrap();
    let actions: Vec<Action> = history.iter().map(|h| h.action).collect();
    assert_eq!(
        actions,
        vec![
            Action::Register,
            Action::Dispatch,
            Action::SignFor,
            Action::Supervise,
            Action::AnswerSupervision,
            Action::RequestExtension,
            Action::SubmitResult,
            Action::Review,
            Action::FollowUp
        ]
    );
    assert_eq!(history[1].detail["lead"], serde_json::json!(TOWN));
    f.finish().await;
}

/// PostgreSQL's multi-row writes carry their rows as JSON text: quotes,
/// backslashes, tabs, line breaks, characters outside the BMP and floats with
/// many digits must come back as they went in, on insert and on update.
#[tokio::test]
async fn texts_and_coordinates_read_back_exactly_whatever_their_characters() {
    let f = Fixture::new().await;
    let mut d = f.new_order(1, OrderType::Complaint, t0());
    d.order.subject = Subject::parse(r#"“引号” "quoted" \ back\slash \u0041 {"json": [1]} 😀"#).unwrap();
    d.order.description = Description::parse("第一行\r\n\t缩进 \\n 不是换行 ' \" </script> 𠀋").unwrap();
    d.order.location.coordinates = Some(Coordinates::new(23.02_f64.next_up(), 113.75_f64.next_down()).unwrap());
    assert_eq!(f.store.insert_order(&d, &f.audit("create"), None, &[]).await.unwrap(), InsertOutcome::Inserted);
    assert_eq!(f.store.order(d.order.id).await.unwrap().as_ref(), Some(&d.order));

    let note = Reason::parse("派单说明：\"东城\" \\ 主山\n第二行").unwrap();
    let dispatch = Command::Dispatch { lead: TOWN, co_handlers: vec![], note: Some(note) };
    let dispatched = decide(&d.order, &centre(Role::Dispatcher), dispatch, &f.ctx(t0())).unwrap();
    f.store.save_decision(d.order.version, &dispatched, None, &f.audit("act"), &Default::default()).await.unwrap();
    assert_eq!(f.store.order(d.order.id).await.unwrap().as_ref(), Some(&dispatched.order));
    assert_eq!(f.store.history(d.order.id).await.unwrap(), vec![d.entry, dispatched.entry]);
    f.finish().await;
}

/// The writer does not test its connection before each batch (a round
/// trip each): when the database drops it, as a restart does, the next
/// registration and decision still go through, on a new connection.
#[tokio::test]
async fn writes_go_on_after_the_database_drops_the_connections() {
    let f = Fixture::new().await;
    if !f.db.is_postgres() {
        // A SQLite file has no server to drop a connection.
        return f.finish().await;
    }
    let first = f.insert(1, OrderType::Complaint, t0()).await;
    let mut admin = AnyConnection::connect(&f.db.url).await.unwrap();
    let dropped: Vec<(bool,)> = sqlx::query_as(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert!(!dropped.is_empty() && dropped.iter().all(|(done,)| *done), "the store's connections were dropped: {dropped:?}");
    let second = f.insert(2, OrderType::Complaint, t0()).await;
    let dispatched =
        f.act(&first, &centre(Role::Dispatcher), Command::Dispatch { lead: TOWN, co_handlers: vec![], note: None }, t0()).await;
    // Readers' connections idle over half a second are tested before use,
    // so these reads get live ones too.
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(f.store.order(second.id).await.unwrap().map(|o| o.number), Some(second.number));
    assert_eq!(f.store.order(first.id).await.unwrap().map(|o| o.version), Some(dispatched.version));
    admin.close().await.unwrap();
    f.finish().await;
}

#[tokio::test]
async fn of_two_writers_on_one_version_exactly_one_wins() {
    let f = Fixture::new().await;
    let order = f.insert(1, OrderType::Help, t0()).await;
    let dispatcher = centre(Role::Dispatcher);
    let to_town = decide(&order, &dispatcher, Command::Dispatch { lead: TOWN, co_handlers: vec![], note: None }, &f.ctx(t0())).unwrap();
    let to_other =
        decide(&order, &dispatcher, Command::Dispatch { lead: OTHER_TOWN, co_handlers: vec![], note: None }, &f.ctx(t0())).unwrap();
    let (audit_a, audit_b) = (f.audit("a"), f.audit("b"));
    let nothing = hotline_app::ports::Outbox::default();
    let (a, b) = tokio::join!(
        f.store.save_decision(order.version, &to_town, None, &audit_a, &nothing),
        f.store.save_decision(order.version, &to_other, None, &audit_b, &nothing)
    );
    let outcomes = [a.is_ok(), b.is_ok()];
    assert_eq!(outcomes.iter().filter(|ok| **ok).count(), 1, "{a:?} {b:?}");
    let loser = if a.is_ok() { b } else { a };
    assert!(matches!(loser, Err(StoreError::VersionConflict { current: 2 })));
    // The loser left nothing behind: one dispatch in history, one lead unit.
    assert_eq!(f.store.history(order.id).await.unwrap().len(), 2);
    let pending_town = f.store.unit_pending(&[TOWN], page(10)).await.unwrap().len();
    let pending_other = f.store.unit_pending(&[OTHER_TOWN], page(10)).await.unwrap().len();
    assert_eq!(pending_town + pending_other, 1);
    f.finish().await;
}

#[tokio::test]
async fn a_retried_create_with_the_same_key_writes_nothing_new() {
    let f = Fixture::new().await;
    let first = f.new_order(1, OrderType::Help, t0());
    let claim = IdempotencyClaim { user: UserId(1), key: "k-1".into(), request_hash: "h1".into() };
    assert_eq!(f.store.insert_order(&first, &f.audit("c"), Some(&claim), &[]).await.unwrap(), InsertOutcome::Inserted);
    let retry = f.new_order(2, OrderType::Help, t0());
    let outcome = f.store.insert_order(&retry, &f.audit("c"), Some(&claim), &[]).await.unwrap();
    assert_eq!(outcome, InsertOutcome::Replay { order: first.order.id, request_hash: "h1".into() });
    assert_eq!(f.store.count_orders().await.unwrap(), 1);
    // Another user may use the same key for their own order.
    let other = IdempotencyClaim { user: UserId(2), ..claim };
    assert_eq!(f.store.insert_order(&retry, &f.audit("c"), Some(&other), &[]).await.unwrap(), InsertOutcome::Inserted);
    f.finish().await;
}

#[tokio::test]
async fn concurrent_registrations_commit_together_and_fail_alone() {
    let f = Fixture::new().await;
    let taken = f.audit("taken");
    f.store.append_audit(&taken).await.unwrap();
    let store = Arc::new(f.db.store().await);
    let mut tasks = Vec::new();
    for i in 0..120u64 {
        let d = f.new_order(i + 1, OrderType::Help, t0());
        // Every tenth order retries the same key; order 77 carries an audit id already used.
        let claim = (i % 10 == 0).then(|| IdempotencyClaim { user: UserId(1), key: "same-key".into(), request_hash: "h".into() });
        let audit = if i == 77 { taken.clone() } else { f.audit("create") };
        let s = store.clone();
        tasks.push(tokio::spawn(async move { (d.order.id, s.insert_order(&d, &audit, claim.as_ref(), &[]).await) }));
    }
    let mut inserted = Vec::new();
    let (mut replays, mut failures) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            (id, Ok(InsertOutcome::Inserted)) => inserted.push(id),
            (_, Ok(InsertOutcome::Replay { .. })) => replays += 1,
            (_, Err(_)) => failures += 1,
        }
    }
    assert_eq!((inserted.len(), replays, failures), (108, 11, 1));
    assert_eq!(f.store.count_orders().await.unwrap(), 108);
    for id in inserted {
        assert_eq!(f.store.history(id).await.unwrap().len(), 1, "each inserted order has its registration");
    }
    store.close().await;
    f.finish().await;
}

#[tokio::test]
async fn concurrent_decisions_commit_together_each_against_its_version_and_fail_alone() {
    let f = Fixture::new().await;
    let taken = f.audit("taken");
    f.store.append_audit(&taken).await.unwrap();
    let store = Arc::new(f.db.store().await);
    let mut orders = Vec::new();
    for i in 0..60u64 {
        orders.push(f.insert(i + 1, OrderType::Help, t0()).await);
    }
    let dispatcher = centre(Role::Dispatcher);
    let dispatch = |o: &WorkOrder, lead: UnitId| {
        decide(o, &dispatcher, Command::Dispatch { lead, co_handlers: vec![OTHER_TOWN], note: None }, &f.ctx(t0())).unwrap()
    };
    let mut tasks = Vec::new();
    for (i, order) in orders.iter().enumerate() {
        // Every order is dispatched twice at once (to two towns): one wins.
        // Order 17's first dispatch carries an audit id already used: it
        // alone fails, and its rival is then free to win.
        for lead in [TOWN, VILLAGE] {
            let d = dispatch(order, lead);
            let audit = if i == 17 && lead == TOWN { taken.clone() } else { f.audit("dispatch") };
            let (s, version) = (store.clone(), order.version);
            tasks.push(tokio::spawn(
                async move { (d.order.id, lead, s.save_decision(version, &d, None, &audit, &Default::default()).await) },
            ));
        }
    }
    let mut won = std::collections::HashMap::new();
    let (mut conflicts, mut failures) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            (id, lead, Ok(())) => assert!(won.insert(id, lead).is_none(), "two dispatches of one order won"),
            (_, _, Err(StoreError::VersionConflict { current: 2 })) => conflicts += 1,
            (_, _, Err(e)) => {
                assert!(matches!(e, StoreError::Duplicate(_)), "{e:?}");
                failures += 1;
            }
        }
    }
    assert_eq!((won.len(), conflicts, failures), (60, 59, 1));
    for order in &orders {
        let stored = f.store.order(order.id).await.unwrap().unwrap();
        assert_eq!((stored.version, stored.lead_unit), (2, Some(won[&order.id])));
        let history = f.store.history(order.id).await.unwrap();
        assert_eq!(history.iter().map(|h| h.action).collect::<Vec<_>>(), vec![Action::Register, Action::Dispatch]);
        assert!(f.store.involved(order.id, &[OTHER_TOWN]).await.unwrap(), "the co-handler is recorded");
    }
    let waiting =
        f.store.unit_pending(&[TOWN], page(200)).await.unwrap().len() + f.store.unit_pending(&[VILLAGE], page(200)).await.unwrap().len();
    assert_eq!(waiting, 60, "each order waits at the one unit that won");
    store.close().await;
    f.finish().await;
}

#[tokio::test]
async fn a_closed_store_refuses_writes_at_once() {
    let f = Fixture::new().await;
    // On PostgreSQL the group-commit writer has a connection of its own,
    // on its own thread: closing the store closes it too.
    let store = f.db.store().await;
    store.close().await;
    let d = f.new_order(1, OrderType::Help, t0());
    let refused = tokio::time::timeout(std::time::Duration::from_secs(30), store.insert_order(&d, &f.audit("create"), None, &[]))
        .await
        .expect("answered, not left waiting");
    assert!(matches!(refused, Err(StoreError::Backend(_))), "{refused:?}");
    assert_eq!(f.store.count_orders().await.unwrap(), 0);
    f.finish().await;
}

#[tokio::test]
async fn a_failed_transaction_leaves_no_half_written_order() {
    let f = Fixture::new().await;
    let audit = f.audit("create");
    f.store.append_audit(&audit).await.unwrap();
    // The audit id is taken: the last statement of the transaction fails.
    let d = f.new_order(1, OrderType::Help, t0());
    assert!(f.store.insert_order(&d, &audit, None, &[]).await.is_err());
    assert_eq!(f.store.count_orders().await.unwrap(), 0);
    assert!(f.store.order_id(&d.order.number).await.unwrap().is_none());
    let mut conn = f.raw().await;
    let history: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM order_history").fetch_one(&mut conn).await.unwrap();
    assert_eq!(history, 0);
    conn.close().await.unwrap();
    f.finish().await;
}

#[tokio::test]
async fn lists_filter_scope_and_page_newest_first() {
    let f = Fixture::new().await;
    let mut orders = Vec::new();
    for i in 0..7u64 {
        let order_type = if i % 2 == 0 { OrderType::Complaint } else { OrderType::Consultation };
        orders.push(f.insert(i + 1, order_type, t0() + Duration::minutes(i as i64)).await);
    }
    let dispatcher = centre(Role::Dispatcher);
    let now = t0() + Duration::hours(1);
    let d0 = f.act(&orders[0], &dispatcher, Command::Dispatch { lead: TOWN, co_handlers: vec![HOUSING], note: None }, now).await;
    let d1 = f.act(&orders[1], &dispatcher, Command::Dispatch { lead: OTHER_TOWN, co_handlers: vec![], note: None }, now).await;
    let signed = f.act(&d0, &handler(TOWN), Command::SignFor, now).await;
    f.act(&signed, &handler(TOWN), Command::SubDispatch { unit: VILLAGE, note: None }, now).await;

    let all = f.store.list_orders(&StoreScope::All, &OrderFilter::default(), page(50)).await.unwrap();
    assert_eq!(all.len(), 7);
    assert!(all.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    let first = f.store.list_orders(&StoreScope::All, &OrderFilter::default(), page(3)).await.unwrap();
    let next =
        f.store.list_orders(&StoreScope::All, &OrderFilter::default(), PageRequest { before: Some(first[2].id), limit: 3 }).await.unwrap();
    assert_eq!(next[0].id, all[3].id);

    let store = &f.store;
    let by = |filter: OrderFilter| async move { store.list_orders(&StoreScope::All, &filter, page(50)).await.unwrap().len() };
    assert_eq!(by(OrderFilter { states: vec![State::PendingDispatch], ..Default::default() }).await, 5);
    assert_eq!(by(OrderFilter { states: vec![State::Dispatched, State::InProgress], ..Default::default() }).await, 2);
    assert_eq!(by(OrderFilter { order_type: Some(OrderType::Complaint), ..Default::default() }).await, 4);
    assert_eq!(by(OrderFilter { town: Some(TOWN), ..Default::default() }).await, 7);
    assert_eq!(by(OrderFilter { categories: vec![CategoryId(99)], ..Default::default() }).await, 0);
    assert_eq!(by(OrderFilter { categories: vec![CAT, CategoryId(99)], ..Default::default() }).await, 7);
    assert_eq!(by(OrderFilter { unit: Some(HOUSING), ..Default::default() }).await, 1);
    assert_eq!(by(OrderFilter { created_from: Some(t0() + Duration::minutes(5)), ..Default::default() }).await, 2);
    assert_eq!(by(OrderFilter { created_to: Some(t0() + Duration::minutes(5)), ..Default::default() }).await, 5);
    // Consultations are due in 2 working days; complaints in 15.
    let later = t0() + Duration::days(5);
    assert_eq!(by(OrderFilter { overdue_at: Some(later), ..Default::default() }).await, 3);

    let town_scope = StoreScope::Units(vec![TOWN, VILLAGE].into());
    let scoped = f.store.list_orders(&town_scope, &OrderFilter::default(), page(50)).await.unwrap();
    assert_eq!(scoped.iter().map(|s| s.id).collect::<Vec<_>>(), vec![d0.id]);
    assert!(f.store.involved(d0.id, &[VILLAGE]).await.unwrap());
    assert!(!f.store.involved(d1.id, &[TOWN, VILLAGE]).await.unwrap());
    f.finish().await;
}

#[tokio::test]
async fn pending_lists_hold_what_waits_on_a_unit_and_nothing_else() {
    let f = Fixture::new().await;
    let dispatcher = centre(Role::Dispatcher);
    let now = t0() + Duration::hours(1);
    let a = f.insert(1, OrderType::Help, t0()).await;
    let b = f.insert(2, OrderType::Help, t0()).await;
    let a = f.act(&a, &dispatcher, Command::Dispatch { lead: TOWN, co_handlers: vec![HOUSING], note: None }, now).await;
    f.act(&b, &dispatcher, Command::Dispatch { lead: TOWN, co_handlers: vec![], note: None }, now).await;
    let ids = |v: Vec<OrderSummary>| v.into_iter().map(|s| s.number).collect::<Vec<_>>();
    assert_eq!(ids(f.store.unit_pending(&[TOWN], page(10)).await.unwrap()), vec![b.number.clone(), a.number.clone()]);
    assert_eq!(ids(f.store.unit_pending(&[HOUSING], page(10)).await.unwrap()), vec![a.number.clone()]);
    // Keyset paging and the unit together with its sub-units, without duplicates.
    assert_eq!(f.store.unit_pending(&[TOWN, VILLAGE], PageRequest { before: Some(b.id), limit: 10 }).await.unwrap().len(), 1);

    // Returned: no longer waiting on the town; still "held" for its scope.
    let returned = f.act(&a, &handler(TOWN), Command::Return { reason: Reason::parse("非本镇").unwrap() }, now).await;
    assert_eq!(ids(f.store.unit_pending(&[TOWN], page(10)).await.unwrap()), vec![b.number.clone()]);
    assert!(f.store.involved(returned.id, &[TOWN]).await.unwrap());
    f.act(&returned, &dispatcher, Command::DecideReturn(ReturnDecision::Redispatch { lead: OTHER_TOWN, co_handlers: vec![] }), now).await;
    assert_eq!(ids(f.store.unit_pending(&[OTHER_TOWN], page(10)).await.unwrap()), vec![a.number.clone()]);
    assert!(f.store.unit_pending(&[HOUSING], page(10)).await.unwrap().is_empty(), "co-handler dropped at re-dispatch");
    f.finish().await;
}

#[tokio::test]
async fn a_merge_writes_both_histories_in_one_transaction() {
    let f = Fixture::new().await;
    let master = f.insert(1, OrderType::Complaint, t0()).await;
    let duplicate = f.insert(2, OrderType::Complaint, t0()).await;
    let d = decide(
        &duplicate,
        &centre(Role::Dispatcher),
        Command::Merge { master: MasterOrder { id: master.id, number: master.number.clone(), state: master.state } },
        &f.ctx(t0()),
    )
    .unwrap();
    let absorb = HistoryEntry {
        order: master.id,
        at: t0(),
        actor: UserId(1),
        actor_unit: None,
        action: Action::AbsorbDuplicate,
        from_state: Some(master.state),
        to_state: master.state,
        detail: serde_json::json!({ "duplicate_number": duplicate.number }),
    };
    f.store.save_decision(duplicate.version, &d, Some(&absorb), &f.audit("merge"), &Default::default()).await.unwrap();
    assert_eq!(f.store.order(duplicate.id).await.unwrap().unwrap().merged_into, Some(master.id));
    let master_history = f.store.history(master.id).await.unwrap();
    assert_eq!(master_history.last().unwrap().action, Action::AbsorbDuplicate);
    // The master's own version did not move: nobody acting on it is disturbed.
    assert_eq!(f.store.order(master.id).await.unwrap().unwrap().version, master.version);
    f.finish().await;
}

#[tokio::test]
async fn sequences_hand_out_disjoint_blocks_under_concurrency() {
    let f = Fixture::new().await;
    let store = Arc::new(f.store);
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            for _ in 0..10 {
                got.push(s.reserve_sequence("order_no:DG20260928", 5).await.unwrap());
            }
            got
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort_unstable();
    assert_eq!(all, (1..=80).map(|i| i * 5).collect::<Vec<u64>>());
    assert_eq!(store.reserve_sequence("order_no:DG20260929", 5).await.unwrap(), 5);
    store.close().await;
    f.db.drop_database().await;
}

/// Order numbers run on across blocks, the next block reserved once half
/// of the current one is used, before a registration needs it; a node
/// started again goes on after every block reserved; a block used up
/// before the one ahead is back waits for it.
#[tokio::test]
async fn order_numbers_run_on_with_the_next_block_reserved_ahead() {
    use hotline_app::numbering::OrderNumbers;
    let f = Fixture::new().await;
    let store: Arc<dyn OrderStore> = Arc::new(f.db.store().await);
    let prefix = OrderNoPrefix::parse("DG").unwrap();
    let day = chrono::NaiveDate::from_ymd_opt(2026, 9, 28).unwrap();
    let mut raw = f.raw().await;
    let mut reserved = async || -> i64 {
        sqlx::query_scalar("SELECT value FROM counters WHERE name = 'order_no:DG20260928'").fetch_one(&mut raw).await.unwrap()
    };
    let numbers = OrderNumbers::new(store.clone(), prefix.clone(), 4);
    for i in 1..=2 {
        assert_eq!(numbers.next(day).await.unwrap(), WorkOrderNo::new(&prefix, day, i));
    }
    assert_eq!(reserved().await, 4, "half of the first block used: nothing reserved ahead yet");
    assert_eq!(numbers.next(day).await.unwrap(), WorkOrderNo::new(&prefix, day, 3));
    let mut waited = 0;
    while reserved().await < 8 && waited < 500 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        waited += 1;
    }
    assert_eq!(reserved().await, 8, "the second block is reserved while the first still has a number");
    for i in 4..=10 {
        assert_eq!(numbers.next(day).await.unwrap(), WorkOrderNo::new(&prefix, day, i), "no gap between blocks");
    }
    // Started again: a new block after everything reserved, so nothing is
    // handed out twice.
    let again = OrderNumbers::new(store.clone(), prefix.clone(), 4).next(day).await.unwrap();
    let value: u64 = again.as_str()[10..].parse().unwrap();
    assert!(value > 10 && value % 4 == 1, "{again} starts a block after the ones reserved");
    // Blocks of 2, asked for at once: each block runs out before the
    // reservation ahead is back, and the registration waits for it instead
    // of taking another block, so the numbers still rise one by one.
    let next_day = day.succ_opt().unwrap();
    let quick = OrderNumbers::new(store.clone(), prefix.clone(), 2);
    for i in 1..=20 {
        assert_eq!(quick.next(next_day).await.unwrap(), WorkOrderNo::new(&prefix, next_day, i));
    }
    let taken: i64 = sqlx::query_scalar("SELECT value FROM counters WHERE name = 'order_no:DG20260929'").fetch_one(&mut raw).await.unwrap();
    assert!(taken <= 22, "{taken} reserved for 20 numbers: at most one block ahead");
    raw.close().await.unwrap();
    f.finish().await;
}

/// Registrations asking for numbers all at once, on two nodes, with the
/// blocks ahead reserved in the background: no number is handed out twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_numbers_asked_for_at_once_on_two_nodes_are_never_the_same() {
    use hotline_app::numbering::OrderNumbers;
    let f = Fixture::new().await;
    let store: Arc<dyn OrderStore> = Arc::new(f.db.store().await);
    let prefix = OrderNoPrefix::parse("DG").unwrap();
    let day = chrono::NaiveDate::from_ymd_opt(2026, 9, 28).unwrap();
    let nodes = [3, 5].map(|block| Arc::new(OrderNumbers::new(store.clone(), prefix.clone(), block)));
    let mut tasks = Vec::new();
    for t in 0..16 {
        let numbers = nodes[t % 2].clone();
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            for _ in 0..25 {
                got.push(numbers.next(day).await.unwrap());
            }
            got
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        let got = t.await.unwrap();
        assert!(got.windows(2).all(|w| w[0] < w[1]), "one registration after another gets rising numbers: {got:?}");
        all.extend(got);
    }
    let handed = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!((all.len(), handed), (400, 400), "400 numbers, none twice");
    f.finish().await;
}

#[tokio::test]
async fn bulk_import_writes_orders_histories_and_units() {
    let f = Fixture::new().await;
    let mut batch = Vec::new();
    for i in 0..650u64 {
        let d = f.new_order(i + 1, OrderType::Help, t0());
        let next =
            decide(&d.order, &centre(Role::Dispatcher), Command::Dispatch { lead: TOWN, co_handlers: vec![], note: None }, &f.ctx(t0()))
                .unwrap();
        batch.push(ImportedOrder { order: next.order, history: vec![d.entry, next.entry], timers: next.timers });
    }
    f.store.import_orders(&batch, &f.audit("import")).await.unwrap();
    assert_eq!(f.store.count_orders().await.unwrap(), 650);
    assert_eq!(f.store.history(batch[649].order.id).await.unwrap().len(), 2);
    assert_eq!(f.store.order(batch[3].order.id).await.unwrap().unwrap(), batch[3].order);
    assert_eq!(f.store.unit_pending(&[TOWN], page(200)).await.unwrap().len(), 200);
    let due = f.store.due_timers(batch[0].order.deadlines.completion, 10_000).await.unwrap();
    assert_eq!(due.len(), 650 * 4, "sign-for yellow and red, completion yellow and red of each order: {:?}", due.first());
    f.finish().await;
}

#[tokio::test]
async fn organisation_users_and_sessions() {
    let f = Fixture::new().await;
    let town =
        Unit { id: TOWN, code: "441900003".into(), name: "东城街道".into(), kind: UnitKind::Subdistrict, parent: None, active: true };
    f.store.insert_unit(&town, &f.audit("u")).await.unwrap();
    let village =
        Unit {
            id: VILLAGE, code: "dc-zs".into(), name: "主山社区".into(), kind: UnitKind::Community, parent: Some(TOWN), active: true
        };
    f.store.insert_unit(&village, &f.audit("u")).await.unwrap();
    let clash = Unit { id: UnitId(999), ..town.clone() };
    assert!(matches!(f.store.insert_unit(&clash, &f.audit("u")).await, Err(StoreError::Duplicate(_))));
    assert_eq!(f.store.units().await.unwrap(), vec![town.clone(), village]);
    let renamed = Unit { name: "东城".into(), active: false, ..town };
    f.store.update_unit(&renamed, &f.audit("u")).await.unwrap();
    assert_eq!(f.store.units().await.unwrap()[0], renamed);
    assert!(matches!(f.store.update_unit(&Unit { id: UnitId(5), ..renamed }, &f.audit("u")).await, Err(StoreError::NotFound(_))));

    let user = UserRecord {
        id: UserId(42),
        username: "dc_handler".into(),
        display_name: "东城承办人".into(),
        password_hash: "$argon2id$x".into(),
        affiliation: Affiliation::Unit(TOWN),
        roles: RoleSet::new([Role::Handler, Role::UnitAdmin]),
        active: true,
        created_at: t0(),
        phone_secret: None,
    };
    f.store.insert_user(&user, &f.audit("user")).await.unwrap();
    assert!(matches!(
        f.store.insert_user(&UserRecord { id: UserId(43), ..user.clone() }, &f.audit("user")).await,
        Err(StoreError::Duplicate(_))
    ));
    assert_eq!(f.store.user_by_name("dc_handler").await.unwrap().as_ref(), Some(&user));

    let session = SessionRecord { token_hash: "abc".into(), user: user.id, created_at: t0(), expires_at: t0() + Duration::hours(1) };
    f.store.insert_session(&session).await.unwrap();
    assert_eq!(f.store.session_user("abc", t0()).await.unwrap().map(|u| u.id), Some(user.id));
    assert!(f.store.session_user("abc", t0() + Duration::hours(2)).await.unwrap().is_none(), "expired");
    f.store.update_user(&UserRecord { active: false, ..user }, false, &f.audit("user")).await.unwrap();
    assert!(f.store.session_user("abc", t0()).await.unwrap().is_none(), "disabling ends sessions");
    f.finish().await;
}

#[tokio::test]
async fn calendar_days_upsert_and_delete() {
    let f = Fixture::new().await;
    let day = |d: &str, working| CalendarDay { date: d.parse().unwrap(), working, name: "春节".into() };
    f.store.upsert_calendar_days(&[day("2026-02-14", true), day("2026-02-16", false)], &f.audit("cal")).await.unwrap();
    f.store.upsert_calendar_days(&[day("2026-02-14", false)], &f.audit("cal")).await.unwrap();
    assert_eq!(f.store.calendar_days().await.unwrap(), vec![day("2026-02-14", false), day("2026-02-16", false)]);
    assert!(f.store.delete_calendar_day("2026-02-14".parse().unwrap(), &f.audit("cal")).await.unwrap());
    assert!(!f.store.delete_calendar_day("2026-02-14".parse().unwrap(), &f.audit("cal")).await.unwrap());
    f.finish().await;
}

#[tokio::test]
async fn a_setting_is_absent_until_saved_and_the_last_save_wins() {
    let f = Fixture::new().await;
    assert_eq!(f.store.setting("deadline_rules").await.unwrap(), None);
    f.store.put_setting("deadline_rules", r#"{"sign_for":"2h"}"#, t0(), &f.audit("rules")).await.unwrap();
    f.store.put_setting("deadline_rules", r#"{"sign_for":"1h"}"#, t0(), &f.audit("rules")).await.unwrap();
    assert_eq!(f.store.setting("deadline_rules").await.unwrap().as_deref(), Some(r#"{"sign_for":"1h"}"#));
    assert_eq!(f.store.setting("other").await.unwrap(), None);
    f.finish().await;
}

#[tokio::test]
async fn the_audit_chain_seals_in_order_and_detects_tampering() {
    let f = Fixture::new().await;
    let store: Arc<dyn Store> = Arc::new(f.db.store().await);
    let dir = tempfile::tempdir().unwrap();
    let anchor = hotline_blob_fs::ephemeral_audit_anchor(dir.path());
    let auditor = Auditor::new(store.clone(), Arc::new(IdGenerator::new(2)), Arc::new(ManualClock::new(t0())), anchor.clone());
    for i in 0..25 {
        auditor
            .append(Some(UserId(1)), "work_order.read_personal", format!("work_order:{i}"), serde_json::json!({ "i": i }))
            .await
            .unwrap();
    }
    assert_eq!(store.audit_head().await.unwrap(), ChainHead { seq: 0, hash: GENESIS.into(), legacy_until: 0 });
    let report = auditor.verify().await.unwrap();
    assert_eq!((report.sealed, report.pending, report.ok()), (0, 25, true));
    assert_eq!(auditor.seal_all().await.unwrap(), 25);
    assert_eq!(auditor.seal_all().await.unwrap(), 0, "sealing twice seals nothing");
    let report = auditor.verify().await.unwrap();
    assert_eq!((report.sealed, report.pending, report.ok()), (25, 0, true));
    assert_eq!(store.audit_log(None, 5).await.unwrap().len(), 5);

    let mut conn = f.raw().await;
    conn.execute("UPDATE audit_log SET detail = '{\"i\":99}' WHERE seq = 7").await.unwrap();
    let report = auditor.verify().await.unwrap();
    assert!(report.problem.as_deref().unwrap().contains("record 7"), "{report:?}");
    conn.execute("DELETE FROM audit_log WHERE seq = 7").await.unwrap();
    assert!(auditor.verify().await.unwrap().problem.unwrap().contains("record 7 is missing"));
    conn.close().await.unwrap();
    f.finish().await;
}

/// Under load the sealer runs beside the writes: a pass seals what was
/// there and returns, and what came meanwhile waits for the next pass.
/// A pass that went on until it found nothing kept sealing the few
/// records each write had added, taking SQLite's one write connection
/// from the registrations between each two.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sealing_pass_ends_while_records_keep_coming() {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    let f = Fixture::new().await;
    let store: Arc<dyn Store> = Arc::new(f.db.store().await);
    let dir = tempfile::tempdir().unwrap();
    let anchor = hotline_blob_fs::ephemeral_audit_anchor(dir.path());
    let auditor = Arc::new(Auditor::new(store.clone(), Arc::new(IdGenerator::new(2)), Arc::new(ManualClock::new(t0())), anchor));
    let (stop, written) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicU64::new(0)));
    let started = Arc::new(tokio::sync::Barrier::new(5));
    // Four writers, so that some are always waiting for the write
    // connection while the sealer holds it.
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (auditor, stop, written, started) = (auditor.clone(), stop.clone(), written.clone(), started.clone());
            tokio::spawn(async move {
                let mut first = true;
                // Bounded, so a sealer that never returns fails the test
                // below instead of hanging it.
                let until = std::time::Instant::now() + std::time::Duration::from_secs(30);
                while !stop.load(Ordering::Relaxed) && std::time::Instant::now() < until {
                    let detail = serde_json::json!({ "writer": w });
                    auditor.append(Some(UserId(1)), "work_order.read_personal", format!("work_order:{w}"), detail).await.unwrap();
                    written.fetch_add(1, Ordering::Relaxed);
                    if std::mem::take(&mut first) {
                        started.wait().await;
                    }
                }
            })
        })
        .collect();
    started.wait().await;
    let pass = tokio::time::timeout(std::time::Duration::from_secs(10), auditor.seal_all()).await;
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.await.unwrap();
    }
    let sealed = pass.expect("a sealing pass chased the records written during it for 10 s").unwrap();
    assert!(sealed >= 1, "the pass sealed the records there when it began");
    // Once the writes stop, the next pass seals the rest, in one chain.
    let rest = auditor.seal_all().await.unwrap();
    let written = written.load(Ordering::Relaxed);
    assert_eq!(sealed + rest, written, "every record sealed once");
    let report = auditor.verify().await.unwrap();
    assert_eq!((report.sealed, report.pending, report.ok()), (written as i64, 0, true), "{report:?}");
    f.finish().await;
}

/// The ends of the chain: a cut tail with the head rewound, a row written
/// past the application and sealed, and a chain recomputed after an edit.
#[tokio::test]
async fn the_audit_chain_is_anchored_outside_the_database() {
    let f = Fixture::new().await;
    let store: Arc<dyn Store> = Arc::new(f.db.store().await);
    let dir = tempfile::tempdir().unwrap();
    let anchor = hotline_blob_fs::ephemeral_audit_anchor(dir.path());
    let clock = Arc::new(ManualClock::new(t0()));
    let auditor = Auditor::new(store.clone(), Arc::new(IdGenerator::new(2)), clock.clone(), anchor.clone());
    for i in 0..10 {
        auditor
            .append(Some(UserId(1)), "work_order.read_personal", format!("work_order:{i}"), serde_json::json!({ "i": i }))
            .await
            .unwrap();
    }
    assert_eq!(auditor.seal_all().await.unwrap(), 10);
    let report = auditor.verify().await.unwrap();
    assert_eq!((report.sealed, report.checkpoint, report.ok()), (10, Some(10), true), "{report:?}");

    // The last three records deleted and the head rewound to record 7:
    // consistent inside the database, refused by the checkpoint.
    let mut conn = f.raw().await;
    let seven: String = sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = 7").fetch_one(&mut conn).await.unwrap();
    conn.execute("DELETE FROM audit_log WHERE seq > 7").await.unwrap();
    sqlx::query("UPDATE audit_chain_head SET seq = 7, hash = $1 WHERE id = 1").bind(&seven).execute(&mut conn).await.unwrap();
    let cut = auditor.verify().await.unwrap();
    assert!(cut.problem.as_deref().unwrap_or_default().contains("checkpoint"), "{cut:?}");
    // Nor does new sealing bless the shorter chain with a new checkpoint.
    auditor.append(None, "auth.login", "user:x", serde_json::json!({})).await.unwrap();
    clock.set(t0() + Duration::minutes(5));
    assert!(auditor.seal_all().await.is_err(), "the sealer refuses to checkpoint a chain that lost records");
    assert!(!auditor.verify().await.unwrap().ok());
    conn.close().await.unwrap();
    f.finish().await;

    // A forged row the sealer chains is refused for its MAC.
    let f = Fixture::new().await;
    let store: Arc<dyn Store> = Arc::new(f.db.store().await);
    let auditor = Auditor::new(
        store.clone(),
        Arc::new(IdGenerator::new(2)),
        clock.clone(),
        hotline_blob_fs::ephemeral_audit_anchor(dir.path().join("b").as_path()),
    );
    auditor.append(Some(UserId(1)), "user.create", "user:a", serde_json::json!({})).await.unwrap();
    let mut conn = f.raw().await;
    conn.execute(
        "INSERT INTO audit_log (id, at, actor_id, action, target, detail) VALUES (999999999999, 1, 1, 'user.update', 'user:a', '{\"roles\":[\"system_admin\"]}')",
    )
    .await
    .unwrap();
    assert_eq!(auditor.seal_all().await.unwrap(), 2);
    let forged = auditor.verify().await.unwrap();
    assert!(forged.problem.as_deref().unwrap_or_default().contains("not written by the application"), "{forged:?}");

    // An edit with the chain recomputed from there on still fails its MAC.
    let f2 = Fixture::new().await;
    let store2: Arc<dyn Store> = Arc::new(f2.db.store().await);
    let auditor2 = Auditor::new(
        store2.clone(),
        Arc::new(IdGenerator::new(3)),
        clock.clone(),
        hotline_blob_fs::ephemeral_audit_anchor(dir.path().join("c").as_path()),
    );
    auditor2.append(Some(UserId(1)), "user.update", "user:b", serde_json::json!({"roles": ["handler"]})).await.unwrap();
    auditor2.seal_all().await.unwrap();
    let mut entry = store2.audit_chain(0, 1).await.unwrap().remove(0);
    entry.record.detail = "{\"roles\":[\"system_admin\"]}".into();
    let rehashed = hotline_app::audit::chain_hash(GENESIS, 1, &entry.record);
    let mut conn2 = f2.raw().await;
    sqlx::query("UPDATE audit_log SET detail = $1, hash = $2 WHERE seq = 1")
        .bind(&entry.record.detail)
        .bind(&rehashed)
        .execute(&mut conn2)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_chain_head SET hash = $1 WHERE id = 1").bind(&rehashed).execute(&mut conn2).await.unwrap();
    let edited = auditor2.verify().await.unwrap();
    assert!(!edited.ok(), "{edited:?}");
    conn.close().await.unwrap();
    conn2.close().await.unwrap();
    f.finish().await;
    f2.finish().await;
}

fn article(title: &str) -> hotline_domain::knowledge::ArticleContent {
    hotline_domain::knowledge::ArticleContent::parse(hotline_domain::knowledge::ArticleInput {
        title: title.into(),
        body: "正文".into(),
        owner: Some(HOUSING),
        keywords: vec!["关键词".into()],
        expires_on: chrono::NaiveDate::from_ymd_opt(2026, 12, 31),
        ..Default::default()
    })
    .unwrap()
}

#[tokio::test]
async fn articles_keep_every_version_refuse_stale_writes_and_stream_changes_in_order() {
    use hotline_domain::knowledge::{ArticleAction, ArticleRole, ArticleState};
    let f = Fixture::new().await;
    let s = &f.store;
    let first = f.new_article("公积金提取").await;
    assert_eq!(s.article(first.id).await.unwrap().unwrap(), first);
    assert_eq!(s.article_by_title(Some(HOUSING), "公积金提取").await.unwrap(), Some(first.id));
    assert_eq!(s.article_by_title(None, "公积金提取").await.unwrap(), None);

    // Published, then edited: version 2 is newest, version 1 stays live.
    let published = ArticleState::new()
        .apply(&ArticleAction::Submit, ArticleRole::Editor, t0())
        .and_then(|st| st.apply(&ArticleAction::Approve { publish_at: None }, ArticleRole::Reviewer, t0()))
        .unwrap();
    let live = ArticleRecord { state: published, updated_at: t0() + Duration::seconds(1), revision: 2, ..first.clone() };
    s.save_article(1, &live, None, &f.audit("article.approve")).await.unwrap();
    let edited = ArticleRecord {
        state: live.state.edited(),
        content: article("公积金提取（修订）"),
        updated_at: t0() + Duration::seconds(2),
        revision: 3,
        ..live.clone()
    };
    let version = ArticleVersionRecord {
        article: first.id,
        version: 2,
        content: edited.content.clone(),
        edited_by: Some(UserId(1)),
        edited_at: edited.updated_at,
    };
    s.save_article(2, &edited, Some(&version), &f.audit("article.edit")).await.unwrap();
    assert!(matches!(s.save_article(2, &edited, None, &f.audit("article.edit")).await, Err(StoreError::VersionConflict { current: 3 })));
    let versions = s.article_versions(first.id).await.unwrap();
    assert_eq!(
        versions.iter().map(|v| (v.version, v.content.title.to_string())).collect::<Vec<_>>(),
        [(1, "公积金提取".to_string()), (2, "公积金提取（修订）".to_string())]
    );
    let changes = s.articles_changed(ChangeCursor::START, 10).await.unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].live.as_ref().map(|c| c.title.to_string()), Some("公积金提取".into()), "the index gets the live version");
    assert!(s.articles_changed(changes[0].cursor, 10).await.unwrap().is_empty());
    // The live version's expiry is what flags it.
    let filter = ArticleFilter { expired_before: chrono::NaiveDate::from_ymd_opt(2027, 1, 1), limit: 10, ..Default::default() };
    assert_eq!(s.list_articles(&filter).await.unwrap().len(), 1);
    let filter = ArticleFilter { owners: Some(vec![TOWN]), limit: 10, ..Default::default() };
    assert!(s.list_articles(&filter).await.unwrap().is_empty());
    f.finish().await;
}

#[tokio::test]
async fn a_link_brings_the_article_back_to_the_index_with_its_newest_orders_and_dismissals_are_kept() {
    let f = Fixture::new().await;
    let s = &f.store;
    let a = f.new_article("公积金提取").await;
    let seen = s.articles_changed(ChangeCursor::START, 10).await.unwrap();
    assert!(s.articles_changed(seen[0].cursor, 10).await.unwrap().is_empty());
    let mut orders = Vec::new();
    for i in 0..3 {
        let order = f.insert(i + 1, OrderType::Consultation, t0()).await;
        // Linked in the same microsecond as the article's edit: still a change after it.
        s.link_article(order.id, a.id, UserId(1), t0() + Duration::seconds(i as i64)).await.unwrap();
        orders.push(order);
    }
    let again = s.articles_changed(seen[0].cursor, 10).await.unwrap();
    assert_eq!(again.iter().map(|c| c.id).collect::<Vec<_>>(), [a.id], "the link is a change the index follows");
    assert!(again[0].cursor > seen[0].cursor);
    // Linking twice moves nothing.
    s.link_article(orders[2].id, a.id, UserId(1), t0() + Duration::hours(1)).await.unwrap();
    assert!(s.articles_changed(again[0].cursor, 10).await.unwrap().is_empty());
    // The article as its editors know it is untouched.
    assert_eq!(s.article(a.id).await.unwrap().unwrap(), a);

    let evidence = s.article_evidence(&[a.id, ArticleId(999)], 2).await.unwrap();
    assert_eq!(evidence.iter().map(|e| e.order).collect::<Vec<_>>(), [orders[2].id, orders[1].id], "the newest two");
    assert_eq!(evidence[0].caller_phone.as_deref(), Some("13800138000"));
    assert_eq!(evidence[0].subject, "噪音扰民");
    assert_eq!(s.most_linked_articles(10).await.unwrap(), [a.id]);

    s.dismiss_synonym("煤气", "燃气", &f.audit("search.synonyms.dismiss")).await.unwrap();
    s.dismiss_synonym("煤气", "燃气", &f.audit("search.synonyms.dismiss")).await.unwrap();
    assert_eq!(s.synonym_dismissals().await.unwrap(), [("煤气".to_owned(), "燃气".to_owned())]);
    f.finish().await;
}

#[tokio::test]
async fn order_changes_stream_by_cursor_with_their_units_and_replies() {
    let f = Fixture::new().await;
    let mut orders = Vec::new();
    for seq in 1..=5 {
        orders.push(f.insert(seq, OrderType::Complaint, t0() + Duration::seconds(seq as i64)).await);
    }
    let dispatched = f
        .act(
            &orders[0],
            &centre(Role::Dispatcher),
            Command::Dispatch { lead: HOUSING, co_handlers: vec![], note: None },
            t0() + Duration::seconds(10),
        )
        .await;
    let page1 = f.store.orders_changed(ChangeCursor::START, 3).await.unwrap();
    let page2 = f.store.orders_changed(page1[2].cursor, 3).await.unwrap();
    let ids: Vec<OrderId> = page1.iter().chain(&page2).map(|c| c.id).collect();
    // Oldest change first: the dispatched order comes last, once.
    assert_eq!(ids, [orders[1].id, orders[2].id, orders[3].id, orders[4].id, dispatched.id]);
    assert_eq!(page2.last().unwrap().units, [HOUSING]);
    assert!(page1.iter().all(|c| c.subject == "噪音扰民" && c.reply.is_empty()));
    assert!(f.store.orders_changed(page2[1].cursor, 3).await.unwrap().is_empty());
    f.finish().await;
}

#[tokio::test]
async fn search_statistics_rank_articles_and_topics_in_a_window() {
    let f = Fixture::new().await;
    let s = &f.store;
    let (a, b) = (ArticleId(1), ArticleId(2));
    let event = |at: DateTime<Utc>, topic: &str, article: ArticleId| KnowledgeEvent {
        at,
        audience: Audience::Public,
        query: topic.replace(' ', ""),
        topic: topic.into(),
        article: Some(article),
        results: 3,
    };
    s.record_knowledge_events(&[
        event(t0(), "社保卡 补办", a),
        event(t0(), "社保卡 补办", a),
        event(t0(), "公积金", b),
        event(t0() - Duration::days(30), "公积金", b),
    ])
    .await
    .unwrap();
    let order = f.insert(1, OrderType::Consultation, t0()).await;
    s.link_article(order.id, b, UserId(1), t0()).await.unwrap();
    s.link_article(order.id, b, UserId(1), t0()).await.unwrap();
    assert_eq!(s.linked_articles(order.id).await.unwrap(), [b]);
    let since = t0() - Duration::days(7);
    let demand = s.article_demand(since, 10).await.unwrap();
    assert_eq!(demand, [ArticleDemand { article: b, searches: 1, orders: 1 }, ArticleDemand { article: a, searches: 2, orders: 0 }]);
    let topics = s.query_demand(since, 10).await.unwrap();
    assert_eq!(topics[0], QueryDemand { topic: "社保卡 补办".into(), query: "社保卡补办".into(), searches: 2 });
    f.finish().await;
}

fn consultant_user(id: i64, name: &str) -> UserRecord {
    UserRecord {
        id: UserId(id),
        username: name.into(),
        display_name: name.into(),
        password_hash: "$argon2id$x".into(),
        affiliation: Affiliation::Centre,
        roles: RoleSet::new([Role::Consultant]),
        active: true,
        created_at: t0(),
        phone_secret: None,
    }
}

#[tokio::test]
async fn calls_status_changes_callbacks_and_consultant_records() {
    use hotline_app::calls::{CallRow, CallStore, StatusChange, TransferTry};
    use hotline_callcentre::engine::{AgentStatus, Outcome, TransferResult};
    use hotline_callcentre::quality::{CallQuality, LegQuality};
    let f = Fixture::new().await;
    for (id, name) in [(70, "zhangli"), (71, "liuyang")] {
        f.store.insert_user(&consultant_user(id, name), &f.audit("user")).await.unwrap();
    }
    // A call id as the switchboard makes it (time-ordered, far beyond
    // JavaScript's safe integers).
    let answered = CallRow {
        id: hotline_app::ids::first_id_at(t0()),
        queue: "12333".into(),
        caller: "13800138000".into(),
        agent: Some(UserId(70)),
        arrived_at: t0(),
        answered_at: Some(t0() + Duration::seconds(9)),
        ended_at: t0() + Duration::seconds(200),
        outcome: Outcome::Transferred,
        transfer_to: Some("12366".into()),
        transfer_result: Some(TransferResult::Connected),
        transfers: vec![
            TransferTry { to: "12366".into(), result: Some(TransferResult::Busy) },
            TransferTry { to: "12366".into(), result: Some(TransferResult::Connected) },
        ],
        wrap_up_secs: 30,
        order: None,
        recording: None,
        recording_purged_at: None,
        // A supervisor took it over before the transfer; read back as stored.
        taken_over_by: Some(UserId(71)),
        quality: None,
        satisfaction: None,
    };
    let answered_call = answered.clone();
    let missed = CallRow {
        id: hotline_app::ids::first_id_at(t0()) + 1,
        caller: "0769-22223333".into(),
        agent: None,
        arrived_at: t0() + Duration::minutes(1),
        answered_at: None,
        ended_at: t0() + Duration::minutes(2),
        outcome: Outcome::Abandoned,
        transfer_to: None,
        transfer_result: None,
        wrap_up_secs: 0,
        taken_over_by: None,
        ..answered.clone()
    };
    f.store.insert_call(&answered, false).await.unwrap();
    f.store.insert_call(&missed, true).await.unwrap();
    f.store.insert_call(&missed, true).await.unwrap();
    assert_eq!(f.store.call(answered.id).await.unwrap().as_ref(), Some(&answered), "ids beyond 2^53 read back exactly");
    assert_eq!(f.store.calls(t0(), t0() + Duration::hours(1)).await.unwrap(), vec![answered.clone(), missed.clone()]);
    assert_eq!(f.store.calls(t0() + Duration::seconds(1), t0() + Duration::hours(1)).await.unwrap(), vec![missed.clone()]);
    let tasks = f.store.open_callbacks(10).await.unwrap();
    assert_eq!(tasks.len(), 1, "writing a call twice makes one task");

    // How the call sounded, measured once it ended, reads back to the
    // microsecond of jitter; an unknown call is named.
    let quality = CallQuality {
        caller: LegQuality { packets: 9_812, lost: 188, jitter_ms: 12.345 },
        consultant: LegQuality { packets: 10_000, lost: 0, jitter_ms: 0.5 },
    };
    f.store.set_quality(answered.id, &quality).await.unwrap();
    assert_eq!(f.store.call(answered.id).await.unwrap().unwrap().quality, Some(quality));
    assert_eq!(f.store.call(missed.id).await.unwrap().unwrap().quality, None, "not measured");
    let err = f.store.set_quality(12_345, &quality).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(ref what) if what.contains("12345")), "{err:?}");

    // The seat plan's counts per queue and half-hour, in SQL, as the
    // application counts them from the calls themselves: a week of calls
    // at odd times, some short abandons, across midnight and the week's end.
    let week: Vec<CallRow> = (0..400i64)
        .map(|i| {
            let arrived_at = t0() + Duration::seconds(i * 1_499 + (i * i) % 977);
            let answered = i % 5 != 0;
            let answered_at = answered.then(|| arrived_at + Duration::milliseconds(1_000 + (i * 37) % 20_000));
            CallRow {
                id: hotline_app::ids::first_id_at(arrived_at) + i,
                queue: ["general", "12333", "12358"][(i % 3) as usize].into(),
                agent: answered.then_some(UserId(70)),
                arrived_at,
                answered_at,
                ended_at: answered_at.unwrap_or(arrived_at) + Duration::milliseconds(2_000 + (i * 7_919) % 300_000),
                outcome: if answered { Outcome::Answered } else { Outcome::Abandoned },
                transfer_to: None,
                transfer_result: None,
                wrap_up_secs: i % 40,
                ..answered_call.clone()
            }
        })
        .collect();
    for call in &week {
        f.store.insert_call(call, false).await.unwrap();
    }
    let (from, to) = (t0() + Duration::seconds(30), t0() + Duration::days(8));
    let stored = f.store.calls(from, to).await.unwrap();
    let expected = hotline_app::calls::demand_cells(&stored, chrono_tz::Asia::Shanghai, 20);
    let counted = f.store.call_demand(from, to, 8 * 3600, 20).await.unwrap();
    assert_eq!(counted.len(), expected.len());
    for (got, want) in counted.iter().zip(&expected) {
        assert_eq!((&got.queue, got.slot, got.calls, got.handled), (&want.queue, want.slot, want.calls, want.handled));
        assert!((got.handling_secs - want.handling_secs).abs() < 1e-6, "{got:?} vs {want:?}");
    }
    assert!(expected.iter().map(|c| c.calls).sum::<u64>() < stored.len() as u64, "short abandons are left out");
    assert_eq!((tasks[0].call, tasks[0].caller.as_str(), tasks[0].outcome), (missed.id, "0769-22223333", Outcome::Abandoned));
    f.store.complete_callback(missed.id, UserId(70), t0() + Duration::hours(1), "已回拨，已解答", &f.audit("cb")).await.unwrap();
    assert!(f.store.open_callbacks(10).await.unwrap().is_empty());
    let again = f.store.complete_callback(missed.id, UserId(70), t0(), "x", &f.audit("cb")).await;
    assert!(matches!(again, Err(StoreError::VersionConflict { .. })), "{again:?}");
    assert!(matches!(f.store.complete_callback(5, UserId(70), t0(), "x", &f.audit("cb")).await, Err(StoreError::NotFound(_))));

    // The screen pop finds the caller's orders by number; a call links to its order.
    let order = f.insert(1, OrderType::Complaint, t0()).await;
    let phone = PhoneNumber::parse("13800138000").unwrap();
    assert_eq!(f.store.caller_orders(&phone, 5).await.unwrap().iter().map(|o| o.id).collect::<Vec<_>>(), vec![order.id]);
    assert!(f.store.caller_orders(&PhoneNumber::parse("13900139000").unwrap(), 5).await.unwrap().is_empty());
    f.store.link_call(answered.id, order.id, &f.audit("link")).await.unwrap();
    assert_eq!(f.store.call(answered.id).await.unwrap().unwrap().order, Some(order.id));
    assert!(matches!(f.store.link_call(9, order.id, &f.audit("link")).await, Err(StoreError::NotFound(_))));
    // An order registered during a call names it; whichever is stored
    // first, the call's record links the order without being asked.
    let mut during = f.new_order(2, OrderType::Help, t0());
    during.order.call_id = Some("777001".into());
    f.store.insert_order(&during, &f.audit("create"), None, &[]).await.unwrap();
    f.store.insert_call(&CallRow { id: 777001, order: None, ..answered.clone() }, false).await.unwrap();
    assert_eq!(f.store.call(777001).await.unwrap().unwrap().order, Some(during.order.id));
    f.store.insert_call(&CallRow { id: 777002, order: None, ..answered.clone() }, false).await.unwrap();
    let mut after = f.new_order(3, OrderType::Help, t0());
    after.order.call_id = Some("777002".into());
    f.store.insert_order(&after, &f.audit("create"), None, &[]).await.unwrap();
    assert_eq!(f.store.call(777002).await.unwrap().unwrap().order, Some(after.order.id));
    let mut second = f.new_order(4, OrderType::Help, t0());
    second.order.call_id = Some("777002".into());
    f.store.insert_order(&second, &f.audit("create"), None, &[]).await.unwrap();
    assert_eq!(f.store.call(777002).await.unwrap().unwrap().order, Some(after.order.id), "the first order keeps the link");

    let changes = vec![
        StatusChange { agent: UserId(70), at: t0(), status: AgentStatus::Available },
        StatusChange { agent: UserId(70), at: t0() + Duration::hours(1), status: AgentStatus::OnBreak("午餐".into()) },
    ];
    f.store.insert_status_changes(&changes).await.unwrap();
    assert_eq!(f.store.status_changes(t0(), t0() + Duration::hours(2)).await.unwrap(), changes);

    let basic = Training {
        id: 500,
        kind: TrainingKind::Basic,
        skill: None,
        course: CourseName::parse("岗前培训").unwrap(),
        completed_on: "2026-01-05".parse().unwrap(),
        passed: true,
    };
    let cert = Certification {
        id: 501,
        skill: "12333".into(),
        level: 7,
        certified_on: "2026-02-01".parse().unwrap(),
        expires_on: Some("2028-02-01".parse().unwrap()),
    };
    f.store.insert_training(UserId(70), &basic, &f.audit("t")).await.unwrap();
    f.store.insert_certification(UserId(70), &cert, &f.audit("c")).await.unwrap();
    f.store.set_mentor(UserId(71), Some(UserId(70)), &f.audit("m")).await.unwrap();
    let mentor = f.store.consultant(UserId(70)).await.unwrap();
    assert_eq!((mentor.trainings, mentor.certifications, mentor.mentor), (vec![basic], vec![cert], None));
    assert_eq!(f.store.consultant(UserId(71)).await.unwrap().mentor, Some(UserId(70)));
    assert_eq!(f.store.consultants().await.unwrap().len(), 2);
    f.store.set_mentor(UserId(71), None, &f.audit("m")).await.unwrap();
    assert_eq!(f.store.consultant(UserId(71)).await.unwrap(), ConsultantProfile { user: Some(UserId(71)), ..Default::default() });
    let orphan = f
        .store
        .insert_training(
            UserId(999),
            &Training { id: 502, ..f.store.consultant(UserId(70)).await.unwrap().trainings[0].clone() },
            &f.audit("t"),
        )
        .await;
    assert!(orphan.is_err(), "a training needs an existing user");
    f.finish().await;
}

/// The database's sums agree with the domain's `KpiCounts::add`, order by
/// order, on a history touching every count.
#[tokio::test]
async fn evaluation_counts_in_sql_match_the_domain() {
    use hotline_app::evaluation::Dimension;
    use hotline_domain::kpi::{KpiCounts, OrderFacts};
    let f = Fixture::new().await;
    let now = t0();
    let dispatcher = centre(Role::Dispatcher);
    let dispatch = |lead: UnitId| Command::Dispatch { lead, co_handlers: vec![], note: None };
    let result = || Command::SubmitResult {
        result: Description::parse("已处理").unwrap(),
        solved: true,
        public_reply: Description::parse("已处理").unwrap(),
        contacted_citizen_at: None,
    };
    let follow_up = |satisfaction, outcome| Command::FollowUp {
        contacted: true,
        satisfaction: Some(satisfaction),
        solved: Some(satisfaction != Satisfaction::Unsatisfied),
        note: None,
        outcome,
    };
    let mut orders = Vec::new();
    // Waiting for dispatch; answered directly.
    orders.push(f.insert(1, OrderType::Consultation, now).await);
    let o = f.insert(2, OrderType::Consultation, now).await;
    orders.push(f.act(&o, &centre(Role::Consultant), Command::AnswerDirectly { answer: Description::parse("已答复").unwrap() }, now).await);
    // Dispatched and never signed: its sign-for falls due at the judging instant.
    let o = f.insert(3, OrderType::Complaint, now).await;
    orders.push(f.act(&o, &dispatcher, dispatch(TOWN), now).await);
    // Signed late, returned, redispatched, answered, satisfied.
    let o = f.insert(4, OrderType::Complaint, now).await;
    let o = f.act(&o, &dispatcher, dispatch(TOWN), now).await;
    let o = f.act(&o, &handler(TOWN), Command::Return { reason: Reason::parse("不属本单位").unwrap() }, now + Duration::hours(1)).await;
    let redispatch = ReturnDecision::Redispatch { lead: HOUSING, co_handlers: vec![] };
    let o = f.act(&o, &dispatcher, Command::DecideReturn(redispatch), now + Duration::hours(2)).await;
    let o = f.act(&o, &handler(HOUSING), Command::SignFor, now + Duration::hours(9)).await;
    let o = f.act(&o, &handler(HOUSING), result(), now + Duration::days(2)).await;
    let o = f.act(&o, &centre(Role::Reviewer), Command::Review(ReviewVerdict::Pass { publish: false }), now + Duration::days(2)).await;
    orders.push(
        f.act(&o, &centre(Role::Consultant), follow_up(Satisfaction::Satisfied, FollowUpOutcome::Archive), now + Duration::days(3)).await,
    );
    // Answered after its deadline, unsatisfied and redone (with a new date), then basically satisfied.
    let o = f.insert(5, OrderType::Consultation, now).await;
    let o = f.act(&o, &dispatcher, dispatch(TOWN), now).await;
    let o = f.act(&o, &handler(TOWN), Command::SignFor, now + Duration::minutes(5)).await;
    let o = f.act(&o, &handler(TOWN), result(), now + Duration::days(20)).await;
    let o = f.act(&o, &centre(Role::Reviewer), Command::Review(ReviewVerdict::Pass { publish: false }), now + Duration::days(20)).await;
    let o =
        f.act(&o, &centre(Role::Consultant), follow_up(Satisfaction::Unsatisfied, FollowUpOutcome::Redo), now + Duration::days(21)).await;
    let o = f.act(&o, &handler(TOWN), result(), now + Duration::days(22)).await;
    let o = f.act(&o, &centre(Role::Reviewer), Command::Review(ReviewVerdict::Pass { publish: false }), now + Duration::days(22)).await;
    orders.push(
        f.act(
            &o,
            &centre(Role::Consultant),
            follow_up(Satisfaction::BasicallySatisfied, FollowUpOutcome::Archive),
            now + Duration::days(23),
        )
        .await,
    );
    // Answered directly during calls: the caller's keypad rating of the
    // last call linking the order stands for its follow-up; an unrated call
    // leaves the order without one.
    use hotline_app::calls::{CallRow, CallStore};
    use hotline_callcentre::engine::Outcome;
    let answer = || Command::AnswerDirectly { answer: Description::parse("已答复").unwrap() };
    let call = |id: i64, order: OrderId, ended: Duration, satisfaction: Option<Satisfaction>| CallRow {
        answered_at: Some(now),
        order: Some(order),
        satisfaction,
        ..CallRow::ended(id, "general", "13800138000", now, now + ended, Outcome::Answered)
    };
    // The record is written as the call ends; the rating comes after it.
    let linked = async |row: CallRow| {
        f.store.insert_call(&row, false).await.unwrap();
        if let Some(rating) = row.satisfaction {
            f.store.rate_call(row.id, rating).await.unwrap();
        }
    };
    let mut keypad = std::collections::HashMap::new();
    let o = f.insert(7, OrderType::Consultation, now).await;
    let o = f.act(&o, &centre(Role::Consultant), answer(), now).await;
    linked(call(9001, o.id, Duration::minutes(1), Some(Satisfaction::Unsatisfied))).await;
    linked(call(9002, o.id, Duration::minutes(5), Some(Satisfaction::Satisfied))).await;
    linked(call(9003, o.id, Duration::minutes(9), None)).await;
    keypad.insert(o.id, Satisfaction::Satisfied);
    orders.push(o);
    let o = f.insert(8, OrderType::Help, now).await;
    let o = f.act(&o, &centre(Role::Consultant), answer(), now).await;
    linked(call(9004, o.id, Duration::minutes(2), Some(Satisfaction::Unsatisfied))).await;
    keypad.insert(o.id, Satisfaction::Unsatisfied);
    orders.push(o);
    let o = f.insert(9, OrderType::Consultation, now).await;
    let o = f.act(&o, &centre(Role::Consultant), answer(), now).await;
    linked(call(9005, o.id, Duration::minutes(2), None)).await;
    orders.push(o);
    // A keypad rating on a dispatched order's call does not replace its follow-up.
    linked(call(9006, orders[3].id, Duration::minutes(2), Some(Satisfaction::Unsatisfied))).await;

    // Invalid calls are left out.
    let o = f.insert(6, OrderType::Other, now).await;
    let o = f.act(&o, &dispatcher, Command::Invalidate { kind: InvalidKind::Prank, note: None }, now).await;
    assert_eq!(o.state, State::Invalid);

    let as_of = now + Duration::days(30);
    for by in [Dimension::Unit, Dimension::Town, Dimension::Category, Dimension::Consultant] {
        let mut expected: std::collections::BTreeMap<i64, KpiCounts> = Default::default();
        for o in &orders {
            let facts = OrderFacts::of(o).with_keypad_rating(keypad.get(&o.id).copied());
            let key = match by {
                Dimension::Unit => {
                    for (unit, counts) in facts.by_unit(as_of) {
                        expected.entry(unit.0).or_default().merge(&counts);
                    }
                    continue;
                }
                Dimension::Town => facts.town.map(|u| u.0),
                Dimension::Category => Some(facts.category.0),
                Dimension::Consultant => Some(facts.registered_by.0),
            };
            if let Some(key) = key {
                expected.entry(key).or_default().add(&facts, as_of);
            }
        }
        let mut got = f.store.kpi_counts(now - Duration::days(1), now + Duration::days(1), as_of, by).await.unwrap();
        got.sort_by_key(|(k, _)| *k);
        assert_eq!(got, expected.into_iter().collect::<Vec<_>>(), "{by:?}");
    }
    let town = f.store.kpi_counts(now - Duration::days(1), now + Duration::days(1), as_of, Dimension::Town).await.unwrap();
    let c = town[0].1;
    // Every count is exercised, so agreement above is not agreement on zeros.
    assert_eq!((c.orders, c.dispatched, c.returned, c.resolved, c.redone), (8, 3, 1, 6, 1));
    // A redo sets a new completion date, so the redone order is on time again.
    assert_eq!((c.sign_for_due, c.signed_on_time, c.completion_due, c.completed_on_time, c.overdue), (3, 1, 8, 6, 2));
    // Two follow-ups and two keypad ratings (one satisfied, one not solved).
    assert_eq!((c.followed_up, c.satisfied, c.basically_satisfied, c.unsatisfied, c.solved), (4, 2, 1, 1, 3));
    // The town returned order 4 before it went to housing: the return is the town's.
    let units = f.store.kpi_counts(now - Duration::days(1), now + Duration::days(1), as_of, by_unit()).await.unwrap();
    let of = |unit: UnitId| units.iter().find(|(k, _)| *k == unit.0).map(|(_, c)| (c.dispatched, c.returned));
    assert_eq!((of(TOWN), of(HOUSING)), (Some((3, 1)), Some((1, 0))));
    assert!(f.store.kpi_counts(now + Duration::days(1), now + Duration::days(2), as_of, by_unit()).await.unwrap().is_empty());
    f.finish().await;
}

fn by_unit() -> hotline_app::evaluation::Dimension {
    hotline_app::evaluation::Dimension::Unit
}

/// Timers are written with the order, fire once, are not armed again by a
/// later change, and raise alerts with their deliveries in one go.
#[tokio::test]
async fn deadline_timers_fire_once_and_raise_alerts() {
    use hotline_app::supervision::{AlertQuery, Contact, ContactChannel, Delivery, DeliveryOutcome, Firing, alert_of};
    use hotline_domain::watch::{AlertLevel, Watched, most_serious};
    let f = Fixture::new().await;
    let now = t0();
    let order = f.insert(1, OrderType::Complaint, now).await;
    let order = f.act(&order, &centre(Role::Dispatcher), Command::Dispatch { lead: TOWN, co_handlers: vec![], note: None }, now).await;
    let sign_due = order.deadlines.sign_for.unwrap();
    assert!(f.store.due_timers(now, 100).await.unwrap().is_empty(), "nothing is due at dispatch");
    let due = f.store.due_timers(sign_due, 100).await.unwrap();
    let sign: Vec<_> = due.iter().filter(|t| t.watched == Watched::SignFor).map(|t| t.level).collect();
    assert_eq!(sign, vec![AlertLevel::Yellow, AlertLevel::Red], "{due:?}");

    let contact =
        Contact { id: 900, unit: Some(TOWN), channel: ContactChannel::Webhook, address: "http://127.0.0.1:9/hook".into(), leader: false };
    f.store.replace_contacts(Some(TOWN), std::slice::from_ref(&contact), &f.audit("contacts")).await.unwrap();
    assert_eq!(f.store.contacts().await.unwrap(), vec![contact.clone()]);
    let best = most_serious(&due);
    let firing = |id: i64| Firing {
        timers: due.clone(),
        alert: alert_of(best[0], id, sign_due),
        deliveries: vec![Delivery {
            id: id + 1,
            alert: id,
            channel: ContactChannel::Webhook,
            address: contact.address.clone(),
            attempts: 0,
            next_at: sign_due,
            delivered_at: None,
            failed_at: None,
            last_error: None,
        }],
    };
    let raised = f.store.fire(&[firing(1000)], sign_due).await.unwrap();
    assert_eq!(raised.len(), 1);
    assert_eq!((raised[0].level, raised[0].unit, raised[0].number.as_ref()), (AlertLevel::Red, Some(TOWN), Some(&order.number)));
    assert!(f.store.fire(&[firing(2000)], sign_due).await.unwrap().is_empty(), "a fired timer never fires again");
    assert!(f.store.due_timers(sign_due, 100).await.unwrap().is_empty());

    // A later change replaces the pending timers but does not re-arm fired ones.
    let noted = f
        .act(
            &order,
            &centre(Role::Dispatcher),
            Command::AddProgress { kind: ProgressKind::CentreNote, text: Description::parse("市民再次来电").unwrap() },
            sign_due,
        )
        .await;
    assert!(f.store.due_timers(sign_due, 100).await.unwrap().is_empty());
    let signed = f.act(&noted, &handler(TOWN), Command::SignFor, sign_due).await;
    let later = signed.deadlines.completion + Duration::days(30);
    let levels: Vec<_> = f.store.due_timers(later, 100).await.unwrap().iter().map(|t| (t.watched, t.level)).collect();
    assert_eq!(
        levels,
        vec![
            (Watched::Completion, AlertLevel::Yellow),
            (Watched::Completion, AlertLevel::Red),
            (Watched::Completion, AlertLevel::Reminder),
            (Watched::Completion, AlertLevel::Escalation)
        ],
        "signing dropped the sign-for timers; completion's remain"
    );
    assert_eq!(
        f.store.due_timers(later, 1).await.unwrap().len(),
        4,
        "a limit counts orders' earliest timers but returns all their due ones"
    );

    // Alerts are scoped to units, read once, and counted per unit for cards.
    let scope =
        |units: Vec<UnitId>| AlertQuery { scope: StoreScope::Units(units.into()), unread_only: true, level: None, before: None, limit: 10 };
    assert_eq!(f.store.alerts(&scope(vec![TOWN])).await.unwrap().len(), 1);
    assert!(f.store.alerts(&scope(vec![OTHER_TOWN])).await.unwrap().is_empty());
    f.store.mark_alert_read(1000, UserId(5), sign_due).await.unwrap();
    f.store.mark_alert_read(1000, UserId(6), later).await.unwrap();
    let read = f.store.alert(1000).await.unwrap().unwrap();
    assert_eq!((read.read_by, read.read_at), (Some(UserId(5)), Some(sign_due)), "the first reader stays");
    assert!(f.store.alerts(&scope(vec![TOWN])).await.unwrap().is_empty(), "read alerts leave the unread list");
    assert!(matches!(f.store.mark_alert_read(77, UserId(5), later).await, Err(StoreError::NotFound(_))));
    assert!(f.store.alert_counts(sign_due - Duration::days(1), later).await.unwrap().is_empty(), "cards count completion alerts only");

    // The outbox: due, retried, delivered.
    let jobs = f.store.due_deliveries(sign_due, 10).await.unwrap();
    assert_eq!(jobs.len(), 1);
    f.store
        .record_delivery(1001, &DeliveryOutcome::Retry { error: "refused".into(), next_at: sign_due + Duration::minutes(1) })
        .await
        .unwrap();
    assert!(f.store.due_deliveries(sign_due, 10).await.unwrap().is_empty());
    f.store.record_delivery(1001, &DeliveryOutcome::Delivered { at: later }).await.unwrap();
    let done = &f.store.deliveries(1000).await.unwrap()[0];
    assert_eq!((done.attempts, done.delivered_at, done.last_error.as_deref()), (2, Some(later), Some("refused")));
    assert!(f.store.due_deliveries(later, 10).await.unwrap().is_empty());
    f.finish().await;
}

/// Timers a node of the previous release stored one row per level (before
/// the upgrade, or while it still served during a rolling one) are moved
/// into the watch before a scan, keeping what fired there and here; an
/// order a node of this release decided on since is its own.
#[tokio::test]
async fn timers_of_the_previous_release_are_moved_into_the_watch_before_a_scan() {
    use hotline_app::supervision::{Firing, alert_of};
    use hotline_domain::watch::{AlertLevel, Timer, Watched, timers};
    let f = Fixture::new().await;
    let now = t0();
    let dispatch = || Command::Dispatch { lead: TOWN, co_handlers: vec![], note: None };
    let old = f.act(&f.insert(1, OrderType::Complaint, now).await, &centre(Role::Dispatcher), dispatch(), now).await;
    let decided = f.act(&f.insert(2, OrderType::Complaint, now).await, &centre(Role::Dispatcher), dispatch(), now).await;
    let completion = old.deadlines.completion;
    let far = completion + Duration::days(30);
    let levels = |due: &[Timer], order: &WorkOrder| -> Vec<(Watched, AlertLevel)> {
        due.iter().filter(|t| t.order == order.id).map(|t| (t.watched, t.level)).collect()
    };

    // The watch fired the old order's completion warning before the
    // previous release's node wrote its rows again.
    let due = f.store.due_timers(completion, 100).await.unwrap();
    let yellow: Vec<Timer> =
        due.iter().filter(|t| t.order == old.id && t.watched == Watched::Completion && t.level == AlertLevel::Yellow).cloned().collect();
    assert_eq!(yellow.len(), 1, "{due:?}");
    let firing = Firing { alert: alert_of(&yellow[0], 7_000, completion), timers: yellow, deliveries: vec![] };
    assert_eq!(f.store.fire(&[firing], completion).await.unwrap().len(), 1);

    // The old node's rows: the order's set as it computed it, its sign-for
    // warning fired there, and a follow-up deadline of a state it had moved
    // the other order to.
    let mut conn = f.raw().await;
    let legacy = |t: &Timer, fired: bool| {
        sqlx::query(
            "INSERT INTO deadline_timers (order_id, watched, subject, level, due_at, fire_at, unit_id, fired_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(t.order.0)
        .bind(t.watched.as_str())
        .bind(t.subject)
        .bind(t.level.as_str())
        .bind(t.due.timestamp_micros())
        .bind(t.fire_at.timestamp_micros())
        .bind(t.unit.map(|u| u.0))
        .bind(fired.then_some(now.timestamp_micros()))
    };
    for t in timers(&old, &f.rules, &f.calendar).unwrap() {
        let fired = t.watched == Watched::SignFor && t.level == AlertLevel::Yellow;
        legacy(&t, fired).execute(&mut conn).await.unwrap();
    }
    let stale = Timer { watched: Watched::FollowUp, unit: None, ..timers(&decided, &f.rules, &f.calendar).unwrap()[0].clone() };
    legacy(&stale, false).execute(&mut conn).await.unwrap();
    // A node of this release then decides on the other order.
    let noted = Command::AddProgress { kind: ProgressKind::CentreNote, text: Description::parse("市民再次来电").unwrap() };
    f.act(&decided, &centre(Role::Dispatcher), noted, now).await;

    let due = f.store.due_timers(far, 100).await.unwrap();
    let waiting: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deadline_timers").fetch_one(&mut conn).await.unwrap();
    assert_eq!(waiting, 0, "every row of the old table was moved or superseded");
    let sign_for = [(Watched::SignFor, AlertLevel::Red)];
    let completion_after_yellow = [
        (Watched::Completion, AlertLevel::Red),
        (Watched::Completion, AlertLevel::Reminder),
        (Watched::Completion, AlertLevel::Escalation),
    ];
    assert_eq!(levels(&due, &old), [&sign_for[..], &completion_after_yellow[..]].concat(), "neither warning fires twice: {due:?}");
    let own: Vec<_> = levels(&due, &decided);
    assert!(!own.iter().any(|(w, _)| *w == Watched::FollowUp), "the old node's stale deadline was superseded: {own:?}");
    assert_eq!(own.len(), 6, "the decided order's own sign-for and completion levels: {own:?}");
    conn.close().await.unwrap();
    f.finish().await;
}

/// The surge check reads back only the warnings a new one would repeat,
/// with the orders of their last window; the hot topics read them whole.
#[tokio::test]
async fn a_towns_recent_orders_are_read_newest_first_within_the_window_and_above_the_floor() {
    use hotline_app::emergency::EmergencyStore;
    let f = Fixture::new().await;
    let old = f.insert(1, OrderType::Complaint, t0() - Duration::hours(2)).await;
    let earlier = f.insert(2, OrderType::Complaint, t0() - Duration::minutes(30)).await;
    let newest = f.insert(3, OrderType::Complaint, t0()).await;
    let since = t0() - Duration::hours(1);
    let floor = hotline_app::ids::floor_since(since, t0());
    let read = |town: UnitId, floor: i64, limit: u32| {
        let store = &f.store;
        async move { store.recent_orders(town, since, floor, limit).await.unwrap().into_iter().map(|r| r.id).collect::<Vec<_>>() }
    };
    assert_eq!(read(TOWN, floor, 100).await, vec![newest.id, earlier.id], "not {:?}, registered before the window", old.id);
    assert_eq!(read(TOWN, floor, 1).await, vec![newest.id]);
    assert_eq!(read(OTHER_TOWN, floor, 100).await, vec![]);
    assert_eq!(read(TOWN, newest.id.0, 100).await, vec![newest.id], "nothing below the floor");
    let text = f.store.recent_orders(TOWN, since, floor, 1).await.unwrap().remove(0).text;
    assert_eq!(text, "噪音扰民\n晚上十点后工地仍在施工。\n影响休息。");
    f.finish().await;
}

/// A report joins the newest incident of its rule and partner in its own
/// town: alerts of other towns, rules, partners or before the window are
/// not it.
#[tokio::test]
async fn an_open_incident_is_found_by_rule_partner_town_and_window() {
    use hotline_app::emergency::EmergencyStore;
    use hotline_app::supervision::{Firing, alert_of};
    use hotline_domain::watch::{AlertLevel, Timer, Watched};
    let f = Fixture::new().await;
    let here = f.insert(1, OrderType::Complaint, t0()).await;
    let mut there = f.new_order(2, OrderType::Complaint, t0());
    there.order.location.town = Some(OTHER_TOWN);
    f.store.insert_order(&there, &f.audit("create"), None, &[]).await.unwrap();
    let (rule, partner) = (40, HOUSING);
    let alert = |id: i64, order: OrderId, rule: i64, unit: UnitId, minutes: i64| Firing {
        timers: Vec::new(),
        deliveries: Vec::new(),
        alert: alert_of(
            &Timer {
                order,
                watched: Watched::Emergency,
                subject: rule,
                level: AlertLevel::Red,
                due: t0(),
                fire_at: t0(),
                unit: Some(unit),
            },
            id,
            t0() + Duration::minutes(minutes),
        ),
    };
    let firings = [
        alert(600, here.id, rule, partner, -90),
        alert(601, here.id, rule, partner, -20),
        alert(602, there.order.id, rule, partner, -5),
        alert(603, here.id, rule + 1, partner, -3),
        alert(604, here.id, rule, VILLAGE, -2),
    ];
    f.store.raise(&firings, &[], &[]).await.unwrap();
    let since = t0() - Duration::hours(1);
    let found = |rule: i64, unit: UnitId, town: UnitId, since: DateTime<Utc>| {
        let store = &f.store;
        async move { store.open_incident(rule, unit, town, since).await.unwrap().map(|(id, at)| (id, at - t0())) }
    };
    assert_eq!(
        found(rule, partner, TOWN, since).await,
        Some((601, Duration::minutes(-20))),
        "not 602 (another town), 603 (another rule), 604 (another partner), 600 (before the window)"
    );
    assert_eq!(found(rule, partner, OTHER_TOWN, since).await, Some((602, Duration::minutes(-5))));
    assert_eq!(found(rule, partner, TOWN, t0() - Duration::minutes(10)).await, None);
    assert_eq!(found(rule, HOUSING, VILLAGE, since).await, None);
    f.finish().await;
}

#[tokio::test]
async fn surge_warnings_are_read_back_by_town_subject_orders_and_window() {
    use hotline_app::emergency::{EmergencyStore, SurgeWarningQuery};
    use hotline_app::supervision::{Firing, IncidentMember, alert_of};
    use hotline_domain::watch::{AlertLevel, Timer, Watched};
    let f = Fixture::new().await;
    let mut orders = Vec::new();
    for seq in 1..=4 {
        orders.push(f.insert(seq, OrderType::Complaint, t0()).await.id);
    }
    let warning = |id: i64, subject: i64, unit: UnitId| Firing {
        timers: Vec::new(),
        deliveries: Vec::new(),
        alert: alert_of(
            &Timer {
                order: orders[0],
                watched: Watched::Surge,
                subject,
                level: AlertLevel::Yellow,
                due: t0(),
                fire_at: t0(),
                unit: Some(unit),
            },
            id,
            t0(),
        ),
    };
    // The town's category warning counts the first order and, 90 minutes
    // on, the second; its alike warning (named after the third) the third;
    // another town's warning the fourth.
    let member = |alert: i64, order: OrderId, minutes: i64| IncidentMember { alert, order, at: t0() + Duration::minutes(minutes) };
    let firings = [warning(500, CAT.0, TOWN), warning(501, orders[2].0, TOWN), warning(502, CAT.0, OTHER_TOWN)];
    let members = [member(500, orders[0], 0), member(500, orders[1], 90), member(501, orders[2], 0), member(502, orders[3], 0)];
    f.store.raise(&firings, &[], &members).await.unwrap();

    let read_from = |town: Option<UnitId>, joined_minutes: i64, about: Option<(i64, Vec<OrderId>)>, orders_from: Option<OrderId>| {
        let store = &f.store;
        async move {
            let query = SurgeWarningQuery {
                town,
                raised_since: t0() - Duration::hours(24),
                joined_since: t0() + Duration::minutes(joined_minutes),
                about: about.as_ref().map(|(s, o)| (*s, o.as_slice())),
                orders_from,
            };
            let found = store.surge_warnings(&query).await.unwrap();
            found.into_iter().map(|w| (w.alert, w.orders.into_iter().map(|(o, _)| o).collect::<Vec<_>>())).collect::<Vec<_>>()
        }
    };
    let read = |town, joined_minutes, about| read_from(town, joined_minutes, about, None);
    assert_eq!(read(Some(TOWN), 0, None).await, vec![(500, vec![orders[0], orders[1]]), (501, vec![orders[2]])]);
    assert_eq!(read(None, 0, None).await.len(), 3, "the topics read every unit's");
    // Only the orders of the last window; a warning without any is still read.
    assert_eq!(read(Some(TOWN), 60, None).await, vec![(500, vec![orders[1]]), (501, vec![])]);
    // By subject, or by any order counted in it, in the town only.
    assert_eq!(read(Some(TOWN), 0, Some((CAT.0, vec![]))).await, vec![(500, vec![orders[0], orders[1]])]);
    assert_eq!(read(Some(TOWN), 0, Some((-1, vec![orders[3], orders[2]]))).await, vec![(501, vec![orders[2]])]);
    assert_eq!(read(Some(TOWN), 0, Some((-1, vec![orders[3]]))).await, vec![]);
    // From an order on: the later ones, and the order a warning is named after.
    assert_eq!(
        read_from(None, 0, None, Some(orders[3])).await,
        vec![(500, vec![]), (501, vec![orders[2]]), (502, vec![orders[3]])],
        "500 is named after a category; 501 after its order, older than the floor"
    );
    assert_eq!(
        read_from(None, 0, None, Some(orders[1])).await,
        vec![(500, vec![orders[1]]), (501, vec![orders[2]]), (502, vec![orders[3]])]
    );
    f.finish().await;
}

#[tokio::test]
async fn a_lease_is_one_nodes_until_it_lapses_and_nodes_asking_at_once_get_it_once() {
    let f = Fixture::new().await;
    let (a, b) = (1, 2);
    let t = t0();
    assert_eq!(f.store.lease_lapses_at("catch-up").await.unwrap(), None, "never taken");
    assert!(f.store.hold_lease("catch-up", a, t, t + Duration::seconds(90)).await.unwrap());
    assert!(!f.store.hold_lease("catch-up", b, t + Duration::seconds(30), t + Duration::seconds(120)).await.unwrap(), "held by a");
    assert_eq!(f.store.lease_lapses_at("catch-up").await.unwrap(), Some(t + Duration::seconds(90)), "b asking does not move it");
    assert!(f.store.hold_lease("catch-up", a, t + Duration::seconds(30), t + Duration::seconds(120)).await.unwrap(), "a renews");
    assert_eq!(f.store.lease_lapses_at("catch-up").await.unwrap(), Some(t + Duration::seconds(120)), "renewed");
    assert!(f.store.hold_lease("topics", b, t, t + Duration::seconds(90)).await.unwrap(), "each lease apart");
    assert!(!f.store.hold_lease("catch-up", b, t + Duration::seconds(119), t + Duration::seconds(200)).await.unwrap(), "renewed");
    assert!(f.store.hold_lease("catch-up", b, t + Duration::seconds(120), t + Duration::seconds(210)).await.unwrap(), "lapsed: b's");
    assert!(!f.store.hold_lease("catch-up", a, t + Duration::seconds(130), t + Duration::seconds(220)).await.unwrap(), "a lost it");

    // Ten nodes asking at once for a lapsed lease: one gets it.
    let later = t + Duration::seconds(500);
    let asks = (10..20).map(|node| f.store.hold_lease("catch-up", node, later, later + Duration::seconds(90)));
    let granted = futures_util::future::join_all(asks).await.into_iter().filter(|r| *r.as_ref().unwrap()).count();
    assert_eq!(granted, 1);
    f.finish().await;
}

#[tokio::test]
async fn a_released_lease_is_free_at_once_and_only_its_holder_releases_it() {
    let f = Fixture::new().await;
    let t = t0();
    assert!(f.store.hold_lease("callcentre", 1, t, t + Duration::seconds(6)).await.unwrap());
    f.store.release_lease("callcentre", 2).await.unwrap();
    assert!(!f.store.hold_lease("callcentre", 2, t, t + Duration::seconds(6)).await.unwrap(), "another node cannot release it");
    f.store.release_lease("callcentre", 1).await.unwrap();
    assert_eq!(f.store.lease_lapses_at("callcentre").await.unwrap(), None, "given up");
    assert!(f.store.hold_lease("callcentre", 2, t, t + Duration::seconds(6)).await.unwrap(), "free before it lapses");
    f.finish().await;
}

#[tokio::test]
async fn a_phone_binding_is_kept_replaced_forgotten_and_gone_when_it_lapses() {
    use hotline_app::calls::{CallStore, PhoneBinding};
    let f = Fixture::new().await;
    for (id, name) in [(80, "gaofeng"), (81, "sunli")] {
        f.store.insert_user(&consultant_user(id, name), &f.audit("user")).await.unwrap();
    }
    let through_proxy = PhoneBinding {
        user: UserId(80),
        contact: "sip:gaofeng@10.0.0.7:5062;transport=udp".into(),
        destination: "sip:192.0.2.1:5060;transport=udp".into(),
        // Two proxies, nearest first; a Route may hold a comma in its URI's parameters.
        path: vec!["<sip:192.0.2.1:5060;lr;received=sip:10.0.0.7:5062>".into(), "<sip:edge.example;lr;x=a,b>".into()],
        expires_at: t0() + Duration::minutes(5),
    };
    let direct = PhoneBinding {
        user: UserId(81),
        contact: "sip:sunli@10.0.0.8:5060".into(),
        destination: "sip:10.0.0.8:5060;transport=udp".into(),
        path: vec![],
        expires_at: t0() + Duration::minutes(1),
    };
    f.store.save_phone_binding(&through_proxy).await.unwrap();
    f.store.save_phone_binding(&direct).await.unwrap();
    assert_eq!(f.store.phone_bindings(t0()).await.unwrap(), [through_proxy.clone(), direct.clone()], "both kept, the Path as it was");
    // A refresh from elsewhere replaces the binding.
    let moved = PhoneBinding { contact: "sip:sunli@10.0.0.9:5060".into(), expires_at: t0() + Duration::minutes(10), ..direct.clone() };
    f.store.save_phone_binding(&moved).await.unwrap();
    assert_eq!(f.store.phone_bindings(t0()).await.unwrap(), [through_proxy.clone(), moved.clone()]);
    // A lapsed registration is not answered, and goes.
    assert_eq!(f.store.phone_bindings(t0() + Duration::minutes(6)).await.unwrap(), std::slice::from_ref(&moved));
    assert_eq!(f.store.phone_bindings(t0()).await.unwrap(), [moved], "the lapsed one was removed");
    // Unregistered: forgotten; forgetting twice is no error.
    f.store.remove_phone_binding(UserId(81)).await.unwrap();
    f.store.remove_phone_binding(UserId(81)).await.unwrap();
    assert!(f.store.phone_bindings(t0()).await.unwrap().is_empty());
    // No binding for someone who is not a user.
    let stranger = PhoneBinding { user: UserId(99), ..through_proxy };
    assert!(f.store.save_phone_binding(&stranger).await.is_err(), "refused by the key to users");
    assert!(f.store.phone_bindings(t0()).await.unwrap().is_empty(), "nothing half-written");
    f.finish().await;
}

#[tokio::test]
async fn calls_in_progress_are_lost_once_with_a_callback_owed_unless_their_record_comes() {
    use hotline_app::calls::{CallInProgress, CallRow, CallStore};
    use hotline_callcentre::engine::Outcome;
    let f = Fixture::new().await;
    let began = |call: i64, node: i64, secs: i64| CallInProgress {
        call,
        node,
        queue: "general".into(),
        caller: format!("1380013800{call}"),
        arrived_at: t0() + Duration::seconds(secs),
    };
    for call in [began(1, 3, 0), began(2, 3, 5), began(3, 3, 9)] {
        f.store.call_began(&call).await.unwrap();
    }
    f.store.call_began(&began(1, 3, 0)).await.unwrap();
    // Call 2 ends on its node: its record removes the note.
    let row = CallRow::ended(2, "general", "13800138002", t0() + Duration::seconds(5), t0() + Duration::seconds(30), Outcome::Abandoned);
    f.store.insert_call(&row, false).await.unwrap();
    let at = t0() + Duration::minutes(1);
    let lost = f.store.mark_calls_lost(4, at).await.unwrap();
    assert_eq!(lost, vec![began(1, 3, 0), began(3, 3, 9)], "oldest first, the ended call not among them");
    assert!(f.store.mark_calls_lost(5, at + Duration::seconds(1)).await.unwrap().is_empty(), "lost once");
    assert_eq!(f.store.calls_lost_since(at).await.unwrap(), 2);
    assert_eq!(f.store.calls_lost_since(at + Duration::seconds(1)).await.unwrap(), 0);
    // Each lost call has its record, ended when it was found lost, and its
    // caller a callback task.
    let recorded = f.store.call(1).await.unwrap().expect("the lost call's record");
    assert_eq!((recorded.outcome, recorded.arrived_at, recorded.ended_at, recorded.agent), (Outcome::Lost, t0(), at, None));
    let owed = |tasks: Vec<hotline_app::calls::CallbackTask>| tasks.into_iter().map(|t| (t.call, t.outcome)).collect::<Vec<_>>();
    assert_eq!(owed(f.store.open_callbacks(10).await.unwrap()), [(1, Outcome::Lost), (3, Outcome::Lost)]);
    // A call marked lost that ended after all (its node was only cut off
    // from the database) is not lost: its own record replaces the lost one,
    // and its caller is owed nothing more.
    f.store.insert_call(&CallRow { id: 3, outcome: Outcome::Answered, ..row.clone() }, false).await.unwrap();
    assert_eq!(f.store.calls_lost_since(at).await.unwrap(), 1);
    assert_eq!(f.store.call(3).await.unwrap().map(|c| c.outcome), Some(Outcome::Answered));
    assert_eq!(owed(f.store.open_callbacks(10).await.unwrap()), [(1, Outcome::Lost)]);
    // Once a consultant has called back, that stays on the record.
    f.store.complete_callback(1, UserId(70), at + Duration::minutes(5), "已回拨", &f.audit("cb")).await.unwrap();
    f.store.insert_call(&CallRow { id: 1, arrived_at: t0(), ..row.clone() }, true).await.unwrap();
    assert_eq!(f.store.call(1).await.unwrap().map(|c| c.outcome), Some(Outcome::Abandoned));
    assert_eq!(f.store.callback_done_by(1).await.unwrap(), Some(UserId(70)));
    assert!(f.store.open_callbacks(10).await.unwrap().is_empty(), "the done callback is not owed again");
    // A record is written once: a second writing of a call changes nothing.
    f.store.insert_call(&CallRow { id: 3, outcome: Outcome::Abandoned, ..row }, true).await.unwrap();
    assert_eq!(f.store.call(3).await.unwrap().map(|c| c.outcome), Some(Outcome::Answered));
    assert!(f.store.open_callbacks(10).await.unwrap().is_empty());
    f.finish().await;
}

/// Makes the database refuse the next `times` orders' history rows with
/// SQLSTATE 40001, as a SERIALIZABLE engine (CockroachDB, YugabyteDB) does
/// when a transaction loses a race; a sequence counts the refusals, since
/// it is not rolled back with the transaction it refused.
async fn refuse_history_rows(f: &Fixture, times: i64) {
    let mut raw = f.raw().await;
    for sql in [
        "CREATE SEQUENCE refusals".to_owned(),
        format!(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
               IF nextval('refusals') <= {times} THEN \
                 RAISE EXCEPTION 'could not serialize access due to read/write dependencies' USING ERRCODE = '40001'; \
               END IF; RETURN NEW; END $$"
        ),
        "CREATE TRIGGER refuse BEFORE INSERT ON order_history FOR EACH ROW EXECUTE FUNCTION refuse()".to_owned(),
    ] {
        raw.execute(sqlx::AssertSqlSafe(sql)).await.unwrap();
    }
}

#[tokio::test]
async fn a_write_refused_as_a_lost_race_is_tried_again_and_never_half_written() {
    let f = Fixture::new().await;
    if !f.db.is_postgres() {
        // SQLite has one writer: no transaction loses a race to another.
        return f.finish().await;
    }
    refuse_history_rows(&f, 3).await;
    // Refused three times, written whole at the fourth try.
    let d = f.new_order(1, OrderType::Complaint, t0());
    assert_eq!(f.store.insert_order(&d, &f.audit("create"), None, &[]).await.unwrap(), InsertOutcome::Inserted);
    assert_eq!(f.store.count_orders().await.unwrap(), 1);
    let order = f.store.order(d.order.id).await.unwrap().expect("stored");
    assert_eq!(f.store.history(order.id).await.unwrap().len(), 1, "its history is whole");
    f.finish().await;

    let f = Fixture::new().await;
    refuse_history_rows(&f, 50).await;
    let d = f.new_order(1, OrderType::Complaint, t0());
    let refused = f.store.insert_order(&d, &f.audit("create"), None, &[]).await.expect_err("refused every time");
    assert!(matches!(&refused, StoreError::Contention(m) if m.contains("could not serialize")), "{refused:?}");
    assert!(refused.to_string().contains("try again"), "{refused}");
    assert_eq!(f.store.count_orders().await.unwrap(), 0, "nothing of it was written");
    f.finish().await;
}

#[tokio::test]
async fn models_kept_in_the_database_are_served_newest_first_and_pruned() {
    use hotline_app::suggestions::ModelShelf;
    let f = Fixture::new().await;
    assert_eq!(f.store.latest().await.unwrap(), None);
    let missing = f.store.get("20261205T000000-1").await.expect_err("none kept");
    assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
    // Bytes of every value, a zero and invalid UTF-8 among them, read back exactly.
    let bytes: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    for version in ["20261203T010000-1", "20261205T010000-1", "20261204T010000-1"] {
        f.store.put(version, &bytes).await.unwrap();
    }
    f.store.put("20261205T010000-1", &bytes[..10]).await.unwrap();
    assert_eq!(f.store.latest().await.unwrap().as_deref(), Some("20261205T010000-1"));
    assert_eq!(f.store.get("20261205T010000-1").await.unwrap(), bytes[..10].to_vec(), "a version put again is replaced");
    assert_eq!(f.store.get("20261203T010000-1").await.unwrap(), bytes);
    f.store.prune(2).await.unwrap();
    assert!(f.store.get("20261203T010000-1").await.is_err(), "the oldest went");
    assert_eq!(f.store.get("20261204T010000-1").await.unwrap(), bytes);
    assert_eq!(f.store.latest().await.unwrap().as_deref(), Some("20261205T010000-1"));
    f.finish().await;
}

/// Copies a row of `table` with new values for some columns, through
/// PostgreSQL's own row type, so the test needs no list of columns.
async fn copy_row(raw: &mut AnyConnection, table: &str, key: &str, from: i64, set: &str) -> Result<(), sqlx::Error> {
    for sql in [
        "DROP TABLE IF EXISTS copied".to_owned(),
        format!("CREATE TEMP TABLE copied AS SELECT * FROM {table} WHERE {key} = {from}"),
        format!("UPDATE copied SET {set}"),
        format!("INSERT INTO {table} SELECT * FROM copied"),
    ] {
        raw.execute(sqlx::AssertSqlSafe(sql)).await?;
    }
    Ok(())
}

async fn partition_of(raw: &mut AnyConnection, table: &str, key: &str, id: i64) -> String {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT tableoid::regclass::TEXT FROM {table} WHERE {key} = {id}")))
        .fetch_one(raw)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_growing_tables_partition_by_month_keeping_rows_keys_and_look_ups() {
    use chrono::{Datelike, Months};
    use hotline_app::ids::first_id_at;
    let f = Fixture::new().await;
    let now = Utc::now();
    if !f.db.is_postgres() {
        let refused = f.store.partition_by_month(now, 2).await.expect_err("SQLite has no partitions");
        assert!(refused.to_string().contains("need PostgreSQL"), "{refused}");
        assert!(f.store.add_partitions(now, 2).await.unwrap().is_empty(), "nothing to keep on SQLite");
        return f.finish().await;
    }
    let old = f.insert(1, OrderType::Complaint, t0()).await;
    let before = f.store.row_counts().await.unwrap();
    let report = f.store.partition_by_month(now, 2).await.unwrap();
    // A template partitioned already (HOTLINE_TEST_PARTITIONED) has nothing to convert.
    let tables = ["work_orders", "order_history", "audit_log", "calls"];
    assert!(report.converted == tables || report.converted.is_empty(), "{report:?}");
    assert_eq!(f.store.row_counts().await.unwrap(), before, "no row moved or lost; a partitioned table's rows counted once");
    assert_eq!(f.store.partition_by_month(now, 2).await.unwrap(), Default::default(), "a second run changes nothing");

    let this_month = Utc.with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0).unwrap();
    let month = |n: u32| this_month.checked_add_months(Months::new(n)).unwrap();
    let partitions = f.store.partitions().await.unwrap();
    for table in tables {
        let mine: Vec<_> = partitions.iter().filter(|p| p.table == table).collect();
        assert_eq!(mine[0].from, None, "{table}: the table as it was holds everything before the months");
        assert!(mine.windows(2).all(|w| w[0].to == w[1].from), "{table}: the months follow without a gap: {mine:?}");
        assert!(mine.last().unwrap().to >= Some(month(3)), "{table}: two months ahead are ready: {mine:?}");
    }

    // The order written before reads back as it was, by id and by number.
    assert_eq!(f.store.order(old.id).await.unwrap().as_ref(), Some(&old));
    assert_eq!(f.store.order_id(&old.number).await.unwrap(), Some(old.id));

    // A row made next month goes to next month's partition, its history
    // with it; foreign keys still hold.
    let mut raw = f.raw().await;
    let next = first_id_at(month(1) + Duration::days(3));
    copy_row(&mut raw, "work_orders", "id", old.id.0, &format!("id = {next}, number = 'DG20990101000001'")).await.unwrap();
    copy_row(&mut raw, "order_history", "order_id", old.id.0, &format!("order_id = {next}")).await.unwrap();
    let label = month(1).format("%Y%m");
    assert_eq!(partition_of(&mut raw, "work_orders", "id", next).await, format!("work_orders_{label}"));
    assert_eq!(partition_of(&mut raw, "order_history", "order_id", next).await, format!("order_history_{label}"));
    let moved = f.store.order(OrderId(next)).await.unwrap().expect("the order of next month");
    assert_eq!((moved.subject, moved.number.as_str()), (old.subject.clone(), "DG20990101000001"));
    let orphan = copy_row(&mut raw, "order_history", "order_id", old.id.0, &format!("order_id = {}", next + 1)).await;
    assert!(orphan.unwrap_err().to_string().contains("foreign key"), "history needs its order");
    // Numbers stay unique within a month's partition.
    let twice = copy_row(&mut raw, "work_orders", "id", next, &format!("id = {}", next + 2)).await;
    assert!(twice.unwrap_err().to_string().contains("duplicate key"), "one number once a month");

    // Beyond the months made a row is refused, until the months ahead are kept.
    let far = first_id_at(month(4) + Duration::days(1));
    let refused = copy_row(&mut raw, "work_orders", "id", old.id.0, &format!("id = {far}, number = 'DG20990401000001'")).await;
    assert!(refused.unwrap_err().to_string().contains("no partition"), "a row beyond the months made");
    // Next month, three ahead: the months up to the fourth from now for each table.
    let made = f.store.add_partitions(month(1) + Duration::days(3), 3).await.unwrap();
    let expected: Vec<String> = tables
        .iter()
        .flat_map(|t| [3, 4].map(|n| format!("{t}_{}", month(n).format("%Y%m"))))
        .filter(|name| partitions.iter().all(|p| &p.name != name))
        .collect();
    assert!(expected.iter().any(|name| name.ends_with(&month(4).format("%Y%m").to_string())), "{expected:?}");
    assert_eq!(made, expected);
    copy_row(&mut raw, "work_orders", "id", old.id.0, &format!("id = {far}, number = 'DG20990401000001'")).await.unwrap();
    let same = copy_row(&mut raw, "work_orders", "id", far, &format!("id = {}", far + 1)).await;
    assert!(same.unwrap_err().to_string().contains("duplicate key"), "the new month keeps numbers unique too");
    raw.close().await.unwrap();

    // Six makers of the same months at once (nodes, an operator): each
    // month is made once, by one of them, and none fails.
    let makers: Vec<SqlStore> = futures_util::future::join_all((0..6).map(|_| f.db.store())).await;
    let at = month(1) + Duration::days(3);
    let made = futures_util::future::join_all(makers.iter().map(|m| m.add_partitions(at, 6))).await;
    let mut all: Vec<String> = made.into_iter().flat_map(|m| m.expect("every maker succeeds")).collect();
    all.sort();
    let expected: Vec<String> = {
        let mut e: Vec<String> = tables.iter().flat_map(|t| [5, 6, 7].map(|n| format!("{t}_{}", month(n).format("%Y%m")))).collect();
        e.sort();
        e
    };
    assert_eq!(all, expected, "each month made once");
    for m in makers {
        m.close().await;
    }
    f.finish().await;
}

#[tokio::test]
async fn generic_plans_are_kept_when_asked_for_on_postgresql() {
    let f = Fixture::new().await;
    let options = |generic_plans| hotline_store_sql::StoreOptions { max_connections: 2, generic_plans, ..Default::default() };
    let generic = SqlStore::connect(&f.db.url, options(true)).await.unwrap();
    let plain = SqlStore::connect(&f.db.url, options(false)).await.unwrap();
    if f.db.is_postgres() {
        assert_eq!(generic.pg_setting("plan_cache_mode").await.unwrap(), "force_generic_plan");
        assert_eq!(plain.pg_setting("plan_cache_mode").await.unwrap(), "auto");
    } else {
        // SQLite plans each statement once anyway: nothing to set.
        assert!(generic.pg_setting("plan_cache_mode").await.is_err());
    }
    // Either way the store works as before.
    let order = f.insert(1, OrderType::Complaint, t0()).await;
    assert_eq!(generic.order(order.id).await.unwrap().map(|o| o.number), Some(order.number));
    generic.close().await;
    plain.close().await;
    f.finish().await;
}

#[tokio::test]
async fn tables_grown_since_their_statistics_are_analyzed_once() {
    let f = Fixture::new().await;
    if !f.db.is_postgres() {
        assert_eq!(f.store.refresh_statistics().await.unwrap(), Vec::<String>::new(), "SQLite: the server leaves them alone");
        return f.finish().await;
    }
    let mut raw = f.raw().await;
    // Where autovacuum runs it would analyze first (the server steps in
    // behind it). The tables hold the rows, or their monthly partitions do.
    let holding: Vec<String> = sqlx::query_scalar(
        "SELECT format('%I', c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = current_schema() AND c.relkind = 'r' \
           AND (c.relname LIKE 'work_orders%' OR c.relname LIKE 'order_history%')",
    )
    .fetch_all(&mut raw)
    .await
    .unwrap();
    for table in holding {
        raw.execute(sqlx::AssertSqlSafe(format!("ALTER TABLE {table} SET (autovacuum_enabled = false)"))).await.unwrap();
    }
    // A fresh table was never analyzed: more than 100 changes put it behind.
    for seq in 1..=120 {
        f.insert(seq, OrderType::Complaint, t0()).await;
    }
    let last_analyzed = "SELECT COUNT(last_analyze) FROM pg_stat_user_tables WHERE relname LIKE 'work_orders%'";
    assert_eq!(sqlx::query_scalar::<_, i64>(last_analyzed).fetch_one(&mut raw).await.unwrap(), 0);
    // A connection left idle hands its counts to the statistics within ten
    // seconds (PostgreSQL's `PGSTAT_IDLE_INTERVAL`), not always every table's
    // in the same flush: what each look analyzed is gathered.
    let both = |analyzed: &[String]| [".work_orders", ".order_history"].iter().all(|t| analyzed.iter().any(|a| a.contains(t)));
    let mut refreshed = Vec::new();
    for _ in 0..120 {
        refreshed.extend(f.store.refresh_statistics().await.unwrap());
        if both(&refreshed) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(refreshed.iter().any(|t| t.contains(".work_orders")), "work_orders analyzed, got {refreshed:?}");
    assert!(refreshed.iter().any(|t| t.contains(".order_history")), "its history with it, got {refreshed:?}");
    assert_eq!(sqlx::query_scalar::<_, i64>(last_analyzed).fetch_one(&mut raw).await.unwrap(), 1);
    let again = f.store.refresh_statistics().await.unwrap();
    assert!(!again.iter().any(|t| t.contains(".work_orders")), "nothing changed since: not again, got {again:?}");
    raw.close().await.unwrap();
    f.finish().await;
}
