//! Group commit for registrations and decisions.
//!
//! Writes arriving together go in one transaction with multi-row
//! statements: on SQLite the single writer makes a few round trips for a
//! whole batch instead of several per order, on PostgreSQL one commit (one
//! WAL flush) serves the batch and its inserts are one statement
//! (`sql::Inserts`). A write never waits for a batch to fill:
//! the writer takes whatever is queued when it becomes free.
//!
//! Registrations claim their idempotency keys first, with `ON CONFLICT DO
//! NOTHING RETURNING`; one whose key was already taken is answered with the
//! existing order and writes nothing. A decision whose order changed since
//! it was read is answered with the current version and writes nothing
//! (`decisions.rs`). A batch the database refused as a lost race
//! (serialization failure, deadlock) is tried again whole, a few times, and
//! one that failed with a database error once, on a tested connection (the
//! writer's is not tested before each batch). If a batch still fails, each
//! of its jobs is retried alone, so every caller gets its own outcome and
//! one bad row never fails its neighbours.

use crate::codec::{Get, micros};
use crate::decisions::{Change, write_changes};
use crate::orders::write_new_orders;
use crate::sql::{Inserts, Val, insert_rows};
use crate::{Backend, OrBackend};
use hotline_app::ports::{AuditRecord, IdempotencyClaim, InsertOutcome, Outbox, SmsMessage, StoreError, StoreResult};
use hotline_domain::{Decision, HistoryEntry, OrderId, UserId, WorkOrder};
use sqlx::any::AnyPoolOptions;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Connection};
use std::collections::HashSet;
use tokio::sync::{mpsc, oneshot};

/// Most jobs in one transaction.
const MAX_BATCH: usize = 128;
/// Tries of a batch the database refused as a lost race (40001, 40P01)
/// before its callers are told to try again themselves.
const CONTENTION_TRIES: u32 = 5;
/// A batch that took longer is logged: every writer waits behind it.
const SLOW_BATCH: std::time::Duration = std::time::Duration::from_secs(1);

enum Job {
    Insert {
        decision: Decision,
        audit: AuditRecord,
        claim: Option<IdempotencyClaim>,
        texts: Vec<SmsMessage>,
        reply: oneshot::Sender<StoreResult<InsertOutcome>>,
    },
    Save {
        expected_version: i64,
        decision: Decision,
        also: Option<HistoryEntry>,
        audit: AuditRecord,
        outbox: Outbox,
        reply: oneshot::Sender<StoreResult<()>>,
    },
}

/// What a job came to, before it is sent to its caller.
enum Outcome {
    Insert(StoreResult<InsertOutcome>),
    Save(StoreResult<()>),
}

impl Job {
    fn answer(self, outcome: Outcome) {
        // The caller may have gone (request cancelled); the write stands.
        match (self, outcome) {
            (Job::Insert { reply, .. }, Outcome::Insert(o)) => {
                let _ = reply.send(o);
            }
            (Job::Save { reply, .. }, Outcome::Save(o)) => {
                let _ = reply.send(o);
            }
            // Outcomes are made in the jobs' order, kind for kind.
            (job, _) => job.fail(StoreError::Backend("a write was answered with another kind's outcome".into())),
        }
    }

    fn fail(self, e: StoreError) {
        match self {
            Job::Insert { reply, .. } => {
                let _ = reply.send(Err(e));
            }
            Job::Save { reply, .. } => {
                let _ = reply.send(Err(e));
            }
        }
    }
}

pub(crate) struct Writer {
    queue: mpsc::Sender<Job>,
    /// The connection of a writer on its own thread.
    own: Option<AnyPool>,
}

fn stopped() -> StoreError {
    StoreError::Backend("the database writer has stopped".into())
}

