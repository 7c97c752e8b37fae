//! Real calls on loopback: SIPp plays the carrier's trunk and the
//! consultants' phones; the gateway, the switchboard and the engine are the
//! platform's own.

mod support;

use hotline_app::calls::{CallCentreConfig, DeskEvent, agent_of};
use hotline_callcentre::engine::{Event, Outcome};
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
    // The wallboard shows how the call sounds while it lasts (a second old at most).
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let board = centre.app.calls.switchboard.wallboard().await.unwrap();
    let live = board.agents.iter().find(|a| a.agent == user).and_then(|a| a.quality).expect("the talking consultant's call quality");
    assert!(live.caller.packets > 0 && live.consultant.packets > 0, "{live:?}");
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

    // Recorded from the answer on: the caller's speech on the left, the
    // phone's echo of it on the right, as long as the conversation.
    let (record, wav) = centre.recorded("13800138000").await;
    let recording = record.recording.as_ref().unwrap();
    let talk_ms = (record.ended_at - record.answered_at.unwrap()).num_milliseconds();
    assert!((recording.millis - talk_ms).abs() < 600, "recording {} ms, conversation {talk_ms} ms", recording.millis);
    assert_eq!((wav.len() - 44) as i64 / 4, recording.millis * 8, "16-bit stereo at 8 kHz");
    let (left, right) = support::channel_levels(&wav);
    assert!(left > 100.0 && right > 100.0, "both channels carry speech: {left} {right}");

    // How it sounded, measured on each side's packets: loopback loses
    // nothing, and SIPp's replay keeps its timing.
    let quality = centre.measured("13800138000").await;
    assert!(quality.caller.packets >= 70 && quality.consultant.packets >= 70, "{quality:?}");
    assert_eq!((quality.caller.lost, quality.consultant.lost), (0, 0), "{quality:?}");
    assert!(quality.caller.jitter_ms < 10.0, "{quality:?}");
    assert!(quality.mos().unwrap() > 4.0, "{quality:?}");
}

