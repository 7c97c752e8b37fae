//! PostgreSQL's checkpoints during the measured runs. After a checkpoint
//! every page's first change is written whole into the WAL (full-page
//! writes), so a checkpoint that falls inside the runs slows everything
//! after it, the database's own inserts too: an earlier PostgreSQL run
//! lost a third of its rate from one (raw inserts 11,734/s before the runs,
//! 6,745/s after), and its later phases looked like a decay of the API.
//! The bulk load writes hundreds of megabytes of WAL; without a checkpoint
//! after it, the one `max_wal_size` calls for came due during the runs.

use sqlx::Row;

/// Where the WAL stood and how many checkpoints had been made, right after
/// the checkpoint that ends the bulk load.
pub struct Mark {
    url: String,
    lsn: String,
    timed: i64,
    requested: i64,
}

async fn counters(url: &str, checkpoint: bool) -> anyhow::Result<(String, i64, i64)> {
    let pool = crate::raw::pool(url, 1).await?;
    if checkpoint {
        sqlx::query("CHECKPOINT").execute(&pool).await?;
    }
    let row = sqlx::query(
        "SELECT pg_current_wal_lsn()::text AS lsn, checkpoints_timed::bigint AS timed, checkpoints_req::bigint AS requested \
         FROM pg_stat_bgwriter",
    )
    .fetch_one(&pool)
    .await?;
    pool.close().await;
    Ok((row.try_get("lsn")?, row.try_get("timed")?, row.try_get("requested")?))
}

impl Mark {
    /// Makes a checkpoint and notes the WAL's place (PostgreSQL only; None
    /// for SQLite, whose WAL is folded back every thousand pages).
    pub async fn after_checkpoint(url: &str) -> anyhow::Result<Option<Self>> {
        if !url.starts_with("postgres") {
            return Ok(None);
        }
        let (lsn, timed, requested) = counters(url, true).await?;
        Ok(Some(Self { url: url.to_owned(), lsn, timed, requested }))
    }

    /// The WAL written and the checkpoints made since the mark.
    pub async fn describe(&self) -> anyhow::Result<String> {
        let (lsn, timed, requested) = counters(&self.url, false).await?;
        let written = wal_position(&lsn)?.saturating_sub(wal_position(&self.lsn)?);
        Ok(format!(
            "WAL written during the runs: {:.0} MiB; checkpoints during them: {} called for by max_wal_size, {} by checkpoint_timeout",
            written as f64 / 1_048_576.0,
            requested - self.requested,
            timed - self.timed
        ))
    }
}

/// A WAL location (`16/B374D848`) as a byte offset.
fn wal_position(lsn: &str) -> anyhow::Result<u64> {
    let (high, low) = lsn.split_once('/').ok_or_else(|| anyhow::anyhow!("not a WAL location: {lsn}"))?;
    Ok((u64::from_str_radix(high, 16)? << 32) | u64::from_str_radix(low, 16)?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_wal_location_is_its_byte_offset() {
        assert_eq!(super::wal_position("16/B374D848").unwrap(), (0x16 << 32) | 0xB374_D848);
        assert_eq!(super::wal_position("0/10").unwrap(), 16);
        assert!(super::wal_position("B374D848").is_err());
    }
}
