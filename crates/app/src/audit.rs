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
//!
//! Whoever can write to the database could still recompute the chain after
//! an edit, cut its end and rewind the head, or insert a row for the sealer
//! to chain. Two anchors outside the database stop that: every record
//! carries a MAC made with the audit key (a file beside the data, never in
//! the database), so a record the application did not write is refused;
//! and the sealer writes signed checkpoints (the chain's length and head
//! hash) to a log outside the database and to the server log, so a chain
//! shorter than its newest checkpoint is refused.

use crate::clock::Clock;
use crate::error::{AppError, AppResult};
use crate::ids::IdGenerator;
use crate::ports::{AuditRecord, AuditStore};
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use hotline_domain::UserId;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};

/// The key that authenticates audit records and checkpoints. It lives
/// outside the database (`audit.key_file`), so a database administrator
/// cannot forge what it signs.
#[derive(Clone, PartialEq, Eq)]
pub struct AuditKey([u8; 32]);

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(***)")
    }
}

impl AuditKey {
    pub fn random() -> AppResult<Self> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| AppError::Unavailable(format!("no randomness for an audit key: {e}")))?;
        Ok(Self(bytes))
    }

    /// The key from its file's text: 64 hexadecimal digits.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bytes = hex::decode(text.trim()).map_err(|e| format!("the audit key is not hexadecimal: {e}"))?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| format!("the audit key has {} bytes, not 32", b.len()))?;
        Ok(Self(bytes))
    }

    /// The text of its file.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    fn mac(&self, parts: &[&[u8]]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes any key length");
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        hex::encode(mac.finalize().into_bytes())
    }

    /// The MAC of a record's fields, as its insert path writes it.
    pub fn record_mac(&self, record: &AuditRecord) -> String {
        let fields = record_fields(record);
        self.mac(&fields.each_ref().map(Vec::as_slice))
    }

    fn checkpoint_mac(&self, c: &Checkpoint) -> String {
        self.mac(&[
            b"checkpoint",
            c.seq.to_string().as_bytes(),
            c.hash.as_bytes(),
            c.legacy_until.to_string().as_bytes(),
            c.at.timestamp_micros().to_string().as_bytes(),
        ])
    }
}

/// The chain's length and head at a moment, signed with the audit key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    /// The chain head's boundary of records without a MAC, signed so that
    /// raising it in the database is noticed.
    pub legacy_until: i64,
    pub at: DateTime<Utc>,
    pub mac: String,
}

/// Where checkpoints are kept, outside the database: one JSON line each.
#[async_trait::async_trait]
pub trait CheckpointLog: Send + Sync {
    async fn append(&self, line: &str) -> std::io::Result<()>;
    /// The last `n` lines, oldest first.
    async fn last_lines(&self, n: usize) -> std::io::Result<Vec<String>>;
}

/// The audit key and the checkpoint log, handed to `App::new`.
#[derive(Clone)]
pub struct AuditAnchor {
    pub key: AuditKey,
    pub checkpoints: Arc<dyn CheckpointLog>,
}

/// How often the sealer writes a checkpoint while records keep coming.
pub const CHECKPOINT_EVERY: Duration = Duration::seconds(60);

/// Records sealed in one transaction.
const SEAL_BATCH: u32 = 2_000;

/// The hash before the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A record's fields in the order the chain and the MAC bind them.
fn record_fields(r: &AuditRecord) -> [Vec<u8>; 6] {
    [
        r.id.to_string().into_bytes(),
        r.at.timestamp_micros().to_string().into_bytes(),
        r.actor.map(|a| a.0.to_string()).unwrap_or_default().into_bytes(),
        r.action.clone().into_bytes(),
        r.target.clone().into_bytes(),
        r.detail.clone().into_bytes(),
    ]
}

