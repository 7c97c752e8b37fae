//! The media of one call, anchored in the server: the caller's leg plays
//! prompts until a consultant's leg is bridged to it, then RTP is relayed
//! both ways, transcoded between A-law and µ-law when the legs differ, and
//! telephone-events renumbered.

use super::g711;
use super::prompts::{Player, Programme};
use super::rtp::{self, Header};
use super::sdp::{Codec, Media};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// Even UDP ports for RTP, taken in turn from a range.
pub struct RtpPorts {
    ip: IpAddr,
    first: u16,
    last: u16,
    next: AtomicU16,
}

impl RtpPorts {
    pub fn new(ip: IpAddr, first: u16, last: u16) -> Self {
        let first = first + first % 2;
        Self { ip, first, last, next: AtomicU16::new(first) }
    }

    /// A socket on the next free even port of the range.
    pub async fn bind(&self) -> io::Result<UdpSocket> {
        let span = (self.last.saturating_sub(self.first) / 2 + 1).max(1);
        for _ in 0..span {
            let port = self.next.fetch_add(2, Ordering::Relaxed);
            let port = if port > self.last || port < self.first {
                self.next.store(self.first + 2, Ordering::Relaxed);
                self.first
            } else {
                port
            };
            if let Ok(socket) = UdpSocket::bind((self.ip, port)).await {
                return Ok(socket);
            }
        }
        Err(io::Error::new(io::ErrorKind::AddrInUse, format!("no free RTP port in {}–{}", self.first, self.last)))
    }
}

/// One side of the call: our socket and what the peer negotiated.
pub struct Leg {
    pub socket: UdpSocket,
    pub peer: Media,
}

impl Leg {
    pub fn local(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }
}

/// Packets counted per direction, for tests, the benchmark and the record.
#[derive(Debug, Default)]
pub struct MediaStats {
    pub from_caller: AtomicU64,
    pub to_consultant: AtomicU64,
    pub from_consultant: AtomicU64,
    pub to_caller: AtomicU64,
    pub prompt_packets: AtomicU64,
}

enum Control {
    Play(Programme),
    Consultant(Leg),
    Bridge,
}

/// Steers a call's media task; dropping it ends the task and frees the ports.
pub struct CallMedia {
    tx: mpsc::UnboundedSender<Control>,
}

impl CallMedia {
    /// Starts relaying for a caller's leg, silent until told what to play;
    /// packets are counted in `stats`.
    pub fn start(caller: Leg, stats: Arc<MediaStats>) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(caller, rx, stats));
        Self { tx }
    }

    pub fn play(&self, programme: Programme) {
        let _ = self.tx.send(Control::Play(programme));
    }

    /// The consultant's leg, ready for [`Self::bridge`].
    pub fn consultant(&self, leg: Leg) {
        let _ = self.tx.send(Control::Consultant(leg));
    }

    /// Caller and consultant hear each other; prompts stop.
    pub fn bridge(&self) {
        let _ = self.tx.send(Control::Bridge);
    }
}

/// Where a leg sends: the negotiated address, or the one the peer's
/// packets really come from when its IP is the negotiated one (symmetric
/// RTP through a NAT that changed the port).
struct Target {
    media: Media,
    latched: Option<SocketAddr>,
}

impl Target {
    fn new(media: Media) -> Self {
        Self { media, latched: None }
    }

    fn saw(&mut self, from: SocketAddr) {
        if from.ip() == self.media.addr.ip() {
            self.latched = Some(from);
        }
    }

    fn addr(&self) -> SocketAddr {
        self.latched.unwrap_or(self.media.addr)
    }
}

async fn recv(leg: Option<&Leg>, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
    match leg {
        Some(leg) => leg.socket.recv_from(buf).await,
        None => std::future::pending().await,
    }
}

/// Rewrites a packet from one leg for the other: the codec transcoded, a
/// telephone-event renumbered; `false` when the other side cannot take it.
fn translate(packet: &[u8], from: &Media, to: &Media, out: &mut Vec<u8>) -> bool {
    let Some((mut header, start)) = rtp::parse(packet) else { return false };
    let payload = &packet[start..];
    if Some(header.payload_type) == from.events {
        let Some(pt) = to.events else { return false };
        header.payload_type = pt;
        rtp::write(&header, payload, out);
        return true;
    }
    if header.payload_type != from.codec.payload_type() {
        return false;
    }
    header.payload_type = to.codec.payload_type();
    if from.codec == to.codec {
        rtp::write(&header, payload, out);
    } else {
        let converted: Vec<u8> = match from.codec {
            Codec::Pcma => payload.iter().map(|b| g711::ulaw_encode(g711::alaw_decode(*b))).collect(),
            Codec::Pcmu => payload.iter().map(|b| g711::alaw_encode(g711::ulaw_decode(*b))).collect(),
        };
        rtp::write(&header, &converted, out);
    }
    true
}

fn encode(codec: Codec, samples: &[i16]) -> Vec<u8> {
    match codec {
        Codec::Pcma => samples.iter().map(|s| g711::alaw_encode(*s)).collect(),
        Codec::Pcmu => samples.iter().map(|s| g711::ulaw_encode(*s)).collect(),
    }
}

