//! Attachment content in a directory, one file per SHA-256, fanned out by
//! the first two hex digits (`ab/cdef…`). Files are written to a temporary
//! name, synced and renamed, so a crash never leaves a truncated blob under
//! a valid address.

mod checkpoints;
mod models;
pub use checkpoints::{FileCheckpoints, audit_anchor, ephemeral_audit_anchor};
pub use models::FsModelShelf;

use async_trait::async_trait;
use hotline_app::attachments::BlobStore;
use std::io::{Error, ErrorKind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::io::AsyncWriteExt;

pub struct FsBlobStore {
    root: PathBuf,
}

impl FsBlobStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn path(&self, sha256: &str) -> std::io::Result<PathBuf> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
            return Err(Error::new(ErrorKind::InvalidInput, "not a lowercase hex SHA-256"));
        }
        Ok(self.root.join(&sha256[..2]).join(&sha256[2..]))
    }
}

/// Distinguishes concurrent writes of one blob within a process: each
/// writes its own temporary file, and the last rename wins with the same
/// content.
static WRITES: AtomicU64 = AtomicU64::new(0);

async fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().ok_or_else(|| Error::new(ErrorKind::InvalidInput, "blob path has no directory"))?;
    tokio::fs::create_dir_all(dir).await?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("blob");
    let tmp = dir.join(format!(".{name}.tmp-{}-{}", std::process::id(), WRITES.fetch_add(1, Ordering::Relaxed)));
    let written = async {
        let mut file = tokio::fs::OpenOptions::new().write(true).create_new(true).open(&tmp).await?;
        file.write_all(bytes).await?;
        file.sync_all().await?;
        drop(file);
        tokio::fs::rename(&tmp, path).await
    }
    .await;
    if written.is_err() {
        let _ = tokio::fs::remove_file(&tmp).await;
    }
    written
}

#[async_trait]
impl BlobStore for FsBlobStore {
    async fn put(&self, sha256: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.path(sha256)?;
        if tokio::fs::try_exists(&path).await? {
            return Ok(());
        }
        write_atomically(&path, bytes).await
    }

    async fn get(&self, sha256: &str) -> std::io::Result<Vec<u8>> {
        tokio::fs::read(self.path(sha256)?).await
    }

    async fn len(&self, sha256: &str) -> std::io::Result<u64> {
        Ok(tokio::fs::metadata(self.path(sha256)?).await?.len())
    }

    async fn read_at(&self, sha256: &str, start: u64, len: u64) -> std::io::Result<Vec<u8>> {
        use tokio::io::{AsyncReadExt, AsyncSeekExt};
        let mut file = tokio::fs::File::open(self.path(sha256)?).await?;
        file.seek(std::io::SeekFrom::Start(start)).await?;
        let mut part = Vec::with_capacity(len.min(1 << 24) as usize);
        file.take(len).read_to_end(&mut part).await?;
        Ok(part)
    }

    async fn delete(&self, sha256: &str) -> std::io::Result<()> {
        match tokio::fs::remove_file(self.path(sha256)?).await {
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hotline_app::attachments::sha256_hex;

    #[tokio::test]
    async fn stores_once_by_content_and_refuses_bad_addresses() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = FsBlobStore::new(dir.path());
        let content = b"%PDF-1.4 test";
        let sha = sha256_hex(content);
        blobs.put(&sha, content).await.unwrap();
        blobs.put(&sha, content).await.unwrap();
        assert_eq!(blobs.get(&sha).await.unwrap(), content);
        assert!(dir.path().join(&sha[..2]).join(&sha[2..]).exists());
        assert_eq!(std::fs::read_dir(dir.path().join(&sha[..2])).unwrap().count(), 1, "no temporary files left");
        assert_eq!(blobs.get("../../etc/passwd").await.unwrap_err().kind(), ErrorKind::InvalidInput);
        assert_eq!(blobs.get(&"0".repeat(64)).await.unwrap_err().kind(), ErrorKind::NotFound);
        blobs.delete(&sha).await.unwrap();
        assert_eq!(blobs.get(&sha).await.unwrap_err().kind(), ErrorKind::NotFound);
        blobs.delete(&sha).await.unwrap();
        assert_eq!(blobs.delete("../x").await.unwrap_err().kind(), ErrorKind::InvalidInput);
    }

    #[tokio::test]
    async fn parts_are_read_from_where_they_start_and_stop_at_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = FsBlobStore::new(dir.path());
        let content: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
        let sha = sha256_hex(&content);
        blobs.put(&sha, &content).await.unwrap();
        assert_eq!(blobs.len(&sha).await.unwrap(), 100_000);
        assert_eq!(blobs.read_at(&sha, 70_000, 10).await.unwrap(), &content[70_000..70_010]);
        assert_eq!(blobs.read_at(&sha, 99_990, 1_000).await.unwrap(), &content[99_990..], "fewer at the end");
        assert!(blobs.read_at(&sha, 200_000, 10).await.unwrap().is_empty(), "nothing past it");
        assert_eq!(blobs.len(&"0".repeat(64)).await.unwrap_err().kind(), ErrorKind::NotFound);
        assert_eq!(blobs.read_at("../x", 0, 1).await.unwrap_err().kind(), ErrorKind::InvalidInput);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn the_same_new_blob_written_at_once_by_many_succeeds_for_all() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = std::sync::Arc::new(FsBlobStore::new(dir.path()));
        let content = vec![7u8; 256 * 1024];
        let sha = sha256_hex(&content);
        let writes: Vec<_> = (0..36)
            .map(|_| {
                let (blobs, content, sha) = (blobs.clone(), content.clone(), sha.clone());
                tokio::spawn(async move { blobs.put(&sha, &content).await })
            })
            .collect();
        for write in writes {
            write.await.unwrap().unwrap();
        }
        assert_eq!(blobs.get(&sha).await.unwrap(), content);
        assert_eq!(std::fs::read_dir(dir.path().join(&sha[..2])).unwrap().count(), 1, "no temporary files left");
    }
}
