//! The audit checkpoints as lines appended to a file outside the database
//! (`audit.checkpoint_file`). Each line is written with one `write` to a
//! file opened for appending and synced, so a crash leaves whole lines.

use async_trait::async_trait;
use hotline_app::audit::{AuditAnchor, AuditKey, CheckpointLog};
use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

/// The audit anchor of an installation: the key from `key_file` (created,
/// readable by the owner only, when missing) and checkpoints appended to
/// `checkpoint_file`.
pub fn audit_anchor(key_file: &Path, checkpoint_file: &Path) -> Result<AuditAnchor, String> {
    let named = |e: std::io::Error| format!("audit key {}: {e}", key_file.display());
    let key = match std::fs::read_to_string(key_file) {
        Ok(text) => AuditKey::parse(&text).map_err(|e| format!("audit key {}: {e}", key_file.display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = AuditKey::random().map_err(|e| e.to_string())?;
            if let Some(dir) = key_file.parent() {
                std::fs::create_dir_all(dir).map_err(named)?;
            }
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(key_file).map_err(named)?;
            std::io::Write::write_all(&mut file, format!("{}\n", key.to_hex()).as_bytes()).map_err(named)?;
            file.sync_all().map_err(named)?;
            key
        }
        Err(e) => return Err(named(e)),
    };
    Ok(AuditAnchor { key, checkpoints: Arc::new(FileCheckpoints::new(checkpoint_file)) })
}

/// A fresh key and checkpoints in `dir`: for tests and benchmarks, whose
/// databases live no longer than the process.
pub fn ephemeral_audit_anchor(dir: &Path) -> AuditAnchor {
    let key = AuditKey::random().expect("randomness for an audit key");
    AuditAnchor { key, checkpoints: Arc::new(FileCheckpoints::new(dir.join("audit-checkpoints.log"))) }
}

pub struct FileCheckpoints {
    path: PathBuf,
}

impl FileCheckpoints {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }
}

/// Bytes read from the end to find the last lines: far more than a few.
const TAIL: u64 = 64 * 1024;

#[async_trait]
impl CheckpointLog for FileCheckpoints {
    async fn append(&self, line: &str) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        let mut file = tokio::fs::OpenOptions::new().create(true).append(true).open(&self.path).await?;
        file.write_all(format!("{line}\n").as_bytes()).await?;
        file.sync_data().await
    }

    async fn last_lines(&self, n: usize) -> std::io::Result<Vec<String>> {
        let mut file = match tokio::fs::File::open(&self.path).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let length = file.metadata().await?.len();
        let start = length.saturating_sub(TAIL);
        file.seek(SeekFrom::Start(start)).await?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).await?;
        let text = String::from_utf8_lossy(&bytes);
        let mut lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        // A read that starts mid-file starts mid-line.
        if start > 0 && !lines.is_empty() {
            lines.remove(0);
        }
        Ok(lines[lines.len().saturating_sub(n)..].iter().map(|l| (*l).to_owned()).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lines_append_and_the_last_ones_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let log = FileCheckpoints::new(dir.path().join("audit/checkpoints.log"));
        assert!(log.last_lines(3).await.unwrap().is_empty(), "no file yet: no lines");
        for i in 0..5000 {
            log.append(&format!("{{\"seq\":{i}}}")).await.unwrap();
        }
        assert_eq!(log.last_lines(2).await.unwrap(), vec!["{\"seq\":4998}".to_owned(), "{\"seq\":4999}".to_owned()]);
    }

    #[test]
    fn the_key_file_is_created_once_private_and_refused_when_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let (key_file, log) = (dir.path().join("keys/audit.key"), dir.path().join("c.log"));
        let first = audit_anchor(&key_file, &log).unwrap();
        assert_eq!(audit_anchor(&key_file, &log).unwrap().key, first.key, "the same key after a restart");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::write(&key_file, "not a key").unwrap();
        let refused = audit_anchor(&key_file, &log).err().unwrap();
        assert!(refused.contains("audit.key") && refused.contains("hexadecimal"), "{refused}");
    }
}
