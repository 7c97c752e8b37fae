//! Texts to citizens: the registration notice queued with the order (or
//! not: opted out, a landline, answered on the spot), templates checked by
//! name, no texts at night, a gateway that stays down, receipts only from
//! the gateway; and, with Kannel installed (CI), the notice through Kannel
//! and its fake SMS centre to the phone, with the operator's receipt.

use crate::support::TestApp;
use chrono::{DateTime, Duration, Utc};
use hotline_app::AppConfig;
use hotline_app::clock::ManualClock;
use hotline_app::secret::Secret;
use hotline_app::sms::{GatewayKind, SmsConfig};
use hotline_notify::{Kannel, KannelConfig};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;

const TOKEN: &str = "receipt-token-for-tests";

fn texting() -> AppConfig {
    let sms = SmsConfig { gateway: GatewayKind::Kannel, receipt_token: Secret::new(TOKEN), max_attempts: 2, ..SmsConfig::default() };
    AppConfig { sms, ..AppConfig::default() }
}

/// Kannel's adapter, at `sendsms_url`, asking for receipts at the test server.
fn kannel(t: &TestApp, sendsms_url: &str) -> Kannel {
    let config = KannelConfig {
        sendsms_url: sendsms_url.to_owned(),
        username: "hotline".into(),
        password: Secret::new("secret"),
        sender: "12345".into(),
        receipt_base_url: t.base.clone(),
    };
    Kannel::new(&config, &Secret::new(TOKEN), 5).unwrap()
}

