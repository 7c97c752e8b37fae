//! The engine's commands carried out on the lines: ringing phones, bridging,
//! hanging up, promising callbacks, and transfers and three-way calls over
//! the outbound trunk; and legs that end on their own.

use super::{Call, ConsultantLeg, Core, Phone, Side, State, SubCentreLeg, session, user_of};
use crate::config::OutboundTrunk;
use crate::media::prompts::{Notice, Programme};
use crate::media::relay::{Leg, Party, Topology};
use crate::media::sdp::{self, Codec, Media};
use crate::registrar::Reach;
use hotline_callcentre::engine::{AgentId, CallId, Command, Event, TransferMode, TransferResult};
use hotline_domain::Satisfaction;
use rsipstack::dialog::DialogId;
use rsipstack::dialog::authenticate::Credential;
use rsipstack::dialog::dialog::{DialogState, DialogStateReceiver};
use rsipstack::dialog::invitation::InviteOption;
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::prelude::HeadersExt;
use rsipstack::transport::SipAddr;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// How an INVITE we sent ended.
pub(super) enum Answer {
    Answered(DialogId, Media),
    /// A final status other than 2xx, or no final status at all.
    Refused(Option<u16>),
}

/// What a refusal of a call we placed means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
    Busy,
    NoAnswer,
    Other(u16),
}

impl Refusal {
    /// 486, 600, 603 busy; 408, 480, 487 (our CANCEL) or silence no answer.
    pub(super) fn of(status: Option<u16>) -> Self {
        match status {
            Some(486 | 600 | 603) => Self::Busy,
            Some(408 | 480 | 487) | None => Self::NoAnswer,
            Some(other) => Self::Other(other),
        }
    }
}

impl Core {
    pub(super) async fn run_commands(self: Arc<Self>, mut rx: mpsc::UnboundedReceiver<Command>) {
        while let Some(command) = rx.recv().await {
            self.command(command);
        }
    }

    /// Whether the call is known; if not, the command waits for the call
    /// to be registered (the engine can act before `arrive` returns).
    fn known(&self, state: &mut State, call: CallId, command: &Command) -> bool {
        if state.calls.contains_key(&call) {
            return true;
        }
        state.pending.entry(call).or_default().push(command.clone());
        false
    }

    fn command(self: &Arc<Self>, command: Command) {
        let mut state = self.state();
        let call = match (&command, command.call()) {
            // The desk tells the consultant; the caller stays connected.
            (Command::TransferFailed { .. }, _) | (_, None) => return,
            (_, Some(call)) => call,
        };
        if !self.known(&mut state, call, &command) {
            return;
        }
        match command {
            Command::Hold { .. } | Command::AgentPaused { .. } | Command::TransferFailed { .. } => {}
            Command::Offer { agent, .. } => {
                drop(state);
                tokio::spawn(self.clone().ring(call, agent, false));
            }
            Command::Withdraw { agent, .. } => {
                let leg = state.calls.get_mut(&call).and_then(|c| c.consultant.take_if(|l| l.agent == agent));
                if let Some(leg) = leg {
                    if let Some(id) = leg.phone.dialog_id() {
                        state.dialogs.remove(&id);
                    }
                    tokio::spawn(leg.phone.hang_up(leg.answered, leg.local));
                }
            }
            Command::Bridge { agent, .. } => {
                if let Some(c) = state.calls.get_mut(&call) {
                    c.bridged = true;
                    c.media.bridge();
                    if c.consultant.is_none()
                        && let Some(line) = self.softphones.find(agent)
                    {
                        drop(state);
                        tokio::spawn(self.clone().connect_browser(call, agent, line));
                        return;
                    }
                    // Answered at the desk while the phone rings: the ringing
                    // INVITE is cancelled and the phone asked to pick up.
                    if let Some(leg) = c.consultant.take_if(|l| !l.answered) {
                        if let Some(id) = leg.phone.dialog_id() {
                            state.dialogs.remove(&id);
                        }
                        drop(state);
                        let core = self.clone();
                        tokio::spawn(async move {
                            leg.phone.hang_up(false, leg.local).await;
                            core.ring(call, agent, true).await;
                        });
                    }
                }
            }
            Command::HangUp { .. } => {
                if let Some(c) = self.forget(&mut state, call) {
                    if self.config.rating_secs > 0 {
                        tokio::spawn(self.clone().rate(call, c));
                    } else {
                        tokio::spawn(end_all(c));
                    }
                }
            }
            Command::OfferCallback { .. } => {
                if let Some(c) = self.forget(&mut state, call) {
                    let notice = self.prompts.callback.clone();
                    let lasts = Duration::from_millis(notice.len() as u64 / 8 + 300);
                    c.media.play(Programme::Once(vec![notice]));
                    tokio::spawn(async move {
                        tokio::time::sleep(lasts).await;
                        end_all(c).await;
                    });
                }
            }
            Command::Transfer { to, mode, .. } => {
                drop(state);
                tokio::spawn(self.clone().transfer(call, to, mode));
            }
            Command::CancelTransfer { .. } => {
                // The engine gave up on it; nothing is reported back.
                let leg = state.calls.get_mut(&call).and_then(|c| c.sub_centre.take_if(|l| !l.answered));
                if let Some(leg) = leg {
                    tokio::spawn(end(leg.dialog, false));
                }
            }
        }
    }