impl Writer {
    /// A writer on a thread of its own, with a single-threaded runtime.
    /// Every registration and decision of the node waits for it, one batch
    /// at a time, and a batch is several round trips to the database: on
    /// the server's runtime each answer from the database waited for a
    /// worker free of the request handlers, and the writer was busy 98 % of
    /// the time while the machine's cores were a fifth idle
    /// (`docs/benchmarks.md`). Its connection is its own (PostgreSQL) or
    /// the store's one write connection, shared with the store's other
    /// writes (SQLite); the pool's test of a connection given back then
    /// runs on the writer's thread too.
    pub(crate) async fn on_own_thread(to: Connect, backend: Backend) -> StoreResult<Self> {
        let (queue, jobs) = mpsc::channel(4 * MAX_BATCH);
        let (ready, connected) = oneshot::channel();
        std::thread::Builder::new()
            .name("hotline-db-writer".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = ready.send(Err(StoreError::Backend(format!("the database writer's runtime: {e}"))));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let link = match to {
                        Connect::Own(options, url) => {
                            options.connect(&url).await.or_backend().map(|pool| (Link::kept(pool.clone()), Some(pool)))
                        }
                        Connect::Shared(pool) => Ok((Link::lent(pool), None)),
                    };
                    match link {
                        Ok((link, own)) => {
                            let _ = ready.send(Ok(own));
                            run(link, backend, jobs).await;
                        }
                        Err(e) => {
                            let _ = ready.send(Err(e));
                        }
                    }
                });
            })
            .map_err(|e| StoreError::Backend(format!("the database writer's thread: {e}")))?;
        let own = connected.await.map_err(|_| stopped())??;
        Ok(Self { queue, own })
    }

    /// Closes the writer's own connection; writes after it fail.
    pub(crate) async fn close(&self) {
        if let Some(own) = &self.own {
            own.close().await;
        }
    }

    pub(crate) async fn insert(
        &self,
        decision: Decision,
        audit: AuditRecord,
        claim: Option<IdempotencyClaim>,
        texts: Vec<SmsMessage>,
    ) -> StoreResult<InsertOutcome> {
        let (reply, answer) = oneshot::channel();
        self.queue.send(Job::Insert { decision, audit, claim, texts, reply }).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    pub(crate) async fn save(
        &self,
        expected_version: i64,
        decision: Decision,
        also: Option<HistoryEntry>,
        audit: AuditRecord,
        outbox: Outbox,
    ) -> StoreResult<()> {
        let (reply, answer) = oneshot::channel();
        self.queue.send(Job::Save { expected_version, decision, also, audit, outbox, reply }).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// Where the writer's connection comes from.
pub(crate) enum Connect {
    /// A pool of its own, connected on the writer's thread: options and URL.
    Own(AnyPoolOptions, String),
    /// A pool shared with the store's other writes.
    Shared(AnyPool),
}

/// How long a writer sharing its pool keeps the connection while writes
/// are queued: then it gives it back, and the pool, serving in turn, lends
/// it to the store's other writes waiting for it (screening's alerts, the
/// audit sealer) before the writer's next batch.
const SHARE_AFTER: std::time::Duration = std::time::Duration::from_millis(20);

/// The writer's connection. Taken from its pool for each batch, it costs
/// the batch two round trips more (the pool's test of a connection it
/// hands out, and of one it takes back, which the next batch waits for):
/// on SQLite, a tenth to a quarter of the writer's time under load. So a
/// writer keeps it while writes are queued; one sharing its pool with the
/// store's other writes (SQLite's one write connection) at most for
/// [`SHARE_AFTER`].
struct Link {
    pool: AnyPool,
    shared: bool,
    held: Option<(PoolConnection<Any>, std::time::Instant)>,
}

impl Link {
    fn kept(pool: AnyPool) -> Self {
        Self { pool, shared: false, held: None }
    }

    fn lent(pool: AnyPool) -> Self {
        Self { pool, shared: true, held: None }
    }

    async fn connection(&mut self) -> StoreResult<&mut AnyConnection> {
        let held = match self.held.take() {
            Some(held) => held,
            None => (self.pool.acquire().await.or_backend()?, std::time::Instant::now()),
        };
        Ok(&mut *self.held.insert(held).0)
    }

    /// Gives the connection back: the pool tests it and replaces it if it
    /// is broken, and rolls back a transaction it left open.
    fn give_back(&mut self) {
        self.held = None;
    }

    /// After a batch: the connection goes back when no write waits, or
    /// when it is shared and was held for [`SHARE_AFTER`].
    fn after_batch(&mut self, more: bool) {
        let lent_long = self.shared && self.held.as_ref().is_some_and(|(_, since)| since.elapsed() >= SHARE_AFTER);
        if !more || lent_long {
            self.give_back();
        }
    }
}

async fn run(mut link: Link, backend: Backend, mut jobs: mpsc::Receiver<Job>) {
    while let Some(first) = jobs.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let started = std::time::Instant::now();
        let outcomes = match write_retrying(&mut link, backend, &batch).await {
            Ok(outcomes) => outcomes,
            Err(e) if batch.len() == 1 => vec![failed(&batch[0], e)],
            Err(_) => {
                let mut each = Vec::with_capacity(batch.len());
                for job in &batch {
                    each.push(match write_retrying(&mut link, backend, std::slice::from_ref(job)).await {
                        Ok(mut o) => o.remove(0),
                        Err(e) => failed(job, e),
                    });
                }
                each
            }
        };
        if started.elapsed() > SLOW_BATCH {
            tracing::warn!(jobs = batch.len(), elapsed_ms = started.elapsed().as_millis() as u64, "a write batch was slow");
        }
        for (job, outcome) in batch.into_iter().zip(outcomes) {
            job.answer(outcome);
        }
        link.after_batch(!jobs.is_empty());
    }
}

fn failed(job: &Job, e: StoreError) -> Outcome {
    match job {
        Job::Insert { .. } => Outcome::Insert(Err(e)),
        Job::Save { .. } => Outcome::Save(Err(e)),
    }
}

/// [`write`], tried again when the database could not order the
/// transaction beside another (each try is a whole new transaction, so a
/// retry writes everything or nothing again). Idle waits grow from 5 ms.
async fn write_retrying(link: &mut Link, backend: Backend, batch: &[Job]) -> StoreResult<Vec<Outcome>> {
    let mut wait = std::time::Duration::from_millis(5);
    let mut stale_tried = false;
    for attempt in 1.. {
        let written = match link.connection().await {
            Ok(conn) => write(conn, backend, batch).await,
            Err(e) => Err(e),
        };
        if written.is_err() {
            link.give_back();
        }
        match written {
            // Connections are not tested before each batch: one the
            // database dropped (a restart) fails it. Once more on one from
            // the pool, which tests the one given back and replaces it.
            Err(StoreError::Backend(why)) if !stale_tried => {
                tracing::debug!(jobs = batch.len(), %why, "a write batch failed; trying it once more on a tested connection");
                stale_tried = true;
            }
            Err(StoreError::Contention(why)) if attempt < CONTENTION_TRIES => {
                tracing::debug!(attempt, jobs = batch.len(), %why, "a write batch lost a race in the database; trying again");
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            result => return result,
        }
    }
    unreachable!("the loop returns")
}

/// Writes one batch in one transaction; one outcome per job, in order.
async fn write(conn: &mut AnyConnection, backend: Backend, batch: &[Job]) -> StoreResult<Vec<Outcome>> {
    let mut tx = conn.begin().await.or_backend()?;
    let inserted = insert(&mut tx, backend, batch).await?;
    let changes: Vec<Change<'_>> = batch
        .iter()
        .filter_map(|job| match job {
            Job::Save { expected_version, decision, also, audit, outbox, .. } => {
                Some(Change { expected_version: *expected_version, decision, also: also.as_ref(), audit, outbox })
            }
            Job::Insert { .. } => None,
        })
        .collect();
    let saved = if changes.is_empty() { Vec::new() } else { write_changes(&mut tx, backend, &changes).await? };
    tx.commit().await.or_backend()?;
    let (mut inserted, mut saved) = (inserted.into_iter(), saved.into_iter());
    Ok(batch
        .iter()
        .map(|job| match job {
            Job::Insert { .. } => Outcome::Insert(inserted.next().map_or_else(|| Err(stopped()), Ok)),
            Job::Save { .. } => Outcome::Save(saved.next().unwrap_or_else(|| Err(stopped()))),
        })
        .collect())
}

/// Writes the batch's registrations; one outcome per registration, in order.
async fn insert(tx: &mut AnyConnection, backend: Backend, batch: &[Job]) -> StoreResult<Vec<InsertOutcome>> {
    let registrations: Vec<(&Decision, &AuditRecord, Option<&IdempotencyClaim>)> = batch
        .iter()
        .filter_map(|job| match job {
            Job::Insert { decision, audit, claim, .. } => Some((decision, audit, claim.as_ref())),
            Job::Save { .. } => None,
        })
        .collect();
    let texts: Vec<&[SmsMessage]> = batch
        .iter()
        .filter_map(|job| match job {
            Job::Insert { texts, .. } => Some(texts.as_slice()),
            Job::Save { .. } => None,
        })
        .collect();
    if registrations.is_empty() {
        return Ok(Vec::new());
    }
    let taken = claim_keys(tx, backend, &registrations).await?;
    let mut outcomes = Vec::with_capacity(registrations.len());
    let mut fresh: Vec<(&WorkOrder, &[HistoryEntry], &[hotline_domain::watch::Timer])> = Vec::with_capacity(registrations.len());
    let mut audits: Vec<&AuditRecord> = Vec::with_capacity(registrations.len());
    let mut queued: Vec<Vec<Val>> = Vec::new();
    for ((decision, audit, claim), texts) in registrations.iter().zip(texts) {
        match claim {
            Some(claim) if !taken.contains(&(claim.user, claim.key.clone(), decision.order.id)) => {
                let row = sqlx::query("SELECT order_id, request_hash FROM idempotency_keys WHERE user_id = $1 AND key = $2")
                    .bind(claim.user.0)
                    .bind(claim.key.as_str())
                    .fetch_one(&mut *tx)
                    .await
                    .or_backend()?;
                outcomes.push(InsertOutcome::Replay { order: OrderId(row.int("order_id")?), request_hash: row.text("request_hash")? });
            }
            _ => {
                fresh.push((&decision.order, std::slice::from_ref(&decision.entry), decision.timers.as_slice()));
                audits.push(audit);
                queued.extend(texts.iter().map(crate::sms::sms_row));
                outcomes.push(InsertOutcome::Inserted);
            }
        }
    }
    let mut texts = Inserts::default();
    texts.add(crate::sms::SMS_HEAD, crate::sms::SMS_WIDTH, queued, "");
    write_new_orders(tx, backend, &fresh, &audits, texts).await?;
    Ok(outcomes)
}

/// Claims the batch's idempotency keys; returns the claims that were new
/// (user, key, the order that claimed it).
async fn claim_keys(
    tx: &mut AnyConnection,
    backend: Backend,
    registrations: &[(&Decision, &AuditRecord, Option<&IdempotencyClaim>)],
) -> StoreResult<HashSet<(UserId, String, OrderId)>> {
    let rows: Vec<Vec<Val>> = registrations
        .iter()
        .filter_map(|(decision, _, claim)| {
            claim.map(|c| {
                vec![
                    Val::from(c.user.0),
                    c.key.as_str().into(),
                    c.request_hash.as_str().into(),
                    decision.order.id.0.into(),
                    micros(decision.order.created_at).into(),
                ]
            })
        })
        .collect();
    if rows.is_empty() {
        return Ok(HashSet::new());
    }
    let head = "idempotency_keys (user_id, key, request_hash, order_id, created_at)";
    let tail = " ON CONFLICT (user_id, key) DO NOTHING RETURNING user_id, key, order_id";
    insert_rows(tx, backend, head, 5, rows, tail)
        .await?
        .iter()
        .map(|row| Ok((UserId(row.int("user_id")?), row.text("key")?, OrderId(row.int("order_id")?))))
        .collect()
}
