//! The media of one call, anchored in the server: the caller's leg plays
//! prompts until a consultant's leg is bridged to it, then RTP is relayed
//! both ways, transcoded between A-law and µ-law when the legs differ, and
//! telephone-events renumbered.

use super::g711;
use super::prompts::{Player, Programme};
use super::reception::Reception;
use super::rtp::{self, Header};
use super::sdp::{Codec, Media};
use hotline_callcentre::quality::{CallQuality, LegQuality};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
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
    /// Packets mixed for three-way calls and monitored calls.
    pub mixed_packets: AtomicU64,
    /// Packets from supervisors listening in, and mixes sent to them.
    pub supervisor: AtomicU64,
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

/// The legs of a call: the caller's, the consultant's, a sub-centre's,
/// and a supervisor's listening in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    Caller = 0,
    Consultant = 1,
    SubCentre = 2,
    Supervisor = 3,
}

/// What a supervisor's leg does in a call (班长监听、耳语、强插).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Monitor {
    /// Hears everyone talking; nobody hears them.
    Listen,
    /// Hears everyone; only the consultant hears them (coaching).
    Whisper,
    /// Hears and is heard by everyone talking (a three-way call).
    Barge,
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
    Monitor(Option<Monitor>),
    TakeOver,
    WhenEnded(tokio::sync::oneshot::Sender<CallQuality>),
}

/// Steers a call's media task; dropping it ends the task and frees the ports.
pub struct CallMedia {
    tx: mpsc::UnboundedSender<Control>,
    /// How the call sounds so far, updated once a second.
    quality: Arc<Mutex<CallQuality>>,
}

impl CallMedia {
    /// Starts relaying for a caller's leg, silent until told what to play;
    /// packets are counted in `stats`; with `recording`, what the caller
    /// and the consultant say is written to it, from the first connection.
    pub fn start(caller: Leg, stats: Arc<MediaStats>, recording: Option<Recorder>) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let quality = Arc::new(Mutex::new(CallQuality::default()));
        tokio::spawn(run(caller, rx, stats, recording, quality.clone()));
        Self { tx, quality }
    }

    /// The call's loss, jitter and score so far (at most a second old).
    pub fn quality(&self) -> CallQuality {
        *self.quality.lock().expect("call quality lock")
    }

    /// Learns the call's final figures once its media has ended.
    pub fn when_ended(&self) -> tokio::sync::oneshot::Receiver<CallQuality> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let _ = self.tx.send(Control::WhenEnded(tx));
        rx
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

    /// How the supervisor's leg takes part (`None`: it hears nothing and
    /// is heard by nobody, e.g. while its phone rings).
    pub fn monitor(&self, mode: Option<Monitor>) {
        let _ = self.tx.send(Control::Monitor(mode));
    }

    /// Caller and consultant hear each other; prompts stop.
    /// The supervisor's leg takes the consultant's place (接管): the
    /// consultant's leg is dropped (its figures stay with the consultant's
    /// side), the supervisor's goes on on the same port, heard as the
    /// consultant was, and recorded on the centre's channel.
    pub fn take_over(&self) {
        let _ = self.tx.send(Control::TakeOver);
    }

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
    /// Loss and jitter of what it sends.
    reception: Reception,
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
        Self { leg, target, heard: Fifo::default(), out, reception: Reception::default() }
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
        (Party::Supervisor, _) => &stats.supervisor,
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

const PARTIES: [Party; 4] = [Party::Caller, Party::Consultant, Party::SubCentre, Party::Supervisor];

/// Who hears whom through the mixer: `heard[to][from]`.
type Hearing = [[bool; 4]; 4];

/// Whether the caller talks to someone (else they hear the programme).
fn caller_talks(topology: Topology) -> bool {
    match topology {
        Topology::Prompts => false,
        Topology::Pair(a, b) => a == Party::Caller || b == Party::Caller,
        Topology::Mix => true,
    }
}