#[tokio::test]
#[ignore = "needs SIPp (Debian's sip-tester); .ci/run runs it"]
async fn a_wrong_phone_password_is_refused() {
    let centre = Centre::start(config()).await;
    centre.consultant("li").await;
    let refused = centre.variant("register.xml", &[(r#"<recv response="200"/>"#, r#"<recv response="403"/>"#)]);
    let port = free_port().to_string();
    let child = centre
        .sipp(refused.to_str().unwrap(), &["-s", "li", "-au", "li", "-ap", "not the password", "-key", "phone_port", "5999", "-p", &port]);
    centre.finished(child, "a registration with a wrong password").await;
    // A user who is not a consultant has no phone, whatever the password.
    let admin = centre.variant("register.xml", &[(r#"<recv response="200"/>"#, r#"<recv response="403"/>"#)]);
    let child = centre.sipp(
        admin.to_str().unwrap(),
        &["-s", "nobody", "-au", "nobody", "-ap", PHONE_PASSWORD, "-key", "phone_port", "5999", "-p", &port],
    );
    centre.finished(child, "a registration of an unknown user").await;
}

#[tokio::test]
#[ignore = "needs SIPp (Debian's sip-tester); .ci/run runs it"]
async fn a_call_to_12333_reaches_its_professional_seat_and_a_ringing_out_phone_passes_the_call_on() {
    let centre = Centre::start(CallCentreConfig { ring_secs: 2, max_no_answer: 1, ..config() }).await;
    let (idle, expert) = (centre.consultant("wang").await, centre.consultant("zhao").await);
    let (idle_port, expert_port, expert_media) = (free_port(), free_port(), free_port());
    let silent = centre.sipp("phone-no-answer.xml", &["-p", &idle_port.to_string()]);
    let answering = centre.sipp("phone.xml", &["-p", &expert_port.to_string(), "-mp", &expert_media.to_string()]);
    centre.register("wang", PHONE_PASSWORD, idle_port).await;
    centre.register("zhao", PHONE_PASSWORD, expert_port).await;
    // wang has been idle longest, so is offered first; his phone rings out.
    let mut first = centre.desk(idle, &[("general", 5), ("12333", 6)]).await;
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let mut second = centre.desk(expert, &[("general", 5), ("12333", 6)]).await;

    // The caller stays 5 s: 2 s ringing at wang, then zhao.
    let carrier =
        centre.sipp("carrier.xml", &["-s", "12333", "-p", &free_port().to_string(), "-mp", &free_port().to_string(), "-d", "5000"]);
    let queue = centre
        .desk_event(&mut first, |e| match e {
            DeskEvent::Offered { queue, .. } => Some(queue.clone()),
            _ => None,
        })
        .await;
    assert_eq!(queue, "12333", "the number dialled picked the professional queue");
    centre.desk_event(&mut first, |e| matches!(e, DeskEvent::Withdrawn { .. }).then_some(())).await;
    centre.desk_event(&mut second, |e| matches!(e, DeskEvent::Connected { .. }).then_some(())).await;
    centre.finished(carrier, "the carrier's call").await;
    centre.finished(silent, "the phone that rang out (cancelled)").await;
    centre.finished(answering, "the phone that answered").await;
    let record = centre.record("13800138000").await;
    assert_eq!((record.queue.as_str(), record.agent, record.outcome), ("12333", Some(expert), Outcome::Answered));
}

#[tokio::test]
#[ignore = "needs SIPp (Debian's sip-tester); .ci/run runs it"]
async fn a_caller_hanging_up_in_the_queue_is_an_abandoned_call_with_a_callback() {
    let centre = Centre::start(config()).await;
    let carrier =
        centre.sipp("carrier.xml", &["-s", "12345", "-p", &free_port().to_string(), "-mp", &free_port().to_string(), "-d", "1500"]);
    centre.finished(carrier, "the carrier's call").await;
    let record = centre.record("13800138000").await;
    assert_eq!((record.outcome, record.agent, record.answered_at), (Outcome::Abandoned, None, None));
    let waited = record.ended_at - record.arrived_at;
    assert!(waited >= chrono::Duration::milliseconds(1400), "the caller waited 1.5 s: {waited}");
    let stats = centre.gateway.media_stats();
    assert!(stats.prompt_packets.load(Ordering::Relaxed) >= 60, "1.5 s of greeting reached the caller");
    let callbacks = centre.app.store.open_callbacks(10).await.unwrap();
    assert_eq!(callbacks.iter().map(|c| c.caller.as_str()).collect::<Vec<_>>(), ["13800138000"], "an abandoned caller is called back");
}

#[tokio::test]
#[ignore = "needs SIPp (Debian's sip-tester); .ci/run runs it"]
async fn waiting_callers_are_told_their_place_in_the_queue() {
    // A short greeting and music, a notice every second: the notices come
    // within the callers' 7 s instead of after the shipped 6 s greeting.
    let dir = tempfile::tempdir().unwrap();
    let short = dir.path().join("short.wav");
    std::fs::write(&short, hotline_sip::media::wav::write_pcm16(1, &[1000i16; 1600])).unwrap();
    let centre = Centre::start_with(config(), |sip| {
        sip.hold_notice_secs = 1;
        sip.prompts.greeting = Some(short.clone());
        sip.prompts.music = Some(short.clone());
    })
    .await;
    let first = centre.sipp("carrier.xml", &["-s", "12345", "-p", &free_port().to_string(), "-mp", &free_port().to_string(), "-d", "7000"]);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let second = centre.variant("carrier.xml", &[("13800138000", "13900139000")]);
    let second = centre
        .sipp(second.to_str().unwrap(), &["-s", "12345", "-p", &free_port().to_string(), "-mp", &free_port().to_string(), "-d", "7000"]);
    let places = loop {
        let places = centre.app.calls.switchboard.places().await.unwrap();
        if places.len() == 2 {
            break places;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let mut ahead: Vec<usize> = places.into_values().collect();
    ahead.sort();
    assert_eq!(ahead, [0, 1], "the first caller is next, the second has one ahead");
    centre.finished(first, "the first caller").await;
    centre.finished(second, "the second caller").await;
    let told = centre.gateway.media_stats().places_told.load(Ordering::Relaxed);
    assert!(told >= 2, "each caller was told their place at least once: {told}");
}

#[tokio::test]
#[ignore = "needs SIPp (Debian's sip-tester); .ci/run runs it"]
async fn a_carrier_that_stops_refreshing_its_session_has_the_call_ended_and_too_short_a_session_is_refused() {
    let centre = Centre::start_with(config(), |sip| sip.min_session_secs = 2).await;
    // Session-Expires 3 s, refreshed by the carrier, which then goes silent:
    // after 2 s without a refresh the gateway ends the call.
    let silent =
        centre.sipp("carrier-session-lapses.xml", &["-s", "12345", "-p", &free_port().to_string(), "-mp", &free_port().to_string()]);
    centre.finished(silent, "a carrier that stops refreshing (BYE expected)").await;
    let record = centre.record("13800138000").await;
    assert_eq!(record.outcome, Outcome::Abandoned, "ended like a caller hanging up while waiting");
    let held = record.ended_at - record.arrived_at;
    assert!(held >= chrono::Duration::milliseconds(1800) && held < chrono::Duration::seconds(6), "ended at the lapse: {held}");

    // Asking for 1 s when the minimum is 2: 422 with Min-SE.
    let short = centre.variant(
        "carrier-refused.xml",
        &[
            ("MEDIA_FORMATS", "8 101"),
            ("EXPECTED_STATUS", "422"),
            ("    Max-Forwards: 70\n    Content-Type", "    Session-Expires: 1\n    Max-Forwards: 70\n    Content-Type"),
        ],
    );
    let child = centre.sipp(short.to_str().unwrap(), &["-s", "12345", "-p", &free_port().to_string()]);
    centre.finished(child, "a session interval below the minimum").await;
}

#[tokio::test]
#[ignore = "needs SIPp (Debian's sip-tester); .ci/run runs it"]
async fn the_gateway_refreshes_the_session_of_a_carrier_that_knows_no_timers() {
    let centre = Centre::start_with(config(), |sip| {
        sip.min_session_secs = 2;
        sip.session_secs = 2;
    })
    .await;
    let carrier =
        centre.sipp("carrier-session-refreshed.xml", &["-s", "12345", "-p", &free_port().to_string(), "-mp", &free_port().to_string()]);
    centre.finished(carrier, "a re-INVITE refresh from the gateway, answered").await;
    assert_eq!(centre.record("13800138000").await.outcome, Outcome::Abandoned, "the caller hung up; the refresh kept the call");
}

#[tokio::test]
#[ignore = "needs SIPp (Debian's sip-tester); .ci/run runs it"]
async fn the_simulator_beside_the_gateway_carries_its_own_calls_and_the_gateway_the_real_ones() {
    use hotline_app::calls::CallerPlan;
    let centre = Centre::start_with_simulator(config()).await;
    let user = centre.consultant("sun").await;
    let mut desk = centre.desk(user, &[("general", 5)]).await;
    // A practice call: no phone is registered, yet the desk answers it, as
    // the simulator (not the gateway) carries it out.
    let simulator = centre.app.calls.simulator().expect("the simulator runs beside the gateway");
    let plan = CallerPlan { patience: Some(std::time::Duration::from_secs(60)), talk: Some(std::time::Duration::from_secs(60)) };
    let practice = simulator.place_call("general", "13700137000", plan).await.unwrap();
    let offered = centre.offered_call(&mut desk).await;
    assert_eq!(offered, practice.0.to_string());
    centre.app.calls.switchboard.event(Event::Answered { call: practice, agent: agent_of(user) }).await.unwrap();
    centre.desk_event(&mut desk, |e| matches!(e, DeskEvent::Connected { .. }).then_some(())).await;

    // Meanwhile a real caller waits in the queue, hears the greeting and leaves.
    let carrier =
        centre.sipp("carrier.xml", &["-s", "12345", "-p", &free_port().to_string(), "-mp", &free_port().to_string(), "-d", "1500"]);
    centre.finished(carrier, "a real call beside the practice one").await;
    let real = centre.record("13800138000").await;
    assert_eq!((real.queue.as_str(), real.outcome), ("general", Outcome::Abandoned));
    assert!(centre.gateway.media_stats().prompt_packets.load(Ordering::Relaxed) > 0, "the gateway played to the real caller");

    centre.app.calls.switchboard.hang_up(user, practice).await.unwrap();
    let record = centre.record("13700137000").await;
    assert_eq!((record.outcome, record.agent), (Outcome::Answered, Some(user)), "the practice call was answered at the desk");
}

#[tokio::test]
#[ignore = "needs SIPp (Debian's sip-tester); .ci/run runs it"]
async fn a_call_answered_at_the_desk_makes_the_ringing_phone_pick_up_by_itself() {
    let centre = Centre::start(config()).await;
    let user = centre.consultant("zhou").await;
    let (phone_port, phone_media) = (free_port(), free_port());
    // Two INVITEs reach the phone: the ringing one (cancelled), then the
    // one asking it to answer by itself.
    let phone =
        centre.sipp("phone-desk-answers.xml", &["-p", &phone_port.to_string(), "-mp", &phone_media.to_string(), "-rtp_echo", "-m", "2"]);
    centre.register("zhou", PHONE_PASSWORD, phone_port).await;
    let mut desk = centre.desk(user, &[("general", 5)]).await;
    let carrier =
        centre.sipp("carrier.xml", &["-s", "12345", "-p", &free_port().to_string(), "-mp", &free_port().to_string(), "-d", "4000"]);
    let call = centre.offered_call(&mut desk).await;
    // The phone rings; the consultant answers at the desk (F2) instead.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let call = hotline_callcentre::engine::CallId(call.parse().unwrap());
    centre.app.calls.switchboard.event(Event::Answered { call, agent: agent_of(user) }).await.unwrap();
    centre.desk_event(&mut desk, |e| matches!(e, DeskEvent::Connected { .. }).then_some(())).await;
    centre.finished(carrier, "the carrier's call").await;
    centre.finished(phone, "the phone, rung twice (the second time to pick up by itself)").await;

    let record = centre.record("13800138000").await;
    assert_eq!((record.outcome, record.agent), (Outcome::Answered, Some(user)));
    let stats = centre.gateway.media_stats();
    let (to_phone, from_phone) = (stats.to_consultant.load(Ordering::Relaxed), stats.from_consultant.load(Ordering::Relaxed));
    assert!(
        to_phone >= 40 && from_phone >= 40,
        "the caller and the phone talked: {to_phone} to it, {from_phone} from it\n{}",
        centre.logs()
    );
}

#[tokio::test]
#[ignore = "needs SIPp (Debian's sip-tester) and Kamailio; .ci/run runs it"]
async fn a_call_through_the_carriers_kamailio_proxy_is_answered_and_ends_through_it() {
    let centre = Centre::start(config()).await;
    let kamailio = centre.kamailio().await;
    let user = centre.consultant("wu").await;
    let (phone_port, phone_media) = (free_port(), free_port());
    let phone = centre.sipp("phone.xml", &["-p", &phone_port.to_string(), "-mp", &phone_media.to_string(), "-rtp_echo"]);
    centre.register("wu", PHONE_PASSWORD, phone_port).await;
    let mut desk = centre.desk(user, &[("general", 5)]).await;
    // SIPp (the citizen's carrier) → Kamailio (Record-Route, dispatcher) → the gateway.
    let carrier = centre.sipp_to(
        kamailio.addr,
        "carrier.xml",
        &["-s", "12345", "-p", &free_port().to_string(), "-mp", &free_port().to_string(), "-d", "2000"],
    );
    centre.desk_event(&mut desk, |e| matches!(e, DeskEvent::Connected { .. }).then_some(())).await;
    centre.finished(carrier, "a call through Kamailio, its BYE routed back through it").await;
    centre.finished(phone, "the phone").await;
    let record = centre.record("13800138000").await;
    assert_eq!((record.outcome, record.agent), (Outcome::Answered, Some(user)));
    let log = std::fs::read_to_string(&kamailio.log).unwrap();
    assert!(log.contains(&format!("INVITE sip:12345@{} to sip:{}", kamailio.addr, centre.sip)), "Kamailio relayed the INVITE:\n{log}");
    let stats = centre.gateway.media_stats();
    assert!(stats.to_caller.load(Ordering::Relaxed) > 40, "the media flowed beside the proxy, straight to the carrier");

    // Now the consultant hangs up first: the caller rates by keypad, and
    // the gateway's own BYE reaches the carrier through Kamailio's route.
    let phone_port = free_port();
    let phone = centre.sipp("phone-hangs-up.xml", &["-p", &phone_port.to_string(), "-mp", &free_port().to_string(), "-d", "1500"]);
    centre.register("wu", PHONE_PASSWORD, phone_port).await;
    let rates = centre.variant("carrier-rates.xml", &[("13800138000", "13900139000")]);
    let caller = centre.sipp_to(
        kamailio.addr,
        rates.to_str().unwrap(),
        &["-s", "12345", "-p", &free_port().to_string(), "-mp", &free_port().to_string()],
    );
    centre.finished(phone, "the consultant's phone hanging up").await;
    centre.finished(caller, "the caller who rates, then gets the gateway's BYE through Kamailio").await;
    let log = std::fs::read_to_string(&kamailio.log).unwrap();
    assert!(log.contains("in dialog BYE from 127.0.0.1"), "the BYEs went through Kamailio:\n{log}");
    let byes = log.matches("in dialog BYE").count();
    assert!(byes >= 2, "the carrier's BYE and the gateway's both took Kamailio's route ({byes}):\n{log}");
}

#[tokio::test]
#[ignore = "needs SIPp (Debian's sip-tester) and Kamailio; .ci/run runs it"]
async fn a_phone_registered_through_kamailio_is_rung_through_it_and_another_gateway_rings_it_without_a_new_registration() {
    let centre = Centre::start(config()).await;
    // The second gateway, started later, is known to Kamailio as one that
    // may reach the phones (as every node of a cluster is).
    let second_port = free_port();
    let kamailio = centre.kamailio_for(None, &[format!("127.0.0.1:{second_port}").parse().unwrap()]).await;
    let user = centre.consultant("he").await;
    let (phone_port, phone_media) = (free_port(), free_port());
    // A phone that keeps the proxy's Record-Route in its answers, as RFC
    // 3261 asks, so the whole dialog goes through Kamailio; it takes two calls.
    let phone_xml = centre.variant("phone.xml", &[("[last_CSeq:]\n    Contact:", "[last_CSeq:]\n    [last_Record-Route:]\n    Contact:")]);
    centre.register_through(kamailio.addr, "he", PHONE_PASSWORD, phone_port).await;
    let phone = centre.sipp(phone_xml.to_str().unwrap(), &["-p", &phone_port.to_string(), "-mp", &phone_media.to_string(), "-m", "2"]);

    // The binding is kept in the database with the Path Kamailio added.
    let kept = centre.app.store.phone_bindings(chrono::Utc::now()).await.unwrap();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0].user, user);
    assert!(kept[0].contact.contains(&format!(":{phone_port}")), "the phone's own Contact: {kept:?}");
    assert!(
        kept[0].path.len() == 1 && kept[0].path[0].contains(&kamailio.addr.to_string()) && kept[0].path[0].contains("lr"),
        "Kamailio on the Path: {kept:?}"
    );
    assert_eq!(kept[0].destination, format!("sip:{}", kamailio.addr), "requests to the phone go to Kamailio: {kept:?}");

    // A carrier's call through Kamailio rings the phone through Kamailio too.
    let mut desk = centre.desk(user, &[("general", 5)]).await;
    let carrier = centre.sipp_to(
        kamailio.addr,
        "carrier.xml",
        &["-s", "12345", "-p", &free_port().to_string(), "-mp", &free_port().to_string(), "-d", "1500"],
    );
    centre.desk_event(&mut desk, |e| matches!(e, DeskEvent::Connected { .. }).then_some(())).await;
    centre.finished(carrier, "the carrier's call through Kamailio").await;
    assert_eq!(centre.record("13800138000").await.agent, Some(user));
    let log = std::fs::read_to_string(&kamailio.log).unwrap();
    let rung = format!("INVITE to a phone sip:he@127.0.0.1:{phone_port} via sip:127.0.0.1:{phone_port} from {}", centre.sip);
    assert!(log.contains(&rung), "Kamailio relayed the gateway's INVITE to the phone ({rung}):\n{log}");

    // Another gateway on the same database (a node taking the call centre
    // over, or this one restarted) takes the binding and rings the phone
    // through Kamailio at once, with no new registration.
    let second = centre.beside(config(), second_port).await;
    let mut phones = None;
    for _ in 0..50 {
        phones = second.app.calls.switchboard.wallboard().await.unwrap().lines.phones_registered;
        if phones == Some(1) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(phones, Some(1), "the second gateway took the kept binding");
    let mut desk = second.desk(user, &[("general", 5)]).await;
    let caller = second.variant("carrier.xml", &[("13800138000", "13900139001")]);
    let carrier = second
        .sipp(caller.to_str().unwrap(), &["-s", "12345", "-p", &free_port().to_string(), "-mp", &free_port().to_string(), "-d", "1500"]);
    second.desk_event(&mut desk, |e| matches!(e, DeskEvent::Connected { .. }).then_some(())).await;
    second.finished(carrier, "a call to the second gateway").await;
    centre.finished(phone, "the phone, rung by both gateways through Kamailio").await;
    let record = second.record("13900139001").await;
    assert_eq!((record.outcome, record.agent), (Outcome::Answered, Some(user)));
    let log = std::fs::read_to_string(&kamailio.log).unwrap();
    let rung = format!("INVITE to a phone sip:he@127.0.0.1:{phone_port} via sip:127.0.0.1:{phone_port} from {}", second.sip);
    assert!(log.contains(&rung), "the second gateway rang the phone through Kamailio ({rung}):\n{log}");
    assert!(log.matches("in dialog BYE").count() >= 2, "the calls' BYEs took Kamailio's route:\n{log}");

    // A wrong password through Kamailio from a phone at 127.0.0.2 is
    // counted against that phone's address (its Via), not Kamailio's,
    // which every phone behind it shares.
    let refused = centre.variant("register.xml", &[("<recv response=\"200\"/>", "<recv response=\"403\"/>")]);
    let wrong = centre.sipp_to(
        kamailio.addr,
        refused.to_str().unwrap(),
        &[
            "-s",
            "he",
            "-au",
            "he",
            "-ap",
            "not the password",
            "-key",
            "phone_port",
            "5060",
            "-i",
            "127.0.0.2",
            "-p",
            &free_port().to_string(),
        ],
    );
    centre.finished(wrong, "a wrong password through Kamailio, refused").await;
    centre.app.auditor.seal_all().await.unwrap();
    let failures: Vec<String> = centre
        .app
        .store
        .audit_log(None, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.record.action == "phone.register_failed")
        .map(|e| e.record.detail)
        .collect();
    assert!(failures.len() == 1 && failures[0].contains("\"127.0.0.2\""), "counted against the phone's address: {failures:?}");

    // Unregistered: forgotten in the database too.
    let child = centre.sipp_to(
        kamailio.addr,
        centre.variant("register.xml", &[("Expires: 300", "Expires: 0")]).to_str().unwrap(),
        &["-s", "he", "-au", "he", "-ap", PHONE_PASSWORD, "-key", "phone_port", &phone_port.to_string(), "-p", &free_port().to_string()],
    );
    centre.finished(child, "the phone unregistering").await;
    assert!(centre.app.store.phone_bindings(chrono::Utc::now()).await.unwrap().is_empty(), "the binding is gone");
}

#[tokio::test]
#[ignore = "needs SIPp, Kamailio and rtpengine (Debian's packages); .ci/run runs it"]
async fn media_anchored_in_the_carriers_rtpengine_flows_both_ways_through_it() {
    let centre = Centre::start(config()).await;
    let rtpengine = centre.rtpengine().await;
    let kamailio = centre.kamailio_with(Some(&rtpengine)).await;
    let user = centre.consultant("yang").await;
    let phone_port = free_port();
    let phone = centre.echoing_phone(phone_port);
    centre.register("yang", PHONE_PASSWORD, phone_port).await;
    let mut desk = centre.desk(user, &[("general", 5)]).await;
    let carrier = centre.sipp_to(
        kamailio.addr,
        "carrier.xml",
        &["-s", "12345", "-p", &free_port().to_string(), "-mp", &free_port().to_string(), "-d", "2000"],
    );
    centre.desk_event(&mut desk, |e| matches!(e, DeskEvent::Connected { .. }).then_some(())).await;
    centre.finished(carrier, "a call whose media rtpengine anchors").await;
    centre.finished(phone, "the phone").await;
    assert_eq!(centre.record("13800138000").await.outcome, Outcome::Answered);
    let log = std::fs::read_to_string(&kamailio.log).unwrap();
    assert!(log.contains("media anchored in rtpengine for 200"), "Kamailio had rtpengine rewrite the answer:\n{log}");
    let stats = centre.gateway.media_stats();
    let (from, to) = (stats.from_caller.load(Ordering::Relaxed), stats.to_caller.load(Ordering::Relaxed));
    assert!(from > 40 && to > 40, "the gateway relayed both ways through rtpengine: {from} in, {to} out");
    // rtpengine counts a session once it is over (the BYE went through Kamailio).
    for _ in 0..50 {
        if rtpengine.total("Total managed sessions").await >= 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let relayed = rtpengine.total("Total relayed packets").await;
    assert!(relayed > 80, "rtpengine relayed the call's audio: {relayed} packets");
    assert_eq!(rtpengine.total("Total number of 1-way streams").await, 0, "every stream flowed both ways");
    assert_eq!(rtpengine.total("Total number of streams with no relayed packets").await, 0);
}

#[tokio::test]
#[ignore = "needs SIPp (Debian's sip-tester); .ci/run runs it"]
async fn calls_the_centre_does_not_answer_are_refused_with_the_reason() {
    let centre = Centre::start(config()).await;
    let cases = [
        // 12366 is the tax office's own sub-centre, not answered here.
        ("12366", "8 101", "127.0.0.1", "404"),
        ("12345", "18", "127.0.0.1", "488"),
        // Not a configured carrier's address.
        ("12345", "8 101", "127.0.0.2", "403"),
    ];
    for (number, formats, from, status) in cases {
        let scenario = centre.variant("carrier-refused.xml", &[("MEDIA_FORMATS", formats), ("EXPECTED_STATUS", status)]);
        let child = centre.sipp(scenario.to_str().unwrap(), &["-s", number, "-i", from, "-p", &free_port().to_string()]);
        centre.finished(child, &format!("{number} with formats {formats} from {from}")).await;
    }
}

#[tokio::test]
#[ignore = "needs SIPp (Debian's sip-tester); .ci/run runs it"]
async fn the_caller_rates_the_call_by_keypad_after_the_consultant_hangs_up() {
    let centre = Centre::start(config()).await;
    let user = centre.consultant("qian").await;
    let phone_port = free_port();
    // The consultant's phone hangs up 1.5 s after answering.
    let phone = centre.sipp("phone-hangs-up.xml", &["-p", &phone_port.to_string(), "-mp", &free_port().to_string(), "-d", "1500"]);
    centre.register("qian", PHONE_PASSWORD, phone_port).await;
    let _desk = centre.desk(user, &[("general", 5)]).await;
    let caller = centre.sipp("carrier-rates.xml", &["-s", "12345", "-p", &free_port().to_string(), "-mp", &free_port().to_string()]);
    centre.finished(phone, "the consultant's phone").await;
    centre.finished(caller, "the caller who rates").await;
    for _ in 0..50 {
        let record = centre.record("13800138000").await;
        if record.satisfaction.is_some() {
            assert_eq!((record.outcome, record.satisfaction), (Outcome::Answered, Some(hotline_domain::Satisfaction::Satisfied)));
            let from = record.arrived_at - chrono::Duration::minutes(1);
            let to = record.ended_at + chrono::Duration::minutes(1);
            let thresholds = hotline_app::calls::Thresholds { answer_secs: 15, short_abandon_secs: 0 };
            let figures = hotline_app::calls::figure_rows(
                &[record],
                &[],
                from,
                to,
                hotline_app::calls::GroupBy::Total,
                chrono_tz::Asia::Shanghai,
                thresholds,
            );
            assert_eq!((figures[0].ratings.satisfied, figures[0].ratings.rate()), (1, Some(1.0)), "counted in the figures");
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the rating was not stored");
}

#[tokio::test]
#[ignore = "needs SIPp (Debian's sip-tester); .ci/run runs it"]
async fn a_session_refresh_by_re_invite_and_update_keeps_the_call() {
    let centre = Centre::start(config()).await;
    let user = centre.consultant("zhou").await;
    let phone_port = free_port();
    let phone = centre.echoing_phone(phone_port);
    centre.register("zhou", PHONE_PASSWORD, phone_port).await;
    let mut desk = centre.desk(user, &[("general", 5)]).await;
    let carrier = centre.sipp("carrier-refreshes.xml", &["-s", "12345", "-p", &free_port().to_string(), "-mp", &free_port().to_string()]);
    centre.desk_event(&mut desk, |e| matches!(e, DeskEvent::Connected { .. }).then_some(())).await;
    let before = centre.gateway.media_stats().to_caller.load(Ordering::Relaxed);
    centre.finished(carrier, "the carrier refreshing its session").await;
    centre.finished(phone, "the phone").await;
    let record = centre.record("13800138000").await;
    assert_eq!((record.outcome, record.agent), (Outcome::Answered, Some(user)));
    let after = centre.gateway.media_stats().to_caller.load(Ordering::Relaxed);
    assert!(after > before + 50, "audio went on after the refresh: {before} → {after}");
}

/// A call connected to a consultant whose phone plays `scenario`, on a
/// centre asking 4-second sessions of the legs it places (no keypad
/// rating). The carrier refreshes its own session (every 30 min), so that
/// only the phone's is at stake, and waits for the gateway's BYE.
struct PhoneCall {
    centre: Centre,
    user: hotline_domain::UserId,
    desk: hotline_app::calls::DeskLink,
    phone: tokio::process::Child,
    carrier: tokio::process::Child,
}

async fn connected_with_short_sessions(username: &str, scenario: impl FnOnce(&Centre) -> std::path::PathBuf) -> PhoneCall {
    let centre = Centre::start_with(config(), |sip| {
        sip.session_secs = 4;
        sip.min_session_secs = 2;
        sip.rating_secs = 0;
    })
    .await;
    let user = centre.consultant(username).await;
    let phone_port = free_port();
    let script = scenario(&centre);
    let phone = centre.sipp(script.to_str().unwrap(), &["-p", &phone_port.to_string(), "-mp", &free_port().to_string()]);
    centre.register(username, PHONE_PASSWORD, phone_port).await;
    let mut desk = centre.desk(user, &[("general", 5)]).await;
    let patient = centre.variant("carrier-session-lapses.xml", &[("3;refresher=uac", "1800;refresher=uac")]);
    let carrier = centre.sipp(patient.to_str().unwrap(), &["-s", "12345", "-p", &free_port().to_string(), "-mp", &free_port().to_string()]);
    centre.desk_event(&mut desk, |e| matches!(e, DeskEvent::Connected { .. }).then_some(())).await;
    PhoneCall { centre, user, desk, phone, carrier }
}

#[tokio::test]
#[ignore = "needs SIPp (Debian's sip-tester); .ci/run runs it"]
async fn the_gateway_refreshes_a_phones_session_and_a_phone_holding_the_call_plays_music_to_the_caller() {
    let PhoneCall { centre, user, mut desk, phone, carrier } =
        connected_with_short_sessions("feng", |_| support::scenario_path("phone-session.xml")).await;
    let stats = centre.gateway.media_stats();
    let held = |e: &DeskEvent| if let DeskEvent::Held { held, .. } = e { Some(*held) } else { None };
    assert!(centre.desk_event(&mut desk, held).await, "the desk is told the phone holds the call");
    let music = stats.prompt_packets.load(Ordering::Relaxed);
    assert!(!centre.desk_event(&mut desk, held).await, "… and that it resumed");
    let played = stats.prompt_packets.load(Ordering::Relaxed) - music;
    assert!(played > 25, "the caller heard hold music while held ({played} packets in about a second)");
    centre.finished(phone, "the phone: refreshed by the gateway, then hold, resume and hang-up").await;
    centre.finished(carrier, "the caller, released when the consultant hung up").await;
    let record = centre.record("13800138000").await;
    assert_eq!((record.outcome, record.agent), (Outcome::Answered, Some(user)));
}

#[tokio::test]
#[ignore = "needs SIPp (Debian's sip-tester); .ci/run runs it"]
async fn a_phone_that_stops_refreshing_its_session_is_hung_up_and_the_caller_released() {
    // The phone takes the refreshes on itself (refresher=uas, 2 s) and
    // never sends one, as if it had been unplugged.
    let silent = |centre: &Centre| {
        centre.variant(
            "phone.xml",
            &[(
                "transport=[transport]>\n    Content-Type",
                "transport=[transport]>\n    Require: timer\n    Session-Expires: 2;refresher=uas\n    Content-Type",
            )],
        )
    };
    let PhoneCall { centre, user, mut desk, phone, carrier } = connected_with_short_sessions("chu", silent).await;
    let connected = std::time::Instant::now();
    centre.desk_event(&mut desk, |e| matches!(e, DeskEvent::Ended { .. }).then_some(())).await;
    let lapsed = connected.elapsed();
    assert!(
        lapsed >= std::time::Duration::from_millis(1500) && lapsed < std::time::Duration::from_secs(5),
        "ended at the lapse: {lapsed:?}"
    );
    centre.finished(phone, "the silent phone, which gets the gateway's BYE").await;
    centre.finished(carrier, "the caller, released").await;
    let record = centre.record("13800138000").await;
    assert_eq!((record.outcome, record.agent), (Outcome::Answered, Some(user)));
}

#[tokio::test]
#[ignore = "needs baresip and SIPp (Debian's packages); .ci/run runs it"]
async fn baresip_as_the_consultants_softphone_registers_answers_and_talks() {
    let centre = Centre::start(config()).await;
    let user = centre.consultant("wu").await;
    let mut phone = centre.baresip("wu", PHONE_PASSWORD);
    // baresip registers on its own; wait until the binding exists.
    let mut desk = centre.desk(user, &[("general", 5)]).await;
    for _ in 0..50 {
        if std::fs::read_to_string(phone.dir.join("out.log")).unwrap_or_default().contains("200 OK") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let carrier =
        centre.sipp("carrier.xml", &["-s", "12345", "-p", &free_port().to_string(), "-mp", &free_port().to_string(), "-d", "3000"]);
    centre.desk_event(&mut desk, |e| matches!(e, DeskEvent::Connected { .. }).then_some(())).await;
    centre.finished(carrier, "the carrier's call").await;
    let record = centre.record("13800138000").await;
    assert_eq!((record.outcome, record.agent), (Outcome::Answered, Some(user)));
    let stats = centre.gateway.media_stats();
    let (from_phone, to_caller) = (stats.from_consultant.load(Ordering::Relaxed), stats.to_caller.load(Ordering::Relaxed));
    assert!(from_phone >= 100 && to_caller >= 100, "baresip's tone reached the caller: {from_phone} {to_caller}");
    let quality = centre.measured("13800138000").await;
    assert!(quality.consultant.packets >= 100 && quality.consultant.lost == 0, "a real softphone's stream: {quality:?}");
    assert!(quality.consultant.mos().unwrap() > 4.0, "{quality:?}");
    let _ = phone.child.start_kill();
    let log = std::fs::read_to_string(phone.dir.join("out.log")).unwrap_or_default();
    let heard: Vec<_> = std::fs::read_dir(phone.dir.join("heard")).unwrap().flatten().map(|e| e.path()).collect();
    let decoded = heard
        .iter()
        .find(|p| p.to_string_lossy().contains("dec"))
        .unwrap_or_else(|| panic!("baresip recorded what it heard: {heard:?}\n{log}"));
    let bytes = std::fs::read(decoded).unwrap();
    let samples: Vec<f64> = bytes[44..].chunks_exact(2).map(|b| f64::from(i16::from_le_bytes([b[0], b[1]]))).collect();
    let rms = (samples.iter().map(|v| v * v).sum::<f64>() / samples.len().max(1) as f64).sqrt();
    assert!(samples.len() > 8000 && rms > 100.0, "baresip heard the greeting and the caller: {} samples, RMS {rms}", samples.len());
}

#[tokio::test]
#[ignore = "needs SIPp (Debian's sip-tester); .ci/run runs it"]
async fn a_consultant_without_a_registered_phone_is_told_and_the_call_waits_for_someone_else() {
    let centre = Centre::start(config()).await;
    let user = centre.consultant("feng").await;
    let mut desk = centre.desk(user, &[("general", 5)]).await;
    let carrier =
        centre.sipp("carrier.xml", &["-s", "12345", "-p", &free_port().to_string(), "-mp", &free_port().to_string(), "-d", "1500"]);
    let call = centre.desk_event(&mut desk, |e| if let DeskEvent::PhoneMissing { call } = e { Some(call.clone()) } else { None }).await;
    centre.finished(carrier, "the caller").await;
    let record = centre.record("13800138000").await;
    assert_eq!((record.id.to_string(), record.outcome, record.agent), (call, Outcome::Abandoned, None));
}

#[tokio::test]
#[ignore = "needs SIPp (Debian's sip-tester); .ci/run runs it"]
async fn a_supervisor_takes_a_call_over_the_consultant_wraps_up_and_the_supervisor_ends_it() {
    use hotline_domain::Role;
    let centre = Centre::start_with(config(), |sip| sip.rating_secs = 1).await;
    let user = centre.consultant("zhao").await;
    let supervisor = centre.staff("banzhang", Role::Supervisor).await;
    let (phone_port, supervisor_port) = (free_port(), free_port());
    let phone = centre.echoing_phone(phone_port);
    centre.register("zhao", PHONE_PASSWORD, phone_port).await;
    let sup_phone = centre.echoing_phone(supervisor_port);
    centre.register("banzhang", PHONE_PASSWORD, supervisor_port).await;
    let mut desk = centre.desk(user, &[("general", 5)]).await;
    let record = centre.app.store.user(supervisor).await.unwrap().unwrap();
    let manager = centre.app.access.open(hotline_app::auth::principal_of(&record)).call_centre_manager().unwrap();
    // The caller stays on the line until hung up on (and is asked for a rating then).
    let carrier = centre.sipp("carrier-rates.xml", &["-s", "12345", "-p", &free_port().to_string(), "-mp", &free_port().to_string()]);
    let call = centre
        .desk_event(&mut desk, |e| match e {
            DeskEvent::Connected { call } => Some(call.parse::<i64>().unwrap()),
            _ => None,
        })
        .await;

    // Taking over needs the supervisor's phone in the call first.
    let early = centre.app.calls.take_over(&manager, call).await.unwrap_err();
    assert!(early.to_string().contains("listen in first"), "{early}");
    centre.app.calls.monitor(&manager, call, Some(hotline_app::calls::MonitorMode::Listen)).await.expect("listening");
    let stats = centre.gateway.media_stats();
    let grows = async |counter: &std::sync::atomic::AtomicU64, by: u64, what: &str| {
        let from = counter.load(Ordering::Relaxed);
        for _ in 0..100 {
            if counter.load(Ordering::Relaxed) >= from + by {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("{what}: fewer than {by} packets more than {from}");
    };
    grows(&stats.supervisor, 50, "the supervisor's phone hears the call").await;

    centre.app.calls.take_over(&manager, call).await.expect("taking over");
    let by = centre.desk_event(&mut desk, |e| if let DeskEvent::TakenOver { by, .. } = e { Some(by.clone()) } else { None }).await;
    assert_eq!(by, "banzhang 咨询员", "the consultant is told who took over");
    centre.finished(phone, "the consultant's phone, hung up by the gateway").await;
    // The supervisor's phone is the centre's side now: what it sends reaches the caller.
    grows(&stats.from_consultant, 50, "the supervisor's phone as the centre's side").await;
    grows(&stats.to_caller, 50, "the caller hearing the supervisor").await;
    let board = centre.app.calls.switchboard.wallboard().await.unwrap();
    let taken: Vec<_> = board.taken_over.iter().map(|t| (t.call.clone(), t.supervisor, t.consultant.as_str(), t.caller.as_str())).collect();
    assert_eq!(taken, [(call.to_string(), supervisor, "咨询员", "13800138000")], "the wallboard shows the call with its supervisor");
    let consultant = board.agents.iter().find(|a| a.agent == user).expect("the consultant on the wallboard");
    assert_ne!(consultant.state, "talking", "the consultant left the call");
    // Listening in again is refused; the supervisor who took over ends the call by leaving it.
    let again = centre.app.calls.monitor(&manager, call, Some(hotline_app::calls::MonitorMode::Listen)).await.unwrap_err();
    assert!(again.to_string().contains("taken over"), "{again}");
    centre.app.calls.monitor(&manager, call, None).await.expect("ending the call");
    centre.finished(sup_phone, "the supervisor's phone, hung up at the end").await;
    centre.finished(carrier, "the caller, hung up on after the rating").await;

    let row = centre.record("13800138000").await;
    assert_eq!((row.outcome, row.agent, row.taken_over_by), (Outcome::Answered, Some(user), Some(supervisor)));
    let target = format!("call:{call}");
    let actions: Vec<String> = centre.audited(supervisor).await.into_iter().filter(|(_, t)| *t == target).map(|(a, _)| a).collect();
    for action in ["call.monitor.listen", "call.monitor.take_over", "call.monitor.end"] {
        assert!(actions.iter().any(|a| a == action), "{action} in {actions:?}");
    }
    assert!(!actions.iter().any(|a| a == "call.monitor.stop"), "ending a call taken over is no leaving: {actions:?}");
}

#[tokio::test]
#[ignore = "needs SIPp (Debian's sip-tester); .ci/run runs it"]
async fn a_supervisor_listens_in_from_their_phone_whispers_barges_in_and_leaves_while_the_call_goes_on() {
    use hotline_app::calls::MonitorMode;
    use hotline_domain::Role;
    let centre = Centre::start(config()).await;
    let user = centre.consultant("qian").await;
    let supervisor = centre.staff("banzhang", Role::Supervisor).await;
    let (phone_port, supervisor_port) = (free_port(), free_port());
    let phone = centre.echoing_phone(phone_port);
    centre.register("qian", PHONE_PASSWORD, phone_port).await;
    let mut desk = centre.desk(user, &[("general", 5)]).await;
    let record = centre.app.store.user(supervisor).await.unwrap().unwrap();
    let manager = centre.app.access.open(hotline_app::auth::principal_of(&record)).call_centre_manager().unwrap();

    let carrier =
        centre.sipp("carrier.xml", &["-s", "12345", "-p", &free_port().to_string(), "-mp", &free_port().to_string(), "-d", "6000"]);
    let call = centre
        .desk_event(&mut desk, |e| match e {
            DeskEvent::Connected { call } => Some(call.parse::<i64>().unwrap()),
            _ => None,
        })
        .await;
    // Without a registered phone there is nothing to listen with.
    let refused = centre.app.calls.monitor(&manager, call, Some(MonitorMode::Listen)).await.unwrap_err();
    assert!(refused.to_string().contains("you have no phone"), "{refused}");
    let missing = centre.app.calls.monitor(&manager, call + 1, Some(MonitorMode::Listen)).await.unwrap_err();
    assert!(missing.to_string().contains("not in conversation"), "{missing}");

    // The supervisor's phone registers, is rung with auto-answer, answers and hears the call.
    let sup_phone = centre.echoing_phone(supervisor_port);
    centre.register("banzhang", PHONE_PASSWORD, supervisor_port).await;
    centre.app.calls.monitor(&manager, call, Some(MonitorMode::Listen)).await.expect("listening");
    let stats = centre.gateway.media_stats();
    let heard = async |n: u64| {
        for _ in 0..100 {
            if stats.supervisor.load(Ordering::Relaxed) > n {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the supervisor's leg carried no more than {n} packets");
    };
    heard(50).await;
    let after_listening = stats.supervisor.load(Ordering::Relaxed);
    centre.app.calls.monitor(&manager, call, Some(MonitorMode::Whisper)).await.expect("whispering");
    centre.app.calls.monitor(&manager, call, Some(MonitorMode::Barge)).await.expect("barging in");
    heard(after_listening + 50).await;
    // Leaving hangs up the supervisor's phone; the caller and consultant talk on.
    centre.app.calls.monitor(&manager, call, None).await.expect("leaving");
    centre.finished(sup_phone, "the supervisor's phone, hung up by the gateway").await;
    let again = centre.app.calls.monitor(&manager, call, None).await.unwrap_err();
    assert!(again.to_string().contains("not listening"), "{again}");
    centre.finished(carrier, "the carrier's call").await;
    centre.finished(phone, "the consultant's phone").await;
    let record = centre.record("13800138000").await;
    assert_eq!((record.outcome, record.agent), (Outcome::Answered, Some(user)));
    assert!(record.ended_at - record.answered_at.unwrap() >= chrono::Duration::milliseconds(5500), "the call went on to its end");

    // Each step is in the audit log, by the supervisor.
    let target = format!("call:{call}");
    let actions: Vec<String> = centre.audited(supervisor).await.into_iter().filter(|(_, t)| *t == target).map(|(a, _)| a).collect();
    assert_eq!(actions.len(), 4, "{actions:?}");
    for action in ["call.monitor.listen", "call.monitor.whisper", "call.monitor.barge", "call.monitor.stop"] {
        assert!(actions.iter().any(|a| a == action), "{action} in {actions:?}");
    }
}
