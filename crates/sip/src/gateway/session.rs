//! Session timers (RFC 4028) on every leg: a call whose BYE was lost (a
//! carrier's restart, a phone unplugged, a dropped link) would otherwise
//! hold a consultant "talking", a queue place or a sub-centre's line for
//! ever. Whoever the negotiation names refreshes: when it is the peer, a
//! leg it stops refreshing is ended; when it is us, a re-INVITE goes every
//! half interval and a leg that no longer answers is ended. On the
//! carrier's leg we answer the timer; on legs we place (phones,
//! sub-centres, callbacks) we ask for one and follow the 2xx.

use super::Core;
use crate::media::sdp::{self, Codec};
use rsipstack::dialog::DialogId;
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::prelude::HeadersExt;
use rsipstack::sip::{Header, Request, Response, StatusCodeKind};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Who sends the refreshes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refresher {
    /// The peer: we watch for them.
    Peer,
    /// Us: a re-INVITE every half interval.
    Us,
}

/// Which end of the INVITE transaction we are, as `refresher=uac|uas` is
/// read from the transaction's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Uac,
    Uas,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timer {
    pub secs: u32,
    pub refresher: Refresher,
    /// The peer said `Supported: timer` (or required it): our messages
    /// then say `Require: timer`.
    pub peer_supports: bool,
}

/// An INVITE asked for a session interval below our minimum: 422 with
/// `Min-SE`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct TooSmall(pub u32);

fn names_timer(headers: &rsipstack::sip::Headers) -> bool {
    headers.iter().any(|h| match h {
        Header::Supported(s) => s.value().split(',').any(|token| token.trim().eq_ignore_ascii_case("timer")),
        Header::Require(s) => s.value().split(',').any(|token| token.trim().eq_ignore_ascii_case("timer")),
        _ => false,
    })
}

/// `1800;refresher=uac` → (1800, Some("uac")).
fn read_session_expires(value: &str) -> Option<(u32, Option<Role>)> {
    let mut parts = value.split(';');
    let secs = parts.next()?.trim().parse().ok()?;
    let refresher = parts.find_map(|p| {
        let (name, value) = p.split_once('=')?;
        name.trim().eq_ignore_ascii_case("refresher").then(|| match value.trim().to_ascii_lowercase().as_str() {
            "uas" => Some(Role::Uas),
            "uac" => Some(Role::Uac),
            _ => None,
        })?
    });
    Some((secs, refresher))
}

/// Who refreshes, from `refresher=` as written by a transaction where we
/// are `we`.
fn refresher(named: Role, we: Role) -> Refresher {
    if named == we { Refresher::Us } else { Refresher::Peer }
}

/// The timer of a call offered to us: what the carrier asked for, or our
/// own `default_secs` (0: none) when it asked nothing. A carrier that
/// supports timers refreshes unless it asked us to; one that does not
/// know them is refreshed by us.
pub(crate) fn negotiate(request: &Request, min_secs: u32, default_secs: u32) -> Result<Option<Timer>, TooSmall> {
    let peer_supports = names_timer(&request.headers);
    let asked = request.session_expires_header().and_then(|h| read_session_expires(h.value()));
    let (secs, named) = match asked {
        Some((secs, _)) if secs < min_secs => return Err(TooSmall(min_secs)),
        Some((secs, named)) => (secs, named),
        None if default_secs == 0 => return Ok(None),
        None => (default_secs.max(min_secs), None),
    };
    let refresher = match named {
        Some(named) => refresher(named, Role::Uas),
        None if peer_supports => Refresher::Peer,
        None => Refresher::Us,
    };
    Ok(Some(Timer { secs, refresher, peer_supports }))
}

/// What an INVITE we send asks for: `secs` (0: no timer), the peer to
/// choose the refresher.
pub(crate) fn ask(secs: u32, min_secs: u32) -> Vec<Header> {
    if secs == 0 {
        return Vec::new();
    }
    vec![
        Header::Supported("timer".into()),
        Header::SessionExpires(secs.max(min_secs).to_string().into()),
        Header::Other("Min-SE".into(), min_secs.to_string()),
    ]
}

/// The timer the 2xx to an INVITE we sent settled: none when it names no
/// `Session-Expires` (the peer knows no timers, RFC 4028 §7.2); the
/// refresher as it says, us when it does not say.
pub(crate) fn answered(response: &Response) -> Option<Timer> {
    let (secs, named) = response.session_expires_header().and_then(|h| read_session_expires(h.value()))?;
    let refresher = named.map_or(Refresher::Us, |named| refresher(named, Role::Uac));
    Some(Timer { secs, refresher, peer_supports: names_timer(&response.headers) })
}

impl Timer {
    /// The headers of a message about this session sent by `we`: our 2xx
    /// (as UAS) or our refreshing re-INVITE (as UAC).
    pub(crate) fn headers(&self, we: Role) -> Vec<Header> {
        let who = match (self.refresher, we) {
            (Refresher::Us, Role::Uas) | (Refresher::Peer, Role::Uac) => "uas",
            (Refresher::Us, Role::Uac) | (Refresher::Peer, Role::Uas) => "uac",
        };
        let mut headers = vec![Header::SessionExpires(format!("{};refresher={who}", self.secs).into())];
        if self.peer_supports {
            headers.push(Header::Require("timer".into()));
        }
        headers
    }

    /// How long without a refresh before the leg is taken for dead: the
    /// interval less a third of it or 32 s, whichever is less (RFC 4028 §10).
    pub(crate) fn grace(&self) -> Duration {
        Duration::from_secs(u64::from(self.secs - (self.secs / 3).min(32)))
    }
}

