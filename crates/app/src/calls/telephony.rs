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
use hotline_callcentre::engine::{AgentId, Command};
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
}

/// An outbound call a consultant places.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dial {
    pub agent: AgentId,
    pub number: String,
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
            Self::Failed(why) => format!("未能呼出：{why}"),
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
}
