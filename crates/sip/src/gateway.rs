//! The SIP back-to-back user agent: carriers' calls are answered and put in
//! the switchboard's queues; offers ring consultants' registered phones;
//! the two legs are bridged through the media relay; a hang-up on either
//! side ends both.
//!
//! The switchboard's commands arrive in order on one task, which keeps the
//! per-call state; whatever waits on the network (an INVITE ringing a
//! phone) runs in its own task and reports back to the switchboard.

use crate::config::SipConfig;
use crate::media::prompts::{Programme, Prompts};
use crate::media::relay::{CallMedia, Leg, MediaStats, RtpPorts};
use crate::media::sdp::{self, Codec};
use crate::registrar::{Binding, Registrar};
use hotline_app::calls::{LineContext, Phones, Switchboard, Telephony};
use hotline_callcentre::engine::{AgentId, CallId, Command, Event, TransferResult};
use rsipstack::dialog::DialogId;
use rsipstack::dialog::dialog::{DialogState, DialogStateReceiver, DialogStateSender};
use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::dialog::invitation::InviteOption;
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::prelude::{HeadersExt, ToTypedHeader};
use rsipstack::sip::{Header, Method, StatusCode};
use rsipstack::transaction::{Transaction, TransactionReceiver};
use rsipstack::transport::SipConnection;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// The consultant's side of a call.
struct ConsultantLeg {
    agent: AgentId,
    dialog: InviteDialog,
    answered: bool,
}

struct Call {
    caller: InviteDialog,
    media: CallMedia,
    consultant: Option<ConsultantLeg>,
    /// The engine connected the call (the phone may still ring when the
    /// consultant answered at the desk).
    bridged: bool,
}

#[derive(Clone, Copy)]
enum Side {
    Caller,
    Consultant,
}

#[derive(Default)]
struct State {
    calls: HashMap<CallId, Call>,
    /// Commands for a call the gateway is still registering.
    pending: HashMap<CallId, Vec<Command>>,
    dialogs: HashMap<String, (CallId, Side)>,
}

pub(crate) struct Core {
    pub(crate) config: SipConfig,
    pub(crate) switchboard: Switchboard,
    pub(crate) phones: Arc<Phones>,
    pub(crate) registrar: Registrar,
    pub(crate) dialogs: Arc<DialogLayer>,
    pub(crate) state_tx: DialogStateSender,
    pub(crate) ports: RtpPorts,
    pub(crate) media_ip: IpAddr,
    pub(crate) prompts: Prompts,
    /// Our Contact, for dialogs we answer or start.
    pub(crate) contact: rsipstack::sip::Uri,
    /// Packets relayed and played, over every call.
    pub(crate) stats: Arc<MediaStats>,
    state: Mutex<State>,
    commands: mpsc::UnboundedSender<Command>,
}

/// What the switchboard holds: commands go in order to the gateway's task.
pub(crate) struct Lines(mpsc::UnboundedSender<Command>);

impl Telephony for Lines {
    fn execute(&self, command: &Command) {
        let _ = self.0.send(command.clone());
    }
}

fn user_of(uri: &rsipstack::sip::Uri) -> Option<String> {
    uri.auth.as_ref().map(|a| a.user.clone()).filter(|u| !u.is_empty())
}

/// The address a request came from (Via's received and rport, which the
/// transport layer fills in).
fn source_of(tx: &Transaction) -> Option<(rsipstack::sip::Transport, rsipstack::sip::HostWithPort)> {
    SipConnection::parse_target_from_via(tx.original.via_header().ok()?).ok()
}

fn source_ip(tx: &Transaction) -> Option<IpAddr> {
    match source_of(tx)?.1.host {
        rsipstack::sip::Host::IpAddr(ip) => Some(ip),
        rsipstack::sip::Host::Domain(_) => None,
    }
}

