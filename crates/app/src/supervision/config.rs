//! The supervision settings, section `[supervision]` (every field is
//! documented in `docs/configuration.md`). The deadline rules themselves,
//! including the warning share, reminder and escalation, are in `[deadlines]`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SupervisionConfig {
    /// Seconds between two deadline scans (and delivery rounds).
    pub scan_every_secs: u32,
    /// Attempts of an e-mail or webhook delivery before it is given up.
    pub delivery_attempts: u32,
    /// Seconds before the first retry; each further retry waits twice as long.
    pub retry_after_secs: u32,
    /// The "about to expire" list: open orders due within this many hours.
    pub expiring_within_hours: u32,
    /// Repeated callers and problems are counted over this many days…
    pub repeat_window_days: u32,
    /// …and listed from this many orders on.
    pub repeat_at: u32,
    /// A unit with this many overdue orders in a month gets a yellow card (黄牌).
    pub yellow_card_at: u32,
    /// …and a red card (红牌) from this many, or from any escalation.
    pub red_card_at: u32,
}

impl Default for SupervisionConfig {
    fn default() -> Self {
        Self {
            scan_every_secs: 30,
            delivery_attempts: 8,
            retry_after_secs: 60,
            expiring_within_hours: 24,
            repeat_window_days: 30,
            repeat_at: 3,
            yellow_card_at: 3,
            red_card_at: 10,
        }
    }
}

impl SupervisionConfig {
    pub fn check(&self) -> Result<(), String> {
        if self.scan_every_secs == 0 || self.delivery_attempts == 0 || self.repeat_window_days == 0 || self.repeat_at < 2 {
            return Err("scan_every_secs, delivery_attempts and repeat_window_days must be at least 1, repeat_at at least 2".into());
        }
        if self.yellow_card_at == 0 || self.red_card_at <= self.yellow_card_at {
            return Err("yellow_card_at must be at least 1 and red_card_at above it".into());
        }
        Ok(())
    }
}