async fn run(caller: Leg, mut rx: mpsc::UnboundedReceiver<Control>, stats: Arc<MediaStats>) {
    let mut caller_target = Target::new(caller.peer);
    let mut consultant: Option<(Leg, Target)> = None;
    let mut bridged = false;
    let mut player = Player::new(Programme::Silence);
    let mut prompt = Header {
        marker: true,
        payload_type: caller.peer.codec.payload_type(),
        sequence: rand::random(),
        timestamp: rand::random(),
        ssrc: rand::random(),
    };
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let (mut from_caller, mut from_consultant) = (vec![0u8; 2048], vec![0u8; 2048]);
    let mut out = Vec::with_capacity(256);
    let mut frame = [0i16; 160];
    loop {
        tokio::select! {
            control = rx.recv() => match control {
                None => return,
                Some(Control::Play(programme)) => player = Player::new(programme),
                Some(Control::Consultant(leg)) => {
                    let target = Target::new(leg.peer);
                    consultant = Some((leg, target));
                }
                Some(Control::Bridge) => bridged = true,
            },
            received = caller.socket.recv_from(&mut from_caller) => {
                let Ok((n, from)) = received else { continue };
                caller_target.saw(from);
                stats.from_caller.fetch_add(1, Ordering::Relaxed);
                if let (true, Some((leg, target))) = (bridged, consultant.as_ref())
                    && translate(&from_caller[..n], &caller.peer, &leg.peer, &mut out)
                    && leg.socket.send_to(&out, target.addr()).await.is_ok()
                {
                    stats.to_consultant.fetch_add(1, Ordering::Relaxed);
                }
            }
            received = recv(consultant.as_ref().map(|(leg, _)| leg), &mut from_consultant) => {
                let Ok((n, from)) = received else { continue };
                let Some((leg, target)) = consultant.as_mut() else { continue };
                target.saw(from);
                stats.from_consultant.fetch_add(1, Ordering::Relaxed);
                if bridged
                    && translate(&from_consultant[..n], &leg.peer, &caller.peer, &mut out)
                    && caller.socket.send_to(&out, caller_target.addr()).await.is_ok()
                {
                    stats.to_caller.fetch_add(1, Ordering::Relaxed);
                }
            }
            _ = tick.tick(), if !bridged => {
                player.fill(&mut frame);
                rtp::write(&prompt, &encode(caller.peer.codec, &frame), &mut out);
                prompt.marker = false;
                prompt.sequence = prompt.sequence.wrapping_add(1);
                prompt.timestamp = prompt.timestamp.wrapping_add(160);
                if caller.socket.send_to(&out, caller_target.addr()).await.is_ok() {
                    stats.prompt_packets.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn media(codec: Codec, events: Option<u8>) -> Media {
        Media { addr: "127.0.0.1:9".parse().unwrap(), codec, events }
    }

    fn packet(pt: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        rtp::write(&Header { marker: false, payload_type: pt, sequence: 1, timestamp: 2, ssrc: 3 }, payload, &mut out);
        out
    }

    #[test]
    fn the_same_codec_passes_unchanged_and_the_other_is_transcoded() {
        let mut out = Vec::new();
        let alaw = packet(8, &[0xD5, 0xAA]);
        assert!(translate(&alaw, &media(Codec::Pcma, None), &media(Codec::Pcma, None), &mut out));
        assert_eq!(out, alaw);
        assert!(translate(&alaw, &media(Codec::Pcma, None), &media(Codec::Pcmu, None), &mut out));
        // A-law 0xD5 is +8, µ-law's step above zero; 0xAA full scale.
        assert_eq!(out, packet(0, &[0xFE, 0x80]));
    }

    #[test]
    fn telephone_events_are_renumbered_or_dropped() {
        let mut out = Vec::new();
        let digit = packet(101, &[1, 0x80, 0, 160]);
        assert!(translate(&digit, &media(Codec::Pcma, Some(101)), &media(Codec::Pcma, Some(96)), &mut out));
        assert_eq!(out, packet(96, &[1, 0x80, 0, 160]));
        assert!(!translate(&digit, &media(Codec::Pcma, Some(101)), &media(Codec::Pcma, None), &mut out));
        assert!(!translate(&packet(18, &[0]), &media(Codec::Pcma, Some(101)), &media(Codec::Pcma, None), &mut out), "G.729 is not ours");
        assert!(!translate(&[1, 2, 3], &media(Codec::Pcma, None), &media(Codec::Pcma, None), &mut out), "not RTP");
    }

    #[tokio::test]
    async fn ports_are_even_and_reused_after_the_range_ends() {
        let ports = RtpPorts::new("127.0.0.1".parse().unwrap(), 41001, 41005);
        let a = ports.bind().await.unwrap();
        let b = ports.bind().await.unwrap();
        assert_eq!(a.local_addr().unwrap().port(), 41002);
        assert_eq!(b.local_addr().unwrap().port(), 41004);
        let err = ports.bind().await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse, "both ports are held");
        drop(a);
        assert_eq!(ports.bind().await.unwrap().local_addr().unwrap().port(), 41002);
    }
}
