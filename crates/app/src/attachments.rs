//! Attachments: photos, documents and recordings a citizen or a unit adds.
//!
//! Content is stored once by its SHA-256 (the same photo sent twice takes
//! the space once) behind [`BlobStore`]; the database keeps the metadata.
//! The type is decided by the file's leading bytes, not by what the client
//! claims, and must be on the allowed list.

use crate::error::{AppError, AppResult};
use async_trait::async_trait;
use sha2::{Digest, Sha256};

#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Stores `bytes` under `sha256` (hex); storing existing content is a no-op.
    async fn put(&self, sha256: &str, bytes: &[u8]) -> std::io::Result<()>;
    async fn get(&self, sha256: &str) -> std::io::Result<Vec<u8>>;
    /// The content's length in bytes.
    async fn len(&self, sha256: &str) -> std::io::Result<u64> {
        Ok(self.get(sha256).await?.len() as u64)
    }
    /// Up to `len` bytes from `start` (fewer at the end): a part of a long
    /// recording without reading it whole. Stores that can seek override
    /// this reading of everything.
    async fn read_at(&self, sha256: &str, start: u64, len: u64) -> std::io::Result<Vec<u8>> {
        let all = self.get(sha256).await?;
        let start = (start as usize).min(all.len());
        let end = start.saturating_add(len as usize).min(all.len());
        Ok(all[start..end].to_vec())
    }
    /// Deletes content (a purged call recording); deleting what is not
    /// there is a no-op.
    async fn delete(&self, sha256: &str) -> std::io::Result<()>;
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Types accepted, recognised by their signature.
const KINDS: &[(&str, &[u8])] = &[
    ("image/jpeg", b"\xFF\xD8\xFF"),
    ("image/png", b"\x89PNG\r\n\x1a\n"),
    ("image/gif", b"GIF8"),
    ("application/pdf", b"%PDF-"),
    // Office documents (docx, xlsx) are zip containers.
    ("application/zip", b"PK\x03\x04"),
    ("audio/wav", b"RIFF"),
    ("audio/amr", b"#!AMR"),
    ("audio/mpeg", b"ID3"),
];

/// The content type of `bytes`, from their signature.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    KINDS.iter().find(|(_, magic)| bytes.starts_with(magic)).map(|(kind, _)| *kind)
}

#[derive(Debug, Clone)]
pub struct AttachmentPolicy {
    pub max_bytes: usize,
    pub max_per_order: usize,
}

impl Default for AttachmentPolicy {
    fn default() -> Self {
        Self { max_bytes: 20 * 1024 * 1024, max_per_order: 20 }
    }
}

impl AttachmentPolicy {
    /// Checks size and type; returns the recognised content type.
    pub fn check(&self, file_name: &str, bytes: &[u8]) -> AppResult<&'static str> {
        if bytes.is_empty() {
            return Err(AppError::invalid("file", "the file is empty"));
        }
        if bytes.len() > self.max_bytes {
            return Err(AppError::TooLarge(format!(
                "{file_name} is {} bytes; attachments may have at most {} bytes",
                bytes.len(),
                self.max_bytes
            )));
        }
        sniff(bytes).ok_or_else(|| {
            AppError::UnsupportedMediaType(format!(
                "{file_name} is not an accepted type (JPEG, PNG, GIF, PDF, Office document, WAV, AMR or MP3)"
            ))
        })
    }
}

/// A file name safe to store and to send back in a header.
pub fn clean_file_name(name: &str) -> AppResult<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("").trim();
    if base.is_empty() || base == "." || base == ".." {
        return Err(AppError::invalid("file", "the file needs a name"));
    }
    if base.chars().any(|c| c.is_control() || c == '"') {
        return Err(AppError::invalid("file", "the file name contains control characters or quotes"));
    }
    Ok(base.chars().take(200).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_types_by_content_and_enforces_limits() {
        let policy = AttachmentPolicy { max_bytes: 16, max_per_order: 2 };
        assert_eq!(policy.check("a.png", b"\x89PNG\r\n\x1a\nrest").unwrap(), "image/png");
        assert!(matches!(policy.check("a.exe", b"MZ\x90\x00"), Err(AppError::UnsupportedMediaType(_))));
        assert!(matches!(policy.check("big.pdf", &[b'%'; 17]), Err(AppError::TooLarge(_))));
        assert!(matches!(policy.check("empty.pdf", b""), Err(AppError::Invalid(_))));
        assert_eq!(clean_file_name("C:\\Users\\me\\照片.jpg").unwrap(), "照片.jpg");
        assert!(clean_file_name("../").is_err());
    }
}
