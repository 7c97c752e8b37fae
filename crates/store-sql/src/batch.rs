//! Group commit for registrations.
//!
//! Registrations arriving together are written in one transaction with
//! multi-row inserts: on SQLite the single writer makes five round trips for
//! a whole batch instead of six per order, on PostgreSQL one commit (one
//! WAL flush) serves the batch. A registration never waits for a batch to
//! fill: the writer takes whatever is queued when it becomes free.
//!
//! Idempotency keys are claimed first, with `ON CONFLICT DO NOTHING
//! RETURNING`; a registration whose key was already taken is answered with
//! the existing order and writes nothing. If a batch fails, each of its
//! registrations is retried alone, so every caller gets its own outcome and
//! one bad row never fails its neighbours.

use crate::codec::{Get, micros};
use crate::orders::{Val, insert_rows, write_new_orders};
use crate::{Backend, OrBackend};
use hotline_app::ports::{AuditRecord, IdempotencyClaim, InsertOutcome, StoreError, StoreResult};
use hotline_domain::{Decision, HistoryEntry, OrderId, UserId, WorkOrder};
use sqlx::{AnyConnection, AnyPool};
use std::collections::HashSet;
use tokio::sync::{mpsc, oneshot};

/// Most registrations in one transaction.
const MAX_BATCH: usize = 128;

struct Job {
    decision: Decision,
    audit: AuditRecord,
    claim: Option<IdempotencyClaim>,
    reply: oneshot::Sender<StoreResult<InsertOutcome>>,
}

pub(crate) struct Inserter {
    queue: mpsc::Sender<Job>,
}

impl Inserter {
    pub(crate) fn spawn(pool: AnyPool, backend: Backend) -> Self {
        let (queue, jobs) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(run(pool, backend, jobs));
        Self { queue }
    }

    pub(crate) async fn insert(
        &self,
        decision: Decision,
        audit: AuditRecord,
        claim: Option<IdempotencyClaim>,
    ) -> StoreResult<InsertOutcome> {
        let (reply, answer) = oneshot::channel();
        let stopped = || StoreError::Backend("the database writer has stopped".into());
        self.queue.send(Job { decision, audit, claim, reply }).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn run(pool: AnyPool, backend: Backend, mut jobs: mpsc::Receiver<Job>) {
    while let Some(first) = jobs.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let outcomes = match write(&pool, backend, &batch).await {
            Ok(outcomes) => outcomes.into_iter().map(Ok).collect(),
            Err(e) if batch.len() == 1 => vec![Err(e)],
            Err(_) => {
                let mut each = Vec::with_capacity(batch.len());
                for job in &batch {
                    each.push(write(&pool, backend, std::slice::from_ref(job)).await.map(|mut o| o.remove(0)));
                }
                each
            }
        };
        for (job, outcome) in batch.into_iter().zip(outcomes) {
            // The caller may have gone (request cancelled); the write stands.
            let _ = job.reply.send(outcome);
        }
    }
}

/// Writes one batch in one transaction; one outcome per job, in order.
async fn write(pool: &AnyPool, backend: Backend, batch: &[Job]) -> StoreResult<Vec<InsertOutcome>> {
    let mut tx = pool.begin().await.or_backend()?;
    let taken = claim_keys(&mut tx, backend, batch).await?;
    let mut outcomes = Vec::with_capacity(batch.len());
    let mut fresh: Vec<(&WorkOrder, &[HistoryEntry], &[hotline_domain::watch::Timer])> = Vec::with_capacity(batch.len());
    let mut audits: Vec<&AuditRecord> = Vec::with_capacity(batch.len());
    for job in batch {
        match &job.claim {
            Some(claim) if !taken.contains(&(claim.user, claim.key.clone(), job.decision.order.id)) => {
                let row = sqlx::query("SELECT order_id, request_hash FROM idempotency_keys WHERE user_id = $1 AND key = $2")
                    .bind(claim.user.0)
                    .bind(claim.key.as_str())
                    .fetch_one(&mut *tx)
                    .await
                    .or_backend()?;
                outcomes.push(InsertOutcome::Replay { order: OrderId(row.int("order_id")?), request_hash: row.text("request_hash")? });
            }
            _ => {
                fresh.push((&job.decision.order, std::slice::from_ref(&job.decision.entry), job.decision.timers.as_slice()));
                audits.push(&job.audit);
                outcomes.push(InsertOutcome::Inserted);
            }
        }
    }
    write_new_orders(&mut tx, backend, &fresh, &audits).await?;
    tx.commit().await.or_backend()?;
    Ok(outcomes)
}

/// Claims the batch's idempotency keys; returns the claims that were new
/// (user, key, the order that claimed it).
async fn claim_keys(tx: &mut AnyConnection, backend: Backend, batch: &[Job]) -> StoreResult<HashSet<(UserId, String, OrderId)>> {
    let rows: Vec<Vec<Val>> = batch
        .iter()
        .filter_map(|job| {
            job.claim.as_ref().map(|c| {
                vec![
                    Val::from(c.user.0),
                    c.key.as_str().into(),
                    c.request_hash.as_str().into(),
                    job.decision.order.id.0.into(),
                    micros(job.decision.order.created_at).into(),
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
