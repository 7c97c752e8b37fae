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
    /// Notices that told a waiting caller their place in the queue.
    pub places_told: AtomicU64,
    /// Packets to and from sub-centres (transfers and three-way calls).
    pub third_party: AtomicU64,
    /// Packets mixed for three-way calls.
    pub mixed_packets: AtomicU64,
    /// Time from receiving a packet to sending it on, relayed packets
    /// counted by power of two of microseconds (bucket `i`: below 2^i µs).
    pub forward_us: [AtomicU64; 24],
}

impl MediaStats {
    /// The forwarding time 99 % of relayed packets stay under, in µs (an
    /// upper bound: the bucket's end); `None` before any was relayed.
    pub fn forward_p99_us(&self) -> Option<u64> {
        let counts: Vec<u64> = self.forward_us.iter().map(|c| c.load(Ordering::Relaxed)).collect();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return None;
        }
        let mut seen = 0;
        counts.iter().enumerate().find_map(|(i, n)| {
            seen += n;
            (seen * 100 >= total * 99).then_some(1u64 << i)
        })
    }

    fn forwarded(&self, since: std::time::Instant) {
        let us = since.elapsed().as_micros() as u64;
        let bucket = (64 - us.leading_zeros() as usize).min(23);
        self.forward_us[bucket].fetch_add(1, Ordering::Relaxed);
    }
}

/// The legs of a call: the caller's, the consultant's, a sub-centre's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    Caller = 0,
    Consultant = 1,
    SubCentre = 2,
}

/// Who hears whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topology {
    /// The caller hears the programme; nobody else is connected.
    Prompts,
    /// Two legs hear each other; a caller outside the pair hears the
    /// programme (on hold while the consultant consults a sub-centre).
    Pair(Party, Party),
    /// Everyone hears everyone else (三方通话).
    Mix,
}

enum Control {
    Play(Programme),
    Leg(Party, Leg),
    Drop(Party),
    Connect(Topology),
    Listen(mpsc::UnboundedSender<u8>),
    Retarget(Party, Media),
}

/// Steers a call's media task; dropping it ends the task and frees the ports.
pub struct CallMedia {
    tx: mpsc::UnboundedSender<Control>,
}