/// The chain link of `record` at position `seq` after `previous`.
pub fn chain_hash(previous: &str, seq: i64, record: &AuditRecord) -> String {
    let mut h = Sha256::new();
    let seq = seq.to_string();
    let fields = record_fields(record);
    for part in [previous.as_bytes(), seq.as_bytes()].into_iter().chain(fields.iter().map(Vec::as_slice)) {
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
    /// The newest checkpoint's length, which the chain reached.
    pub checkpoint: Option<i64>,
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
    anchor: AuditAnchor,
    last_checkpoint: Mutex<Option<DateTime<Utc>>>,
}

impl Auditor {
    pub fn new(store: Arc<dyn AuditStore>, ids: Arc<IdGenerator>, clock: Arc<dyn Clock>, anchor: AuditAnchor) -> Self {
        Self { store, ids, clock, anchor, last_checkpoint: Mutex::new(None) }
    }

    /// A record to write with a change.
    pub fn record(&self, actor: Option<UserId>, action: &str, target: impl Into<String>, detail: serde_json::Value) -> AuditRecord {
        let mut record = AuditRecord {
            id: self.ids.next(),
            at: self.clock.now(),
            actor,
            action: action.to_owned(),
            target: target.into(),
            detail: detail.to_string(),
            mac: None,
        };
        record.mac = Some(self.anchor.key.record_mac(&record));
        record
    }

    /// Writes a record on its own: logins, reads of personal data.
    pub async fn append(&self, actor: Option<UserId>, action: &str, target: impl Into<String>, detail: serde_json::Value) -> AppResult<()> {
        let record = self.record(actor, action, target, detail);
        self.store.append_audit(&record).await?;
        Ok(())
    }

    /// Seals what is pending; returns how many records were sealed. A
    /// checkpoint follows when records were sealed and the last one is
    /// older than [`CHECKPOINT_EVERY`].
    ///
    /// Records written while it seals wait for the next pass: a pass that
    /// went on until it found none chased the registrations under load,
    /// sealing the few each write batch had added, and on SQLite took the
    /// one write connection from the batches between each two
    /// (`docs/benchmarks.md`).
    pub async fn seal_all(&self) -> AppResult<u64> {
        let mut total = 0;
        loop {
            let n = self.store.seal_audit(SEAL_BATCH).await?;
            total += n;
            // A part batch reached the end of what was there.
            if n < u64::from(SEAL_BATCH) {
                break;
            }
        }
        let due = self.last_checkpoint.lock().expect("checkpoint lock").is_none_or(|at| self.clock.now() - at >= CHECKPOINT_EVERY);
        if total > 0 && due {
            self.checkpoint().await?;
        }
        Ok(total)
    }

    /// Writes a checkpoint of the chain as it stands (at shutdown, after a
    /// command-line change); none for an empty chain.
    pub async fn checkpoint(&self) -> AppResult<Option<Checkpoint>> {
        let head = self.store.audit_head().await?;
        if head.seq == 0 {
            return Ok(None);
        }
        // A checkpoint must never bless a chain that lost what the last one
        // saw: then the last one stays the witness.
        let witness = self.newest_checkpoint().await.map_err(AppError::Unavailable)?;
        if let Some(last) = witness {
            let kept = head.seq >= last.seq
                && self.store.audit_chain(last.seq - 1, 1).await?.first().and_then(|e| e.hash.as_deref()) == Some(last.hash.as_str());
            if !kept {
                tracing::error!(target: "hotline::audit", seq = last.seq, "the audit chain no longer holds its last checkpoint");
                return Err(AppError::Unavailable(format!(
                    "the audit chain no longer holds its checkpoint of {} (record {}); no new checkpoint is written; run `hotline audit verify`",
                    last.at, last.seq
                )));
            }
        }
        let mut checkpoint =
            Checkpoint { seq: head.seq, hash: head.hash, legacy_until: head.legacy_until, at: self.clock.now(), mac: String::new() };
        checkpoint.mac = self.anchor.key.checkpoint_mac(&checkpoint);
        let line = serde_json::to_string(&checkpoint).map_err(|e| AppError::Unavailable(format!("checkpoint: {e}")))?;
        self.anchor
            .checkpoints
            .append(&line)
            .await
            .map_err(|e| AppError::Unavailable(format!("the audit checkpoint could not be written: {e}")))?;
        // Also to the server log, for a log shipper to carry off the machine.
        tracing::info!(target: "hotline::audit", seq = checkpoint.seq, hash = %checkpoint.hash, mac = %checkpoint.mac, "audit checkpoint");
        *self.last_checkpoint.lock().expect("checkpoint lock") = Some(checkpoint.at);
        Ok(Some(checkpoint))
    }

    /// The newest checkpoint; an error names a line the key did not sign.
    async fn newest_checkpoint(&self) -> Result<Option<Checkpoint>, String> {
        let lines = self.anchor.checkpoints.last_lines(1).await.map_err(|e| format!("the audit checkpoints could not be read: {e}"))?;
        let Some(line) = lines.last() else { return Ok(None) };
        let checkpoint: Checkpoint =
            serde_json::from_str(line).map_err(|e| format!("the newest audit checkpoint is not one the application wrote: {e}"))?;
        if self.anchor.key.checkpoint_mac(&checkpoint) != checkpoint.mac {
            return Err(format!("the newest audit checkpoint (seq {}) is not signed with the audit key", checkpoint.seq));
        }
        Ok(Some(checkpoint))
    }

    /// Recomputes the whole chain.
    pub async fn verify(&self) -> AppResult<VerifyReport> {
        let pending = self.store.unsealed_audit().await?;
        let checkpoint = match self.newest_checkpoint().await {
            Ok(c) => c,
            Err(problem) => return Ok(VerifyReport { sealed: 0, pending, checkpoint: None, problem: Some(problem) }),
        };
        let at_checkpoint = checkpoint.as_ref().map(|c| c.seq);
        let head = self.store.audit_head().await?;
        if let Some(c) = &checkpoint
            && c.legacy_until != head.legacy_until
        {
            let problem = format!(
                "the chain head lets records up to {} go without a MAC, its checkpoint says {}: the boundary was moved",
                head.legacy_until, c.legacy_until
            );
            return Ok(VerifyReport { sealed: 0, pending, checkpoint: at_checkpoint, problem: Some(problem) });
        }
        let mut previous = GENESIS.to_owned();
        let mut expected_seq = 1;
        loop {
            let page = self.store.audit_chain(expected_seq - 1, 2_000).await?;
            if page.is_empty() {
                break;
            }
            for entry in page {
                let seq = entry.seq.unwrap_or_default();
                let broken =
                    |why: String| VerifyReport { sealed: expected_seq - 1, pending, checkpoint: at_checkpoint, problem: Some(why) };
                if seq != expected_seq {
                    return Ok(broken(format!("record {expected_seq} is missing (the next one is {seq})")));
                }
                let hash = chain_hash(&previous, seq, &entry.record);
                if entry.hash.as_deref() != Some(hash.as_str()) {
                    return Ok(broken(format!("record {seq} (audit id {}) was altered: its hash does not match", entry.record.id)));
                }
                // Records sealed before audit keys have no MAC; all later ones do.
                match &entry.record.mac {
                    Some(mac) if *mac == self.anchor.key.record_mac(&entry.record) => {}
                    None if seq <= head.legacy_until => {}
                    _ => {
                        return Ok(broken(format!(
                            "record {seq} (audit id {}) was not written by the application: its MAC does not match the audit key",
                            entry.record.id
                        )));
                    }
                }
                if let Some(c) = &checkpoint
                    && c.seq == seq
                    && c.hash != hash
                {
                    return Ok(broken(format!("record {seq} differs from the checkpoint of {}: the chain was rewritten", c.at)));
                }
                previous = hash;
                expected_seq += 1;
            }
        }
        let head = self.store.audit_head().await?;
        let sealed = expected_seq - 1;
        let mut problem = (head.seq != sealed || head.hash != previous)
            .then(|| format!("the chain head says {} records but {sealed} were found: records were removed from the end", head.seq));
        if let Some(c) = &checkpoint
            && sealed < c.seq
        {
            problem = Some(format!(
                "the checkpoint of {} saw {} records but the chain has {sealed}: records were removed from the end",
                c.at, c.seq
            ));
        }
        Ok(VerifyReport { sealed, pending, checkpoint: at_checkpoint, problem })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_link_is_the_one_stored_chains_were_sealed_with() {
        // Computed outside Rust: SHA-256 over the length-prefixed (u64, big
        // endian) previous hash, seq, id, instant, actor, action, target, detail.
        let record = AuditRecord {
            id: 7,
            at: DateTime::from_timestamp_micros(1_764_547_200_000_000).unwrap(),
            actor: Some(UserId(3)),
            action: "work_order.dispatch".into(),
            target: "DG20261128000001".into(),
            detail: "{}".into(),
            mac: None,
        };
        assert_eq!(chain_hash(GENESIS, 1, &record), "c6e3c5e9d886199eb5ef7f526def7f346e50691409e5bc899c6530a7fe88f753");
    }

    #[test]
    fn every_field_is_bound_into_the_hash() {
        let record = AuditRecord {
            id: 7,
            at: Utc::now(),
            actor: Some(UserId(3)),
            action: "work_order.dispatch".into(),
            target: "DG20261128000001".into(),
            detail: "{}".into(),
            mac: None,
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

    #[test]
    fn the_key_signs_records_and_checkpoints_and_reads_back_from_its_file_text() {
        let key = AuditKey::random().unwrap();
        assert_eq!(AuditKey::parse(&key.to_hex()).unwrap(), key);
        assert!(AuditKey::parse("abc").is_err() && AuditKey::parse(&"00".repeat(31)).is_err());
        assert_eq!(format!("{key:?}"), "AuditKey(***)");
        let record = AuditRecord {
            id: 7,
            at: Utc::now(),
            actor: None,
            action: "user.update".into(),
            target: "user:admin".into(),
            detail: "{}".into(),
            mac: None,
        };
        let mac = key.record_mac(&record);
        assert_ne!(mac, AuditKey::random().unwrap().record_mac(&record), "another key, another MAC");
        assert_ne!(mac, key.record_mac(&AuditRecord { detail: "{\"roles\":[]}".into(), ..record.clone() }));
        let c = Checkpoint { seq: 5, hash: "h".into(), legacy_until: 0, at: Utc::now(), mac: String::new() };
        assert_ne!(key.checkpoint_mac(&c), key.checkpoint_mac(&Checkpoint { seq: 4, ..c.clone() }));
        assert_ne!(key.checkpoint_mac(&c), key.checkpoint_mac(&Checkpoint { legacy_until: 5, ..c.clone() }));
    }
}