/// The mixer's matrix, or `None` when packets are simply relayed between
/// a pair: a three-way call mixes, and so does any call a supervisor is
/// listening to (their leg hears everyone talking; whispering, only the
/// consultant hears them; barging in, everyone).
fn hearing(topology: Topology, monitor: Option<Monitor>, supervisor_present: bool) -> Option<Hearing> {
    let mut heard = [[false; 4]; 4];
    match topology {
        Topology::Prompts => {}
        Topology::Pair(a, b) => {
            heard[a as usize][b as usize] = true;
            heard[b as usize][a as usize] = true;
        }
        Topology::Mix => {
            for (to, row) in heard.iter_mut().take(3).enumerate() {
                for (from, h) in row.iter_mut().take(3).enumerate() {
                    *h = to != from;
                }
            }
        }
    }
    let monitor = monitor.filter(|_| supervisor_present);
    if topology != Topology::Mix && monitor.is_none() {
        return None;
    }
    let talking: Vec<usize> = (0..3).filter(|p| heard[*p].iter().any(|h| *h)).collect();
    let s = Party::Supervisor as usize;
    if let Some(mode) = monitor {
        for &p in &talking {
            heard[s][p] = true;
            heard[p][s] = match mode {
                Monitor::Listen => false,
                Monitor::Whisper => p == Party::Consultant as usize,
                Monitor::Barge => true,
            };
        }
    }
    Some(heard)
}

/// The caller's and the consultant's sides: the legs that left and the
/// ones still connected.
#[derive(Default)]
struct Sides {
    left: [LegQuality; 2],
}

impl Sides {
    /// A leg leaves (dropped or replaced): its figures stay with its side.
    fn leaving(&mut self, party: Party, live: Option<Live>) {
        if let (Some(live), Some(side)) = (live, self.left.get_mut(party as usize)) {
            side.add(live.reception.figures());
        }
    }

    fn now(&self, legs: &[Option<Live>; 4]) -> CallQuality {
        let mut sides = self.left;
        for (side, live) in sides.iter_mut().zip(legs) {
            if let Some(live) = live {
                side.add(live.reception.figures());
            }
        }
        CallQuality { caller: sides[0], consultant: sides[1] }
    }
}

