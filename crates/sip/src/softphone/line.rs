//! One browser's phone line: its WebRTC session (ICE-lite, DTLS-SRTP,
//! G.711 A-law) terminated here, its audio handed to and taken from the
//! call's relay as plain RTP on a local socket. The relay sees the line as
//! one more phone; a new offer from the same browser (a reload, a changed
//! network) replaces the session behind the same plain socket, so the call
//! it is in goes on.

use super::SoftphoneError;
use crate::media::rtp::{self, Header};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use str0m::change::SdpOffer;
use str0m::format::Codec;
use str0m::media::{Frequency, MediaKind, MediaTime, Mid, Pt};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc, RtcConfig};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};

/// A line without a working connection this long is closed: the browser
/// had that long to come back with a new offer.
pub const GRACE: Duration = Duration::from_secs(30);

/// A-law's static payload type, on the plain side towards the relay.
const PCMA: u8 = 8;

/// Packets through the line, for the desk's tests and the benchmark.
#[derive(Debug, Default)]
pub struct LineStats {
    /// Audio frames from the browser handed to the relay.
    pub from_browser: AtomicU64,
    /// Audio frames from the relay written to the browser.
    pub to_browser: AtomicU64,
    /// ICE and DTLS are up: audio can flow.
    pub connected: AtomicBool,
    /// They have been up once: the line is the user's phone from then on,
    /// also while it reconnects.
    pub ready: AtomicBool,
}

enum Order {
    Offer(String, oneshot::Sender<Result<String, SoftphoneError>>),
    /// Where the call's relay listens for this line's audio.
    Attach(SocketAddr),
    /// The call at that relay address is over (unless another call is
    /// attached already); what the browser sends is dropped until the next.
    Detach(SocketAddr),
}

/// Steers a line's task; the line closes when every handle is dropped.
#[derive(Clone)]
pub struct LineHandle {
    tx: mpsc::UnboundedSender<Order>,
    plain: SocketAddr,
    pub stats: Arc<LineStats>,
}

impl LineHandle {
    /// Opens a line: a socket for the browser's media on `public` (from the
    /// gateway's RTP range), one for the relay on the same address. When
    /// the task ends (closed, or lost for [`GRACE`]) `lost` is sent.
    pub fn open(public: UdpSocket, lost: oneshot::Sender<()>) -> std::io::Result<Self> {
        let ip = public.local_addr()?.ip();
        let plain = std::net::UdpSocket::bind((ip, 0))?;
        plain.set_nonblocking(true)?;
        let plain = UdpSocket::from_std(plain)?;
        let (tx, rx) = mpsc::unbounded_channel();
        let stats = Arc::new(LineStats::default());
        let handle = Self { tx, plain: plain.local_addr()?, stats: stats.clone() };
        tokio::spawn(async move {
            run(rx, public, plain, stats).await;
            let _ = lost.send(());
        });
        Ok(handle)
    }

    /// Accepts the browser's offer, replacing any session before it; the
    /// answer, to send back.
    pub async fn offer(&self, sdp: String) -> Result<String, SoftphoneError> {
        let (reply, answer) = oneshot::channel();
        self.tx.send(Order::Offer(sdp, reply)).map_err(|_| SoftphoneError::Closed)?;
        answer.await.map_err(|_| SoftphoneError::Closed)?
    }

    /// Where the relay sends the caller's audio for this line.
    pub fn plain(&self) -> SocketAddr {
        self.plain
    }

    pub fn attach(&self, relay: SocketAddr) {
        let _ = self.tx.send(Order::Attach(relay));
    }

    pub fn detach(&self, relay: SocketAddr) {
        let _ = self.tx.send(Order::Detach(relay));
    }

    pub fn is_open(&self) -> bool {
        !self.tx.is_closed()
    }

    /// Open, and connected at least once.
    pub fn is_ready(&self) -> bool {
        self.is_open() && self.stats.ready.load(Ordering::Relaxed)
    }
}

/// The session of one PeerConnection.
struct Session {
    rtc: Rtc,
    audio: Option<(Mid, Pt)>,
    /// Since when ICE or DTLS has not worked (from the offer until they do).
    down_since: Option<Instant>,
}

