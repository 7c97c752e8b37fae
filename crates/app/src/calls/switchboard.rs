//! The live switchboard: one task owns the distribution engine and feeds
//! it, in order, what telephony and the desks report; it carries out the
//! engine's commands, fires its timers on time, and hands finished calls and
//! status changes to a writer that stores them.
//!
//! One owner means no lock around the engine and a strict order of events,
//! which the engine needs (it refuses time going backwards). Everyone else
//! talks to it through the cheap, cloneable [`Switchboard`] handle.

use super::CallStore;
use super::config::CallCentreConfig;
use super::live::{AgentBoard, DeskEvent, LinesBoard, QueueBoard, TakenOverBoard, Wallboard};
use super::records::{CallInProgress, CallRow, RecordingRef, StatusChange, TransferTry};
use super::reports::to_record;
use super::telephony::{
    Dial, DialOutcome, MonitorMode, MonitorRefused, NoTelephony, SoftphoneAnswer, SoftphoneRefused, SoftphoneRequest, Telephony,
};
use crate::clock::Clock;
use crate::directory::{Directory, OrgSnapshot};
use crate::error::{AppError, AppResult};
use crate::ids::IdGenerator;
use chrono::{DateTime, Duration, Utc};
use hotline_callcentre::engine::{
    AgentId, AgentSpec, AgentState, AgentStatus, CallId, CallRecord, Command, Engine, EngineError, Event, Millis, Outcome, Skill,
    TransferMode, TransferResult,
};
use hotline_callcentre::quality::CallQuality;
use hotline_callcentre::stats;
use hotline_domain::{Satisfaction, UserId};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::{mpsc, oneshot};

/// A consultant's desk as the switchboard reaches it.
pub struct DeskLink {
    pub session: u64,
    /// The skills and levels the desk was opened with.
    pub skills: BTreeMap<String, u8>,
    pub events: mpsc::UnboundedReceiver<DeskEvent>,
}

enum Input {
    Event(Event, Option<oneshot::Sender<Result<(), EngineError>>>),
    Arrive {
        queue: String,
        caller: String,
        simulated: bool,
        reply: oneshot::Sender<Result<CallId, EngineError>>,
    },
    Login {
        agent: AgentId,
        name: String,
        skills: BTreeMap<Skill, u8>,
        reply: oneshot::Sender<(u64, mpsc::UnboundedReceiver<DeskEvent>)>,
    },
    /// `grace`: a call in conversation first gets [`DESK_GRACE`].
    Logout {
        agent: AgentId,
        session: u64,
        grace: bool,
    },
    HangUp {
        agent: AgentId,
        call: CallId,
        reply: oneshot::Sender<Result<(), EngineError>>,
    },
    Wallboard(oneshot::Sender<Wallboard>),
    Places(oneshot::Sender<HashMap<CallId, usize>>),
    Telephony(Arc<dyn Telephony>),
    Simulator(Arc<dyn Telephony>),
    Recorded(CallId, RecordingRef),
    Measured(CallId, CallQuality),
    Monitor {
        call: CallId,
        supervisor: AgentId,
        mode: Option<MonitorMode>,
        reply: oneshot::Sender<Result<bool, MonitorRefused>>,
    },
    TakeOver {
        call: CallId,
        supervisor: AgentId,
        name: String,
        reply: oneshot::Sender<Result<(), MonitorRefused>>,
    },
    Softphone {
        agent: AgentId,
        request: SoftphoneRequest,
        reply: oneshot::Sender<Result<SoftphoneAnswer, SoftphoneRefused>>,
    },
    Rated(CallId, Satisfaction),
    Dial {
        dial: Dial,
        reply: oneshot::Sender<Result<oneshot::Receiver<DialOutcome>, AppError>>,
    },
    DialEnded {
        agent: AgentId,
        outcome: DialOutcome,
    },
    Tell(AgentId, DeskEvent),
    /// This node took the call centre over: today's finished calls as the
    /// database has them, the ones the former owner wrote included.
    Reload(Vec<CallRow>),
    /// This node stands by: its desks are closed, to open again on the owner.
    StandBy,
}

/// A handle on the running switchboard.
/// How long a desk lost mid-call has to come back before the call ends.
pub const DESK_GRACE: std::time::Duration = std::time::Duration::from_secs(15);

#[derive(Clone)]
pub struct Switchboard {
    tx: mpsc::UnboundedSender<Input>,
    config: Arc<CallCentreConfig>,
    /// Whether this node runs the call centre now: a node alone always
    /// does; among several, the one holding the call centre's lease (see
    /// `ownership.rs`), the others standing by.
    owner: Arc<AtomicBool>,
}

