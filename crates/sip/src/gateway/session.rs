//! Session timers (RFC 4028) on the carrier's leg: a call whose BYE was
//! lost (a carrier's restart, a dropped link) would otherwise hold a
//! consultant "talking" and a queue place for ever. The carrier refreshes
//! when it asked for timers (refresher=uac), and a call it stops
//! refreshing is ended; otherwise the gateway refreshes with a re-INVITE
//! and ends the call when the carrier no longer knows it.

use super::{Core, Side};
use crate::media::sdp::{self, Codec};
use hotline_callcentre::engine::CallId;
use rsipstack::dialog::DialogId;
use rsipstack::sip::prelude::HeadersExt;
use rsipstack::sip::{Header, Request, StatusCodeKind};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Who sends the refreshes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refresher {
    /// The carrier (refresher=uac): we watch for them.
    Peer,
    /// Us (refresher=uas): a re-INVITE every half interval.
    Us,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timer {
    pub secs: u32,
    pub refresher: Refresher,
    /// The carrier said `Supported: timer`: our answer then says `Require: timer`.
    pub peer_supports: bool,
}

/// An INVITE asked for a session interval below our minimum: 422 with
/// `Min-SE`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct TooSmall(pub u32);

fn supports_timer(request: &Request) -> bool {
    request.headers.iter().any(|h| match h {
        Header::Supported(s) => s.value().split(',').any(|token| token.trim().eq_ignore_ascii_case("timer")),
        _ => false,
    })
}

/// `1800;refresher=uac` → (1800, Some(Peer)).
fn read_session_expires(value: &str) -> Option<(u32, Option<Refresher>)> {
    let mut parts = value.split(';');
    let secs = parts.next()?.trim().parse().ok()?;
    let refresher = parts.find_map(|p| {
        let (name, value) = p.split_once('=')?;
        name.trim().eq_ignore_ascii_case("refresher").then(|| match value.trim().to_ascii_lowercase().as_str() {
            "uas" => Some(Refresher::Us),
            "uac" => Some(Refresher::Peer),
            _ => None,
        })?
    });
    Some((secs, refresher))
}

/// The timer of a new call: what the carrier asked for, or our own
/// `default_secs` (0: none) when it asked nothing. A carrier that
/// supports timers refreshes unless it asked us to; one that does not
/// know them is refreshed by us.
pub(crate) fn negotiate(request: &Request, min_secs: u32, default_secs: u32) -> Result<Option<Timer>, TooSmall> {
    let peer_supports = supports_timer(request);
    let asked = request.session_expires_header().and_then(|h| read_session_expires(h.value()));
    let (secs, refresher) = match asked {
        Some((secs, _)) if secs < min_secs => return Err(TooSmall(min_secs)),
        Some((secs, refresher)) => (secs, refresher),
        None if default_secs == 0 => return Ok(None),
        None => (default_secs.max(min_secs), None),
    };
    let refresher = refresher.unwrap_or(if peer_supports { Refresher::Peer } else { Refresher::Us });
    Ok(Some(Timer { secs, refresher, peer_supports }))
}

impl Timer {
    /// The headers of our 2xx to the INVITE and to each refresh.
    pub(crate) fn headers(&self) -> Vec<Header> {
        let who = match self.refresher {
            Refresher::Peer => "uac",
            Refresher::Us => "uas",
        };
        let mut headers = vec![Header::SessionExpires(format!("{};refresher={who}", self.secs).into())];
        if self.peer_supports {
            headers.push(Header::Require("timer".into()));
        }
        headers
    }

    /// How long without a refresh before the call is taken for dead: the
    /// interval less a third of it or 32 s, whichever is less (RFC 4028 §10).
    pub(crate) fn grace(&self) -> Duration {
        Duration::from_secs(u64::from(self.secs - (self.secs / 3).min(32)))
    }
}

impl Core {
    /// Watches (or sends) the refreshes of a call's carrier leg until the
    /// call ends; a session that lapsed ends the call as if the caller
    /// had hung up.
    pub(super) async fn keep_session(self: Arc<Self>, call: CallId, dialog: DialogId, timer: Timer) {
        loop {
            let wait = match timer.refresher {
                Refresher::Peer => Duration::from_millis(500),
                Refresher::Us => Duration::from_secs(u64::from(timer.secs / 2).max(1)),
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.cancel.cancelled() => return,
            }
            let (caller, local, refreshed) = {
                let state = self.state();
                let Some(c) = state.calls.get(&call) else { return };
                (c.caller.clone(), c.caller_local, c.refreshed)
            };
            let alive = match timer.refresher {
                Refresher::Peer => refreshed.elapsed() < timer.grace(),
                Refresher::Us => {
                    let offer = sdp::describe(local, &[Codec::Pcma, Codec::Pcmu], rand::random::<u32>().into()).into_bytes();
                    let mut headers = timer.headers();
                    headers.push(Header::ContentType("application/sdp".into()));
                    match tokio::time::timeout(Duration::from_secs(32), caller.reinvite(Some(headers), Some(offer))).await {
                        // 491: the carrier is changing the session itself right now.
                        Ok(Ok(Some(r))) => r.status_code.kind() == StatusCodeKind::Successful || u16::from(r.status_code) == 491,
                        _ => false,
                    }
                }
            };
            if !alive {
                tracing::info!(call = call.0, "the carrier's leg missed its session refresh: the call is ended");
                self.ended(&dialog, "session expired");
                return;
            }
        }
    }

    /// A refresh (re-INVITE or UPDATE) was answered on a leg: on the
    /// carrier's, the session goes on, and the answer repeats its timer.
    pub(super) fn refreshed(&self, dialog: &DialogId) -> Vec<Header> {
        let mut state = self.state();
        let Some((call, Side::Caller)) = state.dialogs.get(&dialog.to_string()).copied() else { return Vec::new() };
        let Some(c) = state.calls.get_mut(&call) else { return Vec::new() };
        c.refreshed = Instant::now();
        c.timer.map(|t| t.headers()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invite(headers: &str) -> Request {
        let text = format!(
            "INVITE sip:12345@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\nFrom: <sip:1@127.0.0.1>;tag=a\r\n\
             To: <sip:12345@127.0.0.1>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n{headers}Content-Length: 0\r\n\r\n"
        );
        Request::try_from(text.as_str()).expect("a request")
    }

    #[test]
    fn the_carriers_request_is_followed_and_too_short_an_interval_refused() {
        let asked = negotiate(&invite("Supported: timer\r\nSession-Expires: 1800;refresher=uac\r\n"), 90, 1800).unwrap();
        assert_eq!(asked, Some(Timer { secs: 1800, refresher: Refresher::Peer, peer_supports: true }));
        let us = negotiate(&invite("Supported: 100rel, timer\r\nSession-Expires: 600;refresher=uas\r\n"), 90, 1800).unwrap();
        assert_eq!(us.map(|t| t.refresher), Some(Refresher::Us));
        assert_eq!(negotiate(&invite("Session-Expires: 60\r\n"), 90, 1800), Err(TooSmall(90)));
    }

    #[test]
    fn without_a_request_we_set_the_timer_and_refresh_when_the_carrier_cannot() {
        let unaware = negotiate(&invite(""), 90, 1800).unwrap().unwrap();
        assert_eq!((unaware.secs, unaware.refresher, unaware.peer_supports), (1800, Refresher::Us, false));
        let aware = negotiate(&invite("Supported: timer\r\n"), 90, 1800).unwrap().unwrap();
        assert_eq!(aware.refresher, Refresher::Peer);
        assert_eq!(negotiate(&invite(""), 90, 0), Ok(None), "0: no timer unless asked");
    }

    #[test]
    fn the_answer_names_the_refresher_and_the_grace_follows_the_rfc() {
        let timer = Timer { secs: 1800, refresher: Refresher::Peer, peer_supports: true };
        let headers: Vec<String> = timer.headers().iter().map(|h| h.to_string()).collect();
        assert_eq!(headers, ["Session-Expires: 1800;refresher=uac", "Require: timer"]);
        assert_eq!(timer.grace(), Duration::from_secs(1800 - 32));
        assert_eq!(Timer { secs: 90, ..timer }.grace(), Duration::from_secs(60));
    }
}
