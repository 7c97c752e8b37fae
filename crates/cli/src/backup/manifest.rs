//! `manifest.json`: what a backup holds, and what to check it against.

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

pub const MANIFEST: &str = "manifest.json";
/// The layout of a backup directory; a restore refuses another.
pub const FORMAT: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    /// The database's file inside the backup.
    pub fn file(self) -> &'static str {
        match self {
            Engine::Sqlite => "database.sqlite",
            Engine::Postgres => "database.pgdump",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub hotline_version: String,
    pub created_at: DateTime<Utc>,
    pub engine: Engine,
    /// Rows per table when the database was copied.
    pub rows: BTreeMap<String, u64>,
    /// Every file of the backup but this one, by path relative to it.
    pub files: BTreeMap<String, FileDigest>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDigest {
    pub bytes: u64,
    pub sha256: String,
}

impl FileDigest {
    pub fn of(path: &Path) -> anyhow::Result<FileDigest> {
        let mut file = std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        let mut bytes = 0u64;
        loop {
            let n = file.read(&mut buf).with_context(|| format!("cannot read {}", path.display()))?;
            if n == 0 {
                break;
            }
            bytes += n as u64;
            hasher.update(&buf[..n]);
        }
        Ok(FileDigest { bytes, sha256: hex::encode(hasher.finalize()) })
    }
}

impl Manifest {
    pub fn read(dir: &Path) -> anyhow::Result<Manifest> {
        let path = dir.join(MANIFEST);
        let text = std::fs::read_to_string(&path).with_context(|| format!("{} is not a hotline backup: no {MANIFEST}", dir.display()))?;
        let manifest: Manifest = serde_json::from_str(&text).with_context(|| format!("{} cannot be read", path.display()))?;
        anyhow::ensure!(
            manifest.format == FORMAT,
            "{} is a backup of format {}; this hotline reads format {FORMAT}",
            dir.display(),
            manifest.format
        );
        Ok(manifest)
    }

    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        let path = dir.join(MANIFEST);
        std::fs::write(&path, serde_json::to_vec_pretty(self)?).with_context(|| format!("cannot write {}", path.display()))
    }

    /// Each file is there with its size and checksum, and no file is
    /// missing from the manifest (a half-copied backup or a changed byte
    /// is refused before anything is restored from it).
    pub fn check_files(&self, dir: &Path) -> anyhow::Result<()> {
        anyhow::ensure!(self.files.contains_key(self.engine.file()), "the manifest lists no {}", self.engine.file());
        for (name, expected) in &self.files {
            let found = FileDigest::of(&dir.join(name)).with_context(|| format!("{name} is listed in the manifest"))?;
            anyhow::ensure!(
                found == *expected,
                "{name} is damaged: {} bytes with sha256 {}, the manifest says {} bytes with sha256 {}",
                found.bytes,
                found.sha256,
                expected.bytes,
                expected.sha256
            );
        }
        let mut present = Vec::new();
        super::files::walk(dir, dir, &mut present)?;
        if let Some(extra) = present.iter().find(|p| p.as_str() != MANIFEST && !self.files.contains_key(p.as_str())) {
            anyhow::bail!("{extra} is in the backup directory but not in its manifest");
        }
        Ok(())
    }

    /// Rows found against rows recorded, every difference named.
    pub fn check_rows(&self, found: &BTreeMap<String, u64>) -> anyhow::Result<()> {
        let mut differences = Vec::new();
        for (table, expected) in &self.rows {
            match found.get(table) {
                Some(n) if n == expected => {}
                Some(n) => differences.push(format!("{table}: {n} rows, the backup had {expected}")),
                None => differences.push(format!("{table}: missing, the backup had {expected} rows")),
            }
        }
        for table in found.keys().filter(|t| !self.rows.contains_key(*t)) {
            differences.push(format!("{table}: not in the backup"));
        }
        anyhow::ensure!(differences.is_empty(), "the restored database differs from the backup: {}", differences.join("; "));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(dir: &Path, files: &[(&str, &str)]) -> Manifest {
        let mut digests = BTreeMap::new();
        for (name, content) in files {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, content).unwrap();
            digests.insert((*name).to_owned(), FileDigest::of(&path).unwrap());
        }
        let rows = BTreeMap::from([("work_orders".to_owned(), 3), ("users".to_owned(), 2)]);
        Manifest { format: FORMAT, hotline_version: "test".into(), created_at: Utc::now(), engine: Engine::Sqlite, rows, files: digests }
    }

    #[test]
    fn a_file_missing_or_extra_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let m = manifest(dir.path(), &[("database.sqlite", "db"), ("files/models/v1", "model")]);
        m.check_files(dir.path()).unwrap();
        std::fs::write(dir.path().join("files/stray"), "?").unwrap();
        let extra = m.check_files(dir.path()).unwrap_err().to_string();
        assert!(extra.contains("files/stray is in the backup directory but not in its manifest"), "{extra}");
        std::fs::remove_file(dir.path().join("files/stray")).unwrap();
        std::fs::remove_file(dir.path().join("files/models/v1")).unwrap();
        let missing = format!("{:#}", m.check_files(dir.path()).unwrap_err());
        assert!(missing.contains("files/models/v1 is listed in the manifest"), "{missing}");
    }

    #[test]
    fn every_table_that_differs_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let m = manifest(dir.path(), &[("database.sqlite", "db")]);
        m.check_rows(&BTreeMap::from([("work_orders".to_owned(), 3), ("users".to_owned(), 2)])).unwrap();
        let found = BTreeMap::from([("work_orders".to_owned(), 2), ("calls".to_owned(), 0)]);
        let said = m.check_rows(&found).unwrap_err().to_string();
        assert!(said.contains("work_orders: 2 rows, the backup had 3"), "{said}");
        assert!(said.contains("users: missing, the backup had 2 rows"), "{said}");
        assert!(said.contains("calls: not in the backup"), "{said}");
    }
}
