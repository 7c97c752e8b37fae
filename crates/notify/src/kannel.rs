//! Texts through Kannel's `sendsms` HTTP interface (Kannel then speaks SMPP,
//! CIMD or UCP to the operator's SMS centre). Each text asks for the
//! operator's receipts (`dlr-mask`): Kannel calls the receipt URL with the
//! text's id and the status in `%d`.

use async_trait::async_trait;
use hotline_app::ports::SmsMessage;
use hotline_app::secret::Secret;
use hotline_app::sms::SmsGateway;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Section `[sms]`'s gateway part (the binary's; the application's part is
/// `hotline_app::sms::SmsConfig`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KannelConfig {
    /// Kannel's sendsms URL, e.g. `http://127.0.0.1:13013/cgi-bin/sendsms`.
    pub sendsms_url: String,
    pub username: String,
    pub password: Secret,
    /// The sender the citizen sees (the hotline's number).
    pub sender: String,
    /// Where Kannel reaches this server for receipts, e.g.
    /// `http://10.1.2.3:8080`; empty: no receipts are asked for.
    pub receipt_base_url: String,
}

impl Default for KannelConfig {
    fn default() -> Self {
        Self {
            sendsms_url: "http://127.0.0.1:13013/cgi-bin/sendsms".into(),
            username: String::new(),
            password: Secret::default(),
            sender: "12345".into(),
            receipt_base_url: String::new(),
        }
    }
}

/// Kannel's receipt codes asked for: delivered, failed, buffered, accepted
/// by the operator, rejected by the operator.
const DLR_MASK: &str = "31";

pub struct Kannel {
    client: reqwest::Client,
    config: KannelConfig,
    receipt_token: Secret,
}

impl Kannel {
    pub fn new(config: &KannelConfig, receipt_token: &Secret, timeout_secs: u32) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(u64::from(timeout_secs.max(1))))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self { client, config: config.clone(), receipt_token: receipt_token.clone() })
    }

    fn receipt_url(&self, id: i64) -> Option<String> {
        let base = self.config.receipt_base_url.trim_end_matches('/');
        // `%d` is Kannel's: it puts the status there.
        (!base.is_empty()).then(|| format!("{base}/api/v1/sms/receipts?id={id}&token={}&status=%d", self.receipt_token.expose()))
    }
}

#[async_trait]
impl SmsGateway for Kannel {
    async fn send(&self, text: &SmsMessage) -> Result<Option<String>, String> {
        let mut query: Vec<(&str, String)> = vec![
            ("username", self.config.username.clone()),
            ("password", self.config.password.expose().to_owned()),
            ("from", self.config.sender.clone()),
            ("to", text.phone.as_str().to_owned()),
            ("text", text.text.clone()),
            ("charset", "UTF-8".into()),
            // UCS-2 for Chinese; Kannel splits what is longer than one message.
            ("coding", if hotline_domain::sms::segments(&text.text).unicode { "2" } else { "0" }.into()),
        ];
        if let Some(url) = self.receipt_url(text.id) {
            query.push(("dlr-mask", DLR_MASK.into()));
            query.push(("dlr-url", url));
        }
        let url = reqwest::Url::parse_with_params(&self.config.sendsms_url, &query)
            .map_err(|e| format!("kannel.sendsms_url {:?}: {e}", self.config.sendsms_url))?;
        let response = self.client.get(url).send().await.map_err(|e| format!("{}: {e}", self.config.sendsms_url))?;
        let status = response.status();
        let answer = response.text().await.unwrap_or_default();
        // 202 "0: Accepted for delivery" or "3: Queued for later delivery".
        if status.is_success() {
            // Kannel's receipts come to the dlr-url, which names our own id.
            Ok(None)
        } else {
            Err(format!("Kannel answered HTTP {status}: {}", answer.chars().take(200).collect::<String>()))
        }
    }
}
