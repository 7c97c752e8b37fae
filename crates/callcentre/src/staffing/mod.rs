//! Staffing mathematics (排班测算).
//!
//! A queue is described by its [`Traffic`]: calls offered in an interval and
//! their average handle time (talk plus wrap-up). Its offered load in
//! Erlangs is `A = calls × AHT / interval`. [`erlang_c`] evaluates a number
//! of agents when callers never hang up; [`erlang_a`] when they hang up
//! after an exponentially distributed patience. [`required_agents`] finds
//! the fewest agents meeting a service-level target, and
//! [`scheduled_agents`] adds shrinkage (breaks, training, absence).
//!
//! Service level is the share of offered calls answered within the target
//! time; with patience, calls abandoned count as misses.

mod erlang_a;
mod erlang_c;

pub use erlang_a::erlang_a;
pub use erlang_c::{erlang_b, erlang_c};

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StaffingError {
    /// An input out of its range; names the input.
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    /// Without abandonment, this many agents cannot carry the load: the
    /// queue grows without bound.
    #[error("{agents} agents cannot carry {load:.2} Erlangs when callers never hang up; give at least {min} agents, or a caller patience")]
    Overloaded { agents: u32, load: f64, min: u32 },
    /// No number of agents up to the limit meets the target.
    #[error("no number of agents up to {0} meets the target")]
    Unreachable(u32),
}

impl StaffingError {
    /// The input at fault, named as in the API (and, with `--`, the
    /// command line).
    pub fn field(&self) -> &'static str {
        match self {
            Self::Invalid { field, .. } => field,
            Self::Overloaded { .. } => "agents",
            Self::Unreachable(_) => "target_sl",
        }
    }

    /// What is wrong, without the field's name.
    pub fn message(&self) -> String {
        match self {
            Self::Invalid { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }
}

pub type StaffingResult<T> = Result<T, StaffingError>;

fn invalid(field: &'static str, message: impl Into<String>) -> StaffingError {
    StaffingError::Invalid { field, message: message.into() }
}

/// The calls a queue is offered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Traffic {
    calls: f64,
    interval_secs: f64,
    aht_secs: f64,
}

impl Traffic {
    pub fn new(calls: f64, interval_secs: f64, aht_secs: f64) -> StaffingResult<Self> {
        if !(calls.is_finite() && calls > 0.0) {
            return Err(invalid("calls", "must be a number of calls above 0"));
        }
        if !(interval_secs.is_finite() && interval_secs > 0.0) {
            return Err(invalid("interval_secs", "must be a number of seconds above 0"));
        }
        if !(aht_secs.is_finite() && aht_secs > 0.0) {
            return Err(invalid("aht_secs", "must be a number of seconds above 0"));
        }
        Ok(Self { calls, interval_secs, aht_secs })
    }

    /// Offered load in Erlangs: A = λ × AHT.
    pub fn load(&self) -> f64 {
        self.calls * self.aht_secs / self.interval_secs
    }

    /// Arrival rate per second.
    pub fn rate(&self) -> f64 {
        self.calls / self.interval_secs
    }

    pub fn aht_secs(&self) -> f64 {
        self.aht_secs
    }
}

/// A service-level target: `share` of calls answered within `within_secs`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target {
    share: f64,
    within_secs: f64,
}

impl Target {
    pub fn new(share: f64, within_secs: f64) -> StaffingResult<Self> {
        if !(share.is_finite() && share > 0.0 && share < 1.0) {
            return Err(invalid("target_sl", "must be a share between 0 and 1, e.g. 0.8 for 80%"));
        }
        if !(within_secs.is_finite() && within_secs >= 0.0) {
            return Err(invalid("target_secs", "must be a number of seconds, 0 or more"));
        }
        Ok(Self { share, within_secs })
    }

    pub fn share(&self) -> f64 {
        self.share
    }

    pub fn within_secs(&self) -> f64 {
        self.within_secs
    }
}

/// Mean time callers wait before hanging up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Patience(f64);

impl Patience {
    pub fn new(secs: f64) -> StaffingResult<Self> {
        if !(secs.is_finite() && secs > 0.0) {
            return Err(invalid("patience_secs", "must be a number of seconds above 0"));
        }
        Ok(Self(secs))
    }

    pub fn secs(&self) -> f64 {
        self.0
    }
}

/// How a number of agents does on a queue.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Evaluation {
    pub agents: u32,
    /// Probability that a call waits at all.
    pub p_wait: f64,
    /// Share of calls answered within the target time.
    pub service_level: f64,
    /// Average speed of answer: mean wait of answered calls, in seconds.
    pub asa_secs: f64,
    /// Share of the agents' time spent on calls.
    pub occupancy: f64,
    /// Share of calls abandoned (Erlang A only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_abandon: Option<f64>,
}

