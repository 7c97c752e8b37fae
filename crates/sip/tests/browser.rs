//! The consultant's phone in the browser: a WebRTC client (str0m, as
//! Chromium in the browser tests) connects as the phone, a SIPp carrier's
//! call is answered at the desk and talks to it both ways through the
//! relay; the client reconnects mid-call and the call goes on.

mod support;

use hotline_app::calls::{CallCentreConfig, DeskEvent, SoftphoneAnswer, SoftphoneRefused, SoftphoneRequest, agent_of};
use hotline_callcentre::engine::{CallId, Event, Outcome};
use hotline_sip::softphone::client::Browser;
use std::sync::atomic::Ordering;
use std::time::Duration;
use support::{Centre, free_port};

fn config() -> CallCentreConfig {
    CallCentreConfig { wrap_up_secs: 0, short_abandon_secs: 0, ring_secs: 8, ..CallCentreConfig::default() }
}

#[tokio::test]
async fn a_browser_phone_refuses_what_is_not_an_offer_and_hold_without_a_call() {
    let centre = Centre::start(config()).await;
    let user = centre.consultant("qian").await;
    let switchboard = &centre.app.calls.switchboard;
    let refused = switchboard.softphone(user, SoftphoneRequest::Offer("v=0\r\nnot an offer\r\n".into())).await.unwrap();
    assert!(matches!(refused, Err(SoftphoneRefused::Offer(_))), "{refused:?}");
    let refused = switchboard.softphone(user, SoftphoneRequest::Hold(true)).await.unwrap();
    assert_eq!(refused, Err(SoftphoneRefused::NotConnected), "a line that never connected is not one");
    let _desk = centre.desk(user, &[("general", 5)]).await;
    let registered = || async {
        let board = switchboard.wallboard().await.unwrap();
        board.agents.iter().find(|a| a.agent == user).and_then(|a| a.phone_registered)
    };
    assert_eq!(registered().await, Some(false));
    let browser = Browser::connect(&centre.app.calls, &centre.phone_user(user).await, 440.0).await.expect("the browser connects");
    browser.connected().await.expect("ICE and DTLS come up");
    assert_eq!(registered().await, Some(true), "the wallboard counts the browser as the consultant's phone");
    let refused = switchboard.softphone(user, SoftphoneRequest::Hold(true)).await.unwrap();
    assert_eq!(refused, Err(SoftphoneRefused::NotTalking));
    assert_eq!(switchboard.softphone(user, SoftphoneRequest::Close).await.unwrap(), Ok(SoftphoneAnswer::Done));
    assert_eq!(registered().await, Some(false), "closed, the consultant has no phone again");
    assert_eq!(switchboard.softphone(user, SoftphoneRequest::Close).await.unwrap(), Err(SoftphoneRefused::NotConnected));
}

#[tokio::test]
#[ignore = "needs SIPp (Debian's sip-tester); .ci/run runs it"]
async fn a_carrier_call_answered_in_the_browser_talks_both_ways_and_survives_a_reconnect() {
    let centre = Centre::start(config()).await;
    let user = centre.consultant("sun").await;
    let switchboard = &centre.app.calls.switchboard;
    let browser = Browser::connect(&centre.app.calls, &centre.phone_user(user).await, 440.0).await.expect("the browser connects");
    browser.connected().await.expect("ICE and DTLS come up");
    let mut desk = centre.desk(user, &[("general", 5)]).await;

    let carrier =
        centre.sipp("carrier.xml", &["-s", "12345", "-p", &free_port().to_string(), "-mp", &free_port().to_string(), "-d", "5000"]);
    let call = centre.offered_call(&mut desk).await;
    // No phone is rung: the browser rings at the desk, where it is answered.
    let call = CallId(call.parse().unwrap());
    switchboard.event(Event::Answered { call, agent: agent_of(user) }).await.unwrap();
    centre.desk_event(&mut desk, |e| matches!(e, DeskEvent::Connected { .. }).then_some(())).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (heard, loud, sent) = browser.frames();
    assert!(heard >= 40 && loud >= 5 && sent >= 40, "the browser heard {heard} frames ({loud} not silent) and sent {sent}");

    // The network changes: the old connection vanishes, a new one
    // negotiates behind the same line; the caller is still there.
    drop(browser);
    let again = Browser::connect(&centre.app.calls, &centre.phone_user(user).await, 440.0).await.expect("the browser connects");
    again.connected().await.expect("ICE and DTLS come up");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (heard, loud, sent) = again.frames();
    assert!(
        heard >= 40 && loud >= 5 && sent >= 40,
        "after reconnecting the browser heard {heard} frames ({loud} not silent) and sent {sent}"
    );
    centre.finished(carrier, "the carrier's call").await;

    let record = centre.record("13800138000").await;
    assert_eq!((record.outcome, record.agent), (Outcome::Answered, Some(user)));
    let talk = record.ended_at - record.answered_at.expect("answered");
    assert!(talk >= chrono::Duration::milliseconds(4000), "the call lasted through the reconnect until the carrier hung up: {talk}");
    let stats = centre.gateway.media_stats();
    let (to_browser, from_browser) = (stats.to_consultant.load(Ordering::Relaxed), stats.from_consultant.load(Ordering::Relaxed));
    assert!(to_browser >= 100 && from_browser >= 100, "relayed {to_browser} to the browser, {from_browser} from it");
    // The browser's tone is the consultant's channel of the recording.
    let (_, wav) = centre.recorded("13800138000").await;
    let (left, right) = support::channel_levels(&wav);
    assert!(left > 100.0 && right > 1000.0, "the caller's speech and the browser's tone: {left} {right}");
    let quality = centre.measured("13800138000").await;
    assert!(quality.consultant.packets >= 100, "{quality:?}");
    // Connecting the line is audited once; negotiating again behind it is not.
    let connects = centre.audited(user).await.into_iter().filter(|(action, _)| action == "softphone.connect").count();
    assert_eq!(connects, 1, "one connection, one reconnect");
}

