//! The process's memory, as the kernel counts it.

/// Resident set size in MiB (`VmRSS` of /proc/self/status); 0 where the
/// file does not exist.
pub fn resident_mib() -> f64 {
    status_kib("VmRSS:") / 1024.0
}

/// The anonymous part of the resident set (heap and stacks, not mapped
/// files such as the search index's segments), in MiB.
pub fn anonymous_mib() -> f64 {
    status_kib("RssAnon:") / 1024.0
}

/// The highest resident set size so far, in MiB.
pub fn peak_mib() -> f64 {
    status_kib("VmHWM:") / 1024.0
}

fn status_kib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()))
        .unwrap_or(0.0)
}
