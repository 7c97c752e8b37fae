//! Trained suggestion models in a directory, one `<version>.model` file
//! each, written whole (temporary name, sync, rename) so a reader never
//! sees half a model. Versions sort by name, the training time first.

use crate::write_atomically;
use async_trait::async_trait;
use hotline_app::suggestions::ModelShelf;
use std::io::{Error, ErrorKind};
use std::path::PathBuf;

const SUFFIX: &str = ".model";

pub struct FsModelShelf {
    dir: PathBuf,
}

impl FsModelShelf {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    fn path(&self, version: &str) -> std::io::Result<PathBuf> {
        let plain = !version.is_empty() && version.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !plain {
            return Err(Error::new(ErrorKind::InvalidInput, format!("{version:?} is not a model version (letters, digits and '-')")));
        }
        Ok(self.dir.join(format!("{version}{SUFFIX}")))
    }

    /// Every stored version, oldest first.
    async fn versions(&self) -> std::io::Result<Vec<String>> {
        let mut entries = match tokio::fs::read_dir(&self.dir).await {
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            other => other?,
        };
        let mut versions = Vec::new();
        while let Some(entry) = entries.next_entry().await? {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(version) = name.strip_suffix(SUFFIX).filter(|v| !v.starts_with('.')) {
                versions.push(version.to_owned());
            }
        }
        versions.sort();
        Ok(versions)
    }
}

#[async_trait]
impl ModelShelf for FsModelShelf {
    async fn put(&self, version: &str, bytes: &[u8]) -> std::io::Result<()> {
        write_atomically(&self.path(version)?, bytes).await
    }

    async fn latest(&self) -> std::io::Result<Option<String>> {
        Ok(self.versions().await?.pop())
    }

    async fn get(&self, version: &str) -> std::io::Result<Vec<u8>> {
        tokio::fs::read(self.path(version)?).await
    }

    async fn prune(&self, keep: usize) -> std::io::Result<()> {
        let versions = self.versions().await?;
        for old in &versions[..versions.len().saturating_sub(keep)] {
            match tokio::fs::remove_file(self.path(old)?).await {
                Err(e) if e.kind() != ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn versions_are_kept_whole_the_newest_served_and_the_oldest_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let shelf = FsModelShelf::new(dir.path().join("models"));
        assert_eq!(shelf.latest().await.unwrap(), None, "no directory yet: nothing kept");
        for (i, version) in ["20261201T000000Z-60", "20261203T000000Z-80", "20261202T000000Z-70"].iter().enumerate() {
            shelf.put(version, &[i as u8; 3]).await.unwrap();
        }
        assert_eq!(shelf.latest().await.unwrap().as_deref(), Some("20261203T000000Z-80"));
        assert_eq!(shelf.get("20261203T000000Z-80").await.unwrap(), [1, 1, 1]);
        shelf.prune(2).await.unwrap();
        assert_eq!(shelf.versions().await.unwrap(), ["20261202T000000Z-70", "20261203T000000Z-80"]);
        assert_eq!(shelf.get("20261201T000000Z-60").await.unwrap_err().kind(), ErrorKind::NotFound);
        assert_eq!(shelf.get("../etc/passwd").await.unwrap_err().kind(), ErrorKind::InvalidInput, "no path out of the shelf");
    }
}
