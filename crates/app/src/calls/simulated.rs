//! The in-process telephony simulator: callers who arrive, wait with a
//! patience, talk for a while and hang up, and sub-centre lines that answer,
//! are busy or ring out. It plays the network's side against the real
//! switchboard and real desks, for demonstrations, training and tests; a SIP
//! gateway replaces it without changing anything else.

use super::switchboard::Switchboard;
use super::telephony::Telephony;
use crate::error::AppResult;
use hotline_callcentre::engine::{CallId, Command, Event, TransferResult};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

/// How a simulated sub-centre line behaves when a call is transferred to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineBehaviour {
    /// Picks up after a short ring.
    #[default]
    Answers,
    Busy,
    /// Rings until the switchboard gives up.
    NoAnswer,
}

/// Simulated traffic: Poisson arrivals spread over queues by weight.
#[derive(Debug, Clone)]
pub struct Load {
    pub per_hour: f64,
    pub queues: Vec<(String, f64)>,
    pub mean_talk: Duration,
    pub mean_patience: Duration,
}

/// What a simulated caller will do.
#[derive(Debug, Clone, Copy, Default)]
pub struct CallerPlan {
    /// Hangs up after waiting this long unanswered.
    pub patience: Option<Duration>,
    /// Hangs up after talking this long (otherwise the consultant ends it).
    pub talk: Option<Duration>,
}

#[derive(Clone, Copy)]
struct Caller {
    plan: CallerPlan,
    answered: bool,
}

pub struct SimulatedLines {
    me: Weak<SimulatedLines>,
    switchboard: Switchboard,
    callers: Mutex<HashMap<CallId, Caller>>,
    lines: Mutex<HashMap<String, LineBehaviour>>,
    /// How long a sub-centre rings before it picks up.
    pickup: Duration,
}

impl SimulatedLines {
    /// Creates the simulator and attaches it to the switchboard as its lines.
    pub fn attach(switchboard: Switchboard, pickup: Duration) -> Arc<Self> {
        let lines = Self::new(switchboard.clone(), pickup);
        switchboard.attach(lines.clone());
        lines
    }

    /// Creates the simulator beside real lines: it carries out only the
    /// calls it places.
    pub fn attach_beside(switchboard: Switchboard, pickup: Duration) -> Arc<Self> {
        let lines = Self::new(switchboard.clone(), pickup);
        switchboard.attach_simulator(lines.clone());
        lines
    }

    fn new(switchboard: Switchboard, pickup: Duration) -> Arc<Self> {
        Arc::new_cyclic(|me| Self { me: me.clone(), switchboard, callers: Mutex::default(), lines: Mutex::default(), pickup })
    }

    /// A caller dials 12345 and chooses a queue.
    pub async fn place_call(&self, queue: &str, caller: &str, plan: CallerPlan) -> AppResult<CallId> {
        // Registered before the engine can act on it: the first Hold may
        // come back before `arrive` returns.
        let call = self.switchboard.arrive_simulated(queue, caller).await?;
        let answered = {
            let mut callers = self.callers.lock().expect("callers lock");
            let entry = callers.entry(call).or_insert(Caller { plan, answered: false });
            entry.plan = plan;
            entry.answered
        };
        // A desk may have answered before the caller was registered here.
        match (answered, plan.patience, plan.talk) {
            (false, Some(patience), _) => self.later(patience, Event::CallerHungUp { call }, move |me| me.waiting(call)),
            (true, _, Some(talk)) => self.later(talk, Event::CallerHungUp { call }, |_| true),
            _ => {}
        }
        Ok(call)
    }

    /// The caller hangs up.
    pub async fn hang_up(&self, call: CallId) -> AppResult<()> {
        self.switchboard.event(Event::CallerHungUp { call }).await
    }

    pub fn set_line(&self, number: &str, behaviour: LineBehaviour) {
        self.lines.lock().expect("lines lock").insert(number.to_owned(), behaviour);
    }

    fn line(&self, number: &str) -> LineBehaviour {
        self.lines.lock().expect("lines lock").get(number).copied().unwrap_or_default()
    }