impl CallMedia {
    /// Starts relaying for a caller's leg, silent until told what to play;
    /// packets are counted in `stats`; with `recording`, what the caller
    /// and the consultant say is written to it, from the first connection.
    pub fn start(caller: Leg, stats: Arc<MediaStats>, recording: Option<Recorder>) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(caller, rx, stats, recording));
        Self { tx }
    }

    pub fn play(&self, programme: Programme) {
        let _ = self.tx.send(Control::Play(programme));
    }

    /// A leg joins (its media is ready), replacing one of the same party.
    pub fn leg(&self, party: Party, leg: Leg) {
        let _ = self.tx.send(Control::Leg(party, leg));
    }

    /// A leg leaves; its port is freed.
    pub fn drop_leg(&self, party: Party) {
        let _ = self.tx.send(Control::Drop(party));
    }

    pub fn connect(&self, topology: Topology) {
        let _ = self.tx.send(Control::Connect(topology));
    }

    /// The caller's keypad digits (RFC 4733 events: 0–9, 10 `*`, 11 `#`),
    /// each once, from now on.
    pub fn listen(&self, digits: mpsc::UnboundedSender<u8>) {
        let _ = self.tx.send(Control::Listen(digits));
    }

    /// A leg's peer moved or changed codec (a re-INVITE or UPDATE).
    pub fn retarget(&self, party: Party, media: Media) {
        let _ = self.tx.send(Control::Retarget(party, media));
    }

    /// Caller and consultant hear each other; prompts stop.
    pub fn bridge(&self) {
        self.connect(Topology::Pair(Party::Caller, Party::Consultant));
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

/// The audio samples of a packet in the leg's codec; `None` for events
/// and other payloads.
fn decode(packet: &[u8], media: &Media) -> Option<Vec<i16>> {
    let (header, start) = rtp::parse(packet)?;
    if header.payload_type != media.codec.payload_type() {
        return None;
    }
    let payload = &packet[start..];
    Some(match media.codec {
        Codec::Pcma => payload.iter().map(|b| g711::alaw_decode(*b)).collect(),
        Codec::Pcmu => payload.iter().map(|b| g711::ulaw_decode(*b)).collect(),
    })
}

/// Samples waiting to be mixed or recorded, at most `MAX_QUEUED` (150 ms):
/// a leg that sends faster than the clock loses its oldest samples rather
/// than adding delay.
#[derive(Default)]
struct Fifo(std::collections::VecDeque<i16>);

const MAX_QUEUED: usize = 1200;

impl Fifo {
    fn push(&mut self, samples: &[i16]) {
        self.0.extend(samples);
        let excess = self.0.len().saturating_sub(MAX_QUEUED);
        self.0.drain(..excess);
    }

    fn take(&mut self, frame: &mut [i16; 160]) {
        for s in frame.iter_mut() {
            *s = self.0.pop_front().unwrap_or(0);
        }
    }

    fn clear(&mut self) {
        self.0.clear();
    }
}

/// A call's recording: caller on the left channel, the centre's side (the
/// consultant, and a sub-centre in a three-way call) on the right, as
/// 16-bit PCM written as the call goes, finished when the call ends.
pub struct Recorder {
    file: std::io::BufWriter<std::fs::File>,
    path: std::path::PathBuf,
    frames: u64,
    done: Option<tokio::sync::oneshot::Sender<Recording>>,
}

/// A finished recording.
#[derive(Debug)]
pub struct Recording {
    pub path: std::path::PathBuf,
    pub seconds: f64,
}

impl Recorder {
    /// Creates the file; the recording is sent to `done` when the call ends.
    pub fn create(path: std::path::PathBuf, done: tokio::sync::oneshot::Sender<Recording>) -> io::Result<Self> {
        use std::io::Write;
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path)?);
        file.write_all(&super::wav::write_pcm16(2, &[]))?;
        Ok(Self { file, path, frames: 0, done: Some(done) })
    }

    fn write(&mut self, left: &[i16; 160], right: &[i16; 160]) -> io::Result<()> {
        use std::io::Write;
        let mut bytes = [0u8; 640];
        for i in 0..160 {
            bytes[i * 4..i * 4 + 2].copy_from_slice(&left[i].to_le_bytes());
            bytes[i * 4 + 2..i * 4 + 4].copy_from_slice(&right[i].to_le_bytes());
        }
        self.frames += 160;
        self.file.write_all(&bytes)
    }

    fn finish(mut self) {
        use std::io::{Seek, SeekFrom, Write};
        let data = (self.frames * 4) as u32;
        let done = (|| -> io::Result<()> {
            self.file.flush()?;
            let file = self.file.get_mut();
            file.seek(SeekFrom::Start(4))?;
            file.write_all(&(36 + data).to_le_bytes())?;
            file.seek(SeekFrom::Start(40))?;
            file.write_all(&data.to_le_bytes())?;
            file.sync_all()
        })();
        match done {
            Ok(()) => {
                if let Some(tx) = self.done.take() {
                    let _ = tx.send(Recording { path: self.path.clone(), seconds: self.frames as f64 / 8000.0 });
                }
            }
            Err(e) => tracing::error!(error = %e, path = %self.path.display(), "a call's recording could not be finished"),
        }
    }
}

/// A connected leg as the task keeps it.
struct Live {
    leg: Leg,
    target: Target,
    /// What it sent, for the mix and the recording.
    heard: Fifo,
    /// Our own stream to it (prompts and mixes).
    out: Header,
}

impl Live {
    fn new(leg: Leg) -> Self {
        let out = Header {
            marker: true,
            payload_type: leg.peer.codec.payload_type(),
            sequence: rand::random(),
            timestamp: rand::random(),
            ssrc: rand::random(),
        };
        let target = Target::new(leg.peer);
        Self { leg, target, heard: Fifo::default(), out }
    }

