//! Calls placed outside the queues: a consultant calling a citizen back.
//! A SIP phone rings first (showing the citizen's number), then the
//! citizen through the outbound trunk (showing the centre's number); a
//! browser phone, open at the desk already, goes straight to the citizen.
//! The two are bridged through the relay until either hangs up, the
//! consultant hangs up at the desk, or their browser line closes.

use super::Core;
use super::calls::{Answer, Refusal, callee, credential, destination, end};
use super::softphone::relay_peer;
use crate::config::OutboundTrunk;
use crate::media::relay::{CallMedia, Leg, Party};
use crate::media::sdp::Media;
use crate::registrar::Reach;
use crate::softphone::LineHandle;
use hotline_app::calls::{DeskEvent, Dial, DialOutcome, user_of};
use hotline_callcentre::engine::AgentId;
use rsipstack::dialog::invite_dialog::InviteDialog;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;
use tokio::sync::oneshot;

/// How long either side may ring.
const RING: Duration = Duration::from_secs(30);

/// A consultant's call out in progress, as the gateway holds it.
pub(super) struct OutCall {
    /// Put through the consultant's browser line, which ends it by closing.
    pub(super) on_browser: bool,
    /// Told when the consultant hangs up at the desk or their line closes.
    pub(super) stop: oneshot::Sender<()>,
}

/// The consultant's side of a call out.
enum DeskSide {
    /// Their SIP phone, answered: its dialog (and id), and told when it hangs up.
    Phone {
        dialog: InviteDialog,
        id: String,
        media: Media,
        gone: oneshot::Receiver<()>,
    },
    Browser(LineHandle),
}

impl Core {
    pub(super) async fn dial_out(self: Arc<Self>, dial: Dial, done: oneshot::Sender<DialOutcome>) {
        let outcome = self.place(dial).await;
        let _ = done.send(outcome);
    }

    /// The consultant hung up at the desk: false if they have no call out.
    pub(super) fn end_dial(&self, agent: AgentId) -> bool {
        self.state().dials.remove(&agent).map(|d| d.stop.send(())).is_some()
    }

    async fn place(self: &Arc<Self>, dial: Dial) -> DialOutcome {
        let Some(trunk) = self.config.outbound.clone() else {
            return DialOutcome::Failed("sip.outbound (the carrier's trunk for outgoing calls) is not configured".into());
        };
        let browser = self.softphones.find(dial.agent);
        if browser.is_none() && self.registrar.find(dial.agent).is_none() {
            return DialOutcome::Failed(
                "the consultant has no phone: neither a registered SIP phone nor the browser connected as one".into(),
            );
        }
        let agent = dial.agent;
        let (stop, mut stopped) = oneshot::channel();
        self.state().dials.insert(agent, OutCall { on_browser: browser.is_some(), stop });
        let outcome = self.call_out(dial, &trunk, browser, &mut stopped).await;
        self.state().dials.remove(&agent);
        outcome
    }