fn closed() -> AppError {
    AppError::Unavailable("the switchboard has stopped".into())
}

fn standby() -> AppError {
    AppError::Unavailable(
        "this node stands by for the call centre: calls and desks are taken by the node that runs it (its /readyz/callcentre answers 200)"
            .into(),
    )
}

pub fn engine_error(e: EngineError) -> AppError {
    match e {
        EngineError::UnknownQueue(q) => AppError::invalid("queue", format!("there is no queue {q:?}")),
        EngineError::UnknownAgent(a) => AppError::not_found(format!("agent {} is not at a desk", a.0)),
        EngineError::UnknownCall(c) => AppError::not_found(format!("call {} is not in progress", c.0)),
        EngineError::DuplicateCall(c) => AppError::Conflict { message: format!("call {} already exists", c.0), current_version: None },
        EngineError::OutOfStep(m) => AppError::Conflict { message: m, current_version: None },
        EngineError::Config(m) => AppError::Unavailable(format!("the call-centre configuration is wrong: {m}")),
    }
}

/// The agent behind a user, and back.
pub fn agent_of(user: UserId) -> AgentId {
    AgentId(user.0 as u64)
}

pub fn user_of(agent: AgentId) -> UserId {
    UserId(agent.0 as i64)
}

impl Switchboard {
    /// Starts the switchboard with today's finished calls (for the live
    /// figures) and the writer that stores what it produces.
    pub async fn start(
        store: Arc<dyn CallStore>,
        clock: Arc<dyn Clock>,
        ids: Arc<IdGenerator>,
        config: CallCentreConfig,
        directory: Arc<Directory>,
        day_start: DateTime<Utc>,
    ) -> AppResult<Self> {
        let engine = Engine::new(config.engine(&[])).map_err(engine_error)?;
        let today = store.calls(day_start, day_start + Duration::days(1)).await?;
        let today = today.iter().map(|row| to_record(row, day_start)).collect();
        let (tx, rx) = mpsc::unbounded_channel();
        let (writes, writer_rx) = mpsc::unbounded_channel();
        tokio::spawn(write_loop(store, writer_rx));
        let config = Arc::new(config);
        let actor = Actor {
            engine,
            config: config.clone(),
            clock,
            ids,
            epoch: day_start,
            last: 0,
            telephony: Arc::new(NoTelephony),
            simulator: None,
            desks: HashMap::new(),
            names: HashMap::new(),
            calls: HashMap::new(),
            today,
            writes,
            sessions: 0,
            directory,
            seen: None,
            dialling: HashMap::new(),
            me: tx.clone(),
        };
        tokio::spawn(actor.run(rx));
        Ok(Self { tx, config, owner: Arc::new(AtomicBool::new(true)) })
    }

    pub fn config(&self) -> &CallCentreConfig {
        &self.config
    }

    /// Whether this node runs the call centre (else it stands by, refusing
    /// calls and desks).
    pub fn is_owner(&self) -> bool {
        self.owner.load(Ordering::Acquire)
    }

    /// Takes the call centre over with today's finished calls from the
    /// database, or stands by.
    pub(crate) fn set_owner(&self, owner: bool, today: Vec<CallRow>) {
        let was = self.owner.swap(owner, Ordering::AcqRel);
        match (was, owner) {
            (false, true) => {
                let _ = self.tx.send(Input::Reload(today));
            }
            (true, false) => {
                let _ = self.tx.send(Input::StandBy);
            }
            _ => {}
        }
    }

    /// Attaches the telephony adapter that carries out the engine's commands.
    pub fn attach(&self, telephony: Arc<dyn Telephony>) {
        let _ = self.tx.send(Input::Telephony(telephony));
    }

    /// Attaches the simulator beside the real lines: the calls it places
    /// (practice calls in the demo) are carried out by it, the others by
    /// the lines attached with [`Self::attach`].
    pub fn attach_simulator(&self, simulator: Arc<dyn Telephony>) {
        let _ = self.tx.send(Input::Simulator(simulator));
    }

    /// A caller chose a queue: the engine takes the call.
    pub async fn arrive(&self, queue: &str, caller: &str) -> AppResult<CallId> {
        self.arrive_from(queue, caller, false).await
    }

    /// A simulated caller chose a queue: the simulator carries the call out.
    pub(crate) async fn arrive_simulated(&self, queue: &str, caller: &str) -> AppResult<CallId> {
        self.arrive_from(queue, caller, true).await
    }

    async fn arrive_from(&self, queue: &str, caller: &str, simulated: bool) -> AppResult<CallId> {
        if !self.is_owner() {
            return Err(standby());
        }
        let (reply, rx) = oneshot::channel();
        self.tx.send(Input::Arrive { queue: queue.to_owned(), caller: caller.to_owned(), simulated, reply }).map_err(|_| closed())?;
        rx.await.map_err(|_| closed())?.map_err(engine_error)
    }