#[tokio::test]
#[ignore = "needs SIPp (Debian's sip-tester); .ci/run runs it"]
async fn a_supervisor_takes_a_browser_call_over_in_their_browser_holds_it_and_ends_it_by_closing_the_line() {
    use hotline_app::calls::MonitorMode;
    let centre = Centre::start(config()).await;
    let user = centre.consultant("li").await;
    let supervisor = centre.staff("banzhang", hotline_domain::Role::Supervisor).await;
    let switchboard = &centre.app.calls.switchboard;
    let browser =
        Browser::connect(&centre.app.calls, &centre.phone_user(user).await, 440.0).await.expect("the consultant's browser connects");
    let coach =
        Browser::connect(&centre.app.calls, &centre.phone_user(supervisor).await, 1500.0).await.expect("the supervisor's browser connects");
    browser.connected().await.expect("ICE and DTLS come up");
    coach.connected().await.expect("ICE and DTLS come up");
    let mut desk = centre.desk(user, &[("general", 5)]).await;
    let carrier = centre.sipp("carrier-rates.xml", &["-s", "12345", "-p", &free_port().to_string(), "-mp", &free_port().to_string()]);
    let call = CallId(centre.offered_call(&mut desk).await.parse().unwrap());
    switchboard.event(Event::Answered { call, agent: agent_of(user) }).await.unwrap();
    centre.desk_event(&mut desk, |e| matches!(e, DeskEvent::Connected { .. }).then_some(())).await;

    switchboard.monitor(call, supervisor, Some(MonitorMode::Listen)).await.unwrap().expect("listening from the browser");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    // The consultant had put the caller on hold: taking over brings the caller back.
    assert_eq!(switchboard.softphone(user, SoftphoneRequest::Hold(true)).await.unwrap(), Ok(SoftphoneAnswer::Done));
    let to_caller = centre.gateway.media_stats().to_caller.load(Ordering::Relaxed);
    switchboard.take_over(call, supervisor, "班长".into()).await.unwrap().expect("taking over");
    centre.desk_event(&mut desk, |e| matches!(e, DeskEvent::TakenOver { .. }).then_some(())).await;
    let (consultant_heard, ..) = browser.frames();
    let stats = centre.gateway.media_stats();
    let from_centre = stats.from_consultant.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (after, ..) = browser.frames();
    assert!(after - consultant_heard < 10, "the consultant's browser hears the call no more: {} frames", after - consultant_heard);
    let sent = stats.from_consultant.load(Ordering::Relaxed) - from_centre;
    assert!(sent >= 40, "the supervisor's browser is the centre's side: {sent} packets");
    let heard = stats.to_caller.load(Ordering::Relaxed) - to_caller;
    assert!(heard >= 40, "the caller, on hold before, hears the supervisor: {heard} packets");
    // The supervisor's browser holds and resumes the call it now carries.
    assert_eq!(switchboard.softphone(supervisor, SoftphoneRequest::Hold(true)).await.unwrap(), Ok(SoftphoneAnswer::Done));
    assert_eq!(switchboard.softphone(supervisor, SoftphoneRequest::Hold(false)).await.unwrap(), Ok(SoftphoneAnswer::Done));
    // Closing the supervisor's browser line hangs the call up on the centre's side.
    assert_eq!(switchboard.softphone(supervisor, SoftphoneRequest::Close).await.unwrap(), Ok(SoftphoneAnswer::Done));
    centre.finished(carrier, "the caller, hung up on after the rating").await;
    let record = centre.record("13800138000").await;
    assert_eq!((record.outcome, record.agent, record.taken_over_by), (Outcome::Answered, Some(user), Some(supervisor)));
    // The centre's channel of the recording: the consultant's 440 Hz, then the supervisor's 1,500 Hz.
    let (_, wav) = centre.recorded("13800138000").await;
    let (consultant, coach) = (support::tone_tenths(&wav, 1, 440.0), support::tone_tenths(&wav, 1, 1500.0));
    assert!(consultant >= 5 && coach >= 5, "tenths of a second of the consultant's tone {consultant}, of the supervisor's {coach}");
    assert_eq!(support::tone_tenths(&wav, 0, 1500.0), 0, "the caller's channel has no supervisor in it");
}