    /// Removes a call and its legs' dialogs from the state.
    fn forget(&self, state: &mut State, call: CallId) -> Option<Call> {
        let c = state.calls.remove(&call)?;
        state.dialogs.remove(&c.caller.id().to_string());
        let legs = [
            c.consultant.as_ref().and_then(|l| l.phone.dialog_id()),
            c.sub_centre.as_ref().map(|l| l.dialog.id().to_string()),
            c.supervisor.as_ref().and_then(|l| l.phone.dialog_id()),
        ];
        for id in legs.into_iter().flatten() {
            state.dialogs.remove(&id);
        }
        Some(c)
    }

    /// The caller's number, to show on phones and sub-centres' displays.
    pub(super) fn caller_number(&self, call: CallId) -> Option<String> {
        let state = self.state();
        let c = state.calls.get(&call)?;
        c.caller.initial_request().from_header().ok().and_then(|f| f.uri().ok()).and_then(|u| user_of(&u))
    }

    /// Our RTP address for a leg on `socket`, as written in SDP.
    pub(super) fn media_addr(&self, socket: &UdpSocket) -> SocketAddr {
        SocketAddr::new(self.media_ip, socket.local_addr().map(|a| a.port()).unwrap_or_default())
    }

    /// Sends an INVITE with our offer on `socket` (and `headers`, e.g.
    /// auto-answer), asking for a session timer; the dialog is returned at
    /// once (to cancel it), the answer when it comes. An answered leg's
    /// session is watched from then on.
    pub(super) fn invite(
        self: &Arc<Self>,
        to: Reach,
        from_user: Option<String>,
        socket: &UdpSocket,
        credential: Option<Credential>,
        headers: Option<Vec<rsipstack::sip::Header>>,
    ) -> Result<(InviteDialog, tokio::task::JoinHandle<Answer>), Box<rsipstack::Error>> {
        let local = self.media_addr(socket);
        let offer = sdp::describe(local, &[Codec::Pcma, Codec::Pcmu], rand::random::<u32>().into());
        let mut caller = self.contact.clone();
        caller.auth = from_user.map(|user| rsipstack::sip::Auth { user, password: None });
        let option = InviteOption {
            caller,
            callee: to.uri,
            destination: Some(to.destination),
            route_set: to.route,
            contact: self.contact.clone(),
            content_type: Some("application/sdp".into()),
            offer: Some(offer.into_bytes()),
            credential,
            headers: Some(
                headers.into_iter().flatten().chain(session::ask(self.config.session_secs, self.config.min_session_secs)).collect(),
            ),
            ..Default::default()
        };
        let (dialog, answer) = self.dialogs.do_invite_async(option, self.state_tx.clone()).map_err(Box::new)?;
        let (core, leg) = (self.clone(), dialog.clone());
        let answer = tokio::spawn(async move {
            match answer.await {
                Ok(Ok((id, Some(response)))) if response.status_code.kind() == rsipstack::sip::StatusCodeKind::Successful => {
                    match sdp::read(&response.body) {
                        Ok(media) => {
                            if let Some(timer) = session::answered(&response) {
                                core.watch_session(id.clone(), leg, local, timer);
                            }
                            Answer::Answered(id, media)
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "an answer's media could not be used");
                            Answer::Refused(Some(488))
                        }
                    }
                }
                Ok(Ok((_, response))) => Answer::Refused(response.map(|r| u16::from(r.status_code))),
                Ok(Err(_)) | Err(_) => Answer::Refused(None),
            }
        });
        Ok((dialog, answer))
    }

    /// Rings the consultant's phone; reports the answer or the refusal.
    /// `picked_up`: the consultant already answered at the desk, so the
    /// phone is asked to answer by itself (intercom auto-answer) and only
    /// its failure is reported.
    async fn ring(self: Arc<Self>, call: CallId, agent: AgentId, picked_up: bool) {
        // A browser phone rings at the desk; answering there connects it.
        if self.softphones.find(agent).is_some() {
            return;
        }
        let Some(binding) = self.registrar.find(agent) else {
            tracing::info!(agent = agent.0, "an offer found no registered phone");
            self.switchboard
                .tell(hotline_app::calls::user_of(agent), hotline_app::calls::DeskEvent::PhoneMissing { call: call.0.to_string() });
            self.switchboard.notify(Event::Rejected { call, agent });
            return;
        };
        let socket = match self.ports.bind().await {
            Ok(socket) => socket,
            Err(e) => {
                tracing::warn!(error = %e, "no RTP port to ring a phone");
                self.switchboard.notify(Event::Rejected { call, agent });
                return;
            }
        };
        let local = self.media_addr(&socket);
        let headers = picked_up.then(|| auto_answer(&binding.contact));
        let (dialog, answer) = match self.invite(binding.into(), self.caller_number(call), &socket, None, headers) {
            Ok(started) => started,
            Err(e) => {
                tracing::warn!(error = %e, "a phone could not be rung");
                self.switchboard.notify(Event::Rejected { call, agent });
                return;
            }
        };
        let registered = match self.state().calls.get_mut(&call) {
            // Answered at the desk while this INVITE was being sent: the
            // phone is asked to pick up by itself instead.
            Some(c) if c.bridged && !picked_up => Some(false),
            Some(c) => {
                c.consultant = Some(ConsultantLeg { agent, phone: Phone::Sip(dialog.clone()), answered: false, held: false, local });
                Some(true)
            }
            None => None,
        };
        match registered {
            Some(true) => {}
            Some(false) => {
                let _ = dialog.cancel().await;
                return Box::pin(self.ring(call, agent, true)).await;
            }
            None => {
                let _ = dialog.cancel().await;
                return;
            }
        }
        let answer = answer.await.unwrap_or(Answer::Refused(None));
        enum Then {
            Answered,
            Late,
            Refused,
            Forget,
        }
        let then = {
            let mut state = self.state();
            // This very INVITE's leg: a desk answer replaces a ringing leg
            // with another to the same phone.
            let current = state
                .calls
                .get_mut(&call)
                .and_then(|c| c.consultant.as_mut())
                .is_some_and(|l| l.agent == agent && !l.answered && l.phone.is(&dialog));
            match answer {
                Answer::Answered(id, media) if current => {
                    let c = state.calls.get_mut(&call).expect("checked above");
                    c.consultant.as_mut().expect("checked above").answered = true;
                    c.media.leg(Party::Consultant, Leg { socket, peer: media });
                    if c.bridged {
                        c.media.bridge();
                    }
                    state.dialogs.insert(id.to_string(), (call, Side::Consultant));
                    Then::Answered
                }
                // Answered after the offer was withdrawn: hang up.
                Answer::Answered(..) => Then::Late,
                Answer::Refused(status) => {
                    tracing::info!(agent = agent.0, ?status, "a phone did not answer");
                    if current && let Some(c) = state.calls.get_mut(&call) {
                        c.consultant = None;
                    }
                    if current { Then::Refused } else { Then::Forget }
                }
            }
        };
        match then {
            // Answered at the desk already: the engine connected the call.
            Then::Answered if picked_up => {}
            Then::Answered => self.switchboard.notify(Event::Answered { call, agent }),
            Then::Late => end(dialog, true).await,
            Then::Refused if picked_up => {
                // The call is the consultant's; the desk can hang it up.
                let desk = hotline_app::calls::DeskEvent::PhoneUnanswered { call: call.0.to_string() };
                self.switchboard.tell(hotline_app::calls::user_of(agent), desk);
            }
            Then::Refused => self.switchboard.notify(Event::Rejected { call, agent }),
            Then::Forget => {}
        }
    }

    /// Dials a sub-centre over the outbound trunk and connects it as the
    /// mode asks; a refusal leaves the caller with the consultant.
    async fn transfer(self: Arc<Self>, call: CallId, to: String, mode: TransferMode) {
        let report = |result| self.switchboard.notify(Event::TransferResult { call, result });
        let Some(trunk) = self.config.outbound.clone() else {
            tracing::warn!(%to, "a transfer needs sip.outbound (the carrier's trunk for outgoing calls)");
            report(TransferResult::Failed);
            return;
        };
        let socket = match self.ports.bind().await {
            Ok(socket) => socket,
            Err(e) => {
                tracing::warn!(error = %e, "no RTP port for a transfer");
                report(TransferResult::Failed);
                return;
            }
        };
        let Some(callee) = callee(&trunk, &to) else {
            report(TransferResult::Failed);
            return;
        };
        let shown = if trunk.show_caller { self.caller_number(call) } else { Some(trunk.caller_id.clone()) };
        let local = self.media_addr(&socket);
        let (dialog, answer) = match self.invite(Reach::direct(callee, destination(&trunk)), shown, &socket, credential(&trunk), None) {
            Ok(started) => started,
            Err(e) => {
                tracing::warn!(error = %e, %to, "a sub-centre could not be dialled");
                report(TransferResult::Failed);
                return;
            }
        };
        let registered = match self.state().calls.get_mut(&call) {
            Some(c) => {
                c.sub_centre = Some(SubCentreLeg { dialog: dialog.clone(), mode, answered: false, local });
                true
            }
            None => false,
        };
        if !registered {
            end(dialog, false).await;
            return;
        }
        let answer = answer.await.unwrap_or(Answer::Refused(None));
        enum Then {
            Late,
            Refused(Option<u16>),
            Forget,
            Blind(Option<ConsultantLeg>),
            Conference,
            Consult,
        }
        let then = {
            let mut state = self.state();
            let current = state.calls.get(&call).and_then(|c| c.sub_centre.as_ref()).is_some_and(|l| !l.answered);
            match answer {
                Answer::Answered(..) if !current => Then::Late,
                Answer::Refused(status) => match state.calls.get_mut(&call).and_then(|c| c.sub_centre.take_if(|_| current)) {
                    Some(_) => Then::Refused(status),
                    None => Then::Forget,
                },
                Answer::Answered(id, media) => {
                    state.dialogs.insert(id.to_string(), (call, Side::SubCentre));
                    let c = state.calls.get_mut(&call).expect("checked above");
                    c.sub_centre.as_mut().expect("checked above").answered = true;
                    c.media.leg(Party::SubCentre, Leg { socket, peer: media });
                    match mode {
                        TransferMode::Blind => {
                            c.media.connect(Topology::Pair(Party::Caller, Party::SubCentre));
                            c.handed_over = true;
                            let leg = c.consultant.take();
                            if let Some(id) = leg.as_ref().and_then(|l| l.phone.dialog_id()) {
                                state.dialogs.remove(&id);
                            }
                            Then::Blind(leg)
                        }
                        TransferMode::Conference => {
                            c.media.connect(Topology::Mix);
                            Then::Conference
                        }
                        TransferMode::Attended => {
                            // The consultant speaks to the sub-centre; the caller holds.
                            c.media.play(self.hold_programme());
                            c.media.connect(Topology::Pair(Party::Consultant, Party::SubCentre));
                            Then::Consult
                        }
                    }
                }
            }
        };
        match then {
            Then::Late => end(dialog, true).await,
            Then::Forget => {}
            Then::Refused(status) => {
                tracing::info!(%to, ?status, "a sub-centre did not take the transfer");
                report(match Refusal::of(status) {
                    Refusal::Busy => TransferResult::Busy,
                    Refusal::NoAnswer => TransferResult::NoAnswer,
                    Refusal::Other(_) => TransferResult::Failed,
                });
            }
            Then::Blind(leg) => {
                if let Some(leg) = leg {
                    leg.phone.hang_up(leg.answered, leg.local).await;
                }
                report(TransferResult::Connected);
            }
            Then::Conference => report(TransferResult::Connected),
            Then::Consult => self.switchboard.notify(Event::TransferAnswered { call }),
        }
    }

    /// Dialogs ending: a caller, a consultant or a sub-centre hanging up.
    pub(super) async fn watch_dialogs(self: Arc<Self>, mut rx: DialogStateReceiver) {
        while let Some(state) = rx.recv().await {
            match state {
                DialogState::Terminated(id, reason) => {
                    self.dialogs.remove_dialog(&id);
                    self.state().sessions.remove(&id.to_string());
                    self.ended(&id, &format!("{reason:?}"));
                }
                DialogState::Updated(id, request, handle) => {
                    let (status, mut headers, body) = self.updated(&id, &request);
                    if status == rsipstack::sip::StatusCode::OK {
                        let timer = self.refreshed(&id);
                        if !timer.is_empty() {
                            headers.get_or_insert_with(Vec::new).extend(timer);
                        }
                    }
                    tokio::spawn(async move {
                        let _ = handle.respond(status, headers, body).await;
                    });
                }
                // Keep-alives and notes inside a call: acknowledged.
                DialogState::Options(_, _, handle)
                | DialogState::Info(_, _, handle)
                | DialogState::Notify(_, _, handle)
                | DialogState::Message(_, _, handle) => {
                    tokio::spawn(async move {
                        let _ = handle.reply(rsipstack::sip::StatusCode::OK).await;
                    });
                }
                // Transfers are the consultant's, from the desk, not the peer's.
                DialogState::Refer(_, _, handle) | DialogState::Publish(_, _, handle) => {
                    tokio::spawn(async move {
                        let _ = handle.reply(rsipstack::sip::StatusCode::Decline).await;
                    });
                }
                _ => {}
            }
        }
    }

    /// A re-INVITE or UPDATE on a leg: a session refresh (RFC 4028), the
    /// peer moving its media or changing codec, or a phone putting the
    /// call on hold and resuming it. Answered with our side of the leg
    /// (the mirror of its direction), the relay retargeted to the peer's
    /// new address.
    fn updated(
        &self,
        id: &DialogId,
        request: &rsipstack::sip::Request,
    ) -> (rsipstack::sip::StatusCode, Option<Vec<rsipstack::sip::Header>>, Option<Vec<u8>>) {
        use rsipstack::sip::{Header, StatusCode};
        let mut state = self.state();
        let Some((call, side)) = state.dialogs.get(&id.to_string()).copied() else {
            return (StatusCode::CallTransactionDoesNotExist, None, None);
        };
        let Some(c) = state.calls.get_mut(&call) else { return (StatusCode::CallTransactionDoesNotExist, None, None) };
        let (party, local) = match side {
            Side::Caller => (Party::Caller, Some(c.caller_local)),
            Side::Consultant => (Party::Consultant, c.consultant.as_ref().map(|l| l.local)),
            Side::SubCentre => (Party::SubCentre, c.sub_centre.as_ref().map(|l| l.local)),
            Side::Supervisor => (Party::Supervisor, c.supervisor.as_ref().map(|l| l.local)),
        };
        let Some(local) = local else { return (StatusCode::CallTransactionDoesNotExist, None, None) };
        let (codecs, direction) = if request.body.is_empty() {
            // An offerless re-INVITE: our offer, the ACK answers it.
            (vec![Codec::Pcma, Codec::Pcmu], sdp::Direction::SendRecv)
        } else {
            match sdp::read(&request.body).and_then(|media| Ok((media, sdp::direction(&request.body)?))) {
                Ok((media, direction)) => {
                    // Held the old way (0.0.0.0): nowhere to send to.
                    if !media.addr.ip().is_unspecified() {
                        c.media.retarget(party, media);
                    }
                    if matches!(side, Side::Consultant) {
                        self.consultant_holds(call, c, direction.holds());
                    }
                    (vec![media.codec], direction.answer())
                }
                Err(e) => {
                    tracing::info!(error = %e, "a re-INVITE's offer was not acceptable");
                    return (StatusCode::NotAcceptableHere, None, None);
                }
            }
        };
        if request.method == rsipstack::sip::Method::Update && request.body.is_empty() {
            return (StatusCode::OK, None, None);
        }
        let body = sdp::describe_directed(local, &codecs, rand::random::<u32>().into(), direction).into_bytes();
        (StatusCode::OK, Some(vec![Header::ContentType("application/sdp".into())]), Some(body))
    }

    /// The consultant's phone put the call on hold, or took it off: the
    /// caller hears hold music meanwhile and the desk says so. Only a call
    /// between the two of them; in a transfer or a three-way call the
    /// desk's buttons already decide who hears whom.
    pub(super) fn consultant_holds(&self, call: CallId, c: &mut Call, holds: bool) {
        let Some(leg) = c.consultant.as_mut().filter(|l| l.answered && l.held != holds) else { return };
        if !c.bridged || c.sub_centre.is_some() {
            return;
        }
        leg.held = holds;
        if holds {
            c.media.play(self.hold_programme());
            c.media.connect(Topology::Prompts);
        } else {
            c.media.bridge();
        }
        let desk = hotline_app::calls::DeskEvent::Held { call: call.0.to_string(), held: holds };
        self.switchboard.tell(hotline_app::calls::user_of(leg.agent), desk);
    }

    /// What a caller on hold hears: music, and every so often "please hold".
    fn hold_programme(&self) -> Programme {
        Programme::Hold {
            intro: Vec::new(),
            music: self.prompts.music.clone(),
            notice: Notice::Fixed(self.prompts.please_hold.clone()),
            every: self.prompts.notice_every,
        }
    }

    /// The consultant's phone hung up (or their browser line closed).
    pub(super) fn consultant_left(&self, call: CallId) {
        let mut state = self.state();
        let Some(c) = state.calls.get_mut(&call) else { return };
        if let Some(leg) = c.consultant.take()
            && let Phone::Browser(line) = &leg.phone
        {
            line.detach(leg.local);
        }
        let consulted = c.sub_centre.as_ref().is_some_and(|l| l.answered && l.mode == TransferMode::Attended);
        if consulted {
            // Leaving an attended transfer completes it.
            c.media.connect(Topology::Pair(Party::Caller, Party::SubCentre));
            c.handed_over = true;
            drop(state);
            self.switchboard.notify(Event::TransferResult { call, result: TransferResult::Connected });
        } else {
            c.media.drop_leg(Party::Consultant);
            drop(state);
            self.switchboard.notify(Event::AgentHungUp { call });
        }
    }

    pub(super) fn ended(self: &Arc<Self>, id: &DialogId, reason: &str) {
        let mut state = self.state();
        if let Some(ended) = state.outbound.remove(&id.to_string()) {
            let _ = ended.send(());
            return;
        }
        let Some((call, side)) = state.dialogs.remove(&id.to_string()) else { return };
        tracing::debug!(call = call.0, ?side, reason, "a leg ended");
        match side {
            Side::Caller => {
                if let Some(c) = self.forget(&mut state, call) {
                    drop(state);
                    if !c.handed_over {
                        self.switchboard.notify(Event::CallerHungUp { call });
                    }
                    tokio::spawn(end_all(c));
                }
            }
            Side::Consultant => {
                drop(state);
                self.consultant_left(call);
            }
            Side::Supervisor => {
                // The supervisor hung up their phone: the call goes on.
                if let Some(c) = state.calls.get_mut(&call) {
                    c.without_supervisor(|_| true);
                }
            }
            Side::SubCentre => {
                let Some(c) = state.calls.get_mut(&call) else { return };
                let leg = c.sub_centre.take();
                c.media.drop_leg(Party::SubCentre);
                if c.handed_over {
                    let c = self.forget(&mut state, call).expect("present");
                    drop(state);
                    tokio::spawn(end_all(c));
                    return;
                }
                // Back to caller and consultant (a three-way call, or a
                // consultation the sub-centre ended).
                c.media.connect(Topology::Pair(Party::Caller, Party::Consultant));
                drop(state);
                if leg.is_some_and(|l| l.mode == TransferMode::Attended) {
                    self.switchboard.notify(Event::TransferResult { call, result: TransferResult::Failed });
                }
            }
        }
    }
}