    async fn send_samples(&mut self, samples: &[i16; 160], scratch: &mut Vec<u8>) -> bool {
        rtp::write(&self.out, &encode(self.leg.peer.codec, samples), scratch);
        self.out.marker = false;
        self.out.sequence = self.out.sequence.wrapping_add(1);
        self.out.timestamp = self.out.timestamp.wrapping_add(160);
        self.leg.socket.send_to(scratch, self.target.addr()).await.is_ok()
    }
}

async fn recv(leg: Option<&Live>, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
    match leg {
        Some(live) => live.leg.socket.recv_from(buf).await,
        None => std::future::pending().await,
    }
}

fn counter(stats: &MediaStats, party: Party, inbound: bool) -> &AtomicU64 {
    match (party, inbound) {
        (Party::Caller, true) => &stats.from_caller,
        (Party::Caller, false) => &stats.to_caller,
        (Party::Consultant, true) => &stats.from_consultant,
        (Party::Consultant, false) => &stats.to_consultant,
        (Party::SubCentre, _) => &stats.third_party,
    }
}

/// The digit of a telephone-event packet that ends an event not seen yet.
fn event_end(packet: &[u8], media: &Media, last: &mut Option<u32>) -> Option<u8> {
    let (header, start) = rtp::parse(packet)?;
    let payload = packet.get(start..start + 4)?;
    if Some(header.payload_type) != media.events || payload[1] & 0x80 == 0 || *last == Some(header.timestamp) {
        return None;
    }
    *last = Some(header.timestamp);
    Some(payload[0])
}

const PARTIES: [Party; 3] = [Party::Caller, Party::Consultant, Party::SubCentre];

