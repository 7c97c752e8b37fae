//! Carriers' trunks kept alive: registering as an account with SIPp as the
//! carrier's registrar (which checks the digest itself), and OPTIONS
//! probes answered, refused and unanswered, as the wallboard shows them.

mod support;

use hotline_app::calls::{CallCentreConfig, TrunkProblem, TrunkStatus};
use hotline_callcentre::engine::Outcome;
use hotline_sip::{OutboundTrunk, TrunkConfig, TrunkRegistration};
use std::time::Duration;
use support::{Centre, free_port};

fn config() -> CallCentreConfig {
    CallCentreConfig { wrap_up_secs: 0, short_abandon_secs: 0, ..CallCentreConfig::default() }
}

/// A centre whose trunk "telecom" registers as 076912345 with the
/// carrier's registrar on `registrar` (not probed).
async fn registering(registrar: u16, password: &str, domain: Option<&str>) -> Centre {
    Centre::start_with(config(), |sip| {
        sip.trunks.push(TrunkConfig {
            server: Some(format!("127.0.0.1:{registrar}").parse().unwrap()),
            keepalive_secs: 0,
            register: Some(TrunkRegistration {
                username: "076912345".into(),
                password: password.into(),
                auth_username: None,
                domain: domain.map(Into::into),
                expires_secs: 600,
            }),
            ..TrunkConfig::trusted("telecom", vec![])
        });
    })
    .await
}

/// The trunk's state on the wallboard once `until` holds, within 20 s.
async fn trunk_when(centre: &Centre, name: &str, until: impl Fn(&TrunkStatus) -> bool) -> TrunkStatus {
    let mut last = None;
    for _ in 0..200 {
        let board = centre.app.calls.switchboard.wallboard().await.expect("wallboard");
        let trunk = board.lines.trunks.into_iter().find(|t| t.name == name).expect("the trunk is on the wallboard");
        if until(&trunk) {
            return trunk;
        }
        last = Some(trunk);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the trunk {name} stayed {last:?}\n{}", centre.logs());
}

#[tokio::test]
#[ignore = "needs SIPp (Debian's sip-tester); .ci/run runs it"]
async fn a_trunk_sold_as_an_account_registers_with_digest_and_its_calls_are_queued_by_the_number_in_to() {
    let registrar = free_port();
    let centre = registering(registrar, "carrier-secret", Some("carrier.example")).await;
    let before = trunk_when(&centre, "telecom", |_| true).await;
    assert_eq!(before.reachable, None, "not probed: keepalive_secs = 0");
    // The gateway's first REGISTER may leave before SIPp listens: it is
    // retransmitted, or retried after a second.
    let carrier = centre.sipp("carrier-registrar.xml", &["-p", &registrar.to_string()]);
    centre.finished(carrier, "the carrier's registrar (digest checked by SIPp)").await;
    let trunk = trunk_when(&centre, "telecom", |t| t.registered == Some(true)).await;
    assert_eq!((trunk.problem, trunk.since.is_some()), (None, true));

    // The carrier sends the call to the account; the number dialled is in To.
    let to_account = centre.variant("carrier.xml", &[("INVITE sip:[service]@", "INVITE sip:076912345@")]);
    let port = free_port().to_string();
    let media = free_port().to_string();
    let call = centre.sipp(to_account.to_str().unwrap(), &["-s", "12345", "-p", &port, "-mp", &media, "-d", "1000"]);
    centre.finished(call, "a call to the registered account").await;
    let record = centre.record("13800138000").await;
    assert_eq!((record.queue.as_str(), record.outcome), ("general", Outcome::Abandoned), "queued by 12345 in To, then left");

    let board = centre.app.calls.switchboard.wallboard().await.unwrap();
    assert_eq!(board.lines.phones_registered, Some(0), "SIP lines count phones; none registered here");
}

#[tokio::test]
#[ignore = "needs SIPp (Debian's sip-tester); .ci/run runs it"]
async fn a_wrong_trunk_password_shows_the_trunk_unregistered_with_the_carriers_refusal() {
    let registrar = free_port();
    let centre = registering(registrar, "an old password", None).await;
    // SIPp refuses the wrong answer with 403 (and fails its own run).
    let carrier = centre.sipp("carrier-registrar.xml", &["-p", &registrar.to_string()]);
    let trunk = trunk_when(&centre, "telecom", |t| t.problem.is_some()).await;
    assert_eq!((trunk.registered, trunk.problem), (Some(false), Some(TrunkProblem::Refused { status: 403 })));
    drop(carrier);
}

#[tokio::test]
#[ignore = "needs SIPp (Debian's sip-tester); .ci/run runs it"]
async fn options_probes_show_a_trunk_up_then_down_and_an_overloaded_outbound_trunk_refusing() {
    let (inbound, outbound) = (free_port(), free_port());
    let centre = Centre::start_with(config(), |sip| {
        sip.trunks.push(TrunkConfig {
            server: Some(format!("127.0.0.1:{inbound}").parse().unwrap()),
            keepalive_secs: 1,
            ..TrunkConfig::trusted("telecom", vec![])
        });
        sip.outbound = Some(OutboundTrunk {
            address: format!("127.0.0.1:{outbound}").parse().unwrap(),
            username: None,
            password: None,
            caller_id: "12345".into(),
            show_caller: false,
            keepalive_secs: 1,
        });
    })
    .await;
    let answers = centre.variant("carrier-options.xml", &[("SIP/2.0 STATUS", "SIP/2.0 200 OK")]);
    let overloaded = centre.variant("carrier-options.xml", &[("SIP/2.0 STATUS", "SIP/2.0 503 Service Unavailable")]);
    let up = centre.sipp(answers.to_str().unwrap(), &["-p", &inbound.to_string()]);
    let busy = centre.sipp(overloaded.to_str().unwrap(), &["-p", &outbound.to_string()]);

    let trunk = trunk_when(&centre, "telecom", |t| t.reachable == Some(true)).await;
    assert_eq!((trunk.registered, trunk.problem), (None, None), "a trunk that does not register says so");
    let refusing = trunk_when(&centre, "outbound", |t| t.reachable == Some(false)).await;
    assert_eq!(refusing.problem, Some(TrunkProblem::Refused { status: 503 }));
    centre.finished(up, "the carrier answering one probe").await;
    centre.finished(busy, "the overloaded carrier").await;
    // SIPp answered once and left: the next probes go unanswered.
    let down = trunk_when(&centre, "telecom", |t| t.reachable == Some(false)).await;
    assert_eq!(down.problem, Some(TrunkProblem::NoAnswer));
    assert!(down.since > trunk.since, "the change is dated");
}