/// A centre whose outbound trunk reaches the citizen's line at `port`.
async fn calling_out(port: u16) -> Centre {
    Centre::start_with(config(), |sip| sip.outbound = Some(support::outbound_trunk(port))).await
}

/// A call abandoned in the queue, waiting on the callback list, as the
/// switchboard writes it; and the consultant allowed to call it back.
async fn callback_task(centre: &Centre, user: hotline_domain::UserId, id: i64, caller: &str) -> hotline_app::access::CallbackWorker {
    let now = chrono::Utc::now();
    let row = hotline_app::calls::CallRow::ended(
        id,
        "general",
        caller,
        now - chrono::Duration::seconds(90),
        now - chrono::Duration::seconds(30),
        Outcome::Abandoned,
    );
    centre.app.store.insert_call(&row, true).await.unwrap();
    let record = centre.app.store.user(user).await.unwrap().unwrap();
    centre.app.access.open(hotline_app::auth::principal_of(&record)).callback_worker().unwrap()
}

/// The carrier's side of an outbound trunk, by hand: reads a request,
/// answers what it is told to.
struct Carrier(tokio::net::UdpSocket);

impl Carrier {
    async fn request(&self, method: &str) -> (String, std::net::SocketAddr) {
        let mut buf = vec![0u8; 8192];
        let wait = async {
            loop {
                let (n, from) = self.0.recv_from(&mut buf).await.unwrap();
                let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                if text.starts_with(&format!("{method} ")) {
                    return (text, from);
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(10), wait).await.unwrap_or_else(|_| panic!("no {method} reached the carrier"))
    }

    /// A response to `request` with its Via, From, To (tagged), Call-ID and CSeq.
    async fn answer(&self, request: &str, to: std::net::SocketAddr, status: &str) {
        let mut response = format!("SIP/2.0 {status}\r\n");
        for line in request.lines() {
            let name = line.split(':').next().unwrap_or("").to_ascii_lowercase();
            match name.as_str() {
                "via" | "from" | "call-id" | "cseq" => response += &format!("{line}\r\n"),
                "to" => response += &format!("{line};tag=carrier\r\n"),
                _ => {}
            }
        }
        response += "Content-Length: 0\r\n\r\n";
        self.0.send_to(response.as_bytes(), to).await.unwrap();
    }
}

#[tokio::test]
async fn a_browser_phone_calls_back_straight_to_the_citizen_and_hangs_up_at_the_desk_or_by_closing_the_line() {
    let carrier = Carrier(tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap());
    let centre = calling_out(carrier.0.local_addr().unwrap().port()).await;
    let user = centre.consultant("wu").await;
    let switchboard = &centre.app.calls.switchboard;
    let browser = Browser::connect(&centre.app.calls, &centre.phone_user(user).await, 440.0).await.expect("the browser connects");
    browser.connected().await.expect("ICE and DTLS come up");
    let mut desk = centre.desk(user, &[("general", 5)]).await;
    let worker = callback_task(&centre, user, 7001, "13900139000").await;

    // No SIP phone is registered: the browser is the phone, and the
    // citizen is rung at once, showing the centre's number.
    centre.app.calls.dial_callback(&worker, 7001).await.expect("dialling");
    let calling = centre.desk_event(&mut desk, |e| matches!(e, DeskEvent::CallingBack { .. }).then(|| e.clone())).await;
    assert_eq!(calling, DeskEvent::CallingBack { call: "7001".into(), number: "13900139000".into() });
    let (invite, gateway) = carrier.request("INVITE").await;
    assert!(invite.lines().next().unwrap().contains("13900139000"), "the citizen's number is dialled: {invite}");
    let from = invite.lines().find(|l| l.to_ascii_lowercase().starts_with("from:")).unwrap();
    assert!(from.contains("12345"), "the centre's number is shown: {from}");
    carrier.answer(&invite, gateway, "180 Ringing").await;
    let status = || async {
        let board = switchboard.wallboard().await.unwrap();
        board.agents.iter().find(|a| a.agent == user).map(|a| a.status.clone())
    };
    assert!(matches!(status().await, Some(hotline_callcentre::engine::AgentStatus::OnBreak(_))), "offered nothing while calling back");

    // Hung up at the desk while it rings: the INVITE is cancelled.
    let wrong = switchboard.hang_up(user, CallId(7002)).await;
    assert!(wrong.is_err(), "another call is not the one called back: {wrong:?}");
    switchboard.hang_up(user, CallId(7001)).await.expect("the desk hangs the callback up");
    let (cancel, _) = carrier.request("CANCEL").await;
    carrier.answer(&cancel, gateway, "200 OK").await;
    carrier.answer(&invite, gateway, "487 Request Terminated").await;
    let ended = centre.desk_event(&mut desk, |e| matches!(e, DeskEvent::CallbackEnded { .. }).then(|| e.clone())).await;
    assert_eq!(ended, DeskEvent::CallbackEnded { call: "7001".into(), outcome: "hung_up".into(), note: "话务员在接通前挂断".into() });
    assert_eq!(status().await, Some(hotline_callcentre::engine::AgentStatus::Available), "back to taking calls");
    let open = centre.app.store.open_callbacks(10).await.unwrap();
    assert!(open.iter().any(|t| t.call == 7001), "a callback that never connected stays on the list");
    let again = switchboard.hang_up(user, CallId(7001)).await;
    assert!(again.is_err(), "nothing left to hang up: {again:?}");

    // Called again, and the browser line closes while the citizen rings:
    // that is the consultant hanging up too.
    centre.app.calls.dial_callback(&worker, 7001).await.expect("dialling again");
    let (invite, gateway) = carrier.request("INVITE").await;
    carrier.answer(&invite, gateway, "180 Ringing").await;
    assert_eq!(switchboard.softphone(user, SoftphoneRequest::Close).await.unwrap(), Ok(SoftphoneAnswer::Done));
    let (cancel, _) = carrier.request("CANCEL").await;
    carrier.answer(&cancel, gateway, "200 OK").await;
    carrier.answer(&invite, gateway, "487 Request Terminated").await;
    assert_eq!(centre.callback_outcome(&mut desk).await, "hung_up");
    drop(browser);
}

#[tokio::test]
#[ignore = "needs SIPp (Debian's sip-tester); .ci/run runs it"]
async fn a_consultant_calls_back_from_the_browser_phone_talks_both_ways_and_hangs_up_at_the_desk() {
    let citizen_port = free_port();
    let centre = calling_out(citizen_port).await;
    // The citizen's line (at the carrier) answers and echoes.
    let citizen = centre.echoing_phone(citizen_port);
    let user = centre.consultant("zhou").await;
    let browser = Browser::connect(&centre.app.calls, &centre.phone_user(user).await, 440.0).await.expect("the browser connects");
    browser.connected().await.expect("ICE and DTLS come up");
    let mut desk = centre.desk(user, &[("general", 5)]).await;
    let worker = callback_task(&centre, user, 7101, "13700137000").await;
    centre.app.calls.dial_callback(&worker, 7101).await.expect("dialling");
    centre.desk_event(&mut desk, |e| (*e == DeskEvent::CallbackConnected { call: "7101".into() }).then_some(())).await;
    tokio::time::sleep(Duration::from_millis(2000)).await;
    // The browser hears its own tone back from the citizen's echo.
    let (heard, loud, sent) = browser.frames();
    assert!(heard >= 40 && loud >= 5 && sent >= 40, "the browser heard {heard} frames ({loud} not silent) and sent {sent}");

    centre.app.calls.switchboard.hang_up(user, CallId(7101)).await.expect("the desk hangs up");
    assert_eq!(centre.callback_outcome(&mut desk).await, "connected");
    centre.finished(citizen, "the citizen's line, hung up by the centre").await;
    for _ in 0..100 {
        if !centre.app.store.open_callbacks(10).await.unwrap().iter().any(|t| t.call == 7101) {
            // Recorded on the abandoned call: the citizen left, the browser's tone right.
            let (record, wav) = centre.recorded("13700137000").await;
            assert_eq!(record.id, 7101);
            let (left, right) = support::channel_levels(&wav);
            assert!(left > 100.0 && right > 1000.0, "the citizen's echo and the browser's tone: {left} {right}");
            let board = centre.app.calls.switchboard.wallboard().await.unwrap();
            let me = board.agents.iter().find(|a| a.agent == user).unwrap();
            assert_eq!(me.phone_registered, Some(true), "the browser line stays open for the next call");
            assert_eq!(me.status, hotline_callcentre::engine::AgentStatus::Available);
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the connected callback did not complete its task");
}
