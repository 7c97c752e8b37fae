//! Webhook delivery: `POST` of `{"event": "alert", "alert": …, "text": …}`
//! with `X-Hotline-Signature: sha256=<hex HMAC-SHA256 of the body>`.

use crate::NotifyConfig;
use crate::message::text;
use hmac::{Hmac, Mac};
use hotline_app::supervision::{AlertRecord, Delivery};
use sha2::Sha256;
use std::time::Duration;

pub const SIGNATURE_HEADER: &str = "X-Hotline-Signature";

/// The signature header's value for a body.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

pub struct Webhook {
    client: reqwest::Client,
    secret: String,
}

impl Webhook {
    pub fn new(config: &NotifyConfig) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.timeout_secs.max(1)))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self { client, secret: config.webhook_secret.expose().to_owned() })
    }

    pub async fn send(&self, delivery: &Delivery, alert: &AlertRecord) -> Result<(), String> {
        let body = serde_json::to_vec(&serde_json::json!({ "event": "alert", "alert": alert, "text": text(alert) }))
            .expect("an alert serialises to JSON");
        let mut request = self.client.post(&delivery.address).header("content-type", "application/json");
        if !self.secret.is_empty() {
            request = request.header(SIGNATURE_HEADER, sign(&self.secret, &body));
        }
        let response = request.body(body).send().await.map_err(|e| format!("webhook {}: {e}", delivery.address))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("webhook {} answered HTTP {}", delivery.address, response.status()))
        }
    }
}