impl Core {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn start(
        config: SipConfig,
        lines: LineContext,
        dialogs: Arc<DialogLayer>,
        incoming: TransactionReceiver,
        media_ip: IpAddr,
        prompts: Prompts,
        contact: rsipstack::sip::Uri,
        stats: Arc<MediaStats>,
    ) -> Lines {
        let (state_tx, state_rx) = dialogs.new_dialog_state_channel();
        let (commands, command_rx) = mpsc::unbounded_channel();
        let [first, last] = config.rtp_ports;
        let core = Arc::new(Core {
            registrar: Registrar::new(lines.phones.realm().to_owned()),
            ports: RtpPorts::new(media_ip, first, last),
            config,
            switchboard: lines.switchboard,
            phones: lines.phones,
            dialogs,
            state_tx,
            media_ip,
            prompts,
            contact,
            stats,
            state: Mutex::default(),
            commands: commands.clone(),
        });
        tokio::spawn(core.clone().serve(incoming));
        tokio::spawn(core.clone().watch_dialogs(state_rx));
        tokio::spawn(core.run_commands(command_rx));
        Lines(commands)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("gateway state lock")
    }

    async fn serve(self: Arc<Self>, mut incoming: TransactionReceiver) {
        while let Some(tx) = incoming.recv().await {
            let core = self.clone();
            tokio::spawn(async move { core.request(tx).await });
        }
    }

    async fn request(self: Arc<Self>, mut tx: Transaction) {
        let in_dialog = tx.original.to_header().ok().and_then(|to| to.tag().ok().flatten()).is_some();
        let result = match tx.original.method {
            _ if in_dialog => match self.dialogs.match_dialog(&tx) {
                Some(mut dialog) => dialog.handle(&mut tx).await,
                None if tx.original.method == Method::Ack => Ok(()),
                None => tx.reply(StatusCode::CallTransactionDoesNotExist).await,
            },
            Method::Invite => self.invited(tx).await,
            Method::Register => self.register(&mut tx).await,
            Method::Options => tx.reply(StatusCode::OK).await,
            Method::Ack => Ok(()),
            Method::Bye | Method::Cancel => tx.reply(StatusCode::CallTransactionDoesNotExist).await,
            _ => tx.reply(StatusCode::MethodNotAllowed).await,
        };
        if let Err(e) = result {
            tracing::debug!(error = %e, "a SIP request could not be handled");
        }
    }

    /// A phone registers, refreshes or removes its binding.
    async fn register(&self, tx: &mut Transaction) -> rsipstack::Result<()> {
        let raw = tx.original.headers.iter().find_map(|h| match h {
            Header::Authorization(a) => Some(a.value().to_string()),
            _ => None,
        });
        let Some(raw) = raw else {
            let challenge = Header::WwwAuthenticate(self.registrar.challenge().into());
            return tx.reply_with(StatusCode::Unauthorized, vec![challenge], None).await;
        };
        let Ok(auth) = rsipstack::sip::typed::Authorization::parse(&raw) else {
            return tx.reply(StatusCode::BadRequest).await;
        };
        let uri = rsipstack::dialog::authenticate::extract_digest_uri_raw(&raw).unwrap_or_else(|| auth.uri.to_string());
        let phone = match self.phones.phone(&auth.username).await {
            Ok(phone) => phone,
            Err(e) => {
                tracing::warn!(error = %e, "a phone's account could not be read");
                return tx.reply(StatusCode::ServerInternalError).await;
            }
        };
        let Some(phone) = phone.filter(|p| self.registrar.verify(&auth, &uri, &Method::Register, &p.secret)) else {
            // A stale nonce gets a new challenge; a wrong secret is refused
            // without saying whether the account exists.
            tracing::info!(username = %auth.username, "a phone's registration was refused");
            return tx.reply(StatusCode::Forbidden).await;
        };
        let Some((transport, source)) = source_of(tx) else { return tx.reply(StatusCode::BadRequest).await };
        let contact = tx.original.contact_header().ok().and_then(|c| c.typed().ok());
        let expires = tx.original.expires_header().and_then(|e| e.value().trim().parse::<u32>().ok());
        let contact_expires = contact.as_ref().and_then(|c| c.expires());
        let asked = contact_expires.or(expires).unwrap_or(3600);
        let Some(contact) = contact else {
            // A query of the bindings: none kept apart from the live one.
            return tx.reply(StatusCode::OK).await;
        };
        if asked == 0 {
            self.registrar.unbind(phone.agent);
            return tx.reply(StatusCode::OK).await;
        }
        let granted = asked.clamp(60, self.config.max_register_secs);
        // The Contact is where the phone listens, unless a NAT sits between
        // (its address is not the one the request came from): then the
        // source, which the NAT maps back to the phone.
        let host = if contact.uri.host_with_port.host == source.host { contact.uri.host_with_port.clone() } else { source };
        self.registrar.bind(
            phone.agent,
            Binding {
                username: phone.username.clone(),
                contact: contact.uri.clone(),
                destination: rsipstack::transport::SipAddr::new(transport, host),
                until: Instant::now() + Duration::from_secs(u64::from(granted)),
            },
        );
        tracing::info!(username = %phone.username, "a consultant's phone registered");
        let headers =
            vec![Header::Contact(format!("<{}>;expires={granted}", contact.uri).into()), Header::Expires(granted.to_string().into())];
        tx.reply_with(StatusCode::OK, headers, None).await
    }

