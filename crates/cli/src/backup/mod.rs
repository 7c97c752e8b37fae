//! Backups an operator can trust: the database copied consistently while
//! the server runs, the files beside it, a manifest of rows and checksums;
//! every backup checked when written, and again before a restore, and the
//! restored database counted against it.

mod database;
mod files;
pub mod manifest;

use crate::config::Config;
use anyhow::Context;
use hotline_store_sql::{SqlStore, StoreOptions};
use manifest::{FORMAT, FileDigest, Manifest};
use std::path::Path;

/// Where the files beside the database go inside a backup.
const FILES: &str = "files";

/// Writes a backup of the configured platform into `dir` (new or empty),
/// then checks it as [`verify`] does.
pub async fn create(config: &Config, dir: &Path) -> anyhow::Result<Manifest> {
    let url = config.database_url();
    let engine = database::engine(&url)?;
    if engine == manifest::Engine::Sqlite {
        let path = database::sqlite_path(&url);
        anyhow::ensure!(path.is_file(), "there is no database at {} to back up", path.display());
    }
    if dir.exists() {
        let mut entries = dir.read_dir().with_context(|| format!("cannot list {}", dir.display()))?;
        anyhow::ensure!(entries.next().is_none(), "{} is not empty: give a new directory for each backup", dir.display());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    // As it is: a backup does not migrate what it copies.
    let store =
        SqlStore::connect(&url, StoreOptions::default()).await.with_context(|| format!("cannot open {}", crate::runtime::redact(&url)))?;
    let rows = database::dump(&store, &url, &dir.join(engine.file())).await?;
    store.close().await;
    for piece in files::pieces(config) {
        files::copy(&piece.live, &dir.join(FILES).join(piece.name))?;
    }
    let mut names = Vec::new();
    files::walk(dir, dir, &mut names)?;
    let mut digests = std::collections::BTreeMap::new();
    for name in names {
        let digest = FileDigest::of(&dir.join(&name))?;
        digests.insert(name, digest);
    }
    let manifest = Manifest {
        format: FORMAT,
        hotline_version: env!("CARGO_PKG_VERSION").to_owned(),
        created_at: chrono::Utc::now(),
        engine,
        rows,
        files: digests,
    };
    manifest.write(dir)?;
    verify(dir).await.context("the backup just written does not check out")
}

/// Checks a backup: every file against its checksum, nothing missing or
/// extra, and the database itself: SQLite's copy page by page with its
/// rows counted, PostgreSQL's dump read through by `pg_restore --list`.
pub async fn verify(dir: &Path) -> anyhow::Result<Manifest> {
    let manifest = Manifest::read(dir)?;
    manifest.check_files(dir)?;
    let file = dir.join(manifest.engine.file());
    match manifest.engine {
        manifest::Engine::Sqlite => {
            let rows = hotline_store_sql::inspect_sqlite_copy(&file).await.with_context(|| format!("checking {}", file.display()))?;
            manifest.check_rows(&rows).context("the database in the backup")?;
        }
        manifest::Engine::Postgres => database::list_dump(&file, manifest.rows.keys())?,
    }
    Ok(manifest)
}

/// What a restore did.
pub struct Restored {
    pub manifest: Manifest,
    pub files: u64,
}

/// Replaces the configured platform's database and files with the backup
/// in `dir`. The server must be stopped (on this machine that is checked:
/// the search index is locked while it runs); a database already holding
/// work orders or accounts is replaced only with `force`.
pub async fn restore(config: &Config, dir: &Path, force: bool) -> anyhow::Result<Restored> {
    let manifest = verify(dir).await?;
    let url = config.database_url();
    let index_dir = config.index_dir();
    let index = hotline_search::TantivySearch::open(&index_dir)
        .with_context(|| format!("the search index in {} is in use: stop the hotline server before restoring", index_dir.display()))?;
    if !force && database::holds_data(&url).await? {
        anyhow::bail!(
            "{} already holds work orders or user accounts; add --force to replace them with the backup's",
            crate::runtime::redact(&url)
        );
    }
    let rows = database::restore(manifest.engine, &dir.join(manifest.engine.file()), &url).await?;
    manifest.check_rows(&rows)?;
    let mut copied = 0;
    for piece in files::pieces(config) {
        let from = dir.join(FILES).join(piece.name);
        copied += if piece.keep_live && piece.live.exists() { 0 } else { files::replace(&from, &piece.live)? };
    }
    // The index described the database before; the server rebuilds an empty one.
    drop(index);
    std::fs::remove_dir_all(&index_dir).with_context(|| format!("cannot clear the search index in {}", index_dir.display()))?;
    Ok(Restored { manifest, files: copied })
}
