//! What the switchboard tells desks and wallboards.

use super::telephony::TrunkStatus;
use chrono::{DateTime, Utc};
use hotline_callcentre::engine::{AgentStatus, Outcome, TransferMode, TransferResult};
use hotline_callcentre::quality::CallQuality;
use hotline_callcentre::stats::Figures;
use hotline_domain::UserId;
use serde::Serialize;

/// A message to one consultant's desk.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DeskEvent {
    /// The phone rings: accept or reject within `ring_secs`.
    Offered { call: String, queue: String, caller: String, ring_secs: u32 },
    /// The offer was taken back (rang out, the caller left, status changed).
    Withdrawn { call: String },
    /// Caller and consultant are connected.
    Connected { call: String },
    /// The call ended; after-call work (and the work order) follows.
    Ended { call: String, outcome: Outcome },
    /// The sub-centre answered: a transfer ends the call for the centre, a
    /// three-way call goes on with the consultant.
    TransferConnected { call: String, to: String, mode: TransferMode },
    /// The sub-centre is busy or did not answer: the caller stays with the
    /// consultant, who reads out `advice`.
    TransferFailed { call: String, to: String, result: TransferResult, advice: String },
    /// The consultant's status, after they or the engine changed it.
    Status {
        #[serde(flatten)]
        status: AgentStatus,
    },
    /// The same consultant opened the desk elsewhere; this one is closed.
    Replaced,
    /// A call was offered but the consultant's SIP phone is not registered:
    /// the offer went to someone else and counts as missed.
    PhoneMissing { call: String },
    /// The consultant answered at the desk but their ringing phone did not
    /// pick up by itself: they pick it up or hang up from the desk.
    PhoneUnanswered { call: String },
    /// A supervisor took the call over (接管): the consultant's phone was
    /// hung up, the caller talks on with `by`; after-call work follows.
    TakenOver { call: String, by: String },
    /// The consultant's SIP phone put the call on hold (`held`) or resumed
    /// it; the caller hears hold music meanwhile.
    Held { call: String, held: bool },
    /// The consultant calls back the caller of `call` at `number`: a SIP
    /// phone rings first, a browser phone goes straight to the citizen.
    CallingBack { call: String, number: String },
    /// The citizen called back answered.
    CallbackConnected { call: String },
    /// The callback is over; `outcome` is a code (`connected`, `busy`,
    /// `no_answer`, `consultant_missed`, `hung_up`, `failed`), `note` says it in Chinese.
    CallbackEnded { call: String, outcome: String, note: String },
}

/// The centre now, for the wallboard (大屏/监控墙).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Wallboard {
    pub at: DateTime<Utc>,
    /// Today's figures over every queue.
    pub today: Figures,
    pub queues: Vec<QueueBoard>,
    pub agents: Vec<AgentBoard>,
    /// Calls supervisors took over and still talk on.
    pub taken_over: Vec<TakenOverBoard>,
    pub lines: LinesBoard,
}

/// A call a supervisor took over from its consultant (接管).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TakenOverBoard {
    pub call: String,
    pub supervisor: UserId,
    pub name: String,
    /// The consultant who answered it and left.
    pub consultant: String,
    pub caller: String,
    /// When the caller was first answered (by the consultant).
    pub answered_at: DateTime<Utc>,
    pub quality: Option<CallQuality>,
}

/// The telephone side: phones registered and the carriers' trunks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinesBoard {
    /// Phones registered now; `None` on lines without phones (the simulator).
    pub phones_registered: Option<usize>,
    pub trunks: Vec<TrunkStatus>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueBoard {
    pub name: String,
    pub waiting: usize,
    /// How long the call waiting longest has waited.
    pub longest_wait_secs: f64,
    pub today: Figures,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentBoard {
    pub agent: UserId,
    pub name: String,
    #[serde(flatten)]
    pub status: AgentStatus,
    /// idle, ringing, talking or wrap_up.
    pub state: &'static str,
    /// The call ringing or in conversation.
    pub call: Option<String>,
    /// Calls answered today.
    pub answered_today: u64,
    /// Whether the consultant's SIP phone is registered; `None` on lines
    /// without phones.
    pub phone_registered: Option<bool>,
    /// How the call in conversation sounds so far, where the lines
    /// measure it.
    pub quality: Option<CallQuality>,
}
