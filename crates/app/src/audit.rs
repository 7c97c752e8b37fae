//! The audit log: every change and every read of personal data, append-only
//! and hash-chained.
//!
//! Records are written inside the transaction of the change they describe,
//! without a hash, so concurrent writers never queue behind one another.
//! A sealer (one at a time, guarded by a row lock on the chain head) then
//! appends them to the chain in id order: `hash = SHA-256(previous hash,
//! seq, id, time, actor, action, target, detail)`. `hotline audit verify`
//! recomputes the chain; any edited, removed or reordered sealed record
//! breaks it.

use crate::clock::Clock;
use crate::error::AppResult;
use crate::ids::IdGenerator;
use crate::ports::{AuditRecord, AuditStore};
use hotline_domain::UserId;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The hash before the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The chain link of `record` at position `seq` after `previous`.
pub fn chain_hash(previous: &str, seq: i64, record: &AuditRecord) -> String {
    let mut h = Sha256::new();
    for part in [
        previous.as_bytes(),
        seq.to_string().as_bytes(),
        record.id.to_string().as_bytes(),
        record.at.timestamp_micros().to_string().as_bytes(),
        record.actor.map(|a| a.0.to_string()).unwrap_or_default().as_bytes(),
        record.action.as_bytes(),
        record.target.as_bytes(),
        record.detail.as_bytes(),
    ] {
        // Length-prefixed, so moving bytes between fields changes the hash.
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    hex::encode(h.finalize())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Records checked on the chain.
    pub sealed: i64,
    /// Records written but not yet sealed.
    pub pending: i64,
    /// The first problem found, if any.
    pub problem: Option<String>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.problem.is_none()
    }
}

pub struct Auditor {
    store: Arc<dyn AuditStore>,
    ids: Arc<IdGenerator>,
    clock: Arc<dyn Clock>,
}

impl Auditor {
    pub fn new(store: Arc<dyn AuditStore>, ids: Arc<IdGenerator>, clock: Arc<dyn Clock>) -> Self {
        Self { store, ids, clock }
    }

    /// A record to write with a change.
    pub fn record(&self, actor: Option<UserId>, action: &str, target: impl Into<String>, detail: serde_json::Value) -> AuditRecord {
        AuditRecord {
            id: self.ids.next(),
            at: self.clock.now(),
            actor,
            action: action.to_owned(),
            target: target.into(),
            detail: detail.to_string(),
        }
    }

    /// Writes a record on its own: logins, reads of personal data.
    pub async fn append(&self, actor: Option<UserId>, action: &str, target: impl Into<String>, detail: serde_json::Value) -> AppResult<()> {
        let record = self.record(actor, action, target, detail);
        self.store.append_audit(&record).await?;
        Ok(())
    }

    /// Seals everything pending; returns how many records were sealed.
    pub async fn seal_all(&self) -> AppResult<u64> {
        let mut total = 0;
        loop {
            let n = self.store.seal_audit(2_000).await?;
            total += n;
            if n == 0 {
                return Ok(total);
            }
        }
    }

    /// Recomputes the whole chain.
    pub async fn verify(&self) -> AppResult<VerifyReport> {
        let pending = self.store.unsealed_audit().await?;
        let mut previous = GENESIS.to_owned();
        let mut expected_seq = 1;
        loop {
            let page = self.store.audit_chain(expected_seq - 1, 2_000).await?;
            if page.is_empty() {
                break;
            }
            for entry in page {
                let seq = entry.seq.unwrap_or_default();
                let broken = |why: String| VerifyReport { sealed: expected_seq - 1, pending, problem: Some(why) };
                if seq != expected_seq {
                    return Ok(broken(format!("record {expected_seq} is missing (the next one is {seq})")));
                }
                let hash = chain_hash(&previous, seq, &entry.record);
                if entry.hash.as_deref() != Some(hash.as_str()) {
                    return Ok(broken(format!("record {seq} (audit id {}) was altered: its hash does not match", entry.record.id)));
                }
                previous = hash;
                expected_seq += 1;
            }
        }
        let head = self.store.audit_head().await?;
        let sealed = expected_seq - 1;
        let problem = (head.seq != sealed || head.hash != previous)
            .then(|| format!("the chain head says {} records but {sealed} were found: records were removed from the end", head.seq));
        Ok(VerifyReport { sealed, pending, problem })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn every_field_is_bound_into_the_hash() {
        let record = AuditRecord {
            id: 7,
            at: Utc::now(),
            actor: Some(UserId(3)),
            action: "work_order.dispatch".into(),
            target: "DG20261128000001".into(),
            detail: "{}".into(),
        };
        let h = chain_hash(GENESIS, 1, &record);
        assert_eq!(h.len(), 64);
        assert_ne!(h, chain_hash(GENESIS, 2, &record));
        assert_ne!(h, chain_hash(&h, 1, &record));
        for changed in [
            AuditRecord { actor: None, ..record.clone() },
            AuditRecord { action: "work_order.dispatc".into(), target: "hDG20261128000001".into(), ..record.clone() },
            AuditRecord { detail: "{ }".into(), ..record.clone() },
        ] {
            assert_ne!(h, chain_hash(GENESIS, 1, &changed));
        }
    }
}
