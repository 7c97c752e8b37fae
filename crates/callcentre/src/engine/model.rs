//! The engine's vocabulary: time, ids, queues, agents, and the events and
//! commands through which it talks to telephony and to consultants' desks.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Milliseconds on the engine's clock. The engine never reads a clock: the
/// caller passes the time with every event, so tests and the simulator run
/// at any speed, to the millisecond.
pub type Millis = u64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CallId(pub u64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AgentId(pub u64);

/// A skill: the general queue's, or a department's (社保 12333, 公积金 …).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Skill(pub String);

/// How an idle agent is chosen for a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// The agent idle the longest (FreeSWITCH's default).
    #[default]
    LongestIdle,
    /// Agents in turn, after the one offered last (Asterisk's rrmemory).
    RoundRobin,
    /// The agent who answered the fewest calls today.
    FewestCalls,
}

/// After a call has waited `after_secs`, agents holding the skill at
/// `min_level` or above may take it too (Amazon Connect's delay, Asterisk's
/// penalty changes): a professional queue spills to general seats with a
/// lower grade of the skill.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Widen {
    pub after_secs: u32,
    pub min_level: u8,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueConfig {
    pub name: String,
    pub skill: Skill,
    /// Higher first when an agent could take calls from several queues.
    pub priority: u8,
    /// Level of the skill an agent needs at first (1–10).
    pub min_level: u8,
    /// Later, lower levels are admitted; in increasing `after_secs`.
    #[serde(default)]
    pub widen: Vec<Widen>,
    pub strategy: Strategy,
    /// Calls waiting at most; a call beyond is offered a callback.
    pub max_waiting: usize,
    /// A call waiting this long is offered a callback.
    pub max_wait_secs: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineConfig {
    pub queues: Vec<QueueConfig>,
    /// How long an offered call rings at an agent before it is taken back.
    pub ring_secs: u32,
    /// Offers left unanswered in a row before the agent is put on break.
    pub max_no_answer: u32,
    /// After-call work before an agent is offered the next call.
    pub wrap_up_secs: u32,
    /// How long a transfer to a sub-centre may ring before the consultant
    /// is told to advise the caller to dial it directly.
    #[serde(default = "default_transfer_timeout")]
    pub transfer_timeout_secs: u32,
}

fn default_transfer_timeout() -> u32 {
    30
}

/// How a consultant hands a call to a sub-centre (e.g. 税务 12366).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferMode {
    /// The caller is put through and the consultant leaves at once.
    Blind,
    /// The consultant speaks to the sub-centre first, then leaves.
    Attended,
    /// Caller, consultant and sub-centre talk together (三方通话).
    Conference,
}

/// What became of a transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferResult {
    Connected,
    Busy,
    NoAnswer,
    Failed,
}

/// Whether an agent works (set by the agent or a supervisor).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "reason")]
pub enum AgentStatus {
    LoggedOut,
    Available,
    OnBreak(String),
    InTraining,
}

/// What an agent is doing (set by calls).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    Idle,
    Ringing(CallId),
    Talking(CallId),
    /// After-call work until the given time.
    WrapUp(Millis),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentSpec {
    pub id: AgentId,
    /// Skills and their levels (1–10). A professional skill is only given
    /// to a certified consultant; certification lives outside the engine.
    pub skills: BTreeMap<Skill, u8>,
}

/// What telephony and desks tell the engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum Event {
    /// A caller chose a queue (after the short menu).
    Arrived { call: CallId, queue: String, caller: String },
    /// The agent picked up the offered call.
    Answered { call: CallId, agent: AgentId },
    /// The agent declined the offered call.
    Rejected { call: CallId, agent: AgentId },
    /// The caller hung up, waiting or talking.
    CallerHungUp { call: CallId },
    /// The agent ended the conversation.
    AgentHungUp { call: CallId },
    /// The agent (or a supervisor) changed the agent's status.
    SetStatus { agent: AgentId, status: AgentStatus },
    /// The consultant hands the call to a sub-centre's number.
    Transfer { call: CallId, agent: AgentId, to: String, mode: TransferMode },
    /// The sub-centre picked up an attended transfer: the consultant now
    /// speaks to it, for as long as that takes (no more ring timeout), and
    /// completes the transfer by leaving (a `TransferResult`).
    TransferAnswered { call: CallId },
    /// Telephony reports how the transfer went.
    TransferResult { call: CallId, result: TransferResult },
    /// A supervisor listening in took the call over (接管): the consultant
    /// leaves for after-call work, the supervisor talks on with the caller
    /// until either hangs up (`CallerHungUp`, `AgentHungUp`).
    TakenOver { call: CallId, supervisor: AgentId },
}