    /// A carrier's call to one of the centre's numbers: answered at once,
    /// greeted, and queued.
    async fn invited(self: Arc<Self>, mut tx: Transaction) -> rsipstack::Result<()> {
        let Some(ip) = source_ip(&tx) else { return tx.reply(StatusCode::BadRequest).await };
        if self.config.trunk_of(ip).is_none() {
            tracing::info!(%ip, "an INVITE from an untrusted address was refused");
            return tx.reply(StatusCode::Forbidden).await;
        }
        let dialled = user_of(&tx.original.uri).unwrap_or_default();
        let Some(queue) = self.phones.queue_for(&dialled) else {
            return tx.reply(StatusCode::NotFound).await;
        };
        let offer = match sdp::read(&tx.original.body) {
            Ok(offer) => offer,
            Err(e) => {
                tracing::info!(error = %e, "an INVITE's offer was not acceptable");
                return tx.reply(StatusCode::NotAcceptableHere).await;
            }
        };
        let caller =
            tx.original.from_header().ok().and_then(|f| f.uri().ok()).and_then(|u| user_of(&u)).unwrap_or_else(|| "anonymous".into());
        let socket = match self.ports.bind().await {
            Ok(socket) => socket,
            Err(e) => {
                tracing::warn!(error = %e, "no RTP port for a call");
                return tx.reply(StatusCode::ServiceUnavailable).await;
            }
        };
        let leg = Leg { socket, peer: offer };
        let local = SocketAddr::new(self.media_ip, leg.local().map(|a| a.port()).unwrap_or_default());
        let answer = sdp::describe(local, &[offer.codec], rand::random::<u32>().into());
        let dialog = match self.dialogs.get_or_create_server_invite(&tx, self.state_tx.clone(), None, Some(self.contact.clone())) {
            Ok(dialog) => dialog,
            Err(_) => return tx.reply(StatusCode::ServerInternalError).await,
        };
        let content_type = Header::ContentType("application/sdp".into());
        if let Err(e) = dialog.accept(Some(vec![content_type]), Some(answer.into_bytes())) {
            tracing::warn!(error = %e, "an INVITE could not be answered");
            return Ok(());
        }
        let media = CallMedia::start(leg, self.stats.clone());
        media.play(Programme::Hold {
            intro: vec![self.prompts.greeting_for(&dialled)],
            music: self.prompts.music.clone(),
            notice: self.prompts.please_hold.clone(),
            every: self.prompts.notice_every,
        });
        let dialog_id = dialog.id().to_string();
        let mut handler = dialog.clone();
        tokio::spawn(async move {
            let _ = handler.handle(&mut tx).await;
        });
        match self.switchboard.arrive(&queue, &caller).await {
            Ok(call) => {
                let pending = {
                    let mut state = self.state();
                    state.dialogs.insert(dialog_id, (call, Side::Caller));
                    state.calls.insert(call, Call { caller: dialog, media, consultant: None, bridged: false });
                    state.pending.remove(&call).unwrap_or_default()
                };
                for command in pending {
                    let _ = self.commands.send(command);
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "the switchboard did not take a call");
                let _ = dialog.bye().await;
            }
        }
        Ok(())
    }

