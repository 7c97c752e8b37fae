//! The files beside the database: attachments and recordings, trained
//! models, the audit log's key and checkpoints.

use crate::config::Config;
use anyhow::Context;
use std::path::{Path, PathBuf};

/// A file or directory the platform keeps outside its database.
pub struct Piece {
    /// Where it sits in a backup, under `files/`.
    pub name: &'static str,
    /// Where this configuration keeps it.
    pub live: PathBuf,
    /// A restore leaves it alone where present.
    pub keep_live: bool,
}

/// Everything outside the database a restore needs. The search index is
/// left out: the server rebuilds it from the database.
pub fn pieces(config: &Config) -> Vec<Piece> {
    vec![
        Piece { name: "attachments", live: config.attachments_dir(), keep_live: false },
        Piece { name: "models", live: config.models_dir(), keep_live: false },
        // The key that signed the restored chain, or it cannot be verified.
        Piece { name: "audit.key", live: config.audit_key_file(), keep_live: false },
        // Append-only evidence of what was recorded, after the backup too:
        // restored only where it is missing (a new machine), so `hotline
        // audit verify` shows the records a restore lost.
        Piece { name: "audit-checkpoints.log", live: config.audit_checkpoint_file(), keep_live: true },
    ]
}

/// Every file under `dir`, as paths relative to `root` with `/` between parts.
pub fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            walk(root, &path, out)?;
        } else {
            let relative = path.strip_prefix(root).expect("walked from the root");
            let parts: Vec<String> = relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            out.push(parts.join("/"));
        }
    }
    Ok(())
}

/// Copies `from` (a file or a directory tree; missing: nothing) to `to`;
/// the number of files copied.
pub fn copy(from: &Path, to: &Path) -> anyhow::Result<u64> {
    if !from.exists() {
        return Ok(0);
    }
    if from.is_file() {
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::copy(from, to).with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
        return Ok(1);
    }
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    let mut copied = 0;
    for entry in std::fs::read_dir(from).with_context(|| format!("cannot list {}", from.display()))? {
        let entry = entry?;
        copied += copy(&entry.path(), &to.join(entry.file_name()))?;
    }
    Ok(copied)
}

/// Replaces `live` with `from`: what `live` held that the backup does not
/// goes, so a restore gives back the state backed up and not a mixture.
pub fn replace(from: &Path, live: &Path) -> anyhow::Result<u64> {
    if live.is_dir() {
        std::fs::remove_dir_all(live).with_context(|| format!("cannot clear {}", live.display()))?;
    } else if live.exists() {
        std::fs::remove_file(live).with_context(|| format!("cannot replace {}", live.display()))?;
    }
    copy(from, live)
}
