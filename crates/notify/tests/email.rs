//! An alert e-mail goes through a real SMTP conversation with a minimal
//! relay on a random port, which records what it was given.

use chrono::{TimeZone, Utc};
use hotline_app::supervision::{AlertRecord, ContactChannel, Delivery, Notifier};
use hotline_domain::watch::{AlertLevel, Watched};
use hotline_domain::{OrderId, UnitId, WorkOrderNo};
use hotline_notify::{NotifyConfig, Outbound};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// Accepts one message and returns the envelope recipient and the data.
async fn relay(listener: TcpListener) -> (String, String) {
    let (socket, _) = listener.accept().await.unwrap();
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 relay.test ESMTP\r\n").await.unwrap();
    let (mut rcpt, mut data, mut in_data) = (String::new(), String::new(), false);
    while let Some(line) = lines.next_line().await.unwrap() {
        if in_data {
            if line == "." {
                in_data = false;
                write.write_all(b"250 queued\r\n").await.unwrap();
            } else {
                data.push_str(&line);
                data.push('\n');
            }
            continue;
        }
        let upper = line.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            b"250 relay.test\r\n"
        } else if upper.starts_with("RCPT TO:") {
            rcpt = line[8..].trim().trim_matches(|c| c == '<' || c == '>').to_owned();
            b"250 ok\r\n"
        } else if upper.starts_with("DATA") {
            in_data = true;
            b"354 go ahead\r\n"
        } else if upper.starts_with("QUIT") {
            write.write_all(b"221 bye\r\n").await.unwrap();
            break;
        } else {
            b"250 ok\r\n"
        };
        write.write_all(reply).await.unwrap();
    }
    (rcpt, data)
}

fn alert() -> AlertRecord {
    AlertRecord {
        id: 7,
        order: OrderId(1),
        number: Some(WorkOrderNo::parse("DG20261116000001").unwrap()),
        order_subject: Some("小区燃气泄漏".to_owned()),
        watched: Watched::Completion,
        subject: 0,
        level: AlertLevel::Escalation,
        due: Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap(),
        unit: Some(UnitId(100)),
        raised_at: Utc.with_ymd_and_hms(2026, 12, 10, 10, 0, 0).unwrap(),
        read_at: None,
        read_by: None,
        orders: 1,
    }
}

fn delivery(address: &str) -> Delivery {
    Delivery {
        id: 8,
        alert: 7,
        channel: ContactChannel::Email,
        address: address.into(),
        attempts: 0,
        next_at: Utc::now(),
        delivered_at: None,
        failed_at: None,
        last_error: None,
    }
}

#[tokio::test]
async fn an_alert_is_mailed_through_the_relay() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let relay = tokio::spawn(relay(listener));
    let config = NotifyConfig { smtp_host: "127.0.0.1".into(), smtp_port: port, smtp_from: "12345@dg.gov.cn".into(), ..Default::default() };
    let notifier = Outbound::new(&config).unwrap();
    notifier.send(&delivery("leader@dongcheng.gov.cn"), &alert()).await.unwrap();
    let (rcpt, data) = relay.await.unwrap();
    assert_eq!(rcpt, "leader@dongcheng.gov.cn");
    assert!(data.contains("Subject:"), "{data}");
    assert!(data.contains("DG20261116000001") || data.contains("=?utf-8?"), "the subject names the order: {data}");
}

#[tokio::test]
async fn without_a_relay_the_error_says_what_to_configure() {
    let notifier = Outbound::new(&NotifyConfig::default()).unwrap();
    let error = notifier.send(&delivery("a@b.cn"), &alert()).await.unwrap_err();
    assert!(error.contains("smtp_host"), "{error}");
    let refused = NotifyConfig { smtp_host: "127.0.0.1".into(), smtp_port: 1, timeout_secs: 2, ..Default::default() };
    let error = Outbound::new(&refused).unwrap().send(&delivery("a@b.cn"), &alert()).await.unwrap_err();
    assert!(error.starts_with("SMTP a@b.cn"), "{error}");
}
