//! Our own SMPP client against an SMS centre nobody here wrote (Debian's
//! Net::SMPP, `crates/smpp/tests/smsc.pl`): bound with the operator's
//! credentials (and refused with others), the notice handed over in UCS-2
//! with the centre's receipt marking it delivered, a long text in
//! concatenated parts, the citizen's reply 1 archiving the order and a
//! Chinese text becoming one, and the link bound again after the centre
//! went away.

use crate::sms::{free_port, log, order, texting, wait_for_port};
use crate::support::TestApp;
use hotline_app::clock::ManualClock;
use hotline_app::secret::Secret;
use hotline_smpp::{Smpp, SmppConfig};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

/// The SMS centre: a Perl process on `port`, its output in a file, its input
/// the phones' texts. Killed when dropped.
struct Centre {
    child: std::process::Child,
    phones: std::process::ChildStdin,
    log: std::path::PathBuf,
}

impl Drop for Centre {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Centre {
    async fn start(port: u16, dir: &std::path::Path, name: &str) -> Self {
        let log = dir.join(name);
        let out = std::fs::File::create(&log).unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../smpp/tests/smsc.pl");
        let mut child = std::process::Command::new("perl")
            .args([script, &port.to_string(), "hotline", "secret"])
            .stdin(std::process::Stdio::piped())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("perl");
        let phones = child.stdin.take().unwrap();
        wait_for_port(port).await;
        Self { child, phones, log }
    }

    /// A phone sends `text` to 12345.
    fn text_from(&mut self, phone: &str, text: &str) {
        writeln!(self.phones, "{phone} 12345 {text}").unwrap();
        self.phones.flush().unwrap();
    }

    /// What the centre was handed: (id, destination, data coding, esm_class, bytes).
    fn submits(&self) -> Vec<(String, String, u8, u8, Vec<u8>)> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.strip_prefix("SUBMIT "))
            .map(|l| {
                let f: Vec<&str> = l.split(' ').collect();
                let bytes = (0..f[4].len()).step_by(2).map(|i| u8::from_str_radix(&f[4][i..i + 2], 16).unwrap()).collect();
                (f[0].to_owned(), f[1].to_owned(), f[2].parse().unwrap(), f[3].parse().unwrap(), bytes)
            })
            .collect()
    }

    fn said(&self, what: &str) -> bool {
        std::fs::read_to_string(&self.log).unwrap_or_default().contains(what)
    }
}

fn ucs2(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes.chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
    String::from_utf16_lossy(&units)
}

fn config(port: u16, password: &str) -> SmppConfig {
    SmppConfig {
        address: format!("127.0.0.1:{port}"),
        system_id: "hotline".into(),
        password: Secret::new(password),
        reconnect_secs: 1,
        ..SmppConfig::default()
    }
}

async fn eventually<F: AsyncFn() -> bool>(what: &str, check: F) {
    for _ in 0..100 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} did not happen within 10 s");
}

