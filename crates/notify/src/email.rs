//! E-mail delivery through an SMTP relay.

use crate::NotifyConfig;
use crate::message::{subject, text};
use hotline_app::supervision::{AlertRecord, Delivery};
use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

pub struct Email {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Option<Mailbox>,
}

impl Email {
    pub fn new(config: &NotifyConfig) -> Result<Self, String> {
        if config.smtp_host.is_empty() {
            return Ok(Self { transport: None, from: None });
        }
        let from = config.smtp_from.parse::<Mailbox>().map_err(|e| format!("notify.smtp_from {:?}: {e}", config.smtp_from))?;
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.smtp_host)
            .port(config.smtp_port)
            .timeout(Some(Duration::from_secs(config.timeout_secs.max(1))));
        if !config.smtp_username.is_empty() {
            builder = builder.credentials(Credentials::new(config.smtp_username.clone(), config.smtp_password.expose().to_owned()));
        }
        Ok(Self { transport: Some(builder.build()), from: Some(from) })
    }

    pub async fn send(&self, delivery: &Delivery, alert: &AlertRecord) -> Result<(), String> {
        let (Some(transport), Some(from)) = (&self.transport, &self.from) else {
            return Err("e-mail is not configured: set [notify] smtp_host".into());
        };
        let to = delivery.address.parse::<Mailbox>().map_err(|e| format!("address {:?}: {e}", delivery.address))?;
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(subject(alert))
            .header(ContentType::TEXT_PLAIN)
            .body(text(alert))
            .map_err(|e| format!("cannot build the e-mail: {e}"))?;
        transport.send(message).await.map(|_| ()).map_err(|e| format!("SMTP {}: {e}", delivery.address))
    }
}