fn crypto() -> Arc<str0m::crypto::CryptoProvider> {
    static PROVIDER: OnceLock<Arc<str0m::crypto::CryptoProvider>> = OnceLock::new();
    PROVIDER.get_or_init(|| Arc::new(str0m::crypto::from_feature_flags())).clone()
}

impl Session {
    /// ICE-lite with one host candidate: the browser does the checks, so
    /// nothing is gathered here; only A-law is offered back (the relay's
    /// own codec, no transcoding).
    fn accept(offer: &str, local: SocketAddr) -> Result<(Self, String), SoftphoneError> {
        let offer = SdpOffer::from_sdp_string(offer).map_err(|e| SoftphoneError::Offer(e.to_string()))?;
        let mut rtc =
            RtcConfig::new().set_crypto_provider(crypto()).set_ice_lite(true).clear_codecs().enable_pcma(true, false).build(Instant::now());
        let candidate = Candidate::host(local, "udp").map_err(|e| SoftphoneError::Offer(e.to_string()))?;
        rtc.add_local_candidate(candidate);
        let answer = rtc.sdp_api().accept_offer(offer).map_err(|e| SoftphoneError::Offer(e.to_string()))?;
        let answer = answer.to_sdp_string();
        if !answer.lines().any(|l| l.starts_with("m=audio") && !l.starts_with("m=audio 0 ")) {
            return Err(SoftphoneError::Offer("the offer has no audio in G.711 A-law (PCMA), which the lines speak".into()));
        }
        Ok((Self { rtc, audio: None, down_since: Some(Instant::now()) }, answer))
    }

    /// Handles what str0m has to send or tell until it next needs time.
    fn drain(
        &mut self,
        public: &UdpSocket,
        plain: &UdpSocket,
        relay: Option<SocketAddr>,
        out: &mut Outgoing,
        stats: &LineStats,
    ) -> Instant {
        loop {
            let output = match self.rtc.poll_output() {
                Ok(output) => output,
                Err(e) => {
                    tracing::info!(error = %e, "a browser phone's session failed");
                    self.rtc.disconnect();
                    self.down_since.get_or_insert_with(Instant::now);
                    return Instant::now() + Duration::from_secs(1);
                }
            };
            match output {
                Output::Timeout(at) => return at,
                Output::Transmit(t) => {
                    let _ = public.try_send_to(&t.contents, t.destination);
                }
                Output::Event(event) => self.event(event, plain, relay, out, stats),
            }
        }
    }

