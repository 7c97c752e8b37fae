//! The seam between the switchboard and the telephone network.
//!
//! The engine's [`Command`]s go to a [`Telephony`] adapter; what happens on
//! the lines comes back as [`Event`]s through [`Switchboard::event`]. The
//! in-process simulator ([`super::SimulatedLines`]) is the adapter today; a
//! SIP gateway (roadmap) implements the same trait: answer and hold music
//! for `Hold`, INVITE to the agent's phone for `Offer`, bridging, REFER for
//! blind and attended transfers, mixing for three-way calls.
//!
//! [`Switchboard::event`]: super::Switchboard::event

use hotline_callcentre::engine::Command;

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
