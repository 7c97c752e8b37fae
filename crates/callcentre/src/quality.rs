//! How a call sounded: packet loss and jitter of what the server received
//! from each side, and a mean opinion score estimated from them with the
//! E-model (ITU-T G.107) for G.711.
//!
//! The server anchors the media, so it sees each side's packets as they
//! arrive: loss counts the caller's network (or the carrier's) on one side
//! and the consultant's on the other. Network delay is not measured (it
//! needs RTCP round trips, which the relay does not run), so the score
//! counts the delay a jitter buffer adds, not the path's own: it ranks
//! calls against each other and flags bad lines, it is not a listening
//! test.

use serde::{Deserialize, Serialize};

/// What arrived from one side of a call, over all its legs (a call moved
/// to another consultant keeps one figure for "the consultant's side").
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct LegQuality {
    /// Audio packets received.
    pub packets: u64,
    /// Packets the sequence numbers say were sent and never arrived.
    pub lost: u64,
    /// The interarrival jitter (RFC 3550 §6.4.1), in milliseconds: the
    /// highest any leg of this side reached at its end.
    pub jitter_ms: f64,
}

/// Packets per second of G.711 at 20 ms, the only packetisation the relay
/// sends; below a second of audio a side has nothing worth scoring.
const PACKETS_PER_SECOND: u64 = 50;

/// Packet-loss robustness of G.711 with packet-loss concealment (G.113
/// Appendix I): the softphones, desk phones and carriers' gateways met so
/// far all conceal lost packets.
const BPL_G711_PLC: f64 = 25.1;

/// Packetisation delay of one 20 ms frame, in ms.
const FRAME_MS: f64 = 20.0;

impl LegQuality {
    /// Adds a leg's figures to this side's: packets and losses add up,
    /// the jitter is the worse of the two.
    pub fn add(&mut self, leg: LegQuality) {
        self.packets += leg.packets;
        self.lost += leg.lost;
        self.jitter_ms = self.jitter_ms.max(leg.jitter_ms);
    }

    /// Lost packets as a share of those sent (0–1); 0 before any was sent.
    pub fn loss(&self) -> f64 {
        let sent = self.packets + self.lost;
        if sent == 0 { 0.0 } else { self.lost as f64 / sent as f64 }
    }

    /// Whether enough audio arrived (a second) for the score to mean
    /// anything.
    pub fn scored(&self) -> bool {
        self.packets + self.lost >= PACKETS_PER_SECOND
    }

    /// The estimated mean opinion score, 1 (bad) to 4.5; `None` for less
    /// than a second of audio.
    pub fn mos(&self) -> Option<f64> {
        self.scored().then(|| mos(self.loss(), self.jitter_ms))
    }
}

/// The E-model's rating factor R for G.711 (equipment impairment 0) with
/// the default values of G.107 (R0 − Is = 93.2, no advantage factor),
/// turned into a score. The one-way delay counted is a frame plus a
/// jitter buffer of twice the jitter (the usual adaptive buffer's target).
pub fn mos(loss: f64, jitter_ms: f64) -> f64 {
    let delay = FRAME_MS + 2.0 * jitter_ms.max(0.0);
    let id = 0.024 * delay + if delay > 177.3 { 0.11 * (delay - 177.3) } else { 0.0 };
    let ppl = 100.0 * loss.clamp(0.0, 1.0);
    let ie_eff = 95.0 * ppl / (ppl + BPL_G711_PLC);
    r_to_mos(93.2 - id - ie_eff)
}

/// G.107 Annex B: the score a rating factor R corresponds to.
fn r_to_mos(r: f64) -> f64 {
    if r <= 0.0 {
        1.0
    } else if r >= 100.0 {
        4.5
    } else {
        (1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7e-6).max(1.0)
    }
}

/// Both sides of a finished (or running) call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct CallQuality {
    /// What the server received from the caller.
    pub caller: LegQuality,
    /// What the server received from the consultant's phone (and the
    /// consultant who took the call over, if it moved).
    pub consultant: LegQuality,
}

impl CallQuality {
    /// The call's score: the worse side's, as a listener on the other end
    /// hears it; `None` when neither side sent a second of audio.
    pub fn mos(&self) -> Option<f64> {
        match (self.caller.mos(), self.consultant.mos()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether any audio arrived at all (a call answered by nobody's
    /// phone has nothing to record).
    pub fn measured(&self) -> bool {
        self.caller.packets + self.consultant.packets > 0
    }
}

/// A score below this is a call worth listening to for its sound
/// (ITU-T G.107 Annex B: "many users dissatisfied" below R 60 ≈ 3.1).
pub const POOR_MOS: f64 = 3.1;

#[cfg(test)]
mod tests {
    use super::*;

    fn side(packets: u64, lost: u64, jitter_ms: f64) -> LegQuality {
        LegQuality { packets, lost, jitter_ms }
    }

    #[test]
    fn a_clean_g711_line_scores_about_4_4() {
        let m = mos(0.0, 0.0);
        assert!((4.38..=4.42).contains(&m), "{m}");
    }

    #[test]
    fn loss_and_jitter_lower_the_score_step_by_step() {
        let clean = mos(0.0, 2.0);
        let one = mos(0.01, 2.0);
        let five = mos(0.05, 2.0);
        let twenty = mos(0.20, 2.0);
        assert!(clean > one && one > five && five > twenty, "{clean} {one} {five} {twenty}");
        // G.113's PLC G.711 at 5 % random loss: Ie,eff ≈ 15.7 → R ≈ 77 → ≈ 3.9.
        assert!((3.8..=4.0).contains(&five), "{five}");
        assert!(twenty < POOR_MOS, "a fifth of the packets lost is a poor call: {twenty}");
        // Delay matters past G.107's knee at 177.3 ms: 100 ms of jitter is a 220 ms buffer.
        assert!(mos(0.0, 100.0) < mos(0.0, 40.0) - 0.15);
        assert_eq!(mos(1.0, 0.0), r_to_mos(93.2 - 0.48 - 95.0 * 100.0 / 125.1));
    }

    #[test]
    fn the_score_stays_in_its_scale() {
        assert_eq!(r_to_mos(-5.0), 1.0);
        assert_eq!(r_to_mos(120.0), 4.5);
        assert!(mos(1.0, 500.0) >= 1.0);
    }

    #[test]
    fn sides_add_up_and_the_worse_side_scores_the_call() {
        let mut consultant = side(3000, 0, 1.0);
        consultant.add(side(1000, 100, 30.0));
        assert_eq!(consultant, side(4000, 100, 30.0));
        assert!((consultant.loss() - 100.0 / 4100.0).abs() < 1e-12);
        let call = CallQuality { caller: side(4000, 0, 1.0), consultant };
        assert_eq!(call.mos(), consultant.mos());
        assert!(call.caller.mos() > consultant.mos());
    }

    #[test]
    fn less_than_a_second_is_not_scored() {
        assert_eq!(side(49, 0, 0.0).mos(), None);
        assert!(side(40, 10, 0.0).mos().is_some());
        let call = CallQuality { caller: side(500, 0, 0.0), consultant: side(0, 0, 0.0) };
        assert_eq!(call.mos(), call.caller.mos(), "a silent consultant's side does not hide the caller's");
        assert!(!CallQuality::default().measured());
        assert_eq!(side(0, 0, 0.0).loss(), 0.0);
    }
}
