//! Section `[sms]`'s application part: whether texts are sent, when, and
//! how often they are retried (every field is documented in
//! `docs/configuration.md`; the gateway's address is the binary's).

use crate::secret::Secret;
use hotline_domain::sms::SendingHours;
use serde::{Deserialize, Serialize};

/// Which adapter sends texts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmsGateway {
    #[default]
    None,
    Kannel,
    /// Our own SMPP client, bound to the operator's SMS centre (section `[smpp]`).
    Smpp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmsConfig {
    /// `none`: no text is queued (a centre without a gateway); `kannel`:
    /// through Kannel's sendsms interface (section `[kannel]`); `smpp`: our
    /// own SMPP client, bound to the operator's SMS centre (section `[smpp]`).
    pub gateway: SmsGateway,
    /// The hotline's number in the texts' `{hotline}`.
    pub hotline: String,
    /// Local hours texts may go out (`08:00-21:00`); one queued at night
    /// waits for the morning.
    pub sending_hours: String,
    /// Seconds between two rounds of sending (a queued text also goes at once).
    pub send_every_secs: u32,
    /// Seconds before the first retry; each further one waits twice as long (at most an hour).
    pub retry_after_secs: u32,
    /// Attempts before a text is marked failed.
    pub max_attempts: u32,
    /// Seconds one attempt may take.
    pub timeout_secs: u32,
    /// The token the gateway sends with each receipt and each text it
    /// passes on from a citizen; empty: both are refused.
    pub receipt_token: Secret,
    /// Hours a follow-up text waits for its 1/2/3 reply before the order is
    /// a follow-up call again (at most 168).
    pub reply_window_hours: u32,
}

impl Default for SmsConfig {
    fn default() -> Self {
        Self {
            gateway: SmsGateway::None,
            hotline: "12345".into(),
            sending_hours: "08:00-21:00".into(),
            send_every_secs: 5,
            retry_after_secs: 30,
            max_attempts: 6,
            timeout_secs: 10,
            receipt_token: Secret::default(),
            reply_window_hours: 24,
        }
    }
}

impl SmsConfig {
    pub fn check(&self) -> Result<(), String> {
        SendingHours::parse(&self.sending_hours).map_err(|e| format!("sending_hours: {e}"))?;
        if self.send_every_secs == 0 || self.retry_after_secs == 0 || self.max_attempts == 0 || self.timeout_secs == 0 {
            return Err("send_every_secs, retry_after_secs, max_attempts and timeout_secs must be at least 1".into());
        }
        if !(1..=168).contains(&self.reply_window_hours) {
            return Err("reply_window_hours must be 1 to 168".into());
        }
        if self.hotline.trim().is_empty() {
            return Err("hotline must not be empty".into());
        }
        Ok(())
    }

    pub fn enabled(&self) -> bool {
        self.gateway != SmsGateway::None
    }

    pub fn hours(&self) -> SendingHours {
        SendingHours::parse(&self.sending_hours).unwrap_or(SendingHours::parse("08:00-21:00").expect("the default parses"))
    }
}