    async fn run_commands(self: Arc<Self>, mut rx: mpsc::UnboundedReceiver<Command>) {
        while let Some(command) = rx.recv().await {
            self.command(command);
        }
    }

    /// The call a command is about, or `None` after keeping the command
    /// for when the call is registered.
    fn known(&self, state: &mut State, call: CallId, command: &Command) -> bool {
        if state.calls.contains_key(&call) {
            return true;
        }
        state.pending.entry(call).or_default().push(command.clone());
        false
    }

    fn command(self: &Arc<Self>, command: Command) {
        let mut state = self.state();
        match &command {
            Command::Hold { .. } | Command::AgentPaused { .. } | Command::CancelTransfer { .. } | Command::TransferFailed { .. } => {}
            Command::Offer { call, agent } => {
                if !self.known(&mut state, *call, &command) {
                    return;
                }
                drop(state);
                tokio::spawn(self.clone().ring(*call, *agent));
            }
            Command::Withdraw { call, agent } => {
                if !self.known(&mut state, *call, &command) {
                    return;
                }
                let leg = state.calls.get_mut(call).and_then(|c| c.consultant.take_if(|l| l.agent == *agent));
                if let Some(leg) = leg {
                    state.dialogs.remove(&leg.dialog.id().to_string());
                    tokio::spawn(async move { hang_up_consultant(leg).await });
                }
            }
            Command::Bridge { call, .. } => {
                if !self.known(&mut state, *call, &command) {
                    return;
                }
                if let Some(c) = state.calls.get_mut(call) {
                    c.bridged = true;
                    c.media.bridge();
                }
            }
            Command::HangUp { call } => {
                if !self.known(&mut state, *call, &command) {
                    return;
                }
                if let Some(c) = self.forget(&mut state, *call) {
                    tokio::spawn(async move {
                        let _ = c.caller.bye().await;
                        if let Some(leg) = c.consultant {
                            hang_up_consultant(leg).await;
                        }
                    });
                }
            }
            Command::OfferCallback { call, .. } => {
                if !self.known(&mut state, *call, &command) {
                    return;
                }
                if let Some(c) = self.forget(&mut state, *call) {
                    let notice = self.prompts.callback.clone();
                    let lasts = Duration::from_millis(notice.len() as u64 / 8 + 300);
                    c.media.play(Programme::Once(vec![notice]));
                    tokio::spawn(async move {
                        tokio::time::sleep(lasts).await;
                        let _ = c.caller.bye().await;
                    });
                }
            }
            Command::Transfer { call, .. } => {
                // Transfers over the outbound trunk are not built yet: the
                // consultant is told at once and advises the caller.
                self.switchboard.notify(Event::TransferResult { call: *call, result: TransferResult::Failed });
            }
        }
    }

    fn forget(&self, state: &mut State, call: CallId) -> Option<Call> {
        let c = state.calls.remove(&call)?;
        state.dialogs.remove(&c.caller.id().to_string());
        if let Some(leg) = &c.consultant {
            state.dialogs.remove(&leg.dialog.id().to_string());
        }
        Some(c)
    }

