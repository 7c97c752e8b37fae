//! Erlang A (M/M/N+M): callers hang up after an exponentially distributed
//! patience. Solved exactly as a birth-death chain on the number of calls in
//! the system, truncated where its probabilities vanish.
//!
//! For the waiting-time figures a waiting caller is followed through the
//! queue: with `j` callers ahead, the next move comes at rate
//! `N·μ + j·θ` (an agent frees up, or someone ahead hangs up) and the caller
//! hangs up at rate `θ`. Each stage lasts an exponential time with rate
//! `N·μ + (j+1)·θ` whatever ends it, so the probability of being answered,
//! the mean wait of answered callers and the probability of being answered
//! within `t` (a hypoexponential law, computed by uniformisation) follow
//! without approximation beyond the truncation.

use super::{Evaluation, Patience, Traffic};

/// Relative size below which the chain's tail is dropped.
const TAIL: f64 = 1e-16;

pub fn erlang_a(traffic: &Traffic, agents: u32, within_secs: f64, patience: Patience) -> Evaluation {
    let lambda = traffic.rate();
    let mu = 1.0 / traffic.aht_secs();
    let theta = 1.0 / patience.secs();
    let n = f64::from(agents);

    // Unnormalised stationary probabilities relative to π_N: below N the
    // ratio π_k/π_{k+1} = (k+1)μ/λ, above it π_{N+j}/π_{N+j-1} = λ/(Nμ + jθ).
    let mut below = 0.0; // Σ π_k for k < N (relative to π_N)
    let mut busy_below = 0.0; // Σ k·π_k for k < N
    let mut t = 1.0;
    for k in (0..agents).rev() {
        // Far below N the terms underflow to 0, harmlessly.
        t *= f64::from(k + 1) * mu / lambda;
        below += t;
        busy_below += f64::from(k) * t;
    }
    // waiting[j]: relative probability of N + j calls in the system.
    let mut waiting = vec![1.0];
    let mut waiting_sum = 1.0;
    let mut t = 1.0;
    let mut j = 1.0;
    loop {
        t *= lambda / (n * mu + j * theta);
        if t < TAIL * waiting_sum {
            break;
        }
        waiting.push(t);
        waiting_sum += t;
        j += 1.0;
    }
    let total = below + waiting_sum;
    let p_wait = waiting_sum / total;

    // A caller arriving with j ahead: stage rates r_i = Nμ + iθ, i = 0..=j.
    let stage = |i: usize| n * mu + i as f64 * theta;
    // P(answered | j ahead) = Π_{i≤j} r_i / (r_i + θ); E[wait | answered] = Σ_{i≤j} 1 / (r_i + θ).
    let mut answered_after_wait = 0.0;
    let mut waited_when_answered = 0.0;
    let mut weights = Vec::with_capacity(waiting.len());
    let (mut p_answer, mut mean) = (1.0, 0.0);
    for (j, w) in waiting.iter().enumerate() {
        p_answer *= stage(j) / (stage(j) + theta);
        mean += 1.0 / (stage(j) + theta);
        let w = w / total;
        answered_after_wait += w * p_answer;
        waited_when_answered += w * p_answer * mean;
        weights.push(w * p_answer);
    }
    let p_answered = (1.0 - p_wait) + answered_after_wait;
    let within = answered_within(&weights, |i| stage(i) + theta, within_secs);
    let mean_busy = (busy_below + n * waiting_sum) / total;
    Evaluation {
        agents,
        p_wait,
        service_level: (1.0 - p_wait) + within,
        asa_secs: waited_when_answered / p_answered,
        occupancy: mean_busy / n,
        p_abandon: Some(1.0 - p_answered),
    }
}

/// Σ_j weights[j] · P(Exp(s_j) + Exp(s_{j-1}) + … + Exp(s_0) ≤ t), by
/// uniformisation: a Poisson number of steps of rate Λ = max s, each moving a
/// caller one stage closer with probability s_i/Λ.
fn answered_within(weights: &[f64], rate: impl Fn(usize) -> f64, t: f64) -> f64 {
    if weights.is_empty() || t <= 0.0 {
        return 0.0;
    }
    let rates: Vec<f64> = (0..weights.len()).map(rate).collect();
    let big = rates.iter().copied().fold(0.0, f64::max);
    let lt = big * t;
    let mut mass = weights.to_vec(); // mass[i]: still i stages from an agent
    let mut done = 0.0; // reached an agent within the steps taken so far
    let mut total = 0.0;
    let mut log_p = -lt; // log Poisson(0; Λt)
    let mut step = 0u32;
    loop {
        let p = log_p.exp();
        total += p * done;
        // Past the Poisson mode the terms fall faster than geometrically:
        // once one is negligible, so is the rest of the tail. (Summing to 1
        // is no test: rounding can keep the running sum just below it.)
        if f64::from(step) > lt && p < 1e-18 {
            break;
        }
        // One uniformised step, in place: stage i takes from stage i+1.
        let mut arriving = 0.0;
        for i in (0..mass.len()).rev() {
            let go = rates[i] / big;
            let leaving = mass[i] * go;
            mass[i] = mass[i] - leaving + arriving;
            arriving = leaving;
        }
        done += arriving;
        step += 1;
        log_p += lt.ln() - f64::from(step).ln();
    }
    total
}
