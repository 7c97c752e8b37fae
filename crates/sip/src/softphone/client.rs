//! A browser's side of the browser phone, played by str0m (full ICE,
//! DTLS-SRTP, A-law) as Chromium plays it in the browser tests: it
//! connects as a user's phone, sends a tone as its microphone and counts
//! what it hears. The gateway's tests and the SIP benchmark use it to put
//! browsers on the lines without a browser.

use crate::media::g711;
use hotline_app::access::PhoneUser;
use hotline_app::calls::SoftphoneRequest;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use str0m::change::SdpAnswer;
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, MediaKind, MediaTime};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, RtcConfig};
use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("the client's socket: {0}")]
    Io(#[from] std::io::Error),
    #[error("the gateway did not answer the offer: {0}")]
    Refused(String),
    #[error("WebRTC: {0}")]
    Rtc(String),
    #[error("the WebRTC connection did not come up within 5 s")]
    NotConnected,
}

fn rtc_error(e: impl std::fmt::Display) -> ClientError {
    ClientError::Rtc(e.to_string())
}

#[derive(Debug, Default)]
pub struct Heard {
    /// Audio frames received.
    pub frames: AtomicU64,
    /// Of those, frames that were not silence (RMS above 300).
    pub loud: AtomicU64,
    /// Tone frames sent once connected.
    pub sent: AtomicU64,
    pub connected: AtomicBool,
}

pub struct Browser {
    pub heard: Arc<Heard>,
    stop: CancellationToken,
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// 20 ms of a sine tone in A-law, starting at sample `from`.
fn tone(hz: f64, from: u64) -> Vec<u8> {
    (0..160u64)
        .map(|i| {
            let t = (from + i) as f64 / 8000.0;
            g711::alaw_encode((8000.0 * (2.0 * std::f64::consts::PI * hz * t).sin()) as i16)
        })
        .collect()
}

impl Browser {
    /// Connects as `user`'s phone through the call centre, as the API does
    /// (audited as a connection when the user's line was not open).
    pub async fn connect(calls: &hotline_app::calls::CallCentre, user: &PhoneUser, tone_hz: f64) -> Result<Self, ClientError> {
        let socket = UdpSocket::bind("127.0.0.1:0").await?;
        let local = socket.local_addr()?;
        let mut rtc = RtcConfig::new()
            .set_crypto_provider(Arc::new(str0m::crypto::from_feature_flags()))
            .clear_codecs()
            .enable_pcma(true, false)
            .build(Instant::now());
        rtc.add_local_candidate(Candidate::host(local, "udp").map_err(rtc_error)?);
        let mut change = rtc.sdp_api();
        let mid = change.add_media(MediaKind::Audio, Direction::SendRecv, None, None, None);
        let (offer, pending) = change.apply().ok_or_else(|| ClientError::Rtc("no offer to make".into()))?;
        let answer = calls
            .softphone(user, SoftphoneRequest::Offer(offer.to_sdp_string()))
            .await
            .map_err(|e| ClientError::Refused(e.to_string()))?
            .ok_or_else(|| ClientError::Refused("no answer to the offer".into()))?;
        rtc.sdp_api().accept_answer(pending, SdpAnswer::from_sdp_string(&answer).map_err(rtc_error)?).map_err(rtc_error)?;

        let heard = Arc::new(Heard::default());
        let stop = CancellationToken::new();
        let (h, s) = (heard.clone(), stop.clone());
        tokio::spawn(async move {
            let mut buf = vec![0u8; 2048];
            let mut ticks = tokio::time::interval(Duration::from_millis(20));
            let mut sample = 0u64;
            loop {
                let wake = loop {
                    match rtc.poll_output() {
                        Ok(Output::Timeout(at)) => break at,
                        Ok(Output::Transmit(t)) => {
                            let _ = socket.try_send_to(&t.contents, t.destination);
                        }
                        Ok(Output::Event(Event::Connected)) => h.connected.store(true, Ordering::Relaxed),
                        Ok(Output::Event(Event::MediaData(data))) => {
                            h.frames.fetch_add(1, Ordering::Relaxed);
                            let energy: f64 = data.data.iter().map(|b| f64::from(g711::alaw_decode(*b)).powi(2)).sum();
                            if (energy / data.data.len().max(1) as f64).sqrt() > 300.0 {
                                h.loud.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        Ok(Output::Event(_)) => {}
                        Err(_) => return,
                    }
                };
                tokio::select! {
                    () = s.cancelled() => return,
                    received = socket.recv_from(&mut buf) => {
                        let Ok((n, source)) = received else { return };
                        if let Ok(contents) = buf[..n].try_into() {
                            let _ = rtc.handle_input(Input::Receive(Instant::now(), Receive { proto: Protocol::Udp, source, destination: local, contents }));
                        }
                    }
                    _ = ticks.tick() => {
                        if rtc.is_connected() && let Some(writer) = rtc.writer(mid) {
                            let pt = writer.payload_params().find(|p| p.spec().codec == Codec::PCMA).map(|p| p.pt());
                            if let Some(pt) = pt && writer.write(pt, Instant::now(), MediaTime::new(sample, Frequency::EIGHT_KHZ), tone(tone_hz, sample)).is_ok() {
                                h.sent.fetch_add(1, Ordering::Relaxed);
                            }
                            sample += 160;
                        }
                        let _ = rtc.handle_input(Input::Timeout(Instant::now()));
                    }
                    () = tokio::time::sleep_until(wake.into()) => {
                        let _ = rtc.handle_input(Input::Timeout(Instant::now()));
                    }
                }
            }
        });
        Ok(Self { heard, stop })
    }

    /// Waits until ICE and DTLS are up.
    pub async fn connected(&self) -> Result<(), ClientError> {
        for _ in 0..100 {
            if self.heard.connected.load(Ordering::Relaxed) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(ClientError::NotConnected)
    }

    pub fn frames(&self) -> (u64, u64, u64) {
        (self.heard.frames.load(Ordering::Relaxed), self.heard.loud.load(Ordering::Relaxed), self.heard.sent.load(Ordering::Relaxed))
    }
}
