//! Browsers as phones (see `crate::softphone`): a connected browser is not
//! rung; the desk offers the call and, once answered there, the line is
//! attached to the call's relay as the consultant's leg (or, listening in,
//! as the supervisor's). A line that closes or is lost mid-call counts as
//! the consultant hanging up.

use super::{ConsultantLeg, Core, Phone, SupervisorLeg};
use crate::media::relay::{Leg, Monitor, Party};
use crate::media::sdp::{Codec, Media};
use crate::softphone::{LineHandle, SoftphoneError};
use hotline_app::calls::{SoftphoneAnswer, SoftphoneRefused, SoftphoneRequest};
use hotline_callcentre::engine::{AgentId, CallId};
use std::sync::Arc;

/// The relay's view of a browser line: plain A-law RTP at the line's
/// local socket, no keypad events.
pub(super) fn relay_peer(line: &LineHandle) -> Media {
    Media { addr: line.plain(), codec: Codec::Pcma, events: None }
}

impl Core {
    pub(super) async fn softphone(self: Arc<Self>, agent: AgentId, request: SoftphoneRequest) -> Result<SoftphoneAnswer, SoftphoneRefused> {
        match request {
            SoftphoneRequest::Offer(sdp) => {
                let (line, new) = match self.softphones.line(agent) {
                    Some(line) => (line, false),
                    None => (self.open_line(agent).await?, true),
                };
                let answer = line.offer(sdp).await;
                if answer.is_err() && new {
                    // A first offer that fails opens nothing.
                    self.softphones.close(agent);
                }
                answer.map(|sdp| SoftphoneAnswer::Sdp { sdp, again: !new }).map_err(|e| match e {
                    SoftphoneError::Offer(why) => SoftphoneRefused::Offer(why),
                    other => SoftphoneRefused::Busy(other.to_string()),
                })
            }
            SoftphoneRequest::Hold(held) => {
                self.softphones.find(agent).ok_or(SoftphoneRefused::NotConnected)?;
                let mut state = self.state();
                let call = state
                    .calls
                    .iter()
                    .find(|(_, c)| {
                        c.bridged && c.consultant.as_ref().is_some_and(|l| l.agent == agent && matches!(l.phone, Phone::Browser(_)))
                    })
                    .map(|(id, _)| *id)
                    .ok_or(SoftphoneRefused::NotTalking)?;
                let c = state.calls.get_mut(&call).expect("found above");
                self.consultant_holds(call, c, held);
                Ok(SoftphoneAnswer::Done)
            }
            SoftphoneRequest::Close => {
                // A line that never connected was no phone: closed all the same.
                let was_phone = self.softphones.find(agent).is_some();
                self.softphones.close(agent);
                if !was_phone {
                    return Err(SoftphoneRefused::NotConnected);
                }
                self.browser_gone(agent);
                Ok(SoftphoneAnswer::Done)
            }
        }
    }

    async fn open_line(self: &Arc<Self>, agent: AgentId) -> Result<LineHandle, SoftphoneRefused> {
        let socket = self.ports.bind().await.map_err(|e| SoftphoneRefused::Busy(e.to_string()))?;
        let (lost, gone) = tokio::sync::oneshot::channel();
        let line = self.softphones.insert(agent, socket, lost).map_err(|e| SoftphoneRefused::Busy(e.to_string()))?;
        let core = self.clone();
        tokio::spawn(async move {
            let _ = gone.await;
            core.softphones.lost(agent);
            if core.softphones.find(agent).is_none() {
                core.browser_gone(agent);
            }
        });
        Ok(line)
    }

    /// The user's browser line closed: a call they talk in through it (a
    /// callback too) is hung up on their side; listening in through it ends.
    fn browser_gone(self: &Arc<Self>, agent: AgentId) {
        let mut state = self.state();
        let on_browser = |phone: &Phone| matches!(phone, Phone::Browser(_));
        let talking: Vec<CallId> = state
            .calls
            .iter()
            .filter(|(_, c)| c.consultant.as_ref().is_some_and(|l| l.agent == agent && on_browser(&l.phone)))
            .map(|(id, _)| *id)
            .collect();
        for c in state.calls.values_mut() {
            c.without_supervisor(|l| l.agent == agent && on_browser(&l.phone));
        }
        // A callback put through the line is hung up on their side too.
        if state.dials.get(&agent).is_some_and(|d| d.on_browser)
            && let Some(dial) = state.dials.remove(&agent)
        {
            let _ = dial.stop.send(());
        }
        drop(state);
        for call in talking {
            tracing::info!(call = call.0, agent = agent.0, "a consultant's browser phone closed mid-call");
            self.consultant_left(call);
        }
    }

    /// The consultant answered at the desk with their browser as phone:
    /// its line joins the call's relay.
    pub(super) async fn connect_browser(self: Arc<Self>, call: CallId, agent: AgentId, line: LineHandle) {
        let socket = match self.ports.bind().await {
            Ok(socket) => socket,
            Err(e) => {
                tracing::warn!(error = %e, "no RTP port for a browser phone");
                return;
            }
        };
        let local = self.media_addr(&socket);
        let mut state = self.state();
        let Some(c) = state.calls.get_mut(&call).filter(|c| c.bridged && c.consultant.is_none() && !c.handed_over) else { return };
        c.media.leg(Party::Consultant, Leg { socket, peer: relay_peer(&line) });
        c.media.bridge();
        line.attach(local);
        c.consultant = Some(ConsultantLeg { agent, phone: Phone::Browser(line), answered: true, held: false, local });
    }

    /// A supervisor listening in with their browser as phone.
    pub(super) async fn connect_browser_supervisor(self: Arc<Self>, call: CallId, supervisor: AgentId, line: LineHandle, mode: Monitor) {
        let Ok(socket) = self.ports.bind().await else { return };
        let local = self.media_addr(&socket);
        let mut state = self.state();
        let Some(c) = state.calls.get_mut(&call).filter(|c| c.bridged && c.supervisor.is_none()) else { return };
        c.media.leg(Party::Supervisor, Leg { socket, peer: relay_peer(&line) });
        c.media.monitor(Some(mode));
        line.attach(local);
        c.supervisor = Some(SupervisorLeg { agent: supervisor, phone: Phone::Browser(line), mode, answered: true, local });
    }
}