    /// Rings the consultant's phone; reports the answer or the refusal.
    async fn ring(self: Arc<Self>, call: CallId, agent: AgentId) {
        let Some(binding) = self.registrar.find(agent) else {
            tracing::info!(agent = agent.0, "an offer found no registered phone");
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
        let local = SocketAddr::new(self.media_ip, socket.local_addr().map(|a| a.port()).unwrap_or_default());
        let offer = sdp::describe(local, &[Codec::Pcma, Codec::Pcmu], rand::random::<u32>().into());
        let caller_number = {
            let state = self.state();
            state
                .calls
                .get(&call)
                .and_then(|c| c.caller.initial_request().from_header().ok().and_then(|f| f.uri().ok()))
                .and_then(|u| user_of(&u))
        };
        let mut caller_uri = self.contact.clone();
        caller_uri.auth = caller_number.map(|user| rsipstack::sip::Auth { user, password: None });
        let option = InviteOption {
            caller: caller_uri,
            callee: binding.contact.clone(),
            destination: Some(binding.destination.clone()),
            contact: self.contact.clone(),
            content_type: Some("application/sdp".into()),
            offer: Some(offer.into_bytes()),
            ..Default::default()
        };
        let (dialog, answer) = match self.dialogs.do_invite_async(option, self.state_tx.clone()) {
            Ok(started) => started,
            Err(e) => {
                tracing::warn!(error = %e, "a phone could not be rung");
                self.switchboard.notify(Event::Rejected { call, agent });
                return;
            }
        };
        let registered = match self.state().calls.get_mut(&call) {
            Some(c) => {
                c.consultant = Some(ConsultantLeg { agent, dialog: dialog.clone(), answered: false });
                true
            }
            None => false,
        };
        if !registered {
            let _ = dialog.cancel().await;
            return;
        }
        let answered = match answer.await {
            Ok(Ok((id, Some(response)))) if response.status_code.kind() == rsipstack::sip::StatusCodeKind::Successful => {
                sdp::read(&response.body).map(|media| (id, media)).map_err(|e| e.to_string())
            }
            Ok(Ok((_, response))) => Err(response.map(|r| r.status_code.to_string()).unwrap_or_else(|| "no answer".into())),
            Ok(Err(e)) => Err(e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        enum Then {
            Answered,
            Late,
            Refused,
            Forget,
        }
        let then = {
            let mut state = self.state();
            let current = state.calls.get_mut(&call).and_then(|c| c.consultant.as_mut()).is_some_and(|l| l.agent == agent && !l.answered);
            match answered {
                Ok((id, media)) if current => {
                    let c = state.calls.get_mut(&call).expect("checked above");
                    let leg = c.consultant.as_mut().expect("checked above");
                    leg.answered = true;
                    leg.dialog = dialog.clone();
                    c.media.consultant(Leg { socket, peer: media });
                    if c.bridged {
                        c.media.bridge();
                    }
                    state.dialogs.insert(id.to_string(), (call, Side::Consultant));
                    Then::Answered
                }
                // Answered after the offer was withdrawn: hang up.
                Ok(_) => Then::Late,
                Err(why) => {
                    tracing::info!(agent = agent.0, %why, "a phone did not answer");
                    if current && let Some(c) = state.calls.get_mut(&call) {
                        c.consultant = None;
                    }
                    if current { Then::Refused } else { Then::Forget }
                }
            }
        };
        match then {
            Then::Answered => self.switchboard.notify(Event::Answered { call, agent }),
            Then::Late => {
                let _ = dialog.bye().await;
            }
            Then::Refused => self.switchboard.notify(Event::Rejected { call, agent }),
            Then::Forget => {}
        }
    }

    /// Dialogs ending: a caller or a consultant hanging up.
    async fn watch_dialogs(self: Arc<Self>, mut rx: DialogStateReceiver) {
        while let Some(state) = rx.recv().await {
            let DialogState::Terminated(id, reason) = state else { continue };
            self.dialogs.remove_dialog(&id);
            self.ended(&id, &format!("{reason:?}"));
        }
    }

    fn ended(self: &Arc<Self>, id: &DialogId, reason: &str) {
        let mut state = self.state();
        let Some((call, side)) = state.dialogs.remove(&id.to_string()) else { return };
        tracing::debug!(call = call.0, reason, "a leg ended");
        match side {
            Side::Caller => {
                if let Some(c) = self.forget(&mut state, call) {
                    drop(state);
                    self.switchboard.notify(Event::CallerHungUp { call });
                    if let Some(leg) = c.consultant {
                        tokio::spawn(hang_up_consultant(leg));
                    }
                }
            }
            Side::Consultant => {
                if let Some(c) = state.calls.get_mut(&call) {
                    c.consultant = None;
                }
                drop(state);
                self.switchboard.notify(Event::AgentHungUp { call });
            }
        }
    }
}

async fn hang_up_consultant(leg: ConsultantLeg) {
    let _ = if leg.answered { leg.dialog.bye().await } else { leg.dialog.cancel().await };
}
