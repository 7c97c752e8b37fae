//! The database's part of a backup: SQLite's own consistent copy, or
//! PostgreSQL's `pg_dump` and `pg_restore` in one exported snapshot.

use super::manifest::Engine;
use anyhow::Context;
use hotline_store_sql::{Backend, RowCounts, SqlStore, StoreOptions};
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn engine(url: &str) -> anyhow::Result<Engine> {
    Ok(match Backend::of_url(url)? {
        Backend::Sqlite => Engine::Sqlite,
        Backend::Postgres => Engine::Postgres,
    })
}

/// Copies the database to `to`; the rows of each table in the copy.
pub async fn dump(store: &SqlStore, url: &str, to: &Path) -> anyhow::Result<RowCounts> {
    match store.backend() {
        Backend::Sqlite => store.copy_sqlite(to).await.context("copying the SQLite database"),
        Backend::Postgres => {
            let (dumped, rows) = store
                .with_exported_snapshot(|snapshot| async move {
                    let mut pg_dump = libpq("pg_dump", url);
                    pg_dump.arg("--format=custom").arg(format!("--snapshot={snapshot}")).arg("--file").arg(to);
                    run(pg_dump).map(drop)
                })
                .await
                .context("opening a snapshot of the PostgreSQL database")?;
            dumped?;
            Ok(rows)
        }
    }
}

/// Puts the backed-up database in the place of the configured one and
/// counts its rows.
pub async fn restore(engine: Engine, from: &Path, url: &str) -> anyhow::Result<RowCounts> {
    anyhow::ensure!(
        self::engine(url)? == engine,
        "the backup holds a {engine:?} database but the configuration names {}; restore into the same kind",
        crate::runtime::redact(url)
    );
    match engine {
        Engine::Sqlite => {
            let path = sqlite_path(url);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
            }
            // Copied beside it first, then renamed over it: a failed copy
            // leaves the old database as it was.
            let incoming = path.with_extension("db.restoring");
            std::fs::copy(from, &incoming).with_context(|| format!("cannot copy {} to {}", from.display(), incoming.display()))?;
            for stale in ["-wal", "-shm"] {
                let side = PathBuf::from(format!("{}{stale}", path.display()));
                if side.exists() {
                    std::fs::remove_file(&side).with_context(|| format!("cannot remove {}", side.display()))?;
                }
            }
            std::fs::rename(&incoming, &path).with_context(|| format!("cannot move {} to {}", incoming.display(), path.display()))?;
        }
        Engine::Postgres => {
            // One transaction: a failure leaves the database as it was.
            // pg_restore writes the script (its clean part dropping what the
            // dump holds) and psql runs it, after dropping the tables
            // partitioned by month: a clean part cannot drop a partition's
            // keys, which it inherits from its table.
            let mut script = Command::new("pg_restore");
            script.args(["--clean", "--if-exists", "--no-owner", "--no-privileges", "--file", "-"]).arg(from);
            let mut psql = libpq("psql", url);
            psql.args(["--no-psqlrc", "--quiet", "--single-transaction", "--set", "ON_ERROR_STOP=1", "--file", "-"]);
            run_piped(script, psql, DROP_PARTITIONED)?;
        }
    }
    let store =
        SqlStore::connect(url, StoreOptions::default()).await.with_context(|| format!("cannot open {}", crate::runtime::redact(url)))?;
    let rows = store.row_counts().await.context("counting the restored rows")?;
    store.close().await;
    Ok(rows)
}

/// Reads a custom-format dump's table of contents through; every table
/// counted in the manifest must have its data there (a table partitioned
/// by month, under its partitions' names).
pub fn list_dump<'a>(file: &Path, tables: impl Iterator<Item = &'a String>) -> anyhow::Result<()> {
    let mut list = Command::new("pg_restore");
    list.arg("--list").arg(file);
    let contents = run(list)?;
    let holds = |t: &str| {
        contents
            .lines()
            .filter(|l| l.contains(" TABLE DATA "))
            .any(|l| l.split_whitespace().any(|w| w == t || hotline_store_sql::is_partition_of(w, t)))
    };
    let missing: Vec<&String> = tables.filter(|t| !holds(t)).collect();
    anyhow::ensure!(missing.is_empty(), "{} holds no data of {missing:?}", file.display());
    Ok(())
}