#[tokio::test]
#[ignore = "needs Debian's libnet-smpp-perl (installed by .ci/run)"]
async fn texts_go_out_and_come_back_over_smpp_and_the_link_is_bound_again_after_the_centre_went_away() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut centre = Centre::start(port, dir.path(), "smsc.log").await;
    // 10:00 in Dongguan, within the sending hours.
    let start: chrono::DateTime<chrono::Utc> = "2026-12-01T02:00:00Z".parse().unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let t = TestApp::spawn_with_clock(texting(), clock.clone()).await;
    let (consultant, admin) = (t.login("consultant").await, t.login("admin").await);

    // Wrong credentials: refused, never bound.
    let wrong = Smpp::new(config(port, "guess"), t.app.texts.clone(), t.app.inbox.clone()).unwrap();
    let wrong_link = wrong.clone().spawn();
    assert!(!wrong.wait_bound(Duration::from_secs(2)).await);
    assert!(centre.said("REFUSED hotline"));
    wrong_link.abort();

    let smpp = Smpp::new(config(port, "secret"), t.app.texts.clone(), t.app.inbox.clone()).unwrap();
    let _link = smpp.clone().spawn();
    assert!(smpp.wait_bound(Duration::from_secs(10)).await, "not bound: {:?}", std::fs::read_to_string(&centre.log));

    // The notice, in UCS-2, and the centre's receipt.
    let registered = t.register(&consultant, t.complaint()).await;
    let number = registered["number"].as_str().unwrap().to_owned();
    assert_eq!(t.app.texts.deliver(smpp.as_ref()).await.unwrap().sent, 1);
    let submits = centre.submits();
    assert_eq!(submits.len(), 1);
    let (_, to, coding, _, bytes) = &submits[0];
    assert_eq!((to.as_str(), *coding), ("13812345678", 8));
    assert!(ucs2(bytes).contains(&number) && ucs2(bytes).contains("已受理"), "{}", ucs2(bytes));
    eventually("the receipt", async || log(&t, &admin).await[0]["state"] == "delivered").await;
    assert_eq!(log(&t, &admin).await[0]["receipt"], "SMPP DELIVRD");

    // A long closure text goes in concatenated parts; the follow-up question after it.
    let long = format!("【12345热线】工单{{number}}已办结。{}办理结果：{{reply}}", "感谢您对城市管理工作的关心和支持，".repeat(3));
    let r = t.call(Method::PUT, "/api/v1/sms/templates", Some(&admin), Some(json!({ "closed": long }))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let answered = t.answered(t.complaint()).await;
    let answered_number = answered["number"].as_str().unwrap().to_owned();
    let report = t.app.texts.deliver(smpp.as_ref()).await.unwrap();
    // Its registration notice, the closure text and the follow-up question.
    assert_eq!(report.sent, 3, "{report:?}");
    let submits = centre.submits();
    let parts: Vec<_> = submits[1..].iter().filter(|s| s.3 & 0x40 != 0).collect();
    assert_eq!(parts.len(), 2, "the closure text in two parts: {submits:?}");
    let joined: String = parts.iter().map(|s| ucs2(&s.4[6..])).collect();
    assert!(joined.contains(&answered_number) && joined.contains("东纵路路灯已于今日修复"), "{joined}");
    assert!(ucs2(&submits.last().unwrap().4).contains("回复1满意"));

    // The citizen answers 1 from the phone.
    centre.text_from("13812345678", "1");
    eventually("the follow-up by text", async || order(&t, &consultant, &answered_number).await["state"] == "archived").await;
    assert_eq!(order(&t, &consultant, &answered_number).await["follow_up"]["satisfaction"], "satisfied");
    // Another phone's Chinese text becomes an order.
    centre.text_from("13712345678", "东城街道东纵路的路灯又不亮了");
    eventually("the order from a text", async || {
        let received = t.get("/api/v1/sms/received", &admin).await.body;
        received[0]["outcome"] == "registered" && received[0]["text"] == "东城街道东纵路的路灯又不亮了"
    })
    .await;

    // The centre goes away: the text waits and is retried; back, the link is bound again.
    drop(centre);
    eventually("the link noticing", async || !smpp.is_bound().await).await;
    t.register(&consultant, t.complaint()).await;
    let report = t.app.texts.deliver(smpp.as_ref()).await.unwrap();
    // (The thanks for the rating and the new order's notice are queued too.)
    assert_eq!((report.sent, report.retried), (0, 3), "{report:?}");
    let centre = Centre::start(port, dir.path(), "smsc-again.log").await;
    assert!(smpp.wait_bound(Duration::from_secs(10)).await);
    eventually("the centre's bind", async || centre.said("BOUND hotline")).await;
    clock.set(start + chrono::Duration::minutes(5));
    assert_eq!(t.app.texts.deliver(smpp.as_ref()).await.unwrap().sent, 3);
    assert_eq!(centre.submits().len(), 3);
}