async fn run(caller: Leg, mut rx: mpsc::UnboundedReceiver<Control>, stats: Arc<MediaStats>, mut recording: Option<Recorder>) {
    let mut legs: [Option<Live>; 3] = [Some(Live::new(caller)), None, None];
    let mut topology = Topology::Prompts;
    let mut recording_started = false;
    let mut digits: Option<mpsc::UnboundedSender<u8>> = None;
    // An event's end is sent three times (RFC 4733 §2.5.1.4): one digit per timestamp.
    let mut last_event: Option<u32> = None;
    let mut player = Player::new(Programme::Silence);
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut bufs = [vec![0u8; 2048], vec![0u8; 2048], vec![0u8; 2048]];
    let mut out = Vec::with_capacity(256);
    loop {
        let [b0, b1, b2] = &mut bufs;
        let received = tokio::select! {
            control = rx.recv() => {
                match control {
                    None => break,
                    Some(Control::Play(programme)) => player = Player::new(programme),
                    Some(Control::Leg(party, leg)) => legs[party as usize] = Some(Live::new(leg)),
                    Some(Control::Drop(party)) => legs[party as usize] = None,
                    Some(Control::Listen(tx)) => digits = Some(tx),
                    Some(Control::Retarget(party, media)) => {
                        if let Some(live) = legs[party as usize].as_mut() {
                            live.leg.peer = media;
                            live.target = Target::new(media);
                            live.out.payload_type = media.codec.payload_type();
                        }
                    }
                    Some(Control::Connect(t)) => {
                        topology = t;
                        recording_started |= t != Topology::Prompts;
                        for live in legs.iter_mut().flatten() {
                            live.heard.clear();
                        }
                    }
                }
                continue;
            }
            r = recv(legs[0].as_ref(), b0) => (Party::Caller, r),
            r = recv(legs[1].as_ref(), b1) => (Party::Consultant, r),
            r = recv(legs[2].as_ref(), b2) => (Party::SubCentre, r),
            _ = tick.tick() => {
                let mut frames = [[0i16; 160]; 3];
                let mixing = topology == Topology::Mix;
                if mixing || recording_started {
                    for party in PARTIES {
                        if let Some(live) = legs[party as usize].as_mut() {
                            live.heard.take(&mut frames[party as usize]);
                        }
                    }
                }
                if recording_started && let Some(recorder) = recording.as_mut() {
                    // The centre's side: the consultant, and the sub-centre when mixed.
                    let mut right = frames[1];
                    if mixing {
                        for (r, s) in right.iter_mut().zip(frames[2]) {
                            *r = r.saturating_add(s);
                        }
                    }
                    if let Err(e) = recorder.write(&frames[0], &right) {
                        tracing::error!(error = %e, "recording stopped");
                        recording = None;
                    }
                }
                if mixing {
                    for party in PARTIES {
                        let mut mix = [0i16; 160];
                        for other in PARTIES.iter().filter(|p| **p != party) {
                            for (m, s) in mix.iter_mut().zip(frames[*other as usize]) {
                                *m = m.saturating_add(s);
                            }
                        }
                        if let Some(live) = legs[party as usize].as_mut()
                            && live.send_samples(&mix, &mut out).await
                        {
                            stats.mixed_packets.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                } else if !matches!(topology, Topology::Pair(Party::Caller, _) | Topology::Pair(_, Party::Caller)) {
                    let mut frame = [0i16; 160];
                    let told = player.places_told;
                    player.fill(&mut frame);
                    stats.places_told.fetch_add(player.places_told - told, Ordering::Relaxed);
                    if let Some(live) = legs[0].as_mut()
                        && live.send_samples(&frame, &mut out).await
                    {
                        stats.prompt_packets.fetch_add(1, Ordering::Relaxed);
                    }
                }
                continue;
            }
        };
        let (party, Ok((n, from))) = received else { continue };
        let received_at = std::time::Instant::now();
        let i = party as usize;
        let Some(live) = legs[i].as_mut() else { continue };
        live.target.saw(from);
        counter(&stats, party, true).fetch_add(1, Ordering::Relaxed);
        let packet = &bufs[i][..n];
        if party == Party::Caller
            && let Some(tx) = &digits
            && let Some(digit) = event_end(packet, &live.leg.peer, &mut last_event)
        {
            let _ = tx.send(digit);
        }
        if (topology == Topology::Mix || recording_started)
            && let Some(samples) = decode(packet, &live.leg.peer)
        {
            live.heard.push(&samples);
        }
        let to = match topology {
            Topology::Pair(a, b) if a == party => b,
            Topology::Pair(a, b) if b == party => a,
            _ => continue,
        };
        let from_media = live.leg.peer;
        if let Some(peer) = legs[to as usize].as_ref()
            && translate(packet, &from_media, &peer.leg.peer, &mut out)
            && peer.leg.socket.send_to(&out, peer.target.addr()).await.is_ok()
        {
            counter(&stats, to, false).fetch_add(1, Ordering::Relaxed);
            stats.forwarded(received_at);
        }
    }
    if let Some(recorder) = recording {
        recorder.finish();
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

    #[test]
    fn the_p99_is_the_bucket_holding_the_99th_percentile() {
        let stats = MediaStats::default();
        assert_eq!(stats.forward_p99_us(), None);
        stats.forward_us[4].store(990, Ordering::Relaxed); // 8–15 µs
        stats.forward_us[10].store(10, Ordering::Relaxed); // 512–1023 µs
        assert_eq!(stats.forward_p99_us(), Some(16));
        stats.forward_us[10].store(11, Ordering::Relaxed);
        assert_eq!(stats.forward_p99_us(), Some(1024));
    }

    #[test]
    fn a_digit_is_taken_once_from_its_end_packets() {
        let media = media(Codec::Pcma, Some(101));
        let mut last = None;
        let mut event = |ts: u32, end: bool| {
            let mut out = Vec::new();
            rtp::write(
                &Header { marker: false, payload_type: 101, sequence: 1, timestamp: ts, ssrc: 3 },
                &[1, if end { 0x8a } else { 0x0a }, 0, 160],
                &mut out,
            );
            event_end(&out, &media, &mut last)
        };
        assert_eq!(event(100, false), None, "not ended yet");
        assert_eq!(event(100, true), Some(1));
        assert_eq!(event(100, true), None, "the end's retransmissions");
        assert_eq!(event(900, true), Some(1), "the same key pressed again");
        assert_eq!(event_end(&packet(8, &[0xD5; 4]), &media, &mut last), None, "audio is no digit");
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