    fn event(&mut self, event: Event, plain: &UdpSocket, relay: Option<SocketAddr>, out: &mut Outgoing, stats: &LineStats) {
        match event {
            Event::Connected => {
                self.down_since = None;
                stats.connected.store(true, Ordering::Relaxed);
                stats.ready.store(true, Ordering::Relaxed);
            }
            Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                self.down_since.get_or_insert_with(Instant::now);
                stats.connected.store(false, Ordering::Relaxed);
            }
            // ICE back after a loss, DTLS still up: audio flows again.
            Event::IceConnectionStateChange(IceConnectionState::Connected | IceConnectionState::Completed) if self.rtc.is_connected() => {
                self.down_since = None;
                stats.connected.store(true, Ordering::Relaxed);
            }
            Event::MediaAdded(added) if added.kind == MediaKind::Audio && self.audio.is_none() => {
                let pt =
                    self.rtc.writer(added.mid).and_then(|w| w.payload_params().find(|p| p.spec().codec == Codec::PCMA).map(|p| p.pt()));
                self.audio = pt.map(|pt| (added.mid, pt));
            }
            Event::MediaData(data) if self.audio.is_some_and(|(mid, _)| mid == data.mid) => {
                let Some(relay) = relay else { return };
                let timestamp = data.time.rebase(Frequency::EIGHT_KHZ).numer() as u32;
                // The browser's own sequence numbers go on, so the relay's
                // loss and jitter figures count what the browser's network lost.
                out.send(plain, relay, **data.seq_range.end() as u16, timestamp, &data.data);
                stats.from_browser.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
    }

    /// The relay's audio (A-law RTP) to the browser; anything else (keypad
    /// events, another codec) is not for a browser's ear.
    fn write(&mut self, packet: &[u8], stats: &LineStats) {
        let (Some((mid, pt)), Some((header, start))) = (self.audio, rtp::parse(packet)) else { return };
        if header.payload_type != PCMA || !self.rtc.is_connected() {
            return;
        }
        let Some(writer) = self.rtc.writer(mid) else { return };
        let time = MediaTime::new(u64::from(header.timestamp), Frequency::EIGHT_KHZ);
        if writer.write(pt, Instant::now(), time, packet[start..].to_vec()).is_ok() {
            stats.to_browser.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn receive(&mut self, source: SocketAddr, destination: SocketAddr, datagram: &[u8]) {
        let Ok(contents) = datagram.try_into() else { return };
        let input = Input::Receive(Instant::now(), Receive { proto: Protocol::Udp, source, destination, contents });
        if self.rtc.accepts(&input) && self.rtc.handle_input(input).is_err() {
            self.down_since.get_or_insert_with(Instant::now);
        }
    }
}

/// The plain RTP stream towards the relay: the browser's sequence numbers
/// and timestamps, a source of our own per session (a reconnected browser
/// starts a new stream, as a new SSRC does for any phone).
struct Outgoing {
    ssrc: u32,
    packet: Vec<u8>,
}

impl Outgoing {
    fn send(&mut self, plain: &UdpSocket, relay: SocketAddr, sequence: u16, timestamp: u32, payload: &[u8]) {
        let header = Header { marker: false, payload_type: PCMA, sequence, timestamp, ssrc: self.ssrc };
        rtp::write(&header, payload, &mut self.packet);
        let _ = plain.try_send_to(&self.packet, relay);
    }
}

async fn run(mut orders: mpsc::UnboundedReceiver<Order>, public: UdpSocket, plain: UdpSocket, stats: Arc<LineStats>) {
    let Ok(local) = public.local_addr() else { return };
    let mut session: Option<Session> = None;
    let mut relay: Option<SocketAddr> = None;
    let mut out = Outgoing { ssrc: rand::random(), packet: Vec::with_capacity(200) };
    let (mut from_browser, mut from_relay) = (vec![0u8; 2048], vec![0u8; 2048]);
    // Until the first offer, and after a failed one, the line waits GRACE.
    let opened = Instant::now();
    loop {
        let wake = match &mut session {
            Some(s) => s.drain(&public, &plain, relay, &mut out, &stats),
            None => opened + GRACE,
        };
        let down_since = session.as_ref().map_or(Some(opened), |s| s.down_since);
        if down_since.is_some_and(|since| since.elapsed() >= GRACE) {
            tracing::info!(%local, "a browser phone was lost");
            return;
        }
        let wake = down_since.map_or(wake, |since| wake.min(since + GRACE));
        tokio::select! {
            order = orders.recv() => match order {
                None => return,
                Some(Order::Attach(to)) => relay = Some(to),
                Some(Order::Detach(from)) => {
                    if relay == Some(from) {
                        relay = None;
                    }
                }
                Some(Order::Offer(sdp, reply)) => match Session::accept(&sdp, local) {
                    Ok((accepted, answer)) => {
                        stats.connected.store(false, Ordering::Relaxed);
                        out.ssrc = rand::random();
                        session = Some(accepted);
                        let _ = reply.send(Ok(answer));
                    }
                    Err(e) => {
                        let _ = reply.send(Err(e));
                    }
                },
            },
            received = public.recv_from(&mut from_browser) => {
                if let (Ok((n, source)), Some(s)) = (received, session.as_mut()) {
                    s.receive(source, local, &from_browser[..n]);
                }
            }
            received = plain.recv_from(&mut from_relay) => {
                if let (Ok((n, _)), Some(s)) = (received, session.as_mut()) {
                    s.write(&from_relay[..n], &stats);
                }
            }
            () = tokio::time::sleep_until(wake.into()) => {
                if let Some(s) = session.as_mut() {
                    let _ = s.rtc.handle_input(Input::Timeout(Instant::now()));
                }
            }
        }
    }
}
