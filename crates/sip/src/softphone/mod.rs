//! The phone in the browser (浏览器话机): a consultant's or a supervisor's
//! browser connects one WebRTC line to the gateway for their whole shift,
//! signalled by one offer and answer through the API; calls are then
//! connected to that line without a new negotiation, as a call centre's
//! "persistent connection" does. While a browser line is open it is the
//! user's phone; closed, their SIP phone (if registered) is again.

pub mod client;
mod line;

pub use line::{GRACE, LineHandle, LineStats};

use hotline_callcentre::engine::AgentId;
use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use tokio::net::UdpSocket;
use tokio::sync::oneshot;

/// Why a browser's phone line cannot be connected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SoftphoneError {
    #[error("the browser's offer cannot be used: {0}")]
    Offer(String),
    #[error("no port is free for the browser's media: {0}")]
    NoPort(String),
    #[error("the browser's line closed")]
    Closed,
}

/// The open browser lines, by user.
#[derive(Default)]
pub struct Softphones {
    lines: Mutex<HashMap<AgentId, LineHandle>>,
}

impl Softphones {
    /// The user's open line, connected or not (to negotiate again).
    pub fn line(&self, agent: AgentId) -> Option<LineHandle> {
        self.lines.lock().expect("softphones lock").get(&agent).filter(|l| l.is_open()).cloned()
    }

    /// The user's phone: a line that has connected (and may be
    /// reconnecting); a line that never did is no phone to put calls on.
    pub fn find(&self, agent: AgentId) -> Option<LineHandle> {
        self.lines.lock().expect("softphones lock").get(&agent).filter(|l| l.is_ready()).cloned()
    }

    /// Opens a line for the user on `public` (from the gateway's RTP
    /// range), replacing one that closed; `lost` is told when it closes.
    pub fn insert(&self, agent: AgentId, public: UdpSocket, lost: oneshot::Sender<()>) -> Result<LineHandle, SoftphoneError> {
        let line = LineHandle::open(public, lost).map_err(|e| SoftphoneError::NoPort(e.to_string()))?;
        self.lines.lock().expect("softphones lock").insert(agent, line.clone());
        Ok(line)
    }

    /// Closes the user's line, if any.
    pub fn close(&self, agent: AgentId) {
        self.lines.lock().expect("softphones lock").remove(&agent);
    }

    /// Forgets a line that closed by itself, unless a new one took its place.
    pub fn lost(&self, agent: AgentId) {
        let mut lines = self.lines.lock().expect("softphones lock");
        if lines.get(&agent).is_some_and(|l| !l.is_open()) {
            lines.remove(&agent);
        }
    }

    /// Users whose browser is their phone.
    pub fn ready(&self) -> BTreeSet<AgentId> {
        self.lines.lock().expect("softphones lock").iter().filter(|(_, l)| l.is_ready()).map(|(a, _)| *a).collect()
    }
}
