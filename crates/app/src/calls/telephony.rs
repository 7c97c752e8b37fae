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
use hotline_callcentre::engine::Command;
use std::sync::Arc;

pub trait Telephony: Send + Sync {
    /// Carries out one command; must not block (spawn work that waits).
    fn execute(&self, command: &Command);
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