    /// An event from a desk, answered when the engine took it.
    pub async fn event(&self, event: Event) -> AppResult<()> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Input::Event(event, Some(reply))).map_err(|_| closed())?;
        rx.await.map_err(|_| closed())?.map_err(engine_error)
    }

    /// An event from telephony, which does not wait for the engine.
    pub fn notify(&self, event: Event) {
        let _ = self.tx.send(Input::Event(event, None));
    }

    /// Opens a consultant's desk with the skills their record gives them;
    /// an earlier desk of the same consultant is told it was replaced.
    pub async fn login(&self, user: UserId, name: String, skills: BTreeMap<String, u8>) -> AppResult<DeskLink> {
        if !self.is_owner() {
            return Err(standby());
        }
        let (reply, rx) = oneshot::channel();
        let engine_skills = skills.iter().map(|(s, l)| (Skill(s.clone()), *l)).collect();
        self.tx.send(Input::Login { agent: agent_of(user), name, skills: engine_skills, reply }).map_err(|_| closed())?;
        let (session, events) = rx.await.map_err(|_| closed())?;
        Ok(DeskLink { session, skills, events })
    }

    /// The consultant ends their conversation (only their own).
    pub async fn hang_up(&self, user: UserId, call: CallId) -> AppResult<()> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Input::HangUp { agent: agent_of(user), call, reply }).map_err(|_| closed())?;
        rx.await.map_err(|_| closed())?.map_err(engine_error)
    }

    /// Telephony stored a finished call's recording: noted on its record
    /// after the record itself is written.
    pub fn recorded(&self, call: CallId, recording: RecordingRef) {
        let _ = self.tx.send(Input::Recorded(call, recording));
    }

    /// A supervisor joins, changes how they take part in, or leaves a call;
    /// leaving a call they took over ends it (answered `true`).
    pub async fn monitor(&self, call: CallId, supervisor: UserId, mode: Option<MonitorMode>) -> AppResult<Result<bool, MonitorRefused>> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Input::Monitor { call, supervisor: agent_of(supervisor), mode, reply }).map_err(|_| closed())?;
        rx.await.map_err(|_| closed())
    }

    /// The supervisor listening in takes the call over (接管): the
    /// consultant is told by `name` and leaves for after-call work; the
    /// supervisor ends the call later with [`Self::monitor`] and `None`.
    pub async fn take_over(&self, call: CallId, supervisor: UserId, name: String) -> AppResult<Result<(), MonitorRefused>> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Input::TakeOver { call, supervisor: agent_of(supervisor), name, reply }).map_err(|_| closed())?;
        rx.await.map_err(|_| closed())
    }

    /// A user's browser phone: connect, hold or resume, close.
    pub async fn softphone(&self, user: UserId, request: SoftphoneRequest) -> AppResult<Result<SoftphoneAnswer, SoftphoneRefused>> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Input::Softphone { agent: agent_of(user), request, reply }).map_err(|_| closed())?;
        rx.await.map_err(|_| closed())
    }

    /// The lines measured how a finished call sounded.
    pub fn measured(&self, call: CallId, quality: CallQuality) {
        let _ = self.tx.send(Input::Measured(call, quality));
    }

    /// The consultant places a call (a callback): while it lasts the engine
    /// offers them nothing (status `on_break` 回拨中), after it they are as
    /// before. Refused when they are not at the desk or on a call.
    /// `record_as`: the call whose record keeps this call's recording.
    pub async fn dial(&self, user: UserId, number: &str, record_as: Option<CallId>) -> AppResult<oneshot::Receiver<DialOutcome>> {
        let (reply, rx) = oneshot::channel();
        let dial = Dial { agent: agent_of(user), number: number.to_owned(), record_as };
        self.tx.send(Input::Dial { dial, reply }).map_err(|_| closed())?;
        rx.await.map_err(|_| closed())?
    }

    /// Telephony tells a consultant's desk something (their phone is missing).
    pub fn tell(&self, user: UserId, event: DeskEvent) {
        let _ = self.tx.send(Input::Tell(agent_of(user), event));
    }

    /// The caller rated the finished call by keypad.
    pub fn rated(&self, call: CallId, satisfaction: Satisfaction) {
        let _ = self.tx.send(Input::Rated(call, satisfaction));
    }

    /// The desk closed: the agent logs out, at once unless they are in
    /// conversation; then the desk has [`DESK_GRACE`] to come back (a
    /// reload, a network change) before the call is hung up on their side.
    pub fn logout(&self, user: UserId, session: u64) {
        let _ = self.tx.send(Input::Logout { agent: agent_of(user), session, grace: true });
    }

    pub async fn wallboard(&self) -> AppResult<Wallboard> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Input::Wallboard(reply)).map_err(|_| closed())?;
        rx.await.map_err(|_| closed())
    }

    /// Every waiting call with the calls ahead of it in its queue.
    pub async fn places(&self) -> AppResult<HashMap<CallId, usize>> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Input::Places(reply)).map_err(|_| closed())?;
        rx.await.map_err(|_| closed())
    }
}

