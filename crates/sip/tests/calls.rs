//! Real calls on loopback: SIPp plays the carrier's trunk and the
//! consultants' phones; the gateway, the switchboard and the engine are the
//! platform's own.

mod support;

use hotline_app::calls::{CallCentreConfig, DeskEvent};
use hotline_callcentre::engine::Outcome;
use std::sync::atomic::Ordering;
use support::{Centre, PHONE_PASSWORD, free_port};

fn config() -> CallCentreConfig {
    CallCentreConfig { wrap_up_secs: 0, short_abandon_secs: 0, ring_secs: 8, ..CallCentreConfig::default() }
}

#[tokio::test]
#[ignore = "needs SIPp (Debian's sip-tester); .ci/run runs it"]
async fn a_carrier_call_to_12345_reaches_a_registered_phone_with_audio_both_ways() {
    let centre = Centre::start(config()).await;
    let user = centre.consultant("zhang").await;
    let (phone_port, phone_media) = (free_port(), free_port());
    // The phone answers in µ-law and echoes what it hears: the caller's
    // A-law speech comes back to the caller, transcoded twice.
    let phone = centre.sipp("phone.xml", &["-p", &phone_port.to_string(), "-mp", &phone_media.to_string(), "-rtp_echo"]);
    centre.register("zhang", PHONE_PASSWORD, phone_port).await;
    let mut desk = centre.desk(user, &[("general", 5)]).await;

    let carrier =
        centre.sipp("carrier.xml", &["-s", "12345", "-p", &free_port().to_string(), "-mp", &free_port().to_string(), "-d", "3000"]);
    let call = centre
        .desk_event(&mut desk, |e| match e {
            DeskEvent::Offered { call, caller, queue, .. } => Some((call.clone(), caller.clone(), queue.clone())),
            _ => None,
        })
        .await;
    assert_eq!((call.1.as_str(), call.2.as_str()), ("13800138000", "general"), "the caller's number and the general queue");
    centre.desk_event(&mut desk, |e| matches!(e, DeskEvent::Connected { call: c } if *c == call.0).then_some(())).await;
    centre.finished(carrier, "the carrier's call").await;
    centre.finished(phone, "the phone").await;

    let record = centre.record("13800138000").await;
    assert_eq!(record.outcome, Outcome::Answered);
    assert_eq!(record.agent, Some(user));
    assert_eq!(record.queue, "general");
    let talk = record.ended_at - record.answered_at.expect("answered");
    assert!(talk >= chrono::Duration::milliseconds(2500), "the conversation lasted the carrier's 3 s: {talk}");

    let stats = centre.gateway.media_stats();
    let counts = [&stats.from_caller, &stats.to_consultant, &stats.from_consultant, &stats.to_caller].map(|c| c.load(Ordering::Relaxed));
    // g711a.pcap sends 236 packets in 7 s (30 ms each): about 100 in the
    // carrier's 3 s, of which those after the phone's answer reach it.
    assert!(counts.iter().all(|n| *n >= 70), "packets caller→relay, relay→phone, phone→relay, relay→caller: {counts:?}");
    assert!(counts[3] + 5 >= counts[2], "what the phone sent reached the caller: {counts:?}");
    assert!(stats.prompt_packets.load(Ordering::Relaxed) > 0, "the greeting played while the phone rang");
}

#[tokio::test]
#[ignore = "needs SIPp (Debian's sip-tester); .ci/run runs it"]
async fn a_wrong_phone_password_is_refused() {
    let centre = Centre::start(config()).await;
    centre.consultant("li").await;
    let refused = std::fs::read_to_string(support::scenario_path("register.xml"))
        .unwrap()
        .replace(r#"<recv response="200"/>"#, r#"<recv response="403"/>"#);
    std::fs::write(centre.dir.path().join("refused.xml"), refused).unwrap();
    let path = centre.dir.path().join("refused.xml");
    let child = centre.sipp(
        path.to_str().unwrap(),
        &["-s", "li", "-au", "li", "-ap", "not the password", "-key", "phone_port", "5999", "-p", &free_port().to_string()],
    );
    centre.finished(child, "a registration with a wrong password").await;
}
