//! Section `[external]`: how changes are pushed to units' own case systems
//! (every field is documented in `docs/configuration.md`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExternalConfig {
    /// Seconds between two rounds of pushes (a change is also pushed at once).
    pub push_every_secs: u32,
    /// Seconds before the first retry; each further retry waits twice as long…
    pub retry_after_secs: u32,
    /// …but never longer than this.
    pub max_delay_secs: u32,
    /// Attempts before a push is given up and listed as a dead letter.
    pub max_attempts: u32,
    /// Seconds one push may take.
    pub timeout_secs: u32,
}

impl Default for ExternalConfig {
    fn default() -> Self {
        // 16 attempts over about eight hours: a partner down for a night's
        // maintenance still gets everything.
        Self { push_every_secs: 1, retry_after_secs: 5, max_delay_secs: 3600, max_attempts: 16, timeout_secs: 10 }
    }
}

impl ExternalConfig {
    pub fn check(&self) -> Result<(), String> {
        if self.push_every_secs == 0 || self.retry_after_secs == 0 || self.max_attempts == 0 || self.timeout_secs == 0 {
            return Err("push_every_secs, retry_after_secs, max_attempts and timeout_secs must be at least 1".into());
        }
        if self.max_delay_secs < self.retry_after_secs {
            return Err("max_delay_secs must be at least retry_after_secs".into());
        }
        Ok(())
    }

    /// The wait after the attempt numbered `attempts` (0 for the first) failed.
    pub fn delay_after(&self, attempts: i64) -> u32 {
        crate::clock::backoff_secs(self.retry_after_secs, attempts, self.max_delay_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_double_up_to_the_cap() {
        let c = ExternalConfig::default();
        let delays: Vec<u32> = (0..12).map(|a| c.delay_after(a)).collect();
        assert_eq!(delays, [5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600]);
        assert_eq!(c.delay_after(1000), 3600);
    }

    #[test]
    fn nonsense_is_refused() {
        assert!(ExternalConfig { max_attempts: 0, ..Default::default() }.check().is_err());
        assert!(ExternalConfig { max_delay_secs: 1, ..Default::default() }.check().is_err());
        assert!(ExternalConfig::default().check().is_ok());
    }
}