/// A leg's session under watch.
pub(super) struct Watch {
    timer: Timer,
    dialog: InviteDialog,
    /// Our RTP address on the leg, offered again in each refresh.
    local: SocketAddr,
    refreshed: Instant,
}

impl Core {
    /// Keeps a leg's session: watched from now until its dialog ends.
    pub(super) fn watch_session(self: &Arc<Self>, id: DialogId, dialog: InviteDialog, local: SocketAddr, timer: Timer) {
        let watch = Watch { timer, dialog, local, refreshed: Instant::now() };
        self.state().sessions.insert(id.to_string(), watch);
        tokio::spawn(self.clone().keep_session(id));
    }

    /// Watches (or sends) the refreshes of one leg until its dialog ends; a
    /// session that lapsed ends the leg as if its peer had hung up, and a
    /// BYE is sent in case the peer is still there.
    async fn keep_session(self: Arc<Self>, id: DialogId) {
        let key = id.to_string();
        loop {
            let Some(timer) = self.state().sessions.get(&key).map(|w| w.timer) else { return };
            let wait = match timer.refresher {
                Refresher::Peer => Duration::from_millis(500),
                Refresher::Us => Duration::from_secs(u64::from(timer.secs / 2).max(1)),
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.cancel.cancelled() => return,
            }
            let Some((dialog, local, refreshed)) = self.state().sessions.get(&key).map(|w| (w.dialog.clone(), w.local, w.refreshed)) else {
                return;
            };
            let alive = match timer.refresher {
                Refresher::Peer => refreshed.elapsed() < timer.grace(),
                Refresher::Us => {
                    let offer = sdp::describe(local, &[Codec::Pcma, Codec::Pcmu], rand::random::<u32>().into()).into_bytes();
                    let mut headers = timer.headers(Role::Uac);
                    headers.push(Header::ContentType("application/sdp".into()));
                    match tokio::time::timeout(Duration::from_secs(32), dialog.reinvite(Some(headers), Some(offer))).await {
                        // 491: the peer is changing the session itself right now.
                        Ok(Ok(Some(r))) => r.status_code.kind() == StatusCodeKind::Successful || u16::from(r.status_code) == 491,
                        _ => false,
                    }
                }
            };
            if !alive {
                tracing::info!(dialog = %key, "a leg missed its session refresh: it is ended");
                self.state().sessions.remove(&key);
                self.ended(&id, "session expired");
                let _ = dialog.bye().await;
                return;
            }
        }
    }

    /// A refresh (re-INVITE or UPDATE) was answered on a leg: its session
    /// goes on, and the answer repeats its timer.
    pub(super) fn refreshed(&self, dialog: &DialogId) -> Vec<Header> {
        let mut state = self.state();
        let Some(watch) = state.sessions.get_mut(&dialog.to_string()) else { return Vec::new() };
        watch.refreshed = Instant::now();
        watch.timer.headers(Role::Uas)
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

    fn response(headers: &str) -> Response {
        let text = format!(
            "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\nFrom: <sip:12345@127.0.0.1>;tag=a\r\n\
             To: <sip:wu@127.0.0.1>;tag=b\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n{headers}Content-Length: 0\r\n\r\n"
        );
        Response::try_from(text.as_str()).expect("a response")
    }

    #[test]
    fn on_legs_we_place_we_ask_and_follow_the_answer() {
        let asked: Vec<String> = ask(1800, 90).iter().map(|h| h.to_string()).collect();
        assert_eq!(asked, ["Supported: timer", "Session-Expires: 1800", "Min-SE: 90"]);
        assert!(ask(0, 90).is_empty(), "0: no timer asked");
        assert_eq!(ask(30, 90)[1].to_string(), "Session-Expires: 90", "never below our own minimum");
        let phone_refreshes = answered(&response("Require: timer\r\nSession-Expires: 900;refresher=uas\r\n"));
        assert_eq!(phone_refreshes, Some(Timer { secs: 900, refresher: Refresher::Peer, peer_supports: true }));
        let we_refresh = answered(&response("Session-Expires: 1800;refresher=uac\r\n")).unwrap();
        assert_eq!((we_refresh.refresher, we_refresh.peer_supports), (Refresher::Us, false));
        assert_eq!(answered(&response("Session-Expires: 1800\r\n")).map(|t| t.refresher), Some(Refresher::Us));
        assert_eq!(answered(&response("")), None, "a peer that knows no timers: no expiry (RFC 4028 §7.2)");
    }

    #[test]
    fn the_answer_names_the_refresher_and_the_grace_follows_the_rfc() {
        let timer = Timer { secs: 1800, refresher: Refresher::Peer, peer_supports: true };
        let headers: Vec<String> = timer.headers(Role::Uas).iter().map(|h| h.to_string()).collect();
        assert_eq!(headers, ["Session-Expires: 1800;refresher=uac", "Require: timer"]);
        let ours = Timer { refresher: Refresher::Us, ..timer };
        let request: Vec<String> = ours.headers(Role::Uac).iter().map(|h| h.to_string()).collect();
        assert_eq!(request[0], "Session-Expires: 1800;refresher=uac", "our own refresh names us, its UAC");
        assert_eq!(ours.headers(Role::Uas)[0].to_string(), "Session-Expires: 1800;refresher=uas");
        assert_eq!(timer.grace(), Duration::from_secs(1800 - 32));
        assert_eq!(Timer { secs: 90, ..timer }.grace(), Duration::from_secs(60));
    }
}
