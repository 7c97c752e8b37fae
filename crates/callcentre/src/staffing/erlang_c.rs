//! Erlang B and Erlang C through the Erlang B recurrence
//! B₀ = 1, Bₖ = A·Bₖ₋₁ / (k + A·Bₖ₋₁): every term lies in (0, 1], so
//! neither factorials nor powers overflow, for any number of agents.

use super::{Evaluation, StaffingError, StaffingResult, Traffic};

/// Blocking probability of `agents` servers offered `load` Erlangs.
pub fn erlang_b(agents: u32, load: f64) -> f64 {
    (1..=agents).fold(1.0, |b, k| load * b / (f64::from(k) + load * b))
}

/// Callers wait as long as it takes (M/M/N).
pub fn erlang_c(traffic: &Traffic, agents: u32, within_secs: f64) -> StaffingResult<Evaluation> {
    let a = traffic.load();
    let n = f64::from(agents);
    if n <= a {
        return Err(StaffingError::Overloaded { agents, load: a, min: a.floor() as u32 + 1 });
    }
    let b = erlang_b(agents, a);
    let p_wait = n * b / (n - a * (1.0 - b));
    let aht = traffic.aht_secs();
    let service_level = 1.0 - p_wait * (-(n - a) * within_secs / aht).exp();
    Ok(Evaluation { agents, p_wait, service_level, asa_secs: p_wait * aht / (n - a), occupancy: a / n, p_abandon: None })
}
