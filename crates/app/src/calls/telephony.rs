//! The seam between the switchboard and the telephone network.
//!
//! The engine's [`Command`]s go to a [`Telephony`] adapter; what happens on
//! the lines comes back as [`Event`]s through [`Switchboard::event`]. Which
//! adapter runs is chosen by configuration and handed to `App::new` as
//! [`Lines`]: the in-process simulator ([`super::SimulatedLines`]), none, or
//! a [`TelephonyAdapter`] to the network. A SIP gateway implements that
//! trait: answer and hold music for `Hold`, INVITE to the agent's phone for
//! `Offer`, bridging, REFER for blind and attended transfers, mixing for
//! three-way calls.
//!
//! [`Switchboard::event`]: super::Switchboard::event
//! [`Event`]: hotline_callcentre::engine::Event

use super::phones::Phones;
use super::switchboard::Switchboard;
use chrono::{DateTime, Utc};
use hotline_callcentre::engine::{AgentId, CallId, Command};
use hotline_callcentre::quality::CallQuality;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use tokio::sync::oneshot;

pub trait Telephony: Send + Sync {
    /// Carries out one command; must not block (spawn work that waits).
    fn execute(&self, command: &Command);

    /// Places a call outside the engine's queues (a consultant calling a
    /// citizen back): rings the consultant's phone, then the number, and
    /// connects them; `done` learns how it went when it is over. Lines
    /// that cannot place calls say so at once.
    fn dial(&self, dial: Dial, done: oneshot::Sender<DialOutcome>) {
        let _ = dial;
        let _ = done.send(DialOutcome::Failed("these lines cannot place calls (configure the SIP gateway with sip.outbound)".into()));
    }

    /// The consultant hangs up, at the desk, the call they placed: a
    /// browser phone has no hook of its own, and a citizen still ringing
    /// is let go. False if these lines have no call of theirs in progress.
    fn end_dial(&self, agent: AgentId) -> bool {
        let _ = agent;
        false
    }

    /// A supervisor joins a call in conversation from their registered
    /// phone (listening, whispering to the consultant, or barging in),
    /// changes how, or leaves (`None`). Must not block: the phone is rung
    /// in the background; what can be known at once is answered at once.
    fn monitor(&self, call: CallId, supervisor: AgentId, mode: Option<MonitorMode>) -> Result<(), MonitorRefused> {
        let _ = (call, supervisor, mode);
        Err(MonitorRefused::Unsupported)
    }

    /// The supervisor listening in takes the call over (接管): their leg,
    /// already connected, becomes the call's centre side; the consultant's
    /// phone is hung up. Done at once or refused (the supervisor's phone
    /// is not in the call yet).
    fn take_over(&self, call: CallId, supervisor: AgentId) -> Result<(), MonitorRefused> {
        let _ = (call, supervisor);
        Err(MonitorRefused::Unsupported)
    }

    /// The user's browser as their phone (WebRTC): connects it with the
    /// browser's SDP offer (answered with ours), holds or resumes their
    /// call, or closes the line. Must not block: `reply` is told when done.
    fn softphone(&self, agent: AgentId, request: SoftphoneRequest, reply: oneshot::Sender<Result<SoftphoneAnswer, SoftphoneRefused>>) {
        let _ = (agent, request);
        let _ = reply.send(Err(SoftphoneRefused::Unsupported));
    }

    /// What the lines look like now, for the wallboard: phones registered
    /// and carriers' trunks. Lines without phones or trunks say nothing.
    fn status(&self) -> LineStatus {
        LineStatus::default()
    }
}

/// How a supervisor takes part in a consultant's call (班长监听、耳语、强插).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MonitorMode {
    /// Hears caller and consultant; nobody hears the supervisor.
    Listen,
    /// Hears both; only the consultant hears the supervisor (coaching).
    Whisper,
    /// Hears and is heard by both (a three-way call).
    Barge,
}

impl MonitorMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Listen => "listen",
            Self::Whisper => "whisper",
            Self::Barge => "barge",
        }
    }
}

/// Why the lines cannot let a supervisor into a call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MonitorRefused {
    #[error("these lines cannot join a supervisor to a call (only real calls through the SIP gateway can be listened to)")]
    Unsupported,
    #[error("call {0} is not in conversation on these lines")]
    NotTalking(u64),
    #[error("you have no phone: register a SIP phone with your phone password, or connect your browser as your phone, to listen in")]
    NoPhone,
    #[error("you are not listening to call {0}")]
    NotMonitoring(u64),
    #[error("your phone is not in call {0} yet: listen in first (and answer your phone), then take it over")]
    NotJoined(u64),
    #[error("call {0} was taken over by a supervisor: only they can end it")]
    TakenOver(u64),
}

/// What a browser asks of its phone line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SoftphoneRequest {
    /// Connect (or reconnect) with this SDP offer.
    Offer(String),
    /// Put the call in conversation on hold (the caller hears music), or resume it.
    Hold(bool),
    /// Close the line: the SIP phone, if registered, rings again.
    Close,
}