impl Core {
    /// The consultant hung up first: the caller is asked for a keypad
    /// rating, which goes on the call's record; then the call ends.
    async fn rate(self: Arc<Self>, call: CallId, mut c: Call) {
        if let Some(leg) = c.consultant.take() {
            leg.phone.hang_up(leg.answered, leg.local).await;
        }
        if let Some(leg) = c.sub_centre.take() {
            end(leg.dialog, leg.answered).await;
        }
        if let Some(leg) = c.supervisor.take() {
            leg.phone.hang_up(leg.answered, leg.local).await;
        }
        c.media.drop_leg(Party::Supervisor);
        c.media.drop_leg(Party::Consultant);
        c.media.drop_leg(Party::SubCentre);
        c.media.connect(Topology::Prompts);
        let (tx, mut digits) = mpsc::unbounded_channel();
        c.media.listen(tx);
        let prompt = self.prompts.rating.clone();
        c.media.play(Programme::Once(vec![prompt.clone()]));
        let wait = Duration::from_millis(prompt.len() as u64 / 8) + Duration::from_secs(u64::from(self.config.rating_secs));
        let rated = tokio::time::timeout(wait, async {
            while let Some(digit) = digits.recv().await {
                match digit {
                    1 => return Some(Satisfaction::Satisfied),
                    2 => return Some(Satisfaction::BasicallySatisfied),
                    3 => return Some(Satisfaction::Unsatisfied),
                    _ => {}
                }
            }
            // The caller hung up (the media stopped listening).
            None
        })
        .await;
        if let Ok(Some(satisfaction)) = rated {
            self.switchboard.rated(call, satisfaction);
            let thanks = self.prompts.thanks.clone();
            let lasts = Duration::from_millis(thanks.len() as u64 / 8 + 200);
            c.media.play(Programme::Once(vec![thanks]));
            tokio::time::sleep(lasts).await;
        }
        end_all(c).await;
    }
}

