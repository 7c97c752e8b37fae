//! Section `[smpp]` (every field is documented in `docs/configuration.md`).

use hotline_app::secret::Secret;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmppConfig {
    /// The SMS centre, `host:port`.
    pub address: String,
    /// The account the operator gave the centre (`system_id`, `password`).
    pub system_id: String,
    pub password: Secret,
    /// `system_type`, if the operator asks for one.
    pub system_type: String,
    /// The number texts come from (the hotline's, or its long number).
    pub source_addr: String,
    /// Seconds between two `enquire_link`s on a quiet link.
    pub enquire_link_secs: u32,
    /// Seconds the centre may take to answer a request.
    pub response_timeout_secs: u32,
    /// Seconds before binding again after the link dropped or was refused.
    pub reconnect_secs: u32,
}

impl Default for SmppConfig {
    fn default() -> Self {
        Self {
            address: "127.0.0.1:2775".into(),
            system_id: String::new(),
            password: Secret::default(),
            system_type: String::new(),
            source_addr: "12345".into(),
            enquire_link_secs: 30,
            response_timeout_secs: 10,
            reconnect_secs: 5,
        }
    }
}

impl SmppConfig {
    pub fn check(&self) -> Result<(), String> {
        if self.address.trim().is_empty() || !self.address.contains(':') {
            return Err(format!("address {:?} must be host:port", self.address));
        }
        if self.system_id.is_empty() || self.system_id.len() > 15 {
            return Err("system_id must be 1 to 15 characters".into());
        }
        if self.password.expose().len() > 8 {
            return Err("password may have at most 8 characters (SMPP 3.4)".into());
        }
        if self.source_addr.is_empty() || self.source_addr.len() > 20 {
            return Err("source_addr must be 1 to 20 characters".into());
        }
        if self.enquire_link_secs == 0 || self.response_timeout_secs == 0 || self.reconnect_secs == 0 {
            return Err("enquire_link_secs, response_timeout_secs and reconnect_secs must be at least 1".into());
        }
        Ok(())
    }
}