/// What the lines answer a browser's phone request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SoftphoneAnswer {
    /// The SDP answer to an offer; `again`: the user's line was open
    /// already (the browser negotiating again after a network change, or
    /// a reloaded page), not a new connection.
    Sdp { sdp: String, again: bool },
    /// Held, resumed or closed.
    Done,
}

/// Why the lines refuse a browser's phone request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SoftphoneRefused {
    #[error("these lines have no browser phones (only the SIP gateway connects browsers)")]
    Unsupported,
    #[error("the browser's offer cannot be used: {0}")]
    Offer(String),
    #[error("the lines cannot take another browser now: {0}")]
    Busy(String),
    #[error("your browser phone is not connected")]
    NotConnected,
    #[error("you have no call in conversation on your browser phone")]
    NotTalking,
}

/// The telephone side of the centre, as the wallboard shows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LineStatus {
    /// Consultants whose phone is registered now; `None` where the lines
    /// have no phones (the simulator).
    pub phones: Option<BTreeSet<AgentId>>,
    pub trunks: Vec<TrunkStatus>,
    /// How each call in progress sounds so far, where the lines measure it.
    pub quality: HashMap<CallId, CallQuality>,
}

/// A carrier's trunk: reachable (it answers OPTIONS) and registered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrunkStatus {
    pub name: String,
    pub direction: TrunkDirection,
    /// `None`: not probed (no keep-alive configured) or no answer awaited yet.
    pub reachable: Option<bool>,
    /// `None`: the trunk does not register with the carrier.
    pub registered: Option<bool>,
    /// What went wrong last, while the trunk is down or unregistered.
    pub problem: Option<TrunkProblem>,
    /// When `reachable` or `registered` last changed.
    pub since: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrunkDirection {
    /// Carriers' calls to the centre's numbers.
    Inbound,
    /// The centre's calls out: transfers, 110/119/120, callbacks.
    Outbound,
}

/// Why a trunk is down, as a code the screens put in their language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum TrunkProblem {
    /// No answer within the probe's time.
    NoAnswer,
    /// The carrier answered with this status (a REGISTER refused: 403 …).
    Refused { status: u16 },
    /// The request could not be sent (no route, connection refused).
    Unreachable,
}

/// An outbound call a consultant places.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dial {
    pub agent: AgentId,
    pub number: String,
    /// The call whose record keeps the recording of this one (the
    /// abandoned call being called back); `None`: not recorded.
    pub record_as: Option<hotline_callcentre::engine::CallId>,
}

/// How an outbound call went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialOutcome {
    /// Connected, and talked this long.
    Connected {
        talk_secs: u64,
    },
    /// The consultant's own phone did not answer.
    ConsultantMissed,
    Busy,
    NoAnswer,
    /// The consultant hung up at the desk before the citizen answered.
    HungUp,
    Failed(String),
}

impl DialOutcome {
    /// In Chinese, for the callback's note and the audit.
    pub fn describe(&self) -> String {
        match self {
            Self::Connected { talk_secs } => format!("回拨接通，通话 {talk_secs} 秒"),
            Self::ConsultantMissed => "话务员话机未接听".into(),
            Self::Busy => "对方忙".into(),
            Self::NoAnswer => "无人接听".into(),
            Self::HungUp => "话务员在接通前挂断".into(),
            Self::Failed(why) => format!("未能呼出：{why}"),
        }
    }

    /// A code the desk puts in its language.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Connected { .. } => "connected",
            Self::ConsultantMissed => "consultant_missed",
            Self::Busy => "busy",
            Self::NoAnswer => "no_answer",
            Self::HungUp => "hung_up",
            Self::Failed(_) => "failed",
        }
    }
}

/// Telephony that does nothing: every call stays where the engine puts it
/// until a desk or an operator acts. Used until an adapter is attached.
pub struct NoTelephony;

impl Telephony for NoTelephony {
    fn execute(&self, _: &Command) {}
}

/// An adapter to the telephone network: attached once to the running
/// switchboard, it carries out the switchboard's commands and reports what
/// happens on the lines through [`Switchboard::event`].
pub trait TelephonyAdapter: Send + Sync {
    fn attach(&self, lines: LineContext) -> Arc<dyn Telephony>;
}

/// What an adapter is attached to: the switchboard it reports to, and the
/// consultants' phones and the numbers the centre answers.
pub struct LineContext {
    pub switchboard: Switchboard,
    pub phones: Arc<Phones>,
    /// Where recordings are kept (the attachment store).
    pub blobs: Arc<dyn crate::attachments::BlobStore>,
}

/// What the call centre's lines are, as the configuration chose them.
#[derive(Clone, Default)]
pub enum Lines {
    /// The in-process simulator: calls placed through the API and the load
    /// generator, for the demo, training and tests.
    #[default]
    Simulated,
    /// No telephony: desks are offered no calls (a centre taking only the
    /// web, written channels and walk-ins).
    None,
    /// The telephone network through an adapter (the SIP gateway).
    Network(Arc<dyn TelephonyAdapter>),
    /// The network, and the simulator beside it for practice calls (the
    /// demo taking real calls too): each call is carried out by the lines
    /// it came from.
    NetworkAndSimulator(Arc<dyn TelephonyAdapter>),
}