/// What the switchboard knows of a call beyond the engine.
struct LiveCall {
    queue: String,
    caller: String,
    agent: Option<AgentId>,
    transfer: Option<TransferAttempt>,
    /// The transfers tried before the current one.
    earlier: Vec<TransferTry>,
    /// Placed by the simulator beside real lines.
    simulated: bool,
}

/// The last transfer tried, and how it went (`None` while it rings).
struct TransferAttempt {
    to: String,
    mode: TransferMode,
    result: Option<TransferResult>,
}

struct Desk {
    session: u64,
    events: mpsc::UnboundedSender<DeskEvent>,
}

enum Write {
    Began(CallInProgress),
    Call(Box<CallRow>, bool),
    Status(StatusChange),
    Recording(i64, RecordingRef),
    Rating(i64, Satisfaction),
    Quality(i64, CallQuality),
}

struct Actor {
    engine: Engine,
    config: Arc<CallCentreConfig>,
    clock: Arc<dyn Clock>,
    ids: Arc<IdGenerator>,
    /// The instant of the engine's time 0.
    epoch: DateTime<Utc>,
    last: Millis,
    telephony: Arc<dyn Telephony>,
    /// The simulator beside real lines, for the calls it placed.
    simulator: Option<Arc<dyn Telephony>>,
    desks: HashMap<AgentId, Desk>,
    names: HashMap<AgentId, String>,
    calls: HashMap<CallId, LiveCall>,
    /// Finished calls since `epoch`'s day began, for the live figures.
    today: Vec<CallRecord>,
    writes: mpsc::UnboundedSender<Write>,
    sessions: u64,
    /// The hotlines decide the professional queues.
    directory: Arc<Directory>,
    seen: Option<Arc<OrgSnapshot>>,
    /// Consultants placing a call.
    dialling: HashMap<AgentId, Dialling>,
    /// Its own input, for work that finishes later.
    me: mpsc::UnboundedSender<Input>,
}

/// A consultant's call out in progress.
struct Dialling {
    /// The status to return to when it is over.
    before: AgentStatus,
    /// The call called back.
    call: Option<CallId>,
}

/// A call as the desk names it; none is no name.
fn desk_name(call: Option<CallId>) -> String {
    call.map(|c| c.0.to_string()).unwrap_or_default()
}

