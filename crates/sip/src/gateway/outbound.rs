//! Calls placed outside the queues: a consultant calling a citizen back.
//! The consultant's phone rings first (showing the citizen's number), then
//! the citizen through the outbound trunk (showing the centre's number);
//! the two are bridged through the relay until either hangs up.

use super::Core;
use super::calls::{Answer, Refusal, callee, credential, destination, end};
use crate::media::relay::{CallMedia, Leg, Party};
use crate::registrar::Reach;
use hotline_app::calls::{Dial, DialOutcome};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// How long either side may ring.
const RING: Duration = Duration::from_secs(30);

impl Core {
    pub(super) async fn dial_out(self: Arc<Self>, dial: Dial, done: oneshot::Sender<DialOutcome>) {
        let outcome = self.place(dial).await;
        let _ = done.send(outcome);
    }

    async fn place(self: &Arc<Self>, Dial { agent, number, record_as }: Dial) -> DialOutcome {
        let Some(trunk) = self.config.outbound.clone() else {
            return DialOutcome::Failed("sip.outbound (the carrier's trunk for outgoing calls) is not configured".into());
        };
        if self.softphones.find(agent).is_some() {
            return DialOutcome::Failed("callbacks are placed from a SIP phone; the browser phone takes the centre's calls only".into());
        }
        let Some(binding) = self.registrar.find(agent) else {
            return DialOutcome::Failed("the consultant's phone is not registered".into());
        };
        let (Ok(phone_socket), Ok(citizen_socket)) = (self.ports.bind().await, self.ports.bind().await) else {
            return DialOutcome::Failed("no free RTP port".into());
        };
        // The consultant first: a citizen must not answer into silence.
        let Ok((phone, answer)) = self.invite(binding.into(), Some(number.clone()), &phone_socket, None, None) else {
            return DialOutcome::Failed("the consultant's phone could not be rung".into());
        };
        let (phone_id, phone_media) = match tokio::time::timeout(RING, answer).await {
            Ok(Ok(Answer::Answered(id, media))) => (id, media),
            Ok(_) => return DialOutcome::ConsultantMissed,
            Err(_) => {
                end(phone, false).await;
                return DialOutcome::ConsultantMissed;
            }
        };
        let (phone_ended, phone_gone) = oneshot::channel();
        self.state().outbound.insert(phone_id.to_string(), phone_ended);
        let Some(callee) = callee(&trunk, &number) else {
            end(phone, true).await;
            return DialOutcome::Failed(format!("{number} is not a number to dial"));
        };
        let Ok((citizen, answer)) = self.invite(
            Reach::direct(callee, destination(&trunk)),
            Some(trunk.caller_id.clone()),
            &citizen_socket,
            credential(&trunk),
            None,
        ) else {
            end(phone, true).await;
            return DialOutcome::Failed("the outbound trunk could not be reached".into());
        };
        let answered = tokio::time::timeout(RING, answer).await;
        let (citizen_id, citizen_media) = match answered {
            Ok(Ok(Answer::Answered(id, media))) => (id, media),
            other => {
                if other.is_err() {
                    end(citizen, false).await;
                }
                self.state().outbound.remove(&phone_id.to_string());
                end(phone, true).await;
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
        let talk = Instant::now();
        // The citizen is the relay's "caller" (the recording's left
        // channel); nothing is played. Recorded on the record of the call
        // called back.
        let recorder = record_as.and_then(|call| self.recorder(Arc::new(OnceLock::from(call))));
        let media = CallMedia::start(Leg { socket: citizen_socket, peer: citizen_media }, self.stats.clone(), recorder);
        if let Some(call) = record_as {
            self.measure(&media, Arc::new(OnceLock::from(call)));
        }
        media.leg(Party::Consultant, Leg { socket: phone_socket, peer: phone_media });
        media.bridge();
        tokio::select! {
            _ = phone_gone => {
                self.state().outbound.remove(&citizen_id.to_string());
                end(citizen, true).await;
            }
            _ = citizen_gone => {
                self.state().outbound.remove(&phone_id.to_string());
                end(phone, true).await;
            }
        }
        drop(media);
        DialOutcome::Connected { talk_secs: talk.elapsed().as_secs() }
    }
}
