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

/// What glibc's allocator holds resident, in MiB: next to nothing, as
/// mimalloc's `override` takes SQLite's allocations too. A build without
/// it (as for heaptrack, which does not see mimalloc) shows here SQLite's
/// page caches and statements and what glibc keeps of those freed. Read
/// from `/proc/self/smaps`: the main arena is `[heap]`; each other arena
/// is a 64 MiB-aligned region of 64 MiB, readable up to where it has grown
/// and reserved without access after. 0 where the file does not exist.
pub fn glibc_mib() -> f64 {
    std::fs::read_to_string("/proc/self/smaps").map_or(0.0, |s| glibc_kib(&s) / 1024.0)
}

const ARENA: u64 = 64 << 20;

/// One mapping of `/proc/PID/smaps`: its span, permissions, path and
/// resident KiB.
struct Mapping<'a> {
    start: u64,
    end: u64,
    perms: &'a str,
    path: &'a str,
    rss_kib: f64,
}

fn mappings(smaps: &str) -> Vec<Mapping<'_>> {
    let mut out: Vec<Mapping> = Vec::new();
    for line in smaps.lines() {
        let mut fields = line.split_whitespace();
        let first = fields.next().unwrap_or("");
        if let Some((from, to)) = first.split_once('-')
            && let (Ok(start), Ok(end)) = (u64::from_str_radix(from, 16), u64::from_str_radix(to, 16))
        {
            let perms = fields.next().unwrap_or("");
            let path = fields.nth(3).unwrap_or("");
            out.push(Mapping { start, end, perms, path, rss_kib: 0.0 });
        } else if first == "Rss:"
            && let Some(last) = out.last_mut()
        {
            last.rss_kib = fields.next().and_then(|v| v.parse().ok()).unwrap_or(0.0);
        }
    }
    out
}

fn glibc_kib(smaps: &str) -> f64 {
    let maps = mappings(smaps);
    let mut kib = 0.0;
    for (i, m) in maps.iter().enumerate() {
        if m.path == "[heap]" {
            kib += m.rss_kib;
            continue;
        }
        if !m.path.is_empty() || m.perms != "rw-p" || m.start % ARENA != 0 {
            continue;
        }
        let reserved = maps.get(i + 1).filter(|n| n.start == m.end && n.perms == "---p" && n.path.is_empty()).map_or(m.end, |n| n.end);
        if reserved - m.start == ARENA {
            kib += m.rss_kib;
        }
    }
    kib
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glibc_counts_the_main_heap_and_whole_arenas_only() {
        let smaps = "\
55d0c0000000-55d0c0100000 rw-p 00000000 00:00 0                          [heap]
Rss:                1024 kB
7f0000000000-7f0001000000 rw-p 00000000 00:00 0
Rss:                 300 kB
7f0001000000-7f0004000000 ---p 00000000 00:00 0
Rss:                   0 kB
7f0008000000-7f000c000000 rw-p 00000000 00:00 0
Rss:                5000 kB
7f0010000000-7f0011000000 rw-p 00000000 00:00 0
Rss:                7000 kB
7f0012000000-7f0012200000 rw-p 00000000 00:00 0
Rss:                2048 kB
7f0020000000-7f0021000000 rw-p 00000000 00:00 0   /usr/lib/libsqlite.so
Rss:                 100 kB
";
        // The heap, an arena grown to 16 MiB of its 64, one grown to all
        // 64; not a 16 MiB mapping with nothing reserved after it, not one
        // off the alignment, not a file.
        assert_eq!(glibc_kib(smaps), 1024.0 + 300.0 + 5000.0);
    }
}