/// What the engine asks telephony and desks to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "command")]
pub enum Command {
    /// Pick the call up and play hold music (it waits in a queue).
    Hold { call: CallId },
    /// Ring the agent's phone and show the call on the desk.
    Offer { call: CallId, agent: AgentId },
    /// Stop ringing that agent (no answer, or the caller left).
    Withdraw { call: CallId, agent: AgentId },
    /// Connect caller and agent.
    Bridge { call: CallId, agent: AgentId },
    /// The consultant ended the conversation: release the caller's line.
    HangUp { call: CallId },
    /// Tell the caller a consultant will call back, and hang up.
    OfferCallback { call: CallId, caller: String, queue: String },
    /// The agent was put on break by the engine (offers left unanswered).
    AgentPaused { agent: AgentId, reason: String },
    /// Dial the sub-centre and connect it as asked.
    Transfer { call: CallId, to: String, mode: TransferMode },
    /// Stop a transfer that rang too long.
    CancelTransfer { call: CallId },
    /// Tell the consultant the transfer failed and what to advise the caller;
    /// the caller stays with the consultant.
    TransferFailed { call: CallId, agent: AgentId, to: String, result: TransferResult, advice: String },
}

impl Command {
    /// The call the command is about; `None` for an agent's own matters.
    pub fn call(&self) -> Option<CallId> {
        match self {
            Command::Hold { call }
            | Command::Offer { call, .. }
            | Command::Withdraw { call, .. }
            | Command::Bridge { call, .. }
            | Command::HangUp { call }
            | Command::OfferCallback { call, .. }
            | Command::Transfer { call, .. }
            | Command::CancelTransfer { call }
            | Command::TransferFailed { call, .. } => Some(*call),
            Command::AgentPaused { .. } => None,
        }
    }
}

/// How a call ended, for its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Answered,
    /// Answered, then handed to a sub-centre.
    Transferred,
    Abandoned,
    /// Queue full or wait too long: a callback was promised.
    Callback,
    /// The node carrying it stopped (its media and signalling with it):
    /// the node that took the call centre over records it, never the
    /// engine, and a callback is owed.
    Lost,
}

/// One finished call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRecord {
    pub call: CallId,
    pub queue: String,
    pub caller: String,
    pub arrived: Millis,
    pub answered: Option<Millis>,
    pub agent: Option<AgentId>,
    pub ended: Millis,
    pub outcome: Outcome,
    /// The sub-centre the call was transferred or conferenced to, if any.
    pub transferred_to: Option<String>,
    /// The supervisor who took the call over from `agent`, if one did.
    #[serde(default)]
    pub taken_over_by: Option<AgentId>,
}

/// A call a supervisor took over, as a wallboard shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TakenOverView {
    pub call: CallId,
    pub supervisor: AgentId,
    /// Who answered it and left when it was taken over.
    pub consultant: AgentId,
    pub answered: Millis,
}

/// A queue as a wallboard shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueView<'a> {
    pub name: &'a str,
    pub waiting: usize,
    /// When the call waiting longest arrived.
    pub oldest_arrival: Option<Millis>,
}

/// Wire names for storage and APIs, the same as serde's.
macro_rules! wire_names {
    ($name:ident { $($variant:ident = $wire:literal),+ $(,)? }) => {
        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $wire,)+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($wire => Some(Self::$variant),)+ _ => None }
            }
        }
    };
}

wire_names!(Outcome { Answered = "answered", Transferred = "transferred", Abandoned = "abandoned", Callback = "callback", Lost = "lost" });
wire_names!(TransferResult { Connected = "connected", Busy = "busy", NoAnswer = "no_answer", Failed = "failed" });
wire_names!(TransferMode { Blind = "blind", Attended = "attended", Conference = "conference" });

impl AgentStatus {
    /// The status's wire name without its reason.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::LoggedOut => "logged_out",
            Self::Available => "available",
            Self::OnBreak(_) => "on_break",
            Self::InTraining => "in_training",
        }
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::OnBreak(reason) => Some(reason),
            _ => None,
        }
    }

    /// From a wire name and, for a break, its reason.
    pub fn from_parts(kind: &str, reason: Option<&str>) -> Option<Self> {
        Some(match kind {
            "logged_out" => Self::LoggedOut,
            "available" => Self::Available,
            "on_break" => Self::OnBreak(reason.unwrap_or_default().to_owned()),
            "in_training" => Self::InTraining,
            _ => return None,
        })
    }
}