impl Actor {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Input>) {
        loop {
            let now = self.now();
            let wait = self.engine.next_deadline(now).map(|at| std::time::Duration::from_millis(at.saturating_sub(now)));
            let input = match wait {
                Some(wait) => match tokio::time::timeout(wait, rx.recv()).await {
                    Ok(input) => input,
                    Err(_) => {
                        let now = self.now();
                        let commands = self.engine.tick(now);
                        self.carry_out(commands, now);
                        continue;
                    }
                },
                None => rx.recv().await,
            };
            let Some(input) = input else { return };
            self.take(input);
        }
    }

    /// Milliseconds since the epoch on the app's clock, never going back.
    fn now(&mut self) -> Millis {
        let ms = (self.clock.now() - self.epoch).num_milliseconds().max(0) as Millis;
        self.last = self.last.max(ms);
        self.last
    }

    fn at(&self, ms: Millis) -> DateTime<Utc> {
        self.epoch + Duration::milliseconds(ms as i64)
    }

    /// Opens a queue for every professional seat the directory lists now.
    fn sync_queues(&mut self) {
        let org = self.directory.snapshot();
        if self.seen.as_ref().is_some_and(|seen| Arc::ptr_eq(seen, &org)) {
            return;
        }
        for queue in self.config.engine(org.hotlines()).queues {
            if !self.engine.has_queue(&queue.name)
                && let Err(e) = self.engine.add_queue(queue)
            {
                tracing::error!(error = %e, "a queue could not be opened");
            }
        }
        self.seen = Some(org);
    }

    fn take(&mut self, input: Input) {
        self.sync_queues();
        let now = self.now();
        match input {
            Input::Event(event, reply) => {
                let status = match &event {
                    Event::SetStatus { agent, status } => Some((*agent, status.clone())),
                    _ => None,
                };
                let result = self.engine.handle(event.clone(), now);
                let result = result.map(|commands| {
                    if let Some((agent, status)) = status {
                        self.status_changed(agent, status, now);
                    }
                    if let Event::TransferResult { call, result } = event {
                        self.transfer_result(call, result);
                    }
                    self.carry_out(commands, now);
                });
                if let Some(reply) = reply {
                    let _ = reply.send(result);
                }
            }
            Input::Arrive { queue, caller, simulated, reply } => {
                let call = CallId(self.ids.next() as u64);
                let live =
                    LiveCall { queue: queue.clone(), caller: caller.clone(), agent: None, transfer: None, earlier: Vec::new(), simulated };
                self.calls.insert(call, live);
                let began = CallInProgress {
                    call: call.0 as i64,
                    node: self.ids.node(),
                    queue: queue.clone(),
                    caller: caller.clone(),
                    arrived_at: self.at(now),
                };
                match self.engine.handle(Event::Arrived { call, queue, caller }, now) {
                    Ok(commands) => {
                        // Before the call can finish, so its record removes the note.
                        let _ = self.writes.send(Write::Began(began));
                        self.carry_out(commands, now);
                        let _ = reply.send(Ok(call));
                    }
                    Err(e) => {
                        self.calls.remove(&call);
                        let _ = reply.send(Err(e));
                    }
                }
            }
            Input::Login { agent, name, skills, reply } => {
                self.sessions += 1;
                let (tx, events) = mpsc::unbounded_channel();
                if let Some(old) = self.desks.insert(agent, Desk { session: self.sessions, events: tx }) {
                    let _ = old.events.send(DeskEvent::Replaced);
                }
                self.names.insert(agent, name);
                // A returning agent keeps status and calls; only skills change.
                self.engine.add_agent(AgentSpec { id: agent, skills }, now);
                if let Some((status, state)) = self.engine.agent_status(agent) {
                    self.to_desk(agent, DeskEvent::Status { status: status.clone() });
                    // A desk reopened mid-call (a reload) shows the call again.
                    if let AgentState::Talking(call) = state {
                        self.to_desk(agent, DeskEvent::Connected { call: call.0.to_string() });
                    }
                }
                let _ = reply.send((self.sessions, events));
            }
            Input::Logout { agent, session, grace } => {
                if self.desks.get(&agent).is_none_or(|d| d.session != session) {
                    return;
                }
                if grace && matches!(self.engine.agent_status(agent), Some((_, AgentState::Talking(_)))) {
                    let me = self.me.clone();
                    tokio::spawn(async move {
                        tokio::time::sleep(DESK_GRACE).await;
                        let _ = me.send(Input::Logout { agent, session, grace: false });
                    });
                    return;
                }
                self.desks.remove(&agent);
                if let Some((_, AgentState::Talking(call))) = self.engine.agent_status(agent)
                    && let Ok(commands) = self.engine.handle(Event::AgentHungUp { call }, now)
                {
                    self.carry_out(commands, now);
                }
                let status = AgentStatus::LoggedOut;
                if let Ok(commands) = self.engine.handle(Event::SetStatus { agent, status: status.clone() }, now) {
                    self.status_changed(agent, status, now);
                    self.carry_out(commands, now);
                }
            }
            Input::HangUp { agent, call, reply } => {
                let calling_back = self.dialling.get(&agent).is_some_and(|d| d.call == Some(call));
                let result = match self.engine.agent_status(agent) {
                    Some((_, AgentState::Talking(talking))) if talking == call => {
                        self.engine.handle(Event::AgentHungUp { call }, now).map(|commands| self.carry_out(commands, now))
                    }
                    // The lines tell when it is over (`DialEnded`).
                    _ if calling_back && self.telephony.end_dial(agent) => Ok(()),
                    _ => Err(EngineError::OutOfStep(format!("call {} is not in conversation with you", call.0))),
                };
                let _ = reply.send(result);
            }
            Input::Wallboard(reply) => {
                let _ = reply.send(self.wallboard(now));
            }
            Input::Places(reply) => {
                let _ = reply.send(self.engine.places().collect());
            }
            Input::Telephony(telephony) => self.telephony = telephony,
            Input::Simulator(simulator) => self.simulator = Some(simulator),
            Input::Recorded(call, recording) => {
                let _ = self.writes.send(Write::Recording(call.0 as i64, recording));
            }
            Input::Measured(call, quality) => {
                let _ = self.writes.send(Write::Quality(call.0 as i64, quality));
            }
            Input::Dial { dial, reply } => {
                let _ = reply.send(self.dial(dial, now));
            }
            Input::Monitor { call, supervisor, mode, reply } => {
                let taken_by = self.engine.taken_over().find(|t| t.call == call).map(|t| t.supervisor);
                let result = match (taken_by, mode) {
                    (None, _) => self.telephony.monitor(call, supervisor, mode).map(|()| false),
                    // The supervisor who took the call over hangs up: the caller's line is released.
                    (Some(by), None) if by == supervisor => {
                        if let Ok(commands) = self.engine.handle(Event::AgentHungUp { call }, now) {
                            self.carry_out(commands, now);
                        }
                        Ok(true)
                    }
                    (Some(_), _) => Err(MonitorRefused::TakenOver(call.0)),
                };
                let _ = reply.send(result);
            }
            Input::TakeOver { call, supervisor, name, reply } => {
                let result = match self.engine.talking(call) {
                    None => Err(MonitorRefused::NotTalking(call.0)),
                    Some(consultant) => self.telephony.take_over(call, supervisor).map(|()| {
                        if let Ok(commands) = self.engine.handle(Event::TakenOver { call, supervisor }, now) {
                            self.carry_out(commands, now);
                        }
                        self.to_desk(consultant, DeskEvent::TakenOver { call: call.0.to_string(), by: name.clone() });
                        self.names.insert(supervisor, name);
                    }),
                };
                let _ = reply.send(result);
            }
            Input::Softphone { agent, request, reply } => self.telephony.softphone(agent, request, reply),
            Input::Tell(agent, event) => self.to_desk(agent, event),
            Input::DialEnded { agent, outcome } => {
                if let Some(dialling) = self.dialling.remove(&agent) {
                    let ended = DeskEvent::CallbackEnded {
                        call: desk_name(dialling.call),
                        outcome: outcome.code().into(),
                        note: outcome.describe(),
                    };
                    self.to_desk(agent, ended);
                    if let Ok(commands) = self.engine.handle(Event::SetStatus { agent, status: dialling.before.clone() }, now) {
                        self.status_changed(agent, dialling.before, now);
                        self.carry_out(commands, now);
                    }
                }
            }
            Input::Rated(call, satisfaction) => {
                let _ = self.writes.send(Write::Rating(call.0 as i64, satisfaction));
            }
            Input::StandBy => {
                // Each desk's connection closes and the browser opens it
                // again through the balancer, on the node that runs the
                // call centre now. Calls in conversation here go on until
                // a side hangs up; their records are written as usual.
                if !self.desks.is_empty() {
                    tracing::info!(desks = self.desks.len(), "standing by: the desks are sent to the call centre's owner");
                }
                self.desks.clear();
            }
            Input::Reload(rows) => {
                // Calls this node finished itself are in the database too.
                self.today = rows.iter().map(|row| to_record(row, self.epoch)).collect();
            }
        }
    }

    fn dial(&mut self, dial: Dial, now: Millis) -> Result<oneshot::Receiver<DialOutcome>, AppError> {
        let agent = dial.agent;
        let Some((status, state)) = self.engine.agent_status(agent).map(|(s, st)| (s.clone(), st)) else {
            return Err(AppError::Conflict { message: "open the desk before calling back".into(), current_version: None });
        };
        if !self.desks.contains_key(&agent) {
            return Err(AppError::Conflict { message: "open the desk before calling back".into(), current_version: None });
        }
        if state != AgentState::Idle && !matches!(state, AgentState::WrapUp(_)) || self.dialling.contains_key(&agent) {
            return Err(AppError::Conflict { message: "finish the call in progress before calling back".into(), current_version: None });
        }
        let busy = AgentStatus::OnBreak("回拨中".into());
        let commands = self.engine.handle(Event::SetStatus { agent, status: busy.clone() }, now).map_err(engine_error)?;
        self.status_changed(agent, busy, now);
        self.carry_out(commands, now);
        self.to_desk(agent, DeskEvent::CallingBack { call: desk_name(dial.record_as), number: dial.number.clone() });
        self.dialling.insert(agent, Dialling { before: status, call: dial.record_as });
        let (done, outcome) = oneshot::channel();
        let (relay, relayed) = oneshot::channel();
        self.telephony.dial(dial, done);
        let tx = self.me.clone();
        tokio::spawn(async move {
            let result = outcome.await.unwrap_or(DialOutcome::Failed("the lines stopped".into()));
            let _ = tx.send(Input::DialEnded { agent, outcome: result.clone() });
            let _ = relay.send(result);
        });
        Ok(relayed)
    }

    fn status_changed(&mut self, agent: AgentId, status: AgentStatus, now: Millis) {
        let _ = self.writes.send(Write::Status(StatusChange { agent: user_of(agent), at: self.at(now), status: status.clone() }));
        self.to_desk(agent, DeskEvent::Status { status });
    }

    fn transfer_result(&mut self, call: CallId, result: TransferResult) {
        let Some(live) = self.calls.get_mut(&call) else { return };
        let Some(attempt) = live.transfer.as_mut() else { return };
        attempt.result = Some(result);
        if result == TransferResult::Connected
            && let Some(agent) = live.agent
        {
            let event = DeskEvent::TransferConnected { call: call.0.to_string(), to: attempt.to.clone(), mode: attempt.mode };
            self.to_desk(agent, event);
        }
    }

    fn to_desk(&self, agent: AgentId, event: DeskEvent) {
        if let Some(desk) = self.desks.get(&agent) {
            let _ = desk.events.send(event);
        }
    }

    /// Routes the engine's commands to telephony and desks, then stores
    /// the calls that finished.
    /// The lines that carry `command` out: the simulator's calls go to it
    /// when it runs beside real lines, everything else to the lines.
    fn lines_of(&self, command: &Command) -> &Arc<dyn Telephony> {
        match &self.simulator {
            Some(simulator) if command.call().and_then(|c| self.calls.get(&c)).is_some_and(|l| l.simulated) => simulator,
            _ => &self.telephony,
        }
    }

    fn carry_out(&mut self, commands: Vec<Command>, now: Millis) {
        for command in &commands {
            self.lines_of(command).execute(command);
            match command {
                Command::Offer { call, agent } => {
                    let (queue, caller) = self.calls.get(call).map(|l| (l.queue.clone(), l.caller.clone())).unwrap_or_default();
                    let ring_secs = self.config.ring_secs;
                    self.to_desk(*agent, DeskEvent::Offered { call: call.0.to_string(), queue, caller, ring_secs });
                }
                Command::Withdraw { call, agent } => self.to_desk(*agent, DeskEvent::Withdrawn { call: call.0.to_string() }),
                Command::Bridge { call, agent } => {
                    if let Some(live) = self.calls.get_mut(call) {
                        live.agent = Some(*agent);
                    }
                    self.to_desk(*agent, DeskEvent::Connected { call: call.0.to_string() });
                }
                Command::AgentPaused { agent, reason } => self.status_changed(*agent, AgentStatus::OnBreak(reason.clone()), now),
                Command::Transfer { call, to, mode } => {
                    if let Some(live) = self.calls.get_mut(call) {
                        let next = TransferAttempt { to: to.clone(), mode: *mode, result: None };
                        if let Some(before) = live.transfer.replace(next) {
                            live.earlier.push(TransferTry { to: before.to, result: before.result });
                        }
                    }
                }
                Command::TransferFailed { call, agent, to, result, advice } => {
                    if let Some(attempt) = self.calls.get_mut(call).and_then(|l| l.transfer.as_mut()) {
                        attempt.result = Some(*result);
                    }
                    self.to_desk(
                        *agent,
                        DeskEvent::TransferFailed { call: call.0.to_string(), to: to.clone(), result: *result, advice: advice.clone() },
                    );
                }
                Command::Hold { .. } | Command::HangUp { .. } | Command::OfferCallback { .. } | Command::CancelTransfer { .. } => {}
            }
        }
        for record in self.engine.take_records() {
            self.finished(record);
        }
    }

    fn finished(&mut self, record: CallRecord) {
        let live = self.calls.remove(&record.call);
        // A consultant whose call was taken over was told then, and may be on another call now.
        if let Some(agent) = record.agent.filter(|_| record.taken_over_by.is_none()) {
            self.to_desk(agent, DeskEvent::Ended { call: record.call.0.to_string(), outcome: record.outcome });
        }
        let short = u64::from(self.config.short_abandon_secs) * 1000;
        let callback = match record.outcome {
            Outcome::Callback | Outcome::Lost => true,
            Outcome::Abandoned => record.ended - record.arrived >= short,
            Outcome::Answered | Outcome::Transferred => false,
        };
        let (mut transfers, last) = live.map(|l| (l.earlier, l.transfer)).unwrap_or_default();
        let (transfer_to, transfer_result) = match last {
            Some(attempt) => {
                transfers.push(TransferTry { to: attempt.to.clone(), result: attempt.result });
                (Some(attempt.to), attempt.result)
            }
            None => (None, None),
        };
        let row = CallRow {
            id: record.call.0 as i64,
            queue: record.queue.clone(),
            caller: record.caller.clone(),
            agent: record.agent.map(user_of),
            arrived_at: self.at(record.arrived),
            answered_at: record.answered.map(|ms| self.at(ms)),
            ended_at: self.at(record.ended),
            outcome: record.outcome,
            transfer_to,
            transfer_result,
            transfers,
            wrap_up_secs: if record.agent.is_some() { i64::from(self.config.wrap_up_secs) } else { 0 },
            order: None,
            recording: None,
            recording_purged_at: None,
            taken_over_by: record.taken_over_by.map(user_of),
            quality: None,
            satisfaction: None,
        };
        let _ = self.writes.send(Write::Call(Box::new(row), callback));
        self.today.push(record);
    }

    fn wallboard(&mut self, now: Millis) -> Wallboard {
        // A new day starts the figures afresh.
        let day = 24 * 3600 * 1000;
        let day_start = now / day * day;
        self.today.retain(|r| r.arrived >= day_start);
        let threshold = u64::from(self.config.answer_threshold_secs) * 1000;
        let short = u64::from(self.config.short_abandon_secs) * 1000;
        let by_queue = stats::grouped(&self.today, |r| Some(r.queue.clone()), threshold, short);
        let queues = self
            .engine
            .queues()
            .map(|q| QueueBoard {
                name: q.name.to_owned(),
                waiting: q.waiting,
                longest_wait_secs: q.oldest_arrival.map_or(0.0, |at| now.saturating_sub(at) as f64 / 1000.0),
                today: by_queue.get(q.name).copied().unwrap_or_else(|| stats::figures([], threshold, short)),
            })
            .collect();
        let mut answered: HashMap<AgentId, u64> = HashMap::new();
        for r in &self.today {
            if let Some(agent) = r.agent {
                *answered.entry(agent).or_default() += 1;
            }
        }
        let lines = self.telephony.status();
        let agents = self
            .engine
            .agents()
            .filter(|(_, status, _)| **status != AgentStatus::LoggedOut)
            .map(|(agent, status, state)| {
                let (state, call, quality) = match state {
                    AgentState::Idle => ("idle", None, None),
                    AgentState::Ringing(c) => ("ringing", Some(c.0.to_string()), None),
                    AgentState::Talking(c) => ("talking", Some(c.0.to_string()), lines.quality.get(&c).copied()),
                    AgentState::WrapUp(_) => ("wrap_up", None, None),
                };
                AgentBoard {
                    agent: user_of(agent),
                    name: self.names.get(&agent).cloned().unwrap_or_default(),
                    status: status.clone(),
                    state,
                    call,
                    answered_today: answered.get(&agent).copied().unwrap_or(0),
                    phone_registered: lines.phones.as_ref().map(|phones| phones.contains(&agent)),
                    quality,
                }
            })
            .collect();
        let mut taken_over: Vec<TakenOverBoard> = self
            .engine
            .taken_over()
            .map(|t| TakenOverBoard {
                call: t.call.0.to_string(),
                supervisor: user_of(t.supervisor),
                name: self.names.get(&t.supervisor).cloned().unwrap_or_default(),
                consultant: self.names.get(&t.consultant).cloned().unwrap_or_default(),
                caller: self.calls.get(&t.call).map(|l| l.caller.clone()).unwrap_or_default(),
                answered_at: self.at(t.answered),
                quality: lines.quality.get(&t.call).copied(),
            })
            .collect();
        taken_over.sort_by_key(|t| t.answered_at);
        let lines = LinesBoard { phones_registered: lines.phones.as_ref().map(|p| p.len()), trunks: lines.trunks };
        Wallboard { at: self.at(now), today: stats::figures(&self.today, threshold, short), queues, agents, taken_over, lines }
    }
}

/// Stores what the switchboard produced, retrying while the database is
/// away so that no finished call is dropped on a short outage.
async fn write_loop(store: Arc<dyn CallStore>, mut rx: mpsc::UnboundedReceiver<Write>) {
    while let Some(write) = rx.recv().await {
        let mut delay = std::time::Duration::from_millis(100);
        for attempt in 1.. {
            let result = match &write {
                Write::Began(call) => store.call_began(call).await,
                Write::Call(row, callback) => store.insert_call(row, *callback).await,
                Write::Status(change) => store.insert_status_changes(std::slice::from_ref(change)).await,
                Write::Recording(call, recording) => store.set_recording(*call, recording).await,
                Write::Quality(call, quality) => store.set_quality(*call, quality).await,
                Write::Rating(call, satisfaction) => store.rate_call(*call, *satisfaction).await,
            };
            match result {
                Ok(()) => break,
                Err(e) if attempt < 10 => {
                    tracing::warn!(error = %e, attempt, "storing a call record failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(std::time::Duration::from_secs(30));
                }
                Err(e) => {
                    tracing::error!(error = %e, "a call record could not be stored and was dropped");
                    break;
                }
            }
        }
    }
}