/// Work orders and user accounts in the configured database: a restore
/// over them asks for `--force`.
pub async fn holds_data(url: &str) -> anyhow::Result<bool> {
    if engine(url)? == Engine::Sqlite && !sqlite_path(url).exists() {
        return Ok(false);
    }
    let store =
        SqlStore::connect(url, StoreOptions::default()).await.with_context(|| format!("cannot open {}", crate::runtime::redact(url)))?;
    let rows = store.row_counts().await?;
    store.close().await;
    Ok(["work_orders", "users"].iter().any(|t| rows.get(*t).copied().unwrap_or(0) > 0))
}

pub fn sqlite_path(url: &str) -> PathBuf {
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    PathBuf::from(path.split('?').next().unwrap_or(path))
}

/// A PostgreSQL client program for `url`, its password (if the URL holds
/// one) passed in the environment rather than on the command line, where
/// every user of the machine could read it.
fn libpq(program: &str, url: &str) -> Command {
    let mut command = Command::new(program);
    let (target, password) = split_password(url);
    command.arg("--dbname").arg(target);
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    command
}

fn split_password(url: &str) -> (String, Option<String>) {
    if let (Some(scheme), Some(at)) = (url.find("://"), url.rfind('@'))
        && at > scheme
        && let Some((user, password)) = url[scheme + 3..at].split_once(':')
    {
        return (format!("{}{user}{}", &url[..scheme + 3], &url[at..]), Some(password.to_owned()));
    }
    (url.to_owned(), None)
}

/// Drops every partitioned table of the database being restored over,
/// with its partitions (the restore makes them again as the dump has them).
const DROP_PARTITIONED: &str = "DO $$DECLARE t regclass; BEGIN \
    FOR t IN SELECT partrelid::regclass FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid \
    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() \
    LOOP EXECUTE format('DROP TABLE IF EXISTS %s CASCADE', t); END LOOP; END$$;\n";

fn cannot_start(program: &str, e: std::io::Error) -> anyhow::Error {
    match e.kind() {
        std::io::ErrorKind::NotFound => {
            anyhow::anyhow!(
                "{program} is not installed: install PostgreSQL's client programs (Debian: postgresql-client), of the server's major version or newer"
            )
        }
        _ => anyhow::anyhow!("cannot run {program}: {e}"),
    }
}

fn failed(program: &str, output: &std::process::Output) -> anyhow::Result<()> {
    anyhow::ensure!(output.status.success(), "{program} failed ({}): {}", output.status, String::from_utf8_lossy(&output.stderr).trim());
    Ok(())
}

/// Runs a client program; what it wrote to standard output.
fn run(mut command: Command) -> anyhow::Result<String> {
    let program = command.get_program().to_string_lossy().into_owned();
    let output = command.output().map_err(|e| cannot_start(&program, e))?;
    failed(&program, &output)?;
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Runs `from` into `into`'s standard input, after `prelude`.
fn run_piped(mut from: Command, mut into: Command, prelude: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::process::Stdio;
    let (source, sink) = (from.get_program().to_string_lossy().into_owned(), into.get_program().to_string_lossy().into_owned());
    let mut sink_child =
        into.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().map_err(|e| cannot_start(&sink, e))?;
    let mut source_child = match from.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn() {
        Ok(child) => child,
        Err(e) => {
            let _ = sink_child.kill();
            let _ = sink_child.wait();
            return Err(cannot_start(&source, e));
        }
    };
    if let (Some(mut stdin), Some(mut stdout)) = (sink_child.stdin.take(), source_child.stdout.take()) {
        // A sink that stopped at an error closes its input: its own
        // output says why, below.
        let _ = stdin.write_all(prelude.as_bytes()).and_then(|()| std::io::copy(&mut stdout, &mut stdin).map(drop));
    }
    let (source_out, sink_out) = (source_child.wait_with_output()?, sink_child.wait_with_output()?);
    failed(&source, &source_out)?;
    failed(&sink, &sink_out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_leaves_the_url_for_the_environment() {
        let (url, password) = split_password("postgres://hotline:s3cr@t@db:5432/hotline");
        assert_eq!(url, "postgres://hotline@db:5432/hotline");
        assert_eq!(password.as_deref(), Some("s3cr@t"));
        assert_eq!(split_password("postgres://postgres@127.0.0.1/test"), ("postgres://postgres@127.0.0.1/test".into(), None));
    }

    #[test]
    fn the_sqlite_file_is_the_url_without_its_options() {
        assert_eq!(sqlite_path("sqlite:///var/lib/hotline/hotline.db?mode=rwc"), PathBuf::from("/var/lib/hotline/hotline.db"));
        assert_eq!(sqlite_path("sqlite://data/hotline.db"), PathBuf::from("data/hotline.db"));
    }
}
