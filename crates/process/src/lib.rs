//! How the server's process sets itself up before it does anything else,
//! shared with the benchmarks so that their memory figures are the
//! server's. Each setting was measured with the soak (`docs/benchmarks.md`).

/// mimalloc's option for how long memory freed stays committed before it
/// goes back to the system, in milliseconds.
pub const PURGE_DELAY: &str = "MIMALLOC_PURGE_DELAY";

/// Starts the process over, once and under the same process id, with
/// mimalloc's purge delay at 0 unless the environment already sets one.
/// mimalloc 3 keeps what is freed committed for a second, and under load a
/// second's frees held 60–70 MiB resident beside the server's own memory
/// (`docs/benchmarks.md`, "Freed memory given back at once"); purging at
/// once cost no measurable time. mimalloc reads its options only as the
/// process loads (setting one afterwards takes `unsafe` calls into C), hence
/// the environment and the new start. Called first thing in `main`, while
/// the process has one thread. Returns only where it did not start over:
/// `Ok` when the option was already set, the error when it could not.
pub fn with_prompt_purge() -> std::io::Result<()> {
    use std::os::unix::process::CommandExt;
    if std::env::var_os(PURGE_DELAY).is_some() {
        return Ok(());
    }
    let mut args = std::env::args_os();
    let mut again = std::process::Command::new(std::env::current_exe()?);
    if let Some(name) = args.next() {
        again.arg0(name);
    }
    Err(again.args(args).env(PURGE_DELAY, "0").exec())
}

/// Asks the kernel not to back this process's memory with transparent huge
/// pages. mimalloc marks its arenas as fit for them, and where the kernel
/// grants them on request (`madvise`, Debian's default) khugepaged keeps
/// folding sparsely used 4 KiB pages into whole 2 MiB ones: under a long
/// load the server's resident memory grew by twice what it held
/// (`docs/benchmarks.md`, "The soak a fifth time"). The error is the
/// kernel's; the process runs on either way.
pub fn without_huge_pages() -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    nix::sys::prctl::set_thp_disable(true).map_err(std::io::Error::from)?;
    Ok(())
}

/// The multi-threaded runtime the server runs on. Tokio's own settings:
/// keeping the blocking pool's threads ten minutes instead of ten seconds
/// did not lower the million-order soak's memory (`docs/benchmarks.md`,
/// "Where the soak's memory is not"); most threads the process starts are
/// tantivy's, which starts its indexing threads anew at every commit.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build()
}

#[cfg(test)]
mod tests {
    #[cfg(target_os = "linux")]
    #[test]
    fn the_process_runs_without_transparent_huge_pages_once_asked() {
        // The flag stays on for the rest of the test process; no test depends on huge pages.
        super::without_huge_pages().expect("the kernel takes PR_SET_THP_DISABLE");
        assert!(nix::sys::prctl::get_thp_disable().expect("the kernel answers PR_GET_THP_DISABLE"));
    }
}