async fn run(
    caller: Leg,
    mut rx: mpsc::UnboundedReceiver<Control>,
    stats: Arc<MediaStats>,
    mut recording: Option<Recorder>,
    quality: Arc<Mutex<CallQuality>>,
) {
    let mut legs: [Option<Live>; 4] = [Some(Live::new(caller)), None, None, None];
    let mut monitor: Option<Monitor> = None;
    let mut sides = Sides::default();
    let mut waiting: Vec<tokio::sync::oneshot::Sender<CallQuality>> = Vec::new();
    let mut ticks: u32 = 0;
    let mut topology = Topology::Prompts;
    let mut recording_started = false;
    let mut digits: Option<mpsc::UnboundedSender<u8>> = None;
    // An event's end is sent three times (RFC 4733 §2.5.1.4): one digit per timestamp.
    let mut last_event: Option<u32> = None;
    let mut player = Player::new(Programme::Silence);
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut bufs = [vec![0u8; 2048], vec![0u8; 2048], vec![0u8; 2048], vec![0u8; 2048]];
    let mut out = Vec::with_capacity(256);
    loop {
        let [b0, b1, b2, b3] = &mut bufs;
        let received = tokio::select! {
            control = rx.recv() => {
                match control {
                    None => break,
                    Some(Control::Play(programme)) => player = Player::new(programme),
                    Some(Control::Leg(party, leg)) => sides.leaving(party, legs[party as usize].replace(Live::new(leg))),
                    Some(Control::Drop(party)) => sides.leaving(party, legs[party as usize].take()),
                    Some(Control::WhenEnded(tx)) => waiting.push(tx),
                    Some(Control::Monitor(mode)) => {
                        monitor = mode;
                        for live in legs.iter_mut().flatten() {
                            live.heard.clear();
                        }
                    }
                    Some(Control::TakeOver) => {
                        if let Some(supervisor) = legs[Party::Supervisor as usize].take() {
                            sides.leaving(Party::Consultant, legs[Party::Consultant as usize].replace(supervisor));
                        }
                        monitor = None;
                        for live in legs.iter_mut().flatten() {
                            live.heard.clear();
                        }
                    }
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
            r = recv(legs[3].as_ref(), b3) => (Party::Supervisor, r),
            _ = tick.tick() => {
                ticks = ticks.wrapping_add(1);
                if ticks.is_multiple_of(50) {
                    *quality.lock().expect("call quality lock") = sides.now(&legs);
                }
                let mut frames = [[0i16; 160]; 4];
                let heard = hearing(topology, monitor, legs[3].is_some());
                let mixing = heard.is_some();
                if mixing || recording_started {
                    for party in PARTIES {
                        if let Some(live) = legs[party as usize].as_mut() {
                            live.heard.take(&mut frames[party as usize]);
                        }
                    }
                }
                if recording_started && let Some(recorder) = recording.as_mut() {
                    // The centre's side: the consultant, and whoever else the
                    // caller hears (a sub-centre, a supervisor barging in).
                    let mut right = frames[1];
                    if let Some(heard) = &heard {
                        for other in [Party::SubCentre, Party::Supervisor] {
                            if heard[0][other as usize] {
                                for (r, s) in right.iter_mut().zip(frames[other as usize]) {
                                    *r = r.saturating_add(s);
                                }
                            }
                        }
                    }
                    if let Err(e) = recorder.write(&frames[0], &right) {
                        tracing::error!(error = %e, "recording stopped");
                        recording = None;
                    }
                }
                if let Some(heard) = &heard {
                    for party in PARTIES {
                        let row = heard[party as usize];
                        if !row.iter().any(|h| *h) {
                            continue;
                        }
                        let mut mix = [0i16; 160];
                        for other in PARTIES.iter().filter(|p| row[**p as usize]) {
                            for (m, s) in mix.iter_mut().zip(frames[*other as usize]) {
                                *m = m.saturating_add(s);
                            }
                        }
                        if let Some(live) = legs[party as usize].as_mut()
                            && live.send_samples(&mix, &mut out).await
                        {
                            stats.mixed_packets.fetch_add(1, Ordering::Relaxed);
                            if party == Party::Supervisor {
                                stats.supervisor.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                }
                if !caller_talks(topology) {
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
        let mixing = hearing(topology, monitor, legs[3].is_some()).is_some();
        let Some(live) = legs[i].as_mut() else { continue };
        live.target.saw(from);
        counter(&stats, party, true).fetch_add(1, Ordering::Relaxed);
        let packet = &bufs[i][..n];
        if let Some((header, _)) = rtp::parse(packet)
            && header.payload_type == live.leg.peer.codec.payload_type()
        {
            live.reception.packet(&header, received_at);
        }
        if party == Party::Caller
            && let Some(tx) = &digits
            && let Some(digit) = event_end(packet, &live.leg.peer, &mut last_event)
        {
            let _ = tx.send(digit);
        }
        if (mixing || recording_started)
            && let Some(samples) = decode(packet, &live.leg.peer)
        {
            live.heard.push(&samples);
        }
        if mixing {
            continue;
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
    let last = sides.now(&legs);
    *quality.lock().expect("call quality lock") = last;
    for tx in waiting {
        let _ = tx.send(last);
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

    /// A phone on loopback: its socket, and the leg the relay keeps for it.
    async fn phone(codec: Codec) -> (UdpSocket, Leg) {
        let phone = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let ours = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let peer = Media { addr: phone.local_addr().unwrap(), codec, events: None };
        (phone, Leg { socket: ours, peer })
    }

    /// Sends 20 ms packets numbered `seqs` from `phone` to the relay's leg.
    async fn talk(phone: &UdpSocket, to: SocketAddr, pt: u8, seqs: impl Iterator<Item = u16>) {
        let mut out = Vec::new();
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        for seq in seqs {
            tick.tick().await;
            let header = Header { marker: false, payload_type: pt, sequence: seq, timestamp: u32::from(seq) * 160, ssrc: 42 };
            rtp::write(&header, &[0xD5; 160], &mut out);
            phone.send_to(&out, to).await.unwrap();
        }
    }

    #[tokio::test]
    async fn each_sides_loss_and_jitter_are_measured_over_its_legs() {
        let (caller, caller_leg) = phone(Codec::Pcma).await;
        let caller_at = caller_leg.local().unwrap();
        let media = CallMedia::start(caller_leg, Arc::new(MediaStats::default()), None);
        let ended = media.when_ended();
        // The first consultant's phone, then the one the call moved to.
        let (first, first_leg) = phone(Codec::Pcmu).await;
        let first_at = first_leg.local().unwrap();
        media.leg(Party::Consultant, first_leg);
        media.bridge();
        let (second, second_leg) = phone(Codec::Pcmu).await;
        let second_at = second_leg.local().unwrap();
        tokio::join!(
            // The caller's network loses every tenth packet.
            talk(&caller, caller_at, 8, (0..150).filter(|s| s % 10 != 5)),
            async {
                talk(&first, first_at, 0, 1000..1060).await;
                tokio::time::sleep(Duration::from_millis(50)).await;
                media.leg(Party::Consultant, second_leg);
                tokio::time::sleep(Duration::from_millis(50)).await;
                // The second phone loses two packets; a telephone-event is not audio.
                talk(&second, second_at, 0, (0..62).filter(|s| *s != 20 && *s != 40)).await;
                talk(&second, second_at, 101, 62..64).await;
            }
        );
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let live = media.quality();
        assert_eq!(live.caller.lost, 15, "a second old at most: {live:?}");
        drop(media);
        let q = ended.await.expect("the final figures");
        assert_eq!((q.caller.packets, q.caller.lost), (135, 15), "{q:?}");
        assert_eq!((q.consultant.packets, q.consultant.lost), (60 + 60, 2), "both phones' legs count: {q:?}");
        assert!(q.caller.jitter_ms < 10.0, "paced at 20 ms on loopback: {q:?}");
        assert!(q.mos().unwrap() < q.consultant.mos().unwrap(), "the caller's 10 % loss scores the call: {q:?}");
    }

    /// The loudest sample `phone` hears (A-law) within `ms`, from what
    /// arrives after the first 100 ms (what was still queued before).
    async fn loudest(phone: &UdpSocket, ms: u64) -> i32 {
        let start = tokio::time::Instant::now();
        let mut buf = [0u8; 2048];
        let mut loudest = 0;
        while let Ok(Ok(n)) = tokio::time::timeout_at(start + Duration::from_millis(ms), phone.recv(&mut buf)).await {
            if start.elapsed() < Duration::from_millis(100) {
                continue;
            }
            if let Some((_, at)) = rtp::parse(&buf[..n]) {
                loudest = buf[at..n].iter().map(|b| i32::from(g711::alaw_decode(*b)).abs()).max().unwrap_or(0).max(loudest);
            }
        }
        loudest
    }

    /// `speaker` talks loudly for 400 ms; who of the three hears it.
    async fn who_hears(phones: &[(UdpSocket, SocketAddr); 3], speaker: usize) -> [bool; 3] {
        let (socket, to) = &phones[speaker];
        let voice = async {
            let mut out = Vec::new();
            let mut tick = tokio::time::interval(Duration::from_millis(20));
            for seq in 0..20u16 {
                tick.tick().await;
                let header = Header { marker: false, payload_type: 8, sequence: seq, timestamp: u32::from(seq) * 160, ssrc: 7 };
                rtp::write(&header, &[g711::alaw_encode(8000); 160], &mut out);
                socket.send_to(&out, *to).await.unwrap();
            }
        };
        let (_, a, b, c) = tokio::join!(voice, loudest(&phones[0].0, 450), loudest(&phones[1].0, 450), loudest(&phones[2].0, 450));
        // Let the queues drain before the next speaker.
        tokio::time::sleep(Duration::from_millis(250)).await;
        [a, b, c].map(|level| level > 4000)
    }

    /// A call in conversation with a supervisor's leg joined (not yet
    /// monitoring): the relay, its counters, and the three phones with
    /// the relay's address for each.
    async fn caller_consultant_and_supervisor() -> (CallMedia, Arc<MediaStats>, [(UdpSocket, SocketAddr); 3]) {
        let (caller, caller_leg) = phone(Codec::Pcma).await;
        let caller_at = caller_leg.local().unwrap();
        let stats = Arc::new(MediaStats::default());
        let media = CallMedia::start(caller_leg, stats.clone(), None);
        let (consultant, consultant_leg) = phone(Codec::Pcma).await;
        let consultant_at = consultant_leg.local().unwrap();
        media.leg(Party::Consultant, consultant_leg);
        media.bridge();
        let (supervisor, supervisor_leg) = phone(Codec::Pcma).await;
        let supervisor_at = supervisor_leg.local().unwrap();
        media.leg(Party::Supervisor, supervisor_leg);
        (media, stats, [(caller, caller_at), (consultant, consultant_at), (supervisor, supervisor_at)])
    }

    #[tokio::test]
    async fn a_supervisor_listens_whispers_and_barges_in() {
        let (media, stats, phones) = caller_consultant_and_supervisor().await;
        let (caller, consultant, supervisor) = (0, 1, 2);

        // Joined but not yet monitoring: the pair as before, the supervisor out.
        assert_eq!(who_hears(&phones, caller).await, [false, true, false]);
        assert_eq!(who_hears(&phones, supervisor).await, [false, false, false]);

        media.monitor(Some(Monitor::Listen));
        assert_eq!(who_hears(&phones, caller).await, [false, true, true], "the supervisor hears the caller");
        assert_eq!(who_hears(&phones, consultant).await, [true, false, true], "and the consultant");
        assert_eq!(who_hears(&phones, supervisor).await, [false, false, false], "listening, nobody hears them");

        media.monitor(Some(Monitor::Whisper));
        assert_eq!(who_hears(&phones, supervisor).await, [false, true, false], "a whisper reaches the consultant only");
        assert_eq!(who_hears(&phones, caller).await, [false, true, true]);
        assert_eq!(who_hears(&phones, consultant).await, [true, false, true]);

        media.monitor(Some(Monitor::Barge));
        assert_eq!(who_hears(&phones, supervisor).await, [true, true, false], "barging in, both hear them");
        assert_eq!(who_hears(&phones, caller).await, [false, true, true]);

        // The supervisor leaves: the pair talks on.
        media.drop_leg(Party::Supervisor);
        assert_eq!(who_hears(&phones, caller).await, [false, true, false]);
        assert_eq!(who_hears(&phones, consultant).await, [true, false, false]);
        assert!(stats.supervisor.load(Ordering::Relaxed) > 50, "mixes went to the supervisor");
    }

    #[tokio::test]
    async fn a_supervisor_takes_the_call_over_on_the_port_they_listened_on() {
        let (media, stats, phones) = caller_consultant_and_supervisor().await;
        media.monitor(Some(Monitor::Listen));
        let (caller, consultant, supervisor) = (0, 1, 2);
        assert_eq!(who_hears(&phones, caller).await, [false, true, true]);
        let before = stats.to_caller.load(Ordering::Relaxed);

        media.take_over();
        assert_eq!(who_hears(&phones, caller).await, [false, false, true], "the supervisor hears the caller, the consultant no more");
        assert_eq!(who_hears(&phones, supervisor).await, [true, false, false], "the caller hears the supervisor");
        assert_eq!(who_hears(&phones, consultant).await, [false, false, false], "the consultant's leg is gone");
        let relayed = stats.to_caller.load(Ordering::Relaxed) - before;
        assert!(relayed >= 15, "the supervisor's voice is relayed to the caller as the consultant's was ({relayed} packets)");
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
