//! Supervisors listening in (班长监听、耳语、强插): the supervisor's own
//! registered phone is rung with auto-answer and joins the call's relay as
//! a fourth leg, hearing both sides; whispering, only the consultant hears
//! them; barging in, both do. Changing the mode needs no new call; leaving
//! hangs up the supervisor's leg and the call goes on. Taking the call
//! over (接管) makes the supervisor's leg, already connected, the call's
//! centre side and hangs up the consultant's phone.

use super::calls::{Answer, auto_answer, end};
use super::{Call, ConsultantLeg, Core, Phone, Side, State, SupervisorLeg};
use crate::media::relay::{Leg, Monitor, Party};
use hotline_app::calls::{MonitorMode, MonitorRefused};
use hotline_callcentre::engine::{AgentId, CallId};
use std::sync::Arc;

fn relay_mode(mode: MonitorMode) -> Monitor {
    match mode {
        MonitorMode::Listen => Monitor::Listen,
        MonitorMode::Whisper => Monitor::Whisper,
        MonitorMode::Barge => Monitor::Barge,
    }
}

impl Call {
    /// Takes the supervisor's leg out of the call (if `which` holds for
    /// it): the relay stops mixing them in, the call goes on.
    pub(super) fn without_supervisor(&mut self, which: impl FnOnce(&SupervisorLeg) -> bool) -> Option<SupervisorLeg> {
        let leg = self.supervisor.take_if(|l| which(l))?;
        self.media.drop_leg(Party::Supervisor);
        self.media.monitor(None);
        Some(leg)
    }
}

/// Hangs up a supervisor's leg the gateway took out of a call.
fn hang_up(state: &mut State, leg: SupervisorLeg) {
    if let Some(id) = leg.phone.dialog_id() {
        state.dialogs.remove(&id);
    }
    tokio::spawn(leg.phone.hang_up(leg.answered, leg.local));
}

impl Core {
    pub(super) fn monitor(self: &Arc<Self>, call: CallId, supervisor: AgentId, mode: Option<MonitorMode>) -> Result<(), MonitorRefused> {
        let mut state = self.state();
        let Some(c) = state.calls.get_mut(&call).filter(|c| c.bridged && !c.handed_over) else {
            return Err(MonitorRefused::NotTalking(call.0));
        };
        let Some(mode) = mode else {
            let Some(leg) = c.without_supervisor(|l| l.agent == supervisor) else { return Err(MonitorRefused::NotMonitoring(call.0)) };
            hang_up(&mut state, leg);
            return Ok(());
        };
        let mode = relay_mode(mode);
        if let Some(leg) = c.supervisor.as_mut().filter(|l| l.agent == supervisor) {
            leg.mode = mode;
            if leg.answered {
                c.media.monitor(Some(mode));
            }
            return Ok(());
        }
        let browser = self.softphones.find(supervisor);
        let binding = self.registrar.find(supervisor);
        if browser.is_none() && binding.is_none() {
            return Err(MonitorRefused::NoPhone);
        }
        // Another supervisor already in the call gives way.
        if let Some(other) = c.without_supervisor(|_| true) {
            hang_up(&mut state, other);
        }
        drop(state);
        match (browser, binding) {
            (Some(line), _) => tokio::spawn(self.clone().connect_browser_supervisor(call, supervisor, line, mode)),
            (None, Some(binding)) => tokio::spawn(self.clone().ring_supervisor(call, supervisor, binding, mode)),
            (None, None) => unreachable!("refused above"),
        };
        Ok(())
    }

    pub(super) fn take_over(&self, call: CallId, supervisor: AgentId) -> Result<(), MonitorRefused> {
        let mut state = self.state();
        let Some(c) = state.calls.get_mut(&call).filter(|c| c.bridged && !c.handed_over) else {
            return Err(MonitorRefused::NotTalking(call.0));
        };
        let Some(leg) = c.supervisor.take_if(|l| l.agent == supervisor && l.answered) else {
            return Err(MonitorRefused::NotJoined(call.0));
        };
        c.media.take_over();
        let promoted = leg.phone.dialog_id();
        let left =
            c.consultant.replace(ConsultantLeg { agent: supervisor, phone: leg.phone, answered: true, held: false, local: leg.local });
        // A caller the consultant had put on hold talks to the supervisor now.
        if left.as_ref().is_some_and(|l| l.held) {
            c.media.bridge();
        }
        // The supervisor's phone hanging up now ends the call, as the consultant's did.
        if let Some(id) = promoted {
            state.dialogs.insert(id, (call, Side::Consultant));
        }
        if let Some(left) = left {
            if let Some(id) = left.phone.dialog_id() {
                state.dialogs.remove(&id);
            }
            tokio::spawn(left.phone.hang_up(left.answered, left.local));
        }
        Ok(())
    }

    async fn ring_supervisor(self: Arc<Self>, call: CallId, supervisor: AgentId, binding: crate::registrar::Binding, mode: Monitor) {
        let socket = match self.ports.bind().await {
            Ok(socket) => socket,
            Err(e) => {
                tracing::warn!(error = %e, "no RTP port for a supervisor's phone");
                return;
            }
        };
        let local = self.media_addr(&socket);
        let headers = Some(auto_answer(&binding.contact));
        let (dialog, answer) = match self.invite(binding.into(), self.caller_number(call), &socket, None, headers) {
            Ok(started) => started,
            Err(e) => {
                tracing::warn!(error = %e, "a supervisor's phone could not be rung");
                return;
            }
        };
        let ringing = match self.state().calls.get_mut(&call) {
            Some(c) => {
                c.supervisor = Some(SupervisorLeg { agent: supervisor, phone: Phone::Sip(dialog.clone()), mode, answered: false, local });
                true
            }
            None => false,
        };
        if !ringing {
            return end(dialog, false).await;
        }
        let answer = answer.await.unwrap_or(Answer::Refused(None));
        let late = {
            let mut state = self.state();
            let current = state.calls.get_mut(&call).filter(|c| c.supervisor.as_ref().is_some_and(|l| l.phone.is(&dialog)));
            match (answer, current) {
                (Answer::Answered(id, media), Some(c)) => {
                    let leg = c.supervisor.as_mut().expect("checked above");
                    leg.answered = true;
                    let mode = leg.mode;
                    c.media.leg(Party::Supervisor, Leg { socket, peer: media });
                    c.media.monitor(Some(mode));
                    state.dialogs.insert(id.to_string(), (call, Side::Supervisor));
                    false
                }
                // Answered after the call ended or the supervisor left it.
                (Answer::Answered(..), None) => true,
                (Answer::Refused(status), current) => {
                    tracing::info!(?status, "a supervisor's phone did not answer");
                    if let Some(c) = current {
                        c.supervisor = None;
                    }
                    false
                }
            }
        };
        if late {
            let _ = dialog.bye().await;
        }
    }
}