/// Evaluates `agents` on the traffic: Erlang A with a patience, else Erlang C.
pub fn evaluate(traffic: &Traffic, agents: u32, within_secs: f64, patience: Option<Patience>) -> StaffingResult<Evaluation> {
    if agents == 0 {
        return Err(invalid("agents", "must be 1 or more"));
    }
    match patience {
        Some(p) => Ok(erlang_a(traffic, agents, within_secs, p)),
        None => erlang_c(traffic, agents, within_secs),
    }
}

/// Most agents ever considered.
pub const MAX_AGENTS: u32 = 100_000;

/// The fewest agents whose service level meets the target.
pub fn required_agents(traffic: &Traffic, target: &Target, patience: Option<Patience>) -> StaffingResult<Evaluation> {
    let meets = |n: u32| -> StaffingResult<Option<Evaluation>> {
        let e = evaluate(traffic, n, target.within_secs, patience)?;
        Ok((e.service_level >= target.share).then_some(e))
    };
    // Erlang C needs more than the load; its answer bounds Erlang A's from
    // above, since callers hanging up only shorten the queue.
    let min_c = traffic.load().floor() as u32 + 1;
    let mut high = min_c;
    let found_c = loop {
        if high > MAX_AGENTS {
            return Err(StaffingError::Unreachable(MAX_AGENTS));
        }
        if let Some(e) = meets_c(traffic, high, target)? {
            break e;
        }
        high += 1;
    };
    if patience.is_none() {
        return Ok(found_c);
    }
    // Service level grows with agents: bisect for the first that meets it.
    let (mut low, mut best) = (0u32, meets(high)?.expect("Erlang C's answer meets the target with patience too"));
    while high - low > 1 {
        let mid = low + (high - low) / 2;
        match meets(mid)? {
            Some(e) => {
                high = mid;
                best = e;
            }
            None => low = mid,
        }
    }
    Ok(best)
}

fn meets_c(traffic: &Traffic, agents: u32, target: &Target) -> StaffingResult<Option<Evaluation>> {
    let e = erlang_c(traffic, agents, target.within_secs)?;
    Ok((e.service_level >= target.share).then_some(e))
}

/// Agents to roster so that `agents` are on the phones after shrinkage.
pub fn scheduled_agents(agents: u32, shrinkage: f64) -> StaffingResult<u32> {
    if !(shrinkage.is_finite() && (0.0..1.0).contains(&shrinkage)) {
        return Err(invalid("shrinkage", "must be a share from 0 up to (not including) 1, e.g. 0.3"));
    }
    // A hair below 1 absorbs floating-point noise (14 / 0.7 is 20.000000000000004).
    Ok((f64::from(agents) / (1.0 - shrinkage) - 1e-9).ceil() as u32)
}

/// A staffing question as a planner asks it, at the command line or on
/// the call-centre screen: the agents a target needs, or how a given
/// number of agents does.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Question {
    pub calls: f64,
    pub interval_secs: f64,
    pub aht_secs: f64,
    /// Share answered within `target_secs`; needed unless `agents` is given.
    pub target_sl: Option<f64>,
    pub target_secs: f64,
    /// Mean caller patience: Erlang A instead of Erlang C.
    pub patience_secs: Option<f64>,
    /// Share of rostered time off the phones.
    pub shrinkage: f64,
    /// Evaluate this many agents instead of finding the number required.
    pub agents: Option<u32>,
}

/// The answer: the agents on the phones and how they do, and the agents to
/// roster after shrinkage.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Answer {
    #[serde(flatten)]
    pub evaluation: Evaluation,
    pub scheduled_agents: u32,
    /// Offered load in Erlangs.
    pub load: f64,
}

impl Question {
    pub fn answer(&self) -> StaffingResult<Answer> {
        let traffic = Traffic::new(self.calls, self.interval_secs, self.aht_secs)?;
        let patience = self.patience_secs.map(Patience::new).transpose()?;
        let evaluation = match (self.agents, self.target_sl) {
            (Some(agents), _) => {
                if !(self.target_secs.is_finite() && self.target_secs >= 0.0) {
                    return Err(invalid("target_secs", "must be a number of seconds, 0 or more"));
                }
                evaluate(&traffic, agents, self.target_secs, patience)?
            }
            (None, Some(share)) => required_agents(&traffic, &Target::new(share, self.target_secs)?, patience)?,
            (None, None) => return Err(invalid("target_sl", "needed to find the agents required (or give agents to evaluate that many)")),
        };
        Ok(Answer { scheduled_agents: scheduled_agents(evaluation.agents, self.shrinkage)?, evaluation, load: traffic.load() })
    }
}

#[cfg(test)]
mod tests;