    /// Sends `event` after `delay` unless `still` says the moment passed.
    /// Events for calls that ended meanwhile are refused by the engine.
    fn later(&self, delay: Duration, event: Event, still: impl Fn(&Self) -> bool + Send + 'static) {
        let Some(me) = self.me.upgrade() else { return };
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            if still(&me) {
                if let Event::CallerHungUp { call } = event {
                    me.forget(call);
                }
                me.switchboard.notify(event);
            }
        });
    }

    /// Places Poisson arrivals with exponential patience and talk times,
    /// for as long as the task runs.
    pub async fn generate(self: Arc<Self>, load: Load, seed: u64) {
        for arrival in Arrivals::new(load, seed) {
            tokio::time::sleep(arrival.gap).await;
            // A node standing by for the call centre simulates no callers:
            // the owner's simulator does.
            if !self.switchboard.is_owner() {
                continue;
            }
            if let Err(e) = self.place_call(&arrival.queue, &arrival.caller, arrival.plan).await {
                tracing::warn!(error = %e, "the call simulator could not place a call");
            }
        }
    }
}

/// A simulated call to place, `gap` after the one before.
#[derive(Debug, Clone)]
pub struct Arrival {
    pub gap: Duration,
    pub queue: String,
    pub caller: String,
    pub plan: CallerPlan,
}

/// The arrivals a load makes: Poisson in time, spread over the queues by
/// weight, repeatable for a seed; endless, or none for an empty load.
pub struct Arrivals {
    load: Load,
    total: f64,
    rng: StdRng,
}

impl Arrivals {
    pub fn new(load: Load, seed: u64) -> Self {
        let total = load.queues.iter().map(|(_, w)| w).sum();
        Self { load, total, rng: StdRng::seed_from_u64(seed) }
    }
}

impl Iterator for Arrivals {
    type Item = Arrival;

    fn next(&mut self) -> Option<Arrival> {
        let Load { per_hour, queues, mean_talk, mean_patience } = &self.load;
        if *per_hour <= 0.0 || self.total <= 0.0 {
            return None;
        }
        let rng = &mut self.rng;
        let exp = |mean: Duration, rng: &mut StdRng| mean.mul_f64(-(1.0 - rng.random::<f64>()).ln());
        let gap = exp(Duration::from_secs_f64(3600.0 / per_hour), rng);
        let mut pick = rng.random::<f64>() * self.total;
        let queue = queues.iter().find(|(_, w)| {
            pick -= w;
            pick <= 0.0
        });
        let queue = queue.unwrap_or(&queues[0]).0.clone();
        let plan = CallerPlan { patience: Some(exp(*mean_patience, rng)), talk: Some(exp(*mean_talk, rng)) };
        let caller = format!("13{:09}", rng.random_range(0..1_000_000_000u64));
        Some(Arrival { gap, queue, caller, plan })
    }
}

impl Telephony for SimulatedLines {
    fn execute(&self, command: &Command) {
        match command {
            Command::Bridge { call, .. } => {
                let plan = {
                    let mut callers = self.callers.lock().expect("callers lock");
                    let caller = callers.entry(*call).or_insert(Caller { plan: CallerPlan::default(), answered: false });
                    caller.answered = true;
                    caller.plan
                };
                if let Some(talk) = plan.talk {
                    self.later(talk, Event::CallerHungUp { call: *call }, |_| true);
                }
            }
            Command::Transfer { call, to, .. } => {
                let result = match self.line(to) {
                    LineBehaviour::Answers => TransferResult::Connected,
                    LineBehaviour::Busy => TransferResult::Busy,
                    LineBehaviour::NoAnswer => return,
                };
                let delay = if result == TransferResult::Busy { Duration::from_millis(200) } else { self.pickup };
                self.later(delay, Event::TransferResult { call: *call, result }, |_| true);
            }
            Command::OfferCallback { call, .. } | Command::HangUp { call } => self.forget(*call),
            _ => {}
        }
    }
}

impl SimulatedLines {
    fn waiting(&self, call: CallId) -> bool {
        self.callers.lock().expect("callers lock").get(&call).is_some_and(|c| !c.answered)
    }

    fn forget(&self, call: CallId) {
        self.callers.lock().expect("callers lock").remove(&call);
    }
}
