//! Pushes to units' own case systems: `POST` of the change's JSON, signed
//! with the system's own secret (`X-Hotline-Signature: sha256=<hex>`), with
//! the delivery's id (`X-Hotline-Delivery`, the same on every retry, so the
//! receiver can drop a repeat) and the event (`X-Hotline-Event`).

use crate::webhook::{SIGNATURE_HEADER, sign};
use async_trait::async_trait;
use hotline_app::external::{ExternalSystem, Push, Pusher};
use std::time::Duration;

pub const DELIVERY_HEADER: &str = "X-Hotline-Delivery";
pub const EVENT_HEADER: &str = "X-Hotline-Event";
/// Characters of the receiver's answer kept with a failed attempt.
const ANSWER_KEPT: usize = 200;

pub struct PushWebhook {
    client: reqwest::Client,
}

impl PushWebhook {
    pub fn new(timeout_secs: u32) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(u64::from(timeout_secs.max(1))))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self { client })
    }
}

#[async_trait]
impl Pusher for PushWebhook {
    async fn push(&self, system: &ExternalSystem, push: &Push) -> Result<(), String> {
        let body = push.body.as_bytes().to_vec();
        let response = self
            .client
            .post(&system.webhook_url)
            .header("content-type", "application/json")
            .header(SIGNATURE_HEADER, sign(&system.secret, &body))
            .header(DELIVERY_HEADER, push.id.to_string())
            .header(EVENT_HEADER, push.event.as_str())
            .body(body)
            .send()
            .await
            .map_err(|e| format!("{}: {e}", system.webhook_url))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let answer: String = response.text().await.unwrap_or_default().chars().take(ANSWER_KEPT).collect();
        Err(format!("{} answered HTTP {status}: {answer}", system.webhook_url))
    }
}