async fn log(t: &TestApp, token: &str) -> Value {
    let r = t.get("/api/v1/sms/messages", token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

#[tokio::test]
async fn a_registration_queues_its_notice_unless_opted_out_a_landline_or_answered_at_once() {
    // Tuesday 1 December 2026, 10:00 in Dongguan.
    let clock = Arc::new(ManualClock::new("2026-12-01T02:00:00Z".parse().unwrap()));
    let t = TestApp::spawn_with_clock(texting(), clock).await;
    let (consultant, admin) = (t.login("consultant").await, t.login("admin").await);

    let order = t.register(&consultant, t.complaint()).await;
    let mut opted_out = t.complaint();
    opted_out["sms_opt_out"] = json!(true);
    t.register(&consultant, opted_out).await;
    let mut landline = t.complaint();
    landline["caller"]["phone"] = json!("0769-22831234");
    t.register(&consultant, landline).await;
    let mut answered = t.complaint();
    answered["type"] = json!("consultation");
    answered["direct_answer"] = json!("已告知办理地点和所需材料。");
    t.register(&consultant, answered).await;

    let texts = log(&t, &admin).await;
    assert_eq!(texts.as_array().unwrap().len(), 1, "{texts:#}");
    let text = &texts[0];
    assert_eq!((text["number"].as_str(), text["phone"].as_str()), (order["number"].as_str(), Some("138****5678")));
    assert_eq!(
        (text["event"].as_str(), text["state"].as_str(), text["state_label"].as_str()),
        (Some("registered"), Some("queued"), Some("待发送"))
    );
    let body = text["text"].as_str().unwrap();
    let due = DateTime::parse_from_rfc3339(order["deadlines"]["completion"].as_str().unwrap()).unwrap();
    assert!(body.contains(order["number"].as_str().unwrap()) && body.contains(&due.format("%Y年%-m月%-d日").to_string()), "{body}");
    assert_eq!(text["segments"], 1);
    // The log is the centre's: not a consultant's, not a unit's.
    assert_eq!(t.get("/api/v1/sms/messages", &consultant).await.status, StatusCode::FORBIDDEN);
    assert_eq!(t.get("/api/v1/sms/messages", &t.login("dongcheng").await).await.status, StatusCode::FORBIDDEN);
    assert_eq!(log(&t, &t.login("supervisor").await).await.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn templates_are_edited_and_checked_by_name() {
    let t = TestApp::spawn_with(texting()).await;
    let (admin, consultant) = (t.login("admin").await, t.login("consultant").await);
    let r = t.get("/api/v1/sms/templates", &admin).await;
    assert_eq!(r.body[0]["event"], "registered");
    assert_eq!(r.body[0]["placeholders"], json!(["number", "due", "hotline"]));
    let put = |body: Value| t.call(Method::PUT, "/api/v1/sms/templates", Some(&admin), Some(body));
    let r = put(json!({"registered": "工单{numbr}已受理"})).await;
    assert_eq!((r.status, r.body["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("templates.registered")));
    assert!(r.body["fields"][0]["message"].as_str().unwrap().contains("{number}"), "{}", r.body);
    let r = put(json!({"registered": format!("{}{{number}}", "很长".repeat(100))})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = put(json!({"closed": "已办结"})).await;
    assert_eq!((r.status, r.body["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("closed")), "{}", r.body);
    let r = t.call(Method::PUT, "/api/v1/sms/templates", Some(&consultant), Some(json!({"registered": "{number}"}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let r = put(json!({"registered": "【东莞12345】工单{number}已受理，{due}前答复。"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let order = t.register(&consultant, t.complaint()).await;
    let texts = log(&t, &admin).await;
    assert!(texts[0]["text"].as_str().unwrap().starts_with(&format!("【东莞12345】工单{}已受理", order["number"].as_str().unwrap())));
    // Saved, so another node (or a restart) texts the same.
    let other = t.second_node().await;
    assert!(other.texts.templates().values().next().unwrap().starts_with("【东莞12345】"));
}

#[tokio::test]
async fn no_text_goes_out_at_night_and_a_gateway_that_stays_down_fails_the_text() {
    // 22:30 in Dongguan.
    let night: DateTime<Utc> = "2026-12-01T14:30:00Z".parse().unwrap();
    let clock = Arc::new(ManualClock::new(night));
    let t = TestApp::spawn_with_clock(texting(), clock.clone()).await;
    let (consultant, admin) = (t.login("consultant").await, t.login("admin").await);
    t.register(&consultant, t.complaint()).await;
    let texts = log(&t, &admin).await;
    // Queued for 08:00 the next morning.
    assert_eq!(texts[0]["next_at"], "2026-12-02T08:00:00+08:00");
    // Nothing listens on this port: the gateway is down.
    let down = kannel(&t, "http://127.0.0.1:9/cgi-bin/sendsms");
    let report = t.app.texts.deliver(&down).await.unwrap();
    assert_eq!((report.sent, report.retried), (0, 0), "not due before the morning");
    clock.set(night + Duration::hours(10));
    assert_eq!(t.app.texts.deliver(&down).await.unwrap().retried, 1);
    clock.set(night + Duration::hours(11));
    assert_eq!(t.app.texts.deliver(&down).await.unwrap().failed, 1);
    let texts = log(&t, &admin).await;
    assert_eq!((texts[0]["state"].as_str(), texts[0]["attempts"].as_i64()), (Some("failed"), Some(2)));
    assert!(texts[0]["last_error"].as_str().unwrap().contains("127.0.0.1:9"), "{}", texts[0]);
}

#[tokio::test]
async fn receipts_are_taken_only_from_the_gateway() {
    let t = TestApp::spawn_with(texting()).await;
    let (consultant, admin) = (t.login("consultant").await, t.login("admin").await);
    t.register(&consultant, t.complaint()).await;
    let id = log(&t, &admin).await[0]["id"].as_str().unwrap().to_owned();
    let t = &t;
    let receipt = |token: &str, id: &str, status: &str| {
        let path = format!("/api/v1/sms/receipts?id={id}&status={status}&token={token}");
        async move { t.call(Method::GET, &path, None, None).await }
    };
    assert_eq!(receipt("guess", &id, "1").await.status, StatusCode::FORBIDDEN);
    assert_eq!(receipt(TOKEN, "123", "1").await.status, StatusCode::NOT_FOUND);
    assert_eq!(receipt(TOKEN, &id, "x").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A receipt before the gateway took the text does not move it.
    assert_eq!(receipt(TOKEN, &id, "1").await.status, StatusCode::NO_CONTENT);
    assert_eq!(log(t, &admin).await[0]["state"], "queued");
}

/// Kannel's bearerbox and smsbox on free ports with its fake SMS centre
/// connected, killed when dropped.
struct KannelRig {
    sendsms_url: String,
    fake_log: std::path::PathBuf,
    children: Vec<std::process::Child>,
    _dir: tempfile::TempDir,
}

impl Drop for KannelRig {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn wait_for_port(port: u16) {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("nothing listens on {port}");
}

async fn start_kannel() -> KannelRig {
    let dir = tempfile::tempdir().unwrap();
    let (admin, boxes, smsc, sendsms) = (free_port(), free_port(), free_port(), free_port());
    let conf = dir.path().join("kannel.conf");
    std::fs::write(
        &conf,
        format!(
            "group = core\nadmin-port = {admin}\nadmin-password = secret\nsmsbox-port = {boxes}\nbox-allow-ip = 127.0.0.1\ndlr-storage = internal\n\n\
             group = smsc\nsmsc = fake\nsmsc-id = fake\nport = {smsc}\nconnect-allow-ip = 127.0.0.1\n\n\
             group = smsbox\nbearerbox-host = 127.0.0.1\nsendsms-port = {sendsms}\n\n\
             group = sendsms-user\nusername = hotline\npassword = secret\nmax-messages = 3\nconcatenation = true\n\n\
             group = sms-service\nkeyword = default\ntext = \"ok\"\nmax-messages = 0\n"
        ),
    )
    .unwrap();
    let spawn = |program: &str, args: &[&str], log: &str| {
        let out = std::fs::File::create(dir.path().join(log)).unwrap();
        std::process::Command::new(program)
            .args(args)
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("{program}: {e} (Debian's kannel and kannel-extras)"))
    };
    let conf = conf.to_str().unwrap().to_owned();
    let mut children = vec![spawn("/usr/sbin/bearerbox", &["-v", "1", &conf], "bearerbox.log")];
    wait_for_port(smsc).await;
    // The fake SMS centre: prints each text it gets; sends one message of
    // its own first and then waits (a long interval).
    let smsc_port = smsc.to_string();
    children.push(spawn(
        "/usr/lib/kannel/test/fakesmsc",
        &["-H", "127.0.0.1", "-r", &smsc_port, "-i", "100000", "-m", "2", "13900000000 12345 text hello"],
        "fakesmsc.log",
    ));
    children.push(spawn("/usr/sbin/smsbox", &["-v", "1", &conf], "smsbox.log"));
    wait_for_port(sendsms).await;
    KannelRig {
        sendsms_url: format!("http://127.0.0.1:{sendsms}/cgi-bin/sendsms"),
        fake_log: dir.path().join("fakesmsc.log"),
        children,
        _dir: dir,
    }
}

/// The texts the fake SMS centre got, decoded (`ucs-2` lines are
/// URL-encoded UTF-16BE).
fn received(log: &std::path::Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .filter_map(|line| line.split_once("Got message ").map(|(_, rest)| rest))
        .filter_map(|rest| rest.split_once(": <").map(|(_, m)| m.trim_end_matches('>')))
        .filter_map(|m| {
            let mut parts = m.splitn(4, ' ');
            let (_from, to, kind, body) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
            let bytes: Vec<u8> = percent_decode(body);
            let decoded = if kind == "ucs-2" {
                let units: Vec<u16> = bytes.chunks(2).map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])).collect();
                String::from_utf16_lossy(&units)
            } else {
                String::from_utf8_lossy(&bytes).into_owned()
            };
            Some((to.to_owned(), decoded))
        })
        .collect()
}

fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    out
}

#[tokio::test]
#[ignore = "needs Debian's kannel and kannel-extras (installed by .ci/run)"]
async fn the_notice_reaches_the_phone_through_kannel_and_the_operators_receipt_comes_back() {
    let rig = start_kannel().await;
    // 10:00 in Dongguan, within the sending hours whenever CI runs.
    let clock = Arc::new(ManualClock::new("2026-12-01T02:00:00Z".parse().unwrap()));
    let t = TestApp::spawn_with_clock(texting(), clock).await;
    let (consultant, admin) = (t.login("consultant").await, t.login("admin").await);
    let order = t.register(&consultant, t.complaint()).await;
    let number = order["number"].as_str().unwrap().to_owned();
    let gateway = kannel(&t, &rig.sendsms_url);
    let mut sent = 0;
    for _ in 0..50 {
        sent += t.app.texts.deliver(&gateway).await.unwrap().sent;
        if sent > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(sent, 1);
    let mut got = Vec::new();
    for _ in 0..100 {
        got = received(&rig.fake_log).into_iter().filter(|(to, _)| to == "13812345678").collect();
        if !got.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, "13812345678");
    assert!(got[0].1.contains(&number) && got[0].1.contains("已受理"), "{}", got[0].1);
    // The operator's receipt, through Kannel's dlr-url.
    let mut state = String::new();
    for _ in 0..100 {
        let texts = log(&t, &admin).await;
        state = texts[0]["state"].as_str().unwrap().to_owned();
        if state == "delivered" {
            assert!(texts[0]["delivered_at"].is_string() && texts[0]["receipt"].is_string(), "{}", texts[0]);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(state, "delivered");
}
