//! Texts to citizens: the registration notice queued with the order (or
//! not: opted out, a landline, answered on the spot), templates checked by
//! name, no texts at night, a gateway that stays down, receipts only from
//! the gateway; the closure and follow-up texts after review, replies of
//! 1/2/3 recorded as the follow-up, unanswered ones left to a call, other
//! texts becoming orders; and, with Kannel installed (CI), the notice
//! through Kannel and its fake SMS centre to the phone, with the
//! operator's receipt, and the follow-up answered from the phone.

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

pub(crate) const TOKEN: &str = "receipt-token-for-tests";

pub(crate) fn texting() -> AppConfig {
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

pub(crate) async fn log(t: &TestApp, token: &str) -> Value {
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
    let r = put(json!({"closing": "已办结"})).await;
    assert_eq!((r.status, r.body["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("closing")), "{}", r.body);
    let r = put(json!({"follow_up": "请回复1、2、3评价{reply}"})).await;
    assert_eq!((r.status, r.body["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("templates.follow_up")));
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

/// What the gateway passes on: a text from `from` with the gateway's `id`.
async fn incoming(t: &TestApp, token: &str, id: &str, from: &str, text: &str) -> crate::support::Response {
    let path = format!(
        "/api/v1/sms/incoming?token={token}&id={id}&from={}&to=12345&text={}",
        crate::support::urlencode(from),
        crate::support::urlencode(text)
    );
    t.call(Method::GET, &path, None, None).await
}

pub(crate) async fn order(t: &TestApp, token: &str, number: &str) -> Value {
    let r = t.get(&format!("/api/v1/work-orders/{number}"), token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

async fn pending_numbers(t: &TestApp, token: &str) -> Vec<String> {
    let r = t.get("/api/v1/work-orders/pending", token).await;
    r.body["items"].as_array().unwrap().iter().map(|o| o["number"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_reviewed_answer_texts_the_result_and_the_follow_up_and_a_reply_of_1_is_the_follow_up() {
    let clock = Arc::new(ManualClock::new("2026-12-01T02:00:00Z".parse().unwrap()));
    let t = TestApp::spawn_with_clock(texting(), clock).await;
    let (consultant, admin) = (t.login("consultant").await, t.login("admin").await);
    let answered = t.answered(t.complaint()).await;
    let number = answered["number"].as_str().unwrap().to_owned();
    let texts = log(&t, &admin).await;
    let events: Vec<&str> = texts.as_array().unwrap().iter().map(|m| m["event"].as_str().unwrap()).collect();
    assert_eq!(events, ["follow_up", "closed", "registered"]);
    let closed = texts[1]["text"].as_str().unwrap();
    assert!(closed.contains(&number) && closed.contains("东纵路路灯已于今日修复"), "{closed}");
    assert!(texts[0]["text"].as_str().unwrap().contains("回复1满意"), "{}", texts[0]);
    // Waiting for the reply, nobody calls the citizen yet.
    assert!(!pending_numbers(&t, &consultant).await.contains(&number));

    assert_eq!(incoming(&t, "guess", "m1", "13812345678", "1").await.status, StatusCode::FORBIDDEN);
    let r = incoming(&t, TOKEN, "m1", "+8613812345678", " 1 ").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!((r.body["outcome"].as_str(), r.body["number"].as_str()), (Some("rated"), Some(number.as_str())));
    let rated = order(&t, &consultant, &number).await;
    assert_eq!(rated["state"], "archived");
    assert_eq!((rated["follow_up"]["satisfaction"].as_str(), rated["follow_up"]["contacted"].as_bool()), (Some("satisfied"), Some(true)));
    assert!(rated["follow_up"]["note"].as_str().unwrap().contains("短信回复"), "{}", rated["follow_up"]);
    // It counts in the unit's evaluation like a follow-up call.
    let figures = t.get("/api/v1/evaluation/figures?by=unit", &t.login("supervisor").await).await;
    let east = t.unit_id("441900003");
    let row = figures.body.as_array().unwrap().iter().find(|r| r["key"] == east.as_str()).expect("东城街道's row");
    assert_eq!((row["counts"]["followed_up"].as_u64(), row["counts"]["satisfied"].as_u64()), (Some(1), Some(1)), "{row}");
    // The gateway passing the same text on again changes nothing.
    let again = incoming(&t, TOKEN, "m1", "13812345678", "1").await;
    assert_eq!((again.status, again.body["id"].as_str()), (StatusCode::OK, r.body["id"].as_str()));
    assert_eq!(order(&t, &consultant, &number).await["version"], rated["version"]);
    // Thanked, and the reply is in the log of received texts.
    let texts = log(&t, &admin).await;
    assert_eq!((texts[0]["event"].as_str(), texts.as_array().unwrap().len()), (Some("rated"), 4));
    assert!(texts[0]["text"].as_str().unwrap().contains("满意"), "{}", texts[0]);
    let received = t.get("/api/v1/sms/received", &admin).await;
    assert_eq!(received.body.as_array().unwrap().len(), 1, "{}", received.body);
    assert_eq!((received.body[0]["phone"].as_str(), received.body[0]["outcome_label"].as_str()), (Some("138****5678"), Some("已评价")));
    assert_eq!(t.get("/api/v1/sms/received", &consultant).await.status, StatusCode::FORBIDDEN);
    // A second 1 has no follow-up left to answer.
    let late = incoming(&t, TOKEN, "m2", "13812345678", "1").await;
    assert_eq!(
        (late.body["outcome"].as_str(), late.body["reason"].as_str()),
        (Some("unmatched"), Some("already_followed_up")),
        "{}",
        late.body
    );
    assert_eq!(received.body[0]["rating"], "satisfied");
}

#[tokio::test]
async fn an_unanswered_follow_up_text_becomes_a_call_and_a_3_sends_the_order_back() {
    let start: DateTime<Utc> = "2026-12-01T02:00:00Z".parse().unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let t = TestApp::spawn_with_clock(texting(), clock.clone()).await;
    let consultant = t.login("consultant").await;
    let silent = t.answered(t.complaint()).await;
    let silent_number = silent["number"].as_str().unwrap().to_owned();
    assert!(!pending_numbers(&t, &consultant).await.contains(&silent_number));
    // A day without an answer: the follow-up is a call again.
    clock.set(start + Duration::hours(25));
    // (The morning's session has ended too.)
    let consultant = t.login("consultant").await;
    assert!(pending_numbers(&t, &consultant).await.contains(&silent_number));
    let late = incoming(&t, TOKEN, "late", "13812345678", "1").await;
    assert_eq!((late.body["outcome"].as_str(), late.body["reason"].as_str()), (Some("unmatched"), Some("no_follow_up")), "{}", late.body);
    assert_eq!(order(&t, &consultant, &silent_number).await["state"], "pending_follow_up");

    let mut other = t.complaint();
    other["caller"]["phone"] = json!("13912340000");
    let unhappy = t.answered(other).await;
    let r = incoming(&t, TOKEN, "m3", "13912340000", "不满意").await;
    assert_eq!(r.body["outcome"], "rated", "{}", r.body);
    let redone = order(&t, &consultant, unhappy["number"].as_str().unwrap()).await;
    assert_eq!((redone["state"].as_str(), redone["counters"]["redos"].as_i64()), (Some("in_progress"), Some(1)));
    assert_eq!(redone["follow_up"]["satisfaction"], "unsatisfied");
}

#[tokio::test]
async fn an_opted_out_citizen_gets_no_closure_or_follow_up_text() {
    let t = TestApp::spawn_with_clock(texting(), Arc::new(ManualClock::new("2026-12-01T02:00:00Z".parse().unwrap()))).await;
    let (consultant, admin) = (t.login("consultant").await, t.login("admin").await);
    let mut body = t.complaint();
    body["sms_opt_out"] = json!(true);
    let answered = t.answered(body).await;
    assert_eq!(log(&t, &admin).await.as_array().unwrap().len(), 0);
    // No text to wait for: the follow-up call is due at once.
    assert!(pending_numbers(&t, &consultant).await.contains(&answered["number"].as_str().unwrap().to_owned()));
}

#[tokio::test]
async fn any_other_text_becomes_an_order_in_the_sms_channel_once() {
    let t = TestApp::spawn_with_clock(texting(), Arc::new(ManualClock::new("2026-12-01T02:00:00Z".parse().unwrap()))).await;
    let (consultant, admin) = (t.login("consultant").await, t.login("admin").await);
    let before = t.count_orders().await;
    let text = "东城街道东纵路的路灯又不亮了\n请尽快派人修理";
    let r = incoming(&t, TOKEN, "abc-1", "13712345678", text).await;
    assert_eq!((r.status, r.body["outcome"].as_str()), (StatusCode::OK, Some("registered")), "{}", r.body);
    let number = r.body["number"].as_str().unwrap().to_owned();
    let again = incoming(&t, TOKEN, "abc-1", "13712345678", text).await;
    assert_eq!(again.body["number"].as_str(), Some(number.as_str()));
    assert_eq!(t.count_orders().await, before + 1);
    let o = order(&t, &consultant, &number).await;
    assert_eq!((o["channel"].as_str(), o["type"].as_str(), o["state"].as_str()), (Some("sms"), Some("other"), Some("pending_dispatch")));
    assert_eq!((o["subject"].as_str(), o["description"].as_str()), (Some("短信：东城街道东纵路的路灯又不亮了"), Some(text)));
    assert_eq!(o["caller"]["phone"], "13712345678");
    // Answered by the registration notice.
    let texts = log(&t, &admin).await;
    assert_eq!((texts[0]["event"].as_str(), texts[0]["number"].as_str()), (Some("registered"), Some(number.as_str())));
    // A rating with no follow-up text to answer, an empty text: kept, nothing else.
    assert_eq!(incoming(&t, TOKEN, "abc-2", "13712345678", "2").await.body["reason"], "no_follow_up");
    assert_eq!(incoming(&t, TOKEN, "abc-3", "13712345678", "  ").await.body["reason"], "empty");
    assert_eq!(t.count_orders().await, before + 1);
    // Bad input is named.
    let r = incoming(&t, TOKEN, "abc-4", "12345", "路灯").await;
    assert_eq!((r.status, r.body["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("from")), "{}", r.body);
    let r = incoming(&t, TOKEN, "", "13712345678", "路灯").await;
    assert_eq!((r.status, r.body["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("id")), "{}", r.body);
    let r = incoming(&t, TOKEN, "abc-5", "13712345678", &"长".repeat(2_001)).await;
    assert_eq!((r.status, r.body["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("text")), "{}", r.body);
}

#[tokio::test]
async fn one_text_passed_on_many_times_at_once_is_one_order() {
    let t = TestApp::spawn_with_clock(texting(), Arc::new(ManualClock::new("2026-12-01T02:00:00Z".parse().unwrap()))).await;
    let before = t.count_orders().await;
    let t = &t;
    let answers = futures_util::future::join_all(
        (0..8).map(|_| async move { incoming(t, TOKEN, "same-delivery", "13712345678", "小区门口的垃圾三天没人清理").await }),
    )
    .await;
    let numbers: std::collections::BTreeSet<String> = answers
        .iter()
        .map(|r| {
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            r.body["number"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(numbers.len(), 1, "{numbers:?}");
    assert_eq!(t.count_orders().await, before + 1);
    let received = t.get("/api/v1/sms/received", &t.login("admin").await).await;
    assert_eq!(received.body.as_array().unwrap().len(), 1, "{}", received.body);
}

#[tokio::test]
async fn texts_from_citizens_are_refused_while_texts_are_off() {
    let t = TestApp::spawn().await;
    let r = incoming(&t, TOKEN, "x", "13712345678", "路灯不亮").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "no token is configured: {}", r.body);
}

/// Kannel's bearerbox and smsbox on free ports with its fake SMS centre
/// connected, killed when dropped.
struct KannelRig {
    sendsms_url: String,
    fake_log: std::path::PathBuf,
    /// The fake SMS centre's input: a line `from to text …` is a text from a phone.
    phone: std::process::ChildStdin,
    children: Vec<std::process::Child>,
    _dir: tempfile::TempDir,
}

impl KannelRig {
    /// A citizen's phone sends `text` to 12345. (The fake centre takes
    /// input texts as bytes, here UTF-8; from a real operator Chinese comes
    /// in UCS-2, which smsbox recodes to UTF-8 with `mo-recode`.)
    fn send(&mut self, from: &str, text: &str) {
        use std::io::Write;
        writeln!(self.phone, "{from} 12345 text {text}").unwrap();
        self.phone.flush().unwrap();
    }
}

impl Drop for KannelRig {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub(crate) async fn wait_for_port(port: u16) {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("nothing listens on {port}");
}

/// Kannel passing texts from phones on to `base` (the test server).
async fn start_kannel(base: &str) -> KannelRig {
    let dir = tempfile::tempdir().unwrap();
    let (admin, boxes, smsc, sendsms) = (free_port(), free_port(), free_port(), free_port());
    let conf = dir.path().join("kannel.conf");
    std::fs::write(
        &conf,
        format!(
            "group = core\nadmin-port = {admin}\nadmin-password = secret\nsmsbox-port = {boxes}\nbox-allow-ip = 127.0.0.1\ndlr-storage = internal\n\n\
             group = smsc\nsmsc = fake\nsmsc-id = fake\nport = {smsc}\nconnect-allow-ip = 127.0.0.1\n\n\
             group = smsbox\nbearerbox-host = 127.0.0.1\nsendsms-port = {sendsms}\nmo-recode = true\n\n\
             group = sendsms-user\nusername = hotline\npassword = secret\nmax-messages = 3\nconcatenation = true\n\n\
             group = sms-service\nkeyword = default\nmax-messages = 0\n\
             get-url = \"{base}/api/v1/sms/incoming?token={TOKEN}&id=%I&from=%p&to=%P&text=%b\"\n"
        ),
    )
    .unwrap();
    let spawn = |program: &str, args: &[&str], log: &str| {
        let out = std::fs::File::create(dir.path().join(log)).unwrap();
        std::process::Command::new(program)
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("{program}: {e} (Debian's kannel and kannel-extras)"))
    };
    let conf = conf.to_str().unwrap().to_owned();
    let mut children = vec![spawn("/usr/sbin/bearerbox", &["-v", "1", &conf], "bearerbox.log")];
    wait_for_port(smsc).await;
    // The fake SMS centre: prints each text it gets and, with no message
    // given, reads texts from phones on its input.
    let smsc_port = smsc.to_string();
    let mut fake = spawn("/usr/lib/kannel/test/fakesmsc", &["-H", "127.0.0.1", "-r", &smsc_port], "fakesmsc.log");
    let phone = fake.stdin.take().unwrap();
    children.push(fake);
    children.push(spawn("/usr/sbin/smsbox", &["-v", "1", &conf], "smsbox.log"));
    wait_for_port(sendsms).await;
    KannelRig {
        sendsms_url: format!("http://127.0.0.1:{sendsms}/cgi-bin/sendsms"),
        fake_log: dir.path().join("fakesmsc.log"),
        phone,
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
async fn texts_reach_the_phone_through_kannel_with_receipts_and_the_phones_reply_is_the_follow_up() {
    // 10:00 in Dongguan, within the sending hours whenever CI runs.
    let clock = Arc::new(ManualClock::new("2026-12-01T02:00:00Z".parse().unwrap()));
    let t = TestApp::spawn_with_clock(texting(), clock).await;
    let mut rig = start_kannel(&t.base).await;
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

    // Answered and reviewed: the result and the follow-up question reach the phone.
    let answered = t.answered(t.complaint()).await;
    let number = answered["number"].as_str().unwrap().to_owned();
    let mut got = Vec::new();
    for _ in 0..100 {
        t.app.texts.deliver(&gateway).await.unwrap();
        got = received(&rig.fake_log).into_iter().filter(|(to, body)| to == "13812345678" && body.contains(&number)).collect();
        if got.len() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(got[1].1.contains("已办结") && got[2].1.contains("回复1满意"), "{got:?}");
    // The citizen replies 1 from the phone; Kannel passes it on.
    rig.send("13812345678", "1");
    let mut state = String::new();
    for _ in 0..100 {
        let r = t.get(&format!("/api/v1/work-orders/{number}"), &consultant).await;
        state = r.body["state"].as_str().unwrap().to_owned();
        if state == "archived" {
            assert_eq!(r.body["follow_up"]["satisfaction"], "satisfied");
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(state, "archived");
    // Any other text, in Chinese, becomes an order from that phone.
    rig.send("13712345678", "东城街道东纵路的路灯又不亮了");
    let mut received_texts = Value::Null;
    for _ in 0..100 {
        received_texts = t.get("/api/v1/sms/received", &admin).await.body;
        if received_texts.as_array().is_some_and(|a| a.len() == 2) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(received_texts[0]["outcome"], "registered", "{received_texts:#}");
    assert_eq!(received_texts[0]["text"], "东城街道东纵路的路灯又不亮了");
    assert_eq!(received_texts[1]["outcome"], "rated");
}
