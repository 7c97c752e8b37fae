//! What a leg's packets say about its network: loss from the sequence
//! numbers and interarrival jitter from the timestamps against the arrival
//! clock, as RFC 3550 (§6.4.1, Appendix A.1 and A.8) has receivers keep
//! them for their reports.

use super::rtp::Header;
use hotline_callcentre::quality::LegQuality;
use std::time::Instant;

/// G.711's RTP clock, samples per second.
const CLOCK_HZ: f64 = 8000.0;

/// A jump in sequence numbers past this (RFC 3550 A.1's MAX_DROPOUT) is a
/// restarted stream (a phone re-INVITEd, a new source), not a loss.
const MAX_DROPOUT: u16 = 3000;

/// One stream's counters: restarted when the source or its numbering
/// starts over, the figures of the earlier streams kept in `before`.
#[derive(Debug)]
pub struct Reception {
    origin: Instant,
    stream: Option<Stream>,
    before: LegQuality,
}

#[derive(Debug)]
struct Stream {
    ssrc: u32,
    base: u16,
    max: u16,
    /// Sequence number wrap-arounds.
    cycles: u64,
    received: u64,
    /// The last packet's relative transit time, in clock units.
    transit: f64,
    /// RFC 3550's running estimate, in clock units.
    jitter: f64,
}

impl Stream {
    fn new(header: &Header, transit: f64) -> Self {
        Self { ssrc: header.ssrc, base: header.sequence, max: header.sequence, cycles: 0, received: 1, transit, jitter: 0.0 }
    }

    fn figures(&self) -> LegQuality {
        let expected = (self.cycles * 65536 + u64::from(self.max) + 1).saturating_sub(u64::from(self.base));
        LegQuality { packets: self.received, lost: expected.saturating_sub(self.received), jitter_ms: self.jitter / CLOCK_HZ * 1000.0 }
    }
}

impl Default for Reception {
    fn default() -> Self {
        Self::new(Instant::now())
    }
}

impl Reception {
    pub fn new(origin: Instant) -> Self {
        Self { origin, stream: None, before: LegQuality::default() }
    }

    /// An audio packet arrived at `at` (telephone-events are not counted:
    /// their timestamps stand still through an event).
    pub fn packet(&mut self, header: &Header, at: Instant) {
        let arrival = at.saturating_duration_since(self.origin).as_secs_f64() * CLOCK_HZ;
        let transit = arrival - f64::from(header.timestamp);
        if let Some(stream) = self.stream.as_mut()
            && stream.ssrc == header.ssrc
        {
            let ahead = header.sequence.wrapping_sub(stream.max);
            if ahead == 0 || ahead >= u16::MAX - MAX_DROPOUT {
                // A duplicate or a late packet: it arrived, and its gap was
                // counted as lost when the later ones came; RFC 3550 lets
                // the loss go below zero, the figure stops at zero.
                stream.received += 1;
                return;
            }
            if ahead < MAX_DROPOUT {
                if header.sequence < stream.max {
                    stream.cycles += 1;
                }
                stream.max = header.sequence;
                stream.received += 1;
                // Timestamps wrap like sequence numbers: the difference of
                // two transits is taken modulo the clock's 32 bits.
                let d = wrapped(transit - stream.transit).abs();
                stream.transit = transit;
                stream.jitter += (d - stream.jitter) / 16.0;
                return;
            }
        }
        if let Some(old) = self.stream.take() {
            self.before.add(old.figures());
        }
        self.stream = Some(Stream::new(header, transit));
    }

    /// Everything received so far, over the restarts.
    pub fn figures(&self) -> LegQuality {
        let mut all = self.before;
        if let Some(stream) = &self.stream {
            all.add(stream.figures());
        }
        all
    }
}

fn wrapped(d: f64) -> f64 {
    const SPAN: f64 = 4_294_967_296.0;
    let d = d.rem_euclid(SPAN);
    if d > SPAN / 2.0 { d - SPAN } else { d }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn header(sequence: u16, timestamp: u32, ssrc: u32) -> Header {
        Header { marker: false, payload_type: 8, sequence, timestamp, ssrc }
    }

    /// `n` packets every 20 ms from `seq`, each arriving `delay(i)` ms late.
    fn feed(r: &mut Reception, origin: Instant, seqs: impl Iterator<Item = u16>, delay: impl Fn(usize) -> u64) {
        for (i, seq) in seqs.enumerate() {
            let ts = u32::from(seq).wrapping_mul(160).wrapping_add(4_294_000_000);
            let at = origin + Duration::from_millis(20 * u64::from(seq) + delay(i));
            r.packet(&header(seq, ts, 7), at);
        }
    }

    #[test]
    fn a_steady_stream_has_no_loss_and_no_jitter() {
        let origin = Instant::now();
        let mut r = Reception::new(origin);
        feed(&mut r, origin, 0..500, |_| 3);
        let q = r.figures();
        assert_eq!((q.packets, q.lost), (500, 0));
        assert!(q.jitter_ms < 0.01, "{q:?}");
        assert!(q.mos().unwrap() > 4.3);
    }

    #[test]
    fn gaps_are_lost_and_late_or_repeated_packets_are_not() {
        let origin = Instant::now();
        let mut r = Reception::new(origin);
        // Every tenth packet missing.
        feed(&mut r, origin, (0..1000).filter(|s| s % 10 != 3), |_| 0);
        assert_eq!(r.figures().lost, 100);
        assert_eq!(r.figures().packets, 900);
        // One missing packet turns up late, another twice.
        r.packet(&header(13, 13 * 160, 7), origin + Duration::from_secs(30));
        r.packet(&header(999, 999 * 160, 7), origin + Duration::from_secs(30));
        let q = r.figures();
        assert_eq!((q.packets, q.lost), (902, 98), "both arrived; only the late one filled a gap, RFC 3550 counts both: {q:?}");
    }

    #[test]
    fn numbers_wrap_around_without_a_loss() {
        let origin = Instant::now();
        let mut r = Reception::new(origin);
        feed(&mut r, origin, (65000u32..66500).map(|s| s as u16), |_| 0);
        let q = r.figures();
        assert_eq!((q.packets, q.lost), (1500, 0), "{q:?}");
    }

    #[test]
    fn jitter_follows_rfc_3550() {
        let origin = Instant::now();
        let mut r = Reception::new(origin);
        // Arrivals alternating 0 and 10 ms late: each transit differs by
        // 10 ms (80 units), so the estimate tends to 10 ms.
        feed(&mut r, origin, 0..2000, |i| if i % 2 == 0 { 0 } else { 10 });
        let q = r.figures();
        assert!((q.jitter_ms - 10.0).abs() < 0.1, "{q:?}");
        assert!(q.mos().unwrap() < LegQuality { packets: 2000, lost: 0, jitter_ms: 0.0 }.mos().unwrap());
    }

    #[test]
    fn a_new_source_starts_a_new_stream_and_keeps_the_old_figures() {
        let origin = Instant::now();
        let mut r = Reception::new(origin);
        feed(&mut r, origin, 0..100, |_| 0);
        // The phone's stream restarts with another SSRC and far numbers.
        for i in 0..50u16 {
            r.packet(&header(40_000 + i, 9_000_000 + u32::from(i) * 160, 99), origin + Duration::from_millis(2000 + 20 * u64::from(i)));
        }
        // A jump far ahead within one source is a restart too, not 20,000 lost.
        r.packet(&header(60_000, 0, 99), origin + Duration::from_millis(3000));
        let q = r.figures();
        assert_eq!((q.packets, q.lost), (151, 0), "{q:?}");
    }
}
