//! The call centre's settings, and the engine's queues derived from the
//! hotlines directory: the general queue, and one queue per hotline that
//! became professional seats (专业坐席) in the centre.

use crate::ports::HotlineRecord;
use hotline_callcentre::engine::{EngineConfig, QueueConfig, Skill, Strategy, Widen};
use hotline_domain::{GENERAL_SKILL, IntegrationMode};
use serde::{Deserialize, Serialize};

/// Defaults follow the national standard and common practice; every field
/// is documented in `docs/configuration.md` (section `[callcentre]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CallCentreConfig {
    /// Seconds an offer rings at a desk before it goes to the next agent.
    pub ring_secs: u32,
    /// Offers left unanswered in a row before the agent is put on break.
    pub max_no_answer: u32,
    /// After-call work (话后处理) before the next offer, in seconds.
    pub wrap_up_secs: u32,
    /// Seconds a transfer to a sub-centre may ring before the consultant is
    /// told to advise the caller to dial it directly.
    pub transfer_timeout_secs: u32,
    /// Calls a queue holds at most; more are offered a callback.
    pub max_waiting: usize,
    /// A caller waiting this long is offered a callback.
    pub max_wait_secs: u32,
    /// After this wait, a professional queue's call may also go to
    /// consultants holding the skill at a lower level.
    pub spill_after_secs: u32,
    /// The answer threshold of the figures (the standard asks 15 s).
    pub answer_threshold_secs: u32,
    /// Callers hanging up sooner are short abandons: not counted as offered
    /// and not called back.
    pub short_abandon_secs: u32,
    /// What the lines are: the in-process simulator or none (the binary
    /// turns this into the [`super::Lines`] handed to `App::new`).
    pub telephony: TelephonyKind,
    /// Calls per hour the in-process simulator places into the queues; 0: none.
    pub simulated_calls_per_hour: f64,
    /// Mean talk time of simulated callers, in seconds.
    pub simulated_talk_secs: f64,
    /// Mean patience of simulated callers, in seconds.
    pub simulated_patience_secs: f64,
    /// The digest realm consultants' SIP phones register in. Phone
    /// secrets are derived from it: after a change, set them again.
    pub phone_realm: String,
    /// Days a call's recording is kept; older ones are deleted by the
    /// purge (the call's record stays and says so). 0: kept for ever.
    pub recording_retention_days: u32,
    /// Emergency services a consultant hands a caller over to in one click
    /// (三方通话, 国办发〔2022〕12号: 110 police, 119 fire, 120 ambulance,
    /// 122 traffic police), reached like sub-centres over the outbound trunk.
    pub emergency_numbers: Vec<String>,
    /// Among several nodes, seconds the call centre's owner holds its lease
    /// between renewals (every third of it); a standby takes over within
    /// this long of the owner stopping.
    pub lease_seconds: u32,
}

impl Default for CallCentreConfig {
    fn default() -> Self {
        Self {
            ring_secs: 15,
            max_no_answer: 2,
            wrap_up_secs: 30,
            transfer_timeout_secs: 30,
            max_waiting: 200,
            max_wait_secs: 180,
            spill_after_secs: 20,
            answer_threshold_secs: 15,
            short_abandon_secs: 5,
            telephony: TelephonyKind::Simulated,
            simulated_calls_per_hour: 0.0,
            simulated_talk_secs: 180.0,
            simulated_patience_secs: 120.0,
            phone_realm: "hotline".into(),
            recording_retention_days: 365,
            emergency_numbers: ["110", "119", "120", "122"].map(String::from).to_vec(),
            lease_seconds: 6,
        }
    }
}

/// The telephony a configuration names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TelephonyKind {
    /// The in-process call simulator.
    #[default]
    Simulated,
    /// No telephony: desks are offered no calls.
    None,
}

/// Level a professional queue asks at first; after the spill delay any
/// level will do.
pub const PROFESSIONAL_LEVEL: u8 = 5;

/// The name of the general queue.
pub const GENERAL_QUEUE: &str = GENERAL_SKILL;

impl CallCentreConfig {
    /// Refuses settings the engine or the simulator cannot run with.
    pub fn check(&self) -> Result<(), String> {
        if self.ring_secs == 0 || self.max_no_answer == 0 || self.max_waiting == 0 || self.max_wait_secs == 0 || self.lease_seconds == 0 {
            return Err("ring_secs, max_no_answer, max_waiting, max_wait_secs and lease_seconds must be at least 1".into());
        }
        let positive = |v: f64| v.is_finite() && v > 0.0;
        let rate_ok = self.simulated_calls_per_hour.is_finite() && self.simulated_calls_per_hour >= 0.0;
        if self.phone_realm.is_empty() || self.phone_realm.contains(['"', '\\']) || !self.phone_realm.is_ascii() {
            return Err("phone_realm must be a non-empty ASCII word without quotes or backslashes".into());
        }
        if !(rate_ok && positive(self.simulated_talk_secs) && positive(self.simulated_patience_secs)) {
            return Err("simulated_calls_per_hour must be 0 or more, simulated_talk_secs and simulated_patience_secs above 0".into());
        }
        if let Some(bad) = self.emergency_numbers.iter().find(|n| n.is_empty() || n.len() > 8 || !n.bytes().all(|b| b.is_ascii_digit())) {
            return Err(format!("emergency_numbers: {bad:?} is not a short number of digits (110, 119 …)"));
        }
        Ok(())
    }

    /// The engine's configuration for these hotlines.
    pub fn engine(&self, hotlines: &[HotlineRecord]) -> EngineConfig {
        let general = QueueConfig {
            name: GENERAL_QUEUE.to_owned(),
            skill: Skill(GENERAL_SKILL.to_owned()),
            priority: 1,
            min_level: 1,
            widen: Vec::new(),
            strategy: Strategy::LongestIdle,
            max_waiting: self.max_waiting,
            max_wait_secs: self.max_wait_secs,
        };
        let professional = hotlines.iter().filter(|h| h.mode == IntegrationMode::ProfessionalSeat).map(|h| QueueConfig {
            name: h.number.clone(),
            skill: Skill(h.number.clone()),
            priority: 2,
            min_level: PROFESSIONAL_LEVEL,
            widen: vec![Widen { after_secs: self.spill_after_secs, min_level: 1 }],
            strategy: Strategy::LongestIdle,
            max_waiting: self.max_waiting,
            max_wait_secs: self.max_wait_secs,
        });
        EngineConfig {
            queues: std::iter::once(general).chain(professional).collect(),
            ring_secs: self.ring_secs,
            max_no_answer: self.max_no_answer,
            wrap_up_secs: self.wrap_up_secs,
            transfer_timeout_secs: self.transfer_timeout_secs,
        }
    }

    /// The skills a consultant may be certified in: the professional seats' numbers.
    pub fn professional_skills(hotlines: &[HotlineRecord]) -> Vec<&str> {
        hotlines.iter().filter(|h| h.mode == IntegrationMode::ProfessionalSeat).map(|h| h.number.as_str()).collect()
    }
}