    async fn call_out(
        self: &Arc<Self>,
        Dial { agent, number, record_as }: Dial,
        trunk: &OutboundTrunk,
        browser: Option<LineHandle>,
        stopped: &mut oneshot::Receiver<()>,
    ) -> DialOutcome {
        let (Ok(desk_socket), Ok(citizen_socket)) = (self.ports.bind().await, self.ports.bind().await) else {
            return DialOutcome::Failed("no free RTP port".into());
        };
        let desk = match browser {
            Some(line) => DeskSide::Browser(line),
            None => match self.ring_phone(agent, &number, &desk_socket, stopped).await {
                Ok(phone) => phone,
                Err(outcome) => return outcome,
            },
        };
        let Some(callee) = callee(trunk, &number) else {
            self.hang_up_desk(desk).await;
            return DialOutcome::Failed(format!("{number} is not a number to dial"));
        };
        let Ok((citizen, answer)) =
            self.invite(Reach::direct(callee, destination(trunk)), Some(trunk.caller_id.clone()), &citizen_socket, credential(trunk), None)
        else {
            self.hang_up_desk(desk).await;
            return DialOutcome::Failed("the outbound trunk could not be reached".into());
        };
        let answered = tokio::select! {
            answered = tokio::time::timeout(RING, answer) => answered,
            _ = &mut *stopped => {
                end(citizen, false).await;
                self.hang_up_desk(desk).await;
                return DialOutcome::HungUp;
            }
        };
        let (citizen_id, citizen_media) = match answered {
            Ok(Ok(Answer::Answered(id, media))) => (id, media),
            other => {
                if other.is_err() {
                    end(citizen, false).await;
                }
                self.hang_up_desk(desk).await;
                return match other {
                    Ok(Ok(Answer::Refused(status))) => match Refusal::of(status) {
                        Refusal::Busy => DialOutcome::Busy,
                        Refusal::NoAnswer => DialOutcome::NoAnswer,
                        Refusal::Other(status) => DialOutcome::Failed(format!("the carrier answered {status}")),
                    },
                    Err(_) => DialOutcome::NoAnswer,
                    Ok(_) => DialOutcome::Failed("the carrier did not answer".into()),
                };
            }
        };
        let (citizen_ended, citizen_gone) = oneshot::channel();
        self.state().outbound.insert(citizen_id.to_string(), citizen_ended);
        let called_back = record_as.map(|c| c.0.to_string()).unwrap_or_default();
        self.switchboard.tell(user_of(agent), DeskEvent::CallbackConnected { call: called_back });
        let talk = Instant::now();
        // The citizen is the relay's "caller" (the recording's left
        // channel); nothing is played. Recorded on the record of the call
        // called back.
        let recorder = record_as.and_then(|call| self.recorder(Arc::new(OnceLock::from(call))));
        let media = CallMedia::start(Leg { socket: citizen_socket, peer: citizen_media }, self.stats.clone(), recorder);
        if let Some(call) = record_as {
            self.measure(&media, Arc::new(OnceLock::from(call)));
        }
        let local = self.media_addr(&desk_socket);
        let (peer, phone, phone_gone, line) = match desk {
            DeskSide::Phone { dialog, id, media, gone } => (media, Some((dialog, id)), Some(gone), None),
            DeskSide::Browser(line) => (relay_peer(&line), None, None, Some(line)),
        };
        media.leg(Party::Consultant, Leg { socket: desk_socket, peer });
        media.bridge();
        if let Some(line) = &line {
            line.attach(local);
        }
        let phone_hung_up = async {
            match phone_gone {
                Some(gone) => {
                    let _ = gone.await;
                }
                None => std::future::pending().await,
            }
        };
        let citizen_stays = tokio::select! {
            _ = phone_hung_up => true,
            _ = &mut *stopped => true,
            _ = citizen_gone => false,
        };
        if citizen_stays {
            self.state().outbound.remove(&citizen_id.to_string());
            end(citizen, true).await;
        }
        if let Some((dialog, id)) = phone {
            // Gone already if it hung up itself: no BYE for it then.
            let still_up = self.state().outbound.remove(&id).is_some();
            if still_up {
                end(dialog, true).await;
            }
        }
        // A browser line stays open for the next call.
        if let Some(line) = line {
            line.detach(local);
        }
        drop(media);
        DialOutcome::Connected { talk_secs: talk.elapsed().as_secs() }
    }

    /// Rings the consultant's SIP phone, showing the citizen's number; the
    /// consultant must answer before the citizen is rung, so a citizen
    /// never answers into silence.
    async fn ring_phone(
        self: &Arc<Self>,
        agent: AgentId,
        number: &str,
        socket: &UdpSocket,
        stopped: &mut oneshot::Receiver<()>,
    ) -> Result<DeskSide, DialOutcome> {
        let Some(binding) = self.registrar.find(agent) else {
            return Err(DialOutcome::Failed("the consultant's phone is not registered".into()));
        };
        let Ok((dialog, answer)) = self.invite(binding.into(), Some(number.to_owned()), socket, None, None) else {
            return Err(DialOutcome::Failed("the consultant's phone could not be rung".into()));
        };
        let answered = tokio::select! {
            answered = tokio::time::timeout(RING, answer) => answered,
            _ = &mut *stopped => {
                end(dialog, false).await;
                return Err(DialOutcome::HungUp);
            }
        };
        match answered {
            Ok(Ok(Answer::Answered(id, media))) => {
                let (ended, gone) = oneshot::channel();
                let id = id.to_string();
                self.state().outbound.insert(id.clone(), ended);
                Ok(DeskSide::Phone { dialog, id, media, gone })
            }
            Ok(_) => Err(DialOutcome::ConsultantMissed),
            Err(_) => {
                end(dialog, false).await;
                Err(DialOutcome::ConsultantMissed)
            }
        }
    }

    /// Ends the consultant's side before the citizen was connected: a SIP
    /// phone is hung up; a browser line stays open for the next call.
    async fn hang_up_desk(&self, desk: DeskSide) {
        if let DeskSide::Phone { dialog, id, .. } = desk {
            self.state().outbound.remove(&id);
            end(dialog, true).await;
        }
    }
}
