//! Alerts leave the platform here: by e-mail through an SMTP relay, and by
//! webhook as a signed JSON POST a partner system (a town's OA, a
//! department's dispatch system) can verify. Changes to the orders of a
//! unit with its own case system leave by [`PushWebhook`]. Both implement
//! `hotline_app::supervision::Notifier`; the outbox in the database retries
//! what fails.
//!
//! Neither adapter speaks TLS yet: point them at a relay or gateway inside
//! the government network (see `docs/configuration.md`, `[notify]`).

mod email;
mod kannel;
mod message;
mod push;
mod webhook;

pub use email::Email;
pub use kannel::{Kannel, KannelConfig};
pub use message::{subject, text};
pub use push::{DELIVERY_HEADER, EVENT_HEADER, PushWebhook};
pub use webhook::{SIGNATURE_HEADER, Webhook, sign};

use async_trait::async_trait;
use hotline_app::secret::Secret;
use hotline_app::supervision::{AlertRecord, ContactChannel, Delivery, Notifier};
use serde::{Deserialize, Serialize};

/// Section `[notify]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifyConfig {
    /// The SMTP relay; empty: e-mail deliveries fail with a message saying so.
    pub smtp_host: String,
    pub smtp_port: u16,
    /// The sender of alert e-mails.
    pub smtp_from: String,
    /// Credentials for the relay, when it asks for them.
    pub smtp_username: String,
    pub smtp_password: Secret,
    /// Key of the HMAC-SHA256 signature sent with every webhook call; empty:
    /// calls are not signed.
    pub webhook_secret: Secret,
    /// Seconds one delivery may take.
    pub timeout_secs: u64,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        Self {
            smtp_host: String::new(),
            smtp_port: 25,
            smtp_from: "12345@localhost".into(),
            smtp_username: String::new(),
            smtp_password: Secret::default(),
            webhook_secret: Secret::default(),
            timeout_secs: 10,
        }
    }
}

/// Both adapters behind one notifier, chosen by the delivery's channel.
pub struct Outbound {
    email: Email,
    webhook: Webhook,
}

impl Outbound {
    pub fn new(config: &NotifyConfig) -> Result<Self, String> {
        Ok(Self { email: Email::new(config)?, webhook: Webhook::new(config)? })
    }
}

#[async_trait]
impl Notifier for Outbound {
    async fn send(&self, delivery: &Delivery, alert: &AlertRecord) -> Result<(), String> {
        match delivery.channel {
            ContactChannel::Email => self.email.send(delivery, alert).await,
            ContactChannel::Webhook => self.webhook.send(delivery, alert).await,
        }
    }
}