/// `number` at the carrier's outbound trunk.
pub(super) fn callee(trunk: &OutboundTrunk, number: &str) -> Option<rsipstack::sip::Uri> {
    format!("sip:{number}@{}", trunk.address).as_str().try_into().ok()
}

pub(super) fn destination(trunk: &OutboundTrunk) -> SipAddr {
    SipAddr::new(rsipstack::sip::Transport::Udp, trunk.address.into())
}

/// The digest credentials the carrier may challenge for.
pub(super) fn credential(trunk: &OutboundTrunk) -> Option<Credential> {
    trunk.username.clone().map(|username| Credential {
        username,
        password: trunk.password.clone().unwrap_or_default(),
        realm: None,
        auth_username: None,
    })
}

/// What asks a phone to answer by itself, as phones understand it: RFC 5373
/// `Answer-Mode`, `Call-Info: answer-after=0` (Polycom, Yealink, Snom,
/// Grandstream …) and `Alert-Info: info=alert-autoanswer` (Cisco, Yealink).
pub(super) fn auto_answer(contact: &rsipstack::sip::Uri) -> Vec<rsipstack::sip::Header> {
    use rsipstack::sip::Header;
    vec![
        Header::Other("Answer-Mode".into(), "Auto".into()),
        Header::CallInfo(format!("<sip:{}>;answer-after=0", contact.host_with_port).into()),
        Header::AlertInfo("<http://127.0.0.1/autoanswer>;info=alert-autoanswer;delay=0".into()),
    ]
}

/// Ends a leg: BYE when it was answered, CANCEL while it rings.
pub(super) async fn end(dialog: InviteDialog, answered: bool) {
    let _ = if answered { dialog.bye().await } else { dialog.cancel().await };
}

/// Ends every leg of a call that is over.
async fn end_all(c: Call) {
    let _ = c.caller.bye().await;
    if let Some(leg) = c.consultant {
        leg.phone.hang_up(leg.answered, leg.local).await;
    }
    if let Some(leg) = c.sub_centre {
        end(leg.dialog, leg.answered).await;
    }
    if let Some(leg) = c.supervisor {
        leg.phone.hang_up(leg.answered, leg.local).await;
    }
}
